#!/usr/bin/perl
# 81-relations.t -- GET /v1/rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]],
# GET /v1/rooms/{roomId}/threads, bundled aggregations (unsigned."m.relations") on
# GET /rooms/{roomId}/event/{eventId}, and GET /v1/rooms/{roomId}/timestamp_to_event.
use strict;
use warnings;
use Test::More;
use SyncroTest;
use SyncroTest::Util qw(errcode_is enc);

my $node = SyncroTest::Node->new;
my $C  = '/_matrix/client/v3';
my $V1 = '/_matrix/client/v1';
my ($st, $b);

my $txn = 0;
sub send_ev {
    my ($u, $room, $type, $content) = @_;
    my ($st, $b) = $node->put("$C/rooms/" . enc($room) . '/send/' . enc($type) . '/t' . ++$txn,
        $content, token => $u->{access_token});
    die "send failed: $st " . ($b ? $SyncroTest::JSON->encode($b) : '') unless $st == 200;
    return $b->{event_id};
}
sub msg { my ($u, $room, $body) = @_; send_ev($u, $room, 'm.room.message', { msgtype => 'm.text', body => $body }) }
sub rel {
    my ($u, $room, $rel_type, $parent, $body, %o) = @_;
    my $content = { msgtype => 'm.text', body => $body,
                    'm.relates_to' => { rel_type => $rel_type, event_id => $parent, %{ $o{extra} || {} } } };
    $content->{'m.new_content'} = { msgtype => 'm.text', body => $body } if $rel_type eq 'm.replace';
    return send_ev($u, $room, $o{type} // 'm.room.message', $content);
}
sub relations {
    my ($u, $room, $parent, $path, $query) = @_;
    my $p = "$V1/rooms/" . enc($room) . '/relations/' . enc($parent);
    $p .= $path if defined $path;
    $p .= "?$query" if defined $query;
    return $node->get($p, token => $u->{access_token});
}
sub ids { [ map { $_->{event_id} } @{ $_[0]{chunk} || [] } ] }
sub get_event {
    my ($u, $room, $id) = @_;
    return $node->get("$C/rooms/" . enc($room) . '/event/' . enc($id), token => $u->{access_token});
}
sub threads {
    my ($u, $room, $query) = @_;
    return $node->get("$V1/rooms/" . enc($room) . '/threads' . (defined $query ? "?$query" : ''),
        token => $u->{access_token});
}
sub redact {
    my ($u, $room, $id) = @_;
    my ($st, $b) = $node->put("$C/rooms/" . enc($room) . '/redact/' . enc($id) . '/r' . ++$txn, {},
        token => $u->{access_token});
    die "redact failed: $st" unless $st == 200;
}
sub join_room {
    my ($u, $room) = @_;
    my ($st, $b) = $node->post("$C/rooms/" . enc($room) . '/join', {}, token => $u->{access_token});
    die "join failed: $st" unless $st == 200;
}

my $alice = $node->register_user('alice');
my $bob   = $node->register_user('bob');
my $carol = $node->register_user('carol');
my $eve   = $node->register_user('eve');

($st, $b) = $node->post("$C/createRoom", { preset => 'public_chat' }, token => $alice->{access_token});
my $room = $b->{room_id};
join_room($_, $room) for $bob, $carol;

# --- the family of one root ----------------------------------------------------
my $root   = msg($alice, $room, 'root');
my $edit1  = rel($alice, $room, 'm.replace', $root, 'edit 1');
my $t1     = rel($bob, $room, 'm.thread', $root, 'thread 1');
my $t2     = rel($bob, $room, 'm.thread', $root, 'thread 2');
my $t3     = rel($alice, $room, 'm.thread', $root, 'thread 3');
my $ref1   = rel($bob, $room, 'm.reference', $root, 'ref');
my $ann    = send_ev($carol, $room, 'm.reaction',
    { 'm.relates_to' => { rel_type => 'm.annotation', event_id => $root, key => "\x{1F44D}" } });
my $bad    = rel($bob, $room, 'm.replace', $root, 'bob edits alice');
my $edit2  = rel($alice, $room, 'm.replace', $root, 'edit 2');

# --- relations a new event may not have (as Synapse) ------------------------------
sub try_rel {
    my ($u, $room, $type, $rel) = @_;
    return $node->put("$C/rooms/" . enc($room) . '/send/' . enc($type) . '/t' . ++$txn,
        { msgtype => 'm.text', body => 'x', 'm.relates_to' => $rel }, token => $u->{access_token});
}
($st, $b) = try_rel($bob, $room, 'm.room.message', { rel_type => 'm.thread', event_id => $t1 });
errcode_is($st, $b, 400, 'M_UNKNOWN', 'a thread from a thread reply');
($st, $b) = try_rel($carol, $room, 'm.reaction', { rel_type => 'm.annotation', event_id => $ann,
    key => 'x' });
errcode_is($st, $b, 400, 'M_UNKNOWN', 'an annotation of an annotation');
($st, $b) = try_rel($bob, $room, 'm.room.message', { rel_type => 'm.reference',
    event_id => '$nosuchevent' });
errcode_is($st, $b, 400, 'M_UNKNOWN', 'a relation to an unknown event');
($st, $b) = $node->post("$C/createRoom", { preset => 'public_chat' }, token => $bob->{access_token});
($st, $b) = try_rel($bob, $b->{room_id}, 'm.room.message', { rel_type => 'm.reference',
    event_id => $root });
errcode_is($st, $b, 400, 'M_UNKNOWN', 'a relation to an event of another room');
($st, $b) = try_rel($bob, $room, 'm.room.message', { rel_type => 'm.thread', event_id => $ref1 });
errcode_is($st, $b, 400, 'M_UNKNOWN', 'a thread from a reference');
my $t1edit = rel($bob, $room, 'm.replace', $t1, 'thread 1, edited');
my $other  = msg($alice, $room, 'unrelated');
my @all_newest_first = ($edit2, $bad, $ann, $ref1, $t3, $t2, $t1, $edit1);

# --- /relations: everything, pages both ways -----------------------------------
($st, $b) = relations($alice, $room, $root, undef, 'limit=20');
is($st, 200, 'relations: 200') or diag explain $b;
is_deeply(ids($b), \@all_newest_first, '... every direct child, newest first (dir=b default)');
ok(!exists $b->{next_batch}, '... no next_batch when all fit');
ok(!exists $b->{recursion_depth}, '... no recursion_depth without recurse');
my ($first) = grep { $_->{event_id} eq $edit2 } @{ $b->{chunk} };
is($first->{sender}, $alice->{user_id}, '... chunk entries are whole events (sender)');
is($first->{content}{'m.relates_to'}{rel_type}, 'm.replace', '... (content)');
ok(exists $first->{unsigned}{age}, '... (unsigned)');

($st, $b) = relations($alice, $room, $root);
is(scalar @{ $b->{chunk} }, 5, 'default limit is 5');

my (@got, $tok, $pages);
$tok = undef;
do {
    ($st, $b) = relations($alice, $room, $root, undef, 'limit=3' . (defined $tok ? "&from=$tok" : ''));
    is($st, 200, 'dir=b page ' . ++$pages . ': 200') or diag explain $b;
    is($b->{prev_batch}, $tok, '... prev_batch is the from token') if defined $tok;
    push @got, @{ ids($b) };
    $tok = $b->{next_batch};
} while (defined $tok && $pages < 10);
is($pages, 3, 'dir=b: three pages of 3');
is_deeply(\@got, \@all_newest_first, '... together every child once, newest first');

(@got, $pages) = ();
$tok = undef;
do {
    ($st, $b) = relations($alice, $room, $root, undef, 'dir=f&limit=3' . (defined $tok ? "&from=$tok" : ''));
    is($st, 200, 'dir=f page ' . ++$pages . ': 200') or diag explain $b;
    push @got, @{ ids($b) };
    $tok = $b->{next_batch};
} while (defined $tok && $pages < 10);
is($pages, 3, 'dir=f: three pages');
is_deeply(\@got, [reverse @all_newest_first], '... together every child once, oldest first');

# to: stop at a token.  The first dir=b page's next_batch bounds a dir=f walk from the start.
($st, $b) = relations($alice, $room, $root, undef, 'limit=3');
my $after_three = $b->{next_batch};
($st, $b) = relations($alice, $room, $root, undef, "dir=f&limit=20&to=$after_three");
is_deeply(ids($b), [reverse @all_newest_first[3 .. $#all_newest_first]],
    'dir=f with to: stops where the newest three begin');

# --- filtering by rel_type and event type ---------------------------------------
($st, $b) = relations($alice, $room, $root, '/m.thread');
is_deeply(ids($b), [$t3, $t2, $t1], 'rel_type m.thread: the thread replies');
($st, $b) = relations($alice, $room, $root, '/m.replace', 'limit=10');
is_deeply(ids($b), [$edit2, $bad, $edit1], 'rel_type m.replace: the edits (any sender)');
($st, $b) = relations($alice, $room, $root, '/m.annotation/m.reaction');
is_deeply(ids($b), [$ann], 'rel_type m.annotation, type m.reaction');
($st, $b) = relations($alice, $room, $root, '/m.annotation/m.room.message');
is($st, 200, 'no children of that type: 200');
is_deeply(ids($b), [], '... an empty chunk');
($st, $b) = relations($alice, $room, $root, '/m.thread', 'dir=f&limit=2');
is_deeply(ids($b), [$t1, $t2], 'rel_type with dir=f and a limit');
ok(defined $b->{next_batch}, '... and a next_batch');
($st, $b) = relations($alice, $room, $root, '/m.thread', "dir=f&limit=2&from=$b->{next_batch}");
is_deeply(ids($b), [$t3], '... whose next page is the rest');

# --- recurse -----------------------------------------------------------------
($st, $b) = relations($alice, $room, $root, undef, 'limit=20&recurse=true');
is($st, 200, 'recurse=true: 200') or diag explain $b;
is_deeply(ids($b), [$t1edit, @all_newest_first], '... children of children too');
is($b->{recursion_depth}, 3, '... recursion_depth given');
($st, $b) = relations($alice, $room, $root, '/m.replace', 'limit=20&recurse=true');
is_deeply(ids($b), [$t1edit, $edit2, $bad, $edit1], '... filtered by rel_type at every depth');
($st, $b) = relations($alice, $room, $t1);
is_deeply(ids($b), [$t1edit], 'the thread reply has its own edit');

# --- bad requests -------------------------------------------------------------
($st, $b) = relations($alice, $room, $root, undef, 'dir=up');
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'dir not b/f');
($st, $b) = relations($alice, $room, $root, undef, 'limit=many');
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'limit not a number');
($st, $b) = relations($alice, $room, $root, undef, 'from=garbage');
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'unknown from token');
($st, $b) = relations($alice, $room, $root, undef, 'recurse=maybe');
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'recurse not a boolean');
($st, $b) = relations($alice, $room, '$nosuchevent');
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'unknown parent');
($st, $b) = relations($eve, $room, $root);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'a non-member of a shared room');

