/*
 * sync/live.c -- the in-memory record of committed events and what the
 * /sync fast path keeps beside it (see sync/live.h).
 *
 * One mutex guards everything.  The ring holds one malloc'd block per
 * event (the struct and its strings); slot[pos % RING_SLOTS] holds the
 * event at pos.  [lo, w] is the range the ring covers; slots above w hold
 * events whose hooks came early and wait for the positions below them.
 * As w passes an event, apply() brings the maps and counts up to it, in
 * stream order, whatever order the hooks came in.
 *
 * The keyed caches are string maps in their own arenas with malloc'd
 * values; each is cleared whole when it grows past its cap (a cleared
 * cache only sends readers to the database for a while).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sync/live.h"
#include "sync/notifier.h"
#include "util/arena.h"
#include "util/map.h"
#include "util/mem.h"

#define RING_SLOTS 8192 /* a power of two */
#define RING_MAX_BYTES (16u << 20)
#define MEMBER_POS_MAX 100000 /* rooms / users whose last member event is remembered */
#define USERS_MAX 50000
#define USERS_MAX_BYTES (64u << 20)
#define VIEWS_MAX 100000
#define KEYS_MAX 50000
#define INBOX_MAX 100000
#define KEYS_GEN_BUCKETS 1024
#define BEHIND_MAX_MS 2000 /* the watermark may trail the database this long */

/* ---- keyed tables -------------------------------------------------------------------- */

struct table {
    struct sy_arena *a;
    struct sy_map *m;
    size_t sets; /* keys added since the arena was made (deleted keys stay in the arena) */
    size_t max;
    void (*free_val)(void *);
};

static void
table_clear(struct table *t)
{
    size_t it = 0;
    void *v;

    if (t->m != NULL)
        while (sy_map_next(t->m, &it, NULL, &v))
            t->free_val(v);
    if (t->a != NULL)
        sy_arena_free(t->a);
    t->a = sy_arena_new();
    t->m = sy_map_new(t->a, 64);
    t->sets = 0;
}

static void *
table_get(struct table *t, const char *key)
{
    return t->m != NULL ? sy_map_get(t->m, key) : NULL;
}

/* Store v under key (replacing and freeing an old value); 1 if the table was cleared first. */
static int
table_put(struct table *t, const char *key, void *v)
{
    void *old;
    int cleared = 0;

    if (t->m == NULL || t->sets >= t->max) {
        table_clear(t);
        cleared = 1;
    }
    if ((old = sy_map_get(t->m, key)) != NULL)
        t->free_val(old);
    else
        t->sets++;
    sy_map_set(t->m, key, v);
    return cleared;
}

/* "a\x1fb" in buf (or NULL when it does not fit: the caller treats that as a miss). */
static const char *
pair_key(char *buf, size_t size, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    if (la + lb + 2 > size)
        return NULL;
    memcpy(buf, a, la);
    buf[la] = '\x1f';
    memcpy(buf + la + 1, b, lb + 1);
    return buf;
}

#define KEY_MAX 1024

/* ---- state --------------------------------------------------------------------------- */

/* A ring entry: one block holding the event and its strings. */
struct entry {
    struct sy_live_event ev;
    struct sy_live_push *push; /* until w passes the event */
    size_t n_push;
    size_t bytes;
    int unused; /* a position that holds no event */
};

/* A user's joined rooms at position p (sorted, for bsearch) and invited rooms. */
struct user_entry {
    int64_t p;
    char **joined;
    size_t n_joined;
    char **invited;
    size_t n_invited;
    int have_invited;
    size_t bytes;
};

struct view_entry {
    int have_summary;
    int64_t summary_at; /* exact while the room has no member event after this */
    int64_t joined, invited;
    char **heroes;
    size_t n_heroes;
    int have_unread; /* exact at w: pushes are added as w advances */
    int64_t notes, highlights;
};

