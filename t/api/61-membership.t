#!/usr/bin/perl
# 61-membership.t -- join (by ID and alias), invite, leave, forget, kick,
# ban, unban, knock: each allowed and refused path.
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

sub uri {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9_.~-])/sprintf '%%%02X', ord $1/ge;
    return $s;
}

sub member {
    my ($tok, $room, $uid) = @_;
    my ($st, $b) = $node->get("$C/rooms/$room/state/m.room.member/$uid", token => $tok);
    return $st == 200 ? $b : {};
}

# Membership straight from the store (no visibility rules in the way).
sub membership_of {
    my ($room, $uid) = @_;
    return sql("SELECT coalesce(membership, '') FROM current_state WHERE room_id = '$room' "
        . "AND type = 'm.room.member' AND state_key = '$uid'");
}

sub member_events {
    my ($room, $uid) = @_;
    return sql("SELECT count(*) FROM events WHERE room_id = '$room' AND type = 'm.room.member' "
        . "AND state_key = '$uid'");
}

sub create_room {
    my ($tok, $body) = @_;
    my ($st, $b) = $node->post("$C/createRoom", $body, token => $tok);
    die "createRoom: $st " . $SyncroTest::JSON->encode($b) unless $st == 200;
    return $b->{room_id};
}

my $alice = $node->register_user('alice', 'alice-pw-1');
my $bob   = $node->register_user('bob', 'bob-pw-1');
my $carol = $node->register_user('carol', 'carol-pw-1');
my $dave  = $node->register_user('dave', 'dave-pw-1');
my ($A, $B, $Cr, $D) = map { $_->{access_token} } $alice, $bob, $carol, $dave;
$node->put("$C/profile/$bob->{user_id}/avatar_url", { avatar_url => 'mxc://x/bob' }, token => $B);

my $pub = create_room($A, { preset => 'public_chat', room_alias_name => 'pub' });
my $priv = create_room($A, { preset => 'private_chat' });

# --- join ---------------------------------------------------------------------------------
($st, $b) = $node->post("$C/rooms/$pub/join", {});
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'join without a token');
($st, $b) = $node->post("$C/rooms/$pub/join", {}, token => $B);
is($st, 200, 'bob joins the public room by ID') or diag explain $b;
is($b->{room_id}, $pub, 'join answers the room_id');
is(membership_of($pub, $bob->{user_id}), 'join', 'bob is joined');
my $m = member($B, $pub, $bob->{user_id});
is($m->{displayname}, 'bob', 'join carries the displayname');
is($m->{avatar_url}, 'mxc://x/bob', 'join carries the avatar_url');
my $n = member_events($pub, $bob->{user_id});
($st, $b) = $node->post("$C/rooms/$pub/join", {}, token => $B);
is($st, 200, 'joining again: 200');
is($b->{room_id}, $pub, '... with the room_id');
is(member_events($pub, $bob->{user_id}), $n, '... and no new member event');

($st, $b) = $node->post("$C/join/" . uri("#pub:$S"), { reason => 'hi' }, token => $Cr);
is($st, 200, 'carol joins by alias') or diag explain $b;
is($b->{room_id}, $pub, 'join by alias answers the resolved room_id');
is(member($Cr, $pub, $carol->{user_id})->{reason}, 'hi', 'join reason stored');
($st, $b) = $node->post("$C/join/" . uri($pub) . "?server_name=elsewhere.example", {}, token => $Cr);
is($st, 200, 'join/{roomId} with server_name: 200 (already joined)');

($st, $b) = $node->post("$C/join/" . uri("#nope:$S"), {}, token => $D);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'join by unknown alias');
($st, $b) = $node->post("$C/join/" . uri('#pub:remote.example'), {}, token => $D);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'join by remote alias');
($st, $b) = $node->post("$C/join/" . uri("!unknown:$S"), {}, token => $D);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'join unknown room by ID');
($st, $b) = $node->post("$C/rooms/" . uri('!abc:remote.example') . "/join", {}, token => $D);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'join remote room');
($st, $b) = $node->post("$C/join/nonsense", {}, token => $D);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'join a malformed room ID/alias');
($st, $b) = $node->post("$C/rooms/$pub/join", { reason => 5 }, token => $D);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'join with a non-string reason');
is(membership_of($pub, $dave->{user_id}), '', 'failed joins changed nothing');

