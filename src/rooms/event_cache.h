/*
 * rooms/event_cache.h -- parsed state events kept by one thread between
 * its jobs.
 *
 * Every send is authorised by the room's create, power-levels and
 * sender's member events; the group-commit writer parsed them again for
 * every batch.  A cache is owned by one thread and not locked.  Stored
 * events never change (a redaction changes only their client form), so an
 * entry never goes stale; the cache is emptied whole when it grows past
 * its bound, between jobs (sy_event_cache_trim), never while a state map
 * still points into it.
 */
#ifndef SY_ROOMS_EVENT_CACHE_H
#define SY_ROOMS_EVENT_CACHE_H

#include <stddef.h>

struct sy_arena;
struct sy_event;
struct sy_event_cache;

struct sy_event_cache *sy_event_cache_new(size_t max_events);
void sy_event_cache_free(struct sy_event_cache *c);

/* The cached event, or NULL. */
const struct sy_event *sy_event_cache_get(const struct sy_event_cache *c, const char *event_id);

/* Where an event to cache must be parsed: it lives as long as the cache. */
struct sy_arena *sy_event_cache_arena(struct sy_event_cache *c);

/* Keep ev (parsed in sy_event_cache_arena(c)) under event_id. */
void sy_event_cache_put(struct sy_event_cache *c, const char *event_id, const struct sy_event *ev);

/* Between jobs: empty the cache if it holds more than its bound. */
void sy_event_cache_trim(struct sy_event_cache *c);

#endif /* SY_ROOMS_EVENT_CACHE_H */
