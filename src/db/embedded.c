/*
 * db/embedded.c -- run initdb/pg_ctl for the embedded cluster.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/embedded.h"
#include "db/internal.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

#define PG_USER "postgres" /* the account PostgreSQL runs as when we are root */
#define DB_NAME "syncro"
#define DB_ROLE "syncro"

/* The directory holding initdb and pg_ctl: $SYNCRO_PG_BINDIR, Debian's layout, or $PATH. */
static const char *
pg_bindir(void)
{
    static const char *const candidates[] = {
        "/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin",
        "/usr/lib/postgresql/15/bin", "/usr/local/pgsql/bin",
    };
    const char *env = getenv("SYNCRO_PG_BINDIR");
    char path[512];

    if (env != NULL && env[0] != '\0')
        return env;
    for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
        snprintf(path, sizeof(path), "%s/pg_ctl", candidates[i]);
        if (access(path, X_OK) == 0)
            return candidates[i];
    }
    return NULL;
}

/*
 * Run a PostgreSQL tool with 'args' (NULL-terminated, args[0] the tool's
 * name), as the postgres user when we are root.  Returns the exit status,
 * or -1 if it could not be run.
 */
static int
run_pg_tool(const char *const *args)
{
    const char *bindir = pg_bindir();
    char tool[512];
    const char *argv[32];
    int argc = 0, status;
    pid_t pid;

    if (bindir != NULL)
        snprintf(tool, sizeof(tool), "%s/%s", bindir, args[0]);
    else
        snprintf(tool, sizeof(tool), "%s", args[0]);
    if (geteuid() == 0) {
        argv[argc++] = "runuser";
        argv[argc++] = "-u";
        argv[argc++] = PG_USER;
        argv[argc++] = "--";
    }
    argv[argc++] = tool;
    for (size_t i = 1; args[i] != NULL && argc < 31; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;

    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* The tool must not share our signals: Ctrl-C is ours to turn into a clean stop. */
        setpgid(0, 0);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
sy_db_embedded_exists(const char *dir)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/PG_VERSION", dir);
    return access(path, F_OK) == 0;
}

static int
make_dir_for_postgres(const char *dir, struct sy_error *err)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return sy_error_set(err, SY_EIO, 500, "M_UNKNOWN", "could not create %s: %s", dir,
                            strerror(errno));
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam(PG_USER);

        if (pw == NULL)
            return sy_error_set(err, SY_EIO, 500, "M_UNKNOWN",
                                "running as root needs the \"%s\" user to run PostgreSQL "
                                "(install postgresql)", PG_USER);
        if (chown(dir, pw->pw_uid, pw->pw_gid) != 0)
            return sy_error_set(err, SY_EIO, 500, "M_UNKNOWN", "could not chown %s: %s", dir,
                                strerror(errno));
    }
    return SY_OK;
}

int
sy_db_embedded_init(const char *dir, struct sy_error *err)
{
    const char *args[] = {"initdb", "-D", dir, "-U", DB_ROLE, "--auth=trust", "-E", "UTF8",
                          "--locale=C", "-N", NULL};
    char sock[1024];

    /* The unix socket lives in the data dir; its path has a hard length limit. */
    snprintf(sock, sizeof(sock), "%s/.s.PGSQL.5432", dir);
    if (strlen(sock) >= 100)
        return sy_error_set(err, SY_EINVAL, 500, "M_UNKNOWN",
                            "embedded database path %s is too long for a unix socket", dir);
    if (sy_db_embedded_exists(dir))
        return sy_error_set(err, SY_ECONFLICT, 500, "M_UNKNOWN",
                            "%s already holds a database cluster", dir);
    if (make_dir_for_postgres(dir, err) != SY_OK)
        return err->code;
    if (run_pg_tool(args) != 0)
        return sy_error_set(err, SY_EIO, 500, "M_UNKNOWN",
                            "initdb failed for %s (as root, every parent directory must be "
                            "reachable by the \"%s\" user)", dir, PG_USER);
    return SY_OK;
}

static int
ensure_database(const char *dir, struct sy_error *err)
{
    char conninfo[1100];
    PGconn *conn;
    PGresult *res;
    int rc = SY_OK;

    snprintf(conninfo, sizeof(conninfo), "host=%s user=" DB_ROLE " dbname=postgres", dir);
    conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        sy_error_set(err, SY_EDB, 500, "M_UNKNOWN", "could not connect to the embedded database");
        sy_error_detail(err, "%s", PQerrorMessage(conn));
        PQfinish(conn);
        return SY_EDB;
    }
    res = PQexec(conn, "SELECT 1 FROM pg_database WHERE datname = '" DB_NAME "'");
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 0) {
        PQclear(res);
        res = PQexec(conn, "CREATE DATABASE " DB_NAME);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = sy_error_set(err, SY_EDB, 500, "M_UNKNOWN", "could not create database: %s",
                              PQerrorMessage(conn));
    }
    PQclear(res);
    PQfinish(conn);
    return rc;
}

int
sy_db_embedded_start(const char *dir, char **dsn, int *started, struct sy_error *err)
{
    char opts[1200], logfile[1100];
    const char *status_args[] = {"pg_ctl", "-D", dir, "status", NULL};
    const char *start_args[] = {"pg_ctl", "-D", dir, "-w", "-t", "60", "-l", logfile, "-o",
                                opts, "start", NULL};

    *started = 0;
    if (!sy_db_embedded_exists(dir))
        return sy_error_set(err, SY_ENOTFOUND, 500, "M_UNKNOWN",
                            "no database cluster in %s (run: syncroctl init)", dir);
    snprintf(logfile, sizeof(logfile), "%s/postgresql.log", dir);
    snprintf(opts, sizeof(opts), "-k %s -c listen_addresses='' -c max_connections=200", dir);
    if (run_pg_tool(status_args) != 0) {
        if (run_pg_tool(start_args) != 0)
            return sy_error_set(err, SY_EIO, 500, "M_UNKNOWN",
                                "could not start the embedded database (see %s)", logfile);
        *started = 1;
    }
    if (ensure_database(dir, err) != SY_OK)
        return err->code;
    *dsn = sy_malloc(strlen(dir) + 64);
    sprintf(*dsn, "host=%s user=" DB_ROLE " dbname=" DB_NAME, dir);
    return SY_OK;
}

int
sy_db_embedded_stop(const char *dir, struct sy_error *err)
{
    const char *args[] = {"pg_ctl", "-D", dir, "-w", "-m", "fast", "stop", NULL};

    if (run_pg_tool(args) != 0)
        return sy_error_set(err, SY_EIO, 500, "M_UNKNOWN", "could not stop the embedded database");
    return SY_OK;
}
