/*
 * api/client/room_events.c -- sending and reading room events:
 * PUT /rooms/{roomId}/send/{eventType}/{txnId}, PUT and GET
 * /rooms/{roomId}/state[/{eventType}[/{stateKey}]], GET
 * /rooms/{roomId}/event/{eventId}, PUT /rooms/{roomId}/redact/{eventId}/{txnId}.
 *
 * Handlers parse and validate; building, authorising, persisting and
 * history visibility are rooms/room.h's business.  Membership lists
 * (/members, /joined_members, /joined_rooms) are in room_members.c.
 */
#include <string.h>

#include "api/client/aliases.h"
#include "api/client/membership.h"
#include "api/routes.h"
#include "config.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "rooms/event.h"
#include "rooms/relations.h"
#include "rooms/room.h"
#include "util/err.h"

/* Request bodies are event content: leave room above the event cap so the rooms layer,
 * which measures the whole event, is the one that answers M_TOO_LARGE. */
#define EVENT_BODY_MAX (2 * SY_EVENT_MAX_BYTES)

/*
 * An event type or state key from the path: the spec caps both at 255
 * bytes (answered as the rooms layer answers an over-long event field).
 * A type must not be empty.  0, or it has replied.
 */
static int
check_type_and_key_or_reply(struct sy_req *req, const char *type, const char *state_key)
{
    if (type == NULL || type[0] == '\0') {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "the event type must not be empty");
        return SY_EINVAL;
    }
    if (strlen(type) > SY_EVENT_MAX_ID_BYTES) {
        sy_reply_error(req, 413, "M_TOO_LARGE", "the event type is over %d bytes",
                       SY_EVENT_MAX_ID_BYTES);
        return SY_ETOOBIG;
    }
    if (state_key != NULL && strlen(state_key) > SY_EVENT_MAX_ID_BYTES) {
        sy_reply_error(req, 413, "M_TOO_LARGE", "the state key is over %d bytes",
                       SY_EVENT_MAX_ID_BYTES);
        return SY_ETOOBIG;
    }
    return SY_OK;
}

/* A transaction ID from the path: not empty.  0, or it has replied. */
static int
check_txn_or_reply(struct sy_req *req, const char *txn_id)
{
    if (txn_id == NULL || txn_id[0] == '\0') {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "the transaction ID must not be empty");
        return SY_EINVAL;
    }
    return SY_OK;
}

/* Longer than any batch should take; the writer still answers a retry of the same txn ID. */
#define SEND_WAIT_MS 60000

static void
wake_sender(void *req)
{
    sy_req_wake(req);
}

