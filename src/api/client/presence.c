/*
 * api/client/presence.c -- PUT and GET /presence/{userId}/status.
 *
 * Setting is for yourself only; reading is for yourself and for users
 * sharing a joined room with the target (sync/presence.h).
 */
#include <string.h>

#include "api/routes.h"
#include "config.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "sync/presence.h"
#include "util/err.h"

/* The spec gives no limit; a status line longer than this is not a status line. */
#define STATUS_MSG_MAX 1024

static void
put_presence(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body, *v;
    const char *state, *status_msg = NULL;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (strcmp(sy_req_param(req, "userId"), req->user_id) != 0) {
        sy_reply_error(req, 403, "M_FORBIDDEN", "can only set your own presence state");
        return;
    }
    if (sy_json_req_str(body, "presence", &state, &err) != SY_OK)
        goto fail;
    if (!sy_presence_state_valid(state)) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "invalid presence state '%s'", state);
        return;
    }
    /* null clears the message, as an absent key does. */
    if (json_object_object_get_ex(body, "status_msg", &v) && v != NULL) {
        if (!json_object_is_type(v, json_type_string)) {
            sy_reply_error(req, 400, "M_INVALID_PARAM", "status_msg must be a string");
            return;
        }
        if (json_object_get_string_len(v) > STATUS_MSG_MAX) {
            sy_reply_error(req, 400, "M_INVALID_PARAM", "status_msg is over %d bytes",
                           STATUS_MSG_MAX);
            return;
        }
        status_msg = json_object_get_string(v);
    }
    if (sy_presence_set(req->db, req->arena, req->user_id, state, status_msg, &err) != SY_OK)
        goto fail;
    sy_reply_empty(req);
    return;
fail:
    sy_reply_sy_error(req, &err);
}

static void
get_presence(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *out;

    if (sy_presence_get(req->db, req->arena, req->user_id, sy_req_param(req, "userId"), &out,
                        &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_json(req, 200, out);
}

const struct sy_route sy_client_presence_routes[] = {
    {.method = SY_PUT, .path = "/_matrix/client/v3/presence/{userId}/status",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .max_body = 8192, .handler = put_presence},
    {.method = SY_GET, .path = "/_matrix/client/v3/presence/{userId}/status",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .handler = get_presence},
};
const size_t sy_client_presence_routes_count = 2;
