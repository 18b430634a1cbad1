/*
 * db/events.c -- stored events, edges, extremities, stream positions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/events.h"
#include "db/internal.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"

#define EVENT_COLS SY_DB_EVENT_COLS("events.pdu_json")

const struct sy_stmt sy_db_events_stmts[] = {
    {"events_insert",
     "INSERT INTO events (stream_ordering, event_id, room_id, type, state_key, sender, depth, "
     "origin_server_ts, pdu_json, client_json, redacts, state_before, state_after, rejected, "
     "txn_user, txn_device, txn_id, search_vector, membership, txn_kind) "
     "SELECT so, eid, rid, ty, sk, se, dp, ts, pdu, cj, rd, nullif(sb, 0), nullif(sa, 0), rj, "
     "tu, td, ti, CASE WHEN st IS NULL THEN NULL ELSE to_tsvector('simple', st) END, mb, tk "
     "FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], "
     "$7::bigint[], $8::bigint[], $9::text[], $10::text[], $11::text[], $12::bigint[], "
     "$13::bigint[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], "
     "$19::text[], $20::text[]) AS t(so, eid, rid, ty, sk, se, dp, ts, pdu, cj, rd, sb, sa, rj, "
     "tu, td, ti, st, mb, tk)"},
    {"events_get", "SELECT " EVENT_COLS " FROM events WHERE event_id = $1"},
    {"events_get_many", "SELECT " EVENT_COLS " FROM events WHERE event_id = ANY($1::text[]) "
                        "ORDER BY type, state_key, stream_ordering"},
    {"events_range", "SELECT " EVENT_COLS " FROM events WHERE room_id = $1 "
                     "AND stream_ordering > $2 AND stream_ordering <= $3 AND rejected IS NULL "
                     "ORDER BY stream_ordering DESC LIMIT $4"},
    {"events_range_fwd", "SELECT " EVENT_COLS " FROM events WHERE room_id = $1 "
                         "AND stream_ordering > $2 AND stream_ordering <= $3 AND rejected IS NULL "
                         "ORDER BY stream_ordering ASC LIMIT $4"},
    {"events_rooms_changed", "SELECT DISTINCT room_id FROM events WHERE stream_ordering > $1 "
                             "AND stream_ordering <= $2 AND rejected IS NULL "
                             "AND room_id = ANY($3::text[])"},
    {"events_at_or_before", "SELECT " EVENT_COLS " FROM events WHERE room_id = $1 "
                            "AND stream_ordering <= $2 AND rejected IS NULL "
                            "ORDER BY stream_ordering DESC LIMIT 1"},
    {"events_by_txn", "SELECT event_id FROM events WHERE txn_user = $1 AND txn_device = $2 "
                      "AND room_id = $3 AND txn_kind = $4 AND txn_id = $5"},
    {"events_by_txn_many",
     "SELECT t.i, e.event_id FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], "
     "$5::text[]) WITH ORDINALITY AS t(u, d, r, k, x, i) JOIN events e ON e.txn_user = t.u "
     "AND e.txn_device = t.d AND e.room_id = t.r AND e.txn_kind = t.k AND e.txn_id = t.x "
     "AND e.txn_id IS NOT NULL"},
    {"events_set_redacted", "UPDATE events SET redacted_by = $2, client_json = $3, "
                            "search_vector = NULL WHERE event_id = $1"},
    {"events_extremities_many",
     "SELECT r.room_id, x.e, x.d FROM room_extremities r "
     "CROSS JOIN LATERAL unnest(r.event_ids[1:20], r.depths[1:20]) WITH ORDINALITY AS x(e, d, i) "
     "WHERE r.room_id = ANY($1::text[]) ORDER BY r.room_id, x.i"},
    {"events_extremities_replace",
     "INSERT INTO room_extremities (room_id, event_ids, depths) "
     "SELECT r, ARRAY[e], ARRAY[d] FROM unnest($1::text[], $2::text[], $3::bigint[]) AS t(r, e, d) "
     "ON CONFLICT (room_id) DO UPDATE SET event_ids = EXCLUDED.event_ids, "
     "depths = EXCLUDED.depths"},
    /* The kept extremities not named by prev ($2), and the new event. */
    {"events_extremities_advance",
     "INSERT INTO room_extremities (room_id, event_ids, depths) "
     "SELECT $1, array_agg(e ORDER BY d DESC, e), array_agg(d ORDER BY d DESC, e) FROM ("
     "SELECT x.e, x.d FROM room_extremities r "
     "CROSS JOIN LATERAL unnest(r.event_ids, r.depths) AS x(e, d) "
     "WHERE r.room_id = $1 AND x.e <> ALL($2::text[]) AND x.e <> $3 "
     "UNION ALL SELECT $3, $4::bigint) s "
     "ON CONFLICT (room_id) DO UPDATE SET event_ids = EXCLUDED.event_ids, "
     "depths = EXCLUDED.depths"},
    {NULL, NULL},
};

