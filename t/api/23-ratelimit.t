#!/usr/bin/perl
# 23-ratelimit.t -- rate limits on /login (per client IP and per user) and
# /register (per client IP): 429 M_LIMIT_EXCEEDED with retry_after_ms.
#
# Requests "from" other addresses bind their client socket to 127.0.0.N
# (all of 127/8 reaches the loopback listener on Linux).
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(sleep);
use SyncroTest;

my $LOGIN = '/_matrix/client/v3/login';
my $REG   = '/_matrix/client/v3/register';

# login: 0.1/s (one token per 10 s), burst 2.  register: 0.5/s, burst 2, so
# its retry_after_ms (at most ~2 s) can be waited out.
my $node = SyncroTest::Node->new(pg => SyncroTest::Pg->new, config => {
    rate_limits => {
        enabled  => SyncroTest::true,
        login    => { per_second => 0.1, burst => 2 },
        register => { per_second => 0.5, burst => 2 },
    },
});

my $json = JSON::PP->new->utf8->canonical;

# (status, body) of a JSON request sent from local address $ip.
sub req_from {
    my ($ip, $method, $path, $body) = @_;
    my $http = HTTP::Tiny->new(local_address => $ip, timeout => 30, keep_alive => 0);
    my $res = $http->request($method, $node->url . $path, {
        headers => { 'Content-Type' => 'application/json' },
        (defined $body ? (content => $json->encode($body)) : ()) });
    my $b = eval { $json->decode($res->{content}) };
    return ($res->{status}, $b);
}

sub login_body {
    my ($user, $pw) = @_;
    return { type => 'm.login.password', identifier => { type => 'm.id.user', user => $user },
             password => $pw };
}

# Register with a one-request m.login.dummy (one register token each).
sub register_from {
    my ($ip, $name, $pw) = @_;
    return req_from($ip, 'POST', $REG, { username => $name, password => $pw,
        auth => { type => 'm.login.dummy' } });
}

