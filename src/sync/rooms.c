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
 * events already sent (sync/lazy_members.h) leaves those out.
 */
#include <string.h>

#include "db/events.h"
#include "db/state.h"
#include "db/sync_batch.h"
#include "json/json.h"
#include "rooms/cache.h"
#include "rooms/room.h"
#include "rooms/state.h"
#include "sync/filter.h"
#include "sync/lazy_members.h"
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
 * One room the section answers for.  The section works in phases over
 * all of them (timelines, state, the other streams' parts, summaries),
 * each phase one query for every room rather than one a room.
 */
struct room_job {
    const struct sy_db_membership *m;
    struct json_object *room; /* its object (an arena root), made when something goes in */
    int joined;               /* rooms.join (else rooms.leave) */
    int fresh;                /* the client has nothing of this room yet */
    int timeline;             /* read its timeline (else: nothing new in it) */
    int64_t from, upto;       /* the timeline covers (from, upto] */
    int64_t vis_below;        /* visibility is checked below this position (0: everywhere) */
    /* The timeline phase: */
    struct sy_timeline_page page;
    struct sy_db_event *chrono; /* the timeline, oldest first */
    size_t n;
    int limited, empty;
    int64_t start_group, since_group; /* state at the timeline start / at 'since' (0: none) */
    /* The state phase: */
    struct sy_db_state_row *start, *before;
    size_t n_start, n_before;
    const char **lazy_ids; /* lazy loading, incremental: the senders' member events */
    size_t n_lazy;
    const char **ids; /* state events to fetch */
    size_t n_ids;
    struct sy_map *known;       /* event ID -> 1 (client has or will get it), 2 (maybe redundant) */
    struct sy_map *in_tl;       /* the timeline's event IDs */
    struct sy_db_event *events; /* the fetched state events (into the state phase's array) */
    size_t n_events;
    int extra; /* the other streams added something */
};

/* What one run of the section works from: the filters compiled once. */
struct rooms_run {
    struct sy_sync_ctx *ctx;
    struct sy_event_filter timeline, state;
    int limit;
    struct sy_timeline_vis vis;
    /* Incremental: the rooms with events in (since, now], found in one query; NULL: unknown. */
    struct sy_map *changed;
    /* include_leave: the rooms the user forgot, read once; NULL until needed. */
    struct sy_map *forgotten;
    struct room_job *jobs;
    size_t n_jobs;
};

/* The room's object, made on first use (rooms.join/leave get it when the section settles). */
static struct json_object *
room_object(struct rooms_run *run, struct room_job *j)
{
    if (j->room == NULL)
        j->room = sy_json_new_object(run->ctx->a);
    return j->room;
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
        json_object_array_add(arr,
                              sy_room_event_raw(ctx->a, &ev, ctx->user_id, ctx->device_id, NULL));
    }
    return arr;
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

/* ---- timelines ------------------------------------------------------------------------- */

/* Every timeline in one walk batch; then each room's chronological timeline and limited flag. */
static int
walk_timelines(struct rooms_run *run, struct sy_error *err)
{
    struct sy_sync_ctx *ctx = run->ctx;
    struct sy_timeline_walk *walks;
    struct sy_timeline_page *pages;
    size_t *slot, k = 0;

    for (size_t i = 0; i < run->n_jobs; i++)
        k += run->jobs[i].timeline;
    if (k == 0)
        return SY_OK; /* an incremental sync where no room moved */
    walks = sy_arena_alloc(ctx->a, sizeof(*walks) * k);
    pages = sy_arena_alloc(ctx->a, sizeof(*pages) * k);
    slot = sy_arena_alloc(ctx->a, sizeof(size_t) * k);
    k = 0;
    for (size_t i = 0; i < run->n_jobs; i++) {
        struct room_job *j = &run->jobs[i];

        if (!j->timeline)
            continue;
        walks[k] = (struct sy_timeline_walk){
            .room_id = j->m->room_id,
            .backwards = 1,
            .from = j->upto,
            .bound = j->fresh ? 0 : j->from,
            .limit = (size_t)run->limit + 1,
            .scan_cap = TIMELINE_SCAN(run->limit),
            .filter = &run->timeline,
            .vis = &run->vis,
            .vis_below = j->vis_below,
        };
        slot[k++] = i;
    }
    if (sy_timeline_walk_many(ctx->db, ctx->a, walks, k, pages, err) != SY_OK)
        return err->code;
    for (size_t s = 0; s < k; s++) {
        struct room_job *j = &run->jobs[slot[s]];
        size_t n = pages[s].n;

        j->page = pages[s];
        j->limited = n > (size_t)run->limit || pages[s].more;
        j->empty = n == 0 && !j->limited && !j->fresh;
        if (n > (size_t)run->limit)
            n = (size_t)run->limit;
        j->n = n;
        j->chrono = sy_arena_alloc(ctx->a, sizeof(*j->chrono) * (n + 1));
        for (size_t i = 0; i < n; i++)
            j->chrono[i] = pages[s].events[n - 1 - i];
    }
    return SY_OK;
}

/*
 * The state groups each timeline needs: at its start (the first event's
 * state before it, or the state at 'upto' when the timeline is empty)
 * and, for a limited incremental one, at 'since'.  The lookups of all
 * rooms are one query.
 */
static int
timeline_groups(struct rooms_run *run, struct sy_error *err)
{
    struct sy_sync_ctx *ctx = run->ctx;
    size_t cap = 2 * run->n_jobs + 1, k = 0;
    const char **rooms = sy_arena_alloc(ctx->a, sizeof(char *) * cap);
    int64_t *pos = sy_arena_alloc(ctx->a, sizeof(int64_t) * cap);
    int64_t *groups = sy_arena_alloc(ctx->a, sizeof(int64_t) * cap);
    int64_t **dest = sy_arena_alloc(ctx->a, sizeof(int64_t *) * cap);

    for (size_t i = 0; i < run->n_jobs; i++) {
        struct room_job *j = &run->jobs[i];

        if (!j->timeline || j->empty)
            continue;
        j->start_group = j->n ? j->chrono[0].state_before : 0;
        if (j->n == 0) {
            rooms[k] = j->m->room_id, pos[k] = j->upto, dest[k++] = &j->start_group;
        }
        if (!j->fresh && j->limited) {
            rooms[k] = j->m->room_id, pos[k] = j->from, dest[k++] = &j->since_group;
        }
    }
    if (sy_db_batch_groups_at(ctx->db, ctx->a, rooms, pos, k, groups, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < k; i++)
        *dest[i] = groups[i];
    return SY_OK;
}

/* Each timeline's JSON (bundled aggregations found with one query for all rooms). */
static int
timeline_json(struct rooms_run *run, struct sy_error *err)
{
    struct sy_sync_ctx *ctx = run->ctx;
    struct sy_db_event *all;
    struct sy_map *bundle;
    size_t n_all = 0, k = 0;

    for (size_t i = 0; i < run->n_jobs; i++)
        if (run->jobs[i].timeline && !run->jobs[i].empty)
            n_all += run->jobs[i].n;
    all = sy_arena_alloc(ctx->a, sizeof(*all) * (n_all + 1));
    for (size_t i = 0; i < run->n_jobs; i++)
        if (run->jobs[i].timeline && !run->jobs[i].empty)
            for (size_t e = 0; e < run->jobs[i].n; e++)
                all[k++] = run->jobs[i].chrono[e];
    if (sy_timeline_bundle_set(ctx->db, ctx->a, all, n_all, &bundle, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < run->n_jobs; i++) {
        struct room_job *j = &run->jobs[i];
        struct json_object *timeline, *events;
        int64_t prev;

        if (!j->timeline || j->empty)
            continue;
        if (sy_timeline_events_json_set(ctx->db, ctx->a, j->chrono, j->n, ctx->user_id,
                                        ctx->device_id, bundle, &events, err) != SY_OK)
            return err->code;
        /* /messages continues just below the first timeline event (or where the walk stopped). */
        prev = j->n ? j->chrono[0].stream_ordering - 1 : j->limited ? j->page.next : j->upto;
        timeline = json_object_new_object();
        json_object_object_add(timeline, "events", events);
        json_object_object_add(timeline, "limited", json_object_new_boolean(j->limited));
        json_object_object_add(timeline, "prev_batch",
                               json_object_new_string(sy_timeline_token(ctx->a, prev)));
        json_object_object_add(room_object(run, j), "timeline", timeline);
    }
    return SY_OK;
}

/* ---- state ------------------------------------------------------------------------------ */

/* rooms/cache.c's current state of room_id, when it is the state of 'group'. */
static int
cached_state(struct sy_sync_ctx *ctx, const char *room_id, int64_t group,
             struct sy_db_state_row **rows, size_t *n)
{
    struct sy_room_state *st = sy_room_state_new(ctx->a, ctx->db, NULL);
    const char *type, *key, *id;
    size_t iter = 0, k = 0;

    if (!sy_room_cache_state(room_id, group, st))
        return 0;
    while (sy_room_state_next(st, &iter, &type, &key, &id))
        k++;
    *rows = sy_arena_alloc(ctx->a, sizeof(**rows) * (k + 1));
    iter = 0;
    *n = 0;
    while (sy_room_state_next(st, &iter, &type, &key, &id))
        (*rows)[(*n)++] = (struct sy_db_state_row){type, key, id};
    return 1;
}

/*
 * The full state of each group the timelines need: a group that is its
 * room's cached current state comes from memory, the others from one
 * query.  State groups never change, so either answer is exact.
 */
static int
resolve_groups(struct rooms_run *run, struct sy_error *err)
{
    struct sy_sync_ctx *ctx = run->ctx;
    size_t cap = 2 * run->n_jobs + 1, k = 0;
    int64_t *groups = sy_arena_alloc(ctx->a, sizeof(int64_t) * cap);
    struct sy_db_state_row ***rows = sy_arena_alloc(ctx->a, sizeof(*rows) * cap);
    size_t **n_rows = sy_arena_alloc(ctx->a, sizeof(*n_rows) * cap);
    struct sy_db_state_row **got = sy_arena_alloc(ctx->a, sizeof(*got) * cap);
    size_t *n_got = sy_arena_alloc(ctx->a, sizeof(size_t) * cap);

    for (size_t i = 0; i < run->n_jobs; i++) {
        struct room_job *j = &run->jobs[i];

        if (!j->timeline || j->empty)
            continue;
        if ((j->fresh || j->limited) && j->start_group != 0 &&
            !cached_state(ctx, j->m->room_id, j->start_group, &j->start, &j->n_start)) {
            groups[k] = j->start_group, rows[k] = &j->start, n_rows[k++] = &j->n_start;
        }
        if (!j->fresh && j->limited && j->since_group != 0) {
            groups[k] = j->since_group, rows[k] = &j->before, n_rows[k++] = &j->n_before;
        }
    }
    if (sy_db_batch_state_resolve(ctx->db, ctx->a, groups, k, got, n_got, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < k; i++) {
        *rows[i] = got[i];
        *n_rows[i] = n_got[i];
    }
    return SY_OK;
}

/*
 * The state events one room may send: its state at the timeline start
 * less what the client has ('before'), by type against the state filter;
 * with lazy loading, members only of the timeline's senders (and the
 * user), and on an incremental sync those senders' members even when
 * unchanged.
 */
static void
state_ids(struct rooms_run *run, struct room_job *j)
{
    struct sy_sync_ctx *ctx = run->ctx;
    struct sy_map *senders = sy_map_new(ctx->a, j->n + 2);
    const char **extra = j->lazy_ids;
    size_t n_extra = j->n_lazy;
    int lazy = run->state.lazy_load_members;

    j->known = sy_map_new(ctx->a, 16);
    j->in_tl = sy_map_new(ctx->a, j->n + 1);
    for (size_t i = 0; i < j->n; i++) {
        sy_map_set(j->in_tl, j->chrono[i].event_id, (void *)1);
        sy_map_set(senders, j->chrono[i].sender, (void *)1);
    }
    sy_map_set(senders, ctx->user_id, (void *)1);
    for (size_t i = 0; i < j->n_before; i++)
        sy_map_set(j->known, j->before[i].event_id, (void *)1);
    j->ids = sy_arena_alloc(ctx->a, sizeof(char *) * (j->n_start + n_extra + 1));
    j->n_ids = 0;
    for (size_t i = 0; i < j->n_start; i++) {
        const struct sy_db_state_row *s = &j->start[i];

        if (sy_map_get(j->known, s->event_id) != NULL)
            continue;
        if (lazy && strcmp(s->type, "m.room.member") == 0 &&
            sy_map_get(senders, s->state_key) == NULL)
            continue;
        if (!sy_filter_match(&run->state, s->type, NULL, j->m->room_id, 0))
            continue;
        sy_map_set(j->known, s->event_id, (void *)1);
        j->ids[j->n_ids++] = s->event_id;
    }
    for (size_t i = 0; i < n_extra; i++)
        if (sy_map_get(j->known, extra[i]) == NULL && sy_map_get(j->in_tl, extra[i]) == NULL) {
            sy_map_set(j->known, extra[i], (void *)2); /* 2: unchanged, maybe redundant */
            j->ids[j->n_ids++] = extra[i];
        }
}

/* One room's "state": its fetched events through the whole state filter, less the timeline's. */
static void
state_json(struct rooms_run *run, struct room_job *j)
{
    struct sy_sync_ctx *ctx = run->ctx;
    struct sy_db_event *events = j->events;
    size_t k = 0;
    int lazy = run->state.lazy_load_members;

    for (size_t i = 0; i < j->n_events; i++) {
        const struct sy_db_event *e = &events[i];

        if (!sy_timeline_match(ctx->a, &run->state, e) || sy_map_get(j->in_tl, e->event_id) != NULL)
            continue;
        if (lazy && !run->state.include_redundant_members &&
            sy_map_get(j->known, e->event_id) == (void *)2 &&
            sy_sync_lazy_was_sent(ctx->a, ctx->user_id, ctx->device_id, j->m->room_id, e->state_key,
                                  e->event_id))
            continue;
        events[k++] = *e;
    }
    if (lazy && !run->state.include_redundant_members) {
        sy_sync_lazy_remember(ctx->a, ctx->user_id, ctx->device_id, j->m->room_id, events, k);
        sy_sync_lazy_remember(ctx->a, ctx->user_id, ctx->device_id, j->m->room_id, j->chrono, j->n);
    }
    json_object_object_add(child(room_object(run, j), "state"), "events",
                           event_array(ctx, events, k));
}

/*
 * Lazy loading on an incremental sync: the member events of each
 * timeline's senders at its start, which the client may lack even when
 * unchanged (two queries for all rooms).
 */
static int
lazy_members(struct rooms_run *run, struct sy_error *err)
{
    struct sy_sync_ctx *ctx = run->ctx;
    struct sy_timeline_members *q = sy_arena_alloc(ctx->a, sizeof(*q) * (run->n_jobs + 1));
    struct room_job **of = sy_arena_alloc(ctx->a, sizeof(*of) * (run->n_jobs + 1));
    size_t k = 0;

    for (size_t i = 0; i < run->n_jobs; i++) {
        struct room_job *j = &run->jobs[i];

        if (!j->timeline || j->empty || j->fresh || j->n == 0)
            continue;
        q[k] =
            (struct sy_timeline_members){.group = j->start_group, .events = j->chrono, .n = j->n};
        of[k++] = j;
    }
    if (sy_timeline_member_ids_many(ctx->db, ctx->a, q, k, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < k; i++) {
        of[i]->lazy_ids = q[i].ids;
        of[i]->n_lazy = q[i].n_ids;
    }
    return SY_OK;
}

/* Every room's "state": the IDs per room, the events of all rooms in one query. */
static int
room_states(struct rooms_run *run, struct sy_error *err)
{
    struct sy_sync_ctx *ctx = run->ctx;
    struct sy_map *by_room = sy_map_new(ctx->a, run->n_jobs + 1);
    struct sy_db_event *events;
    const char **ids;
    size_t n_ids = 0, n_events, k = 0;

    if (run->state.lazy_load_members && lazy_members(run, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < run->n_jobs; i++) {
        struct room_job *j = &run->jobs[i];

        if (!j->timeline || j->empty)
            continue;
        state_ids(run, j);
        n_ids += j->n_ids;
        sy_map_set(by_room, j->m->room_id, j);
    }
    ids = sy_arena_alloc(ctx->a, sizeof(char *) * (n_ids + 1));
    for (size_t i = 0; i < run->n_jobs; i++)
        if (run->jobs[i].timeline && !run->jobs[i].empty)
            for (size_t e = 0; e < run->jobs[i].n_ids; e++)
                ids[k++] = run->jobs[i].ids[e];
    if (sy_db_batch_events_get(ctx->db, ctx->a, ids, n_ids, &events, &n_events, err) != SY_OK)
        return err->code;
    /* Ordered by room: each room's events are one run. */
    for (size_t i = 0; i < n_events; i++) {
        struct room_job *j = sy_map_get(by_room, events[i].room_id);

        if (j == NULL)
            continue;
        if (j->n_events == 0)
            j->events = &events[i];
        j->n_events++;
    }
    for (size_t i = 0; i < run->n_jobs; i++)
        if (run->jobs[i].timeline && !run->jobs[i].empty)
            state_json(run, &run->jobs[i]);
    return SY_OK;
}

/* ---- joined rooms: the other streams' parts, summaries, unread counts ------------------- */

/* ephemeral and account_data of every joined room (sync/room_extras.c), one query a part. */
static int
room_extras(struct rooms_run *run, struct sy_error *err)
{
    struct sy_sync_ctx *ctx = run->ctx;
    struct sy_sync_room_slot *slots = sy_arena_alloc(ctx->a, sizeof(*slots) * (run->n_jobs + 1));
    size_t *slot_job = sy_arena_alloc(ctx->a, sizeof(size_t) * (run->n_jobs + 1)), k = 0;

    for (size_t i = 0; i < run->n_jobs; i++) {
        struct room_job *j = &run->jobs[i];

        if (!j->joined)
            continue;
        slots[k] = (struct sy_sync_room_slot){j->m->room_id, j->fresh, j->room, 0};
        slot_job[k++] = i;
    }
    if (sy_sync_room_extras(ctx, slots, k, err) != SY_OK)
        return err->code;
    for (size_t s = 0; s < k; s++) {
        run->jobs[slot_job[s]].extra = slots[s].any;
        run->jobs[slot_job[s]].room = slots[s].room;
    }
    return SY_OK;
}

/* summary (member counts, heroes) and unread_notifications of the rooms sent, in two queries. */
static int
summaries(struct rooms_run *run, const char *const *rooms, struct json_object **objs, size_t n,
          struct sy_error *err)
{
    struct sy_sync_ctx *ctx = run->ctx;
    size_t cap = n + 1, *n_heroes = sy_arena_alloc(ctx->a, sizeof(size_t) * cap);
    int64_t *joined = sy_arena_alloc(ctx->a, sizeof(int64_t) * cap);
    int64_t *invited = sy_arena_alloc(ctx->a, sizeof(int64_t) * cap);
    int64_t *notes = sy_arena_alloc(ctx->a, sizeof(int64_t) * cap);
    int64_t *highlights = sy_arena_alloc(ctx->a, sizeof(int64_t) * cap);
    const char ***heroes = sy_arena_alloc(ctx->a, sizeof(*heroes) * cap);

    if (sy_db_batch_summaries(ctx->db, ctx->a, rooms, n, ctx->user_id, joined, invited, heroes,
                              n_heroes, err) != SY_OK ||
        sy_db_batch_push_unread(ctx->db, ctx->user_id, rooms, n, notes, highlights, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n; i++) {
        struct json_object *summary = json_object_new_object(), *h = json_object_new_array();
        struct json_object *un = json_object_new_object();

        json_object_object_add(objs[i], "summary", summary);
        for (size_t k = 0; k < n_heroes[i]; k++)
            json_object_array_add(h, json_object_new_string(heroes[i][k]));
        json_object_object_add(summary, "m.heroes", h);
        json_object_object_add(summary, "m.joined_member_count", json_object_new_int64(joined[i]));
        json_object_object_add(summary, "m.invited_member_count",
                               json_object_new_int64(invited[i]));
        /* unread_notifications: the push counts after the user's read receipt (push/counts.h). */
        json_object_object_add(un, "notification_count", json_object_new_int64(notes[i]));
        json_object_object_add(un, "highlight_count", json_object_new_int64(highlights[i]));
        json_object_object_add(objs[i], "unread_notifications", un);
    }
    return SY_OK;
}

/*
 * Settle rooms.join and rooms.leave, in membership order: a joined room
 * with nothing new in its timeline and nothing from the other streams
 * stays out; the joined rooms sent get their summary and unread counts.
 * Every left room placed is sent.
 */
static int
settle_rooms(struct rooms_run *run, struct json_object *join, struct json_object *leave, int *any,
             struct sy_error *err)
{
    struct sy_sync_ctx *ctx = run->ctx;
    const char **rooms = sy_arena_alloc(ctx->a, sizeof(char *) * (run->n_jobs + 1));
    struct json_object **objs = sy_arena_alloc(ctx->a, sizeof(*objs) * (run->n_jobs + 1));
    size_t k = 0;

    for (size_t i = 0; i < run->n_jobs; i++) {
        struct room_job *j = &run->jobs[i];

        if (j->joined && (!j->timeline || j->empty) && !j->extra)
            continue;
        /* The arena keeps its reference; the response takes one more. */
        json_object_object_add(j->joined ? join : leave, j->m->room_id,
                               json_object_get(room_object(run, j)));
        *any = 1;
        if (j->joined) {
            rooms[k] = j->m->room_id;
            objs[k++] = j->room;
        }
    }
    return summaries(run, rooms, objs, k, err);
}

/* ---- placing each membership -------------------------------------------------------------- */

static struct room_job *
new_job(struct rooms_run *run, const struct sy_db_membership *m)
{
    struct room_job *j = &run->jobs[run->n_jobs++];

    memset(j, 0, sizeof(*j));
    j->m = m;
    return j;
}

static int
joined_room(struct rooms_run *run, const struct sy_db_membership *m, struct sy_error *err)
{
    struct sy_sync_ctx *ctx = run->ctx;
    int64_t since = ctx->since.pos[SY_STREAM_EVENTS];
    int fresh = ctx->initial || ctx->full_state, was_joined = 1;
    struct room_job *j;

    /* A join after 'since' is fresh unless it only changed a profile. */
    if (!fresh && m->stream_ordering > since &&
        joined_at_since(ctx, m->room_id, &was_joined, err) != SY_OK)
        return err->code;
    j = new_job(run, m);
    j->joined = 1;
    j->fresh = fresh || !was_joined;
    j->timeline = j->fresh || run->changed == NULL || sy_map_get(run->changed, m->room_id) != NULL;
    j->from = since;
    j->upto = ctx->now.pos[SY_STREAM_EVENTS];
    j->vis_below = m->stream_ordering;
    return SY_OK;
}

/* 1 if the user forgot room_id (the forgotten rooms are read once per section). */
static int
forgotten(struct rooms_run *run, const char *room_id, struct sy_error *err)
{
    struct sy_sync_ctx *ctx = run->ctx;
    const char **rooms;
    size_t n;

    if (run->forgotten == NULL) {
        if (sy_db_batch_forgotten(ctx->db, ctx->a, ctx->user_id, &rooms, &n, err) != SY_OK)
            return err->code;
        run->forgotten = sy_map_new(ctx->a, n + 1);
        for (size_t i = 0; i < n; i++)
            sy_map_set(run->forgotten, rooms[i], (void *)1);
    }
    return sy_map_get(run->forgotten, room_id) != NULL;
}

/*
 * A leave or ban: the timeline up to and including it.  On an incremental
 * sync, when it happened since the last one; on an initial or full_state
 * sync, only with room.include_leave (and not for forgotten rooms).
 */
static int
left_room(struct rooms_run *run, const struct sy_db_membership *m, struct sy_error *err)
{
    struct sy_sync_ctx *ctx = run->ctx;
    int64_t since = ctx->since.pos[SY_STREAM_EVENTS];
    int was_joined = 0, gone;
    struct room_job *j;

    if (ctx->initial || ctx->full_state) {
        if (!sy_filter_include_leave(ctx->filter))
            return SY_OK;
        if ((gone = forgotten(run, m->room_id, err)) != 0)
            return gone < 0 ? gone : SY_OK;
    } else {
        if (m->stream_ordering <= since)
            return SY_OK;
        if (joined_at_since(ctx, m->room_id, &was_joined, err) != SY_OK)
            return err->code;
    }
    j = new_job(run, m);
    j->fresh = !was_joined;
    j->timeline = 1;
    j->from = since;
    j->upto = m->stream_ordering;
    return SY_OK;
}

/* Stripped state: type, state_key, sender and content of one stored event. */
static int
stripped_event(struct sy_sync_ctx *ctx, const struct sy_db_event *row, struct json_object **out,
               struct sy_error *err)
{
    static const char *const keep[] = {"type", "state_key", "sender", "content"};
    struct json_object *full;

    if (sy_json_parse(ctx->a, row->client_json, strlen(row->client_json), 64, &full, err) != SY_OK)
        return err->code;
    *out = json_object_new_object();
    for (size_t k = 0; k < 4; k++) {
        struct json_object *v = sy_json_get(full, keep[k]);

        if (v != NULL)
            json_object_object_add(*out, keep[k], json_object_get(v));
    }
    return SY_OK;
}

/*
 * rooms.invite and rooms.knock: stripped state (the listed types of the
 * current state and the invite or knock itself), once per invite or knock;
 * the events of all of them in two queries.
 */
static int
invited_rooms(struct sy_sync_ctx *ctx, const struct sy_db_membership *const *ms, size_t n,
              struct json_object *invite, struct json_object *knock, int *any, struct sy_error *err)
{
    size_t n_types = sizeof(stripped_types) / sizeof(stripped_types[0]), n_ids = 0, k = 0;
    const char **rooms = sy_arena_alloc(ctx->a, sizeof(char *) * (n + 1)), **ids, ***cur_ids;
    size_t *n_state = sy_arena_alloc(ctx->a, sizeof(size_t) * (n + 1)), n_rows;
    struct sy_map *objs = sy_map_new(ctx->a, n + 1);
    struct sy_db_event *rows;

    if (n == 0)
        return SY_OK;
    cur_ids = sy_arena_alloc(ctx->a, sizeof(*cur_ids) * (n + 1));
    for (size_t i = 0; i < n; i++)
        rooms[i] = ms[i]->room_id;
    if (sy_db_batch_current_state_types(ctx->db, ctx->a, rooms, n, stripped_types, n_types, cur_ids,
                                        n_state, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n; i++)
        n_ids += n_state[i] + 1;
    ids = sy_arena_alloc(ctx->a, sizeof(char *) * (n_ids + 1));
    for (size_t i = 0; i < n; i++) {
        int is_invite = strcmp(ms[i]->membership, "invite") == 0;
        struct json_object *room = json_object_new_object(), *events = json_object_new_array();

        for (size_t s = 0; s < n_state[i]; s++)
            ids[k++] = cur_ids[i][s];
        ids[k++] = ms[i]->event_id; /* the invite or knock itself */
        json_object_object_add(child(room, is_invite ? "invite_state" : "knock_state"), "events",
                               events);
        json_object_object_add(is_invite ? invite : knock, ms[i]->room_id, room);
        sy_map_set(objs, ms[i]->room_id, events);
        *any = 1;
    }
    if (sy_db_batch_events_get(ctx->db, ctx->a, ids, k, &rows, &n_rows, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n_rows; i++) {
        struct json_object *events = sy_map_get(objs, rows[i].room_id), *s = NULL;

        if (events == NULL)
            continue;
        if (stripped_event(ctx, &rows[i], &s, err) != SY_OK)
            return err->code;
        json_object_array_add(events, s);
    }
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
        sy_sync_lazy_forget(ctx->user_id, ctx->device_id);
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

/*
 * Place every membership: a job for each joined or left room the response
 * covers, the new invites and knocks aside.  ctx->joined_rooms is filled
 * here (before the room filter: other sections want every joined room).
 */
static int
place_rooms(struct rooms_run *run, struct sy_db_membership *ms, size_t n,
            const struct sy_db_membership ***invites, size_t *n_invites, struct sy_error *err)
{
    struct sy_sync_ctx *ctx = run->ctx;
    int skip;

    run->jobs = sy_arena_alloc(ctx->a, sizeof(*run->jobs) * (n + 1));
    *invites = sy_arena_alloc(ctx->a, sizeof(**invites) * (n + 1));
    *n_invites = 0;
    ctx->joined_rooms = sy_arena_alloc(ctx->a, sizeof(char *) * (n + 1));
    ctx->n_joined_rooms = 0;
    for (size_t i = 0; i < n; i++) {
        const struct sy_db_membership *m = &ms[i];

        if (membership_at_now(ctx, &ms[i], &skip, err) != SY_OK)
            return err->code;
        if (skip)
            continue;
        if (strcmp(m->membership, "join") == 0)
            ctx->joined_rooms[ctx->n_joined_rooms++] = m->room_id;
        if (!sy_filter_room_allowed(ctx->filter, m->room_id))
            continue;
        if (strcmp(m->membership, "join") == 0) {
            if (joined_room(run, m, err) != SY_OK)
                return err->code;
        } else if (strcmp(m->membership, "invite") == 0 || strcmp(m->membership, "knock") == 0) {
            if (ctx->initial || ctx->full_state ||
                m->stream_ordering > ctx->since.pos[SY_STREAM_EVENTS])
                (*invites)[(*n_invites)++] = m;
        } else if (left_room(run, m, err) != SY_OK) {
            return err->code;
        }
    }
    return SY_OK;
}

int
sy_sync_section_rooms(struct sy_sync_ctx *ctx, struct json_object *resp, int *any,
                      struct sy_error *err)
{
    struct json_object *rooms = json_object_new_object();
    struct json_object *join = json_object_new_object(), *invite = json_object_new_object();
    struct json_object *leave = json_object_new_object(), *knock = json_object_new_object();
    const struct sy_db_membership **invites;
    struct sy_db_membership *ms;
    struct rooms_run run;
    size_t n, n_invites;

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
    /* Each phase covers every room the response holds, with one query where it can. */
    if (place_rooms(&run, ms, n, &invites, &n_invites, err) != SY_OK ||
        walk_timelines(&run, err) != SY_OK || timeline_groups(&run, err) != SY_OK ||
        timeline_json(&run, err) != SY_OK || resolve_groups(&run, err) != SY_OK ||
        room_states(&run, err) != SY_OK || room_extras(&run, err) != SY_OK ||
        settle_rooms(&run, join, leave, any, err) != SY_OK ||
        invited_rooms(ctx, invites, n_invites, invite, knock, any, err) != SY_OK)
        return err->code;
    return SY_OK;
}
