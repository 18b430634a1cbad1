#!/usr/bin/perl
# 82-sync.t -- GET /sync, the rooms section: initial shape, incremental
# timelines (exact events, order), limited timelines and prev_batch into
# /messages, long-poll wake-up latency, state vs timeline, invites, joins,
# leaves (include_leave), room and lazy-loading filters, and the no-skip /
# no-duplicate property across a chain of syncs and a syncrod restart.
use strict;
use warnings;
use Test::More;
use POSIX ();
use Time::HiRes qw(time sleep);
use SyncroTest;
use SyncroTest::Rooms ();

my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3';
my ($st, $b);

sub enc {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9._~-])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

sub json_q { enc($SyncroTest::JSON->encode($_[0])) }

sub sync {
    my ($u, %q) = @_;
    $q{filter} = json_q($q{filter}) if ref $q{filter};
    my $qs = join '&', map { "$_=$q{$_}" } grep { defined $q{$_} } sort keys %q;
    my ($st, $b) = $node->get("$C/sync" . ($qs ? "?$qs" : ''), token => $u->{access_token});
    die "sync failed: HTTP $st " . $SyncroTest::JSON->encode($b) unless $st == 200;
    return $b;
}

sub send_msg { SyncroTest::Rooms::send_msg($node, @_) }

sub put_state { SyncroTest::Rooms::put_state($node, @_) }

sub member_op { SyncroTest::Rooms::member_op($node, @_) }

sub create_room { SyncroTest::Rooms::create_room($node, @_) }

