#!/usr/bin/perl
# 64-read.t -- reading rooms: GET /rooms/{roomId}/event/{eventId} with history
# visibility, the state a departed member sees, /members (with filters),
# /joined_members and /joined_rooms.
use strict;
use warnings;
use Test::More;
use SyncroTest;
use SyncroTest::Util qw(errcode_is enc);

my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3';
my ($st, $b);

my $txn_seq = 0;
sub send_msg {
    my ($u, $room, $body) = @_;
    my ($st, $b) = $node->put("$C/rooms/" . enc($room) . '/send/m.room.message/t' . ++$txn_seq,
        { msgtype => 'm.text', body => $body }, token => $u->{access_token});
    is($st, 200, "send '$body': 200") or diag explain $b;
    return $b->{event_id};
}

sub put_state {
    my ($u, $room, $type, $key, $content) = @_;
    return $node->put("$C/rooms/" . enc($room) . '/state/' . enc($type) . '/' . enc($key),
        $content, token => $u->{access_token});
}

sub set_state_ok {
    my ($u, $room, $type, $key, $content, $name) = @_;
    my ($st, $b) = put_state($u, $room, $type, $key, $content);
    is($st, 200, "$name: 200") or diag explain $b;
    return $b->{event_id};
}

sub get_event {
    my ($u, $room, $id) = @_;
    return $node->get("$C/rooms/" . enc($room) . '/event/' . enc($id),
        token => $u->{access_token});
}

sub members {
    my ($u, $room, $query) = @_;
    return $node->get("$C/rooms/" . enc($room) . '/members' . (defined $query ? "?$query" : ''),
        token => $u->{access_token});
}

sub membership_map {
    my ($chunk) = @_;
    return { map { $_->{state_key} => $_->{content}{membership} } @$chunk };
}

my $alice = $node->register_user('alice', 'pw-alice');
my $bob   = $node->register_user('bob', 'pw-bob');
my $carol = $node->register_user('carol', 'pw-carol');

sub new_room {
    my ($visibility) = @_;
    my ($st, $b) = $node->post("$C/createRoom", { preset => 'public_chat' },
        token => $alice->{access_token});
    is($st, 200, "createRoom ($visibility): 200") or diag explain $b;
    set_state_ok($alice, $b->{room_id}, 'm.room.history_visibility', '',
        { history_visibility => $visibility }, "history_visibility $visibility");
    return $b->{room_id};
}

# --- GET /event ---------------------------------------------------------------
my $room = new_room('shared');
my $m1 = send_msg($alice, $room, 'first');
($st, $b) = get_event($alice, $room, $m1);
is($st, 200, 'GET /event by its sender: 200') or diag explain $b;
is($b->{event_id}, $m1, '... event_id');
is($b->{room_id}, $room, '... room_id');
is($b->{sender}, $alice->{user_id}, '... sender');
is($b->{type}, 'm.room.message', '... type');
is_deeply($b->{content}, { msgtype => 'm.text', body => 'first' }, '... content');
ok($b->{origin_server_ts} > 0, '... origin_server_ts');
ok(!exists $b->{state_key}, '... no state_key on a message');
ok(!exists $b->{auth_events} && !exists $b->{prev_events} && !exists $b->{hashes}
    && !exists $b->{signatures}, '... client format: no PDU fields');

($st, $b) = get_event($alice, $room, '$nosuchevent');
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'GET an unknown event');
($st, $b) = get_event($carol, $room, $m1);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'GET /event by a non-member');
($st, $b) = $node->get("$C/rooms/" . enc($room) . '/event/' . enc($m1));
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'GET /event without a token');

my $other = new_room('shared');
($st, $b) = get_event($alice, $other, $m1);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'GET /event under the wrong room');

# --- history visibility: shared vs joined ---------------------------------------
my $before_shared = send_msg($alice, $room, 'before bob joined (shared)');
set_state_ok($bob, $room, 'm.room.member', $bob->{user_id}, { membership => 'join',
    displayname => 'Bob B', avatar_url => 'mxc://example.org/bob' }, 'bob joins the shared room');
($st, $b) = get_event($bob, $room, $before_shared);
is($st, 200, 'shared: a later joiner reads an event from before the join') or diag explain $b;
is($b->{content}{body}, 'before bob joined (shared)', '... its content');

my $jroom = new_room('joined');
my $before_joined = send_msg($alice, $jroom, 'before bob joined (joined)');
set_state_ok($bob, $jroom, 'm.room.member', $bob->{user_id}, { membership => 'join' },
    'bob joins the joined-only room');
my $after_joined = send_msg($alice, $jroom, 'after bob joined');
($st, $b) = get_event($bob, $jroom, $before_joined);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'joined: a later joiner reads an event from before');
($st, $b) = get_event($alice, $jroom, $before_joined);
is($st, 200, '... while the sender can') or diag explain $b;
($st, $b) = get_event($bob, $jroom, $after_joined);
is($st, 200, 'joined: the later joiner reads an event after the join') or diag explain $b;
is($b->{content}{body}, 'after bob joined', '... its content');

