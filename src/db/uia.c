/*
 * db/uia.c -- user-interactive authentication sessions.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db/internal.h"
#include "db/uia.h"
#include "util/arena.h"
#include "util/err.h"

const struct sy_stmt sy_db_uia_stmts[] = {
    {"uia_create", "INSERT INTO uia_sessions (session_id, kind, user_id, created_ts) "
                   "VALUES ($1, $2, $3, $4)"},
    {"uia_get", "SELECT session_id, kind, user_id, registration_token, created_ts, "
                "unnest(CASE WHEN completed = '{}' THEN ARRAY[NULL]::text[] ELSE completed END) "
                "FROM uia_sessions WHERE session_id = $1"},
    {"uia_complete",
     "UPDATE uia_sessions SET completed = CASE WHEN $2 = ANY(completed) THEN completed "
     "ELSE array_append(completed, $2) END, "
     "registration_token = coalesce($3, registration_token) WHERE session_id = $1"},
    {"uia_delete", "DELETE FROM uia_sessions WHERE session_id = $1"},
    {"uia_expire", "DELETE FROM uia_sessions WHERE created_ts < $1"},
    {NULL, NULL},
};

int
sy_db_uia_create(struct sy_db *db, const char *session_id, const char *kind, const char *user_id,
                 int64_t now_ms, struct sy_error *err)
{
    char ts[24];
    const char *p[4] = {session_id, kind, user_id, ts};
    PGresult *res;

    snprintf(ts, sizeof(ts), "%lld", (long long)now_ms);
    if ((res = sy_db_exec(db, "uia_create", 4, p, err)) == NULL)
        return err->code;
    PQclear(res);
    return SY_OK;
}

int
sy_db_uia_get(struct sy_db *db, struct sy_arena *a, const char *session_id,
              struct sy_uia_session *out, struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, "uia_get", 1, &session_id, err);
    int rows;

    if (res == NULL)
        return err->code;
    rows = PQntuples(res);
    if (rows == 0) {
        PQclear(res);
        return sy_err_notfound(err, "unknown UIA session");
    }
    out->session_id = sy_arena_strdup(a, PQgetvalue(res, 0, 0));
    out->kind = sy_arena_strdup(a, PQgetvalue(res, 0, 1));
    out->user_id = sy_arena_strdup(a, sy_db_val(res, 0, 2));
    out->registration_token = sy_arena_strdup(a, sy_db_val(res, 0, 3));
    out->created_ts = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
    out->completed = sy_arena_alloc(a, sizeof(char *) * (size_t)rows);
    out->n_completed = 0;
    for (int r = 0; r < rows; r++)
        if (sy_db_val(res, r, 5) != NULL)
            out->completed[out->n_completed++] = sy_arena_strdup(a, PQgetvalue(res, r, 5));
    PQclear(res);
    return SY_OK;
}

int
sy_db_uia_complete(struct sy_db *db, const char *session_id, const char *stage,
                   const char *registration_token, struct sy_error *err)
{
    const char *p[3] = {session_id, stage, registration_token};
    PGresult *res = sy_db_exec(db, "uia_complete", 3, p, err);

    if (res == NULL)
        return err->code;
    PQclear(res);
    return SY_OK;
}

int
sy_db_uia_delete(struct sy_db *db, const char *session_id, struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, "uia_delete", 1, &session_id, err);

    if (res == NULL)
        return err->code;
    PQclear(res);
    return SY_OK;
}

int
sy_db_uia_expire(struct sy_db *db, int64_t before_ms, struct sy_error *err)
{
    char ts[24];
    const char *p[1] = {ts};
    PGresult *res;

    snprintf(ts, sizeof(ts), "%lld", (long long)before_ms);
    if ((res = sy_db_exec(db, "uia_expire", 1, p, err)) == NULL)
        return err->code;
    PQclear(res);
    return SY_OK;
}
