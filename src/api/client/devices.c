/*
 * api/client/devices.c -- /devices, /devices/{deviceId}, /delete_devices.
 */
#include <string.h>

#include "accounts.h"
#include "api/client/uia.h"
#include "api/routes.h"
#include "config.h"
#include "db/devices.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "util/arena.h"
#include "util/err.h"

static const struct sy_uia_flow password_flow[] = {{{"m.login.password"}}};

static struct json_object *
device_json(const char *user_id, const struct sy_device *d)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "device_id", json_object_new_string(d->device_id));
    json_object_object_add(o, "user_id", json_object_new_string(user_id));
    if (d->display_name != NULL)
        json_object_object_add(o, "display_name", json_object_new_string(d->display_name));
    if (d->last_seen_ip != NULL)
        json_object_object_add(o, "last_seen_ip", json_object_new_string(d->last_seen_ip));
    if (d->last_seen_ts > 0)
        json_object_object_add(o, "last_seen_ts", json_object_new_int64(d->last_seen_ts));
    return o;
}

static void
get_devices(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_device *devs;
    struct json_object *o, *arr;
    size_t n;

    if (sy_db_device_list(req->db, req->arena, req->user_id, &devs, &n, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    o = sy_json_new_object(req->arena);
    arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, device_json(req->user_id, &devs[i]));
    json_object_object_add(o, "devices", arr);
    sy_reply_json(req, 200, o);
}

static void
get_device(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_device d;

    if (sy_db_device_get(req->db, req->arena, req->user_id, sy_req_param(req, "deviceId"), &d,
                         &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_json(req, 200, sy_json_own(req->arena, device_json(req->user_id, &d)));
}

static void
put_device(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body;
    const char *name = NULL;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (sy_json_opt_str(body, "display_name", &name, &err) != SY_OK)
        goto fail;
    if (name != NULL && strlen(name) > 1000) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "display_name is too long");
        return;
    }
    if (name == NULL) {
        /* Nothing to change; the device must still exist. */
        struct sy_device d;

        if (sy_db_device_get(req->db, req->arena, req->user_id, sy_req_param(req, "deviceId"),
                             &d, &err) != SY_OK)
            goto fail;
    } else if (sy_db_device_rename(req->db, req->user_id, sy_req_param(req, "deviceId"), name,
                                   &err) != SY_OK) {
        goto fail;
    }
    sy_reply_empty(req);
    return;
fail:
    sy_reply_sy_error(req, &err);
}

static void
delete_device(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body;
    struct sy_uia_done done;

    if ((body = sy_req_json_opt_or_reply(req)) == NULL)
        return;
    if (sy_uia_run(req, body, "delete_devices", password_flow, 1, &done) != SY_OK)
        return;
    const char *id = sy_req_param(req, "deviceId");

    if (sy_account_delete_devices(req->db, req->arena, req->user_id, &id, 1, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_uia_finish(req, &done);
    sy_reply_empty(req);
}

static void
post_delete_devices(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body, *list;
    struct sy_uia_done done;
    const char **ids;
    size_t n;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if ((list = sy_json_get(body, "devices")) == NULL) {
        sy_reply_error(req, 400, "M_MISSING_PARAM", "missing 'devices'");
        return;
    }
    if (!json_object_is_type(list, json_type_array)) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "'devices' must be an array");
        return;
    }
    n = json_object_array_length(list);
    for (size_t i = 0; i < n; i++) {
        if (!json_object_is_type(json_object_array_get_idx(list, i), json_type_string)) {
            sy_reply_error(req, 400, "M_INVALID_PARAM", "'devices' must hold strings");
            return;
        }
    }
    if (sy_uia_run(req, body, "delete_devices", password_flow, 1, &done) != SY_OK)
        return;
    ids = sy_arena_alloc(req->arena, sizeof(char *) * (n + 1));
    for (size_t i = 0; i < n; i++)
        ids[i] = json_object_get_string(json_object_array_get_idx(list, i));
    if (sy_account_delete_devices(req->db, req->arena, req->user_id, ids, n, &err) != SY_OK)
        goto fail;
    sy_uia_finish(req, &done);
    sy_reply_empty(req);
    return;
fail:
    sy_reply_sy_error(req, &err);
}

const struct sy_route sy_client_devices_routes[] = {
    {.method = SY_GET, .path = "/_matrix/client/v3/devices", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .guest_ok = 1, .handler = get_devices},
    {.method = SY_GET, .path = "/_matrix/client/v3/devices/{deviceId}",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .guest_ok = 1, .handler = get_device},
    {.method = SY_PUT, .path = "/_matrix/client/v3/devices/{deviceId}",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .guest_ok = 1, .handler = put_device},
    {.method = SY_DELETE, .path = "/_matrix/client/v3/devices/{deviceId}",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .handler = delete_device},
    {.method = SY_POST, .path = "/_matrix/client/v3/delete_devices", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .handler = post_delete_devices},
};
const size_t sy_client_devices_routes_count =
    sizeof(sy_client_devices_routes) / sizeof(sy_client_devices_routes[0]);
