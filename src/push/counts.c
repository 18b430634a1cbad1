/*
 * push/counts.c -- evaluate each new event for the room's local members
 * and keep the rows that give unread counts and /notifications.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "db/push.h"
#include "db/users.h"
#include "json/json.h"
#include "push/counts.h"
#include "push/eval.h"
#include "push/rules.h"
#include "rooms/auth.h"
#include "rooms/event.h"
#include "rooms/state.h"
#include "sync/live.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/lru.h"
#include "util/err.h"
#include "util/time.h"

struct target {
    const char *user_id;
    const char *displayname;
};

static int
cmp_rule(const void *x, const void *y)
{
    const struct sy_db_push_rule *a = x, *b = y;
    int c = strcmp(a->user_id, b->user_id);

    if (c == 0)
        c = strcmp(a->kind, b->kind);
    if (c == 0)
        c = a->priority > b->priority ? -1 : a->priority < b->priority;
    return c;
}

static int
cmp_default(const void *x, const void *y)
{
    const struct sy_db_push_default *a = x, *b = y;

    return strcmp(a->user_id, b->user_id);
}

/* The first index in v[0..n) (sorted by user_id) whose user_id is 'user', and how many. */
#define SLICE(v, n, user, first, count)                                                            \
    do {                                                                                           \
        size_t lo_ = 0, hi_ = (n);                                                                 \
        while (lo_ < hi_) {                                                                        \
            size_t mid_ = (lo_ + hi_) / 2;                                                         \
            if (strcmp((v)[mid_].user_id, (user)) < 0)                                             \
                lo_ = mid_ + 1;                                                                    \
            else                                                                                   \
                hi_ = mid_;                                                                        \
        }                                                                                          \
        (first) = lo_;                                                                             \
        while (hi_ < (n) && strcmp((v)[hi_].user_id, (user)) == 0)                                 \
            hi_++;                                                                                 \
        (count) = hi_ - lo_;                                                                       \
    } while (0)

/* The room's joined members: all of them counted, the local ones evaluated. */
struct members {
    struct target *local;
    size_t n_local;
    int64_t count;
};

/*
 * Members per (room, state group): a state group never changes, so
 * neither do its members.  Sends in a busy room reuse them instead of a
 * query per event.  Blob: count NUL, then per local member: user NUL,
 * 'd' displayname NUL or '-' NUL.
 */
#define MEMBERS_CACHE_BYTES (8u << 20)
static struct sy_lru *members_cache;
static pthread_once_t members_once = PTHREAD_ONCE_INIT;

static void
members_cache_init(void)
{
    members_cache = sy_lru_new(MEMBERS_CACHE_BYTES);
}

static const char *
members_key(struct sy_arena *a, const char *room_id, int64_t group)
{
    return sy_arena_printf(a, "%s|%lld", room_id, (long long)group);
}

static void
members_put(struct sy_arena *a, const char *key, const struct members *m)
{
    struct sy_buf b;

    sy_buf_init(&b, 0);
    sy_buf_puts(&b, sy_arena_printf(a, "%lld", (long long)m->count));
    sy_buf_putc(&b, '\0');
    for (size_t i = 0; i < m->n_local; i++) {
        sy_buf_puts(&b, m->local[i].user_id);
        sy_buf_putc(&b, '\0');
        sy_buf_putc(&b, m->local[i].displayname != NULL ? 'd' : '-');
        if (m->local[i].displayname != NULL)
            sy_buf_puts(&b, m->local[i].displayname);
        sy_buf_putc(&b, '\0');
    }
    sy_lru_put(members_cache, key, b.data, b.len);
    sy_buf_free(&b);
}

static int
members_get(struct sy_arena *a, const char *key, struct members *m)
{
    size_t len, n = 0;
    const char *blob = sy_lru_get(members_cache, key, a, &len), *p, *end;

    if (blob == NULL)
        return 0;
    end = blob + len;
    m->count = strtoll(blob, NULL, 10);
    for (p = blob + strlen(blob) + 1; p < end; p += strlen(p) + 1)
        n++;
    m->local = sy_arena_alloc(a, sizeof(*m->local) * (n / 2 + 1));
    m->n_local = 0;
    for (p = blob + strlen(blob) + 1; p < end;) {
        struct target *t = &m->local[m->n_local++];

        t->user_id = p;
        p += strlen(p) + 1;
        t->displayname = p[0] == 'd' ? p + 1 : NULL;
        p += strlen(p) + 1;
    }
    return 1;
}

static int
load_members(struct sy_db *db, struct sy_arena *a, struct sy_room_state *st, struct members *m,
             struct sy_error *err)
{
    size_t iter = 0, n_ids = 0, cap = 16, n_rows;
    const char *type, *key, *event_id, **ids = sy_arena_alloc(a, sizeof(*ids) * cap);
    struct sy_db_push_member *rows;

