/*
 * db/aliases.h -- room alias rows, the public-directory flag of a room, and
 * the rooms a user has forgotten.
 *
 * Each call runs prepared statements on the calling thread's connection.
 * Strings in results are copied into the caller's arena.  An alias row
 * whose room_id is "" is a reservation made while its room is being
 * created (createRoom): it is taken, but resolves to nothing.
 */
#ifndef SY_DB_ALIASES_H
#define SY_DB_ALIASES_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

/* 0, SY_ECONFLICT when the alias exists (also as a reservation), or SY_EDB.
 * room_id "" reserves the alias. */
int sy_db_alias_create(struct sy_db *db, const char *alias, const char *room_id,
                       const char *creator, int64_t now_ms, struct sy_error *err);
/* Point a reserved (or existing) alias at room_id; SY_ENOTFOUND if there is no row. */
int sy_db_alias_set_room(struct sy_db *db, const char *alias, const char *room_id,
                         struct sy_error *err);
/* 0 with *room_id and *creator (either may be NULL when not wanted), or
 * SY_ENOTFOUND (M_NOT_FOUND) for an unknown or merely reserved alias. */
int sy_db_alias_get(struct sy_db *db, struct sy_arena *a, const char *alias, const char **room_id,
                    const char **creator, struct sy_error *err);
/* 0, or SY_ENOTFOUND when there was no such alias. */
int sy_db_alias_delete(struct sy_db *db, const char *alias, struct sy_error *err);
/* The aliases of room_id, sorted: *out is an arena array of *n strings. */
int sy_db_alias_list(struct sy_db *db, struct sy_arena *a, const char *room_id, const char ***out,
                     size_t *n, struct sy_error *err);

/* Record that user_id forgot room_id (idempotent). */
int sy_db_room_forget(struct sy_db *db, const char *user_id, const char *room_id,
                      struct sy_error *err);
/* Drop that record again (a new join, invite or knock); idempotent. */
int sy_db_room_unforget(struct sy_db *db, const char *user_id, const char *room_id,
                        struct sy_error *err);
/* 1 if user_id forgot room_id, 0 if not, or a negative code. */
int sy_db_room_is_forgotten(struct sy_db *db, const char *user_id, const char *room_id,
                            struct sy_error *err);

#endif /* SY_DB_ALIASES_H */
