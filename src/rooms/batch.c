/*
 * rooms/batch.c -- write a batch of queued sends in one transaction.
 *
 * Sends that arrive together commit together: one BEGIN/COMMIT (one WAL
 * flush) for the batch, the rooms locked and their extremities read with
 * one statement each, transaction IDs looked up with one, stream
 * positions taken with one.  Plain messages (no state, no redaction, no
 * relation: nothing to read back) are collected and inserted with one
 * statement per table at the end, sent with the COMMIT in one round
 * trip (db/db.h write pipeline); any other event first writes what is
 * pending and then goes the ordinary persist path, so it reads what the
 * events before it wrote.
 *
 * Stream positions are taken as late as they can be: the stream head's
 * row stays locked until COMMIT, and another writer's batch (rooms/writer.c
 * runs two) waits for it.  Plain messages are built, signed and authorised
 * first and given their positions when the first position is needed: by
 * an event of another kind, or at the end.  So one writer builds its batch
 * while the other's commits.  A job that fails its own checks (auth rules,
 * relation or redaction rules) gets its error and writes nothing; the
 * others go on.  A database error fails the batch as a whole.
 */
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/events.h"
#include "db/rooms.h"
#include "db/streams.h"
#include "json/json.h"
#include "push/counts.h"
#include "rooms/batch.h"
#include "rooms/cache.h"
#include "rooms/event.h"
#include "rooms/persist.h"
#include "rooms/redact.h"
#include "rooms/relations.h"
#include "rooms/room_writer.h"
#include "sync/live.h"
#include "sync/stream.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/time.h"

struct batch {
    struct sy_db *db;
    struct sy_arena *a;
    const struct sy_node *node;
    struct sy_event_cache *events; /* the writer thread's parsed state events, or NULL */
    struct sy_send_job **jobs;
    size_t n;
    const char **rooms; /* distinct, strcmp order */
    size_t n_rooms;
    struct sy_room_writer **writers; /* per room; NULL until its first job */
    struct sy_db_room *rows;        /* the locked rooms, NULL room_id: unknown */
    struct sy_db_extremities *ext;
    const char **found;             /* per job: the event its transaction ID already made */
    const struct sy_event **written; /* per job: the event it wrote */
    struct sy_room_writer **writer_of; /* per job: its room's writer */
    int positioned;                 /* stream positions taken */
    size_t *deferred, n_deferred;   /* plain jobs built before that, waiting for positions */
    int64_t next_pos, last_pos;
    struct sy_persist_batch pending;
    struct sy_live_list live; /* what was written, in stream order */
};

static int
cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static void
collect_rooms(struct batch *b)
{
    b->rooms = sy_arena_alloc(b->a, sizeof(char *) * (b->n + 1));
    for (size_t i = 0; i < b->n; i++)
        b->rooms[i] = b->jobs[i]->s.room_id;
    qsort(b->rooms, b->n, sizeof(char *), cmp_str);
    b->n_rooms = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->n_rooms == 0 || strcmp(b->rooms[b->n_rooms - 1], b->rooms[i]) != 0)
            b->rooms[b->n_rooms++] = b->rooms[i];
}

static size_t
room_index(const struct batch *b, const char *room_id)
{
    const char **hit = bsearch(&room_id, b->rooms, b->n_rooms, sizeof(char *), cmp_str);

    return (size_t)(hit - b->rooms);
}

