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

#endif /* SY_DB_TOKENS_H */
