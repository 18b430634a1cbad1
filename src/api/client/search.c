/*
 * api/client/search.c -- POST /search, the room_events category.
 *
 * Searches the rooms the user is joined to (narrowed by filter.rooms and
 * filter.not_rooms), in the fields the "keys" name (content.body of
 * m.room.message, content.name of m.room.name, content.topic of
 * m.room.topic), with PostgreSQL full-text search (db/search.h).  Each hit
 * is shown only if the user may see it (history visibility, through
 * sy_room_event_get), as Synapse filters with filter_events_for_client;
 * "count" counts matches before that filter, as Synapse's does.
 *
 * next_batch is "r<offset>" when ordering by rank, "s<stream>" (search
 * below that stream position) when ordering by recency.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "api/routes.h"
#include "config.h"
#include "db/search.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "rooms/room.h"
#include "util/arena.h"
#include "util/err.h"

#define SEARCH_LIMIT_DEFAULT 10
#define SEARCH_LIMIT_MAX 100
#define SEARCH_TERM_MAX 1024
#define SEARCH_CONTEXT_DEFAULT 5
#define SEARCH_CONTEXT_MAX 20
/* Batches of hits read while filtering for visibility, before giving up on this page. */
#define SEARCH_BATCHES_MAX 8

struct search_args {
    const char *term;
    struct json_object *rooms; /* the rooms to search: JSON array of strings */
    struct json_object *types; /* event types the keys name */
    const char *senders_json, *not_senders_json;
    int order_recent;
    int64_t limit;
    int context; /* event_context given */
    int64_t before_limit, after_limit;
    int include_profile;
};

/* 1 if the JSON array of strings 'arr' holds s. */
static int
array_has(struct json_object *arr, const char *s)
{
    size_t n = arr != NULL ? json_object_array_length(arr) : 0;

    for (size_t i = 0; i < n; i++) {
        struct json_object *v = json_object_array_get_idx(arr, i);

        if (json_object_is_type(v, json_type_string) && strcmp(json_object_get_string(v), s) == 0)
            return 1;
    }
    return 0;
}

/* An optional array of strings from the filter; SY_EINVAL if it is anything else. */
static int
string_list(struct json_object *filter, const char *key, struct json_object **out,
            struct sy_error *err)
{
    struct json_object *v;

    *out = NULL;
    if (filter == NULL || !json_object_object_get_ex(filter, key, &v) || v == NULL)
        return SY_OK;
    if (!json_object_is_type(v, json_type_array))
        return sy_err_invalid(err, "M_BAD_JSON", "filter.%s must be an array of strings", key);
    for (size_t i = 0; i < json_object_array_length(v); i++)
        if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
            return sy_err_invalid(err, "M_BAD_JSON", "filter.%s must be an array of strings", key);
    *out = v;
    return SY_OK;
}

static const char *
json_text(struct sy_arena *a, struct json_object *o)
{
    size_t len;

    return o != NULL ? sy_arena_strdup(a, sy_json_text(o, &len)) : NULL;
}

/* The event types the "keys" ask for, narrowed by filter.types / filter.not_types. */
static int
parse_keys(struct sy_req *req, struct json_object *cat, struct json_object *filter,
           struct search_args *args, struct sy_error *err)
{
    static const char *const key_types[][2] = {{"content.body", "m.room.message"},
                                               {"content.name", "m.room.name"},
                                               {"content.topic", "m.room.topic"}};
    struct json_object *keys = NULL, *types, *not_types;

    if (json_object_object_get_ex(cat, "keys", &keys) && keys != NULL) {
        if (!json_object_is_type(keys, json_type_array))
            return sy_err_invalid(err, "M_BAD_JSON", "'keys' must be an array of strings");
        for (size_t i = 0; i < json_object_array_length(keys); i++) {
            struct json_object *k = json_object_array_get_idx(keys, i);
            const char *s =
                json_object_is_type(k, json_type_string) ? json_object_get_string(k) : NULL;

            if (s == NULL || (strcmp(s, "content.body") != 0 && strcmp(s, "content.name") != 0 &&
                              strcmp(s, "content.topic") != 0))
                return sy_err_invalid(err, "M_INVALID_PARAM",
                                      "'keys' may hold content.body, content.name and "
                                      "content.topic");
        }
    } else {
        keys = NULL;
    }
    if (string_list(filter, "types", &types, err) != SY_OK ||
        string_list(filter, "not_types", &not_types, err) != SY_OK)
        return err->code;
    args->types = sy_json_new_array(req->arena);
    for (size_t i = 0; i < 3; i++) {
        const char *t = key_types[i][1];

        if (keys != NULL && !array_has(keys, key_types[i][0]))
            continue;
        if ((types != NULL && !array_has(types, t) && !array_has(types, "*")) ||
            array_has(not_types, t))
            continue;
        json_object_array_add(args->types, json_object_new_string(t));
    }
    return SY_OK;
}

