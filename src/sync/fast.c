/*
 * sync/fast.c -- incremental /sync from memory (see sync/fast.h).
 *
 * The shape of the response follows the sections exactly: for an
 * incremental sync in which only the events (and typing) streams moved,
 * rooms.join.<room> holds the timeline (not limited, prev_batch just below
 * its first event), an empty state list, the room's ephemeral part, the
 * member summary and the unread counts; every other section is empty but
 * present; the device's one-time-key counts come from live's copy.  A
 * test (t/api/85-live.t) and SYNCRO_LIVE_VERIFY=1 (api/client/sync.c)
 * compare the two paths.
 */
#include <string.h>

#include "db/db.h"
#include "db/device_inbox.h"
#include "db/events.h"
#include "db/state.h"
#include "json/json.h"
#include "push/counts.h"
#include "rooms/room.h"
#include "sync/fast.h"
#include "sync/filter.h"
#include "sync/live.h"
#include "sync/sections.h"
#include "sync/stream.h"
#include "sync/sync.h"
#include "sync/timeline.h"
#include "sync/typing.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/time.h"

#define TIMELINE_MAX_LIMIT 1000 /* as sync/rooms.c */

static int
read_head(void *arg, int64_t *head)
{
    struct sy_sync_token t;
    struct sy_error err = {0};

    if (sy_sync_token_now(arg, &t, &err) != SY_OK)
        return err.code;
    *head = t.pos[SY_STREAM_EVENTS];
    return 0;
}

/* Miss: count it and send the caller to the sections. */
static int
miss(enum sy_live_miss m)
{
    sy_live_count(m);
    return SY_ENOTFOUND;
}

/* Streams the fast path does not read must not have moved. */
static int
only_events_moved(const struct sy_sync_ctx *ctx)
{
    static const enum sy_stream fixed[] = {SY_STREAM_RECEIPTS, SY_STREAM_TO_DEVICE,
                                           SY_STREAM_ACCOUNT_DATA, SY_STREAM_PRESENCE,
                                           SY_STREAM_DEVICE_LISTS};

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if (ctx->since.pos[fixed[i]] != ctx->now.pos[fixed[i]])
            return 0;
    return 1;
}

static struct json_object *
empty_events(void)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "events", json_object_new_array());
    return o;
}

/* The top-level sections other than rooms, as they are when their streams did not move. */
static int add_quiet_sections(struct sy_sync_ctx *ctx, struct json_object *resp,
                              struct sy_error *err);

/* The summary and unread counts of one room: live's, or read and handed to live. */
static int
room_view(struct sy_sync_ctx *ctx, const char *room_id, struct sy_live_view *v, int *ok,
          struct sy_error *err)
{
    struct sy_live_ticket t;
    struct sy_sync_token head;

    *ok = 1;
    if (v->have_summary && v->have_unread)
        return SY_OK;
    sy_live_view_begin(&t);
    if (t.w != ctx->now.pos[SY_STREAM_EVENTS]) {
        *ok = 0; /* events came meanwhile: values read now would not fit this answer */
        return SY_OK;
    }
    if (!v->have_summary) {
        if (sy_db_member_counts(ctx->db, room_id, &v->joined, &v->invited, err) != SY_OK ||
            sy_db_member_heroes(ctx->db, ctx->a, room_id, ctx->user_id, &v->heroes, &v->n_heroes,
                                err) != SY_OK)
            return err->code;
        v->have_summary = 1;
    }
    if (!v->have_unread) {
        if (sy_push_unread(ctx->db, ctx->user_id, room_id, &v->notes, &v->highlights, err) != SY_OK)
            return err->code;
        v->have_unread = 1;
    }
    /* The committed head after the reads: they saw nothing the ring has not. */
    if (sy_sync_token_now(ctx->db, &head, err) != SY_OK)
        return err->code;
    *ok = sy_live_view_put(ctx->user_id, room_id, &t, head.pos[SY_STREAM_EVENTS], v);
    return SY_OK;
}

