/*
 * sync/timeline.c -- timeline walks, pagination tokens, memoised history
 * visibility and lazy-loaded members (see sync/timeline.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/events.h"
#include "db/relations.h"
#include "db/state.h"
#include "db/sync_batch.h"
#include "json/json.h"
#include "rooms/relations.h"
#include "rooms/room.h"
#include "rooms/visibility.h"
#include "sync/filter.h"
#include "sync/stream.h"
#include "sync/timeline.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/map.h"

/* Rows asked of the database per round trip of a walk. */
#define WALK_BATCH_MIN 16
#define WALK_BATCH_MAX 500

int
sy_timeline_token_parse(const char *s, int64_t *pos)
{
    struct sy_sync_token t;
    char *end;
    long long v;

    if (s == NULL)
        return -1;
    if (s[0] == 't' && s[1] >= '0' && s[1] <= '9') {
        errno = 0;
        v = strtoll(s + 1, &end, 10);
        if (errno != 0 || *end != '\0' || v < 0)
            return -1;
        *pos = v;
        return 0;
    }
    if (sy_sync_token_parse(s, &t) != 0)
        return -1;
    *pos = t.pos[SY_STREAM_EVENTS];
    return 0;
}

const char *
sy_timeline_token(struct sy_arena *a, int64_t pos)
{
    return sy_arena_printf(a, "t%lld", (long long)(pos < 0 ? 0 : pos));
}

void
sy_timeline_vis_init(struct sy_timeline_vis *v, struct sy_db *db, struct sy_arena *a,
                     const char *user_id)
{
    v->db = db;
    v->a = a;
    v->user_id = user_id;
    v->memo = sy_map_new(a, 16);
}

int
sy_timeline_visible(struct sy_timeline_vis *v, const struct sy_db_event *ev, struct sy_error *err)
{
    char key[24];
    void *hit;
    int r;

    if (ev->rejected != NULL)
        return 0;
    if (strcmp(ev->type, "m.room.member") == 0 && ev->state_key != NULL &&
        strcmp(ev->state_key, v->user_id) == 0)
        return 1;
    snprintf(key, sizeof(key), "%lld", (long long)ev->state_after);
    if ((hit = sy_map_get(v->memo, key)) != NULL)
        return hit == (void *)1;
    r = sy_visibility_event(v->db, v->a, ev, v->user_id, err);
    if (r < 0)
        return r;
    sy_map_set(v->memo, key, r ? (void *)1 : (void *)2);
    return r;
}

int
sy_timeline_vis_prefetch(struct sy_timeline_vis *v, const struct sy_db_event *const *evs, size_t n,
                         struct sy_error *err)
{
    const struct sy_db_event **undecided = sy_arena_alloc(v->a, sizeof(*undecided) * (n + 1));
    int *visible = sy_arena_alloc(v->a, sizeof(int) * (n + 1));
    struct sy_map *seen = sy_map_new(v->a, n + 1);
    size_t k = 0;
    char key[24];

