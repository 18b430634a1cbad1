/*
 * util/err.c -- filling struct sy_error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

int
sy_error_set(struct sy_error *err, int code, int status, const char *errcode, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    err->status = status;
    err->errcode = errcode;
    err->retry_after_ms = 0;
    err->log_detail[0] = '\0';
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

int
sy_error_detail(struct sy_error *err, const char *fmt, ...)
{
    va_list ap;
    size_t used;

    if (err == NULL)
        return SY_EINTERNAL;
    used = strlen(err->log_detail);
    if (used + 2 < sizeof(err->log_detail)) {
        if (used > 0) {
            err->log_detail[used++] = ';';
            err->log_detail[used++] = ' ';
            err->log_detail[used] = '\0';
        }
        va_start(ap, fmt);
        vsnprintf(err->log_detail + used, sizeof(err->log_detail) - used, fmt, ap);
        va_end(ap);
    }
    return err->code;
}

int
sy_error_http_status(const struct sy_error *err)
{
    if (err->status != 0)
        return err->status;
    switch (err->code) {
    case SY_EINVAL:
        return 400;
    case SY_EAUTH:
        return 401;
    case SY_EFORBIDDEN:
        return 403;
    case SY_ENOTFOUND:
        return 404;
    case SY_ECONFLICT:
        return 409;
    case SY_ETOOBIG:
        return 413;
    case SY_ELIMIT:
        return 429;
    case SY_EREMOTE:
        return 502;
    default:
        return 500;
    }
}
