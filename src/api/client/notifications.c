/*
 * api/client/notifications.c -- GET /notifications: the events that
 * notified the user, newest first, paginated by stream position.
 *
 * The rows are written by the persist pipeline (push/counts.h); "read"
 * says whether a read receipt has passed the event.
 */
#include <stdlib.h>
#include <string.h>

#include "api/routes.h"
#include "config.h"
#include "db/push.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "util/arena.h"
#include "util/err.h"

#define LIMIT_DEFAULT 50 /* as Synapse */
#define LIMIT_MAX 1000

/* A non-negative decimal query parameter; -1 when malformed. */
static int64_t
parse_count(const char *s)
{
    int64_t v = 0;

    if (*s == '\0' || strlen(s) > 18)
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

static void
get_notifications(struct sy_req *req)
{
    struct sy_error err = {0};
    const char *from = sy_req_query(req, "from"), *lim = sy_req_query(req, "limit");
    const char *only = sy_req_query(req, "only");
    struct sy_db_notification *v;
    struct json_object *o, *arr;
    int64_t before = 0, limit = LIMIT_DEFAULT;
    size_t n;

    if (from != NULL && from[0] != '\0' && (before = parse_count(from)) <= 0) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "'from' is not a token from this endpoint");
        return;
    }
    if (lim != NULL && (limit = parse_count(lim)) <= 0) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "'limit' must be a positive integer");
        return;
    }
    if (limit > LIMIT_MAX)
        limit = LIMIT_MAX;
    /* One row more than asked tells whether there is a next page. */
    if (sy_db_push_notifications(req->db, req->arena, req->user_id, before,
                                 only != NULL && strcmp(only, "highlight") == 0, (size_t)limit + 1,
                                 &v, &n, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    o = sy_json_new_object(req->arena);
    arr = json_object_new_array();
    json_object_object_add(o, "notifications", arr);
    for (size_t i = 0; i < n && i < (size_t)limit; i++) {
        struct json_object *x = json_object_new_object(), *ev = NULL, *actions = NULL;

        if (sy_json_parse(req->arena, v[i].event_json, strlen(v[i].event_json), 128, &ev, &err) !=
            SY_OK)
            ev = sy_json_new_object(req->arena); /* stored by us: cannot happen */
        if (sy_json_parse(req->arena, v[i].actions, strlen(v[i].actions), 32, &actions, &err) !=
            SY_OK)
            actions = sy_json_new_array(req->arena);
        json_object_object_add(x, "actions", json_object_get(actions));
        json_object_object_add(x, "event", json_object_get(ev));
        json_object_object_add(x, "read", json_object_new_boolean(v[i].read));
        json_object_object_add(x, "room_id", json_object_new_string(v[i].room_id));
        json_object_object_add(x, "ts", json_object_new_int64(v[i].ts));
        json_object_array_add(arr, x);
    }
    if (n > (size_t)limit) {
        char *tok = sy_arena_printf(req->arena, "%lld", (long long)v[limit - 1].stream);

        json_object_object_add(o, "next_token", json_object_new_string(tok));
    }
    sy_reply_json(req, 200, o);
}

const struct sy_route sy_client_notifications_routes[] = {
    {.method = SY_GET,
     .path = "/_matrix/client/v3/notifications",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .handler = get_notifications},
};
const size_t sy_client_notifications_routes_count =
    sizeof(sy_client_notifications_routes) / sizeof(sy_client_notifications_routes[0]);
