/*
 * db/presence.h -- one presence row per local user that ever set one,
 * with the presence-stream position of its last visible change.
 *
 * What counts as a change, and who may see whom, is sync/presence.c's
 * business; the "shares a room" question is answered here because it is
 * one query over current_state.  Strings of results live in the caller's
 * arena.
 */
#ifndef SY_DB_PRESENCE_H
#define SY_DB_PRESENCE_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

struct sy_db_presence {
    const char *user_id;
    const char *state;      /* online, unavailable, offline */
    const char *status_msg; /* NULL when none */
    int64_t last_active_ts;
    int currently_active;
    int64_t stream_pos;
};

/* 0 and *out, or SY_ENOTFOUND when user_id has no presence row. */
int sy_db_presence_get(struct sy_db *db, struct sy_arena *a, const char *user_id,
                       struct sy_db_presence *out, struct sy_error *err);
/* Insert or replace p (p->stream_pos taken in the caller's open transaction). */
int sy_db_presence_put(struct sy_db *db, const struct sy_db_presence *p, struct sy_error *err);
/* Bump last_active_ts only (no stream position: not a change others are told of). */
int sy_db_presence_touch(struct sy_db *db, const char *user_id, int64_t last_active_ts,
                         struct sy_error *err);

/*
 * Presence rows with a position in (from, to] of user_id and of every user
 * joined to a room user_id is joined to, in position order; *out in 'a'.
 */
int sy_db_presence_visible_range(struct sy_db *db, struct sy_arena *a, const char *user_id,
                                 int64_t from, int64_t to, struct sy_db_presence **out,
                                 size_t *n, struct sy_error *err);

/* 1 if a and b are both joined to some room, 0 if not, or an error. */
int sy_db_presence_share_room(struct sy_db *db, const char *a, const char *b,
                              struct sy_error *err);

#endif /* SY_DB_PRESENCE_H */
