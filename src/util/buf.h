/*
 * util/buf.h -- growable byte buffer with a hard cap.
 *
 * Every buffer that grows from outside input has a cap ('max'); an append
 * past it fails with SY_ETOOBIG and leaves the buffer as it was.  The data
 * is always NUL-terminated.  The owner calls sy_buf_free() (or takes
 * ownership of b->data with sy_buf_steal()).
 */
#ifndef SY_UTIL_BUF_H
#define SY_UTIL_BUF_H

#include <stddef.h>

struct sy_buf {
    char *data;
    size_t len, cap;
    size_t max; /* 0 = no cap (trusted data only) */
};

void sy_buf_init(struct sy_buf *b, size_t max);
void sy_buf_free(struct sy_buf *b);
void sy_buf_reset(struct sy_buf *b);
/* 0 or SY_ETOOBIG. */
int sy_buf_append(struct sy_buf *b, const void *p, size_t n);
int sy_buf_puts(struct sy_buf *b, const char *s);
int sy_buf_putc(struct sy_buf *b, char c);
int sy_buf_printf(struct sy_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the malloc'd data to the caller (who frees it) and empties the buffer. */
char *sy_buf_steal(struct sy_buf *b, size_t *len);

#endif /* SY_UTIL_BUF_H */
