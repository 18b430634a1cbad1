/*
 * api/client/capabilities.c -- GET /capabilities.
 */
#include "api/routes.h"
#include "config.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"

/* Room versions this node supports (see rooms/ for their rules). */
static const char *const room_versions[] = {"6", "7", "8", "9", "10", "11", "12"};

static struct json_object *
enabled(int on)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "enabled", json_object_new_boolean(on));
    return o;
}

static void
get_capabilities(struct sy_req *req)
{
    struct json_object *o = sy_json_new_object(req->arena), *caps = json_object_new_object();
    struct json_object *rv = json_object_new_object(), *avail = json_object_new_object();

    for (size_t i = 0; i < sizeof(room_versions) / sizeof(room_versions[0]); i++)
        json_object_object_add(avail, room_versions[i], json_object_new_string("stable"));
    json_object_object_add(rv, "default",
                           json_object_new_string(req->node->cfg->default_room_version));
    json_object_object_add(rv, "available", avail);
    json_object_object_add(caps, "m.room_versions", rv);
    json_object_object_add(caps, "m.change_password", enabled(1));
    json_object_object_add(caps, "m.set_displayname", enabled(1));
    json_object_object_add(caps, "m.set_avatar_url", enabled(1));
    json_object_object_add(caps, "m.3pid_changes", enabled(0));
    json_object_object_add(caps, "m.get_login_token", enabled(0));
    json_object_object_add(o, "capabilities", caps);
    sy_reply_json(req, 200, o);
}

const struct sy_route sy_client_capabilities_routes[] = {
    {.method = SY_GET, .path = "/_matrix/client/v3/capabilities", .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER, .guest_ok = 1, .handler = get_capabilities},
};
const size_t sy_client_capabilities_routes_count = 1;
