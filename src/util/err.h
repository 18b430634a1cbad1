/*
 * util/err.h -- error codes and the error record every layer fills.
 *
 * Functions return SY_OK (0) or a negative SY_E* code.  The first callee
 * that fails fills a caller-provided struct sy_error; only the HTTP layer
 * turns it into a Matrix error reply.  The record holds its strings inline,
 * so it needs no allocator and can live on the stack.
 */
#ifndef SY_UTIL_ERR_H
#define SY_UTIL_ERR_H

enum {
    SY_OK = 0,
    SY_EINVAL = -1,     /* bad input from the caller */
    SY_ENOTFOUND = -2,  /* no such row or object */
    SY_ECONFLICT = -3,  /* already exists */
    SY_EFORBIDDEN = -4, /* not allowed */
    SY_EDB = -5,        /* database failure */
    SY_EREMOTE = -6,    /* another server failed us */
    SY_EIO = -7,        /* file or socket failure */
    SY_EAUTH = -8,      /* missing or bad credentials */
    SY_ELIMIT = -9,     /* rate limited */
    SY_ETOOBIG = -10,   /* over a size cap */
    SY_EINTERNAL = -11, /* a bug or an impossible state */
};

struct sy_error {
    int code;             /* SY_E* */
    int status;           /* HTTP status for the client; 0 = derive from code */
    const char *errcode;  /* "M_FORBIDDEN"; static string */
    long retry_after_ms;  /* for M_LIMIT_EXCEEDED, else 0 */
    char msg[256];        /* safe to send to the client */
    char log_detail[256]; /* log only: SQLSTATE, peer, errno */
};

/*
 * Fill 'err' (which may be NULL) and return 'code'.  'status' 0 means the
 * HTTP layer picks one from 'code'.  'fmt' formats the client message.
 */
int sy_error_set(struct sy_error *err, int code, int status, const char *errcode, const char *fmt,
                 ...) __attribute__((format(printf, 5, 6)));

/* Append a log-only detail to an already filled error; returns err->code. */
int sy_error_detail(struct sy_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The HTTP status for an error: err->status, or the default for err->code. */
int sy_error_http_status(const struct sy_error *err);

/* Shorthands for the common cases; each returns the code it stored. */
#define sy_err_invalid(e, errcode, ...) sy_error_set((e), SY_EINVAL, 400, (errcode), __VA_ARGS__)
#define sy_err_forbidden(e, ...) sy_error_set((e), SY_EFORBIDDEN, 403, "M_FORBIDDEN", __VA_ARGS__)
#define sy_err_notfound(e, ...) sy_error_set((e), SY_ENOTFOUND, 404, "M_NOT_FOUND", __VA_ARGS__)
#define sy_err_internal(e, ...) sy_error_set((e), SY_EINTERNAL, 500, "M_UNKNOWN", __VA_ARGS__)

#endif /* SY_UTIL_ERR_H */