/* summary and unread_notifications, as sync/rooms.c adds them. */
static void
add_view(struct json_object *room, const struct sy_live_view *v)
{
    struct json_object *summary = json_object_new_object(), *heroes = json_object_new_array();
    struct json_object *un = json_object_new_object();

    for (size_t i = 0; i < v->n_heroes; i++)
        json_object_array_add(heroes, json_object_new_string(v->heroes[i]));
    json_object_object_add(summary, "m.heroes", heroes);
    json_object_object_add(summary, "m.joined_member_count", json_object_new_int64(v->joined));
    json_object_object_add(summary, "m.invited_member_count", json_object_new_int64(v->invited));
    json_object_object_add(room, "summary", summary);
    json_object_object_add(un, "notification_count", json_object_new_int64(v->notes));
    json_object_object_add(un, "highlight_count", json_object_new_int64(v->highlights));
    json_object_object_add(room, "unread_notifications", un);
}

/* The client JSON of a ring event for this user and device (no bundle: it has no relations). */
static struct json_object *
event_json(struct sy_sync_ctx *ctx, const struct sy_live_event *le)
{
    struct sy_room_event ev = {
        .event_id = le->event_id,
        .room_id = le->room_id,
        .type = le->type,
        .state_key = le->state_key,
        .sender = le->sender,
        .origin_server_ts = le->origin_server_ts,
        .stream_ordering = le->stream,
        .client_json = le->client_json,
        .txn_user = le->txn_user,
        .txn_device = le->txn_device,
        .txn_id = le->txn_id,
    };

    return sy_room_event_raw(ctx->a, &ev, ctx->user_id, ctx->device_id, NULL);
}

/* The same event as a row, for the timeline filter. */
static void
as_row(const struct sy_live_event *le, struct sy_db_event *row)
{
    memset(row, 0, sizeof(*row));
    row->stream_ordering = le->stream;
    row->event_id = le->event_id;
    row->room_id = le->room_id;
    row->type = le->type;
    row->state_key = le->state_key;
    row->sender = le->sender;
    row->origin_server_ts = le->origin_server_ts;
    row->client_json = le->client_json;
}

/* rooms.join.<room>.timeline and state of the events that pass the filter; NULL when none. */
static struct json_object *
room_timeline(struct sy_sync_ctx *ctx, const struct sy_event_filter *f,
              const struct sy_live_room *r)
{
    struct json_object *room, *timeline, *events = NULL;
    int64_t first = 0;

    for (size_t i = 0; i < r->n; i++) {
        struct sy_db_event row;

        as_row(&r->events[i], &row);
        if (!sy_timeline_match(ctx->a, f, &row))
            continue;
        if (events == NULL) {
            events = json_object_new_array();
            first = r->events[i].stream;
        }
        json_object_array_add(events, event_json(ctx, &r->events[i]));
    }
    if (events == NULL)
        return NULL;
    room = json_object_new_object();
    timeline = json_object_new_object();
    json_object_object_add(timeline, "events", events);
    json_object_object_add(timeline, "limited", json_object_new_boolean(0));
    json_object_object_add(timeline, "prev_batch",
                           json_object_new_string(sy_timeline_token(ctx->a, first - 1)));
    json_object_object_add(room, "timeline", timeline);
    json_object_object_add(room, "state", empty_events());
    return room;
}

static const struct sy_live_room *
find_room(const struct sy_live_snapshot *s, const char *room_id)
{
    for (size_t i = 0; i < s->n_rooms; i++)
        if (strcmp(s->rooms[i].room_id, room_id) == 0)
            return &s->rooms[i];
    return NULL;
}

/*
 * rooms.join.<room_id> when the room has something to say: its events (r,
 * may be NULL), its ephemeral part.  *ok 0 when its view could not be
 * settled.
 */
static int
add_room(struct sy_sync_ctx *ctx, const struct sy_event_filter *f, const char *room_id,
         const struct sy_live_room *r, struct json_object *join, int *any, int *ok,
         struct sy_error *err)
{
    struct sy_sync_room_slot slot = {.room_id = room_id};
    struct json_object *room = NULL;
    struct sy_live_view v;

    if (!sy_filter_room_allowed(ctx->filter, room_id))
        return SY_OK;
    if (r != NULL)
        room = room_timeline(ctx, f, r);
    if (room == NULL)
        room = json_object_new_object();
    /* Receipts and account data did not move: only typing can add anything here. */
    if (sy_sync_room_extras(ctx, &slot, 1, err) != SY_OK) {
        json_object_put(room);
        return err->code;
    }
    if (slot.room != NULL) {
        json_object_object_foreach(slot.room, key, val)
            json_object_object_add(room, key, json_object_get(val));
    }
    if (json_object_object_length(room) == 0) {
        json_object_put(room);
        return SY_OK;
    }
    if (r != NULL)
        v = r->view;
    else
        sy_live_view_get(ctx->user_id, room_id, ctx->a, &v);
    if (room_view(ctx, room_id, &v, ok, err) != SY_OK) {
        json_object_put(room);
        return err->code;
    }
    add_view(room, &v);
    json_object_object_add(join, room_id, room);
    *any = 1;
    return SY_OK;
}

