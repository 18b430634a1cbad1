/*
 * db/key_backup.c -- room key backup versions and keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"
#include "db/key_backup.h"
#include "util/arena.h"
#include "util/err.h"

#define VERSION_COLS                                                                               \
    "v.version, v.algorithm, v.auth_data, v.etag, (SELECT count(*) FROM room_keys k "              \
    "WHERE k.user_id = v.user_id AND k.version = v.version) "
#define KEY_COLS                                                                                   \
    "room_id, session_id, first_message_index, forwarded_count, is_verified, session_data"

const struct sy_stmt sy_db_key_backup_stmts[] = {
    {"kb_create", "INSERT INTO room_key_versions (user_id, version, algorithm, auth_data) "
                  "SELECT $1, coalesce(max(version), 0) + 1, $2, $3 FROM room_key_versions "
                  "WHERE user_id = $1 RETURNING version"},
    {"kb_get", "SELECT " VERSION_COLS "FROM room_key_versions v WHERE v.user_id = $1 "
               "AND NOT v.deleted AND ($2::bigint < 0 OR v.version = $2) "
               "ORDER BY v.version DESC LIMIT 1"},
    {"kb_get_lock", "SELECT v.version FROM room_key_versions v WHERE v.user_id = $1 "
                    "AND NOT v.deleted AND v.version = $2 FOR UPDATE"},
    {"kb_update", "UPDATE room_key_versions SET auth_data = $3 WHERE user_id = $1 "
                  "AND version = $2 AND NOT deleted"},
    {"kb_delete", "UPDATE room_key_versions SET deleted = true WHERE user_id = $1 "
                  "AND version = $2 AND NOT deleted"},
    {"kb_etag", "UPDATE room_key_versions SET etag = etag + 1 WHERE user_id = $1 "
                "AND version = $2"},
    {"rk_get", "SELECT " KEY_COLS " FROM room_keys WHERE user_id = $1 AND version = $2 "
               "AND room_id = $3 AND session_id = $4"},
    {"rk_put", "INSERT INTO room_keys (user_id, version, " KEY_COLS ") "
               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
               "ON CONFLICT (user_id, version, room_id, session_id) DO UPDATE SET "
               "first_message_index = EXCLUDED.first_message_index, "
               "forwarded_count = EXCLUDED.forwarded_count, is_verified = EXCLUDED.is_verified, "
               "session_data = EXCLUDED.session_data"},
    {"rk_list", "SELECT " KEY_COLS " FROM room_keys WHERE user_id = $1 AND version = $2 "
                "AND ($3::text IS NULL OR room_id = $3) "
                "AND ($4::text IS NULL OR session_id = $4) ORDER BY room_id, session_id"},
    {"rk_delete", "DELETE FROM room_keys WHERE user_id = $1 AND version = $2 "
                  "AND ($3::text IS NULL OR room_id = $3) "
                  "AND ($4::text IS NULL OR session_id = $4)"},
    {NULL, NULL},
};

int
sy_db_backup_version_create(struct sy_db *db, const char *user_id, const char *algorithm,
                            const char *auth_data, int64_t *version, struct sy_error *err)
{
    const char *p[3] = {user_id, algorithm, auth_data};
    PGresult *res;

    /* Two creates racing pick the same number: the loser retries once. */
    for (int attempt = 0;; attempt++) {
        res = sy_db_exec(db, "kb_create", 3, p, err);
        if (res != NULL)
            break;
        if (err->code != SY_ECONFLICT || attempt > 0)
            return err->code;
    }
    *version = strtoll(sy_db_val(res, 0, 0), NULL, 10);
    PQclear(res);
    return SY_OK;
}

int
sy_db_backup_version_get(struct sy_db *db, struct sy_arena *a, const char *user_id, int64_t version,
                         int lock, struct sy_db_backup_version *out, struct sy_error *err)
{
    char vs[24];
    const char *p[2] = {user_id, vs};
    PGresult *res;
    int rc = SY_OK;

    snprintf(vs, sizeof(vs), "%lld", (long long)version);
    if (lock) {
        if ((res = sy_db_exec(db, "kb_get_lock", 2, p, err)) == NULL)
            return err->code;
        rc = PQntuples(res) == 0 ? sy_err_notfound(err, "unknown backup version") : SY_OK;
        PQclear(res);
        if (rc != SY_OK)
            return rc;
    }
    if ((res = sy_db_exec(db, "kb_get", 2, p, err)) == NULL)
        return err->code;
    if (PQntuples(res) == 0) {
        rc = sy_err_notfound(err,
                             version < 0 ? "no current backup version" : "unknown backup version");
    } else {
        out->version = strtoll(sy_db_val(res, 0, 0), NULL, 10);
        out->algorithm = sy_arena_strdup(a, sy_db_val(res, 0, 1));
        out->auth_data = sy_arena_strdup(a, sy_db_val(res, 0, 2));
        out->etag = strtoll(sy_db_val(res, 0, 3), NULL, 10);
        out->count = strtoll(sy_db_val(res, 0, 4), NULL, 10);
    }
    PQclear(res);
    return rc;
}

