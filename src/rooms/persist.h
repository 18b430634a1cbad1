/*
 * rooms/persist.h -- the one place events are written: the event row, its
 * graph edges, the state group after it, current state, forward
 * extremities, redaction bookkeeping and the stream position -- all inside
 * the caller's open transaction.
 */
#ifndef SY_ROOMS_PERSIST_H
#define SY_ROOMS_PERSIST_H

#include <stddef.h>
#include <stdint.h>

#include "db/events.h"
#include "push/counts.h"
#include "sync/live.h"

struct sy_arena;
struct sy_db;
struct sy_error;
struct sy_event;
struct sy_room_state;

struct sy_persist {
    const struct sy_event *ev;
    struct sy_room_state *state; /* the state before ev; becomes the state after it */
    int64_t state_group;         /* group of 'state' (0: none yet); updated to the group after */
    /* idempotency key of a local send (kind: "send" or "redact"), or NULLs */
    const char *txn_user, *txn_device, *txn_kind, *txn_id;
    int64_t stream; /* the stream position to write at (sync/positions.h) */
    /* out: the event as sync/live.h records it once committed (strings in the arena) */
    struct sy_live_event live;
};

/*
 * Persist p->ev as the room's newest event (it extends all forward
 * extremities named in its prev_events), inside an open transaction.
 * *stream gets the event's stream position.
 */
int sy_room_persist(struct sy_db *db, struct sy_arena *a, struct sy_persist *p, int64_t *stream,
                    struct sy_error *err);

/*
 * Plain events -- no state key, no redaction, no relation: nothing to
 * read back and nothing but rows to write -- collected and then written
 * many at once by the group-commit writer (rooms/writer.c): add each
 * (p->stream set; 'push' loaded for p->state), flush before anything
 * reads the tables and before commit.  Forward extremities are the
 * caller's business (sy_db_extremities_replace).
 */
struct sy_push_room;
struct sy_persist_batch {
    struct sy_db_event *rows;
    size_t n, cap;
    struct sy_push_rows push;
};
int sy_persist_batch_add(struct sy_persist_batch *b, struct sy_arena *a, struct sy_persist *p,
                         struct sy_push_room *push, struct sy_error *err);
int sy_persist_batch_flush(struct sy_db *db, struct sy_arena *a, struct sy_persist_batch *b,
                           struct sy_error *err);
/*
 * The same in two steps: the statements encoded now (in 'a'; the batch is
 * empty after), sent later with sy_db_send in order -- a writer encodes
 * before it takes its locks, so that work is not done while they are held.
 * The first SY_PERSIST_BATCH_UNLOCKED (the events' and push outcomes'
 * rows) only add new rows and wait for nobody: they may be sent before the
 * rooms are locked.  The rest (the unread counts) wait for the locks.
 */
#define SY_PERSIST_BATCH_CALLS 3
#define SY_PERSIST_BATCH_UNLOCKED 2
struct sy_db_call;
void sy_persist_batch_encode(struct sy_persist_batch *b, struct sy_arena *a,
                             struct sy_db_call out[SY_PERSIST_BATCH_CALLS]);

#endif /* SY_ROOMS_PERSIST_H */
