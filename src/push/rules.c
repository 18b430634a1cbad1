/*
 * push/rules.c -- the server-default push rules, a user's merged
 * ruleset, its API form, and the rule operations of the push rules API.
 */
#include <string.h>

#include <json-c/json.h>

#include "db/db.h"
#include "db/push.h"
#include "json/json.h"
#include "db/account_data.h"
#include "push/rules.h"
#include "sync/notifier.h"
#include "sync/stream.h"
#include "util/arena.h"
#include "util/err.h"

/* Longest rule ID accepted from a client (room rules are room IDs, sender rules user IDs). */
#define RULE_ID_MAX 1024
#define JSON_DEPTH 32

static const char *const kind_names[SY_PUSH_NKINDS] = {"override", "content", "room", "sender",
                                                       "underride"};

int
sy_push_kind_parse(const char *s)
{
    for (int k = 0; k < SY_PUSH_NKINDS; k++)
        if (s != NULL && strcmp(s, kind_names[k]) == 0)
            return k;
    return -1;
}

const char *
sy_push_kind_name(int kind)
{
    return kind >= 0 && kind < SY_PUSH_NKINDS ? kind_names[kind] : NULL;
}

/* ---- the server-default rules (push.md "Predefined Rules", plus Synapse's legacy ones) ---- */

#define EM(k, p)                                                                                   \
    {                                                                                              \
        .kind = SY_PUSH_COND_EVENT_MATCH, .key = (k), .pattern = (p)                               \
    }
#define COUNT(n) (sizeof(n) / sizeof((n)[0]))

static const struct sy_push_cond c_suppress_notices[] = {EM("content.msgtype", "m.notice")};
static const struct sy_push_cond c_invite_for_me[] = {
    EM("type", "m.room.member"),
    EM("content.membership", "invite"),
    {.kind = SY_PUSH_COND_EVENT_MATCH, .key = "state_key", .is_user_id = 1},
};
static const struct sy_push_cond c_member_event[] = {EM("type", "m.room.member")};
static const struct sy_push_cond c_is_user_mention[] = {
    {.kind = SY_PUSH_COND_PROPERTY_CONTAINS,
     .key = "content.m\\.mentions.user_ids",
     .value = {.type = SY_PUSH_VAL_STR},
     .is_user_id = 1},
};
static const struct sy_push_cond c_contains_display_name[] = {{.kind = SY_PUSH_COND_DISPLAY_NAME}};
static const struct sy_push_cond c_is_room_mention[] = {
    {.kind = SY_PUSH_COND_PROPERTY_IS,
     .key = "content.m\\.mentions.room",
     .value = {.type = SY_PUSH_VAL_BOOL, .i = 1}},
    {.kind = SY_PUSH_COND_SENDER_PERMISSION, .key = "room"},
};
static const struct sy_push_cond c_roomnotif[] = {
    EM("content.body", "@room"),
    {.kind = SY_PUSH_COND_SENDER_PERMISSION, .key = "room"},
};
static const struct sy_push_cond c_tombstone[] = {EM("type", "m.room.tombstone"),
                                                  EM("state_key", "")};
static const struct sy_push_cond c_reaction[] = {EM("type", "m.reaction")};
static const struct sy_push_cond c_server_acl[] = {EM("type", "m.room.server_acl"),
                                                   EM("state_key", "")};
static const struct sy_push_cond c_suppress_edits[] = {
    {.kind = SY_PUSH_COND_PROPERTY_IS,
     .key = "content.m\\.relates_to.rel_type",
     .value = {.type = SY_PUSH_VAL_STR, .s = "m.replace"}},
};
static const struct sy_push_cond c_call[] = {EM("type", "m.call.invite")};
static const struct sy_push_cond c_encrypted_one_to_one[] = {
    {.kind = SY_PUSH_COND_MEMBER_COUNT, .is = "2"},
    EM("type", "m.room.encrypted"),
};
static const struct sy_push_cond c_one_to_one[] = {
    {.kind = SY_PUSH_COND_MEMBER_COUNT, .is = "2"},
    EM("type", "m.room.message"),
};
static const struct sy_push_cond c_message[] = {EM("type", "m.room.message")};
static const struct sy_push_cond c_encrypted[] = {EM("type", "m.room.encrypted")};

