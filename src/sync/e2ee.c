/*
 * sync/e2ee.c -- end-to-end encryption key rules, and the /sync sections
 * about keys (device_lists, one-time key counts, fallback key types).
 * Where the spec is silent this follows Synapse.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/ed25519.h"
#include "crypto/jsonsign.h"
#include "db/db.h"
#include "db/e2e_keys.h"
#include "db/state.h"
#include "json/canonical.h"
#include "json/json.h"
#include "rooms/auth.h"
#include "sync/e2ee.h"
#include "sync/live.h"
#include "sync/notifier.h"
#include "sync/sections.h"
#include "util/arena.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

/* Stored key JSON is ours; this only bounds the parser. */
#define STORED_DEPTH 64

/* ---- helpers ---- */

/* Canonical JSON text of v in 'a' (optionally without "signatures" and "unsigned"). */
static int
canonical(struct sy_arena *a, struct json_object *v, int unsigned_part, const char **out,
          struct sy_error *err)
{
    static const char *const omit[] = {"signatures", "unsigned", NULL};
    struct sy_buf b;
    int rc;

    sy_buf_init(&b, 1024 * 1024);
    rc = unsigned_part ? sy_json_canonical_except(&b, v, omit, err) : sy_json_canonical(&b, v, err);
    if (rc == SY_OK)
        *out = sy_arena_strndup(a, b.data ? b.data : "", b.len);
    sy_buf_free(&b);
    return rc;
}

static struct json_object *
parse_stored(struct sy_arena *a, const char *text)
{
    struct sy_error err = {0};
    struct json_object *o = NULL;

    if (sy_json_parse(a, text, strlen(text), STORED_DEPTH, &o, &err) != SY_OK)
        return NULL;
    return o;
}

/* A fresh (non-arena) copy of stored JSON, for adding into a response. */
static struct json_object *
stored_copy(struct sy_arena *a, const char *text)
{
    struct json_object *o = parse_stored(a, text);

    return o != NULL ? json_object_get(o) : NULL;
}

static struct json_object *
obj_child(struct json_object *parent, const char *key)
{
    struct json_object *o;

    if (json_object_object_get_ex(parent, key, &o) && json_object_is_type(o, json_type_object))
        return o;
    o = json_object_new_object();
    json_object_object_add(parent, key, o);
    return o;
}

static int
is_local(const char *user_id, const char *server_name)
{
    return strcmp(sy_auth_domain(user_id), server_name) == 0;
}

static const char *
split_key_id(struct sy_arena *a, const char *key_id, const char **rest)
{
    const char *colon = strchr(key_id, ':');

    if (colon == NULL || colon == key_id || colon[1] == '\0')
        return NULL;
    *rest = colon + 1;
    return sy_arena_strndup(a, key_id, (size_t)(colon - key_id));
}

/* ---- device list changes ---- */

int
sy_e2e_device_list_changed(struct sy_db *db, const char *user_id, struct sy_error *err)
{
    int64_t pos;

    if (sy_db_stream_advance(db, SY_STREAM_DEVICE_LISTS, &pos, err) != SY_OK)
        return err->code;
    return sy_db_device_list_record(db, user_id, pos, err);
}

void
sy_e2e_device_list_notify(struct sy_db *db, struct sy_arena *a, const char *user_id)
{
    struct sy_error err = {0};
    const char **rooms;
    size_t n;

    sy_live_keys_changed(user_id); /* devices deleted with their keys, or keys replaced */
    sy_notify_user(user_id);
    if (sy_db_rooms_for_user(db, a, user_id, "join", &rooms, &n, &err) != SY_OK) {
        sy_log(SY_LOG_WARN, "could not list rooms of %s to wake: %s", user_id, err.log_detail);
        return;
    }
    for (size_t i = 0; i < n; i++)
        sy_notify_room(rooms[i]);
}

/* ---- upload ---- */

int
sy_e2e_otk_counts(struct sy_db *db, struct sy_arena *a, const char *user_id, const char *device_id,
                  struct json_object **counts, struct sy_error *err)
{
    struct sy_db_key_count *c;
    size_t n;

