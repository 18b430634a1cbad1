/*
 * t/unit/signing.c -- ed25519 keys, key files and Matrix JSON signing,
 * checked against the spec's cryptographic test vectors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "t/lib/tap.h"
#include "crypto/ed25519.h"
#include "crypto/jsonsign.h"
#include "crypto/sha256.h"
#include "json/canonical.h"
#include "util/arena.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"

/* From the spec appendix "Cryptographic Test Vectors". */
#define SPEC_SEED "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"
#define SPEC_SERVER "domain"
#define SPEC_KEY_ID "ed25519:1"

static struct sy_signing_key spec_key;

static const char *
sig_of(struct json_object *o, const char *server, const char *key_id)
{
    struct json_object *s, *m, *v;

    if (!json_object_object_get_ex(o, "signatures", &s) ||
        !json_object_object_get_ex(s, server, &m) || !json_object_object_get_ex(m, key_id, &v))
        return NULL;
    return json_object_get_string(v);
}

static void
test_spec_key(void)
{
    unsigned char seed[SY_ED25519_SEED_LEN];
    struct sy_error err = {0};
    size_t len = 0;

    is_int(sy_b64_decode_buf(SPEC_SEED, strlen(SPEC_SEED), 0, seed, sizeof(seed), &len), SY_OK,
           "spec seed decodes");
    is_int(len, 32, "spec seed is 32 bytes");
    is_int(sy_ed25519_from_seed(&spec_key, SPEC_KEY_ID, seed, &err), SY_OK, "key from seed");
    is_str(spec_key.key_id, SPEC_KEY_ID, "key id kept");
    is_int(sy_ed25519_from_seed(&spec_key, "rsa:1", seed, NULL), SY_EINVAL, "non-ed25519 id");
    is_int(sy_ed25519_from_seed(&spec_key, "ed25519:", seed, NULL), SY_EINVAL, "empty version");
    is_int(sy_ed25519_from_seed(&spec_key, "ed25519:a b", seed, NULL), SY_EINVAL, "bad version");
    sy_ed25519_from_seed(&spec_key, SPEC_KEY_ID, seed, &err);
}

static void
test_json_vectors(void)
{
    struct sy_error err = {0};
    struct json_object *o;

    o = json_tokener_parse("{}");
    is_int(sy_jsonsign_sign(o, SPEC_SERVER, &spec_key, &err), SY_OK, "sign {}");
    is_str(sig_of(o, SPEC_SERVER, SPEC_KEY_ID),
           "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ",
           "spec vector: signature of {}");
    is_int(sy_jsonsign_verify(o, SPEC_SERVER, SPEC_KEY_ID, spec_key.pub, &err), SY_OK, "verify {}");
    json_object_put(o);

    o = json_tokener_parse("{\"one\": 1, \"two\": \"Two\"}");
    is_int(sy_jsonsign_sign(o, SPEC_SERVER, &spec_key, &err), SY_OK, "sign {one, two}");
    is_str(sig_of(o, SPEC_SERVER, SPEC_KEY_ID),
           "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw",
           "spec vector: signature of {one, two}");
    is_int(sy_jsonsign_verify(o, SPEC_SERVER, SPEC_KEY_ID, spec_key.pub, &err), SY_OK,
           "verify {one, two}");
    json_object_put(o);
}

