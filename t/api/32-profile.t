#!/usr/bin/perl
# 32-profile.t -- /profile/{userId}, displayname and avatar_url.
use strict;
use warnings;
use Test::More;
use SyncroTest;
use SyncroTest::Util qw(errcode_is);

my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3';
my ($st, $b);

sub enc {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9\-._~])/sprintf '%%%02X', ord $1/ge;
    return $s;
}

my $alice = $node->register_user('alice', 'apw');
my $bob = $node->register_user('bob', 'bpw');
my $A = enc($alice->{user_id});
my $B = enc($bob->{user_id});
like($A, qr/\A%40alice%3A127\.0\.0\.1%3A\d+\z/, 'user ID percent-encoded as @ -> %40, : -> %3A');

# --- defaults -----------------------------------------------------------------
($st, $b) = $node->get("$C/profile/$A");
is($st, 200, 'GET profile (unauthenticated, encoded ID): 200') or diag explain $b;
is_deeply($b, { displayname => 'alice' }, 'displayname defaults to the localpart; no avatar_url');
($st, $b) = $node->get("$C/profile/$alice->{user_id}");
is($st, 200, 'GET profile with a raw @user:server path works too');
is($b->{displayname}, 'alice', '... same data');
($st, $b) = $node->get("$C/profile/$A/displayname", token => $bob->{access_token});
is($st, 200, 'GET displayname (authenticated as someone else): 200');
is_deeply($b, { displayname => 'alice' }, '... only displayname');
($st, $b) = $node->get("$C/profile/$A/avatar_url");
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'GET avatar_url when none is set');

# --- set ----------------------------------------------------------------------
my $name = "Alice \x{2603} Liddell";
($st, $b) = $node->put("$C/profile/$A/displayname", { displayname => $name }, token => $alice->{access_token});
is($st, 200, 'PUT displayname: 200') or diag explain $b;
is_deeply($b, {}, '... empty object');
($st, $b) = $node->get("$C/profile/$A/displayname");
is($b->{displayname}, $name, 'GET displayname returns the new (non-ASCII) name');

($st, $b) = $node->put("$C/profile/$A/avatar_url", { avatar_url => 'mxc://example.org/abc123' },
    token => $alice->{access_token});
is($st, 200, 'PUT avatar_url mxc://: 200') or diag explain $b;
($st, $b) = $node->get("$C/profile/$A/avatar_url");
is($st, 200, 'GET avatar_url: 200');
is_deeply($b, { avatar_url => 'mxc://example.org/abc123' }, '... the URL');
($st, $b) = $node->get("$C/profile/$A");
is_deeply($b, { displayname => $name, avatar_url => 'mxc://example.org/abc123' }, 'GET profile: both fields');

for my $bad ('https://example.org/a.png', 'MXC//nope', 'javascript:alert(1)') {
    ($st, $b) = $node->put("$C/profile/$A/avatar_url", { avatar_url => $bad }, token => $alice->{access_token});
    errcode_is($st, $b, 400, 'M_INVALID_PARAM', "avatar_url '$bad' rejected");
}
($st, $b) = $node->put("$C/profile/$A/avatar_url", { avatar_url => 7 }, token => $alice->{access_token});
is($st, 400, 'avatar_url as a number: 400');
($st, $b) = $node->get("$C/profile/$A/avatar_url");
is($b->{avatar_url}, 'mxc://example.org/abc123', 'rejected values did not change avatar_url');

($st, $b) = $node->put("$C/profile/$A/displayname", { displayname => 'x' x 300 }, token => $alice->{access_token});
is($st, 400, 'too-long displayname (300 bytes): 400') or diag explain $b;
ok(defined $b->{errcode} && $b->{errcode} =~ /^M_(INVALID_PARAM|TOO_LARGE)$/, '... with an errcode')
    or diag explain $b;
