/*
 * t/unit/config.c -- sy_config_load() and sy_config_write_default().
 *
 * Every case writes a YAML file into a fresh mkdtemp() directory, loads it
 * and checks either the parsed struct or the exact "FILE: KEY: why"
 * message.  The directory is removed at the end.
 */
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "t/lib/tap.h"
#include "util/err.h"
#include "util/log.h"

static char dir[PATH_MAX]; /* realpath of the temp dir */
static int nfiles;

/* Write 'text' to a new file in the temp dir; returns its path (static). */
static const char *
write_file(const char *text)
{
    static char path[PATH_MAX + 32];
    FILE *f;

    snprintf(path, sizeof(path), "%s/c%d.yaml", dir, ++nfiles);
    f = fopen(path, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
        diag("could not write %s", path);
        exit(1);
    }
    return path;
}

/* Load 'text'; on success *out is set (caller frees).  Returns the code. */
static int
load(const char *text, struct sy_config **out, struct sy_error *err)
{
    memset(err, 0, sizeof(*err));
    return sy_config_load(write_file(text), out, err);
}

/*
 * Expect 'text' to be rejected; 'want' is the message after "FILE: ".
 * A 'want' ending in '*' matches as a prefix.
 */
static void
rejects(const char *text, const char *want, const char *name)
{
    struct sy_config *cfg = NULL;
    struct sy_error err;
    char expect[PATH_MAX + 512];
    size_t n;
    int rc = load(text, &cfg, &err);

    snprintf(expect, sizeof(expect), "%s/c%d.yaml%s%s", dir, nfiles, want[0] == ':' ? "" : ": ",
             want);
    n = strlen(expect);
    if (n > 0 && expect[n - 1] == '*') {
        expect[--n] = '\0';
        ok(rc == SY_EINVAL && cfg == NULL && strncmp(err.msg, expect, n) == 0, "%s", name);
    } else {
        ok(rc == SY_EINVAL && cfg == NULL && strcmp(err.msg, expect) == 0, "%s", name);
    }
    if (rc != SY_EINVAL || strncmp(err.msg, expect, n) != 0)
        diag("rc %d, got \"%s\", want \"%s\"", rc, err.msg, expect);
    sy_config_free(cfg);
}

#define BASE "server_name: example.org\nlisteners:\n  - port: 8008\n"
#define DB "database:\n  embedded: pg\n"

