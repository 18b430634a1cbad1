/*
 * api/client/messages.c -- room history: GET /rooms/{roomId}/messages
 * (pagination) and GET /rooms/{roomId}/context/{eventId}.
 *
 * Tokens are sync/timeline.h's: "t<P>" names the gap just after stream
 * position P (a /sync next_batch "s..." is accepted as its events
 * position).  dir=b from P returns the events at positions <= P newest
 * first, dir=f the events > P oldest first; 'to' bounds the walk the same
 * way.  'end' continues where the walk stopped; it is left out when
 * there is nothing further (dir=b: the room's creation was reached, or
 * the rest is hidden; dir=f: nothing at all was found up to now).
 *
 * Every event is checked against history visibility for the user; those
 * they may not see are skipped.  A former member pages only up to their
 * leave.  The RoomEventFilter in 'filter' is applied (sync/filter.h);
 * with lazy_load_members, 'state' carries the senders' member events.
 */
#include <stdlib.h>
#include <string.h>

#include "api/routes.h"
#include "config.h"
#include "db/events.h"
#include "db/state.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "rooms/room.h"
#include "rooms/visibility.h"
#include "sync/filter.h"
#include "sync/stream.h"
#include "sync/timeline.h"
#include "util/arena.h"
#include "util/err.h"

#define MESSAGES_DEFAULT_LIMIT 10
#define MESSAGES_MAX_LIMIT 1000
/* Rows one request looks at before it answers with what it found (and an 'end'). */
#define MESSAGES_SCAN(limit) (10 * (size_t)(limit) + 200)

/* What the user may read of the room. */
struct access {
    int64_t cap;       /* the user left at this position: nothing after it (0: no cap) */
    int64_t vis_below; /* joined since this position: later events need no check */
    int64_t now;       /* the events stream head */
};

/* Room access for the requester: 0, or SY_EFORBIDDEN when they may read nothing. */
static int
room_access(struct sy_req *req, const char *room_id, struct access *acc, struct sy_error *err)
{
    const char *membership, *member_event;
    struct sy_sync_token now;
    struct sy_db_event row;
    int64_t group;
    int current;

    memset(acc, 0, sizeof(*acc));
    if (sy_sync_token_now(req->db, &now, err) != SY_OK ||
        sy_visibility_state(req->db, req->arena, room_id, req->user_id, &current, &group, err) !=
            SY_OK ||
        sy_db_membership(req->db, req->arena, room_id, req->user_id, &membership, &member_event,
                         err) != SY_OK)
        return err->code;
    acc->now = now.pos[SY_STREAM_EVENTS];
    if (member_event == NULL)
        return SY_OK;
    if (sy_db_event_get(req->db, req->arena, member_event, &row, err) != SY_OK)
        return err->code;
    if (!current)
        acc->cap = row.stream_ordering;
    else if (strcmp(membership, "join") == 0)
        acc->vis_below = row.stream_ordering;
    return SY_OK;
}

/* limit: a non-negative integer, default 10, capped.  0, or it has replied. */
static int
limit_or_reply(struct sy_req *req, size_t *limit)
{
    const char *s = sy_req_query(req, "limit");
    char *end;
    long long v;

    *limit = MESSAGES_DEFAULT_LIMIT;
    if (s == NULL)
        return SY_OK;
    v = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || v < 0) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "limit must be a non-negative integer");
        return SY_EINVAL;
    }
    *limit = v > MESSAGES_MAX_LIMIT ? MESSAGES_MAX_LIMIT : (size_t)v;
    return SY_OK;
}