($st, $b) = $node->put("$C/profile/$A/displayname", { displayname => 'x' x 256 }, token => $alice->{access_token});
is($st, 200, '256-byte displayname accepted');
($st, $b) = $node->put("$C/profile/$A/displayname", { displayname => $name }, token => $alice->{access_token});
($st, $b) = $node->put("$C/profile/$A/displayname", {}, token => $alice->{access_token});
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'PUT displayname without the field');
($st, $b) = $node->put("$C/profile/$A/displayname", { displayname => ['a'] }, token => $alice->{access_token});
is($st, 400, 'PUT displayname with an array: 400');

# --- authorisation ------------------------------------------------------------
($st, $b) = $node->put("$C/profile/$A/displayname", { displayname => 'Mallory' }, token => $bob->{access_token});
errcode_is($st, $b, 403, 'M_FORBIDDEN', "bob setting alice's displayname");
($st, $b) = $node->put("$C/profile/$A/avatar_url", { avatar_url => 'mxc://evil/x' }, token => $bob->{access_token});
errcode_is($st, $b, 403, 'M_FORBIDDEN', "bob setting alice's avatar_url");
($st, $b) = $node->put("$C/profile/$A/displayname", { displayname => 'Anon' });
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'PUT displayname without token');
($st, $b) = $node->put("$C/profile/$A/displayname", { displayname => 'Anon' }, token => 'bogus');
errcode_is($st, $b, 401, 'M_UNKNOWN_TOKEN', 'PUT displayname with a bad token');
($st, $b) = $node->get("$C/profile/$A");
is_deeply($b, { displayname => $name, avatar_url => 'mxc://example.org/abc123' }, 'profile unchanged by refused PUTs');

# --- clearing -----------------------------------------------------------------
($st, $b) = $node->put("$C/profile/$A/avatar_url", { avatar_url => '' }, token => $alice->{access_token});
is($st, 200, 'clear avatar_url with ""');
($st, $b) = $node->get("$C/profile/$A/avatar_url");
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'avatar_url gone after clearing');
($st, $b) = $node->put("$C/profile/$A/avatar_url", { avatar_url => 'mxc://example.org/second' },
    token => $alice->{access_token});
($st, $b) = $node->put("$C/profile/$A/avatar_url", { avatar_url => undef }, token => $alice->{access_token});
is($st, 200, 'clear avatar_url with null');
($st, $b) = $node->get("$C/profile/$A");
ok(!exists $b->{avatar_url}, 'profile has no avatar_url after null') or diag explain $b;

($st, $b) = $node->put("$C/profile/$A/displayname", { displayname => undef }, token => $alice->{access_token});
is($st, 200, 'clear displayname with null');
($st, $b) = $node->get("$C/profile/$A");
is($st, 200, 'profile still answers with no fields set');
ok(!exists $b->{displayname}, '... without displayname') or diag explain $b;
($st, $b) = $node->put("$C/profile/$A/displayname", { displayname => 'Back' }, token => $alice->{access_token});
($st, $b) = $node->put("$C/profile/$A/displayname", { displayname => '' }, token => $alice->{access_token});
is($st, 200, 'clear displayname with ""');
($st, $b) = $node->get("$C/profile/$A/displayname");
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'displayname gone after clearing');

# Bob's profile was never touched.
($st, $b) = $node->get("$C/profile/$B");
is_deeply($b, { displayname => 'bob' }, "bob's profile untouched");

# --- unknown users ------------------------------------------------------------
my $sn = $node->server_name;
($st, $b) = $node->get("$C/profile/" . enc("\@nobody:$sn"));
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'unknown local user');
($st, $b) = $node->get("$C/profile/" . enc("\@nobody:$sn") . '/displayname');
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'unknown local user displayname');
($st, $b) = $node->get("$C/profile/" . enc('@alice:other.example'));
is($st, 404, 'same localpart on another server: 404 (no federation query)') or diag explain $b;
($st, $b) = $node->get("$C/profile/" . enc('not-a-user-id'));
ok($st == 404 || $st == 400, 'malformed user ID: 400 or 404') or diag "$st";

is($node->stop, 0, 'syncrod exits 0');
done_testing;
