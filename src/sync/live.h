/*
 * sync/live.h -- the in-memory record of what was just committed, for the
 * /sync fast path (sync/fast.h).
 *
 * The event writer hands every committed event to sy_live_events_committed()
 * after COMMIT, and that call is also what wakes the long-polls: of the
 * event's room, and of a member event's target (sync/notifier.h).  live
 * keeps the recent events in a bounded ring indexed by stream position,
 * with a watermark W: every event at a position <= W has been committed
 * and (from the ring's low end up) is in the ring.  Hooks may arrive out
 * of order (two writers commit 5 and 6, 6's hook runs first); W only
 * moves over contiguous positions, so readers never see a hole, and an
 * event's long-polls are woken when W passes it.  A position taken by a
 * transaction that rolled back must be reported with
 * sy_live_positions_unused() (today's stream_heads row is rolled back with
 * its transaction, so this never happens); a position never reported
 * stops live after a while (sy_live_behind), which then starts again from
 * the database.
 *
 * Alongside the ring, kept exact as W advances, in stream order:
 *   - the position of the last m.room.member event per room and per
 *     target user (bounded maps; a forgotten key reads as a 'floor'
 *     position, which only makes readers more careful);
 *   - unread notification counts per (user, room), for the pairs a reader
 *     asked for: the writer passes each event's push outcomes;
 *   - member summaries per (user, room), valid while no member event
 *     follows them.
 * And, filled by readers: each user's joined rooms at a known position,
 * the wait keys of parked long-polls, each device's one-time-key counts,
 * and how far each device's to-device inbox was cleared.
 *
 * Everything is process-wide, behind one mutex, and bounded; nothing in
 * it is durable: after a restart the fast path falls back to the database
 * until the ring has filled again.  All functions are thread-safe.
 * Strings handed in are copied; strings handed out live in the caller's
 * arena.
 */
#ifndef SY_SYNC_LIVE_H
#define SY_SYNC_LIVE_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;

/* One user an event notifies or highlights (push/counts.h). */
struct sy_live_push {
    const char *user_id;
    int notify;
    int highlight;
};

/* A committed event, as the writer knows it. */
struct sy_live_event {
    int64_t stream; /* events.stream_ordering */
    const char *room_id;
    const char *event_id;
    const char *type;
    const char *state_key; /* NULL unless a state event */
    const char *sender;
    int64_t origin_server_ts;
    const char *client_json; /* the stored client JSON (without "unsigned") */
    const char *redacts;     /* target of an m.room.redaction, else NULL */
    const char *relates_to;  /* content.m.relates_to.event_id, else NULL */
    const char *txn_user;    /* a local send's transaction: sender, device, ID; else NULL */
    const char *txn_device;
    const char *txn_id;
    const struct sy_live_push *push; /* the push outcomes stored with the event */
    size_t n_push;
};

/*
 * The writer: events just committed (in any order across calls, in stream
 * order within one), called after COMMIT instead of sy_notify_room/user.
 */
void sy_live_events_committed(const struct sy_live_event *evs, size_t n);
/* Positions [from, to] were taken but will never hold an event. */
void sy_live_positions_unused(int64_t from, int64_t to);

/* ---- readers ------------------------------------------------------------------------- */

/*
 * Start the ring at the committed events head that read_head() returns
 * (called under live's lock, so no hook slips between the read and the
 * start).  Once; later calls return at once.  0, or read_head's error.
 */
int sy_live_start(int (*read_head)(void *arg, int64_t *head), void *arg);
/* 1 once started; *w the watermark, *lo the lowest position the ring holds. */
int sy_live_range(int64_t *w, int64_t *lo);
/*
 * A reader saw the committed events head at db_head, past the watermark.
 * That is normal for the moment between a COMMIT and its hook; when it
 * lasts (a writer that does not call the hook, a position never
 * reported), live stops and the next sy_live_start() begins again from
 * the database.
 */
void sy_live_behind(int64_t db_head, int64_t now_ms);

/* Per (user, room) summary and unread counts, as rooms.join.<room> shows them. */
struct sy_live_view {
    int have_summary;
    int64_t joined, invited;
    const char **heroes;
    size_t n_heroes;
    int have_unread;
    int64_t notes, highlights;
};

/* One joined room with events in the range asked for. */
struct sy_live_room {
    const char *room_id;
    struct sy_live_event *events; /* arena copies, oldest first (push outcomes left out) */
    size_t n;
    struct sy_live_view view; /* what live has; the caller fills what is missing */
};

