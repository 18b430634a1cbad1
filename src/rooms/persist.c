/*
 * rooms/persist.c -- write one accepted event and everything that follows
 * from it, in the caller's transaction.
 */
#include <string.h>

#include "db/db.h"
#include "db/events.h"
#include "db/rooms.h"
#include "db/state.h"
#include "json/json.h"
#include "db/push.h"
#include "push/counts.h"
#include "rooms/auth.h"
#include "rooms/event.h"
#include "rooms/format.h"
#include "rooms/persist.h"
#include "rooms/relations.h"
#include "rooms/state.h"
#include "sync/stream.h"
#include "util/arena.h"
#include "util/err.h"

static const char *
membership_of(const struct sy_event *ev)
{
    if (ev->state_key == NULL || strcmp(ev->type, "m.room.member") != 0)
        return NULL;
    return sy_json_get_str(ev->content, "membership");
}

/* State events: a new state group, the current-state row, the room's pointer. */
static int
advance_state(struct sy_db *db, struct sy_persist *p, int64_t *after, struct sy_error *err)
{
    const struct sy_event *ev = p->ev;

    *after = p->state_group;
    if (ev->state_key == NULL)
        return SY_OK;
    sy_room_state_put(p->state, ev->type, ev->state_key, ev->event_id, ev);
    if (sy_room_state_write_group(db, ev->room_id, p->state_group, p->state, ev->type,
                                  ev->state_key, ev->event_id, after, err) != SY_OK ||
        sy_db_current_state_set(db, ev->room_id, ev->type, ev->state_key, ev->event_id,
                                membership_of(ev), err) != SY_OK ||
        sy_db_room_set_state_group(db, ev->room_id, *after, err) != SY_OK)
        return err->code;
    return SY_OK;
}

/* A redaction that applies rewrites the target's client JSON to its redacted form. */
static int
apply_redaction(struct sy_db *db, struct sy_arena *a, struct sy_persist *p, struct sy_error *err)
{
    const struct sy_event *red = p->ev, *target;
    struct sy_auth_state as = sy_room_state_auth(p->state);
    const char *text;

    target = sy_room_state_load_event(p->state, red->redacts);
    /* An unknown target is fine: the redaction is kept and applies if the event turns up. */
    if (target == NULL || strcmp(target->room_id, red->room_id) != 0)
        return SY_OK;
    if (!sy_auth_redaction_applies(red, target, &as))
        return SY_OK;
    if (sy_format_client_json(a, target, 1, &text, err) != SY_OK)
        return err->code;
    return sy_db_event_set_redacted(db, target->event_id, red->event_id, text, err);
}

/* The events row of p->ev (state columns aside). */
static int
fill_row(struct sy_arena *a, const struct sy_persist *p, struct sy_db_event *row,
         struct sy_error *err)
{
    const struct sy_event *ev = p->ev;
    size_t len;

    row->event_id = ev->event_id;
    row->room_id = ev->room_id;
    row->type = ev->type;
    row->state_key = ev->state_key;
    row->sender = ev->sender;
    row->membership = membership_of(ev);
    row->depth = ev->depth;
    row->origin_server_ts = ev->origin_server_ts;
    row->redacts = ev->redacts;
    row->txn_user = p->txn_user;
    row->txn_device = p->txn_device;
    row->txn_kind = p->txn_kind;
    row->txn_id = p->txn_id;
    row->search_text = sy_format_search_text(ev);
    if (sy_event_canonical(a, ev, &row->pdu_json, &len, err) != SY_OK ||
        sy_format_client_json(a, ev, 0, &row->client_json, err) != SY_OK)
        return err->code;
    return SY_OK;
}

