/*
 * util/lru.h -- a bounded, thread-safe cache of byte strings by string key.
 *
 * Values are copied in and copied out (into the caller's arena), so no
 * pointer into the cache ever escapes its lock.  When the byte budget is
 * exceeded the least recently used entries go.  Owner: whoever calls
 * sy_lru_new() frees with sy_lru_free().
 */
#ifndef SY_UTIL_LRU_H
#define SY_UTIL_LRU_H

#include <stddef.h>

struct sy_arena;
struct sy_lru;

/* max_bytes bounds keys plus values plus bookkeeping. */
struct sy_lru *sy_lru_new(size_t max_bytes);
void sy_lru_free(struct sy_lru *c);

/* Store (a copy of) val[0..len) under key, replacing any old value. */
void sy_lru_put(struct sy_lru *c, const char *key, const void *val, size_t len);
/* A NUL-terminated copy of the value in 'a' (and its length), or NULL when absent. */
void *sy_lru_get(struct sy_lru *c, const char *key, struct sy_arena *a, size_t *len);
void sy_lru_del(struct sy_lru *c, const char *key);

/* Entries and bytes held (for tests and metrics). */
size_t sy_lru_count(struct sy_lru *c);
size_t sy_lru_bytes(struct sy_lru *c);

#endif /* SY_UTIL_LRU_H */
