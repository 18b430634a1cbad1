#!/usr/bin/perl
# 72-presence.t -- PUT/GET /presence/{userId}/status, /sync's set_presence,
# and the "presence" section of /sync: only the user and users sharing a
# joined room with them see it.
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


sub sync_p {
    my ($u, $since, $set) = @_;
    my $q = 'timeout=0&set_presence=' . $set;
    $q .= '&since=' . enc($since) if defined $since;
    return $node->get("$C/sync?$q", token => $u->{access_token});
}

sub put_presence {
    my ($u, $who, $body) = @_;
    return $node->put("$C/presence/" . enc($who) . '/status', $body, token => $u->{access_token});
}

sub get_presence {
    my ($u, $who) = @_;
    return $node->get("$C/presence/" . enc($who) . '/status', token => $u->{access_token});
}

# The last m.presence content for $who in a sync body, or undef.
sub presence_of {
    my ($body, $who) = @_;
    my @m = grep { $_->{type} eq 'm.presence' && $_->{sender} eq $who }
        @{ $body->{presence}{events} || [] };
    return @m ? $m[-1]{content} : undef;
}

my $alice = $node->register_user('alice', 'pw-alice');
my $bob   = $node->register_user('bob', 'pw-bob');
my $carol = $node->register_user('carol', 'pw-carol');
my $dave  = $node->register_user('dave', 'pw-dave');
my ($A, $B, $Cu, $D) = map { $_->{user_id} } $alice, $bob, $carol, $dave;

($st, $b) = $node->post("$C/createRoom", { preset => 'public_chat' }, token => $alice->{access_token});
is($st, 200, 'createRoom: 200') or diag explain $b;
my $room = $b->{room_id};
for my $u ($bob, $dave) {
    ($st, $b) = $node->post("$C/rooms/" . enc($room) . '/join', {}, token => $u->{access_token});
    is($st, 200, "$u->{user_id} joins: 200") or diag explain $b;
}
# Carol has a room of her own, without alice.
($st, $b) = $node->post("$C/createRoom", {}, token => $carol->{access_token});
is($st, 200, "carol's own room: 200") or diag explain $b;

# --- never set -------------------------------------------------------------------------------
($st, $b) = get_presence($bob, $D);
is($st, 200, 'GET presence of a room-mate who never set any: 200') or diag explain $b;
is_deeply($b, { presence => 'offline' }, '... {"presence": "offline"}');

# --- bad input changes nothing ----------------------------------------------------------
($st, $b) = put_presence($alice, $A, { presence => 'online', status_msg => 'first' });
is($st, 200, 'alice: online, "first": 200') or diag explain $b;
is_deeply($b, {}, '... an empty object');
($st, $b) = put_presence($alice, $B, { presence => 'online' });
errcode_is($st, $b, 403, 'M_FORBIDDEN', "setting another user's presence");
($st, $b) = put_presence($alice, $A, { presence => 'busy' });
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'an unknown presence state');
($st, $b) = put_presence($alice, $A, { status_msg => 'no state' });
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'no presence state');
($st, $b) = put_presence($alice, $A, { presence => 'offline', status_msg => 7 });
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'status_msg not a string');
($st, $b) = put_presence($alice, $A, { presence => 'offline', status_msg => 'x' x 5000 });
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'an over-long status_msg');
($st, $b) = get_presence($alice, $A);
is($st, 200, 'alice GETs her presence: 200') or diag explain $b;
is($b->{presence}, 'online', '... still online: the refused requests changed nothing');
is($b->{status_msg}, 'first', '... status_msg "first"');
is($b->{currently_active}, JSON::PP::true, '... currently_active');
ok(defined $b->{last_active_ago} && $b->{last_active_ago} >= 0 && $b->{last_active_ago} < 10000,
    '... last_active_ago is recent');

# --- who may read it --------------------------------------------------------------------
($st, $b) = get_presence($bob, $A);
is($st, 200, 'bob (shares a room) GETs alice: 200') or diag explain $b;
is($b->{presence}, 'online', '... online');
is($b->{status_msg}, 'first', '... with her status_msg');
($st, $b) = get_presence($carol, $A);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'carol (no shared room) GETs alice');
($st, $b) = get_presence($carol, '@nobody:' . $node->server_name);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'GET presence of an unknown user');

# --- /sync shows it to room-mates only -----------------------------------------------------
($st, $b) = sync_p($bob, undef, 'offline');
is($st, 200, 'bob initial sync (set_presence=offline): 200') or diag explain $b;
my $p = presence_of($b, $A);
is($p->{presence}, 'online', "... alice's presence: online");
is($p->{status_msg}, 'first', '... status_msg');
ok(!presence_of($b, $B), '... bob himself is not online (set_presence=offline left him unset)');
my $bob_since = $b->{next_batch};
($st, $b) = sync_p($carol, undef, 'offline');
ok(!presence_of($b, $A), "carol's initial sync does not show alice's presence");
my $carol_since = $b->{next_batch};

