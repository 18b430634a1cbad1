/*
 * http/route.h -- the route table entry and the matcher.
 *
 * Each API file exports its routes as a static const array of struct
 * sy_route (a designated-initializer table, like tmux's cmd_entry).  The
 * router splits templates once at start; matching walks the table
 * comparing segments, so it allocates nothing but captured parameters.
 */
#ifndef SY_HTTP_ROUTE_H
#define SY_HTTP_ROUTE_H

#include <stddef.h>

struct sy_req;
struct sy_arena;

enum sy_method {
    SY_GET = 1 << 0,
    SY_POST = 1 << 1,
    SY_PUT = 1 << 2,
    SY_DELETE = 1 << 3,
    SY_OPTIONS = 1 << 4,
    SY_HEAD = 1 << 5,
};

enum sy_auth {
    SY_AUTH_NONE = 0,     /* no token looked at */
    SY_AUTH_USER,         /* a valid access token is required */
    SY_AUTH_OPTIONAL,     /* a token is checked when given */
};

enum sy_rate_class {
    SY_RL_NONE = 0,
    SY_RL_LOGIN,    /* per IP before the handler; per user in the handler */
    SY_RL_REGISTER, /* per IP: checked before the handler, spent when an account is made */
    SY_RL_QUERY,    /* per IP, cheap unauthenticated look-ups (name availability) */
};

#define SY_ROUTE_MAX_PARAMS 8

struct sy_route {
    unsigned method;    /* SY_GET | ... */
    const char *path;   /* "/_matrix/client/v3/profile/{userId}/displayname" */
    unsigned resource;  /* SY_RES_* from config.h: which listeners serve it */
    int auth;           /* enum sy_auth */
    int guest_ok;       /* guests may call it (the spec's guest list) */
    int rate_class;     /* enum sy_rate_class */
    size_t max_body;    /* 0 = the configured limits.max_request_body */
    void (*handler)(struct sy_req *req);
};

struct sy_router;

/* Build a router over 'n' route tables ('tables[i]' with 'counts[i]' entries); owner frees. */
struct sy_router *sy_router_new(const struct sy_route *const *tables, const size_t *counts,
                                size_t n);
void sy_router_free(struct sy_router *r);

enum sy_match {
    SY_MATCH_OK = 0,
    SY_MATCH_NOT_FOUND,  /* no template matches the path: 404 M_UNRECOGNIZED */
    SY_MATCH_BAD_METHOD, /* a template matches, not with this method: 405 M_UNRECOGNIZED */
    SY_MATCH_BAD_PATH,   /* a path segment does not decode: 400 */
};

struct sy_route_match {
    const struct sy_route *route;
    unsigned allowed;   /* methods the matching templates accept (for 405 and OPTIONS) */
    unsigned resources; /* SY_RES_* of the matching templates, whatever their method */
    size_t n_params;
    const char *names[SY_ROUTE_MAX_PARAMS];
    const char *values[SY_ROUTE_MAX_PARAMS]; /* percent-decoded, in 'a' */
};

/* Match 'path' (no query string) and 'method' (one SY_* bit). */
enum sy_match sy_router_match(const struct sy_router *r, unsigned method, const char *path,
                              struct sy_arena *a, struct sy_route_match *m);

#endif /* SY_HTTP_ROUTE_H */
