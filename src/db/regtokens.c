/*
 * db/regtokens.c -- registration tokens.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db/internal.h"
#include "db/regtokens.h"
#include "util/arena.h"
#include "util/err.h"

#define USABLE "(uses_allowed IS NULL OR completed < uses_allowed) AND " \
               "(expiry_ts IS NULL OR expiry_ts > $2)"

const struct sy_stmt sy_db_regtokens_stmts[] = {
    {"regtokens_add", "INSERT INTO registration_tokens (token, uses_allowed, expiry_ts, "
                      "created_ts) VALUES ($1, $2, $3, $4)"},
    {"regtokens_valid", "SELECT 1 FROM registration_tokens WHERE token = $1 AND " USABLE},
    {"regtokens_use", "UPDATE registration_tokens SET completed = completed + 1 "
                      "WHERE token = $1 AND " USABLE},
    {"regtokens_list", "SELECT token, uses_allowed, completed, expiry_ts "
                       "FROM registration_tokens ORDER BY token"},
    {"regtokens_delete", "DELETE FROM registration_tokens WHERE token = $1"},
    {"regnonce_add", "INSERT INTO registration_nonces (nonce, created_ts) VALUES ($1, $2)"},
    {"regnonce_take", "DELETE FROM registration_nonces WHERE nonce = $1 AND created_ts > $2"},
    {"regnonce_expire", "DELETE FROM registration_nonces WHERE created_ts <= $1"},
    {NULL, NULL},
};

int
sy_db_regtoken_add(struct sy_db *db, const struct sy_regtoken *t, int64_t now_ms,
                   struct sy_error *err)
{
    char uses[16], exp[24], ts[24];
    const char *p[4] = {t->token, NULL, NULL, ts};
    PGresult *res;

    if (t->uses_allowed >= 0) {
        snprintf(uses, sizeof(uses), "%d", t->uses_allowed);
        p[1] = uses;
    }
    if (t->expiry_ts > 0) {
        snprintf(exp, sizeof(exp), "%lld", (long long)t->expiry_ts);
        p[2] = exp;
    }
    snprintf(ts, sizeof(ts), "%lld", (long long)now_ms);
    if ((res = sy_db_exec(db, "regtokens_add", 4, p, err)) == NULL)
        return err->code;
    PQclear(res);
    return SY_OK;
}

int
sy_db_regtoken_valid(struct sy_db *db, const char *token, int64_t now_ms, struct sy_error *err)
{
    char ts[24];
    const char *p[2] = {token, ts};
    PGresult *res;
    int valid;

    snprintf(ts, sizeof(ts), "%lld", (long long)now_ms);
    if ((res = sy_db_exec(db, "regtokens_valid", 2, p, err)) == NULL)
        return err->code;
    valid = PQntuples(res) > 0;
    PQclear(res);
    return valid;
}

int
sy_db_regtoken_use(struct sy_db *db, const char *token, int64_t now_ms, struct sy_error *err)
{
    char ts[24];
    const char *p[2] = {token, ts};
    PGresult *res;
    long rows;

    snprintf(ts, sizeof(ts), "%lld", (long long)now_ms);
    if ((res = sy_db_exec(db, "regtokens_use", 2, p, err)) == NULL)
        return err->code;
    rows = sy_db_affected(res);
    PQclear(res);
    if (rows == 0)
        return sy_error_set(err, SY_EFORBIDDEN, 401, "M_FORBIDDEN",
                            "registration token is no longer valid");
    return SY_OK;
}

int
sy_db_regtoken_list(struct sy_db *db, struct sy_arena *a, struct sy_regtoken **out, size_t *n,
                    struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, "regtokens_list", 0, NULL, err);
    int rows;

    if (res == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(struct sy_regtoken) * (size_t)(rows ? rows : 1));
    for (int r = 0; r < rows; r++) {
        struct sy_regtoken *t = &(*out)[r];
        const char *uses = sy_db_val(res, r, 1), *exp = sy_db_val(res, r, 3);

        t->token = sy_arena_strdup(a, PQgetvalue(res, r, 0));
        t->uses_allowed = uses ? atoi(uses) : -1;
        t->completed = atoi(PQgetvalue(res, r, 2));
        t->expiry_ts = exp ? strtoll(exp, NULL, 10) : 0;
    }
    *n = (size_t)rows;
    PQclear(res);
    return SY_OK;
}

int
sy_db_regtoken_delete(struct sy_db *db, const char *token, struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, "regtokens_delete", 1, &token, err);
    long rows;

    if (res == NULL)
        return err->code;
    rows = sy_db_affected(res);
    PQclear(res);
    return rows > 0 ? SY_OK : sy_err_notfound(err, "no such registration token");
}

int
sy_db_regnonce_add(struct sy_db *db, const char *nonce, int64_t now_ms, int64_t expire_before_ms,
                   struct sy_error *err)
{
    char ts[24], old[24];
    const char *p[2] = {nonce, ts};
    const char *e[1] = {old};
    PGresult *res;

    snprintf(ts, sizeof(ts), "%lld", (long long)now_ms);
    snprintf(old, sizeof(old), "%lld", (long long)expire_before_ms);
    if ((res = sy_db_exec(db, "regnonce_expire", 1, e, err)) == NULL)
        return err->code;
    PQclear(res);
    if ((res = sy_db_exec(db, "regnonce_add", 2, p, err)) == NULL)
        return err->code;
    PQclear(res);
    return SY_OK;
}

int
sy_db_regnonce_take(struct sy_db *db, const char *nonce, int64_t not_before_ms,
                    struct sy_error *err)
{
    char ts[24];
    const char *p[2] = {nonce, ts};
    PGresult *res;
    long rows;

    snprintf(ts, sizeof(ts), "%lld", (long long)not_before_ms);
    if ((res = sy_db_exec(db, "regnonce_take", 2, p, err)) == NULL)
        return err->code;
    rows = sy_db_affected(res);
    PQclear(res);
    return rows > 0 ? SY_OK : sy_err_invalid(err, "M_UNKNOWN", "unrecognised nonce");
}
