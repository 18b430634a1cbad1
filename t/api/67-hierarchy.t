#!/usr/bin/perl
# 67-hierarchy.t -- GET /_matrix/client/v1/rooms/{roomId}/hierarchy: the
# walk order, which rooms a user may see, ignored child events,
# children_state, max_depth, suggested_only and pagination.
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

sub create_room {
    my ($u, %body) = @_;
    my ($st, $b) = $node->post("$C/createRoom", \%body, token => $u->{access_token});
    die "createRoom failed: $st " . explain($b) unless $st == 200;
    return $b->{room_id};
}

sub put_state {
    my ($u, $room, $type, $key, $content) = @_;
    my ($st, $b) = $node->put("$C/rooms/$room/state/$type/$key", $content,
        token => $u->{access_token});
    die "state PUT failed: $st " . explain($b) unless $st == 200;
    return $b->{event_id};
}

sub hier {
    my ($u, $room, $query) = @_;
    my $path = "/_matrix/client/v1/rooms/$room/hierarchy" . (defined $query ? "?$query" : '');
    return $node->get($path, $u ? (token => $u->{access_token}) : ());
}

sub ids { [map { $_->{room_id} } @{ $_[0]{rooms} || [] }] }

my $alice = $node->register_user('alice', 'pw-alice-1');
my $bob   = $node->register_user('bob', 'pw-bob-1');

my $space = create_room($alice, preset => 'public_chat', name => 'The Space',
    topic => 'space topic', creation_content => { type => 'm.space' });
my $sub = create_room($alice, preset => 'public_chat', name => 'Sub Space',
    creation_content => { type => 'm.space' });
my $leaf = create_room($alice, preset => 'public_chat', name => 'Leaf');
my $pubroom = create_room($alice, preset => 'public_chat', name => 'Public Room');
my $secret = create_room($alice, preset => 'private_chat', name => 'Secret');
my $readable = create_room($alice, preset => 'private_chat', name => 'Readable',
    initial_state => [{ type => 'm.room.history_visibility', state_key => '',
        content => { history_visibility => 'world_readable' } }]);
my $removed = create_room($alice, preset => 'public_chat', name => 'Removed');
my $novia = create_room($alice, preset => 'public_chat', name => 'No via');

# Children of the space: order "a" first, then "b", then unordered by timestamp.
put_state($alice, $space, 'm.space.child', $sub, { via => [$S], order => 'a' });
put_state($alice, $space, 'm.space.child', $pubroom, { via => [$S], order => 'b', suggested => JSON::PP::true });
put_state($alice, $space, 'm.space.child', $secret, { via => [$S] });
put_state($alice, $space, 'm.space.child', $readable, { via => [$S] });
put_state($alice, $space, 'm.space.child', $removed, { via => [$S] });
put_state($alice, $space, 'm.space.child', $removed, {});         # removed again
put_state($alice, $space, 'm.space.child', $novia, { order => 'c' });  # no via: ignored
put_state($alice, $sub, 'm.space.child', $leaf, { via => [$S] });

# --- auth and parameters --------------------------------------------------------------
($st, $b) = hier(undef, $space);
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'no token');
($st, $b) = hier($bob, $space, 'limit=0');
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'limit=0');
($st, $b) = hier($bob, $space, 'limit=x');
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'limit not a number');
($st, $b) = hier($bob, $space, 'max_depth=-1');
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'negative max_depth');
($st, $b) = hier($bob, $space, 'suggested_only=maybe');
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'suggested_only not a boolean');
($st, $b) = hier($bob, $space, 'from=garbage');
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'malformed from token');

# --- the walk as a non-member of a public space -------------------------------------------
($st, $b) = hier($bob, $space);
is($st, 200, 'non-member, public space: 200') or diag explain $b;
is_deeply(ids($b), [$space, $sub, $leaf, $pubroom, $readable],
    'depth first in child order; the invite-only room is hidden, world_readable is shown');
ok(!exists $b->{next_batch}, 'everything on one page: no next_batch');
my ($root) = @{ $b->{rooms} };
is($root->{name}, 'The Space', 'root: name');
is($root->{topic}, 'space topic', 'root: topic');
is($root->{room_type}, 'm.space', 'root: room_type');
is($root->{num_joined_members}, 1, 'root: num_joined_members');
is($root->{join_rule}, 'public', 'root: join_rule');
ok(JSON::PP::is_bool($root->{world_readable}) && !$root->{world_readable}, 'root: world_readable false');
ok(JSON::PP::is_bool($root->{guest_can_join}), 'root: guest_can_join boolean');
is_deeply([map { $_->{state_key} } @{ $root->{children_state} }],
    [$sub, $pubroom, $secret, $readable],
    'children_state: valid child events in walk order (no empty content, no via-less)');
my ($cs) = grep { $_->{state_key} eq $pubroom } @{ $root->{children_state} };
is($cs->{type}, 'm.space.child', 'children_state: type');
is($cs->{sender}, $alice->{user_id}, 'children_state: sender');
ok($cs->{origin_server_ts} > 0, 'children_state: origin_server_ts');
is_deeply($cs->{content}, { via => [$S], order => 'b', suggested => JSON::PP::true },
    'children_state: content');
