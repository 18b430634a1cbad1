/*
 * crypto/ed25519.c -- ed25519 keys, signatures and key files.
 *
 * Each call builds a short-lived EVP_PKEY from the raw key bytes and
 * frees it before returning; no OpenSSL object outlives a call.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/ed25519.h"
#include "util/arena.h"
#include "util/b64.h"
#include "util/err.h"
#include "util/rand.h"

#define KEY_ALG "ed25519"
#define KEY_FILE_MAX 4096

/* A key version: 1..55 characters of [a-zA-Z0-9_]. */
static int
version_valid(const char *v, size_t len)
{
    size_t i;

    if (len == 0 || len > sizeof(((struct sy_signing_key *)0)->key_id) - sizeof(KEY_ALG ":"))
        return 0;
    for (i = 0; i < len; i++) {
        char c = v[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return 0;
    }
    return 1;
}

/* Derive k->pub from k->seed. */
static int
derive_public(struct sy_signing_key *k)
{
    EVP_PKEY *pkey;
    size_t len = SY_ED25519_PUB_LEN;
    int ok;

    pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, k->seed, SY_ED25519_SEED_LEN);
    if (pkey == NULL)
        return SY_EINTERNAL;
    ok = EVP_PKEY_get_raw_public_key(pkey, k->pub, &len) == 1 && len == SY_ED25519_PUB_LEN;
    EVP_PKEY_free(pkey);
    return ok ? SY_OK : SY_EINTERNAL;
}

void
sy_ed25519_generate(struct sy_signing_key *k)
{
    char version[SY_ED25519_VERSION_LEN + 1];

    sy_rand_fill_string(version, SY_ED25519_VERSION_LEN, SY_RAND_KEYVER);
    snprintf(k->key_id, sizeof(k->key_id), KEY_ALG ":%s", version);
    sy_rand_bytes(k->seed, SY_ED25519_SEED_LEN);
    if (derive_public(k) != SY_OK) {
        fprintf(stderr, "syncro: could not derive an ed25519 public key\n");
        abort();
    }
}

int
sy_ed25519_from_seed(struct sy_signing_key *k, const char *key_id,
                     const unsigned char seed[SY_ED25519_SEED_LEN], struct sy_error *err)
{
    const size_t plen = sizeof(KEY_ALG ":") - 1;

    if (strncmp(key_id, KEY_ALG ":", plen) != 0 ||
        !version_valid(key_id + plen, strlen(key_id + plen)))
        return sy_err_invalid(err, "M_INVALID_PARAM", "invalid signing key id");
    memset(k, 0, sizeof(*k));
    strcpy(k->key_id, key_id);
    memcpy(k->seed, seed, SY_ED25519_SEED_LEN);
    if (derive_public(k) != SY_OK) {
        sy_ed25519_clear(k);
        return sy_err_internal(err, "could not derive an ed25519 public key");
    }
    return SY_OK;
}

/*
 * Building an EVP_PKEY from a seed derives the public key, a scalar
 * multiplication that costs about as much as the signature itself.  Each
 * thread keeps the last one it built (freed when the thread ends).
 */
struct pkey_slot {
    unsigned char seed[SY_ED25519_SEED_LEN];
    EVP_PKEY *pkey;
};

static pthread_key_t slot_key;
static pthread_once_t slot_once = PTHREAD_ONCE_INIT;
static int slot_key_ok;

static void
slot_free(void *p)
{
    struct pkey_slot *s = p;

    EVP_PKEY_free(s->pkey);
    OPENSSL_cleanse(s->seed, sizeof(s->seed));
    free(s);
}

static void
slot_init(void)
{
    slot_key_ok = pthread_key_create(&slot_key, slot_free) == 0;
}

/* This thread's slot, created on first use; NULL when out of memory. */
static struct pkey_slot *
thread_slot(void)
{
    struct pkey_slot *s;

    pthread_once(&slot_once, slot_init);
    if (!slot_key_ok)
        return NULL;
    if ((s = pthread_getspecific(slot_key)) == NULL) {
        if ((s = calloc(1, sizeof(*s))) == NULL)
            return NULL;
        if (pthread_setspecific(slot_key, s) != 0) {
            free(s);
            return NULL;
        }
    }
    return s;
}

