/*
 * t/unit/auth.c -- the authorisation rules, one table row per path, each
 * asserted for every room version it applies to (and its opposite where
 * versions differ), plus create events, third party invites, auth events
 * selection and redactions.
 *
 * The base room: !r:a.org, public, created by @alice:a.org (power 100, or
 * a creator in v12), with @carol:a.org (50) and @bob:b.org (0) joined,
 * @frank:a.org (50) joined and @eve:b.org banned.
 */
#include <stdio.h>
#include <string.h>

#include "../lib/tap.h"
#include "crypto/ed25519.h"
#include "crypto/jsonsign.h"
#include "evfix.h"
#include "rooms/auth.h"
#include "util/b64.h"
#include "util/err.h"

#define ALICE "@alice:a.org"
#define BOB "@bob:b.org"
#define CAROL "@carol:a.org"
#define DAVE "@dave:c.org"
#define EVE "@eve:b.org"
#define FRANK "@frank:a.org"
#define ROOM "!r:a.org"
#define CREATE_ID "$r:a.org" /* v12: the room ID is "!" + this */

#define MAXST 24

/* One event in a row: sender, type, state_key (NULL: not state), content. */
struct spec {
    const char *sender, *type, *state_key, *content;
};

struct row {
    int vmin, vmax;
    const char *name;
    struct spec ev;
    int allow;
    struct spec st[4]; /* extra state; content NULL removes the key */
};

struct tstate {
    const char *type[MAXST], *sk[MAXST];
    const struct sy_event *ev[MAXST];
    size_t n;
};

static const struct sy_event *
lookup(void *ctx, const char *type, const char *sk)
{
    struct tstate *s = ctx;
    size_t i = s->n;

    while (i-- > 0)
        if (strcmp(s->type[i], type) == 0 && strcmp(s->sk[i], sk) == 0)
            return s->ev[i];
    return NULL;
}

static int sig_answer; /* what signed_by says */

static int
signed_by(void *ctx, const struct sy_event *ev, const char *server)
{
    return sig_answer;
}

static int evn;

static struct sy_event *
mk(struct sy_arena *a, int ver, const struct spec *s)
{
    const char *sk = s->state_key ? sy_arena_printf(a, "'state_key':'%s',", s->state_key) : "";

    return ev_make(a, tv(ver), sy_arena_printf(a, "$e%d:x", ++evn),
                   sy_arena_printf(a,
                                   "{'room_id':'" ROOM "','sender':'%s','type':'%s',%s"
                                   "'content':%s,'prev_events':['$prev:x'],'auth_events':[]}",
                                   s->sender, s->type, sk, s->content ? s->content : "{}"));
}

static void
st_put(struct tstate *s, const char *type, const char *sk, const struct sy_event *ev)
{
    s->type[s->n] = type;
    s->sk[s->n] = sk;
    s->ev[s->n++] = ev;
}

static const char *
base_pl(int ver)
{
    return ver >= 12 ? "{'users':{'" CAROL "':50,'" FRANK "':50}}"
                     : "{'users':{'" ALICE "':100,'" CAROL "':50,'" FRANK "':50}}";
}

/* The create event of the base room for version ver. */
static const struct sy_event *
base_create(struct sy_arena *a, int ver, const char *content)
{
    if (content == NULL)
        content = ver >= 11 ? "{}" : "{'creator':'" ALICE "'}";
    return ev_make(a, tv(ver), CREATE_ID,
                   sy_arena_printf(a,
                                   "{%s'sender':'" ALICE "','type':'m.room.create','state_key':'',"
                                   "'content':%s,'prev_events':[],'auth_events':[]}",
                                   ver >= 12 ? "" : "'room_id':'" ROOM "',", content));
}

static void
base_state(struct sy_arena *a, int ver, struct tstate *s)
{
    static const char *const members[][2] = {
        {ALICE, "join"}, {CAROL, "join"}, {BOB, "join"}, {FRANK, "join"}, {EVE, "ban"}};
    struct spec sp;
    size_t i;

    memset(s, 0, sizeof(*s));
    st_put(s, "m.room.create", "", base_create(a, ver, NULL));
    for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        sp = (struct spec){members[i][0], "m.room.member", members[i][0],
                           sy_arena_printf(a, "{'membership':'%s'}", members[i][1])};
        st_put(s, "m.room.member", members[i][0], mk(a, ver, &sp));
    }
    sp = (struct spec){ALICE, "m.room.power_levels", "", base_pl(ver)};
    st_put(s, "m.room.power_levels", "", mk(a, ver, &sp));
    sp = (struct spec){ALICE, "m.room.join_rules", "", "{'join_rule':'public'}"};
    st_put(s, "m.room.join_rules", "", mk(a, ver, &sp));
}

#define JR(rule) {ALICE, "m.room.join_rules", "", "{'join_rule':'" rule "'}"}
#define MEM(u, m) {u, "m.room.member", u, "{'membership':'" m "'}"}
#define PL(c) {ALICE, "m.room.power_levels", "", c}
#define ALL 6, 12
#define YES 1
#define NO 0
#define PL_CAROL_MAY "{'users':{'" ALICE "':100,'" CAROL "':50,'" FRANK "':50},"