struct keys_entry {
    uint64_t gen;
    char *counts, *fallback;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int started;
static int64_t w, lo;
static struct entry *ring[RING_SLOTS];
static size_t ring_bytes;
static int64_t behind_head, behind_since_ms; /* a head seen past w, and since when (0: none) */

/* Last member event per room / per target user; absent keys read as the floor. */
static struct table room_member, user_member;
static int64_t room_member_floor, user_member_floor;

static struct table users, views, keys, inbox;
static size_t users_bytes;
static uint64_t read_gen;
static uint64_t keys_gen[KEYS_GEN_BUCKETS];
static uint64_t counters[SY_LIVE_N_MISS];

/*
 * Long-polls to wake once the lock is released: the rooms of events the
 * watermark passed (and the targets of member events).  'db' marks wakes
 * for events live will not hold (it stopped): those count as a move of the
 * database heads, which readers must then read again.
 */
struct wakes {
    struct sy_arena *a;
    struct sy_map *seen;
    const char **keys; /* kind ('r'/'u'), '0'/'1' for db, then the ID */
    size_t n, cap;
};

static void
wake_add(struct wakes *wk, char kind, const char *id, int db)
{
    const char *key;

    if (wk == NULL || id == NULL)
        return;
    if (wk->a == NULL) {
        wk->a = sy_arena_new();
        wk->seen = sy_map_new(wk->a, 16);
    }
    key = sy_arena_printf(wk->a, "%c%c%s", kind, db ? '1' : '0', id);
    if (sy_map_get(wk->seen, key) != NULL)
        return;
    sy_map_set(wk->seen, key, (void *)1);
    if (wk->n == wk->cap) {
        const char **more = sy_arena_alloc(wk->a, sizeof(char *) * (wk->cap * 2 + 8));

        if (wk->n > 0)
            memcpy(more, wk->keys, sizeof(char *) * wk->n);
        wk->keys = more;
        wk->cap = wk->cap * 2 + 8;
    }
    wk->keys[wk->n++] = key;
}

/* The long-polls an event concerns: its room's, and a member event's target's. */
static void
wake_for(struct wakes *wk, const struct sy_live_event *ev, int db)
{
    wake_add(wk, 'r', ev->room_id, db);
    if (ev->state_key != NULL && ev->type != NULL && strcmp(ev->type, "m.room.member") == 0)
        wake_add(wk, 'u', ev->state_key, db);
}

/* After unlocking: notify and free. */
static void
wake_all(struct wakes *wk)
{
    for (size_t i = 0; i < wk->n; i++) {
        const char *k = wk->keys[i];
        int db = k[1] == '1';

        if (k[0] == 'r')
            db ? sy_notify_room(k + 2) : sy_notify_room_events(k + 2);
        else
            db ? sy_notify_user(k + 2) : sy_notify_user_events(k + 2);
    }
    if (wk->a != NULL)
        sy_arena_free(wk->a);
}

static void
free_entry(struct entry *e)
{
    if (e != NULL) {
        free(e->push);
        free(e);
    }
}

static void
free_user(void *v)
{
    struct user_entry *u = v;

    for (size_t i = 0; i < u->n_joined; i++)
        free(u->joined[i]);
    for (size_t i = 0; i < u->n_invited; i++)
        free(u->invited[i]);
    free(u->joined);
    free(u->invited);
    users_bytes -= u->bytes;
    free(u);
}

static void
free_view(void *v)
{
    struct view_entry *e = v;

    for (size_t i = 0; i < e->n_heroes; i++)
        free(e->heroes[i]);
    free(e->heroes);
    free(e);
}

static void
free_keys(void *v)
{
    struct keys_entry *k = v;

    free(k->counts);
    free(k->fallback);
    free(k);
}

static void
free_plain(void *v)
{
    free(v);
}

static void
tables_init(void)
{
    if (users.free_val != NULL)
        return;
    room_member = (struct table){.max = MEMBER_POS_MAX, .free_val = free_plain};
    user_member = (struct table){.max = MEMBER_POS_MAX, .free_val = free_plain};
    users = (struct table){.max = USERS_MAX, .free_val = free_user};
    views = (struct table){.max = VIEWS_MAX, .free_val = free_view};
    keys = (struct table){.max = KEYS_MAX, .free_val = free_keys};
    inbox = (struct table){.max = INBOX_MAX, .free_val = free_plain};
}

/* ---- ring ---------------------------------------------------------------------------- */

static struct entry **
slot_of(int64_t pos)
{
    return &ring[(uint64_t)pos & (RING_SLOTS - 1)];
}

static size_t
dup_len(const char *s)
{
    return s != NULL ? strlen(s) + 1 : 0;
}

static const char *
dup_into(char **p, const char *s)
{
    size_t n;
    const char *out;

    if (s == NULL)
        return NULL;
    n = strlen(s) + 1;
    memcpy(*p, s, n);
    out = *p;
    *p += n;
    return out;
}

/* One malloc'd copy of ev (its push outcomes in their own block). */
static struct entry *
copy_event(const struct sy_live_event *ev)
{
    size_t n = sizeof(struct entry) + dup_len(ev->room_id ? ev->room_id : "") +
               dup_len(ev->event_id) + dup_len(ev->type) + dup_len(ev->state_key) +
               dup_len(ev->sender) + dup_len(ev->client_json) + dup_len(ev->redacts) +
               dup_len(ev->relates_to) + dup_len(ev->txn_user) + dup_len(ev->txn_device) +
               dup_len(ev->txn_id);
    struct entry *e = sy_calloc(1, n);
    char *p = (char *)(e + 1);

    e->bytes = n;
    e->ev.stream = ev->stream;
    e->ev.origin_server_ts = ev->origin_server_ts;
    e->ev.room_id = dup_into(&p, ev->room_id != NULL ? ev->room_id : "");
    e->ev.event_id = dup_into(&p, ev->event_id);
    e->ev.type = dup_into(&p, ev->type);
    e->ev.state_key = dup_into(&p, ev->state_key);
    e->ev.sender = dup_into(&p, ev->sender);
    e->ev.client_json = dup_into(&p, ev->client_json);
    e->ev.redacts = dup_into(&p, ev->redacts);
    e->ev.relates_to = dup_into(&p, ev->relates_to);
    e->ev.txn_user = dup_into(&p, ev->txn_user);
    e->ev.txn_device = dup_into(&p, ev->txn_device);
    e->ev.txn_id = dup_into(&p, ev->txn_id);
    if (ev->n_push > 0) {
        size_t users_len = 0;
        char *q;

        for (size_t i = 0; i < ev->n_push; i++)
            users_len += strlen(ev->push[i].user_id) + 1;
        e->push = sy_malloc(sizeof(*e->push) * ev->n_push + users_len);
        q = (char *)(e->push + ev->n_push);
        for (size_t i = 0; i < ev->n_push; i++) {
            e->push[i] = ev->push[i];
            e->push[i].user_id = dup_into(&q, ev->push[i].user_id);
        }
        e->n_push = ev->n_push;
    }
    return e;
}

static int64_t
pos_in(struct table *t, int64_t floor, const char *key)
{
    int64_t *p = table_get(t, key);

    return p != NULL ? *p : floor;
}

/* Remember that key's last member event is at pos (a cleared table raises its floor). */
static void
pos_set(struct table *t, int64_t *floor, const char *key, int64_t pos)
{
    int64_t *v = sy_malloc(sizeof(*v));

    *v = pos;
    if (table_put(t, key, v))
        *floor = pos - 1 > *floor ? pos - 1 : *floor;
}

/* Bring the maps and counts up to e, the event at w (in stream order); its readers wake. */
static void
apply(struct entry *e, struct wakes *wk)
{
    const struct sy_live_event *ev = &e->ev;
    char key[KEY_MAX];

    if (e->unused)
        return;
    wake_for(wk, ev, 0);
    if (ev->state_key != NULL && strcmp(ev->type, "m.room.member") == 0) {
        pos_set(&room_member, &room_member_floor, ev->room_id, ev->stream);
        pos_set(&user_member, &user_member_floor, ev->state_key, ev->stream);
    }
    for (size_t i = 0; i < e->n_push; i++) {
        struct view_entry *v;
        const char *k = pair_key(key, sizeof(key), e->push[i].user_id, ev->room_id);

        if (k != NULL && (v = table_get(&views, k)) != NULL && v->have_unread) {
            v->notes += e->push[i].notify != 0;
            v->highlights += e->push[i].highlight != 0;
        }
    }
    free(e->push);
    e->push = NULL;
    e->n_push = 0;
}

static void
evict_lo(void)
{
    struct entry **s = slot_of(lo);

    if (*s != NULL && (*s)->ev.stream == lo) {
        ring_bytes -= (*s)->bytes;
        free_entry(*s);
        *s = NULL;
    }
    lo++;
}

/*
 * Forget everything that depends on the ring following every commit.
 * Events still waiting for their predecessors were never announced: wake
 * their readers now, as database moves.
 */
static void
drop_all_locked(struct wakes *wk)
{
    for (size_t i = 0; i < RING_SLOTS; i++) {
        if (ring[i] != NULL && ring[i]->ev.stream > w && !ring[i]->unused)
            wake_for(wk, &ring[i]->ev, 1);
        free_entry(ring[i]);
        ring[i] = NULL;
    }
    ring_bytes = 0;
    started = 0;
    w = lo = 0;
    behind_head = behind_since_ms = 0;
    tables_init();
    table_clear(&room_member);
    table_clear(&user_member);
    table_clear(&users);
    table_clear(&views);
    room_member_floor = user_member_floor = 0;
}

static void
advance(struct wakes *wk)
{
    struct entry **s;

    while (*(s = slot_of(w + 1)) != NULL && (*s)->ev.stream == w + 1) {
        w++;
        apply(*s, wk);
    }
    while ((ring_bytes > RING_MAX_BYTES || w - lo + 1 > RING_SLOTS / 2) && lo <= w)
        evict_lo();
}

/* Place e (at a position above w); 0, or -1 when it cannot be held (the caller resets). */
static int
place(struct entry *e)
{
    int64_t pos = e->ev.stream;
    struct entry **s;

    while (pos - lo >= RING_SLOTS && lo <= w)
        evict_lo();
    if (pos - lo >= RING_SLOTS)
        return -1;
    s = slot_of(pos);
    if (*s != NULL) { /* the same position reported twice: keep the first */
        free_entry(e);
        return 0;
    }
    *s = e;
    ring_bytes += e->bytes;
    return 0;
}

void
sy_live_events_committed(const struct sy_live_event *evs, size_t n)
{
    struct wakes wk = {0};

    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n; i++) {
        if (!started) {
            wake_for(&wk, &evs[i], 1); /* not held: announced as a database move */
            continue;
        }
        /* At or below w: committed before the ring started (which read a head past it). */
        if (evs[i].stream <= w) {
            wake_for(&wk, &evs[i], 1);
            continue;
        }
        if (place(copy_event(&evs[i])) != 0) {
            drop_all_locked(&wk); /* a hole too far behind: start again from the database */
            wake_for(&wk, &evs[i], 1);
        }
    }
    if (started)
        advance(&wk);
    pthread_mutex_unlock(&lock);
    wake_all(&wk);
}

