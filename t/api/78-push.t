#!/usr/bin/perl
# 78-push.t -- push rules (/pushrules/...), notification and highlight
# counts written at persist time (/notifications and the push tables),
# pushers (/pushers, /pushers/set).
use strict;
use warnings;
use Test::More;
use SyncroTest;
use SyncroTest::Util qw(errcode_is enc sqlq);

my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3';
my $PR = "$C/pushrules/global";
my ($st, $b);

# The HTTP status of a request, for is().
sub st { my @r = @_; return $r[0] }

sub sql { SyncroTest::Util::sql($node, @_) }

# The unread counts /sync answers (push_counts), checked against a count of the rows after
# the read position, which is what they must always equal.
sub unread {
    my ($u, $room) = @_;
    my $q = 'SELECT count(*) FILTER (WHERE a.notify) || \',\' || count(*) FILTER (WHERE a.highlight) '
        . 'FROM push_actions a WHERE ' . sqlq($u->{user_id}) . ' = ANY(a.user_ids)'
        . ' AND a.room_id = ' . sqlq($room)
        . ' AND a.stream_ordering > coalesce((SELECT r.stream_ordering FROM push_read r WHERE '
        . 'r.user_id = ' . sqlq($u->{user_id}) . ' AND r.room_id = a.room_id), 0)';
    my $rows = sql($q);
    my $kept = sql('SELECT coalesce((SELECT notify || \',\' || highlight FROM push_counts WHERE '
        . 'user_id = ' . sqlq($u->{user_id}) . ' AND room_id = ' . sqlq($room) . "), '0,0')");
    is($kept, $rows, "kept counts $kept match the rows");
    return $kept;
}

my $txn = 0;
sub send_msg {
    my ($u, $room, $content, $type) = @_;
    $type //= 'm.room.message';
    $content = { msgtype => 'm.text', body => $content } unless ref $content;
    my ($st, $b) = $node->put("$C/rooms/" . enc($room) . '/send/' . enc($type) . '/t' . ++$txn,
        $content, token => $u->{access_token});
    is($st, 200, "send $type: 200") or diag explain $b;
    return $b->{event_id};
}

sub rule_ids {
    my ($list) = @_;
    return [ map { $_->{rule_id} } @$list ];
}

sub ruleset {
    my ($u) = @_;
    my ($st, $b) = $node->get("$C/pushrules/", token => $u->{access_token});
    is($st, 200, 'GET /pushrules/: 200') or diag explain $b;
    return $b->{global};
}

sub notifs {
    my ($u, $query) = @_;
    my ($st, $b) = $node->get("$C/notifications" . (defined $query ? "?$query" : ''),
        token => $u->{access_token});
    is($st, 200, 'GET /notifications' . (defined $query ? "?$query" : '') . ': 200')
        or diag explain $b;
    return $b;
}

my $alice = $node->register_user('alice', 'pw-alice');
my $bob   = $node->register_user('bob', 'pw-bob');
my $carol = $node->register_user('carol', 'pw-carol');
my $dave  = $node->register_user('dave', 'pw-dave');
my $D = $dave->{access_token};

# --- the default ruleset ------------------------------------------------------
my $g = ruleset($dave);
is_deeply(rule_ids($g->{override}), [qw(.m.rule.master .m.rule.suppress_notices
    .m.rule.invite_for_me .m.rule.member_event .m.rule.is_user_mention
    .m.rule.contains_display_name .m.rule.is_room_mention .m.rule.roomnotif
    .m.rule.tombstone .m.rule.reaction .m.rule.room.server_acl .m.rule.suppress_edits)],
    'default override rules in order');
is_deeply(rule_ids($g->{content}), ['.m.rule.contains_user_name'], 'default content rule');
is_deeply(rule_ids($g->{underride}), [qw(.m.rule.call .m.rule.encrypted_room_one_to_one
    .m.rule.room_one_to_one .m.rule.message .m.rule.encrypted)], 'default underride rules');
is_deeply($g->{room}, [], 'no room rules');
is_deeply($g->{sender}, [], 'no sender rules');
ok(!(grep { !$_->{default} } map { @{ $g->{$_} } } qw(override content underride)),
    'every rule is marked default');
