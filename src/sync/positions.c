/*
 * sync/positions.c -- positions in the events stream, handed out in
 * memory and final in order (see positions.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "db/db.h"
#include "db/streams.h"
#include "sync/positions.h"
#include "util/err.h"
#include "util/mem.h"

/* Positions reserved at once: one committed UPDATE per this many events. */
#define RESERVE_BLOCK 4096

/* A range handed out and not finished yet; ranges are kept in position order. */
struct range {
    int64_t first;
    int done;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int running;
/*
 * The head, -1 while stopped: written under 'lock', read without it, so
 * /sync never waits behind a reservation's round trip.
 */
static _Atomic int64_t head = -1;
static int64_t next_pos, reserved;
static struct range *ranges;
static size_t n_ranges, cap_ranges;
static sy_positions_reserve_fn reserve_fn;
static void *reserve_arg;
static struct sy_db *conn; /* the reservations' own connection, holding the writer lock */

/* The lock is taken again first: a connection the database lost and got back lost it too. */
static int
reserve_in_db(void *arg, int64_t floor, int64_t by, int64_t *upto, struct sy_error *err)
{
    int locked;

    if (sy_db_events_writer_lock(arg, &locked, err) != SY_OK)
        return err->code;
    if (!locked)
        return sy_error_set(err, SY_ECONFLICT, 409, "M_UNKNOWN",
                            "another syncrod is writing events to this database");
    return sy_db_events_reserve(arg, floor, by, upto, err);
}

void
sy_event_positions_start_at(int64_t start, sy_positions_reserve_fn reserve, void *arg)
{
    pthread_mutex_lock(&lock);
    next_pos = start + 1;
    reserved = start;
    n_ranges = 0;
    reserve_fn = reserve;
    reserve_arg = arg;
    running = 1;
    atomic_store(&head, start);
    pthread_mutex_unlock(&lock);
}

int
sy_event_positions_start(const char *dsn, struct sy_error *err)
{
    int64_t start;
    int locked;

    if (sy_db_connect(dsn, 1, &conn, err) != SY_OK)
        return err->code;
    if (sy_db_events_writer_lock(conn, &locked, err) != SY_OK)
        goto fail;
    if (!locked) {
        sy_error_set(err, SY_ECONFLICT, 409, "M_UNKNOWN",
                     "another syncrod is writing events to this database");
        goto fail;
    }
    if (sy_db_events_recover(conn, &start, err) != SY_OK)
        goto fail;
    sy_event_positions_start_at(start, reserve_in_db, conn);
    return SY_OK;
fail:
    sy_db_close(conn);
    conn = NULL;
    return err->code;
}

void
sy_event_positions_stop(void)
{
    pthread_mutex_lock(&lock);
    running = 0;
    atomic_store(&head, -1);
    free(ranges);
    ranges = NULL;
    n_ranges = cap_ranges = 0;
    pthread_mutex_unlock(&lock);
    if (conn != NULL)
        sy_db_close(conn); /* ends the session: the writer lock goes with it */
    conn = NULL;
}

int
sy_event_positions_running(void)
{
    return atomic_load(&head) >= 0;
}

int
sy_event_positions_take(int64_t n, int64_t *first, struct sy_error *err)
{
    int rc = SY_OK;

    pthread_mutex_lock(&lock);
    if (!running) {
        rc = sy_err_internal(err, "the events stream is not open for writing");
    } else if (next_pos + n - 1 > reserved) {
        /* Committed before any of it is handed out: a restart starts past it. */
        int64_t by = n > RESERVE_BLOCK ? n : RESERVE_BLOCK, upto;

        if ((rc = reserve_fn(reserve_arg, next_pos - 1, by, &upto, err)) == SY_OK)
            reserved = upto;
    }
    if (rc == SY_OK) {
        if (n_ranges == cap_ranges) {
            cap_ranges = cap_ranges ? cap_ranges * 2 : 16;
            ranges = sy_realloc(ranges, sizeof(*ranges) * cap_ranges);
        }
        ranges[n_ranges++] = (struct range){next_pos, 0};
        *first = next_pos;
        next_pos += n;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

void
sy_event_positions_finish(int64_t first)
{
    size_t done = 0;

    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n_ranges; i++)
        if (ranges[i].first == first)
            ranges[i].done = 1;
    /* The head passes the finished ranges at the front. */
    while (done < n_ranges && ranges[done].done)
        done++;
    if (done > 0) {
        for (size_t i = done; i < n_ranges; i++)
            ranges[i - done] = ranges[i];
        n_ranges -= done;
        atomic_store(&head, n_ranges > 0 ? ranges[0].first - 1 : next_pos - 1);
    }
    pthread_mutex_unlock(&lock);
}

int64_t
sy_event_positions_head(void)
{
    return atomic_load(&head);
}
