/*
 * bench/loadgen.c -- the Syncro load generator: the command line.
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
 *   loadgen [options] pgticks               PostgreSQL's CPU so far, in clock ticks
 *
 * Options: -p PORT (127.0.0.1), -P syncrod pid (for /proc), -G postmaster
 * pid, -s state file (written by setup, read by the rest), -o file that
 * receives the event ID of every send answered 200 (for the durability
 * check), -t tag (scenario label in RESULT lines).
 *
 * Figures go to stdout as "RESULT <scenario> <concurrency> <figure> <value>";
 * progress and errors go to stderr.  Every loop is bounded by a deadline.
 * The scenarios live in their own files; core.c holds what they share.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "loadgen.h"

struct event_base *base;
const char *host = "127.0.0.1";
int port = 8008;
char hostport[64];
long server_pid, pg_pid;
const char *state_path = "bench-state.txt";
FILE *ids_out;
char run_tag[48];

/* rss: syncrod's RSS now, labelled with -t. */
static int
cmd_rss(const char *scen)
{
    long kb;

    if (server_pid <= 0 || (kb = proc_rss_kb(server_pid)) < 0)
        die("rss needs -P with a live pid");
    result(scen, 0, "rss_mb", kb / 1024.0);
    return 0;
}

/*
 * pgticks: the postmaster's and its backends' CPU so far (with the ended
 * backends it reaped), for bench/run.sh to take around pgbench.
 */
static int
cmd_pgticks(void)
{
    if (pg_pid <= 0)
        die("pgticks needs -G (the postmaster's pid)");
    printf("%lld\n", pg_ticks());
    return 0;
}

static int wait_ok;

static void
wait_done(struct client *c, int status, const char *body, size_t len)
{
    wait_ok = status == 200;
    event_base_loopbreak(base);
}

/* wait SECONDS: until GET /versions answers 200. */
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
}

static void
usage(void)
{
    fprintf(stderr,
            "usage: loadgen [-p port] [-P syncrod-pid] [-G postmaster-pid] [-s state] [-o ids]\n"
            "               [-t label] COMMAND ARGS\n"
            "commands: wait S | setup USERS | syncsetup ROOMS MSGS | send own|shared C S |\n"
            "          latency WAITERS RATE S | login C S | register C S | initsync N |\n"
            "          incsync N | park N | rss | pgticks\n");
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

/* The command named in a[0] with its na-1 arguments. */
static int
run_command(char **a, int na, const char *label)
{
    if (strcmp(a[0], "wait") == 0 && na == 2)
        return cmd_wait(num(a[1]));
    if (strcmp(a[0], "setup") == 0 && na == 2)
        return cmd_setup((int)num(a[1]));
    if (strcmp(a[0], "syncsetup") == 0 && na == 3)
        return cmd_syncsetup((int)num(a[1]), (int)num(a[2]));
    if (strcmp(a[0], "send") == 0 && na == 4)
        return cmd_send(a[1], (int)num(a[2]), num(a[3]));
    if (strcmp(a[0], "latency") == 0 && na == 4)
        return cmd_latency((int)num(a[1]), num(a[2]), num(a[3]));
    if (strcmp(a[0], "login") == 0 && na == 3)
        return cmd_login((int)num(a[1]), num(a[2]));
    if (strcmp(a[0], "register") == 0 && na == 3)
        return cmd_register((int)num(a[1]), num(a[2]));
    if (strcmp(a[0], "initsync") == 0 && na == 2)
        return cmd_initsync((int)num(a[1]));
    if (strcmp(a[0], "incsync") == 0 && na == 2)
        return cmd_incsync((int)num(a[1]));
    if (strcmp(a[0], "park") == 0 && na == 2)
        return cmd_park((int)num(a[1]));
    if (strcmp(a[0], "rss") == 0 && na == 1)
        return cmd_rss(label);
    if (strcmp(a[0], "pgticks") == 0 && na == 1)
        return cmd_pgticks();
    usage();
    return 2;
}

int
main(int argc, char **argv)
{
    const char *ids_path = NULL, *label = "rss";
    struct rlimit rl;
    int opt, rc;

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
    if (argc - optind < 1)
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
    rc = run_command(argv + optind, argc - optind, label);
    if (ids_out != NULL && fclose(ids_out) != 0)
        die("could not write %s: %s", ids_path, strerror(errno));
    event_base_free(base);
    return rc;
}
