/*
 * sync/ephemeral.c -- receipts and read markers; the ephemeral part of
 * rooms.join.<room_id> in /sync.
 */
#include <string.h>

#include "db/db.h"
#include "db/events.h"
#include "db/receipts.h"
#include "db/state.h"
#include "db/sync_batch.h"
#include "json/json.h"
#include "rooms/room.h"
#include "sync/account_data.h"
#include "sync/ephemeral.h"
#include "sync/live.h"
#include "push/counts.h"
#include "sync/notifier.h"
#include "sync/sections.h"
#include "sync/stream.h"
#include "sync/typing.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/time.h"

#define MAIN_TIMELINE "main"
/* How far a receipt's event may be from its thread through other relations (spec: 3 hops). */
#define THREAD_HOPS 3
#define EVENT_DEPTH 128

int
sy_receipt_type_valid(const char *type)
{
    return strcmp(type, "m.read") == 0 || strcmp(type, "m.read.private") == 0 ||
           strcmp(type, "m.fully_read") == 0;
}

/* content.m.relates_to of an event's client JSON: *rel_type and *target, NULL when none. */
static void
relation_of(struct sy_arena *a, const char *client_json, const char **rel_type,
            const char **target)
{
    struct json_object *ev, *rel;
    struct sy_error ignored = {0};

    *rel_type = *target = NULL;
    if (sy_json_parse(a, client_json, strlen(client_json), EVENT_DEPTH, &ev, &ignored) != SY_OK)
        return;
    rel = sy_json_get_obj(sy_json_get_obj(ev, "content"), "m.relates_to");
    if (rel == NULL)
        return;
    *rel_type = sy_json_get_str(rel, "rel_type");
    *target = sy_json_get_str(rel, "event_id");
}

/*
 * Does the receipt's thread_id fit its event (Synapse's check)?  An event
 * is in thread T when it has an m.thread relation to T, is T's root, or
 * reaches such an event through other relations; otherwise it is in the
 * main timeline (thread roots are too).
 */
static int
event_in_thread(struct sy_db *db, struct sy_arena *a, const struct sy_room_event *ev,
                const char *thread_id, struct sy_error *err)
{
    const char *id = ev->event_id, *json = ev->client_json;

    for (int hop = 0; hop <= THREAD_HOPS; hop++) {
        const char *rel_type, *target;
        struct sy_db_event row;

        if (strcmp(thread_id, MAIN_TIMELINE) != 0 && strcmp(id, thread_id) == 0)
            return 1;
        relation_of(a, json, &rel_type, &target);
        if (rel_type != NULL && target != NULL && strcmp(rel_type, "m.thread") == 0)
            return strcmp(thread_id, target) == 0;
        if (target == NULL || hop == THREAD_HOPS)
            break;
        if (sy_db_event_get(db, a, target, &row, err) != SY_OK) {
            if (err->code != SY_ENOTFOUND)
                return err->code;
            break;
        }
        if (strcmp(row.room_id, ev->room_id) != 0)
            break;
        id = row.event_id, json = row.client_json;
    }
    return strcmp(thread_id, MAIN_TIMELINE) == 0;
}

/* Check one receipt; *ev is its event. */
static int
check_receipt(struct sy_db *db, struct sy_arena *a, const char *user_id, const char *room_id,
              const struct sy_receipt_req *r, struct sy_room_event *ev, struct sy_error *err)
{
    int in;

    if (!sy_receipt_type_valid(r->type))
        return sy_err_invalid(err, "M_INVALID_PARAM",
                              "receipt type must be m.read, m.read.private or m.fully_read");
    if (r->thread_id != NULL && r->thread_id[0] == '\0')
        return sy_err_invalid(err, "M_INVALID_PARAM", "thread_id must be a non-empty string");
    if (r->thread_id != NULL && strcmp(r->type, "m.fully_read") == 0)
        return sy_err_invalid(err, "M_INVALID_PARAM",
                              "thread_id is not compatible with m.fully_read");
    if (r->event_id == NULL || r->event_id[0] != '$')
        return sy_err_invalid(err, "M_INVALID_PARAM", "a valid event ID must be given");
    if (sy_room_event_get(db, a, room_id, r->event_id, user_id, ev, err) != SY_OK)
        return err->code;
    if (r->thread_id != NULL) {
        if ((in = event_in_thread(db, a, ev, r->thread_id, err)) < 0)
            return in;
        if (!in)
            return sy_err_invalid(err, "M_INVALID_PARAM", "event %s is not in thread %s",
                                  r->event_id, r->thread_id);
    }
    return SY_OK;
}

