/*
 * crypto/hmac.c -- HMAC through OpenSSL.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>

#include "crypto/hmac.h"

void
sy_hmac_sha1(const void *key, size_t key_len, const void *msg, size_t msg_len,
             unsigned char out[SY_HMAC_SHA1_LEN])
{
    unsigned int len = SY_HMAC_SHA1_LEN;

    if (HMAC(EVP_sha1(), key, (int)key_len, msg, msg_len, out, &len) == NULL)
        abort(); /* only fails on allocation failure */
}
