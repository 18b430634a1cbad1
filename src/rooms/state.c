/*
 * rooms/state.c -- state maps over the state tables, and state-group writes.
 */
#include <string.h>

#include "db/events.h"
#include "db/state.h"
#include "json/json.h"
#include "rooms/cache.h"
#include "rooms/event.h"
#include "rooms/event_cache.h"
#include "rooms/state.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/log.h"
#include "util/map.h"

#define KEY_SEP '\x1f' /* cannot appear in a type: keys are "type\x1fstate_key" */

struct entry {
    const char *type;
    const char *state_key;
    const char *event_id;
    const struct sy_event *ev; /* parsed on demand */
};

struct sy_room_state {
    struct sy_arena *a;
    struct sy_db *db;
    const struct sy_room_version *v;
    struct sy_map *entries; /* key -> struct entry */
    struct sy_event_cache *cache; /* the owning thread's parsed events, or NULL */
};

static const char *
state_key_of(struct sy_arena *a, const char *type, const char *state_key)
{
    return sy_arena_printf(a, "%s%c%s", type, KEY_SEP, state_key);
}

struct sy_room_state *
sy_room_state_new(struct sy_arena *a, struct sy_db *db, const struct sy_room_version *v)
{
    struct sy_room_state *st = sy_arena_alloc(a, sizeof(*st));

    st->a = a;
    st->db = db;
    st->v = v;
    st->entries = sy_map_new(a, 32);
    return st;
}

void
sy_room_state_use_cache(struct sy_room_state *st, struct sy_event_cache *cache)
{
    st->cache = cache;
}

void
sy_room_state_put(struct sy_room_state *st, const char *type, const char *state_key,
                  const char *event_id, const struct sy_event *ev)
{
    struct entry *e = sy_arena_alloc(st->a, sizeof(*e));

    e->type = sy_arena_strdup(st->a, type);
    e->state_key = sy_arena_strdup(st->a, state_key);
    e->event_id = sy_arena_strdup(st->a, event_id);
    e->ev = ev;
    sy_map_set(st->entries, state_key_of(st->a, type, state_key), e);
}

static void
put_rows(struct sy_room_state *st, const struct sy_db_state_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sy_room_state_put(st, rows[i].type, rows[i].state_key, rows[i].event_id, NULL);
}

int
sy_room_state_load_current(struct sy_room_state *st, const char *room_id, struct sy_error *err)
{
    struct sy_db_state_row *rows;
    size_t n;

    if (sy_db_current_state(st->db, st->a, room_id, &rows, &n, err) != SY_OK)
        return err->code;
    put_rows(st, rows, n);
    return SY_OK;
}

int
sy_room_state_load_group(struct sy_room_state *st, int64_t group, struct sy_error *err)
{
    struct sy_db_state_row *rows;
    size_t n;

    if (group == 0)
        return SY_OK;
    if (sy_db_state_group_resolve(st->db, st->a, group, &rows, &n, err) != SY_OK)
        return err->code;
    put_rows(st, rows, n);
    return SY_OK;
}

static struct entry *
find(const struct sy_room_state *st, const char *type, const char *state_key)
{
    size_t tl = strlen(type), kl = strlen(state_key);
    char key[600];

    if (tl + kl + 2 > sizeof(key))
        return NULL;
    memcpy(key, type, tl);
    key[tl] = KEY_SEP;
    memcpy(key + tl + 1, state_key, kl + 1);
    return sy_map_get(st->entries, key);
}

const char *
sy_room_state_id(const struct sy_room_state *st, const char *type, const char *state_key)
{
    struct entry *e = find(st, type, state_key);

    return e ? e->event_id : NULL;
}

