/*
 * rooms/send.c -- local events: build, authorise against the current state,
 * persist (rooms/room_writer.h).  Room creation writes the whole initial
 * state in one transaction on the caller's connection; every other send
 * goes through the group-commit writer (rooms/writer.c, rooms/batch.c),
 * under the room's row lock.
 */
#include <string.h>

#include "config.h"
#include "db/db.h"
#include "db/events.h"
#include "db/rooms.h"
#include "db/users.h"
#include "json/json.h"
#include "node.h"
#include "rooms/auth.h"
#include "rooms/cache.h"
#include "rooms/event.h"
#include "rooms/persist.h"
#include "rooms/redact.h"
#include "rooms/relations.h"
#include "rooms/room.h"
#include "rooms/room_writer.h"
#include "rooms/state.h"
#include "rooms/version.h"
#include "sync/live.h"
#include "sync/positions.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/rand.h"
#include "util/time.h"

/* The event s would make now: a draft (no signature) when 'draft', unsigned with 'later'. */
static int
build(struct sy_room_writer *w, const struct sy_room_send *s, int64_t ts, const char *const *auth,
      size_t n_auth, int draft, struct sy_event_signature *later, struct sy_event **ev,
      struct sy_error *err)
{
    struct sy_event_fields f = {
        /* A v12 create event has no room ID: the room ID is made from it. */
        .room_id = w->v->room_id_is_create_hash && strcmp(s->type, "m.room.create") == 0
                       ? NULL
                       : w->room_id,
        .sender = s->sender,
        .type = s->type,
        .state_key = s->state_key,
        .content = s->content,
        .prev_events = w->prev,
        .n_prev_events = w->n_prev,
        .auth_events = auth,
        .n_auth_events = n_auth,
        .depth = w->depth,
        .origin_server_ts = ts,
        .redacts = s->redacts,
    };

    if (draft)
        return sy_event_build_draft(w->a, w->v, &f, ev, err);
    if (later != NULL)
        return sy_event_build_unsigned(w->a, w->v, &f, w->node->cfg->server_name, w->node->key,
                                       later, ev, err);
    return sy_event_build(w->a, w->v, &f, w->node->cfg->server_name, w->node->key, ev, err);
}

const char *
sy_room_send_txn_kind(const struct sy_room_send *s)
{
    return s->redacts != NULL ? "redact" : "send";
}

/*
 * A state event identical to the current one (same sender, same content)
 * changes nothing: answer with the current event, as Synapse does.
 */
const char *
sy_room_send_unchanged(struct sy_room_writer *w, const struct sy_room_send *s)
{
    const struct sy_event *cur;
    struct json_object *empty;
    int same;

    if (s->state_key == NULL)
        return NULL;
    cur = sy_room_state_get(w->state, s->type, s->state_key);
    if (cur == NULL || strcmp(cur->sender, s->sender) != 0)
        return NULL;
    if (s->content != NULL)
        return json_object_equal(cur->content, s->content) ? cur->event_id : NULL;
    empty = json_object_new_object();
    same = json_object_equal(cur->content, empty);
    json_object_put(empty);
    return same ? cur->event_id : NULL;
}

/*
 * The auth events s needs.  The selection reads an event's version, type
 * and sender, and a membership's content and state key too: a membership
 * is drafted first; anything else is selected from its fields.
 */
static int
select_auth(struct sy_room_writer *w, const struct sy_room_send *s, int64_t ts,
            const struct sy_auth_state *as, const struct sy_event *sel[SY_AUTH_MAX_KEYS],
            size_t *n, struct sy_error *err)
{
    struct sy_event *draft;

    if (strcmp(s->type, "m.room.member") != 0) {
        struct sy_event fields = {.version = w->v, .type = s->type, .sender = s->sender,
                                  .state_key = s->state_key};

        return sy_auth_select(&fields, as, sel, n, err);
    }
    if (build(w, s, ts, NULL, 0, 1, NULL, &draft, err) != SY_OK)
        return err->code;
    return sy_auth_select(draft, as, sel, n, err);
}

int
sy_room_writer_prepare(struct sy_room_writer *w, const struct sy_room_send *s, int64_t ts,
                       struct sy_event_signature *later, struct sy_event **ev,
                       struct sy_error *err)
{
    struct sy_auth_state as = sy_room_state_auth(w->state);
    const struct sy_event *sel[SY_AUTH_MAX_KEYS];
    const char *auth[SY_AUTH_MAX_KEYS];
    size_t n = 0;

