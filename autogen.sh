#!/bin/sh
# autogen.sh -- generate configure and Makefile.in from a fresh checkout.
# Copies automake's TAP driver into build-aux/ (Makefile.am runs every test
# through build-aux/tap-driver.sh), then runs autoreconf.
set -eu
cd "$(dirname "$0")"

mkdir -p build-aux m4
libdir=$(automake --print-libdir)
if [ ! -f "$libdir/tap-driver.sh" ]; then
    echo "autogen.sh: $libdir/tap-driver.sh not found (is automake installed?)" >&2
    exit 1
fi
cp -f "$libdir/tap-driver.sh" build-aux/tap-driver.sh
chmod +x build-aux/tap-driver.sh

autoreconf -fi
