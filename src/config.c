/*
 * config.c -- loading syncro.yaml against one declarative option table.
 *
 * Every key the file may hold is one row of 'options' below: its dotted
 * path, its type, where it lands in struct sy_config (or, for rows under
 * "listeners[]", in struct sy_listener_config), its default, its range and
 * a line of help.  The table drives all three passes: defaults are set
 * from it before parsing, the YAML tree is walked and every key looked up
 * in it (unknown keys are errors), and required keys are checked from it
 * afterwards.  Rules that span several keys (database.embedded vs dsn,
 * TLS certificate and key) and derived defaults (public_baseurl,
 * signing_key_path, worker_threads) live in config_finish().
 *
 * The file is parsed with libyaml into a document tree.  Its schema is at
 * most four levels deep and the walk only descends where the table says
 * so, so aliases cannot make the walk blow up.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "config.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

#define CONFIG_MAX_FILE (1024 * 1024) /* bytes; a config file is small */
#define CONFIG_MAX_KEY 64             /* longest key name we look up */
#define CONFIG_MAX_LISTENERS 64

enum opt_type {
    OPT_SECTION,   /* a mapping of further keys */
    OPT_LISTENERS, /* the list of listener mappings */
    OPT_STR,       /* char *, non-empty */
    OPT_PATH,      /* char *, resolved against the config file's directory */
    OPT_BOOL,      /* int 0/1: true/false/yes/no */
    OPT_INT,       /* int in [min, max] */
    OPT_SIZE,      /* size_t in [min, max] */
    OPT_DOUBLE,    /* double in [min, max] */
    OPT_LOGLEVEL,  /* int SY_LOG_* from error/warn/info/debug */
    OPT_RESOURCES, /* unsigned SY_RES_* set from a list of names */
};

#define OPT_REQUIRED 0x1 /* must appear in the file */
#define OPT_LISTENER 0x2 /* lives in struct sy_listener_config, under listeners[] */

/* NULL if 'v' is acceptable, else why not (a static string). */
typedef const char *(*opt_check_fn)(const char *v);

struct opt {
    const char *key; /* dotted path; listener rows start "listeners[]." */
    enum opt_type type;
    size_t offset; /* into struct sy_config, or sy_listener_config with OPT_LISTENER */
    unsigned flags;
    const char *def_str; /* default for OPT_STR/OPT_PATH/OPT_LOGLEVEL; NULL = unset */
    double def_num;      /* default for numeric, bool and resource types */
    double min, max;     /* range for OPT_INT/OPT_SIZE/OPT_DOUBLE */
    opt_check_fn check;  /* extra validation for OPT_STR */
    const char *help;
};

static const char *check_server_name(const char *v);
static const char *check_baseurl(const char *v);
static const char *check_ip(const char *v);
static const char *check_room_version(const char *v);

#define C(field) offsetof(struct sy_config, field)
#define L(field) offsetof(struct sy_listener_config, field)
#define RES_DEFAULT (SY_RES_CLIENT | SY_RES_FEDERATION | SY_RES_MEDIA | SY_RES_HEALTH)

