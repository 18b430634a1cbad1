/*
 * api/client/upgrade.c -- POST /rooms/{roomId}/upgrade: replace a room by
 * a new room of another version.
 *
 * The steps follow the spec's list and Synapse's room.py: check the power
 * to send m.room.tombstone; create the new room with a predecessor and the
 * old room's type (and m.federate false), copying join rules, history
 * visibility, guest access, name, topic, avatar, encryption, server ACL,
 * power levels and, for a space, its m.space.child events; give the
 * upgrader enough power for the copy and bans for the time of the upgrade;
 * send the tombstone; move the local aliases and the canonical alias;
 * carry bans and the directory listing over; then restore the power levels
 * in the new room and restrict the old room (events_default and invite to
 * max(50, users_default + 1)).
 *
 * Once the new room exists, later steps that fail (an alias event refused
 * by the auth rules, a ban of someone more powerful) are logged and
 * skipped, as in Synapse: the client still learns the replacement room.
 */
#include <stdlib.h>
#include <string.h>

#include "api/client/power.h"
#include "api/routes.h"
#include "config.h"
#include "db/rooms.h"
#include "db/directory.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "rooms/auth.h"
#include "rooms/room.h"
#include "rooms/version.h"
#include "userid.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/log.h"

/* The state copied into the new room, in the order it is sent (power levels first). */
static const char *const copied_types[] = {
    "m.room.power_levels", "m.room.join_rules", "m.room.history_visibility",
    "m.room.guest_access", "m.room.name",       "m.room.topic",
    "m.room.avatar",       "m.room.encryption", "m.room.server_acl",
};
#define N_COPIED (sizeof(copied_types) / sizeof(copied_types[0]))

/* The old room's current state, parsed. */
struct old_state {
    struct json_object **events; /* client JSON of each state event */
    size_t n;
};

static struct json_object *
find(const struct old_state *st, const char *type, const char *state_key)
{
    for (size_t i = 0; i < st->n; i++) {
        const char *t = sy_json_get_str(st->events[i], "type");
        const char *k = sy_json_get_str(st->events[i], "state_key");

        if (t != NULL && k != NULL && strcmp(t, type) == 0 && strcmp(k, state_key) == 0)
            return st->events[i];
    }
    return NULL;
}

static int
is_type(struct json_object *ev, const char *type)
{
    const char *t = sy_json_get_str(ev, "type");

    return t != NULL && strcmp(t, type) == 0;
}

static struct json_object *
content_of(struct json_object *ev)
{
    return ev != NULL ? sy_json_get_obj(ev, "content") : NULL;
}

static struct json_object *
deep_copy(struct sy_arena *a, struct json_object *o)
{
    struct json_object *copy = NULL;

    if (json_object_deep_copy(o, &copy, NULL) != 0)
        return sy_json_new_object(a);
    return sy_json_own(a, copy);
}

/* A power level field: an integer, or (before v10) a string holding one. */
static int64_t
pl_int(struct json_object *o, const char *key, int64_t def)
{
    struct json_object *v = sy_json_get(o, key);

    if (v == NULL)
        return def;
    if (json_object_is_type(v, json_type_int))
        return json_object_get_int64(v);
    if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        char *end;
        long long n = strtoll(s, &end, 10);

        if (s[0] != '\0' && *end == '\0')
            return n;
    }
    return def;
}

static int
load_old_state(struct sy_req *req, const char *room_id, struct old_state *st, struct sy_error *err)
{
    struct sy_room_event *evs;
    size_t n;

    if (sy_room_state(req->db, req->arena, room_id, req->user_id, &evs, &n, err) != SY_OK)
        return err->code;
    st->events = sy_arena_alloc(req->arena, sizeof(*st->events) * (n ? n : 1));
    st->n = 0;
    for (size_t i = 0; i < n; i++) {
        struct sy_error perr = {0};
        struct json_object *o;

        if (sy_json_parse(req->arena, evs[i].client_json, strlen(evs[i].client_json), 128, &o,
                          &perr) == SY_OK)
            st->events[st->n++] = o;
    }
    return SY_OK;
}

/* Send one state event; failures are logged and reported by the return value. */
static int
send_state(struct sy_req *req, const char *room_id, const char *type, const char *state_key,
           struct json_object *content)
{
    struct sy_error err = {0};
    struct sy_room_send s = {.room_id = room_id,
                             .sender = req->user_id,
                             .type = type,
                             .state_key = state_key,
                             .content = content};
    const char *event_id;

    if (sy_room_send_event(req->db, req->arena, req->node, &s, &event_id, &err) != SY_OK) {
        sy_log(SY_LOG_WARN, "room upgrade: could not send %s in %s: %s", type, room_id, err.msg);
        return err.code;
    }
    return SY_OK;
}

/*
 * The power levels the new room ends with: the old ones, except that in
 * versions where creators hold infinite power the creator may not be
 * listed, and that a creator of a version 12 room keeps 100 in an older
 * version.
 */
