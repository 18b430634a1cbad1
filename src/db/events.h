/*
 * db/events.h -- stored events, their graph edges, forward extremities,
 * stream positions and transaction ids.
 */
#ifndef SY_DB_EVENTS_H
#define SY_DB_EVENTS_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

/* One events row. */
struct sy_db_event {
    int64_t stream_ordering;
    const char *event_id;
    const char *room_id;
    const char *type;
    const char *state_key; /* NULL: not a state event */
    const char *sender;
    const char *membership; /* content.membership of m.room.member events, else NULL */
    int64_t depth;
    int64_t origin_server_ts;
    const char *pdu_json;
    const char *client_json;
    const char *redacts;
    const char *redacted_by;
    int64_t state_before; /* 0 when none */
    int64_t state_after;
    const char *rejected;
    const char *redacted_because; /* the redaction's client JSON when redacted (read only) */
    const char *txn_user, *txn_device, *txn_kind, *txn_id;
    const char *search_text; /* text to index for full-text search, or NULL (insert only) */
};

/*
 * Insert rows[0..n) with one statement.  An event's prev and auth edges
 * are in its pdu_json; they have no table of their own.
 */
int sy_db_events_insert(struct sy_db *db, const struct sy_db_event *rows, size_t n,
                        struct sy_error *err);
/* The same, encoded into 'out' (in 'a') to be sent later with sy_db_send (db/db.h). */
struct sy_db_call;
void sy_db_events_insert_call(struct sy_arena *a, const struct sy_db_event *rows, size_t n,
                              struct sy_db_call *out);

/* One transaction-ID key (see sy_db_event_by_txn). */
struct sy_db_txn {
    const char *user, *device, *room_id, *kind, *txn_id;
};
/* event_ids[i]: the event txns[i] already made (in 'a'), or NULL. */
int sy_db_events_by_txn_many(struct sy_db *db, struct sy_arena *a, const struct sy_db_txn *txns,
                             size_t n, const char **event_ids, struct sy_error *err);

/* A room's forward extremities (at most 20, deepest first) and their greatest depth. */
struct sy_db_extremities {
    const char **ids;
    size_t n;
    int64_t max_depth;
};
/* out[i] for rooms[i], in 'a'. */
int sy_db_extremities_many(struct sy_db *db, struct sy_arena *a, const char *const *rooms,
                           size_t n, struct sy_db_extremities *out, struct sy_error *err);
/* Make event_ids[i], of depth depths[i], the only forward extremity of rooms[i] (rooms distinct). */
int sy_db_extremities_replace(struct sy_db *db, const char *const *rooms,
                              const char *const *event_ids, const int64_t *depths, size_t n,
                              struct sy_error *err);

/* 0 and *out, or SY_ENOTFOUND (M_NOT_FOUND). */
int sy_db_event_get(struct sy_db *db, struct sy_arena *a, const char *event_id,
                    struct sy_db_event *out, struct sy_error *err);
/* The events with these IDs that exist, ordered by (type, state_key); *out in 'a'. */
int sy_db_events_get_many(struct sy_db *db, struct sy_arena *a, const char *const *ids, size_t n,
                          struct sy_db_event **out, size_t *n_out, struct sy_error *err);
/*
 * Accepted events of room_id with stream position in (after, upto], the
 * newest first, at most 'limit'.
 */
int sy_db_events_range(struct sy_db *db, struct sy_arena *a, const char *room_id, int64_t after,
                       int64_t upto, int limit, struct sy_db_event **out, size_t *n,
                       struct sy_error *err);
/* The same range, the oldest first (forward pagination). */
int sy_db_events_range_fwd(struct sy_db *db, struct sy_arena *a, const char *room_id,
                           int64_t after, int64_t upto, int limit, struct sy_db_event **out,
                           size_t *n, struct sy_error *err);
/* Which of rooms[0..n_rooms) have accepted events with stream position in (after, upto]. */
int sy_db_events_rooms_changed(struct sy_db *db, struct sy_arena *a, int64_t after, int64_t upto,
                               const char *const *rooms, size_t n_rooms, const char ***out,
                               size_t *n, struct sy_error *err);
/* The newest accepted event of room_id at or before 'stream'; SY_ENOTFOUND when none. */
int sy_db_event_at_or_before(struct sy_db *db, struct sy_arena *a, const char *room_id,
                             int64_t stream, struct sy_db_event *out, struct sy_error *err);
/* The event (user, device) already sent in room_id with this endpoint kind and txn id. */
int sy_db_event_by_txn(struct sy_db *db, struct sy_arena *a, const char *user, const char *device,
                       const char *room_id, const char *kind, const char *txn_id,
                       const char **event_id, struct sy_error *err);
/* Mark 'event_id' redacted by 'redaction_id' and store its redacted client JSON. */
int sy_db_event_set_redacted(struct sy_db *db, const char *event_id, const char *redaction_id,
                             const char *client_json, struct sy_error *err);

/* 'event_id', of 'depth', replaces 'prev' as forward extremities. */
int sy_db_extremities_advance(struct sy_db *db, const char *room_id, const char *event_id,
                              int64_t depth, const char *const *prev, size_t n_prev,
                              struct sy_error *err);

#endif /* SY_DB_EVENTS_H */
