/*
 * push/counts.h -- push actions at persist time, and the unread
 * notification / highlight counts they give.
 *
 * The persist pipeline (rooms/persist.c) calls sy_push_on_event() for
 * every event it writes, inside the event's transaction.  For each joined
 * local member other than the sender (and a local user being invited) it
 * evaluates the user's push rules (push/rules.h, push/eval.h) and stores
 * one row per event that notifies or highlights them, at the event's
 * stream position.  Counts are the rows after the user's read position
 * in the room, which read receipts move with sy_push_mark_read().
 *
 * Delivery to push gateways is not done here (nor anywhere yet).
 */
#ifndef SY_PUSH_COUNTS_H
#define SY_PUSH_COUNTS_H

#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;
struct sy_event;
struct sy_room_state;
struct sy_live_event;
struct sy_live_push;

/*
 * Evaluate 'ev' (just inserted at stream position 'stream') against the
 * push rules of the room's local members, given the room state after it
 * (state group 'group', or 0 when it has none: members are cached per
 * group), and store the outcomes; live->push / n_push get them (in 'a')
 * for sync/live.h.  Runs inside the caller's transaction; 0 or
 * SY_EDB.
 */
int sy_push_on_event(struct sy_db *db, struct sy_arena *a, const struct sy_event *ev,
                     struct sy_room_state *state_after, int64_t group, int64_t stream,
                     struct sy_live_event *live, struct sy_error *err);

/*
 * The same in parts, for a writer that stores many events at once: load
 * a room's local members and their rules once (valid while the room's
 * membership does not change), evaluate each event into 'rows' (the
 * sender is never notified of their own event), and flush the rows of
 * any number of events and rooms in one statement.
 */
struct sy_push_room;
struct sy_push_rows {
    struct sy_db_push_action *v; /* in the arena given to eval */
    size_t n, cap;
};
int sy_push_room_load(struct sy_db *db, struct sy_arena *a, const struct sy_event *ev,
                      struct sy_room_state *state_after, int64_t group, struct sy_push_room **out,
                      struct sy_error *err);
void sy_push_room_eval(struct sy_push_room *pr, struct sy_arena *a, const struct sy_event *ev,
                       struct sy_room_state *state_after, int64_t stream,
                       struct sy_push_rows *rows);
/* The outcomes rows->v[from..n) for sync/live.h, in 'a'. */
const struct sy_live_push *sy_push_rows_live(struct sy_arena *a, const struct sy_push_rows *rows,
                                             size_t from, size_t *n);
int sy_push_rows_flush(struct sy_db *db, struct sy_arena *a, struct sy_push_rows *rows,
                       struct sy_error *err);

/*
 * A read receipt: user_id has read room_id up to and including stream
 * position 'up_to_stream'.  The position only moves forward.  0 or SY_EDB.
 */
int sy_push_mark_read(struct sy_db *db, const char *user_id, const char *room_id,
                      int64_t up_to_stream, struct sy_error *err);

/*
 * The unread counts for sync's unread_notifications: events after the
 * read position that notify (*notification_count) and that highlight
 * (*highlight_count).  0 or SY_EDB.
 */
int sy_push_unread(struct sy_db *db, const char *user_id, const char *room_id,
                   int64_t *notification_count, int64_t *highlight_count, struct sy_error *err);

#endif /* SY_PUSH_COUNTS_H */
