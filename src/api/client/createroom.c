/*
 * api/client/createroom.c -- POST /createRoom.
 *
 * Parses and checks the whole request first (nothing is written for a bad
 * one), then builds the room's first state in the order the spec gives:
 * m.room.create and the creator's join (rooms/ makes both), power levels,
 * canonical alias, the preset's join rules / history visibility / guest
 * access, initial_state, name, topic; all of it one sy_room_create() call.
 * Invites follow as ordinary member events.
 *
 * Where the spec is silent, as Synapse (handlers/room.py): an initial_state
 * power levels event replaces the generated one (the override is then not
 * applied), initial_state entries with the same (type, state_key) collapse
 * to the last content, preset events that initial_state also sets are not
 * generated, and private presets let members invite (invite level 0).
 */
#include <string.h>

#include "api/client/aliases.h"
#include "api/client/membership.h"
#include "api/routes.h"
#include "config.h"
#include "db/rooms.h"
#include "db/aliases.h"
#include "db/users.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "rooms/room.h"
#include "rooms/version.h"
#include "userid.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/log.h"
#include "util/time.h"

#define MAX_INVITES 100
#define MAX_INITIAL_STATE 256

enum preset { PRESET_PRIVATE, PRESET_TRUSTED, PRESET_PUBLIC };

struct create_req {
    const char *creator;
    const struct sy_room_version *version;
    int preset;
    int is_public;
    int is_direct;
    const char *name, *topic;
    const char *alias; /* "#lp:server" or NULL */
    const char **invites;
    size_t n_invites;
    struct json_object *initial_state;    /* array as sent, checked */
    struct json_object *creation_content; /* a copy, owned by the arena */
    struct json_object *pl_override;      /* borrowed from the body or NULL */
};

/* ---- parsing ---------------------------------------------------------------------------- */

static int
parse_preset(struct json_object *body, struct create_req *c, struct sy_error *err)
{
    const char *vis = NULL, *preset = NULL;

    if (sy_json_opt_str(body, "visibility", &vis, err) != SY_OK ||
        sy_json_opt_str(body, "preset", &preset, err) != SY_OK)
        return err->code;
    if (vis != NULL && strcmp(vis, "public") != 0 && strcmp(vis, "private") != 0)
        return sy_err_invalid(err, "M_INVALID_PARAM", "visibility must be public or private");
    c->is_public = vis != NULL && strcmp(vis, "public") == 0;
    if (preset == NULL)
        c->preset = c->is_public ? PRESET_PUBLIC : PRESET_PRIVATE;
    else if (strcmp(preset, "private_chat") == 0)
        c->preset = PRESET_PRIVATE;
    else if (strcmp(preset, "trusted_private_chat") == 0)
        c->preset = PRESET_TRUSTED;
    else if (strcmp(preset, "public_chat") == 0)
        c->preset = PRESET_PUBLIC;
    else
        return sy_err_invalid(err, "M_BAD_JSON", "'%.100s' is not a valid preset", preset);
    return SY_OK;
}

static int
parse_version(struct sy_req *req, struct json_object *body, struct create_req *c,
              struct sy_error *err)
{
    const char *id = NULL;

    if (sy_json_opt_str(body, "room_version", &id, err) != SY_OK)
        return err->code;
    if (id == NULL)
        id = req->node->cfg->default_room_version;
    if ((c->version = sy_room_version_get(id)) == NULL)
        return sy_err_invalid(err, "M_UNSUPPORTED_ROOM_VERSION",
                              "this server does not support room version %.50s", id);
    return SY_OK;
}

static int
parse_alias(struct sy_req *req, struct json_object *body, struct create_req *c,
            struct sy_error *err)
{
    const char *lp = NULL;

    if (sy_json_opt_str(body, "room_alias_name", &lp, err) != SY_OK)
        return err->code;
    if (lp == NULL)
        return SY_OK;
    if (!sy_alias_localpart_valid(lp))
        return sy_err_invalid(err, "M_INVALID_PARAM",
                              "invalid room_alias_name: give a local part such as 'wombat' "
                              "(no ':', whitespace or control characters)");
    c->alias = sy_arena_printf(req->arena, "#%s:%s", lp, req->node->cfg->server_name);
    if (!sy_alias_valid(c->alias, NULL))
        return sy_err_invalid(err, "M_INVALID_PARAM", "room alias is too long");
    return SY_OK;
}

