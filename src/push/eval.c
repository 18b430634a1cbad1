/*
 * push/eval.c -- push rule conditions and the first-match walk over a
 * ruleset.  See eval.h; nothing here touches the database.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "push/eval.h"
#include "util/arena.h"
#include "util/mem.h"

/* ---- UTF-8 and case folding -------------------------------------------- */

/* Next code point of NUL-terminated *p, advancing it; 0 at the end, -1 when invalid. */
static long
next_cp(const char **p)
{
    const unsigned char *s = (const unsigned char *)*p;
    long cp;
    int n;

    if (s[0] == 0)
        return 0;
    if (s[0] < 0x80) {
        *p += 1;
        return s[0];
    }
    if ((s[0] & 0xE0) == 0xC0)
        cp = s[0] & 0x1F, n = 1;
    else if ((s[0] & 0xF0) == 0xE0)
        cp = s[0] & 0x0F, n = 2;
    else if ((s[0] & 0xF8) == 0xF0)
        cp = s[0] & 0x07, n = 3;
    else
        return -1;
    for (int i = 1; i <= n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *p += n + 1;
    return cp;
}

/* Lower-case fold of the letters most display names and bodies use. */
static long
fold(long c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 32;
    if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
        return c | 1;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
        return (c & 1) ? c + 1 : c;
    if (c == 0x178)
        return 0xFF;
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
        return c + 32;
    if (c == 0x386)
        return 0x3AC;
    if (c >= 0x388 && c <= 0x38A)
        return c + 37;
    if (c == 0x38C)
        return 0x3CC;
    if (c == 0x38E || c == 0x38F)
        return c + 63;
    if (c == 0x3C2) /* final sigma */
        return 0x3C3;
    if (c >= 0x410 && c <= 0x42F)
        return c + 32;
    if (c >= 0x400 && c <= 0x40F)
        return c + 80;
    return c;
}

static int
is_word(long c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* ---- glob matching: an NFA over pattern positions, O(len(value) * len(pattern)) ---- */

struct glob {
    long *cp; /* folded pattern */
    size_t m;
    int literal;
};

static void
add_state(const struct glob *g, unsigned char *set, size_t k)
{
    for (;;) {
        if (set[k])
            return;
        set[k] = 1;
        /* '*' may match nothing: the next position is live too. */
        if (k < g->m && !g->literal && g->cp[k] == '*')
            k++;
        else
            return;
    }
}

static int
any_state(const unsigned char *set, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (set[k])
            return 1;
    return 0;
}

/*
 * 0 when the value cannot match an ASCII pattern: some wildcard-free piece
 * of it is nowhere in the value, ignoring ASCII case.  An ASCII pattern
 * character only ever matches the same ASCII byte, folded (fold() maps
 * nothing else into ASCII), so the test is exact as a rejection; 1 means
 * "maybe" and the NFA decides.  Most values match none of a recipient's
 * patterns (their name, their keywords), and this is their common way out.
 */
static int
may_match(const char *pattern, const char *value, int literal)
{
    char piece[128];
    size_t n = 0;

    for (const char *p = pattern;; p++) {
        if ((unsigned char)*p >= 0x80)
            return 1;
        if (*p == '\0' || (!literal && (*p == '*' || *p == '?'))) {
            piece[n] = '\0';
            if (n > 0 && strcasestr(value, piece) == NULL)
                return 0;
            n = 0;
            if (*p == '\0')
                return 1;
        } else if (n + 1 < sizeof(piece)) {
            piece[n++] = *p;
        } else {
            return 1;
        }
    }
}

/* Patterns up to this many bytes (names, keywords) match without a malloc. */
#define GLOB_STACK 64

int
sy_push_glob(const char *pattern, const char *value, int word, int literal)
{
    struct glob g = {0};
    const char *p = pattern;
    long cp_stack[GLOB_STACK];
    unsigned char set_stack[2 * (GLOB_STACK + 1)];
    unsigned char *sets, *cur, *nxt, *tmp;
    long c, prev = -1; /* -1: at the start of the value */
    size_t cap = strlen(pattern) + 1;
    int matched = 0;

    if (!may_match(pattern, value, literal))
        return 0;
    /* A pattern has at most as many code points as bytes. */
    g.cp = cap <= GLOB_STACK ? cp_stack : sy_malloc(sizeof(long) * cap);
    g.literal = literal;
    while ((c = next_cp(&p)) > 0)
        g.cp[g.m++] = fold(c);
    sets = cap <= GLOB_STACK ? set_stack : sy_malloc(2 * (g.m + 1));
    memset(sets, 0, 2 * (g.m + 1));
    cur = sets;
    nxt = cur + g.m + 1;
    if (c < 0)
        goto out;
    if (!word)
        add_state(&g, cur, 0);
    for (;;) {
        c = next_cp(&value);
        if (c < 0)
            break;
        if (word) {
            if (prev == -1 || !is_word(prev))
                add_state(&g, cur, 0);
            if (cur[g.m] && (c == 0 || !is_word(c))) {
                matched = 1;
                break;
            }
        }
        if (c == 0) {
            matched = !word && cur[g.m];
            break;
        }
        if (!word && !any_state(cur, g.m + 1))
            break;
        memset(nxt, 0, g.m + 1);
        c = fold(c);
        for (size_t k = 0; k < g.m; k++) {
            long pc = g.cp[k];

            if (!cur[k])
                continue;
            if (!literal && pc == '*')
                add_state(&g, nxt, k);
            else if ((!literal && pc == '?') || pc == c)
                add_state(&g, nxt, k + 1);
        }
        tmp = cur, cur = nxt, nxt = tmp;
        prev = c;
    }
out:
    if (g.cp != cp_stack)
        free(g.cp);
    if (sets != set_stack)
        free(sets);
    return matched;
}

/* ---- event properties ----------------------------------------------------- */

int
sy_push_lookup(struct json_object *ev, const char *key, struct json_object **out)
{
    size_t len = strlen(key);
    char seg_stack[128];
    char *seg = len < sizeof(seg_stack) ? seg_stack : sy_malloc(len + 1);
    struct json_object *o = ev;
    const char *p = key;
    int found = 1;

    for (;;) {
        size_t n = 0;

        while (*p != '\0' && *p != '.') {
            /* "\." and "\\" escape; any other backslash is itself. */
            if (p[0] == '\\' && (p[1] == '.' || p[1] == '\\'))
                p++;
            seg[n++] = *p++;
        }
        seg[n] = '\0';
        if (o == NULL || !json_object_is_type(o, json_type_object) ||
            !json_object_object_get_ex(o, seg, &o)) {
            found = 0;
            break;
        }
        if (*p == '\0')
            break;
        p++;
    }
    if (seg != seg_stack)
        free(seg);
    if (found)
        *out = o;
    return found;
}

/* 1 if JSON value 'o' (NULL: null) equals v exactly: same type and value. */
static int
value_equals(struct json_object *o, const struct sy_push_value *v, const char *user_id)
{
    switch (v->type) {
    case SY_PUSH_VAL_NULL:
        return o == NULL;
    case SY_PUSH_VAL_BOOL:
        return o != NULL && json_object_is_type(o, json_type_boolean) &&
               json_object_get_boolean(o) == (v->i != 0);
    case SY_PUSH_VAL_INT:
        return o != NULL && json_object_is_type(o, json_type_int) &&
               json_object_get_int64(o) == v->i;
    case SY_PUSH_VAL_STR: {
        const char *s = user_id != NULL ? user_id : v->s;

        return o != NULL && json_object_is_type(o, json_type_string) &&
               strcmp(json_object_get_string(o), s) == 0;
    }
    }
    return 0;
}

static int
member_count_matches(const char *is, int64_t count)
{
    char op[3] = {0};
    size_t n = 0;
    int64_t want = 0;

    while (n < 2 && (is[n] == '=' || is[n] == '<' || is[n] == '>'))
        op[n] = is[n], n++;
    is += n;
    if (*is == '\0')
        return 0;
    for (; *is != '\0'; is++) {
        if (*is < '0' || *is > '9' || want > (INT64_MAX - 9) / 10)
            return 0;
        want = want * 10 + (*is - '0');
    }
    if (n == 0 || strcmp(op, "==") == 0)
        return count == want;
    if (strcmp(op, "<") == 0)
        return count < want;
    if (strcmp(op, ">") == 0)
        return count > want;
    if (strcmp(op, "<=") == 0)
        return count <= want;
    if (strcmp(op, ">=") == 0)
        return count >= want;
    return 0;
}

/* The level 'key' needs in power_levels.notifications; 50 when unset (as Synapse). */
static int64_t
notification_level(struct json_object *levels, const char *key)
{
    struct json_object *v;

    if (levels == NULL || !json_object_is_type(levels, json_type_object) ||
        !json_object_object_get_ex(levels, key, &v) || v == NULL)
        return 50;
    if (json_object_is_type(v, json_type_int))
        return json_object_get_int64(v);
    if (json_object_is_type(v, json_type_string)) {
        /* Room versions before 10 allow levels as numeric strings. */
        const char *s = json_object_get_string(v);
        char *end;
        long long l = strtoll(s, &end, 10);

        if (*s != '\0' && *end == '\0')
            return l;
    }
    return 50;
}

/*
 * What one evaluation looks at in the event the same way for every
 * user: worked out once per sy_push_eval call, once per memo.
 */
struct facts {
    struct json_object *event;
    int mentions;             /* content has m.mentions */
    struct json_object *body; /* content.body when it is a string, else NULL */
};

static int
has_mentions(struct json_object *ev)
{
    struct json_object *content, *m;

    return json_object_object_get_ex(ev, "content", &content) && content != NULL &&
           json_object_is_type(content, json_type_object) &&
           json_object_object_get_ex(content, "m.mentions", &m);
}

static struct json_object *
body_of(struct json_object *ev)
{
    struct json_object *b;

    if (!sy_push_lookup(ev, "content.body", &b) || b == NULL ||
        !json_object_is_type(b, json_type_string))
        return NULL;
    return b;
}

static void
facts_of(struct json_object *ev, struct facts *f)
{
    f->event = ev;
    f->mentions = has_mentions(ev);
    f->body = body_of(ev);
}

/*
 * A condition is checked in two steps so that the memo can keep the
 * first for everyone.  cond_event_value: what the condition compares in
 * the event; 0 when the event alone rules it out for every user, else 1
 * and *v (NULL when it compares nothing or the value is JSON null).
 */
static int
cond_event_value(const struct sy_push_cond *c, const struct facts *f, struct json_object **v)
{
    *v = NULL;
    switch (c->kind) {
    case SY_PUSH_COND_EVENT_MATCH:
        return sy_push_lookup(f->event, c->key, v) && *v != NULL &&
               json_object_is_type(*v, json_type_string);
    case SY_PUSH_COND_PROPERTY_IS:
        return sy_push_lookup(f->event, c->key, v);
    case SY_PUSH_COND_PROPERTY_CONTAINS:
        return sy_push_lookup(f->event, c->key, v) && *v != NULL &&
               json_object_is_type(*v, json_type_array);
    case SY_PUSH_COND_DISPLAY_NAME:
        *v = f->body;
        return f->body != NULL;
    case SY_PUSH_COND_MEMBER_COUNT:
    case SY_PUSH_COND_SENDER_PERMISSION:
        return 1;
    }
    return 0;
}

/* The second step: whether c holds for ctx, given the value cond_event_value found. */
static int
cond_holds(const struct sy_push_cond *c, struct json_object *v, const struct sy_push_ctx *ctx)
{
    switch (c->kind) {
    case SY_PUSH_COND_EVENT_MATCH: {
        int body = strcmp(c->key, "content.body") == 0;

        if (c->is_user_id)
            return sy_push_glob(ctx->user_id, json_object_get_string(v), body, 1);
        return sy_push_glob(c->pattern, json_object_get_string(v), body, 0);
    }
    case SY_PUSH_COND_PROPERTY_IS:
        return value_equals(v, &c->value, c->is_user_id ? ctx->user_id : NULL);
    case SY_PUSH_COND_PROPERTY_CONTAINS: {
        size_t n = json_object_array_length(v);

        for (size_t i = 0; i < n; i++)
            if (value_equals(json_object_array_get_idx(v, i), &c->value,
                             c->is_user_id ? ctx->user_id : NULL))
                return 1;
        return 0;
    }
    case SY_PUSH_COND_DISPLAY_NAME:
        if (ctx->displayname == NULL || ctx->displayname[0] == '\0')
            return 0;
        return sy_push_glob(ctx->displayname, json_object_get_string(v), 1, 1);
    case SY_PUSH_COND_MEMBER_COUNT:
        return member_count_matches(c->is, ctx->member_count);
    case SY_PUSH_COND_SENDER_PERMISSION:
        return ctx->sender_level >= notification_level(ctx->notification_levels, c->key);
    }
    return 0;
}

/* 1 if whether c holds depends on whose rules they are, not only on the event. */
static int
cond_is_personal(const struct sy_push_cond *c)
{
    return c->is_user_id || c->kind == SY_PUSH_COND_DISPLAY_NAME;
}

int
sy_push_cond_matches(const struct sy_push_cond *c, const struct sy_push_ctx *ctx)
{
    struct facts f = {.event = ctx->event}; /* m.mentions matters to rules, not conditions */
    struct json_object *v;

    if (c->kind == SY_PUSH_COND_DISPLAY_NAME)
        f.body = body_of(ctx->event);
    return cond_event_value(c, &f, &v) && cond_holds(c, v, ctx);
}

static const char *
top_string(struct json_object *ev, const char *key)
{
    struct json_object *v;

    if (!json_object_object_get_ex(ev, key, &v) || v == NULL ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* .m.rule.contains_user_name: the user's localpart ("@local:server" -> "local") in the body. */
static int
localpart_in(const char *user_id, const char *body)
{
    char stack[256], *lp = stack; /* a user ID has at most 255 bytes */
    const char *colon = strchr(user_id, ':');
    size_t n = colon ? (size_t)(colon - user_id) - 1 : strlen(user_id + 1);
    int m;

    if (n == 0)
        return 0;
    if (n >= sizeof(stack))
        lp = sy_malloc(n + 1);
    memcpy(lp, user_id + 1, n);
    lp[n] = '\0';
    m = sy_push_glob(lp, body, 1, 0);
    if (lp != stack)
        free(lp);
    return m;
}

/* 0 when r cannot match this event for anyone before its conditions are looked at. */
static int
rule_live(const struct sy_push_rule *r, const struct facts *f)
{
    /* Intentional mentions (MSC3952, as Synapse): the body-scanning defaults step aside. */
    return r->enabled && !(r->is_default && r->legacy_mention && f->mentions);
}

static int
rule_matches(const struct sy_push_rule *r, const struct facts *f, const struct sy_push_ctx *ctx)
{
    const char *s;

    if (!rule_live(r, f))
        return 0;
    switch (r->kind) {
    case SY_PUSH_CONTENT:
        if (f->body == NULL)
            return 0;
        if (r->pattern_is_localpart)
            return localpart_in(ctx->user_id, json_object_get_string(f->body));
        return r->pattern != NULL &&
               sy_push_glob(r->pattern, json_object_get_string(f->body), 1, 0);
    case SY_PUSH_ROOM:
        s = top_string(f->event, "room_id");
        return s != NULL && strcmp(s, r->rule_id) == 0;
    case SY_PUSH_SENDER:
        s = top_string(f->event, "sender");
        return s != NULL && strcmp(s, r->rule_id) == 0;
    default:
        for (size_t i = 0; i < r->n_conds; i++) {
            struct json_object *v;

            if (!cond_event_value(&r->conds[i], f, &v) || !cond_holds(&r->conds[i], v, ctx))
                return 0;
        }
        return 1;
    }
}

const struct sy_push_rule *
sy_push_eval(const struct sy_push_ruleset *rs, const struct sy_push_ctx *ctx)
{
    struct facts f;

    facts_of(ctx->event, &f);
    for (int k = 0; k < SY_PUSH_NKINDS; k++)
        for (size_t i = 0; i < rs->n[k]; i++)
            if (rule_matches(&rs->rules[k][i], &f, ctx))
                return &rs->rules[k][i];
    return NULL;
}

/* ---- the per-event memo ------------------------------------------------------ */

enum {
    MEMO_UNKNOWN = 0, /* not reached yet (arena memory is zeroed) */
    MEMO_NEVER,       /* matches for nobody */
    MEMO_ALWAYS,      /* matches for everybody */
    MEMO_PER_USER,    /* the event allows it: the user-dependent parts decide */
};

void
sy_push_memo_init(struct sy_push_memo *m, struct sy_arena *a, const struct sy_push_ruleset *rs,
                  const struct sy_push_ctx *ctx)
{
    struct facts f;

    memset(m, 0, sizeof(*m));
    m->rs = rs;
    m->ev = *ctx;
    m->ev.user_id = NULL;
    m->ev.displayname = NULL;
    facts_of(ctx->event, &f);
    m->mentions = f.mentions;
    m->body = f.body;
    m->a = a;
    for (int k = 0; k < SY_PUSH_NKINDS; k++)
        m->rules[k] = sy_arena_alloc(a, sizeof(*m->rules[k]) * (rs->n[k] + 1));
}

/*
 * Settle what the event alone says of r: its user-independent
 * conditions are checked here once, and each user-dependent one keeps
 * its event value for memo_rule_matches.
 */
static int
memo_settle(struct sy_push_memo *m, const struct facts *f, const struct sy_push_rule *r,
            struct sy_push_memo_rule *mr)
{
    int personal = 0;

    if (!rule_live(r, f))
        return MEMO_NEVER;
    if (r->kind == SY_PUSH_CONTENT && r->pattern_is_localpart)
        return f->body != NULL ? MEMO_PER_USER : MEMO_NEVER;
    /* A content pattern, room or sender rule looks at the event only. */
    if (r->kind != SY_PUSH_OVERRIDE && r->kind != SY_PUSH_UNDERRIDE)
        return rule_matches(r, f, &m->ev) ? MEMO_ALWAYS : MEMO_NEVER;
    for (size_t i = 0; i < r->n_conds; i++) {
        const struct sy_push_cond *c = &r->conds[i];
        struct json_object *v;

        if (!cond_event_value(c, f, &v))
            return MEMO_NEVER;
        if (!cond_is_personal(c)) {
            if (!cond_holds(c, v, &m->ev))
                return MEMO_NEVER;
            continue;
        }
        if (mr->vals == NULL)
            mr->vals = sy_arena_alloc(m->a, sizeof(*mr->vals) * r->n_conds);
        mr->vals[i] = v;
        personal = 1;
    }
    return personal ? MEMO_PER_USER : MEMO_ALWAYS;
}

static int
memo_rule_matches(struct sy_push_memo *m, const struct facts *f, const struct sy_push_rule *r,
                  struct sy_push_memo_rule *mr, const struct sy_push_ctx *ctx)
{
    if (mr->state == MEMO_UNKNOWN)
        mr->state = memo_settle(m, f, r, mr);
    if (mr->state != MEMO_PER_USER)
        return mr->state == MEMO_ALWAYS;
    if (r->kind == SY_PUSH_CONTENT)
        return localpart_in(ctx->user_id, json_object_get_string(f->body));
    for (size_t i = 0; i < r->n_conds; i++)
        if (cond_is_personal(&r->conds[i]) && !cond_holds(&r->conds[i], mr->vals[i], ctx))
            return 0;
    return 1;
}

const struct sy_push_rule *
sy_push_eval_memo(struct sy_push_memo *m, const char *user_id, const char *displayname)
{
    struct sy_push_ctx ctx = m->ev;
    struct facts f = {.event = m->ev.event, .mentions = m->mentions, .body = m->body};
    const struct sy_push_ruleset *rs = m->rs;

    ctx.user_id = user_id;
    ctx.displayname = displayname;
    for (int k = 0; k < SY_PUSH_NKINDS; k++)
        for (size_t i = 0; i < rs->n[k]; i++)
            if (memo_rule_matches(m, &f, &rs->rules[k][i], &m->rules[k][i], &ctx))
                return &rs->rules[k][i];
    return NULL;
}

void
sy_push_actions_flags(struct json_object *actions, int *notify, int *highlight)
{
    size_t n = actions != NULL && json_object_is_type(actions, json_type_array)
                   ? json_object_array_length(actions)
                   : 0;

    *notify = *highlight = 0;
    for (size_t i = 0; i < n; i++) {
        struct json_object *a = json_object_array_get_idx(actions, i), *t, *v;

        if (a == NULL)
            continue;
        if (json_object_is_type(a, json_type_string)) {
            if (strcmp(json_object_get_string(a), "notify") == 0)
                *notify = 1;
            continue;
        }
        if (!json_object_is_type(a, json_type_object) ||
            !json_object_object_get_ex(a, "set_tweak", &t) || t == NULL ||
            !json_object_is_type(t, json_type_string) ||
            strcmp(json_object_get_string(t), "highlight") != 0)
            continue;
        /* No value means true; any other value than true means false. */
        if (!json_object_object_get_ex(a, "value", &v))
            *highlight = 1;
        else
            *highlight = v != NULL && json_object_is_type(v, json_type_boolean) &&
                         json_object_get_boolean(v);
    }
}

static const char *
str_field(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || v == NULL ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static void
compile_one(struct json_object *o, struct sy_push_cond *c)
{
    const char *kind = str_field(o, "kind");
    struct json_object *v;

    memset(c, 0, sizeof(*c));
    if (kind == NULL)
        return;
    c->key = str_field(o, "key");
    if (strcmp(kind, "event_match") == 0) {
        c->pattern = str_field(o, "pattern");
        if (c->key != NULL && c->pattern != NULL)
            c->kind = SY_PUSH_COND_EVENT_MATCH;
    } else if (strcmp(kind, "event_property_is") == 0 ||
               strcmp(kind, "event_property_contains") == 0) {
        if (c->key == NULL || !json_object_object_get_ex(o, "value", &v))
            return;
        if (v == NULL)
            c->value.type = SY_PUSH_VAL_NULL;
        else if (json_object_is_type(v, json_type_boolean))
            c->value.type = SY_PUSH_VAL_BOOL, c->value.i = json_object_get_boolean(v);
        else if (json_object_is_type(v, json_type_int))
            c->value.type = SY_PUSH_VAL_INT, c->value.i = json_object_get_int64(v);
        else if (json_object_is_type(v, json_type_string))
            c->value.type = SY_PUSH_VAL_STR, c->value.s = json_object_get_string(v);
        else
            return; /* compound or float: not a supported value */
        c->kind = kind[15] == 'i' ? SY_PUSH_COND_PROPERTY_IS : SY_PUSH_COND_PROPERTY_CONTAINS;
    } else if (strcmp(kind, "contains_display_name") == 0) {
        c->kind = SY_PUSH_COND_DISPLAY_NAME;
    } else if (strcmp(kind, "room_member_count") == 0) {
        c->is = str_field(o, "is");
        if (c->is != NULL)
            c->kind = SY_PUSH_COND_MEMBER_COUNT;
    } else if (strcmp(kind, "sender_notification_permission") == 0) {
        if (c->key != NULL)
            c->kind = SY_PUSH_COND_SENDER_PERMISSION;
    }
}

void
sy_push_compile_conds(struct sy_arena *a, struct json_object *conditions,
                      const struct sy_push_cond **out, size_t *n)
{
    size_t len = conditions != NULL && json_object_is_type(conditions, json_type_array)
                     ? json_object_array_length(conditions)
                     : 0;
    struct sy_push_cond *c = sy_arena_alloc(a, sizeof(*c) * (len ? len : 1));

    for (size_t i = 0; i < len; i++) {
        struct json_object *o = json_object_array_get_idx(conditions, i);

        if (o != NULL && json_object_is_type(o, json_type_object))
            compile_one(o, &c[i]);
        else
            memset(&c[i], 0, sizeof(c[i]));
    }
    *out = c;
    *n = len;
}
