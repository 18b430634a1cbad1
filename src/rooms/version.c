/*
 * rooms/version.c -- the static table of supported room versions.
 *
 * One row per version; each row spells out every property so that a
 * reader can compare two versions without following "based on" chains.
 */
#include <string.h>

#include "rooms/version.h"

/* Properties every supported version (6+) shares. */
#define SY_V6_BASE                                                                                 \
    .stable = 1, .event_id_urlsafe_hash = 1, .strict_canonical_json = 1,                           \
    .special_case_aliases_auth = 0, .limit_notifications_power_levels = 1

static const struct sy_room_version versions[] = {
    {.id = "6", SY_V6_BASE, .state_res = SY_STATE_RES_V2},
    {.id = "7", SY_V6_BASE, .state_res = SY_STATE_RES_V2, .knock = 1},
    {.id = "8", SY_V6_BASE, .state_res = SY_STATE_RES_V2, .knock = 1, .restricted_join = 1},
    {.id = "9", SY_V6_BASE, .state_res = SY_STATE_RES_V2, .knock = 1, .restricted_join = 1,
     .restricted_join_redacts_authorising_user = 1},
    {.id = "10", SY_V6_BASE, .state_res = SY_STATE_RES_V2, .knock = 1, .restricted_join = 1,
     .restricted_join_redacts_authorising_user = 1, .knock_restricted = 1,
     .power_levels_strict_ints = 1},
    {.id = "11", SY_V6_BASE, .state_res = SY_STATE_RES_V2, .knock = 1, .restricted_join = 1,
     .restricted_join_redacts_authorising_user = 1, .knock_restricted = 1,
     .power_levels_strict_ints = 1, .msc2176_redaction = 1, .msc2174_redacts_in_content = 1,
     .msc2175_implicit_creator = 1, .msc3821_3pid_invite_fix = 1, .msc3989_redact_origin = 1},
    {.id = "12", SY_V6_BASE, .state_res = SY_STATE_RES_V2_1, .knock = 1, .restricted_join = 1,
     .restricted_join_redacts_authorising_user = 1, .knock_restricted = 1,
     .power_levels_strict_ints = 1, .msc2176_redaction = 1, .msc2174_redacts_in_content = 1,
     .msc2175_implicit_creator = 1, .msc3821_3pid_invite_fix = 1, .msc3989_redact_origin = 1,
     .room_id_is_create_hash = 1, .creators_infinite_power = 1},
};

#define N_VERSIONS (sizeof(versions) / sizeof(versions[0]))

const struct sy_room_version *
sy_room_version_get(const char *id)
{
    size_t i;

    if (id == NULL)
        return NULL;
    for (i = 0; i < N_VERSIONS; i++)
        if (strcmp(versions[i].id, id) == 0)
            return &versions[i];
    return NULL;
}

const struct sy_room_version *
sy_room_versions(unsigned *n)
{
    *n = (unsigned)N_VERSIONS;
    return versions;
}
