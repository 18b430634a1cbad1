/*
 * rooms/batch.h -- one batch of queued sends written in one transaction
 * (the group-commit writer's work; rooms/writer.c owns the queue and the
 * thread).  Internal to rooms/.
 */
#ifndef SY_ROOMS_BATCH_H
#define SY_ROOMS_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "rooms/room.h"
#include "util/err.h"

struct sy_arena;
struct sy_db;
struct sy_event_cache;
struct sy_node;
struct sy_req;

struct sy_send_job {
    struct sy_send_job *next;  /* queue link (writer.c) */
    struct sy_arena *a;        /* the job's own copy of 's' and its result */
    struct sy_room_send s;
    /* the outcome, set by sy_room_batch_write */
    int rc;
    struct sy_error err;
    const char *event_id; /* in a */
    /* writer.c: completion */
    int done;
    int refs;
    struct sy_req *req; /* woken when done; NULL for a synchronous sender or once it is gone */
};

/*
 * Write jobs[0..n) in one transaction, in order: each job gets its event ID
 * or its own Matrix error (a forbidden event does not stop the others).
 * After the commit the room caches are refreshed and waiters notified.
 * An error return means the transaction failed as a whole and nothing was
 * written: the caller retries the jobs one at a time.  'events' is the
 * calling thread's own cache of parsed state events (rooms/event_cache.h),
 * or NULL.
 */
int sy_room_batch_write(struct sy_db *db, const struct sy_node *node,
                        struct sy_event_cache *events, struct sy_send_job **jobs, size_t n,
                        struct sy_error *err);

#endif /* SY_ROOMS_BATCH_H */
