/*
 * sync/stream.c -- stream names, sync tokens, current heads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/streams.h"
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

int
sy_sync_token_now(struct sy_db *db, struct sy_sync_token *t, struct sy_error *err)
{
    if (sy_db_stream_heads(db, names, SY_STREAM_N, t->pos, err) != SY_OK)
        return err->code;
    t->pos[SY_STREAM_TYPING] = sy_typing_position();
    return SY_OK;
}

int
sy_db_stream_advance(struct sy_db *db, enum sy_stream s, int64_t *pos, struct sy_error *err)
{
    return sy_db_stream_head_advance(db, names[s], pos, err);
}
