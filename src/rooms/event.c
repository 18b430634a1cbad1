/*
 * rooms/event.c -- PDU parsing, content and reference hashes, redaction,
 * event signing and the builder for local events.
 *
 * Hashes and signatures never serialise a modified event: the canonical
 * writer leaves out top-level keys, and the redacted form is a separate
 * json-c tree that is dropped as soon as it has been hashed or signed.
 * The only in-place changes are adding hashes.sha256 and a signature.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "crypto/ed25519.h"
#include "crypto/jsonsign.h"
#include "crypto/sha256.h"
#include "json/canonical.h"
#include "json/json.h"
#include "rooms/event.h"
#include "rooms/version.h"
#include "util/arena.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/time.h"

static const char *const content_hash_omit[] = {"unsigned", "signatures", "hashes", NULL};
static const char *const reference_hash_omit[] = {"signatures", "unsigned", NULL};

/* ---- hashing ------------------------------------------------------------------------------ */

/* sha256 of the canonical JSON of obj without 'omit', capped at the event size limit. */
static int
hash_canonical(struct json_object *obj, const char *const *omit, unsigned char out[SY_SHA256_LEN],
               struct sy_error *err)
{
    struct sy_buf b;
    int rc;

    sy_buf_init(&b, SY_EVENT_MAX_BYTES);
    rc = sy_json_canonical_except(&b, obj, omit, err);
    if (rc == SY_OK)
        sy_sha256(b.data ? b.data : "", b.len, out);
    else if (rc == SY_ETOOBIG)
        sy_error_set(err, SY_ETOOBIG, 413, "M_TOO_LARGE", "event is over %d bytes",
                     SY_EVENT_MAX_BYTES);
    sy_buf_free(&b);
    return rc;
}

int
sy_event_content_hash(struct json_object *json, unsigned char out[SY_SHA256_LEN],
                      struct sy_error *err)
{
    return hash_canonical(json, content_hash_omit, out, err);
}

/* Decode hashes.sha256 into out: 1 when present and exactly 32 bytes of base64, else 0. */
static int
stated_content_hash(struct json_object *json, unsigned char out[SY_SHA256_LEN])
{
    struct json_object *h;
    size_t n = 0;

    h = sy_json_get(sy_json_get_obj(json, "hashes"), "sha256");
    if (h == NULL || !json_object_is_type(h, json_type_string))
        return 0;
    if (sy_b64_decode_buf(json_object_get_string(h), (size_t)json_object_get_string_len(h), 0, out,
                          SY_SHA256_LEN, &n) != SY_OK)
        return 0;
    return n == SY_SHA256_LEN;
}

int
sy_event_content_hash_ok(struct json_object *json)
{
    unsigned char want[SY_SHA256_LEN], got[SY_SHA256_LEN];

    if (!stated_content_hash(json, want) || sy_event_content_hash(json, got, NULL) != SY_OK)
        return 0;
    return memcmp(want, got, SY_SHA256_LEN) == 0;
}

/* Put h as hashes.sha256 of json (an object whose "hashes", if any, is an object). */
static void
put_content_hash(struct json_object *json, const unsigned char h[SY_SHA256_LEN])
{
    char h64[SY_SHA256_LEN * 2];
    struct json_object *hashes = NULL;

    sy_b64_encode_buf(h64, h, SY_SHA256_LEN, 0);
    if (!json_object_object_get_ex(json, "hashes", &hashes)) {
        hashes = json_object_new_object();
        json_object_object_add(json, "hashes", hashes);
    }
    json_object_object_add(hashes, "sha256", json_object_new_string(h64));
}