/* clang-format off */
static const struct opt options[] = {
    {"server_name", OPT_STR, C(server_name), OPT_REQUIRED, NULL, 0, 0, 0, check_server_name,
     "the Matrix server name, host[:port]; the domain part of every user and room ID"},
    {"public_baseurl", OPT_STR, C(public_baseurl), 0, NULL, 0, 0, 0, check_baseurl,
     "URL clients reach this server at; default https://<server_name>/"},
    {"signing_key_path", OPT_PATH, C(signing_key_path), 0, NULL, 0, 0, 0, NULL,
     "ed25519 signing key file; default signing.key next to the config file"},

    {"listeners", OPT_LISTENERS, C(listeners), OPT_REQUIRED, NULL, 0, 1, CONFIG_MAX_LISTENERS,
     NULL, "HTTP listeners; at least one"},
    {"listeners[].address", OPT_STR, L(address), OPT_LISTENER, "127.0.0.1", 0, 0, 0, check_ip,
     "IPv4 or IPv6 address to bind"},
    {"listeners[].port", OPT_INT, L(port), OPT_LISTENER | OPT_REQUIRED, NULL, 0, 1, 65535, NULL,
     "TCP port to bind"},
    {"listeners[].tls_certificate", OPT_PATH, L(tls_certificate), OPT_LISTENER, NULL, 0, 0, 0,
     NULL, "PEM certificate chain; TLS is on when this and tls_private_key are set"},
    {"listeners[].tls_private_key", OPT_PATH, L(tls_private_key), OPT_LISTENER, NULL, 0, 0, 0,
     NULL, "PEM private key for tls_certificate"},
    {"listeners[].resources", OPT_RESOURCES, L(resources), OPT_LISTENER, NULL, RES_DEFAULT, 0,
     0, NULL, "what to serve: client, federation, media, admin, health"},

    {"database", OPT_SECTION, 0, 0, NULL, 0, 0, 0, NULL,
     "PostgreSQL: exactly one of embedded or dsn"},
    {"database.embedded", OPT_PATH, C(database_embedded), 0, NULL, 0, 0, 0, NULL,
     "data directory of an embedded cluster the server runs itself"},
    {"database.dsn", OPT_STR, C(database_dsn), 0, NULL, 0, 0, 0, NULL,
     "libpq connection string of an external server"},

    {"worker_threads", OPT_INT, C(worker_threads), 0, NULL, 0, 1, 256, NULL,
     "request worker threads; default the number of online cores"},
    {"log_level", OPT_LOGLEVEL, C(log_level), 0, "info", 0, 0, 0, NULL,
     "error, warn, info or debug"},
    {"log_file", OPT_PATH, C(log_file), 0, NULL, 0, 0, 0, NULL,
     "append log lines here; default standard error"},

    {"registration", OPT_SECTION, 0, 0, NULL, 0, 0, 0, NULL, "account registration"},
    {"registration.enabled", OPT_BOOL, C(registration_enabled), 0, NULL, 0, 0, 0, NULL,
     "allow clients to register accounts"},
    {"registration.requires_token", OPT_BOOL, C(registration_requires_token), 0, NULL, 0, 0, 0,
     NULL, "registration needs a registration token (m.login.registration_token)"},
    {"registration.shared_secret", OPT_STR, C(registration_shared_secret), 0, NULL, 0, 0, 0,
     NULL, "secret for admin registration by HMAC; unset turns it off"},
    {"registration.guest_access", OPT_BOOL, C(guest_access), 0, NULL, 0, 0, 0, NULL,
     "allow guest accounts"},

    {"rate_limits", OPT_SECTION, 0, 0, NULL, 0, 0, 0, NULL, "token-bucket rate limits"},
    {"rate_limits.enabled", OPT_BOOL, C(rate_limits_enabled), 0, NULL, 1, 0, 0, NULL,
     "false turns every rate limit off"},
    {"rate_limits.login", OPT_SECTION, 0, 0, NULL, 0, 0, 0, NULL, "login attempts"},
    {"rate_limits.login.per_second", OPT_DOUBLE, C(rl_login.per_second), 0, NULL, 0.17, 0, 1e6,
     NULL, "sustained login attempts per second per IP and per user; 0 = unlimited"},
    {"rate_limits.login.burst", OPT_INT, C(rl_login.burst), 0, NULL, 3, 1, 1000000, NULL,
     "login attempts allowed in a burst"},
    {"rate_limits.register", OPT_SECTION, 0, 0, NULL, 0, 0, 0, NULL, "registrations"},
    {"rate_limits.register.per_second", OPT_DOUBLE, C(rl_register.per_second), 0, NULL, 0.17, 0,
     1e6, NULL, "sustained registrations per second per IP; 0 = unlimited"},
    {"rate_limits.register.burst", OPT_INT, C(rl_register.burst), 0, NULL, 3, 1, 1000000, NULL,
     "registrations allowed in a burst"},

    {"limits", OPT_SECTION, 0, 0, NULL, 0, 0, 0, NULL, "caps on client input"},
    {"limits.max_request_body", OPT_SIZE, C(max_request_body), 0, NULL, 131072, 1024, 67108864,
     NULL, "largest request body in bytes (media uploads aside)"},
    {"limits.max_json_depth", OPT_INT, C(max_json_depth), 0, NULL, 64, 2, 512, NULL,
     "deepest JSON nesting accepted"},

    {"password", OPT_SECTION, 0, 0, NULL, 0, 0, 0, NULL, "password hashing and policy"},
    {"password.log_n", OPT_INT, C(password_log_n), 0, NULL, 15, 4, 20, NULL,
     "scrypt cost exponent: N = 2^log_n"},
    {"password.min_length", OPT_INT, C(password_min_length), 0, NULL, 8, 0, 1024, NULL,
     "shortest password accepted at registration and change"},

    {"default_room_version", OPT_STR, C(default_room_version), 0, "11", 0, 0, 0,
     check_room_version, "room version for new rooms, \"6\" to \"12\""},
};
/* clang-format on */

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static const struct {
    const char *name;
    unsigned bit;
} resource_names[] = {
    {"client", SY_RES_CLIENT}, {"federation", SY_RES_FEDERATION}, {"media", SY_RES_MEDIA},
    {"admin", SY_RES_ADMIN},   {"health", SY_RES_HEALTH},
};

