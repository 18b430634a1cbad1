/*
 * api/client/hierarchy.c -- GET /_matrix/client/v1/rooms/{roomId}/hierarchy:
 * the rooms of a space, walked depth first through m.space.child state.
 *
 * As in Synapse: children are visited in the order of their "order"
 * field (valid ones first), then origin_server_ts, then room ID; a child
 * event with empty content or without a non-empty "via" list is ignored;
 * only spaces list their children_state; a room is shown when the user
 * may preview it (join rule public, knock or knock_restricted, history
 * world_readable, joined or invited, or joined to a room a restricted
 * join rule allows).  Rooms this node does not know are skipped (no
 * federation yet).
 *
 * Pagination is stateless: the token carries the request's parameters
 * and how many rooms were already returned, and the next page walks the
 * same tree again and skips them.  The walk visits at most
 * HIER_WALK_MAX rooms.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/routes.h"
#include "config.h"
#include "db/directory.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "rooms/room.h"
#include "util/arena.h"
#include "util/b64.h"
#include "util/err.h"

#define HIER_LIMIT_MAX 50
#define HIER_WALK_MAX 1000
#define HIER_ORDER_MAX 50

struct child {
    const char *room_id;
    const char *order; /* NULL when absent or invalid */
    int64_t ts;
    struct json_object *stripped;
};

struct walk_entry {
    const char *room_id;
    int64_t depth;
};

struct walk {
    struct sy_req *req;
    int suggested_only;
    int64_t max_depth; /* -1: unlimited */
    struct walk_entry *stack;
    size_t n_stack, cap_stack;
    const char **seen;
    size_t n_seen;
};

static void
add_str(struct json_object *o, const char *key, const char *value)
{
    if (value != NULL)
        json_object_object_add(o, key, json_object_new_string(value));
}

static int
streq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int
order_valid(const char *s)
{
    size_t n = strlen(s);

    if (n > HIER_ORDER_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e)
            return 0;
    return 1;
}

static int
child_cmp(const void *pa, const void *pb)
{
    const struct child *a = pa, *b = pb;
    int c;

    if ((a->order == NULL) != (b->order == NULL))
        return a->order == NULL ? 1 : -1;
    if (a->order != NULL && (c = strcmp(a->order, b->order)) != 0)
        return c;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return strcmp(a->room_id, b->room_id);
}

/* A non-empty list of strings. */
static int
via_valid(struct json_object *content)
{
    struct json_object *via = sy_json_get_arr(content, "via");
    size_t n;

    if (via == NULL || (n = json_object_array_length(via)) == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!json_object_is_type(json_object_array_get_idx(via, i), json_type_string))
            return 0;
    return 1;
}

/* The usable m.space.child events of a space, sorted: an arena array of *n. */
static int
load_children(struct walk *w, const char *room_id, struct child **out, size_t *n,
              struct sy_error *err)
{
    struct sy_arena *a = w->req->arena;
    const char **texts;
    size_t nt, k = 0;
    struct child *c;

    if (sy_db_dir_state_of_type(w->req->db, a, room_id, "m.space.child", &texts, &nt, err) != SY_OK)
        return err->code;
    c = sy_arena_alloc(a, sizeof(*c) * (nt ? nt : 1));
    for (size_t i = 0; i < nt; i++) {
        struct sy_error perr = {0};
        struct json_object *ev, *content, *s, *v;
        const char *order;

        if (sy_json_parse(a, texts[i], strlen(texts[i]), 128, &ev, &perr) != SY_OK)
            continue;
        content = sy_json_get_obj(ev, "content");
        if (content == NULL || json_object_object_length(content) == 0 || !via_valid(content))
            continue;
        if (w->suggested_only &&
            ((v = sy_json_get(content, "suggested")) == NULL ||
             !json_object_is_type(v, json_type_boolean) || !json_object_get_boolean(v)))
            continue;
        c[k].room_id = sy_json_get_str(ev, "state_key");
        if (c[k].room_id == NULL)
            continue;
        order = sy_json_get_str(content, "order");
        c[k].order = order != NULL && order_valid(order) ? order : NULL;
        v = sy_json_get(ev, "origin_server_ts");
        c[k].ts = v != NULL ? json_object_get_int64(v) : 0;
        s = json_object_new_object();
        add_str(s, "type", "m.space.child");
        add_str(s, "state_key", c[k].room_id);
        json_object_object_add(s, "content", json_object_get(content));
        add_str(s, "sender", sy_json_get_str(ev, "sender"));
        json_object_object_add(s, "origin_server_ts", json_object_new_int64(c[k].ts));
        c[k].stripped = sy_json_own(a, s);
        k++;
    }
    qsort(c, k, sizeof(*c), child_cmp);
    *out = c;
    *n = k;
    return SY_OK;
}

