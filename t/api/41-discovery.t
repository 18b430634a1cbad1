#!/usr/bin/perl
# 41-discovery.t -- /versions, /.well-known/matrix/{client,server}, /capabilities.
use strict;
use warnings;
use Test::More;
use SyncroTest;
use SyncroTest::Util qw(errcode_is);

my $node = SyncroTest::Node->new;
my $C = '/_matrix/client/v3';
my ($st, $b, $res);

# --- /versions ----------------------------------------------------------------
($st, $b, $res) = $node->raw('GET', '/_matrix/client/versions', undef, {});
is($st, 200, 'GET /versions: 200');
is(ref $b->{versions}, 'ARRAY', 'versions is an array');
my @v = @{ $b->{versions} || [] };
ok(@v >= 1, 'at least one version');
ok(!grep({ !defined $_ || ref $_ || !/\A(?:r0\.\d+\.\d+|v1\.\d+)\z/ } @v),
    'every entry is an r0.x.y or v1.x string') or diag explain \@v;
ok(grep({ $_ eq 'v1.1' } @v), 'v1.1 (the /v3 API) is listed');
ok(!exists $b->{unstable_features} || ref $b->{unstable_features} eq 'HASH',
    'unstable_features, if present, is an object');
is($res->{headers}{'access-control-allow-origin'}, '*', '/versions carries CORS');
my $u = $node->register_user('alice', 'apw');
($st, $b) = $node->get('/_matrix/client/versions', token => $u->{access_token});
is($st, 200, '/versions with a token: 200');
($st, $b) = $node->get('/_matrix/client/versions', token => 'bogus');
ok($st == 200 || ($st == 401 && ($b->{errcode} // '') eq 'M_UNKNOWN_TOKEN'),
    "/versions with a bad token: 200 or 401 M_UNKNOWN_TOKEN ($st)");
($st, $b) = $node->post('/_matrix/client/versions', {});
errcode_is($st, $b, 405, 'M_UNRECOGNIZED', 'POST /versions');

# --- .well-known --------------------------------------------------------------
($st, $b, $res) = $node->raw('GET', '/.well-known/matrix/client', undef, {});
is($st, 200, 'GET /.well-known/matrix/client: 200');
like($res->{headers}{'content-type'} // '', qr{\Aapplication/json}, '... application/json');
is($res->{headers}{'access-control-allow-origin'}, '*', '... with CORS (browsers fetch it)');
is(ref $b->{'m.homeserver'}, 'HASH', 'm.homeserver is an object');
is($b->{'m.homeserver'}{base_url}, $node->url, 'm.homeserver.base_url is public_baseurl without the trailing slash');

($st, $b) = $node->get('/.well-known/matrix/server');
is($st, 200, 'GET /.well-known/matrix/server: 200');
is_deeply($b, { 'm.server' => $node->server_name }, 'm.server is the server name (it has a port)');

# --- /capabilities ------------------------------------------------------------
($st, $b) = $node->get("$C/capabilities");
errcode_is($st, $b, 401, 'M_MISSING_TOKEN', 'capabilities without token');
($st, $b) = $node->get("$C/capabilities", token => 'bogus');
errcode_is($st, $b, 401, 'M_UNKNOWN_TOKEN', 'capabilities with a bad token');
($st, $b) = $node->get("$C/capabilities", token => $u->{access_token});
is($st, 200, 'capabilities: 200');
my $caps = $b->{capabilities} || {};
ok(JSON::PP::is_bool($caps->{'m.change_password'}{enabled}) && $caps->{'m.change_password'}{enabled},
    'm.change_password.enabled is true') or diag explain $caps;
my $rv = $caps->{'m.room_versions'} || {};
is($rv->{default}, '11', 'm.room_versions.default is "11"');
ok(!ref $rv->{default} && $rv->{default} =~ /\A\d+\z/, '... a string');
is(ref $rv->{available}, 'HASH', 'm.room_versions.available is an object');
is($rv->{available}{$rv->{default} // ''}, 'stable', 'the default room version is available and stable');
ok(!grep({ $_ !~ /\A(?:stable|unstable)\z/ } values %{ $rv->{available} || {} }),
    'availability values are stable or unstable');
for my $k (grep { exists $caps->{$_} } qw(m.set_displayname m.set_avatar_url m.3pid_changes)) {
    ok(JSON::PP::is_bool($caps->{$k}{enabled}), "$k.enabled is a boolean");
}
ok($caps->{'m.set_displayname'}{enabled}, 'm.set_displayname enabled (PUT displayname works)')
    if exists $caps->{'m.set_displayname'};

# Guests may read capabilities.
($st, $b) = $node->post("$C/register?kind=guest", {});
if ($st == 200 && $b->{access_token}) {
    my $g = $b->{access_token};
    ($st, $b) = $node->get("$C/capabilities", token => $g);
    is($st, 200, 'guest can read capabilities');
    ($st, $b) = $node->get("$C/account/whoami", token => $g);
    ok($b->{is_guest}, 'guest whoami says is_guest true');
} else {
    fail('guest registration for the capabilities check') ; diag explain $b;
}

is($node->stop, 0, 'syncrod exits 0');

# --- a node with a port-less server name and its own room version -------------
my $n2 = SyncroTest::Node->new(config => {
    server_name          => 'example.org',
    public_baseurl       => 'https://matrix.example.org/prefix/',
    default_room_version => '10',
});
($st, $b) = $n2->get('/.well-known/matrix/server');
is_deeply($b, { 'm.server' => 'example.org:8448' }, 'port-less server name: m.server gets :8448');
($st, $b) = $n2->get('/.well-known/matrix/client');
is($b->{'m.homeserver'}{base_url}, 'https://matrix.example.org/prefix', 'base_url follows public_baseurl');
my $w = $n2->register_user('walt', 'wpw');
is($w->{user_id}, '@walt:example.org', 'user IDs use the configured server name');
($st, $b) = $n2->get("$C/capabilities", token => $w->{access_token});
is($b->{capabilities}{'m.room_versions'}{default}, '10', 'default_room_version from config');
is($n2->stop, 0, 'second syncrod exits 0');

done_testing;
