#!/usr/bin/perl
# 63-send-state.t -- PUT /rooms/{roomId}/send/{eventType}/{txnId},
# PUT and GET /rooms/{roomId}/state[/{eventType}[/{stateKey}]].
use strict;
use warnings;
use Test::More;
use SyncroTest;
use SyncroTest::Util qw(errcode_is enc);
use JSON::PP ();

my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3';
my ($st, $b);

sub sql_count {
    my ($sql) = @_;
    my ($rc, $out) = $node->pg->psql($sql);
    die "psql failed: $out" if $rc != 0;
    chomp $out;
    return $out;
}

sub sqlq { my ($s) = @_; $s =~ s/'/''/g; return "'$s'" }

my $txn_seq = 0;
sub send_msg {
    my ($u, $room, $body, %opt) = @_;
    my $txn = $opt{txn} // ('t' . ++$txn_seq);
    my $type = $opt{type} // 'm.room.message';
    return $node->put("$C/rooms/" . enc($room) . '/send/' . enc($type) . '/' . enc($txn),
        $opt{content} // { msgtype => 'm.text', body => $body }, token => $u->{access_token});
}

sub put_state {
    my ($u, $room, $type, $key, $content) = @_;
    my $path = "$C/rooms/" . enc($room) . '/state/' . enc($type);
    $path .= '/' . enc($key) if defined $key;
    return $node->put($path, $content, token => $u->{access_token});
}

sub get_state {
    my ($u, $room, $type, $key, $query) = @_;
    my $path = "$C/rooms/" . enc($room) . '/state';
    $path .= '/' . enc($type) if defined $type;
    $path .= '/' . enc($key) if defined $key;
    $path .= "?$query" if defined $query;
    return $node->get($path, token => $u->{access_token});
}

my $alice = $node->register_user('alice', 'pw-alice');
my $bob   = $node->register_user('bob', 'pw-bob');
my $carol = $node->register_user('carol', 'pw-carol');

($st, $b) = $node->post("$C/createRoom", { preset => 'public_chat' },
    token => $alice->{access_token});
is($st, 200, 'createRoom: 200') or diag explain $b;
my $room = $b->{room_id};
like($room, qr/^!/, 'createRoom: a room ID');

# --- joining through the state API --------------------------------------------
($st, $b) = put_state($bob, $room, 'm.room.member', $bob->{user_id}, { membership => 'join' });
is($st, 200, 'bob joins with a member state event: 200') or diag explain $b;
like($b->{event_id}, qr/^\$/, '... an event ID');

# --- send: membership decides -------------------------------------------------
($st, $b) = send_msg($bob, $room, 'hello from bob');
is($st, 200, 'member sends a message: 200') or diag explain $b;
my $bob_msg = $b->{event_id};
like($bob_msg, qr/^\$/, '... an event ID');

# The stored PDUs name the auth events the rules select: the create event
# (before v12), the power levels, the sender's membership, and for a join
# also the join rules.
sub stored_auth {
    my ($event_id) = @_;
    my $pdu = JSON::PP::decode_json(sql_count(
        "SELECT pdu_json FROM events WHERE event_id = " . sqlq($event_id)));
    return join ' ', sort @{ $pdu->{auth_events} };
}
sub state_id {
    my ($type, $key) = @_;
    return sql_count("SELECT event_id FROM events WHERE room_id = " . sqlq($room)
        . " AND type = " . sqlq($type) . " AND state_key = " . sqlq($key)
        . " ORDER BY stream_ordering DESC LIMIT 1");
}
{
    my $version = sql_count("SELECT room_version FROM rooms WHERE room_id = " . sqlq($room));
    my @base = (state_id('m.room.power_levels', ''));
    push @base, state_id('m.room.create', '') if $version ne '12';
    my $bob_join = state_id('m.room.member', $bob->{user_id});
    is(stored_auth($bob_msg), join(' ', sort @base, $bob_join),
        "a message's auth events: create, power levels, the sender's join");
    my $join_auth = stored_auth($bob_join);
    is($join_auth, join(' ', sort @base, state_id('m.room.join_rules', '')),
        "a join's auth events: create, power levels, join rules (no earlier membership)");
}

my $before = sql_count("SELECT count(*) FROM events WHERE room_id = " . sqlq($room));
($st, $b) = send_msg($carol, $room, 'not a member');
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'non-member sends');
is(sql_count("SELECT count(*) FROM events WHERE room_id = " . sqlq($room)), $before,
    '... nothing stored');

($st, $b) = send_msg($bob, '!nosuchroom:' . $node->server_name, 'where');
ok($st == 403 || $st == 404, 'send to an unknown room: 403 or 404') or diag "$st";
like($b->{errcode} // '', qr/^M_(FORBIDDEN|NOT_FOUND)$/, '... a Matrix errcode');

($st, $b) = $node->put("$C/rooms/" . enc($room) . '/send/m.room.message/tx-noauth',
    { body => 'x' });
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'send without a token');

# --- transaction IDs ----------------------------------------------------------
($st, $b) = send_msg($bob, $room, 'once', txn => 'same-txn');
is($st, 200, 'send with txn same-txn: 200');
my $first = $b->{event_id};
($st, $b) = send_msg($bob, $room, 'once (retried)', txn => 'same-txn');
is($st, 200, 'same txn again: 200');
is($b->{event_id}, $first, '... the same event ID');
is(sql_count("SELECT count(*) FROM events WHERE room_id = " . sqlq($room)
        . " AND sender = " . sqlq($bob->{user_id}) . " AND type = 'm.room.message'"
        . " AND client_json LIKE '%\"once%'"), 1, '... and only one event stored');
($st, $b) = $node->get("$C/rooms/" . enc($room) . '/event/' . enc($first),
    token => $bob->{access_token});
is($st, 200, 'the event can be fetched');
is($b->{content}{body}, 'once', '... with the first content');
is($b->{unsigned}{transaction_id}, 'same-txn', '... and the transaction ID echoed to its sender');
($st, $b) = $node->get("$C/rooms/" . enc($room) . '/event/' . enc($first),
    token => $alice->{access_token});
ok(!exists $b->{unsigned}{transaction_id}, '... but not to another user');

($st, $b) = send_msg($bob, $room, 'other', txn => 'other-txn');
isnt($b->{event_id}, $first, 'another txn ID: another event');

my $bob2 = $node->login('bob', 'pw-bob');
($st, $b) = send_msg($bob2, $room, 'second device', txn => 'same-txn');
is($st, 200, 'same txn from another device of the same user: 200');
isnt($b->{event_id}, $first, '... a new event (transaction IDs are per device)');

($st, $b) = put_state($alice, $room, 'm.room.member', $alice->{user_id},
    { membership => 'join' });
($st, $b) = send_msg($alice, $room, 'alice same txn', txn => 'same-txn');
is($st, 200, 'same txn from another user: 200');
isnt($b->{event_id}, $first, '... a new event');

# The scope of a transaction ID is one device and one endpoint (spec), so a
# txn ID reused for another room is a new request.
($st, $b) = $node->post("$C/createRoom", { preset => 'public_chat' },
    token => $bob->{access_token});
my $room_b = $b->{room_id};
($st, $b) = send_msg($bob, $room_b, 'in room B', txn => 'same-txn');
is($st, 200, 'same txn in another room: 200') or diag explain $b;
isnt($b->{event_id}, $first, '... a new event in that room');

# --- bad content --------------------------------------------------------------
for my $bad (['[1,2]', 'an array'], ['"text"', 'a string'], ['42', 'a number'],
    ['null', 'null'])
{
    my ($json, $what) = @$bad;
    ($st, $b) = $node->raw('PUT', "$C/rooms/" . enc($room) . "/send/m.room.message/bad$txn_seq",
        $json, { Authorization => "Bearer $bob->{access_token}",
                 'Content-Type' => 'application/json' });
    $txn_seq++;
    errcode_is($st, $b, 400, 'M_BAD_JSON', "send with $what as content");
    ($st, $b) = $node->raw('PUT', "$C/rooms/" . enc($room) . '/state/m.room.topic',
        $json, { Authorization => "Bearer $alice->{access_token}",
                 'Content-Type' => 'application/json' });
    errcode_is($st, $b, 400, 'M_BAD_JSON', "state with $what as content");
}
($st, $b) = $node->raw('PUT', "$C/rooms/" . enc($room) . '/send/m.room.message/notjson',
    '{"body": ', { Authorization => "Bearer $bob->{access_token}" });
errcode_is($st, $b, 400, 'M_NOT_JSON', 'send with broken JSON');

$before = sql_count("SELECT count(*) FROM events WHERE room_id = " . sqlq($room));
($st, $b) = send_msg($bob, $room, 'x' x 70000);
errcode_is($st, $b, 413, 'M_TOO_LARGE', 'a 70,000-byte message');
# Small enough a body to pass the request limit; the event built around it is not.
($st, $b) = send_msg($bob, $room, 'y' x 65400);
errcode_is($st, $b, 413, 'M_TOO_LARGE', 'a message whose event is over 65,536 bytes');
($st, $b) = put_state($alice, $room, 'm.room.topic', '', { topic => 'z' x 65400 });
errcode_is($st, $b, 413, 'M_TOO_LARGE', 'a state event over 65,536 bytes');
is(sql_count("SELECT count(*) FROM events WHERE room_id = " . sqlq($room)), $before,
    '... none of them stored');
($st, $b) = send_msg($bob, $room, 'y' x 60000);
is($st, 200, 'a 60,000-byte message fits: 200') or diag explain $b;

($st, $b) = send_msg($bob, $room, 'long type', type => 'a' x 256);
errcode_is($st, $b, 413, 'M_TOO_LARGE', 'event type of 256 bytes');
($st, $b) = send_msg($bob, $room, 'long type', type => 'a' x 255);
is($st, 200, 'event type of 255 bytes: 200') or diag explain $b;
($st, $b) = put_state($alice, $room, 'org.example.k', 'k' x 256, { a => 1 });
errcode_is($st, $b, 413, 'M_TOO_LARGE', 'state key of 256 bytes');
($st, $b) = put_state($alice, $room, 'org.example.k', 'k' x 255, { a => 1 });
is($st, 200, 'state key of 255 bytes: 200') or diag explain $b;

# --- power levels: unprivileged member refused, creator allowed -----------------
($st, $b) = get_state($alice, $room, 'm.room.power_levels', '');
is($st, 200, 'GET power levels: 200') or diag explain $b;
my $pl = $b;
is($pl->{users}{$alice->{user_id}}, 100, '... the creator has 100');

$pl->{users}{$bob->{user_id}} = 100;
($st, $b) = put_state($bob, $room, 'm.room.power_levels', '', $pl);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'member without power changes power levels');
($st, $b) = get_state($alice, $room, 'm.room.power_levels');
ok(!exists $b->{users}{$bob->{user_id}}, '... the power levels are unchanged');

