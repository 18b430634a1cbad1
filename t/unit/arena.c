/*
 * t/unit/arena.c -- the region allocator, growable buffer and string helpers.
 */
#include <string.h>

#include "../lib/tap.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/str.h"

static int cleanup_order[3], cleanup_n;

static void
record(void *arg)
{
    cleanup_order[cleanup_n++] = (int)(long)arg;
}

int
main(void)
{
    struct sy_arena *a = sy_arena_new();
    struct sy_buf b;
    char *s, *big;

    s = sy_arena_strdup(a, "hello");
    is_str(s, "hello", "strdup copies");
    is_str(sy_arena_printf(a, "%d-%s", 42, "x"), "42-x", "printf formats");
    ok(((unsigned long)sy_arena_alloc(a, 3) % 16) == 0, "allocations are 16-byte aligned");
    big = sy_arena_alloc(a, 100000);
    memset(big, 'z', 100000);
    is_str(s, "hello", "a big allocation leaves earlier data alone");
    ok(sy_arena_used(a) >= 100000, "used counts big allocations");
    sy_arena_on_free(a, record, (void *)1L);
    sy_arena_on_free(a, record, (void *)2L);
    sy_arena_free(a);
    is_int(cleanup_n, 2, "both cleanups ran");
    ok(cleanup_order[0] == 2 && cleanup_order[1] == 1, "cleanups run last-registered first");

    sy_buf_init(&b, 8);
    is_int(sy_buf_puts(&b, "12345678"), SY_OK, "append up to the cap");
    is_int(sy_buf_putc(&b, '9'), SY_ETOOBIG, "append past the cap fails");
    is_str(b.data, "12345678", "a failed append leaves the buffer as it was");
    sy_buf_free(&b);

    a = sy_arena_new();
    ok(sy_str_utf8_valid("h\xc3\xa9llo", 6), "valid UTF-8");
    ok(!sy_str_utf8_valid("\xc0\xaf", 2), "overlong encoding rejected");
    ok(!sy_str_utf8_valid("\xed\xa0\x80", 3), "surrogate rejected");
    ok(!sy_str_utf8_valid("\xe2\x82", 2), "truncated sequence rejected");
    is_str(sy_str_urldecode(a, "%40a%3Ab", 8), "@a:b", "percent-decoding");
    ok(sy_str_urldecode(a, "%4", 2) == NULL, "truncated escape rejected");
    ok(sy_str_urldecode(a, "%00", 3) == NULL, "NUL escape rejected");
    is_str(sy_str_urlencode(a, "@a:b c"), "%40a%3Ab%20c", "percent-encoding");
    is_str(sy_str_hex(a, (const unsigned char *)"\x01\xab", 2), "01ab", "hex");
    sy_arena_free(a);
    return done_testing();
}
