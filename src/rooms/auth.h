/*
 * rooms/auth.h -- the authorisation rules of room versions 6 to 12.
 *
 * Pure logic: nothing here touches the database.  The room state an event
 * is checked against comes from a lookup callback, so the same rules run
 * against the event's auth events (checks on receipt), the current state
 * (soft fail) and the partial states of state resolution.
 *
 * Behaviour follows the spec's rules for each version (matrix-spec
 * content/rooms/v6.md .. v12.md); where they leave room, Synapse's
 * event_auth.py: m.federate must be exactly true to federate, membership
 * changes also check the target's domain against m.federate, and the
 * create event counts as a power event in state resolution.
 *
 * Ownership: nothing is allocated except where an arena is passed; the
 * events returned by the lookup are borrowed for the duration of a call.
 */
#ifndef SY_ROOMS_AUTH_H
#define SY_ROOMS_AUTH_H

#include <stddef.h>
#include <stdint.h>

struct sy_arena;
struct sy_error;
struct sy_event;

/* The power level of a room creator in room version 12 (infinite; above any JSON integer). */
#define SY_AUTH_CREATOR_LEVEL INT64_MAX

/* How many (type, state_key) pairs auth events selection can name. */
#define SY_AUTH_MAX_KEYS 6

/* The state to check against.  lookup gives the event for (type, state_key) or NULL. */
struct sy_auth_state {
    const struct sy_event *(*lookup)(void *ctx, const char *type, const char *state_key);
    /*
     * 0 when 'ev' carries a valid signature of 'server_name' (rule "content
     * has join_authorised_via_users_server").  NULL skips that rule: only
     * for callers whose events had their signatures checked on receipt
     * (state resolution).
     */
    int (*signed_by)(void *ctx, const struct sy_event *ev, const char *server_name);
    void *ctx;
};

/* One (type, state_key) pair; strings borrowed from the event. */
struct sy_auth_key {
    const char *type;
    const char *state_key;
};

/*
 * Run the authorisation rules for ev (its version is ev->version) against
 * the state 'st': every rule except the ones about ev's auth_events list
 * (sy_auth_check_auth_events) and event signatures in general.  0 when
 * allowed; SY_EFORBIDDEN (M_FORBIDDEN, msg names the rule) when not;
 * SY_EINTERNAL if ev has no version.
 */
int sy_auth_check(const struct sy_event *ev, const struct sy_auth_state *st, struct sy_error *err);

/*
 * Auth events selection (server-server API): the pairs ev's auth_events
 * should name, deduplicated, into out[0..*n).  m.room.create gets none; in
 * room version 12 the create event is never selected.  0, or SY_EINVAL
 * (M_BAD_JSON) for a member event without a string membership.  Strings
 * are borrowed from ev.
 */
int sy_auth_event_types_needed(const struct sy_event *ev, struct sy_auth_key out[SY_AUTH_MAX_KEYS],
                               size_t *n, struct sy_error *err);

/*
 * The events of 'st' that ev's auth_events should be (what a local event
 * is built with): out[0..*n), borrowed from the lookup.  0 or as
 * sy_auth_event_types_needed().
 */
int sy_auth_select(const struct sy_event *ev, const struct sy_auth_state *st,
                   const struct sy_event *out[SY_AUTH_MAX_KEYS], size_t *n, struct sy_error *err);

/*
 * Rule "considering the event's auth_events": auth[i] is the event named
 * by ev->auth_events[i] (n must be ev->n_auth_events) or NULL if unknown,
 * and rejected[i] (rejected may be NULL) says whether it was rejected.
 * Checks: all known, no duplicate (type, state_key), only pairs auth
 * events selection allows (at most the right ones), none rejected, all in
 * ev's room, and before v12 an m.room.create among them.  0, SY_ENOTFOUND
 * for an unknown auth event, SY_EFORBIDDEN otherwise.
 */
int sy_auth_check_auth_events(const struct sy_event *ev, const struct sy_event *const *auth,
                              const int *rejected, size_t n, struct sy_error *err);

/*
 * As sy_auth_check_auth_events(), and also that ev's auth_events are
 * exactly the ones sy_auth_select() gives for 'st' (a locally built event,
 * or a strict check against the state before the event).  0 or
 * SY_EFORBIDDEN.
 */
int sy_auth_check_auth_events_exact(const struct sy_event *ev, const struct sy_auth_state *st,
                                    struct sy_error *err);

/*
 * Handling redactions: 1 if the redaction 'red' of 'target' may be applied
 * (sent to clients) given the state 'st' at the redaction: the sender's
 * power level is at least the redact level, or the sender's server is
 * the target's sender's server.  0 otherwise, or if red does not redact
 * target.  Whether red may be *sent* is sy_auth_check()'s business.
 */
int sy_auth_redaction_applies(const struct sy_event *red, const struct sy_event *target,
                              const struct sy_auth_state *st);

/*
 * user_id's power level in 'st': power_levels users / users_default, or
 * without a power_levels event 100 for the creator and 0 for others; in
 * room version 12 SY_AUTH_CREATOR_LEVEL for the creators.  The version is
 * the create event's (0 for everyone when 'st' has no create event).
 */
int64_t sy_auth_user_level(const struct sy_auth_state *st, const char *user_id);

/*
 * The level needed to send an event of this type (state_key NULL: not a
 * state event) in 'st' ("required power level").
 */
int64_t sy_auth_required_level(const struct sy_auth_state *st, const char *type,
                               const char *state_key);

/* The server name part of a user ID ("@a:b.c" -> "b.c"), or "" if there is no ':'. */
const char *sy_auth_domain(const char *user_id);

#endif /* SY_ROOMS_AUTH_H */
