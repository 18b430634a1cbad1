#!/usr/bin/perl
# 22-guest.t -- guest accounts: POST /register?kind=guest, what a guest
# token may and may not do, and nodes with guest access off.
use strict;
use warnings;
use Test::More;
use SyncroTest;

my $REG    = '/_matrix/client/v3/register';
my $WHOAMI = '/_matrix/client/v3/account/whoami';

my $pg   = SyncroTest::Pg->new;
my $node = SyncroTest::Node->new(pg => $pg);
my $hs   = $node->server_name;

sub errcode_is {
    my ($body, $want, $name) = @_;
    is(ref $body eq 'HASH' ? $body->{errcode} : undef, $want, $name)
        or diag explain $body;
}

# --- registering a guest ---------------------------------------------------
my ($st, $b) = $node->post("$REG?kind=guest", { initial_device_display_name => 'Guest browser' });
is($st, 200, 'register kind=guest: 200 without UIA') or diag explain $b;
like($b->{user_id} // '', qr/\A\@[0-9]+:\Q$hs\E\z/, '... numeric guest user_id');
ok(length($b->{access_token} // ''), '... access_token');
ok(length($b->{device_id} // ''), '... device_id');
is($b->{home_server}, $hs, '... home_server');
my $guest = $b;

# The spec has the server ignore a guest's username, password, device_id and inhibit_login.
($st, $b) = $node->post("$REG?kind=guest", { username => 'sneaky', password => 'pw',
    device_id => 'CHOSEN', inhibit_login => SyncroTest::true });
is($st, 200, 'second guest: 200') or diag explain $b;
like($b->{user_id} // '', qr/\A\@[0-9]+:\Q$hs\E\z/, '... username ignored');
ok(length($b->{access_token} // ''), '... inhibit_login ignored: access_token given');
isnt($b->{device_id}, 'CHOSEN', '... device_id ignored');
isnt($b->{user_id}, $guest->{user_id}, '... a different guest');
my $guest2 = $b;
($st, $b) = $node->get("$REG/available?username=sneaky");
is($st, 200, '... "sneaky" was not taken');

# Guest registration needs no body at all.
($st, $b) = $node->raw('POST', "$REG?kind=guest", undef, {});
is($st, 200, 'guest registration with an empty body: 200') or diag explain $b;

# --- what a guest is ------------------------------------------------------------
($st, $b) = $node->get($WHOAMI, token => $guest->{access_token});
is($st, 200, 'guest whoami: 200');
is($b->{user_id}, $guest->{user_id}, '... user_id');
is($b->{device_id}, $guest->{device_id}, '... device_id');
ok(JSON::PP::is_bool($b->{is_guest}) && $b->{is_guest}, '... is_guest true') or diag explain $b;

# --- allowed -------------------------------------------------------------------------
($st, $b) = $node->get('/_matrix/client/v3/devices', token => $guest->{access_token});
is($st, 200, 'guest GET /devices: 200') or diag explain $b;
my @devs = @{ ref $b eq 'HASH' && ref $b->{devices} eq 'ARRAY' ? $b->{devices} : [] };
is(scalar @devs, 1, '... one device');
is($devs[0]{device_id}, $guest->{device_id}, '... the guest device');
is($devs[0]{display_name}, 'Guest browser', '... initial_device_display_name honoured');

my $enc = $guest->{user_id};
$enc =~ s/([^A-Za-z0-9._~-])/sprintf '%%%02X', ord $1/ge;
($st, $b) = $node->put("/_matrix/client/v3/profile/$enc/displayname",
    { displayname => 'Curious Guest' }, token => $guest->{access_token});
is($st, 200, 'guest PUT own displayname: 200') or diag explain $b;
($st, $b) = $node->get("/_matrix/client/v3/profile/$enc/displayname");
is($st, 200, '... GET displayname: 200');
is($b->{displayname}, 'Curious Guest', '... displayname set');

# --- forbidden -------------------------------------------------------------------------
($st, $b) = $node->post('/_matrix/client/v3/account/password',
    { new_password => 'new-pw', auth => { type => 'm.login.dummy' } }, token => $guest->{access_token});
is($st, 403, 'guest POST /account/password: 403');
errcode_is($b, 'M_GUEST_ACCESS_FORBIDDEN', '... M_GUEST_ACCESS_FORBIDDEN');

($st, $b) = $node->post('/_matrix/client/v3/account/deactivate',
    { auth => { type => 'm.login.dummy' } }, token => $guest->{access_token});
is($st, 403, 'guest POST /account/deactivate: 403');
errcode_is($b, 'M_GUEST_ACCESS_FORBIDDEN', '... M_GUEST_ACCESS_FORBIDDEN');

($st, $b) = $node->get($WHOAMI, token => $guest->{access_token});
is($st, 200, 'guest still active after the refused deactivation');

# A guest has no password, so no password logs it in.
(my $guest_lp = $guest->{user_id}) =~ s/\A\@([^:]+):.*\z/$1/;
for my $pw ('', 'pw', 'password', $guest_lp) {
    ($st, $b) = $node->post('/_matrix/client/v3/login', { type => 'm.login.password',
        identifier => { type => 'm.id.user', user => $guest_lp }, password => $pw });
    is($st, 403, "guest password login (password '$pw'): 403");
    errcode_is($b, 'M_FORBIDDEN', '... M_FORBIDDEN');
}
# The second guest sent a password when registering: it was ignored.
(my $guest2_lp = $guest2->{user_id}) =~ s/\A\@([^:]+):.*\z/$1/;
($st, $b) = $node->post('/_matrix/client/v3/login', { type => 'm.login.password',
    identifier => { type => 'm.id.user', user => $guest2_lp }, password => 'pw' });
is($st, 403, 'guest registered with a password cannot log in with it: 403');
errcode_is($b, 'M_FORBIDDEN', '... M_FORBIDDEN');

# Guests may log out.
($st, $b) = $node->post('/_matrix/client/v3/logout', {}, token => $guest2->{access_token});
is($st, 200, 'guest logout: 200');
($st, $b) = $node->get($WHOAMI, token => $guest2->{access_token});
is($st, 401, '... guest token dead');
errcode_is($b, 'M_UNKNOWN_TOKEN', '... M_UNKNOWN_TOKEN');

is($node->stop, 0, 'node exits 0');

# --- guest access off ------------------------------------------------------------------
{
    my $off = SyncroTest::Node->new(pg => SyncroTest::Pg->new,
        config => { registration => { guest_access => SyncroTest::false } });
    ($st, $b) = $off->post("$REG?kind=guest", {});
    is($st, 403, 'guest_access false: register kind=guest 403');
    errcode_is($b, 'M_GUEST_ACCESS_FORBIDDEN', '... M_GUEST_ACCESS_FORBIDDEN');
    ok(!exists $b->{access_token}, '... no access_token');

    # Ordinary registration is unaffected.
    my $u = eval { $off->register_user('regular', 'pw') };
    ok($u && $u->{user_id}, 'user registration still works with guest_access false') or diag $@;
    is($off->stop, 0, 'guest-less node exits 0');
}

# --- registration disabled, guests allowed (as Synapse) -----------------------------------
{
    my $n = SyncroTest::Node->new(pg => SyncroTest::Pg->new,
        config => { registration => { enabled => SyncroTest::false, guest_access => SyncroTest::true } });
    ($st, $b) = $n->post("$REG?kind=guest", {});
    is($st, 200, 'registration disabled, guest_access true: guest registration 200') or diag explain $b;
    like($b->{user_id} // '', qr/\A\@[0-9]+:/, '... a guest user_id');
    ($st, $b) = $n->post($REG, { username => 'x', password => 'pw' });
    is($st, 403, '... while user registration is 403');
    errcode_is($b, 'M_FORBIDDEN', '... M_FORBIDDEN');
    is($n->stop, 0, 'node exits 0');
}

done_testing;
