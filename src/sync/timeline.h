/*
 * sync/timeline.h -- walking a room's timeline for a user: pagination
 * tokens, history visibility with a per-request memo, event filters,
 * and the member events a lazy-loading client needs.  Shared by the
 * rooms section of /sync (sync/rooms.c) and by /messages and /context
 * (api/client/messages.c).
 *
 * Positions are stream orderings (events.stream_ordering): the order in
 * which this node committed events, the same order /sync delivers them
 * in.  A position P names the gap just after the event at P:
 *
 *   "t<P>"   a room pagination token (prev_batch, /messages start/end,
 *            /context start/end); e.g. "t1234".
 *   "s..."   a sync token (sync/stream.h) is accepted too; its events
 *            position is used.
 *
 * Walking backwards from P yields the events at positions <= P, newest
 * first; walking forwards from P yields those > P, oldest first.  So a
 * timeline's prev_batch is "t<first event's position - 1>", and
 * /messages?dir=b from it returns exactly the events before the
 * timeline.  Clients treat the tokens as opaque.
 *
 * Everything lives in the caller's arena.
 */
#ifndef SY_SYNC_TIMELINE_H
#define SY_SYNC_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_db_event;
struct sy_error;
struct sy_event_filter;
struct sy_map;

/* 0 and *pos for "t<P>" or a sync token; -1 when s is neither. */
int sy_timeline_token_parse(const char *s, int64_t *pos);
/* "t<pos>" in 'a'. */
const char *sy_timeline_token(struct sy_arena *a, int64_t pos);

/*
 * History visibility (rooms/visibility.h) for one user, memoised by the
 * event's state group: events sharing a state group share the answer
 * (locally a state group lies wholly before or after any membership
 * change, which makes a new group).  The user's own m.room.member events
 * are always visible, so that a rejected invite or a leave reaches them
 * (as Synapse).
 */
struct sy_timeline_vis {
    struct sy_db *db;
    struct sy_arena *a;
    const char *user_id;
    struct sy_map *memo; /* "<state group>" -> (void *)1 visible, (void *)2 not */
};
void sy_timeline_vis_init(struct sy_timeline_vis *v, struct sy_db *db, struct sy_arena *a,
                          const char *user_id);
/* 1 visible, 0 not, negative on a database error (*err set). */
int sy_timeline_visible(struct sy_timeline_vis *v, const struct sy_db_event *ev,
                        struct sy_error *err);
/*
 * Decide at once (rooms/visibility.h sy_visibility_events, a few queries)
 * the visibility of evs[0..n) whose state groups the memo lacks, so that
 * sy_timeline_visible answers them from the memo.  0 or an error.
 */
int sy_timeline_vis_prefetch(struct sy_timeline_vis *v, const struct sy_db_event *const *evs,
                             size_t n, struct sy_error *err);

/* 1 if the stored event passes the filter f (NULL passes everything). */
int sy_timeline_match(struct sy_arena *a, const struct sy_event_filter *f,
                      const struct sy_db_event *ev);

/*
 * The client JSON of a stored event for user_id/device_id, spliced from
 * the stored text (rooms/room.h sy_room_event_raw), with the bundled
 * aggregations (unsigned."m.relations", rooms/relations.h) when 'bundle'.
 * A new root (the caller adds it to a parent), or NULL with *err set.
 */
struct json_object *sy_timeline_event_json(struct sy_db *db, struct sy_arena *a,
                                           const struct sy_db_event *row, const char *user_id,
                                           const char *device_id, int bundle, struct sy_error *err);

/*
 * The same for rows[0..n) as a new JSON array in *out, bundling only the
 * events that have relations (one query for the whole batch).
 */
int sy_timeline_events_json(struct sy_db *db, struct sy_arena *a, const struct sy_db_event *rows,
                            size_t n, const char *user_id, const char *device_id, int bundle,
                            struct json_object **out, struct sy_error *err);

/*
 * The two halves of sy_timeline_events_json, for callers that build many
 * arrays: *set gets the IDs among rows[0..n) that have relations worth
 * bundling (one query); then each array bundles the events in 'bundle'
 * (NULL: none).
 */
int sy_timeline_bundle_set(struct sy_db *db, struct sy_arena *a, const struct sy_db_event *rows,
                           size_t n, struct sy_map **set, struct sy_error *err);
int sy_timeline_events_json_set(struct sy_db *db, struct sy_arena *a,
                                const struct sy_db_event *rows, size_t n, const char *user_id,
                                const char *device_id, const struct sy_map *bundle,
                                struct json_object **out, struct sy_error *err);

/* One walk over a room's timeline. */
struct sy_timeline_walk {
    const char *room_id;
    int backwards;
    int64_t from;    /* start here (see above) */
    int64_t bound;   /* stop here: backwards, events > bound; forwards, events <= bound */
    size_t limit;    /* events wanted */
    size_t scan_cap; /* stop after looking at this many rows, exactly (0: no cap) */
    const struct sy_event_filter *filter; /* NULL: everything */
    struct sy_timeline_vis *vis;          /* NULL: no visibility check */
    /* Visibility is checked only for events below this position (0: all); a joined user
     * sees everything after their join. */
    int64_t vis_below;
};
struct sy_timeline_page {
    struct sy_db_event *events; /* in the order walked */
    size_t n;
    int64_t next; /* the position to continue from */
    int more;     /* 0 when nothing is left between 'next' and the bound */
};
/* Walk: up to w->limit events that pass the filter and visibility. */
int sy_timeline_walk(struct sy_db *db, struct sy_arena *a, const struct sy_timeline_walk *w,
                     struct sy_timeline_page *out, struct sy_error *err);
/*
 * Walk w[0..n) into out[0..n) as sy_timeline_walk does, with one query
 * per round trip for all the backward walks together (/sync's rooms).
 * The first round asks each walk for one row more than it wants, so a
 * walk whose rows all pass needs no second round.
 */
int sy_timeline_walk_many(struct sy_db *db, struct sy_arena *a, const struct sy_timeline_walk *w,
                          size_t n, struct sy_timeline_page *out, struct sy_error *err);

/*
 * Lazy loading: the member events, in state group 'group', of the
 * senders of events[0..n) (and of 'also' when not NULL), except senders
 * in 'skip' (a set of user IDs, may be NULL).  A sender absent from
 * 'group' is looked up in the state after their first event here.
 * *ids is an arena array of event IDs.
 */
int sy_timeline_member_ids(struct sy_db *db, struct sy_arena *a, int64_t group,
                           const struct sy_db_event *events, size_t n, const char *also,
                           const struct sy_map *skip, const char ***ids, size_t *n_ids,
                           struct sy_error *err);

/* One room's question to sy_timeline_member_ids_many, and its answer (ids). */
struct sy_timeline_members {
    int64_t group;
    const struct sy_db_event *events;
    size_t n;
    const char *also;
    const struct sy_map *skip;
    const char **ids; /* out: as sy_timeline_member_ids */
    size_t n_ids;
};
/* sy_timeline_member_ids for q[0..n) together: two queries for all the rooms. */
int sy_timeline_member_ids_many(struct sy_db *db, struct sy_arena *a, struct sy_timeline_members *q,
                                size_t n, struct sy_error *err);

#endif /* SY_SYNC_TIMELINE_H */
