/*
 * sync/room_extras.c -- the per-room parts of rooms.join.<room_id> that
 * come from streams other than the timeline.  Each stream's engineer adds
 * its call to the table below.
 */
#include "sync/sections.h"
#include "util/err.h"

typedef int (*room_part_fn)(struct sy_sync_ctx *ctx, const char *room_id, int fresh,
                            struct json_object *room, int *any, struct sy_error *err);

static const room_part_fn parts[] = {
    sy_sync_room_ephemeral,
    sy_sync_room_account_data,
};

int
sy_sync_room_extras(struct sy_sync_ctx *ctx, const char *room_id, int fresh,
                    struct json_object *room, int *any, struct sy_error *err)
{
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        if (parts[i](ctx, room_id, fresh, room, any, err) != SY_OK)
            return err->code;
    return SY_OK;
}
