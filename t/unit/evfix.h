/*
 * t/unit/evfix.h -- test-only events: struct sy_event from a JSON literal
 * with an explicit event ID, and room versions by number.
 *
 * Tests of the auth rules and state resolution need readable event IDs
 * and hand-built graphs, so they do not go through sy_event_parse()
 * (which derives the ID from the reference hash).  Single quotes in the
 * JSON text stand for double quotes.  Everything lives in the arena.
 */
#ifndef SY_T_EVFIX_H
#define SY_T_EVFIX_H

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "json/json.h"
#include "rooms/event.h"
#include "rooms/version.h"
#include "util/arena.h"

/* Room version n (6..12) from the version table. */
static const struct sy_room_version *
tv(int n)
{
    char id[16];

    snprintf(id, sizeof(id), "%d", n);
    return sy_room_version_get(id);
}

static const char **
evfix_strs(struct sy_arena *a, struct json_object *arr, size_t *n)
{
    const char **out;
    size_t i;

    *n = arr != NULL ? json_object_array_length(arr) : 0;
    out = sy_arena_alloc(a, (*n + 1) * sizeof(*out));
    for (i = 0; i < *n; i++)
        out[i] = json_object_get_string(json_object_array_get_idx(arr, i));
    return out;
}

/* The event 'text' (single quotes for double) with ID 'id' in room version v; NULL if not JSON. */
static struct sy_event *
ev_make(struct sy_arena *a, const struct sy_room_version *v, const char *id, const char *text)
{
    struct sy_event *ev = sy_arena_alloc(a, sizeof(*ev));
    char *t = sy_arena_strdup(a, text), *p;
    struct json_object *j, *o;

    for (p = t; *p != '\0'; p++)
        if (*p == '\'')
            *p = '"';
    if ((j = json_tokener_parse(t)) == NULL)
        return NULL;
    sy_json_own(a, j);
    ev->json = j;
    ev->version = v;
    ev->event_id = sy_arena_strdup(a, id);
    ev->type = sy_json_get_str(j, "type");
    ev->sender = sy_json_get_str(j, "sender");
    ev->room_id = sy_json_get_str(j, "room_id");
    if (ev->room_id == NULL && v->room_id_is_create_hash && ev->type != NULL &&
        strcmp(ev->type, "m.room.create") == 0)
        ev->room_id = sy_arena_printf(a, "!%s", id + 1);
    if (json_object_object_get_ex(j, "state_key", &o))
        ev->state_key = json_object_get_string(o);
    if (json_object_object_get_ex(j, "origin_server_ts", &o))
        ev->origin_server_ts = json_object_get_int64(o);
    if (json_object_object_get_ex(j, "depth", &o))
        ev->depth = json_object_get_int64(o);
    if ((ev->content = sy_json_get_obj(j, "content")) == NULL) {
        ev->content = json_object_new_object();
        json_object_object_add(j, "content", ev->content);
    }
    ev->prev_events = evfix_strs(a, sy_json_get_arr(j, "prev_events"), &ev->n_prev_events);
    ev->auth_events = evfix_strs(a, sy_json_get_arr(j, "auth_events"), &ev->n_auth_events);
    ev->redacts = sy_json_get_str(v->msc2174_redacts_in_content ? ev->content : j, "redacts");
    return ev;
}

#endif /* SY_T_EVFIX_H */
