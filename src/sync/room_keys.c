/*
 * sync/room_keys.c -- server-side key backup rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/key_backup.h"
#include "json/canonical.h"
#include "json/json.h"
#include "sync/room_keys.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"

int64_t
sy_room_keys_version(const char *s)
{
    char *end;
    long long v;

    if (s == NULL || s[0] < '0' || s[0] > '9' || strlen(s) > 18)
        return -1;
    v = strtoll(s, &end, 10);
    return *end == '\0' && v > 0 ? v : -1;
}

static int
version_or_404(const char *s, int64_t *v, struct sy_error *err)
{
    if (s == NULL)
        return sy_err_invalid(err, "M_MISSING_PARAM", "missing 'version'");
    if ((*v = sy_room_keys_version(s)) < 0)
        return sy_err_notfound(err, "unknown backup version");
    return SY_OK;
}

static struct json_object *
parse_text(struct sy_arena *a, const char *text)
{
    struct sy_error err = {0};
    struct json_object *o = NULL;

    if (sy_json_parse(a, text, strlen(text), 64, &o, &err) != SY_OK)
        return json_object_new_object();
    return json_object_get(o);
}

static const char *
canonical_text(struct sy_arena *a, struct json_object *v, struct sy_error *err)
{
    struct sy_buf b;
    const char *out = NULL;

    sy_buf_init(&b, 1024 * 1024);
    if (sy_json_canonical(&b, v, err) == SY_OK)
        out = sy_arena_strndup(a, b.data ? b.data : "", b.len);
    sy_buf_free(&b);
    return out;
}

int
sy_room_keys_version_json(struct sy_db *db, struct sy_arena *a, const char *user_id,
                          int64_t version, struct json_object **out, struct sy_error *err)
{
    struct sy_db_backup_version v;

    if (sy_db_backup_version_get(db, a, user_id, version, 0, &v, err) != SY_OK)
        return err->code;
    *out = sy_json_new_object(a);
    json_object_object_add(*out, "algorithm", json_object_new_string(v.algorithm));
    json_object_object_add(*out, "auth_data", parse_text(a, v.auth_data));
    json_object_object_add(
        *out, "version", json_object_new_string(sy_arena_printf(a, "%lld", (long long)v.version)));
    json_object_object_add(*out, "etag",
                           json_object_new_string(sy_arena_printf(a, "%lld", (long long)v.etag)));
    json_object_object_add(*out, "count", json_object_new_int64(v.count));
    return SY_OK;
}

int
sy_room_keys_version_update(struct sy_db *db, struct sy_arena *a, const char *user_id,
                            int64_t version, const char *body_version, const char *algorithm,
                            const char *auth_data, struct sy_error *err)
{
    struct sy_db_backup_version v;

    if (body_version != NULL && sy_room_keys_version(body_version) != version)
        return sy_err_invalid(err, "M_INVALID_PARAM", "version in body does not match");
    if (sy_db_begin(db, err) != SY_OK)
        return err->code;
    if (sy_db_backup_version_get(db, a, user_id, version, 1, &v, err) != SY_OK)
        goto fail;
    if (strcmp(v.algorithm, algorithm) != 0) {
        sy_err_invalid(err, "M_INVALID_PARAM", "algorithm does not match");
        goto fail;
    }
    if (sy_db_backup_version_update(db, user_id, version, auth_data, err) != SY_OK ||
        sy_db_commit(db, err) != SY_OK)
        goto fail;
    return SY_OK;
fail:
    sy_db_rollback(db);
    return err->code;
}

/* Key data: first_message_index, forwarded_count (integers >= 0), is_verified, session_data. */
static int
check_key(struct sy_arena *a, const char *room_id, const char *session_id, struct json_object *kd,
          struct sy_db_room_key *k, struct sy_error *err)
{
    struct json_object *fmi = sy_json_get(kd, "first_message_index"),
                       *fc = sy_json_get(kd, "forwarded_count"),
                       *ver = sy_json_get(kd, "is_verified"), *sd = sy_json_get(kd, "session_data");

