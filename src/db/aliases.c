/*
 * db/aliases.c -- room alias rows, the directory flag, forgotten rooms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/aliases.h"
#include "db/internal.h"
#include "util/arena.h"
#include "util/err.h"

const struct sy_stmt sy_db_aliases_stmts[] = {
    {"aliases_create", "INSERT INTO room_aliases (alias, room_id, creator, created_ts) "
                       "VALUES ($1, $2, $3, $4)"},
    {"aliases_set_room", "UPDATE room_aliases SET room_id = $2 WHERE alias = $1"},
    {"aliases_get", "SELECT room_id, creator FROM room_aliases WHERE alias = $1 AND room_id <> ''"},
    {"aliases_delete", "DELETE FROM room_aliases WHERE alias = $1"},
    {"aliases_list", "SELECT alias FROM room_aliases WHERE room_id = $1 ORDER BY alias"},
    {"aliases_forget", "INSERT INTO room_forgotten (user_id, room_id) VALUES ($1, $2) "
                       "ON CONFLICT DO NOTHING"},
    {"aliases_unforget", "DELETE FROM room_forgotten WHERE user_id = $1 AND room_id = $2"},
    {"aliases_is_forgotten", "SELECT 1 FROM room_forgotten WHERE user_id = $1 AND room_id = $2"},
    {NULL, NULL},
};

int
sy_db_alias_create(struct sy_db *db, const char *alias, const char *room_id, const char *creator,
                   int64_t now_ms, struct sy_error *err)
{
    char ts[24];
    const char *p[4] = {alias, room_id, creator, ts};

    snprintf(ts, sizeof(ts), "%lld", (long long)now_ms);
    if (sy_db_run(db, "aliases_create", 4, p, NULL, err) != SY_OK) {
        if (err->code == SY_ECONFLICT)
            return sy_error_set(err, SY_ECONFLICT, 409, "M_UNKNOWN",
                                "room alias %.200s already exists", alias);
        return err->code;
    }
    return SY_OK;
}

int
sy_db_alias_set_room(struct sy_db *db, const char *alias, const char *room_id, struct sy_error *err)
{
    const char *p[2] = {alias, room_id};
    long rows = 0;
    int rc = sy_db_run(db, "aliases_set_room", 2, p, &rows, err);

    if (rc == SY_OK && rows == 0)
        rc = sy_err_notfound(err, "room alias not found");
    return rc;
}

int
sy_db_alias_get(struct sy_db *db, struct sy_arena *a, const char *alias, const char **room_id,
                const char **creator, struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, "aliases_get", 1, &alias, err);
    int rc = SY_OK;

    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0) {
        rc = sy_err_notfound(err, "room alias %.200s not found", alias);
    } else {
        if (room_id != NULL)
            *room_id = sy_arena_strdup(a, sy_db_val(res, 0, 0));
        if (creator != NULL)
            *creator = sy_arena_strdup(a, sy_db_val(res, 0, 1));
    }
    PQclear(res);
    return rc;
}

int
sy_db_alias_delete(struct sy_db *db, const char *alias, struct sy_error *err)
{
    long rows = 0;
    int rc = sy_db_run(db, "aliases_delete", 1, &alias, &rows, err);

    if (rc == SY_OK && rows == 0)
        rc = sy_err_notfound(err, "room alias %.200s not found", alias);
    return rc;
}

int
sy_db_alias_list(struct sy_db *db, struct sy_arena *a, const char *room_id, const char ***out,
                 size_t *n, struct sy_error *err)
{
    return sy_db_strings(db, a, "aliases_list", 1, &room_id, out, n, err);
}

int
sy_db_room_forget(struct sy_db *db, const char *user_id, const char *room_id, struct sy_error *err)
{
    const char *p[2] = {user_id, room_id};

    return sy_db_run(db, "aliases_forget", 2, p, NULL, err);
}

int
sy_db_room_unforget(struct sy_db *db, const char *user_id, const char *room_id,
                    struct sy_error *err)
{
    const char *p[2] = {user_id, room_id};

    return sy_db_run(db, "aliases_unforget", 2, p, NULL, err);
}

int
sy_db_room_is_forgotten(struct sy_db *db, const char *user_id, const char *room_id,
                        struct sy_error *err)
{
    const char *p[2] = {user_id, room_id};
    PGresult *res = sy_db_exec(db, "aliases_is_forgotten", 2, p, err);
    int found;

    if (res == NULL)
        return err->code;
    found = PQntuples(res) > 0;
    PQclear(res);
    return found;
}
