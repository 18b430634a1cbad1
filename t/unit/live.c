/*
 * t/unit/live.c -- the in-memory record behind the /sync fast path:
 * the watermark over out-of-order hooks, what a snapshot refuses, unread
 * counts kept by push outcomes, summaries invalidated by member events,
 * the per-user joined sets, keys and inbox bookkeeping.
 */
#include <stdio.h>
#include <string.h>

#include "../lib/tap.h"
#include "sync/live.h"
#include "util/arena.h"

#define ROOM "!r:x"
#define OTHER "!o:x"
#define ALICE "@alice:x"
#define BOB "@bob:x"

static int64_t start_head;

static int
head_of(void *arg, int64_t *head)
{
    (void)arg;
    *head = start_head;
    return 0;
}

static char ids[256][32];

/* A message (or state event when state_key is set) at pos in room by sender. */
static struct sy_live_event
ev(int64_t pos, const char *room, const char *sender, const char *type, const char *state_key)
{
    struct sy_live_event e = {0};

    snprintf(ids[pos % 256], sizeof(ids[0]), "$e%lld", (long long)pos);
    e.stream = pos;
    e.room_id = room;
    e.event_id = ids[pos % 256];
    e.type = type;
    e.state_key = state_key;
    e.sender = sender;
    e.origin_server_ts = 1000 + pos;
    e.client_json = "{\"type\":\"m.room.message\"}";
    return e;
}

static void
commit1(struct sy_live_event e)
{
    sy_live_events_committed(&e, 1);
}

static void
test_watermark(void)
{
    int64_t w, lo;

    sy_live_reset();
    commit1(ev(5, ROOM, ALICE, "m.room.message", NULL));
    ok(!sy_live_range(&w, &lo), "before the start, hooks are ignored");
    start_head = 10;
    is_int(sy_live_start(head_of, NULL), 0, "start");
    sy_live_range(&w, &lo);
    is_int((int)w, 10, "the watermark starts at the head");
    is_int((int)lo, 11, "... and the ring holds nothing yet");
    commit1(ev(12, ROOM, ALICE, "m.room.message", NULL));
    sy_live_range(&w, &lo);
    is_int((int)w, 10, "an event whose predecessor is missing waits");
    commit1(ev(11, ROOM, ALICE, "m.room.message", NULL));
    sy_live_range(&w, &lo);
    is_int((int)w, 12, "its predecessor brings both in");
    commit1(ev(9, ROOM, ALICE, "m.room.message", NULL));
    sy_live_range(&w, &lo);
    is_int((int)w, 12, "a position at or below the watermark changes nothing");
    sy_live_positions_unused(13, 13);
    commit1(ev(14, ROOM, ALICE, "m.room.message", NULL));
    sy_live_range(&w, &lo);
    is_int((int)w, 14, "an unused position does not stop the watermark");

    commit1(ev(16, ROOM, ALICE, "m.room.message", NULL)); /* 15 never comes */
    sy_live_behind(16, 1000);
    ok(sy_live_range(&w, &lo), "the database ahead of the watermark for a moment: still live");
    commit1(ev(17, ROOM, ALICE, "m.room.message", NULL));
    sy_live_behind(17, 2500);
    ok(sy_live_range(&w, &lo), "... measured from the first sighting");
    sy_live_behind(17, 3100);
    ok(!sy_live_range(&w, &lo), "a hole that lasts stops live (it starts again from the database)");
    start_head = 17;
    sy_live_start(head_of, NULL);
    sy_live_range(&w, &lo);
    is_int((int)w, 17, "... at the database's head");
}

