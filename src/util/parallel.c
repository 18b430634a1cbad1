/*
 * util/parallel.c -- helper threads for sy_parallel_for.
 *
 * The loop being shared is a static record: its function, context, size
 * and an atomic counter that hands out iterations.  A helper joins under
 * the mutex (busy++) only while the loop is open; the caller closes it
 * when its own share is done and waits until busy is 0.  Every iteration
 * handed out is finished by whoever took it before busy drops, so when
 * the caller returns no helper is inside fn or reading the record's
 * context, and the record can take the next loop.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "util/err.h"
#include "util/parallel.h"

#define MAX_HELPERS 16

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t idle_cv = PTHREAD_COND_INITIALIZER;

static struct {
    void (*fn)(void *ctx, size_t i);
    void *ctx;
    size_t n;
    atomic_size_t next; /* the next iteration to hand out */
    unsigned long gen;  /* which loop: a helper joins each one once */
    int open;           /* helpers may join */
    int in_use;         /* a caller owns the record */
    int busy;           /* helpers inside the loop */
} loop;

static pthread_t helpers[MAX_HELPERS];
static int n_helpers;
static int stopping;

/* Take iterations until none is left. */
static void
work(void (*fn)(void *, size_t), void *ctx, size_t n)
{
    size_t i;

    while ((i = atomic_fetch_add(&loop.next, 1)) < n)
        fn(ctx, i);
}

static void *
helper_main(void *arg)
{
    unsigned long seen = 0;

    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;) {
        while (!stopping && !(loop.open && loop.gen != seen))
            pthread_cond_wait(&work_cv, &lock);
        if (stopping)
            break;
        void (*fn)(void *, size_t) = loop.fn;
        void *ctx = loop.ctx;
        size_t n = loop.n;

        seen = loop.gen;
        loop.busy++;
        pthread_mutex_unlock(&lock);
        work(fn, ctx, n);
        pthread_mutex_lock(&lock);
        if (--loop.busy == 0)
            pthread_cond_broadcast(&idle_cv);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

int
sy_parallel_start(int n)
{
    if (n > MAX_HELPERS)
        n = MAX_HELPERS;
    stopping = 0;
    for (n_helpers = 0; n_helpers < n; n_helpers++)
        if (pthread_create(&helpers[n_helpers], NULL, helper_main, NULL) != 0) {
            sy_parallel_stop();
            return SY_EINTERNAL;
        }
    return SY_OK;
}

void
sy_parallel_stop(void)
{
    pthread_mutex_lock(&lock);
    stopping = 1;
    pthread_cond_broadcast(&work_cv);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < n_helpers; i++)
        pthread_join(helpers[i], NULL);
    n_helpers = 0;
}

void
sy_parallel_for(size_t n, void (*fn)(void *ctx, size_t i), void *ctx)
{
    int shared;

    pthread_mutex_lock(&lock);
    shared = n > 1 && n_helpers > 0 && !stopping && !loop.in_use;
    if (shared) {
        loop.fn = fn, loop.ctx = ctx, loop.n = n;
        atomic_store(&loop.next, 0);
        loop.gen++;
        loop.open = loop.in_use = 1;
        pthread_cond_broadcast(&work_cv);
    }
    pthread_mutex_unlock(&lock);
    if (!shared) {
        for (size_t i = 0; i < n; i++)
            fn(ctx, i);
        return;
    }
    work(fn, ctx, n);
    pthread_mutex_lock(&lock);
    loop.open = 0;
    while (loop.busy > 0)
        pthread_cond_wait(&idle_cv, &lock);
    loop.in_use = 0;
    pthread_mutex_unlock(&lock);
}
