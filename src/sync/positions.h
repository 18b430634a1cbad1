/*
 * sync/positions.h -- positions in the events stream: handed out in
 * memory, final in order.
 *
 * Events writers (rooms/batch.c, rooms/send.c) take a range of positions
 * before they write and finish it once their transaction has committed or
 * rolled back.  Transactions commit in any order, so no writer waits for
 * another's commit (and PostgreSQL flushes concurrent commits together);
 * the head readers see (sy_event_positions_head, used by sync/stream.c)
 * is the highest position below which every range is finished, so a
 * reader that saw head N has every event at or below N that will ever be.
 *
 * Positions are reserved from stream_heads' "events" row in blocks, each
 * reservation committed before any of its positions is handed out: after
 * a crash the node starts past every position it may have handed out, so
 * no token seen before the crash is ever behind a new event.  One process
 * writes a database's events: sy_event_positions_start takes an advisory
 * lock on its own connection, held for the life of the process and taken
 * again before every reservation (a connection lost and re-made lost it).
 */
#ifndef SY_SYNC_POSITIONS_H
#define SY_SYNC_POSITIONS_H

#include <stdint.h>

struct sy_error;

/*
 * Reserve positions up to at least 'floor' + 'by' (both > what was
 * reserved before): 0 and *upto (the new last reserved position), or an
 * error.  The database reservation in production; a test's own in unit
 * tests.
 */
typedef int (*sy_positions_reserve_fn)(void *arg, int64_t floor, int64_t by, int64_t *upto,
                                       struct sy_error *err);

/*
 * Connect to 'dsn', take the one-writer lock (SY_ECONFLICT when another
 * process holds it) and start after the highest position reserved or
 * used.
 */
int sy_event_positions_start(const char *dsn, struct sy_error *err);
/* Start at 'start' (every position up to it final) with 'reserve' for more. */
void sy_event_positions_start_at(int64_t start, sy_positions_reserve_fn reserve, void *arg);
/* Close the connection, releasing the lock; every taken range must be finished. */
void sy_event_positions_stop(void);
int sy_event_positions_running(void);

/* n (> 0) consecutive positions from *first; finish them with sy_event_positions_finish. */
int sy_event_positions_take(int64_t n, int64_t *first, struct sy_error *err);
/* The range taken at 'first' is committed or abandoned: the head may pass it. */
void sy_event_positions_finish(int64_t first);
/* Every position at or below it is final (committed, or never to be used); -1 when stopped. */
int64_t sy_event_positions_head(void);

#endif /* SY_SYNC_POSITIONS_H */
