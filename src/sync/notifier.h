/*
 * sync/notifier.h -- wakes parked long-poll requests when a stream they
 * care about moves.
 *
 * A waiter registers keys: "u:<user_id>" (its user's own streams:
 * to-device, account data, invites, device lists) and "r:<room_id>" for
 * each room it is in (events, receipts, typing).  Writers call
 * sy_notify_room() / sy_notify_user() after their transaction commits;
 * the events writer hands its events to sync/live.h, which notifies.
 * The notifier is process-wide and thread-safe; a wake runs the waiter's
 * callback on the waiter's own worker thread.  It is in-process today;
 * sy_notify_*() is the one place a Redis pub/sub bridge would publish
 * from, and its subscriber would call the same functions.
 */
#ifndef SY_SYNC_NOTIFIER_H
#define SY_SYNC_NOTIFIER_H

#include <stddef.h>
#include <stdint.h>

struct sy_req;
struct sy_waiter;

/*
 * Register req (parked with sy_req_park) under keys[0..n) (copied).  On a
 * matching notify, sy_req_wake(req) is called once.  The waiter is
 * removed by sy_notify_unwait(), which the parking code calls when the
 * request wakes or goes away.
 */
struct sy_waiter *sy_notify_wait(struct sy_req *req, const char *const *keys, size_t n);
void sy_notify_unwait(struct sy_waiter *w);

void sy_notify_room(const char *room_id);
void sy_notify_user(const char *user_id);
/*
 * The same for committed events, called by sync/live.h once its ring
 * holds them: live keeps the events head itself, so these do not count as
 * a move of the database's heads (sy_notify_generation).
 */
void sy_notify_room_events(const char *room_id);
void sy_notify_user_events(const char *user_id);
/* Shutdown: wake every waiter, and every later one at once. */
void sy_notify_shutdown(void);
/* 1 after sy_notify_shutdown(): long-polls should answer instead of waiting. */
int sy_notify_stopping(void);
/* Waiters registered now (tests, metrics). */
size_t sy_notify_count(void);

/*
 * How many database-stream notifies there have been: it changes after
 * every committed write to a stream other than events (writers notify
 * after COMMIT), so a cached view of those heads read while it had one
 * value is current while it keeps that value.  The events head comes from
 * sync/live.h (sync/stream.h sy_sync_token_latest).
 */
uint64_t sy_notify_generation(void);

#endif /* SY_SYNC_NOTIFIER_H */