    if (select_auth(w, s, ts, &as, sel, &n, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n; i++)
        auth[i] = sel[i]->event_id;
    if (build(w, s, ts, auth, n, 0, later, ev, err) != SY_OK)
        return err->code;
    return sy_auth_check(*ev, &as, err);
}

void
sy_room_writer_advance(struct sy_room_writer *w, const struct sy_event *ev)
{
    w->prev = sy_arena_alloc(w->a, sizeof(char *));
    w->prev[0] = ev->event_id;
    w->n_prev = 1;
    w->depth = ev->depth + 1;
    w->wrote++;
}

void
sy_live_list_add(struct sy_arena *a, struct sy_live_list *l, const struct sy_live_event *ev)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct sy_live_event *bigger = sy_arena_alloc(a, sizeof(*bigger) * cap);

        if (l->n > 0)
            memcpy(bigger, l->v, sizeof(*bigger) * l->n);
        l->v = bigger, l->cap = cap;
    }
    l->v[l->n++] = *ev;
}

void
sy_room_writer_persist_init(const struct sy_room_writer *w, const struct sy_room_send *s,
                            const struct sy_event *ev, int64_t stream, struct sy_persist *p)
{
    memset(p, 0, sizeof(*p));
    p->ev = ev;
    p->state = w->state;
    p->state_group = w->state_group;
    p->stream = stream;
    if (s->txn_id != NULL) {
        p->txn_user = s->sender;
        p->txn_device = s->txn_device_id;
        p->txn_kind = sy_room_send_txn_kind(s);
        p->txn_id = s->txn_id;
    }
}

int
sy_room_writer_persist(struct sy_room_writer *w, const struct sy_room_send *s,
                       const struct sy_event *ev, int64_t stream, struct sy_error *err)
{
    struct sy_persist p;
    int64_t pos;

    sy_room_writer_persist_init(w, s, ev, stream, &p);
    if (sy_room_persist(w->db, w->a, &p, &pos, err) != SY_OK)
        return err->code;
    w->state_group = p.state_group;
    sy_room_writer_advance(w, ev);
    sy_live_list_add(w->a, w->live, &p.live);
    return SY_OK;
}

int
sy_room_writer_write(struct sy_room_writer *w, const struct sy_room_send *s, int64_t ts,
                     int64_t stream, const struct sy_event **out, struct sy_error *err)
{
    struct sy_event *ev;

    if (sy_room_writer_prepare(w, s, ts, NULL, &ev, err) != SY_OK ||
        sy_room_writer_persist(w, s, ev, stream, err) != SY_OK)
        return err->code;
    *out = ev;
    return SY_OK;
}

int
sy_room_writer_open(struct sy_room_writer *w, const struct sy_db_room *room,
                    const struct sy_db_extremities *ext, struct sy_error *err)
{
    w->room_id = room->room_id;
    w->v = sy_room_version_get(room->version);
    if (w->v == NULL)
        return sy_err_internal(err, "room %s has unsupported version %s", room->room_id,
                               room->version);
    w->state = sy_room_state_new(w->a, w->db, w->v);
    if (w->events != NULL)
        sy_room_state_use_cache(w->state, w->events);
    w->state_group = w->loaded_group = room->current_state_group;
    if (!sy_room_cache_state(room->room_id, w->state_group, w->state)) {
        if (w->cached_state_only)
            return sy_error_set(err, SY_ECONFLICT, 409, "M_UNKNOWN", "state not cached");
        /* The room is locked: what is read is the committed state of its group. */
        if (sy_room_state_load_current(w->state, room->room_id, err) != SY_OK)
            return err->code;
        sy_room_cache_put_state(room->room_id, w->state_group, w->state);
    }
    w->prev = ext->ids;
    w->n_prev = ext->n;
    w->depth = ext->max_depth + 1;
    return SY_OK;
}

