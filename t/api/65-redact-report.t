#!/usr/bin/perl
# 65-redact-report.t -- PUT /rooms/{roomId}/redact/{eventId}/{txnId},
# POST /rooms/{roomId}/report/{eventId} and POST /rooms/{roomId}/report.
use strict;
use warnings;
use Test::More;
use SyncroTest;
use SyncroTest::Util qw(errcode_is enc sqlq);

my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3';
my ($st, $b);

sub sql { SyncroTest::Util::sql($node, @_) }

my $txn_seq = 0;
sub send_msg {
    my ($u, $room, $body) = @_;
    my ($st, $b) = $node->put("$C/rooms/" . enc($room) . '/send/m.room.message/t' . ++$txn_seq,
        { msgtype => 'm.text', body => $body }, token => $u->{access_token});
    is($st, 200, "send '$body': 200") or diag explain $b;
    return $b->{event_id};
}

sub redact {
    my ($u, $room, $id, $txn, $body) = @_;
    return $node->put("$C/rooms/" . enc($room) . '/redact/' . enc($id) . '/' . enc($txn),
        $body // {}, token => $u->{access_token});
}

sub get_event {
    my ($u, $room, $id) = @_;
    return $node->get("$C/rooms/" . enc($room) . '/event/' . enc($id),
        token => $u->{access_token});
}

sub join_room {
    my ($u, $room) = @_;
    my ($st, $b) = $node->put("$C/rooms/" . enc($room) . '/state/m.room.member/'
        . enc($u->{user_id}), { membership => 'join' }, token => $u->{access_token});
    is($st, 200, "$u->{user_id} joins: 200") or diag explain $b;
}

sub report_event {
    my ($u, $room, $id, $body) = @_;
    return $node->post("$C/rooms/" . enc($room) . '/report/' . enc($id), $body,
        token => $u->{access_token});
}

sub n_reports { sql('SELECT count(*) FROM event_reports') }

my $alice = $node->register_user('alice', 'pw-alice');    # creator, power 100
my $bob   = $node->register_user('bob', 'pw-bob');        # member
my $carol = $node->register_user('carol', 'pw-carol');    # member
my $mod   = $node->register_user('mod', 'pw-mod');        # moderator, power 50
my $eve   = $node->register_user('eve', 'pw-eve');        # never in the room

($st, $b) = $node->post("$C/createRoom", { preset => 'public_chat' },
    token => $alice->{access_token});
is($st, 200, 'createRoom: 200') or diag explain $b;
my $room = $b->{room_id};
join_room($_, $room) for $bob, $carol, $mod;

($st, $b) = $node->get("$C/rooms/" . enc($room) . '/state/m.room.power_levels',
    token => $alice->{access_token});
my $pl = $b;
$pl->{users}{ $mod->{user_id} } = 50;
($st, $b) = $node->put("$C/rooms/" . enc($room) . '/state/m.room.power_levels', $pl,
    token => $alice->{access_token});
is($st, 200, 'mod gets power 50') or diag explain $b;
is($pl->{redact} // 50, 50, 'the redact level is 50');

# --- redaction permissions ------------------------------------------------------
my $bob_msg = send_msg($bob, $room, 'bob says something');
($st, $b) = redact($carol, $room, $bob_msg, 'r1', { reason => 'i do not like it' });
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'unprivileged member redacts another\'s event');
($st, $b) = get_event($alice, $room, $bob_msg);
is($b->{content}{body}, 'bob says something', '... the event is intact');
ok(!exists $b->{unsigned}{redacted_because}, '... and not marked redacted');

($st, $b) = redact($eve, $room, $bob_msg, 'r1', {});
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'non-member redacts');

($st, $b) = redact($bob, $room, $bob_msg, 'r-own', { reason => 'typo' });
is($st, 200, 'the sender redacts their own event: 200') or diag explain $b;
my $red = $b->{event_id};
like($red, qr/^\$/, '... a redaction event ID');
($st, $b) = redact($bob, $room, $bob_msg, 'r-own', { reason => 'typo' });
is($st, 200, 'the same redaction txn again: 200');
is($b->{event_id}, $red, '... the same redaction event');
is(sql("SELECT count(*) FROM events WHERE type = 'm.room.redaction' AND room_id = "
        . sqlq($room)), 1, '... only one redaction stored');

