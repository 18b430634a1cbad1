/*
 * rooms/format.c -- the client event format, made once at persist time and
 * stored, so reads splice text instead of re-serialising.
 */
#include <string.h>

#include "json/json.h"
#include "rooms/event.h"
#include "rooms/format.h"
#include "util/arena.h"
#include "util/err.h"

static void
add_str(struct json_object *o, const char *key, const char *value)
{
    if (value != NULL)
        json_object_object_add(o, key, json_object_new_string(value));
}

int
sy_format_client_json(struct sy_arena *a, const struct sy_event *ev, int redacted,
                      const char **text, struct sy_error *err)
{
    struct json_object *o = sy_json_new_object(a), *content = ev->content;
    size_t len;

    if (redacted) {
        struct json_object *r;

        if (sy_event_redact(a, ev->version, ev->json, &r, err) != SY_OK)
            return err->code;
        content = sy_json_get_obj(r, "content");
    }
    json_object_object_add(o, "content", json_object_get(content));
    add_str(o, "event_id", ev->event_id);
    json_object_object_add(o, "origin_server_ts", json_object_new_int64(ev->origin_server_ts));
    add_str(o, "room_id", ev->room_id);
    add_str(o, "sender", ev->sender);
    add_str(o, "type", ev->type);
    add_str(o, "state_key", ev->state_key);
    /* Clients of every version read "redacts" at the top level; v11 also has it in content. */
    if (ev->redacts != NULL && !redacted)
        add_str(o, "redacts", ev->redacts);
    *text = sy_arena_strdup(a, sy_json_text(o, &len));
    return SY_OK;
}

const char *
sy_format_search_text(const struct sy_event *ev)
{
    const char *key = NULL;

    if (strcmp(ev->type, "m.room.message") == 0)
        key = "body";
    else if (strcmp(ev->type, "m.room.name") == 0)
        key = "name";
    else if (strcmp(ev->type, "m.room.topic") == 0)
        key = "topic";
    return key != NULL ? sy_json_get_str(ev->content, key) : NULL;
}
