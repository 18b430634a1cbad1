/*
 * bench/core.c -- the load generator's machinery: helpers, samples, /proc,
 * the HTTP clients, JSON, the requests several scenarios share, the state
 * file, batches and timed closed loops (see loadgen.h).
 *
 * Everything runs on one libevent loop in one thread; a scenario starts
 * requests, runs the loop, and the loop breaks when the scenario is done.
 */
#include <dirent.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "loadgen.h"

#define HTTP_TIMEOUT_S 180

/* ---- small helpers ------------------------------------------------------ */

static void
vsay(const char *fmt, va_list ap)
{
    fputs("loadgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void
die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
    exit(1);
}

void
note(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
}

double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void *
xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);

    if (p == NULL)
        die("out of memory");
    return p;
}

char *
xstrdup(const char *s)
{
    char *p = strdup(s);

    if (p == NULL)
        die("out of memory");
    return p;
}

char *
enc(const char *s)
{
    char *e = evhttp_uriencode(s, -1, 0);

    if (e == NULL)
        die("out of memory");
    return e;
}

void
result(const char *scen, int conc, const char *figure, double v)
{
    printf("RESULT %s %d %s %.4f\n", scen, conc, figure, v);
    fflush(stdout);
}

/* ---- samples ------------------------------------------------------------ */

void
sample_add(struct samples *s, double v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = realloc(s->v, s->cap * sizeof(double));
        if (s->v == NULL)
            die("out of memory");
    }
    s->v[s->n++] = v;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

double
pct(struct samples *s, double p)
{
    size_t k;

    if (s->n == 0)
        return 0;
    qsort(s->v, s->n, sizeof(double), cmp_double);
    k = (size_t)(p / 100.0 * (double)s->n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > s->n)
        k = s->n;
    return s->v[k - 1];
}

/* ---- /proc -------------------------------------------------------------- */

/*
 * The fields of /proc/PID/stat after "pid (comm) ", into buf; NULL if the
 * process is gone.  comm may hold spaces: the fields resume after the last ')'.
 */
static const char *
stat_fields(long pid, char *buf, size_t cap)
{
    char path[64], *p;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if ((f = fopen(path, "r")) == NULL)
        return NULL;
    n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    if ((p = strrchr(buf, ')')) == NULL)
        return NULL;
    return p + 2;
}

/* Fields n and n+1 of /proc/PID/stat (numbered as in proc(5)) added up; -1 if gone. */
static long long
stat_pair(long pid, int n)
{
    unsigned long long x, y;
    const char *p;
    char buf[1024], *end;

    if ((p = stat_fields(pid, buf, sizeof(buf))) == NULL)
        return -1;
    for (int f = 3; f < n; f++) /* p is at field 3, the state */
        if ((p = strchr(p, ' ')) == NULL)
            return -1;
        else
            p++;
    x = strtoull(p, &end, 10);
    if (end == p)
        return -1;
    p = end;
    y = strtoull(p, &end, 10);
    if (end == p)
        return -1;
    return (long long)(x + y);
}

long long
proc_ticks(long pid)
{
    return stat_pair(pid, 14); /* utime, stime */
}

/* What the process's reaped children used (cutime, cstime); -1 if gone. */
static long long
proc_reaped_ticks(long pid)
{
    return stat_pair(pid, 16);
}

static long
proc_ppid(long pid)
{
    const char *p;
    long ppid = -1;
    char buf[1024];

    if ((p = stat_fields(pid, buf, sizeof(buf))) == NULL || sscanf(p, "%*c %ld", &ppid) != 1)
        return -1;
    return ppid;
}

long long
pg_ticks(void)
{
    long long sum = 0, t;
    struct dirent *de;
    DIR *d;

    if (pg_pid <= 0 || (d = opendir("/proc")) == NULL)
        return 0;
    while ((de = readdir(d)) != NULL) {
        long pid = strtol(de->d_name, NULL, 10);

        if (pid <= 0)
            continue;
        if ((pid == pg_pid || proc_ppid(pid) == pg_pid) && (t = proc_ticks(pid)) > 0)
            sum += t;
    }
    closedir(d);
    /* Backends that ended (pgbench's, one per client) count once reaped. */
    if ((t = proc_reaped_ticks(pg_pid)) > 0)
        sum += t;
    return sum;
}

