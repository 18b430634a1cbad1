/*
 * userid.c -- Matrix user IDs.
 */
#include <string.h>

#include "userid.h"
#include "util/arena.h"

int
sy_localpart_valid(const char *lp)
{
    if (lp == NULL || lp[0] == '\0')
        return 0;
    for (const char *p = lp; *p; p++) {
        char c = *p;

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("._=-/+", c) != NULL))
            return 0;
    }
    return 1;
}

char *
sy_userid_make(struct sy_arena *a, const char *localpart, const char *server_name)
{
    return sy_arena_printf(a, "@%s:%s", localpart, server_name);
}

int
sy_userid_parse(struct sy_arena *a, const char *uid, const char **localpart, const char **server)
{
    const char *colon;

    if (uid == NULL || uid[0] != '@' || strlen(uid) > SY_USERID_MAX)
        return -1;
    colon = strchr(uid, ':');
    if (colon == NULL || colon == uid + 1 || colon[1] == '\0')
        return -1;
    /* Historical localparts: printable ASCII other than ':'. */
    for (const char *p = uid + 1; p < colon; p++)
        if (*p < 0x21 || *p > 0x7e)
            return -1;
    if (localpart != NULL)
        *localpart = sy_arena_strndup(a, uid + 1, (size_t)(colon - uid - 1));
    if (server != NULL)
        *server = sy_arena_strdup(a, colon + 1);
    return 0;
}

int
sy_userid_is_local(const char *uid, const char *server_name)
{
    const char *colon;

    if (uid == NULL || uid[0] != '@' || strlen(uid) > SY_USERID_MAX)
        return 0;
    colon = strchr(uid, ':');
    return colon != NULL && colon > uid + 1 && strcmp(colon + 1, server_name) == 0;
}
