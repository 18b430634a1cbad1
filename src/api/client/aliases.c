/*
 * api/client/aliases.c -- room aliases: PUT/GET/DELETE /directory/room/{roomAlias},
 * GET /rooms/{roomId}/aliases, and the alias helpers of aliases.h.
 *
 * Who may do what follows Synapse (the spec leaves it to servers): only
 * members of a room (or server admins) map an alias to it; an alias is
 * deleted by its creator, a server admin, or a member with the power to
 * send m.room.canonical_alias; deleting one also drops it from the room's
 * m.room.canonical_alias event when the deleter may send that.  Remote
 * aliases need federation queries, which do not exist yet: they resolve
 * to nothing.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/client/aliases.h"
#include "api/routes.h"
#include "config.h"
#include "db/aliases.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "rooms/auth.h"
#include "rooms/event.h"
#include "rooms/room.h"
#include "rooms/state.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "util/time.h"

/* ---- grammar ---------------------------------------------------------------------------- */

/* 1 if 's' is a server name: a DNS name, IPv4 or [IPv6] literal, then an optional :port. */
static int
server_name_valid(const char *s)
{
    const char *p = s, *end;

    if (*p == '[') {
        end = strchr(p, ']');
        if (end == NULL || end == p + 1)
            return 0;
        for (const char *q = p + 1; q < end; q++)
            if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.')
                return 0;
        p = end + 1;
    } else {
        const char *start = p;

        while (*p != '\0' && *p != ':') {
            if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
                return 0;
            p++;
        }
        if (p == start || p - start > 255)
            return 0;
    }
    if (*p == '\0')
        return 1;
    if (*p++ != ':' || *p == '\0' || strlen(p) > 5)
        return 0;
    for (; *p != '\0'; p++)
        if (!isdigit((unsigned char)*p))
            return 0;
    return 1;
}

/* Localpart characters: any UTF-8 but ':', whitespace and control characters. */
static int
localpart_chars_ok(const char *s, size_t n)
{
    if (n == 0 || !sy_str_utf8_valid(s, n))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == ':' || c <= 0x20 || c == 0x7f)
            return 0;
    }
    return 1;
}

int
sy_alias_valid(const char *alias, const char **server)
{
    const char *colon;

    if (alias == NULL || alias[0] != '#' || strlen(alias) > SY_ALIAS_MAX)
        return 0;
    colon = strchr(alias, ':');
    if (colon == NULL || !localpart_chars_ok(alias + 1, (size_t)(colon - alias - 1)) ||
        !server_name_valid(colon + 1))
        return 0;
    if (server != NULL)
        *server = colon + 1;
    return 1;
}

int
sy_alias_localpart_valid(const char *lp)
{
    return lp != NULL && strlen(lp) < SY_ALIAS_MAX && localpart_chars_ok(lp, strlen(lp));
}

int
sy_room_id_valid(const char *room_id)
{
    size_t n;

    if (room_id == NULL || room_id[0] != '!' || (n = strlen(room_id)) < 2 || n > 255)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)room_id[i] <= 0x20 || room_id[i] == 0x7f)
            return 0;
    return 1;
}

int
sy_alias_resolve(struct sy_db *db, struct sy_arena *a, const char *server_name,
                 const char *id_or_alias, const char **room_id, struct sy_error *err)
{
    const char *server;

    if (id_or_alias != NULL && id_or_alias[0] == '!') {
        if (!sy_room_id_valid(id_or_alias))
            return sy_err_invalid(err, "M_INVALID_PARAM", "invalid room ID");
        *room_id = id_or_alias;
        return SY_OK;
    }
    if (!sy_alias_valid(id_or_alias, &server))
        return sy_err_invalid(err, "M_INVALID_PARAM", "invalid room ID or alias");
    if (strcmp(server, server_name) != 0)
        return sy_err_notfound(err, "room alias %.200s not found (federation not supported yet)",
                               id_or_alias);
    return sy_db_alias_get(db, a, id_or_alias, room_id, NULL, err);
}

