/*
 * t/unit/state_res.c -- state resolution v2 / v2.1 on hand-built graphs.
 *
 * The classic cases are the ones reference implementations test (Synapse
 * tests/state/test_v2.py, the same graphs in Conduit/ruma): a DAG of
 * events on top of a common start, the state at every event computed in
 * topological order (resolving at each merge), and the state at END
 * compared with the expected events.  The v12 cases are the two state
 * resets that v2.1 fixes (Synapse tests/state/test_v21.py).
 */
#include <stdio.h>
#include <string.h>

#include "../lib/tap.h"
#include "evfix.h"
#include "rooms/auth.h"
#include "rooms/state_res.h"
#include "util/err.h"
#include "util/map.h"

#define ALICE "@alice:example.com"
#define BOB "@bob:example.com"
#define CHARLIE "@charlie:example.com"
#define EVELYN "@evelyn:example.com"
#define ZARA "@zara:example.com"
#define ROOM "!test:example.com"

#define MAXN 40

/* A fake event: node name, sender, type, state_key (NULL: not state), content. */
struct fev {
    const char *node, *sender, *type, *state_key, *content;
};

static const struct fev initial[] = {
    {"CREATE", ALICE, "m.room.create", "", "{'creator':'" ALICE "'}"},
    {"IMA", ALICE, "m.room.member", ALICE, "{'membership':'join'}"},
    {"IPOWER", ALICE, "m.room.power_levels", "", "{'users':{'" ALICE "':100}}"},
    {"IJR", ALICE, "m.room.join_rules", "", "{'join_rule':'public'}"},
    {"IMB", BOB, "m.room.member", BOB, "{'membership':'join'}"},
    {"IMC", CHARLIE, "m.room.member", CHARLIE, "{'membership':'join'}"},
    {"IMZ", ZARA, "m.room.member", ZARA, "{'membership':'join'}"},
    {"START", ZARA, "m.room.message", NULL, "{}"},
    {"END", ZARA, "m.room.message", NULL, "{}"},
};
static const char *const initial_edges = "START,IMZ,IMC,IMB,IJR,IPOWER,IMA,CREATE";

struct tstate {
    struct sy_state_entry e[MAXN];
    size_t n;
};

static void
ts_set(struct tstate *s, const char *type, const char *sk, const char *id)
{
    size_t i;

    for (i = 0; i < s->n; i++) {
        if (strcmp(s->e[i].type, type) == 0 && strcmp(s->e[i].state_key, sk) == 0) {
            s->e[i].event_id = id;
            return;
        }
    }
    s->e[s->n].type = type;
    s->e[s->n].state_key = sk;
    s->e[s->n++].event_id = id;
}

static const char *
ts_get(const struct tstate *s, const char *type, const char *sk)
{
    size_t i;

    for (i = 0; i < s->n; i++)
        if (strcmp(s->e[i].type, type) == 0 && strcmp(s->e[i].state_key, sk) == 0)
            return s->e[i].event_id;
    return NULL;
}

static const struct sy_event *
load(void *ctx, const char *id)
{
    return sy_map_get(ctx, id);
}

static int64_t ts_clock = 1000;

/* The harness' graph: nodes, prev edges prev[a][b] (b is a prev event of a). */
struct graph {
    const struct fev *ev[MAXN];
    size_t n;
    int prev[MAXN][MAXN];
};

static size_t
g_index(struct graph *g, const char *node)
{
    size_t i;

    for (i = 0; i < g->n; i++)
        if (strcmp(g->ev[i]->node, node) == 0)
            return i;
    fprintf(stderr, "unknown node %s\n", node);
    return 0;
}

static void
g_chain(struct graph *g, const char *chain)
{
    char buf[512], *tok, *save = NULL, *last = NULL;

    snprintf(buf, sizeof(buf), "%s", chain);
    for (tok = strtok_r(buf, ",", &save); tok != NULL; last = tok, tok = strtok_r(NULL, ",", &save))
        if (last != NULL)
            g->prev[g_index(g, last)][g_index(g, tok)] = 1;
}

/* Lexicographic topological order: prev events first, ties by node name. */
static size_t
g_order(struct graph *g, size_t *order)
{
    int done[MAXN] = {0};
    size_t k, i, j, best;

    for (k = 0; k < g->n; k++) {
        best = MAXN;
        for (i = 0; i < g->n; i++) {
            if (done[i])
                continue;
            for (j = 0; j < g->n && !(g->prev[i][j] && !done[j]); j++)
                ;
            if (j == g->n && (best == MAXN || strcmp(g->ev[i]->node, g->ev[best]->node) < 0))
                best = i;
        }
        if (best == MAXN)
            return k;
        done[best] = 1;
        order[k] = best;
    }
    return k;
}

