#!/bin/bash
# bench/run.sh -- build, start a throwaway PostgreSQL (durable commits) and a
# syncrod with production settings, run every scenario of bench/loadgen a
# few times, and print one table: scenario, concurrency, figure, median,
# p99, ratio to PostgreSQL (pgbench one-row INSERT at the same concurrency,
# measured in the same run).
#
#   bench/run.sh                 # about 10 minutes on 2 cores
#
# Knobs (environment):
#   BENCH_RUNS=3          repetitions of every measured scenario (medians over them)
#   BENCH_SECONDS=10      length of each send and pgbench measurement
#   BENCH_AUTH_SECONDS=5  length of each login / registration measurement
#   BENCH_PARK=10000      parked long-polls in the memory scenario
#   BENCH_SCENARIOS="send latency auth sync park"   the groups to run
#   BENCH_KEEP=1          keep the work dir (logs, cluster, raw results)
#   BENCH_NO_BUILD=1      skip make (use the binaries as they are)
#   PG_BINDIR             where initdb, pg_ctl, pgbench live
#
# Everything listens on 127.0.0.1 (PostgreSQL on a unix socket only); every
# process it starts is stopped on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
RUNS=${BENCH_RUNS:-3}
SECS=${BENCH_SECONDS:-10}
AUTH_SECS=${BENCH_AUTH_SECONDS:-5}
PARK=${BENCH_PARK:-10000}
CORES=$(nproc)
SCENARIOS=" ${BENCH_SCENARIOS:-send latency auth sync park} "
want() { case "$SCENARIOS" in *" $1 "*) return 0 ;; esac; return 1; }

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# --- build ---------------------------------------------------------------------
if [ ! -f config.status ]; then
    die "the tree is not configured: run ./run-tests.sh or ./configure first"
fi
if ./config.status --config | grep -q -- '--enable-sanitizers'; then
    die "the tree is configured with --enable-sanitizers; figures would measure the sanitizers"
fi
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
    say "building"
    make -j2 >&2
    make bench >&2
fi
for p in src/syncrod src/syncroctl bench/loadgen; do
    [ -x "$p" ] || die "$p is not built"
done

# --- PostgreSQL binaries ---------------------------------------------------------
PGBIN=${PG_BINDIR:-}
if [ -z "$PGBIN" ]; then
    PGBIN=$(pg_config --bindir 2>/dev/null || true)
    [ -x "$PGBIN/initdb" ] ||
        PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n | tail -1)
fi
for p in initdb pg_ctl pgbench psql createdb; do
    [ -x "$PGBIN/$p" ] || die "PostgreSQL $p not found (set PG_BINDIR)"
done

# --- work dir and clean-up ---------------------------------------------------------
WORK=$(mktemp -d /tmp/syncro-bench-XXXXXX)
chmod 755 "$WORK"
RESULTS=$WORK/results.txt
: >"$RESULTS"
SPID=
PG_STARTED=0

as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then
        kill -TERM "$SPID" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SPID" 2>/dev/null || true
    fi
    if [ "$PG_STARTED" = 1 ]; then
        (cd "$WORK" && as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -m fast -w stop >/dev/null 2>&1) || true
    fi
    if [ "$rc" -ne 0 ] || [ "${BENCH_KEEP:-0}" = 1 ]; then
        say "work dir kept: $WORK (syncrod.log, postgres.log, results.txt)"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- PostgreSQL: as in production, every commit reaches the disk -------------------
say "starting PostgreSQL in $WORK"
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no postgres user"
    chown postgres "$WORK"
fi
(cd "$WORK" && as_pg "$PGBIN/initdb" -D "$WORK/data" -U syncro --auth=trust -E UTF8 \
    --locale=C >"$WORK/initdb.log" 2>&1) || die "initdb failed: $WORK/initdb.log"
