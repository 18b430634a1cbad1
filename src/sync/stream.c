/*
 * sync/stream.c -- stream names, sync tokens, current heads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/streams.h"
#include "sync/live.h"
#include "sync/notifier.h"
#include "sync/positions.h"
#include "sync/stream.h"
#include "sync/typing.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"

static const char *const names[SY_STREAM_N] = {
    [SY_STREAM_EVENTS] = "events",
    [SY_STREAM_RECEIPTS] = "receipts",
    [SY_STREAM_TYPING] = "typing",
    [SY_STREAM_TO_DEVICE] = "to_device",
    [SY_STREAM_ACCOUNT_DATA] = "account_data",
    [SY_STREAM_PRESENCE] = "presence",
    [SY_STREAM_DEVICE_LISTS] = "device_lists",
};

const char *
sy_stream_name(enum sy_stream s)
{
    return names[s];
}

int
sy_sync_token_parse(const char *s, struct sy_sync_token *t)
{
    const char *p;

    memset(t, 0, sizeof(*t));
    if (s == NULL || s[0] != 's')
        return -1;
    p = s + 1;
    for (int i = 0; i < SY_STREAM_N; i++) {
        char *end;
        long long v;

        errno = 0;
        v = strtoll(p, &end, 10);
        if (errno != 0 || end == p || v < 0)
            return -1;
        t->pos[i] = v;
        if (i + 1 < SY_STREAM_N) {
            if (*end != '_')
                return -1;
            p = end + 1;
        } else if (*end != '\0') {
            return -1;
        }
    }
    return 0;
}

const char *
sy_sync_token_format(struct sy_arena *a, const struct sy_sync_token *t)
{
    char buf[SY_STREAM_N * 21 + 2];
    size_t off = 0;

    buf[off++] = 's';
    for (int i = 0; i < SY_STREAM_N; i++)
        off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%lld", i ? "_" : "",
                                (long long)t->pos[i]);
    return sy_arena_strdup(a, buf);
}

/*
 * The events head of a node writing events is in memory (sync/positions.h):
 * stream_heads then holds what was reserved, which may be ahead of it.
 * The live ring (its watermark 'w', 0 when not running) holds only final
 * events and is told before the head moves: it may be a moment ahead.
 */
static void
events_head(struct sy_sync_token *t, int64_t w)
{
    int64_t head = sy_event_positions_head();

    if (head >= 0)
        t->pos[SY_STREAM_EVENTS] = head;
    if (w > t->pos[SY_STREAM_EVENTS])
        t->pos[SY_STREAM_EVENTS] = w;
}

int
sy_sync_token_now(struct sy_db *db, struct sy_sync_token *t, struct sy_error *err)
{
    if (sy_db_stream_heads(db, names, SY_STREAM_N, t->pos, err) != SY_OK)
        return err->code;
    events_head(t, 0);
    t->pos[SY_STREAM_TYPING] = sy_typing_position();
    return SY_OK;
}

/*
 * The heads last read from the database, and the notifier generation they
 * were read under.  Every committed stream write notifies after COMMIT, so
 * while the generation has not moved no stream has (a write between its
 * COMMIT and its notify is as if it came a moment later: its notify wakes
 * whoever parked meanwhile).
 */
static pthread_mutex_t heads_lock = PTHREAD_MUTEX_INITIALIZER;
static int heads_valid;
static uint64_t heads_gen;
static int64_t heads_pos[SY_STREAM_N];

int
sy_sync_token_latest(struct sy_db *db, const struct sy_sync_token *since, struct sy_sync_token *t,
                     struct sy_error *err)
{
    uint64_t gen = sy_notify_generation();
    int64_t w, lo;
    int hit, live = sy_live_range(&w, &lo);

    pthread_mutex_lock(&heads_lock);
    /* Events announce themselves through live, not the generation: only with live running. */
    hit = live && heads_valid && heads_gen == gen;
    if (hit) {
        memcpy(t->pos, heads_pos, sizeof(t->pos));
        events_head(t, w);
    }
    pthread_mutex_unlock(&heads_lock);
    /* A token ahead of the copy came from a fresher read: read again (never answer backwards). */
    for (int i = 0; hit && since != NULL && i < SY_STREAM_N; i++)
        if (i != SY_STREAM_TYPING && since->pos[i] > t->pos[i])
            hit = 0;
    if (!hit) {
        if (sy_db_stream_heads(db, names, SY_STREAM_N, t->pos, err) != SY_OK)
            return err->code;
        events_head(t, live ? w : 0);
        pthread_mutex_lock(&heads_lock);
        if (!heads_valid || gen > heads_gen) {
            memcpy(heads_pos, t->pos, sizeof(heads_pos));
            heads_gen = gen;
            heads_valid = 1;
        } else if (gen == heads_gen) {
            for (int i = 0; i < SY_STREAM_N; i++)
                heads_pos[i] = heads_pos[i] > t->pos[i] ? heads_pos[i] : t->pos[i];
        }
        pthread_mutex_unlock(&heads_lock);
    }
    t->pos[SY_STREAM_TYPING] = sy_typing_position();
    return SY_OK;
}

int
sy_db_stream_advance(struct sy_db *db, enum sy_stream s, int64_t *pos, struct sy_error *err)
{
    return sy_db_stream_head_advance(db, names[s], pos, err);
}
