/*
 * db/uia.h -- user-interactive authentication sessions.
 *
 * A session is stored so that the stages of one UIA flow can be completed
 * by requests served on different worker threads or processes.
 */
#ifndef SY_DB_UIA_H
#define SY_DB_UIA_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

struct sy_uia_session {
    const char *session_id;
    const char *kind;    /* what the session authorises: "register", "password", ... */
    const char *user_id; /* NULL for registration */
    const char **completed;
    size_t n_completed;
    const char *registration_token; /* NULL until m.login.registration_token passes */
    int64_t created_ts;
};

int sy_db_uia_create(struct sy_db *db, const char *session_id, const char *kind,
                     const char *user_id, int64_t now_ms, struct sy_error *err);
/* 0 and *out, or SY_ENOTFOUND. */
int sy_db_uia_get(struct sy_db *db, struct sy_arena *a, const char *session_id,
                  struct sy_uia_session *out, struct sy_error *err);
/* Add 'stage' to the completed list (once); registration_token may be NULL. */
int sy_db_uia_complete(struct sy_db *db, const char *session_id, const char *stage,
                       const char *registration_token, struct sy_error *err);
int sy_db_uia_delete(struct sy_db *db, const char *session_id, struct sy_error *err);
/* Drop sessions created before 'before_ms'. */
int sy_db_uia_expire(struct sy_db *db, int64_t before_ms, struct sy_error *err);

#endif /* SY_DB_UIA_H */
