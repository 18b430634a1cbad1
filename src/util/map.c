/*
 * util/map.c -- string -> pointer hash map in an arena (see map.h).
 *
 * Deletion shifts the following run back instead of leaving tombstones,
 * so lookups never scan dead slots.  The hash is FNV-1a mixed with a
 * per-map seed taken from the table address, which is enough to keep
 * the layout from being the same in every process.
 */
#include <stdint.h>
#include <string.h>

#include "util/arena.h"
#include "util/map.h"

struct map_slot {
    const char *key; /* NULL: empty */
    void *val;
    uint64_t hash;
};

struct sy_map {
    struct sy_arena *arena;
    struct map_slot *slots;
    size_t cap; /* power of two */
    size_t count;
    uint64_t seed;
};

static uint64_t
map_hash(const struct sy_map *m, const char *key)
{
    uint64_t h = 14695981039346656037ULL ^ m->seed;

    for (; *key != '\0'; key++) {
        h ^= (unsigned char)*key;
        h *= 1099511628211ULL;
    }
    /* Final avalanche so that the low bits (the slot index) depend on every byte. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

struct sy_map *
sy_map_new(struct sy_arena *a, size_t hint)
{
    struct sy_map *m = sy_arena_alloc(a, sizeof(*m));

    m->arena = a;
    m->cap = 16;
    while (m->cap * 3 / 4 < hint)
        m->cap *= 2;
    m->slots = sy_arena_alloc(a, m->cap * sizeof(*m->slots));
    m->seed = (uint64_t)(uintptr_t)m * 0x9e3779b97f4a7c15ULL;
    return m;
}

/* The slot holding key, or the empty slot where it would go. */
static struct map_slot *
map_find(const struct sy_map *m, const char *key, uint64_t h)
{
    size_t mask = m->cap - 1, i = (size_t)h & mask;

    while (m->slots[i].key != NULL) {
        if (m->slots[i].hash == h && strcmp(m->slots[i].key, key) == 0)
            break;
        i = (i + 1) & mask;
    }
    return &m->slots[i];
}

static void
map_grow(struct sy_map *m)
{
    struct map_slot *old = m->slots;
    size_t oldcap = m->cap, i;

    m->cap *= 2;
    m->slots = sy_arena_alloc(m->arena, m->cap * sizeof(*m->slots));
    for (i = 0; i < oldcap; i++)
        if (old[i].key != NULL)
            *map_find(m, old[i].key, old[i].hash) = old[i];
}

void *
sy_map_get(const struct sy_map *m, const char *key)
{
    return map_find(m, key, map_hash(m, key))->val;
}

void
sy_map_set(struct sy_map *m, const char *key, void *val)
{
    uint64_t h = map_hash(m, key);
    struct map_slot *s = map_find(m, key, h);

    if (s->key != NULL) {
        s->val = val;
        return;
    }
    if ((m->count + 1) > m->cap * 3 / 4) {
        map_grow(m);
        s = map_find(m, key, h);
    }
    s->key = sy_arena_strdup(m->arena, key);
    s->val = val;
    s->hash = h;
    m->count++;
}

int
sy_map_del(struct sy_map *m, const char *key)
{
    size_t mask = m->cap - 1, i, j, home;
    struct map_slot *s = map_find(m, key, map_hash(m, key));

    if (s->key == NULL)
        return 0;
    i = (size_t)(s - m->slots);
    /* Backward-shift: move up any later entry whose home is at or before the hole. */
    for (j = (i + 1) & mask; m->slots[j].key != NULL; j = (j + 1) & mask) {
        home = (size_t)m->slots[j].hash & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    memset(&m->slots[i], 0, sizeof(m->slots[i]));
    m->count--;
    return 1;
}

size_t
sy_map_count(const struct sy_map *m)
{
    return m->count;
}

int
sy_map_next(const struct sy_map *m, size_t *iter, const char **key, void **val)
{
    for (; *iter < m->cap; (*iter)++) {
        const struct map_slot *s = &m->slots[*iter];

        if (s->key == NULL)
            continue;
        if (key != NULL)
            *key = s->key;
        if (val != NULL)
            *val = s->val;
        (*iter)++;
        return 1;
    }
    return 0;
}
