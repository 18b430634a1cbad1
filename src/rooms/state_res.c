/*
 * rooms/state_res.c -- state resolution v2 and v2.1 (see state_res.h).
 *
 * One resolution is a struct sr: a scratch arena, a cache of loaded
 * events (struct node, one per event ID, carrying the auth list and the
 * graph bookkeeping), and maps keyed by event ID or by the encoded state
 * key "<len(type)>:<type><state_key>", which cannot collide.  Every graph
 * walk is iterative: auth chains can be long.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "rooms/auth.h"
#include "rooms/event.h"
#include "rooms/state_res.h"
#include "rooms/version.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/map.h"

#define T_CREATE "m.room.create"
#define T_POWER "m.room.power_levels"

struct node {
    const char *id;
    const struct sy_event *ev; /* NULL: unknown to the loader */
    const char **auth;         /* ev->auth_events, plus the create event in v12 */
    size_t n_auth;
    int rejected;
    int64_t power; /* sender's level by its auth events (power ordering) */
    int64_t depth; /* mainline position; -1 not computed */
    int mark;      /* conflicted subgraph verdict (enum below) */
    int walk;      /* mainline walks: WALK_LINE, WALK_DEPTH */
    /* power ordering graph: edges to auth events in the graph, and back */
    int in_graph, built;
    const char **out;
    size_t n_out, n_left;
    struct node **back;
    size_t n_back, cap_back;
};

struct sr {
    struct sy_arena *a; /* scratch */
    const struct sy_room_version *v;
    const char *room_id;
    const char *create_id; /* v12: the create event named by the room ID */
    const struct sy_state_res_loader *ld;
    struct sy_map *nodes; /* event ID -> struct node */
    struct sy_error *err;
    int failed;
};

/* A growable array of pointers in the scratch arena. */
struct vec {
    void **p;
    size_t n, cap;
};

static void
vec_push(struct sy_arena *a, struct vec *v, void *x)
{
    void **np;

    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        np = sy_arena_alloc(a, v->cap * sizeof(*np));
        if (v->n > 0)
            memcpy(np, v->p, v->n * sizeof(*np));
        v->p = np;
    }
    v->p[v->n++] = x;
}

static const char *
skey(struct sy_arena *a, const char *type, const char *state_key)
{
    return sy_arena_printf(a, "%zu:%s%s", strlen(type), type, state_key);
}

static void
node_auth_list(struct sr *r, struct node *n)
{
    const struct sy_event *ev = n->ev;
    size_t i, extra = r->create_id != NULL && strcmp(ev->type, T_CREATE) != 0;

    n->auth = sy_arena_alloc(r->a, (ev->n_auth_events + 1) * sizeof(*n->auth));
    for (i = 0; i < ev->n_auth_events; i++) {
        n->auth[n->n_auth++] = ev->auth_events[i];
        if (extra && strcmp(ev->auth_events[i], r->create_id) == 0)
            extra = 0;
    }
    if (extra)
        n->auth[n->n_auth++] = r->create_id;
}

/* The node for id, loading the event on first use. */
static struct node *
get(struct sr *r, const char *id)
{
    struct node *n = sy_map_get(r->nodes, id);

    if (n != NULL)
        return n;
    n = sy_arena_alloc(r->a, sizeof(*n));
    n->id = sy_arena_strdup(r->a, id);
    n->depth = -1;
    sy_map_set(r->nodes, id, n);
    if ((n->ev = r->ld->load(r->ld->ctx, id)) == NULL)
        return n;
    if (n->ev->room_id == NULL || strcmp(n->ev->room_id, r->room_id) != 0) {
        if (!r->failed)
            sy_err_invalid(r->err, "M_BAD_JSON", "event %s is not in room %s", id, r->room_id);
        r->failed = 1;
        n->ev = NULL;
        return n;
    }
    n->rejected = r->ld->rejected != NULL && r->ld->rejected(r->ld->ctx, id);
    node_auth_list(r, n);
    return n;
}

