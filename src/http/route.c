/*
 * http/route.c -- route templates split into segments, matched in order.
 */
#include <stdlib.h>
#include <string.h>

#include "route.h"
#include "util/arena.h"
#include "util/mem.h"
#include "util/str.h"

#define MAX_SEGMENTS 16

struct compiled_route {
    const struct sy_route *route;
    size_t n_segs;
    char *segs[MAX_SEGMENTS]; /* literal, or "{name}" */
};

struct sy_router {
    struct compiled_route *routes;
    size_t n;
};

static void
compile_route(struct compiled_route *cr, const struct sy_route *route)
{
    const char *p = route->path;

    cr->route = route;
    cr->n_segs = 0;
    while (*p == '/') {
        const char *start = ++p;

        while (*p != '\0' && *p != '/')
            p++;
        if (cr->n_segs == MAX_SEGMENTS)
            abort(); /* a programming error in a route table */
        cr->segs[cr->n_segs] = sy_malloc((size_t)(p - start) + 1);
        memcpy(cr->segs[cr->n_segs], start, (size_t)(p - start));
        cr->segs[cr->n_segs++][p - start] = '\0';
    }
}

struct sy_router *
sy_router_new(const struct sy_route *const *tables, const size_t *counts, size_t n)
{
    struct sy_router *r = sy_calloc(1, sizeof(*r));
    size_t total = 0, k = 0;

    for (size_t i = 0; i < n; i++)
        total += counts[i];
    r->routes = sy_calloc(total, sizeof(*r->routes));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < counts[i]; j++)
            compile_route(&r->routes[k++], &tables[i][j]);
    r->n = total;
    return r;
}

void
sy_router_free(struct sy_router *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++)
        for (size_t j = 0; j < r->routes[i].n_segs; j++)
            free(r->routes[i].segs[j]);
    free(r->routes);
    free(r);
}

/* Split the request path into raw segments; -1 if it has too many. */
static int
split_path(const char *path, const char **starts, size_t *lens)
{
    int n = 0;
    const char *p = path;

    while (*p == '/') {
        const char *start = ++p;

        while (*p != '\0' && *p != '/')
            p++;
        if (n == MAX_SEGMENTS)
            return -1;
        starts[n] = start;
        lens[n] = (size_t)(p - start);
        n++;
    }
    return *p == '\0' ? n : -1;
}

static int
segments_match(const struct compiled_route *cr, int n, const char **starts, const size_t *lens)
{
    if ((size_t)n != cr->n_segs)
        return 0;
    for (int i = 0; i < n; i++) {
        const char *seg = cr->segs[i];

        if (seg[0] == '{')
            continue;
        if (strlen(seg) != lens[i] || memcmp(seg, starts[i], lens[i]) != 0)
            return 0;
    }
    return 1;
}

enum sy_match
sy_router_match(const struct sy_router *r, unsigned method, const char *path, struct sy_arena *a,
                struct sy_route_match *m)
{
    const char *starts[MAX_SEGMENTS];
    size_t lens[MAX_SEGMENTS];
    int n = split_path(path, starts, lens);

    memset(m, 0, sizeof(*m));
    if (n < 0)
        return SY_MATCH_NOT_FOUND;
    for (size_t i = 0; i < r->n; i++) {
        const struct compiled_route *cr = &r->routes[i];

        if (!segments_match(cr, n, starts, lens))
            continue;
        m->allowed |= cr->route->method;
        m->resources |= cr->route->resource;
        if (m->route != NULL || !(cr->route->method & method))
            continue;
        m->route = cr->route;
        for (int s = 0; s < n; s++) {
            const char *seg = cr->segs[s];
            char *value;

            if (seg[0] != '{' || m->n_params == SY_ROUTE_MAX_PARAMS)
                continue;
            value = sy_str_urldecode(a, starts[s], lens[s]);
            if (value == NULL || value[0] == '\0')
                return SY_MATCH_BAD_PATH;
            m->names[m->n_params] = sy_arena_strndup(a, seg + 1, strlen(seg) - 2);
            m->values[m->n_params++] = value;
        }
    }
    if (m->route != NULL)
        return SY_MATCH_OK;
    return m->allowed ? SY_MATCH_BAD_METHOD : SY_MATCH_NOT_FOUND;
}