static void
test_sign_keeps_and_verify_fails(void)
{
    struct sy_error err = {0};
    struct json_object *o, *u;
    struct sy_signing_key other;
    const char *text;

    /* Existing signatures and "unsigned" are kept and not covered. */
    o = json_tokener_parse("{\"one\": 1, \"two\": \"Two\", \"unsigned\": {\"age_ts\": 5}, "
                           "\"signatures\": {\"elsewhere\": {\"ed25519:x\": \"abc\"}}}");
    is_int(sy_jsonsign_sign(o, SPEC_SERVER, &spec_key, &err), SY_OK, "sign with extras");
    is_str(sig_of(o, SPEC_SERVER, SPEC_KEY_ID),
           "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw",
           "signatures and unsigned are not covered");
    is_str(sig_of(o, "elsewhere", "ed25519:x"), "abc", "other server's signature kept");
    ok(json_object_object_get_ex(o, "unsigned", &u) &&
           json_object_get_int(json_object_object_get(u, "age_ts")) == 5,
       "unsigned kept");
    /* Signing again with the same key replaces, not duplicates. */
    is_int(sy_jsonsign_sign(o, SPEC_SERVER, &spec_key, &err), SY_OK, "sign twice");
    is_int(json_object_object_length(
               json_object_object_get(json_object_object_get(o, "signatures"), SPEC_SERVER)),
           1, "one signature per key id");

    is_int(sy_jsonsign_verify(o, SPEC_SERVER, "ed25519:2", spec_key.pub, &err), SY_ENOTFOUND,
           "verify: unknown key id");
    is_int(sy_jsonsign_verify(o, "nobody", SPEC_KEY_ID, spec_key.pub, &err), SY_ENOTFOUND,
           "verify: unknown server");
    is_int(sy_jsonsign_verify(o, "elsewhere", "ed25519:x", spec_key.pub, &err), SY_EFORBIDDEN,
           "verify: malformed signature");
    sy_ed25519_generate(&other);
    is_int(sy_jsonsign_verify(o, SPEC_SERVER, SPEC_KEY_ID, other.pub, &err), SY_EFORBIDDEN,
           "verify: wrong public key");
    is_str(err.errcode, "M_FORBIDDEN", "errcode M_FORBIDDEN");
    json_object_object_add(o, "two", json_object_new_string("Three"));
    is_int(sy_jsonsign_verify(o, SPEC_SERVER, SPEC_KEY_ID, spec_key.pub, &err), SY_EFORBIDDEN,
           "verify: tampered content");
    json_object_object_add(o, "two", json_object_new_string("Two"));
    json_object_object_add(o, "unsigned", json_object_new_string("changed"));
    is_int(sy_jsonsign_verify(o, SPEC_SERVER, SPEC_KEY_ID, spec_key.pub, &err), SY_OK,
           "verify: unsigned may change");
    json_object_put(o);

    o = json_tokener_parse("{\"signatures\": []}");
    text = json_object_to_json_string(o);
    is_int(sy_jsonsign_sign(o, SPEC_SERVER, &spec_key, &err), SY_EINVAL,
           "sign: signatures not an object");
    is_str(json_object_to_json_string(o), text, "object unchanged on failure");
    json_object_put(o);
    o = json_tokener_parse("{\"n\": 1.5}");
    is_int(sy_jsonsign_sign(o, SPEC_SERVER, &spec_key, &err), SY_EINVAL, "sign: float refused");
    ok(!json_object_object_get_ex(o, "signatures", NULL), "no signatures added on failure");
    json_object_put(o);
    o = json_object_new_array();
    is_int(sy_jsonsign_sign(o, SPEC_SERVER, &spec_key, &err), SY_EINVAL, "sign: not an object");
    json_object_put(o);
    sy_ed25519_clear(&other);
}

/*
 * The spec's "Event Signing" vectors, done by hand here: the content hash
 * is sha256 of the canonical event without unsigned, signatures and
 * hashes; the signature covers the redacted event.  Redaction (rooms/)
 * is done inline for these two simple events: the first has nothing to
 * strip, the second's m.room.message content becomes {}.
 */
static void
sign_event(struct json_object *ev, int redact_content)
{
    static const char *const hash_omit[] = {"unsigned", "signatures", "hashes", NULL};
    unsigned char h[SY_SHA256_LEN];
    char h64[64];
    struct json_object *hashes, *redacted, *sigs;
    struct sy_buf b;
    struct sy_error err = {0};

    sy_buf_init(&b, 0);
    sy_json_canonical_except(&b, ev, hash_omit, &err);
    sy_sha256(b.data, b.len, h);
    sy_buf_free(&b);
    sy_b64_encode_buf(h64, h, sizeof(h), 0);
    hashes = json_object_new_object();
    json_object_object_add(hashes, "sha256", json_object_new_string(h64));
    json_object_object_add(ev, "hashes", hashes);

    redacted = NULL;
    json_object_deep_copy(ev, &redacted, NULL);
    if (redact_content)
        json_object_object_add(redacted, "content", json_object_new_object());
    json_object_object_del(redacted, "unsigned");
    is_int(sy_jsonsign_sign(redacted, SPEC_SERVER, &spec_key, &err), SY_OK, "sign event");
    sigs = json_object_get(json_object_object_get(redacted, "signatures"));
    json_object_object_add(ev, "signatures", sigs);
    json_object_put(redacted);
}

static void
test_event_vectors(void)
{
    struct json_object *ev, *hashes;

    ev = json_tokener_parse(
        "{\"room_id\": \"!x:domain\", \"sender\": \"@a:domain\", \"origin\": \"domain\", "
        "\"origin_server_ts\": 1000000, \"signatures\": {}, \"hashes\": {}, \"type\": \"X\", "
        "\"content\": {}, \"prev_events\": [], \"auth_events\": [], \"depth\": 3, "
        "\"unsigned\": {\"age_ts\": 1000000}}");
    sign_event(ev, 0);
    hashes = json_object_object_get(ev, "hashes");
    is_str(json_object_get_string(json_object_object_get(hashes, "sha256")),
           "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos", "spec vector: minimal event hash");
    is_str(sig_of(ev, SPEC_SERVER, SPEC_KEY_ID),
           "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg",
           "spec vector: minimal event signature");
    json_object_put(ev);

    ev = json_tokener_parse(
        "{\"content\": {\"body\": \"Here is the message content\"}, \"event_id\": \"$0:domain\", "
        "\"origin\": \"domain\", \"origin_server_ts\": 1000000, \"type\": \"m.room.message\", "
        "\"room_id\": \"!r:domain\", \"sender\": \"@u:domain\", \"signatures\": {}, "
        "\"unsigned\": {\"age_ts\": 1000000}}");
    sign_event(ev, 1);
    hashes = json_object_object_get(ev, "hashes");
    is_str(json_object_get_string(json_object_object_get(hashes, "sha256")),
           "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g", "spec vector: message event hash");
    is_str(sig_of(ev, SPEC_SERVER, SPEC_KEY_ID),
           "Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA",
           "spec vector: message event signature (over the redacted event)");
    json_object_put(ev);
}