/* One load in progress. */
struct loader {
    const char *file; /* as the caller named it, for messages */
    char *dir;        /* absolute directory of the file */
    yaml_document_t *doc;
    struct sy_config *cfg;
    struct sy_error *err;
    unsigned char seen[N_OPTIONS]; /* listener rows: reset per listener */
};

static int fail(struct loader *ld, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct loader *ld, const char *key, const char *fmt, ...)
{
    char why[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (key == NULL || key[0] == '\0')
        return sy_error_set(ld->err, SY_EINVAL, 0, "M_UNKNOWN", "%s: %s", ld->file, why);
    return sy_error_set(ld->err, SY_EINVAL, 0, "M_UNKNOWN", "%s: %s: %s", ld->file, key, why);
}

/* ---- validators ---------------------------------------------------- */

static int
parse_port(const char *p, size_t n)
{
    int port = 0;

    if (n < 1 || n > 5)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return -1;
        port = port * 10 + (p[i] - '0');
    }
    return port >= 1 && port <= 65535 ? port : -1;
}

static int
valid_dns_name(const char *h, size_t n)
{
    size_t label = 0;

    if (n < 1 || n > 255)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)h[i];

        if (c == '.') {
            if (label == 0 || h[i - 1] == '-')
                return 0;
            label = 0;
            continue;
        }
        if (!isalnum(c) && c != '-')
            return 0;
        if (c == '-' && label == 0)
            return 0;
        if (++label > 63)
            return 0;
    }
    /* a trailing dot (absolute name) is not a server name */
    return label > 0 && h[n - 1] != '-';
}

/*
 * The Matrix server name grammar (appendix "Server Name"):
 * hostname [ ":" port ], hostname = IPv4 / "[" IPv6 "]" / dns-name.
 */
static const char *
check_server_name(const char *v)
{
    const char *colon, *host = v;
    size_t hlen;
    char tmp[64];
    struct in6_addr a6;

    if (v[0] == '[') {
        const char *close = strchr(v, ']');

        if (close == NULL)
            return "unterminated [IPv6] literal";
        hlen = (size_t)(close - v - 1);
        if (hlen == 0 || hlen >= sizeof(tmp))
            return "bad IPv6 literal";
        memcpy(tmp, v + 1, hlen);
        tmp[hlen] = '\0';
        if (inet_pton(AF_INET6, tmp, &a6) != 1)
            return "bad IPv6 literal";
        if (close[1] == '\0')
            return NULL;
        if (close[1] != ':' || parse_port(close + 2, strlen(close + 2)) < 0)
            return "port must be a number from 1 to 65535";
        return NULL;
    }
    colon = strchr(v, ':');
    hlen = colon ? (size_t)(colon - v) : strlen(v);
    if (colon != NULL && parse_port(colon + 1, strlen(colon + 1)) < 0)
        return "port must be a number from 1 to 65535 (IPv6 literals need [brackets])";
    if (!valid_dns_name(host, hlen))
        return "not a valid hostname, IPv4 address or [IPv6] literal";
    return NULL;
}

static const char *
check_baseurl(const char *v)
{
    const char *rest;

    if (strncmp(v, "https://", 8) == 0)
        rest = v + 8;
    else if (strncmp(v, "http://", 7) == 0)
        rest = v + 7;
    else
        return "must start with http:// or https://";
    if (rest[0] == '\0' || rest[0] == '/')
        return "has no host";
    for (const char *p = v; *p; p++)
        if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
            return "must not contain spaces or control characters";
    return NULL;
}

static const char *
check_ip(const char *v)
{
    struct in6_addr a;

    if (inet_pton(AF_INET, v, &a) == 1 || inet_pton(AF_INET6, v, &a) == 1)
        return NULL;
    return "must be an IPv4 or IPv6 address (no brackets, no host names)";
}

static const char *
check_room_version(const char *v)
{
    static const char *const versions[] = {"6", "7", "8", "9", "10", "11", "12"};

    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
        if (strcmp(v, versions[i]) == 0)
            return NULL;
    return "must be one of \"6\" to \"12\"";
}

/* ---- scalars --------------------------------------------------------- */

static int
is_null(const yaml_node_t *n)
{
    const char *v = (const char *)n->data.scalar.value;

    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static const char *
node_kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a list";
    default:
        return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? "a plain scalar"
                                                               : "a quoted string";
    }
}

/* 0 and *out, or -1 unless 'v' is a whole base-10 integer. */
static int
parse_integer(const char *v, long long *out)
{
    char *end;

    if (v[0] == '\0' || isspace((unsigned char)v[0]))
        return -1;
    errno = 0;
    *out = strtoll(v, &end, 10);
    return errno == 0 && *end == '\0' ? 0 : -1;
}