void
sy_live_positions_unused(int64_t from, int64_t to)
{
    struct wakes wk = {0};

    pthread_mutex_lock(&lock);
    for (int64_t pos = from; pos <= to && started; pos++) {
        struct entry *e;

        if (pos <= w)
            continue;
        e = sy_calloc(1, sizeof(*e));
        e->ev.stream = pos;
        e->unused = 1;
        e->bytes = sizeof(*e);
        if (place(e) != 0)
            drop_all_locked(&wk);
    }
    if (started)
        advance(&wk);
    pthread_mutex_unlock(&lock);
    wake_all(&wk);
}

int
sy_live_start(int (*read_head)(void *arg, int64_t *head), void *arg)
{
    int64_t head;
    int rc = 0;

    pthread_mutex_lock(&lock);
    if (!started) {
        tables_init();
        if ((rc = read_head(arg, &head)) == 0) {
            drop_all_locked(NULL); /* holds nothing: hooks are not kept while stopped */
            started = 1;
            w = head;
            lo = head + 1;
            /* Member events at or below the head are unknown. */
            room_member_floor = user_member_floor = head;
        }
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

int
sy_live_range(int64_t *w_out, int64_t *lo_out)
{
    int s;

    pthread_mutex_lock(&lock);
    s = started;
    *w_out = w;
    *lo_out = lo;
    pthread_mutex_unlock(&lock);
    return s;
}

void
sy_live_behind(int64_t db_head, int64_t now_ms)
{
    struct wakes wk = {0};

    pthread_mutex_lock(&lock);
    if (started && db_head > w) {
        /* Measure from the first sighting of a head that is still not covered. */
        if (behind_since_ms == 0 || behind_head <= w) {
            behind_head = db_head;
            behind_since_ms = now_ms;
        } else if (now_ms - behind_since_ms > BEHIND_MAX_MS) {
            drop_all_locked(&wk);
        }
    }
    pthread_mutex_unlock(&lock);
    wake_all(&wk);
}

void
sy_live_reset(void)
{
    struct wakes wk = {0};

    pthread_mutex_lock(&lock);
    drop_all_locked(&wk);
    tables_init();
    table_clear(&keys);
    table_clear(&inbox);
    pthread_mutex_unlock(&lock);
    wake_all(&wk);
}

/* ---- users --------------------------------------------------------------------------- */

static int
cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static int
user_in(const struct user_entry *u, const char *room_id)
{
    return bsearch(&room_id, u->joined, u->n_joined, sizeof(char *), cmp_str) != NULL;
}

static char **
dup_list(const char *const *v, size_t n, size_t *bytes)
{
    char **out = sy_calloc(n ? n : 1, sizeof(char *));

    for (size_t i = 0; i < n; i++) {
        out[i] = sy_strdup(v[i]);
        *bytes += strlen(v[i]) + 1 + sizeof(char *);
    }
    return out;
}

static void
users_put_locked(const char *user_id, struct user_entry *u)
{
    if (users_bytes + u->bytes > USERS_MAX_BYTES)
        table_clear(&users); /* frees every entry, bringing users_bytes to 0 */
    users_bytes += u->bytes;
    table_put(&users, user_id, u);
}

/* Free an entry that was never in the table (not counted in users_bytes). */
static void
free_user_unlisted(struct user_entry *u)
{
    for (size_t i = 0; i < u->n_joined; i++)
        free(u->joined[i]);
    free(u->joined);
    free(u);
}

void
sy_live_user_joined(const char *user_id, int64_t pos, const char *const *rooms, size_t n)
{
    struct user_entry *u = sy_calloc(1, sizeof(*u)), *old;

    u->bytes = sizeof(*u);
    u->p = pos;
    u->joined = dup_list(rooms, n, &u->bytes);
    u->n_joined = n;
    qsort(u->joined, n, sizeof(char *), cmp_str);
    pthread_mutex_lock(&lock);
    tables_init();
    /* Keep the newer of two passes.  The invited set is asked for again when a wait needs it. */
    if ((old = table_get(&users, user_id)) != NULL && old->p > pos) {
        pthread_mutex_unlock(&lock);
        free_user_unlisted(u);
        return;
    }
    users_put_locked(user_id, u);
    pthread_mutex_unlock(&lock);
}

void
sy_live_user_invited(const char *user_id, const char *const *rooms, size_t n)
{
    struct user_entry *u;

    pthread_mutex_lock(&lock);
    tables_init();
    if ((u = table_get(&users, user_id)) != NULL) {
        size_t bytes = 0;

        for (size_t i = 0; i < u->n_invited; i++)
            free(u->invited[i]);
        free(u->invited);
        u->invited = dup_list(rooms, n, &bytes);
        u->n_invited = n;
        u->have_invited = 1;
        u->bytes += bytes;
        users_bytes += bytes;
    }
    pthread_mutex_unlock(&lock);
}

/* u's joined set, if it is exact from min(since, u->p) up to w. */
static struct user_entry *
user_valid_locked(const char *user_id, int64_t since)
{
    struct user_entry *u = table_get(&users, user_id);
    int64_t last;

    if (u == NULL || u->p > w)
        return NULL;
    last = pos_in(&user_member, user_member_floor, user_id);
    return last <= (since < u->p ? since : u->p) ? u : NULL;
}

int
sy_live_wait_keys(const char *user_id, struct sy_arena *a, const char ***keys_out, size_t *n)
{
    struct user_entry *u;
    const char **k;
    size_t m = 0;

    pthread_mutex_lock(&lock);
    if (!started || (u = user_valid_locked(user_id, w)) == NULL || !u->have_invited) {
        pthread_mutex_unlock(&lock);
        return 0;
    }
    k = sy_arena_alloc(a, sizeof(char *) * (u->n_joined + u->n_invited + 1));
    k[m++] = sy_arena_printf(a, "u:%s", user_id);
    for (size_t i = 0; i < u->n_joined; i++)
        k[m++] = sy_arena_printf(a, "r:%s", u->joined[i]);
    for (size_t i = 0; i < u->n_invited; i++)
        k[m++] = sy_arena_printf(a, "r:%s", u->invited[i]);
    pthread_mutex_unlock(&lock);
    *keys_out = k;
    *n = m;
    return 1;
}

/* ---- snapshot ------------------------------------------------------------------------ */

static const char *const miss_names[SY_LIVE_N_MISS] = {
    [SY_LIVE_OK] = "ok",
    [SY_LIVE_NOT_STARTED] = "not started",
    [SY_LIVE_NOT_COVERED] = "range not in the ring",
    [SY_LIVE_NO_USER] = "joined rooms unknown",
    [SY_LIVE_STATE] = "state event",
    [SY_LIVE_LIMITED] = "limited timeline",
    [SY_LIVE_RELATED] = "redaction or relation",
    [SY_LIVE_INITIAL] = "initial or full_state",
    [SY_LIVE_STREAMS] = "other streams moved",
    [SY_LIVE_FILTER] = "filter",
    [SY_LIVE_VIEW] = "view moved while read",
};

const char *
sy_live_miss_name(enum sy_live_miss m)
{
    return m < SY_LIVE_N_MISS ? miss_names[m] : "?";
}

static char *
adup(struct sy_arena *a, const char *s)
{
    return s != NULL ? sy_arena_strdup(a, s) : NULL;
}

/* The view live has for (user, room), copied into 'a'. */
static void
view_copy_locked(const char *user_id, const char *room_id, struct sy_arena *a,
                 struct sy_live_view *out)
{
    char key[KEY_MAX];
    const char *k = pair_key(key, sizeof(key), user_id, room_id);
    struct view_entry *v = k != NULL ? table_get(&views, k) : NULL;

    memset(out, 0, sizeof(*out));
    if (v == NULL)
        return;
    if (v->have_summary && pos_in(&room_member, room_member_floor, room_id) <= v->summary_at) {
        out->have_summary = 1;
        out->joined = v->joined;
        out->invited = v->invited;
        out->heroes = sy_arena_alloc(a, sizeof(char *) * (v->n_heroes + 1));
        for (size_t i = 0; i < v->n_heroes; i++)
            out->heroes[i] = sy_arena_strdup(a, v->heroes[i]);
        out->n_heroes = v->n_heroes;
    }
    if (v->have_unread) {
        out->have_unread = 1;
        out->notes = v->notes;
        out->highlights = v->highlights;
    }
}

static void
copy_out(struct sy_arena *a, const struct sy_live_event *in, struct sy_live_event *out)
{
    *out = *in;
    out->room_id = adup(a, in->room_id);
    out->event_id = adup(a, in->event_id);
    out->type = adup(a, in->type);
    out->state_key = adup(a, in->state_key);
    out->sender = adup(a, in->sender);
    out->client_json = adup(a, in->client_json);
    out->redacts = adup(a, in->redacts);
    out->relates_to = adup(a, in->relates_to);
    out->txn_user = adup(a, in->txn_user);
    out->txn_device = adup(a, in->txn_device);
    out->txn_id = adup(a, in->txn_id);
    out->push = NULL;
    out->n_push = 0;
}

/* Group the events of u's rooms in (since, w] by room; check what the fast path cannot do. */
static enum sy_live_miss
collect_locked(const struct user_entry *u, int64_t since, int limit, struct sy_arena *a,
               struct sy_live_snapshot *out)
{
    struct sy_map *by_room = sy_map_new(a, 8), *ids = sy_map_new(a, 16);
    const char **targets = NULL;
    size_t n_targets = 0, cap_rooms = 4;

    out->rooms = sy_arena_alloc(a, sizeof(*out->rooms) * cap_rooms);
    for (int64_t pos = since + 1; pos <= w; pos++) {
        const struct entry *e = *slot_of(pos);
        struct sy_live_room *r;
        const char *target;

        if (e->unused || !user_in(u, e->ev.room_id))
            continue;
        if (e->ev.state_key != NULL)
            return SY_LIVE_STATE;
        if ((r = sy_map_get(by_room, e->ev.room_id)) == NULL) {
            if (out->n_rooms == cap_rooms) {
                struct sy_live_room *bigger = sy_arena_alloc(a, sizeof(*bigger) * cap_rooms * 2);

                memcpy(bigger, out->rooms, sizeof(*bigger) * cap_rooms);
                /* Rooms moved: the map's pointers must follow. */
                for (size_t i = 0; i < out->n_rooms; i++)
                    sy_map_set(by_room, bigger[i].room_id, &bigger[i]);
                out->rooms = bigger;
                cap_rooms *= 2;
            }
            r = &out->rooms[out->n_rooms++];
            r->room_id = sy_arena_strdup(a, e->ev.room_id);
            r->events = sy_arena_alloc(a, sizeof(*r->events) * ((size_t)limit + 1));
            sy_map_set(by_room, r->room_id, r);
        }
        if (r->n >= (size_t)limit)
            return SY_LIVE_LIMITED;
        copy_out(a, &e->ev, &r->events[r->n++]);
        sy_map_set(ids, e->ev.event_id, (void *)1);
        target = e->ev.redacts != NULL ? e->ev.redacts : e->ev.relates_to;
        if (target != NULL) {
            const char **t = sy_arena_alloc(a, sizeof(char *) * (n_targets + 1));

            if (n_targets > 0)
                memcpy(t, targets, sizeof(char *) * n_targets);
            t[n_targets++] = target;
            targets = t;
        }
    }
    /* An event here that something here redacts or relates to: its stored form or bundle differs.
     */
    for (size_t i = 0; i < n_targets; i++)
        if (sy_map_get(ids, targets[i]) != NULL)
            return SY_LIVE_RELATED;
    return SY_LIVE_OK;
}

enum sy_live_miss
sy_live_snapshot(const char *user_id, int64_t since, int limit, struct sy_arena *a,
                 struct sy_live_snapshot *out)
{
    struct user_entry *u;
    enum sy_live_miss m;

    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&lock);
    if (!started) {
        m = SY_LIVE_NOT_STARTED;
        goto out;
    }
    if (since > w || (since < w && since + 1 < lo)) {
        m = SY_LIVE_NOT_COVERED;
        goto out;
    }
    if ((u = user_valid_locked(user_id, since)) == NULL) {
        m = SY_LIVE_NO_USER;
        goto out;
    }
    out->upto = w;
    out->joined = sy_arena_alloc(a, sizeof(char *) * (u->n_joined + 1));
    for (size_t i = 0; i < u->n_joined; i++)
        out->joined[i] = sy_arena_strdup(a, u->joined[i]);
    out->n_joined = u->n_joined;
    if ((m = collect_locked(u, since, limit, a, out)) != SY_LIVE_OK)
        goto out;
    for (size_t i = 0; i < out->n_rooms; i++)
        view_copy_locked(user_id, out->rooms[i].room_id, a, &out->rooms[i].view);
out:
    pthread_mutex_unlock(&lock);
    return m;
}

/* ---- views --------------------------------------------------------------------------- */

void
sy_live_view_get(const char *user_id, const char *room_id, struct sy_arena *a,
                 struct sy_live_view *out)
{
    pthread_mutex_lock(&lock);
    if (started)
        view_copy_locked(user_id, room_id, a, out);
    else
        memset(out, 0, sizeof(*out));
    pthread_mutex_unlock(&lock);
}

void
sy_live_view_begin(struct sy_live_ticket *t)
{
    pthread_mutex_lock(&lock);
    t->w = started ? w : -1;
    t->read_gen = read_gen;
    pthread_mutex_unlock(&lock);
}

int
sy_live_view_put(const char *user_id, const char *room_id, const struct sy_live_ticket *t,
                 int64_t db_head, const struct sy_live_view *v)
{
    char key[KEY_MAX];
    const char *k = pair_key(key, sizeof(key), user_id, room_id);
    struct view_entry *e, *old;
    int ok;

    if (k == NULL)
        return 0;
    pthread_mutex_lock(&lock);
    /*
     * Exact at w only if no event passed w meanwhile (its pushes would be
     * missing), the database had nothing beyond w (the reads saw the state
     * at w) and no read receipt moved.
     */
    ok = started && t->w == w && db_head <= w && t->read_gen == read_gen;
    if (ok) {
        e = sy_calloc(1, sizeof(*e));
        old = table_get(&views, k);
        if (v->have_summary) {
            e->have_summary = 1;
            e->summary_at = w;
            e->joined = v->joined;
            e->invited = v->invited;
            e->heroes = sy_calloc(v->n_heroes ? v->n_heroes : 1, sizeof(char *));
            for (size_t i = 0; i < v->n_heroes; i++)
                e->heroes[i] = sy_strdup(v->heroes[i]);
            e->n_heroes = v->n_heroes;
        } else if (old != NULL && old->have_summary) {
            e->have_summary = 1, e->summary_at = old->summary_at;
            e->joined = old->joined, e->invited = old->invited;
            e->heroes = old->heroes, e->n_heroes = old->n_heroes;
            old->heroes = NULL, old->n_heroes = 0;
        }
        if (v->have_unread) {
            e->have_unread = 1;
            e->notes = v->notes;
            e->highlights = v->highlights;
        } else if (old != NULL && old->have_unread) {
            e->have_unread = 1, e->notes = old->notes, e->highlights = old->highlights;
        }
        table_put(&views, k, e);
    }
    pthread_mutex_unlock(&lock);
    return ok;
}

void
sy_live_read_moved(const char *user_id, const char *room_id)
{
    char key[KEY_MAX];
    const char *k = pair_key(key, sizeof(key), user_id, room_id);
    struct view_entry *v;

    pthread_mutex_lock(&lock);
    read_gen++;
    if (k != NULL && (v = table_get(&views, k)) != NULL)
        v->have_unread = 0;
    pthread_mutex_unlock(&lock);
}

/* ---- keys and inbox ------------------------------------------------------------------ */

static uint64_t *
keys_bucket(const char *user_id)
{
    uint64_t h = 1469598103934665603ULL;

    for (const char *p = user_id; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return &keys_gen[h & (KEYS_GEN_BUCKETS - 1)];
}

uint64_t
sy_live_keys_gen(const char *user_id)
{
    uint64_t g;

    pthread_mutex_lock(&lock);
    g = *keys_bucket(user_id);
    pthread_mutex_unlock(&lock);
    return g;
}

void
sy_live_keys_changed(const char *user_id)
{
    pthread_mutex_lock(&lock);
    (*keys_bucket(user_id))++;
    pthread_mutex_unlock(&lock);
}

void
sy_live_keys_put(const char *user_id, const char *device_id, uint64_t gen, const char *counts,
                 const char *fallback)
{
    char key[KEY_MAX];
    const char *k = pair_key(key, sizeof(key), user_id, device_id);
    struct keys_entry *e;

    if (k == NULL)
        return;
    pthread_mutex_lock(&lock);
    tables_init();
    if (*keys_bucket(user_id) == gen) {
        e = sy_calloc(1, sizeof(*e));
        e->gen = gen;
        e->counts = sy_strdup(counts);
        e->fallback = sy_strdup(fallback);
        table_put(&keys, k, e);
    }
    pthread_mutex_unlock(&lock);
}

int
sy_live_keys_get(const char *user_id, const char *device_id, struct sy_arena *a,
                 const char **counts, const char **fallback)
{
    char key[KEY_MAX];
    const char *k = pair_key(key, sizeof(key), user_id, device_id);
    struct keys_entry *e;
    int hit = 0;

    if (k == NULL)
        return 0;
    pthread_mutex_lock(&lock);
    if ((e = table_get(&keys, k)) != NULL && e->gen == *keys_bucket(user_id)) {
        *counts = sy_arena_strdup(a, e->counts);
        *fallback = sy_arena_strdup(a, e->fallback);
        hit = 1;
    }
    pthread_mutex_unlock(&lock);
    return hit;
}

int64_t
sy_live_inbox_cleared(const char *user_id, const char *device_id)
{
    char key[KEY_MAX];
    const char *k = pair_key(key, sizeof(key), user_id, device_id);
    int64_t *v, out = -1;

    if (k == NULL)
        return -1;
    pthread_mutex_lock(&lock);
    if ((v = table_get(&inbox, k)) != NULL)
        out = *v;
    pthread_mutex_unlock(&lock);
    return out;
}

void
sy_live_inbox_clear(const char *user_id, const char *device_id, int64_t upto)
{
    char key[KEY_MAX];
    const char *k = pair_key(key, sizeof(key), user_id, device_id);
    int64_t *v;

    if (k == NULL)
        return;
    pthread_mutex_lock(&lock);
    tables_init();
    if ((v = table_get(&inbox, k)) != NULL) {
        if (upto > *v)
            *v = upto;
    } else {
        v = sy_malloc(sizeof(*v));
        *v = upto;
        table_put(&inbox, k, v);
    }
    pthread_mutex_unlock(&lock);
}

/* ---- counters ------------------------------------------------------------------------ */

void
sy_live_count(enum sy_live_miss m)
{
    if (m >= SY_LIVE_N_MISS)
        return;
    pthread_mutex_lock(&lock);
    counters[m]++;
    pthread_mutex_unlock(&lock);
}

void
sy_live_counts(uint64_t out[SY_LIVE_N_MISS])
{
    pthread_mutex_lock(&lock);
    memcpy(out, counters, sizeof(counters));
    pthread_mutex_unlock(&lock);
}
