/*
 * http/server.c -- libevhtp listeners, worker threads, and the request
 * life cycle: headers -> body (capped) -> route, authenticate, rate-limit
 * -> handler -> access log -> free.
 */
#include <arpa/inet.h>
#include <event2/listener.h>
#include <evhtp.h>
#include <malloc.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "db/db.h"
#include "http/auth.h"
#include "http/park.h"
#include "http/ratelimit.h"
#include "http/reply.h"
#include "http/req.h"
#include "http/route.h"
#include "http/server.h"
#include "node.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

/*
 * Each worker thread has its own event base and its own libevhtp server,
 * bound to the listener's port with SO_REUSEPORT: the kernel spreads the
 * connections over the workers' sockets and each worker accepts its own.
 * (libevhtp's thread pool instead accepts on one thread and hands every
 * socket to a worker over a non-blocking socketpair; a busy worker's pair
 * fills after ~280 hand-offs and libevhtp then closes the new connection,
 * which dropped over a tenth of a burst of 10,000 long-polls.)
 */
#define LISTEN_BACKLOG 4096 /* per worker socket; the kernel caps it at net.core.somaxconn */

/*
 * A worker accepts at most ACCEPTS_PER_TURN connections, then polls once
 * before it accepts more (the rest wait in the kernel's queue).  Replies
 * are written only when the loop next polls: accepting a burst of 10,000
 * at once built all their first replies (27 KB each in the bench) before
 * sending any, ~80 MB more heap at the peak, which glibc then keeps.
 */
#define ACCEPTS_PER_TURN 64

/*
 * glibc keeps the free heap a burst leaves (10,000 parked long-polls that
 * closed left ~140 MB resident of which ~6 MB in use).  Once a second,
 * the main thread looks: when the node has been quiet for that
 * second (under TRIM_QUIET_MS of CPU) after its resident size grew by
 * TRIM_GROWTH or its requests in flight fell by TRIM_DROP since the last
 * trim, malloc_trim gives the free pages back.  A busy node does not trim
 * (it will reuse its heap); a steady one has nothing to trim.
 */
#define TRIM_QUIET_MS 50
#define TRIM_GROWTH (32L << 20)
#define TRIM_DROP 1000

struct worker;

struct listener {
    struct sy_http *http;
    const struct sy_listener_config *cfg;
    struct worker *workers;
    int n_workers;
};

struct sy_http {
    struct sy_node *node;
    struct listener *listeners;
    size_t n;
    atomic_int in_flight;
    atomic_uint next_req;
    struct event *trim_timer; /* on the main base, every second */
    int64_t trim_cpu_ms;      /* the process's CPU time at the last check */
    long trim_rss;            /* lowest resident size since the last trim */
    int trim_in_flight;       /* most requests in flight since the last trim */
};

/* An open connection of a worker, so the worker can close what is left when it stops. */
struct conn_link {
    struct conn_link *prev, *next;
    evhtp_connection_t *conn;
    struct worker *w;
};

/* A worker thread: its base, its server on the listener's port, its database connection. */
struct worker {
    struct listener *listener;
    struct event_base *base;
    evhtp_t *htp;
    evhtp_ssl_cfg_t *ssl_cfg;
    struct sy_db *db;
    struct conn_link *conns; /* open connections; touched only on this worker's thread */
    int accepted;            /* since the worker last polled (ACCEPTS_PER_TURN) */
    struct event *accept_again;
    pthread_t thread;
    int running; /* the thread was started (main thread's view) */
};

static unsigned
method_bit(htp_method m, const char **name)
{
    switch (m) {
    case htp_method_GET:
        *name = "GET";
        return SY_GET;
    case htp_method_POST:
        *name = "POST";
        return SY_POST;
    case htp_method_PUT:
        *name = "PUT";
        return SY_PUT;
    case htp_method_DELETE:
        *name = "DELETE";
        return SY_DELETE;
    case htp_method_OPTIONS:
        *name = "OPTIONS";
        return SY_OPTIONS;
    case htp_method_HEAD:
        *name = "HEAD";
        return SY_HEAD;
    default:
        *name = "OTHER";
        return 0;
    }
}

static const char *
peer_ip(evhtp_request_t *ev, struct sy_arena *a)
{
    char buf[INET6_ADDRSTRLEN] = "-";
    struct sockaddr *sa = ev->conn->saddr;

    if (sa != NULL && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, buf, sizeof(buf));
    else if (sa != NULL && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, buf, sizeof(buf));
    return sy_arena_strdup(a, buf);
}

