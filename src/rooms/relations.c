/*
 * rooms/relations.c -- recording relations at persist time; paginating
 * them, threads and bundled aggregations with history visibility; the
 * event closest to a timestamp.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/events.h"
#include "db/relations.h"
#include "json/json.h"
#include "rooms/event.h"
#include "rooms/relations.h"
#include "rooms/room.h"
#include "rooms/visibility.h"
#include "sync/stream.h"
#include "util/arena.h"
#include "util/err.h"

/* References bundled per event: a bound on the answer, not a protocol rule. */
#define MAX_BUNDLED_REFERENCES 100
/* Events looked at by timestamp_to_event before giving up on invisible ones. */
#define TS_SCAN_BATCH 20
#define TS_SCAN_MAX 1000
/* Thread replies looked at for the newest one the user may see. */
#define THREAD_SCAN_BATCH 10
#define THREAD_SCAN_BATCHES 10

int
sy_relations_persist(struct sy_db *db, const struct sy_event *ev, int64_t stream,
                     struct sy_error *err)
{
    struct json_object *rel = sy_json_get_obj(ev->content, "m.relates_to");
    struct sy_db_relation r = {0};

    r.rel_type = sy_json_get_str(rel, "rel_type");
    r.relates_to_id = sy_json_get_str(rel, "event_id");
    if (r.rel_type == NULL || r.relates_to_id == NULL)
        return SY_OK; /* no relation, or a reply (m.in_reply_to), which is not one */
    if (strcmp(r.rel_type, "m.annotation") == 0)
        r.aggregation_key = sy_json_get_str(rel, "key");
    r.event_id = ev->event_id;
    r.room_id = ev->room_id;
    r.type = ev->type;
    r.sender = ev->sender;
    r.stream_ordering = stream;
    r.origin_server_ts = ev->origin_server_ts;
    return sy_db_relation_insert(db, &r, err);
}

/* ---- tokens ------------------------------------------------------------------------------ */

/* "r<pos>" (ours) or a /sync token (its events position).  0, or -1. */
static int
parse_token(const char *s, int64_t *pos)
{
    struct sy_sync_token t;
    char *end;

    if (s[0] == 'r' && s[1] >= '0' && s[1] <= '9') {
        *pos = strtoll(s + 1, &end, 10);
        return *end == '\0' && *pos >= 0 ? 0 : -1;
    }
    if (sy_sync_token_parse(s, &t) == 0) {
        *pos = t.pos[SY_STREAM_EVENTS];
        return 0;
    }
    return -1;
}

static const char *
make_token(struct sy_arena *a, int64_t pos)
{
    return sy_arena_printf(a, "r%lld", (long long)pos);
}

/* ---- access ------------------------------------------------------------------------------ */

/* The user may read the room at all (member now or once, or world_readable). */
static int
check_room(struct sy_db *db, struct sy_arena *a, const char *room_id, const char *user_id,
           struct sy_error *err)
{
    int64_t group;
    int current;

    return sy_visibility_state(db, a, room_id, user_id, &current, &group, err);
}

/* Load the visible events among ids[0..n) into an arena array, in that order. */
static int
load_visible(struct sy_db *db, struct sy_arena *a, const char *room_id, const char *user_id,
             const char *const *ids, size_t n, struct sy_room_event **out, size_t *n_out,
             struct sy_error *err)
{
    *out = sy_arena_alloc(a, sizeof(**out) * (n + 1));
    *n_out = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = sy_room_event_get(db, a, room_id, ids[i], user_id, &(*out)[*n_out], err);

        if (rc == SY_OK)
            (*n_out)++;
        else if (rc != SY_ENOTFOUND)
            return rc;
    }
    memset(err, 0, sizeof(*err));
    return SY_OK;
}

/* ---- /relations -------------------------------------------------------------------------- */