/*
 * rooms.join: the rooms with events; when typing moved, every joined room
 * (any may have a typing change).
 */
static int
add_rooms(struct sy_sync_ctx *ctx, const struct sy_event_filter *f,
          const struct sy_live_snapshot *s, struct json_object *join, int *any, int *ok,
          struct sy_error *err)
{
    int typing_moved = ctx->since.pos[SY_STREAM_TYPING] != ctx->now.pos[SY_STREAM_TYPING];
    size_t n = typing_moved ? s->n_joined : s->n_rooms;

    *ok = 1;
    for (size_t i = 0; i < n && *ok; i++) {
        const char *room_id = typing_moved ? s->joined[i] : s->rooms[i].room_id;
        const struct sy_live_room *r = typing_moved ? find_room(s, room_id) : &s->rooms[i];

        if (add_room(ctx, f, room_id, r, join, any, ok, err) != SY_OK)
            return err->code;
    }
    return SY_OK;
}

static int
compile_filter(struct sy_sync_ctx *ctx, struct sy_event_filter *timeline, int *limit,
               struct sy_error *err)
{
    struct sy_event_filter state;
    int64_t l;

    if (sy_filter_compile_room_part(ctx->a, ctx->filter, "timeline", timeline, err) != SY_OK ||
        sy_filter_compile(ctx->a, sy_filter_room_part(ctx->filter, "state"), &state, err) != SY_OK)
        return err->code;
    if (state.lazy_load_members)
        return SY_ENOTFOUND;
    l = sy_filter_limit(timeline, SY_FILTER_DEFAULT_LIMIT);
    *limit = l < 0 ? 0 : l > TIMELINE_MAX_LIMIT ? TIMELINE_MAX_LIMIT : (int)l;
    return SY_OK;
}

int
sy_sync_fast(struct sy_sync_ctx *ctx, struct json_object **resp, int *any, struct sy_error *err)
{
    struct json_object *rooms, *join;
    struct sy_event_filter timeline;
    struct sy_live_snapshot snap;
    enum sy_live_miss m;
    int64_t w, lo;
    int limit = 0, rc, ok;

    *any = 0;
    /* The ring starts with the first /sync of any kind, so the next incremental one finds it. */
    if (!sy_live_range(&w, &lo)) {
        if (sy_live_start(read_head, ctx->db) != 0)
            return sy_err_internal(err, "could not read the events head");
        sy_live_range(&w, &lo);
    }
    if (ctx->initial || ctx->full_state)
        return miss(SY_LIVE_INITIAL);
    if (!only_events_moved(ctx))
        return miss(SY_LIVE_STREAMS);
    if ((rc = compile_filter(ctx, &timeline, &limit, err)) != SY_OK)
        return rc == SY_ENOTFOUND ? miss(SY_LIVE_FILTER) : rc;
    /* The database has events the ring has not taken yet: the sections will see them. */
    if (ctx->now.pos[SY_STREAM_EVENTS] > w) {
        sy_live_behind(ctx->now.pos[SY_STREAM_EVENTS], sy_now_ms());
        return miss(SY_LIVE_NOT_COVERED);
    }
    memset(&snap, 0, sizeof(snap));
    snap.upto = w;
    /* Nothing to look at (nor typing to show): no need for the user's rooms. */
    if (ctx->since.pos[SY_STREAM_EVENTS] != w ||
        ctx->since.pos[SY_STREAM_TYPING] != ctx->now.pos[SY_STREAM_TYPING]) {
        m = sy_live_snapshot(ctx->user_id, ctx->since.pos[SY_STREAM_EVENTS], limit, ctx->a, &snap);
        if (m != SY_LIVE_OK)
            return miss(m);
    }
    ctx->now.pos[SY_STREAM_EVENTS] = snap.upto;
    *resp = sy_json_new_object(ctx->a);
    rooms = json_object_new_object();
    join = json_object_new_object();
    json_object_object_add(rooms, "join", join);
    json_object_object_add(rooms, "invite", json_object_new_object());
    json_object_object_add(rooms, "leave", json_object_new_object());
    json_object_object_add(rooms, "knock", json_object_new_object());
    json_object_object_add(*resp, "rooms", rooms);
    if (add_rooms(ctx, &timeline, &snap, join, any, &ok, err) != SY_OK)
        return err->code;
    if (!ok)
        return miss(SY_LIVE_VIEW);
    if (add_quiet_sections(ctx, *resp, err) != SY_OK)
        return err->code;
    json_object_object_add(*resp, "next_batch",
                           json_object_new_string(sy_sync_token_format(ctx->a, &ctx->now)));
    sy_live_count(SY_LIVE_OK);
    return SY_OK;
}

