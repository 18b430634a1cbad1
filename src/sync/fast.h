/*
 * sync/fast.h -- answering an incremental /sync from memory.
 *
 * Most incremental syncs are a long-poll woken by a message, or a client
 * coming straight back with the token it was just given.  When 'since'
 * and 'now' differ only in the events and typing streams, every event in
 * between is in sync/live.h's ring, none of them is a state event in one
 * of the user's rooms or changes their membership, no room has more events
 * than the timeline limit, none is redacted or has relations yet, and the
 * filter is one the fast path applies (anything but lazy-loaded members),
 * the response is built from memory: exactly what the sections
 * (sync/sections.h) would build, without their queries.  Anything else is
 * left to them.
 *
 * The answer's events head is the ring's watermark (a committed prefix,
 * possibly newer than ctx->now).
 */
#ifndef SY_SYNC_FAST_H
#define SY_SYNC_FAST_H

#include <stddef.h>

struct json_object;
struct sy_error;
struct sy_sync_ctx;

/*
 * Build the response for (ctx->since, ctx->now] into a new *resp (in
 * ctx->a), next_batch included, and ctx->now updated to what it covers;
 * *any as sy_sync_run.  0 when answered, SY_ENOTFOUND when the sections
 * must do it (nothing was changed), or an error.
 */
int sy_sync_fast(struct sy_sync_ctx *ctx, struct json_object **resp, int *any,
                 struct sy_error *err);

/*
 * After the sections answered a pass: record what live can use later (the
 * user's joined rooms at ctx->now, how far the device's inbox was cleared).
 */
void sy_sync_fast_learn(struct sy_sync_ctx *ctx);

/*
 * The notifier keys a long-poll waits on (sync/sync.h sy_sync_wait_keys),
 * from memory when live knows the user's rooms.
 */
int sy_sync_fast_wait_keys(struct sy_sync_ctx *ctx, const char ***keys, size_t *n,
                           struct sy_error *err);

#endif /* SY_SYNC_FAST_H */
