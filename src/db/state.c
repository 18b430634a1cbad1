/*
 * db/state.c -- state groups and current state.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db/internal.h"
#include "db/state.h"
#include "util/arena.h"
#include "util/err.h"

/* Walk a group's chain back to its snapshot; the nearest entry for a key wins. */
#define CHAIN_CTE                                                                                  \
    "WITH RECURSIVE chain(id, prev, n) AS ("                                                       \
    "  SELECT id, prev_group, 0 FROM state_groups WHERE id = $1"                                   \
    "  UNION ALL SELECT g.id, g.prev_group, c.n + 1 FROM state_groups g "                          \
    "  JOIN chain c ON g.id = c.prev) "

const struct sy_stmt sy_db_state_stmts[] = {
    {"state_group_chain", "SELECT chain_len FROM state_groups WHERE id = $1"},
    {"state_group_new", "INSERT INTO state_groups (room_id, prev_group, chain_len) "
                        "VALUES ($1, nullif($2, '0')::bigint, $3) RETURNING id"},
    {"state_group_entries", "INSERT INTO state_group_entries (group_id, type, state_key, "
                            "event_id) SELECT $1, t, k, e FROM unnest($2::text[], $3::text[], "
                            "$4::text[]) AS x(t, k, e)"},
    {"state_group_resolve",
     CHAIN_CTE "SELECT DISTINCT ON (s.type, s.state_key) s.type, s.state_key, s.event_id "
               "FROM chain c JOIN state_group_entries s ON s.group_id = c.id "
               "ORDER BY s.type, s.state_key, c.n"},
    {"state_group_lookup",
     CHAIN_CTE "SELECT s.event_id FROM chain c JOIN state_group_entries s ON s.group_id = c.id "
               "WHERE s.type = $2 AND s.state_key = $3 ORDER BY c.n LIMIT 1"},
    {"current_state_set",
     "INSERT INTO current_state (room_id, type, state_key, event_id, membership) "
     "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (room_id, type, state_key) DO UPDATE "
     "SET event_id = EXCLUDED.event_id, membership = EXCLUDED.membership"},
    {"current_state_all", "SELECT type, state_key, event_id FROM current_state "
                          "WHERE room_id = $1 ORDER BY type, state_key"},
    {"current_state_get", "SELECT event_id FROM current_state WHERE room_id = $1 "
                          "AND type = $2 AND state_key = $3"},
    {"current_membership", "SELECT membership, event_id FROM current_state WHERE room_id = $1 "
                           "AND type = 'm.room.member' AND state_key = $2"},
    {"rooms_for_user", "SELECT room_id FROM current_state WHERE type = 'm.room.member' "
                       "AND state_key = $1 AND membership = $2 ORDER BY room_id"},
    {"was_joined", "SELECT 1 FROM events WHERE room_id = $1 AND type = 'm.room.member' "
                   "AND state_key = $2 AND rejected IS NULL "
                   "AND membership = 'join' "
                   "AND ($3::bigint = 0 OR stream_ordering < $3::bigint) LIMIT 1"},
    {"user_memberships", "SELECT cs.room_id, cs.membership, cs.event_id, e.stream_ordering "
                         "FROM current_state cs JOIN events e ON e.event_id = cs.event_id "
                         "WHERE cs.type = 'm.room.member' AND cs.state_key = $1 "
                         "ORDER BY cs.room_id"},
    {"member_counts", "SELECT count(*) FILTER (WHERE membership = 'join'), "
                      "count(*) FILTER (WHERE membership = 'invite') FROM current_state "
                      "WHERE room_id = $1 AND type = 'm.room.member'"},
    {"member_heroes", "SELECT state_key FROM current_state WHERE room_id = $1 "
                      "AND type = 'm.room.member' AND membership IN ('join', 'invite') "
                      "AND state_key <> $2 ORDER BY state_key LIMIT 5"},
    {NULL, NULL},
};