int
sy_relations_list(struct sy_db *db, struct sy_arena *a, const char *user_id,
                  const struct sy_relations_query *q, struct sy_room_event **events, size_t *n,
                  const char **next_batch, struct sy_error *err)
{
    struct sy_db_relations_page page = {0};
    struct sy_room_event parent;
    const char **ids;
    int64_t *streams, from = -1, to = -1;
    size_t n_ids, m;

    if ((q->from != NULL && parse_token(q->from, &from) != 0) ||
        (q->to != NULL && parse_token(q->to, &to) != 0))
        return sy_err_invalid(err, "M_INVALID_PARAM", "unknown pagination token");
    if (check_room(db, a, q->room_id, user_id, err) != SY_OK)
        return err->code;
    if (sy_room_event_get(db, a, q->room_id, q->event_id, user_id, &parent, err) != SY_OK)
        return err->code;
    page.room_id = q->room_id;
    page.parent_id = q->event_id;
    page.rel_type = q->rel_type;
    page.event_type = q->event_type;
    page.max_depth = q->recurse ? SY_RELATIONS_MAX_DEPTH : 1;
    page.backwards = q->backwards;
    page.from = q->from != NULL ? from : (q->backwards ? INT64_MAX : -1);
    page.to = q->to != NULL ? to : (q->backwards ? -1 : INT64_MAX);
    page.limit = q->limit + 1; /* one more tells whether there is a next page */
    if (sy_db_relations_children(db, a, &page, &ids, &streams, &n_ids, err) != SY_OK)
        return err->code;
    m = n_ids > (size_t)q->limit ? (size_t)q->limit : n_ids;
    *next_batch = NULL;
    if (n_ids > m && m > 0)
        *next_batch = make_token(a, q->backwards ? streams[m - 1] - 1 : streams[m - 1]);
    return load_visible(db, a, q->room_id, user_id, ids, m, events, n, err);
}

/* ---- /threads ---------------------------------------------------------------------------- */

int
sy_relations_threads(struct sy_db *db, struct sy_arena *a, const char *user_id,
                     const char *room_id, int participated, const char *from, int64_t limit,
                     struct sy_room_event **roots, size_t *n, const char **next_batch,
                     struct sy_error *err)
{
    const char **ids;
    int64_t *latest, before = INT64_MAX;
    size_t n_ids, m;

    if (from != NULL && parse_token(from, &before) != 0)
        return sy_err_invalid(err, "M_INVALID_PARAM", "unknown pagination token");
    if (check_room(db, a, room_id, user_id, err) != SY_OK)
        return err->code;
    if (sy_db_relations_threads(db, a, room_id, before, participated ? user_id : NULL, limit + 1,
                                &ids, &latest, &n_ids, err) != SY_OK)
        return err->code;
    m = n_ids > (size_t)limit ? (size_t)limit : n_ids;
    *next_batch = n_ids > m && m > 0 ? make_token(a, latest[m - 1]) : NULL;
    return load_visible(db, a, room_id, user_id, ids, m, roots, n, err);
}

/* ---- bundled aggregations ---------------------------------------------------------------- */

/* The client JSON of a visible event, with its own bundle when 'depth' allows; NULL if hidden. */
static int bundle(struct sy_db *db, struct sy_arena *a, const struct sy_room_event *ev,
                  const char *user_id, struct json_object *obj, int depth, struct sy_error *err);

static int
related_json(struct sy_db *db, struct sy_arena *a, const char *room_id, const char *event_id,
             const char *user_id, int depth, struct json_object **out, struct sy_error *err)
{
    struct sy_room_event ev;
    int rc;

    *out = NULL;
    if ((rc = sy_room_event_get(db, a, room_id, event_id, user_id, &ev, err)) == SY_ENOTFOUND) {
        memset(err, 0, sizeof(*err));
        return SY_OK;
    }
    if (rc != SY_OK)
        return rc;
    *out = sy_room_event_json(a, &ev, user_id, NULL);
    if (depth > 0 && bundle(db, a, &ev, user_id, *out, depth - 1, err) != SY_OK)
        return err->code;
    return SY_OK;
}

static int
bundle_replace(struct sy_db *db, struct sy_arena *a, const struct sy_room_event *ev,
               const char *user_id, struct json_object *rels, struct sy_error *err)
{
    struct json_object *edit;
    const char *edit_id;

    /* Only the original sender may edit, keeping the type; state events are not edited. */
    if (ev->state_key != NULL)
        return SY_OK;
    if (sy_db_relations_latest_edit(db, a, ev->room_id, ev->event_id, ev->sender, ev->type,
                                    &edit_id, err) != SY_OK)
        return err->code;
    if (edit_id == NULL)
        return SY_OK;
    if (related_json(db, a, ev->room_id, edit_id, user_id, 0, &edit, err) != SY_OK)
        return err->code;
    if (edit != NULL)
        json_object_object_add(rels, "m.replace", json_object_get(edit));
    return SY_OK;
}

/*
 * The newest thread reply user_id may see, as client JSON with its own edit
 * bundled, or NULL.  A bounded scan: replies hidden from the user (history
 * visibility) are passed over, as the thread's other readers still see them.
 */
