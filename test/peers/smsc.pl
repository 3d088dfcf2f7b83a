#!/usr/bin/perl
# A small SMSC for memberdesk's tests, built on Debian's libnet-smpp-perl (Net::SMPP), i.e. on
# code we did not write. Driven by the test over stdin/stdout, one JSON object per line.
#
#   perl smsc.pl [port]            (port 0 = any free port on 127.0.0.1)
#
# stdout events:  {"ev":"listening","port":N}  {"ev":"bind",...}  {"ev":"submit",...}
#   {"ev":"deliver_sm_resp",...}  {"ev":"enquire_link"}  {"ev":"unbind"}  {"ev":"closed"}
#   {"ev":"ack","id":...} after every command; {"ev":"error","detail":...}
# stdin commands (each may carry "id", echoed in its ack):
#   {"cmd":"config", "throttle":[dest...], "fail":[dest...], "receipts":true|false,
#                    "delayMs":N, "omitNul":true|false, "receiptText":true|false}
#   {"cmd":"mo", "from":..., "to":..., "text":..., "coding":"ucs2"|"gsm", "parts":N,
#                "reverse":bool (last part first), "only":[part numbers to send]}
#   {"cmd":"receipt", "messageId":..., "stat":"DELIVRD"|"UNDELIV", "dest":..., "from":...}
#   {"cmd":"malformed", "kind":"deliver_sm"|"framing"|"receipt"}
#   {"cmd":"enquire"}  {"cmd":"drop"}  {"cmd":"unbind"}  {"cmd":"quit"}
#
# Defaults: submit_sm is answered at once with a fresh message id; registered_delivery asks
# for a receipt (DELIVRD, or UNDELIV for destinations listed in "fail" or starting 1390000);
# destinations listed in "throttle" get ESME_RTHROTTLED.
use strict;
use warnings;
use IO::Select;
use IO::Socket::INET;
use Net::SMPP;
use JSON::PP;
use Encode qw(encode decode);
use Time::HiRes qw(time);
use POSIX qw(strftime);

$| = 1;
my $json = JSON::PP->new->canonical->utf8;
my $port = $ARGV[0] // 0;

my $listener = Net::SMPP->new_listen('127.0.0.1', port => $port, smpp_version => 0x34)
  or die "cannot listen: $!";
emit({ ev => 'listening', port => $listener->sockport });

my %cfg = (throttle => {}, fail => {}, receipts => 1, delayMs => 0, omitNul => 0, receiptText => 1);
my $sel = IO::Select->new($listener, \*STDIN);
my @clients;          # Net::SMPP sockets
my %bound;            # fileno => 1 once bound
my $msgid = 1000;
my $moref = 1;
my @due;              # [time, sub] delayed responses
my %outstanding;      # fileno => submits received, not yet answered
my $maxOutstanding = 0;
my $stdin_buf = '';

sub emit { print $json->encode($_[0]), "\n"; }

