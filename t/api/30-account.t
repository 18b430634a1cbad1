#!/usr/bin/perl
# 30-account.t -- /account/whoami, /account/password (UIA), /account/deactivate.
use strict;
use warnings;
use Test::More;
use SyncroTest;
use SyncroTest::Util qw(errcode_is);

my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3';
my ($st, $b);

sub uia_password {
    my ($session, $user, $password) = @_;
    return {
        type       => 'm.login.password',
        identifier => { type => 'm.id.user', user => $user },
        password   => $password,
        session    => $session,
    };
}

# --- whoami -------------------------------------------------------------------
my $alice = $node->register_user('alice', 'alice-pw-1');
($st, $b) = $node->get("$C/account/whoami", token => $alice->{access_token});
is($st, 200, 'whoami: 200');
is($b->{user_id}, '@alice:' . $node->server_name, 'whoami: user_id');
is($b->{device_id}, $alice->{device_id}, 'whoami: device_id of the token');
ok(defined $b->{device_id} && length $b->{device_id}, 'whoami: device_id not empty');
ok(exists $b->{is_guest} && JSON::PP::is_bool($b->{is_guest}) && !$b->{is_guest},
    'whoami: is_guest is boolean false');

($st, $b) = $node->get("$C/account/whoami");
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'whoami without token');
($st, $b) = $node->get("$C/account/whoami", token => 'syt_not_a_real_token');
errcode_is($st, $b, 401, 'M_UNKNOWN_TOKEN', 'whoami with a bad token');
($st, $b) = $node->get("$C/account/whoami", headers => { Authorization => 'Basic Zm9vOmJhcg==' });
is($st, 401, 'whoami with a non-Bearer Authorization header: 401');

($st, $b) = $node->get("$C/account/whoami?access_token=$alice->{access_token}");
is($st, 200, 'whoami with ?access_token=: 200');
is($b->{user_id}, $alice->{user_id}, '... right user');
($st, $b) = $node->get("$C/account/whoami?access_token=bogus");
errcode_is($st, $b, 401, 'M_UNKNOWN_TOKEN', 'whoami with a bad ?access_token=');

# --- password -----------------------------------------------------------------
# Three more sessions for alice: two to be logged out, one to survive a change
# made with logout_devices false.
my $a2 = $node->login('alice', 'alice-pw-1');
my $a3 = $node->login('alice', 'alice-pw-1');
isnt($a2->{device_id}, $alice->{device_id}, 'second login has its own device');

($st, $b) = $node->post("$C/account/password", { new_password => 'alice-pw-2' },
    token => $alice->{access_token});
is($st, 401, 'password: first call is a UIA 401') or diag explain $b;
is_deeply([map { $_->{stages} } @{ $b->{flows} || [] }], [['m.login.password']],
    'password: flows [[m.login.password]]');
ok(defined $b->{session} && length $b->{session}, 'password: session given');
ok(!exists $b->{errcode}, 'password: first 401 carries no errcode');
my $session = $b->{session};

($st, $b) = $node->post("$C/account/password",
    { new_password => 'alice-pw-2', auth => uia_password($session, 'alice', 'wrong') },
    token => $alice->{access_token});
errcode_is($st, $b, 401, 'M_FORBIDDEN', 'password: wrong password');
is($b->{session}, $session, 'password: wrong password keeps the same session');
is_deeply([map { $_->{stages} } @{ $b->{flows} || [] }], [['m.login.password']],
    'password: wrong password 401 repeats the flows');
is_deeply($b->{completed} || [], [], 'password: nothing completed');

# Old password still in force after the failed attempt.
($st, $b) = $node->post("$C/login", { type => 'm.login.password',
    identifier => { type => 'm.id.user', user => 'alice' }, password => 'alice-pw-2' });
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'new password does not log in before the change');

($st, $b) = $node->post("$C/account/password", { auth => uia_password($session, 'alice', 'alice-pw-1') },
    token => $alice->{access_token});
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'password: missing new_password');
($st, $b) = $node->post("$C/account/password", { new_password => 12345 },
    token => $alice->{access_token});
is($st, 400, 'password: non-string new_password is 400') or diag explain $b;
ok(defined $b->{errcode} && $b->{errcode} =~ /^M_(BAD_JSON|INVALID_PARAM)$/,
    'password: ... with M_BAD_JSON or M_INVALID_PARAM') or diag explain $b;

# UIA session of alice cannot be completed by bob.
my $bob = $node->register_user('bob', 'bob-pw');
($st, $b) = $node->post("$C/account/password",
    { new_password => 'hijack', auth => uia_password($session, 'bob', 'bob-pw') },
    token => $bob->{access_token});
errcode_is($st, $b, 403, 'M_FORBIDDEN', "bob cannot use alice's UIA session");
($st, $b) = $node->post("$C/account/password",
    { new_password => 'hijack', auth => uia_password($session, 'alice', 'alice-pw-1') },
    token => $bob->{access_token});
errcode_is($st, $b, 403, 'M_FORBIDDEN', "bob cannot use alice's session with alice's password");
($st, $b) = $node->post("$C/login", { type => 'm.login.password',
    identifier => { type => 'm.id.user', user => 'bob' }, password => 'hijack' });
is($st, 403, 'bob password was not changed to "hijack"');
# Bob authenticating as alice in his own session.
($st, $b) = $node->post("$C/account/password", { new_password => 'x' }, token => $bob->{access_token});
my $bob_session = $b->{session};
($st, $b) = $node->post("$C/account/password",
    { new_password => 'hijack', auth => uia_password($bob_session, 'alice', 'alice-pw-1') },
    token => $bob->{access_token});
