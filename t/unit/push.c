/*
 * t/unit/push.c -- push rule evaluation against the spec's conditions
 * (push.md) and the server-default ruleset.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "../lib/tap.h"
#include "db/push.h"
#include "json/json.h"
#include "push/eval.h"
#include "push/rules.h"
#include "util/arena.h"

#define ME "@alice:example.org"

static struct sy_arena *A;

static struct json_object *
J(const char *text)
{
    struct json_object *o = NULL;

    if (sy_json_parse(A, text, strlen(text), 64, &o, NULL) != 0) {
        diag("bad test JSON: %s", text);
        return sy_json_new_object(A);
    }
    return o;
}

/* One condition from JSON, evaluated for ctx. */
static int
cond(const char *cjson, struct sy_push_ctx *ctx)
{
    const struct sy_push_cond *c;
    size_t n;
    char buf[1024];

    snprintf(buf, sizeof(buf), "[%s]", cjson);
    sy_push_compile_conds(A, J(buf), &c, &n);
    return n == 1 && sy_push_cond_matches(c, ctx);
}

static struct sy_push_ctx
ctx_for(const char *event)
{
    struct sy_push_ctx c = {0};

    c.event = J(event);
    c.user_id = ME;
    c.displayname = "Alice Liddell";
    c.member_count = 5;
    c.sender_level = 0;
    return c;
}

/* The rule ID an event matches under 'rs' ("-" when none). */
static const char *
winner(const struct sy_push_ruleset *rs, struct sy_push_ctx *c)
{
    const struct sy_push_rule *r = sy_push_eval(rs, c);

    return r != NULL ? r->rule_id : "-";
}

static void
test_glob(void)
{
    ok(sy_push_glob("lunc?*", "Lunch plans", 0, 0), "glob: lunc?* matches 'Lunch plans'");
    ok(sy_push_glob("lunc?*", "LUNCH", 0, 0), "glob: case-insensitive, * may be empty");
    ok(!sy_push_glob("lunc?*", " lunch", 0, 0), "glob: leading space does not match");
    ok(!sy_push_glob("lunc?*", "lunc", 0, 0), "glob: ? needs a character");
    ok(sy_push_glob("", "", 0, 0), "glob: empty matches empty");
    ok(!sy_push_glob("", "x", 0, 0), "glob: empty pattern does not match a value");
    ok(sy_push_glob("a*b*c", "aXXbYYc", 0, 0), "glob: several stars");
    ok(!sy_push_glob("a*b*c", "aXXbYY", 0, 0), "glob: several stars, missing tail");
    ok(sy_push_glob("?", "\xc3\xa9", 0, 0), "glob: ? is one code point, not one byte");

    ok(sy_push_glob("ex*ple", "An example event.", 1, 0), "body: ex*ple in 'An example event.'");
    ok(sy_push_glob("ex*ple", "exple", 1, 0), "body: at start and end of the value");
    ok(sy_push_glob("ex*ple", "An exciting triple-whammy", 1, 0),
       "body: spans words, '-' separates words");
    ok(!sy_push_glob("ex*ple", "examples", 1, 0), "body: must end at a word boundary");
    ok(!sy_push_glob("cake", "pancake", 1, 0), "body: must start at a word boundary");
    ok(sy_push_glob("cake", "more cake!", 1, 0), "body: punctuation is a boundary");
    ok(!sy_push_glob("cake", "cake_lie", 1, 0), "body: '_' is a word character");
    ok(sy_push_glob("@room", "hey @room look", 1, 0), "body: @room after a space");

    ok(sy_push_glob("Al*ce", "Al*ce: hi", 1, 1), "literal: * is an ordinary character");
    ok(!sy_push_glob("Al*ce", "Alice: hi", 1, 1), "literal: * does not glob");
    ok(sy_push_glob("\xc3\x89lodie", "bonjour \xc3\xa9LODIE", 1, 1),
       "fold: Latin-1 letters ignore case");
    ok(sy_push_glob("\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd", "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd", 0, 0),
       "fold: Cyrillic letters ignore case");
    ok(!sy_push_glob("a", "\xff", 0, 0), "invalid UTF-8 never matches");
    /* The ASCII pre-check rejects only what the full match would. */
    ok(sy_push_glob("CARL", "\xc3\xa9t\xc3\xa9 with carl!", 1, 0),
       "ascii pattern in a value with other letters, other case");
    ok(!sy_push_glob("carl", "\xc3\xa9t\xc3\xa9 with car!", 1, 0), "ascii pattern absent");
    ok(sy_push_glob("b?b", "hi BOB", 1, 0), "? between pieces found in other case");
    ok(!sy_push_glob("b?b*zz", "hi BOB", 1, 0), "a piece after * that is absent");
    ok(sy_push_glob("al?ce", "AL\xc3\x8f" "CE", 0, 0), "? matches a non-ASCII letter between pieces");
}

