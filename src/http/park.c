/*
 * http/park.c -- long-poll parking on libevhtp: the request is paused (no
 * reads on its connection), two events on the worker's own base wait for
 * a wake or the timeout, and the reply later resumes the connection.
 */
#include <evhtp.h>

#include "http/park.h"
#include "http/req.h"
#include "util/arena.h"

struct sy_park {
    struct event *wake_ev;
    struct event *timer;
    struct event *closed_ev; /* the client hung up while we waited */
    sy_req_wake_fn on_wake;
    void (*detach)(void *);
    void *detach_arg;
    int parked;
    int paused; /* the evhtp request is paused and must be resumed after the reply */
};

static void
run_detach(struct sy_park *p)
{
    void (*fn)(void *) = p->detach;

    p->detach = NULL;
    if (fn != NULL)
        fn(p->detach_arg);
}

static void
end_park(struct sy_req *req, int timed_out)
{
    struct sy_park *p = req->park;

    if (!p->parked)
        return;
    p->parked = 0;
    evtimer_del(p->timer);
    event_del(p->closed_ev);
    run_detach(p);
    p->on_wake(req, timed_out);
}

static void
on_wake_ev(evutil_socket_t fd, short what, void *arg)
{
    end_park(arg, 0);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
    end_park(arg, 1);
}

/*
 * Reads are paused while parked, so a hang-up would go unnoticed until the
 * timeout; this watch frees the connection (and the request) at once.
 */
static void
on_closed(evutil_socket_t fd, short what, void *arg)
{
    struct sy_req *req = arg;
    struct sy_park *p = req->park;

    if (!p->parked)
        return;
    p->parked = 0;
    evtimer_del(p->timer);
    run_detach(p);
    evhtp_connection_free(((evhtp_request_t *)req->ev)->conn);
}

/* Request memory goes: detach first (nothing may wake us after), then the events. */
static void
park_free(void *arg)
{
    struct sy_park *p = arg;

    run_detach(p);
    event_free(p->wake_ev);
    event_free(p->timer);
    event_free(p->closed_ev);
}

void
sy_req_park(struct sy_req *req, int64_t timeout_ms, sy_req_wake_fn on_wake)
{
    evhtp_request_t *ev = req->ev;
    struct sy_park *p = req->park;
    struct timeval tv;

    if (p == NULL) {
        struct event_base *base = ev->conn->evbase;

        p = req->park = sy_arena_alloc(req->arena, sizeof(*p));
        p->wake_ev = event_new(base, -1, 0, on_wake_ev, req);
        p->timer = evtimer_new(base, on_timer, req);
        p->closed_ev = event_new(base, ev->conn->sock, EV_CLOSED, on_closed, req);
        sy_arena_on_free(req->arena, park_free, p);
    }
    if (!p->paused) {
        evhtp_request_pause(ev);
        p->paused = 1;
    }
    p->on_wake = on_wake;
    p->parked = 1;
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    evtimer_add(p->timer, &tv);
    /* Where the backend cannot report a hang-up, the timeout still ends the wait. */
    event_add(p->closed_ev, NULL);
}

void
sy_req_park_detach(struct sy_req *req, void (*detach)(void *), void *arg)
{
    req->park->detach = detach;
    req->park->detach_arg = arg;
}

void
sy_req_wake(struct sy_req *req)
{
    event_active(req->park->wake_ev, 0, 0);
}

int
sy_park_active(const struct sy_req *req)
{
    return req->park != NULL && req->park->parked;
}

/* After the reply of a request that was parked (reply.c). */
void
sy_park_after_reply(struct sy_req *req)
{
    if (req->park != NULL && req->park->paused) {
        req->park->paused = 0;
        evhtp_request_resume(req->ev);
    }
}