/* Joined to one of the rooms a restricted join rule's "allow" list names. */
static int
allowed_by_restriction(struct walk *w, const char *allow_json, int *ok, struct sy_error *err)
{
    struct sy_error perr = {0};
    struct json_object *allow;
    size_t n;

    *ok = 0;
    if (allow_json == NULL ||
        sy_json_parse(w->req->arena, allow_json, strlen(allow_json), 16, &allow, &perr) != SY_OK)
        return SY_OK;
    n = json_object_array_length(allow);
    for (size_t i = 0; i < n && !*ok; i++) {
        struct json_object *rule = json_object_array_get_idx(allow, i);
        const char *room = sy_json_get_str(rule, "room_id"), *m = NULL;

        if (!streq(sy_json_get_str(rule, "type"), "m.room_membership") || room == NULL)
            continue;
        if (sy_room_membership(w->req->db, w->req->arena, room, w->req->user_id, &m, err) != SY_OK)
            return err->code;
        *ok = streq(m, "join");
    }
    return SY_OK;
}

/* Synapse's _is_local_room_accessible. */
static int
accessible(struct walk *w, const struct sy_dir_room *r, int *ok, struct sy_error *err)
{
    const char *m = NULL;

    *ok = 1;
    if (streq(r->join_rule, "public") || streq(r->join_rule, "knock") ||
        streq(r->join_rule, "knock_restricted") || streq(r->history_visibility, "world_readable"))
        return SY_OK;
    if (sy_room_membership(w->req->db, w->req->arena, r->room_id, w->req->user_id, &m, err) !=
        SY_OK)
        return err->code;
    if (streq(m, "join") || streq(m, "invite"))
        return SY_OK;
    if (streq(r->join_rule, "restricted") || streq(r->join_rule, "knock_restricted"))
        return allowed_by_restriction(w, r->allow_json, ok, err);
    *ok = 0;
    return SY_OK;
}

static struct json_object *
room_entry(const struct sy_dir_room *r, const struct child *children, size_t n)
{
    struct json_object *o = json_object_new_object(), *cs = json_object_new_array();

    add_str(o, "room_id", r->room_id);
    add_str(o, "name", r->name);
    add_str(o, "topic", r->topic);
    add_str(o, "canonical_alias", r->canonical_alias);
    add_str(o, "avatar_url", r->avatar_url);
    add_str(o, "join_rule", r->join_rule != NULL ? r->join_rule : "invite");
    add_str(o, "room_type", r->room_type);
    add_str(o, "room_version", r->room_version);
    add_str(o, "encryption", r->encryption);
    json_object_object_add(o, "num_joined_members", json_object_new_int64(r->num_joined_members));
    json_object_object_add(o, "world_readable",
                           json_object_new_boolean(streq(r->history_visibility, "world_readable")));
    json_object_object_add(o, "guest_can_join",
                           json_object_new_boolean(streq(r->guest_access, "can_join")));
    for (size_t i = 0; i < n; i++)
        json_object_array_add(cs, json_object_get(children[i].stripped));
    json_object_object_add(o, "children_state", cs);
    return o;
}

static void
push(struct walk *w, const char *room_id, int64_t depth)
{
    if (w->n_stack == w->cap_stack) {
        size_t cap = w->cap_stack ? w->cap_stack * 2 : 16;
        struct walk_entry *s = sy_arena_alloc(w->req->arena, sizeof(*s) * cap);

        if (w->n_stack > 0)
            memcpy(s, w->stack, sizeof(*s) * w->n_stack);
        w->stack = s;
        w->cap_stack = cap;
    }
    w->stack[w->n_stack].room_id = room_id;
    w->stack[w->n_stack].depth = depth;
    w->n_stack++;
}

static int
seen(const struct walk *w, const char *room_id)
{
    for (size_t i = 0; i < w->n_seen; i++)
        if (strcmp(w->seen[i], room_id) == 0)
            return 1;
    return 0;
}

/* Drop already visited rooms from the top of the stack. */
static void
trim(struct walk *w)
{
    while (w->n_stack > 0 && seen(w, w->stack[w->n_stack - 1].room_id))
        w->n_stack--;
}

/* The token: base64url("1|skip|suggested_only|max_depth|room_id"). */
static const char *
make_token(struct walk *w, const char *room_id, int64_t skip)
{
    const char *raw = sy_arena_printf(w->req->arena, "1|%" PRId64 "|%d|%" PRId64 "|%s", skip,
                                      w->suggested_only, w->max_depth, room_id);

    return sy_b64_encode(w->req->arena, raw, strlen(raw), 1);
}