/* Lock every room of the batch, read their extremities and the jobs' transaction IDs. */
static int
load(struct batch *b, struct sy_error *err)
{
    struct sy_db_room *rows;
    struct sy_db_txn *txns = sy_arena_alloc(b->a, sizeof(*txns) * b->n);
    size_t n_rows;

    collect_rooms(b);
    b->writers = sy_arena_alloc(b->a, sizeof(*b->writers) * b->n_rooms);
    b->rows = sy_arena_alloc(b->a, sizeof(*b->rows) * b->n_rooms);
    b->ext = sy_arena_alloc(b->a, sizeof(*b->ext) * b->n_rooms);
    memset(b->writers, 0, sizeof(*b->writers) * b->n_rooms);
    memset(b->rows, 0, sizeof(*b->rows) * b->n_rooms);
    if (sy_db_rooms_lock_many(b->db, b->a, b->rooms, b->n_rooms, &rows, &n_rows, err) != SY_OK ||
        sy_db_extremities_many(b->db, b->a, b->rooms, b->n_rooms, b->ext, err) != SY_OK)
        return err->code;
    for (size_t r = 0; r < n_rows; r++)
        b->rows[room_index(b, rows[r].room_id)] = rows[r];
    for (size_t i = 0; i < b->n; i++) {
        const struct sy_room_send *s = &b->jobs[i]->s;

        txns[i] = (struct sy_db_txn){s->sender, s->txn_device_id, s->room_id,
                                     sy_room_send_txn_kind(s), s->txn_id};
    }
    b->found = sy_arena_alloc(b->a, sizeof(char *) * b->n);
    b->written = sy_arena_alloc(b->a, sizeof(*b->written) * b->n);
    b->writer_of = sy_arena_alloc(b->a, sizeof(*b->writer_of) * b->n);
    b->deferred = sy_arena_alloc(b->a, sizeof(*b->deferred) * b->n);
    return sy_db_events_by_txn_many(b->db, b->a, txns, b->n, b->found, err);
}

/* Positions for every job: the stream head stays locked until commit. */
static int
take_positions(struct batch *b, struct sy_error *err)
{
    int64_t last;

    if (sy_db_stream_head_advance_by(b->db, sy_stream_name(SY_STREAM_EVENTS), (int64_t)b->n,
                                     &last, err) != SY_OK)
        return err->code;
    b->next_pos = last - (int64_t)b->n + 1;
    b->last_pos = last;
    b->positioned = 1;
    return SY_OK;
}

/* A database error ends the batch; anything else is the job's own answer. */
static int
job_error(struct sy_send_job *j, struct sy_error *e, struct sy_error *fatal)
{
    if (e->code == SY_EDB) {
        *fatal = *e;
        return e->code;
    }
    j->rc = e->code;
    j->err = *e;
    return SY_OK;
}

static void
job_answer(struct sy_send_job *j, const char *event_id)
{
    j->rc = SY_OK;
    j->event_id = sy_arena_strdup(j->a, event_id);
}

static int
writer_for(struct batch *b, const char *room_id, struct sy_room_writer **out, struct sy_error *e)
{
    size_t r = room_index(b, room_id);
    struct sy_room_writer *w = b->writers[r];

    *out = w;
    if (w != NULL)
        return SY_OK;
    if (b->rows[r].room_id == NULL)
        return sy_err_notfound(e, "unknown room");
    w = sy_arena_alloc(b->a, sizeof(*w));
    memset(w, 0, sizeof(*w));
    w->db = b->db;
    w->a = b->a;
    w->node = b->node;
    w->live = &b->live;
    w->events = b->events;
    if (sy_room_writer_open(w, &b->rows[r], &b->ext[r], e) != SY_OK)
        return e->code;
    *out = b->writers[r] = w;
    return SY_OK;
}

/* The same transaction ID earlier in this batch answers with that job's event. */
static const char *
earlier_txn(const struct batch *b, size_t i)
{
    const struct sy_room_send *s = &b->jobs[i]->s;

    if (s->txn_id == NULL || s->txn_device_id == NULL)
        return NULL;
    for (size_t k = 0; k < i; k++) {
        const struct sy_room_send *o = &b->jobs[k]->s;

        if (b->jobs[k]->event_id != NULL && o->txn_id != NULL && o->txn_device_id != NULL &&
            strcmp(o->txn_id, s->txn_id) == 0 && strcmp(o->sender, s->sender) == 0 &&
            strcmp(o->txn_device_id, s->txn_device_id) == 0 &&
            strcmp(o->room_id, s->room_id) == 0 &&
            strcmp(sy_room_send_txn_kind(o), sy_room_send_txn_kind(s)) == 0)
            return b->jobs[k]->event_id;
    }
    return NULL;
}