# --- a member who left sees the state as of leaving -------------------------------
set_state_ok($alice, $room, 'm.room.topic', '', { topic => 'topic while bob is here' },
    'topic 1');
my $during = send_msg($alice, $room, 'while bob is in');
set_state_ok($bob, $room, 'm.room.member', $bob->{user_id}, { membership => 'leave' },
    'bob leaves');
set_state_ok($alice, $room, 'm.room.topic', '', { topic => 'topic after bob left' }, 'topic 2');
my $after_leave = send_msg($alice, $room, 'after bob left');

($st, $b) = $node->get("$C/rooms/" . enc($room) . '/state/m.room.topic',
    token => $bob->{access_token});
is($st, 200, 'departed member GETs the topic: 200') or diag explain $b;
is($b->{topic}, 'topic while bob is here', '... the topic as of leaving');
($st, $b) = $node->get("$C/rooms/" . enc($room) . '/state/m.room.topic',
    token => $alice->{access_token});
is($b->{topic}, 'topic after bob left', '... while a member sees the current topic');

($st, $b) = $node->get("$C/rooms/" . enc($room) . '/state', token => $bob->{access_token});
is($st, 200, 'departed member GETs /state: 200') or diag explain $b;
my %by = map { ($_->{type} . '|' . $_->{state_key}) => $_ } @{ ref $b eq 'ARRAY' ? $b : [] };
is($by{'m.room.topic|'}{content}{topic}, 'topic while bob is here', '... the old topic');
is($by{"m.room.member|$bob->{user_id}"}{content}{membership}, 'leave', '... his leave');

($st, $b) = get_event($bob, $room, $during);
is($st, 200, 'departed member reads an event from while he was in') or diag explain $b;
($st, $b) = get_event($bob, $room, $after_leave);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'departed member reads an event from after he left');

# --- /members -----------------------------------------------------------------
set_state_ok($carol, $room, 'm.room.member', $carol->{user_id}, { membership => 'join' },
    'carol joins');
($st, $b) = members($alice, $room);
is($st, 200, '/members: 200') or diag explain $b;
is(ref $b->{chunk}, 'ARRAY', '... a chunk array');
is_deeply(membership_map($b->{chunk}), { $alice->{user_id} => 'join',
    $bob->{user_id} => 'leave', $carol->{user_id} => 'join' }, '... every member event');
ok(!grep({ $_->{type} ne 'm.room.member' } @{ $b->{chunk} }), '... member events only');
ok(!grep({ $_->{room_id} ne $room } @{ $b->{chunk} }), '... with room_id');

($st, $b) = members($alice, $room, 'membership=join');
is_deeply(membership_map($b->{chunk}), { $alice->{user_id} => 'join',
    $carol->{user_id} => 'join' }, '?membership=join');
($st, $b) = members($alice, $room, 'membership=leave');
is_deeply(membership_map($b->{chunk}), { $bob->{user_id} => 'leave' }, '?membership=leave');
($st, $b) = members($alice, $room, 'not_membership=leave');
is_deeply(membership_map($b->{chunk}), { $alice->{user_id} => 'join',
    $carol->{user_id} => 'join' }, '?not_membership=leave');
($st, $b) = members($alice, $room, 'not_membership=join');
is_deeply(membership_map($b->{chunk}), { $bob->{user_id} => 'leave' }, '?not_membership=join');
# Both filters together are an "or" (spec): is join, or is not leave / not join.
($st, $b) = members($alice, $room, 'membership=leave&not_membership=join');
is_deeply(membership_map($b->{chunk}), { $bob->{user_id} => 'leave' },
    '?membership=leave&not_membership=join');
($st, $b) = members($alice, $room, 'membership=join&not_membership=leave');
is_deeply(membership_map($b->{chunk}), { $alice->{user_id} => 'join',
    $carol->{user_id} => 'join' }, '?membership=join&not_membership=leave');
($st, $b) = members($alice, $room, 'membership=join&not_membership=ban');
is_deeply(membership_map($b->{chunk}), { $alice->{user_id} => 'join',
    $bob->{user_id} => 'leave', $carol->{user_id} => 'join' },
    '?membership=join&not_membership=ban: bob\'s leave is not a ban');
($st, $b) = members($alice, $room, 'membership=leave&not_membership=leave');
is(scalar @{ $b->{chunk} }, 3, '?membership=leave&not_membership=leave: everyone');
($st, $b) = members($alice, $room, 'membership=joined');
errcode_is($st, $b, 400, 'M_INVALID_PARAM', '?membership=joined (not a membership)');
($st, $b) = members($alice, $room, 'not_membership=x');
errcode_is($st, $b, 400, 'M_INVALID_PARAM', '?not_membership=x');

