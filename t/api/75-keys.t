#!/usr/bin/perl
# 75-keys.t -- /keys/upload, /keys/query, /keys/claim, /keys/changes,
# /keys/device_signing/upload, /keys/signatures/upload, and the key
# parts of /sync (device_lists, one-time key counts, fallback key types).
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use MIME::Base64 qw(encode_base64 decode_base64);
use SyncroTest;
use SyncroTest::Util qw(errcode_is);

plan skip_all => 'openssl with ed25519 needed'
    unless system('openssl genpkey -algorithm ed25519 -out /dev/null 2>/dev/null') == 0;

my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3';
my $tmp = tempdir(CLEANUP => 1);
my $canon = JSON::PP->new->canonical->utf8;
my ($st, $b);

sub enc { my ($s) = @_; $s =~ s/([^A-Za-z0-9._~-])/sprintf('%%%02X', ord $1)/ge; $s }
sub unpadded { my ($s) = @_; $s = encode_base64($s, ''); $s =~ s/=+$//; $s }

# An ed25519 key pair held by openssl: {pem, pub (unpadded base64)}.
my $nkeys = 0;
sub genkey {
    my $pem = "$tmp/k" . ++$nkeys . '.pem';
    system("openssl genpkey -algorithm ed25519 -out $pem 2>/dev/null") == 0 or die 'genpkey';
    my $der = `openssl pkey -in $pem -pubout -outform DER 2>/dev/null`;
    return { pem => $pem, pub => unpadded(substr($der, -32)) };
}

# Sign $obj (in place) as $user with $key under key ID ed25519:$id.
sub sign_json {
    my ($obj, $user, $key, $id) = @_;
    my %copy = %$obj;
    delete @copy{qw(signatures unsigned)};
    my $msg = "$tmp/msg";
    open my $fh, '>:raw', $msg or die; print $fh $canon->encode(\%copy); close $fh;
    my $sig = `openssl pkeyutl -sign -inkey $key->{pem} -rawin -in $msg 2>/dev/null`;
    $obj->{signatures}{$user}{"ed25519:$id"} = unpadded($sig);
    return $obj;
}

sub sync {
    my ($u, $since) = @_;
    my $q = 'timeout=0' . (defined $since ? '&since=' . enc($since) : '');
    my ($st, $b) = $node->get("$C/sync?$q", token => $u->{access_token});
    die "sync: $st " . JSON::PP->new->encode($b // {}) unless $st == 200;
    return $b;
}

sub device_keys {
    my ($u, $tag) = @_;
    return {
        user_id    => $u->{user_id},
        device_id  => $u->{device_id},
        algorithms => ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
        keys       => { "curve25519:$u->{device_id}" => "curve-$tag",
                        "ed25519:$u->{device_id}"    => "ed-$tag" },
        signatures => { $u->{user_id} => { "ed25519:$u->{device_id}" => "sig-$tag" } },
    };
}

sub query {
    my ($u, $q) = @_;
    return $node->post("$C/keys/query", { device_keys => $q }, token => $u->{access_token});
}

my $alice = $node->register_user('alice');
my $bob   = $node->register_user('bob');
my $carol = $node->register_user('carol');
my ($A, $B) = ($alice->{user_id}, $bob->{user_id});
my $ad = $alice->{device_id};

# ---- upload: bad input changes nothing ----
my $bad = device_keys($alice, 'x');
$bad->{user_id} = $B;
($st, $b) = $node->post("$C/keys/upload", { device_keys => $bad,
    one_time_keys => { 'signed_curve25519:AAAA' => { key => 'k0' } } }, token => $alice->{access_token});
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'device_keys naming another user');
$bad = device_keys($alice, 'x');
$bad->{device_id} = 'OTHERDEVICE';
($st, $b) = $node->post("$C/keys/upload", { device_keys => $bad }, token => $alice->{access_token});
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'device_keys naming another device');
($st, $b) = $node->post("$C/keys/upload", { one_time_keys => 'nope' }, token => $alice->{access_token});
errcode_is($st, $b, 400, 'M_BAD_JSON', 'one_time_keys not an object');
($st, $b) = query($bob, { $A => [] });
is($st, 200, 'query after rejected uploads');
is_deeply($b->{device_keys}, { $A => {} }, 'rejected uploads stored no device keys');