int
sy_state_res_is_power_event(const struct sy_event *ev)
{
    const char *m;

    if (ev->state_key == NULL)
        return 0;
    if (ev->state_key[0] == '\0' &&
        (strcmp(ev->type, T_POWER) == 0 || strcmp(ev->type, "m.room.join_rules") == 0 ||
         strcmp(ev->type, T_CREATE) == 0))
        return 1;
    if (strcmp(ev->type, "m.room.member") != 0)
        return 0;
    m = sy_json_get_str(ev->content, "membership");
    return m != NULL && (strcmp(m, "leave") == 0 || strcmp(m, "ban") == 0) &&
           strcmp(ev->sender, ev->state_key) != 0;
}

/* ---- unconflicted state and conflicted set ---- */

struct kinfo {
    const struct sy_state_entry *first;
    size_t count;
    int conflicted;
};

/* Fill unconf (key -> entry) and conflicted (event ID -> entry); 0 conflicts leaves it empty. */
static void
separate(struct sr *r, const struct sy_state_set *sets, size_t n_sets, struct sy_map *unconf,
         struct sy_map *conflicted)
{
    struct sy_map *keys = sy_map_new(r->a, 64);
    const struct sy_state_entry *e;
    struct kinfo *ki;
    size_t s, i, it = 0;
    const char *k;

    for (s = 0; s < n_sets; s++) {
        for (i = 0; i < sets[s].n; i++) {
            e = &sets[s].entries[i];
            k = skey(r->a, e->type, e->state_key);
            if ((ki = sy_map_get(keys, k)) == NULL) {
                ki = sy_arena_alloc(r->a, sizeof(*ki));
                ki->first = e;
                sy_map_set(keys, k, ki);
            } else if (strcmp(ki->first->event_id, e->event_id) != 0) {
                ki->conflicted = 1;
            }
            ki->count++;
        }
    }
    while (sy_map_next(keys, &it, &k, (void **)&ki)) {
        if (ki->count < n_sets)
            ki->conflicted = 1;
        if (!ki->conflicted)
            sy_map_set(unconf, k, (void *)ki->first);
    }
    for (s = 0; s < n_sets; s++) {
        for (i = 0; i < sets[s].n; i++) {
            e = &sets[s].entries[i];
            ki = sy_map_get(keys, skey(r->a, e->type, e->state_key));
            if (ki->conflicted)
                sy_map_set(conflicted, e->event_id, (void *)e);
        }
    }
}

/* ---- auth difference and conflicted state subgraph ---- */

/* Add 1 to counts[x] for every x in the auth chain of 'set' (the set's events included). */
static void
count_auth_chain(struct sr *r, const struct sy_state_set *set, struct sy_map *counts)
{
    struct sy_map *seen = sy_map_new(r->a, set->n * 4);
    struct vec stack = {0};
    struct node *n;
    const char *id;
    size_t i;

    for (i = 0; i < set->n; i++)
        vec_push(r->a, &stack, (void *)set->entries[i].event_id);
    while (stack.n > 0) {
        id = stack.p[--stack.n];
        if (sy_map_get(seen, id) != NULL)
            continue;
        sy_map_set(seen, id, (void *)id);
        sy_map_set(counts, id, (void *)((uintptr_t)sy_map_get(counts, id) + 1));
        n = get(r, id);
        for (i = 0; i < n->n_auth; i++)
            vec_push(r->a, &stack, (void *)n->auth[i]);
    }
}

static void
auth_difference(struct sr *r, const struct sy_state_set *sets, size_t n_sets, struct sy_map *full)
{
    struct sy_map *counts = sy_map_new(r->a, 256);
    const char *id;
    void *c;
    size_t s, it = 0;

    for (s = 0; s < n_sets; s++)
        count_auth_chain(r, &sets[s], counts);
    while (sy_map_next(counts, &it, &id, &c))
        if ((uintptr_t)c < n_sets)
            sy_map_set(full, id, (void *)id);
}

enum { M_NONE, M_BUSY, M_REACHES, M_NOT };
enum { WALK_LINE = 1, WALK_DEPTH = 2 };

/*
 * v12: add to 'full' every event on an auth path between two conflicted
 * events: reachable from one (by auth edges) and reaching one.  Post-order
 * walk from each conflicted event; node->mark holds the verdict.
 */
