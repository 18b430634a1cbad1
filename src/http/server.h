/*
 * http/server.h -- the listeners and their worker threads.
 *
 * Each configured listener has its own pool of worker threads; every worker
 * thread runs its own libevhtp server on the listener's port (SO_REUSEPORT,
 * so it accepts its own connections) and opens its own PostgreSQL
 * connection when it starts.  Requests are routed through the node's router
 * and the handler runs on the worker thread.  Owner: main.c.
 */
#ifndef SY_HTTP_SERVER_H
#define SY_HTTP_SERVER_H

struct event_base;
struct sy_node;
struct sy_error;

struct sy_http;

/* Bind every listener and start its workers; 0 and *out, or an error naming the listener. */
int sy_http_start(struct sy_node *node, struct event_base *base, struct sy_http **out,
                  struct sy_error *err);
/* Stop accepting connections; requests already received go on. */
void sy_http_stop_accepting(struct sy_http *http);
/* Requests being handled right now. */
int sy_http_in_flight(const struct sy_http *http);
/* Stop the workers and free everything. */
void sy_http_free(struct sy_http *http);

#endif /* SY_HTTP_SERVER_H */
