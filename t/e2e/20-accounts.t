#!/usr/bin/perl
# 20-accounts.t -- accounts through an unmodified matrix-js-sdk: runs
# accounts.mjs against a fresh node and turns its "ok N - name" lines into
# Test::More results.  Skips when Node.js >= 20 or npm is missing; installs
# t/e2e/node_modules with `npm ci` when it is missing or older than the lockfile.
use strict;
use warnings;
use Test::More;
use SyncroTest;
use SyncroTest::E2E;

my $e2e = SyncroTest::E2E::prepare();

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
