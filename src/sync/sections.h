/*
 * sync/sections.h -- the sections of a /sync response, in the order they
 * run (see sync/sync.h).  Each lives in its own file under sync/.
 */
#ifndef SY_SYNC_SECTIONS_H
#define SY_SYNC_SECTIONS_H

#include "sync/sync.h"

/* rooms.join / invite / leave / knock; fills ctx->joined_rooms.  Runs first. (sync/rooms.c) */
int sy_sync_section_rooms(struct sy_sync_ctx *ctx, struct json_object *resp, int *any,
                          struct sy_error *err);

/*
 * A joined room as the per-room parts of other streams (ephemeral,
 * account_data) see it.  'fresh' when the client has nothing of the room
 * yet (initial sync, full_state, or joined since).  A part adds to the
 * room's object (rooms.join.<room_id>) through sy_sync_room_slot_object,
 * which sets 'any'.
 */
struct sy_sync_room_slot {
    const char *room_id;
    int fresh;
    struct json_object *room; /* NULL until something goes in; an arena root */
    int any;
};

/* The slot's room object, made on first use; marks the slot as having something. */
struct json_object *sy_sync_room_slot_object(struct sy_sync_ctx *ctx,
                                             struct sy_sync_room_slot *slot);

/*
 * The per-room parts other streams add to rooms.join.<room_id>: called
 * once by the rooms section with every joined room it considers; each
 * part reads what it needs for all of them at once (one query, not one
 * a room).  (sync/room_extras.c)
 */
int sy_sync_room_extras(struct sy_sync_ctx *ctx, struct sy_sync_room_slot *rooms, size_t n,
                        struct sy_error *err);

/* Top-level "account_data": the user's global account data. (sync/account_data.c) */
int sy_sync_section_account_data(struct sy_sync_ctx *ctx, struct json_object *resp, int *any,
                                 struct sy_error *err);
/* Top-level "presence": the user's and their room-mates' presence. (sync/presence.c) */
int sy_sync_section_presence(struct sy_sync_ctx *ctx, struct json_object *resp, int *any,
                             struct sy_error *err);
/* rooms.join.<room_id>.ephemeral of rooms[0..n): m.typing and m.receipt. (sync/ephemeral.c) */
int sy_sync_room_ephemeral(struct sy_sync_ctx *ctx, struct sy_sync_room_slot *rooms, size_t n,
                           struct sy_error *err);
/* rooms.join.<room_id>.account_data of rooms[0..n): the user's room account data.
 * (sync/account_data.c) */
int sy_sync_room_account_data(struct sy_sync_ctx *ctx, struct sy_sync_room_slot *rooms, size_t n,
                              struct sy_error *err);
/* Top-level "to_device": messages for this device, at most 100 a response. (sync/to_device.c) */
int sy_sync_section_to_device(struct sy_sync_ctx *ctx, struct json_object *resp, int *any,
                              struct sy_error *err);
/* Top-level "device_lists": changed and left. (sync/e2ee.c) */
int sy_sync_section_device_lists(struct sy_sync_ctx *ctx, struct json_object *resp, int *any,
                                 struct sy_error *err);
/* device_one_time_keys_count and device_unused_fallback_key_types. (sync/e2ee.c) */
int sy_sync_section_e2ee_keys(struct sy_sync_ctx *ctx, struct json_object *resp, int *any,
                              struct sy_error *err);

#endif /* SY_SYNC_SECTIONS_H */
