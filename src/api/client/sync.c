/*
 * api/client/sync.c -- GET /sync: parse, run the sections, and when there
 * is nothing new and the client asked to wait, park the request with the
 * notifier until something relevant moves or the timeout passes.
 */
#include <stdlib.h>
#include <string.h>

#include "api/routes.h"
#include "config.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "sync/fast.h"
#include "sync/notifier.h"
#include "sync/presence.h"
#include "sync/sync.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/log.h"
#include "util/time.h"

/* Longest a request waits; clients ask for 30 s. */
#define SYNC_MAX_TIMEOUT_MS (5 * 60 * 1000)

struct sync_call {
    struct sy_sync_ctx ctx;
    int64_t deadline_us;
};

static int
parse_bool(const char *s, int *out)
{
    if (s == NULL)
        return 0;
    if (strcmp(s, "true") == 0)
        *out = 1;
    else if (strcmp(s, "false") == 0)
        *out = 0;
    else
        return -1;
    return 0;
}

/* The filter in force: inline JSON, or {} (stored filters: api/client/filter.c). */
static int
parse_filter(struct sy_req *req, struct sy_sync_ctx *ctx, struct sy_error *err)
{
    const char *f = sy_req_query(req, "filter");

    if (f == NULL || f[0] == '\0') {
        ctx->filter = sy_json_new_object(ctx->a);
        return SY_OK;
    }
    if (f[0] == '{') {
        if (sy_json_parse(ctx->a, f, strlen(f), req->node->cfg->max_json_depth, &ctx->filter,
                          err) != SY_OK ||
            !json_object_is_type(ctx->filter, json_type_object))
            return sy_err_invalid(err, "M_INVALID_PARAM", "filter is not a JSON object");
        return SY_OK;
    }
    return sy_sync_stored_filter(ctx, f, &ctx->filter, err);
}

static int
parse_request(struct sy_req *req, struct sync_call *call, int64_t *timeout_ms,
              struct sy_error *err)
{
    struct sy_sync_ctx *ctx = &call->ctx;
    const char *since = sy_req_query(req, "since"), *timeout = sy_req_query(req, "timeout");
    char *end;

    ctx->db = req->db;
    ctx->a = req->arena;
    ctx->node = req->node;
    ctx->user_id = req->user_id;
    ctx->device_id = req->device_id;
    ctx->is_guest = req->is_guest;
    ctx->set_presence = sy_req_query(req, "set_presence");
    if (parse_bool(sy_req_query(req, "full_state"), &ctx->full_state) != 0)
        return sy_err_invalid(err, "M_INVALID_PARAM", "full_state must be true or false");
    ctx->initial = since == NULL || since[0] == '\0';
    if (!ctx->initial && sy_sync_token_parse(since, &ctx->since) != 0)
        return sy_err_invalid(err, "M_INVALID_PARAM", "unknown since token");
    *timeout_ms = 0;
    if (timeout != NULL) {
        *timeout_ms = strtoll(timeout, &end, 10);
        if (end == timeout || *end != '\0' || *timeout_ms < 0)
            return sy_err_invalid(err, "M_INVALID_PARAM", "timeout must be a number of ms");
        if (*timeout_ms > SYNC_MAX_TIMEOUT_MS)
            *timeout_ms = SYNC_MAX_TIMEOUT_MS;
    }
    if (ctx->set_presence != NULL && strcmp(ctx->set_presence, "online") != 0 &&
        strcmp(ctx->set_presence, "offline") != 0 && strcmp(ctx->set_presence, "unavailable") != 0)
        return sy_err_invalid(err, "M_INVALID_PARAM", "unknown set_presence");
    if (parse_filter(req, ctx, err) != SY_OK)
        return err->code;
    /* A valid request marks its user online (or as set_presence says). */
    return sy_sync_presence_update(ctx, err);
}

/* The sections over (since, now]. */
static int
run_sections(struct sy_sync_ctx *ctx, struct json_object **resp, int *any, struct sy_error *err)
{
    *resp = sy_json_new_object(ctx->a);
    if (sy_sync_run(ctx, *resp, any, err) != SY_OK)
        return err->code;
    json_object_object_add(*resp, "next_batch",
                           json_object_new_string(sy_sync_token_format(ctx->a, &ctx->now)));
    return SY_OK;
}

/*
 * Drop unsigned.age (it depends on the moment) from every timeline event;
 * with 'counts', also the summaries and unread counts, which the sections
 * read as they are now, not as they were at the answer's position.
 */
