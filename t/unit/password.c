/*
 * t/unit/password.c -- scrypt password hashes.
 *
 * Most checks use a tiny cost (ln=4) to stay fast; one uses the default.
 * Set SY_TEST_SCRYPT_MAX=1 to also hash at the maximum cost (1 GiB).
 */
#include <stdlib.h>
#include <string.h>

#include "t/lib/tap.h"
#include "crypto/password.h"
#include "util/arena.h"
#include "util/err.h"

static void
test_round_trip(struct sy_arena *a)
{
    struct sy_error err = {0};
    char *h = NULL, *h2 = NULL;

    is_int(sy_password_hash(a, "correct horse", 4, &h, &err), SY_OK, "hash ln=4");
    ok(h && strncmp(h, "$scrypt$ln=4,r=8,p=1$", 21) == 0, "parameters recorded: %s", h);
    is_int(strlen(h), 21 + 22 + 1 + 43, "salt 16 bytes, hash 32 bytes, unpadded");
    is_int(sy_password_verify("correct horse", h, &err), SY_OK, "right password");
    is_int(sy_password_verify("correct horsf", h, &err), SY_EAUTH, "wrong password");
    is_str(err.errcode, "M_FORBIDDEN", "mismatch errcode");
    is_int(sy_password_verify("", h, &err), SY_EAUTH, "empty password");
    sy_password_hash(a, "correct horse", 4, &h2, &err);
    ok(strcmp(h, h2) != 0, "salts differ");
    is_int(sy_password_verify("correct horse", h2, &err), SY_OK, "second hash verifies");

    is_int(sy_password_hash(a, "\xc3\xa9t\xc3\xa9", SY_PASSWORD_DEFAULT_LOG_N, &h, &err), SY_OK,
           "hash at the default cost");
    is_int(sy_password_verify("\xc3\xa9t\xc3\xa9", h, &err), SY_OK, "UTF-8 password verifies");
    is_int(sy_password_needs_rehash(h, SY_PASSWORD_DEFAULT_LOG_N), 0, "no rehash at same cost");
    is_int(sy_password_needs_rehash(h, 16), 1, "rehash when the cost changes");

    is_int(sy_password_hash(a, "x", 0, &h, &err), SY_EINVAL, "ln=0 refused");
    is_int(sy_password_hash(a, "x", 21, &h, &err), SY_EINVAL, "ln=21 refused");

    if (getenv("SY_TEST_SCRYPT_MAX")) {
        is_int(sy_password_hash(a, "x", SY_PASSWORD_MAX_LOG_N, &h, &err), SY_OK, "hash ln=20");
        is_int(sy_password_verify("x", h, &err), SY_OK, "verify ln=20");
    }
}

static void
test_malformed(struct sy_arena *a)
{
    /* A valid ln=4 hash to mutate: salt and hash of the right sizes. */
    static const char *const bad[] = {
        "",
        "plaintext",
        "$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234", /* bcrypt */
        "$scrypt$ln=4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAA",
        "$scrypt$ln=4,r=8,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!",
        "$scrypt$ln=21,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=0,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=04,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=20,r=32,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=4,r=8$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=4,r=8,p=99999999999$AAAAAAAAAAAAAAAAAAAAAA$"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=4,p=1,r=8$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    };
    static const char good[] =
        "$scrypt$ln=4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    struct sy_error err = {0};
    size_t i;

    (void)a;
    is_int(sy_password_verify("x", good, &err), SY_EAUTH,
           "well-formed hash: mismatch, not malformed");
    is_int(sy_password_needs_rehash(good, 4), 0, "well-formed hash needs no rehash at ln=4");
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        is_int(sy_password_verify("x", bad[i], &err), SY_EINVAL, "malformed #%zu: %.40s", i,
               bad[i]);
        is_int(sy_password_needs_rehash(bad[i], 4), 1, "malformed #%zu needs rehash", i);
    }
    is_int(err.status, 500, "malformed hash is a server error");
    is_int(sy_password_verify("x", NULL, &err), SY_EINVAL, "NULL stored hash");
    is_int(sy_password_needs_rehash("$scrypt$ln=20,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
                                    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                    20),
           0, "ln=20 with r=8 is within the memory cap");
}

int
main(void)
{
    struct sy_arena *a = sy_arena_new();

    test_round_trip(a);
    test_malformed(a);
    sy_arena_free(a);
    return done_testing();
}