long
proc_rss_kb(long pid)
{
    char path[64], line[256];
    long kb = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* ---- HTTP clients ------------------------------------------------------- */

/* Why a request failed without an answer: the last one, for messages. */
static const char *last_http_error = "";

/* NUL-terminated copy of a response body, valid until the next answer. */
static char *bodybuf;
static size_t bodycap;

static void
on_http_done(struct evhttp_request *r, void *arg)
{
    struct client *c = arg;
    int status = r != NULL ? evhttp_request_get_response_code(r) : 0;
    struct evbuffer *in = r != NULL ? evhttp_request_get_input_buffer(r) : NULL;
    size_t len = in != NULL ? evbuffer_get_length(in) : 0;
    resp_fn fn = c->fn;

    if (len + 64 > bodycap) {
        bodycap = (len + 64) * 2;
        if ((bodybuf = realloc(bodybuf, bodycap)) == NULL)
            die("out of memory");
    }
    if (len)
        evbuffer_copyout(in, bodybuf, len);
    bodybuf[len] = '\0';
    if (status == 0) {
        snprintf(bodybuf, bodycap, "(no answer: %s)", last_http_error);
        len = strlen(bodybuf);
    }
    c->busy = 0;
    c->fn = NULL;
    if (fn != NULL)
        fn(c, status, bodybuf, len);
}

static void
on_http_error(enum evhttp_request_error e, void *arg)
{
    switch (e) {
    case EVREQ_HTTP_TIMEOUT:
        last_http_error = "timeout";
        break;
    case EVREQ_HTTP_EOF:
        last_http_error = "connection closed";
        break;
    case EVREQ_HTTP_INVALID_HEADER:
        last_http_error = "invalid header";
        break;
    case EVREQ_HTTP_BUFFER_ERROR:
        last_http_error = "connect or I/O error";
        break;
    case EVREQ_HTTP_REQUEST_CANCEL:
        last_http_error = "cancelled";
        break;
    case EVREQ_HTTP_DATA_TOO_LONG:
        last_http_error = "body too long";
        break;
    default:
        last_http_error = "unknown error";
    }
}

struct client *
client_new(int idx, const char *local_addr)
{
    struct client *c = xcalloc(1, sizeof(*c));

    c->idx = idx;
    c->ec = evhttp_connection_base_new(base, NULL, host, (unsigned short)port);
    if (c->ec == NULL)
        die("could not make a connection object");
    evhttp_connection_set_timeout(c->ec, HTTP_TIMEOUT_S);
    if (local_addr != NULL)
        evhttp_connection_set_local_address(c->ec, local_addr);
    return c;
}

void
client_free(struct client *c)
{
    if (c == NULL)
        return;
    evhttp_connection_free(c->ec);
    free(c->since);
    free(c);
}

struct client **
clients_new(int n)
{
    struct client **cl = xcalloc((size_t)n, sizeof(*cl));

    for (int i = 0; i < n; i++)
        cl[i] = client_new(i, NULL);
    return cl;
}

void
clients_free(struct client **cl, int n)
{
    for (int i = 0; i < n; i++)
        client_free(cl[i]);
    free(cl);
}

void
http(struct client *c, enum evhttp_cmd_type m, const char *path, const char *body, resp_fn fn)
{
    struct evhttp_request *r = evhttp_request_new(on_http_done, c);
    struct evkeyvalq *h;
    char auth[600];

    if (r == NULL)
        die("out of memory");
    evhttp_request_set_error_cb(r, on_http_error);
    h = evhttp_request_get_output_headers(r);
    evhttp_add_header(h, "Host", hostport);
    if (c->token != NULL) {
        snprintf(auth, sizeof(auth), "Bearer %s", c->token);
        evhttp_add_header(h, "Authorization", auth);
    }
    if (body != NULL) {
        evhttp_add_header(h, "Content-Type", "application/json");
        evbuffer_add(evhttp_request_get_output_buffer(r), body, strlen(body));
    }
    c->fn = fn;
    c->busy = 1;
    c->t0 = now_ms();
    if (evhttp_make_request(c->ec, r, m, path) != 0)
        die("could not send %s", path);
}

/* ---- JSON --------------------------------------------------------------- */

struct json_object *
parse_json(const char *body, size_t len)
{
    struct json_tokener *tok = json_tokener_new();
    struct json_object *o;

    o = json_tokener_parse_ex(tok, body, (int)len);
    json_tokener_free(tok);
    return o;
}

const char *
jstr(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

struct json_object *
jget(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (o == NULL || !json_object_object_get_ex(o, key, &v))
        return NULL;
    return v;
}

/* ---- Matrix requests the scenarios share -------------------------------- */

void
sync_path(char *out, size_t cap, const char *since, long timeout_ms, const char *filter)
{
    char *f = filter != NULL ? enc(filter) : NULL;

    snprintf(out, cap, "/_matrix/client/v3/sync?%s%s%stimeout=%ld%s%s", since ? "since=" : "",
             since ? since : "", since ? "&" : "", timeout_ms, f ? "&filter=" : "", f ? f : "");
    free(f);
}

char *
next_batch_or_die(const char *what, int status, const char *body, size_t len)
{
    struct json_object *o = parse_json(body, len);
    const char *nb = jstr(o, "next_batch");
    char *copy = nb != NULL ? xstrdup(nb) : NULL;

    json_object_put(o);
    if (status != 200 || copy == NULL)
        die("%s: HTTP %d %.300s", what, status, body);
    return copy;
}

void
client_take_since(struct client *c, struct json_object *o)
{
    const char *nb = jstr(o, "next_batch");

    if (nb != NULL) {
        free(c->since);
        c->since = xstrdup(nb);
    }
}

void
send_path(char *out, size_t cap, const struct client *c)
{
    snprintf(out, cap, "/_matrix/client/v3/rooms/%s/send/m.room.message/%s.%d.%ld", c->room_enc,
             run_tag, c->idx, c->seq);
}

int
record_event_id(const char *body, size_t len)
{
    struct json_object *o = parse_json(body, len);
    const char *id = jstr(o, "event_id");

    if (id == NULL) {
        json_object_put(o);
        return -1;
    }
    if (ids_out != NULL)
        fprintf(ids_out, "%s\n", id);
    json_object_put(o);
    return 0;
}

static void
reg_body(char *out, size_t cap, const char *name, const char *session)
{
    if (session != NULL)
        snprintf(out, cap,
                 "{\"username\":\"%s\",\"password\":\"%s" PASSWORD_SUFFIX "\","
                 "\"auth\":{\"type\":\"m.login.dummy\",\"session\":\"%s\"}}",
                 name, name, session);
    else
        snprintf(out, cap, "{\"username\":\"%s\",\"password\":\"%s" PASSWORD_SUFFIX "\"}", name,
                 name);
}

static void
reg_401(struct client *c, int status, const char *body, size_t len)
{
    struct json_object *o = parse_json(body, len);
    double t0 = c->t0;
    char req[512];

    if (status != 401 || jstr(o, "session") == NULL) {
        json_object_put(o);
        c->reg_then(c, status == 200 ? -1 : status, body, len);
        return;
    }
    reg_body(req, sizeof(req), c->reg_name, jstr(o, "session"));
    json_object_put(o);
    http(c, EVHTTP_REQ_POST, "/_matrix/client/v3/register", req, c->reg_then);
    c->t0 = t0; /* the latency covers both round trips */
}

void
register_user(struct client *c, const char *name, resp_fn then)
{
    char req[512];

    snprintf(c->reg_name, sizeof(c->reg_name), "%s", name);
    c->reg_then = then;
    reg_body(req, sizeof(req), c->reg_name, NULL);
    http(c, EVHTTP_REQ_POST, "/_matrix/client/v3/register", req, reg_401);
}

/* ---- the state file ----------------------------------------------------- */

struct user users[MAX_USERS];
int n_users;
char *own_rooms[MAX_ROOMS], *sync_rooms[MAX_ROOMS];
int n_own, n_sync;
char *shared_room, *lat_room;

int
user_find(const char *name)
{
    for (int i = 0; i < n_users; i++)
        if (strcmp(users[i].name, name) == 0)
            return i;
    return -1;
}

int
user_need(const char *name)
{
    int u = user_find(name);

    if (u < 0)
        die("no user %s in %s (setup made fewer users)", name, state_path);
    return u;
}

int
bu_index(int i)
{
    char name[32];

    snprintf(name, sizeof(name), "bu%d", i);
    return user_need(name);
}

int
bu_count(void)
{
    int n;

    for (n = 0; n < n_users; n++) {
        char name[32];

        snprintf(name, sizeof(name), "bu%d", n);
        if (user_find(name) < 0)
            break;
    }
    if (n == 0)
        die("no bu* users in %s", state_path);
    return n;
}

void
state_load(void)
{
    char line[1024], a[300], b[300], c[600];
    FILE *f = fopen(state_path, "r");

    if (f == NULL)
        die("could not read %s (run setup first): %s", state_path, strerror(errno));
    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "user %299s %299s %599s", a, b, c) == 3 && n_users < MAX_USERS) {
            users[n_users].name = xstrdup(a);
            users[n_users].user_id = xstrdup(b);
            users[n_users].token = xstrdup(c);
            n_users++;
        } else if (sscanf(line, "room own %299s", a) == 1 && n_own < MAX_ROOMS) {
            own_rooms[n_own++] = xstrdup(a);
        } else if (sscanf(line, "room sync %299s", a) == 1 && n_sync < MAX_ROOMS) {
            sync_rooms[n_sync++] = xstrdup(a);
        } else if (sscanf(line, "room shared %299s", a) == 1) {
            shared_room = xstrdup(a);
        } else if (sscanf(line, "room lat %299s", a) == 1) {
            lat_room = xstrdup(a);
        }
    }
    fclose(f);
}

