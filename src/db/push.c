/*
 * db/push.c -- push rules, pushers, push actions and read positions.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/internal.h"
#include "db/push.h"
#include "db/sync_batch.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/map.h"

#define RULE_COLS "user_id, kind, rule_id, priority, conditions, actions, pattern, enabled"
#define PUSHER_COLS                                                                                \
    "user_id, app_id, pushkey, kind, app_display_name, device_display_name, profile_tag, lang, "   \
    "data, device_id, created_ts"

const struct sy_stmt sy_db_push_stmts[] = {
    {"push_rules_for_users", "SELECT " RULE_COLS " FROM push_rules WHERE user_id = ANY($1::text[]) "
                             "ORDER BY user_id, kind, priority DESC"},
    {"push_defaults_for_users",
     "SELECT user_id, kind, rule_id, enabled, actions FROM push_rule_defaults "
     "WHERE user_id = ANY($1::text[]) ORDER BY user_id"},
    {"push_lock_user", "SELECT pg_advisory_xact_lock(hashtextextended('push_rules:' || $1, 0))"},
    {"push_rule_get", "SELECT " RULE_COLS " FROM push_rules "
                      "WHERE user_id = $1 AND kind = $2 AND rule_id = $3"},
    {"push_rule_max", "SELECT coalesce(max(priority), 0) FROM push_rules "
                      "WHERE user_id = $1 AND kind = $2"},
    {"push_rule_shift", "UPDATE push_rules SET priority = priority + 1 "
                        "WHERE user_id = $1 AND kind = $2 AND priority >= $3"},
    {"push_rule_upsert",
     "INSERT INTO push_rules (" RULE_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
     "ON CONFLICT (user_id, kind, rule_id) DO UPDATE SET priority = EXCLUDED.priority, "
     "conditions = EXCLUDED.conditions, actions = EXCLUDED.actions, "
     "pattern = EXCLUDED.pattern, enabled = EXCLUDED.enabled"},
    {"push_rule_delete",
     "DELETE FROM push_rules WHERE user_id = $1 AND kind = $2 AND rule_id = $3"},
    {"push_rule_set_enabled", "UPDATE push_rules SET enabled = $4 "
                              "WHERE user_id = $1 AND kind = $2 AND rule_id = $3"},
    {"push_rule_set_actions", "UPDATE push_rules SET actions = $4 "
                              "WHERE user_id = $1 AND kind = $2 AND rule_id = $3"},
    {"push_default_set",
     "INSERT INTO push_rule_defaults (user_id, kind, rule_id, enabled, actions) "
     "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, kind, rule_id) DO UPDATE SET "
     "enabled = coalesce(EXCLUDED.enabled, push_rule_defaults.enabled), "
     "actions = coalesce(EXCLUDED.actions, push_rule_defaults.actions)"},
    {"push_joined_members",
     "SELECT e.state_key, CASE WHEN jsonb_typeof(e.client_json::jsonb -> 'content' -> "
     "'displayname') = 'string' THEN e.client_json::jsonb -> 'content' ->> 'displayname' END, "
     "u.user_id IS NOT NULL AND NOT u.deactivated "
     "FROM events e LEFT JOIN users u ON u.user_id = e.state_key "
     "WHERE e.event_id = ANY($1::text[]) AND e.type = 'm.room.member' AND e.membership = 'join'"},
    /*
     * The rows: an event's recipients with one outcome each.  $8's
     * elements are text[] literals, one a row.  New rows only: nothing to
     * wait for, so a writer sends them before it takes its rooms' locks.
     */
    {"push_actions_insert",
     "INSERT INTO push_actions (room_id, stream_ordering, grp, actions, notify, highlight, ts, "
     "user_ids) SELECT r, s, g, x, n, h, t, u::text[] FROM unnest($1::text[], $2::bigint[], "
     "$3::integer[], $4::text[], $5::boolean[], $6::boolean[], $7::bigint[], $8::text[]) "
     "AS v(r, s, g, x, n, h, t, u)"},
    /*
     * What those rows add to the counts (new rows are after every read
     * position), one element a (user, room), in that order: every writer
     * takes the counts' row locks in the same order.
     */
    {"push_counts_add",
     "INSERT INTO push_counts (user_id, room_id, notify, highlight) "
     "SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) "
     "ON CONFLICT (user_id, room_id) DO UPDATE SET notify = push_counts.notify + EXCLUDED.notify, "
     "highlight = push_counts.highlight + EXCLUDED.highlight"},
    {"push_mark_read",
     "INSERT INTO push_read (user_id, room_id, stream_ordering) VALUES ($1, $2, $3) "
     "ON CONFLICT (user_id, room_id) DO UPDATE SET stream_ordering = "
     "greatest(push_read.stream_ordering, EXCLUDED.stream_ordering)"},
    {"push_counts_lock",
     "INSERT INTO push_counts (user_id, room_id) VALUES ($1, $2) "
     "ON CONFLICT (user_id, room_id) DO UPDATE SET notify = push_counts.notify"},
    /* A statement of its own, after the lock: its snapshot sees every row added before. */
    {"push_counts_recount",
     "UPDATE push_counts c SET (notify, highlight) = (SELECT count(*) FILTER (WHERE a.notify), "
     "count(*) FILTER (WHERE a.highlight) FROM push_actions a WHERE a.room_id = $2 "
     "AND a.stream_ordering > (SELECT r.stream_ordering FROM push_read r "
     "WHERE r.user_id = $1 AND r.room_id = $2) AND $1 = ANY(a.user_ids)) "
     "WHERE c.user_id = $1 AND c.room_id = $2"},
    /*
     * Newest first, before $2.  The user's push_counts rows name every room
     * they were notified in; each room's newest $4 are merged.
     */
    {"push_notifications",
     "SELECT x.room_id, x.stream_ordering, x.actions, e.client_json, "
     "x.stream_ordering <= coalesce(r.stream_ordering, 0), x.ts "
     "FROM push_counts c CROSS JOIN LATERAL (SELECT a.room_id, a.stream_ordering, a.actions, a.ts "
     "FROM push_actions a WHERE a.room_id = c.room_id AND a.stream_ordering < $2 AND a.notify "
     "AND (NOT $3::boolean OR a.highlight) AND $1 = ANY(a.user_ids) "
     "ORDER BY a.stream_ordering DESC LIMIT $4) x "
     "JOIN events e ON e.stream_ordering = x.stream_ordering "
     "LEFT JOIN push_read r ON r.user_id = $1 AND r.room_id = x.room_id "
     "WHERE c.user_id = $1 ORDER BY x.stream_ordering DESC LIMIT $4"},
    {"pusher_set",
     "WITH gone AS (DELETE FROM pushers WHERE app_id = $2 AND pushkey = $3 AND user_id <> $1 "
     "AND NOT $12::boolean) "
     "INSERT INTO pushers (" PUSHER_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
     "ON CONFLICT (user_id, app_id, pushkey) DO UPDATE SET kind = EXCLUDED.kind, "
     "app_display_name = EXCLUDED.app_display_name, "
     "device_display_name = EXCLUDED.device_display_name, profile_tag = EXCLUDED.profile_tag, "
     "lang = EXCLUDED.lang, data = EXCLUDED.data, device_id = EXCLUDED.device_id"},
    {"pusher_delete", "DELETE FROM pushers WHERE user_id = $1 AND app_id = $2 AND pushkey = $3"},
    {"pushers_list", "SELECT " PUSHER_COLS " FROM pushers WHERE user_id = $1 "
                     "ORDER BY created_ts, app_id, pushkey"},
    {NULL, NULL},
};

