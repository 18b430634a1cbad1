/*
 * bench/latency.c -- delivery latency: "latency WAITERS RATE SECONDS".
 *
 * WAITERS clients (bu0..) long-poll /sync in the latency room; bsend sends
 * "lat N" messages there at RATE per second for SECONDS (over up to
 * LAT_SENDERS connections, so a slow answer does not delay the next send).
 * A delivery's latency is the time from the send's 200 to the /sync return
 * that first carries it, for every waiter; sends that never arrive within
 * the drain time count as missing.
 */
#include <stdlib.h>
#include <string.h>

#include "loadgen.h"

#define LAT_SENDERS 8

static struct {
    int W, nsend, sent, acked, init_done, phase; /* 0 initial syncs, 1 sending, 2 draining */
    long delivered, sync_errors, missed_ticks;
    double interval_ms, drain_deadline, t_send_start;
    double *t200;  /* [seq]: when the send's 200 arrived */
    double **seen; /* [waiter][seq]: when /sync first returned it */
    struct client **waiters, *senders[LAT_SENDERS];
    struct event *tick, *check;
    const char *room_id;
} LS;

static void lat_poll(struct client *c);

/* Note the "lat N" messages of the latency room in a /sync body. */
static void
lat_scan(struct client *c, struct json_object *o, double t)
{
    struct json_object *room = jget(jget(jget(o, "rooms"), "join"), LS.room_id);
    struct json_object *evs = jget(jget(room, "timeline"), "events");
    size_t n = evs != NULL && json_object_is_type(evs, json_type_array)
                   ? json_object_array_length(evs)
                   : 0;

    for (size_t i = 0; i < n; i++) {
        const char *b = jstr(jget(json_object_array_get_idx(evs, i), "content"), "body");
        int seq;

        if (b != NULL && sscanf(b, "lat %d", &seq) == 1 && seq >= 0 && seq < LS.nsend &&
            LS.seen[c->idx][seq] == 0) {
            LS.seen[c->idx][seq] = t;
            LS.delivered++;
        }
    }
}

static void
lat_poll_done(struct client *c, int status, const char *body, size_t len)
{
    double t = now_ms();
    struct json_object *o;

    if (status != 200) {
        if (++LS.sync_errors <= 5)
            note("/sync: HTTP %d %.300s", status, body);
        if (LS.sync_errors > 1000)
            die("too many /sync errors");
        lat_poll(c);
        return;
    }
    o = parse_json(body, len);
    lat_scan(c, o, t);
    client_take_since(c, o);
    json_object_put(o);
    if (c->since == NULL)
        die("/sync without next_batch: %.300s", body);
    if (!c->stopped)
        lat_poll(c);
}

static void
lat_init_done(struct client *c, int status, const char *body, size_t len)
{
    c->since = next_batch_or_die("initial /sync", status, body, len);
    LS.init_done++;
    lat_poll(c);
}

/* The initial sync (no since yet), then long-polls of 30 s. */
static void
lat_poll(struct client *c)
{
    char path[700];

    sync_path(path, sizeof(path), c->since, c->since != NULL ? 30000 : 0, TIMELINE_FILTER);
    http(c, EVHTTP_REQ_GET, path, NULL, c->since != NULL ? lat_poll_done : lat_init_done);
}

static void
lat_send_done(struct client *c, int status, const char *body, size_t len)
{
    if (status == 200 && record_event_id(body, len) == 0) {
        LS.t200[c->seq] = now_ms();
        LS.acked++;
    } else {
        note("latency send: HTTP %d %.300s", status, body);
    }
}

static void
lat_tick(evutil_socket_t fd, short what, void *arg)
{
    char path[600], msg[128];
    struct client *s = NULL;

    if (LS.phase != 1)
        return;
    if (LS.sent == LS.nsend) {
        LS.phase = 2;
        LS.drain_deadline = now_ms() + 5000;
        event_del(LS.tick);
        return;
    }
    for (int i = 0; i < LAT_SENDERS && s == NULL; i++)
        if (!LS.senders[i]->busy)
            s = LS.senders[i];
    if (s == NULL) {
        LS.missed_ticks++;
        return;
    }
    s->seq = LS.sent++;
    send_path(path, sizeof(path), s);
    snprintf(msg, sizeof(msg), "{\"msgtype\":\"m.text\",\"body\":\"lat %ld\"}", s->seq);
    http(s, EVHTTP_REQ_PUT, path, msg, lat_send_done);
}

