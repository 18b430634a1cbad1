/*
 * t/unit/b64.c -- unpadded base64, random strings and tokens.
 */
#include <string.h>

#include "t/lib/tap.h"
#include "crypto/sha256.h"
#include "crypto/token.h"
#include "util/arena.h"
#include "util/b64.h"
#include "util/err.h"
#include "util/rand.h"

static void
test_spec_vectors(struct sy_arena *a)
{
    /* The spec's "Unpadded Base64" examples. */
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    unsigned char *out;
    size_t i, len;

    for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        is_str(sy_b64_encode(a, plain[i], strlen(plain[i]), 0), enc[i], "encode \"%s\"", plain[i]);
        is_int(sy_b64_encoded_len(strlen(plain[i])), strlen(enc[i]), "encoded_len(%zu)",
               strlen(plain[i]));
        out = NULL;
        is_int(sy_b64_decode(a, enc[i], 0, &out, &len), SY_OK, "decode \"%s\"", enc[i]);
        is_mem(out, len, plain[i], strlen(plain[i]), "decode \"%s\" gives \"%s\"", enc[i],
               plain[i]);
    }
}

static void
test_padding(struct sy_arena *a)
{
    unsigned char *out;
    size_t len;

    ok(sy_b64_decode(a, "Zg==", 0, &out, &len) == SY_OK && len == 1 && out[0] == 'f',
       "padded Zg== accepted");
    ok(sy_b64_decode(a, "Zm8=", 0, &out, &len) == SY_OK && len == 2 && memcmp(out, "fo", 2) == 0,
       "padded Zm8= accepted");
    ok(sy_b64_decode(a, "Zg=", 0, &out, &len) == SY_OK && len == 1, "short padding Zg= accepted");
    is_int(sy_b64_decode(a, "Zm9v=", 0, &out, &len), SY_EINVAL, "padding after a full quad");
    is_int(sy_b64_decode(a, "Zg===", 0, &out, &len), SY_EINVAL, "three '=' rejected");
    is_int(sy_b64_decode(a, "Z=g", 0, &out, &len), SY_EINVAL, "'=' in the middle rejected");
    is_int(sy_b64_decode(a, "=", 0, &out, &len), SY_EINVAL, "lone '=' rejected");
    is_int(sy_b64_decode(a, "Z", 0, &out, &len), SY_EINVAL, "length 1 mod 4 rejected");
    is_int(sy_b64_decode(a, "Zm9vY", 0, &out, &len), SY_EINVAL, "length 5 rejected");
}

static void
test_alphabets(struct sy_arena *a)
{
    static const unsigned char bytes[] = {0xfb, 0xff, 0xbf, 0xfb, 0xef};
    unsigned char all[256], *out;
    size_t i, len;

    is_str(sy_b64_encode(a, bytes, sizeof(bytes), 0), "+/+/++8", "standard alphabet");
    is_str(sy_b64_encode(a, bytes, sizeof(bytes), 1), "-_-_--8", "URL-safe alphabet");
    ok(sy_b64_decode(a, "+/+/++8", 0, &out, &len) == SY_OK && len == 5 &&
           memcmp(out, bytes, 5) == 0,
       "standard decode");
    ok(sy_b64_decode(a, "-_-_--8", 1, &out, &len) == SY_OK && len == 5 &&
           memcmp(out, bytes, 5) == 0,
       "URL-safe decode");
    is_int(sy_b64_decode(a, "-_-_--8", 0, &out, &len), SY_EINVAL, "'-' '_' not standard");
    is_int(sy_b64_decode(a, "+/+/++8", 1, &out, &len), SY_EINVAL, "'+' '/' not URL-safe");
    is_int(sy_b64_decode(a, "Zm9v YmFy", 0, &out, &len), SY_EINVAL, "space rejected");
    is_int(sy_b64_decode(a, "Zm9v\nYmFy", 0, &out, &len), SY_EINVAL, "newline rejected");
    is_int(sy_b64_decode(a, "Zm9v\x80YmF", 0, &out, &len), SY_EINVAL, "high byte rejected");

    for (i = 0; i < sizeof(all); i++)
        all[i] = (unsigned char)i;
    for (i = 0; i <= sizeof(all); i += 37) {
        const char *s = sy_b64_encode(a, all, i, 1);
        ok(sy_b64_decode(a, s, 1, &out, &len) == SY_OK && len == i && memcmp(out, all, i) == 0,
           "round trip %zu bytes", i);
    }
}