int
sy_receipts_post(struct sy_db *db, struct sy_arena *a, const char *user_id,
                 const char *room_id, const struct sy_receipt_req *r, size_t n,
                 struct sy_error *err)
{
    struct sy_room_event *evs = sy_arena_alloc(a, sizeof(*evs) * (n ? n : 1));
    const char *membership;
    int64_t pos = 0, now = sy_now_ms();
    int public_changed = 0, own_changed = 0, read_moved = 0;

    if (sy_room_membership(db, a, room_id, user_id, &membership, err) != SY_OK)
        return err->code;
    if (membership == NULL || strcmp(membership, "join") != 0)
        return sy_err_forbidden(err, "you are not joined to this room");
    for (size_t i = 0; i < n; i++)
        if (check_receipt(db, a, user_id, room_id, &r[i], &evs[i], err) != SY_OK)
            return err->code;
    if (sy_db_begin(db, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n; i++) {
        int changed;

        if (strcmp(r[i].type, "m.fully_read") == 0) {
            if (sy_account_data_fully_read_in_tx(db, a, user_id, room_id, r[i].event_id,
                                                 evs[i].stream_ordering, &changed, err) != SY_OK)
                goto fail;
            own_changed |= changed;
            continue;
        }
        if (pos == 0 && sy_db_stream_advance(db, SY_STREAM_RECEIPTS, &pos, err) != SY_OK)
            goto fail;
        struct sy_db_receipt row = {
            .room_id = room_id,
            .receipt_type = r[i].type,
            .user_id = user_id,
            .thread_id = r[i].thread_id ? r[i].thread_id : "",
            .event_id = r[i].event_id,
            .ts = now,
            .stream_pos = pos,
        };
        if (sy_db_receipt_put(db, &row, &changed, err) != SY_OK)
            goto fail;
        /* Reading up to an event clears the unread counts up to it (threads aside). */
        if (changed && (row.thread_id[0] == '\0' || strcmp(row.thread_id, "main") == 0)) {
            if (sy_push_mark_read(db, user_id, room_id, evs[i].stream_ordering, err) != SY_OK)
                goto fail;
            read_moved = 1;
        }
        if (strcmp(r[i].type, "m.read") == 0)
            public_changed |= changed;
        else
            own_changed |= changed;
    }
    if (!public_changed && !own_changed) {
        sy_db_rollback(db); /* nothing moved forward: keep the stream positions quiet */
        return SY_OK;
    }
    if (sy_db_commit(db, err) != SY_OK)
        goto fail;
    if (read_moved)
        sy_live_read_moved(user_id, room_id); /* its unread counts in memory are stale */
    if (public_changed)
        sy_notify_room(room_id);
    if (own_changed)
        sy_notify_user(user_id);
    return SY_OK;
fail:
    sy_db_rollback(db);
    return err->code;
}

/* ---- /sync ------------------------------------------------------------------------------ */

/* The m.receipt event of rows user_id may see, or NULL when there are none. */
static struct json_object *
receipt_event(const struct sy_sync_ctx *ctx, const struct sy_db_receipt *rows, size_t n)
{
    struct json_object *content = NULL, *ev;

    for (size_t i = 0; i < n; i++) {
        struct json_object *by_event, *by_type, *data;

        /* The spec: m.read.private goes to nobody but its owner. */
        if (strcmp(rows[i].receipt_type, "m.read") != 0 &&
            strcmp(rows[i].user_id, ctx->user_id) != 0)
            continue;
        if (content == NULL)
            content = json_object_new_object();
        if (!json_object_object_get_ex(content, rows[i].event_id, &by_event)) {
            by_event = json_object_new_object();
            json_object_object_add(content, rows[i].event_id, by_event);
        }
        if (!json_object_object_get_ex(by_event, rows[i].receipt_type, &by_type)) {
            by_type = json_object_new_object();
            json_object_object_add(by_event, rows[i].receipt_type, by_type);
        }
        data = json_object_new_object();
        json_object_object_add(data, "ts", json_object_new_int64(rows[i].ts));
        if (rows[i].thread_id[0] != '\0')
            json_object_object_add(data, "thread_id", json_object_new_string(rows[i].thread_id));
        /* A user's threaded and unthreaded receipts on one event: the later row wins. */
        json_object_object_add(by_type, rows[i].user_id, data);
    }
    if (content == NULL)
        return NULL;
    ev = json_object_new_object();
    json_object_object_add(ev, "type", json_object_new_string("m.receipt"));
    json_object_object_add(ev, "content", content);
    return ev;
}

/* One room's ephemeral events: typing (from memory) and the receipts read for it. */
static void
room_ephemeral(struct sy_sync_ctx *ctx, struct sy_sync_room_slot *slot,
               struct json_object *receipts)
{
    struct json_object *events, *typing, *wrap;

