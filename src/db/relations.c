/*
 * db/relations.c -- event relations; events by timestamp.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"
#include "db/relations.h"
#include "util/arena.h"
#include "util/err.h"

/* A child counts while it is neither redacted nor rejected. */
#define LIVE_CHILD                                                                                 \
    "JOIN events e ON e.event_id = r.event_id AND e.redacted_by IS NULL AND e.rejected IS NULL "

/* Children of $2 in room $1 down to depth $3, filtered by rel_type $4 and type $5. */
#define CHILDREN_CTE                                                                               \
    "WITH RECURSIVE tree (event_id, depth) AS ("                                                   \
    " SELECT event_id, 1 FROM event_relations WHERE relates_to_id = $2 AND room_id = $1"           \
    " UNION SELECT c.event_id, t.depth + 1 FROM event_relations c"                                 \
    " JOIN tree t ON c.relates_to_id = t.event_id WHERE t.depth < $3::int AND c.room_id = $1) "   \
    "SELECT r.event_id, r.stream_ordering FROM tree JOIN event_relations r "                       \
    "ON r.event_id = tree.event_id " LIVE_CHILD                                                    \
    "WHERE ($4::text IS NULL OR r.rel_type = $4) AND ($5::text IS NULL OR r.type = $5) "

const struct sy_stmt sy_db_relations_stmts[] = {
    {"relations_of", "SELECT rel_type FROM event_relations WHERE event_id = $1"},
    {"relations_parents", "SELECT DISTINCT relates_to_id FROM event_relations "
                          "WHERE relates_to_id = ANY($1::text[]) "
                          "AND rel_type IN ('m.replace', 'm.thread', 'm.reference')"},
    {"relations_insert",
     "INSERT INTO event_relations (event_id, relates_to_id, rel_type, room_id, type, sender, "
     "stream_ordering, origin_server_ts, aggregation_key) VALUES ($1, $2, $3, $4, $5, $6, $7, "
     "$8, $9) ON CONFLICT (event_id) DO NOTHING"},
    {"relations_children_b", CHILDREN_CTE "AND r.stream_ordering <= $6::bigint "
                             "AND r.stream_ordering > $7::bigint "
                             "ORDER BY r.stream_ordering DESC LIMIT $8::bigint"},
    {"relations_children_f", CHILDREN_CTE "AND r.stream_ordering > $6::bigint "
                             "AND r.stream_ordering <= $7::bigint "
                             "ORDER BY r.stream_ordering LIMIT $8::bigint"},
    {"relations_summary",
     "SELECT r.rel_type, count(*), bool_or(r.sender = $2) FROM event_relations r " LIVE_CHILD
     "JOIN events p ON p.event_id = r.relates_to_id AND p.room_id = r.room_id "
     "WHERE r.relates_to_id = $1 "
     "AND r.rel_type IN ('m.replace', 'm.thread', 'm.reference') GROUP BY r.rel_type"},
    {"relations_latest_edit",
     "SELECT r.event_id FROM event_relations r " LIVE_CHILD
     "WHERE r.relates_to_id = $2 AND r.room_id = $1 AND r.rel_type = 'm.replace' "
     "AND r.sender = $3 AND r.type = $4 ORDER BY r.origin_server_ts DESC, r.event_id DESC "
     "LIMIT 1"},
    {"relations_references",
     "SELECT r.event_id FROM event_relations r " LIVE_CHILD
     "WHERE r.relates_to_id = $2 AND r.room_id = $1 AND r.rel_type = 'm.reference' "
     "ORDER BY r.stream_ordering LIMIT $3::bigint"},
    {"relations_threads",
     "SELECT r.relates_to_id, max(r.stream_ordering) AS latest FROM event_relations r " LIVE_CHILD
     "JOIN events root ON root.event_id = r.relates_to_id AND root.room_id = r.room_id "
     "WHERE r.room_id = $1 AND r.rel_type = 'm.thread' "
     "GROUP BY r.relates_to_id, root.sender "
     "HAVING max(r.stream_ordering) < $2::bigint "
     "AND ($3::text IS NULL OR root.sender = $3 OR bool_or(r.sender = $3)) "
     "ORDER BY latest DESC LIMIT $4::bigint"},
    {"relations_near_ts_f",
     "SELECT event_id FROM events WHERE room_id = $1 AND origin_server_ts >= $2::bigint "
     "AND rejected IS NULL ORDER BY origin_server_ts, stream_ordering "
     "OFFSET $3::bigint LIMIT $4::bigint"},
    {"relations_near_ts_b",
     "SELECT event_id FROM events WHERE room_id = $1 AND origin_server_ts <= $2::bigint "
     "AND rejected IS NULL ORDER BY origin_server_ts DESC, stream_ordering DESC "
     "OFFSET $3::bigint LIMIT $4::bigint"},
    {NULL, NULL},
};

static const char *
num(struct sy_arena *a, int64_t v)
{
    return sy_arena_printf(a, "%lld", (long long)v);
}

int
sy_db_relation_insert(struct sy_db *db, const struct sy_db_relation *r, struct sy_error *err)
{
    char so[24], ts[24];
    const char *p[9];
    PGresult *res;

    snprintf(so, sizeof(so), "%lld", (long long)r->stream_ordering);
    snprintf(ts, sizeof(ts), "%lld", (long long)r->origin_server_ts);
    p[0] = r->event_id, p[1] = r->relates_to_id, p[2] = r->rel_type, p[3] = r->room_id;
    p[4] = r->type, p[5] = r->sender, p[6] = so, p[7] = ts, p[8] = r->aggregation_key;
    if ((res = sy_db_exec(db, "relations_insert", 9, p, err)) == NULL)
        return err->code;
    PQclear(res);
    return SY_OK;
}