    if (!json_object_is_type(kd, json_type_object) || fmi == NULL || fc == NULL || ver == NULL ||
        sd == NULL)
        return sy_err_invalid(err, "M_MISSING_PARAM",
                              "key data needs first_message_index, forwarded_count, "
                              "is_verified and session_data");
    if (!json_object_is_type(fmi, json_type_int) || json_object_get_int64(fmi) < 0 ||
        !json_object_is_type(fc, json_type_int) || json_object_get_int64(fc) < 0 ||
        !json_object_is_type(ver, json_type_boolean) || !json_object_is_type(sd, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "key data has a member of the wrong type");
    k->room_id = room_id;
    k->session_id = session_id;
    k->first_message_index = json_object_get_int64(fmi);
    k->forwarded_count = json_object_get_int64(fc);
    k->is_verified = json_object_get_boolean(ver);
    if ((k->session_data = canonical_text(a, sd, err)) == NULL)
        return err->code;
    return SY_OK;
}

/*
 * The spec's order: a verified key beats an unverified one; between equals
 * there, the lower first_message_index; then the lower forwarded_count.
 * (Synapse checks the three independently, so a key with a higher index
 * but fewer forwards replaces; the spec does not allow that.)
 */
static int
better(const struct sy_db_room_key *new, const struct sy_db_room_key *old)
{
    if (new->is_verified != old->is_verified)
        return new->is_verified;
    if (new->first_message_index != old->first_message_index)
        return new->first_message_index < old->first_message_index;
    return new->forwarded_count < old->forwarded_count;
}

/* The version an upload or delete may use: it must exist, and an upload needs the current one. */
static int
lock_version(struct sy_db *db, struct sy_arena *a, const char *user_id, int64_t version,
             int must_be_current, struct sy_db_backup_version *v, int64_t *current,
             struct sy_error *err)
{
    struct sy_db_backup_version cur;
    int rc;

    if (must_be_current) {
        rc = sy_db_backup_version_get(db, a, user_id, -1, 0, &cur, err);
        if (rc == SY_ENOTFOUND)
            return sy_err_notfound(err, "unknown backup version");
        if (rc != SY_OK)
            return rc;
        if (cur.version != version) {
            if (sy_db_backup_version_get(db, a, user_id, version, 0, v, err) != SY_OK)
                return err->code;
            *current = cur.version;
            sy_error_set(err, SY_EFORBIDDEN, 403, "M_WRONG_ROOM_KEYS_VERSION",
                         "wrong backup version, current is %lld", (long long)cur.version);
            return SY_EFORBIDDEN;
        }
    }
    return sy_db_backup_version_get(db, a, user_id, version, 1, v, err);
}

static void
etag_count(struct sy_arena *a, const struct sy_db_backup_version *v, struct json_object *resp)
{
    json_object_object_add(resp, "etag",
                           json_object_new_string(sy_arena_printf(a, "%lld", (long long)v->etag)));
    json_object_object_add(resp, "count", json_object_new_int64(v->count));
}

int
sy_room_keys_upload(struct sy_db *db, struct sy_arena *a, const char *user_id,
                    const char *version_s, struct json_object *rooms, struct json_object *resp,
                    int64_t *current, struct sy_error *err)
{
    struct sy_db_backup_version v;
    struct sy_db_room_key *keys;
    size_t n = 0, cap = 0;
    int64_t version;
    int changed = 0;

    if (version_or_404(version_s, &version, err) != SY_OK)
        return err->code;
    if (!json_object_is_type(rooms, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "'rooms' must be an object");
    json_object_object_foreach(rooms, r0, room0)
    {
        struct json_object *sessions = sy_json_get_obj(room0, "sessions");

        (void)r0;
        if (!json_object_is_type(room0, json_type_object) || sessions == NULL)
            return sy_err_invalid(err, "M_BAD_JSON", "each room needs a 'sessions' object");
        cap += (size_t)json_object_object_length(sessions);
    }
    keys = sy_arena_alloc(a, sizeof(*keys) * (cap + 1));
    json_object_object_foreach(rooms, room_id, room)
    {
        json_object_object_foreach(sy_json_get_obj(room, "sessions"), session_id, kd)
        {
            if (check_key(a, room_id, session_id, kd, &keys[n++], err) != SY_OK)
                return err->code;
        }
    }
    if (sy_db_begin(db, err) != SY_OK)
        return err->code;
    if (lock_version(db, a, user_id, version, 1, &v, current, err) != SY_OK)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        struct sy_db_room_key old;
        int rc = sy_db_room_key_get(db, a, user_id, version, keys[i].room_id, keys[i].session_id,
                                    &old, err);

        if (rc != SY_OK && rc != SY_ENOTFOUND)
            goto fail;
        if (rc == SY_OK && !better(&keys[i], &old))
            continue;
        if (sy_db_room_key_put(db, user_id, version, &keys[i], err) != SY_OK)
            goto fail;
        changed = 1;
    }
    if ((changed && sy_db_backup_etag_bump(db, user_id, version, err) != SY_OK) ||
        sy_db_backup_version_get(db, a, user_id, version, 0, &v, err) != SY_OK ||
        sy_db_commit(db, err) != SY_OK)
        goto fail;
    etag_count(a, &v, resp);
    return SY_OK;
fail:
    sy_db_rollback(db);
    return err->code;
}

static struct json_object *
key_json(struct sy_arena *a, const struct sy_db_room_key *k)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "first_message_index", json_object_new_int64(k->first_message_index));
    json_object_object_add(o, "forwarded_count", json_object_new_int64(k->forwarded_count));
    json_object_object_add(o, "is_verified", json_object_new_boolean(k->is_verified));
    json_object_object_add(o, "session_data", parse_text(a, k->session_data));
    return o;
}

