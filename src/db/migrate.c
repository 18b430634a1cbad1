/*
 * db/migrate.c -- apply the compiled-in migrations in order.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db/db.h"
#include "db/internal.h"
#include "db/migrate.h"
#include "util/err.h"
#include "util/log.h"
#include "util/time.h"

/* Any constant: the advisory lock id that serialises migrators. */
#define MIGRATE_LOCK_ID "7460210391"

static int
run(struct sy_db *db, const char *sql, struct sy_error *err)
{
    PGresult *res = PQexec(db->conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

    if (!ok) {
        sy_error_set(err, SY_EDB, 500, "M_UNKNOWN", "migration failed");
        sy_error_detail(err, "%s", PQerrorMessage(db->conn));
    }
    PQclear(res);
    return ok ? SY_OK : SY_EDB;
}

/* 1 if migration 'version' is recorded as applied, 0 if not, or SY_EDB. */
static int
applied_already(struct sy_db *db, int version, struct sy_error *err)
{
    char v[16];
    const char *params[1] = {v};
    PGresult *res;
    int found;

    snprintf(v, sizeof(v), "%d", version);
    res = PQexecParams(db->conn, "SELECT 1 FROM schema_version WHERE version = $1", 1, NULL,
                       params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        return sy_error_set(err, SY_EDB, 500, "M_UNKNOWN", "could not read schema_version");
    }
    found = PQntuples(res) > 0;
    PQclear(res);
    return found;
}

static int
apply_one(struct sy_db *db, const struct sy_migration *m, struct sy_error *err)
{
    const char *params[3];
    char version[16], ts[24];
    PGresult *res;
    int ok;

    if (run(db, "BEGIN", err) != SY_OK)
        return SY_EDB;
    if (run(db, m->sql, err) != SY_OK) {
        sy_error_detail(err, "in %s", m->name);
        run(db, "ROLLBACK", NULL);
        return SY_EDB;
    }
    snprintf(version, sizeof(version), "%d", m->version);
    snprintf(ts, sizeof(ts), "%lld", (long long)sy_now_ms());
    params[0] = version, params[1] = m->name, params[2] = ts;
    res = PQexecParams(db->conn,
                       "INSERT INTO schema_version (version, name, applied_ts) VALUES ($1, $2, $3)",
                       3, NULL, params, NULL, NULL, 0);
    ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok || run(db, "COMMIT", err) != SY_OK) {
        run(db, "ROLLBACK", NULL);
        return sy_error_set(err, SY_EDB, 500, "M_UNKNOWN", "could not record migration %s",
                            m->name);
    }
    sy_log(SY_LOG_INFO, "applied migration %s", m->name);
    return SY_OK;
}

int
sy_db_migrate(struct sy_db *db, int *applied, struct sy_error *err)
{
    int rc = SY_OK, done;

    *applied = 0;
    if (run(db, "SELECT pg_advisory_lock(" MIGRATE_LOCK_ID ")", err) != SY_OK)
        return SY_EDB;
    rc = run(db,
             "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, "
             "name text NOT NULL, applied_ts bigint NOT NULL)",
             err);
    /* Every migration not yet recorded, in order: one merged late still gets applied. */
    for (const struct sy_migration *m = sy_migrations; rc == SY_OK && m->name != NULL; m++) {
        if ((done = applied_already(db, m->version, err)) != 0) {
            rc = done < 0 ? done : SY_OK;
            continue;
        }
        rc = apply_one(db, m, err);
        if (rc == SY_OK)
            (*applied)++;
    }
    run(db, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_ID ")", NULL);
    return rc;
}
