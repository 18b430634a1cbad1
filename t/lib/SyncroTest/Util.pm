package SyncroTest::Util;
# Small assertions and helpers the API tests share.  Import what you use:
#   use SyncroTest::Util qw(errcode_is enc);
use strict;
use warnings;
use Exporter 'import';
use Test::More ();
use JSON::PP ();
use POSIX ();
use Time::HiRes ();

our @EXPORT_OK = qw(errcode_is enc sync start_sync finish_sync sql sqlq refuse_events allow_events);

# Assert a Matrix error: the HTTP status and the errcode (two test lines).
sub errcode_is {
    my ($st, $b, $want_st, $want_code, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    Test::More::is($st, $want_st, "$name: HTTP $want_st") or Test::More::diag(Test::More::explain($b));
    Test::More::is(ref $b eq 'HASH' ? $b->{errcode} : undef, $want_code,
        "$name: errcode $want_code");
}

# Percent-encode a path segment (user, room and event IDs, aliases).
sub enc {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9._~-])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

# One psql query on the node's database: its output, chomped (dies when psql fails).
sub sql {
    my ($node, $q) = @_;
    my ($rc, $out) = $node->pg->psql($q);
    die "psql failed: $out" if $rc != 0;
    chomp $out;
    return $out;
}

# $s as an SQL string literal.
sub sqlq { my ($s) = @_; $s =~ s/'/''/g; return "'$s'" }

# Make PostgreSQL refuse (raise an error on) every event inserted whose client JSON
# contains $marker, as a failing disk or constraint would; allow_events undoes it.
sub refuse_events {
    my ($node, $marker) = @_;
    sql($node, <<'SQL');
CREATE OR REPLACE FUNCTION test_refuse_marked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF strpos(NEW.client_json, TG_ARGV[0]) > 0 THEN RAISE EXCEPTION 'refused by test'; END IF;
  RETURN NEW;
END $$
SQL
    sql($node, 'CREATE TRIGGER test_refuse_marked BEFORE INSERT ON events FOR EACH ROW '
        . 'EXECUTE FUNCTION test_refuse_marked(' . sqlq($marker) . ')');
}

sub allow_events { sql($_[0], 'DROP TRIGGER test_refuse_marked ON events') }

# GET /sync as user $u (a register_user/login hash): (status, body).
sub sync {
    my ($node, $u, $since, $timeout, $set_presence) = @_;
    my $q = 'timeout=' . ($timeout // 0);
    $q .= "&set_presence=$set_presence" if defined $set_presence;
    $q .= '&since=' . enc($since) if defined $since;
    return $node->get("/_matrix/client/v3/sync?$q", token => $u->{access_token});
}

# A long-poll /sync in a child process, so the test can act meanwhile; finish_sync collects it.
sub start_sync {
    my ($node, $u, $since, $timeout, $set_presence) = @_;
    pipe(my $r, my $w) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        close $r;
        my ($s, $body) = sync($node, $u, $since, $timeout, $set_presence);
        print $w JSON::PP->new->canonical->encode(
            { st => $s, body => $body, t => Time::HiRes::time() });
        close $w;
        POSIX::_exit(0);
    }
    close $w;
    return { pid => $pid, r => $r };
}

# (status, body, time the answer arrived) of a start_sync.
sub finish_sync {
    my ($h) = @_;
    my $fh = $h->{r};
    local $/;
    my $text = <$fh>;
    waitpid($h->{pid}, 0);
    my $res = eval { JSON::PP::decode_json($text) } || { st => 599, body => undef, t => Time::HiRes::time() };
    return ($res->{st}, $res->{body}, $res->{t});
}

1;
