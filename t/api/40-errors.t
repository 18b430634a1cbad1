#!/usr/bin/perl
# 40-errors.t -- request-level errors common to every endpoint: bad JSON,
# oversized bodies, unknown paths and methods, CORS, listener resources,
# the access log.
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use SyncroTest;
use SyncroTest::Util qw(errcode_is);

my $port  = SyncroTest::Node::free_port();
my $fport = SyncroTest::Node::free_port();
$fport = SyncroTest::Node::free_port() while $fport == $port;
my $MAX_BODY = 16384;
my $MAX_DEPTH = 8;
my $node = SyncroTest::Node->new(port => $port, config => {
    listeners => [
        { address => '127.0.0.1', port => $port, resources => [qw(client federation media admin health)] },
        { address => '127.0.0.1', port => $fport, resources => ['federation'] },
    ],
    limits => { max_request_body => $MAX_BODY, max_json_depth => $MAX_DEPTH },
});
my $C = '/_matrix/client/v3';
my ($st, $b, $res);

my $u = $node->register_user('alice', 'apw');
my %auth = (Authorization => "Bearer $u->{access_token}", 'Content-Type' => 'application/json');
my $dev = "$C/devices/$u->{device_id}";

# --- JSON bodies --------------------------------------------------------------
($st, $b) = $node->raw('POST', "$C/login", '{"type": "m.login.password", ', { 'Content-Type' => 'application/json' });
errcode_is($st, $b, 400, 'M_NOT_JSON', 'truncated JSON');
($st, $b) = $node->raw('POST', "$C/login", "{'type': 'x'}", { 'Content-Type' => 'application/json' });
errcode_is($st, $b, 400, 'M_NOT_JSON', 'single-quoted pseudo-JSON');
($st, $b) = $node->raw('POST', "$C/login", '{"type": "m.login.password"} garbage', {});
errcode_is($st, $b, 400, 'M_NOT_JSON', 'trailing garbage after JSON');
($st, $b) = $node->raw('PUT', $dev, '{"display_name": "a",}', \%auth);
errcode_is($st, $b, 400, 'M_NOT_JSON', 'trailing comma');
($st, $b) = $node->raw('PUT', $dev, '', \%auth);
errcode_is($st, $b, 400, 'M_NOT_JSON', 'empty body where JSON is required');

($st, $b) = $node->raw('POST', "$C/login", '[{"type": "m.login.password"}]', {});
errcode_is($st, $b, 400, 'M_BAD_JSON', 'JSON array body');
($st, $b) = $node->raw('PUT', $dev, '"just a string"', \%auth);
errcode_is($st, $b, 400, 'M_BAD_JSON', 'JSON string body');
# A bare top-level literal or number is JSON, just not an object.
for my $body ('null', '123', 'true') {
    ($st, $b) = $node->raw('PUT', $dev, $body, \%auth);
    errcode_is($st, $b, 400, 'M_BAD_JSON', "JSON body $body");
}
($st, $b) = $node->raw('PUT', $dev, '12 3', \%auth);
errcode_is($st, $b, 400, 'M_NOT_JSON', 'two top-level numbers');

($st, $b) = $node->put($dev, { display_name => { nested => 1 } }, token => $u->{access_token});
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'display_name of the wrong type');
($st, $b) = $node->post("$C/account/password", { new_password => 'x', logout_devices => 'yes' },
    token => $u->{access_token});
errcode_is($st, $b, 400, 'M_INVALID_PARAM', 'logout_devices as a string');
($st, $b) = $node->post("$C/login", { type => [] });
is($st, 400, 'login type as an array: 400') or diag explain $b;

# Invalid UTF-8: a lone continuation byte, an overlong '/', a CESU surrogate.
for my $bad (["\x80", 'lone continuation byte'], ["\xc0\xaf", 'overlong encoding'],
             ["\xed\xa0\x80", 'UTF-16 surrogate'], ["\xff", '0xFF byte']) {
    ($st, $b) = $node->raw('PUT', $dev, qq({"display_name": "a$bad->[0]b"}), \%auth);
    errcode_is($st, $b, 400, 'M_NOT_JSON', "invalid UTF-8 ($bad->[1])");
}
($st, $b) = $node->raw('PUT', $dev, qq({"display_name": "a\0b"}), \%auth);
is($st, 400, 'raw NUL byte in body: 400');
($st, $b) = $node->get($dev, token => $u->{access_token});
ok(!defined $b->{display_name} || $b->{display_name} !~ /^a.b$/s, 'none of the bad bodies renamed the device');

