package SyncroTest::E2E;
# What every end-to-end test needs before it starts a client script:
#   my $e2e = SyncroTest::E2E::prepare();   # t/e2e, with node_modules installed
# It skips the test (plan skip_all) when Node.js 20+ or npm is missing.
use strict;
use warnings;
use Fcntl qw(:flock);
use Test::More ();
use SyncroTest;

sub prepare {
    my $e2e = SyncroTest::srcdir() . '/t/e2e';
    my $version = `node --version 2>/dev/null` // '';
    chomp $version;
    Test::More::plan(skip_all => 'node not found (contrib/install-deps.sh installs it)')
        unless $version;
    my ($major) = $version =~ /^v(\d+)/;
    Test::More::plan(skip_all => "matrix-js-sdk 36 needs Node.js >= 20, found $version")
        unless $major && $major >= 20;
    Test::More::plan(skip_all => 'npm not found') unless `npm --version 2>/dev/null`;
    ensure_node_modules($e2e);
    return $e2e;
}

# One `npm ci` at a time (make -j may run several e2e tests); the lock is on
# package.json itself so no lock file is left in the tree.
sub ensure_node_modules {
    my ($e2e) = @_;
    open my $lock, '<', "$e2e/package.json" or die "open $e2e/package.json: $!";
    flock $lock, LOCK_EX or die "flock: $!";
    my $stamp = "$e2e/node_modules/.package-lock.json";
    return if -f $stamp && -M $stamp <= -M "$e2e/package-lock.json";
    Test::More::note("running npm ci in $e2e");
    my $out = `cd '$e2e' && npm ci --no-audit --no-fund --loglevel=error 2>&1`;
    Test::More::BAIL_OUT("npm ci failed in $e2e:\n$out") if $?;
}

1;
