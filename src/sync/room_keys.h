/*
 * sync/room_keys.h -- the rules of server-side key backup (spec:
 * "Server-side key backups"), over db/key_backup.h: which version an
 * upload may go to, when an uploaded session key replaces the stored
 * one (the spec's order: verified beats unverified, then a lower
 * first_message_index, then a lower forwarded_count), and the etag.
 */
#ifndef SY_SYNC_ROOM_KEYS_H
#define SY_SYNC_ROOM_KEYS_H

#include <stdint.h>

struct json_object;
struct sy_arena;
struct sy_db;
struct sy_error;

/* The backup version a path or query names; -1 when it is no version (404 for the client). */
int64_t sy_room_keys_version(const char *s);

/* The version object (algorithm, auth_data, version, etag, count); version < 0: the current. */
int sy_room_keys_version_json(struct sy_db *db, struct sy_arena *a, const char *user_id,
                              int64_t version, struct json_object **out, struct sy_error *err);
/*
 * PUT /room_keys/version/{version}: body_version may be NULL; algorithm
 * must stay the same.  SY_EINVAL / SY_ENOTFOUND with Matrix errors.
 */
int sy_room_keys_version_update(struct sy_db *db, struct sy_arena *a, const char *user_id,
                                int64_t version, const char *body_version, const char *algorithm,
                                const char *auth_data, struct sy_error *err);

/*
 * Upload 'rooms' ({room: {sessions: {session: key data}}}) to 'version',
 * which must be the current version (else 403 M_WRONG_ROOM_KEYS_VERSION,
 * with *current set, or 404 when it does not exist).  All checked
 * before anything is written.  Fills resp with etag and count.
 */
int sy_room_keys_upload(struct sy_db *db, struct sy_arena *a, const char *user_id,
                        const char *version, struct json_object *rooms, struct json_object *resp,
                        int64_t *current, struct sy_error *err);
/* GET: {rooms: ...}, {sessions: ...} (room_id given) or one key's data (session_id given: 404 if
 * none). */
int sy_room_keys_get(struct sy_db *db, struct sy_arena *a, const char *user_id, const char *version,
                     const char *room_id, const char *session_id, struct json_object **out,
                     struct sy_error *err);
/* DELETE keys (all, one room's, one session's); fills resp with etag and count. */
int sy_room_keys_delete(struct sy_db *db, struct sy_arena *a, const char *user_id,
                        const char *version, const char *room_id, const char *session_id,
                        struct json_object *resp, struct sy_error *err);

#endif /* SY_SYNC_ROOM_KEYS_H */
