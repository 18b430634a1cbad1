/*
 * sync/lazy_members.c -- which member events each device was sent
 * (see sync/lazy_members.h).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "db/events.h"
#include "sync/lazy_members.h"
#include "util/arena.h"
#include "util/map.h"

/*
 * Member events sent to a device ("room\x1fuser" -> event ID), per
 * "user\x1fdevice".  Bounded: past the caps a device's memory, or all of
 * it, is dropped.
 */
#define LAZY_MAX_DEVICES 4096
#define LAZY_MAX_MEMBERS 20000

struct lazy_device {
    struct sy_arena *a;
    struct sy_map *sent;
    size_t n_sets; /* values are arena copies: bound the arena, not just the map */
};

static pthread_mutex_t lazy_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sy_arena *lazy_arena; /* holds lazy_devices' table */
static struct sy_map *lazy_devices;
static size_t lazy_device_sets; /* keys added to lazy_devices since its arena was made */

static void
lazy_drop_all_locked(void)
{
    size_t it = 0;
    void *v;

    if (lazy_devices != NULL)
        while (sy_map_next(lazy_devices, &it, NULL, &v)) {
            struct lazy_device *d = v;

            sy_arena_free(d->a);
            free(d);
        }
    if (lazy_arena != NULL)
        sy_arena_free(lazy_arena);
    lazy_arena = sy_arena_new();
    lazy_devices = sy_map_new(lazy_arena, 64);
    lazy_device_sets = 0;
}

static const char *
device_key(struct sy_arena *a, const char *user_id, const char *device_id)
{
    return sy_arena_printf(a, "%s\x1f%s", user_id, device_id ? device_id : "");
}

void
sy_sync_lazy_forget(const char *user_id, const char *device_id)
{
    struct sy_arena *a = sy_arena_new();
    const char *key = device_key(a, user_id, device_id);
    struct lazy_device *d;

    pthread_mutex_lock(&lazy_lock);
    if (lazy_devices != NULL && (d = sy_map_get(lazy_devices, key)) != NULL) {
        sy_map_del(lazy_devices, key);
        sy_arena_free(d->a);
        free(d);
    }
    pthread_mutex_unlock(&lazy_lock);
    sy_arena_free(a);
}

int
sy_sync_lazy_was_sent(struct sy_arena *a, const char *user_id, const char *device_id,
                      const char *room_id, const char *member, const char *event_id)
{
    const char *key = device_key(a, user_id, device_id), *sent;
    struct lazy_device *d;
    int hit = 0;

    pthread_mutex_lock(&lazy_lock);
    if (lazy_devices != NULL && (d = sy_map_get(lazy_devices, key)) != NULL &&
        (sent = sy_map_get(d->sent, sy_arena_printf(a, "%s\x1f%s", room_id, member))) != NULL)
        hit = strcmp(sent, event_id) == 0;
    pthread_mutex_unlock(&lazy_lock);
    return hit;
}

void
sy_sync_lazy_remember(struct sy_arena *a, const char *user_id, const char *device_id,
                      const char *room_id, const struct sy_db_event *events, size_t n)
{
    const char *key = device_key(a, user_id, device_id);
    struct lazy_device *d;

    pthread_mutex_lock(&lazy_lock);
    if (lazy_devices == NULL || lazy_device_sets >= LAZY_MAX_DEVICES)
        lazy_drop_all_locked();
    if ((d = sy_map_get(lazy_devices, key)) == NULL) {
        d = calloc(1, sizeof(*d));
        if (d == NULL)
            abort();
        d->a = sy_arena_new();
        d->sent = sy_map_new(d->a, 16);
        sy_map_set(lazy_devices, key, d);
        lazy_device_sets++;
    }
    if (d->n_sets + n >= LAZY_MAX_MEMBERS) {
        sy_arena_free(d->a);
        d->a = sy_arena_new();
        d->sent = sy_map_new(d->a, 16);
        d->n_sets = 0;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(events[i].type, "m.room.member") == 0 && events[i].state_key != NULL &&
            d->n_sets++ < LAZY_MAX_MEMBERS)
            sy_map_set(d->sent, sy_arena_printf(a, "%s\x1f%s", room_id, events[i].state_key),
                       sy_arena_strdup(d->a, events[i].event_id));
    pthread_mutex_unlock(&lazy_lock);
}
