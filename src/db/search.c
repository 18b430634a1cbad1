/*
 * db/search.c -- full-text event search and the user directory (see
 * db/search.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"
#include "db/search.h"
#include "util/arena.h"
#include "util/err.h"

/* clang-format off */
/*
 * The query for term $1: plainto_tsquery's words, each made a prefix
 * match ('word' -> 'word':*).  A lexeme's closing quote is the only quote
 * followed by a space or the end (inner quotes are doubled).  NULL when
 * the term has no words, so nothing matches.
 */
#define TSQUERY                                                                                    \
    "(SELECT CASE WHEN numnode(plainto_tsquery('simple', $1::text)) = 0 THEN NULL ELSE "         \
    "regexp_replace(plainto_tsquery('simple', $1::text)::text, '''( |$)', ''':*\\1', "           \
    "'g')::tsquery END)"

#define JSON_SET(n) "(SELECT jsonb_array_elements_text($" n "::jsonb))"

/* $1 term, $2 rooms, $3 types, $4 senders, $5 not senders. */
#define SEARCH_WHERE                                                                               \
    "e.search_vector @@ q.q AND e.room_id IN " JSON_SET("2") " AND e.type IN " JSON_SET("3")     \
    " AND ($4::jsonb IS NULL OR e.sender IN " JSON_SET("4") ") "                                  \
    "AND ($5::jsonb IS NULL OR e.sender NOT IN " JSON_SET("5") ") "                               \
    "AND e.rejected IS NULL AND e.redacted_by IS NULL "

/* User IDs $1 shares a room with, or who are in a room anyone may join or read. */
#define CONTENT "CASE WHEN strpos(e.client_json, '\\u0000') = 0 " \
                "THEN (e.client_json::jsonb)->'content' END"
#define USERDIR_CANDIDATES                                                                         \
    "WITH mine AS (SELECT room_id FROM current_state WHERE type = 'm.room.member' "               \
    "AND state_key = $1 AND membership = 'join'), "                                                \
    "open_rooms AS (SELECT cs.room_id FROM current_state cs "                                      \
    "JOIN events e ON e.event_id = cs.event_id CROSS JOIN LATERAL (SELECT " CONTENT " AS c) j "   \
    "WHERE cs.state_key = '' AND ((cs.type = 'm.room.join_rules' AND c->>'join_rule' = 'public') " \
    "OR (cs.type = 'm.room.history_visibility' AND c->>'history_visibility' = 'world_readable'))), " \
    "cand AS (SELECT m.state_key AS user_id, bool_or(m.room_id IN (SELECT room_id FROM mine)) "   \
    "AS shared, min(m.event_id) AS member_event FROM current_state m "                             \
    "WHERE m.type = 'm.room.member' AND m.membership = 'join' AND (m.room_id IN "                  \
    "(SELECT room_id FROM mine) OR m.room_id IN (SELECT room_id FROM open_rooms)) "               \
    "GROUP BY m.state_key), "                                                                      \
    "prof AS (SELECT c.user_id, c.shared, u.user_id IS NOT NULL AS local, "                        \
    "coalesce(u.deactivated, false) AS deactivated, "                                              \
    "CASE WHEN u.user_id IS NOT NULL THEN u.displayname "                                          \
    "WHEN jsonb_typeof(mc.c->'displayname') = 'string' THEN mc.c->>'displayname' END AS dn, "     \
    "CASE WHEN u.user_id IS NOT NULL THEN u.avatar_url "                                           \
    "WHEN jsonb_typeof(mc.c->'avatar_url') = 'string' THEN mc.c->>'avatar_url' END AS av "        \
    "FROM cand c LEFT JOIN users u ON u.user_id = c.user_id "                                      \
    "LEFT JOIN LATERAL (SELECT " CONTENT " AS c FROM events e "                                    \
    "WHERE e.event_id = c.member_event) mc ON true) "

/* clang-format on */

const struct sy_stmt sy_db_search_stmts[] = {
    /* ... $6 before stream (0: none), $7 recent, $8 limit, $9 offset */
    {"search_events",
     "SELECT e.event_id, e.room_id, e.stream_ordering, ts_rank_cd(e.search_vector, q.q) AS rank "
     "FROM events e, " TSQUERY " AS q(q) WHERE " SEARCH_WHERE
     "AND ($6::bigint = 0 OR e.stream_ordering < $6::bigint) "
     "ORDER BY CASE WHEN $7::boolean THEN 0 ELSE ts_rank_cd(e.search_vector, q.q) END DESC, "
     "e.stream_ordering DESC LIMIT $8 OFFSET $9"},
    {"search_count", "SELECT count(*) FROM events e, " TSQUERY " AS q(q) WHERE " SEARCH_WHERE},
    {"search_words", "SELECT DISTINCT unnest(tsvector_to_array(to_tsvector('simple', $1::text)))"},
    {"search_context_before",
     "SELECT event_id FROM events WHERE room_id = $1 AND stream_ordering < $2 "
     "AND rejected IS NULL ORDER BY stream_ordering DESC LIMIT $3"},
    {"search_context_after",
     "SELECT event_id FROM events WHERE room_id = $1 AND stream_ordering > $2 "
     "AND rejected IS NULL ORDER BY stream_ordering ASC LIMIT $3"},
    /* $1 searcher, $2 term, $3 limit */
    {"userdir_search", USERDIR_CANDIDATES
     "SELECT p.user_id, p.dn, p.av FROM prof p WHERE NOT p.deactivated AND NOT EXISTS ("
     "SELECT 1 FROM regexp_split_to_table(lower($2::text), '\\s+') AS w "
     "WHERE w <> '' AND strpos(lower(p.user_id), w) = 0 "
     "AND strpos(lower(coalesce(p.dn, '')), w) = 0) "
     "ORDER BY p.shared DESC, (p.dn IS NOT NULL) DESC, (p.av IS NOT NULL) DESC, p.user_id "
     "LIMIT $3"},
    {NULL, NULL},
};