(cd "$WORK" && as_pg "$PGBIN/pg_ctl" -w -t 60 -D "$WORK/data" -l "$WORK/postgres.log" \
    -o "-k $WORK -c listen_addresses='' -c max_connections=200 -c fsync=on \
        -c synchronous_commit=on -c full_page_writes=on" start >/dev/null) ||
    die "PostgreSQL did not start: $WORK/postgres.log"
PG_STARTED=1
PGPID=$(head -1 "$WORK/data/postmaster.pid")
"$PGBIN/createdb" -h "$WORK" -U syncro syncro
psql_q() { "$PGBIN/psql" -X -Atq -v ON_ERROR_STOP=1 -h "$WORK" -U syncro -d syncro "$@"; }
psql_q -c 'CREATE TABLE bench_t (id bigserial PRIMARY KEY, v int NOT NULL)'
echo 'INSERT INTO bench_t (v) VALUES (1);' >"$WORK/insert.sql"

# --- syncrod: production settings, rate limits off for the bench users --------------
PORT=${BENCH_PORT:-$((20000 + $$ % 20000))}
cat >"$WORK/syncro.yaml" <<EOF
# written by bench/run.sh
server_name: "127.0.0.1:$PORT"
public_baseurl: "http://127.0.0.1:$PORT/"
signing_key_path: $WORK/signing.key
listeners:
  - address: 127.0.0.1
    port: $PORT
    resources: [client, federation, media, health]
database:
  dsn: "host=$WORK dbname=syncro user=syncro"
worker_threads: $CORES
log_level: warn
registration:
  enabled: true
  requires_token: false
rate_limits:
  enabled: false
EOF
src/syncroctl --config "$WORK/syncro.yaml" keygen >"$WORK/keygen.log" 2>&1 ||
    die "syncroctl keygen failed: $WORK/keygen.log"
start_syncrod() {
    say "starting syncrod on 127.0.0.1:$PORT ($CORES worker threads)"
    (
        ulimit -n "$(ulimit -Hn)"
        exec src/syncrod --config "$WORK/syncro.yaml"
    ) >>"$WORK/syncrod.log" 2>&1 &
    SPID=$!
    LG=("$TOP/bench/loadgen" -p "$PORT" -P "$SPID" -G "$PGPID" -s "$WORK/state.txt")
    "${LG[@]}" wait 30 || die "syncrod did not answer: $WORK/syncrod.log"
}

stop_syncrod() {
    kill -0 "$SPID" 2>/dev/null || die "syncrod died during the run: $WORK/syncrod.log"
    kill -TERM "$SPID"
    for _ in $(seq 150); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SPID" 2>/dev/null && say "syncrod did not stop within 15 s of SIGTERM; killed"
    wait "$SPID" 2>/dev/null || true
    SPID=
}

start_syncrod
ulimit -n "$(ulimit -Hn)"

# Every measurement starts right after a CHECKPOINT.  A checkpoint that the
# previous scenario's WAL set off would otherwise land in the middle of
# whichever measurement came next, and its writes slow the commits of that
# one (on this VM disk a delivery p99 of 5 ms became 85-300 ms).  pgbench
# gets the same treatment.
settle() { psql_q -c CHECKPOINT; }

# record RUN COMMAND...: loadgen's RESULT lines, tagged with the run number.
record() {
    local run=$1
    shift
    settle
    "${LG[@]}" "$@" | sed "s/^RESULT /RESULT $run /" >>"$RESULTS"
}

# durable LABEL IDS: how many of the event IDs answered 200 are in the events table.
durable() {
    local label=$1 ids=$2 n found
    n=$(wc -l <"$ids")
    found=$(psql_q <<EOF
CREATE TEMP TABLE ids (id text);
\copy ids FROM '$ids'
SELECT count(*) FROM ids JOIN events e ON e.event_id = ids.id;
EOF
)
    echo "DURABLE $label $n $found" >>"$RESULTS"
    [ "$n" = "$found" ] || say "DURABILITY: $label: only $found of $n acknowledged events are stored"
}

