/*
 * api/client/pushers.c -- GET /pushers and POST /pushers/set.
 *
 * Pushers are stored and listed; nothing is delivered to push gateways
 * yet (that needs an outbound sender on http/httpc).  Only "http" pushers
 * are accepted: "email" needs mail delivery, which this node lacks.
 */
#include <string.h>

#include "api/routes.h"
#include "config.h"
#include "db/push.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "util/err.h"
#include "util/time.h"

#define PUSHKEY_MAX 512 /* bytes (spec) */
#define APP_ID_MAX 64   /* characters (spec); counted in bytes here, stricter for non-ASCII */
#define NOTIFY_PATH "/_matrix/push/v1/notify"

/* An http pusher's data.url: http(s), a host, and the push gateway path (as Synapse). */
static int
check_url(const char *url, struct sy_error *err)
{
    const char *p, *end;

    if (strncmp(url, "https://", 8) == 0)
        p = url + 8;
    else if (strncmp(url, "http://", 7) == 0)
        p = url + 7;
    else
        return sy_err_invalid(err, "M_INVALID_PARAM", "data.url must be an http(s) URL");
    if (*p == '\0' || *p == '/' || (p = strchr(p, '/')) == NULL)
        return sy_err_invalid(err, "M_INVALID_PARAM", "data.url must name a host and a path");
    end = p + strcspn(p, "?#");
    if ((size_t)(end - p) != strlen(NOTIFY_PATH) || strncmp(p, NOTIFY_PATH, (size_t)(end - p)) != 0)
        return sy_err_invalid(err, "M_INVALID_PARAM", "data.url must have the path " NOTIFY_PATH);
    return SY_OK;
}

static int
check_data(struct json_object *data, struct sy_error *err)
{
    struct json_object *v;

    if (!json_object_object_get_ex(data, "url", &v) || v == NULL)
        return sy_error_set(err, SY_EINVAL, 400, "M_MISSING_PARAM",
                            "an http pusher needs data.url");
    if (!json_object_is_type(v, json_type_string))
        return sy_err_invalid(err, "M_INVALID_PARAM", "data.url must be a string");
    if (check_url(json_object_get_string(v), err) != SY_OK)
        return err->code;
    if (json_object_object_get_ex(data, "format", &v) &&
        (v == NULL || !json_object_is_type(v, json_type_string)))
        return sy_err_invalid(err, "M_INVALID_PARAM", "data.format must be a string");
    return SY_OK;
}

/* The body of a create/update: every required field, checked. */
static int
parse_pusher(struct sy_req *req, struct json_object *body, const char *kind, struct sy_db_pusher *p,
             int *append, struct sy_error *err)
{
    struct json_object *data;
    size_t len;

    if (strcmp(kind, "http") != 0)
        return sy_err_invalid(err, "M_INVALID_PARAM", "unsupported pusher kind \"%.32s\"", kind);
    if (sy_json_req_str(body, "app_display_name", &p->app_display_name, err) != SY_OK ||
        sy_json_req_str(body, "device_display_name", &p->device_display_name, err) != SY_OK ||
        sy_json_req_str(body, "lang", &p->lang, err) != SY_OK ||
        sy_json_opt_str(body, "profile_tag", &p->profile_tag, err) != SY_OK ||
        sy_json_opt_bool(body, "append", append, err) != SY_OK)
        return err->code;
    if (!json_object_object_get_ex(body, "data", &data) || data == NULL)
        return sy_error_set(err, SY_EINVAL, 400, "M_MISSING_PARAM", "missing 'data'");
    if (!json_object_is_type(data, json_type_object))
        return sy_err_invalid(err, "M_INVALID_PARAM", "'data' must be an object");
    if (check_data(data, err) != SY_OK)
        return err->code;
    p->kind = kind;
    p->data = sy_json_text(data, &len);
    p->user_id = req->user_id;
    p->device_id = req->device_id;
    p->created_ts = sy_now_ms();
    return SY_OK;
}

static void
set_pusher(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_db_pusher p = {0};
    struct json_object *body, *kind;
    int append = 0;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (sy_json_req_str(body, "app_id", &p.app_id, &err) != SY_OK ||
        sy_json_req_str(body, "pushkey", &p.pushkey, &err) != SY_OK)
        goto fail;
    if (!json_object_object_get_ex(body, "kind", &kind)) {
        sy_reply_error(req, 400, "M_MISSING_PARAM", "missing 'kind'");
        return;
    }
    if (strlen(p.pushkey) > PUSHKEY_MAX || strlen(p.app_id) > APP_ID_MAX || p.app_id[0] == '\0' ||
        p.pushkey[0] == '\0') {
        sy_reply_error(req, 400, "M_INVALID_PARAM",
                       "app_id must be 1 to %d bytes and pushkey 1 to %d bytes", APP_ID_MAX,
                       PUSHKEY_MAX);
        return;
    }
    /* kind null: delete this app_id/pushkey pusher of the user. */
    if (kind == NULL) {
        if (sy_db_pusher_delete(req->db, req->user_id, p.app_id, p.pushkey, &err) != SY_OK)
            goto fail;
        sy_reply_empty(req);
        return;
    }
    if (!json_object_is_type(kind, json_type_string)) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "'kind' must be a string or null");
        return;
    }
    if (parse_pusher(req, body, json_object_get_string(kind), &p, &append, &err) != SY_OK ||
        sy_db_pusher_set(req->db, &p, append, &err) != SY_OK)
        goto fail;
    sy_reply_empty(req);
    return;
fail:
    sy_reply_sy_error(req, &err);
}

static void
add_str(struct json_object *o, const char *key, const char *value)
{
    if (value != NULL)
        json_object_object_add(o, key, json_object_new_string(value));
}

static void
get_pushers(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_db_pusher *v;
    struct json_object *o, *arr;
    size_t n;

    if (sy_db_pushers_list(req->db, req->arena, req->user_id, &v, &n, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    o = sy_json_new_object(req->arena);
    arr = json_object_new_array();
    json_object_object_add(o, "pushers", arr);
    for (size_t i = 0; i < n; i++) {
        struct json_object *x = json_object_new_object(), *data = NULL;

        add_str(x, "pushkey", v[i].pushkey);
        add_str(x, "kind", v[i].kind);
        add_str(x, "app_id", v[i].app_id);
        add_str(x, "app_display_name", v[i].app_display_name);
        add_str(x, "device_display_name", v[i].device_display_name);
        add_str(x, "profile_tag", v[i].profile_tag);
        add_str(x, "lang", v[i].lang);
        if (sy_json_parse(req->arena, v[i].data, strlen(v[i].data), 64, &data, &err) != SY_OK)
            data = sy_json_new_object(req->arena); /* stored by us from an object: cannot happen */
        json_object_object_add(x, "data", json_object_get(data));
        json_object_array_add(arr, x);
    }
    sy_reply_json(req, 200, o);
}

const struct sy_route sy_client_pushers_routes[] = {
    {.method = SY_GET,
     .path = "/_matrix/client/v3/pushers",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .handler = get_pushers},
    {.method = SY_POST,
     .path = "/_matrix/client/v3/pushers/set",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .max_body = 64 * 1024,
     .handler = set_pusher},
};
const size_t sy_client_pushers_routes_count =
    sizeof(sy_client_pushers_routes) / sizeof(sy_client_pushers_routes[0]);
