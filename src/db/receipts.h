/*
 * db/receipts.h -- read receipts: one row per (room, receipt type, user,
 * thread), each with the receipts-stream position of its last change.
 *
 * Which receipts a user may see (m.read.private only its owner's) and
 * which events they may name are sync/ephemeral.c's business; these calls
 * only store and read rows.  Strings of results live in the caller's arena.
 */
#ifndef SY_DB_RECEIPTS_H
#define SY_DB_RECEIPTS_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

struct sy_db_receipt {
    const char *room_id;
    const char *receipt_type;
    const char *user_id;
    const char *thread_id; /* "" = unthreaded */
    const char *event_id;
    int64_t ts;
    int64_t stream_pos;
};

/*
 * Store r (r->stream_pos taken in the caller's open transaction) unless the
 * row already there names a later event (greater stream ordering): receipts
 * only move forward.  *changed is 1 when the row was written.
 */
int sy_db_receipt_put(struct sy_db *db, const struct sy_db_receipt *r, int *changed,
                      struct sy_error *err);

/* Receipts are read per room by sy_db_batch_receipts (db/sync_batch.h). */

#endif /* SY_DB_RECEIPTS_H */