static int
parse_number(const char *v, double *out)
{
    char *end;

    /* strtod alone would take "inf", "nan" and hex floats */
    for (const char *p = v; *p; p++)
        if (!isdigit((unsigned char)*p) && strchr("+-.eE", *p) == NULL)
            return -1;
    if (v[0] == '\0')
        return -1;
    errno = 0;
    *out = strtod(v, &end);
    return errno == 0 && *end == '\0' && isfinite(*out) ? 0 : -1;
}

static char *
resolve_path(const struct loader *ld, const char *v)
{
    size_t n;
    char *p;

    if (v[0] == '/')
        return sy_strdup(v);
    n = strlen(ld->dir) + 1 + strlen(v) + 1;
    p = sy_malloc(n);
    snprintf(p, n, "%s/%s", ld->dir, v);
    return p;
}

static int set_listeners(struct loader *ld, yaml_node_t *seq, const char *dkey);
static int walk_mapping(struct loader *ld, yaml_node_t *map, const char *tprefix,
                        const char *dprefix, void *base, unsigned scope);

static int
set_resources(struct loader *ld, yaml_node_t *n, const char *dkey, unsigned *out)
{
    unsigned set = 0;

    if (n->type != YAML_SEQUENCE_NODE)
        return fail(ld, dkey, "expected a list of resource names, not %s", node_kind(n));
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(ld->doc, *it);
        const char *name;
        unsigned bit = 0;

        if (item == NULL || item->type != YAML_SCALAR_NODE)
            return fail(ld, dkey, "expected a resource name, not %s",
                        item ? node_kind(item) : "nothing");
        name = (const char *)item->data.scalar.value;
        for (size_t i = 0; i < sizeof(resource_names) / sizeof(resource_names[0]); i++)
            if (strcmp(name, resource_names[i].name) == 0)
                bit = resource_names[i].bit;
        if (bit == 0)
            return fail(ld, dkey,
                        "unknown resource \"%.40s\" (expected client, federation, media, "
                        "admin or health)",
                        name);
        if (set & bit)
            return fail(ld, dkey, "resource \"%s\" listed twice", name);
        set |= bit;
    }
    if (set == 0)
        return fail(ld, dkey, "must list at least one resource");
    *out = set;
    return SY_OK;
}

/* Store the value of node 'n' for option 'o' into 'base'. */
static int
set_value(struct loader *ld, const struct opt *o, yaml_node_t *n, const char *dkey, void *base)
{
    char *field = (char *)base + o->offset;
    const char *v, *why;
    long long ll;
    double d;

    if (is_null(n)) {
        if (o->flags & OPT_REQUIRED)
            return fail(ld, dkey, "a value is required");
        return SY_OK; /* keep the default; an empty section is empty */
    }
    switch (o->type) {
    case OPT_SECTION:
        return walk_mapping(ld, n, o->key, dkey, base, 0);
    case OPT_LISTENERS:
        return set_listeners(ld, n, dkey);
    case OPT_RESOURCES:
        return set_resources(ld, n, dkey, (unsigned *)(void *)field);
    default:
        break;
    }

    /* the rest are scalars */
    if (n->type != YAML_SCALAR_NODE) {
        static const char *const want[] = {
            [OPT_STR] = "a string",         [OPT_PATH] = "a path",     [OPT_BOOL] = "true or false",
            [OPT_INT] = "an integer",       [OPT_SIZE] = "an integer", [OPT_DOUBLE] = "a number",
            [OPT_LOGLEVEL] = "a log level",
        };
        return fail(ld, dkey, "expected %s, not %s", want[o->type], node_kind(n));
    }
    v = (const char *)n->data.scalar.value;
    if (strlen(v) != n->data.scalar.length)
        return fail(ld, dkey, "must not contain NUL characters");
    switch (o->type) {
    case OPT_STR:
    case OPT_PATH:
        if (v[0] == '\0')
            return fail(ld, dkey, "must not be empty");
        if (o->check != NULL && (why = o->check(v)) != NULL)
            return fail(ld, dkey, "\"%.64s\" %s", v, why);
        free(*(char **)(void *)field);
        *(char **)(void *)field = o->type == OPT_PATH ? resolve_path(ld, v) : sy_strdup(v);
        return SY_OK;
    case OPT_BOOL:
        if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
            (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0))
            *(int *)(void *)field = 1;
        else if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                 (strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0))
            *(int *)(void *)field = 0;
        else
            return fail(ld, dkey, "expected true, false, yes or no, not %s\"%.40s\"",
                        n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? "" : "the string ", v);
        return SY_OK;
    case OPT_INT:
    case OPT_SIZE:
        if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || parse_integer(v, &ll) < 0)
            return fail(ld, dkey, "expected an integer from %.0f to %.0f, not %s\"%.40s\"", o->min,
                        o->max,
                        n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? "" : "the string ", v);
        if ((double)ll < o->min || (double)ll > o->max)
            return fail(ld, dkey, "%lld is out of range (%.0f to %.0f)", ll, o->min, o->max);
        if (o->type == OPT_INT)
            *(int *)(void *)field = (int)ll;
        else
            *(size_t *)(void *)field = (size_t)ll;
        return SY_OK;
    case OPT_DOUBLE:
        if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || parse_number(v, &d) < 0)
            return fail(ld, dkey, "expected a number from %.15g to %.15g, not %s\"%.40s\"", o->min,
                        o->max,
                        n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? "" : "the string ", v);
        if (d < o->min || d > o->max)
            return fail(ld, dkey, "%.15g is out of range (%.15g to %.15g)", d, o->min, o->max);
        *(double *)(void *)field = d;
        return SY_OK;
    case OPT_LOGLEVEL: {
        int level = sy_log_level_parse(v);

        if (level < 0)
            return fail(ld, dkey, "expected error, warn, info or debug, not \"%.40s\"", v);
        *(int *)(void *)field = level;
        return SY_OK;
    }
    default:
        return fail(ld, dkey, "internal error: unhandled option type");
    }
}

