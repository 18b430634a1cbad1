/*
 * db/rooms.h -- room rows.
 */
#ifndef SY_DB_ROOMS_H
#define SY_DB_ROOMS_H

#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

struct sy_db_room {
    const char *room_id;
    const char *version;
    const char *creator;
    int64_t created_ts;
    int64_t current_state_group; /* 0 before the first state event */
    int is_public;
};

/* SY_ECONFLICT when the room ID is taken. */
int sy_db_room_insert(struct sy_db *db, const char *room_id, const char *version,
                      const char *creator, int64_t now_ms, struct sy_error *err);
/* 0 and *out, or SY_ENOTFOUND (M_NOT_FOUND). */
int sy_db_room_get(struct sy_db *db, struct sy_arena *a, const char *room_id,
                   struct sy_db_room *out, struct sy_error *err);
/*
 * Lock the rows of the rooms ids[0..n) that exist, in room_id order, until
 * the transaction ends (one writer per room): *out in 'a'.
 */
int sy_db_rooms_lock_many(struct sy_db *db, struct sy_arena *a, const char *const *ids, size_t n,
                          struct sy_db_room **out, size_t *n_out, struct sy_error *err);
int sy_db_room_set_state_group(struct sy_db *db, const char *room_id, int64_t group,
                               struct sy_error *err);

/* Publish (1) or unpublish (0) a room in the directory; SY_ENOTFOUND when unknown. */
int sy_db_room_set_public(struct sy_db *db, const char *room_id, int is_public,
                          struct sy_error *err);

#endif /* SY_DB_ROOMS_H */