static void
strip_volatile(struct json_object *resp, int counts)
{
    struct json_object *join = sy_json_get_obj(sy_json_get_obj(resp, "rooms"), "join");

    if (join == NULL)
        return;
    json_object_object_foreach(join, room_id, room)
    {
        struct json_object *evs = sy_json_get_arr(sy_json_get_obj(room, "timeline"), "events");

        (void)room_id;
        for (size_t i = 0; evs != NULL && i < json_object_array_length(evs); i++)
            json_object_object_del(sy_json_get_obj(json_object_array_get_idx(evs, i), "unsigned"),
                                   "age");
        if (counts) {
            json_object_object_del(room, "summary");
            json_object_object_del(room, "unread_notifications");
        }
    }
}

/* The path of the first place a and b differ ("" when equal), in 'ar'. */
static const char *
first_difference(struct sy_arena *ar, struct json_object *a, struct json_object *b,
                 const char *path)
{
    const char *d;

    if (json_object_equal(a, b))
        return "";
    if (json_object_is_type(a, json_type_object) && json_object_is_type(b, json_object_get_type(a))) {
        json_object_object_foreach(a, k, va)
        {
            struct json_object *vb;

            if (!json_object_object_get_ex(b, k, &vb))
                return sy_arena_printf(ar, "%s/%s (only in the fast answer)", path, k);
            if ((d = first_difference(ar, va, vb, sy_arena_printf(ar, "%s/%s", path, k)))[0])
                return d;
        }
        json_object_object_foreach(b, k2, vb2)
        {
            (void)vb2;
            if (!json_object_object_get_ex(a, k2, NULL))
                return sy_arena_printf(ar, "%s/%s (only in the sections' answer)", path, k2);
        }
    }
    if (json_object_is_type(a, json_type_array) && json_object_is_type(b, json_type_array) &&
        json_object_array_length(a) == json_object_array_length(b)) {
        for (size_t i = 0; i < json_object_array_length(a); i++)
            if ((d = first_difference(ar, json_object_array_get_idx(a, i),
                                      json_object_array_get_idx(b, i),
                                      sy_arena_printf(ar, "%s[%zu]", path, i)))[0])
                return d;
    }
    return sy_arena_printf(ar, "%s: fast %.300s, sections %.300s", path, sy_json_text(a, NULL),
                           sy_json_text(b, NULL));
}

/*
 * SYNCRO_LIVE_VERIFY=1: after every fast answer, run the sections for the
 * same range and log whether they agree (tests read the log).
 */
static void
verify_fast(struct sy_sync_ctx *ctx, struct json_object *fast)
{
    struct sy_sync_ctx slow = *ctx;
    struct sy_error err = {0};
    struct sy_sync_token head;
    struct json_object *resp, *a, *b;
    const char *ta = sy_json_text(fast, NULL), *tb;
    int any, moved;

    if (run_sections(&slow, &resp, &any, &err) != SY_OK ||
        sy_sync_token_now(ctx->db, &head, &err) != SY_OK) {
        sy_log(SY_LOG_WARN, "live verify: the sections failed: %s", err.log_detail);
        return;
    }
    /* Events committed meanwhile count in the sections' summaries and unread counts. */
    moved = head.pos[SY_STREAM_EVENTS] > ctx->now.pos[SY_STREAM_EVENTS];
    tb = sy_json_text(resp, NULL);
    if (sy_json_parse(ctx->a, ta, strlen(ta), 256, &a, &err) != SY_OK ||
        sy_json_parse(ctx->a, tb, strlen(tb), 256, &b, &err) != SY_OK)
        return;
    strip_volatile(a, moved);
    strip_volatile(b, moved);
    if (json_object_equal(a, b))
        sy_log(SY_LOG_INFO, "live verify: fast /sync for %s agrees%s", ctx->user_id,
               moved ? " (events came meanwhile: counts not compared)" : "");
    else
        sy_log(SY_LOG_WARN, "live verify: fast /sync for %s (since %s) differs at %s", ctx->user_id,
               sy_sync_token_format(ctx->a, &ctx->since), first_difference(ctx->a, a, b, ""));
}

static int
verify_wanted(void)
{
    const char *v = getenv("SYNCRO_LIVE_VERIFY");

    return v != NULL && strcmp(v, "1") == 0;
}

/*
 * One pass over (since, now]: from memory when sync/fast.h can, else the
 * sections (which then teach live what they learnt).  *any when there is
 * something to return.
 */
