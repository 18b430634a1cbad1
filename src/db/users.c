/*
 * db/users.c -- account rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"
#include "db/users.h"
#include "util/arena.h"
#include "util/err.h"

#define USER_COLS                                                                                  \
    "user_id, localpart, password_hash, is_admin, is_guest, deactivated, created_ts, "             \
    "displayname, avatar_url"

const struct sy_stmt sy_db_users_stmts[] = {
    {"users_create", "INSERT INTO users (" USER_COLS ") VALUES ($1, $2, $3, $4, $5, false, $6, "
                     "$7, NULL)"},
    {"users_get", "SELECT " USER_COLS " FROM users WHERE user_id = $1"},
    {"users_localpart_taken", "SELECT 1 FROM users WHERE localpart = $1"},
    {"users_set_password", "UPDATE users SET password_hash = $2 WHERE user_id = $1"},
    {"users_set_admin", "UPDATE users SET is_admin = $2 WHERE user_id = $1"},
    {"users_deactivate", "UPDATE users SET deactivated = true, password_hash = NULL, "
                         "displayname = NULL, avatar_url = NULL WHERE user_id = $1"},
    {"users_set_displayname", "UPDATE users SET displayname = $2 WHERE user_id = $1"},
    {"users_set_avatar_url", "UPDATE users SET avatar_url = $2 WHERE user_id = $1"},
    {"users_list", "SELECT " USER_COLS " FROM users ORDER BY user_id"},
    {NULL, NULL},
};

static const char *
dup_val(struct sy_arena *a, PGresult *res, int r, int c)
{
    return sy_arena_strdup(a, sy_db_val(res, r, c));
}

static void
read_user(struct sy_arena *a, PGresult *res, int r, struct sy_user *u)
{
    u->user_id = dup_val(a, res, r, 0);
    u->localpart = dup_val(a, res, r, 1);
    u->password_hash = dup_val(a, res, r, 2);
    u->is_admin = PQgetvalue(res, r, 3)[0] == 't';
    u->is_guest = PQgetvalue(res, r, 4)[0] == 't';
    u->deactivated = PQgetvalue(res, r, 5)[0] == 't';
    u->created_ts = strtoll(PQgetvalue(res, r, 6), NULL, 10);
    u->displayname = dup_val(a, res, r, 7);
    u->avatar_url = dup_val(a, res, r, 8);
}

int
sy_db_user_create(struct sy_db *db, const struct sy_user *u, struct sy_error *err)
{
    char ts[24];
    const char *p[7];
    PGresult *res;

    snprintf(ts, sizeof(ts), "%lld", (long long)u->created_ts);
    p[0] = u->user_id, p[1] = u->localpart, p[2] = u->password_hash;
    p[3] = u->is_admin ? "true" : "false";
    p[4] = u->is_guest ? "true" : "false";
    p[5] = ts, p[6] = u->displayname;
    if ((res = sy_db_exec(db, "users_create", 7, p, err)) == NULL)
        return err->code;
    PQclear(res);
    return SY_OK;
}

int
sy_db_user_get(struct sy_db *db, struct sy_arena *a, const char *user_id, struct sy_user *out,
               struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, "users_get", 1, &user_id, err);
    int rc = SY_OK;

    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0)
        rc = sy_err_notfound(err, "no such user");
    else
        read_user(a, res, 0, out);
    PQclear(res);
    return rc;
}

int
sy_db_user_localpart_taken(struct sy_db *db, const char *localpart, struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, "users_localpart_taken", 1, &localpart, err);
    int taken;

    if (res == NULL)
        return err->code;
    taken = PQntuples(res) > 0;
    PQclear(res);
    return taken;
}

/* Run an UPDATE by user ID; SY_ENOTFOUND when it touched no row. */
static int
update_user(struct sy_db *db, const char *stmt, int n, const char *const *p, struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, stmt, n, p, err);
    long rows;

    if (res == NULL)
        return err->code;
    rows = sy_db_affected(res);
    PQclear(res);
    return rows > 0 ? SY_OK : sy_err_notfound(err, "no such user");
}

int
sy_db_user_set_password(struct sy_db *db, const char *user_id, const char *hash,
                        struct sy_error *err)
{
    const char *p[2] = {user_id, hash};

    return update_user(db, "users_set_password", 2, p, err);
}

int
sy_db_user_set_admin(struct sy_db *db, const char *user_id, int admin, struct sy_error *err)
{
    const char *p[2] = {user_id, admin ? "true" : "false"};

    if (update_user(db, "users_set_admin", 2, p, err) != SY_OK)
        return err->code;
    sy_db_auth_changed(db);
    return SY_OK;
}

int
sy_db_user_deactivate(struct sy_db *db, const char *user_id, struct sy_error *err)
{
    if (update_user(db, "users_deactivate", 1, &user_id, err) != SY_OK)
        return err->code;
    sy_db_auth_changed(db);
    return SY_OK;
}

int
sy_db_user_set_profile(struct sy_db *db, const char *user_id, const char *field,
                       const char *value, struct sy_error *err)
{
    const char *p[2] = {user_id, value};

    if (strcmp(field, "displayname") == 0)
        return update_user(db, "users_set_displayname", 2, p, err);
    if (strcmp(field, "avatar_url") == 0)
        return update_user(db, "users_set_avatar_url", 2, p, err);
    return sy_err_invalid(err, "M_INVALID_PARAM", "unknown profile field");
}

int
sy_db_user_list(struct sy_db *db, struct sy_arena *a, struct sy_user **out, size_t *n,
                struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, "users_list", 0, NULL, err);
    int rows;

    if (res == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(struct sy_user) * (size_t)(rows ? rows : 1));
    for (int r = 0; r < rows; r++)
        read_user(a, res, r, &(*out)[r]);
    *n = (size_t)rows;
    PQclear(res);
    return SY_OK;
}
