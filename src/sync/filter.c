/*
 * sync/filter.c -- filter validation, compilation and matching; the
 * stored filter a /sync names by ID.
 */
#include <stdlib.h>
#include <string.h>

#include "db/filters.h"
#include "json/json.h"
#include "sync/filter.h"
#include "sync/sync.h"
#include "util/arena.h"
#include "util/err.h"

/* ---- validation ------------------------------------------------------------------------- */

enum id_kind { ID_ANY, ID_USER, ID_ROOM };

static int
bad(struct sy_error *err, const char *where, const char *key, const char *what)
{
    return sy_err_invalid(err, "M_BAD_JSON", "%s%s%s %s", where, where[0] ? "." : "", key, what);
}

static int
id_ok(const char *s, enum id_kind kind)
{
    const char *colon;

    switch (kind) {
    case ID_USER:
        colon = strchr(s, ':');
        return s[0] == '@' && colon != NULL && colon > s + 1 && colon[1] != '\0';
    case ID_ROOM:
        return s[0] == '!' && s[1] != '\0';
    default:
        return 1;
    }
}

static int
check_list(struct json_object *obj, const char *where, const char *key, enum id_kind kind,
           struct sy_error *err)
{
    struct json_object *v = sy_json_get(obj, key);

    if (v == NULL)
        return SY_OK;
    if (!json_object_is_type(v, json_type_array))
        return bad(err, where, key, "must be an array");
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        struct json_object *e = json_object_array_get_idx(v, i);

        if (!json_object_is_type(e, json_type_string))
            return bad(err, where, key, "must hold only strings");
        if (!id_ok(json_object_get_string(e), kind))
            return bad(err, where, key,
                       kind == ID_USER ? "must hold user IDs" : "must hold room IDs");
    }
    return SY_OK;
}

static int
check_bool(struct json_object *obj, const char *where, const char *key, struct sy_error *err)
{
    struct json_object *v = sy_json_get(obj, key);

    if (v != NULL && !json_object_is_type(v, json_type_boolean))
        return bad(err, where, key, "must be a boolean");
    return SY_OK;
}