static const struct row rows[] = {
    /* joins */
    {ALL, "anyone may join a public room", MEM(DAVE, "join"), YES},
    {ALL, "invite-only room rejects an uninvited join", MEM(DAVE, "join"), NO, {JR("invite")}},
    {ALL, "invite-only room admits an invited user", MEM(DAVE, "join"), YES,
     {JR("invite"), MEM(DAVE, "invite")}},
    {ALL, "no join rules event means invite-only", MEM(DAVE, "join"), NO,
     {{ALICE, "m.room.join_rules", "", NULL}}},
    {ALL, "banned user cannot rejoin", MEM(EVE, "join"), NO},
    {ALL, "cannot join on behalf of another user", {ALICE, "m.room.member", DAVE, "{'membership':'join'}"}, NO},
    {ALL, "a joined user may re-join (profile change)", MEM(BOB, "join"), YES, {JR("invite")}},
    {7, 12, "knock room rejects an uninvited join", MEM(DAVE, "join"), NO, {JR("knock")}},
    {7, 12, "knock room admits an invited user", MEM(DAVE, "join"), YES,
     {JR("knock"), MEM(DAVE, "invite")}},
    {ALL, "unknown join rule rejects joins", MEM(DAVE, "join"), NO, {JR("private")}},
    /* restricted joins */
    {8, 12, "restricted join authorised by a joined inviter",
     {DAVE, "m.room.member", DAVE, "{'membership':'join','join_authorised_via_users_server':'" CAROL "'}"},
     YES, {JR("restricted")}},
    {6, 7, "restricted is not a join rule before v8",
     {DAVE, "m.room.member", DAVE, "{'membership':'join','join_authorised_via_users_server':'" CAROL "'}"},
     NO, {JR("restricted")}},
    {8, 12, "restricted join without an authorising user",
     MEM(DAVE, "join"), NO, {JR("restricted")}},
    {8, 12, "restricted join authorised by a user not in the room",
     {DAVE, "m.room.member", DAVE, "{'membership':'join','join_authorised_via_users_server':'@zed:a.org'}"},
     NO, {JR("restricted")}},
    {8, 12, "restricted join authorised by a user who cannot invite",
     {DAVE, "m.room.member", DAVE, "{'membership':'join','join_authorised_via_users_server':'" BOB "'}"},
     NO, {JR("restricted"), PL("{'users':{'" CAROL "':50},'invite':50}")}},
    {8, 12, "restricted join of an invited user needs no authoriser", MEM(DAVE, "join"), YES,
     {JR("restricted"), MEM(DAVE, "invite")}},
    {10, 12, "knock_restricted join authorised by a joined inviter",
     {DAVE, "m.room.member", DAVE, "{'membership':'join','join_authorised_via_users_server':'" CAROL "'}"},
     YES, {JR("knock_restricted")}},
    {6, 9, "knock_restricted is not a join rule before v10",
     {DAVE, "m.room.member", DAVE, "{'membership':'join','join_authorised_via_users_server':'" CAROL "'}"},
     NO, {JR("knock_restricted")}},
    {8, 12, "banned user cannot join a restricted room",
     {EVE, "m.room.member", EVE, "{'membership':'join','join_authorised_via_users_server':'" CAROL "'}"},
     NO, {JR("restricted")}},
    /* knocks */
    {7, 12, "knock on a knock room", MEM(DAVE, "knock"), YES, {JR("knock")}},
    {6, 6, "knock is an unknown membership in v6", MEM(DAVE, "knock"), NO, {JR("knock")}},
    {7, 12, "knock on a public room is rejected", MEM(DAVE, "knock"), NO},
    {7, 12, "knock on behalf of another user", {ALICE, "m.room.member", DAVE, "{'membership':'knock'}"}, NO,
     {JR("knock")}},
    {7, 12, "banned user cannot knock", MEM(EVE, "knock"), NO, {JR("knock")}},
    {7, 12, "joined user cannot knock", MEM(BOB, "knock"), NO, {JR("knock")}},
    {7, 12, "invited user cannot knock", MEM(DAVE, "knock"), NO, {JR("knock"), MEM(DAVE, "invite")}},
    {10, 12, "knock on a knock_restricted room", MEM(DAVE, "knock"), YES, {JR("knock_restricted")}},
    {7, 9, "knock_restricted does not allow knocks before v10", MEM(DAVE, "knock"), NO,
     {JR("knock_restricted")}},
    /* invites */
    {ALL, "member invites (invite level 0)", {BOB, "m.room.member", DAVE, "{'membership':'invite'}"}, YES},
    {ALL, "member below the invite level cannot invite",
     {BOB, "m.room.member", DAVE, "{'membership':'invite'}"}, NO, {PL("{'invite':50}")}},
    {ALL, "member at the invite level can invite",
     {CAROL, "m.room.member", DAVE, "{'membership':'invite'}"}, YES,
     {PL("{'users':{'" CAROL "':50},'invite':50}")}},
    {ALL, "cannot invite a banned user", {ALICE, "m.room.member", EVE, "{'membership':'invite'}"}, NO},
    {ALL, "cannot invite a joined user", {ALICE, "m.room.member", BOB, "{'membership':'invite'}"}, NO},
    {ALL, "non-member cannot invite", {DAVE, "m.room.member", "@zed:c.org", "{'membership':'invite'}"}, NO},
    /* leaves and kicks */
    {ALL, "member may leave", MEM(BOB, "leave"), YES},
    {ALL, "non-member cannot leave", MEM(DAVE, "leave"), NO},
    {ALL, "invited user may reject the invite", MEM(DAVE, "leave"), YES, {MEM(DAVE, "invite")}},
    {7, 12, "knocking user may rescind the knock", MEM(DAVE, "leave"), YES, {MEM(DAVE, "knock")}},
    {ALL, "banned user cannot unban themself", MEM(EVE, "leave"), NO},
    {ALL, "moderator kicks a lower user", {CAROL, "m.room.member", BOB, "{'membership':'leave'}"}, YES},
    {ALL, "user cannot kick a higher user", {BOB, "m.room.member", CAROL, "{'membership':'leave'}"}, NO},
    {ALL, "user cannot kick an equal user", {CAROL, "m.room.member", FRANK, "{'membership':'leave'}"}, NO},
    {ALL, "kick level above the sender", {CAROL, "m.room.member", BOB, "{'membership':'leave'}"}, NO,
     {PL("{'users':{'" CAROL "':50},'kick':60}")}},
    {ALL, "non-member cannot kick", {DAVE, "m.room.member", BOB, "{'membership':'leave'}"}, NO},
    {ALL, "moderator unbans", {CAROL, "m.room.member", EVE, "{'membership':'leave'}"}, YES},
    {ALL, "unban needs the ban level", {CAROL, "m.room.member", EVE, "{'membership':'leave'}"}, NO,
     {PL("{'users':{'" CAROL "':50},'ban':75}")}},
    /* bans */
    {ALL, "moderator bans a lower user", {CAROL, "m.room.member", BOB, "{'membership':'ban'}"}, YES},
    {ALL, "user cannot ban a higher user", {BOB, "m.room.member", CAROL, "{'membership':'ban'}"}, NO},
    {ALL, "user cannot ban an equal user", {CAROL, "m.room.member", FRANK, "{'membership':'ban'}"}, NO},
    {ALL, "ban level above the sender", {CAROL, "m.room.member", BOB, "{'membership':'ban'}"}, NO,
     {PL("{'users':{'" CAROL "':50},'ban':51}")}},
    {ALL, "non-member cannot ban", {DAVE, "m.room.member", BOB, "{'membership':'ban'}"}, NO},
    {ALL, "unknown membership", MEM(BOB, "dance"), NO},
    {ALL, "member event without membership", {BOB, "m.room.member", BOB, "{}"}, NO},
    {ALL, "member event without state_key", {BOB, "m.room.member", NULL, "{'membership':'join'}"}, NO},
    /* everything else */
    {ALL, "member sends a message", {BOB, "m.room.message", NULL, "{}"}, YES},
    {ALL, "non-member cannot send a message", {DAVE, "m.room.message", NULL, "{}"}, NO},
    {ALL, "invited user cannot send a message", {DAVE, "m.room.message", NULL, "{}"}, NO,
     {MEM(DAVE, "invite")}},
    {ALL, "message below events level", {BOB, "m.room.message", NULL, "{}"}, NO,
     {PL("{'events':{'m.room.message':10}}")}},
    {ALL, "message below events_default", {BOB, "m.room.message", NULL, "{}"}, NO,
     {PL("{'events_default':1}")}},
    {ALL, "state below state_default", {BOB, "m.room.topic", "", "{}"}, NO},
    {ALL, "state at state_default", {CAROL, "m.room.topic", "", "{}"}, YES},
    {ALL, "events entry overrides state_default", {BOB, "m.room.topic", "", "{}"}, YES,
     {PL("{'events':{'m.room.topic':0}}")}},
    {ALL, "state_key naming another user", {BOB, "x.y", "@carol:a.org", "{}"}, NO,
     {PL("{'state_default':0}")}},
    {ALL, "state_key naming the sender", {BOB, "x.y", BOB, "{}"}, YES, {PL("{'state_default':0}")}},
    {ALL, "third party invite at the invite level", {BOB, "m.room.third_party_invite", "tok", "{}"}, YES},
    {ALL, "third party invite below the invite level", {BOB, "m.room.third_party_invite", "tok", "{}"},
     NO, {PL("{'invite':1}")}},
    {ALL, "redaction event is a normal event for auth", {BOB, "m.room.redaction", NULL, "{'redacts':'$x:x'}"}, YES},
    {ALL, "redaction below its events level", {BOB, "m.room.redaction", NULL, "{'redacts':'$x:x'}"}, NO,
     {PL("{'events':{'m.room.redaction':50}}")}},
    {ALL, "no federation: other server's message", {BOB, "m.room.message", NULL, "{}"}, NO,
     {{ALICE, "m.room.create", "", "FED"}}},
    {ALL, "no federation: own server's message", {CAROL, "m.room.message", NULL, "{}"}, YES,
     {{ALICE, "m.room.create", "", "FED"}}},
    /* power levels */
    {ALL, "unprivileged member cannot change power levels",
     {BOB, "m.room.power_levels", "", "{'users':{'" BOB "':100}}"}, NO},
    {6, 11, "admin changes power levels", {ALICE, "m.room.power_levels", "", "{'users':{'" ALICE "':100,'" BOB "':50}}"}, YES},
    {12, 12, "creator changes power levels", {ALICE, "m.room.power_levels", "", "{'users':{'" BOB "':50}}"}, YES},
    {6, 11, "moderator raises a user to their own level",
     {CAROL, "m.room.power_levels", "", "{'events':{'m.room.power_levels':50},'users':{'" ALICE "':100,'" CAROL "':50,'" FRANK "':50,'" BOB "':50}}"}, YES,
     {PL(PL_CAROL_MAY "'events':{'m.room.power_levels':50}}")}},
    {6, 11, "moderator cannot raise a user above their level",
     {CAROL, "m.room.power_levels", "", "{'events':{'m.room.power_levels':50},'users':{'" ALICE "':100,'" CAROL "':50,'" FRANK "':50,'" BOB "':51}}"}, NO,
     {PL(PL_CAROL_MAY "'events':{'m.room.power_levels':50}}")}},
    {6, 11, "moderator cannot raise themself",
     {CAROL, "m.room.power_levels", "", "{'events':{'m.room.power_levels':50},'users':{'" ALICE "':100,'" CAROL "':60,'" FRANK "':50}}"}, NO,
     {PL(PL_CAROL_MAY "'events':{'m.room.power_levels':50}}")}},
    {6, 11, "moderator may lower themself",
     {CAROL, "m.room.power_levels", "", "{'events':{'m.room.power_levels':50},'users':{'" ALICE "':100,'" CAROL "':10,'" FRANK "':50}}"}, YES,
     {PL(PL_CAROL_MAY "'events':{'m.room.power_levels':50}}")}},
    {6, 11, "moderator cannot demote an equal user",
     {CAROL, "m.room.power_levels", "", "{'events':{'m.room.power_levels':50},'users':{'" ALICE "':100,'" CAROL "':50,'" FRANK "':0}}"}, NO,
     {PL(PL_CAROL_MAY "'events':{'m.room.power_levels':50}}")}},
    {6, 11, "moderator cannot remove an equal user",
     {CAROL, "m.room.power_levels", "", "{'events':{'m.room.power_levels':50},'users':{'" ALICE "':100,'" CAROL "':50}}"}, NO,
     {PL(PL_CAROL_MAY "'events':{'m.room.power_levels':50}}")}},
    {6, 11, "moderator cannot raise the ban level above their own",
     {CAROL, "m.room.power_levels", "", "{'ban':60,'events':{'m.room.power_levels':50},'users':{'" ALICE "':100,'" CAROL "':50,'" FRANK "':50}}"}, NO,
     {PL(PL_CAROL_MAY "'events':{'m.room.power_levels':50}}")}},
    {6, 11, "moderator may lower the ban level",
     {CAROL, "m.room.power_levels", "", "{'ban':40,'events':{'m.room.power_levels':50},'users':{'" ALICE "':100,'" CAROL "':50,'" FRANK "':50}}"}, YES,
     {PL(PL_CAROL_MAY "'events':{'m.room.power_levels':50}}")}},
    {6, 11, "moderator cannot lower a kick level above their own",
     {CAROL, "m.room.power_levels", "", "{'kick':50,'events':{'m.room.power_levels':50},'users':{'" ALICE "':100,'" CAROL "':50,'" FRANK "':50}}"}, NO,
     {PL(PL_CAROL_MAY "'kick':75,'events':{'m.room.power_levels':50}}")}},
    {6, 11, "moderator cannot add an events entry above their level",
     {CAROL, "m.room.power_levels", "", "{'events':{'m.room.power_levels':50,'m.room.topic':100},'users':{'" ALICE "':100,'" CAROL "':50,'" FRANK "':50}}"}, NO,
     {PL(PL_CAROL_MAY "'events':{'m.room.power_levels':50}}")}},
    {6, 11, "moderator cannot change an events entry above their level",
     {CAROL, "m.room.power_levels", "", "{'events':{'m.room.power_levels':50,'m.room.name':0},'users':{'" ALICE "':100,'" CAROL "':50,'" FRANK "':50}}"}, NO,
     {PL(PL_CAROL_MAY "'events':{'m.room.power_levels':50,'m.room.name':100}}")}},
    {6, 11, "moderator cannot set a notifications level above their level",
     {CAROL, "m.room.power_levels", "", "{'notifications':{'room':100},'events':{'m.room.power_levels':50},'users':{'" ALICE "':100,'" CAROL "':50,'" FRANK "':50}}"}, NO,
     {PL(PL_CAROL_MAY "'events':{'m.room.power_levels':50}}")}},
    {10, 12, "string power level rejected from v10", {ALICE, "m.room.power_levels", "", "{'ban':'50'}"}, NO},
    {6, 9, "string power level accepted before v10", {ALICE, "m.room.power_levels", "", "{'ban':' +50 ','users':{'" ALICE "':'100'}}"}, YES},
    {6, 9, "malformed string power level", {ALICE, "m.room.power_levels", "", "{'ban':'5x'}"}, NO},
    {10, 12, "string user level rejected from v10", {ALICE, "m.room.power_levels", "", "{'users':{'" BOB "':'50'}}"}, NO},
    {10, 12, "string events level rejected from v10", {ALICE, "m.room.power_levels", "", "{'events':{'m.room.name':'50'}}"}, NO},
    {ALL, "boolean power level", {ALICE, "m.room.power_levels", "", "{'kick':true}"}, NO},
    {ALL, "users key is not a user ID", {ALICE, "m.room.power_levels", "", "{'users':{'bob':50}}"}, NO},
    {ALL, "users is not an object", {ALICE, "m.room.power_levels", "", "{'users':[]}"}, NO},
    {ALL, "first power levels event by the creator", {ALICE, "m.room.power_levels", "", "{}"}, YES,
     {{ALICE, "m.room.power_levels", "", NULL}}},
    {ALL, "without power levels only the creator may send state", {CAROL, "m.room.topic", "", "{}"}, NO,
     {{ALICE, "m.room.power_levels", "", NULL}}},
    {ALL, "without power levels members may send messages", {BOB, "m.room.message", NULL, "{}"}, YES,
     {{ALICE, "m.room.power_levels", "", NULL}}},
    /* v12 creators */
    {12, 12, "creator may not be listed in users", {ALICE, "m.room.power_levels", "", "{'users':{'" ALICE "':100}}"}, NO},
    {12, 12, "creator outranks any level", {ALICE, "m.room.member", FRANK, "{'membership':'ban'}"}, YES,
     {PL("{'users':{'" FRANK "':9007199254740991}}")}},
    {6, 11, "before v12 the creator is an ordinary 100", {ALICE, "m.room.member", FRANK, "{'membership':'ban'}"}, NO,
     {PL("{'users':{'" ALICE "':100,'" FRANK "':9007199254740991}}")}},
    {12, 12, "creator cannot be kicked", {CAROL, "m.room.member", ALICE, "{'membership':'leave'}"}, NO,
     {PL("{'users':{'" CAROL "':100},'kick':0}")}},
    {12, 12, "additional creator outranks everyone", {"@gina:d.org", "m.room.member", CAROL, "{'membership':'ban'}"}, YES,
     {{ALICE, "m.room.create", "", "GINA"}, MEM("@gina:d.org", "join")}},
    {12, 12, "additional creator may not be listed in users",
     {ALICE, "m.room.power_levels", "", "{'users':{'@gina:d.org':50}}"}, NO,
     {{ALICE, "m.room.create", "", "GINA"}}},
    {11, 11, "additional_creators means nothing in v11", {"@gina:d.org", "m.room.member", CAROL, "{'membership':'ban'}"}, NO,
     {{ALICE, "m.room.create", "", "GINA"}, MEM("@gina:d.org", "join")}},
};