    if (sy_db_e2e_otk_counts(db, a, user_id, device_id, &c, &n, err) != SY_OK)
        return err->code;
    *counts = sy_json_new_object(a);
    /* Synapse always reports signed_curve25519, so clients see a 0. */
    json_object_object_add(*counts, "signed_curve25519", json_object_new_int64(0));
    for (size_t i = 0; i < n; i++)
        json_object_object_add(*counts, c[i].algorithm, json_object_new_int64(c[i].count));
    return SY_OK;
}

/* device_keys must name the caller and its device; *changed when they differ from the stored. */
static int
check_device_keys(struct sy_db *db, struct sy_arena *a, const char *user_id, const char *device_id,
                  struct json_object *dk, const char **text, int *changed, struct sy_error *err)
{
    const char *u = sy_json_get_str(dk, "user_id"), *d = sy_json_get_str(dk, "device_id");
    const char *old;
    int rc;

    if (u == NULL || strcmp(u, user_id) != 0 || d == NULL || strcmp(d, device_id) != 0)
        return sy_err_invalid(err, "M_INVALID_PARAM",
                              "device_keys must name the user and device uploading them");
    if (sy_json_get_obj(dk, "keys") == NULL || sy_json_get_arr(dk, "algorithms") == NULL)
        return sy_err_invalid(err, "M_BAD_JSON", "device_keys needs keys and algorithms");
    if (canonical(a, dk, 0, text, err) != SY_OK)
        return err->code;
    rc = sy_db_e2e_device_keys_get(db, a, user_id, device_id, &old, err);
    if (rc == SY_ENOTFOUND)
        *changed = 1;
    else if (rc != SY_OK)
        return rc;
    else
        *changed = strcmp(old, *text) != 0;
    return SY_OK;
}

/* One-time keys are never replaced: the same key again is a no-op, a different one an error. */
static int
put_one_time_keys(struct sy_db *db, struct sy_arena *a, const char *user_id, const char *device_id,
                  struct json_object *otks, struct sy_error *err)
{
    json_object_object_foreach(otks, id, key)
    {
        const char *key_id, *alg = split_key_id(a, id, &key_id), *text, *old;
        int rc;

        if (alg == NULL)
            return sy_err_invalid(err, "M_INVALID_PARAM",
                                  "one-time key ID must be <algorithm>:<id>");
        if (!json_object_is_type(key, json_type_object) &&
            !json_object_is_type(key, json_type_string))
            return sy_err_invalid(err, "M_BAD_JSON", "a one-time key must be a string or object");
        if (canonical(a, key, 0, &text, err) != SY_OK)
            return err->code;
        rc = sy_db_e2e_otk_get(db, a, user_id, device_id, alg, key_id, &old, err);
        if (rc == SY_OK) {
            if (strcmp(old, text) != 0)
                return sy_err_invalid(err, "M_UNKNOWN", "one-time key %s already exists", id);
            continue;
        }
        if (rc != SY_ENOTFOUND ||
            sy_db_e2e_otk_put(db, user_id, device_id, alg, key_id, text, err) != SY_OK)
            return err->code;
    }
    return SY_OK;
}

static int
put_fallback_keys(struct sy_db *db, struct sy_arena *a, const char *user_id, const char *device_id,
                  struct json_object *fbks, struct sy_error *err)
{
    json_object_object_foreach(fbks, id, key)
    {
        const char *key_id, *alg = split_key_id(a, id, &key_id), *text;

        if (alg == NULL)
            return sy_err_invalid(err, "M_INVALID_PARAM",
                                  "fallback key ID must be <algorithm>:<id>");
        if (!json_object_is_type(key, json_type_object) &&
            !json_object_is_type(key, json_type_string))
            return sy_err_invalid(err, "M_BAD_JSON", "a fallback key must be a string or object");
        if (canonical(a, key, 0, &text, err) != SY_OK ||
            sy_db_e2e_fallback_set(db, user_id, device_id, alg, key_id, text, err) != SY_OK)
            return err->code;
    }
    return SY_OK;
}