/* -1 when the token is malformed or was made for other parameters. */
static int64_t
parse_token(struct walk *w, const char *room_id, const char *token)
{
    unsigned char *raw;
    size_t len;
    long long skip, depth;
    int sugg, used = 0;

    if (sy_b64_decode(w->req->arena, token, 1, &raw, &len) != SY_OK || len > 600 ||
        memchr(raw, '\0', len) != NULL)
        return -1;
    if (sscanf((const char *)raw, "1|%lld|%d|%lld|%n", &skip, &sugg, &depth, &used) != 3 ||
        used == 0)
        return -1;
    if (skip < 0 || sugg != w->suggested_only || depth != w->max_depth ||
        strcmp((const char *)raw + used, room_id) != 0)
        return -1;
    return skip;
}

/* A query parameter as a non-negative integer; -1 when absent; -2 when malformed. */
static int64_t
query_int(struct sy_req *req, const char *name)
{
    const char *v = sy_req_query(req, name);
    char *end;
    long long n;

    if (v == NULL)
        return -1;
    n = strtoll(v, &end, 10);
    if (v[0] == '\0' || *end != '\0' || n < 0 || n > INT32_MAX)
        return -2;
    return n;
}

static void
get_hierarchy(struct sy_req *req)
{
    struct sy_error err = {0};
    struct walk w = {.req = req};
    struct json_object *resp, *rooms;
    const char *room_id = sy_req_param(req, "roomId"), *from = sy_req_query(req, "from");
    const char *sugg = sy_req_query(req, "suggested_only");
    int64_t limit = query_int(req, "limit"), skip = 0, index = 0;
    int ok = 0;

    w.max_depth = query_int(req, "max_depth");
    if (limit == -2 || limit == 0 || w.max_depth == -2) {
        sy_reply_error(req, 400, "M_INVALID_PARAM",
                       "'limit' must be a positive and 'max_depth' a non-negative integer");
        return;
    }
    if (limit < 0 || limit > HIER_LIMIT_MAX)
        limit = HIER_LIMIT_MAX;
    if (sugg != NULL && strcmp(sugg, "true") != 0 && strcmp(sugg, "false") != 0) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "'suggested_only' must be true or false");
        return;
    }
    w.suggested_only = sugg != NULL && strcmp(sugg, "true") == 0;
    if (from != NULL && (skip = parse_token(&w, room_id, from)) < 0) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "unknown pagination token");
        return;
    }
    w.seen = sy_arena_alloc(req->arena, sizeof(*w.seen) * HIER_WALK_MAX);
    rooms = json_object_new_array();
    resp = sy_json_new_object(req->arena);
    json_object_object_add(resp, "rooms", rooms);
    push(&w, room_id, 0);
    while (w.n_stack > 0 && index < skip + limit && w.n_seen < HIER_WALK_MAX) {
        struct walk_entry e = w.stack[--w.n_stack];
        struct sy_dir_room r;
        struct child *children = NULL;
        size_t nc = 0;

        if (seen(&w, e.room_id))
            continue;
        w.seen[w.n_seen++] = e.room_id;
        if (sy_db_dir_room(req->db, req->arena, e.room_id, &r, &err) != SY_OK) {
            if (err.code != SY_ENOTFOUND)
                goto fail;
            ok = 0;
        } else if (accessible(&w, &r, &ok, &err) != SY_OK) {
            goto fail;
        }
        if (!ok) {
            if (e.depth == 0) {
                sy_err_forbidden(&err, "user %s not in room %s, and room previews are disabled",
                                 req->user_id, room_id);
                goto fail;
            }
            continue;
        }
        if (streq(r.room_type, "m.space") &&
            load_children(&w, r.room_id, &children, &nc, &err) != SY_OK)
            goto fail;
        if (index++ >= skip)
            json_object_array_add(rooms, room_entry(&r, children, nc));
        if (w.max_depth < 0 || e.depth < w.max_depth)
            for (size_t i = nc; i > 0; i--)
                push(&w, children[i - 1].room_id, e.depth + 1);
    }
    trim(&w);
    if (w.n_stack > 0 && w.n_seen < HIER_WALK_MAX)
        add_str(resp, "next_batch", make_token(&w, room_id, index));
    sy_reply_json(req, 200, resp);
    return;
fail:
    sy_reply_sy_error(req, &err);
}

const struct sy_route sy_client_hierarchy_routes[] = {
    {.method = SY_GET,
     .path = "/_matrix/client/v1/rooms/{roomId}/hierarchy",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .guest_ok = 1,
     .handler = get_hierarchy},
};
const size_t sy_client_hierarchy_routes_count =
    sizeof(sy_client_hierarchy_routes) / sizeof(sy_client_hierarchy_routes[0]);
