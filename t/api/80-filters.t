#!/usr/bin/perl
# 80-filters.t -- POST /user/{userId}/filter, GET /user/{userId}/filter/{filterId},
# and /sync naming a stored filter.
use strict;
use warnings;
use Test::More;
use SyncroTest;
use SyncroTest::Util qw(errcode_is enc);

my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3';
my ($st, $b);

sub sql_one {
    my ($sql) = @_;
    my ($rc, $out) = $node->pg->psql($sql);
    die "psql failed: $out" if $rc != 0;
    chomp $out;
    return $out;
}

sub post_filter {
    my ($u, $filter, $for) = @_;
    $for //= $u->{user_id};
    return $node->post("$C/user/" . enc($for) . '/filter', $filter, token => $u->{access_token});
}

sub get_filter {
    my ($u, $id, $for) = @_;
    $for //= $u->{user_id};
    return $node->get("$C/user/" . enc($for) . '/filter/' . enc($id),
        token => $u->{access_token});
}

my $alice = $node->register_user('alice', 'pw-alice');
my $bob   = $node->register_user('bob', 'pw-bob');
my $hs    = $node->server_name;

# --- create and read back ------------------------------------------------------
my $full = {
    event_format => 'client',
    event_fields => ['type', 'content', 'sender'],
    presence     => { not_types => ['*'] },
    account_data => { types => ['m.push_rules'], limit => 3 },
    room => {
        rooms         => ["!r1:$hs", "!r2:$hs"],
        not_rooms     => ["!r2:$hs"],
        include_leave => SyncroTest::true,
        timeline      => { limit => 20, types => ['m.room.*'], not_senders => ["\@spam:$hs"],
                           contains_url => SyncroTest::false,
                           unread_thread_notifications => SyncroTest::true },
        state         => { lazy_load_members => SyncroTest::true,
                           include_redundant_members => SyncroTest::false },
        ephemeral     => { types => ['m.receipt', 'm.typing'] },
        account_data  => { not_types => ['m.tag'] },
    },
    'org.example.future' => { kept => 1 },
};
($st, $b) = post_filter($alice, $full);
is($st, 200, 'create a filter: 200') or diag explain $b;
my $fid = $b->{filter_id};
ok(defined $fid && !ref $fid, '... filter_id is a string');
is($fid, '0', "... a user's first filter is 0 (as Synapse)");

($st, $b) = get_filter($alice, $fid);
is($st, 200, 'get it back: 200') or diag explain $b;
is_deeply($b, $full, '... the same filter, unknown keys included');

($st, $b) = post_filter($alice, $full);
is($b->{filter_id}, $fid, 'the same filter again: the same ID');

($st, $b) = post_filter($alice, { room => { timeline => { limit => 5000 } } });
is($st, 200, 'a second filter: 200') or diag explain $b;
my $fid2 = $b->{filter_id};
is($fid2, '1', '... the next ID');
($st, $b) = get_filter($alice, $fid2);
is($b->{room}{timeline}{limit}, 100, '... an over-large timeline limit is capped to 100');

($st, $b) = post_filter($alice, {});
is($st, 200, 'the empty filter is a filter') or diag explain $b;
my $empty_id = $b->{filter_id};
($st, $b) = get_filter($alice, $empty_id);
is_deeply($b, {}, '... and reads back as {}');

($st, $b) = post_filter($bob, {});
is($b->{filter_id}, '0', "bob's IDs count from 0 on their own");

# --- only for yourself ---------------------------------------------------------
($st, $b) = get_filter($bob, $fid, $alice->{user_id});
errcode_is($st, $b, 403, 'M_FORBIDDEN', "bob reads alice's filter");
($st, $b) = post_filter($bob, { room => {} }, $alice->{user_id});
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'bob creates a filter for alice');
($st, $b) = get_filter($bob, $fid2);
errcode_is($st, $b, 404, 'M_NOT_FOUND', "alice's filter 1 under bob's own ID");
($st, $b) = post_filter($bob, {}, "\@carol:elsewhere.example");
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'a filter for a remote user');
($st, $b) = $node->get("$C/user/" . enc($alice->{user_id}) . "/filter/$fid");
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'no access token');

# --- unknown and malformed IDs -------------------------------------------------
($st, $b) = get_filter($alice, '999');
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'an unknown filter ID');
($st, $b) = get_filter($alice, 'abc');
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'a filter ID that is not a number');
($st, $b) = get_filter($alice, '99999999999999999999999');
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'a filter ID beyond any number we hand out');

