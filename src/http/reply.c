/*
 * http/reply.c -- answering a request: JSON bodies, Matrix errors, CORS.
 */
#include <evhtp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "http/reply.h"
#include "http/park.h"
#include "http/req.h"
#include "json/json.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/log.h"

static void
add_header(evhtp_request_t *ev, const char *k, const char *v)
{
    evhtp_headers_add_header(ev->headers_out, evhtp_header_new(k, v, 0, 0));
}

static void
add_common_headers(evhtp_request_t *ev)
{
    /* What Matrix web clients need for cross-origin calls (spec: "Web Browser Clients"). */
    add_header(ev, "Access-Control-Allow-Origin", "*");
    add_header(ev, "Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS");
    add_header(ev, "Access-Control-Allow-Headers",
               "X-Requested-With, Content-Type, Authorization, Date");
    add_header(ev, "Access-Control-Expose-Headers", "Content-Disposition");
}

void
sy_reply_raw(struct sy_req *req, int status, const char *content_type, const void *data,
             size_t len)
{
    evhtp_request_t *ev = req->ev;

    if (req->replied) {
        sy_log(SY_LOG_ERROR, "%s: second reply to %s %s dropped", req->id, req->method_name,
               req->path);
        return;
    }
    req->replied = 1;
    req->status = status;
    add_common_headers(ev);
    if (content_type != NULL)
        add_header(ev, "Content-Type", content_type);
    if (len > 0 && req->method != SY_HEAD)
        evbuffer_add(ev->buffer_out, data, len);
    evhtp_send_reply(ev, (evhtp_res)status);
    sy_park_after_reply(req);
}

void
sy_reply_json_text(struct sy_req *req, int status, const char *text, size_t len)
{
    sy_reply_raw(req, status, "application/json", text, len);
}

void
sy_reply_json(struct sy_req *req, int status, struct json_object *obj)
{
    size_t len;
    const char *text = sy_json_text(obj, &len);

    sy_reply_json_text(req, status, text, len);
}

void
sy_reply_empty(struct sy_req *req)
{
    sy_reply_json_text(req, 200, "{}", 2);
}

static void
reply_error_msg(struct sy_req *req, int status, const char *errcode, const char *msg,
                long retry_after_ms)
{
    struct json_object *o = sy_json_new_object(req->arena);

    json_object_object_add(o, "errcode", json_object_new_string(errcode));
    json_object_object_add(o, "error", json_object_new_string(msg));
    if (retry_after_ms > 0)
        json_object_object_add(o, "retry_after_ms", json_object_new_int64(retry_after_ms));
    sy_reply_json(req, status, o);
}

void
sy_reply_error(struct sy_req *req, int status, const char *errcode, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    reply_error_msg(req, status, errcode, msg, 0);
}

void
sy_reply_sy_error(struct sy_req *req, const struct sy_error *err)
{
    int status = sy_error_http_status(err);
    const char *errcode = err->errcode != NULL ? err->errcode : "M_UNKNOWN";

    if (status >= 500 || err->log_detail[0] != '\0')
        sy_log(status >= 500 ? SY_LOG_ERROR : SY_LOG_INFO, "%s: %s %s: %s: %s%s%s", req->id,
               req->method_name, req->path, errcode, err->msg, err->log_detail[0] ? ": " : "",
               err->log_detail);
    reply_error_msg(req, status, errcode, status >= 500 && err->code == SY_EDB
                                              ? "internal server error"
                                              : err->msg,
                    err->retry_after_ms);
}
