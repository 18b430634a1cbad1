/*
 * api/client/to_device.c -- PUT /sendToDevice/{eventType}/{txnId}.
 */
#include "api/routes.h"
#include "config.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "sync/to_device.h"
#include "util/err.h"

static void
put_send_to_device(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body, *messages;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if ((messages = sy_json_get(body, "messages")) == NULL) {
        sy_reply_error(req, 400, "M_MISSING_PARAM", "missing 'messages'");
        return;
    }
    if (!json_object_is_type(messages, json_type_object)) {
        sy_reply_error(req, 400, "M_BAD_JSON", "'messages' must be an object");
        return;
    }
    json_object_object_foreach(messages, user, devices)
    {
        (void)user;
        if (!json_object_is_type(devices, json_type_object)) {
            sy_reply_error(req, 400, "M_BAD_JSON", "'messages' must map users to devices");
            return;
        }
        json_object_object_foreach(devices, device, content)
        {
            (void)device;
            if (!json_object_is_type(content, json_type_object)) {
                sy_reply_error(req, 400, "M_BAD_JSON", "message content must be an object");
                return;
            }
        }
    }
    if (sy_to_device_send(req->db, req->arena, req->node->cfg->server_name, req->user_id,
                          req->device_id, sy_req_param(req, "eventType"),
                          sy_req_param(req, "txnId"), messages, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_empty(req);
}

const struct sy_route sy_client_to_device_routes[] = {
    {.method = SY_PUT,
     .path = "/_matrix/client/v3/sendToDevice/{eventType}/{txnId}",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .guest_ok = 1,
     .handler = put_send_to_device},
};
const size_t sy_client_to_device_routes_count =
    sizeof(sy_client_to_device_routes) / sizeof(sy_client_to_device_routes[0]);
