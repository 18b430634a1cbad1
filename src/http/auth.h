/*
 * http/auth.h -- access-token authentication of a request.
 */
#ifndef SY_HTTP_AUTH_H
#define SY_HTTP_AUTH_H

struct sy_req;
struct sy_error;

/*
 * Find the access token (Authorization: Bearer, or the access_token query
 * parameter), look it up and fill req->user_id, device_id, is_guest,
 * is_admin.  With SY_AUTH_OPTIONAL a missing token is fine.  Errors:
 * M_MISSING_TOKEN / M_UNKNOWN_TOKEN (401), M_GUEST_ACCESS_FORBIDDEN (403).
 */
int sy_http_authenticate(struct sy_req *req, struct sy_error *err);

#endif /* SY_HTTP_AUTH_H */