/* Local invitees must be active accounts (as /invite). */
static int
check_invitee(struct sy_req *req, const char *uid, struct sy_error *err)
{
    struct sy_user u;

    if (sy_userid_parse(req->arena, uid, NULL, NULL) != 0)
        return sy_err_invalid(err, "M_INVALID_PARAM", "invalid user ID in invite: %.200s", uid);
    if (strcmp(uid, req->user_id) == 0)
        return sy_err_invalid(err, "M_INVALID_PARAM", "cannot invite yourself");
    if (!sy_userid_is_local(uid, req->node->cfg->server_name))
        return SY_OK;
    if (sy_db_user_get(req->db, req->arena, uid, &u, err) != SY_OK || u.deactivated) {
        if (err->code != SY_OK && err->code != SY_ENOTFOUND)
            return err->code;
        return sy_err_notfound(err, "unknown user %.200s", uid);
    }
    return SY_OK;
}

static int
parse_invites(struct sy_req *req, struct json_object *body, struct create_req *c,
              struct sy_error *err)
{
    struct json_object *list = sy_json_get(body, "invite"), *l3;
    size_t n;

    if ((l3 = sy_json_get(body, "invite_3pid")) != NULL &&
        (!json_object_is_type(l3, json_type_array) || json_object_array_length(l3) > 0))
        return sy_err_invalid(err, "M_UNRECOGNIZED", "invite_3pid is not supported");
    if (list == NULL)
        return SY_OK;
    if (!json_object_is_type(list, json_type_array))
        return sy_err_invalid(err, "M_BAD_JSON", "invite must be a list of user IDs");
    if ((n = json_object_array_length(list)) > MAX_INVITES)
        return sy_err_invalid(err, "M_LIMIT_EXCEEDED", "Cannot invite so many users at once");
    c->invites = sy_arena_alloc(req->arena, sizeof(*c->invites) * (n + 1));
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(list, i);
        const char *uid;
        int dup = 0;

        if (!json_object_is_type(e, json_type_string))
            return sy_err_invalid(err, "M_BAD_JSON", "invite must be a list of user IDs");
        uid = json_object_get_string(e);
        if (check_invitee(req, uid, err) != SY_OK)
            return err->code;
        for (size_t j = 0; j < c->n_invites; j++)
            dup |= strcmp(c->invites[j], uid) == 0;
        if (!dup)
            c->invites[c->n_invites++] = uid;
    }
    return SY_OK;
}

static int
parse_initial_state(struct json_object *body, struct create_req *c, struct sy_error *err)
{
    struct json_object *list = sy_json_get(body, "initial_state");
    size_t n;

    if (list == NULL)
        return SY_OK;
    if (!json_object_is_type(list, json_type_array))
        return sy_err_invalid(err, "M_BAD_JSON", "initial_state must be a list of state events");
    if ((n = json_object_array_length(list)) > MAX_INITIAL_STATE)
        return sy_err_invalid(err, "M_BAD_JSON", "initial_state has too many events");
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(list, i);
        const char *type = NULL, *state_key = NULL;

        if (!json_object_is_type(e, json_type_object))
            return sy_err_invalid(err, "M_BAD_JSON", "initial_state[%zu] is not an object", i);
        if (sy_json_req_str(e, "type", &type, err) != SY_OK ||
            sy_json_opt_str(e, "state_key", &state_key, err) != SY_OK)
            return err->code;
        if (sy_json_get_obj(e, "content") == NULL)
            return sy_err_invalid(err, "M_BAD_JSON", "initial_state[%zu].content must be an object",
                                  i);
        if (strcmp(type, "m.room.create") == 0)
            return sy_err_invalid(err, "M_INVALID_PARAM",
                                  "m.room.create cannot be in initial_state; use creation_content");
    }
    c->initial_state = list;
    return SY_OK;
}

/* 1 if the JSON array 'arr' holds the string 's'. */
static int
array_has(struct json_object *arr, const char *s)
{
    for (size_t i = 0; arr != NULL && i < json_object_array_length(arr); i++) {
        struct json_object *e = json_object_array_get_idx(arr, i);

        if (json_object_is_type(e, json_type_string) && strcmp(json_object_get_string(e), s) == 0)
            return 1;
    }
    return 0;
}

/* creation_content: copied; creator/room_version dropped (the server sets them). */
static int
parse_creation_content(struct sy_req *req, struct json_object *body, struct create_req *c,
                       struct sy_error *err)
{
    struct json_object *cc = sy_json_get(body, "creation_content"), *copy = NULL, *extra;

