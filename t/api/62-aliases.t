#!/usr/bin/perl
# 62-aliases.t -- PUT/GET/DELETE /directory/room/{roomAlias}, GET
# /rooms/{roomId}/aliases, and m.room.canonical_alias validation.
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

sub uri {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9_.~-])/sprintf '%%%02X', ord $1/ge;
    return $s;
}

sub dir { "$C/directory/room/" . uri($_[0]) }

sub create_room {
    my ($tok, $body) = @_;
    my ($st, $b) = $node->post("$C/createRoom", $body, token => $tok);
    die "createRoom: $st " . $SyncroTest::JSON->encode($b) unless $st == 200;
    return $b->{room_id};
}

sub canonical {
    my ($tok, $room) = @_;
    my ($st, $b) = $node->get("$C/rooms/$room/state/m.room.canonical_alias/", token => $tok);
    return $st == 200 ? $b : undef;
}

my $alice = $node->register_user('alice', 'alice-pw-1');
my $bob   = $node->register_user('bob', 'bob-pw-1');
my $carol = $node->register_user('carol', 'carol-pw-1');
my $admin = $node->register_user('root', 'root-pw-1');
# A hand edit reaches the running node's token cache by NOTIFY (syncrod(8)), which its
# listener thread hears a moment after the commit.
sql("UPDATE users SET is_admin = true WHERE user_id = '$admin->{user_id}'; NOTIFY syncro_auth");
sleep 0.5;
my ($A, $B, $Cr, $R) = map { $_->{access_token} } $alice, $bob, $carol, $admin;

my $room = create_room($A, { preset => 'public_chat' });
my $other = create_room($A, { preset => 'public_chat' });
$node->post("$C/rooms/$room/join", {}, token => $B);

# --- PUT ------------------------------------------------------------------------------------
($st, $b) = $node->put(dir("#one:$S"), { room_id => $room });
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'PUT alias without a token');
($st, $b) = $node->put(dir("#one:$S"), { room_id => $room }, token => $B);
is($st, 200, 'member bob maps #one') or diag explain $b;
is_deeply($b, {}, 'PUT answers {}');
($st, $b) = $node->put(dir("#one:$S"), { room_id => $room }, token => $B);
errcode_is($st, $b, 409, 'M_UNKNOWN', 'PUT an existing alias');
($st, $b) = $node->put(dir("#one:$S"), { room_id => $other }, token => $A);
errcode_is($st, $b, 409, 'M_UNKNOWN', 'PUT an existing alias at another room');
($st, $b) = $node->put(dir("#two:$S"), { room_id => $room }, token => $Cr);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'non-member cannot map an alias');
($st, $b) = $node->put(dir("#two:$S"), { room_id => $room }, token => $R);
is($st, 200, 'server admin maps an alias without being in the room') or diag explain $b;
($st, $b) = $node->put(dir("#ghost:$S"), { room_id => "!unknown:$S" }, token => $R);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'admin: alias for an unknown room');
($st, $b) = $node->put(dir("#ghost:$S"), { room_id => "!unknown:$S" }, token => $B);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'member of nothing: alias for an unknown room');
for my $bad ('noprefix:' . $S, "#nocolon", "#with space:$S", "#:$S", '#x:bad_server!',
             '#' . ('x' x 260) . ":$S") {
    ($st, $b) = $node->put(dir($bad), { room_id => $room }, token => $B);
    errcode_is($st, $b, 400, 'M_INVALID_PARAM', "PUT malformed alias '" . substr($bad, 0, 20) . "'");
}
($st, $b) = $node->put(dir('#one:remote.example'), { room_id => $room }, token => $B);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'PUT a remote alias');
($st, $b) = $node->put(dir("#three:$S"), {}, token => $B);
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'PUT without room_id');
($st, $b) = $node->put(dir("#three:$S"), { room_id => 'room' }, token => $B);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'PUT with a malformed room_id');
($st, $b) = $node->put(dir("#three:$S"), { room_id => 7 }, token => $B);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'PUT with a non-string room_id');
is(sql("SELECT string_agg(alias, ' ' ORDER BY alias) FROM room_aliases"), "#one:$S #two:$S",
    'only the two good aliases exist');

# --- GET ------------------------------------------------------------------------------------
($st, $b) = $node->get(dir("#one:$S"));
is($st, 200, 'GET alias needs no token') or diag explain $b;
is_deeply($b, { room_id => $room, servers => [$S] }, 'GET answers room_id and servers');
($st, $b) = $node->get(dir("#one:$S"), token => $Cr);
is($b->{room_id}, $room, 'GET as a non-member');
($st, $b) = $node->get(dir("#none:$S"));
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'GET unknown alias');
($st, $b) = $node->get(dir('#one:remote.example'));
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'GET remote alias');
($st, $b) = $node->get(dir('one'));
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'GET malformed alias');

