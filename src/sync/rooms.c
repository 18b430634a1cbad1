/*
 * sync/rooms.c -- the "rooms" section of /sync: join, invite, leave, knock.
 *
 * For a joined room the timeline is the newest events in (since, now]
 * (limited when there are more), and "state" is the state at the start of
 * the timeline: all of it when the room is new to this sync (initial,
 * full_state, or joined since), else what changed between 'since' and the
 * start of a limited timeline.  Events are spliced from their stored text.
 */
#include <stdlib.h>
#include <string.h>

#include "db/events.h"
#include "db/state.h"
#include "json/json.h"
#include "rooms/room.h"
#include "sync/sections.h"
#include "sync/sync.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/map.h"

#define TIMELINE_DEFAULT_LIMIT 10
#define TIMELINE_MAX_LIMIT 1000

/* Stripped state an invitee or knocker sees (spec: "stripped state"). */
static const char *const stripped_types[] = {
    "m.room.create",       "m.room.join_rules", "m.room.name",       "m.room.avatar",
    "m.room.canonical_alias", "m.room.encryption", "m.room.topic",   "m.room.guest_access",
};

static int
timeline_limit(const struct sy_sync_ctx *ctx)
{
    struct json_object *room = sy_json_get_obj(ctx->filter, "room");
    struct json_object *tl = sy_json_get_obj(room, "timeline"), *lim = sy_json_get(tl, "limit");
    int64_t n;

    if (lim == NULL || !json_object_is_type(lim, json_type_int))
        return TIMELINE_DEFAULT_LIMIT;
    n = json_object_get_int64(lim);
    return n < 1 ? 1 : n > TIMELINE_MAX_LIMIT ? TIMELINE_MAX_LIMIT : (int)n;
}

static struct json_object *
child(struct json_object *parent, const char *key)
{
    struct json_object *o = sy_json_get_obj(parent, key);

    if (o == NULL) {
        o = json_object_new_object();
        json_object_object_add(parent, key, o);
    }
    return o;
}

/* An array of the stored events' client JSON, spliced. */
static struct json_object *
event_array(struct sy_sync_ctx *ctx, const struct sy_db_event *rows, size_t n)
{
    struct json_object *arr = json_object_new_array();

    for (size_t i = 0; i < n; i++) {
        struct sy_room_event ev;

        sy_room_event_from_row(&rows[i], &ev);
        json_object_array_add(arr, sy_room_event_raw(ctx->a, &ev, ctx->user_id, ctx->device_id,
                                                     NULL));
    }
    return arr;
}

/* Load the events of state rows (type, state_key order). */
static int
state_events(struct sy_sync_ctx *ctx, const struct sy_db_state_row *rows, size_t n,
             struct sy_db_event **events, size_t *n_events, struct sy_error *err)
{
    const char **ids = sy_arena_alloc(ctx->a, sizeof(char *) * (n + 1));

    for (size_t i = 0; i < n; i++)
        ids[i] = rows[i].event_id;
    return sy_db_events_get_many(ctx->db, ctx->a, ids, n, events, n_events, err);
}

/* The state group in force just after stream position 'pos' in room_id (0 if none). */
static int
group_at(struct sy_sync_ctx *ctx, const char *room_id, int64_t pos, int64_t *group,
         struct sy_error *err)
{
    struct sy_db_event row;
    int rc = sy_db_event_at_or_before(ctx->db, ctx->a, room_id, pos, &row, err);

    *group = 0;
    if (rc == SY_ENOTFOUND)
        return SY_OK;
    if (rc != SY_OK)
        return rc;
    *group = row.state_after;
    return SY_OK;
}

/*
 * State at the start of the timeline ('start_group'), less what the client
 * already has at 'since' (since_group; 0 = nothing).
 */
static int
state_delta(struct sy_sync_ctx *ctx, int64_t start_group, int64_t since_group,
            struct json_object **out, struct sy_error *err)
{
    struct sy_db_state_row *start, *before = NULL, *want;
    struct sy_db_event *events;
    size_t n_start, n_before = 0, n_want = 0, n_events;
    struct sy_map *known = sy_map_new(ctx->a, 16);

