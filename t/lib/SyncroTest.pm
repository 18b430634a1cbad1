package SyncroTest;

# t/lib/SyncroTest.pm -- test harness for Syncro: throwaway PostgreSQL
# clusters and syncrod nodes, and HTTP helpers that speak JSON.
#
#   use Test::More;
#   use SyncroTest;
#
#   my $pg   = SyncroTest::Pg->new;                # skip_all if no initdb
#   my $node = SyncroTest::Node->new(pg => $pg,    # starts syncrod
#                                    config => { registration => { enabled => SyncroTest::false } });
#   my ($status, $body) = $node->get('/_matrix/client/versions');
#   my $u = $node->register_user('alice', 'secret');   # {user_id, access_token, device_id}
#   ($status, $body) = $node->get('/_matrix/client/v3/account/whoami', token => $u->{access_token});
#   is($node->stop, 0, 'clean exit');
#   done_testing;
#
# Core Perl modules only.  The C programs come from $ENV{SYNCRO_BUILDDIR}
# (set by `make check`; defaults to the checkout this file lives in).
#
# When a test fails (or dies), the cluster directory and the node directory
# (config, syncrod.log) are kept and their paths printed; otherwise they are
# removed.  SYNCRO_TEST_KEEP=1 keeps them always.  Environment knobs:
#   SYNCRO_TEST_LOG_LEVEL       log_level written into node configs (info)
#   SYNCRO_TEST_START_TIMEOUT   seconds to wait for READY=1 (20)
#   SYNCRO_TEST_TMPDIR          parent of temp dirs (/tmp)
#   PG_BINDIR                   where initdb/pg_ctl live (pg_config --bindir)

use strict;
use warnings;

use Carp qw(croak);
use Cwd qw(abs_path);
use Fcntl qw(:flock);
use File::Basename qw(dirname);
use File::Path qw(rmtree);
use File::Spec;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Scalar::Util qw(blessed weaken);
use Socket qw(SOCK_DGRAM);
use Test::More ();
use Time::HiRes qw(time sleep);

our $VERSION = '0.1';

our $JSON = JSON::PP->new->utf8->canonical->allow_nonref;

sub true  { JSON::PP::true }
sub false { JSON::PP::false }

sub srcdir {
    return $ENV{SYNCRO_SRCDIR} if $ENV{SYNCRO_SRCDIR};
    return abs_path(File::Spec->catdir(dirname(__FILE__), '..', '..'));
}

sub builddir { return $ENV{SYNCRO_BUILDDIR} || srcdir() }

sub tmp_parent { return $ENV{SYNCRO_TEST_TMPDIR} || '/tmp' }

# Live objects, weakly held, so END can stop what tests did not; and every
# temp dir made, removed or kept at END (when the test's outcome is known: a
# die at file level frees lexicals before END runs).
our (@live_nodes, @live_pgs, @temp_dirs);
# The process that owns the nodes and clusters: a test's forked child must not stop them.
our $owner_pid = $$;

# A test script killed by Ctrl-C or `make` should still stop its children.
my %signo = (HUP => 1, INT => 2, TERM => 15);
for my $sig (sort keys %signo) {
    next if defined $SIG{$sig} && $SIG{$sig} ne '' && $SIG{$sig} ne 'DEFAULT';
    $SIG{$sig} = sub { Test::More::diag("caught SIG$sig, cleaning up"); exit 128 + $signo{$sig} };
}

# Did the test fail?  $exit is the status END sees.
sub test_failed {
    my ($exit) = @_;
    return 1 if $exit;
    return !Test::More->builder->is_passing;
}

sub keep_dirs { return $ENV{SYNCRO_TEST_KEEP} }

# register_dir(DIR, WHAT, LOG): remove DIR at END unless the test failed.
sub register_dir {
    my ($dir, $what, $log) = @_;
    push @temp_dirs, { dir => $dir, what => $what, log => $log };
}