# ---- upload ----
my $alice_dk = device_keys($alice, 'one');
($st, $b) = $node->post("$C/keys/upload", {
    device_keys   => $alice_dk,
    one_time_keys => {
        'signed_curve25519:AAAA' => { key => 'otk-a', signatures => { $A => { "ed25519:$ad" => 's1' } } },
        'signed_curve25519:AAAB' => { key => 'otk-b', signatures => { $A => { "ed25519:$ad" => 's2' } } },
    },
    fallback_keys => {
        'signed_curve25519:FFFF' => { key => 'fb-1', fallback => JSON::PP::true },
    },
}, token => $alice->{access_token});
is($st, 200, 'upload device, one-time and fallback keys') or diag explain $b;
is_deeply($b->{one_time_key_counts}, { signed_curve25519 => 2 }, 'one_time_key_counts after upload');

# the same one-time key again is fine; a different key under the same ID is not
($st, $b) = $node->post("$C/keys/upload", { one_time_keys => {
    'signed_curve25519:AAAA' => { key => 'otk-a', signatures => { $A => { "ed25519:$ad" => 's1' } } } } },
    token => $alice->{access_token});
is($st, 200, 're-upload of the same one-time key');
is($b->{one_time_key_counts}{signed_curve25519}, 2, 'count unchanged by the repeat');
($st, $b) = $node->post("$C/keys/upload", { one_time_keys => {
    'signed_curve25519:AAAB' => { key => 'different' },
    'signed_curve25519:AAAC' => { key => 'new-one' } } }, token => $alice->{access_token});
errcode_is($st, $b, 400, 'M_UNKNOWN', 'a different key under an existing one-time key ID');
($st, $b) = $node->post("$C/keys/upload", {}, token => $alice->{access_token});
is_deeply($b->{one_time_key_counts}, { signed_curve25519 => 2 },
    'the rejected upload added no key (AAAC absent)');

my $s0 = sync($alice);
is_deeply($s0->{device_one_time_keys_count}, { signed_curve25519 => 2 }, '/sync shows the OTK count');
is_deeply($s0->{device_unused_fallback_key_types}, ['signed_curve25519'], '/sync shows the unused fallback key');

# ---- query ----
($st, $b) = query($bob, { $A => [], '@someone:elsewhere.example' => [] });
is($st, 200, 'bob queries alice');
is_deeply([sort keys %{ $b->{device_keys}{$A} }], [$ad], 'alice has one device with keys');
my $got = $b->{device_keys}{$A}{$ad};
my %want = %$alice_dk;
is_deeply({ map { $_ => $got->{$_} } grep { $_ ne 'unsigned' } keys %$got }, \%want,
    'device keys come back as uploaded (signatures included)');
ok(exists $b->{failures}{'elsewhere.example'}, 'remote server listed in failures');
ok(!exists $b->{device_keys}{'@someone:elsewhere.example'}, 'no device_keys for the remote user');
($st, $b) = query($bob, { $A => ['NOSUCHDEVICE'] });
is_deeply($b->{device_keys}, { $A => {} }, 'query for an unknown device of alice: empty');
($st, $b) = query($bob, { $A => ['x', 5] });
errcode_is($st, $b, 400, 'M_BAD_JSON', 'query with a non-string device ID');
($st, $b) = $node->post("$C/keys/query", {}, token => $bob->{access_token});
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'query without device_keys');

