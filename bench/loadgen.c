/*
 * bench/loadgen.c -- the Syncro load generator.
 *
 * One libevent loop in one thread; every simulated client is one
 * keep-alive HTTP/1.1 connection (evhttp) with at most one request in
 * flight.  No interpreter runs in the measured loops.  bench/run.sh
 * starts PostgreSQL and syncrod, then runs one subcommand per scenario:
 *
 *   loadgen [options] wait SECONDS          until GET /versions answers 200
 *   loadgen [options] setup USERS           register users, create the rooms
 *   loadgen [options] syncsetup ROOMS MSGS  one user in ROOMS rooms of MSGS messages
 *   loadgen [options] send own|shared C SECONDS
 *   loadgen [options] latency WAITERS RATE SECONDS
 *   loadgen [options] login C SECONDS
 *   loadgen [options] register C SECONDS
 *   loadgen [options] initsync N
 *   loadgen [options] incsync N
 *   loadgen [options] park N
 *   loadgen [options] rss
 *
 * Options: -p PORT (127.0.0.1), -P syncrod pid (for /proc), -G postmaster
 * pid, -s state file (written by setup, read by the rest), -o file that
 * receives the event ID of every send answered 200 (for the durability
 * check), -t tag (scenario label in RESULT lines).
 *
 * Figures go to stdout as "RESULT <scenario> <concurrency> <figure> <value>";
 * progress and errors go to stderr.  Every loop is bounded by a deadline.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#define MAX_USERS 1000
#define MAX_ROOMS 1000
#define HTTP_TIMEOUT_S 180
#define PASSWORD_SUFFIX "-bench-pw"

/* ---- small helpers ------------------------------------------------------ */

static struct event_base *base;
static const char *host = "127.0.0.1";
static int port = 8008;
static char hostport[64];
static long server_pid, pg_pid;
static const char *state_path = "bench-state.txt";
static FILE *ids_out;
static char run_tag[48];

static void
die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("loadgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void
note(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("loadgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *
xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);

    if (p == NULL)
        die("out of memory");
    return p;
}

static char *
xstrdup(const char *s)
{
    char *p = strdup(s);

    if (p == NULL)
        die("out of memory");
    return p;
}

static char *
enc(const char *s)
{
    char *e = evhttp_uriencode(s, -1, 0);

    if (e == NULL)
        die("out of memory");
    return e;
}

static void
result(const char *scen, int conc, const char *figure, double v)
{
    printf("RESULT %s %d %s %.4f\n", scen, conc, figure, v);
    fflush(stdout);
}

/* Samples and percentiles. */
struct samples {
    double *v;
    size_t n, cap;
};

static void
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

/* Nearest-rank percentile, p in [0,100]; 0 when empty. */
static double
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

/* utime+stime in clock ticks of one process (all its threads); -1 if gone. */
static long long
proc_ticks(long pid)
{
    char path[64], buf[1024], *p;
    unsigned long long ut = 0, st = 0;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* comm may hold spaces: fields resume after the last ')'. */
    if ((p = strrchr(buf, ')')) == NULL)
        return -1;
    /* state(3) ... utime is field 14, stime 15: skip 11 fields after state. */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (long long)(ut + st);
}

static long
proc_ppid(long pid)
{
    char path[64], buf[1024], *p;
    long ppid = -1;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2, "%*c %ld", &ppid) != 1)
        return -1;
    return ppid;
}

/* CPU ticks of the postmaster and all its children (the backends). */
static long long
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
    return sum;
}

/* VmRSS of a process in kB; -1 if unknown. */
static long
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

struct client;
typedef void (*resp_fn)(struct client *c, int status, const char *body, size_t len);

struct client {
    int idx;
    struct evhttp_connection *ec;
    const char *token;
    const char *room_enc; /* room ID, percent-encoded for paths */
    char *since;
    long seq;
    double t0;
    int busy;
    int stopped;
    resp_fn fn;
    void *scen;
    int user; /* index into the state's users */
};

/* Why a request failed without an answer: the last one, for messages. */
static const char *last_http_error = "";

/* NUL-terminated copy of a response body, valid until the next call. */
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

static struct client *
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

