/*
 * rooms/visibility.c -- history visibility over stored state.
 */
#include <string.h>

#include "db/aliases.h"
#include "db/events.h"
#include "db/state.h"
#include "db/sync_batch.h"
#include "json/json.h"
#include "rooms/visibility.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/map.h"

/* content.<field> of a stored event, or NULL. */
static const char *
stored_field(struct sy_db *db, struct sy_arena *a, const char *event_id, const char *field)
{
    struct sy_error err = {0};
    struct sy_db_event row;
    struct json_object *o;

    if (event_id == NULL || sy_db_event_get(db, a, event_id, &row, &err) != SY_OK ||
        sy_json_parse(a, row.client_json, strlen(row.client_json), 64, &o, &err) != SY_OK)
        return NULL;
    return sy_json_get_str(sy_json_get_obj(o, "content"), field);
}

static const char *
history_visibility(struct sy_db *db, struct sy_arena *a, const char *event_id)
{
    const char *hv = stored_field(db, a, event_id, "history_visibility");

    /* The spec's default when the event is absent or unreadable. */
    return hv != NULL ? hv : "shared";
}

/* The user's membership in a state group ("leave" when absent). */
static int
membership_in_group(struct sy_db *db, struct sy_arena *a, int64_t group, const char *user_id,
                    const char **membership, struct sy_error *err)
{
    const char *id;

    if (sy_db_state_group_lookup(db, a, group, "m.room.member", user_id, &id, err) != SY_OK)
        return err->code;
    *membership = stored_field(db, a, id, "membership");
    if (*membership == NULL)
        *membership = "leave";
    return SY_OK;
}

/* shared: visible to current members, and to former members for events before they left. */
static int
shared_visible(struct sy_db *db, struct sy_arena *a, const struct sy_db_event *ev,
               const char *user_id, struct sy_error *err)
{
    const char *membership, *member_event;
    struct sy_db_event left;
    int forgotten;

    if (sy_db_membership(db, a, ev->room_id, user_id, &membership, &member_event, err) != SY_OK)
        return err->code;
    if (membership == NULL)
        return 0;
    if (strcmp(membership, "join") == 0)
        return 1;
    if (strcmp(membership, "leave") != 0 && strcmp(membership, "ban") != 0)
        return 0;
    if (sy_db_event_get(db, a, member_event, &left, err) != SY_OK)
        return err->code;
    if (ev->stream_ordering >= left.stream_ordering)
        return 0;
    /* A forgotten room's history is gone for the user. */
    if ((forgotten = sy_db_room_is_forgotten(db, user_id, ev->room_id, err)) != 0)
        return forgotten < 0 ? forgotten : 0;
    return sy_db_was_joined(db, ev->room_id, user_id, left.stream_ordering, err);
}

int
sy_visibility_event(struct sy_db *db, struct sy_arena *a, const struct sy_db_event *ev,
                    const char *user_id, struct sy_error *err)
{
    const char *hv_id, *hv, *membership = NULL;

    if (ev->rejected != NULL)
        return 0;
    /* Users always see their own membership events (their leave from a joined-only room too). */
    if (strcmp(ev->type, "m.room.member") == 0 && ev->state_key != NULL &&
        strcmp(ev->state_key, user_id) == 0)
        return 1;
    if (sy_db_state_group_lookup(db, a, ev->state_after, "m.room.history_visibility", "",
                                 &hv_id, err) != SY_OK ||
        membership_in_group(db, a, ev->state_after, user_id, &membership, err) != SY_OK)
        return err->code;
    hv = history_visibility(db, a, hv_id);
    if (strcmp(hv, "world_readable") == 0 || strcmp(membership, "join") == 0)
        return 1;
    if (strcmp(hv, "invited") == 0 && strcmp(membership, "invite") == 0)
        return 1;
    if (strcmp(hv, "shared") == 0)
        return shared_visible(db, a, ev, user_id, err);
    return 0;
}

/* content.<field> of an event's client JSON, or NULL. */
static const char *
content_field(struct sy_arena *a, const char *client_json, const char *field)
{
    struct sy_error err = {0};
    struct json_object *o;

    if (client_json == NULL ||
        sy_json_parse(a, client_json, strlen(client_json), 64, &o, &err) != SY_OK)
        return NULL;
    return sy_json_get_str(sy_json_get_obj(o, "content"), field);
}

/*
 * For each i: the history visibility (*hv) and user_id's membership
 * (*mem) in the state after evs[i], with the defaults of the one-event
 * path ("shared", "leave").  Two queries for all.
 */
static int
visibility_inputs(struct sy_db *db, struct sy_arena *a, const struct sy_db_event *const *evs,
                  size_t n, const char *user_id, const char **hv, const char **mem,
                  struct sy_error *err)
{
    int64_t *groups = sy_arena_alloc(a, sizeof(int64_t) * (2 * n + 1));
    const char **types = sy_arena_alloc(a, sizeof(char *) * (2 * n + 1));
    const char **keys = sy_arena_alloc(a, sizeof(char *) * (2 * n + 1));
    const char **ids = sy_arena_alloc(a, sizeof(char *) * (2 * n + 1));
    const char **found = sy_arena_alloc(a, sizeof(char *) * (2 * n + 1));
    struct sy_map *json = sy_map_new(a, 2 * n + 1);
    struct sy_db_event *rows;
    size_t n_found = 0, n_rows;

