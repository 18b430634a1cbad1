/*
 * util/log.h -- levelled logging to stderr or a file.
 *
 * sy_log() checks the level before it evaluates its arguments.  Messages
 * follow PostgreSQL style: lower case, no period, "could not ...: reason".
 * Never log access tokens, passwords, signing keys or whole bodies.
 */
#ifndef SY_UTIL_LOG_H
#define SY_UTIL_LOG_H

enum sy_log_level { SY_LOG_ERROR = 0, SY_LOG_WARN, SY_LOG_INFO, SY_LOG_DEBUG };

extern int sy_log_level;

/* 0, or SY_EIO when 'path' (NULL = stderr) cannot be opened for appending. */
int sy_log_open(const char *path, enum sy_log_level level);
/* Reopen the log file (after rotation); a no-op when logging to stderr. */
int sy_log_reopen(void);
/* "error", "warn", "info", "debug" -> level; -1 if unknown. */
int sy_log_level_parse(const char *name);
void sy_log_write(enum sy_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define sy_log(level, ...)                                                                         \
    do {                                                                                           \
        if ((int)(level) <= sy_log_level)                                                          \
            sy_log_write((level), __VA_ARGS__);                                                    \
    } while (0)

#endif /* SY_UTIL_LOG_H */