# --- bundled aggregations on /event ---------------------------------------------
($st, $b) = get_event($carol, $room, $root);
is($st, 200, '/event of the root: 200') or diag explain $b;
my $rels = $b->{unsigned}{'m.relations'};
ok(ref $rels eq 'HASH', '... unsigned has m.relations') or diag explain $b;
is($rels->{'m.replace'}{event_id}, $edit2, "... m.replace: the newest of alice's edits (not bob's)");
is($rels->{'m.replace'}{content}{'m.new_content'}{body}, 'edit 2', '... as the whole edit event');
is($rels->{'m.thread'}{count}, 3, '... m.thread count');
is($rels->{'m.thread'}{latest_event}{event_id}, $t3, '... m.thread latest_event');
ok(!$rels->{'m.thread'}{current_user_participated}, '... carol did not participate');
is_deeply($rels->{'m.reference'}, { chunk => [{ event_id => $ref1 }] }, '... m.reference chunk');
ok(!exists $rels->{'m.annotation'}, '... annotations are not bundled');
is($b->{content}{body}, 'root', '... the original content is left as it was');

($st, $b) = get_event($bob, $room, $root);
ok($b->{unsigned}{'m.relations'}{'m.thread'}{current_user_participated}, 'bob replied: participated');
($st, $b) = get_event($alice, $room, $root);
ok($b->{unsigned}{'m.relations'}{'m.thread'}{current_user_participated}, 'alice sent the root: participated');