static int
latest_visible_reply(struct sy_db *db, struct sy_arena *a, const struct sy_room_event *root,
                     const char *user_id, int depth, struct json_object **out,
                     struct sy_error *err)
{
    struct sy_db_relations_page page = {0};

    *out = NULL;
    page.room_id = root->room_id;
    page.parent_id = root->event_id;
    page.rel_type = "m.thread";
    page.max_depth = 1;
    page.backwards = 1;
    page.from = INT64_MAX;
    page.to = -1;
    page.limit = THREAD_SCAN_BATCH;
    for (int batch = 0; batch < THREAD_SCAN_BATCHES; batch++) {
        const char **ids;
        int64_t *streams;
        size_t n;

        if (sy_db_relations_children(db, a, &page, &ids, &streams, &n, err) != SY_OK)
            return err->code;
        for (size_t i = 0; i < n; i++) {
            if (related_json(db, a, root->room_id, ids[i], user_id, depth, out, err) != SY_OK)
                return err->code;
            if (*out != NULL)
                return SY_OK;
        }
        if (n < (size_t)page.limit)
            break;
        page.from = streams[n - 1] - 1;
    }
    return SY_OK;
}

static int
bundle_thread(struct sy_db *db, struct sy_arena *a, const struct sy_room_event *ev,
              const char *user_id, const struct sy_db_relation_summary *sum,
              struct json_object *rels, int depth, struct sy_error *err)
{
    struct json_object *latest, *th;

    /* The latest reply carries its own edit (depth 1: no threads inside threads). */
    if (latest_visible_reply(db, a, ev, user_id, depth > 0 ? 1 : 0, &latest, err) != SY_OK)
        return err->code;
    if (latest == NULL)
        return SY_OK;
    th = json_object_new_object();
    json_object_object_add(th, "latest_event", json_object_get(latest));
    json_object_object_add(th, "count", json_object_new_int64(sum->n_thread));
    json_object_object_add(
        th, "current_user_participated",
        json_object_new_boolean(sum->user_in_thread || strcmp(ev->sender, user_id) == 0));
    json_object_object_add(rels, "m.thread", th);
    return SY_OK;
}

static int
bundle_references(struct sy_db *db, struct sy_arena *a, const struct sy_room_event *ev,
                  struct json_object *rels, struct sy_error *err)
{
    struct json_object *ref, *chunk;
    const char **ids;
    size_t n;

    if (sy_db_relations_references(db, a, ev->room_id, ev->event_id, MAX_BUNDLED_REFERENCES, &ids,
                                   &n, err) != SY_OK)
        return err->code;
    if (n == 0)
        return SY_OK;
    ref = json_object_new_object();
    chunk = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_new_object();

        json_object_object_add(e, "event_id", json_object_new_string(ids[i]));
        json_object_array_add(chunk, e);
    }
    json_object_object_add(ref, "chunk", chunk);
    json_object_object_add(rels, "m.reference", ref);
    return SY_OK;
}

static int
bundle(struct sy_db *db, struct sy_arena *a, const struct sy_room_event *ev, const char *user_id,
       struct json_object *obj, int depth, struct sy_error *err)
{
    struct sy_db_relation_summary sum;
    struct json_object *unsig, *rels;

    /* A redacted event's relations are not bundled (its content is gone). */
    if (ev->redacted_by != NULL)
        return SY_OK;
    if (sy_db_relations_summary(db, ev->event_id, user_id, &sum, err) != SY_OK)
        return err->code;
    if (sum.n_replace == 0 && sum.n_thread == 0 && sum.n_reference == 0)
        return SY_OK;
    if ((unsig = sy_json_get_obj(obj, "unsigned")) == NULL) {
        unsig = json_object_new_object();
        json_object_object_add(obj, "unsigned", unsig);
    }
    rels = json_object_new_object();
    if ((sum.n_replace > 0 && bundle_replace(db, a, ev, user_id, rels, err) != SY_OK) ||
        (sum.n_thread > 0 && depth > 0 &&
         bundle_thread(db, a, ev, user_id, &sum, rels, depth, err) != SY_OK) ||
        (sum.n_reference > 0 && bundle_references(db, a, ev, rels, err) != SY_OK)) {
        json_object_put(rels);
        return err->code;
    }
    if (json_object_object_length(rels) == 0) {
        json_object_put(rels);
        return SY_OK;
    }
    json_object_object_add(unsig, "m.relations", rels);
    return SY_OK;
}

