#!/usr/bin/perl
# 60-createroom.t -- POST /createRoom: presets, visibility, aliases, invites,
# initial_state, power level override, creation_content, room versions, and
# the order of the initial events.
use strict;
use warnings;
use Test::More;
use SyncroTest;
use SyncroTest::Util qw(errcode_is);

my $pg = SyncroTest::Pg->new;
my $node = SyncroTest::Node->new(pg => $pg);
my $C = '/_matrix/client/v3';
my $S = $node->server_name;
my ($st, $b);

sub sql {
    my ($q) = @_;
    my ($rc, $out) = $pg->psql($q);
    die "psql failed: $out" if $rc;
    return $out;
}

sub room_count { sql('SELECT count(*) FROM rooms') }
sub alias_count { sql('SELECT count(*) FROM room_aliases') }

# Event types (and state keys) of a room in stream order, straight from the store.
sub event_order {
    my ($room) = @_;
    my $out = sql("SELECT type || '|' || coalesce(state_key, '') FROM events "
        . "WHERE room_id = '$room' ORDER BY stream_ordering");
    return [split /\n/, $out];
}

sub state_content {
    my ($tok, $room, $type, $sk) = @_;
    $sk //= '';
    my ($st, $b) = $node->get("$C/rooms/$room/state/$type/$sk", token => $tok);
    return $st == 200 ? $b : undef;
}

my $alice = $node->register_user('alice', 'alice-pw-1');
my $bob   = $node->register_user('bob', 'bob-pw-1');
my $carol = $node->register_user('carol', 'carol-pw-1');
my $A = $alice->{access_token};
my $member_a = "m.room.member|$alice->{user_id}";

# --- authentication and body ----------------------------------------------------
($st, $b) = $node->post("$C/createRoom", {});
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'createRoom without a token');
($st, $b) = $node->raw('POST', "$C/createRoom", 'not json',
    { Authorization => "Bearer $A", 'Content-Type' => 'application/json' });
is($st, 400, 'createRoom with a non-JSON body: 400');
is(room_count(), 0, 'no room made by failed requests');

# --- defaults: private_chat ---------------------------------------------------------
($st, $b) = $node->post("$C/createRoom", { name => 'Private', topic => 'Quiet' }, token => $A);
is($st, 200, 'createRoom {}: 200') or diag explain $b;
my $r1 = $b->{room_id};
like($r1, qr/^!/, 'room_id starts with !');
ok(!exists $b->{room_alias}, 'no room_alias without room_alias_name');
is_deeply(event_order($r1), [
    'm.room.create|', $member_a, 'm.room.power_levels|', 'm.room.join_rules|',
    'm.room.history_visibility|', 'm.room.guest_access|', 'm.room.name|', 'm.room.topic|',
], 'private_chat: events in spec order');
is(state_content($A, $r1, 'm.room.join_rules')->{join_rule}, 'invite', 'private_chat: join_rule invite');
is(state_content($A, $r1, 'm.room.history_visibility')->{history_visibility}, 'shared',
    'private_chat: history shared');
is(state_content($A, $r1, 'm.room.guest_access')->{guest_access}, 'can_join',
    'private_chat: guest_access can_join');
my $pl = state_content($A, $r1, 'm.room.power_levels');
is($pl->{invite}, 0, 'private_chat: members may invite (invite 0)');
is_deeply($pl->{users}, { $alice->{user_id} => 100 }, 'creator has PL 100');
is($pl->{state_default}, 50, 'state_default 50');
is($pl->{events}{'m.room.power_levels'}, 100, 'power_levels needs 100');
is(state_content($A, $r1, 'm.room.name')->{name}, 'Private', 'name set');
my $topic = state_content($A, $r1, 'm.room.topic');
is($topic->{topic}, 'Quiet', 'topic set');
is_deeply($topic->{'m.topic'}, { 'm.text' => [{ body => 'Quiet', mimetype => 'text/plain' }] },
    'topic has a text/plain m.topic block');
my $create = state_content($A, $r1, 'm.room.create');
is($create->{room_version}, $node->config->{default_room_version} // '11',
    'default room version from the config');
my $me = state_content($A, $r1, 'm.room.member', $alice->{user_id});
is($me->{membership}, 'join', 'creator joined');
is($me->{displayname}, 'alice', 'creator join carries the displayname');
is(sql("SELECT is_public FROM rooms WHERE room_id = '$r1'"), 'f', 'private room not listed');

