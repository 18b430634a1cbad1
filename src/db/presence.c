/*
 * db/presence.c -- presence rows.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db/internal.h"
#include "db/presence.h"
#include "util/arena.h"
#include "util/err.h"

#define PRESENCE_COLS "user_id, state, status_msg, last_active_ts, currently_active, stream_pos"

/* Rooms both $1 and the row's user are joined to (current_state_members index). */
#define SHARES_ROOM(other)                                                                         \
    "EXISTS (SELECT 1 FROM current_state me JOIN current_state them "                              \
    "ON them.room_id = me.room_id AND them.type = 'm.room.member' AND them.membership = 'join' "   \
    "WHERE me.type = 'm.room.member' AND me.state_key = $1 AND me.membership = 'join' "            \
    "AND them.state_key = " other ")"

const struct sy_stmt sy_db_presence_stmts[] = {
    {"presence_get", "SELECT " PRESENCE_COLS " FROM presence WHERE user_id = $1"},
    {"presence_put",
     "INSERT INTO presence (" PRESENCE_COLS ") VALUES ($1, $2, $3, $4, $5, $6) "
     "ON CONFLICT (user_id) DO UPDATE SET state = EXCLUDED.state, "
     "status_msg = EXCLUDED.status_msg, last_active_ts = EXCLUDED.last_active_ts, "
     "currently_active = EXCLUDED.currently_active, stream_pos = EXCLUDED.stream_pos"},
    {"presence_touch", "UPDATE presence SET last_active_ts = $2 WHERE user_id = $1"},
    {"presence_visible_range",
     "SELECT " PRESENCE_COLS " FROM presence p WHERE p.stream_pos > $2 AND p.stream_pos <= $3 "
     "AND (p.user_id = $1 OR " SHARES_ROOM("p.user_id") ") ORDER BY p.stream_pos"},
    {"presence_share_room", "SELECT " SHARES_ROOM("$2")},
    {NULL, NULL},
};

static void
read_row(struct sy_arena *a, PGresult *res, int r, struct sy_db_presence *p)
{
    p->user_id = sy_arena_strdup(a, PQgetvalue(res, r, 0));
    p->state = sy_arena_strdup(a, PQgetvalue(res, r, 1));
    p->status_msg = sy_arena_strdup(a, sy_db_val(res, r, 2));
    p->last_active_ts = strtoll(PQgetvalue(res, r, 3), NULL, 10);
    p->currently_active = PQgetvalue(res, r, 4)[0] == 't';
    p->stream_pos = strtoll(PQgetvalue(res, r, 5), NULL, 10);
}

int
sy_db_presence_get(struct sy_db *db, struct sy_arena *a, const char *user_id,
                   struct sy_db_presence *out, struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, "presence_get", 1, &user_id, err);
    int rc = SY_OK;

    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0)
        rc = sy_err_notfound(err, "no presence");
    else
        read_row(a, res, 0, out);
    PQclear(res);
    return rc;
}

int
sy_db_presence_put(struct sy_db *db, const struct sy_db_presence *p, struct sy_error *err)
{
    char ts[24], pos[24];
    const char *v[6];
    PGresult *res;

    snprintf(ts, sizeof(ts), "%lld", (long long)p->last_active_ts);
    snprintf(pos, sizeof(pos), "%lld", (long long)p->stream_pos);
    v[0] = p->user_id, v[1] = p->state, v[2] = p->status_msg, v[3] = ts;
    v[4] = p->currently_active ? "true" : "false", v[5] = pos;
    if ((res = sy_db_exec(db, "presence_put", 6, v, err)) == NULL)
        return err->code;
    PQclear(res);
    return SY_OK;
}

int
sy_db_presence_touch(struct sy_db *db, const char *user_id, int64_t last_active_ts,
                     struct sy_error *err)
{
    char ts[24];
    const char *v[2] = {user_id, ts};
    PGresult *res;

    snprintf(ts, sizeof(ts), "%lld", (long long)last_active_ts);
    if ((res = sy_db_exec(db, "presence_touch", 2, v, err)) == NULL)
        return err->code;
    PQclear(res);
    return SY_OK;
}

int
sy_db_presence_visible_range(struct sy_db *db, struct sy_arena *a, const char *user_id,
                             int64_t from, int64_t to, struct sy_db_presence **out, size_t *n,
                             struct sy_error *err)
{
    char f[24], t[24];
    const char *p[3] = {user_id, f, t};
    PGresult *res;
    int rows;

    snprintf(f, sizeof(f), "%lld", (long long)from);
    snprintf(t, sizeof(t), "%lld", (long long)to);
    if ((res = sy_db_exec(db, "presence_visible_range", 3, p, err)) == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(**out) * (size_t)(rows ? rows : 1));
    for (int i = 0; i < rows; i++)
        read_row(a, res, i, &(*out)[i]);
    *n = (size_t)rows;
    PQclear(res);
    return SY_OK;
}

int
sy_db_presence_share_room(struct sy_db *db, const char *a, const char *b, struct sy_error *err)
{
    const char *p[2] = {a, b};
    PGresult *res = sy_db_exec(db, "presence_share_room", 2, p, err);
    int shared;

    if (res == NULL)
        return err->code;
    shared = PQntuples(res) > 0 && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return shared;
}
