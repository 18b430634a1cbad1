/*
 * rooms/auth.c -- the authorisation rules of room versions 6 to 12 (see auth.h).
 *
 * Rule numbers in messages and comments are the v12 numbering of the spec
 * (content/rooms/v12.md); earlier versions number the same rules one
 * lower from "considering the event's auth_events" on.
 */
#include <ctype.h>
#include <string.h>

#include <json-c/json.h>

#include "crypto/ed25519.h"
#include "crypto/jsonsign.h"
#include "json/json.h"
#include "rooms/auth.h"
#include "rooms/event.h"
#include "rooms/version.h"
#include "util/b64.h"
#include "util/err.h"

#define T_CREATE "m.room.create"
#define T_MEMBER "m.room.member"
#define T_JOIN_RULES "m.room.join_rules"
#define T_POWER "m.room.power_levels"
#define T_3PID "m.room.third_party_invite"

/* Defaults from the m.room.power_levels schema. */
#define DEF_STATE 50
#define DEF_EVENTS 0
#define DEF_BAN 50
#define DEF_KICK 50
#define DEF_INVITE 0
#define DEF_REDACT 50

/* Level of the creator of a room without a power_levels event. */
#define CREATOR_DEFAULT_LEVEL 100

/* Everything the rules consult for one event, looked up once. */
struct auth_ctx {
    const struct sy_event *ev;
    const struct sy_room_version *v;
    const struct sy_auth_state *st;
    const struct sy_event *create;
    const struct sy_event *pl; /* current m.room.power_levels or NULL */
};

/* Room versions a create event may name (content.room_version): any the spec defines. */
static const char *const known_versions[] = {"1", "2", "3", "4",  "5",  "6",
                                             "7", "8", "9", "10", "11", "12"};

static int
streq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

const char *
sy_auth_domain(const char *user_id)
{
    const char *c = user_id != NULL ? strchr(user_id, ':') : NULL;

    return c != NULL ? c + 1 : "";
}

/* A user ID as the auth rules need it: "@" localpart ":" server, at most 255 bytes. */
static int
valid_user_id(const char *s)
{
    const char *c;

    if (s == NULL || s[0] != '@' || strlen(s) > 255)
        return 0;
    c = strchr(s, ':');
    return c != NULL && c > s + 1 && c[1] != '\0';
}

static const struct sy_event *
st_get(const struct sy_auth_state *st, const char *type, const char *state_key)
{
    return st->lookup(st->ctx, type, state_key);
}

static int
has_key(struct json_object *obj, const char *key)
{
    return obj != NULL && json_object_is_type(obj, json_type_object) &&
           json_object_object_get_ex(obj, key, NULL);
}

/* content.membership of the current member event of 'user', or NULL. */
static const char *
membership_of(const struct sy_auth_state *st, const char *user)
{
    const struct sy_event *m = st_get(st, T_MEMBER, user);

    return m != NULL ? sy_json_get_str(m->content, "membership") : NULL;
}

/*
 * A power level value: an integer, or before v10 a string holding one
 * (optional whitespace, optional sign, decimal digits).  0 and *out, or
 * -1 when the value is not one.
 */
static int
pl_value(struct json_object *o, int strict, int64_t *out)
{
    const char *s;
    int64_t v = 0;
    int neg = 0, digits = 0;

    if (json_object_is_type(o, json_type_int)) {
        *out = json_object_get_int64(o);
        return 0;
    }
    if (strict || !json_object_is_type(o, json_type_string))
        return -1;
    for (s = json_object_get_string(o); isspace((unsigned char)*s); s++)
        ;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    for (; isdigit((unsigned char)*s); s++, digits++) {
        if (v > (INT64_MAX - (*s - '0')) / 10)
            return -1;
        v = v * 10 + (*s - '0');
    }
    while (isspace((unsigned char)*s))
        s++;
    if (digits == 0 || *s != '\0')
        return -1;
    *out = neg ? -v : v;
    return 0;
}

/* obj[key] as a power level; 0 and *out, or -1 if absent or invalid. */
static int
pl_field(struct json_object *obj, const char *key, int strict, int64_t *out)
{
    struct json_object *o;

    if (obj == NULL || !json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, key, &o))
        return -1;
    return pl_value(o, strict, out);
}

