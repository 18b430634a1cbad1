/*
 * api/client/membership.c -- room membership: join (by ID or alias),
 * invite, leave, forget, kick, ban, unban, knock.
 *
 * Each action is one m.room.member event sent through the rooms/
 * pipeline; the room version's auth rules decide whether it is allowed
 * (their M_FORBIDDEN reaches the client as is).  Rooms this node does
 * not know would need a federation join, which does not exist yet: they
 * are 404 M_NOT_FOUND.
 *
 * Where the spec is silent, as Synapse: joining a room one is already in
 * answers 200 without a new event; the member event carries the target's
 * global displayname and avatar_url; forgetting needs a membership of
 * leave or ban (or none).  Beyond Synapse, /kick of someone who is not in
 * the room and /unban of someone who is not banned are refused (403), so
 * that neither turns into the other (both are "leave" events).
 */
#include <string.h>

#include "api/client/aliases.h"
#include "api/client/membership.h"
#include "api/routes.h"
#include "config.h"
#include "db/aliases.h"
#include "db/users.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "rooms/room.h"
#include "userid.h"
#include "util/err.h"
#include "util/log.h"

#define REASON_MAX 1024

/* ---- sending ---------------------------------------------------------------------------- */

/* Add the local target's profile to content unless it is set already. */
static void
add_profile(struct sy_req *req, const char *target, struct json_object *content)
{
    struct sy_error err = {0};
    struct sy_user u;

    if (!sy_userid_is_local(target, req->node->cfg->server_name) ||
        sy_db_user_get(req->db, req->arena, target, &u, &err) != SY_OK)
        return;
    if (u.displayname != NULL && !json_object_object_get_ex(content, "displayname", NULL))
        json_object_object_add(content, "displayname", json_object_new_string(u.displayname));
    if (u.avatar_url != NULL && !json_object_object_get_ex(content, "avatar_url", NULL))
        json_object_object_add(content, "avatar_url", json_object_new_string(u.avatar_url));
}

int
sy_client_member_send(struct sy_req *req, const char *room_id, const char *target,
                      const char *membership, const char *reason, struct json_object *extra,
                      const char **event_id, struct sy_error *err)
{
    struct json_object *content = sy_json_new_object(req->arena);
    struct sy_room_send s = {0};
    struct sy_error ignored = {0};
    int renews = strcmp(membership, "join") == 0 || strcmp(membership, "invite") == 0 ||
                 strcmp(membership, "knock") == 0;

    if (extra != NULL) {
        json_object_object_foreach(extra, k, v)
            json_object_object_add(content, k, json_object_get(v));
    }
    json_object_object_add(content, "membership", json_object_new_string(membership));
    if (reason != NULL)
        json_object_object_add(content, "reason", json_object_new_string(reason));
    if (renews)
        add_profile(req, target, content);

    s.room_id = room_id;
    s.sender = req->user_id;
    s.type = "m.room.member";
    s.state_key = target;
    s.content = content;
    if (sy_room_send_event(req->db, req->arena, req->node, &s, event_id, err) != SY_OK)
        return err->code;
    /* A new membership brings a forgotten room back (Synapse keeps "forgotten" per event). */
    if (renews && sy_db_room_unforget(req->db, target, room_id, &ignored) != SY_OK)
        sy_log(SY_LOG_WARN, "could not clear forgotten mark of %s in %s: %s", target, room_id,
               ignored.log_detail);
    return SY_OK;
}

/* ---- request parsing -------------------------------------------------------------------- */

/* The optional "reason": 0, or it has replied. */
static int
reason_or_reply(struct sy_req *req, struct json_object *body, const char **reason)
{
    struct sy_error err = {0};

    *reason = NULL;
    if (sy_json_opt_str(body, "reason", reason, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return -1;
    }
    if (*reason != NULL && strlen(*reason) > REASON_MAX) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "reason is longer than %d bytes", REASON_MAX);
        return -1;
    }
    return 0;
}

/* The body's "user_id" (required, a user ID): 0, or it has replied. */
static int
target_or_reply(struct sy_req *req, struct json_object *body, const char **target)
{
    struct sy_error err = {0};

    if (sy_json_req_str(body, "user_id", target, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return -1;
    }
    if (sy_userid_parse(req->arena, *target, NULL, NULL) != 0) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "invalid user_id");
        return -1;
    }
    return 0;
}

/* The path's roomId, if it is one: 0, or it has replied. */
static int
room_param_or_reply(struct sy_req *req, const char **room_id)
{
    *room_id = sy_req_param(req, "roomId");
    if (!sy_room_id_valid(*room_id)) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "invalid room ID");
        return -1;
    }
    return 0;
}