static struct json_object *
obj_child(struct json_object *parent, const char *key)
{
    struct json_object *o;

    if (json_object_object_get_ex(parent, key, &o))
        return o;
    o = json_object_new_object();
    json_object_object_add(parent, key, o);
    return o;
}

int
sy_room_keys_get(struct sy_db *db, struct sy_arena *a, const char *user_id, const char *version_s,
                 const char *room_id, const char *session_id, struct json_object **out,
                 struct sy_error *err)
{
    struct sy_db_backup_version v;
    struct sy_db_room_key *keys;
    int64_t version;
    size_t n;

    if (version_or_404(version_s, &version, err) != SY_OK ||
        sy_db_backup_version_get(db, a, user_id, version, 0, &v, err) != SY_OK ||
        sy_db_room_keys_list(db, a, user_id, version, room_id, session_id, &keys, &n, err) != SY_OK)
        return err->code;
    if (session_id != NULL) {
        if (n == 0)
            return sy_err_notfound(err, "no room key found");
        *out = sy_json_own(a, key_json(a, &keys[0]));
        return SY_OK;
    }
    *out = sy_json_new_object(a);
    if (room_id != NULL) {
        struct json_object *sessions = obj_child(*out, "sessions");

        for (size_t i = 0; i < n; i++)
            json_object_object_add(sessions, keys[i].session_id, key_json(a, &keys[i]));
        return SY_OK;
    }
    obj_child(*out, "rooms");
    for (size_t i = 0; i < n; i++)
        json_object_object_add(
            obj_child(obj_child(obj_child(*out, "rooms"), keys[i].room_id), "sessions"),
            keys[i].session_id, key_json(a, &keys[i]));
    return SY_OK;
}

int
sy_room_keys_delete(struct sy_db *db, struct sy_arena *a, const char *user_id,
                    const char *version_s, const char *room_id, const char *session_id,
                    struct json_object *resp, struct sy_error *err)
{
    struct sy_db_backup_version v;
    int64_t version;

    if (version_or_404(version_s, &version, err) != SY_OK)
        return err->code;
    if (sy_db_begin(db, err) != SY_OK)
        return err->code;
    if (lock_version(db, a, user_id, version, 0, &v, NULL, err) != SY_OK ||
        sy_db_room_keys_delete(db, user_id, version, room_id, session_id, err) != SY_OK ||
        sy_db_backup_etag_bump(db, user_id, version, err) != SY_OK ||
        sy_db_backup_version_get(db, a, user_id, version, 0, &v, err) != SY_OK ||
        sy_db_commit(db, err) != SY_OK) {
        sy_db_rollback(db);
        return err->code;
    }
    etag_count(a, &v, resp);
    return SY_OK;
}
