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
 * Stream positions come from memory (sync/positions.h), taken when the
 * batch starts: no batch waits for another's commit to get its positions,
 * so batches in different rooms commit side by side (and PostgreSQL
 * flushes their commits together).
 * A job that fails its own checks (auth rules, relation or redaction
 * rules) gets its error and writes nothing; the others go on.  A
 * database error fails the batch as a whole.
 *
 * A batch of plain messages does not wait for its rooms' locks to build:
 * it builds on the rooms' tips (rooms/cache.h) -- what the batch before
 * it in each room built, committed or not -- and publishes its own, so
 * the next batch of the room can build at once.  Then it signs its
 * events (on idle cores too), encodes their rows, and in its turn inserts
 * the rows, takes the locks and checks that the database agrees; the
 * unread counts, the extremities and COMMIT follow in one round trip.  So
 * in a busy room one batch builds while the one before it writes and the
 * one before that commits.  A tip the database does not confirm (a batch
 * before failed) means the batch is thrown away and built again the
 * ordinary way, locks first.
 * Claims (rooms/claim.h) keep one room's batches building one at a time
 * and taking the room's lock in the order they built.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/events.h"
#include "db/rooms.h"
#include "json/json.h"
#include "node.h"
#include "push/counts.h"
#include "rooms/batch.h"
#include "rooms/cache.h"
#include "rooms/claim.h"
#include "rooms/event.h"
#include "rooms/persist.h"
#include "rooms/redact.h"
#include "rooms/relations.h"
#include "rooms/room_writer.h"
#include "sync/live.h"
#include "sync/positions.h"
#include "sync/stream.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/parallel.h"
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
    int positioned;                 /* stream positions taken, not finished */
    int64_t first_pos, next_pos, last_pos;
    struct sy_persist_batch pending;
    struct sy_db_call encoded[SY_PERSIST_BATCH_CALLS]; /* on tips: pending, encoded unlocked */
    struct sy_event_signature *sigs; /* plain events built, not signed yet (sign_pending) */
    size_t n_sigs;
    struct sy_live_list live; /* what was written, in stream order */
    int on_tips;              /* built on the rooms' tips, checked before commit */
    struct sy_room_claim claim;
    int claimed;
};

/* Not an error: the batch built on tips that the database does not confirm. */
#define REDO 1

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

/* The batch's rooms (sorted, distinct) and its per-room and per-job arrays. */
static void
setup(struct batch *b)
{
    collect_rooms(b);
    b->writers = sy_arena_alloc(b->a, sizeof(*b->writers) * b->n_rooms);
    b->rows = sy_arena_alloc(b->a, sizeof(*b->rows) * b->n_rooms);
    b->ext = sy_arena_alloc(b->a, sizeof(*b->ext) * b->n_rooms);
    memset(b->writers, 0, sizeof(*b->writers) * b->n_rooms);
    memset(b->rows, 0, sizeof(*b->rows) * b->n_rooms);
    b->found = sy_arena_alloc(b->a, sizeof(char *) * b->n);
    memset(b->found, 0, sizeof(char *) * b->n);
    b->written = sy_arena_alloc(b->a, sizeof(*b->written) * b->n);
    b->writer_of = sy_arena_alloc(b->a, sizeof(*b->writer_of) * b->n);
    b->sigs = sy_arena_alloc(b->a, sizeof(*b->sigs) * b->n);
    b->n_sigs = 0;
}

/*
 * Lock every room of the batch and read their rows and extremities into
 * rows[] and ext[] (by room index; a NULL room_id: no such room).
 */
static int
lock_rooms(struct batch *b, struct sy_db_room *rows, struct sy_db_extremities *ext,
           struct sy_error *err)
{
    struct sy_db_room *locked;
    size_t n_locked;

    memset(rows, 0, sizeof(*rows) * b->n_rooms);
    if (sy_db_rooms_lock_many(b->db, b->a, b->rooms, b->n_rooms, &locked, &n_locked, err) !=
            SY_OK ||
        sy_db_extremities_many(b->db, b->a, b->rooms, b->n_rooms, ext, err) != SY_OK)
        return err->code;
    for (size_t r = 0; r < n_locked; r++)
        rows[room_index(b, locked[r].room_id)] = locked[r];
    return SY_OK;
}

