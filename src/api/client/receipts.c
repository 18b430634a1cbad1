/*
 * api/client/receipts.c -- POST /rooms/{roomId}/receipt/{receiptType}/{eventId}
 * and POST /rooms/{roomId}/read_markers.
 *
 * Both hand their receipts to sync/ephemeral.h, which checks them and
 * stores them all or none.
 */
#include <string.h>

#include "api/routes.h"
#include "config.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "sync/ephemeral.h"
#include "util/err.h"

static void
post_receipt(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body, *v;
    struct sy_receipt_req r = {
        .type = sy_req_param(req, "receiptType"),
        .event_id = sy_req_param(req, "eventId"),
    };

    if (!sy_receipt_type_valid(r.type)) {
        sy_reply_error(req, 400, "M_INVALID_PARAM",
                       "receipt type must be m.read, m.read.private or m.fully_read");
        return;
    }
    /* Clients of old send no body at all; treat that as {}. */
    if ((body = sy_req_json_opt_or_reply(req)) == NULL)
        return;
    if (json_object_object_get_ex(body, "thread_id", &v)) {
        if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0) {
            sy_reply_error(req, 400, "M_INVALID_PARAM",
                           "thread_id field must be a non-empty string");
            return;
        }
        r.thread_id = json_object_get_string(v);
    }
    if (sy_receipts_post(req->db, req->arena, req->user_id, sy_req_param(req, "roomId"), &r, 1,
                         &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_empty(req);
}

static void
post_read_markers(struct sy_req *req)
{
    static const char *const types[] = {"m.fully_read", "m.read", "m.read.private"};
    struct sy_receipt_req r[3];
    struct sy_error err = {0};
    struct json_object *body, *v;
    size_t n = 0;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    /* Unknown keys are ignored (Synapse: receipt types are extensible); known ones must be IDs. */
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (!json_object_object_get_ex(body, types[i], &v) || v == NULL)
            continue;
        if (!json_object_is_type(v, json_type_string)) {
            sy_reply_error(req, 400, "M_INVALID_PARAM", "'%s' must be an event ID", types[i]);
            return;
        }
        r[n++] = (struct sy_receipt_req){.type = types[i], .event_id = json_object_get_string(v)};
    }
    if (n > 0 && sy_receipts_post(req->db, req->arena, req->user_id,
                                  sy_req_param(req, "roomId"), r, n, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_empty(req);
}

const struct sy_route sy_client_receipts_routes[] = {
    {.method = SY_POST, .path = "/_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId}",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .max_body = 4096, .handler = post_receipt},
    {.method = SY_POST, .path = "/_matrix/client/v3/rooms/{roomId}/read_markers",
     .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER, .max_body = 4096,
     .handler = post_read_markers},
};
const size_t sy_client_receipts_routes_count = 2;
