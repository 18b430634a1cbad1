/*
 * tools/syncroctl.c -- the admin CLI.
 *
 * Offline verbs work on the config file and the database directly:
 * init, keygen, migrate, user ..., regtoken ...  Every verb takes --help.
 * When the config names an embedded database that is not running, the
 * verb starts it for its own use and stops it again afterwards.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "accounts.h"
#include "config.h"
#include "crypto/ed25519.h"
#include "db/db.h"
#include "db/embedded.h"
#include "db/regtokens.h"
#include "db/users.h"
#include "userid.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/log.h"
#include "util/rand.h"
#include "util/time.h"

#define DEFAULT_CONFIG "var/syncro.yaml"

struct ctl {
    const char *config_path;
    struct sy_config *cfg;
    struct sy_db *db;
    struct sy_arena *arena;
    char *embedded_dsn;
    int embedded_started;
};

struct verb {
    const char *name;
    const char *args;
    const char *help;
    int (*run)(struct ctl *c, int argc, char **argv);
};

static const struct verb verbs[];

static int
fail(const char *fmt, const struct sy_error *err)
{
    fprintf(stderr, "syncroctl: %s", err->msg);
    if (err->log_detail[0])
        fprintf(stderr, " (%s)", err->log_detail);
    fprintf(stderr, "%s\n", fmt);
    return 1;
}

static int
load_config(struct ctl *c)
{
    struct sy_error err = {0};

    if (c->cfg != NULL)
        return 0;
    if (sy_config_load(c->config_path, &c->cfg, &err) != SY_OK)
        return fail("", &err);
    return 0;
}

/* Connect, starting the embedded database when it is configured and not running. */
static int
open_db(struct ctl *c, int prepare)
{
    struct sy_error err = {0};
    const char *dsn;
    int applied;

    if (load_config(c) != 0)
        return 1;
    dsn = c->cfg->database_dsn;
    if (c->cfg->database_embedded != NULL) {
        if (sy_db_embedded_start(c->cfg->database_embedded, &c->embedded_dsn,
                                 &c->embedded_started, &err) != SY_OK)
            return fail("", &err);
        dsn = c->embedded_dsn;
    }
    if (sy_db_connect(dsn, 0, &c->db, &err) != SY_OK)
        return fail("", &err);
    /* Verbs that use tables make sure the schema is there first. */
    if (prepare) {
        sy_db_close(c->db);
        c->db = NULL;
        if (sy_db_connect(dsn, 0, &c->db, &err) != SY_OK ||
            sy_db_migrate(c->db, &applied, &err) != SY_OK)
            return fail("", &err);
        sy_db_close(c->db);
        c->db = NULL;
        if (sy_db_connect(dsn, 1, &c->db, &err) != SY_OK)
            return fail("", &err);
    }
    return 0;
}

static void
close_all(struct ctl *c)
{
    struct sy_error err = {0};

    sy_db_close(c->db);
    if (c->embedded_started && sy_db_embedded_stop(c->cfg->database_embedded, &err) != SY_OK)
        fail("", &err);
    free(c->embedded_dsn);
    sy_config_free(c->cfg);
    sy_arena_free(c->arena);
}

/* A whole decimal number in [min, max], or -1 after saying what is wrong. */
static long long
parse_number(const char *what, const char *text, long long min, long long max)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "syncroctl: %s must be a number from %lld to %lld, not \"%s\"\n", what,
                min, max, text);
        return -1;
    }
    return v;
}

static int
wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

/* The directory part of a path, in 'a'. */
static char *
dir_of(struct sy_arena *a, const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash == NULL ? sy_arena_strdup(a, ".") : sy_arena_strndup(a, path, (size_t)(slash - path));
}