/* ---- the walk -------------------------------------------------------- */

static const struct opt *
find_option(const char *tkey, unsigned scope)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if ((options[i].flags & OPT_LISTENER) == scope && strcmp(options[i].key, tkey) == 0)
            return &options[i];
    return NULL;
}

/*
 * Walk mapping 'map' whose keys sit under table path 'tprefix' ("" at the
 * top, "listeners[]" in a listener) and display path 'dprefix'
 * ("listeners[0]"), storing into 'base'.
 */
static int
walk_mapping(struct loader *ld, yaml_node_t *map, const char *tprefix, const char *dprefix,
             void *base, unsigned scope)
{
    yaml_node_pair_t *start, *top;

    if (map->type != YAML_MAPPING_NODE)
        return fail(ld, dprefix, "expected a mapping of keys, not %s", node_kind(map));
    start = map->data.mapping.pairs.start;
    top = map->data.mapping.pairs.top;
    for (yaml_node_pair_t *p = start; p < top; p++) {
        yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(ld->doc, p->value);
        char tkey[128], dkey[160];
        const char *name;
        const struct opt *o;
        int rc;

        if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE)
            return fail(ld, dprefix, "keys must be plain strings (line %zu)",
                        (k ? k->start_mark.line : map->start_mark.line) + 1);
        name = (const char *)k->data.scalar.value;
        if (dprefix[0] != '\0')
            snprintf(dkey, sizeof(dkey), "%s.%.64s", dprefix, name);
        else
            snprintf(dkey, sizeof(dkey), "%.64s", name);

        /* duplicates: libyaml keeps both, so look back */
        for (yaml_node_pair_t *q = start; q < p; q++) {
            yaml_node_t *qk = yaml_document_get_node(ld->doc, q->key);

            if (qk != NULL && qk->type == YAML_SCALAR_NODE &&
                strcmp((const char *)qk->data.scalar.value, name) == 0)
                return fail(ld, dkey, "duplicate key (lines %zu and %zu)", qk->start_mark.line + 1,
                            k->start_mark.line + 1);
        }

        o = NULL;
        if (strlen(name) <= CONFIG_MAX_KEY && strpbrk(name, ".[]") == NULL) {
            if (tprefix[0] != '\0')
                snprintf(tkey, sizeof(tkey), "%s.%s", tprefix, name);
            else
                snprintf(tkey, sizeof(tkey), "%s", name);
            o = find_option(tkey, scope);
        }
        if (o == NULL)
            return fail(ld, dkey, "unknown key");
        ld->seen[o - options] = 1;
        if ((rc = set_value(ld, o, v, dkey, base)) != SY_OK)
            return rc;
    }
    return SY_OK;
}

/* Set every option of 'scope' in 'base' to its default. */
static void
apply_defaults(void *base, unsigned scope)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct opt *o = &options[i];
        char *field = (char *)base + o->offset;

        if ((o->flags & OPT_LISTENER) != scope)
            continue;
        switch (o->type) {
        case OPT_STR:
        case OPT_PATH:
            *(char **)(void *)field = o->def_str ? sy_strdup(o->def_str) : NULL;
            break;
        case OPT_BOOL:
        case OPT_INT:
            *(int *)(void *)field = (int)o->def_num;
            break;
        case OPT_SIZE:
            *(size_t *)(void *)field = (size_t)o->def_num;
            break;
        case OPT_DOUBLE:
            *(double *)(void *)field = o->def_num;
            break;
        case OPT_LOGLEVEL:
            *(int *)(void *)field = sy_log_level_parse(o->def_str);
            break;
        case OPT_RESOURCES:
            *(unsigned *)(void *)field = (unsigned)o->def_num;
            break;
        case OPT_SECTION:
        case OPT_LISTENERS:
            break;
        }
    }
}

