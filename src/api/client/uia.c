/*
 * api/client/uia.c -- user-interactive authentication sessions and stages.
 */
#include <string.h>

#include "accounts.h"
#include "api/client/uia.h"
#include "config.h"
#include "db/regtokens.h"
#include "db/uia.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "node.h"
#include "userid.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/log.h"
#include "util/rand.h"
#include "util/time.h"

#define SESSION_ALPHABET "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define SESSION_LIFETIME_MS (30LL * 60 * 1000)

/* The 401 body: flows, params, session, completed, and the failed stage's error if any. */
static void
reply_challenge(struct sy_req *req, const struct sy_uia_flow *flows, size_t n_flows,
                const char *session_id, const char **completed, size_t n_completed,
                const struct sy_error *stage_err)
{
    struct json_object *o = sy_json_new_object(req->arena);
    struct json_object *jflows = json_object_new_array(), *done = json_object_new_array();

    for (size_t i = 0; i < n_flows; i++) {
        struct json_object *f = json_object_new_object(), *st = json_object_new_array();

        for (size_t s = 0; s < SY_UIA_MAX_STAGES && flows[i].stages[s]; s++)
            json_object_array_add(st, json_object_new_string(flows[i].stages[s]));
        json_object_object_add(f, "stages", st);
        json_object_array_add(jflows, f);
    }
    for (size_t i = 0; i < n_completed; i++)
        json_object_array_add(done, json_object_new_string(completed[i]));
    json_object_object_add(o, "flows", jflows);
    json_object_object_add(o, "params", json_object_new_object());
    json_object_object_add(o, "session", json_object_new_string(session_id));
    json_object_object_add(o, "completed", done);
    if (stage_err != NULL) {
        json_object_object_add(o, "errcode", json_object_new_string(stage_err->errcode));
        json_object_object_add(o, "error", json_object_new_string(stage_err->msg));
    }
    sy_reply_json(req, 401, o);
}

static int
stage_offered(const struct sy_uia_flow *flows, size_t n_flows, const char *stage)
{
    for (size_t i = 0; i < n_flows; i++)
        for (size_t s = 0; s < SY_UIA_MAX_STAGES && flows[i].stages[s]; s++)
            if (strcmp(flows[i].stages[s], stage) == 0)
                return 1;
    return 0;
}

static int
stage_done(const char **completed, size_t n, const char *stage)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(completed[i], stage) == 0)
            return 1;
    return 0;
}

static int
some_flow_complete(const struct sy_uia_flow *flows, size_t n_flows, const char **completed,
                   size_t n_completed)
{
    for (size_t i = 0; i < n_flows; i++) {
        int all = 1;

        for (size_t s = 0; s < SY_UIA_MAX_STAGES && flows[i].stages[s]; s++)
            all = all && stage_done(completed, n_completed, flows[i].stages[s]);
        if (all)
            return 1;
    }
    return 0;
}

/* m.login.password for an authenticated user: the identifier must name that user. */
static int
check_password_stage(struct sy_req *req, struct json_object *auth, struct sy_error *err)
{
    struct json_object *ident = sy_json_get_obj(auth, "identifier");
    const char *user = ident ? sy_json_get_str(ident, "user") : sy_json_get_str(auth, "user");
    const char *password = sy_json_get_str(auth, "password");
    const char *user_id = user;

    if (password == NULL)
        return sy_err_invalid(err, "M_MISSING_PARAM", "missing 'password'");
    if (user != NULL && user[0] != '@')
        user_id = sy_userid_make(req->arena, user, req->node->cfg->server_name);
    if (req->user_id == NULL)
        return sy_err_forbidden(err, "password authentication needs a logged-in user");
    if (user_id != NULL && strcmp(user_id, req->user_id) != 0)
        return sy_err_forbidden(err, "cannot authenticate as another user");
    return sy_account_check_password(req->db, req->arena, req->node->cfg, req->user_id, password,
                                     err);
}

static int
check_token_stage(struct sy_req *req, struct json_object *auth, const char **token,
                  struct sy_error *err)
{
    const char *t = sy_json_get_str(auth, "token");
    int valid;