int
sy_e2e_upload(struct sy_db *db, struct sy_arena *a, const char *user_id, const char *device_id,
              struct json_object *device_keys, struct json_object *one_time_keys,
              struct json_object *fallback_keys, struct json_object **counts, struct sy_error *err)
{
    const char *dk_text = NULL;
    int changed = 0;

    if (sy_db_begin(db, err) != SY_OK)
        return err->code;
    if (device_keys != NULL &&
        check_device_keys(db, a, user_id, device_id, device_keys, &dk_text, &changed, err) != SY_OK)
        goto fail;
    if (changed && (sy_db_e2e_device_keys_set(db, user_id, device_id, dk_text, err) != SY_OK ||
                    sy_e2e_device_list_changed(db, user_id, err) != SY_OK))
        goto fail;
    if (one_time_keys != NULL &&
        put_one_time_keys(db, a, user_id, device_id, one_time_keys, err) != SY_OK)
        goto fail;
    if (fallback_keys != NULL &&
        put_fallback_keys(db, a, user_id, device_id, fallback_keys, err) != SY_OK)
        goto fail;
    if (sy_db_commit(db, err) != SY_OK)
        goto fail;
    sy_live_keys_changed(user_id); /* the counts /sync caches (sync/live.h) */
    if (changed)
        sy_e2e_device_list_notify(db, a, user_id);
    return sy_e2e_otk_counts(db, a, user_id, device_id, counts, err);
fail:
    sy_db_rollback(db);
    return err->code;
}

/* ---- query ---- */

static void
add_failure(struct json_object *resp, const char *server)
{
    struct json_object *f = obj_child(resp, "failures"), *e = json_object_new_object();

    json_object_object_add(e, "status", json_object_new_int(503));
    json_object_object_add(e, "message",
                           json_object_new_string("federation is not available on this server"));
    json_object_object_add(f, server, e);
}

/* Add one stored signature into key.signatures.<signer>.<key_id>. */
static void
add_signature(struct json_object *key, const struct sy_db_e2e_sig *s)
{
    struct json_object *sigs = obj_child(obj_child(key, "signatures"), s->signer_user);

    json_object_object_add(sigs, s->signer_key_id, json_object_new_string(s->signature));
}

/* The key part of "ed25519:<key>". */
static const char *
pub_part(const char *pubkey)
{
    const char *c = strchr(pubkey, ':');

    return c ? c + 1 : pubkey;
}

static int
wanted_device(struct json_object *devices, const char *device_id)
{
    size_t n = json_object_array_length(devices);

    if (n == 0)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(json_object_get_string(json_object_array_get_idx(devices, i)), device_id) == 0)
            return 1;
    return 0;
}

int
sy_e2e_query(struct sy_db *db, struct sy_arena *a, const char *server_name, const char *requester,
             struct json_object *query, struct json_object *resp, struct sy_error *err)
{
    struct json_object *dk_out = obj_child(resp, "device_keys");
    const char **users = sy_arena_alloc(a, sizeof(char *) * (json_object_object_length(query) + 1));
    struct sy_db_device_keys *dk;
    struct sy_db_xsign_key *xk;
    struct sy_db_e2e_sig *sigs;
    size_t n = 0, n_dk, n_xk, n_sigs;