/* Request fini: one access-log line, then the arena (and all request memory) goes. */
static evhtp_res
on_request_fini(evhtp_request_t *ev, void *arg)
{
    struct sy_req *req = arg;
    struct sy_http *http = req->node->http;
    int64_t us = sy_mono_us() - req->start_us;

    sy_log(SY_LOG_INFO, "%s %s %s %s %d %lld.%03lldms", req->id, req->remote_ip, req->method_name,
           req->path, req->status, (long long)(us / 1000), (long long)(us % 1000));
    if (req->counted)
        atomic_fetch_sub(&http->in_flight, 1);
    sy_arena_free(req->arena);
    return EVHTP_RES_OK;
}

/* Body chunks: keep up to the cap, drop (but keep reading) the rest. */
static evhtp_res
on_body(evhtp_request_t *ev, struct evbuffer *buf, void *arg)
{
    struct sy_req *req = arg;
    size_t len = evbuffer_get_length(buf);

    if (req->body_too_big || req->body_len + len > req->body_cap) {
        req->body_too_big = 1;
        evbuffer_drain(buf, len);
        return EVHTP_RES_OK;
    }
    req->body_len += len;
    return EVHTP_RES_OK; /* evhtp appends it to buffer_in */
}

/* Headers done: make the request context and pick the route, so the body cap is known. */
static evhtp_res
on_headers(evhtp_request_t *ev, evhtp_headers_t *hdrs, void *arg)
{
    struct worker *w = arg;
    struct listener *l = w->listener;
    struct sy_http *http = l->http;
    struct sy_arena *a = sy_arena_new();
    struct sy_req *req = sy_arena_alloc(a, sizeof(*req));
    const char *path = ev->uri && ev->uri->path && ev->uri->path->full ? ev->uri->path->full : "/";

    req->arena = a;
    req->node = http->node;
    req->ev = ev;
    req->start_us = sy_mono_us();
    req->listener_resources = l->cfg->resources;
    req->method = method_bit(ev->method, &req->method_name);
    req->path = sy_arena_strdup(a, path);
    req->query =
        ev->uri && ev->uri->query_raw ? sy_arena_strdup(a, (char *)ev->uri->query_raw) : NULL;
    req->remote_ip = peer_ip(ev, a);
    snprintf(req->id, sizeof(req->id), "r%u", atomic_fetch_add(&http->next_req, 1));
    req->match_rc = sy_router_match(http->node->router, req->method, req->path, a, &req->match);
    req->route = req->match.route;
    req->body_cap = req->route && req->route->max_body ? req->route->max_body
                                                       : http->node->cfg->max_request_body;
    ev->cbarg = req;
    evhtp_request_set_hook(ev, evhtp_hook_on_read, (evhtp_hook)on_body, req);
    evhtp_request_set_hook(ev, evhtp_hook_on_request_fini, (evhtp_hook)on_request_fini, req);
    return EVHTP_RES_OK;
}

static int
route_serves(const struct sy_req *req)
{
    return (req->route->resource & req->listener_resources) != 0;
}

/* Everything the route table asks for before the handler: resource, auth, limits, body. */
static int
prepare_request(struct sy_req *req, struct sy_error *err)
{
    const struct sy_route *route = req->route;
    long retry = 0;

    if (!route_serves(req))
        return sy_error_set(err, SY_ENOTFOUND, 404, "M_UNRECOGNIZED", "unrecognized request");
    if (route->rate_class != SY_RL_NONE && req->node->cfg->rate_limits_enabled) {
        int rc;

        if (route->rate_class == SY_RL_LOGIN)
            rc = sy_ratelimit_take(req->node->rl_login_ip, req->remote_ip, &retry);
        else if (route->rate_class == SY_RL_QUERY)
            rc = sy_ratelimit_take(req->node->rl_query_ip, req->remote_ip, &retry);
        else /* the handler spends it when the account is made */
            rc = sy_ratelimit_check(req->node->rl_register_ip, req->remote_ip, &retry);
        if (rc != SY_OK) {
            sy_error_set(err, SY_ELIMIT, 429, "M_LIMIT_EXCEEDED", "too many requests");
            err->retry_after_ms = retry;
            return SY_ELIMIT;
        }
    }
    if (route->auth != SY_AUTH_NONE && sy_http_authenticate(req, err) != SY_OK)
        return err->code;
    if (req->body_too_big)
        return sy_error_set(err, SY_ETOOBIG, 413, "M_TOO_LARGE",
                            "request body is larger than %zu bytes", req->body_cap);
    return SY_OK;
}