static const char *
dup_val(struct sy_arena *a, PGresult *res, int r, int c)
{
    return sy_arena_strdup(a, sy_db_val(res, r, c));
}

static int64_t
int_val(PGresult *res, int r, int c)
{
    return strtoll(PQgetvalue(res, r, c), NULL, 10);
}

static int
bool_val(PGresult *res, int r, int c)
{
    return PQgetvalue(res, r, c)[0] == 't';
}

static void
read_rule(struct sy_arena *a, PGresult *res, int r, struct sy_db_push_rule *out)
{
    out->user_id = dup_val(a, res, r, 0);
    out->kind = dup_val(a, res, r, 1);
    out->rule_id = dup_val(a, res, r, 2);
    out->priority = int_val(res, r, 3);
    out->conditions = dup_val(a, res, r, 4);
    out->actions = dup_val(a, res, r, 5);
    out->pattern = dup_val(a, res, r, 6);
    out->enabled = bool_val(res, r, 7);
}

int
sy_db_push_rules_for_users(struct sy_db *db, struct sy_arena *a, const char *const *users,
                           size_t n_users, struct sy_db_push_rule **out, size_t *n,
                           struct sy_error *err)
{
    const char *p[1] = {sy_db_text_array(a, users, n_users)};
    PGresult *res = sy_db_exec(db, "push_rules_for_users", 1, p, err);
    int rows;

