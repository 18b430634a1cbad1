/*
 * bench/setup.c -- the users and rooms the scenarios use, written to the
 * state file:
 *
 *   setup USERS          users bu0..bu{USERS-1}, bsend, bsync; 64 own rooms,
 *                        a shared room of 64 members, a latency room with
 *                        every bu* user and bsend
 *   syncsetup ROOMS MSGS bsync creates ROOMS rooms and sends MSGS messages
 *                        to each (the event IDs go to -o)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen.h"

/* ---- register users ----------------------------------------------------- */

static struct user new_users[MAX_USERS];

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
setup_reg_start(struct client *c, int job)
{
    c->seq = job;
    c->token = NULL;
    register_user(c, new_users[job].name, setup_reg_done);
}

static void
register_users(char **names, int n)
{
    for (int i = 0; i < n; i++)
        new_users[i].name = names[i];
    run_batch(n, 4, setup_reg_start, 600, "register users");
}

/* ---- create rooms: creator token per job; room IDs land in rooms_out ---- */

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

/* ---- join: join_tokens[job] joins join_room ----------------------------- */

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

/* ---- setup USERS -------------------------------------------------------- */

int
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
        fprintf(f, "user %s %s %s\n", new_users[i].name, new_users[i].user_id, new_users[i].token);
    for (int i = 0; i < n_own_rooms; i++)
        fprintf(f, "room own %s\n", own_rooms[i]);
    fprintf(f, "room shared %s\n", shared[0]);
    fprintf(f, "room lat %s\n", lat[0]);
    fclose(f);
    return 0;
}

/* ---- syncsetup ROOMS MSGS ----------------------------------------------- */

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

int
cmd_syncsetup(int rooms, int msgs)
{
    const char **tok;
    FILE *f;
    int u;

    state_load();
    u = user_need("bsync");
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