static void
test_decode_buf(void)
{
    unsigned char out[4];
    size_t len = 0;

    is_int(sy_b64_decode_buf("Zm9v", 4, 0, out, 3, &len), SY_OK, "decode_buf exact fit");
    is_mem(out, len, "foo", 3, "decode_buf bytes");
    is_int(sy_b64_decode_buf("Zm9vYg", 6, 0, out, 3, &len), SY_ETOOBIG, "decode_buf over cap");
    is_int(sy_b64_decode_buf("Zm9vYmFy", 4, 0, out, 4, &len), SY_OK, "decode_buf honours slen");
    is_int(len, 3, "decode_buf length from slen");
}

static void
test_rand_and_tokens(struct sy_arena *a)
{
    unsigned char h[SY_TOKEN_HASH_LEN], h2[SY_SHA256_LEN];
    const char *t1, *t2, *dev, *s;
    size_t i;
    int good = 1;

    s = sy_rand_string(a, 200, SY_RAND_KEYVER);
    for (i = 0; i < 200; i++)
        good &= strchr(SY_RAND_KEYVER, s[i]) != NULL;
    ok(strlen(s) == 200 && good, "rand_string uses only its alphabet");
    s = sy_rand_string(a, 0, "x");
    is_str(s, "", "rand_string of length 0");
    s = sy_rand_string(a, 5, "x");
    is_str(s, "xxxxx", "rand_string from a one-character alphabet");

    t1 = sy_token_new(a, SY_TOKEN_ACCESS_PREFIX);
    t2 = sy_token_new(a, SY_TOKEN_ACCESS_PREFIX);
    is_int(strlen(t1), 4 + 43, "access token length");
    ok(strncmp(t1, "syt_", 4) == 0, "access token prefix");
    ok(strcmp(t1, t2) != 0, "tokens differ");
    ok(strspn(t1 + 4, SY_RAND_ALNUM "-_") == 43, "token is URL-safe");
    sy_token_hash(t1, h);
    sy_sha256(t1, strlen(t1), h2);
    is_mem(h, sizeof(h), h2, sizeof(h2), "token hash is sha256 of the text");

    dev = sy_token_device_id(a);
    ok(strlen(dev) == 10 && strspn(dev, SY_RAND_UPPER) == 10, "device id is 10 uppercase letters");
}

static void
test_sha256(struct sy_arena *a)
{
    unsigned char h[SY_SHA256_LEN];
    struct sy_sha256 *ctx;

    sy_sha256("abc", 3, h);
    is_str(sy_b64_encode(a, h, sizeof(h), 0), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0",
           "sha256(\"abc\")");
    ctx = sy_sha256_new();
    sy_sha256_update(ctx, "a", 1);
    sy_sha256_update(ctx, "bc", 2);
    sy_sha256_final(ctx, h);
    is_str(sy_b64_encode(a, h, sizeof(h), 0), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0",
           "streaming sha256(\"abc\")");
    ctx = sy_sha256_new();
    sy_sha256_abort(ctx);
}

int
main(void)
{
    struct sy_arena *a = sy_arena_new();

    test_spec_vectors(a);
    test_padding(a);
    test_alphabets(a);
    test_decode_buf();
    test_rand_and_tokens(a);
    test_sha256(a);
    sy_arena_free(a);
    return done_testing();
}