/* The joined rooms, narrowed by filter.rooms and filter.not_rooms. */
static int
search_rooms(struct sy_req *req, struct json_object *filter, struct search_args *args,
             struct sy_error *err)
{
    struct json_object *only, *not ;
    const char **joined;
    size_t n;

    if (string_list(filter, "rooms", &only, err) != SY_OK ||
        string_list(filter, "not_rooms", &not, err) != SY_OK ||
        sy_room_joined(req->db, req->arena, req->user_id, &joined, &n, err) != SY_OK)
        return err->code;
    args->rooms = sy_json_new_array(req->arena);
    for (size_t i = 0; i < n; i++) {
        if ((only != NULL && !array_has(only, joined[i])) || array_has(not, joined[i]))
            continue;
        json_object_array_add(args->rooms, json_object_new_string(joined[i]));
    }
    return SY_OK;
}

static int
context_limit(struct json_object *ctx, const char *key, int64_t *out, struct sy_error *err)
{
    *out = SEARCH_CONTEXT_DEFAULT;
    if (sy_json_opt_int(ctx, key, out, err) != SY_OK)
        return err->code;
    if (*out < 0)
        return sy_err_invalid(err, "M_INVALID_PARAM", "'%s' must not be negative", key);
    if (*out > SEARCH_CONTEXT_MAX)
        *out = SEARCH_CONTEXT_MAX;
    return SY_OK;
}

static int
parse_request(struct sy_req *req, struct json_object *body, struct search_args *args,
              struct sy_error *err)
{
    struct json_object *cats, *cat, *filter = NULL, *ctx, *senders, *not_senders;
    const char *order = "rank";
    int64_t limit = SEARCH_LIMIT_DEFAULT;