# --- validation: bad input gets a Matrix error and changes nothing -------------
my $before = sql_one('SELECT count(*) FROM user_filters');
my @bad = (
    [{ event_format => 'xml' },                                  'event_format not client/federation'],
    [{ event_fields => 'content.body' },                         'event_fields not an array'],
    [{ event_fields => [1] },                                    'event_fields of numbers'],
    [{ presence => [] },                                         'presence not an object'],
    [{ presence => { senders => ['alice'] } },                   'presence.senders not user IDs'],
    [{ account_data => { types => 'm.push_rules' } },            'account_data.types not an array'],
    [{ room => [] },                                             'room not an object'],
    [{ room => { rooms => ['#alias:x'] } },                      'room.rooms not room IDs'],
    [{ room => { not_rooms => [5] } },                           'room.not_rooms of numbers'],
    [{ room => { include_leave => 'yes' } },                     'include_leave not a boolean'],
    [{ room => { timeline => { limit => 'ten' } } },             'timeline.limit a string'],
    [{ room => { timeline => { limit => -1 } } },                'timeline.limit negative'],
    [{ room => { timeline => { limit => 2.5 } } },               'timeline.limit fractional'],
    [{ room => { timeline => 'all' } },                          'timeline not an object'],
    [{ room => { state => { lazy_load_members => 'true' } } },   'lazy_load_members a string'],
    [{ room => { state => { senders => ['@nocolon'] } } },       'state.senders not user IDs'],
    [{ room => { ephemeral => { contains_url => 1 } } },         'contains_url a number'],
    [{ room => { account_data => { not_senders => {} } } },      'account_data.not_senders an object'],
);
for my $case (@bad) {
    ($st, $b) = post_filter($alice, $case->[0]);
    errcode_is($st, $b, 400, 'M_BAD_JSON', "invalid filter ($case->[1])");
}
($st, $b) = $node->raw('POST', "$C/user/" . enc($alice->{user_id}) . '/filter', '{"room":',
    { Authorization => "Bearer $alice->{access_token}", 'Content-Type' => 'application/json' });
errcode_is($st, $b, 400, 'M_NOT_JSON', 'a body that is not JSON');
($st, $b) = $node->raw('POST', "$C/user/" . enc($alice->{user_id}) . '/filter', '[]',
    { Authorization => "Bearer $alice->{access_token}", 'Content-Type' => 'application/json' });
is($st, 400, 'a JSON array body: 400') or diag explain $b;
is(sql_one('SELECT count(*) FROM user_filters'), $before, 'no invalid filter was stored');

# --- guests -------------------------------------------------------------------
($st, $b) = $node->post("$C/register?kind=guest", {});
my $guest = $b;
($st, $b) = post_filter($guest, {});
errcode_is($st, $b, 403, 'M_GUEST_ACCESS_FORBIDDEN', 'a guest creates a filter');

# --- /sync names a stored filter ----------------------------------------------
($st, $b) = $node->get("$C/sync?filter=$fid", token => $alice->{access_token});
is($st, 200, '/sync with a stored filter ID: 200') or diag explain $b;
ok(defined $b->{next_batch}, '... a next_batch');
($st, $b) = $node->get("$C/sync?filter=4242", token => $alice->{access_token});
errcode_is($st, $b, 400, 'M_INVALID_PARAM', '/sync with an unknown filter ID');
($st, $b) = $node->get("$C/sync?filter=notanid", token => $alice->{access_token});
errcode_is($st, $b, 400, 'M_INVALID_PARAM', '/sync with a malformed filter ID');
# bob has filter 0, but alice's 1 does not exist for him.
($st, $b) = $node->get("$C/sync?filter=1", token => $bob->{access_token});
errcode_is($st, $b, 400, 'M_INVALID_PARAM', "/sync cannot use another user's filter");

# A stored timeline limit reaches /sync: one message out of three in the timeline.
($st, $b) = $node->post("$C/createRoom", {}, token => $alice->{access_token});
my $room = $b->{room_id};
for my $i (1 .. 3) {
    $node->put("$C/rooms/" . enc($room) . "/send/m.room.message/f$i",
        { msgtype => 'm.text', body => "m$i" }, token => $alice->{access_token});
}
($st, $b) = post_filter($alice, { room => { timeline => { limit => 1 } } });
my $lim1 = $b->{filter_id};
($st, $b) = $node->get("$C/sync?filter=$lim1", token => $alice->{access_token});
is($st, 200, '/sync with a limit-1 filter: 200') or diag explain $b;
my $tl = $b->{rooms}{join}{$room}{timeline};
is(scalar @{ $tl->{events} || [] }, 1, '... one timeline event') or diag explain $tl;
is($tl->{events}[0]{content}{body}, 'm3', '... the newest');
ok($tl->{limited}, '... marked limited');

done_testing();
