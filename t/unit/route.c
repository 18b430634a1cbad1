/*
 * t/unit/route.c -- route template matching.
 */
#include <string.h>

#include "../lib/tap.h"
#include "http/route.h"
#include "util/arena.h"

static void h(struct sy_req *r) {}

static const struct sy_route table[] = {
    {.method = SY_GET, .path = "/_matrix/client/v3/profile/{userId}", .handler = h},
    {.method = SY_GET | SY_PUT, .path = "/_matrix/client/v3/profile/{userId}/displayname",
     .handler = h},
    {.method = SY_POST, .path = "/_matrix/client/v3/login", .handler = h},
    {.method = SY_GET, .path = "/_matrix/client/v3/login", .handler = h},
};

int
main(void)
{
    const struct sy_route *const tables[] = {table};
    const size_t counts[] = {sizeof(table) / sizeof(table[0])};
    struct sy_router *r = sy_router_new(tables, counts, 1);
    struct sy_arena *a = sy_arena_new();
    struct sy_route_match m;

    is_int(sy_router_match(r, SY_GET, "/_matrix/client/v3/profile/%40a%3Ab", a, &m), SY_MATCH_OK,
           "parameterised path matches");
    ok(m.route == &table[0], "the right route");
    is_int((int)m.n_params, 1, "one parameter");
    is_str(m.names[0], "userId", "parameter name");
    is_str(m.values[0], "@a:b", "parameter value is percent-decoded");

    is_int(sy_router_match(r, SY_PUT, "/_matrix/client/v3/profile/x/displayname", a, &m),
           SY_MATCH_OK, "multi-method route matches PUT");
    ok(m.route == &table[1], "longer template chosen by segment count");

    is_int(sy_router_match(r, SY_GET, "/_matrix/client/v3/login", a, &m), SY_MATCH_OK,
           "same path, second method");
    ok(m.route == &table[3], "GET /login goes to the GET route");

    is_int(sy_router_match(r, SY_DELETE, "/_matrix/client/v3/login", a, &m),
           SY_MATCH_BAD_METHOD, "wrong method is 405");
    ok((m.allowed & (SY_GET | SY_POST)) == (SY_GET | SY_POST), "allowed methods collected");
    is_int(sy_router_match(r, SY_GET, "/_matrix/client/v3/nothing", a, &m), SY_MATCH_NOT_FOUND,
           "unknown path is 404");
    is_int(sy_router_match(r, SY_GET, "/_matrix/client/v3/profile", a, &m), SY_MATCH_NOT_FOUND,
           "missing parameter segment is 404");
    is_int(sy_router_match(r, SY_GET, "/_matrix/client/v3/profile/%zz", a, &m),
           SY_MATCH_BAD_PATH, "malformed escape is a bad path");
    is_int(sy_router_match(r, SY_GET, "/_matrix/client/v3/profile/", a, &m), SY_MATCH_BAD_PATH,
           "empty parameter is a bad path");

    sy_arena_free(a);
    sy_router_free(r);
    return done_testing();
}