static void
test_lookup(void)
{
    struct json_object *ev = J("{\"content\":{\"m.relates_to\":{\"rel_type\":\"m.replace\"},"
                               "\"m\\\\foo\":1,\"n\":null}}"),
                       *v;

    ok(sy_push_lookup(ev, "content.m\\.relates_to.rel_type", &v) && v != NULL &&
           strcmp(json_object_get_string(v), "m.replace") == 0,
       "lookup: \\. escapes a dot");
    ok(sy_push_lookup(ev, "content.m\\\\foo", &v) && v != NULL && json_object_get_int(v) == 1,
       "lookup: \\\\ escapes a backslash");
    ok(!sy_push_lookup(ev, "content.m.relates_to", &v), "lookup: an unescaped dot splits");
    ok(sy_push_lookup(ev, "content.n", &v) && v == NULL, "lookup: null is present");
    ok(!sy_push_lookup(ev, "content.nope", &v), "lookup: absent");
    ok(!sy_push_lookup(ev, "content.m\\.relates_to.rel_type.x", &v),
       "lookup: through a string is absent");
}

static void
test_conditions(void)
{
    struct sy_push_ctx c = ctx_for(
        "{\"type\":\"m.room.topic\",\"state_key\":\"\",\"sender\":\"@bob:example.org\","
        "\"room_id\":\"!r:example.org\",\"content\":{\"topic\":\"Lunch plans\","
        "\"m.federate\":true,\"n\":3,\"z\":null,\"alt_aliases\":[\"#a:x\",\"#myroom:example.com\","
        "7,true],\"body\":\"ask Alice Liddell, please\"}}");

    ok(cond("{\"kind\":\"event_match\",\"key\":\"content.topic\",\"pattern\":\"lunc?*\"}", &c),
       "event_match on content.topic");
    ok(!cond("{\"kind\":\"event_match\",\"key\":\"content.n\",\"pattern\":\"*\"}", &c),
       "event_match: a non-string never matches, even *");
    ok(!cond("{\"kind\":\"event_match\",\"key\":\"content.nope\",\"pattern\":\"*\"}", &c),
       "event_match: absent never matches");
    ok(cond("{\"kind\":\"event_match\",\"key\":\"state_key\",\"pattern\":\"\"}", &c),
       "event_match: empty state_key");
    ok(!cond("{\"kind\":\"event_match\",\"key\":\"content.topic\"}", &c),
       "event_match without pattern never matches");

    ok(cond("{\"kind\":\"event_property_is\",\"key\":\"content.m\\\\.federate\",\"value\":true}",
            &c),
       "event_property_is: boolean true");
    ok(!cond("{\"kind\":\"event_property_is\",\"key\":\"content.m\\\\.federate\","
             "\"value\":\"true\"}",
             &c),
       "event_property_is: no casting to string");
    ok(!cond("{\"kind\":\"event_property_is\",\"key\":\"content.m\\\\.federate\",\"value\":1}", &c),
       "event_property_is: no casting to integer");
    ok(cond("{\"kind\":\"event_property_is\",\"key\":\"content.n\",\"value\":3}", &c),
       "event_property_is: integer");
    ok(cond("{\"kind\":\"event_property_is\",\"key\":\"content.z\",\"value\":null}", &c),
       "event_property_is: null");
    ok(!cond("{\"kind\":\"event_property_is\",\"key\":\"content.absent\",\"value\":null}", &c),
       "event_property_is: absent is not null");
    ok(!cond("{\"kind\":\"event_property_is\",\"key\":\"content.topic\",\"value\":\"lunch "
             "plans\"}",
             &c),
       "event_property_is: strings compare exactly");

    ok(cond("{\"kind\":\"event_property_contains\",\"key\":\"content.alt_aliases\","
            "\"value\":\"#myroom:example.com\"}",
            &c),
       "event_property_contains: string element");
    ok(!cond("{\"kind\":\"event_property_contains\",\"key\":\"content.alt_aliases\","
             "\"value\":\":example.com\"}",
             &c),
       "event_property_contains: partial values do not match");
    ok(cond("{\"kind\":\"event_property_contains\",\"key\":\"content.alt_aliases\",\"value\":7}",
            &c),
       "event_property_contains: integer element");
    ok(!cond("{\"kind\":\"event_property_contains\",\"key\":\"content.topic\",\"value\":\"L\"}",
             &c),
       "event_property_contains: not an array");

    ok(cond("{\"kind\":\"contains_display_name\"}", &c), "contains_display_name: in the body");
    c.displayname = "Alice";
    ok(cond("{\"kind\":\"contains_display_name\"}", &c), "contains_display_name: a word of it");
    c.displayname = "Ali";
    ok(!cond("{\"kind\":\"contains_display_name\"}", &c),
       "contains_display_name: not part of a word");
    c.displayname = NULL;
    ok(!cond("{\"kind\":\"contains_display_name\"}", &c), "contains_display_name: no name");
    c.displayname = "";
    ok(!cond("{\"kind\":\"contains_display_name\"}", &c), "contains_display_name: empty name");

    c.member_count = 2;
    ok(cond("{\"kind\":\"room_member_count\",\"is\":\"2\"}", &c), "member count: 2");
    ok(cond("{\"kind\":\"room_member_count\",\"is\":\"==2\"}", &c), "member count: ==2");
    ok(!cond("{\"kind\":\"room_member_count\",\"is\":\"3\"}", &c), "member count: not 3");
    ok(cond("{\"kind\":\"room_member_count\",\"is\":\"<3\"}", &c), "member count: <3");
    ok(!cond("{\"kind\":\"room_member_count\",\"is\":\"<2\"}", &c), "member count: not <2");
    ok(cond("{\"kind\":\"room_member_count\",\"is\":\">1\"}", &c), "member count: >1");
    ok(cond("{\"kind\":\"room_member_count\",\"is\":\">=2\"}", &c), "member count: >=2");
    ok(cond("{\"kind\":\"room_member_count\",\"is\":\"<=2\"}", &c), "member count: <=2");
    ok(!cond("{\"kind\":\"room_member_count\",\"is\":\"<=1\"}", &c), "member count: not <=1");
    ok(!cond("{\"kind\":\"room_member_count\",\"is\":\"2x\"}", &c), "member count: junk");
    ok(!cond("{\"kind\":\"room_member_count\",\"is\":\"!2\"}", &c), "member count: bad op");
    ok(!cond("{\"kind\":\"room_member_count\",\"is\":\"\"}", &c), "member count: empty");

    c.sender_level = 49;
    ok(!cond("{\"kind\":\"sender_notification_permission\",\"key\":\"room\"}", &c),
       "notification permission: 49 < default 50");
    c.sender_level = 50;
    ok(cond("{\"kind\":\"sender_notification_permission\",\"key\":\"room\"}", &c),
       "notification permission: 50 >= default 50");
    c.notification_levels = J("{\"room\":75}");
    ok(!cond("{\"kind\":\"sender_notification_permission\",\"key\":\"room\"}", &c),
       "notification permission: the room's level applies");
    c.notification_levels = J("{\"room\":0}");
    c.sender_level = 0;
    ok(cond("{\"kind\":\"sender_notification_permission\",\"key\":\"room\"}", &c),
       "notification permission: level 0 lets everyone");

    ok(!cond("{\"kind\":\"org.example.future\"}", &c), "an unknown condition never matches");
}

