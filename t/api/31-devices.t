#!/usr/bin/perl
# 31-devices.t -- /devices, /devices/{deviceId} (GET, PUT, DELETE with UIA),
# /delete_devices.
use strict;
use warnings;
use Test::More;
use SyncroTest;
use SyncroTest::Util qw(errcode_is);

my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3';
my ($st, $b);

sub pw_auth {
    my ($session, $user, $password) = @_;
    return { type => 'm.login.password', session => $session, password => $password,
        identifier => { type => 'm.id.user', user => $user } };
}

sub alive {
    my ($tok) = @_;
    my ($st) = $node->get("$C/account/whoami", token => $tok);
    return $st;
}

sub uri_escape {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9\-._~])/sprintf '%%%02X', ord $1/ge;
    return $s;
}

my $alice = $node->register_user('alice', 'apw', initial_device_display_name => 'Alice phone');
my $a2 = $node->login('alice', 'apw', device_id => 'LAPTOP', initial_device_display_name => 'Laptop');
my $a3 = $node->login('alice', 'apw', device_id => 'TABLET');
my $a4 = $node->login('alice', 'apw', device_id => 'DESK');
my $bob = $node->register_user('bob', 'bpw');
is($a2->{device_id}, 'LAPTOP', 'login with a chosen device_id');

# --- list ---------------------------------------------------------------------
($st, $b) = $node->get("$C/devices", token => $alice->{access_token});
is($st, 200, 'GET /devices: 200');
my %devs = map { $_->{device_id} => $_ } @{ $b->{devices} || [] };
is_deeply([sort keys %devs], [sort ($alice->{device_id}, 'LAPTOP', 'TABLET', 'DESK')],
    'GET /devices lists all four devices and only them');
is($devs{LAPTOP}{display_name}, 'Laptop', 'display_name from initial_device_display_name');
is($devs{$alice->{device_id}}{display_name}, 'Alice phone', 'display_name from register');
ok(!grep({ ($_->{user_id} // '') ne $alice->{user_id} } values %devs), 'every device names its user_id');
ok(!grep({ $_->{device_id} eq $bob->{device_id} } values %devs), "bob's device not listed");

($st, $b) = $node->get("$C/devices");
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'GET /devices without token');

# --- get one ------------------------------------------------------------------
($st, $b) = $node->get("$C/devices/LAPTOP", token => $alice->{access_token});
is($st, 200, 'GET /devices/LAPTOP: 200');
is($b->{device_id}, 'LAPTOP', '... device_id');
is($b->{display_name}, 'Laptop', '... display_name');
is($b->{user_id}, $alice->{user_id}, '... user_id');

($st, $b) = $node->get("$C/devices/NOSUCH", token => $alice->{access_token});
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'GET unknown device');
($st, $b) = $node->get("$C/devices/" . uri_escape($bob->{device_id}), token => $alice->{access_token});
errcode_is($st, $b, 404, 'M_NOT_FOUND', "GET another user's device");

# --- rename -------------------------------------------------------------------
($st, $b) = $node->put("$C/devices/TABLET", { display_name => "Tablet \x{e9}" },
    token => $alice->{access_token});
is($st, 200, 'PUT rename: 200') or diag explain $b;
is_deeply($b, {}, 'PUT rename: empty object');
($st, $b) = $node->get("$C/devices/TABLET", token => $alice->{access_token});
is($b->{display_name}, "Tablet \x{e9}", 'rename took effect (UTF-8 kept)');

($st, $b) = $node->put("$C/devices/TABLET", {}, token => $alice->{access_token});
is($st, 200, 'PUT with no display_name: 200');
($st, $b) = $node->get("$C/devices/TABLET", token => $alice->{access_token});
is($b->{display_name}, "Tablet \x{e9}", '... name unchanged');

($st, $b) = $node->put("$C/devices/NOSUCH", { display_name => 'x' }, token => $alice->{access_token});
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'PUT rename unknown device');
($st, $b) = $node->put("$C/devices/NOSUCH", {}, token => $alice->{access_token});
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'PUT empty body on unknown device');
($st, $b) = $node->put("$C/devices/" . uri_escape($bob->{device_id}), { display_name => 'pwned' },
    token => $alice->{access_token});