# --- public_chat with an alias ------------------------------------------------------
($st, $b) = $node->post("$C/createRoom",
    { preset => 'public_chat', room_alias_name => 'pub', visibility => 'public' }, token => $A);
is($st, 200, 'public_chat with alias: 200') or diag explain $b;
my $r2 = $b->{room_id};
is($b->{room_alias}, "#pub:$S", 'response gives the full room_alias');
is_deeply(event_order($r2), [
    'm.room.create|', $member_a, 'm.room.power_levels|', 'm.room.canonical_alias|',
    'm.room.join_rules|', 'm.room.history_visibility|', 'm.room.guest_access|',
], 'public_chat + alias: canonical alias right after power levels');
is(state_content($A, $r2, 'm.room.canonical_alias')->{alias}, "#pub:$S", 'canonical alias set');
is(state_content($A, $r2, 'm.room.join_rules')->{join_rule}, 'public', 'public_chat: join_rule public');
is(state_content($A, $r2, 'm.room.guest_access')->{guest_access}, 'forbidden',
    'public_chat: guest_access forbidden');
is(state_content($A, $r2, 'm.room.power_levels')->{invite}, 50, 'public_chat: invite 50');
($st, $b) = $node->get("$C/directory/room/" . uri("#pub:$S"));
is($st, 200, 'the alias resolves') or diag explain $b;
is($b->{room_id}, $r2, '... to the new room');
is(sql("SELECT is_public FROM rooms WHERE room_id = '$r2'"), 't', 'visibility public: listed');

# visibility alone picks the preset.
($st, $b) = $node->post("$C/createRoom", { visibility => 'public' }, token => $A);
is($st, 200, 'visibility public, no preset: 200');
is(state_content($A, $b->{room_id}, 'm.room.join_rules')->{join_rule}, 'public',
    'visibility public defaults to public_chat');
($st, $b) = $node->post("$C/createRoom", { visibility => 'private' }, token => $A);
is(state_content($A, $b->{room_id}, 'm.room.join_rules')->{join_rule}, 'invite',
    'visibility private defaults to private_chat');

# --- alias errors -------------------------------------------------------------------
my ($rooms, $aliases) = (room_count(), alias_count());
($st, $b) = $node->post("$C/createRoom", { room_alias_name => 'pub' }, token => $A);
errcode_is($st, $b, 400, 'M_ROOM_IN_USE', 'alias taken');
for my $bad ('with:colon', 'with space', '', "tab\there") {
    ($st, $b) = $node->post("$C/createRoom", { room_alias_name => $bad }, token => $A);
    errcode_is($st, $b, 400, 'M_INVALID_PARAM', "invalid room_alias_name '$bad'");
}
($st, $b) = $node->post("$C/createRoom", { room_alias_name => 'x' x 300 }, token => $A);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'room_alias_name too long');
is(room_count(), $rooms, 'no room made by the alias errors');
is(alias_count(), $aliases, 'no alias made by the alias errors');

# --- other request errors -----------------------------------------------------------
($st, $b) = $node->post("$C/createRoom", { room_version => '9999' }, token => $A);
errcode_is($st, $b, 400, 'M_UNSUPPORTED_ROOM_VERSION', 'unknown room version');
($st, $b) = $node->post("$C/createRoom", { room_version => 10 }, token => $A);
is($st, 400, 'numeric room_version: 400');
($st, $b) = $node->post("$C/createRoom", { preset => 'party' }, token => $A);
errcode_is($st, $b, 400, 'M_BAD_JSON', 'unknown preset');
($st, $b) = $node->post("$C/createRoom", { visibility => 'secret' }, token => $A);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'unknown visibility');
($st, $b) = $node->post("$C/createRoom", { name => 42 }, token => $A);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'name not a string');
($st, $b) = $node->post("$C/createRoom", { initial_state => {} }, token => $A);
errcode_is($st, $b, 400, 'M_BAD_JSON', 'initial_state not a list');
($st, $b) = $node->post("$C/createRoom", { initial_state => [{ type => 'x.y' }] }, token => $A);
errcode_is($st, $b, 400, 'M_BAD_JSON', 'initial_state entry without content');
($st, $b) = $node->post("$C/createRoom", { initial_state => [{ content => {} }] }, token => $A);
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'initial_state entry without type');
($st, $b) = $node->post("$C/createRoom",
    { initial_state => [{ type => 'm.room.create', content => {} }] }, token => $A);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'm.room.create in initial_state');