($st, $b) = sync_p($bob, $bob_since, 'offline');
is_deeply($b->{presence}{events}, [], 'nothing changed: no presence events in the next sync');

# A parked long-poll hears of a change at once.
my $h = start_sync($node, $bob, $bob_since, 10000, 'offline');
sleep 0.5;
my $t0 = time;
($st, $b) = put_presence($alice, $A, { presence => 'unavailable', status_msg => 'lunch' });
my $t_done = time; # the change is committed by now
is($st, 200, 'alice: unavailable, "lunch": 200') or diag explain $b;
my ($lst, $lb, $tret) = finish_sync($h);
is($lst, 200, "bob's long-poll answers: 200") or diag explain $lb;
$p = presence_of($lb, $A);
is($p->{presence}, 'unavailable', '... alice is unavailable');
is($p->{status_msg}, 'lunch', '... "lunch"');
ok(!exists $p->{currently_active}, '... currently_active only accompanies online');
my $lat = ($tret - $t_done) * 1000;
cmp_ok($lat, '<', 100, sprintf('... within 100 ms of the PUT answering (%.1f ms)', $lat));
cmp_ok($tret, '>=', $t0, '... and not before the PUT');
$bob_since = $lb->{next_batch};
($st, $b) = sync_p($carol, $carol_since, 'offline');
ok(!presence_of($b, $A), "carol's incremental sync does not show alice's change");

# --- set_presence on /sync ----------------------------------------------------------------
($st, $b) = $node->get("$C/sync?timeout=0&set_presence=busy", token => $carol->{access_token});
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'set_presence=busy');
($st, $b) = sync_p($carol, undef, 'unavailable');
is($st, 200, 'carol syncs with set_presence=unavailable: 200') or diag explain $b;
is(presence_of($b, $Cu)->{presence}, 'unavailable', "... her own sync shows her unavailable");
($st, $b) = get_presence($carol, $Cu);
is($b->{presence}, 'unavailable', '... GET agrees');
($st, $b) = sync_p($carol, undef, 'offline');
($st, $b) = get_presence($carol, $Cu);
is($b->{presence}, 'unavailable', 'set_presence=offline leaves presence alone');

($st, $b) = $node->get("$C/sync?timeout=0", token => $dave->{access_token});
is($st, 200, 'dave syncs without set_presence: 200') or diag explain $b;
($st, $b) = get_presence($bob, $D);
is($b->{presence}, 'online', '... which marks him online');
is($b->{currently_active}, JSON::PP::true, '... currently active');

# A sync-set state keeps the status message the user set.
($st, $b) = sync_p($alice, undef, 'online');
($st, $b) = get_presence($bob, $A);
is($b->{presence}, 'online', "alice's sync marks her online again");
is($b->{status_msg}, 'lunch', '... keeping her status_msg');
($st, $b) = sync_p($bob, $bob_since, 'offline');
is(presence_of($b, $A)->{presence}, 'online', "bob's incremental sync reports alice online");
is(presence_of($b, $D)->{presence}, 'online', '... and dave online');
ok(!presence_of($b, $Cu), '... but not carol, who shares no room with him');
$bob_since = $b->{next_batch};

# An unchanged state is not news.
($st, $b) = sync_p($alice, undef, 'online');
($st, $b) = sync_p($bob, $bob_since, 'offline');
ok(!presence_of($b, $A), "a repeated online sync by alice is not a presence change for bob");

# Clearing the message.
($st, $b) = put_presence($alice, $A, { presence => 'online' });
is($st, 200, 'alice PUTs online without status_msg: 200') or diag explain $b;
($st, $b) = get_presence($alice, $A);
ok(!exists $b->{status_msg}, '... the status message is cleared');

# An online user whose clients stopped syncing five minutes ago reads as offline.
is($b->{presence}, 'online', 'alice is online');
my ($rc) = $node->pg->psql("UPDATE presence SET last_active_ts = last_active_ts - 600000 "
    . "WHERE user_id = '$A'");
is($rc, 0, '... her last activity moved ten minutes back');
($st, $b) = get_presence($bob, $A);
is($b->{presence}, 'offline', '... and bob now sees her offline');
ok($b->{last_active_ago} >= 600000, '... last active ten minutes ago');

is($node->stop, 0, 'clean exit');
done_testing;