/* A named level (ban, kick, invite, redact, ...) of the power levels event pl. */
static int64_t
named_level(const struct sy_event *pl, const char *name, int64_t def)
{
    int64_t v;
    int strict = pl != NULL && pl->version != NULL && pl->version->power_levels_strict_ints;

    if (pl == NULL || pl_field(pl->content, name, strict, &v) != 0)
        return def;
    return v;
}

/* The creator of a pre-v12 room: create sender from v11, content.creator before. */
static const char *
creator_of(const struct sy_event *create)
{
    if (create->version != NULL && create->version->msc2175_implicit_creator)
        return create->sender;
    return sy_json_get_str(create->content, "creator");
}

/* v12: the create sender or one of content.additional_creators. */
static int
is_v12_creator(const struct sy_event *create, const char *user)
{
    struct json_object *arr = sy_json_get_arr(create->content, "additional_creators");
    size_t i, n;

    if (streq(create->sender, user))
        return 1;
    n = arr != NULL ? json_object_array_length(arr) : 0;
    for (i = 0; i < n; i++) {
        struct json_object *o = json_object_array_get_idx(arr, i);

        if (json_object_is_type(o, json_type_string) && streq(json_object_get_string(o), user))
            return 1;
    }
    return 0;
}

static int64_t
level_of(const struct sy_event *create, const struct sy_event *pl, const char *user)
{
    int strict;
    int64_t v;

    if (create != NULL && create->version != NULL && create->version->creators_infinite_power &&
        is_v12_creator(create, user))
        return SY_AUTH_CREATOR_LEVEL;
    if (pl != NULL) {
        strict = pl->version != NULL && pl->version->power_levels_strict_ints;
        if (pl_field(sy_json_get_obj(pl->content, "users"), user, strict, &v) == 0)
            return v;
        if (pl_field(pl->content, "users_default", strict, &v) == 0)
            return v;
        return 0;
    }
    if (create != NULL && streq(creator_of(create), user))
        return CREATOR_DEFAULT_LEVEL;
    return 0;
}

int64_t
sy_auth_user_level(const struct sy_auth_state *st, const char *user_id)
{
    return level_of(st_get(st, T_CREATE, ""), st_get(st, T_POWER, ""), user_id);
}

static int64_t
required_level(const struct sy_event *pl, const char *type, const char *state_key)
{
    int64_t v;
    int strict = pl != NULL && pl->version != NULL && pl->version->power_levels_strict_ints;

    if (pl != NULL && pl_field(sy_json_get_obj(pl->content, "events"), type, strict, &v) == 0)
        return v;
    if (state_key != NULL)
        return named_level(pl, "state_default", DEF_STATE);
    return named_level(pl, "events_default", DEF_EVENTS);
}

int64_t
sy_auth_required_level(const struct sy_auth_state *st, const char *type, const char *state_key)
{
    return required_level(st_get(st, T_POWER, ""), type, state_key);
}

static int
deny(struct sy_error *err, const struct sy_event *ev, const char *why)
{
    sy_err_forbidden(err, "%s", why);
    sy_error_detail(err, "event %s (%s from %s) rejected: %s", ev->event_id ? ev->event_id : "?",
                    ev->type ? ev->type : "?", ev->sender ? ev->sender : "?", why);
    return SY_EFORBIDDEN;
}

/* ---- rule 1: m.room.create ---- */

static int
known_room_version(const char *id)
{
    size_t i;

    for (i = 0; i < sizeof(known_versions) / sizeof(known_versions[0]); i++)
        if (strcmp(known_versions[i], id) == 0)
            return 1;
    return 0;
}

static int
check_additional_creators(struct json_object *content)
{
    struct json_object *arr, *o;
    size_t i;

    if (!json_object_object_get_ex(content, "additional_creators", &arr))
        return 0;
    if (!json_object_is_type(arr, json_type_array))
        return -1;
    for (i = 0; i < json_object_array_length(arr); i++) {
        o = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(o, json_type_string) || !valid_user_id(json_object_get_string(o)))
            return -1;
    }
    return 0;
}

