/*
 * rooms/cache.c -- events by ID and current state per room, over util/lru.
 *
 * A cached state is "GROUP\n" then, per entry, three length-prefixed
 * strings ("LEN:bytes"): type, state key and event ID.  Lengths make any
 * byte in a state key safe.  A tip is its row's fields and then its
 * extremities, each string NUL-terminated (none holds a NUL).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/events.h"
#include "db/rooms.h"
#include "rooms/cache.h"
#include "rooms/state.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/lru.h"

static struct sy_lru *events_cache;
static struct sy_lru *state_cache;
static struct sy_lru *tip_cache;

/* A tip is about 200 bytes: tens of thousands of rooms. */
#define TIP_BYTES (8u << 20)

void
sy_room_cache_init(size_t event_bytes, size_t state_bytes)
{
    events_cache = sy_lru_new(event_bytes);
    state_cache = sy_lru_new(state_bytes);
    tip_cache = sy_lru_new(TIP_BYTES);
}

void
sy_room_cache_free(void)
{
    sy_lru_free(events_cache);
    sy_lru_free(state_cache);
    sy_lru_free(tip_cache);
    events_cache = state_cache = tip_cache = NULL;
}

const char *
sy_room_cache_event(const char *event_id, struct sy_arena *a)
{
    return events_cache ? sy_lru_get(events_cache, event_id, a, NULL) : NULL;
}

void
sy_room_cache_put_event(const char *event_id, const char *pdu_json)
{
    if (events_cache)
        sy_lru_put(events_cache, event_id, pdu_json, strlen(pdu_json));
}

/* Read "LEN:bytes" at *p (below end) into the arena; NULL if malformed. */
static const char *
take(struct sy_arena *a, const char **p, const char *end)
{
    char *colon;
    unsigned long len = strtoul(*p, &colon, 10);
    const char *s;

    if (colon == *p || colon >= end || *colon != ':' || (size_t)(end - colon - 1) < len)
        return NULL;
    s = sy_arena_strndup(a, colon + 1, len);
    *p = colon + 1 + len;
    return s;
}

int
sy_room_cache_state(const char *room_id, int64_t group, struct sy_room_state *st)
{
    struct sy_arena *a;
    const char *p, *end, *type, *key, *id;
    char *text;
    size_t len;
    int hit = 0;

    if (state_cache == NULL)
        return 0;
    a = sy_arena_new();
    text = sy_lru_get(state_cache, room_id, a, &len);
    if (text != NULL && strtoll(text, NULL, 10) == group && (p = strchr(text, '\n')) != NULL) {
        end = text + len;
        p++;
        hit = 1;
        while (p < end) {
            if ((type = take(a, &p, end)) == NULL || (key = take(a, &p, end)) == NULL ||
                (id = take(a, &p, end)) == NULL) {
                hit = 0; /* cannot happen with our own writer; treat as a miss */
                break;
            }
            sy_room_state_put(st, type, key, id, NULL);
        }
    }
    sy_arena_free(a);
    return hit;
}

void
sy_room_cache_put_state(const char *room_id, int64_t group, const struct sy_room_state *st)
{
    const char *type, *key, *id;
    struct sy_buf b;
    size_t iter = 0;

    if (state_cache == NULL)
        return;
    sy_buf_init(&b, 0);
    sy_buf_printf(&b, "%lld\n", (long long)group);
    while (sy_room_state_next(st, &iter, &type, &key, &id))
        sy_buf_printf(&b, "%zu:%s%zu:%s%zu:%s", strlen(type), type, strlen(key), key, strlen(id),
                      id);
    sy_lru_put(state_cache, room_id, b.data, b.len);
    sy_buf_free(&b);
}

void
sy_room_cache_put_tip(const struct sy_db_room *room, const struct sy_db_extremities *ext)
{
    struct sy_buf b;

    if (tip_cache == NULL)
        return;
    sy_buf_init(&b, 0);
    sy_buf_printf(&b, "%s%c%s%c%lld%c%lld%c%d%c%lld%c", room->version, 0,
                  room->creator ? room->creator : "", 0, (long long)room->created_ts, 0,
                  (long long)room->current_state_group, 0, room->is_public, 0,
                  (long long)ext->max_depth, 0);
    for (size_t i = 0; i < ext->n; i++) {
        sy_buf_puts(&b, ext->ids[i]);
        sy_buf_putc(&b, '\0');
    }
    sy_lru_put(tip_cache, room->room_id, b.data, b.len);
    sy_buf_free(&b);
}

void
sy_room_cache_drop_tip(const char *room_id)
{
    if (tip_cache != NULL)
        sy_lru_del(tip_cache, room_id);
}

/* The next NUL-terminated string at *p (below end), or NULL. */
static const char *
next_str(const char **p, const char *end)
{
    const char *s = *p;
    size_t len;

    if (s >= end)
        return NULL;
    len = strlen(s);
    *p = s + len + 1;
    return s;
}

int
sy_room_cache_tip(const char *room_id, struct sy_arena *a, struct sy_db_room *room,
                  struct sy_db_extremities *ext)
{
    const char *f[6], *p, *end, *text;
    size_t len, n = 0;

    if (tip_cache == NULL || (text = sy_lru_get(tip_cache, room_id, a, &len)) == NULL)
        return 0;
    p = text, end = text + len;
    for (int k = 0; k < 6; k++)
        if ((f[k] = next_str(&p, end)) == NULL)
            return 0;
    room->room_id = sy_arena_strdup(a, room_id);
    room->version = f[0];
    room->creator = f[1];
    room->created_ts = strtoll(f[2], NULL, 10);
    room->current_state_group = strtoll(f[3], NULL, 10);
    room->is_public = atoi(f[4]);
    ext->max_depth = strtoll(f[5], NULL, 10);
    ext->ids = sy_arena_alloc(a, sizeof(char *) * ((size_t)(end - p) / 2 + 1));
    while ((ext->ids[n] = next_str(&p, end)) != NULL)
        n++;
    ext->n = n;
    return n > 0;
}
