/*
 * push/eval.h -- push rule evaluation: which rule, if any, an event
 * matches for one user.
 *
 * Pure: no database, no clock.  The caller gathers what the conditions
 * look at (the event, the user's display name in the room, the room's
 * joined member count, the sender's power level and the room's
 * notification levels) into a struct sy_push_ctx and hands over the
 * user's ruleset (push/rules.h builds it).  Rules are checked kind by
 * kind (override, content, room, sender, underride) and in order within
 * a kind; the first enabled rule whose conditions all hold wins.  For
 * one event and many users with the same ruleset, struct sy_push_memo
 * does the part that is the same for all of them only once.
 *
 * Glob patterns (event_match, content rules) use '*' and '?' over code
 * points, case-insensitively (ASCII, Latin-1, Latin Extended-A, Greek
 * and Cyrillic letters fold); for content.body a match must start and
 * end at a word boundary (start/end of the value or a character outside
 * [A-Za-z0-9_]).
 */
#ifndef SY_PUSH_EVAL_H
#define SY_PUSH_EVAL_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct sy_arena;

enum sy_push_kind {
    SY_PUSH_OVERRIDE = 0,
    SY_PUSH_CONTENT,
    SY_PUSH_ROOM,
    SY_PUSH_SENDER,
    SY_PUSH_UNDERRIDE,
    SY_PUSH_NKINDS
};

enum sy_push_cond_kind {
    SY_PUSH_COND_UNKNOWN = 0, /* unrecognised or malformed: never matches */
    SY_PUSH_COND_EVENT_MATCH,
    SY_PUSH_COND_PROPERTY_IS,
    SY_PUSH_COND_PROPERTY_CONTAINS,
    SY_PUSH_COND_DISPLAY_NAME,
    SY_PUSH_COND_MEMBER_COUNT,
    SY_PUSH_COND_SENDER_PERMISSION,
};

/* A non-compound JSON value for event_property_is / _contains. */
enum sy_push_value_type { SY_PUSH_VAL_NULL, SY_PUSH_VAL_BOOL, SY_PUSH_VAL_INT, SY_PUSH_VAL_STR };
struct sy_push_value {
    int type;  /* enum sy_push_value_type */
    int64_t i; /* bool (0/1) or integer */
    const char *s;
};

struct sy_push_cond {
    int kind;            /* enum sy_push_cond_kind */
    const char *key;     /* dot-separated path; sender_notification_permission: the level key */
    const char *pattern; /* event_match */
    struct sy_push_value value;
    const char *is; /* room_member_count */
    /* Server-default rules only: the pattern / value is the user's own ID. */
    int is_user_id;
};

struct sy_push_rule {
    const char *rule_id;
    int kind; /* enum sy_push_kind */
    int is_default;
    int enabled;
    /* override/underride: the conditions; content/room/sender: implied by pattern/rule_id */
    const struct sy_push_cond *conds;
    size_t n_conds;
    const char *conditions_text; /* user rules: the stored conditions array, for GET */
    const char *pattern;         /* content rules */
    int pattern_is_localpart;    /* .m.rule.contains_user_name */
    /* Before MSC3952 mentions: skipped for events whose content has m.mentions. */
    int legacy_mention;
    const char *actions;   /* JSON text of the actions array */
    int notify, highlight; /* what the actions say */
};

struct sy_push_ruleset {
    const struct sy_push_rule *rules[SY_PUSH_NKINDS]; /* each in priority order */
    size_t n[SY_PUSH_NKINDS];
};

struct sy_push_ctx {
    struct json_object *event;               /* the event (PDU or client format: top-level keys) */
    const char *user_id;                     /* whose rules these are */
    const char *displayname;                 /* the user's display name in the room, or NULL */
    int64_t member_count;                    /* joined members */
    int64_t sender_level;                    /* the sender's power level */
    struct json_object *notification_levels; /* power_levels content.notifications, or NULL */
};

/* The rule that matches, or NULL when none does (then nothing is notified). */
const struct sy_push_rule *sy_push_eval(const struct sy_push_ruleset *rs,
                                        const struct sy_push_ctx *ctx);

/*
 * A per-event memo for evaluating one ruleset for many users: a room's
 * members who kept the server-default rules all share one ruleset, and
 * for one event most of its rules come out the same for each of them.
 * Only a few things in a ruleset depend on who the user is: conditions
 * with is_user_id, contains_display_name, and a content rule on the
 * user's localpart.  The memo settles everything else once per event,
 * the first time a rule is reached, and leaves only those per user.
 *
 * A memo holds for exactly one ruleset and one event with its
 * event-level context (member count, sender level, notification levels),
 * all fixed by sy_push_memo_init; users with rulesets of their own are
 * evaluated with sy_push_eval (or a memo each).  The caller owns the
 * memo (a stack variable is fine); what it allocates lives in 'a', and
 * 'rs' and the event must outlive it.
 */
struct sy_push_memo_rule {
    int state;                 /* what is known of the rule (eval.c) */
    struct json_object **vals; /* per user: each user-dependent condition's event value */
};

struct sy_push_memo {
    const struct sy_push_ruleset *rs;
    struct sy_push_ctx ev;    /* the event-level context; user_id and displayname unused */
    int mentions;             /* content has m.mentions: the legacy body rules step aside */
    struct json_object *body; /* content.body when it is a string, else NULL */
    struct sy_arena *a;
    struct sy_push_memo_rule *rules[SY_PUSH_NKINDS]; /* parallel to rs->rules */
};

void sy_push_memo_init(struct sy_push_memo *m, struct sy_arena *a, const struct sy_push_ruleset *rs,
                       const struct sy_push_ctx *ctx);

/*
 * The rule of m's ruleset that matches m's event for this user (display
 * name in the room, or NULL): always the rule sy_push_eval gives.
 */
const struct sy_push_rule *sy_push_eval_memo(struct sy_push_memo *m, const char *user_id,
                                             const char *displayname);

/* 1 if one condition holds for ctx. */
int sy_push_cond_matches(const struct sy_push_cond *c, const struct sy_push_ctx *ctx);

/*
 * Glob matching as the conditions do it.  'word' 1: some substring of
 * 'value' bounded by word boundaries matches (content.body); 0: the whole
 * value.  'literal' 1: '*' and '?' are ordinary characters.  Invalid
 * UTF-8 never matches.
 */
int sy_push_glob(const char *pattern, const char *value, int word, int literal);

/*
 * The property at a dot-separated path ("content.m\\.relates_to.rel_type"):
 * 1 and *out (NULL for a JSON null), or 0 when it is absent.
 */
int sy_push_lookup(struct json_object *ev, const char *key, struct json_object **out);

/* What an actions array says: notify ("notify") and highlight (set_tweak highlight, true). */
void sy_push_actions_flags(struct json_object *actions, int *notify, int *highlight);

/*
 * Compile a conditions array (already checked to be objects with a
 * string "kind") into conds in 'a'.  Malformed conditions compile to
 * SY_PUSH_COND_UNKNOWN, which never matches.
 */
void sy_push_compile_conds(struct sy_arena *a, struct json_object *conditions,
                           const struct sy_push_cond **out, size_t *n);

#endif /* SY_PUSH_EVAL_H */
