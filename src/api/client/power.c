/*
 * api/client/power.c -- power level checks for non-event endpoints (see
 * api/client/power.h).
 */
#include <string.h>

#include "api/client/power.h"
#include "rooms/auth.h"
#include "rooms/room.h"
#include "rooms/state.h"
#include "util/err.h"

/* The current state's levels: user_id's and the one needed for a state event of 'type'. */
static int
levels(struct sy_db *db, struct sy_arena *a, const char *room_id, const char *user_id,
       const char *type, int64_t *have, int64_t *need, struct sy_error *err)
{
    struct sy_room_info info;
    struct sy_room_state *st;
    struct sy_auth_state as;

    if (sy_room_get(db, a, room_id, &info, err) != SY_OK)
        return err->code;
    st = sy_room_state_new(a, db, info.version);
    if (sy_room_state_load_current(st, room_id, err) != SY_OK)
        return err->code;
    as = sy_room_state_auth(st);
    *have = sy_auth_user_level(&as, user_id);
    if (need != NULL)
        *need = sy_auth_required_level(&as, type, "");
    return SY_OK;
}

int
sy_client_user_level(struct sy_db *db, struct sy_arena *a, const char *room_id, const char *user_id,
                     int64_t *level, struct sy_error *err)
{
    return levels(db, a, room_id, user_id, NULL, level, NULL, err);
}

int
sy_client_may_send_state(struct sy_db *db, struct sy_arena *a, const char *room_id,
                         const char *user_id, const char *type, struct sy_error *err)
{
    const char *membership = NULL;
    int64_t have = 0, need = 0;

    if (levels(db, a, room_id, user_id, type, &have, &need, err) != SY_OK)
        return err->code;
    if (sy_room_membership(db, a, room_id, user_id, &membership, err) != SY_OK)
        return err->code;
    if (membership == NULL || strcmp(membership, "join") != 0)
        return sy_err_forbidden(err, "user %s is not in room %s", user_id, room_id);
    if (have < need)
        return sy_err_forbidden(err, "you need power level %lld to send %s in this room",
                                (long long)need, type);
    return SY_OK;
}