static int
version_cmd(struct sy_db *db, const char *stmt, const char *user_id, int64_t version,
            const char *extra, struct sy_error *err)
{
    char vs[24];
    const char *p[3] = {user_id, vs, extra};
    long rows = 0;

    snprintf(vs, sizeof(vs), "%lld", (long long)version);
    if (sy_db_run(db, stmt, extra != NULL ? 3 : 2, p, &rows, err) != SY_OK)
        return err->code;
    return rows == 0 ? sy_err_notfound(err, "unknown backup version") : SY_OK;
}

int
sy_db_backup_version_update(struct sy_db *db, const char *user_id, int64_t version,
                            const char *auth_data, struct sy_error *err)
{
    return version_cmd(db, "kb_update", user_id, version, auth_data, err);
}

int
sy_db_backup_version_delete(struct sy_db *db, const char *user_id, int64_t version,
                            struct sy_error *err)
{
    if (version_cmd(db, "kb_delete", user_id, version, NULL, err) != SY_OK)
        return err->code;
    return sy_db_room_keys_delete(db, user_id, version, NULL, NULL, err);
}

int
sy_db_backup_etag_bump(struct sy_db *db, const char *user_id, int64_t version, struct sy_error *err)
{
    return version_cmd(db, "kb_etag", user_id, version, NULL, err);
}

static void
read_key(struct sy_arena *a, PGresult *res, int r, struct sy_db_room_key *k)
{
    const char *v = sy_db_val(res, r, 4);

    k->room_id = sy_arena_strdup(a, sy_db_val(res, r, 0));
    k->session_id = sy_arena_strdup(a, sy_db_val(res, r, 1));
    k->first_message_index = strtoll(sy_db_val(res, r, 2), NULL, 10);
    k->forwarded_count = strtoll(sy_db_val(res, r, 3), NULL, 10);
    k->is_verified = v != NULL && v[0] == 't';
    k->session_data = sy_arena_strdup(a, sy_db_val(res, r, 5));
}

int
sy_db_room_key_get(struct sy_db *db, struct sy_arena *a, const char *user_id, int64_t version,
                   const char *room_id, const char *session_id, struct sy_db_room_key *out,
                   struct sy_error *err)
{
    char vs[24];
    const char *p[4] = {user_id, vs, room_id, session_id};
    PGresult *res;
    int rc = SY_OK;

    snprintf(vs, sizeof(vs), "%lld", (long long)version);
    if ((res = sy_db_exec(db, "rk_get", 4, p, err)) == NULL)
        return err->code;
    if (PQntuples(res) == 0)
        rc = sy_err_notfound(err, "no room key");
    else
        read_key(a, res, 0, out);
    PQclear(res);
    return rc;
}

int
sy_db_room_key_put(struct sy_db *db, const char *user_id, int64_t version,
                   const struct sy_db_room_key *k, struct sy_error *err)
{
    char vs[24], fmi[24], fc[24];
    const char *p[8] = {
        user_id,        vs, k->room_id, k->session_id, fmi, fc, k->is_verified ? "true" : "false",
        k->session_data};

    snprintf(vs, sizeof(vs), "%lld", (long long)version);
    snprintf(fmi, sizeof(fmi), "%lld", (long long)k->first_message_index);
    snprintf(fc, sizeof(fc), "%lld", (long long)k->forwarded_count);
    return sy_db_run(db, "rk_put", 8, p, NULL, err);
}

int
sy_db_room_keys_list(struct sy_db *db, struct sy_arena *a, const char *user_id, int64_t version,
                     const char *room_id, const char *session_id, struct sy_db_room_key **out,
                     size_t *n, struct sy_error *err)
{
    char vs[24];
    const char *p[4] = {user_id, vs, room_id, session_id};
    PGresult *res;
    int rows;

    snprintf(vs, sizeof(vs), "%lld", (long long)version);
    if ((res = sy_db_exec(db, "rk_list", 4, p, err)) == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(**out) * (size_t)(rows + 1));
    for (int r = 0; r < rows; r++)
        read_key(a, res, r, &(*out)[r]);
    *n = (size_t)rows;
    PQclear(res);
    return SY_OK;
}

int
sy_db_room_keys_delete(struct sy_db *db, const char *user_id, int64_t version, const char *room_id,
                       const char *session_id, struct sy_error *err)
{
    char vs[24];
    const char *p[4] = {user_id, vs, room_id, session_id};

    snprintf(vs, sizeof(vs), "%lld", (long long)version);
    return sy_db_run(db, "rk_delete", 4, p, NULL, err);
}