#define A_NONE "[]"
#define A_NOTIFY "[\"notify\"]"
#define A_SOUND "[\"notify\",{\"set_tweak\":\"sound\",\"value\":\"default\"}]"
#define A_SOUND_HL                                                                                 \
    "[\"notify\",{\"set_tweak\":\"sound\",\"value\":\"default\"},{\"set_tweak\":\"highlight\"}]"
#define A_HL "[\"notify\",{\"set_tweak\":\"highlight\"}]"
#define A_RING "[\"notify\",{\"set_tweak\":\"sound\",\"value\":\"ring\"}]"

#define RULE(k, id, c, act, n, h)                                                                  \
    {                                                                                              \
        .rule_id = (id), .kind = (k), .is_default = 1, .enabled = 1, .conds = (c),                 \
        .n_conds = COUNT(c), .actions = (act), .notify = (n), .highlight = (h)                     \
    }

/* Index 0 must stay .m.rule.master: it alone goes above the user's override rules. */
static const struct sy_push_rule default_rules[] = {
    {.rule_id = ".m.rule.master",
     .kind = SY_PUSH_OVERRIDE,
     .is_default = 1,
     .enabled = 0,
     .actions = A_NONE},
    RULE(SY_PUSH_OVERRIDE, ".m.rule.suppress_notices", c_suppress_notices, A_NONE, 0, 0),
    RULE(SY_PUSH_OVERRIDE, ".m.rule.invite_for_me", c_invite_for_me, A_SOUND, 1, 0),
    RULE(SY_PUSH_OVERRIDE, ".m.rule.member_event", c_member_event, A_NONE, 0, 0),
    RULE(SY_PUSH_OVERRIDE, ".m.rule.is_user_mention", c_is_user_mention, A_SOUND_HL, 1, 1),
    {.rule_id = ".m.rule.contains_display_name",
     .kind = SY_PUSH_OVERRIDE,
     .is_default = 1,
     .enabled = 1,
     .conds = c_contains_display_name,
     .n_conds = COUNT(c_contains_display_name),
     .legacy_mention = 1,
     .actions = A_SOUND_HL,
     .notify = 1,
     .highlight = 1},
    RULE(SY_PUSH_OVERRIDE, ".m.rule.is_room_mention", c_is_room_mention, A_HL, 1, 1),
    {.rule_id = ".m.rule.roomnotif",
     .kind = SY_PUSH_OVERRIDE,
     .is_default = 1,
     .enabled = 1,
     .conds = c_roomnotif,
     .n_conds = COUNT(c_roomnotif),
     .legacy_mention = 1,
     .actions = A_HL,
     .notify = 1,
     .highlight = 1},
    RULE(SY_PUSH_OVERRIDE, ".m.rule.tombstone", c_tombstone, A_HL, 1, 1),
    RULE(SY_PUSH_OVERRIDE, ".m.rule.reaction", c_reaction, A_NONE, 0, 0),
    RULE(SY_PUSH_OVERRIDE, ".m.rule.room.server_acl", c_server_acl, A_NONE, 0, 0),
    RULE(SY_PUSH_OVERRIDE, ".m.rule.suppress_edits", c_suppress_edits, A_NONE, 0, 0),
    {.rule_id = ".m.rule.contains_user_name",
     .kind = SY_PUSH_CONTENT,
     .is_default = 1,
     .enabled = 1,
     .pattern_is_localpart = 1,
     .legacy_mention = 1,
     .actions = A_SOUND_HL,
     .notify = 1,
     .highlight = 1},
    RULE(SY_PUSH_UNDERRIDE, ".m.rule.call", c_call, A_RING, 1, 0),
    RULE(SY_PUSH_UNDERRIDE, ".m.rule.encrypted_room_one_to_one", c_encrypted_one_to_one, A_SOUND, 1,
         0),
    RULE(SY_PUSH_UNDERRIDE, ".m.rule.room_one_to_one", c_one_to_one, A_SOUND, 1, 0),
    RULE(SY_PUSH_UNDERRIDE, ".m.rule.message", c_message, A_NOTIFY, 1, 0),
    RULE(SY_PUSH_UNDERRIDE, ".m.rule.encrypted", c_encrypted, A_NOTIFY, 1, 0),
};