    obj_child(resp, "failures");
    obj_child(resp, "master_keys");
    obj_child(resp, "self_signing_keys");
    obj_child(resp, "user_signing_keys");
    json_object_object_foreach(query, user, devices)
    {
        (void)devices;
        if (!is_local(user, server_name)) {
            add_failure(resp, sy_auth_domain(user));
            continue;
        }
        users[n++] = user;
        obj_child(dk_out, user);
    }
    if (n == 0)
        return SY_OK;
    if (sy_db_e2e_device_keys_of(db, a, users, n, &dk, &n_dk, err) != SY_OK ||
        sy_db_e2e_xsign_of(db, a, users, n, &xk, &n_xk, err) != SY_OK ||
        sy_db_e2e_sigs_of(db, a, users, n, &sigs, &n_sigs, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n_dk; i++) {
        struct json_object *key;

        if (!wanted_device(json_object_object_get(query, dk[i].user_id), dk[i].device_id))
            continue;
        if ((key = stored_copy(a, dk[i].key_json)) == NULL)
            continue;
        for (size_t s = 0; s < n_sigs; s++)
            if (strcmp(sigs[s].target_user, dk[i].user_id) == 0 &&
                strcmp(sigs[s].target_key, dk[i].device_id) == 0)
                add_signature(key, &sigs[s]);
        if (dk[i].display_name != NULL)
            json_object_object_add(obj_child(key, "unsigned"), "device_display_name",
                                   json_object_new_string(dk[i].display_name));
        json_object_object_add(obj_child(dk_out, dk[i].user_id), dk[i].device_id, key);
    }
    for (size_t i = 0; i < n_xk; i++) {
        const char *section;
        struct json_object *key;

        if (strcmp(xk[i].keytype, "master") == 0)
            section = "master_keys";
        else if (strcmp(xk[i].keytype, "self_signing") == 0)
            section = "self_signing_keys";
        else if (strcmp(xk[i].user_id, requester) == 0)
            section = "user_signing_keys"; /* only the owner sees it */
        else
            continue;
        if ((key = stored_copy(a, xk[i].key_json)) == NULL)
            continue;
        /* As Synapse: signatures over cross-signing keys are shown to their signer only. */
        for (size_t s = 0; s < n_sigs; s++)
            if (strcmp(sigs[s].target_user, xk[i].user_id) == 0 &&
                strcmp(sigs[s].target_key, pub_part(xk[i].pubkey)) == 0 &&
                strcmp(sigs[s].signer_user, requester) == 0)
                add_signature(key, &sigs[s]);
        json_object_object_add(obj_child(resp, section), xk[i].user_id, key);
    }
    return SY_OK;
}

/* ---- claim ---- */

int
sy_e2e_claim(struct sy_db *db, struct sy_arena *a, const char *server_name,
             struct json_object *query, struct json_object *resp, struct sy_error *err)
{
    struct json_object *out = obj_child(resp, "one_time_keys");

    obj_child(resp, "failures");
    json_object_object_foreach(query, user, devices)
    {
        if (!is_local(user, server_name)) {
            add_failure(resp, sy_auth_domain(user));
            continue;
        }
        json_object_object_foreach(devices, device, algv)
        {
            const char *alg = json_object_get_string(algv), *key_id, *json;
            struct json_object *key;
            int rc;

            rc = sy_db_e2e_otk_claim(db, a, user, device, alg, &key_id, &json, err);
            if (rc == SY_ENOTFOUND)
                rc = sy_db_e2e_fallback_claim(db, a, user, device, alg, &key_id, &json, err);
            if (rc == SY_ENOTFOUND)
                continue;
            sy_live_keys_changed(user); /* claimed (committed): the cached counts are stale */
            if (rc != SY_OK)
                return rc;
            if ((key = stored_copy(a, json)) == NULL)
                continue;
            json_object_object_add(obj_child(obj_child(out, user), device),
                                   sy_arena_printf(a, "%s:%s", alg, key_id), key);
        }
    }
    return SY_OK;
}

/* ---- changes ---- */

static struct json_object *
string_array(const char **v, size_t n)
{
    struct json_object *arr = json_object_new_array();

    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, json_object_new_string(v[i]));
    return arr;
}

int
sy_e2e_changes(struct sy_db *db, struct sy_arena *a, const char *user_id,
               const struct sy_sync_token *from, const struct sy_sync_token *to,
               struct json_object *resp, struct sy_error *err)
{
    const char **changed, **left;
    size_t n_changed, n_left;