    if (res == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(**out) * (size_t)(rows ? rows : 1));
    for (int r = 0; r < rows; r++)
        read_rule(a, res, r, &(*out)[r]);
    *n = (size_t)rows;
    PQclear(res);
    return SY_OK;
}

int
sy_db_push_defaults_for_users(struct sy_db *db, struct sy_arena *a, const char *const *users,
                              size_t n_users, struct sy_db_push_default **out, size_t *n,
                              struct sy_error *err)
{
    const char *p[1] = {sy_db_text_array(a, users, n_users)};
    PGresult *res = sy_db_exec(db, "push_defaults_for_users", 1, p, err);
    int rows;

    if (res == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(**out) * (size_t)(rows ? rows : 1));
    for (int r = 0; r < rows; r++) {
        struct sy_db_push_default *d = &(*out)[r];

        d->user_id = dup_val(a, res, r, 0);
        d->kind = dup_val(a, res, r, 1);
        d->rule_id = dup_val(a, res, r, 2);
        d->enabled = PQgetisnull(res, r, 3) ? -1 : bool_val(res, r, 3);
        d->actions = dup_val(a, res, r, 4);
    }
    *n = (size_t)rows;
    PQclear(res);
    return SY_OK;
}

int
sy_db_push_lock_user(struct sy_db *db, const char *user_id, struct sy_error *err)
{
    return sy_db_run(db, "push_lock_user", 1, &user_id, NULL, err);
}

int
sy_db_push_rule_get(struct sy_db *db, struct sy_arena *a, const char *user_id, const char *kind,
                    const char *rule_id, struct sy_db_push_rule *out, struct sy_error *err)
{
    const char *p[3] = {user_id, kind, rule_id};
    PGresult *res = sy_db_exec(db, "push_rule_get", 3, p, err);
    int rc = SY_OK;

    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0)
        rc = sy_err_notfound(err, "no such push rule");
    else
        read_rule(a, res, 0, out);
    PQclear(res);
    return rc;
}

int
sy_db_push_rule_max_priority(struct sy_db *db, const char *user_id, const char *kind, int64_t *out,
                             struct sy_error *err)
{
    const char *p[2] = {user_id, kind};
    PGresult *res = sy_db_exec(db, "push_rule_max", 2, p, err);

    if (res == NULL)
        return err->code;
    *out = int_val(res, 0, 0);
    PQclear(res);
    return SY_OK;
}

int
sy_db_push_rule_shift(struct sy_db *db, const char *user_id, const char *kind, int64_t from,
                      struct sy_error *err)
{
    char f[24];
    const char *p[3] = {user_id, kind, f};

    snprintf(f, sizeof(f), "%lld", (long long)from);
    return sy_db_run(db, "push_rule_shift", 3, p, NULL, err);
}

int
sy_db_push_rule_upsert(struct sy_db *db, const struct sy_db_push_rule *r, struct sy_error *err)
{
    char prio[24];
    const char *p[8];

    snprintf(prio, sizeof(prio), "%lld", (long long)r->priority);
    p[0] = r->user_id, p[1] = r->kind, p[2] = r->rule_id, p[3] = prio;
    p[4] = r->conditions, p[5] = r->actions, p[6] = r->pattern;
    p[7] = r->enabled ? "true" : "false";
    return sy_db_run(db, "push_rule_upsert", 8, p, NULL, err);
}

/* A statement on one rule that must touch a row. */
static int
rule_update(struct sy_db *db, const char *stmt, int n, const char *const *p, struct sy_error *err)
{
    long rows = 0;

    if (sy_db_run(db, stmt, n, p, &rows, err) != SY_OK)
        return err->code;
    return rows > 0 ? SY_OK : sy_err_notfound(err, "no such push rule");
}

