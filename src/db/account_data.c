/*
 * db/account_data.c -- account data rows.
 */
#include <stdio.h>

#include "db/account_data.h"
#include "db/internal.h"
#include "db/sync_batch.h"
#include "util/arena.h"
#include "util/err.h"

const struct sy_stmt sy_db_account_data_stmts[] = {
    {"account_data_put",
     "INSERT INTO account_data (user_id, room_id, type, content, stream_pos) "
     "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, room_id, type) DO UPDATE "
     "SET content = EXCLUDED.content, stream_pos = EXCLUDED.stream_pos"},
    {"account_data_get",
     "SELECT content FROM account_data WHERE user_id = $1 AND room_id = $2 AND type = $3"},
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

/* The per-room read /sync makes for all its rooms at once, for one room: one statement for both. */
int
sy_db_account_data_range(struct sy_db *db, struct sy_arena *a, const char *user_id,
                         const char *room_id, int64_t from, int64_t to,
                         struct sy_db_account_data **out, size_t *n, struct sy_error *err)
{
    return sy_db_batch_room_account_data(db, a, user_id, &room_id, &from, 1, to, out, n, err);
}