static void
test_full(void)
{
    struct sy_config *cfg = NULL;
    struct sy_error err;
    char want[PATH_MAX + 64];
    int rc;

    rc = load("# a complete file\n"
              "server_name: example.org:8448\n"
              "public_baseurl: http://matrix.example.org/base\n"
              "signing_key_path: /etc/syncro/signing.key\n"
              "listeners:\n"
              "  - address: 0.0.0.0\n"
              "    port: 8448\n"
              "    tls_certificate: /etc/ssl/cert.pem\n"
              "    tls_private_key: /etc/ssl/key.pem\n"
              "    resources: [federation]\n"
              "  - address: \"::1\"\n"
              "    port: 8008\n"
              "    resources:\n"
              "      - client\n"
              "      - media\n"
              "      - admin\n"
              "      - health\n"
              "database:\n"
              "  dsn: \"host=/tmp/x dbname=syncro\"\n"
              "worker_threads: 7\n"
              "log_level: debug\n"
              "log_file: /var/log/syncro.log\n"
              "registration:\n"
              "  enabled: yes\n"
              "  requires_token: true\n"
              "  shared_secret: \"s3cret: with colon\"\n"
              "  guest_access: True\n"
              "rate_limits:\n"
              "  enabled: no\n"
              "  login:    {per_second: 0.5, burst: 10}\n"
              "  register: {per_second: 2, burst: 1}\n"
              "limits:\n"
              "  max_request_body: 1048576\n"
              "  max_json_depth: 100\n"
              "password:\n"
              "  log_n: 10\n"
              "  min_length: 0\n"
              "default_room_version: \"10\"\n",
              &cfg, &err);
    is_int(rc, SY_OK, "full file loads");
    if (cfg == NULL) {
        diag("%s", err.msg);
        return;
    }
    snprintf(want, sizeof(want), "%s/c%d.yaml", dir, nfiles);
    is_str(cfg->path, want, "path kept");
    is_str(cfg->server_name, "example.org:8448", "server_name");
    is_str(cfg->public_baseurl, "http://matrix.example.org/base/", "public_baseurl gets a slash");
    is_str(cfg->signing_key_path, "/etc/syncro/signing.key", "absolute signing_key_path kept");
    is_int((int)cfg->n_listeners, 2, "two listeners");
    if (cfg->n_listeners == 2) {
        is_str(cfg->listeners[0].address, "0.0.0.0", "listener 0 address");
        is_int(cfg->listeners[0].port, 8448, "listener 0 port");
        is_str(cfg->listeners[0].tls_certificate, "/etc/ssl/cert.pem", "listener 0 cert");
        is_str(cfg->listeners[0].tls_private_key, "/etc/ssl/key.pem", "listener 0 key");
        is_int((int)cfg->listeners[0].resources, SY_RES_FEDERATION, "listener 0 resources");
        is_str(cfg->listeners[1].address, "::1", "listener 1 IPv6 address");
        is_int(cfg->listeners[1].port, 8008, "listener 1 port");
        ok(cfg->listeners[1].tls_certificate == NULL && cfg->listeners[1].tls_private_key == NULL,
           "listener 1 without TLS");
        is_int((int)cfg->listeners[1].resources,
               SY_RES_CLIENT | SY_RES_MEDIA | SY_RES_ADMIN | SY_RES_HEALTH,
               "listener 1 resources in block list");
    }
    is_str(cfg->database_dsn, "host=/tmp/x dbname=syncro", "database.dsn");
    ok(cfg->database_embedded == NULL, "no embedded database");
    is_int(cfg->worker_threads, 7, "worker_threads");
    is_int(cfg->log_level, SY_LOG_DEBUG, "log_level debug");
    is_str(cfg->log_file, "/var/log/syncro.log", "log_file");
    is_int(cfg->registration_enabled, 1, "registration.enabled yes");
    is_int(cfg->registration_requires_token, 1, "registration.requires_token");
    is_str(cfg->registration_shared_secret, "s3cret: with colon", "shared_secret");
    is_int(cfg->guest_access, 1, "guest_access True");
    is_int(cfg->rate_limits_enabled, 0, "rate_limits.enabled no");
    ok(cfg->rl_login.per_second == 0.5 && cfg->rl_login.burst == 10, "login rate limit");
    ok(cfg->rl_register.per_second == 2.0 && cfg->rl_register.burst == 1,
       "register rate limit (integer accepted as number)");
    is_int((int)cfg->max_request_body, 1048576, "max_request_body");
    is_int(cfg->max_json_depth, 100, "max_json_depth");
    is_int(cfg->password_log_n, 10, "password.log_n");
    is_int(cfg->password_min_length, 0, "password.min_length 0");
    is_str(cfg->default_room_version, "10", "default_room_version");
    sy_config_free(cfg);
}

static void
test_defaults(void)
{
    struct sy_config *cfg = NULL;
    struct sy_error err;
    char want[PATH_MAX + 64];
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int rc;

    rc = load(BASE DB, &cfg, &err);
    is_int(rc, SY_OK, "minimal file loads");
    if (cfg == NULL) {
        diag("%s", err.msg);
        return;
    }
    is_str(cfg->public_baseurl, "https://example.org/", "public_baseurl default");
    snprintf(want, sizeof(want), "%s/signing.key", dir);
    is_str(cfg->signing_key_path, want, "signing_key_path default next to the file");
    is_str(cfg->listeners[0].address, "127.0.0.1", "address default");
    is_int((int)cfg->listeners[0].resources,
           SY_RES_CLIENT | SY_RES_FEDERATION | SY_RES_MEDIA | SY_RES_HEALTH, "resources default");
    ok(cfg->listeners[0].tls_certificate == NULL, "no TLS by default");
    is_int(cfg->worker_threads,
           cores < 1     ? 1
           : cores > 256 ? 256
                         : (int)cores,
           "worker_threads defaults to online cores");
    is_int(cfg->log_level, SY_LOG_INFO, "log_level default info");
    ok(cfg->log_file == NULL, "log_file default unset");
    ok(cfg->database_dsn == NULL, "dsn unset");
    is_int(cfg->registration_enabled, 0, "registration off by default");
    is_int(cfg->registration_requires_token, 0, "requires_token off by default");
    ok(cfg->registration_shared_secret == NULL, "shared_secret unset");
    is_int(cfg->guest_access, 0, "guest_access off by default");
    is_int(cfg->rate_limits_enabled, 1, "rate limits on by default");
    ok(cfg->rl_login.per_second == 0.17 && cfg->rl_login.burst == 3, "login limit default");
    ok(cfg->rl_register.per_second == 0.17 && cfg->rl_register.burst == 3,
       "register limit default");
    is_int((int)cfg->max_request_body, 131072, "max_request_body default");
    is_int(cfg->max_json_depth, 64, "max_json_depth default");
    is_int(cfg->password_log_n, 15, "log_n default");
    is_int(cfg->password_min_length, 8, "min_length default");
    is_str(cfg->default_room_version, "11", "room version default");
    sy_config_free(cfg);

    /* null values and empty sections keep the defaults */
    rc = load(BASE DB "registration:\nlog_file: ~\nrate_limits:\n  login: {}\n", &cfg, &err);
    ok(rc == SY_OK && cfg && cfg->log_file == NULL && cfg->rl_login.burst == 3,
       "empty sections and null values keep defaults");
    sy_config_free(cfg);
}