/* Put a row's extra state on top of the base state. */
static void
row_state(struct sy_arena *a, int ver, const struct row *r, struct tstate *s)
{
    const char *c;
    size_t i;

    base_state(a, ver, s);
    for (i = 0; i < 4 && r->st[i].type != NULL; i++) {
        c = r->st[i].content;
        if (c == NULL) {
            st_put(s, r->st[i].type, r->st[i].state_key, NULL);
        } else if (strcmp(r->st[i].type, "m.room.create") == 0) {
            c = strcmp(c, "FED") == 0 ? (ver >= 11 ? "{'m.federate':false}"
                                                   : "{'creator':'" ALICE "','m.federate':false}")
                                      : (ver >= 11 ? "{'additional_creators':['@gina:d.org']}"
                                                   : "{'creator':'" ALICE "','additional_creators':['@gina:d.org']}");
            st_put(s, "m.room.create", "", base_create(a, ver, c));
        } else if (ver >= 12 && strcmp(r->st[i].type, "m.room.power_levels") == 0 &&
                   strstr(c, ALICE) != NULL) {
            /* v12 rows reuse the v6-11 power levels without the creator's entry. */
            char *t = sy_arena_strdup(a, c), *p = strstr(t, "'" ALICE "':100,");

            if (p != NULL)
                memmove(p, p + strlen("'" ALICE "':100,"), strlen(p + strlen("'" ALICE "':100,")) + 1);
            st_put(s, r->st[i].type, r->st[i].state_key,
                   mk(a, ver, &(struct spec){ALICE, r->st[i].type, "", t}));
        } else {
            st_put(s, r->st[i].type, r->st[i].state_key, mk(a, ver, &r->st[i]));
        }
    }
}

