/*
 * api/client/directory.c -- the published room directory: GET and POST
 * /publicRooms, and GET/PUT /directory/list/room/{roomId}.
 *
 * Listing follows Synapse: published rooms with at least one joined member
 * whose join rule is public, knock or knock_restricted, or whose history
 * is world_readable; largest first.  Pagination tokens are opaque to
 * clients ("o" + the offset into that order).  Changing a room's
 * visibility needs the power to send m.room.canonical_alias in it, or a
 * server admin (Synapse's check_can_change_room_list).
 *
 * Other servers' directories need federation, which this node does not
 * speak yet: a well-formed remote server name gets 404 M_NOT_FOUND.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "api/client/power.h"
#include "api/routes.h"
#include "config.h"
#include "db/rooms.h"
#include "db/directory.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "rooms/room.h"
#include "util/arena.h"
#include "util/err.h"

/* Rooms per page when the client asks for no limit, and the most it may ask for. */
#define DIR_PAGE_MAX 500
/* Bytes of a search term we look at. */
#define DIR_TERM_MAX 256

struct list_args {
    int64_t limit; /* 0: the client gave none */
    const char *since;
    const char *search_term;
    const char *room_types_json;
    int include_untyped;
};

/* 1 if 's' is a server name: a DNS name, IPv4 or [IPv6] literal, optional :port. */
static int
server_name_valid(const char *s)
{
    const char *p = s, *host_end;
    size_t n = strlen(s);

    if (n == 0 || n > 255)
        return 0;
    if (*p == '[') {
        if ((host_end = strchr(p, ']')) == NULL || host_end == p + 1)
            return 0;
        for (const char *q = p + 1; q < host_end; q++)
            if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.')
                return 0;
        p = host_end + 1;
    } else {
        while (*p != '\0' && *p != ':') {
            if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
                return 0;
            p++;
        }
        if (p == s)
            return 0;
    }
    if (*p == '\0')
        return 1;
    if (*p != ':' || p[1] == '\0' || strlen(p + 1) > 5)
        return 0;
    for (p++; *p != '\0'; p++)
        if (!isdigit((unsigned char)*p))
            return 0;
    return 1;
}

/* Only this server's directory is served; on anything else it has replied. */
static int
check_server_or_reply(struct sy_req *req)
{
    const char *server = sy_req_query(req, "server");

    if (server == NULL || strcmp(server, req->node->cfg->server_name) == 0)
        return SY_OK;
    if (!server_name_valid(server)) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "invalid server name: %s", server);
        return SY_EINVAL;
    }
    sy_reply_error(req, 404, "M_NOT_FOUND", "the room directory of %s is not available", server);
    return SY_ENOTFOUND;
}

/* "o<offset>" -> offset; -1 when malformed. */
static int64_t
parse_since(const char *since)
{
    char *end;
    long long v;

    if (since == NULL || since[0] == '\0')
        return 0;
    if (since[0] != 'o' || !isdigit((unsigned char)since[1]))
        return -1;
    v = strtoll(since + 1, &end, 10);
    if (*end != '\0' || v < 0 || v > 100000000)
        return -1;
    return v;
}

static void
add_str(struct json_object *o, const char *key, const char *value)
{
    if (value != NULL)
        json_object_object_add(o, key, json_object_new_string(value));
}

static struct json_object *
chunk_entry(const struct sy_dir_room *r)
{
    struct json_object *o = json_object_new_object();

    add_str(o, "room_id", r->room_id);
    add_str(o, "name", r->name);
    add_str(o, "topic", r->topic);
    add_str(o, "canonical_alias", r->canonical_alias);
    add_str(o, "avatar_url", r->avatar_url);
    add_str(o, "join_rule", r->join_rule != NULL ? r->join_rule : "invite");
    add_str(o, "room_type", r->room_type);
    json_object_object_add(o, "num_joined_members", json_object_new_int64(r->num_joined_members));
    json_object_object_add(
        o, "world_readable",
        json_object_new_boolean(r->history_visibility != NULL &&
                                strcmp(r->history_visibility, "world_readable") == 0));
    json_object_object_add(o, "guest_can_join",
                           json_object_new_boolean(r->guest_access != NULL &&
                                                   strcmp(r->guest_access, "can_join") == 0));
    return o;
}