/* Why a snapshot cannot serve: the caller takes the database path. */
enum sy_live_miss {
    SY_LIVE_OK = 0,
    SY_LIVE_NOT_STARTED,
    SY_LIVE_NOT_COVERED, /* the range is not (all) in the ring */
    SY_LIVE_NO_USER,     /* no joined-room set for the user, or it may have changed */
    SY_LIVE_STATE,       /* a state event in one of the user's rooms */
    SY_LIVE_LIMITED,     /* more events in a room than the timeline limit */
    SY_LIVE_RELATED,     /* an event in range is redacted or has relations */
    /* reasons of the fast path itself (sync/fast.c) */
    SY_LIVE_INITIAL, /* initial or full_state sync */
    SY_LIVE_STREAMS, /* a stream other than events and typing moved */
    SY_LIVE_FILTER,  /* a filter the fast path does not apply (lazy-loading members) */
    SY_LIVE_VIEW,    /* summary or unread counts changed while being read */
    SY_LIVE_N_MISS
};
const char *sy_live_miss_name(enum sy_live_miss m);

struct sy_live_snapshot {
    int64_t upto;        /* W when taken: the events head to answer with */
    const char **joined; /* the user's joined rooms at 'upto' (and at 'since') */
    size_t n_joined;
    struct sy_live_room *rooms; /* joined rooms with events in (since, upto] */
    size_t n_rooms;
};

/*
 * The events of user_id's joined rooms in (since, W], with what live
 * knows of each such room's view.  'limit' is the timeline limit: a room
 * with more events than that is SY_LIVE_LIMITED.  SY_LIVE_OK and *out in
 * 'a', or why not.
 */
enum sy_live_miss sy_live_snapshot(const char *user_id, int64_t since, int limit,
                                   struct sy_arena *a, struct sy_live_snapshot *out);

/*
 * Record user_id's joined rooms (rooms[0..n), copied) as they were at
 * events position 'pos' (a /sync pass's 'now').
 */
void sy_live_user_joined(const char *user_id, int64_t pos, const char *const *rooms, size_t n);
/* Record user_id's invited rooms (for the wait keys; may be a little stale). */
void sy_live_user_invited(const char *user_id, const char *const *rooms, size_t n);
/*
 * The notifier keys of a long-poll ("u:<user>", "r:<room>" for joined and
 * invited rooms) from the recorded sets: 1 and *keys in 'a', or 0 when
 * live does not know them (or they may have changed).
 */
int sy_live_wait_keys(const char *user_id, struct sy_arena *a, const char ***keys, size_t *n);

/*
 * Filling a view from the database: sy_live_view_begin() before the
 * reads gives a ticket; sy_live_view_put() after them stores what was
 * read when nothing it depends on moved meanwhile.  db_head is the
 * committed events head read (from the database, not a cache) after the
 * reads.  1 if stored (the values are exact at the snapshot's 'upto'), 0
 * if not (the caller falls back).
 */
struct sy_live_ticket {
    int64_t w;
    uint64_t read_gen;
};
void sy_live_view_begin(struct sy_live_ticket *t);
int sy_live_view_put(const char *user_id, const char *room_id, const struct sy_live_ticket *t,
                     int64_t db_head, const struct sy_live_view *v);

/* What live has for (user, room) now (out->have_* say what), copied into 'a'. */
void sy_live_view_get(const char *user_id, const char *room_id, struct sy_arena *a,
                      struct sy_live_view *out);

/* A read receipt moved user_id's read position in room_id (after COMMIT). */
void sy_live_read_moved(const char *user_id, const char *room_id);

/*
 * Per-device text of device_one_time_keys_count and
 * device_unused_fallback_key_types.  sy_live_keys_gen() before the reads;
 * _put stores only if the user's keys did not change meanwhile.  _get: 1
 * and copies in 'a', or 0.
 */
uint64_t sy_live_keys_gen(const char *user_id);
void sy_live_keys_put(const char *user_id, const char *device_id, uint64_t gen, const char *counts,
                      const char *fallback);
int sy_live_keys_get(const char *user_id, const char *device_id, struct sy_arena *a,
                     const char **counts, const char **fallback);
/* user_id's keys (or devices) changed: one-time keys uploaded or claimed (after COMMIT). */
void sy_live_keys_changed(const char *user_id);

/* How far the device's to-device inbox is known cleared (-1: unknown); record a clear. */
int64_t sy_live_inbox_cleared(const char *user_id, const char *device_id);
void sy_live_inbox_clear(const char *user_id, const char *device_id, int64_t upto);

/* Counters for tests and the log: fast answers, and misses by reason. */
void sy_live_count(enum sy_live_miss m);
void sy_live_counts(uint64_t out[SY_LIVE_N_MISS]);

/* Drop everything (tests; after a restore).  The ring must be started again. */
void sy_live_reset(void);

#endif /* SY_SYNC_LIVE_H */