/* ---- batches: N jobs over C connections --------------------------------- */

struct batch {
    int n, next, conc, idle;
    void (*start)(struct client *c, int job);
    struct client **cl;
    double deadline;
};

static struct batch *cur_batch;

void
batch_next(struct client *c)
{
    struct batch *b = cur_batch;

    if (b->next < b->n && now_ms() < b->deadline) {
        b->start(c, b->next++);
        return;
    }
    if (++b->idle == b->conc)
        event_base_loopbreak(base);
}

void
run_batch(int n, int conc, void (*start)(struct client *c, int job), double timeout_s,
          const char *what)
{
    struct batch b = {0};
    double t0 = now_ms();

    if (n == 0)
        return;
    if (conc > n)
        conc = n;
    b.n = n;
    b.conc = conc;
    b.start = start;
    b.deadline = t0 + timeout_s * 1000;
    b.cl = clients_new(conc);
    cur_batch = &b;
    for (int i = 0; i < conc; i++)
        batch_next(b.cl[i]);
    event_base_dispatch(base);
    if (b.next < n)
        die("%s: timed out after %.0f s (%d of %d started)", what, timeout_s, b.next, n);
    clients_free(b.cl, conc);
    cur_batch = NULL;
    note("%s: %d in %.1f s", what, n, (now_ms() - t0) / 1000);
}