static void
client_free(struct client *c)
{
    if (c == NULL)
        return;
    evhttp_connection_free(c->ec);
    free(c->since);
    free(c);
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

static void
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

static struct json_object *
parse_json(const char *body, size_t len)
{
    struct json_tokener *tok = json_tokener_new();
    struct json_object *o;

    o = json_tokener_parse_ex(tok, body, (int)len);
    json_tokener_free(tok);
    return o;
}

static const char *
jstr(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static struct json_object *
jget(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (o == NULL || !json_object_object_get_ex(o, key, &v))
        return NULL;
    return v;
}

/* ---- state file --------------------------------------------------------- */

struct user {
    char *name, *user_id, *token;
};

static struct user users[MAX_USERS];
static int n_users;
static char *own_rooms[MAX_ROOMS], *sync_rooms[MAX_ROOMS];
static int n_own, n_sync;
static char *shared_room, *lat_room;

static int
user_find(const char *name)
{
    for (int i = 0; i < n_users; i++)
        if (strcmp(users[i].name, name) == 0)
            return i;
    return -1;
}

static void
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

/* ---- batches: N jobs over C connections, for setup ---------------------- */

struct batch {
    int n, next, conc, idle;
    void (*start)(struct client *c, int job);
    struct client **cl;
    double deadline;
};

static struct batch *cur_batch;

static void
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

static void
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
    b.cl = xcalloc((size_t)conc, sizeof(*b.cl));
    cur_batch = &b;
    for (int i = 0; i < conc; i++) {
        b.cl[i] = client_new(i, NULL);
        batch_next(b.cl[i]);
    }
    event_base_dispatch(base);
    if (b.next < n)
        die("%s: timed out after %.0f s (%d of %d started)", what, timeout_s, b.next, n);
    for (int i = 0; i < conc; i++)
        client_free(b.cl[i]);
    free(b.cl);
    cur_batch = NULL;
    note("%s: %d in %.1f s", what, n, (now_ms() - t0) / 1000);
}

/* ---- setup -------------------------------------------------------------- */

static struct user new_users[MAX_USERS];
static int n_new;

static void
reg_body(char *out, size_t cap, const char *name, const char *session)
{
    if (session != NULL)
        snprintf(out, cap,
                 "{\"username\":\"%s\",\"password\":\"%s" PASSWORD_SUFFIX "\","
                 "\"auth\":{\"type\":\"m.login.dummy\",\"session\":\"%s\"}}",
                 name, name, session);
    else
        snprintf(out, cap, "{\"username\":\"%s\",\"password\":\"%s" PASSWORD_SUFFIX "\"}",
                 name, name);
}

static void
setup_reg_done(struct client *c, int status, const char *body, size_t len)
{
    struct json_object *o = parse_json(body, len);
    struct user *u = &new_users[c->seq];

    if (status != 200 || jstr(o, "access_token") == NULL)
        die("register %s: HTTP %d %s", u->name, status, body);
    u->user_id = xstrdup(jstr(o, "user_id"));
    u->token = xstrdup(jstr(o, "access_token"));
    json_object_put(o);
    batch_next(c);
}

static void
setup_reg_401(struct client *c, int status, const char *body, size_t len)
{
    struct json_object *o = parse_json(body, len);
    struct user *u = &new_users[c->seq];
    char req[512];

    if (status != 401 || jstr(o, "session") == NULL)
        die("register %s: expected 401 with a session, got HTTP %d %s", u->name, status, body);
    reg_body(req, sizeof(req), u->name, jstr(o, "session"));
    json_object_put(o);
    http(c, EVHTTP_REQ_POST, "/_matrix/client/v3/register", req, setup_reg_done);
}

static void
setup_reg_start(struct client *c, int job)
{
    char req[512];

    c->seq = job;
    c->token = NULL;
    reg_body(req, sizeof(req), new_users[job].name, NULL);
    http(c, EVHTTP_REQ_POST, "/_matrix/client/v3/register", req, setup_reg_401);
}

static void
register_users(char **names, int n)
{
    n_new = n;
    for (int i = 0; i < n; i++)
        new_users[i].name = names[i];
    run_batch(n, 4, setup_reg_start, 600, "register users");
}

/* createRoom jobs: creator token per job; room IDs land in rooms_out. */
static const char **create_tokens;
static char **rooms_out;

static void
setup_create_done(struct client *c, int status, const char *body, size_t len)
{
    struct json_object *o = parse_json(body, len);

    if (status != 200 || jstr(o, "room_id") == NULL)
        die("createRoom: HTTP %d %s", status, body);
    rooms_out[c->seq] = xstrdup(jstr(o, "room_id"));
    json_object_put(o);
    batch_next(c);
}

static void
setup_create_start(struct client *c, int job)
{
    c->seq = job;
    c->token = create_tokens[job];
    http(c, EVHTTP_REQ_POST, "/_matrix/client/v3/createRoom", "{\"preset\":\"public_chat\"}",
         setup_create_done);
}

static void
create_rooms(const char **tokens, char **out, int n, const char *what)
{
    create_tokens = tokens;
    rooms_out = out;
    run_batch(n, 4, setup_create_start, 600, what);
}

/* join jobs: join_tokens[job] joins join_room. */
static const char **join_tokens;
static const char *join_room;

static void
setup_join_done(struct client *c, int status, const char *body, size_t len)
{
    if (status != 200)
        die("join: HTTP %d %s", status, body);
    batch_next(c);
}

static void
setup_join_start(struct client *c, int job)
{
    char path[512], *e = enc(join_room);

    c->token = join_tokens[job];
    snprintf(path, sizeof(path), "/_matrix/client/v3/rooms/%s/join", e);
    free(e);
    http(c, EVHTTP_REQ_POST, path, "{}", setup_join_done);
}

static void
join_all(const char **tokens, int n, const char *room, const char *what)
{
    join_tokens = tokens;
    join_room = room;
    run_batch(n, 4, setup_join_start, 600, what);
}

/* setup USERS: users bu0..bu{USERS-1}, bsend, bsync; 64 own rooms, a shared
 * room of 64 members, a latency room with every bu* user and bsend. */
static int
cmd_setup(int nu)
{
    char **names = xcalloc((size_t)nu + 2, sizeof(char *));
    const char **tok = xcalloc((size_t)nu + 2, sizeof(char *));
    char *lat[1], *shared[1];
    int n_own_rooms = nu < 64 ? nu : 64;
    FILE *f;

    for (int i = 0; i < nu; i++) {
        char b[32];

        snprintf(b, sizeof(b), "bu%d", i);
        names[i] = xstrdup(b);
    }
    names[nu] = "bsend";
    names[nu + 1] = "bsync";
    register_users(names, nu + 2);
    for (int i = 0; i < nu + 2; i++)
        tok[i] = new_users[i].token;

    create_rooms(tok, own_rooms, n_own_rooms, "create own rooms");
    create_rooms(tok, shared, 1, "create shared room");
    join_all(tok + 1, n_own_rooms - 1, shared[0], "join shared room");
    create_rooms(tok + nu, lat, 1, "create latency room");
    join_all(tok, nu, lat[0], "join latency room");

    if ((f = fopen(state_path, "w")) == NULL)
        die("could not write %s: %s", state_path, strerror(errno));
    for (int i = 0; i < nu + 2; i++)
        fprintf(f, "user %s %s %s\n", new_users[i].name, new_users[i].user_id,
                new_users[i].token);
    for (int i = 0; i < n_own_rooms; i++)
        fprintf(f, "room own %s\n", own_rooms[i]);
    fprintf(f, "room shared %s\n", shared[0]);
    fprintf(f, "room lat %s\n", lat[0]);
    fclose(f);
    return 0;
}

/* ---- sending ------------------------------------------------------------ */

static void
send_path(char *out, size_t cap, struct client *c)
{
    snprintf(out, cap, "/_matrix/client/v3/rooms/%s/send/m.room.message/%s.%d.%ld", c->room_enc,
             run_tag, c->idx, c->seq);
}

/* The event ID of a 200 answer, recorded for the durability check. */
static int
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

/* syncsetup: bsync creates ROOMS rooms and sends MSGS messages to each. */
static const char *sync_token;

static void
setup_msg_done(struct client *c, int status, const char *body, size_t len)
{
    if (status != 200 || record_event_id(body, len) != 0)
        die("send: HTTP %d %s", status, body);
    batch_next(c);
}

/* Job j goes to room j % rooms: every room fills at the same pace. */
static void
setup_msg_start(struct client *c, int job)
{
    char path[600], msg[128], *e = enc(sync_rooms[job % n_sync]);

    c->seq = job;
    c->token = sync_token;
    c->room_enc = e;
    send_path(path, sizeof(path), c);
    c->room_enc = NULL;
    free(e);
    snprintf(msg, sizeof(msg), "{\"msgtype\":\"m.text\",\"body\":\"history message %d\"}",
             job / n_sync);
    http(c, EVHTTP_REQ_PUT, path, msg, setup_msg_done);
}

static int
cmd_syncsetup(int rooms, int msgs)
{
    const char **tok;
    FILE *f;
    int u;

    state_load();
    if ((u = user_find("bsync")) < 0)
        die("no bsync user in %s", state_path);
    if (rooms > MAX_ROOMS)
        die("at most %d rooms", MAX_ROOMS);
    tok = xcalloc((size_t)rooms, sizeof(char *));
    for (int i = 0; i < rooms; i++)
        tok[i] = users[u].token;
    create_rooms(tok, sync_rooms, rooms, "create sync rooms");
    n_sync = rooms;
    sync_token = users[u].token;
    run_batch(rooms * msgs, 16, setup_msg_start, 1200, "send history");
    if ((f = fopen(state_path, "a")) == NULL)
        die("could not append to %s: %s", state_path, strerror(errno));
    for (int i = 0; i < rooms; i++)
        fprintf(f, "room sync %s\n", sync_rooms[i]);
    fclose(f);
    free(tok);
    return 0;
}

/* ---- timed closed loops: each client sends its next request on an answer */

struct loop {
    double t_start, deadline, t_last;
    long ok, errors;
    struct samples lat;
    int active;
    int conc;
};

static struct loop L;

static void
loop_begin(int conc, double seconds)
{
    memset(&L, 0, sizeof(L));
    L.conc = L.active = conc;
    L.t_start = now_ms();
    L.deadline = L.t_start + seconds * 1000;
}

/* One answer: 1 when the client should go on, 0 when it stopped. */
static int
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
        return 0;
    }
    return 1;
}

