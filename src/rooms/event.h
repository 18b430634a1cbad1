/*
 * rooms/event.h -- the PDU: parse, hash, redact, sign and build events.
 *
 * Every event, local or received, becomes a struct sy_event through
 * sy_event_parse() (directly or via sy_event_build()).  Parsing checks the
 * PDU format of the room version (required fields and their types, strict
 * canonical JSON values, size limits), computes the content hash and the
 * reference hash, and derives the event ID ("$" + urlsafe unpadded base64
 * of the reference hash, room versions 4+).  It does not check
 * signatures (the caller has the keys) nor auth rules (rooms/auth.h).
 *
 * Ownership: the struct, its strings and arrays live in the arena given
 * to the call.  ev->json is the caller's object (borrowed, not copied):
 * it must outlive the event, and the caller ties it to the same arena
 * (sy_json_own()) if it is a root.  Pointers into ev->json (type, content,
 * ...) stay valid as long as ev->json is not modified.
 *
 * Functions that return JSON give a new root owned by the arena.
 */
#ifndef SY_ROOMS_EVENT_H
#define SY_ROOMS_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/sha256.h"

struct json_object;
struct sy_arena;
struct sy_error;
struct sy_room_version;
struct sy_signing_key;

/* The whole PDU as canonical JSON, signatures and all (spec: 65536 bytes). */
#define SY_EVENT_MAX_BYTES 65536
/* sender, room_id, state_key, type and event_id (bytes). */
#define SY_EVENT_MAX_ID_BYTES 255
/*
 * Caps from the PDU schema.  They are for the auth rules (rooms/auth.c) to
 * enforce as a rejection; the parser accepts longer lists (the 64 KiB
 * limit bounds them).
 */
#define SY_EVENT_MAX_PREV_EVENTS 20
#define SY_EVENT_MAX_AUTH_EVENTS 10

struct sy_event {
    struct json_object *json;    /* the whole event as received/built; see ownership above */
    const char *event_id;        /* "$" + reference hash (computed, never read from json) */
    const char *room_id;         /* v12 m.room.create: "!" + reference hash (derived) */
    const char *sender;
    const char *type;
    const char *state_key;       /* NULL for non-state events */
    int64_t origin_server_ts;
    int64_t depth;
    struct json_object *content; /* always an object */
    const char **prev_events;
    size_t n_prev_events;
    const char **auth_events;
    size_t n_auth_events;
    const char *redacts;         /* top-level before v11, in content from v11; NULL if none */
    const struct sy_room_version *version;

    /* Computed by the parser. */
    unsigned char content_hash[SY_SHA256_LEN];   /* sha256 of the event minus unsigned/signatures/hashes */
    unsigned char reference_hash[SY_SHA256_LEN]; /* sha256 of the redacted event minus signatures/unsigned */
    int content_hash_ok;         /* 1 if hashes.sha256 matches content_hash; 0: caller must redact
                                    the event before going on (spec, checks on receipt of a PDU) */
    /* Set by sy_event_build (nothing changes a built event): its canonical JSON, or NULL. */
    const char *canonical;
    size_t canonical_len;
};

/*
 * Parse and check the PDU 'pdu' for room version v.  0 and *out (in 'a');
 * SY_EINVAL (M_BAD_JSON) for a missing field, a field of the wrong type, a
 * float or out-of-range integer, a missing or malformed hashes.sha256;
 * SY_ETOOBIG (M_TOO_LARGE) over the size limits.  A hashes.sha256 that is
 * well formed but wrong is not an error: it gives content_hash_ok = 0.
 * A v12 m.room.create carrying a room_id is accepted here (ev->room_id is
 * still the derived one); rejecting it is auth rule 1.2's job.
 */
int sy_event_parse(struct sy_arena *a, const struct sy_room_version *v, struct json_object *pdu,
                   struct sy_event **out, struct sy_error *err);

/*
 * A stored event: checked (size, hashes, signatures) when it was stored,
 * so only its fields are read, and its ID is the one it was stored under.
 * The content_hash and reference_hash fields are left zero.  Same errors
 * as sy_event_parse for a missing or mistyped field.
 */
int sy_event_parse_stored(struct sy_arena *a, const struct sy_room_version *v,
                          struct json_object *pdu, const char *event_id, struct sy_event **out,
                          struct sy_error *err);

/*
 * The content hash of 'json' (an event object): sha256 of its canonical
 * JSON without "unsigned", "signatures" and "hashes".  0, SY_EINVAL or
 * SY_ETOOBIG (M_TOO_LARGE over SY_EVENT_MAX_BYTES).
 */
int sy_event_content_hash(struct json_object *json, unsigned char out[SY_SHA256_LEN],
                          struct sy_error *err);

/* 1 if json's hashes.sha256 is present and matches its content hash, else 0. */
int sy_event_content_hash_ok(struct json_object *json);

/*
 * Set hashes.sha256 on 'json' (in place) to its content hash, keeping any
 * other hashes.  0, or as sy_event_content_hash().
 */
int sy_event_add_content_hash(struct json_object *json, struct sy_error *err);

/*
 * The reference hash: sha256 of the canonical JSON of the redacted event
 * (version v's algorithm) without "signatures" and "unsigned".  0 or an
 * error as sy_event_content_hash().  The event ID is "$" + its urlsafe
 * base64; a v12 room ID is "!" + the same.
 */
