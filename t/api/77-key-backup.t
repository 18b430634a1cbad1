#!/usr/bin/perl
# 77-key-backup.t -- /room_keys/version and /room_keys/keys: versions,
# round trip, replace-if-better, etag and count, version errors.
use strict;
use warnings;
use Test::More;
use SyncroTest;
use SyncroTest::Util qw(errcode_is);

my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3/room_keys';
my ($st, $b);

sub enc { my ($s) = @_; $s =~ s/([^A-Za-z0-9._~-])/sprintf('%%%02X', ord $1)/ge; $s }

my $alice = $node->register_user('alice');
my $bob = $node->register_user('bob');
my %A = (token => $alice->{access_token});
my $ALG = 'm.megolm_backup.v1.curve25519-aes-sha2';
my $room = '!room:' . $node->server_name;
my $T = JSON::PP::true;
my $F = JSON::PP::false;

sub kd {
    my ($fmi, $fc, $ver, $tag) = @_;
    return { first_message_index => $fmi, forwarded_count => $fc, is_verified => $ver ? $T : $F,
             session_data => { ciphertext => $tag, mac => 'm', ephemeral => 'e' } };
}

# ---- versions ----
($st, $b) = $node->get("$C/version", %A);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'no backup yet');
($st, $b) = $node->post("$C/version", { auth_data => {} }, %A);
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'create without algorithm');
($st, $b) = $node->post("$C/version", { algorithm => $ALG, auth_data => 'x' }, %A);
errcode_is($st, $b, 400, 'M_BAD_JSON', 'create with auth_data not an object');
($st, $b) = $node->get("$C/version", %A);
is($st, 404, 'rejected creates made no version');
($st, $b) = $node->post("$C/version", { algorithm => $ALG, auth_data => { public_key => 'pk1' } }, %A);
is($st, 200, 'create version');
my $v1 = $b->{version};
is($v1, '1', 'first version is "1"');
($st, $b) = $node->get("$C/version", %A);
is_deeply($b, { algorithm => $ALG, auth_data => { public_key => 'pk1' }, version => $v1, etag => '0', count => 0 },
    'current version');
($st, $b) = $node->get("$C/version/$v1", %A);
is($b->{version}, $v1, 'version by number');
($st, $b) = $node->get("$C/version/99", %A);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'unknown version');
($st, $b) = $node->get("$C/version/abc", %A);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'non-numeric version');
($st, $b) = $node->get("$C/version", token => $bob->{access_token});
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'another user has no backup');

# update auth_data
($st, $b) = $node->put("$C/version/$v1", { algorithm => $ALG, auth_data => { public_key => 'pk1b' }, version => '7' }, %A);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'update with a mismatched body version');
($st, $b) = $node->put("$C/version/$v1", { algorithm => 'other', auth_data => {} }, %A);
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'update changing the algorithm');
($st, $b) = $node->put("$C/version/42", { algorithm => $ALG, auth_data => {} }, %A);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'update of an unknown version');
($st, $b) = $node->get("$C/version", %A);
is_deeply($b->{auth_data}, { public_key => 'pk1' }, 'rejected updates changed nothing');
($st, $b) = $node->put("$C/version/$v1", { algorithm => $ALG, auth_data => { public_key => 'pk1b' }, version => $v1 }, %A);
is($st, 200, 'update auth_data');
is_deeply($b, {}, 'update answers {}');
($st, $b) = $node->get("$C/version", %A);
is_deeply($b->{auth_data}, { public_key => 'pk1b' }, 'auth_data updated');

# ---- keys round trip ----
($st, $b) = $node->put("$C/keys", { rooms => { $room => { sessions => { s1 => kd(0, 0, 0, 'a') } } } }, %A);
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'upload without version');
($st, $b) = $node->put("$C/keys?version=5", { rooms => { $room => { sessions => { s1 => kd(0, 0, 0, 'a') } } } }, %A);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'upload to an unknown version');
($st, $b) = $node->put("$C/keys?version=$v1", { rooms => { $room => { sessions => {
    s1 => kd(0, 0, 0, 'a'), s2 => { first_message_index => 'x', forwarded_count => 0, is_verified => $F, session_data => {} } } } } }, %A);
errcode_is($st, $b, 400, 'M_BAD_JSON', 'upload with a bad key');
($st, $b) = $node->get("$C/keys?version=$v1", %A);
is_deeply($b, { rooms => {} }, 'the rejected upload stored nothing');

($st, $b) = $node->put("$C/keys?version=$v1", { rooms => { $room => { sessions => { s1 => kd(5, 1, 0, 'a'), s2 => kd(0, 0, 1, 'b') } } } }, %A);
is($st, 200, 'upload two keys');
is_deeply($b, { etag => '1', count => 2 }, 'etag and count');
($st, $b) = $node->put("$C/keys/" . enc($room) . "/s3?version=$v1", kd(1, 0, 0, 'c'), %A);
is_deeply($b, { etag => '2', count => 3 }, 'upload one session');
($st, $b) = $node->put("$C/keys/" . enc('!other:x') . "?version=$v1", { sessions => { t1 => kd(0, 0, 0, 'd') } }, %A);
is_deeply($b, { etag => '3', count => 4 }, 'upload one room');
($st, $b) = $node->get("$C/keys?version=$v1", %A);
is_deeply($b, { rooms => {
    $room => { sessions => { s1 => kd(5, 1, 0, 'a'), s2 => kd(0, 0, 1, 'b'), s3 => kd(1, 0, 0, 'c') } },
    '!other:x' => { sessions => { t1 => kd(0, 0, 0, 'd') } } } }, 'all keys back');