errcode_is($st, $b, 404, 'M_NOT_FOUND', "PUT rename another user's device");
($st, $b) = $node->get("$C/devices/" . uri_escape($bob->{device_id}), token => $bob->{access_token});
isnt($b->{display_name} // '', 'pwned', "bob's device name untouched");
($st, $b) = $node->put("$C/devices/TABLET", { display_name => 42 }, token => $alice->{access_token});
is($st, 400, 'PUT with a numeric display_name: 400') or diag explain $b;
($st, $b) = $node->put("$C/devices/TABLET", { display_name => 'x' x 2000 }, token => $alice->{access_token});
is($st, 400, 'PUT with a 2000-byte display_name: 400') or diag explain $b;

# --- delete one ---------------------------------------------------------------
($st, $b) = $node->delete("$C/devices/TABLET", token => $alice->{access_token});
is($st, 401, 'DELETE device without auth: UIA 401') or diag explain $b;
is_deeply([map { $_->{stages} } @{ $b->{flows} || [] }], [['m.login.password']],
    'DELETE device: flows [[m.login.password]]');
my $session = $b->{session};
ok($session, 'DELETE device: session');
is(alive($a3->{access_token}), 200, 'TABLET still alive before UIA completes');

($st, $b) = $node->delete("$C/devices/TABLET", { auth => pw_auth($session, 'alice', 'wrong') },
    token => $alice->{access_token});
errcode_is($st, $b, 401, 'M_FORBIDDEN', 'DELETE device: wrong password');
is($b->{session}, $session, '... same session');
($st, $b) = $node->delete("$C/devices/TABLET", { auth => pw_auth($session, 'alice', 'apw') },
    token => $alice->{access_token});
is($st, 200, 'DELETE device with password: 200') or diag explain $b;
is(alive($a3->{access_token}), 401, "deleted device's token is dead");
is(alive($alice->{access_token}), 200, 'the caller survives');
is(alive($a2->{access_token}), 200, 'other devices survive');
($st, $b) = $node->get("$C/devices/TABLET", token => $alice->{access_token});
errcode_is($st, $b, 404, 'M_NOT_FOUND', 'deleted device is gone');

# Deleting an unknown device: Synapse answers 200 (idempotent); a 404 is also
# defensible.  It must not be a 5xx.
($st, $b) = $node->delete("$C/devices/NOSUCH", token => $alice->{access_token});
is($st, 401, 'DELETE unknown device still asks for UIA first');
($st, $b) = $node->delete("$C/devices/NOSUCH", { auth => pw_auth($b->{session}, 'alice', 'apw') },
    token => $alice->{access_token});
ok($st == 200 || ($st == 404 && ($b->{errcode} // '') eq 'M_NOT_FOUND'),
    'DELETE unknown device after UIA: 200 or 404 M_NOT_FOUND') or diag "$st ", explain $b;

# Bob cannot delete alice's device, even with his own password.
($st, $b) = $node->delete("$C/devices/DESK", token => $bob->{access_token});
($st, $b) = $node->delete("$C/devices/DESK", { auth => pw_auth($b->{session}, 'bob', 'bpw') },
    token => $bob->{access_token});
isnt($st, 500, "bob deleting alice's DESK: no 5xx");
is(alive($a4->{access_token}), 200, "bob could not delete alice's device");

# --- delete_devices -----------------------------------------------------------
($st, $b) = $node->post("$C/delete_devices", {}, token => $alice->{access_token});
errcode_is($st, $b, 400, 'M_MISSING_PARAM', 'delete_devices without devices');
($st, $b) = $node->post("$C/delete_devices", { devices => 'DESK' }, token => $alice->{access_token});
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'delete_devices with a non-array');
($st, $b) = $node->post("$C/delete_devices", { devices => ['DESK', 7] }, token => $alice->{access_token});
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'delete_devices with a non-string element');
is(alive($a4->{access_token}), 200, 'bad requests deleted nothing');

my $a5 = $node->login('alice', 'apw', device_id => 'EXTRA');
($st, $b) = $node->post("$C/delete_devices", { devices => ['DESK', 'EXTRA'] },
    token => $alice->{access_token});
is($st, 401, 'delete_devices: UIA 401') or diag explain $b;
is_deeply([map { $_->{stages} } @{ $b->{flows} || [] }], [['m.login.password']],
    'delete_devices: flows [[m.login.password]]');
my $ds = $b->{session};
($st, $b) = $node->post("$C/delete_devices",
    { devices => ['DESK', 'EXTRA'], auth => pw_auth($ds, 'alice', 'nope') },
    token => $alice->{access_token});
errcode_is($st, $b, 401, 'M_FORBIDDEN', 'delete_devices: wrong password');
is(alive($a4->{access_token}), 200, '... nothing deleted');
($st, $b) = $node->post("$C/delete_devices",
    { devices => ['DESK', 'EXTRA'], auth => pw_auth($ds, 'alice', 'apw') },
    token => $alice->{access_token});
is($st, 200, 'delete_devices with password: 200') or diag explain $b;
is(alive($a4->{access_token}), 401, 'DESK token dead');
is(alive($a5->{access_token}), 401, 'EXTRA token dead');
($st, $b) = $node->get("$C/devices", token => $alice->{access_token});
is_deeply([sort map { $_->{device_id} } @{ $b->{devices} || [] }],
    [sort ($alice->{device_id}, 'LAPTOP')], 'remaining devices');

# Bob's UIA session cannot delete alice's devices.
($st, $b) = $node->post("$C/delete_devices", { devices => ['LAPTOP'] }, token => $bob->{access_token});
my $bs = $b->{session};
($st, $b) = $node->post("$C/delete_devices", { devices => ['LAPTOP'], auth => pw_auth($bs, 'bob', 'bpw') },
    token => $alice->{access_token});
errcode_is($st, $b, 403, 'M_FORBIDDEN', "alice cannot use bob's UIA session");
is(alive($a2->{access_token}), 200, 'LAPTOP survives');

# Deleting the caller's own device kills the caller's token.
($st, $b) = $node->delete("$C/devices/LAPTOP", token => $a2->{access_token});
($st, $b) = $node->delete("$C/devices/LAPTOP", { auth => pw_auth($b->{session}, 'alice', 'apw') },
    token => $a2->{access_token});
is($st, 200, 'delete own device: 200');
is(alive($a2->{access_token}), 401, 'own token dead after deleting own device');
is(alive($bob->{access_token}), 200, "bob's token untouched throughout");

is($node->stop, 0, 'syncrod exits 0');
done_testing;
