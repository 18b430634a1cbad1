/*
 * api/client/versions.c -- discovery: /versions and the .well-known files.
 */
#include <string.h>

#include "api/routes.h"
#include "config.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "util/arena.h"

/* The spec versions whose Client-Server API this node answers as specified. */
static const char *const spec_versions[] = {
    "r0.6.1", "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10",
    "v1.11",
};

static void
get_versions(struct sy_req *req)
{
    struct json_object *o = sy_json_new_object(req->arena), *v = json_object_new_array();

    for (size_t i = 0; i < sizeof(spec_versions) / sizeof(spec_versions[0]); i++)
        json_object_array_add(v, json_object_new_string(spec_versions[i]));
    json_object_object_add(o, "versions", v);
    json_object_object_add(o, "unstable_features", json_object_new_object());
    sy_reply_json(req, 200, o);
}

static void
get_wellknown_client(struct sy_req *req)
{
    struct json_object *o = sy_json_new_object(req->arena), *hs = json_object_new_object();
    const char *base = req->node->cfg->public_baseurl;
    size_t len = strlen(base);

    /* Clients append paths to base_url; the spec's examples carry no trailing slash. */
    if (len > 0 && base[len - 1] == '/')
        len--;
    json_object_object_add(hs, "base_url", json_object_new_string_len(base, (int)len));
    json_object_object_add(o, "m.homeserver", hs);
    sy_reply_json(req, 200, o);
}

static void
get_wellknown_server(struct sy_req *req)
{
    struct json_object *o = sy_json_new_object(req->arena);
    const char *name = req->node->cfg->server_name;
    const char *delegated;

    /* An explicit port in the server name is where we listen; else the federation default. */
    if (strrchr(name, ':') != NULL && name[strlen(name) - 1] != ']')
        delegated = name;
    else
        delegated = sy_arena_printf(req->arena, "%s:8448", name);
    json_object_object_add(o, "m.server", json_object_new_string(delegated));
    sy_reply_json(req, 200, o);
}

const struct sy_route sy_client_versions_routes[] = {
    {.method = SY_GET, .path = "/_matrix/client/versions", .resource = SY_RES_CLIENT,
     .handler = get_versions},
    {.method = SY_GET, .path = "/.well-known/matrix/client", .resource = SY_RES_CLIENT,
     .handler = get_wellknown_client},
    {.method = SY_GET, .path = "/.well-known/matrix/server", .resource = SY_RES_FEDERATION,
     .handler = get_wellknown_server},
};
const size_t sy_client_versions_routes_count =
    sizeof(sy_client_versions_routes) / sizeof(sy_client_versions_routes[0]);
