/*
 * crypto/sha256.h -- SHA-256 through OpenSSL EVP.
 *
 * Used for event content hashes, reference hashes (event ids) and stored
 * access-token hashes.  OpenSSL failures here can only mean a broken
 * library or no memory, so they abort like sy_malloc().
 */
#ifndef SY_CRYPTO_SHA256_H
#define SY_CRYPTO_SHA256_H

#include <stddef.h>

#define SY_SHA256_LEN 32

/* out = SHA-256(p[0..n)). */
void sy_sha256(const void *p, size_t n, unsigned char out[SY_SHA256_LEN]);

/*
 * Streaming form for data that arrives in pieces (media uploads).  The
 * caller owns the context: sy_sha256_final() frees it, and
 * sy_sha256_abort() frees one that will not be finished.
 */
struct sy_sha256;
struct sy_sha256 *sy_sha256_new(void);
void sy_sha256_update(struct sy_sha256 *h, const void *p, size_t n);
void sy_sha256_final(struct sy_sha256 *h, unsigned char out[SY_SHA256_LEN]);
void sy_sha256_abort(struct sy_sha256 *h);

#endif /* SY_CRYPTO_SHA256_H */
