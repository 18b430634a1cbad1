/*
 * util/rand.h -- cryptographically secure random bytes and identifiers.
 *
 * Everything comes from OpenSSL's RAND_bytes().  If the generator fails
 * the process aborts: a server that cannot make unguessable tokens must
 * not go on making guessable ones.
 */
#ifndef SY_UTIL_RAND_H
#define SY_UTIL_RAND_H

#include <stddef.h>

struct sy_arena;

/* Common alphabets for sy_rand_string(). */
#define SY_RAND_UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define SY_RAND_ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define SY_RAND_KEYVER SY_RAND_ALNUM "_"

/* Fill p[0..n) with random bytes; aborts if the generator fails. */
void sy_rand_bytes(void *p, size_t n);

/*
 * A uniformly random string of n characters drawn from 'alphabet'
 * (1 to 256 distinct bytes), NUL-terminated and owned by 'a'.
 */
char *sy_rand_string(struct sy_arena *a, size_t n, const char *alphabet);

/* The same into dst, which must hold n + 1 bytes. */
void sy_rand_fill_string(char *dst, size_t n, const char *alphabet);

#endif /* SY_UTIL_RAND_H */
