/*
 * t/unit/event.c -- room versions, PDU parsing, hashes, event IDs,
 * redaction per room version and event signing, checked against the
 * spec's "Event Signing" test vectors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "t/lib/tap.h"
#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include "json/canonical.h"
#include "json/json.h"
#include "rooms/event.h"
#include "rooms/version.h"
#include "util/arena.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"

/* From the spec appendix "Cryptographic Test Vectors". */
#define SPEC_SEED "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"
#define SPEC_SERVER "domain"
#define SPEC_KEY_ID "ed25519:1"

static struct sy_signing_key spec_key;
static struct sy_arena *arena;

static struct json_object *
J(const char *text)
{
    struct json_object *o = NULL;
    struct sy_error err = {0};

    if (sy_json_parse(arena, text, strlen(text), 64, &o, &err) != SY_OK) {
        diag("bad test JSON: %s: %s", err.msg, text);
        exit(2);
    }
    return o;
}

static const char *
canon(struct json_object *o)
{
    struct sy_buf b;
    const char *s;

    sy_buf_init(&b, 0);
    if (sy_json_canonical(&b, o, NULL) != SY_OK)
        s = "(not canonical)";
    else
        s = sy_arena_strdup(arena, b.data ? b.data : "");
    sy_buf_free(&b);
    return s;
}

