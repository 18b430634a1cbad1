/*
 * rooms/writer.c -- the group-commit writer: a thread with its own
 * database connection takes every queued send and writes them as one
 * batch (rooms/batch.c), so sends that arrive together share one commit.
 * Two such threads take turns: while one batch waits for its commit, the
 * next is built, signed and authorised, also in the same room (on the
 * room's tip; rooms/batch.c).  Batches touching the same room build one
 * at a time, then write and lock the room in the order they built
 * (rooms/claim.h), and take their stream positions in that order too
 * (sync/positions.h).
 *
 * A job is shared by the writer and its submitter and freed by whichever
 * lets go last (refs, under 'lock').  Its inputs are deep copies: the
 * submitter's request may be gone before the writer gets to it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "db/db.h"
#include "node.h"
#include "rooms/batch.h"
#include "rooms/claim.h"
#include "rooms/event_cache.h"
#include "rooms/room.h"
#include "rooms/room_writer.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/log.h"

/* A bound on one transaction's size; the queue behind it waits for the next. */
#define BATCH_MAX 256
/* Parsed state events the writer keeps between batches (a few MiB at most). */
#define WRITER_EVENT_CACHE 2048

struct job_done {
    void (*fn)(void *);
    void *arg;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queued_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static struct sy_send_job *head, **tail = &head;
static int running, stopping;
static const struct sy_node *writer_node;

/* Two: one builds while the other commits; more would only wait on the stream head. */
#define WRITERS 2

struct writer {
    pthread_t thread;
    struct sy_db *db;             /* its own connection */
    struct sy_event_cache *events; /* its own parsed state events */
};
static struct writer writers[WRITERS];

/* Job completion callbacks live beside the job, not in it: batch.h stays free of them. */
struct job_box {
    struct sy_send_job job;
    struct job_done done;
};

static void
put_json(void *o)
{
    json_object_put(o);
}

static const char *
dup_or_null(struct sy_arena *a, const char *s)
{
    return s != NULL ? sy_arena_strdup(a, s) : NULL;
}

static struct job_box *
job_new(const struct sy_room_send *s)
{
    struct job_box *box = calloc(1, sizeof(*box));
    struct sy_send_job *j;

    if (box == NULL)
        abort();
    j = &box->job;
    j->a = sy_arena_new();
    j->refs = 2; /* the writer and the submitter */
    j->s.room_id = sy_arena_strdup(j->a, s->room_id);
    j->s.sender = sy_arena_strdup(j->a, s->sender);
    j->s.type = sy_arena_strdup(j->a, s->type);
    j->s.state_key = dup_or_null(j->a, s->state_key);
    j->s.redacts = dup_or_null(j->a, s->redacts);
    j->s.txn_device_id = dup_or_null(j->a, s->txn_device_id);
    j->s.txn_id = dup_or_null(j->a, s->txn_id);
    j->s.content = NULL;
    if (s->content != NULL) {
        /* A content that cannot be copied must not be sent as {}: no job. */
        if (json_object_deep_copy(s->content, &j->s.content, NULL) != 0) {
            sy_arena_free(j->a);
            free(box);
            return NULL;
        }
        sy_arena_on_free(j->a, put_json, j->s.content);
    }
    return box;
}

/* Under 'lock'. */
static void
job_release(struct sy_send_job *j)
{
    if (--j->refs > 0)
        return;
    sy_arena_free(j->a);
    free((struct job_box *)j); /* job is the box's first member */
}

static void
write_jobs(struct writer *wr, struct sy_send_job **jobs, size_t n)
{
    struct sy_error err = {0};

    if (sy_room_batch_write(wr->db, writer_node, wr->events, jobs, n, &err) == SY_OK)
        return;
    sy_log(SY_LOG_WARN, "a batch of %zu sends failed (%s); writing them one at a time", n,
           err.msg);
    for (size_t i = 0; i < n; i++) {
        struct sy_error one = {0};

        if (sy_room_batch_write(wr->db, writer_node, wr->events, &jobs[i], 1, &one) != SY_OK) {
            jobs[i]->rc = one.code;
            jobs[i]->err = one;
            jobs[i]->event_id = NULL;
        }
    }
}

static void
complete(struct sy_send_job **jobs, size_t n)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n; i++) {
        struct job_box *box = (struct job_box *)jobs[i];

        jobs[i]->done = 1;
        if (box->done.fn != NULL)
            box->done.fn(box->done.arg);
        box->done.fn = NULL;
        job_release(jobs[i]);
    }
    pthread_cond_broadcast(&done_cv);
    pthread_mutex_unlock(&lock);
}

/* A copy of the room of the queue's first job (caller frees), or NULL when stopping with none. */
static char *
head_room(void)
{
    char *room = NULL;

    pthread_mutex_lock(&lock);
    while (head == NULL && !stopping)
        pthread_cond_wait(&queued_cv, &lock);
    if (head != NULL && (room = strdup(head->s.room_id)) == NULL)
        abort();
    pthread_mutex_unlock(&lock);
    return room;
}

/* Up to BATCH_MAX queued jobs, or 0 when stopping with nothing queued. */
static size_t
take(struct sy_send_job **jobs)
{
    size_t n = 0;

    pthread_mutex_lock(&lock);
    while (head == NULL && !stopping)
        pthread_cond_wait(&queued_cv, &lock);
    while (head != NULL && n < BATCH_MAX) {
        jobs[n++] = head;
        head = head->next;
    }
    if (head == NULL)
        tail = &head;
    pthread_mutex_unlock(&lock);
    return n;
}

