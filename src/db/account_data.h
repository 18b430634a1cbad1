/*
 * db/account_data.h -- account data rows: global (room_id "") and per
 * room, each holding its content as JSON object text and the
 * account-data-stream position of its last change.  Tags (m.tag) and the
 * fully read marker (m.fully_read) are room account data too.
 *
 * Which types clients may write and how tags are merged is
 * sync/account_data.c's business.  Strings of results live in the
 * caller's arena.
 */
#ifndef SY_DB_ACCOUNT_DATA_H
#define SY_DB_ACCOUNT_DATA_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

struct sy_db_account_data {
    const char *room_id; /* "" = global */
    const char *type;
    const char *content; /* JSON object text */
    int64_t stream_pos;
};

/* Insert or replace one entry; 'pos' taken in the caller's open transaction. */
int sy_db_account_data_put(struct sy_db *db, const char *user_id, const char *room_id,
                           const char *type, const char *content, int64_t pos,
                           struct sy_error *err);

/* *content of one entry, or NULL when there is none. */
int sy_db_account_data_get(struct sy_db *db, struct sy_arena *a, const char *user_id,
                           const char *room_id, const char *type, const char **content,
                           struct sy_error *err);

/*
 * user_id's entries of room_id ("" = global) with a position in (from, to],
 * in position order (sy_db_batch_room_account_data, db/sync_batch.h, for
 * one room).
 */
int sy_db_account_data_range(struct sy_db *db, struct sy_arena *a, const char *user_id,
                             const char *room_id, int64_t from, int64_t to,
                             struct sy_db_account_data **out, size_t *n, struct sy_error *err);

#endif /* SY_DB_ACCOUNT_DATA_H */
