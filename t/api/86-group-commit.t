#!/usr/bin/perl
# 86-group-commit.t -- sends that arrive together are written by the
# group-commit writer in one transaction (rooms/writer.c, rooms/batch.c).
# Whatever shares a batch: every 200 is stored, each room's graph stays one
# chain in stream order, transaction IDs stay idempotent, a forbidden send
# fails alone, push counts count every event (also with read receipts
# racing the sends), and state sent between messages applies to the
# messages after it.  A batch of messages builds on the room's tip as the
# batch before it left it, and the database's word wins when they differ.
use strict;
use warnings;
use POSIX ();
use Test::More;
use SyncroTest;
use SyncroTest::Util qw(errcode_is enc sync sqlq);

my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3';
my ($st, $b);

sub sql { SyncroTest::Util::sql($node, @_) }

sub send_msg {
    my ($u, $room, $txn, $content, $type) = @_;
    return $node->put("$C/rooms/" . enc($room) . '/send/' . enc($type // 'm.room.message')
        . '/' . enc($txn), $content // { msgtype => 'm.text', body => $txn },
        token => $u->{access_token});
}

# Run $n children at once; each runs $code->($i) and reports one line; the lines in order.
sub in_parallel {
    my ($n, $code) = @_;
    my @kids;
    for my $i (0 .. $n - 1) {
        pipe(my $rd, my $wr) or die "pipe: $!";
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            close $rd;
            print $wr join("\n", $code->($i)), "\n";
            close $wr;
            POSIX::_exit(0);
        }
        close $wr;
        push @kids, [ $pid, $rd ];
    }
    my @out;
    for my $k (@kids) {
        my $fh = $k->[1];
        push @out, [ map { chomp; $_ } <$fh> ];
        waitpid $k->[0], 0;
    }
    return @out;
}

my @users = map { $node->register_user("u$_", "pw-u$_") } 0 .. 7;
my $owner = $users[0];
($st, $b) = $node->post("$C/createRoom", { preset => 'public_chat' }, token => $owner->{access_token});
is($st, 200, 'createRoom: 200') or diag explain $b;
my $room = $b->{room_id};
for my $u (@users[1 .. 7]) {
    ($st) = $node->post("$C/join/" . enc($room), {}, token => $u->{access_token});
    is($st, 200, "$u->{user_id} joins");
}
my @own = map {
    my (undef, $r) = $node->post("$C/createRoom", {}, token => $_->{access_token});
    $r->{room_id};
} @users;

