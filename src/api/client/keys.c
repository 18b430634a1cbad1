/*
 * api/client/keys.c -- /keys/upload, /keys/query, /keys/claim,
 * /keys/changes, /keys/device_signing/upload, /keys/signatures/upload.
 * Shapes are checked here; the rules are in sync/e2ee.c.
 */
#include <string.h>

#include "api/client/uia.h"
#include "api/routes.h"
#include "config.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "sync/e2ee.h"
#include "sync/stream.h"
#include "util/err.h"

static const struct sy_uia_flow password_flow[] = {{{"m.login.password"}}};

/* An optional member that must be an object when present: 0 and *out (NULL when absent). */
static int
opt_object(struct json_object *body, const char *key, struct json_object **out,
           struct sy_error *err)
{
    struct json_object *v = sy_json_get(body, key);

    *out = NULL;
    if (v == NULL || json_object_is_type(v, json_type_null))
        return SY_OK;
    if (!json_object_is_type(v, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "'%s' must be an object", key);
    *out = v;
    return SY_OK;
}

/* Every value of obj is of 'type' (and, for objects, every value of those is 'inner'). */
static int
values_are(struct json_object *obj, json_type type, int inner, const char *what,
           struct sy_error *err)
{
    json_object_object_foreach(obj, k, v)
    {
        (void)k;
        if (!json_object_is_type(v, type))
            return sy_err_invalid(err, "M_BAD_JSON", "%s", what);
        if (type == json_type_array) {
            for (size_t i = 0; i < json_object_array_length(v); i++)
                if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
                    return sy_err_invalid(err, "M_BAD_JSON", "%s", what);
        } else if (type == json_type_object && inner >= 0 &&
                   values_are(v, (json_type)inner, -1, what, err) != SY_OK) {
            return err->code;
        }
    }
    return SY_OK;
}

static void
post_upload(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body, *dk, *otk, *fbk, *counts, *resp;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (opt_object(body, "device_keys", &dk, &err) != SY_OK ||
        opt_object(body, "one_time_keys", &otk, &err) != SY_OK ||
        opt_object(body, "fallback_keys", &fbk, &err) != SY_OK ||
        sy_e2e_upload(req->db, req->arena, req->user_id, req->device_id, dk, otk, fbk, &counts,
                      &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    resp = sy_json_new_object(req->arena);
    json_object_object_add(resp, "one_time_key_counts", json_object_get(counts));
    sy_reply_json(req, 200, resp);
}

static void
post_query(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body, *query, *resp;
    int rc;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if ((query = sy_json_get(body, "device_keys")) == NULL) {
        sy_reply_error(req, 400, "M_MISSING_PARAM", "missing 'device_keys'");
        return;
    }
    resp = sy_json_new_object(req->arena);
    if (!json_object_is_type(query, json_type_object))
        rc = sy_err_invalid(&err, "M_BAD_JSON", "'device_keys' must be an object");
    else if ((rc = values_are(query, json_type_array, -1,
                              "'device_keys' must map user IDs to lists of device IDs", &err)) ==
             SY_OK)
        rc = sy_e2e_query(req->db, req->arena, req->node->cfg->server_name, req->user_id, query,
                          resp, &err);
    if (rc != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_json(req, 200, resp);
}

static void
post_claim(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body, *query, *resp;
    int rc;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if ((query = sy_json_get(body, "one_time_keys")) == NULL) {
        sy_reply_error(req, 400, "M_MISSING_PARAM", "missing 'one_time_keys'");
        return;
    }
    resp = sy_json_new_object(req->arena);
    if (!json_object_is_type(query, json_type_object))
        rc = sy_err_invalid(&err, "M_BAD_JSON", "'one_time_keys' must be an object");
    else if ((rc = values_are(query, json_type_object, json_type_string,
                              "'one_time_keys' must map users to {device: algorithm}", &err)) ==
             SY_OK)
        rc = sy_e2e_claim(req->db, req->arena, req->node->cfg->server_name, query, resp, &err);
    if (rc != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_json(req, 200, resp);
}

static void
get_changes(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_sync_token from, to, now;
    const char *f = sy_req_query(req, "from"), *t = sy_req_query(req, "to");
    struct json_object *resp;

    if (f == NULL) {
        sy_reply_error(req, 400, "M_MISSING_PARAM", "missing 'from'");
        return;
    }
    if (sy_sync_token_parse(f, &from) != 0 || (t != NULL && sy_sync_token_parse(t, &to) != 0)) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "unknown sync token");
        return;
    }
    /* As Synapse: 'to' is checked but changes after it are reported too. */
    resp = sy_json_new_object(req->arena);
    if (sy_sync_token_now(req->db, &now, &err) != SY_OK ||
        sy_e2e_changes(req->db, req->arena, req->user_id, &from, &now, resp, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_json(req, 200, resp);
}

static void
post_device_signing(struct sy_req *req)
{
    static const char *const fields[] = {"master_key", "self_signing_key", "user_signing_key"};
    struct sy_error err = {0};
    struct json_object *body, *unused;
    struct sy_uia_done done = {0};
    int needs_auth;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    for (size_t i = 0; i < 3; i++)
        if (opt_object(body, fields[i], &unused, &err) != SY_OK)
            goto fail;
    if (sy_e2e_xsign_needs_auth(req->db, req->arena, req->user_id, body, &needs_auth, &err) !=
        SY_OK)
        goto fail;
    if (needs_auth && sy_uia_run(req, body, "device_signing", password_flow, 1, &done) != SY_OK)
        return;
    if (sy_e2e_xsign_upload(req->db, req->arena, req->user_id, body, &err) != SY_OK)
        goto fail;
    if (needs_auth)
        sy_uia_finish(req, &done);
    sy_reply_empty(req);
    return;
fail:
    sy_reply_sy_error(req, &err);
}

static void
post_signatures(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body, *resp;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    resp = sy_json_new_object(req->arena);
    if (values_are(body, json_type_object, -1, "body must map users to {key ID: signed object}",
                   &err) != SY_OK ||
        sy_e2e_signatures_upload(req->db, req->arena, req->user_id, body, resp, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_json(req, 200, resp);
}

const struct sy_route sy_client_keys_routes[] = {
    {.method = SY_POST,
     .path = "/_matrix/client/v3/keys/upload",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .guest_ok = 1,
     .handler = post_upload},
    {.method = SY_POST,
     .path = "/_matrix/client/v3/keys/query",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .guest_ok = 1,
     .handler = post_query},
    {.method = SY_POST,
     .path = "/_matrix/client/v3/keys/claim",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .guest_ok = 1,
     .handler = post_claim},
    {.method = SY_GET,
     .path = "/_matrix/client/v3/keys/changes",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .guest_ok = 1,
     .handler = get_changes},
    {.method = SY_POST,
     .path = "/_matrix/client/v3/keys/device_signing/upload",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .handler = post_device_signing},
    {.method = SY_POST,
     .path = "/_matrix/client/v3/keys/signatures/upload",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .handler = post_signatures},
};
const size_t sy_client_keys_routes_count =
    sizeof(sy_client_keys_routes) / sizeof(sy_client_keys_routes[0]);