static void
read_rows(struct sy_arena *a, PGresult *res, struct sy_db_state_row **rows, size_t *n)
{
    int count = PQntuples(res);

    *rows = sy_arena_alloc(a, sizeof(**rows) * (size_t)(count ? count : 1));
    for (int r = 0; r < count; r++) {
        (*rows)[r].type = sy_arena_strdup(a, PQgetvalue(res, r, 0));
        (*rows)[r].state_key = sy_arena_strdup(a, PQgetvalue(res, r, 1));
        (*rows)[r].event_id = sy_arena_strdup(a, PQgetvalue(res, r, 2));
    }
    *n = (size_t)count;
}

int
sy_db_state_group_chain(struct sy_db *db, int64_t group, int *chain_len, struct sy_error *err)
{
    char g[24];
    const char *p[1] = {g};
    PGresult *res;
    int rc = SY_OK;

    snprintf(g, sizeof(g), "%lld", (long long)group);
    if ((res = sy_db_exec(db, "state_group_chain", 1, p, err)) == NULL)
        return err->code;
    if (PQntuples(res) == 0)
        rc = sy_err_notfound(err, "unknown state group");
    else
        *chain_len = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}

/* Three parallel text[] literals for unnest(). */
static void
row_arrays(struct sy_arena *a, const struct sy_db_state_row *rows, size_t n, const char **types,
           const char **keys, const char **ids)
{
    const char **t = sy_arena_alloc(a, sizeof(char *) * (n + 1));
    const char **k = sy_arena_alloc(a, sizeof(char *) * (n + 1));
    const char **e = sy_arena_alloc(a, sizeof(char *) * (n + 1));

    for (size_t i = 0; i < n; i++)
        t[i] = rows[i].type, k[i] = rows[i].state_key, e[i] = rows[i].event_id;
    *types = sy_db_text_array(a, t, n);
    *keys = sy_db_text_array(a, k, n);
    *ids = sy_db_text_array(a, e, n);
}

int
sy_db_state_group_new(struct sy_db *db, const char *room_id, int64_t prev_group, int chain_len,
                      const struct sy_db_state_row *rows, size_t n, int64_t *group,
                      struct sy_error *err)
{
    char prev[24], len[16], id[24];
    const char *p[3] = {room_id, prev, len};
    struct sy_arena *a;
    PGresult *res;
    int rc = SY_OK;

    snprintf(prev, sizeof(prev), "%lld", (long long)prev_group);
    snprintf(len, sizeof(len), "%d", chain_len);
    if ((res = sy_db_exec(db, "state_group_new", 3, p, err)) == NULL)
        return err->code;
    *group = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    if (n == 0)
        return SY_OK;
    a = sy_arena_new();
    snprintf(id, sizeof(id), "%lld", (long long)*group);
    {
        const char *q[4] = {id, NULL, NULL, NULL};

        row_arrays(a, rows, n, &q[1], &q[2], &q[3]);
        rc = sy_db_run(db, "state_group_entries", 4, q, NULL, err);
    }
    sy_arena_free(a);
    return rc;
}

int
sy_db_state_group_resolve(struct sy_db *db, struct sy_arena *a, int64_t group,
                          struct sy_db_state_row **rows, size_t *n, struct sy_error *err)
{
    char g[24];
    const char *p[1] = {g};
    PGresult *res;

    snprintf(g, sizeof(g), "%lld", (long long)group);
    if ((res = sy_db_exec(db, "state_group_resolve", 1, p, err)) == NULL)
        return err->code;
    read_rows(a, res, rows, n);
    PQclear(res);
    return SY_OK;
}