    while (sy_room_state_next(st, &iter, &type, &key, &event_id)) {
        if (strcmp(type, "m.room.member") != 0)
            continue;
        if (n_ids == cap) {
            const char **bigger = sy_arena_alloc(a, sizeof(*ids) * cap * 2);

            memcpy(bigger, ids, sizeof(*ids) * cap);
            ids = bigger, cap *= 2;
        }
        ids[n_ids++] = event_id;
    }
    if (sy_db_push_joined_members(db, a, ids, n_ids, &rows, &n_rows, err) != SY_OK)
        return err->code;
    m->count = (int64_t)n_rows;
    m->local = sy_arena_alloc(a, sizeof(*m->local) * (n_rows + 1));
    m->n_local = 0;
    for (size_t i = 0; i < n_rows; i++) {
        if (!rows[i].is_local)
            continue;
        m->local[m->n_local].user_id = rows[i].user_id;
        m->local[m->n_local++].displayname = rows[i].displayname;
    }
    return SY_OK;
}

/* The members of state group 'group' (0: not cached) of the event's room. */
static int
members_of(struct sy_db *db, struct sy_arena *a, const char *room_id, int64_t group,
           struct sy_room_state *st, struct members *m, struct sy_error *err)
{
    const char *key;

    if (group == 0)
        return load_members(db, a, st, m, err);
    pthread_once(&members_once, members_cache_init);
    key = members_key(a, room_id, group);
    if (members_get(a, key, m))
        return SY_OK;
    if (load_members(db, a, st, m, err) != SY_OK)
        return err->code;
    members_put(a, key, m);
    return SY_OK;
}

/*
 * Who is evaluated for ev: the local joined members in the state after
 * it (state group 'group'), and a local user it invites.  The sender is
 * among them; evaluation skips them.
 */
static int
gather_targets(struct sy_db *db, struct sy_arena *a, const struct sy_event *ev,
               struct sy_room_state *st, int64_t group, struct target **out, size_t *n_out,
               int64_t *member_count, struct sy_error *err)
{
    struct members m;
    struct target *t;
    const char *invitee = NULL;
    size_t n;

    if (members_of(db, a, ev->room_id, group, st, &m, err) != SY_OK)
        return err->code;
    *member_count = m.count;
    /* An invite notifies the invited local user, who is not joined yet. */
    if (ev->state_key != NULL && strcmp(ev->type, "m.room.member") == 0) {
        const char *ms = sy_json_get_str(ev->content, "membership");

        if (ms != NULL && strcmp(ms, "invite") == 0 && strcmp(ev->state_key, ev->sender) != 0)
            invitee = ev->state_key;
    }
    t = sy_arena_alloc(a, sizeof(*t) * (m.n_local + 1));
    for (n = 0; n < m.n_local; n++) {
        t[n] = m.local[n];
        if (invitee != NULL && strcmp(t[n].user_id, invitee) == 0)
            invitee = NULL;
    }
    if (invitee != NULL) {
        struct sy_user u;
        struct sy_error e2 = {0};
        int rc = sy_db_user_get(db, a, invitee, &u, &e2);

        if (rc != SY_OK && rc != SY_ENOTFOUND) {
            *err = e2;
            return rc;
        }
        if (rc == SY_OK && !u.deactivated) {
            t[n].user_id = invitee;
            t[n++].displayname = NULL;
        }
    }
    *out = t;
    *n_out = n;
    return SY_OK;
}

/* Local members of the room (and an invited local user) with their rules. */
struct sy_push_room {
    struct target *targets;
    size_t n_targets;
    int64_t member_count;
    struct sy_db_push_rule *rules;
    size_t n_rules;
    struct sy_db_push_default *defs;
    size_t n_defs;
    struct sy_push_ruleset plain; /* the ruleset of every user who changed nothing */
};

int
sy_push_room_load(struct sy_db *db, struct sy_arena *a, const struct sy_event *ev,
                  struct sy_room_state *state_after, int64_t group, struct sy_push_room **out,
                  struct sy_error *err)
{
    struct sy_push_room *pr = sy_arena_alloc(a, sizeof(*pr));
    const char **users;

    memset(pr, 0, sizeof(*pr));
    *out = pr;
    if (ev->room_id == NULL) /* a v12 create event: nobody else is in the room yet */
        return SY_OK;
    if (gather_targets(db, a, ev, state_after, group, &pr->targets, &pr->n_targets,
                       &pr->member_count, err) != SY_OK)
        return err->code;
    /* Alone in the room: nobody to notify, whoever of them sends. */
    if (pr->n_targets == 0 ||
        (pr->n_targets == 1 && strcmp(pr->targets[0].user_id, ev->sender) == 0)) {
        pr->n_targets = 0;
        return SY_OK;
    }
    users = sy_arena_alloc(a, sizeof(*users) * pr->n_targets);
    for (size_t i = 0; i < pr->n_targets; i++)
        users[i] = pr->targets[i].user_id;
    if (sy_db_push_rules_for_users(db, a, users, pr->n_targets, &pr->rules, &pr->n_rules, err) !=
            SY_OK ||
        sy_db_push_defaults_for_users(db, a, users, pr->n_targets, &pr->defs, &pr->n_defs,
                                      err) != SY_OK)
        return err->code;
    /* The database sorts by its collation; slicing below needs strcmp order. */
    qsort(pr->rules, pr->n_rules, sizeof(*pr->rules), cmp_rule);
    qsort(pr->defs, pr->n_defs, sizeof(*pr->defs), cmp_default);
    sy_push_ruleset_build(a, NULL, 0, NULL, 0, &pr->plain);
    return SY_OK;
}

