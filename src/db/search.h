/*
 * db/search.h -- full-text search over events and the user directory.
 *
 * Event search uses events.search_vector (to_tsvector('simple', ...),
 * filled by the persist pipeline for m.room.message body, m.room.name and
 * m.room.topic).  Every word of the search term must match the start of
 * a word of the event (prefix search, as Synapse does).  History
 * visibility is not applied here: callers filter the hits for the user.
 *
 * Results are copied into the caller's arena; no PGresult leaves db/.
 */
#ifndef SY_DB_SEARCH_H
#define SY_DB_SEARCH_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

struct sy_search_query {
    const char *term;
    const char *rooms_json;       /* JSON array of room IDs to search (required) */
    const char *types_json;       /* JSON array of event types (required) */
    const char *senders_json;     /* JSON array or NULL: only these senders */
    const char *not_senders_json; /* JSON array or NULL: not these senders */
    int order_recent;             /* 1: newest first; 0: best rank first, then newest */
    int64_t before_stream;        /* > 0: only events below this stream position */
    int64_t offset;               /* rows to skip */
    int64_t limit;
};

struct sy_search_hit {
    const char *event_id;
    const char *room_id;
    int64_t stream_ordering;
    double rank;
};

/* Matching events, accepted and not redacted: an arena array of *n. */
int sy_db_search_events(struct sy_db *db, struct sy_arena *a, const struct sy_search_query *q,
                        struct sy_search_hit **hits, size_t *n, struct sy_error *err);

/* How many events match q (ignoring before_stream, offset and limit). */
int sy_db_search_count(struct sy_db *db, const struct sy_search_query *q, int64_t *count,
                       struct sy_error *err);

/* The words of 'term' as the search sees them (lower-cased lexemes): arena array of *n. */
int sy_db_search_words(struct sy_db *db, struct sy_arena *a, const char *term, const char ***words,
                       size_t *n, struct sy_error *err);

/*
 * Up to 'limit' accepted events of room_id just before (after = 0, newest
 * first) or just after (after = 1, oldest first) stream position
 * 'stream': their IDs, an arena array of *n.
 */
int sy_db_search_context(struct sy_db *db, struct sy_arena *a, const char *room_id, int64_t stream,
                         int after, int64_t limit, const char ***event_ids, size_t *n,
                         struct sy_error *err);

/* One user directory entry. */
struct sy_userdir_hit {
    const char *user_id;
    const char *display_name; /* NULL if none */
    const char *avatar_url;   /* NULL if none */
};

/*
 * Users visible to 'searcher' (joined to a room the searcher is joined to,
 * or to a room whose join rule is public or whose history is
 * world_readable; never deactivated accounts) whose user ID or display
 * name contains every whitespace-separated word of 'term',
 * case-insensitively.  At most 'limit' rows, best first: users sharing a
 * room with the searcher, then users with a display name, then by user
 * ID.  An arena array of *n.
 */
int sy_db_userdir_search(struct sy_db *db, struct sy_arena *a, const char *searcher,
                         const char *term, int64_t limit, struct sy_userdir_hit **hits, size_t *n,
                         struct sy_error *err);

#endif /* SY_DB_SEARCH_H */
