/*
 * util/buf.c -- growable byte buffer with a hard cap.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "mem.h"

void
sy_buf_init(struct sy_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void
sy_buf_free(struct sy_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void
sy_buf_reset(struct sy_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int
buf_reserve(struct sy_buf *b, size_t extra)
{
    size_t want = b->len + extra + 1, cap;

    if (b->max && b->len + extra > b->max)
        return SY_ETOOBIG;
    if (want <= b->cap)
        return SY_OK;
    cap = b->cap ? b->cap : 256;
    while (cap < want)
        cap *= 2;
    b->data = sy_realloc(b->data, cap);
    b->cap = cap;
    return SY_OK;
}

int
sy_buf_append(struct sy_buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) != SY_OK)
        return SY_ETOOBIG;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return SY_OK;
}

int
sy_buf_puts(struct sy_buf *b, const char *s)
{
    return sy_buf_append(b, s, strlen(s));
}

int
sy_buf_putc(struct sy_buf *b, char c)
{
    return sy_buf_append(b, &c, 1);
}

int
sy_buf_printf(struct sy_buf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    int n;

    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n) != SY_OK) {
        va_end(ap2);
        return SY_ETOOBIG;
    }
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    b->len += (size_t)n;
    return SY_OK;
}

char *
sy_buf_steal(struct sy_buf *b, size_t *len)
{
    char *p;

    if (b->data == NULL)
        buf_reserve(b, 0);
    p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
