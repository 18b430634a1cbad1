/*
 * sync/typing.c -- typing notifications in memory.
 *
 * A small table of rooms, each with its typers and the position of its
 * last change.  Expiry is lazy: any call first drops typers whose time is
 * up, and a room whose set changed that way gets a new position (and a
 * notify, so long-polls see the stop).  A periodic sweep is not needed for
 * correctness because readers expire before they read; the notifier is
 * poked by sy_typing_position() when it finds expired typers.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "sync/notifier.h"
#include "sync/typing.h"
#include "util/arena.h"
#include "util/mem.h"
#include "util/time.h"

#define TYPING_MAX_TIMEOUT_MS (120 * 1000)
/* A room nobody types in is forgotten this long after its last change; a client that
 * has not synced for that long has been told typing stopped, or will reset its view. */
#define TYPING_IDLE_ROOM_MS (10 * 60 * 1000)

struct typer {
    struct typer *next;
    char *user_id;
    int64_t until_ms;
};

struct room {
    struct room *next;
    char *room_id;
    struct typer *typers;
    int64_t changed;    /* stream position of the last change */
    int64_t changed_ms; /* wall clock of the last change */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct room *rooms;
static int64_t position;

/* The next position: a clock in ms that never repeats or goes back. */
static int64_t
advance(void)
{
    int64_t now = sy_now_ms();

    position = now > position ? now : position + 1;
    return position;
}

static struct room *
find_room(const char *room_id, int create)
{
    struct room *r;

    for (r = rooms; r != NULL; r = r->next)
        if (strcmp(r->room_id, room_id) == 0)
            return r;
    if (!create)
        return NULL;
    r = sy_calloc(1, sizeof(*r));
    r->room_id = sy_strdup(room_id);
    r->next = rooms;
    rooms = r;
    return r;
}

/* Forget rooms idle for long: the table stays as small as the set of recent typers. */
static void
drop_idle_rooms(int64_t now)
{
    for (struct room **p = &rooms; *p != NULL;) {
        struct room *r = *p;

        if (r->typers != NULL || now - r->changed_ms < TYPING_IDLE_ROOM_MS) {
            p = &r->next;
            continue;
        }
        *p = r->next;
        free(r->room_id);
        free(r);
    }
}

/* Drop expired typers everywhere; rooms that changed get a position. Called locked. */
static int
expire(int64_t now, char ***changed_rooms, size_t *n_changed)
{
    size_t cap = 0;

    *n_changed = 0;
    drop_idle_rooms(now);
    for (struct room *r = rooms; r != NULL; r = r->next) {
        int dropped = 0;

        for (struct typer **t = &r->typers; *t != NULL;) {
            if ((*t)->until_ms > now) {
                t = &(*t)->next;
                continue;
            }
            struct typer *gone = *t;
            *t = gone->next;
            free(gone->user_id);
            free(gone);
            dropped = 1;
        }
        if (!dropped)
            continue;
        r->changed = advance();
        r->changed_ms = now;
        if (*n_changed == cap) {
            cap = cap ? cap * 2 : 4;
            *changed_rooms = sy_realloc(*changed_rooms, cap * sizeof(char *));
        }
        (*changed_rooms)[(*n_changed)++] = sy_strdup(r->room_id);
    }
    return *n_changed > 0;
}

/* Notify outside the lock: the notifier takes its own. */
static void
notify_and_free(char **room_ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sy_notify_room(room_ids[i]);
        free(room_ids[i]);
    }
    free(room_ids);
}

void
sy_typing_set(const char *room_id, const char *user_id, int typing, int64_t timeout_ms)
{
    int64_t now = sy_now_ms();
    char **expired = NULL;
    size_t n_expired = 0;
    struct room *r;
    struct typer **t;
    int changed = 0;

    if (timeout_ms > TYPING_MAX_TIMEOUT_MS)
        timeout_ms = TYPING_MAX_TIMEOUT_MS;
    pthread_mutex_lock(&lock);
    expire(now, &expired, &n_expired);
    r = find_room(room_id, typing);
    if (r != NULL) {
        for (t = &r->typers; *t != NULL && strcmp((*t)->user_id, user_id) != 0; t = &(*t)->next)
            ;
        if (typing && *t == NULL) {
            *t = sy_calloc(1, sizeof(**t));
            (*t)->user_id = sy_strdup(user_id);
            changed = 1;
        } else if (!typing && *t != NULL) {
            struct typer *gone = *t;

            *t = gone->next;
            free(gone->user_id);
            free(gone);
            changed = 1;
        }
        if (typing)
            (*t)->until_ms = now + timeout_ms;
        if (changed) {
            r->changed = advance();
            r->changed_ms = now;
        }
    }
    pthread_mutex_unlock(&lock);
    notify_and_free(expired, n_expired);
    if (changed)
        sy_notify_room(room_id);
}

int64_t
sy_typing_position(void)
{
    char **expired = NULL;
    size_t n_expired = 0;
    int64_t pos;

    pthread_mutex_lock(&lock);
    expire(sy_now_ms(), &expired, &n_expired);
    pos = position;
    pthread_mutex_unlock(&lock);
    notify_and_free(expired, n_expired);
    return pos;
}

struct json_object *
sy_typing_event(struct sy_arena *a, const char *room_id, int64_t since)
{
    struct json_object *ev = NULL, *content, *ids;
    struct room *r;

    pthread_mutex_lock(&lock);
    r = find_room(room_id, 0);
    if (r != NULL && (since == 0 || r->changed > since) && (r->typers != NULL || since != 0)) {
        ev = sy_json_new_object(a);
        content = json_object_new_object();
        ids = json_object_new_array();
        for (struct typer *t = r->typers; t != NULL; t = t->next)
            json_object_array_add(ids, json_object_new_string(t->user_id));
        json_object_object_add(content, "user_ids", ids);
        json_object_object_add(ev, "type", json_object_new_string("m.typing"));
        json_object_object_add(ev, "content", content);
    }
    pthread_mutex_unlock(&lock);
    return ev;
}

void
sy_typing_reset(void)
{
    pthread_mutex_lock(&lock);
    while (rooms != NULL) {
        struct room *r = rooms;

        rooms = r->next;
        while (r->typers != NULL) {
            struct typer *t = r->typers;

            r->typers = t->next;
            free(t->user_id);
            free(t);
        }
        free(r->room_id);
        free(r);
    }
    pthread_mutex_unlock(&lock);
}