/* filter: a RoomEventFilter as JSON, compiled into *f (match-all when absent). */
static int
filter_or_reply(struct sy_req *req, struct sy_event_filter *f)
{
    const char *s = sy_req_query(req, "filter");
    struct json_object *json = NULL;
    struct sy_error err = {0};

    if (s != NULL && s[0] != '\0') {
        if (sy_json_parse(req->arena, s, strlen(s), req->node->cfg->max_json_depth, &json, &err) !=
                SY_OK ||
            !json_object_is_type(json, json_type_object)) {
            sy_reply_error(req, 400, "M_BAD_JSON", "filter is not a JSON object");
            return SY_EINVAL;
        }
        if (sy_filter_validate_room_event(json, &err) != SY_OK) {
            sy_reply_sy_error(req, &err);
            return err.code;
        }
    }
    if (sy_filter_compile(req->arena, json, f, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return err.code;
    }
    return SY_OK;
}

/* A token from the query: 0 and *pos (*given 0 when absent), or it has replied. */
static int
token_or_reply(struct sy_req *req, const char *name, int64_t *pos, int *given)
{
    const char *s = sy_req_query(req, name);

    *given = s != NULL && s[0] != '\0';
    if (!*given || sy_timeline_token_parse(s, pos) == 0)
        return SY_OK;
    sy_reply_error(req, 400, "M_INVALID_PARAM", "'%s' is not a pagination token", name);
    return SY_EINVAL;
}

/* Spliced client JSON of rows, in the order given; 'bundle': with bundled aggregations. */
static int
event_array(struct sy_req *req, const struct sy_db_event *rows, size_t n, int bundle,
            struct json_object **out, struct sy_error *err)
{
    return sy_timeline_events_json(req->db, req->arena, rows, n, req->user_id, req->device_id,
                                   bundle, out, err);
}

/*
 * The state in 'group' to send with events: the senders' member events
 * (lazy loading; 'also' is one more event's sender), or the whole state;
 * either way passed through the filter.
 */
static int
state_for(struct sy_req *req, int64_t group, const struct sy_event_filter *f, int whole,
          const struct sy_db_event *events, size_t n, const char *also, struct json_object **out,
          struct sy_error *err)
{
    struct sy_db_event *rows;
    const char **ids;
    size_t n_ids = 0, n_rows, k = 0;

    if (whole) {
        struct sy_db_state_row *st;

        if (sy_db_state_group_resolve(req->db, req->arena, group, &st, &n_ids, err) != SY_OK)
            return err->code;
        ids = sy_arena_alloc(req->arena, sizeof(char *) * (n_ids + 1));
        for (size_t i = 0; i < n_ids; i++)
            ids[i] = st[i].event_id;
    } else if (sy_timeline_member_ids(req->db, req->arena, group, events, n, also, NULL, &ids,
                                      &n_ids, err) != SY_OK) {
        return err->code;
    }
    if (sy_db_events_get_many(req->db, req->arena, ids, n_ids, &rows, &n_rows, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n_rows; i++)
        if (sy_timeline_match(req->arena, f, &rows[i]))
            rows[k++] = rows[i];
    return event_array(req, rows, k, 0, out, err);
}

static void
get_messages(struct sy_req *req)
{
    const char *room_id = sy_req_param(req, "roomId"), *dir = sy_req_query(req, "dir");
    struct sy_error err = {0};
    struct sy_event_filter f;
    struct sy_timeline_vis vis;
    struct sy_timeline_walk w = {.room_id = room_id, .filter = &f, .vis = &vis};
    struct sy_timeline_page page;
    struct json_object *resp, *state, *chunk;
    struct access acc;
    int64_t from = 0, to = 0;
    int from_given, to_given;

    if (dir != NULL && strcmp(dir, "b") != 0 && strcmp(dir, "f") != 0) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "dir must be 'b' or 'f'");
        return;
    }
    w.backwards = dir == NULL || dir[0] == 'b';
    if (token_or_reply(req, "from", &from, &from_given) != SY_OK ||
        token_or_reply(req, "to", &to, &to_given) != SY_OK ||
        limit_or_reply(req, &w.limit) != SY_OK || filter_or_reply(req, &f) != SY_OK)
        return;
    if (room_access(req, room_id, &acc, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    if (!from_given)
        from = w.backwards ? acc.now : 0;
    if (w.backwards) {
        w.from = acc.cap != 0 && from > acc.cap ? acc.cap : from;
        w.bound = to_given ? to : 0;
    } else {
        w.from = from;
        w.bound = to_given ? to : acc.now;
        if (acc.cap != 0 && w.bound > acc.cap)
            w.bound = acc.cap;
    }
    w.scan_cap = MESSAGES_SCAN(w.limit);
    w.vis_below = acc.vis_below;
    sy_timeline_vis_init(&vis, req->db, req->arena, req->user_id);
    if (sy_timeline_walk(req->db, req->arena, &w, &page, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    if (event_array(req, page.events, page.n, 1, &chunk, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    resp = sy_json_new_object(req->arena);
    json_object_object_add(resp, "chunk", chunk);
    json_object_object_add(resp, "start",
                           json_object_new_string(from_given
                                                      ? sy_req_query(req, "from")
                                                      : sy_timeline_token(req->arena, from)));
    if (page.more || (!w.backwards && page.n > 0))
        json_object_object_add(resp, "end",
                               json_object_new_string(sy_timeline_token(req->arena, page.next)));
    if (f.lazy_load_members && page.n > 0) {
        if (state_for(req, page.events[0].state_after, &f, 0, page.events, page.n, NULL, &state,
                      &err) != SY_OK) {
            sy_reply_sy_error(req, &err);
            return;
        }
        json_object_object_add(resp, "state", state);
    }
    sy_reply_json(req, 200, resp);
}

/* Events around 'row': before (newest first) and after (oldest first). */
static int
context_walks(struct sy_req *req, const struct sy_db_event *row, const struct access *acc,
              struct sy_timeline_walk *w, struct sy_timeline_page *before,
              struct sy_timeline_page *after, struct sy_error *err)
{
    size_t limit = w->limit;

    w->backwards = 1;
    w->from = row->stream_ordering - 1;
    w->bound = 0;
    w->limit = limit / 2;
    w->scan_cap = MESSAGES_SCAN(w->limit);
    if (sy_timeline_walk(req->db, req->arena, w, before, err) != SY_OK)
        return err->code;
    w->backwards = 0;
    w->from = row->stream_ordering;
    w->bound = acc->cap != 0 && acc->cap < acc->now ? acc->cap : acc->now;
    w->limit = limit - limit / 2;
    w->scan_cap = MESSAGES_SCAN(w->limit);
    return sy_timeline_walk(req->db, req->arena, w, after, err);
}

static void
get_context(struct sy_req *req)
{
    const char *room_id = sy_req_param(req, "roomId"), *event_id = sy_req_param(req, "eventId");
    struct sy_error err = {0};
    struct sy_event_filter f;
    struct sy_timeline_vis vis;
    struct sy_timeline_walk w = {.room_id = room_id, .filter = &f, .vis = &vis};
    struct sy_timeline_page before, after;
    struct sy_db_event row;
    const struct sy_db_event *last;
    struct json_object *resp, *state, *evj = NULL, *evs_before = NULL, *evs_after = NULL;
    struct access acc;
    int visible = 0;

    if (limit_or_reply(req, &w.limit) != SY_OK || filter_or_reply(req, &f) != SY_OK)
        return;
    if (room_access(req, room_id, &acc, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_timeline_vis_init(&vis, req->db, req->arena, req->user_id);
    w.vis_below = acc.vis_below;
    if (sy_db_event_get(req->db, req->arena, event_id, &row, &err) != SY_OK ||
        strcmp(row.room_id, room_id) != 0 ||
        (visible = sy_timeline_visible(&vis, &row, &err)) == 0 ||
        (acc.cap != 0 && row.stream_ordering > acc.cap)) {
        if (err.code == SY_EDB) {
            sy_reply_sy_error(req, &err);
            return;
        }
        sy_reply_error(req, 404, "M_NOT_FOUND", "event not found");
        return;
    }
    if (visible < 0 || context_walks(req, &row, &acc, &w, &before, &after, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    last = after.n > 0 ? &after.events[after.n - 1] : &row;
    if ((evj = sy_timeline_event_json(req->db, req->arena, &row, req->user_id, req->device_id, 1,
                                      &err)) == NULL ||
        event_array(req, before.events, before.n, 1, &evs_before, &err) != SY_OK ||
        event_array(req, after.events, after.n, 1, &evs_after, &err) != SY_OK) {
        json_object_put(evj);
        json_object_put(evs_before);
        sy_reply_sy_error(req, &err);
        return;
    }
    resp = sy_json_new_object(req->arena);
    json_object_object_add(resp, "event", evj);
    json_object_object_add(resp, "events_before", evs_before);
    json_object_object_add(resp, "events_after", evs_after);
    json_object_object_add(resp, "start",
                           json_object_new_string(sy_timeline_token(req->arena, before.next)));
    json_object_object_add(resp, "end",
                           json_object_new_string(sy_timeline_token(req->arena, after.next)));
    /* The state at the last event returned (spec); lazily, the members of all senders here. */
    {
        size_t n = before.n + after.n;
        struct sy_db_event *all = sy_arena_alloc(req->arena, sizeof(*all) * (n + 1));

        memcpy(all, before.events, sizeof(*all) * before.n);
        memcpy(all + before.n, after.events, sizeof(*all) * after.n);
        if (state_for(req, last->state_after, &f, !f.lazy_load_members, all, n, row.sender, &state,
                      &err) != SY_OK) {
            sy_reply_sy_error(req, &err);
            return;
        }
    }
    json_object_object_add(resp, "state", state);
    sy_reply_json(req, 200, resp);
}

#define ROOMS "/_matrix/client/v3/rooms/{roomId}"

const struct sy_route sy_client_messages_routes[] = {
    {.method = SY_GET,
     .path = ROOMS "/messages",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .guest_ok = 1,
     .handler = get_messages},
    {.method = SY_GET,
     .path = ROOMS "/context/{eventId}",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .guest_ok = 1,
     .handler = get_context},
};
const size_t sy_client_messages_routes_count =
    sizeof(sy_client_messages_routes) / sizeof(sy_client_messages_routes[0]);