int
sy_db_state_group_lookup(struct sy_db *db, struct sy_arena *a, int64_t group, const char *type,
                         const char *state_key, const char **event_id, struct sy_error *err)
{
    char g[24];
    const char *p[3] = {g, type, state_key};
    PGresult *res;

    snprintf(g, sizeof(g), "%lld", (long long)group);
    if ((res = sy_db_exec(db, "state_group_lookup", 3, p, err)) == NULL)
        return err->code;
    *event_id = PQntuples(res) ? sy_arena_strdup(a, PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    return SY_OK;
}

int
sy_db_current_state_set(struct sy_db *db, const char *room_id, const char *type,
                        const char *state_key, const char *event_id, const char *membership,
                        struct sy_error *err)
{
    const char *p[5] = {room_id, type, state_key, event_id, membership};

    return sy_db_run(db, "current_state_set", 5, p, NULL, err);
}

int
sy_db_current_state(struct sy_db *db, struct sy_arena *a, const char *room_id,
                    struct sy_db_state_row **rows, size_t *n, struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, "current_state_all", 1, &room_id, err);

    if (res == NULL)
        return err->code;
    read_rows(a, res, rows, n);
    PQclear(res);
    return SY_OK;
}

int
sy_db_current_state_get(struct sy_db *db, struct sy_arena *a, const char *room_id,
                        const char *type, const char *state_key, const char **event_id,
                        struct sy_error *err)
{
    const char *p[3] = {room_id, type, state_key};
    PGresult *res = sy_db_exec(db, "current_state_get", 3, p, err);

    if (res == NULL)
        return err->code;
    *event_id = PQntuples(res) ? sy_arena_strdup(a, PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    return SY_OK;
}

int
sy_db_membership(struct sy_db *db, struct sy_arena *a, const char *room_id, const char *user_id,
                 const char **membership, const char **event_id, struct sy_error *err)
{
    const char *p[2] = {room_id, user_id};
    PGresult *res = sy_db_exec(db, "current_membership", 2, p, err);

    if (res == NULL)
        return err->code;
    *membership = NULL;
    if (event_id != NULL)
        *event_id = NULL;
    if (PQntuples(res) > 0) {
        *membership = sy_arena_strdup(a, sy_db_val(res, 0, 0));
        if (event_id != NULL)
            *event_id = sy_arena_strdup(a, PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return SY_OK;
}

int
sy_db_rooms_for_user(struct sy_db *db, struct sy_arena *a, const char *user_id,
                     const char *membership, const char ***rooms, size_t *n, struct sy_error *err)
{
    const char *p[2] = {user_id, membership};

    return sy_db_strings(db, a, "rooms_for_user", 2, p, rooms, n, err);
}

int
sy_db_was_joined(struct sy_db *db, const char *room_id, const char *user_id, int64_t before,
                 struct sy_error *err)
{
    char b[24];
    const char *p[3] = {room_id, user_id, b};
    PGresult *res;
    int found;

    snprintf(b, sizeof(b), "%lld", (long long)before);
    if ((res = sy_db_exec(db, "was_joined", 3, p, err)) == NULL)
        return err->code;
    found = PQntuples(res) > 0;
    PQclear(res);
    return found;
}

int
sy_db_user_memberships(struct sy_db *db, struct sy_arena *a, const char *user_id,
                       struct sy_db_membership **out, size_t *n, struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, "user_memberships", 1, &user_id, err);
    int rows;

    if (res == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(**out) * (size_t)(rows ? rows : 1));
    for (int r = 0; r < rows; r++) {
        (*out)[r].room_id = sy_arena_strdup(a, PQgetvalue(res, r, 0));
        (*out)[r].membership = sy_arena_strdup(a, sy_db_val(res, r, 1));
        (*out)[r].event_id = sy_arena_strdup(a, PQgetvalue(res, r, 2));
        (*out)[r].stream_ordering = strtoll(PQgetvalue(res, r, 3), NULL, 10);
    }
    *n = (size_t)rows;
    PQclear(res);
    return SY_OK;
}

int
sy_db_member_counts(struct sy_db *db, const char *room_id, int64_t *joined, int64_t *invited,
                    struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, "member_counts", 1, &room_id, err);

    if (res == NULL)
        return err->code;
    *joined = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    *invited = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    PQclear(res);
    return SY_OK;
}

int
sy_db_member_heroes(struct sy_db *db, struct sy_arena *a, const char *room_id,
                    const char *user_id, const char ***heroes, size_t *n, struct sy_error *err)
{
    const char *p[2] = {room_id, user_id};

    return sy_db_strings(db, a, "member_heroes", 2, p, heroes, n, err);
}
