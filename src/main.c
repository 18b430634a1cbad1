/*
 * main.c -- syncrod: load the config, bring up the database, listen,
 * tell systemd we are ready, and on SIGTERM/SIGINT stop accepting, let
 * in-flight requests finish, stop the embedded database and exit 0.
 */
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/routes.h"
#include "config.h"
#include "crypto/ed25519.h"
#include "db/db.h"
#include "db/embedded.h"
#include "http/ratelimit.h"
#include "http/route.h"
#include "http/server.h"
#include "node.h"
#include "db/tokens.h"
#include "rooms/cache.h"
#include "rooms/room.h"
#include "sync/notifier.h"
#include "sync/positions.h"
#include "sync/typing.h"
#include "util/err.h"
#include "util/parallel.h"
#include "util/log.h"
#include "util/time.h"

#define SHUTDOWN_GRACE_MS 10000
/* Hot room data: signed events by ID and current state per room. */
#define ROOM_EVENT_CACHE_BYTES (16u << 20)
#define ROOM_STATE_CACHE_BYTES (16u << 20)

struct daemon {
    struct sy_node node;
    struct sy_config *cfg;
    struct sy_signing_key key;
    struct event_base *base;
    char *embedded_dsn;
    int embedded_started;
    int stopping;
    int64_t stop_deadline_us;
    struct event *drain_timer;
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: syncrod --config FILE\n"
               "\n"
               "Runs a Syncro homeserver node as configured in FILE (see syncro.yaml(5)).\n"
               "\n"
               "  -c, --config FILE   the configuration file (required)\n"
               "  -h, --help          show this help\n"
               "  -V, --version       show the version\n");
}

/* systemd's readiness protocol without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void
notify_ready(void)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    socklen_t len;
    int fd;

    if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof(sa.sun_path))
        return;
    memcpy(sa.sun_path, path, strlen(path));
    /* A leading '@' names an abstract socket. */
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = '\0';
    len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    if (sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&sa, len) < 0)
        sy_log(SY_LOG_WARN, "could not notify readiness on %s: %s", path, strerror(errno));
    close(fd);
}

static void
drain_tick(evutil_socket_t fd, short what, void *arg)
{
    struct daemon *d = arg;
    int busy = d->node.http != NULL ? sy_http_in_flight(d->node.http) : 0;

    if (busy == 0 || sy_mono_us() >= d->stop_deadline_us) {
        if (busy > 0)
            sy_log(SY_LOG_WARN, "stopping with %d requests still running", busy);
        event_base_loopexit(d->base, NULL);
    }
}

/* Typing expires lazily; this tick makes expiries reach long-polls within a second. */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
    sy_typing_position();
}

static void
on_sighup(evutil_socket_t sig, short what, void *arg)
{
    if (sy_log_reopen() != SY_OK)
        sy_log(SY_LOG_ERROR, "could not reopen the log file: %s", strerror(errno));
    else
        sy_log(SY_LOG_INFO, "log file reopened");
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct daemon *d = arg;
    struct timeval tick = {0, 20000};

    if (d->stopping) {
        sy_log(SY_LOG_WARN, "second signal: stopping now");
        event_base_loopexit(d->base, NULL);
        return;
    }
    d->stopping = 1;
    /* Parked long-polls answer now rather than hold the stop for their timeout. */
    sy_notify_shutdown();
    sy_log(SY_LOG_INFO, "received %s: no new connections; finishing requests",
           sig == SIGTERM ? "SIGTERM" : "SIGINT");
    if (d->node.http != NULL)
        sy_http_stop_accepting(d->node.http);
    d->stop_deadline_us = sy_mono_us() + SHUTDOWN_GRACE_MS * 1000LL;
    d->drain_timer = event_new(d->base, -1, EV_PERSIST, drain_tick, d);
    event_add(d->drain_timer, &tick);
}

