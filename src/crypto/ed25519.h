/*
 * crypto/ed25519.h -- ed25519 server signing keys (OpenSSL EVP_PKEY).
 *
 * A struct sy_signing_key is plain data: the 32-byte seed (the private
 * key), the public key derived from it and the key id ("ed25519:<ver>").
 * Whoever holds one owns it and should sy_ed25519_clear() it when done.
 *
 * Key files use Synapse's format, one key per line:
 *     ed25519 <version> <unpadded base64 seed>
 * so keys can move between Synapse and Syncro.  Only the first key in a
 * file is loaded.  Files are created with mode 0600 and never overwritten.
 */
#ifndef SY_CRYPTO_ED25519_H
#define SY_CRYPTO_ED25519_H

#include <stddef.h>

struct sy_arena;
struct sy_error;

#define SY_ED25519_SEED_LEN 32
#define SY_ED25519_PUB_LEN 32
#define SY_ED25519_SIG_LEN 64
#define SY_ED25519_VERSION_LEN 6 /* random part of a generated key id */

struct sy_signing_key {
    char key_id[64]; /* "ed25519:" + version, NUL-terminated */
    unsigned char seed[SY_ED25519_SEED_LEN];
    unsigned char pub[SY_ED25519_PUB_LEN];
};

/* A new random key with id "ed25519:" + 6 random [a-zA-Z0-9_]. */
void sy_ed25519_generate(struct sy_signing_key *k);

/*
 * Fill k from a seed and a key id ("ed25519:<version>", version made of
 * [a-zA-Z0-9_]).  0, or SY_EINVAL (M_INVALID_PARAM) for a bad key id.
 */
int sy_ed25519_from_seed(struct sy_signing_key *k, const char *key_id,
                         const unsigned char seed[SY_ED25519_SEED_LEN], struct sy_error *err);

/* Sign msg[0..n) into sig.  0, or SY_EINTERNAL if OpenSSL fails. */
int sy_ed25519_sign(const struct sy_signing_key *k, const void *msg, size_t n,
                    unsigned char sig[SY_ED25519_SIG_LEN]);

/* 0 if sig is pub's signature of msg[0..n), else SY_EFORBIDDEN. */
int sy_ed25519_verify(const unsigned char pub[SY_ED25519_PUB_LEN], const void *msg, size_t n,
                      const unsigned char sig[SY_ED25519_SIG_LEN]);

/* The public key as unpadded standard base64, owned by 'a'. */
char *sy_ed25519_public_b64(struct sy_arena *a, const struct sy_signing_key *k);

/*
 * Parse the first key line of a key file's text.  0, or SY_EINVAL
 * (M_UNKNOWN) when it is not "ed25519 <version> <seed>".
 */
int sy_ed25519_parse(struct sy_signing_key *k, const char *text, struct sy_error *err);

/* Load the first key from 'path'.  0, SY_EIO (cannot read) or SY_EINVAL (malformed). */
int sy_ed25519_load_file(struct sy_signing_key *k, const char *path, struct sy_error *err);

/*
 * Write k to a new file 'path' with mode 0600.  0; SY_ECONFLICT if the
 * file already exists (it is left alone); SY_EIO on other failures (a
 * partly written file is removed).
 */
int sy_ed25519_save_file(const struct sy_signing_key *k, const char *path, struct sy_error *err);

/* Wipe the private part of k. */
void sy_ed25519_clear(struct sy_signing_key *k);

#endif /* SY_CRYPTO_ED25519_H */
