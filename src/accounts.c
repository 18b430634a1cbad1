/*
 * accounts.c -- account operations over db/users, db/devices, db/tokens.
 */
#include <string.h>

#include "accounts.h"
#include "config.h"
#include "crypto/password.h"
#include "crypto/token.h"
#include "db/db.h"
#include "db/devices.h"
#include "db/tokens.h"
#include "db/users.h"
#include "userid.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/str.h"
#include "util/time.h"
#include "sync/e2ee.h"

static int
check_password_policy(const struct sy_config *cfg, const char *password, struct sy_error *err)
{
    if (strlen(password) < (size_t)cfg->password_min_length)
        return sy_error_set(err, SY_EINVAL, 400, "M_WEAK_PASSWORD",
                            "password must be at least %d characters", cfg->password_min_length);
    if (strlen(password) > 512)
        return sy_err_invalid(err, "M_INVALID_PARAM", "password is too long");
    return SY_OK;
}

int
sy_account_create(struct sy_db *db, struct sy_arena *a, const struct sy_config *cfg,
                  const struct sy_new_account *acct, const char **user_id, struct sy_error *err)
{
    struct sy_user u = {0};
    char *hash = NULL;
    int rc;

    if (!sy_localpart_valid(acct->localpart))
        return sy_err_invalid(err, "M_INVALID_USERNAME",
                              "user ID may only contain a-z, 0-9, and . _ = - / +");
    u.user_id = sy_userid_make(a, acct->localpart, cfg->server_name);
    if (strlen(u.user_id) > SY_USERID_MAX)
        return sy_err_invalid(err, "M_INVALID_USERNAME", "user ID is too long");
    if (acct->password != NULL) {
        if (check_password_policy(cfg, acct->password, err) != SY_OK)
            return err->code;
        if (sy_password_hash(a, acct->password, cfg->password_log_n, &hash, err) != SY_OK)
            return err->code;
    }
    u.localpart = acct->localpart;
    u.password_hash = hash;
    u.is_admin = acct->is_admin;
    u.is_guest = acct->is_guest;
    u.created_ts = sy_now_ms();
    u.displayname = acct->displayname ? acct->displayname : acct->localpart;
    rc = sy_db_user_create(db, &u, err);
    if (rc == SY_ECONFLICT)
        return sy_error_set(err, SY_ECONFLICT, 400, "M_USER_IN_USE", "user ID already taken");
    if (rc != SY_OK)
        return rc;
    *user_id = u.user_id;
    return SY_OK;
}

int
sy_account_check_password(struct sy_db *db, struct sy_arena *a, const struct sy_config *cfg,
                          const char *user_id, const char *password, struct sy_error *err)
{
    struct sy_user u;
    struct sy_error ignored = {0};
    int rc = sy_db_user_get(db, a, user_id, &u, err);

    if (rc == SY_ENOTFOUND || (rc == SY_OK && (u.deactivated || u.password_hash == NULL)))
        return sy_error_set(err, SY_EFORBIDDEN, 403, "M_FORBIDDEN", "invalid username or password");
    if (rc != SY_OK)
        return rc;
    if (sy_password_verify(password, u.password_hash, &ignored) != SY_OK)
        return sy_error_set(err, SY_EFORBIDDEN, 403, "M_FORBIDDEN", "invalid username or password");
    /* The configured cost went up since this hash was made: upgrade it now we know the password. */
    if (sy_password_needs_rehash(u.password_hash, cfg->password_log_n)) {
        char *hash;

        if (sy_password_hash(a, password, cfg->password_log_n, &hash, &ignored) == SY_OK)
            sy_db_user_set_password(db, user_id, hash, &ignored);
    }
    return SY_OK;
}

int
sy_account_open_session(struct sy_db *db, struct sy_arena *a, const char *user_id,
                        const char *device_id, const char *display_name, const char *ip,
                        struct sy_session *out, struct sy_error *err)
{
    unsigned char hash[SY_TOKEN_HASH_LEN];
    const char *token = sy_token_new(a, SY_TOKEN_ACCESS_PREFIX);
    int64_t now = sy_now_ms();

