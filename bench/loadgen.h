/*
 * bench/loadgen.h -- what the files of the load generator share.
 *
 * core.c holds the machinery: one libevent loop, keep-alive HTTP clients
 * (evhttp) with at most one request in flight each, JSON helpers, samples
 * and percentiles, /proc readings, the state file, batches of jobs and
 * timed closed loops.  setup.c makes the users and rooms; every scenario
 * has its own file (send.c, latency.c, auth.c, sync.c, park.c) and
 * loadgen.c reads the command line.
 *
 * Figures go to stdout as "RESULT <scenario> <concurrency> <figure> <value>"
 * (bench/run.sh reads them); progress and errors go to stderr.
 */
#ifndef SY_BENCH_LOADGEN_H
#define SY_BENCH_LOADGEN_H

#include <event2/event.h>
#include <event2/http.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>

#define MAX_USERS 1000
#define MAX_ROOMS 1000
#define PASSWORD_SUFFIX "-bench-pw"
/* The filter of the waiting clients: a long timeline, so no send is cut. */
#define TIMELINE_FILTER "{\"room\":{\"timeline\":{\"limit\":100}}}"

/* ---- settings from the command line (loadgen.c) ---- */
extern struct event_base *base;
extern char hostport[64];
extern const char *host;
extern int port;
extern long server_pid, pg_pid; /* 0 when not given */
extern const char *state_path;
extern FILE *ids_out;    /* event IDs answered 200, or NULL */
extern char run_tag[48]; /* unique per run: transaction IDs, user names */

/* ---- small helpers ---- */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
double now_ms(void);
void *xcalloc(size_t n, size_t sz);
char *xstrdup(const char *s);
char *enc(const char *s); /* percent-encoded copy; free() it */
void result(const char *scen, int conc, const char *figure, double v);

/* ---- samples ---- */
struct samples {
    double *v;
    size_t n, cap;
};
void sample_add(struct samples *s, double v);
/* Nearest-rank percentile, p in [0,100]; 0 when empty. */
double pct(struct samples *s, double p);

/* ---- /proc ---- */
long long proc_ticks(long pid); /* utime+stime of all threads; -1 if gone */
long long pg_ticks(void);       /* the postmaster, its backends, the ended ones it reaped */
long proc_rss_kb(long pid);     /* VmRSS; -1 if unknown */

/* ---- HTTP clients ---- */
struct client;
typedef void (*resp_fn)(struct client *c, int status, const char *body, size_t len);

struct client {
    int idx;
    struct evhttp_connection *ec;
    const char *token;
    const char *room_enc; /* room ID, percent-encoded for paths */
    char *since;
    long seq;
    double t0; /* when the request (or the flow it belongs to) started */
    int busy;
    int stopped;
    resp_fn fn;
    int user;           /* index into the state's users */
    char reg_name[128]; /* the user being registered (register_user) */
    resp_fn reg_then;
};

/* local_addr: the source address, or NULL. */
struct client *client_new(int idx, const char *local_addr);
void client_free(struct client *c);
struct client **clients_new(int n);
void clients_free(struct client **cl, int n);
/* Send one request; fn gets the answer (status 0: none, the body says why). */
void http(struct client *c, enum evhttp_cmd_type m, const char *path, const char *body, resp_fn fn);

/* ---- JSON ---- */
struct json_object *parse_json(const char *body, size_t len);
const char *jstr(struct json_object *o, const char *key);
struct json_object *jget(struct json_object *o, const char *key);

/* ---- Matrix requests the scenarios share ---- */
/* /sync with since (or none), timeout and filter (or none), into out. */
void sync_path(char *out, size_t cap, const char *since, long timeout_ms, const char *filter);
/* The next_batch of a 200 /sync answer (a copy), or die naming 'what'. */
char *next_batch_or_die(const char *what, int status, const char *body, size_t len);
/* c->since := the next_batch of o, when it has one. */
void client_take_since(struct client *c, struct json_object *o);
/* PUT path of the client's next message: room c->room_enc, txn from run_tag, idx, seq. */
void send_path(char *out, size_t cap, const struct client *c);
/* The event ID of a 200 answer to a send, written to ids_out; -1 if none. */
int record_event_id(const char *body, size_t len);
/*
 * The user-interactive registration of 'name' (password name + suffix):
 * a 401 with a session, then m.login.dummy.  'then' gets the second answer,
 * or the first when it was not a 401 with a session (a 200 there is passed
 * as status -1); c->t0 stays that of the first request.
 */
void register_user(struct client *c, const char *name, resp_fn then);

/* ---- the state file (written by setup) ---- */
struct user {
    char *name, *user_id, *token;
};
extern struct user users[MAX_USERS];
extern int n_users;
extern char *own_rooms[MAX_ROOMS], *sync_rooms[MAX_ROOMS];
extern int n_own, n_sync;
extern char *shared_room, *lat_room;

void state_load(void);
int user_find(const char *name); /* index, or -1 */
int user_need(const char *name); /* index, or die */
int bu_index(int i);             /* index of user bu<i>, or die */
int bu_count(void);              /* how many of bu0, bu1, ... exist; die if none */

/* ---- batches: N jobs over C connections, then return ---- */
void run_batch(int n, int conc, void (*start)(struct client *c, int job), double timeout_s,
               const char *what);
/* A job's last answer arrived: start the next job on this client. */
void batch_next(struct client *c);

/* ---- timed closed loops: each client sends its next request on an answer ---- */
/* Run issue() on every client until the time is up (or too many errors). */
void loop_run(struct client **cl, int conc, double seconds, void (*issue)(struct client *c));
/* One answer: counted, then the client's next request, or it stops (time is up). */
void loop_answer(struct client *c, int ok, int status, const char *body);
/* RESULT lines: the rate as 'figure', latency p50/p99, ok and error counts. */
void loop_report(const char *scen, const char *figure);

/* ---- the commands ---- */
int cmd_setup(int users);
int cmd_syncsetup(int rooms, int msgs);
int cmd_send(const char *mode, int conc, double seconds);
int cmd_latency(int waiters, double rate, double seconds);
int cmd_login(int conc, double seconds);
int cmd_register(int conc, double seconds);
int cmd_initsync(int n);
int cmd_incsync(int n);
int cmd_park(int n);

#endif /* SY_BENCH_LOADGEN_H */