static void
test_actions(void)
{
    int n, h;

    sy_push_actions_flags(J("[\"notify\",{\"set_tweak\":\"highlight\"}]"), &n, &h);
    ok(n && h, "actions: notify + highlight without value");
    sy_push_actions_flags(J("[\"notify\",{\"set_tweak\":\"highlight\",\"value\":false}]"), &n, &h);
    ok(n && !h, "actions: highlight false");
    sy_push_actions_flags(J("[{\"set_tweak\":\"sound\",\"value\":\"default\"}]"), &n, &h);
    ok(!n && !h, "actions: a sound alone does not notify");
    sy_push_actions_flags(J("[]"), &n, &h);
    ok(!n && !h, "actions: empty");
}

#define MSG(extra)                                                                                 \
    "{\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\",\"room_id\":\"!r:example.org\"," \
    "\"content\":{\"msgtype\":\"m.text\"" extra "}}"

static void
test_defaults(void)
{
    struct sy_push_ruleset rs, own;
    struct sy_push_ctx c;
    size_t n;
    const struct sy_push_rule *d = sy_push_default_rules(&n);
    const struct sy_push_rule *r;

    sy_push_ruleset_build(A, NULL, 0, NULL, 0, &rs);
    is_str(d[0].rule_id, ".m.rule.master", "defaults: master first");
    ok(!d[0].enabled, "defaults: master disabled");
    is_int((int)rs.n[SY_PUSH_OVERRIDE], 12, "defaults: 12 override rules");
    is_int((int)rs.n[SY_PUSH_CONTENT], 1, "defaults: 1 content rule");
    is_int((int)rs.n[SY_PUSH_UNDERRIDE], 5, "defaults: 5 underride rules");

    c = ctx_for(MSG(",\"body\":\"hi\""));
    c.member_count = 2;
    is_str(winner(&rs, &c), ".m.rule.room_one_to_one", "1:1 message");
    r = sy_push_eval(&rs, &c);
    ok(r->notify && !r->highlight, "1:1 message notifies, no highlight");
    c.member_count = 3;
    is_str(winner(&rs, &c), ".m.rule.message", "group message");

    c = ctx_for(MSG(",\"body\":\"hello Alice Liddell\""));
    is_str(winner(&rs, &c), ".m.rule.contains_display_name", "display name in body");
    ok(sy_push_eval(&rs, &c)->highlight, "display name highlights");
    c = ctx_for(MSG(",\"body\":\"hello Alice Liddell\",\"m.mentions\":{}"));
    is_str(winner(&rs, &c), ".m.rule.message", "with m.mentions the body is not scanned");
    c = ctx_for(MSG(",\"body\":\"x\",\"m.mentions\":{\"user_ids\":[\"" ME "\"]}"));
    is_str(winner(&rs, &c), ".m.rule.is_user_mention", "m.mentions.user_ids");
    c = ctx_for(MSG(",\"body\":\"x\",\"m.mentions\":{\"user_ids\":[\"@carol:example.org\"]}"));
    is_str(winner(&rs, &c), ".m.rule.message", "someone else's mention");
    c = ctx_for(MSG(",\"body\":\"ping alice!\""));
    is_str(winner(&rs, &c), ".m.rule.contains_user_name", "localpart in body");

    c = ctx_for(MSG(",\"body\":\"@room meeting\""));
    is_str(winner(&rs, &c), ".m.rule.message", "@room from level 0 is a plain message");
    c.sender_level = 50;
    is_str(winner(&rs, &c), ".m.rule.roomnotif", "@room from level 50");
    c = ctx_for(MSG(",\"body\":\"x\",\"m.mentions\":{\"room\":true}"));
    c.sender_level = 100;
    is_str(winner(&rs, &c), ".m.rule.is_room_mention", "m.mentions.room from level 100");
    ok(sy_push_eval(&rs, &c)->highlight, "room mention highlights");

    c = ctx_for("{\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\","
                "\"content\":{\"msgtype\":\"m.notice\",\"body\":\"Alice Liddell\"}}");
    is_str(winner(&rs, &c), ".m.rule.suppress_notices", "notices are suppressed");
    ok(!sy_push_eval(&rs, &c)->notify, "suppressed: no notify");

    c = ctx_for("{\"type\":\"m.room.member\",\"state_key\":\"" ME "\","
                "\"sender\":\"@bob:example.org\",\"content\":{\"membership\":\"invite\"}}");
    is_str(winner(&rs, &c), ".m.rule.invite_for_me", "an invite for me");
    c = ctx_for("{\"type\":\"m.room.member\",\"state_key\":\"@carol:example.org\","
                "\"sender\":\"@bob:example.org\",\"content\":{\"membership\":\"invite\"}}");
    is_str(winner(&rs, &c), ".m.rule.member_event", "someone else's invite");

    c = ctx_for(MSG(",\"body\":\"* fixed\",\"m.relates_to\":{\"rel_type\":\"m.replace\"}"));
    is_str(winner(&rs, &c), ".m.rule.suppress_edits", "edits are suppressed");
    c = ctx_for("{\"type\":\"m.reaction\",\"sender\":\"@bob:example.org\",\"content\":{}}");
    is_str(winner(&rs, &c), ".m.rule.reaction", "reactions are suppressed");
    c = ctx_for("{\"type\":\"m.room.tombstone\",\"state_key\":\"\",\"sender\":\"@b:x\","
                "\"content\":{}}");
    is_str(winner(&rs, &c), ".m.rule.tombstone", "tombstone");
    ok(sy_push_eval(&rs, &c)->highlight, "tombstone highlights");
    c = ctx_for("{\"type\":\"m.room.tombstone\",\"state_key\":\"x\",\"sender\":\"@b:x\","
                "\"content\":{}}");
    is_str(winner(&rs, &c), "-", "tombstone with a state key is not the room's");
    c = ctx_for("{\"type\":\"m.room.server_acl\",\"state_key\":\"\",\"sender\":\"@b:x\","
                "\"content\":{}}");
    is_str(winner(&rs, &c), ".m.rule.room.server_acl", "server ACL");
    c = ctx_for("{\"type\":\"m.call.invite\",\"sender\":\"@b:x\",\"content\":{}}");
    is_str(winner(&rs, &c), ".m.rule.call", "call invite");
    c = ctx_for("{\"type\":\"m.room.encrypted\",\"sender\":\"@b:x\",\"content\":{}}");
    c.member_count = 2;
    is_str(winner(&rs, &c), ".m.rule.encrypted_room_one_to_one", "encrypted 1:1");
    c.member_count = 4;
    is_str(winner(&rs, &c), ".m.rule.encrypted", "encrypted group");
    c = ctx_for("{\"type\":\"m.room.name\",\"state_key\":\"\",\"sender\":\"@b:x\","
                "\"content\":{\"name\":\"n\"}}");
    is_str(winner(&rs, &c), "-", "a name change matches nothing");

    /* The user's own rules and changes to defaults. */
    {
        struct sy_db_push_rule u[] = {
            {.user_id = ME,
             .kind = "override",
             .rule_id = "mine",
             .priority = 2,
             .conditions = "[{\"kind\":\"event_match\",\"key\":\"content.body\","
                           "\"pattern\":\"secret\"}]",
             .actions = "[\"notify\",{\"set_tweak\":\"highlight\",\"value\":true}]",
             .enabled = 1},
            {.user_id = ME,
             .kind = "override",
             .rule_id = "off",
             .priority = 1,
             .conditions = "[]",
             .actions = "[\"notify\"]",
             .enabled = 0},
            {.user_id = ME,
             .kind = "override",
             .rule_id = "future",
             .priority = 0,
             .conditions = "[{\"kind\":\"org.example.x\"}]",
             .actions = "[\"notify\"]",
             .enabled = 1},
            {.user_id = ME,
             .kind = "content",
             .rule_id = "cake",
             .priority = 1,
             .pattern = "cake*lie",
             .actions = "[\"notify\"]",
             .enabled = 1},
            {.user_id = ME,
             .kind = "room",
             .rule_id = "!quiet:example.org",
             .priority = 1,
             .actions = "[]",
             .enabled = 1},
            {.user_id = ME,
             .kind = "sender",
             .rule_id = "@boss:example.org",
             .priority = 1,
             .actions = "[\"notify\",{\"set_tweak\":\"highlight\"}]",
             .enabled = 1},
        };
        struct sy_db_push_default dch[] = {
            {.user_id = ME,
             .kind = "underride",
             .rule_id = ".m.rule.message",
             .enabled = -1,
             .actions = "[]"},
        };
        struct sy_db_push_default master_on[] = {
            {.user_id = ME, .kind = "override", .rule_id = ".m.rule.master", .enabled = 1},
        };

        sy_push_ruleset_build(A, u, 6, dch, 1, &own);
        is_str(own.rules[SY_PUSH_OVERRIDE][0].rule_id, ".m.rule.master", "own: master stays first");
        is_str(own.rules[SY_PUSH_OVERRIDE][1].rule_id, "mine", "own: user overrides next");
        is_str(own.rules[SY_PUSH_OVERRIDE][4].rule_id, ".m.rule.suppress_notices",
               "own: then the default overrides");
        is_str(own.rules[SY_PUSH_CONTENT][0].rule_id, "cake", "own: user content first");

        c = ctx_for(MSG(",\"body\":\"my secret\""));
        is_str(winner(&own, &c), "mine", "own override wins over defaults");
        c = ctx_for("{\"type\":\"m.room.message\",\"sender\":\"@b:x\",\"content\":"
                    "{\"msgtype\":\"m.notice\",\"body\":\"secret\"}}");
        is_str(winner(&own, &c), "mine", "own override beats suppress_notices");
        c = ctx_for(MSG(",\"body\":\"the cake is a lie\""));
        is_str(winner(&own, &c), "cake", "content rule with a pattern");
        c = ctx_for("{\"type\":\"m.room.message\",\"sender\":\"@b:x\","
                    "\"room_id\":\"!quiet:example.org\",\"content\":{\"body\":\"x\"}}");
        is_str(winner(&own, &c), "!quiet:example.org", "room rule");
        ok(!sy_push_eval(&own, &c)->notify, "room rule with no actions: silent");
        c = ctx_for("{\"type\":\"m.room.message\",\"sender\":\"@boss:example.org\","
                    "\"room_id\":\"!r:x\",\"content\":{\"body\":\"x\"}}");
        is_str(winner(&own, &c), "@boss:example.org", "sender rule");
        c = ctx_for(MSG(",\"body\":\"plain\""));
        is_str(winner(&own, &c), ".m.rule.message", "changed default still matches");
        ok(!sy_push_eval(&own, &c)->notify, "its changed actions apply");

        sy_push_ruleset_build(A, u, 6, master_on, 1, &own);
        c = ctx_for(MSG(",\"body\":\"my secret\""));
        is_str(winner(&own, &c), ".m.rule.master", "master enabled matches first");
        ok(!sy_push_eval(&own, &c)->notify, "master: nothing notifies");
    }
}

