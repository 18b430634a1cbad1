#!/usr/bin/perl
# 73-account-data.t -- global and room account data (PUT/GET), room tags
# (GET .../tags, PUT/DELETE .../tags/{tag}), and their /sync parts:
# top-level account_data and rooms.join.<id>.account_data.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use JSON::PP;
use POSIX ();
use SyncroTest;
use SyncroTest::Util qw(errcode_is enc sync start_sync finish_sync);

my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3';
my ($st, $b);


sub ad_path {
    my ($who, $room, $type) = @_;
    return "$C/user/" . enc($who) . (defined $room ? '/rooms/' . enc($room) : '')
        . '/account_data/' . enc($type);
}

sub tag_path {
    my ($who, $room, $tag) = @_;
    return "$C/user/" . enc($who) . '/rooms/' . enc($room) . '/tags'
        . (defined $tag ? '/' . enc($tag) : '');
}

sub events_of {
    my ($list, $type) = @_;
    my @m = grep { $_->{type} eq $type } @{ $list || [] };
    return @m ? $m[-1]{content} : undef;
}

sub global_ad { my ($body, $type) = @_; events_of($body->{account_data}{events}, $type) }
sub room_ad {
    my ($body, $room, $type) = @_;
    events_of($body->{rooms}{join}{$room}{account_data}{events}, $type);
}

my $alice = $node->register_user('alice', 'pw-alice');
my $bob   = $node->register_user('bob', 'pw-bob');
my ($A, $B) = ($alice->{user_id}, $bob->{user_id});
my $AT = $alice->{access_token};

($st, $b) = $node->post("$C/createRoom", { preset => 'public_chat' }, token => $AT);
is($st, 200, 'createRoom: 200') or diag explain $b;
my $room = $b->{room_id};
($st, $b) = $node->post("$C/rooms/" . enc($room) . '/join', {}, token => $bob->{access_token});
is($st, 200, 'bob joins: 200') or diag explain $b;
($st, $b) = $node->post("$C/createRoom", {}, token => $bob->{access_token});
my $bobs_room = $b->{room_id};

($st, $b) = sync($node, $alice, undef, 0, 'offline');
is($st, 200, 'alice initial sync: 200') or diag explain $b;
is_deeply([map { $_->{type} } @{ $b->{account_data}{events} }], ['m.push_rules'],
    '... only the default push rules in global account data');
ok(ref $b->{account_data}{events}[0]{content}{global}{override} eq 'ARRAY',
    '... m.push_rules holds the ruleset');
ok(!room_ad($b, $room, 'x.room'), '... no room account data');
my $since = $b->{next_batch};

# --- bad input changes nothing ----------------------------------------------------------
($st, $b) = $node->put(ad_path($B, undef, 'x.global'), { a => 1 }, token => $AT);
errcode_is($st, $b, 403, 'M_FORBIDDEN', "PUT another user's account data");
($st, $b) = $node->get(ad_path($B, undef, 'x.global'), token => $AT);
errcode_is($st, $b, 403, 'M_FORBIDDEN', "GET another user's account data");
($st, $b) = $node->put(ad_path($B, $room, 'x.room'), { a => 1 }, token => $AT);
errcode_is($st, $b, 403, 'M_FORBIDDEN', "PUT another user's room account data");
($st, $b) = $node->get(ad_path($B, $room, 'x.room'), token => $AT);
errcode_is($st, $b, 403, 'M_FORBIDDEN', "GET another user's room account data");
for my $t ('m.fully_read', 'm.push_rules') {
    ($st, $b) = $node->put(ad_path($A, undef, $t), { event_id => '$x' }, token => $AT);
    errcode_is($st, $b, 405, 'M_BAD_JSON', "PUT global $t (server-managed)");
    ($st, $b) = $node->put(ad_path($A, $room, $t), { event_id => '$x' }, token => $AT);
    errcode_is($st, $b, 405, 'M_BAD_JSON', "PUT room $t (server-managed)");
}
($st, $b) = $node->put(ad_path($A, 'notaroom', 'x.room'), { a => 1 }, token => $AT);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'PUT room account data with a bad room ID');
($st, $b) = $node->get(ad_path($A, 'notaroom', 'x.room'), token => $AT);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'GET room account data with a bad room ID');
($st, $b) = $node->raw('PUT', ad_path($A, undef, 'x.global'), '[1,2]',
    { Authorization => "Bearer $AT", 'Content-Type' => 'application/json' });