static int
open_database(struct daemon *d, struct sy_error *err)
{
    struct sy_db *db;
    int applied;

    if (d->cfg->database_embedded != NULL) {
        if (sy_db_embedded_start(d->cfg->database_embedded, &d->embedded_dsn,
                                 &d->embedded_started, err) != SY_OK)
            return err->code;
        d->node.dsn = d->embedded_dsn;
        sy_log(SY_LOG_INFO, "embedded database running in %s", d->cfg->database_embedded);
    } else {
        d->node.dsn = d->cfg->database_dsn;
    }
    if (sy_db_connect(d->node.dsn, 0, &db, err) != SY_OK)
        return err->code;
    if (sy_db_migrate(db, &applied, err) != SY_OK) {
        sy_db_close(db);
        return err->code;
    }
    sy_db_close(db);
    return SY_OK;
}

static void
setup_node(struct daemon *d)
{
    const struct sy_config *cfg = d->cfg;

    d->node.cfg = cfg;
    d->node.key = &d->key;
    d->node.router = sy_api_router_new();
    d->node.rl_login_ip = sy_ratelimiter_new(cfg->rl_login.per_second, cfg->rl_login.burst);
    d->node.rl_login_user = sy_ratelimiter_new(cfg->rl_login.per_second, cfg->rl_login.burst);
    d->node.rl_register_ip =
        sy_ratelimiter_new(cfg->rl_register.per_second, cfg->rl_register.burst);
    /* Look-ups a registration form makes while the user types: ten times the register budget. */
    d->node.rl_query_ip =
        sy_ratelimiter_new(cfg->rl_register.per_second * 10, cfg->rl_register.burst * 10);
    d->node.started_ms = sy_now_ms();
    sy_room_cache_init(ROOM_EVENT_CACHE_BYTES, ROOM_STATE_CACHE_BYTES);
}

/*
 * The writers sign a batch's messages side by side with helpers
 * (util/parallel.h): one a core besides the writer's own.
 */
static int
start_signers(const struct sy_config *cfg, struct sy_error *err)
{
    if (sy_parallel_start(cfg->worker_threads - 1) != SY_OK)
        return sy_err_internal(err, "could not start the signing helpers");
    return SY_OK;
}

static void
teardown(struct daemon *d)
{
    struct sy_error err = {0};

    sy_room_writer_stop(); /* a no-op unless start-up failed half-way */
    sy_parallel_stop();    /* after the writers, who hand it their signatures */
    sy_db_auth_listen_stop();
    sy_http_free(d->node.http);
    sy_event_positions_stop(); /* no worker left to write events: the writer lock goes */
    if (d->drain_timer != NULL)
        event_free(d->drain_timer);
    sy_router_free(d->node.router);
    sy_room_cache_free();
    sy_ratelimiter_free(d->node.rl_login_ip);
    sy_ratelimiter_free(d->node.rl_login_user);
    sy_ratelimiter_free(d->node.rl_register_ip);
    sy_ratelimiter_free(d->node.rl_query_ip);
    if (d->embedded_started &&
        sy_db_embedded_stop(d->cfg->database_embedded, &err) != SY_OK)
        sy_log(SY_LOG_ERROR, "%s", err.msg);
    free(d->embedded_dsn);
    sy_ed25519_clear(&d->key);
    if (d->base != NULL)
        event_base_free(d->base);
    sy_config_free(d->cfg);
}

/* Signals are caught from the start, so a stop during start-up still stops the database. */
static void
watch_signals(struct daemon *d, struct event **evs)
{
    evs[0] = evsignal_new(d->base, SIGTERM, on_signal, d);
    evs[1] = evsignal_new(d->base, SIGINT, on_signal, d);
    evs[2] = evsignal_new(d->base, SIGHUP, on_sighup, d);
    for (int i = 0; i < 3; i++)
        event_add(evs[i], NULL);
}

/* 1 if a stop signal arrived while we were busy starting. */
static int
stop_requested(struct daemon *d)
{
    event_base_loop(d->base, EVLOOP_NONBLOCK);
    return d->stopping;
}