# --- invite-only room ---------------------------------------------------------------------
($st, $b) = $node->post("$C/rooms/$priv/join", {}, token => $D);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'uninvited join of an invite-only room');
($st, $b) = $node->post("$C/rooms/$priv/invite", { user_id => $dave->{user_id}, reason => 'come' },
    token => $A);
is($st, 200, 'alice invites dave') or diag explain $b;
is_deeply($b, {}, 'invite answers {}');
$m = member($A, $priv, $dave->{user_id});
is($m->{membership}, 'invite', 'dave invited');
is($m->{reason}, 'come', 'invite reason stored');
is($m->{displayname}, 'dave', 'invite carries the invitee displayname');
($st, $b) = $node->post("$C/rooms/$priv/join", {}, token => $D);
is($st, 200, 'invited dave joins') or diag explain $b;

($st, $b) = $node->post("$C/rooms/$priv/invite", { user_id => $bob->{user_id} }, token => $Cr);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'non-member cannot invite');
($st, $b) = $node->post("$C/rooms/$priv/invite", { user_id => $bob->{user_id} }, token => $D);
is($st, 200, 'private_chat: a plain member may invite (invite level 0)') or diag explain $b;
($st, $b) = $node->post("$C/rooms/$pub/invite", { user_id => $dave->{user_id} }, token => $B);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'public_chat: a PL 0 member cannot invite (50)');
($st, $b) = $node->post("$C/rooms/$pub/invite", { user_id => $dave->{user_id} }, token => $A);
is($st, 200, 'public_chat: the creator can invite');
($st, $b) = $node->post("$C/rooms/$pub/invite", { user_id => $bob->{user_id} }, token => $A);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'invite of a joined user');
($st, $b) = $node->post("$C/rooms/$pub/invite", {}, token => $A);
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'invite without user_id');
($st, $b) = $node->post("$C/rooms/$pub/invite", { user_id => 'bob' }, token => $A);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'invite of a malformed user ID');
($st, $b) = $node->post("$C/rooms/$pub/invite", { user_id => "\@ghost:$S" }, token => $A);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'invite of an unknown local user');
($st, $b) = $node->post("$C/rooms/" . uri("!unknown:$S") . "/invite",
    { user_id => $bob->{user_id} }, token => $A);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'invite into an unknown room');
($st, $b) = $node->post("$C/rooms/not-a-room/invite", { user_id => $bob->{user_id} }, token => $A);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'invite into a malformed room ID');

# --- kick -----------------------------------------------------------------------------------
($st, $b) = $node->post("$C/rooms/$pub/kick", { user_id => $carol->{user_id} }, token => $B);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'PL 0 member cannot kick');
is(membership_of($pub, $carol->{user_id}), 'join', 'carol still joined');
($st, $b) = $node->post("$C/rooms/$pub/kick", { user_id => $carol->{user_id}, reason => 'bye' },
    token => $A);
is($st, 200, 'creator kicks carol') or diag explain $b;
is(membership_of($pub, $carol->{user_id}), 'leave', 'carol left');
$m = member($A, $pub, $carol->{user_id});
is($m->{reason}, 'bye', 'kick reason stored');
is($m->{membership}, 'leave', 'kick is a leave event');
($st, $b) = $node->post("$C/rooms/$pub/kick", { user_id => $carol->{user_id} }, token => $A);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'kick of a user not in the room');
($st, $b) = $node->post("$C/rooms/$pub/join", {}, token => $Cr);
is($st, 200, 'kicked carol may rejoin a public room');
($st, $b) = $node->post("$C/rooms/$pub/kick", {}, token => $A);
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'kick without user_id');

# A moderator (PL 50) can kick a PL 0 user but not the PL 100 creator.
my $mod = create_room($A, { preset => 'public_chat', power_level_content_override => {
    users => { $alice->{user_id} => 100, $bob->{user_id} => 50 } } });