static double
loop_rate(void)
{
    double el = L.t_last - L.t_start;

    return el > 0 ? (double)L.ok / (el / 1000) : 0;
}

static void
loop_report(const char *scen, const char *figure)
{
    result(scen, L.conc, figure, loop_rate());
    result(scen, L.conc, "latency_p50_ms", pct(&L.lat, 50));
    result(scen, L.conc, "latency_p99_ms", pct(&L.lat, 99));
    result(scen, L.conc, "ok", (double)L.ok);
    result(scen, L.conc, "errors", (double)L.errors);
}

static struct client **
clients_new(int n)
{
    struct client **cl = xcalloc((size_t)n, sizeof(*cl));

    for (int i = 0; i < n; i++)
        cl[i] = client_new(i, NULL);
    return cl;
}

static void
clients_free(struct client **cl, int n)
{
    for (int i = 0; i < n; i++)
        client_free(cl[i]);
    free(cl);
}

static int
bu_index(int i)
{
    char name[32];
    int u;

    snprintf(name, sizeof(name), "bu%d", i);
    if ((u = user_find(name)) < 0)
        die("no user %s in %s (setup made fewer users)", name, state_path);
    return u;
}

/* send own|shared C SECONDS */
static void send_issue(struct client *c);

static void
send_done(struct client *c, int status, const char *body, size_t len)
{
    int ok = status == 200 && record_event_id(body, len) == 0;

    if (loop_answer(c, ok, status, body))
        send_issue(c);
}

