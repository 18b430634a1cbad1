/*
 * t/unit/claim.c -- room claims: building claims exclude each other on a
 * shared room, built ones do not, and turns come in the order claims
 * were taken (rooms/claim.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "t/lib/tap.h"
#include "rooms/claim.h"

static const char *const room_x[] = {"!x"};
static const char *const room_y[] = {"!y"};
static const char *const rooms_xy[] = {"!x", "!y"};

/* ---- a second claim on the same room waits while the first builds ----------------------- */

struct taker {
    const char *const *rooms;
    size_t n;
    atomic_int state; /* 1 taken, 2 had its turn */
    struct sy_room_claim c;
};

static void *
take_main(void *p)
{
    struct taker *t = p;

    sy_room_claim_take(&t->c, t->rooms, t->n);
    atomic_store(&t->state, 1);
    sy_room_claim_built(&t->c);
    sy_room_claim_turn(&t->c);
    atomic_store(&t->state, 2);
    return NULL;
}

static void
settle(void)
{
    usleep(30000);
}

static void
test_building_and_turns(void)
{
    struct sy_room_claim a;
    struct taker b = {.rooms = rooms_xy, .n = 2}, c = {.rooms = room_y, .n = 1};
    pthread_t tb, tc;

    sy_room_claim_take(&a, room_x, 1);
    pthread_create(&tb, NULL, take_main, &b);
    settle();
    is_int(atomic_load(&b.state), 0, "a claim on !x and !y waits while !x is being built");
    sy_room_claim_built(&a);
    settle();
    is_int(atomic_load(&b.state), 1, "once !x is built, it takes both and builds");
    pthread_create(&tc, NULL, take_main, &c);
    settle();
    is_int(atomic_load(&c.state), 1, "a third claim, on !y, builds once the second has built");
    is_int(atomic_load(&b.state), 1, "the second's turn waits for the first (taken before, on !x)");
    is_int(atomic_load(&c.state), 1, "the third's turn waits for the second (on !y)");
    sy_room_claim_turn(&a);
    ok(1, "the first claim's turn comes at once");
    sy_room_claim_release(&a);
    pthread_join(tb, NULL);
    is_int(atomic_load(&b.state), 2, "first released: the second has its turn");
    settle();
    is_int(atomic_load(&c.state), 1, "the third still waits: the second is not released");
    sy_room_claim_release(&b.c);
    pthread_join(tc, NULL);
    is_int(atomic_load(&c.state), 2, "second released: the third has its turn");
    sy_room_claim_release(&c.c);
}

/* ---- many threads: turns on one room come in take order --------------------------------- */

#define THREADS 4
#define ROUNDS 400

static pthread_mutex_t order_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t last_turn_seq;
static int turns_out_of_order, turns_seen;
static atomic_int building_now, building_overlap;

static void *
round_main(void *p)
{
    (void)p;
    for (int r = 0; r < ROUNDS; r++) {
        struct sy_room_claim c;
        const char *const *rooms = r % 3 == 0 ? rooms_xy : room_x;

        sy_room_claim_take(&c, rooms, r % 3 == 0 ? 2 : 1);
        if (atomic_fetch_add(&building_now, 1) != 0)
            atomic_store(&building_overlap, 1);
        atomic_fetch_sub(&building_now, 1);
        sy_room_claim_built(&c);
        sy_room_claim_turn(&c);
        pthread_mutex_lock(&order_lock);
        if (turns_seen > 0 && c.seq < last_turn_seq)
            turns_out_of_order++;
        last_turn_seq = c.seq;
        turns_seen++;
        pthread_mutex_unlock(&order_lock);
        sy_room_claim_release(&c);
    }
    return NULL;
}

static void
test_many(void)
{
    pthread_t t[THREADS];
    struct sy_room_claim other;

    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, round_main, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    is_int(turns_seen, THREADS * ROUNDS, "every claim had its turn");
    is_int(turns_out_of_order, 0, "turns on !x came in the order the claims were taken");
    is_int(atomic_load(&building_overlap), 0, "never two claims building !x at once");
    sy_room_claim_take(&other, room_y, 1);
    sy_room_claim_turn(&other);
    ok(1, "nothing is left holding !y");
    sy_room_claim_release(&other);
}

int
main(void)
{
    test_building_and_turns();
    test_many();
    return done_testing();
}