    if (sy_db_state_group_resolve(ctx->db, ctx->a, start_group, &start, &n_start, err) != SY_OK)
        return err->code;
    if (since_group != 0 && sy_db_state_group_resolve(ctx->db, ctx->a, since_group, &before,
                                                      &n_before, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n_before; i++)
        sy_map_set(known, before[i].event_id, (void *)1);
    want = sy_arena_alloc(ctx->a, sizeof(*want) * (n_start + 1));
    for (size_t i = 0; i < n_start; i++)
        if (sy_map_get(known, start[i].event_id) == NULL)
            want[n_want++] = start[i];
    if (state_events(ctx, want, n_want, &events, &n_events, err) != SY_OK)
        return err->code;
    *out = event_array(ctx, events, n_events);
    return SY_OK;
}

static int
add_summary(struct sy_sync_ctx *ctx, const char *room_id, struct json_object *room,
            struct sy_error *err)
{
    struct json_object *summary = json_object_new_object(), *heroes = json_object_new_array();
    int64_t joined, invited;
    const char **ids;
    size_t n;

    json_object_object_add(room, "summary", summary);
    if (sy_db_member_counts(ctx->db, room_id, &joined, &invited, err) != SY_OK ||
        sy_db_member_heroes(ctx->db, ctx->a, room_id, ctx->user_id, &ids, &n, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n; i++)
        json_object_array_add(heroes, json_object_new_string(ids[i]));
    json_object_object_add(summary, "m.heroes", heroes);
    json_object_object_add(summary, "m.joined_member_count", json_object_new_int64(joined));
    json_object_object_add(summary, "m.invited_member_count", json_object_new_int64(invited));
    return SY_OK;
}

/*
 * One room's timeline and state for the range (from, upto].  'fresh' means
 * the client has nothing of this room yet.  *empty when there is nothing.
 */
static int
room_timeline(struct sy_sync_ctx *ctx, const char *room_id, int64_t from, int64_t upto,
              int fresh, struct json_object *room, int *empty, struct sy_error *err)
{
    int limit = timeline_limit(ctx);
    struct sy_db_event *rows, *chrono;
    struct json_object *timeline, *state = NULL;
    int64_t start_group, since_group = 0;
    size_t n;
    int limited;

    if (sy_db_events_range(ctx->db, ctx->a, room_id, fresh ? 0 : from, upto, limit + 1, &rows, &n,
                           err) != SY_OK)
        return err->code;
    *empty = n == 0 && !fresh;
    if (*empty)
        return SY_OK;
    limited = (int)n > limit;
    if (limited)
        n = (size_t)limit;
    chrono = sy_arena_alloc(ctx->a, sizeof(*chrono) * (n + 1));
    for (size_t i = 0; i < n; i++)
        chrono[i] = rows[n - 1 - i];
    timeline = json_object_new_object();
    json_object_object_add(timeline, "events", event_array(ctx, chrono, n));
    json_object_object_add(timeline, "limited", json_object_new_boolean(limited));
    /* /messages continues from just before the first timeline event. */
    json_object_object_add(timeline, "prev_batch",
                           json_object_new_string(sy_arena_printf(
                               ctx->a, "t%lld", (long long)(n ? chrono[0].stream_ordering : upto))));
    json_object_object_add(room, "timeline", timeline);
    /* State at the start of the timeline, minus what the client has. */
    start_group = n ? chrono[0].state_before : 0;
    if (n == 0 && group_at(ctx, room_id, upto, &start_group, err) != SY_OK)
        return err->code;
    if (!fresh && !limited) {
        state = json_object_new_array();
    } else {
        if (!fresh && group_at(ctx, room_id, from, &since_group, err) != SY_OK)
            return err->code;
        if (state_delta(ctx, start_group, since_group, &state, err) != SY_OK)
            return err->code;
    }
    json_object_object_add(child(room, "state"), "events", state);
    return SY_OK;
}

static int
joined_room(struct sy_sync_ctx *ctx, const struct sy_db_membership *m, struct json_object *join,
            int *any, struct sy_error *err)
{
    struct json_object *room = json_object_new_object();
    int64_t since = ctx->since.pos[SY_STREAM_EVENTS];
    int fresh = ctx->initial || ctx->full_state || m->stream_ordering > since;
    int empty, extra = 0;

    if (room_timeline(ctx, m->room_id, since, ctx->now.pos[SY_STREAM_EVENTS], fresh, room, &empty,
                      err) != SY_OK ||
        sy_sync_room_extras(ctx, m->room_id, fresh, room, &extra, err) != SY_OK) {
        json_object_put(room);
        return err->code;
    }
    if (empty && !extra) {
        json_object_put(room);
        return SY_OK;
    }
    if (add_summary(ctx, m->room_id, room, err) != SY_OK) {
        json_object_put(room);
        return err->code;
    }
    json_object_object_add(join, m->room_id, room);
    *any = 1;
    return SY_OK;
}

/* Stripped state: type, state_key, sender and content of the listed events. */
static int
stripped_state(struct sy_sync_ctx *ctx, const struct sy_db_membership *m,
               struct json_object **out, struct sy_error *err)
{
    const char *ids[sizeof(stripped_types) / sizeof(stripped_types[0]) + 1];
    struct sy_db_event *rows;
    size_t n = 0, n_rows;