static const char *
node_id(struct sy_arena *a, const char *node)
{
    return sy_arena_printf(a, "$%s:example.com", node);
}

/* Build the event for node i given the state before it; returns its ID. */
static const char *
g_build(struct sy_arena *a, int ver, struct graph *g, size_t i, const struct tstate *before,
        struct sy_map *events)
{
    const struct fev *f = g->ev[i];
    const char *id = node_id(a, f->node), *text, *prevs = "", *auths = "", *x;
    struct sy_auth_key keys[SY_AUTH_MAX_KEYS];
    struct sy_event *ev;
    size_t j, nk;

    for (j = 0; j < g->n; j++)
        if (g->prev[i][j])
            prevs = sy_arena_printf(a, "%s%s'%s'", prevs, *prevs ? "," : "",
                                    node_id(a, g->ev[j]->node));
    text = sy_arena_printf(a,
                           "{'room_id':'" ROOM "','sender':'%s','type':'%s',%s%s%s"
                           "'content':%s,'origin_server_ts':%lld,'prev_events':[%s]",
                           f->sender, f->type, f->state_key ? "'state_key':'" : "",
                           f->state_key ? f->state_key : "", f->state_key ? "'," : "", f->content,
                           (long long)ts_clock++, prevs);
    ev = ev_make(a, tv(ver), id, sy_arena_printf(a, "%s}", text));
    if (sy_auth_event_types_needed(ev, keys, &nk, NULL) == SY_OK)
        for (j = 0; j < nk; j++)
            if ((x = ts_get(before, keys[j].type, keys[j].state_key)) != NULL)
                auths = sy_arena_printf(a, "%s%s'%s'", auths, *auths ? "," : "", x);
    ev = ev_make(a, tv(ver), id, sy_arena_printf(a, "%s,'auth_events':[%s]}", text, auths));
    sy_map_set(events, id, ev);
    return id;
}

/* State before node i: its single prev's state, or the resolution of several. */
static int
g_state_before(struct sy_arena *a, int ver, struct graph *g, size_t i, struct tstate *after,
               struct sy_map *events, struct tstate *out)
{
    struct sy_state_res_loader ld = {.load = load, .ctx = events};
    struct sy_state_set sets[MAXN];
    struct sy_state_entry *res;
    struct sy_error err = {0};
    size_t j, ns = 0, nres, last = 0;

    memset(out, 0, sizeof(*out));
    for (j = 0; j < g->n; j++) {
        if (g->prev[i][j]) {
            sets[ns].entries = after[j].e;
            sets[ns++].n = after[j].n;
            last = j;
        }
    }
    if (ns == 1)
        *out = after[last];
    if (ns <= 1)
        return SY_OK;
    if (sy_state_res_resolve(a, tv(ver), ROOM, sets, ns, &ld, &res, &nres, &err) != SY_OK) {
        diag("resolve failed: %s", err.msg);
        return -1;
    }
    for (j = 0; j < nres; j++)
        ts_set(out, res[j].type, res[j].state_key, res[j].event_id);
    return SY_OK;
}

/*
 * Synapse's do_check: the state at END, keeping the keys in 'expected'
 * and those that changed since START, must be exactly the expected events.
 */
