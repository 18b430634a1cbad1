/*
 * sync/to_device.h -- send-to-device messages (spec: "Send-to-Device
 * messaging"): queued per target device with a to_device stream
 * position, delivered by the /sync section "to_device" (sync/sections.h)
 * and deleted once the device syncs past them.
 */
#ifndef SY_SYNC_TO_DEVICE_H
#define SY_SYNC_TO_DEVICE_H

struct json_object;
struct sy_arena;
struct sy_db;
struct sy_error;

/* Messages per /sync response; the rest follow in the next one. */
#define SY_TO_DEVICE_SYNC_LIMIT 100

/*
 * PUT /sendToDevice: queue 'messages' ({user: {device or "*": content}},
 * already checked) of 'type' from (sender, sender_device).  A repeated
 * txn_id of the same device is a no-op.  Remote users are skipped
 * (no federation yet).  One transaction; wakes the recipients after it.
 */
int sy_to_device_send(struct sy_db *db, struct sy_arena *a, const char *server_name,
                      const char *sender, const char *sender_device, const char *type,
                      const char *txn_id, struct json_object *messages, struct sy_error *err);

#endif /* SY_SYNC_TO_DEVICE_H */