sub tl_ids {
    my ($s, $room, $section) = @_;
    my $r = $s->{rooms}{ $section // 'join' }{$room} or return [];
    return [ map { $_->{event_id} } @{ $r->{timeline}{events} } ];
}

sub state_ids {
    my ($s, $room, $section) = @_;
    my $r = $s->{rooms}{ $section // 'join' }{$room} or return [];
    return [ map { $_->{event_id} } @{ $r->{state}{events} } ];
}

my $alice = $node->register_user('alice');
my $bob   = $node->register_user('bob');
my $carol = $node->register_user('carol');
my $dave  = $node->register_user('dave');

# --- initial sync shape ----------------------------------------------------
my $room = create_room($alice, name => 'Sync room');
my @first = map { send_msg($alice, $room, "hello $_") } 1 .. 2;
my $s = sync($alice);
like($s->{next_batch}, qr/^s/, 'initial: next_batch is a sync token');
is(ref $s->{rooms}{$_}, 'HASH', "initial: rooms.$_ is an object") for qw(join invite leave knock);
my $j = $s->{rooms}{join}{$room};
ok($j, 'initial: the room is in rooms.join') or BAIL_OUT('no room in sync');
is(ref $j->{timeline}{events}, 'ARRAY', 'initial: timeline.events is an array');
ok(!$j->{timeline}{limited}, 'initial: a young room is not limited');
like($j->{timeline}{prev_batch}, qr/^t\d+$/, 'initial: prev_batch is a room token');
is_deeply([ @{ tl_ids($s, $room) }[-2, -1] ], \@first, 'initial: the timeline ends with the messages');
is($j->{timeline}{events}[0]{type}, 'm.room.create', 'initial: a whole young room, from its creation');
is($j->{summary}{'m.joined_member_count'}, 1, 'initial: summary counts one joined member');
my %in_tl = map { $_ => 1 } @{ tl_ids($s, $room) };
ok(!(grep { $in_tl{$_} } @{ state_ids($s, $room) }), 'initial: nothing both in state and timeline');

# limit 3: state at the timeline start carries what the timeline leaves out
$s = sync($alice, filter => { room => { timeline => { limit => 3 } } });
$j = $s->{rooms}{join}{$room};
is(scalar @{ $j->{timeline}{events} }, 3, 'initial, limit 3: three events');
ok($j->{timeline}{limited}, 'initial, limit 3: limited');
my %st_types = map { ($_->{type} => 1) } @{ $j->{state}{events} };
ok($st_types{'m.room.create'} && $st_types{'m.room.member'} && $st_types{'m.room.power_levels'},
    'initial, limit 3: state has create, member, power levels');
%in_tl = map { $_ => 1 } @{ tl_ids($s, $room) };
ok(!(grep { $in_tl{$_} } @{ state_ids($s, $room) }), 'initial, limit 3: no event in both');

# --- incremental after sends -----------------------------------------------
my $since = $s->{next_batch};
my @sent = map { send_msg($alice, $room, "inc $_") } 1 .. 3;
$s = sync($alice, since => $since);
is_deeply(tl_ids($s, $room), \@sent, 'incremental: exactly the three new events, in order');
ok(!$s->{rooms}{join}{$room}{timeline}{limited}, 'incremental: not limited');
is_deeply(state_ids($s, $room), [], 'incremental: no state');
$since = $s->{next_batch};
$s = sync($alice, since => $since, timeout => 0);
ok(!exists $s->{rooms}{join}{$room}, 'incremental with nothing new: the room is absent');
is($s->{next_batch}, $since, 'incremental with nothing new: the same next_batch');

# --- limited incremental, gap, /messages from prev_batch -------------------
my $lim = { room => { timeline => { limit => 4 } } };
my $name_ev = put_state($alice, $room, 'm.room.name', '', { name => 'renamed in the gap' });
my @gap = map { send_msg($alice, $room, "gap $_") } 1 .. 9;
my @newest = @gap[5 .. 8];
$s = sync($alice, since => $since, filter => $lim);
$j = $s->{rooms}{join}{$room};
is_deeply(tl_ids($s, $room), \@newest, 'limited: the newest four');
ok($j->{timeline}{limited}, 'limited: limited is true');
is_deeply(state_ids($s, $room), [$name_ev], 'limited: state delta is exactly the name change in the gap');
($st, $b) = $node->get("$C/rooms/" . enc($room) . "/messages?dir=b&limit=50&from="
    . enc($j->{timeline}{prev_batch}) . '&to=' . enc($since), token => $alice->{access_token});
is($st, 200, '/messages from prev_batch: 200');
is_deeply([ map { $_->{event_id} } @{ $b->{chunk} } ], [ reverse($name_ev, @gap[0 .. 4]) ],
    '/messages from prev_batch to the old since: exactly the gap, newest first');
$since = $s->{next_batch};

# a state change inside the timeline is not repeated in state
my $topic_ev = put_state($alice, $room, 'm.room.topic', '', { topic => 't' });
$s = sync($alice, since => $since, filter => $lim);
is_deeply(tl_ids($s, $room), [$topic_ev], 'state in timeline: the topic event is in the timeline');
is_deeply(state_ids($s, $room), [], 'state in timeline: ... and not in state');
$since = $s->{next_batch};

# --- long-poll wakes within 100 ms of a send --------------------------------
pipe(my $rd, my $wr) or die "pipe: $!";
my $pid = fork // die "fork: $!";
if ($pid == 0) {
    close $rd;
    sleep 0.5;
    my $t0 = time;
    my $id = send_msg($alice, $room, 'wake up');
    my $t1 = time;
    print $wr "$t0 $t1 $id\n";
    close $wr;
    POSIX::_exit(0);
}
close $wr;
my $t_start = time;
$s = sync($alice, since => $since, timeout => 10000);
my $t_back = time;
my ($t0, $t1, $wake_id) = split ' ', scalar <$rd>;
waitpid $pid, 0;
is_deeply(tl_ids($s, $room), [$wake_id], 'long-poll: returns the new event');
my $lat_ms = ($t_back - $t1) * 1000;
diag(sprintf('long-poll: send took %.1f ms; sync answered %.1f ms after the send returned '
    . '(%.1f ms after it started)', ($t1 - $t0) * 1000, $lat_ms, ($t_back - $t0) * 1000));
ok($t_back - $t_start >= 0.4, 'long-poll: it waited for the send');
ok($lat_ms < 100, 'long-poll: answered within 100 ms of the send');
$since = $s->{next_batch};

# --- invite, join, leave -----------------------------------------------------
my $bob_s = sync($bob)->{next_batch};
member_op($alice, $room, 'invite', { user_id => $bob->{user_id} });
$s = sync($bob, since => $bob_s);
my $inv = $s->{rooms}{invite}{$room};
ok($inv, 'invite: the room is in rooms.invite');
my %stripped = map { ("$_->{type}|$_->{state_key}" => $_) } @{ $inv->{invite_state}{events} || [] };
ok($stripped{'m.room.create|'}, 'invite: stripped state has m.room.create');
ok($stripped{'m.room.name|'}, 'invite: ... and m.room.name');
is($stripped{"m.room.member|$bob->{user_id}"}{content}{membership}, 'invite',
    'invite: ... and the invite itself');
ok(!exists $stripped{'m.room.create|'}{event_id}, 'invite: stripped events carry no event_id');
ok(!exists $s->{rooms}{join}{$room}, 'invite: not in rooms.join');
$bob_s = $s->{next_batch};
$s = sync($bob, since => $bob_s, timeout => 0);
ok(!exists $s->{rooms}{invite}{$room}, 'invite: sent once, not again');
member_op($bob, $room, 'join');
$s = sync($bob, since => $bob_s);
ok(!exists $s->{rooms}{invite}{$room}, 'join: no longer in rooms.invite');
$j = $s->{rooms}{join}{$room};
ok($j, 'join: the room is in rooms.join');
ok((grep { $_->{type} eq 'm.room.create' } @{ $j->{state}{events} },
    @{ $j->{timeline}{events} }), 'join: the joiner gets the room from its state');
is($j->{timeline}{events}[-1]{state_key}, $bob->{user_id}, 'join: the timeline ends with the join');
$bob_s = $s->{next_batch};

my $bye = send_msg($alice, $room, 'before bob leaves');
member_op($bob, $room, 'leave');
my $after_leave = send_msg($alice, $room, 'after bob left');
$s = sync($bob, since => $bob_s);
my $lv = $s->{rooms}{leave}{$room};
ok($lv, 'leave: the room is in rooms.leave');
ok(!exists $s->{rooms}{join}{$room}, 'leave: not in rooms.join');
is_deeply([ map { $_->{event_id} } @{ $lv->{timeline}{events} }[0] ], [$bye],
    'leave: the timeline has what came before the leave');
is($lv->{timeline}{events}[-1]{content}{membership}, 'leave', 'leave: ... and ends with the leave');
ok(!(grep { $_ eq $after_leave } map { $_->{event_id} } @{ $lv->{timeline}{events} }),
    'leave: nothing after the leave');
$bob_s = $s->{next_batch};
$s = sync($bob, since => $bob_s, timeout => 0);
ok(!exists $s->{rooms}{leave}{$room}, 'leave: reported once');

$s = sync($bob);
ok(!exists $s->{rooms}{leave}{$room}, 'initial without include_leave: no left room');
$s = sync($bob, filter => { room => { include_leave => JSON::PP::true() } });
ok($s->{rooms}{leave}{$room}, 'initial with include_leave: the left room');
is($s->{rooms}{leave}{$room}{timeline}{events}[-1]{content}{membership}, 'leave',
    'initial with include_leave: its timeline ends with the leave');

# rejecting an invite reaches the invitee as a leave
my $room_r = create_room($alice);
my $carol_s = sync($carol)->{next_batch};
member_op($alice, $room_r, 'invite', { user_id => $carol->{user_id} });
member_op($carol, $room_r, 'leave');
$s = sync($carol, since => $carol_s);
ok($s->{rooms}{leave}{$room_r}, 'rejected invite: in rooms.leave');
my @rej = @{ $s->{rooms}{leave}{$room_r}{timeline}{events} };
ok(@rej && !(grep { $_->{type} ne 'm.room.member' || $_->{state_key} ne $carol->{user_id} } @rej),
    'rejected invite: the timeline is only carol\'s own membership (no history)');
is($rej[-1]{content}{membership}, 'leave', 'rejected invite: ... ending with the leave');

# --- room filters ----------------------------------------------------------
my $room2 = create_room($alice);
$s = sync($alice, filter => { room => { rooms => [$room2] } });
is_deeply([ sort keys %{ $s->{rooms}{join} } ], [$room2], 'room filter rooms: only that room');
$s = sync($alice, filter => { room => { not_rooms => [$room2] } });
ok($s->{rooms}{join}{$room} && !$s->{rooms}{join}{$room2}, 'room filter not_rooms: the other room');
$s = sync($alice, filter => { room => { timeline => { types => ['m.room.message'] } } });
ok(!(grep { $_->{type} ne 'm.room.message' } @{ $s->{rooms}{join}{$room}{timeline}{events} }),
    'timeline filter types: only messages');
is(scalar @{ $s->{rooms}{join}{$room}{timeline}{events} }, 10, 'timeline filter types: still ten');

# --- lazy loading members ----------------------------------------------------
my $lroom = create_room($alice);
member_op($_, $lroom, 'join') for $bob, $carol, $dave;
send_msg($_, $lroom, 'hi from ' . $_->{user_id}) for $carol, $dave;
my @bob_msgs = map { send_msg($bob, $lroom, "bob $_") } 1 .. 2;
my $lazy = { room => { rooms => [$lroom], timeline => { limit => 2 },
    state => { lazy_load_members => JSON::PP::true() } } };
$s = sync($alice, filter => $lazy);
my @members = sort map { $_->{state_key} } grep { $_->{type} eq 'm.room.member' }
    @{ $s->{rooms}{join}{$lroom}{state}{events} };
is_deeply(\@members, [ sort $alice->{user_id}, $bob->{user_id} ],
    'lazy: members are the timeline sender and the syncing user');
ok((grep { $_->{type} eq 'm.room.create' } @{ $s->{rooms}{join}{$lroom}{state}{events} }),
    'lazy: other state is all there');
$s = sync($alice, filter => { room => { rooms => [$lroom], timeline => { limit => 2 } } });
@members = sort map { $_->{state_key} } grep { $_->{type} eq 'm.room.member' }
    @{ $s->{rooms}{join}{$lroom}{state}{events} };
is(scalar @members, 4, 'not lazy: all four members');
my $lsince = $s->{next_batch};
my $dave_msg = send_msg($dave, $lroom, 'dave again');
$s = sync($alice, since => $lsince, filter => $lazy);
@members = map { $_->{state_key} } grep { $_->{type} eq 'm.room.member' }
    @{ $s->{rooms}{join}{$lroom}{state}{events} };
is_deeply(\@members, [ $dave->{user_id} ], 'lazy incremental: the new sender\'s member event');
$lsince = $s->{next_batch};
send_msg($dave, $lroom, 'dave a third time');
$s = sync($alice, since => $lsince, filter => $lazy);
is(scalar @{ $s->{rooms}{join}{$lroom}{timeline}{events} }, 1, 'lazy incremental again: one event');
is_deeply($s->{rooms}{join}{$lroom}{state}{events}, [], 'lazy incremental again: the member is not resent');
my $redundant = { room => { rooms => [$lroom], state => { lazy_load_members => JSON::PP::true(),
    include_redundant_members => JSON::PP::true() } } };
$s = sync($alice, since => $lsince, filter => $redundant);
@members = map { $_->{state_key} } @{ $s->{rooms}{join}{$lroom}{state}{events} };
is_deeply(\@members, [ $dave->{user_id} ], 'include_redundant_members: the member is sent again');

# --- unread notifications ----------------------------------------------------
$s = sync($alice, filter => { room => { rooms => [ $lroom, $room2 ], timeline => { limit => 1 } } });
cmp_ok($s->{rooms}{join}{$lroom}{unread_notifications}{notification_count}, '>=', 6,
    'unread_notifications: messages from the others count');
is($s->{rooms}{join}{$room2}{unread_notifications}{notification_count}, 0,
    'unread_notifications: none in a room with no one else');
is($s->{rooms}{join}{$room2}{unread_notifications}{highlight_count}, 0, '... and no highlights');

# --- no skip, no duplicate: a sync chain racing with sends --------------------
my $croom = create_room($alice);
my $chain = sync($alice, filter => { room => { rooms => [$croom] } })->{next_batch};
$pid = fork // die "fork: $!";
if ($pid == 0) {
    send_msg($alice, $croom, "race $_") for 1 .. 40;
    POSIX::_exit(0);
}
my (@seen, $limited_seen);
my $chain_filter = { room => { rooms => [$croom], timeline => { limit => 100 } } };
my $deadline = time + 30;
while (time < $deadline) {
    $s = sync($alice, since => $chain, filter => $chain_filter, timeout => 1000);
    $limited_seen ||= $s->{rooms}{join}{$croom}{timeline}{limited};
    push @seen, map { $_->{content}{body} } @{ $s->{rooms}{join}{$croom}{timeline}{events} || [] };
    $chain = $s->{next_batch};
    last if @seen >= 40 && waitpid($pid, 1) != 0;
}
waitpid $pid, 0;
is_deeply(\@seen, [ map { "race $_" } 1 .. 40 ], 'sync chain: every event exactly once, in order');
ok(!$limited_seen, 'sync chain: never limited');

# --- across a restart ---------------------------------------------------------
my @before = map { send_msg($alice, $croom, "pre-restart $_") } 1 .. 3;
$node->restart;
my @after = map { send_msg($alice, $croom, "post-restart $_") } 1 .. 2;
$s = sync($alice, since => $chain, filter => $chain_filter);
is_deeply(tl_ids($s, $croom), [ @before, @after ], 'restart: the saved since token gets exactly the new events');
$chain = $s->{next_batch};
my $late = send_msg($alice, $croom, 'late');
$s = sync($alice, since => $chain, filter => $chain_filter);
is_deeply(tl_ids($s, $croom), [$late], 'restart: the next sync has only the newest');

done_testing;
