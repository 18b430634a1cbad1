/*
 * util/b64.c -- unpadded base64 encode and decode.
 */
#include <string.h>

#include "arena.h"
#include "b64.h"
#include "err.h"

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
sy_b64_encoded_len(size_t n)
{
    return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

size_t
sy_b64_decoded_max(size_t slen)
{
    return slen / 4 * 3 + (slen % 4 > 1 ? slen % 4 - 1 : 0);
}

size_t
sy_b64_encode_buf(char *dst, const void *p, size_t n, int urlsafe)
{
    const unsigned char *s = p;
    const char *alpha = urlsafe ? b64_url : b64_std;
    char *d = dst;
    unsigned long v;

    for (; n >= 3; s += 3, n -= 3) {
        v = (unsigned long)s[0] << 16 | (unsigned long)s[1] << 8 | s[2];
        *d++ = alpha[v >> 18 & 63];
        *d++ = alpha[v >> 12 & 63];
        *d++ = alpha[v >> 6 & 63];
        *d++ = alpha[v & 63];
    }
    if (n > 0) {
        v = (unsigned long)s[0] << 16 | (n == 2 ? (unsigned long)s[1] << 8 : 0);
        *d++ = alpha[v >> 18 & 63];
        *d++ = alpha[v >> 12 & 63];
        if (n == 2)
            *d++ = alpha[v >> 6 & 63];
    }
    *d = '\0';
    return (size_t)(d - dst);
}

char *
sy_b64_encode(struct sy_arena *a, const void *p, size_t n, int urlsafe)
{
    char *dst = sy_arena_alloc(a, sy_b64_encoded_len(n) + 1);

    sy_b64_encode_buf(dst, p, n, urlsafe);
    return dst;
}

/* The 6-bit value of c in the chosen alphabet, or -1. */
static int
b64_value(unsigned char c, int urlsafe)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (urlsafe ? '-' : '+'))
        return 62;
    if (c == (urlsafe ? '_' : '/'))
        return 63;
    return -1;
}

int
sy_b64_decode_buf(const char *s, size_t slen, int urlsafe, unsigned char *out, size_t outcap,
                  size_t *outlen)
{
    size_t i, o = 0, pad = 0;
    unsigned long acc = 0;
    int bits = 0, v;

    /*
     * Padding is tolerated, not required: strip up to two trailing '=' and
     * decode the rest as unpadded.  Like Synapse we accept short padding
     * ("Zg="), but never more '=' than the last quad could need.
     */
    while (slen > 0 && s[slen - 1] == '=' && pad < 2) {
        slen--;
        pad++;
    }
    if (pad > (4 - slen % 4) % 4)
        return SY_EINVAL;
    if (slen % 4 == 1)
        return SY_EINVAL;
    if (sy_b64_decoded_max(slen) > outcap)
        return SY_ETOOBIG;

    for (i = 0; i < slen; i++) {
        if ((v = b64_value((unsigned char)s[i], urlsafe)) < 0)
            return SY_EINVAL;
        acc = (acc << 6 | (unsigned long)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits & 0xff);
        }
    }
    *outlen = o;
    return SY_OK;
}

int
sy_b64_decode(struct sy_arena *a, const char *s, int urlsafe, unsigned char **out, size_t *outlen)
{
    size_t slen = strlen(s), cap = sy_b64_decoded_max(slen);
    unsigned char *buf = sy_arena_alloc(a, cap + 1);
    int rc;

    if ((rc = sy_b64_decode_buf(s, slen, urlsafe, buf, cap, outlen)) != SY_OK)
        return rc == SY_ETOOBIG ? SY_EINVAL : rc;
    buf[*outlen] = '\0';
    *out = buf;
    return SY_OK;
}