/* The events the jobs' transaction IDs already made, into b->found. */
static int
find_txns(struct batch *b, struct sy_error *err)
{
    struct sy_db_txn *txns = sy_arena_alloc(b->a, sizeof(*txns) * b->n);

    for (size_t i = 0; i < b->n; i++) {
        const struct sy_room_send *s = &b->jobs[i]->s;

        txns[i] = (struct sy_db_txn){s->sender, s->txn_device_id, s->room_id,
                                     sy_room_send_txn_kind(s), s->txn_id};
    }
    return sy_db_events_by_txn_many(b->db, b->a, txns, b->n, b->found, err);
}

/* Every room's tip (rooms/cache.h) as its row and extremities; 0 if one has none. */
static int
read_tips(struct batch *b)
{
    for (size_t r = 0; r < b->n_rooms; r++)
        if (!sy_room_cache_tip(b->rooms[r], b->a, &b->rows[r], &b->ext[r]))
            return 0;
    return 1;
}

static int
same_tip(const struct sy_db_room *x, const struct sy_db_extremities *ex,
         const struct sy_db_room *y, const struct sy_db_extremities *ey)
{
    if (x->room_id == NULL || y->room_id == NULL ||
        x->current_state_group != y->current_state_group || ex->n != ey->n ||
        ex->max_depth != ey->max_depth)
        return 0;
    for (size_t i = 0; i < ex->n; i++)
        if (strcmp(ex->ids[i], ey->ids[i]) != 0)
            return 0;
    return 1;
}

/*
 * A batch built on tips: lock its rooms and check that the database says
 * what the tips said; REDO when not, and the batch is written again the
 * ordinary way.  Its transaction IDs were looked up before it built: one
 * used meanwhile by a batch still committing then is caught by the
 * events_txn unique index, which fails this batch, and the writer retries
 * its sends one at a time.
 */
static int
check_tips(struct batch *b, struct sy_error *err)
{
    struct sy_db_room *rows = sy_arena_alloc(b->a, sizeof(*rows) * b->n_rooms);
    struct sy_db_extremities *ext = sy_arena_alloc(b->a, sizeof(*ext) * b->n_rooms);

    if (lock_rooms(b, rows, ext, err) != SY_OK)
        return err->code;
    for (size_t r = 0; r < b->n_rooms; r++)
        if (!same_tip(&b->rows[r], &b->ext[r], &rows[r], &ext[r]))
            return REDO;
    return SY_OK;
}

/* What the batch built is what the rooms' next batch builds on; a moved state waits for commit. */
static void
publish_tips(struct batch *b)
{
    for (size_t r = 0; r < b->n_rooms; r++) {
        const struct sy_room_writer *w = b->writers[r];
        struct sy_db_extremities ext;

        if (w == NULL)
            continue;
        if (w->state_group != w->loaded_group) {
            sy_room_cache_drop_tip(w->room_id);
            continue;
        }
        ext = (struct sy_db_extremities){w->prev, w->n_prev, w->depth - 1};
        sy_room_cache_put_tip(&b->rows[r], &ext);
    }
}

static void
drop_tips(struct batch *b)
{
    for (size_t r = 0; r < b->n_rooms; r++)
        sy_room_cache_drop_tip(b->rooms[r]);
}

/* A position for every job, taken in the rooms' build order (under their claims). */
static int
take_positions(struct batch *b, struct sy_error *err)
{
    if (sy_event_positions_take((int64_t)b->n, &b->first_pos, err) != SY_OK)
        return err->code;
    b->next_pos = b->first_pos;
    b->last_pos = b->first_pos + (int64_t)b->n - 1;
    b->positioned = 1;
    return SY_OK;
}

