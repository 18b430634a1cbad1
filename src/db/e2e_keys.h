/*
 * db/e2e_keys.h -- end-to-end encryption keys: device keys, one-time and
 * fallback keys, cross-signing keys, signatures, and the device_lists
 * stream (who changed when).
 *
 * Key objects are stored as the canonical JSON text the client uploaded
 * and handed back as text; the rules about them live in sync/e2ee.c.
 * Strings returned live in the caller's arena.
 */
#ifndef SY_DB_E2E_KEYS_H
#define SY_DB_E2E_KEYS_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_db;
struct sy_error;

struct sy_db_device_keys {
    const char *user_id;
    const char *device_id;
    const char *key_json;
    const char *display_name; /* NULL when unset */
};

struct sy_db_e2e_sig {
    const char *signer_user;
    const char *signer_key_id; /* "ed25519:<key>" */
    const char *target_user;
    const char *target_key; /* device ID, or a cross-signing public key */
    const char *signature;
};

struct sy_db_xsign_key {
    const char *user_id;
    const char *keytype; /* master, self_signing, user_signing */
    const char *pubkey;  /* "ed25519:<key>" */
    const char *key_json;
};

struct sy_db_key_count {
    const char *algorithm;
    int64_t count;
};

/* The device's uploaded keys: 0 and *json, or SY_ENOTFOUND. */
int sy_db_e2e_device_keys_get(struct sy_db *db, struct sy_arena *a, const char *user_id,
                              const char *device_id, const char **json, struct sy_error *err);
/* Store the device's keys (replacing); SY_ENOTFOUND when the device does not exist. */
int sy_db_e2e_device_keys_set(struct sy_db *db, const char *user_id, const char *device_id,
                              const char *json, struct sy_error *err);
/* Every device with keys of the users users[0..n), ordered by user and device. */
int sy_db_e2e_device_keys_of(struct sy_db *db, struct sy_arena *a, const char *const *users,
                             size_t n, struct sy_db_device_keys **out, size_t *n_out,
                             struct sy_error *err);

/* One-time keys. */
int sy_db_e2e_otk_get(struct sy_db *db, struct sy_arena *a, const char *user_id,
                      const char *device_id, const char *algorithm, const char *key_id,
                      const char **json, struct sy_error *err);
int sy_db_e2e_otk_put(struct sy_db *db, const char *user_id, const char *device_id,
                      const char *algorithm, const char *key_id, const char *json,
                      struct sy_error *err);
/* Unclaimed one-time keys per algorithm. */
int sy_db_e2e_otk_counts(struct sy_db *db, struct sy_arena *a, const char *user_id,
                         const char *device_id, struct sy_db_key_count **out, size_t *n,
                         struct sy_error *err);
/* Remove and return one key of the algorithm: 0, or SY_ENOTFOUND when none is left. */
int sy_db_e2e_otk_claim(struct sy_db *db, struct sy_arena *a, const char *user_id,
                        const char *device_id, const char *algorithm, const char **key_id,
                        const char **json, struct sy_error *err);

/*
 * Fallback keys.  Setting keeps the 'used' mark only when the same key
 * (ID and JSON) is uploaded again.
 */
int sy_db_e2e_fallback_set(struct sy_db *db, const char *user_id, const char *device_id,
                           const char *algorithm, const char *key_id, const char *json,
                           struct sy_error *err);
/* Mark the fallback key used and return it: 0, or SY_ENOTFOUND. */
int sy_db_e2e_fallback_claim(struct sy_db *db, struct sy_arena *a, const char *user_id,
                             const char *device_id, const char *algorithm, const char **key_id,
                             const char **json, struct sy_error *err);
/* Algorithms with an unused fallback key. */
int sy_db_e2e_fallback_unused(struct sy_db *db, struct sy_arena *a, const char *user_id,
                              const char *device_id, const char ***algs, size_t *n,
                              struct sy_error *err);

/* Cross-signing keys: get one (SY_ENOTFOUND), set one, or all of users[0..n). */
int sy_db_e2e_xsign_get(struct sy_db *db, struct sy_arena *a, const char *user_id,
                        const char *keytype, struct sy_db_xsign_key *out, struct sy_error *err);
int sy_db_e2e_xsign_set(struct sy_db *db, const char *user_id, const char *keytype,
                        const char *pubkey, const char *json, struct sy_error *err);
int sy_db_e2e_xsign_of(struct sy_db *db, struct sy_arena *a, const char *const *users, size_t n,
                       struct sy_db_xsign_key **out, size_t *n_out, struct sy_error *err);

/* Signatures over keys of users[0..n). */
int sy_db_e2e_sigs_of(struct sy_db *db, struct sy_arena *a, const char *const *users, size_t n,
                      struct sy_db_e2e_sig **out, size_t *n_out, struct sy_error *err);
int sy_db_e2e_sig_put(struct sy_db *db, const struct sy_db_e2e_sig *s, struct sy_error *err);

/* Record that user_id's device list changed at stream position pos. */
int sy_db_device_list_record(struct sy_db *db, const char *user_id, int64_t pos,
                             struct sy_error *err);
/*
 * For user_id between two tokens: 'changed' = users sharing a joined room
 * now whose device lists changed in (dl_from, dl_to], plus users newly
 * sharing a room (joins in (ev_from, ev_to]); 'left' = users who left a
 * shared room in the range, or were in a room user_id left, and share no
 * room now.
 */
int sy_db_device_list_changes(struct sy_db *db, struct sy_arena *a, const char *user_id,
                              int64_t dl_from, int64_t dl_to, int64_t ev_from, int64_t ev_to,
                              const char ***changed, size_t *n_changed, const char ***left,
                              size_t *n_left, struct sy_error *err);
#endif /* SY_DB_E2E_KEYS_H */
