/*
 * util/parallel.h -- run one loop's iterations on idle helper threads too.
 *
 * sy_parallel_for(n, fn, ctx) calls fn(ctx, i) once for every i < n and
 * returns when all calls have returned.  The caller works through the
 * iterations itself; helper threads that are free take some of them.
 * There is one loop at a time for the helpers: a caller that finds them
 * busy runs its whole loop alone, so nobody ever waits for a helper that
 * another loop is using.
 *
 * fn must be safe to run on several threads at once for different i (no
 * arena allocation, no shared writes without a lock).
 */
#ifndef SY_UTIL_PARALLEL_H
#define SY_UTIL_PARALLEL_H

#include <stddef.h>

/* Start 'helpers' threads (0: every loop runs on its caller).  0 or SY_EINTERNAL. */
int sy_parallel_start(int helpers);

/* Stop and join the helpers; loops run on their callers after this. */
void sy_parallel_stop(void);

void sy_parallel_for(size_t n, void (*fn)(void *ctx, size_t i), void *ctx);

#endif /* SY_UTIL_PARALLEL_H */
