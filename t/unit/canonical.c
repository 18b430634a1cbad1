/*
 * t/unit/canonical.c -- Matrix canonical JSON writer and value checks.
 */
#include <string.h>

#include <json-c/json.h>

#include "t/lib/tap.h"
#include "json/canonical.h"
#include "util/buf.h"
#include "util/err.h"

static struct sy_buf canon_buf; /* holds canon()'s last result */

/* Canonicalise 'in' (JSON text); returns the output or NULL, and the rc. */
static const char *
canon(const char *in, int *rcp)
{
    struct json_object *o;
    struct sy_error err = {0};
    int rc;

    sy_buf_free(&canon_buf);
    sy_buf_init(&canon_buf, 0);
    if ((o = json_tokener_parse(in)) == NULL && strcmp(in, "null") != 0) {
        diag("could not parse test input %s", in);
        *rcp = -100;
        return NULL;
    }
    rc = sy_json_canonical(&canon_buf, o, &err);
    json_object_put(o);
    *rcp = rc;
    if (rc != SY_OK)
        return NULL;
    return canon_buf.data;
}

static void
is_canon(const char *in, const char *want, const char *name)
{
    int rc;
    const char *got = canon(in, &rc);

    is_str(got, want, "%s", name);
}

static void
is_rejected(const char *in, const char *name)
{
    int rc;

    canon(in, &rc);
    is_int(rc, SY_EINVAL, "%s is rejected", name);
}

static void
test_spec_examples(void)
{
    /* The examples in the spec's "Canonical JSON" section. */
    is_canon("{}", "{}", "spec: empty object");
    is_canon("{\n    \"one\": 1,\n    \"two\": \"Two\"\n}", "{\"one\":1,\"two\":\"Two\"}",
             "spec: whitespace removed");
    is_canon("{\n    \"b\": \"2\",\n    \"a\": \"1\"\n}", "{\"a\":\"1\",\"b\":\"2\"}",
             "spec: keys sorted");
    is_canon("{\"b\":\"2\",\"a\":\"1\"}", "{\"a\":\"1\",\"b\":\"2\"}",
             "spec: compact input sorted");
    is_canon("{\"auth\": {\"success\": true, \"mxid\": \"@john.doe:example.com\", \"profile\": "
             "{\"display_name\": \"John Doe\", \"three_pids\": [{\"medium\": \"email\", "
             "\"address\": \"john.doe@example.org\"}, {\"medium\": \"msisdn\", \"address\": "
             "\"123456789\"}]}}}",
             "{\"auth\":{\"mxid\":\"@john.doe:example.com\",\"profile\":{\"display_name\":\"John "
             "Doe\",\"three_pids\":[{\"address\":\"john.doe@example.org\",\"medium\":\"email\"},"
             "{\"address\":\"123456789\",\"medium\":\"msisdn\"}]},\"success\":true}}",
             "spec: nested objects and arrays");
    is_canon("{\"a\": \"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\"}",
             "{\"a\":\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\"}", "spec: UTF-8 verbatim");
    is_canon("{\"\xe6\x9c\xac\": 2, \"\xe6\x97\xa5\": 1}",
             "{\"\xe6\x97\xa5\":1,\"\xe6\x9c\xac\":2}", "spec: non-ASCII keys by code point");
    is_canon("{\"a\": \"\\u65E5\"}", "{\"a\":\"\xe6\x97\xa5\"}", "spec: \\u escape unescaped");
    is_canon("{\"a\": null}", "{\"a\":null}", "spec: null");
    /* The spec's last example has "b": 1e10, a float; we reject floats
     * (room versions 6+ forbid them), so only the -0 half is checked. */
    is_canon("{\"a\": -0}", "{\"a\":0}", "spec: -0 becomes 0");
    is_rejected("{\"a\": -0, \"b\": 1e10}", "spec: 1e10 (a float)");
}