    /* One event per state group the memo lacks; the others share its answer. */
    for (size_t i = 0; i < n; i++) {
        const struct sy_db_event *ev = evs[i];

        if (ev->rejected != NULL ||
            (strcmp(ev->type, "m.room.member") == 0 && ev->state_key != NULL &&
             strcmp(ev->state_key, v->user_id) == 0))
            continue;
        snprintf(key, sizeof(key), "%lld", (long long)ev->state_after);
        if (sy_map_get(v->memo, key) != NULL || sy_map_get(seen, key) != NULL)
            continue;
        sy_map_set(seen, key, (void *)1);
        undecided[k++] = ev;
    }
    if (sy_visibility_events(v->db, v->a, undecided, k, v->user_id, visible, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < k; i++) {
        snprintf(key, sizeof(key), "%lld", (long long)undecided[i]->state_after);
        sy_map_set(v->memo, key, visible[i] ? (void *)1 : (void *)2);
    }
    return SY_OK;
}

int
sy_timeline_match(struct sy_arena *a, const struct sy_event_filter *f, const struct sy_db_event *ev)
{
    int has_url = 0;

    if (f == NULL)
        return 1;
    if (f->contains_url >= 0) {
        struct sy_error err = {0};
        struct json_object *o;

        /* Parsed only for filters that ask about content.url. */
        if (sy_json_parse(a, ev->client_json, strlen(ev->client_json), 64, &o, &err) == SY_OK)
            has_url = sy_json_get_str(sy_json_get_obj(o, "content"), "url") != NULL;
    }
    return sy_filter_match(f, ev->type, ev->sender, ev->room_id, has_url);
}

struct json_object *
sy_timeline_event_json(struct sy_db *db, struct sy_arena *a, const struct sy_db_event *row,
                       const char *user_id, const char *device_id, int bundle, struct sy_error *err)
{
    struct sy_room_event ev;
    struct json_object *u, *rel;
    const char *extra = NULL;

    sy_room_event_from_row(row, &ev);
    if (bundle) {
        u = json_object_new_object();
        if (sy_relations_bundle(db, a, row->event_id, user_id, u, err) != SY_OK) {
            json_object_put(u);
            return NULL;
        }
        if ((rel = sy_json_get(u, "m.relations")) != NULL)
            extra = sy_arena_printf(a, "\"m.relations\":%s", sy_json_text(rel, NULL));
        json_object_put(u);
    }
    return sy_room_event_raw(a, &ev, user_id, device_id, extra);
}

int
sy_timeline_bundle_set(struct sy_db *db, struct sy_arena *a, const struct sy_db_event *rows,
                       size_t n, struct sy_map **set, struct sy_error *err)
{
    const char **ids, **parents = NULL;
    size_t n_parents = 0;

    *set = sy_map_new(a, 8);
    if (n == 0)
        return SY_OK;
    ids = sy_arena_alloc(a, sizeof(char *) * n);
    for (size_t i = 0; i < n; i++)
        ids[i] = rows[i].event_id;
    if (sy_db_relations_parents(db, a, ids, n, &parents, &n_parents, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n_parents; i++)
        sy_map_set(*set, parents[i], (void *)1);
    return SY_OK;
}

int
sy_timeline_events_json_set(struct sy_db *db, struct sy_arena *a, const struct sy_db_event *rows,
                            size_t n, const char *user_id, const char *device_id,
                            const struct sy_map *bundle, struct json_object **out,
                            struct sy_error *err)
{
    *out = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        int b = bundle != NULL && sy_map_get(bundle, rows[i].event_id) != NULL;
        struct json_object *ev =
            sy_timeline_event_json(db, a, &rows[i], user_id, device_id, b, err);

        if (ev == NULL) {
            json_object_put(*out);
            *out = NULL;
            return err->code;
        }
        json_object_array_add(*out, ev);
    }
    return SY_OK;
}

int
sy_timeline_events_json(struct sy_db *db, struct sy_arena *a, const struct sy_db_event *rows,
                        size_t n, const char *user_id, const char *device_id, int bundle,
                        struct json_object **out, struct sy_error *err)
{
    struct sy_map *set = NULL;

