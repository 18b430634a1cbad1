/*
 * sync/rooms.c -- the "rooms" section of /sync: join, invite, leave, knock.
 *
 * Each room is placed by the user's membership at 'now' (a membership
 * committed after 'now' is the next sync's business, and does not hide
 * the events before it).  For a joined or left room the timeline is the
 * newest events in (since, upto] that pass the timeline filter and
 * history visibility (limited when there are more); upto is 'now', or the
 * leave for a left room.  "state" is the state at the start of the
 * timeline: all of it when the room is new to this client ("fresh":
 * initial, full_state, or the user was not joined at 'since'), else what
 * changed between 'since' and the start of a limited timeline.  So every
 * event reaches a chain of incremental syncs exactly once: in a timeline,
 * or (for state skipped by a limited timeline) in state.  prev_batch is a
 * sync/timeline.h token: /messages from it continues exactly below the
 * timeline.  Events are spliced from their stored text.
 *
 * Filters (sync/filter.h): room.rooms / not_rooms choose rooms;
 * room.timeline filters and limits timelines; room.state filters state,
 * and its lazy_load_members keeps only the member events of timeline
 * senders (and the user's own).  room.include_leave adds every left room
 * to an initial or full_state sync.
 *
 * Lazy loading on an incremental sync adds the member events of timeline
 * senders even when unchanged, since the client may never have had them;
 * unless include_redundant_members, a per-device memory of the member
 * events already sent (as Synapse's) leaves those out.  An initial sync
 * clears the device's memory; a restart or eviction only costs redundant
 * member events, never missing ones.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "db/aliases.h"
#include "db/events.h"
#include "db/state.h"
#include "json/json.h"
#include "push/counts.h"
#include "rooms/room.h"
#include "sync/filter.h"
#include "sync/sections.h"
#include "sync/sync.h"
#include "sync/timeline.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/map.h"

#define TIMELINE_MAX_LIMIT 1000
/* Rows a timeline looks at before it settles for what it found (limited). */
#define TIMELINE_SCAN(limit) (10 * ((size_t)(limit) + 1) + 100)

/* Stripped state an invitee or knocker sees (spec: "stripped state"). */
static const char *const stripped_types[] = {
    "m.room.create",          "m.room.join_rules", "m.room.name",  "m.room.avatar",
    "m.room.canonical_alias", "m.room.encryption", "m.room.topic", "m.room.guest_access",
};

/*
 * Member events sent to a device ("room\x1fuser" -> event ID), per
 * "user\x1fdevice".  Bounded: past the caps a device's memory, or all of
 * it, is dropped.
 */
#define LAZY_MAX_DEVICES 4096
#define LAZY_MAX_MEMBERS 20000

struct lazy_device {
    struct sy_arena *a;
    struct sy_map *sent;
    size_t n_sets; /* values are arena copies: bound the arena, not just the map */
};

static pthread_mutex_t lazy_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sy_arena *lazy_arena; /* holds lazy_devices' table */
static struct sy_map *lazy_devices;
static size_t lazy_device_sets; /* keys added to lazy_devices since its arena was made */

static void
lazy_drop_all_locked(void)
{
    size_t it = 0;
    void *v;

    if (lazy_devices != NULL)
        while (sy_map_next(lazy_devices, &it, NULL, &v)) {
            struct lazy_device *d = v;

            sy_arena_free(d->a);
            free(d);
        }
    if (lazy_arena != NULL)
        sy_arena_free(lazy_arena);
    lazy_arena = sy_arena_new();
    lazy_devices = sy_map_new(lazy_arena, 64);
    lazy_device_sets = 0;
}

static const char *
lazy_device_key(struct sy_sync_ctx *ctx)
{
    return sy_arena_printf(ctx->a, "%s\x1f%s", ctx->user_id, ctx->device_id ? ctx->device_id : "");
}

