#!/usr/bin/perl
# 71-receipts.t -- POST /rooms/{roomId}/receipt/{receiptType}/{eventId},
# POST /rooms/{roomId}/read_markers, and m.receipt in
# rooms.join.<id>.ephemeral of /sync: public and private receipts, threads,
# forward-only markers, the fully read marker as room account data.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use JSON::PP;
use POSIX ();
use SyncroTest;
use SyncroTest::Util qw(errcode_is enc sync start_sync finish_sync);

my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3';
my ($st, $b);


my $txn = 0;
sub send_msg {
    my ($u, $room, $content) = @_;
    my ($s, $body) = $node->put("$C/rooms/" . enc($room) . '/send/m.room.message/t' . ++$txn,
        $content, token => $u->{access_token});
    die "send failed: $s" unless $s == 200;
    return $body->{event_id};
}

sub receipt {
    my ($u, $room, $type, $event, $body) = @_;
    return $node->post("$C/rooms/" . enc($room) . '/receipt/' . enc($type) . '/' . enc($event),
        $body // {}, token => $u->{access_token});
}

sub markers {
    my ($u, $room, $body) = @_;
    return $node->post("$C/rooms/" . enc($room) . '/read_markers', $body,
        token => $u->{access_token});
}

# The merged content of the m.receipt events in room's ephemeral part, or undef.
sub receipts_in {
    my ($body, $room) = @_;
    my $evs = $body->{rooms}{join}{$room}{ephemeral}{events} or return undef;
    my ($content, $seen);
    for my $e (grep { $_->{type} eq 'm.receipt' } @$evs) {
        $seen = 1;
        for my $ev (keys %{ $e->{content} }) {
            for my $t (keys %{ $e->{content}{$ev} }) {
                for my $u (keys %{ $e->{content}{$ev}{$t} }) {
                    $content->{$ev}{$t}{$u} = $e->{content}{$ev}{$t}{$u};
                }
            }
        }
    }
    return $seen ? $content : undef;
}

sub room_account_data {
    my ($body, $room, $type) = @_;
    my $evs = $body->{rooms}{join}{$room}{account_data}{events} or return undef;
    my @m = grep { $_->{type} eq $type } @$evs;
    return @m ? $m[-1]{content} : undef;
}

my $alice = $node->register_user('alice', 'pw-alice');
my $bob   = $node->register_user('bob', 'pw-bob');
my $carol = $node->register_user('carol', 'pw-carol');
my ($A, $B) = ($alice->{user_id}, $bob->{user_id});

($st, $b) = $node->post("$C/createRoom", { preset => 'public_chat' }, token => $alice->{access_token});
is($st, 200, 'createRoom: 200') or diag explain $b;
my $room = $b->{room_id};
($st, $b) = $node->post("$C/rooms/" . enc($room) . '/join', {}, token => $bob->{access_token});
is($st, 200, 'bob joins: 200') or diag explain $b;

my $m1 = send_msg($alice, $room, { msgtype => 'm.text', body => 'one' });
my $m2 = send_msg($alice, $room, { msgtype => 'm.text', body => 'two' });
my $t1 = send_msg($bob, $room, { msgtype => 'm.text', body => 'in thread',
    'm.relates_to' => { rel_type => 'm.thread', event_id => $m1 } });
my $m3 = send_msg($alice, $room, { msgtype => 'm.text', body => 'three' });

# Alice first: her first /sync marks her online, which bob's next sync would report.
($st, $b) = sync($node, $alice);
my $alice_since = $b->{next_batch};
($st, $b) = sync($node, $bob);
is($st, 200, 'bob initial sync: 200') or diag explain $b;
is(receipts_in($b, $room), undef, '... no receipts yet');
my $bob_since = $b->{next_batch};

# --- bad input changes nothing ----------------------------------------------------------
($st, $b) = receipt($alice, $room, 'm.bogus', $m2);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'unknown receipt type');
like($b->{error} // '', qr/m\.read/, '... the error names the accepted types');
($st, $b) = receipt($alice, $room, 'm.read', '$nosuchevent:' . $node->server_name);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'receipt for an unknown event');
($st, $b) = receipt($alice, $room, 'm.read', 'notanevent');
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'receipt for something that is not an event ID');
($st, $b) = receipt($carol, $room, 'm.read', $m2);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'receipt from a non-member');
($st, $b) = receipt($alice, $room, 'm.read', $m2, { thread_id => '' });
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'empty thread_id');
($st, $b) = receipt($alice, $room, 'm.read', $m2, { thread_id => 5 });
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'thread_id not a string');
($st, $b) = receipt($alice, $room, 'm.fully_read', $m2, { thread_id => 'main' });
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'thread_id with m.fully_read');
($st, $b) = receipt($alice, $room, 'm.read', $t1, { thread_id => 'main' });
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'thread_id main on an event in a thread');
($st, $b) = receipt($alice, $room, 'm.read', $m2, { thread_id => $m1 });
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'thread_id of a thread the event is not in');
($st, $b) = sync($node, $bob, $bob_since);
is($st, 200, 'bob syncs after the refused receipts: 200') or diag explain $b;
is(receipts_in($b, $room), undef, '... no m.receipt: nothing was stored');