($st, $b) = $node->get("$C/keys/" . enc($room) . "?version=$v1", %A);
is_deeply([sort keys %{ $b->{sessions} }], [qw(s1 s2 s3)], 'one room');
($st, $b) = $node->get("$C/keys/" . enc('!none:x') . "?version=$v1", %A);
is_deeply($b, { sessions => {} }, 'a room without keys: empty sessions');
($st, $b) = $node->get("$C/keys/" . enc($room) . "/s2?version=$v1", %A);
is_deeply($b, kd(0, 0, 1, 'b'), 'one session');
($st, $b) = $node->get("$C/keys/" . enc($room) . "/nope?version=$v1", %A);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'unknown session');
($st, $b) = $node->get("$C/keys?version=77", %A);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'keys of an unknown version');

# ---- replace only when better ----
sub put_s1 { $node->put("$C/keys/" . enc($room) . "/s1?version=$v1", $_[0], %A) }
sub get_s1 { ($node->get("$C/keys/" . enc($room) . "/s1?version=$v1", %A))[1] }
($st, $b) = put_s1(kd(6, 0, 0, 'worse-index'));
is($b->{etag}, '3', 'a worse key changes nothing, not even the etag');
is_deeply(get_s1(), kd(5, 1, 0, 'a'), 'higher first_message_index does not replace');
put_s1(kd(5, 2, 0, 'more-forwards'));
is_deeply(get_s1(), kd(5, 1, 0, 'a'), 'more forwards does not replace');
($st, $b) = put_s1(kd(5, 0, 0, 'fewer-forwards'));
is($b->{etag}, '4', 'a better key bumps the etag');
is_deeply(get_s1(), kd(5, 0, 0, 'fewer-forwards'), 'fewer forwards replaces');
put_s1(kd(3, 9, 0, 'lower-index'));
is_deeply(get_s1(), kd(3, 9, 0, 'lower-index'), 'lower first_message_index replaces');
put_s1(kd(9, 9, 1, 'verified'));
is_deeply(get_s1(), kd(9, 9, 1, 'verified'), 'verified replaces unverified');
put_s1(kd(9, 9, 0, 'unverified'));
is_deeply(get_s1(), kd(9, 9, 1, 'verified'), 'unverified does not replace verified with equal index');
($st, $b) = put_s1(kd(0, 0, 0, 'unverified-better-index'));
is_deeply(get_s1(), kd(9, 9, 1, 'verified'), 'unverified does not replace verified, even with a lower index');
is($b->{etag}, '6', 'etag after three replacements');

# ---- a new version: the old one is no longer writable ----
($st, $b) = $node->post("$C/version", { algorithm => $ALG, auth_data => { public_key => 'pk2' } }, %A);
my $v2 = $b->{version};
is($v2, '2', 'second version');
($st, $b) = $node->put("$C/keys?version=$v1", { rooms => { $room => { sessions => { s9 => kd(0, 0, 0, 'z') } } } }, %A);
errcode_is($st, $b, 403, 'M_WRONG_ROOM_KEYS_VERSION', 'upload to the old version');
is($b->{current_version}, $v2, 'the error names the current version');
($st, $b) = $node->get("$C/keys/" . enc($room) . "/s9?version=$v1", %A);
is($st, 404, 'nothing written to the old version');
($st, $b) = $node->get("$C/keys?version=$v1", %A);
is(scalar keys %{ $b->{rooms} }, 2, 'the old version can still be read');
($st, $b) = $node->get("$C/version", %A);
is($b->{version}, $v2, 'current is the new version');
is($b->{count}, 0, 'the new version has no keys');

# ---- delete keys ----
($st, $b) = $node->delete("$C/keys/" . enc($room) . "/s1?version=$v1", %A);
is_deeply($b, { etag => '7', count => 3 }, 'delete one session: etag and count');
($st, $b) = $node->delete("$C/keys/" . enc($room) . "?version=$v1", %A);
is_deeply($b, { etag => '8', count => 1 }, 'delete one room');
($st, $b) = $node->delete("$C/keys?version=$v1", %A);
is_deeply($b, { etag => '9', count => 0 }, 'delete all');
($st, $b) = $node->delete("$C/keys?version=66", %A);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'delete keys of an unknown version');

# ---- delete versions ----
($st, $b) = $node->delete("$C/version/$v2", %A);
is($st, 200, 'delete the current version');
($st, $b) = $node->get("$C/version/$v2", %A);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'deleted version is gone');
($st, $b) = $node->get("$C/version", %A);
is($b->{version}, $v1, 'the older version is current again');
($st, $b) = $node->delete("$C/version/$v2", %A);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'deleting it twice');
($st, $b) = $node->post("$C/version", { algorithm => $ALG, auth_data => {} }, %A);
is($b->{version}, '3', 'version numbers are not reused');
($st, $b) = $node->delete("$C/version/$v1", token => $bob->{access_token});
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'bob cannot delete alice\'s version');
($st, $b) = $node->get("$C/version/$v1", %A);
is($st, 200, 'alice\'s version survives');

done_testing;