void
sy_db_events_insert_call(struct sy_arena *a, const struct sy_db_event *rows, size_t n,
                         struct sy_db_call *out)
{
    struct sy_db_array col[20];
    const char **p;

    *out = (struct sy_db_call){NULL, 0, NULL};
    if (n == 0)
        return;
    p = sy_arena_alloc(a, sizeof(*p) * 20);
    for (int c = 0; c < 20; c++)
        sy_db_array_init(&col[c]);
    for (size_t i = 0; i < n; i++) {
        const struct sy_db_event *ev = &rows[i];

        sy_db_array_int(&col[0], ev->stream_ordering);
        sy_db_array_text(&col[1], ev->event_id);
        sy_db_array_text(&col[2], ev->room_id);
        sy_db_array_text(&col[3], ev->type);
        sy_db_array_text(&col[4], ev->state_key);
        sy_db_array_text(&col[5], ev->sender);
        sy_db_array_int(&col[6], ev->depth);
        sy_db_array_int(&col[7], ev->origin_server_ts);
        sy_db_array_text(&col[8], ev->pdu_json);
        sy_db_array_text(&col[9], ev->client_json);
        sy_db_array_text(&col[10], ev->redacts);
        sy_db_array_int(&col[11], ev->state_before);
        sy_db_array_int(&col[12], ev->state_after);
        sy_db_array_text(&col[13], ev->rejected);
        sy_db_array_text(&col[14], ev->txn_user);
        sy_db_array_text(&col[15], ev->txn_device);
        sy_db_array_text(&col[16], ev->txn_id);
        sy_db_array_text(&col[17], ev->search_text);
        sy_db_array_text(&col[18], ev->membership);
        sy_db_array_text(&col[19], ev->txn_kind);
    }
    for (int c = 0; c < 20; c++)
        p[c] = sy_db_array_finish(&col[c], a);
    *out = (struct sy_db_call){"events_insert", 20, p};
}

int
sy_db_events_insert(struct sy_db *db, const struct sy_db_event *rows, size_t n,
                    struct sy_error *err)
{
    struct sy_arena *a;
    struct sy_db_call c;
    int rc;

    if (n == 0)
        return SY_OK;
    a = sy_arena_new();
    sy_db_events_insert_call(a, rows, n, &c);
    rc = sy_db_send(db, &c, err);
    sy_arena_free(a);
    return rc;
}

static const char *
dup_val(struct sy_arena *a, PGresult *res, int r, int c)
{
    return sy_arena_strdup(a, sy_db_val(res, r, c));
}

void
sy_db_event_row(struct sy_arena *a, PGresult *res, int r, int c, struct sy_db_event *out)
{
    memset(out, 0, sizeof(*out));
    out->stream_ordering = strtoll(PQgetvalue(res, r, c), NULL, 10);
    out->event_id = dup_val(a, res, r, c + 1);
    out->room_id = dup_val(a, res, r, c + 2);
    out->type = dup_val(a, res, r, c + 3);
    out->state_key = dup_val(a, res, r, c + 4);
    out->sender = dup_val(a, res, r, c + 5);
    out->depth = strtoll(PQgetvalue(res, r, c + 6), NULL, 10);
    out->origin_server_ts = strtoll(PQgetvalue(res, r, c + 7), NULL, 10);
    out->pdu_json = dup_val(a, res, r, c + 8);
    out->client_json = dup_val(a, res, r, c + 9);
    out->redacts = dup_val(a, res, r, c + 10);
    out->redacted_by = dup_val(a, res, r, c + 11);
    out->state_before = strtoll(PQgetvalue(res, r, c + 12), NULL, 10);
    out->state_after = strtoll(PQgetvalue(res, r, c + 13), NULL, 10);
    out->rejected = dup_val(a, res, r, c + 14);
    out->txn_user = dup_val(a, res, r, c + 15);
    out->txn_device = dup_val(a, res, r, c + 16);
    out->txn_id = dup_val(a, res, r, c + 17);
    out->redacted_because = dup_val(a, res, r, c + 18);
}