/* What sync/live.h records of the event once committed (push outcomes set apart). */
static void
live_fill(struct sy_persist *p, const struct sy_db_event *row)
{
    const struct sy_event *ev = p->ev;

    p->live.stream = row->stream_ordering;
    p->live.room_id = ev->room_id;
    p->live.event_id = ev->event_id;
    p->live.type = ev->type;
    p->live.state_key = ev->state_key;
    p->live.sender = ev->sender;
    p->live.origin_server_ts = ev->origin_server_ts;
    p->live.client_json = row->client_json;
    p->live.redacts = ev->redacts;
    p->live.relates_to = sy_json_get_str(sy_json_get_obj(ev->content, "m.relates_to"), "event_id");
    p->live.txn_user = p->txn_user;
    p->live.txn_device = p->txn_device;
    p->live.txn_id = p->txn_id;
}

int
sy_room_persist(struct sy_db *db, struct sy_arena *a, struct sy_persist *p, int64_t *stream,
                struct sy_error *err)
{
    const struct sy_event *ev = p->ev;
    struct sy_db_event row = {0};

    row.state_before = p->state_group;
    if (advance_state(db, p, &row.state_after, err) != SY_OK)
        return err->code;
    p->state_group = row.state_after;
    if (fill_row(a, p, &row, err) != SY_OK)
        return err->code;
    row.stream_ordering = p->stream;
    if (sy_db_events_insert(db, &row, 1, err) != SY_OK ||
        sy_relations_persist(db, ev, row.stream_ordering, err) != SY_OK ||
        sy_push_on_event(db, a, ev, p->state, p->state_group, row.stream_ordering, &p->live,
                         err) != SY_OK ||
        sy_db_extremities_advance(db, ev->room_id, ev->event_id, ev->depth,
                                  ev->prev_events, ev->n_prev_events, err) != SY_OK)
        return err->code;
    if (ev->redacts != NULL && strcmp(ev->type, "m.room.redaction") == 0 &&
        apply_redaction(db, a, p, err) != SY_OK)
        return err->code;
    *stream = row.stream_ordering;
    live_fill(p, &row);
    return SY_OK;
}

int
sy_persist_batch_add(struct sy_persist_batch *b, struct sy_arena *a, struct sy_persist *p,
                     struct sy_push_room *push, struct sy_error *err)
{
    const struct sy_event *ev = p->ev;
    struct sy_db_event *w;
    size_t pushed = b->push.n;

    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        struct sy_db_event *bigger = sy_arena_alloc(a, sizeof(*bigger) * cap);

        if (b->n > 0)
            memcpy(bigger, b->rows, sizeof(*bigger) * b->n);
        b->rows = bigger, b->cap = cap;
    }
    w = &b->rows[b->n];
    memset(w, 0, sizeof(*w));
    if (fill_row(a, p, w, err) != SY_OK)
        return err->code;
    w->stream_ordering = p->stream;
    w->state_before = w->state_after = p->state_group;
    b->n++;
    sy_push_room_eval(push, a, ev, p->state, p->stream, &b->push);
    live_fill(p, w);
    p->live.push = sy_push_rows_live(a, &b->push, pushed, &p->live.n_push);
    return SY_OK;
}

void
sy_persist_batch_encode(struct sy_persist_batch *b, struct sy_arena *a,
                        struct sy_db_call out[SY_PERSIST_BATCH_CALLS])
{
    sy_db_events_insert_call(a, b->rows, b->n, &out[0]);
    sy_db_push_actions_insert_calls(a, b->push.v, b->push.n, &out[1], &out[2]);
    b->n = 0;
    b->push.n = 0;
}

int
sy_persist_batch_flush(struct sy_db *db, struct sy_arena *a, struct sy_persist_batch *b,
                       struct sy_error *err)
{
    struct sy_db_call calls[SY_PERSIST_BATCH_CALLS];

    sy_persist_batch_encode(b, a, calls);
    for (size_t i = 0; i < SY_PERSIST_BATCH_CALLS; i++)
        if (sy_db_send(db, &calls[i], err) != SY_OK)
            return err->code;
    return SY_OK;
}