ok(!$g->{override}[0]{enabled}, 'master is disabled');
ok((!grep { !$_->{enabled} } @{ $g->{override} }[1 .. 11]), 'the other overrides are enabled');
is($g->{content}[0]{pattern}, 'dave', 'contains_user_name matches the localpart');
is_deeply($g->{content}[0]{actions},
    ['notify', { set_tweak => 'sound', value => 'default' }, { set_tweak => 'highlight' }],
    '... with sound and highlight');
my ($inv) = grep { $_->{rule_id} eq '.m.rule.invite_for_me' } @{ $g->{override} };
is_deeply($inv->{conditions}[2], { kind => 'event_match', key => 'state_key',
    pattern => $dave->{user_id} }, 'invite_for_me names the user');
my ($men) = grep { $_->{rule_id} eq '.m.rule.is_user_mention' } @{ $g->{override} };
is_deeply($men->{conditions}, [{ kind => 'event_property_contains',
    key => 'content.m\\.mentions.user_ids', value => $dave->{user_id} }],
    'is_user_mention: escaped key, the user as value');
my ($one) = grep { $_->{rule_id} eq '.m.rule.room_one_to_one' } @{ $g->{underride} };
is_deeply($one->{conditions}, [{ kind => 'room_member_count', is => '2' },
    { kind => 'event_match', key => 'type', pattern => 'm.room.message' }],
    'room_one_to_one conditions');
ok(!exists $g->{content}[0]{conditions}, 'content rules carry no conditions');

($st, $b) = $node->get("$PR/", token => $D);
is($st, 200, 'GET /pushrules/global/: 200');
is_deeply($b, $g, '... the same ruleset');
($st, $b) = $node->get("$PR/override/.m.rule.master", token => $D);
is($st, 200, 'GET one default rule: 200');
is($b->{rule_id}, '.m.rule.master', '... the rule');
ok($b->{default} && !$b->{enabled}, '... default and disabled');
($st, $b) = $node->get("$C/pushrules/");
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'no token');

errcode_is($node->get("$PR/override/nope", token => $D), 404, 'M_NOT_FOUND', 'unknown rule');
errcode_is($node->get("$PR/underride/.m.rule.master", token => $D), 404, 'M_NOT_FOUND',
    'a default rule under another kind');
errcode_is($node->get("$PR/bogus/x", token => $D), 400, 'M_INVALID_PARAM', 'bad kind (GET)');

# --- create, order, update, delete ------------------------------------------
sub put_rule {
    my ($kind, $id, $body, $q) = @_;
    return $node->put("$PR/$kind/" . enc($id) . (defined $q ? "?$q" : ''), $body, token => $D);
}
sub user_overrides { [ grep { !/^\.m\.rule\.(?!master)/ } @{ rule_ids(ruleset($dave)->{override}) } ] }

my $cond = [{ kind => 'event_match', key => 'content.body', pattern => 'secret' }];
($st, $b) = put_rule('override', 'r1', { conditions => $cond, actions => ['notify'] });
is($st, 200, 'PUT override r1: 200') or diag explain $b;
($st, $b) = $node->get("$PR/override/r1", token => $D);
is($st, 200, 'GET r1: 200');
is_deeply($b, { rule_id => 'r1', default => JSON::PP::false, enabled => JSON::PP::true,
    conditions => $cond, actions => ['notify'] }, 'r1 as stored, enabled by default');
is_deeply(user_overrides(), [qw(.m.rule.master r1)], 'master first, then r1, then defaults');
is(ruleset($dave)->{override}[2]{rule_id}, '.m.rule.suppress_notices',
    'the default overrides follow the user rules');