# pgbench_tps RUN CLIENTS: pgbench's TPS, and the CPU each transaction cost
# PostgreSQL (its backends, reaped when pgbench ends) and pgbench itself.
pgbench_tps() {
    local run=$1 c=$2 j=2 out tps n t0 t1
    [ "$c" -lt 2 ] && j=1
    settle
    t0=$("${LG[@]}" pgticks)
    out=$({
        TIMEFORMAT='CPU %U %S'
        time "$PGBIN/pgbench" -n -h "$WORK" -U syncro -c "$c" -j "$j" -T "$SECS" -M prepared \
            -f "$WORK/insert.sql" syncro 2>>"$WORK/pgbench.log"
    } 2>&1)
    sleep 0.3 # the postmaster reaps the ended backends
    t1=$("${LG[@]}" pgticks)
    tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' <<<"$out")
    n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
    [ -n "$tps" ] && [ -n "$n" ] && [ "$n" -gt 0 ] || die "pgbench failed: $WORK/pgbench.log"
    echo "RESULT $run pgbench $c tps $tps" >>"$RESULTS"
    awk -v run="$run" -v c="$c" -v n="$n" -v dt=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
        '/^CPU / { printf "RESULT %s pgbench %s postgres_cpu_us %.2f\n", run, c, dt / hz * 1e6 / n
                   printf "RESULT %s pgbench %s client_cpu_us %.2f\n", run, c, ($2 + $3) * 1e6 / n }' \
        <<<"$out" >>"$RESULTS"
}

# --- scenarios ---------------------------------------------------------------------
sleep 2
record 0 -t rss_idle rss
say "setup: 200 users (scrypt at the production cost), rooms"
"${LG[@]}" setup 200

for run in $(seq "$RUNS"); do
    for c in 1 16 64; do
        want send || [ "$c" = 16 ] || continue
        say "run $run/$RUNS: pgbench at $c clients"
        pgbench_tps "$run" "$c"
        want send || continue
        say "run $run/$RUNS: send at $c clients"
        record "$run" -o "$WORK/ids.txt" send own "$c" "$SECS"
        durable "send_own" "$WORK/ids.txt"
        record "$run" -o "$WORK/ids.txt" send shared "$c" "$SECS"
        durable "send_shared" "$WORK/ids.txt"
    done
    if want latency; then
        say "run $run/$RUNS: delivery latency"
        record "$run" -o "$WORK/ids.txt" latency 200 20 "$SECS"
        durable "latency" "$WORK/ids.txt"
    fi
    if want auth; then
        say "run $run/$RUNS: login, registration"
        record "$run" login 16 "$AUTH_SECS"
        record "$run" register 16 "$AUTH_SECS"
    fi
done

if want sync; then
    say "setup: one user in 200 rooms of 50 messages"
    "${LG[@]}" -o "$WORK/ids.txt" syncsetup 200 50
    durable "sync_history" "$WORK/ids.txt"
    for run in $(seq "$RUNS"); do
        say "run $run/$RUNS: initial and incremental /sync"
        record "$run" initsync 20
        record "$run" incsync 1000
    done
fi
record 0 -t rss_loaded rss
if want park; then
    # A fresh process: the heap a loaded one keeps (glibc does not give freed
    # memory back) would hide what the long-polls cost.
    stop_syncrod
    start_syncrod
    say "memory: $PARK parked long-polls"
    record 1 park "$PARK"
fi

say "done; stopping syncrod"
stop_syncrod