static void
do_check(const char *name, int ver, const struct fev *evs, size_t n_evs, const char *const *edges,
         const char *expected)
{
    struct sy_arena *a = sy_arena_new();
    struct sy_map *events = sy_map_new(a, 64);
    static struct graph g;
    static struct tstate after[MAXN];
    struct tstate before, want = {0};
    size_t order[MAXN], i, k, n, end, start;
    char buf[256], *tok, *save = NULL;
    const char *id, *got;
    int okay = 1;

    memset(&g, 0, sizeof(g));
    memset(after, 0, sizeof(after));
    for (i = 0; i < sizeof(initial) / sizeof(initial[0]); i++)
        g.ev[g.n++] = &initial[i];
    for (i = 0; i < n_evs; i++)
        g.ev[g.n++] = &evs[i];
    g_chain(&g, initial_edges);
    for (i = 0; edges[i] != NULL; i++)
        g_chain(&g, edges[i]);
    n = g_order(&g, order);
    for (k = 0; k < n && okay; k++) {
        i = order[k];
        okay = g_state_before(a, ver, &g, i, after, events, &before) == SY_OK;
        id = g_build(a, ver, &g, i, &before, events);
        after[i] = before;
        if (g.ev[i]->state_key != NULL)
            ts_set(&after[i], g.ev[i]->type, g.ev[i]->state_key, id);
    }
    snprintf(buf, sizeof(buf), "%s", expected);
    for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        const struct fev *f = g.ev[g_index(&g, tok)];

        ts_set(&want, f->type, f->state_key, node_id(a, tok));
    }
    end = g_index(&g, "END");
    start = g_index(&g, "START");
    for (i = 0; okay && i < after[end].n; i++) {
        const struct sy_state_entry *e = &after[end].e[i];
        const char *w = ts_get(&want, e->type, e->state_key);
        const char *s0 = ts_get(&after[start], e->type, e->state_key);

        if (w == NULL && s0 != NULL && strcmp(s0, e->event_id) == 0)
            continue;
        if (w == NULL || strcmp(w, e->event_id) != 0) {
            diag("%s: (%s,%s) is %s, expected %s", name, e->type, e->state_key, e->event_id,
                 w ? w : "(unchanged)");
            okay = 0;
        }
    }
    for (i = 0; okay && i < want.n; i++) {
        got = ts_get(&after[end], want.e[i].type, want.e[i].state_key);
        if (got == NULL || strcmp(got, want.e[i].event_id) != 0) {
            diag("%s: (%s,%s) is %s, expected %s", name, want.e[i].type, want.e[i].state_key,
                 got ? got : "(none)", want.e[i].event_id);
            okay = 0;
        }
    }
    ok(okay, "v%d %s", ver, name);
    sy_arena_free(a);
}

#define N(x) (sizeof(x) / sizeof((x)[0]))
#define JOIN "{'membership':'join'}"
#define BAN "{'membership':'ban'}"

static void
test_ban_vs_pl(int ver)
{
    static const struct fev evs[] = {
        {"PA", ALICE, "m.room.power_levels", "", "{'users':{'" ALICE "':100,'" BOB "':50}}"},
        {"MA", ALICE, "m.room.member", ALICE, JOIN},
        {"MB", ALICE, "m.room.member", BOB, BAN},
        {"PB", BOB, "m.room.power_levels", "", "{'users':{'" ALICE "':100,'" BOB "':50}}"},
    };
    static const char *const edges[] = {"END,MB,MA,PA,START", "END,PB,PA", NULL};

    do_check("ban vs power levels", ver, evs, N(evs), edges, "PA,MA,MB");
}

static void
test_join_rule_evasion(int ver)
{
    static const struct fev evs[] = {
        {"JR", ALICE, "m.room.join_rules", "", "{'join_rules':'private'}"},
        {"ME", EVELYN, "m.room.member", EVELYN, JOIN},
    };
    static const char *const edges[] = {"END,JR,START", "END,ME,START", NULL};

    do_check("join rule evasion", ver, evs, N(evs), edges, "JR");
}

static void
test_offtopic_pl(int ver)
{
    static const struct fev evs[] = {
        {"PA", ALICE, "m.room.power_levels", "", "{'users':{'" ALICE "':100,'" BOB "':50}}"},
        {"PB", BOB, "m.room.power_levels", "",
         "{'users':{'" ALICE "':100,'" BOB "':50,'" CHARLIE "':50}}"},
        {"PC", CHARLIE, "m.room.power_levels", "",
         "{'users':{'" ALICE "':100,'" BOB "':50,'" CHARLIE "':0}}"},
    };
    static const char *const edges[] = {"END,PC,PB,PA,START", "END,PA", NULL};

    do_check("offtopic power levels", ver, evs, N(evs), edges, "PC");
}

static void
test_topic_basic(int ver)
{
    static const struct fev evs[] = {
        {"T1", ALICE, "m.room.topic", "", "{}"},
        {"PA1", ALICE, "m.room.power_levels", "", "{'users':{'" ALICE "':100,'" BOB "':50}}"},
        {"T2", ALICE, "m.room.topic", "", "{}"},
        {"PA2", ALICE, "m.room.power_levels", "", "{'users':{'" ALICE "':100,'" BOB "':0}}"},
        {"PB", BOB, "m.room.power_levels", "", "{'users':{'" ALICE "':100,'" BOB "':50}}"},
        {"T3", BOB, "m.room.topic", "", "{}"},
    };
    static const char *const edges[] = {"END,PA2,T2,PA1,T1,START", "END,T3,PB,PA1", NULL};

    do_check("topic basic", ver, evs, N(evs), edges, "PA2,T2");
}