    if (sy_db_device_list_changes(db, a, user_id, from->pos[SY_STREAM_DEVICE_LISTS],
                                  to->pos[SY_STREAM_DEVICE_LISTS], from->pos[SY_STREAM_EVENTS],
                                  to->pos[SY_STREAM_EVENTS], &changed, &n_changed, &left, &n_left,
                                  err) != SY_OK)
        return err->code;
    json_object_object_add(resp, "changed", string_array(changed, n_changed));
    json_object_object_add(resp, "left", string_array(left, n_left));
    return SY_OK;
}

/* ---- cross-signing ---- */

static const char *const xsign_fields[3] = {"master_key", "self_signing_key", "user_signing_key"};
static const char *const xsign_types[3] = {"master", "self_signing", "user_signing"};

/*
 * A cross-signing key object: user_id is the owner, usage holds 'usage',
 * keys holds exactly one "ed25519:<k>" whose value is <k>.  *pubkey and
 * pub (32 bytes) out.
 */
static int
check_xsign_key(struct sy_arena *a, struct json_object *key, const char *user_id, const char *usage,
                const char **pubkey, unsigned char *pub, struct sy_error *err)
{
    struct json_object *usages = sy_json_get_arr(key, "usage"),
                       *keys = sy_json_get_obj(key, "keys");
    const char *u = sy_json_get_str(key, "user_id");
    int has_usage = 0;
    size_t len;

    if (u == NULL || strcmp(u, user_id) != 0 || usages == NULL || keys == NULL ||
        json_object_object_length(keys) != 1)
        return sy_err_invalid(err, "M_INVALID_PARAM", "invalid %s key", usage);
    for (size_t i = 0; i < json_object_array_length(usages); i++) {
        struct json_object *v = json_object_array_get_idx(usages, i);

        if (json_object_is_type(v, json_type_string) &&
            strcmp(json_object_get_string(v), usage) == 0)
            has_usage = 1;
    }
    if (!has_usage)
        return sy_err_invalid(err, "M_INVALID_PARAM", "invalid %s key", usage);
    json_object_object_foreach(keys, id, val)
    {
        const char *b64 =
            json_object_is_type(val, json_type_string) ? json_object_get_string(val) : NULL;

        if (strncmp(id, "ed25519:", 8) != 0 || b64 == NULL || strcmp(id + 8, b64) != 0 ||
            sy_b64_decode_buf(b64, strlen(b64), 0, pub, SY_ED25519_PUB_LEN, &len) != SY_OK ||
            len != SY_ED25519_PUB_LEN)
            return sy_err_invalid(err, "M_INVALID_PARAM", "invalid %s key", usage);
        *pubkey = sy_arena_strdup(a, id);
    }
    return SY_OK;
}

int
sy_e2e_xsign_needs_auth(struct sy_db *db, struct sy_arena *a, const char *user_id,
                        struct json_object *body, int *needs_auth, struct sy_error *err)
{
    struct sy_db_xsign_key old;
    int rc;

    *needs_auth = 0;
    rc = sy_db_e2e_xsign_get(db, a, user_id, "master", &old, err);
    if (rc == SY_ENOTFOUND)
        return SY_OK; /* first set-up: no auth (MSC3967, as Synapse) */
    if (rc != SY_OK)
        return rc;
    for (int i = 0; i < 3; i++) {
        struct json_object *key = sy_json_get(body, xsign_fields[i]);
        const char *text;

        if (key == NULL)
            continue;
        rc = sy_db_e2e_xsign_get(db, a, user_id, xsign_types[i], &old, err);
        if (rc == SY_ENOTFOUND) {
            *needs_auth = 1;
            continue;
        }
        if (rc != SY_OK)
            return rc;
        if (canonical(a, key, 0, &text, err) != SY_OK)
            return err->code;
        if (strcmp(text, old.key_json) != 0)
            *needs_auth = 1;
    }
    return SY_OK;
}

int
sy_e2e_xsign_upload(struct sy_db *db, struct sy_arena *a, const char *user_id,
                    struct json_object *body, struct sy_error *err)
{
    struct json_object *keys[3];
    const char *pubkeys[3] = {NULL}, *texts[3] = {NULL}, *master_pubkey = NULL;
    unsigned char pubs[3][SY_ED25519_PUB_LEN], master_pub[SY_ED25519_PUB_LEN];
    int changed = 0;

