/*
 * db/streams.h -- stream heads (see sync/stream.h for what they mean).
 */
#ifndef SY_DB_STREAMS_H
#define SY_DB_STREAMS_H

#include <stddef.h>
#include <stdint.h>

struct sy_db;
struct sy_error;

/* Advance the head of 'stream' in the open transaction; *pos is the new position. */
int sy_db_stream_head_advance(struct sy_db *db, const char *stream, int64_t *pos,
                              struct sy_error *err);
/* The committed heads of streams[0..n) into pos[0..n) (0 for an unknown stream). */
int sy_db_stream_heads(struct sy_db *db, const char *const *streams, size_t n, int64_t *pos,
                       struct sy_error *err);


/*
 * The events stream's positions are handed out by sync/positions.c, which
 * reserves them here on its own connection, outside any transaction.
 */
/* Take the one-writer advisory lock for this session: *locked 1, or 0 if another holds it. */
int sy_db_events_writer_lock(struct sy_db *db, int *locked, struct sy_error *err);
/* The highest events position reserved or used. */
int sy_db_events_recover(struct sy_db *db, int64_t *head, struct sy_error *err);
/* Reserve (committed on return) up to greatest(reserved, floor) + by: *upto. */
int sy_db_events_reserve(struct sy_db *db, int64_t floor, int64_t by, int64_t *upto,
                         struct sy_error *err);

#endif /* SY_DB_STREAMS_H */