errcode_is($st, $b, 401, 'M_FORBIDDEN', "bob cannot authenticate as alice in his UIA");

($st, $b) = $node->post("$C/account/password",
    { new_password => 'alice-pw-2', auth => uia_password($session, 'alice', 'alice-pw-1') },
    token => $alice->{access_token});
is($st, 200, 'password: right password -> 200') or diag explain $b;
is_deeply($b, {}, 'password: empty object');

($st, $b) = $node->get("$C/account/whoami", token => $alice->{access_token});
is($st, 200, "password change keeps this device's token");
for my $other ([$a2, 'second'], [$a3, 'third']) {
    ($st, $b) = $node->get("$C/account/whoami", token => $other->[0]{access_token});
    errcode_is($st, $b, 401, 'M_UNKNOWN_TOKEN', "$other->[1] device's token is dead");
}
($st, $b) = $node->get("$C/devices", token => $alice->{access_token});
is_deeply([map { $_->{device_id} } @{ $b->{devices} || [] }], [$alice->{device_id}],
    'only the changing device remains');

# The completed session cannot be replayed.
($st, $b) = $node->post("$C/account/password",
    { new_password => 'replayed', auth => { session => $session } },
    token => $alice->{access_token});
isnt($st, 200, 'password: a finished UIA session cannot be replayed') or diag explain $b;

($st, $b) = $node->post("$C/login", { type => 'm.login.password',
    identifier => { type => 'm.id.user', user => 'alice' }, password => 'alice-pw-1' });
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'old password no longer logs in');
my $a4 = $node->login('alice', 'alice-pw-2');
ok($a4->{access_token}, 'new password logs in');

# logout_devices: false keeps other devices.
($st, $b) = $node->post("$C/account/password", { new_password => 'alice-pw-3', logout_devices => SyncroTest::false },
    token => $alice->{access_token});
is($st, 401, 'password (keep devices): UIA 401');
($st, $b) = $node->post("$C/account/password",
    { new_password => 'alice-pw-3', logout_devices => SyncroTest::false,
      auth => uia_password($b->{session}, '@alice:' . $node->server_name, 'alice-pw-2') },
    token => $alice->{access_token});
is($st, 200, 'password (keep devices, full user ID in identifier): 200') or diag explain $b;
($st, $b) = $node->get("$C/account/whoami", token => $a4->{access_token});
is($st, 200, 'logout_devices false: other device still alive');
is($b->{device_id}, $a4->{device_id}, '... as itself');
ok($node->login('alice', 'alice-pw-3')->{access_token}, 'third password logs in');

($st, $b) = $node->post("$C/account/password", { new_password => 'x' });
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'password without token');

# --- deactivate ---------------------------------------------------------------
my $carol = $node->register_user('carol', 'carol-pw');
my $carol2 = $node->login('carol', 'carol-pw');
($st, $b) = $node->post("$C/account/deactivate", {}, token => $carol->{access_token});
is($st, 401, 'deactivate: UIA 401') or diag explain $b;
is_deeply([map { $_->{stages} } @{ $b->{flows} || [] }], [['m.login.password']],
    'deactivate: flows [[m.login.password]]');
my $dsession = $b->{session};
($st, $b) = $node->post("$C/account/deactivate",
    { auth => uia_password($dsession, 'carol', 'nope') }, token => $carol->{access_token});
errcode_is($st, $b, 401, 'M_FORBIDDEN', 'deactivate: wrong password');
($st, $b) = $node->get("$C/account/whoami", token => $carol->{access_token});
is($st, 200, 'still active after a wrong password');
($st, $b) = $node->post("$C/account/deactivate",
    { auth => uia_password($dsession, 'carol', 'carol-pw') }, token => $carol->{access_token});
is($st, 200, 'deactivate: 200') or diag explain $b;
ok(defined $b->{id_server_unbind_result}
    && $b->{id_server_unbind_result} =~ /^(success|no-support)$/,
    'deactivate: id_server_unbind_result') or diag explain $b;

for my $t ([$carol, 'deactivating'], [$carol2, 'other']) {
    ($st, $b) = $node->get("$C/account/whoami", token => $t->[0]{access_token});
    errcode_is($st, $b, 401, 'M_UNKNOWN_TOKEN', "deactivated: $t->[1] device's token dead");
}
($st, $b) = $node->post("$C/login", { type => 'm.login.password',
    identifier => { type => 'm.id.user', user => 'carol' }, password => 'carol-pw' });
errcode_is($st, $b, 403, 'M_FORBIDDEN', 'deactivated: login refused');
($st, $b) = $node->post("$C/register", { username => 'carol', password => 'again' });
errcode_is($st, $b, 400, 'M_USER_IN_USE', 'deactivated: username still taken');
($st, $b) = $node->get("$C/register/available?username=carol");
isnt($st, 200, 'deactivated: /register/available does not say carol is free') or diag explain $b;
($st, $b) = $node->get("$C/profile/\@carol:" . $node->server_name);
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'deactivated: profile is gone');

# Deactivating without a body still starts UIA.
($st, $b) = $node->raw('POST', "$C/account/deactivate", undef,
    { Authorization => "Bearer $bob->{access_token}" });
is($st, 401, 'deactivate with an empty body: UIA 401');
($st, $b) = $node->get("$C/account/whoami", token => $bob->{access_token});
is($st, 200, 'bob untouched');

is($node->stop, 0, 'syncrod exits 0');
done_testing;
