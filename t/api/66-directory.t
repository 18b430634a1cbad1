#!/usr/bin/perl
# 66-directory.t -- the published room directory: GET/POST /publicRooms
# (listing rule, order, pagination, search term, room types, server
# parameter) and GET/PUT /directory/list/room/{roomId} (who may publish).
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep);
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

sub create_room {
    my ($u, %body) = @_;
    my ($st, $b) = $node->post("$C/createRoom", \%body, token => $u->{access_token});
    die "createRoom failed: $st " . explain($b) unless $st == 200;
    return $b->{room_id};
}

sub join_room {
    my ($u, $room) = @_;
    my ($st, $b) = $node->post("$C/rooms/$room/join", {}, token => $u->{access_token});
    die "join failed: $st " . explain($b) unless $st == 200;
}

sub ids { [map { $_->{room_id} } @{ $_[0]{chunk} || [] }] }

sub visibility {
    my ($room) = @_;
    my ($st, $b) = $node->get("$C/directory/list/room/$room");
    return $st == 200 ? $b->{visibility} : "HTTP $st";
}

my $alice = $node->register_user('alice', 'pw-alice-1');
my $bob   = $node->register_user('bob', 'pw-bob-1');
my $carol = $node->register_user('carol', 'pw-carol-1');

# --- rooms -----------------------------------------------------------------------
my $pub = create_room($alice, visibility => 'public', preset => 'public_chat',
    name => 'Pub One', topic => 'All about CATS and dogs', room_alias_name => 'pubone');
join_room($bob, $pub);
my $space = create_room($alice, visibility => 'public', preset => 'public_chat',
    name => 'Second', creation_content => { type => 'm.space' });
my $private = create_room($alice, visibility => 'private', preset => 'public_chat',
    name => 'Not listed');
# Published, but an invite-only room is not listable (Synapse's rule).
my $invite_only = create_room($alice, visibility => 'public', preset => 'private_chat',
    name => 'Invite only');

is(visibility($pub), 'public', 'published room: visibility public');
is(visibility($private), 'private', 'unpublished room: visibility private');
is(visibility($invite_only), 'public', 'invite-only published room: visibility public');
($st, $b) = $node->get("$C/directory/list/room/!nope:$S");
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'visibility of an unknown room');

# --- GET /publicRooms ------------------------------------------------------------------
($st, $b) = $node->get("$C/publicRooms");
is($st, 200, 'GET publicRooms without a token: 200') or diag explain $b;
is_deeply(ids($b), [$pub, $space], 'listable published rooms, largest first');
is($b->{total_room_count_estimate}, 2, 'total_room_count_estimate counts listable rooms');
ok(!exists $b->{next_batch} && !exists $b->{prev_batch}, 'one page: no batch tokens');

my ($e) = grep { $_->{room_id} eq $pub } @{ $b->{chunk} };
is($e->{name}, 'Pub One', 'chunk: name');
is($e->{topic}, 'All about CATS and dogs', 'chunk: topic');
is($e->{canonical_alias}, "#pubone:$S", 'chunk: canonical_alias');
is($e->{num_joined_members}, 2, 'chunk: num_joined_members');
is($e->{join_rule}, 'public', 'chunk: join_rule');
ok(JSON::PP::is_bool($e->{world_readable}) && !$e->{world_readable}, 'chunk: world_readable false');
ok(JSON::PP::is_bool($e->{guest_can_join}) && !$e->{guest_can_join}, 'chunk: guest_can_join false');
ok(!exists $e->{room_type}, 'chunk: no room_type for a plain room');
my ($se) = grep { $_->{room_id} eq $space } @{ $b->{chunk} };
is($se->{room_type}, 'm.space', 'chunk: room_type of a space');
is($se->{num_joined_members}, 1, 'chunk: the space has one member');

($st, $b) = $node->get("$C/publicRooms?limit=1");
is($st, 200, 'limit=1: 200');
is_deeply(ids($b), [$pub], 'limit=1: the largest room');
ok(defined $b->{next_batch}, 'limit=1: next_batch');
ok(!exists $b->{prev_batch}, 'limit=1: no prev_batch on the first page');
my $next = $b->{next_batch};
($st, $b) = $node->get("$C/publicRooms?limit=1&since=$next");
is($st, 200, 'second page: 200');
is_deeply(ids($b), [$space], 'second page: the next room');
ok(!exists $b->{next_batch}, 'second page: no next_batch at the end');
ok(defined $b->{prev_batch}, 'second page: prev_batch');
($st, $b) = $node->get("$C/publicRooms?limit=1&since=$b->{prev_batch}");
is_deeply(ids($b), [$pub], 'prev_batch leads back to the first page');

