/*
 * api/client/typing.c -- PUT /rooms/{roomId}/typing/{userId}.
 *
 * Only for yourself, only in a room you are joined to.  The typing state
 * itself lives in memory (sync/typing.h), which also wakes long-polls.
 */
#include <string.h>

#include "api/routes.h"
#include "config.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "rooms/room.h"
#include "sync/typing.h"
#include "util/err.h"

/* Synapse's default when a client starts typing without a timeout. */
#define TYPING_DEFAULT_TIMEOUT_MS 30000

static void
put_typing(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body, *v;
    const char *room_id = sy_req_param(req, "roomId"), *membership;
    int64_t timeout = TYPING_DEFAULT_TIMEOUT_MS;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (strcmp(sy_req_param(req, "userId"), req->user_id) != 0) {
        sy_reply_error(req, 403, "M_FORBIDDEN", "cannot set another user's typing state");
        return;
    }
    if (!json_object_object_get_ex(body, "typing", &v)) {
        sy_reply_error(req, 400, "M_MISSING_PARAM", "missing 'typing'");
        return;
    }
    if (!json_object_is_type(v, json_type_boolean)) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "'typing' must be a boolean");
        return;
    }
    if (sy_json_opt_int(body, "timeout", &timeout, &err) != SY_OK)
        goto fail;
    if (timeout < 0) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "'timeout' must not be negative");
        return;
    }
    if (sy_room_membership(req->db, req->arena, room_id, req->user_id, &membership, &err) !=
        SY_OK)
        goto fail;
    if (membership == NULL || strcmp(membership, "join") != 0) {
        sy_reply_error(req, 403, "M_FORBIDDEN", "you are not joined to this room");
        return;
    }
    sy_typing_set(room_id, req->user_id, json_object_get_boolean(v), timeout);
    sy_reply_empty(req);
    return;
fail:
    sy_reply_sy_error(req, &err);
}

const struct sy_route sy_client_typing_routes[] = {
    {.method = SY_PUT, .path = "/_matrix/client/v3/rooms/{roomId}/typing/{userId}",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .max_body = 4096, .handler = put_typing},
};
const size_t sy_client_typing_routes_count = 1;