sub bound_client {
  for my $c (reverse @clients) { return $c if $bound{ fileno($c) // -1 }; }
  return undef;
}

sub close_client {
  my ($c) = @_;
  $sel->remove($c);
  @clients = grep { $_ != $c } @clients;
  delete $bound{ fileno($c) // -1 };
  delete $outstanding{ fileno($c) // -1 };
  close($c);
  emit({ ev => 'closed' });
}

sub receipt_text {
  my ($id, $stat, $err) = @_;
  my $d = strftime('%y%m%d%H%M', localtime);
  return "id:$id sub:001 dlvrd:" . ($stat eq 'DELIVRD' ? '001' : '000') . " submit date:$d done date:$d stat:$stat err:$err text:";
}

sub send_receipt {
  my ($c, %a) = @_;
  my $stat = $a{stat} // 'DELIVRD';
  my $err = $stat eq 'DELIVRD' ? '000' : '001';
  my %state = (DELIVRD => 2, EXPIRED => 3, DELETED => 4, UNDELIV => 5, ACCEPTD => 6, UNKNOWN => 7, REJECTD => 8);
  my $rid = $a{messageId} . ($cfg{omitNul} ? '' : "\0");
  $c->deliver_sm(
    source_addr => $a{dest} // '',
    destination_addr => $a{from} // '',
    esm_class => 0x04,
    data_coding => 0,
    short_message => ($cfg{receiptText} ? receipt_text($a{messageId}, $stat, $err) : ''),
    receipted_message_id => $rid,
    message_state => pack('C', $state{$stat} // 7),
    async => 1,
  );
}

sub handle_submit {
  my ($c, $pdu) = @_;
  my $fd = fileno($c);
  my $dest = $pdu->{destination_addr} // '';
  my $sm = $pdu->{short_message} // '';
  my $id = sprintf('%x', ++$msgid);
  my $status = 0;
  $status = 0x58 if $cfg{throttle}{$dest};
  emit({
    ev => 'submit', seq => $pdu->{seq}, source => $pdu->{source_addr}, dest => $dest,
    esm_class => $pdu->{esm_class}, data_coding => $pdu->{data_coding},
    registered_delivery => $pdu->{registered_delivery}, sm_hex => unpack('H*', $sm),
    message_id => ($status ? undef : $id), status => $status,
    outstanding => ($outstanding{$fd} // 0) + 1,
  });
  $outstanding{$fd}++;
  $maxOutstanding = $outstanding{$fd} if $outstanding{$fd} > $maxOutstanding;
  my $respond = sub {
    return unless grep { $_ == $c } @clients;
    $outstanding{$fd}--;
    if ($status) {
      $c->submit_sm_resp(seq => $pdu->{seq}, status => $status, message_id => '');
      return;
    }
    $c->submit_sm_resp(seq => $pdu->{seq}, message_id => $id);
    if ($cfg{receipts} && ($pdu->{registered_delivery} & 1)) {
      my $fail = $cfg{fail}{$dest} || $dest =~ /^1390000/;
      send_receipt($c, messageId => $id, stat => ($fail ? 'UNDELIV' : 'DELIVRD'), dest => $dest, from => $pdu->{source_addr});
    }
  };
  if ($cfg{delayMs} > 0) { push @due, [time + $cfg{delayMs} / 1000, $respond]; }
  else { $respond->(); }
}

sub handle_pdu {
  my ($c) = @_;
  my $pdu = $c->read_pdu();
  if (!$pdu) { close_client($c); return; }
  my $cmd = $pdu->{cmd};
  if ($cmd == 0x00000009) {    # bind_transceiver
    $c->bind_transceiver_resp(seq => $pdu->{seq}, system_id => 'perlsmsc');
    $bound{ fileno($c) } = 1;
    emit({ ev => 'bind', system_id => $pdu->{system_id}, password => $pdu->{password} });
  } elsif ($cmd == 0x00000004) {
    handle_submit($c, $pdu);
  } elsif ($cmd == 0x00000015) {
    $c->enquire_link_resp(seq => $pdu->{seq});
    emit({ ev => 'enquire_link' });
  } elsif ($cmd == 0x80000015) {
    emit({ ev => 'enquire_link_resp' });
  } elsif ($cmd == 0x00000006) {
    $c->unbind_resp(seq => $pdu->{seq});
    emit({ ev => 'unbind' });
    close_client($c);
  } elsif ($cmd == 0x80000005) {
    emit({ ev => 'deliver_sm_resp', seq => $pdu->{seq}, status => $pdu->{status} });
  } elsif ($cmd == 0x80000000) {
    emit({ ev => 'generic_nack', seq => $pdu->{seq}, status => $pdu->{status} });
  } elsif ($cmd == 0x80000006) {
    emit({ ev => 'unbind_resp' });
  } else {
    emit({ ev => 'other', cmd => $cmd, seq => $pdu->{seq} });
  }
}

sub send_mo {
  my ($c, $o) = @_;
  my $coding = ($o->{coding} // 'ucs2') eq 'gsm' ? 0 : 8;
  my $text = $o->{text} // '';
  my $bytes = $coding == 8 ? encode('UTF-16BE', $text) : encode('latin1', $text);
  my $parts = $o->{parts} // 1;
  if ($parts <= 1) {
    my $seq = $c->deliver_sm(source_addr => $o->{from}, destination_addr => $o->{to}, esm_class => 0,
      data_coding => $coding, short_message => $bytes, async => 1);
    emit({ ev => 'mo_sent', seqs => [$seq] });
    return;
  }
  # split on character boundaries (2 octets per UCS-2 character)
  my $unit = $coding == 8 ? 2 : 1;
  my $chars = length($bytes) / $unit;
  my $per = int(($chars + $parts - 1) / $parts);
  my $ref = ($moref++) & 0xff;
  my @seqs;
  # send parts last-first when asked, to check reassembly does not depend on order
  my @order = (1 .. $parts);
  @order = reverse @order if $o->{reverse};
  my %only = map { $_ => 1 } @{ $o->{only} // [] };
  for my $i (@order) {
    next if %only && !$only{$i};
    my $chunk = substr($bytes, ($i - 1) * $per * $unit, $per * $unit);
    my $udh = pack('CCCCCC', 5, 0, 3, $ref, $parts, $i);
    push @seqs, $c->deliver_sm(source_addr => $o->{from}, destination_addr => $o->{to}, esm_class => 0x40,
      data_coding => $coding, short_message => $udh . $chunk, async => 1);
  }
  emit({ ev => 'mo_sent', seqs => \@seqs });
}

sub send_malformed {
  my ($c, $kind) = @_;
  if (($kind // '') eq 'framing') {
    # command_length 8: shorter than a header; the stream cannot be trusted after this
    syswrite($c, pack('NNNN', 8, 0x00000005, 0, 77));
  } elsif (($kind // '') eq 'receipt') {
    # a receipt with neither a receipted_message_id nor an id: text
    $c->deliver_sm(source_addr => '1', destination_addr => '2', esm_class => 0x04, data_coding => 0,
      short_message => 'garbage receipt', async => 1);
  } elsif (($kind // '') eq 'unknown_cmd') {
    syswrite($c, pack('NNNN', 16, 0x00000099, 0, 78));
  } else {
    # deliver_sm whose sm_length (200) runs past the end of the PDU
    my $body = pack('Z*CCZ*CCZ*CCCZ*Z*CCCCC', '', 0, 0, '13800000000', 0, 0, '1065702160', 0, 0, 0, '', '', 0, 0, 8, 0, 200) . 'ab';
    syswrite($c, pack('NNNN', 16 + length($body), 0x00000005, 0, 79) . $body);
  }
}

sub handle_command {
  my ($line) = @_;
  my $o = eval { $json->decode($line) };
  if (!$o) { emit({ ev => 'error', detail => "bad command: $line" }); return; }
  my $cmd = $o->{cmd} // '';
  my $c = bound_client();
  if ($cmd eq 'config') {
    for my $k (qw(throttle fail)) {
      $cfg{$k} = { map { $_ => 1 } @{ $o->{$k} } } if exists $o->{$k};
    }
    for my $k (qw(receipts delayMs omitNul receiptText)) {
      $cfg{$k} = ($o->{$k} ? ($k eq 'delayMs' ? $o->{$k} : 1) : 0) if exists $o->{$k};
    }
  } elsif ($cmd eq 'stats') {
    emit({ ev => 'stats', maxOutstanding => $maxOutstanding, clients => scalar(@clients) });
    $maxOutstanding = 0 if $o->{reset};
  } elsif ($cmd eq 'quit') {
    emit({ ev => 'ack', id => $o->{id} });
    exit 0;
  } elsif (!$c) {
    emit({ ev => 'error', detail => "no bound client for $cmd", id => $o->{id} });
  } elsif ($cmd eq 'mo') {
    send_mo($c, $o);
  } elsif ($cmd eq 'receipt') {
    send_receipt($c, %$o);
  } elsif ($cmd eq 'malformed') {
    send_malformed($c, $o->{kind});
  } elsif ($cmd eq 'enquire') {
    $c->enquire_link(async => 1);
  } elsif ($cmd eq 'unbind') {
    $c->unbind(async => 1);
  } elsif ($cmd eq 'drop') {
    close_client($c);
  } else {
    emit({ ev => 'error', detail => "unknown command $cmd", id => $o->{id} });
  }
  emit({ ev => 'ack', id => $o->{id} });
}

while (1) {
  my $timeout = undef;
  if (@due) {
    @due = sort { $a->[0] <=> $b->[0] } @due;
    $timeout = $due[0][0] - time;
    $timeout = 0 if $timeout < 0;
  }
  my @ready = $sel->can_read($timeout);
  for my $fh (@ready) {
    if ($fh == $listener) {
      my $c = $listener->accept() or next;
      push @clients, $c;
      $sel->add($c);
      emit({ ev => 'connect' });
    } elsif ($fh == \*STDIN) {
      my $n = sysread(STDIN, my $chunk, 65536);
      exit 0 if !$n;    # the test went away
      $stdin_buf .= $chunk;
      while ($stdin_buf =~ s/^([^\n]*)\n//) {
        handle_command($1) if length $1;
      }
    } else {
      handle_pdu($fh);
    }
  }
  while (@due && $due[0][0] <= time) {
    my $d = shift @due;
    $d->[1]->();
  }
}