    /* One query finds the few events with relations; only those get bundled. */
    if (bundle && sy_timeline_bundle_set(db, a, rows, n, &set, err) != SY_OK)
        return err->code;
    return sy_timeline_events_json_set(db, a, rows, n, user_id, device_id, set, out, err);
}

static void
walk_start(struct sy_arena *a, const struct sy_timeline_walk *w, struct sy_timeline_page *out)
{
    out->events = sy_arena_alloc(a, sizeof(*out->events) * (w->limit + 1));
    out->n = 0;
    out->more = 1;
    out->next = w->from;
}

/* The rows the next round trip of a walk asks for; 0 when the walk has reached its bound. */
static size_t
walk_want(const struct sy_timeline_walk *w, const struct sy_timeline_page *out)
{
    int64_t pos = out->next;
    size_t want = 2 * (w->limit - out->n);

    if ((w->backwards && pos <= w->bound) || (!w->backwards && pos >= w->bound))
        return 0;
    return want < WALK_BATCH_MIN ? WALK_BATCH_MIN : want > WALK_BATCH_MAX ? WALK_BATCH_MAX : want;
}

/*
 * Take one round trip's rows (got of the 'want' asked for) into the page:
 * 1 when the walk should ask for more, 0 when it is done (out->more
 * says whether anything is left), negative on a database error.
 */
static int
walk_take(struct sy_arena *a, const struct sy_timeline_walk *w, struct sy_timeline_page *out,
          size_t *scanned, const struct sy_db_event *rows, size_t got, size_t want,
          struct sy_error *err)
{
    size_t i;

    for (i = 0; i < got && out->n < w->limit; i++) {
        const struct sy_db_event *ev = &rows[i];
        int ok;

        /* Looked at enough rows: settle for what was found, whatever the batch size was. */
        if (w->scan_cap != 0 && *scanned >= w->scan_cap)
            return 0;
        ok = sy_timeline_match(a, w->filter, ev);

        out->next = w->backwards ? ev->stream_ordering - 1 : ev->stream_ordering;
        (*scanned)++;
        if (ok && w->vis != NULL && (w->vis_below == 0 || ev->stream_ordering < w->vis_below))
            ok = sy_timeline_visible(w->vis, ev, err);
        if (ok < 0)
            return ok;
        if (ok)
            out->events[out->n++] = *ev;
    }
    if (i < got)
        return 0; /* filled with rows to spare: more is known */
    if (got < want) {
        out->more = 0;
        return 0;
    }
    if (w->scan_cap != 0 && *scanned >= w->scan_cap)
        return 0;
    return out->n < w->limit;
}

/* Go on walking with a round trip each, from where the page stands. */
static int
walk_rest(struct sy_db *db, struct sy_arena *a, const struct sy_timeline_walk *w,
          struct sy_timeline_page *out, size_t scanned, struct sy_error *err)
{
    while (out->n < w->limit) {
        size_t want = walk_want(w, out), got;
        struct sy_db_event *rows;
        int rc;

        if (want == 0) {
            out->more = 0;
            break;
        }
        rc = w->backwards ? sy_db_events_range(db, a, w->room_id, w->bound, out->next, (int)want,
                                               &rows, &got, err)
                          : sy_db_events_range_fwd(db, a, w->room_id, out->next, w->bound,
                                                   (int)want, &rows, &got, err);
        if (rc != SY_OK)
            return rc;
        if ((rc = walk_take(a, w, out, &scanned, rows, got, want, err)) <= 0)
            return rc < 0 ? rc : SY_OK;
    }
    return SY_OK;
}

int
sy_timeline_walk(struct sy_db *db, struct sy_arena *a, const struct sy_timeline_walk *w,
                 struct sy_timeline_page *out, struct sy_error *err)
{
    walk_start(a, w, out);
    return walk_rest(db, a, w, out, 0, err);
}

/*
 * Before a round's rows are taken: the visibility of all the rows that
 * will need it, decided together (per visibility memo; /sync has one).
 */
static int
prefetch_visibility(struct sy_arena *a, const struct sy_timeline_walk *w, const size_t *slot,
                    struct sy_db_event *const *rows, const size_t *got, size_t k,
                    struct sy_error *err)
{
    size_t total = 0;