static void
test_json(void)
{
    struct sy_push_ruleset rs;
    struct json_object *o, *arr, *r;
    const char *text;

    sy_push_ruleset_build(A, NULL, 0, NULL, 0, &rs);
    o = sy_push_ruleset_json(A, ME, &rs);
    arr = sy_json_get_arr(o, "content");
    r = arr ? json_object_array_get_idx(arr, 0) : NULL;
    is_str(r ? sy_json_get_str(r, "pattern") : NULL, "alice", "json: contains_user_name pattern");
    ok(sy_json_get_arr(o, "room") && sy_json_get_arr(o, "sender"), "json: room and sender lists");
    arr = sy_json_get_arr(o, "override");
    r = arr ? json_object_array_get_idx(arr, 2) : NULL;
    text = r ? sy_json_text(r, NULL) : "";
    ok(strstr(text, "\"pattern\":\"" ME "\"") != NULL, "json: invite_for_me names the user");
    r = arr ? json_object_array_get_idx(arr, 4) : NULL;
    text = r ? sy_json_text(r, NULL) : "";
    ok(strstr(text, "\"value\":\"" ME "\"") != NULL &&
           strstr(text, "\"key\":\"content.m\\\\.mentions.user_ids\"") != NULL,
       "json: is_user_mention names the user, key escaped");
}

