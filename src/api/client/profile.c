/*
 * api/client/profile.c -- /profile/{userId} and its displayname and
 * avatar_url fields.
 *
 * Only local users are answered here; remote profiles need a federation
 * query, which comes with the federation layer.
 */
#include <string.h>

#include "api/routes.h"
#include "config.h"
#include "db/users.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "userid.h"
#include "util/err.h"
#include "util/str.h"

#define DISPLAYNAME_MAX 256
#define AVATAR_URL_MAX 1024

/* Load a local, active user's profile; on failure it has replied. */
static int
load_profile_or_reply(struct sy_req *req, struct sy_user *u)
{
    struct sy_error err = {0};
    const char *user_id = sy_req_param(req, "userId");

    if (!sy_userid_is_local(user_id, req->node->cfg->server_name) ||
        sy_db_user_get(req->db, req->arena, user_id, u, &err) != SY_OK || u->deactivated) {
        if (err.code != SY_OK && err.code != SY_ENOTFOUND) {
            sy_reply_sy_error(req, &err);
            return SY_EDB;
        }
        sy_reply_error(req, 404, "M_NOT_FOUND", "profile not found");
        return SY_ENOTFOUND;
    }
    return SY_OK;
}

static void
add_opt(struct json_object *o, const char *key, const char *value)
{
    if (value != NULL)
        json_object_object_add(o, key, json_object_new_string(value));
}

static void
get_profile(struct sy_req *req)
{
    struct sy_user u;
    struct json_object *o;

    if (load_profile_or_reply(req, &u) != SY_OK)
        return;
    o = sy_json_new_object(req->arena);
    add_opt(o, "displayname", u.displayname);
    add_opt(o, "avatar_url", u.avatar_url);
    sy_reply_json(req, 200, o);
}

static void
get_profile_field(struct sy_req *req, const char *field)
{
    struct sy_user u;
    struct json_object *o;
    const char *value;

    if (load_profile_or_reply(req, &u) != SY_OK)
        return;
    value = strcmp(field, "displayname") == 0 ? u.displayname : u.avatar_url;
    if (value == NULL) {
        sy_reply_error(req, 404, "M_NOT_FOUND", "no %s set", field);
        return;
    }
    o = sy_json_new_object(req->arena);
    add_opt(o, field, value);
    sy_reply_json(req, 200, o);
}

static int
validate_field(const char *field, const char *value, struct sy_error *err)
{
    size_t len = strlen(value);

    if (strcmp(field, "displayname") == 0) {
        if (len > DISPLAYNAME_MAX)
            return sy_err_invalid(err, "M_INVALID_PARAM", "displayname is longer than %d bytes",
                                  DISPLAYNAME_MAX);
        return SY_OK;
    }
    if (len > AVATAR_URL_MAX)
        return sy_err_invalid(err, "M_INVALID_PARAM", "avatar_url is too long");
    if (len > 0 && !sy_str_has_prefix(value, "mxc://"))
        return sy_err_invalid(err, "M_INVALID_PARAM", "avatar_url must be an mxc:// URI");
    return SY_OK;
}

static void
put_profile_field(struct sy_req *req, const char *field)
{
    struct sy_error err = {0};
    struct json_object *body, *v;
    const char *value = NULL;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (strcmp(sy_req_param(req, "userId"), req->user_id) != 0) {
        sy_reply_error(req, 403, "M_FORBIDDEN", "cannot change another user's profile");
        return;
    }
    /* json-c holds a JSON null as a NULL pointer: ask whether the key is there at all. */
    if (!json_object_object_get_ex(body, field, &v)) {
        sy_reply_error(req, 400, "M_MISSING_PARAM", "missing '%s'", field);
        return;
    }
    /* null or "" clears the field. */
    if (v != NULL && !json_object_is_type(v, json_type_null)) {
        if (!json_object_is_type(v, json_type_string)) {
            sy_reply_error(req, 400, "M_INVALID_PARAM", "'%s' must be a string", field);
            return;
        }
        value = json_object_get_string(v);
        if (validate_field(field, value, &err) != SY_OK)
            goto fail;
        if (value[0] == '\0')
            value = NULL;
    }
    if (sy_db_user_set_profile(req->db, req->user_id, field, value, &err) != SY_OK)
        goto fail;
    sy_reply_empty(req);
    return;
fail:
    sy_reply_sy_error(req, &err);
}

static void
get_displayname(struct sy_req *req)
{
    get_profile_field(req, "displayname");
}

static void
get_avatar_url(struct sy_req *req)
{
    get_profile_field(req, "avatar_url");
}

static void
put_displayname(struct sy_req *req)
{
    put_profile_field(req, "displayname");
}

static void
put_avatar_url(struct sy_req *req)
{
    put_profile_field(req, "avatar_url");
}

const struct sy_route sy_client_profile_routes[] = {
    {.method = SY_GET, .path = "/_matrix/client/v3/profile/{userId}", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_OPTIONAL, .guest_ok = 1, .handler = get_profile},
    {.method = SY_GET, .path = "/_matrix/client/v3/profile/{userId}/displayname",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_OPTIONAL, .guest_ok = 1,
     .handler = get_displayname},
    {.method = SY_GET, .path = "/_matrix/client/v3/profile/{userId}/avatar_url",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_OPTIONAL, .guest_ok = 1,
     .handler = get_avatar_url},
    {.method = SY_PUT, .path = "/_matrix/client/v3/profile/{userId}/displayname",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .guest_ok = 1, .max_body = 8192,
     .handler = put_displayname},
    {.method = SY_PUT, .path = "/_matrix/client/v3/profile/{userId}/avatar_url",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .guest_ok = 1, .max_body = 8192,
     .handler = put_avatar_url},
};
const size_t sy_client_profile_routes_count =
    sizeof(sy_client_profile_routes) / sizeof(sy_client_profile_routes[0]);