static void
test_errors(void)
{
    rejects("listeners:\n  - port: 8008\n" DB, "server_name: required key is missing",
            "missing server_name");
    rejects("server_name: example.org\n" DB, "listeners: required key is missing",
            "missing listeners");
    rejects("server_name: example.org\nlisteners: []\n" DB,
            "listeners: at least one listener is required", "empty listeners");
    rejects("server_name: example.org\nlisteners:\n  - address: ::1\n" DB,
            "listeners[0].port: required key is missing", "listener without port");
    rejects("", ": empty configuration*", "empty file");
    rejects("- a\n- b\n", ": the top level must be a mapping of keys, not a list",
            "top level list");

    /* unknown keys, at every level */
    rejects(BASE DB "sever_name: x\n", "sever_name: unknown key", "unknown top-level key");
    rejects(BASE DB "registration:\n  enable: true\n", "registration.enable: unknown key",
            "unknown nested key");
    rejects("server_name: example.org\nlisteners:\n  - port: 1\n  - port: 2\n    bind: x\n" DB,
            "listeners[1].bind: unknown key", "unknown listener key names the index");
    rejects(BASE DB "rate_limits:\n  login: {per_second: 1, bursts: 3}\n",
            "rate_limits.login.bursts: unknown key", "unknown key three deep");
    rejects(BASE DB "registration.enabled: true\n", "registration.enabled: unknown key",
            "dotted key at top level is not a path");
    rejects(BASE DB "port: 8008\n", "port: unknown key", "listener key at top level");

    /* ports and numbers */
    rejects("server_name: example.org\nlisteners:\n  - port: 70000\n" DB,
            "listeners[0].port: 70000 is out of range (1 to 65535)", "port too large");
    rejects("server_name: example.org\nlisteners:\n  - port: 0\n" DB,
            "listeners[0].port: 0 is out of range (1 to 65535)", "port zero");
    rejects("server_name: example.org\nlisteners:\n  - port: abc\n" DB,
            "listeners[0].port: expected an integer from 1 to 65535, not \"abc\"",
            "port not a number");
    rejects("server_name: example.org\nlisteners:\n  - port: \"8008\"\n" DB,
            "listeners[0].port: expected an integer from 1 to 65535, not the string \"8008\"",
            "quoted number is a string");
    rejects("server_name: example.org\nlisteners:\n  - port: 80.5\n" DB,
            "listeners[0].port: expected an integer from 1 to 65535, not \"80.5\"",
            "fractional port");
    rejects(BASE DB "worker_threads: 0\n", "worker_threads: 0 is out of range (1 to 256)",
            "worker_threads 0");
    rejects(BASE DB "limits:\n  max_request_body: 100\n",
            "limits.max_request_body: 100 is out of range (1024 to 67108864)",
            "max_request_body too small");
    rejects(BASE DB "password:\n  log_n: 21\n", "password.log_n: 21 is out of range (4 to 20)",
            "log_n too large");
    rejects(BASE DB "rate_limits:\n  login: {per_second: -1}\n",
            "rate_limits.login.per_second: -1 is out of range (0 to 1000000)", "negative rate");
    rejects(BASE DB "rate_limits:\n  login: {per_second: .nan}\n",
            "rate_limits.login.per_second: expected a number from 0 to 1000000, not \".nan\"",
            "nan rate");

    /* types */
    rejects(BASE DB "registration:\n  enabled: maybe\n",
            "registration.enabled: expected true, false, yes or no, not \"maybe\"", "bad boolean");
    rejects(BASE DB "registration:\n  enabled: \"true\"\n",
            "registration.enabled: expected true, false, yes or no, not the string \"true\"",
            "quoted boolean");
    rejects(BASE DB "registration: [a, b]\n",
            "registration: expected a mapping of keys, not a list", "list for a section");
    rejects(BASE DB "log_level: [info]\n", "log_level: expected a log level, not a list",
            "list for a scalar");
    rejects(BASE DB "log_level: loud\n",
            "log_level: expected error, warn, info or debug, not \"loud\"", "bad log level");
    rejects(BASE DB "limits:\n  max_json_depth: {a: 1}\n",
            "limits.max_json_depth: expected an integer, not a mapping", "mapping for an integer");
    rejects("server_name: example.org\nlisteners: {port: 8008}\n" DB,
            "listeners: expected a list of listeners, not a mapping", "listeners not a list");
    rejects("server_name: example.org\nlisteners:\n  - 8008\n" DB,
            "listeners[0]: expected a mapping of keys, not a plain scalar",
            "listener not a mapping");
    rejects("server_name:\n" DB, "server_name: a value is required", "null server_name");
    rejects(BASE DB "registration:\n  shared_secret: \"\"\n",
            "registration.shared_secret: must not be empty", "empty string");

    /* database */
    rejects(BASE, "database: one of database.embedded or database.dsn is required", "no database");
    rejects(BASE "database:\n  embedded: pg\n  dsn: dbname=x\n",
            "database: set one of embedded and dsn, not both", "both embedded and dsn");

    /* TLS and resources */
    rejects("server_name: example.org\nlisteners:\n  - port: 8448\n    tls_certificate: c.pem\n" DB,
            "listeners[0].tls_private_key: tls_certificate and tls_private_key must be set "
            "together",
            "certificate without key");
    rejects("server_name: example.org\nlisteners:\n  - port: 8448\n    tls_private_key: k.pem\n" DB,
            "listeners[0].tls_certificate: tls_certificate and tls_private_key must be set "
            "together",
            "key without certificate");
    rejects("server_name: example.org\nlisteners:\n  - port: 1\n    resources: [client, web]\n" DB,
            "listeners[0].resources: unknown resource \"web\" (expected client, federation, "
            "media, admin or health)",
            "bad resource name");
    rejects("server_name: example.org\nlisteners:\n  - port: 1\n    resources: []\n" DB,
            "listeners[0].resources: must list at least one resource", "no resources");
    rejects("server_name: example.org\nlisteners:\n  - port: 1\n    resources: client\n" DB,
            "listeners[0].resources: expected a list of resource names, not a plain scalar",
            "resources not a list");
    rejects("server_name: example.org\nlisteners:\n  - port: 1\n    address: localhost\n" DB,
            "listeners[0].address: \"localhost\" must be an IPv4 or IPv6 address (no brackets, "
            "no host names)",
            "host name as address");

    /* duplicates */
    rejects(BASE DB "log_level: info\nlog_level: debug\n",
            "log_level: duplicate key (lines 6 and 7)", "duplicate top-level key");
    rejects(BASE DB "registration:\n  enabled: true\n  enabled: false\n",
            "registration.enabled: duplicate key (lines 7 and 8)", "duplicate nested key");
    rejects("server_name: example.org\nlisteners:\n  - port: 1\n    port: 2\n" DB,
            "listeners[0].port: duplicate key (lines 3 and 4)", "duplicate listener key");

    /* YAML syntax */
    rejects("server_name: example.org\nlisteners:\n  - port: 8008\n   bad: [\n", ":4: *",
            "syntax error names the line");
    rejects(BASE DB "registration:\n  enabled: true\n enabled: false\n", ":8: *",
            "bad indentation names the line");
    rejects(BASE DB "server_name: \"unterminated\n", ":6: *", "unterminated quote");
    rejects(BASE DB "---\nserver_name: other\n", ":6: only one YAML document is allowed",
            "second document");
}