const struct sy_push_rule *
sy_push_default_rules(size_t *n)
{
    *n = COUNT(default_rules);
    return default_rules;
}

static const struct sy_push_rule *
find_default(int kind, const char *rule_id)
{
    for (size_t i = 0; i < COUNT(default_rules); i++)
        if (default_rules[i].kind == kind && strcmp(default_rules[i].rule_id, rule_id) == 0)
            return &default_rules[i];
    return NULL;
}

/* ---- building a user's ruleset ------------------------------------------- */

static struct json_object *
parse_array(struct sy_arena *a, const char *text)
{
    struct json_object *o = NULL;

    if (text == NULL || sy_json_parse(a, text, strlen(text), JSON_DEPTH, &o, NULL) != SY_OK ||
        !json_object_is_type(o, json_type_array))
        return NULL;
    return o;
}

/* A stored user rule as an evaluable rule; 0 when it does not parse. */
static int
user_rule(struct sy_arena *a, const struct sy_db_push_rule *s, int kind, struct sy_push_rule *r)
{
    struct json_object *actions = parse_array(a, s->actions), *conds = NULL;

    if (actions == NULL)
        return 0;
    memset(r, 0, sizeof(*r));
    r->rule_id = s->rule_id;
    r->kind = kind;
    r->enabled = s->enabled;
    r->actions = s->actions;
    sy_push_actions_flags(actions, &r->notify, &r->highlight);
    if (kind == SY_PUSH_OVERRIDE || kind == SY_PUSH_UNDERRIDE) {
        if (s->conditions != NULL && (conds = parse_array(a, s->conditions)) == NULL)
            return 0;
        sy_push_compile_conds(a, conds, &r->conds, &r->n_conds);
        r->conditions_text = conds != NULL ? s->conditions : "[]";
    } else if (kind == SY_PUSH_CONTENT) {
        if (s->pattern == NULL)
            return 0;
        r->pattern = s->pattern;
    }
    return 1;
}

/* Apply a user's change to a default rule. */
static void
apply_default_change(struct sy_arena *a, struct sy_push_rule *r,
                     const struct sy_db_push_default *defs, size_t n_defs)
{
    for (size_t i = 0; i < n_defs; i++) {
        struct json_object *actions;

        if (strcmp(defs[i].rule_id, r->rule_id) != 0 || sy_push_kind_parse(defs[i].kind) != r->kind)
            continue;
        if (defs[i].enabled >= 0)
            r->enabled = defs[i].enabled;
        if (defs[i].actions != NULL && (actions = parse_array(a, defs[i].actions)) != NULL) {
            r->actions = defs[i].actions;
            sy_push_actions_flags(actions, &r->notify, &r->highlight);
        }
    }
}

void
sy_push_ruleset_build(struct sy_arena *a, const struct sy_db_push_rule *rules, size_t n,
                      const struct sy_db_push_default *defs, size_t n_defs,
                      struct sy_push_ruleset *out)
{
    struct sy_push_rule *lists[SY_PUSH_NKINDS];
    size_t cap[SY_PUSH_NKINDS] = {0};

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < COUNT(default_rules); i++)
        cap[default_rules[i].kind]++;
    for (size_t i = 0; i < n; i++) {
        int k = sy_push_kind_parse(rules[i].kind);

        if (k >= 0)
            cap[k]++;
    }
    for (int k = 0; k < SY_PUSH_NKINDS; k++)
        lists[k] = sy_arena_alloc(a, sizeof(struct sy_push_rule) * (cap[k] ? cap[k] : 1));

