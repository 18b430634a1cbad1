#!/bin/sh
# contrib/install-deps.sh -- install the Debian 12 packages that building,
# testing and running Syncro need.  Only missing packages are installed, so
# running it again is cheap and changes nothing.
#
#   contrib/install-deps.sh [--no-node] [--check]
#
#   --no-node  do not install Node.js/npm (the e2e tests then skip)
#   --check    only report what is missing; exit 1 if anything is
#
# Node.js: installed from Debian (nodejs + npm) only when no `node` is on
# PATH.  Debian 12 ships Node 18; matrix-js-sdk 36 (t/e2e) wants Node >= 20,
# so on a machine with only Debian's node the e2e tests skip themselves.
#
# postgresql-15: the Debian package may create and start a "main" cluster on
# port 5432.  Syncro never uses it (tests make throwaway clusters, syncrod an
# embedded one); we stop it if this run installed it.
set -eu

want_node=1
check_only=0
for arg in "$@"; do
    case "$arg" in
    --no-node) want_node=0 ;;
    --check) check_only=1 ;;
    -h | --help)
        awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
        exit 0
        ;;
    *)
        echo "install-deps.sh: unknown option: $arg" >&2
        exit 2
        ;;
    esac
done

pkgs="build-essential autoconf automake libtool pkg-config
libevent-dev libevhtp-dev libssl-dev libpq-dev libhiredis-dev libjson-c-dev
libcurl4-openssl-dev libldns-dev libyaml-dev
postgresql-15 redis-server perl ca-certificates"

if [ "$want_node" = 1 ] && ! command -v node >/dev/null 2>&1; then
    pkgs="$pkgs nodejs npm"
elif [ "$want_node" = 1 ] && ! command -v npm >/dev/null 2>&1; then
    # A node from elsewhere (e.g. NodeSource) bundles npm; Debian's npm
    # conflicts with it, so do not try to install it.
    echo "install-deps.sh: warning: node is installed but npm is not; the e2e tests will skip" >&2
fi

missing=""
for p in $pkgs; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    if [ "$st" != "installed" ]; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps.sh: all packages present"
    exit 0
fi

echo "install-deps.sh: missing:$missing"
if [ "$check_only" = 1 ]; then
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-deps.sh: must run as root (or with sudo available) to install:$missing" >&2
    exit 1
fi

had_pg=0
case "$missing" in *" postgresql-15"*) ;; *) had_pg=1 ;; esac

export DEBIAN_FRONTEND=noninteractive
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086 # word splitting of the package list is intended
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -q -y --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $missing

# The distribution's default cluster is of no use to us; do not leave it
# running if we are the ones who just installed it.
if [ "$had_pg" = 0 ] && command -v pg_lsclusters >/dev/null 2>&1; then
    if pg_lsclusters -h 2>/dev/null | awk '$1 == "15" && $2 == "main" && $4 == "online" { f = 1 } END { exit !f }'; then
        $SUDO pg_ctlcluster 15 main stop || true
        echo "install-deps.sh: stopped the Debian default cluster 15/main (Syncro does not use it)"
    fi
fi

echo "install-deps.sh: done"
