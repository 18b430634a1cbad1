/*
 * rooms/event_cache.c -- parsed state events kept by one thread between
 * its jobs: a map over an arena, emptied whole past its bound.
 */
#include <stdlib.h>

#include "rooms/event_cache.h"
#include "util/arena.h"
#include "util/map.h"

struct sy_event_cache {
    struct sy_arena *a; /* the map, its keys and the events */
    struct sy_map *by_id;
    size_t max;
};

static void
reset(struct sy_event_cache *c)
{
    if (c->a != NULL)
        sy_arena_free(c->a);
    c->a = sy_arena_new();
    c->by_id = sy_map_new(c->a, 256);
}

struct sy_event_cache *
sy_event_cache_new(size_t max_events)
{
    struct sy_event_cache *c = calloc(1, sizeof(*c));

    if (c == NULL)
        abort();
    c->max = max_events;
    reset(c);
    return c;
}

void
sy_event_cache_free(struct sy_event_cache *c)
{
    if (c == NULL)
        return;
    sy_arena_free(c->a);
    free(c);
}

const struct sy_event *
sy_event_cache_get(const struct sy_event_cache *c, const char *event_id)
{
    return sy_map_get(c->by_id, event_id);
}

struct sy_arena *
sy_event_cache_arena(struct sy_event_cache *c)
{
    return c->a;
}

void
sy_event_cache_put(struct sy_event_cache *c, const char *event_id, const struct sy_event *ev)
{
    sy_map_set(c->by_id, sy_arena_strdup(c->a, event_id), (void *)ev);
}

void
sy_event_cache_trim(struct sy_event_cache *c)
{
    if (sy_map_count(c->by_id) > c->max)
        reset(c);
}