void
sy_db_event_rows(struct sy_arena *a, PGresult *res, struct sy_db_event **out, size_t *n)
{
    int rows = PQntuples(res);

    *out = sy_arena_alloc(a, sizeof(**out) * (size_t)(rows + 1));
    for (int r = 0; r < rows; r++)
        sy_db_event_row(a, res, r, 0, &(*out)[r]);
    *n = (size_t)rows;
}

int
sy_db_event_get(struct sy_db *db, struct sy_arena *a, const char *event_id,
                struct sy_db_event *out, struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, "events_get", 1, &event_id, err);

    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return sy_err_notfound(err, "event not found");
    }
    sy_db_event_row(a, res, 0, 0, out);
    PQclear(res);
    return SY_OK;
}

int
sy_db_events_get_many(struct sy_db *db, struct sy_arena *a, const char *const *ids, size_t n,
                      struct sy_db_event **out, size_t *n_out, struct sy_error *err)
{
    const char *p[1] = {sy_db_text_array(a, ids, n)};
    PGresult *res = sy_db_exec(db, "events_get_many", 1, p, err);

    if (res == NULL)
        return err->code;
    sy_db_event_rows(a, res, out, n_out);
    PQclear(res);
    return SY_OK;
}

static int
events_range(struct sy_db *db, struct sy_arena *a, const char *stmt, const char *room_id,
             int64_t after, int64_t upto, int limit, struct sy_db_event **out, size_t *n,
             struct sy_error *err)
{
    char lo[24], hi[24], lim[16];
    const char *p[4] = {room_id, lo, hi, lim};
    PGresult *res;

    snprintf(lo, sizeof(lo), "%lld", (long long)after);
    snprintf(hi, sizeof(hi), "%lld", (long long)upto);
    snprintf(lim, sizeof(lim), "%d", limit);
    if ((res = sy_db_exec(db, stmt, 4, p, err)) == NULL)
        return err->code;
    sy_db_event_rows(a, res, out, n);
    PQclear(res);
    return SY_OK;
}

int
sy_db_events_range(struct sy_db *db, struct sy_arena *a, const char *room_id, int64_t after,
                   int64_t upto, int limit, struct sy_db_event **out, size_t *n,
                   struct sy_error *err)
{
    return events_range(db, a, "events_range", room_id, after, upto, limit, out, n, err);
}

int
sy_db_events_range_fwd(struct sy_db *db, struct sy_arena *a, const char *room_id, int64_t after,
                       int64_t upto, int limit, struct sy_db_event **out, size_t *n,
                       struct sy_error *err)
{
    return events_range(db, a, "events_range_fwd", room_id, after, upto, limit, out, n, err);
}

int
sy_db_events_rooms_changed(struct sy_db *db, struct sy_arena *a, int64_t after, int64_t upto,
                           const char *const *rooms, size_t n_rooms, const char ***out, size_t *n,
                           struct sy_error *err)
{
    char lo[24], hi[24];
    const char *p[3] = {lo, hi, sy_db_text_array(a, rooms, n_rooms)};
    PGresult *res;
    int rows;

    snprintf(lo, sizeof(lo), "%lld", (long long)after);
    snprintf(hi, sizeof(hi), "%lld", (long long)upto);
    if ((res = sy_db_exec(db, "events_rooms_changed", 3, p, err)) == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(char *) * (size_t)(rows + 1));
    for (int r = 0; r < rows; r++)
        (*out)[r] = dup_val(a, res, r, 0);
    *n = (size_t)rows;
    PQclear(res);
    return SY_OK;
}

int
sy_db_event_at_or_before(struct sy_db *db, struct sy_arena *a, const char *room_id,
                         int64_t stream, struct sy_db_event *out, struct sy_error *err)
{
    char s[24];
    const char *p[2] = {room_id, s};
    PGresult *res;
    int rc = SY_OK;

    snprintf(s, sizeof(s), "%lld", (long long)stream);
    if ((res = sy_db_exec(db, "events_at_or_before", 2, p, err)) == NULL)
        return err->code;
    if (PQntuples(res) == 0)
        rc = sy_err_notfound(err, "no event");
    else
        sy_db_event_row(a, res, 0, 0, out);
    PQclear(res);
    return rc;
}

int
sy_db_event_by_txn(struct sy_db *db, struct sy_arena *a, const char *user, const char *device,
                   const char *room_id, const char *kind, const char *txn_id,
                   const char **event_id, struct sy_error *err)
{
    const char *p[5] = {user, device, room_id, kind, txn_id};
    PGresult *res = sy_db_exec(db, "events_by_txn", 5, p, err);
    int rc = SY_OK;

    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0)
        rc = sy_err_notfound(err, "no such transaction");
    else
        *event_id = dup_val(a, res, 0, 0);
    PQclear(res);
    return rc;
}