static void
on_request(evhtp_request_t *ev, void *arg)
{
    struct sy_req *req = arg;
    struct sy_http *http = req->node->http;
    struct worker *w = ev->conn->htp->arg;
    struct sy_error err = {0};

    atomic_fetch_add(&http->in_flight, 1);
    req->counted = 1;
    req->db = w->db;
    if (req->method == SY_OPTIONS) {
        /* CORS preflight: the reply carries the allow headers. */
        sy_reply_empty(req);
        return;
    }
    /* A path this listener does not serve is unknown here, whatever the method. */
    if (req->match_rc != SY_MATCH_NOT_FOUND && !(req->match.resources & req->listener_resources))
        req->match_rc = SY_MATCH_NOT_FOUND;
    switch (req->match_rc) {
    case SY_MATCH_OK:
        break;
    case SY_MATCH_BAD_METHOD:
        sy_reply_error(req, 405, "M_UNRECOGNIZED", "method not allowed");
        return;
    case SY_MATCH_BAD_PATH:
        sy_reply_error(req, 400, "M_INVALID_PARAM", "malformed path");
        return;
    default:
        sy_reply_error(req, 404, "M_UNRECOGNIZED", "unrecognized request");
        return;
    }
    if (req->db == NULL) {
        sy_reply_error(req, 503, "M_UNKNOWN", "database unavailable");
        return;
    }
    if (prepare_request(req, &err) != SY_OK) {
        sy_reply_sy_error(req, &err);
        return;
    }
    req->body = req->body_len ? sy_arena_alloc(req->arena, req->body_len + 1) : "";
    if (req->body_len)
        evbuffer_copyout(ev->buffer_in, (char *)req->body, req->body_len);
    req->route->handler(req);
    if (!req->replied && !sy_park_active(req)) {
        sy_log(SY_LOG_ERROR, "%s: handler for %s %s did not reply", req->id, req->method_name,
               req->path);
        sy_reply_error(req, 500, "M_UNKNOWN", "internal server error");
    }
}

static void
unlink_conn(struct conn_link *l)
{
    if (l->prev)
        l->prev->next = l->next;
    else
        l->w->conns = l->next;
    if (l->next)
        l->next->prev = l->prev;
}

static evhtp_res
on_conn_fini(evhtp_connection_t *conn, void *arg)
{
    struct conn_link *l = arg;

    unlink_conn(l);
    free(l);
    return EVHTP_RES_OK;
}

/* The worker's loop has polled since it paused accepting: accept again. */
static void
accept_again(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;

    w->accepted = 0;
    if (w->htp->server != NULL)
        evconnlistener_enable(w->htp->server);
}

/* Runs on the worker that accepted the connection. */
static evhtp_res
on_accept(evhtp_connection_t *conn, void *arg)
{
    struct worker *w = arg;
    struct conn_link *l = sy_calloc(1, sizeof(*l));

    /* libevent's accept loop stops when the listener is disabled. */
    if (++w->accepted == ACCEPTS_PER_TURN && w->htp->server != NULL) {
        struct timeval next_turn = {0, 0};

        evconnlistener_disable(w->htp->server);
        evtimer_add(w->accept_again, &next_turn);
    }

    l->conn = conn;
    l->w = w;
    l->next = w->conns;
    if (w->conns)
        w->conns->prev = l;
    w->conns = l;
    evhtp_connection_set_hook(conn, evhtp_hook_on_connection_fini, (evhtp_hook)on_conn_fini, l);
    evhtp_connection_set_hook(conn, evhtp_hook_on_headers, (evhtp_hook)on_headers, w);
    return EVHTP_RES_OK;
}

/* The worker thread: its database connection, then its loop until sy_http_free breaks it. */
static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    struct sy_error err = {0};

    if (sy_db_connect(w->listener->http->node->dsn, 1, &w->db, &err) != SY_OK)
        sy_log(SY_LOG_ERROR, "worker could not connect to the database: %s: %s", err.msg,
               err.log_detail);
    event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
    /* Stopping: keep-alive connections still open are closed here, on this thread. */
    evhtp_unbind_socket(w->htp);
    while (w->conns != NULL)
        evhtp_connection_free(w->conns->conn); /* on_conn_fini unlinks it */
    /* libevent finalizes freed bufferevents from the loop: give it that last turn. */
    event_base_loop(w->base, EVLOOP_NONBLOCK);
    sy_db_close(w->db);
    w->db = NULL;
    return NULL;
}