static void
run_rows(void)
{
    struct sy_arena *a = sy_arena_new();
    struct sy_auth_state st = {.lookup = lookup, .signed_by = signed_by};
    struct sy_error err;
    struct tstate s;
    size_t i;
    int v, rc;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        for (v = rows[i].vmin; v <= rows[i].vmax; v++) {
            row_state(a, v, &rows[i], &s);
            st.ctx = &s;
            memset(&err, 0, sizeof(err));
            rc = sy_auth_check(mk(a, v, &rows[i].ev), &st, &err);
            if (!ok(rows[i].allow ? rc == SY_OK : rc == SY_EFORBIDDEN, "v%d %s: %s", v,
                    rows[i].name, rows[i].allow ? "allowed" : "rejected"))
                diag("rc %d: %s", rc, err.msg);
        }
    }
    sy_arena_free(a);
}

static int
check_one(struct sy_arena *a, int ver, const char *id, const char *json, struct tstate *s)
{
    struct sy_auth_state st = {.lookup = lookup, .signed_by = signed_by, .ctx = s};

    return sy_auth_check(ev_make(a, tv(ver), id, json), &st, NULL);
}

static void
test_create(void)
{
    struct sy_arena *a = sy_arena_new();
    struct tstate s = {0};
    int v;

    for (v = 6; v <= 12; v++) {
        const char *rid = v >= 12 ? "" : "'room_id':'" ROOM "',";
        const char *cr = v >= 11 ? "" : "'creator':'" ALICE "',";

#define CREATE(extra, content)                                                                     \
    sy_arena_printf(a,                                                                             \
                    "{%s'sender':'" ALICE "','type':'m.room.create','state_key':'',"               \
                    "'content':{%s%s},'prev_events':[%s],'auth_events':[]}",                       \
                    rid, cr, content, extra)
        is_int(check_one(a, v, CREATE_ID, CREATE("", "'room_version':'1'"), &s), SY_OK,
               "v%d create allowed", v);
        is_int(check_one(a, v, CREATE_ID, CREATE("'$p:x'", "'room_version':'1'"), &s),
               SY_EFORBIDDEN, "v%d create with prev_events rejected", v);
        is_int(check_one(a, v, CREATE_ID, CREATE("", "'room_version':'99'"), &s), SY_EFORBIDDEN,
               "v%d create naming an unknown room version rejected", v);
        if (v < 12)
            is_int(check_one(a, v, CREATE_ID,
                             sy_arena_printf(a,
                                             "{'room_id':'!r:b.org','sender':'" ALICE
                                             "','type':'m.room.create','state_key':'',"
                                             "'content':{%s'x':1},'prev_events':[]}",
                                             cr),
                             &s),
                   SY_EFORBIDDEN, "v%d create whose room_id domain is not the sender's", v);
    }
    for (v = 6; v <= 11; v++) {
        const char *j = "{'room_id':'" ROOM "','sender':'" ALICE
                        "','type':'m.room.create','state_key':'','content':{},'prev_events':[]}";

        is_int(check_one(a, v, CREATE_ID, j, &s), v >= 11 ? SY_OK : SY_EFORBIDDEN,
               "v%d create without creator %s", v, v >= 11 ? "allowed (v11 implicit)" : "rejected");
    }
    is_int(check_one(a, 12, CREATE_ID,
                     "{'room_id':'" ROOM "','sender':'" ALICE
                     "','type':'m.room.create','state_key':'','content':{},'prev_events':[]}",
                     &s),
           SY_EFORBIDDEN, "v12 create with a room_id rejected");
    is_int(check_one(a, 12, CREATE_ID,
                     "{'sender':'" ALICE "','type':'m.room.create','state_key':'',"
                     "'content':{'additional_creators':['@b:x']},'prev_events':[]}",
                     &s),
           SY_OK, "v12 create with additional_creators allowed");
    is_int(check_one(a, 12, CREATE_ID,
                     "{'sender':'" ALICE "','type':'m.room.create','state_key':'',"
                     "'content':{'additional_creators':'@b:x'},'prev_events':[]}",
                     &s),
           SY_EFORBIDDEN, "v12 additional_creators not an array rejected");
    is_int(check_one(a, 12, CREATE_ID,
                     "{'sender':'" ALICE "','type':'m.room.create','state_key':'',"
                     "'content':{'additional_creators':['bob']},'prev_events':[]}",
                     &s),
           SY_EFORBIDDEN, "v12 additional_creators with a non user ID rejected");
    sy_arena_free(a);
}

