/*
 * api/client/account.c -- /account/whoami, /account/password,
 * /account/deactivate.
 */
#include "accounts.h"
#include "api/client/uia.h"
#include "api/routes.h"
#include "config.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "util/err.h"

static const struct sy_uia_flow password_flow[] = {{{"m.login.password"}}};

static void
get_whoami(struct sy_req *req)
{
    struct json_object *o = sy_json_new_object(req->arena);

    json_object_object_add(o, "user_id", json_object_new_string(req->user_id));
    json_object_object_add(o, "device_id", json_object_new_string(req->device_id));
    json_object_object_add(o, "is_guest", json_object_new_boolean(req->is_guest));
    sy_reply_json(req, 200, o);
}

static void
post_password(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body;
    struct sy_uia_done done;
    const char *password;
    int logout_devices = 1;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    /* Validate before UIA so a bad request does not spend the user's password round. */
    if (sy_json_req_str(body, "new_password", &password, &err) != SY_OK ||
        sy_json_opt_bool(body, "logout_devices", &logout_devices, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    if (sy_uia_run(req, body, "password", password_flow, 1, &done) != SY_OK)
        return;
    /* The device making the change keeps its session; the others end (the spec's default). */
    if (sy_account_set_password(req->db, req->arena, req->node->cfg, req->user_id, password,
                                logout_devices, req->device_id, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_uia_finish(req, &done);
    sy_reply_empty(req);
}

static void
post_deactivate(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body, *o;
    struct sy_uia_done done;
    int erase = 0;

    if ((body = sy_req_json_opt_or_reply(req)) == NULL)
        return;
    if (sy_json_opt_bool(body, "erase", &erase, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    if (sy_uia_run(req, body, "deactivate", password_flow, 1, &done) != SY_OK)
        return;
    if (sy_account_deactivate(req->db, req->arena, req->user_id, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_uia_finish(req, &done);
    o = sy_json_new_object(req->arena);
    /* No identity-server bindings are ever made by this node. */
    json_object_object_add(o, "id_server_unbind_result", json_object_new_string("no-support"));
    sy_reply_json(req, 200, o);
}

const struct sy_route sy_client_account_routes[] = {
    {.method = SY_GET, .path = "/_matrix/client/v3/account/whoami", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .guest_ok = 1, .handler = get_whoami},
    {.method = SY_POST, .path = "/_matrix/client/v3/account/password", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .rate_class = SY_RL_LOGIN, .handler = post_password},
    {.method = SY_POST, .path = "/_matrix/client/v3/account/deactivate",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .rate_class = SY_RL_LOGIN,
     .handler = post_deactivate},
};
const size_t sy_client_account_routes_count =
    sizeof(sy_client_account_routes) / sizeof(sy_client_account_routes[0]);
