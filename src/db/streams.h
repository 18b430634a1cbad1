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
/* Take 'by' positions at once: *pos is the last of them. */
int sy_db_stream_head_advance_by(struct sy_db *db, const char *stream, int64_t by, int64_t *pos,
                                 struct sy_error *err);
/* The committed heads of streams[0..n) into pos[0..n) (0 for an unknown stream). */
int sy_db_stream_heads(struct sy_db *db, const char *const *streams, size_t n, int64_t *pos,
                       struct sy_error *err);

#endif /* SY_DB_STREAMS_H */