int
sy_db_event_set_redacted(struct sy_db *db, const char *event_id, const char *redaction_id,
                         const char *client_json, struct sy_error *err)
{
    const char *p[3] = {event_id, redaction_id, client_json};

    return sy_db_run(db, "events_set_redacted", 3, p, NULL, err);
}

int
sy_db_extremities_advance(struct sy_db *db, const char *room_id, const char *event_id,
                          int64_t depth, const char *const *prev, size_t n_prev,
                          struct sy_error *err)
{
    struct sy_arena *a = sy_arena_new();
    char depth_s[24];
    const char *p[4] = {room_id, sy_db_text_array(a, prev, n_prev), event_id, depth_s};
    int rc;

    snprintf(depth_s, sizeof(depth_s), "%lld", (long long)depth);
    rc = sy_db_run(db, "events_extremities_advance", 4, p, NULL, err);
    sy_arena_free(a);
    return rc;
}

int
sy_db_events_by_txn_many(struct sy_db *db, struct sy_arena *a, const struct sy_db_txn *txns,
                         size_t n, const char **event_ids, struct sy_error *err)
{
    struct sy_arena *tmp = sy_arena_new();
    struct sy_db_array col[5];
    const char *p[5];
    PGresult *res;

    for (int c = 0; c < 5; c++)
        sy_db_array_init(&col[c]);
    for (size_t i = 0; i < n; i++) {
        event_ids[i] = NULL;
        sy_db_array_text(&col[0], txns[i].user);
        sy_db_array_text(&col[1], txns[i].device);
        sy_db_array_text(&col[2], txns[i].room_id);
        sy_db_array_text(&col[3], txns[i].kind);
        sy_db_array_text(&col[4], txns[i].txn_id);
    }
    for (int c = 0; c < 5; c++)
        p[c] = sy_db_array_finish(&col[c], tmp);
    res = sy_db_exec(db, "events_by_txn_many", 5, p, err);
    sy_arena_free(tmp);
    if (res == NULL)
        return err->code;
    for (int r = 0; r < PQntuples(res); r++) {
        long long i = strtoll(PQgetvalue(res, r, 0), NULL, 10);

        if (i >= 1 && (size_t)i <= n)
            event_ids[i - 1] = dup_val(a, res, r, 1);
    }
    PQclear(res);
    return SY_OK;
}

int
sy_db_extremities_many(struct sy_db *db, struct sy_arena *a, const char *const *rooms, size_t n,
                       struct sy_db_extremities *out, struct sy_error *err)
{
    struct sy_arena *tmp = sy_arena_new();
    const char *p = sy_db_text_array(tmp, rooms, n);
    PGresult *res = sy_db_exec(db, "events_extremities_many", 1, &p, err);
    int rows;

    sy_arena_free(tmp);
    if (res == NULL)
        return err->code;
    rows = PQntuples(res);
    for (size_t i = 0; i < n; i++) {
        out[i].ids = sy_arena_alloc(a, sizeof(char *) * (size_t)(rows + 1));
        out[i].n = 0;
        out[i].max_depth = 0;
    }
    for (int r = 0; r < rows; r++) {
        const char *room = PQgetvalue(res, r, 0);
        int64_t d = strtoll(PQgetvalue(res, r, 2), NULL, 10);

        for (size_t i = 0; i < n; i++) {
            if (strcmp(rooms[i], room) != 0)
                continue;
            out[i].ids[out[i].n++] = dup_val(a, res, r, 1);
            if (d > out[i].max_depth)
                out[i].max_depth = d;
            break;
        }
    }
    PQclear(res);
    return SY_OK;
}

int
sy_db_extremities_replace(struct sy_db *db, const char *const *rooms, const char *const *event_ids,
                          const int64_t *depths, size_t n, struct sy_error *err)
{
    struct sy_arena *a = sy_arena_new();
    struct sy_db_array d;
    const char *p[3];
    int rc;

    sy_db_array_init(&d);
    for (size_t i = 0; i < n; i++)
        sy_db_array_int(&d, depths[i]);
    p[0] = sy_db_text_array(a, rooms, n);
    p[1] = sy_db_text_array(a, event_ids, n);
    p[2] = sy_db_array_finish(&d, a);
    rc = sy_db_run(db, "events_extremities_replace", 3, p, NULL, err);
    sy_arena_free(a);
    return rc;
}
