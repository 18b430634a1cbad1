/*
 * db/tokens.h -- access tokens, stored only as hex SHA-256 hashes.
 */
#ifndef SY_DB_TOKENS_H
#define SY_DB_TOKENS_H

#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

struct sy_token_owner {
    const char *user_id;
    const char *device_id;
    int is_guest;
    int is_admin;
    int64_t last_seen_ts;     /* the device's, 0 when never */
    const char *last_seen_ip; /* the device's, NULL when never */
};

int sy_db_token_add(struct sy_db *db, const char *hash_hex, const char *user_id,
                    const char *device_id, int64_t now_ms, struct sy_error *err);
/* 0 and *out; SY_ENOTFOUND for an unknown token or a deactivated owner. */
int sy_db_token_lookup(struct sy_db *db, struct sy_arena *a, const char *hash_hex,
                       struct sy_token_owner *out, struct sy_error *err);
/* Drop every token of one device (a re-login with that device ID replaces them). */
int sy_db_token_delete_device(struct sy_db *db, const char *user_id, const char *device_id,
                              struct sy_error *err);

/*
 * A counter that moves after every committed change that can end a
 * token's validity or change what it grants (token or device removed,
 * account deactivated, admin flag set): at once for changes made through
 * this process, when the NOTIFY arrives for others'.  A
 * cache of look-ups read it before looking up and keeps an answer only
 * while it has not moved.
 */
uint64_t sy_db_auth_generation(void);
void sy_db_auth_generation_bump(void);

/*
 * Changes made by other processes reach us by NOTIFY (db/auth_listen.c):
 * start the listener thread with the node's DSN; while it is connected
 * sy_db_auth_cache_ok() is 1 and cached look-ups may be used.
 */
int sy_db_auth_listen_start(const char *dsn, struct sy_error *err);
void sy_db_auth_listen_stop(void);
int sy_db_auth_cache_ok(void);

#endif /* SY_DB_TOKENS_H */