static int
setup_tls(struct worker *w, struct sy_error *err)
{
    const struct sy_listener_config *lc = w->listener->cfg;
    evhtp_ssl_cfg_t *scfg = sy_calloc(1, sizeof(*scfg));

    scfg->pemfile = lc->tls_certificate;
    scfg->privfile = lc->tls_private_key;
    scfg->ssl_opts = SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
    scfg->scache_type = evhtp_ssl_scache_type_internal;
    scfg->scache_timeout = 300;
    if (evhtp_ssl_init(w->htp, scfg) != 0) {
        free(scfg);
        return sy_error_set(err, SY_EIO, 500, "M_UNKNOWN", "could not set up TLS with %s and %s",
                            lc->tls_certificate, lc->tls_private_key);
    }
    w->ssl_cfg = scfg; /* evhtp keeps the pointer for the life of the server */
    return SY_OK;
}

static int
listen_error(const struct listener *l, struct sy_error *err)
{
    return sy_error_set(err, SY_EIO, 500, "M_UNKNOWN", "could not listen on %s port %d",
                        l->cfg->address, l->cfg->port);
}

/* The listener's address; the config allows only IPv4 and IPv6 literals. */
static int
listen_addr(const struct listener *l, struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET6, l->cfg->address, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)l->cfg->port);
        *len = sizeof(*sin6);
        return SY_OK;
    }
    if (inet_pton(AF_INET, l->cfg->address, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)l->cfg->port);
        *len = sizeof(*sin);
        return SY_OK;
    }
    return SY_EINVAL;
}

/*
 * With SO_REUSEPORT a second syncrod on the same port would bind as well
 * and silently take part of the connections: a plain bind first, closed
 * at once, finds the port taken.
 */