    if ((cats = sy_json_get_obj(body, "search_categories")) == NULL)
        return sy_error_set(err, SY_EINVAL, 400, "M_MISSING_PARAM",
                            "'search_categories' must be an object");
    if ((cat = sy_json_get_obj(cats, "room_events")) == NULL)
        return sy_err_invalid(err, "M_INVALID_PARAM", "only the room_events category is supported");
    if (sy_json_req_str(cat, "search_term", &args->term, err) != SY_OK ||
        sy_json_opt_str(cat, "order_by", &order, err) != SY_OK)
        return err->code;
    if (strlen(args->term) > SEARCH_TERM_MAX)
        return sy_err_invalid(err, "M_INVALID_PARAM", "search_term is too long");
    if (strcmp(order, "rank") != 0 && strcmp(order, "recent") != 0)
        return sy_err_invalid(err, "M_INVALID_PARAM", "order_by must be 'rank' or 'recent'");
    args->order_recent = strcmp(order, "recent") == 0;
    if (json_object_object_get_ex(cat, "filter", &filter) && filter != NULL &&
        !json_object_is_type(filter, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "'filter' must be an object");
    if (sy_json_opt_int(filter, "limit", &limit, err) != SY_OK)
        return err->code;
    if (limit < 1)
        return sy_err_invalid(err, "M_INVALID_PARAM", "filter.limit must be positive");
    args->limit = limit > SEARCH_LIMIT_MAX ? SEARCH_LIMIT_MAX : limit;
    if (string_list(filter, "senders", &senders, err) != SY_OK ||
        string_list(filter, "not_senders", &not_senders, err) != SY_OK)
        return err->code;
    args->senders_json = json_text(req->arena, senders);
    args->not_senders_json = json_text(req->arena, not_senders);
    if (parse_keys(req, cat, filter, args, err) != SY_OK)
        return err->code;
    if (json_object_object_get_ex(cat, "event_context", &ctx) && ctx != NULL) {
        if (!json_object_is_type(ctx, json_type_object))
            return sy_err_invalid(err, "M_BAD_JSON", "'event_context' must be an object");
        args->context = 1;
        if (context_limit(ctx, "before_limit", &args->before_limit, err) != SY_OK ||
            context_limit(ctx, "after_limit", &args->after_limit, err) != SY_OK ||
            sy_json_opt_bool(ctx, "include_profile", &args->include_profile, err) != SY_OK)
            return err->code;
    }
    return search_rooms(req, filter, args, err);
}

/* next_batch: "r<offset>" or "s<stream>"; 0 and the number, or -1. */
static int
parse_batch(const char *batch, int recent, int64_t *out)
{
    char *end;
    long long v;

    if (batch == NULL) {
        *out = 0;
        return 0;
    }
    if (batch[0] != (recent ? 's' : 'r') || !isdigit((unsigned char)batch[1]))
        return -1;
    v = strtoll(batch + 1, &end, 10);
    if (*end != '\0' || v < 0)
        return -1;
    *out = v;
    return 0;
}

/* The sender's profile from their member event in the room, for include_profile. */
static void
add_profile(struct sy_req *req, struct json_object *profiles, const char *room_id,
            const char *sender)
{
    struct sy_error err = {0};
    struct sy_room_event ev;
    struct json_object *o, *content, *p;

    if (json_object_object_get_ex(profiles, sender, NULL) ||
        sy_room_state_event(req->db, req->arena, room_id, req->user_id, "m.room.member", sender,
                            &ev, &err) != SY_OK ||
        sy_json_parse(req->arena, ev.client_json, strlen(ev.client_json), 128, &o, &err) != SY_OK)
        return;
    content = sy_json_get_obj(o, "content");
    p = json_object_new_object();
    if (sy_json_get_str(content, "displayname") != NULL)
        json_object_object_add(p, "displayname",
                               json_object_new_string(sy_json_get_str(content, "displayname")));
    if (sy_json_get_str(content, "avatar_url") != NULL)
        json_object_object_add(p, "avatar_url",
                               json_object_new_string(sy_json_get_str(content, "avatar_url")));
    json_object_object_add(profiles, sender, p);
}

/* Visible events around 'ev' in its room. */
static int
event_context(struct sy_req *req, const struct search_args *args, const struct sy_room_event *ev,
              struct json_object **out, struct sy_error *err)
{
    struct json_object *ctx = json_object_new_object(), *profiles = NULL;
    static const char *const keys[2] = {"events_before", "events_after"};

    *out = ctx;
    if (args->include_profile) {
        profiles = json_object_new_object();
        json_object_object_add(ctx, "profile_info", profiles);
        add_profile(req, profiles, ev->room_id, ev->sender);
    }
    for (int after = 0; after < 2; after++) {
        struct json_object *arr = json_object_new_array();
        int64_t limit = after ? args->after_limit : args->before_limit;
        const char **ids;
        size_t n = 0;

        json_object_object_add(ctx, keys[after], arr);
        if (limit > 0 && sy_db_search_context(req->db, req->arena, ev->room_id, ev->stream_ordering,
                                              after, limit, &ids, &n, err) != SY_OK)
            return err->code;
        for (size_t i = 0; i < n; i++) {
            struct sy_room_event cev;

            if (sy_room_event_get(req->db, req->arena, ev->room_id, ids[i], req->user_id, &cev,
                                  err) != SY_OK) {
                if (err->code != SY_ENOTFOUND)
                    return err->code;
                continue;
            }
            json_object_array_add(arr, json_object_get(sy_room_event_json(
                                           req->arena, &cev, req->user_id, req->device_id)));
            if (profiles != NULL)
                add_profile(req, profiles, cev.room_id, cev.sender);
        }
    }
    return SY_OK;
}

static struct json_object *
result_entry(struct sy_req *req, const struct sy_search_hit *h, const struct sy_room_event *ev)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "rank", json_object_new_double(h->rank));
    json_object_object_add(
        o, "result",
        json_object_get(sy_room_event_json(req->arena, ev, req->user_id, req->device_id)));
    return o;
}

