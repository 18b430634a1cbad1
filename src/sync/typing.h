/*
 * sync/typing.h -- who is typing in which room: in memory only (typing is
 * ephemeral, as in every homeserver), shared by all worker threads.
 *
 * The typing stream's position is a millisecond clock that never goes back
 * (max(now, last + 1)), so positions in tokens stay meaningful across a
 * restart even though the typing state itself starts empty.
 */
#ifndef SY_SYNC_TYPING_H
#define SY_SYNC_TYPING_H

#include <stdint.h>

struct json_object;
struct sy_arena;

/*
 * Mark user_id typing in room_id for timeout_ms (capped), or stop
 * (typing 0).  Notifies the room when the set of typers changes.
 */
void sy_typing_set(const char *room_id, const char *user_id, int typing, int64_t timeout_ms);

/* The typing stream's current position (expiries count as changes). */
int64_t sy_typing_position(void);

/*
 * The m.typing ephemeral event of room_id if its typers changed after
 * 'since' (always when since is 0), else NULL.  A new root in 'a'.
 */
struct json_object *sy_typing_event(struct sy_arena *a, const char *room_id, int64_t since);

/* Drop everything (tests, shutdown). */
void sy_typing_reset(void);

#endif /* SY_SYNC_TYPING_H */