# Depth: limits.max_json_depth is $MAX_DEPTH.
my $shallow = '{"display_name": "shallow", "x": ' . ('[' x 3) . (']' x 3) . '}';
($st, $b) = $node->raw('PUT', $dev, $shallow, \%auth);
is($st, 200, 'JSON 4 levels deep is accepted') or diag explain $b;
my $deep = '{"display_name": "deep", "x": ' . ('[' x 40) . (']' x 40) . '}';
($st, $b) = $node->raw('PUT', $dev, $deep, \%auth);
is($st, 400, "JSON 41 levels deep is refused (max_json_depth $MAX_DEPTH)") or diag explain $b;
like($b->{errcode} // '', qr/\AM_(NOT_JSON|BAD_JSON)\z/, '... with M_NOT_JSON or M_BAD_JSON');
my $edge = '{"display_name": "edge", "x": ' . ('[' x ($MAX_DEPTH + 1)) . (']' x ($MAX_DEPTH + 1)) . '}';
($st, $b) = $node->raw('PUT', $dev, $edge, \%auth);
is($st, 400, 'JSON one level over max_json_depth is refused') or diag explain $b;
($st, $b) = $node->get($dev, token => $u->{access_token});
is($b->{display_name}, 'shallow', 'only the shallow body took effect');

# --- body size ----------------------------------------------------------------
# The route default is limits.max_request_body; profile PUTs cap at 8192.
my $pad = 'x' x ($MAX_BODY + 100);
($st, $b) = $node->raw('POST', "$C/login", qq({"type": "m.login.password", "pad": "$pad"}),
    { 'Content-Type' => 'application/json' });
errcode_is($st, $b, 413, 'M_TOO_LARGE', 'body over limits.max_request_body (unauthenticated route)');
($st, $b) = $node->raw('PUT', $dev, qq({"display_name": "$pad"}), \%auth);
errcode_is($st, $b, 413, 'M_TOO_LARGE', 'body over limits.max_request_body (authenticated route)');
($st, $b) = $node->get('/_matrix/client/versions');
is($st, 200, 'server still answers after a 413');

my $pid_enc = $u->{user_id};
$pid_enc =~ s/([^A-Za-z0-9])/sprintf '%%%02X', ord $1/ge;
my $mid = 'y' x 9000;    # under max_request_body, over the profile route's 8192
($st, $b) = $node->raw('PUT', "$C/profile/$pid_enc/displayname", qq({"displayname": "$mid"}), \%auth);
errcode_is($st, $b, 413, 'M_TOO_LARGE', "body over the route's own cap (8192)");
($st, $b) = $node->raw('PUT', $dev, qq({"display_name": "ok", "pad": "$mid"}), \%auth);
is($st, 200, 'the same size is fine on a route without its own cap') or diag explain $b;

my $huge = '{"pad": "' . ('z' x (4 * 1024 * 1024)) . '"}';
my $t0 = time;
($st, $b) = $node->raw('POST', "$C/login", $huge, { 'Content-Type' => 'application/json' });
errcode_is($st, $b, 413, 'M_TOO_LARGE', '4 MiB body');
ok(time - $t0 < 20, '... answered promptly');
($st, $b) = $node->get("$C/account/whoami", token => $u->{access_token});
is($st, 200, 'server still serves authenticated requests after a 4 MiB body');
is($b->{user_id}, $u->{user_id}, '... correctly');

# A client that announces a big body and hangs up half way must not hurt the server.
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 5);
    ok($s, 'raw connection');
    if ($s) {
        print $s "POST $C/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            . "Content-Length: 10000000\r\n\r\n" . ('a' x 50000);
        close $s;
    }
    sleep 0.2;
    ($st) = $node->get('/_matrix/client/versions');
    is($st, 200, 'server fine after a client abandoned a large upload');
}

# --- routing ------------------------------------------------------------------
($st, $b) = $node->get("$C/no/such/endpoint");
errcode_is($st, $b, 404, 'M_UNRECOGNIZED', 'unknown path');
($st, $b) = $node->get('/');
errcode_is($st, $b, 404, 'M_UNRECOGNIZED', 'root path');
($st, $b) = $node->get('/_matrix/client/v3/account/whoami/extra', token => $u->{access_token});
errcode_is($st, $b, 404, 'M_UNRECOGNIZED', 'known path with an extra segment');
($st, $b) = $node->raw('DELETE', '/_matrix/client/versions', undef, {});
errcode_is($st, $b, 405, 'M_UNRECOGNIZED', 'DELETE /versions');
($st, $b) = $node->raw('GET', "$C/login/../register", undef, {});
ok($st == 404 || $st == 400 || $st == 200, "dot segments do not crash ($st)");
($st, $b) = $node->post("$C/account/whoami", {}, token => $u->{access_token});
errcode_is($st, $b, 405, 'M_UNRECOGNIZED', 'POST /account/whoami');
($st, $b) = $node->raw('PATCH', "$C/account/whoami", '{}', \%auth);
ok($st == 405 || $st == 501 || $st == 400, "PATCH (unsupported method) is refused ($st)");
isnt($st, 200, '... not 200');

# --- CORS and headers ---------------------------------------------------------
(undef, undef, $res) = $node->raw('OPTIONS', "$C/account/whoami", undef, {
    Origin => 'https://app.example', 'Access-Control-Request-Method' => 'GET',
    'Access-Control-Request-Headers' => 'Authorization' });
