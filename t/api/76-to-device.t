#!/usr/bin/perl
# 76-to-device.t -- PUT /sendToDevice/{eventType}/{txnId} and the /sync
# "to_device" section: delivered exactly once, "*" for every device,
# transaction IDs, at most 100 a response.
use strict;
use warnings;
use Test::More;
use SyncroTest;
use SyncroTest::Util qw(errcode_is);

my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3';
my ($st, $b);

sub enc { my ($s) = @_; $s =~ s/([^A-Za-z0-9._~-])/sprintf('%%%02X', ord $1)/ge; $s }

sub sync {
    my ($u, $since) = @_;
    my $q = 'timeout=0' . (defined $since ? '&since=' . enc($since) : '');
    my ($st, $b) = $node->get("$C/sync?$q", token => $u->{access_token});
    die "sync: $st" unless $st == 200;
    return $b;
}

sub send_td {
    my ($from, $txn, $messages, $type) = @_;
    return $node->put("$C/sendToDevice/" . enc($type // 'm.test') . '/' . enc($txn),
        { messages => $messages }, token => $from->{access_token});
}

sub sql { my ($rc, $out) = $node->pg->psql($_[0]); die "psql: $out" if $rc; return ($rc, $out) }

sub bodies { [map { $_->{content}{body} } @{ $_[0]{to_device}{events} }] }

my $alice1 = $node->register_user('alice');
my $alice2 = $node->login('alice', 'pw-alice');
my $bob = $node->register_user('bob');
my $A = $alice1->{user_id};
isnt($alice1->{device_id}, $alice2->{device_id}, 'alice has two devices');

my $a1 = sync($alice1);
my $a2 = sync($alice2);
is_deeply($a1->{to_device}, { events => [] }, 'nothing queued at first');

# bad input changes nothing
($st, $b) = $node->put("$C/sendToDevice/m.test/t0", {}, token => $bob->{access_token});
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'no messages');
($st, $b) = send_td($bob, 't0', { $A => { $alice1->{device_id} => { body => 'ok' }, $alice2->{device_id} => 'str' } });
errcode_is($st, $b, 400, 'M_BAD_JSON', 'content not an object');
($st, $b) = send_td($bob, 't0', { $A => [] });
errcode_is($st, $b, 400, 'M_BAD_JSON', 'devices not an object');

# one device
($st, $b) = send_td($bob, 't1', { $A => { $alice1->{device_id} => { body => 'one' } } }, 'm.room_key_request');
is($st, 200, 'send to one device');
is_deeply($b, {}, 'empty body');
my $s = sync($alice1, $a1->{next_batch});
is_deeply($s->{to_device}{events},
    [{ sender => $bob->{user_id}, type => 'm.room_key_request', content => { body => 'one' } }],
    'device 1 gets the message with sender and type');
is_deeply(bodies(sync($alice2, $a2->{next_batch})), [], 'device 2 gets nothing');
# the same since again: delivery not yet acknowledged, so it comes again
is_deeply(bodies(sync($alice1, $a1->{next_batch})), ['one'], 'repeated since: delivered again (not acknowledged)');
my $s2 = sync($alice1, $s->{next_batch});
is_deeply(bodies($s2), [], 'acknowledged: not delivered twice');
is_deeply(bodies(sync($alice1)), [], 'gone even for an initial sync');
is((sql("SELECT count(*) FROM device_inbox"))[1], '0', 'acknowledged messages are deleted');

# "*" and a repeated transaction ID
($st, $b) = send_td($bob, 't2', { $A => { '*' => { body => 'all' } } });
is($st, 200, 'send to *');
($st, $b) = send_td($bob, 't2', { $A => { '*' => { body => 'all' } } });
is($st, 200, 'same txn again: 200');
($st, $b) = send_td($bob, 't2', { $A => { '*' => { body => 'changed' } } });
is($st, 200, 'same txn, other body: still a no-op 200');
my $x1 = sync($alice1, $s2->{next_batch});
is_deeply(bodies($x1), ['all'], '* reaches device 1 once');
my $x2 = sync($alice2, $a2->{next_batch});
is_deeply(bodies($x2), ['all'], '* reaches device 2 once');
# the same txn ID from another device of the sender is a new message
my $bob2 = $node->login('bob', 'pw-bob');
($st, $b) = send_td($bob2, 't2', { $A => { $alice2->{device_id} => { body => 'from bob2' } } });
is_deeply(bodies(sync($alice2, $x2->{next_batch})), ['from bob2'], 'txn IDs are per device');
$x2 = sync($alice2, $x2->{next_batch});
is_deeply(bodies(sync($alice1, $x1->{next_batch})), [], 'device 1 got nothing more');

# "*" plus a named device: one message each, the named one wins for that device
($st, $b) = send_td($bob, 't3', { $A => { '*' => { body => 'star' }, $alice1->{device_id} => { body => 'named' } } });
my $y1 = sync($alice1, $x1->{next_batch});
is_deeply(bodies($y1), ['named'], 'named device gets its own message only');
$x2 = sync($alice2, $x2->{next_batch});
is_deeply(bodies($x2), ['star'], 'the other device gets the * message');

# unknown users and devices are skipped
($st, $b) = send_td($bob, 't4', { '@nobody:' . $node->server_name => { '*' => { body => 'x' } },
    $A => { NOSUCHDEVICE => { body => 'x' } }, '@r:remote.example' => { '*' => { body => 'x' } } });
is($st, 200, 'unknown recipients: 200');
is_deeply(bodies(sync($alice1, $y1->{next_batch})), [], 'nothing for alice');

# at most 100 a response, the rest next time, in order
for my $i (1 .. 105) {
    ($st, $b) = send_td($bob, "bulk$i", { $A => { $alice2->{device_id} => { body => "m$i" } } });
    die "bulk send $i: $st" unless $st == 200;
}
my $p1 = sync($alice2, $x2->{next_batch});
is(scalar @{ bodies($p1) }, 100, 'first page: 100 messages');
is_deeply(bodies($p1), [map { "m$_" } 1 .. 100], 'in order');
my $p2 = sync($alice2, $p1->{next_batch});
is_deeply(bodies($p2), [map { "m$_" } 101 .. 105], 'second page: the other 5');
my $p3 = sync($alice2, $p2->{next_batch});
is_deeply(bodies($p3), [], 'then nothing');

# a deleted device's inbox goes with it
($st, $b) = send_td($bob, 't5', { $A => { $alice2->{device_id} => { body => 'late' } } });
is($st, 200, 'queued for device 2');
my $q = "SELECT count(*) FROM device_inbox WHERE device_id = '$alice2->{device_id}'";
is((sql($q))[1], '1', 'one message waiting');
($st, $b) = $node->delete("$C/devices/" . enc($alice2->{device_id}), {
    auth => { type => 'm.login.password', password => 'pw-alice',
              identifier => { type => 'm.id.user', user => 'alice' } } }, token => $alice1->{access_token});
if ($st == 401 && $b->{session}) {
    ($st, $b) = $node->delete("$C/devices/" . enc($alice2->{device_id}), {
        auth => { type => 'm.login.password', password => 'pw-alice', session => $b->{session},
                  identifier => { type => 'm.id.user', user => 'alice' } } }, token => $alice1->{access_token});
}
is($st, 200, 'device 2 deleted');
is((sql($q))[1], '0', 'its inbox is gone');

done_testing;
