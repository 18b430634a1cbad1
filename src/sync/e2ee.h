/*
 * sync/e2ee.h -- the rules of end-to-end encryption key handling (spec:
 * "End-to-End Encryption"); the server stores and relays keys and checks
 * cross-signing signatures, nothing more.
 *
 * The api/client/keys.c handlers check the shape of a request and call
 * one function here; each runs its writes in one transaction and wakes
 * the long-polls concerned after commit.  Results are json-c objects
 * owned by the arena given.  Also the /sync sections "device_lists",
 * "device_one_time_keys_count" and "device_unused_fallback_key_types"
 * (declared in sync/sections.h).
 */
#ifndef SY_SYNC_E2EE_H
#define SY_SYNC_E2EE_H

#include "sync/stream.h"

struct json_object;
struct sy_arena;
struct sy_db;
struct sy_error;

/*
 * Record that user_id's device list changed, inside the caller's open
 * transaction (device created or deleted, keys changed).  After the
 * commit, call sy_e2e_device_list_notify().
 */
int sy_e2e_device_list_changed(struct sy_db *db, const char *user_id, struct sy_error *err);
/* Wake user_id's long-polls and those of everyone in a room with them. */
void sy_e2e_device_list_notify(struct sy_db *db, struct sy_arena *a, const char *user_id);

/*
 * POST /keys/upload for (user_id, device_id): device_keys, one_time_keys
 * and fallback_keys may each be NULL.  All or nothing.  0 and *counts
 * (one_time_key_counts); SY_EINVAL with a Matrix error for bad keys.
 */
int sy_e2e_upload(struct sy_db *db, struct sy_arena *a, const char *user_id, const char *device_id,
                  struct json_object *device_keys, struct json_object *one_time_keys,
                  struct json_object *fallback_keys, struct json_object **counts,
                  struct sy_error *err);
/* {"signed_curve25519": n, <algorithm>: n, ...} for the device. */
int sy_e2e_otk_counts(struct sy_db *db, struct sy_arena *a, const char *user_id,
                      const char *device_id, struct json_object **counts, struct sy_error *err);

/*
 * POST /keys/query: 'query' is the request's device_keys ({user: [device
 * IDs]}, already checked).  Fills resp with failures, device_keys,
 * master_keys, self_signing_keys, user_signing_keys as seen by requester.
 */
int sy_e2e_query(struct sy_db *db, struct sy_arena *a, const char *server_name,
                 const char *requester, struct json_object *query, struct json_object *resp,
                 struct sy_error *err);
/* POST /keys/claim: 'query' is {user: {device: algorithm}} (checked); fills resp. */
int sy_e2e_claim(struct sy_db *db, struct sy_arena *a, const char *server_name,
                 struct json_object *query, struct json_object *resp, struct sy_error *err);
/* GET /keys/changes: fills resp with changed and left between two tokens. */
int sy_e2e_changes(struct sy_db *db, struct sy_arena *a, const char *user_id,
                   const struct sy_sync_token *from, const struct sy_sync_token *to,
                   struct json_object *resp, struct sy_error *err);

/*
 * POST /keys/device_signing/upload.  *needs_auth: 1 when the upload
 * replaces keys that exist (user-interactive auth required), 0 when it
 * sets up cross-signing or repeats the stored keys.  Check first, then
 * store (which verifies the master key's signatures on the others).
 */
int sy_e2e_xsign_needs_auth(struct sy_db *db, struct sy_arena *a, const char *user_id,
                            struct json_object *body, int *needs_auth, struct sy_error *err);
int sy_e2e_xsign_upload(struct sy_db *db, struct sy_arena *a, const char *user_id,
                        struct json_object *body, struct sy_error *err);
/* POST /keys/signatures/upload: stores what verifies; fills resp.failures for the rest. */
int sy_e2e_signatures_upload(struct sy_db *db, struct sy_arena *a, const char *user_id,
                             struct json_object *body, struct json_object *resp,
                             struct sy_error *err);

#endif /* SY_SYNC_E2EE_H */