($st, $b) = get_event($alice, $room, $t1);
is($b->{unsigned}{'m.relations'}{'m.replace'}{event_id}, $t1edit, 'a thread reply bundles its own edit');
($st, $b) = get_event($alice, $room, $other);
ok(!exists $b->{unsigned}{'m.relations'}, 'an event without relations has no m.relations');

# Redacting the newest edit and reply: the bundle falls back; relations leave them out.
redact($alice, $room, $edit2);
redact($alice, $room, $t3);
($st, $b) = get_event($carol, $room, $root);
$rels = $b->{unsigned}{'m.relations'};
is($rels->{'m.replace'}{event_id}, $edit1, 'after redacting edit 2: edit 1 is the newest');
is($rels->{'m.thread'}{count}, 2, 'after redacting a reply: count 2');
is($rels->{'m.thread'}{latest_event}{event_id}, $t2, '... latest_event the one before');
is($rels->{'m.thread'}{latest_event}{unsigned}{'m.relations'}, undef,
    '... (t2 has no relations of its own)');
($st, $b) = relations($alice, $room, $root, undef, 'limit=20');
is_deeply(ids($b), [grep { $_ ne $edit2 && $_ ne $t3 } @all_newest_first],
    'redacted children drop out of /relations');

# A redacted root bundles nothing.
my $root_r = msg($alice, $room, 'to be redacted');
rel($alice, $room, 'm.replace', $root_r, 'edited');
redact($alice, $room, $root_r);
($st, $b) = get_event($alice, $room, $root_r);
ok(!exists $b->{unsigned}{'m.relations'}, 'a redacted event has no bundled relations');