/* One alias of a canonical_alias event: well-formed, and ours pointing at room_id. */
static int
check_one_alias(struct sy_db *db, struct sy_arena *a, const char *room_id, const char *alias,
                struct sy_error *err)
{
    struct sy_error lookup = {0};
    const char *target = NULL;
    int rc;

    if (!sy_alias_valid(alias, NULL))
        return sy_err_invalid(err, "M_INVALID_PARAM", "invalid room alias: %.200s", alias);
    rc = sy_db_alias_get(db, a, alias, &target, NULL, &lookup);
    if (rc == SY_ENOTFOUND || (rc == SY_OK && strcmp(target, room_id) != 0))
        return sy_err_invalid(err, "M_BAD_ALIAS", "room alias %.200s does not point to the room",
                              alias);
    if (rc != SY_OK)
        *err = lookup;
    return rc;
}

int
sy_aliases_validate_canonical(struct sy_db *db, struct sy_arena *a, const char *room_id,
                              struct json_object *content, struct sy_error *err)
{
    struct json_object *v;
    int rc;

    if (content == NULL || !json_object_is_type(content, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "content must be an object");
    if (json_object_object_get_ex(content, "alias", &v) && v != NULL) {
        if (!json_object_is_type(v, json_type_string))
            return sy_err_invalid(err, "M_INVALID_PARAM", "'alias' must be a string");
        if ((rc = check_one_alias(db, a, room_id, json_object_get_string(v), err)) != SY_OK)
            return rc;
    }
    if (json_object_object_get_ex(content, "alt_aliases", &v) && v != NULL) {
        if (!json_object_is_type(v, json_type_array))
            return sy_err_invalid(err, "M_INVALID_PARAM", "'alt_aliases' must be a list");
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            struct json_object *e = json_object_array_get_idx(v, i);

            if (!json_object_is_type(e, json_type_string))
                return sy_err_invalid(err, "M_INVALID_PARAM",
                                      "'alt_aliases' must be a list of strings");
            if ((rc = check_one_alias(db, a, room_id, json_object_get_string(e), err)) != SY_OK)
                return rc;
        }
    }
    return SY_OK;
}

/* ---- current state (the server's view) ------------------------------------------------ */

/* The room's current state, or NULL for a room this node does not know. */
static struct sy_room_state *
current_state(struct sy_db *db, struct sy_arena *a, const char *room_id)
{
    struct sy_error err = {0};
    struct sy_room_info info;
    struct sy_room_state *st;

    if (sy_room_get(db, a, room_id, &info, &err) != SY_OK)
        return NULL;
    st = sy_room_state_new(a, db, info.version);
    if (sy_room_state_load_current(st, room_id, &err) != SY_OK)
        return NULL;
    return st;
}

struct json_object *
sy_client_state_content(struct sy_db *db, struct sy_arena *a, const char *room_id, const char *type,
                        const char *state_key)
{
    struct sy_room_state *st = current_state(db, a, room_id);
    const struct sy_event *ev = st != NULL ? sy_room_state_get(st, type, state_key) : NULL;

    return ev != NULL ? ev->content : NULL;
}

/*
 * 1 if user_id is joined to room_id and has the power to send
 * m.room.canonical_alias there (the auth rules' comparison, current state).
 */
static int
may_send_canonical_alias(struct sy_req *req, const char *room_id)
{
    struct sy_room_state *st = current_state(req->db, req->arena, room_id);
    const struct sy_event *me;
    struct sy_auth_state as;
    const char *membership;

    if (st == NULL || (me = sy_room_state_get(st, "m.room.member", req->user_id)) == NULL)
        return 0;
    membership = sy_json_get_str(me->content, "membership");
    if (membership == NULL || strcmp(membership, "join") != 0)
        return 0;
    as = sy_room_state_auth(st);
    return sy_auth_user_level(&as, req->user_id) >=
           sy_auth_required_level(&as, "m.room.canonical_alias", "");
}