static void
test_values(void)
{
    static const char *const good[] = {
        "example.org", "matrix.example.org:8448", "localhost", "1.2.3.4", "1.2.3.4:1",
        "[::1]",       "[2001:db8::1]:8448",      "a-b.c",
    };
    static const char *const bad[] = {
        "example.org:0", "example.org:65536", "exa mple.org", "::1",
        "[::1",          "[zz::1]",           "example.org:", "-a.org",
        "a..org",        "a_b.org",           "example.org.", "[::1]:x",
        "ex\\u00e9.org", "example.org:8448x",
    };
    char text[256];
    struct sy_config *cfg;
    struct sy_error err;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        cfg = NULL;
        snprintf(text, sizeof(text), "server_name: \"%s\"\nlisteners:\n  - port: 8008\n" DB,
                 good[i]);
        ok(load(text, &cfg, &err) == SY_OK, "server name %s accepted", good[i]);
        if (cfg == NULL)
            diag("%s", err.msg);
        sy_config_free(cfg);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfg = NULL;
        snprintf(text, sizeof(text), "server_name: \"%s\"\nlisteners:\n  - port: 8008\n" DB,
                 bad[i]);
        ok(load(text, &cfg, &err) == SY_EINVAL && strstr(err.msg, ": server_name: \"") != NULL,
           "server name %s rejected", bad[i]);
        sy_config_free(cfg);
    }

    cfg = NULL;
    ok(load("server_name: \"[::1]:8448\"\nlisteners:\n  - port: 8008\n" DB, &cfg, &err) == SY_OK &&
           strcmp(cfg->public_baseurl, "https://[::1]:8448/") == 0,
       "public_baseurl default from an IPv6 server name");
    sy_config_free(cfg);
    cfg = NULL;
    ok(load(BASE DB "public_baseurl: https://m.example.org/\n", &cfg, &err) == SY_OK &&
           strcmp(cfg->public_baseurl, "https://m.example.org/") == 0,
       "public_baseurl with slash kept as is");
    sy_config_free(cfg);
    rejects(BASE DB "public_baseurl: ftp://example.org/\n",
            "public_baseurl: \"ftp://example.org/\" must start with http:// or https://",
            "public_baseurl scheme");
    rejects(BASE DB "public_baseurl: https://\n", "public_baseurl: \"https://\" has no host",
            "public_baseurl without host");
    rejects(BASE DB "default_room_version: \"5\"\n",
            "default_room_version: \"5\" must be one of \"6\" to \"12\"", "room version 5");
    cfg = NULL;
    ok(load(BASE DB "default_room_version: 12\n", &cfg, &err) == SY_OK &&
           strcmp(cfg->default_room_version, "12") == 0,
       "unquoted room version read as a string");
    sy_config_free(cfg);
}

