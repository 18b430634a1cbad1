/*
 * crypto/sha256.c -- SHA-256 through OpenSSL EVP.
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "crypto/sha256.h"
#include "util/mem.h"

/* The handle is the EVP context itself; the struct type stays opaque. */
#define CTX(h) ((EVP_MD_CTX *)(void *)(h))

static _Noreturn void
sha256_fail(const char *what)
{
    fprintf(stderr, "syncro: sha256: %s failed\n", what);
    abort();
}

void
sy_sha256(const void *p, size_t n, unsigned char out[SY_SHA256_LEN])
{
    unsigned int len = 0;

    if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1 || len != SY_SHA256_LEN)
        sha256_fail("EVP_Digest");
}

struct sy_sha256 *
sy_sha256_new(void)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (ctx == NULL)
        sy_oom();
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        sha256_fail("EVP_DigestInit_ex");
    return (struct sy_sha256 *)(void *)ctx;
}

void
sy_sha256_update(struct sy_sha256 *h, const void *p, size_t n)
{
    if (EVP_DigestUpdate(CTX(h), p, n) != 1)
        sha256_fail("EVP_DigestUpdate");
}

void
sy_sha256_final(struct sy_sha256 *h, unsigned char out[SY_SHA256_LEN])
{
    unsigned int len = 0;

    if (EVP_DigestFinal_ex(CTX(h), out, &len) != 1 || len != SY_SHA256_LEN)
        sha256_fail("EVP_DigestFinal_ex");
    EVP_MD_CTX_free(CTX(h));
}

void
sy_sha256_abort(struct sy_sha256 *h)
{
    EVP_MD_CTX_free(CTX(h));
}