/* The creator's first join (prev event: the create event), in a room with only a create event. */
static void
test_creator_join(void)
{
    struct sy_arena *a = sy_arena_new();
    struct tstate s;
    int v;

    for (v = 6; v <= 12; v++) {
        memset(&s, 0, sizeof(s));
        st_put(&s, "m.room.create", "", base_create(a, v, NULL));
        is_int(check_one(a, v, "$j:x",
                         "{'room_id':'" ROOM "','sender':'" ALICE "','type':'m.room.member',"
                         "'state_key':'" ALICE "','content':{'membership':'join'},"
                         "'prev_events':['" CREATE_ID "']}",
                         &s),
               SY_OK, "v%d creator's first join allowed", v);
        is_int(check_one(a, v, "$j:x",
                         "{'room_id':'" ROOM "','sender':'" CAROL "','type':'m.room.member',"
                         "'state_key':'" CAROL "','content':{'membership':'join'},"
                         "'prev_events':['" CREATE_ID "']}",
                         &s),
               SY_EFORBIDDEN, "v%d someone else's first join rejected", v);
        /* v11+: the creator is the create event's sender, not content.creator. */
        s.ev[0] = base_create(a, v, "{'creator':'" CAROL "'}");
        is_int(check_one(a, v, "$j:x",
                         "{'room_id':'" ROOM "','sender':'" CAROL "','type':'m.room.member',"
                         "'state_key':'" CAROL "','content':{'membership':'join'},"
                         "'prev_events':['" CREATE_ID "']}",
                         &s),
               v >= 11 ? SY_EFORBIDDEN : SY_OK, "v%d content.creator %s", v,
               v >= 11 ? "ignored from v11" : "names the creator before v11");
    }
    memset(&s, 0, sizeof(s));
    st_put(&s, "m.room.create", "", ev_make(a, tv(12), "$other:x",
                                            "{'sender':'" ALICE "','type':'m.room.create',"
                                            "'state_key':'','content':{},'prev_events':[]}"));
    is_int(check_one(a, 12, "$j:x",
                     "{'room_id':'" ROOM "','sender':'" ALICE "','type':'m.room.member',"
                     "'state_key':'" ALICE "','content':{'membership':'join'},"
                     "'prev_events':['$other:x']}",
                     &s),
           SY_EFORBIDDEN, "v12 event whose room_id is not its create event's ID rejected");
    sy_arena_free(a);
}