/* ---- the per-event memo gives exactly what sy_push_eval gives ---------------- */

struct memo_user {
    const char *user_id;
    const char *displayname;
    int ruleset; /* index into the test's rulesets; 0: the defaults */
};

/* A user ID longer than the glob's and the localpart's stack buffers. */
#define LONG_LP                                                                                    \
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"   \
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"   \
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

static const struct memo_user memo_users[] = {
    {ME, "Alice Liddell", 0},
    {"@bob:example.org", "Bob", 0},
    {"@carol:example.org", NULL, 0},
    {"@dave:example.org", "", 0},
    {"@room:example.org", "room", 0},
    {"@al:example.org", "Al", 0},
    {"@\xc3\xa9lodie:example.org", "\xc3\x89lodie", 0},
    {"@" LONG_LP ":example.org", LONG_LP, 0},
    {"@eve:example.org", "Eve", 1},
    {"@frank:example.org", "Frank", 2},
    {"@gina:example.org", "Gina", 3},
    {"@carol2:example.org", "carol", 0},
    {"@harry:example.org", "Harry", 1},
    {"@ivy:example.org", "Alice", 0},
};
#define N_MEMO_USERS (sizeof(memo_users) / sizeof(memo_users[0]))

static const char *const memo_events[] = {
    MSG(",\"body\":\"hi\""),
    MSG(",\"body\":\"hello Alice Liddell and Bob\""),
    MSG(",\"body\":\"ping alice, eve and al!\""),
    MSG(",\"body\":\"\xc3\xa9LODIE: bonjour\""),
    MSG(",\"body\":\"hello " LONG_LP "\""),
    MSG(",\"body\":\"hello Alice\",\"m.mentions\":{}"),
    MSG(",\"body\":\"x\",\"m.mentions\":{\"user_ids\":[\"" ME "\"]}"),
    MSG(",\"body\":\"x\",\"m.mentions\":{\"user_ids\":[\"@carol:example.org\",\"" ME "\",7]}"),
    MSG(",\"body\":\"x\",\"m.mentions\":{\"user_ids\":\"" ME "\"}"),
    MSG(",\"body\":\"@room meeting\""),
    MSG(",\"body\":\"@room meeting\",\"m.mentions\":{\"room\":true}"),
    MSG(",\"body\":\"x\",\"m.mentions\":{\"room\":true,\"user_ids\":[\"@bob:example.org\"]}"),
    MSG(",\"body\":\"the cake is a lie, Eve\""),
    MSG(",\"body\":\"my secret, Frank\""),
    MSG(",\"body\":7"),
    MSG(""),
    MSG(",\"body\":\"* fixed, Alice\",\"m.relates_to\":{\"rel_type\":\"m.replace\"}"),
    "{\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\",\"room_id\":\"!r:example.org\","
    "\"content\":{\"msgtype\":\"m.notice\",\"body\":\"Alice Liddell\"}}",
    "{\"type\":\"m.room.message\",\"sender\":\"@boss:example.org\",\"room_id\":\"!r:example.org\","
    "\"content\":{\"body\":\"from the boss\"}}",
    "{\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\","
    "\"room_id\":\"!quiet:example.org\",\"content\":{\"body\":\"quiet alice\"}}",
    "{\"type\":\"m.room.member\",\"state_key\":\"" ME "\",\"sender\":\"@bob:example.org\","
    "\"content\":{\"membership\":\"invite\"}}",
    "{\"type\":\"m.room.member\",\"state_key\":\"@eve:example.org\","
    "\"sender\":\"@bob:example.org\",\"content\":{\"membership\":\"invite\"}}",
    "{\"type\":\"m.room.member\",\"state_key\":\"@bob:example.org\","
    "\"sender\":\"@bob:example.org\",\"content\":{\"membership\":\"join\",\"displayname\":\"B\"}}",
    "{\"type\":\"m.reaction\",\"sender\":\"@bob:example.org\",\"content\":{\"m.relates_to\":"
    "{\"rel_type\":\"m.annotation\",\"key\":\"alice\"}}}",
    "{\"type\":\"m.room.tombstone\",\"state_key\":\"\",\"sender\":\"@b:x\",\"content\":{}}",
    "{\"type\":\"m.room.server_acl\",\"state_key\":\"\",\"sender\":\"@b:x\",\"content\":{}}",
    "{\"type\":\"m.call.invite\",\"sender\":\"@b:x\",\"content\":{}}",
    "{\"type\":\"m.room.encrypted\",\"sender\":\"@b:x\",\"content\":{}}",
    "{\"type\":\"m.room.name\",\"state_key\":\"\",\"sender\":\"@b:x\",\"content\":{\"name\":\"n\"}"
    "}",
};
#define N_MEMO_EVENTS (sizeof(memo_events) / sizeof(memo_events[0]))

