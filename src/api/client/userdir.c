/*
 * api/client/userdir.c -- POST /user_directory/search.
 *
 * As Synapse with search_all_users off: the searcher finds users who
 * share a room with them and users joined to a room whose join rule is
 * public or whose history is world_readable.  Every word of the search
 * term must appear, case-insensitively, in the user ID or the display
 * name (db/search.h).
 */
#include <string.h>

#include "api/routes.h"
#include "config.h"
#include "db/search.h"
#include "http/reply.h"
#include "http/req.h"
#include "json/json.h"
#include "util/err.h"

#define USERDIR_LIMIT_DEFAULT 10
#define USERDIR_LIMIT_MAX 50
#define USERDIR_TERM_MAX 256

static void
post_user_search(struct sy_req *req)
{
    struct sy_error err = {0};
    struct sy_userdir_hit *hits;
    struct json_object *body, *resp, *results;
    const char *term;
    int64_t limit = USERDIR_LIMIT_DEFAULT;
    size_t n;

    if ((body = sy_req_json_or_reply(req)) == NULL)
        return;
    if (sy_json_req_str(body, "search_term", &term, &err) != SY_OK ||
        sy_json_opt_int(body, "limit", &limit, &err) != SY_OK)
        goto fail;
    if (limit < 0) {
        sy_err_invalid(&err, "M_INVALID_PARAM", "'limit' must not be negative");
        goto fail;
    }
    if (limit > USERDIR_LIMIT_MAX)
        limit = USERDIR_LIMIT_MAX;
    if (strlen(term) > USERDIR_TERM_MAX) {
        sy_err_invalid(&err, "M_INVALID_PARAM", "search_term is too long");
        goto fail;
    }
    /* One more row than asked for says whether the list was cut. */
    if (sy_db_userdir_search(req->db, req->arena, req->user_id, term, limit + 1, &hits, &n, &err) !=
        SY_OK)
        goto fail;
    resp = sy_json_new_object(req->arena);
    results = json_object_new_array();
    for (size_t i = 0; i < n && (int64_t)i < limit; i++) {
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "user_id", json_object_new_string(hits[i].user_id));
        if (hits[i].display_name != NULL)
            json_object_object_add(o, "display_name", json_object_new_string(hits[i].display_name));
        if (hits[i].avatar_url != NULL)
            json_object_object_add(o, "avatar_url", json_object_new_string(hits[i].avatar_url));
        json_object_array_add(results, o);
    }
    json_object_object_add(resp, "results", results);
    json_object_object_add(resp, "limited", json_object_new_boolean((int64_t)n > limit));
    sy_reply_json(req, 200, resp);
    return;
fail:
    sy_reply_sy_error(req, &err);
}

const struct sy_route sy_client_userdir_routes[] = {
    {.method = SY_POST,
     .path = "/_matrix/client/v3/user_directory/search",
     .resource = SY_RES_CLIENT,
     .auth = SY_AUTH_USER,
     .max_body = 4096,
     .handler = post_user_search},
};
const size_t sy_client_userdir_routes_count =
    sizeof(sy_client_userdir_routes) / sizeof(sy_client_userdir_routes[0]);
