/*
 * t/unit/lru.c -- the bounded cache: copies in and out, recency, byte budget.
 */
#include <stdio.h>
#include <string.h>

#include "../lib/tap.h"
#include "util/arena.h"
#include "util/lru.h"

int
main(void)
{
    struct sy_lru *c = sy_lru_new(4096);
    struct sy_arena *a = sy_arena_new();
    char key[32], val[200];
    size_t len;

    sy_lru_put(c, "a", "alpha", 5);
    is_str(sy_lru_get(c, "a", a, &len), "alpha", "a stored value comes back");
    is_int((int)len, 5, "with its length");
    ok(sy_lru_get(c, "b", a, NULL) == NULL, "a missing key misses");
    sy_lru_put(c, "a", "again", 5);
    is_str(sy_lru_get(c, "a", a, NULL), "again", "put replaces");
    is_int((int)sy_lru_count(c), 1, "one entry after a replace");

    memset(val, 'x', sizeof(val));
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        sy_lru_put(c, key, val, sizeof(val));
        sy_lru_get(c, "a", a, NULL); /* keep "a" recent */
    }
    ok(sy_lru_bytes(c) <= 4096, "the byte budget holds");
    ok(sy_lru_count(c) < 100, "old entries were evicted");
    is_str(sy_lru_get(c, "a", a, NULL), "again", "a recently used entry survives");
    ok(sy_lru_get(c, "k0", a, NULL) == NULL, "the least recently used went first");
    ok(sy_lru_get(c, "k99", a, NULL) != NULL, "the newest is there");
    sy_lru_del(c, "a");
    ok(sy_lru_get(c, "a", a, NULL) == NULL, "del removes");

    {
        char huge[5000];

        memset(huge, 'y', sizeof(huge));
        sy_lru_put(c, "huge", huge, sizeof(huge));
        ok(sy_lru_get(c, "huge", a, NULL) == NULL, "a value over the budget is not kept");
    }
    sy_arena_free(a);
    sy_lru_free(c);
    return done_testing();
}