static void
test_paths(void)
{
    struct sy_config *cfg = NULL;
    struct sy_error err;
    char want[PATH_MAX + 64], rel[PATH_MAX + 64], cwd[PATH_MAX];
    int rc;

    rc = load("server_name: example.org\n"
              "signing_key_path: keys/signing.key\n"
              "log_file: ../syncro.log\n"
              "listeners:\n"
              "  - port: 8448\n"
              "    tls_certificate: tls/cert.pem\n"
              "    tls_private_key: /abs/key.pem\n"
              "database:\n"
              "  embedded: var/pg\n",
              &cfg, &err);
    is_int(rc, SY_OK, "file with relative paths loads");
    if (cfg == NULL) {
        diag("%s", err.msg);
        return;
    }
    snprintf(want, sizeof(want), "%s/keys/signing.key", dir);
    is_str(cfg->signing_key_path, want, "signing_key_path relative to the config dir");
    snprintf(want, sizeof(want), "%s/../syncro.log", dir);
    is_str(cfg->log_file, want, "log_file relative to the config dir");
    snprintf(want, sizeof(want), "%s/tls/cert.pem", dir);
    is_str(cfg->listeners[0].tls_certificate, want, "tls_certificate relative");
    is_str(cfg->listeners[0].tls_private_key, "/abs/key.pem", "absolute tls_private_key kept");
    snprintf(want, sizeof(want), "%s/var/pg", dir);
    is_str(cfg->database_embedded, want, "database.embedded relative");
    sy_config_free(cfg);

    /* loading through a relative path still resolves against the file's dir */
    cfg = NULL;
    write_file(BASE "database:\n  embedded: pg\n");
    snprintf(rel, sizeof(rel), "c%d.yaml", nfiles);
    if (getcwd(cwd, sizeof(cwd)) != NULL && chdir(dir) == 0) {
        rc = sy_config_load(rel, &cfg, &err);
        snprintf(want, sizeof(want), "%s/pg", dir);
        ok(rc == SY_OK && strcmp(cfg->database_embedded, want) == 0 && strcmp(cfg->path, rel) == 0,
           "relative config path resolves to an absolute data dir");
        sy_config_free(cfg);
        if (chdir(cwd) != 0)
            diag("could not chdir back");
    } else {
        ok(0, "relative config path resolves to an absolute data dir");
    }

    memset(&err, 0, sizeof(err));
    cfg = NULL;
    snprintf(want, sizeof(want), "%s/nonexistent.yaml", dir);
    ok(sy_config_load(want, &cfg, &err) == SY_EIO && cfg == NULL &&
           strstr(err.msg, "nonexistent.yaml: could not open") != NULL,
       "missing file is an I/O error");
}

