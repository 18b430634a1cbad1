/*
 * json/json.c -- json-c helpers: bounded parsing and typed field access.
 */
#include <string.h>

#include "json.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/str.h"

static void
json_put_cb(void *o)
{
    json_object_put(o);
}

struct json_object *
sy_json_own(struct sy_arena *a, struct json_object *o)
{
    if (o != NULL)
        sy_arena_on_free(a, json_put_cb, o);
    return o;
}

struct json_object *
sy_json_new_object(struct sy_arena *a)
{
    return sy_json_own(a, json_object_new_object());
}

struct json_object *
sy_json_new_array(struct sy_arena *a)
{
    return sy_json_own(a, json_object_new_array());
}

int
sy_json_parse(struct sy_arena *a, const char *text, size_t len, int max_depth,
              struct json_object **out, struct sy_error *err)
{
    struct json_tokener *tok;
    struct json_object *o;
    enum json_tokener_error jerr;
    size_t used;

    if (len == 0)
        return sy_err_invalid(err, "M_NOT_JSON", "request body is empty, expected JSON");
    if (len > INT32_MAX)
        return sy_error_set(err, SY_ETOOBIG, 413, "M_TOO_LARGE", "body too large");
    /* json-c's UTF-8 check accepts surrogates in raw text, so check first. */
    if (!sy_str_utf8_valid(text, len) || memchr(text, '\0', len) != NULL)
        return sy_err_invalid(err, "M_NOT_JSON", "body is not valid UTF-8");
    tok = json_tokener_new_ex(max_depth);
    if (tok == NULL)
        return sy_err_internal(err, "could not allocate a JSON parser");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    o = json_tokener_parse_ex(tok, text, (int)len);
    jerr = json_tokener_get_error(tok);
    /* A bare top-level number or literal has no closing token: end the input explicitly. */
    if (jerr == json_tokener_continue && json_tokener_get_parse_end(tok) == len) {
        o = json_tokener_parse_ex(tok, "", 1);
        jerr = json_tokener_get_error(tok);
        used = len;
    } else {
        used = json_tokener_get_parse_end(tok);
    }
    json_tokener_free(tok);
    if (jerr != json_tokener_success) {
        json_object_put(o);
        if (jerr == json_tokener_error_depth)
            return sy_err_invalid(err, "M_NOT_JSON", "JSON nested too deeply");
        return sy_err_invalid(err, "M_NOT_JSON", "body is not valid JSON: %s",
                              json_tokener_error_desc(jerr));
    }
    while (used < len && strchr(" \t\r\n", text[used]) != NULL)
        used++;
    if (used != len) {
        json_object_put(o);
        return sy_err_invalid(err, "M_NOT_JSON", "trailing data after JSON value");
    }
    *out = sy_json_own(a, o);
    return SY_OK;
}

struct json_object *
sy_json_get(struct json_object *obj, const char *key)
{
    struct json_object *v;

    if (obj == NULL || !json_object_is_type(obj, json_type_object))
        return NULL;
    if (!json_object_object_get_ex(obj, key, &v))
        return NULL;
    return v;
}

const char *
sy_json_get_str(struct json_object *obj, const char *key)
{
    struct json_object *v = sy_json_get(obj, key);

    return v != NULL && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

struct json_object *
sy_json_get_obj(struct json_object *obj, const char *key)
{
    struct json_object *v = sy_json_get(obj, key);

    return v != NULL && json_object_is_type(v, json_type_object) ? v : NULL;
}

struct json_object *
sy_json_get_arr(struct json_object *obj, const char *key)
{
    struct json_object *v = sy_json_get(obj, key);

    return v != NULL && json_object_is_type(v, json_type_array) ? v : NULL;
}

int
sy_json_opt_str(struct json_object *obj, const char *key, const char **out, struct sy_error *err)
{
    struct json_object *v = sy_json_get(obj, key);

    if (v == NULL)
        return SY_OK;
    if (!json_object_is_type(v, json_type_string))
        return sy_err_invalid(err, "M_INVALID_PARAM", "'%s' must be a string", key);
    *out = json_object_get_string(v);
    return SY_OK;
}

int
sy_json_req_str(struct json_object *obj, const char *key, const char **out, struct sy_error *err)
{
    struct json_object *v = sy_json_get(obj, key);

    if (v == NULL)
        return sy_err_invalid(err, "M_MISSING_PARAM", "missing '%s'", key);
    if (!json_object_is_type(v, json_type_string))
        return sy_err_invalid(err, "M_INVALID_PARAM", "'%s' must be a string", key);
    *out = json_object_get_string(v);
    return SY_OK;
}

int
sy_json_opt_bool(struct json_object *obj, const char *key, int *out, struct sy_error *err)
{
    struct json_object *v = sy_json_get(obj, key);

    if (v == NULL)
        return SY_OK;
    if (!json_object_is_type(v, json_type_boolean))
        return sy_err_invalid(err, "M_INVALID_PARAM", "'%s' must be a boolean", key);
    *out = json_object_get_boolean(v);
    return SY_OK;
}

int
sy_json_opt_int(struct json_object *obj, const char *key, int64_t *out, struct sy_error *err)
{
    struct json_object *v = sy_json_get(obj, key);

    if (v == NULL)
        return SY_OK;
    if (!json_object_is_type(v, json_type_int))
        return sy_err_invalid(err, "M_INVALID_PARAM", "'%s' must be an integer", key);
    *out = json_object_get_int64(v);
    return SY_OK;
}

struct json_object *
sy_json_raw(const char *text)
{
    struct json_object *o = json_object_new_object();

    json_object_set_serializer(o, json_object_userdata_to_json_string, (void *)text, NULL);
    return o;
}

const char *
sy_json_text(struct json_object *o, size_t *len)
{
    return json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
}