static void
send_issue(struct client *c)
{
    char path[600];

    c->seq++;
    send_path(path, sizeof(path), c);
    http(c, EVHTTP_REQ_PUT, path, "{\"msgtype\":\"m.text\",\"body\":\"bench message\"}",
         send_done);
}

static int
cmd_send(const char *mode, int conc, double seconds)
{
    struct client **cl;
    char scen[64];
    int shared = strcmp(mode, "shared") == 0;

    state_load();
    if (!shared && conc > n_own)
        die("only %d own rooms", n_own);
    cl = clients_new(conc);
    for (int i = 0; i < conc; i++) {
        cl[i]->token = users[bu_index(i)].token;
        cl[i]->room_enc = enc(shared ? shared_room : own_rooms[i]);
    }
    loop_begin(conc, seconds);
    for (int i = 0; i < conc; i++)
        send_issue(cl[i]);
    event_base_dispatch(base);
    snprintf(scen, sizeof(scen), "send_%s", shared ? "shared" : "own");
    loop_report(scen, "events_per_s");
    for (int i = 0; i < conc; i++)
        free((char *)cl[i]->room_enc);
    clients_free(cl, conc);
    return 0;
}

/* login C SECONDS: m.login.password, rotating over the bu* users. */
static int n_bu;
static void login_issue(struct client *c);