/* user_id's current membership (NULL: none); on failure it has replied. */
static int
membership_or_reply(struct sy_req *req, const char *room_id, const char *user_id,
                    const char **membership)
{
    struct sy_error err = {0};

    *membership = NULL;
    if (sy_room_membership(req->db, req->arena, room_id, user_id, membership, &err) != SY_OK &&
        err.code != SY_ENOTFOUND) {
        sy_reply_sy_error(req, &err);
        return -1;
    }
    return 0;
}

/* The room must be known here: 0, or it has replied 404. */
static int
known_room_or_reply(struct sy_req *req, const char *room_id)
{
    struct sy_error err = {0};
    struct sy_room_info info;

    if (sy_room_get(req->db, req->arena, room_id, &info, &err) == SY_OK)
        return 0;
    if (err.code == SY_ENOTFOUND)
        sy_reply_error(req, 404, "M_NOT_FOUND",
                       "room %.200s is not known to this server (federation not supported yet)",
                       room_id);
    else
        sy_reply_sy_error(req, &err);
    return -1;
}

static void
reply_room_id(struct sy_req *req, const char *room_id)
{
    struct json_object *resp = sy_json_new_object(req->arena);

    json_object_object_add(resp, "room_id", json_object_new_string(room_id));
    sy_reply_json(req, 200, resp);
}

/* ---- join and knock --------------------------------------------------------------------- */

/* Guests join only rooms with guest_access "can_join". */
static int
guest_may_join(struct sy_req *req, const char *room_id)
{
    struct json_object *ga =
        sy_client_state_content(req->db, req->arena, room_id, "m.room.guest_access", "");
    const char *v = ga != NULL ? sy_json_get_str(ga, "guest_access") : NULL;

    return v != NULL && strcmp(v, "can_join") == 0;
}