is(st(put_rule('override', 'r2', { actions => ['notify'] })), 200, 'r2 (no conditions): 200');
is_deeply(user_overrides(), [qw(.m.rule.master r2 r1)], 'a new rule goes on top');
($st, $b) = $node->get("$PR/override/r2", token => $D);
is_deeply($b->{conditions}, [], 'no conditions stored as []');
is(st(put_rule('override', 'r3', { actions => [] }, 'after=r2')), 200, 'r3 after r2: 200');
is_deeply(user_overrides(), [qw(.m.rule.master r2 r3 r1)], 'after: just below');
is(st(put_rule('override', 'r4', { actions => [] }, 'before=r1')), 200, 'r4 before r1: 200');
is_deeply(user_overrides(), [qw(.m.rule.master r2 r3 r4 r1)], 'before: just above');
is(st(put_rule('override', 'r5', { actions => [] }, 'before=r2')), 200, 'r5 before r2: 200');
is_deeply(user_overrides(), [qw(.m.rule.master r5 r2 r3 r4 r1)], 'before the top rule');
is(st(put_rule('override', 'r1', { conditions => $cond, actions => ['notify'] }, 'before=r5')), 200,
    'move r1 before r5: 200');
is_deeply(user_overrides(), [qw(.m.rule.master r1 r5 r2 r3 r4)], 'an existing rule moves');
is(st(put_rule('override', 'r3', { actions => ['notify'] })), 200, 'update r3 in place: 200');
is_deeply(user_overrides(), [qw(.m.rule.master r1 r5 r2 r3 r4)], 'an update keeps its place');
($st, $b) = $node->get("$PR/override/r3/actions", token => $D);
is_deeply($b, { actions => ['notify'] }, '... with the new actions');
is(st(put_rule('override', 'r6', { actions => [] }, 'before=r2&after=r4')), 200,
    'both before and after: 200');
is_deeply(user_overrides(), [qw(.m.rule.master r1 r5 r6 r2 r3 r4)], 'before wins');

errcode_is(put_rule('override', 'r7', { actions => [] }, 'before=nope'), 400, 'M_UNKNOWN',
    'before an unknown rule');
errcode_is(put_rule('override', 'r7', { actions => [] }, 'after=.m.rule.master'), 400,
    'M_UNKNOWN', 'relative to a server-default rule');
errcode_is(put_rule('override', 'r6', { actions => [] }, 'before=r6'), 400, 'M_UNKNOWN',
    'relative to itself');
is_deeply(user_overrides(), [qw(.m.rule.master r1 r5 r6 r2 r3 r4)],
    'failed PUTs changed nothing (r6 kept, no r7)');
errcode_is(put_rule('override', '.m.rule.mine', { actions => [] }), 400, 'M_INVALID_PARAM',
    'a rule ID starting with a dot');
errcode_is(put_rule('override', '.m.rule.master', { actions => [] }), 400, 'M_INVALID_PARAM',
    'replacing a default rule');
errcode_is(put_rule('override', 'a/b', { actions => [] }), 400, 'M_INVALID_PARAM',
    'a slash in the rule ID');
errcode_is(put_rule('override', 'a\\b', { actions => [] }), 400, 'M_INVALID_PARAM',
    'a backslash in the rule ID');
errcode_is(put_rule('bogus', 'x', { actions => [] }), 400, 'M_INVALID_PARAM', 'bad kind (PUT)');
errcode_is(put_rule('override', 'bad', {}), 400, 'M_UNKNOWN', 'no actions');
errcode_is(put_rule('override', 'bad', { actions => 'notify' }), 400, 'M_UNKNOWN',
    'actions not an array');
errcode_is(put_rule('override', 'bad', { actions => ['explode'] }), 400, 'M_UNKNOWN',
    'unknown action');
errcode_is(put_rule('override', 'bad', { actions => [{ value => 1 }] }), 400, 'M_UNKNOWN',
    'an action object without set_tweak');
errcode_is(put_rule('override', 'bad', { actions => [], conditions => {} }), 400, 'M_UNKNOWN',
    'conditions not an array');
errcode_is(put_rule('override', 'bad', { actions => [], conditions => [{ key => 'type' }] }),
    400, 'M_UNKNOWN', 'a condition without kind');
errcode_is(put_rule('content', 'bad', { actions => [] }), 400, 'M_UNKNOWN',
    'content rule without pattern');
errcode_is(put_rule('content', 'bad', { actions => [], pattern => 5 }), 400, 'M_UNKNOWN',
    'content pattern not a string');
($st, $b) = $node->put("$PR/override/bad", [], token => $D);
is($st, 400, 'a body that is not an object: 400');
errcode_is($node->get("$PR/override/bad", token => $D), 404, 'M_NOT_FOUND',
    'no rule was made by the bad PUTs');