static void
test_write_default(void)
{
    struct sy_config *cfg = NULL;
    struct sy_error err = {0};
    char path[PATH_MAX + 32], want[PATH_MAX + 64];
    struct stat st;
    int rc;

    snprintf(path, sizeof(path), "%s/syncro.yaml", dir);
    rc = sy_config_write_default(path, "node1.test:8448", 18008, "pgdata", "keys/node1.key", &err);
    is_int(rc, SY_OK, "write_default succeeds");
    ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "config written with mode 0600");
    rc = sy_config_load(path, &cfg, &err);
    is_int(rc, SY_OK, "written config loads back");
    if (cfg == NULL) {
        diag("%s", err.msg);
    } else {
        is_str(cfg->server_name, "node1.test:8448", "round trip server_name");
        is_str(cfg->public_baseurl, "https://node1.test:8448/", "round trip baseurl default");
        snprintf(want, sizeof(want), "%s/keys/node1.key", dir);
        is_str(cfg->signing_key_path, want, "round trip signing key path");
        snprintf(want, sizeof(want), "%s/pgdata", dir);
        is_str(cfg->database_embedded, want, "round trip embedded dir");
        ok(cfg->database_dsn == NULL, "round trip no dsn");
        is_int((int)cfg->n_listeners, 1, "round trip one listener");
        is_str(cfg->listeners[0].address, "127.0.0.1", "round trip address");
        is_int(cfg->listeners[0].port, 18008, "round trip port");
        is_int((int)cfg->listeners[0].resources, SY_RES_CLIENT | SY_RES_FEDERATION,
               "round trip resources client+federation");
        ok(cfg->listeners[0].tls_certificate == NULL, "round trip no TLS");
        is_int(cfg->registration_enabled, 1, "round trip registration enabled");
        is_int(cfg->rate_limits_enabled, 1, "round trip rate limits on");
        sy_config_free(cfg);
    }

    rc = sy_config_write_default(path, "node1.test", 18008, "pgdata", NULL, &err);
    is_int(rc, SY_ECONFLICT, "write_default refuses to overwrite");

    /* odd characters in paths survive the quoting */
    snprintf(path, sizeof(path), "%s/odd.yaml", dir);
    cfg = NULL;
    rc = sy_config_write_default(path, "odd.test", 8008, "/srv/my \"pg\" dir: #1\\x", NULL, &err);
    if (rc == SY_OK)
        rc = sy_config_load(path, &cfg, &err);
    ok(rc == SY_OK && strcmp(cfg->database_embedded, "/srv/my \"pg\" dir: #1\\x") == 0,
       "quoted embedded dir round trips");
    if (cfg != NULL) {
        snprintf(want, sizeof(want), "%s/signing.key", dir);
        is_str(cfg->signing_key_path, want, "no signing key path means the default");
    } else {
        ok(0, "no signing key path means the default");
    }
    sy_config_free(cfg);

    snprintf(path, sizeof(path), "%s/bad.yaml", dir);
    is_int(sy_config_write_default(path, "bad name", 8008, "pg", NULL, &err), SY_EINVAL,
           "write_default rejects a bad server name");
    is_int(sy_config_write_default(path, "ok.test", 0, "pg", NULL, &err), SY_EINVAL,
           "write_default rejects port 0");
    ok(access(path, F_OK) != 0, "nothing written on bad arguments");
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

int
main(void)
{
    char tmpl[] = "/tmp/sy-config-XXXXXX";

    if (mkdtemp(tmpl) == NULL || realpath(tmpl, dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_full();
    test_defaults();
    test_errors();
    test_values();
    test_paths();
    test_write_default();
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return done_testing();
}
