/*
 * config.h -- the node's configuration, read from one YAML file.
 *
 * sy_config_load() parses the file (libyaml) against one declarative option
 * table, rejects unknown keys and bad values with "FILE: KEY: why", fills
 * defaults, and validates the whole.  The struct owns all its strings;
 * sy_config_free() releases them.  After start-up the config is read-only
 * and shared by all threads.
 */
#ifndef SY_CONFIG_H
#define SY_CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct sy_error;

/* What a listener serves; a bit set. */
enum {
    SY_RES_CLIENT = 1 << 0,     /* /_matrix/client, /.well-known/matrix/client */
    SY_RES_FEDERATION = 1 << 1, /* /_matrix/federation, /_matrix/key, /.well-known/matrix/server */
    SY_RES_MEDIA = 1 << 2,      /* /_matrix/media */
    SY_RES_ADMIN = 1 << 3,      /* /_syncro/admin, /_synapse/admin */
    SY_RES_HEALTH = 1 << 4,     /* /health */
};

struct sy_listener_config {
    char *address;         /* IP literal; default "127.0.0.1" */
    int port;              /* 1..65535, required */
    char *tls_certificate; /* PEM path; TLS is on when both are set */
    char *tls_private_key;
    unsigned resources;    /* SY_RES_*; default client|federation|media|health */
};

struct sy_rate_limit {
    double per_second; /* sustained rate; 0 = unlimited */
    int burst;         /* bucket size */
};

struct sy_config {
    char *path;           /* the file it came from */
    char *server_name;    /* required; host[:port] */
    char *public_baseurl; /* default "https://<server_name>/" */
    char *signing_key_path; /* default "<dir of config>/signing.key" */

    struct sy_listener_config *listeners; /* at least one */
    size_t n_listeners;

    /* database: either an external DSN or an embedded cluster dir */
    char *database_dsn;      /* libpq conninfo; NULL when embedded */
    char *database_embedded; /* data dir of the embedded cluster; NULL when dsn */

    int worker_threads; /* default: number of cores */
    int log_level;      /* SY_LOG_*; default info */
    char *log_file;     /* NULL = stderr */

    /* registration */
    int registration_enabled;          /* default 0 */
    int registration_requires_token;   /* default 0 */
    char *registration_shared_secret;  /* NULL = shared-secret registration off */
    int guest_access;                  /* default 0 */

    /* rate limits; rate_limits_enabled 0 turns all off */
    int rate_limits_enabled; /* default 1 */
    struct sy_rate_limit rl_login;    /* default 0.17/s, burst 3 (per IP and per user) */
    struct sy_rate_limit rl_register; /* default 0.17/s, burst 3 (per IP) */

    /* limits */
    size_t max_request_body; /* bytes; default 65536*2, max 64 MiB */
    int max_json_depth;      /* default 64 */

    /* password hashing (scrypt): cost = 2^password_log_n */
    int password_log_n; /* default 15; 4..20 */
    int password_min_length; /* default 8 */

    char *default_room_version; /* default "11" */
};

/*
 * Load and validate 'path'.  0 and *out (caller frees with sy_config_free),
 * or SY_EINVAL with err->msg "FILE: KEY: why" (or "FILE:LINE: why" for YAML
 * syntax errors).
 */
int sy_config_load(const char *path, struct sy_config **out, struct sy_error *err);
void sy_config_free(struct sy_config *cfg);

/*
 * Write a fresh config file for a node that uses an embedded database
 * (for `syncroctl init`).  Fails with SY_ECONFLICT if 'path' exists.
 */
int sy_config_write_default(const char *path, const char *server_name, int port,
                            const char *embedded_dir, const char *signing_key_path,
                            struct sy_error *err);

#endif /* SY_CONFIG_H */
