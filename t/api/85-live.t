#!/usr/bin/perl
# 85-live.t -- the /sync fast path (sync/fast.h): incremental syncs in which
# only events (and typing) moved are answered from memory, and what they
# answer is exactly what the sections would.  syncrod runs with
# SYNCRO_LIVE_VERIFY=1, which after every fast answer runs the sections for
# the same range and logs "agrees" or "differs"; the test drives the cases
# the fast path takes and those it must leave to the sections, checks the
# answers themselves, and at the end reads the log.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use SyncroTest;
use SyncroTest::Rooms ();
use SyncroTest::Util qw(enc start_sync finish_sync);

$ENV{SYNCRO_LIVE_VERIFY} = 1;
my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3';
my ($st, $b);

sub json_q { enc($SyncroTest::JSON->encode($_[0])) }

sub sync {
    my ($u, %q) = @_;
    $q{filter} = json_q($q{filter}) if ref $q{filter};
    $q{set_presence} //= 'offline'; # presence would move its own stream on every first sync
    my $qs = join '&', map { "$_=$q{$_}" } grep { defined $q{$_} } sort keys %q;
    my ($st, $b) = $node->get("$C/sync?$qs", token => $u->{access_token});
    die "sync failed: HTTP $st " . $SyncroTest::JSON->encode($b) unless $st == 200;
    return $b;
}

sub send_ev { SyncroTest::Rooms::send_event($node, @_) }
sub send_msg { send_ev($_[0], $_[1], 'm.room.message', { msgtype => 'm.text', body => $_[2] }) }

sub create_room { SyncroTest::Rooms::create_room($node, @_) }

sub join_room {
    my ($u, $room) = @_;
    my ($st) = $node->post("$C/rooms/" . enc($room) . '/join', {}, token => $u->{access_token});
    die "join failed: HTTP $st" unless $st == 200;
}

sub tl_ids {
    my ($s, $room) = @_;
    my $r = $s->{rooms}{join}{$room} or return [];
    return [ map { $_->{event_id} } @{ $r->{timeline}{events} } ];
}

sub log_count { my ($re) = @_; scalar grep { /$re/ } split /\n/, $node->log_text }
sub agrees { log_count(qr/live verify: fast \/sync .* agrees/) }
sub differs { log_count(qr/live verify: fast \/sync .* differs/) }

# One sync; 'fast' when the fast path answered it (a new "agrees" line).
sub sync_fast {
    my ($u, %q) = @_;
    my $before = agrees();
    my $s = sync($u, %q);
    return ($s, agrees() > $before);
}

my $alice = $node->register_user('alice');
my $bob   = $node->register_user('bob');
my $carol = $node->register_user('carol');
my $room  = create_room($alice, name => 'Live');
my $other = create_room($alice, name => 'Other');
join_room($bob, $_) for $room, $other;

# Two passes by the sections first: they teach live bob's rooms.
my $bs = sync($bob)->{next_batch};
$bs = sync($bob, since => $bs)->{next_batch};
my $as = sync($alice)->{next_batch};
$as = sync($alice, since => $as)->{next_batch};

# --- messages --------------------------------------------------------------------------
my @m = map { send_msg($alice, $room, "hello $_") } 1 .. 2;
my ($s, $fast) = sync_fast($bob, since => $bs);
ok($fast, 'messages only: answered from memory');
is_deeply(tl_ids($s, $room), \@m, '... exactly the two messages, in order');
my $j = $s->{rooms}{join}{$room};
ok(!$j->{timeline}{limited}, '... not limited');
like($j->{timeline}{prev_batch}, qr/^t\d+$/, '... with a room token as prev_batch');
is_deeply($j->{state}{events}, [], '... and no state');
is($j->{unread_notifications}{notification_count}, 2, '... two unread for bob');
is($j->{summary}{'m.joined_member_count'}, 2, '... two joined members in the summary');
ok(!exists $j->{timeline}{events}[0]{unsigned}{transaction_id},
    "... no transaction_id in someone else's event");
ok(!exists $s->{rooms}{join}{$other}, '... the quiet room is absent');
$bs = $s->{next_batch};

($st, $b) = $node->get("$C/rooms/" . enc($room) . '/messages?dir=b&limit=1&from='
    . enc($j->{timeline}{prev_batch}), token => $bob->{access_token});
