/*
 * http/auth.c -- access-token authentication of a request.
 */
#include <string.h>

#include "crypto/token.h"
#include "db/devices.h"
#include "db/tokens.h"
#include "http/auth.h"
#include "http/req.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "util/time.h"

/* How stale a device's last-seen record may get before a request refreshes it. */
#define LAST_SEEN_INTERVAL_MS (60 * 1000)

/* Keep /devices' last_seen_* current without a write on every request. */
static void
touch_device(struct sy_req *req, const struct sy_token_owner *owner)
{
    struct sy_error err = {0};
    int64_t now = sy_now_ms();

    if (now - owner->last_seen_ts < LAST_SEEN_INTERVAL_MS && owner->last_seen_ip != NULL &&
        strcmp(owner->last_seen_ip, req->remote_ip) == 0)
        return;
    if (sy_db_device_touch(req->db, owner->user_id, owner->device_id, now, req->remote_ip,
                           &err) != SY_OK)
        sy_log(SY_LOG_WARN, "%s: could not record device last-seen: %s", req->id,
               err.log_detail);
}

static const char *
find_token(struct sy_req *req, struct sy_error *err)
{
    const char *h = sy_req_header(req, "Authorization");

    if (h != NULL) {
        if (strncasecmp(h, "Bearer ", 7) != 0) {
            sy_error_set(err, SY_EAUTH, 401, "M_MISSING_TOKEN",
                         "Authorization header is not a Bearer token");
            return NULL;
        }
        h += 7;
        while (*h == ' ')
            h++;
        return h;
    }
    return sy_req_query(req, "access_token");
}

int
sy_http_authenticate(struct sy_req *req, struct sy_error *err)
{
    struct sy_token_owner owner;
    unsigned char hash[32];
    const char *token;

    err->code = SY_OK;
    token = find_token(req, err);
    if (err->code != SY_OK)
        return err->code;
    if (token == NULL || token[0] == '\0') {
        if (req->route->auth == SY_AUTH_OPTIONAL)
            return SY_OK;
        return sy_error_set(err, SY_EAUTH, 401, "M_MISSING_TOKEN", "missing access token");
    }
    sy_token_hash(token, hash);
    if (sy_db_token_lookup(req->db, req->arena, sy_str_hex(req->arena, hash, 32), &owner, err) !=
        SY_OK)
        return err->code;
    req->user_id = owner.user_id;
    req->device_id = owner.device_id;
    req->is_guest = owner.is_guest;
    req->is_admin = owner.is_admin;
    req->token_hash = sy_arena_memdup(req->arena, hash, 32);
    touch_device(req, &owner);
    if (req->is_guest && !req->route->guest_ok)
        return sy_error_set(err, SY_EFORBIDDEN, 403, "M_GUEST_ACCESS_FORBIDDEN",
                            "guest access is not allowed here");
    return SY_OK;
}