# bob left before carol joined: his view is the membership as of leaving.
($st, $b) = members($bob, $room);
is($st, 200, '/members by a departed member: 200') or diag explain $b;
is_deeply(membership_map($b->{chunk}), { $alice->{user_id} => 'join',
    $bob->{user_id} => 'leave' }, '... the members as of leaving');

my $dave = $node->register_user('dave', 'pw-dave');
($st, $b) = members($dave, $room);
errcode_is($st, $b, 403, 'M_FORBIDDEN', '/members by someone never in the room');

# --- /joined_members ----------------------------------------------------------
set_state_ok($bob, $room, 'm.room.member', $bob->{user_id}, { membership => 'join',
    displayname => 'Bob B', avatar_url => 'mxc://example.org/bob' }, 'bob joins again');
($st, $b) = $node->get("$C/rooms/" . enc($room) . '/joined_members',
    token => $carol->{access_token});
is($st, 200, '/joined_members: 200') or diag explain $b;
is_deeply([sort keys %{ $b->{joined} }],
    [sort $alice->{user_id}, $bob->{user_id}, $carol->{user_id}], '... the joined users');
is_deeply($b->{joined}{ $bob->{user_id} },
    { display_name => 'Bob B', avatar_url => 'mxc://example.org/bob' },
    '... with display_name and avatar_url from the member event');
ok(!exists $b->{joined}{ $carol->{user_id} }{avatar_url}, '... none when the event has none');

($st, $b) = $node->get("$C/rooms/" . enc($room) . '/joined_members',
    token => $dave->{access_token});
errcode_is($st, $b, 403, 'M_FORBIDDEN', '/joined_members by a non-member');
set_state_ok($carol, $room, 'm.room.member', $carol->{user_id}, { membership => 'leave' },
    'carol leaves');
($st, $b) = $node->get("$C/rooms/" . enc($room) . '/joined_members',
    token => $carol->{access_token});
errcode_is($st, $b, 403, 'M_FORBIDDEN', '/joined_members by a departed member');

# --- /joined_rooms ------------------------------------------------------------
($st, $b) = $node->get("$C/joined_rooms", token => $alice->{access_token});
is($st, 200, '/joined_rooms: 200') or diag explain $b;
is_deeply([sort @{ $b->{joined_rooms} }], [sort $room, $other, $jroom], '... all of alice\'s');
($st, $b) = $node->get("$C/joined_rooms", token => $carol->{access_token});
is_deeply($b->{joined_rooms}, [], '... none for carol, who left');
($st, $b) = $node->get("$C/joined_rooms", token => $bob->{access_token});
is_deeply([sort @{ $b->{joined_rooms} }], [sort $room, $jroom], '... bob\'s two');
($st, $b) = $node->get("$C/joined_rooms");
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', '/joined_rooms without a token');

# --- guests: reading endpoints are on the spec's guest list, the lists are not ----------
($st, $b) = $node->post("$C/register?kind=guest", {});
is($st, 200, 'a guest registers') or diag explain $b;
my $guest = $b;
($st, $b) = $node->get("$C/joined_rooms", token => $guest->{access_token});
errcode_is($st, $b, 403, 'M_GUEST_ACCESS_FORBIDDEN', '/joined_rooms by a guest');
($st, $b) = $node->get("$C/rooms/" . enc($room) . '/joined_members',
    token => $guest->{access_token});
errcode_is($st, $b, 403, 'M_GUEST_ACCESS_FORBIDDEN', '/joined_members by a guest');
($st, $b) = $node->get("$C/rooms/" . enc($room) . '/state', token => $guest->{access_token});
errcode_is($st, $b, 403, 'M_FORBIDDEN', '/state by a guest outside the room: the room decides');
($st, $b) = members($guest, $room);
errcode_is($st, $b, 403, 'M_FORBIDDEN', '/members by a guest outside the room: the room decides');
set_state_ok($alice, $room, 'm.room.history_visibility', '',
    { history_visibility => 'world_readable' }, 'the room becomes world_readable');
($st, $b) = $node->get("$C/rooms/" . enc($room) . '/state/m.room.topic',
    token => $guest->{access_token});
is($st, 200, 'a guest reads the topic of a world_readable room') or diag explain $b;
is($b->{topic}, 'topic after bob left', '... the current topic');
my $public_msg = send_msg($alice, $room, 'for everyone');
($st, $b) = get_event($guest, $room, $public_msg);
is($st, 200, '... and an event sent while world_readable') or diag explain $b;
($st, $b) = get_event($guest, $room, $after_leave);
errcode_is($st, $b, 404, 'M_NOT_FOUND', '... but not one sent while shared');

is($node->stop, 0, 'clean exit');
done_testing;