# --- the table ---------------------------------------------------------------------
cat >"$WORK/rows.txt" <<EOF
1a send, own rooms|send_own|1|events/s|events_per_s|-|pg
1a send, own rooms|send_own|16|events/s|events_per_s|-|pg
1a send, own rooms|send_own|64|events/s|events_per_s|-|pg
1b send, shared room|send_shared|1|events/s|events_per_s|-|pg
1b send, shared room|send_shared|16|events/s|events_per_s|-|pg
1b send, shared room|send_shared|64|events/s|events_per_s|-|pg
1a send latency, own rooms|send_own|1|ms|latency_p50_ms|latency_p99_ms|-
1a send latency, own rooms|send_own|16|ms|latency_p50_ms|latency_p99_ms|-
1a send latency, own rooms|send_own|64|ms|latency_p50_ms|latency_p99_ms|-
1b send latency, shared room|send_shared|1|ms|latency_p50_ms|latency_p99_ms|-
1b send latency, shared room|send_shared|16|ms|latency_p50_ms|latency_p99_ms|-
1b send latency, shared room|send_shared|64|ms|latency_p50_ms|latency_p99_ms|-
pgbench one-row INSERT|pgbench|1|TPS|tps|-|pg
pgbench one-row INSERT|pgbench|16|TPS|tps|-|pg
pgbench one-row INSERT|pgbench|64|TPS|tps|-|pg
1a CPU per event, own rooms|send_own|64|us syncrod|server_cpu_us|-|-
1a CPU per event, own rooms|send_own|64|us PostgreSQL|postgres_cpu_us|-|-
1a CPU per event, own rooms|send_own|64|us load generator|client_cpu_us|-|-
1b CPU per event, shared room|send_shared|64|us syncrod|server_cpu_us|-|-
1b CPU per event, shared room|send_shared|64|us PostgreSQL|postgres_cpu_us|-|-
1b CPU per event, shared room|send_shared|64|us load generator|client_cpu_us|-|-
pgbench CPU per transaction|pgbench|64|us PostgreSQL|postgres_cpu_us|-|-
pgbench CPU per transaction|pgbench|64|us pgbench|client_cpu_us|-|-
2 delivery, 20 sends/s|latency|200|ms send 200 -> /sync return|delivery_p50_ms|delivery_p99_ms|-
2 delivery, missing|latency|200|deliveries not seen|missing|-|-
3 login (m.login.password)|login|16|logins/s|logins_per_s|-|pg
3 login latency|login|16|ms|latency_p50_ms|latency_p99_ms|-
3 registration (UIA dummy)|register|16|registrations/s|registrations_per_s|-|pg
3 registration latency|register|16|ms (2 round trips)|latency_p50_ms|latency_p99_ms|-
4 initial /sync, 200x50|initsync|200|ms|latency_p50_ms|latency_p99_ms|-
4 initial /sync size|initsync|200|KiB|response_kb|-|-
4 empty incremental /sync|incsync|200|syncrod CPU ms/sync|server_cpu_ms|-|-
4 empty incremental /sync|incsync|200|PostgreSQL CPU ms/sync|postgres_cpu_ms|-|-
4 empty incremental /sync|incsync|200|ms wall|latency_p50_ms|latency_p99_ms|-
5 RSS idle (after start)|rss_idle|0|MiB|rss_mb|-|-
5 RSS after the runs|rss_loaded|0|MiB (freed heap kept)|rss_mb|-|-
5 parked long-polls, fresh|park|$PARK|MiB before|rss_before_mb|-|-
5 parked long-polls, fresh|park|$PARK|MiB added|rss_added_mb|-|-
5 parked long-polls, fresh|park|$PARK|KiB per long-poll|kb_per_longpoll|-|-
5 parked long-polls, fresh|park|$PARK|parked / dropped at accept|parked|dropped_and_retried|-
EOF