/* Forget what this device was sent (a new sync sequence). */
static void
lazy_forget(struct sy_sync_ctx *ctx)
{
    const char *key = lazy_device_key(ctx);
    struct lazy_device *d;

    pthread_mutex_lock(&lazy_lock);
    if (lazy_devices != NULL && (d = sy_map_get(lazy_devices, key)) != NULL) {
        sy_map_del(lazy_devices, key);
        sy_arena_free(d->a);
        free(d);
    }
    pthread_mutex_unlock(&lazy_lock);
}

/* 1 if this device was sent member event 'event_id' for (room_id, user). */
static int
lazy_was_sent(struct sy_sync_ctx *ctx, const char *room_id, const char *user, const char *event_id)
{
    const char *key = lazy_device_key(ctx), *sent;
    struct lazy_device *d;
    int hit = 0;

    pthread_mutex_lock(&lazy_lock);
    if (lazy_devices != NULL && (d = sy_map_get(lazy_devices, key)) != NULL &&
        (sent = sy_map_get(d->sent, sy_arena_printf(ctx->a, "%s\x1f%s", room_id, user))) != NULL)
        hit = strcmp(sent, event_id) == 0;
    pthread_mutex_unlock(&lazy_lock);
    return hit;
}

/* Remember the member events among events[0..n). */
static void
lazy_remember(struct sy_sync_ctx *ctx, const char *room_id, const struct sy_db_event *events,
              size_t n)
{
    const char *key = lazy_device_key(ctx);
    struct lazy_device *d;

    pthread_mutex_lock(&lazy_lock);
    if (lazy_devices == NULL || lazy_device_sets >= LAZY_MAX_DEVICES)
        lazy_drop_all_locked();
    if ((d = sy_map_get(lazy_devices, key)) == NULL) {
        d = calloc(1, sizeof(*d));
        if (d == NULL)
            abort();
        d->a = sy_arena_new();
        d->sent = sy_map_new(d->a, 16);
        sy_map_set(lazy_devices, key, d);
        lazy_device_sets++;
    }
    if (d->n_sets + n >= LAZY_MAX_MEMBERS) {
        sy_arena_free(d->a);
        d->a = sy_arena_new();
        d->sent = sy_map_new(d->a, 16);
        d->n_sets = 0;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(events[i].type, "m.room.member") == 0 && events[i].state_key != NULL &&
            d->n_sets++ < LAZY_MAX_MEMBERS)
            sy_map_set(d->sent, sy_arena_printf(ctx->a, "%s\x1f%s", room_id, events[i].state_key),
                       sy_arena_strdup(d->a, events[i].event_id));
    pthread_mutex_unlock(&lazy_lock);
}

/* What one run of the section works from: the filters compiled once. */
struct rooms_run {
    struct sy_sync_ctx *ctx;
    struct sy_event_filter timeline, state;
    int limit;
    struct sy_timeline_vis vis;
    /* Incremental: the rooms with events in (since, now], found in one query; NULL: unknown. */
    struct sy_map *changed;
};

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
        json_object_array_add(arr,
                              sy_room_event_raw(ctx->a, &ev, ctx->user_id, ctx->device_id, NULL));
    }
    return arr;
}