END {
    return if $$ != $owner_pid;
    my $exit = $?;
    local $?;    # system() and waitpid below must not change the test's exit status
    $_->_shutdown for grep { defined } @live_nodes;
    $_->_shutdown for grep { defined } @live_pgs;
    my $failed = test_failed($exit);
    for my $d (@temp_dirs) {
        next unless -d $d->{dir};
        if ($failed) {
            Test::More::diag("keeping $d->{what} $d->{dir}" . ($d->{log} ? " (log: $d->{log})" : ''));
            if ($d->{what} =~ /node/ && $d->{log}) {
                my $tail = tail_text($d->{log}, 30);
                Test::More::diag("syncrod log tail:\n$tail") if length $tail;
            }
        } elsif (!keep_dirs()) {
            rmtree($d->{dir});
        }
    }
    @live_nodes = @live_pgs = @temp_dirs = ();
}

# Run a command with stdout+stderr appended to $log, in directory $dir (the
# postgres user must be able to chdir there: initdb fails in an unreadable
# cwd).  Returns the wait status.
sub run_logged {
    my (%a) = @_;
    my $pid = fork;
    croak "fork: $!" unless defined $pid;
    if ($pid == 0) {
        eval {
            chdir $a{dir} or die "chdir $a{dir}: $!\n" if $a{dir};
            open STDIN, '<', '/dev/null';
            open STDOUT, '>>', $a{log} or die "open $a{log}: $!\n";
            open STDERR, '>&', \*STDOUT;
            exec { $a{cmd}[0] } @{ $a{cmd} } or die "exec $a{cmd}[0]: $!\n";
        };
        print STDERR $@;
        POSIX::_exit(127);
    }
    waitpid $pid, 0;
    return $?;
}

sub file_text {
    my ($path) = @_;
    open my $fh, '<', $path or return '';
    local $/;
    my $t = <$fh>;
    return defined $t ? $t : '';
}

sub tail_text {
    my ($path, $lines) = @_;
    my @l = split /\n/, file_text($path);
    splice @l, 0, @l - $lines if @l > $lines;
    return join "\n", @l;
}

sub describe_status {
    my ($st) = @_;
    return 'exit ' . ($st >> 8) unless $st & 127;
    return 'killed by signal ' . ($st & 127);
}

# --- YAML ------------------------------------------------------------------

# Deep merge: hashes merge by key, anything else replaces; an undef value in
# $over deletes the key.
sub merge {
    my ($base, $over) = @_;
    my %out = %$base;
    for my $k (keys %$over) {
        my $v = $over->{$k};
        if (!defined $v) {
            delete $out{$k};
        } elsif (ref $v eq 'HASH' && ref $out{$k} eq 'HASH') {
            $out{$k} = merge($out{$k}, $v);
        } else {
            $out{$k} = $v;
        }
    }
    return \%out;
}

