/*
 * json/canonical.h -- Matrix canonical JSON writer and value checks.
 *
 * Canonical JSON (spec appendices, "Canonical JSON") is the shortest UTF-8
 * encoding: object keys sorted by code point (which is UTF-8 byte order),
 * no whitespace, only the escapes the grammar allows, and integers only in
 * [-(2^53)+1, (2^53)-1].  Floats are not permitted, so a json-c double
 * (which includes "1.0" and "1e10") is rejected rather than rewritten; so
 * is an integer json-c clamped to int64/uint64 range, as it is out of
 * range anyway.  Strings are written by length, so embedded U+0000 is
 * kept (as \u0000); invalid UTF-8 in strings or keys is rejected.
 *
 * The writer appends to a caller-owned struct sy_buf and respects its cap.
 * It never modifies or takes references to the json-c objects.
 */
#ifndef SY_JSON_CANONICAL_H
#define SY_JSON_CANONICAL_H

#include <stddef.h>

struct json_object;
struct sy_buf;
struct sy_error;

/* The largest integer magnitude canonical JSON allows: 2^53 - 1. */
#define SY_JSON_MAX_SAFE_INT 9007199254740991LL

/* Nesting deeper than this is rejected (json-c's parser default is 32). */
#define SY_JSON_CANONICAL_MAX_DEPTH 128

/*
 * Append the canonical encoding of v (NULL is JSON null) to 'out'.
 * 0; SY_EINVAL (M_BAD_JSON) for a float, an out-of-range integer, invalid
 * UTF-8 or excessive nesting; SY_ETOOBIG (M_TOO_LARGE) when out->max would
 * be exceeded.  On failure 'out' may hold a partial encoding: reset it.
 */
int sy_json_canonical(struct sy_buf *out, struct json_object *v, struct sy_error *err);

/*
 * As sy_json_canonical() for an object, leaving out the top-level keys
 * listed in 'omit' (NULL-terminated; NULL omits nothing).  This is how
 * signing and content hashing drop "signatures", "unsigned" and "hashes"
 * without modifying the object.  SY_EINVAL if obj is not an object.
 */
/*
 * As sy_json_canonical, and *mark_at is where the string 'mark' (a value
 * somewhere inside v, found by identity) begins in out: the offset of its
 * opening quote.  SY_EINTERNAL if mark is not in v.
 */
int sy_json_canonical_mark(struct sy_buf *out, struct json_object *v, const struct json_object *mark,
                           size_t *mark_at, struct sy_error *err);

int sy_json_canonical_except(struct sy_buf *out, struct json_object *obj, const char *const *omit,
                             struct sy_error *err);

/*
 * Walk v and check that canonical JSON can represent it: no floats, no
 * integers outside the range above, valid UTF-8 in every string and key,
 * nesting within the limit.  0 or SY_EINVAL (M_BAD_JSON, msg says what).
 */
int sy_json_check_canonical_values(struct json_object *v, struct sy_error *err);

/*
 * 1 if s[0..len) is well-formed UTF-8 (no overlong forms, no surrogates,
 * nothing above U+10FFFF), else 0.  NUL bytes are allowed.
 */
int sy_json_utf8_valid(const char *s, size_t len);

#endif /* SY_JSON_CANONICAL_H */
