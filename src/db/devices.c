/*
 * db/devices.c -- a user's devices.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db/devices.h"
#include "db/internal.h"
#include "util/arena.h"
#include "util/err.h"

const struct sy_stmt sy_db_devices_stmts[] = {
    {"devices_upsert",
     "INSERT INTO devices (user_id, device_id, display_name, created_ts, last_seen_ts, "
     "last_seen_ip) VALUES ($1, $2, $3, $4, $4, $5) ON CONFLICT (user_id, device_id) DO UPDATE "
     "SET last_seen_ts = EXCLUDED.last_seen_ts, last_seen_ip = EXCLUDED.last_seen_ip"},
    {"devices_get", "SELECT device_id, display_name, last_seen_ts, last_seen_ip FROM devices "
                    "WHERE user_id = $1 AND device_id = $2"},
    {"devices_list", "SELECT device_id, display_name, last_seen_ts, last_seen_ip FROM devices "
                     "WHERE user_id = $1 ORDER BY device_id"},
    {"devices_rename",
     "UPDATE devices SET display_name = $3 WHERE user_id = $1 AND device_id = $2"},
    {"devices_delete", "DELETE FROM devices WHERE user_id = $1 AND device_id = $2"},
    {"devices_delete_all",
     "DELETE FROM devices WHERE user_id = $1 AND ($2::text IS NULL OR device_id <> $2)"},
    {"devices_touch", "UPDATE devices SET last_seen_ts = $3, last_seen_ip = $4 "
                      "WHERE user_id = $1 AND device_id = $2"},
    {NULL, NULL},
};

static void
read_device(struct sy_arena *a, PGresult *res, int r, struct sy_device *d)
{
    const char *ts = sy_db_val(res, r, 2);

    d->device_id = sy_arena_strdup(a, sy_db_val(res, r, 0));
    d->display_name = sy_arena_strdup(a, sy_db_val(res, r, 1));
    d->last_seen_ts = ts ? strtoll(ts, NULL, 10) : 0;
    d->last_seen_ip = sy_arena_strdup(a, sy_db_val(res, r, 3));
}

int
sy_db_device_upsert(struct sy_db *db, const char *user_id, const char *device_id,
                    const char *display_name, int64_t now_ms, const char *ip,
                    struct sy_error *err)
{
    char ts[24];
    const char *p[5] = {user_id, device_id, display_name, ts, ip};

    snprintf(ts, sizeof(ts), "%lld", (long long)now_ms);
    return sy_db_run(db, "devices_upsert", 5, p, NULL, err);
}

int
sy_db_device_get(struct sy_db *db, struct sy_arena *a, const char *user_id,
                 const char *device_id, struct sy_device *out, struct sy_error *err)
{
    const char *p[2] = {user_id, device_id};
    PGresult *res = sy_db_exec(db, "devices_get", 2, p, err);
    int rc = SY_OK;

    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0)
        rc = sy_err_notfound(err, "no such device");
    else
        read_device(a, res, 0, out);
    PQclear(res);
    return rc;
}

int
sy_db_device_list(struct sy_db *db, struct sy_arena *a, const char *user_id,
                  struct sy_device **out, size_t *n, struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, "devices_list", 1, &user_id, err);
    int rows;

    if (res == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(struct sy_device) * (size_t)(rows ? rows : 1));
    for (int r = 0; r < rows; r++)
        read_device(a, res, r, &(*out)[r]);
    *n = (size_t)rows;
    PQclear(res);
    return SY_OK;
}

int
sy_db_device_rename(struct sy_db *db, const char *user_id, const char *device_id,
                    const char *display_name, struct sy_error *err)
{
    const char *p[3] = {user_id, device_id, display_name};
    long rows = 0;
    int rc = sy_db_run(db, "devices_rename", 3, p, &rows, err);

    if (rc == SY_OK && rows == 0)
        return sy_err_notfound(err, "no such device");
    return rc;
}

int
sy_db_device_delete(struct sy_db *db, const char *user_id, const char *device_id,
                    struct sy_error *err)
{
    const char *p[2] = {user_id, device_id};

    if (sy_db_run(db, "devices_delete", 2, p, NULL, err) != SY_OK)
        return err->code;
    sy_db_auth_changed(db); /* its tokens went with it */
    return SY_OK;
}

int
sy_db_device_delete_all(struct sy_db *db, const char *user_id, const char *keep,
                        struct sy_error *err)
{
    const char *p[2] = {user_id, keep};

    if (sy_db_run(db, "devices_delete_all", 2, p, NULL, err) != SY_OK)
        return err->code;
    sy_db_auth_changed(db); /* their tokens went with them */
    return SY_OK;
}

int
sy_db_device_touch(struct sy_db *db, const char *user_id, const char *device_id, int64_t now_ms,
                   const char *ip, struct sy_error *err)
{
    char ts[24];
    const char *p[4] = {user_id, device_id, ts, ip};

    snprintf(ts, sizeof(ts), "%lld", (long long)now_ms);
    return sy_db_run(db, "devices_touch", 4, p, NULL, err);
}