int
sy_room_send_check(const struct sy_room_send *s, struct sy_error *err)
{
    if (s->type == NULL || s->type[0] == '\0')
        return sy_err_invalid(err, "M_INVALID_PARAM", "missing event type");
    if (strlen(s->type) > 255)
        return sy_error_set(err, SY_ETOOBIG, 413, "M_TOO_LARGE", "event type over 255 bytes");
    if (s->state_key != NULL && strlen(s->state_key) > 255)
        return sy_error_set(err, SY_ETOOBIG, 413, "M_TOO_LARGE", "state key over 255 bytes");
    if (s->content != NULL && !json_object_is_type(s->content, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "content must be an object");
    return SY_OK;
}

/* m.room.create content: the caller's extras, the version, and the creator before v11. */
static struct json_object *
create_content(struct sy_arena *a, const struct sy_room_version *v, const struct sy_room_create *c)
{
    struct json_object *o = sy_json_new_object(a);

    if (c->create_content != NULL) {
        json_object_object_foreach(c->create_content, key, val)
            json_object_object_add(o, key, json_object_get(val));
    }
    if (!v->msc2175_implicit_creator)
        json_object_object_add(o, "creator", json_object_new_string(c->creator));
    else
        json_object_object_del(o, "creator");
    json_object_object_add(o, "room_version", json_object_new_string(v->id));
    return o;
}

/* The creator's join carries their profile, as every join does. */
static struct json_object *
join_content(struct sy_room_writer *w, const char *user_id)
{
    struct json_object *o = sy_json_new_object(w->a);
    struct sy_error ignored = {0};
    struct sy_user u;

    json_object_object_add(o, "membership", json_object_new_string("join"));
    if (sy_db_user_get(w->db, w->a, user_id, &u, &ignored) == SY_OK) {
        if (u.displayname != NULL)
            json_object_object_add(o, "displayname", json_object_new_string(u.displayname));
        if (u.avatar_url != NULL)
            json_object_object_add(o, "avatar_url", json_object_new_string(u.avatar_url));
    }
    return o;
}

static int
write_create(struct sy_room_writer *w, const struct sy_room_create *c, int64_t stream,
             struct sy_error *err)
{
    struct sy_room_send s = {.sender = c->creator, .type = "m.room.create", .state_key = ""};
    const struct sy_event *ev;
    struct sy_event *draft;
    /* One timestamp for the draft and the real event: a v12 room ID is their hash. */
    int64_t ts = sy_now_ms();

    s.content = create_content(w->a, w->v, c);
    /* The room ID comes first: random, or (v12) the create event's own hash. */
    if (w->v->room_id_is_create_hash) {
        if (build(w, &s, ts, NULL, 0, 0, NULL, &draft, err) != SY_OK)
            return err->code;
        w->room_id = draft->room_id;
    } else {
        w->room_id = sy_arena_printf(w->a, "!%s:%s", sy_rand_string(w->a, 18, SY_RAND_ALNUM),
                                     w->node->cfg->server_name);
    }
    s.room_id = w->room_id;
    if (sy_db_room_insert(w->db, w->room_id, w->v->id, c->creator, sy_now_ms(), err) != SY_OK)
        return err->code;
    return sy_room_writer_write(w, &s, ts, stream, &ev, err);
}

/* The create event, the creator's join, then c's events: at first, first + 1, ... */
static int
write_room(struct sy_room_writer *w, const struct sy_room_create *c, int64_t first,
           struct sy_error *err)
{
    struct sy_room_send join = {.sender = c->creator, .type = "m.room.member"};
    const struct sy_event *ev;

    if (write_create(w, c, first, err) != SY_OK)
        return err->code;
    join.room_id = w->room_id;
    join.state_key = c->creator;
    join.content = join_content(w, c->creator);
    if (sy_room_writer_write(w, &join, sy_now_ms(), first + 1, &ev, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < c->n_events; i++) {
        struct sy_room_send s = {
            .room_id = w->room_id,
            .sender = c->creator,
            .type = c->events[i].type,
            .state_key = c->events[i].state_key ? c->events[i].state_key : "",
            .content = c->events[i].content,
        };

        if (sy_room_send_check(&s, err) != SY_OK ||
            sy_room_writer_write(w, &s, sy_now_ms(), first + 2 + (int64_t)i, &ev, err) != SY_OK)
            return err->code;
    }
    return SY_OK;
}

int
sy_room_create(struct sy_db *db, struct sy_arena *a, const struct sy_node *node,
               const struct sy_room_create *c, const char **room_id, struct sy_error *err)
{
    struct sy_live_list live = {0};
    struct sy_room_writer w = {.db = db, .a = a, .node = node, .depth = 1, .live = &live};
    const char *version = c->version ? c->version : node->cfg->default_room_version;
    int64_t n = 2 + (int64_t)c->n_events, first;

    w.v = sy_room_version_get(version);
    if (w.v == NULL)
        return sy_error_set(err, SY_EINVAL, 400, "M_UNSUPPORTED_ROOM_VERSION",
                            "room version %s is not supported", version);
    w.state = sy_room_state_new(a, db, w.v);
    if (sy_event_positions_take(n, &first, err) != SY_OK)
        return err->code;
    if (sy_db_begin(db, err) != SY_OK)
        goto abandon;
    if (write_room(&w, c, first, err) != SY_OK || sy_db_commit(db, err) != SY_OK) {
        sy_db_rollback(db);
        goto abandon;
    }
    sy_room_cache_put_state(w.room_id, w.state_group, w.state);
    /* Wakes the room's long-polls; the creator's (not watching this room yet) and the
     * invitees' through their member events. */
    sy_live_events_committed(live.v, live.n);
    sy_event_positions_finish(first);
    *room_id = w.room_id;
    return SY_OK;
abandon:
    sy_live_positions_unused(first, first + n - 1);
    sy_event_positions_finish(first);
    return err->code;
}
