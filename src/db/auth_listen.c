/*
 * db/auth_listen.c -- hear about token, device and rights changes made by
 * other processes (syncroctl, a second syncrod): every such change sends
 * NOTIFY syncro_auth in its transaction (sy_db_auth_changed), and a
 * thread with its own connection LISTENs and moves the auth generation
 * (db/tokens.h) when one arrives.  While that connection is down nothing
 * may be cached: sy_db_auth_cache_ok() says so.
 */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"
#include "db/tokens.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

#define POLL_MS 500

static pthread_t thread;
static int running;
static _Atomic int stopping, listening;
static char *listen_dsn;

static PGconn *
connect_and_listen(void)
{
    PGconn *c = PQconnectdb(listen_dsn);
    PGresult *res;

    if (PQstatus(c) != CONNECTION_OK) {
        PQfinish(c);
        return NULL;
    }
    res = PQexec(c, "LISTEN syncro_auth");
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        PQclear(res);
        PQfinish(c);
        return NULL;
    }
    PQclear(res);
    return c;
}

/* Wait for notifications on c until it fails or we stop; 0 when it failed. */
static int
listen_on(PGconn *c)
{
    while (!stopping) {
        struct pollfd p = {.fd = PQsocket(c), .events = POLLIN};
        PGnotify *n;
        int moved = 0;

        if (poll(&p, 1, POLL_MS) < 0)
            continue;
        if (PQconsumeInput(c) != 1)
            return 0;
        while ((n = PQnotifies(c)) != NULL) {
            moved = 1;
            PQfreemem(n);
        }
        if (moved)
            sy_db_auth_generation_bump();
    }
    return 1;
}

static void *
listener_main(void *arg)
{
    (void)arg;
    while (!stopping) {
        PGconn *c = connect_and_listen();

        if (c == NULL) {
            poll(NULL, 0, POLL_MS);
            continue;
        }
        /* Whatever happened while we were not listening: forget every cached answer. */
        sy_db_auth_generation_bump();
        listening = 1;
        if (!listen_on(c))
            sy_log(SY_LOG_WARN, "auth listener lost its database connection; reconnecting");
        listening = 0;
        sy_db_auth_generation_bump();
        PQfinish(c);
    }
    return NULL;
}

int
sy_db_auth_listen_start(const char *dsn, struct sy_error *err)
{
    listen_dsn = sy_strdup(dsn);
    stopping = 0;
    if (pthread_create(&thread, NULL, listener_main, NULL) != 0) {
        free(listen_dsn);
        listen_dsn = NULL;
        return sy_err_internal(err, "cannot start the auth listener thread");
    }
    running = 1;
    return SY_OK;
}

void
sy_db_auth_listen_stop(void)
{
    if (!running)
        return;
    stopping = 1;
    pthread_join(thread, NULL);
    running = 0;
    free(listen_dsn);
    listen_dsn = NULL;
}

int
sy_db_auth_cache_ok(void)
{
    return listening;
}
