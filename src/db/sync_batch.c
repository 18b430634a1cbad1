/*
 * db/sync_batch.c -- /sync's reads for many rooms in one statement each
 * (see db/sync_batch.h).
 *
 * The per-room lists go in as parallel arrays and come back through
 * unnest(...) WITH ORDINALITY: every answer row starts with the 1-based
 * index of the entry it belongs to, and rows are ordered by it, so each
 * entry's rows are one run of the result (batch_run below splits them).
 *
 * Event columns and their decoding are db/events.c's (SY_DB_EVENT_COLS,
 * sy_db_event_row).  The push counts, receipts and room account data
 * statements here are the only copies: the one-room reads
 * (sy_db_push_unread, sy_db_account_data_range) pass a one-room list.
 * The state and member statements answer as their one-room counterparts
 * in db/state.c and db/rooms.c do; keep those in step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/account_data.h"
#include "db/events.h"
#include "db/internal.h"
#include "db/receipts.h"
#include "db/state.h"
#include "db/sync_batch.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/map.h"

/* The columns sync reads of an event: no pdu_json, sync never sends it. */
#define SYNC_EVENT_COLS SY_DB_EVENT_COLS("NULL::text")

const struct sy_stmt sy_db_sync_batch_stmts[] = {
    {"sync_batch_ranges",
     "SELECT q.i, e.* FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[]) "
     "WITH ORDINALITY AS q(room_id, lo, hi, lim, i) CROSS JOIN LATERAL ("
     "SELECT " SYNC_EVENT_COLS " FROM events WHERE events.room_id = q.room_id "
     "AND events.stream_ordering > q.lo AND events.stream_ordering <= q.hi "
     "AND events.rejected IS NULL ORDER BY events.stream_ordering DESC LIMIT q.lim) e "
     "ORDER BY q.i, e.stream_ordering DESC"},
    {"sync_batch_groups_at",
     "SELECT q.i, coalesce((SELECT coalesce(e.state_after, 0) FROM events e "
     "WHERE e.room_id = q.room_id AND e.stream_ordering <= q.pos AND e.rejected IS NULL "
     "ORDER BY e.stream_ordering DESC LIMIT 1), 0) "
     "FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS q(room_id, pos, i) ORDER BY q.i"},
    /*
     * state_group_resolve for many groups: each chain keeps its root, and
     * every entry of every chain comes back with its distance from the
     * root; the nearest wins, picked in C (no sort of all the rows here).
     */
    {"sync_batch_state_resolve",
     "WITH RECURSIVE chain(root, id, prev, n) AS ("
     "  SELECT id, id, prev_group, 0 FROM state_groups WHERE id = ANY($1::bigint[])"
     "  UNION ALL SELECT c.root, g.id, g.prev_group, c.n + 1 FROM chain c "
     "  JOIN state_groups g ON g.id = c.prev) "
     "SELECT c.root, c.n, s.type, s.state_key, s.event_id "
     "FROM chain c JOIN state_group_entries s ON s.group_id = c.id"},
    /* A join on unnest, not "= ANY": many IDs must not turn into a scan of every event. */
    {"sync_batch_events_get",
     "SELECT " SYNC_EVENT_COLS " FROM (SELECT DISTINCT id FROM unnest($1::text[]) AS u(id)) q "
     "JOIN events ON events.event_id = q.id "
     "ORDER BY events.room_id, events.type, events.state_key, events.stream_ordering"},
    {"sync_batch_counts",
     "SELECT q.i, c.j, c.v FROM unnest($1::text[]) WITH ORDINALITY AS q(room_id, i) "
     "CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE membership = 'join') AS j, "
     "count(*) FILTER (WHERE membership = 'invite') AS v FROM current_state "
     "WHERE room_id = q.room_id AND type = 'm.room.member') c ORDER BY q.i"},
    {"sync_batch_heroes",
     "SELECT q.i, h.state_key FROM unnest($1::text[]) WITH ORDINALITY AS q(room_id, i) "
     "CROSS JOIN LATERAL (SELECT state_key FROM current_state WHERE room_id = q.room_id "
     "AND type = 'm.room.member' AND membership IN ('join', 'invite') AND state_key <> $2 "
     "ORDER BY state_key LIMIT 5) h ORDER BY q.i, h.state_key"},
    {"sync_batch_push_unread",
     "SELECT q.i, coalesce(c.notify, 0), coalesce(c.highlight, 0) "
     "FROM unnest($2::text[]) WITH ORDINALITY AS q(room_id, i) "
     "LEFT JOIN push_counts c ON c.user_id = $1 AND c.room_id = q.room_id ORDER BY q.i"},
    {"sync_batch_receipts",
     "SELECT q.i, x.room_id, x.receipt_type, x.user_id, x.thread_id, x.event_id, x.ts, "
     "x.stream_pos FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS q(room_id, lo, i) "
     "JOIN receipts x ON x.room_id = q.room_id AND x.stream_pos > q.lo AND x.stream_pos <= $3 "
     "ORDER BY q.i, x.stream_pos"},
    {"sync_batch_room_account_data",
     "SELECT q.i, d.room_id, d.type, d.content, d.stream_pos "
     "FROM unnest($2::text[], $3::bigint[]) WITH ORDINALITY AS q(room_id, lo, i) "
     "JOIN account_data d ON d.user_id = $1 AND d.room_id = q.room_id "
     "AND d.stream_pos > q.lo AND d.stream_pos <= $4 ORDER BY q.i, d.stream_pos"},
    {"sync_batch_current_state_types",
     "SELECT q.i, cs.event_id FROM unnest($1::text[]) WITH ORDINALITY AS q(room_id, i) "
     "JOIN current_state cs ON cs.room_id = q.room_id AND cs.type = ANY($2::text[]) "
     "AND cs.state_key = '' ORDER BY q.i, cs.type"},
    {"sync_batch_forgotten", "SELECT room_id FROM room_forgotten WHERE user_id = $1"},
    /* state_group_lookup for many (group, type, state_key): one walk of all the chains. */
    {"sync_batch_state_lookup",
     "WITH RECURSIVE q(g, t, k, i) AS ("
     "  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]) WITH ORDINALITY), "
     "chain(root, id, prev, n) AS ("
     "  SELECT id, id, prev_group, 0 FROM state_groups WHERE id IN (SELECT g FROM q)"
     "  UNION ALL SELECT c.root, g.id, g.prev_group, c.n + 1 FROM chain c "
     "  JOIN state_groups g ON g.id = c.prev) "
     "SELECT DISTINCT ON (q.i) q.i, s.event_id FROM q JOIN chain c ON c.root = q.g "
     "JOIN state_group_entries s ON s.group_id = c.id AND s.type = q.t AND s.state_key = q.k "
     "ORDER BY q.i, c.n"},
    {"sync_batch_memberships",
     "SELECT q.i, cs.membership, cs.event_id FROM unnest($1::text[]) WITH ORDINALITY "
     "AS q(room_id, i) JOIN current_state cs ON cs.room_id = q.room_id "
     "AND cs.type = 'm.room.member' AND cs.state_key = $2 ORDER BY q.i"},
    {NULL, NULL},
};

