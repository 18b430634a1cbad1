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
    {NULL, NULL},
};

int
sy_db_stream_head_advance(struct sy_db *db, const char *stream, int64_t *pos,
                          struct sy_error *err)
{
    return sy_db_stream_head_advance_by(db, stream, 1, pos, err);
}

int
sy_db_stream_head_advance_by(struct sy_db *db, const char *stream, int64_t by, int64_t *pos,
                             struct sy_error *err)
{
    char n[24];
    const char *p[2] = {stream, n};
    PGresult *res;

    snprintf(n, sizeof(n), "%lld", (long long)by);
    res = sy_db_exec(db, "streams_advance", 2, p, err);
    int rc = SY_OK;

    if (res == NULL)
        return err->code;
    if (PQntuples(res) != 1)
        rc = sy_err_internal(err, "no stream head for %s", stream);
    else
        *pos = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return rc;
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
