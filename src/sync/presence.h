/*
 * sync/presence.h -- users' presence (online / unavailable / offline, a
 * status message, when they were last active) and the "presence" section
 * of /sync.
 *
 * A visible change (state or status message) takes a presence-stream
 * position and wakes the long-polls of the user and of everyone sharing a
 * joined room with them; mere activity only bumps last_active_ts.
 * Presence is shown to the user and to users sharing a joined room with
 * them.  An online user with no /sync or presence update for five minutes
 * reads as offline (their clients are gone); that is derived when presence is
 * read, so it reaches others with the user's next change or their next
 * initial sync, not as a stream event of its own.
 */
#ifndef SY_SYNC_PRESENCE_H
#define SY_SYNC_PRESENCE_H

#include "sync/sync.h"

struct json_object;
struct sy_arena;
struct sy_db;
struct sy_error;

/* 1 if s is a presence state ("online", "unavailable", "offline"). */
int sy_presence_state_valid(const char *s);

/*
 * PUT /presence: set user_id's state and status message (NULL clears it).
 * SY_EINVAL M_INVALID_PARAM for an unknown state.
 */
int sy_presence_set(struct sy_db *db, struct sy_arena *a, const char *user_id, const char *state,
                    const char *status_msg, struct sy_error *err);

/*
 * GET /presence: user_id's presence as the spec's object ({"presence":
 * "offline"} when never set), a new root in 'a'.  SY_EFORBIDDEN when viewer
 * is someone else who shares no joined room with user_id.
 */
int sy_presence_get(struct sy_db *db, struct sy_arena *a, const char *viewer, const char *user_id,
                    struct json_object **out, struct sy_error *err);

/*
 * What a /sync does to its user's presence (ctx->set_presence; NULL means
 * "online", as the spec says; "offline" leaves presence alone).  Called
 * once per request, before the sections run.
 */
int sy_sync_presence_update(struct sy_sync_ctx *ctx, struct sy_error *err);

#endif /* SY_SYNC_PRESENCE_H */
