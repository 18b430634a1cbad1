#!/usr/bin/perl
# 20-accounts.t -- accounts through an unmodified matrix-js-sdk: runs
# accounts.mjs against a fresh node and turns its "ok N - name" lines into
# Test::More results.  Skips when Node.js >= 20 or npm is missing; installs
# t/e2e/node_modules with `npm ci` when it is missing or older than the lockfile.
use strict;
use warnings;
use Fcntl qw(:flock);
use Test::More;
use SyncroTest;

my $e2e = SyncroTest::srcdir() . '/t/e2e';

my $node_version = `node --version 2>/dev/null` // '';
chomp $node_version;
plan skip_all => 'node not found (contrib/install-deps.sh installs it)' unless $node_version;
my ($major) = $node_version =~ /^v(\d+)/;
plan skip_all => "matrix-js-sdk 36 needs Node.js >= 20, found $node_version"
    unless $major && $major >= 20;
plan skip_all => 'npm not found' unless `npm --version 2>/dev/null`;

# One `npm ci` at a time (make -j may run several e2e tests); the lock is
# on package.json itself so no lock file is left in the tree.
sub ensure_node_modules {
    open my $lock, '<', "$e2e/package.json" or die "open $e2e/package.json: $!";
    flock $lock, LOCK_EX or die "flock: $!";
    my $stamp = "$e2e/node_modules/.package-lock.json";
    return if -f $stamp && -M $stamp <= -M "$e2e/package-lock.json";
    note "running npm ci in $e2e";
    my $out = `cd '$e2e' && npm ci --no-audit --no-fund --loglevel=error 2>&1`;
    BAIL_OUT("npm ci failed in $e2e:\n$out") if $?;
}
ensure_node_modules();

my $node = SyncroTest::Node->new;
note 'node at ' . $node->url;

my $timeout = 180;
my $pid = open(my $fh, '-|') // die "fork: $!";
if (!$pid) {
    open STDERR, '>&', \*STDOUT;
    exec 'node', "$e2e/accounts.mjs", $node->url or die "exec node: $!";
}
my $seen = 0;
eval {
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm $timeout;
    while (my $line = <$fh>) {
        chomp $line;
        if ($line =~ /^(not )?ok \d+ - (.*?)(?: # (.*))?$/) {
            my ($bad, $name, $why) = ($1, $2, $3);
            $seen++;
            ok(!$bad, "js-sdk: $name") or diag($why // 'no reason given');
        } else {
            note $line;
        }
    }
    alarm 0;
    1;
} or do {
    kill 'TERM', $pid;
    fail("accounts.mjs finished within ${timeout}s");
};
close $fh;
my $st = $?;
is($st >> 8, 0, 'accounts.mjs exited 0');
ok($seen >= 9, "accounts.mjs ran all its steps ($seen seen)");

is($node->stop, 0, 'syncrod exits 0 on SIGTERM');
done_testing;
