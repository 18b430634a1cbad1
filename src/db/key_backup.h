/*
 * db/key_backup.h -- server-side backups of room keys (spec: "Server-side
 * key backups"): versions per user and the session keys in each.
 *
 * Versions are numbered per user and never reused; a deleted version
 * keeps its row (marked deleted) so its number stays taken.  Strings
 * returned live in the caller's arena.
 */
#ifndef SY_DB_KEY_BACKUP_H
#define SY_DB_KEY_BACKUP_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

struct sy_db_backup_version {
    int64_t version;
    const char *algorithm;
    const char *auth_data; /* JSON text */
    int64_t etag;
    int64_t count; /* keys stored in it */
};

struct sy_db_room_key {
    const char *room_id;
    const char *session_id;
    int64_t first_message_index;
    int64_t forwarded_count;
    int is_verified;
    const char *session_data; /* JSON text */
};

/* A new version numbered after every earlier one (deleted ones too); *version. */
int sy_db_backup_version_create(struct sy_db *db, const char *user_id, const char *algorithm,
                                const char *auth_data, int64_t *version, struct sy_error *err);
/*
 * The version 'version' (< 0: the newest) that is not deleted: 0 and
 * *out, or SY_ENOTFOUND.  'lock' takes a row lock until the transaction
 * ends (serialises uploads to one version).
 */
int sy_db_backup_version_get(struct sy_db *db, struct sy_arena *a, const char *user_id,
                             int64_t version, int lock, struct sy_db_backup_version *out,
                             struct sy_error *err);
/* Replace auth_data; SY_ENOTFOUND when there is no such live version. */
int sy_db_backup_version_update(struct sy_db *db, const char *user_id, int64_t version,
                                const char *auth_data, struct sy_error *err);
/* Mark deleted and drop its keys; SY_ENOTFOUND when there is no such live version. */
int sy_db_backup_version_delete(struct sy_db *db, const char *user_id, int64_t version,
                                struct sy_error *err);
/* etag + 1. */
int sy_db_backup_etag_bump(struct sy_db *db, const char *user_id, int64_t version,
                           struct sy_error *err);

/* One key: 0 and *out, or SY_ENOTFOUND. */
int sy_db_room_key_get(struct sy_db *db, struct sy_arena *a, const char *user_id, int64_t version,
                       const char *room_id, const char *session_id, struct sy_db_room_key *out,
                       struct sy_error *err);
/* Insert or replace one key. */
int sy_db_room_key_put(struct sy_db *db, const char *user_id, int64_t version,
                       const struct sy_db_room_key *k, struct sy_error *err);
/* Keys of the version, optionally of one room and one session (NULL: all). */
int sy_db_room_keys_list(struct sy_db *db, struct sy_arena *a, const char *user_id, int64_t version,
                         const char *room_id, const char *session_id, struct sy_db_room_key **out,
                         size_t *n, struct sy_error *err);
/* Delete keys of the version, optionally of one room and one session. */
int sy_db_room_keys_delete(struct sy_db *db, const char *user_id, int64_t version,
                           const char *room_id, const char *session_id, struct sy_error *err);

#endif /* SY_DB_KEY_BACKUP_H */
