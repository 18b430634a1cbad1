/*
 * db/tokens.c -- access tokens.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db/internal.h"
#include "db/tokens.h"
#include "util/arena.h"
#include "util/err.h"

const struct sy_stmt sy_db_tokens_stmts[] = {
    {"tokens_add", "INSERT INTO access_tokens (token_hash, user_id, device_id, created_ts) "
                   "VALUES ($1, $2, $3, $4)"},
    {"tokens_lookup", "SELECT t.user_id, t.device_id, u.is_guest, u.is_admin, "
                      "coalesce(d.last_seen_ts, 0), d.last_seen_ip "
                      "FROM access_tokens t JOIN users u ON u.user_id = t.user_id "
                      "JOIN devices d ON d.user_id = t.user_id AND d.device_id = t.device_id "
                      "WHERE t.token_hash = $1 AND NOT u.deactivated"},
    {"tokens_delete_device", "DELETE FROM access_tokens WHERE user_id = $1 AND device_id = $2"},
    {NULL, NULL},
};

int
sy_db_token_add(struct sy_db *db, const char *hash_hex, const char *user_id,
                const char *device_id, int64_t now_ms, struct sy_error *err)
{
    char ts[24];
    const char *p[4] = {hash_hex, user_id, device_id, ts};
    PGresult *res;

    snprintf(ts, sizeof(ts), "%lld", (long long)now_ms);
    if ((res = sy_db_exec(db, "tokens_add", 4, p, err)) == NULL)
        return err->code;
    PQclear(res);
    return SY_OK;
}

int
sy_db_token_lookup(struct sy_db *db, struct sy_arena *a, const char *hash_hex,
                   struct sy_token_owner *out, struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, "tokens_lookup", 1, &hash_hex, err);
    int rc = SY_OK;

    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0) {
        rc = sy_error_set(err, SY_ENOTFOUND, 401, "M_UNKNOWN_TOKEN", "unknown access token");
    } else {
        out->user_id = sy_arena_strdup(a, PQgetvalue(res, 0, 0));
        out->device_id = sy_arena_strdup(a, PQgetvalue(res, 0, 1));
        out->is_guest = PQgetvalue(res, 0, 2)[0] == 't';
        out->is_admin = PQgetvalue(res, 0, 3)[0] == 't';
        out->last_seen_ts = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
        out->last_seen_ip = sy_arena_strdup(a, sy_db_val(res, 0, 5));
    }
    PQclear(res);
    return rc;
}

int
sy_db_token_delete_device(struct sy_db *db, const char *user_id, const char *device_id,
                          struct sy_error *err)
{
    const char *p[2] = {user_id, device_id};
    PGresult *res = sy_db_exec(db, "tokens_delete_device", 2, p, err);

    if (res == NULL)
        return err->code;
    PQclear(res);
    sy_db_auth_changed(db);
    return SY_OK;
}

static _Atomic uint64_t auth_generation;

uint64_t
sy_db_auth_generation(void)
{
    return auth_generation;
}

void
sy_db_auth_generation_bump(void)
{
    auth_generation++;
}

void
sy_db_auth_changed(struct sy_db *db)
{
    /* Other processes hear it at commit (db/auth_listen.c); a failure only costs them a cache. */
    PGresult *res = PQexec(db->conn, "NOTIFY syncro_auth");

    PQclear(res);
    if (db->in_tx)
        db->auth_changed = 1;
    else
        auth_generation++;
}
