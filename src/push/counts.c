/*
 * push/counts.c -- evaluate each new event for the room's local members
 * and keep the rows that give unread counts and /notifications.
 */
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

/* Joined members from the state after the event: who is counted, who is evaluated. */
static int
gather_targets(struct sy_db *db, struct sy_arena *a, const struct sy_event *ev,
               struct sy_room_state *st, struct target **out, size_t *n_out, int64_t *member_count,
               struct sy_error *err)
{
    size_t iter = 0, n_ids = 0, cap = 16, n_members, n = 0;
    const char *type, *key, *event_id, **ids = sy_arena_alloc(a, sizeof(*ids) * cap);
    struct sy_db_push_member *members;
    struct target *t;
    const char *invitee = NULL;

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
    if (sy_db_push_joined_members(db, a, ids, n_ids, &members, &n_members, err) != SY_OK)
        return err->code;
    *member_count = (int64_t)n_members;

    /* An invite notifies the invited local user, who is not joined yet. */
    if (ev->state_key != NULL && strcmp(ev->type, "m.room.member") == 0) {
        const char *m = sy_json_get_str(ev->content, "membership");

        if (m != NULL && strcmp(m, "invite") == 0 && strcmp(ev->state_key, ev->sender) != 0)
            invitee = ev->state_key;
    }
    t = sy_arena_alloc(a, sizeof(*t) * (n_members + 1));
    for (size_t i = 0; i < n_members; i++) {
        if (!members[i].is_local || strcmp(members[i].user_id, ev->sender) == 0)
            continue;
        if (invitee != NULL && strcmp(members[i].user_id, invitee) == 0)
            invitee = NULL;
        t[n].user_id = members[i].user_id;
        t[n++].displayname = members[i].displayname;
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

/* The outcomes as sync/live.h takes them (it keeps unread counts in memory). */
static const struct sy_live_push *
pushes_of(struct sy_arena *a, const struct sy_db_push_action *out, size_t n)
{
    struct sy_live_push *p = sy_arena_alloc(a, sizeof(*p) * (n + 1));

    for (size_t i = 0; i < n; i++) {
        p[i].user_id = out[i].user_id;
        p[i].notify = out[i].notify;
        p[i].highlight = out[i].highlight;
    }
    return p;
}

int
sy_push_on_event(struct sy_db *db, struct sy_arena *a, const struct sy_event *ev,
                 struct sy_room_state *state_after, int64_t stream, struct sy_live_event *live,
                 struct sy_error *err)
{
    struct target *targets = NULL;
    size_t n_targets = 0, n_rules, n_defs, n_out = 0;
    struct sy_db_push_rule *rules;
    struct sy_db_push_default *defs;
    struct sy_db_push_action *out;
    struct sy_push_ruleset plain;
    struct sy_push_ctx ctx = {0};
    struct sy_auth_state as;
    const struct sy_event *pl;
    const char **users;

    if (ev->room_id == NULL) /* a v12 create event: nobody else is in the room yet */
        return SY_OK;
    if (gather_targets(db, a, ev, state_after, &targets, &n_targets, &ctx.member_count, err) !=
        SY_OK)
        return err->code;
    if (n_targets == 0)
        return SY_OK;

    as = sy_room_state_auth(state_after);
    ctx.event = ev->json;
    ctx.sender_level = sy_auth_user_level(&as, ev->sender);
    pl = sy_room_state_get(state_after, "m.room.power_levels", "");
    ctx.notification_levels = pl != NULL ? sy_json_get_obj(pl->content, "notifications") : NULL;

    users = sy_arena_alloc(a, sizeof(*users) * n_targets);
    for (size_t i = 0; i < n_targets; i++)
        users[i] = targets[i].user_id;
    if (sy_db_push_rules_for_users(db, a, users, n_targets, &rules, &n_rules, err) != SY_OK ||
        sy_db_push_defaults_for_users(db, a, users, n_targets, &defs, &n_defs, err) != SY_OK)
        return err->code;
    /* The database sorts by its collation; slicing below needs strcmp order. */
    qsort(rules, n_rules, sizeof(*rules), cmp_rule);
    qsort(defs, n_defs, sizeof(*defs), cmp_default);

    /* Most users change nothing: one ruleset serves them all. */
    sy_push_ruleset_build(a, NULL, 0, NULL, 0, &plain);
    out = sy_arena_alloc(a, sizeof(*out) * n_targets);
    for (size_t i = 0; i < n_targets; i++) {
        struct sy_push_ruleset own;
        const struct sy_push_ruleset *rs = &plain;
        const struct sy_push_rule *r;
        size_t r0, rn, d0, dn;

        SLICE(rules, n_rules, targets[i].user_id, r0, rn);
        SLICE(defs, n_defs, targets[i].user_id, d0, dn);
        if (rn > 0 || dn > 0) {
            sy_push_ruleset_build(a, rules + r0, rn, defs + d0, dn, &own);
            rs = &own;
        }
        ctx.user_id = targets[i].user_id;
        ctx.displayname = targets[i].displayname;
        r = sy_push_eval(rs, &ctx);
        if (r == NULL || (!r->notify && !r->highlight))
            continue;
        out[n_out].user_id = targets[i].user_id;
        out[n_out].actions = r->actions;
        out[n_out].notify = r->notify;
        out[n_out++].highlight = r->highlight;
    }
    live->push = pushes_of(a, out, n_out);
    live->n_push = n_out;
    return sy_db_push_actions_insert(db, a, ev->room_id, ev->event_id, stream, sy_now_ms(), out,
                                     n_out, err);
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
