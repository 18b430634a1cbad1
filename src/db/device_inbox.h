/*
 * db/device_inbox.h -- to-device messages waiting for their device, and
 * sendToDevice transaction IDs.
 *
 * Each row carries its to_device stream position (sync/stream.h); a
 * device's rows at or below the 'since' it syncs with are delivered and
 * deleted.  Rows go with their device (ON DELETE CASCADE).
 */
#ifndef SY_DB_DEVICE_INBOX_H
#define SY_DB_DEVICE_INBOX_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

struct sy_db_inbox_msg {
    int64_t pos;
    const char *message; /* {"sender","type","content"} JSON text */
};

/*
 * Claim (user, device, txn): *fresh = 1 the first time, 0 when the
 * transaction ID was used before (the send is a repeat).
 */
int sy_db_to_device_txn_claim(struct sy_db *db, const char *user_id, const char *device_id,
                              const char *txn_id, int *fresh, struct sy_error *err);
/*
 * Queue 'message' at 'pos' for one device (device_id) or every device of
 * the user (device_id NULL).  Devices that do not exist get nothing; a
 * second message for the same device and position replaces the first.
 */
int sy_db_device_inbox_put(struct sy_db *db, const char *user_id, const char *device_id,
                           int64_t pos, const char *message, struct sy_error *err);
/* Delete the device's messages at or below 'upto' (delivered). */
int sy_db_device_inbox_delete(struct sy_db *db, const char *user_id, const char *device_id,
                              int64_t upto, struct sy_error *err);
/* The device's messages in (after, upto], oldest first, at most 'limit'. */
int sy_db_device_inbox_fetch(struct sy_db *db, struct sy_arena *a, const char *user_id,
                             const char *device_id, int64_t after, int64_t upto, int limit,
                             struct sy_db_inbox_msg **out, size_t *n, struct sy_error *err);

#endif /* SY_DB_DEVICE_INBOX_H */