/* The writer has written our event (or we gave up waiting): answer {"event_id"}. */
static void
on_written(struct sy_req *req, int timed_out)
{
    struct sy_error err = {0};
    struct json_object *resp;
    const char *event_id;

    (void)timed_out;
    if (req->park_arg == NULL) {
        sy_reply_error(req, 500, "M_UNKNOWN", "the event writer is not running");
        return;
    }
    if (sy_room_send_job_result(req->park_arg, req->arena, &event_id, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    resp = sy_json_new_object(req->arena);
    json_object_object_add(resp, "event_id", json_object_new_string(event_id));
    sy_reply_json(req, 200, resp);
}

/*
 * Send s through the group-commit writer and answer {"event_id"} once it
 * is committed.  The request parks meanwhile (its worker serves others);
 * it parks before the job is queued, so the writer cannot wake it first.
 */
static void
send_and_reply(struct sy_req *req, const struct sy_room_send *s)
{
    struct sy_error err = {0};

    if (sy_room_send_validate(s, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_req_park(req, SEND_WAIT_MS, on_written);
    req->park_arg = sy_room_send_submit(s, req->arena, wake_sender, req, &err);
    if (req->park_arg == NULL)
        sy_req_wake(req);
}

/* PUT /rooms/{roomId}/send/{eventType}/{txnId} */
static void
put_send(struct sy_req *req)
{
    struct sy_room_send s = {0};
    struct json_object *content;

    s.room_id = sy_req_param(req, "roomId");
    s.type = sy_req_param(req, "eventType");
    s.txn_id = sy_req_param(req, "txnId");
    if ((content = sy_req_json_or_reply(req)) == NULL ||
        check_type_and_key_or_reply(req, s.type, NULL) != SY_OK ||
        check_txn_or_reply(req, s.txn_id) != SY_OK)
        return;
    s.sender = req->user_id;
    s.content = content;
    s.txn_device_id = req->device_id;
    send_and_reply(req, &s);
}

/*
 * A member event through the state API goes the way /join, /invite, /leave
 * ... go (as in Synapse): membership must be a string, and a join, invite
 * or knock gets the target's profile unless the content sets it.
 */
static void
put_member(struct sy_req *req, const char *room_id, const char *target,
           struct json_object *content)
{
    struct sy_error err = {0};
    struct json_object *resp;
    const char *membership = sy_json_get_str(content, "membership");
    const char *event_id;

    if (membership == NULL) {
        sy_reply_error(req, 400, "M_BAD_JSON", "membership must be a string");
        return;
    }
    if (sy_client_member_send(req, room_id, target, membership, NULL, content, &event_id,
                              &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    resp = sy_json_new_object(req->arena);
    json_object_object_add(resp, "event_id", json_object_new_string(event_id));
    sy_reply_json(req, 200, resp);
}

/* PUT /rooms/{roomId}/state/{eventType}[/{stateKey}] */
static void
put_state(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_room_send s = {0};
    struct json_object *content;

    s.room_id = sy_req_param(req, "roomId");
    s.type = sy_req_param(req, "eventType");
    s.state_key = sy_req_param(req, "stateKey");
    if (s.state_key == NULL)
        s.state_key = "";
    if ((content = sy_req_json_or_reply(req)) == NULL ||
        check_type_and_key_or_reply(req, s.type, s.state_key) != SY_OK)
        return;
    if (strcmp(s.type, "m.room.member") == 0) {
        put_member(req, s.room_id, s.state_key, content);
        return;
    }
    if (strcmp(s.type, "m.room.canonical_alias") == 0 &&
        sy_aliases_validate_canonical(req->db, req->arena, s.room_id, content, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    s.sender = req->user_id;
    s.content = content;
    send_and_reply(req, &s);
}

/* The client form of ev for the requesting user (transaction_id echoed to its sender). */
static struct json_object *
event_json(struct sy_req *req, const struct sy_room_event *ev)
{
    return sy_room_event_json(req->arena, ev, req->user_id, req->device_id);
}

/* GET /rooms/{roomId}/state */
static void
get_state(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_room_event *events;
    struct json_object *arr;
    size_t n;

    if (sy_room_state(req->db, req->arena, sy_req_param(req, "roomId"), req->user_id, &events,
                      &n, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    arr = sy_json_new_array(req->arena);
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, json_object_get(event_json(req, &events[i])));
    sy_reply_json(req, 200, arr);
}

/* GET /rooms/{roomId}/state/{eventType}[/{stateKey}][?format=content|event] */
static void
get_state_event(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_room_event ev;
    struct json_object *obj, *content;
    const char *type = sy_req_param(req, "eventType");
    const char *state_key = sy_req_param(req, "stateKey");
    const char *format = sy_req_query(req, "format");
    int whole;

    if (state_key == NULL)
        state_key = "";
    if (format == NULL || strcmp(format, "content") == 0) {
        whole = 0;
    } else if (strcmp(format, "event") == 0) {
        whole = 1;
    } else {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "format must be \"content\" or \"event\"");
        return;
    }
    if (check_type_and_key_or_reply(req, type, state_key) != SY_OK)
        return;
    if (sy_room_state_event(req->db, req->arena, sy_req_param(req, "roomId"), req->user_id, type,
                            state_key, &ev, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    obj = event_json(req, &ev);
    if (whole) {
        sy_reply_json(req, 200, obj);
        return;
    }
    if ((content = sy_json_get_obj(obj, "content")) == NULL)
        content = sy_json_new_object(req->arena);
    sy_reply_json(req, 200, content);
}

/* GET /rooms/{roomId}/event/{eventId} */
static void
get_event(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_room_event ev;
    struct json_object *obj;

    if (sy_room_event_get(req->db, req->arena, sy_req_param(req, "roomId"),
                          sy_req_param(req, "eventId"), req->user_id, &ev, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    obj = event_json(req, &ev);
    if (sy_relations_bundle_event(req->db, req->arena, &ev, req->user_id, obj, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_json(req, 200, obj);
}

/* PUT /rooms/{roomId}/redact/{eventId}/{txnId} {reason?}: the body is the redaction's content. */
static void
put_redact(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_room_send s = {0};
    struct json_object *content;
    const char *reason = NULL;

    s.room_id = sy_req_param(req, "roomId");
    s.redacts = sy_req_param(req, "eventId");
    s.txn_id = sy_req_param(req, "txnId");
    if ((content = sy_req_json_opt_or_reply(req)) == NULL ||
        check_txn_or_reply(req, s.txn_id) != SY_OK)
        return;
    if (sy_json_opt_str(content, "reason", &reason, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    if (s.redacts == NULL || s.redacts[0] != '$') {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "not an event ID");
        return;
    }
    s.sender = req->user_id;
    s.type = "m.room.redaction";
    s.content = content;
    s.txn_device_id = req->device_id;
    send_and_reply(req, &s);
}

#define ROOMS "/_matrix/client/v3/rooms/{roomId}"

/*
 * A state key may be empty, and then the trailing slash is optional (spec).  The router
 * refuses empty parameters, so ".../state/{eventType}/" is a template of its own (a literal
 * empty segment), listed before the {stateKey} template that would refuse it.
 */
const struct sy_route sy_client_room_events_routes[] = {
    {.method = SY_PUT, .path = ROOMS "/state/{eventType}/", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .guest_ok = 1, .max_body = EVENT_BODY_MAX, .handler = put_state},
    {.method = SY_GET, .path = ROOMS "/state/{eventType}/", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .guest_ok = 1, .handler = get_state_event},
    {.method = SY_PUT, .path = ROOMS "/send/{eventType}/{txnId}", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .guest_ok = 1, .max_body = EVENT_BODY_MAX, .handler = put_send},
    {.method = SY_PUT, .path = ROOMS "/state/{eventType}/{stateKey}", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .guest_ok = 1, .max_body = EVENT_BODY_MAX, .handler = put_state},
    {.method = SY_PUT, .path = ROOMS "/state/{eventType}", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .guest_ok = 1, .max_body = EVENT_BODY_MAX, .handler = put_state},
    {.method = SY_GET, .path = ROOMS "/state", .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER,
     .guest_ok = 1, .handler = get_state},
    {.method = SY_GET, .path = ROOMS "/state/{eventType}/{stateKey}", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .guest_ok = 1, .handler = get_state_event},
    {.method = SY_GET, .path = ROOMS "/state/{eventType}", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .guest_ok = 1, .handler = get_state_event},
    {.method = SY_GET, .path = ROOMS "/event/{eventId}", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .guest_ok = 1, .handler = get_event},
    {.method = SY_PUT, .path = ROOMS "/redact/{eventId}/{txnId}", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .max_body = EVENT_BODY_MAX, .handler = put_redact},
};
const size_t sy_client_room_events_routes_count =
    sizeof(sy_client_room_events_routes) / sizeof(sy_client_room_events_routes[0]);