static void
test_snapshot(void)
{
    struct sy_arena *a = sy_arena_new();
    struct sy_live_snapshot s;
    const char *alice_rooms[] = {ROOM};

    sy_live_reset();
    start_head = 100;
    sy_live_start(head_of, NULL);
    is_int(sy_live_snapshot(ALICE, 100, 10, a, &s), SY_LIVE_NO_USER, "an unknown user misses");
    sy_live_user_joined(ALICE, 100, alice_rooms, 1);
    is_int(sy_live_snapshot(ALICE, 100, 10, a, &s), SY_LIVE_OK, "a known user with nothing new");
    is_int((int)s.n_rooms, 0, "... has no rooms with events");
    is_int((int)s.n_joined, 1, "... and one joined room");
    commit1(ev(101, ROOM, BOB, "m.room.message", NULL));
    commit1(ev(102, OTHER, BOB, "m.room.message", NULL));
    commit1(ev(103, ROOM, BOB, "m.room.message", NULL));
    is_int(sy_live_snapshot(ALICE, 100, 10, a, &s), SY_LIVE_OK, "two new events in her room");
    is_int((int)s.upto, 103, "upto is the watermark");
    is_int((int)s.n_rooms, 1, "one room: the other room is not hers");
    is_int((int)s.rooms[0].n, 2, "... with its two events");
    is_int((int)s.rooms[0].events[0].stream, 101, "... oldest first");
    is_int(sy_live_snapshot(ALICE, 100, 1, a, &s), SY_LIVE_LIMITED,
           "more events than the limit: limited, the sections' job");
    is_int(sy_live_snapshot(ALICE, 99, 10, a, &s), SY_LIVE_NOT_COVERED,
           "a range starting before the ring is not covered");
    is_int(sy_live_snapshot(ALICE, 104, 10, a, &s), SY_LIVE_NOT_COVERED,
           "a token ahead of the ring is not covered");
    is_int(sy_live_snapshot(ALICE, 101, 10, a, &s), SY_LIVE_OK, "a later since");
    is_int((int)s.rooms[0].n, 1, "... sees only what followed it");

    commit1(ev(104, OTHER, BOB, "m.room.topic", ""));
    is_int(sy_live_snapshot(ALICE, 103, 10, a, &s), SY_LIVE_OK,
           "state in a room that is not hers does not matter");
    commit1(ev(105, ROOM, BOB, "m.room.topic", ""));
    is_int(sy_live_snapshot(ALICE, 103, 10, a, &s), SY_LIVE_STATE, "state in her room misses");
    is_int(sy_live_snapshot(ALICE, 105, 10, a, &s), SY_LIVE_OK, "... until it is behind 'since'");

    {
        struct sy_live_event r = ev(107, ROOM, BOB, "m.reaction", NULL);
        struct sy_live_event t = ev(108, ROOM, BOB, "m.room.redaction", NULL);

        commit1(ev(106, ROOM, BOB, "m.room.message", NULL));
        r.relates_to = "$e106";
        commit1(r);
        is_int(sy_live_snapshot(ALICE, 106, 10, a, &s), SY_LIVE_OK,
               "a relation to an event before the range is fine");
        is_int(sy_live_snapshot(ALICE, 105, 10, a, &s), SY_LIVE_RELATED,
               "a relation to an event in the range misses (bundles)");
        t.redacts = "$e107";
        commit1(t);
        is_int(sy_live_snapshot(ALICE, 106, 10, a, &s), SY_LIVE_RELATED,
               "so does a redaction of one");
        is_int(sy_live_snapshot(ALICE, 107, 10, a, &s), SY_LIVE_OK,
               "a redaction of an event before the range is just an event");
    }

    commit1(ev(109, OTHER, ALICE, "m.room.member", ALICE));
    is_int(sy_live_snapshot(ALICE, 108, 10, a, &s), SY_LIVE_NO_USER,
           "her own membership changed: her rooms are unknown");
    is_int(sy_live_snapshot(ALICE, 109, 10, a, &s), SY_LIVE_NO_USER,
           "... also for a since after it: the set is from before it");
    {
        const char *both[] = {OTHER, ROOM};

        sy_live_user_joined(ALICE, 109, both, 2);
    }
    is_int(sy_live_snapshot(ALICE, 109, 10, a, &s), SY_LIVE_OK, "a pass after it teaches live");
    is_int((int)s.n_joined, 2, "... both rooms");
    sy_arena_free(a);
}

