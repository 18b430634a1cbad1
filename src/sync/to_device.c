/*
 * sync/to_device.c -- queue send-to-device messages; the /sync section
 * that delivers them exactly once.
 */
#include <string.h>

#include "db/db.h"
#include "db/device_inbox.h"
#include "json/json.h"
#include "rooms/auth.h"
#include "sync/notifier.h"
#include "sync/sections.h"
#include "sync/stream.h"
#include "sync/to_device.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/log.h"

int
sy_to_device_send(struct sy_db *db, struct sy_arena *a, const char *server_name, const char *sender,
                  const char *sender_device, const char *type, const char *txn_id,
                  struct json_object *messages, struct sy_error *err)
{
    const char **woken =
        sy_arena_alloc(a, sizeof(char *) * (json_object_object_length(messages) + 1));
    size_t n_woken = 0;
    int64_t pos;
    int fresh;

    if (sy_db_begin(db, err) != SY_OK)
        return err->code;
    if (sy_db_to_device_txn_claim(db, sender, sender_device, txn_id, &fresh, err) != SY_OK)
        goto fail;
    if (!fresh) {
        sy_db_rollback(db);
        return SY_OK;
    }
    if (sy_db_stream_advance(db, SY_STREAM_TO_DEVICE, &pos, err) != SY_OK)
        goto fail;
    json_object_object_foreach(messages, user, devices)
    {
        if (strcmp(sy_auth_domain(user), server_name) != 0) {
            sy_log(SY_LOG_INFO, "to-device message for remote user %s dropped: no federation",
                   user);
            continue;
        }
        /* "*" first, so a message naming a device as well replaces it for that device. */
        for (int pass = 0; pass < 2; pass++) {
            json_object_object_foreach(devices, device, content)
            {
                struct json_object *msg;
                const char *text;
                int all = strcmp(device, "*") == 0;

                if (all != (pass == 0))
                    continue;
                msg = sy_json_new_object(a);
                json_object_object_add(msg, "sender", json_object_new_string(sender));
                json_object_object_add(msg, "type", json_object_new_string(type));
                json_object_object_add(msg, "content", json_object_get(content));
                text = sy_json_text(msg, NULL);
                if (sy_db_device_inbox_put(db, user, all ? NULL : device, pos, text, err) != SY_OK)
                    goto fail;
            }
        }
        woken[n_woken++] = user;
    }
    if (sy_db_commit(db, err) != SY_OK)
        goto fail;
    for (size_t i = 0; i < n_woken; i++)
        sy_notify_user(woken[i]);
    return SY_OK;
fail:
    sy_db_rollback(db);
    return err->code;
}

int
sy_sync_section_to_device(struct sy_sync_ctx *ctx, struct json_object *resp, int *any,
                          struct sy_error *err)
{
    struct json_object *td = json_object_new_object(), *events = json_object_new_array();
    struct sy_db_inbox_msg *msgs;
    int64_t since = ctx->since.pos[SY_STREAM_TO_DEVICE];
    size_t n;

    json_object_object_add(td, "events", events);
    json_object_object_add(resp, "to_device", td);
    if (ctx->device_id == NULL)
        return SY_OK;
    /* A 'since' at or past a message proves the device received it. */
    if (!ctx->initial &&
        sy_db_device_inbox_delete(ctx->db, ctx->user_id, ctx->device_id, since, err) != SY_OK)
        return err->code;
    if (sy_db_device_inbox_fetch(ctx->db, ctx->a, ctx->user_id, ctx->device_id, since,
                                 ctx->now.pos[SY_STREAM_TO_DEVICE], SY_TO_DEVICE_SYNC_LIMIT, &msgs,
                                 &n, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n; i++) {
        struct json_object *m;

        if (sy_json_parse(ctx->a, msgs[i].message, strlen(msgs[i].message), 64, &m, err) != SY_OK)
            return err->code;
        json_object_array_add(events, json_object_get(m));
    }
    /* A full page: next_batch stops at the last message given, so the rest come next time. */
    if (n == SY_TO_DEVICE_SYNC_LIMIT)
        ctx->now.pos[SY_STREAM_TO_DEVICE] = msgs[n - 1].pos;
    if (n > 0)
        *any = 1;
    return SY_OK;
}
