/*
 * db/reports.h -- content reports (event_reports): what users flag for the
 * server's admins.
 *
 * A report names a room, and an event in it unless the room itself is
 * reported.  Rows are only ever added by the client API and read or
 * removed by the admin API.  Strings in results live in the caller's arena.
 */
#ifndef SY_DB_REPORTS_H
#define SY_DB_REPORTS_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

struct sy_report {
    int64_t id;
    const char *room_id;
    const char *event_id; /* NULL: the room itself */
    const char *reporter;
    const char *reason;   /* NULL when none was given */
    int has_score;
    int64_t score;
    int64_t created_ts;
};

/* Store r (its id is ignored); 0 and *id (may be NULL), or SY_EDB. */
int sy_db_report_add(struct sy_db *db, const struct sy_report *r, int64_t *id,
                     struct sy_error *err);

/* 0 and *out, SY_ENOTFOUND, or SY_EDB. */
int sy_db_report_get(struct sy_db *db, struct sy_arena *a, int64_t id, struct sy_report *out,
                     struct sy_error *err);

/*
 * Reports matching the filters (NULL: any room / any reporter), newest
 * first ('backwards' 1) or oldest first, skipping 'offset' and returning at
 * most 'limit' in an arena array *out of *n; *total is the number matching.
 */
int sy_db_report_list(struct sy_db *db, struct sy_arena *a, const char *room_id,
                      const char *reporter, int backwards, int64_t offset, int64_t limit,
                      struct sy_report **out, size_t *n, int64_t *total, struct sy_error *err);

/* 0, SY_ENOTFOUND, or SY_EDB. */
int sy_db_report_delete(struct sy_db *db, int64_t id, struct sy_error *err);

#endif /* SY_DB_REPORTS_H */