/* The same for timeline events, with bundled aggregations. */
static int
timeline_array(struct sy_sync_ctx *ctx, const struct sy_db_event *rows, size_t n,
               struct json_object **out, struct sy_error *err)
{
    return sy_timeline_events_json(ctx->db, ctx->a, rows, n, ctx->user_id, ctx->device_id, 1, out,
                                   err);
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

/* content.membership of a stored member event, or NULL. */
static const char *
membership_of(struct sy_sync_ctx *ctx, const struct sy_db_event *row)
{
    struct sy_error err = {0};
    struct json_object *o;

    if (sy_json_parse(ctx->a, row->client_json, strlen(row->client_json), 64, &o, &err) != SY_OK)
        return NULL;
    return sy_json_get_str(sy_json_get_obj(o, "content"), "membership");
}

/* The user's membership event in room_id just after position 'pos': *found 0 when none. */
static int
member_at(struct sy_sync_ctx *ctx, const char *room_id, int64_t pos, struct sy_db_event *row,
          int *found, struct sy_error *err)
{
    const char *id;
    int64_t group;

    *found = 0;
    if (group_at(ctx, room_id, pos, &group, err) != SY_OK)
        return err->code;
    if (group == 0)
        return SY_OK;
    if (sy_db_state_group_lookup(ctx->db, ctx->a, group, "m.room.member", ctx->user_id, &id, err) !=
        SY_OK)
        return err->code;
    if (id == NULL)
        return SY_OK;
    if (sy_db_event_get(ctx->db, ctx->a, id, row, err) != SY_OK)
        return err->code;
    *found = 1;
    return SY_OK;
}

/* 1 if the user was joined to room_id at 'since' (0 for an initial sync). */
static int
joined_at_since(struct sy_sync_ctx *ctx, const char *room_id, int *joined, struct sy_error *err)
{
    struct sy_db_event row;
    const char *mem;
    int found;

    *joined = 0;
    if (ctx->initial)
        return SY_OK;
    if (member_at(ctx, room_id, ctx->since.pos[SY_STREAM_EVENTS], &row, &found, err) != SY_OK)
        return err->code;
    *joined = found && (mem = membership_of(ctx, &row)) != NULL && strcmp(mem, "join") == 0;
    return SY_OK;
}

/*
 * The state events to send: 'start' (state at the timeline start) less
 * 'known' (what the client has), filtered by the state filter; with lazy
 * loading, members only for the timeline's senders (and the user), and on
 * an incremental sync those senders' members even when unchanged.
 */
static int
room_state(struct rooms_run *run, const char *room_id, int64_t start_group, int64_t since_group,
           int fresh, int limited, const struct sy_db_event *tl, size_t n_tl,
           struct json_object **out, struct sy_error *err)
{
    struct sy_sync_ctx *ctx = run->ctx;
    struct sy_db_state_row *start = NULL, *before = NULL;
    struct sy_db_event *events;
    size_t n_start = 0, n_before = 0, n_ids = 0, n_events, n_extra = 0, k = 0;
    struct sy_map *known = sy_map_new(ctx->a, 16), *in_tl = sy_map_new(ctx->a, n_tl + 1);
    struct sy_map *senders = sy_map_new(ctx->a, n_tl + 2);
    const char **ids, **extra = NULL;
    int lazy = run->state.lazy_load_members;