int
sy_db_push_rule_delete(struct sy_db *db, const char *user_id, const char *kind, const char *rule_id,
                       struct sy_error *err)
{
    const char *p[3] = {user_id, kind, rule_id};

    return rule_update(db, "push_rule_delete", 3, p, err);
}

int
sy_db_push_rule_set_enabled(struct sy_db *db, const char *user_id, const char *kind,
                            const char *rule_id, int enabled, struct sy_error *err)
{
    const char *p[4] = {user_id, kind, rule_id, enabled ? "true" : "false"};

    return rule_update(db, "push_rule_set_enabled", 4, p, err);
}

int
sy_db_push_rule_set_actions(struct sy_db *db, const char *user_id, const char *kind,
                            const char *rule_id, const char *actions, struct sy_error *err)
{
    const char *p[4] = {user_id, kind, rule_id, actions};

    return rule_update(db, "push_rule_set_actions", 4, p, err);
}

int
sy_db_push_default_set(struct sy_db *db, const char *user_id, const char *kind, const char *rule_id,
                       int enabled, const char *actions, struct sy_error *err)
{
    const char *p[5] = {user_id, kind, rule_id,
                        enabled < 0 ? NULL
                        : enabled   ? "true"
                                    : "false",
                        actions};

    return sy_db_run(db, "push_default_set", 5, p, NULL, err);
}

int
sy_db_push_joined_members(struct sy_db *db, struct sy_arena *a, const char *const *event_ids,
                          size_t n_ids, struct sy_db_push_member **out, size_t *n,
                          struct sy_error *err)
{
    const char *p[1] = {sy_db_text_array(a, event_ids, n_ids)};
    PGresult *res = sy_db_exec(db, "push_joined_members", 1, p, err);
    int rows;

    if (res == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(**out) * (size_t)(rows ? rows : 1));
    for (int r = 0; r < rows; r++) {
        (*out)[r].user_id = dup_val(a, res, r, 0);
        (*out)[r].displayname = dup_val(a, res, r, 1);
        (*out)[r].is_local = bool_val(res, r, 2);
    }
    *n = (size_t)rows;
    PQclear(res);
    return SY_OK;
}

/* The columns of the stored rows: one an (event, outcome). */
struct outcome_cols {
    struct sy_db_array col[8];
};

/* One outcome of an event: the first recipient's row says what it is. */
struct outcome {
    const struct sy_db_push_action *first;
    struct sy_db_array users;
};

static int
same_outcome(const struct sy_db_push_action *x, const struct sy_db_push_action *y)
{
    return x->notify == y->notify && x->highlight == y->highlight &&
           (x->actions == y->actions || strcmp(x->actions, y->actions) == 0);
}

static void
add_outcome(struct outcome_cols *c, struct sy_arena *a, struct outcome *o, int grp)
{
    const struct sy_db_push_action *f = o->first;

    sy_db_array_text(&c->col[0], f->room_id);
    sy_db_array_int(&c->col[1], f->stream);
    sy_db_array_int(&c->col[2], grp);
    sy_db_array_text(&c->col[3], f->actions);
    sy_db_array_bool(&c->col[4], f->notify);
    sy_db_array_bool(&c->col[5], f->highlight);
    sy_db_array_int(&c->col[6], f->ts);
    sy_db_array_text(&c->col[7], sy_db_array_finish(&o->users, a));
}

/* The rows v[0..n) of one event, grouped by outcome (an event has few). */
static void
add_event(struct outcome_cols *c, struct sy_arena *a, const struct sy_db_push_action *v, size_t n)
{
    struct outcome *o = sy_arena_alloc(a, sizeof(*o) * n);
    size_t n_out = 0;

    for (size_t i = 0; i < n; i++) {
        size_t k = 0;

        while (k < n_out && !same_outcome(o[k].first, &v[i]))
            k++;
        if (k == n_out) {
            o[n_out].first = &v[i];
            sy_db_array_init(&o[n_out++].users);
        }
        sy_db_array_text(&o[k].users, v[i].user_id);
    }
    for (size_t k = 0; k < n_out; k++)
        add_outcome(c, a, &o[k], (int)k);
}

