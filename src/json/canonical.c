/*
 * json/canonical.c -- Matrix canonical JSON writer and value checks.
 *
 * One recursive walk serves both jobs: with an output buffer it writes,
 * without one it only checks.  Keys are sorted per object into a
 * temporary array freed before returning.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json/canonical.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

struct walk {
    struct sy_buf *out; /* NULL: check only */
    struct sy_error *err;
    const struct json_object *mark; /* a string whose place in out is wanted, or NULL */
    size_t mark_at;                 /* where its opening quote went */
    int marked;
};

int
sy_json_utf8_valid(const char *s, size_t len)
{
    static const unsigned int min_for_len[4] = {0, 0x80, 0x800, 0x10000};
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    unsigned int c;
    int n, i;

    while (p < end) {
        c = *p++;
        if (c < 0x80)
            continue;
        if (c >= 0xc0 && c <= 0xdf) {
            n = 1;
            c &= 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            c &= 0x0f;
        } else if (c >= 0xf0 && c <= 0xf7) {
            n = 3;
            c &= 0x07;
        } else {
            return 0; /* a stray continuation byte or an invalid lead */
        }
        if (end - p < n)
            return 0;
        for (i = 0; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            c = c << 6 | (p[i] & 0x3f);
        }
        p += n;
        if (c < min_for_len[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return 0;
    }
    return 1;
}

static int
bad_json(struct walk *w, const char *what)
{
    return sy_error_set(w->err, SY_EINVAL, 400, "M_BAD_JSON", "%s", what);
}

static int
emit(struct walk *w, const void *p, size_t n)
{
    if (w->out == NULL)
        return SY_OK;
    if (sy_buf_append(w->out, p, n) != SY_OK)
        return sy_error_set(w->err, SY_ETOOBIG, 413, "M_TOO_LARGE", "JSON is too large");
    return SY_OK;
}

/*
 * A JSON string: only '"', '\\' and control characters are escaped, with
 * the short forms where the grammar has them and lowercase \u00XX
 * otherwise.  Everything else, DEL and non-ASCII included, is verbatim.
 */
static int
walk_string(struct walk *w, const char *s, size_t len, const char *what)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, run = 0;
    char esc[7];
    size_t elen;
    unsigned char c;
    int rc;

    if (!sy_json_utf8_valid(s, len))
        return bad_json(w, what);
    if (w->out == NULL)
        return SY_OK;
    if ((rc = emit(w, "\"", 1)) != SY_OK)
        return rc;
    for (i = 0; i < len; i++) {
        c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if ((rc = emit(w, s + run, i - run)) != SY_OK)
            return rc;
        run = i + 1;
        esc[0] = '\\';
        elen = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
        }
        if ((rc = emit(w, esc, elen)) != SY_OK)
            return rc;
    }
    if ((rc = emit(w, s + run, len - run)) != SY_OK)
        return rc;
    return emit(w, "\"", 1);
}

