/*
 * db/filters.c -- stored filters.
 */
#include <string.h>

#include "db/filters.h"
#include "db/internal.h"
#include "util/arena.h"
#include "util/err.h"

const struct sy_stmt sy_db_filters_stmts[] = {
    /* The existing ID of the same text, else the next free one. */
    {"filters_add",
     "WITH existing AS (SELECT filter_id FROM user_filters WHERE user_id = $1 "
     "AND md5(filter_json) = md5($2) AND filter_json = $2 ORDER BY filter_id LIMIT 1), "
     "ins AS (INSERT INTO user_filters (user_id, filter_id, filter_json) "
     "SELECT $1, coalesce((SELECT max(filter_id) + 1 FROM user_filters WHERE user_id = $1), 0), "
     "$2 WHERE NOT EXISTS (SELECT 1 FROM existing) RETURNING filter_id) "
     "SELECT filter_id FROM existing UNION ALL SELECT filter_id FROM ins"},
    {"filters_get", "SELECT filter_json FROM user_filters WHERE user_id = $1 "
                    "AND filter_id = $2::bigint"},
    {NULL, NULL},
};

int
sy_db_filter_add(struct sy_db *db, struct sy_arena *a, const char *user_id, const char *json,
                 const char **filter_id, struct sy_error *err)
{
    const char *p[2] = {user_id, json};
    PGresult *res = NULL;

    /* Two posts racing for the same next ID: the loser takes the one after. */
    for (int attempt = 0; attempt < 5; attempt++) {
        res = sy_db_exec(db, "filters_add", 2, p, err);
        if (res != NULL || err->code != SY_ECONFLICT || db->in_tx)
            break;
    }
    if (res == NULL)
        return err->code;
    if (PQntuples(res) < 1) {
        PQclear(res);
        return sy_err_internal(err, "filter not stored");
    }
    *filter_id = sy_arena_strdup(a, PQgetvalue(res, 0, 0));
    PQclear(res);
    return SY_OK;
}

/* A filter ID as we hand them out: 1 to 18 digits (fits a bigint). */
static int
id_valid(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 18)
        return 0;
    return strspn(s, "0123456789") == n;
}

int
sy_db_filter_get(struct sy_db *db, struct sy_arena *a, const char *user_id,
                 const char *filter_id, const char **json, struct sy_error *err)
{
    const char *p[2] = {user_id, filter_id};
    PGresult *res;
    int rc = SY_OK;

    if (filter_id == NULL || !id_valid(filter_id))
        return sy_err_invalid(err, "M_INVALID_PARAM", "invalid filter ID");
    if ((res = sy_db_exec(db, "filters_get", 2, p, err)) == NULL)
        return err->code;
    if (PQntuples(res) == 0)
        rc = sy_err_notfound(err, "no such filter");
    else
        *json = sy_arena_strdup(a, PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}