/* ---- handlers --------------------------------------------------------------------------- */

/* The path's alias if well-formed, else it has replied 400.  *local says if it is ours. */
static const char *
alias_param_or_reply(struct sy_req *req, int *local)
{
    const char *alias = sy_req_param(req, "roomAlias"), *server;

    if (!sy_alias_valid(alias, &server)) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "Room alias invalid");
        return NULL;
    }
    *local = strcmp(server, req->node->cfg->server_name) == 0;
    return alias;
}

static void
put_alias(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_room_info info;
    struct json_object *body;
    const char *alias, *room_id, *membership = NULL;
    int local;

    if ((alias = alias_param_or_reply(req, &local)) == NULL)
        return;
    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (!local) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "Room alias must be on this server");
        return;
    }
    if (sy_json_req_str(body, "room_id", &room_id, &err) != SY_OK)
        goto fail;
    if (!sy_room_id_valid(room_id)) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "invalid room_id");
        return;
    }
    if (!req->is_admin) {
        if (sy_room_membership(req->db, req->arena, room_id, req->user_id, &membership, &err) !=
                SY_OK &&
            err.code != SY_ENOTFOUND)
            goto fail;
        if (membership == NULL || strcmp(membership, "join") != 0) {
            sy_reply_error(req, 403, "M_FORBIDDEN",
                           "You must be in the room to create an alias for it");
            return;
        }
    }
    if (sy_room_get(req->db, req->arena, room_id, &info, &err) != SY_OK)
        goto fail;
    if (sy_db_alias_create(req->db, alias, room_id, req->user_id, sy_now_ms(), &err) != SY_OK)
        goto fail;
    sy_reply_empty(req);
    return;
fail:
    sy_reply_sy_error(req, &err);
}

static void
get_alias(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *resp, *servers;
    const char *alias, *room_id;
    int local;

    if ((alias = alias_param_or_reply(req, &local)) == NULL)
        return;
    if (!local) {
        sy_reply_error(req, 404, "M_NOT_FOUND",
                       "Room alias %.200s not found (federation not supported yet)", alias);
        return;
    }
    if (sy_db_alias_get(req->db, req->arena, alias, &room_id, NULL, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    resp = sy_json_new_object(req->arena);
    servers = json_object_new_array();
    json_object_array_add(servers, json_object_new_string(req->node->cfg->server_name));
    json_object_object_add(resp, "room_id", json_object_new_string(room_id));
    json_object_object_add(resp, "servers", servers);
    sy_reply_json(req, 200, resp);
}

/* Copy of a canonical alias content without 'alias'; NULL if it did not mention it. */
static struct json_object *
canonical_without(struct sy_arena *a, struct json_object *content, const char *alias)
{
    struct json_object *out, *alts, *new_alts = NULL;
    const char *main_alias = sy_json_get_str(content, "alias");
    int changed = 0;

    out = sy_json_new_object(a);
    if (main_alias != NULL) {
        if (strcmp(main_alias, alias) == 0)
            changed = 1;
        else
            json_object_object_add(out, "alias", json_object_new_string(main_alias));
    }
    if ((alts = sy_json_get_arr(content, "alt_aliases")) != NULL) {
        new_alts = json_object_new_array();
        for (size_t i = 0; i < json_object_array_length(alts); i++) {
            struct json_object *e = json_object_array_get_idx(alts, i);

            if (json_object_is_type(e, json_type_string) &&
                strcmp(json_object_get_string(e), alias) == 0) {
                changed = 1;
                continue;
            }
            json_object_array_add(new_alts, json_object_get(e));
        }
        json_object_object_add(out, "alt_aliases", new_alts);
    }
    return changed ? out : NULL;
}

/* After deleting 'alias', drop it from room_id's canonical alias event if the requester may. */
static void
update_canonical_alias(struct sy_req *req, const char *room_id, const char *alias)
{
    struct sy_error err = {0};
    struct json_object *content, *updated;
    struct sy_room_send s = {0};
    const char *event_id;

    if (!may_send_canonical_alias(req, room_id))
        return;
    if ((content = sy_client_state_content(req->db, req->arena, room_id, "m.room.canonical_alias",
                                           "")) == NULL)
        return;
    if ((updated = canonical_without(req->arena, content, alias)) == NULL)
        return;
    s.room_id = room_id;
    s.sender = req->user_id;
    s.type = "m.room.canonical_alias";
    s.state_key = "";
    s.content = updated;
    if (sy_room_send_event(req->db, req->arena, req->node, &s, &event_id, &err) != SY_OK)
        sy_log(SY_LOG_WARN, "could not update canonical alias of %s after deleting %s: %s", room_id,
               alias, err.msg);
}

static void
delete_alias(struct sy_req *req)
{
    struct sy_error err = {0};
    const char *alias, *room_id, *creator;
    int local;

    if ((alias = alias_param_or_reply(req, &local)) == NULL)
        return;
    if (!local) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "Room alias must be on this server");
        return;
    }
    if (sy_db_alias_get(req->db, req->arena, alias, &room_id, &creator, &err) != SY_OK)
        goto fail;
    if (strcmp(creator, req->user_id) != 0 && !req->is_admin &&
        !may_send_canonical_alias(req, room_id)) {
        sy_reply_error(req, 403, "M_FORBIDDEN", "You don't have permission to delete the alias");
        return;
    }
    if (sy_db_alias_delete(req->db, alias, &err) != SY_OK)
        goto fail;
    update_canonical_alias(req, room_id, alias);
    sy_reply_empty(req);
    return;
fail:
    sy_reply_sy_error(req, &err);
}

