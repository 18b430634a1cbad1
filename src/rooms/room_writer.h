/*
 * rooms/room_writer.h -- one room being written inside an open
 * transaction: what the next local event builds on (version, current
 * state, forward extremities, depth).  Shared by room creation
 * (rooms/send.c) and the group-commit writer (rooms/batch.c); not for
 * the API layer.
 */
#ifndef SY_ROOMS_ROOM_WRITER_H
#define SY_ROOMS_ROOM_WRITER_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_db_extremities;
struct sy_event_cache;
struct sy_db_room;
struct sy_error;
struct sy_event;
struct sy_event_signature;
struct sy_live_event;
struct sy_node;
struct sy_persist;
struct sy_push_room;
struct sy_room_send;
struct sy_room_state;
struct sy_room_version;

/* The events a transaction wrote, in stream order, for sync/live.h after COMMIT. */
struct sy_live_list {
    struct sy_live_event *v;
    size_t n, cap;
};
void sy_live_list_add(struct sy_arena *a, struct sy_live_list *l, const struct sy_live_event *ev);

struct sy_room_writer {
    struct sy_db *db;
    struct sy_arena *a;
    const struct sy_node *node;
    const struct sy_room_version *v;
    const char *room_id;
    struct sy_room_state *state;
    int64_t state_group;
    const char **prev; /* the forward extremities the next event extends */
    size_t n_prev;
    int64_t depth;     /* the next event's depth */
    /* group-commit writer only */
    int64_t loaded_group;      /* state group when opened: put in the cache after commit if moved */
    struct sy_push_room *push; /* members and rules for plain events; NULL after a state change */
    int wrote;                 /* events written in this transaction */
    struct sy_live_list *live; /* where written events are listed */
    struct sy_event_cache *events; /* the writer thread's parsed state events, or NULL */
    int cached_state_only; /* open: a state not in the cache fails (the room is not locked) */
};

/* Open a locked room from its row and forward extremities (state from the cache or the DB). */
int sy_room_writer_open(struct sy_room_writer *w, const struct sy_db_room *room,
                        const struct sy_db_extremities *ext, struct sy_error *err);

/*
 * Build s with the auth events the current state selects and check the
 * auth rules.  With 'later', the event is not signed yet: *later says
 * where the signature goes (rooms/event.h, sy_event_signature_apply).
 */
int sy_room_writer_prepare(struct sy_room_writer *w, const struct sy_room_send *s, int64_t ts,
                           struct sy_event_signature *later, struct sy_event **ev,
                           struct sy_error *err);

/* ev (written) is now the room's newest event. */
void sy_room_writer_advance(struct sy_room_writer *w, const struct sy_event *ev);

/* The persist request for ev as the room's next event at 'stream'. */
void sy_room_writer_persist_init(const struct sy_room_writer *w, const struct sy_room_send *s,
                                 const struct sy_event *ev, int64_t stream, struct sy_persist *p);

/* Persist a prepared ev (state, rows, relations, push, extremities) and advance. */
int sy_room_writer_persist(struct sy_room_writer *w, const struct sy_room_send *s,
                           const struct sy_event *ev, int64_t stream, struct sy_error *err);

/*
 * prepare + persist (state, rows, relations, push, extremities) + advance.
 * 'stream' is the position to write at (sync/positions.h).
 */
int sy_room_writer_write(struct sy_room_writer *w, const struct sy_room_send *s, int64_t ts,
                         int64_t stream, const struct sy_event **out, struct sy_error *err);

/* Request checks that need no room: 0 or a Matrix error. */
int sy_room_send_check(const struct sy_room_send *s, struct sy_error *err);
/* Transaction IDs are scoped per endpoint: "redact" or "send". */
const char *sy_room_send_txn_kind(const struct sy_room_send *s);
/* The current event's ID when s is state that changes nothing, else NULL. */
const char *sy_room_send_unchanged(struct sy_room_writer *w, const struct sy_room_send *s);

#endif /* SY_ROOMS_ROOM_WRITER_H */
