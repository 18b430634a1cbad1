/*
 * rooms/redact.c -- may a local user redact an event (see redact.h).
 */
#include <string.h>

#include "db/events.h"
#include "rooms/auth.h"
#include "rooms/event.h"
#include "rooms/redact.h"
#include "rooms/room.h"
#include "rooms/state.h"
#include "util/err.h"

/*
 * 1 if sender's power level in st reaches the "redact" level.  The auth
 * module owns power level parsing (string levels before v10, v12 creators),
 * so ask sy_auth_redaction_applies() about a target whose sender has no
 * server: its same-server clause can then never hold, and only the level
 * decides.
 */
static int
has_redact_level(struct sy_room_state *st, const char *room_id, const char *sender,
                 const char *target_id)
{
    struct sy_auth_state as = sy_room_state_auth(st);
    struct sy_event red = {0}, target = {0};

    red.room_id = room_id;
    red.sender = sender;
    red.redacts = target_id;
    target.room_id = room_id;
    target.event_id = target_id;
    target.sender = "";
    return sy_auth_redaction_applies(&red, &target, &as);
}

int
sy_room_redaction_check_state(struct sy_db *db, struct sy_arena *a, struct sy_room_state *st,
                              const char *room_id, const char *sender, const char *target_id,
                              struct sy_error *err)
{
    struct sy_db_event t;
    int rc, found;

    rc = sy_db_event_get(db, a, target_id, &t, err);
    if (rc != SY_OK && rc != SY_ENOTFOUND)
        return rc;
    found = rc == SY_OK && t.rejected == NULL;
    if (found) {
        if (strcmp(t.room_id, room_id) != 0)
            return sy_err_invalid(err, "M_INVALID_PARAM",
                                  "cannot redact an event from another room");
        if (strcmp(t.type, "m.room.create") == 0)
            return sy_err_forbidden(err, "redacting the create event is not permitted");
        if (strcmp(t.type, "m.room.server_acl") == 0)
            return sy_err_forbidden(err, "redacting server ACL events is not permitted");
    }
    if (has_redact_level(st, room_id, sender, target_id))
        return SY_OK;
    if (!found)
        return sy_err_notfound(err, "could not find event %s", target_id);
    if (strcmp(t.sender, sender) != 0)
        return sy_err_forbidden(err, "you do not have permission to redact this event");
    return SY_OK;
}
