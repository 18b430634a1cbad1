/*
 * db/push.h -- push rules, server-default rule changes, pushers, push
 * actions (the per-user notifications) and read positions.
 *
 * Each call runs prepared statements on the calling thread's connection;
 * strings in results are copied into the caller's arena.  JSON columns
 * travel as text: push/ parses and checks them.
 */
#ifndef SY_DB_PUSH_H
#define SY_DB_PUSH_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

/* A user-defined rule. */
struct sy_db_push_rule {
    const char *user_id;
    const char *kind; /* "override", "content", "room", "sender", "underride" */
    const char *rule_id;
    int64_t priority;       /* higher is more important within (user, kind) */
    const char *conditions; /* JSON array text, or NULL */
    const char *actions;    /* JSON array text */
    const char *pattern;    /* content rules, else NULL */
    int enabled;
};

/* A user's change to a server-default rule. */
struct sy_db_push_default {
    const char *user_id;
    const char *kind;
    const char *rule_id;
    int enabled;         /* -1: unchanged */
    const char *actions; /* NULL: unchanged */
};

/* Rules of the given users, ordered by user, kind, priority (most important first). */
int sy_db_push_rules_for_users(struct sy_db *db, struct sy_arena *a, const char *const *users,
                               size_t n_users, struct sy_db_push_rule **out, size_t *n,
                               struct sy_error *err);
/* Default-rule changes of the given users, ordered by user. */
int sy_db_push_defaults_for_users(struct sy_db *db, struct sy_arena *a, const char *const *users,
                                  size_t n_users, struct sy_db_push_default **out, size_t *n,
                                  struct sy_error *err);

/* Serialise rule changes of one user until the transaction ends. */
int sy_db_push_lock_user(struct sy_db *db, const char *user_id, struct sy_error *err);
/* One rule: 0 and *out, or SY_ENOTFOUND. */
int sy_db_push_rule_get(struct sy_db *db, struct sy_arena *a, const char *user_id, const char *kind,
                        const char *rule_id, struct sy_db_push_rule *out, struct sy_error *err);
/* The highest priority among (user, kind), 0 when there are none. */
int sy_db_push_rule_max_priority(struct sy_db *db, const char *user_id, const char *kind,
                                 int64_t *out, struct sy_error *err);
/* Add one to the priority of each rule of (user, kind) at or above 'from'. */
int sy_db_push_rule_shift(struct sy_db *db, const char *user_id, const char *kind, int64_t from,
                          struct sy_error *err);
/* Insert or replace a rule (all columns). */
int sy_db_push_rule_upsert(struct sy_db *db, const struct sy_db_push_rule *r, struct sy_error *err);
/* SY_ENOTFOUND when there was no such rule. */
int sy_db_push_rule_delete(struct sy_db *db, const char *user_id, const char *kind,
                           const char *rule_id, struct sy_error *err);
/* Set enabled / actions of a user rule; SY_ENOTFOUND when there is none. */
int sy_db_push_rule_set_enabled(struct sy_db *db, const char *user_id, const char *kind,
                                const char *rule_id, int enabled, struct sy_error *err);
int sy_db_push_rule_set_actions(struct sy_db *db, const char *user_id, const char *kind,
                                const char *rule_id, const char *actions, struct sy_error *err);
/* Record a change to a server-default rule (enabled -1 / actions NULL: leave as is). */
int sy_db_push_default_set(struct sy_db *db, const char *user_id, const char *kind,
                           const char *rule_id, int enabled, const char *actions,
                           struct sy_error *err);

/* A joined member, for evaluating an event. */
struct sy_db_push_member {
    const char *user_id;
    const char *displayname; /* from the member event, NULL when unset */
    int is_local;            /* an active account of this server */
};
/*
 * Of the m.room.member events 'event_ids', the joins: who, with which
 * display name, and whether they are local active accounts.
 */
int sy_db_push_joined_members(struct sy_db *db, struct sy_arena *a, const char *const *event_ids,
                              size_t n_ids, struct sy_db_push_member **out, size_t *n,
                              struct sy_error *err);

/* One user's outcome for one event. */
struct sy_db_push_action {
    const char *user_id;
    const char *room_id;
    int64_t stream; /* the event's stream position: names the event */
    const char *actions; /* JSON array text */
    int notify;
    int highlight;
    int64_t ts;
};
/*
 * Store the outcomes v[0..n) (any events, any rooms; one event's outcomes
 * next to each other) and add them to the unread counts: two statements.
 * An event's recipients with the same outcome share a row.
 */
int sy_db_push_actions_insert(struct sy_db *db, struct sy_arena *a, const struct sy_db_push_action *v,
                              size_t n, struct sy_error *err);
/*
 * The same, encoded (in 'a') to be sent later with sy_db_send (db/db.h):
 * the rows, which wait for nobody, and the counts, whose row locks order
 * writers (send them once the rooms are locked).
 */
struct sy_db_call;
void sy_db_push_actions_insert_calls(struct sy_arena *a, const struct sy_db_push_action *v,
                                     size_t n, struct sy_db_call *rows, struct sy_db_call *counts);

/*
 * Move user's read position in a room forward to 'stream' (never back) and
 * recount its unread counts; inside the caller's transaction.
 */
int sy_db_push_mark_read(struct sy_db *db, const char *user_id, const char *room_id, int64_t stream,
                         struct sy_error *err);
/* Notifying and highlighting events after the read position. */
int sy_db_push_unread(struct sy_db *db, const char *user_id, const char *room_id,
                      int64_t *notifications, int64_t *highlights, struct sy_error *err);

struct sy_db_notification {
    const char *room_id;
    int64_t stream;
    const char *actions;    /* JSON array text */
    const char *event_json; /* the event in client format */
    int read;
    int64_t ts;
};
/*
 * A user's notifying events, newest first, below stream position 'before'
 * (0: from the newest), at most 'limit'; only highlights when asked.
 */
int sy_db_push_notifications(struct sy_db *db, struct sy_arena *a, const char *user_id,
                             int64_t before, int only_highlight, size_t limit,
                             struct sy_db_notification **out, size_t *n, struct sy_error *err);

struct sy_db_pusher {
    const char *user_id;
    const char *app_id;
    const char *pushkey;
    const char *kind;
    const char *app_display_name;
    const char *device_display_name;
    const char *profile_tag; /* NULL when unset */
    const char *lang;
    const char *data;      /* JSON object text */
    const char *device_id; /* NULL when unknown */
    int64_t created_ts;
};
/*
 * Create or update the pusher (user, app_id, pushkey); unless 'append',
 * also remove other users' pushers with the same app_id and pushkey.
 * One statement, so both happen or neither.
 */
int sy_db_pusher_set(struct sy_db *db, const struct sy_db_pusher *p, int append,
                     struct sy_error *err);
/* Remove one pusher; no error when there was none. */
int sy_db_pusher_delete(struct sy_db *db, const char *user_id, const char *app_id,
                        const char *pushkey, struct sy_error *err);
/* A user's pushers, oldest first. */
int sy_db_pushers_list(struct sy_db *db, struct sy_arena *a, const char *user_id,
                       struct sy_db_pusher **out, size_t *n, struct sy_error *err);

#endif /* SY_DB_PUSH_H */
