/*
 * push/rules.h -- a user's push rules: the server-default ruleset merged
 * with the user's own rules, and the rule operations of the push rules
 * API (validation and ordering included).
 *
 * Order within each kind, as the spec and Synapse have it:
 *   override:  .m.rule.master, the user's override rules, the other defaults
 *   content:   the user's content rules, then .m.rule.contains_user_name
 *   room, sender: the user's rules
 *   underride: the user's underride rules, then the defaults
 * A user's rules of one kind are ordered by priority, most important first.
 *
 * Everything returned lives in the caller's arena.  Errors carry the
 * Matrix error for the client: 400 M_INVALID_PARAM for a bad kind or rule
 * ID, 400 M_UNKNOWN for a bad rule body or an unknown before/after rule,
 * 404 M_NOT_FOUND for a missing rule.
 */
#ifndef SY_PUSH_RULES_H
#define SY_PUSH_RULES_H

#include <stddef.h>

#include "push/eval.h"

struct json_object;
struct sy_arena;
struct sy_db;
struct sy_db_push_default;
struct sy_db_push_rule;
struct sy_error;

/* SY_PUSH_* for "override", "content", ...; -1 for anything else. */
int sy_push_kind_parse(const char *s);
const char *sy_push_kind_name(int kind);

/* The server-default rules (static, shared, read-only), in evaluation order. */
const struct sy_push_rule *sy_push_default_rules(size_t *n);

/*
 * Build one user's ruleset from the defaults, that user's stored rules
 * (most important first within a kind, as db/push.h returns them) and
 * their changes to default rules.  A stored rule that does not parse is
 * left out.  Pure: no database.
 */
void sy_push_ruleset_build(struct sy_arena *a, const struct sy_db_push_rule *rules, size_t n,
                           const struct sy_db_push_default *defs, size_t n_defs,
                           struct sy_push_ruleset *out);

/* Load and build user_id's ruleset. */
int sy_push_ruleset_load(struct sy_db *db, struct sy_arena *a, const char *user_id,
                         struct sy_push_ruleset *out, struct sy_error *err);

/* The rule (kind, rule_id) of a ruleset, or NULL. */
const struct sy_push_rule *sy_push_ruleset_find(const struct sy_push_ruleset *rs, int kind,
                                                const char *rule_id);

/*
 * The API form of a rule / of a whole ruleset ({"override": [...], ...}),
 * with the user's ID and localpart filled into the defaults.  A new root
 * owned by 'a'.
 */
struct json_object *sy_push_rule_json(struct sy_arena *a, const char *user_id,
                                      const struct sy_push_rule *r);
struct json_object *sy_push_ruleset_json(struct sy_arena *a, const char *user_id,
                                         const struct sy_push_ruleset *rs);
/* The m.push_rules account data content (and GET /pushrules/): {"global": ruleset}. */
struct json_object *sy_push_account_data_content(struct sy_arena *a, const char *user_id,
                                                 const struct sy_push_ruleset *rs);

/*
 * Check an actions array: strings "notify" (and the historical
 * "dont_notify" and "coalesce", which are dropped) and objects with a
 * string "set_tweak".  0 and *text (the cleaned array as JSON, in 'a'),
 * or SY_EINVAL (400 M_UNKNOWN).
 */
int sy_push_actions_check(struct sy_arena *a, struct json_object *actions, const char **text,
                          struct sy_error *err);

/*
 * PUT /pushrules/global/{kind}/{ruleId}: create or replace a user rule
 * from the request body.  'before' / 'after' (NULL or "": neither) name a
 * user rule of the same kind to place it just above / below; without
 * them a new rule goes on top and an existing one keeps its place.
 * Every change runs in its own transaction, which also rewrites the
 * user's m.push_rules account data (what /sync gives clients) and wakes
 * their long-polls.
 */
int sy_push_rule_put(struct sy_db *db, struct sy_arena *a, const char *user_id, int kind,
                     const char *rule_id, struct json_object *body, const char *before,
                     const char *after, struct sy_error *err);
/* DELETE a user rule; a server-default rule is 400 M_INVALID_PARAM. */
int sy_push_rule_delete(struct sy_db *db, struct sy_arena *a, const char *user_id, int kind,
                        const char *rule_id, struct sy_error *err);
/* Enable or disable a user rule or a server-default rule. */
int sy_push_rule_set_enabled(struct sy_db *db, struct sy_arena *a, const char *user_id, int kind,
                             const char *rule_id, int enabled, struct sy_error *err);
/* Replace the actions of a user rule or a server-default rule. */
int sy_push_rule_set_actions(struct sy_db *db, struct sy_arena *a, const char *user_id, int kind,
                             const char *rule_id, struct json_object *actions,
                             struct sy_error *err);

#endif /* SY_PUSH_RULES_H */