# --- a public receipt wakes other members' long-polls at once ------------------------------
my $h = start_sync($node, $bob, $bob_since, 10000);
sleep 0.5;
my $t0 = time;
($st, $b) = receipt($alice, $room, 'm.read', $m2);
my $t_done = time; # the change is committed by now
is($st, 200, 'alice: m.read on m2: 200') or diag explain $b;
is_deeply($b, {}, '... an empty object');
my ($lst, $lb, $tret) = finish_sync($h);
is($lst, 200, "bob's long-poll answers: 200") or diag explain $lb;
my $r = receipts_in($lb, $room);
is_deeply([keys %$r], [$m2], '... one receipt, on m2');
is_deeply([keys %{ $r->{$m2}{'m.read'} }], [$A], '... m.read by alice');
cmp_ok($r->{$m2}{'m.read'}{$A}{ts}, '>', 1e12, '... with a ts in ms');
ok(!exists $r->{$m2}{'m.read'}{$A}{thread_id}, '... unthreaded: no thread_id');
my $lat = ($tret - $t_done) * 1000;
cmp_ok($lat, '<', 100, sprintf('... within 100 ms of the POST answering (%.1f ms)', $lat));
cmp_ok($tret, '>=', $t0, '... and not before it');
$bob_since = $lb->{next_batch};

# --- private receipts: only their owner sees them ------------------------------------------
($st, $b) = receipt($alice, $room, 'm.read.private', $m3);
is($st, 200, 'alice: m.read.private on m3: 200') or diag explain $b;
($st, $b) = sync($node, $bob, $bob_since);
is(receipts_in($b, $room), undef, "bob's incremental sync does not carry alice's private receipt");
$bob_since = $b->{next_batch};
($st, $b) = sync($node, $alice, $alice_since);
$r = receipts_in($b, $room);
ok($r->{$m3}{'m.read.private'}{$A}, "alice's incremental sync carries her private receipt");
ok($r->{$m2}{'m.read'}{$A}, '... and her public one');
$alice_since = $b->{next_batch};

($st, $b) = sync($node, $bob);
$r = receipts_in($b, $room);
ok($r->{$m2}{'m.read'}{$A}, "bob's initial sync: alice's public receipt");
ok(!exists $r->{$m3}, "... but not her private one");
($st, $b) = sync($node, $alice);
$r = receipts_in($b, $room);
ok($r->{$m3}{'m.read.private'}{$A}, "alice's initial sync: her private receipt");
ok($r->{$m2}{'m.read'}{$A}, '... and her public one');

# A parked long-poll of another member is not woken by a private receipt.
$h = start_sync($node, $bob, $bob_since, 700);
sleep 0.3;
($st, $b) = receipt($alice, $room, 'm.read.private', $t1);
is($st, 200, 'alice: m.read.private on t1: 200') or diag explain $b;
($lst, $lb, $tret) = finish_sync($h);
is(receipts_in($lb, $room), undef, "bob's long-poll ends without alice's private receipt");

