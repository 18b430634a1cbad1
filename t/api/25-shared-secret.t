# Shared-secret registration (/_synapse/admin/v1/register): nonce, HMAC,
# one-time use, admin flag; and off when no secret is configured.
use strict;
use warnings;
use Test::More;
use Digest::SHA qw(hmac_sha1_hex);
use SyncroTest;

my $pg   = SyncroTest::Pg->new;
my $node = SyncroTest::Node->new(pg => $pg,
    config => { registration => { shared_secret => 's3cret' } });

sub mac { my ($nonce, $user, $pw, $admin) = @_;
    hmac_sha1_hex(join("\0", $nonce, $user, $pw, $admin ? 'admin' : 'notadmin'), 's3cret') }

my ($st, $body) = $node->get('/_synapse/admin/v1/register');
is($st, 200, 'GET nonce');
my $nonce = $body->{nonce};
ok(defined $nonce && length $nonce >= 16, 'nonce is long and random');

($st, $body) = $node->post('/_synapse/admin/v1/register', {
    nonce => $nonce, username => 'carol', password => 'pw1', admin => JSON::PP::false,
    mac => mac($nonce, 'carol', 'pw2', 0) });
is($st, 403, 'wrong MAC refused');
is($body->{errcode}, 'M_FORBIDDEN', '... with M_FORBIDDEN');

($st, $body) = $node->post('/_synapse/admin/v1/register', {
    nonce => $nonce, username => 'carol', password => 'pw1', admin => JSON::PP::true,
    mac => mac($nonce, 'carol', 'pw1', 1) });
is($st, 200, 'right MAC registers');
is($body->{user_id}, '@carol:' . $node->server_name, 'user_id');
ok($body->{access_token}, 'access token issued');
my ($wst, $who) = $node->get('/_matrix/client/v3/account/whoami', token => $body->{access_token});
is($who->{user_id}, '@carol:' . $node->server_name, 'the token works');
my ($code, $out) = $node->syncroctl('user', 'list');
like($out, qr/^\@carol:\S+ admin$/m, 'created as admin');

($st, $body) = $node->post('/_synapse/admin/v1/register', {
    nonce => $nonce, username => 'dave', password => 'pw1', admin => JSON::PP::false,
    mac => mac($nonce, 'dave', 'pw1', 0) });
is($st, 400, 'a nonce is single-use');
is($body->{errcode}, 'M_UNKNOWN', '... M_UNKNOWN');

($st, $body) = $node->post('/_synapse/admin/v1/register', {
    nonce => 'made-up', username => 'dave', password => 'pw1',
    mac => mac('made-up', 'dave', 'pw1', 0) });
is($st, 400, 'an unknown nonce is refused');

($st, $body) = $node->get('/_synapse/admin/v1/register');
my $n2 = $body->{nonce};
($st, $body) = $node->post('/_synapse/admin/v1/register', {
    nonce => $n2, username => 'carol', password => 'pw1', mac => mac($n2, 'carol', 'pw1', 0) });
is($st, 400, 'a taken name is refused');
is($body->{errcode}, 'M_USER_IN_USE', '... M_USER_IN_USE');

($st, $body) = $node->post('/_synapse/admin/v1/register', {
    nonce => $n2, username => 'erin', password => 'pw1', mac => mac($n2, 'erin', 'pw1', 0) });
is($st, 200, 'a failed registration does not spend its nonce');

($st, $body) = $node->post('/_synapse/admin/v1/register', { nonce => $n2 });
is($st, 400, 'missing fields');
is($body->{errcode}, 'M_MISSING_PARAM', '... M_MISSING_PARAM');

my $plain = SyncroTest::Node->new(pg => SyncroTest::Pg->new);
($st, $body) = $plain->get('/_synapse/admin/v1/register');
is($st, 400, 'without a configured secret the API is off');

done_testing;
