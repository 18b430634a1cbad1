/*
 * rooms/format.h -- events in the Client-Server API's "client event" format.
 */
#ifndef SY_ROOMS_FORMAT_H
#define SY_ROOMS_FORMAT_H

struct sy_arena;
struct sy_error;
struct sy_event;

/*
 * The client format of ev (content, event_id, origin_server_ts, room_id,
 * sender, type, state_key, redacts) as compact JSON text in 'a'; with
 * 'redacted' the content is the redacted one.  0 or an error from JSON.
 */
int sy_format_client_json(struct sy_arena *a, const struct sy_event *ev, int redacted,
                          const char **text, struct sy_error *err);

/* The text full-text search indexes for ev (body, name, topic), or NULL. */
const char *sy_format_search_text(const struct sy_event *ev);

#endif /* SY_ROOMS_FORMAT_H */
