/*
 * api/client/aliases.h -- room alias grammar and look-ups that other
 * client API files share (createRoom, join/knock by alias, the state PUT
 * handler's check of m.room.canonical_alias).
 *
 * Aliases are "#localpart:server_name": the localpart is any UTF-8 other
 * than ':', NUL, whitespace and control characters; the whole alias is at
 * most 255 bytes.  Only this server's aliases are stored (db/aliases.h).
 */
#ifndef SY_API_CLIENT_ALIASES_H
#define SY_API_CLIENT_ALIASES_H

#include <stddef.h>

struct json_object;
struct sy_arena;
struct sy_db;
struct sy_error;
struct sy_req;

#define SY_ALIAS_MAX 255

/* 1 if 'alias' is a well-formed room alias; *server (optional) points into it after ':'. */
int sy_alias_valid(const char *alias, const char **server);
/* 1 if 'lp' may be the localpart of a new alias (createRoom's room_alias_name). */
int sy_alias_localpart_valid(const char *lp);
/* 1 if 'room_id' looks like a room ID ("!opaque[:server]", at most 255 bytes). */
int sy_room_id_valid(const char *room_id);

/*
 * The room a path parameter names: a room ID is returned as is, a local
 * alias is resolved.  0 and *room_id, SY_EINVAL (M_INVALID_PARAM) for a
 * malformed one, SY_ENOTFOUND (M_NOT_FOUND) for an unknown or remote alias.
 */
int sy_alias_resolve(struct sy_db *db, struct sy_arena *a, const char *server_name,
                     const char *id_or_alias, const char **room_id, struct sy_error *err);

/*
 * Check the content of an m.room.canonical_alias state event about to be
 * sent into room_id: "alias" (a string when present) and every entry of
 * "alt_aliases" (an array of strings when present) must be well-formed
 * aliases that exist on this server and point to room_id.  0 when they do;
 * SY_EINVAL with 400 M_INVALID_PARAM for a malformed alias or wrong types,
 * 400 M_BAD_ALIAS for one that does not point to the room (remote aliases
 * cannot be checked yet and count as not pointing to it); SY_EDB.
 * Call it before sending; an empty content (removing the alias) passes.
 */
int sy_aliases_validate_canonical(struct sy_db *db, struct sy_arena *a, const char *room_id,
                                  struct json_object *content, struct sy_error *err);

/*
 * The content of the current state event (type, state_key) of room_id as
 * this server sees it (no visibility check: for decisions, not replies),
 * or NULL when the room or the event is unknown.  Borrowed; lives in 'a'.
 */
struct json_object *sy_client_state_content(struct sy_db *db, struct sy_arena *a,
                                            const char *room_id, const char *type,
                                            const char *state_key);

#endif /* SY_API_CLIENT_ALIASES_H */
