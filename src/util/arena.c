/*
 * util/arena.c -- region allocator: a chain of blocks, freed together.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "mem.h"

/* Small enough that a parked long-poll's request costs one block. */
#define ARENA_BLOCK 4096
#define ARENA_ALIGN 16

struct arena_block {
    struct arena_block *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

struct arena_cleanup {
    struct arena_cleanup *next;
    void (*fn)(void *);
    void *arg;
};

struct sy_arena {
    struct arena_block *blocks;
    struct arena_cleanup *cleanups;
    size_t total;
};

struct sy_arena *
sy_arena_new(void)
{
    return sy_calloc(1, sizeof(struct sy_arena));
}

void
sy_arena_free(struct sy_arena *a)
{
    struct arena_cleanup *c;
    struct arena_block *b;

    if (a == NULL)
        return;
    /* Cleanups may use arena memory, so they run before the blocks go. */
    while ((c = a->cleanups) != NULL) {
        a->cleanups = c->next;
        c->fn(c->arg);
    }
    while ((b = a->blocks) != NULL) {
        a->blocks = b->next;
        free(b);
    }
    free(a);
}

void *
sy_arena_alloc(struct sy_arena *a, size_t n)
{
    struct arena_block *b = a->blocks;
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    void *p;

    if (need == 0)
        need = ARENA_ALIGN;
    if (b == NULL || b->size - b->used < need) {
        size_t size = need > ARENA_BLOCK / 2 ? need : ARENA_BLOCK;

        b = sy_malloc(sizeof(*b) + size);
        b->size = size;
        b->used = 0;
        /* A big one-off block goes behind the current one, which still has room. */
        if (size > ARENA_BLOCK && a->blocks != NULL) {
            b->next = a->blocks->next;
            a->blocks->next = b;
        } else {
            b->next = a->blocks;
            a->blocks = b;
        }
    }
    p = b->data + b->used;
    b->used += need;
    a->total += need;
    memset(p, 0, n);
    return p;
}

char *
sy_arena_strndup(struct sy_arena *a, const char *s, size_t n)
{
    char *p = sy_arena_alloc(a, n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
sy_arena_strdup(struct sy_arena *a, const char *s)
{
    return s == NULL ? NULL : sy_arena_strndup(a, s, strlen(s));
}

void *
sy_arena_memdup(struct sy_arena *a, const void *p, size_t n)
{
    void *q = sy_arena_alloc(a, n);

    memcpy(q, p, n);
    return q;
}

char *
sy_arena_printf(struct sy_arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    int n;
    char *p;

    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        sy_oom();
    p = sy_arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

void
sy_arena_on_free(struct sy_arena *a, void (*fn)(void *), void *arg)
{
    struct arena_cleanup *c = sy_arena_alloc(a, sizeof(*c));

    c->fn = fn;
    c->arg = arg;
    c->next = a->cleanups;
    a->cleanups = c;
}

size_t
sy_arena_used(const struct sy_arena *a)
{
    return a->total;
}
