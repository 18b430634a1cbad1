/*
 * t/unit/parallel.c -- sy_parallel_for: every iteration once, on the
 * caller and the helpers, with two callers at a time, and after stop.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "t/lib/tap.h"
#include "util/err.h"
#include "util/parallel.h"

#define MAX_N 64

struct counts {
    atomic_int hits[MAX_N];
    atomic_int others; /* iterations run on a thread other than the caller */
    pthread_t caller;
};

static void
count_one(void *p, size_t i)
{
    struct counts *c = p;

    atomic_fetch_add(&c->hits[i], 1);
    if (!pthread_equal(pthread_self(), c->caller))
        atomic_fetch_add(&c->others, 1);
}

/* rounds loops of random sizes; 1 if every iteration of each ran exactly once. */
static int
loops_ok(int rounds, unsigned seed, int *helped)
{
    for (int r = 0; r < rounds; r++) {
        struct counts c;
        size_t n = (size_t)(rand_r(&seed) % (MAX_N + 1));

        memset(&c, 0, sizeof(c));
        c.caller = pthread_self();
        sy_parallel_for(n, count_one, &c);
        for (size_t i = 0; i < MAX_N; i++)
            if (atomic_load(&c.hits[i]) != (i < n ? 1 : 0))
                return 0;
        if (atomic_load(&c.others) > 0)
            (*helped)++;
    }
    return 1;
}

/*
 * Iteration 0 (the caller's: it takes the first) waits up to 5 s for
 * iteration 1, which only a helper can run meanwhile.
 */
struct handoff {
    atomic_int one_done;
    pthread_t caller;
    int one_elsewhere;
};

static void
wait_for_one(void *p, size_t i)
{
    struct handoff *h = p;

    if (i == 1) {
        h->one_elsewhere = !pthread_equal(pthread_self(), h->caller);
        atomic_store(&h->one_done, 1);
        return;
    }
    for (int k = 0; k < 5000 && !atomic_load(&h->one_done); k++)
        usleep(1000);
}

struct caller {
    unsigned seed;
    int ok, helped;
};

static void *
caller_main(void *p)
{
    struct caller *c = p;

    c->ok = loops_ok(3000, c->seed, &c->helped);
    return NULL;
}

int
main(void)
{
    struct caller a = {.seed = 1}, b = {.seed = 2};
    pthread_t ta, tb;
    int helped = 0;

    ok(loops_ok(200, 7, &helped), "no helpers: every iteration once, on the caller");
    is_int(helped, 0, "  ... and none elsewhere");

    is_int(sy_parallel_start(2), SY_OK, "two helpers start");
    ok(loops_ok(5000, 11, &helped), "5,000 loops: every iteration exactly once");
    {
        struct handoff h = {.caller = pthread_self()};

        atomic_init(&h.one_done, 0);
        sy_parallel_for(2, wait_for_one, &h);
        ok(atomic_load(&h.one_done) && h.one_elsewhere,
           "while the caller is busy, a helper runs the next iteration");
    }

    pthread_create(&ta, NULL, caller_main, &a);
    pthread_create(&tb, NULL, caller_main, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ok(a.ok && b.ok, "two callers at once: each loop's iterations exactly once");

    sy_parallel_stop();
    helped = 0;
    ok(loops_ok(200, 13, &helped), "after stop: loops still run, on the caller");
    is_int(helped, 0, "  ... only there");
    return done_testing();
}
