#!/usr/bin/perl
# 85-sync-rooms.t -- the rooms section of /sync over many rooms at once:
# it reads each kind of data for all rooms together, so these check that
# every room still gets exactly its own timeline (limited or not, with
# prev_batch continuing in /messages), its state at the timeline start,
# summary and heroes, unread counts, receipts and room account data,
# history visibility for a user who joined late, lazy-loaded members, and
# stripped state for several invites; timeline limit 0 and filtered
# timelines that need more than one round of reads.
use strict;
use warnings;
use Test::More;
use SyncroTest;
use SyncroTest::Rooms ();
use SyncroTest::Util qw(enc);

my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3';
my $T = JSON::PP::true();

sub sync {
    my ($u, %q) = @_;
    $q{filter} = enc($SyncroTest::JSON->encode($q{filter})) if ref $q{filter};
    $q{since} = enc($q{since}) if defined $q{since};
    my $qs = join '&', 'timeout=0', map { "$_=$q{$_}" } grep { defined $q{$_} } sort keys %q;
    my ($st, $b) = $node->get("$C/sync?$qs", token => $u->{access_token});
    die "sync failed: HTTP $st " . $SyncroTest::JSON->encode($b) unless $st == 200;
    return $b;
}

sub send_msg { SyncroTest::Rooms::send_msg($node, @_) }

sub put_state { SyncroTest::Rooms::put_state($node, @_) }

sub member_op { SyncroTest::Rooms::member_op($node, @_) }

sub create_room { SyncroTest::Rooms::create_room($node, @_) }

# /messages backwards from 'from' (a sync or room token), at most $limit: the event IDs.
sub messages_ids {
    my ($u, $room, $from, $limit) = @_;
    my ($st, $b) = $node->get("$C/rooms/" . enc($room) . "/messages?dir=b&limit=$limit&from="
        . enc($from), token => $u->{access_token});
    die "messages failed: HTTP $st" unless $st == 200;
    return [ reverse map { $_->{event_id} } @{ $b->{chunk} } ];
}

sub ids { [ map { $_->{event_id} } @{ $_[0] || [] } ] }

my $alice = $node->register_user('alice');
my $bob   = $node->register_user('bob');
my $carol = $node->register_user('carol');
my $dave  = $node->register_user('dave');

# --- timelines of many rooms, each its own ---------------------------------
# Twelve rooms of alice's with 0 .. 11 messages; bob in the even ones.
my (@rooms, %count);
for my $k (0 .. 11) {
    my $r = create_room($alice, name => "room $k");
    member_op($bob, $r, 'join') if $k % 2 == 0;
    send_msg($k % 3 ? $alice : ($k % 2 == 0 ? $bob : $alice), $r, "r$k m$_") for 1 .. $k;
    push @rooms, $r;
    $count{$r} = $k;
}
# A name change inside the timeline of room 11, before it for room 10.
my $name11 = put_state($alice, $rooms[11], 'm.room.name', '', { name => 'eleven' });
send_msg($alice, $rooms[11], 'after the name');
my $name10 = put_state($alice, $rooms[10], 'm.room.name', '', { name => 'ten' });
send_msg($alice, $rooms[10], "r10 tail $_") for 1 .. 6;

my $lim = { room => { timeline => { limit => 5 } } };
my $s = sync($alice, filter => $lim);
is(scalar(grep { $s->{rooms}{join}{$_} } @rooms), 12, 'many rooms: all twelve in rooms.join');
my $ok_tl = 0;
my $ok_prev = 0;
my $ok_disjoint = 0;
for my $r (@rooms) {
    my $j = $s->{rooms}{join}{$r};
    my $want = messages_ids($alice, $r, $s->{next_batch}, 5);
    my $tl = ids($j->{timeline}{events});
    $ok_tl++ if "@$tl" eq "@$want" && $j->{timeline}{limited};
    # prev_batch continues exactly below the timeline
    my $below = messages_ids($alice, $r, $j->{timeline}{prev_batch}, 3);
    my $above = messages_ids($alice, $r, $s->{next_batch}, @$below + @$tl);
    $ok_prev++ if @$below && "@$below @$tl" eq "@$above";
    my %in = map { $_ => 1 } @$tl;
    $ok_disjoint++ unless grep { $in{$_} } @{ ids($j->{state}{events}) };
}
is($ok_tl, 12, 'many rooms: each timeline is its room\'s newest five, limited');
is($ok_prev, 12, 'many rooms: each prev_batch continues just below its timeline');
is($ok_disjoint, 12, 'many rooms: no event both in a room\'s state and its timeline');