# --- /threads ----------------------------------------------------------------
my $root2 = msg($carol, $room, 'second root');
my $r2a   = rel($carol, $room, 'm.thread', $root2, 'carol in her thread');
($st, $b) = threads($alice, $room);
is($st, 200, 'threads: 200') or diag explain $b;
is_deeply(ids($b), [$root2, $root], '... both roots, most recently active first');
is($b->{chunk}[0]{unsigned}{'m.relations'}{'m.thread'}{latest_event}{event_id}, $r2a,
    '... roots carry their thread summary');
($st, $b) = threads($bob, $room, 'include=participated');
is_deeply(ids($b), [$root], "include=participated: bob's thread only");
($st, $b) = threads($carol, $room, 'include=participated');
is_deeply(ids($b), [$root2], "include=participated: carol's own root only");
($st, $b) = threads($eve, $room);
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'threads for a non-member');
($st, $b) = threads($alice, $room, 'include=mine');
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'include not all/participated');

($st, $b) = threads($alice, $room, 'limit=1');
is_deeply(ids($b), [$root2], 'threads limit=1: the newest');
ok(defined $b->{next_batch}, '... with a next_batch');
($st, $b) = threads($alice, $room, "limit=1&from=$b->{next_batch}");
is_deeply(ids($b), [$root], '... the next page: the other');
ok(!exists $b->{next_batch}, '... and no more');

# A new reply moves the older thread to the top.
rel($bob, $room, 'm.thread', $root, 'bump');
($st, $b) = threads($alice, $room);
is_deeply(ids($b), [$root, $root2], 'a new reply moves a thread to the front');

# --- history visibility ------------------------------------------------------
($st, $b) = $node->post("$C/createRoom", { preset => 'public_chat',
    initial_state => [{ type => 'm.room.history_visibility', state_key => '',
                        content => { history_visibility => 'joined' } }] },
    token => $alice->{access_token});
my $hroom = $b->{room_id};
my $hroot = msg($alice, $hroom, 'before dave');
my $hr1 = rel($alice, $hroom, 'm.thread', $hroot, 'reply before dave');
join_room($carol, $hroom);
join_room($eve, $hroom);  # eve: a member who sees from her join on
my $hr2 = rel($alice, $hroom, 'm.thread', $hroot, 'reply while eve is here');
($st, $b) = $node->post("$C/rooms/" . enc($hroom) . '/leave', {}, token => $eve->{access_token});
is($st, 200, 'eve leaves') or diag explain $b;
my $hr3 = rel($alice, $hroom, 'm.thread', $hroot, 'reply after eve left');

($st, $b) = relations($alice, $hroom, $hroot);
is_deeply(ids($b), [$hr3, $hr2, $hr1], 'alice sees every reply');
($st, $b) = relations($eve, $hroom, $hroot);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'a root from before her join is not found for eve');
($st, $b) = threads($eve, $hroom);
is($st, 200, 'eve (departed) may list threads') or diag explain $b;
is_deeply(ids($b), [], '... but the root she cannot see is not listed');
($st, $b) = get_event($eve, $hroom, $hr2);
is($st, 200, 'eve sees the reply sent while she was joined') or diag explain $b;

# A root eve can see, replies on both sides of her leave.
join_room($eve, $hroom);
my $vroot = msg($alice, $hroom, 'root eve sees');
my $v1 = rel($alice, $hroom, 'm.thread', $vroot, 'v1 seen');
($st, $b) = $node->post("$C/rooms/" . enc($hroom) . '/leave', {}, token => $eve->{access_token});
my $v2 = rel($alice, $hroom, 'm.thread', $vroot, 'v2 after she left');
($st, $b) = relations($eve, $hroom, $vroot);
is($st, 200, 'eve: relations of a root she saw') or diag explain $b;
is_deeply(ids($b), [$v1], '... only the reply from while she was joined');
($st, $b) = relations($alice, $hroom, $vroot);
is_deeply(ids($b), [$v2, $v1], '... alice sees both');
($st, $b) = get_event($eve, $hroom, $vroot);
is($b->{unsigned}{'m.relations'}{'m.thread'}{latest_event}{event_id}, $v1,
    "eve's bundle never shows a reply she cannot see") or diag explain $b;