#define ADD_DEFAULT(i)                                                                             \
    do {                                                                                           \
        struct sy_push_rule *r_ = &lists[default_rules[i].kind][out->n[default_rules[i].kind]++];  \
        *r_ = default_rules[i];                                                                    \
        apply_default_change(a, r_, defs, n_defs);                                                 \
    } while (0)

    /* .m.rule.master is above everything the user set. */
    ADD_DEFAULT(0);
    for (size_t i = 0; i < n; i++) {
        int k = sy_push_kind_parse(rules[i].kind);

        if (k >= 0 && user_rule(a, &rules[i], k, &lists[k][out->n[k]]))
            out->n[k]++;
    }
    for (size_t i = 1; i < COUNT(default_rules); i++)
        ADD_DEFAULT(i);
#undef ADD_DEFAULT
    for (int k = 0; k < SY_PUSH_NKINDS; k++)
        out->rules[k] = lists[k];
}

int
sy_push_ruleset_load(struct sy_db *db, struct sy_arena *a, const char *user_id,
                     struct sy_push_ruleset *out, struct sy_error *err)
{
    struct sy_db_push_rule *rules;
    struct sy_db_push_default *defs;
    size_t n, n_defs;

    if (sy_db_push_rules_for_users(db, a, &user_id, 1, &rules, &n, err) != SY_OK ||
        sy_db_push_defaults_for_users(db, a, &user_id, 1, &defs, &n_defs, err) != SY_OK)
        return err->code;
    sy_push_ruleset_build(a, rules, n, defs, n_defs, out);
    return SY_OK;
}

const struct sy_push_rule *
sy_push_ruleset_find(const struct sy_push_ruleset *rs, int kind, const char *rule_id)
{
    if (kind < 0 || kind >= SY_PUSH_NKINDS)
        return NULL;
    for (size_t i = 0; i < rs->n[kind]; i++)
        if (strcmp(rs->rules[kind][i].rule_id, rule_id) == 0)
            return &rs->rules[kind][i];
    return NULL;
}

/* ---- the API form --------------------------------------------------------- */

static const char *const cond_kind_names[] = {
    [SY_PUSH_COND_EVENT_MATCH] = "event_match",
    [SY_PUSH_COND_PROPERTY_IS] = "event_property_is",
    [SY_PUSH_COND_PROPERTY_CONTAINS] = "event_property_contains",
    [SY_PUSH_COND_DISPLAY_NAME] = "contains_display_name",
    [SY_PUSH_COND_MEMBER_COUNT] = "room_member_count",
    [SY_PUSH_COND_SENDER_PERMISSION] = "sender_notification_permission",
};

static struct json_object *
value_json(const struct sy_push_value *v, const char *user_id)
{
    switch (v->type) {
    case SY_PUSH_VAL_BOOL:
        return json_object_new_boolean(v->i != 0);
    case SY_PUSH_VAL_INT:
        return json_object_new_int64(v->i);
    case SY_PUSH_VAL_STR:
        return json_object_new_string(user_id != NULL ? user_id : v->s);
    }
    return NULL;
}

/* A default rule's conditions in API form (new object, one reference). */
static struct json_object *
default_conds_json(const struct sy_push_rule *r, const char *user_id)
{
    struct json_object *arr = json_object_new_array();

    for (size_t i = 0; i < r->n_conds; i++) {
        const struct sy_push_cond *c = &r->conds[i];
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "kind", json_object_new_string(cond_kind_names[c->kind]));
        if (c->key != NULL)
            json_object_object_add(o, "key", json_object_new_string(c->key));
        if (c->kind == SY_PUSH_COND_EVENT_MATCH)
            json_object_object_add(o, "pattern",
                                   json_object_new_string(c->is_user_id ? user_id : c->pattern));
        if (c->kind == SY_PUSH_COND_PROPERTY_IS || c->kind == SY_PUSH_COND_PROPERTY_CONTAINS)
            json_object_object_add(o, "value",
                                   value_json(&c->value, c->is_user_id ? user_id : NULL));
        if (c->is != NULL)
            json_object_object_add(o, "is", json_object_new_string(c->is));
        json_object_array_add(arr, o);
    }
    return arr;
}

/* Parse stored JSON text into a new object with one reference of its own. */
static struct json_object *
owned_copy(struct sy_arena *a, const char *text)
{
    struct json_object *o = parse_array(a, text);

    return o != NULL ? json_object_get(o) : json_object_new_array();
}