/* The rulesets users may have: 0 the defaults, then three kinds of own rules. */
static void
memo_rulesets(struct sy_push_ruleset rs[4])
{
    static const struct sy_db_push_rule own[] = {
        {.user_id = "u",
         .kind = "override",
         .rule_id = "mine",
         .priority = 2,
         .conditions = "[{\"kind\":\"event_match\",\"key\":\"content.body\","
                       "\"pattern\":\"secret\"}]",
         .actions = "[\"notify\",{\"set_tweak\":\"highlight\",\"value\":true}]",
         .enabled = 1},
        {.user_id = "u",
         .kind = "override",
         .rule_id = "name_in_small_room",
         .priority = 1,
         .conditions = "[{\"kind\":\"room_member_count\",\"is\":\"<3\"},"
                       "{\"kind\":\"contains_display_name\"}]",
         .actions = "[\"notify\"]",
         .enabled = 1},
        {.user_id = "u",
         .kind = "content",
         .rule_id = "cake",
         .priority = 1,
         .pattern = "cake*lie",
         .actions = "[\"notify\"]",
         .enabled = 1},
        {.user_id = "u",
         .kind = "room",
         .rule_id = "!quiet:example.org",
         .priority = 1,
         .actions = "[]",
         .enabled = 1},
        {.user_id = "u",
         .kind = "sender",
         .rule_id = "@boss:example.org",
         .priority = 1,
         .actions = "[\"notify\",{\"set_tweak\":\"highlight\"}]",
         .enabled = 1},
    };
    static const struct sy_db_push_default quiet[] = {
        {.user_id = "u",
         .kind = "underride",
         .rule_id = ".m.rule.message",
         .enabled = -1,
         .actions = "[]"},
        {.user_id = "u",
         .kind = "override",
         .rule_id = ".m.rule.contains_display_name",
         .enabled = 0},
        {.user_id = "u", .kind = "content", .rule_id = ".m.rule.contains_user_name", .enabled = 0},
    };
    static const struct sy_db_push_default master_on[] = {
        {.user_id = "u", .kind = "override", .rule_id = ".m.rule.master", .enabled = 1},
    };

    sy_push_ruleset_build(A, NULL, 0, NULL, 0, &rs[0]);
    sy_push_ruleset_build(A, own, 5, NULL, 0, &rs[1]);
    sy_push_ruleset_build(A, own, 2, quiet, 3, &rs[2]);
    sy_push_ruleset_build(A, NULL, 0, master_on, 1, &rs[3]);
}

