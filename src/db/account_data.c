/*
 * db/account_data.c -- account data rows.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db/account_data.h"
#include "db/internal.h"
#include "util/arena.h"
#include "util/err.h"

const struct sy_stmt sy_db_account_data_stmts[] = {
    {"account_data_put",
     "INSERT INTO account_data (user_id, room_id, type, content, stream_pos) "
     "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, room_id, type) DO UPDATE "
     "SET content = EXCLUDED.content, stream_pos = EXCLUDED.stream_pos"},
    {"account_data_get",
     "SELECT content FROM account_data WHERE user_id = $1 AND room_id = $2 AND type = $3"},
    {"account_data_range",
     "SELECT room_id, type, content, stream_pos FROM account_data "
     "WHERE user_id = $1 AND room_id = $2 AND stream_pos > $3 AND stream_pos <= $4 "
     "ORDER BY stream_pos"},
    {"account_data_range_rooms",
     "SELECT room_id, type, content, stream_pos FROM account_data "
     "WHERE user_id = $1 AND room_id <> '' AND stream_pos > $2 AND stream_pos <= $3 "
     "ORDER BY stream_pos"},
    {NULL, NULL},
};

int
sy_db_account_data_put(struct sy_db *db, const char *user_id, const char *room_id,
                       const char *type, const char *content, int64_t pos, struct sy_error *err)
{
    char ps[24];
    const char *p[5] = {user_id, room_id, type, content, ps};
    PGresult *res;

    snprintf(ps, sizeof(ps), "%lld", (long long)pos);
    if ((res = sy_db_exec(db, "account_data_put", 5, p, err)) == NULL)
        return err->code;
    PQclear(res);
    return SY_OK;
}

int
sy_db_account_data_get(struct sy_db *db, struct sy_arena *a, const char *user_id,
                       const char *room_id, const char *type, const char **content,
                       struct sy_error *err)
{
    const char *p[3] = {user_id, room_id, type};
    PGresult *res;

    if ((res = sy_db_exec(db, "account_data_get", 3, p, err)) == NULL)
        return err->code;
    *content = PQntuples(res) > 0 ? sy_arena_strdup(a, PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    return SY_OK;
}

int
sy_db_account_data_range(struct sy_db *db, struct sy_arena *a, const char *user_id,
                         const char *room_id, int64_t from, int64_t to,
                         struct sy_db_account_data **out, size_t *n, struct sy_error *err)
{
    char f[24], t[24];
    const char *p[4];
    PGresult *res;
    int rows;

    snprintf(f, sizeof(f), "%lld", (long long)from);
    snprintf(t, sizeof(t), "%lld", (long long)to);
    if (room_id != NULL) {
        p[0] = user_id, p[1] = room_id, p[2] = f, p[3] = t;
        res = sy_db_exec(db, "account_data_range", 4, p, err);
    } else {
        p[0] = user_id, p[1] = f, p[2] = t;
        res = sy_db_exec(db, "account_data_range_rooms", 3, p, err);
    }
    if (res == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(**out) * (size_t)(rows ? rows : 1));
    for (int i = 0; i < rows; i++) {
        struct sy_db_account_data *d = &(*out)[i];

        d->room_id = sy_arena_strdup(a, PQgetvalue(res, i, 0));
        d->type = sy_arena_strdup(a, PQgetvalue(res, i, 1));
        d->content = sy_arena_strdup(a, PQgetvalue(res, i, 2));
        d->stream_pos = strtoll(PQgetvalue(res, i, 3), NULL, 10);
    }
    *n = (size_t)rows;
    PQclear(res);
    return SY_OK;
}