/* k's private key, owned by this thread's slot; NULL if OpenSSL fails. */
static EVP_PKEY *
signing_pkey(const struct sy_signing_key *k)
{
    struct pkey_slot *s = thread_slot();

    if (s == NULL)
        return NULL;
    if (s->pkey != NULL && CRYPTO_memcmp(s->seed, k->seed, SY_ED25519_SEED_LEN) == 0)
        return s->pkey;
    EVP_PKEY_free(s->pkey);
    s->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, k->seed, SY_ED25519_SEED_LEN);
    memcpy(s->seed, k->seed, SY_ED25519_SEED_LEN);
    return s->pkey;
}

int
sy_ed25519_sign(const struct sy_signing_key *k, const void *msg, size_t n,
                unsigned char sig[SY_ED25519_SIG_LEN])
{
    EVP_PKEY *pkey = signing_pkey(k);
    EVP_MD_CTX *ctx = NULL;
    size_t siglen = SY_ED25519_SIG_LEN;
    int ok = 0;

    if (pkey == NULL)
        return SY_EINTERNAL;
    /* ed25519 is "pure": no digest, and the one-shot call is required. */
    if ((ctx = EVP_MD_CTX_new()) != NULL && EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
        EVP_DigestSign(ctx, sig, &siglen, msg, n) == 1 && siglen == SY_ED25519_SIG_LEN)
        ok = 1;
    EVP_MD_CTX_free(ctx);
    return ok ? SY_OK : SY_EINTERNAL;
}

int
sy_ed25519_verify(const unsigned char pub[SY_ED25519_PUB_LEN], const void *msg, size_t n,
                  const unsigned char sig[SY_ED25519_SIG_LEN])
{
    EVP_PKEY *pkey;
    EVP_MD_CTX *ctx = NULL;
    int ok = 0;

    pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, SY_ED25519_PUB_LEN);
    if (pkey == NULL)
        return SY_EFORBIDDEN;
    if ((ctx = EVP_MD_CTX_new()) != NULL &&
        EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
        EVP_DigestVerify(ctx, sig, SY_ED25519_SIG_LEN, msg, n) == 1)
        ok = 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    return ok ? SY_OK : SY_EFORBIDDEN;
}

char *
sy_ed25519_public_b64(struct sy_arena *a, const struct sy_signing_key *k)
{
    return sy_b64_encode(a, k->pub, SY_ED25519_PUB_LEN, 0);
}

static int
is_space(char c)
{
    return c == ' ' || c == '\t';
}

int
sy_ed25519_parse(struct sy_signing_key *k, const char *text, struct sy_error *err)
{
    const char *p = text, *ver, *seed;
    size_t verlen, seedlen, got = 0;
    unsigned char raw[SY_ED25519_SEED_LEN];
    char key_id[sizeof(k->key_id)];
    int rc;

    /* Skip blank lines before the first key. */
    while (*p == '\n' || *p == '\r' || is_space(*p))
        p++;
    if (strncmp(p, KEY_ALG, sizeof(KEY_ALG) - 1) != 0 || !is_space(p[sizeof(KEY_ALG) - 1]))
        goto bad;
    p += sizeof(KEY_ALG) - 1;
    while (is_space(*p))
        p++;
    ver = p;
    while (*p && !is_space(*p) && *p != '\n' && *p != '\r')
        p++;
    verlen = (size_t)(p - ver);
    if (!version_valid(ver, verlen))
        goto bad;
    while (is_space(*p))
        p++;
    seed = p;
    while (*p && !is_space(*p) && *p != '\n' && *p != '\r')
        p++;
    seedlen = (size_t)(p - seed);
    while (is_space(*p) || *p == '\r')
        p++;
    if (*p != '\0' && *p != '\n')
        goto bad;
    if (sy_b64_decode_buf(seed, seedlen, 0, raw, sizeof(raw), &got) != SY_OK ||
        got != SY_ED25519_SEED_LEN)
        goto bad;
    snprintf(key_id, sizeof(key_id), KEY_ALG ":%.*s", (int)verlen, ver);
    rc = sy_ed25519_from_seed(k, key_id, raw, err);
    OPENSSL_cleanse(raw, sizeof(raw));
    return rc;
bad:
    OPENSSL_cleanse(raw, sizeof(raw));
    return sy_error_set(err, SY_EINVAL, 500, "M_UNKNOWN",
                        "signing key is not in the form \"ed25519 <version> <base64 seed>\"");
}