static int
check_create(const struct sy_event *ev, const struct sy_room_version *v, struct sy_error *err)
{
    struct json_object *rv;

    if (ev->n_prev_events > 0)
        return deny(err, ev, "create event has prev_events");
    if (v->room_id_is_create_hash) {
        if (has_key(ev->json, "room_id"))
            return deny(err, ev, "create event has a room_id");
    } else if (strcmp(sy_auth_domain(ev->room_id), sy_auth_domain(ev->sender)) != 0) {
        return deny(err, ev, "create event's room_id domain does not match its sender's");
    }
    if (json_object_object_get_ex(ev->content, "room_version", &rv) &&
        (!json_object_is_type(rv, json_type_string) ||
         !known_room_version(json_object_get_string(rv))))
        return deny(err, ev, "create event names an unknown room version");
    if (!v->msc2175_implicit_creator && !has_key(ev->content, "creator"))
        return deny(err, ev, "create event has no creator");
    if (v->creators_infinite_power && check_additional_creators(ev->content) != 0)
        return deny(err, ev, "additional_creators is not an array of user IDs");
    return SY_OK;
}

/* ---- rule 5: m.room.member ---- */

static const char *
join_rule(const struct auth_ctx *c)
{
    const struct sy_event *jr = st_get(c->st, T_JOIN_RULES, "");
    const char *rule = jr != NULL ? sy_json_get_str(jr->content, "join_rule") : NULL;

    /* No join rules event (or no join_rule in it) means invite-only. */
    if (jr == NULL || !has_key(jr->content, "join_rule"))
        return "invite";
    return rule != NULL ? rule : "";
}

static int
member_join_restricted(const struct auth_ctx *c, const char *cur, struct sy_error *err)
{
    const char *via = sy_json_get_str(c->ev->content, "join_authorised_via_users_server");
    int64_t invite = named_level(c->pl, "invite", DEF_INVITE);

    if (streq(cur, "join") || streq(cur, "invite"))
        return SY_OK;
    if (via == NULL)
        return deny(err, c->ev, "restricted join without join_authorised_via_users_server");
    if (!streq(membership_of(c->st, via), "join"))
        return deny(err, c->ev, "authorising user is not joined to the room");
    if (level_of(c->create, c->pl, via) < invite)
        return deny(err, c->ev, "authorising user cannot invite");
    return SY_OK;
}

static int
member_join(const struct auth_ctx *c, struct sy_error *err)
{
    const struct sy_event *ev = c->ev;
    const char *cur = membership_of(c->st, ev->sender), *rule;

    if (!streq(ev->sender, ev->state_key))
        return deny(err, ev, "cannot join on behalf of another user");
    if (streq(cur, "ban"))
        return deny(err, ev, "sender is banned");
    rule = join_rule(c);
    if (strcmp(rule, "public") == 0)
        return SY_OK;
    if ((c->v->restricted_join && strcmp(rule, "restricted") == 0) ||
        (c->v->knock_restricted && strcmp(rule, "knock_restricted") == 0))
        return member_join_restricted(c, cur, err);
    if (strcmp(rule, "invite") == 0 || (c->v->knock && strcmp(rule, "knock") == 0)) {
        if (streq(cur, "join") || streq(cur, "invite"))
            return SY_OK;
        return deny(err, ev, "join rule requires an invite");
    }
    return deny(err, ev, "join rule does not allow joining");
}

/* Decode a public key given in standard or URL-safe unpadded base64. */
static int
decode_pub(const char *b64, unsigned char pub[SY_ED25519_PUB_LEN])
{
    size_t n;

    if (sy_b64_decode_buf(b64, strlen(b64), 0, pub, SY_ED25519_PUB_LEN, &n) == 0 &&
        n == SY_ED25519_PUB_LEN)
        return 0;
    if (sy_b64_decode_buf(b64, strlen(b64), 1, pub, SY_ED25519_PUB_LEN, &n) == 0 &&
        n == SY_ED25519_PUB_LEN)
        return 0;
    return -1;
}

/* 1 if any ed25519 signature in signed.signatures verifies with the key pub_b64. */
static int
signed_by_key(struct json_object *signed_obj, const char *pub_b64)
{
    unsigned char pub[SY_ED25519_PUB_LEN];
    struct json_object *sigs = sy_json_get_obj(signed_obj, "signatures");

    if (pub_b64 == NULL || sigs == NULL || decode_pub(pub_b64, pub) != 0)
        return 0;
    json_object_object_foreach(sigs, server, block)
    {
        if (!json_object_is_type(block, json_type_object))
            continue;
        json_object_object_foreach(block, key_id, sig)
        {
            (void)sig;
            if (strncmp(key_id, "ed25519:", 8) == 0 &&
                sy_jsonsign_verify(signed_obj, server, key_id, pub, NULL) == 0)
                return 1;
        }
    }
    return 0;
}