int sy_event_reference_hash(struct sy_arena *a, const struct sy_room_version *v,
                            struct json_object *json, unsigned char out[SY_SHA256_LEN],
                            struct sy_error *err);

/* "$" + urlsafe unpadded base64 of the reference hash, in 'a'. */
int sy_event_compute_id(struct sy_arena *a, const struct sy_room_version *v,
                        struct json_object *json, const char **out, struct sy_error *err);

/* The v12 room ID ("!" + ...) that a create event with this event ID names, in 'a'. */
const char *sy_event_room_id_from_create_id(struct sy_arena *a, const char *create_event_id);

/*
 * The redacted copy of the event 'json' under version v's redaction
 * algorithm: a new root owned by 'a' (json is not modified).  As in the
 * spec, only the listed top-level keys survive, so "unsigned" is dropped
 * too; "content" is always present (an object).  0, or SY_EINVAL
 * (M_BAD_JSON) if json is not an object.
 */
int sy_event_redact(struct sy_arena *a, const struct sy_room_version *v, struct json_object *json,
                    struct json_object **out, struct sy_error *err);

/*
 * Sign 'json' as server_name with k: the signature covers the redacted
 * event (without signatures and unsigned) and is added in place under
 * signatures.<server_name>.<key_id>, keeping the other signatures.  The
 * content hash must already be set.  0, or SY_EINVAL / SY_ETOOBIG.
 */
int sy_event_sign(struct sy_arena *a, const struct sy_room_version *v, struct json_object *json,
                  const char *server_name, const struct sy_signing_key *k, struct sy_error *err);

/*
 * Check signatures.<server_name>.<key_id> on the redacted form of 'json'
 * against the 32-byte public key 'pub'.  0 when it verifies; SY_ENOTFOUND
 * when there is no such signature; SY_EFORBIDDEN (M_FORBIDDEN) when it is
 * malformed or does not verify; SY_EINVAL / SY_ETOOBIG for bad JSON.
 */
int sy_event_verify_signature(struct sy_arena *a, const struct sy_room_version *v,
                              struct json_object *json, const char *server_name,
                              const char *key_id, const unsigned char *pub,
                              struct sy_error *err);

/* What a local event is made from.  Strings and content are copied. */
struct sy_event_fields {
    const char *room_id;              /* NULL only for a v12 m.room.create */
    const char *sender;
    const char *type;
    const char *state_key;            /* NULL: not a state event */
    struct json_object *content;      /* NULL: {}; deep-copied, never taken */
    const char *const *prev_events;
    size_t n_prev_events;
    const char *const *auth_events;
    size_t n_auth_events;
    int64_t depth;
    int64_t origin_server_ts;         /* 0: now */
    const char *redacts;              /* m.room.redaction: top-level (v6-10) or content (v11+) */
};

/*
 * Build a local event: assemble the PDU (no "origin", no "unsigned";
 * "redacts" where version v puts it), set hashes.sha256, sign it as
 * server_name with k, then parse it (so the same checks apply as to
 * received events).  0 and *out with ev->json a root owned by 'a'; or
 * an error from sy_event_parse().
 */
int sy_event_build(struct sy_arena *a, const struct sy_room_version *v,
                   const struct sy_event_fields *f, const char *server_name,
                   const struct sy_signing_key *k, struct sy_event **out, struct sy_error *err);

/*
 * A built event's signature, made apart from the build: the event ID does
 * not depend on it, so a batch can chain its events first and sign them
 * side by side (util/parallel.h) before their rows are written.
 */
struct sy_event_signature {
    const char *bytes;        /* what is signed: the redacted event's canonical JSON, in 'a' */
    size_t len;
    char *canonical_at;       /* the placeholder inside the event's canonical text */
    struct json_object *sig;  /* the placeholder string inside the event's JSON */
};

/*
 * sy_event_build, with a placeholder of the signature's length where the
 * signature goes, in ev->json and ev->canonical; *later says where.  The
 * event ID, hashes and size check are final.  Nothing may store or send
 * the event before sy_event_signature_apply(later).
 */
int sy_event_build_unsigned(struct sy_arena *a, const struct sy_room_version *v,
                            const struct sy_event_fields *f, const char *server_name,
                            const struct sy_signing_key *k, struct sy_event_signature *later,
                            struct sy_event **out, struct sy_error *err);

/*
 * Sign with k (the key the event was built for) and put the signature in
 * place of the placeholder.  0, or SY_EINTERNAL if OpenSSL fails.  Events
 * of different signatures may be applied from different threads at once.
 */
int sy_event_signature_apply(struct sy_event_signature *later, const struct sy_signing_key *k);

/*
 * A draft of the same event for choosing its auth events: the fields
 * parsed, no signature, no reference hash, no event ID.  Never stored or sent.
 */
int sy_event_build_draft(struct sy_arena *a, const struct sy_room_version *v,
                         const struct sy_event_fields *f, struct sy_event **out,
                         struct sy_error *err);

/*
 * The canonical JSON of the whole event (what is stored and sent), in
 * 'a' and NUL-terminated, or the one sy_event_build kept (as long-lived as
 * ev); *len excludes the NUL.  0, SY_EINVAL or
 * SY_ETOOBIG (over SY_EVENT_MAX_BYTES).
 */
int sy_event_canonical(struct sy_arena *a, const struct sy_event *ev, const char **out,
                       size_t *len, struct sy_error *err);

#endif /* SY_ROOMS_EVENT_H */
