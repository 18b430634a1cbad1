# A parked long-poll whose client hangs up is freed at once, not at its
# timeout: its access-log line appears right after the hang-up.
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use SyncroTest;

my $node = SyncroTest::Node->new;
my $u = $node->register_user('alice', 'pw');
my ($st, $b) = $node->get('/_matrix/client/v3/sync?set_presence=offline',
    token => $u->{access_token});
is($st, 200, 'initial sync');
my $since = $b->{next_batch};

my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $node->port,
    Proto => 'tcp') or die "connect: $!";
print $sock "GET /_matrix/client/v3/sync?since=$since&timeout=20000&set_presence=offline "
    . "HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $u->{access_token}\r\n\r\n";
# The access log has one line per finished request (the path without its query).
sub sync_lines { scalar grep { m{ GET /_matrix/client/v3/sync } } split /\n/, $node->log_text }
sleep 0.5;
is(sync_lines(), 1, 'the long-poll is parked (only the initial sync has finished)');
my $t0 = time;
close $sock;
my $seen = 0;
while (time - $t0 < 5) {
    last if ($seen = sync_lines() == 2);
    sleep 0.05;
}
my $dt = time - $t0;
ok($seen, 'the parked request is finished after the hang-up');
cmp_ok($dt, '<', 2, sprintf('... within %.0f ms, not at the 20 s timeout', $dt * 1000));

($st, $b) = $node->get('/_matrix/client/v3/sync?set_presence=offline&since=' . $since,
    token => $u->{access_token});
is($st, 200, 'the node still serves');
is($node->stop, 0, 'node exits 0');
done_testing;
