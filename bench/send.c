/*
 * bench/send.c -- send throughput: "send own|shared C SECONDS".
 *
 * C clients (users bu0..bu{C-1}) each PUT m.room.message in a closed loop,
 * each into its own room ("own") or all into the one shared room of 64
 * members ("shared").  Every event ID answered 200 goes to -o for the
 * durability check.
 */
#include <stdlib.h>
#include <string.h>

#include "loadgen.h"

static void
send_done(struct client *c, int status, const char *body, size_t len)
{
    loop_answer(c, status == 200 && record_event_id(body, len) == 0, status, body);
}

static void
send_issue(struct client *c)
{
    char path[600];

    c->seq++;
    send_path(path, sizeof(path), c);
    http(c, EVHTTP_REQ_PUT, path, "{\"msgtype\":\"m.text\",\"body\":\"bench message\"}", send_done);
}

int
cmd_send(const char *mode, int conc, double seconds)
{
    struct client **cl;
    int shared = strcmp(mode, "shared") == 0;

    state_load();
    if (!shared && conc > n_own)
        die("only %d own rooms", n_own);
    cl = clients_new(conc);
    for (int i = 0; i < conc; i++) {
        cl[i]->token = users[bu_index(i)].token;
        cl[i]->room_enc = enc(shared ? shared_room : own_rooms[i]);
    }
    loop_run(cl, conc, seconds, send_issue);
    loop_report(shared ? "send_shared" : "send_own", "events_per_s");
    for (int i = 0; i < conc; i++)
        free((char *)cl[i]->room_enc);
    clients_free(cl, conc);
    return 0;
}