int
sy_ed25519_load_file(struct sy_signing_key *k, const char *path, struct sy_error *err)
{
    char text[KEY_FILE_MAX + 1];
    size_t len = 0;
    ssize_t r;
    int fd, rc;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return sy_error_set(err, SY_EIO, 500, "M_UNKNOWN",
                            "could not open signing key file \"%s\": %s", path, strerror(errno));
    while (len < KEY_FILE_MAX && (r = read(fd, text + len, KEY_FILE_MAX - len)) != 0) {
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = sy_error_set(err, SY_EIO, 500, "M_UNKNOWN",
                              "could not read signing key file \"%s\": %s", path, strerror(errno));
            close(fd);
            OPENSSL_cleanse(text, sizeof(text));
            return rc;
        }
        len += (size_t)r;
    }
    close(fd);
    text[len] = '\0';
    if (strlen(text) != len) {
        rc = sy_error_set(err, SY_EINVAL, 500, "M_UNKNOWN", "signing key file \"%s\" is malformed",
                          path);
    } else if ((rc = sy_ed25519_parse(k, text, err)) != SY_OK) {
        sy_error_detail(err, "file \"%s\"", path);
    }
    OPENSSL_cleanse(text, sizeof(text));
    return rc;
}

int
sy_ed25519_save_file(const struct sy_signing_key *k, const char *path, struct sy_error *err)
{
    char line[sizeof(k->key_id) + 64];
    const char *ver = strchr(k->key_id, ':');
    size_t len, off = 0;
    ssize_t w;
    int fd, saved;

    if (ver == NULL || !version_valid(ver + 1, strlen(ver + 1)))
        return sy_err_invalid(err, "M_INVALID_PARAM", "invalid signing key id");
    len = (size_t)snprintf(line, sizeof(line), KEY_ALG " %s ", ver + 1);
    len += sy_b64_encode_buf(line + len, k->seed, SY_ED25519_SEED_LEN, 0);
    line[len++] = '\n';

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        saved = errno;
        OPENSSL_cleanse(line, sizeof(line));
        if (saved == EEXIST)
            return sy_error_set(err, SY_ECONFLICT, 500, "M_UNKNOWN",
                                "signing key file \"%s\" already exists", path);
        return sy_error_set(err, SY_EIO, 500, "M_UNKNOWN",
                            "could not create signing key file \"%s\": %s", path, strerror(saved));
    }
    /* O_CREAT's mode is filtered by the umask; make sure it is exactly 0600. */
    if (fchmod(fd, 0600) != 0)
        goto fail;
    while (off < len) {
        if ((w = write(fd, line + off, len - off)) < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0)
        goto fail;
    OPENSSL_cleanse(line, sizeof(line));
    if (close(fd) != 0) {
        saved = errno;
        unlink(path);
        return sy_error_set(err, SY_EIO, 500, "M_UNKNOWN",
                            "could not write signing key file \"%s\": %s", path, strerror(saved));
    }
    return SY_OK;
fail:
    saved = errno;
    OPENSSL_cleanse(line, sizeof(line));
    close(fd);
    unlink(path);
    return sy_error_set(err, SY_EIO, 500, "M_UNKNOWN",
                        "could not write signing key file \"%s\": %s", path, strerror(saved));
}

void
sy_ed25519_clear(struct sy_signing_key *k)
{
    struct pkey_slot *s = slot_key_ok ? pthread_getspecific(slot_key) : NULL;

    /* This thread's copy goes too; other threads' go when they end. */
    if (s != NULL && s->pkey != NULL && CRYPTO_memcmp(s->seed, k->seed, SY_ED25519_SEED_LEN) == 0) {
        EVP_PKEY_free(s->pkey);
        s->pkey = NULL;
        OPENSSL_cleanse(s->seed, sizeof(s->seed));
    }
    OPENSSL_cleanse(k->seed, sizeof(k->seed));
}