# --- threads ------------------------------------------------------------------------------
($st, $b) = receipt($bob, $room, 'm.read', $t1, { thread_id => $m1 });
is($st, 200, 'bob: threaded m.read on t1 in thread m1: 200') or diag explain $b;
($st, $b) = receipt($bob, $room, 'm.read', $m1, { thread_id => $m1 });
is($st, 200, 'bob: threaded m.read on the thread root itself: 200') or diag explain $b;
($st, $b) = receipt($bob, $room, 'm.read', $m2, { thread_id => 'main' });
is($st, 200, 'bob: m.read on m2 in main: 200') or diag explain $b;
($st, $b) = sync($node, $alice, $alice_since);
$r = receipts_in($b, $room);
is($r->{$m2}{'m.read'}{$B}{thread_id}, 'main', 'alice sees bob\'s main-timeline receipt with thread_id main');
is($r->{$t1}{'m.read'}{$B}{thread_id}, $m1, '... and his receipt on t1 in thread m1');
ok(!exists $r->{$m1}, '... receipts only move forward: the older root did not replace t1');
$alice_since = $b->{next_batch};

# --- forward only -------------------------------------------------------------------------
($st, $b) = receipt($alice, $room, 'm.read', $m1);
is($st, 200, 'alice: m.read on the older m1: 200 (accepted, as Synapse)') or diag explain $b;
($st, $b) = sync($node, $bob, $bob_since);
$r = receipts_in($b, $room) // {};
ok(!exists $r->{$m1}, '... but bob sees no receipt move back to m1');
($st, $b) = sync($node, $bob);
$r = receipts_in($b, $room);
ok($r->{$m2}{'m.read'}{$A} && !$r->{$m1}{'m.read'}{$A}, "... alice's m.read is still on m2");

# --- read markers -------------------------------------------------------------------------
($st, $b) = markers($alice, $room, { 'm.fully_read' => $m3, 'm.read' => '$nosuch:' . $node->server_name });
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'read_markers with an unknown m.read event');
($st, $b) = $node->get("$C/user/" . enc($A) . '/rooms/' . enc($room) . '/account_data/m.fully_read',
    token => $alice->{access_token});
errcode_is($st, $b, 404, 'M_NOT_FOUND', '... all or nothing: no fully read marker was set');
($st, $b) = markers($alice, $room, { 'm.fully_read' => 42 });
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'read_markers with a number for an event ID');
($st, $b) = markers($carol, $room, { 'm.fully_read' => $m2 });
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'read_markers from a non-member');

($st, $b) = markers($alice, $room, { 'm.fully_read' => $m2, 'm.read' => $m3, 'x.unknown' => 1 });
is($st, 200, 'read_markers: fully read m2, m.read m3 (unknown keys ignored): 200') or diag explain $b;
is_deeply($b, {}, '... an empty object');
($st, $b) = $node->get("$C/user/" . enc($A) . '/rooms/' . enc($room) . '/account_data/m.fully_read',
    token => $alice->{access_token});
is($st, 200, 'GET room account data m.fully_read: 200') or diag explain $b;
is_deeply($b, { event_id => $m2 }, '... {"event_id": m2}');
($st, $b) = sync($node, $alice, $alice_since);
is_deeply(room_account_data($b, $room, 'm.fully_read'), { event_id => $m2 },
    "alice's sync: m.fully_read in the room's account_data");
ok(receipts_in($b, $room)->{$m3}{'m.read'}{$A}, '... and her m.read on m3 in ephemeral');
$alice_since = $b->{next_batch};
($st, $b) = sync($node, $bob);
ok(!room_account_data($b, $room, 'm.fully_read'), "bob never sees alice's fully read marker");

($st, $b) = receipt($alice, $room, 'm.fully_read', $m1);
is($st, 200, 'receipt m.fully_read on the older m1: 200') or diag explain $b;
($st, $b) = $node->get("$C/user/" . enc($A) . '/rooms/' . enc($room) . '/account_data/m.fully_read',
    token => $alice->{access_token});
is_deeply($b, { event_id => $m2 }, '... the marker stays on m2');
($st, $b) = receipt($alice, $room, 'm.fully_read', $m3);
is($st, 200, 'receipt m.fully_read on m3: 200') or diag explain $b;
($st, $b) = $node->get("$C/user/" . enc($A) . '/rooms/' . enc($room) . '/account_data/m.fully_read',
    token => $alice->{access_token});
is_deeply($b, { event_id => $m3 }, '... the marker moves to m3');

is($node->stop, 0, 'clean exit');
done_testing;
