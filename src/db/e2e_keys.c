/*
 * db/e2e_keys.c -- end-to-end encryption keys and the device_lists stream.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db/e2e_keys.h"
#include "db/internal.h"
#include "util/arena.h"
#include "util/err.h"

/* Rooms $1 is joined to, and the users joined to any of them (including $1). */
#define MY_ROOMS                                                                                   \
    "my_rooms AS (SELECT room_id FROM current_state WHERE type = 'm.room.member' "                 \
    "AND state_key = $1 AND membership = 'join'), "                                                \
    "shared AS (SELECT DISTINCT state_key AS user_id FROM current_state "                          \
    "WHERE type = 'm.room.member' AND membership = 'join' "                                        \
    "AND room_id IN (SELECT room_id FROM my_rooms)) "

/* Membership events in ($4, $5] of the events stream. */
#define MEMBER_IN_RANGE                                                                            \
    "type = 'm.room.member' AND rejected IS NULL AND stream_ordering > $4 "                        \
    "AND stream_ordering <= $5 "

const struct sy_stmt sy_db_e2e_keys_stmts[] = {
    {"e2e_dk_get", "SELECT key_json FROM e2e_device_keys WHERE user_id = $1 AND device_id = $2"},
    {"e2e_dk_set",
     "INSERT INTO e2e_device_keys (user_id, device_id, key_json) "
     "SELECT user_id, device_id, $3 FROM devices WHERE user_id = $1 AND device_id = $2 "
     "ON CONFLICT (user_id, device_id) DO UPDATE SET key_json = EXCLUDED.key_json"},
    {"e2e_dk_of",
     "SELECT k.user_id, k.device_id, k.key_json, d.display_name FROM e2e_device_keys k "
     "JOIN devices d USING (user_id, device_id) WHERE k.user_id = ANY($1::text[]) "
     "ORDER BY k.user_id, k.device_id"},
    {"e2e_otk_get", "SELECT key_json FROM e2e_one_time_keys WHERE user_id = $1 AND "
                    "device_id = $2 AND algorithm = $3 AND key_id = $4"},
    {"e2e_otk_put", "INSERT INTO e2e_one_time_keys (user_id, device_id, algorithm, key_id, "
                    "key_json) VALUES ($1, $2, $3, $4, $5)"},
    {"e2e_otk_counts",
     "SELECT algorithm, count(*) FROM e2e_one_time_keys WHERE user_id = $1 AND device_id = $2 "
     "GROUP BY algorithm ORDER BY algorithm"},
    /* SKIP LOCKED: two claimers never get the same key, and neither waits on the other. */
    {"e2e_otk_claim",
     "DELETE FROM e2e_one_time_keys WHERE (user_id, device_id, algorithm, key_id) = "
     "(SELECT user_id, device_id, algorithm, key_id FROM e2e_one_time_keys "
     "WHERE user_id = $1 AND device_id = $2 AND algorithm = $3 ORDER BY key_id LIMIT 1 "
     "FOR UPDATE SKIP LOCKED) RETURNING key_id, key_json"},
    {"e2e_fb_set",
     "INSERT INTO e2e_fallback_keys (user_id, device_id, algorithm, key_id, key_json, used) "
     "VALUES ($1, $2, $3, $4, $5, false) ON CONFLICT (user_id, device_id, algorithm) DO UPDATE "
     "SET key_id = EXCLUDED.key_id, key_json = EXCLUDED.key_json, used = false "
     "WHERE e2e_fallback_keys.key_id <> EXCLUDED.key_id "
     "OR e2e_fallback_keys.key_json <> EXCLUDED.key_json"},
    {"e2e_fb_claim",
     "UPDATE e2e_fallback_keys SET used = true WHERE user_id = $1 AND device_id = $2 "
     "AND algorithm = $3 RETURNING key_id, key_json"},
    {"e2e_fb_unused", "SELECT algorithm FROM e2e_fallback_keys WHERE user_id = $1 "
                      "AND device_id = $2 AND NOT used ORDER BY algorithm"},
    {"e2e_xs_get", "SELECT user_id, keytype, pubkey, key_json FROM e2e_cross_signing_keys "
                   "WHERE user_id = $1 AND keytype = $2"},
    {"e2e_xs_set", "INSERT INTO e2e_cross_signing_keys (user_id, keytype, pubkey, key_json) "
                   "VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, keytype) DO UPDATE "
                   "SET pubkey = EXCLUDED.pubkey, key_json = EXCLUDED.key_json"},
    {"e2e_xs_of", "SELECT user_id, keytype, pubkey, key_json FROM e2e_cross_signing_keys "
                  "WHERE user_id = ANY($1::text[]) ORDER BY user_id, keytype"},
    {"e2e_sigs_of",
     "SELECT signer_user, signer_key_id, target_user, target_key, signature FROM e2e_signatures "
     "WHERE target_user = ANY($1::text[]) "
     "ORDER BY target_user, target_key, signer_user, signer_key_id"},
    {"e2e_sig_put",
     "INSERT INTO e2e_signatures (signer_user, signer_key_id, target_user, target_key, "
     "signature) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (target_user, target_key, "
     "signer_user, signer_key_id) DO UPDATE SET signature = EXCLUDED.signature"},
    {"dl_record", "INSERT INTO device_list_changes (pos, user_id) VALUES ($2, $1) "
                  "ON CONFLICT DO NOTHING"},
    /* $1 user, ($2, $3] device_lists range, ($4, $5] events range. */
    {"dl_changed",
     "WITH " MY_ROOMS ", "
     "joined_now AS (SELECT DISTINCT room_id FROM events WHERE " MEMBER_IN_RANGE
     "AND state_key = $1 AND membership = 'join' AND room_id IN (SELECT room_id FROM my_rooms)) "
     "SELECT user_id FROM device_list_changes WHERE pos > $2 AND pos <= $3 "
     "AND user_id IN (SELECT user_id FROM shared) "
     "UNION SELECT state_key FROM events WHERE " MEMBER_IN_RANGE "AND membership = 'join' "
     "AND state_key <> $1 AND room_id IN (SELECT room_id FROM my_rooms) "
     "AND state_key IN (SELECT user_id FROM shared) "
     "UNION SELECT state_key FROM current_state WHERE type = 'm.room.member' "
     "AND membership = 'join' AND state_key <> $1 "
     "AND room_id IN (SELECT room_id FROM joined_now) ORDER BY 1"},
    {"dl_left",
     "WITH " MY_ROOMS ", "
     "cand AS (SELECT state_key AS user_id FROM events WHERE " MEMBER_IN_RANGE
     "AND membership IN ('leave', 'ban') AND room_id IN (SELECT room_id FROM my_rooms) "
     "UNION SELECT state_key FROM current_state WHERE type = 'm.room.member' "
     "AND membership = 'join' AND room_id IN (SELECT room_id FROM events WHERE " MEMBER_IN_RANGE
     "AND state_key = $1 AND membership IN ('leave', 'ban'))) "
     "SELECT user_id FROM cand WHERE user_id <> $1 "
     "AND user_id NOT IN (SELECT user_id FROM shared) "
     "AND $2::bigint IS NOT NULL AND $3::bigint IS NOT NULL ORDER BY 1"},
    {NULL, NULL},
};