my %st11 = map { ($_->{type} => $_->{event_id}) } @{ $s->{rooms}{join}{ $rooms[11] }{state}{events} };
my %st10 = map { ($_->{type} => $_->{event_id}) } @{ $s->{rooms}{join}{ $rooms[10] }{state}{events} };
ok(!exists $st11{'m.room.name'} || $st11{'m.room.name'} ne $name11,
    'state at the timeline start: a name change inside the timeline is not in state');
is($st10{'m.room.name'}, $name10, 'state at the timeline start: a name change before it is');

# Not limited when everything fits.
$s = sync($alice, filter => { room => { timeline => { limit => 50 } } });
my $whole = 0;
for my $r (@rooms) {
    my $j = $s->{rooms}{join}{$r};
    $whole++ if !$j->{timeline}{limited} && $j->{timeline}{events}[0]{type} eq 'm.room.create';
}
is($whole, 12, 'limit 50: every room whole from its creation, not limited');

# Timeline limit 0: no events, and state is the whole current state.
$s = sync($alice, filter => { room => { timeline => { limit => 0 } } });
my $zero = 0;
for my $r (@rooms) {
    my $j = $s->{rooms}{join}{$r};
    my ($st, $cur) = $node->get("$C/rooms/" . enc($r) . '/state', token => $alice->{access_token});
    my @want = sort map { $_->{event_id} } @$cur;
    my @got = sort @{ ids($j->{state}{events}) };
    $zero++ if !@{ $j->{timeline}{events} } && $j->{timeline}{limited} && "@got" eq "@want";
}
is($zero, 12, 'limit 0: empty limited timelines, state is each room\'s current state');

# A timeline filter that rejects most rows: rooms need more than one round of reads.
for my $k (0, 4, 8) {
    put_state($alice, $rooms[$k], 'org.example.filler', "f$_", { n => $_ }) for 1 .. 25;
}
$s = sync($alice, filter => { room => { timeline => { limit => 3, types => ['m.room.message'] } } });
my $filtered = 0;
for my $k (0, 4, 8) {
    my $j = $s->{rooms}{join}{ $rooms[$k] };
    my @bodies = map { $_->{content}{body} } @{ $j->{timeline}{events} };
    my @want = map { "r$k m$_" } grep { $_ >= 1 } ($k - 2 .. $k);
    $filtered++ if "@bodies" eq "@want";
}
is($filtered, 3, 'filtered timelines: the newest messages found under many other events');

# --- summaries and heroes across rooms ----------------------------------------
my @srooms = map { create_room($carol, name => "s$_") } 0 .. 3;
member_op($alice, $_, 'join') for @srooms;
member_op($bob, $srooms[1], 'join');
member_op($dave, $srooms[2], 'join');
member_op($bob, $srooms[2], 'join');
member_op($carol, $srooms[3], 'invite', { user_id => $dave->{user_id} });
$s = sync($alice, filter => { room => { rooms => \@srooms, timeline => { limit => 1 } } });
my %want_sum = (
    0 => [ 2, 0, [ $carol->{user_id} ] ],
    1 => [ 3, 0, [ sort $bob->{user_id}, $carol->{user_id} ] ],
    2 => [ 4, 0, [ sort $bob->{user_id}, $carol->{user_id}, $dave->{user_id} ] ],
    3 => [ 2, 1, [ sort $carol->{user_id}, $dave->{user_id} ] ],
);
for my $k (0 .. 3) {
    my $sum = $s->{rooms}{join}{ $srooms[$k] }{summary};
    is_deeply([ $sum->{'m.joined_member_count'}, $sum->{'m.invited_member_count'},
        $sum->{'m.heroes'} ], $want_sum{$k}, "summary of room s$k: counts and heroes");
}