/* 1 if the requester is in the room or may read it as world_readable. */
static int
may_see_room(struct sy_req *req, const char *room_id)
{
    struct sy_error err = {0};
    struct json_object *hv;
    const char *membership = NULL, *vis;

    if (sy_room_membership(req->db, req->arena, room_id, req->user_id, &membership, &err) ==
            SY_OK &&
        membership != NULL && strcmp(membership, "join") == 0)
        return 1;
    hv = sy_client_state_content(req->db, req->arena, room_id, "m.room.history_visibility", "");
    vis = hv != NULL ? sy_json_get_str(hv, "history_visibility") : NULL;
    return vis != NULL && strcmp(vis, "world_readable") == 0;
}

static void
get_room_aliases(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *resp, *list;
    const char *room_id = sy_req_param(req, "roomId");
    const char **aliases;
    size_t n;

    if (!sy_room_id_valid(room_id)) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "invalid room ID");
        return;
    }
    if (!may_see_room(req, room_id)) {
        sy_reply_error(req, 403, "M_FORBIDDEN",
                       "You are not in the room and it is not world_readable");
        return;
    }
    if (sy_db_alias_list(req->db, req->arena, room_id, &aliases, &n, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    resp = sy_json_new_object(req->arena);
    list = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(list, json_object_new_string(aliases[i]));
    json_object_object_add(resp, "aliases", list);
    sy_reply_json(req, 200, resp);
}

const struct sy_route sy_client_aliases_routes[] = {
    {.method = SY_PUT,
     .path = "/_matrix/client/v3/directory/room/{roomAlias}",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .max_body = 4096,
     .handler = put_alias},
    {.method = SY_GET,
     .path = "/_matrix/client/v3/directory/room/{roomAlias}",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_OPTIONAL,
     .guest_ok = 1,
     .handler = get_alias},
    {.method = SY_DELETE,
     .path = "/_matrix/client/v3/directory/room/{roomAlias}",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .handler = delete_alias},
    {.method = SY_GET,
     .path = "/_matrix/client/v3/rooms/{roomId}/aliases",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .guest_ok = 1,
     .handler = get_room_aliases},
};
const size_t sy_client_aliases_routes_count =
    sizeof(sy_client_aliases_routes) / sizeof(sy_client_aliases_routes[0]);
