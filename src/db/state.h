/*
 * db/state.h -- room state: delta-encoded state groups (historical state)
 * and the current-state table.
 *
 * A state group is either a snapshot (prev_group 0: all its entries) or a
 * delta over prev_group (only the entries that changed).  Resolving a
 * group walks the chain back to its snapshot in one recursive query; the
 * first entry seen for a (type, state_key) wins.
 */
#ifndef SY_DB_STATE_H
#define SY_DB_STATE_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

struct sy_db_state_row {
    const char *type;
    const char *state_key;
    const char *event_id;
};

/* The chain length of a group (0 for a snapshot); SY_ENOTFOUND if unknown. */
int sy_db_state_group_chain(struct sy_db *db, int64_t group, int *chain_len, struct sy_error *err);
/* Write a new group: a delta over prev_group (0: a snapshot of exactly 'rows'). */
int sy_db_state_group_new(struct sy_db *db, const char *room_id, int64_t prev_group,
                          int chain_len, const struct sy_db_state_row *rows, size_t n,
                          int64_t *group, struct sy_error *err);
/* The full state of a group, ordered by (type, state_key). */
int sy_db_state_group_resolve(struct sy_db *db, struct sy_arena *a, int64_t group,
                              struct sy_db_state_row **rows, size_t *n, struct sy_error *err);
/* One entry of a group's full state: *event_id NULL when the key is absent. */
int sy_db_state_group_lookup(struct sy_db *db, struct sy_arena *a, int64_t group, const char *type,
                             const char *state_key, const char **event_id, struct sy_error *err);

/* Current state: set one entry (membership is the m.room.member's, else NULL). */
int sy_db_current_state_set(struct sy_db *db, const char *room_id, const char *type,
                            const char *state_key, const char *event_id, const char *membership,
                            struct sy_error *err);
/* The whole current state, ordered by (type, state_key). */
int sy_db_current_state(struct sy_db *db, struct sy_arena *a, const char *room_id,
                        struct sy_db_state_row **rows, size_t *n, struct sy_error *err);
/* One entry; *event_id NULL when absent. */
int sy_db_current_state_get(struct sy_db *db, struct sy_arena *a, const char *room_id,
                            const char *type, const char *state_key, const char **event_id,
                            struct sy_error *err);
/* A user's current membership and its event; both NULL when never a member. */
int sy_db_membership(struct sy_db *db, struct sy_arena *a, const char *room_id,
                     const char *user_id, const char **membership, const char **event_id,
                     struct sy_error *err);
/* Rooms where user_id's current membership is 'membership'. */
int sy_db_rooms_for_user(struct sy_db *db, struct sy_arena *a, const char *user_id,
                         const char *membership, const char ***rooms, size_t *n,
                         struct sy_error *err);
/* 1 if user_id was ever joined to room_id before stream position 'before' (0: ever). */
int sy_db_was_joined(struct sy_db *db, const char *room_id, const char *user_id, int64_t before,
                     struct sy_error *err);

/* A user's current membership in one room, with its event's stream position. */
struct sy_db_membership {
    const char *room_id;
    const char *membership;
    const char *event_id;
    int64_t stream_ordering;
};

/* Every room user_id has a membership in, ordered by room ID. */
int sy_db_user_memberships(struct sy_db *db, struct sy_arena *a, const char *user_id,
                           struct sy_db_membership **out, size_t *n, struct sy_error *err);
/* Joined and invited member counts of a room's current state. */
int sy_db_member_counts(struct sy_db *db, const char *room_id, int64_t *joined,
                        int64_t *invited, struct sy_error *err);
/* Up to 5 joined or invited members other than user_id, by user ID (the spec's heroes). */
int sy_db_member_heroes(struct sy_db *db, struct sy_arena *a, const char *room_id,
                        const char *user_id, const char ***heroes, size_t *n,
                        struct sy_error *err);

#endif /* SY_DB_STATE_H */