    for (size_t i = 0; i < n_tl; i++) {
        sy_map_set(in_tl, tl[i].event_id, (void *)1);
        sy_map_set(senders, tl[i].sender, (void *)1);
    }
    sy_map_set(senders, ctx->user_id, (void *)1);
    if ((fresh || limited) && start_group != 0 &&
        sy_db_state_group_resolve(ctx->db, ctx->a, start_group, &start, &n_start, err) != SY_OK)
        return err->code;
    if (!fresh && limited && since_group != 0 &&
        sy_db_state_group_resolve(ctx->db, ctx->a, since_group, &before, &n_before, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n_before; i++)
        sy_map_set(known, before[i].event_id, (void *)1);
    /* Senders' members the client may lack on an incremental lazy-loading sync. */
    if (lazy && !fresh && n_tl > 0 &&
        sy_timeline_member_ids(ctx->db, ctx->a, start_group, tl, n_tl, NULL, NULL, &extra, &n_extra,
                               err) != SY_OK)
        return err->code;
    ids = sy_arena_alloc(ctx->a, sizeof(char *) * (n_start + n_extra + 1));
    for (size_t i = 0; i < n_start; i++) {
        if (sy_map_get(known, start[i].event_id) != NULL)
            continue;
        if (lazy && strcmp(start[i].type, "m.room.member") == 0 &&
            sy_map_get(senders, start[i].state_key) == NULL)
            continue;
        if (!sy_filter_match(&run->state, start[i].type, NULL, room_id, 0))
            continue;
        sy_map_set(known, start[i].event_id, (void *)1);
        ids[n_ids++] = start[i].event_id;
    }
    for (size_t i = 0; i < n_extra; i++)
        if (sy_map_get(known, extra[i]) == NULL && sy_map_get(in_tl, extra[i]) == NULL) {
            sy_map_set(known, extra[i], (void *)2); /* 2: unchanged, maybe redundant */
            ids[n_ids++] = extra[i];
        }
    if (sy_db_events_get_many(ctx->db, ctx->a, ids, n_ids, &events, &n_events, err) != SY_OK)
        return err->code;
    /* Now with senders and content: the whole state filter. */
    for (size_t i = 0; i < n_events; i++) {
        const struct sy_db_event *e = &events[i];

        if (!sy_timeline_match(ctx->a, &run->state, e) || sy_map_get(in_tl, e->event_id) != NULL)
            continue;
        if (lazy && !run->state.include_redundant_members &&
            sy_map_get(known, e->event_id) == (void *)2 &&
            lazy_was_sent(ctx, room_id, e->state_key, e->event_id))
            continue;
        events[k++] = *e;
    }
    if (lazy && !run->state.include_redundant_members) {
        lazy_remember(ctx, room_id, events, k);
        lazy_remember(ctx, room_id, tl, n_tl);
    }
    *out = event_array(ctx, events, k);
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
        sy_db_member_heroes(ctx->db, ctx->a, room_id, ctx->user_id, &ids, &n, err) != SY_OK) {
        json_object_put(heroes);
        return err->code;
    }
    for (size_t i = 0; i < n; i++)
        json_object_array_add(heroes, json_object_new_string(ids[i]));
    json_object_object_add(summary, "m.heroes", heroes);
    json_object_object_add(summary, "m.joined_member_count", json_object_new_int64(joined));
    json_object_object_add(summary, "m.invited_member_count", json_object_new_int64(invited));
    return SY_OK;
}

/* unread_notifications: the push counts after the user's read receipt (push/counts.h). */
static int
add_unread(struct sy_sync_ctx *ctx, const char *room_id, struct json_object *room,
           struct sy_error *err)
{
    struct json_object *un;
    int64_t notes, highlights;

