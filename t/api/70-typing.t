#!/usr/bin/perl
# 70-typing.t -- PUT /rooms/{roomId}/typing/{userId} and m.typing in
# rooms.join.<id>.ephemeral of /sync: who may type, expiry, and how fast a
# parked long-poll hears of it.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use JSON::PP;
use SyncroTest;
use SyncroTest::Util qw(errcode_is enc sync start_sync finish_sync);
use POSIX ();

my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3';
my ($st, $b);

# The m.typing user_ids in room's ephemeral events, or undef when there is no m.typing.
sub typing_in {
    my ($body, $room) = @_;
    my $evs = $body->{rooms}{join}{$room}{ephemeral}{events} or return undef;
    for my $e (@$evs) {
        return [sort @{ $e->{content}{user_ids} }] if $e->{type} eq 'm.typing';
    }
    return undef;
}

sub typing {
    my ($u, $room, $who, $body) = @_;
    return $node->put("$C/rooms/" . enc($room) . '/typing/' . enc($who), $body,
        token => $u->{access_token});
}

my $alice = $node->register_user('alice', 'pw-alice');
my $bob   = $node->register_user('bob', 'pw-bob');
my $carol = $node->register_user('carol', 'pw-carol');

($st, $b) = $node->post("$C/createRoom", { preset => 'public_chat' }, token => $alice->{access_token});
is($st, 200, 'createRoom: 200') or diag explain $b;
my $room = $b->{room_id};
($st, $b) = $node->post("$C/rooms/" . enc($room) . '/join', {}, token => $bob->{access_token});
is($st, 200, 'bob joins: 200') or diag explain $b;

($st, $b) = sync($node, $bob);
is($st, 200, 'bob initial sync: 200') or diag explain $b;
is(typing_in($b, $room), undef, '... nobody typing: no m.typing in ephemeral');
my $since = $b->{next_batch};

# --- bad input changes nothing ----------------------------------------------------------
($st, $b) = typing($alice, $room, $bob->{user_id}, { typing => JSON::PP::true, timeout => 30000 });
errcode_is($st, $b, 403, 'M_FORBIDDEN', "typing as another user");
($st, $b) = typing($carol, $room, $carol->{user_id}, { typing => JSON::PP::true });
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'typing in a room one is not joined to');
($st, $b) = typing($alice, '!nosuchroom:' . $node->server_name, $alice->{user_id},
    { typing => JSON::PP::true });
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'typing in an unknown room');
($st, $b) = typing($alice, $room, $alice->{user_id}, { timeout => 1000 });
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'typing without "typing"');
($st, $b) = typing($alice, $room, $alice->{user_id}, { typing => 'yes' });
errcode_is($st, $b, 400, 'M_INVALID_PARAM', '"typing" not a boolean');
($st, $b) = typing($alice, $room, $alice->{user_id}, { typing => JSON::PP::true, timeout => 'soon' });
errcode_is($st, $b, 400, 'M_INVALID_PARAM', '"timeout" not a number');
($st, $b) = typing($alice, $room, $alice->{user_id}, { typing => JSON::PP::true, timeout => -5 });
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'negative timeout');
($st, $b) = $node->raw('PUT', "$C/rooms/" . enc($room) . '/typing/' . enc($alice->{user_id}),
    '{"typing": tru', { Authorization => "Bearer $alice->{access_token}" });
errcode_is($st, $b, 400, 'M_NOT_JSON', 'broken JSON');
($st, $b) = sync($node, $bob, $since);
is($st, 200, 'bob syncs after the refused requests: 200') or diag explain $b;
is(typing_in($b, $room), undef, '... still no m.typing: nothing was set');
$since = $b->{next_batch};

# --- typing reaches other members; a parked long-poll wakes at once ------------------------
my $h = start_sync($node, $bob, $since, 10000);
sleep 0.5; # let the long-poll park
my $t0 = time;
($st, $b) = typing($alice, $room, $alice->{user_id}, { typing => JSON::PP::true, timeout => 30000 });
my $t_done = time; # the change is committed by now
is($st, 200, 'alice starts typing: 200') or diag explain $b;
is_deeply($b, {}, '... an empty object');
my ($lst, $lb, $t1) = finish_sync($h);
is($lst, 200, "bob's long-poll answers: 200") or diag explain $lb;
is_deeply(typing_in($lb, $room), [$alice->{user_id}], '... m.typing lists alice');
my $lat = ($t1 - $t_done) * 1000;
cmp_ok($lat, '<', 100, sprintf('... within 100 ms of the PUT answering (%.1f ms)', $lat));
cmp_ok($t1, '>=', $t0, '... and not before it');
$since = $lb->{next_batch};

($st, $b) = sync($node, $alice);
is_deeply(typing_in($b, $room), [$alice->{user_id}], "alice's own initial sync shows her typing too");

# Nothing changed since: an incremental sync has no m.typing.
($st, $b) = sync($node, $bob, $since);
is(typing_in($b, $room), undef, 'no change since: no m.typing in the next incremental sync');

# Two typers.
($st, $b) = typing($bob, $room, $bob->{user_id}, { typing => JSON::PP::true, timeout => 30000 });
is($st, 200, 'bob types too: 200') or diag explain $b;
($st, $b) = sync($node, $bob, $since);
is_deeply(typing_in($b, $room), [sort $alice->{user_id}, $bob->{user_id}], '... both listed');
$since = $b->{next_batch};

# Stop.
($st, $b) = typing($bob, $room, $bob->{user_id}, { typing => JSON::PP::false });
is($st, 200, 'bob stops (no timeout needed): 200') or diag explain $b;
($st, $b) = typing($alice, $room, $alice->{user_id}, { typing => JSON::PP::false });
is($st, 200, 'alice stops: 200') or diag explain $b;
($st, $b) = sync($node, $bob, $since);
is_deeply(typing_in($b, $room), [], 'after both stop: m.typing with no user_ids');
$since = $b->{next_batch};

# Carol was never in the room: her syncs have no such room.
($st, $b) = sync($node, $carol);
ok(!exists $b->{rooms}{join}{$room}, "a non-member's sync does not show the room's typing");

# --- expiry -------------------------------------------------------------------------------
($st, $b) = typing($alice, $room, $alice->{user_id}, { typing => JSON::PP::true, timeout => 300 });
is($st, 200, 'alice types with a 300 ms timeout: 200') or diag explain $b;
my $t_typed = time;
($st, $b) = sync($node, $bob, $since);
is_deeply(typing_in($b, $room), [$alice->{user_id}], '... bob sees her typing');
$since = $b->{next_batch};
($st, $b, my $t_end) = do {
    my $h2 = start_sync($node, $bob, $since, 5000);
    finish_sync($h2);
};
is($st, 200, "bob's long-poll answers when the typing expires: 200") or diag explain $b;
is_deeply(typing_in($b, $room), [], '... m.typing now empty');
my $after = ($t_end - $t_typed) * 1000;
cmp_ok($after, '>=', 250, sprintf('... not before the timeout (%.0f ms)', $after));
cmp_ok($after, '<', 2000, '... and within the expiry tick');

is($node->stop, 0, 'clean exit');
done_testing;