/* Third party invites with a real ed25519 signature over content.third_party_invite.signed. */
static void
test_third_party_invite(void)
{
    struct sy_arena *a = sy_arena_new();
    struct sy_signing_key k, k2;
    struct tstate s;
    struct json_object *signed_obj;
    const char *signed_text, *inv;
    int v = 10;

    sy_ed25519_generate(&k);
    sy_ed25519_generate(&k2);
    signed_obj = json_tokener_parse("{\"mxid\":\"" DAVE "\",\"token\":\"tok\"}");
    sy_json_own(a, signed_obj);
    sy_jsonsign_sign(signed_obj, "id.example", &k, NULL);
    signed_text = sy_arena_strdup(a, json_object_to_json_string(signed_obj));
    base_state(a, v, &s);
#define TPI(sender, pub)                                                                           \
    st_put(&s, "m.room.third_party_invite", "tok",                                                 \
           mk(a, v,                                                                                \
              &(struct spec){sender, "m.room.third_party_invite", "tok",                           \
                             sy_arena_printf(a, "{'public_keys':[{'public_key':'%s'}]}", pub)}))
#define INVITE(target, signed_json)                                                                \
    sy_arena_printf(a,                                                                             \
                    "{'room_id':'" ROOM "','sender':'" BOB "','type':'m.room.member',"             \
                    "'state_key':'%s','content':{'membership':'invite',"                           \
                    "'third_party_invite':{'signed':%s}},'prev_events':[]}",                       \
                    target, signed_json)
    TPI(BOB, sy_ed25519_public_b64(a, &k));
    is_int(check_one(a, v, "$i:x", INVITE(DAVE, signed_text), &s), SY_OK,
           "third party invite with a valid signature allowed");
    is_int(check_one(a, v, "$i:x", INVITE(DAVE, "{'mxid':'" DAVE "','token':'tok'}"), &s),
           SY_EFORBIDDEN, "third party invite without signatures rejected");
    is_int(check_one(a, v, "$i:x", INVITE(DAVE, "{'token':'tok'}"), &s), SY_EFORBIDDEN,
           "third party invite without mxid rejected");
    is_int(check_one(a, v, "$i:x", INVITE("@zed:c.org", signed_text), &s), SY_EFORBIDDEN,
           "third party invite whose mxid is not the state_key rejected");
    inv = sy_arena_printf(a,
                          "{'room_id':'" ROOM "','sender':'" BOB "','type':'m.room.member',"
                          "'state_key':'" DAVE "','content':{'membership':'invite',"
                          "'third_party_invite':{}},'prev_events':[]}");
    is_int(check_one(a, v, "$i:x", inv, &s), SY_EFORBIDDEN,
           "third party invite without signed rejected");
    TPI(BOB, sy_ed25519_public_b64(a, &k2));
    is_int(check_one(a, v, "$i:x", INVITE(DAVE, signed_text), &s), SY_EFORBIDDEN,
           "third party invite signed with another key rejected");
    TPI(CAROL, sy_ed25519_public_b64(a, &k));
    is_int(check_one(a, v, "$i:x", INVITE(DAVE, signed_text), &s), SY_EFORBIDDEN,
           "third party invite from someone other than the token's sender rejected");
    TPI(BOB, sy_ed25519_public_b64(a, &k));
    st_put(&s, "m.room.member", DAVE, mk(a, v, &(struct spec)MEM(DAVE, "ban")));
    is_int(check_one(a, v, "$i:x", INVITE(DAVE, signed_text), &s), SY_EFORBIDDEN,
           "third party invite of a banned user rejected");
    st_put(&s, "m.room.third_party_invite", "tok", NULL);
    st_put(&s, "m.room.member", DAVE, NULL);
    is_int(check_one(a, v, "$i:x", INVITE(DAVE, signed_text), &s), SY_EFORBIDDEN,
           "third party invite without an m.room.third_party_invite rejected");
    sy_ed25519_clear(&k);
    sy_ed25519_clear(&k2);
    sy_arena_free(a);
}

