/*
 * crypto/hmac.h -- HMAC for the protocols that need it.
 */
#ifndef SY_CRYPTO_HMAC_H
#define SY_CRYPTO_HMAC_H

#include <stddef.h>

#define SY_HMAC_SHA1_LEN 20

/* out = HMAC-SHA1(key, msg). */
void sy_hmac_sha1(const void *key, size_t key_len, const void *msg, size_t msg_len,
                  unsigned char out[SY_HMAC_SHA1_LEN]);

#endif /* SY_CRYPTO_HMAC_H */