static void
test_views(void)
{
    struct sy_arena *a = sy_arena_new();
    struct sy_live_view v = {0}, got;
    struct sy_live_ticket t;
    const char *heroes[] = {BOB};
    struct sy_live_push to_alice = {ALICE, 1, 0}, hl_alice = {ALICE, 1, 1};
    struct sy_live_event e;

    sy_live_reset();
    start_head = 200;
    sy_live_start(head_of, NULL);
    v.have_summary = v.have_unread = 1;
    v.joined = 2;
    v.heroes = heroes;
    v.n_heroes = 1;
    v.notes = 3;
    sy_live_view_begin(&t);
    is_int(sy_live_view_put(ALICE, ROOM, &t, 201, &v), 0,
           "a view read while the database was ahead of the ring is refused");
    is_int(sy_live_view_put(ALICE, ROOM, &t, 200, &v), 1, "a view read at the watermark is kept");
    sy_live_view_get(ALICE, ROOM, a, &got);
    ok(got.have_summary && got.have_unread, "it comes back");
    is_int((int)got.notes, 3, "with its count");
    is_str(got.heroes[0], BOB, "and heroes");

    e = ev(201, ROOM, BOB, "m.room.message", NULL);
    e.push = &to_alice;
    e.n_push = 1;
    commit1(e);
    e = ev(203, ROOM, BOB, "m.room.message", NULL);
    e.push = &hl_alice;
    e.n_push = 1;
    commit1(e);
    sy_live_view_get(ALICE, ROOM, a, &got);
    is_int((int)got.notes, 4, "push outcomes count once the watermark passes them");
    commit1(ev(202, ROOM, BOB, "m.room.message", NULL));
    sy_live_view_get(ALICE, ROOM, a, &got);
    is_int((int)got.notes, 5, "an out-of-order event counts when its gap fills");
    is_int((int)got.highlights, 1, "highlights too");

    sy_live_view_begin(&t);
    commit1(ev(204, ROOM, BOB, "m.room.message", NULL));
    is_int(sy_live_view_put(ALICE, OTHER, &t, 204, &v), 0,
           "a view whose reads an event overtook is refused");

    sy_live_read_moved(ALICE, ROOM);
    sy_live_view_get(ALICE, ROOM, a, &got);
    ok(!got.have_unread, "a read receipt drops the counts");
    ok(got.have_summary, "... not the summary");
    commit1(ev(205, ROOM, "@carol:x", "m.room.member", "@carol:x"));
    sy_live_view_get(ALICE, ROOM, a, &got);
    ok(!got.have_summary, "a member event in the room drops the summary");
    sy_arena_free(a);
}

static void
test_side_tables(void)
{
    struct sy_arena *a = sy_arena_new();
    const char *counts, *fallback, **keys;
    const char *rooms[] = {ROOM}, *invites[] = {OTHER};
    size_t n;
    uint64_t g;

    sy_live_reset();
    start_head = 300;
    sy_live_start(head_of, NULL);
    g = sy_live_keys_gen(ALICE);
    sy_live_keys_put(ALICE, "DEV", g, "{\"signed_curve25519\":0}", "[]");
    ok(sy_live_keys_get(ALICE, "DEV", a, &counts, &fallback), "key counts are kept");
    is_str(counts, "{\"signed_curve25519\":0}", "... as given");
    sy_live_keys_changed(ALICE);
    ok(!sy_live_keys_get(ALICE, "DEV", a, &counts, &fallback), "a key change drops them");
    sy_live_keys_put(ALICE, "DEV", g, "{}", "[]");
    ok(!sy_live_keys_get(ALICE, "DEV", a, &counts, &fallback),
       "counts read before a change are not kept");

    is_int((int)sy_live_inbox_cleared(ALICE, "DEV"), -1, "an unknown inbox is not known clear");
    sy_live_inbox_clear(ALICE, "DEV", 7);
    sy_live_inbox_clear(ALICE, "DEV", 5);
    is_int((int)sy_live_inbox_cleared(ALICE, "DEV"), 7, "the inbox clear mark only grows");

    ok(!sy_live_wait_keys(ALICE, a, &keys, &n), "no wait keys for an unknown user");
    sy_live_user_joined(ALICE, 300, rooms, 1);
    ok(!sy_live_wait_keys(ALICE, a, &keys, &n), "... nor without the invited rooms");
    sy_live_user_invited(ALICE, invites, 1);
    ok(sy_live_wait_keys(ALICE, a, &keys, &n), "with both");
    is_int((int)n, 3, "the user key and two rooms");
    is_str(keys[0], "u:" ALICE, "the user key first");
    commit1(ev(301, ROOM, ALICE, "m.room.member", ALICE));
    ok(!sy_live_wait_keys(ALICE, a, &keys, &n), "a membership change makes them unknown");
    sy_arena_free(a);
}

int
main(void)
{
    test_watermark();
    test_snapshot();
    test_views();
    test_side_tables();
    done_testing();
}
