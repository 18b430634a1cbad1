#!/usr/bin/perl
# 50-syncroctl.t -- the admin CLI: help and usage errors, migrate, user and
# regtoken verbs against a running node, and `init` of a fresh node with an
# embedded PostgreSQL that syncrod starts and stops.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use File::Path qw(rmtree);
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(time sleep);
use SyncroTest;

my $CTL = SyncroTest::builddir() . '/src/syncroctl';
my $SYNCROD = SyncroTest::builddir() . '/src/syncrod';
my $C = '/_matrix/client/v3';
my ($st, $b);

# run(timeout, argv...) -> (exit code, stdout, stderr); 124 on timeout.
sub run {
    my ($timeout, @cmd) = @_;
    my $tmp = tempdir('syncroctl-run-XXXXXX', DIR => '/tmp', CLEANUP => 1);
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$tmp/out";
        open STDERR, '>', "$tmp/err";
        exec { $cmd[0] } @cmd or POSIX::_exit(127);
    }
    my $deadline = time + $timeout;
    my $r;
    while (($r = waitpid $pid, WNOHANG) == 0 && time < $deadline) { sleep 0.02 }
    my $code;
    if ($r == $pid) {
        $code = $? & 127 ? 128 + ($? & 127) : $? >> 8;
    } else {
        kill 'KILL', $pid;
        waitpid $pid, 0;
        diag("timed out after ${timeout}s: @cmd");
        $code = 124;
    }
    my ($out, $err) = map { SyncroTest::file_text("$tmp/$_") } qw(out err);
    rmtree($tmp);
    return ($code, $out, $err);
}

sub write_file {
    my ($path, $text) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh;
}

sub login_status {
    my ($node, $user, $pw) = @_;
    my ($st, $b) = $node->post("$C/login", { type => 'm.login.password',
        identifier => { type => 'm.id.user', user => $user }, password => $pw });
    return wantarray ? ($st, $b) : $st;
}

# --- help and usage -------------------------------------------------------------
my ($code, $out, $err) = run(10, $CTL, '--help');
is($code, 0, '--help exits 0');
like($out, qr/\Ausage: syncroctl/, '--help prints usage on stdout');
like($out, qr/\buser add\b/, '... listing the verbs');
like($out, qr/\bregtoken delete\b/, '... all of them');

for my $verb (['migrate'], ['init'], ['user', 'add'], ['user', 'reset-password'], ['regtoken', 'add']) {
    ($code, $out, $err) = run(10, $CTL, '--config', '/nonexistent/syncro.yaml', @$verb, '--help');
    is($code, 0, "@$verb --help exits 0 (no config needed)");
    like($out, qr/\Ausage: syncroctl .*\Q@$verb\E/, "@$verb --help prints its usage");
}
($code, $out, $err) = run(10, $CTL, 'frobnicate');
is($code, 2, 'unknown verb exits 2');
like($err, qr/usage: syncroctl/, '... with usage on stderr');
($code, $out, $err) = run(10, $CTL, 'user', 'frobnicate');
is($code, 2, 'unknown sub-verb exits 2');
($code) = run(10, $CTL);
is($code, 2, 'no verb exits 2');
($code) = run(10, $CTL, '--bogus-option', 'migrate');
is($code, 2, 'unknown global option exits 2');
($code, $out, $err) = run(10, $CTL, '--config', '/nonexistent/syncro.yaml', 'migrate');
is($code, 1, 'missing config file exits 1');
like($err, qr/\S/, '... with a message');