# --- many senders at once, shared room and own rooms -------------------------------------
my $per = 15;
my @res = in_parallel(8, sub {
    my ($i) = @_;
    my @lines;
    for my $k (1 .. $per) {
        for my $target ($room, $own[$i]) {
            my $txn = "p$i-$k-" . ($target eq $room ? 's' : 'o');
            my ($s, $r) = send_msg($users[$i], $target, $txn);
            push @lines, "$s $txn " . ($r->{event_id} // '-');
        }
    }
    return @lines;
});
my (%ids, $bad);
for my $lines (@res) {
    for (@$lines) {
        my ($s, $txn, $id) = split ' ';
        $bad++ if $s != 200;
        $ids{$id}++;
    }
}
my $sent = 8 * $per * 2;
ok(!$bad, "$sent concurrent sends: all 200");
is(scalar(keys %ids), $sent, '... each got its own event ID');
my $list = join ',', map { sqlq($_) } keys %ids;
is(sql("SELECT count(*) FROM events WHERE event_id IN ($list)"), $sent, '... all are stored');

# Each room's events form one chain: every event's only prev_event is the one before it in
# stream order, depths go up by one, one forward extremity (the newest).
for my $r ($room, @own) {
    my $broken = sql(<<"SQL");
SELECT count(*) FROM (
  SELECT e.event_id, e.depth, lag(e.event_id) OVER w AS before, lag(e.depth) OVER w AS before_depth
  FROM events e WHERE e.room_id = ${\ sqlq($r)} WINDOW w AS (ORDER BY e.stream_ordering)) x
WHERE before IS NOT NULL AND (depth <> before_depth + 1
  OR (SELECT pdu_json::jsonb -> 'prev_events' FROM events WHERE event_id = x.event_id) <> jsonb_build_array(before))
SQL
    is($broken, 0, "room $r: one chain in stream order");
    is(sql("SELECT cardinality(event_ids) FROM room_extremities WHERE room_id = ${\ sqlq($r)}"), 1,
        "room $r: one forward extremity");
    is(sql("SELECT (f.event_ids[1], f.depths[1]) = (SELECT event_id, depth FROM events "
        . "WHERE room_id = f.room_id ORDER BY stream_ordering DESC LIMIT 1) "
        . "FROM room_extremities f WHERE f.room_id = ${\ sqlq($r)}"), 't',
        "room $r: the extremity is the newest event, with its depth");
}

# Everyone else's messages in the shared room count as unread for each member.
my (undef, $s) = sync($node, $users[1]);
is($s->{rooms}{join}{$room}{unread_notifications}{notification_count}, 7 * $per,
    'push counts: each of the others\' messages counts once');

# --- the same transaction ID from two connections at once: one event --------------------
@res = in_parallel(4, sub { my (undef, $r) = send_msg($owner, $room, 'same-txn'); $r->{event_id} // '-' });
my %same = map { $_->[0] => 1 } @res;
is(scalar(keys %same), 1, 'one txn ID sent four times at once: one event ID');
is(sql("SELECT count(*) FROM events WHERE txn_id = 'same-txn'"), 1, '... stored once');

# --- a forbidden send among allowed ones fails alone ------------------------------------
my $outsider = $node->register_user('outsider', 'pw-out');
@res = in_parallel(6, sub {
    my ($i) = @_;
    my $u = $i == 3 ? $outsider : $users[$i];
    my ($s, $r) = send_msg($u, $room, "mix-$i");
    return "$s " . ($r->{errcode} // '-');
});
for my $i (0 .. 5) {
    my ($s, $e) = split ' ', $res[$i][0];
    if ($i == 3) {
        is("$s $e", '403 M_FORBIDDEN', 'the outsider\'s send in the same burst: 403 M_FORBIDDEN');
    } else {
        is($s, 200, "member ${i}'s send in the same burst: 200");
    }
}
is(sql("SELECT count(*) FROM events WHERE txn_id = 'mix-3'"), 0, '... the forbidden event is not stored');

# --- state between messages applies to what follows -------------------------------------
# The owner raises events_default to 50 while the others keep sending: every message
# accepted after the power-levels event (in stream order) comes from the owner.  Each
# sender goes on until it is refused (at most 300 sends), however fast the burst runs.
my (undef, $pl) = $node->get("$C/rooms/" . enc($room) . '/state/m.room.power_levels',
    token => $owner->{access_token});
$pl->{events_default} = 50;
@res = in_parallel(5, sub {
    my ($i) = @_;
    if ($i == 0) {
        select(undef, undef, undef, 0.05);
        my ($s) = $node->put("$C/rooms/" . enc($room) . '/state/m.room.power_levels', $pl,
            token => $owner->{access_token});
        return "pl $s";
    }
    my @l;
    for my $k (1 .. 300) {
        my ($s, $r) = send_msg($users[$i], $room, "race-$i-$k");
        push @l, "$s " . ($r->{errcode} // '-');
        last if $s == 403;
    }
    return @l;
});
is($res[0][0], 'pl 200', 'power levels raised during a burst: 200');
my $late = sql(<<"SQL");
SELECT count(*) FROM events e WHERE e.room_id = ${\ sqlq($room)} AND e.type = 'm.room.message'
  AND e.sender <> ${\ sqlq($owner->{user_id})}
  AND e.stream_ordering > (SELECT max(stream_ordering) FROM events
    WHERE room_id = ${\ sqlq($room)} AND type = 'm.room.power_levels')
SQL
is($late, 0, 'no message from a user below events_default is stored after the change');
my ($ok200, $forbidden, $sent) = (0, 0, 0);
for my $i (1 .. 4) {
    for (@{ $res[$i] }) { $sent++; /^200 / ? $ok200++ : /^403 M_FORBIDDEN/ ? $forbidden++ : () }
}
is($ok200 + $forbidden, $sent, "every racing send ($sent) got 200 or 403 M_FORBIDDEN");
is($forbidden, 4, 'each sender was refused once the change was in');

# --- a database error fails the batch; the writer retries its sends one by one -----------
# A trigger makes PostgreSQL refuse one event: only that send fails, the ones that shared
# its batch are written on their own.
$pl->{events_default} = 0;
($st) = $node->put("$C/rooms/" . enc($room) . '/state/m.room.power_levels', $pl,
    token => $owner->{access_token});
is($st, 200, 'power levels back to events_default 0');
SyncroTest::Util::refuse_events($node, 'poison-pill');
@res = in_parallel(6, sub {
    my ($i) = @_;
    my ($s, $r) = send_msg($users[$i], $room, "batch-err-$i",
        { msgtype => 'm.text', body => $i == 2 ? 'poison-pill' : "fine $i" });
    return "$s " . ($r->{errcode} // '-');
});
for my $i (0 .. 5) {
    if ($i == 2) {
        is($res[$i][0], '500 M_UNKNOWN', 'the send the database refuses: 500 M_UNKNOWN');
    } else {
        is($res[$i][0], '200 -', "send $i beside it: 200");
    }
}
is(sql("SELECT count(*) FROM events WHERE txn_id LIKE 'batch-err-%'"), 5, '... the five are stored');
SyncroTest::Util::allow_events($node);
my ($st2) = send_msg($owner, $room, 'after-err');
is($st2, 200, 'the writer goes on after a failed batch');

# Read receipts racing sends: the kept unread counts (push_counts) must still equal a
# count of the rows after each member's read position (db/push.c locks, then recounts).
@res = in_parallel(8, sub {
    my ($i) = @_;
    my $u = $users[$i];
    my $ok = 0;
    for my $k (1 .. 12) {
        my ($s, $r) = send_msg($u, $room, "race-$i-$k");
        $ok++ if $s == 200;
        # Every other member reads up to what it just sent, while the others keep sending.
        if ($i % 2 == 0 && $s == 200) {
            my ($rs) = $node->post("$C/rooms/" . enc($room) . '/receipt/m.read/'
                . enc($r->{event_id}), {}, token => $u->{access_token});
            $ok++ if $rs == 200;
        }
    }
    return $ok;
});
is(eval { my $t = 0; $t += $_->[0] for @res; $t }, 8 * 12 + 4 * 12, 'racing sends and receipts: all 200');
is(sql(<<'SQL'), 0, 'kept unread counts equal the rows after each read position');
SELECT count(*) FROM push_counts c
FULL JOIN (SELECT u.user_id, a.room_id, count(*) FILTER (WHERE a.notify) AS n,
                  count(*) FILTER (WHERE a.highlight) AS h
           FROM push_actions a CROSS JOIN LATERAL unnest(a.user_ids) AS u(user_id)
           LEFT JOIN push_read r ON r.user_id = u.user_id AND r.room_id = a.room_id
           WHERE a.stream_ordering > coalesce(r.stream_ordering, 0)
           GROUP BY u.user_id, a.room_id) x ON x.user_id = c.user_id AND x.room_id = c.room_id
WHERE coalesce(c.notify, 0) <> coalesce(x.n, 0) OR coalesce(c.highlight, 0) <> coalesce(x.h, 0)
SQL
my (undef, $s0) = sync($node, $users[0]);
is($s0->{rooms}{join}{$room}{unread_notifications}{notification_count},
    sql('SELECT notify FROM push_counts WHERE user_id = ' . sqlq($users[0]{user_id})
        . ' AND room_id = ' . sqlq($room)), '/sync answers the kept count');

# The writer's tip of a room says its newest event; if the database says another (here
# set by hand, as a batch that failed after building would leave it), the send builds
# on the database's extremity.
my ($s1, $r1) = send_msg($users[1], $room, 'tip-1');
my ($s2, $r2) = send_msg($users[1], $room, 'tip-2');
is("$s1 $s2", '200 200', 'two sends: 200');
my $depth1 = sql('SELECT depth FROM events WHERE event_id = ' . sqlq($r1->{event_id}));
sql('UPDATE room_extremities SET event_ids = ARRAY[' . sqlq($r1->{event_id}) . "], depths = ARRAY[$depth1] "
    . 'WHERE room_id = ' . sqlq($room));
my ($s3, $r3) = send_msg($users[2], $room, 'tip-3');
is($s3, 200, 'a send after the extremity moved under the writer: 200');
is(sql("SELECT pdu_json::jsonb->>'prev_events' FROM events WHERE event_id = " . sqlq($r3->{event_id})),
    '["' . $r1->{event_id} . '"]', '... builds on the database\'s extremity, not the stale tip');
my ($s4, $r4) = send_msg($users[3], $room, 'tip-4');
is(sql("SELECT pdu_json::jsonb->>'prev_events' FROM events WHERE event_id = " . sqlq($r4->{event_id})),
    '["' . $r3->{event_id} . '"]', '... and the next send builds on that one');

is($node->stop, 0, 'clean exit');
done_testing;
