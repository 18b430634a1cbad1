/*
 * sync/account_data.c -- account data writes (plain entries, tags, the
 * fully read marker) and the account_data parts of /sync: the top-level
 * "account_data" section and rooms.join.<room_id>.account_data.
 */
#include <string.h>

#include "db/account_data.h"
#include "db/db.h"
#include "db/events.h"
#include "db/state.h"
#include "db/sync_batch.h"
#include "json/json.h"
#include "push/rules.h"
#include "sync/account_data.h"
#include "sync/notifier.h"
#include "sync/sections.h"
#include "sync/stream.h"
#include "util/arena.h"
#include "util/err.h"

/* Stored content is JSON we wrote ourselves; nesting is capped when it comes in. */
#define STORED_DEPTH 128

/* Types the server keeps itself (spec, "Client Config", server behaviour). */
static int
server_managed(const char *type)
{
    return strcmp(type, "m.fully_read") == 0 || strcmp(type, "m.push_rules") == 0;
}

static const char *
room_key(const char *room_id)
{
    return room_id != NULL ? room_id : "";
}

/* Write one entry in its own transaction, then wake the owner's long-polls. */
static int
put_committed(struct sy_db *db, const char *user_id, const char *room_id, const char *type,
              const char *content, struct sy_error *err)
{
    int64_t pos;

    if (sy_db_begin(db, err) != SY_OK)
        return err->code;
    if (sy_db_stream_advance(db, SY_STREAM_ACCOUNT_DATA, &pos, err) != SY_OK ||
        sy_db_account_data_put(db, user_id, room_key(room_id), type, content, pos, err) != SY_OK ||
        sy_db_commit(db, err) != SY_OK) {
        sy_db_rollback(db);
        return err->code;
    }
    sy_notify_user(user_id);
    return SY_OK;
}

int
sy_account_data_set(struct sy_db *db, struct sy_arena *a, const char *user_id,
                    const char *room_id, const char *type, struct json_object *content,
                    struct sy_error *err)
{
    if (server_managed(type))
        return sy_error_set(err, SY_EINVAL, 405, "M_BAD_JSON", "cannot set %s through this API",
                            type);
    if (type[0] == '\0')
        return sy_err_invalid(err, "M_INVALID_PARAM", "the account data type must not be empty");
    if (!json_object_is_type(content, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "content must be a JSON object");
    return put_committed(db, user_id, room_id, type, sy_json_text(content, NULL), err);
}

int
sy_account_data_get(struct sy_db *db, struct sy_arena *a, const char *user_id,
                    const char *room_id, const char *type, const char **content,
                    struct sy_error *err)
{
    if (sy_db_account_data_get(db, a, user_id, room_key(room_id), type, content, err) != SY_OK)
        return err->code;
    if (*content == NULL)
        return sy_err_notfound(err, room_id ? "room account data not found"
                                            : "account data not found");
    return SY_OK;
}

/* The "tags" object of a stored m.tag content (text may be NULL); a new root in 'a'. */
static struct json_object *
tags_of(struct sy_arena *a, const char *text)
{
    struct json_object *content, *tags;
    struct sy_error ignored = {0};

    if (text != NULL &&
        sy_json_parse(a, text, strlen(text), STORED_DEPTH, &content, &ignored) == SY_OK &&
        (tags = sy_json_get_obj(content, "tags")) != NULL)
        return sy_json_own(a, json_object_get(tags));
    return sy_json_new_object(a);
}

int
sy_account_data_tags(struct sy_db *db, struct sy_arena *a, const char *user_id,
                     const char *room_id, struct json_object **tags, struct sy_error *err)
{
    const char *text;

    if (sy_db_account_data_get(db, a, user_id, room_id, "m.tag", &text, err) != SY_OK)
        return err->code;
    *tags = tags_of(a, text);
    return SY_OK;
}

/*
 * Read-modify-write of the m.tag entry: set tag to content, or remove it
 * (content NULL).  The stream advance comes first, so its row lock orders
 * concurrent writers before either reads.
 */
static int
tag_update(struct sy_db *db, struct sy_arena *a, const char *user_id, const char *room_id,
           const char *tag, struct json_object *content, struct sy_error *err)
{
    struct json_object *tags, *whole;
    const char *text;
    int64_t pos;

    if (sy_db_begin(db, err) != SY_OK)
        return err->code;
    if (sy_db_stream_advance(db, SY_STREAM_ACCOUNT_DATA, &pos, err) != SY_OK ||
        sy_db_account_data_get(db, a, user_id, room_id, "m.tag", &text, err) != SY_OK)
        goto fail;
    tags = tags_of(a, text);
    if (content == NULL && !json_object_object_get_ex(tags, tag, NULL)) {
        sy_db_rollback(db); /* nothing to remove: no change to announce */
        return SY_OK;
    }
    if (content != NULL)
        json_object_object_add(tags, tag, json_object_get(content));
    else
        json_object_object_del(tags, tag);
    whole = sy_json_new_object(a);
    json_object_object_add(whole, "tags", json_object_get(tags));
    if (sy_db_account_data_put(db, user_id, room_id, "m.tag", sy_json_text(whole, NULL), pos,
                               err) != SY_OK ||
        sy_db_commit(db, err) != SY_OK)
        goto fail;
    sy_notify_user(user_id);
    return SY_OK;
fail:
    sy_db_rollback(db);
    return err->code;
}

int
sy_account_data_tag_set(struct sy_db *db, struct sy_arena *a, const char *user_id,
                        const char *room_id, const char *tag, struct json_object *content,
                        struct sy_error *err)
{
    const char *membership, *event_id;

