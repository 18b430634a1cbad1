/*
 * http/req.h -- one HTTP request as the API handlers see it.
 *
 * The server (http/server.c) creates a struct sy_req per request with its
 * own arena; the arena and everything in it is freed when the request is.
 * Handlers read parameters through these calls and answer through
 * http/reply.h exactly once.  No handler sees libevhtp.
 */
#ifndef SY_HTTP_REQ_H
#define SY_HTTP_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "http/route.h"

struct sy_arena;
struct sy_node;
struct sy_db;
struct json_object;
struct sy_park;

struct sy_req {
    struct sy_arena *arena;
    struct sy_node *node;
    struct sy_db *db; /* the worker thread's connection */
    const struct sy_route *route; /* NULL when nothing matched */
    struct sy_route_match match;
    int match_rc;                 /* enum sy_match */
    unsigned method;       /* one SY_* bit */
    const char *method_name;
    const char *path;      /* raw path, no query */
    const char *query;     /* raw query string or NULL */
    const char *remote_ip;
    char id[24];           /* request id for logs */
    int64_t start_us;
    unsigned listener_resources;

    /* filled by authentication when the route asks for it */
    const char *user_id;
    const char *device_id;
    int is_guest;
    int is_admin;
    const unsigned char *token_hash; /* 32 bytes, or NULL */

    /* body, as received (capped by the route's max_body) */
    const char *body;
    size_t body_len;
    size_t body_cap;
    int body_too_big;

    int status; /* set by the reply */
    int replied;
    int counted; /* in the server's in-flight count */
    struct sy_park *park; /* set while parked or after a park; private to http/ */
    void *park_arg;       /* the parking handler's own state */
    void *ev;   /* evhtp_request_t; private to http/ */
};

/*
 * Long-poll parking.  A handler that must wait calls sy_req_park() and
 * returns without replying: the request then costs no thread.  Exactly one
 * on_wake(req, timed_out) follows on the same worker thread -- after
 * sy_req_wake() (from any thread) or after timeout_ms -- and it either
 * replies or parks again.  The worker's database connection serves other
 * requests meanwhile.
 *
 * sy_req_park_detach() names what to undo when this park ends (e.g.
 * unregister from the notifier): detach(arg) runs once, on the worker
 * thread, before on_wake or before the request is freed -- so nothing can
 * wake a request that is gone.
 */
typedef void (*sy_req_wake_fn)(struct sy_req *req, int timed_out);
void sy_req_park(struct sy_req *req, int64_t timeout_ms, sy_req_wake_fn on_wake);
void sy_req_park_detach(struct sy_req *req, void (*detach)(void *), void *arg);
/* Wake a parked request; safe from any thread until its detach has run. */
void sy_req_wake(struct sy_req *req);

/* A path parameter captured by "{name}", percent-decoded; NULL if absent. */
const char *sy_req_param(const struct sy_req *req, const char *name);
/* A query parameter, percent-decoded ('+' is a space); NULL if absent. */
const char *sy_req_query(struct sy_req *req, const char *name);
/* A request header (case-insensitive name); NULL if absent. */
const char *sy_req_header(const struct sy_req *req, const char *name);
/*
 * The body parsed as a JSON object with the configured depth limit, owned
 * by the request arena.  On any failure it has already replied with the
 * Matrix error (M_NOT_JSON, M_BAD_JSON, M_TOO_LARGE) and returns NULL.
 */
struct json_object *sy_req_json_or_reply(struct sy_req *req);
/* Like sy_req_json_or_reply but an empty body yields an empty object. */
struct json_object *sy_req_json_opt_or_reply(struct sy_req *req);

#endif /* SY_HTTP_REQ_H */