static struct json_object *
final_power_levels(struct sy_req *req, const struct sy_room_version *v, struct json_object *old,
                   int was_creator)
{
    struct json_object *pl = deep_copy(req->arena, old), *users;

    if ((users = sy_json_get_obj(pl, "users")) == NULL) {
        users = json_object_new_object();
        json_object_object_add(pl, "users", users);
    }
    if (v->creators_infinite_power)
        json_object_object_del(users, req->user_id);
    else if (was_creator)
        json_object_object_add(users, req->user_id, json_object_new_int64(100));
    return pl;
}

/*
 * The power levels the new room starts with: the final ones with the
 * upgrader raised to the highest level any state event or ban needs
 * (Synapse's clone_existing_room); *raised says whether they were.
 */
static struct json_object *
initial_power_levels(struct sy_req *req, const struct sy_room_version *v, struct json_object *old,
                     int was_creator, int *raised)
{
    struct json_object *pl = final_power_levels(req, v, old, was_creator), *users, *events;
    int64_t needed = pl_int(pl, "state_default", 50), ban = pl_int(pl, "ban", 50), have;

    *raised = 0;
    if (v->creators_infinite_power)
        return pl;
    if (ban > needed)
        needed = ban;
    if ((events = sy_json_get_obj(pl, "events")) != NULL) {
        json_object_object_foreach(events, key, val)
        {
            int64_t lvl = pl_int(events, key, 0);

            (void)val;
            if (lvl > needed)
                needed = lvl;
        }
    }
    users = sy_json_get_obj(pl, "users");
    have = pl_int(users, req->user_id, pl_int(pl, "users_default", 0));
    if (have < needed) {
        json_object_object_add(users, req->user_id, json_object_new_int64(needed));
        *raised = 1;
    }
    return pl;
}

/* 1 if 'alias' is on this server. */
static int
alias_is_local(struct sy_req *req, const char *alias)
{
    const char *colon = strchr(alias, ':');

    return colon != NULL && strcmp(colon + 1, req->node->cfg->server_name) == 0;
}

/* Synapse's _move_aliases_to_new_room: local aliases leave the old room's canonical alias. */
static void
move_canonical_alias(struct sy_req *req, const char *old_room, const char *new_room,
                     struct json_object *old_content)
{
    struct json_object *keep = deep_copy(req->arena, old_content);
    struct json_object *moved = sy_json_new_object(req->arena), *alt, *keep_alt, *new_alt;
    const char *alias = sy_json_get_str(old_content, "alias");

    if (alias != NULL && alias_is_local(req, alias)) {
        json_object_object_add(moved, "alias", json_object_new_string(alias));
        json_object_object_del(keep, "alias");
    }
    if ((alt = sy_json_get_arr(old_content, "alt_aliases")) != NULL) {
        keep_alt = json_object_new_array();
        new_alt = json_object_new_array();
        for (size_t i = 0; i < json_object_array_length(alt); i++) {
            struct json_object *a = json_object_array_get_idx(alt, i);

            if (json_object_is_type(a, json_type_string) &&
                alias_is_local(req, json_object_get_string(a)))
                json_object_array_add(new_alt, json_object_get(a));
            else
                json_object_array_add(keep_alt, json_object_get(a));
        }
        if (json_object_array_length(keep_alt) > 0)
            json_object_object_add(keep, "alt_aliases", keep_alt);
        else {
            json_object_put(keep_alt);
            json_object_object_del(keep, "alt_aliases");
        }
        json_object_object_add(moved, "alt_aliases", new_alt);
    }
    send_state(req, old_room, "m.room.canonical_alias", "", keep);
    send_state(req, new_room, "m.room.canonical_alias", "", moved);
}

/* Stop ordinary users from speaking or inviting in the old room. */
static void
restrict_old_room(struct sy_req *req, const char *old_room, struct json_object *old_pl)
{
    struct json_object *pl = deep_copy(req->arena, old_pl);
    int64_t restricted = pl_int(pl, "users_default", 0) + 1;
    static const char *const keys[] = {"invite", "events_default"};
    int updated = 0;

    if (restricted < 50)
        restricted = 50;
    for (size_t i = 0; i < 2; i++) {
        if (pl_int(pl, keys[i], 0) < restricted) {
            json_object_object_add(pl, keys[i], json_object_new_int64(restricted));
            updated = 1;
        }
    }
    if (updated)
        send_state(req, old_room, "m.room.power_levels", "", pl);
}

/* The m.room.create content the new room adds: predecessor, type, m.federate. */
static struct json_object *
create_content(struct sy_req *req, const char *old_room, struct json_object *old_create)
{
    struct json_object *cc = sy_json_new_object(req->arena), *pred = json_object_new_object();
    struct json_object *fed = sy_json_get(old_create, "m.federate");
    const char *type = sy_json_get_str(old_create, "type");

    json_object_object_add(pred, "room_id", json_object_new_string(old_room));
    json_object_object_add(cc, "predecessor", pred);
    if (type != NULL)
        json_object_object_add(cc, "type", json_object_new_string(type));
    if (fed != NULL && json_object_is_type(fed, json_type_boolean) && !json_object_get_boolean(fed))
        json_object_object_add(cc, "m.federate", json_object_new_boolean(0));
    return cc;
}

