/*
 * sync/account_data.h -- account data: global and per-room entries, room
 * tags (the m.tag room entry) and the fully read marker (the m.fully_read
 * room entry), and their /sync parts.
 *
 * Every write takes an account-data stream position in its transaction
 * (which also serialises read-modify-write of tags and markers), commits,
 * then wakes the user's long-polls.  Only the owner ever sees an entry.
 * Errors are Matrix errors; results live in the caller's arena.
 */
#ifndef SY_SYNC_ACCOUNT_DATA_H
#define SY_SYNC_ACCOUNT_DATA_H

#include <stdint.h>

#include "sync/sync.h"

struct json_object;
struct sy_arena;
struct sy_db;
struct sy_error;

/* Longest tag name (spec: "The name of a tag MUST NOT exceed 255 bytes"). */
#define SY_TAG_MAX 255

/*
 * Set 'type' to 'content' (a JSON object, not taken) in user_id's account
 * data; room_id NULL for global.  Types the server manages (m.fully_read,
 * m.push_rules) are refused with 405 M_BAD_JSON, as the spec says.
 */
int sy_account_data_set(struct sy_db *db, struct sy_arena *a, const char *user_id,
                        const char *room_id, const char *type, struct json_object *content,
                        struct sy_error *err);

/* The stored content text of 'type' (room_id NULL: global), or SY_ENOTFOUND M_NOT_FOUND. */
int sy_account_data_get(struct sy_db *db, struct sy_arena *a, const char *user_id,
                        const char *room_id, const char *type, const char **content,
                        struct sy_error *err);

/* The tags object of the user's m.tag entry for room_id ({} when none); a new root in 'a'. */
int sy_account_data_tags(struct sy_db *db, struct sy_arena *a, const char *user_id,
                         const char *room_id, struct json_object **tags, struct sy_error *err);

/*
 * Add or replace one tag (content: a JSON object, not taken) / remove one
 * (removing an absent tag changes nothing and succeeds).  Setting needs
 * some membership in the room (as Synapse): SY_EFORBIDDEN otherwise;
 * names over SY_TAG_MAX bytes are SY_EINVAL M_INVALID_PARAM.
 */
int sy_account_data_tag_set(struct sy_db *db, struct sy_arena *a, const char *user_id,
                            const char *room_id, const char *tag, struct json_object *content,
                            struct sy_error *err);
int sy_account_data_tag_delete(struct sy_db *db, struct sy_arena *a, const char *user_id,
                               const char *room_id, const char *tag, struct sy_error *err);

/*
 * Inside the caller's open transaction: move user_id's fully read marker in
 * room_id to event_id (whose events-stream position is 'ordering') unless
 * the current marker is at or after it.  *changed is 1 when written; the
 * caller commits and then calls sy_notify_user(user_id).
 */
int sy_account_data_fully_read_in_tx(struct sy_db *db, struct sy_arena *a, const char *user_id,
                                     const char *room_id, const char *event_id,
                                     int64_t ordering, int *changed, struct sy_error *err);

#endif /* SY_SYNC_ACCOUNT_DATA_H */