/* Rule 5.4.1.7: a signature in 'signed' made with a key of the m.room.third_party_invite. */
static int
tpi_signature_ok(const struct sy_event *inv, struct json_object *signed_obj)
{
    struct json_object *keys = sy_json_get_arr(inv->content, "public_keys");
    size_t i, n = keys != NULL ? json_object_array_length(keys) : 0;

    if (signed_by_key(signed_obj, sy_json_get_str(inv->content, "public_key")))
        return 1;
    for (i = 0; i < n; i++)
        if (signed_by_key(signed_obj,
                          sy_json_get_str(json_object_array_get_idx(keys, i), "public_key")))
            return 1;
    return 0;
}

static int
member_invite_3pid(const struct auth_ctx *c, struct sy_error *err)
{
    const struct sy_event *ev = c->ev, *inv;
    struct json_object *tpi = sy_json_get_obj(ev->content, "third_party_invite");
    struct json_object *signed_obj = tpi != NULL ? sy_json_get_obj(tpi, "signed") : NULL;
    const char *mxid, *token;

    if (streq(membership_of(c->st, ev->state_key), "ban"))
        return deny(err, ev, "target user is banned");
    if (signed_obj == NULL)
        return deny(err, ev, "third_party_invite has no signed object");
    mxid = sy_json_get_str(signed_obj, "mxid");
    token = sy_json_get_str(signed_obj, "token");
    if (mxid == NULL || token == NULL)
        return deny(err, ev, "third_party_invite.signed lacks mxid or token");
    if (!streq(mxid, ev->state_key))
        return deny(err, ev, "third_party_invite mxid does not match state_key");
    if ((inv = st_get(c->st, T_3PID, token)) == NULL)
        return deny(err, ev, "no m.room.third_party_invite for this token");
    if (!streq(inv->sender, ev->sender))
        return deny(err, ev, "sender did not send the third party invite");
    if (!tpi_signature_ok(inv, signed_obj))
        return deny(err, ev, "third_party_invite signature does not verify");
    return SY_OK;
}

static int
member_invite(const struct auth_ctx *c, struct sy_error *err)
{
    const struct sy_event *ev = c->ev;
    const char *target = membership_of(c->st, ev->state_key);

    if (has_key(ev->content, "third_party_invite"))
        return member_invite_3pid(c, err);
    if (!streq(membership_of(c->st, ev->sender), "join"))
        return deny(err, ev, "sender is not joined to the room");
    if (streq(target, "join") || streq(target, "ban"))
        return deny(err, ev, "target user is joined or banned");
    if (level_of(c->create, c->pl, ev->sender) < named_level(c->pl, "invite", DEF_INVITE))
        return deny(err, ev, "sender's power level is below the invite level");
    return SY_OK;
}

static int
member_leave(const struct auth_ctx *c, struct sy_error *err)
{
    const struct sy_event *ev = c->ev;
    const char *cur = membership_of(c->st, ev->sender);
    int64_t level;

    if (streq(ev->sender, ev->state_key)) {
        if (streq(cur, "join") || streq(cur, "invite") || (c->v->knock && streq(cur, "knock")))
            return SY_OK;
        return deny(err, ev, "cannot leave a room one is not in, invited to or knocking on");
    }
    if (!streq(cur, "join"))
        return deny(err, ev, "sender is not joined to the room");
    level = level_of(c->create, c->pl, ev->sender);
    if (streq(membership_of(c->st, ev->state_key), "ban") &&
        level < named_level(c->pl, "ban", DEF_BAN))
        return deny(err, ev, "sender's power level is below the ban level (unban)");
    if (level >= named_level(c->pl, "kick", DEF_KICK) &&
        level_of(c->create, c->pl, ev->state_key) < level)
        return SY_OK;
    return deny(err, ev, "sender may not kick this user");
}

static int
member_ban(const struct auth_ctx *c, struct sy_error *err)
{
    const struct sy_event *ev = c->ev;
    int64_t level;

    if (!streq(membership_of(c->st, ev->sender), "join"))
        return deny(err, ev, "sender is not joined to the room");
    level = level_of(c->create, c->pl, ev->sender);
    if (level >= named_level(c->pl, "ban", DEF_BAN) &&
        level_of(c->create, c->pl, ev->state_key) < level)
        return SY_OK;
    return deny(err, ev, "sender may not ban this user");
}