($st, $b) = get_event($alice, $room, $bob_msg);
is($st, 200, 'the redacted event can still be fetched');
is_deeply($b->{content}, {}, '... its content is gone');
is($b->{unsigned}{redacted_because}{event_id}, $red, '... unsigned.redacted_because');
($st, $b) = get_event($alice, $room, $red);
is($b->{type}, 'm.room.redaction', 'the redaction event: type');
is($b->{content}{reason}, 'typo', '... reason');
is($b->{redacts} // $b->{content}{redacts}, $bob_msg, '... redacts the target');

# A transaction ID is scoped to one device and one endpoint (spec): the same ID
# used for a message and then for a redaction makes two events.
($st, $b) = $node->put("$C/rooms/" . enc($room) . '/send/m.room.message/shared-txn',
    { msgtype => 'm.text', body => 'to be redacted' }, token => $bob->{access_token});
my $shared_msg = $b->{event_id};
($st, $b) = redact($bob, $room, $shared_msg, 'shared-txn', {});
is($st, 200, 'redact with a txn ID already used for a message: 200') or diag explain $b;
isnt($b->{event_id}, $shared_msg, '... a redaction event, not the message');

my $carol_msg = send_msg($carol, $room, 'carol says something');
($st, $b) = redact($mod, $room, $carol_msg, 'r-mod', { reason => 'moderated' });
is($st, 200, 'a moderator redacts another\'s event: 200') or diag explain $b;
($st, $b) = get_event($bob, $room, $carol_msg);
is_deeply($b->{content}, {}, '... its content is gone');

my $mod_msg = send_msg($mod, $room, 'mod says something');
($st, $b) = redact($alice, $room, $mod_msg, 'r-creator', {});
is($st, 200, 'the creator redacts without a body reason: 200') or diag explain $b;

($st, $b) = redact($bob, $room, '$nosuchevent', 'r-missing', {});
ok($st == 404 || $st == 403, 'unprivileged member redacts an unknown event: refused')
    or diag "$st";
($st, $b) = redact($bob, $room, send_msg($alice, $room, 'x'), 'r-bad', { reason => 42 });
is($st, 400, 'reason that is not a string: 400');
like($b->{errcode}, qr/^M_(BAD_JSON|INVALID_PARAM)$/, '... M_BAD_JSON or M_INVALID_PARAM');
($st, $b) = redact($bob, $room, 'not-an-event-id', 'r-bad2', {});
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'redact something that is not an event ID');

# --- reporting events -----------------------------------------------------------
my $alice_msg = send_msg($alice, $room, 'alice says something');
my $n = n_reports();
($st, $b) = report_event($bob, $room, $alice_msg, { reason => 'rude', score => -50 });
is($st, 200, 'member reports an event: 200') or diag explain $b;
is_deeply($b, {}, '... {}');
is(sql("SELECT room_id || '|' || event_id || '|' || reporter || '|' || reason || '|' || score"
        . " FROM event_reports ORDER BY id DESC LIMIT 1"),
    join('|', $room, $alice_msg, $bob->{user_id}, 'rude', -50), '... stored for the admins');

($st, $b) = report_event($bob, $room, $alice_msg, {});
is($st, 200, 'report without reason or score: 200') or diag explain $b;
is(sql("SELECT coalesce(reason, 'NULL') || '|' || coalesce(score::text, 'NULL')"
        . " FROM event_reports ORDER BY id DESC LIMIT 1"), 'NULL|NULL', '... stored as NULLs');
$n += 2;

for my $bad ([{ score => 1 }, 'score 1'], [{ score => -101 }, 'score -101'],
    [{ score => 'bad' }, 'score as a string'], [{ score => -1.5 }, 'fractional score'],
    [{ reason => 5 }, 'reason as a number'])
{
    ($st, $b) = report_event($bob, $room, $alice_msg, $bad->[0]);
    errcode_is($st, $b, 400, 'M_BAD_JSON', "report with $bad->[1]");
}
($st, $b) = report_event($bob, $room, $alice_msg, { score => 0, reason => 'edge' });
is($st, 200, 'score 0: 200');
($st, $b) = report_event($bob, $room, $alice_msg, { score => -100, reason => 'edge' });
is($st, 200, 'score -100: 200');
$n += 2;

($st, $b) = report_event($eve, $room, $alice_msg, { reason => 'x' });
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'non-member reports an event');
($st, $b) = report_event($bob, $room, '$nosuchevent', { reason => 'x' });
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'report an unknown event');
($st, $b) = report_event($alice, $room, $bob_msg, { reason => 'x' });
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'report a redacted event');
($st, $b) = $node->post("$C/rooms/" . enc($room) . '/report/' . enc($alice_msg), { reason => 'x' });
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'report without a token');
is(n_reports(), $n, 'refused reports are not stored');

# --- reporting rooms ------------------------------------------------------------
($st, $b) = $node->post("$C/rooms/" . enc($room) . '/report', { reason => 'spam room' },
    token => $eve->{access_token});
is($st, 200, 'a non-member reports the room: 200') or diag explain $b;
is_deeply($b, {}, '... {}');
is(sql("SELECT room_id || '|' || coalesce(event_id, 'NULL') || '|' || reporter || '|' || reason"
        . " FROM event_reports ORDER BY id DESC LIMIT 1"),
    join('|', $room, 'NULL', $eve->{user_id}, 'spam room'), '... stored without an event');
$n++;
($st, $b) = $node->post("$C/rooms/" . enc($room) . '/report', { reason => '' },
    token => $bob->{access_token});
is($st, 200, 'an empty reason: 200');
$n++;

($st, $b) = $node->post("$C/rooms/" . enc($room) . '/report', {},
    token => $eve->{access_token});
errcode_is($st, $b, 400, 'M_BAD_JSON', 'room report without a reason');
($st, $b) = $node->post("$C/rooms/" . enc($room) . '/report', { reason => ['x'] },
    token => $eve->{access_token});
errcode_is($st, $b, 400, 'M_BAD_JSON', 'room report with a non-string reason');
($st, $b) = $node->post("$C/rooms/" . enc('!nosuchroom:' . $node->server_name) . '/report',
    { reason => 'x' }, token => $eve->{access_token});
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'report an unknown room');
is(n_reports(), $n, 'refused room reports are not stored');

is($node->stop, 0, 'clean exit');
done_testing;
