/*
 * util/mem.c -- allocation that aborts on out-of-memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"

void
sy_oom(void)
{
    static const char msg[] = "syncro: out of memory\n";

    /* write(2) rather than stdio: stdio may itself need to allocate. */
    if (write(2, msg, sizeof(msg) - 1) < 0) {
    }
    abort();
}

void *
sy_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL)
        sy_oom();
    return p;
}

void *
sy_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (p == NULL)
        sy_oom();
    return p;
}

void *
sy_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (q == NULL)
        sy_oom();
    return q;
}

char *
sy_strdup(const char *s)
{
    char *p = strdup(s);

    if (p == NULL)
        sy_oom();
    return p;
}
