/*
 * db/device_inbox.c -- to-device messages and sendToDevice transaction IDs.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db/device_inbox.h"
#include "db/internal.h"
#include "util/arena.h"
#include "util/err.h"

const struct sy_stmt sy_db_device_inbox_stmts[] = {
    {"inbox_txn", "INSERT INTO to_device_txns (user_id, device_id, txn_id) VALUES ($1, $2, $3) "
                  "ON CONFLICT DO NOTHING"},
    {"inbox_put", "INSERT INTO device_inbox (user_id, device_id, pos, message) "
                  "SELECT user_id, device_id, $3, $4 FROM devices WHERE user_id = $1 "
                  "AND ($2::text IS NULL OR device_id = $2) "
                  "ON CONFLICT (user_id, device_id, pos) DO UPDATE SET message = EXCLUDED.message"},
    {"inbox_delete",
     "DELETE FROM device_inbox WHERE user_id = $1 AND device_id = $2 AND pos <= $3"},
    {"inbox_fetch", "SELECT pos, message FROM device_inbox WHERE user_id = $1 AND device_id = $2 "
                    "AND pos > $3 AND pos <= $4 ORDER BY pos LIMIT $5"},
    {NULL, NULL},
};

int
sy_db_to_device_txn_claim(struct sy_db *db, const char *user_id, const char *device_id,
                          const char *txn_id, int *fresh, struct sy_error *err)
{
    const char *p[3] = {user_id, device_id, txn_id};
    PGresult *res = sy_db_exec(db, "inbox_txn", 3, p, err);

    if (res == NULL)
        return err->code;
    *fresh = sy_db_affected(res) > 0;
    PQclear(res);
    return SY_OK;
}

int
sy_db_device_inbox_put(struct sy_db *db, const char *user_id, const char *device_id, int64_t pos,
                       const char *message, struct sy_error *err)
{
    char ps[24];
    const char *p[4] = {user_id, device_id, ps, message};

    snprintf(ps, sizeof(ps), "%lld", (long long)pos);
    return sy_db_run(db, "inbox_put", 4, p, NULL, err);
}

int
sy_db_device_inbox_delete(struct sy_db *db, const char *user_id, const char *device_id,
                          int64_t upto, struct sy_error *err)
{
    char ps[24];
    const char *p[3] = {user_id, device_id, ps};

    snprintf(ps, sizeof(ps), "%lld", (long long)upto);
    return sy_db_run(db, "inbox_delete", 3, p, NULL, err);
}

int
sy_db_device_inbox_fetch(struct sy_db *db, struct sy_arena *a, const char *user_id,
                         const char *device_id, int64_t after, int64_t upto, int limit,
                         struct sy_db_inbox_msg **out, size_t *n, struct sy_error *err)
{
    char b[3][24];
    const char *p[5] = {user_id, device_id, b[0], b[1], b[2]};
    PGresult *res;
    int rows;

    snprintf(b[0], sizeof(b[0]), "%lld", (long long)after);
    snprintf(b[1], sizeof(b[1]), "%lld", (long long)upto);
    snprintf(b[2], sizeof(b[2]), "%d", limit);
    if ((res = sy_db_exec(db, "inbox_fetch", 5, p, err)) == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(**out) * (size_t)(rows + 1));
    for (int r = 0; r < rows; r++) {
        (*out)[r].pos = strtoll(sy_db_val(res, r, 0), NULL, 10);
        (*out)[r].message = sy_arena_strdup(a, sy_db_val(res, r, 1));
    }
    *n = (size_t)rows;
    PQclear(res);
    return SY_OK;
}