/*
 * Every user of memo_users against one event: one memo per ruleset,
 * users visited in 'order' (0 forward, 1 backward) so that a rule is
 * settled by different users first.  The number of mismatches; each
 * distinct winner is added to 'seen'.
 */
static int
memo_round(struct sy_push_ruleset rs[4], struct sy_push_ctx base, int order, const char **seen,
           size_t *n_seen)
{
    struct sy_push_memo memo[4];
    int bad = 0;

    for (int k = 0; k < 4; k++)
        sy_push_memo_init(&memo[k], A, &rs[k], &base);
    for (size_t j = 0; j < N_MEMO_USERS; j++) {
        const struct memo_user *u = &memo_users[order ? N_MEMO_USERS - 1 - j : j];
        struct sy_push_ctx c = base;
        const struct sy_push_rule *want, *got;
        size_t s;

        c.user_id = u->user_id;
        c.displayname = u->displayname;
        want = sy_push_eval(&rs[u->ruleset], &c);
        got = sy_push_eval_memo(&memo[u->ruleset], u->user_id, u->displayname);
        if (got != want) {
            bad++;
            diag("memo: %s gets %s, sy_push_eval %s", u->user_id, got ? got->rule_id : "-",
                 want ? want->rule_id : "-");
        }
        for (s = 0; s < *n_seen; s++)
            if (strcmp(seen[s], want ? want->rule_id : "-") == 0)
                break;
        if (s == *n_seen && *n_seen < 64)
            seen[(*n_seen)++] = want ? want->rule_id : "-";
    }
    return bad;
}