is(st(put_rule('override', 'legacy', { actions => ['dont_notify', 'coalesce'] })), 200,
    'historical actions: 200');
($st, $b) = $node->get("$PR/override/legacy", token => $D);
is_deeply($b->{actions}, [], 'dont_notify and coalesce are dropped');
is(st(put_rule('override', 'future', { actions => ['notify'],
    conditions => [{ kind => 'org.example.future', x => 1 }] })), 200,
    'an unknown condition kind is stored');

is(st(put_rule('content', 'cake', { pattern => 'cake*lie', actions => ['notify'] })), 200,
    'content rule: 200');
($st, $b) = $node->get("$PR/content/cake", token => $D);
is($b->{pattern}, 'cake*lie', 'content rule pattern');
ok(!exists $b->{conditions}, 'content rule: no conditions');
is_deeply(rule_ids(ruleset($dave)->{content}), [qw(cake .m.rule.contains_user_name)],
    'user content rules before the default');
my $someroom = "!someroom:" . $node->server_name;
is(st(put_rule('room', $someroom, { actions => [] })), 200, 'room rule: 200');
is(st(put_rule('sender', $bob->{user_id}, { actions => ['notify'] })), 200, 'sender rule: 200');
$g = ruleset($dave);
is_deeply(rule_ids($g->{room}), [$someroom], 'the room rule is listed');
is_deeply(rule_ids($g->{sender}), [$bob->{user_id}], 'the sender rule is listed');
ok(!exists $g->{room}[0]{conditions}, 'room rule: no conditions');
is_deeply(rule_ids(ruleset($carol)->{override})->[1], '.m.rule.suppress_notices',
    "another user's ruleset is untouched");

is(st($node->delete("$PR/override/r4", token => $D)), 200, 'DELETE r4: 200');
errcode_is($node->get("$PR/override/r4", token => $D), 404, 'M_NOT_FOUND', 'r4 is gone');
errcode_is($node->delete("$PR/override/r4", token => $D), 404, 'M_NOT_FOUND', 'DELETE again');
is_deeply(user_overrides(), [qw(.m.rule.master future legacy r1 r5 r6 r2 r3)],
    'the others keep their order');
errcode_is($node->delete("$PR/override/.m.rule.master", token => $D), 400, 'M_INVALID_PARAM',
    'a default rule cannot be deleted');
errcode_is($node->delete("$PR/content/.m.rule.contains_user_name", token => $D), 400,
    'M_INVALID_PARAM', 'nor the default content rule');
is(ruleset($dave)->{override}[0]{rule_id}, '.m.rule.master', 'master is still there');
errcode_is($node->delete("$PR/bogus/r1", token => $D), 400, 'M_INVALID_PARAM',
    'bad kind (DELETE)');

# --- enabled and actions --------------------------------------------------------
($st, $b) = $node->get("$PR/override/.m.rule.master/enabled", token => $D);
is_deeply($b, { enabled => JSON::PP::false }, 'master/enabled: false');
is(st($node->put("$PR/override/.m.rule.master/enabled", { enabled => JSON::PP::true }, token => $D)),
    200, 'enable master: 200');
($st, $b) = $node->get("$PR/override/.m.rule.master/enabled", token => $D);
is_deeply($b, { enabled => JSON::PP::true }, 'master/enabled: true');
ok(ruleset($dave)->{override}[0]{enabled}, '... in the ruleset too');
is(st($node->put("$PR/override/.m.rule.master/enabled", { enabled => JSON::PP::false },
    token => $D)), 200, 'disable master again');
ok(!ruleset($dave)->{override}[0]{enabled}, '... disabled');
is(st($node->put("$PR/override/r1/enabled", { enabled => JSON::PP::false }, token => $D)), 200,
    'disable a user rule: 200');
($st, $b) = $node->get("$PR/override/r1", token => $D);
ok(!$b->{enabled}, 'r1 disabled');
is(st(put_rule('override', 'r1', { actions => ['notify'] })), 200, 'update r1');
($st, $b) = $node->get("$PR/override/r1", token => $D);
ok(!$b->{enabled}, 'an update keeps the enabled flag');
errcode_is($node->put("$PR/override/r1/enabled", { enabled => 'yes' }, token => $D), 400,
    'M_INVALID_PARAM', 'enabled not a boolean');
