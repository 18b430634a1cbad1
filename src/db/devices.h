/*
 * db/devices.h -- a user's devices.  Deleting a device deletes its access
 * tokens (ON DELETE CASCADE).
 */
#ifndef SY_DB_DEVICES_H
#define SY_DB_DEVICES_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

struct sy_device {
    const char *device_id;
    const char *display_name; /* NULL when unset */
    int64_t last_seen_ts;     /* 0 when never */
    const char *last_seen_ip; /* NULL when never */
};

/*
 * Create the device, or keep an existing one of that ID (a login that
 * names its device).  display_name is only set on creation.
 */
int sy_db_device_upsert(struct sy_db *db, const char *user_id, const char *device_id,
                        const char *display_name, int64_t now_ms, const char *ip,
                        struct sy_error *err);
int sy_db_device_get(struct sy_db *db, struct sy_arena *a, const char *user_id,
                     const char *device_id, struct sy_device *out, struct sy_error *err);
int sy_db_device_list(struct sy_db *db, struct sy_arena *a, const char *user_id,
                      struct sy_device **out, size_t *n, struct sy_error *err);
/* SY_ENOTFOUND when the device does not exist. */
int sy_db_device_rename(struct sy_db *db, const char *user_id, const char *device_id,
                        const char *display_name, struct sy_error *err);
/* Deleting a missing device is not an error (the spec's delete is idempotent). */
int sy_db_device_delete(struct sy_db *db, const char *user_id, const char *device_id,
                        struct sy_error *err);
/* Delete all the user's devices but 'keep' (NULL: all of them). */
int sy_db_device_delete_all(struct sy_db *db, const char *user_id, const char *keep,
                            struct sy_error *err);
/* Record last-seen time and address. */
int sy_db_device_touch(struct sy_db *db, const char *user_id, const char *device_id,
                       int64_t now_ms, const char *ip, struct sy_error *err);

#endif /* SY_DB_DEVICES_H */
