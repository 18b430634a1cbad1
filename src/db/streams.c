/*
 * db/streams.c -- stream heads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"
#include "db/streams.h"
#include "util/err.h"

const struct sy_stmt sy_db_streams_stmts[] = {
    {"streams_advance", "UPDATE stream_heads SET pos = pos + $2 WHERE stream = $1 RETURNING pos"},
    {"streams_heads", "SELECT stream, pos FROM stream_heads"},
    /* Any constant: the advisory lock id held by the one process writing events. */
    {"streams_events_writer", "SELECT pg_try_advisory_lock(7271110501)"},
    {"streams_events_recover",
     "SELECT greatest((SELECT pos FROM stream_heads WHERE stream = 'events'),"
     " (SELECT coalesce(max(stream_ordering), 0) FROM events))"},
    {"streams_events_reserve",
     "UPDATE stream_heads SET pos = greatest(pos, $1) + $2 WHERE stream = 'events' RETURNING pos"},
    {NULL, NULL},
};

/* The first column of a one-row result as an integer. */
static int
one_int(struct sy_db *db, const char *name, int n, const char *const *p, int64_t *out,
        struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, name, n, p, err);
    int rc = SY_OK;

    if (res == NULL)
        return err->code;
    if (PQntuples(res) != 1)
        rc = sy_err_internal(err, "%s returned no row", name);
    else
        *out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return rc;
}

int
sy_db_stream_head_advance(struct sy_db *db, const char *stream, int64_t *pos,
                          struct sy_error *err)
{
    const char *p[2] = {stream, "1"};

    return one_int(db, "streams_advance", 2, p, pos, err);
}

int
sy_db_stream_heads(struct sy_db *db, const char *const *streams, size_t n, int64_t *pos,
                   struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, "streams_heads", 0, NULL, err);

    if (res == NULL)
        return err->code;
    for (size_t i = 0; i < n; i++) {
        pos[i] = 0;
        for (int r = 0; r < PQntuples(res); r++)
            if (strcmp(PQgetvalue(res, r, 0), streams[i]) == 0)
                pos[i] = strtoll(PQgetvalue(res, r, 1), NULL, 10);
    }
    PQclear(res);
    return SY_OK;
}

int
sy_db_events_writer_lock(struct sy_db *db, int *locked, struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, "streams_events_writer", 0, NULL, err);

    if (res == NULL)
        return err->code;
    *locked = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return SY_OK;
}

int
sy_db_events_recover(struct sy_db *db, int64_t *head, struct sy_error *err)
{
    return one_int(db, "streams_events_recover", 0, NULL, head, err);
}

int
sy_db_events_reserve(struct sy_db *db, int64_t floor, int64_t by, int64_t *upto,
                     struct sy_error *err)
{
    char f[24], b[24];
    const char *p[2] = {f, b};

    snprintf(f, sizeof(f), "%lld", (long long)floor);
    snprintf(b, sizeof(b), "%lld", (long long)by);
    return one_int(db, "streams_events_reserve", 2, p, upto, err);
}