static void
lat_check(evutil_socket_t fd, short what, void *arg)
{
    double t = now_ms();

    if (LS.phase == 0 && LS.init_done == LS.W) {
        /* Give the last waiters a moment to park, then start sending. */
        static double ready_at;

        if (ready_at == 0)
            ready_at = t + 1000;
        else if (t >= ready_at) {
            struct timeval tv = {0, (suseconds_t)(LS.interval_ms * 1000)};

            LS.phase = 1;
            LS.t_send_start = t;
            event_add(LS.tick, &tv);
        }
    }
    if (LS.phase == 2) {
        int senders_busy = 0;

        for (int i = 0; i < LAT_SENDERS; i++)
            senders_busy |= LS.senders[i]->busy;
        if ((!senders_busy && LS.delivered >= (long)LS.W * LS.acked) || t > LS.drain_deadline)
            event_base_loopbreak(base);
    }
}

/* Every (waiter, send) pair seen: its delay; *early counts those seen before the 200. */
static void
lat_collect(struct samples *lat, long *early)
{
    for (int w = 0; w < LS.W; w++)
        for (int q = 0; q < LS.nsend; q++) {
            double d;

            if (LS.t200[q] == 0 || LS.seen[w][q] == 0)
                continue;
            d = LS.seen[w][q] - LS.t200[q];
            if (d < 0) {
                (*early)++;
                d = 0;
            }
            sample_add(lat, d);
        }
}

int
cmd_latency(int W, double rate, double seconds)
{
    struct timeval tv = {0, 100000};
    struct timeval cap = {(time_t)(seconds + 120), 0};
    struct samples lat = {0};
    long early = 0;
    int s;

    state_load();
    s = user_need("bsend");
    if (lat_room == NULL)
        die("no latency room in %s", state_path);
    memset(&LS, 0, sizeof(LS));
    LS.W = W;
    LS.nsend = (int)(rate * seconds);
    LS.interval_ms = 1000.0 / rate;
    LS.room_id = lat_room;
    LS.t200 = xcalloc((size_t)LS.nsend, sizeof(double));
    LS.seen = xcalloc((size_t)W, sizeof(double *));
    LS.waiters = clients_new(W);
    for (int i = 0; i < W; i++) {
        LS.seen[i] = xcalloc((size_t)LS.nsend, sizeof(double));
        LS.waiters[i]->token = users[bu_index(i)].token;
    }
    for (int i = 0; i < LAT_SENDERS; i++) {
        LS.senders[i] = client_new(i, NULL);
        LS.senders[i]->token = users[s].token;
        LS.senders[i]->room_enc = enc(lat_room);
    }
    LS.tick = event_new(base, -1, EV_PERSIST, lat_tick, NULL);
    LS.check = event_new(base, -1, EV_PERSIST, lat_check, NULL);
    event_add(LS.check, &tv);
    for (int i = 0; i < W; i++)
        lat_poll(LS.waiters[i]);
    /* Bounded: initial syncs, the sends, and the drain all end by themselves. */
    event_base_loopexit(base, &cap);
    event_base_dispatch(base);
    event_del(LS.check);
    event_del(LS.tick);
    lat_collect(&lat, &early);
    result("latency", W, "sent_per_s", LS.acked / ((LS.t_send_start > 0 ? seconds : 1)));
    result("latency", W, "delivery_p50_ms", pct(&lat, 50));
    result("latency", W, "delivery_p99_ms", pct(&lat, 99));
    result("latency", W, "delivery_max_ms", pct(&lat, 100));
    result("latency", W, "deliveries", (double)lat.n);
    result("latency", W, "missing", (double)((long)W * LS.acked - (long)lat.n));
    result("latency", W, "before_send_200", (double)early);
    result("latency", W, "missed_ticks", (double)LS.missed_ticks);
    result("latency", W, "sync_errors", (double)LS.sync_errors);
    for (int i = 0; i < W; i++)
        LS.waiters[i]->stopped = 1;
    clients_free(LS.waiters, W);
    for (int i = 0; i < LAT_SENDERS; i++)
        client_free(LS.senders[i]);
    return 0;
}
