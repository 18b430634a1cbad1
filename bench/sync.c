/*
 * bench/sync.c -- /sync cost for bsync, a user in every sync room (syncsetup):
 *
 *   initsync N  N initial syncs, one at a time: latency and response size
 *   incsync N   N empty incremental syncs (timeout=0, since = the last
 *               next_batch), one at a time: latency, and syncrod's and
 *               PostgreSQL's CPU per sync from /proc
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loadgen.h"

/* The answer of the last seq_get. */
static int seq_status;
static size_t seq_len;
static char *seq_body;

static void
seq_done(struct client *c, int status, const char *body, size_t len)
{
    seq_status = status;
    seq_len = len;
    free(seq_body);
    seq_body = xstrdup(body);
    event_base_loopbreak(base);
}

/* One request, waited for; its time in ms. */
static double
seq_get(struct client *c, const char *path)
{
    double t0 = now_ms();

    http(c, EVHTTP_REQ_GET, path, NULL, seq_done);
    event_base_dispatch(base);
    return now_ms() - t0;
}

static struct client *
bsync_client(void)
{
    struct client *c = client_new(0, NULL);

    state_load();
    c->token = users[user_need("bsync")].token;
    return c;
}

int
cmd_initsync(int n)
{
    struct client *c = bsync_client();
    struct samples lat = {0};
    char path[700];
    double bytes = 0;
    size_t rooms = 0;

    sync_path(path, sizeof(path), NULL, 0, NULL);
    for (int i = 0; i < n; i++) {
        sample_add(&lat, seq_get(c, path));
        if (seq_status != 200)
            die("initial /sync: HTTP %d %.300s", seq_status, seq_body);
        bytes += (double)seq_len;
        if (i == 0) {
            struct json_object *o = parse_json(seq_body, seq_len);
            struct json_object *join = jget(jget(o, "rooms"), "join");

            rooms = join != NULL ? (size_t)json_object_object_length(join) : 0;
            json_object_put(o);
        }
    }
    result("initsync", n_sync, "rooms_joined", (double)rooms);
    result("initsync", n_sync, "latency_p50_ms", pct(&lat, 50));
    result("initsync", n_sync, "latency_p99_ms", pct(&lat, 99));
    result("initsync", n_sync, "response_kb", bytes / n / 1024);
    client_free(c);
    return 0;
}

int
cmd_incsync(int n)
{
    struct client *c = bsync_client();
    struct samples lat = {0};
    long long t0 = 0, t1, p0 = 0, p1;
    double hz = (double)sysconf(_SC_CLK_TCK), bytes = 0;
    char *since, path[700];

    if (server_pid <= 0)
        die("incsync needs -P (syncrod's pid)");
    sync_path(path, sizeof(path), NULL, 0, NULL);
    seq_get(c, path);
    since = next_batch_or_die("/sync", seq_status, seq_body, seq_len);
    /* A few to settle presence and warm caches; then the measured run. */
    for (int i = 0; i < 5 + n; i++) {
        if (i == 5) {
            t0 = proc_ticks(server_pid);
            p0 = pg_ticks();
            lat.n = 0;
            bytes = 0;
        }
        sync_path(path, sizeof(path), since, 0, NULL);
        sample_add(&lat, seq_get(c, path));
        bytes += (double)seq_len;
        free(since);
        since = next_batch_or_die("/sync", seq_status, seq_body, seq_len);
    }
    t1 = proc_ticks(server_pid);
    p1 = pg_ticks();
    result("incsync", n_sync, "server_cpu_ms", (double)(t1 - t0) / hz * 1000 / n);
    result("incsync", n_sync, "postgres_cpu_ms", (double)(p1 - p0) / hz * 1000 / n);
    result("incsync", n_sync, "latency_p50_ms", pct(&lat, 50));
    result("incsync", n_sync, "latency_p99_ms", pct(&lat, 99));
    result("incsync", n_sync, "response_bytes", bytes / n);
    free(since);
    client_free(c);
    return 0;
}