    if (cc != NULL && !json_object_is_type(cc, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "creation_content must be an object");
    if (cc != NULL && json_object_deep_copy(cc, &copy, NULL) != 0)
        return sy_err_internal(err, "could not copy creation_content");
    c->creation_content =
        copy != NULL ? sy_json_own(req->arena, copy) : sy_json_new_object(req->arena);
    json_object_object_del(c->creation_content, "creator");
    json_object_object_del(c->creation_content, "room_version");
    if (sy_json_get(c->creation_content, "type") != NULL &&
        sy_json_get_str(c->creation_content, "type") == NULL)
        return sy_err_invalid(err, "M_BAD_JSON", "creation_content.type must be a string");

    if (!c->version->creators_infinite_power) {
        json_object_object_del(c->creation_content, "additional_creators");
        return SY_OK;
    }
    /* Room v12+: additional creators, plus the invitees of trusted_private_chat. */
    if ((extra = sy_json_get(c->creation_content, "additional_creators")) != NULL) {
        if (!json_object_is_type(extra, json_type_array))
            return sy_err_invalid(err, "M_BAD_JSON", "additional_creators must be a list");
        for (size_t i = 0; i < json_object_array_length(extra); i++) {
            struct json_object *e = json_object_array_get_idx(extra, i);

            if (!json_object_is_type(e, json_type_string) ||
                sy_userid_parse(req->arena, json_object_get_string(e), NULL, NULL) != 0)
                return sy_err_invalid(err, "M_BAD_JSON",
                                      "additional_creators must be a list of user IDs");
        }
    }
    if (c->preset == PRESET_TRUSTED && c->n_invites > 0) {
        if (extra == NULL) {
            extra = json_object_new_array();
            json_object_object_add(c->creation_content, "additional_creators", extra);
        }
        for (size_t i = 0; i < c->n_invites; i++)
            if (!array_has(extra, c->invites[i]))
                json_object_array_add(extra, json_object_new_string(c->invites[i]));
    }
    return SY_OK;
}

static int
parse_pl_override(struct json_object *body, struct create_req *c, struct sy_error *err)
{
    struct json_object *o = sy_json_get(body, "power_level_content_override"), *users, *extra;

    if (o == NULL)
        return SY_OK;
    if (!json_object_is_type(o, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "power_level_content_override must be an object");
    if ((users = sy_json_get(o, "users")) != NULL) {
        if (!json_object_is_type(users, json_type_object))
            return sy_err_invalid(err, "M_BAD_JSON",
                                  "power_level_content_override.users must be an object");
        if (!c->version->creators_infinite_power &&
            !json_object_object_get_ex(users, c->creator, NULL))
            return sy_err_invalid(err, "M_INVALID_PARAM",
                                  "Not a valid power_level_content_override: 'users' did not "
                                  "contain %.200s",
                                  c->creator);
        if (c->version->creators_infinite_power) {
            extra = sy_json_get_arr(c->creation_content, "additional_creators");
            json_object_object_foreach(users, uid, v)
            {
                (void)v;
                if (strcmp(uid, c->creator) == 0 || array_has(extra, uid))
                    return sy_err_invalid(err, "M_INVALID_PARAM",
                                          "room creators cannot be listed in power level users "
                                          "(room version %s)",
                                          c->version->id);
            }
        }
    }
    c->pl_override = o;
    return SY_OK;
}

static int
parse_request(struct sy_req *req, struct json_object *body, struct create_req *c,
              struct sy_error *err)
{
    c->creator = req->user_id;
    if (parse_preset(body, c, err) != SY_OK || parse_version(req, body, c, err) != SY_OK ||
        sy_json_opt_str(body, "name", &c->name, err) != SY_OK ||
        sy_json_opt_str(body, "topic", &c->topic, err) != SY_OK ||
        sy_json_opt_bool(body, "is_direct", &c->is_direct, err) != SY_OK ||
        parse_alias(req, body, c, err) != SY_OK || parse_invites(req, body, c, err) != SY_OK ||
        parse_initial_state(body, c, err) != SY_OK ||
        parse_creation_content(req, body, c, err) != SY_OK ||
        parse_pl_override(body, c, err) != SY_OK)
        return err->code;
    return SY_OK;
}

/* ---- the initial events ----------------------------------------------------------------- */

struct event_list {
    struct sy_room_initial_event *ev;
    size_t n, cap;
};

static void
push(struct sy_arena *a, struct event_list *l, const char *type, const char *state_key,
     struct json_object *content)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct sy_room_initial_event *ev = sy_arena_alloc(a, sizeof(*ev) * cap);

        if (l->n > 0)
            memcpy(ev, l->ev, sizeof(*ev) * l->n);
        l->ev = ev, l->cap = cap;
    }
    l->ev[l->n].type = type;
    l->ev[l->n].state_key = state_key;
    l->ev[l->n].content = content;
    l->n++;
}

