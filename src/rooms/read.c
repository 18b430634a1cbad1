/*
 * rooms/read.c -- reading rooms for the Client-Server API, with history
 * visibility applied.
 */
#include <string.h>

#include "db/events.h"
#include "db/rooms.h"
#include "db/state.h"
#include "json/json.h"
#include "rooms/room.h"
#include "rooms/version.h"
#include "rooms/visibility.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/time.h"

void
sy_room_event_from_row(const struct sy_db_event *row, struct sy_room_event *out)
{
    out->event_id = row->event_id;
    out->room_id = row->room_id;
    out->type = row->type;
    out->state_key = row->state_key;
    out->sender = row->sender;
    out->origin_server_ts = row->origin_server_ts;
    out->stream_ordering = row->stream_ordering;
    out->client_json = row->client_json;
    out->redacted_by = row->redacted_by;
    out->redacted_because = row->redacted_because;
    out->txn_user = row->txn_user;
    out->txn_device = row->txn_device;
    out->txn_id = row->txn_id;
}

int
sy_room_get(struct sy_db *db, struct sy_arena *a, const char *room_id, struct sy_room_info *out,
            struct sy_error *err)
{
    struct sy_db_room room;

    if (sy_db_room_get(db, a, room_id, &room, err) != SY_OK)
        return err->code;
    out->room_id = room.room_id;
    out->version = sy_room_version_get(room.version);
    out->creator = room.creator;
    out->created_ts = room.created_ts;
    out->is_public = room.is_public;
    return SY_OK;
}

struct json_object *
sy_room_event_json(struct sy_arena *a, const struct sy_room_event *ev, const char *for_user,
                   const char *for_device)
{
    struct sy_error err = {0};
    struct json_object *o, *unsig = json_object_new_object();

    if (sy_json_parse(a, ev->client_json, strlen(ev->client_json), 128, &o, &err) != SY_OK)
        o = sy_json_new_object(a); /* stored text is ours and valid; this cannot happen */
    json_object_object_add(unsig, "age", json_object_new_int64(sy_now_ms() - ev->origin_server_ts));
    if (ev->txn_id != NULL && for_user != NULL && for_device != NULL &&
        strcmp(ev->txn_user, for_user) == 0 && strcmp(ev->txn_device, for_device) == 0)
        json_object_object_add(unsig, "transaction_id", json_object_new_string(ev->txn_id));
    if (ev->redacted_because != NULL) {
        struct json_object *because;

        if (sy_json_parse(a, ev->redacted_because, strlen(ev->redacted_because), 128, &because,
                          &err) == SY_OK)
            json_object_object_add(unsig, "redacted_because", json_object_get(because));
    }
    json_object_object_add(o, "unsigned", unsig);
    return o;
}

struct json_object *
sy_room_event_raw(struct sy_arena *a, const struct sy_room_event *ev, const char *for_user,
                  const char *for_device, const char *extra_unsigned)
{
    size_t len = strlen(ev->client_json);
    struct sy_buf b;
    const char *text;

    sy_buf_init(&b, 0);
    /* Stored client JSON is an object without "unsigned": reopen it before its last brace. */
    sy_buf_append(&b, ev->client_json, len - 1);
    sy_buf_printf(&b, ",\"unsigned\":{\"age\":%lld", (long long)(sy_now_ms() - ev->origin_server_ts));
    if (ev->txn_id != NULL && for_user != NULL && for_device != NULL &&
        strcmp(ev->txn_user, for_user) == 0 && strcmp(ev->txn_device, for_device) == 0) {
        struct json_object *s = json_object_new_string(ev->txn_id);

        sy_buf_puts(&b, ",\"transaction_id\":");
        sy_buf_puts(&b, sy_json_text(s, NULL));
        json_object_put(s);
    }
    if (ev->redacted_because != NULL) {
        sy_buf_puts(&b, ",\"redacted_because\":");
        sy_buf_puts(&b, ev->redacted_because);
    }
    if (extra_unsigned != NULL && extra_unsigned[0] != '\0') {
        sy_buf_putc(&b, ',');
        sy_buf_puts(&b, extra_unsigned);
    }
    sy_buf_puts(&b, "}}");
    text = sy_arena_strndup(a, b.data, b.len);
    sy_buf_free(&b);
    return sy_json_raw(text);
}

int
sy_room_membership(struct sy_db *db, struct sy_arena *a, const char *room_id, const char *user_id,
                   const char **membership, struct sy_error *err)
{
    return sy_db_membership(db, a, room_id, user_id, membership, NULL, err);
}

int
sy_room_event_get(struct sy_db *db, struct sy_arena *a, const char *room_id, const char *event_id,
                  const char *user_id, struct sy_room_event *out, struct sy_error *err)
{
    struct sy_db_event row;
    int visible;

    if (sy_db_event_get(db, a, event_id, &row, err) != SY_OK)
        return err->code;
    if (strcmp(row.room_id, room_id) != 0)
        return sy_err_notfound(err, "event not found");
    visible = sy_visibility_event(db, a, &row, user_id, err);
    if (visible < 0)
        return visible;
    if (!visible)
        return sy_err_notfound(err, "event not found");
    sy_room_event_from_row(&row, out);
    return SY_OK;
}