static int
member_knock(const struct auth_ctx *c, struct sy_error *err)
{
    const struct sy_event *ev = c->ev;
    const char *rule = join_rule(c), *cur;

    if (strcmp(rule, "knock") != 0 &&
        !(c->v->knock_restricted && strcmp(rule, "knock_restricted") == 0))
        return deny(err, ev, "join rule does not allow knocking");
    if (!streq(ev->sender, ev->state_key))
        return deny(err, ev, "cannot knock on behalf of another user");
    cur = membership_of(c->st, ev->sender);
    if (streq(cur, "ban") || streq(cur, "invite") || streq(cur, "join"))
        return deny(err, ev, "sender is banned, invited or joined");
    return SY_OK;
}

/* m.federate: only exactly true (or absent) lets other servers in (as Synapse). */
static int
can_federate(const struct sy_event *create)
{
    struct json_object *f;

    if (!json_object_object_get_ex(create->content, "m.federate", &f))
        return 1;
    return json_object_is_type(f, json_type_boolean) && json_object_get_boolean(f);
}

/* Rule 5.2: join_authorised_via_users_server must be backed by that server's signature. */
static int
member_authorising_sig(const struct auth_ctx *c, struct sy_error *err)
{
    const struct sy_event *ev = c->ev;
    struct json_object *via;

    if (!c->v->restricted_join || c->st->signed_by == NULL ||
        !json_object_object_get_ex(ev->content, "join_authorised_via_users_server", &via))
        return SY_OK;
    if (!json_object_is_type(via, json_type_string) ||
        c->st->signed_by(c->st->ctx, ev, sy_auth_domain(json_object_get_string(via))) != 0)
        return deny(err, ev, "not signed by the server of join_authorised_via_users_server");
    return SY_OK;
}

static int
check_member(const struct auth_ctx *c, struct sy_error *err)
{
    const struct sy_event *ev = c->ev;
    const char *m = sy_json_get_str(ev->content, "membership");
    int rc;

    if (ev->state_key == NULL || m == NULL)
        return deny(err, ev, "member event without state_key or membership");
    if ((rc = member_authorising_sig(c, err)) != SY_OK)
        return rc;
    if (strcmp(m, "join") == 0 && ev->n_prev_events == 1 &&
        streq(ev->prev_events[0], c->create->event_id) &&
        streq(ev->state_key, creator_of(c->create)))
        return SY_OK;
    if (strcmp(sy_auth_domain(c->create->sender), sy_auth_domain(ev->state_key)) != 0 &&
        !can_federate(c->create))
        return deny(err, ev, "room is not federated");
    if (strcmp(m, "join") == 0)
        return member_join(c, err);
    if (strcmp(m, "invite") == 0)
        return member_invite(c, err);
    if (strcmp(m, "leave") == 0)
        return member_leave(c, err);
    if (strcmp(m, "ban") == 0)
        return member_ban(c, err);
    if (c->v->knock && strcmp(m, "knock") == 0)
        return member_knock(c, err);
    return deny(err, ev, "unknown membership");
}

/* ---- rule 10: m.room.power_levels ---- */

static const char *const pl_names[] = {"users_default", "events_default", "state_default", "ban",
                                       "redact",        "kick",           "invite"};

/* An object whose values are all power levels (and keys user IDs if 'user_keys'); absent is fine. */
static int
pl_map_valid(struct json_object *content, const char *name, int strict, int user_keys)
{
    struct json_object *obj;
    int64_t v;

    if (!json_object_object_get_ex(content, name, &obj))
        return 1;
    if (!json_object_is_type(obj, json_type_object))
        return 0;
    json_object_object_foreach(obj, key, val)
    {
        if (pl_value(val, strict, &v) != 0 || (user_keys && !valid_user_id(key)))
            return 0;
    }
    return 1;
}

/* Rules 10.1 to 10.4: the shape of the new content. */
static int
pl_validate(const struct auth_ctx *c, struct sy_error *err)
{
    struct json_object *content = c->ev->content, *o, *users;
    int strict = c->v->power_levels_strict_ints;
    size_t i;
    int64_t v;

    for (i = 0; i < sizeof(pl_names) / sizeof(pl_names[0]); i++)
        if (json_object_object_get_ex(content, pl_names[i], &o) && pl_value(o, strict, &v) != 0)
            return deny(err, c->ev, "power level is not an integer");
    if (!pl_map_valid(content, "events", strict, 0) ||
        !pl_map_valid(content, "notifications", strict, 0))
        return deny(err, c->ev, "events or notifications is not an object of integers");
    if (!pl_map_valid(content, "users", strict, 1))
        return deny(err, c->ev, "users is not an object of user IDs to integers");
    users = sy_json_get_obj(content, "users");
    if (c->v->creators_infinite_power && users != NULL) {
        json_object_object_foreach(users, uid, val)
        {
            (void)val;
            if (is_v12_creator(c->create, uid))
                return deny(err, c->ev, "a room creator cannot be listed in users");
        }
    }
    return SY_OK;
}