/* What the outcomes add to one (user, room)'s counts. */
struct count_add {
    const char *user_id, *room_id;
    int64_t notify, highlight;
};

static int
cmp_count_add(const void *x, const void *y)
{
    const struct count_add *a = x, *b = y;
    int c = strcmp(a->user_id, b->user_id);

    return c != 0 ? c : strcmp(a->room_id, b->room_id);
}

/*
 * v[0..n) summed by (user, room), sorted.  One map of users per room,
 * the last room's kept at hand: one event's outcomes are next to each
 * other, so most look-ups are one hash of a user ID.
 */
static struct count_add *
sum_counts(struct sy_arena *a, const struct sy_db_push_action *v, size_t n, size_t *n_out)
{
    struct count_add *out = sy_arena_alloc(a, sizeof(*out) * (n ? n : 1));
    struct sy_map *rooms = sy_map_new(a, 8), *users = NULL;
    const char *room = NULL;
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        struct count_add *c;

        if (room == NULL || strcmp(room, v[i].room_id) != 0) {
            room = v[i].room_id;
            if ((users = sy_map_get(rooms, room)) == NULL) {
                users = sy_map_new(a, 64);
                sy_map_set(rooms, room, users);
            }
        }
        if ((c = sy_map_get(users, v[i].user_id)) == NULL) {
            c = &out[k++];
            *c = (struct count_add){v[i].user_id, room, 0, 0};
            sy_map_set(users, v[i].user_id, c);
        }
        c->notify += v[i].notify != 0;
        c->highlight += v[i].highlight != 0;
    }
    /* The map holds pointers into out: sorted only once it is no longer used. */
    qsort(out, k, sizeof(*out), cmp_count_add);
    *n_out = k;
    return out;
}

static void
counts_call(struct sy_arena *a, const struct sy_db_push_action *v, size_t n,
            struct sy_db_call *out)
{
    size_t k;
    struct count_add *c = sum_counts(a, v, n, &k);
    struct sy_db_array col[4];
    const char **p = sy_arena_alloc(a, sizeof(*p) * 4);

    for (int j = 0; j < 4; j++)
        sy_db_array_init(&col[j]);
    for (size_t i = 0; i < k; i++) {
        sy_db_array_text(&col[0], c[i].user_id);
        sy_db_array_text(&col[1], c[i].room_id);
        sy_db_array_int(&col[2], c[i].notify);
        sy_db_array_int(&col[3], c[i].highlight);
    }
    for (int j = 0; j < 4; j++)
        p[j] = sy_db_array_finish(&col[j], a);
    *out = (struct sy_db_call){"push_counts_add", 4, p};
}

void
sy_db_push_actions_insert_calls(struct sy_arena *a, const struct sy_db_push_action *v, size_t n,
                                struct sy_db_call *rows, struct sy_db_call *counts)
{
    struct outcome_cols c;
    const char **p;

    *rows = *counts = (struct sy_db_call){NULL, 0, NULL};
    if (n == 0)
        return;
    p = sy_arena_alloc(a, sizeof(*p) * 8);
    for (int k = 0; k < 8; k++)
        sy_db_array_init(&c.col[k]);
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && v[j].stream == v[i].stream; j++)
            ;
        add_event(&c, a, v + i, j - i);
    }
    for (int k = 0; k < 8; k++)
        p[k] = sy_db_array_finish(&c.col[k], a);
    *rows = (struct sy_db_call){"push_actions_insert", 8, p};
    counts_call(a, v, n, counts);
}

int
sy_db_push_actions_insert(struct sy_db *db, struct sy_arena *a, const struct sy_db_push_action *v,
                          size_t n, struct sy_error *err)
{
    struct sy_db_call rows, counts;

    sy_db_push_actions_insert_calls(a, v, n, &rows, &counts);
    if (sy_db_send(db, &rows, err) != SY_OK)
        return err->code;
    return sy_db_send(db, &counts, err);
}

int
sy_db_push_mark_read(struct sy_db *db, const char *user_id, const char *room_id, int64_t stream,
                     struct sy_error *err)
{
    char s[24];
    const char *p[3] = {user_id, room_id, s};

