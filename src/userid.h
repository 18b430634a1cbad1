/*
 * userid.h -- Matrix user IDs: "@localpart:server_name".
 *
 * New local accounts must use the strict localpart grammar (a-z 0-9 . _ =
 * - / +); IDs from elsewhere may use the historical grammar (any printable
 * ASCII but ':').  A whole user ID is at most 255 bytes.
 */
#ifndef SY_USERID_H
#define SY_USERID_H

struct sy_arena;

#define SY_USERID_MAX 255

/* 1 if 'lp' may be the localpart of a new account. */
int sy_localpart_valid(const char *lp);
/* "@lp:server" in 'a'. */
char *sy_userid_make(struct sy_arena *a, const char *localpart, const char *server_name);
/*
 * Split a user ID; 0 with *localpart and *server in 'a', or -1 when it is
 * not a user ID (either may be NULL when not wanted).
 */
int sy_userid_parse(struct sy_arena *a, const char *uid, const char **localpart,
                    const char **server);
/* 1 if 'uid' is a well-formed user ID on 'server_name'. */
int sy_userid_is_local(const char *uid, const char *server_name);

#endif /* SY_USERID_H */
