/*
 * sync/room_extras.c -- the per-room parts of rooms.join.<room_id> that
 * come from streams other than the timeline.  Each stream's engineer adds
 * its call to the table below; a part answers for all the joined rooms of
 * a response at once.
 */
#include "json/json.h"
#include "sync/sections.h"
#include "util/err.h"

typedef int (*room_part_fn)(struct sy_sync_ctx *ctx, struct sy_sync_room_slot *rooms, size_t n,
                            struct sy_error *err);

static const room_part_fn parts[] = {
    sy_sync_room_ephemeral,
    sy_sync_room_account_data,
};

struct json_object *
sy_sync_room_slot_object(struct sy_sync_ctx *ctx, struct sy_sync_room_slot *slot)
{
    /* Most joined rooms of an incremental sync get nothing: no object for them. */
    if (slot->room == NULL)
        slot->room = sy_json_new_object(ctx->a);
    slot->any = 1;
    return slot->room;
}

int
sy_sync_room_extras(struct sy_sync_ctx *ctx, struct sy_sync_room_slot *rooms, size_t n,
                    struct sy_error *err)
{
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        if (parts[i](ctx, rooms, n, err) != SY_OK)
            return err->code;
    return SY_OK;
}