static struct json_object *
rule_json(struct sy_arena *a, const char *user_id, const struct sy_push_rule *r)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "rule_id", json_object_new_string(r->rule_id));
    json_object_object_add(o, "default", json_object_new_boolean(r->is_default));
    json_object_object_add(o, "enabled", json_object_new_boolean(r->enabled));
    json_object_object_add(o, "actions", owned_copy(a, r->actions));
    if (r->kind == SY_PUSH_OVERRIDE || r->kind == SY_PUSH_UNDERRIDE)
        json_object_object_add(o, "conditions",
                               r->is_default ? default_conds_json(r, user_id)
                                             : owned_copy(a, r->conditions_text));
    if (r->kind == SY_PUSH_CONTENT) {
        const char *pat = r->pattern;

        if (r->pattern_is_localpart) {
            const char *colon = strchr(user_id, ':');

            pat = colon != NULL ? sy_arena_strndup(a, user_id + 1, (size_t)(colon - user_id - 1))
                                : user_id;
        }
        json_object_object_add(o, "pattern", json_object_new_string(pat));
    }
    return o;
}

struct json_object *
sy_push_rule_json(struct sy_arena *a, const char *user_id, const struct sy_push_rule *r)
{
    return sy_json_own(a, rule_json(a, user_id, r));
}

struct json_object *
sy_push_ruleset_json(struct sy_arena *a, const char *user_id, const struct sy_push_ruleset *rs)
{
    struct json_object *o = sy_json_new_object(a);

    for (int k = 0; k < SY_PUSH_NKINDS; k++) {
        struct json_object *arr = json_object_new_array();

        for (size_t i = 0; i < rs->n[k]; i++)
            json_object_array_add(arr, rule_json(a, user_id, &rs->rules[k][i]));
        json_object_object_add(o, kind_names[k], arr);
    }
    return o;
}

/* ---- validation and the API operations ------------------------------------ */

int
sy_push_actions_check(struct sy_arena *a, struct json_object *actions, const char **text,
                      struct sy_error *err)
{
    struct json_object *clean;
    size_t n;

    if (actions == NULL || !json_object_is_type(actions, json_type_array))
        return sy_err_invalid(err, "M_UNKNOWN", "'actions' must be an array");
    clean = sy_json_new_array(a);
    n = json_object_array_length(actions);
    for (size_t i = 0; i < n; i++) {
        struct json_object *x = json_object_array_get_idx(actions, i), *t;

        if (x != NULL && json_object_is_type(x, json_type_string)) {
            const char *s = json_object_get_string(x);

            if (strcmp(s, "dont_notify") == 0 || strcmp(s, "coalesce") == 0)
                continue; /* historical actions: ignored, so dropped (spec) */
            if (strcmp(s, "notify") != 0)
                return sy_err_invalid(err, "M_UNKNOWN", "unrecognised action \"%.64s\"", s);
        } else if (x == NULL || !json_object_is_type(x, json_type_object) ||
                   !json_object_object_get_ex(x, "set_tweak", &t) || t == NULL ||
                   !json_object_is_type(t, json_type_string)) {
            return sy_err_invalid(err, "M_UNKNOWN",
                                  "an action must be \"notify\" or an object with \"set_tweak\"");
        }
        json_object_array_add(clean, json_object_get(x));
    }
    *text = sy_arena_strdup(a, json_object_to_json_string_ext(clean, JSON_C_TO_STRING_PLAIN));
    return SY_OK;
}

static int
check_rule_id(const char *rule_id, struct sy_error *err)
{
    size_t len = strlen(rule_id);

    if (len == 0 || len > RULE_ID_MAX)
        return sy_err_invalid(err, "M_INVALID_PARAM", "rule ID must be 1 to %d bytes", RULE_ID_MAX);
    if (rule_id[0] == '.')
        return sy_err_invalid(err, "M_INVALID_PARAM",
                              "rule IDs starting with '.' are reserved for server-default rules");
    if (strchr(rule_id, '/') != NULL || strchr(rule_id, '\\') != NULL)
        return sy_err_invalid(err, "M_INVALID_PARAM", "rule ID may not contain slashes");
    return SY_OK;
}