($st, $b) = $node->post("$C/createRoom", { creation_content => [] }, token => $A);
errcode_is($st, $b, 400, 'M_BAD_JSON', 'creation_content not an object');
($st, $b) = $node->post("$C/createRoom", { power_level_content_override => 5 }, token => $A);
errcode_is($st, $b, 400, 'M_BAD_JSON', 'power_level_content_override not an object');
($st, $b) = $node->post("$C/createRoom",
    { power_level_content_override => { users => { $bob->{user_id} => 100 } } }, token => $A);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'override users without the creator');
($st, $b) = $node->post("$C/createRoom", { invite => 'bob' }, token => $A);
errcode_is($st, $b, 400, 'M_BAD_JSON', 'invite not a list');
($st, $b) = $node->post("$C/createRoom", { invite => ['not-a-user'] }, token => $A);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'invite with a malformed user ID');
($st, $b) = $node->post("$C/createRoom", { invite => ["\@nobody:$S"] }, token => $A);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'invite of an unknown local user');
($st, $b) = $node->post("$C/createRoom", { invite => [$alice->{user_id}] }, token => $A);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'invite of oneself');
is(room_count(), $rooms, 'no room made by any of the request errors');

# --- power_level_content_override -----------------------------------------------------
($st, $b) = $node->post("$C/createRoom", { power_level_content_override => {
    ban => 75, events_default => 10, users => { $alice->{user_id} => 100, $bob->{user_id} => 60 },
} }, token => $A);
is($st, 200, 'override: 200') or diag explain $b;
$pl = state_content($A, $b->{room_id}, 'm.room.power_levels');
is($pl->{ban}, 75, 'override: ban replaced');
is($pl->{events_default}, 10, 'override: events_default replaced');
is($pl->{kick}, 50, 'override: kick kept from the defaults');
is_deeply($pl->{users}, { $alice->{user_id} => 100, $bob->{user_id} => 60 },
    'override: users replaced as a whole');
is($pl->{events}{'m.room.name'}, 50, 'override: events kept from the defaults');

# --- initial_state ----------------------------------------------------------------------
($st, $b) = $node->post("$C/createRoom", {
    preset => 'private_chat', name => 'Wins',
    initial_state => [
        { type => 'org.example.thing', state_key => 'k', content => { n => 1 } },
        { type => 'm.room.join_rules', content => { join_rule => 'public' } },
        { type => 'm.room.name', content => { name => 'Loses' } },
        { type => 'org.example.thing', state_key => 'k', content => { n => 2 } },
    ],
}, token => $A);
is($st, 200, 'initial_state: 200') or diag explain $b;
my $r3 = $b->{room_id};
is_deeply(event_order($r3), [
    'm.room.create|', $member_a, 'm.room.power_levels|', 'm.room.history_visibility|',
    'm.room.guest_access|', 'org.example.thing|k', 'm.room.join_rules|', 'm.room.name|',
], 'initial_state: after the preset, replacing the preset join rules, before name');
is(state_content($A, $r3, 'm.room.join_rules')->{join_rule}, 'public',
    'initial_state join rules win over the preset');
is(state_content($A, $r3, 'org.example.thing', 'k')->{n}, 2, 'a repeated key keeps its last content');
is(state_content($A, $r3, 'm.room.name')->{name}, 'Wins', '"name" wins over initial_state');

# An initial_state power levels event replaces the generated one (override ignored).
($st, $b) = $node->post("$C/createRoom", {
    power_level_content_override => { ban => 99 },
    initial_state => [{ type => 'm.room.power_levels',
        content => { users => { $alice->{user_id} => 100 }, ban => 42 } }],
}, token => $A);
is($st, 200, 'initial_state power levels: 200') or diag explain $b;
$pl = state_content($A, $b->{room_id}, 'm.room.power_levels');
is($pl->{ban}, 42, 'initial_state power levels used as given');
ok(!exists $pl->{kick}, '... without the defaults merged in');
is(event_order($b->{room_id})->[2], 'm.room.power_levels|', '... and sent third');

# An initial event the auth rules refuse fails the whole creation.
$rooms = room_count();
($st, $b) = $node->post("$C/createRoom", {
    power_level_content_override => { users => { $alice->{user_id} => 10 } },
}, token => $A);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'creator lowered below what the preset events need');
is(room_count(), $rooms, 'no half-made room left behind');