static void
login_done(struct client *c, int status, const char *body, size_t len)
{
    if (loop_answer(c, status == 200 && strstr(body, "access_token") != NULL, status, body))
        login_issue(c);
}

static void
login_issue(struct client *c)
{
    char req[512];
    int k = (int)((c->idx + c->seq * L.conc) % n_bu);

    c->seq++;
    snprintf(req, sizeof(req),
             "{\"type\":\"m.login.password\",\"identifier\":{\"type\":\"m.id.user\","
             "\"user\":\"bu%d\"},\"password\":\"bu%d" PASSWORD_SUFFIX "\"}",
             k, k);
    http(c, EVHTTP_REQ_POST, "/_matrix/client/v3/login", req, login_done);
}

static int
cmd_login(int conc, double seconds)
{
    struct client **cl;

    state_load();
    for (n_bu = 0; n_bu < n_users; n_bu++) {
        char name[32];

        snprintf(name, sizeof(name), "bu%d", n_bu);
        if (user_find(name) < 0)
            break;
    }
    if (n_bu == 0)
        die("no bu* users in %s", state_path);
    cl = clients_new(conc);
    loop_begin(conc, seconds);
    for (int i = 0; i < conc; i++)
        login_issue(cl[i]);
    event_base_dispatch(base);
    loop_report("login", "logins_per_s");
    clients_free(cl, conc);
    return 0;
}

/* register C SECONDS: the full user-interactive flow, 401 then m.login.dummy. */
static void reg_issue(struct client *c);

static void
reg_name(char *out, size_t cap, struct client *c)
{
    snprintf(out, cap, "r%sx%dx%ld", run_tag, c->idx, c->seq);
}

static void
reg_done(struct client *c, int status, const char *body, size_t len)
{
    if (loop_answer(c, status == 200 && strstr(body, "access_token") != NULL, status, body))
        reg_issue(c);
}

static void
reg_401(struct client *c, int status, const char *body, size_t len)
{
    struct json_object *o = parse_json(body, len);
    char name[128], req[512];
    double t0 = c->t0;

    if (status != 401 || jstr(o, "session") == NULL) {
        json_object_put(o);
        reg_done(c, status == 200 ? -1 : status, body, len);
        return;
    }
    reg_name(name, sizeof(name), c);
    reg_body(req, sizeof(req), name, jstr(o, "session"));
    json_object_put(o);
    http(c, EVHTTP_REQ_POST, "/_matrix/client/v3/register", req, reg_done);
    c->t0 = t0; /* the latency covers both round trips */
}

static void
reg_issue(struct client *c)
{
    char name[128], req[512];

    c->seq++;
    reg_name(name, sizeof(name), c);
    reg_body(req, sizeof(req), name, NULL);
    http(c, EVHTTP_REQ_POST, "/_matrix/client/v3/register", req, reg_401);
}

static int
cmd_register(int conc, double seconds)
{
    struct client **cl = clients_new(conc);

    loop_begin(conc, seconds);
    for (int i = 0; i < conc; i++)
        reg_issue(cl[i]);
    event_base_dispatch(base);
    loop_report("register", "registrations_per_s");
    clients_free(cl, conc);
    return 0;
}

