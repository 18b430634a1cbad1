/*
 * rooms/room.h -- what the API layer asks of rooms: create, send, read.
 *
 * Every write goes through one pipeline (ARCHITECTURE.md "One path for
 * every event"): build -> check -> authorise against current state ->
 * persist (event, edges, state, stream position in one transaction) ->
 * notify.  Reads enforce history visibility for the asking user.
 *
 * Reads run on the calling worker's database connection; sends go
 * through the group-commit writer (below).  Results live in the caller's
 * arena.  Errors are Matrix errors: M_NOT_FOUND,
 * M_FORBIDDEN (auth rules; msg says which), M_BAD_JSON, M_TOO_LARGE,
 * M_UNSUPPORTED_ROOM_VERSION, M_ROOM_IN_USE.
 */
#ifndef SY_ROOMS_ROOM_H
#define SY_ROOMS_ROOM_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct sy_arena;
struct sy_db;
struct sy_db_event;
struct sy_error;
struct sy_node;
struct sy_room_version;

struct sy_room_info {
    const char *room_id;
    const struct sy_room_version *version;
    const char *creator;
    int64_t created_ts;
    int is_public; /* listed in the public room directory */
};

/* 0 and *out, or SY_ENOTFOUND (M_NOT_FOUND) when this node does not know the room. */
int sy_room_get(struct sy_db *db, struct sy_arena *a, const char *room_id, struct sy_room_info *out,
                struct sy_error *err);

/* ---- writing ---------------------------------------------------------------------------- */

struct sy_room_send {
    const char *room_id;
    const char *sender;
    const char *type;
    const char *state_key;       /* NULL: a message-like event */
    struct json_object *content; /* not taken; NULL = {} */
    const char *redacts;         /* m.room.redaction target, else NULL */
    /* Idempotency (PUT .../send/{type}/{txnId}): a repeat returns the first event's ID. */
    const char *txn_device_id;
    const char *txn_id;
};

/*
 * Build, authorise against the current state, persist and notify one local
 * event.  0 and *event_id.  A state event that changes nothing (same
 * content and sender as the current one) is not sent: *event_id is the
 * current one's, as in Synapse.  A redaction must also pass the local
 * redaction rule (rooms/redact.h).  Transaction IDs are scoped to the
 * device, the room and the endpoint (redactions apart from other sends).
 */
int sy_room_send_event(struct sy_db *db, struct sy_arena *a, const struct sy_node *node,
                       const struct sy_room_send *s, const char **event_id, struct sy_error *err);

/*
 * Sends are written by the group-commit writer (rooms/writer.c): one
 * thread with its own connection that writes whatever is queued as one
 * transaction.  sy_room_send_event() queues and blocks until the batch
 * commits (on the caller's connection when no writer runs: tools, tests).
 * The /send path does not block its worker: sy_room_send_submit() queues
 * and returns; done(arg) runs on the writer thread once the job is
 * written -- at most once, never after 'owner' (the request's arena) is
 * freed -- and sy_room_send_job_result() then gives the outcome
 * (M_UNKNOWN 503 if asked too early).  NULL and *err when s is invalid
 * or no writer runs.
 */
struct sy_send_job;
/* The checks sy_room_send_submit() makes before queueing (type and key sizes, content). */
int sy_room_send_validate(const struct sy_room_send *s, struct sy_error *err);
int sy_room_writer_start(const struct sy_node *node, struct sy_error *err);
/* Write what is queued, then stop the thread. */
void sy_room_writer_stop(void);
struct sy_send_job *sy_room_send_submit(const struct sy_room_send *s, struct sy_arena *owner,
                                        void (*done)(void *), void *arg, struct sy_error *err);
int sy_room_send_job_result(struct sy_send_job *j, struct sy_arena *a, const char **event_id,
                            struct sy_error *err);

/* One initial state event of a new room. */
struct sy_room_initial_event {
    const char *type;
    const char *state_key;       /* "" for most room state */
    struct json_object *content; /* not taken */
};

struct sy_room_create {
    const char *version;               /* NULL: the configured default */
    const char *creator;
    struct json_object *create_content; /* extra m.room.create content (type, m.federate, ...); may be NULL */
    /* The events after m.room.create and the creator's join, in order (power levels, join
     * rules, history visibility, guest access, name, topic, aliases, initial_state, invites). */
    const struct sy_room_initial_event *events;
    size_t n_events;
};