errcode_is($st, $b, 400, 'M_BAD_JSON', 'PUT an array');
($st, $b) = $node->raw('PUT', ad_path($A, undef, 'x.global'), '{"a":',
    { Authorization => "Bearer $AT", 'Content-Type' => 'application/json' });
errcode_is($st, $b, 400, 'M_NOT_JSON', 'PUT broken JSON');
($st, $b) = $node->get(ad_path($A, undef, 'x.global'), token => $AT);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'GET x.global after the refused PUTs: nothing stored');
($st, $b) = $node->get(ad_path($A, undef, 'm.fully_read'), token => $AT);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'GET global m.fully_read: nothing stored');
($st, $b) = sync($node, $alice, $since, 0, 'offline');
is_deeply($b->{account_data}{events}, [], 'alice syncs: still no account data');

# --- global round trip ------------------------------------------------------------------
($st, $b) = $node->put(ad_path($A, undef, 'x.global'), { a => 1, nested => { list => [1, 'two'] } },
    token => $AT);
is($st, 200, 'PUT x.global: 200') or diag explain $b;
is_deeply($b, {}, '... an empty object');
($st, $b) = $node->get(ad_path($A, undef, 'x.global'), token => $AT);
is($st, 200, 'GET x.global: 200') or diag explain $b;
is_deeply($b, { a => 1, nested => { list => [1, 'two'] } }, '... the content as PUT');
($st, $b) = $node->get(ad_path($A, $room, 'x.global'), token => $AT);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'the room has no x.global: no inheritance');

($st, $b) = sync($node, $alice, $since, 0, 'offline');
is_deeply(global_ad($b, 'x.global'), { a => 1, nested => { list => [1, 'two'] } },
    "alice's incremental sync: x.global in account_data");
$since = $b->{next_batch};
($st, $b) = sync($node, $alice, $since, 0, 'offline');
is_deeply($b->{account_data}{events}, [], '... and not again in the next one');

# A parked long-poll wakes at once.
my $h = start_sync($node, $alice, $since, 10000, 'offline');
sleep 0.5;
my $t0 = time;
($st, $b) = $node->put(ad_path($A, undef, 'x.global'), { a => 2 }, token => $AT);
my $t_done = time; # the change is committed by now
is($st, 200, 'PUT x.global again: 200') or diag explain $b;
my ($lst, $lb, $tret) = finish_sync($h);
is($lst, 200, "alice's long-poll answers: 200") or diag explain $lb;
is_deeply(global_ad($lb, 'x.global'), { a => 2 }, '... with the new content, replacing the old');
my $lat = ($tret - $t_done) * 1000;
cmp_ok($lat, '<', 100, sprintf('... within 100 ms of the PUT answering (%.1f ms)', $lat));
cmp_ok($tret, '>=', $t0, '... and not before the PUT');
$since = $lb->{next_batch};

($st, $b) = sync($node, $bob, undef, 0, 'offline');
ok(!global_ad($b, 'x.global'), "bob's sync never shows alice's account data");

# --- room round trip --------------------------------------------------------------------
($st, $b) = $node->put(ad_path($A, $room, 'x.room'), { b => 'two' }, token => $AT);
is($st, 200, 'PUT room x.room: 200') or diag explain $b;
($st, $b) = $node->get(ad_path($A, $room, 'x.room'), token => $AT);
is($st, 200, 'GET room x.room: 200') or diag explain $b;
is_deeply($b, { b => 'two' }, '... the content as PUT');
($st, $b) = $node->get(ad_path($A, undef, 'x.room'), token => $AT);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'global x.room does not exist');
($st, $b) = sync($node, $alice, $since, 0, 'offline');
is_deeply(room_ad($b, $room, 'x.room'), { b => 'two' }, "alice's sync: x.room in the room's account_data");
ok(!global_ad($b, 'x.room'), '... not in the global account_data');
$since = $b->{next_batch};