    if (sy_push_unread(ctx->db, ctx->user_id, room_id, &notes, &highlights, err) != SY_OK)
        return err->code;
    un = json_object_new_object();
    json_object_object_add(un, "notification_count", json_object_new_int64(notes));
    json_object_object_add(un, "highlight_count", json_object_new_int64(highlights));
    json_object_object_add(room, "unread_notifications", un);
    return SY_OK;
}

/*
 * One room's timeline and state for the range (from, upto].  'fresh': the
 * client has nothing of this room yet.  Visibility is checked for events
 * below 'vis_below' (0: all).  *empty when there is nothing new.
 */
static int
room_timeline(struct rooms_run *run, const char *room_id, int64_t from, int64_t upto, int fresh,
              int64_t vis_below, struct json_object *room, int *empty, struct sy_error *err)
{
    struct sy_sync_ctx *ctx = run->ctx;
    struct sy_timeline_walk w = {
        .room_id = room_id,
        .backwards = 1,
        .from = upto,
        .bound = fresh ? 0 : from,
        .limit = (size_t)run->limit + 1,
        .scan_cap = TIMELINE_SCAN(run->limit),
        .filter = &run->timeline,
        .vis = &run->vis,
        .vis_below = vis_below,
    };
    struct sy_timeline_page page;
    struct sy_db_event *chrono;
    struct json_object *timeline, *events, *state = NULL;
    int64_t start_group, since_group = 0, prev;
    size_t n;
    int limited;

    if (sy_timeline_walk(ctx->db, ctx->a, &w, &page, err) != SY_OK)
        return err->code;
    n = page.n;
    limited = n > (size_t)run->limit || page.more;
    *empty = n == 0 && !limited && !fresh;
    if (*empty)
        return SY_OK;
    if (n > (size_t)run->limit)
        n = (size_t)run->limit;
    chrono = sy_arena_alloc(ctx->a, sizeof(*chrono) * (n + 1));
    for (size_t i = 0; i < n; i++)
        chrono[i] = page.events[n - 1 - i];
    /* /messages continues just below the first timeline event (or where the walk stopped). */
    prev = n ? chrono[0].stream_ordering - 1 : limited ? page.next : upto;
    if (timeline_array(ctx, chrono, n, &events, err) != SY_OK)
        return err->code;
    timeline = json_object_new_object();
    json_object_object_add(timeline, "events", events);
    json_object_object_add(timeline, "limited", json_object_new_boolean(limited));
    json_object_object_add(timeline, "prev_batch",
                           json_object_new_string(sy_timeline_token(ctx->a, prev)));
    json_object_object_add(room, "timeline", timeline);
    /* State at the start of the timeline, minus what the client has. */
    start_group = n ? chrono[0].state_before : 0;
    if (n == 0 && group_at(ctx, room_id, upto, &start_group, err) != SY_OK)
        return err->code;
    if (!fresh && limited && group_at(ctx, room_id, from, &since_group, err) != SY_OK)
        return err->code;
    if (room_state(run, room_id, start_group, since_group, fresh, limited, chrono, n, &state,
                   err) != SY_OK)
        return err->code;
    json_object_object_add(child(room, "state"), "events", state);
    return SY_OK;
}

static int
joined_room(struct rooms_run *run, const struct sy_db_membership *m, struct json_object *join,
            int *any, struct sy_error *err)
{
    struct sy_sync_ctx *ctx = run->ctx;
    struct json_object *room = json_object_new_object();
    int64_t since = ctx->since.pos[SY_STREAM_EVENTS];
    int fresh = ctx->initial || ctx->full_state, was_joined = 1;
    int empty, extra = 0;

    /* A join after 'since' is fresh unless it only changed a profile. */
    if (!fresh && m->stream_ordering > since &&
        joined_at_since(ctx, m->room_id, &was_joined, err) != SY_OK)
        goto fail;
    fresh = fresh || !was_joined;
    empty = 1;
    if ((fresh || run->changed == NULL || sy_map_get(run->changed, m->room_id) != NULL) &&
        room_timeline(run, m->room_id, since, ctx->now.pos[SY_STREAM_EVENTS], fresh,
                      m->stream_ordering, room, &empty, err) != SY_OK)
        goto fail;
    if (sy_sync_room_extras(ctx, m->room_id, fresh, room, &extra, err) != SY_OK)
        goto fail;
    if (empty && !extra) {
        json_object_put(room);
        return SY_OK;
    }
    if (add_summary(ctx, m->room_id, room, err) != SY_OK ||
        add_unread(ctx, m->room_id, room, err) != SY_OK)
        goto fail;
    json_object_object_add(join, m->room_id, room);
    *any = 1;
    return SY_OK;
fail:
    json_object_put(room);
    return err->code;
}

/* Stripped state: type, state_key, sender and content of the listed events. */
static int
stripped_state(struct sy_sync_ctx *ctx, const struct sy_db_membership *m, struct json_object **out,
               struct sy_error *err)
{
    const char *ids[sizeof(stripped_types) / sizeof(stripped_types[0]) + 1];
    struct sy_db_event *rows;
    size_t n = 0, n_rows;