/* EventFilter: limit, types, not_types, senders, not_senders. */
static int
check_event_filter(struct json_object *f, const char *where, struct sy_error *err)
{
    struct json_object *limit;

    if (f == NULL)
        return SY_OK;
    if (!json_object_is_type(f, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "%s must be an object", where);
    /* The spec asks for an integer > 0; 0 is let through because Synapse accepts it. */
    if ((limit = sy_json_get(f, "limit")) != NULL &&
        (!json_object_is_type(limit, json_type_int) || json_object_get_int64(limit) < 0))
        return bad(err, where, "limit", "must be a non-negative integer");
    if (check_list(f, where, "types", ID_ANY, err) != SY_OK ||
        check_list(f, where, "not_types", ID_ANY, err) != SY_OK ||
        check_list(f, where, "senders", ID_USER, err) != SY_OK ||
        check_list(f, where, "not_senders", ID_USER, err) != SY_OK)
        return err->code;
    return SY_OK;
}

static int
check_room_event_filter(struct json_object *f, const char *where, struct sy_error *err)
{
    static const char *const bools[] = {"contains_url", "lazy_load_members",
                                        "include_redundant_members",
                                        "unread_thread_notifications"};

    if (check_event_filter(f, where, err) != SY_OK)
        return err->code;
    if (f == NULL)
        return SY_OK;
    if (check_list(f, where, "rooms", ID_ROOM, err) != SY_OK ||
        check_list(f, where, "not_rooms", ID_ROOM, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
        if (check_bool(f, where, bools[i], err) != SY_OK)
            return err->code;
    return SY_OK;
}

int
sy_filter_validate_room_event(struct json_object *f, struct sy_error *err)
{
    if (f == NULL || !json_object_is_type(f, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "the filter must be an object");
    return check_room_event_filter(f, "filter", err);
}

int
sy_filter_validate(struct json_object *filter, struct sy_error *err)
{
    static const char *const parts[] = {"timeline", "state", "ephemeral", "account_data"};
    struct json_object *room, *v;
    const char *fmt;

    if (filter == NULL || !json_object_is_type(filter, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "the filter must be an object");
    if ((v = sy_json_get(filter, "event_format")) != NULL) {
        if (!json_object_is_type(v, json_type_string))
            return bad(err, "", "event_format", "must be a string");
        fmt = json_object_get_string(v);
        if (strcmp(fmt, "client") != 0 && strcmp(fmt, "federation") != 0)
            return bad(err, "", "event_format", "must be \"client\" or \"federation\"");
    }
    if (check_list(filter, "", "event_fields", ID_ANY, err) != SY_OK ||
        check_event_filter(sy_json_get(filter, "presence"), "presence", err) != SY_OK ||
        check_event_filter(sy_json_get(filter, "account_data"), "account_data", err) != SY_OK)
        return err->code;
    if ((room = sy_json_get(filter, "room")) == NULL)
        return SY_OK;
    if (!json_object_is_type(room, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "room must be an object");
    if (check_list(room, "room", "rooms", ID_ROOM, err) != SY_OK ||
        check_list(room, "room", "not_rooms", ID_ROOM, err) != SY_OK ||
        check_bool(room, "room", "include_leave", err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        char where[32];

        strcpy(where, "room.");
        strcat(where, parts[i]);
        if (check_room_event_filter(sy_json_get(room, parts[i]), where, err) != SY_OK)
            return err->code;
    }
    return SY_OK;
}

void
sy_filter_cap_timeline(struct json_object *filter)
{
    struct json_object *tl = sy_filter_room_part(filter, "timeline");
    struct json_object *limit = sy_json_get(tl, "limit");

    if (limit != NULL && json_object_is_type(limit, json_type_int) &&
        json_object_get_int64(limit) > SY_FILTER_TIMELINE_MAX)
        json_object_object_add(tl, "limit", json_object_new_int64(SY_FILTER_TIMELINE_MAX));
}

/* ---- compiling --------------------------------------------------------------------------- */

static int
compile_list(struct sy_arena *a, struct json_object *obj, const char *key,
             struct sy_filter_list *out, struct sy_error *err)
{
    struct json_object *v = sy_json_get(obj, key);
    size_t n;

    memset(out, 0, sizeof(*out));
    if (v == NULL)
        return SY_OK;
    if (!json_object_is_type(v, json_type_array))
        return bad(err, "filter", key, "must be an array");
    n = json_object_array_length(v);
    out->set = 1;
    out->v = sy_arena_alloc(a, sizeof(char *) * (n + 1));
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(v, i);

        if (!json_object_is_type(e, json_type_string))
            return bad(err, "filter", key, "must hold only strings");
        out->v[out->n++] = json_object_get_string(e);
    }
    return SY_OK;
}

static int
compile_bool(struct json_object *obj, const char *key, int *out, struct sy_error *err)
{
    struct json_object *v = sy_json_get(obj, key);

    if (v == NULL)
        return SY_OK;
    if (!json_object_is_type(v, json_type_boolean))
        return bad(err, "filter", key, "must be a boolean");
    *out = json_object_get_boolean(v);
    return SY_OK;
}

int
sy_filter_compile(struct sy_arena *a, struct json_object *json, struct sy_event_filter *out,
                  struct sy_error *err)
{
    struct json_object *limit;

    memset(out, 0, sizeof(*out));
    out->limit = -1;
    out->contains_url = -1;
    if (json == NULL || !json_object_is_type(json, json_type_object))
        return SY_OK;
    if ((limit = sy_json_get(json, "limit")) != NULL) {
        if (!json_object_is_type(limit, json_type_int) || json_object_get_int64(limit) < 0)
            return bad(err, "filter", "limit", "must be a non-negative integer");
        out->limit = json_object_get_int64(limit);
    }
    if (compile_list(a, json, "types", &out->types, err) != SY_OK ||
        compile_list(a, json, "not_types", &out->not_types, err) != SY_OK ||
        compile_list(a, json, "senders", &out->senders, err) != SY_OK ||
        compile_list(a, json, "not_senders", &out->not_senders, err) != SY_OK ||
        compile_list(a, json, "rooms", &out->rooms, err) != SY_OK ||
        compile_list(a, json, "not_rooms", &out->not_rooms, err) != SY_OK ||
        compile_bool(json, "contains_url", &out->contains_url, err) != SY_OK ||
        compile_bool(json, "lazy_load_members", &out->lazy_load_members, err) != SY_OK ||
        compile_bool(json, "include_redundant_members", &out->include_redundant_members, err) !=
            SY_OK ||
        compile_bool(json, "unread_thread_notifications", &out->unread_thread_notifications,
                     err) != SY_OK)
        return err->code;
    return SY_OK;
}

struct json_object *
sy_filter_room_part(struct json_object *filter, const char *part)
{
    return sy_json_get_obj(sy_json_get_obj(filter, "room"), part);
}

int
sy_filter_compile_room_part(struct sy_arena *a, struct json_object *filter, const char *part,
                            struct sy_event_filter *out, struct sy_error *err)
{
    struct json_object *room = sy_json_get_obj(filter, "room");

    if (sy_filter_compile(a, sy_filter_room_part(filter, part), out, err) != SY_OK ||
        compile_list(a, room, "rooms", &out->outer_rooms, err) != SY_OK ||
        compile_list(a, room, "not_rooms", &out->outer_not_rooms, err) != SY_OK)
        return err->code;
    return SY_OK;
}

int
sy_filter_compile_top(struct sy_arena *a, struct json_object *filter, const char *key,
                      struct sy_event_filter *out, struct sy_error *err)
{
    return sy_filter_compile(a, sy_json_get_obj(filter, key), out, err);
}

int
sy_filter_include_leave(struct json_object *filter)
{
    struct json_object *v = sy_json_get(sy_json_get_obj(filter, "room"), "include_leave");

    return v != NULL && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

/* ---- matching ---------------------------------------------------------------------------- */

int
sy_filter_glob(const char *p, const char *s)
{
    const char *star = NULL, *resume = NULL;

    /* Greedy match with one backtrack point: linear enough for event types. */
    while (*s != '\0') {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p == *s) {
            p++, s++;
        } else if (star != NULL) {
            p = star + 1;
            s = ++resume;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

static int
in_list(const struct sy_filter_list *l, const char *s, int glob)
{
    for (size_t i = 0; i < l->n; i++)
        if (glob ? sy_filter_glob(l->v[i], s) : strcmp(l->v[i], s) == 0)
            return 1;
    return 0;
}

/* An absent include list lets everything through; not_ lists win. */
static int
passes(const struct sy_filter_list *incl, const struct sy_filter_list *excl, const char *s,
       int glob)
{
    if (s == NULL)
        return 1;
    if (in_list(excl, s, glob))
        return 0;
    return !incl->set || in_list(incl, s, glob);
}

int
sy_filter_room_allowed(struct json_object *filter, const char *room_id)
{
    struct sy_arena *a = sy_arena_new();
    struct sy_filter_list incl, excl;
    struct sy_error err = {0};
    struct json_object *room = sy_json_get_obj(filter, "room");
    int ok = 1;

    if (compile_list(a, room, "rooms", &incl, &err) == SY_OK &&
        compile_list(a, room, "not_rooms", &excl, &err) == SY_OK)
        ok = passes(&incl, &excl, room_id, 0);
    sy_arena_free(a);
    return ok;
}

int
sy_filter_match(const struct sy_event_filter *f, const char *type, const char *sender,
                const char *room_id, int has_url)
{
    if (!passes(&f->outer_rooms, &f->outer_not_rooms, room_id, 0) ||
        !passes(&f->rooms, &f->not_rooms, room_id, 0) ||
        !passes(&f->senders, &f->not_senders, sender, 0) ||
        !passes(&f->types, &f->not_types, type, 1))
        return 0;
    if (f->contains_url >= 0 && (has_url != 0) != (f->contains_url != 0))
        return 0;
    return 1;
}

int
sy_filter_match_json(const struct sy_event_filter *f, struct json_object *ev)
{
    struct json_object *content = sy_json_get_obj(ev, "content");

    return sy_filter_match(f, sy_json_get_str(ev, "type"), sy_json_get_str(ev, "sender"),
                           sy_json_get_str(ev, "room_id"),
                           sy_json_get_str(content, "url") != NULL);
}

int64_t
sy_filter_limit(const struct sy_event_filter *f, int64_t dflt)
{
    return f->limit >= 0 ? f->limit : dflt;
}

/* ---- event_fields ------------------------------------------------------------------------ */

/* Copy the value at 'path' (dots separate, '\.' is a literal dot) from src into dst. */
static void
copy_path(struct sy_arena *a, struct json_object *src, struct json_object *dst, const char *path)
{
    char *key = sy_arena_alloc(a, strlen(path) + 1), *k;
    const char *p = path;
    struct json_object *v;

    for (;;) {
        k = key;
        while (*p != '\0' && *p != '.') {
            if (p[0] == '\\' && p[1] == '.')
                p++;
            *k++ = *p++;
        }
        *k = '\0';
        if (!json_object_is_type(src, json_type_object) ||
            !json_object_object_get_ex(src, key, &v))
            return;
        if (*p == '\0') {
            json_object_object_add(dst, key, json_object_get(v));
            return;
        }
        p++;
        if (!json_object_is_type(v, json_type_object))
            return;
        {
            struct json_object *next;

            if (!json_object_object_get_ex(dst, key, &next) ||
                !json_object_is_type(next, json_type_object)) {
                next = json_object_new_object();
                json_object_object_add(dst, key, next);
            }
            dst = next;
        }
        src = v;
    }
}

struct json_object *
sy_filter_event_fields(struct sy_arena *a, struct json_object *filter, struct json_object *ev)
{
    struct json_object *fields = sy_json_get_arr(filter, "event_fields"), *out;

    if (fields == NULL)
        return ev;
    out = sy_json_new_object(a);
    for (size_t i = 0; i < json_object_array_length(fields); i++) {
        struct json_object *f = json_object_array_get_idx(fields, i);

        if (json_object_is_type(f, json_type_string))
            copy_path(a, ev, out, json_object_get_string(f));
    }
    return out;
}

/* ---- stored filters for /sync ------------------------------------------------------------ */

int
sy_sync_stored_filter(struct sy_sync_ctx *ctx, const char *filter_id, struct json_object **out,
                      struct sy_error *err)
{
    const char *text;
    int rc;

    rc = sy_db_filter_get(ctx->db, ctx->a, ctx->user_id, filter_id, &text, err);
    if (rc == SY_ENOTFOUND || rc == SY_EINVAL)
        return sy_err_invalid(err, "M_INVALID_PARAM", "no such filter");
    if (rc != SY_OK)
        return rc;
    if (sy_json_parse(ctx->a, text, strlen(text), 64, out, err) != SY_OK ||
        !json_object_is_type(*out, json_type_object))
        return sy_err_internal(err, "stored filter is not a JSON object");
    return SY_OK;
}
