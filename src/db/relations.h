/*
 * db/relations.h -- event relations (event_relations, schema/007): one row
 * per child event naming its parent and rel_type; the queries behind
 * /relations, /threads, bundled aggregations; and events by timestamp
 * (/timestamp_to_event).
 *
 * Every read leaves out children that are redacted or rejected, and
 * children in another room than the one asked about.  Results live in the
 * caller's arena.  Which relation rules apply (who may edit, what counts
 * as participating) is rooms/relations.c's business.
 */
#ifndef SY_DB_RELATIONS_H
#define SY_DB_RELATIONS_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

struct sy_db_relation {
    const char *event_id;      /* the child */
    const char *relates_to_id; /* the parent */
    const char *rel_type;
    const char *room_id;
    const char *type;
    const char *sender;
    int64_t stream_ordering;
    int64_t origin_server_ts;
    const char *aggregation_key; /* m.annotation key, else NULL */
};

/* The rel_type of event_id's own relation, or *rel_type NULL when it has none. */
int sy_db_relation_type_of(struct sy_db *db, struct sy_arena *a, const char *event_id,
                           const char **rel_type, struct sy_error *err);

/* Which of ids[0..n) have children worth bundling (may include redacted children). */
int sy_db_relations_parents(struct sy_db *db, struct sy_arena *a, const char *const *ids, size_t n,
                            const char ***parents, size_t *n_parents, struct sy_error *err);

/* Insert one relation row (in the caller's transaction); a repeat is ignored. */
int sy_db_relation_insert(struct sy_db *db, const struct sy_db_relation *r, struct sy_error *err);

/* A page of children of a parent. */
struct sy_db_relations_page {
    const char *room_id;
    const char *parent_id;
    const char *rel_type;   /* NULL: any */
    const char *event_type; /* NULL: any */
    int max_depth;          /* 1: direct children; more: children of children too */
    int backwards;          /* newest first */
    /* Stream boundaries: backwards returns from >= so > to, forwards from < so <= to. */
    int64_t from, to;
    int64_t limit;
};

/* The children's event IDs and stream positions, in page order (arena arrays of *n). */
int sy_db_relations_children(struct sy_db *db, struct sy_arena *a,
                             const struct sy_db_relations_page *q, const char ***ids,
                             int64_t **streams, size_t *n, struct sy_error *err);

/* Per rel_type among m.replace, m.thread, m.reference: how many children in the
 * parent's room, and whether 'user_id' sent a thread reply.  All zero for an unknown parent. */
struct sy_db_relation_summary {
    int64_t n_replace, n_thread, n_reference;
    int user_in_thread;
};
int sy_db_relations_summary(struct sy_db *db, const char *parent_id, const char *user_id,
                            struct sy_db_relation_summary *out, struct sy_error *err);

/* The newest m.replace child by 'sender' with event type 'type' (highest origin_server_ts,
 * then highest event ID), or *event_id NULL. */
int sy_db_relations_latest_edit(struct sy_db *db, struct sy_arena *a, const char *room_id,
                                const char *parent_id, const char *sender, const char *type,
                                const char **event_id, struct sy_error *err);

/* The m.reference children's IDs in stream order, at most 'max'. */
int sy_db_relations_references(struct sy_db *db, struct sy_arena *a, const char *room_id,
                               const char *parent_id, int64_t max, const char ***ids, size_t *n,
                               struct sy_error *err);

/*
 * Threads of room_id whose newest reply is before stream position
 * 'before', newest first, at most 'limit'; 'participant' non-NULL keeps
 * only threads whose root or a reply that user sent.  *roots and *latest
 * (the newest reply's stream position) are arena arrays of *n.
 */
int sy_db_relations_threads(struct sy_db *db, struct sy_arena *a, const char *room_id,
                            int64_t before, const char *participant, int64_t limit,
                            const char ***roots, int64_t **latest, size_t *n,
                            struct sy_error *err);

/*
 * Events of room_id around timestamp ts: forwards the first with
 * origin_server_ts >= ts, backwards the last with <= ts, skipping 'offset'
 * and returning at most 'limit' in that order.
 */
int sy_db_events_near_ts(struct sy_db *db, struct sy_arena *a, const char *room_id, int64_t ts,
                         int forwards, int64_t offset, int64_t limit, const char ***ids,
                         size_t *n, struct sy_error *err);

#endif /* SY_DB_RELATIONS_H */
