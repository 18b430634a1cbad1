/*
 * sync/sync.h -- assembling a /sync response from sections.
 *
 * api/client/sync.c parses the request, works out 'since' and 'now'
 * (sy_sync_token_latest) and, unless sync/fast.h can answer from memory,
 * runs every section in order; each section adds its part of the response
 * for the stream range (since, now].  When nothing was added and the
 * client asked to wait, the request parks (costing no thread) until the
 * notifier wakes it or the timeout passes, then tries again.
 *
 * A section never re-serialises stored events: timelines splice the
 * stored client JSON.
 */
#ifndef SY_SYNC_SYNC_H
#define SY_SYNC_SYNC_H

#include <stddef.h>

#include "sync/stream.h"

struct json_object;
struct sy_arena;
struct sy_db;
struct sy_error;
struct sy_node;

struct sy_sync_ctx {
    struct sy_db *db;
    struct sy_arena *a;
    const struct sy_node *node;
    const char *user_id;
    const char *device_id;
    int is_guest;
    int initial;                /* no since token: everything up to 'now' */
    int full_state;             /* full_state=true */
    struct sy_sync_token since; /* all zero when initial */
    struct sy_sync_token now;   /* the response covers (since, now] */
    struct json_object *filter; /* the filter in force; {} when none (never NULL) */
    const char *set_presence;   /* "online", "offline", "unavailable" or NULL */
    /* The rooms the user is joined to at 'now' (filled by the rooms section, which runs first). */
    const char **joined_rooms;
    size_t n_joined_rooms;
};

/*
 * A section adds its keys to 'resp' (it may create them) and sets *any to
 * 1 when it added something a long-poll should return for.  0 or an error.
 */
typedef int (*sy_sync_section_fn)(struct sy_sync_ctx *ctx, struct json_object *resp, int *any,
                                  struct sy_error *err);

/* Run every section in order into 'resp'; *any as above. */
int sy_sync_run(struct sy_sync_ctx *ctx, struct json_object *resp, int *any,
                struct sy_error *err);

/*
 * The stored filter 'filter_id' of ctx->user_id (sync/filter.c): 0 and
 * *out, or SY_EINVAL M_INVALID_PARAM when there is no such filter.
 */
int sy_sync_stored_filter(struct sy_sync_ctx *ctx, const char *filter_id,
                          struct json_object **out, struct sy_error *err);

/* The notifier keys this user's long-poll waits on (own user + joined/invited rooms). */
int sy_sync_wait_keys(struct sy_sync_ctx *ctx, const char ***keys, size_t *n,
                      struct sy_error *err);

#endif /* SY_SYNC_SYNC_H */
