/*
 * api/client/relations.c -- GET /v1/rooms/{roomId}/relations/{eventId}
 * [/{relType}[/{eventType}]], GET /v1/rooms/{roomId}/threads and GET
 * /v1/rooms/{roomId}/timestamp_to_event.
 *
 * Handlers parse the query and answer; what is visible and how relations
 * aggregate is rooms/relations.h's business.  Events carry their bundled
 * aggregations.
 */
#include <stdlib.h>
#include <string.h>

#include "api/routes.h"
#include "config.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "rooms/relations.h"
#include "rooms/room.h"
#include "util/err.h"

/* Synapse's defaults and cap for relation and thread pages. */
#define PAGE_DEFAULT 5
#define PAGE_MAX 1000

/* An optional non-negative integer query parameter.  0, or it has replied. */
static int
query_int_or_reply(struct sy_req *req, const char *name, int64_t *out)
{
    const char *s = sy_req_query(req, name);
    char *end;
    long long v;

    if (s == NULL)
        return SY_OK;
    v = strtoll(s, &end, 10);
    if (s[0] == '\0' || *end != '\0' || v < 0) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "%s must be a non-negative integer", name);
        return SY_EINVAL;
    }
    *out = v;
    return SY_OK;
}

/* 'dir': "b" or "f" ('dflt' when absent, -1: required).  *backwards set; 0 or it replied. */
static int
query_dir_or_reply(struct sy_req *req, int dflt, int *backwards)
{
    const char *dir = sy_req_query(req, "dir");

    if (dir == NULL && dflt < 0) {
        sy_reply_error(req, 400, "M_MISSING_PARAM", "missing dir");
        return SY_EINVAL;
    }
    if (dir == NULL)
        *backwards = dflt;
    else if (strcmp(dir, "b") == 0)
        *backwards = 1;
    else if (strcmp(dir, "f") == 0)
        *backwards = 0;
    else {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "dir must be \"b\" or \"f\"");
        return SY_EINVAL;
    }
    return SY_OK;
}

/* The chunk of client events, each with its bundled aggregations. */
static int
chunk_json(struct sy_req *req, const struct sy_room_event *events, size_t n,
           struct json_object **out, struct sy_error *err)
{
    *out = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        struct json_object *o = sy_room_event_json(req->arena, &events[i], req->user_id,
                                                   req->device_id);

        if (sy_relations_bundle_event(req->db, req->arena, &events[i], req->user_id, o, err) !=
            SY_OK) {
            json_object_put(*out);
            return err->code;
        }
        json_object_array_add(*out, json_object_get(o));
    }
    return SY_OK;
}

/* GET /v1/rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]] */
static void
get_relations(struct sy_req *req)
{
    struct sy_relations_query q = {0};
    struct sy_error err = {0};
    struct sy_room_event *events;
    struct json_object *resp, *chunk;
    const char *recurse = sy_req_query(req, "recurse");
    const char *next;
    size_t n;

    q.room_id = sy_req_param(req, "roomId");
    q.event_id = sy_req_param(req, "eventId");
    q.rel_type = sy_req_param(req, "relType");
    q.event_type = sy_req_param(req, "eventType");
    q.from = sy_req_query(req, "from");
    q.to = sy_req_query(req, "to");
    q.limit = PAGE_DEFAULT;
    if (query_int_or_reply(req, "limit", &q.limit) != SY_OK ||
        query_dir_or_reply(req, 1, &q.backwards) != SY_OK)
        return;
    if (q.limit > PAGE_MAX)
        q.limit = PAGE_MAX;
    if (recurse != NULL && strcmp(recurse, "true") != 0 && strcmp(recurse, "false") != 0) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "recurse must be true or false");
        return;
    }
    q.recurse = recurse != NULL && strcmp(recurse, "true") == 0;
    if (sy_relations_list(req->db, req->arena, req->user_id, &q, &events, &n, &next, &err) !=
            SY_OK ||
        chunk_json(req, events, n, &chunk, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    resp = sy_json_new_object(req->arena);
    json_object_object_add(resp, "chunk", chunk);
    if (next != NULL)
        json_object_object_add(resp, "next_batch", json_object_new_string(next));
    if (q.from != NULL)
        json_object_object_add(resp, "prev_batch", json_object_new_string(q.from));
    if (q.recurse)
        json_object_object_add(resp, "recursion_depth",
                               json_object_new_int(SY_RELATIONS_MAX_DEPTH));
    sy_reply_json(req, 200, resp);
}

/* GET /v1/rooms/{roomId}/threads?include=all|participated&from&limit */
static void
get_threads(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_room_event *roots;
    struct json_object *resp, *chunk;
    const char *include = sy_req_query(req, "include"), *next;
    int64_t limit = PAGE_DEFAULT;
    int participated = 0;
    size_t n;

    if (include != NULL && strcmp(include, "participated") == 0)
        participated = 1;
    else if (include != NULL && strcmp(include, "all") != 0) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "include must be \"all\" or \"participated\"");
        return;
    }
    if (query_int_or_reply(req, "limit", &limit) != SY_OK)
        return;
    if (limit > PAGE_MAX)
        limit = PAGE_MAX;
    if (sy_relations_threads(req->db, req->arena, req->user_id, sy_req_param(req, "roomId"),
                             participated, sy_req_query(req, "from"), limit, &roots, &n, &next,
                             &err) != SY_OK ||
        chunk_json(req, roots, n, &chunk, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    resp = sy_json_new_object(req->arena);
    json_object_object_add(resp, "chunk", chunk);
    if (next != NULL)
        json_object_object_add(resp, "next_batch", json_object_new_string(next));
    sy_reply_json(req, 200, resp);
}

/* GET /v1/rooms/{roomId}/timestamp_to_event?ts&dir */
static void
get_timestamp_to_event(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_room_event ev;
    struct json_object *resp;
    int64_t ts = -1;
    int backwards;

    if (sy_req_query(req, "ts") == NULL) {
        sy_reply_error(req, 400, "M_MISSING_PARAM", "missing ts");
        return;
    }
    if (query_int_or_reply(req, "ts", &ts) != SY_OK || query_dir_or_reply(req, -1, &backwards) !=
                                                             SY_OK)
        return;
    if (sy_relations_event_at_ts(req->db, req->arena, req->user_id, sy_req_param(req, "roomId"),
                                 ts, !backwards, &ev, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    resp = sy_json_new_object(req->arena);
    json_object_object_add(resp, "event_id", json_object_new_string(ev.event_id));
    json_object_object_add(resp, "origin_server_ts", json_object_new_int64(ev.origin_server_ts));
    sy_reply_json(req, 200, resp);
}

#define ROOMS_V1 "/_matrix/client/v1/rooms/{roomId}"

const struct sy_route sy_client_relations_routes[] = {
    {.method = SY_GET, .path = ROOMS_V1 "/relations/{eventId}", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .guest_ok = 1, .handler = get_relations},
    {.method = SY_GET, .path = ROOMS_V1 "/relations/{eventId}/{relType}",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .guest_ok = 1, .handler = get_relations},
    {.method = SY_GET, .path = ROOMS_V1 "/relations/{eventId}/{relType}/{eventType}",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .guest_ok = 1, .handler = get_relations},
    {.method = SY_GET, .path = ROOMS_V1 "/threads", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .guest_ok = 1, .handler = get_threads},
    {.method = SY_GET, .path = ROOMS_V1 "/timestamp_to_event", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .handler = get_timestamp_to_event},
};
const size_t sy_client_relations_routes_count =
    sizeof(sy_client_relations_routes) / sizeof(sy_client_relations_routes[0]);