ok(!(grep { $_->{event_id} eq $m[0] } @{ $b->{chunk} }), "prev_batch pages back from below the timeline");

($s, $fast) = sync_fast($alice, since => $as);
ok($fast, "the sender's own sync: from memory too");
is($s->{rooms}{join}{$room}{timeline}{events}[1]{unsigned}{transaction_id}, SyncroTest::Rooms::last_txn(),
    "... with the transaction_id of her own device's send");
$as = $s->{next_batch};

($s, $fast) = sync_fast($bob, since => $bs);
ok($fast, 'nothing new: answered from memory');
is($s->{next_batch}, $bs, '... with the same token');
is_deeply($s->{rooms}{join}, {}, '... and no rooms');

# --- a long-poll woken by a message --------------------------------------------------------
my $before = agrees();
my $h = start_sync($node, $bob, $bs, 10000, 'offline');
sleep 0.3;
my $mid = send_msg($alice, $room, 'wake up');
my ($hst, $hb, $ht) = finish_sync($h);
is($hst, 200, 'long-poll: 200');
is_deeply(tl_ids($hb, $room), [$mid], '... woken with the message');
ok(agrees() > $before, '... answered from memory');
is($hb->{rooms}{join}{$room}{unread_notifications}{notification_count}, 3, '... three unread now');
$bs = $hb->{next_batch};

# --- typing moves alongside ----------------------------------------------------------------
($st) = $node->put("$C/rooms/" . enc($room) . '/typing/' . enc($alice->{user_id}),
    { typing => JSON::PP::true, timeout => 30000 }, token => $alice->{access_token});
is($st, 200, 'alice types');
my $typed = send_msg($alice, $other, 'typing elsewhere');
($s, $fast) = sync_fast($bob, since => $bs);
ok($fast, 'typing and a message: from memory');
my ($ty) = grep { $_->{type} eq 'm.typing' } @{ $s->{rooms}{join}{$room}{ephemeral}{events} || [] };
is_deeply($ty && $ty->{content}{user_ids}, [ $alice->{user_id} ], '... typing in the room');
is_deeply(tl_ids($s, $other), [$typed], '... the message in the other room');
$bs = $s->{next_batch};
$node->put("$C/rooms/" . enc($room) . '/typing/' . enc($alice->{user_id}),
    { typing => JSON::PP::false }, token => $alice->{access_token});
$bs = sync($bob, since => $bs)->{next_batch};

# --- a read receipt: the sections, then counts from zero -------------------------------------
($st) = $node->post("$C/rooms/" . enc($room) . '/receipt/m.read/' . enc($mid), {},
    token => $bob->{access_token});
is($st, 200, 'bob reads up to the last message');
($s, $fast) = sync_fast($bob, since => $bs);
ok(!$fast, 'a receipt moved: the sections answer');
$bs = $s->{next_batch};
my $after_read = send_msg($alice, $room, 'after the read');
($s, $fast) = sync_fast($bob, since => $bs);
ok($fast, 'the next message: from memory again');
is($s->{rooms}{join}{$room}{unread_notifications}{notification_count}, 1,
    '... one unread since the receipt');
$bs = $s->{next_batch};

# --- filters ---------------------------------------------------------------------------------
send_ev($alice, $room, 'org.example.custom', { x => 1 });
my $plain = send_msg($alice, $room, 'plain');
($s, $fast) = sync_fast($bob, since => $bs,
    filter => { room => { timeline => { not_types => ['org.example.custom'] } } });
ok($fast, 'a timeline filter: from memory');
is_deeply(tl_ids($s, $room), [$plain], '... the filtered type is left out');
my $bs_filtered = $s->{next_batch};
send_msg($alice, $other, 'in the other room');
($s, $fast) = sync_fast($bob, since => $bs_filtered, filter => { room => { not_rooms => [$other] } });
ok($fast, 'a room filter: from memory');
ok(!exists $s->{rooms}{join}{$other}, '... the excluded room is absent');
$bs = $s->{next_batch};
send_msg($alice, $room, 'lazy');
($s, $fast) = sync_fast($bob, since => $bs,
    filter => { room => { state => { lazy_load_members => JSON::PP::true } } });
ok(!$fast, 'lazy-loading members: the sections');
$bs = $s->{next_batch};

