/*
 * http/req.c -- reading a request: parameters, query, headers, JSON body.
 */
#include <evhtp.h>
#include <string.h>

#include "config.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/str.h"

const char *
sy_req_param(const struct sy_req *req, const char *name)
{
    for (size_t i = 0; i < req->match.n_params; i++)
        if (strcmp(req->match.names[i], name) == 0)
            return req->match.values[i];
    return NULL;
}

/* Decode a query component: '+' is a space, then percent escapes. */
static char *
query_decode(struct sy_arena *a, const char *s, size_t n)
{
    char *tmp = sy_arena_strndup(a, s, n);

    for (char *p = tmp; *p; p++)
        if (*p == '+')
            *p = ' ';
    return sy_str_urldecode(a, tmp, n);
}

const char *
sy_req_query(struct sy_req *req, const char *name)
{
    const char *p = req->query;
    size_t name_len = strlen(name);

    while (p != NULL && *p != '\0') {
        const char *end = strchr(p, '&'), *eq;
        size_t len = end ? (size_t)(end - p) : strlen(p);

        eq = memchr(p, '=', len);
        if (eq != NULL) {
            char *key = query_decode(req->arena, p, (size_t)(eq - p));

            if (key != NULL && strlen(key) == name_len && memcmp(key, name, name_len) == 0)
                return query_decode(req->arena, eq + 1, len - (size_t)(eq - p) - 1);
        } else if (len == name_len && memcmp(p, name, len) == 0) {
            return "";
        }
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

const char *
sy_req_header(const struct sy_req *req, const char *name)
{
    evhtp_request_t *ev = req->ev;

    return evhtp_kv_find(ev->headers_in, name);
}

static struct json_object *
parse_body(struct sy_req *req, int empty_ok)
{
    struct sy_error err = {0};
    struct json_object *o;

    if (req->body_len == 0 && empty_ok)
        return sy_json_new_object(req->arena);
    if (sy_json_parse(req->arena, req->body, req->body_len, req->node->cfg->max_json_depth, &o,
                      &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return NULL;
    }
    if (!json_object_is_type(o, json_type_object)) {
        sy_reply_error(req, 400, "M_BAD_JSON", "request body must be a JSON object");
        return NULL;
    }
    return o;
}

struct json_object *
sy_req_json_or_reply(struct sy_req *req)
{
    return parse_body(req, 0);
}

struct json_object *
sy_req_json_opt_or_reply(struct sy_req *req)
{
    return parse_body(req, 1);
}
