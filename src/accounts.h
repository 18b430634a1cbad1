/*
 * accounts.h -- the account operations shared by the Client-Server API
 * and syncroctl: create, authenticate, open a session, change password,
 * deactivate.  Each call that writes more than one row runs in one
 * transaction.  Strings in results live in the caller's arena.
 */
#ifndef SY_ACCOUNTS_H
#define SY_ACCOUNTS_H

struct sy_arena;
struct sy_db;
struct sy_error;
struct sy_config;
#include <stddef.h>

struct sy_new_account {
    const char *localpart;   /* validated here */
    const char *password;    /* NULL: no password login */
    const char *displayname; /* NULL: the localpart */
    int is_guest;
    int is_admin;
};

/*
 * Create a local account.  0 and *user_id; SY_EINVAL M_INVALID_USERNAME,
 * SY_ECONFLICT M_USER_IN_USE, or SY_EDB.  Does not open a session.
 */
int sy_account_create(struct sy_db *db, struct sy_arena *a, const struct sy_config *cfg,
                      const struct sy_new_account *acct, const char **user_id,
                      struct sy_error *err);

/*
 * Check a password for a user ID; 0 when it matches an active account,
 * else SY_EFORBIDDEN M_FORBIDDEN (the same answer for unknown users,
 * deactivated accounts and wrong passwords).
 */
int sy_account_check_password(struct sy_db *db, struct sy_arena *a, const struct sy_config *cfg,
                              const char *user_id, const char *password, struct sy_error *err);

struct sy_session {
    const char *user_id;
    const char *device_id;
    const char *access_token; /* plaintext: goes to the client once, never stored */
};

/*
 * Open a session: make (or reuse) the device and issue a new access token.
 * Reusing a device ID replaces that device's old tokens.  device_id NULL
 * makes a new one.
 */
int sy_account_open_session(struct sy_db *db, struct sy_arena *a, const char *user_id,
                            const char *device_id, const char *display_name, const char *ip,
                            struct sy_session *out, struct sy_error *err);

/*
 * Set a new password (checked against password.min_length).  With
 * logout_devices, every device but 'keep_device' (may be NULL) is deleted.
 */
int sy_account_set_password(struct sy_db *db, struct sy_arena *a, const struct sy_config *cfg,
                            const char *user_id, const char *password, int logout_devices,
                            const char *keep_device, struct sy_error *err);

/*
 * Delete devices of user_id (their tokens and keys go with them) in one
 * transaction, and tell room-mates' clients the device list changed.
 * Deleting a device that does not exist is not an error.
 */
int sy_account_delete_devices(struct sy_db *db, struct sy_arena *a, const char *user_id,
                              const char *const *device_ids, size_t n, struct sy_error *err);
/* The same for all of user_id's devices but 'keep' (NULL: all). */
int sy_account_delete_all_devices(struct sy_db *db, struct sy_arena *a, const char *user_id,
                                  const char *keep, struct sy_error *err);

/* Deactivate: no password, no profile, no devices or tokens; the ID stays taken. */
int sy_account_deactivate(struct sy_db *db, struct sy_arena *a, const char *user_id,
                          struct sy_error *err);

#endif /* SY_ACCOUNTS_H */