# ---- claim: OTKs run out, then the fallback key ----
my %claimed;
for my $i (1 .. 2) {
    ($st, $b) = $node->post("$C/keys/claim", { one_time_keys => { $A => { $ad => 'signed_curve25519' } } },
        token => $bob->{access_token});
    is($st, 200, "claim $i");
    my $keys = $b->{one_time_keys}{$A}{$ad} || {};
    is(scalar(keys %$keys), 1, "claim $i: one key");
    my ($id) = keys %$keys;
    like($id, qr/^signed_curve25519:AAA[AB]$/, "claim $i: a one-time key");
    ok(!$claimed{$id}++, "claim $i: not handed out before");
    is(ref $keys->{$id}, 'HASH', "claim $i: the key object");
    is(sync($alice)->{device_one_time_keys_count}{signed_curve25519}, 2 - $i, "claim $i: count drops in /sync");
}
is($claimed{'signed_curve25519:AAAA'} && $claimed{'signed_curve25519:AAAB'}, 1, 'both OTKs claimed once');
for my $i (1 .. 2) {
    ($st, $b) = $node->post("$C/keys/claim", { one_time_keys => { $A => { $ad => 'signed_curve25519' } } },
        token => $bob->{access_token});
    is_deeply($b->{one_time_keys}{$A}{$ad}, { 'signed_curve25519:FFFF' => { key => 'fb-1', fallback => JSON::PP::true } },
        "claim after OTKs ran out ($i): the fallback key, again");
}
my $s1 = sync($alice);
is_deeply($s1->{device_unused_fallback_key_types}, [], 'the claimed fallback key is used');
is_deeply($s1->{device_one_time_keys_count}, { signed_curve25519 => 0 }, 'count is 0');
($st, $b) = $node->post("$C/keys/claim", { one_time_keys => { $A => { $ad => 'other_alg' } } },
    token => $bob->{access_token});
is_deeply($b->{one_time_keys}, {}, 'claim for an algorithm without keys: nothing');
($st, $b) = $node->post("$C/keys/claim", { one_time_keys => { $A => { $ad => 7 } } },
    token => $bob->{access_token});
errcode_is($st, $b, 400, 'M_BAD_JSON', 'claim with a non-string algorithm');
# a new fallback key is unused again
($st, $b) = $node->post("$C/keys/upload", { fallback_keys => { 'signed_curve25519:GGGG' => { key => 'fb-2' } } },
    token => $alice->{access_token});
is_deeply(sync($alice)->{device_unused_fallback_key_types}, ['signed_curve25519'], 'new fallback key unused');

# ---- device list changes ----
($st, $b) = $node->post("$C/createRoom", { preset => "public_chat" }, token => $alice->{access_token});
my $room = $b->{room_id};
($st, $b) = $node->post("$C/join/" . enc($room), {}, token => $bob->{access_token});
is($st, 200, 'bob joins alice\'s room');
my $bob_since = sync($bob)->{next_batch};
my $carol_since = sync($carol)->{next_batch};
($st, $b) = $node->post("$C/keys/upload", { device_keys => device_keys($alice, 'two') }, token => $alice->{access_token});
is($st, 200, 'alice changes her device keys');
($st, $b) = $node->post("$C/keys/upload", { device_keys => device_keys($carol, 'c') }, token => $carol->{access_token});
is($st, 200, 'carol (no shared room) uploads keys');
($st, $b) = $node->get("$C/keys/changes?from=" . enc($bob_since), token => $bob->{access_token});
is($st, 200, 'keys/changes');
ok((grep { $_ eq $A } @{ $b->{changed} }), 'alice in changed');
ok(!(grep { $_ eq $carol->{user_id} } @{ $b->{changed} }), 'carol not in changed');
my $bs = sync($bob, $bob_since);
ok((grep { $_ eq $A } @{ $bs->{device_lists}{changed} }), '/sync device_lists.changed has alice');
ok(!(grep { $_ eq $carol->{user_id} } @{ $bs->{device_lists}{changed} }), '/sync device_lists.changed lacks carol');
my $bs2 = sync($bob, $bs->{next_batch});
is_deeply($bs2->{device_lists}{changed}, [], 'not repeated in the next sync');
# the same keys again are no change
($st, $b) = $node->post("$C/keys/upload", { device_keys => device_keys($alice, 'two') }, token => $alice->{access_token});
is_deeply(sync($bob, $bs2->{next_batch})->{device_lists}{changed}, [], 'identical re-upload is no change');
($st, $b) = $node->get("$C/keys/changes?from=junk", token => $bob->{access_token});
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'keys/changes with a bad token');
($st, $b) = $node->get("$C/keys/changes", token => $bob->{access_token});
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'keys/changes without from');

