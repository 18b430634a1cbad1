#!/bin/sh
# run-tests.sh -- quick start: install what is missing, build, `make check`.
#
#   ./run-tests.sh [--sanitizers] [--no-deps] [make arguments...]
#
#   --sanitizers  rebuild in-tree with ./configure --enable-sanitizers
#                 (ASan + UBSan) and run make check with that build.  The
#                 next plain run (or ./run-node.sh) reconfigures normally.
#   --no-deps     skip contrib/install-deps.sh
#   anything else goes to `make check`, e.g. -j1 or
#                 TESTS=t/api/10-harness.t
#
# Exit status is non-zero on any build or test failure; on a test failure
# test-suite.log (which holds the failing tests' logs) is printed.
set -eu
cd "$(dirname "$0")"

say() { printf 'run-tests.sh: %s\n' "$*" >&2; }

sanitizers=0
deps=1
for arg in "$@"; do
    shift
    case "$arg" in
    --sanitizers) sanitizers=1 ;;
    --no-deps) deps=0 ;;
    -h | --help)
        awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
        exit 0
        ;;
    *) set -- "$@" "$arg" ;;
    esac
done

# --- dependencies and build (same steps as run-node.sh) ---
if [ "$deps" = 1 ] && [ "${SYNCRO_NO_DEPS:-0}" != 1 ]; then
    contrib/install-deps.sh
fi
if [ ! -x configure ] || [ ! -f build-aux/tap-driver.sh ]; then
    ./autogen.sh
fi

configured_san=0
if [ -f config.status ] && ./config.status --config | grep -q -- '--enable-sanitizers'; then
    configured_san=1
fi
if [ -f config.status ] && [ "$configured_san" != "$sanitizers" ]; then
    # Objects built with other flags must go: start from a clean tree.
    say "switching build flavour (sanitizers=$sanitizers): make distclean"
    make distclean >/dev/null 2>&1 || rm -f config.status Makefile
fi
if [ ! -f Makefile ] || [ ! -f config.status ]; then
    if [ "$sanitizers" = 1 ]; then
        ./configure --enable-sanitizers
    else
        ./configure
    fi
fi
make -j2

if [ "$sanitizers" = 1 ]; then
    # Fail on the first report; leak checking stays on (LSan is part of ASan).
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    export ASAN_OPTIONS UBSAN_OPTIONS
    say "running make check with ASan/UBSan"
fi

flavour=""
[ "$sanitizers" = 1 ] && flavour=" (sanitizer build)"
rm -f test-suite.log  # a stale one would mislead if the check build fails
if make -j2 check "$@"; then
    say "all tests passed$flavour"
    exit 0
fi

say "make check FAILED$flavour"
if [ -f test-suite.log ]; then
    echo "==================== test-suite.log ====================" >&2
    cat test-suite.log >&2
fi
exit 1
