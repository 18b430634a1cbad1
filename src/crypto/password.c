/*
 * crypto/password.c -- scrypt password hashes in a self-describing string.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/password.h"
#include "util/arena.h"
#include "util/b64.h"
#include "util/err.h"
#include "util/rand.h"

#define PW_PREFIX "$scrypt$"
#define PW_R 8
#define PW_P 1
#define PW_SALT_LEN 16
#define PW_HASH_LEN 32
#define PW_MAX_R 32
#define PW_MAX_P 16
/* Enough for ln=20 with r=8 (1 GiB for V plus the B blocks), and a hard
 * ceiling for whatever a stored string asks for. */
#define PW_MAX_MEM ((uint64_t)1 << 30 | (uint64_t)64 << 20)

struct pw_params {
    int log_n, r, p;
    unsigned char salt[PW_SALT_LEN];
    unsigned char hash[PW_HASH_LEN];
};

/* Memory scrypt needs for these parameters, as OpenSSL counts it. */
static uint64_t
pw_mem(int log_n, int r, int p)
{
    return (uint64_t)128 * (uint64_t)r * (((uint64_t)1 << log_n) + 2 + (uint64_t)p);
}

static int
pw_derive(const char *password, const unsigned char *salt, int log_n, int r, int p,
          unsigned char out[PW_HASH_LEN])
{
    uint64_t maxmem = pw_mem(log_n, r, p) + ((uint64_t)1 << 20);

    if (maxmem > PW_MAX_MEM)
        return SY_EINVAL;
    if (EVP_PBE_scrypt(password, strlen(password), salt, PW_SALT_LEN, (uint64_t)1 << log_n,
                       (uint64_t)r, (uint64_t)p, maxmem, out, PW_HASH_LEN) != 1)
        return SY_EINTERNAL;
    return SY_OK;
}

/* Parse a decimal in [lo, hi] at *sp, advancing past it. */
static int
pw_number(const char **sp, int lo, int hi, int *out)
{
    const char *s = *sp;
    long v = 0;

    if (*s < '0' || *s > '9' || (*s == '0' && s[1] >= '0' && s[1] <= '9'))
        return SY_EINVAL;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (*s++ - '0');
        if (v > hi)
            return SY_EINVAL;
    }
    if (v < lo)
        return SY_EINVAL;
    *out = (int)v;
    *sp = s;
    return SY_OK;
}

/* Split "$scrypt$ln=..,r=..,p=..$salt$hash" into q. */
static int
pw_parse(const char *stored, struct pw_params *q)
{
    const char *s = stored, *salt, *dollar;
    size_t got;

    if (strncmp(s, PW_PREFIX, sizeof(PW_PREFIX) - 1) != 0)
        return SY_EINVAL;
    s += sizeof(PW_PREFIX) - 1;
    if (strncmp(s, "ln=", 3) != 0)
        return SY_EINVAL;
    s += 3;
    if (pw_number(&s, SY_PASSWORD_MIN_LOG_N, SY_PASSWORD_MAX_LOG_N, &q->log_n) != SY_OK ||
        strncmp(s, ",r=", 3) != 0)
        return SY_EINVAL;
    s += 3;
    if (pw_number(&s, 1, PW_MAX_R, &q->r) != SY_OK || strncmp(s, ",p=", 3) != 0)
        return SY_EINVAL;
    s += 3;
    if (pw_number(&s, 1, PW_MAX_P, &q->p) != SY_OK || *s != '$')
        return SY_EINVAL;
    salt = ++s;
    if ((dollar = strchr(salt, '$')) == NULL)
        return SY_EINVAL;
    if (sy_b64_decode_buf(salt, (size_t)(dollar - salt), 0, q->salt, sizeof(q->salt), &got) !=
            SY_OK ||
        got != PW_SALT_LEN)
        return SY_EINVAL;
    s = dollar + 1;
    if (sy_b64_decode_buf(s, strlen(s), 0, q->hash, sizeof(q->hash), &got) != SY_OK ||
        got != PW_HASH_LEN)
        return SY_EINVAL;
    if (pw_mem(q->log_n, q->r, q->p) + ((uint64_t)1 << 20) > PW_MAX_MEM)
        return SY_EINVAL;
    return SY_OK;
}

int
sy_password_hash(struct sy_arena *a, const char *password, int log_n, char **out,
                 struct sy_error *err)
{
    unsigned char salt[PW_SALT_LEN], hash[PW_HASH_LEN];
    char salt64[PW_SALT_LEN * 2], hash64[PW_HASH_LEN * 2];
    int rc;

    if (log_n < SY_PASSWORD_MIN_LOG_N || log_n > SY_PASSWORD_MAX_LOG_N)
        return sy_err_invalid(err, "M_UNKNOWN", "password hash cost log_n must be %d..%d",
                              SY_PASSWORD_MIN_LOG_N, SY_PASSWORD_MAX_LOG_N);
    sy_rand_bytes(salt, sizeof(salt));
    if ((rc = pw_derive(password, salt, log_n, PW_R, PW_P, hash)) != SY_OK)
        return sy_err_internal(err, "could not hash password");
    sy_b64_encode_buf(salt64, salt, sizeof(salt), 0);
    sy_b64_encode_buf(hash64, hash, sizeof(hash), 0);
    OPENSSL_cleanse(hash, sizeof(hash));
    *out = sy_arena_printf(a, PW_PREFIX "ln=%d,r=%d,p=%d$%s$%s", log_n, PW_R, PW_P, salt64, hash64);
    return SY_OK;
}

int
sy_password_verify(const char *password, const char *stored, struct sy_error *err)
{
    struct pw_params q;
    unsigned char hash[PW_HASH_LEN];
    int rc, same;

    if (stored == NULL || pw_parse(stored, &q) != SY_OK)
        return sy_error_set(err, SY_EINVAL, 500, "M_UNKNOWN", "stored password hash is malformed");
    if ((rc = pw_derive(password, q.salt, q.log_n, q.r, q.p, hash)) != SY_OK)
        return rc == SY_EINVAL ? sy_error_set(err, SY_EINVAL, 500, "M_UNKNOWN",
                                              "stored password hash is malformed")
                               : sy_err_internal(err, "could not hash password");
    same = CRYPTO_memcmp(hash, q.hash, PW_HASH_LEN) == 0;
    OPENSSL_cleanse(hash, sizeof(hash));
    if (!same)
        return sy_error_set(err, SY_EAUTH, 403, "M_FORBIDDEN", "invalid username or password");
    return SY_OK;
}

int
sy_password_needs_rehash(const char *stored, int log_n)
{
    struct pw_params q;

    if (stored == NULL || pw_parse(stored, &q) != SY_OK)
        return 1;
    return q.log_n != log_n || q.r != PW_R || q.p != PW_P;
}
