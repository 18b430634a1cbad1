/*
 * api/client/account_data.c -- PUT/GET /user/{userId}/account_data/{type},
 * PUT/GET /user/{userId}/rooms/{roomId}/account_data/{type}, and room
 * tags: GET /user/{userId}/rooms/{roomId}/tags, PUT/DELETE
 * .../tags/{tag}.
 *
 * A user reaches only their own account data.  The rules on types and tags
 * are sync/account_data.h's.
 */
#include <string.h>

#include "api/client/aliases.h"
#include "api/routes.h"
#include "config.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "sync/account_data.h"
#include "util/err.h"

/* Account data is configuration, not media: the same cap as an event. */
#define ACCOUNT_DATA_BODY_MAX (64 * 1024)

/*
 * The path's user must be the caller, its room (when there is one) a room
 * ID.  *room_id is NULL for global routes.  0, or it has replied.
 */
static int
check_path_or_reply(struct sy_req *req, const char *what, const char **room_id)
{
    if (strcmp(sy_req_param(req, "userId"), req->user_id) != 0) {
        sy_reply_error(req, 403, "M_FORBIDDEN", "cannot %s for other users", what);
        return SY_EFORBIDDEN;
    }
    *room_id = sy_req_param(req, "roomId");
    if (*room_id != NULL && !sy_room_id_valid(*room_id)) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "%s is not a valid room ID", *room_id);
        return SY_EINVAL;
    }
    return SY_OK;
}

static void
put_account_data(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body;
    const char *room_id;

    if (check_path_or_reply(req, "add account data", &room_id) != SY_OK ||
        (body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (sy_account_data_set(req->db, req->arena, req->user_id, room_id,
                            sy_req_param(req, "type"), body, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_empty(req);
}

static void
get_account_data(struct sy_req *req)
{
    struct sy_error err = {0};
    const char *room_id, *content;

    if (check_path_or_reply(req, "get account data", &room_id) != SY_OK)
        return;
    if (sy_account_data_get(req->db, req->arena, req->user_id, room_id,
                            sy_req_param(req, "type"), &content, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_json_text(req, 200, content, strlen(content));
}

static void
get_tags(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *tags, *resp;
    const char *room_id;

    if (check_path_or_reply(req, "get tags", &room_id) != SY_OK)
        return;
    if (sy_account_data_tags(req->db, req->arena, req->user_id, room_id, &tags, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    resp = sy_json_new_object(req->arena);
    json_object_object_add(resp, "tags", json_object_get(tags));
    sy_reply_json(req, 200, resp);
}

static void
put_tag(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body;
    const char *room_id;

    if (check_path_or_reply(req, "add tags", &room_id) != SY_OK ||
        (body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (sy_account_data_tag_set(req->db, req->arena, req->user_id, room_id,
                                sy_req_param(req, "tag"), body, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_empty(req);
}

static void
delete_tag(struct sy_req *req)
{
    struct sy_error err = {0};
    const char *room_id;

    if (check_path_or_reply(req, "remove tags", &room_id) != SY_OK)
        return;
    if (sy_account_data_tag_delete(req->db, req->arena, req->user_id, room_id,
                                   sy_req_param(req, "tag"), &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_empty(req);
}

#define USER "/_matrix/client/v3/user/{userId}"

const struct sy_route sy_client_account_data_routes[] = {
    {.method = SY_PUT, .path = USER "/account_data/{type}", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .max_body = ACCOUNT_DATA_BODY_MAX, .handler = put_account_data},
    {.method = SY_GET, .path = USER "/account_data/{type}", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .handler = get_account_data},
    {.method = SY_PUT, .path = USER "/rooms/{roomId}/account_data/{type}",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .max_body = ACCOUNT_DATA_BODY_MAX,
     .handler = put_account_data},
    {.method = SY_GET, .path = USER "/rooms/{roomId}/account_data/{type}",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .handler = get_account_data},
    {.method = SY_GET, .path = USER "/rooms/{roomId}/tags", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .handler = get_tags},
    {.method = SY_PUT, .path = USER "/rooms/{roomId}/tags/{tag}", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .max_body = 4096, .handler = put_tag},
    {.method = SY_DELETE, .path = USER "/rooms/{roomId}/tags/{tag}", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .handler = delete_tag},
};
const size_t sy_client_account_data_routes_count =
    sizeof(sy_client_account_data_routes) / sizeof(sy_client_account_data_routes[0]);
