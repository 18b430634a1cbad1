/*
 * http/ratelimit.h -- token-bucket rate limiting keyed by a string
 * (client IP, user ID).
 *
 * A limiter is shared by all worker threads (it has its own lock) and
 * holds a bounded number of keys: when full, buckets that have refilled
 * are dropped first, then the oldest.  Owner: main.c (new/free).
 */
#ifndef SY_HTTP_RATELIMIT_H
#define SY_HTTP_RATELIMIT_H

struct sy_ratelimiter;

/* per_second 0 makes a limiter that always allows. */
struct sy_ratelimiter *sy_ratelimiter_new(double per_second, int burst);
void sy_ratelimiter_free(struct sy_ratelimiter *rl);

/*
 * Take one token for 'key'.  SY_OK, or SY_ELIMIT with *retry_after_ms
 * set to when the next token will be there.  A NULL limiter allows all.
 */
int sy_ratelimit_take(struct sy_ratelimiter *rl, const char *key, long *retry_after_ms);
/* As sy_ratelimit_take() but spends nothing: is a token there now? */
int sy_ratelimit_check(struct sy_ratelimiter *rl, const char *key, long *retry_after_ms);

#endif /* SY_HTTP_RATELIMIT_H */
