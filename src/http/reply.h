/*
 * http/reply.h -- answering a request: JSON bodies and Matrix errors.
 *
 * Every reply carries the CORS headers Matrix web clients need.  A handler
 * replies exactly once; a second reply is a bug and is dropped with a log
 * line.
 */
#ifndef SY_HTTP_REPLY_H
#define SY_HTTP_REPLY_H

#include <stddef.h>

struct sy_req;
struct sy_error;
struct json_object;

/* Serialise 'obj' (not consumed) and send it with 'status'. */
void sy_reply_json(struct sy_req *req, int status, struct json_object *obj);
/* Send already-serialised JSON text. */
void sy_reply_json_text(struct sy_req *req, int status, const char *text, size_t len);
/* {} with 200. */
void sy_reply_empty(struct sy_req *req);
/* {"errcode": errcode, "error": msg} with 'status'. */
void sy_reply_error(struct sy_req *req, int status, const char *errcode, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The Matrix error for a filled struct sy_error (logs the log-only detail). */
void sy_reply_sy_error(struct sy_req *req, const struct sy_error *err);
/* Any body with a content type (for non-JSON resources). */
void sy_reply_raw(struct sy_req *req, int status, const char *content_type, const void *data,
                  size_t len);

#endif /* SY_HTTP_REPLY_H */