# --- unread counts, receipts and room account data per room ---------------------
my @urooms = map { create_room($alice, name => "u$_") } 0 .. 2;
member_op($bob, $_, 'join') for @urooms;
my %last;
for my $k (0 .. 2) {
    $last{$k} = send_msg($bob, $urooms[$k], "u$k b$_") for 1 .. $k + 1;
}
my ($st, $b) = $node->post("$C/rooms/" . enc($urooms[1]) . '/receipt/m.read/' . enc($last{1}), {},
    token => $alice->{access_token});
is($st, 200, 'receipt in u1: 200');
($st) = $node->put("$C/user/" . enc($alice->{user_id}) . '/rooms/' . enc($urooms[2])
    . '/tags/u.work', { order => 0.5 }, token => $alice->{access_token});
is($st, 200, 'tag on u2: 200');
$s = sync($alice, filter => { room => { rooms => \@urooms } });
my @counts = map { $s->{rooms}{join}{$_}{unread_notifications}{notification_count} } @urooms;
is_deeply(\@counts, [ 1, 0, 3 ], 'unread counts: each room its own, u1 read');
my @rcpt = map { scalar grep { $_->{type} eq 'm.receipt' } @{ $s->{rooms}{join}{$_}{ephemeral}{events} || [] } }
    @urooms;
is_deeply(\@rcpt, [ 0, 1, 0 ], 'receipts: only u1 has one');
ok(exists $s->{rooms}{join}{ $urooms[1] }{ephemeral}{events}[0]{content}{ $last{1} },
    'receipts: for the event read');
my @tags = map { exists $s->{rooms}{join}{$_}{account_data} ? 1 : 0 } @urooms;
is_deeply(\@tags, [ 0, 0, 1 ], 'room account data: only u2 has its tag');
my $since = $s->{next_batch};
($st) = $node->post("$C/rooms/" . enc($urooms[0]) . '/receipt/m.read/' . enc($last{0}), {},
    token => $bob->{access_token});
$s = sync($alice, since => $since, filter => { room => { rooms => \@urooms } });
is_deeply([ sort keys %{ $s->{rooms}{join} } ], [ $urooms[0] ],
    'incremental: a new receipt brings only its room');

# --- history visibility for a user who joins late ---------------------------------
my %vis;
for my $hv (qw(shared joined invited world_readable)) {
    my $r = create_room($carol, name => "v-$hv", initial_state => [ { type => 'm.room.history_visibility',
        state_key => '', content => { history_visibility => $hv } } ]);
    send_msg($carol, $r, "$hv before $_") for 1 .. 3;
    if ($hv eq 'invited') {
        member_op($carol, $r, 'invite', { user_id => $dave->{user_id} });
        send_msg($carol, $r, "$hv after invite");
    }
    member_op($dave, $r, 'join');
    $vis{$hv} = $r;
}
$s = sync($dave, filter => { room => { rooms => [ values %vis ], timeline => { limit => 20 } } });
my %bodies = map { my $hv = $_; ($hv => [ grep { defined } map { $_->{content}{body} }
    @{ $s->{rooms}{join}{ $vis{$hv} }{timeline}{events} } ]) } keys %vis;
is_deeply($bodies{shared}, [ map { "shared before $_" } 1 .. 3 ], 'shared: history before the join');
is_deeply($bodies{world_readable}, [ map { "world_readable before $_" } 1 .. 3 ],
    'world_readable: history before the join');
is_deeply($bodies{joined}, [], 'joined: nothing before the join');
is_deeply($bodies{invited}, ['invited after invite'], 'invited: only from the invite on');

# --- lazy-loaded members across rooms ------------------------------------------
my @lrooms = map { create_room($alice, name => "l$_") } 0 .. 2;
for my $r (@lrooms) { member_op($_, $r, 'join') for $bob, $carol, $dave }
send_msg($bob, $lrooms[0], 'bob in l0');
send_msg($carol, $lrooms[1], 'carol in l1');
send_msg($dave, $lrooms[2], 'dave in l2');
my $lazy = { room => { rooms => \@lrooms, timeline => { limit => 1 },
    state => { lazy_load_members => $T } } };