/* Nothing to read back and nothing but rows to write. */
static int
is_plain(const struct sy_room_send *s)
{
    return s->state_key == NULL && s->redacts == NULL &&
           strcmp(s->type, "m.room.redaction") != 0 &&
           (s->content == NULL || sy_json_get(s->content, "m.relates_to") == NULL);
}

/* A built plain job's rows, at the next position, into the pending batch. */
static int
add_plain(struct batch *b, size_t i, struct sy_error *fatal)
{
    struct sy_room_writer *w = b->writer_of[i];
    const struct sy_event *ev = b->written[i];
    struct sy_persist p;

    if (w->push == NULL &&
        sy_push_room_load(b->db, b->a, ev, w->state, w->state_group, &w->push, fatal) != SY_OK)
        return fatal->code;
    sy_room_writer_persist_init(w, &b->jobs[i]->s, ev, b->next_pos++, &p);
    /* Later events of the room already follow this one: its failure fails the batch. */
    if (sy_persist_batch_add(&b->pending, b->a, &p, w->push, fatal) != SY_OK)
        return fatal->code;
    sy_live_list_add(b->a, &b->live, &p.live);
    return SY_OK;
}

/* Take the positions if not yet taken, and give them to the plain jobs built before. */
static int
ensure_positions(struct batch *b, struct sy_error *fatal)
{
    if (b->positioned)
        return SY_OK;
    if (take_positions(b, fatal) != SY_OK)
        return fatal->code;
    for (size_t k = 0; k < b->n_deferred; k++)
        if (add_plain(b, b->deferred[k], fatal) != SY_OK)
            return fatal->code;
    b->n_deferred = 0;
    return SY_OK;
}

static int
write_plain(struct batch *b, struct sy_room_writer *w, size_t i, struct sy_error *fatal)
{
    struct sy_send_job *j = b->jobs[i];
    struct sy_error e = {0};
    struct sy_event *ev;

    if (sy_room_writer_prepare(w, &j->s, sy_now_ms(), &ev, &e) != SY_OK)
        return job_error(j, &e, fatal);
    sy_room_writer_advance(w, ev);
    b->written[i] = ev;
    b->writer_of[i] = w;
    job_answer(j, ev->event_id);
    if (!b->positioned) {
        b->deferred[b->n_deferred++] = i;
        return SY_OK;
    }
    return add_plain(b, i, fatal);
}

/* State, redactions, relations: write what is pending, check, then the ordinary path. */
static int
write_other(struct batch *b, struct sy_room_writer *w, size_t i, struct sy_error *fatal)
{
    struct sy_send_job *j = b->jobs[i];
    const struct sy_room_send *s = &j->s;
    struct sy_error e = {0};
    struct sy_event *ev;

    if (ensure_positions(b, fatal) != SY_OK ||
        sy_persist_batch_flush(b->db, b->a, &b->pending, fatal) != SY_OK)
        return fatal->code;
    if (s->state_key == NULL && s->content != NULL &&
        sy_relations_check_send(b->db, b->a, w->room_id, s->content, &e) != SY_OK)
        return job_error(j, &e, fatal);
    /* Checked under the room lock, against the state the redaction is authorised by. */
    if (s->redacts != NULL && sy_room_redaction_check_state(b->db, b->a, w->state, w->room_id,
                                                            s->sender, s->redacts, &e) != SY_OK)
        return job_error(j, &e, fatal);
    if (sy_room_writer_prepare(w, s, sy_now_ms(), &ev, &e) != SY_OK)
        return job_error(j, &e, fatal);
    if (sy_room_writer_persist(w, s, ev, b->next_pos++, fatal) != SY_OK)
        return fatal->code;
    if (s->state_key != NULL)
        w->push = NULL; /* members, levels or rules may have changed */
    b->written[i] = ev;
    job_answer(j, ev->event_id);
    return SY_OK;
}