# carol joins: alice sees her as newly sharing a room; then bob leaves: left
my $alice_since = sync($alice)->{next_batch};
($st, $b) = $node->post("$C/join/" . enc($room), {}, token => $carol->{access_token});
my $as = sync($alice, $alice_since);
ok((grep { $_ eq $carol->{user_id} } @{ $as->{device_lists}{changed} }), 'a new room member is in changed');
my $cs = sync($carol, $carol_since);
ok((grep { $_ eq $A } @{ $cs->{device_lists}{changed} }), 'the joiner sees the room\'s members in changed');
($st, $b) = $node->post("$C/rooms/" . enc($room) . '/leave', {}, token => $bob->{access_token});
is($st, 200, 'bob leaves');
($st, $b) = $node->get("$C/keys/changes?from=" . enc($alice_since), token => $alice->{access_token});
is_deeply($b->{left}, [$B], 'keys/changes: bob left');
ok(!(grep { $_ eq $B } @{ $b->{changed} }), 'bob not in changed');
is_deeply(sync($alice, $as->{next_batch})->{device_lists}{left}, [$B], '/sync device_lists.left: bob');

# ---- cross-signing ----
my ($amk, $assk, $ausk) = (genkey(), genkey(), genkey());
sub xkey {
    my ($user, $usage, $k) = @_;
    return { user_id => $user, usage => [$usage], keys => { "ed25519:$k->{pub}" => $k->{pub} } };
}
my $a_master = sign_json(xkey($A, 'master', $amk), $A, $amk, $amk->{pub});
my $a_ssk = sign_json(xkey($A, 'self_signing', $assk), $A, $amk, $amk->{pub});
my $a_usk = sign_json(xkey($A, 'user_signing', $ausk), $A, $amk, $amk->{pub});
my $bad_ssk = sign_json(xkey($A, 'self_signing', $assk), $A, $assk, $amk->{pub});
($st, $b) = $node->post("$C/keys/device_signing/upload",
    { master_key => $a_master, self_signing_key => $bad_ssk }, token => $alice->{access_token});
errcode_is($st, $b, 400, 'M_INVALID_SIGNATURE', 'self-signing key not signed by the master key');
($st, $b) = $node->post("$C/keys/device_signing/upload",
    { master_key => xkey($A, 'self_signing', $amk) }, token => $alice->{access_token});
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'master key without master usage');
($st, $b) = $node->post("$C/keys/device_signing/upload",
    { self_signing_key => $a_ssk }, token => $alice->{access_token});
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'self-signing key without any master key');
($st, $b) = query($alice, { $A => [] });
is_deeply($b->{master_keys}, {}, 'rejected cross-signing uploads stored nothing');
($st, $b) = $node->post("$C/keys/device_signing/upload",
    { master_key => $a_master, self_signing_key => $a_ssk, user_signing_key => $a_usk },
    token => $alice->{access_token});
is($st, 200, 'first cross-signing set-up needs no auth') or diag explain $b;
($st, $b) = $node->post("$C/keys/device_signing/upload",
    { master_key => $a_master, self_signing_key => $a_ssk }, token => $alice->{access_token});
is($st, 200, 'uploading the same keys again needs no auth');
($st, $b) = query($alice, { $A => [] });
is_deeply($b->{master_keys}{$A}, $a_master, 'alice sees her master key');
is_deeply($b->{self_signing_keys}{$A}, $a_ssk, 'alice sees her self-signing key');
is_deeply($b->{user_signing_keys}{$A}, $a_usk, 'alice sees her user-signing key');
($st, $b) = query($bob, { $A => [] });
is_deeply($b->{master_keys}{$A}, $a_master, 'bob sees alice\'s master key');
ok(!exists $b->{user_signing_keys}{$A}, 'bob does not see alice\'s user-signing key');

# replacing the master key needs the password
my $amk2 = genkey();
my $a_master2 = sign_json(xkey($A, 'master', $amk2), $A, $amk2, $amk2->{pub});
($st, $b) = $node->post("$C/keys/device_signing/upload", { master_key => $a_master2 },
    token => $alice->{access_token});
is($st, 401, 'replacing the master key: 401');
ok((grep { $_->{stages}[0] eq 'm.login.password' } @{ $b->{flows} || [] }), 'offers m.login.password');
my $session = $b->{session};
($st, $b) = $node->post("$C/keys/device_signing/upload", { master_key => $a_master2,
    auth => { type => 'm.login.password', session => $session, password => 'wrong',
              identifier => { type => 'm.id.user', user => 'alice' } } }, token => $alice->{access_token});
