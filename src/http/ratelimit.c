/*
 * http/ratelimit.c -- token buckets in a fixed-size open-addressing table.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/ratelimit.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/time.h"

#define RL_SLOTS 8192 /* power of two; at most RL_SLOTS / 2 keys live at once */
#define RL_KEY 128

struct bucket {
    char key[RL_KEY]; /* "" = free */
    double tokens;
    int64_t last_us;
};

struct sy_ratelimiter {
    pthread_mutex_t lock;
    double per_second;
    int burst;
    size_t used;
    struct bucket *slots;
};

struct sy_ratelimiter *
sy_ratelimiter_new(double per_second, int burst)
{
    struct sy_ratelimiter *rl = sy_calloc(1, sizeof(*rl));

    pthread_mutex_init(&rl->lock, NULL);
    rl->per_second = per_second;
    rl->burst = burst < 1 ? 1 : burst;
    rl->slots = sy_calloc(RL_SLOTS, sizeof(struct bucket));
    return rl;
}

void
sy_ratelimiter_free(struct sy_ratelimiter *rl)
{
    if (rl == NULL)
        return;
    pthread_mutex_destroy(&rl->lock);
    free(rl->slots);
    free(rl);
}

static uint64_t
hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

static void
refill(const struct sy_ratelimiter *rl, struct bucket *b, int64_t now)
{
    b->tokens += (double)(now - b->last_us) / 1e6 * rl->per_second;
    if (b->tokens > rl->burst)
        b->tokens = rl->burst;
    b->last_us = now;
}

/* Rebuild the table keeping only buckets still below full: they are the ones that matter. */
static void
sweep(struct sy_ratelimiter *rl, int64_t now)
{
    struct bucket *old = rl->slots;

    rl->slots = sy_calloc(RL_SLOTS, sizeof(struct bucket));
    rl->used = 0;
    for (size_t i = 0; i < RL_SLOTS; i++) {
        if (old[i].key[0] == '\0')
            continue;
        refill(rl, &old[i], now);
        if (old[i].tokens >= rl->burst)
            continue;
        size_t j = hash_key(old[i].key) & (RL_SLOTS - 1);
        while (rl->slots[j].key[0] != '\0')
            j = (j + 1) & (RL_SLOTS - 1);
        rl->slots[j] = old[i];
        rl->used++;
    }
    free(old);
    /* Still too full: a flood of distinct keys; start over rather than refuse everyone. */
    if (rl->used > RL_SLOTS / 2) {
        memset(rl->slots, 0, RL_SLOTS * sizeof(struct bucket));
        rl->used = 0;
    }
}

/* Find or make the bucket for 'key', refilled to now; called with the lock held. */
static struct bucket *
bucket_for(struct sy_ratelimiter *rl, const char *key, int64_t now)
{
    struct bucket *b;
    size_t i;

    if (rl->used >= RL_SLOTS / 2)
        sweep(rl, now);
    i = hash_key(key) & (RL_SLOTS - 1);
    while (rl->slots[i].key[0] != '\0' && strncmp(rl->slots[i].key, key, RL_KEY - 1) != 0)
        i = (i + 1) & (RL_SLOTS - 1);
    b = &rl->slots[i];
    if (b->key[0] == '\0') {
        strncpy(b->key, key, RL_KEY - 1);
        b->tokens = rl->burst;
        b->last_us = now;
        rl->used++;
    }
    refill(rl, b, now);
    return b;
}

static int
limit(struct sy_ratelimiter *rl, const char *key, int spend, long *retry_after_ms)
{
    int64_t now = sy_mono_us();
    struct bucket *b;
    int rc = SY_OK;

    if (rl == NULL || rl->per_second <= 0)
        return SY_OK;
    pthread_mutex_lock(&rl->lock);
    b = bucket_for(rl, key, now);
    if (b->tokens >= 1.0) {
        if (spend)
            b->tokens -= 1.0;
    } else {
        *retry_after_ms = (long)((1.0 - b->tokens) / rl->per_second * 1000.0) + 1;
        rc = SY_ELIMIT;
    }
    pthread_mutex_unlock(&rl->lock);
    return rc;
}

int
sy_ratelimit_take(struct sy_ratelimiter *rl, const char *key, long *retry_after_ms)
{
    return limit(rl, key, 1, retry_after_ms);
}

int
sy_ratelimit_check(struct sy_ratelimiter *rl, const char *key, long *retry_after_ms)
{
    return limit(rl, key, 0, retry_after_ms);
}