static int
mkdir_p(const char *path)
{
    char buf[PATH_MAX];

    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static int
cmd_init(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {{"server-name", required_argument, NULL, 's'},
                                         {"port", required_argument, NULL, 'p'},
                                         {NULL, 0, NULL, 0}};
    const char *server_name = NULL, *dir;
    char *pgdir, *keypath;
    struct sy_signing_key key;
    struct sy_error err = {0};
    int port = 8008, ch;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "s:p:", opts, NULL)) != -1) {
        if (ch == 's') {
            server_name = optarg;
        } else if (ch == 'p') {
            if ((port = (int)parse_number("--port", optarg, 1, 65535)) < 0)
                return 2;
        } else {
            return 2;
        }
    }
    if (server_name == NULL)
        server_name = sy_arena_printf(c->arena, "localhost:%d", port);
    dir = dir_of(c->arena, c->config_path);
    if (mkdir_p(dir) != 0) {
        fprintf(stderr, "syncroctl: could not create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    /* Make the directory reachable by the postgres user that runs the embedded cluster. */
    chmod(dir, 0755);
    {
        char abs[PATH_MAX];

        /* The socket-length check in sy_db_embedded_init must see the path the server will use. */
        if (realpath(dir, abs) == NULL) {
            fprintf(stderr, "syncroctl: %s: %s\n", dir, strerror(errno));
            return 1;
        }
        pgdir = sy_arena_printf(c->arena, "%s/pg", abs);
    }
    keypath = sy_arena_printf(c->arena, "%s/signing.key", dir);
    if (sy_config_write_default(c->config_path, server_name, port, "pg", "signing.key", &err) !=
        SY_OK)
        return fail("", &err);
    printf("wrote %s\n", c->config_path);
    sy_ed25519_generate(&key);
    if (sy_ed25519_save_file(&key, keypath, &err) != SY_OK)
        return fail("", &err);
    printf("wrote signing key %s (%s)\n", keypath, key.key_id);
    sy_ed25519_clear(&key);
    if (sy_db_embedded_init(pgdir, &err) != SY_OK)
        return fail("", &err);
    printf("created embedded database in %s\n", pgdir);
    if (open_db(c, 1) != 0)
        return 1;
    printf("database ready; start the node with: syncrod --config %s\n", c->config_path);
    return 0;
}

static int
cmd_keygen(struct ctl *c, int argc, char **argv)
{
    struct sy_signing_key key;
    struct sy_error err = {0};

    if (load_config(c) != 0)
        return 1;
    sy_ed25519_generate(&key);
    if (sy_ed25519_save_file(&key, c->cfg->signing_key_path, &err) != SY_OK)
        return fail("", &err);
    printf("wrote signing key %s (%s)\n", c->cfg->signing_key_path, key.key_id);
    sy_ed25519_clear(&key);
    return 0;
}

static int
cmd_migrate(struct ctl *c, int argc, char **argv)
{
    struct sy_error err = {0};
    int applied;

    if (open_db(c, 0) != 0)
        return 1;
    if (sy_db_migrate(c->db, &applied, &err) != SY_OK)
        return fail("", &err);
    printf("%d migration%s applied\n", applied, applied == 1 ? "" : "s");
    return 0;
}

/* A password from a file (first line), or typed twice at the terminal. */
static char *
read_password(struct ctl *c, const char *file)
{
    char line[1024], again[1024];
    struct termios old, quiet;
    FILE *f;

    if (file != NULL) {
        f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
        if (f == NULL || fgets(line, sizeof(line), f) == NULL) {
            fprintf(stderr, "syncroctl: could not read a password from %s\n", file);
            if (f != NULL && f != stdin)
                fclose(f);
            return NULL;
        }
        if (f != stdin)
            fclose(f);
        line[strcspn(line, "\r\n")] = '\0';
        return sy_arena_strdup(c->arena, line);
    }
    if (!isatty(0)) {
        fprintf(stderr, "syncroctl: no terminal to ask for a password; use --password-file\n");
        return NULL;
    }
    tcgetattr(0, &old);
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(0, TCSANOW, &quiet);
    fprintf(stderr, "Password: ");
    int ok = fgets(line, sizeof(line), stdin) != NULL;
    fprintf(stderr, "\nAgain: ");
    ok = ok && fgets(again, sizeof(again), stdin) != NULL;
    fprintf(stderr, "\n");
    tcsetattr(0, TCSANOW, &old);
    line[strcspn(line, "\r\n")] = '\0';
    again[strcspn(again, "\r\n")] = '\0';
    if (!ok || strcmp(line, again) != 0) {
        fprintf(stderr, "syncroctl: passwords do not match\n");
        return NULL;
    }
    return sy_arena_strdup(c->arena, line);
}

/* "@name:server" or "name" -> a user ID on this server, or NULL after saying why not. */
static const char *
local_user_id(struct ctl *c, const char *name)
{
    const char *uid = name[0] == '@' ? name : sy_userid_make(c->arena, name, c->cfg->server_name);

    if (!sy_userid_is_local(uid, c->cfg->server_name)) {
        fprintf(stderr, "syncroctl: %s is not a user of %s\n", name, c->cfg->server_name);
        return NULL;
    }
    return uid;
}

/* The localpart of "@name:server" or "name" on this server, or NULL after saying why not. */
static const char *
local_localpart(struct ctl *c, const char *name)
{
    const char *uid = local_user_id(c, name), *lp;

    if (uid == NULL || sy_userid_parse(c->arena, uid, &lp, NULL) != 0)
        return NULL;
    return lp;
}

/* Refuse to act on a deactivated or unknown account. */
static int
active_user(struct ctl *c, const char *user_id)
{
    struct sy_error err = {0};
    struct sy_user u;

    if (sy_db_user_get(c->db, c->arena, user_id, &u, &err) != SY_OK)
        return fail("", &err);
    if (u.deactivated) {
        fprintf(stderr, "syncroctl: %s is deactivated\n", user_id);
        return 1;
    }
    return 0;
}

static int
cmd_user_add(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {{"admin", no_argument, NULL, 'a'},
                                         {"password-file", required_argument, NULL, 'p'},
                                         {"displayname", required_argument, NULL, 'd'},
                                         {NULL, 0, NULL, 0}};
    struct sy_new_account acct = {0};
    struct sy_error err = {0};
    const char *pwfile = NULL, *user_id;
    int ch;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "ap:d:", opts, NULL)) != -1) {
        if (ch == 'a')
            acct.is_admin = 1;
        else if (ch == 'p')
            pwfile = optarg;
        else if (ch == 'd')
            acct.displayname = optarg;
        else
            return 2;
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "usage: syncroctl user add NAME [--admin] [--password-file F] "
                        "[--displayname D]\n");
        return 2;
    }
    if (load_config(c) != 0 || (acct.localpart = local_localpart(c, argv[optind])) == NULL)
        return 1;
    if ((acct.password = read_password(c, pwfile)) == NULL || open_db(c, 1) != 0)
        return 1;
    if (sy_account_create(c->db, c->arena, c->cfg, &acct, &user_id, &err) != SY_OK)
        return fail("", &err);
    printf("created %s%s\n", user_id, acct.is_admin ? " (admin)" : "");
    return 0;
}

