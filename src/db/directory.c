/*
 * db/directory.c -- room summaries, the published flag, space children
 * and alias moves (see db/directory.h).
 *
 * Summaries read the content of current state events from their stored
 * client JSON.  jsonb refuses the escape \u0000, which canonical JSON may
 * carry; an event whose text holds it is treated as having no content
 * here, so one odd event cannot break the directory for everyone.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/directory.h"
#include "db/internal.h"
#include "util/arena.h"
#include "util/err.h"

/* clang-format off */
/* The content of event row 'e', or NULL when jsonb cannot hold it. */
#define CONTENT "CASE WHEN strpos(e.client_json, '\\u0000') = 0 " \
                "THEN (e.client_json::jsonb)->'content' END"

/* A string field of the content of a state event of type T. */
#define STR_FIELD(T, F, AS)                                                                        \
    "max(CASE WHEN cs.type = '" T "' AND jsonb_typeof(c->'" F "') = 'string' "                    \
    "THEN c->>'" F "' END) AS " AS

/* One row per room: its summary columns, in the order read_room() expects. */
#define SUMMARY_SELECT                                                                             \
    "SELECT r.room_id, r.room_version, r.is_public, s.name, s.topic, s.alias, s.avatar, "          \
    "s.join_rule, s.hv, s.guest, s.room_type, s.allow, s.encryption, "                            \
    "(SELECT count(*) FROM current_state m WHERE m.room_id = r.room_id "                          \
    "AND m.type = 'm.room.member' AND m.membership = 'join') AS joined "                          \
    "FROM rooms r CROSS JOIN LATERAL (SELECT "                                                    \
    STR_FIELD("m.room.name", "name", "name") ", "                                                 \
    STR_FIELD("m.room.topic", "topic", "topic") ", "                                              \
    STR_FIELD("m.room.canonical_alias", "alias", "alias") ", "                                    \
    STR_FIELD("m.room.avatar", "url", "avatar") ", "                                              \
    STR_FIELD("m.room.join_rules", "join_rule", "join_rule") ", "                                 \
    STR_FIELD("m.room.history_visibility", "history_visibility", "hv") ", "                       \
    STR_FIELD("m.room.guest_access", "guest_access", "guest") ", "                                \
    STR_FIELD("m.room.create", "type", "room_type") ", "                                          \
    STR_FIELD("m.room.encryption", "algorithm", "encryption") ", "                                \
    "max(CASE WHEN cs.type = 'm.room.join_rules' AND jsonb_typeof(c->'allow') = 'array' "         \
    "THEN (c->'allow')::text END) AS allow "                                                      \
    "FROM current_state cs JOIN events e ON e.event_id = cs.event_id "                            \
    "CROSS JOIN LATERAL (SELECT " CONTENT " AS c) j "                                             \
    "WHERE cs.room_id = r.room_id AND cs.state_key = '' AND cs.type IN ('m.room.name', "          \
    "'m.room.topic', 'm.room.canonical_alias', 'm.room.avatar', 'm.room.join_rules', "            \
    "'m.room.history_visibility', 'm.room.guest_access', 'm.room.create', "                       \
    "'m.room.encryption')) s "

/* clang-format on */

const struct sy_stmt sy_db_directory_stmts[] = {
    {"dir_room", SUMMARY_SELECT "WHERE r.room_id = $1"},
    /* $1 search term or NULL, $2 room types (JSON array) or NULL, $3 also untyped rooms,
     * $4 limit, $5 offset. */
    {"dir_public",
     "WITH listable AS (" SUMMARY_SELECT "WHERE r.is_public), "
     "vis AS (SELECT * FROM listable WHERE joined > 0 AND (join_rule IN ('public', 'knock', "
     "'knock_restricted') OR hv = 'world_readable')) "
     "SELECT v.*, (SELECT count(*) FROM vis) FROM vis v "
     "WHERE ($1::text IS NULL OR strpos(lower(coalesce(v.name, '')), lower($1)) > 0 "
     "OR strpos(lower(coalesce(v.topic, '')), lower($1)) > 0 "
     "OR strpos(lower(coalesce(v.alias, '')), lower($1)) > 0) "
     "AND ($2::jsonb IS NULL OR v.room_type IN (SELECT jsonb_array_elements_text($2::jsonb)) "
     "OR ($3::boolean AND v.room_type IS NULL)) "
     "ORDER BY v.joined DESC, v.room_id DESC LIMIT $4 OFFSET $5"},
    {"dir_count_public",
     "WITH listable AS (" SUMMARY_SELECT "WHERE r.is_public) "
     "SELECT count(*) FROM listable WHERE joined > 0 AND (join_rule IN ('public', 'knock', "
     "'knock_restricted') OR hv = 'world_readable')"},
    {"dir_state_of_type",
     "SELECT e.client_json FROM current_state cs JOIN events e ON e.event_id = cs.event_id "
     "WHERE cs.room_id = $1 AND cs.type = $2 ORDER BY cs.state_key"},
    {"dir_move_aliases", "UPDATE room_aliases SET room_id = $2 WHERE room_id = $1"},
    {NULL, NULL},
};

