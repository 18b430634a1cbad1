/*
 * db/receipts.c -- receipt rows.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db/internal.h"
#include "db/receipts.h"
#include "util/arena.h"
#include "util/err.h"

/*
 * The upsert keeps the stored row when its event is at or after the new
 * one in the events stream; an event this node does not have (never the
 * case for local receipts) does not block the update.
 */
const struct sy_stmt sy_db_receipts_stmts[] = {
    {"receipts_put",
     "INSERT INTO receipts AS r (room_id, receipt_type, user_id, thread_id, event_id, ts, "
     "stream_pos) VALUES ($1, $2, $3, $4, $5, $6, $7) "
     "ON CONFLICT (room_id, receipt_type, user_id, thread_id) DO UPDATE "
     "SET event_id = EXCLUDED.event_id, ts = EXCLUDED.ts, stream_pos = EXCLUDED.stream_pos "
     "WHERE coalesce((SELECT stream_ordering FROM events WHERE event_id = r.event_id), -1) < "
     "coalesce((SELECT stream_ordering FROM events WHERE event_id = EXCLUDED.event_id), "
     "9223372036854775807)"},
    {"receipts_range",
     "SELECT room_id, receipt_type, user_id, thread_id, event_id, ts, stream_pos FROM receipts "
     "WHERE room_id = $1 AND stream_pos > $2 AND stream_pos <= $3 ORDER BY stream_pos"},
    {NULL, NULL},
};

int
sy_db_receipt_put(struct sy_db *db, const struct sy_db_receipt *r, int *changed,
                  struct sy_error *err)
{
    char ts[24], pos[24];
    const char *p[7];
    PGresult *res;

    snprintf(ts, sizeof(ts), "%lld", (long long)r->ts);
    snprintf(pos, sizeof(pos), "%lld", (long long)r->stream_pos);
    p[0] = r->room_id, p[1] = r->receipt_type, p[2] = r->user_id, p[3] = r->thread_id;
    p[4] = r->event_id, p[5] = ts, p[6] = pos;
    if ((res = sy_db_exec(db, "receipts_put", 7, p, err)) == NULL)
        return err->code;
    *changed = sy_db_affected(res) > 0;
    PQclear(res);
    return SY_OK;
}

int
sy_db_receipts_range(struct sy_db *db, struct sy_arena *a, const char *room_id, int64_t from,
                     int64_t to, struct sy_db_receipt **out, size_t *n, struct sy_error *err)
{
    char f[24], t[24];
    const char *p[3] = {room_id, f, t};
    PGresult *res;
    int rows;

    snprintf(f, sizeof(f), "%lld", (long long)from);
    snprintf(t, sizeof(t), "%lld", (long long)to);
    if ((res = sy_db_exec(db, "receipts_range", 3, p, err)) == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(**out) * (size_t)(rows ? rows : 1));
    for (int i = 0; i < rows; i++) {
        struct sy_db_receipt *r = &(*out)[i];

        r->room_id = sy_arena_strdup(a, PQgetvalue(res, i, 0));
        r->receipt_type = sy_arena_strdup(a, PQgetvalue(res, i, 1));
        r->user_id = sy_arena_strdup(a, PQgetvalue(res, i, 2));
        r->thread_id = sy_arena_strdup(a, PQgetvalue(res, i, 3));
        r->event_id = sy_arena_strdup(a, PQgetvalue(res, i, 4));
        r->ts = strtoll(PQgetvalue(res, i, 5), NULL, 10);
        r->stream_pos = strtoll(PQgetvalue(res, i, 6), NULL, 10);
    }
    *n = (size_t)rows;
    PQclear(res);
    return SY_OK;
}
