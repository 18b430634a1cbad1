/*
 * api/client/room_members.c -- who is in a room, and which rooms a user is
 * in: GET /rooms/{roomId}/members, GET /rooms/{roomId}/joined_members,
 * GET /joined_rooms.
 *
 * Visibility (current state while joined, the state at leaving after) is
 * rooms/room.h's business; handlers only shape the answers.
 */
#include <string.h>

#include "api/routes.h"
#include "config.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "rooms/room.h"
#include "util/err.h"

/* 1 if m is a membership the spec names. */
static int
membership_valid(const char *m)
{
    static const char *const known[] = {"join", "invite", "knock", "leave", "ban"};

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(m, known[i]) == 0)
            return 1;
    return 0;
}

/* A ?membership / ?not_membership filter: 0 and *out (NULL when absent), or it has replied. */
static int
membership_query_or_reply(struct sy_req *req, const char *name, const char **out)
{
    *out = sy_req_query(req, name);
    if (*out != NULL && !membership_valid(*out)) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "%s must be one of join, invite, knock, "
                       "leave, ban", name);
        return SY_EINVAL;
    }
    return SY_OK;
}

/*
 * GET /rooms/{roomId}/members[?at][&membership][&not_membership]
 *
 * 'at' is a sync pagination token.  Until the sync module defines tokens
 * and a way to map one to a point in the room, the visible state is used
 * whatever 'at' says: refusing the token would break clients that
 * lazy-load members (Element sends the prev_batch of /sync).
 */
static void
get_members(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_room_event *events;
    struct json_object *resp, *chunk;
    const char *membership, *not_membership;
    size_t n;

    if (membership_query_or_reply(req, "membership", &membership) != SY_OK ||
        membership_query_or_reply(req, "not_membership", &not_membership) != SY_OK)
        return;
    /*
     * Together the two filters are an "or" (spec): is 'membership' or is not
     * 'not_membership'.  Every event that is 'membership' is also not
     * 'not_membership' unless the two are equal, when everything matches.
     * (Synapse applies both; the spec is explicit, so it wins.)
     */
    if (membership != NULL && not_membership != NULL) {
        if (strcmp(membership, not_membership) == 0)
            not_membership = NULL;
        membership = NULL;
    }
    if (sy_room_members(req->db, req->arena, sy_req_param(req, "roomId"), req->user_id, NULL,
                        membership, not_membership, &events, &n, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    resp = sy_json_new_object(req->arena);
    chunk = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(chunk, json_object_get(sy_room_event_json(
                                         req->arena, &events[i], req->user_id, req->device_id)));
    json_object_object_add(resp, "chunk", chunk);
    sy_reply_json(req, 200, resp);
}

/* Copy a string field of a member event's content into a joined_members entry. */
static void
copy_profile_field(struct json_object *content, const char *from, struct json_object *to,
                   const char *key)
{
    const char *v = sy_json_get_str(content, from);

    if (v != NULL)
        json_object_object_add(to, key, json_object_new_string(v));
}

/* GET /rooms/{roomId}/joined_members: only for current members. */
static void
get_joined_members(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_room_event *events;
    struct json_object *resp, *joined;
    const char *room_id = sy_req_param(req, "roomId");
    const char *membership = NULL;
    size_t n;

    if (sy_room_membership(req->db, req->arena, room_id, req->user_id, &membership, &err) !=
        SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    if (membership == NULL || strcmp(membership, "join") != 0) {
        sy_reply_error(req, 403, "M_FORBIDDEN", "you are not joined to this room");
        return;
    }
    if (sy_room_members(req->db, req->arena, room_id, req->user_id, NULL, "join", NULL, &events,
                        &n, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    resp = sy_json_new_object(req->arena);
    joined = json_object_new_object();
    for (size_t i = 0; i < n; i++) {
        struct json_object *ev, *content, *entry;

        ev = sy_room_event_json(req->arena, &events[i], req->user_id, req->device_id);
        content = sy_json_get_obj(ev, "content");
        entry = json_object_new_object();
        copy_profile_field(content, "displayname", entry, "display_name");
        copy_profile_field(content, "avatar_url", entry, "avatar_url");
        json_object_object_add(joined, events[i].state_key, entry);
    }
    json_object_object_add(resp, "joined", joined);
    sy_reply_json(req, 200, resp);
}

/* GET /joined_rooms */
static void
get_joined_rooms(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *resp, *arr;
    const char **rooms;
    size_t n;

    if (sy_room_joined(req->db, req->arena, req->user_id, &rooms, &n, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    resp = sy_json_new_object(req->arena);
    arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, json_object_new_string(rooms[i]));
    json_object_object_add(resp, "joined_rooms", arr);
    sy_reply_json(req, 200, resp);
}

const struct sy_route sy_client_room_members_routes[] = {
    {.method = SY_GET, .path = "/_matrix/client/v3/rooms/{roomId}/members",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .guest_ok = 1, .handler = get_members},
    {.method = SY_GET, .path = "/_matrix/client/v3/rooms/{roomId}/joined_members",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .handler = get_joined_members},
    {.method = SY_GET, .path = "/_matrix/client/v3/joined_rooms", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .handler = get_joined_rooms},
};
const size_t sy_client_room_members_routes_count =
    sizeof(sy_client_room_members_routes) / sizeof(sy_client_room_members_routes[0]);
