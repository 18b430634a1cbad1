/*
 * util/b64.h -- unpadded base64 (RFC 4648), standard and URL-safe alphabets.
 *
 * Matrix writes keys, signatures and hashes as base64 without '=' padding.
 * Encoders never pad.  Decoders accept unpadded input and also tolerate
 * trailing '=' padding (as the spec asks), but reject any character outside
 * the chosen alphabet, '=' anywhere but the end, and impossible lengths.
 *
 * The arena variants return memory owned by the arena; the _buf variants
 * write into caller storage and allocate nothing.
 */
#ifndef SY_UTIL_B64_H
#define SY_UTIL_B64_H

#include <stddef.h>

struct sy_arena;

/* Characters needed to encode n bytes, without padding or the NUL. */
size_t sy_b64_encoded_len(size_t n);

/* Largest number of bytes a string of slen characters can decode to. */
size_t sy_b64_decoded_max(size_t slen);

/*
 * Encode n bytes at p; returns a NUL-terminated string owned by 'a'.
 * 'urlsafe' nonzero selects the '-' '_' alphabet instead of '+' '/'.
 */
char *sy_b64_encode(struct sy_arena *a, const void *p, size_t n, int urlsafe);

/*
 * Encode into dst, which must hold sy_b64_encoded_len(n) + 1 bytes.
 * Writes the NUL too; returns the length without it.
 */
size_t sy_b64_encode_buf(char *dst, const void *p, size_t n, int urlsafe);

/*
 * Decode the NUL-terminated string s.  0 with *out (owned by 'a', with a
 * NUL after the last byte for convenience) and *outlen set, or SY_EINVAL
 * when s is not valid base64 in the chosen alphabet.
 */
int sy_b64_decode(struct sy_arena *a, const char *s, int urlsafe, unsigned char **out,
                  size_t *outlen);

/*
 * Decode s[0..slen) into out[0..outcap).  0 with *outlen set; SY_EINVAL
 * when the input is invalid; SY_ETOOBIG when it decodes to more than
 * outcap bytes.  Use it for fixed-size values such as keys and signatures
 * and check *outlen.
 */
int sy_b64_decode_buf(const char *s, size_t slen, int urlsafe, unsigned char *out, size_t outcap,
                      size_t *outlen);

#endif /* SY_UTIL_B64_H */