# --- creation_content -------------------------------------------------------------------
($st, $b) = $node->post("$C/createRoom", {
    creation_content => { type => 'm.space', 'm.federate' => SyncroTest::false,
                          room_version => '1', creator => '@mallory:evil' },
}, token => $A);
is($st, 200, 'creation_content: 200') or diag explain $b;
$create = state_content($A, $b->{room_id}, 'm.room.create');
is($create->{type}, 'm.space', 'type m.space kept');
ok(JSON::PP::is_bool($create->{'m.federate'}) && !$create->{'m.federate'}, 'm.federate kept');
isnt($create->{room_version}, '1', 'room_version overwritten by the server');
isnt($create->{creator} // '', '@mallory:evil', 'creator not taken from the client');

($st, $b) = $node->post("$C/createRoom", { room_version => '10' }, token => $A);
is($st, 200, 'room_version 10: 200');
is(state_content($A, $b->{room_id}, 'm.room.create')->{room_version}, '10', 'room version 10 used');

# --- invites ------------------------------------------------------------------------------
($st, $b) = $node->post("$C/createRoom",
    { invite => [$bob->{user_id}, $bob->{user_id}], is_direct => SyncroTest::true }, token => $A);
is($st, 200, 'invite + is_direct: 200') or diag explain $b;
my $r4 = $b->{room_id};
is_deeply([grep { /member/ } @{ event_order($r4) }],
    [$member_a, "m.room.member|$bob->{user_id}"], 'one invite, sent last');
is(event_order($r4)->[-1], "m.room.member|$bob->{user_id}", 'invites come after all state');
my $inv = state_content($A, $r4, 'm.room.member', $bob->{user_id});
is($inv->{membership}, 'invite', 'bob invited');
ok(JSON::PP::is_bool($inv->{is_direct}) && $inv->{is_direct}, 'invite carries is_direct true');
is($inv->{displayname}, 'bob', 'invite carries the invitee displayname');
($st, $b) = $node->post("$C/rooms/$r4/join", {}, token => $bob->{access_token});
is($st, 200, 'invited bob joins the private room') or diag explain $b;
($st, $b) = $node->post("$C/rooms/$r4/join", {}, token => $carol->{access_token});
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'uninvited carol cannot join');

($st, $b) = $node->post("$C/createRoom", { invite => [$bob->{user_id}] }, token => $A);
ok(!exists state_content($A, $b->{room_id}, 'm.room.member', $bob->{user_id})->{is_direct},
    'no is_direct unless asked');

($st, $b) = $node->post("$C/createRoom",
    { preset => 'trusted_private_chat', invite => [$bob->{user_id}] }, token => $A);
is($st, 200, 'trusted_private_chat: 200');
$pl = state_content($A, $b->{room_id}, 'm.room.power_levels');
is($pl->{users}{ $bob->{user_id} }, 100, 'trusted_private_chat: invitee gets PL 100');
is($pl->{invite}, 0, 'trusted_private_chat: invite 0');
($st, $b) = $node->post("$C/createRoom",
    { preset => 'private_chat', invite => [$bob->{user_id}] }, token => $A);
$pl = state_content($A, $b->{room_id}, 'm.room.power_levels');
ok(!exists $pl->{users}{ $bob->{user_id} }, 'private_chat: invitee gets no PL entry');

# --- room version 12: creators outrank power levels ---------------------------------------
($st, $b) = $node->post("$C/createRoom",
    { room_version => '12', preset => 'trusted_private_chat', invite => [$bob->{user_id}] },
    token => $A);
is($st, 200, 'v12 trusted_private_chat: 200') or diag explain $b;
if ($st == 200) {
    my $r12 = $b->{room_id};
    $pl = state_content($A, $r12, 'm.room.power_levels');
    is_deeply($pl->{users}, {}, 'v12: creator not listed in power levels users');
    is($pl->{events}{'m.room.tombstone'}, 150, 'v12: tombstone above state_default (150)');
    is_deeply(state_content($A, $r12, 'm.room.create')->{additional_creators}, [$bob->{user_id}],
        'v12 trusted_private_chat: invitees become additional creators');
}
($st, $b) = $node->post("$C/createRoom", { room_version => '12',
    power_level_content_override => { users => { $alice->{user_id} => 100 } } }, token => $A);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'v12: creator in override users');

# --- guests -------------------------------------------------------------------------------
($st, $b) = $node->post("$C/register?kind=guest", {});
if ($st == 200) {
    ($st, $b) = $node->post("$C/createRoom", {}, token => $b->{access_token});
    errcode_is($st, $b, 403, 'M_GUEST_ACCESS_FORBIDDEN', 'guests cannot create rooms');
}

is($node->stop, 0, 'clean exit');
done_testing;

sub uri {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9_.~-])/sprintf '%%%02X', ord $1/ge;
    return $s;
}