static void
list_rooms(struct sy_req *req, const struct list_args *args)
{
    struct sy_error err = {0};
    struct sy_dir_query q = {0};
    struct sy_dir_room *rooms;
    struct json_object *resp, *chunk;
    int64_t offset, limit, total;
    size_t n;

    if ((offset = parse_since(args->since)) < 0) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "invalid 'since' token");
        return;
    }
    limit = args->limit > 0 && args->limit < DIR_PAGE_MAX ? args->limit : DIR_PAGE_MAX;
    q.search_term = args->search_term;
    q.room_types_json = args->room_types_json;
    q.include_untyped = args->include_untyped;
    q.offset = offset;
    q.limit = limit + 1; /* one more tells whether there is a next page */
    if (sy_db_dir_public_rooms(req->db, req->arena, &q, &rooms, &n, &total, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    resp = sy_json_new_object(req->arena);
    chunk = json_object_new_array();
    for (size_t i = 0; i < n && (int64_t)i < limit; i++)
        json_object_array_add(chunk, chunk_entry(&rooms[i]));
    json_object_object_add(resp, "chunk", chunk);
    if ((int64_t)n > limit)
        add_str(resp, "next_batch", sy_arena_printf(req->arena, "o%" PRId64, offset + limit));
    if (offset > 0)
        add_str(resp, "prev_batch",
                sy_arena_printf(req->arena, "o%" PRId64, offset > limit ? offset - limit : 0));
    json_object_object_add(resp, "total_room_count_estimate", json_object_new_int64(total));
    sy_reply_json(req, 200, resp);
}

static void
get_public_rooms(struct sy_req *req)
{
    struct list_args args = {0};
    const char *limit = sy_req_query(req, "limit");
    char *end;

    if (check_server_or_reply(req) != SY_OK)
        return;
    if (limit != NULL) {
        long long v = strtoll(limit, &end, 10);

        if (limit[0] == '\0' || *end != '\0' || v < 0) {
            sy_reply_error(req, 400, "M_INVALID_PARAM", "'limit' must be a non-negative integer");
            return;
        }
        args.limit = v > DIR_PAGE_MAX ? DIR_PAGE_MAX : v;
    }
    args.since = sy_req_query(req, "since");
    list_rooms(req, &args);
}

/* filter.room_types: strings, and null for rooms without a type. */
static int
parse_room_types(struct sy_req *req, struct json_object *types, struct list_args *args,
                 struct sy_error *err)
{
    struct json_object *named;
    size_t len, i;

    if (!json_object_is_type(types, json_type_array))
        return sy_err_invalid(err, "M_BAD_JSON", "filter.room_types must be an array");
    len = json_object_array_length(types);
    /* Synapse: an empty list does not filter. */
    if (len == 0)
        return SY_OK;
    named = sy_json_new_array(req->arena);
    for (i = 0; i < len; i++) {
        struct json_object *t = json_object_array_get_idx(types, i);

        if (t == NULL)
            args->include_untyped = 1;
        else if (json_object_is_type(t, json_type_string))
            json_object_array_add(named, json_object_get(t));
        else
            return sy_err_invalid(err, "M_BAD_JSON",
                                  "filter.room_types entries must be strings or null");
    }
    args->room_types_json = sy_arena_strdup(req->arena, sy_json_text(named, &len));
    return SY_OK;
}

static void
post_public_rooms(struct sy_req *req)
{
    struct sy_error err = {0};
    struct list_args args = {0};
    struct json_object *body, *filter, *types;
    int64_t limit = 0;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (check_server_or_reply(req) != SY_OK)
        return;
    if (sy_json_opt_int(body, "limit", &limit, &err) != SY_OK ||
        sy_json_opt_str(body, "since", &args.since, &err) != SY_OK)
        goto fail;
    if (limit < 0) {
        sy_err_invalid(&err, "M_INVALID_PARAM", "'limit' must be a non-negative integer");
        goto fail;
    }
    args.limit = limit > DIR_PAGE_MAX ? DIR_PAGE_MAX : limit;
    if (json_object_object_get_ex(body, "filter", &filter) && filter != NULL) {
        if (!json_object_is_type(filter, json_type_object)) {
            sy_err_invalid(&err, "M_BAD_JSON", "'filter' must be an object");
            goto fail;
        }
        if (sy_json_opt_str(filter, "generic_search_term", &args.search_term, &err) != SY_OK)
            goto fail;
        if (args.search_term != NULL && args.search_term[0] == '\0')
            args.search_term = NULL;
        if (args.search_term != NULL && strlen(args.search_term) > DIR_TERM_MAX) {
            sy_err_invalid(&err, "M_INVALID_PARAM", "generic_search_term is too long");
            goto fail;
        }
        if (json_object_object_get_ex(filter, "room_types", &types) && types != NULL &&
            parse_room_types(req, types, &args, &err) != SY_OK)
            goto fail;
    }
    list_rooms(req, &args);
    return;
fail:
    sy_reply_sy_error(req, &err);
}

static void
get_visibility(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_room_info info;
    struct json_object *resp;

    if (sy_room_get(req->db, req->arena, sy_req_param(req, "roomId"), &info, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    resp = sy_json_new_object(req->arena);
    add_str(resp, "visibility", info.is_public ? "public" : "private");
    sy_reply_json(req, 200, resp);
}

static void
put_visibility(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_room_info info;
    struct json_object *body;
    const char *room_id = sy_req_param(req, "roomId"), *visibility = "public";
    int public;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (sy_json_opt_str(body, "visibility", &visibility, &err) != SY_OK)
        goto fail;
    if (strcmp(visibility, "public") != 0 && strcmp(visibility, "private") != 0) {
        sy_err_invalid(&err, "M_INVALID_PARAM", "visibility must be 'public' or 'private'");
        goto fail;
    }
    public = strcmp(visibility, "public") == 0;
    if (sy_room_get(req->db, req->arena, room_id, &info, &err) != SY_OK)
        goto fail;
    if (!req->is_admin && sy_client_may_send_state(req->db, req->arena, room_id, req->user_id,
                                                   "m.room.canonical_alias", &err) != SY_OK) {
        if (err.code == SY_EFORBIDDEN)
            sy_err_forbidden(&err, "you need to be a moderator in the room to change its "
                                   "room directory entry");
        goto fail;
    }
    if (info.is_public != public && sy_db_room_set_public(req->db, room_id, public, &err) != SY_OK)
        goto fail;
    sy_reply_empty(req);
    return;
fail:
    sy_reply_sy_error(req, &err);
}

const struct sy_route sy_client_directory_routes[] = {
    {.method = SY_GET,
     .path = "/_matrix/client/v3/publicRooms",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_OPTIONAL,
     .guest_ok = 1,
     .handler = get_public_rooms},
    {.method = SY_POST,
     .path = "/_matrix/client/v3/publicRooms",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .guest_ok = 1,
     .max_body = 16 * 1024,
     .handler = post_public_rooms},
    {.method = SY_GET,
     .path = "/_matrix/client/v3/directory/list/room/{roomId}",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_NONE,
     .handler = get_visibility},
    {.method = SY_PUT,
     .path = "/_matrix/client/v3/directory/list/room/{roomId}",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .max_body = 4096,
     .handler = put_visibility},
};
const size_t sy_client_directory_routes_count =
    sizeof(sy_client_directory_routes) / sizeof(sy_client_directory_routes[0]);