static void *
writer_main(void *arg)
{
    struct writer *wr = arg;
    struct sy_send_job *jobs[BATCH_MAX];
    size_t n;

    for (;;) {
        char *room = head_room();

        /* While the other writer builds this room, its sends pile up for one batch. */
        if (room != NULL)
            sy_room_claim_wait(room);
        free(room);
        if ((n = take(jobs)) == 0)
            break;
        sy_event_cache_trim(wr->events); /* between batches: no state map points into it */
        write_jobs(wr, jobs, n);
        complete(jobs, n);
    }
    return NULL;
}

static void
writer_close(struct writer *wr)
{
    sy_db_close(wr->db);
    sy_event_cache_free(wr->events);
    memset(wr, 0, sizeof(*wr));
}

/* Stop and join the first n writers. */
static void
writers_stop(size_t n)
{
    pthread_mutex_lock(&lock);
    stopping = 1;
    pthread_cond_broadcast(&queued_cv);
    pthread_mutex_unlock(&lock);
    for (size_t i = 0; i < n; i++) {
        pthread_join(writers[i].thread, NULL);
        writer_close(&writers[i]);
    }
}

int
sy_room_writer_start(const struct sy_node *node, struct sy_error *err)
{
    writer_node = node;
    stopping = 0;
    for (size_t i = 0; i < WRITERS; i++) {
        struct writer *wr = &writers[i];

        if (sy_db_connect(node->dsn, 1, &wr->db, err) != SY_OK) {
            writers_stop(i);
            return err->code;
        }
        wr->events = sy_event_cache_new(WRITER_EVENT_CACHE);
        if (pthread_create(&wr->thread, NULL, writer_main, wr) != 0) {
            writer_close(wr);
            writers_stop(i);
            return sy_err_internal(err, "cannot start the writer threads");
        }
    }
    running = 1;
    return SY_OK;
}

void
sy_room_writer_stop(void)
{
    if (!running)
        return;
    writers_stop(WRITERS);
    running = 0;
}

static void
enqueue(struct sy_send_job *j)
{
    pthread_mutex_lock(&lock);
    j->next = NULL;
    *tail = j;
    tail = &j->next;
    pthread_cond_signal(&queued_cv);
    pthread_mutex_unlock(&lock);
}

/* The outcome into the caller's arena; under 'lock', job done. */
static int
job_result(struct sy_send_job *j, struct sy_arena *a, const char **event_id, struct sy_error *err)
{
    if (j->rc != SY_OK) {
        *err = j->err;
        return j->rc;
    }
    *event_id = sy_arena_strdup(a, j->event_id);
    return SY_OK;
}

int
sy_room_send_event(struct sy_db *db, struct sy_arena *a, const struct sy_node *node,
                   const struct sy_room_send *s, const char **event_id, struct sy_error *err)
{
    struct job_box *box;
    int rc;

    if (sy_room_send_check(s, err) != SY_OK)
        return err->code;
    if ((box = job_new(s)) == NULL)
        return sy_err_internal(err, "could not copy the event content");
    if (!running) { /* no writer thread (a tool, a test): the caller's connection */
        struct sy_send_job *j = &box->job;

        j->refs = 1;
        if (sy_room_batch_write(db, node, NULL, &j, 1, err) != SY_OK)
            rc = err->code;
        else
            rc = job_result(j, a, event_id, err);
        job_release(j);
        return rc;
    }
    enqueue(&box->job);
    pthread_mutex_lock(&lock);
    while (!box->job.done)
        pthread_cond_wait(&done_cv, &lock);
    rc = job_result(&box->job, a, event_id, err);
    job_release(&box->job);
    pthread_mutex_unlock(&lock);
    return rc;
}

/* The owner's arena is going: no callback after this, and its reference goes. */
static void
job_detach(void *arg)
{
    struct job_box *box = arg;

    pthread_mutex_lock(&lock);
    box->done.fn = NULL;
    job_release(&box->job);
    pthread_mutex_unlock(&lock);
}

int
sy_room_send_validate(const struct sy_room_send *s, struct sy_error *err)
{
    return sy_room_send_check(s, err);
}

struct sy_send_job *
sy_room_send_submit(const struct sy_room_send *s, struct sy_arena *owner, void (*done)(void *),
                    void *arg, struct sy_error *err)
{
    struct job_box *box;

    if (!running) {
        sy_err_internal(err, "the writer is not running");
        return NULL;
    }
    if (sy_room_send_check(s, err) != SY_OK)
        return NULL;
    if ((box = job_new(s)) == NULL) {
        sy_err_internal(err, "could not copy the event content");
        return NULL;
    }
    box->done.fn = done;
    box->done.arg = arg;
    sy_arena_on_free(owner, job_detach, box);
    enqueue(&box->job);
    return &box->job;
}

int
sy_room_send_job_result(struct sy_send_job *j, struct sy_arena *a, const char **event_id,
                        struct sy_error *err)
{
    int rc;

    pthread_mutex_lock(&lock);
    if (!j->done)
        rc = sy_error_set(err, SY_EINTERNAL, 503, "M_UNKNOWN",
                          "the event is not written yet; retry with the same transaction ID");
    else
        rc = job_result(j, a, event_id, err);
    pthread_mutex_unlock(&lock);
    return rc;
}