/* Row 0's columns 0 and 1 (or only 0 when *second is NULL); SY_ENOTFOUND without rows. */
static int
exec_one(struct sy_db *db, struct sy_arena *a, const char *stmt, int n, const char *const *p,
         const char **first, const char **second, const char *what, struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, stmt, n, p, err);
    int rc = SY_OK;

    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0) {
        rc = sy_err_notfound(err, "%s", what);
    } else {
        *first = sy_arena_strdup(a, sy_db_val(res, 0, 0));
        if (second != NULL)
            *second = sy_arena_strdup(a, sy_db_val(res, 0, 1));
    }
    PQclear(res);
    return rc;
}

int
sy_db_e2e_device_keys_get(struct sy_db *db, struct sy_arena *a, const char *user_id,
                          const char *device_id, const char **json, struct sy_error *err)
{
    const char *p[2] = {user_id, device_id};

    return exec_one(db, a, "e2e_dk_get", 2, p, json, NULL, "no device keys", err);
}

int
sy_db_e2e_device_keys_set(struct sy_db *db, const char *user_id, const char *device_id,
                          const char *json, struct sy_error *err)
{
    const char *p[3] = {user_id, device_id, json};
    long rows = 0;
    int rc = sy_db_run(db, "e2e_dk_set", 3, p, &rows, err);

    if (rc == SY_OK && rows == 0)
        return sy_err_notfound(err, "no such device");
    return rc;
}