$pl->{users}{$bob->{user_id}} = 50;
($st, $b) = put_state($alice, $room, 'm.room.power_levels', '', $pl);
is($st, 200, 'the creator changes power levels: 200') or diag explain $b;
my $pl_event = $b->{event_id};
($st, $b) = get_state($bob, $room, 'm.room.power_levels');
is($b->{users}{$bob->{user_id}}, 50, '... bob now has 50');

($st, $b) = put_state($carol, $room, 'm.room.topic', '', { topic => 'carol was here' });
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'non-member sets the topic');

# --- state keys: with, without and with an empty trailing segment ----------------
($st, $b) = put_state($alice, $room, 'm.room.topic', undef, { topic => 'no key' });
is($st, 200, 'PUT state without a state key: 200') or diag explain $b;
my $topic_event = $b->{event_id};
($st, $b) = get_state($bob, $room, 'm.room.topic', '');
is($st, 200, 'GET .../state/m.room.topic/: 200');
is_deeply($b, { topic => 'no key' }, '... the content only');
($st, $b) = get_state($bob, $room, 'm.room.topic');
is_deeply($b, { topic => 'no key' }, 'GET .../state/m.room.topic: the same content');

# A state event that changes nothing is not sent again (as Synapse).
$before = sql_count("SELECT count(*) FROM events WHERE room_id = " . sqlq($room));
($st, $b) = put_state($alice, $room, 'm.room.topic', undef, { topic => 'no key' });
is($st, 200, 'PUT the same topic again: 200');
is($b->{event_id}, $topic_event, '... answers with the current event');
is(sql_count("SELECT count(*) FROM events WHERE room_id = " . sqlq($room)), $before,
    '... and stores nothing');

