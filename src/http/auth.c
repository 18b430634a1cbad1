/*
 * http/auth.c -- access-token authentication of a request.
 *
 * Look-ups are cached for a few seconds: a busy client sends many
 * requests with one token, and each look-up is a three-table join.  An
 * answer is kept only while the auth generation (db/tokens.h) has not
 * moved: a logout, device removal, deactivation or admin change made by
 * this process counts at once, one made by another process (syncroctl)
 * when its NOTIFY arrives (db/auth_listen.c).  Without the listener
 * nothing is cached.  TOKEN_CACHE_MS bounds the rest (e.g. a row edited
 * by hand).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/token.h"
#include "db/devices.h"
#include "db/tokens.h"
#include "http/auth.h"
#include "http/req.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/log.h"
#include "util/lru.h"
#include "util/str.h"
#include "util/time.h"

/* How stale a device's last-seen record may get before a request refreshes it. */
#define LAST_SEEN_INTERVAL_MS (60 * 1000)

#define TOKEN_CACHE_MS 5000
#define TOKEN_CACHE_BYTES (4u << 20)

/* A cached look-up: this header, then user_id NUL device_id NUL last_seen_ip NUL. */
struct cached_owner {
    uint64_t generation;
    int64_t expires_ms;
    int64_t last_seen_ts;
    int is_guest, is_admin, has_ip;
};

static struct sy_lru *token_cache;
static pthread_once_t token_cache_once = PTHREAD_ONCE_INIT;

static void
token_cache_init(void)
{
    token_cache = sy_lru_new(TOKEN_CACHE_BYTES);
}

static void
cache_put(const char *hex, const struct sy_token_owner *o, uint64_t generation, int64_t expires)
{
    size_t lu = strlen(o->user_id) + 1, ld = strlen(o->device_id) + 1;
    size_t li = o->last_seen_ip != NULL ? strlen(o->last_seen_ip) + 1 : 1;
    struct cached_owner h = {generation, expires, o->last_seen_ts, o->is_guest, o->is_admin,
                             o->last_seen_ip != NULL};
    char *blob = malloc(sizeof(h) + lu + ld + li);

    if (blob == NULL)
        return;
    memcpy(blob, &h, sizeof(h));
    memcpy(blob + sizeof(h), o->user_id, lu);
    memcpy(blob + sizeof(h) + lu, o->device_id, ld);
    memcpy(blob + sizeof(h) + lu + ld, o->last_seen_ip != NULL ? o->last_seen_ip : "", li);
    sy_lru_put(token_cache, hex, blob, sizeof(h) + lu + ld + li);
    free(blob);
}

/* 1 and *o (in a) when a current answer is cached; *h gets its header. */
static int
cache_get(struct sy_arena *a, const char *hex, struct sy_token_owner *o, struct cached_owner *h)
{
    size_t len;
    const char *blob = sy_lru_get(token_cache, hex, a, &len), *p;

    if (blob == NULL || len < sizeof(*h))
        return 0;
    memcpy(h, blob, sizeof(*h));
    if (h->generation != sy_db_auth_generation() || sy_now_ms() >= h->expires_ms)
        return 0;
    p = blob + sizeof(*h);
    o->user_id = p;
    o->device_id = p += strlen(p) + 1;
    p += strlen(p) + 1;
    o->last_seen_ip = h->has_ip ? p : NULL;
    o->last_seen_ts = h->last_seen_ts;
    o->is_guest = h->is_guest;
    o->is_admin = h->is_admin;
    return 1;
}

static int
lookup_token(struct sy_req *req, const char *hex, struct sy_token_owner *o, struct sy_error *err)
{
    struct cached_owner h;
    /* Read before the look-up: a change committed meanwhile makes the answer stale at once. */
    uint64_t generation = sy_db_auth_generation();

    if (!sy_db_auth_cache_ok()) /* other processes' changes would go unheard */
        return sy_db_token_lookup(req->db, req->arena, hex, o, err);
    pthread_once(&token_cache_once, token_cache_init);
    if (cache_get(req->arena, hex, o, &h))
        return SY_OK;
    if (sy_db_token_lookup(req->db, req->arena, hex, o, err) != SY_OK)
        return err->code;
    cache_put(hex, o, generation, sy_now_ms() + TOKEN_CACHE_MS);
    return SY_OK;
}

/* Keep /devices' last_seen_* current without a write on every request. */
static void
touch_device(struct sy_req *req, const char *hex, struct sy_token_owner *owner)
{
    struct cached_owner h;
    struct sy_token_owner cached;
    struct sy_error err = {0};
    int64_t now = sy_now_ms();

    if (now - owner->last_seen_ts < LAST_SEEN_INTERVAL_MS && owner->last_seen_ip != NULL &&
        strcmp(owner->last_seen_ip, req->remote_ip) == 0)
        return;
    if (sy_db_device_touch(req->db, owner->user_id, owner->device_id, now, req->remote_ip,
                           &err) != SY_OK) {
        sy_log(SY_LOG_WARN, "%s: could not record device last-seen: %s", req->id,
               err.log_detail);
        return;
    }
    /* The cached answer learns the new last-seen, or the next request would write it again. */
    if (token_cache != NULL && cache_get(req->arena, hex, &cached, &h)) {
        owner->last_seen_ts = now;
        owner->last_seen_ip = req->remote_ip;
        cache_put(hex, owner, h.generation, h.expires_ms);
    }
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
    const char *token, *hex;

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
    hex = sy_str_hex(req->arena, hash, 32);
    if (lookup_token(req, hex, &owner, err) != SY_OK)
        return err->code;
    req->user_id = owner.user_id;
    req->device_id = owner.device_id;
    req->is_guest = owner.is_guest;
    req->is_admin = owner.is_admin;
    req->token_hash = sy_arena_memdup(req->arena, hash, 32);
    touch_device(req, hex, &owner);
    if (req->is_guest && !req->route->guest_ok)
        return sy_error_set(err, SY_EFORBIDDEN, 403, "M_GUEST_ACCESS_FORBIDDEN",
                            "guest access is not allowed here");
    return SY_OK;
}