static int
port_taken(const struct sockaddr_storage *ss, socklen_t len)
{
    int on = 1, taken, fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (ss->ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
    taken = bind(fd, (const struct sockaddr *)ss, len) != 0;
    close(fd);
    return taken;
}

/* The worker's base and server, bound to the listener's port; its thread is not started yet. */
static int
worker_bind(struct listener *l, struct worker *w, struct sockaddr_storage *ss, socklen_t len,
            struct sy_error *err)
{
    w->listener = l;
    if ((w->base = event_base_new()) == NULL || (w->htp = evhtp_new(w->base, w)) == NULL ||
        (w->accept_again = evtimer_new(w->base, accept_again, w)) == NULL)
        return sy_err_internal(err, "could not create an HTTP server");
    /* Bodies are capped per route in on_body; evhtp's own cap would cut the connection. */
    evhtp_set_max_body_size(w->htp, 0);
    evhtp_set_post_accept_cb(w->htp, on_accept, w);
    evhtp_set_gencb(w->htp, on_request, NULL);
    evhtp_enable_flag(w->htp, EVHTP_FLAG_ENABLE_REUSEPORT);
    if (l->cfg->tls_certificate != NULL && setup_tls(w, err) != SY_OK)
        return err->code;
    if (evhtp_bind_sockaddr(w->htp, (struct sockaddr *)ss, len, LISTEN_BACKLOG) != 0)
        return listen_error(l, err);
    return SY_OK;
}

static int
start_listener(struct sy_http *http, struct listener *l, struct sy_error *err)
{
    struct sockaddr_storage ss;
    socklen_t len;

    l->http = http;
    l->n_workers = http->node->cfg->worker_threads;
    l->workers = sy_calloc((size_t)l->n_workers, sizeof(struct worker));
    if (listen_addr(l, &ss, &len) != SY_OK || port_taken(&ss, len))
        return listen_error(l, err);
    for (int i = 0; i < l->n_workers; i++)
        if (worker_bind(l, &l->workers[i], &ss, len, err) != SY_OK)
            return err->code;
    for (int i = 0; i < l->n_workers; i++) {
        struct worker *w = &l->workers[i];

        if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
            return sy_err_internal(err, "could not start worker threads");
        w->running = 1;
    }
    sy_log(SY_LOG_INFO, "listening on %s:%d%s (%d workers)", l->cfg->address, l->cfg->port,
           l->cfg->tls_certificate ? " (TLS)" : "", l->n_workers);
    return SY_OK;
}

/* Resident size in bytes (/proc/self/statm); 0 if unknown. */
static long
resident_bytes(void)
{
    long size, pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");

    if (f == NULL)
        return 0;
    if (fscanf(f, "%ld %ld", &size, &pages) != 2)
        pages = 0;
    fclose(f);
    return pages * sysconf(_SC_PAGESIZE);
}

static int64_t
process_cpu_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Main thread, every second: give the free heap back once a burst is over (see TRIM_*). */
static void
trim_check(evutil_socket_t fd, short what, void *arg)
{
    struct sy_http *http = arg;
    int64_t cpu = process_cpu_ms();
    int quiet = cpu - http->trim_cpu_ms < TRIM_QUIET_MS;
    int requests = atomic_load(&http->in_flight);
    long rss = resident_bytes();

    http->trim_cpu_ms = cpu;
    if (requests > http->trim_in_flight)
        http->trim_in_flight = requests;
    if (rss < http->trim_rss)
        http->trim_rss = rss;
    if (!quiet ||
        (rss < http->trim_rss + TRIM_GROWTH && http->trim_in_flight - requests < TRIM_DROP))
        return;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    http->trim_rss = resident_bytes();
    http->trim_in_flight = requests;
    http->trim_cpu_ms = process_cpu_ms(); /* the trim's own CPU is not the node's */
    sy_log(SY_LOG_INFO, "heap trimmed: %ld -> %ld MiB resident, %d requests in flight", rss >> 20,
           http->trim_rss >> 20, requests);
}

int
sy_http_start(struct sy_node *node, struct event_base *base, struct sy_http **out,
              struct sy_error *err)
{
    struct sy_http *http = sy_calloc(1, sizeof(*http));
    struct timeval every = {1, 0};

    http->node = node;
    node->http = http;
    *out = http;
    http->n = node->cfg->n_listeners;
    http->listeners = sy_calloc(http->n, sizeof(struct listener));
    for (size_t i = 0; i < http->n; i++) {
        http->listeners[i].cfg = &node->cfg->listeners[i];
        if (start_listener(http, &http->listeners[i], err) != SY_OK)
            return err->code;
    }
    http->trim_cpu_ms = process_cpu_ms();
    http->trim_rss = resident_bytes();
    http->trim_timer = event_new(base, -1, EV_PERSIST, trim_check, http);
    event_add(http->trim_timer, &every);
    return SY_OK;
}

/* On the worker's thread: its listening socket may be in use in its loop right now. */
static void
unbind_on_worker(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;

    evhtp_unbind_socket(w->htp);
}

void
sy_http_stop_accepting(struct sy_http *http)
{
    for (size_t i = 0; i < http->n; i++) {
        struct listener *l = &http->listeners[i];

        for (int j = 0; j < l->n_workers; j++) {
            struct worker *w = &l->workers[j];

            if (w->running)
                event_base_once(w->base, -1, EV_TIMEOUT, unbind_on_worker, w, NULL);
            else if (w->htp != NULL)
                evhtp_unbind_socket(w->htp);
        }
    }
}

int
sy_http_in_flight(const struct sy_http *http)
{
    return atomic_load(&((struct sy_http *)http)->in_flight);
}

/* Stop the worker's thread (it closes its connections), then free what it had. */
static void
worker_free(struct worker *w)
{
    if (w->running) {
        event_base_loopbreak(w->base);
        pthread_join(w->thread, NULL);
        w->running = 0;
    }
    if (w->htp != NULL) {
        evhtp_unbind_socket(w->htp);
        evhtp_free(w->htp);
    }
    free(w->ssl_cfg);
    if (w->accept_again != NULL)
        event_free(w->accept_again);
    if (w->base != NULL)
        event_base_free(w->base);
}

void
sy_http_free(struct sy_http *http)
{
    if (http == NULL)
        return;
    if (http->trim_timer != NULL)
        event_free(http->trim_timer);
    for (size_t i = 0; i < http->n; i++) {
        struct listener *l = &http->listeners[i];

        for (int j = 0; j < l->n_workers && l->workers != NULL; j++)
            worker_free(&l->workers[j]);
        free(l->workers);
    }
    free(http->listeners);
    free(http);
}