/* Parse a stored PDU into 'a'; NULL (logged) if it cannot be. */
static const struct sy_event *
parse_stored(struct sy_arena *a, const struct sy_room_version *v, const char *event_id,
             const char *text)
{
    struct sy_error err = {0};
    struct json_object *json;
    struct sy_event *ev;

    if (sy_json_parse(a, text, strlen(text), 128, &json, &err) != SY_OK ||
        sy_event_parse_stored(a, v, json, event_id, &ev, &err) != SY_OK) {
        sy_log(SY_LOG_ERROR, "could not load state event %s: %s %s", event_id, err.msg,
               err.log_detail);
        return NULL;
    }
    return ev;
}

const struct sy_event *
sy_room_state_load_event(struct sy_room_state *st, const char *event_id)
{
    struct sy_error err = {0};
    struct sy_db_event row;
    const struct sy_event *ev;
    const char *text;

    if (st->cache != NULL && (ev = sy_event_cache_get(st->cache, event_id)) != NULL)
        return ev;
    if ((text = sy_room_cache_event(event_id, st->a)) == NULL) {
        if (sy_db_event_get(st->db, st->a, event_id, &row, &err) != SY_OK) {
            sy_log(SY_LOG_ERROR, "could not load event %s: %s", event_id, err.log_detail);
            return NULL;
        }
        text = row.pdu_json;
        sy_room_cache_put_event(event_id, text);
    }
    if (st->cache == NULL)
        return parse_stored(st->a, st->v, event_id, text);
    if ((ev = parse_stored(sy_event_cache_arena(st->cache), st->v, event_id, text)) != NULL)
        sy_event_cache_put(st->cache, event_id, ev);
    return ev;
}

const struct sy_event *
sy_room_state_get(struct sy_room_state *st, const char *type, const char *state_key)
{
    struct entry *e = find(st, type, state_key);

    if (e == NULL)
        return NULL;
    if (e->ev == NULL)
        e->ev = sy_room_state_load_event(st, e->event_id);
    return e->ev;
}

static const struct sy_event *
auth_lookup(void *ctx, const char *type, const char *state_key)
{
    return sy_room_state_get(ctx, type, state_key);
}

struct sy_auth_state
sy_room_state_auth(struct sy_room_state *st)
{
    /* Local events and stored events had their signatures checked before they got here. */
    struct sy_auth_state as = {.lookup = auth_lookup, .signed_by = NULL, .ctx = st};

    return as;
}

int
sy_room_state_next(const struct sy_room_state *st, size_t *iter, const char **type,
                   const char **state_key, const char **event_id)
{
    void *val;

    if (!sy_map_next(st->entries, iter, NULL, &val))
        return 0;
    *type = ((struct entry *)val)->type;
    *state_key = ((struct entry *)val)->state_key;
    *event_id = ((struct entry *)val)->event_id;
    return 1;
}

int
sy_room_state_write_group(struct sy_db *db, const char *room_id, int64_t prev_group,
                          const struct sy_room_state *full, const char *type,
                          const char *state_key, const char *event_id, int64_t *group,
                          struct sy_error *err)
{
    struct sy_db_state_row delta = {type, state_key, event_id}, *rows;
    int chain = 0;
    size_t n = 0, iter = 0;
    struct sy_arena *a;
    int rc;

    if (prev_group != 0 && sy_db_state_group_chain(db, prev_group, &chain, err) != SY_OK)
        return err->code;
    if (prev_group != 0 && chain + 1 < SY_STATE_MAX_CHAIN)
        return sy_db_state_group_new(db, room_id, prev_group, chain + 1, &delta, 1, group, err);
    /* A snapshot: bounded walks for readers, at the cost of one full copy per chain. */
    a = sy_arena_new();
    rows = sy_arena_alloc(a, sizeof(*rows) * (sy_map_count(full->entries) + 1));
    while (sy_room_state_next(full, &iter, &rows[n].type, &rows[n].state_key, &rows[n].event_id))
        n++;
    rc = sy_db_state_group_new(db, room_id, 0, 0, rows, n, group, err);
    sy_arena_free(a);
    return rc;
}