static void
test_authorising_signature(void)
{
    struct sy_arena *a = sy_arena_new();
    struct tstate s;
    const char *j = "{'room_id':'" ROOM "','sender':'" DAVE "','type':'m.room.member',"
                    "'state_key':'" DAVE "','content':{'membership':'join',"
                    "'join_authorised_via_users_server':'" CAROL "'},'prev_events':[]}";

    base_state(a, 9, &s);
    st_put(&s, "m.room.join_rules", "", mk(a, 9, &(struct spec)JR("restricted")));
    sig_answer = 0;
    is_int(check_one(a, 9, "$j:x", j, &s), SY_OK, "restricted join signed by the authorising server");
    sig_answer = SY_EFORBIDDEN;
    is_int(check_one(a, 9, "$j:x", j, &s), SY_EFORBIDDEN,
           "restricted join not signed by the authorising server rejected");
    sig_answer = 0;
    sy_arena_free(a);
}

static int
has_pair(const struct sy_auth_key *k, size_t n, const char *type, const char *sk)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(k[i].type, type) == 0 && strcmp(k[i].state_key, sk) == 0)
            return 1;
    return 0;
}

static void
test_selection(void)
{
    struct sy_arena *a = sy_arena_new();
    struct sy_auth_key k[SY_AUTH_MAX_KEYS];
    struct sy_event *ev;
    size_t n;

    ev = ev_make(a, tv(10), "$m:x",
                 "{'room_id':'" ROOM "','sender':'" DAVE "','type':'m.room.member','state_key':'" DAVE
                 "','content':{'membership':'join','join_authorised_via_users_server':'" CAROL "'}}");
    ok(sy_auth_event_types_needed(ev, k, &n, NULL) == SY_OK && n == 5 &&
           has_pair(k, n, "m.room.create", "") && has_pair(k, n, "m.room.power_levels", "") &&
           has_pair(k, n, "m.room.member", DAVE) && has_pair(k, n, "m.room.join_rules", "") &&
           has_pair(k, n, "m.room.member", CAROL),
       "restricted join: create, power levels, member (once), join rules, authoriser");
    ev = ev_make(a, tv(7), "$m:x",
                 "{'room_id':'" ROOM "','sender':'" DAVE "','type':'m.room.member','state_key':'" DAVE
                 "','content':{'membership':'join','join_authorised_via_users_server':'" CAROL "'}}");
    ok(sy_auth_event_types_needed(ev, k, &n, NULL) == SY_OK && n == 4 &&
           !has_pair(k, n, "m.room.member", CAROL),
       "v7: no authorising user (restricted rooms start in v8)");
    ev = ev_make(a, tv(12), "$m:x",
                 "{'room_id':'" ROOM "','sender':'" BOB "','type':'m.room.member','state_key':'" DAVE
                 "','content':{'membership':'invite','third_party_invite':{'signed':{'token':'t'}}}}");
    ok(sy_auth_event_types_needed(ev, k, &n, NULL) == SY_OK && n == 5 &&
           !has_pair(k, n, "m.room.create", "") && has_pair(k, n, "m.room.member", BOB) &&
           has_pair(k, n, "m.room.third_party_invite", "t"),
       "v12 3pid invite: no create; sender, target, join rules, token");
    ev = ev_make(a, tv(11), "$m:x",
                 "{'room_id':'" ROOM "','sender':'" BOB "','type':'m.room.member','state_key':'" BOB
                 "','content':{'membership':'leave'}}");
    ok(sy_auth_event_types_needed(ev, k, &n, NULL) == SY_OK && n == 3 &&
           !has_pair(k, n, "m.room.join_rules", ""),
       "leave: no join rules");
    ev = ev_make(a, tv(11), "$m:x", "{'sender':'" BOB "','type':'m.room.create','state_key':''}");
    ok(sy_auth_event_types_needed(ev, k, &n, NULL) == SY_OK && n == 0, "create: none");
    ev = ev_make(a, tv(11), "$m:x",
                 "{'sender':'" BOB "','type':'m.room.member','state_key':'" BOB "','content':{}}");
    is_int(sy_auth_event_types_needed(ev, k, &n, NULL), SY_EINVAL, "member without membership");
    sy_arena_free(a);
}