sub limited_ok {
    my ($st, $b, $max_ms, $what) = @_;
    is($st, 429, "$what: 429");
    is(ref $b eq 'HASH' ? $b->{errcode} : undef, 'M_LIMIT_EXCEEDED', "... M_LIMIT_EXCEEDED ($what)")
        or diag explain $b;
    my $r = ref $b eq 'HASH' ? $b->{retry_after_ms} : undef;
    ok(defined $r && !ref $r && $r =~ /\A[0-9]+\z/, "... retry_after_ms is an integer ($what)")
        or diag explain $b;
    ok(defined $r && $r > 0 && $r <= $max_ms, "... 0 < retry_after_ms <= $max_ms ($what)")
        or diag "retry_after_ms: " . ($r // 'undef');
    return $r;
}

# Accounts, each registered from its own address so the register limit of
# the addresses used below stays untouched.
my ($st, $b) = register_from('127.0.0.20', 'alice', 'alice-pw');
is($st, 200, 'alice registered') or diag explain $b;
($st, $b) = register_from('127.0.0.21', 'carol', 'carol-pw');
is($st, 200, 'carol registered') or diag explain $b;
($st, $b) = register_from('127.0.0.22', 'dan', 'dan-pw');
is($st, 200, 'dan registered') or diag explain $b;

# --- /login per IP ---------------------------------------------------------------
{
    my $ip = '127.0.0.1';
    ($st, $b) = req_from($ip, 'POST', $LOGIN, login_body('alice', 'wrong'));
    is($st, 403, 'login 1 from one IP: not limited (403 wrong password)');
    ($st, $b) = req_from($ip, 'POST', $LOGIN, login_body('nobody', 'x'));
    is($st, 403, 'login 2 from the same IP (another user): not limited');
    ($st, $b) = req_from($ip, 'POST', $LOGIN, login_body('dan', 'dan-pw'));
    limited_ok($st, $b, 10_001, 'login 3 from the same IP, right password');
    ok(!exists $b->{access_token}, '... no access_token');
    ($st, $b) = req_from($ip, 'POST', $LOGIN, login_body('dan', 'dan-pw'));
    limited_ok($st, $b, 10_001, 'login 4 from the same IP');

    ($st, $b) = req_from($ip, 'GET', $LOGIN);
    is($st, 200, 'GET /login is not limited');

    ($st, $b) = req_from('127.0.0.2', 'POST', $LOGIN, login_body('dan', 'dan-pw'));
    is($st, 200, 'a login from another IP is not limited') or diag explain $b;
    is($b->{user_id}, '@dan:' . $node->server_name, '... and logs in');
}

# --- /login per user ----------------------------------------------------------------
{
    ($st, $b) = req_from('127.0.0.3', 'POST', $LOGIN, login_body('carol', 'wrong'));
    is($st, 403, 'carol login from IP .3: not limited (403)');
    ($st, $b) = req_from('127.0.0.4', 'POST', $LOGIN, login_body('CAROL', 'carol-pw'));
    is($st, 200, 'carol login from IP .4: not limited (200)') or diag explain $b;
    ($st, $b) = req_from('127.0.0.5', 'POST', $LOGIN, login_body('carol', 'carol-pw'));
    limited_ok($st, $b, 10_001, 'third carol login, from a fresh IP .5');
    ok(!exists $b->{access_token}, '... no access_token');
    ($st, $b) = req_from('127.0.0.6', 'POST', $LOGIN, login_body('@Carol:' . $node->server_name, 'carol-pw'));
    limited_ok($st, $b, 10_001, 'carol login as a mixed-case MXID from IP .6 (same user bucket)');
    ($st, $b) = req_from('127.0.0.5', 'POST', $LOGIN, login_body('alice', 'alice-pw'));
    is($st, 200, 'another user from IP .5 is not limited') or diag explain $b;
}

# --- /register per IP ------------------------------------------------------------------
# A registration is counted when an account is made (as Synapse does): UIA
# challenges and refused attempts are free, but a limited IP is turned away
# before any work.  Look-ups (/register/available, token validity) have a
# budget of their own, ten times the register one.
{
    my $ip = '127.0.0.7';
    ($st, $b) = register_from($ip, 'reg1', 'pw');
    is($st, 200, 'registration 1 from one IP: 200') or diag explain $b;
    ($st, $b) = req_from($ip, 'POST', $REG, { username => 'reg2', password => 'pw' });
    is($st, 401, 'a UIA challenge from the same IP: 401, not limited');
    ($st, $b) = req_from($ip, 'POST', $REG, { username => 'reg2', password => 'pw',
        auth => { type => 'm.login.dummy', session => $b->{session} } });
    is($st, 200, 'registration 2 from the same IP: 200') or diag explain $b;
    ($st, $b) = req_from($ip, 'POST', $REG, { username => 'reg3', password => 'pw' });
    my $retry = limited_ok($st, $b, 2_001, 'registration 3 from the same IP');
    ok(!exists $b->{session}, '... turned away before UIA');
    ($st, $b) = req_from($ip, 'POST', "$REG?kind=guest", {});
    limited_ok($st, $b, 2_001, 'guest registration from the same IP');
    ($st, $b) = req_from($ip, 'GET', "$REG/available?username=reg3");
    is($st, 200, 'GET /register/available has its own budget') or diag explain $b;
    ($st, $b) = req_from('127.0.0.8', 'POST', $REG, { username => 'reg3', password => 'pw' });
    is($st, 401, 'another IP is not limited');

    # retry_after_ms is honest: after waiting it out, the next registration passes.
    sleep(($retry // 2001) / 1000 + 0.05);
    ($st, $b) = register_from($ip, 'reg3', 'pw');
    is($st, 200, 'after retry_after_ms the registration succeeds') or diag explain $b;
    ($st, $b) = register_from($ip, 'reg4', 'pw');
    limited_ok($st, $b, 2_001, '... and only one token came back');
}

# --- what does not spend the registration budget -------------------------------------
{
    my $ip = '127.0.0.30';
    ($st, $b) = req_from($ip, 'POST', $REG, { username => 'dance', password => 'pw' });
    ($st, $b) = req_from($ip, 'POST', $REG, { username => 'dance', password => 'pw' });
    ($st, $b) = req_from($ip, 'POST', $REG, { username => 'dance', password => 'pw',
        auth => { type => 'm.login.dummy', session => ref $b eq 'HASH' ? $b->{session} : undef } });
    is($st, 200, 'two UIA challenges then a completion from one IP: 200') or diag explain $b;
    ($st, $b) = req_from($ip, 'POST', $REG, { username => 'dance', password => 'pw' });
    is($b->{errcode}, 'M_USER_IN_USE', 'a refused registration ...');
    ($st, $b) = register_from($ip, 'dance2', 'pw');
    is($st, 200, '... did not count') or diag explain $b;

    $ip = '127.0.0.31';
    req_from($ip, 'GET', "$REG/available?username=typing$_") for 1 .. 3;
    ($st, $b) = register_from($ip, 'typing', 'pw');
    is($st, 200, 'three availability checks then a registration from one IP: 200') or diag explain $b;

    $ip = '127.0.0.32';
    my $limited = 0;
    for my $i (1 .. 25) {
        ($st, $b) = req_from($ip, 'GET', "$REG/available?username=look$i");
        $limited++ if $st == 429;
    }
    ok($limited > 0, 'look-ups are limited too, at ten times the register burst');
    is($b->{errcode}, 'M_LIMIT_EXCEEDED', '... with M_LIMIT_EXCEEDED');
}

is($node->stop, 0, 'node exits 0');
done_testing;
