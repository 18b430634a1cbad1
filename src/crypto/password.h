/*
 * crypto/password.h -- password hashing with scrypt (OpenSSL).
 *
 * A stored hash records its own parameters, so the configured cost can
 * change without invalidating existing accounts:
 *     $scrypt$ln=15,r=8,p=1$<salt>$<hash>
 * with a random 16-byte salt and a 32-byte output, both in unpadded
 * standard base64.  N = 2^ln.  r is 8 and p is 1 for new hashes; stored
 * values are accepted within caps so a stored string cannot make us
 * allocate more than about 1 GiB.
 */
#ifndef SY_CRYPTO_PASSWORD_H
#define SY_CRYPTO_PASSWORD_H

struct sy_arena;
struct sy_error;

#define SY_PASSWORD_MIN_LOG_N 1
#define SY_PASSWORD_MAX_LOG_N 20
#define SY_PASSWORD_DEFAULT_LOG_N 15

/*
 * Hash 'password' with cost 2^log_n.  0 and *out (owned by 'a'), or
 * SY_EINVAL when log_n is outside [SY_PASSWORD_MIN_LOG_N,
 * SY_PASSWORD_MAX_LOG_N], or SY_EINTERNAL if scrypt fails.
 */
int sy_password_hash(struct sy_arena *a, const char *password, int log_n, char **out,
                     struct sy_error *err);

/*
 * Check 'password' against a stored hash, comparing in constant time.
 * 0 on a match; SY_EAUTH (M_FORBIDDEN) on a mismatch; SY_EINVAL
 * (status 500, M_UNKNOWN: the stored value is our problem, not the
 * user's) when 'stored' is not a hash this module understands.
 */
int sy_password_verify(const char *password, const char *stored, struct sy_error *err);

/*
 * 1 if 'stored' should be recomputed at the next successful login: it
 * is malformed, or its parameters differ from (ln=log_n, r=8, p=1).
 */
int sy_password_needs_rehash(const char *stored, int log_n);

#endif /* SY_CRYPTO_PASSWORD_H */