int
sy_relations_bundle_event(struct sy_db *db, struct sy_arena *a, const struct sy_room_event *ev,
                          const char *user_id, struct json_object *obj, struct sy_error *err)
{
    return bundle(db, a, ev, user_id, obj, 1, err);
}

int
sy_relations_bundle(struct sy_db *db, struct sy_arena *a, const char *event_id,
                    const char *user_id, struct json_object *unsigned_obj, struct sy_error *err)
{
    struct sy_room_event ev = {0};
    struct sy_db_event row;
    struct json_object *holder;
    struct sy_db_relation_summary sum;
    int rc;

    /* Most events have no relations: one query decides before the event is loaded. */
    if (sy_db_relations_summary(db, event_id, user_id, &sum, err) != SY_OK)
        return err->code;
    if (sum.n_replace == 0 && sum.n_thread == 0 && sum.n_reference == 0)
        return SY_OK;
    /* The caller has already decided the user may see the event: load it without a check. */
    if ((rc = sy_db_event_get(db, a, event_id, &row, err)) != SY_OK) {
        if (rc != SY_ENOTFOUND)
            return rc;
        memset(err, 0, sizeof(*err));
        return SY_OK;
    }
    ev.event_id = row.event_id;
    ev.room_id = row.room_id;
    ev.type = row.type;
    ev.state_key = row.state_key;
    ev.sender = row.sender;
    ev.redacted_by = row.redacted_by;
    holder = sy_json_new_object(a);
    json_object_object_add(holder, "unsigned", json_object_get(unsigned_obj));
    return bundle(db, a, &ev, user_id, holder, 1, err);
}

/* ---- /timestamp_to_event ----------------------------------------------------------------- */

int
sy_relations_event_at_ts(struct sy_db *db, struct sy_arena *a, const char *user_id,
                         const char *room_id, int64_t ts, int forwards, struct sy_room_event *out,
                         struct sy_error *err)
{
    if (check_room(db, a, room_id, user_id, err) != SY_OK)
        return err->code;
    for (int64_t offset = 0; offset < TS_SCAN_MAX; offset += TS_SCAN_BATCH) {
        const char **ids;
        size_t n;

        if (sy_db_events_near_ts(db, a, room_id, ts, forwards, offset, TS_SCAN_BATCH, &ids, &n,
                                 err) != SY_OK)
            return err->code;
        for (size_t i = 0; i < n; i++) {
            int rc = sy_room_event_get(db, a, room_id, ids[i], user_id, out, err);

            if (rc == SY_OK)
                return SY_OK;
            if (rc != SY_ENOTFOUND)
                return rc;
        }
        if (n < TS_SCAN_BATCH)
            break;
    }
    return sy_err_notfound(err, "unable to find event from %lld in direction %s", (long long)ts,
                           forwards ? "f" : "b");
}

int
sy_relations_check_send(struct sy_db *db, struct sy_arena *a, const char *room_id,
                        struct json_object *content, struct sy_error *err)
{
    struct json_object *rel = sy_json_get_obj(content, "m.relates_to");
    const char *rel_type = sy_json_get_str(rel, "rel_type");
    const char *parent_id = sy_json_get_str(rel, "event_id"), *parent_rel;
    struct sy_db_event parent;
    int rc;

    /* Replies (m.in_reply_to) and malformed relations are not relations the server tracks. */
    if (rel_type == NULL || parent_id == NULL)
        return SY_OK;
    rc = sy_db_event_get(db, a, parent_id, &parent, err);
    if (rc == SY_ENOTFOUND)
        return sy_err_invalid(err, "M_UNKNOWN", "cannot send a relation to an unknown event");
    if (rc != SY_OK)
        return rc;
    if (strcmp(parent.room_id, room_id) != 0)
        return sy_err_invalid(err, "M_UNKNOWN", "relations must be in the same room");
    if (sy_db_relation_type_of(db, a, parent_id, &parent_rel, err) != SY_OK)
        return err->code;
    if (strcmp(rel_type, "m.thread") == 0 && parent_rel != NULL)
        return sy_err_invalid(err, "M_UNKNOWN",
                              "cannot start a thread from an event with a relation");
    if (strcmp(rel_type, "m.annotation") == 0 && parent_rel != NULL &&
        strcmp(parent_rel, "m.annotation") == 0)
        return sy_err_invalid(err, "M_UNKNOWN", "cannot annotate an annotation");
    return SY_OK;
}