    for (size_t j = 0; j < k; j++)
        total += got[j];
    for (size_t j = 0; j < k; j++) {
        struct sy_timeline_vis *vis = w[slot[j]].vis;
        const struct sy_db_event **evs;
        size_t n = 0;
        int done = 0;

        /* Each memo once: at the first walk that uses it. */
        for (size_t p = 0; p < j && !done; p++)
            done = w[slot[p]].vis == vis;
        if (vis == NULL || done)
            continue;
        evs = sy_arena_alloc(a, sizeof(*evs) * (total + 1));
        for (size_t jj = j; jj < k; jj++) {
            const struct sy_timeline_walk *wj = &w[slot[jj]];

            if (wj->vis != vis)
                continue;
            for (size_t r = 0; r < got[jj]; r++)
                if (wj->vis_below == 0 || rows[jj][r].stream_ordering < wj->vis_below)
                    evs[n++] = &rows[jj][r];
        }
        if (sy_timeline_vis_prefetch(vis, evs, n, err) != SY_OK)
            return err->code;
    }
    return SY_OK;
}

int
sy_timeline_walk_many(struct sy_db *db, struct sy_arena *a, const struct sy_timeline_walk *w,
                      size_t n, struct sy_timeline_page *out, struct sy_error *err)
{
    const char **rooms = sy_arena_alloc(a, sizeof(char *) * (n + 1));
    int64_t *after = sy_arena_alloc(a, sizeof(int64_t) * (n + 1));
    int64_t *upto = sy_arena_alloc(a, sizeof(int64_t) * (n + 1));
    size_t *want = sy_arena_alloc(a, sizeof(size_t) * (n + 1));
    size_t *slot = sy_arena_alloc(a, sizeof(size_t) * (n + 1)); /* batch entry -> walk */
    size_t *scanned = sy_arena_alloc(a, sizeof(size_t) * (n + 1));
    char *active = sy_arena_alloc(a, n + 1);
    struct sy_db_event **rows = sy_arena_alloc(a, sizeof(*rows) * (n + 1));
    size_t *got = sy_arena_alloc(a, sizeof(size_t) * (n + 1));

    for (size_t i = 0; i < n; i++) {
        walk_start(a, &w[i], &out[i]);
        scanned[i] = 0;
        active[i] = w[i].backwards && out[i].n < w[i].limit;
        if (!w[i].backwards && walk_rest(db, a, &w[i], &out[i], 0, err) != SY_OK)
            return err->code;
    }
    /* A round trip for all the walks still going, until none is. */
    for (int round = 0;; round++) {
        size_t k = 0;

        for (size_t i = 0; i < n; i++) {
            size_t wi;

            if (!active[i])
                continue;
            if ((wi = walk_want(&w[i], &out[i])) == 0) {
                out[i].more = 0;
                active[i] = 0;
                continue;
            }
            /*
             * The first round asks for one row more than the walk wants: most
             * timelines are then complete, and the spare row says if there are more.
             */
            if (round == 0)
                wi = w[i].limit - out[i].n + 1 < WALK_BATCH_MAX ? w[i].limit - out[i].n + 1
                                                                : WALK_BATCH_MAX;
            rooms[k] = w[i].room_id;
            after[k] = w[i].bound;
            upto[k] = out[i].next;
            want[k] = wi;
            slot[k++] = i;
        }
        if (k == 0)
            break;
        if (sy_db_batch_ranges(db, a, rooms, after, upto, want, k, rows, got, err) != SY_OK ||
            prefetch_visibility(a, w, slot, rows, got, k, err) != SY_OK)
            return err->code;
        for (size_t j = 0; j < k; j++) {
            size_t i = slot[j];
            int rc = walk_take(a, &w[i], &out[i], &scanned[i], rows[j], got[j], want[j], err);

            if (rc < 0)
                return rc;
            active[i] = rc > 0;
        }
    }
    return SY_OK;
}

/* One state lookup of sy_timeline_member_ids_many: (group, user) -> *dest. */
struct member_lookup {
    int64_t group;
    const char *user;
    const char **dest;
};

/* Run lookups[0..n) as one query (db/sync_batch.h). */
static int
member_lookups(struct sy_db *db, struct sy_arena *a, struct member_lookup *l, size_t n,
               struct sy_error *err)
{
    int64_t *groups = sy_arena_alloc(a, sizeof(int64_t) * (n + 1));
    const char **types = sy_arena_alloc(a, sizeof(char *) * (n + 1));
    const char **keys = sy_arena_alloc(a, sizeof(char *) * (n + 1));
    const char **ids = sy_arena_alloc(a, sizeof(char *) * (n + 1));

