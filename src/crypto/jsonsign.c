/*
 * crypto/jsonsign.c -- Matrix "Signing JSON" over json-c objects.
 *
 * The canonical writer can leave out top-level keys, so the object is
 * never taken apart to be signed: only the final "signatures" insert
 * modifies it, after everything that can fail has succeeded.
 */
#include <string.h>

#include <json-c/json.h>

#include "crypto/ed25519.h"
#include "crypto/jsonsign.h"
#include "json/canonical.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"

static const char *const unsigned_keys[] = {"signatures", "unsigned", NULL};

int
sy_jsonsign_signed_bytes(struct json_object *obj, char **out, size_t *len, struct sy_error *err)
{
    struct sy_buf b;
    int rc;

    sy_buf_init(&b, SY_JSONSIGN_MAX_BYTES);
    if ((rc = sy_json_canonical_except(&b, obj, unsigned_keys, err)) != SY_OK) {
        sy_buf_free(&b);
        return rc;
    }
    *out = sy_buf_steal(&b, len);
    return SY_OK;
}

int
sy_jsonsign_sign(struct json_object *obj, const char *server_name, const struct sy_signing_key *k,
                 struct sy_error *err)
{
    unsigned char sig[SY_ED25519_SIG_LEN];
    char sig64[SY_ED25519_SIG_LEN * 2];
    struct json_object *sigs = NULL, *mine = NULL;
    struct sy_buf b;
    int rc;

    if (!json_object_is_type(obj, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "only JSON objects can be signed");
    if (json_object_object_get_ex(obj, "signatures", &sigs)) {
        if (!json_object_is_type(sigs, json_type_object))
            return sy_err_invalid(err, "M_BAD_JSON", "\"signatures\" must be an object");
        if (json_object_object_get_ex(sigs, server_name, &mine) &&
            !json_object_is_type(mine, json_type_object))
            return sy_err_invalid(err, "M_BAD_JSON", "\"signatures\" entries must be objects");
    }

    sy_buf_init(&b, SY_JSONSIGN_MAX_BYTES);
    if ((rc = sy_json_canonical_except(&b, obj, unsigned_keys, err)) != SY_OK) {
        sy_buf_free(&b);
        return rc;
    }
    rc = sy_ed25519_sign(k, b.data ? b.data : "", b.len, sig);
    sy_buf_free(&b);
    if (rc != SY_OK)
        return sy_err_internal(err, "could not sign JSON");
    sy_b64_encode_buf(sig64, sig, sizeof(sig), 0);

    if (sigs == NULL) {
        sigs = json_object_new_object();
        json_object_object_add(obj, "signatures", sigs);
    }
    if (mine == NULL) {
        mine = json_object_new_object();
        json_object_object_add(sigs, server_name, mine);
    }
    json_object_object_add(mine, k->key_id, json_object_new_string(sig64));
    return SY_OK;
}

int
sy_jsonsign_verify(struct json_object *obj, const char *server_name, const char *key_id,
                   const unsigned char *pub, struct sy_error *err)
{
    struct json_object *sigs, *mine, *sigval;
    unsigned char sig[SY_ED25519_SIG_LEN];
    const char *s;
    size_t siglen = 0;
    struct sy_buf b;
    int rc;

    if (!json_object_is_type(obj, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "only JSON objects can be verified");
    if (!json_object_object_get_ex(obj, "signatures", &sigs) ||
        !json_object_is_type(sigs, json_type_object) ||
        !json_object_object_get_ex(sigs, server_name, &mine) ||
        !json_object_is_type(mine, json_type_object) ||
        !json_object_object_get_ex(mine, key_id, &sigval))
        return sy_error_set(err, SY_ENOTFOUND, 403, "M_FORBIDDEN",
                            "no signature from %s with key %s", server_name, key_id);
    if (!json_object_is_type(sigval, json_type_string))
        return sy_error_set(err, SY_EFORBIDDEN, 403, "M_FORBIDDEN",
                            "malformed signature from %s with key %s", server_name, key_id);
    s = json_object_get_string(sigval);
    if (sy_b64_decode_buf(s, (size_t)json_object_get_string_len(sigval), 0, sig, sizeof(sig),
                          &siglen) != SY_OK ||
        siglen != SY_ED25519_SIG_LEN)
        return sy_error_set(err, SY_EFORBIDDEN, 403, "M_FORBIDDEN",
                            "malformed signature from %s with key %s", server_name, key_id);

    sy_buf_init(&b, SY_JSONSIGN_MAX_BYTES);
    if ((rc = sy_json_canonical_except(&b, obj, unsigned_keys, err)) != SY_OK) {
        sy_buf_free(&b);
        return rc;
    }
    rc = sy_ed25519_verify(pub, b.data ? b.data : "", b.len, sig);
    sy_buf_free(&b);
    if (rc != SY_OK)
        return sy_error_set(err, SY_EFORBIDDEN, 403, "M_FORBIDDEN",
                            "invalid signature from %s with key %s", server_name, key_id);
    return SY_OK;
}