/* The stored form of a rule from a PUT body: conditions, actions, pattern as text. */
static int
rule_from_body(struct sy_arena *a, int kind, struct json_object *body, struct sy_db_push_rule *r,
               struct sy_error *err)
{
    struct json_object *v;

    if (!json_object_object_get_ex(body, "actions", &v))
        return sy_err_invalid(err, "M_UNKNOWN", "missing 'actions'");
    if (sy_push_actions_check(a, v, &r->actions, err) != SY_OK)
        return err->code;
    if (kind == SY_PUSH_OVERRIDE || kind == SY_PUSH_UNDERRIDE) {
        size_t n;

        /* Conditions are optional (spec): none means the rule always matches. */
        if (!json_object_object_get_ex(body, "conditions", &v)) {
            r->conditions = "[]";
            return SY_OK;
        }
        if (v == NULL || !json_object_is_type(v, json_type_array))
            return sy_err_invalid(err, "M_UNKNOWN", "'conditions' must be an array");
        n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
            struct json_object *c = json_object_array_get_idx(v, i), *k;

            if (c == NULL || !json_object_is_type(c, json_type_object) ||
                !json_object_object_get_ex(c, "kind", &k) || k == NULL ||
                !json_object_is_type(k, json_type_string))
                return sy_err_invalid(err, "M_UNKNOWN",
                                      "each condition must be an object with a string 'kind'");
        }
        r->conditions =
            sy_arena_strdup(a, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
    } else if (kind == SY_PUSH_CONTENT) {
        if (!json_object_object_get_ex(body, "pattern", &v) || v == NULL)
            return sy_err_invalid(err, "M_UNKNOWN", "content rules need a 'pattern'");
        if (!json_object_is_type(v, json_type_string))
            return sy_err_invalid(err, "M_UNKNOWN", "'pattern' must be a string");
        r->pattern = sy_arena_strdup(a, json_object_get_string(v));
    }
    return SY_OK;
}

/* Place and write r inside the open transaction. */
static int
place_rule(struct sy_db *db, struct sy_arena *a, struct sy_db_push_rule *r, const char *before,
           const char *after, struct sy_error *err)
{
    struct sy_db_push_rule old, rel;
    const char *rel_id = before != NULL ? before : after;
    int rc;

    rc = sy_db_push_rule_get(db, a, r->user_id, r->kind, r->rule_id, &old, err);
    if (rc != SY_OK && rc != SY_ENOTFOUND)
        return rc;
    r->enabled = rc == SY_OK ? old.enabled : 1; /* new rules start enabled (spec) */
    if (rel_id == NULL) {
        if (rc == SY_OK) {
            r->priority = old.priority;
        } else {
            if (sy_db_push_rule_max_priority(db, r->user_id, r->kind, &r->priority, err) != SY_OK)
                return err->code;
            r->priority++;
        }
        return sy_db_push_rule_upsert(db, r, err);
    }
    /* Moving: take the rule out first, so it can't be its own anchor. */
    if (rc == SY_OK && sy_db_push_rule_delete(db, r->user_id, r->kind, r->rule_id, err) != SY_OK)
        return err->code;
    rc = sy_db_push_rule_get(db, a, r->user_id, r->kind, rel_id, &rel, err);
    if (rc == SY_ENOTFOUND)
        return sy_err_invalid(err, "M_UNKNOWN", "no user-defined %s rule \"%.200s\" to put it %s",
                              r->kind, rel_id, before != NULL ? "before" : "after");
    if (rc != SY_OK)
        return rc;
    /* before: just above the anchor; after: just below it (the anchor moves up one). */
    r->priority = before != NULL ? rel.priority + 1 : rel.priority;
    if (sy_db_push_rule_shift(db, r->user_id, r->kind, r->priority, err) != SY_OK)
        return err->code;
    return sy_db_push_rule_upsert(db, r, err);
}

/*
 * Clients read push rules from account data (m.push_rules) in /sync: every
 * change rewrites it in the same transaction, on the account-data stream.
 */