int
sy_event_add_content_hash(struct json_object *json, struct sy_error *err)
{
    unsigned char h[SY_SHA256_LEN];
    struct json_object *hashes = NULL;
    int rc;

    if (!json_object_is_type(json, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "an event must be a JSON object");
    if (json_object_object_get_ex(json, "hashes", &hashes) &&
        !json_object_is_type(hashes, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "\"hashes\" must be an object");
    if ((rc = sy_event_content_hash(json, h, err)) != SY_OK)
        return rc;
    put_content_hash(json, h);
    return SY_OK;
}

/* ---- redaction ---------------------------------------------------------------------------- */

/* Copy obj[key] (deeply) into dst when present. */
static void
keep_key(struct json_object *dst, struct json_object *src, const char *key)
{
    struct json_object *v, *copy = NULL;

    if (!json_object_object_get_ex(src, key, &v))
        return;
    if (json_object_deep_copy(v, &copy, NULL) != 0)
        return;
    json_object_object_add(dst, key, copy);
}

static void
keep_keys(struct json_object *dst, struct json_object *src, const char *const *keys)
{
    for (; *keys != NULL; keys++)
        keep_key(dst, src, *keys);
}

/* v11+: m.room.create keeps its whole content. */
static void
keep_all(struct json_object *dst, struct json_object *src)
{
    json_object_object_foreach(src, key, val)
    {
        (void)val;
        keep_key(dst, src, key);
    }
}

/* v11+: m.room.member keeps third_party_invite.signed and nothing else of it. */
static void
keep_3pid_signed(struct json_object *dst, struct json_object *src)
{
    struct json_object *tpi = sy_json_get_obj(src, "third_party_invite"), *kept;

    if (tpi == NULL || !json_object_object_get_ex(tpi, "signed", NULL))
        return;
    kept = json_object_new_object();
    keep_key(kept, tpi, "signed");
    json_object_object_add(dst, "third_party_invite", kept);
}

/* The content keys an event of 'type' keeps through redaction (spec v6, v8, v9, v11 rules). */
static void
redact_content(const struct sy_room_version *v, const char *type, struct json_object *src,
               struct json_object *dst)
{
    static const char *const pl_keys[] = {"ban",   "events", "events_default", "kick",
                                          "redact", "state_default", "users", "users_default",
                                          NULL};

    if (type == NULL || src == NULL)
        return;
    if (strcmp(type, "m.room.member") == 0) {
        keep_key(dst, src, "membership");
        if (v->restricted_join_redacts_authorising_user)
            keep_key(dst, src, "join_authorised_via_users_server");
        if (v->msc3821_3pid_invite_fix)
            keep_3pid_signed(dst, src);
    } else if (strcmp(type, "m.room.create") == 0) {
        if (v->msc2176_redaction)
            keep_all(dst, src);
        else
            keep_key(dst, src, "creator");
    } else if (strcmp(type, "m.room.join_rules") == 0) {
        keep_key(dst, src, "join_rule");
        if (v->restricted_join)
            keep_key(dst, src, "allow");
    } else if (strcmp(type, "m.room.power_levels") == 0) {
        keep_keys(dst, src, pl_keys);
        if (v->msc2176_redaction)
            keep_key(dst, src, "invite");
    } else if (strcmp(type, "m.room.history_visibility") == 0) {
        keep_key(dst, src, "history_visibility");
    } else if (strcmp(type, "m.room.redaction") == 0 && v->msc2176_redaction) {
        keep_key(dst, src, "redacts");
    }
}

/* The redacted copy as a new root with one reference (the caller puts it). */
static struct json_object *
redact_new(const struct sy_room_version *v, struct json_object *json)
{
    static const char *const top_keys[] = {
        "event_id", "type",  "room_id",     "sender",      "state_key",        "hashes",
        "signatures", "depth", "prev_events", "auth_events", "origin_server_ts", NULL};
    struct json_object *out = json_object_new_object(), *content = json_object_new_object();

    keep_keys(out, json, top_keys);
    if (!v->msc3989_redact_origin)
        keep_key(out, json, "origin");
    if (!v->msc2176_redaction) {
        keep_key(out, json, "prev_state");
        keep_key(out, json, "membership");
    }
    redact_content(v, sy_json_get_str(json, "type"), sy_json_get_obj(json, "content"), content);
    json_object_object_add(out, "content", content);
    return out;
}

int
sy_event_redact(struct sy_arena *a, const struct sy_room_version *v, struct json_object *json,
                struct json_object **out, struct sy_error *err)
{
    if (!json_object_is_type(json, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "an event must be a JSON object");
    *out = sy_json_own(a, redact_new(v, json));
    return SY_OK;
}

int
sy_event_reference_hash(struct sy_arena *a, const struct sy_room_version *v,
                        struct json_object *json, unsigned char out[SY_SHA256_LEN],
                        struct sy_error *err)
{
    struct json_object *red;
    int rc;

    if (!json_object_is_type(json, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "an event must be a JSON object");
    red = redact_new(v, json);
    rc = hash_canonical(red, reference_hash_omit, out, err);
    json_object_put(red);
    return rc;
}

/* sigil + urlsafe unpadded base64 of a reference hash, in 'a'. */
static const char *
hash_id(struct sy_arena *a, char sigil, const unsigned char h[SY_SHA256_LEN])
{
    char *s = sy_arena_alloc(a, sy_b64_encoded_len(SY_SHA256_LEN) + 2);

    s[0] = sigil;
    sy_b64_encode_buf(s + 1, h, SY_SHA256_LEN, 1);
    return s;
}

int
sy_event_compute_id(struct sy_arena *a, const struct sy_room_version *v, struct json_object *json,
                    const char **out, struct sy_error *err)
{
    unsigned char h[SY_SHA256_LEN];
    int rc;

    if ((rc = sy_event_reference_hash(a, v, json, h, err)) != SY_OK)
        return rc;
    *out = hash_id(a, '$', h);
    return SY_OK;
}

const char *
sy_event_room_id_from_create_id(struct sy_arena *a, const char *create_event_id)
{
    char *s = sy_arena_strdup(a, create_event_id);

    s[0] = '!';
    return s;
}

/* ---- signatures --------------------------------------------------------------------------- */

/* Put sig (unpadded base64) under signatures.server_name.key_id of json. */
static void
add_signature(struct json_object *json, const char *server_name, const char *key_id,
              struct json_object *sig)
{
    struct json_object *sigs = NULL, *mine = NULL;

    if (!json_object_object_get_ex(json, "signatures", &sigs)) {
        sigs = json_object_new_object();
        json_object_object_add(json, "signatures", sigs);
    }
    if (!json_object_object_get_ex(sigs, server_name, &mine)) {
        mine = json_object_new_object();
        json_object_object_add(sigs, server_name, mine);
    }
    json_object_object_add(mine, key_id, sig);
}

int
sy_event_sign(struct sy_arena *a, const struct sy_room_version *v, struct json_object *json,
              const char *server_name, const struct sy_signing_key *k, struct sy_error *err)
{
    struct json_object *red, *sig;
    int rc;

    if (!json_object_is_type(json, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "an event must be a JSON object");
    red = redact_new(v, json);
    if ((rc = sy_jsonsign_sign(red, server_name, k, err)) != SY_OK) {
        json_object_put(red);
        return rc;
    }
    /* sy_jsonsign_sign() checked the shape of "signatures" on the copy, which matches json's. */
    sig = sy_json_get(sy_json_get_obj(sy_json_get_obj(red, "signatures"), server_name), k->key_id);
    add_signature(json, server_name, k->key_id, json_object_get(sig));
    json_object_put(red);
    return SY_OK;
}

/* What a signature takes in unpadded base64: 64 bytes, 86 characters. */
#define SIG64_LEN 86

/*
 * Sign an event that has no signatures yet, and give its reference hash:
 * both are over the same bytes, the canonical JSON of the redacted event
 * without "signatures" and "unsigned".  With 'later', the signature is a
 * placeholder of the same length, and 'later' keeps the bytes (in 'a')
 * and the placeholder for sy_event_signature_apply().
 */
static int
sign_new(struct sy_arena *a, const struct sy_room_version *v, struct json_object *json,
         const char *server_name, const struct sy_signing_key *k,
         unsigned char ref[SY_SHA256_LEN], struct sy_event_signature *later, struct sy_error *err)
{
    unsigned char sig[SY_ED25519_SIG_LEN];
    char sig64[SIG64_LEN + 1];
    struct json_object *red = redact_new(v, json);
    char *bytes = NULL;
    size_t len = 0;
    int rc = sy_jsonsign_signed_bytes(red, &bytes, &len, err);

    json_object_put(red);
    if (rc == SY_ETOOBIG)
        return sy_error_set(err, SY_ETOOBIG, 413, "M_TOO_LARGE", "event is over %d bytes",
                            SY_EVENT_MAX_BYTES);
    if (rc != SY_OK)
        return rc;
    sy_sha256(bytes ? bytes : "", len, ref);
    if (later != NULL) {
        memset(later, 0, sizeof(*later));
        /* The bytes live as long as the event: 'a' frees them. */
        if (bytes != NULL)
            sy_arena_on_free(a, free, bytes);
        later->bytes = bytes ? bytes : "";
        later->len = len;
        memset(sig64, 'A', SIG64_LEN);
        sig64[SIG64_LEN] = '\0';
        later->sig = json_object_new_string(sig64);
        add_signature(json, server_name, k->key_id, later->sig);
        return SY_OK;
    }
    rc = sy_ed25519_sign(k, bytes ? bytes : "", len, sig);
    free(bytes);
    if (rc != SY_OK)
        return sy_err_internal(err, "could not sign an event");
    sy_b64_encode_buf(sig64, sig, sizeof(sig), 0);
    add_signature(json, server_name, k->key_id, json_object_new_string(sig64));
    return SY_OK;
}

int
sy_event_signature_apply(struct sy_event_signature *later, const struct sy_signing_key *k)
{
    unsigned char sig[SY_ED25519_SIG_LEN];
    char sig64[SIG64_LEN + 1];

    if (sy_ed25519_sign(k, later->bytes, later->len, sig) != SY_OK)
        return SY_EINTERNAL;
    sy_b64_encode_buf(sig64, sig, sizeof(sig), 0);
    /* The same length as the placeholder: the canonical text keeps its size. */
    memcpy(later->canonical_at, sig64, SIG64_LEN);
    json_object_set_string(later->sig, sig64);
    return SY_OK;
}

int
sy_event_verify_signature(struct sy_arena *a, const struct sy_room_version *v,
                          struct json_object *json, const char *server_name, const char *key_id,
                          const unsigned char *pub, struct sy_error *err)
{
    struct json_object *red;
    int rc;

    if (!json_object_is_type(json, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "an event must be a JSON object");
    red = redact_new(v, json);
    rc = sy_jsonsign_verify(red, server_name, key_id, pub, err);
    json_object_put(red);
    return rc;
}

/* ---- parsing ------------------------------------------------------------------------------ */

static int
bad_field(struct sy_error *err, const char *key, const char *what)
{
    return sy_err_invalid(err, "M_BAD_JSON", "event field \"%s\" %s", key, what);
}

/*
 * A string field: required or optional, at most 'max' bytes (0: no cap)
 * and starting with 'sigil' when that is not NUL.  *out stays NULL when
 * an optional field is absent.
 */
static int
get_string(struct json_object *o, const char *key, int required, size_t max, char sigil,
           const char **out, struct sy_error *err)
{
    struct json_object *v;
    size_t len;

    *out = NULL;
    if (!json_object_object_get_ex(o, key, &v))
        return required ? bad_field(err, key, "is missing") : SY_OK;
    if (!json_object_is_type(v, json_type_string))
        return bad_field(err, key, "must be a string");
    len = (size_t)json_object_get_string_len(v);
    if (max != 0 && len > max)
        return sy_error_set(err, SY_ETOOBIG, 413, "M_TOO_LARGE",
                            "event field \"%s\" is over %zu bytes", key, max);
    *out = json_object_get_string(v);
    if (sigil != '\0' && (*out)[0] != sigil)
        return bad_field(err, key, "has the wrong sigil");
    return SY_OK;
}

/* A required integer field, checked to be in [min, 2^53-1] by the caller's canonical check. */
static int
get_int(struct json_object *o, const char *key, int64_t min, int64_t *out, struct sy_error *err)
{
    struct json_object *v;

    if (!json_object_object_get_ex(o, key, &v))
        return bad_field(err, key, "is missing");
    if (!json_object_is_type(v, json_type_int))
        return bad_field(err, key, "must be an integer");
    *out = json_object_get_int64(v);
    if (*out < min)
        return bad_field(err, key, "is out of range");
    return SY_OK;
}

/* A required array of event IDs into a NULL-terminated arena array. */
static int
get_id_list(struct sy_arena *a, struct json_object *o, const char *key, const char ***out,
            size_t *n, struct sy_error *err)
{
    struct json_object *arr, *it;
    size_t i, len;

    if (!json_object_object_get_ex(o, key, &arr))
        return bad_field(err, key, "is missing");
    if (!json_object_is_type(arr, json_type_array))
        return bad_field(err, key, "must be an array");
    len = json_object_array_length(arr);
    *out = sy_arena_alloc(a, (len + 1) * sizeof(**out));
    for (i = 0; i < len; i++) {
        it = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(it, json_type_string) || json_object_get_string(it)[0] != '$')
            return bad_field(err, key, "must hold event IDs");
        if (json_object_get_string_len(it) > SY_EVENT_MAX_ID_BYTES)
            return sy_error_set(err, SY_ETOOBIG, 413, "M_TOO_LARGE",
                                "an event ID in \"%s\" is over %d bytes", key,
                                SY_EVENT_MAX_ID_BYTES);
        (*out)[i] = json_object_get_string(it);
    }
    *n = len;
    return SY_OK;
}

/* "signatures" is {server: {key_id: string}}; "hashes" is an object with a base64 sha256. */
static int
check_hashes_and_signatures(struct json_object *pdu, struct sy_error *err)
{
    unsigned char h[SY_SHA256_LEN];
    struct json_object *sigs;

    if (!json_object_object_get_ex(pdu, "hashes", NULL))
        return bad_field(err, "hashes", "is missing");
    if (sy_json_get_obj(pdu, "hashes") == NULL)
        return bad_field(err, "hashes", "must be an object");
    if (!stated_content_hash(pdu, h))
        return bad_field(err, "hashes", "must hold a base64 sha256 hash");
    if (!json_object_object_get_ex(pdu, "signatures", &sigs))
        return bad_field(err, "signatures", "is missing");
    if (!json_object_is_type(sigs, json_type_object))
        return bad_field(err, "signatures", "must be an object");
    json_object_object_foreach(sigs, server, keys)
    {
        (void)server;
        if (!json_object_is_type(keys, json_type_object))
            return bad_field(err, "signatures", "must map servers to objects");
        json_object_object_foreach(keys, key_id, sig)
        {
            (void)key_id;
            if (!json_object_is_type(sig, json_type_string))
                return bad_field(err, "signatures", "must hold strings");
        }
    }
    return SY_OK;
}

/* The whole event: canonical values only and at most SY_EVENT_MAX_BYTES. */
static int
check_size(struct json_object *pdu, struct sy_error *err)
{
    struct sy_buf b;
    int rc;

    if ((rc = sy_json_check_canonical_values(pdu, err)) != SY_OK)
        return rc;
    sy_buf_init(&b, SY_EVENT_MAX_BYTES);
    rc = sy_json_canonical(&b, pdu, err);
    sy_buf_free(&b);
    if (rc == SY_ETOOBIG)
        return sy_error_set(err, SY_ETOOBIG, 413, "M_TOO_LARGE", "event is over %d bytes",
                            SY_EVENT_MAX_BYTES);
    return rc;
}

static int
is_create(const struct sy_event *ev)
{
    return strcmp(ev->type, "m.room.create") == 0;
}

/* The fields every version has, with their types and the 255-byte caps. */
static int
parse_fields(struct sy_arena *a, struct json_object *pdu, struct sy_event *ev,
             struct sy_error *err)
{
    const char *ignored;
    int rc;

    if ((rc = get_string(pdu, "sender", 1, SY_EVENT_MAX_ID_BYTES, '@', &ev->sender, err)) ||
        (rc = get_string(pdu, "type", 1, SY_EVENT_MAX_ID_BYTES, 0, &ev->type, err)) ||
        (rc = get_string(pdu, "state_key", 0, SY_EVENT_MAX_ID_BYTES, 0, &ev->state_key, err)) ||
        (rc = get_string(pdu, "event_id", 0, SY_EVENT_MAX_ID_BYTES, 0, &ignored, err)) ||
        (rc = get_int(pdu, "origin_server_ts", INT64_MIN, &ev->origin_server_ts, err)) ||
        (rc = get_int(pdu, "depth", 0, &ev->depth, err)) ||
        (rc = get_id_list(a, pdu, "prev_events", &ev->prev_events, &ev->n_prev_events, err)) ||
        (rc = get_id_list(a, pdu, "auth_events", &ev->auth_events, &ev->n_auth_events, err)))
        return rc;
    if ((ev->content = sy_json_get_obj(pdu, "content")) == NULL)
        return bad_field(err, "content", json_object_object_get_ex(pdu, "content", NULL)
                                             ? "must be an object"
                                             : "is missing");
    if (json_object_object_get_ex(pdu, "unsigned", NULL) && sy_json_get_obj(pdu, "unsigned") == NULL)
        return bad_field(err, "unsigned", "must be an object");
    return check_hashes_and_signatures(pdu, err);
}

/* room_id (required, except on a v12 create) and redacts (top level before v11). */
static int
parse_version_fields(struct json_object *pdu, struct sy_event *ev, struct sy_error *err)
{
    const struct sy_room_version *v = ev->version;
    int room_id_required = !(v->room_id_is_create_hash && is_create(ev));
    const char *redacts = NULL;
    int rc;

    if ((rc = get_string(pdu, "room_id", room_id_required, SY_EVENT_MAX_ID_BYTES, '!',
                         &ev->room_id, err)) != SY_OK)
        return rc;
    if (!v->msc2174_redacts_in_content &&
        (rc = get_string(pdu, "redacts", 0, SY_EVENT_MAX_ID_BYTES, 0, &redacts, err)) != SY_OK)
        return rc;
    if (v->msc2174_redacts_in_content)
        redacts = sy_json_get_str(ev->content, "redacts");
    if (strcmp(ev->type, "m.room.redaction") == 0)
        ev->redacts = redacts;
    return SY_OK;
}

/* Content hash, reference hash, event ID and (v12 create) the room ID. */
static int
compute_hashes(struct sy_arena *a, struct sy_event *ev, struct sy_error *err)
{
    unsigned char stated[SY_SHA256_LEN];
    int rc;

    if ((rc = sy_event_content_hash(ev->json, ev->content_hash, err)) != SY_OK ||
        (rc = sy_event_reference_hash(a, ev->version, ev->json, ev->reference_hash, err)) != SY_OK)
        return rc;
    ev->content_hash_ok = stated_content_hash(ev->json, stated) &&
                          memcmp(stated, ev->content_hash, SY_SHA256_LEN) == 0;
    ev->event_id = hash_id(a, '$', ev->reference_hash);
    if (ev->version->room_id_is_create_hash && is_create(ev))
        ev->room_id = hash_id(a, '!', ev->reference_hash);
    return SY_OK;
}

int
sy_event_parse(struct sy_arena *a, const struct sy_room_version *v, struct json_object *pdu,
               struct sy_event **out, struct sy_error *err)
{
    struct sy_event *ev;
    int rc;

    if (!json_object_is_type(pdu, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "an event must be a JSON object");
    if ((rc = check_size(pdu, err)) != SY_OK)
        return rc;
    ev = sy_arena_alloc(a, sizeof(*ev));
    ev->json = pdu;
    ev->version = v;
    if ((rc = parse_fields(a, pdu, ev, err)) != SY_OK ||
        (rc = parse_version_fields(pdu, ev, err)) != SY_OK ||
        (rc = compute_hashes(a, ev, err)) != SY_OK)
        return rc;
    *out = ev;
    return SY_OK;
}

/* The fields of pdu into ev, whose ID is known: a stored event, or one just built. */
static int
read_known(struct sy_arena *a, const struct sy_room_version *v, struct json_object *pdu,
           const char *event_id, struct sy_event *ev, struct sy_error *err)
{
    int rc;

    ev->json = pdu;
    ev->version = v;
    if ((rc = parse_fields(a, pdu, ev, err)) != SY_OK ||
        (rc = parse_version_fields(pdu, ev, err)) != SY_OK)
        return rc;
    ev->content_hash_ok = 1;
    ev->event_id = event_id;
    /* A v12 room ID is the create event's reference hash, as its event ID is. */
    if (v->room_id_is_create_hash && is_create(ev))
        ev->room_id = sy_arena_printf(a, "!%s", event_id + 1);
    return SY_OK;
}

int
sy_event_parse_stored(struct sy_arena *a, const struct sy_room_version *v, struct json_object *pdu,
                      const char *event_id, struct sy_event **out, struct sy_error *err)
{
    struct sy_event *ev;
    int rc;

    if (!json_object_is_type(pdu, json_type_object) || event_id[0] != '$')
        return sy_err_invalid(err, "M_BAD_JSON", "a stored event must be a JSON object with an ID");
    ev = sy_arena_alloc(a, sizeof(*ev));
    if ((rc = read_known(a, v, pdu, sy_arena_strdup(a, event_id), ev, err)) != SY_OK)
        return rc;
    *out = ev;
    return SY_OK;
}

/* The canonical text of json in 'a'; with mark, *mark_at is where that string starts. */
static int
canonical_text(struct sy_arena *a, struct json_object *json, const struct json_object *mark,
               size_t *mark_at, const char **out, size_t *len, struct sy_error *err)
{
    struct sy_buf b;
    int rc;

    sy_buf_init(&b, SY_EVENT_MAX_BYTES);
    rc = mark != NULL ? sy_json_canonical_mark(&b, json, mark, mark_at, err)
                      : sy_json_canonical(&b, json, err);
    if (rc != SY_OK) {
        sy_buf_free(&b);
        if (rc == SY_ETOOBIG)
            return sy_error_set(err, SY_ETOOBIG, 413, "M_TOO_LARGE", "event is over %d bytes",
                                SY_EVENT_MAX_BYTES);
        return rc;
    }
    *out = sy_arena_memdup(a, b.data ? b.data : "", b.len + 1);
    *len = b.len;
    sy_buf_free(&b);
    return SY_OK;
}

int
sy_event_canonical(struct sy_arena *a, const struct sy_event *ev, const char **out, size_t *len,
                   struct sy_error *err)
{
    if (ev->canonical != NULL) {
        *out = ev->canonical;
        *len = ev->canonical_len;
        return SY_OK;
    }
    return canonical_text(a, ev->json, NULL, NULL, out, len, err);
}

/* ---- building ----------------------------------------------------------------------------- */

static struct json_object *
id_array(const char *const *ids, size_t n)
{
    struct json_object *arr = json_object_new_array();
    size_t i;

    for (i = 0; i < n; i++)
        json_object_array_add(arr, json_object_new_string(ids[i]));
    return arr;
}

/* The unsigned, unhashed PDU for f, as a new root owned by 'a'. */
static int
build_json(struct sy_arena *a, const struct sy_room_version *v, const struct sy_event_fields *f,
           struct json_object **out, struct sy_error *err)
{
    struct json_object *o = sy_json_new_object(a), *content = NULL;

    if (f->sender == NULL || f->type == NULL)
        return sy_err_internal(err, "event built without sender or type");
    if (f->content == NULL)
        content = json_object_new_object();
    else if (!json_object_is_type(f->content, json_type_object) ||
             json_object_deep_copy(f->content, &content, NULL) != 0)
        return sy_err_invalid(err, "M_BAD_JSON", "event content must be an object");
    if (f->redacts != NULL && v->msc2174_redacts_in_content)
        json_object_object_add(content, "redacts", json_object_new_string(f->redacts));
    else if (f->redacts != NULL)
        json_object_object_add(o, "redacts", json_object_new_string(f->redacts));
    json_object_object_add(o, "content", content);
    if (f->room_id != NULL)
        json_object_object_add(o, "room_id", json_object_new_string(f->room_id));
    json_object_object_add(o, "sender", json_object_new_string(f->sender));
    json_object_object_add(o, "type", json_object_new_string(f->type));
    if (f->state_key != NULL)
        json_object_object_add(o, "state_key", json_object_new_string(f->state_key));
    json_object_object_add(o, "prev_events", id_array(f->prev_events, f->n_prev_events));
    json_object_object_add(o, "auth_events", id_array(f->auth_events, f->n_auth_events));
    json_object_object_add(o, "depth", json_object_new_int64(f->depth));
    json_object_object_add(o, "origin_server_ts",
                           json_object_new_int64(f->origin_server_ts ? f->origin_server_ts
                                                                     : sy_now_ms()));
    json_object_object_add(o, "signatures", json_object_new_object());
    *out = o;
    return SY_OK;
}

/* sy_event_build, signed now (later NULL) or later. */
static int
build_event(struct sy_arena *a, const struct sy_room_version *v, const struct sy_event_fields *f,
            const char *server_name, const struct sy_signing_key *k,
            struct sy_event_signature *later, struct sy_event **out, struct sy_error *err)
{
    struct json_object *o = NULL;
    struct sy_event *ev = sy_arena_alloc(a, sizeof(*ev));
    size_t sig_at = 0;
    int rc;

    /*
     * What sy_event_parse would check and compute, each hash computed once.
     * The content hash's walk covers every value but the hashes and
     * signatures this adds, so it is also the check for floats, integers
     * out of range and invalid UTF-8.
     */
    if ((rc = build_json(a, v, f, &o, err)) != SY_OK ||
        (rc = sy_event_content_hash(o, ev->content_hash, err)) != SY_OK)
        return rc;
    put_content_hash(o, ev->content_hash);
    if ((rc = sign_new(a, v, o, server_name, k, ev->reference_hash, later, err)) != SY_OK)
        return rc;
    /* The size check's canonical text is what persisting stores: kept, not made twice. */
    ev->json = o;
    ev->canonical = NULL;
    if ((rc = canonical_text(a, o, later ? later->sig : NULL, &sig_at, &ev->canonical,
                             &ev->canonical_len, err)) != SY_OK ||
        (rc = read_known(a, v, o, hash_id(a, '$', ev->reference_hash), ev, err)) != SY_OK)
        return rc;
    /* Past the opening quote.  The text is the event's own, in 'a': changed only by apply. */
    if (later != NULL)
        later->canonical_at = (char *)ev->canonical + sig_at + 1;
    *out = ev;
    return SY_OK;
}

int
sy_event_build(struct sy_arena *a, const struct sy_room_version *v,
               const struct sy_event_fields *f, const char *server_name,
               const struct sy_signing_key *k, struct sy_event **out, struct sy_error *err)
{
    return build_event(a, v, f, server_name, k, NULL, out, err);
}

int
sy_event_build_unsigned(struct sy_arena *a, const struct sy_room_version *v,
                        const struct sy_event_fields *f, const char *server_name,
                        const struct sy_signing_key *k, struct sy_event_signature *later,
                        struct sy_event **out, struct sy_error *err)
{
    return build_event(a, v, f, server_name, k, later, out, err);
}

int
sy_event_build_draft(struct sy_arena *a, const struct sy_room_version *v,
                     const struct sy_event_fields *f, struct sy_event **out, struct sy_error *err)
{
    struct json_object *o = NULL;
    struct sy_event *ev;
    int rc;

    /* parse_fields wants "hashes" as a received event has it; the signature it can do without. */
    if ((rc = build_json(a, v, f, &o, err)) != SY_OK ||
        (rc = sy_event_add_content_hash(o, err)) != SY_OK)
        return rc;
    ev = sy_arena_alloc(a, sizeof(*ev));
    memset(ev, 0, sizeof(*ev));
    ev->json = o;
    ev->version = v;
    if ((rc = parse_fields(a, o, ev, err)) != SY_OK ||
        (rc = parse_version_fields(o, ev, err)) != SY_OK)
        return rc;
    *out = ev;
    return SY_OK;
}