static int
run(struct daemon *d, const char *config_path)
{
    struct sy_error err = {0};
    struct event *sigs[3] = {NULL};
    int rc = 1;

    if (sy_config_load(config_path, &d->cfg, &err) != SY_OK) {
        fprintf(stderr, "syncrod: %s\n", err.msg);
        return 1;
    }
    if (sy_log_open(d->cfg->log_file, d->cfg->log_level) != SY_OK) {
        fprintf(stderr, "syncrod: could not open log file %s: %s\n", d->cfg->log_file,
                strerror(errno));
        return 1;
    }
    if (sy_ed25519_load_file(&d->key, d->cfg->signing_key_path, &err) != SY_OK) {
        sy_log(SY_LOG_ERROR, "%s (create one with: syncroctl --config %s keygen)", err.msg,
               config_path);
        return 1;
    }
    evthread_use_pthreads();
    d->base = event_base_new();
    watch_signals(d, sigs);
    if (open_database(d, &err) != SY_OK) {
        sy_log(SY_LOG_ERROR, "%s%s%s", err.msg, err.log_detail[0] ? ": " : "", err.log_detail);
    } else if (stop_requested(d)) {
        sy_log(SY_LOG_INFO, "stopped during start-up");
        rc = 0;
    } else {
        setup_node(d);
        if (sy_db_auth_listen_start(d->node.dsn, &err) != SY_OK ||
            sy_event_positions_start(d->node.dsn, &err) != SY_OK ||
            start_signers(d->cfg, &err) != SY_OK ||
            sy_room_writer_start(&d->node, &err) != SY_OK ||
            sy_http_start(&d->node, d->base, &d->node.http, &err) != SY_OK) {
            sy_log(SY_LOG_ERROR, "%s", err.msg);
        } else {
            struct timeval second = {1, 0};
            struct event *tick = event_new(d->base, -1, EV_PERSIST, on_tick, d);

            event_add(tick, &second);
            sy_log(SY_LOG_INFO, "syncrod %s ready: %s", PACKAGE_VERSION, d->cfg->server_name);
            notify_ready();
            event_base_dispatch(d->base);
            event_free(tick);
            /* After the drain: sends still queued are written and answered. */
            sy_room_writer_stop();
            sy_log(SY_LOG_INFO, "stopped");
            rc = 0;
        }
    }
    for (int i = 0; i < 3; i++)
        if (sigs[i] != NULL)
            event_free(sigs[i]);
    return rc;
}

/*
 * Buffers of MMAP_THRESHOLD and more (replies, their JSON text) come from
 * mmap and go back to the kernel when freed.  In the heap they left holes
 * between the long-lived per-connection objects that glibc keeps: 10,000
 * long-polls whose first replies (27 KB each) went out together stayed
 * ~20 MB larger.  A fixed threshold also stops glibc raising it to the
 * largest buffer freed so far (a 1 MB initial /sync), which would put
 * those in the heap as well.
 */
#define MMAP_THRESHOLD (32 * 1024)

/*
 * A writer's batch allocates and frees megabytes each time; at glibc's
 * default trim threshold (128 KB) every free gave the top of the thread's
 * heap back and the next batch faulted it in again (madvise, page faults
 * and TLB shootdowns across cores: a fifth of syncrod's CPU in shared-room
 * sends).  Free heap is given back when the node is quiet instead
 * (http/server.c calls malloc_trim).
 */
#define TRIM_THRESHOLD (64L * 1024 * 1024)

static void
set_allocator(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
#endif
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL;
    struct daemon d = {0};
    int c, rc;

    while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("syncrod %s\n", PACKAGE_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (config_path == NULL || optind != argc) {
        usage(stderr);
        return 2;
    }
    /* A client hanging up mid-reply must not kill the node. */
    signal(SIGPIPE, SIG_IGN);
    set_allocator();
    rc = run(&d, config_path);
    teardown(&d);
    return rc;
}