static const char *
path_str(struct json_object *o, const char *a, const char *b, const char *c)
{
    o = sy_json_get(o, a);
    if (b != NULL)
        o = sy_json_get(o, b);
    if (c != NULL)
        o = sy_json_get(o, c);
    return o != NULL && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

static const struct sy_room_version *
V(const char *id)
{
    return sy_room_version_get(id);
}

/* "$" + urlsafe b64 of sha256(text): the expected reference hash of a literal redacted event. */
static const char *
id_of_text(char sigil, const char *text)
{
    unsigned char h[SY_SHA256_LEN];
    char *s = sy_arena_alloc(arena, 64);

    sy_sha256(text, strlen(text), h);
    s[0] = sigil;
    sy_b64_encode_buf(s + 1, h, sizeof(h), 1);
    return s;
}

static void
test_versions(void)
{
    const struct sy_room_version *all;
    unsigned n = 0, i;

    all = sy_room_versions(&n);
    is_int(n, 7, "seven supported versions");
    is_str(all[0].id, "6", "oldest is 6");
    is_str(all[n - 1].id, "12", "newest is 12");
    for (i = 0; i < n; i++)
        ok(sy_room_version_get(all[i].id) == &all[i] && all[i].stable &&
               all[i].event_id_urlsafe_hash && all[i].strict_canonical_json &&
               !all[i].special_case_aliases_auth,
           "v%s: lookup, stable, v4+ ids, strict JSON", all[i].id);
    ok(V("5") == NULL && V("1") == NULL && V("13") == NULL && V("") == NULL && V(NULL) == NULL,
       "unsupported versions are NULL");
    ok(!V("6")->knock && V("7")->knock, "knock from v7");
    ok(!V("7")->restricted_join && V("8")->restricted_join, "restricted from v8");
    ok(!V("8")->restricted_join_redacts_authorising_user &&
           V("9")->restricted_join_redacts_authorising_user,
       "authorising user kept by redaction from v9");
    ok(!V("9")->knock_restricted && V("10")->knock_restricted &&
           !V("9")->power_levels_strict_ints && V("10")->power_levels_strict_ints,
       "knock_restricted and integer power levels from v10");
    ok(!V("10")->msc2176_redaction && V("11")->msc2176_redaction &&
           V("11")->msc2174_redacts_in_content && V("11")->msc2175_implicit_creator &&
           V("11")->msc3821_3pid_invite_fix && V("11")->msc3989_redact_origin,
       "v11 redaction and format changes");
    ok(!V("11")->room_id_is_create_hash && V("12")->room_id_is_create_hash &&
           !V("11")->creators_infinite_power && V("12")->creators_infinite_power,
       "v12 room IDs and creators");
    ok(V("11")->state_res == SY_STATE_RES_V2 && V("12")->state_res == SY_STATE_RES_V2_1,
       "state res v2 until 11, v2.1 in 12");
    ok(sy_room_version_get("5") == NULL, "version 5 is not supported");
}

#define MINIMAL_EVENT                                                                              \
    "{\"room_id\":\"!x:domain\",\"sender\":\"@a:domain\",\"origin\":\"domain\","                   \
    "\"origin_server_ts\":1000000,\"signatures\":{},\"hashes\":{},\"type\":\"X\","                 \
    "\"content\":{},\"prev_events\":[],\"auth_events\":[],\"depth\":3,"                            \
    "\"unsigned\":{\"age_ts\":1000000}}"
#define MINIMAL_HASH "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos"
#define MINIMAL_SIG                                                                                \
    "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg"
#define REDACTABLE_EVENT                                                                           \
    "{\"content\":{\"body\":\"Here is the message content\"},\"event_id\":\"$0:domain\","          \
    "\"origin\":\"domain\",\"origin_server_ts\":1000000,\"type\":\"m.room.message\","              \
    "\"room_id\":\"!r:domain\",\"sender\":\"@u:domain\",\"signatures\":{},"                        \
    "\"unsigned\":{\"age_ts\":1000000}}"
#define REDACTABLE_HASH "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g"
#define REDACTABLE_SIG                                                                             \
    "Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA"

static void
test_spec_vectors(void)
{
    static const char *const pre11[] = {"6", "7", "8", "9", "10"};
    struct sy_error err = {0};
    struct json_object *o;
    size_t i;

    /* The vectors predate v11, whose redaction drops "origin": they hold for 6 to 10. */
    for (i = 0; i < sizeof(pre11) / sizeof(pre11[0]); i++) {
        o = J(MINIMAL_EVENT);
        is_int(sy_event_add_content_hash(o, &err), SY_OK, "v%s minimal: add hash", pre11[i]);
        is_str(path_str(o, "hashes", "sha256", NULL), MINIMAL_HASH,
               "v%s minimal: spec content hash", pre11[i]);
        is_int(sy_event_sign(arena, V(pre11[i]), o, SPEC_SERVER, &spec_key, &err), SY_OK,
               "v%s minimal: sign", pre11[i]);
        is_str(path_str(o, "signatures", SPEC_SERVER, SPEC_KEY_ID), MINIMAL_SIG,
               "v%s minimal: spec signature", pre11[i]);
        is_int(json_object_get_int(sy_json_get(sy_json_get_obj(o, "unsigned"), "age_ts")),
               1000000, "v%s minimal: unsigned kept", pre11[i]);

        o = J(REDACTABLE_EVENT);
        is_int(sy_event_add_content_hash(o, &err), SY_OK, "v%s redactable: add hash", pre11[i]);
        is_str(path_str(o, "hashes", "sha256", NULL), REDACTABLE_HASH,
               "v%s redactable: spec content hash", pre11[i]);
        is_int(sy_event_sign(arena, V(pre11[i]), o, SPEC_SERVER, &spec_key, &err), SY_OK,
               "v%s redactable: sign", pre11[i]);
        is_str(path_str(o, "signatures", SPEC_SERVER, SPEC_KEY_ID), REDACTABLE_SIG,
               "v%s redactable: spec signature", pre11[i]);
        ok(sy_event_content_hash_ok(o), "v%s redactable: content hash ok", pre11[i]);
    }
}

/* The spec's signed minimal event as a v10 or v11 PDU: ID, verification, tampering. */
static void
test_verify_and_ids(void)
{
    /* Redacted minimal event without signatures/unsigned, written out by hand. */
    static const char red10[] =
        "{\"auth_events\":[],\"content\":{},\"depth\":3,\"hashes\":{\"sha256\":\"" MINIMAL_HASH
        "\"},\"origin\":\"domain\",\"origin_server_ts\":1000000,\"prev_events\":[],"
        "\"room_id\":\"!x:domain\",\"sender\":\"@a:domain\",\"type\":\"X\"}";
    static const char red11[] =
        "{\"auth_events\":[],\"content\":{},\"depth\":3,\"hashes\":{\"sha256\":\"" MINIMAL_HASH
        "\"},\"origin_server_ts\":1000000,\"prev_events\":[],"
        "\"room_id\":\"!x:domain\",\"sender\":\"@a:domain\",\"type\":\"X\"}";
    struct sy_error err = {0};
    struct sy_event *ev = NULL;
    struct sy_signing_key other;
    struct json_object *o;
    const char *id = NULL;

    o = J(MINIMAL_EVENT);
    sy_event_add_content_hash(o, NULL);
    sy_event_sign(arena, V("10"), o, SPEC_SERVER, &spec_key, NULL);
    is_int(sy_event_parse(arena, V("10"), o, &ev, &err), SY_OK, "v10: spec minimal event parses");
    is_str(ev->event_id, id_of_text('$', red10), "v10: event ID is the reference hash");
    is_int(strlen(ev->event_id), 44, "event ID is $ + 43 characters");
    ok(strpbrk(ev->event_id, "+/=") == NULL, "event ID is urlsafe and unpadded");
    is_int(sy_event_compute_id(arena, V("10"), o, &id, &err), SY_OK, "compute id");
    is_str(id, ev->event_id, "sy_event_compute_id agrees");
    ok(ev->content_hash_ok, "content hash ok");
    is_str(ev->room_id, "!x:domain", "room_id");
    is_str(ev->type, "X", "type");
    ok(ev->state_key == NULL, "not a state event");
    is_int(ev->depth, 3, "depth");
    is_int(ev->origin_server_ts, 1000000, "origin_server_ts");
    is_int(ev->n_prev_events + ev->n_auth_events, 0, "no prev/auth events");
    is_int(sy_event_verify_signature(arena, V("10"), o, SPEC_SERVER, SPEC_KEY_ID, spec_key.pub,
                                     &err),
           SY_OK, "v10: signature verifies");
    is_int(sy_event_verify_signature(arena, V("11"), o, SPEC_SERVER, SPEC_KEY_ID, spec_key.pub,
                                     &err),
           SY_EFORBIDDEN, "v11 redaction drops origin, so the v10 signature fails");
    is_int(sy_event_verify_signature(arena, V("10"), o, SPEC_SERVER, "ed25519:2", spec_key.pub,
                                     &err),
           SY_ENOTFOUND, "unknown key id");
    sy_ed25519_generate(&other);
    is_int(sy_event_verify_signature(arena, V("10"), o, SPEC_SERVER, SPEC_KEY_ID, other.pub,
                                     &err),
           SY_EFORBIDDEN, "wrong key");

    is_int(sy_event_parse(arena, V("11"), o, &ev, &err), SY_OK, "v11: same PDU parses");
    is_str(ev->event_id, id_of_text('$', red11), "v11: event ID without origin");

    /* A changed redactable field keeps the signature but fails the content hash. */
    o = J(MINIMAL_EVENT);
    json_object_object_add(o, "content", json_object_get(J("{\"body\":\"x\"}")));
    sy_event_add_content_hash(o, NULL);
    sy_event_sign(arena, V("10"), o, SPEC_SERVER, &spec_key, NULL);
    json_object_object_add(sy_json_get(o, "content"), "body", json_object_new_string("evil"));
    is_int(sy_event_verify_signature(arena, V("10"), o, SPEC_SERVER, SPEC_KEY_ID, spec_key.pub,
                                     &err),
           SY_OK, "edited content: signature still verifies");
    ok(!sy_event_content_hash_ok(o), "edited content: hash check fails");
    is_int(sy_event_parse(arena, V("10"), o, &ev, &err), SY_OK, "edited content: parses");
    ok(!ev->content_hash_ok, "edited content: content_hash_ok is 0");
    json_object_object_add(o, "type", json_object_new_string("Y"));
    is_int(sy_event_verify_signature(arena, V("10"), o, SPEC_SERVER, SPEC_KEY_ID, spec_key.pub,
                                     &err),
           SY_EFORBIDDEN, "edited type: signature fails");
}

/* ---- redaction table ---------------------------------------------------------------------- */

enum { G6_7, G8, G9_10, G11_12, N_GROUPS };
static const char *const group_versions[N_GROUPS][3] = {
    {"6", "7", NULL}, {"8", NULL}, {"9", "10", NULL}, {"11", "12", NULL}};

struct redact_case {
    const char *name;
    const char *type;
    const char *content;
    const char *want[N_GROUPS]; /* canonical redacted content per version group */
};

#define PL_CONTENT                                                                                 \
    "{\"ban\":50,\"events\":{\"m.room.name\":100},\"events_default\":0,\"invite\":0,"              \
    "\"kick\":50,\"notifications\":{\"room\":50},\"redact\":50,\"state_default\":50,"              \
    "\"users\":{\"@a:x\":100},\"users_default\":0,\"x\":1}"
#define PL_OLD "{\"ban\":50,\"events\":{\"m.room.name\":100},\"events_default\":0,\"kick\":50,"    \
               "\"redact\":50,\"state_default\":50,\"users\":{\"@a:x\":100},\"users_default\":0}"
#define PL_NEW "{\"ban\":50,\"events\":{\"m.room.name\":100},\"events_default\":0,\"invite\":0,"   \
               "\"kick\":50,\"redact\":50,\"state_default\":50,\"users\":{\"@a:x\":100},"       \
               "\"users_default\":0}"
#define CREATE_CONTENT                                                                             \
    "{\"additional_creators\":[\"@b:x\"],\"creator\":\"@a:x\",\"m.federate\":false,"               \
    "\"predecessor\":{\"room_id\":\"!old:x\"},\"room_version\":\"11\"}"
#define MEMBER_CONTENT                                                                             \
    "{\"avatar_url\":\"mxc://x/y\",\"displayname\":\"A\","                                         \
    "\"join_authorised_via_users_server\":\"@c:x\",\"membership\":\"join\","                       \
    "\"third_party_invite\":{\"display_name\":\"d\",\"signed\":{\"mxid\":\"@a:x\","                \
    "\"token\":\"t\"}}}"
#define ALLOW "[{\"room_id\":\"!r:x\",\"type\":\"m.room_membership\"}]"

static const struct redact_case redact_cases[] = {
    {"create", "m.room.create", CREATE_CONTENT,
     {"{\"creator\":\"@a:x\"}", "{\"creator\":\"@a:x\"}", "{\"creator\":\"@a:x\"}",
      CREATE_CONTENT}},
    {"member", "m.room.member", MEMBER_CONTENT,
     {"{\"membership\":\"join\"}", "{\"membership\":\"join\"}",
      "{\"join_authorised_via_users_server\":\"@c:x\",\"membership\":\"join\"}",
      "{\"join_authorised_via_users_server\":\"@c:x\",\"membership\":\"join\","
      "\"third_party_invite\":{\"signed\":{\"mxid\":\"@a:x\",\"token\":\"t\"}}}"}},
    {"member, third_party_invite without signed", "m.room.member",
     "{\"membership\":\"invite\",\"third_party_invite\":{\"display_name\":\"d\"}}",
     {"{\"membership\":\"invite\"}", "{\"membership\":\"invite\"}", "{\"membership\":\"invite\"}",
      "{\"membership\":\"invite\"}"}},
    {"join_rules", "m.room.join_rules", "{\"allow\":" ALLOW ",\"join_rule\":\"restricted\",\"x\":1}",
     {"{\"join_rule\":\"restricted\"}", "{\"allow\":" ALLOW ",\"join_rule\":\"restricted\"}",
      "{\"allow\":" ALLOW ",\"join_rule\":\"restricted\"}",
      "{\"allow\":" ALLOW ",\"join_rule\":\"restricted\"}"}},
    {"power_levels", "m.room.power_levels", PL_CONTENT, {PL_OLD, PL_OLD, PL_OLD, PL_NEW}},
    {"history_visibility", "m.room.history_visibility",
     "{\"history_visibility\":\"shared\",\"x\":1}",
     {"{\"history_visibility\":\"shared\"}", "{\"history_visibility\":\"shared\"}",
      "{\"history_visibility\":\"shared\"}", "{\"history_visibility\":\"shared\"}"}},
    {"aliases", "m.room.aliases", "{\"aliases\":[\"#a:x\"]}", {"{}", "{}", "{}", "{}"}},
    {"redaction", "m.room.redaction", "{\"reason\":\"spam\",\"redacts\":\"$e\"}",
     {"{}", "{}", "{}", "{\"redacts\":\"$e\"}"}},
    {"message", "m.room.message", "{\"body\":\"hi\",\"msgtype\":\"m.text\"}",
     {"{}", "{}", "{}", "{}"}},
};

static void
test_redaction_table(void)
{
    struct json_object *o, *red;
    size_t i;
    int g, k;

    for (i = 0; i < sizeof(redact_cases) / sizeof(redact_cases[0]); i++) {
        const struct redact_case *c = &redact_cases[i];

        for (g = 0; g < N_GROUPS; g++)
            for (k = 0; group_versions[g][k] != NULL; k++) {
                o = J("{\"sender\":\"@a:x\",\"room_id\":\"!r:x\"}");
                json_object_object_add(o, "type", json_object_new_string(c->type));
                json_object_object_add(o, "content", J(c->content));
                json_object_get(sy_json_get(o, "content")); /* J() gave the arena one ref */
                red = NULL;
                sy_event_redact(arena, V(group_versions[g][k]), o, &red, NULL);
                is_str(canon(sy_json_get(red, "content")), c->want[g], "v%s %s: kept content",
                       group_versions[g][k], c->name);
            }
    }
}

static void
test_redaction_top_level(void)
{
    static const char full[] =
        "{\"auth_events\":[],\"content\":{\"body\":\"x\"},\"depth\":1,\"event_id\":\"$e\","
        "\"foo\":1,\"hashes\":{\"sha256\":\"h\"},\"membership\":\"join\",\"origin\":\"x\","
        "\"origin_server_ts\":5,\"prev_events\":[],\"prev_state\":[],\"redacts\":\"$r\","
        "\"room_id\":\"!r:x\",\"sender\":\"@a:x\",\"signatures\":{},\"state_key\":\"\","
        "\"type\":\"m.room.redaction\",\"unsigned\":{\"age_ts\":1}}";
    static const char old[] =
        "{\"auth_events\":[],\"content\":{},\"depth\":1,\"event_id\":\"$e\","
        "\"hashes\":{\"sha256\":\"h\"},\"membership\":\"join\",\"origin\":\"x\","
        "\"origin_server_ts\":5,\"prev_events\":[],\"prev_state\":[],"
        "\"room_id\":\"!r:x\",\"sender\":\"@a:x\",\"signatures\":{},\"state_key\":\"\","
        "\"type\":\"m.room.redaction\"}";
    static const char new[] = "{\"auth_events\":[],\"content\":{},\"depth\":1,\"event_id\":\"$e\","
                              "\"hashes\":{\"sha256\":\"h\"},"
                              "\"origin_server_ts\":5,\"prev_events\":[],"
                              "\"room_id\":\"!r:x\",\"sender\":\"@a:x\",\"signatures\":{},"
                              "\"state_key\":\"\",\"type\":\"m.room.redaction\"}";
    struct json_object *o = J(full), *red = NULL;
    struct sy_error err = {0};
    const char *before = canon(o);
    unsigned n, i;
    const struct sy_room_version *all = sy_room_versions(&n);

    for (i = 0; i < n; i++) {
        is_int(sy_event_redact(arena, &all[i], o, &red, &err), SY_OK, "v%s: redact", all[i].id);
        is_str(canon(red), all[i].msc2176_redaction ? new : old, "v%s: top-level keys kept",
               all[i].id);
    }
    is_str(canon(o), before, "redaction leaves the original alone");
    is_int(sy_event_redact(arena, V("10"), J("[]"), &red, &err), SY_EINVAL, "redact a non-object");
}

/* ---- rejection ---------------------------------------------------------------------------- */

/* A valid v10 PDU with one top-level field replaced (NULL value: removed). */
static struct json_object *
pdu_with(const char *key, const char *value_json)
{
    struct json_object *o = J("{\"room_id\":\"!r:x\",\"sender\":\"@a:x\",\"type\":\"m.room.message\","
                              "\"origin_server_ts\":1,\"depth\":2,\"content\":{\"body\":\"b\"},"
                              "\"prev_events\":[\"$p\"],\"auth_events\":[\"$a\",\"$b\"],"
                              "\"signatures\":{}}");

    sy_event_add_content_hash(o, NULL);
    if (key != NULL && value_json == NULL)
        json_object_object_del(o, key);
    else if (key != NULL)
        json_object_object_add(o, key, json_tokener_parse(value_json)); /* scalars too */
    return o;
}

static char *
long_string_json(size_t n)
{
    char *s = sy_arena_alloc(arena, n + 3);

    s[0] = '"';
    memset(s + 1, 'a', n);
    s[n + 1] = '"';
    return s;
}

static void
expect_reject(const char *key, const char *value, int code, const char *errcode, const char *what)
{
    struct sy_error err = {0};
    struct sy_event *ev = NULL;

    is_int(sy_event_parse(arena, V("10"), pdu_with(key, value), &ev, &err), code, "reject %s",
           what);
    is_str(err.errcode, errcode, "  ... with %s (%s)", errcode, err.msg);
}

static void
test_rejections(void)
{
    struct sy_error err = {0};
    struct sy_event *ev = NULL;
    struct json_object *o;
    char *big;

    is_int(sy_event_parse(arena, V("10"), pdu_with(NULL, NULL), &ev, &err), SY_OK,
           "the base PDU parses");
    is_int(ev->n_auth_events, 2, "two auth events");
    is_str(ev->auth_events[1], "$b", "auth_events[1]");
    is_str(ev->prev_events[0], "$p", "prev_events[0]");
    ok(ev->auth_events[2] == NULL, "auth_events NULL-terminated");

    expect_reject("content", "{\"n\":1.5}", SY_EINVAL, "M_BAD_JSON", "a float in content");
    expect_reject("content", "{\"n\":1.0}", SY_EINVAL, "M_BAD_JSON", "1.0 in content");
    expect_reject("depth", "2.0", SY_EINVAL, "M_BAD_JSON", "a float depth");
    expect_reject("depth", "9007199254740992", SY_EINVAL, "M_BAD_JSON", "depth over 2^53-1");
    expect_reject("depth", "-1", SY_EINVAL, "M_BAD_JSON", "a negative depth");
    expect_reject("depth", "\"2\"", SY_EINVAL, "M_BAD_JSON", "a string depth");
    expect_reject("depth", NULL, SY_EINVAL, "M_BAD_JSON", "no depth");
    expect_reject("origin_server_ts", "true", SY_EINVAL, "M_BAD_JSON", "a boolean timestamp");
    expect_reject("sender", NULL, SY_EINVAL, "M_BAD_JSON", "no sender");
    expect_reject("sender", "5", SY_EINVAL, "M_BAD_JSON", "a numeric sender");
    expect_reject("sender", "\"a:x\"", SY_EINVAL, "M_BAD_JSON", "a sender without @");
    expect_reject("type", "null", SY_EINVAL, "M_BAD_JSON", "a null type");
    expect_reject("room_id", NULL, SY_EINVAL, "M_BAD_JSON", "no room_id before v12");
    expect_reject("room_id", "[]", SY_EINVAL, "M_BAD_JSON", "an array room_id");
    expect_reject("state_key", "0", SY_EINVAL, "M_BAD_JSON", "a numeric state_key");
    expect_reject("content", "[]", SY_EINVAL, "M_BAD_JSON", "array content");
    expect_reject("content", NULL, SY_EINVAL, "M_BAD_JSON", "no content");
    expect_reject("prev_events", "{}", SY_EINVAL, "M_BAD_JSON", "object prev_events");
    expect_reject("prev_events", "[1]", SY_EINVAL, "M_BAD_JSON", "a number in prev_events");
    expect_reject("auth_events", NULL, SY_EINVAL, "M_BAD_JSON", "no auth_events");
    expect_reject("hashes", NULL, SY_EINVAL, "M_BAD_JSON", "no hashes");
    expect_reject("hashes", "{}", SY_EINVAL, "M_BAD_JSON", "no hashes.sha256");
    expect_reject("hashes", "{\"sha256\":\"!!\"}", SY_EINVAL, "M_BAD_JSON", "bad base64 hash");
    expect_reject("hashes", "{\"sha256\":\"YWJj\"}", SY_EINVAL, "M_BAD_JSON", "a short hash");
    expect_reject("signatures", NULL, SY_EINVAL, "M_BAD_JSON", "no signatures");
    expect_reject("signatures", "{\"x\":\"sig\"}", SY_EINVAL, "M_BAD_JSON", "flat signatures");
    expect_reject("signatures", "{\"x\":{\"k\":1}}", SY_EINVAL, "M_BAD_JSON", "numeric signature");
    expect_reject("unsigned", "[]", SY_EINVAL, "M_BAD_JSON", "array unsigned");
    expect_reject("redacts", "1", SY_EINVAL, "M_BAD_JSON", "a numeric redacts before v11");

    expect_reject("type", long_string_json(256), SY_ETOOBIG, "M_TOO_LARGE", "a 256-byte type");
    expect_reject("state_key", long_string_json(256), SY_ETOOBIG, "M_TOO_LARGE",
                  "a 256-byte state_key");
    expect_reject("room_id", sy_arena_printf(arena, "\"!%.255s\"", long_string_json(300) + 1),
                  SY_ETOOBIG, "M_TOO_LARGE", "a 256-byte room_id");
    expect_reject("sender", sy_arena_printf(arena, "\"@%.255s\"", long_string_json(300) + 1),
                  SY_ETOOBIG, "M_TOO_LARGE", "a 256-byte sender");
    expect_reject("event_id", long_string_json(256), SY_ETOOBIG, "M_TOO_LARGE",
                  "a 256-byte event_id");
    expect_reject("prev_events", sy_arena_printf(arena, "[\"$%.255s\"]", long_string_json(300) + 1),
                  SY_ETOOBIG, "M_TOO_LARGE", "a 256-byte prev event ID");
    is_int(sy_event_parse(arena, V("10"), pdu_with("type", long_string_json(255)), &ev, &err),
           SY_OK, "a 255-byte type is fine");

    big = sy_arena_printf(arena, "{\"body\":%s}", long_string_json(SY_EVENT_MAX_BYTES));
    expect_reject("content", big, SY_ETOOBIG, "M_TOO_LARGE", "a 64 KiB body");
    /* Signatures count towards the limit too. */
    o = pdu_with(NULL, NULL);
    json_object_object_add(o, "signatures",
                           json_object_get(J(sy_arena_printf(
                               arena, "{\"x\":{\"k\":%s}}", long_string_json(66000)))));
    is_int(sy_event_parse(arena, V("10"), o, &ev, &err), SY_ETOOBIG, "reject big signatures");
    is_int(sy_event_parse(arena, V("10"), J("[1]"), &ev, &err), SY_EINVAL, "reject an array");

    /* A wrong but well-formed hash is not a parse error. */
    is_int(sy_event_parse(arena, V("10"),
                          pdu_with("hashes", "{\"sha256\":\"" MINIMAL_HASH "\"}"), &ev, &err),
           SY_OK, "a wrong hash parses");
    ok(!ev->content_hash_ok, "  ... with content_hash_ok 0");
}

/* ---- building, v11 redacts, v12 room IDs ------------------------------------------------- */

static void
test_build(void)
{
    const char *prev[] = {"$p1", "$p2"}, *auth[] = {"$a1"};
    struct sy_event_fields f = {.room_id = "!r:domain", .sender = "@a:domain",
                                .type = "m.room.redaction", .prev_events = prev,
                                .n_prev_events = 2, .auth_events = auth, .n_auth_events = 1,
                                .depth = 7, .origin_server_ts = 1234, .redacts = "$victim"};
    struct sy_error err = {0};
    struct sy_event *ev = NULL, *again = NULL;
    struct json_object *back = NULL;
    const char *text = NULL;
    size_t len = 0;

    is_int(sy_event_build(arena, V("10"), &f, SPEC_SERVER, &spec_key, &ev, &err), SY_OK,
           "v10: build a redaction");
    is_str(ev->redacts, "$victim", "v10: redacts");
    is_str(sy_json_get_str(ev->json, "redacts"), "$victim", "v10: redacts at top level");
    ok(sy_json_get(ev->content, "redacts") == NULL, "v10: not in content");
    ok(ev->content_hash_ok, "v10: built event has a good hash");
    is_int(sy_event_verify_signature(arena, V("10"), ev->json, SPEC_SERVER, SPEC_KEY_ID,
                                     spec_key.pub, &err),
           SY_OK, "v10: built event verifies");
    is_int(ev->n_prev_events, 2, "prev events");
    is_int(ev->origin_server_ts, 1234, "timestamp");

    is_int(sy_event_canonical(arena, ev, &text, &len, &err), SY_OK, "canonical text");
    is_int(strlen(text), len, "canonical length");
    is_int(sy_json_parse(arena, text, len, 64, &back, &err), SY_OK, "text parses back");
    is_int(sy_event_parse(arena, V("10"), back, &again, &err), SY_OK, "and as an event");
    is_str(again->event_id, ev->event_id, "same event ID after a round trip");
    ok(memcmp(again->content_hash, ev->content_hash, SY_SHA256_LEN) == 0,
       "build gives the content hash parsing computes");
    ok(memcmp(again->reference_hash, ev->reference_hash, SY_SHA256_LEN) == 0,
       "build gives the reference hash parsing computes");
    is_int(sy_event_parse_stored(arena, V("10"), back, ev->event_id, &again, &err), SY_OK,
           "parsed as a stored event");
    is_str(again->event_id, ev->event_id, "stored: the ID it was stored under");
    is_str(again->redacts, "$victim", "stored: its fields");
    is_int(sy_event_parse_stored(arena, V("10"), J("{\"type\":7}"), "$x", &again, &err), SY_EINVAL,
           "stored: a mistyped field is still refused");

    is_int(sy_event_build(arena, V("11"), &f, SPEC_SERVER, &spec_key, &ev, &err), SY_OK,
           "v11: build a redaction");
    is_str(ev->redacts, "$victim", "v11: redacts");
    is_str(sy_json_get_str(ev->content, "redacts"), "$victim", "v11: redacts in content");
    ok(sy_json_get(ev->json, "redacts") == NULL, "v11: not at top level");
    ok(strcmp(again->event_id, ev->event_id) != 0, "v10 and v11 events differ");

    f.origin_server_ts = 0;
    f.redacts = NULL;
    f.type = "m.room.message";
    is_int(sy_event_build(arena, V("11"), &f, SPEC_SERVER, &spec_key, &ev, &err), SY_OK,
           "build with the current time");
    ok(ev->origin_server_ts > 1600000000000LL, "timestamp is now");
    ok(ev->redacts == NULL, "no redacts on a message");
    f.content = J("{\"n\":0.5}");
    is_int(sy_event_build(arena, V("11"), &f, SPEC_SERVER, &spec_key, &ev, &err), SY_EINVAL,
           "build refuses a float");
    f.content = J("{\"deep\":[{\"n\":9007199254740992}]}");
    is_int(sy_event_build(arena, V("11"), &f, SPEC_SERVER, &spec_key, &ev, &err), SY_EINVAL,
           "build refuses an integer past 2^53 - 1, nested");
    is_str(err.errcode, "M_BAD_JSON", "  ... M_BAD_JSON");
}

static void
test_v12_room_id(void)
{
    struct sy_event_fields f = {.sender = "@a:domain", .type = "m.room.create", .state_key = "",
                                .depth = 1, .origin_server_ts = 1000};
    struct sy_error err = {0};
    struct sy_event *create = NULL, *ev = NULL;
    const char *prev[1];
    struct json_object *o;

    f.content = J("{\"room_version\":\"12\"}");
    is_int(sy_event_build(arena, V("12"), &f, SPEC_SERVER, &spec_key, &create, &err), SY_OK,
           "v12: build a create event without room_id");
    ok(sy_json_get(create->json, "room_id") == NULL, "v12: no room_id in the create event");
    is_int(strlen(create->room_id), 44, "v12: room ID is ! + 43 characters");
    ok(create->room_id[0] == '!' && strcmp(create->room_id + 1, create->event_id + 1) == 0,
       "v12: room ID is the create event's reference hash");
    is_str(sy_event_room_id_from_create_id(arena, create->event_id), create->room_id,
           "sy_event_room_id_from_create_id");
    is_int(sy_event_parse_stored(arena, V("12"), create->json, create->event_id, &ev, &err), SY_OK,
           "v12: the create event parsed as stored");
    is_str(ev->room_id, create->room_id, "v12: a stored create's room ID comes from its ID");
    is_str(create->room_id, id_of_text('!', canon(J(sy_arena_printf(
                                               arena,
                                               "{\"auth_events\":[],\"content\":{\"room_version\":"
                                               "\"12\"},\"depth\":1,\"hashes\":{\"sha256\":\"%s\"},"
                                               "\"origin_server_ts\":1000,\"prev_events\":[],"
                                               "\"sender\":\"@a:domain\",\"state_key\":\"\","
                                               "\"type\":\"m.room.create\"}",
                                               path_str(create->json, "hashes", "sha256",
                                                        NULL))))),
           "v12: room ID matches a hand-computed reference hash");

    is_int(sy_event_build(arena, V("11"), &f, SPEC_SERVER, &spec_key, &ev, &err), SY_EINVAL,
           "v11: a create event needs a room_id");

    /* A later v12 event names the room by the derived ID. */
    prev[0] = create->event_id;
    f = (struct sy_event_fields){.room_id = create->room_id, .sender = "@a:domain",
                                 .type = "m.room.member", .state_key = "@a:domain",
                                 .content = J("{\"membership\":\"join\"}"), .prev_events = prev,
                                 .n_prev_events = 1, .depth = 2};
    is_int(sy_event_build(arena, V("12"), &f, SPEC_SERVER, &spec_key, &ev, &err), SY_OK,
           "v12: build a join");
    is_str(ev->room_id, create->room_id, "v12: join carries the room ID");
    o = json_object_get(ev->json);
    json_object_object_del(o, "room_id");
    is_int(sy_event_parse(arena, V("12"), o, &ev, &err), SY_EINVAL,
           "v12: non-create events need a room_id");
    json_object_put(o);

    /* A v12 create that carries a room_id still parses; auth rule 1.2 rejects it. */
    o = json_object_get(create->json);
    json_object_object_add(o, "room_id", json_object_new_string("!x:domain"));
    is_int(sy_event_parse(arena, V("12"), o, &ev, &err), SY_OK, "v12: create with room_id parses");
    is_str(ev->room_id, sy_event_room_id_from_create_id(arena, ev->event_id),
           "v12: its room_id is still the derived one");
    json_object_put(o);
}

/* ---- signed later: the same event, byte for byte ----------------------------------------- */

static void
test_build_unsigned(void)
{
    const char *prev[] = {"$p1"}, *auth[] = {"$a1"};
    /* Content that holds what a placeholder looks like, where a search could mistake it. */
    struct sy_event_fields f = {.room_id = "!r:domain", .sender = "@a:domain",
                                .type = "m.room.message", .prev_events = prev,
                                .n_prev_events = 1, .auth_events = auth, .n_auth_events = 1,
                                .depth = 3, .origin_server_ts = 4321};
    struct sy_event_signature later;
    struct sy_error err = {0};
    struct sy_event *now = NULL, *ev = NULL, *back = NULL;
    struct json_object *parsed = NULL;
    const char *sig_now, *sig_later;

    f.content = J(sy_arena_printf(
        arena, "{\"body\":\"%s\",\"signatures\":{\"domain\":{\"ed25519:1\":\"%s\"}}}",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    is_int(sy_event_build(arena, V("11"), &f, SPEC_SERVER, &spec_key, &now, &err), SY_OK,
           "signed now");
    is_int(sy_event_build_unsigned(arena, V("11"), &f, SPEC_SERVER, &spec_key, &later, &ev, &err),
           SY_OK, "built to be signed later");
    is_str(ev->event_id, now->event_id, "the event ID is final before the signature");
    is_int(ev->canonical_len, now->canonical_len, "so is the canonical length (the size check)");
    ok(strcmp(ev->canonical, now->canonical) != 0, "the text differs until signed");
    is_int(sy_event_signature_apply(&later, &spec_key), SY_OK, "signed");
    is_str(ev->canonical, now->canonical, "canonical text: the same bytes as signed now");
    is_str(canon(ev->json), now->canonical, "the event's JSON: the same");
    sig_now = path_str(now->json, "signatures", SPEC_SERVER, SPEC_KEY_ID);
    sig_later = path_str(ev->json, "signatures", SPEC_SERVER, SPEC_KEY_ID);
    is_str(sig_later, sig_now, "the same signature");
    is_str(path_str(sy_json_get(ev->content, "signatures"), "domain", "ed25519:1", NULL),
           path_str(sy_json_get(f.content, "signatures"), "domain", "ed25519:1", NULL),
           "a look-alike in the content is left alone");
    is_int(sy_event_verify_signature(arena, V("11"), ev->json, SPEC_SERVER, SPEC_KEY_ID,
                                     spec_key.pub, &err),
           SY_OK, "it verifies");
    is_int(sy_json_parse(arena, ev->canonical, ev->canonical_len, 64, &parsed, &err), SY_OK,
           "the stored text parses");
    is_int(sy_event_parse(arena, V("11"), parsed, &back, &err), SY_OK, "as an event");
    is_int(sy_event_verify_signature(arena, V("11"), parsed, SPEC_SERVER, SPEC_KEY_ID,
                                     spec_key.pub, &err),
           SY_OK, "whose signature verifies");
}

int
main(void)
{
    unsigned char seed[SY_ED25519_SEED_LEN];
    size_t len = 0;

    arena = sy_arena_new();
    sy_b64_decode_buf(SPEC_SEED, strlen(SPEC_SEED), 0, seed, sizeof(seed), &len);
    if (sy_ed25519_from_seed(&spec_key, SPEC_KEY_ID, seed, NULL) != SY_OK)
        return 2;

    test_versions();
    test_spec_vectors();
    test_verify_and_ids();
    test_redaction_table();
    test_redaction_top_level();
    test_rejections();
    test_build();
    test_v12_room_id();
    test_build_unsigned();

    sy_arena_free(arena);
    return done_testing();
}