static void
test_topic_reset(int ver)
{
    static const struct fev evs[] = {
        {"T1", ALICE, "m.room.topic", "", "{}"},
        {"PA", ALICE, "m.room.power_levels", "", "{'users':{'" ALICE "':100,'" BOB "':50}}"},
        {"T2", BOB, "m.room.topic", "", "{}"},
        {"MB", ALICE, "m.room.member", BOB, BAN},
    };
    static const char *const edges[] = {"END,MB,T2,PA,T1,START", "END,T1", NULL};

    do_check("topic reset", ver, evs, N(evs), edges, "T1,MB,PA");
}

static void
test_topic(int ver)
{
    static const struct fev evs[] = {
        {"T1", ALICE, "m.room.topic", "", "{}"},
        {"PA1", ALICE, "m.room.power_levels", "", "{'users':{'" ALICE "':100,'" BOB "':50}}"},
        {"T2", ALICE, "m.room.topic", "", "{}"},
        {"PA2", ALICE, "m.room.power_levels", "", "{'users':{'" ALICE "':100,'" BOB "':0}}"},
        {"PB", BOB, "m.room.power_levels", "", "{'users':{'" ALICE "':100,'" BOB "':50}}"},
        {"T3", BOB, "m.room.topic", "", "{}"},
        {"MZ1", ZARA, "m.room.message", NULL, "{}"},
        {"T4", ALICE, "m.room.topic", "", "{}"},
    };
    static const char *const edges[] = {"END,T4,MZ1,PA2,T2,PA1,T1,START", "END,MZ1,T3,PB,PA1",
                                        NULL};

    do_check("topic", ver, evs, N(evs), edges, "T4,PA2");
}

static void
test_mainline_sort(int ver)
{
    static const struct fev evs[] = {
        {"T1", ALICE, "m.room.topic", "", "{}"},
        {"PA1", ALICE, "m.room.power_levels", "", "{'users':{'" ALICE "':100,'" BOB "':50}}"},
        {"T2", ALICE, "m.room.topic", "", "{}"},
        {"PA2", ALICE, "m.room.power_levels", "",
         "{'users':{'" ALICE "':100,'" BOB "':50},'events':{'m.room.power_levels':100}}"},
        {"PB", BOB, "m.room.power_levels", "", "{'users':{'" ALICE "':100,'" BOB "':50}}"},
        {"T3", BOB, "m.room.topic", "", "{}"},
        {"T4", ALICE, "m.room.topic", "", "{}"},
    };
    static const char *const edges[] = {"END,T3,PA2,T2,PA1,T1,START", "END,T4,PB,PA1", NULL};

    /* T3 wins: T4 cites an older power levels event, though it was sent later. */
    do_check("mainline sort", ver, evs, N(evs), edges, "T3,PA2");
}

/* Kick and re-join race: the kick (power event) is applied before the join. */
static void
test_kick_vs_join(int ver)
{
    static const struct fev evs[] = {
        {"PA", ALICE, "m.room.power_levels", "", "{'users':{'" ALICE "':100,'" BOB "':50}}"},
        {"KC", BOB, "m.room.member", CHARLIE, "{'membership':'leave'}"},
        {"JR", ALICE, "m.room.join_rules", "", "{'join_rule':'invite'}"},
        {"TC", CHARLIE, "m.room.topic", "", "{}"},
    };
    static const char *const edges[] = {"END,KC,PA,START", "END,TC,JR,START", NULL};

    /* Charlie's topic fails (state_default 50) either way; the kick and join rule stand. */
    do_check("kick vs join rule", ver, evs, N(evs), edges, "PA,KC,JR");
}

/* ---- v12 (state resolution v2.1): explicit auth events, explicit state sets ---- */

#define ROOM12 "!CREATE:example.com"

struct xev {
    const char *node, *sender, *type, *state_key, *content, *auth; /* auth: "A,B" node names */
};

static void
build_explicit(struct sy_arena *a, int ver, const char *room, const struct xev *evs, size_t n,
               struct sy_map *events)
{
    char buf[256], *tok, *save = NULL;
    const char *auths, *id, *text;
    size_t i;