static void
test_raw_sign_verify(void)
{
    unsigned char sig[SY_ED25519_SIG_LEN];
    struct sy_signing_key k;

    sy_ed25519_generate(&k);
    ok(strncmp(k.key_id, "ed25519:", 8) == 0 && strlen(k.key_id) == 8 + 6,
       "generated key id ed25519:<6 chars>");
    is_int(sy_ed25519_sign(&k, "hello", 5, sig), SY_OK, "raw sign");
    is_int(sy_ed25519_verify(k.pub, "hello", 5, sig), SY_OK, "raw verify");
    is_int(sy_ed25519_verify(k.pub, "hellO", 5, sig), SY_EFORBIDDEN, "raw verify, other message");
    sig[0] ^= 1;
    is_int(sy_ed25519_verify(k.pub, "hello", 5, sig), SY_EFORBIDDEN, "raw verify, bad signature");
    sy_ed25519_clear(&k);
}

static void
test_key_files(void)
{
    char dir[] = "/tmp/sy-signing-XXXXXX", path[64];
    struct sy_signing_key k, back;
    struct sy_error err = {0};
    struct stat st;
    struct sy_arena *a = sy_arena_new();
    FILE *f;
    char line[128];

    if (mkdtemp(dir) == NULL) {
        fail("mkdtemp");
        return;
    }
    snprintf(path, sizeof(path), "%s/signing.key", dir);
    sy_ed25519_generate(&k);
    is_int(sy_ed25519_save_file(&k, path, &err), SY_OK, "save key file");
    ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "key file mode 0600");
    is_int(sy_ed25519_save_file(&k, path, &err), SY_ECONFLICT, "save refuses to overwrite");
    f = fopen(path, "r");
    ok(f && fgets(line, sizeof(line), f) && strncmp(line, "ed25519 ", 8) == 0 &&
           strncmp(line + 8, k.key_id + 8, 6) == 0 && line[strlen(line) - 1] == '\n',
       "file is \"ed25519 <version> <seed>\\n\"");
    if (f)
        fclose(f);
    is_int(sy_ed25519_load_file(&back, path, &err), SY_OK, "load key file");
    is_str(back.key_id, k.key_id, "loaded key id");
    is_mem(back.seed, 32, k.seed, 32, "loaded seed");
    is_mem(back.pub, 32, k.pub, 32, "loaded public key");
    is_str(sy_ed25519_public_b64(a, &back), sy_b64_encode(a, k.pub, 32, 0), "public_b64");
    unlink(path);
    is_int(sy_ed25519_load_file(&back, path, &err), SY_EIO, "load missing file");
    rmdir(dir);

    /* Synapse's format, and what it must refuse. */
    is_int(sy_ed25519_parse(&back, "ed25519 a_AbCd " SPEC_SEED "\n", &err), SY_OK,
           "parse a Synapse key line");
    is_str(back.key_id, "ed25519:a_AbCd", "Synapse key id");
    is_mem(back.pub, 32, spec_key.pub, 32, "same seed, same public key");
    is_int(sy_ed25519_parse(&back, "\ned25519 1 " SPEC_SEED "\r\ned25519 2 xx\n", &err), SY_OK,
           "first key of several, CRLF");
    is_str(back.key_id, "ed25519:1", "first key taken");
    is_int(sy_ed25519_parse(&back, "ed25519 1 " SPEC_SEED "=\n", &err), SY_OK, "padded seed");
    is_int(sy_ed25519_parse(&back, "ed25519 1\n", &err), SY_EINVAL, "missing seed");
    is_int(sy_ed25519_parse(&back, "ed25519 1 Zm9v\n", &err), SY_EINVAL, "short seed");
    is_int(sy_ed25519_parse(&back, "ed448 1 " SPEC_SEED, &err), SY_EINVAL, "other algorithm");
    is_int(sy_ed25519_parse(&back, "ed25519 1 " SPEC_SEED " extra", &err), SY_EINVAL,
           "trailing garbage");
    is_int(sy_ed25519_parse(&back, "", &err), SY_EINVAL, "empty file");
    sy_ed25519_clear(&k);
    sy_ed25519_clear(&back);
    sy_arena_free(a);
}

int
main(void)
{
    test_spec_key();
    test_json_vectors();
    test_sign_keeps_and_verify_fails();
    test_event_vectors();
    test_raw_sign_verify();
    test_key_files();
    sy_ed25519_clear(&spec_key);
    return done_testing();
}
