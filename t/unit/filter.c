/*
 * t/unit/filter.c -- filters: schema checks, compiling, matching (types
 * with wildcards, senders, rooms, not_ lists winning, contains_url), the
 * room-level lists, and event_fields.
 */
#include <string.h>

#include "../lib/tap.h"
#include "json/json.h"
#include "sync/filter.h"
#include "util/arena.h"
#include "util/err.h"

static struct sy_arena *A;

static struct json_object *
J(const char *text)
{
    struct sy_error err = {0};
    struct json_object *o = NULL;

    if (sy_json_parse(A, text, strlen(text), 32, &o, &err) != SY_OK)
        diag("bad test JSON: %s", text);
    return o;
}

static int
valid(const char *text)
{
    struct sy_error err = {0};

    return sy_filter_validate(J(text), &err) == SY_OK;
}

static const char *
invalid_code(const char *text)
{
    static struct sy_error err;

    memset(&err, 0, sizeof(err));
    if (sy_filter_validate(J(text), &err) == SY_OK)
        return "(valid)";
    return err.errcode;
}

static struct sy_event_filter
compile(const char *text)
{
    struct sy_event_filter f;
    struct sy_error err = {0};

    if (sy_filter_compile(A, text ? J(text) : NULL, &f, &err) != SY_OK)
        diag("compile failed: %s", err.msg);
    return f;
}

