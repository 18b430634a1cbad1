/*
 * rooms/visibility.h -- history visibility (spec: "History visibility"):
 * whether a user may see an event, and which state of a room they may see.
 */
#ifndef SY_ROOMS_VISIBILITY_H
#define SY_ROOMS_VISIBILITY_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_db_event;
struct sy_error;

/*
 * 1 if user_id may see the stored event 'ev', 0 if not, negative on a
 * database error.  Decided by m.room.history_visibility and user_id's
 * membership in the state at the event (world_readable: anyone; shared:
 * members, including those who joined later and those who left after it;
 * invited: from their invite on; joined: while joined).
 */
int sy_visibility_event(struct sy_db *db, struct sy_arena *a, const struct sy_db_event *ev,
                        const char *user_id, struct sy_error *err);

/*
 * sy_visibility_event for evs[0..n) at once: visible[i] 1 or 0.  A few
 * queries for all of them (the state entries, their events, the user's
 * current memberships); only a former member's "shared" history is
 * decided event by event.  0, or an error with *err set.
 */
int sy_visibility_events(struct sy_db *db, struct sy_arena *a, const struct sy_db_event *const *evs,
                         size_t n, const char *user_id, int *visible, struct sy_error *err);

/*
 * The state group whose state user_id may see now: 0 with *current set for
 * the live current state (joined, or world_readable), the group after
 * their leave/ban when they were once joined and have not forgotten the
 * room, or SY_EFORBIDDEN.
 */
int sy_visibility_state(struct sy_db *db, struct sy_arena *a, const char *room_id,
                        const char *user_id, int *current, int64_t *group, struct sy_error *err);

#endif /* SY_ROOMS_VISIBILITY_H */