static void
query_params(const struct sy_search_query *q, const char *p[5])
{
    p[0] = q->term;
    p[1] = q->rooms_json;
    p[2] = q->types_json;
    p[3] = q->senders_json;
    p[4] = q->not_senders_json;
}

int
sy_db_search_events(struct sy_db *db, struct sy_arena *a, const struct sy_search_query *q,
                    struct sy_search_hit **hits, size_t *n, struct sy_error *err)
{
    char before[24], lim[24], off[24];
    const char *p[9];
    PGresult *res;
    int rows;

    query_params(q, p);
    snprintf(before, sizeof(before), "%" PRId64, q->before_stream > 0 ? q->before_stream : 0);
    snprintf(lim, sizeof(lim), "%" PRId64, q->limit);
    snprintf(off, sizeof(off), "%" PRId64, q->offset);
    p[5] = before;
    p[6] = q->order_recent ? "true" : "false";
    p[7] = lim;
    p[8] = off;
    if ((res = sy_db_exec(db, "search_events", 9, p, err)) == NULL)
        return err->code;
    rows = PQntuples(res);
    *hits = sy_arena_alloc(a, sizeof(**hits) * (size_t)(rows ? rows : 1));
    for (int r = 0; r < rows; r++) {
        struct sy_search_hit *h = &(*hits)[r];

        h->event_id = sy_arena_strdup(a, sy_db_val(res, r, 0));
        h->room_id = sy_arena_strdup(a, sy_db_val(res, r, 1));
        h->stream_ordering = strtoll(PQgetvalue(res, r, 2), NULL, 10);
        h->rank = strtod(PQgetvalue(res, r, 3), NULL);
    }
    *n = (size_t)rows;
    PQclear(res);
    return SY_OK;
}

int
sy_db_search_count(struct sy_db *db, const struct sy_search_query *q, int64_t *count,
                   struct sy_error *err)
{
    const char *p[5];
    PGresult *res;

    query_params(q, p);
    if ((res = sy_db_exec(db, "search_count", 5, p, err)) == NULL)
        return err->code;
    *count = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return SY_OK;
}

int
sy_db_search_words(struct sy_db *db, struct sy_arena *a, const char *term, const char ***words,
                   size_t *n, struct sy_error *err)
{
    return sy_db_strings(db, a, "search_words", 1, &term, words, n, err);
}

int
sy_db_search_context(struct sy_db *db, struct sy_arena *a, const char *room_id, int64_t stream,
                     int after, int64_t limit, const char ***event_ids, size_t *n,
                     struct sy_error *err)
{
    char pos[24], lim[24];
    const char *p[3] = {room_id, pos, lim};

    snprintf(pos, sizeof(pos), "%" PRId64, stream);
    snprintf(lim, sizeof(lim), "%" PRId64, limit);
    return sy_db_strings(db, a, after ? "search_context_after" : "search_context_before", 3, p,
                       event_ids, n, err);
}

int
sy_db_userdir_search(struct sy_db *db, struct sy_arena *a, const char *searcher, const char *term,
                     int64_t limit, struct sy_userdir_hit **hits, size_t *n, struct sy_error *err)
{
    char lim[24];
    const char *p[3] = {searcher, term, lim};
    PGresult *res;
    int rows;

    snprintf(lim, sizeof(lim), "%" PRId64, limit);
    if ((res = sy_db_exec(db, "userdir_search", 3, p, err)) == NULL)
        return err->code;
    rows = PQntuples(res);
    *hits = sy_arena_alloc(a, sizeof(**hits) * (size_t)(rows ? rows : 1));
    for (int r = 0; r < rows; r++) {
        (*hits)[r].user_id = sy_arena_strdup(a, sy_db_val(res, r, 0));
        (*hits)[r].display_name = sy_arena_strdup(a, sy_db_val(res, r, 1));
        (*hits)[r].avatar_url = sy_arena_strdup(a, sy_db_val(res, r, 2));
    }
    *n = (size_t)rows;
    PQclear(res);
    return SY_OK;
}
