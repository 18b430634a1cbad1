/*
 * api/admin/register.c -- shared-secret registration:
 * GET/POST /_synapse/admin/v1/register, the API Synapse's
 * register_new_matrix_user and provisioning tools speak.
 *
 * The client fetches a one-time nonce, then posts the account with
 * mac = hex HMAC-SHA1(shared_secret, nonce NUL username NUL password NUL
 * "admin"|"notadmin" [NUL user_type]).  Off unless
 * registration.shared_secret is set.
 */
#include <openssl/crypto.h>
#include <string.h>

#include "accounts.h"
#include "api/routes.h"
#include "config.h"
#include "crypto/hmac.h"
#include "db/db.h"
#include "db/regtokens.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/rand.h"
#include "util/str.h"
#include "util/time.h"

#define NONCE_LIFETIME_MS (60 * 1000)

static int
enabled_or_reply(struct sy_req *req)
{
    if (req->node->cfg->registration_shared_secret != NULL)
        return 1;
    sy_reply_error(req, 400, "M_UNKNOWN", "shared-secret registration is not enabled");
    return 0;
}

static void
get_nonce(struct sy_req *req)
{
    struct sy_error err = {0};
    struct json_object *o;
    const char *nonce = sy_rand_string(req->arena, 32, SY_RAND_ALNUM);
    int64_t now = sy_now_ms();

    if (!enabled_or_reply(req))
        return;
    if (sy_db_regnonce_add(req->db, nonce, now, now - NONCE_LIFETIME_MS, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    o = sy_json_new_object(req->arena);
    json_object_object_add(o, "nonce", json_object_new_string(nonce));
    sy_reply_json(req, 200, o);
}

/* The hex MAC the client should have sent. */
static const char *
expected_mac(struct sy_req *req, const char *nonce, const char *user, const char *password,
             int admin, const char *user_type)
{
    const char *secret = req->node->cfg->registration_shared_secret;
    unsigned char mac[SY_HMAC_SHA1_LEN];
    struct sy_buf msg;

    sy_buf_init(&msg, 0);
    sy_buf_append(&msg, nonce, strlen(nonce) + 1);
    sy_buf_append(&msg, user, strlen(user) + 1);
    sy_buf_append(&msg, password, strlen(password) + 1);
    sy_buf_puts(&msg, admin ? "admin" : "notadmin");
    if (user_type != NULL) {
        sy_buf_putc(&msg, '\0');
        sy_buf_puts(&msg, user_type);
    }
    sy_hmac_sha1(secret, strlen(secret), msg.data, msg.len, mac);
    sy_buf_free(&msg);
    return sy_str_hex(req->arena, mac, sizeof(mac));
}

static void
post_register(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_new_account acct = {0};
    struct sy_session s;
    struct json_object *body, *o;
    const char *nonce, *mac, *want, *user_id, *user_type = NULL;

    if (!enabled_or_reply(req) || (body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (sy_json_req_str(body, "nonce", &nonce, &err) != SY_OK ||
        sy_json_req_str(body, "username", &acct.localpart, &err) != SY_OK ||
        sy_json_req_str(body, "password", &acct.password, &err) != SY_OK ||
        sy_json_req_str(body, "mac", &mac, &err) != SY_OK ||
        sy_json_opt_bool(body, "admin", &acct.is_admin, &err) != SY_OK ||
        sy_json_opt_str(body, "displayname", &acct.displayname, &err) != SY_OK ||
        sy_json_opt_str(body, "user_type", &user_type, &err) != SY_OK)
        goto fail;
    want = expected_mac(req, nonce, acct.localpart, acct.password, acct.is_admin, user_type);
    if (strlen(mac) != strlen(want) || CRYPTO_memcmp(mac, want, strlen(want)) != 0) {
        sy_reply_error(req, 403, "M_FORBIDDEN", "HMAC incorrect");
        return;
    }
    /* Only a request that proved the secret and created the account spends the nonce. */
    if (sy_db_begin(req->db, &err) != SY_OK)
        goto fail;
    if (sy_db_regnonce_take(req->db, nonce, sy_now_ms() - NONCE_LIFETIME_MS, &err) != SY_OK ||
        sy_account_create(req->db, req->arena, req->node->cfg, &acct, &user_id, &err) != SY_OK ||
        sy_db_commit(req->db, &err) != SY_OK) {
        sy_db_rollback(req->db);
        goto fail;
    }
    if (sy_account_open_session(req->db, req->arena, user_id, NULL, NULL, req->remote_ip, &s,
                                &err) != SY_OK)
        goto fail;
    o = sy_json_new_object(req->arena);
    json_object_object_add(o, "user_id", json_object_new_string(user_id));
    json_object_object_add(o, "access_token", json_object_new_string(s.access_token));
    json_object_object_add(o, "device_id", json_object_new_string(s.device_id));
    json_object_object_add(o, "home_server", json_object_new_string(req->node->cfg->server_name));
    sy_reply_json(req, 200, o);
    return;
fail:
    sy_reply_sy_error(req, &err);
}

const struct sy_route sy_admin_register_routes[] = {
    {.method = SY_GET, .path = "/_synapse/admin/v1/register",
     .resource = SY_RES_CLIENT | SY_RES_ADMIN, .rate_class = SY_RL_REGISTER, .handler = get_nonce},
    {.method = SY_POST, .path = "/_synapse/admin/v1/register",
     .resource = SY_RES_CLIENT | SY_RES_ADMIN, .rate_class = SY_RL_REGISTER,
     .max_body = 16 * 1024, .handler = post_register},
};
const size_t sy_admin_register_routes_count =
    sizeof(sy_admin_register_routes) / sizeof(sy_admin_register_routes[0]);
