/*
 * db/users.h -- account rows: users, passwords, profile, admin flags.
 *
 * Each call runs prepared statements on the calling thread's connection.
 * Strings in results are copied into the caller's arena.
 */
#ifndef SY_DB_USERS_H
#define SY_DB_USERS_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

struct sy_user {
    const char *user_id;
    const char *localpart;
    const char *password_hash; /* NULL: no password */
    int is_admin;
    int is_guest;
    int deactivated;
    int64_t created_ts;
    const char *displayname; /* NULL when unset */
    const char *avatar_url;  /* NULL when unset */
};

/* 0, or SY_ECONFLICT when the user ID or localpart is taken, or SY_EDB. */
int sy_db_user_create(struct sy_db *db, const struct sy_user *u, struct sy_error *err);
/* 0 and *out, SY_ENOTFOUND, or SY_EDB. */
int sy_db_user_get(struct sy_db *db, struct sy_arena *a, const char *user_id, struct sy_user *out,
                   struct sy_error *err);
/* 1 (taken), 0 (free), or a negative code.  Deactivated accounts stay taken. */
int sy_db_user_localpart_taken(struct sy_db *db, const char *localpart, struct sy_error *err);
int sy_db_user_set_password(struct sy_db *db, const char *user_id, const char *hash,
                            struct sy_error *err);
int sy_db_user_set_admin(struct sy_db *db, const char *user_id, int admin, struct sy_error *err);
/* Marks deactivated and drops the password and profile; SY_ENOTFOUND if no such user. */
int sy_db_user_deactivate(struct sy_db *db, const char *user_id, struct sy_error *err);
/* field is "displayname" or "avatar_url"; value NULL clears it. */
int sy_db_user_set_profile(struct sy_db *db, const char *user_id, const char *field,
                           const char *value, struct sy_error *err);
/* All users, ordered by user ID; *out is an arena array of *n entries. */
int sy_db_user_list(struct sy_db *db, struct sy_arena *a, struct sy_user **out, size_t *n,
                    struct sy_error *err);

#endif /* SY_DB_USERS_H */