/* A PostgreSQL bigint[] literal of v[0..n), in 'a'. */
static const char *
int_array(struct sy_arena *a, const int64_t *v, size_t n)
{
    struct sy_db_array x;

    sy_db_array_init(&x);
    for (size_t i = 0; i < n; i++)
        sy_db_array_int(&x, v[i]);
    return sy_db_array_finish(&x, a);
}

static const char *
size_array(struct sy_arena *a, const size_t *v, size_t n)
{
    int64_t *w = sy_arena_alloc(a, sizeof(*w) * (n + 1));

    for (size_t i = 0; i < n; i++)
        w[i] = (int64_t)v[i];
    return int_array(a, w, n);
}

static int64_t
int_val(PGresult *res, int r, int c)
{
    return strtoll(PQgetvalue(res, r, c), NULL, 10);
}

static const char *
dup_val(struct sy_arena *a, PGresult *res, int r, int c)
{
    return sy_arena_strdup(a, sy_db_val(res, r, c));
}

/*
 * The answer of a batched statement, split by entry: entry i's rows are
 * res rows first[i] .. first[i] + count[i] - 1.
 */
struct batch {
    PGresult *res; /* NULL when there were no entries (PQclear(NULL) does nothing) */
    size_t *first;
    size_t *count;
};

/*
 * Run 'stmt' for n entries and split its rows: column 0 of a row holds the
 * 1-based index of its entry, and rows ascend by it.  0 (the caller
 * PQclear()s b->res), or the error.  With n == 0 nothing runs.
 */
