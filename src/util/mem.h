/*
 * util/mem.h -- allocation that aborts on out-of-memory.
 *
 * Inputs are capped everywhere else, so running out of memory is a host
 * problem, not something a request can cause; we abort rather than
 * thread NULL checks through every caller.  The caller frees with free().
 */
#ifndef SY_UTIL_MEM_H
#define SY_UTIL_MEM_H

#include <stddef.h>

void *sy_malloc(size_t n);
void *sy_calloc(size_t n, size_t size);
void *sy_realloc(void *p, size_t n);
char *sy_strdup(const char *s);
_Noreturn void sy_oom(void);

#endif /* SY_UTIL_MEM_H */