    if (tag[0] == '\0')
        return sy_err_invalid(err, "M_INVALID_PARAM", "the tag must not be empty");
    if (strlen(tag) > SY_TAG_MAX)
        return sy_err_invalid(err, "M_INVALID_PARAM", "the tag is over %d bytes", SY_TAG_MAX);
    if (!json_object_is_type(content, json_type_object))
        return sy_err_invalid(err, "M_BAD_JSON", "the tag content must be a JSON object");
    /* Tagging a room one never had anything to do with only stores noise (Synapse agrees). */
    if (sy_db_membership(db, a, room_id, user_id, &membership, &event_id, err) != SY_OK)
        return err->code;
    if (membership == NULL)
        return sy_err_forbidden(err, "you have no membership in this room");
    return tag_update(db, a, user_id, room_id, tag, content, err);
}

int
sy_account_data_tag_delete(struct sy_db *db, struct sy_arena *a, const char *user_id,
                           const char *room_id, const char *tag, struct sy_error *err)
{
    return tag_update(db, a, user_id, room_id, tag, NULL, err);
}

int
sy_account_data_fully_read_in_tx(struct sy_db *db, struct sy_arena *a, const char *user_id,
                                 const char *room_id, const char *event_id, int64_t ordering,
                                 int *changed, struct sy_error *err)
{
    struct json_object *content, *whole;
    const char *text, *old_id;
    struct sy_db_event old;
    struct sy_error ignored = {0};
    int64_t pos;

    *changed = 0;
    if (sy_db_stream_advance(db, SY_STREAM_ACCOUNT_DATA, &pos, err) != SY_OK ||
        sy_db_account_data_get(db, a, user_id, room_id, "m.fully_read", &text, err) != SY_OK)
        return err->code;
    /* Only forward, as Synapse: an old marker on an event we no longer have does not block. */
    if (text != NULL &&
        sy_json_parse(a, text, strlen(text), STORED_DEPTH, &content, &ignored) == SY_OK &&
        (old_id = sy_json_get_str(content, "event_id")) != NULL &&
        sy_db_event_get(db, a, old_id, &old, &ignored) == SY_OK && old.stream_ordering >= ordering)
        return SY_OK;
    whole = sy_json_new_object(a);
    json_object_object_add(whole, "event_id", json_object_new_string(event_id));
    if (sy_db_account_data_put(db, user_id, room_id, "m.fully_read", sy_json_text(whole, NULL),
                               pos, err) != SY_OK)
        return err->code;
    *changed = 1;
    return SY_OK;
}

/* ---- /sync ------------------------------------------------------------------------------ */

/* {"events": [{"type", "content"}...]} of rows, the stored content spliced as is. */
static struct json_object *
events_of(const struct sy_db_account_data *rows, size_t n)
{
    struct json_object *events = json_object_new_array(), *wrap = json_object_new_object();

    for (size_t i = 0; i < n; i++) {
        struct json_object *ev = json_object_new_object();

        json_object_object_add(ev, "type", json_object_new_string(rows[i].type));
        json_object_object_add(ev, "content", sy_json_raw(rows[i].content));
        json_object_array_add(events, ev);
    }
    json_object_object_add(wrap, "events", events);
    return wrap;
}

static int64_t
since_of(const struct sy_sync_ctx *ctx)
{
    return ctx->initial ? 0 : ctx->since.pos[SY_STREAM_ACCOUNT_DATA];
}

/*
 * A user who never changed a push rule has no stored m.push_rules: an
 * initial sync still gives the (default) rules, as clients expect them there.
 */
static int
add_default_push_rules(struct sy_sync_ctx *ctx, struct json_object *wrap, struct sy_error *err)
{
    struct json_object *events = sy_json_get_arr(wrap, "events"), *ev;
    struct sy_push_ruleset rs;

    for (size_t i = 0; i < json_object_array_length(events); i++)
        if (strcmp(sy_json_get_str(json_object_array_get_idx(events, i), "type"),
                   "m.push_rules") == 0)
            return SY_OK;
    if (sy_push_ruleset_load(ctx->db, ctx->a, ctx->user_id, &rs, err) != SY_OK)
        return err->code;
    ev = json_object_new_object();
    json_object_object_add(ev, "type", json_object_new_string("m.push_rules"));
    json_object_object_add(
        ev, "content", json_object_get(sy_push_account_data_content(ctx->a, ctx->user_id, &rs)));
    json_object_array_add(events, ev);
    return SY_OK;
}

int
sy_sync_section_account_data(struct sy_sync_ctx *ctx, struct json_object *resp, int *any,
                             struct sy_error *err)
{
    struct sy_db_account_data *rows;
    struct json_object *wrap;
    size_t n;

