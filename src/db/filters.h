/*
 * db/filters.h -- stored filters (user_filters, schema/007).
 *
 * Filter IDs are decimal numbers counting up per user from 0; the same
 * filter text posted again returns its existing ID (as Synapse).  Strings
 * returned live in the caller's arena.
 */
#ifndef SY_DB_FILTERS_H
#define SY_DB_FILTERS_H

struct sy_arena;
struct sy_db;
struct sy_error;

/* Store canonical filter 'json' for user_id: 0 and *filter_id (in 'a'), or SY_EDB. */
int sy_db_filter_add(struct sy_db *db, struct sy_arena *a, const char *user_id, const char *json,
                     const char **filter_id, struct sy_error *err);

/*
 * 0 and *json, SY_ENOTFOUND (M_NOT_FOUND), or SY_EINVAL (M_INVALID_PARAM)
 * when filter_id is not a filter ID at all.
 */
int sy_db_filter_get(struct sy_db *db, struct sy_arena *a, const char *user_id,
                     const char *filter_id, const char **json, struct sy_error *err);

#endif /* SY_DB_FILTERS_H */