static void
conflicted_subgraph(struct sr *r, struct sy_map *conflicted, struct sy_map *full)
{
    struct vec stack = {0};
    struct node *n, *c;
    const char *id;
    size_t it = 0, i;
    int pending;

    while (sy_map_next(conflicted, &it, &id, NULL)) {
        vec_push(r->a, &stack, get(r, id));
        while (stack.n > 0) {
            n = stack.p[stack.n - 1];
            if (n->mark == M_REACHES || n->mark == M_NOT) {
                stack.n--;
                continue;
            }
            n->mark = M_BUSY;
            pending = 0;
            for (i = 0; i < n->n_auth; i++) {
                if ((c = get(r, n->auth[i]))->mark == M_NONE) {
                    vec_push(r->a, &stack, c);
                    pending = 1;
                }
            }
            if (pending)
                continue;
            n->mark = sy_map_get(conflicted, n->id) != NULL ? M_REACHES : M_NOT;
            for (i = 0; i < n->n_auth && n->mark != M_REACHES; i++)
                if (get(r, n->auth[i])->mark == M_REACHES)
                    n->mark = M_REACHES;
            if (n->mark == M_REACHES)
                sy_map_set(full, n->id, (void *)n->id);
            stack.n--;
        }
    }
}

/* ---- reverse topological power ordering ---- */

/* A two-entry state (the power levels and create events among ev's auth events). */
struct pair_state {
    const struct sy_event *create, *pl;
};

static const struct sy_event *
pair_lookup(void *ctx, const char *type, const char *state_key)
{
    struct pair_state *p = ctx;

    if (state_key[0] != '\0')
        return NULL;
    if (strcmp(type, T_CREATE) == 0)
        return p->create;
    return strcmp(type, T_POWER) == 0 ? p->pl : NULL;
}

/* The sender's power level according to the event's own auth events. */
static int64_t
sender_power(struct sr *r, struct node *n)
{
    struct pair_state p = {0};
    struct sy_auth_state st = {.lookup = pair_lookup, .ctx = &p};
    struct node *a;
    size_t i;

    for (i = 0; i < n->n_auth; i++) {
        if ((a = get(r, n->auth[i]))->ev == NULL || a->ev->state_key == NULL ||
            a->ev->state_key[0] != '\0')
            continue;
        if (strcmp(a->ev->type, T_CREATE) == 0)
            p.create = a->ev;
        else if (strcmp(a->ev->type, T_POWER) == 0)
            p.pl = a->ev;
    }
    return sy_auth_user_level(&st, n->ev->sender);
}

/* x < y: greater sender power, then earlier origin_server_ts, then smaller event ID. */
static int
power_cmp(const struct node *x, const struct node *y)
{
    if (x->power != y->power)
        return x->power > y->power ? -1 : 1;
    if (x->ev->origin_server_ts != y->ev->origin_server_ts)
        return x->ev->origin_server_ts < y->ev->origin_server_ts ? -1 : 1;
    return strcmp(x->id, y->id);
}

static void
heap_push(struct sy_arena *a, struct vec *h, struct node *x)
{
    size_t i, p;
    void *t;

    vec_push(a, h, x);
    for (i = h->n - 1; i > 0; i = p) {
        p = (i - 1) / 2;
        if (power_cmp(h->p[i], h->p[p]) >= 0)
            break;
        t = h->p[i], h->p[i] = h->p[p], h->p[p] = t;
    }
}

static struct node *
heap_pop(struct vec *h)
{
    struct node *top = h->p[0];
    size_t i = 0, l, m;
    void *t;

    h->p[0] = h->p[--h->n];
    for (;;) {
        l = 2 * i + 1;
        m = i;
        if (l < h->n && power_cmp(h->p[l], h->p[m]) < 0)
            m = l;
        if (l + 1 < h->n && power_cmp(h->p[l + 1], h->p[m]) < 0)
            m = l + 1;
        if (m == i)
            return top;
        t = h->p[i], h->p[i] = h->p[m], h->p[m] = t;
        i = m;
    }
}

static void
add_back_edge(struct sy_arena *a, struct node *to, struct node *from)
{
    struct node **nb;

    if (to->n_back == to->cap_back) {
        to->cap_back = to->cap_back ? to->cap_back * 2 : 4;
        nb = sy_arena_alloc(a, to->cap_back * sizeof(*nb));
        if (to->n_back > 0)
            memcpy(nb, to->back, to->n_back * sizeof(*nb));
        to->back = nb;
    }
    to->back[to->n_back++] = from;
}