/* Column 0 of every row as arena strings; column 1 as numbers when 'nums' is wanted. */
static void
read_ids(struct sy_arena *a, PGresult *res, const char ***ids, int64_t **nums, size_t *n)
{
    int rows = PQntuples(res);

    *ids = sy_arena_alloc(a, sizeof(char *) * ((size_t)rows + 1));
    if (nums != NULL)
        *nums = sy_arena_alloc(a, sizeof(int64_t) * ((size_t)rows + 1));
    for (int i = 0; i < rows; i++) {
        (*ids)[i] = sy_arena_strdup(a, PQgetvalue(res, i, 0));
        if (nums != NULL)
            (*nums)[i] = strtoll(PQgetvalue(res, i, 1), NULL, 10);
    }
    *n = (size_t)rows;
}

static int
query_ids(struct sy_db *db, struct sy_arena *a, const char *stmt, int np, const char *const *p,
          const char ***ids, int64_t **nums, size_t *n, struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, stmt, np, p, err);

    if (res == NULL)
        return err->code;
    read_ids(a, res, ids, nums, n);
    PQclear(res);
    return SY_OK;
}

int
sy_db_relations_children(struct sy_db *db, struct sy_arena *a,
                         const struct sy_db_relations_page *q, const char ***ids,
                         int64_t **streams, size_t *n, struct sy_error *err)
{
    const char *p[8];

    p[0] = q->room_id, p[1] = q->parent_id, p[2] = num(a, q->max_depth < 1 ? 1 : q->max_depth);
    p[3] = q->rel_type, p[4] = q->event_type;
    p[5] = num(a, q->from), p[6] = num(a, q->to), p[7] = num(a, q->limit);
    return query_ids(db, a, q->backwards ? "relations_children_b" : "relations_children_f", 8, p,
                     ids, streams, n, err);
}

int
sy_db_relations_summary(struct sy_db *db, const char *parent_id, const char *user_id,
                        struct sy_db_relation_summary *out, struct sy_error *err)
{
    const char *p[2] = {parent_id, user_id};
    PGresult *res = sy_db_exec(db, "relations_summary", 2, p, err);

    memset(out, 0, sizeof(*out));
    if (res == NULL)
        return err->code;
    for (int i = 0; i < PQntuples(res); i++) {
        const char *rel = PQgetvalue(res, i, 0);
        int64_t count = strtoll(PQgetvalue(res, i, 1), NULL, 10);

        if (strcmp(rel, "m.replace") == 0) {
            out->n_replace = count;
        } else if (strcmp(rel, "m.thread") == 0) {
            out->n_thread = count;
            out->user_in_thread = PQgetvalue(res, i, 2)[0] == 't';
        } else if (strcmp(rel, "m.reference") == 0) {
            out->n_reference = count;
        }
    }
    PQclear(res);
    return SY_OK;
}

/* The first column of the first row, or NULL when there is none. */
static int
query_one(struct sy_db *db, struct sy_arena *a, const char *stmt, int np, const char *const *p,
          const char **out, struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, stmt, np, p, err);

    if (res == NULL)
        return err->code;
    *out = PQntuples(res) > 0 ? sy_arena_strdup(a, PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    return SY_OK;
}

int
sy_db_relations_latest_edit(struct sy_db *db, struct sy_arena *a, const char *room_id,
                            const char *parent_id, const char *sender, const char *type,
                            const char **event_id, struct sy_error *err)
{
    const char *p[4] = {room_id, parent_id, sender, type};

    return query_one(db, a, "relations_latest_edit", 4, p, event_id, err);
}

int
sy_db_relations_references(struct sy_db *db, struct sy_arena *a, const char *room_id,
                           const char *parent_id, int64_t max, const char ***ids, size_t *n,
                           struct sy_error *err)
{
    const char *p[3] = {room_id, parent_id, num(a, max)};

    return query_ids(db, a, "relations_references", 3, p, ids, NULL, n, err);
}

int
sy_db_relations_threads(struct sy_db *db, struct sy_arena *a, const char *room_id,
                        int64_t before, const char *participant, int64_t limit,
                        const char ***roots, int64_t **latest, size_t *n, struct sy_error *err)
{
    const char *p[4] = {room_id, num(a, before), participant, num(a, limit)};

    return query_ids(db, a, "relations_threads", 4, p, roots, latest, n, err);
}

int
sy_db_events_near_ts(struct sy_db *db, struct sy_arena *a, const char *room_id, int64_t ts,
                     int forwards, int64_t offset, int64_t limit, const char ***ids, size_t *n,
                     struct sy_error *err)
{
    const char *p[4] = {room_id, num(a, ts), num(a, offset), num(a, limit)};

    return query_ids(db, a, forwards ? "relations_near_ts_f" : "relations_near_ts_b", 4, p, ids,
                     NULL, n, err);
}

int
sy_db_relation_type_of(struct sy_db *db, struct sy_arena *a, const char *event_id,
                       const char **rel_type, struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, "relations_of", 1, &event_id, err);

    if (res == NULL)
        return err->code;
    *rel_type = PQntuples(res) ? sy_arena_strdup(a, PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    return SY_OK;
}

int
sy_db_relations_parents(struct sy_db *db, struct sy_arena *a, const char *const *ids, size_t n,
                        const char ***parents, size_t *n_parents, struct sy_error *err)
{
    const char *p[1] = {sy_db_text_array(a, ids, n)};

    return sy_db_strings(db, a, "relations_parents", 1, p, parents, n_parents, err);
}
