/*
 * rooms/redact.h -- whether a local user may redact an event (the client
 * API's rule, on top of the auth rules).
 *
 * From room version 3 the auth rules let any member send a redaction, and
 * "handling redactions" applies it when the redacter's server is the
 * target's server: on one node, every member could erase every other
 * member's messages.  Synapse therefore refuses, before sending, a local
 * redaction by a user below the "redact" power level of an event sent by
 * someone else; this does the same.
 */
#ifndef SY_ROOMS_REDACT_H
#define SY_ROOMS_REDACT_H

struct sy_arena;
struct sy_db;
struct sy_error;
struct sy_room_state;

/*
 * Check that 'sender' may redact 'target_id' in room_id, against the state
 * 'st' (the send pipeline's, under the room lock).  0 when allowed: the
 * sender has the redact level (even for an event this node does not have),
 * or sent the target.  Otherwise: SY_ENOTFOUND (404 M_NOT_FOUND) for an
 * unknown target when the sender lacks the level; SY_EFORBIDDEN (403
 * M_FORBIDDEN) for someone else's event without the level, and for
 * m.room.create and m.room.server_acl events whoever asks; SY_EINVAL (400
 * M_INVALID_PARAM) for an event of another room; SY_EDB.
 */
int sy_room_redaction_check_state(struct sy_db *db, struct sy_arena *a, struct sy_room_state *st,
                                  const char *room_id, const char *sender, const char *target_id,
                                  struct sy_error *err);

#endif /* SY_ROOMS_REDACT_H */