static int
run_job(struct batch *b, size_t i, struct sy_error *fatal)
{
    struct sy_send_job *j = b->jobs[i];
    struct sy_room_writer *w;
    struct sy_error e = {0};
    const char *same;

    if (writer_for(b, j->s.room_id, &w, &e) != SY_OK)
        return job_error(j, &e, fatal);
    /* A retried transaction ID answers with the event it already made. */
    if ((same = b->found[i]) != NULL || (same = earlier_txn(b, i)) != NULL ||
        (same = sy_room_send_unchanged(w, &j->s)) != NULL) {
        job_answer(j, same);
        return SY_OK;
    }
    return is_plain(&j->s) ? write_plain(b, w, i, fatal) : write_other(b, w, i, fatal);
}

/* Every room written to ends with its newest event as the one forward extremity. */
static int
finish(struct batch *b, struct sy_error *err)
{
    const char **rooms = sy_arena_alloc(b->a, sizeof(char *) * (b->n_rooms + 1));
    const char **last = sy_arena_alloc(b->a, sizeof(char *) * (b->n_rooms + 1));
    int64_t *depths = sy_arena_alloc(b->a, sizeof(int64_t) * (b->n_rooms + 1));
    size_t n = 0;

    if (sy_persist_batch_flush(b->db, b->a, &b->pending, err) != SY_OK)
        return err->code;
    for (size_t r = 0; r < b->n_rooms; r++) {
        const struct sy_room_writer *w = b->writers[r];

        if (w == NULL || w->wrote == 0)
            continue;
        rooms[n] = w->room_id;
        depths[n] = w->depth - 1;
        last[n++] = w->prev[0];
    }
    return n > 0 ? sy_db_extremities_replace(b->db, rooms, last, depths, n, err) : SY_OK;
}

static void
after_commit(struct batch *b)
{
    for (size_t r = 0; r < b->n_rooms; r++) {
        const struct sy_room_writer *w = b->writers[r];

        if (w != NULL && w->wrote > 0 && w->state_group != w->loaded_group)
            sy_room_cache_put_state(w->room_id, w->state_group, w->state);
    }
    /* Wakes the rooms' long-polls, and a member event's target's even outside the room. */
    sy_live_events_committed(b->live.v, b->live.n);
    /* Positions taken for jobs that wrote nothing (refused, repeated, unchanged). */
    if (b->next_pos <= b->last_pos)
        sy_live_positions_unused(b->next_pos, b->last_pos);
}

int
sy_room_batch_write(struct sy_db *db, const struct sy_node *node, struct sy_event_cache *events,
                    struct sy_send_job **jobs, size_t n, struct sy_error *err)
{
    struct batch b = {.db = db, .a = sy_arena_new(), .node = node, .events = events, .jobs = jobs,
                      .n = n};
    int rc = SY_OK;

    for (size_t i = 0; i < n; i++) {
        jobs[i]->rc = SY_OK;
        jobs[i]->event_id = NULL;
    }
    if (sy_db_begin(db, err) != SY_OK) {
        sy_arena_free(b.a);
        return err->code;
    }
    b.next_pos = 1; /* none taken yet: next > last */
    if (load(&b, err) != SY_OK)
        rc = err->code;
    for (size_t i = 0; rc == SY_OK && i < n; i++)
        rc = run_job(&b, i, err);
    /* Before the pipeline, which cannot read; a batch that wrote nothing takes no positions. */
    if (rc == SY_OK && b.n_deferred > 0 && ensure_positions(&b, err) != SY_OK)
        rc = err->code;
    /* The rows, the extremities and COMMIT go in one round trip. */
    if (rc == SY_OK && (sy_db_pipeline_start(db, err) != SY_OK || finish(&b, err) != SY_OK ||
                        sy_db_pipeline_commit(db, err) != SY_OK))
        rc = err->code;
    if (rc != SY_OK)
        sy_db_rollback(db);
    else
        after_commit(&b);
    sy_arena_free(b.a);
    return rc;
}