static void
test_memo(void)
{
    static const int64_t counts[] = {2, 5};
    static const int64_t levels[] = {0, 50, 100};
    struct sy_push_ruleset rs[4];
    struct json_object *notif[2];
    const char *seen[64];
    size_t n_seen = 0;
    int rounds = 0, bad = 0;

    memo_rulesets(rs);
    notif[0] = NULL;
    notif[1] = J("{\"room\":75}");
    for (size_t e = 0; e < N_MEMO_EVENTS; e++) {
        struct sy_push_ctx base = ctx_for(memo_events[e]);
        int bad_event = 0;

        for (size_t ci = 0; ci < 2; ci++)
            for (size_t li = 0; li < 3; li++)
                for (size_t ni = 0; ni < 2; ni++)
                    for (int order = 0; order < 2; order++) {
                        base.member_count = counts[ci];
                        base.sender_level = levels[li];
                        base.notification_levels = notif[ni];
                        bad_event += memo_round(rs, base, order, seen, &n_seen);
                        rounds++;
                    }
        if (bad_event > 0)
            diag("memo: %d mismatches for event %s", bad_event, memo_events[e]);
        bad += bad_event;
    }
    is_int(bad, 0, "memo: same rule as sy_push_eval in %d rounds of %d users", rounds,
           (int)N_MEMO_USERS);
    /* The cases must reach the user-dependent rules, not just .m.rule.message. */
    {
        static const char *const want[] = {".m.rule.is_user_mention",
                                           ".m.rule.contains_display_name",
                                           ".m.rule.contains_user_name",
                                           ".m.rule.invite_for_me",
                                           ".m.rule.roomnotif",
                                           ".m.rule.is_room_mention",
                                           ".m.rule.suppress_notices",
                                           ".m.rule.member_event",
                                           ".m.rule.suppress_edits",
                                           ".m.rule.reaction",
                                           ".m.rule.room_one_to_one",
                                           ".m.rule.message",
                                           ".m.rule.master",
                                           "mine",
                                           "name_in_small_room",
                                           "cake",
                                           "!quiet:example.org",
                                           "@boss:example.org",
                                           "-"};
        int missing = 0;

        for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
            size_t s;

            for (s = 0; s < n_seen && strcmp(seen[s], want[w]) != 0; s++)
                ;
            if (s == n_seen) {
                diag("memo: no user got %s", want[w]);
                missing++;
            }
        }
        is_int(missing, 0, "memo: the cases reach every kind of winner");
    }
}

/* One event, one memo: each user gets their own answer from the shared memo. */
static void
test_memo_users(void)
{
    struct sy_push_ruleset rs;
    struct sy_push_memo m;
    struct sy_push_ctx c;

    sy_push_ruleset_build(A, NULL, 0, NULL, 0, &rs);
    c = ctx_for(MSG(",\"body\":\"alice, ask Bob\""));
    sy_push_memo_init(&m, A, &rs, &c);
    is_str(sy_push_eval_memo(&m, ME, "Alice Liddell")->rule_id, ".m.rule.contains_user_name",
           "memo: alice's localpart");
    is_str(sy_push_eval_memo(&m, "@bob:example.org", "Bob")->rule_id,
           ".m.rule.contains_display_name", "memo: bob's display name");
    is_str(sy_push_eval_memo(&m, "@carol:example.org", NULL)->rule_id, ".m.rule.message",
           "memo: carol is not named");
    is_str(sy_push_eval_memo(&m, ME, NULL)->rule_id, ".m.rule.contains_user_name",
           "memo: alice again, from the same memo");

    c = ctx_for("{\"type\":\"m.room.member\",\"state_key\":\"@carol:example.org\","
                "\"sender\":\"@bob:example.org\",\"content\":{\"membership\":\"invite\"}}");
    sy_push_memo_init(&m, A, &rs, &c);
    is_str(sy_push_eval_memo(&m, ME, "Alice")->rule_id, ".m.rule.member_event",
           "memo: someone else's invite");
    is_str(sy_push_eval_memo(&m, "@carol:example.org", NULL)->rule_id, ".m.rule.invite_for_me",
           "memo: the invitee's invite");
}

int
main(void)
{
    A = sy_arena_new();
    test_glob();
    test_lookup();
    test_conditions();
    test_actions();
    test_defaults();
    test_json();
    test_memo();
    test_memo_users();
    sy_arena_free(A);
    return done_testing();
}