static void
post_upgrade(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_room_info info;
    struct old_state st;
    struct sy_room_create c = {0};
    struct sy_room_initial_event *init;
    struct json_object *body, *old_create, *old_pl, *tomb, *resp, *alias_ev;
    const struct sy_room_version *v;
    const char *room_id = sy_req_param(req, "roomId"), *new_version, *new_room;
    size_t n_init = 0;
    int raised = 0, is_space, was_creator;
    int64_t level;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (sy_json_req_str(body, "new_version", &new_version, &err) != SY_OK)
        goto fail;
    if ((v = sy_room_version_get(new_version)) == NULL) {
        sy_err_invalid(&err, "M_UNSUPPORTED_ROOM_VERSION",
                       "this server does not support room version %s", new_version);
        goto fail;
    }
    if (sy_room_get(req->db, req->arena, room_id, &info, &err) != SY_OK ||
        sy_client_may_send_state(req->db, req->arena, room_id, req->user_id, "m.room.tombstone",
                                 &err) != SY_OK ||
        load_old_state(req, room_id, &st, &err) != SY_OK ||
        sy_client_user_level(req->db, req->arena, room_id, req->user_id, &level, &err) != SY_OK)
        goto fail;
    was_creator = level == SY_AUTH_CREATOR_LEVEL;

    old_create = content_of(find(&st, "m.room.create", ""));
    old_pl = content_of(find(&st, "m.room.power_levels", ""));
    is_space = old_create != NULL && sy_json_get_str(old_create, "type") != NULL &&
               strcmp(sy_json_get_str(old_create, "type"), "m.space") == 0;
    init = sy_arena_alloc(req->arena, sizeof(*init) * (st.n + N_COPIED));
    for (size_t i = 0; i < N_COPIED; i++) {
        struct json_object *content = content_of(find(&st, copied_types[i], ""));

        if (content == NULL)
            continue;
        if (i == 0)
            content = initial_power_levels(req, v, content, was_creator, &raised);
        init[n_init].type = copied_types[i];
        init[n_init].state_key = "";
        init[n_init++].content = content;
    }
    for (size_t i = 0; is_space && i < st.n; i++) {
        struct json_object *content = content_of(st.events[i]);

        if (!is_type(st.events[i], "m.space.child") || content == NULL ||
            json_object_object_length(content) == 0)
            continue;
        init[n_init].type = "m.space.child";
        init[n_init].state_key = sy_json_get_str(st.events[i], "state_key");
        init[n_init++].content = content;
    }
    c.version = v->id;
    c.creator = req->user_id;
    c.create_content = create_content(req, room_id, old_create);
    c.events = init;
    c.n_events = n_init;
    if (sy_room_create(req->db, req->arena, req->node, &c, &new_room, &err) != SY_OK)
        goto fail;

    tomb = sy_json_new_object(req->arena);
    json_object_object_add(tomb, "body", json_object_new_string("This room has been replaced"));
    json_object_object_add(tomb, "replacement_room", json_object_new_string(new_room));
    if (send_state(req, room_id, "m.room.tombstone", "", tomb) != SY_OK) {
        sy_err_forbidden(&err, "could not send the tombstone to the old room");
        goto fail;
    }

    if (sy_db_dir_move_aliases(req->db, room_id, new_room, NULL, &err) != SY_OK)
        goto fail;
    if ((alias_ev = find(&st, "m.room.canonical_alias", "")) != NULL &&
        content_of(alias_ev) != NULL)
        move_canonical_alias(req, room_id, new_room, content_of(alias_ev));

    for (size_t i = 0; i < st.n; i++) {
        struct json_object *content = content_of(st.events[i]);
        const char *m = sy_json_get_str(content, "membership");

        if (is_type(st.events[i], "m.room.member") && m != NULL && strcmp(m, "ban") == 0)
            send_state(req, new_room, "m.room.member", sy_json_get_str(st.events[i], "state_key"),
                       content);
    }

    if (info.is_public && (sy_db_room_set_public(req->db, new_room, 1, &err) != SY_OK ||
                           sy_db_room_set_public(req->db, room_id, 0, &err) != SY_OK))
        goto fail;

    if (raised)
        send_state(req, new_room, "m.room.power_levels", "",
                   final_power_levels(req, v, old_pl, was_creator));
    if (old_pl != NULL)
        restrict_old_room(req, room_id, old_pl);

    resp = sy_json_new_object(req->arena);
    json_object_object_add(resp, "replacement_room", json_object_new_string(new_room));
    sy_reply_json(req, 200, resp);
    return;
fail:
    sy_reply_sy_error(req, &err);
}

const struct sy_route sy_client_upgrade_routes[] = {
    {.method = SY_POST,
     .path = "/_matrix/client/v3/rooms/{roomId}/upgrade",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .max_body = 4096,
     .handler = post_upgrade},
};
const size_t sy_client_upgrade_routes_count =
    sizeof(sy_client_upgrade_routes) / sizeof(sy_client_upgrade_routes[0]);
