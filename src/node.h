/*
 * node.h -- the running node: what every layer may read after start-up.
 *
 * main.c builds one struct sy_node, fills it before any thread starts and
 * frees it after they all stop.  Everything in it is either read-only once
 * the node is running or thread-safe by itself (the rate limiters).
 */
#ifndef SY_NODE_H
#define SY_NODE_H

#include <stdint.h>

struct sy_config;
struct sy_signing_key;
struct sy_router;
struct sy_ratelimiter;
struct sy_http;

struct sy_node {
    const struct sy_config *cfg;
    const char *dsn;                   /* libpq conninfo in use (config's, or the embedded one) */
    const struct sy_signing_key *key;  /* this server's ed25519 signing key */
    struct sy_router *router;
    struct sy_ratelimiter *rl_login_ip;
    struct sy_ratelimiter *rl_login_user;
    struct sy_ratelimiter *rl_register_ip;
    struct sy_ratelimiter *rl_query_ip;
    struct sy_http *http;
    int64_t started_ms;
};

#endif /* SY_NODE_H */