    for (size_t i = 0; i < n; i++) {
        groups[i] = l[i].group;
        types[i] = "m.room.member";
        keys[i] = l[i].user;
    }
    if (sy_db_batch_state_lookup(db, a, groups, types, keys, n, ids, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n; i++)
        *l[i].dest = ids[i];
    return SY_OK;
}

int
sy_timeline_member_ids_many(struct sy_db *db, struct sy_arena *a, struct sy_timeline_members *q,
                            size_t n, struct sy_error *err)
{
    size_t cap = 1, k = 0;
    struct member_lookup *l;
    const char ***found;
    const struct sy_db_event ***first; /* the user's first event, per room and user */

    for (size_t r = 0; r < n; r++)
        cap += q[r].n + 1;
    l = sy_arena_alloc(a, sizeof(*l) * cap);
    found = sy_arena_alloc(a, sizeof(*found) * (n + 1));
    first = sy_arena_alloc(a, sizeof(*first) * (n + 1));
    /* The distinct users of each room, in order: senders first, then 'also'. */
    for (size_t r = 0; r < n; r++) {
        struct sy_map *seen = sy_map_new(a, q[r].n + 1);

        q[r].ids = sy_arena_alloc(a, sizeof(char *) * (q[r].n + 2));
        q[r].n_ids = 0;
        found[r] = sy_arena_alloc(a, sizeof(char *) * (q[r].n + 2));
        first[r] = sy_arena_alloc(a, sizeof(*first[r]) * (q[r].n + 2));
        for (size_t i = 0; i <= q[r].n; i++) {
            const char *user = i < q[r].n ? q[r].events[i].sender : q[r].also;
            size_t u = q[r].n_ids;

            if (user == NULL || sy_map_get(seen, user) != NULL ||
                (q[r].skip != NULL && sy_map_get(q[r].skip, user) != NULL))
                continue;
            sy_map_set(seen, user, (void *)1);
            q[r].ids[u] = user; /* the user for now; the event ID below */
            found[r][u] = NULL;
            first[r][u] = i < q[r].n ? &q[r].events[i] : NULL;
            q[r].n_ids++;
            if (q[r].group != 0)
                l[k++] = (struct member_lookup){q[r].group, user, &found[r][u]};
        }
    }
    if (member_lookups(db, a, l, k, err) != SY_OK)
        return err->code;
    /* A sender absent from the group: the state after their first event here. */
    k = 0;
    for (size_t r = 0; r < n; r++)
        for (size_t u = 0; u < q[r].n_ids; u++)
            if (found[r][u] == NULL && first[r][u] != NULL && first[r][u]->state_after != 0)
                l[k++] =
                    (struct member_lookup){first[r][u]->state_after, q[r].ids[u], &found[r][u]};
    if (member_lookups(db, a, l, k, err) != SY_OK)
        return err->code;
    for (size_t r = 0; r < n; r++) {
        size_t m = 0;

        for (size_t u = 0; u < q[r].n_ids; u++)
            if (found[r][u] != NULL)
                q[r].ids[m++] = found[r][u];
        q[r].n_ids = m;
    }
    return SY_OK;
}

int
sy_timeline_member_ids(struct sy_db *db, struct sy_arena *a, int64_t group,
                       const struct sy_db_event *events, size_t n, const char *also,
                       const struct sy_map *skip, const char ***ids, size_t *n_ids,
                       struct sy_error *err)
{
    struct sy_timeline_members q = {
        .group = group, .events = events, .n = n, .also = also, .skip = skip};

    if (sy_timeline_member_ids_many(db, a, &q, 1, err) != SY_OK)
        return err->code;
    *ids = q.ids;
    *n_ids = q.n_ids;
    return SY_OK;
}