    if (sy_db_account_data_range(ctx->db, ctx->a, ctx->user_id, "", since_of(ctx),
                                 ctx->now.pos[SY_STREAM_ACCOUNT_DATA], &rows, &n, err) != SY_OK)
        return err->code;
    if (n > 0)
        *any = 1;
    wrap = events_of(rows, n);
    json_object_object_add(resp, "account_data", wrap);
    if (ctx->initial && add_default_push_rules(ctx, wrap, err) != SY_OK)
        return err->code;
    return SY_OK;
}

int
sy_sync_room_account_data(struct sy_sync_ctx *ctx, struct sy_sync_room_slot *rooms, size_t n,
                          struct sy_error *err)
{
    const char **ids = sy_arena_alloc(ctx->a, sizeof(char *) * (n + 1));
    int64_t *from = sy_arena_alloc(ctx->a, sizeof(int64_t) * (n + 1));
    size_t *slot = sy_arena_alloc(ctx->a, sizeof(size_t) * (n + 1));
    struct sy_db_account_data **rows = sy_arena_alloc(ctx->a, sizeof(*rows) * (n + 1));
    size_t *n_rows = sy_arena_alloc(ctx->a, sizeof(size_t) * (n + 1)), k = 0;
    int moved = ctx->since.pos[SY_STREAM_ACCOUNT_DATA] < ctx->now.pos[SY_STREAM_ACCOUNT_DATA];

    /* Nothing written to any account data since the last sync: no query for the rooms it has. */
    for (size_t i = 0; i < n; i++)
        if (rooms[i].fresh || moved) {
            ids[k] = rooms[i].room_id;
            from[k] = rooms[i].fresh ? 0 : since_of(ctx);
            slot[k++] = i;
        }
    if (sy_db_batch_room_account_data(ctx->db, ctx->a, ctx->user_id, ids, from, k,
                                      ctx->now.pos[SY_STREAM_ACCOUNT_DATA], rows, n_rows,
                                      err) != SY_OK)
        return err->code;
    for (size_t j = 0; j < k; j++) {
        if (n_rows[j] == 0)
            continue;
        json_object_object_add(sy_sync_room_slot_object(ctx, &rooms[slot[j]]), "account_data",
                               events_of(rows[j], n_rows[j]));
    }
    return SY_OK;
}