    for (int i = 0; i < 3; i++) {
        keys[i] = sy_json_get(body, xsign_fields[i]);
        if (keys[i] == NULL)
            continue;
        if (!json_object_is_type(keys[i], json_type_object))
            return sy_err_invalid(err, "M_INVALID_PARAM", "invalid %s key", xsign_types[i]);
        if (check_xsign_key(a, keys[i], user_id, xsign_types[i], &pubkeys[i], pubs[i], err) !=
                SY_OK ||
            canonical(a, keys[i], 0, &texts[i], err) != SY_OK)
            return err->code;
    }
    if (keys[0] != NULL) {
        master_pubkey = pubkeys[0];
        memcpy(master_pub, pubs[0], sizeof(master_pub));
    } else if (keys[1] != NULL || keys[2] != NULL) {
        struct sy_db_xsign_key old;
        struct json_object *o;
        int rc = sy_db_e2e_xsign_get(db, a, user_id, "master", &old, err);

        if (rc == SY_ENOTFOUND)
            return sy_err_invalid(err, "M_MISSING_PARAM", "no master key available");
        if (rc != SY_OK)
            return rc;
        if ((o = parse_stored(a, old.key_json)) == NULL ||
            check_xsign_key(a, o, user_id, "master", &master_pubkey, master_pub, err) != SY_OK)
            return sy_err_internal(err, "stored master key is unreadable");
    }
    /* The self-signing and user-signing keys must carry the master key's signature. */
    for (int i = 1; i < 3; i++) {
        struct sy_error verr = {0};

        if (keys[i] != NULL &&
            sy_jsonsign_verify(keys[i], user_id, master_pubkey, master_pub, &verr) != SY_OK)
            return sy_error_set(err, SY_EINVAL, 400, "M_INVALID_SIGNATURE",
                                "invalid signature on %s key", xsign_types[i]);
    }
    if (sy_db_begin(db, err) != SY_OK)
        return err->code;
    for (int i = 0; i < 3; i++) {
        if (keys[i] == NULL)
            continue;
        if (sy_db_e2e_xsign_set(db, user_id, xsign_types[i], pubkeys[i], texts[i], err) != SY_OK)
            goto fail;
        changed = 1;
    }
    if (changed && sy_e2e_device_list_changed(db, user_id, err) != SY_OK)
        goto fail;
    if (sy_db_commit(db, err) != SY_OK)
        goto fail;
    if (changed)
        sy_e2e_device_list_notify(db, a, user_id);
    return SY_OK;
fail:
    sy_db_rollback(db);
    return err->code;
}

/* ---- signatures upload ---- */

static void
sig_failure(struct json_object *resp, const char *user, const char *key_id, const char *errcode,
            const char *msg)
{
    struct json_object *e = json_object_new_object();

    json_object_object_add(e, "errcode", json_object_new_string(errcode));
    json_object_object_add(e, "error", json_object_new_string(msg));
    json_object_object_add(obj_child(obj_child(resp, "failures"), user), key_id, e);
}

/* The ed25519 key "ed25519:<key_id>" of a stored device or cross-signing object. */
static int
ed25519_of(struct json_object *keyobj, const char *key_id, unsigned char *pub)
{
    struct json_object *keys = sy_json_get_obj(keyobj, "keys");
    const char *b64 = keys ? sy_json_get_str(keys, key_id) : NULL;
    size_t len;

    return b64 != NULL &&
           sy_b64_decode_buf(b64, strlen(b64), 0, pub, SY_ED25519_PUB_LEN, &len) == SY_OK &&
           len == SY_ED25519_PUB_LEN;
}

/* The signed object's content (without signatures and unsigned) is the stored one's. */
static int
same_content(struct sy_arena *a, struct json_object *signed_obj, struct json_object *stored)
{
    struct sy_error err = {0};
    const char *x, *y;

    return canonical(a, signed_obj, 1, &x, &err) == SY_OK &&
           canonical(a, stored, 1, &y, &err) == SY_OK && strcmp(x, y) == 0;
}

