/*
 * api/client/uia.h -- user-interactive authentication (spec: "User-Interactive
 * Authentication API") for the endpoints that need it: register, password
 * change, deactivation, device deletion.
 *
 * A handler calls sy_uia_run() with the flows it accepts.  Until a flow is
 * complete, sy_uia_run() answers the request itself (401 with flows,
 * params, session and completed stages) and returns SY_UIA_REPLIED; the
 * handler just returns.  When a flow is complete it returns SY_OK and the
 * handler performs the operation, then calls sy_uia_finish().
 */
#ifndef SY_API_CLIENT_UIA_H
#define SY_API_CLIENT_UIA_H

#include <stddef.h>

struct sy_req;
struct json_object;

#define SY_UIA_REPLIED 1
#define SY_UIA_MAX_STAGES 4

struct sy_uia_flow {
    const char *stages[SY_UIA_MAX_STAGES]; /* NULL-terminated when shorter */
};

struct sy_uia_done {
    const char *session_id;
    const char *registration_token; /* the token m.login.registration_token accepted */
};

/*
 * 'kind' names the operation the session authorises ("register",
 * "password", ...): a session started for one cannot be used for another,
 * nor by another user.  For authenticated requests m.login.password must
 * prove req->user_id's password.
 */
int sy_uia_run(struct sy_req *req, struct json_object *body, const char *kind,
               const struct sy_uia_flow *flows, size_t n_flows, struct sy_uia_done *done);

/* Forget the session once the operation it authorised has succeeded. */
void sy_uia_finish(struct sy_req *req, const struct sy_uia_done *done);

#endif /* SY_API_CLIENT_UIA_H */
