/*
 * api/client/pushrules.c -- /pushrules/: the user's ruleset, and one
 * rule with its enabled flag and actions.
 *
 * push/rules.h holds the defaults, the ordering and the validation; this
 * file parses, calls it and answers.
 */
#include <string.h>

#include "api/routes.h"
#include "config.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "push/rules.h"
#include "util/err.h"

/* The {kind} path parameter; on failure it has replied. */
static int
kind_or_reply(struct sy_req *req)
{
    int kind = sy_push_kind_parse(sy_req_param(req, "kind"));

    if (kind < 0)
        sy_reply_error(req, 400, "M_INVALID_PARAM",
                       "kind must be override, content, room, sender or underride");
    return kind;
}

/* The user's merged ruleset; on failure it has replied. */
static int
ruleset_or_reply(struct sy_req *req, struct sy_push_ruleset *rs)
{
    struct sy_error err = {0};

    if (sy_push_ruleset_load(req->db, req->arena, req->user_id, rs, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return err.code;
    }
    return SY_OK;
}

/* The rule named by the path; on failure it has replied. */
static const struct sy_push_rule *
rule_or_reply(struct sy_req *req)
{
    struct sy_push_ruleset rs;
    const struct sy_push_rule *r;
    int kind;

    if ((kind = kind_or_reply(req)) < 0 || ruleset_or_reply(req, &rs) != SY_OK)
        return NULL;
    r = sy_push_ruleset_find(&rs, kind, sy_req_param(req, "ruleId"));
    if (r == NULL)
        sy_reply_error(req, 404, "M_NOT_FOUND", "no such push rule");
    return r;
}

static void
get_all(struct sy_req *req)
{
    struct sy_push_ruleset rs;

    if (ruleset_or_reply(req, &rs) != SY_OK)
        return;
    sy_reply_json(req, 200, sy_push_account_data_content(req->arena, req->user_id, &rs));
}

static void
get_global(struct sy_req *req)
{
    struct sy_push_ruleset rs;

    if (ruleset_or_reply(req, &rs) != SY_OK)
        return;
    sy_reply_json(req, 200, sy_push_ruleset_json(req->arena, req->user_id, &rs));
}

static void
get_rule(struct sy_req *req)
{
    const struct sy_push_rule *r = rule_or_reply(req);

    if (r != NULL)
        sy_reply_json(req, 200, sy_push_rule_json(req->arena, req->user_id, r));
}

static void
put_rule(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body;
    int kind;

    if ((kind = kind_or_reply(req)) < 0 || (body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (sy_push_rule_put(req->db, req->arena, req->user_id, kind, sy_req_param(req, "ruleId"), body,
                         sy_req_query(req, "before"), sy_req_query(req, "after"), &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_empty(req);
}

static void
delete_rule(struct sy_req *req)
{
    struct sy_error err = {0};
    int kind;

    if ((kind = kind_or_reply(req)) < 0)
        return;
    if (sy_push_rule_delete(req->db, req->arena, req->user_id, kind, sy_req_param(req, "ruleId"), &err) !=
        SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_empty(req);
}

static void
get_enabled(struct sy_req *req)
{
    const struct sy_push_rule *r = rule_or_reply(req);
    struct json_object *o;

    if (r == NULL)
        return;
    o = sy_json_new_object(req->arena);
    json_object_object_add(o, "enabled", json_object_new_boolean(r->enabled));
    sy_reply_json(req, 200, o);
}

static void
put_enabled(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body, *v;
    int kind;

    if ((kind = kind_or_reply(req)) < 0 || (body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (!json_object_object_get_ex(body, "enabled", &v)) {
        sy_reply_error(req, 400, "M_MISSING_PARAM", "missing 'enabled'");
        return;
    }
    if (v == NULL || !json_object_is_type(v, json_type_boolean)) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "'enabled' must be a boolean");
        return;
    }
    if (sy_push_rule_set_enabled(req->db, req->arena, req->user_id, kind, sy_req_param(req, "ruleId"),
                                 json_object_get_boolean(v), &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_empty(req);
}

static void
get_actions(struct sy_req *req)
{
    const struct sy_push_rule *r = rule_or_reply(req);
    struct json_object *o, *rule;

    if (r == NULL)
        return;
    rule = sy_push_rule_json(req->arena, req->user_id, r);
    o = sy_json_new_object(req->arena);
    json_object_object_add(o, "actions", json_object_get(sy_json_get(rule, "actions")));
    sy_reply_json(req, 200, o);
}

static void
put_actions(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *body, *v;
    int kind;

    if ((kind = kind_or_reply(req)) < 0 || (body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (!json_object_object_get_ex(body, "actions", &v)) {
        sy_reply_error(req, 400, "M_MISSING_PARAM", "missing 'actions'");
        return;
    }
    if (sy_push_rule_set_actions(req->db, req->arena, req->user_id, kind,
                                 sy_req_param(req, "ruleId"), v, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    sy_reply_empty(req);
}

#define P "/_matrix/client/v3/pushrules"
#define R(m, sub, h)                                                                               \
    {                                                                                              \
        .method = (m), .path = P sub, .resource = SY_RES_CLIENT, .auth = SY_AUTH_USER,             \
        .max_body = 64 * 1024, .handler = (h)                                                      \
    }

const struct sy_route sy_client_pushrules_routes[] = {
    R(SY_GET, "/", get_all),
    R(SY_GET, "", get_all),
    R(SY_GET, "/global/", get_global),
    R(SY_GET, "/global", get_global),
    R(SY_GET, "/global/{kind}/{ruleId}", get_rule),
    R(SY_PUT, "/global/{kind}/{ruleId}", put_rule),
    R(SY_DELETE, "/global/{kind}/{ruleId}", delete_rule),
    R(SY_GET, "/global/{kind}/{ruleId}/enabled", get_enabled),
    R(SY_PUT, "/global/{kind}/{ruleId}/enabled", put_enabled),
    R(SY_GET, "/global/{kind}/{ruleId}/actions", get_actions),
    R(SY_PUT, "/global/{kind}/{ruleId}/actions", put_actions),
};
const size_t sy_client_pushrules_routes_count =
    sizeof(sy_client_pushrules_routes) / sizeof(sy_client_pushrules_routes[0]);
