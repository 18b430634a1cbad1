#!/usr/bin/perl
# 83-messages.t -- GET /rooms/{roomId}/messages (dir, from, to, limit,
# filter, lazy-loaded members, history visibility, termination at the
# room's creation) and GET /rooms/{roomId}/context/{eventId}.
use strict;
use warnings;
use Test::More;
use SyncroTest;

my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3';
my ($st, $b);

sub enc {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9._~-])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

my $txn = 0;
sub send_msg {
    my ($u, $room, $body, $type) = @_;
    my ($st, $b) = $node->put("$C/rooms/" . enc($room) . '/send/' . ($type // 'm.room.message')
        . '/m' . ++$txn, { msgtype => 'm.text', body => $body }, token => $u->{access_token});
    die "send failed: HTTP $st" unless $st == 200;
    return $b->{event_id};
}

sub messages {
    my ($u, $room, %q) = @_;
    $q{filter} = enc($SyncroTest::JSON->encode($q{filter})) if ref $q{filter};
    $q{$_} = enc($q{$_}) for grep { defined $q{$_} && /^(from|to)$/ } keys %q;
    my $qs = join '&', map { "$_=$q{$_}" } sort keys %q;
    return $node->get("$C/rooms/" . enc($room) . "/messages?$qs", token => $u->{access_token});
}

sub ids { [ map { $_->{event_id} } @{ $_[0] } ] }

sub member_op {
    my ($u, $room, $op, $body) = @_;
    my ($st, $b) = $node->post("$C/rooms/" . enc($room) . "/$op", $body // {},
        token => $u->{access_token});
    die "$op failed: HTTP $st" unless $st == 200;
    return $b;
}

my $alice = $node->register_user('alice');
my $bob   = $node->register_user('bob');
my $carol = $node->register_user('carol');
my $eve   = $node->register_user('eve');

($st, $b) = $node->post("$C/createRoom", { preset => 'public_chat' }, token => $alice->{access_token});
my $room = $b->{room_id};
member_op($bob, $room, 'join');
my @msgs;
for my $i (1 .. 20) {
    push @msgs, send_msg($i % 2 ? $alice : $bob, $room, "m$i");
}

# --- backwards to the creation ---------------------------------------------
my (@back, $from, $pages, $last);
$pages = 0;
while (1) {
    ($st, $b) = messages($alice, $room, dir => 'b', limit => 7, defined $from ? (from => $from) : ());
    die "messages failed: HTTP $st" unless $st == 200;
    $pages++;
    push @back, @{ $b->{chunk} };
    $last = $b;
    last unless defined $b->{end};
    $from = $b->{end};
    die 'pagination does not terminate' if $pages > 20;
}
ok($pages >= 4, "backwards: several pages ($pages)");
ok(!exists $last->{end}, 'backwards: the last page has no end');
is($back[-1]{type}, 'm.room.create', 'backwards: reaches m.room.create');
is_deeply([ grep { defined } map { $_->{content}{body} } @back[0 .. 19] ], [ map { "m$_" } reverse 1 .. 20 ],
    'backwards: the messages newest first');
my %dup;
ok(!(grep { $dup{$_->{event_id}}++ } @back), 'backwards: no event twice');
my @all = reverse @back;    # the room, oldest first

# --- forwards from the start ---------------------------------------------------
my @fwd;
undef $from;
$pages = 0;
while (1) {
    ($st, $b) = messages($alice, $room, dir => 'f', limit => 6, defined $from ? (from => $from) : ());
    die "messages failed: HTTP $st" unless $st == 200;
    last unless @{ $b->{chunk} };
    push @fwd, @{ $b->{chunk} };
    ok(defined $b->{end}, 'forwards: a page with events has an end') if ++$pages == 1;
    $from = $b->{end};
    die 'pagination does not terminate' if $pages > 20;
}
is_deeply(ids(\@fwd), ids(\@all), 'forwards: exactly the room, oldest first');
ok(!exists $b->{end}, 'forwards: the empty last page has no end');

# --- from, to, limit, start --------------------------------------------------
($st, $b) = messages($alice, $room, dir => 'b', limit => 3);
is_deeply(ids($b->{chunk}), [ reverse @msgs[17 .. 19] ], 'limit 3: the newest three');
my $p1 = $b;
($st, $b) = messages($alice, $room, dir => 'b', limit => 3, from => $p1->{end});
is_deeply(ids($b->{chunk}), [ reverse @msgs[14 .. 16] ], 'from end: the next three');
is($b->{start}, $p1->{end}, 'start echoes from');
my $mid = $b->{end};
($st, $b) = messages($alice, $room, dir => 'f', limit => 2, from => $mid);
is_deeply(ids($b->{chunk}), [ @msgs[14, 15] ], 'dir f from a backwards end: the events after it');
($st, $b) = messages($alice, $room, dir => 'b', limit => 50, from => $p1->{end}, to => $mid);
is_deeply(ids($b->{chunk}), [ reverse @msgs[14 .. 16] ], 'to: stops at the token');
ok(!exists $b->{end}, 'to: nothing further when the token is reached');
($st, $b) = messages($alice, $room, dir => 'f', limit => 50, from => $mid, to => $p1->{end});
is_deeply(ids($b->{chunk}), [ @msgs[14 .. 16] ], 'dir f with to: the same three, oldest first');
($st, $b) = $node->get("$C/sync", token => $alice->{access_token});
($st, $b) = messages($alice, $room, dir => 'b', limit => 1, from => $b->{next_batch});
is_deeply(ids($b->{chunk}), [ $msgs[19] ], 'a sync next_batch works as from');
($st, $b) = messages($alice, $room, limit => 2);
is_deeply(ids($b->{chunk}), [ reverse @msgs[18, 19] ], 'no dir: backwards');
($st, $b) = messages($alice, $room, dir => 'x');
is($st, 400, 'dir x: 400');
is($b->{errcode}, 'M_INVALID_PARAM', 'dir x: M_INVALID_PARAM');
($st, $b) = messages($alice, $room, dir => 'b', limit => 'many');
is($st, 400, 'limit not a number: 400');
($st, $b) = messages($alice, $room, dir => 'b', from => 'garbage');
is($st, 400, 'from garbage: 400');
is($b->{errcode}, 'M_INVALID_PARAM', 'from garbage: M_INVALID_PARAM');
($st, $b) = messages($alice, $room, dir => 'b', limit => 5000);
is(scalar @{ $b->{chunk} }, scalar @all, 'a huge limit: the whole room in one page');

# --- filter ----------------------------------------------------------------
($st, $b) = messages($alice, $room, dir => 'b', limit => 5, filter => { senders => [ $bob->{user_id} ] });
is_deeply(ids($b->{chunk}), [ map { $msgs[$_] } 19, 17, 15, 13, 11 ], 'filter senders: bob\'s only');
($st, $b) = messages($alice, $room, dir => 'b', limit => 100, filter => { types => ['m.room.member'] });
is_deeply([ map { $_->{state_key} } @{ $b->{chunk} } ], [ $bob->{user_id}, $alice->{user_id} ],
    'filter types: only member events');
($st, $b) = messages($alice, $room, dir => 'b', limit => 100,
    filter => { not_types => ['m.room.message'] });
ok(!(grep { $_->{type} eq 'm.room.message' } @{ $b->{chunk} }) && @{ $b->{chunk} } >= 5,
    'filter not_types: no messages, the rest');
($st, $b) = messages($alice, $room, dir => 'b', limit => 2, filter => { lazy_load_members => JSON::PP::true() });
is_deeply([ sort map { $_->{state_key} } @{ $b->{state} } ], [ sort $alice->{user_id}, $bob->{user_id} ],
    'lazy_load_members: state has both senders');
($st, $b) = messages($alice, $room, dir => 'b', limit => 1, filter => { lazy_load_members => JSON::PP::true() });
is_deeply([ map { $_->{state_key} } @{ $b->{state} } ], [ $bob->{user_id} ],
    'lazy_load_members, one event: only its sender');
is($b->{state}[0]{content}{membership}, 'join', '... a join');
($st, $b) = messages($alice, $room, dir => 'b', limit => 1);
ok(!exists $b->{state}, 'no lazy loading: no state');
($st, $b) = messages($alice, $room, dir => 'b', filter => { senders => 'nope' });
is($st, 400, 'a malformed filter: 400');

# --- history visibility -----------------------------------------------------
($st, $b) = $node->post("$C/createRoom", { preset => 'public_chat',
    initial_state => [ { type => 'm.room.history_visibility', state_key => '',
        content => { history_visibility => 'joined' } } ] }, token => $alice->{access_token});
my $hroom = $b->{room_id};
my @secret = map { send_msg($alice, $hroom, "secret $_") } 1 .. 30;
member_op($carol, $hroom, 'join');
my $seen = send_msg($alice, $hroom, 'after carol joined');
my @carol_back;
undef $from;
$pages = 0;
while (1) {
    ($st, $b) = messages($carol, $hroom, dir => 'b', limit => 10, defined $from ? (from => $from) : ());
    is($st, 200, "joined-only history: page $pages 200") if $pages == 0;
    push @carol_back, @{ $b->{chunk} };
    last unless defined $b->{end};
    $from = $b->{end};
    last if ++$pages > 20;
}
ok($pages <= 20, 'joined-only history: pagination terminates');
is_deeply([ map { $_->{content}{body} // $_->{content}{membership} } @carol_back[0, 1] ],
    [ 'after carol joined', 'join' ], 'joined-only history: the newest are the message and the join');
ok(!(grep { ($_->{content}{body} // '') =~ /^secret/ } @carol_back),
    'joined-only history: no message from before the join');
($st, $b) = messages($alice, $hroom, dir => 'b', limit => 100);
is(scalar(grep { ($_->{content}{body} // '') =~ /^secret/ } @{ $b->{chunk} }), 30,
    'joined-only history: the creator sees it all');
($st, $b) = messages($eve, $hroom, dir => 'b');
is($st, 403, 'not a member: 403');
is($b->{errcode}, 'M_FORBIDDEN', 'not a member: M_FORBIDDEN');
# a former member sees up to their leave
member_op($carol, $hroom, 'leave');
send_msg($alice, $hroom, 'after carol left');
($st, $b) = messages($carol, $hroom, dir => 'b', limit => 10);
is($st, 200, 'former member: 200');
ok(!(grep { ($_->{content}{body} // '') eq 'after carol left' } @{ $b->{chunk} }),
    'former member: nothing after the leave');
ok((grep { ($_->{content}{body} // '') eq 'after carol joined' } @{ $b->{chunk} }),
    'former member: what they saw while joined');

# shared history: a later joiner sees what came before
member_op($carol, $room, 'join');
($st, $b) = messages($carol, $room, dir => 'b', limit => 50);
ok((grep { ($_->{content}{body} // '') eq 'm1' } @{ $b->{chunk} }), 'shared history: the new member sees m1');

# --- /context -------------------------------------------------------------------
sub context {
    my ($u, $room, $ev, %q) = @_;
    $q{filter} = enc($SyncroTest::JSON->encode($q{filter})) if ref $q{filter};
    my $qs = join '&', map { "$_=$q{$_}" } sort keys %q;
    return $node->get("$C/rooms/" . enc($room) . '/context/' . enc($ev) . ($qs ? "?$qs" : ''),
        token => $u->{access_token});
}
($st, $b) = context($alice, $room, $msgs[9], limit => 4);
is($st, 200, 'context: 200');
is($b->{event}{event_id}, $msgs[9], 'context: the event');
is_deeply(ids($b->{events_before}), [ @msgs[8, 7] ], 'context: two before, newest first');
is_deeply(ids($b->{events_after}), [ @msgs[10, 11] ], 'context: two after, oldest first');
my %ctx_state = map { ("$_->{type}|$_->{state_key}" => 1) } @{ $b->{state} };
ok($ctx_state{'m.room.create|'} && $ctx_state{"m.room.member|$bob->{user_id}"}, 'context: the room state');
my $ctx = $b;
($st, $b) = messages($alice, $room, dir => 'b', limit => 1, from => $ctx->{start});
is_deeply(ids($b->{chunk}), [ $msgs[6] ], 'context start: /messages continues before it');
($st, $b) = messages($alice, $room, dir => 'f', limit => 1, from => $ctx->{end});
is_deeply(ids($b->{chunk}), [ $msgs[12] ], 'context end: /messages continues after it');
($st, $b) = context($alice, $room, $msgs[9], limit => 4, filter => { senders => [ $alice->{user_id} ],
    lazy_load_members => JSON::PP::true() });
is_deeply(ids($b->{events_before}), [ @msgs[8, 6] ], 'context filter: before, alice only');
is_deeply(ids($b->{events_after}), [ @msgs[10, 12] ], 'context filter: after, alice only');
($st, $b) = context($alice, $room, $msgs[9], limit => 4, filter => { lazy_load_members => JSON::PP::true() });
is_deeply([ sort map { $_->{state_key} } @{ $b->{state} } ], [ sort $alice->{user_id}, $bob->{user_id} ],
    'context lazy_load_members: the senders\' members only');
($st, $b) = context($alice, $room, '$nope');
is($st, 404, 'context: unknown event 404');
($st, $b) = context($carol, $hroom, $secret[3]);
is($st, 404, 'context: an event the user may not see 404');
($st, $b) = context($alice, $hroom, $msgs[3]);
is($st, 404, 'context: an event of another room 404');

# bundled aggregations: an edit shows on the original
($st, $b) = $node->put("$C/rooms/" . enc($room) . '/send/m.room.message/edit1',
    { msgtype => 'm.text', body => '* m1 edited', 'm.new_content' => { msgtype => 'm.text', body => 'm1 edited' },
      'm.relates_to' => { rel_type => 'm.replace', event_id => $msgs[0] } }, token => $alice->{access_token});
my $edit = $b->{event_id};
($st, $b) = context($alice, $room, $msgs[0], limit => 0);
is($b->{event}{unsigned}{'m.relations'}{'m.replace'}{event_id}, $edit, 'context: the event bundles its edit');
($st, $b) = messages($alice, $room, dir => 'b', limit => 100);
my ($orig) = grep { $_->{event_id} eq $msgs[0] } @{ $b->{chunk} };
is($orig->{unsigned}{'m.relations'}{'m.replace'}{event_id}, $edit, '/messages: the original bundles its edit');
my ($plain) = grep { $_->{event_id} eq $msgs[1] } @{ $b->{chunk} };
ok($plain && !exists $plain->{unsigned}{'m.relations'}, '/messages: an event without relations has none');

done_testing;
