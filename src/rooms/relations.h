/*
 * rooms/relations.h -- event relationships (spec: "Forming relationships
 * between events", threading, event replacements, references).
 *
 * The persist pipeline records every accepted event's content."m.relates_to"
 * (sy_relations_persist).  Reads apply history visibility for the asking
 * user and leave out redacted children: paginating a parent's children
 * (/relations), a room's threads (/threads), and the bundled aggregations
 * (unsigned."m.relations") the read paths add to events they return.
 *
 * Pagination tokens are "r<stream position>": a boundary after that
 * position (a /sync next_batch is accepted too).  Results live in the
 * caller's arena.
 */
#ifndef SY_ROOMS_RELATIONS_H
#define SY_ROOMS_RELATIONS_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct sy_arena;
struct sy_db;
struct sy_error;
struct sy_event;
struct sy_room_event;

/*
 * The rules a new local event's relation must follow (as Synapse): the
 * parent exists and is in the same room; a thread does not start from an
 * event that itself has a relation; an annotation does not annotate an
 * annotation.  0, or SY_EINVAL (400 M_UNKNOWN).
 */
int sy_relations_check_send(struct sy_db *db, struct sy_arena *a, const char *room_id,
                            struct json_object *content, struct sy_error *err);

/* How deep /relations?recurse=true follows children of children (as Synapse). */
#define SY_RELATIONS_MAX_DEPTH 3

/* Record ev's relation, if it has a well-formed one, in the caller's transaction. */
int sy_relations_persist(struct sy_db *db, const struct sy_event *ev, int64_t stream,
                         struct sy_error *err);

/*
 * Add unsigned."m.relations" to 'unsigned_obj' (the "unsigned" object of
 * the event's client JSON) when event_id has relations worth bundling:
 * m.replace (the newest edit by the original sender, as a whole event),
 * m.thread ({latest_event, count, current_user_participated}) and
 * m.reference ({chunk: [{event_id}]}).  Nothing for a redacted or unknown
 * event.  0, or SY_EDB.
 */
int sy_relations_bundle(struct sy_db *db, struct sy_arena *a, const char *event_id,
                        const char *user_id, struct json_object *unsigned_obj,
                        struct sy_error *err);

/* The same for an event already loaded: 'obj' is its client JSON with "unsigned". */
int sy_relations_bundle_event(struct sy_db *db, struct sy_arena *a, const struct sy_room_event *ev,
                              const char *user_id, struct json_object *obj, struct sy_error *err);

struct sy_relations_query {
    const char *room_id;
    const char *event_id;   /* the parent */
    const char *rel_type;   /* NULL: any */
    const char *event_type; /* NULL: any (only with rel_type) */
    const char *from, *to;  /* tokens, or NULL */
    int64_t limit;
    int backwards;          /* dir=b (the default) */
    int recurse;
};

/*
 * The parent's children user_id may see, one page.  SY_ENOTFOUND when the
 * parent is unknown or invisible to the user, SY_EFORBIDDEN when the user
 * cannot see the room, SY_EINVAL M_INVALID_PARAM for a bad token.
 * *next_batch is NULL on the last page.
 */
int sy_relations_list(struct sy_db *db, struct sy_arena *a, const char *user_id,
                      const struct sy_relations_query *q, struct sy_room_event **events,
                      size_t *n, const char **next_batch, struct sy_error *err);

/*
 * The room's thread roots user_id may see, most recently active first;
 * 'participated' keeps threads the user started or replied to.  'from' is
 * a token from an earlier page or NULL.
 */
int sy_relations_threads(struct sy_db *db, struct sy_arena *a, const char *user_id,
                         const char *room_id, int participated, const char *from, int64_t limit,
                         struct sy_room_event **roots, size_t *n, const char **next_batch,
                         struct sy_error *err);

/*
 * The visible event of room_id closest to ts: forwards the first at or
 * after ts, backwards the last at or before.  SY_ENOTFOUND when there is
 * none, SY_EFORBIDDEN when the user cannot see the room.
 */
int sy_relations_event_at_ts(struct sy_db *db, struct sy_arena *a, const char *user_id,
                             const char *room_id, int64_t ts, int forwards,
                             struct sy_room_event *out, struct sy_error *err);

#endif /* SY_ROOMS_RELATIONS_H */
