/*
 * util/map.h -- string -> pointer hash map in an arena.
 *
 * Open addressing with linear probing; the table doubles when it is
 * three quarters full.  Keys are copied into the map's arena; values are
 * the caller's pointers and must not be NULL (NULL means "absent").
 * Everything, old tables included, is freed with the arena: there is no
 * sy_map_free().  Iteration order is the table order: stable while the
 * map is not modified, otherwise unspecified.  Not thread-safe.
 */
#ifndef SY_UTIL_MAP_H
#define SY_UTIL_MAP_H

#include <stddef.h>

struct sy_arena;
struct sy_map;

/* A new empty map in 'a', sized for about 'hint' entries (0 is fine). */
struct sy_map *sy_map_new(struct sy_arena *a, size_t hint);

/* The value stored under key, or NULL. */
void *sy_map_get(const struct sy_map *m, const char *key);

/* Store val (not NULL) under key, replacing any old value. */
void sy_map_set(struct sy_map *m, const char *key, void *val);

/* Remove key; 1 if it was there, 0 if not. */
int sy_map_del(struct sy_map *m, const char *key);

size_t sy_map_count(const struct sy_map *m);

/*
 * Iterate: start with *iter = 0; each call gives the next entry and
 * returns 1, or returns 0 at the end.  key or val may be NULL.  The map
 * must not be modified while iterating, except sy_map_set() on a key
 * that is already present.
 */
int sy_map_next(const struct sy_map *m, size_t *iter, const char **key, void **val);

#endif /* SY_UTIL_MAP_H */