# --- timestamp_to_event -------------------------------------------------------
($st, $b) = $node->post("$C/createRoom", {}, token => $alice->{access_token});
my $troom = $b->{room_id};
my $ta = msg($alice, $troom, 'a');
select(undef, undef, undef, 0.05);
my $tb = msg($alice, $troom, 'b');
select(undef, undef, undef, 0.05);
my $tc = msg($alice, $troom, 'c');
my %ts;
for ($ta, $tb, $tc) { ($st, $b) = get_event($alice, $troom, $_); $ts{$_} = $b->{origin_server_ts}; }
ok($ts{$ta} < $ts{$tb} && $ts{$tb} < $ts{$tc}, 'three events with increasing timestamps');

sub ts2e {
    my ($u, $room, $q) = @_;
    return $node->get("$V1/rooms/" . enc($room) . "/timestamp_to_event?$q", token => $u->{access_token});
}
($st, $b) = ts2e($alice, $troom, 'ts=' . ($ts{$tb} - 1) . '&dir=f');
is($st, 200, 'timestamp_to_event dir=f: 200') or diag explain $b;
is($b->{event_id}, $tb, '... the first event at or after ts');
is($b->{origin_server_ts}, $ts{$tb}, '... with its origin_server_ts');
($st, $b) = ts2e($alice, $troom, 'ts=' . ($ts{$tb} - 1) . '&dir=b');
is($b->{event_id}, $ta, 'dir=b: the last event at or before ts');
($st, $b) = ts2e($alice, $troom, "ts=$ts{$tb}&dir=b");
is($b->{event_id}, $tb, 'dir=b at an exact timestamp: that event');
($st, $b) = ts2e($alice, $troom, 'ts=' . ($ts{$tc} + 100000) . '&dir=f');
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'nothing after the last event');
($st, $b) = ts2e($alice, $troom, 'ts=0&dir=b');
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'nothing before the first event');
($st, $b) = ts2e($alice, $troom, 'ts=1');
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'dir missing');
($st, $b) = ts2e($alice, $troom, 'dir=f');
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'ts missing');
($st, $b) = ts2e($alice, $troom, 'ts=soon&dir=f');
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'ts not a number');
($st, $b) = ts2e($alice, $troom, 'ts=1&dir=x');
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'dir not f/b');
($st, $b) = ts2e($bob, $troom, 'ts=1&dir=f');
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'a non-member of a private room');

# Visibility: eve (departed from the 'joined' room) gets the newest event she may see.
($st, $b) = $node->get("$C/rooms/" . enc($hroom) . '/state/m.room.member/' . enc($eve->{user_id}) . '?format=event',
    token => $eve->{access_token});
my $eve_leave = $b->{event_id};
ok(defined $eve_leave, "eve's leave event, read back");
($st, $b) = ts2e($eve, $hroom, 'ts=' . (time() * 1000 + 100000) . '&dir=b');
is($st, 200, 'timestamp_to_event for a departed member: 200') or diag explain $b;
isnt($b->{event_id}, $v2, '... not the reply sent after she left');
is($b->{event_id}, $eve_leave, '... her own leave, the newest event she may see');
($st, $b) = ts2e($alice, $hroom, 'ts=' . (time() * 1000 + 100000) . '&dir=b');
is($b->{event_id}, $v2, 'alice gets the newest event');

# --- the migration's backfill finds the rows the persist pipeline wrote ------------
# (Redacted events have lost their m.relates_to; every read leaves them out anyway.)
sub sql_one {
    my ($sql) = @_;
    my ($rc, $out) = $node->pg->psql($sql);
    die "psql failed: $out" if $rc != 0;
    chomp $out;
    return $out;
}
my $rows_sql = q{SELECT count(*) || ':' || md5(string_agg(event_id || relates_to_id || rel_type || room_id
    || type || sender || stream_ordering || origin_server_ts || coalesce(aggregation_key, '-'), ','
    ORDER BY event_id)) FROM event_relations r
    WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = r.event_id AND e.redacted_by IS NOT NULL)};
my $written = sql_one($rows_sql);
like($written, qr/^[1-9]\d*:/, 'the pipeline wrote relation rows');
my $mig = SyncroTest::file_text(SyncroTest::srcdir() . '/schema/007_filters_relations.sql');
my ($backfill) = $mig =~ /(INSERT INTO event_relations .*?;)/s;
ok(defined $backfill, "the migration's backfill statement");
sql_one("BEGIN; DELETE FROM event_relations; $backfill COMMIT;");
is(sql_one($rows_sql), $written, '... rebuilds exactly the same rows from stored events');

done_testing();