static int
run_once(struct sync_call *call, struct json_object **resp, int *any, struct sy_error *err)
{
    struct sy_sync_ctx *ctx = &call->ctx;
    int rc;

    ctx->joined_rooms = NULL; /* a previous pass's lived in its scratch arena */
    ctx->n_joined_rooms = 0;
    if (sy_sync_token_latest(ctx->db, ctx->initial ? NULL : &ctx->since, &ctx->now, err) != SY_OK)
        return err->code;
    rc = sy_sync_fast(ctx, resp, any, err);
    if (rc == SY_OK && verify_wanted())
        verify_fast(ctx, *resp);
    if (rc != SY_ENOTFOUND)
        return rc;
    if (run_sections(ctx, resp, any, err) != SY_OK)
        return err->code;
    sy_sync_fast_learn(ctx);
    return SY_OK;
}

static void on_wake(struct sy_req *req, int timed_out);

static void
unwait(void *w)
{
    sy_notify_unwait(w);
}

/* 1 if some stream in 'again' is past 'seen'. */
static int
moved(const struct sy_sync_token *again, const struct sy_sync_token *seen)
{
    for (int i = 0; i < SY_STREAM_N; i++)
        if (again->pos[i] > seen->pos[i])
            return 1;
    return 0;
}

/* Wait for the notifier; a move between our read and the registration wakes at once. */
static int
park(struct sy_req *req, struct sync_call *call, struct sy_error *err)
{
    struct sy_sync_ctx *ctx = &call->ctx;
    struct sy_sync_token again;
    struct sy_waiter *w;
    const char **keys;
    size_t n;
    int64_t left_ms = (call->deadline_us - sy_mono_us()) / 1000;

    if (sy_sync_fast_wait_keys(ctx, &keys, &n, err) != SY_OK)
        return err->code;
    sy_req_park(req, left_ms > 0 ? left_ms : 0, on_wake);
    w = sy_notify_wait(req, keys, n);
    sy_req_park_detach(req, unwait, w);
    if (sy_sync_token_latest(ctx->db, &ctx->since, &again, err) != SY_OK)
        return err->code;
    if (moved(&again, &ctx->now))
        sy_req_wake(req);
    return SY_OK;
}

/*
 * Reply if there is something (or time is up), else wait again.  A pass
 * works in its own arena, freed once the reply is serialised or the
 * request parked: a parked long-poll keeps only its request, not the
 * response it did not send.
 */
static void
answer_or_park(struct sy_req *req, struct sync_call *call, int may_wait)
{
    struct sy_arena *keep = call->ctx.a, *scratch = sy_arena_new();
    struct sy_error err = {0};
    struct json_object *resp = NULL;
    int any = 0;

    call->ctx.a = scratch;
    if (run_once(call, &resp, &any, &err) != SY_OK)
        sy_reply_sy_error(req, &err);
    else if (any || !may_wait || sy_mono_us() >= call->deadline_us || sy_notify_stopping())
        sy_reply_json(req, 200, resp);
    else if (park(req, call, &err) != SY_OK)
        sy_reply_sy_error(req, &err);
    call->ctx.a = keep;
    sy_arena_free(scratch);
}

static void
on_wake(struct sy_req *req, int timed_out)
{
    struct sync_call *call = req->park_arg;

    /* Stopping: answer "nothing new" without touching the database, which is closing. */
    if (sy_notify_stopping()) {
        struct json_object *resp = sy_json_new_object(req->arena);

        json_object_object_add(resp, "next_batch", json_object_new_string(sy_sync_token_format(
                                                       req->arena, &call->ctx.since)));
        sy_reply_json(req, 200, resp);
        return;
    }
    answer_or_park(req, call, !timed_out);
}

static void
get_sync(struct sy_req *req)
{
    struct sync_call *call = sy_arena_alloc(req->arena, sizeof(*call));
    struct sy_error err = {0};
    int64_t timeout_ms = 0;

    if (parse_request(req, call, &timeout_ms, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    call->deadline_us = sy_mono_us() + timeout_ms * 1000;
    req->park_arg = call;
    /* An initial or full-state sync answers at once, as the spec's clients expect. */
    answer_or_park(req, call, timeout_ms > 0 && !call->ctx.initial && !call->ctx.full_state);
}

const struct sy_route sy_client_sync_routes[] = {
    {.method = SY_GET, .path = "/_matrix/client/v3/sync", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .guest_ok = 1, .handler = get_sync},
};
const size_t sy_client_sync_routes_count = 1;
