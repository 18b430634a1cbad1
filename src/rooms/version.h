/*
 * rooms/version.h -- room versions 6 to 12 as one table of properties.
 *
 * Code that depends on a room version asks the version's properties;
 * nothing compares version strings.  The table is static and read-only
 * (rooms/version.c owns it); pointers into it are valid for the whole
 * process.  Versions 1 to 5 are not supported: every version here has
 * event IDs made from the reference hash (v4+), strict canonical JSON and
 * no m.room.aliases auth rule (v6+).
 */
#ifndef SY_ROOMS_VERSION_H
#define SY_ROOMS_VERSION_H

enum sy_state_res_algo {
    SY_STATE_RES_V2 = 2,   /* v2 to v11 */
    SY_STATE_RES_V2_1 = 3, /* v12: empty initial state, conflicted state subgraph */
};

struct sy_room_version {
    const char *id;                  /* "11" */
    int stable;                      /* advertised as stable in /capabilities */
    int state_res;                   /* enum sy_state_res_algo */
    int event_id_urlsafe_hash;       /* event IDs are "$" + urlsafe b64 reference hash (v4+) */
    int strict_canonical_json;       /* v6+: integers in range, no floats */
    int special_case_aliases_auth;   /* v1-5: m.room.aliases has its own rule; 0 in 6+ */
    int limit_notifications_power_levels; /* v6+: "notifications" checked in power level auth */
    int knock;                       /* v7+: knock membership */
    int restricted_join;             /* v8+: join_rule restricted; redaction keeps join_rules "allow" */
    int restricted_join_redacts_authorising_user; /* v9+: redaction keeps
                                                     join_authorised_via_users_server */
    int knock_restricted;            /* v10+: join_rule knock_restricted */
    int power_levels_strict_ints;    /* v10+: power level values must be integers, not strings */
    int msc2176_redaction;           /* v11+: create keeps all content, power levels keep
                                        "invite", redaction keeps content.redacts, top-level
                                        "origin", "membership", "prev_state" stripped */
    int msc2174_redacts_in_content;  /* v11+: "redacts" moves into content */
    int msc2175_implicit_creator;    /* v11+: m.room.create has no "creator"; sender is creator */
    int msc3821_3pid_invite_fix;     /* v11+: redaction keeps member third_party_invite.signed */
    int msc3989_redact_origin;       /* v11+: "origin" stripped by redaction */
    int room_id_is_create_hash;      /* v12+: room ID is "!" + the create event's reference hash;
                                        the create event has no room_id and is never an auth event */
    int creators_infinite_power;     /* v12+: creators (create sender + additional_creators)
                                        outrank everyone and cannot be in power_levels.users */
};

/* The version with this identifier, or NULL when unsupported. */
const struct sy_room_version *sy_room_version_get(const char *id);
/* All supported versions, oldest first; *n gets the count. */
const struct sy_room_version *sy_room_versions(unsigned *n);

#endif /* SY_ROOMS_VERSION_H */
