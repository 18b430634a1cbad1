/*
 * sync/presence.c -- presence writes and reads, and the /sync section.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/presence.h"
#include "db/state.h"
#include "json/json.h"
#include "sync/notifier.h"
#include "sync/presence.h"
#include "sync/sections.h"
#include "sync/stream.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/lru.h"
#include "util/mem.h"
#include "util/time.h"

/* How often an online user's last_active is written (see touch()). */
#define TOUCH_INTERVAL_MS (60 * 1000)

/*
 * No /sync or presence update for this long means the user's clients are
 * gone: "online" reads as offline.  Syncing refreshes the
 * activity time at least every TOUCH_INTERVAL_MS, so live clients stay.
 */
#define OFFLINE_AFTER_MS (5 * 60 * 1000)

/* Active within this long counts as currently active (Synapse's LAST_ACTIVE_GRANULARITY). */
#define CURRENTLY_ACTIVE_MS (60 * 1000)

int
sy_presence_state_valid(const char *s)
{
    return s != NULL && (strcmp(s, "online") == 0 || strcmp(s, "unavailable") == 0 ||
                         strcmp(s, "offline") == 0);
}

static int
str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Wake the user's long-polls and those of everyone in their joined rooms. */
static int
notify_change(struct sy_db *db, struct sy_arena *a, const char *user_id, struct sy_error *err)
{
    const char **rooms;
    size_t n;

    sy_notify_user(user_id);
    if (sy_db_rooms_for_user(db, a, user_id, "join", &rooms, &n, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n; i++)
        sy_notify_room(rooms[i]);
    return SY_OK;
}

/*
 * A copy of each recently seen presence row, so that a /sync that changes
 * nothing (almost all of them) needs no query.  Every write goes through
 * update() below, which refreshes the copy after COMMIT; a copy is
 * trusted for MEMO_TTL_MS at most, so a row edited behind our back (by
 * hand) is read again within that.  A newer stream position wins.
 */
#define MEMO_TTL_MS (60 * 1000)
#define MEMO_MAX_BYTES (8u << 20)

struct memo_hdr {
    int64_t last_active_ts;
    int64_t stream_pos;
    int64_t read_ms; /* when the row was read or written */
    int currently_active;
    int has_msg;
};

static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sy_lru *memo;

static void
memo_put(const struct sy_db_presence *p, int64_t now)
{
    size_t ls = strlen(p->state) + 1, lm = p->status_msg ? strlen(p->status_msg) + 1 : 1;
    struct memo_hdr h = {p->last_active_ts, p->stream_pos, now, p->currently_active,
                         p->status_msg != NULL};
    char *v = sy_malloc(sizeof(h) + ls + lm), *old;
    struct memo_hdr oh;
    size_t len;
    struct sy_arena *a = sy_arena_new();

    memcpy(v, &h, sizeof(h));
    memcpy(v + sizeof(h), p->state, ls);
    memcpy(v + sizeof(h) + ls, p->status_msg ? p->status_msg : "", lm);
    pthread_mutex_lock(&memo_lock);
    if (memo == NULL)
        memo = sy_lru_new(MEMO_MAX_BYTES);
    old = sy_lru_get(memo, p->user_id, a, &len);
    if (old != NULL && len >= sizeof(oh))
        memcpy(&oh, old, sizeof(oh));
    /* An older row (a read that raced a write) never replaces a newer one. */
    if (old == NULL || len < sizeof(oh) || oh.stream_pos < h.stream_pos ||
        (oh.stream_pos == h.stream_pos && oh.last_active_ts <= h.last_active_ts))
        sy_lru_put(memo, p->user_id, v, sizeof(h) + ls + lm);
    pthread_mutex_unlock(&memo_lock);
    sy_arena_free(a);
    free(v);
}

/* 1 and *out (strings in 'a') when a fresh copy of user_id's row is held. */
static int
memo_get(struct sy_arena *a, const char *user_id, int64_t now, struct sy_db_presence *out)
{
    struct memo_hdr h;
    char *v;
    size_t len;

    pthread_mutex_lock(&memo_lock);
    v = memo != NULL ? sy_lru_get(memo, user_id, a, &len) : NULL;
    pthread_mutex_unlock(&memo_lock);
    if (v == NULL || len < sizeof(h))
        return 0;
    memcpy(&h, v, sizeof(h));
    if (now - h.read_ms > MEMO_TTL_MS || now < h.read_ms)
        return 0;
    out->user_id = user_id;
    out->state = v + sizeof(h);
    out->status_msg = h.has_msg ? out->state + strlen(out->state) + 1 : NULL;
    out->last_active_ts = h.last_active_ts;
    out->currently_active = h.currently_active;
    out->stream_pos = h.stream_pos;
    return 1;
}

/* The row, from the copy when fresh: SY_OK, SY_ENOTFOUND, or an error. */
static int
presence_read(struct sy_db *db, struct sy_arena *a, const char *user_id, int64_t now,
              struct sy_db_presence *out, struct sy_error *err)
{
    int rc;

    if (memo_get(a, user_id, now, out))
        return SY_OK;
    rc = sy_db_presence_get(db, a, user_id, out, err);
    if (rc == SY_OK)
        memo_put(out, now);
    return rc;
}

/*
 * Keep last_active fresh without a durable write per request: every /sync
 * of an online user comes here, so the row is rewritten at most once a
 * TOUCH_INTERVAL_MS (last_active_ago is that coarse at worst).
 */
static int
touch(struct sy_db *db, const struct sy_db_presence *old, const char *user_id, int64_t now,
      struct sy_error *err)
{
    struct sy_db_presence p = *old;

    if (now - old->last_active_ts < TOUCH_INTERVAL_MS)
        return SY_OK;
    if (sy_db_presence_touch(db, user_id, now, err) != SY_OK)
        return err->code;
    p.user_id = user_id;
    p.last_active_ts = now;
    memo_put(&p, now);
    return SY_OK;
}

/*
 * Make user_id's presence 'state' with 'status_msg' (keep_msg: the stored
 * one).  A new stream position only when what others see changes.
 */

static int
update(struct sy_db *db, struct sy_arena *a, const char *user_id, const char *state,
       const char *status_msg, int keep_msg, struct sy_error *err)
{
    struct sy_db_presence old, p = {0};
    int64_t now = sy_now_ms();
    int have, online = strcmp(state, "online") == 0;

    /* Most calls (every /sync) change nothing: settle those without the stream lock. */
    have = presence_read(db, a, user_id, now, &old, err);
    if (have != SY_OK && have != SY_ENOTFOUND)
        return err->code;
    if (have == SY_OK && strcmp(old.state, state) == 0 &&
        (keep_msg || str_eq(old.status_msg, status_msg)))
        return online ? touch(db, &old, user_id, now, err) : SY_OK;
    if (sy_db_begin(db, err) != SY_OK)
        return err->code;
    /* The advance first: its row lock orders writers before they read the old row. */
    if (sy_db_stream_advance(db, SY_STREAM_PRESENCE, &p.stream_pos, err) != SY_OK)
        goto fail;
    have = sy_db_presence_get(db, a, user_id, &old, err);
    if (have != SY_OK && have != SY_ENOTFOUND)
        goto fail;
    if (keep_msg)
        status_msg = have == SY_OK ? old.status_msg : NULL;
    if (have == SY_OK && strcmp(old.state, state) == 0 && str_eq(old.status_msg, status_msg)) {
        /* No visible change: drop the position, keep the activity time fresh. */
        sy_db_rollback(db);
        memo_put(&old, now);
        return online ? touch(db, &old, user_id, now, err) : SY_OK;
    }
    p.user_id = user_id;
    p.state = state;
    p.status_msg = status_msg;
    p.last_active_ts = online ? now : (have == SY_OK ? old.last_active_ts : 0);
    p.currently_active = online;
    if (sy_db_presence_put(db, &p, err) != SY_OK || sy_db_commit(db, err) != SY_OK)
        goto fail;
    memo_put(&p, now);
    return notify_change(db, a, user_id, err);
fail:
    sy_db_rollback(db);
    return err->code;
}

int
sy_presence_set(struct sy_db *db, struct sy_arena *a, const char *user_id, const char *state,
                const char *status_msg, struct sy_error *err)
{
    if (!sy_presence_state_valid(state))
        return sy_err_invalid(err, "M_INVALID_PARAM", "invalid presence state");
    return update(db, a, user_id, state, status_msg, 0, err);
}

int
sy_sync_presence_update(struct sy_sync_ctx *ctx, struct sy_error *err)
{
    const char *state = ctx->set_presence ? ctx->set_presence : "online";

    if (strcmp(state, "offline") == 0)
        return SY_OK;
    if (!sy_presence_state_valid(state))
        return sy_err_invalid(err, "M_INVALID_PARAM", "unknown set_presence");
    return update(ctx->db, ctx->a, ctx->user_id, state, NULL, 1, err);
}

/* The spec's presence object of p (NULL: never set) as seen at 'now'. */
static struct json_object *
presence_json(const struct sy_db_presence *p, int64_t now)
{
    struct json_object *o = json_object_new_object();
    const char *state = p ? p->state : "offline";

    if (p != NULL && strcmp(state, "online") == 0 && p->last_active_ts > 0 &&
        now - p->last_active_ts > OFFLINE_AFTER_MS)
        state = "offline";
    json_object_object_add(o, "presence", json_object_new_string(state));
    if (p == NULL)
        return o;
    if (p->last_active_ts > 0)
        json_object_object_add(o, "last_active_ago",
                               json_object_new_int64(now > p->last_active_ts
                                                         ? now - p->last_active_ts
                                                         : 0));
    if (p->status_msg != NULL)
        json_object_object_add(o, "status_msg", json_object_new_string(p->status_msg));
    if (strcmp(state, "online") == 0)
        json_object_object_add(
            o, "currently_active",
            json_object_new_boolean(p->currently_active &&
                                    now - p->last_active_ts < CURRENTLY_ACTIVE_MS));
    return o;
}

int
sy_presence_get(struct sy_db *db, struct sy_arena *a, const char *viewer, const char *user_id,
                struct json_object **out, struct sy_error *err)
{
    struct sy_db_presence p;
    int rc;

    if (strcmp(viewer, user_id) != 0) {
        if ((rc = sy_db_presence_share_room(db, viewer, user_id, err)) < 0)
            return rc;
        if (!rc)
            return sy_err_forbidden(err, "you are not allowed to see their presence");
    }
    rc = sy_db_presence_get(db, a, user_id, &p, err);
    if (rc != SY_OK && rc != SY_ENOTFOUND)
        return rc;
    *out = sy_json_own(a, presence_json(rc == SY_OK ? &p : NULL, sy_now_ms()));
    return SY_OK;
}

int
sy_sync_section_presence(struct sy_sync_ctx *ctx, struct json_object *resp, int *any,
                         struct sy_error *err)
{
    struct json_object *events = json_object_new_array(), *wrap = json_object_new_object();
    struct sy_db_presence *rows;
    int64_t now = sy_now_ms();
    size_t n;

    json_object_object_add(wrap, "events", events);
    json_object_object_add(resp, "presence", wrap);
    if (sy_db_presence_visible_range(ctx->db, ctx->a, ctx->user_id,
                                     ctx->initial ? 0 : ctx->since.pos[SY_STREAM_PRESENCE],
                                     ctx->now.pos[SY_STREAM_PRESENCE], &rows, &n,
                                     err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n; i++) {
        struct json_object *ev;

        /* A first sync needs no news of who is offline (Synapse leaves them out too). */
        if (ctx->initial && strcmp(rows[i].state, "offline") == 0)
            continue;
        ev = json_object_new_object();
        json_object_object_add(ev, "type", json_object_new_string("m.presence"));
        json_object_object_add(ev, "sender", json_object_new_string(rows[i].user_id));
        json_object_object_add(ev, "content", presence_json(&rows[i], now));
        json_object_array_add(events, ev);
        *any = 1;
    }
    return SY_OK;
}
