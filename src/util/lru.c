/*
 * util/lru.c -- chained hash table plus a doubly linked recency list,
 * under one mutex.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/lru.h"
#include "util/mem.h"

struct node {
    struct node *hnext;       /* hash chain */
    struct node *prev, *next; /* recency: head is the most recent */
    size_t klen, vlen;
    char *key;                /* key and value share one allocation after the node */
    char *val;
};

struct sy_lru {
    pthread_mutex_t lock;
    struct node **buckets;
    size_t n_buckets, count, bytes, max_bytes;
    struct node *head, *tail;
};

static uint64_t
hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

struct sy_lru *
sy_lru_new(size_t max_bytes)
{
    struct sy_lru *c = sy_calloc(1, sizeof(*c));

    pthread_mutex_init(&c->lock, NULL);
    c->n_buckets = 4096;
    c->buckets = sy_calloc(c->n_buckets, sizeof(struct node *));
    c->max_bytes = max_bytes;
    return c;
}

void
sy_lru_free(struct sy_lru *c)
{
    struct node *n, *next;

    if (c == NULL)
        return;
    for (n = c->head; n != NULL; n = next) {
        next = n->next;
        free(n);
    }
    free(c->buckets);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static size_t
node_bytes(const struct node *n)
{
    return sizeof(*n) + n->klen + n->vlen + 2;
}

static struct node **
slot(struct sy_lru *c, const char *key)
{
    struct node **p = &c->buckets[hash(key) & (c->n_buckets - 1)];

    while (*p != NULL && strcmp((*p)->key, key) != 0)
        p = &(*p)->hnext;
    return p;
}

static void
unlink_recency(struct sy_lru *c, struct node *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else
        c->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        c->tail = n->prev;
    n->prev = n->next = NULL;
}

static void
push_front(struct sy_lru *c, struct node *n)
{
    n->next = c->head;
    n->prev = NULL;
    if (c->head)
        c->head->prev = n;
    c->head = n;
    if (c->tail == NULL)
        c->tail = n;
}

/* Remove the node at *p (a hash slot) entirely. */
static void
drop(struct sy_lru *c, struct node **p)
{
    struct node *n = *p;

    *p = n->hnext;
    unlink_recency(c, n);
    c->count--;
    c->bytes -= node_bytes(n);
    free(n);
}

static void
evict(struct sy_lru *c)
{
    while (c->bytes > c->max_bytes && c->tail != NULL)
        drop(c, slot(c, c->tail->key));
}

void
sy_lru_put(struct sy_lru *c, const char *key, const void *val, size_t len)
{
    size_t klen = strlen(key);
    struct node *n = sy_malloc(sizeof(*n) + klen + len + 2), **p;

    n->klen = klen;
    n->vlen = len;
    n->key = (char *)(n + 1);
    n->val = n->key + klen + 1;
    memcpy(n->key, key, klen + 1);
    memcpy(n->val, val, len);
    n->val[len] = '\0';
    /* Something bigger than the whole budget is not worth keeping. */
    if (node_bytes(n) > c->max_bytes) {
        free(n);
        return;
    }
    pthread_mutex_lock(&c->lock);
    p = slot(c, key);
    if (*p != NULL)
        drop(c, p);
    p = slot(c, key);
    n->hnext = NULL;
    *p = n;
    push_front(c, n);
    c->count++;
    c->bytes += node_bytes(n);
    evict(c);
    pthread_mutex_unlock(&c->lock);
}

void *
sy_lru_get(struct sy_lru *c, const char *key, struct sy_arena *a, size_t *len)
{
    struct node *n;
    void *out = NULL;

    pthread_mutex_lock(&c->lock);
    n = *slot(c, key);
    if (n != NULL) {
        unlink_recency(c, n);
        push_front(c, n);
        out = sy_arena_strndup(a, n->val, n->vlen);
        if (len != NULL)
            *len = n->vlen;
    }
    pthread_mutex_unlock(&c->lock);
    return out;
}

void
sy_lru_del(struct sy_lru *c, const char *key)
{
    struct node **p;

    pthread_mutex_lock(&c->lock);
    p = slot(c, key);
    if (*p != NULL)
        drop(c, p);
    pthread_mutex_unlock(&c->lock);
}

size_t
sy_lru_count(struct sy_lru *c)
{
    size_t n;

    pthread_mutex_lock(&c->lock);
    n = c->count;
    pthread_mutex_unlock(&c->lock);
    return n;
}

size_t
sy_lru_bytes(struct sy_lru *c)
{
    size_t n;

    pthread_mutex_lock(&c->lock);
    n = c->bytes;
    pthread_mutex_unlock(&c->lock);
    return n;
}