is($st, 401, 'wrong password: 401');
($st, $b) = query($alice, { $A => [] });
is_deeply($b->{master_keys}{$A}, $a_master, 'master key unchanged without auth');

# ---- signatures upload ----
my $dk_now = $node->post("$C/keys/query", { device_keys => { $A => [$ad] } }, token => $alice->{access_token});
my $signed_dev = device_keys($alice, 'two');
sign_json($signed_dev, $A, $assk, $assk->{pub});
my $forged = device_keys($alice, 'two');
sign_json($forged, $A, $amk2, $assk->{pub});
($st, $b) = $node->post("$C/keys/signatures/upload", { $A => { $ad => $forged } }, token => $alice->{access_token});
is($st, 200, 'signatures upload with a forged signature: 200');
is($b->{failures}{$A}{$ad}{errcode}, 'M_INVALID_SIGNATURE', 'the forged one is in failures');
($st, $b) = query($bob, { $A => [$ad] });
ok(!exists $b->{device_keys}{$A}{$ad}{signatures}{$A}{"ed25519:$assk->{pub}"}, 'forged signature not stored');
($st, $b) = $node->post("$C/keys/signatures/upload", { $A => { $ad => $signed_dev } }, token => $alice->{access_token});
is($st, 200, 'alice signs her device with her self-signing key');
is_deeply($b->{failures}, {}, 'no failures');
($st, $b) = query($bob, { $A => [$ad] });
is($b->{device_keys}{$A}{$ad}{signatures}{$A}{"ed25519:$assk->{pub}"}, $signed_dev->{signatures}{$A}{"ed25519:$assk->{pub}"},
    'query shows the self-signing signature on the device');
is($b->{device_keys}{$A}{$ad}{signatures}{$A}{"ed25519:$ad"}, 'sig-two', 'the device\'s own signature stays');

# bob cross-signs alice's master key with his user-signing key
my ($bmk, $busk) = (genkey(), genkey());
($st, $b) = $node->post("$C/keys/device_signing/upload", {
    master_key => sign_json(xkey($B, 'master', $bmk), $B, $bmk, $bmk->{pub}),
    user_signing_key => sign_json(xkey($B, 'user_signing', $busk), $B, $bmk, $bmk->{pub}) },
    token => $bob->{access_token});
is($st, 200, 'bob sets up cross-signing');
my $a_master_by_bob = sign_json({ %$a_master, signatures => { %{ $a_master->{signatures} } } }, $B, $busk, $busk->{pub});
($st, $b) = $node->post("$C/keys/signatures/upload", { $A => { $amk->{pub} => $a_master_by_bob } },
    token => $bob->{access_token});
is($st, 200, 'bob signs alice\'s master key');
is_deeply($b->{failures}, {}, 'no failures') or diag explain $b;
($st, $b) = query($bob, { $A => [] });
is($b->{master_keys}{$A}{signatures}{$B}{"ed25519:$busk->{pub}"}, $a_master_by_bob->{signatures}{$B}{"ed25519:$busk->{pub}"},
    'bob sees his signature on alice\'s master key');
($st, $b) = query($carol, { $A => [] });
ok(!exists $b->{master_keys}{$A}{signatures}{$B}, 'carol does not see bob\'s signature');
($st, $b) = $node->post("$C/keys/signatures/upload", { $A => { $ad => $signed_dev } }, token => $bob->{access_token});
is($b->{failures}{$A}{$ad}{errcode}, 'M_NOT_FOUND', 'bob cannot sign alice\'s device directly');

# finally, replace alice's master key with the password
($st, $b) = $node->post("$C/keys/device_signing/upload", { master_key => $a_master2,
    auth => { type => 'm.login.password', session => $session, password => 'pw-alice',
              identifier => { type => 'm.id.user', user => 'alice' } } }, token => $alice->{access_token});
is($st, 200, 'replacing the master key with the password') or diag explain $b;
($st, $b) = query($alice, { $A => [] });
is_deeply($b->{master_keys}{$A}, $a_master2, 'the new master key is served');

done_testing;
