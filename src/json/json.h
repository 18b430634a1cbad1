/*
 * json/json.h -- json-c helpers: bounded parsing and typed field access.
 *
 * Roots made here are tied to an arena: the arena's free drops the one
 * reference, so callers never json_object_put() them.  Getters borrow:
 * the returned pointers live as long as the parent object.
 */
#ifndef SY_JSON_JSON_H
#define SY_JSON_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct sy_arena;
struct sy_error;

/*
 * Parse exactly one JSON value from text[0..len) with at most 'max_depth'
 * nesting, rejecting trailing garbage and invalid UTF-8.  0 and *out
 * (owned by 'a'), or SY_EINVAL with errcode M_NOT_JSON.
 */
int sy_json_parse(struct sy_arena *a, const char *text, size_t len, int max_depth,
                  struct json_object **out, struct sy_error *err);

/* A new empty object/array owned by 'a'. */
struct json_object *sy_json_new_object(struct sy_arena *a);
struct json_object *sy_json_new_array(struct sy_arena *a);
/* Tie an existing root (one reference) to the arena. */
struct json_object *sy_json_own(struct sy_arena *a, struct json_object *o);

/* Field access: NULL when absent or of another type. */
struct json_object *sy_json_get(struct json_object *obj, const char *key);
const char *sy_json_get_str(struct json_object *obj, const char *key);
struct json_object *sy_json_get_obj(struct json_object *obj, const char *key);
struct json_object *sy_json_get_arr(struct json_object *obj, const char *key);

/*
 * Optional typed fields: 0 with *out set (or left alone when absent), or
 * SY_EINVAL with M_BAD_JSON / M_INVALID_PARAM when present with the wrong type.
 */
int sy_json_opt_str(struct json_object *obj, const char *key, const char **out,
                    struct sy_error *err);
int sy_json_opt_bool(struct json_object *obj, const char *key, int *out, struct sy_error *err);
int sy_json_opt_int(struct json_object *obj, const char *key, int64_t *out, struct sy_error *err);
/* A required string: SY_EINVAL with M_MISSING_PARAM when absent, M_INVALID_PARAM if not a string. */
int sy_json_req_str(struct json_object *obj, const char *key, const char **out,
                    struct sy_error *err);

/*
 * A value whose serialisation is 'text' verbatim (it must be valid JSON):
 * stored event text goes into responses without being parsed again.  The
 * text must outlive the value (put it in the same arena).  A new reference
 * for the caller to hand to a parent.
 */
struct json_object *sy_json_raw(const char *text);

/* Compact text of 'o', valid while 'o' lives and is not modified. */
const char *sy_json_text(struct json_object *o, size_t *len);

#endif /* SY_JSON_JSON_H */