    if (t == NULL)
        return sy_err_invalid(err, "M_MISSING_PARAM", "missing 'token'");
    valid = sy_db_regtoken_valid(req->db, t, sy_now_ms(), err);
    if (valid < 0)
        return valid;
    if (!valid)
        return sy_error_set(err, SY_EFORBIDDEN, 401, "M_FORBIDDEN", "invalid registration token");
    *token = t;
    return SY_OK;
}

/* Run the stage named in auth.type; 0 when it passed. */
static int
run_stage(struct sy_req *req, struct json_object *auth, const char *type, const char **token,
          struct sy_error *err)
{
    if (strcmp(type, "m.login.dummy") == 0)
        return SY_OK;
    if (strcmp(type, "m.login.password") == 0)
        return check_password_stage(req, auth, err);
    if (strcmp(type, "m.login.registration_token") == 0)
        return check_token_stage(req, auth, token, err);
    return sy_err_invalid(err, "M_UNRECOGNIZED", "unsupported authentication type");
}

static int
new_session(struct sy_req *req, const char *kind, const char **session_id, struct sy_error *err)
{
    *session_id = sy_rand_string(req->arena, 24, SESSION_ALPHABET);
    /* Old sessions are swept here rather than by a timer: creation is the only growth path. */
    sy_db_uia_expire(req->db, sy_now_ms() - SESSION_LIFETIME_MS, err);
    return sy_db_uia_create(req->db, *session_id, kind, req->user_id, sy_now_ms(), err);
}

int
sy_uia_run(struct sy_req *req, struct json_object *body, const char *kind,
           const struct sy_uia_flow *flows, size_t n_flows, struct sy_uia_done *done)
{
    struct json_object *auth = sy_json_get_obj(body, "auth");
    const char *session_id = auth ? sy_json_get_str(auth, "session") : NULL;
    const char *type = auth ? sy_json_get_str(auth, "type") : NULL;
    const char *token = NULL;
    struct sy_uia_session s = {0};
    struct sy_error err = {0};

    memset(done, 0, sizeof(*done));
    if (session_id == NULL) {
        if (new_session(req, kind, &session_id, &err) != SY_OK)
            goto fail;
    } else if (sy_db_uia_get(req->db, req->arena, session_id, &s, &err) != SY_OK) {
        if (err.code == SY_ENOTFOUND)
            sy_reply_error(req, 400, "M_UNKNOWN", "unknown UIA session");
        else
            sy_reply_sy_error(req, &err);
        return SY_UIA_REPLIED;
    } else if (strcmp(s.kind, kind) != 0 ||
               (s.user_id != NULL) != (req->user_id != NULL) ||
               (s.user_id != NULL && strcmp(s.user_id, req->user_id) != 0)) {
        sy_reply_error(req, 403, "M_FORBIDDEN", "UIA session does not match this request");
        return SY_UIA_REPLIED;
    }
    if (type != NULL) {
        if (!stage_offered(flows, n_flows, type)) {
            sy_reply_error(req, 400, "M_UNRECOGNIZED", "authentication type not offered");
            return SY_UIA_REPLIED;
        }
        if (run_stage(req, auth, type, &token, &err) != SY_OK) {
            if (err.code == SY_EDB)
                goto fail;
            reply_challenge(req, flows, n_flows, session_id, s.completed, s.n_completed, &err);
            return SY_UIA_REPLIED;
        }
        if (sy_db_uia_complete(req->db, session_id, type, token, &err) != SY_OK ||
            sy_db_uia_get(req->db, req->arena, session_id, &s, &err) != SY_OK)
            goto fail;
    }
    if (!some_flow_complete(flows, n_flows, s.completed, s.n_completed)) {
        reply_challenge(req, flows, n_flows, session_id, s.completed, s.n_completed, NULL);
        return SY_UIA_REPLIED;
    }
    done->session_id = session_id;
    done->registration_token = s.registration_token;
    return SY_OK;

fail:
    sy_reply_sy_error(req, &err);
    return SY_UIA_REPLIED;
}

void
sy_uia_finish(struct sy_req *req, const struct sy_uia_done *done)
{
    struct sy_error err = {0};

    if (done->session_id != NULL && sy_db_uia_delete(req->db, done->session_id, &err) != SY_OK)
        sy_log(SY_LOG_WARN, "%s: could not delete UIA session: %s", req->id, err.log_detail);
}