/* The batch's positions are final: written and committed, or never to be used. */
static void
finish_positions(struct batch *b, int committed)
{
    if (!b->positioned)
        return;
    /* Positions taken for jobs that wrote nothing (refused, repeated, unchanged). */
    if (!committed)
        b->next_pos = b->first_pos;
    if (b->next_pos <= b->last_pos)
        sy_live_positions_unused(b->next_pos, b->last_pos);
    sy_event_positions_finish(b->first_pos);
    b->positioned = 0;
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
    w->cached_state_only = b->on_tips;
    if (sy_room_writer_open(w, &b->rows[r], &b->ext[r], e) != SY_OK)
        return b->on_tips ? REDO : e->code;
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

/* A built plain job's rows and push outcomes into the pending batch, at the next position. */
static int
add_plain(struct batch *b, size_t i, struct sy_error *fatal)
{
    struct sy_room_writer *w = b->writer_of[i];
    const struct sy_event *ev = b->written[i];
    int64_t stream = b->next_pos++;
    struct sy_persist p;

    if (w->push == NULL &&
        sy_push_room_load(b->db, b->a, ev, w->state, w->state_group, &w->push, fatal) != SY_OK)
        return fatal->code;
    sy_room_writer_persist_init(w, &b->jobs[i]->s, ev, stream, &p);
    /* Later events of the room already follow this one: its failure fails the batch. */
    if (sy_persist_batch_add(&b->pending, b->a, &p, w->push, fatal) != SY_OK)
        return fatal->code;
    sy_live_list_add(b->a, &b->live, &p.live);
    return SY_OK;
}

struct sign_ctx {
    struct sy_event_signature *v;
    const struct sy_signing_key *k;
    atomic_int failed;
};

/* On any thread (util/parallel.h): touches nothing but its own event. */
static void
sign_one(void *p, size_t i)
{
    struct sign_ctx *c = p;

    if (sy_event_signature_apply(&c->v[i], c->k) != SY_OK)
        atomic_store(&c->failed, 1);
}

/*
 * Sign the plain events built so far, before their rows are encoded or
 * sent.  Their IDs do not depend on the signatures, so they were chained
 * unsigned, and on tips the room's next batch is already building while
 * these are signed; the signatures (a good part of a message's CPU) are
 * made side by side on idle cores.
 */
static int
sign_pending(struct batch *b, struct sy_error *err)
{
    struct sign_ctx c = {.v = b->sigs, .k = b->node->key};

    atomic_init(&c.failed, 0);
    sy_parallel_for(b->n_sigs, sign_one, &c);
    b->n_sigs = 0;
    return atomic_load(&c.failed) ? sy_err_internal(err, "could not sign an event") : SY_OK;
}

static int
write_plain(struct batch *b, struct sy_room_writer *w, size_t i, struct sy_error *fatal)
{
    struct sy_send_job *j = b->jobs[i];
    struct sy_event_signature later;
    struct sy_error e = {0};
    struct sy_event *ev;

    if (sy_room_writer_prepare(w, &j->s, sy_now_ms(), &later, &ev, &e) != SY_OK)
        return job_error(j, &e, fatal);
    b->sigs[b->n_sigs++] = later;
    sy_room_writer_advance(w, ev);
    b->written[i] = ev;
    b->writer_of[i] = w;
    job_answer(j, ev->event_id);
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

    if (sign_pending(b, fatal) != SY_OK ||
        sy_persist_batch_flush(b->db, b->a, &b->pending, fatal) != SY_OK)
        return fatal->code;
    if (s->state_key == NULL && s->content != NULL &&
        sy_relations_check_send(b->db, b->a, w->room_id, s->content, &e) != SY_OK)
        return job_error(j, &e, fatal);
    /* Checked under the room lock, against the state the redaction is authorised by. */
    if (s->redacts != NULL && sy_room_redaction_check_state(b->db, b->a, w->state, w->room_id,
                                                            s->sender, s->redacts, &e) != SY_OK)
        return job_error(j, &e, fatal);
    if (sy_room_writer_prepare(w, s, sy_now_ms(), NULL, &ev, &e) != SY_OK)
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
    int rc = writer_for(b, j->s.room_id, &w, &e);

    if (rc == REDO)
        return REDO;
    if (rc != SY_OK)
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

    for (size_t i = 0; i < SY_PERSIST_BATCH_CALLS; i++)
        if (sy_db_send(b->db, &b->encoded[i], err) != SY_OK)
            return err->code;
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
    finish_positions(b, 1);
}

static void
release_claim(struct batch *b)
{
    if (b->claimed)
        sy_room_claim_release(&b->claim);
    b->claimed = 0;
}

/* The encoded statements that need no lock, sent now in one round trip; the rest wait for finish(). */
static int
send_unlocked(struct batch *b, struct sy_error *err)
{
    if (sy_db_send_all(b->db, b->encoded, SY_PERSIST_BATCH_UNLOCKED, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < SY_PERSIST_BATCH_UNLOCKED; i++)
        b->encoded[i] = (struct sy_db_call){NULL, 0, NULL};
    return SY_OK;
}

/*
 * Build every job: on the rooms' tips, or on what the rooms' locks let be
 * read.  On tips, the next batch of the rooms may build as soon as these
 * are built (their tips published); this one then signs and encodes, and
 * in its turn sends its rows and locks the rooms.  Encoding the rows is a
 * good part of a batch's work, and inserting them a good part of
 * PostgreSQL's: neither while its rooms are locked.  New rows wait for
 * nobody (the room's row lock is FOR NO KEY UPDATE, which the events'
 * foreign key does not wait for); only the counts wait for the locks.
 */
static int
build(struct batch *b, struct sy_error *err)
{
    int rc;

    if (!b->on_tips) {
        sy_room_claim_turn(&b->claim);
        if (lock_rooms(b, b->rows, b->ext, err) != SY_OK)
            return err->code;
    }
    if (find_txns(b, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < b->n; i++)
        if ((rc = run_job(b, i, err)) != SY_OK)
            return rc;
    if (b->on_tips) {
        publish_tips(b);
        sy_room_claim_built(&b->claim);
    }
    if ((rc = sign_pending(b, err)) != SY_OK)
        return rc;
    if (b->on_tips) {
        sy_persist_batch_encode(&b->pending, b->a, b->encoded);
        sy_room_claim_turn(&b->claim);
        if ((rc = send_unlocked(b, err)) != SY_OK || (rc = check_tips(b, err)) != SY_OK)
            return rc;
    } else {
        publish_tips(b);
    }
    /* The rooms are locked: the next batch of each waits for this one's commit. */
    release_claim(b);
    return SY_OK;
}

static int
write_batch(struct batch *b, struct sy_error *err)
{
    int rc = SY_OK;

    for (size_t i = 0; i < b->n; i++) {
        b->jobs[i]->rc = SY_OK;
        b->jobs[i]->event_id = NULL;
    }
    setup(b);
    sy_room_claim_take(&b->claim, b->rooms, b->n_rooms);
    b->claimed = 1;
    if (b->on_tips && !read_tips(b)) {
        release_claim(b);
        return REDO;
    }
    if (take_positions(b, err) != SY_OK || sy_db_begin(b->db, err) != SY_OK) {
        finish_positions(b, 0);
        release_claim(b);
        return err->code;
    }
    rc = build(b, err);
    /* The rows, the extremities and COMMIT go in one round trip. */
    if (rc == SY_OK && (sy_db_pipeline_start(b->db, err) != SY_OK || finish(b, err) != SY_OK ||
                        sy_db_pipeline_commit(b->db, err) != SY_OK))
        rc = err->code;
    if (rc != SY_OK) {
        sy_db_rollback(b->db);
        /* A tip this batch published is wrong now; one a REDO found stale is too. */
        drop_tips(b);
        finish_positions(b, 0);
    } else {
        after_commit(b);
    }
    release_claim(b);
    return rc;
}

static int
all_plain(struct sy_send_job **jobs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_plain(&jobs[i]->s))
            return 0;
    return 1;
}

static int
write_once(struct sy_db *db, const struct sy_node *node, struct sy_event_cache *events,
           struct sy_send_job **jobs, size_t n, int on_tips, struct sy_error *err)
{
    struct batch b = {.db = db, .a = sy_arena_new(), .node = node, .events = events,
                      .jobs = jobs, .n = n, .on_tips = on_tips};
    int rc = write_batch(&b, err);

    sy_arena_free(b.a);
    return rc;
}

/*
 * Plain messages build on the rooms' tips, so a batch builds while the
 * one before it in the same rooms commits; anything else, or tips the
 * database does not confirm, takes the rooms' locks first.
 */
int
sy_room_batch_write(struct sy_db *db, const struct sy_node *node, struct sy_event_cache *events,
                    struct sy_send_job **jobs, size_t n, struct sy_error *err)
{
    int rc = write_once(db, node, events, jobs, n, all_plain(jobs, n), err);

    /* Only a batch built on tips is redone; the ordinary way never is. */
    if (rc == REDO)
        rc = write_once(db, node, events, jobs, n, 0, err);
    return rc;
}
