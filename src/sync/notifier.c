/*
 * sync/notifier.c -- an index from key ("u:..."/"r:...") to waiters, under
 * one mutex.  A waiter's keys are linked into hash chains; notify walks
 * the chains of its key and wakes each waiter once.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/req.h"
#include "sync/live.h"
#include "sync/notifier.h"
#include "util/log.h"
#include "util/mem.h"

#define N_BUCKETS 4096

struct link {
    struct link *next;   /* hash chain */
    struct link **pprev; /* what points at this link: unlinking needs no walk of the chain */
    struct sy_waiter *w;
    char *key;
};

struct sy_waiter {
    struct sy_waiter *next, *prev; /* all waiters */
    struct sy_req *req;
    struct link *links;
    size_t n_links;
    int woken;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t generation; /* atomic: notifies so far */
static struct link *buckets[N_BUCKETS];
static struct sy_waiter *all;
static size_t count;
static int stopping;

static size_t
bucket_of(const char *key)
{
    uint64_t h = 1469598103934665603ULL;

    while (*key)
        h = (h ^ (unsigned char)*key++) * 1099511628211ULL;
    return (size_t)(h & (N_BUCKETS - 1));
}

/* Wake under the lock: the waiter cannot be unregistered (and freed) meanwhile. */
static void
wake(struct sy_waiter *w)
{
    if (w->woken)
        return;
    w->woken = 1;
    sy_req_wake(w->req);
}

struct sy_waiter *
sy_notify_wait(struct sy_req *req, const char *const *keys, size_t n)
{
    struct sy_waiter *w = sy_calloc(1, sizeof(*w));

    w->req = req;
    w->links = sy_calloc(n ? n : 1, sizeof(struct link));
    w->n_links = n;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n; i++) {
        struct link *l = &w->links[i];
        size_t b = bucket_of(keys[i]);

        l->w = w;
        l->key = sy_strdup(keys[i]);
        l->next = buckets[b];
        if (l->next)
            l->next->pprev = &l->next;
        l->pprev = &buckets[b];
        buckets[b] = l;
    }
    w->next = all;
    if (all)
        all->prev = w;
    all = w;
    count++;
    if (stopping)
        wake(w);
    pthread_mutex_unlock(&lock);
    return w;
}

void
sy_notify_unwait(struct sy_waiter *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < w->n_links; i++) {
        struct link *l = &w->links[i];

        *l->pprev = l->next;
        if (l->next)
            l->next->pprev = l->pprev;
    }
    if (w->prev)
        w->prev->next = w->next;
    else
        all = w->next;
    if (w->next)
        w->next->prev = w->prev;
    count--;
    pthread_mutex_unlock(&lock);
    for (size_t i = 0; i < w->n_links; i++)
        free(w->links[i].key);
    free(w->links);
    free(w);
}

/* Wake the waiters of key; 'db' when a database stream moved (see sy_notify_generation). */
static void
notify_key(const char *key, int db)
{
    /* Before the wakes: a woken reader must see that something moved. */
    if (db)
        __atomic_add_fetch(&generation, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_lock(&lock);
    for (struct link *l = buckets[bucket_of(key)]; l != NULL; l = l->next)
        if (strcmp(l->key, key) == 0)
            wake(l->w);
    pthread_mutex_unlock(&lock);
}

static void
notify(char kind, const char *id, int db)
{
    char key[300];

    if (strlen(id) + 3 > sizeof(key))
        return;
    key[0] = kind, key[1] = ':';
    strcpy(key + 2, id);
    notify_key(key, db);
}

void
sy_notify_room(const char *room_id)
{
    notify('r', room_id, 1);
}

void
sy_notify_user(const char *user_id)
{
    notify('u', user_id, 1);
}

void
sy_notify_room_events(const char *room_id)
{
    notify('r', room_id, 0);
}

void
sy_notify_user_events(const char *user_id)
{
    notify('u', user_id, 0);
}

/* What the /sync fast path did this run (sync/live.h counters), for the log. */
static void
log_live_counts(void)
{
    uint64_t c[SY_LIVE_N_MISS];
    char buf[512];
    size_t off = 0;

    sy_live_counts(c);
    for (int i = 1; i < SY_LIVE_N_MISS && off < sizeof(buf); i++)
        if (c[i] > 0)
            off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s %llu", off ? ", " : "",
                                    sy_live_miss_name(i), (unsigned long long)c[i]);
    buf[off < sizeof(buf) ? off : sizeof(buf) - 1] = '\0';
    sy_log(SY_LOG_INFO, "live: %llu /sync passes answered from memory; by the sections: %s",
           (unsigned long long)c[SY_LIVE_OK], off ? buf : "none");
}

void
sy_notify_shutdown(void)
{
    log_live_counts();
    pthread_mutex_lock(&lock);
    stopping = 1;
    for (struct sy_waiter *w = all; w != NULL; w = w->next)
        wake(w);
    pthread_mutex_unlock(&lock);
}

int
sy_notify_stopping(void)
{
    int s;

    pthread_mutex_lock(&lock);
    s = stopping;
    pthread_mutex_unlock(&lock);
    return s;
}

size_t
sy_notify_count(void)
{
    size_t n;

    pthread_mutex_lock(&lock);
    n = count;
    pthread_mutex_unlock(&lock);
    return n;
}

uint64_t
sy_notify_generation(void)
{
    return __atomic_load_n(&generation, __ATOMIC_SEQ_CST);
}
