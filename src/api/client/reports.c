/*
 * api/client/reports.c -- reporting content to the server's admins:
 * POST /rooms/{roomId}/report/{eventId} and POST /rooms/{roomId}/report.
 *
 * Reports are stored for the admin API (db/reports.h).  As in Synapse, an
 * event can only be reported by someone who may see it (history
 * visibility; a redacted event counts as gone), and a room only if this
 * node knows it; both answer 404 otherwise, the same as for an unknown ID.
 */
#include <string.h>

#include "api/routes.h"
#include "config.h"
#include "db/reports.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "rooms/room.h"
#include "util/err.h"
#include "util/time.h"

#define REPORT_BODY_MAX (16 * 1024)

static void
store_and_reply(struct sy_req *req, struct sy_report *r)
{
    struct sy_error err = {0};

    r->reporter = req->user_id;
    r->created_ts = sy_now_ms();
    if (sy_db_report_add(req->db, r, NULL, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_empty(req);
}

/* POST /rooms/{roomId}/report/{eventId} {reason?, score?} */
static void
post_report_event(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_report r = {0};
    struct sy_room_event ev;
    struct json_object *body, *score;
    int rc;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (json_object_object_get_ex(body, "reason", NULL) &&
        !json_object_is_type(sy_json_get(body, "reason"), json_type_string)) {
        sy_reply_error(req, 400, "M_BAD_JSON", "'reason' must be a string");
        return;
    }
    r.reason = sy_json_get_str(body, "reason");
    /* 'score' left the spec in v1.18; older clients send -100 (most offensive) to 0. */
    if (json_object_object_get_ex(body, "score", &score)) {
        if (!json_object_is_type(score, json_type_int) || json_object_get_int64(score) < -100 ||
            json_object_get_int64(score) > 0) {
            sy_reply_error(req, 400, "M_BAD_JSON",
                           "'score' must be an integer between -100 and 0");
            return;
        }
        r.has_score = 1;
        r.score = json_object_get_int64(score);
    }
    r.room_id = sy_req_param(req, "roomId");
    r.event_id = sy_req_param(req, "eventId");
    rc = sy_room_event_get(req->db, req->arena, r.room_id, r.event_id, req->user_id, &ev, &err);
    if (rc != SY_OK && rc != SY_ENOTFOUND && rc != SY_EFORBIDDEN) {
        sy_reply_sy_error(req, &err);
        return;
    }
    if (rc != SY_OK || ev.redacted_by != NULL) {
        sy_reply_error(req, 404, "M_NOT_FOUND",
                       "unable to report event: it does not exist or you cannot see it");
        return;
    }
    store_and_reply(req, &r);
}

/* POST /rooms/{roomId}/report {reason} */
static void
post_report_room(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_report r = {0};
    struct sy_room_info info;
    struct json_object *body;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if ((r.reason = sy_json_get_str(body, "reason")) == NULL) {
        sy_reply_error(req, 400, "M_BAD_JSON", "'reason' is required and must be a string");
        return;
    }
    r.room_id = sy_req_param(req, "roomId");
    if (sy_room_get(req->db, req->arena, r.room_id, &info, &err) != SY_OK) {
        if (err.code == SY_ENOTFOUND)
            sy_reply_error(req, 404, "M_NOT_FOUND", "room not found");
        else
            sy_reply_sy_error(req, &err);
        return;
    }
    store_and_reply(req, &r);
}

const struct sy_route sy_client_reports_routes[] = {
    {.method = SY_POST, .path = "/_matrix/client/v3/rooms/{roomId}/report/{eventId}",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .max_body = REPORT_BODY_MAX,
     .handler = post_report_event},
    {.method = SY_POST, .path = "/_matrix/client/v3/rooms/{roomId}/report",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .max_body = REPORT_BODY_MAX,
     .handler = post_report_room},
};
const size_t sy_client_reports_routes_count =
    sizeof(sy_client_reports_routes) / sizeof(sy_client_reports_routes[0]);
