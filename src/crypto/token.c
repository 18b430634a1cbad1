/*
 * crypto/token.c -- random tokens and device ids.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "crypto/sha256.h"
#include "crypto/token.h"
#include "util/arena.h"
#include "util/b64.h"
#include "util/rand.h"

char *
sy_token_new(struct sy_arena *a, const char *prefix)
{
    unsigned char raw[SY_TOKEN_RANDOM_BYTES];
    size_t plen = strlen(prefix);
    char *t = sy_arena_alloc(a, plen + sy_b64_encoded_len(sizeof(raw)) + 1);

    sy_rand_bytes(raw, sizeof(raw));
    memcpy(t, prefix, plen);
    sy_b64_encode_buf(t + plen, raw, sizeof(raw), 1);
    OPENSSL_cleanse(raw, sizeof(raw));
    return t;
}

void
sy_token_hash(const char *token, unsigned char out[SY_TOKEN_HASH_LEN])
{
    sy_sha256(token, strlen(token), out);
}

char *
sy_token_device_id(struct sy_arena *a)
{
    return sy_rand_string(a, SY_DEVICE_ID_LEN, SY_RAND_UPPER);
}