/* Free every string option of 'scope' in 'base'. */
static void
free_strings(void *base, unsigned scope)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct opt *o = &options[i];

        if ((o->flags & OPT_LISTENER) == scope && (o->type == OPT_STR || o->type == OPT_PATH)) {
            char **p = (char **)(void *)((char *)base + o->offset);

            free(*p);
            *p = NULL;
        }
    }
}

/* Required options of 'scope' that were not seen; under display prefix 'dprefix'. */
static int
check_required(struct loader *ld, unsigned scope, const char *dprefix)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct opt *o = &options[i];
        char dkey[160];

        if ((o->flags & OPT_LISTENER) != scope || !(o->flags & OPT_REQUIRED) || ld->seen[i])
            continue;
        if (scope == OPT_LISTENER)
            snprintf(dkey, sizeof(dkey), "%s.%s", dprefix, o->key + strlen("listeners[]."));
        else
            snprintf(dkey, sizeof(dkey), "%s", o->key);
        return fail(ld, dkey, "required key is missing");
    }
    return SY_OK;
}

static int
set_listeners(struct loader *ld, yaml_node_t *seq, const char *dkey)
{
    struct sy_config *cfg = ld->cfg;
    size_t n;

    if (seq->type != YAML_SEQUENCE_NODE)
        return fail(ld, dkey, "expected a list of listeners, not %s", node_kind(seq));
    n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    if (n == 0)
        return fail(ld, dkey, "at least one listener is required");
    if (n > CONFIG_MAX_LISTENERS)
        return fail(ld, dkey, "at most %d listeners are allowed", CONFIG_MAX_LISTENERS);
    cfg->listeners = sy_calloc(n, sizeof(*cfg->listeners));
    for (size_t i = 0; i < n; i++) {
        struct sy_listener_config *l = &cfg->listeners[i];
        yaml_node_t *item = yaml_document_get_node(ld->doc, seq->data.sequence.items.start[i]);
        char dprefix[192];
        int rc;

        apply_defaults(l, OPT_LISTENER);
        cfg->n_listeners = i + 1; /* so sy_config_free() sees it */
        snprintf(dprefix, sizeof(dprefix), "%s[%zu]", dkey, i);
        for (size_t j = 0; j < N_OPTIONS; j++)
            if (options[j].flags & OPT_LISTENER)
                ld->seen[j] = 0;
        if (item == NULL)
            return fail(ld, dprefix, "missing listener");
        if ((rc = walk_mapping(ld, item, "listeners[]", dprefix, l, OPT_LISTENER)) != SY_OK)
            return rc;
        if ((rc = check_required(ld, OPT_LISTENER, dprefix)) != SY_OK)
            return rc;
        if ((l->tls_certificate == NULL) != (l->tls_private_key == NULL)) {
            char k[240];

            snprintf(k, sizeof(k), "%s.%s", dprefix,
                     l->tls_certificate ? "tls_private_key" : "tls_certificate");
            return fail(ld, k, "tls_certificate and tls_private_key must be set together");
        }
    }
    return SY_OK;
}

static int
online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    if (n < 1)
        return 1;
    return n > 256 ? 256 : (int)n;
}

/* Cross-key rules and derived defaults, after the walk. */
static int
config_finish(struct loader *ld)
{
    struct sy_config *cfg = ld->cfg;
    int rc;

    if ((rc = check_required(ld, 0, "")) != SY_OK)
        return rc;
    if (cfg->database_dsn != NULL && cfg->database_embedded != NULL)
        return fail(ld, "database", "set one of embedded and dsn, not both");
    if (cfg->database_dsn == NULL && cfg->database_embedded == NULL)
        return fail(ld, "database", "one of database.embedded or database.dsn is required");

    if (cfg->public_baseurl == NULL) {
        size_t n = strlen(cfg->server_name) + sizeof("https:///");

        cfg->public_baseurl = sy_malloc(n);
        snprintf(cfg->public_baseurl, n, "https://%s/", cfg->server_name);
    } else if (cfg->public_baseurl[strlen(cfg->public_baseurl) - 1] != '/') {
        size_t n = strlen(cfg->public_baseurl) + 2;
        char *u = sy_malloc(n);

        snprintf(u, n, "%s/", cfg->public_baseurl);
        free(cfg->public_baseurl);
        cfg->public_baseurl = u;
    }
    if (cfg->signing_key_path == NULL)
        cfg->signing_key_path = resolve_path(ld, "signing.key");
    if (cfg->worker_threads == 0)
        cfg->worker_threads = online_cores();
    return SY_OK;
}