static int
publish_ruleset(struct sy_db *db, struct sy_arena *a, const char *user_id, struct sy_error *err)
{
    struct sy_push_ruleset rs;
    struct json_object *content;
    size_t len;
    int64_t pos;

    if (sy_push_ruleset_load(db, a, user_id, &rs, err) != SY_OK)
        return err->code;
    content = sy_push_account_data_content(a, user_id, &rs);
    if (sy_db_stream_advance(db, SY_STREAM_ACCOUNT_DATA, &pos, err) != SY_OK)
        return err->code;
    return sy_db_account_data_put(db, user_id, "", "m.push_rules", sy_json_text(content, &len), pos,
                                  err);
}

/* Run one change of user_id's rules and republish them, in one transaction. */
static int
change_rules(struct sy_db *db, struct sy_arena *a, const char *user_id, int rc,
             struct sy_error *err)
{
    if (rc != SY_OK || publish_ruleset(db, a, user_id, err) != SY_OK ||
        sy_db_commit(db, err) != SY_OK) {
        sy_db_rollback(db);
        return err->code;
    }
    sy_notify_user(user_id);
    return SY_OK;
}

struct json_object *
sy_push_account_data_content(struct sy_arena *a, const char *user_id,
                             const struct sy_push_ruleset *rs)
{
    struct json_object *o = sy_json_new_object(a);

    json_object_object_add(o, "global", json_object_get(sy_push_ruleset_json(a, user_id, rs)));
    return o;
}

int
sy_push_rule_put(struct sy_db *db, struct sy_arena *a, const char *user_id, int kind,
                 const char *rule_id, struct json_object *body, const char *before,
                 const char *after, struct sy_error *err)
{
    struct sy_db_push_rule r = {0};

    if (before != NULL && before[0] == '\0')
        before = NULL;
    if (after != NULL && after[0] == '\0')
        after = NULL;
    if (check_rule_id(rule_id, err) != SY_OK || rule_from_body(a, kind, body, &r, err) != SY_OK)
        return err->code;
    r.user_id = user_id;
    r.kind = kind_names[kind];
    r.rule_id = rule_id;
    if (sy_db_begin(db, err) != SY_OK)
        return err->code;
    return change_rules(db, a, user_id,
                        sy_db_push_lock_user(db, user_id, err) != SY_OK
                            ? err->code
                            : place_rule(db, a, &r, before, after, err),
                        err);
}

int
sy_push_rule_delete(struct sy_db *db, struct sy_arena *a, const char *user_id, int kind,
                    const char *rule_id, struct sy_error *err)
{
    if (find_default(kind, rule_id) != NULL)
        return sy_err_invalid(err, "M_INVALID_PARAM", "server-default rules cannot be deleted");
    if (sy_db_begin(db, err) != SY_OK)
        return err->code;
    return change_rules(db, a, user_id,
                        sy_db_push_rule_delete(db, user_id, kind_names[kind], rule_id, err), err);
}

int
sy_push_rule_set_enabled(struct sy_db *db, struct sy_arena *a, const char *user_id, int kind,
                         const char *rule_id, int enabled, struct sy_error *err)
{
    int rc;

    if (sy_db_begin(db, err) != SY_OK)
        return err->code;
    if (find_default(kind, rule_id) != NULL)
        rc = sy_db_push_default_set(db, user_id, kind_names[kind], rule_id, enabled, NULL, err);
    else
        rc = sy_db_push_rule_set_enabled(db, user_id, kind_names[kind], rule_id, enabled, err);
    return change_rules(db, a, user_id, rc, err);
}

int
sy_push_rule_set_actions(struct sy_db *db, struct sy_arena *a, const char *user_id, int kind,
                         const char *rule_id, struct json_object *actions, struct sy_error *err)
{
    const char *text;
    int rc;

    if (sy_push_actions_check(a, actions, &text, err) != SY_OK)
        return err->code;
    if (sy_db_begin(db, err) != SY_OK)
        return err->code;
    if (find_default(kind, rule_id) != NULL)
        rc = sy_db_push_default_set(db, user_id, kind_names[kind], rule_id, -1, text, err);
    else
        rc = sy_db_push_rule_set_actions(db, user_id, kind_names[kind], rule_id, text, err);
    return change_rules(db, a, user_id, rc, err);
}