awk -F'|' -v results="$RESULTS" -v runs="$RUNS" -v park="$PARK" '
function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    if (n == 0) return ""
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
# CPU per request at 64 clients in run r: syncrod + PostgreSQL + the client
function cpu(r, scen,   k) {
    k = SUBSEP 64 SUBSEP
    return byrun[r, scen k "server_cpu_us"] + byrun[r, scen k "postgres_cpu_us"] + \
        byrun[r, scen k "client_cpu_us"]
}
function fmt(v) {
    if (v == "") return "-"
    v += 0
    if (v >= 100 || v <= -100) return sprintf("%.0f", v)
    if (v >= 10 || v <= -10) return sprintf("%.1f", v)
    return sprintf("%.2f", v)
}
BEGIN {
    while ((getline line < results) > 0) {
        split(line, f, " ")
        if (f[1] == "RESULT") {
            k = f[3] SUBSEP f[4] SUBSEP f[5]
            vals[k] = vals[k] " " f[6]
            byrun[f[2], k] = f[6]
            runs_of[k] = runs_of[k] " " f[2]
        } else if (f[1] == "DURABLE") {
            acked += f[3]; found += f[4]
        }
    }
    printf "%-30s %6s  %-30s %10s %10s %8s\n", "scenario", "conc", "figure", "median", "p99", "vs PG"
    printf "%-30s %6s  %-30s %10s %10s %8s\n", "--------", "----", "------", "------", "---", "-----"
}
{
    k = $2 SUBSEP $3 SUBSEP $5
    med = median(vals[k])
    p99 = $6 == "-" ? "" : median(vals[$2 SUBSEP $3 SUBSEP $6])
    ratio = "-"
    if ($7 == "pg") {
        # the median over runs of (figure / pgbench TPS at that concurrency in the same run)
        pc = ($2 == "login" || $2 == "register") ? 16 : $3
        pk = "pgbench" SUBSEP pc SUBSEP "tps"
        rl = ""
        n = split(runs_of[k], rr, " ")
        for (i = 1; i <= n; i++)
            if (byrun[rr[i], pk] + 0 > 0)
                rl = rl " " byrun[rr[i], k] / byrun[rr[i], pk]
        r = median(rl)
        if (r != "") ratio = sprintf(r >= 0.1 ? "%.2f" : "%.2g", r)
        if ($2 != "pgbench" && pc != $3) ratio = ratio "@" pc
    }
    printf "%-30s %6s  %-30s %10s %10s %8s\n", $1, $3, $4, fmt(med), fmt(p99), ratio
}
END {
    printf "%-30s %6s  %-30s %10s %10s %8s\n", "6 federation", "-", "n/a (no federation yet)", "-", "-", "-"
    printf "%-30s %6s  %-30s %10s %10s %8s\n", "7 durability, all writes", "-",
        "200-answered events stored", found "/" acked, "-", "-"
    printf "\nmedians over %d runs (p99: median of the per-run p99s); vs PG: figure / pgbench TPS\n", runs
    printf "(one-row INSERT, synchronous_commit on, fsync on) at the same concurrency in the same run\n"
    # pgbench moves a lot between runs: the runs behind the 64-client ratios.
    for (r = 1; r <= runs; r++) {
        pg = byrun[r, "pgbench" SUBSEP 64 SUBSEP "tps"] + 0
        own = byrun[r, "send_own" SUBSEP 64 SUBSEP "events_per_s"] + 0
        shared = byrun[r, "send_shared" SUBSEP 64 SUBSEP "events_per_s"] + 0
        if (pg > 0 && own > 0 && shared > 0)
            printf "run %d at 64 clients: pgbench %.0f TPS; own rooms %.0f events/s (%.2f); " \
                "shared room %.0f (%.2f)\n", r, pg, own, own / pg, shared, shared / pg
    }
    # Where the CPU goes, all processes on the same cores: when they are
    # busy, events/s over pgbench TPS cannot pass pgbench CPU over event CPU.
    for (r = 1; r <= runs; r++) {
        pgc = cpu(r, "pgbench")
        oc = cpu(r, "send_own")
        sc = cpu(r, "send_shared")
        if (pgc > 0 && oc > 0 && sc > 0)
            printf "run %d CPU at 64 clients: pgbench %.0f us/transaction; own rooms %.0f us/event " \
                "(pgbench/own %.2f); shared room %.0f (%.2f)\n", r, pgc, oc, pgc / oc, sc, pgc / sc
    }
}' "$WORK/rows.txt"
