/*
 * sync/filter.h -- Matrix filters (spec: "Filtering"): validating a
 * user's filter, compiling its parts, and matching events against them.
 *
 * A filter is JSON: {event_format, event_fields, presence, account_data,
 * room: {rooms, not_rooms, include_leave, timeline, state, ephemeral,
 * account_data}}.  /sync keeps the JSON in ctx->filter; a section picks
 * its part with sy_filter_room_part() (or sy_filter_compile_room_part(),
 * which also applies room.rooms / room.not_rooms) and compiles it once per
 * request.  /messages compiles the RoomEventFilter given in its query.
 *
 * Matching follows the spec and Synapse: an absent list includes
 * everything, an empty list nothing; a not_ list always wins; types and
 * not_types accept '*' as "any sequence of characters".
 *
 * Compiled filters borrow their strings from the JSON (keep the JSON
 * alive as long as the filter) and allocate only from the caller's arena.
 */
#ifndef SY_SYNC_FILTER_H
#define SY_SYNC_FILTER_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct sy_arena;
struct sy_error;

/* Synapse's defaults: 10 events when a filter gives no limit; stored timeline limits are capped. */
#define SY_FILTER_DEFAULT_LIMIT 10
#define SY_FILTER_TIMELINE_MAX 100

/* A list of strings; 'set' 0 when the key was absent (which is not the same as empty). */
struct sy_filter_list {
    const char **v;
    size_t n;
    int set;
};

struct sy_event_filter {
    int64_t limit; /* -1 when not given: the caller's default applies */
    struct sy_filter_list types, not_types;
    struct sy_filter_list senders, not_senders;
    struct sy_filter_list rooms, not_rooms;
    /* room.rooms / room.not_rooms, applied before the part's own lists */
    struct sy_filter_list outer_rooms, outer_not_rooms;
    int contains_url; /* -1 not considered, 0 only without content.url, 1 only with */
    int lazy_load_members;
    int include_redundant_members;
    int unread_thread_notifications;
};

/*
 * Check a whole filter (POST /user/{userId}/filter, an inline /sync
 * filter) against the spec's schema.  Unknown keys are allowed (forward
 * compatibility, as Synapse).  0, or SY_EINVAL M_BAD_JSON naming the field.
 */
int sy_filter_validate(struct json_object *filter, struct sy_error *err);

/*
 * Check one RoomEventFilter (/messages, /context filter parameter).
 * 0, or SY_EINVAL M_BAD_JSON.
 */
int sy_filter_validate_room_event(struct json_object *f, struct sy_error *err);

/* Cap room.timeline.limit at SY_FILTER_TIMELINE_MAX in place (Synapse does so before storing). */
void sy_filter_cap_timeline(struct json_object *filter);

/*
 * Compile an EventFilter or RoomEventFilter object; 'json' NULL (or not an
 * object) compiles the filter that matches everything.  0, or SY_EINVAL
 * M_BAD_JSON when a field has the wrong type.
 */
int sy_filter_compile(struct sy_arena *a, struct json_object *json, struct sy_event_filter *out,
                      struct sy_error *err);

/* filter.room.<part> ("timeline", "state", "ephemeral", "account_data"), borrowed, or NULL. */
struct json_object *sy_filter_room_part(struct json_object *filter, const char *part);

/* Compile filter.room.<part> together with filter.room.rooms / not_rooms. */
int sy_filter_compile_room_part(struct sy_arena *a, struct json_object *filter, const char *part,
                                struct sy_event_filter *out, struct sy_error *err);

/* filter.presence or filter.account_data (global), compiled. */
int sy_filter_compile_top(struct sy_arena *a, struct json_object *filter, const char *key,
                          struct sy_event_filter *out, struct sy_error *err);

/* filter.room.include_leave (default 0). */
int sy_filter_include_leave(struct json_object *filter);

/* 1 if room_id passes filter.room.rooms / not_rooms (the room-level filter). */
int sy_filter_room_allowed(struct json_object *filter, const char *room_id);

/*
 * 1 if the event passes f.  Any of type, sender, room_id may be NULL (not
 * checked: e.g. account data has no sender).  has_url: content.url is a
 * string.
 */
int sy_filter_match(const struct sy_event_filter *f, const char *type, const char *sender,
                    const char *room_id, int has_url);

/* The same, reading type, sender, room_id and content.url from a client-format event. */
int sy_filter_match_json(const struct sy_event_filter *f, struct json_object *ev);

/* The limit to use: f->limit when given, else 'dflt'. */
int64_t sy_filter_limit(const struct sy_event_filter *f, int64_t dflt);

/* 1 if 'pattern' (with '*' wildcards) matches all of 's'. */
int sy_filter_glob(const char *pattern, const char *s);

/*
 * event_fields (spec "dot-separated property paths", '\.' escapes a dot):
 * a new root in 'a' holding only the listed paths of 'ev'.  With
 * 'filter' having no event_fields, 'ev' itself is returned.
 */
struct json_object *sy_filter_event_fields(struct sy_arena *a, struct json_object *filter,
                                           struct json_object *ev);

#endif /* SY_SYNC_FILTER_H */