    for (size_t i = 0; i < sizeof(stripped_types) / sizeof(stripped_types[0]); i++) {
        const char *id;

        if (sy_db_current_state_get(ctx->db, ctx->a, m->room_id, stripped_types[i], "", &id, err) !=
            SY_OK)
            return err->code;
        if (id != NULL)
            ids[n++] = id;
    }
    ids[n++] = m->event_id; /* the invite or knock itself */
    if (sy_db_events_get_many(ctx->db, ctx->a, ids, n, &rows, &n_rows, err) != SY_OK)
        return err->code;
    *out = json_object_new_array();
    for (size_t i = 0; i < n_rows; i++) {
        struct json_object *full, *s;
        static const char *const keep[] = {"type", "state_key", "sender", "content"};

        if (sy_json_parse(ctx->a, rows[i].client_json, strlen(rows[i].client_json), 64, &full,
                          err) != SY_OK) {
            json_object_put(*out);
            return err->code;
        }
        s = json_object_new_object();
        for (size_t k = 0; k < 4; k++) {
            struct json_object *v = sy_json_get(full, keep[k]);

            if (v != NULL)
                json_object_object_add(s, keep[k], json_object_get(v));
        }
        json_object_array_add(*out, s);
    }
    return SY_OK;
}

/* rooms.invite or rooms.knock: stripped state, once per invite or knock. */
static int
invited_room(struct sy_sync_ctx *ctx, const struct sy_db_membership *m, struct json_object *parent,
             const char *state_key, int *any, struct sy_error *err)
{
    struct json_object *room, *events = NULL;

    if (!ctx->initial && !ctx->full_state && m->stream_ordering <= ctx->since.pos[SY_STREAM_EVENTS])
        return SY_OK;
    if (stripped_state(ctx, m, &events, err) != SY_OK)
        return err->code;
    room = json_object_new_object();
    json_object_object_add(child(room, state_key), "events", events);
    json_object_object_add(parent, m->room_id, room);
    *any = 1;
    return SY_OK;
}

/*
 * A leave or ban: the timeline up to and including it.  On an incremental
 * sync, when it happened since the last one; on an initial or full_state
 * sync, only with room.include_leave (and not for forgotten rooms).
 */
static int
left_room(struct rooms_run *run, const struct sy_db_membership *m, struct json_object *leave,
          int *any, struct sy_error *err)
{
    struct sy_sync_ctx *ctx = run->ctx;
    struct json_object *room;
    int64_t since = ctx->since.pos[SY_STREAM_EVENTS];
    int empty, was_joined = 0, forgotten;

    if (ctx->initial || ctx->full_state) {
        if (!sy_filter_include_leave(ctx->filter))
            return SY_OK;
        if ((forgotten = sy_db_room_is_forgotten(ctx->db, ctx->user_id, m->room_id, err)) != 0)
            return forgotten < 0 ? forgotten : SY_OK;
    } else {
        if (m->stream_ordering <= since)
            return SY_OK;
        if (joined_at_since(ctx, m->room_id, &was_joined, err) != SY_OK)
            return err->code;
    }
    room = json_object_new_object();
    if (room_timeline(run, m->room_id, since, m->stream_ordering, !was_joined, 0, room, &empty,
                      err) != SY_OK) {
        json_object_put(room);
        return err->code;
    }
    json_object_object_add(leave, m->room_id, room);
    *any = 1;
    return SY_OK;
}

/*
 * The user's membership in m->room_id at 'now': m itself, or (when it
 * changed after 'now') the one before, read from the state at 'now'.
 * *skip when the user had none then.
 */
static int
membership_at_now(struct sy_sync_ctx *ctx, struct sy_db_membership *m, int *skip,
                  struct sy_error *err)
{
    struct sy_db_event row;
    int found;

