/*
 * db/receipts.c -- receipt rows.
 */
#include <stdio.h>

#include "db/internal.h"
#include "db/receipts.h"
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