    if (device_id == NULL)
        device_id = sy_token_device_id(a);
    sy_token_hash(token, hash);
    if (sy_db_begin(db, err) != SY_OK)
        return err->code;
    if (sy_db_device_upsert(db, user_id, device_id, display_name, now, ip, err) != SY_OK ||
        sy_db_token_delete_device(db, user_id, device_id, err) != SY_OK ||
        sy_db_token_add(db, sy_str_hex(a, hash, sizeof(hash)), user_id, device_id, now, err) !=
            SY_OK ||
        sy_e2e_device_list_changed(db, user_id, err) != SY_OK || sy_db_commit(db, err) != SY_OK) {
        sy_db_rollback(db);
        return err->code;
    }
    sy_e2e_device_list_notify(db, a, user_id);
    out->user_id = user_id;
    out->device_id = device_id;
    out->access_token = token;
    return SY_OK;
}

int
sy_account_set_password(struct sy_db *db, struct sy_arena *a, const struct sy_config *cfg,
                        const char *user_id, const char *password, int logout_devices,
                        const char *keep_device, struct sy_error *err)
{
    char *hash;

    if (check_password_policy(cfg, password, err) != SY_OK)
        return err->code;
    if (sy_password_hash(a, password, cfg->password_log_n, &hash, err) != SY_OK)
        return err->code;
    if (sy_db_begin(db, err) != SY_OK)
        return err->code;
    if (sy_db_user_set_password(db, user_id, hash, err) != SY_OK ||
        (logout_devices && (sy_db_device_delete_all(db, user_id, keep_device, err) != SY_OK ||
                            sy_e2e_device_list_changed(db, user_id, err) != SY_OK)) ||
        sy_db_commit(db, err) != SY_OK) {
        sy_db_rollback(db);
        return err->code;
    }
    if (logout_devices)
        sy_e2e_device_list_notify(db, a, user_id);
    return SY_OK;
}

int
sy_account_delete_devices(struct sy_db *db, struct sy_arena *a, const char *user_id,
                          const char *const *device_ids, size_t n, struct sy_error *err)
{
    if (sy_db_begin(db, err) != SY_OK)
        return err->code;
    for (size_t i = 0; i < n; i++) {
        if (sy_db_device_delete(db, user_id, device_ids[i], err) != SY_OK) {
            sy_db_rollback(db);
            return err->code;
        }
    }
    if (sy_e2e_device_list_changed(db, user_id, err) != SY_OK || sy_db_commit(db, err) != SY_OK) {
        sy_db_rollback(db);
        return err->code;
    }
    sy_e2e_device_list_notify(db, a, user_id);
    return SY_OK;
}

int
sy_account_delete_all_devices(struct sy_db *db, struct sy_arena *a, const char *user_id,
                              const char *keep, struct sy_error *err)
{
    if (sy_db_begin(db, err) != SY_OK)
        return err->code;
    if (sy_db_device_delete_all(db, user_id, keep, err) != SY_OK ||
        sy_e2e_device_list_changed(db, user_id, err) != SY_OK || sy_db_commit(db, err) != SY_OK) {
        sy_db_rollback(db);
        return err->code;
    }
    sy_e2e_device_list_notify(db, a, user_id);
    return SY_OK;
}

int
sy_account_deactivate(struct sy_db *db, struct sy_arena *a, const char *user_id,
                      struct sy_error *err)
{
    if (sy_db_begin(db, err) != SY_OK)
        return err->code;
    if (sy_db_user_deactivate(db, user_id, err) != SY_OK ||
        sy_db_device_delete_all(db, user_id, NULL, err) != SY_OK ||
        sy_e2e_device_list_changed(db, user_id, err) != SY_OK || sy_db_commit(db, err) != SY_OK) {
        sy_db_rollback(db);
        return err->code;
    }
    sy_e2e_device_list_notify(db, a, user_id);
    return SY_OK;
}