ok(!exists $cs->{event_id} && !exists $cs->{room_id}, 'children_state entries are stripped');
my ($pe) = grep { $_->{room_id} eq $pubroom } @{ $b->{rooms} };
is_deeply($pe->{children_state}, [], 'a room that is not a space lists no children');
my ($re) = grep { $_->{room_id} eq $readable } @{ $b->{rooms} };
ok($re->{world_readable}, 'world_readable room says so');
is($re->{join_rule}, 'invite', 'world_readable room: join_rule invite');

# alice is in the invite-only room: she sees it.
($st, $b) = hier($alice, $space);
is_deeply(ids($b), [$space, $sub, $leaf, $pubroom, $secret, $readable],
    'a member sees the invite-only child');

# An invite is enough to preview.
($st, $b) = $node->post("$C/rooms/$secret/invite", { user_id => $bob->{user_id} },
    token => $alice->{access_token});
is($st, 200, 'bob invited to the secret room') or diag explain $b;
($st, $b) = hier($bob, $space);
is_deeply(ids($b), [$space, $sub, $leaf, $pubroom, $secret, $readable],
    'an invited user sees the invite-only child');

# --- private spaces ---------------------------------------------------------------
my $pspace = create_room($alice, preset => 'private_chat', name => 'Private space',
    creation_content => { type => 'm.space' });
put_state($alice, $pspace, 'm.space.child', $pubroom, { via => [$S] });
($st, $b) = hier($bob, $pspace);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'non-member, private space');
($st, $b) = hier($alice, $pspace);
is($st, 200, 'member, private space: 200');
is_deeply(ids($b), [$pspace, $pubroom], 'member, private space: its rooms');
($st, $b) = hier($bob, "!unknown:$S");
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'unknown room');

# --- max_depth and suggested_only --------------------------------------------------------
($st, $b) = hier($alice, $space, 'max_depth=1');
is_deeply(ids($b), [$space, $sub, $pubroom, $secret, $readable], 'max_depth=1: no grandchildren');
my ($sube) = grep { $_->{room_id} eq $sub } @{ $b->{rooms} };
is(scalar @{ $sube->{children_state} }, 1, 'max_depth=1: a space at the limit still lists its children');
($st, $b) = hier($alice, $space, 'max_depth=0');
is_deeply(ids($b), [$space], 'max_depth=0: the root only');
is(scalar @{ $b->{rooms}[0]{children_state} }, 4, 'max_depth=0: with its children_state');
($st, $b) = hier($alice, $space, 'suggested_only=true');
is_deeply(ids($b), [$space, $pubroom], 'suggested_only: only suggested children');
is_deeply([map { $_->{state_key} } @{ $b->{rooms}[0]{children_state} }], [$pubroom],
    'suggested_only: children_state too');
($st, $b) = hier($alice, $space, 'suggested_only=false');
is(scalar @{ ids($b) }, 6, 'suggested_only=false: everything');

# --- pagination ---------------------------------------------------------------------
my @all = ($space, $sub, $leaf, $pubroom, $secret, $readable);
my @seen;
my $from;
my $pages = 0;
do {
    ($st, $b) = hier($alice, $space, 'limit=2' . (defined $from ? "&from=$from" : ''));
    is($st, 200, 'page ' . ($pages + 1) . ': 200') or diag explain $b;
    cmp_ok(scalar @{ $b->{rooms} }, '<=', 2, 'page ' . ($pages + 1) . ': at most limit rooms');
    push @seen, @{ ids($b) };
    $from = $b->{next_batch};
    $pages++;
} while (defined $from && $pages < 10);
is($pages, 3, 'three pages of two');
is_deeply(\@seen, \@all, 'the pages together are the whole walk, in order');

($st, $b) = hier($alice, $space, 'limit=2');
my $tok = $b->{next_batch};
($st, $b) = hier($alice, $space, "limit=2&max_depth=1&from=$tok");
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'token used with another max_depth');
($st, $b) = hier($alice, $space, "limit=2&suggested_only=true&from=$tok");
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'token used with another suggested_only');
($st, $b) = hier($alice, $sub, "limit=2&from=$tok");
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'token used for another room');

# --- restricted join rules ---------------------------------------------------------------
my $restricted = create_room($alice, preset => 'private_chat', name => 'Members of the space',
    room_version => '10',
    initial_state => [{ type => 'm.room.join_rules', state_key => '',
        content => { join_rule => 'restricted',
            allow => [{ type => 'm.room_membership', room_id => $space }] } }]);
put_state($alice, $space, 'm.space.child', $restricted, { via => [$S], order => 'z' });
my $carol = $node->register_user('carol', 'pw-carol-1');
($st, $b) = hier($carol, $space);
ok(!grep({ $_ eq $restricted } @{ ids($b) }), 'restricted room hidden from a non-member of the allowed space');
($st, $b) = $node->post("$C/rooms/$space/join", {}, token => $carol->{access_token});
is($st, 200, 'carol joins the space') or diag explain $b;
($st, $b) = hier($carol, $space);
ok(scalar(grep { $_ eq $restricted } @{ ids($b) }), 'restricted room shown once in the allowed space');

is($node->stop, 0, 'clean exit');
done_testing;
