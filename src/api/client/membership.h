/*
 * api/client/membership.h -- sending m.room.member events for the client
 * API (join, invite, leave, kick, ban, unban, knock; createRoom's invites).
 */
#ifndef SY_API_CLIENT_MEMBERSHIP_H
#define SY_API_CLIENT_MEMBERSHIP_H

struct json_object;
struct sy_req;
struct sy_error;

/*
 * Send the m.room.member event 'sender' -> 'target' with 'membership' in
 * room_id, through the rooms/ pipeline (which applies the auth rules).
 * The content is 'extra' (may be NULL; copied, not taken) plus membership,
 * 'reason' when not NULL, and for join, invite and knock the target's
 * displayname and avatar_url when the target is a local user and 'extra'
 * does not set them (as Synapse does).  A new join, invite or knock
 * clears the target's "forgotten" mark on the room.  0 and *event_id, or
 * the pipeline's error (M_FORBIDDEN from the auth rules, M_NOT_FOUND).
 */
int sy_client_member_send(struct sy_req *req, const char *room_id, const char *target,
                          const char *membership, const char *reason, struct json_object *extra,
                          const char **event_id, struct sy_error *err);

#endif /* SY_API_CLIENT_MEMBERSHIP_H */
