/*
 * util/log.c -- levelled logging.  One write(2) a line, so lines from
 * worker threads never interleave.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"

int sy_log_level = SY_LOG_INFO;
static int log_fd = 2;
static char log_path[1024]; /* "" = stderr */

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int
sy_log_open(const char *path, enum sy_log_level level)
{
    sy_log_level = level;
    if (path == NULL || path[0] == '\0') {
        log_fd = 2;
        return SY_OK;
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return SY_EIO;
    log_fd = fd;
    snprintf(log_path, sizeof(log_path), "%s", path);
    return SY_OK;
}

int
sy_log_reopen(void)
{
    int fd;

    if (log_path[0] == '\0')
        return SY_OK;
    fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return SY_EIO;
    /* dup2 swaps the file under the same descriptor, so writers in other threads never see a gap. */
    dup2(fd, log_fd);
    close(fd);
    return SY_OK;
}

int
sy_log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

void
sy_log_write(enum sy_log_level level, const char *fmt, ...)
{
    char line[2048];
    struct timeval tv;
    struct tm tm;
    size_t n;
    va_list ap;
    int saved = errno;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03dZ %s: ", (int)(tv.tv_usec / 1000),
                          level_names[level]);
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    n += (size_t)m;
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    if (write(log_fd, line, n) < 0) {
        /* nowhere left to report it */
    }
    errno = saved;
}