/* ---- timed closed loops ------------------------------------------------- */

static struct {
    double t_start, deadline, t_last;
    long ok, errors;
    struct samples lat;
    int active;
    int conc;
    void (*issue)(struct client *c);
    long long server_t0, pg_t0; /* clock ticks at the start */
    double self_t0;             /* this process's CPU seconds at the start */
} L;

/* This process's user+system CPU seconds. */
static double
self_cpu_s(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void
loop_run(struct client **cl, int conc, double seconds, void (*issue)(struct client *c))
{
    memset(&L, 0, sizeof(L));
    L.conc = L.active = conc;
    L.server_t0 = server_pid > 0 ? proc_ticks(server_pid) : -1;
    L.pg_t0 = pg_pid > 0 ? pg_ticks() : -1;
    L.self_t0 = self_cpu_s();
    L.t_start = now_ms();
    L.deadline = L.t_start + seconds * 1000;
    L.issue = issue;
    for (int i = 0; i < conc; i++)
        issue(cl[i]);
    event_base_dispatch(base);
}

void
loop_answer(struct client *c, int ok, int status, const char *body)
{
    double t = now_ms();

    if (ok) {
        L.ok++;
        sample_add(&L.lat, t - c->t0);
        L.t_last = t;
    } else if (++L.errors <= 5) {
        note("HTTP %d %.300s", status, body);
    }
    if (t >= L.deadline || L.errors > 10000) {
        c->stopped = 1;
        if (--L.active == 0)
            event_base_loopbreak(base);
        return;
    }
    L.issue(c);
}

static double
loop_rate(void)
{
    double el = L.t_last - L.t_start;

    return el > 0 ? (double)L.ok / (el / 1000) : 0;
}

/*
 * CPU per answered request, in microseconds: syncrod's, PostgreSQL's and the
 * load generator's own.  On a machine whose disk flushes fast, throughput is
 * bound by CPU, and these say where it goes.
 */
static void
loop_report_cpu(const char *scen)
{
    double hz = (double)sysconf(_SC_CLK_TCK), n = L.ok > 0 ? (double)L.ok : 1;
    long long t;

    if (L.server_t0 >= 0 && (t = proc_ticks(server_pid)) >= 0)
        result(scen, L.conc, "server_cpu_us", (double)(t - L.server_t0) / hz * 1e6 / n);
    if (L.pg_t0 >= 0)
        result(scen, L.conc, "postgres_cpu_us", (double)(pg_ticks() - L.pg_t0) / hz * 1e6 / n);
    result(scen, L.conc, "client_cpu_us", (self_cpu_s() - L.self_t0) * 1e6 / n);
}

void
loop_report(const char *scen, const char *figure)
{
    result(scen, L.conc, figure, loop_rate());
    result(scen, L.conc, "latency_p50_ms", pct(&L.lat, 50));
    result(scen, L.conc, "latency_p99_ms", pct(&L.lat, 99));
    result(scen, L.conc, "ok", (double)L.ok);
    result(scen, L.conc, "errors", (double)L.errors);
    loop_report_cpu(scen);
}
