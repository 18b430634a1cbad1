#!/bin/sh
# run-node.sh -- quick start: install what is missing, build, create a node
# under var/ on first run, and run it in the foreground on 127.0.0.1:8008.
#
#   ./run-node.sh [syncrod options...]
#
# First run: `syncroctl init` writes var/syncro.yaml, a 0600 signing key and
# an embedded PostgreSQL cluster under var/.  syncrod starts and stops that
# cluster itself and applies migrations; Ctrl-C stops both.
# Set SYNCRO_NO_DEPS=1 to skip contrib/install-deps.sh.
set -eu
cd "$(dirname "$0")"

say() { printf 'run-node.sh: %s\n' "$*" >&2; }

# --- dependencies and build (same steps as run-tests.sh) ---
if [ "${SYNCRO_NO_DEPS:-0}" != 1 ]; then
    contrib/install-deps.sh
fi
if [ ! -x configure ] || [ ! -f build-aux/tap-driver.sh ]; then
    ./autogen.sh
fi
if [ -f config.status ] && ./config.status --config | grep -q -- '--enable-sanitizers'; then
    say "tree is configured with sanitizers; reconfiguring for a normal build"
    make distclean >/dev/null 2>&1 || rm -f config.status Makefile
fi
if [ ! -f Makefile ] || [ ! -f config.status ]; then
    ./configure
fi
make -j2

# --- first run: create the node ---
CONFIG=var/syncro.yaml
if [ ! -f "$CONFIG" ]; then
    mkdir -p var
    if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1 &&
        ! runuser -u postgres -- test -x "$PWD/var" 2>/dev/null; then
        say "warning: user postgres cannot reach $PWD/var (a parent directory is not"
        say "searchable); the embedded PostgreSQL cluster will not start there"
    fi
    say "creating a new node in var/"
    src/syncroctl --config "$CONFIG" init
fi

say "starting syncrod (Ctrl-C stops it)"
exec src/syncrod --config "$CONFIG" "$@"