($st, $b) = $node->get("$C/publicRooms?since=garbage");
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'malformed since token');
($st, $b) = $node->get("$C/publicRooms?limit=-1");
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'negative limit');
($st, $b) = $node->get("$C/publicRooms?limit=abc");
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'non-numeric limit');

($st, $b) = $node->get("$C/publicRooms?server=$S");
is($st, 200, 'server= this server: 200');
is_deeply(ids($b), [$pub, $space], 'server= this server: the local list');
($st, $b) = $node->get("$C/publicRooms?server=other.example.org");
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'server= another server');
($st, $b) = $node->get("$C/publicRooms?server=bad%20name!");
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'server= not a server name');

# --- POST /publicRooms ------------------------------------------------------------------
($st, $b) = $node->post("$C/publicRooms", {});
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'POST publicRooms needs a token');

my $T = $bob->{access_token};
($st, $b) = $node->post("$C/publicRooms", {}, token => $T);
is($st, 200, 'POST publicRooms {}: 200');
is_deeply(ids($b), [$pub, $space], 'POST {}: both listable rooms');

($st, $b) = $node->post("$C/publicRooms", { filter => { generic_search_term => 'cats' } },
    token => $T);
is_deeply(ids($b), [$pub], 'search term matches the topic, case-insensitively');
is($b->{total_room_count_estimate}, 2, 'total ignores the search filter');
($st, $b) = $node->post("$C/publicRooms", { filter => { generic_search_term => 'PUBONE' } },
    token => $T);
is_deeply(ids($b), [$pub], 'search term matches the canonical alias');
($st, $b) = $node->post("$C/publicRooms", { filter => { generic_search_term => 'second' } },
    token => $T);
is_deeply(ids($b), [$space], 'search term matches the name');
($st, $b) = $node->post("$C/publicRooms", { filter => { generic_search_term => 'zebra' } },
    token => $T);
is($st, 200, 'search term without matches: 200');
is_deeply(ids($b), [], 'search term without matches: empty chunk');
($st, $b) = $node->post("$C/publicRooms", { filter => { generic_search_term => 'listed' } },
    token => $T);
is_deeply(ids($b), [], 'unpublished rooms are never found');

($st, $b) = $node->post("$C/publicRooms", { filter => { room_types => ['m.space'] } },
    token => $T);
is_deeply(ids($b), [$space], 'room_types [m.space]: only the space');
($st, $b) = $node->post("$C/publicRooms", { filter => { room_types => [undef] } },
    token => $T);
is_deeply(ids($b), [$pub], 'room_types [null]: only rooms without a type');
($st, $b) = $node->post("$C/publicRooms", { filter => { room_types => [undef, 'm.space'] } },
    token => $T);
is_deeply(ids($b), [$pub, $space], 'room_types [null, m.space]: both');
($st, $b) = $node->post("$C/publicRooms", { filter => { room_types => [] } }, token => $T);
is_deeply(ids($b), [$pub, $space], 'room_types []: no filtering');
($st, $b) = $node->post("$C/publicRooms", { filter => { room_types => [5] } }, token => $T);
errcode_is($st, $b, 400, 'M_BAD_JSON', 'room_types with a number');
($st, $b) = $node->post("$C/publicRooms", { filter => 'x' }, token => $T);
errcode_is($st, $b, 400, 'M_BAD_JSON', 'filter not an object');
($st, $b) = $node->post("$C/publicRooms", { limit => 'ten' }, token => $T);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'limit not an integer');
($st, $b) = $node->post("$C/publicRooms", { limit => 1 }, token => $T);
is_deeply(ids($b), [$pub], 'POST limit 1: first page');
($st, $b) = $node->post("$C/publicRooms", { limit => 1, since => $b->{next_batch} },
    token => $T);
is_deeply(ids($b), [$space], 'POST since next_batch: second page');
($st, $b) = $node->post("$C/publicRooms?server=other.example.org", {}, token => $T);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'POST with server= another server');