    *skip = 0;
    if (m->stream_ordering <= ctx->now.pos[SY_STREAM_EVENTS])
        return SY_OK;
    if (member_at(ctx, m->room_id, ctx->now.pos[SY_STREAM_EVENTS], &row, &found, err) != SY_OK)
        return err->code;
    if (!found || (m->membership = membership_of(ctx, &row)) == NULL) {
        *skip = 1;
        return SY_OK;
    }
    m->event_id = row.event_id;
    m->stream_ordering = row.stream_ordering;
    return SY_OK;
}

static int
run_init(struct rooms_run *run, struct sy_sync_ctx *ctx, struct sy_error *err)
{
    int64_t limit;

    memset(run, 0, sizeof(*run));
    run->ctx = ctx;
    if (sy_filter_compile_room_part(ctx->a, ctx->filter, "timeline", &run->timeline, err) !=
            SY_OK ||
        sy_filter_compile(ctx->a, sy_filter_room_part(ctx->filter, "state"), &run->state, err) !=
            SY_OK)
        return err->code;
    limit = sy_filter_limit(&run->timeline, SY_FILTER_DEFAULT_LIMIT);
    run->limit = limit < 0 ? 0 : limit > TIMELINE_MAX_LIMIT ? TIMELINE_MAX_LIMIT : (int)limit;
    sy_timeline_vis_init(&run->vis, ctx->db, ctx->a, ctx->user_id);
    if (ctx->initial && run->state.lazy_load_members && !run->state.include_redundant_members)
        lazy_forget(ctx);
    return SY_OK;
}

/* run->changed: which of the user's rooms moved in (since, now] (one query, not one a room). */
static int
changed_rooms(struct sy_sync_ctx *ctx, struct rooms_run *run, const struct sy_db_membership *ms,
              size_t n, struct sy_error *err)
{
    const char **ids = sy_arena_alloc(ctx->a, sizeof(char *) * (n + 1)), **out;
    size_t n_out;

    for (size_t i = 0; i < n; i++)
        ids[i] = ms[i].room_id;
    if (sy_db_events_rooms_changed(ctx->db, ctx->a, ctx->since.pos[SY_STREAM_EVENTS],
                                   ctx->now.pos[SY_STREAM_EVENTS], ids, n, &out, &n_out,
                                   err) != SY_OK)
        return err->code;
    run->changed = sy_map_new(ctx->a, n_out + 1);
    for (size_t i = 0; i < n_out; i++)
        sy_map_set(run->changed, out[i], (void *)1);
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
    struct rooms_run run;
    size_t n;
    int rc = SY_OK, skip;

    json_object_object_add(rooms, "join", join);
    json_object_object_add(rooms, "invite", invite);
    json_object_object_add(rooms, "leave", leave);
    json_object_object_add(rooms, "knock", knock);
    json_object_object_add(resp, "rooms", rooms);
    if (run_init(&run, ctx, err) != SY_OK ||
        sy_db_user_memberships(ctx->db, ctx->a, ctx->user_id, &ms, &n, err) != SY_OK)
        return err->code;
    if (!ctx->initial && !ctx->full_state && changed_rooms(ctx, &run, ms, n, err) != SY_OK)
        return err->code;
    ctx->joined_rooms = sy_arena_alloc(ctx->a, sizeof(char *) * (n + 1));
    ctx->n_joined_rooms = 0;
    for (size_t i = 0; i < n && rc == SY_OK; i++) {
        if ((rc = membership_at_now(ctx, &ms[i], &skip, err)) != SY_OK || skip)
            continue;
        if (strcmp(ms[i].membership, "join") == 0)
            ctx->joined_rooms[ctx->n_joined_rooms++] = ms[i].room_id;
        if (!sy_filter_room_allowed(ctx->filter, ms[i].room_id))
            continue;
        if (strcmp(ms[i].membership, "join") == 0)
            rc = joined_room(&run, &ms[i], join, any, err);
        else if (strcmp(ms[i].membership, "invite") == 0)
            rc = invited_room(ctx, &ms[i], invite, "invite_state", any, err);
        else if (strcmp(ms[i].membership, "knock") == 0)
            rc = invited_room(ctx, &ms[i], knock, "knock_state", any, err);
        else
            rc = left_room(&run, &ms[i], leave, any, err);
    }
    return rc;
}