    typing =
        sy_typing_event(ctx->a, slot->room_id, slot->fresh ? 0 : ctx->since.pos[SY_STREAM_TYPING]);
    if (typing == NULL && receipts == NULL)
        return;
    events = json_object_new_array();
    if (typing != NULL)
        json_object_array_add(events, json_object_get(typing)); /* its root belongs to the arena */
    if (receipts != NULL)
        json_object_array_add(events, receipts);
    wrap = json_object_new_object();
    json_object_object_add(wrap, "events", events);
    json_object_object_add(sy_sync_room_slot_object(ctx, slot), "ephemeral", wrap);
}

int
sy_sync_room_ephemeral(struct sy_sync_ctx *ctx, struct sy_sync_room_slot *rooms, size_t n,
                       struct sy_error *err)
{
    const char **ids = sy_arena_alloc(ctx->a, sizeof(char *) * (n + 1));
    int64_t *from = sy_arena_alloc(ctx->a, sizeof(int64_t) * (n + 1));
    size_t *slot = sy_arena_alloc(ctx->a, sizeof(size_t) * (n + 1));
    struct sy_db_receipt **rows = sy_arena_alloc(ctx->a, sizeof(*rows) * (n + 1));
    size_t *n_rows = sy_arena_alloc(ctx->a, sizeof(size_t) * (n + 1)), k = 0;
    int moved = ctx->since.pos[SY_STREAM_RECEIPTS] < ctx->now.pos[SY_STREAM_RECEIPTS];

    /* No receipt anywhere since the last sync: no query for the rooms the client has. */
    for (size_t i = 0; i < n; i++)
        if (rooms[i].fresh || moved) {
            ids[k] = rooms[i].room_id;
            from[k] = rooms[i].fresh ? 0 : ctx->since.pos[SY_STREAM_RECEIPTS];
            slot[k++] = i;
        }
    if (sy_db_batch_receipts(ctx->db, ctx->a, ids, from, k, ctx->now.pos[SY_STREAM_RECEIPTS], rows,
                             n_rows, err) != SY_OK)
        return err->code;
    for (size_t i = 0, j = 0; i < n; i++) {
        struct json_object *receipts = NULL;

        if (j < k && slot[j] == i) {
            receipts = receipt_event(ctx, rows[j], n_rows[j]);
            j++;
        }
        room_ephemeral(ctx, &rooms[i], receipts);
    }
    return SY_OK;
}