int
main(void)
{
    struct sy_event_filter f;
    struct sy_error err = {0};
    struct json_object *o;

    A = sy_arena_new();

    /* ---- validation ---- */
    ok(valid("{}"), "the empty filter is valid");
    ok(valid("{\"event_format\":\"client\",\"event_fields\":[\"content.body\"],"
             "\"presence\":{\"types\":[\"m.presence\"],\"limit\":3},"
             "\"account_data\":{\"not_types\":[\"*\"]},"
             "\"room\":{\"rooms\":[\"!a:x\"],\"not_rooms\":[\"!b:x\"],\"include_leave\":true,"
             "\"timeline\":{\"limit\":10,\"types\":[\"m.room.*\"],\"senders\":[\"@u:x\"],"
             "\"not_senders\":[\"@v:x\"],\"contains_url\":false,\"lazy_load_members\":true,"
             "\"include_redundant_members\":false,\"unread_thread_notifications\":true},"
             "\"state\":{\"lazy_load_members\":true},\"ephemeral\":{},\"account_data\":{}}}"),
       "a filter using every field is valid");
    ok(valid("{\"org.example.future\":{\"x\":1},\"room\":{\"timeline\":{\"new_key\":1}}}"),
       "unknown keys are allowed (forward compatibility)");
    ok(valid("{\"room\":{\"rooms\":[\"!v12roomwithoutserver\"]}}"), "a v12 room ID is a room ID");
    is_str(invalid_code("[]"), "M_BAD_JSON", "an array is not a filter");
    is_str(invalid_code("{\"event_format\":\"xml\"}"), "M_BAD_JSON", "unknown event_format");
    is_str(invalid_code("{\"event_format\":1}"), "M_BAD_JSON", "event_format not a string");
    is_str(invalid_code("{\"event_fields\":\"content\"}"), "M_BAD_JSON",
           "event_fields not an array");
    is_str(invalid_code("{\"event_fields\":[1]}"), "M_BAD_JSON", "event_fields of numbers");
    is_str(invalid_code("{\"presence\":[]}"), "M_BAD_JSON", "presence not an object");
    is_str(invalid_code("{\"presence\":{\"senders\":[\"alice\"]}}"), "M_BAD_JSON",
           "senders must be user IDs");
    is_str(invalid_code("{\"account_data\":{\"limit\":\"5\"}}"), "M_BAD_JSON",
           "limit as a string");
    is_str(invalid_code("{\"room\":{\"timeline\":{\"limit\":-1}}}"), "M_BAD_JSON",
           "negative limit");
    is_str(invalid_code("{\"room\":{\"timeline\":{\"limit\":1.5}}}"), "M_BAD_JSON",
           "fractional limit");
    is_str(invalid_code("{\"room\":\"all\"}"), "M_BAD_JSON", "room not an object");
    is_str(invalid_code("{\"room\":{\"rooms\":[\"#alias:x\"]}}"), "M_BAD_JSON",
           "room.rooms must be room IDs");
    is_str(invalid_code("{\"room\":{\"include_leave\":\"yes\"}}"), "M_BAD_JSON",
           "include_leave not a boolean");
    is_str(invalid_code("{\"room\":{\"state\":{\"lazy_load_members\":1}}}"), "M_BAD_JSON",
           "lazy_load_members not a boolean");
    is_str(invalid_code("{\"room\":{\"ephemeral\":{\"not_rooms\":[\"@u:x\"]}}}"), "M_BAD_JSON",
           "a part's not_rooms must be room IDs");
    is_str(invalid_code("{\"room\":{\"account_data\":{\"types\":\"m.tag\"}}}"), "M_BAD_JSON",
           "types not an array");
    is_str(invalid_code("{\"room\":{\"timeline\":{\"contains_url\":\"true\"}}}"), "M_BAD_JSON",
           "contains_url not a boolean");
    ok(sy_filter_validate_room_event(J("{\"types\":[\"m.room.message\"],\"limit\":5}"), &err) ==
           SY_OK,
       "a RoomEventFilter on its own is valid");
    ok(sy_filter_validate_room_event(J("{\"senders\":[\"nobody\"]}"), &err) != SY_OK,
       "a RoomEventFilter with a bad sender is not");

    /* ---- timeline cap ---- */
    o = J("{\"room\":{\"timeline\":{\"limit\":5000}}}");
    sy_filter_cap_timeline(o);
    is_int(json_object_get_int(sy_json_get(sy_filter_room_part(o, "timeline"), "limit")),
           SY_FILTER_TIMELINE_MAX, "a big timeline limit is capped");
    o = J("{\"room\":{\"timeline\":{\"limit\":7}}}");
    sy_filter_cap_timeline(o);
    is_int(json_object_get_int(sy_json_get(sy_filter_room_part(o, "timeline"), "limit")), 7,
           "a small one is kept");

    /* ---- glob ---- */
    ok(sy_filter_glob("m.room.*", "m.room.message"), "prefix wildcard");
    ok(!sy_filter_glob("m.room.*", "m.call.invite"), "prefix wildcard refuses another prefix");
    ok(sy_filter_glob("*", ""), "* matches the empty string");
    ok(sy_filter_glob("*.member", "m.room.member"), "leading wildcard");
    ok(!sy_filter_glob("*.member", "m.room.members"), "leading wildcard anchors the end");
    ok(sy_filter_glob("m.*.msg*", "m.x.y.msgtype"), "two wildcards");
    ok(!sy_filter_glob("m.room.message", "m.room.message2"), "no wildcard: exact");
    ok(sy_filter_glob("a*b*c", "aXbYbZc"), "backtracking");
    ok(!sy_filter_glob("a*b*c", "aXbYbZ"), "backtracking fails cleanly");

    /* ---- matching ---- */
    f = compile(NULL);
    ok(sy_filter_match(&f, "m.room.message", "@a:x", "!r:x", 0), "no filter matches all");
    is_int(sy_filter_limit(&f, 10), 10, "no limit: the default");
    f = compile("{\"limit\":3}");
    is_int(sy_filter_limit(&f, 10), 3, "a limit given is used");

    f = compile("{\"types\":[\"m.room.message\",\"m.call.*\"]}");
    ok(sy_filter_match(&f, "m.room.message", "@a:x", "!r:x", 0), "types: listed type");
    ok(sy_filter_match(&f, "m.call.answer", "@a:x", "!r:x", 0), "types: wildcard type");
    ok(!sy_filter_match(&f, "m.room.topic", "@a:x", "!r:x", 0), "types: other type refused");

    f = compile("{\"types\":[]}");
    ok(!sy_filter_match(&f, "m.room.message", "@a:x", "!r:x", 0), "empty types: nothing");

    f = compile("{\"not_types\":[\"m.room.*\"],\"types\":[\"m.room.message\"]}");
    ok(!sy_filter_match(&f, "m.room.message", "@a:x", "!r:x", 0), "not_types wins over types");

    f = compile("{\"senders\":[\"@a:x\"],\"not_senders\":[\"@b:x\"]}");
    ok(sy_filter_match(&f, "t", "@a:x", "!r:x", 0), "senders: listed sender");
    ok(!sy_filter_match(&f, "t", "@c:x", "!r:x", 0), "senders: unlisted sender");
    f = compile("{\"not_senders\":[\"@b:x\"]}");
    ok(!sy_filter_match(&f, "t", "@b:x", "!r:x", 0), "not_senders refuses");
    ok(sy_filter_match(&f, "t", "@a:x", "!r:x", 0), "not_senders lets others through");
    f = compile("{\"senders\":[\"@a*\"]}");
    ok(!sy_filter_match(&f, "t", "@ab:x", "!r:x", 0), "senders are exact, not wildcards");
    ok(sy_filter_match(&f, "t", NULL, "!r:x", 0), "a NULL sender is not checked");

    f = compile("{\"rooms\":[\"!r:x\"],\"not_rooms\":[\"!s:x\"]}");
    ok(sy_filter_match(&f, "t", "@a:x", "!r:x", 0), "rooms: listed room");
    ok(!sy_filter_match(&f, "t", "@a:x", "!t:x", 0), "rooms: other room");
    f = compile("{\"not_rooms\":[\"!s:x\"]}");
    ok(!sy_filter_match(&f, "t", "@a:x", "!s:x", 0), "not_rooms refuses");

    f = compile("{\"contains_url\":true}");
    ok(sy_filter_match(&f, "t", "@a:x", "!r:x", 1), "contains_url true: with url");
    ok(!sy_filter_match(&f, "t", "@a:x", "!r:x", 0), "contains_url true: without");
    f = compile("{\"contains_url\":false}");
    ok(!sy_filter_match(&f, "t", "@a:x", "!r:x", 1), "contains_url false: with url");
    ok(sy_filter_match(&f, "t", "@a:x", "!r:x", 0), "contains_url false: without");

    f = compile("{\"lazy_load_members\":true,\"include_redundant_members\":true,"
                "\"unread_thread_notifications\":true}");
    ok(f.lazy_load_members && f.include_redundant_members && f.unread_thread_notifications,
       "the boolean flags compile");
    ok(sy_filter_compile(A, J("{\"types\":\"x\"}"), &f, &err) == SY_EINVAL,
       "compiling a bad list fails");

    /* json events */
    f = compile("{\"contains_url\":true,\"types\":[\"m.room.message\"]}");
    ok(sy_filter_match_json(&f, J("{\"type\":\"m.room.message\",\"sender\":\"@a:x\","
                                  "\"room_id\":\"!r:x\",\"content\":{\"url\":\"mxc://x/y\"}}")),
       "match_json: url and type");
    ok(!sy_filter_match_json(&f, J("{\"type\":\"m.room.message\",\"sender\":\"@a:x\","
                                   "\"content\":{\"url\":5}}")),
       "match_json: a non-string url is no url");

    /* ---- room parts ---- */
    o = J("{\"room\":{\"rooms\":[\"!r:x\",\"!s:x\"],\"not_rooms\":[\"!s:x\"],"
          "\"timeline\":{\"not_types\":[\"m.room.member\"]},\"include_leave\":true}}");
    ok(sy_filter_room_part(o, "timeline") != NULL, "room_part finds the timeline");
    ok(sy_filter_room_part(o, "state") == NULL, "room_part: absent part is NULL");
    ok(sy_filter_compile_room_part(A, o, "timeline", &f, &err) == SY_OK, "compile_room_part");
    ok(sy_filter_match(&f, "m.room.message", "@a:x", "!r:x", 0), "room part: allowed room");
    ok(!sy_filter_match(&f, "m.room.message", "@a:x", "!s:x", 0), "room part: room.not_rooms");
    ok(!sy_filter_match(&f, "m.room.message", "@a:x", "!t:x", 0), "room part: room.rooms");
    ok(!sy_filter_match(&f, "m.room.member", "@a:x", "!r:x", 0), "room part: its own not_types");
    ok(sy_filter_room_allowed(o, "!r:x") && !sy_filter_room_allowed(o, "!s:x") &&
           !sy_filter_room_allowed(o, "!t:x"),
       "room_allowed applies rooms and not_rooms");
    ok(sy_filter_room_allowed(J("{}"), "!any:x"), "room_allowed with no room filter");
    ok(sy_filter_include_leave(o), "include_leave read");
    ok(!sy_filter_include_leave(J("{}")), "include_leave defaults to false");
    ok(sy_filter_compile_top(A, J("{\"presence\":{\"senders\":[\"@a:x\"]}}"), "presence", &f,
                             &err) == SY_OK &&
           !sy_filter_match(&f, "m.presence", "@b:x", NULL, 0),
       "compile_top picks presence");

    /* ---- event_fields ---- */
    {
        struct json_object *ev = J("{\"type\":\"m.room.message\",\"sender\":\"@a:x\","
                                   "\"content\":{\"body\":\"hi\",\"msgtype\":\"m.text\","
                                   "\"a.b\":1},\"unsigned\":{\"age\":1}}");
        struct json_object *out;

        out = sy_filter_event_fields(A, J("{}"), ev);
        ok(out == ev, "no event_fields: the event itself");
        out = sy_filter_event_fields(
            A, J("{\"event_fields\":[\"type\",\"content.body\",\"content.a\\\\.b\",\"nope.x\"]}"),
            ev);
        is_str(sy_json_text(out, NULL), "{\"type\":\"m.room.message\",\"content\":{\"body\":\"hi\","
                                        "\"a.b\":1}}",
               "event_fields keeps only the listed paths (escaped dot included)");
    }

    sy_arena_free(A);
    return done_testing();
}