/*
 * One entry changing from (old, has_old) to (new, has_new) for a sender
 * at 'level'.  'self' exempts the sender's own users entry from the
 * "at least your level" rule.  0 ok, -1 not allowed.
 */
static int
pl_change_ok(int has_old, int64_t old, int has_new, int64_t new, int64_t level, int users_rule,
             int self)
{
    if (has_old && has_new && old == new)
        return 0;
    if (!has_old && !has_new)
        return 0;
    if (users_rule && !self && has_old && old >= level)
        return -1;
    if ((has_old && old > level) || (has_new && new > level))
        return -1;
    return 0;
}

/* Compare obj_old[key] with obj_new[key] for every key of either (rules 10.7 to 10.10). */
static int
pl_map_changes_ok(const struct auth_ctx *c, struct json_object *prev_content, const char *name,
                  int64_t level, int users_rule)
{
    struct json_object *o_old = sy_json_get_obj(prev_content, name);
    struct json_object *o_new = sy_json_get_obj(c->ev->content, name);
    int strict_old = c->pl->version != NULL && c->pl->version->power_levels_strict_ints;
    int strict = c->v->power_levels_strict_ints, ho, hn;
    int64_t vo = 0, vn = 0;

    if (o_new != NULL) {
        json_object_object_foreach(o_new, k, val)
        {
            ho = pl_field(o_old, k, strict_old, &vo) == 0;
            hn = pl_value(val, strict, &vn) == 0;
            if (pl_change_ok(ho, vo, hn, vn, level, users_rule, streq(k, c->ev->sender)) != 0)
                return -1;
        }
    }
    if (o_old != NULL) {
        json_object_object_foreach(o_old, k, val)
        {
            if (o_new != NULL && json_object_object_get_ex(o_new, k, NULL))
                continue;
            ho = pl_value(val, strict_old, &vo) == 0;
            if (pl_change_ok(ho, vo, 0, 0, level, users_rule, streq(k, c->ev->sender)) != 0)
                return -1;
        }
    }
    return 0;
}

static int
check_power_levels(const struct auth_ctx *c, struct sy_error *err)
{
    const struct sy_event *ev = c->ev;
    struct json_object *prev;
    int64_t level, vo = 0, vn = 0;
    int strict_old, ho, hn, rc;
    size_t i;

    if ((rc = pl_validate(c, err)) != SY_OK)
        return rc;
    /* The state this one replaces; a power levels event with another state key replaces none. */
    if (c->pl == NULL || !streq(ev->state_key, ""))
        return SY_OK;
    prev = c->pl->content;
    strict_old = c->pl->version != NULL && c->pl->version->power_levels_strict_ints;
    level = level_of(c->create, c->pl, ev->sender);
    for (i = 0; i < sizeof(pl_names) / sizeof(pl_names[0]); i++) {
        ho = pl_field(prev, pl_names[i], strict_old, &vo) == 0;
        hn = pl_field(ev->content, pl_names[i], c->v->power_levels_strict_ints, &vn) == 0;
        if (pl_change_ok(ho, vo, hn, vn, level, 0, 0) != 0)
            return deny(err, ev, "cannot change a level above one's own");
    }
    if (pl_map_changes_ok(c, prev, "events", level, 0) != 0)
        return deny(err, ev, "cannot change an event level above one's own");
    if (c->v->limit_notifications_power_levels &&
        pl_map_changes_ok(c, prev, "notifications", level, 0) != 0)
        return deny(err, ev, "cannot change a notification level above one's own");
    if (pl_map_changes_ok(c, prev, "users", level, 1) != 0)
        return deny(err, ev, "cannot change the level of a user at or above one's own");
    return SY_OK;
}

/* ---- the rules in order ---- */