static void
test_strings(void)
{
    struct json_object *s;
    struct sy_buf b;
    struct sy_error err = {0};

    is_canon("[\"q\\\"b\\\\s/\"]", "[\"q\\\"b\\\\s/\"]", "quote and backslash escaped, / not");
    is_canon("[\"\\b\\f\\n\\r\\t\"]", "[\"\\b\\f\\n\\r\\t\"]", "short control escapes");
    is_canon("[\"\\u0001\\u001f\\u000b\\u001F\"]", "[\"\\u0001\\u001f\\u000b\\u001f\"]",
             "other controls as lowercase \\u00XX");
    is_canon("[\"\\u007f \\u0020\"]", "[\"\x7f  \"]", "DEL and space verbatim");
    is_canon("[\"\\ud83d\\ude00\"]", "[\"\xf0\x9f\x98\x80\"]", "surrogate pair as UTF-8");

    /* Embedded NUL: written by length, as \u0000, and nothing cut off. */
    sy_buf_init(&b, 0);
    s = json_tokener_parse("\"a\\u0000b\"");
    is_int(sy_json_canonical(&b, s, &err), SY_OK, "string with U+0000");
    is_mem(b.data, b.len, "\"a\\u0000b\"", 10, "U+0000 kept as \\u0000");
    json_object_put(s);

    sy_buf_reset(&b);
    s = json_object_new_string_len("x\xff", 2);
    is_int(sy_json_canonical(&b, s, &err), SY_EINVAL, "invalid UTF-8 string rejected");
    is_str(err.errcode, "M_BAD_JSON", "errcode M_BAD_JSON");
    json_object_put(s);
    sy_buf_free(&b);
}

static void
test_utf8(void)
{
    ok(sy_json_utf8_valid("", 0), "empty is UTF-8");
    ok(sy_json_utf8_valid("a\0b", 3), "NUL is UTF-8");
    ok(sy_json_utf8_valid("\xf4\x8f\xbf\xbf", 4), "U+10FFFF");
    ok(!sy_json_utf8_valid("\xf4\x90\x80\x80", 4), "above U+10FFFF");
    ok(!sy_json_utf8_valid("\xc0\xaf", 2), "overlong 2-byte");
    ok(!sy_json_utf8_valid("\xe0\x80\xaf", 3), "overlong 3-byte");
    ok(!sy_json_utf8_valid("\xf0\x80\x80\xaf", 4), "overlong 4-byte");
    ok(!sy_json_utf8_valid("\xed\xa0\x80", 3), "UTF-16 surrogate");
    ok(!sy_json_utf8_valid("\xe6\x97", 2), "truncated sequence");
    ok(!sy_json_utf8_valid("\x80", 1), "stray continuation");
    ok(!sy_json_utf8_valid("\xe6\x41\xa5", 3), "bad continuation");
}

static void
test_numbers(void)
{
    is_canon("[9007199254740991,-9007199254740991,0,-1,42]",
             "[9007199254740991,-9007199254740991,0,-1,42]", "integers at the range limits");
    is_rejected("[9007199254740992]", "2^53");
    is_rejected("[-9007199254740992]", "-(2^53)");
    is_rejected("[18446744073709551615]", "uint64 max");
    is_rejected("[99999999999999999999999]", "integer json-c clamps");
    is_rejected("[-99999999999999999999999]", "negative integer json-c clamps");
    is_rejected("[1.0]", "1.0");
    is_rejected("[1.5]", "1.5");
    is_rejected("{\"a\":{\"b\":[0.1]}}", "nested float");
    is_canon("[true,false,null,[],{}]", "[true,false,null,[],{}]", "literals and empties");
}