# --- what the fast path leaves to the sections ---------------------------------------------
my @many = map { send_msg($alice, $room, "many $_") } 1 .. 3;
($s, $fast) = sync_fast($bob, since => $bs, filter => { room => { timeline => { limit => 2 } } });
ok(!$fast, 'more events than the limit: the sections');
ok($s->{rooms}{join}{$room}{timeline}{limited}, '... limited');
$bs = $s->{next_batch};

my $target = send_msg($alice, $room, 'react to me');
my $reaction = send_ev($bob, $room, 'm.reaction',
    { 'm.relates_to' => { rel_type => 'm.annotation', event_id => $target, key => 'x' } });
($s, $fast) = sync_fast($bob, since => $bs);
ok(!$fast, 'a reaction to an event in the range: the sections (bundles)');
$bs = $s->{next_batch};
my $late = send_ev($alice, $room, 'm.reaction',
    { 'm.relates_to' => { rel_type => 'm.annotation', event_id => $target, key => 'y' } });
($s, $fast) = sync_fast($bob, since => $bs);
ok($fast, 'a reaction to an older event: from memory');
is_deeply(tl_ids($s, $room), [$late], '... the reaction itself');
$bs = $s->{next_batch};

($st, $b) = $node->put("$C/rooms/" . enc($room) . '/redact/' . enc($target) . '/r1', {},
    token => $alice->{access_token});
is($st, 200, 'alice redacts an older message');
($s, $fast) = sync_fast($bob, since => $bs);
ok($fast, 'a redaction of an older event: from memory');
is($s->{rooms}{join}{$room}{timeline}{events}[0]{type}, 'm.room.redaction', '... the redaction');
$bs = $s->{next_batch};

($st) = $node->put("$C/rooms/" . enc($room) . '/state/m.room.topic/', { topic => 't' },
    token => $alice->{access_token});
($s, $fast) = sync_fast($bob, since => $bs);
ok(!$fast, 'a state event in his room: the sections');
$bs = $s->{next_batch};

join_room($carol, $room);
($s, $fast) = sync_fast($bob, since => $bs);
ok(!$fast, 'a join in his room: the sections');
ok((grep { $_->{type} eq 'm.room.member' } @{ $s->{rooms}{join}{$room}{timeline}{events} }),
    '... with the member event');
is($s->{rooms}{join}{$room}{summary}{'m.joined_member_count'}, 3, '... three joined');
$bs = $s->{next_batch};
my $hi = send_msg($carol, $room, 'hi from carol');
($s, $fast) = sync_fast($bob, since => $bs);
ok($fast, 'after it: from memory again');
is($s->{rooms}{join}{$room}{summary}{'m.joined_member_count'}, 3,
    '... the summary read again after the join');
$bs = $s->{next_batch};

my $own = create_room($bob, name => 'Bob alone');
($s, $fast) = sync_fast($bob, since => $bs);
ok(!$fast, 'his own new room: the sections');
ok($s->{rooms}{join}{$own}, '... which show it');
$bs = $s->{next_batch};
my $solo = send_msg($bob, $own, 'alone');
($s, $fast) = sync_fast($bob, since => $bs);
ok($fast, 'then from memory, the new room included');
is_deeply(tl_ids($s, $own), [$solo], '... with its message');
$bs = $s->{next_batch};

# --- a restart empties memory: the sections carry on, then memory again ---------------------
$node->restart;
my $r1 = send_msg($alice, $room, 'after restart');
($s, $fast) = sync_fast($bob, since => $bs);
ok(!$fast, 'after a restart: the sections');
is_deeply(tl_ids($s, $room), [$r1], '... with the message');
$bs = $s->{next_batch};
my $r2 = send_msg($alice, $room, 'after restart 2');
($s, $fast) = sync_fast($bob, since => $bs);
ok($fast, 'then from memory');
is_deeply(tl_ids($s, $room), [$r2], '... exactly the new message');

is($node->stop, 0, 'node exits 0');
is(differs(), 0, 'no fast answer differed from the sections') or diag(join "\n",
    grep { /differs/ } split /\n/, $node->log_text);
cmp_ok(agrees(), '>=', 14, 'and the fast path answered (' . agrees() . ' verified)');
like($node->log_text, qr/live: \d+ \/sync passes answered from memory/, 'the counts are logged at stop');
done_testing;
