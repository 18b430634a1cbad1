/*
 * api/client/key_backup.c -- /room_keys/version[/{version}] and
 * /room_keys/keys[/{roomId}[/{sessionId}]].  Rules in sync/room_keys.c.
 */
#include <string.h>

#include "api/routes.h"
#include "config.h"
#include "db/key_backup.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "sync/room_keys.h"
#include "util/arena.h"
#include "util/err.h"

/* algorithm (string) and auth_data (object) of a version body. */
static int
version_body(struct sy_req *req, struct json_object *body, const char **algorithm,
             const char **auth_data, struct sy_error *err)
{
    struct json_object *ad;

    if (sy_json_req_str(body, "algorithm", algorithm, err) != SY_OK)
        return err->code;
    if ((ad = sy_json_get(body, "auth_data")) == NULL)
        return sy_err_invalid(err, "M_MISSING_PARAM", "missing 'auth_data'");
    if (!json_object_is_type(ad, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "'auth_data' must be an object");
    *auth_data = sy_arena_strdup(req->arena, sy_json_text(ad, NULL));
    return SY_OK;
}

static void
post_version(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body, *resp;
    const char *alg, *auth_data;
    int64_t version;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (version_body(req, body, &alg, &auth_data, &err) != SY_OK ||
        sy_db_backup_version_create(req->db, req->user_id, alg, auth_data, &version, &err) !=
            SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    resp = sy_json_new_object(req->arena);
    json_object_object_add(
        resp, "version",
        json_object_new_string(sy_arena_printf(req->arena, "%lld", (long long)version)));
    sy_reply_json(req, 200, resp);
}

static void
get_version(struct sy_req *req)
{
    struct sy_error err = {0};
    const char *vs = sy_req_param(req, "version");
    int64_t version = vs != NULL ? sy_room_keys_version(vs) : -1;
    struct json_object *resp;

    if (vs != NULL && version < 0) {
        sy_reply_error(req, 404, "M_NOT_FOUND", "unknown backup version");
        return;
    }
    if (sy_room_keys_version_json(req->db, req->arena, req->user_id, version, &resp, &err) !=
        SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_json(req, 200, resp);
}

static void
put_version(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body;
    const char *alg, *auth_data, *body_version = NULL;
    int64_t version = sy_room_keys_version(sy_req_param(req, "version"));

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (version_body(req, body, &alg, &auth_data, &err) != SY_OK ||
        sy_json_opt_str(body, "version", &body_version, &err) != SY_OK)
        goto fail;
    if (version < 0) {
        sy_err_notfound(&err, "unknown backup version");
        goto fail;
    }
    if (sy_room_keys_version_update(req->db, req->arena, req->user_id, version, body_version, alg,
                                    auth_data, &err) != SY_OK)
        goto fail;
    sy_reply_empty(req);
    return;
fail:
    sy_reply_sy_error(req, &err);
}

static void
delete_version(struct sy_req *req)
{
    struct sy_error err = {0};
    int64_t version = sy_room_keys_version(sy_req_param(req, "version"));

    if (version < 0) {
        sy_reply_error(req, 404, "M_NOT_FOUND", "unknown backup version");
        return;
    }
    if (sy_db_backup_version_delete(req->db, req->user_id, version, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_empty(req);
}

/* The body of a keys PUT at any of the three depths, as {room: {sessions: {id: data}}}. */
static struct json_object *
rooms_of(struct sy_req *req, struct json_object *body, const char *room_id, const char *session_id,
         struct sy_error *err)
{
    struct json_object *rooms, *room, *sessions;

    if (room_id == NULL) {
        if ((rooms = sy_json_get(body, "rooms")) == NULL)
            sy_err_invalid(err, "M_MISSING_PARAM", "missing 'rooms'");
        return rooms;
    }
    if (session_id == NULL) {
        if ((sessions = sy_json_get(body, "sessions")) == NULL) {
            sy_err_invalid(err, "M_MISSING_PARAM", "missing 'sessions'");
            return NULL;
        }
        sessions = json_object_get(sessions);
    } else {
        sessions = json_object_new_object();
        json_object_object_add(sessions, session_id, json_object_get(body));
    }
    rooms = sy_json_new_object(req->arena);
    room = json_object_new_object();
    json_object_object_add(room, "sessions", sessions);
    json_object_object_add(rooms, room_id, room);
    return rooms;
}

static void
keys_request(struct sy_req *req, unsigned method)
{
    struct sy_error err = {0};
    const char *room_id = sy_req_param(req, "roomId"), *session_id = sy_req_param(req, "sessionId");
    const char *version = sy_req_query(req, "version");
    struct json_object *body, *rooms, *resp = NULL;
    int64_t current = 0;
    int rc;

    if (method == SY_PUT) {
        if ((body = sy_req_json_or_reply(req)) == NULL)
            return;
        resp = sy_json_new_object(req->arena);
        rc = (rooms = rooms_of(req, body, room_id, session_id, &err)) == NULL
                 ? err.code
                 : sy_room_keys_upload(req->db, req->arena, req->user_id, version, rooms, resp,
                                       &current, &err);
    } else if (method == SY_DELETE) {
        resp = sy_json_new_object(req->arena);
        rc = sy_room_keys_delete(req->db, req->arena, req->user_id, version, room_id, session_id,
                                 resp, &err);
    } else {
        rc = sy_room_keys_get(req->db, req->arena, req->user_id, version, room_id, session_id,
                              &resp, &err);
    }
    if (rc != SY_OK && err.errcode != NULL &&
        strcmp(err.errcode, "M_WRONG_ROOM_KEYS_VERSION") == 0) {
        /* The spec's error carries the current version. */
        resp = sy_json_new_object(req->arena);
        json_object_object_add(resp, "errcode", json_object_new_string(err.errcode));
        json_object_object_add(resp, "error", json_object_new_string(err.msg));
        json_object_object_add(
            resp, "current_version",
            json_object_new_string(sy_arena_printf(req->arena, "%lld", (long long)current)));
        sy_reply_json(req, 403, resp);
        return;
    }
    if (rc != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_json(req, 200, resp);
}

static void
get_keys(struct sy_req *req)
{
    keys_request(req, SY_GET);
}

static void
put_keys(struct sy_req *req)
{
    keys_request(req, SY_PUT);
}

static void
delete_keys(struct sy_req *req)
{
    keys_request(req, SY_DELETE);
}

#define RK "/_matrix/client/v3/room_keys"
#define ROUTE(m, p, h)                                                                             \
    {                                                                                              \
        .method = (m), .path = (p), .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER,               \
        .handler = (h)                                                                             \
    }

const struct sy_route sy_client_key_backup_routes[] = {
    ROUTE(SY_POST, RK "/version", post_version),
    ROUTE(SY_GET, RK "/version", get_version),
    ROUTE(SY_GET, RK "/version/{version}", get_version),
    ROUTE(SY_PUT, RK "/version/{version}", put_version),
    ROUTE(SY_DELETE, RK "/version/{version}", delete_version),
    ROUTE(SY_GET, RK "/keys", get_keys),
    ROUTE(SY_PUT, RK "/keys", put_keys),
    ROUTE(SY_DELETE, RK "/keys", delete_keys),
    ROUTE(SY_GET, RK "/keys/{roomId}", get_keys),
    ROUTE(SY_PUT, RK "/keys/{roomId}", put_keys),
    ROUTE(SY_DELETE, RK "/keys/{roomId}", delete_keys),
    ROUTE(SY_GET, RK "/keys/{roomId}/{sessionId}", get_keys),
    ROUTE(SY_PUT, RK "/keys/{roomId}/{sessionId}", put_keys),
    ROUTE(SY_DELETE, RK "/keys/{roomId}/{sessionId}", delete_keys),
};
const size_t sy_client_key_backup_routes_count =
    sizeof(sy_client_key_backup_routes) / sizeof(sy_client_key_backup_routes[0]);
