#!/usr/bin/perl
# 69-search.t -- POST /search (room_events: which rooms and events a user
# may find, keys, filters, ordering, pagination, event context) and
# POST /user_directory/search (who a user may find, matching, limits).
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

sub join_room {
    my ($u, $room) = @_;
    my ($st, $b) = $node->post("$C/rooms/$room/join", {}, token => $u->{access_token});
    die "join failed: $st " . explain($b) unless $st == 200;
}

my $txn = 0;
sub say {
    my ($u, $room, $body) = @_;
    $txn++;
    my ($st, $b) = $node->put("$C/rooms/$room/send/m.room.message/t$txn",
        { msgtype => 'm.text', body => $body }, token => $u->{access_token});
    die "send failed: $st " . explain($b) unless $st == 200;
    return $b->{event_id};
}

sub search {
    my ($u, $cat, %opt) = @_;
    my $path = "$C/search" . (defined $opt{next_batch} ? "?next_batch=$opt{next_batch}" : '');
    return $node->post($path, { search_categories => { room_events => $cat } },
        $u ? (token => $u->{access_token}) : ());
}

sub results { $_[0]{search_categories}{room_events} || {} }
sub bodies { [map { $_->{result}{content}{body} // $_->{result}{content}{name} } @{ results($_[0])->{results} || [] }] }
sub sorted { [sort @{ $_[0] }] }

my $alice = $node->register_user('alice', 'pw-alice-1');
my $bob   = $node->register_user('bob', 'pw-bob-1');
my $carol = $node->register_user('carol', 'pw-carol-1');
my $dave  = $node->register_user('dave', 'pw-dave-1');
my $erin  = $node->register_user('erin', 'pw-erin-1');

# Room A: alice and bob.  Room B: carol only (public).  Room C: bob left it.
# Room D: history visible to joined members only; bob joins half way.
my $ra = create_room($alice, preset => 'public_chat', name => 'Fox den');
join_room($bob, $ra);
say($alice, $ra, 'the quick brown fox');
say($bob, $ra, 'lazy dogs sleep');
my $clever = say($alice, $ra, 'Foxes are clever');
my $rb = create_room($carol, preset => 'public_chat', name => 'B');
say($carol, $rb, 'a fox in room B');
my $rc = create_room($alice, preset => 'public_chat', name => 'C');
join_room($bob, $rc);
say($bob, $rc, 'a fox in room C');
($st, $b) = $node->post("$C/rooms/$rc/leave", {}, token => $bob->{access_token});
die 'leave failed' unless $st == 200;
my $rd = create_room($alice, preset => 'public_chat', name => 'D',
    initial_state => [{ type => 'm.room.history_visibility', state_key => '',
        content => { history_visibility => 'joined' } }]);
say($alice, $rd, 'fox before bob joined');
join_room($bob, $rd);
say($alice, $rd, 'fox after bob joined');

# --- request errors -----------------------------------------------------------------
($st, $b) = search(undef, { search_term => 'fox' });
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'no token');
($st, $b) = $node->post("$C/search", {}, token => $bob->{access_token});
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'no search_categories');
($st, $b) = search($bob, {});
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'no search_term');
($st, $b) = search($bob, { search_term => 'fox', order_by => 'random' });
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'unknown order_by');
($st, $b) = search($bob, { search_term => 'fox', keys => ['content.msgtype'] });
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'unknown key');
($st, $b) = search($bob, { search_term => 'fox', filter => { limit => 0 } });
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'filter.limit 0');
($st, $b) = search($bob, { search_term => 'fox', filter => { rooms => 'x' } });
errcode_is($st, $b, 400, 'M_BAD_JSON', 'filter.rooms not a list');
($st, $b) = search($bob, { search_term => 'fox' }, next_batch => 'bogus');
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'malformed next_batch');

# --- what bob finds ---------------------------------------------------------------------
($st, $b) = search($bob, { search_term => 'fox' });
is($st, 200, 'bob searches: 200') or diag explain $b;
is_deeply(sorted(bodies($b)),
    sorted(['the quick brown fox', 'Foxes are clever', 'Fox den', 'fox after bob joined']),
    'bob finds prefix matches in rooms he is in, names too, and only what he may see');
ok(!grep({ $_->{result}{room_id} eq $rb || $_->{result}{room_id} eq $rc }
    @{ results($b)->{results} }), 'nothing from a room he never joined or has left');