errcode_is($node->put("$PR/override/r1/enabled", {}, token => $D), 400, 'M_MISSING_PARAM',
    'enabled missing');
errcode_is($node->put("$PR/override/nope/enabled", { enabled => JSON::PP::true }, token => $D),
    404, 'M_NOT_FOUND', 'enabled of an unknown rule');
errcode_is($node->get("$PR/override/nope/enabled", token => $D), 404, 'M_NOT_FOUND',
    'GET enabled of an unknown rule');
errcode_is($node->put("$PR/override/.m.rule.nope/enabled", { enabled => JSON::PP::true },
    token => $D), 404, 'M_NOT_FOUND', 'enabled of an unknown dotted rule');

($st, $b) = $node->get("$PR/underride/.m.rule.message/actions", token => $D);
is_deeply($b, { actions => ['notify'] }, '.m.rule.message actions');
my $ring = ['notify', { set_tweak => 'sound', value => 'bell' }];
is(st($node->put("$PR/underride/.m.rule.message/actions", { actions => $ring }, token => $D)), 200,
    'change a default rule\'s actions: 200');
($st, $b) = $node->get("$PR/underride/.m.rule.message/actions", token => $D);
is_deeply($b, { actions => $ring }, '... changed');
($st, $b) = $node->get("$PR/underride/.m.rule.message", token => $D);
ok($b->{default} && $b->{enabled}, '... still a default, still enabled');
is(st($node->put("$PR/override/r2/actions", { actions => [] }, token => $D)), 200,
    'user rule actions: 200');
($st, $b) = $node->get("$PR/override/r2/actions", token => $D);
is_deeply($b, { actions => [] }, '... changed');
errcode_is($node->put("$PR/override/r2/actions", { actions => ['boom'] }, token => $D), 400,
    'M_UNKNOWN', 'bad actions');
errcode_is($node->put("$PR/override/r2/actions", {}, token => $D), 400, 'M_MISSING_PARAM',
    'actions missing');
($st, $b) = $node->get("$PR/override/r2/actions", token => $D);
is_deeply($b, { actions => [] }, 'a bad PUT changed nothing');
errcode_is($node->put("$PR/override/nope/actions", { actions => [] }, token => $D), 404,
    'M_NOT_FOUND', 'actions of an unknown rule');

# --- counts at persist time ----------------------------------------------------
is(st($node->put("$C/profile/" . enc($alice->{user_id}) . '/displayname',
    { displayname => 'Alice Wonder' }, token => $alice->{access_token})), 200,
    'alice sets a display name');

($st, $b) = $node->post("$C/createRoom", { preset => 'private_chat' },
    token => $bob->{access_token});
is($st, 200, 'bob creates a room') or diag explain $b;
my $dm = $b->{room_id};
is(st($node->post("$C/rooms/" . enc($dm) . '/invite', { user_id => $alice->{user_id} },
    token => $bob->{access_token})), 200, 'bob invites alice');
my $n = notifs($alice);
is(scalar @{ $n->{notifications} }, 1, 'the invite notifies alice');
is($n->{notifications}[0]{event}{type}, 'm.room.member', '... a member event');
is($n->{notifications}[0]{room_id}, $dm, '... in the room');
ok(!$n->{notifications}[0]{read}, '... unread');
like($n->{notifications}[0]{ts}, qr/^\d{13}$/, '... a timestamp in ms');
is(st($node->post("$C/rooms/" . enc($dm) . '/join', {}, token => $alice->{access_token})), 200,
    'alice joins');
is(unread($alice, $dm), '1,0', 'alice: 1 unread (the invite), no highlight');

my $hello = send_msg($bob, $dm, 'hello there');
$n = notifs($alice);
is($n->{notifications}[0]{event}{event_id}, $hello, 'a 1:1 message notifies alice');
is_deeply($n->{notifications}[0]{actions}, ['notify', { set_tweak => 'sound', value => 'default' }],
    '... with the room_one_to_one actions');