static int
cmd_user_list(struct ctl *c, int argc, char **argv)
{
    struct sy_error err = {0};
    struct sy_user *users;
    size_t n;

    if (open_db(c, 1) != 0)
        return 1;
    if (sy_db_user_list(c->db, c->arena, &users, &n, &err) != SY_OK)
        return fail("", &err);
    for (size_t i = 0; i < n; i++)
        printf("%s%s%s%s\n", users[i].user_id, users[i].is_admin ? " admin" : "",
               users[i].is_guest ? " guest" : "", users[i].deactivated ? " deactivated" : "");
    return 0;
}

static int
cmd_user_deactivate(struct ctl *c, int argc, char **argv)
{
    struct sy_error err = {0};
    const char *user_id;

    if (argc != 2) {
        fprintf(stderr, "usage: syncroctl user deactivate USER\n");
        return 2;
    }
    if (open_db(c, 1) != 0 || (user_id = local_user_id(c, argv[1])) == NULL)
        return 1;
    if (sy_account_deactivate(c->db, c->arena, user_id, &err) != SY_OK)
        return fail("", &err);
    printf("deactivated %s\n", user_id);
    return 0;
}

static int
cmd_user_reset_password(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {{"password-file", required_argument, NULL, 'p'},
                                         {"keep-devices", no_argument, NULL, 'k'},
                                         {NULL, 0, NULL, 0}};
    struct sy_error err = {0};
    const char *pwfile = NULL, *password, *user_id;
    int ch, keep = 0;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "p:k", opts, NULL)) != -1) {
        if (ch == 'p')
            pwfile = optarg;
        else if (ch == 'k')
            keep = 1;
        else
            return 2;
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "usage: syncroctl user reset-password USER [--password-file F]\n");
        return 2;
    }
    if (load_config(c) != 0 || (user_id = local_user_id(c, argv[optind])) == NULL)
        return 1;
    if ((password = read_password(c, pwfile)) == NULL || open_db(c, 1) != 0 ||
        active_user(c, user_id) != 0)
        return 1;
    if (sy_account_set_password(c->db, c->arena, c->cfg, user_id, password, !keep, NULL, &err) !=
        SY_OK)
        return fail("", &err);
    printf("password of %s changed%s\n", user_id, keep ? "" : "; all its devices logged out");
    return 0;
}

static int
cmd_regtoken_add(struct ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {{"uses", required_argument, NULL, 'u'},
                                         {"expires-in", required_argument, NULL, 'e'},
                                         {NULL, 0, NULL, 0}};
    struct sy_regtoken t = {.uses_allowed = -1};
    struct sy_error err = {0};
    int ch;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "u:e:", opts, NULL)) != -1) {
        long long secs;

        if (ch == 'u') {
            if ((t.uses_allowed = (int)parse_number("--uses", optarg, 1, INT_MAX)) < 0)
                return 2;
        } else if (ch == 'e') {
            if ((secs = parse_number("--expires-in", optarg, 1, 100LL * 365 * 86400)) < 0)
                return 2;
            t.expiry_ts = sy_now_ms() + secs * 1000;
        } else {
            return 2;
        }
    }
    t.token = optind < argc ? argv[optind] : sy_rand_string(c->arena, 16, SY_RAND_ALNUM);
    /* The spec's grammar for registration tokens. */
    if (strlen(t.token) > 64 || strspn(t.token, SY_RAND_ALNUM "._~-") != strlen(t.token)) {
        fprintf(stderr, "syncroctl: a token is 1 to 64 of A-Z a-z 0-9 . _ ~ -\n");
        return 2;
    }
    if (open_db(c, 1) != 0)
        return 1;
    if (sy_db_regtoken_add(c->db, &t, sy_now_ms(), &err) != SY_OK)
        return fail("", &err);
    printf("%s\n", t.token);
    return 0;
}