$node->post("$C/rooms/$mod/join", {}, token => $_) for $B, $Cr;
($st, $b) = $node->post("$C/rooms/$mod/kick", { user_id => $alice->{user_id} }, token => $B);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'moderator cannot kick a higher PL');
($st, $b) = $node->post("$C/rooms/$mod/kick", { user_id => $carol->{user_id} }, token => $B);
is($st, 200, 'moderator kicks a PL 0 user') or diag explain $b;

# --- ban / unban ----------------------------------------------------------------------------
($st, $b) = $node->post("$C/rooms/$pub/ban", { user_id => $alice->{user_id} }, token => $B);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'PL 0 member cannot ban');
is(membership_of($pub, $alice->{user_id}), 'join', 'alice not banned');
($st, $b) = $node->post("$C/rooms/$pub/ban", { user_id => $bob->{user_id}, reason => 'spam' },
    token => $A);
is($st, 200, 'creator bans bob') or diag explain $b;
is(membership_of($pub, $bob->{user_id}), 'ban', 'bob banned');
is(member($A, $pub, $bob->{user_id})->{reason}, 'spam', 'ban reason stored');
($st, $b) = $node->post("$C/rooms/$pub/join", {}, token => $B);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'banned user cannot rejoin');
($st, $b) = $node->post("$C/rooms/$pub/invite", { user_id => $bob->{user_id} }, token => $A);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'banned user cannot be invited');
($st, $b) = $node->post("$C/rooms/$pub/ban", { user_id => $carol->{user_id} }, token => $Cr);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'cannot ban oneself without power');
($st, $b) = $node->post("$C/rooms/$pub/ban", { user_id => "\@stranger:$S" }, token => $A);
is($st, 200, 'a user never in the room can be banned pre-emptively');

($st, $b) = $node->post("$C/rooms/$pub/unban", { user_id => $bob->{user_id} }, token => $Cr);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'PL 0 member cannot unban');
is(membership_of($pub, $bob->{user_id}), 'ban', 'bob still banned');
($st, $b) = $node->post("$C/rooms/$pub/unban", { user_id => $carol->{user_id} }, token => $A);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'unban of a user who is not banned');
is(membership_of($pub, $carol->{user_id}), 'join', '... leaves them joined');
($st, $b) = $node->post("$C/rooms/$pub/unban", { user_id => $bob->{user_id} }, token => $A);
is($st, 200, 'creator unbans bob') or diag explain $b;
is(membership_of($pub, $bob->{user_id}), 'leave', 'unban leaves bob at leave');
($st, $b) = $node->post("$C/rooms/$pub/join", {}, token => $B);
is($st, 200, 'unbanned bob rejoins') or diag explain $b;

# --- leave and forget -----------------------------------------------------------------------
($st, $b) = $node->post("$C/rooms/$pub/forget", {}, token => $Cr);
errcode_is($st, $b, 400, 'M_UNKNOWN', 'forget while joined');
($st, $b) = $node->post("$C/rooms/$pub/leave", { reason => 'done' }, token => $Cr);
is($st, 200, 'carol leaves') or diag explain $b;
is_deeply($b, {}, 'leave answers {}');
is(membership_of($pub, $carol->{user_id}), 'leave', 'carol left');
is(member($A, $pub, $carol->{user_id})->{reason}, 'done', 'leave reason stored');
($st, $b) = $node->post("$C/rooms/$pub/leave", {}, token => $Cr);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'leaving a room one has left');
($st, $b) = $node->post("$C/rooms/" . uri("!unknown:$S") . "/leave", {}, token => $Cr);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'leaving an unknown room');
($st, $b) = $node->get("$C/rooms/$pub/state", token => $Cr);
is($st, 200, 'state readable after leaving (as of the leave)');
($st, $b) = $node->post("$C/rooms/$pub/forget", {}, token => $Cr);
is($st, 200, 'forget after leaving') or diag explain $b;
is_deeply($b, {}, 'forget answers {}');
is(sql("SELECT count(*) FROM room_forgotten WHERE user_id = '$carol->{user_id}' "
    . "AND room_id = '$pub'"), 1, 'forget recorded');