# --- PUT /directory/list/room -------------------------------------------------------------
($st, $b) = $node->put("$C/directory/list/room/$pub", { visibility => 'private' });
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'PUT visibility needs a token');

# bob is a member at power level 0: not enough for m.room.canonical_alias.
($st, $b) = $node->put("$C/directory/list/room/$pub", { visibility => 'private' },
    token => $bob->{access_token});
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'member without power unpublishes');
is(visibility($pub), 'public', '... the room stays published');
($st, $b) = $node->get("$C/publicRooms");
is_deeply(ids($b), [$pub, $space], '... and listed');

# carol is not in the room at all.
($st, $b) = $node->put("$C/directory/list/room/$pub", { visibility => 'private' },
    token => $carol->{access_token});
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'non-member unpublishes');
is(visibility($pub), 'public', '... the room stays published');

($st, $b) = $node->put("$C/directory/list/room/$pub", { visibility => 'secret' },
    token => $alice->{access_token});
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'unknown visibility value');
is(visibility($pub), 'public', '... nothing changed');
($st, $b) = $node->put("$C/directory/list/room/$pub", { visibility => 5 },
    token => $alice->{access_token});
is($st, 400, 'visibility not a string: 400');
($st, $b) = $node->put("$C/directory/list/room/!nope:$S", { visibility => 'public' },
    token => $alice->{access_token});
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'PUT for an unknown room');

($st, $b) = $node->put("$C/directory/list/room/$pub", { visibility => 'private' },
    token => $alice->{access_token});
is($st, 200, 'room admin unpublishes: 200') or diag explain $b;
is_deeply($b, {}, '... empty body');
is(visibility($pub), 'private', '... visibility private');
($st, $b) = $node->get("$C/publicRooms");
is_deeply(ids($b), [$space], '... no longer listed');
is($b->{total_room_count_estimate}, 1, '... and not counted');

# bob gets power 50 (the canonical alias level of public_chat): now he may.
($st, $b) = $node->get("$C/rooms/$pub/state/m.room.power_levels/", token => $alice->{access_token});
is($st, 200, 'read power levels') or diag explain $b;
my $pl = $b;
$pl->{users}{ $bob->{user_id} } = 50;
($st, $b) = $node->put("$C/rooms/$pub/state/m.room.power_levels/", $pl,
    token => $alice->{access_token});
is($st, 200, 'bob raised to 50') or diag explain $b;
($st, $b) = $node->put("$C/directory/list/room/$pub", {}, token => $bob->{access_token});
is($st, 200, 'moderator publishes (visibility defaults to public): 200') or diag explain $b;
is(visibility($pub), 'public', '... visibility public');
($st, $b) = $node->get("$C/publicRooms");
is_deeply(ids($b), [$pub, $space], '... listed again');

# A server admin may change any room's listing, member or not.
($st, $b) = $node->put("$C/directory/list/room/$space", { visibility => 'private' },
    token => $carol->{access_token});
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'carol before becoming admin');
is(visibility($space), 'public', '... unchanged');
# A hand edit reaches the running node's token cache by NOTIFY (syncrod(8)), which its
# listener thread hears a moment after the commit.
sql("UPDATE users SET is_admin = true WHERE user_id = '$carol->{user_id}'; NOTIFY syncro_auth");
sleep 0.5;
($st, $b) = $node->put("$C/directory/list/room/$space", { visibility => 'private' },
    token => $carol->{access_token});
is($st, 200, 'server admin unpublishes a room they are not in: 200') or diag explain $b;
is(visibility($space), 'private', '... visibility private');

# A room whose members all left is not listed (no joined members).
($st, $b) = $node->post("$C/rooms/$pub/leave", {}, token => $bob->{access_token});
is($st, 200, 'bob leaves');
($st, $b) = $node->get("$C/publicRooms");
is($b->{chunk}[0]{num_joined_members}, 1, 'member count follows leaves');
($st, $b) = $node->post("$C/rooms/$pub/leave", {}, token => $alice->{access_token});
is($st, 200, 'alice leaves');
($st, $b) = $node->get("$C/publicRooms");
is_deeply(ids($b), [], 'a room without joined members is not listed');

is($node->stop, 0, 'clean exit');
done_testing;
