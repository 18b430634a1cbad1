/*
 * api/client/filter.c -- POST /user/{userId}/filter and GET
 * /user/{userId}/filter/{filterId}: a user's stored filters.
 *
 * Only for yourself (403 otherwise, as Synapse).  The filter is checked
 * against the spec's schema (sync/filter.h), its timeline limit capped,
 * and stored as canonical JSON.
 */
#include <string.h>

#include "api/routes.h"
#include "config.h"
#include "db/filters.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/canonical.h"
#include "json/json.h"
#include "sync/filter.h"
#include "util/buf.h"
#include "util/err.h"

/* Filters are small; a larger body is refused before it is parsed. */
#define FILTER_BODY_MAX (64 * 1024)

/* The path's user must be the requester.  0, or it has replied. */
static int
check_owner_or_reply(struct sy_req *req, const char *what)
{
    const char *user_id = sy_req_param(req, "userId");

    if (user_id == NULL || strcmp(user_id, req->user_id) != 0) {
        sy_reply_error(req, 403, "M_FORBIDDEN", "cannot %s filters for other users", what);
        return SY_EFORBIDDEN;
    }
    return SY_OK;
}

/* POST /user/{userId}/filter */
static void
post_filter(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *filter, *resp;
    struct sy_buf text;
    const char *filter_id;
    int rc;

    if (check_owner_or_reply(req, "create") != SY_OK ||
        (filter = sy_req_json_or_reply(req)) == NULL)
        return;
    if (sy_filter_validate(filter, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_filter_cap_timeline(filter);
    sy_buf_init(&text, FILTER_BODY_MAX * 2);
    if (sy_json_canonical(&text, filter, &err) != SY_OK) {
        sy_buf_free(&text);
        sy_reply_error(req, 400, "M_BAD_JSON", "the filter is not valid JSON for Matrix: %s",
                       err.msg);
        return;
    }
    rc = sy_db_filter_add(req->db, req->arena, req->user_id, text.data, &filter_id, &err);
    sy_buf_free(&text);
    if (rc != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    resp = sy_json_new_object(req->arena);
    json_object_object_add(resp, "filter_id", json_object_new_string(filter_id));
    sy_reply_json(req, 200, resp);
}

/* GET /user/{userId}/filter/{filterId} */
static void
get_filter(struct sy_req *req)
{
    struct sy_error err = {0};
    const char *json;

    if (check_owner_or_reply(req, "get") != SY_OK)
        return;
    if (sy_db_filter_get(req->db, req->arena, req->user_id, sy_req_param(req, "filterId"), &json,
                         &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_json_text(req, 200, json, strlen(json));
}

const struct sy_route sy_client_filter_routes[] = {
    {.method = SY_POST, .path = "/_matrix/client/v3/user/{userId}/filter",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .max_body = FILTER_BODY_MAX,
     .handler = post_filter},
    {.method = SY_GET, .path = "/_matrix/client/v3/user/{userId}/filter/{filterId}",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .handler = get_filter},
};
const size_t sy_client_filter_routes_count =
    sizeof(sy_client_filter_routes) / sizeof(sy_client_filter_routes[0]);