/*
 * One signed object of the body: what it signs (target_user's device or
 * cross-signing key 'target'), whose signatures count (signer_user's
 * keys: devices for own master key, self-signing key for own devices,
 * user-signing key for others' master keys).  Appends valid signatures to
 * sigs; returns an errcode (with *msg) for the failure entry, or NULL.
 */
static const char *
check_signed(struct sy_db *db, struct sy_arena *a, const char *signer, const char *target_user,
             const char *target, struct json_object *obj, struct sy_db_e2e_sig *sigs,
             size_t *n_sigs, size_t cap, const char **msg)
{
    struct sy_error err = {0};
    struct sy_db_xsign_key master, signing;
    struct json_object *stored = NULL, *signer_key = NULL, *mine;
    const char *dk_text, *signing_key_id = NULL;
    int own = strcmp(signer, target_user) == 0, target_is_master = 0;
    unsigned char pub[SY_ED25519_PUB_LEN];

    *msg = "not a known device or key";
    if (!json_object_is_type(obj, json_type_object))
        return (*msg = "signed object must be an object", "M_BAD_JSON");
    if (sy_db_e2e_xsign_get(db, a, target_user, "master", &master, &err) == SY_OK &&
        strcmp(pub_part(master.pubkey), target) == 0) {
        target_is_master = 1;
        stored = parse_stored(a, master.key_json);
    } else if (own &&
               sy_db_e2e_device_keys_get(db, a, target_user, target, &dk_text, &err) == SY_OK) {
        stored = parse_stored(a, dk_text);
    }
    if (stored == NULL)
        return "M_NOT_FOUND";
    if (!own && !target_is_master)
        return "M_NOT_FOUND"; /* others' devices are signed through their master key */
    if (!same_content(a, obj, stored))
        return (*msg = "signed object differs from the stored key", "M_INVALID_SIGNATURE");
    if ((mine = sy_json_get_obj(sy_json_get_obj(obj, "signatures"), signer)) == NULL)
        return (*msg = "no signature from the signer", "M_INVALID_SIGNATURE");
    if (!own || !target_is_master) {
        /* Own device: self-signing key; another user's master: user-signing key. */
        const char *type = own ? "self_signing" : "user_signing";

        if (sy_db_e2e_xsign_get(db, a, signer, type, &signing, &err) != SY_OK ||
            (signer_key = parse_stored(a, signing.key_json)) == NULL)
            return (*msg = "no signing key to check the signature with", "M_INVALID_SIGNATURE");
        signing_key_id = signing.pubkey;
        if (!ed25519_of(signer_key, signing_key_id, pub) ||
            sy_jsonsign_verify(obj, signer, signing_key_id, pub, &err) != SY_OK)
            return (*msg = "invalid signature", "M_INVALID_SIGNATURE");
        if (*n_sigs < cap)
            sigs[(*n_sigs)++] = (struct sy_db_e2e_sig){signer, signing_key_id, target_user, target,
                                                       sy_json_get_str(mine, signing_key_id)};
        return NULL;
    }
    /* Own master key: signatures by the user's devices. */
    {
        size_t before = *n_sigs;

        json_object_object_foreach(mine, key_id, sigv)
        {
            const char *dev;

            (void)sigv;
            if (strncmp(key_id, "ed25519:", 8) != 0)
                continue;
            dev = key_id + 8;
            if (strcmp(dev, target) == 0)
                continue; /* the master key's own signature is part of the key */
            if (sy_db_e2e_device_keys_get(db, a, signer, dev, &dk_text, &err) != SY_OK ||
                (signer_key = parse_stored(a, dk_text)) == NULL ||
                !ed25519_of(signer_key, key_id, pub) ||
                sy_jsonsign_verify(obj, signer, key_id, pub, &err) != SY_OK)
                return (*msg = "invalid signature", "M_INVALID_SIGNATURE");
            if (*n_sigs < cap)
                sigs[(*n_sigs)++] =
                    (struct sy_db_e2e_sig){signer, sy_arena_strdup(a, key_id), target_user, target,
                                           json_object_get_string(sigv)};
        }
        if (*n_sigs == before)
            return (*msg = "no device signature", "M_INVALID_SIGNATURE");
    }
    return NULL;
}

