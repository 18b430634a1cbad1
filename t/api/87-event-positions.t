#!/usr/bin/perl
# 87-event-positions.t -- positions in the events stream are handed out in
# memory and batches commit in any order (sync/positions.h): a chain of
# incremental syncs taken while many rooms are written at once still gets
# every event exactly once; positions a failed write took do not hold the
# stream back; a killed node starts past every position it handed out;
# one process writes a database's events.
use strict;
use warnings;
use POSIX ();
use Test::More;
use SyncroTest;
use SyncroTest::Util qw(enc sqlq refuse_events allow_events);

my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3';
my ($st, $b);

sub sql { SyncroTest::Util::sql($node, @_) }

sub send_msg {
    my ($u, $room, $txn, $body) = @_;
    return $node->put("$C/rooms/" . enc($room) . '/send/m.room.message/' . enc($txn),
        { msgtype => 'm.text', body => $body // $txn }, token => $u->{access_token});
}

# A sync with a timeline long enough that nothing is cut.
my $filter = enc('{"room":{"timeline":{"limit":1000}},"presence":{"not_types":["*"]}}');
sub sync_all {
    my ($u, $since) = @_;
    my $q = "timeout=0&filter=$filter" . (defined $since ? '&since=' . enc($since) : '');
    return $node->get("$C/sync?$q", token => $u->{access_token});
}

# The messages of a sync's timelines whose body starts with $prefix: event IDs.
sub messages {
    my ($body, $prefix) = @_;
    my @ids;
    for my $r (values %{ $body->{rooms}{join} || {} }) {
        push @ids, map { $_->{event_id} }
            grep { ($_->{content}{body} // '') =~ /^\Q$prefix\E/ } @{ $r->{timeline}{events} };
    }
    return @ids;
}

sub events_pos { my ($tok) = @_; return $tok =~ /^s(\d+)_/ ? $1 : -1 }

my @users = map { $node->register_user("u$_", "pw-u$_") } 0 .. 7;
my $watcher = $node->register_user('watcher', 'pw-watcher');
($st, $b) = $node->post("$C/createRoom", { preset => 'public_chat' }, token => $users[0]{access_token});
my $shared = $b->{room_id};
my @own;
for my $u (@users) {
    ($st, $b) = $node->post("$C/createRoom", { preset => 'public_chat' }, token => $u->{access_token});
    push @own, $b->{room_id};
    $node->post("$C/join/" . enc($shared), {}, token => $u->{access_token}) if $u != $users[0];
}
for my $r ($shared, @own) {
    ($st) = $node->post("$C/join/" . enc($r), {}, token => $watcher->{access_token});
    is($st, 200, "the watcher joins $r");
}

# --- a sync chain during concurrent sends to nine rooms gets every event once ------------
my ($st0, $s0) = sync_all($watcher);
is($st0, 200, 'initial sync: 200');
my $since = $s0->{next_batch};
my $per = 30;
my @kids;
for my $i (0 .. 7) {
    pipe(my $rd, my $wr) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        close $rd;
        for my $k (1 .. $per) {
            my $room = $k % 3 == 0 ? $shared : $own[$i];
            my ($s, $r) = send_msg($users[$i], $room, "chain-$i-$k");
            print $wr "$s " . ($r->{event_id} // '-') . "\n";
        }
        close $wr;
        POSIX::_exit(0);
    }
    close $wr;
    push @kids, [ $pid, $rd ];
}
my %seen;
my ($steps, $limited, $sync_errors) = (0, 0, 0);
my $running = @kids;
while (1) {
    my ($s, $body) = sync_all($watcher, $since);
    if ($s != 200) { $sync_errors++; last }
    my @ids = messages($body, 'chain-');
    $steps++ if @ids;
    $seen{$_}++ for @ids;
    $limited++ for grep { $_->{timeline}{limited} } values %{ $body->{rooms}{join} || {} };
    $since = $body->{next_batch};
    last if !$running;
    $running = grep { waitpid($_->[0], POSIX::WNOHANG()) == 0 } @kids;
    # One more sync after the last sender is done: it must bring the rest.
}
my (%sent, $bad);
for my $k (@kids) {
    my $fh = $k->[1];
    for (<$fh>) {
        my ($s, $id) = split ' ';
        $bad++ if $s != 200;
        $sent{$id} = 1;
    }
    waitpid $k->[0], 0;
}
ok(!$bad, 8 * $per . ' sends from 8 senders to 9 rooms at once: all 200');
ok(!$sync_errors, 'every sync of the chain: 200');
is(scalar(grep { !$seen{$_} } keys %sent), 0, 'the chain of syncs missed no event');
is(scalar(grep { $seen{$_} > 1 } keys %seen), 0, '... and got none twice');
is(scalar(grep { !$sent{$_} } keys %seen), 0, '... and nothing that was not sent');
ok(!$limited, '... with no timeline cut');
cmp_ok($steps, '>=', 2, "the events came over several syncs ($steps)");
note("$steps syncs of the chain brought events");

# Reserved before handed out: the database's head is never behind a stored position.
is(sql("SELECT (SELECT pos FROM stream_heads WHERE stream = 'events') >= max(stream_ordering) FROM events"),
    't', 'stream_heads has reserved every position used');

# --- positions a failed write took do not hold the stream back -------------------------
refuse_events($node, 'poison-pill');
($st) = send_msg($users[1], $shared, 'fail-1', 'poison-pill');
is($st, 500, 'a send the database refuses: 500');
($st) = $node->post("$C/createRoom", { name => 'poison-pill' }, token => $users[1]{access_token});
is($st, 500, 'a createRoom the database refuses: 500');
allow_events($node);
my ($st1, $r1) = send_msg($users[1], $shared, 'after-fail-1');
my ($s, $body) = sync_all($watcher, $since);
is($st1, 200, 'a send after them: 200');
is_deeply([ messages($body, 'after-fail') ], [ $r1->{event_id} ],
    '... and the next sync has it: the failed writes\' positions were let go');
$since = $body->{next_batch};
# /messages starts at the head itself, not at what the live ring holds.
($s, $body) = $node->get("$C/rooms/" . enc($shared) . '/messages?dir=b&limit=1',
    token => $watcher->{access_token});
is(($body->{chunk}[0] // {})->{event_id}, $r1->{event_id}, '... and /messages backwards starts at it');

# --- a killed node starts past every position it handed out ----------------------------
my ($st2, $r2) = send_msg($users[2], $own[2], 'before-kill');
($s, $body) = sync_all($watcher, $since);
is_deeply([ messages($body, 'before-kill') ], [ $r2->{event_id} ], 'a send before the kill is synced');
$since = $body->{next_batch};
# Positions let go at the top of the stream: the next token is past every stored event.
refuse_events($node, 'poison-pill');
($st) = send_msg($users[2], $own[2], 'fail-2', 'poison-pill');
is($st, 500, 'a refused send just before the kill: 500');
allow_events($node);
($s, $body) = sync_all($watcher, $since);
$since = $body->{next_batch};
cmp_ok(events_pos($since), '>', sql('SELECT max(stream_ordering) FROM events'),
    '... the token after it is past every stored event');
$node->stop(signal => "KILL");
$node->start;
my ($st3, $r3) = send_msg($users[3], $shared, 'after-kill');
is($st3, 200, 'after kill -9 and a start: a send is 200');
cmp_ok(sql('SELECT stream_ordering FROM events WHERE event_id = ' . sqlq($r3->{event_id})), '>',
    events_pos($since), '... at a position past the token handed out before the kill');
($s, $body) = sync_all($watcher, $since);
is_deeply([ messages($body, 'after-kill') ], [ $r3->{event_id} ],
    '... and the token from before the kill gets it');
is(scalar(messages($body, 'before-kill')), 0, '... and nothing it had already');

# --- one process writes a database's events ---------------------------------------------
my $other = SyncroTest::Node->new(pg => $node->pg, start => 0);
my $err = eval { $other->start; 1 } ? '' : $@;
like($err, qr/another syncrod is writing events to this database/,
    'a second syncrod on the same database does not start');
($st) = send_msg($users[4], $shared, 'still-one');
is($st, 200, 'the first goes on');

is($node->stop, 0, 'node exits 0');
done_testing();