static void
test_auth_events_check(void)
{
    struct sy_arena *a = sy_arena_new();
    struct sy_auth_state st = {.lookup = lookup};
    const struct sy_event *auth[4];
    struct sy_event *msg;
    struct tstate s;
    int rej[4] = {0};
    int v;

    for (v = 10; v <= 12; v += 2) {
        base_state(a, v, &s);
        st.ctx = &s;
        const struct sy_event *create = lookup(&s, "m.room.create", "");
        const struct sy_event *pl = lookup(&s, "m.room.power_levels", "");
        const struct sy_event *mb = lookup(&s, "m.room.member", BOB);
        const struct sy_event *jr = lookup(&s, "m.room.join_rules", "");
        const char *ids = v >= 12 ? sy_arena_printf(a, "'%s','%s'", pl->event_id, mb->event_id)
                                  : sy_arena_printf(a, "'%s','%s','%s'", create->event_id,
                                                    pl->event_id, mb->event_id);
        size_t n = v >= 12 ? 2 : 3;

        msg = ev_make(a, tv(v), "$msg:x",
                      sy_arena_printf(a,
                                      "{'room_id':'" ROOM "','sender':'" BOB "','type':'m.room."
                                      "message','content':{},'auth_events':[%s]}",
                                      ids));
        if (v >= 12)
            auth[0] = pl, auth[1] = mb;
        else
            auth[0] = create, auth[1] = pl, auth[2] = mb;
        is_int(sy_auth_check_auth_events(msg, auth, rej, n, NULL), SY_OK, "v%d right auth events", v);
        is_int(sy_auth_check_auth_events_exact(msg, &st, NULL), SY_OK,
               "v%d auth events exactly the selected ones", v);
        rej[1] = 1;
        is_int(sy_auth_check_auth_events(msg, auth, rej, n, NULL), SY_EFORBIDDEN,
               "v%d rejected auth event", v);
        rej[1] = 0;
        auth[n - 1] = jr;
        is_int(sy_auth_check_auth_events(msg, auth, rej, n, NULL), SY_EFORBIDDEN,
               "v%d join rules are not an auth event of a message", v);
        auth[n - 1] = pl;
        is_int(sy_auth_check_auth_events(msg, auth, rej, n, NULL), SY_EFORBIDDEN,
               "v%d duplicate auth event", v);
        auth[n - 1] = NULL;
        is_int(sy_auth_check_auth_events(msg, auth, rej, n, NULL), SY_ENOTFOUND,
               "v%d unknown auth event", v);
        auth[n - 1] = mb;
        is_int(sy_auth_check_auth_events(msg, auth, rej, n - 1, NULL), SY_OK,
               "v%d at most the right ones: fewer is fine", v);
        is_int(sy_auth_check_auth_events_exact(
                   ev_make(a, tv(v), "$m2:x",
                           sy_arena_printf(a,
                                           "{'room_id':'" ROOM "','sender':'" BOB "','type':'m.room."
                                           "message','content':{},'auth_events':['%s']}",
                                           pl->event_id)),
                   &st, NULL),
               SY_EFORBIDDEN, "v%d missing sender's membership is not exact", v);
        if (v < 12) {
            auth[0] = pl, auth[1] = mb;
            is_int(sy_auth_check_auth_events(msg, auth, rej, 2, NULL), SY_EFORBIDDEN,
                   "v%d no create among the auth events", v);
        } else {
            auth[0] = create, auth[1] = pl, auth[2] = mb;
            is_int(sy_auth_check_auth_events(msg, auth, rej, 3, NULL), SY_EFORBIDDEN,
                   "v12 create among the auth events");
        }
        auth[0] = ev_make(a, tv(v), "$o:x",
                          "{'room_id':'!o:a.org','sender':'" ALICE "','type':'m.room.power_levels',"
                          "'state_key':'','content':{}}");
        auth[1] = mb;
        is_int(sy_auth_check_auth_events(msg, auth, rej, 2, NULL), SY_EFORBIDDEN,
               "v%d auth event from another room", v);
    }
    sy_arena_free(a);
}

static void
test_redaction(void)
{
    struct sy_arena *a = sy_arena_new();
    struct sy_auth_state st = {.lookup = lookup};
    struct tstate s;
    const struct sy_event *mine, *carols, *red;
    int v;

    for (v = 6; v <= 12; v++) {
        base_state(a, v, &s);
        st.ctx = &s;
        mine = mk(a, v, &(struct spec){BOB, "m.room.message", NULL, "{}"});
        carols = mk(a, v, &(struct spec){CAROL, "m.room.message", NULL, "{}"});
#define REDACT(sender, target)                                                                     \
    ev_make(a, tv(v), "$red:x",                                                                    \
            sy_arena_printf(a,                                                                     \
                            v >= 11 ? "{'room_id':'" ROOM "','sender':'%s','type':'m.room."        \
                                      "redaction','content':{'redacts':'%s'}}"                     \
                                    : "{'room_id':'" ROOM "','sender':'%s','type':'m.room."        \
                                      "redaction','redacts':'%s','content':{}}",                   \
                            sender, (target)->event_id))
        red = REDACT(BOB, carols);
        ok(!sy_auth_redaction_applies(red, carols, &st),
           "v%d unprivileged user cannot redact others' events", v);
        ok(sy_auth_check(red, &st, NULL) == SY_OK,
           "v%d ... though the redaction event itself passes auth", v);
        ok(sy_auth_redaction_applies(REDACT(CAROL, mine), mine, &st),
           "v%d moderator (redact level) redacts others' events", v);
        ok(sy_auth_redaction_applies(REDACT(BOB, mine), mine, &st), "v%d user redacts own event",
           v);
        ok(sy_auth_redaction_applies(REDACT("@bob2:b.org", mine), mine, &st),
           "v%d same server may redact", v);
        ok(!sy_auth_redaction_applies(REDACT(BOB, mine), carols, &st),
           "v%d redaction of another event does not apply", v);
    }
    sy_arena_free(a);
}

static void
test_levels(void)
{
    struct sy_arena *a = sy_arena_new();
    struct sy_auth_state st = {.lookup = lookup};
    struct tstate s;

    base_state(a, 12, &s);
    st.ctx = &s;
    ok(sy_auth_user_level(&st, ALICE) == SY_AUTH_CREATOR_LEVEL, "v12 creator level is infinite");
    is_int(sy_auth_user_level(&st, CAROL), 50, "listed user level");
    is_int(sy_auth_user_level(&st, DAVE), 0, "users_default");
    is_int(sy_auth_required_level(&st, "m.room.topic", ""), 50, "state_default");
    is_int(sy_auth_required_level(&st, "m.room.message", NULL), 0, "events_default");
    base_state(a, 8, &s);
    st_put(&s, "m.room.power_levels", "", NULL);
    is_int(sy_auth_user_level(&st, ALICE), 100, "v8 creator without power levels: 100");
    is_str(sy_auth_domain("@a:b.c:8448"), "b.c:8448", "domain keeps the port");
    sy_arena_free(a);
}

int
main(void)
{
    run_rows();
    test_create();
    test_creator_join();
    test_third_party_invite();
    test_authorising_signature();
    test_selection();
    test_auth_events_check();
    test_redaction();
    test_levels();
    return done_testing();
}
