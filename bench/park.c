/*
 * bench/park.c -- memory of parked long-polls: "park N".
 *
 * syncrod's RSS before, with N long-poll /sync requests (timeout 600 s)
 * parked on N connections spread over the bu* users, and 3 s after they
 * all closed.  The clients use several source addresses, so no single
 * address pair runs out of ephemeral ports.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loadgen.h"

#define PARK_SOURCES 10

/*
 * Connections are opened in paced batches: should the server close some of
 * them at accept when a burst of thousands arrives, a closed one goes back
 * on a retry list and the batch shrinks (additive increase, multiplicative
 * decrease); "dropped_and_retried" counts them.
 */
static struct {
    int n, opened, phase, batch;
    long early, errors, errors_seen;
    char **since; /* per user */
    int n_since;
    struct client **cl;
    int *retry, n_retry;
    struct event *opener, *watch;
    long long last_ticks;
    int quiet;
    double t_all_open, t_last_error, deadline;
    long rss_parked;
} PK;

static void park_issue(struct client *c);

static void
park_done(struct client *c, int status, const char *body, size_t len)
{
    if (PK.phase != 0)
        return;
    if (status == 200) {
        struct json_object *o = parse_json(body, len);

        PK.early++;
        client_take_since(c, o);
        json_object_put(o);
        park_issue(c);
        return;
    }
    if (++PK.errors <= 3)
        note("parked /sync: HTTP %d %.200s (retried)", status, body);
    PK.t_last_error = now_ms();
    PK.retry[PK.n_retry++] = c->idx;
}

static void
park_issue(struct client *c)
{
    char path[700];

    sync_path(path, sizeof(path), c->since != NULL ? c->since : PK.since[c->user], 600000, NULL);
    http(c, EVHTTP_REQ_GET, path, NULL, park_done);
}

static void
park_open(evutil_socket_t fd, short what, void *arg)
{
    int budget;

    if (PK.errors > PK.errors_seen)
        PK.batch = PK.batch / 2 > 10 ? PK.batch / 2 : 10;
    else if (PK.batch < 500)
        PK.batch += 20;
    PK.errors_seen = PK.errors;
    budget = PK.batch;
    while (budget > 0 && PK.n_retry > 0) {
        park_issue(PK.cl[PK.retry[--PK.n_retry]]);
        budget--;
    }
    for (; budget > 0 && PK.opened < PK.n; budget--) {
        int i = PK.opened++;
        char src[32];

        snprintf(src, sizeof(src), "127.0.0.%d", 2 + i % PARK_SOURCES);
        PK.cl[i] = client_new(i, src);
        PK.cl[i]->user = i % PK.n_since;
        PK.cl[i]->token = users[bu_index(PK.cl[i]->user)].token;
        park_issue(PK.cl[i]);
    }
    if (PK.opened == PK.n && PK.n_retry == 0 && PK.t_all_open == 0)
        PK.t_all_open = now_ms();
}

/* Parked: everything sent, no drop for 2 s, syncrod's CPU quiet twice in a row. */
static void
park_watch(evutil_socket_t fd, short what, void *arg)
{
    long long t = proc_ticks(server_pid);
    double now = now_ms();

    if (t - PK.last_ticks <= 1)
        PK.quiet++;
    else
        PK.quiet = 0;
    PK.last_ticks = t;
    if (PK.n_retry > 0 || PK.opened < PK.n) {
        PK.t_all_open = 0;
        if (now < PK.deadline)
            return;
    } else if (PK.t_all_open == 0) {
        PK.t_all_open = now;
    }
    if ((PK.quiet >= 2 && now - PK.t_all_open > 1000 && now - PK.t_last_error > 2000) ||
        now > PK.deadline) {
        if (now > PK.deadline)
            note("not all long-polls parked in time; measuring anyway");
        PK.rss_parked = proc_rss_kb(server_pid);
        event_base_loopbreak(base);
    }
}

static void
park_init_done(struct client *c, int status, const char *body, size_t len)
{
    PK.since[c->seq] = next_batch_or_die("initial /sync", status, body, len);
    batch_next(c);
}

static void
park_init_start(struct client *c, int job)
{
    char path[700];

    c->seq = job;
    c->token = users[bu_index(job)].token;
    sync_path(path, sizeof(path), NULL, 0, TIMELINE_FILTER);
    http(c, EVHTTP_REQ_GET, path, NULL, park_init_done);
}

/* Open the N long-polls (paced, retried) and wait until they are parked. */
static void
park_all(int n)
{
    struct timeval open_tv = {0, 100000}, watch_tv = {0, 500000};
    double t0;

    PK.n = n;
    PK.batch = 100;
    PK.cl = xcalloc((size_t)n, sizeof(*PK.cl));
    PK.retry = xcalloc((size_t)n, sizeof(int));
    PK.deadline = now_ms() + 180000;
    PK.opener = event_new(base, -1, EV_PERSIST, park_open, NULL);
    PK.watch = event_new(base, -1, EV_PERSIST, park_watch, NULL);
    t0 = now_ms();
    event_add(PK.opener, &open_tv);
    event_add(PK.watch, &watch_tv);
    event_base_dispatch(base);
    event_del(PK.opener);
    event_del(PK.watch);
    note("%d long-polls opened in %.1f s, measured after %.1f s", PK.opened,
         (PK.t_all_open - t0) / 1000, (now_ms() - t0) / 1000);
}

int
cmd_park(int n)
{
    long rss0, rss_closed;

    if (server_pid <= 0)
        die("park needs -P (syncrod's pid)");
    state_load();
    memset(&PK, 0, sizeof(PK));
    PK.n_since = bu_count();
    PK.since = xcalloc((size_t)PK.n_since, sizeof(char *));
    run_batch(PK.n_since, 8, park_init_start, 300, "initial syncs before parking");
    sleep(2);
    rss0 = proc_rss_kb(server_pid);
    park_all(n);
    result("park", n, "rss_before_mb", rss0 / 1024.0);
    result("park", n, "rss_parked_mb", PK.rss_parked / 1024.0);
    result("park", n, "rss_added_mb", (PK.rss_parked - rss0) / 1024.0);
    result("park", n, "kb_per_longpoll", (double)(PK.rss_parked - rss0) / n);
    result("park", n, "parked", (double)(PK.opened - PK.n_retry));
    result("park", n, "early_returns", (double)PK.early);
    result("park", n, "dropped_and_retried", (double)PK.errors);
    PK.phase = 1;
    for (int i = 0; i < PK.opened; i++)
        client_free(PK.cl[i]);
    event_base_loop(base, EVLOOP_NONBLOCK);
    sleep(3);
    rss_closed = proc_rss_kb(server_pid);
    result("park", n, "rss_after_close_mb", rss_closed / 1024.0);
    return 0;
}
