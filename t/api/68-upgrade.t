#!/usr/bin/perl
# 68-upgrade.t -- POST /rooms/{roomId}/upgrade: who may, bad versions, the
# new room's create event and copied state, the tombstone, aliases and the
# directory listing moving over, bans, and the old room's power levels.
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

sub create_room {
    my ($u, %body) = @_;
    my ($st, $b) = $node->post("$C/createRoom", \%body, token => $u->{access_token});
    die "createRoom failed: $st " . explain($b) unless $st == 200;
    return $b->{room_id};
}

sub state {
    my ($u, $room, $type, $key) = @_;
    my ($st, $b) = $node->get("$C/rooms/$room/state/$type/" . ($key // ''),
        token => $u->{access_token});
    return $st == 200 ? $b : undef;
}

sub put_state {
    my ($u, $room, $type, $key, $content) = @_;
    my ($st, $b) = $node->put("$C/rooms/$room/state/$type/$key", $content,
        token => $u->{access_token});
    die "state PUT $type failed: $st " . explain($b) unless $st == 200;
}

my $txn = 0;
sub send_msg {
    my ($u, $room, $body) = @_;
    $txn++;
    return $node->put("$C/rooms/$room/send/m.room.message/t$txn",
        { msgtype => 'm.text', body => $body }, token => $u->{access_token});
}

sub upgrade {
    my ($u, $room, $body) = @_;
    return $node->post("$C/rooms/$room/upgrade", $body, $u ? (token => $u->{access_token}) : ());
}

sub room_count { sql('SELECT count(*) FROM rooms') }

my $alice = $node->register_user('alice', 'pw-alice-1');
my $bob   = $node->register_user('bob', 'pw-bob-1');
my $carol = $node->register_user('carol', 'pw-carol-1');
my $dave  = $node->register_user('dave', 'pw-dave-1');

my $old = create_room($alice, preset => 'public_chat', visibility => 'public',
    room_version => '10', name => 'Old name', topic => 'Old topic', room_alias_name => 'upg');
for my $u ($bob, $carol) {
    ($st, $b) = $node->post("$C/rooms/$old/join", {}, token => $u->{access_token});
    die "join failed" unless $st == 200;
}
($st, $b) = $node->post("$C/rooms/$old/ban", { user_id => $carol->{user_id}, reason => 'spam' },
    token => $alice->{access_token});
is($st, 200, 'carol banned from the old room') or diag explain $b;
put_state($alice, $old, 'm.room.encryption', '', { algorithm => 'm.megolm.v1.aes-sha2' });
put_state($alice, $old, 'm.room.avatar', '', { url => 'mxc://example.org/avatar' });

($st, $b) = send_msg($bob, $old, 'hello before');
is($st, 200, 'bob may speak in the old room before the upgrade') or diag explain $b;

# --- refusals: nothing is created --------------------------------------------------------
my $rooms_before = room_count();
($st, $b) = upgrade(undef, $old, { new_version => '11' });
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'no token');
($st, $b) = upgrade($bob, $old, { new_version => '11' });
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'member without power to send m.room.tombstone');
($st, $b) = upgrade($dave, $old, { new_version => '11' });
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'non-member');
($st, $b) = upgrade($alice, $old, {});
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'no new_version');
($st, $b) = upgrade($alice, $old, { new_version => 11 });
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'new_version not a string');
($st, $b) = upgrade($alice, $old, { new_version => '99' });
errcode_is($st, $b, 400, 'M_UNSUPPORTED_ROOM_VERSION', 'unknown room version');
($st, $b) = upgrade($alice, $old, { new_version => '1' });
errcode_is($st, $b, 400, 'M_UNSUPPORTED_ROOM_VERSION', 'unsupported old room version');
($st, $b) = upgrade($alice, "!nope:$S", { new_version => '11' });
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'unknown room');
is(room_count(), $rooms_before, 'refused upgrades create no room');
ok(!defined state($alice, $old, 'm.room.tombstone'), 'refused upgrades send no tombstone');

# --- the upgrade --------------------------------------------------------------------
my $old_pl = state($alice, $old, 'm.room.power_levels');
($st, $b) = upgrade($alice, $old, { new_version => '11' });
is($st, 200, 'room admin upgrades: 200') or diag explain $b;
my $new = $b->{replacement_room};
like($new // '', qr/^!/, 'replacement_room is a room ID');
isnt($new, $old, 'a different room');
is(room_count(), $rooms_before + 1, 'one room created');

my $create = state($alice, $new, 'm.room.create');
is($create->{room_version}, '11', 'new room: room_version 11');
is_deeply($create->{predecessor}, { room_id => $old }, 'new room: predecessor');
ok(!exists $create->{type}, 'new room: no type for a plain room');

is(state($alice, $new, 'm.room.name')->{name}, 'Old name', 'name copied');
is(state($alice, $new, 'm.room.topic')->{topic}, 'Old topic', 'topic copied');
is(state($alice, $new, 'm.room.join_rules')->{join_rule}, 'public', 'join rules copied');
is(state($alice, $new, 'm.room.history_visibility')->{history_visibility}, 'shared',
    'history visibility copied');
is(state($alice, $new, 'm.room.guest_access')->{guest_access}, 'forbidden', 'guest access copied');
is(state($alice, $new, 'm.room.encryption')->{algorithm}, 'm.megolm.v1.aes-sha2', 'encryption copied');
is(state($alice, $new, 'm.room.avatar')->{url}, 'mxc://example.org/avatar', 'avatar copied');
is_deeply(state($alice, $new, 'm.room.power_levels'), $old_pl, 'power levels copied as they were');
is(state($alice, $new, "m.room.member", $alice->{user_id})->{membership}, 'join',
    'the upgrader is joined to the new room');
is(state($alice, $new, "m.room.member", $carol->{user_id})->{membership}, 'ban',
    'bans carried over');
ok(!defined state($alice, $new, "m.room.member", $bob->{user_id}),
    'other members are not joined for them');

my $tomb = state($alice, $old, 'm.room.tombstone');
is($tomb->{replacement_room}, $new, 'old room: tombstone points to the new room');
ok(defined $tomb->{body}, 'old room: tombstone has a body');

my $pl = state($alice, $old, 'm.room.power_levels');
is($pl->{events_default}, 50, 'old room: events_default raised to 50');
is($pl->{invite}, 50, 'old room: invite raised to 50');
($st, $b) = send_msg($bob, $old, 'hello after');
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'bob can no longer speak in the old room');

