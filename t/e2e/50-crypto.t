#!/usr/bin/perl
# 50-crypto.t -- end-to-end encryption through an unmodified matrix-js-sdk
# and its Rust crypto (matrix-sdk-crypto-wasm): runs crypto.mjs against a
# fresh node, turns its "ok N - name" lines into Test::More results, then
# checks in PostgreSQL that what the server stored for the encrypted events
# is Megolm ciphertext and that the plaintext is nowhere in the database
# (pg_dump) or the node log -- with a positive control: an unencrypted
# message's text is found by the same search.
#
# Skips when Node.js >= 20 or npm is missing, or when crypto.mjs reports
# (line "SKIP reason") that the crypto WASM cannot run here.
#
# %TODO maps a step name (as crypto.mjs prints it) to the reason it is known
# to fail; such a step is re-emitted under Test::More's $TODO.
use strict;
use warnings;
use IO::Handle;
use IPC::Open3 qw(open3);
use JSON::PP;
use Test::More;
use Time::HiRes qw(time);
use SyncroTest;
use SyncroTest::E2E;

# Steps known to fail, by name, with the reason; re-emitted under $TODO.
my %TODO = ();

my $e2e = SyncroTest::E2E::prepare();

my $node = SyncroTest::Node->new;
note 'node at ' . $node->url . ' (log: ' . $node->log_path . ')';

my $timeout = 150;
my $t0 = time;
my ($in, $out);
my $pid = open3($in, $out, undef, 'node', "$e2e/crypto.mjs", $node->url, $node->server_name);
close $in;

my ($seen, $failed, $todo_failed) = (0, 0, 0);
my (%todo_seen, @secret, @control, $skip);
eval {
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm $timeout;
    while (my $line = <$out>) {
        chomp $line;
        if ($line =~ /^SKIP (.*)$/ && !$seen) {
            $skip = $1;
        } elsif ($line =~ /^DB-CHECK (\S+) (.+)$/) {
            push @secret, [$1, $2];
        } elsif ($line =~ /^DB-CONTROL (\S+) (.+)$/) {
            push @control, [$1, $2];
        } elsif ($line =~ /^(not )?ok \d+ - (.*?)(?: # (.*))?$/) {
            my ($bad, $name, $why) = ($1, $2, $3);
            $seen++;
            $failed++ if $bad;
            if (exists $TODO{$name}) {
                $todo_seen{$name} = 1;
                $todo_failed++ if $bad;
                local $TODO = $TODO{$name};
                ok(!$bad, "js-sdk: $name") or diag($why // 'no reason given');
            } else {
                ok(!$bad, "js-sdk: $name") or diag($why // 'no reason given');
            }
        } else {
            note $line;
        }
    }
    alarm 0;
    1;
} or do {
    kill 'TERM', $pid;
    fail("crypto.mjs finished within ${timeout}s");
};
waitpid $pid, 0;
my $st = $?;
if (defined $skip) {
    $node->stop;
    plan skip_all => $skip;
}
note sprintf('crypto.mjs ran %.1fs', time - $t0);
my $want_exit = $failed && $failed == $todo_failed ? 1 : 0;
is($st >> 8, $want_exit, "crypto.mjs exited $want_exit ($failed failed, $todo_failed of them TODO)");
ok($seen >= 27, "crypto.mjs ran all its steps ($seen seen)");
for my $name (sort keys %TODO) {
    note "TODO step not seen (renamed?): $name" unless $todo_seen{$name};
}

# --- what the server stored ----------------------------------------------------

my $pg = $node->pg;
sub q_str { my ($s) = @_; $s =~ s/'/''/g; return "'$s'" }

# (client_json, pdu_json) of an event, decoded; undef when not stored.
sub stored_event {
    my ($event_id) = @_;
    my ($s1, $client) = $pg->psql('SELECT client_json FROM events WHERE event_id = ' . q_str($event_id));
    my ($s2, $pdu) = $pg->psql('SELECT pdu_json FROM events WHERE event_id = ' . q_str($event_id));
    return unless $s1 == 0 && $s2 == 0 && length $client && length $pdu;
    my ($c, $p) = eval { (JSON::PP->new->decode($client), JSON::PP->new->decode($pdu)) };
    return unless $c && $p;
    return { client => $c, pdu => $p, client_text => $client, pdu_text => $pdu };
}

# The whole database as SQL text (data only).
my $dump = '';
{
    my @cmd = ($pg->bindir . '/pg_dump', '-h', $pg->dir, '-U', 'syncro', '--data-only', 'syncro');
    # pg_dump warns about circular foreign keys on stderr: not ours to see.
    open my $olderr, '>&', \*STDERR or die "dup STDERR: $!";
    open STDERR, '>', '/dev/null' or die "STDERR to /dev/null: $!";
    if (open my $fh, '-|', @cmd) {
        local $/;
        $dump = <$fh> // '';
        close $fh;
    }
    open STDERR, '>&', $olderr or die "restore STDERR: $!";
    ok(length $dump > 1000, 'pg_dump of the syncro database (' . length($dump) . ' bytes)');
}
my $log = $node->log_text;

# Needles: the text as sent, and its ASCII part alone (in case the store
# escapes non-ASCII characters).
sub needles {
    my ($text) = @_;
    (my $ascii = $text) =~ s/[^\x20-\x7e]//g;
    $ascii =~ s/^\s+|\s+$//g;
    return $ascii eq $text ? ($text) : grep { length } ($text, $ascii);
}

ok(@secret >= 3, 'crypto.mjs named its encrypted events (' . scalar(@secret) . ')');
for my $s (@secret) {
    my ($id, $text) = @$s;
    my $ev = stored_event($id);
    ok($ev, "$id is stored") or next;
    my $c = $ev->{client}{content} || {};
    is($ev->{client}{type}, 'm.room.encrypted', "$id: stored type m.room.encrypted");
    is($ev->{pdu}{type}, 'm.room.encrypted', "$id: PDU type m.room.encrypted");
    is($c->{algorithm}, 'm.megolm.v1.aes-sha2', "$id: content.algorithm m.megolm.v1.aes-sha2");
    ok(defined $c->{ciphertext} && !ref $c->{ciphertext} && $c->{ciphertext} =~ m{\A[A-Za-z0-9+/]{32,}\z},
        "$id: content.ciphertext is unpadded base64")
        or diag('content: ' . JSON::PP->new->canonical->encode($c));
    ok(defined $c->{session_id} && length $c->{session_id}, "$id: content.session_id");
    my @keys = sort keys %$c;
    ok(!grep({ !/\A(?:algorithm|ciphertext|session_id|sender_key|device_id|m\.relates_to)\z/ } @keys),
        "$id: no other content keys (" . join(',', @keys) . ')');
    for my $needle (needles($text)) {
        ok(index($ev->{client_text}, $needle) < 0 && index($ev->{pdu_text}, $needle) < 0,
            "$id: the plaintext ('$needle') is not in the stored event");
        ok(index($dump, $needle) < 0, "the plaintext ('$needle') is nowhere in the database");
        ok(index($log, $needle) < 0, "the plaintext ('$needle') is not in the node log");
    }
}

ok(@control >= 1, 'crypto.mjs named its plaintext control event');
for my $s (@control) {
    my ($id, $text) = @$s;
    my $ev = stored_event($id);
    ok($ev && ($ev->{client}{content}{body} // '') eq $text,
        "control $id: stored as plaintext m.room.message");
    ok(index($dump, $_) >= 0, "control: '$_' is found in the database dump") for needles($text);
}

is($node->stop, 0, 'syncrod exits 0 on SIGTERM');
done_testing;