    for (i = 0; i < n; i++) {
        auths = "";
        snprintf(buf, sizeof(buf), "%s", evs[i].auth);
        for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
            auths = sy_arena_printf(a, "%s%s'%s'", auths, *auths ? "," : "", node_id(a, tok));
        id = node_id(a, evs[i].node);
        text = sy_arena_printf(a,
                               "{%s%s%s'sender':'%s','type':'%s','state_key':'%s','content':%s,"
                               "'origin_server_ts':%lld,'prev_events':[],'auth_events':[%s]}",
                               i == 0 && ver >= 12 ? "" : "'room_id':'",
                               i == 0 && ver >= 12 ? "" : room, i == 0 && ver >= 12 ? "" : "',",
                               evs[i].sender, evs[i].type, evs[i].state_key, evs[i].content,
                               (long long)ts_clock++, auths);
        sy_map_set(events, id, ev_make(a, tv(ver), id, text));
    }
}

/* A state set from "NODE,NODE,..." (keys from the events). */
static void
set_from(struct sy_arena *a, struct sy_map *events, const char *nodes, struct tstate *s)
{
    char buf[256], *tok, *save = NULL;
    const struct sy_event *ev;

    memset(s, 0, sizeof(*s));
    snprintf(buf, sizeof(buf), "%s", nodes);
    for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        ev = sy_map_get(events, node_id(a, tok));
        ts_set(s, ev->type, ev->state_key, ev->event_id);
    }
}

static void
check_explicit(const char *name, int ver, const char *room, const struct xev *evs, size_t n,
               const char *s1, const char *s2, const char *expected)
{
    struct sy_arena *a = sy_arena_new();
    struct sy_map *events = sy_map_new(a, 32);
    struct sy_state_res_loader ld = {.load = load, .ctx = events};
    struct tstate t1, t2, want;
    struct sy_state_set sets[2];
    struct sy_state_entry *res;
    struct sy_error err = {0};
    size_t nres, i;
    int okay;

    build_explicit(a, ver, room, evs, n, events);
    set_from(a, events, s1, &t1);
    set_from(a, events, s2, &t2);
    set_from(a, events, expected, &want);
    sets[0].entries = t1.e, sets[0].n = t1.n;
    sets[1].entries = t2.e, sets[1].n = t2.n;
    okay = sy_state_res_resolve(a, tv(ver), room, sets, 2, &ld, &res, &nres, &err) == SY_OK;
    okay = okay && nres == want.n;
    for (i = 0; okay && i < nres; i++) {
        const char *w = ts_get(&want, res[i].type, res[i].state_key);

        if (w == NULL || strcmp(w, res[i].event_id) != 0) {
            diag("%s: (%s,%s) is %s, expected %s", name, res[i].type, res[i].state_key,
                 res[i].event_id, w ? w : "(none)");
            okay = 0;
        }
    }
    ok(okay, "v%d %s", ver, name);
    sy_arena_free(a);
}

static void
test_v21_replay_conflicted_subgraph(void)
{
    static const struct xev evs[] = {
        {"CREATE", ALICE, "m.room.create", "", "{}", ""},
        {"MA", ALICE, "m.room.member", ALICE, JOIN, ""},
        {"P1", ALICE, "m.room.power_levels", "", "{'users':{}}", "MA"},
        {"JR", ALICE, "m.room.join_rules", "", "{'join_rule':'public'}", "MA,P1"},
        {"MB", BOB, "m.room.member", BOB, JOIN, "P1,JR"},
        {"MC", CHARLIE, "m.room.member", CHARLIE, JOIN, "P1,JR"},
        {"P2", ALICE, "m.room.power_levels", "", "{'users':{'" BOB "':50}}", "MA,P1"},
        {"P3", BOB, "m.room.power_levels", "", "{'users':{'" BOB "':50,'" CHARLIE "':50}}",
         "MB,P2"},
        {"ME1", EVELYN, "m.room.member", EVELYN, JOIN, "P3,JR"},
        {"ME2", EVELYN, "m.room.member", EVELYN, JOIN, "P1,JR,ME1"},
        {"MZ", ZARA, "m.room.member", ZARA, JOIN, "P3,JR"},
    };

    /* ME2 cites the old power levels: without the subgraph P1 would come back. */
    check_explicit("replay conflicted subgraph", 12, ROOM12, evs, N(evs),
                   "CREATE,MA,MB,MC,ME2,P1,JR", "CREATE,MA,MB,MC,MZ,P3,JR",
                   "CREATE,MA,MB,MC,ME1,MZ,P3,JR");
}

