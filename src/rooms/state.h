/*
 * rooms/state.h -- a room's state as the pipeline and readers use it:
 * (type, state_key) -> event ID, with the events parsed on demand for the
 * auth rules; and writing state groups (delta-encoded, bounded chains).
 *
 * A struct sy_room_state lives in one arena and belongs to one request.
 */
#ifndef SY_ROOMS_STATE_H
#define SY_ROOMS_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "rooms/auth.h"

struct sy_arena;
struct sy_db;
struct sy_error;
struct sy_event;
struct sy_room_version;

/* After this many deltas a group is written as a full snapshot. */
#define SY_STATE_MAX_CHAIN 50

struct sy_room_state;

struct sy_event_cache;
/*
 * Load state events through the calling thread's own cache of parsed
 * events (rooms/event_cache.h) instead of parsing them into the map's arena.
 */
void sy_room_state_use_cache(struct sy_room_state *st, struct sy_event_cache *cache);

struct sy_room_state *sy_room_state_new(struct sy_arena *a, struct sy_db *db,
                                        const struct sy_room_version *v);
/* Fill from the current-state table / from a state group's full state. */
int sy_room_state_load_current(struct sy_room_state *st, const char *room_id,
                               struct sy_error *err);
int sy_room_state_load_group(struct sy_room_state *st, int64_t group, struct sy_error *err);

/* Set an entry; 'ev' (may be NULL) is the already-parsed event, kept for lookups. */
void sy_room_state_put(struct sy_room_state *st, const char *type, const char *state_key,
                       const char *event_id, const struct sy_event *ev);
/* The event ID for (type, state_key), or NULL. */
const char *sy_room_state_id(const struct sy_room_state *st, const char *type,
                             const char *state_key);
/* The parsed event for (type, state_key), loading it on first use; NULL when absent. */
const struct sy_event *sy_room_state_get(struct sy_room_state *st, const char *type,
                                         const char *state_key);
/* The lookup the auth rules run against. */
struct sy_auth_state sy_room_state_auth(struct sy_room_state *st);
/* Iterate entries: *iter = 0 to start; 1 per entry, 0 at the end. */
int sy_room_state_next(const struct sy_room_state *st, size_t *iter, const char **type,
                       const char **state_key, const char **event_id);

/*
 * Load and parse a stored event of this room version (NULL when unknown or
 * unparsable).  The event lives in the state's arena.
 */
const struct sy_event *sy_room_state_load_event(struct sy_room_state *st, const char *event_id);

/*
 * Write the state group for "prev_group plus (type, state_key) -> event_id":
 * a delta, or a snapshot of 'full' (the whole new state) when the chain is
 * long or there is no previous group.  *group gets its id.
 */
int sy_room_state_write_group(struct sy_db *db, const char *room_id, int64_t prev_group,
                              const struct sy_room_state *full, const char *type,
                              const char *state_key, const char *event_id, int64_t *group,
                              struct sy_error *err);

#endif /* SY_ROOMS_STATE_H */