/* Join or knock on room_id (already resolved); replies {room_id}. */
static void
join_or_knock(struct sy_req *req, const char *room_id, const char *membership)
{
    struct sy_error err = {0};
    struct json_object *body;
    const char *reason, *current, *event_id;

    if ((body = sy_req_json_opt_or_reply(req)) == NULL)
        return;
    if (reason_or_reply(req, body, &reason) != 0)
        return;
    if (known_room_or_reply(req, room_id) != 0)
        return;
    if (membership_or_reply(req, room_id, req->user_id, &current) != 0)
        return;
    if (strcmp(membership, "join") == 0) {
        if (current != NULL && strcmp(current, "join") == 0) {
            reply_room_id(req, room_id); /* already in: nothing to send */
            return;
        }
        if (req->is_guest && !guest_may_join(req, room_id)) {
            sy_reply_error(req, 403, "M_GUEST_ACCESS_FORBIDDEN", "Guest access not allowed");
            return;
        }
    }
    if (sy_client_member_send(req, room_id, req->user_id, membership, reason, NULL, &event_id,
                              &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    reply_room_id(req, room_id);
}

/* /join/{roomIdOrAlias} and /knock/{roomIdOrAlias}: resolve, then act. */
static void
by_id_or_alias(struct sy_req *req, const char *membership)
{
    struct sy_error err = {0};
    const char *room_id;

    if (sy_alias_resolve(req->db, req->arena, req->node->cfg->server_name,
                         sy_req_param(req, "roomIdOrAlias"), &room_id, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    join_or_knock(req, room_id, membership);
}

static void
post_join_any(struct sy_req *req)
{
    by_id_or_alias(req, "join");
}

static void
post_knock(struct sy_req *req)
{
    by_id_or_alias(req, "knock");
}

static void
post_room_join(struct sy_req *req)
{
    const char *room_id;

    if (room_param_or_reply(req, &room_id) != 0)
        return;
    join_or_knock(req, room_id, "join");
}

/* ---- leave and forget ------------------------------------------------------------------- */

static void
post_leave(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body;
    const char *room_id, *reason, *event_id;

    if (room_param_or_reply(req, &room_id) != 0)
        return;
    if ((body = sy_req_json_opt_or_reply(req)) == NULL)
        return;
    if (reason_or_reply(req, body, &reason) != 0)
        return;
    if (known_room_or_reply(req, room_id) != 0)
        return;
    if (sy_client_member_send(req, room_id, req->user_id, "leave", reason, NULL, &event_id, &err) !=
        SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_empty(req);
}

static void
post_forget(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body;
    const char *room_id, *current;

    if (room_param_or_reply(req, &room_id) != 0)
        return;
    if ((body = sy_req_json_opt_or_reply(req)) == NULL)
        return;
    if (membership_or_reply(req, room_id, req->user_id, &current) != 0)
        return;
    if (current != NULL && strcmp(current, "leave") != 0 && strcmp(current, "ban") != 0) {
        sy_reply_error(req, 400, "M_UNKNOWN", "User %.100s is in room %.100s", req->user_id,
                       room_id);
        return;
    }
    if (sy_db_room_forget(req->db, req->user_id, room_id, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_empty(req);
}

/* ---- invite, kick, ban, unban ----------------------------------------------------------- */

/* An action by the requester on body.user_id, sending 'membership'. */
static void
act_on_user(struct sy_req *req, const char *action, const char *membership)
{
    struct sy_error err = {0};
    struct json_object *body;
    const char *room_id, *target, *reason, *current, *event_id;

    if (room_param_or_reply(req, &room_id) != 0)
        return;
    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (target_or_reply(req, body, &target) != 0 || reason_or_reply(req, body, &reason) != 0)
        return;
    if (known_room_or_reply(req, room_id) != 0)
        return;
    if (membership_or_reply(req, room_id, target, &current) != 0)
        return;
    if (strcmp(action, "kick") == 0 &&
        (current == NULL || (strcmp(current, "join") != 0 && strcmp(current, "invite") != 0 &&
                             strcmp(current, "knock") != 0))) {
        sy_reply_error(req, 403, "M_FORBIDDEN", "The target user is not in the room");
        return;
    }
    if (strcmp(action, "unban") == 0 && (current == NULL || strcmp(current, "ban") != 0)) {
        sy_reply_error(req, 403, "M_FORBIDDEN", "The target user is not banned from the room");
        return;
    }
    if (strcmp(action, "invite") == 0 && sy_userid_is_local(target, req->node->cfg->server_name)) {
        struct sy_user u;

        if (sy_db_user_get(req->db, req->arena, target, &u, &err) != SY_OK || u.deactivated) {
            if (err.code != SY_OK && err.code != SY_ENOTFOUND) {
                sy_reply_sy_error(req, &err);
                return;
            }
            sy_reply_error(req, 404, "M_NOT_FOUND", "Unknown user %.200s", target);
            return;
        }
    }
    if (sy_client_member_send(req, room_id, target, membership, reason, NULL, &event_id, &err) !=
        SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_empty(req);
}

static void
post_invite(struct sy_req *req)
{
    act_on_user(req, "invite", "invite");
}

static void
post_kick(struct sy_req *req)
{
    act_on_user(req, "kick", "leave");
}

static void
post_ban(struct sy_req *req)
{
    act_on_user(req, "ban", "ban");
}

static void
post_unban(struct sy_req *req)
{
    act_on_user(req, "unban", "leave");
}

#define MEMBER_ROUTE(m, p, h, g)                                                                   \
    {                                                                                              \
        .method = (m), .path = (p), .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER,               \
        .guest_ok = (g), .max_body = 16 * 1024, .handler = (h)                                     \
    }

const struct sy_route sy_client_membership_routes[] = {
    MEMBER_ROUTE(SY_POST, "/_matrix/client/v3/join/{roomIdOrAlias}", post_join_any, 1),
    MEMBER_ROUTE(SY_POST, "/_matrix/client/v3/rooms/{roomId}/join", post_room_join, 1),
    MEMBER_ROUTE(SY_POST, "/_matrix/client/v3/rooms/{roomId}/leave", post_leave, 1),
    MEMBER_ROUTE(SY_POST, "/_matrix/client/v3/rooms/{roomId}/forget", post_forget, 0),
    MEMBER_ROUTE(SY_POST, "/_matrix/client/v3/rooms/{roomId}/invite", post_invite, 0),
    MEMBER_ROUTE(SY_POST, "/_matrix/client/v3/rooms/{roomId}/kick", post_kick, 0),
    MEMBER_ROUTE(SY_POST, "/_matrix/client/v3/rooms/{roomId}/ban", post_ban, 0),
    MEMBER_ROUTE(SY_POST, "/_matrix/client/v3/rooms/{roomId}/unban", post_unban, 0),
    MEMBER_ROUTE(SY_POST, "/_matrix/client/v3/knock/{roomIdOrAlias}", post_knock, 0),
};
const size_t sy_client_membership_routes_count =
    sizeof(sy_client_membership_routes) / sizeof(sy_client_membership_routes[0]);