($st, $b) = $node->get("$C/rooms/$pub/state", token => $Cr);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'state of a forgotten room');
($st, $b) = $node->post("$C/rooms/$pub/forget", {}, token => $Cr);
is($st, 200, 'forget twice: 200');
($st, $b) = $node->post("$C/rooms/$pub/join", {}, token => $Cr);
is($st, 200, 'rejoin a forgotten room');
is(sql("SELECT count(*) FROM room_forgotten WHERE user_id = '$carol->{user_id}' "
    . "AND room_id = '$pub'"), 0, 'rejoining clears the forgotten mark');
($st, $b) = $node->post("$C/rooms/$priv/forget", {}, token => $Cr);
is($st, 200, 'forget a room never joined: 200 (as Synapse)');
my $inv_room = create_room($A, { invite => [$carol->{user_id}] });
($st, $b) = $node->post("$C/rooms/$inv_room/forget", {}, token => $Cr);
errcode_is($st, $b, 400, 'M_UNKNOWN', 'forget while invited');
($st, $b) = $node->post("$C/rooms/$inv_room/leave", {}, token => $Cr);
is($st, 200, 'rejecting an invite (leave): 200');
is(membership_of($inv_room, $carol->{user_id}), 'leave', 'invite rejected');

# --- knock --------------------------------------------------------------------------------
my $knock = create_room($A, { preset => 'private_chat', room_alias_name => 'knocky',
    initial_state => [{ type => 'm.room.join_rules', content => { join_rule => 'knock' } }] });
($st, $b) = $node->post("$C/knock/" . uri($knock), { reason => 'let me in' }, token => $D);
is($st, 200, 'knock on a knock room') or diag explain $b;
is($b->{room_id}, $knock, 'knock answers the room_id');
is(membership_of($knock, $dave->{user_id}), 'knock', 'dave knocked');
is(member($A, $knock, $dave->{user_id})->{reason}, 'let me in', 'knock reason stored');
($st, $b) = $node->post("$C/knock/" . uri("#knocky:$S"), {}, token => $Cr);
is($st, 200, 'knock by alias') or diag explain $b;
is($b->{room_id}, $knock, '... answers the resolved room_id');
($st, $b) = $node->post("$C/rooms/$knock/join", {}, token => $D);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'a knock alone does not let one join');
($st, $b) = $node->post("$C/rooms/$knock/invite", { user_id => $dave->{user_id} }, token => $A);
is($st, 200, 'the knock is answered with an invite');
($st, $b) = $node->post("$C/rooms/$knock/join", {}, token => $D);
is($st, 200, 'then the knocker joins');
($st, $b) = $node->post("$C/knock/" . uri($knock), {}, token => $D);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'knock while joined');
($st, $b) = $node->post("$C/knock/" . uri($pub), {}, token => $D);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'knock on a public room');
($st, $b) = $node->post("$C/knock/" . uri($priv), {}, token => $Cr);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'knock on an invite-only room');
($st, $b) = $node->post("$C/knock/" . uri("!unknown:$S"), {}, token => $Cr);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'knock on an unknown room');

# --- guests ---------------------------------------------------------------------------------
($st, $b) = $node->post("$C/register?kind=guest", {});
SKIP: {
    skip 'guest registration is off', 6 unless $st == 200;
    my $G = $b->{access_token};
    my $open = create_room($A, { preset => 'public_chat', initial_state => [
        { type => 'm.room.guest_access', content => { guest_access => 'can_join' } }] });
    ($st, $b) = $node->post("$C/rooms/$open/join", {}, token => $G);
    is($st, 200, 'guest joins a room with guest_access can_join') or diag explain $b;
    ($st, $b) = $node->post("$C/rooms/$pub/join", {}, token => $G);
    errcode_is($st, $b, 403, 'M_GUEST_ACCESS_FORBIDDEN', 'guest cannot join a forbidden room');
    ($st, $b) = $node->post("$C/rooms/$open/leave", {}, token => $G);
    is($st, 200, 'guest leaves');
    ($st, $b) = $node->post("$C/rooms/$open/invite", { user_id => $bob->{user_id} }, token => $G);
    errcode_is($st, $b, 403, 'M_GUEST_ACCESS_FORBIDDEN', 'guests cannot invite');
}

is($node->stop, 0, 'clean exit');
done_testing;