static void
post_search(struct sy_req *req)
{
    struct sy_error err = {0};
    struct search_args args = {0};
    struct sy_search_query q = {0};
    struct json_object *body, *results, *highlights, *room_events, *cats, *resp;
    const char **words;
    size_t n_words, taken = 0;
    int64_t pos, count = 0;
    int more = 0;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (parse_request(req, body, &args, &err) != SY_OK)
        goto fail;
    if (parse_batch(sy_req_query(req, "next_batch"), args.order_recent, &pos) != 0) {
        sy_err_invalid(&err, "M_INVALID_PARAM", "invalid next_batch token");
        goto fail;
    }
    q.term = args.term;
    q.rooms_json = json_text(req->arena, args.rooms);
    q.types_json = json_text(req->arena, args.types);
    q.senders_json = args.senders_json;
    q.not_senders_json = args.not_senders_json;
    q.order_recent = args.order_recent;
    q.limit = args.limit + 1;
    results = json_object_new_array();
    if (json_object_array_length(args.rooms) > 0 && json_object_array_length(args.types) > 0) {
        if (sy_db_search_count(req->db, &q, &count, &err) != SY_OK)
            goto fail_results;
        /* Read hits batch by batch, keeping the visible ones, until the page is full. */
        for (int batch = 0; batch < SEARCH_BATCHES_MAX && !more; batch++) {
            struct sy_search_hit *hits;
            size_t n;

            if (args.order_recent)
                q.before_stream = pos;
            else
                q.offset = pos;
            if (sy_db_search_events(req->db, req->arena, &q, &hits, &n, &err) != SY_OK)
                goto fail_results;
            for (size_t i = 0; i < n; i++) {
                struct sy_room_event ev;
                struct json_object *entry, *ctx;

                if (taken == (size_t)args.limit) {
                    more = 1;
                    break;
                }
                pos = args.order_recent ? hits[i].stream_ordering : pos + 1;
                if (sy_room_event_get(req->db, req->arena, hits[i].room_id, hits[i].event_id,
                                      req->user_id, &ev, &err) != SY_OK) {
                    if (err.code != SY_ENOTFOUND)
                        goto fail_results;
                    continue;
                }
                entry = result_entry(req, &hits[i], &ev);
                json_object_array_add(results, entry);
                taken++;
                if (args.context) {
                    if (event_context(req, &args, &ev, &ctx, &err) != SY_OK) {
                        json_object_put(ctx);
                        goto fail_results;
                    }
                    json_object_object_add(entry, "context", ctx);
                }
            }
            if ((int64_t)n < q.limit)
                break;
            /* A full batch whose hits were all read: the page may still fill from the next. */
            if (!more && batch == SEARCH_BATCHES_MAX - 1)
                more = 1;
        }
    }
    if (sy_db_search_words(req->db, req->arena, args.term, &words, &n_words, &err) != SY_OK)
        goto fail_results;
    highlights = json_object_new_array();
    for (size_t i = 0; i < n_words; i++)
        json_object_array_add(highlights, json_object_new_string(words[i]));

    resp = sy_json_new_object(req->arena);
    cats = json_object_new_object();
    room_events = json_object_new_object();
    json_object_object_add(resp, "search_categories", cats);
    json_object_object_add(cats, "room_events", room_events);
    json_object_object_add(room_events, "results", results);
    json_object_object_add(room_events, "count", json_object_new_int64(count));
    json_object_object_add(room_events, "highlights", highlights);
    if (more)
        json_object_object_add(room_events, "next_batch",
                               json_object_new_string(sy_arena_printf(
                                   req->arena, "%c%" PRId64, args.order_recent ? 's' : 'r', pos)));
    sy_reply_json(req, 200, resp);
    return;
fail_results:
    json_object_put(results);
fail:
    sy_reply_sy_error(req, &err);
}

const struct sy_route sy_client_search_routes[] = {
    {.method = SY_POST,
     .path = "/_matrix/client/v3/search",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .max_body = 64 * 1024,
     .handler = post_search},
};
const size_t sy_client_search_routes_count =
    sizeof(sy_client_search_routes) / sizeof(sy_client_search_routes[0]);