static int
key_cmp(const void *a, const void *b)
{
    /* strcmp compares as unsigned char: UTF-8 byte order is code point order. */
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
is_omitted(const char *key, const char *const *omit)
{
    for (; omit != NULL && *omit != NULL; omit++)
        if (strcmp(key, *omit) == 0)
            return 1;
    return 0;
}

static int walk_value(struct walk *w, struct json_object *v, int depth);

static int
walk_object(struct walk *w, struct json_object *obj, const char *const *omit, int depth)
{
    size_t n = (size_t)json_object_object_length(obj), k = 0, i;
    const char **keys;
    int rc = SY_OK;

    keys = sy_malloc((n ? n : 1) * sizeof(*keys));
    {
        json_object_object_foreach(obj, key, val)
        {
            (void)val;
            if (k < n && !is_omitted(key, omit))
                keys[k++] = key;
        }
    }
    if (w->out != NULL)
        qsort(keys, k, sizeof(*keys), key_cmp);

    if ((rc = emit(w, "{", 1)) != SY_OK)
        goto out;
    for (i = 0; i < k; i++) {
        if (i > 0 && (rc = emit(w, ",", 1)) != SY_OK)
            goto out;
        if ((rc = walk_string(w, keys[i], strlen(keys[i]), "object key is not valid UTF-8")) !=
            SY_OK)
            goto out;
        if ((rc = emit(w, ":", 1)) != SY_OK)
            goto out;
        if ((rc = walk_value(w, json_object_object_get(obj, keys[i]), depth + 1)) != SY_OK)
            goto out;
    }
    rc = emit(w, "}", 1);
out:
    free(keys);
    return rc;
}

static int
walk_value(struct walk *w, struct json_object *v, int depth)
{
    char num[32];
    int64_t iv;
    size_t i, n;
    int rc, len;

    if (depth > SY_JSON_CANONICAL_MAX_DEPTH)
        return bad_json(w, "JSON is nested too deeply");
    switch (json_object_get_type(v)) {
    case json_type_null:
        return emit(w, "null", 4);
    case json_type_boolean:
        return json_object_get_boolean(v) ? emit(w, "true", 4) : emit(w, "false", 5);
    case json_type_int:
        /* json-c clamps larger values to INT64_MAX/MIN (or stores a uint64,
         * for which get_int64 gives INT64_MAX): all are out of range. */
        iv = json_object_get_int64(v);
        if (iv > SY_JSON_MAX_SAFE_INT || iv < -SY_JSON_MAX_SAFE_INT)
            return bad_json(w, "integer out of the canonical JSON range");
        len = snprintf(num, sizeof(num), "%lld", (long long)iv);
        return emit(w, num, (size_t)len);
    case json_type_double:
        return bad_json(w, "floating-point numbers are not allowed");
    case json_type_string:
        if (v == w->mark && w->out != NULL) {
            w->mark_at = w->out->len;
            w->marked = 1;
        }
        return walk_string(w, json_object_get_string(v), (size_t)json_object_get_string_len(v),
                           "string is not valid UTF-8");
    case json_type_array:
        if ((rc = emit(w, "[", 1)) != SY_OK)
            return rc;
        n = json_object_array_length(v);
        for (i = 0; i < n; i++) {
            if (i > 0 && (rc = emit(w, ",", 1)) != SY_OK)
                return rc;
            if ((rc = walk_value(w, json_object_array_get_idx(v, i), depth + 1)) != SY_OK)
                return rc;
        }
        return emit(w, "]", 1);
    case json_type_object:
        return walk_object(w, v, NULL, depth);
    }
    return bad_json(w, "unknown JSON value type");
}

int
sy_json_canonical(struct sy_buf *out, struct json_object *v, struct sy_error *err)
{
    struct walk w = {.out = out, .err = err};

    return walk_value(&w, v, 0);
}

int
sy_json_canonical_mark(struct sy_buf *out, struct json_object *v, const struct json_object *mark,
                       size_t *mark_at, struct sy_error *err)
{
    struct walk w = {.out = out, .err = err, .mark = mark};
    int rc = walk_value(&w, v, 0);

    if (rc != SY_OK)
        return rc;
    if (!w.marked)
        return sy_err_internal(err, "marked string not in the JSON");
    *mark_at = w.mark_at;
    return SY_OK;
}

int
sy_json_canonical_except(struct sy_buf *out, struct json_object *obj, const char *const *omit,
                         struct sy_error *err)
{
    struct walk w = {.out = out, .err = err};

    if (!json_object_is_type(obj, json_type_object))
        return bad_json(&w, "expected a JSON object");
    return walk_object(&w, obj, omit, 0);
}

int
sy_json_check_canonical_values(struct json_object *v, struct sy_error *err)
{
    struct walk w = {.out = NULL, .err = err};

    return walk_value(&w, v, 0);
}