/*
 * Create a room: m.room.create, the creator's join, then c->events, all in
 * one transaction (a crash leaves no half-made room).  0 and *room_id;
 * SY_EINVAL M_UNSUPPORTED_ROOM_VERSION; M_FORBIDDEN when an initial event
 * fails the auth rules.
 */
int sy_room_create(struct sy_db *db, struct sy_arena *a, const struct sy_node *node,
                   const struct sy_room_create *c, const char **room_id, struct sy_error *err);

/* ---- reading ---------------------------------------------------------------------------- */

/* A stored event as the Client-Server API shows it. */
struct sy_room_event {
    const char *event_id;
    const char *room_id;
    const char *type;
    const char *state_key; /* NULL for non-state */
    const char *sender;
    int64_t origin_server_ts;
    int64_t stream_ordering;
    const char *client_json; /* client event format text, without "unsigned" */
    const char *redacted_by; /* NULL unless redacted */
    const char *redacted_because; /* the redaction's client JSON, when redacted */
    const char *txn_user, *txn_device, *txn_id; /* who sent it with which transaction ID */
};

/* The API view of a stored row (strings are shared with the row). */
void sy_room_event_from_row(const struct sy_db_event *row, struct sy_room_event *out);

/* The client JSON of ev with "unsigned" (age, redacted_because, transaction_id) added;
 * a new root in 'a'.  'for_user'/'for_device' decide transaction_id. */
struct json_object *sy_room_event_json(struct sy_arena *a, const struct sy_room_event *ev,
                                       const char *for_user, const char *for_device);

/*
 * The same as text spliced from the stored JSON (no parse): the value to
 * put into responses on hot paths (sync timelines).  'extra_unsigned' is
 * more "unsigned" members as JSON text without braces ("" or NULL: none).
 */
struct json_object *sy_room_event_raw(struct sy_arena *a, const struct sy_room_event *ev,
                                      const char *for_user, const char *for_device,
                                      const char *extra_unsigned);

/* The membership of user_id in room_id ("join", "invite", "leave", "ban", "knock") or NULL. */
int sy_room_membership(struct sy_db *db, struct sy_arena *a, const char *room_id,
                       const char *user_id, const char **membership, struct sy_error *err);

/*
 * One event by ID if user_id may see it (history visibility), else
 * SY_ENOTFOUND (M_NOT_FOUND) -- the same answer as for an unknown event.
 */
int sy_room_event_get(struct sy_db *db, struct sy_arena *a, const char *room_id,
                      const char *event_id, const char *user_id, struct sy_room_event *out,
                      struct sy_error *err);

/*
 * The room state user_id may see: the current state while joined, the
 * state when they left otherwise (if they were ever in the room), or the
 * current state of a world_readable room.  SY_EFORBIDDEN otherwise.
 * *events is an arena array of *n, ordered by (type, state_key).
 */
int sy_room_state(struct sy_db *db, struct sy_arena *a, const char *room_id, const char *user_id,
                  struct sy_room_event **events, size_t *n, struct sy_error *err);

/* One state event of that state, SY_ENOTFOUND (M_NOT_FOUND) when there is none. */
int sy_room_state_event(struct sy_db *db, struct sy_arena *a, const char *room_id,
                        const char *user_id, const char *type, const char *state_key,
                        struct sy_room_event *out, struct sy_error *err);

/*
 * Member events visible to user_id (as sy_room_state), optionally at a
 * point in history ('at_event': the state at that event) and filtered by
 * membership / not_membership (NULL: no filter).
 */
int sy_room_members(struct sy_db *db, struct sy_arena *a, const char *room_id, const char *user_id,
                    const char *at_event, const char *membership, const char *not_membership,
                    struct sy_room_event **events, size_t *n, struct sy_error *err);

/* Rooms user_id is joined to (arena array of room IDs). */
int sy_room_joined(struct sy_db *db, struct sy_arena *a, const char *user_id, const char ***rooms,
                   size_t *n, struct sy_error *err);

#endif /* SY_ROOMS_ROOM_H */