/* Add n and, through events of 'full' only, its auth chain to the graph (as Synapse). */
static void
graph_add(struct sr *r, struct node *start, struct sy_map *full, struct vec *all)
{
    struct vec stack = {0};
    struct node *n, *c;
    size_t i, j;

    vec_push(r->a, &stack, start);
    while (stack.n > 0) {
        n = stack.p[--stack.n];
        if (n->built)
            continue;
        n->built = n->in_graph = 1;
        vec_push(r->a, all, n);
        n->out = sy_arena_alloc(r->a, (n->n_auth + 1) * sizeof(*n->out));
        for (i = 0; i < n->n_auth; i++) {
            if (sy_map_get(full, n->auth[i]) == NULL)
                continue;
            for (j = 0; j < n->n_out && strcmp(n->out[j], n->auth[i]) != 0; j++)
                ;
            if (j < n->n_out)
                continue;
            n->out[n->n_out++] = n->auth[i];
            c = get(r, n->auth[i]);
            add_back_edge(r->a, c, n);
            if (!c->built)
                vec_push(r->a, &stack, c);
        }
    }
}

/* Kahn's algorithm from the auth-less end, smallest power_cmp first. */
static void
power_sort(struct sr *r, struct vec *power_events, struct sy_map *full, struct vec *sorted)
{
    struct vec all = {0}, heap = {0};
    struct node *n;
    size_t i;

    for (i = 0; i < power_events->n; i++)
        graph_add(r, power_events->p[i], full, &all);
    for (i = 0; i < all.n; i++) {
        n = all.p[i];
        n->power = sender_power(r, n);
        n->n_left = n->n_out;
        if (n->n_left == 0)
            heap_push(r->a, &heap, n);
    }
    while (heap.n > 0) {
        n = heap_pop(&heap);
        vec_push(r->a, sorted, n);
        for (i = 0; i < n->n_back; i++)
            if (--n->back[i]->n_left == 0)
                heap_push(r->a, &heap, n->back[i]);
    }
}

/* ---- iterative auth checks ---- */

/* The auth state of one event: a short list where a later entry replaces its key. */
struct iac_state {
    const struct sy_event **ev;
    size_t n, cap;
};

static void
iac_set(struct iac_state *s, const struct sy_event *ev)
{
    size_t i;

    for (i = 0; i < s->n; i++) {
        if (strcmp(s->ev[i]->type, ev->type) == 0 &&
            strcmp(s->ev[i]->state_key, ev->state_key) == 0) {
            s->ev[i] = ev;
            return;
        }
    }
    if (s->n < s->cap)
        s->ev[s->n++] = ev;
}

static const struct sy_event *
iac_lookup(void *ctx, const char *type, const char *state_key)
{
    struct iac_state *s = ctx;
    size_t i;

    for (i = 0; i < s->n; i++)
        if (strcmp(s->ev[i]->type, type) == 0 && strcmp(s->ev[i]->state_key, state_key) == 0)
            return s->ev[i];
    return NULL;
}

/* A usable auth event: known, a state event, not rejected. */
static const struct sy_event *
usable(struct sr *r, const char *id)
{
    struct node *n = get(r, id);

    return n->ev != NULL && n->ev->state_key != NULL && !n->rejected ? n->ev : NULL;
}

/*
 * The auth state for n: its auth events, then for every key auth events
 * selection needs (and the create event) the resolved state's event.
 * -1 when the event is malformed for selection (it cannot pass auth).
 */
static int
iac_build(struct sr *r, struct node *n, struct sy_map *resolved, struct iac_state *s)
{
    struct sy_auth_key keys[SY_AUTH_MAX_KEYS + 1];
    const struct sy_state_entry *e;
    const struct sy_event *ev;
    size_t i, nk;

    s->cap = n->n_auth + SY_AUTH_MAX_KEYS + 1;
    s->ev = sy_arena_alloc(r->a, s->cap * sizeof(*s->ev));
    for (i = 0; i < n->n_auth; i++)
        if ((ev = usable(r, n->auth[i])) != NULL)
            iac_set(s, ev);
    if (sy_auth_event_types_needed(n->ev, keys, &nk, NULL) != SY_OK)
        return -1;
    keys[nk].type = T_CREATE;
    keys[nk++].state_key = "";
    for (i = 0; i < nk; i++) {
        e = sy_map_get(resolved, skey(r->a, keys[i].type, keys[i].state_key));
        if (e != NULL && (ev = usable(r, e->event_id)) != NULL)
            iac_set(s, ev);
    }
    return 0;
}

