/*
 * api/client/register.c -- POST /register (users through UIA, guests),
 * GET /register/available.
 */
#include <ctype.h>
#include <string.h>

#include "accounts.h"
#include "api/client/uia.h"
#include "api/routes.h"
#include "config.h"
#include "db/db.h"
#include "db/regtokens.h"
#include "db/users.h"
#include "http/ratelimit.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "userid.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/rand.h"
#include "util/time.h"

static const struct sy_uia_flow dummy_flow[] = {{{"m.login.dummy"}}};
static const struct sy_uia_flow token_flow[] = {{{"m.login.registration_token"}}};

static int
all_digits(const char *s)
{
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* Lower-case the requested name and check it is a valid, free localpart. */
static int
check_username(struct sy_req *req, const char *username, const char **localpart,
               struct sy_error *err)
{
    char *lp = sy_arena_strdup(req->arena, username);
    int taken;

    for (char *p = lp; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (!sy_localpart_valid(lp))
        return sy_err_invalid(err, "M_INVALID_USERNAME",
                              "user ID may only contain a-z, 0-9, and . _ = - / +");
    /* Guests get numeric names (register_guest); users may not take one (as Synapse). */
    if (all_digits(lp))
        return sy_err_invalid(err, "M_INVALID_USERNAME",
                              "numeric user IDs are reserved for guest users");
    if (strlen(sy_userid_make(req->arena, lp, req->node->cfg->server_name)) > SY_USERID_MAX)
        return sy_err_invalid(err, "M_INVALID_USERNAME", "user ID is too long");
    taken = sy_db_user_localpart_taken(req->db, lp, err);
    if (taken < 0)
        return taken;
    if (taken)
        return sy_err_invalid(err, "M_USER_IN_USE", "user ID already taken");
    *localpart = lp;
    return SY_OK;
}

/* The 200 body; with inhibit_login no session is opened. */
static void
reply_registered(struct sy_req *req, const char *user_id, int inhibit_login,
                 const char *device_id, const char *display)
{
    struct json_object *o = sy_json_new_object(req->arena);
    struct sy_error err = {0};
    struct sy_session s;

    json_object_object_add(o, "user_id", json_object_new_string(user_id));
    json_object_object_add(o, "home_server", json_object_new_string(req->node->cfg->server_name));
    if (!inhibit_login) {
        if (sy_account_open_session(req->db, req->arena, user_id, device_id, display,
                                    req->remote_ip, &s, &err) != SY_OK) {
            sy_reply_sy_error(req, &err);
            return;
        }
        json_object_object_add(o, "access_token", json_object_new_string(s.access_token));
        json_object_object_add(o, "device_id", json_object_new_string(s.device_id));
    }
    sy_reply_json(req, 200, o);
}

/*
 * Registrations per IP are counted when an account is about to be made, so
 * UIA round trips and retries after an error do not use up the budget.
 */
static int
spend_registration(struct sy_req *req, struct sy_error *err)
{
    long retry = 0;

    if (!req->node->cfg->rate_limits_enabled ||
        sy_ratelimit_take(req->node->rl_register_ip, req->remote_ip, &retry) == SY_OK)
        return SY_OK;
    sy_error_set(err, SY_ELIMIT, 429, "M_LIMIT_EXCEEDED", "too many registrations");
    err->retry_after_ms = retry;
    return SY_ELIMIT;
}

static void
register_guest(struct sy_req *req, struct json_object *body)
{
    struct sy_new_account acct = {0};
    struct sy_error err = {0};
    const char *user_id, *display = NULL;
    int rc;

    if (!req->node->cfg->guest_access) {
        sy_reply_error(req, 403, "M_GUEST_ACCESS_FORBIDDEN", "guest access is disabled");
        return;
    }
    if (sy_json_opt_str(body, "initial_device_display_name", &display, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    if (spend_registration(req, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    acct.is_guest = 1;
    /* Guests get numeric names, like Synapse's; a clash just draws again. */
    do {
        acct.localpart = sy_rand_string(req->arena, 12, "0123456789");
        rc = sy_account_create(req->db, req->arena, req->node->cfg, &acct, &user_id, &err);
    } while (rc == SY_ECONFLICT);
    if (rc != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    /* The spec ignores a guest's device_id and inhibit_login. */
    reply_registered(req, user_id, 0, NULL, display);
}

/* Create the account and count the registration token, in one transaction. */
static int
create_user(struct sy_req *req, const struct sy_new_account *acct, const char *token,
            const char **user_id, struct sy_error *err)
{
    if (spend_registration(req, err) != SY_OK || sy_db_begin(req->db, err) != SY_OK)
        return err->code;
    if ((token != NULL && sy_db_regtoken_use(req->db, token, sy_now_ms(), err) != SY_OK) ||
        sy_account_create(req->db, req->arena, req->node->cfg, acct, user_id, err) != SY_OK ||
        sy_db_commit(req->db, err) != SY_OK) {
        sy_db_rollback(req->db);
        return err->code;
    }
    return SY_OK;
}

static void
post_register(struct sy_req *req)
{
    const struct sy_config *cfg = req->node->cfg;
    struct sy_error err = {0};
    struct sy_new_account acct = {0};
    struct sy_uia_done done;
    struct json_object *body;
    const char *kind = sy_req_query(req, "kind"), *username = NULL, *user_id;
    const char *device_id = NULL, *display = NULL;
    int inhibit = 0;

    if ((body = sy_req_json_opt_or_reply(req)) == NULL)
        return;
    if (kind != NULL && strcmp(kind, "guest") == 0) {
        register_guest(req, body);
        return;
    }
    if (kind != NULL && strcmp(kind, "user") != 0) {
        sy_reply_error(req, 400, "M_UNRECOGNIZED", "kind must be 'user' or 'guest'");
        return;
    }
    if (!cfg->registration_enabled) {
        sy_reply_error(req, 403, "M_FORBIDDEN", "registration is disabled");
        return;
    }
    if (sy_json_opt_str(body, "username", &username, &err) != SY_OK ||
        sy_json_opt_str(body, "password", &acct.password, &err) != SY_OK ||
        sy_json_opt_str(body, "device_id", &device_id, &err) != SY_OK ||
        sy_json_opt_str(body, "initial_device_display_name", &display, &err) != SY_OK ||
        sy_json_opt_bool(body, "inhibit_login", &inhibit, &err) != SY_OK)
        goto fail;
    /* The same rule as /login: a device ID names a row and a key owner. */
    if (device_id != NULL && (device_id[0] == '\0' || strlen(device_id) > 255)) {
        sy_reply_error(req, 400, "M_INVALID_PARAM", "invalid device_id");
        return;
    }
    if (username != NULL && check_username(req, username, &acct.localpart, &err) != SY_OK)
        goto fail;
    if (acct.password == NULL && sy_json_get(body, "auth") != NULL) {
        sy_reply_error(req, 400, "M_MISSING_PARAM", "missing 'password'");
        return;
    }
    if (sy_uia_run(req, body, "register", cfg->registration_requires_token ? token_flow : dummy_flow,
                   1, &done) != SY_OK)
        return;
    if (acct.password == NULL) {
        sy_reply_error(req, 400, "M_MISSING_PARAM", "missing 'password'");
        return;
    }
    if (acct.localpart == NULL)
        acct.localpart = sy_rand_string(req->arena, 12, "0123456789");
    if (create_user(req, &acct, done.registration_token, &user_id, &err) != SY_OK)
        goto fail;
    sy_uia_finish(req, &done);
    reply_registered(req, user_id, inhibit, device_id, display);
    return;
fail:
    sy_reply_sy_error(req, &err);
}

static void
get_register_available(struct sy_req *req)
{
    struct sy_error err = {0};
    const char *username = sy_req_query(req, "username"), *lp;
    struct json_object *o;

    /* The spec's 403 for the validity endpoint; Synapse answers this one the same way. */
    if (!req->node->cfg->registration_enabled) {
        sy_reply_error(req, 403, "M_FORBIDDEN", "registration is disabled");
        return;
    }
    if (username == NULL) {
        sy_reply_error(req, 400, "M_MISSING_PARAM", "missing 'username'");
        return;
    }
    if (check_username(req, username, &lp, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    o = sy_json_new_object(req->arena);
    json_object_object_add(o, "available", json_object_new_boolean(1));
    sy_reply_json(req, 200, o);
}

static void
get_regtoken_validity(struct sy_req *req)
{
    struct sy_error err = {0};
    const char *token = sy_req_query(req, "token");
    struct json_object *o;
    int valid;

    /* Spec: where registration is not permitted, every token is invalid: 403. */
    if (!req->node->cfg->registration_enabled) {
        sy_reply_error(req, 403, "M_FORBIDDEN", "registration is disabled");
        return;
    }
    if (token == NULL) {
        sy_reply_error(req, 400, "M_MISSING_PARAM", "missing 'token'");
        return;
    }
    if ((valid = sy_db_regtoken_valid(req->db, token, sy_now_ms(), &err)) < 0) {
        sy_reply_sy_error(req, &err);
        return;
    }
    o = sy_json_new_object(req->arena);
    json_object_object_add(o, "valid", json_object_new_boolean(valid));
    sy_reply_json(req, 200, o);
}

const struct sy_route sy_client_register_routes[] = {
    {.method = SY_POST, .path = "/_matrix/client/v3/register", .resource = SY_RES_CLIENT,
     .rate_class = SY_RL_REGISTER, .max_body = 16 * 1024, .handler = post_register},
    {.method = SY_GET, .path = "/_matrix/client/v3/register/available",
     .resource = SY_RES_CLIENT, .rate_class = SY_RL_QUERY, .handler = get_register_available},
    {.method = SY_GET,
     .path = "/_matrix/client/v1/register/m.login.registration_token/validity",
     .resource = SY_RES_CLIENT, .rate_class = SY_RL_QUERY, .handler = get_regtoken_validity},
};
const size_t sy_client_register_routes_count =
    sizeof(sy_client_register_routes) / sizeof(sy_client_register_routes[0]);