($st, $b) = put_state($alice, $room, 'm.room.topic', '', { topic => 'empty key' });
is($st, 200, 'PUT state with an empty trailing key: 200');
($st, $b) = get_state($bob, $room, 'm.room.topic', undef, 'format=event');
is($st, 200, 'GET with ?format=event: 200');
is($b->{type}, 'm.room.topic', '... type');
is($b->{state_key}, '', '... state_key ""');
is($b->{sender}, $alice->{user_id}, '... sender');
is($b->{room_id}, $room, '... room_id');
is_deeply($b->{content}, { topic => 'empty key' }, '... content');
like($b->{event_id}, qr/^\$/, '... event_id');
ok(defined $b->{origin_server_ts}, '... origin_server_ts');
($st, $b) = get_state($bob, $room, 'm.room.topic', undef, 'format=content');
is_deeply($b, { topic => 'empty key' }, '?format=content: the content');
($st, $b) = get_state($bob, $room, 'm.room.topic', undef, 'format=xml');
errcode_is($st, $b, 400, 'M_INVALID_PARAM', '?format=xml');

($st, $b) = put_state($bob, $room, 'org.example.keyed', $bob->{user_id}, { v => 1 });
is($st, 200, 'a custom state event with a key: 200') or diag explain $b;
($st, $b) = get_state($alice, $room, 'org.example.keyed', $bob->{user_id});
is_deeply($b, { v => 1 }, '... read back by key');
($st, $b) = get_state($alice, $room, 'org.example.keyed', '');
errcode_is($st, $b, 404, 'M_NOT_FOUND', '... not under the empty key');
($st, $b) = get_state($alice, $room, 'org.example.nothing', '');
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'GET a missing state type');