/* Rules 2 and 4: the room's create event, the room ID (v12) and m.federate. */
static int
check_room(struct auth_ctx *c, struct sy_error *err)
{
    const struct sy_event *ev = c->ev;

    if ((c->create = st_get(c->st, T_CREATE, "")) == NULL)
        return deny(err, ev, "no m.room.create event in the room state");
    if (c->v->room_id_is_create_hash &&
        (ev->room_id == NULL || ev->room_id[0] != '!' || c->create->event_id == NULL ||
         strcmp(ev->room_id + 1, c->create->event_id + 1) != 0))
        return deny(err, ev, "room_id is not the create event's ID");
    if (strcmp(sy_auth_domain(ev->sender), sy_auth_domain(c->create->sender)) != 0 &&
        !can_federate(c->create))
        return deny(err, ev, "room is not federated");
    return SY_OK;
}

int
sy_auth_check(const struct sy_event *ev, const struct sy_auth_state *st, struct sy_error *err)
{
    struct auth_ctx c = {.ev = ev, .v = ev->version, .st = st};
    int rc;

    if (c.v == NULL || ev->type == NULL || ev->sender == NULL)
        return sy_err_internal(err, "event without version, type or sender");
    if (strcmp(ev->type, T_CREATE) == 0)
        return check_create(ev, c.v, err);
    if ((rc = check_room(&c, err)) != SY_OK)
        return rc;
    c.pl = st_get(st, T_POWER, "");
    if (strcmp(ev->type, T_MEMBER) == 0)
        return check_member(&c, err);
    if (!streq(membership_of(st, ev->sender), "join"))
        return deny(err, ev, "sender is not joined to the room");
    if (strcmp(ev->type, T_3PID) == 0) {
        if (level_of(c.create, c.pl, ev->sender) >= named_level(c.pl, "invite", DEF_INVITE))
            return SY_OK;
        return deny(err, ev, "sender's power level is below the invite level");
    }
    if (required_level(c.pl, ev->type, ev->state_key) > level_of(c.create, c.pl, ev->sender))
        return deny(err, ev, "sender's power level is below the event's required level");
    if (ev->state_key != NULL && ev->state_key[0] == '@' && strcmp(ev->state_key, ev->sender) != 0)
        return deny(err, ev, "state_key names another user");
    if (strcmp(ev->type, T_POWER) == 0)
        return check_power_levels(&c, err);
    return SY_OK;
}

/* ---- auth events selection ---- */

static void
key_add(struct sy_auth_key *out, size_t *n, const char *type, const char *state_key)
{
    size_t i;

    for (i = 0; i < *n; i++)
        if (strcmp(out[i].type, type) == 0 && strcmp(out[i].state_key, state_key) == 0)
            return;
    out[*n].type = type;
    out[*n].state_key = state_key;
    (*n)++;
}

/* The member-specific pairs: target, join rules, third party invite, authorising user. */
static int
member_keys(const struct sy_event *ev, struct sy_auth_key *out, size_t *n, struct sy_error *err)
{
    const char *m = sy_json_get_str(ev->content, "membership"), *tok = NULL, *via;
    struct json_object *tpi;

    if (m == NULL || ev->state_key == NULL)
        return sy_err_invalid(err, "M_BAD_JSON", "member event without membership or state_key");
    key_add(out, n, T_MEMBER, ev->state_key);
    if (strcmp(m, "join") == 0 || strcmp(m, "invite") == 0 || strcmp(m, "knock") == 0)
        key_add(out, n, T_JOIN_RULES, "");
    if (strcmp(m, "invite") == 0 &&
        (tpi = sy_json_get_obj(ev->content, "third_party_invite")) != NULL)
        tok = sy_json_get_str(sy_json_get_obj(tpi, "signed"), "token");
    if (tok != NULL)
        key_add(out, n, T_3PID, tok);
    via = sy_json_get_str(ev->content, "join_authorised_via_users_server");
    if (ev->version->restricted_join && strcmp(m, "join") == 0 && via != NULL)
        key_add(out, n, T_MEMBER, via);
    return SY_OK;
}

int
sy_auth_event_types_needed(const struct sy_event *ev, struct sy_auth_key out[SY_AUTH_MAX_KEYS],
                           size_t *n, struct sy_error *err)
{
    *n = 0;
    if (ev->version == NULL)
        return sy_err_internal(err, "event without version");
    if (strcmp(ev->type, T_CREATE) == 0)
        return SY_OK;
    if (!ev->version->room_id_is_create_hash)
        key_add(out, n, T_CREATE, "");
    key_add(out, n, T_POWER, "");
    key_add(out, n, T_MEMBER, ev->sender);
    if (strcmp(ev->type, T_MEMBER) == 0)
        return member_keys(ev, out, n, err);
    return SY_OK;
}