# --- GET /rooms/{roomId}/aliases ----------------------------------------------------------------
($st, $b) = $node->get("$C/rooms/$room/aliases", token => $B);
is($st, 200, 'member lists aliases') or diag explain $b;
is_deeply($b, { aliases => ["#one:$S", "#two:$S"] }, 'the room\'s aliases');
($st, $b) = $node->get("$C/rooms/$other/aliases", token => $A);
is_deeply($b, { aliases => [] }, 'a room without aliases: empty list');
($st, $b) = $node->get("$C/rooms/$room/aliases", token => $Cr);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'non-member cannot list aliases');
($st, $b) = $node->get("$C/rooms/$room/aliases");
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'list aliases without a token');
($st, $b) = $node->get("$C/rooms/" . uri("!unknown:$S") . "/aliases", token => $A);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'list aliases of an unknown room');
my $wr = create_room($A, { preset => 'public_chat', room_alias_name => 'readable',
    initial_state => [{ type => 'm.room.history_visibility',
                        content => { history_visibility => 'world_readable' } }] });
($st, $b) = $node->get("$C/rooms/$wr/aliases", token => $Cr);
is($st, 200, 'non-member lists aliases of a world_readable room') or diag explain $b;
is_deeply($b->{aliases}, ["#readable:$S"], '... and sees them');

# --- DELETE ---------------------------------------------------------------------------------
($st, $b) = $node->put(dir("#bobs:$S"), { room_id => $room }, token => $B);
is($st, 200, 'bob maps #bobs');
$node->post("$C/rooms/$room/join", {}, token => $Cr);
($st, $b) = $node->delete(dir("#bobs:$S"));
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'DELETE without a token');
($st, $b) = $node->delete(dir("#bobs:$S"), token => $Cr);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'PL 0 member cannot delete someone else\'s alias');
($st, $b) = $node->get(dir("#bobs:$S"));
is($st, 200, '... the alias is still there');
($st, $b) = $node->delete(dir("#bobs:$S"), token => $B);
is($st, 200, 'the creator of an alias deletes it (without power)') or diag explain $b;
is_deeply($b, {}, 'DELETE answers {}');
($st, $b) = $node->get(dir("#bobs:$S"));
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'deleted alias is gone');
($st, $b) = $node->delete(dir("#bobs:$S"), token => $B);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'DELETE unknown alias');
($st, $b) = $node->delete(dir('#one:remote.example'), token => $B);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'DELETE remote alias');
($st, $b) = $node->delete(dir('bad'), token => $B);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'DELETE malformed alias');
($st, $b) = $node->delete(dir("#one:$S"), token => $A);
is($st, 200, 'a member with power over canonical_alias deletes bob\'s alias') or diag explain $b;
($st, $b) = $node->delete(dir("#two:$S"), token => $R);
is($st, 200, 'a server admin deletes an alias') or diag explain $b;
# Power is looked at in the alias's room: alice has none in a room she is not in.
my $brooms = create_room($B, { preset => 'public_chat', room_alias_name => 'bobroom' });
($st, $b) = $node->delete(dir("#bobroom:$S"), token => $A);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'power elsewhere does not count');

# Deleting the canonical alias updates m.room.canonical_alias.
my $canon = create_room($A, { preset => 'public_chat', room_alias_name => 'main' });
($st, $b) = $node->put(dir("#alt:$S"), { room_id => $canon }, token => $A);
is($st, 200, 'map #alt');
($st, $b) = $node->put("$C/rooms/$canon/state/m.room.canonical_alias/",
    { alias => "#main:$S", alt_aliases => ["#alt:$S"] }, token => $A);
is($st, 200, 'canonical alias with an alt alias') or diag explain $b;
($st, $b) = $node->delete(dir("#alt:$S"), token => $A);
is($st, 200, 'delete the alt alias');
is_deeply(canonical($A, $canon), { alias => "#main:$S", alt_aliases => [] },
    'alt alias dropped from m.room.canonical_alias');
($st, $b) = $node->delete(dir("#main:$S"), token => $A);
is($st, 200, 'delete the main alias');
is_deeply(canonical($A, $canon), { alt_aliases => [] }, 'main alias dropped from m.room.canonical_alias');

# --- canonical alias validation (state PUT) ----------------------------------------------------
{
    my $v = create_room($A, { preset => 'public_chat', room_alias_name => 'valid' });
    ($st, $b) = $node->put("$C/rooms/$v/state/m.room.canonical_alias/", { alias => "#nope:$S" },
        token => $A);
    errcode_is($st, $b, 400, 'M_BAD_ALIAS', 'canonical alias that does not exist');
    ($st, $b) = $node->put("$C/rooms/$v/state/m.room.canonical_alias/",
        { alias => "#valid:$S", alt_aliases => ["#readable:$S"] }, token => $A);
    errcode_is($st, $b, 400, 'M_BAD_ALIAS', 'alt alias pointing at another room');
    ($st, $b) = $node->put("$C/rooms/$v/state/m.room.canonical_alias/", { alias => 'junk' },
        token => $A);
    errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'malformed canonical alias');
    is(canonical($A, $v)->{alias}, "#valid:$S", 'the refused updates changed nothing');
}

is($node->stop, 0, 'clean exit');
done_testing;