static const char *
dup_val(struct sy_arena *a, PGresult *res, int r, int c)
{
    return sy_arena_strdup(a, sy_db_val(res, r, c));
}

static void
read_room(struct sy_arena *a, PGresult *res, int r, struct sy_dir_room *out)
{
    out->room_id = dup_val(a, res, r, 0);
    out->room_version = dup_val(a, res, r, 1);
    out->is_public = PQgetvalue(res, r, 2)[0] == 't';
    out->name = dup_val(a, res, r, 3);
    out->topic = dup_val(a, res, r, 4);
    out->canonical_alias = dup_val(a, res, r, 5);
    out->avatar_url = dup_val(a, res, r, 6);
    out->join_rule = dup_val(a, res, r, 7);
    out->history_visibility = dup_val(a, res, r, 8);
    out->guest_access = dup_val(a, res, r, 9);
    out->room_type = dup_val(a, res, r, 10);
    out->allow_json = dup_val(a, res, r, 11);
    out->encryption = dup_val(a, res, r, 12);
    out->num_joined_members = strtoll(PQgetvalue(res, r, 13), NULL, 10);
}

int
sy_db_dir_public_rooms(struct sy_db *db, struct sy_arena *a, const struct sy_dir_query *q,
                       struct sy_dir_room **out, size_t *n, int64_t *total, struct sy_error *err)
{
    char lim[24], off[24];
    const char *p[5];
    PGresult *res;
    int rows;

    snprintf(lim, sizeof(lim), "%" PRId64, q->limit);
    snprintf(off, sizeof(off), "%" PRId64, q->offset);
    p[0] = q->search_term;
    p[1] = q->room_types_json;
    p[2] = q->include_untyped ? "true" : "false";
    p[3] = lim;
    p[4] = off;
    if ((res = sy_db_exec(db, "dir_public", 5, p, err)) == NULL)
        return err->code;
    rows = PQntuples(res);
    *out = sy_arena_alloc(a, sizeof(**out) * (size_t)(rows ? rows : 1));
    for (int r = 0; r < rows; r++)
        read_room(a, res, r, &(*out)[r]);
    *n = (size_t)rows;
    PQclear(res);
    /* An offset past the end gives no rows to read the total from. */
    if ((res = sy_db_exec(db, "dir_count_public", 0, NULL, err)) == NULL)
        return err->code;
    *total = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return SY_OK;
}

int
sy_db_dir_room(struct sy_db *db, struct sy_arena *a, const char *room_id, struct sy_dir_room *out,
               struct sy_error *err)
{
    PGresult *res = sy_db_exec(db, "dir_room", 1, &room_id, err);
    int rc = SY_OK;

    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0)
        rc = sy_err_notfound(err, "room not found");
    else
        read_room(a, res, 0, out);
    PQclear(res);
    return rc;
}

int
sy_db_dir_state_of_type(struct sy_db *db, struct sy_arena *a, const char *room_id, const char *type,
                        const char ***json, size_t *n, struct sy_error *err)
{
    const char *p[2] = {room_id, type};
    PGresult *res = sy_db_exec(db, "dir_state_of_type", 2, p, err);
    int rows;

    if (res == NULL)
        return err->code;
    rows = PQntuples(res);
    *json = sy_arena_alloc(a, sizeof(**json) * (size_t)(rows ? rows : 1));
    for (int r = 0; r < rows; r++)
        (*json)[r] = dup_val(a, res, r, 0);
    *n = (size_t)rows;
    PQclear(res);
    return SY_OK;
}

int
sy_db_dir_move_aliases(struct sy_db *db, const char *old_room, const char *new_room, long *moved,
                       struct sy_error *err)
{
    const char *p[2] = {old_room, new_room};
    PGresult *res = sy_db_exec(db, "dir_move_aliases", 2, p, err);

    if (res == NULL)
        return err->code;
    if (moved != NULL)
        *moved = sy_db_affected(res);
    PQclear(res);
    return SY_OK;
}
