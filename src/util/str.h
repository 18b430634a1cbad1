/*
 * util/str.h -- small string helpers that know nothing of Matrix.
 */
#ifndef SY_UTIL_STR_H
#define SY_UTIL_STR_H

#include <stddef.h>

struct sy_arena;

/* 1 if 's' (length n) is well-formed UTF-8 with no overlongs or surrogates. */
int sy_str_utf8_valid(const char *s, size_t n);
/* 1 if s starts with prefix. */
int sy_str_has_prefix(const char *s, const char *prefix);
/* Percent-decode s[0..n) into the arena; NULL if an escape is malformed or decodes to NUL. */
char *sy_str_urldecode(struct sy_arena *a, const char *s, size_t n);
/* Percent-encode everything but RFC 3986 unreserved characters. */
char *sy_str_urlencode(struct sy_arena *a, const char *s);
/* Lower-case hex of n bytes. */
char *sy_str_hex(struct sy_arena *a, const unsigned char *p, size_t n);

#endif /* SY_UTIL_STR_H */