/* device_one_time_keys_count and device_unused_fallback_key_types: live's copy, or the section's.
 */
static int
add_keys(struct sy_sync_ctx *ctx, struct json_object *resp, struct sy_error *err)
{
    const char *counts, *fallback;
    struct json_object *tmp;
    uint64_t gen;
    int any = 0;

    if (ctx->device_id == NULL)
        return SY_OK;
    if (!sy_live_keys_get(ctx->user_id, ctx->device_id, ctx->a, &counts, &fallback)) {
        gen = sy_live_keys_gen(ctx->user_id);
        tmp = sy_json_new_object(ctx->a);
        if (sy_sync_section_e2ee_keys(ctx, tmp, &any, err) != SY_OK)
            return err->code;
        counts = sy_arena_strdup(
            ctx->a, sy_json_text(sy_json_get(tmp, "device_one_time_keys_count"), NULL));
        fallback = sy_arena_strdup(
            ctx->a, sy_json_text(sy_json_get(tmp, "device_unused_fallback_key_types"), NULL));
        sy_live_keys_put(ctx->user_id, ctx->device_id, gen, counts, fallback);
    }
    json_object_object_add(resp, "device_one_time_keys_count", sy_json_raw(counts));
    json_object_object_add(resp, "device_unused_fallback_key_types", sy_json_raw(fallback));
    return SY_OK;
}

static int
add_quiet_sections(struct sy_sync_ctx *ctx, struct json_object *resp, struct sy_error *err)
{
    struct json_object *dl = json_object_new_object();
    int64_t since = ctx->since.pos[SY_STREAM_TO_DEVICE];

    json_object_object_add(resp, "account_data", empty_events());
    json_object_object_add(resp, "presence", empty_events());
    json_object_object_add(resp, "to_device", empty_events());
    json_object_object_add(dl, "changed", json_object_new_array());
    json_object_object_add(dl, "left", json_object_new_array());
    json_object_object_add(resp, "device_lists", dl);
    /* 'since' proves the device has every message up to it (sync/to_device.c): clear once. */
    if (ctx->device_id != NULL && sy_live_inbox_cleared(ctx->user_id, ctx->device_id) < since) {
        if (sy_db_device_inbox_delete(ctx->db, ctx->user_id, ctx->device_id, since, err) != SY_OK)
            return err->code;
        sy_live_inbox_clear(ctx->user_id, ctx->device_id, since);
    }
    return add_keys(ctx, resp, err);
}

void
sy_sync_fast_learn(struct sy_sync_ctx *ctx)
{
    if (ctx->joined_rooms != NULL)
        sy_live_user_joined(ctx->user_id, ctx->now.pos[SY_STREAM_EVENTS], ctx->joined_rooms,
                            ctx->n_joined_rooms);
    /* The to-device section cleared the inbox up to 'since' (an incremental sync). */
    if (!ctx->initial && ctx->device_id != NULL)
        sy_live_inbox_clear(ctx->user_id, ctx->device_id, ctx->since.pos[SY_STREAM_TO_DEVICE]);
}

int
sy_sync_fast_wait_keys(struct sy_sync_ctx *ctx, const char ***keys, size_t *n, struct sy_error *err)
{
    const char **invited;
    size_t n_invited;

    if (sy_live_wait_keys(ctx->user_id, ctx->a, keys, n))
        return SY_OK;
    /* Live may know the joined rooms (they come from a pass) but not yet the invited ones. */
    if (sy_db_rooms_for_user(ctx->db, ctx->a, ctx->user_id, "invite", &invited, &n_invited, err) !=
        SY_OK)
        return err->code;
    sy_live_user_invited(ctx->user_id, invited, n_invited);
    if (sy_live_wait_keys(ctx->user_id, ctx->a, keys, n))
        return SY_OK;
    return sy_sync_wait_keys(ctx, keys, n, err);
}
