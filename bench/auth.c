/*
 * bench/auth.c -- login and registration rates:
 *
 *   login C SECONDS     m.login.password in a closed loop, rotating over the
 *                       bu* users (one scrypt hash each on the server)
 *   register C SECONDS  the full user-interactive flow (401, then
 *                       m.login.dummy) for new users; the latency covers
 *                       both round trips
 */
#include <string.h>

#include "loadgen.h"

static int n_bu, login_conc;

/* Both succeed with an access token. */
static void
token_done(struct client *c, int status, const char *body, size_t len)
{
    loop_answer(c, status == 200 && strstr(body, "access_token") != NULL, status, body);
}

static void
login_issue(struct client *c)
{
    char req[512];
    int k = (int)((c->idx + c->seq * login_conc) % n_bu);

    c->seq++;
    snprintf(req, sizeof(req),
             "{\"type\":\"m.login.password\",\"identifier\":{\"type\":\"m.id.user\","
             "\"user\":\"bu%d\"},\"password\":\"bu%d" PASSWORD_SUFFIX "\"}",
             k, k);
    http(c, EVHTTP_REQ_POST, "/_matrix/client/v3/login", req, token_done);
}

int
cmd_login(int conc, double seconds)
{
    struct client **cl;

    state_load();
    n_bu = bu_count();
    login_conc = conc;
    cl = clients_new(conc);
    loop_run(cl, conc, seconds, login_issue);
    loop_report("login", "logins_per_s");
    clients_free(cl, conc);
    return 0;
}

static void
reg_issue(struct client *c)
{
    char name[128];

    c->seq++;
    snprintf(name, sizeof(name), "r%sx%dx%ld", run_tag, c->idx, c->seq);
    register_user(c, name, token_done);
}

int
cmd_register(int conc, double seconds)
{
    struct client **cl = clients_new(conc);

    loop_run(cl, conc, seconds, reg_issue);
    loop_report("register", "registrations_per_s");
    clients_free(cl, conc);
    return 0;
}
