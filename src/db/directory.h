/*
 * db/directory.h -- what the room directory, space hierarchy and room
 * upgrades read and write: room summaries from the current state, the
 * published flag, space children and alias moves.
 *
 * Summaries are the server's own view of a room (current state, no
 * history visibility applied): callers decide what a user may see.
 * Results are copied into the caller's arena; no PGresult leaves db/.
 */
#ifndef SY_DB_DIRECTORY_H
#define SY_DB_DIRECTORY_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

/* One room as the directory and /hierarchy show it; NULL fields are absent in the state. */
struct sy_dir_room {
    const char *room_id;
    const char *room_version;
    int is_public; /* published in the room directory */
    const char *name;
    const char *topic;
    const char *canonical_alias;
    const char *avatar_url;
    const char *join_rule;
    const char *history_visibility;
    const char *guest_access;
    const char *room_type;  /* m.room.create content.type */
    const char *allow_json; /* join_rules content.allow as JSON text (array), or NULL */
    const char *encryption; /* m.room.encryption algorithm, or NULL */
    int64_t num_joined_members;
};

/* The public room list query. */
struct sy_dir_query {
    const char *search_term;     /* NULL: none; else a case-insensitive substring of
                                    name, topic or canonical alias */
    const char *room_types_json; /* NULL: any type; else a JSON array of room types */
    int include_untyped;         /* with room_types_json: also rooms without a type */
    int64_t offset;
    int64_t limit;
};

/*
 * Published rooms a client may list (joined members > 0 and join rule
 * public/knock/knock_restricted or history world_readable), largest first,
 * then by room ID descending.  *out is an arena array of *n; *total is
 * the number of listable rooms before the search filter and paging.
 */
int sy_db_dir_public_rooms(struct sy_db *db, struct sy_arena *a, const struct sy_dir_query *q,
                           struct sy_dir_room **out, size_t *n, int64_t *total,
                           struct sy_error *err);

/* The summary of one room; SY_ENOTFOUND (M_NOT_FOUND) when the node does not know it. */
int sy_db_dir_room(struct sy_db *db, struct sy_arena *a, const char *room_id,
                   struct sy_dir_room *out, struct sy_error *err);


/*
 * The client JSON texts of every current state event of 'type' in
 * room_id (any state key), ordered by state key: an arena array of *n.
 */
int sy_db_dir_state_of_type(struct sy_db *db, struct sy_arena *a, const char *room_id,
                            const char *type, const char ***json, size_t *n, struct sy_error *err);

/* Point every local alias of old_room at new_room (room upgrades); *moved gets the count. */
int sy_db_dir_move_aliases(struct sy_db *db, const char *old_room, const char *new_room,
                           long *moved, struct sy_error *err);

#endif /* SY_DB_DIRECTORY_H */