int
sy_db_e2e_device_keys_of(struct sy_db *db, struct sy_arena *a, const char *const *users, size_t n,
                         struct sy_db_device_keys **out, size_t *n_out, struct sy_error *err)
{
    const char *arr = sy_db_text_array(a, users, n);
    PGresult *res = sy_db_exec(db, "e2e_dk_of", 1, &arr, err);
    int rows;

    if (res == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(**out) * (size_t)(rows + 1));
    for (int r = 0; r < rows; r++) {
        (*out)[r].user_id = sy_arena_strdup(a, sy_db_val(res, r, 0));
        (*out)[r].device_id = sy_arena_strdup(a, sy_db_val(res, r, 1));
        (*out)[r].key_json = sy_arena_strdup(a, sy_db_val(res, r, 2));
        (*out)[r].display_name = sy_arena_strdup(a, sy_db_val(res, r, 3));
    }
    *n_out = (size_t)rows;
    PQclear(res);
    return SY_OK;
}

int
sy_db_e2e_otk_get(struct sy_db *db, struct sy_arena *a, const char *user_id, const char *device_id,
                  const char *algorithm, const char *key_id, const char **json,
                  struct sy_error *err)
{
    const char *p[4] = {user_id, device_id, algorithm, key_id};

    return exec_one(db, a, "e2e_otk_get", 4, p, json, NULL, "no such key", err);
}

int
sy_db_e2e_otk_put(struct sy_db *db, const char *user_id, const char *device_id,
                  const char *algorithm, const char *key_id, const char *json, struct sy_error *err)
{
    const char *p[5] = {user_id, device_id, algorithm, key_id, json};

    return sy_db_run(db, "e2e_otk_put", 5, p, NULL, err);
}

int
sy_db_e2e_otk_counts(struct sy_db *db, struct sy_arena *a, const char *user_id,
                     const char *device_id, struct sy_db_key_count **out, size_t *n,
                     struct sy_error *err)
{
    const char *p[2] = {user_id, device_id};
    PGresult *res = sy_db_exec(db, "e2e_otk_counts", 2, p, err);
    int rows;

    if (res == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(**out) * (size_t)(rows + 1));
    for (int r = 0; r < rows; r++) {
        (*out)[r].algorithm = sy_arena_strdup(a, sy_db_val(res, r, 0));
        (*out)[r].count = strtoll(sy_db_val(res, r, 1), NULL, 10);
    }
    *n = (size_t)rows;
    PQclear(res);
    return SY_OK;
}

int
sy_db_e2e_otk_claim(struct sy_db *db, struct sy_arena *a, const char *user_id,
                    const char *device_id, const char *algorithm, const char **key_id,
                    const char **json, struct sy_error *err)
{
    const char *p[3] = {user_id, device_id, algorithm};

    return exec_one(db, a, "e2e_otk_claim", 3, p, key_id, json, "no one-time key", err);
}

int
sy_db_e2e_fallback_set(struct sy_db *db, const char *user_id, const char *device_id,
                       const char *algorithm, const char *key_id, const char *json,
                       struct sy_error *err)
{
    const char *p[5] = {user_id, device_id, algorithm, key_id, json};

    return sy_db_run(db, "e2e_fb_set", 5, p, NULL, err);
}

int
sy_db_e2e_fallback_claim(struct sy_db *db, struct sy_arena *a, const char *user_id,
                         const char *device_id, const char *algorithm, const char **key_id,
                         const char **json, struct sy_error *err)
{
    const char *p[3] = {user_id, device_id, algorithm};

    return exec_one(db, a, "e2e_fb_claim", 3, p, key_id, json, "no fallback key", err);
}

int
sy_db_e2e_fallback_unused(struct sy_db *db, struct sy_arena *a, const char *user_id,
                          const char *device_id, const char ***algs, size_t *n,
                          struct sy_error *err)
{
    const char *p[2] = {user_id, device_id};

    return sy_db_strings(db, a, "e2e_fb_unused", 2, p, algs, n, err);
}

static void
read_xsign(struct sy_arena *a, PGresult *res, int r, struct sy_db_xsign_key *k)
{
    k->user_id = sy_arena_strdup(a, sy_db_val(res, r, 0));
    k->keytype = sy_arena_strdup(a, sy_db_val(res, r, 1));
    k->pubkey = sy_arena_strdup(a, sy_db_val(res, r, 2));
    k->key_json = sy_arena_strdup(a, sy_db_val(res, r, 3));
}