static int
batch_run(struct sy_db *db, struct sy_arena *a, const char *stmt, int n_params,
          const char *const *p, size_t n, struct batch *b, struct sy_error *err)
{
    b->res = NULL;
    b->first = sy_arena_alloc(a, sizeof(size_t) * (n + 1));
    b->count = sy_arena_alloc(a, sizeof(size_t) * (n + 1));
    if (n == 0)
        return SY_OK;
    if ((b->res = sy_db_exec(db, stmt, n_params, p, err)) == NULL)
        return err->code;
    for (int r = 0; r < PQntuples(b->res); r++) {
        long long i = int_val(b->res, r, 0) - 1;

        if (i < 0 || (size_t)i >= n)
            continue;
        if (b->count[i]++ == 0)
            b->first[i] = (size_t)r;
    }
    return SY_OK;
}

/* The row of entry i's k-th answer. */
static int
batch_row(const struct batch *b, size_t i, size_t k)
{
    return (int)(b->first[i] + k);
}

/* Column c of entry i's first row as a number; 0 when the entry has none. */
static int64_t
batch_int(const struct batch *b, size_t i, int c)
{
    return b->count[i] > 0 ? int_val(b->res, batch_row(b, i, 0), c) : 0;
}

/* Column c of entry i's first row, in 'a'; NULL when the entry has none. */
static const char *
batch_str(struct sy_arena *a, const struct batch *b, size_t i, int c)
{
    return b->count[i] > 0 ? dup_val(a, b->res, batch_row(b, i, 0), c) : NULL;
}

/* For each of the n entries: column c of its rows, as out[i] / n_out[i] in 'a'. */
static void
batch_strings(struct sy_arena *a, const struct batch *b, size_t n, int c, const char ***out,
              size_t *n_out)
{
    for (size_t i = 0; i < n; i++) {
        n_out[i] = b->count[i];
        out[i] = sy_arena_alloc(a, sizeof(char *) * (n_out[i] + 1));
        for (size_t k = 0; k < n_out[i]; k++)
            out[i][k] = dup_val(a, b->res, batch_row(b, i, k), c);
    }
}

int
sy_db_batch_ranges(struct sy_db *db, struct sy_arena *a, const char *const *rooms,
                   const int64_t *after, const int64_t *upto, const size_t *limit, size_t n,
                   struct sy_db_event **rows, size_t *n_rows, struct sy_error *err)
{
    const char *p[4] = {sy_db_text_array(a, rooms, n), int_array(a, after, n),
                        int_array(a, upto, n), size_array(a, limit, n)};
    struct batch b;

