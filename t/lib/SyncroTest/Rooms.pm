package SyncroTest::Rooms;
# Room helpers the sync tests share: each does one client call as user $u
# (a register_user/login hash) on $node and dies unless it answers 200.
use strict;
use warnings;
use Exporter 'import';
use SyncroTest;
use SyncroTest::Util qw(enc);

our @EXPORT_OK = qw(create_room send_msg send_event put_state member_op last_txn);

my $C = '/_matrix/client/v3';
my $txn = 0;

# A public room (createRoom body extras in %body): its ID.
sub create_room {
    my ($node, $u, %body) = @_;
    my ($st, $b) = $node->post("$C/createRoom", { preset => 'public_chat', %body },
        token => $u->{access_token});
    die "createRoom failed: HTTP $st" unless $st == 200;
    return $b->{room_id};
}

# An event of $type with $content (a fresh transaction ID, unique across forks): its ID.
sub send_event {
    my ($node, $u, $room, $type, $content) = @_;
    my ($st, $b) = $node->put("$C/rooms/" . enc($room) . '/send/' . enc($type) . "/t$$-" . ++$txn,
        $content, token => $u->{access_token});
    die "send failed: HTTP $st" unless $st == 200;
    return $b->{event_id};
}

# The transaction ID of the last send_event of this process.
sub last_txn { return "t$$-$txn" }

# An m.text message: its event ID.
sub send_msg {
    my ($node, $u, $room, $body) = @_;
    return send_event($node, $u, $room, 'm.room.message', { msgtype => 'm.text', body => $body });
}

# A state event: its event ID.
sub put_state {
    my ($node, $u, $room, $type, $key, $content) = @_;
    my ($st, $b) = $node->put("$C/rooms/" . enc($room) . '/state/' . enc($type) . '/' . enc($key),
        $content, token => $u->{access_token});
    die "state failed: HTTP $st" unless $st == 200;
    return $b->{event_id};
}

# POST /rooms/{room}/{op} (join, invite, leave, kick, ...).
sub member_op {
    my ($node, $u, $room, $op, $body) = @_;
    my ($st, $b) = $node->post("$C/rooms/" . enc($room) . "/$op", $body // {},
        token => $u->{access_token});
    die "$op failed: HTTP $st " . $SyncroTest::JSON->encode($b) unless $st == 200;
}

1;