static void
iterative_auth_checks(struct sr *r, struct vec *list, struct sy_map *resolved)
{
    struct iac_state s;
    struct sy_auth_state st = {.lookup = iac_lookup, .ctx = &s};
    struct sy_state_entry *e;
    struct node *n;
    size_t i;

    for (i = 0; i < list->n; i++) {
        n = list->p[i];
        memset(&s, 0, sizeof(s));
        if (n->ev == NULL || n->ev->state_key == NULL || n->rejected ||
            iac_build(r, n, resolved, &s) != 0)
            continue;
        if (sy_auth_check(n->ev, &st, NULL) != SY_OK)
            continue;
        e = sy_arena_alloc(r->a, sizeof(*e));
        e->type = n->ev->type;
        e->state_key = n->ev->state_key;
        e->event_id = n->id;
        sy_map_set(resolved, skey(r->a, e->type, e->state_key), e);
    }
}

/* ---- mainline ordering ---- */

/* The power levels event among n's auth events (first one listed), or NULL. */
static struct node *
auth_pl(struct sr *r, struct node *n)
{
    struct node *a;
    size_t i;

    for (i = 0; i < n->n_auth; i++) {
        a = get(r, n->auth[i]);
        if (a->ev != NULL && a->ev->state_key != NULL && a->ev->state_key[0] == '\0' &&
            strcmp(a->ev->type, T_POWER) == 0)
            return a;
    }
    return NULL;
}

/* Mark the mainline of pl_id: depth 1 for its oldest event up to the count for pl_id. */
static void
mainline_mark(struct sr *r, const char *pl_id)
{
    struct vec line = {0};
    struct node *n = pl_id != NULL ? get(r, pl_id) : NULL;
    size_t i;

    for (; n != NULL && n->ev != NULL && n->walk != WALK_LINE; n = auth_pl(r, n)) {
        n->walk = WALK_LINE;
        vec_push(r->a, &line, n);
    }
    for (i = 0; i < line.n; i++)
        ((struct node *)line.p[i])->depth = (int64_t)(line.n - i);
}

/* The mainline depth of n: that of the first mainline event on its power levels chain, or 0. */
static int64_t
mainline_depth(struct sr *r, struct node *n)
{
    struct vec path = {0};
    int64_t d = 0;
    size_t i;

    for (; n != NULL && n->depth < 0 && n->walk != WALK_DEPTH; n = auth_pl(r, n)) {
        n->walk = WALK_DEPTH; /* guards against a cycle */
        vec_push(r->a, &path, n);
    }
    if (n != NULL && n->depth >= 0)
        d = n->depth;
    for (i = 0; i < path.n; i++) {
        ((struct node *)path.p[i])->depth = d;
        ((struct node *)path.p[i])->walk = 0;
    }
    return d;
}

static int
mainline_cmp(const void *pa, const void *pb)
{
    const struct node *x = *(struct node *const *)pa, *y = *(struct node *const *)pb;

    if (x->depth != y->depth)
        return x->depth < y->depth ? -1 : 1;
    if (x->ev->origin_server_ts != y->ev->origin_server_ts)
        return x->ev->origin_server_ts < y->ev->origin_server_ts ? -1 : 1;
    return strcmp(x->id, y->id);
}

static void
mainline_sort(struct sr *r, struct vec *list, struct sy_map *resolved)
{
    const struct sy_state_entry *pl = sy_map_get(resolved, skey(r->a, T_POWER, ""));
    size_t i;

    mainline_mark(r, pl != NULL ? pl->event_id : NULL);
    for (i = 0; i < list->n; i++)
        mainline_depth(r, list->p[i]);
    if (list->n > 1)
        qsort(list->p, list->n, sizeof(*list->p), mainline_cmp);
}

/* ---- the algorithm ---- */

static int
entry_cmp(const void *pa, const void *pb)
{
    const struct sy_state_entry *x = pa, *y = pb;
    int c = strcmp(x->type, y->type);

    return c != 0 ? c : strcmp(x->state_key, y->state_key);
}