/* The last initial_state content for (type, state_key), or NULL. */
static struct json_object *
initial(const struct create_req *c, const char *type, const char *state_key)
{
    struct json_object *found = NULL;

    for (size_t i = 0; c->initial_state != NULL && i < json_object_array_length(c->initial_state);
         i++) {
        struct json_object *e = json_object_array_get_idx(c->initial_state, i);
        const char *sk = sy_json_get_str(e, "state_key");

        if (strcmp(sy_json_get_str(e, "type"), type) == 0 &&
            strcmp(sk != NULL ? sk : "", state_key) == 0)
            found = sy_json_get_obj(e, "content");
    }
    return found;
}

static void
add_int(struct json_object *o, const char *key, int64_t v)
{
    json_object_object_add(o, key, json_object_new_int64(v));
}

/* The default power levels (Synapse's), the preset's changes, then the override. */
static struct json_object *
power_levels(struct sy_arena *a, const struct create_req *c)
{
    struct json_object *pl = sy_json_new_object(a), *users = json_object_new_object();
    struct json_object *events = json_object_new_object();
    int v12 = c->version->creators_infinite_power;

    if (!v12) {
        add_int(users, c->creator, 100);
        if (c->preset == PRESET_TRUSTED)
            for (size_t i = 0; i < c->n_invites; i++)
                add_int(users, c->invites[i], 100);
    }
    json_object_object_add(pl, "users", users);
    add_int(pl, "users_default", 0);
    add_int(events, "m.room.name", 50);
    add_int(events, "m.room.power_levels", 100);
    add_int(events, "m.room.history_visibility", 100);
    add_int(events, "m.room.canonical_alias", 50);
    add_int(events, "m.room.avatar", 50);
    /* v12+: tombstones must need more than state_default can reach (spec, createRoom 3). */
    add_int(events, "m.room.tombstone", v12 ? 150 : 100);
    add_int(events, "m.room.server_acl", 100);
    add_int(events, "m.room.encryption", 100);
    json_object_object_add(pl, "events", events);
    add_int(pl, "events_default", 0);
    add_int(pl, "state_default", 50);
    add_int(pl, "ban", 50);
    add_int(pl, "kick", 50);
    add_int(pl, "redact", 50);
    add_int(pl, "invite", c->preset == PRESET_PUBLIC ? 50 : 0);
    add_int(pl, "historical", 100);
    if (c->pl_override != NULL) {
        json_object_object_foreach(c->pl_override, k, v)
            json_object_object_add(pl, k, json_object_get(v));
    }
    return pl;
}

static struct json_object *
one_field(struct sy_arena *a, const char *key, const char *value)
{
    struct json_object *o = sy_json_new_object(a);

    json_object_object_add(o, key, json_object_new_string(value));
    return o;
}

/* m.room.topic with the plain-text m.topic block (spec 1.15). */
static struct json_object *
topic_content(struct sy_arena *a, const char *topic)
{
    struct json_object *o = one_field(a, "topic", topic);
    struct json_object *mtopic = json_object_new_object(), *text = json_object_new_array();
    struct json_object *block = json_object_new_object();

    json_object_object_add(block, "body", json_object_new_string(topic));
    json_object_object_add(block, "mimetype", json_object_new_string("text/plain"));
    json_object_array_add(text, block);
    json_object_object_add(mtopic, "m.text", text);
    json_object_object_add(o, "m.topic", mtopic);
    return o;
}

