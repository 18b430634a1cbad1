/*
 * db/sync_batch.h -- the reads of a /sync rooms section for many rooms
 * at once: one statement for all the rooms of a response, where the
 * per-room reads (db/events.h, db/state.h, db/receipts.h, ...) would cost
 * one round trip each.
 *
 * Each call takes the rooms (or groups, or ranges) as parallel arrays of
 * n entries and answers per entry, in arrays of n the caller provides:
 * entry i of an answer belongs to entry i of the question.  Rows and
 * strings live in the caller's arena; no PGresult leaves src/db/.  Events
 * read here carry no pdu_json (sync never sends it).
 */
#ifndef SY_DB_SYNC_BATCH_H
#define SY_DB_SYNC_BATCH_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_db_account_data;
struct sy_db_event;
struct sy_db_receipt;
struct sy_db_state_row;
struct sy_error;

/*
 * For each i: the accepted events of rooms[i] with a stream position in
 * (after[i], upto[i]], the newest first, at most limit[i] (as
 * sy_db_events_range).  rows[i] / n_rows[i].
 */
int sy_db_batch_ranges(struct sy_db *db, struct sy_arena *a, const char *const *rooms,
                       const int64_t *after, const int64_t *upto, const size_t *limit, size_t n,
                       struct sy_db_event **rows, size_t *n_rows, struct sy_error *err);

/*
 * For each i: the state group after the newest accepted event of rooms[i]
 * at or before position pos[i]; 0 when there is none.
 */
int sy_db_batch_groups_at(struct sy_db *db, struct sy_arena *a, const char *const *rooms,
                          const int64_t *pos, size_t n, int64_t *groups, struct sy_error *err);

/*
 * For each i: the full state of groups[i] (as sy_db_state_group_resolve,
 * in no particular order).  A group listed twice is resolved once.
 */
int sy_db_batch_state_resolve(struct sy_db *db, struct sy_arena *a, const int64_t *groups, size_t n,
                              struct sy_db_state_row **rows, size_t *n_rows, struct sy_error *err);

/* The events with these IDs that exist, ordered by (room_id, type, state_key, stream_ordering). */
int sy_db_batch_events_get(struct sy_db *db, struct sy_arena *a, const char *const *ids, size_t n,
                           struct sy_db_event **out, size_t *n_out, struct sy_error *err);

/*
 * For each room: joined and invited member counts of its current state,
 * and up to 5 joined or invited members other than user_id by user ID
 * (as sy_db_member_counts and sy_db_member_heroes).
 */
int sy_db_batch_summaries(struct sy_db *db, struct sy_arena *a, const char *const *rooms, size_t n,
                          const char *user_id, int64_t *joined, int64_t *invited,
                          const char ***heroes, size_t *n_heroes, struct sy_error *err);

/*
 * For each room: user_id's unread notification and highlight counts
 * (sy_db_push_unread is this for one room).
 */
int sy_db_batch_push_unread(struct sy_db *db, const char *user_id, const char *const *rooms,
                            size_t n, int64_t *notes, int64_t *highlights, struct sy_error *err);

/* For each i: the receipts of rooms[i] with a position in (from[i], to], in position order. */
int sy_db_batch_receipts(struct sy_db *db, struct sy_arena *a, const char *const *rooms,
                         const int64_t *from, size_t n, int64_t to, struct sy_db_receipt **rows,
                         size_t *n_rows, struct sy_error *err);

/*
 * For each i: user_id's account data in rooms[i] with a position in
 * (from[i], to], in position order (sy_db_account_data_range is this for
 * one room).
 */
int sy_db_batch_room_account_data(struct sy_db *db, struct sy_arena *a, const char *user_id,
                                  const char *const *rooms, const int64_t *from, size_t n,
                                  int64_t to, struct sy_db_account_data **rows, size_t *n_rows,
                                  struct sy_error *err);

/*
 * For each room: the event IDs of its current state entries with one of
 * types[0..n_types) and an empty state key, ordered by type.
 */
int sy_db_batch_current_state_types(struct sy_db *db, struct sy_arena *a, const char *const *rooms,
                                    size_t n, const char *const *types, size_t n_types,
                                    const char ***ids, size_t *n_ids, struct sy_error *err);

/* The rooms user_id has forgotten (room_forgotten), as an arena array. */
int sy_db_batch_forgotten(struct sy_db *db, struct sy_arena *a, const char *user_id,
                          const char ***rooms, size_t *n, struct sy_error *err);

/*
 * For each i: the event ID of (types[i], keys[i]) in the full state of
 * groups[i], or NULL when absent (as sy_db_state_group_lookup).
 */
int sy_db_batch_state_lookup(struct sy_db *db, struct sy_arena *a, const int64_t *groups,
                             const char *const *types, const char *const *keys, size_t n,
                             const char **event_ids, struct sy_error *err);

/*
 * For each room: user_id's current membership and its event ID, both NULL
 * when never a member (as sy_db_membership).
 */
int sy_db_batch_memberships(struct sy_db *db, struct sy_arena *a, const char *const *rooms,
                            size_t n, const char *user_id, const char **memberships,
                            const char **event_ids, struct sy_error *err);

#endif /* SY_DB_SYNC_BATCH_H */