#define MAX_SIGS 1000

int
sy_e2e_signatures_upload(struct sy_db *db, struct sy_arena *a, const char *user_id,
                         struct json_object *body, struct json_object *resp, struct sy_error *err)
{
    struct sy_db_e2e_sig *sigs = sy_arena_alloc(a, sizeof(*sigs) * MAX_SIGS);
    const char **changed_users = sy_arena_alloc(a, sizeof(char *) * MAX_SIGS);
    size_t n_sigs = 0, n_changed = 0;

    obj_child(resp, "failures");
    json_object_object_foreach(body, target_user, objs)
    {
        json_object_object_foreach(objs, target, obj)
        {
            const char *msg, *errcode;
            size_t before = n_sigs;

            errcode = check_signed(db, a, user_id, target_user, target, obj, sigs, &n_sigs,
                                   MAX_SIGS, &msg);
            if (errcode != NULL) {
                n_sigs = before;
                sig_failure(resp, target_user, target, errcode, msg);
            }
        }
    }
    if (n_sigs == 0)
        return SY_OK;
    if (sy_db_begin(db, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n_sigs; i++) {
        size_t j;

        if (sy_db_e2e_sig_put(db, &sigs[i], err) != SY_OK)
            goto fail;
        /*
         * Own keys: the user's device list changed for everyone; another
         * user's master key: only the signer needs to re-query.
         */
        for (j = 0; j < n_changed && strcmp(changed_users[j], user_id) != 0; j++)
            ;
        if (j == n_changed) {
            changed_users[n_changed++] = user_id;
            if (sy_e2e_device_list_changed(db, user_id, err) != SY_OK)
                goto fail;
        }
    }
    if (sy_db_commit(db, err) != SY_OK)
        goto fail;
    for (size_t i = 0; i < n_changed; i++)
        sy_e2e_device_list_notify(db, a, changed_users[i]);
    return SY_OK;
fail:
    sy_db_rollback(db);
    return err->code;
}

/* ---- /sync sections ---- */

int
sy_sync_section_device_lists(struct sy_sync_ctx *ctx, struct json_object *resp, int *any,
                             struct sy_error *err)
{
    struct json_object *dl = json_object_new_object();

    json_object_object_add(resp, "device_lists", dl);
    if (ctx->initial) {
        json_object_object_add(dl, "changed", json_object_new_array());
        json_object_object_add(dl, "left", json_object_new_array());
        return SY_OK;
    }
    if (sy_e2e_changes(ctx->db, ctx->a, ctx->user_id, &ctx->since, &ctx->now, dl, err) != SY_OK)
        return err->code;
    if (json_object_array_length(json_object_object_get(dl, "changed")) > 0 ||
        json_object_array_length(json_object_object_get(dl, "left")) > 0)
        *any = 1;
    return SY_OK;
}

int
sy_sync_section_e2ee_keys(struct sy_sync_ctx *ctx, struct json_object *resp, int *any,
                          struct sy_error *err)
{
    struct json_object *counts;
    const char **algs;
    size_t n;

    (void)any; /* counts alone never end a long-poll */
    if (ctx->device_id == NULL)
        return SY_OK;
    if (sy_e2e_otk_counts(ctx->db, ctx->a, ctx->user_id, ctx->device_id, &counts, err) != SY_OK ||
        sy_db_e2e_fallback_unused(ctx->db, ctx->a, ctx->user_id, ctx->device_id, &algs, &n, err) !=
            SY_OK)
        return err->code;
    json_object_object_add(resp, "device_one_time_keys_count", json_object_get(counts));
    json_object_object_add(resp, "device_unused_fallback_key_types", string_array(algs, n));
    return SY_OK;
}