/* The (type, state_key) -> event ID rows of the state user_id may see. */
static int
visible_state_rows(struct sy_db *db, struct sy_arena *a, const char *room_id, const char *user_id,
                   struct sy_db_state_row **rows, size_t *n, struct sy_error *err)
{
    struct sy_db_room room;
    int64_t group;
    int current;

    if (sy_db_room_get(db, a, room_id, &room, err) != SY_OK)
        return sy_err_forbidden(err, "you are not a member of this room");
    if (sy_visibility_state(db, a, room_id, user_id, &current, &group, err) != SY_OK)
        return err->code;
    if (current)
        return sy_db_current_state(db, a, room_id, rows, n, err);
    return sy_db_state_group_resolve(db, a, group, rows, n, err);
}

static int
load_events(struct sy_db *db, struct sy_arena *a, const struct sy_db_state_row *rows, size_t n,
            struct sy_room_event **events, size_t *n_events, struct sy_error *err)
{
    const char **ids = sy_arena_alloc(a, sizeof(char *) * (n + 1));
    struct sy_db_event *found;
    size_t n_found;

    for (size_t i = 0; i < n; i++)
        ids[i] = rows[i].event_id;
    if (sy_db_events_get_many(db, a, ids, n, &found, &n_found, err) != SY_OK)
        return err->code;
    *events = sy_arena_alloc(a, sizeof(**events) * (n_found + 1));
    for (size_t i = 0; i < n_found; i++)
        sy_room_event_from_row(&found[i], &(*events)[i]);
    *n_events = n_found;
    return SY_OK;
}

int
sy_room_state(struct sy_db *db, struct sy_arena *a, const char *room_id, const char *user_id,
              struct sy_room_event **events, size_t *n, struct sy_error *err)
{
    struct sy_db_state_row *rows;
    size_t n_rows;

    if (visible_state_rows(db, a, room_id, user_id, &rows, &n_rows, err) != SY_OK)
        return err->code;
    return load_events(db, a, rows, n_rows, events, n, err);
}

int
sy_room_state_event(struct sy_db *db, struct sy_arena *a, const char *room_id,
                    const char *user_id, const char *type, const char *state_key,
                    struct sy_room_event *out, struct sy_error *err)
{
    struct sy_db_state_row *rows;
    struct sy_db_event row;
    size_t n;

    if (visible_state_rows(db, a, room_id, user_id, &rows, &n, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].type, type) != 0 || strcmp(rows[i].state_key, state_key) != 0)
            continue;
        if (sy_db_event_get(db, a, rows[i].event_id, &row, err) != SY_OK)
            return err->code;
        sy_room_event_from_row(&row, out);
        return SY_OK;
    }
    return sy_err_notfound(err, "no such state event");
}

/* The member rows of a state, filtered by membership. */
static int
member_rows(struct sy_db *db, struct sy_arena *a, struct sy_db_state_row *rows, size_t n,
            const char *membership, const char *not_membership, struct sy_room_event **events,
            size_t *n_events, struct sy_error *err)
{
    struct sy_db_state_row *members = sy_arena_alloc(a, sizeof(*members) * (n + 1));
    struct sy_room_event *all;
    size_t m = 0, n_all;

    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].type, "m.room.member") == 0)
            members[m++] = rows[i];
    if (load_events(db, a, members, m, &all, &n_all, err) != SY_OK)
        return err->code;
    *events = sy_arena_alloc(a, sizeof(**events) * (n_all + 1));
    *n_events = 0;
    for (size_t i = 0; i < n_all; i++) {
        struct json_object *o;
        const char *ms;

        if (sy_json_parse(a, all[i].client_json, strlen(all[i].client_json), 64, &o, err) != SY_OK)
            return err->code;
        ms = sy_json_get_str(sy_json_get_obj(o, "content"), "membership");
        if (ms == NULL || (membership != NULL && strcmp(ms, membership) != 0) ||
            (not_membership != NULL && strcmp(ms, not_membership) == 0))
            continue;
        (*events)[(*n_events)++] = all[i];
    }
    return SY_OK;
}

int
sy_room_members(struct sy_db *db, struct sy_arena *a, const char *room_id, const char *user_id,
                const char *at_event, const char *membership, const char *not_membership,
                struct sy_room_event **events, size_t *n, struct sy_error *err)
{
    struct sy_db_state_row *rows;
    size_t n_rows;

    if (visible_state_rows(db, a, room_id, user_id, &rows, &n_rows, err) != SY_OK)
        return err->code;
    if (at_event != NULL) {
        struct sy_db_event row;
        int visible;

        /* The state at a past event, if the user may see that event. */
        if (sy_db_event_get(db, a, at_event, &row, err) != SY_OK ||
            strcmp(row.room_id, room_id) != 0)
            return sy_err_notfound(err, "event not found");
        if ((visible = sy_visibility_event(db, a, &row, user_id, err)) < 0)
            return visible;
        if (!visible)
            return sy_err_notfound(err, "event not found");
        if (sy_db_state_group_resolve(db, a, row.state_after, &rows, &n_rows, err) != SY_OK)
            return err->code;
    }
    return member_rows(db, a, rows, n_rows, membership, not_membership, events, n, err);
}

int
sy_room_joined(struct sy_db *db, struct sy_arena *a, const char *user_id, const char ***rooms,
               size_t *n, struct sy_error *err)
{
    return sy_db_rooms_for_user(db, a, user_id, "join", rooms, n, err);
}
