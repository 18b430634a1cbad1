/*
 * db/regtokens.h -- registration tokens (the spec's m.login.registration_token)
 * and shared-secret registration nonces.
 */
#ifndef SY_DB_REGTOKENS_H
#define SY_DB_REGTOKENS_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

struct sy_regtoken {
    const char *token;
    int uses_allowed; /* -1: unlimited */
    int completed;
    int64_t expiry_ts; /* 0: never */
};

int sy_db_regtoken_add(struct sy_db *db, const struct sy_regtoken *t, int64_t now_ms,
                       struct sy_error *err);
/* 1 if the token exists, is not expired at now_ms and has uses left; 0 if not; <0 on error. */
int sy_db_regtoken_valid(struct sy_db *db, const char *token, int64_t now_ms,
                         struct sy_error *err);
/* Count one completed registration; SY_EFORBIDDEN when no use is left. */
int sy_db_regtoken_use(struct sy_db *db, const char *token, int64_t now_ms,
                       struct sy_error *err);
int sy_db_regtoken_list(struct sy_db *db, struct sy_arena *a, struct sy_regtoken **out,
                        size_t *n, struct sy_error *err);
/* SY_ENOTFOUND when there is no such token. */
int sy_db_regtoken_delete(struct sy_db *db, const char *token, struct sy_error *err);

/*
 * Nonces for shared-secret registration.  add also drops nonces made
 * before expire_before_ms.  take consumes a nonce made after
 * not_before_ms: 0, or SY_EINVAL (M_UNKNOWN) when unknown, used or stale.
 */
int sy_db_regnonce_add(struct sy_db *db, const char *nonce, int64_t now_ms,
                       int64_t expire_before_ms, struct sy_error *err);
int sy_db_regnonce_take(struct sy_db *db, const char *nonce, int64_t not_before_ms,
                        struct sy_error *err);

#endif /* SY_DB_REGTOKENS_H */