    for (size_t i = 0; i < sizeof(stripped_types) / sizeof(stripped_types[0]); i++) {
        const char *id;

        if (sy_db_current_state_get(ctx->db, ctx->a, m->room_id, stripped_types[i], "", &id,
                                    err) != SY_OK)
            return err->code;
        if (id != NULL)
            ids[n++] = id;
    }
    ids[n++] = m->event_id; /* the invite or knock itself */
    if (sy_db_events_get_many(ctx->db, ctx->a, ids, n, &rows, &n_rows, err) != SY_OK)
        return err->code;
    *out = json_object_new_array();
    for (size_t i = 0; i < n_rows; i++) {
        struct json_object *full, *s = json_object_new_object();
        static const char *const keep[] = {"type", "state_key", "sender", "content"};

        if (sy_json_parse(ctx->a, rows[i].client_json, strlen(rows[i].client_json), 64, &full,
                          err) != SY_OK) {
            json_object_put(s);
            return err->code;
        }
        for (size_t k = 0; k < 4; k++) {
            struct json_object *v = sy_json_get(full, keep[k]);

            if (v != NULL)
                json_object_object_add(s, keep[k], json_object_get(v));
        }
        json_object_array_add(*out, s);
    }
    return SY_OK;
}

static int
invited_room(struct sy_sync_ctx *ctx, const struct sy_db_membership *m, struct json_object *parent,
             const char *state_key, int *any, struct sy_error *err)
{
    struct json_object *room, *events = NULL;

    if (!ctx->initial && m->stream_ordering <= ctx->since.pos[SY_STREAM_EVENTS])
        return SY_OK;
    if (stripped_state(ctx, m, &events, err) != SY_OK)
        return err->code;
    room = json_object_new_object();
    json_object_object_add(child(room, state_key), "events", events);
    json_object_object_add(parent, m->room_id, room);
    *any = 1;
    return SY_OK;
}

/* A leave or ban since the last sync: the timeline up to and including it. */
static int
left_room(struct sy_sync_ctx *ctx, const struct sy_db_membership *m, struct json_object *leave,
          int *any, struct sy_error *err)
{
    struct json_object *room;
    int64_t since = ctx->since.pos[SY_STREAM_EVENTS];
    int empty;

    if (ctx->initial || m->stream_ordering <= since)
        return SY_OK;
    room = json_object_new_object();
    if (room_timeline(ctx, m->room_id, since, m->stream_ordering, 0, room, &empty, err) != SY_OK) {
        json_object_put(room);
        return err->code;
    }
    json_object_object_add(leave, m->room_id, room);
    *any = 1;
    return SY_OK;
}

int
sy_sync_section_rooms(struct sy_sync_ctx *ctx, struct json_object *resp, int *any,
                      struct sy_error *err)
{
    struct json_object *rooms = json_object_new_object();
    struct json_object *join = json_object_new_object(), *invite = json_object_new_object();
    struct json_object *leave = json_object_new_object(), *knock = json_object_new_object();
    struct sy_db_membership *ms;
    size_t n;
    int rc = SY_OK;

    json_object_object_add(rooms, "join", join);
    json_object_object_add(rooms, "invite", invite);
    json_object_object_add(rooms, "leave", leave);
    json_object_object_add(rooms, "knock", knock);
    json_object_object_add(resp, "rooms", rooms);
    if (sy_db_user_memberships(ctx->db, ctx->a, ctx->user_id, &ms, &n, err) != SY_OK)
        return err->code;
    ctx->joined_rooms = sy_arena_alloc(ctx->a, sizeof(char *) * (n + 1));
    ctx->n_joined_rooms = 0;
    for (size_t i = 0; i < n && rc == SY_OK; i++) {
        /* A membership newer than this sync's upper bound is for the next one. */
        if (ms[i].stream_ordering > ctx->now.pos[SY_STREAM_EVENTS])
            continue;
        if (strcmp(ms[i].membership, "join") == 0) {
            ctx->joined_rooms[ctx->n_joined_rooms++] = ms[i].room_id;
            rc = joined_room(ctx, &ms[i], join, any, err);
        } else if (strcmp(ms[i].membership, "invite") == 0) {
            rc = invited_room(ctx, &ms[i], invite, "invite_state", any, err);
        } else if (strcmp(ms[i].membership, "knock") == 0) {
            rc = invited_room(ctx, &ms[i], knock, "knock_state", any, err);
        } else {
            rc = left_room(ctx, &ms[i], leave, any, err);
        }
    }
    return rc;
}
