/*
 * rooms/cache.h -- the process's hot-data caches for the rooms layer:
 * events by ID (their signed JSON never changes) and each room's current
 * state, tagged with the state group it is the state of.
 *
 * A cached current state is used only when its group equals the group in
 * the room's row, so a state written by another process is never served
 * stale; the persist pipeline stores the new state after each commit.
 * A room's tip is what its next event builds on (its row and forward
 * extremities) as the last batch built it, committed or not: the writer
 * checks it against the database under the room's lock before commit.
 * sy_room_cache_init() (main.c) turns caching on; without it every call
 * misses (syncroctl, unit tests).
 */
#ifndef SY_ROOMS_CACHE_H
#define SY_ROOMS_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_room_state;

void sy_room_cache_init(size_t event_bytes, size_t state_bytes);
void sy_room_cache_free(void);

/* The signed JSON of an event, in 'a', or NULL. */
const char *sy_room_cache_event(const char *event_id, struct sy_arena *a);
void sy_room_cache_put_event(const char *event_id, const char *pdu_json);

/* Fill st with the cached current state of room_id if it is that of 'group'; 1 if so. */
int sy_room_cache_state(const char *room_id, int64_t group, struct sy_room_state *st);
void sy_room_cache_put_state(const char *room_id, int64_t group, const struct sy_room_state *st);

/*
 * The tip of room_id into *room and *ext (in 'a'); 1 if there is one.
 * put replaces it, drop forgets it (its batch failed).
 */
struct sy_db_room;
struct sy_db_extremities;
int sy_room_cache_tip(const char *room_id, struct sy_arena *a, struct sy_db_room *room,
                      struct sy_db_extremities *ext);
void sy_room_cache_put_tip(const struct sy_db_room *room, const struct sy_db_extremities *ext);
void sy_room_cache_drop_tip(const char *room_id);

#endif /* SY_ROOMS_CACHE_H */
