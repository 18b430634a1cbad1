#!/usr/bin/perl
# 20-register.t -- POST /_matrix/client/v3/register (the UIA dance, options,
# username rules, errors), GET /register/available, and registration tokens
# (m.login.registration_token, syncroctl regtoken, the validity endpoint).
use strict;
use warnings;
use Test::More;
use SyncroTest;

my $REG   = '/_matrix/client/v3/register';
my $AVAIL = '/_matrix/client/v3/register/available';
my $VALID = '/_matrix/client/v1/register/m.login.registration_token/validity';

my $pg   = SyncroTest::Pg->new;
my $node = SyncroTest::Node->new(pg => $pg);
my $hs   = $node->server_name;

sub flows_of {
    my ($body) = @_;
    return [ map { $_->{stages} } @{ ref $body eq 'HASH' && ref $body->{flows} eq 'ARRAY' ? $body->{flows} : [] } ];
}

sub errcode_is {
    my ($body, $want, $name) = @_;
    is(ref $body eq 'HASH' ? $body->{errcode} : undef, $want, $name)
        or diag explain $body;
}

# Start a UIA registration: returns (status, body) of the first request.
sub start_reg {
    my ($n, %req) = @_;
    return $n->post($REG, \%req);
}

# --- the UIA dance ---------------------------------------------------------
{
    my ($st, $b) = start_reg($node, username => 'alice', password => 'secret-a');
    is($st, 401, 'register without auth: 401');
    is_deeply(flows_of($b), [['m.login.dummy']], '... flows are [[m.login.dummy]]')
        or diag explain $b;
    ok(defined $b->{session} && !ref $b->{session} && length $b->{session},
        '... with a session id');
    is_deeply($b->{completed}, [], '... and nothing completed');
    is(ref $b->{params}, 'HASH', '... params is an object');
    ok(!exists $b->{access_token}, '... no access_token');
    my $session = $b->{session};

    # The name is not taken until the dance completes.
    ($st, $b) = $node->get("$AVAIL?username=alice");
    is($st, 200, 'name still available while the UIA is pending');

    ($st, $b) = $node->post($REG, {
        username => 'alice', password => 'secret-a',
        auth     => { type => 'm.login.dummy', session => $session },
    });
    is($st, 200, 'completing m.login.dummy registers') or diag explain $b;
    is($b->{user_id}, "\@alice:$hs", '... user_id is @alice:HS');
    ok(defined $b->{access_token} && length $b->{access_token}, '... access_token given');
    ok(defined $b->{device_id} && length $b->{device_id}, '... device_id given');
    is($b->{home_server}, $hs, '... home_server is the server name');
    my $tok = $b->{access_token};

    ($st, $b) = $node->get('/_matrix/client/v3/account/whoami', token => $tok);
    is($st, 200, 'new access token works');
    is($b->{user_id}, "\@alice:$hs", '... whoami names alice');
    ok(defined $b->{is_guest} && !$b->{is_guest}, '... is_guest false');

    # The session is spent once it has been used.
    ($st, $b) = $node->post($REG, {
        username => 'alice2', password => 'secret-a',
        auth     => { type => 'm.login.dummy', session => $session },
    });
    is($st, 400, 'a spent UIA session is rejected with 400');
    errcode_is($b, 'M_UNKNOWN', '... M_UNKNOWN');
    ($st, $b) = $node->get("$AVAIL?username=alice2");
    is($st, 200, '... and alice2 was not created');

    # And the password works for /login.
    ($st, $b) = $node->post('/_matrix/client/v3/login', {
        type => 'm.login.password', identifier => { type => 'm.id.user', user => 'alice' },
        password => 'secret-a' });
    is($st, 200, 'registered password logs in');
}

# --- auth in the first request (no session): dummy passes straight away ----
{
    my ($st, $b) = $node->post($REG, {
        username => 'oneshot', password => 'pw', auth => { type => 'm.login.dummy' } });
    is($st, 200, 'register with auth {type: m.login.dummy} and no session succeeds')
        or diag explain $b;
    is($b->{user_id}, "\@oneshot:$hs", '... user_id');
}

