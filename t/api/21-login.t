#!/usr/bin/perl
# 21-login.t -- GET/POST /_matrix/client/v3/login (identifiers, device
# reuse, errors), /logout and /logout/all.
use strict;
use warnings;
use Test::More;
use SyncroTest;

my $LOGIN = '/_matrix/client/v3/login';
my $WHOAMI = '/_matrix/client/v3/account/whoami';

my $node = SyncroTest::Node->new(pg => SyncroTest::Pg->new);
my $hs   = $node->server_name;
my $alice_id = "\@alice:$hs";

sub errcode_is {
    my ($body, $want, $name) = @_;
    is(ref $body eq 'HASH' ? $body->{errcode} : undef, $want, $name)
        or diag explain $body;
}

sub pw_login {
    my ($user, $password, %extra) = @_;
    return $node->post($LOGIN, {
        type => 'm.login.password', identifier => { type => 'm.id.user', user => $user },
        password => $password, %extra });
}

sub devices_of {
    my ($token) = @_;
    my ($st, $b) = $node->get('/_matrix/client/v3/devices', token => $token);
    return undef unless $st == 200 && ref $b->{devices} eq 'ARRAY';
    return { map { $_->{device_id} => $_ } @{ $b->{devices} } };
}

my $reg = $node->register_user('alice', 'correct horse');
is($reg->{user_id}, $alice_id, 'alice registered');