    if (batch_run(db, a, "sync_batch_ranges", 4, p, n, &b, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n; i++) {
        n_rows[i] = b.count[i];
        rows[i] = sy_arena_alloc(a, sizeof(**rows) * (n_rows[i] + 1));
        for (size_t k = 0; k < n_rows[i]; k++)
            sy_db_event_row(a, b.res, batch_row(&b, i, k), 1, &rows[i][k]);
    }
    PQclear(b.res);
    return SY_OK;
}

int
sy_db_batch_groups_at(struct sy_db *db, struct sy_arena *a, const char *const *rooms,
                      const int64_t *pos, size_t n, int64_t *groups, struct sy_error *err)
{
    const char *p[2] = {sy_db_text_array(a, rooms, n), int_array(a, pos, n)};
    struct batch b;

    if (batch_run(db, a, "sync_batch_groups_at", 2, p, n, &b, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n; i++)
        groups[i] = batch_int(&b, i, 1);
    PQclear(b.res);
    return SY_OK;
}

/* One group being resolved: its nearest entry per (type, state_key). */
struct resolving {
    struct sy_map *nearest; /* "<type length>:<type><state_key>" -> struct chain_entry */
    size_t count;
};

struct chain_entry {
    long n; /* the entry's group's distance from the root */
    struct sy_db_state_row row;
};

/* Take row r of a batched resolve into its group. */
static void
resolve_row(struct sy_arena *a, PGresult *res, int r, struct sy_map *groups)
{
    const char *root = PQgetvalue(res, r, 0), *type = PQgetvalue(res, r, 2);
    const char *state_key = PQgetvalue(res, r, 3), *key;
    long n = strtol(PQgetvalue(res, r, 1), NULL, 10);
    struct resolving *g = sy_map_get(groups, root);
    struct chain_entry *e;

    if (g == NULL) {
        g = sy_arena_alloc(a, sizeof(*g));
        g->nearest = sy_map_new(a, 16);
        g->count = 0;
        sy_map_set(groups, root, g);
    }
    key = sy_arena_printf(a, "%zu:%s%s", strlen(type), type, state_key);
    if ((e = sy_map_get(g->nearest, key)) == NULL) {
        e = sy_arena_alloc(a, sizeof(*e));
        e->n = n;
        e->row.type = sy_arena_strdup(a, type);
        e->row.state_key = sy_arena_strdup(a, state_key);
        e->row.event_id = dup_val(a, res, r, 4);
        sy_map_set(g->nearest, key, e);
        g->count++;
    } else if (n < e->n) {
        e->n = n;
        e->row.event_id = dup_val(a, res, r, 4);
    }
}

int
sy_db_batch_state_resolve(struct sy_db *db, struct sy_arena *a, const int64_t *groups, size_t n,
                          struct sy_db_state_row **rows, size_t *n_rows, struct sy_error *err)
{
    struct sy_map *resolving = sy_map_new(a, n + 1); /* "<group>" -> struct resolving */
    PGresult *res;
    const char *p;

    if (n == 0)
        return SY_OK;
    p = int_array(a, groups, n);
    if ((res = sy_db_exec(db, "sync_batch_state_resolve", 1, &p, err)) == NULL)
        return err->code;
    for (int r = 0; r < PQntuples(res); r++)
        resolve_row(a, res, r, resolving);
    PQclear(res);
    for (size_t i = 0; i < n; i++) {
        char key[24];
        const struct resolving *g;
        size_t iter = 0;
        void *v;

        snprintf(key, sizeof(key), "%lld", (long long)groups[i]);
        g = sy_map_get(resolving, key);
        rows[i] = sy_arena_alloc(a, sizeof(**rows) * ((g ? g->count : 0) + 1));
        n_rows[i] = 0;
        while (g != NULL && sy_map_next(g->nearest, &iter, NULL, &v))
            rows[i][n_rows[i]++] = ((const struct chain_entry *)v)->row;
    }
    return SY_OK;
}

int
sy_db_batch_events_get(struct sy_db *db, struct sy_arena *a, const char *const *ids, size_t n,
                       struct sy_db_event **out, size_t *n_out, struct sy_error *err)
{
    const char *p;
    PGresult *res;

    *out = NULL;
    *n_out = 0;
    if (n == 0)
        return SY_OK;
    p = sy_db_text_array(a, ids, n);
    if ((res = sy_db_exec(db, "sync_batch_events_get", 1, &p, err)) == NULL)
        return err->code;
    sy_db_event_rows(a, res, out, n_out);
    PQclear(res);
    return SY_OK;
}

int
sy_db_batch_summaries(struct sy_db *db, struct sy_arena *a, const char *const *rooms, size_t n,
                      const char *user_id, int64_t *joined, int64_t *invited, const char ***heroes,
                      size_t *n_heroes, struct sy_error *err)
{
    const char *p[2] = {sy_db_text_array(a, rooms, n), user_id};
    struct batch b;

    if (batch_run(db, a, "sync_batch_counts", 1, p, n, &b, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n; i++) {
        joined[i] = batch_int(&b, i, 1);
        invited[i] = batch_int(&b, i, 2);
    }
    PQclear(b.res);
    if (batch_run(db, a, "sync_batch_heroes", 2, p, n, &b, err) != SY_OK)
        return err->code;
    batch_strings(a, &b, n, 1, heroes, n_heroes);
    PQclear(b.res);
    return SY_OK;
}

/* sy_db_push_unread (db/push.c) is this for one room. */
int
sy_db_batch_push_unread(struct sy_db *db, const char *user_id, const char *const *rooms, size_t n,
                        int64_t *notes, int64_t *highlights, struct sy_error *err)
{
    struct sy_arena *a = sy_arena_new();
    const char *p[2] = {user_id, sy_db_text_array(a, rooms, n)};
    struct batch b;
    int rc = batch_run(db, a, "sync_batch_push_unread", 2, p, n, &b, err);

    for (size_t i = 0; rc == SY_OK && i < n; i++) {
        notes[i] = batch_int(&b, i, 1);
        highlights[i] = batch_int(&b, i, 2);
    }
    PQclear(b.res);
    sy_arena_free(a);
    return rc;
}

int
sy_db_batch_receipts(struct sy_db *db, struct sy_arena *a, const char *const *rooms,
                     const int64_t *from, size_t n, int64_t to, struct sy_db_receipt **rows,
                     size_t *n_rows, struct sy_error *err)
{
    char t[24];
    const char *p[3] = {sy_db_text_array(a, rooms, n), int_array(a, from, n), t};
    struct batch b;

    snprintf(t, sizeof(t), "%lld", (long long)to);
    if (batch_run(db, a, "sync_batch_receipts", 3, p, n, &b, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n; i++) {
        n_rows[i] = b.count[i];
        rows[i] = sy_arena_alloc(a, sizeof(**rows) * (n_rows[i] + 1));
        for (size_t k = 0; k < n_rows[i]; k++) {
            struct sy_db_receipt *r = &rows[i][k];
            int row = batch_row(&b, i, k);

            r->room_id = dup_val(a, b.res, row, 1);
            r->receipt_type = dup_val(a, b.res, row, 2);
            r->user_id = dup_val(a, b.res, row, 3);
            r->thread_id = dup_val(a, b.res, row, 4);
            r->event_id = dup_val(a, b.res, row, 5);
            r->ts = int_val(b.res, row, 6);
            r->stream_pos = int_val(b.res, row, 7);
        }
    }
    PQclear(b.res);
    return SY_OK;
}

/* sy_db_account_data_range (db/account_data.c) is this for one room. */
int
sy_db_batch_room_account_data(struct sy_db *db, struct sy_arena *a, const char *user_id,
                              const char *const *rooms, const int64_t *from, size_t n, int64_t to,
                              struct sy_db_account_data **rows, size_t *n_rows,
                              struct sy_error *err)
{
    char t[24];
    const char *p[4] = {user_id, sy_db_text_array(a, rooms, n), int_array(a, from, n), t};
    struct batch b;

    snprintf(t, sizeof(t), "%lld", (long long)to);
    if (batch_run(db, a, "sync_batch_room_account_data", 4, p, n, &b, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n; i++) {
        n_rows[i] = b.count[i];
        rows[i] = sy_arena_alloc(a, sizeof(**rows) * (n_rows[i] + 1));
        for (size_t k = 0; k < n_rows[i]; k++) {
            struct sy_db_account_data *d = &rows[i][k];
            int row = batch_row(&b, i, k);

            d->room_id = dup_val(a, b.res, row, 1);
            d->type = dup_val(a, b.res, row, 2);
            d->content = dup_val(a, b.res, row, 3);
            d->stream_pos = int_val(b.res, row, 4);
        }
    }
    PQclear(b.res);
    return SY_OK;
}

int
sy_db_batch_current_state_types(struct sy_db *db, struct sy_arena *a, const char *const *rooms,
                                size_t n, const char *const *types, size_t n_types,
                                const char ***ids, size_t *n_ids, struct sy_error *err)
{
    const char *p[2] = {sy_db_text_array(a, rooms, n), sy_db_text_array(a, types, n_types)};
    struct batch b;

    if (batch_run(db, a, "sync_batch_current_state_types", 2, p, n, &b, err) != SY_OK)
        return err->code;
    batch_strings(a, &b, n, 1, ids, n_ids);
    PQclear(b.res);
    return SY_OK;
}

int
sy_db_batch_forgotten(struct sy_db *db, struct sy_arena *a, const char *user_id,
                      const char ***rooms, size_t *n, struct sy_error *err)
{
    return sy_db_strings(db, a, "sync_batch_forgotten", 1, &user_id, rooms, n, err);
}

int
sy_db_batch_state_lookup(struct sy_db *db, struct sy_arena *a, const int64_t *groups,
                         const char *const *types, const char *const *keys, size_t n,
                         const char **event_ids, struct sy_error *err)
{
    const char *p[3] = {int_array(a, groups, n), sy_db_text_array(a, types, n),
                        sy_db_text_array(a, keys, n)};
    struct batch b;

    if (batch_run(db, a, "sync_batch_state_lookup", 3, p, n, &b, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n; i++)
        event_ids[i] = batch_str(a, &b, i, 1);
    PQclear(b.res);
    return SY_OK;
}

int
sy_db_batch_memberships(struct sy_db *db, struct sy_arena *a, const char *const *rooms, size_t n,
                        const char *user_id, const char **memberships, const char **event_ids,
                        struct sy_error *err)
{
    const char *p[2] = {sy_db_text_array(a, rooms, n), user_id};
    struct batch b;

    if (batch_run(db, a, "sync_batch_memberships", 2, p, n, &b, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n; i++) {
        memberships[i] = batch_str(a, &b, i, 1);
        event_ids[i] = batch_str(a, &b, i, 2);
    }
    PQclear(b.res);
    return SY_OK;
}