static void
test_keys_and_depth(void)
{
    struct json_object *o, *inner;
    struct sy_buf b;
    struct sy_error err = {0};
    static const char *const omit[] = {"signatures", "unsigned", NULL};
    int i;

    sy_buf_init(&b, 0);
    /* Keys differing in the first byte above ASCII sort after ASCII ones. */
    o = json_tokener_parse("{\"\xc3\xa9\":1,\"z\":2,\"Z\":3,\"\":4,\"a\\\"\":5}");
    is_int(sy_json_canonical(&b, o, &err), SY_OK, "mixed keys");
    is_str(b.data, "{\"\":4,\"Z\":3,\"a\\\"\":5,\"z\":2,\"\xc3\xa9\":1}", "keys in byte order");
    json_object_put(o);

    sy_buf_reset(&b);
    o = json_object_new_object();
    json_object_object_add(o, "ok\xff", json_object_new_int(1));
    is_int(sy_json_canonical(&b, o, &err), SY_EINVAL, "invalid UTF-8 key rejected");
    is_int(sy_json_check_canonical_values(o, &err), SY_EINVAL, "check: invalid UTF-8 key");
    json_object_put(o);

    sy_buf_reset(&b);
    o = json_tokener_parse("{\"b\":1,\"signatures\":{\"x\":1},\"unsigned\":{\"age\":1},\"a\":2}");
    is_int(sy_json_canonical_except(&b, o, omit, &err), SY_OK, "canonical_except");
    is_str(b.data, "{\"a\":2,\"b\":1}", "omitted top-level keys");
    sy_buf_reset(&b);
    is_int(sy_json_canonical_except(&b, o, NULL, &err), SY_OK, "canonical_except without list");
    is_str(b.data, "{\"a\":2,\"b\":1,\"signatures\":{\"x\":1},\"unsigned\":{\"age\":1}}",
           "nothing omitted");
    json_object_put(o);
    o = json_object_new_array();
    is_int(sy_json_canonical_except(&b, o, omit, &err), SY_EINVAL, "canonical_except on an array");
    json_object_put(o);

    /* Depth: build nesting of exactly the limit, then one more. */
    o = inner = json_object_new_array();
    for (i = 0; i < SY_JSON_CANONICAL_MAX_DEPTH; i++) {
        struct json_object *next = json_object_new_array();
        json_object_array_add(inner, next);
        inner = next;
    }
    sy_buf_reset(&b);
    is_int(sy_json_canonical(&b, o, &err), SY_OK, "nesting at the limit");
    json_object_array_add(inner, json_object_new_array());
    sy_buf_reset(&b);
    is_int(sy_json_canonical(&b, o, &err), SY_EINVAL, "nesting past the limit");
    json_object_put(o);
    sy_buf_free(&b);
}

static void
test_cap_and_check(void)
{
    struct json_object *o;
    struct sy_buf b;
    struct sy_error err = {0};

    o = json_tokener_parse("{\"key\":\"a fairly long value\"}");
    sy_buf_init(&b, 10);
    is_int(sy_json_canonical(&b, o, &err), SY_ETOOBIG, "buffer cap enforced");
    is_str(err.errcode, "M_TOO_LARGE", "errcode M_TOO_LARGE");
    sy_buf_free(&b);
    sy_buf_init(&b, 29);
    is_int(sy_json_canonical(&b, o, &err), SY_OK, "exactly at the cap");
    is_int(b.len, 29, "length at cap");
    sy_buf_free(&b);
    is_int(sy_json_check_canonical_values(o, &err), SY_OK, "check: clean object");
    json_object_put(o);

    o = json_tokener_parse("{\"a\":[1,{\"b\":2.5}]}");
    is_int(sy_json_check_canonical_values(o, &err), SY_EINVAL, "check: float");
    json_object_put(o);
    o = json_tokener_parse("{\"a\":[1,{\"b\":9007199254740992}]}");
    is_int(sy_json_check_canonical_values(o, &err), SY_EINVAL, "check: big integer");
    json_object_put(o);
    o = json_object_new_array();
    json_object_array_add(o, json_object_new_string_len("\xed\xa0\x80", 3));
    is_int(sy_json_check_canonical_values(o, &err), SY_EINVAL, "check: surrogate in string");
    json_object_put(o);
    is_int(sy_json_check_canonical_values(NULL, &err), SY_OK, "check: null");
}

int
main(void)
{
    int rc;

    test_spec_examples();
    test_strings();
    test_utf8();
    test_numbers();
    test_keys_and_depth();
    test_cap_and_check();
    is_str(canon("null", &rc), "null", "top-level null");
    sy_buf_free(&canon_buf);
    return done_testing();
}
