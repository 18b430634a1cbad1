/*
 * api/client/login.c -- GET/POST /login, /logout, /logout/all.
 */
#include <ctype.h>
#include <string.h>

#include "accounts.h"
#include "api/routes.h"
#include "config.h"
#include "http/ratelimit.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "userid.h"
#include "util/arena.h"
#include "util/err.h"

static void
get_login(struct sy_req *req)
{
    struct json_object *o = sy_json_new_object(req->arena), *flows = json_object_new_array();
    struct json_object *pw = json_object_new_object();

    json_object_object_add(pw, "type", json_object_new_string("m.login.password"));
    json_object_array_add(flows, pw);
    json_object_object_add(o, "flows", flows);
    sy_reply_json(req, 200, o);
}

/* The user the login names: identifier {type m.id.user, user} or the legacy "user". */
static int
login_user_id(struct sy_req *req, struct json_object *body, const char **user_id,
              struct sy_error *err)
{
    struct json_object *ident = sy_json_get(body, "identifier");
    const char *user = NULL, *type;
    char *lower;

    if (ident != NULL) {
        if (!json_object_is_type(ident, json_type_object))
            return sy_err_invalid(err, "M_BAD_JSON", "'identifier' must be an object");
        if (sy_json_req_str(ident, "type", &type, err) != SY_OK)
            return err->code;
        if (strcmp(type, "m.id.user") != 0)
            return sy_err_invalid(err, "M_UNKNOWN", "identifier type '%s' is not supported",
                                  type);
        if (sy_json_req_str(ident, "user", &user, err) != SY_OK)
            return err->code;
    } else if (sy_json_req_str(body, "user", &user, err) != SY_OK) {
        return sy_err_invalid(err, "M_MISSING_PARAM", "missing 'identifier'");
    }
    /* Local IDs are stored lower-case, so logins match case-insensitively. */
    lower = sy_arena_strdup(req->arena, user);
    for (char *p = lower; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (lower[0] == '@') {
        if (!sy_userid_is_local(lower, req->node->cfg->server_name))
            return sy_error_set(err, SY_EFORBIDDEN, 403, "M_FORBIDDEN",
                                "invalid username or password");
        *user_id = lower;
    } else {
        *user_id = sy_userid_make(req->arena, lower, req->node->cfg->server_name);
    }
    return SY_OK;
}

static void
post_login(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body, *o, *wk, *hs;
    const char *type, *password = NULL, *user_id = NULL, *device_id = NULL, *display = NULL;
    struct sy_session s;
    long retry;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (sy_json_req_str(body, "type", &type, &err) != SY_OK)
        goto fail;
    if (strcmp(type, "m.login.password") != 0) {
        sy_reply_error(req, 400, "M_UNKNOWN", "unsupported login type");
        return;
    }
    if (login_user_id(req, body, &user_id, &err) != SY_OK ||
        sy_json_req_str(body, "password", &password, &err) != SY_OK ||
        sy_json_opt_str(body, "device_id", &device_id, &err) != SY_OK ||
        sy_json_opt_str(body, "initial_device_display_name", &display, &err) != SY_OK)
        goto fail;
    if (device_id != NULL && (device_id[0] == '\0' || strlen(device_id) > 255)) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "invalid device_id");
        return;
    }
    if (req->node->cfg->rate_limits_enabled &&
        sy_ratelimit_take(req->node->rl_login_user, user_id, &retry) != SY_OK) {
        sy_error_set(&err, SY_ELIMIT, 429, "M_LIMIT_EXCEEDED", "too many login attempts");
        err.retry_after_ms = retry;
        goto fail;
    }
    if (sy_account_check_password(req->db, req->arena, req->node->cfg, user_id, password, &err) !=
            SY_OK ||
        sy_account_open_session(req->db, req->arena, user_id, device_id, display, req->remote_ip,
                                &s, &err) != SY_OK)
        goto fail;

    o = sy_json_new_object(req->arena);
    json_object_object_add(o, "user_id", json_object_new_string(s.user_id));
    json_object_object_add(o, "access_token", json_object_new_string(s.access_token));
    json_object_object_add(o, "device_id", json_object_new_string(s.device_id));
    json_object_object_add(o, "home_server", json_object_new_string(req->node->cfg->server_name));
    wk = json_object_new_object();
    hs = json_object_new_object();
    json_object_object_add(hs, "base_url", json_object_new_string(req->node->cfg->public_baseurl));
    json_object_object_add(wk, "m.homeserver", hs);
    json_object_object_add(o, "well_known", wk);
    sy_reply_json(req, 200, o);
    return;
fail:
    sy_reply_sy_error(req, &err);
}

static void
post_logout(struct sy_req *req)
{
    struct sy_error err = {0};

    /* The device goes, and its tokens and keys with it (ON DELETE CASCADE). */
    if (sy_account_delete_devices(req->db, req->arena, req->user_id, &req->device_id, 1, &err) !=
        SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_empty(req);
}

static void
post_logout_all(struct sy_req *req)
{
    struct sy_error err = {0};

    if (sy_account_delete_all_devices(req->db, req->arena, req->user_id, NULL, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_empty(req);
}

const struct sy_route sy_client_login_routes[] = {
    {.method = SY_GET, .path = "/_matrix/client/v3/login", .resource = SY_RES_CLIENT,
     .handler = get_login},
    {.method = SY_POST, .path = "/_matrix/client/v3/login", .resource = SY_RES_CLIENT,
     .rate_class = SY_RL_LOGIN, .max_body = 16 * 1024, .handler = post_login},
    {.method = SY_POST, .path = "/_matrix/client/v3/logout", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .guest_ok = 1, .handler = post_logout},
    {.method = SY_POST, .path = "/_matrix/client/v3/logout/all", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .guest_ok = 1, .handler = post_logout_all},
};
const size_t sy_client_login_routes_count =
    sizeof(sy_client_login_routes) / sizeof(sy_client_login_routes[0]);