sub _yaml_scalar {
    my ($v) = @_;
    return 'null' unless defined $v;
    if (blessed $v && $v->isa('JSON::PP::Boolean')) {
        return $v ? 'true' : 'false';
    }
    return $v if $v =~ /\A-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?\z/;
    return $v if $v =~ /\A[A-Za-z_][A-Za-z0-9_.\/-]*\z/
        && $v !~ /\A(?:true|false|yes|no|on|off|null|y|n|~)\z/i;
    # Double-quoted: escapes as in JSON, which YAML accepts.
    my $s = $v;
    $s =~ s/(["\\])/\\$1/g;
    $s =~ s/\n/\\n/g;
    $s =~ s/\t/\\t/g;
    $s =~ s/([\x00-\x1f\x7f])/sprintf '\\x%02x', ord $1/ge;
    return qq("$s");
}

# Emit a block-style YAML document.  Hash keys are sorted, except that the
# order of %SyncroTest::Node::KEY_ORDER comes first at top level.
sub to_yaml {
    my ($data, $indent, $order) = @_;
    $indent //= 0;
    my $pad = ' ' x $indent;
    my $out = '';
    if (ref $data eq 'HASH') {
        my %rank;
        @rank{ @{ $order || [] } } = (0 .. $#{ $order || [] });
        my @keys = sort {
            ($rank{$a} // 1e9) <=> ($rank{$b} // 1e9) or $a cmp $b
        } keys %$data;
        for my $k (@keys) {
            my $v = $data->{$k};
            if (ref $v eq 'HASH' && %$v) {
                $out .= "$pad$k:\n" . to_yaml($v, $indent + 2);
            } elsif (ref $v eq 'ARRAY' && @$v) {
                $out .= "$pad$k:\n" . to_yaml($v, $indent + 2);
            } elsif (ref $v eq 'HASH') {
                $out .= "$pad$k: {}\n";
            } elsif (ref $v eq 'ARRAY') {
                $out .= "$pad$k: []\n";
            } else {
                $out .= "$pad$k: " . _yaml_scalar($v) . "\n";
            }
        }
    } elsif (ref $data eq 'ARRAY') {
        for my $v (@$data) {
            if ((ref $v eq 'HASH' || ref $v eq 'ARRAY') && (ref $v eq 'HASH' ? %$v : @$v)) {
                # "- " then the first line of the nested block on the same line
                my $inner = to_yaml($v, $indent + 2);
                $inner =~ s/\A {$indent}  /$pad- /;
                $out .= $inner;
            } elsif (ref $v eq 'HASH') {
                $out .= "$pad- {}\n";
            } elsif (ref $v eq 'ARRAY') {
                $out .= "$pad- []\n";
            } else {
                $out .= "$pad- " . _yaml_scalar($v) . "\n";
            }
        }
    } else {
        $out .= $pad . _yaml_scalar($data) . "\n";
    }
    return $out;
}

# ===========================================================================
package SyncroTest::Pg;

# A throwaway PostgreSQL cluster on a unix socket in a temp dir, like
# PostgreSQL::Test::Cluster.  Database "syncro", superuser "syncro", trust
# auth, no TCP listener, fsync off (tests only).
#
#   my $pg = SyncroTest::Pg->new;   # plan skip_all if initdb is missing
#   $pg->dsn;        # "host=DIR dbname=syncro user=syncro"
#   $pg->dir;        # the temp dir (socket dir; data in DIR/data)
#   $pg->bindir;     # PostgreSQL programs
#   $pg->psql($sql); # (wait status, output) of psql -Atq -c SQL
#   $pg->log_text;   # the server log
#   $pg->stop;       # pg_ctl -m immediate stop (also on destruction)

use strict;
use warnings;
use Carp qw(croak);
use File::Path qw(rmtree);
use File::Temp qw(tempdir);
use Scalar::Util qw(weaken);

sub find_bindir {
    my @cand;
    push @cand, $ENV{PG_BINDIR} if $ENV{PG_BINDIR};
    my $pgc = `pg_config --bindir 2>/dev/null`;
    if (defined $pgc) { chomp $pgc; push @cand, $pgc if $pgc ne '' }
    # Highest installed Debian version first.
    push @cand, map { $_->[1] }
        sort { $b->[0] <=> $a->[0] }
        map { m{/postgresql/(\d+)/bin\z} ? [$1, $_] : () } glob '/usr/lib/postgresql/*/bin';
    push @cand, split /:/, ($ENV{PATH} || '');
    for my $d (@cand) {
        return $d if -x "$d/initdb" && -x "$d/pg_ctl";
    }
    return undef;
}

sub new {
    my ($class, %opt) = @_;
    my $bindir = find_bindir();
    if (!$bindir) {
        Test::More::plan(skip_all => 'PostgreSQL initdb not found (set PG_BINDIR or run contrib/install-deps.sh)');
    }
    my $self = bless { bindir => $bindir, running => 0 }, $class;

    $self->{as_postgres} = ($> == 0);
    if ($self->{as_postgres}) {
        my @pw = getpwnam('postgres');
        croak 'running as root but there is no postgres user to run PostgreSQL as' unless @pw;
        @$self{qw(uid gid)} = @pw[2, 3];
    }

    $self->{dir} = tempdir('syncro-pg-XXXXXX', DIR => SyncroTest::tmp_parent(), CLEANUP => 0);
    if ($self->{as_postgres}) {
        chown $self->{uid}, $self->{gid}, $self->{dir} or croak "chown $self->{dir}: $!";
    }
    $self->{data} = "$self->{dir}/data";
    $self->{log}  = "$self->{dir}/postgres.log";
    $self->{cmdlog} = "$self->{dir}/commands.log";
    push @SyncroTest::live_pgs, $self;
    weaken $SyncroTest::live_pgs[-1];
    SyncroTest::register_dir($self->{dir}, 'PostgreSQL cluster dir', $self->{log});

    $self->_run_pg('initdb', '-D', $self->{data}, '-U', 'syncro', '--auth=trust',
        '-E', 'UTF8', '--locale=C', '--no-sync');
    $self->start;
    $self->_run_pg('createdb', '-h', $self->{dir}, '-U', 'syncro', 'syncro');
    return $self;
}

sub dir    { $_[0]{dir} }
sub bindir { $_[0]{bindir} }
sub dsn    { "host=$_[0]{dir} dbname=syncro user=syncro" }
sub log_text { SyncroTest::file_text($_[0]{log}) }

sub _cmd {
    my ($self, $prog, @args) = @_;
    my @cmd = ("$self->{bindir}/$prog", @args);
    unshift @cmd, 'runuser', '-u', 'postgres', '--' if $self->{as_postgres};
    return \@cmd;
}

sub _run_pg {
    my ($self, $prog, @args) = @_;
    my $cmd = $self->_cmd($prog, @args);
    # The log is opened by us (root) before runuser, so its owner does not matter.
    open my $fh, '>>', $self->{cmdlog};
    print $fh "# @$cmd\n" if $fh;
    close $fh if $fh;
    my $st = SyncroTest::run_logged(cmd => $cmd, dir => $self->{dir}, log => $self->{cmdlog});
    if ($st != 0) {
        croak "$prog failed (" . SyncroTest::describe_status($st) . "):\n"
            . SyncroTest::tail_text($self->{cmdlog}, 30) . "\n"
            . "server log tail:\n" . SyncroTest::tail_text($self->{log}, 20) . "\n";
    }
    return $st;
}

sub start {
    my ($self) = @_;
    return if $self->{running};
    $self->_run_pg('pg_ctl', '-w', '-t', '60', '-D', $self->{data}, '-l', $self->{log},
        '-o', "-k $self->{dir} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
            . " -c full_page_writes=off -c max_connections=200",
        'start');
    $self->{running} = 1;
    return;
}

sub stop {
    my ($self, $mode) = @_;
    return unless $self->{running};
    $self->{running} = 0;
    my $cmd = $self->_cmd('pg_ctl', '-w', '-D', $self->{data}, '-m', $mode || 'immediate', 'stop');
    SyncroTest::run_logged(cmd => $cmd, dir => $self->{dir}, log => $self->{cmdlog});
    return;
}

# (wait status, output) of `psql -Atq -c SQL` against the syncro database.
sub psql {
    my ($self, $sql) = @_;
    my $out = "$self->{dir}/psql.out";
    unlink $out;
    my $st = SyncroTest::run_logged(
        cmd => ["$self->{bindir}/psql", '-X', '-Atq', '-v', 'ON_ERROR_STOP=1',
            '-h', $self->{dir}, '-U', 'syncro', '-d', 'syncro', '-c', $sql],
        log => $out);
    my $text = SyncroTest::file_text($out);
    unlink $out;
    chomp $text;
    return ($st, $text);
}

sub _shutdown { $_[0]->stop }

sub DESTROY {
    my ($self) = @_;
    return if ${^GLOBAL_PHASE} eq 'DESTRUCT' || $$ != $SyncroTest::owner_pid;
    local ($?, $!, $@);
    $self->_shutdown;
}

# ===========================================================================
package SyncroTest::Node;

# A syncrod process with its own config, signing key and log.
#
#   my $node = SyncroTest::Node->new(
#       pg     => $pg,                 # optional; a private cluster otherwise
#       config => { ... },             # deep-merged over the default config
#       start  => 0,                   # optional: write config + key, do not start
#   );
#   $node->url          "http://127.0.0.1:PORT"
#   $node->server_name  "127.0.0.1:PORT"
#   $node->port, ->dir, ->config_path, ->log_path, ->pid, ->config (merged hash)
#   $node->start        start syncrod, wait for READY=1 (dies with the log tail)
#   $node->stop         SIGTERM, wait; returns the exit code (128+N if killed by
#                       signal N); fails a test if a sanitizer reported anything
#   $node->restart      stop (must exit 0) + start on the same port
#   $node->log_text     everything syncrod wrote to stderr/stdout so far
#   $node->syncroctl(@args)  (exit code, output) of src/syncroctl --config FILE @args
#
# HTTP (path relative to url, or a full URL); options: token => ACCESS_TOKEN,
# headers => {...}.  Each returns (status, decoded JSON or undef); the
# complete HTTP::Tiny response is in $node->last_response.  Status 599 means
# no HTTP answer (connection refused, timeout).
#   $node->get($path, %opt)
#   $node->post($path, $body, %opt)     $body: Perl data, sent as JSON
#   $node->put($path, $body, %opt)
#   $node->delete($path, %opt)          (or delete($path, $body, %opt))
#   $node->raw($method, $path, $bytes, \%headers)   body sent as is
#
# Accounts:
#   $node->register_user($name, $password, %extra)  -> {user_id, access_token,
#       device_id}: POST /register, expect 401 with a session offering
#       m.login.dummy, then complete it.  Dies on anything unexpected.
#   $node->login($name, $password, %extra) -> {user_id, access_token, device_id}

use strict;
use warnings;
use Carp qw(croak);
use File::Path qw(rmtree);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX qw(:sys_wait_h);
use Scalar::Util qw(weaken);
use Socket qw(SOCK_DGRAM);
use Time::HiRes qw(time sleep);

our @KEY_ORDER = qw(server_name public_baseurl signing_key_path listeners database
    worker_threads log_level registration rate_limits limits password);

sub default_config {
    my ($port, $dir, $dsn) = @_;
    my $T = SyncroTest::true;
    my $F = SyncroTest::false;
    return {
        server_name      => "127.0.0.1:$port",
        public_baseurl   => "http://127.0.0.1:$port/",
        signing_key_path => "$dir/signing.key",
        listeners        => [{
            address   => '127.0.0.1',
            port      => $port,
            resources => [qw(client federation media admin health)],
        }],
        database       => { dsn => $dsn },
        worker_threads => 2,
        log_level      => $ENV{SYNCRO_TEST_LOG_LEVEL} || 'info',
        registration   => { enabled => $T, requires_token => $F, guest_access => $T },
        rate_limits    => {
            enabled  => $F,
            login    => { per_second => 0.17, burst => 3 },
            register => { per_second => 0.17, burst => 3 },
        },
        limits   => { max_request_body => 131072 },
        password => { log_n => 4, min_length => 1 },
    };
}

sub free_port {
    my $s = IO::Socket::INET->new(
        LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or croak "could not get a free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

sub new {
    my ($class, %opt) = @_;
    my $self = bless {
        overrides => $opt{config} || {},
        builddir  => SyncroTest::builddir(),
    }, $class;
    $self->{pg} = $opt{pg} || SyncroTest::Pg->new;
    for my $prog (qw(syncrod syncroctl)) {
        my $p = "$self->{builddir}/src/$prog";
        croak "$p is not built (SYNCRO_BUILDDIR=$self->{builddir})" unless -x $p;
        $self->{$prog} = $p;
    }
    $self->{dir} = tempdir('syncro-node-XXXXXX', DIR => SyncroTest::tmp_parent(), CLEANUP => 0);
    $self->{config_path} = "$self->{dir}/syncro.yaml";
    $self->{log_path}    = "$self->{dir}/syncrod.log";
    $self->{ctl_log}     = "$self->{dir}/syncroctl.log";
    push @SyncroTest::live_nodes, $self;
    weaken $SyncroTest::live_nodes[-1];
    SyncroTest::register_dir($self->{dir}, 'node dir', $self->{log_path});

    $self->_configure($opt{port} || free_port());
    my ($code, $out) = $self->syncroctl('keygen');
    croak "syncroctl keygen failed (exit $code):\n$out" if $code != 0;
    $self->start unless defined $opt{start} && !$opt{start};
    return $self;
}

sub _configure {
    my ($self, $port) = @_;
    $self->{port} = $port;
    $self->{config} = SyncroTest::merge(
        default_config($port, $self->{dir}, $self->{pg}->dsn), $self->{overrides});
    open my $fh, '>', $self->{config_path} or croak "write $self->{config_path}: $!";
    print $fh "# written by t/lib/SyncroTest.pm\n";
    print $fh SyncroTest::to_yaml($self->{config}, 0, \@KEY_ORDER);
    close $fh or croak "write $self->{config_path}: $!";
}

sub url         { "http://127.0.0.1:$_[0]{port}" }
sub server_name { "127.0.0.1:$_[0]{port}" }
sub port        { $_[0]{port} }
sub dir         { $_[0]{dir} }
sub pg          { $_[0]{pg} }
sub pid         { $_[0]{pid} }
sub config      { $_[0]{config} }
sub config_path { $_[0]{config_path} }
sub log_path    { $_[0]{log_path} }
sub log_text    { SyncroTest::file_text($_[0]{log_path}) }
sub last_response { $_[0]{last_response} }

sub syncroctl {
    my ($self, @args) = @_;
    my $out = "$self->{dir}/syncroctl.out";
    unlink $out;
    my $st = SyncroTest::run_logged(
        cmd => [$self->{syncroctl}, '--config', $self->{config_path}, @args], log => $out);
    my $text = SyncroTest::file_text($out);
    unlink $out;
    if (open my $fh, '>>', $self->{ctl_log}) {
        print $fh "# syncroctl @args -> " . SyncroTest::describe_status($st) . "\n$text";
    }
    my $code = $st & 127 ? 128 + ($st & 127) : $st >> 8;
    return ($code, $text);
}

sub start_timeout { $ENV{SYNCRO_TEST_START_TIMEOUT} || 20 }

sub start {
    my ($self) = @_;
    croak 'syncrod already running' if $self->{pid};
    my $attempts = $self->{port_fixed} ? 1 : 3;
    for my $attempt (1 .. $attempts) {
        my $err = $self->_start_once;
        return unless defined $err;
        # A free port picked by free_port() can be taken before syncrod binds it.
        if ($attempt < $attempts && $err =~ /address already in use|EADDRINUSE/i) {
            Test::More::note("port $self->{port} was taken; retrying with another");
            $self->_configure(free_port());
            next;
        }
        croak $err;
    }
}

# undef on success, else an error message with the log tail.
sub _start_once {
    my ($self) = @_;
    my $sock_path = "$self->{dir}/notify.sock";
    unlink $sock_path;
    my $sock = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $sock_path)
        or croak "notify socket $sock_path: $!";

    if (open my $fh, '>>', $self->{log_path}) {
        printf $fh "# ---- %s: starting syncrod on port %d ----\n", scalar localtime, $self->{port};
        close $fh;
    }
    my $log_offset = -s $self->{log_path} || 0;
    my $pid = fork;
    croak "fork: $!" unless defined $pid;
    if ($pid == 0) {
        eval {
            $ENV{NOTIFY_SOCKET} = $sock_path;
            open STDIN, '<', '/dev/null';
            open STDOUT, '>>', $self->{log_path} or die "open $self->{log_path}: $!\n";
            open STDERR, '>&', \*STDOUT;
            exec { $self->{syncrod} } $self->{syncrod}, '--config', $self->{config_path}
                or die "exec $self->{syncrod}: $!\n";
        };
        print STDERR $@;
        POSIX::_exit(127);
    }
    $self->{pid} = $pid;

    my $deadline = time + start_timeout();
    my $sel = IO::Select->new($sock);
    my $ready = 0;
    while (!$ready && time < $deadline) {
        if ($sel->can_read(0.1)) {
            my $msg = '';
            $sock->recv($msg, 4096);
            $ready = 1 if $msg =~ /^READY=1$/m;
            next;
        }
        my $r = waitpid $pid, WNOHANG;
        if ($r == $pid) {
            my $st = $?;
            CORE::delete $self->{pid};
            close $sock;
            unlink $sock_path;
            return "syncrod exited during start-up (" . SyncroTest::describe_status($st) . ")\n"
                . $self->_log_tail_since($log_offset);
        }
    }
    close $sock;
    unlink $sock_path;
    if (!$ready) {
        kill 'KILL', $pid;
        waitpid $pid, 0;
        CORE::delete $self->{pid};
        return sprintf("syncrod did not send READY=1 on NOTIFY_SOCKET within %ds\n", start_timeout())
            . $self->_log_tail_since($log_offset);
    }
    $self->{port_fixed} = 1;    # restarts must keep the server name
    return undef;
}

sub _log_tail_since {
    my ($self, $offset) = @_;
    my $t = SyncroTest::file_text($self->{log_path});
    $t = substr($t, $offset) if $offset && length $t >= $offset;
    my @l = split /\n/, $t;
    splice @l, 0, @l - 40 if @l > 40;
    return "---- syncrod log ($self->{log_path}) ----\n" . join("\n", @l) . "\n----\n";
}

sub stop {
    my ($self, %opt) = @_;
    my $pid = $self->{pid} or return $self->{exit_code};
    kill $opt{signal} || 'TERM', $pid;
    my $deadline = time + ($opt{timeout} || 30);
    my $r = 0;
    while (($r = waitpid $pid, WNOHANG) == 0 && time < $deadline) {
        sleep 0.05;
    }
    my $st;
    if ($r == $pid) {
        $st = $?;
    } else {
        Test::More::diag("syncrod (pid $pid) did not exit within "
            . ($opt{timeout} || 30) . "s of SIGTERM; killing it");
        kill 'KILL', $pid;
        waitpid $pid, 0;
        $st = $?;
    }
    CORE::delete $self->{pid};
    my $code = $st & 127 ? 128 + ($st & 127) : $st >> 8;
    $self->{exit_code} = $code;
    $self->_check_sanitizers;
    return $code;
}

# A sanitizer report in the log fails the test, whatever the test checked.
sub _check_sanitizers {
    my ($self) = @_;
    my $log = $self->log_text;
    my $from = $self->{san_checked} || 0;
    $self->{san_checked} = length $log;
    my $new = substr($log, $from);
    if ($new =~ /(^.*(?:ERROR: (?:AddressSanitizer|LeakSanitizer)|runtime error:).*$)/m) {
        my $first = $1;
        Test::More::fail("syncrod log has a sanitizer report");
        Test::More::diag($first);
        Test::More::diag("full log: $self->{log_path}");
    }
}

sub restart {
    my ($self) = @_;
    my $code = $self->stop;
    croak "syncrod exited with status $code on SIGTERM" if defined $code && $code != 0;
    $self->start;
}

sub _shutdown {
    my ($self) = @_;
    $self->stop if $self->{pid};
}

sub DESTROY {
    my ($self) = @_;
    return if ${^GLOBAL_PHASE} eq 'DESTRUCT' || $$ != $SyncroTest::owner_pid;
    local ($?, $!, $@);
    $self->_shutdown;
}

# --- HTTP ------------------------------------------------------------------

sub _http { $_[0]{http} ||= HTTP::Tiny->new(timeout => 60, agent => 'SyncroTest/0.1', keep_alive => 0) }

sub _abs_url {
    my ($self, $path) = @_;
    return $path if $path =~ m{\Ahttps?://};
    $path = "/$path" unless $path =~ m{\A/};
    return $self->url . $path;
}

sub raw {
    my ($self, $method, $path, $body, $headers) = @_;
    my %h = %{ $headers || {} };
    my $res = $self->_http->request($method, $self->_abs_url($path),
        { headers => \%h, (defined $body ? (content => $body) : ()) });
    $self->{last_response} = $res;
    my $json;
    if (defined $res->{content} && length $res->{content}
        && ($res->{headers}{'content-type'} || '') =~ m{json}i) {
        $json = eval { $SyncroTest::JSON->decode($res->{content}) };
    }
    return ($res->{status}, $json, $res);
}

sub _req {
    my ($self, $method, $path, $has_body, $body, %opt) = @_;
    my %h = %{ $opt{headers} || {} };
    $h{Authorization} = "Bearer $opt{token}" if defined $opt{token};
    my $bytes;
    if ($has_body) {
        $bytes = $SyncroTest::JSON->encode($body);
        $h{'Content-Type'} //= 'application/json';
    }
    my ($st, $json) = $self->raw($method, $path, $bytes, \%h);
    return ($st, $json);
}

sub get    { my ($s, $p, %o) = @_; $s->_req('GET', $p, 0, undef, %o) }
sub post   { my ($s, $p, $b, %o) = @_; $s->_req('POST', $p, 1, $b, %o) }
sub put    { my ($s, $p, $b, %o) = @_; $s->_req('PUT', $p, 1, $b, %o) }

sub delete {
    my ($s, $p, @rest) = @_;
    # delete($path, %opt) or delete($path, $body, %opt)
    return $s->_req('DELETE', $p, 1, shift(@rest), @rest) if @rest % 2;
    return $s->_req('DELETE', $p, 0, undef, @rest);
}

sub _explain {
    my ($what, $st, $json) = @_;
    my $res = defined $json ? $SyncroTest::JSON->encode($json) : '(no JSON body)';
    return "$what: HTTP $st $res";
}

sub register_user {
    my ($self, $name, $password, %extra) = @_;
    $password //= "pw-$name";
    my %req = (username => $name, password => $password, %extra);
    my ($st, $r) = $self->post('/_matrix/client/v3/register', \%req);
    croak _explain("register $name: expected 401 with a UIA session", $st, $r)
        unless $st == 401 && ref $r eq 'HASH' && defined $r->{session};
    my @flows = map { $_->{stages} || [] } @{ $r->{flows} || [] };
    croak _explain("register $name: no m.login.dummy flow offered", $st, $r)
        unless grep { @$_ == 1 && $_->[0] eq 'm.login.dummy' } @flows;
    $req{auth} = { type => 'm.login.dummy', session => $r->{session} };
    ($st, $r) = $self->post('/_matrix/client/v3/register', \%req);
    croak _explain("register $name: completing m.login.dummy", $st, $r)
        unless $st == 200 && ref $r eq 'HASH' && $r->{user_id};
    return { map { $_ => $r->{$_} } grep { exists $r->{$_} } qw(user_id access_token device_id) };
}

sub login {
    my ($self, $name, $password, %extra) = @_;
    my ($st, $r) = $self->post('/_matrix/client/v3/login', {
        type       => 'm.login.password',
        identifier => { type => 'm.id.user', user => $name },
        password   => $password,
        %extra,
    });
    croak _explain("login $name", $st, $r) unless $st == 200 && ref $r eq 'HASH';
    return { map { $_ => $r->{$_} } qw(user_id access_token device_id) };
}

package SyncroTest;

1;