ok(!grep({ ($_ // '') eq 'fox before bob joined' } @{ bodies($b) }),
    'nothing from before his join in a joined-only room');
ok(grep({ $_ eq 'fox' } @{ results($b)->{highlights} || [] }), 'highlights name the word');
ok(results($b)->{count} >= 4, 'count counts the matches');
my ($r0) = @{ results($b)->{results} };
ok(defined $r0->{rank}, 'each result has a rank');
ok(defined $r0->{result}{event_id} && defined $r0->{result}{sender}
    && defined $r0->{result}{origin_server_ts}, 'results are client events');
ok(exists $r0->{result}{unsigned}, 'results carry unsigned');

# carol finds her own room's message, and none of bob's.
($st, $b) = search($carol, { search_term => 'fox' });
is_deeply(bodies($b), ['a fox in room B'], 'carol finds only her room');

# keys
($st, $b) = search($bob, { search_term => 'fox', keys => ['content.name'] });
is_deeply(bodies($b), ['Fox den'], 'keys content.name: room names only');
($st, $b) = search($bob, { search_term => 'fox', keys => ['content.body'] });
ok(!grep({ ($_ // '') eq 'Fox den' } @{ bodies($b) }), 'keys content.body: no names');
is(scalar @{ bodies($b) }, 3, 'keys content.body: the three visible messages');

# filters
($st, $b) = search($bob, { search_term => 'fox', filter => { rooms => [$rb] } });
is($st, 200, 'filter on a room bob is not in: 200');
is_deeply(bodies($b), [], '... finds nothing');
is(results($b)->{count}, 0, '... count 0');
($st, $b) = search($bob, { search_term => 'fox', keys => ['content.body'], filter => { rooms => [$ra] } });
is_deeply(sorted(bodies($b)), sorted(['the quick brown fox', 'Foxes are clever']),
    'filter.rooms narrows to a room');
($st, $b) = search($bob, { search_term => 'fox', keys => ['content.body'], filter => { not_rooms => [$ra] } });
is_deeply(bodies($b), ['fox after bob joined'], 'filter.not_rooms leaves a room out');
($st, $b) = search($bob, { search_term => 'fox', filter => { senders => [$bob->{user_id}] } });
is_deeply(bodies($b), [], 'filter.senders: bob wrote no fox');
($st, $b) = search($bob, { search_term => 'dogs', filter => { not_senders => [$bob->{user_id}] } });
is_deeply(bodies($b), [], 'filter.not_senders drops bob\'s message');
($st, $b) = search($bob, { search_term => 'dogs' });
is_deeply(bodies($b), ['lazy dogs sleep'], '... which is otherwise found');
($st, $b) = search($bob, { search_term => 'zebra' });
is_deeply(bodies($b), [], 'no match: no results');
($st, $b) = search($bob, { search_term => '!!!' });
is($st, 200, 'a term without words: 200');
is_deeply(bodies($b), [], '... no results');

# ordering and pagination
($st, $b) = search($bob, { search_term => 'fox', order_by => 'recent', keys => ['content.body'] });
is_deeply(bodies($b), ['fox after bob joined', 'Foxes are clever', 'the quick brown fox'],
    'order_by recent: newest first');
for my $order (qw(recent rank)) {
    my (@got, $next, $pages);
    do {
        ($st, $b) = search($bob, { search_term => 'fox', order_by => $order,
            filter => { limit => 1 } }, defined $next ? (next_batch => $next) : ());
        is($st, 200, "$order page: 200") or diag explain $b;
        cmp_ok(scalar @{ bodies($b) }, '<=', 1, "$order page: at most one result");
        push @got, @{ bodies($b) };
        $next = results($b)->{next_batch};
        $pages++;
    } while (defined $next && $pages < 10);
    is_deeply(sorted(\@got),
        sorted(['the quick brown fox', 'Foxes are clever', 'Fox den', 'fox after bob joined']),
        "$order pagination covers every visible match once");
}
($st, $b) = search($bob, { search_term => 'fox', order_by => 'rank', filter => { limit => 1 } });
my $rank_tok = results($b)->{next_batch};
($st, $b) = search($bob, { search_term => 'fox', order_by => 'recent' }, next_batch => $rank_tok);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'a rank token with order_by recent');

# event context
($st, $b) = search($bob, { search_term => 'clever', event_context => {
    before_limit => 1, after_limit => 1, include_profile => JSON::PP::true } });
is($st, 200, 'event_context: 200') or diag explain $b;
my $ctx = results($b)->{results}[0]{context};
is(scalar @{ $ctx->{events_before} }, 1, 'events_before: before_limit events');
is($ctx->{events_before}[0]{content}{body}, 'lazy dogs sleep', 'events_before: the previous event');
ok(ref $ctx->{events_after} eq 'ARRAY', 'events_after is a list');
ok(exists $ctx->{profile_info}{ $alice->{user_id} }, 'profile_info for the sender');
($st, $b) = search($bob, { search_term => 'clever', event_context => {
    before_limit => 0, after_limit => 0 } });
is_deeply(results($b)->{results}[0]{context}{events_before}, [], 'before_limit 0: none');
($st, $b) = search($bob, { search_term => 'clever', event_context => { before_limit => -1 } });
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'negative before_limit');

# redacted events are not found
($st, $b) = $node->put("$C/rooms/$ra/redact/$clever/r1", {}, token => $alice->{access_token});
is($st, 200, 'alice redacts a message') or diag explain $b;
($st, $b) = search($bob, { search_term => 'clever' });
is_deeply(bodies($b), [], 'a redacted message is not found');

# --- user directory -------------------------------------------------------------------
sub usearch {
    my ($u, $body) = @_;
    return $node->post("$C/user_directory/search", $body, $u ? (token => $u->{access_token}) : ());
}
sub uids { [sort map { $_->{user_id} } @{ $_[0]{results} || [] }] }

($st, $b) = $node->put("$C/profile/$alice->{user_id}/displayname", { displayname => 'Alice Wonder' },
    token => $alice->{access_token});
die 'displayname' unless $st == 200;
my $erin_room = create_room($erin, preset => 'private_chat', name => 'erin alone');

($st, $b) = usearch(undef, { search_term => 'alice' });
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'user directory: no token');
($st, $b) = usearch($bob, {});
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'user directory: no search_term');
($st, $b) = usearch($bob, { search_term => 'a', limit => 'x' });
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'user directory: limit not a number');

($st, $b) = usearch($bob, { search_term => 'WONDER' });
is($st, 200, 'search by display name: 200') or diag explain $b;
is_deeply(uids($b), [$alice->{user_id}], 'display name matches case-insensitively');
is($b->{results}[0]{display_name}, 'Alice Wonder', 'display_name returned');
ok(JSON::PP::is_bool($b->{limited}) && !$b->{limited}, 'limited false');
($st, $b) = usearch($bob, { search_term => 'ALI' });
is_deeply(uids($b), [$alice->{user_id}], 'user ID matches case-insensitively');
($st, $b) = usearch($bob, { search_term => 'alice wonder' });
is_deeply(uids($b), [$alice->{user_id}], 'every word must match');
($st, $b) = usearch($bob, { search_term => 'alice zebra' });
is_deeply(uids($b), [], 'a word that matches nothing: no result');

($st, $b) = usearch($bob, { search_term => 'carol' });
is_deeply(uids($b), [$carol->{user_id}], 'a member of a public room is found');
($st, $b) = usearch($bob, { search_term => 'erin' });
is_deeply(uids($b), [], 'a user in private rooms only, sharing none: not found');
($st, $b) = usearch($bob, { search_term => 'dave' });
is_deeply(uids($b), [], 'a user in no room: not found');
join_room($dave, $rb);
($st, $b) = usearch($bob, { search_term => 'dave' });
is_deeply(uids($b), [$dave->{user_id}], '... found once in a public room');
($st, $b) = $node->post("$C/rooms/$erin_room/invite", { user_id => $bob->{user_id} },
    token => $erin->{access_token});
join_room($bob, $erin_room);
($st, $b) = usearch($bob, { search_term => 'erin' });
is_deeply(uids($b), [$erin->{user_id}], 'a user sharing a private room is found');
($st, $b) = usearch($dave, { search_term => 'erin' });
is_deeply(uids($b), [], '... but not by someone who shares none');

($st, $b) = usearch($bob, { search_term => $S, limit => 2 });
is(scalar @{ $b->{results} }, 2, 'limit 2: two results');
ok($b->{limited}, 'limit 2: limited true');
($st, $b) = usearch($bob, { search_term => $S, limit => 50 });
ok(!$b->{limited}, 'large limit: limited false');
ok(scalar @{ $b->{results} } >= 5, 'large limit: everyone visible');

is($node->stop, 0, 'clean exit');
done_testing;