$s = sync($alice, filter => $lazy);
my @sender = ($bob, $carol, $dave);
my $lazy_ok = 0;
for my $k (0 .. 2) {
    my @m = sort map { $_->{state_key} } grep { $_->{type} eq 'm.room.member' }
        @{ $s->{rooms}{join}{ $lrooms[$k] }{state}{events} };
    $lazy_ok++ if "@m" eq join ' ', sort $alice->{user_id}, $sender[$k]{user_id};
}
is($lazy_ok, 3, 'lazy: each room has the members of its own senders and the user');
$since = $s->{next_batch};
send_msg($carol, $lrooms[0], 'carol in l0');
send_msg($bob, $lrooms[1], 'bob in l1');
send_msg($bob, $lrooms[2], 'bob in l2');
$s = sync($alice, since => $since, filter => $lazy);
my @got = map { [ map { $_->{state_key} } @{ $s->{rooms}{join}{$_}{state}{events} } ] } @lrooms;
is_deeply(\@got, [ [ $carol->{user_id} ], [ $bob->{user_id} ], [ $bob->{user_id} ] ],
    'lazy incremental: each room the member of its new sender');
$since = $s->{next_batch};
send_msg($carol, $lrooms[0], 'carol again');
send_msg($bob, $lrooms[2], 'bob again');
$s = sync($alice, since => $since, filter => $lazy);
@got = map { [ map { $_->{state_key} } @{ $s->{rooms}{join}{$_}{state}{events} || [] } ] }
    @lrooms[0, 2];
is_deeply(\@got, [ [], [] ], 'lazy incremental: members already sent are not sent again');
my $red = { room => { rooms => \@lrooms, timeline => { limit => 1 },
    state => { lazy_load_members => $T, include_redundant_members => $T } } };
$s = sync($alice, since => $since, filter => $red);
@got = map { [ map { $_->{state_key} } @{ $s->{rooms}{join}{$_}{state}{events} || [] } ] }
    @lrooms[0, 2];
is_deeply(\@got, [ [ $carol->{user_id} ], [ $bob->{user_id} ] ],
    'include_redundant_members: sent again in each room');

# --- several invites and a knock in one sync ---------------------------------------
my @irooms = map { create_room($carol, preset => 'private_chat', name => "inv$_", topic => "topic $_") } 0 .. 2;
member_op($carol, $_, 'invite', { user_id => $bob->{user_id} }) for @irooms;
my $krm = create_room($carol, name => 'knock here', initial_state => [ { type => 'm.room.join_rules',
    state_key => '', content => { join_rule => 'knock' } } ]);
($st) = $node->post("$C/knock/" . enc($krm), {}, token => $bob->{access_token});
is($st, 200, 'knock: 200');
$s = sync($bob);
my $inv_ok = 0;
for my $k (0 .. 2) {
    my %ev = map { ("$_->{type}|$_->{state_key}" => $_) }
        @{ $s->{rooms}{invite}{ $irooms[$k] }{invite_state}{events} || [] };
    $inv_ok++ if ($ev{'m.room.name|'}{content}{name} // '') eq "inv$k"
        && ($ev{'m.room.topic|'}{content}{topic} // '') eq "topic $k"
        && ($ev{"m.room.member|$bob->{user_id}"}{content}{membership} // '') eq 'invite';
}
is($inv_ok, 3, 'invites: each with its own stripped name, topic and invite');
my %kev = map { ("$_->{type}|$_->{state_key}" => $_) }
    @{ $s->{rooms}{knock}{$krm}{knock_state}{events} || [] };
is($kev{'m.room.name|'}{content}{name}, 'knock here', 'knock: stripped state of its room');
is($kev{"m.room.member|$bob->{user_id}"}{content}{membership}, 'knock', 'knock: and the knock');

# --- include_leave over several left rooms, one forgotten ---------------------------
my @gone = map { create_room($alice, name => "gone$_") } 0 .. 2;
for my $r (@gone) {
    member_op($carol, $r, 'join');
    send_msg($carol, $r, 'carol was here');
    member_op($carol, $r, 'leave');
}
member_op($carol, $gone[1], 'forget');
$s = sync($carol, filter => { room => { include_leave => $T, timeline => { limit => 3 } } });
ok($s->{rooms}{leave}{ $gone[0] } && $s->{rooms}{leave}{ $gone[2] }, 'include_leave: the left rooms');
ok(!$s->{rooms}{leave}{ $gone[1] }, 'include_leave: not the forgotten one');
is($s->{rooms}{leave}{ $gone[2] }{timeline}{events}[-1]{content}{membership}, 'leave',
    'include_leave: a timeline ending with the leave');

done_testing;