/* ---- entry points ------------------------------------------------------ */

/* Absolute directory of 'path'; NULL and err filled if it cannot be resolved. */
static char *
config_dir(struct loader *ld, const char *path)
{
    char *real = realpath(path, NULL), *slash;

    if (real == NULL) {
        sy_error_set(ld->err, SY_EIO, 0, "M_UNKNOWN", "%s: could not resolve path: %s", path,
                     strerror(errno));
        return NULL;
    }
    slash = strrchr(real, '/');
    if (slash == real)
        slash[1] = '\0'; /* the file sits in "/" */
    else
        *slash = '\0';
    return real;
}

int
sy_config_load(const char *path, struct sy_config **out, struct sy_error *err)
{
    struct loader ld = {.file = path, .err = err};
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    yaml_node_t *root;
    struct stat st;
    size_t line;
    FILE *f;
    int rc;

    *out = NULL;
    if ((f = fopen(path, "rb")) == NULL)
        return sy_error_set(err, SY_EIO, 0, "M_UNKNOWN", "%s: could not open: %s", path,
                            strerror(errno));
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return sy_error_set(err, SY_EINVAL, 0, "M_UNKNOWN", "%s: not a regular file", path);
    }
    if (st.st_size > CONFIG_MAX_FILE) {
        fclose(f);
        return sy_error_set(err, SY_EINVAL, 0, "M_UNKNOWN", "%s: larger than %d bytes", path,
                            CONFIG_MAX_FILE);
    }
    if ((ld.dir = config_dir(&ld, path)) == NULL) {
        fclose(f);
        return err ? err->code : SY_EIO;
    }

    if (!yaml_parser_initialize(&parser))
        sy_oom();
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &doc)) {
        if (parser.error == YAML_MEMORY_ERROR)
            sy_oom();
        /* at end of input, the line where the unfinished construct began helps more */
        line = parser.problem_mark.line + 1;
        if (parser.context != NULL && parser.problem != NULL &&
            strstr(parser.problem, "end of stream") != NULL)
            line = parser.context_mark.line + 1;
        rc = sy_error_set(err, SY_EINVAL, 0, "M_UNKNOWN", "%s:%zu: %s%s%s%s", path, line,
                          parser.problem ? parser.problem : "syntax error",
                          parser.context ? " (" : "", parser.context ? parser.context : "",
                          parser.context ? ")" : "");
        yaml_parser_delete(&parser);
        fclose(f);
        free(ld.dir);
        return rc;
    }

    /* one document only */
    if (!yaml_parser_load(&parser, &extra)) {
        rc = sy_error_set(err, SY_EINVAL, 0, "M_UNKNOWN", "%s:%zu: %s", path,
                          parser.problem_mark.line + 1,
                          parser.problem ? parser.problem : "syntax error");
        goto out_doc;
    }
    root = yaml_document_get_root_node(&extra);
    if (root != NULL) {
        rc = sy_error_set(err, SY_EINVAL, 0, "M_UNKNOWN",
                          "%s:%zu: only one YAML document is allowed", path,
                          extra.start_mark.line + 1);
        yaml_document_delete(&extra);
        goto out_doc;
    }
    yaml_document_delete(&extra);

    ld.doc = &doc;
    ld.cfg = sy_calloc(1, sizeof(*ld.cfg));
    ld.cfg->path = sy_strdup(path);
    apply_defaults(ld.cfg, 0);
    root = yaml_document_get_root_node(&doc);
    if (root == NULL)
        rc = fail(&ld, NULL,
                  "empty configuration (server_name, listeners and database are "
                  "required)");
    else if (root->type != YAML_MAPPING_NODE)
        rc = fail(&ld, NULL, "the top level must be a mapping of keys, not %s", node_kind(root));
    else if ((rc = walk_mapping(&ld, root, "", "", ld.cfg, 0)) == SY_OK)
        rc = config_finish(&ld);
    if (rc == SY_OK) {
        *out = ld.cfg;
        ld.cfg = NULL;
    }
    sy_config_free(ld.cfg);

out_doc:
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(f);
    free(ld.dir);
    return rc;
}

void
sy_config_free(struct sy_config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < cfg->n_listeners; i++)
        free_strings(&cfg->listeners[i], OPT_LISTENER);
    free(cfg->listeners);
    free_strings(cfg, 0);
    free(cfg->path);
    free(cfg);
}

