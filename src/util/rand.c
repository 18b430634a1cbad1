/*
 * util/rand.c -- random bytes and identifiers from OpenSSL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "arena.h"
#include "rand.h"

void
sy_rand_bytes(void *p, size_t n)
{
    unsigned char *d = p;
    int chunk;

    /* RAND_bytes takes an int length. */
    while (n > 0) {
        chunk = n > 1 << 20 ? 1 << 20 : (int)n;
        if (RAND_bytes(d, chunk) != 1) {
            fprintf(stderr, "syncro: random number generator failed\n");
            abort();
        }
        d += chunk;
        n -= (size_t)chunk;
    }
}

void
sy_rand_fill_string(char *dst, size_t n, const char *alphabet)
{
    size_t alen = strlen(alphabet), i = 0, j;
    unsigned char pool[64];
    unsigned int limit;

    if (alen == 0 || alen > 256)
        abort();
    /*
     * Rejection sampling: a byte is used only when it falls below the
     * largest multiple of alen that fits in 256, so every character is
     * equally likely.
     */
    limit = 256 - 256 % (unsigned int)alen;
    while (i < n) {
        sy_rand_bytes(pool, sizeof(pool));
        for (j = 0; j < sizeof(pool) && i < n; j++)
            if (pool[j] < limit)
                dst[i++] = alphabet[pool[j] % alen];
    }
    dst[n] = '\0';
}

char *
sy_rand_string(struct sy_arena *a, size_t n, const char *alphabet)
{
    char *dst = sy_arena_alloc(a, n + 1);

    sy_rand_fill_string(dst, n, alphabet);
    return dst;
}