# --- GET /login ------------------------------------------------------------
{
    my ($st, $b) = $node->get($LOGIN);
    is($st, 200, 'GET /login: 200');
    is(ref $b->{flows}, 'ARRAY', '... flows is an array');
    ok((grep { ref $_ eq 'HASH' && ($_->{type} // '') eq 'm.login.password' } @{ $b->{flows} || [] }),
        '... includes m.login.password') or diag explain $b;
}

# --- successful logins --------------------------------------------------------
my %tokens;
{
    my ($st, $b) = pw_login('alice', 'correct horse');
    is($st, 200, 'login with m.id.user localpart: 200') or diag explain $b;
    is($b->{user_id}, $alice_id, '... user_id');
    ok(length($b->{access_token} // ''), '... access_token');
    ok(length($b->{device_id} // ''), '... device_id');
    is($b->{home_server}, $hs, '... home_server');
    is(ref $b->{well_known} eq 'HASH' && ref $b->{well_known}{'m.homeserver'} eq 'HASH'
        ? $b->{well_known}{'m.homeserver'}{base_url} : undef,
        $node->config->{public_baseurl}, '... well_known m.homeserver base_url');
    isnt($b->{device_id}, $reg->{device_id}, '... a new device');
    isnt($b->{access_token}, $reg->{access_token}, '... a new token');
    $tokens{local} = $b;

    ($st, $b) = pw_login($alice_id, 'correct horse');
    is($st, 200, 'login with full MXID: 200') or diag explain $b;
    is($b->{user_id}, $alice_id, '... user_id');
    $tokens{mxid} = $b;

    ($st, $b) = pw_login('ALiCe', 'correct horse');
    is($st, 200, 'login with mixed-case localpart: 200') or diag explain $b;
    is($b->{user_id}, $alice_id, '... canonical lower-case user_id');

    ($st, $b) = pw_login("\@ALICE:$hs", 'correct horse');
    is($st, 200, 'login with mixed-case full MXID: 200') or diag explain $b;
    is($b->{user_id}, $alice_id, '... canonical lower-case user_id');

    ($st, $b) = $node->post($LOGIN, { type => 'm.login.password', user => 'alice',
        password => 'correct horse' });
    is($st, 200, 'login with legacy "user" field: 200') or diag explain $b;
    is($b->{user_id}, $alice_id, '... user_id');
    $tokens{legacy} = $b;

    ($st, $b) = $node->post($LOGIN, { type => 'm.login.password', user => $alice_id,
        password => 'correct horse' });
    is($st, 200, 'login with legacy "user" as full MXID: 200') or diag explain $b;

    for my $k (sort keys %tokens) {
        ($st, $b) = $node->get($WHOAMI, token => $tokens{$k}{access_token});
        is($st, 200, "token from login ($k) works");
        is($b->{user_id}, $alice_id, "... whoami is alice ($k)");
        is($b->{device_id}, $tokens{$k}{device_id}, "... whoami device_id matches ($k)");
    }
    ($st, $b) = $node->get($WHOAMI, token => $reg->{access_token});
    is($st, 200, 'registration token still works after other logins');
}

# --- device_id reuse and initial_device_display_name ----------------------------
{
    my ($st, $b) = pw_login('alice', 'correct horse', device_id => 'LAPTOP',
        initial_device_display_name => 'Alice laptop');
    is($st, 200, 'login with device_id LAPTOP: 200') or diag explain $b;
    is($b->{device_id}, 'LAPTOP', '... device_id honoured');
    my $t1 = $b->{access_token};
    my $devs = devices_of($t1);
    ok($devs && $devs->{LAPTOP}, '... LAPTOP in /devices') or diag explain $devs;
    is($devs->{LAPTOP}{display_name}, 'Alice laptop', '... with initial_device_display_name');
    my $n_before = scalar keys %$devs;

    ($st, $b) = pw_login('alice', 'correct horse', device_id => 'LAPTOP',
        initial_device_display_name => 'Renamed?');
    is($st, 200, 'login again with device_id LAPTOP: 200') or diag explain $b;
    is($b->{device_id}, 'LAPTOP', '... same device');
    my $t2 = $b->{access_token};
    isnt($t2, $t1, '... new access token');

    ($st, $b) = $node->get($WHOAMI, token => $t1);
    is($st, 401, 'old token for the re-used device: 401');
    errcode_is($b, 'M_UNKNOWN_TOKEN', '... M_UNKNOWN_TOKEN');
    ($st, $b) = $node->get($WHOAMI, token => $t2);
    is($st, 200, 'new token works');
    is($b->{device_id}, 'LAPTOP', '... on LAPTOP');

    $devs = devices_of($t2);
    is(scalar keys %$devs, $n_before, 'device reuse does not add a device');
    is($devs->{LAPTOP}{display_name}, 'Alice laptop',
        '... and keeps the display name it was created with');

    # Other devices' tokens are untouched.
    ($st) = $node->get($WHOAMI, token => $tokens{local}{access_token});
    is($st, 200, 'tokens of other devices still work');

    ($st, $b) = pw_login('alice', 'correct horse', device_id => '');
    is($st, 400, 'empty device_id: 400');
    errcode_is($b, 'M_INVALID_PARAM', '... M_INVALID_PARAM');
    ($st, $b) = pw_login('alice', 'correct horse', device_id => 'D' x 300);
    is($st, 400, 'over-long device_id: 400');
    errcode_is($b, 'M_INVALID_PARAM', '... M_INVALID_PARAM');
}

# --- failures --------------------------------------------------------------------
{
    my ($st, $b) = pw_login('alice', 'wrong horse');
    is($st, 403, 'wrong password: 403');
    errcode_is($b, 'M_FORBIDDEN', '... M_FORBIDDEN');
    ok(!exists $b->{access_token}, '... no access_token');

    ($st, $b) = pw_login('nobody', 'correct horse');
    is($st, 403, 'unknown user: 403');
    errcode_is($b, 'M_FORBIDDEN', '... M_FORBIDDEN');

    ($st, $b) = pw_login('@alice:other.example.org', 'correct horse');
    is($st, 403, 'remote user ID: 403');
    errcode_is($b, 'M_FORBIDDEN', '... M_FORBIDDEN');

    ($st, $b) = pw_login('@alice', 'correct horse');
    ok($st == 400 || $st == 403, 'MXID without a server name: 400 or 403')
        or diag "HTTP $st", explain $b;
    ok(!exists $b->{access_token}, '... no access_token');

    ($st, $b) = pw_login('alice', 'correct horse', type => 'm.login.token');
    is($st, 400, 'login type m.login.token (not offered): 400');
    errcode_is($b, 'M_UNKNOWN', '... M_UNKNOWN');
    ($st, $b) = pw_login('alice', 'correct horse', type => 'org.example.magic');
    is($st, 400, 'unknown login type: 400');
    errcode_is($b, 'M_UNKNOWN', '... M_UNKNOWN');

    ($st, $b) = $node->post($LOGIN, { identifier => { type => 'm.id.user', user => 'alice' },
        password => 'correct horse' });
    is($st, 400, 'missing type: 400');
    errcode_is($b, 'M_MISSING_PARAM', '... M_MISSING_PARAM');

    ($st, $b) = $node->post($LOGIN, { type => 'm.login.password',
        identifier => { type => 'm.id.user', user => 'alice' } });
    is($st, 400, 'missing password: 400');
    errcode_is($b, 'M_MISSING_PARAM', '... M_MISSING_PARAM');

    ($st, $b) = $node->post($LOGIN, { type => 'm.login.password', password => 'correct horse' });
    is($st, 400, 'missing identifier and user: 400');
    errcode_is($b, 'M_MISSING_PARAM', '... M_MISSING_PARAM');

    ($st, $b) = $node->post($LOGIN, { type => 'm.login.password',
        identifier => { type => 'm.id.user' }, password => 'correct horse' });
    is($st, 400, 'identifier without user: 400');
    errcode_is($b, 'M_MISSING_PARAM', '... M_MISSING_PARAM');

    ($st, $b) = $node->post($LOGIN, { type => 'm.login.password',
        identifier => { type => 'm.id.thirdparty', medium => 'email', address => 'a@example.org' },
        password => 'correct horse' });
    ok($st == 400 || $st == 403, 'm.id.thirdparty identifier: 400 or 403')
        or diag "HTTP $st", explain $b;
    ok(!exists $b->{access_token}, '... no access_token');

    ($st, $b) = $node->post($LOGIN, { type => 'm.login.password',
        identifier => 'alice', password => 'correct horse' });
    is($st, 400, 'identifier that is not an object: 400');
    errcode_is($b, 'M_BAD_JSON', '... M_BAD_JSON');

    ($st, $b) = $node->raw('POST', $LOGIN, '{"type": "m.login.password"', { 'Content-Type' => 'application/json' });
    is($st, 400, 'malformed JSON: 400');
    errcode_is($b, 'M_NOT_JSON', '... M_NOT_JSON');

    ($st, $b) = $node->raw('POST', $LOGIN, undef, {});
    is($st, 400, 'empty body: 400');
    ok(ref $b eq 'HASH' && ($b->{errcode} // '') =~ /\AM_(?:NOT_JSON|BAD_JSON)\z/,
        '... M_NOT_JSON or M_BAD_JSON') or diag explain $b;
}

# --- deactivated accounts cannot log in -----------------------------------------
{
    my $dave = $node->register_user('dave', 'dave-pw');
    my ($st, $b) = $node->post('/_matrix/client/v3/account/deactivate', {
        auth => { type => 'm.login.password', password => 'dave-pw',
                  identifier => { type => 'm.id.user', user => 'dave' } } },
        token => $dave->{access_token});
    if ($st == 401 && $b->{session}) {
        ($st, $b) = $node->post('/_matrix/client/v3/account/deactivate', {
            auth => { type => 'm.login.password', password => 'dave-pw', session => $b->{session},
                      identifier => { type => 'm.id.user', user => 'dave' } } },
            token => $dave->{access_token});
    }
    is($st, 200, 'dave deactivated') or diag explain $b;
    ($st, $b) = pw_login('dave', 'dave-pw');
    is($st, 403, 'deactivated user cannot log in: 403');
    errcode_is($b, 'M_FORBIDDEN', '... M_FORBIDDEN');
}

# --- logout --------------------------------------------------------------------------
{
    my $keep = $node->login('alice', 'correct horse');
    my $go   = $node->login('alice', 'correct horse', device_id => 'GOING');
    is($go->{device_id}, 'GOING', 'device GOING logged in');
    ok(devices_of($keep->{access_token})->{GOING}, '... listed in /devices');

    my ($st, $b) = $node->post('/_matrix/client/v3/logout', {}, token => $go->{access_token});
    is($st, 200, 'logout: 200');
    is_deeply($b, {}, '... empty object');

    ($st, $b) = $node->get($WHOAMI, token => $go->{access_token});
    is($st, 401, 'logged-out token: 401');
    errcode_is($b, 'M_UNKNOWN_TOKEN', '... M_UNKNOWN_TOKEN');

    ($st, $b) = $node->post('/_matrix/client/v3/logout', {}, token => $go->{access_token});
    is($st, 401, 'logout again with the dead token: 401');
    errcode_is($b, 'M_UNKNOWN_TOKEN', '... M_UNKNOWN_TOKEN');

    my $devs = devices_of($keep->{access_token});
    ok($devs && !$devs->{GOING}, 'logged-out device is gone from /devices') or diag explain $devs;
    ok($devs->{ $keep->{device_id} }, '... the other device remains');
    ($st) = $node->get($WHOAMI, token => $keep->{access_token});
    is($st, 200, 'other session still works');

    ($st, $b) = $node->post('/_matrix/client/v3/logout', {});
    is($st, 401, 'logout without a token: 401');
    errcode_is($b, 'M_MISSING_TOKEN', '... M_MISSING_TOKEN');

    ($st, $b) = $node->post('/_matrix/client/v3/logout', {}, token => 'syt_not_a_real_token');
    is($st, 401, 'logout with a bogus token: 401');
    errcode_is($b, 'M_UNKNOWN_TOKEN', '... M_UNKNOWN_TOKEN');
}

# --- logout/all --------------------------------------------------------------------------
{
    my $bob = $node->register_user('bob', 'bob-pw');
    my @s = map { $node->login('bob', 'bob-pw') } 1 .. 3;
    my $alice = $node->login('alice', 'correct horse');
    my $devs = devices_of($s[0]{access_token});
    is(scalar keys %$devs, 4, 'bob has four devices');

    my ($st, $b) = $node->post('/_matrix/client/v3/logout/all', {}, token => $s[1]{access_token});
    is($st, 200, 'logout/all: 200');
    is_deeply($b, {}, '... empty object');
    for my $t ($bob, @s) {
        ($st, $b) = $node->get($WHOAMI, token => $t->{access_token});
        is($st, 401, "bob token on $t->{device_id} is dead");
        errcode_is($b, 'M_UNKNOWN_TOKEN', '... M_UNKNOWN_TOKEN');
    }
    ($st, $b) = $node->get($WHOAMI, token => $alice->{access_token});
    is($st, 200, "another user's token is untouched");
    is($b->{user_id}, $alice_id, '... still alice');

    my $again = $node->login('bob', 'bob-pw');
    $devs = devices_of($again->{access_token});
    is_deeply([sort keys %$devs], [$again->{device_id}], 'after logout/all bob has only the new device');
}

is($node->stop, 0, 'node exits 0');
done_testing;
