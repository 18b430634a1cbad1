#!/usr/bin/perl
# 10-harness.t -- the test harness itself: a throwaway PostgreSQL cluster, a
# syncrod started on it that reports READY=1, answers /versions, and exits 0
# on SIGTERM.
use strict;
use warnings;
use Test::More;
use SyncroTest;

my $pg = SyncroTest::Pg->new;
ok(-d $pg->dir, 'cluster dir exists');
my ($st, $out) = $pg->psql('SELECT current_user');
is($out, 'syncro', 'cluster answers as user syncro');

my $node = SyncroTest::Node->new(pg => $pg);
ok($node->pid, 'syncrod started and reported READY=1');
like($node->server_name, qr/\A127\.0\.0\.1:\d+\z/, 'server_name is 127.0.0.1:PORT');

my $body;
($st, $body) = $node->get('/_matrix/client/versions');
is($st, 200, 'GET /_matrix/client/versions is 200');
is(ref $body->{versions}, 'ARRAY', '... with a "versions" array')
    or diag explain $body;
ok(@{ $body->{versions} || [] } > 0, '... that is not empty');

is($node->stop, 0, 'syncrod exits 0 on SIGTERM');
($st) = $node->get('/_matrix/client/versions');
is($st, 599, 'nothing listens after stop');

done_testing;