void
sy_push_room_eval(struct sy_push_room *pr, struct sy_arena *a, const struct sy_event *ev,
                  struct sy_room_state *state_after, int64_t stream, struct sy_push_rows *rows)
{
    struct sy_push_ctx ctx = {0};
    struct sy_push_memo memo;
    struct sy_auth_state as;
    const struct sy_event *pl;
    int64_t now = sy_now_ms();

    if (pr->n_targets == 0)
        return;
    as = sy_room_state_auth(state_after);
    ctx.event = ev->json;
    ctx.member_count = pr->member_count;
    ctx.sender_level = sy_auth_user_level(&as, ev->sender);
    pl = sy_room_state_get(state_after, "m.room.power_levels", "");
    ctx.notification_levels = pl != NULL ? sy_json_get_obj(pl->content, "notifications") : NULL;
    /* Users who kept the defaults share pr->plain: its event-only work is done once. */
    sy_push_memo_init(&memo, a, &pr->plain, &ctx);
    for (size_t i = 0; i < pr->n_targets; i++) {
        struct sy_push_ruleset own;
        const struct sy_push_ruleset *rs = &pr->plain;
        const struct sy_push_rule *r;
        struct sy_db_push_action *out;
        size_t r0, rn, d0, dn;

        if (strcmp(pr->targets[i].user_id, ev->sender) == 0)
            continue;
        SLICE(pr->rules, pr->n_rules, pr->targets[i].user_id, r0, rn);
        SLICE(pr->defs, pr->n_defs, pr->targets[i].user_id, d0, dn);
        if (rn > 0 || dn > 0) {
            sy_push_ruleset_build(a, pr->rules + r0, rn, pr->defs + d0, dn, &own);
            rs = &own;
        }
        if (rs == &pr->plain) {
            r = sy_push_eval_memo(&memo, pr->targets[i].user_id, pr->targets[i].displayname);
        } else {
            ctx.user_id = pr->targets[i].user_id;
            ctx.displayname = pr->targets[i].displayname;
            r = sy_push_eval(rs, &ctx);
        }
        if (r == NULL || (!r->notify && !r->highlight))
            continue;
        if (rows->n == rows->cap) {
            size_t cap = rows->cap ? rows->cap * 2 : 16;
            struct sy_db_push_action *bigger = sy_arena_alloc(a, sizeof(*bigger) * cap);

            if (rows->n > 0)
                memcpy(bigger, rows->v, sizeof(*bigger) * rows->n);
            rows->v = bigger, rows->cap = cap;
        }
        out = &rows->v[rows->n++];
        out->user_id = pr->targets[i].user_id;
        out->room_id = ev->room_id;
        out->stream = stream;
        out->actions = r->actions;
        out->notify = r->notify;
        out->highlight = r->highlight;
        out->ts = now;
    }
}

const struct sy_live_push *
sy_push_rows_live(struct sy_arena *a, const struct sy_push_rows *rows, size_t from, size_t *n)
{
    struct sy_live_push *p = sy_arena_alloc(a, sizeof(*p) * (rows->n - from + 1));

    *n = rows->n - from;
    for (size_t i = 0; i < *n; i++) {
        p[i].user_id = rows->v[from + i].user_id;
        p[i].notify = rows->v[from + i].notify;
        p[i].highlight = rows->v[from + i].highlight;
    }
    return p;
}

int
sy_push_rows_flush(struct sy_db *db, struct sy_arena *a, struct sy_push_rows *rows,
                   struct sy_error *err)
{
    int rc = sy_db_push_actions_insert(db, a, rows->v, rows->n, err);

    rows->n = 0;
    return rc;
}

int
sy_push_on_event(struct sy_db *db, struct sy_arena *a, const struct sy_event *ev,
                 struct sy_room_state *state_after, int64_t group, int64_t stream,
                 struct sy_live_event *live, struct sy_error *err)
{
    struct sy_push_rows rows = {0};
    struct sy_push_room *pr;

    if (sy_push_room_load(db, a, ev, state_after, group, &pr, err) != SY_OK)
        return err->code;
    sy_push_room_eval(pr, a, ev, state_after, stream, &rows);
    live->push = sy_push_rows_live(a, &rows, 0, &live->n_push);
    return sy_push_rows_flush(db, a, &rows, err);
}

int
sy_push_mark_read(struct sy_db *db, const char *user_id, const char *room_id, int64_t up_to_stream,
                  struct sy_error *err)
{
    return sy_db_push_mark_read(db, user_id, room_id, up_to_stream, err);
}

int
sy_push_unread(struct sy_db *db, const char *user_id, const char *room_id,
               int64_t *notification_count, int64_t *highlight_count, struct sy_error *err)
{
    return sy_db_push_unread(db, user_id, room_id, notification_count, highlight_count, err);
}