# --- GET /state ---------------------------------------------------------------
($st, $b) = get_state($bob, $room);
is($st, 200, 'GET /state: 200') or diag explain $b;
is(ref $b, 'ARRAY', '... an array');
my %by = map { ($_->{type} . '|' . $_->{state_key}) => $_ } @$b;
ok($by{'m.room.create|'}, '... holds m.room.create');
is($by{'m.room.power_levels|'}{event_id}, $pl_event, '... the current power levels');
is($by{'m.room.topic|'}{content}{topic}, 'empty key', '... the current topic');
is($by{"m.room.member|$bob->{user_id}"}{content}{membership}, 'join', "... bob's membership");
ok(!grep({ !defined $_->{state_key} } @$b), '... only state events');

($st, $b) = get_state($carol, $room);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'GET /state by a non-member');
($st, $b) = get_state($carol, $room, 'm.room.topic');
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'GET /state/m.room.topic by a non-member');

# --- member events through the state API -----------------------------------------
($st, $b) = put_state($carol, $room, 'm.room.member', $carol->{user_id}, { membership => 5 });
errcode_is($st, $b, 400, 'M_BAD_JSON', 'member event with a non-string membership');
($st, $b) = put_state($carol, $room, 'm.room.member', $carol->{user_id}, {});
errcode_is($st, $b, 400, 'M_BAD_JSON', 'member event without membership');
($st, $b) = $node->put("$C/profile/" . enc($carol->{user_id}) . '/displayname',
    { displayname => 'Carol C' }, token => $carol->{access_token});
is($st, 200, 'carol sets a display name');
($st, $b) = put_state($carol, $room, 'm.room.member', $carol->{user_id},
    { membership => 'join' });
is($st, 200, 'carol joins through the state API: 200') or diag explain $b;
($st, $b) = get_state($alice, $room, 'm.room.member', $carol->{user_id});
is_deeply($b, { membership => 'join', displayname => 'Carol C' },
    '... her member event carries her profile, as a /join would');
($st, $b) = put_state($carol, $room, 'm.room.member', $bob->{user_id},
    { membership => 'leave' });
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'carol (power 0) kicks bob through the state API');
($st, $b) = put_state($carol, $room, 'm.room.member', $carol->{user_id},
    { membership => 'leave' });
is($st, 200, 'carol leaves through the state API: 200') or diag explain $b;

# --- m.room.canonical_alias is checked against the alias directory -------------------
my $alias = '#lobby:' . $node->server_name;
($st, $b) = $node->put("$C/directory/room/" . enc($alias), { room_id => $room },
    token => $alice->{access_token});
is($st, 200, 'alias created') or diag explain $b;
($st, $b) = put_state($alice, $room, 'm.room.canonical_alias', '', { alias => $alias });
is($st, 200, 'canonical alias pointing to the room: 200') or diag explain $b;
($st, $b) = put_state($alice, $room, 'm.room.canonical_alias', '',
    { alias => '#nowhere:' . $node->server_name });
errcode_is($st, $b, 400, 'M_BAD_ALIAS', 'canonical alias that does not exist');
($st, $b) = put_state($alice, $room, 'm.room.canonical_alias', '',
    { alias => $alias, alt_aliases => ['not an alias'] });
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'malformed alt alias');
($st, $b) = get_state($bob, $room, 'm.room.canonical_alias');
is_deeply($b, { alias => $alias }, '... the refused ones changed nothing');
($st, $b) = put_state($alice, $room, 'm.room.canonical_alias', '', {});
is($st, 200, 'removing the canonical alias: 200') or diag explain $b;

# --- a guest ------------------------------------------------------------------
($st, $b) = $node->post("$C/register?kind=guest", {});
my $guest = $b;
($st, $b) = send_msg($guest, $room, 'guest not joined');
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'a guest who is not in the room sends');

is($node->stop, 0, 'clean exit');
done_testing;