/* ---- delivery latency --------------------------------------------------- */

#define LAT_SENDERS 8
#define LAT_FILTER "{\"room\":{\"timeline\":{\"limit\":100}}}"

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
    const char *nb;

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
    if ((nb = jstr(o, "next_batch")) != NULL) {
        free(c->since);
        c->since = xstrdup(nb);
    }
    json_object_put(o);
    if (c->since == NULL)
        die("/sync without next_batch: %.300s", body);
    if (!c->stopped)
        lat_poll(c);
}

static void
lat_poll(struct client *c)
{
    char path[700], *f = enc(LAT_FILTER);

    if (c->since == NULL)
        snprintf(path, sizeof(path), "/_matrix/client/v3/sync?timeout=0&filter=%s", f);
    else
        snprintf(path, sizeof(path), "/_matrix/client/v3/sync?since=%s&timeout=30000&filter=%s",
                 c->since, f);
    free(f);
    http(c, EVHTTP_REQ_GET, path, NULL, lat_poll_done);
}

static void
lat_init_done(struct client *c, int status, const char *body, size_t len)
{
    struct json_object *o = parse_json(body, len);
    const char *nb = jstr(o, "next_batch");

    if (status != 200 || nb == NULL)
        die("initial /sync: HTTP %d %.300s", status, body);
    c->since = xstrdup(nb);
    json_object_put(o);
    LS.init_done++;
    lat_poll(c);
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

static int
cmd_latency(int W, double rate, double seconds)
{
    struct timeval tv = {0, 100000};
    struct samples lat = {0};
    long early = 0;
    int s;

    state_load();
    if ((s = user_find("bsend")) < 0 || lat_room == NULL)
        die("no bsend user or latency room in %s", state_path);
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
    for (int i = 0; i < W; i++) {
        char path[300], *f = enc(LAT_FILTER);

        snprintf(path, sizeof(path), "/_matrix/client/v3/sync?timeout=0&filter=%s", f);
        free(f);
        http(LS.waiters[i], EVHTTP_REQ_GET, path, NULL, lat_init_done);
    }
    /* Bounded: initial syncs, the sends, and the drain all end by themselves. */
    {
        struct timeval cap = {(time_t)(seconds + 120), 0};

        event_base_loopexit(base, &cap);
    }
    event_base_dispatch(base);
    event_del(LS.check);
    event_del(LS.tick);
    for (int w = 0; w < W; w++)
        for (int q = 0; q < LS.nsend; q++) {
            double d;

            if (LS.t200[q] == 0 || LS.seen[w][q] == 0)
                continue;
            d = LS.seen[w][q] - LS.t200[q];
            if (d < 0) {
                early++;
                d = 0;
            }
            sample_add(&lat, d);
        }
    result("latency", W, "sent_per_s",
           LS.acked / ((LS.t_send_start > 0 ? seconds : 1)));
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

/* ---- sequential requests: initial and incremental /sync ----------------- */

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

/* One request, waited for; the answer is in seq_status/seq_body. */
static double
seq_get(struct client *c, const char *path)
{
    double t0 = now_ms();

    http(c, EVHTTP_REQ_GET, path, NULL, seq_done);
    event_base_dispatch(base);
    return now_ms() - t0;
}

static char *
seq_next_batch(void)
{
    struct json_object *o = parse_json(seq_body, seq_len);
    char *nb = jstr(o, "next_batch") ? xstrdup(jstr(o, "next_batch")) : NULL;

    json_object_put(o);
    if (seq_status != 200 || nb == NULL)
        die("/sync: HTTP %d %.300s", seq_status, seq_body);
    return nb;
}

static struct client *
bsync_client(void)
{
    struct client *c = client_new(0, NULL);
    int u;

    state_load();
    if ((u = user_find("bsync")) < 0)
        die("no bsync user in %s", state_path);
    c->token = users[u].token;
    return c;
}

/* initsync N: N initial syncs of bsync (in every sync room), one at a time. */
static int
cmd_initsync(int n)
{
    struct client *c = bsync_client();
    struct samples lat = {0};
    double bytes = 0;
    size_t rooms = 0;

    for (int i = 0; i < n; i++) {
        sample_add(&lat, seq_get(c, "/_matrix/client/v3/sync?timeout=0"));
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

/* incsync N: N empty incremental syncs of bsync (timeout=0, since = the last
 * next_batch), one at a time; syncrod's and PostgreSQL's CPU over them. */
static int
cmd_incsync(int n)
{
    struct client *c = bsync_client();
    struct samples lat = {0};
    long long t0 = 0, t1, p0 = 0, p1;
    double hz = (double)sysconf(_SC_CLK_TCK), bytes = 0;
    char *since, path[600];

    if (server_pid <= 0)
        die("incsync needs -P (syncrod's pid)");
    seq_get(c, "/_matrix/client/v3/sync?timeout=0");
    since = seq_next_batch();
    /* A few to settle presence and warm caches; then the measured run. */
    for (int i = 0; i < 5 + n; i++) {
        if (i == 5) {
            t0 = proc_ticks(server_pid);
            p0 = pg_ticks();
            lat.n = 0;
            bytes = 0;
        }
        snprintf(path, sizeof(path), "/_matrix/client/v3/sync?since=%s&timeout=0", since);
        sample_add(&lat, seq_get(c, path));
        bytes += (double)seq_len;
        free(since);
        since = seq_next_batch();
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

/* ---- memory: N parked long-polls ---------------------------------------- */

#define PARK_SOURCES 10

/*
 * Connections are opened in paced batches: libevhtp hands each accepted
 * connection to a worker over a pipe and closes it when that pipe is full
 * (workers busy with the new requests), so a burst of thousands is partly
 * dropped.  A dropped one goes back on a retry list and the batch shrinks
 * (additive increase, multiplicative decrease).
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
        const char *nb = jstr(o, "next_batch");

        PK.early++;
        if (nb != NULL) {
            free(c->since);
            c->since = xstrdup(nb);
        }
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
    char path[600];

    snprintf(path, sizeof(path), "/_matrix/client/v3/sync?since=%s&timeout=600000",
             c->since != NULL ? c->since : PK.since[c->user]);
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

        /* Several source addresses: no ephemeral port shortage on one pair. */
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
    struct json_object *o = parse_json(body, len);
    const char *nb = jstr(o, "next_batch");

    if (status != 200 || nb == NULL)
        die("initial /sync: HTTP %d %.300s", status, body);
    PK.since[c->seq] = xstrdup(nb);
    json_object_put(o);
    batch_next(c);
}

static void
park_init_start(struct client *c, int job)
{
    char path[300], *f = enc(LAT_FILTER);

    c->seq = job;
    c->token = users[bu_index(job)].token;
    snprintf(path, sizeof(path), "/_matrix/client/v3/sync?timeout=0&filter=%s", f);
    free(f);
    http(c, EVHTTP_REQ_GET, path, NULL, park_init_done);
}

static int
cmd_park(int n)
{
    struct timeval open_tv = {0, 100000}, watch_tv = {0, 500000};
    long rss0, rss_closed;
    double t0;

    if (server_pid <= 0)
        die("park needs -P (syncrod's pid)");
    state_load();
    memset(&PK, 0, sizeof(PK));
    for (PK.n_since = 0; PK.n_since < n_users; PK.n_since++) {
        char name[32];

        snprintf(name, sizeof(name), "bu%d", PK.n_since);
        if (user_find(name) < 0)
            break;
    }
    if (PK.n_since == 0)
        die("no bu* users in %s", state_path);
    PK.since = xcalloc((size_t)PK.n_since, sizeof(char *));
    run_batch(PK.n_since, 8, park_init_start, 300, "initial syncs before parking");
    sleep(2);
    rss0 = proc_rss_kb(server_pid);
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

/* ---- misc --------------------------------------------------------------- */

static int
cmd_rss(const char *scen)
{
    long kb;

    if (server_pid <= 0 || (kb = proc_rss_kb(server_pid)) < 0)
        die("rss needs -P with a live pid");
    result(scen, 0, "rss_mb", kb / 1024.0);
    return 0;
}

static int wait_ok;

static void
wait_done(struct client *c, int status, const char *body, size_t len)
{
    wait_ok = status == 200;
    event_base_loopbreak(base);
}

static int
cmd_wait(double seconds)
{
    double deadline = now_ms() + seconds * 1000;

    while (now_ms() < deadline) {
        struct client *c = client_new(0, NULL);

        http(c, EVHTTP_REQ_GET, "/_matrix/client/versions", NULL, wait_done);
        event_base_dispatch(base);
        client_free(c);
        if (wait_ok)
            return 0;
        usleep(100000);
    }
    die("no answer from %s within %.0f s", hostport, seconds);
    return 1;
}

static void
usage(void)
{
    fprintf(stderr,
            "usage: loadgen [-p port] [-P syncrod-pid] [-G postmaster-pid] [-s state] [-o ids]\n"
            "               [-t label] COMMAND ARGS\n"
            "commands: wait S | setup USERS | syncsetup ROOMS MSGS | send own|shared C S |\n"
            "          latency WAITERS RATE S | login C S | register C S | initsync N |\n"
            "          incsync N | park N | rss\n");
    exit(2);
}

static double
num(const char *s)
{
    char *end;
    double v = strtod(s, &end);

    if (end == s || *end != '\0' || v < 0)
        die("not a number: %s", s);
    return v;
}

int
main(int argc, char **argv)
{
    const char *ids_path = NULL, *label = "rss";
    struct rlimit rl;
    int opt, rc;
    char **a;
    int na;

    while ((opt = getopt(argc, argv, "p:P:G:s:o:t:")) != -1) {
        switch (opt) {
        case 'p':
            port = (int)num(optarg);
            break;
        case 'P':
            server_pid = (long)num(optarg);
            break;
        case 'G':
            pg_pid = (long)num(optarg);
            break;
        case 's':
            state_path = optarg;
            break;
        case 'o':
            ids_path = optarg;
            break;
        case 't':
            label = optarg;
            break;
        default:
            usage();
        }
    }
    a = argv + optind;
    na = argc - optind;
    if (na < 1)
        usage();
    signal(SIGPIPE, SIG_IGN);
    /* Thousands of connections: the soft fd limit up to the hard one. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    snprintf(hostport, sizeof(hostport), "%s:%d", host, port);
    snprintf(run_tag, sizeof(run_tag), "%lx%x", (long)time(NULL), (unsigned)getpid());
    if (ids_path != NULL && (ids_out = fopen(ids_path, "w")) == NULL)
        die("could not write %s: %s", ids_path, strerror(errno));
    if ((base = event_base_new()) == NULL)
        die("could not make an event base");

    if (strcmp(a[0], "wait") == 0 && na == 2)
        rc = cmd_wait(num(a[1]));
    else if (strcmp(a[0], "setup") == 0 && na == 2)
        rc = cmd_setup((int)num(a[1]));
    else if (strcmp(a[0], "syncsetup") == 0 && na == 3)
        rc = cmd_syncsetup((int)num(a[1]), (int)num(a[2]));
    else if (strcmp(a[0], "send") == 0 && na == 4)
        rc = cmd_send(a[1], (int)num(a[2]), num(a[3]));
    else if (strcmp(a[0], "latency") == 0 && na == 4)
        rc = cmd_latency((int)num(a[1]), num(a[2]), num(a[3]));
    else if (strcmp(a[0], "login") == 0 && na == 3)
        rc = cmd_login((int)num(a[1]), num(a[2]));
    else if (strcmp(a[0], "register") == 0 && na == 3)
        rc = cmd_register((int)num(a[1]), num(a[2]));
    else if (strcmp(a[0], "initsync") == 0 && na == 2)
        rc = cmd_initsync((int)num(a[1]));
    else if (strcmp(a[0], "incsync") == 0 && na == 2)
        rc = cmd_incsync((int)num(a[1]));
    else if (strcmp(a[0], "park") == 0 && na == 2)
        rc = cmd_park((int)num(a[1]));
    else if (strcmp(a[0], "rss") == 0 && na == 1)
        rc = cmd_rss(label);
    else
        usage();
    if (ids_out != NULL && fclose(ids_out) != 0)
        die("could not write %s: %s", ids_path, strerror(errno));
    event_base_free(base);
    return rc;
}
