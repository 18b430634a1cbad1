/*
 * sync/stream.h -- the streams a sync token is a position in, and the
 * token itself.
 *
 * Every client-visible stream has a monotonic position.  DB-backed streams
 * advance their head in the stream_heads table inside the writing
 * transaction (sy_db_stream_advance): the row lock hands positions out in
 * commit order, so a reader that saw head N has every row <= N.  The
 * events stream is the exception: its positions are handed out in memory
 * and its head is the highest one below which every write has finished
 * (sync/positions.h); stream_heads holds what was reserved.  After
 * COMMIT every writer calls sy_notify_room() or sy_notify_user()
 * (sync/notifier.h), which is what lets sy_sync_token_latest() reuse the
 * heads it read last; events writers also hand their events to
 * sync/live.h first.  Typing is in memory (sync/typing.h): its position
 * is a clock that never goes back across restarts.  A sync token is "s" +
 * the positions joined by "_"; clients treat it as opaque.
 */
#ifndef SY_SYNC_STREAM_H
#define SY_SYNC_STREAM_H

#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

enum sy_stream {
    SY_STREAM_EVENTS = 0,   /* events.stream_ordering */
    SY_STREAM_RECEIPTS,     /* receipts */
    SY_STREAM_TYPING,       /* in memory */
    SY_STREAM_TO_DEVICE,    /* device inbox */
    SY_STREAM_ACCOUNT_DATA, /* account data, tags, read markers */
    SY_STREAM_PRESENCE,
    SY_STREAM_DEVICE_LISTS, /* device key changes */
    SY_STREAM_N
};

struct sy_sync_token {
    int64_t pos[SY_STREAM_N];
};

/* The stream's name in stream_heads ("events", "receipts", ...). */
const char *sy_stream_name(enum sy_stream s);

/* 0, or -1 when 's' is not a token this node made (M_INVALID_PARAM for the caller). */
int sy_sync_token_parse(const char *s, struct sy_sync_token *t);
/* The token text, in 'a'. */
const char *sy_sync_token_format(struct sy_arena *a, const struct sy_sync_token *t);

/* The committed head of every stream now (typing from memory). */
int sy_sync_token_now(struct sy_db *db, struct sy_sync_token *t, struct sy_error *err);

/*
 * The same without a query while nothing has been notified since the
 * last read (sync/notifier.h sy_notify_generation), and never behind
 * 'since' (may be NULL) unless the database itself is.  Every stream
 * writer notifies after COMMIT, which is what makes the copy current.
 */
int sy_sync_token_latest(struct sy_db *db, const struct sy_sync_token *since,
                         struct sy_sync_token *t, struct sy_error *err);

/*
 * Advance stream s inside the caller's open transaction: *pos is the new
 * position, to be stored with the row being written.  Holds the stream's
 * head row until commit.
 */
int sy_db_stream_advance(struct sy_db *db, enum sy_stream s, int64_t *pos, struct sy_error *err);

#endif /* SY_SYNC_STREAM_H */