is(unread($alice, $dm), '2,0', 'alice: 2 unread, no highlight');
is(unread($bob, $dm), '0,0', 'bob is not notified of his own message');
is(scalar @{ notifs($bob)->{notifications} }, 0, 'bob has no notifications');

send_msg($bob, $dm, { msgtype => 'm.notice', body => 'beep' });
is(unread($alice, $dm), '2,0', 'a notice does not notify');
my $hl = send_msg($bob, $dm, 'hey Alice Wonder, look');
is(unread($alice, $dm), '3,1', 'the display name raises the highlight count');
$n = notifs($alice, 'only=highlight');
is(scalar @{ $n->{notifications} }, 1, 'only=highlight: one');
is($n->{notifications}[0]{event}{event_id}, $hl, '... the mention');
ok((grep { ref $_ && ($_->{set_tweak} // '') eq 'highlight' } @{ $n->{notifications}[0]{actions} }),
    '... with the highlight tweak');
send_msg($bob, $dm, 'ping alice');
is(unread($alice, $dm), '4,2', 'the localpart highlights too');
send_msg($bob, $dm, { msgtype => 'm.text', body => 'Alice Wonder, hi', 'm.mentions' => {} });
is(unread($alice, $dm), '5,2', 'with m.mentions the body is not scanned: plain notification');
send_msg($bob, $dm, { msgtype => 'm.text', body => 'x',
    'm.mentions' => { user_ids => [$alice->{user_id}] } });
is(unread($alice, $dm), '6,3', 'm.mentions.user_ids highlights');
send_msg($bob, $dm, {}, 'm.reaction');
is(unread($alice, $dm), '6,3', 'a reaction does not notify');

# A group room: .m.rule.message; member counts come from the state after the event.
($st, $b) = $node->post("$C/createRoom", { preset => 'public_chat' },
    token => $carol->{access_token});
my $grp = $b->{room_id};
is(st($node->post("$C/rooms/" . enc($grp) . '/join', {}, token => $_->{access_token})), 200,
    'join the group room') for $alice, $bob;
my $plain = send_msg($carol, $grp, 'morning all');
$n = notifs($alice);
is($n->{notifications}[0]{event}{event_id}, $plain, 'a group message notifies alice');
is_deeply($n->{notifications}[0]{actions}, ['notify'], '... with .m.rule.message actions');
is(unread($alice, $grp), '1,0', 'alice: 1 unread in the group room');
is(unread($bob, $grp), '1,0', 'bob: 1 unread in the group room');
is(unread($carol, $grp), '0,0', 'carol (sender): none');
send_msg($bob, $grp, '@room meeting now');
is(unread($alice, $grp), '2,0', '@room from a level-0 sender is not a highlight');
send_msg($carol, $grp, '@room meeting now');
is(unread($alice, $grp), '3,1', '@room from the room creator highlights');

# The user's rules apply at persist time.
is(st($node->put("$PR/room/" . enc($grp), { actions => [] }, token => $alice->{access_token})), 200,
    'alice mutes the group room');
send_msg($carol, $grp, 'anyone?');
is(unread($alice, $grp), '3,1', 'muted: no notification');
is(unread($bob, $grp), '3,1', 'bob still notified');
is(st($node->delete("$PR/room/" . enc($grp), token => $alice->{access_token})), 200, 'unmute');
is(st($node->put("$PR/override/.m.rule.master/enabled", { enabled => JSON::PP::true },
    token => $alice->{access_token})), 200, 'alice enables master');
send_msg($carol, $grp, 'hello Alice Wonder');
is(unread($alice, $grp), '3,1', 'master: nothing notifies');
is(st($node->put("$PR/override/.m.rule.master/enabled", { enabled => JSON::PP::false },
    token => $alice->{access_token})), 200, 'alice disables master');
send_msg($carol, $grp, 'hello Alice Wonder');
is(unread($alice, $grp), '4,2', 'notifications are back');

# Read positions (what a read receipt moves with sy_push_mark_read).
is(st($node->post("$C/rooms/" . enc($dm) . '/receipt/m.read/' . enc($hello), {},
    token => $alice->{access_token})), 200, 'alice reads up to the first message');
is(unread($alice, $dm), '4,3', 'reading up to the first message leaves 4 unread');
($st, $b) = $node->get("$C/sync?set_presence=offline", token => $alice->{access_token});
is_deeply($b->{rooms}{join}{$dm}{unread_notifications}, { notification_count => 4,
    highlight_count => 3 }, '/sync says so too');
$n = notifs($alice);
my %read = map { $_->{event}{event_id} => $_->{read} } @{ $n->{notifications} };
ok($read{$hello}, '/notifications: the read message is read');
ok(!$read{$hl}, '/notifications: a later one is not');

# --- pagination -------------------------------------------------------------------
my $all = notifs($alice, 'limit=100');
my @ids = map { $_->{event}{event_id} } @{ $all->{notifications} };
is(scalar @ids, 10, 'alice has 10 notifications');
ok(!exists $all->{next_token}, 'no next_token when everything fits');
my @streams = map { sql('SELECT stream_ordering FROM events WHERE event_id = ' . sqlq($_)) } @ids;
is_deeply(\@streams, [ sort { $main::b <=> $main::a } @streams ], 'newest first');
my (@paged, $from);
for (1 .. 20) {
    my $p = notifs($alice, 'limit=3' . (defined $from ? "&from=$from" : ''));
    push @paged, map { $_->{event}{event_id} } @{ $p->{notifications} };
    ok(@{ $p->{notifications} } <= 3, 'a page holds at most 3');
    last unless defined($from = $p->{next_token});
}
is_deeply(\@paged, \@ids, 'pages of 3 give the same list');
errcode_is($node->get("$C/notifications?from=abc", token => $alice->{access_token}), 400,
    'M_INVALID_PARAM', 'a bad from');
errcode_is($node->get("$C/notifications?limit=0", token => $alice->{access_token}), 400,
    'M_INVALID_PARAM', 'limit 0');
errcode_is($node->get("$C/notifications?limit=-1", token => $alice->{access_token}), 400,
    'M_INVALID_PARAM', 'a negative limit');

# --- pushers -------------------------------------------------------------------------
my $A = $alice->{access_token};
my %pusher = (kind => 'http', app_id => 'org.example.app', pushkey => 'key-1',
    app_display_name => 'Example', device_display_name => 'Phone', lang => 'en',
    profile_tag => 'tag', data => { url => 'https://push.example.org/_matrix/push/v1/notify',
    format => 'event_id_only', custom => 1 });
($st, $b) = $node->get("$C/pushers", token => $A);
is($st, 200, 'GET /pushers: 200');
is_deeply($b, { pushers => [] }, 'no pushers yet');
is(st($node->post("$C/pushers/set", \%pusher, token => $A)), 200, 'set a pusher: 200');
($st, $b) = $node->get("$C/pushers", token => $A);
my %want = %pusher;
is_deeply($b->{pushers}, [\%want], 'the pusher as set');
is(st($node->post("$C/pushers/set", { %pusher, device_display_name => 'Tablet' }, token => $A)), 200,
    'set it again: 200');
($st, $b) = $node->get("$C/pushers", token => $A);
is(scalar @{ $b->{pushers} }, 1, 'same app_id and pushkey: updated, not added');
is($b->{pushers}[0]{device_display_name}, 'Tablet', '... with the new value');
is(st($node->post("$C/pushers/set", { %pusher, pushkey => 'key-2' }, token => $A)), 200,
    'a second pushkey: 200');
($st, $b) = $node->get("$C/pushers", token => $A);
is(scalar @{ $b->{pushers} }, 2, 'two pushers');

is(st($node->post("$C/pushers/set", { %pusher, pushkey => 'key-2', append => JSON::PP::true },
    token => $bob->{access_token})), 200, 'bob appends the same app_id/pushkey');
($st, $b) = $node->get("$C/pushers", token => $A);
is(scalar @{ $b->{pushers} }, 2, 'append: alice keeps hers');
is(st($node->post("$C/pushers/set", { %pusher, pushkey => 'key-2' }, token => $bob->{access_token})),
    200, 'bob sets it without append');
($st, $b) = $node->get("$C/pushers", token => $A);
is_deeply([ map { $_->{pushkey} } @{ $b->{pushers} } ], ['key-1'],
    'without append: the other user\'s pusher is removed');
($st, $b) = $node->get("$C/pushers", token => $bob->{access_token});
is(scalar @{ $b->{pushers} }, 1, 'bob has his');

sub bad_pusher {
    my ($body, $code, $name) = @_;
    errcode_is($node->post("$C/pushers/set", $body, token => $A), 400, $code, $name);
}
my %nokind = %pusher; delete $nokind{kind};
bad_pusher(\%nokind, 'M_MISSING_PARAM', 'kind missing');
my %noname = %pusher; delete $noname{app_display_name};
bad_pusher({ %noname, pushkey => 'k3' }, 'M_MISSING_PARAM', 'app_display_name missing');
my %nolang = %pusher; delete $nolang{lang};
bad_pusher({ %nolang, pushkey => 'k3' }, 'M_MISSING_PARAM', 'lang missing');
my %nodata = %pusher; delete $nodata{data};
bad_pusher({ %nodata, pushkey => 'k3' }, 'M_MISSING_PARAM', 'data missing');
bad_pusher({ %pusher, pushkey => 'k3', data => {} }, 'M_MISSING_PARAM', 'data.url missing');
bad_pusher({ %pusher, pushkey => 'k3', data => 'x' }, 'M_INVALID_PARAM', 'data not an object');
bad_pusher({ %pusher, pushkey => 'k3', data => { url => 'https://push.example.org/notify' } },
    'M_INVALID_PARAM', 'a url with the wrong path');
bad_pusher({ %pusher, pushkey => 'k3', data => { url => 'ftp://x/_matrix/push/v1/notify' } },
    'M_INVALID_PARAM', 'a url with the wrong scheme');
bad_pusher({ %pusher, pushkey => 'k3', kind => 'email' }, 'M_INVALID_PARAM', 'email pushers');
bad_pusher({ %pusher, pushkey => 'k3', kind => 5 }, 'M_INVALID_PARAM', 'kind not a string');
bad_pusher({ %pusher, pushkey => 'k' x 513 }, 'M_INVALID_PARAM', 'pushkey over 512 bytes');
bad_pusher({ %pusher, pushkey => 'k3', app_id => 'a' x 65 }, 'M_INVALID_PARAM',
    'app_id over 64');
my %noapp = %pusher; delete $noapp{app_id};
bad_pusher(\%noapp, 'M_MISSING_PARAM', 'app_id missing');
($st, $b) = $node->get("$C/pushers", token => $A);
is_deeply([ map { $_->{pushkey} } @{ $b->{pushers} } ], ['key-1'], 'bad requests changed nothing');

is(st($node->post("$C/pushers/set", { kind => undef, app_id => 'org.example.app',
    pushkey => 'key-1' }, token => $A)), 200, 'kind null deletes: 200');
($st, $b) = $node->get("$C/pushers", token => $A);
is_deeply($b, { pushers => [] }, 'the pusher is gone');
is(st($node->post("$C/pushers/set", { kind => undef, app_id => 'org.example.app',
    pushkey => 'key-1' }, token => $A)), 200, 'deleting again is fine');
($st, $b) = $node->get("$C/pushers", token => $bob->{access_token});
is(scalar @{ $b->{pushers} }, 1, "bob's pusher is untouched");

# --- clients read the rules from /sync account data (m.push_rules) ------------------
($st, $b) = $node->get("$C/sync?set_presence=offline", token => $D);
my @pr = grep { $_->{type} eq 'm.push_rules' } @{ $b->{account_data}{events} };
is(scalar @pr, 1, 'initial sync: m.push_rules in account data');
my $since = $b->{next_batch};
is(st($node->put("$PR/override/sync-probe", { conditions => [], actions => ['notify'] },
    token => $D)), 200, 'a rule change');
($st, $b) = $node->get("$C/sync?since=$since&timeout=2000&set_presence=offline", token => $D);
@pr = grep { $_->{type} eq 'm.push_rules' } @{ $b->{account_data}{events} || [] };
is(scalar @pr, 1, '... is in the next incremental sync');
ok((grep { $_->{rule_id} eq 'sync-probe' } @{ $pr[0]{content}{global}{override} || [] }),
    '... with the new rule');

done_testing;