/* Append 's' as a double-quoted YAML scalar. */
static void
put_quoted(struct sy_buf *b, const char *s)
{
    sy_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            sy_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            sy_buf_printf(b, "\\x%02x", *p);
        else
            sy_buf_putc(b, (char)*p);
    }
    sy_buf_putc(b, '"');
}

int
sy_config_write_default(const char *path, const char *server_name, int port,
                        const char *embedded_dir, const char *signing_key_path,
                        struct sy_error *err)
{
    struct sy_buf b;
    const char *why;
    size_t off = 0;
    int fd, rc = SY_OK;

    if ((why = check_server_name(server_name)) != NULL)
        return sy_error_set(err, SY_EINVAL, 0, "M_UNKNOWN", "server_name: \"%.64s\" %s",
                            server_name, why);
    if (port < 1 || port > 65535)
        return sy_error_set(err, SY_EINVAL, 0, "M_UNKNOWN", "port: %d is out of range (1 to 65535)",
                            port);
    if (embedded_dir == NULL || embedded_dir[0] == '\0')
        embedded_dir = "pgdata";

    sy_buf_init(&b, 0);
    sy_buf_puts(&b, "# syncro.yaml -- Syncro homeserver configuration; see syncro.yaml(5).\n"
                    "# Relative paths are relative to the directory of this file.\n"
                    "\n"
                    "# The domain part of every user and room ID.  It cannot be changed once\n"
                    "# users exist.\n"
                    "server_name: ");
    put_quoted(&b, server_name);
    sy_buf_puts(&b, "\n\n# Where clients reach this server (default https://<server_name>/).\n"
                    "#public_baseurl: \"https://example.org/\"\n\n"
                    "# ed25519 key this server signs events and requests with.\n");
    if (signing_key_path != NULL && signing_key_path[0] != '\0') {
        sy_buf_puts(&b, "signing_key_path: ");
        put_quoted(&b, signing_key_path);
        sy_buf_puts(&b, "\n");
    } else {
        sy_buf_puts(&b, "#signing_key_path: \"signing.key\"\n");
    }
    sy_buf_printf(&b,
                  "\n"
                  "listeners:\n"
                  "  - address: 127.0.0.1\n"
                  "    port: %d\n"
                  "    # tls_certificate: \"cert.pem\"   # set both to serve TLS directly\n"
                  "    # tls_private_key: \"key.pem\"\n"
                  "    resources: [client, federation]\n"
                  "\n"
                  "# PostgreSQL: an embedded cluster this server runs itself, or an\n"
                  "# external one given by a libpq connection string (dsn).\n"
                  "database:\n"
                  "  embedded: ",
                  port);
    put_quoted(&b, embedded_dir);
    sy_buf_puts(&b, "\n"
                    "  #dsn: \"host=/run/postgresql dbname=syncro\"\n"
                    "\n"
                    "#worker_threads: 4       # default: number of online cores\n"
                    "log_level: info          # error, warn, info or debug\n"
                    "#log_file: \"syncro.log\"  # default: standard error\n"
                    "\n"
                    "registration:\n"
                    "  enabled: true\n"
                    "  requires_token: false\n"
                    "  #shared_secret: \"change me\"\n"
                    "  guest_access: false\n"
                    "\n"
                    "rate_limits:\n"
                    "  enabled: true\n"
                    "  login: {per_second: 0.17, burst: 3}\n"
                    "  register: {per_second: 0.17, burst: 3}\n"
                    "\n"
                    "limits:\n"
                    "  max_request_body: 131072\n"
                    "  max_json_depth: 64\n"
                    "\n"
                    "password:\n"
                    "  log_n: 15\n"
                    "  min_length: 8\n"
                    "\n"
                    "default_room_version: \"11\"\n");

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;

        sy_buf_free(&b);
        if (e == EEXIST)
            return sy_error_set(err, SY_ECONFLICT, 0, "M_UNKNOWN", "%s: already exists", path);
        return sy_error_set(err, SY_EIO, 0, "M_UNKNOWN", "%s: could not create: %s", path,
                            strerror(e));
    }
    while (off < b.len) {
        ssize_t w = write(fd, b.data + off, b.len - off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = sy_error_set(err, SY_EIO, 0, "M_UNKNOWN", "%s: could not write: %s", path,
                              strerror(errno));
            break;
        }
        off += (size_t)w;
    }
    if (rc == SY_OK && fsync(fd) < 0)
        rc = sy_error_set(err, SY_EIO, 0, "M_UNKNOWN", "%s: could not sync: %s", path,
                          strerror(errno));
    if (close(fd) < 0 && rc == SY_OK)
        rc = sy_error_set(err, SY_EIO, 0, "M_UNKNOWN", "%s: could not close: %s", path,
                          strerror(errno));
    if (rc != SY_OK)
        unlink(path);
    sy_buf_free(&b);
    return rc;
}
