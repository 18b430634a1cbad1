/*
 * t/unit/userid.c -- user ID grammar.
 */
#include <string.h>

#include "../lib/tap.h"
#include "userid.h"
#include "util/arena.h"

int
main(void)
{
    struct sy_arena *a = sy_arena_new();
    const char *lp, *server;
    char long_id[300];

    ok(sy_localpart_valid("alice"), "plain localpart");
    ok(sy_localpart_valid("a.b_c=d-e/f+g09"), "every allowed punctuation");
    ok(!sy_localpart_valid("Alice"), "upper case is not allowed");
    ok(!sy_localpart_valid("al ice"), "space is not allowed");
    ok(!sy_localpart_valid("a:b"), "colon is not allowed");
    ok(!sy_localpart_valid(""), "empty is not allowed");
    ok(!sy_localpart_valid("\xc3\xa9"), "non-ASCII is not allowed");

    is_str(sy_userid_make(a, "bob", "example.org:8448"), "@bob:example.org:8448", "make");
    is_int(sy_userid_parse(a, "@bob:example.org:8448", &lp, &server), 0, "parse");
    is_str(lp, "bob", "localpart");
    is_str(server, "example.org:8448", "server name keeps its port");
    is_int(sy_userid_parse(a, "@Old_Style!:x", &lp, NULL), 0, "historical localparts parse");
    ok(sy_userid_parse(a, "bob:example.org", NULL, NULL) < 0, "no sigil");
    ok(sy_userid_parse(a, "@:example.org", NULL, NULL) < 0, "empty localpart");
    ok(sy_userid_parse(a, "@bob", NULL, NULL) < 0, "no server");
    ok(sy_userid_parse(a, "@bo b:x", NULL, NULL) < 0, "space in localpart");
    memset(long_id, 'a', sizeof(long_id));
    long_id[0] = '@';
    memcpy(long_id + 280, ":x", 3);
    ok(sy_userid_parse(a, long_id, NULL, NULL) < 0, "over 255 bytes");

    ok(sy_userid_is_local("@bob:example.org", "example.org"), "local");
    ok(!sy_userid_is_local("@bob:example.org.evil", "example.org"), "suffix is not local");
    ok(!sy_userid_is_local("@bob:other.org", "example.org"), "remote");
    sy_arena_free(a);
    return done_testing();
}