int
sy_auth_select(const struct sy_event *ev, const struct sy_auth_state *st,
               const struct sy_event *out[SY_AUTH_MAX_KEYS], size_t *n, struct sy_error *err)
{
    struct sy_auth_key keys[SY_AUTH_MAX_KEYS];
    size_t nk, i;
    int rc;

    *n = 0;
    if ((rc = sy_auth_event_types_needed(ev, keys, &nk, err)) != SY_OK)
        return rc;
    for (i = 0; i < nk; i++)
        if ((out[*n] = st_get(st, keys[i].type, keys[i].state_key)) != NULL)
            (*n)++;
    return SY_OK;
}

static int
key_allowed(const struct sy_auth_key *keys, size_t nk, const struct sy_event *a)
{
    size_t i;

    for (i = 0; i < nk; i++)
        if (strcmp(keys[i].type, a->type) == 0 && streq(keys[i].state_key, a->state_key))
            return 1;
    return 0;
}

/* Rule 3.1: an earlier entry with the same (type, state_key) as auth[i]. */
static int
dup_before(const struct sy_event *const *auth, size_t i)
{
    size_t j;

    for (j = 0; j < i; j++)
        if (strcmp(auth[j]->type, auth[i]->type) == 0 &&
            streq(auth[j]->state_key, auth[i]->state_key))
            return 1;
    return 0;
}

int
sy_auth_check_auth_events(const struct sy_event *ev, const struct sy_event *const *auth,
                          const int *rejected, size_t n, struct sy_error *err)
{
    struct sy_auth_key keys[SY_AUTH_MAX_KEYS];
    size_t nk, i;
    int rc, have_create = 0;

    if ((rc = sy_auth_event_types_needed(ev, keys, &nk, err)) != SY_OK)
        return rc;
    for (i = 0; i < n; i++) {
        if (auth[i] == NULL)
            return sy_err_notfound(err, "auth event %s is unknown",
                                   i < ev->n_auth_events ? ev->auth_events[i] : "?");
        if (auth[i]->state_key == NULL || dup_before(auth, i))
            return deny(err, ev, "duplicate or non-state auth event");
        if (!key_allowed(keys, nk, auth[i]))
            return deny(err, ev, "auth event not allowed by auth events selection");
        if (rejected != NULL && rejected[i])
            return deny(err, ev, "auth event was rejected");
        if (!streq(auth[i]->room_id, ev->room_id))
            return deny(err, ev, "auth event is in another room");
        have_create |= strcmp(auth[i]->type, T_CREATE) == 0;
    }
    if (!ev->version->room_id_is_create_hash && strcmp(ev->type, T_CREATE) != 0 && !have_create)
        return deny(err, ev, "no m.room.create among the auth events");
    return SY_OK;
}

int
sy_auth_check_auth_events_exact(const struct sy_event *ev, const struct sy_auth_state *st,
                                struct sy_error *err)
{
    const struct sy_event *sel[SY_AUTH_MAX_KEYS];
    size_t n, i, j;
    int rc;

    if ((rc = sy_auth_select(ev, st, sel, &n, err)) != SY_OK)
        return rc;
    if ((rc = sy_auth_check_auth_events(ev, sel, NULL, n, err)) != SY_OK)
        return rc;
    if (n != ev->n_auth_events)
        return deny(err, ev, "auth_events are not those the state selects");
    for (i = 0; i < n; i++) {
        for (j = 0; j < ev->n_auth_events; j++)
            if (streq(sel[i]->event_id, ev->auth_events[j]))
                break;
        if (j == ev->n_auth_events)
            return deny(err, ev, "auth_events are not those the state selects");
    }
    return SY_OK;
}

/* ---- handling redactions ---- */

int
sy_auth_redaction_applies(const struct sy_event *red, const struct sy_event *target,
                          const struct sy_auth_state *st)
{
    const struct sy_event *pl = st_get(st, T_POWER, "");

    if (red->redacts == NULL || !streq(red->redacts, target->event_id) ||
        !streq(red->room_id, target->room_id))
        return 0;
    if (level_of(st_get(st, T_CREATE, ""), pl, red->sender) >= named_level(pl, "redact", DEF_REDACT))
        return 1;
    return strcmp(sy_auth_domain(red->sender), sy_auth_domain(target->sender)) == 0;
}