    for (size_t i = 0; i < n; i++) {
        groups[2 * i] = groups[2 * i + 1] = evs[i]->state_after;
        types[2 * i] = "m.room.history_visibility", keys[2 * i] = "";
        types[2 * i + 1] = "m.room.member", keys[2 * i + 1] = user_id;
    }
    if (sy_db_batch_state_lookup(db, a, groups, types, keys, 2 * n, ids, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < 2 * n; i++)
        if (ids[i] != NULL)
            found[n_found++] = ids[i];
    if (sy_db_batch_events_get(db, a, found, n_found, &rows, &n_rows, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n_rows; i++)
        sy_map_set(json, rows[i].event_id, (void *)rows[i].client_json);
    for (size_t i = 0; i < n; i++) {
        const char *h = NULL, *m = NULL;

        if (ids[2 * i] != NULL)
            h = content_field(a, sy_map_get(json, ids[2 * i]), "history_visibility");
        if (ids[2 * i + 1] != NULL)
            m = content_field(a, sy_map_get(json, ids[2 * i + 1]), "membership");
        hv[i] = h != NULL ? h : "shared";
        mem[i] = m != NULL ? m : "leave";
    }
    return SY_OK;
}

int
sy_visibility_events(struct sy_db *db, struct sy_arena *a, const struct sy_db_event *const *evs,
                     size_t n, const char *user_id, int *visible, struct sy_error *err)
{
    const char **hv = sy_arena_alloc(a, sizeof(char *) * (n + 1));
    const char **mem = sy_arena_alloc(a, sizeof(char *) * (n + 1));
    const char **rooms = sy_arena_alloc(a, sizeof(char *) * (n + 1));
    const char **now = sy_arena_alloc(a, sizeof(char *) * (n + 1));
    const char **now_ids = sy_arena_alloc(a, sizeof(char *) * (n + 1));
    size_t *shared = sy_arena_alloc(a, sizeof(size_t) * (n + 1)), n_shared = 0;

    if (n == 0)
        return SY_OK;
    if (visibility_inputs(db, a, evs, n, user_id, hv, mem, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n; i++) {
        const struct sy_db_event *ev = evs[i];

        visible[i] = 0;
        if (ev->rejected != NULL)
            continue;
        if ((strcmp(ev->type, "m.room.member") == 0 && ev->state_key != NULL &&
             strcmp(ev->state_key, user_id) == 0) ||
            strcmp(hv[i], "world_readable") == 0 || strcmp(mem[i], "join") == 0 ||
            (strcmp(hv[i], "invited") == 0 && strcmp(mem[i], "invite") == 0))
            visible[i] = 1;
        else if (strcmp(hv[i], "shared") == 0) {
            rooms[n_shared] = ev->room_id;
            shared[n_shared++] = i;
        }
    }
    /* shared: current members see it; a former member's case is decided event by event. */
    if (sy_db_batch_memberships(db, a, rooms, n_shared, user_id, now, now_ids, err) != SY_OK)
        return err->code;
    for (size_t k = 0; k < n_shared; k++) {
        size_t i = shared[k];
        int r;

        if (now[k] == NULL)
            continue;
        if (strcmp(now[k], "join") == 0) {
            visible[i] = 1;
        } else if (strcmp(now[k], "leave") == 0 || strcmp(now[k], "ban") == 0) {
            if ((r = shared_visible(db, a, evs[i], user_id, err)) < 0)
                return r;
            visible[i] = r;
        }
    }
    return SY_OK;
}

int
sy_visibility_state(struct sy_db *db, struct sy_arena *a, const char *room_id,
                    const char *user_id, int *current, int64_t *group, struct sy_error *err)
{
    const char *membership, *member_event, *hv_id;
    struct sy_db_event row;
    int was, forgotten = 0;

    *current = 0;
    *group = 0;
    if (sy_db_membership(db, a, room_id, user_id, &membership, &member_event, err) != SY_OK)
        return err->code;
    if (membership != NULL && strcmp(membership, "join") == 0) {
        *current = 1;
        return SY_OK;
    }
    if (membership != NULL && (strcmp(membership, "leave") == 0 || strcmp(membership, "ban") == 0)) {
        if (sy_db_event_get(db, a, member_event, &row, err) != SY_OK)
            return err->code;
        was = sy_db_was_joined(db, room_id, user_id, row.stream_ordering, err);
        if (was < 0)
            return was;
        if (was && (forgotten = sy_db_room_is_forgotten(db, user_id, room_id, err)) < 0)
            return forgotten;
        if (was && !forgotten) {
            *group = row.state_after;
            return SY_OK;
        }
    }
    if (sy_db_current_state_get(db, a, room_id, "m.room.history_visibility", "", &hv_id, err) !=
        SY_OK)
        return err->code;
    if (strcmp(history_visibility(db, a, hv_id), "world_readable") == 0) {
        *current = 1;
        return SY_OK;
    }
    return sy_err_forbidden(err, "you are not a member of this room");
}