/* Copy the resolved map into the caller's arena, sorted. */
static void
output(struct sy_arena *a, struct sy_map *resolved, struct sy_state_entry **out, size_t *n_out)
{
    const struct sy_state_entry *e;
    size_t it = 0, n = 0;

    *out = sy_arena_alloc(a, (sy_map_count(resolved) + 1) * sizeof(**out));
    while (sy_map_next(resolved, &it, NULL, (void **)&e)) {
        (*out)[n].type = sy_arena_strdup(a, e->type);
        (*out)[n].state_key = sy_arena_strdup(a, e->state_key);
        (*out)[n++].event_id = sy_arena_strdup(a, e->event_id);
    }
    if (n > 1)
        qsort(*out, n, sizeof(**out), entry_cmp);
    *n_out = n;
}

/* Split the full conflicted set into sorted power events and the rest (leftover). */
static void
split_full(struct sr *r, struct sy_map *full, struct vec *sorted_power, struct vec *leftover)
{
    struct vec power = {0};
    struct node *n;
    const char *id;
    size_t it = 0;

    while (sy_map_next(full, &it, &id, NULL)) {
        n = get(r, id);
        if (n->ev != NULL && sy_state_res_is_power_event(n->ev))
            vec_push(r->a, &power, n);
    }
    power_sort(r, &power, full, sorted_power);
    it = 0;
    while (sy_map_next(full, &it, &id, NULL)) {
        n = get(r, id);
        if (n->ev != NULL && !n->in_graph)
            vec_push(r->a, leftover, n);
    }
}

/* Steps 1 to 5 once the conflicted set is known. */
static void
resolve_conflicts(struct sr *r, const struct sy_state_set *sets, size_t n_sets,
                  struct sy_map *unconf, struct sy_map *conflicted, struct sy_map *resolved)
{
    struct sy_map *full = sy_map_new(r->a, sy_map_count(conflicted) * 2);
    struct vec sorted_power = {0}, leftover = {0};
    const char *id;
    void *val;
    size_t it = 0;

    while (sy_map_next(conflicted, &it, &id, NULL))
        sy_map_set(full, id, (void *)id);
    auth_difference(r, sets, n_sets, full);
    if (r->v->state_res == SY_STATE_RES_V2_1)
        conflicted_subgraph(r, conflicted, full);
    split_full(r, full, &sorted_power, &leftover);
    /* v2 starts from the unconflicted state, v2.1 from nothing (auth events fill it in). */
    it = 0;
    if (r->v->state_res != SY_STATE_RES_V2_1)
        while (sy_map_next(unconf, &it, &id, &val))
            sy_map_set(resolved, id, val);
    iterative_auth_checks(r, &sorted_power, resolved);
    mainline_sort(r, &leftover, resolved);
    iterative_auth_checks(r, &leftover, resolved);
    it = 0;
    while (sy_map_next(unconf, &it, &id, &val))
        sy_map_set(resolved, id, val);
}

int
sy_state_res_resolve(struct sy_arena *a, const struct sy_room_version *v, const char *room_id,
                     const struct sy_state_set *sets, size_t n_sets,
                     const struct sy_state_res_loader *ld, struct sy_state_entry **out,
                     size_t *n_out, struct sy_error *err)
{
    struct sr r = {.v = v, .room_id = room_id, .ld = ld, .err = err};
    struct sy_map *unconf, *conflicted, *resolved;

    *out = NULL;
    *n_out = 0;
    if (n_sets == 0)
        return SY_OK;
    r.a = sy_arena_new();
    r.nodes = sy_map_new(r.a, 256);
    if (v->room_id_is_create_hash && room_id[0] == '!')
        r.create_id = sy_arena_printf(r.a, "$%s", room_id + 1);
    unconf = sy_map_new(r.a, 64);
    conflicted = sy_map_new(r.a, 16);
    separate(&r, sets, n_sets, unconf, conflicted);
    resolved = unconf;
    if (sy_map_count(conflicted) > 0) {
        resolved = sy_map_new(r.a, sy_map_count(unconf) + 16);
        resolve_conflicts(&r, sets, n_sets, unconf, conflicted, resolved);
    }
    if (!r.failed)
        output(a, resolved, out, n_out);
    sy_arena_free(r.a);
    return r.failed ? SY_EINVAL : SY_OK;
}
