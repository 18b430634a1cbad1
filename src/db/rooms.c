/*
 * db/rooms.c -- room rows.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db/internal.h"
#include "db/rooms.h"
#include "util/arena.h"
#include "util/err.h"

#define ROOM_COLS "room_id, room_version, creator, created_ts, coalesce(current_state_group, 0), " \
                  "is_public"

const struct sy_stmt sy_db_rooms_stmts[] = {
    {"rooms_insert", "INSERT INTO rooms (room_id, room_version, creator, created_ts) "
                     "VALUES ($1, $2, $3, $4)"},
    {"rooms_get", "SELECT " ROOM_COLS " FROM rooms WHERE room_id = $1"},
    {"rooms_lock_many", "SELECT " ROOM_COLS " FROM rooms WHERE room_id = ANY($1::text[]) "
                        "ORDER BY room_id FOR NO KEY UPDATE"},
    {"rooms_set_state_group", "UPDATE rooms SET current_state_group = $2 WHERE room_id = $1"},
    {"rooms_set_public", "UPDATE rooms SET is_public = $2 WHERE room_id = $1"},
    {NULL, NULL},
};

int
sy_db_room_insert(struct sy_db *db, const char *room_id, const char *version, const char *creator,
                  int64_t now_ms, struct sy_error *err)
{
    char ts[24];
    const char *p[4] = {room_id, version, creator, ts};
    PGresult *res;

    snprintf(ts, sizeof(ts), "%lld", (long long)now_ms);
    if ((res = sy_db_exec(db, "rooms_insert", 4, p, err)) == NULL)
        return err->code;
    PQclear(res);
    return SY_OK;
}

static void
read_room(struct sy_arena *a, PGresult *res, int r, struct sy_db_room *out)
{
    out->room_id = sy_arena_strdup(a, PQgetvalue(res, r, 0));
    out->version = sy_arena_strdup(a, PQgetvalue(res, r, 1));
    out->creator = sy_arena_strdup(a, PQgetvalue(res, r, 2));
    out->created_ts = strtoll(PQgetvalue(res, r, 3), NULL, 10);
    out->current_state_group = strtoll(PQgetvalue(res, r, 4), NULL, 10);
    out->is_public = PQgetvalue(res, r, 5)[0] == 't';
}

static int
get_room(struct sy_db *db, struct sy_arena *a, const char *stmt, const char *room_id,
         struct sy_db_room *out, struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, stmt, 1, &room_id, err);
    int rc = SY_OK;

    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0) {
        rc = sy_err_notfound(err, "unknown room");
    } else {
        read_room(a, res, 0, out);
    }
    PQclear(res);
    return rc;
}

int
sy_db_room_get(struct sy_db *db, struct sy_arena *a, const char *room_id, struct sy_db_room *out,
               struct sy_error *err)
{
    return get_room(db, a, "rooms_get", room_id, out, err);
}

int
sy_db_rooms_lock_many(struct sy_db *db, struct sy_arena *a, const char *const *ids, size_t n,
                      struct sy_db_room **out, size_t *n_out, struct sy_error *err)
{
    const char *p = sy_db_text_array(a, ids, n);
    PGresult *res = sy_db_exec(db, "rooms_lock_many", 1, &p, err);

    if (res == NULL)
        return err->code;
    *n_out = (size_t)PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(**out) * (*n_out + 1));
    for (size_t r = 0; r < *n_out; r++)
        read_room(a, res, (int)r, &(*out)[r]);
    PQclear(res);
    return SY_OK;
}

int
sy_db_room_set_state_group(struct sy_db *db, const char *room_id, int64_t group,
                           struct sy_error *err)
{
    char g[24];
    const char *p[2] = {room_id, g};
    PGresult *res;

    snprintf(g, sizeof(g), "%lld", (long long)group);
    if ((res = sy_db_exec(db, "rooms_set_state_group", 2, p, err)) == NULL)
        return err->code;
    PQclear(res);
    return SY_OK;
}

int
sy_db_room_set_public(struct sy_db *db, const char *room_id, int is_public, struct sy_error *err)
{
    const char *p[2] = {room_id, is_public ? "true" : "false"};
    PGresult *res = sy_db_exec(db, "rooms_set_public", 2, p, err);
    long rows;

    if (res == NULL)
        return err->code;
    rows = sy_db_affected(res);
    PQclear(res);
    return rows > 0 ? SY_OK : sy_err_notfound(err, "room not found");
}
