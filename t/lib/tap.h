/*
 * t/lib/tap.h -- a tiny header-only TAP producer for C unit tests.
 *
 * Each test program includes this once, calls the checks, and ends with
 * "return done_testing();".  The plan line "1..N" is printed up front by
 * plan(N), or at the end by done_testing() when no plan was given.  The
 * exit status is 0 only if every test passed and the count matched the
 * plan.  Failures print the file, line and the two values as diagnostics
 * on stderr.  State is per program (static), which is all a test needs.
 */
#ifndef SY_T_TAP_H
#define SY_T_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_run_, tap_failed_, tap_planned_ = -1;

/* Announce how many tests will run. */
static inline void
plan(int n)
{
    tap_planned_ = n;
    printf("1..%d\n", n);
    fflush(stdout);
}

/* A "# ..." diagnostic line on stderr (the TAP driver shows it). */
static inline void __attribute__((format(printf, 1, 2))) diag(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fputs("# ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

static inline int
tap_report_(int pass, const char *file, int line, const char *fmt, va_list ap)
{
    tap_run_++;
    if (!pass)
        tap_failed_++;
    printf("%sok %d - ", pass ? "" : "not ", tap_run_);
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
    if (!pass)
        diag("  failed test at %s line %d", file, line);
    return pass;
}

static inline int __attribute__((format(printf, 4, 5)))
tap_ok_(int pass, const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tap_report_(pass, file, line, fmt, ap);
    va_end(ap);
    return pass;
}

static inline int __attribute__((format(printf, 5, 6)))
tap_is_int_(long long got, long long want, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    int pass = got == want;

    va_start(ap, fmt);
    tap_report_(pass, file, line, fmt, ap);
    va_end(ap);
    if (!pass)
        diag("         got: %lld\n#     expected: %lld", got, want);
    return pass;
}

static inline int __attribute__((format(printf, 5, 6)))
tap_is_str_(const char *got, const char *want, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    int pass = (got == NULL || want == NULL) ? got == want : strcmp(got, want) == 0;

    va_start(ap, fmt);
    tap_report_(pass, file, line, fmt, ap);
    va_end(ap);
    if (!pass)
        diag("         got: %s%s%s\n#     expected: %s%s%s", got ? "'" : "", got ? got : "NULL",
             got ? "'" : "", want ? "'" : "", want ? want : "NULL", want ? "'" : "");
    return pass;
}

static inline void
tap_hex_(const char *label, const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t i;

    fprintf(stderr, "# %s (%zu bytes):", label, n);
    for (i = 0; i < n && i < 64; i++)
        fprintf(stderr, " %02x", b[i]);
    fprintf(stderr, "%s\n", n > 64 ? " ..." : "");
}

static inline int __attribute__((format(printf, 7, 8)))
tap_is_mem_(const void *got, size_t gotlen, const void *want, size_t wantlen, const char *file,
            int line, const char *fmt, ...)
{
    va_list ap;
    int pass = gotlen == wantlen && (gotlen == 0 || memcmp(got, want, gotlen) == 0);

    va_start(ap, fmt);
    tap_report_(pass, file, line, fmt, ap);
    va_end(ap);
    if (!pass) {
        fflush(stdout);
        tap_hex_("     got", got, got ? gotlen : 0);
        tap_hex_("expected", want, want ? wantlen : 0);
    }
    return pass;
}

/* Each check takes a printf-style test name and returns 1 if it passed. */
#define ok(cond, ...) tap_ok_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...)                                                                     \
    tap_is_int_((long long)(got), (long long)(want), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) tap_is_str_((got), (want), __FILE__, __LINE__, __VA_ARGS__)
#define is_mem(got, gotlen, want, wantlen, ...)                                                    \
    tap_is_mem_((got), (gotlen), (want), (wantlen), __FILE__, __LINE__, __VA_ARGS__)
#define pass(...) tap_ok_(1, __FILE__, __LINE__, __VA_ARGS__)
#define fail(...) tap_ok_(0, __FILE__, __LINE__, __VA_ARGS__)

/* Finish: prints the plan if none was given; returns the exit status. */
static inline int
done_testing(void)
{
    if (tap_planned_ < 0)
        printf("1..%d\n", tap_run_);
    fflush(stdout);
    if (tap_planned_ >= 0 && tap_planned_ != tap_run_) {
        diag("planned %d tests but ran %d", tap_planned_, tap_run_);
        return 1;
    }
    if (tap_failed_ > 0) {
        diag("failed %d of %d tests", tap_failed_, tap_run_);
        return 1;
    }
    return 0;
}

#endif /* SY_T_TAP_H */
