/*
 * rooms/state_res.h -- state resolution v2 (room versions 6-11) and its
 * v12 revision ("v2.1": iterative auth checks start from an empty state,
 * and the conflicted state subgraph joins the full conflicted set).
 *
 * Pure logic over an event loader: nothing here touches the database.
 * The algorithm is the spec's (content/rooms/fragments/v2-state-res.md,
 * content/rooms/v12.md); where it leaves room, Synapse's state/v2.py:
 * unknown events are left out rather than failing, the create event counts
 * as a power event, and the auth graph for the power ordering is walked
 * only through events of the full conflicted set.  In v12 the create
 * event (named by the room ID) is treated as an auth event of every other
 * event.  Events flagged rejected never enter the resolved state from the
 * conflicted set, and rejected auth events are not used in the checks.
 *
 * Ownership: the loader's events are borrowed for the duration of the
 * call; scratch memory is a private arena freed before returning; the
 * result lives in the caller's arena.
 */
#ifndef SY_ROOMS_STATE_RES_H
#define SY_ROOMS_STATE_RES_H

#include <stddef.h>

struct sy_arena;
struct sy_error;
struct sy_event;
struct sy_room_version;

/* One state entry: (type, state_key) -> event_id. */
struct sy_state_entry {
    const char *type;
    const char *state_key;
    const char *event_id;
};

/* One state set: each (type, state_key) at most once. */
struct sy_state_set {
    const struct sy_state_entry *entries;
    size_t n;
};

struct sy_state_res_loader {
    /* The event with this ID, or NULL when unknown.  It must stay valid until the call returns. */
    const struct sy_event *(*load)(void *ctx, const char *event_id);
    /* 1 if the event was rejected; NULL when no event is. */
    int (*rejected)(void *ctx, const char *event_id);
    void *ctx;
};

/*
 * Resolve sets[0..n_sets) of room room_id (version v).  0 and
 * *out[0..*n_out) sorted by (type, state_key), in 'a' (strings are
 * copied).  SY_EINVAL (M_BAD_JSON) when a loaded event belongs to another
 * room.  Events the loader does not know are left out of the conflicted
 * set and the auth chains, as Synapse does; that is not an error.
 */
int sy_state_res_resolve(struct sy_arena *a, const struct sy_room_version *v, const char *room_id,
                         const struct sy_state_set *sets, size_t n_sets,
                         const struct sy_state_res_loader *ld, struct sy_state_entry **out,
                         size_t *n_out, struct sy_error *err);

/* 1 if ev is a "power event" (power levels, join rules, create, or a kick or ban). */
int sy_state_res_is_power_event(const struct sy_event *ev);

#endif /* SY_ROOMS_STATE_RES_H */