static void
build_events(struct sy_arena *a, const struct create_req *c, struct event_list *l)
{
    static const char *const join_rule[] = {"invite", "invite", "public"};
    static const char *const guest[] = {"can_join", "can_join", "forbidden"};
    struct json_object *pl = initial(c, "m.room.power_levels", "");
    size_t n = c->initial_state != NULL ? json_object_array_length(c->initial_state) : 0;

    push(a, l, "m.room.power_levels", "", pl != NULL ? pl : power_levels(a, c));
    if (c->alias != NULL && initial(c, "m.room.canonical_alias", "") == NULL)
        push(a, l, "m.room.canonical_alias", "", one_field(a, "alias", c->alias));
    if (initial(c, "m.room.join_rules", "") == NULL)
        push(a, l, "m.room.join_rules", "", one_field(a, "join_rule", join_rule[c->preset]));
    if (initial(c, "m.room.history_visibility", "") == NULL)
        push(a, l, "m.room.history_visibility", "", one_field(a, "history_visibility", "shared"));
    if (initial(c, "m.room.guest_access", "") == NULL)
        push(a, l, "m.room.guest_access", "", one_field(a, "guest_access", guest[c->preset]));

    /* initial_state in order; a repeated key is sent once, with its last content (Synapse). */
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(c->initial_state, i);
        const char *type = sy_json_get_str(e, "type"), *sk = sy_json_get_str(e, "state_key");
        struct json_object *content;
        int seen = 0;

        sk = sk != NULL ? sk : "";
        if (strcmp(type, "m.room.power_levels") == 0 && sk[0] == '\0')
            continue; /* sent first, above */
        if ((c->name != NULL && strcmp(type, "m.room.name") == 0 && sk[0] == '\0') ||
            (c->topic != NULL && strcmp(type, "m.room.topic") == 0 && sk[0] == '\0'))
            continue; /* "name" and "topic" override them */
        for (size_t j = 0; j < l->n; j++)
            seen |= strcmp(l->ev[j].type, type) == 0 && strcmp(l->ev[j].state_key, sk) == 0;
        if (seen)
            continue;
        content = initial(c, type, sk);
        push(a, l, type, sk, content);
    }
    if (c->name != NULL)
        push(a, l, "m.room.name", "", one_field(a, "name", c->name));
    if (c->topic != NULL)
        push(a, l, "m.room.topic", "", topic_content(a, c->topic));
}

/* ---- the handler ------------------------------------------------------------------------ */

static int
send_invites(struct sy_req *req, const struct create_req *c, const char *room_id,
             struct sy_error *err)
{
    struct json_object *extra = NULL;
    const char *event_id;

    if (c->is_direct) {
        extra = sy_json_new_object(req->arena);
        json_object_object_add(extra, "is_direct", json_object_new_boolean(1));
    }
    for (size_t i = 0; i < c->n_invites; i++)
        if (sy_client_member_send(req, room_id, c->invites[i], "invite", NULL, extra, &event_id,
                                  err) != SY_OK)
            return err->code;
    return SY_OK;
}

static void
create_room(struct sy_req *req)
{
    struct sy_error err = {0}, ignored = {0};
    struct create_req c = {0};
    struct event_list l = {0};
    struct sy_room_create rc = {0};
    struct json_object *body, *resp;
    const char *room_id;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (parse_request(req, body, &c, &err) != SY_OK)
        goto fail;
    build_events(req->arena, &c, &l);

    /* Reserve the alias first, so two creations cannot both take it. */
    if (c.alias != NULL &&
        sy_db_alias_create(req->db, c.alias, "", c.creator, sy_now_ms(), &err) != SY_OK) {
        if (err.code == SY_ECONFLICT)
            sy_error_set(&err, SY_ECONFLICT, 400, "M_ROOM_IN_USE", "Room alias already taken");
        goto fail;
    }
    rc.version = c.version->id;
    rc.creator = c.creator;
    rc.create_content = c.creation_content;
    rc.events = l.ev;
    rc.n_events = l.n;
    if (sy_room_create(req->db, req->arena, req->node, &rc, &room_id, &err) != SY_OK) {
        if (c.alias != NULL && sy_db_alias_delete(req->db, c.alias, &ignored) != SY_OK)
            sy_log(SY_LOG_WARN, "could not release alias %s: %s", c.alias, ignored.log_detail);
        goto fail;
    }
    if (c.alias != NULL && sy_db_alias_set_room(req->db, c.alias, room_id, &err) != SY_OK)
        goto fail;
    if (c.is_public && sy_db_room_set_public(req->db, room_id, 1, &err) != SY_OK)
        goto fail;
    if (send_invites(req, &c, room_id, &err) != SY_OK)
        goto fail;

    resp = sy_json_new_object(req->arena);
    json_object_object_add(resp, "room_id", json_object_new_string(room_id));
    if (c.alias != NULL)
        json_object_object_add(resp, "room_alias", json_object_new_string(c.alias));
    sy_reply_json(req, 200, resp);
    return;
fail:
    sy_reply_sy_error(req, &err);
}

const struct sy_route sy_client_createroom_routes[] = {
    {.method = SY_POST,
     .path = "/_matrix/client/v3/createRoom",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .handler = create_room},
};
const size_t sy_client_createroom_routes_count =
    sizeof(sy_client_createroom_routes) / sizeof(sy_client_createroom_routes[0]);