    snprintf(s, sizeof(s), "%lld", (long long)stream);
    /*
     * Lock the counts' row first: a writer adding to it waits for this
     * transaction, and the recount (a later statement) sees every row a
     * writer committed before it.  Rows of a writer still waiting are not
     * counted; it adds them once this commits.
     */
    if (sy_db_run(db, "push_mark_read", 3, p, NULL, err) != SY_OK ||
        sy_db_run(db, "push_counts_lock", 2, p, NULL, err) != SY_OK)
        return err->code;
    return sy_db_run(db, "push_counts_recount", 2, p, NULL, err);
}

/* The counts /sync reads for all its rooms at once, for one room: one statement for both. */
int
sy_db_push_unread(struct sy_db *db, const char *user_id, const char *room_id,
                  int64_t *notifications, int64_t *highlights, struct sy_error *err)
{
    return sy_db_batch_push_unread(db, user_id, &room_id, 1, notifications, highlights, err);
}

int
sy_db_push_notifications(struct sy_db *db, struct sy_arena *a, const char *user_id, int64_t before,
                         int only_highlight, size_t limit, struct sy_db_notification **out,
                         size_t *n, struct sy_error *err)
{
    char b[24], l[24];
    const char *p[4] = {user_id, b, only_highlight ? "true" : "false", l};
    PGresult *res;
    int rows;

    snprintf(b, sizeof(b), "%lld", (long long)(before > 0 ? before : INT64_MAX));
    snprintf(l, sizeof(l), "%zu", limit);
    if ((res = sy_db_exec(db, "push_notifications", 4, p, err)) == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(**out) * (size_t)(rows ? rows : 1));
    for (int r = 0; r < rows; r++) {
        struct sy_db_notification *x = &(*out)[r];

        x->room_id = dup_val(a, res, r, 0);
        x->stream = int_val(res, r, 1);
        x->actions = dup_val(a, res, r, 2);
        x->event_json = dup_val(a, res, r, 3);
        x->read = bool_val(res, r, 4);
        x->ts = int_val(res, r, 5);
    }
    *n = (size_t)rows;
    PQclear(res);
    return SY_OK;
}

int
sy_db_pusher_set(struct sy_db *db, const struct sy_db_pusher *x, int append, struct sy_error *err)
{
    char ts[24];
    const char *p[12];

    snprintf(ts, sizeof(ts), "%lld", (long long)x->created_ts);
    p[0] = x->user_id, p[1] = x->app_id, p[2] = x->pushkey, p[3] = x->kind;
    p[4] = x->app_display_name, p[5] = x->device_display_name, p[6] = x->profile_tag;
    p[7] = x->lang, p[8] = x->data, p[9] = x->device_id, p[10] = ts;
    p[11] = append ? "true" : "false";
    return sy_db_run(db, "pusher_set", 12, p, NULL, err);
}

int
sy_db_pusher_delete(struct sy_db *db, const char *user_id, const char *app_id, const char *pushkey,
                    struct sy_error *err)
{
    const char *p[3] = {user_id, app_id, pushkey};

    return sy_db_run(db, "pusher_delete", 3, p, NULL, err);
}

int
sy_db_pushers_list(struct sy_db *db, struct sy_arena *a, const char *user_id,
                   struct sy_db_pusher **out, size_t *n, struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, "pushers_list", 1, &user_id, err);
    int rows;

    if (res == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(**out) * (size_t)(rows ? rows : 1));
    for (int r = 0; r < rows; r++) {
        struct sy_db_pusher *x = &(*out)[r];

        x->user_id = dup_val(a, res, r, 0);
        x->app_id = dup_val(a, res, r, 1);
        x->pushkey = dup_val(a, res, r, 2);
        x->kind = dup_val(a, res, r, 3);
        x->app_display_name = dup_val(a, res, r, 4);
        x->device_display_name = dup_val(a, res, r, 5);
        x->profile_tag = dup_val(a, res, r, 6);
        x->lang = dup_val(a, res, r, 7);
        x->data = dup_val(a, res, r, 8);
        x->device_id = dup_val(a, res, r, 9);
        x->created_ts = int_val(res, r, 10);
    }
    *n = (size_t)rows;
    PQclear(res);
    return SY_OK;
}
