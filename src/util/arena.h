/*
 * util/arena.h -- region allocator for one request or one job.
 *
 * Everything allocated from an arena is freed at once by sy_arena_free(),
 * which first runs the cleanups registered with sy_arena_on_free() (json-c
 * roots, PGresults that must outlive a call, temp files) in reverse order.
 * Out of memory aborts the process: callers never check for NULL.
 * An arena is not thread-safe; it belongs to one thread at a time.
 */
#ifndef SY_UTIL_ARENA_H
#define SY_UTIL_ARENA_H

#include <stddef.h>

struct sy_arena;

/* A new empty arena; the caller frees it with sy_arena_free(). */
struct sy_arena *sy_arena_new(void);
void sy_arena_free(struct sy_arena *a);

/* Zeroed memory aligned for any type, valid until the arena is freed. */
void *sy_arena_alloc(struct sy_arena *a, size_t n);
char *sy_arena_strdup(struct sy_arena *a, const char *s);
char *sy_arena_strndup(struct sy_arena *a, const char *s, size_t n);
void *sy_arena_memdup(struct sy_arena *a, const void *p, size_t n);
char *sy_arena_printf(struct sy_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Run fn(arg) when the arena is freed (last registered runs first). */
void sy_arena_on_free(struct sy_arena *a, void (*fn)(void *), void *arg);

/* Bytes handed out so far (for caps and tests). */
size_t sy_arena_used(const struct sy_arena *a);

#endif /* SY_UTIL_ARENA_H */