# Aliases and the canonical alias move; so does the directory listing.
($st, $b) = $node->get("$C/directory/room/%23upg:$S");
is($st, 200, 'alias resolves') or diag explain $b;
is($b->{room_id}, $new, 'the alias now points to the new room');
is(state($alice, $new, 'm.room.canonical_alias')->{alias}, "#upg:$S",
    'new room: canonical alias');
ok(!exists((state($alice, $old, 'm.room.canonical_alias') || {})->{alias}),
    'old room: canonical alias removed');
($st, $b) = $node->get("$C/directory/list/room/$new");
is($b->{visibility}, 'public', 'new room published');
($st, $b) = $node->get("$C/directory/list/room/$old");
is($b->{visibility}, 'private', 'old room unpublished');

# --- spaces, and a raised power level restored afterwards --------------------------------
my $child = create_room($alice, preset => 'public_chat', name => 'child');
my $gone = create_room($alice, preset => 'public_chat', name => 'removed child');
my $sp = create_room($alice, preset => 'private_chat', name => 'Space',
    creation_content => { type => 'm.space' });
put_state($alice, $sp, 'm.space.child', $child, { via => [$S] });
put_state($alice, $sp, 'm.space.child', $gone, {});
($st, $b) = $node->post("$C/rooms/$sp/invite", { user_id => $bob->{user_id} },
    token => $alice->{access_token});
($st, $b) = $node->post("$C/rooms/$sp/join", {}, token => $bob->{access_token});
is($st, 200, 'bob joins the space') or diag explain $b;
my $spl = state($alice, $sp, 'm.room.power_levels');
$spl->{users}{ $bob->{user_id} } = 60;
$spl->{events}{'m.room.tombstone'} = 60;
$spl->{events}{'m.room.server_acl'} = 100;
put_state($alice, $sp, 'm.room.power_levels', '', $spl);

($st, $b) = upgrade($bob, $sp, { new_version => '11' });
is($st, 200, 'bob (60) upgrades the space (tombstone level 60): 200') or diag explain $b;
my $nsp = $b->{replacement_room};
is(state($bob, $nsp, 'm.room.create')->{type}, 'm.space', 'new space keeps its type');
is_deeply(state($bob, $nsp, 'm.space.child', $child), { via => [$S] }, 'space child copied');
ok(!defined state($bob, $nsp, 'm.space.child', $gone), 'removed (empty) space child not copied');
is_deeply(state($bob, $nsp, 'm.room.power_levels'), $spl,
    'power levels end as they were (bob back at 60 after a temporary raise)');
my $events = sql("SELECT count(*) FROM events WHERE room_id = '$nsp' AND type = 'm.room.power_levels'");
is($events, 2, 'two power level events: raised for the copy, then restored');

# A v12 room: the creator may not be listed in power levels.
my $v11 = create_room($alice, preset => 'private_chat', room_version => '11');
($st, $b) = upgrade($alice, $v11, { new_version => '12' });
is($st, 200, 'upgrade to v12: 200') or diag explain $b;
{
    my $v12 = $b->{replacement_room};
    is(state($alice, $v12, 'm.room.create')->{room_version}, '12', 'v12 room created');
    is_deeply(state($alice, $v12, 'm.room.create')->{predecessor}, { room_id => $v11 },
        'v12 room: predecessor');
    ok(!exists state($alice, $v12, 'm.room.power_levels')->{users}{ $alice->{user_id} },
        'v12: the creator is not in power levels users');
    ($st, $b) = send_msg($alice, $v12, 'creator speaks in the v12 room');
    is($st, 200, 'v12: the creator may send') or diag explain $b;

    # Back from v12 to an older version: the creator keeps 100 there.
    ($st, $b) = upgrade($alice, $v12, { new_version => '11' });
    is($st, 200, 'v12 -> v11 upgrade: 200') or diag explain $b;
    my $back = $b->{replacement_room} // '';
    is((state($alice, $back, 'm.room.power_levels') || {})->{users}{ $alice->{user_id} }, 100,
        'the v12 creator is listed at 100 in the v11 replacement');
    ($st, $b) = upgrade($bob, $v12, { new_version => '11' });
    is($st, 403, 'v12: a non-member may not upgrade');
}

is($node->stop, 0, 'clean exit');
done_testing;
