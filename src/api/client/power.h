/*
 * api/client/power.h -- "may this user send that state event here?", for
 * endpoints whose permission the spec or Synapse ties to a power level
 * (publishing to the room directory: m.room.canonical_alias; upgrading a
 * room: m.room.tombstone).
 *
 * The levels come from the auth rules (rooms/auth.h) over the room's
 * current state (rooms/state.h); nothing here is persisted.
 */
#ifndef SY_API_CLIENT_POWER_H
#define SY_API_CLIENT_POWER_H

#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

/*
 * 0 when user_id is joined to room_id and their power level reaches the
 * level needed to send a state event of 'type' with state key "".
 * SY_ENOTFOUND (M_NOT_FOUND) for an unknown room, SY_EFORBIDDEN
 * (M_FORBIDDEN) when not joined or not powerful enough, SY_EDB.
 */
int sy_client_may_send_state(struct sy_db *db, struct sy_arena *a, const char *room_id,
                             const char *user_id, const char *type, struct sy_error *err);

/*
 * user_id's power level in room_id's current state, as the auth rules see
 * it (SY_AUTH_CREATOR_LEVEL for a creator in room version 12).  0 and
 * *level, SY_ENOTFOUND for an unknown room, SY_EDB.
 */
int sy_client_user_level(struct sy_db *db, struct sy_arena *a, const char *room_id,
                         const char *user_id, int64_t *level, struct sy_error *err);

#endif /* SY_API_CLIENT_POWER_H */
