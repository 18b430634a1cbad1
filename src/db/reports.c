/*
 * db/reports.c -- content report rows (event_reports).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"
#include "db/reports.h"
#include "util/arena.h"
#include "util/err.h"

#define REPORT_COLS "id, room_id, event_id, reporter, reason, score, created_ts"
#define REPORT_FILTER "($1::text IS NULL OR room_id = $1) AND ($2::text IS NULL OR reporter = $2)"

const struct sy_stmt sy_db_reports_stmts[] = {
    {"reports_add", "INSERT INTO event_reports (room_id, event_id, reporter, reason, score, "
                    "created_ts) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"},
    {"reports_get", "SELECT " REPORT_COLS " FROM event_reports WHERE id = $1"},
    {"reports_list_fwd", "SELECT " REPORT_COLS " FROM event_reports WHERE " REPORT_FILTER
                         " ORDER BY id ASC OFFSET $3 LIMIT $4"},
    {"reports_list_back", "SELECT " REPORT_COLS " FROM event_reports WHERE " REPORT_FILTER
                          " ORDER BY id DESC OFFSET $3 LIMIT $4"},
    {"reports_count", "SELECT count(*) FROM event_reports WHERE " REPORT_FILTER},
    {"reports_delete", "DELETE FROM event_reports WHERE id = $1"},
    {NULL, NULL},
};

static void
read_report(struct sy_arena *a, PGresult *res, int r, struct sy_report *out)
{
    const char *score = sy_db_val(res, r, 5);

    out->id = strtoll(PQgetvalue(res, r, 0), NULL, 10);
    out->room_id = sy_arena_strdup(a, sy_db_val(res, r, 1));
    out->event_id = sy_arena_strdup(a, sy_db_val(res, r, 2));
    out->reporter = sy_arena_strdup(a, sy_db_val(res, r, 3));
    out->reason = sy_arena_strdup(a, sy_db_val(res, r, 4));
    out->has_score = score != NULL;
    out->score = score != NULL ? strtoll(score, NULL, 10) : 0;
    out->created_ts = strtoll(PQgetvalue(res, r, 6), NULL, 10);
}

int
sy_db_report_add(struct sy_db *db, const struct sy_report *r, int64_t *id, struct sy_error *err)
{
    char score[24], ts[24];
    const char *p[6];
    PGresult *res;

    snprintf(score, sizeof(score), "%lld", (long long)r->score);
    snprintf(ts, sizeof(ts), "%lld", (long long)r->created_ts);
    p[0] = r->room_id, p[1] = r->event_id, p[2] = r->reporter, p[3] = r->reason;
    p[4] = r->has_score ? score : NULL;
    p[5] = ts;
    if ((res = sy_db_exec(db, "reports_add", 6, p, err)) == NULL)
        return err->code;
    if (id != NULL)
        *id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return SY_OK;
}

int
sy_db_report_get(struct sy_db *db, struct sy_arena *a, int64_t id, struct sy_report *out,
                 struct sy_error *err)
{
    char ids[24];
    const char *p[1] = {ids};
    PGresult *res;
    int rc = SY_OK;

    snprintf(ids, sizeof(ids), "%lld", (long long)id);
    if ((res = sy_db_exec(db, "reports_get", 1, p, err)) == NULL)
        return err->code;
    if (PQntuples(res) == 0)
        rc = sy_err_notfound(err, "no such report");
    else
        read_report(a, res, 0, out);
    PQclear(res);
    return rc;
}

int
sy_db_report_list(struct sy_db *db, struct sy_arena *a, const char *room_id,
                  const char *reporter, int backwards, int64_t offset, int64_t limit,
                  struct sy_report **out, size_t *n, int64_t *total, struct sy_error *err)
{
    char off[24], lim[24];
    const char *p[4];
    PGresult *res;
    int rows;

    snprintf(off, sizeof(off), "%lld", (long long)offset);
    snprintf(lim, sizeof(lim), "%lld", (long long)limit);
    p[0] = room_id, p[1] = reporter, p[2] = off, p[3] = lim;
    if ((res = sy_db_exec(db, "reports_count", 2, p, err)) == NULL)
        return err->code;
    *total = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    res = sy_db_exec(db, backwards ? "reports_list_back" : "reports_list_fwd", 4, p, err);
    if (res == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, (size_t)(rows > 0 ? rows : 1) * sizeof(**out));
    for (int r = 0; r < rows; r++)
        read_report(a, res, r, &(*out)[r]);
    *n = (size_t)rows;
    PQclear(res);
    return SY_OK;
}

int
sy_db_report_delete(struct sy_db *db, int64_t id, struct sy_error *err)
{
    char ids[24];
    const char *p[1] = {ids};
    PGresult *res;
    int rc = SY_OK;

    snprintf(ids, sizeof(ids), "%lld", (long long)id);
    if ((res = sy_db_exec(db, "reports_delete", 1, p, err)) == NULL)
        return err->code;
    if (sy_db_affected(res) == 0)
        rc = sy_err_notfound(err, "no such report");
    PQclear(res);
    return rc;
}