# --- tags ---------------------------------------------------------------------------------
($st, $b) = $node->get(tag_path($A, $room), token => $AT);
is($st, 200, 'GET tags: 200') or diag explain $b;
is_deeply($b, { tags => {} }, '... none');
($st, $b) = $node->put(tag_path($A, $room, 'm.favourite'), { order => 0.5 }, token => $AT);
is($st, 200, 'PUT tag m.favourite: 200') or diag explain $b;
is_deeply($b, {}, '... an empty object');
($st, $b) = $node->put(tag_path($A, $room, 'u.work'), {}, token => $AT);
is($st, 200, 'PUT tag u.work: 200') or diag explain $b;
($st, $b) = $node->get(tag_path($A, $room), token => $AT);
is_deeply($b, { tags => { 'm.favourite' => { order => 0.5 }, 'u.work' => {} } }, 'GET tags: both');
($st, $b) = $node->get(ad_path($A, $room, 'm.tag'), token => $AT);
is_deeply($b, { tags => { 'm.favourite' => { order => 0.5 }, 'u.work' => {} } },
    '... stored as the m.tag room account data');
($st, $b) = sync($node, $alice, $since, 0, 'offline');
is_deeply(room_ad($b, $room, 'm.tag'), { tags => { 'm.favourite' => { order => 0.5 }, 'u.work' => {} } },
    "alice's sync: m.tag in the room's account_data");
$since = $b->{next_batch};

($st, $b) = $node->put(tag_path($B, $room, 'u.x'), {}, token => $AT);
errcode_is($st, $b, 403, 'M_FORBIDDEN', "PUT a tag for another user");
($st, $b) = $node->get(tag_path($B, $room), token => $AT);
errcode_is($st, $b, 403, 'M_FORBIDDEN', "GET another user's tags");
($st, $b) = $node->delete(tag_path($B, $room, 'u.work'), token => $AT);
errcode_is($st, $b, 403, 'M_FORBIDDEN', "DELETE another user's tag");
($st, $b) = $node->put(tag_path($A, $room, 'u.' . ('x' x 254)), {}, token => $AT);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'a tag over 255 bytes');
($st, $b) = $node->put(tag_path($A, $bobs_room, 'u.work'), {}, token => $AT);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'tagging a room one has no membership in');
($st, $b) = $node->put(tag_path($A, 'notaroom', 'u.work'), {}, token => $AT);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'tagging a bad room ID');
($st, $b) = $node->get(tag_path($A, $room), token => $AT);
is_deeply($b, { tags => { 'm.favourite' => { order => 0.5 }, 'u.work' => {} } },
    'the refused tag requests changed nothing');

($st, $b) = $node->delete(tag_path($A, $room, 'u.work'), token => $AT);
is($st, 200, 'DELETE u.work: 200') or diag explain $b;
is_deeply($b, {}, '... an empty object');
($st, $b) = $node->get(tag_path($A, $room), token => $AT);
is_deeply($b, { tags => { 'm.favourite' => { order => 0.5 } } }, 'GET tags: only m.favourite left');
($st, $b) = sync($node, $alice, $since, 0, 'offline');
is_deeply(room_ad($b, $room, 'm.tag'), { tags => { 'm.favourite' => { order => 0.5 } } },
    "alice's sync: the new m.tag");
$since = $b->{next_batch};
($st, $b) = $node->delete(tag_path($A, $room, 'u.never'), token => $AT);
is($st, 200, 'DELETE a tag that is not there: 200') or diag explain $b;
($st, $b) = sync($node, $alice, $since, 0, 'offline');
ok(!room_ad($b, $room, 'm.tag'), '... no m.tag change in the next sync');

# --- initial sync has it all ----------------------------------------------------------------
($st, $b) = sync($node, $alice, undef, 0, 'offline');
is_deeply(global_ad($b, 'x.global'), { a => 2 }, 'initial sync: x.global');
is_deeply(room_ad($b, $room, 'x.room'), { b => 'two' }, '... x.room');
is_deeply(room_ad($b, $room, 'm.tag'), { tags => { 'm.favourite' => { order => 0.5 } } }, '... m.tag');
($st, $b) = sync($node, $bob, undef, 0, 'offline');
ok(!room_ad($b, $room, 'm.tag') && !room_ad($b, $room, 'x.room'),
    "bob's initial sync has none of alice's room account data");

is($node->stop, 0, 'clean exit');
done_testing;
