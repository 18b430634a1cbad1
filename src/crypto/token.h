/*
 * crypto/token.h -- access tokens, refresh tokens and device ids.
 *
 * A token is 256 random bits rendered as a prefix plus unpadded URL-safe
 * base64 ("syt_" + 43 characters for access tokens).  The database keeps
 * only sy_token_hash() of a token, so a leaked table does not leak
 * sessions; the plaintext exists only in the login response.
 */
#ifndef SY_CRYPTO_TOKEN_H
#define SY_CRYPTO_TOKEN_H

#include <stddef.h>

struct sy_arena;

#define SY_TOKEN_ACCESS_PREFIX "syt_"
#define SY_TOKEN_REFRESH_PREFIX "syr_"
#define SY_TOKEN_RANDOM_BYTES 32
#define SY_TOKEN_HASH_LEN 32
#define SY_DEVICE_ID_LEN 10

/*
 * A new token: 'prefix' (e.g. SY_TOKEN_ACCESS_PREFIX) followed by 32
 * random bytes in URL-safe unpadded base64.  NUL-terminated, owned by 'a'.
 */
char *sy_token_new(struct sy_arena *a, const char *prefix);

/* out = SHA-256 of the token text; this is what is stored and looked up. */
void sy_token_hash(const char *token, unsigned char out[SY_TOKEN_HASH_LEN]);

/* A new device id: 10 random uppercase letters, owned by 'a'. */
char *sy_token_device_id(struct sy_arena *a);

#endif /* SY_CRYPTO_TOKEN_H */