int
sy_db_e2e_xsign_get(struct sy_db *db, struct sy_arena *a, const char *user_id, const char *keytype,
                    struct sy_db_xsign_key *out, struct sy_error *err)
{
    const char *p[2] = {user_id, keytype};
    PGresult *res = sy_db_exec(db, "e2e_xs_get", 2, p, err);
    int rc = SY_OK;

    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0)
        rc = sy_err_notfound(err, "no %s key", keytype);
    else
        read_xsign(a, res, 0, out);
    PQclear(res);
    return rc;
}

int
sy_db_e2e_xsign_set(struct sy_db *db, const char *user_id, const char *keytype, const char *pubkey,
                    const char *json, struct sy_error *err)
{
    const char *p[4] = {user_id, keytype, pubkey, json};

    return sy_db_run(db, "e2e_xs_set", 4, p, NULL, err);
}

int
sy_db_e2e_xsign_of(struct sy_db *db, struct sy_arena *a, const char *const *users, size_t n,
                   struct sy_db_xsign_key **out, size_t *n_out, struct sy_error *err)
{
    const char *arr = sy_db_text_array(a, users, n);
    PGresult *res = sy_db_exec(db, "e2e_xs_of", 1, &arr, err);
    int rows;

    if (res == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(**out) * (size_t)(rows + 1));
    for (int r = 0; r < rows; r++)
        read_xsign(a, res, r, &(*out)[r]);
    *n_out = (size_t)rows;
    PQclear(res);
    return SY_OK;
}

int
sy_db_e2e_sigs_of(struct sy_db *db, struct sy_arena *a, const char *const *users, size_t n,
                  struct sy_db_e2e_sig **out, size_t *n_out, struct sy_error *err)
{
    const char *arr = sy_db_text_array(a, users, n);
    PGresult *res = sy_db_exec(db, "e2e_sigs_of", 1, &arr, err);
    int rows;

    if (res == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(**out) * (size_t)(rows + 1));
    for (int r = 0; r < rows; r++) {
        struct sy_db_e2e_sig *s = &(*out)[r];

        s->signer_user = sy_arena_strdup(a, sy_db_val(res, r, 0));
        s->signer_key_id = sy_arena_strdup(a, sy_db_val(res, r, 1));
        s->target_user = sy_arena_strdup(a, sy_db_val(res, r, 2));
        s->target_key = sy_arena_strdup(a, sy_db_val(res, r, 3));
        s->signature = sy_arena_strdup(a, sy_db_val(res, r, 4));
    }
    *n_out = (size_t)rows;
    PQclear(res);
    return SY_OK;
}

int
sy_db_e2e_sig_put(struct sy_db *db, const struct sy_db_e2e_sig *s, struct sy_error *err)
{
    const char *p[5] = {s->signer_user, s->signer_key_id, s->target_user, s->target_key,
                        s->signature};

    return sy_db_run(db, "e2e_sig_put", 5, p, NULL, err);
}

int
sy_db_device_list_record(struct sy_db *db, const char *user_id, int64_t pos, struct sy_error *err)
{
    char ps[24];
    const char *p[2] = {user_id, ps};

    snprintf(ps, sizeof(ps), "%lld", (long long)pos);
    return sy_db_run(db, "dl_record", 2, p, NULL, err);
}

int
sy_db_device_list_changes(struct sy_db *db, struct sy_arena *a, const char *user_id,
                          int64_t dl_from, int64_t dl_to, int64_t ev_from, int64_t ev_to,
                          const char ***changed, size_t *n_changed, const char ***left,
                          size_t *n_left, struct sy_error *err)
{
    char b[4][24];
    const char *p[5] = {user_id, b[0], b[1], b[2], b[3]};

    snprintf(b[0], sizeof(b[0]), "%lld", (long long)dl_from);
    snprintf(b[1], sizeof(b[1]), "%lld", (long long)dl_to);
    snprintf(b[2], sizeof(b[2]), "%lld", (long long)ev_from);
    snprintf(b[3], sizeof(b[3]), "%lld", (long long)ev_to);
    if (sy_db_strings(db, a, "dl_changed", 5, p, changed, n_changed, err) != SY_OK)
        return err->code;
    return sy_db_strings(db, a, "dl_left", 5, p, left, n_left, err);
}