static void
test_v21_start_empty(void)
{
    static const struct xev evs[] = {
        {"CREATE", ALICE, "m.room.create", "", "{}", ""},
        {"MA1", ALICE, "m.room.member", ALICE, JOIN, ""},
        {"PW", ALICE, "m.room.power_levels", "", "{'users':{'" BOB "':100}}", "MA1"},
        {"JR1", ALICE, "m.room.join_rules", "", "{'join_rule':'public'}", "MA1,PW"},
        {"MB", BOB, "m.room.member", BOB, JOIN, "PW,JR1"},
        {"JR2", ALICE, "m.room.join_rules", "", "{'join_rule':'invite'}", "MA1,PW"},
        {"MA2", ALICE, "m.room.member", ALICE, "{'membership':'leave'}", "PW,MA1"},
    };

    /* The join rules conflict; Alice (their sender) has left in both sets. */
    check_explicit("start from the empty state", 12, ROOM12, evs, N(evs),
                   "CREATE,MA2,MB,PW,JR2", "CREATE,MA2,MB,PW,JR1", "CREATE,MA2,MB,PW,JR2");
}

/* The same graph under v2 (v11, create cited explicitly): the join rules reset to missing. */
static void
test_v2_start_unconflicted(void)
{
    static const struct xev evs[] = {
        {"CREATE", ALICE, "m.room.create", "", "{}", ""},
        {"MA1", ALICE, "m.room.member", ALICE, JOIN, "CREATE"},
        {"PW", ALICE, "m.room.power_levels", "", "{'users':{'" ALICE "':100,'" BOB "':100}}",
         "CREATE,MA1"},
        {"JR1", ALICE, "m.room.join_rules", "", "{'join_rule':'public'}", "CREATE,MA1,PW"},
        {"MB", BOB, "m.room.member", BOB, JOIN, "CREATE,PW,JR1"},
        {"JR2", ALICE, "m.room.join_rules", "", "{'join_rule':'invite'}", "CREATE,MA1,PW"},
        {"MA2", ALICE, "m.room.member", ALICE, "{'membership':'leave'}", "CREATE,PW,MA1"},
    };

    check_explicit("unconflicted start resets the join rules", 11, "!r:example.com", evs, N(evs),
                   "CREATE,MA2,MB,PW,JR2", "CREATE,MA2,MB,PW,JR1", "CREATE,MA2,MB,PW");
}

static void
test_api(void)
{
    struct sy_arena *a = sy_arena_new();
    struct sy_map *events = sy_map_new(a, 8);
    struct sy_state_res_loader ld = {.load = load, .ctx = events};
    struct sy_state_entry e1[] = {{"m.room.topic", "", "$t1:x"}, {"m.room.name", "", "$n:x"}};
    struct sy_state_entry e2[] = {{"m.room.name", "", "$n:x"}, {"m.room.topic", "", "$t1:x"}};
    struct sy_state_set sets[2] = {{e1, 2}, {e2, 2}};
    struct sy_state_entry *res;
    struct sy_error err = {0};
    size_t n;

    ok(sy_state_res_resolve(a, tv(10), ROOM, sets, 2, &ld, &res, &n, &err) == SY_OK && n == 2 &&
           strcmp(res[0].type, "m.room.name") == 0 && strcmp(res[1].event_id, "$t1:x") == 0,
       "no conflict: the unconflicted state, sorted, without loading anything");
    ok(sy_state_res_resolve(a, tv(10), ROOM, sets, 0, &ld, &res, &n, &err) == SY_OK && n == 0,
       "no state sets: empty state");
    sy_map_set(events, "$o:x",
               ev_make(a, tv(10), "$o:x",
                       "{'room_id':'!other:x','sender':'@a:x','type':'m.room.topic',"
                       "'state_key':'','content':{}}"));
    e2[1].event_id = "$o:x";
    is_int(sy_state_res_resolve(a, tv(10), ROOM, sets, 2, &ld, &res, &n, &err), SY_EINVAL,
           "an event from another room is an error");
    sy_arena_free(a);
}

int
main(void)
{
    int v;

    for (v = 6; v <= 11; v++) {
        test_ban_vs_pl(v);
        test_join_rule_evasion(v);
        test_offtopic_pl(v);
        test_topic_basic(v);
        test_topic_reset(v);
        test_topic(v);
        test_mainline_sort(v);
        test_kick_vs_join(v);
    }
    test_v21_replay_conflicted_subgraph();
    test_v21_start_empty();
    test_v2_start_unconflicted();
    test_api();
    return done_testing();
}