static int
cmd_regtoken_list(struct ctl *c, int argc, char **argv)
{
    struct sy_error err = {0};
    struct sy_regtoken *t;
    size_t n;

    if (open_db(c, 1) != 0)
        return 1;
    if (sy_db_regtoken_list(c->db, c->arena, &t, &n, &err) != SY_OK)
        return fail("", &err);
    for (size_t i = 0; i < n; i++)
        printf("%s uses=%d/%s expires=%lld\n", t[i].token, t[i].completed,
               t[i].uses_allowed < 0 ? "unlimited" : sy_arena_printf(c->arena, "%d", t[i].uses_allowed),
               (long long)t[i].expiry_ts);
    return 0;
}

static int
cmd_regtoken_delete(struct ctl *c, int argc, char **argv)
{
    struct sy_error err = {0};

    if (argc != 2) {
        fprintf(stderr, "usage: syncroctl regtoken delete TOKEN\n");
        return 2;
    }
    if (open_db(c, 1) != 0)
        return 1;
    if (sy_db_regtoken_delete(c->db, argv[1], &err) != SY_OK)
        return fail("", &err);
    printf("deleted %s\n", argv[1]);
    return 0;
}

static const struct verb verbs[] = {
    {"init", "[--server-name NAME] [--port N]",
     "write a config, a signing key and an embedded database next to --config", cmd_init},
    {"keygen", "", "create the signing key named by signing_key_path", cmd_keygen},
    {"migrate", "", "apply database migrations not yet applied", cmd_migrate},
    {"user add", "NAME [--admin] [--password-file F] [--displayname D]",
     "create a local account (password read from F, '-' for stdin, or the terminal)",
     cmd_user_add},
    {"user list", "", "list accounts", cmd_user_list},
    {"user deactivate", "USER", "deactivate an account and log out all its devices",
     cmd_user_deactivate},
    {"user reset-password", "USER [--password-file F] [--keep-devices]",
     "set a new password; logs out all devices unless --keep-devices", cmd_user_reset_password},
    {"regtoken add", "[TOKEN] [--uses N] [--expires-in SECONDS]",
     "create a registration token (random when TOKEN is omitted)", cmd_regtoken_add},
    {"regtoken list", "", "list registration tokens and their use", cmd_regtoken_list},
    {"regtoken delete", "TOKEN", "delete a registration token", cmd_regtoken_delete},
    {NULL, NULL, NULL, NULL},
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: syncroctl [--config FILE] VERB [ARGS]\n\n"
               "Administers a Syncro node. FILE defaults to " DEFAULT_CONFIG ".\n\nVerbs:\n");
    for (const struct verb *v = verbs; v->name; v++)
        fprintf(f, "  %-20s %s\n      %s\n", v->name, v->args, v->help);
    fprintf(f, "\nEvery verb takes --help.\n");
}

/* Find the verb named by one or two words; *used gets how many. */
static const struct verb *
find_verb(int argc, char **argv, int *used)
{
    for (const struct verb *v = verbs; v->name; v++) {
        size_t len = strlen(argv[0]);

        if (strcmp(v->name, argv[0]) == 0) {
            *used = 1;
            return v;
        }
        if (argc > 1 && strncmp(v->name, argv[0], len) == 0 && v->name[len] == ' ' &&
            strcmp(v->name + len + 1, argv[1]) == 0) {
            *used = 2;
            return v;
        }
    }
    return NULL;
}

int
main(int argc, char **argv)
{
    struct ctl c = {.config_path = DEFAULT_CONFIG};
    const struct verb *v;
    int i = 1, used, rc;

    sy_log_open(NULL, SY_LOG_WARN);
    while (i < argc && argv[i][0] == '-') {
        if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) && i + 1 < argc) {
            c.config_path = argv[i + 1];
            i += 2;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (i >= argc || (v = find_verb(argc - i, argv + i, &used)) == NULL) {
        usage(stderr);
        return 2;
    }
    argv += i + used - 1;
    argc -= i + used - 1;
    if (wants_help(argc, argv)) {
        printf("usage: syncroctl [--config FILE] %s %s\n\n%s\n", v->name, v->args, v->help);
        return 0;
    }
    c.arena = sy_arena_new();
    rc = v->run(&c, argc, argv);
    close_all(&c);
    return rc;
}