# --- unknown session, unoffered stage --------------------------------------
{
    my ($st, $b) = $node->post($REG, {
        username => 'ghost', password => 'pw',
        auth     => { type => 'm.login.dummy', session => 'no-such-session' } });
    is($st, 400, 'unknown UIA session: 400');
    errcode_is($b, 'M_UNKNOWN', '... M_UNKNOWN');
    like($b->{error} // '', qr/session/i, '... error mentions the session');

    ($st, $b) = start_reg($node, username => 'ghost', password => 'pw');
    is($st, 401, 'fresh session for ghost');
    my $session = $b->{session};
    ($st, $b) = $node->post($REG, {
        username => 'ghost', password => 'pw',
        auth     => { type => 'm.login.recaptcha', session => $session } });
    is($st, 400, 'a stage not offered: 400');
    errcode_is($b, 'M_UNRECOGNIZED', '... M_UNRECOGNIZED');
    ($st) = $node->get("$AVAIL?username=ghost");
    is($st, 200, '... ghost not created');
}

# --- a register session authorises nothing else -----------------------------
{
    my $u = $node->register_user('kim', 'kim-pw');
    my ($st, $b) = start_reg($node, username => 'kim2', password => 'pw');
    is($st, 401, 'a pending register session');
    ($st, $b) = $node->post('/_matrix/client/v3/account/password', {
        new_password => 'hijacked',
        auth => { type => 'm.login.password', session => $b->{session}, password => 'kim-pw',
                  identifier => { type => 'm.id.user', user => 'kim' } } },
        token => $u->{access_token});
    is($st, 403, 'register session used for a password change: 403');
    errcode_is($b, 'M_FORBIDDEN', '... M_FORBIDDEN');
    ($st, $b) = $node->post('/_matrix/client/v3/login', {
        type => 'm.login.password', identifier => { type => 'm.id.user', user => 'kim' },
        password => 'kim-pw' });
    is($st, 200, '... and the password is unchanged');
}

# --- inhibit_login -----------------------------------------------------------
{
    my $u;
    my ($st, $b) = start_reg($node, username => 'quiet', password => 'pw-q', inhibit_login => SyncroTest::true);
    is($st, 401, 'inhibit_login: first step 401');
    ($st, $b) = $node->post($REG, {
        username => 'quiet', password => 'pw-q', inhibit_login => SyncroTest::true,
        auth => { type => 'm.login.dummy', session => $b->{session} } });
    is($st, 200, 'inhibit_login registration succeeds') or diag explain $b;
    is($b->{user_id}, "\@quiet:$hs", '... user_id given');
    ok(!exists $b->{access_token}, '... no access_token');
    ok(!exists $b->{device_id}, '... no device_id');

    $u = $node->login('quiet', 'pw-q');
    ($st, $b) = $node->get('/_matrix/client/v3/devices', token => $u->{access_token});
    is($st, 200, '... after login, /devices answers');
    is(scalar @{ $b->{devices} || [] }, 1, '... and lists only the login device (none from register)')
        or diag explain $b;
}

# --- device_id and initial_device_display_name ------------------------------
{
    my ($st, $b) = start_reg($node, username => 'dev', password => 'pw-d',
        device_id => 'MYDEVICE', initial_device_display_name => 'My Phone');
    is($st, 401, 'device_id registration: first step 401');
    ($st, $b) = $node->post($REG, {
        username => 'dev', password => 'pw-d', device_id => 'MYDEVICE',
        initial_device_display_name => 'My Phone',
        auth => { type => 'm.login.dummy', session => $b->{session} } });
    is($st, 200, 'registration with device_id succeeds') or diag explain $b;
    is($b->{device_id}, 'MYDEVICE', '... device_id honoured');
    my $tok = $b->{access_token};
    ($st, $b) = $node->get('/_matrix/client/v3/devices', token => $tok);
    is($st, 200, 'GET /devices');
    my @d = @{ $b->{devices} || [] };
    is(scalar @d, 1, '... one device');
    is($d[0]{device_id}, 'MYDEVICE', '... MYDEVICE');
    is($d[0]{display_name}, 'My Phone', '... display name from initial_device_display_name');
    ($st, $b) = $node->get('/_matrix/client/v3/account/whoami', token => $tok);
    is($b->{device_id}, 'MYDEVICE', 'whoami device_id is MYDEVICE');

    for my $bad (['empty', ''], ['300-character', 'D' x 300]) {
        ($st, $b) = $node->post($REG, { username => "baddev" . length($bad->[1]), password => 'pw',
            device_id => $bad->[1], auth => { type => 'm.login.dummy' } });
        is($st, 400, "$bad->[0] device_id: 400");
        errcode_is($b, 'M_INVALID_PARAM', '... M_INVALID_PARAM');
        ($st) = $node->get("$AVAIL?username=baddev" . length($bad->[1]));
        is($st, 200, '... and the account was not created');
    }
}

# --- username rules ----------------------------------------------------------
{
    my ($st, $b) = start_reg($node, username => 'BoB', password => 'pw');
    is($st, 401, 'mixed-case username: first step 401');
    ($st, $b) = $node->post($REG, {
        username => 'BoB', password => 'pw',
        auth => { type => 'm.login.dummy', session => $b->{session} } });
    is($st, 200, 'mixed-case username registers');
    is($b->{user_id}, "\@bob:$hs", '... lower-cased to @bob');

    for my $bad (['has space', 'a space'], ['colon', 'a:b'], ['non-ASCII', "j\x{f6}rg"],
                 ['empty', ''], ['quote', 'a"b']) {
        my ($what, $name) = @$bad;
        ($st, $b) = $node->post($REG, { username => $name, password => 'pw' });
        is($st, 400, "username with $what: 400");
        errcode_is($b, 'M_INVALID_USERNAME', "... M_INVALID_USERNAME ($what)");
    }
    # Numeric localparts are reserved for guests (as in Synapse).
    ($st, $b) = $node->post($REG, { username => '12345', password => 'pw',
        auth => { type => 'm.login.dummy' } });
    is($st, 400, 'all-digit username: 400');
    errcode_is($b, 'M_INVALID_USERNAME', '... M_INVALID_USERNAME');
    ($st, $b) = $node->post($REG, { username => 'r2d2', password => 'pw',
        auth => { type => 'm.login.dummy' } });
    is($st, 200, 'username with digits and letters: 200') or diag explain $b;

    my $long = 'x' x 300;
    ($st, $b) = $node->post($REG, { username => $long, password => 'pw' });
    is($st, 400, 'over-long username: 400');
    errcode_is($b, 'M_INVALID_USERNAME', '... M_INVALID_USERNAME');

    # Taken: checked up front (before UIA) and case-insensitively.
    ($st, $b) = $node->post($REG, { username => 'alice', password => 'pw' });
    is($st, 400, 'taken username: 400');
    errcode_is($b, 'M_USER_IN_USE', '... M_USER_IN_USE');
    ($st, $b) = $node->post($REG, { username => 'ALICE', password => 'pw',
        auth => { type => 'm.login.dummy' } });
    is($st, 400, 'taken username in upper case: 400');
    errcode_is($b, 'M_USER_IN_USE', '... M_USER_IN_USE');

    # Two sessions racing for one name: the second completion loses.
    my ($s1, $b1) = start_reg($node, username => 'race', password => 'pw');
    my ($s2, $b2) = start_reg($node, username => 'race', password => 'pw');
    is("$s1 $s2", '401 401', 'two pending registrations for "race"');
    isnt($b1->{session}, $b2->{session}, '... with distinct sessions');
    ($st, $b) = $node->post($REG, { username => 'race', password => 'pw',
        auth => { type => 'm.login.dummy', session => $b1->{session} } });
    is($st, 200, 'first completes');
    ($st, $b) = $node->post($REG, { username => 'race', password => 'pw',
        auth => { type => 'm.login.dummy', session => $b2->{session} } });
    is($st, 400, 'second: 400');
    errcode_is($b, 'M_USER_IN_USE', '... M_USER_IN_USE');
}

# --- no username: a generated one ---------------------------------------------
{
    my ($st, $b) = $node->post($REG, { password => 'pw', auth => { type => 'm.login.dummy' } });
    is($st, 200, 'registration without username succeeds') or diag explain $b;
    like($b->{user_id} // '', qr/\A\@[a-z0-9._=\-\/+]+:\Q$hs\E\z/, '... with a generated valid user_id');
}

# --- missing password, bad kind, bad JSON ------------------------------------
{
    my ($st, $b) = $node->post($REG, { username => 'nopw', auth => { type => 'm.login.dummy' } });
    is($st, 400, 'missing password: 400');
    errcode_is($b, 'M_MISSING_PARAM', '... M_MISSING_PARAM');

    ($st, $b) = start_reg($node, username => 'nopw');
    is($st, 401, 'missing password without auth: UIA first');
    ($st, $b) = $node->post($REG, { username => 'nopw',
        auth => { type => 'm.login.dummy', session => $b->{session} } });
    is($st, 400, '... completing it without a password: 400');
    errcode_is($b, 'M_MISSING_PARAM', '... M_MISSING_PARAM');
    ($st) = $node->get("$AVAIL?username=nopw");
    is($st, 200, '... nopw was not created');

    ($st, $b) = $node->post($REG, { username => 'nopw', password => 12345,
        auth => { type => 'm.login.dummy' } });
    is($st, 400, 'non-string password: 400');
    like($b->{errcode} // '', qr/\AM_(?:BAD_JSON|INVALID_PARAM)\z/, '... M_BAD_JSON or M_INVALID_PARAM')
        or diag explain $b;

    ($st, $b) = $node->post("$REG?kind=admin", { username => 'kindy', password => 'pw' });
    is($st, 400, 'kind=admin: 400');
    errcode_is($b, 'M_UNRECOGNIZED', '... M_UNRECOGNIZED (as Synapse)');
    ok(!exists $b->{session}, '... no UIA session');

    ($st, $b) = $node->post("$REG?kind=user", { username => 'kindy', password => 'pw' });
    is($st, 401, 'kind=user is accepted (UIA starts)');

    ($st, $b) = $node->raw('POST', $REG, '{"username": "x", ', { 'Content-Type' => 'application/json' });
    is($st, 400, 'malformed JSON: 400');
    errcode_is($b, 'M_NOT_JSON', '... M_NOT_JSON');
}

# --- GET /register/available --------------------------------------------------
{
    my ($st, $b) = $node->get("$AVAIL?username=free.name");
    is($st, 200, 'available: 200');
    ok(ref $b eq 'HASH' && JSON::PP::is_bool($b->{available}) && $b->{available},
        '... available: true') or diag explain $b;

    ($st, $b) = $node->get("$AVAIL?username=alice");
    is($st, 400, 'taken: 400');
    errcode_is($b, 'M_USER_IN_USE', '... M_USER_IN_USE');
    ($st, $b) = $node->get("$AVAIL?username=Alice");
    is($st, 400, 'taken (other case): 400');
    errcode_is($b, 'M_USER_IN_USE', '... M_USER_IN_USE');

    ($st, $b) = $node->get("$AVAIL?username=a%3Ab");
    is($st, 400, 'invalid: 400');
    errcode_is($b, 'M_INVALID_USERNAME', '... M_INVALID_USERNAME');
    ($st, $b) = $node->get("$AVAIL?username=a%20b");
    is($st, 400, 'invalid (space): 400');
    errcode_is($b, 'M_INVALID_USERNAME', '... M_INVALID_USERNAME');

    ($st, $b) = $node->get($AVAIL);
    is($st, 400, 'missing username: 400');
    errcode_is($b, 'M_MISSING_PARAM', '... M_MISSING_PARAM');
}

# --- the token validity endpoint with no tokens --------------------------------
{
    my ($st, $b) = $node->get("$VALID?token=nothing");
    is($st, 200, 'validity of an unknown token: 200');
    ok(JSON::PP::is_bool($b->{valid}) && !$b->{valid}, '... valid: false') or diag explain $b;
    ($st, $b) = $node->get($VALID);
    is($st, 400, 'validity without token: 400');
    errcode_is($b, 'M_MISSING_PARAM', '... M_MISSING_PARAM');
}

is($node->stop, 0, 'node exits 0');

# --- registration disabled -------------------------------------------------------
{
    my $off = SyncroTest::Node->new(pg => SyncroTest::Pg->new,
        config => { registration => { enabled => SyncroTest::false } });
    my ($st, $b) = $off->post($REG, { username => 'carol', password => 'pw' });
    is($st, 403, 'registration disabled: 403');
    errcode_is($b, 'M_FORBIDDEN', '... M_FORBIDDEN');
    ok(!exists $b->{session}, '... no UIA session offered');
    ($st, $b) = $off->post($REG, { username => 'carol', password => 'pw',
        auth => { type => 'm.login.dummy' } });
    is($st, 403, '... even with auth');
    errcode_is($b, 'M_FORBIDDEN', '... M_FORBIDDEN');
    ($st, $b) = $off->get("$AVAIL?username=carol");
    is($st, 403, '/register/available with registration disabled: 403 (as Synapse)');
    errcode_is($b, 'M_FORBIDDEN', '... M_FORBIDDEN');
    ($st, $b) = $off->get("$VALID?token=anything");
    is($st, 403, 'token validity with registration disabled: 403 (spec)');
    errcode_is($b, 'M_FORBIDDEN', '... M_FORBIDDEN');
    ($st, $b) = $off->post('/_matrix/client/v3/login', { type => 'm.login.password',
        identifier => { type => 'm.id.user', user => 'carol' }, password => 'pw' });
    is($st, 403, '... carol was not created (login fails)');
    errcode_is($b, 'M_FORBIDDEN', '... M_FORBIDDEN');
    is($off->stop, 0, 'registration-disabled node exits 0');
}

# --- registration tokens -------------------------------------------------------------
{
    my $tn = SyncroTest::Node->new(pg => SyncroTest::Pg->new,
        config => { registration => { requires_token => SyncroTest::true } });
    # $node->syncroctl runs $SYNCRO_BUILDDIR/src/syncroctl --config <node config> ARGS.
    my ($code, $out) = $tn->syncroctl(qw(regtoken add ONETIME --uses 1));
    is($code, 0, 'syncroctl regtoken add ONETIME --uses 1 exits 0') or diag $out;
    like($out, qr/^ONETIME$/m, '... and prints the token');

    my ($st, $b) = $tn->get("$VALID?token=ONETIME");
    is($st, 200, 'validity: 200');
    ok(JSON::PP::is_bool($b->{valid}) && $b->{valid}, '... ONETIME is valid') or diag explain $b;
    ($st, $b) = $tn->get("$VALID?token=WRONG");
    ok($st == 200 && JSON::PP::is_bool($b->{valid}) && !$b->{valid}, 'WRONG is not valid')
        or diag explain $b;

    ($st, $b) = start_reg($tn, username => 'tok1', password => 'pw');
    is($st, 401, 'token node: 401');
    is_deeply(flows_of($b), [['m.login.registration_token']],
        '... flows are [[m.login.registration_token]]') or diag explain $b;
    my $s1 = $b->{session};

    # m.login.dummy is not offered here.
    ($st, $b) = $tn->post($REG, { username => 'tok1', password => 'pw',
        auth => { type => 'm.login.dummy', session => $s1 } });
    is($st, 400, 'm.login.dummy on a token node: 400');
    errcode_is($b, 'M_UNRECOGNIZED', '... M_UNRECOGNIZED');

    ($st, $b) = $tn->post($REG, { username => 'tok1', password => 'pw',
        auth => { type => 'm.login.registration_token', token => 'WRONG', session => $s1 } });
    is($st, 401, 'wrong token: 401');
    errcode_is($b, 'M_FORBIDDEN', '... with errcode M_FORBIDDEN');
    is($b->{session}, $s1, '... same session');
    is_deeply($b->{completed}, [], '... nothing completed');
    is_deeply(flows_of($b), [['m.login.registration_token']], '... flows repeated');

    ($st, $b) = $tn->post($REG, { username => 'tok1', password => 'pw',
        auth => { type => 'm.login.registration_token', session => $s1 } });
    is($st, 401, 'token stage without a token: 401');
    errcode_is($b, 'M_MISSING_PARAM', '... M_MISSING_PARAM');

    # A second registration passes the token stage too, before the first
    # registers: its empty password fails after UIA, so the session stays
    # with the stage completed and the token unused.
    my ($st2, $b2) = start_reg($tn, username => 'tok2', password => '');
    is($st2, 401, 'second pending registration');
    my $s2 = $b2->{session};
    ($st2, $b2) = $tn->post($REG, { username => 'tok2', password => '',
        auth => { type => 'm.login.registration_token', token => 'ONETIME', session => $s2 } });
    is($st2, 400, 'token stage passed but the password is too weak: 400');
    errcode_is($b2, 'M_WEAK_PASSWORD', '... M_WEAK_PASSWORD');
    ($st, $b) = $tn->get("$VALID?token=ONETIME");
    ok($st == 200 && $b->{valid}, '... and ONETIME is still valid (the failed attempt did not use it)')
        or diag explain $b;

    ($st, $b) = $tn->post($REG, { username => 'tok1', password => 'pw',
        auth => { type => 'm.login.registration_token', token => 'ONETIME', session => $s1 } });
    is($st, 200, 'right token completes the registration') or diag explain $b;
    is($b->{user_id}, '@tok1:' . $tn->server_name, '... as @tok1');
    ok(length($b->{access_token} // ''), '... with an access token');

    ($st, $b) = $tn->get("$VALID?token=ONETIME");
    ok($st == 200 && JSON::PP::is_bool($b->{valid}) && !$b->{valid},
        'ONETIME is no longer valid once used') or diag explain $b;

    # tok2 had its token stage checked while ONETIME had a use left; the
    # single use has now gone to tok1.
    ($st2, $b2) = $tn->post($REG, { username => 'tok2', password => 'pw',
        auth => { session => $s2 } });
    ok($st2 == 401 || $st2 == 403,
        'a session that passed the token stage cannot register once the token is used up (401/403)')
        or diag "HTTP $st2", explain $b2;
    errcode_is($b2, 'M_FORBIDDEN', '... M_FORBIDDEN');
    ($st2) = $tn->get("$AVAIL?username=tok2");
    is($st2, 200, '... tok2 was not created');

    ($st, $b) = start_reg($tn, username => 'tok3', password => 'pw');
    is($st, 401, 'new registration after the token is used up: 401');
    ($st, $b) = $tn->post($REG, { username => 'tok3', password => 'pw',
        auth => { type => 'm.login.registration_token', token => 'ONETIME', session => $b->{session} } });
    is($st, 401, 'used-up token: 401');
    errcode_is($b, 'M_FORBIDDEN', '... M_FORBIDDEN');
    is_deeply($b->{completed}, [], '... stage not completed');
    ($st) = $tn->get("$AVAIL?username=tok3");
    is($st, 200, '... tok3 was not created');

    # An unlimited token serves several registrations.
    ($code, $out) = $tn->syncroctl(qw(regtoken add MANY));
    is($code, 0, 'syncroctl regtoken add MANY exits 0') or diag $out;
    for my $name (qw(many1 many2)) {
        ($st, $b) = $tn->post($REG, { username => $name, password => 'pw',
            auth => { type => 'm.login.registration_token', token => 'MANY' } });
        is($st, 200, "unlimited token registers $name") or diag explain $b;
    }
    # Expiry: valid until --expires-in seconds have passed.
    ($code, $out) = $tn->syncroctl(qw(regtoken add SHORTLIVED --expires-in 1));
    is($code, 0, 'syncroctl regtoken add SHORTLIVED --expires-in 1 exits 0') or diag $out;
    ($st, $b) = $tn->get("$VALID?token=SHORTLIVED");
    ok($st == 200 && $b->{valid}, 'SHORTLIVED is valid at first') or diag explain $b;
    select(undef, undef, undef, 1.3);
    ($st, $b) = $tn->get("$VALID?token=SHORTLIVED");
    ok($st == 200 && JSON::PP::is_bool($b->{valid}) && !$b->{valid}, 'SHORTLIVED is invalid once expired')
        or diag explain $b;
    ($st, $b) = $tn->post($REG, { username => 'late', password => 'pw',
        auth => { type => 'm.login.registration_token', token => 'SHORTLIVED' } });
    is($st, 401, 'an expired token does not register: 401');
    errcode_is($b, 'M_FORBIDDEN', '... M_FORBIDDEN');

    is($tn->stop, 0, 'token node exits 0');
}

done_testing;