# --- migrate --------------------------------------------------------------------
my $node = SyncroTest::Node->new(start => 0);
($code, $out) = $node->syncroctl('migrate');
is($code, 0, 'migrate on an empty database exits 0');
my ($n1) = $out =~ /(\d+) migrations? applied/;
ok(defined $n1 && $n1 > 0, "first migrate applies some migrations (" . ($n1 // "none") . ")");
($code, $out) = $node->syncroctl('migrate');
is($code, 0, 'second migrate exits 0');
like($out, qr/\b0 migrations applied\b/, 'second migrate applies 0');
$node->start;

# --- users ----------------------------------------------------------------------
my $dir = $node->dir;
write_file("$dir/pw1", "first-password\n");
write_file("$dir/pw2", "second-password\n");
($code, $out) = $node->syncroctl('user', 'add', 'carol', '--password-file', "$dir/pw1");
is($code, 0, 'user add exits 0') or diag $out;
my $carol_id = '@carol:' . $node->server_name;
like($out, qr/\Q$carol_id\E/, 'user add prints the user ID');
($st, $b) = login_status($node, 'carol', 'first-password');
is($st, 200, 'user added by syncroctl logs in over HTTP (password file newline stripped)') or diag explain $b;
is($b->{user_id}, $carol_id, '... as the right user');
my $carol_tok = $b->{access_token};
($st, $b) = $node->get("$C/profile/$carol_id/displayname");
is($b->{displayname}, 'carol', 'displayname defaults to the localpart');

($code, $out) = $node->syncroctl('user', 'add', 'dave', '--admin', '--displayname', 'Dave Admin',
    '--password-file', "$dir/pw1");
is($code, 0, 'user add --admin exits 0') or diag $out;
like($out, qr/admin/, '... says admin');
($st, $b) = $node->get("$C/profile/\@dave:" . $node->server_name . '/displayname');
is($b->{displayname}, 'Dave Admin', '--displayname is stored');

($code, $out) = $node->syncroctl('user', 'add', 'carol', '--password-file', "$dir/pw2");
is($code, 1, 'adding an existing user exits 1');
like($out, qr/taken|in use|exists/i, '... saying why');
is(login_status($node, 'carol', 'second-password'), 403, "... and did not change carol's password");
($code, $out) = $node->syncroctl('user', 'add', 'Bad Name!', '--password-file', "$dir/pw1");
is($code, 1, 'invalid user name exits 1');
($code, $out) = $node->syncroctl('user', 'add', 'erin', '--password-file', "$dir/missing");
is($code, 1, 'unreadable password file exits 1');
($code, $out) = $node->syncroctl('user', 'add', '--password-file', "$dir/pw1");
is($code, 2, 'user add without a name exits 2');
($code, $out) = $node->syncroctl('user', 'add', 'frank');
is($code, 1, 'user add with no password source and no terminal exits 1');
like($out, qr/password-file/, '... pointing at --password-file');

my $u = $node->register_user('reggie', 'rpw');
($code, $out) = $node->syncroctl('user', 'list');
is($code, 0, 'user list exits 0');
my %list = map { /^(\S+)(.*)$/ ? ($1 => $2) : () } split /\n/, $out;
ok(exists $list{$carol_id}, 'user list shows carol');
ok(exists $list{$u->{user_id}}, 'user list shows a user registered over HTTP');
like($list{'@dave:' . $node->server_name} // '', qr/\badmin\b/, 'dave is listed as admin');
unlike($list{$carol_id} // 'admin', qr/\badmin\b/, 'carol is not admin');
ok(!exists $list{'@erin:' . $node->server_name}, 'failed adds left no account');

# reset-password: new password works, old does not, tokens die.
my $carol2 = $node->login('carol', 'first-password');
($code, $out) = $node->syncroctl('user', 'reset-password', 'carol', '--password-file', "$dir/pw2");
is($code, 0, 'reset-password exits 0') or diag $out;
for my $t ($carol_tok, $carol2->{access_token}) {
    ($st, $b) = $node->get("$C/account/whoami", token => $t);
    is($st, 401, 'reset-password killed a token');
    is($b->{errcode}, 'M_UNKNOWN_TOKEN', '... M_UNKNOWN_TOKEN');
}
is(login_status($node, 'carol', 'first-password'), 403, 'old password refused');
is(login_status($node, 'carol', 'second-password'), 200, 'new password accepted');
my $c3 = $node->login('carol', 'second-password');
($code, $out) = $node->syncroctl('user', 'reset-password', $carol_id, '--keep-devices', '--password-file', "$dir/pw1");
is($code, 0, 'reset-password --keep-devices with a full user ID exits 0') or diag $out;
($st) = $node->get("$C/account/whoami", token => $c3->{access_token});
is($st, 200, '--keep-devices keeps tokens');
is(login_status($node, 'carol', 'first-password'), 200, '... and changed the password');
($code, $out) = $node->syncroctl('user', 'reset-password', 'nobody', '--password-file', "$dir/pw1");
is($code, 1, 'reset-password of an unknown user exits 1') or diag $out;

# deactivate
my $r2 = $node->login('reggie', 'rpw');
# Both tokens were just used, so syncrod has cached them: syncroctl's change must still reach
# the running node (NOTIFY syncro_auth) and end them within a moment.
for my $t ($u->{access_token}, $r2->{access_token}) {
    ($st) = $node->get("$C/account/whoami", token => $t);
    is($st, 200, 'token in use before deactivation');
}
($code, $out) = $node->syncroctl('user', 'deactivate', 'reggie');
is($code, 0, 'user deactivate exits 0') or diag $out;
for my $t ($u->{access_token}, $r2->{access_token}) {
    my $until = time + 2;
    do { ($st, $b) = $node->get("$C/account/whoami", token => $t) } while $st == 200 && time < $until;
    is($st, 401, 'deactivate killed a token (within 2 s on the running node)');
    is($b->{errcode}, 'M_UNKNOWN_TOKEN', '... M_UNKNOWN_TOKEN');
}
is(login_status($node, 'reggie', 'rpw'), 403, 'deactivated user cannot log in');
($code, $out) = $node->syncroctl('user', 'list');
like($out, qr/^\Q$u->{user_id}\E.*\bdeactivated\b/m, 'user list marks reggie deactivated');
($code, $out) = $node->syncroctl('user', 'deactivate');
is($code, 2, 'deactivate without a user exits 2');
($code, $out) = $node->syncroctl('user', 'deactivate', 'nobody');
is($code, 1, 'deactivating an unknown user exits 1') or diag $out;

# --- registration tokens --------------------------------------------------------
($code, $out) = $node->syncroctl('regtoken', 'add', 'tok-one', '--uses', '3');
is($code, 0, 'regtoken add NAME exits 0') or diag $out;
is($out, "tok-one\n", '... prints the token');
($code, $out) = $node->syncroctl('regtoken', 'add');
is($code, 0, 'regtoken add (random) exits 0');
my ($random) = $out =~ /\A([A-Za-z0-9]{8,})\n\z/;
ok($random, "random token printed");
($code, $out) = $node->syncroctl('regtoken', 'add', 'tok-one');
is($code, 1, 'adding a duplicate token exits 1') or diag $out;
($code, $out) = $node->syncroctl('regtoken', 'list');
is($code, 0, 'regtoken list exits 0');
like($out, qr{^tok-one uses=0/3\b}m, 'list shows tok-one with 0 of 3 uses');
like($out, qr{^\Q$random\E uses=0/unlimited\b}m, 'list shows the random token, unlimited') if $random;
($code, $out) = $node->syncroctl('regtoken', 'delete', 'tok-one');
is($code, 0, 'regtoken delete exits 0') or diag $out;
($code, $out) = $node->syncroctl('regtoken', 'list');
unlike($out, qr/^tok-one\b/m, 'tok-one no longer listed');
like($out, qr/^\Q$random\E\b/m, 'the other token still is') if $random;
($code, $out) = $node->syncroctl('regtoken', 'delete', 'tok-one');
is($code, 1, 'deleting an unknown token exits 1') or diag $out;

is($node->stop, 0, 'syncrod exits 0');

# --- init: a fresh node with an embedded PostgreSQL -----------------------------
SKIP: {
    skip 'no PostgreSQL found for the embedded cluster', 20
        unless SyncroTest::Pg::find_bindir() && -d '/usr/lib/postgresql';
    my $idir = tempdir('syncro-init-XXXXXX', DIR => '/tmp', CLEANUP => 0);
    chmod 0755, $idir;
    my $keep = 0;
    my $port = SyncroTest::Node::free_port();
    my $cfg = "$idir/syncro.yaml";
    ($code, $out, $err) = run(90, $CTL, '--config', $cfg, 'init', '--port', $port);
    is($code, 0, 'init exits 0') or diag "$out\n$err";
    ok(-f $cfg, 'init wrote the config');
    my $ctext = SyncroTest::file_text($cfg);
    like($ctext, qr/^server_name: "?localhost:$port"?$/m, 'server_name defaults to localhost:PORT');
    like($ctext, qr/^\s+port: $port$/m, 'listener on --port');
    ok(-f "$idir/signing.key", 'signing key written');
    is((stat "$idir/signing.key")[2] & 07777, 0600, 'signing key is mode 0600');
    ok(-f "$idir/pg/PG_VERSION", 'embedded cluster created in var dir pg/');
    ok(!-e "$idir/pg/postmaster.pid", 'init stopped the embedded database again');

    ($code, $out, $err) = run(30, $CTL, '--config', $cfg, 'init', '--port', $port);
    is($code, 1, 'init over an existing config exits 1');

    # Start syncrod on the generated config.
    my $log = "$idir/syncrod.log";
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log;
        open STDERR, '>&', \*STDOUT;
        exec { $SYNCROD } $SYNCROD, '--config', $cfg or POSIX::_exit(127);
    }
    my $url = "http://127.0.0.1:$port";
    my $http = HTTP::Tiny->new(timeout => 5);
    my $res;
    my $deadline = time + 60;
    while (time < $deadline) {
        $res = $http->get("$url/_matrix/client/versions");
        last if $res->{status} == 200;
        last if waitpid($pid, WNOHANG) == $pid;
        sleep 0.2;
    }
    is($res->{status}, 200, 'syncrod on the init config answers /versions') or diag SyncroTest::file_text($log);
    ok(-e "$idir/pg/postmaster.pid", 'syncrod started the embedded database');

    # An offline verb while the node runs uses the running cluster and leaves it up.
    write_file("$idir/pw", "init-password-1\n");
    ($code, $out, $err) = run(60, $CTL, '--config', $cfg, 'user', 'add', 'ivy', '--password-file', "$idir/pw");
    is($code, 0, 'user add against the running embedded cluster') or diag "$out\n$err";
    $res = $http->post("$url$C/login", { headers => { 'Content-Type' => 'application/json' },
        content => $SyncroTest::JSON->encode({ type => 'm.login.password',
            identifier => { type => 'm.id.user', user => 'ivy' }, password => 'init-password-1' }) });
    is($res->{status}, 200, 'ivy logs in; syncroctl left the database running') or diag $res->{content};
    my $login = eval { $SyncroTest::JSON->decode($res->{content}) } || {};
    is($login->{user_id}, "\@ivy:localhost:$port", '... with the default server name');

    kill 'TERM', $pid;
    my $r;
    $deadline = time + 45;
    while (($r = waitpid $pid, WNOHANG) == 0 && time < $deadline) { sleep 0.05 }
    if ($r != $pid) {
        kill 'KILL', $pid;
        waitpid $pid, 0;
        fail('syncrod exited after SIGTERM');
    } else {
        is($?, 0, 'syncrod exits 0 on SIGTERM') or diag SyncroTest::file_text($log);
    }
    ok(!-e "$idir/pg/postmaster.pid", 'embedded PostgreSQL stopped (no postmaster.pid)');
    my @left;
    for my $p (glob '/proc/[0-9]*') {
        my $cmd = SyncroTest::file_text("$p/cmdline");
        push @left, $p if index($cmd, "$idir/pg") >= 0;
    }
    is(scalar @left, 0, 'no process left using the embedded data dir') or diag "@left";
    ($res) = $http->get("$url/_matrix/client/versions");
    is($res->{status}, 599, 'nothing listens after stop');

    if (!Test::More->builder->is_passing) {
        diag "keeping $idir";
        # Do not leave a cluster running behind a failed test.
        if (-e "$idir/pg/postmaster.pid") {
            system('runuser', '-u', 'postgres', '--', SyncroTest::Pg::find_bindir() . '/pg_ctl',
                '-D', "$idir/pg", '-m', 'immediate', 'stop');
        }
    } else {
        rmtree($idir) unless SyncroTest::keep_dirs();
    }
}

done_testing;
