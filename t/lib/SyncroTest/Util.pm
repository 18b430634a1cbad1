package SyncroTest::Util;
# Small assertions and helpers the API tests share.  Import what you use:
#   use SyncroTest::Util qw(errcode_is enc);
use strict;
use warnings;
use Exporter 'import';
use Test::More ();

our @EXPORT_OK = qw(errcode_is enc);

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

1;
