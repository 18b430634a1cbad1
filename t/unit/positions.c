/*
 * t/unit/positions.c -- the events stream's positions: ranges handed out
 * in order, finished in any order, a head that never passes an unfinished
 * range, reservations made before positions are handed out.
 */
#include <stdlib.h>

#include "../lib/tap.h"
#include "sync/positions.h"
#include "util/err.h"

struct fake_db {
    int calls, fail;
    int64_t reserved; /* what the "database" has reserved */
    int64_t last_floor, last_by;
};

static int
fake_reserve(void *arg, int64_t floor, int64_t by, int64_t *upto, struct sy_error *err)
{
    struct fake_db *db = arg;

    db->calls++;
    db->last_floor = floor;
    db->last_by = by;
    if (db->fail)
        return sy_err_internal(err, "no database");
    db->reserved = (db->reserved > floor ? db->reserved : floor) + by;
    *upto = db->reserved;
    return SY_OK;
}

static void
basics(void)
{
    struct fake_db db = {.reserved = 100};
    struct sy_error err = {0};
    int64_t a, b, c;

    sy_event_positions_start_at(100, fake_reserve, &db);
    is_int(sy_event_positions_head(), 100, "the head starts where the database was");
    ok(sy_event_positions_take(5, &a, &err) == SY_OK && a == 101, "the first range follows it");
    is_int(db.calls, 1, "one reservation for it");
    is_int(db.last_floor, 100, "reserved from the last position handed out");
    ok(db.last_by >= 5, "for at least the range");
    ok(sy_event_positions_take(3, &b, &err) == SY_OK && b == 106, "the next range follows");
    is_int(db.calls, 1, "inside the reservation: no database call");
    is_int(sy_event_positions_head(), 100, "the head waits for both");
    sy_event_positions_finish(b);
    is_int(sy_event_positions_head(), 100, "a later range finished first does not move it");
    sy_event_positions_finish(a);
    is_int(sy_event_positions_head(), 108, "the earlier one finished: it passes both");

    {
        int64_t len = db.reserved - 108 + 10;

        ok(sy_event_positions_take(len, &c, &err) == SY_OK && c == 109,
           "a range past the reservation");
        is_int(db.calls, 2, "reserves again");
        ok(db.reserved >= c + len - 1, "enough for the range");
        sy_event_positions_finish(c);
    }

    db.fail = 1;
    {
        int64_t head = sy_event_positions_head(), x = 0;
        int64_t past = db.reserved - head + 1;

        ok(sy_event_positions_take(past, &x, &err) != SY_OK, "a failed reservation fails the take");
        is_int(sy_event_positions_head(), head, "and hands nothing out");
        db.fail = 0;
        ok(sy_event_positions_take(1, &x, &err) == SY_OK && x == head + 1,
           "the next take starts where the failed one would have");
        sy_event_positions_finish(x);
    }
    sy_event_positions_stop();
    ok(!sy_event_positions_running(), "stopped");
    ok(sy_event_positions_take(1, &a, &err) != SY_OK, "no positions once stopped");
}

/* Random takes and finishes: the head is exactly below the first unfinished range. */
static void
shuffled(void)
{
    struct fake_db db = {.reserved = 0};
    struct sy_error err = {0};
    int64_t firsts[64], lens[64];
    size_t n = 0;
    int64_t prev_head = 0, handed = 0;
    int bad_head = 0, bad_order = 0, bad_reserve = 0, back = 0;

    srand(7);
    sy_event_positions_start_at(0, fake_reserve, &db);
    for (int round = 0; round < 20000; round++) {
        int64_t head;

        if (n < 64 && rand() % 2) {
            lens[n] = 1 + rand() % 300;
            if (sy_event_positions_take(lens[n], &firsts[n], &err) != SY_OK)
                break;
            if (firsts[n] != handed + 1)
                bad_order++;
            handed = firsts[n] + lens[n] - 1;
            if (handed > db.reserved)
                bad_reserve++;
            n++;
        } else if (n > 0) {
            size_t k = (size_t)rand() % n;

            sy_event_positions_finish(firsts[k]);
            firsts[k] = firsts[n - 1], lens[k] = lens[n - 1];
            n--;
        }
        head = sy_event_positions_head();
        {
            int64_t want = handed;

            for (size_t k = 0; k < n; k++)
                if (firsts[k] - 1 < want)
                    want = firsts[k] - 1;
            if (head != want)
                bad_head++;
        }
        if (head < prev_head)
            back++;
        prev_head = head;
    }
    is_int(bad_order, 0, "ranges are handed out one after another");
    is_int(bad_reserve, 0, "never past what was reserved");
    is_int(bad_head, 0, "the head is always just below the first unfinished range");
    is_int(back, 0, "the head never goes back");
    ok(db.calls > 1 && db.calls < 20000 / 4, "reservations are made in blocks (%d)", db.calls);
    while (n > 0)
        sy_event_positions_finish(firsts[--n]);
    is_int(sy_event_positions_head(), handed, "all finished: the head is the last handed out");
    sy_event_positions_stop();
}

int
main(void)
{
    basics();
    shuffled();
    return done_testing();
}