ok($res->{status} == 200 || $res->{status} == 204, "OPTIONS preflight: 2xx ($res->{status})");
is($res->{headers}{'access-control-allow-origin'}, '*', 'preflight: Access-Control-Allow-Origin *');
my $methods = $res->{headers}{'access-control-allow-methods'} // '';
like($methods, qr/\bGET\b/, 'preflight: Allow-Methods has GET');
like($methods, qr/\bPOST\b/, '... POST');
like($methods, qr/\bPUT\b/, '... PUT');
like($methods, qr/\bDELETE\b/, '... DELETE');
like($methods, qr/\bOPTIONS\b/, '... OPTIONS');
my $hdrs = $res->{headers}{'access-control-allow-headers'} // '';
like($hdrs, qr/\bAuthorization\b/i, 'preflight: Allow-Headers has Authorization');
like($hdrs, qr/\bContent-Type\b/i, '... Content-Type');
like($hdrs, qr/\bX-Requested-With\b/i, '... X-Requested-With');
(undef, undef, $res) = $node->raw('OPTIONS', "$C/no/such/endpoint", undef, {});
ok($res->{status} == 200 || $res->{status} == 204, 'OPTIONS on an unknown path still answers the preflight');

(undef, undef, $res) = $node->raw('GET', '/_matrix/client/versions', undef, {});
is($res->{headers}{'access-control-allow-origin'}, '*', '200 response: Access-Control-Allow-Origin *');
like($res->{headers}{'content-type'} // '', qr{\Aapplication/json}, '200 response: Content-Type application/json');
(undef, undef, $res) = $node->raw('GET', "$C/account/whoami", undef, {});
is($res->{status}, 401, 'error response for the header check');
is($res->{headers}{'access-control-allow-origin'}, '*', 'error response: Access-Control-Allow-Origin *');
like($res->{headers}{'content-type'} // '', qr{\Aapplication/json}, 'error response: Content-Type application/json');
(undef, undef, $res) = $node->raw('GET', '/nowhere', undef, {});
like($res->{headers}{'content-type'} // '', qr{\Aapplication/json}, '404 response: Content-Type application/json');

# --- listener resources -------------------------------------------------------
my $furl = "http://127.0.0.1:$fport";
($st, $b) = $node->get("$furl/_matrix/client/versions");
errcode_is($st, $b, 404, 'M_UNRECOGNIZED', 'federation-only listener: /_matrix/client/versions');
($st, $b) = $node->get("$furl$C/account/whoami", token => $u->{access_token});
errcode_is($st, $b, 404, 'M_UNRECOGNIZED', 'federation-only listener: whoami (with a valid token)');
($st, $b) = $node->post("$furl$C/login", { type => 'm.login.password',
    identifier => { type => 'm.id.user', user => 'alice' }, password => 'apw' });
errcode_is($st, $b, 404, 'M_UNRECOGNIZED', 'federation-only listener: login');
($st, $b) = $node->get("$furl/.well-known/matrix/client");
errcode_is($st, $b, 404, 'M_UNRECOGNIZED', 'federation-only listener: .well-known/matrix/client');
($st, $b) = $node->get("$furl/.well-known/matrix/server");
is($st, 200, 'federation-only listener: .well-known/matrix/server answers');
is($b->{'m.server'}, $node->server_name, '... with m.server');
($st, $b) = $node->raw('DELETE', "$furl/_matrix/client/versions", undef, {});
is($b->{errcode}, 'M_UNRECOGNIZED', 'federation-only listener: DELETE on a client path: M_UNRECOGNIZED');
is($st, 404, 'federation-only listener: DELETE on a client path: HTTP 404');

# --- access log ---------------------------------------------------------------
my $marker = 'accesslogprobe' . int(rand(1e9));
($st) = $node->get("$C/$marker");
is($st, 404, 'probe request answered');
my $line;
for (1 .. 40) {    # the line is written when the request is freed
    ($line) = grep { /\Q$marker\E/ } split /\n/, $node->log_text;
    last if $line;
    sleep 0.05;
}
ok(defined $line, 'access log line for the probe request') or diag $node->log_text;
$line //= '';
like($line, qr{\bGET /_matrix/client/v3/$marker\b}, '... with method and path');
like($line, qr{\b404\b}, '... with the status');
like($line, qr{\b127\.0\.0\.1\b}, '... with the peer address');
like($line, qr{\b\d+\.\d{3}ms\b}, '... with the latency');
my $n_before = () = $node->log_text =~ /\Q$marker\E/g;
$node->get("$C/$marker") for 1 .. 3;
my $n_after = 0;
for (1 .. 40) {
    $n_after = () = $node->log_text =~ /\Q$marker\E/g;
    last if $n_after >= $n_before + 3;
    sleep 0.05;
}
is($n_after - $n_before, 3, 'one access log line per request');
($st) = $node->get("$C/account/whoami?access_token=$u->{access_token}");
is($st, 200, 'a request with ?access_token= (for the log check)');
sleep 0.2;
unlike($node->log_text, qr/\Q$u->{access_token}\E/, 'access tokens never reach the log');

is($node->stop, 0, 'syncrod exits 0');
done_testing;
