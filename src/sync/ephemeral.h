/*
 * sync/ephemeral.h -- read receipts and read markers, and the per-room
 * ephemeral part of /sync (m.typing from sync/typing.h, m.receipt).
 *
 * A receipt names an event the user may see in a room they are joined to.
 * Receipts only move forward (a receipt for an earlier event than the
 * stored one is accepted and changes nothing, as in Synapse).  m.read is
 * public; m.read.private is shown to its owner only; m.fully_read is the
 * fully read marker, kept as room account data (sync/account_data.h).
 */
#ifndef SY_SYNC_EPHEMERAL_H
#define SY_SYNC_EPHEMERAL_H

#include <stddef.h>

struct sy_arena;
struct sy_db;
struct sy_error;

struct sy_receipt_req {
    const char *type;      /* m.read, m.read.private, m.fully_read */
    const char *event_id;
    const char *thread_id; /* NULL: unthreaded; "main" or a thread root's event ID */
};

/* 1 if 'type' is a receipt type this server accepts. */
int sy_receipt_type_valid(const char *type);

/*
 * Apply receipts r[0..n) of user_id in room_id, all or nothing, in one
 * transaction; then wake the long-polls that may see them.  Errors:
 * SY_EINVAL M_INVALID_PARAM (unknown type, bad thread_id, thread_id with
 * m.fully_read, event not in that thread), SY_EFORBIDDEN (not joined),
 * SY_ENOTFOUND (no such event visible to the user in that room).
 */
int sy_receipts_post(struct sy_db *db, struct sy_arena *a, const char *user_id,
                     const char *room_id, const struct sy_receipt_req *r, size_t n,
                     struct sy_error *err);

#endif /* SY_SYNC_EPHEMERAL_H */
