#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The STARTTLS strip rewrites where packets are not simple: postfix in the
# server namespace, swaks, python smtplib and a raw client in the client
# namespace, the helper in the gateway.
#
#  - a rewritten EHLO reply lost after the gateway (dropped once by the
#    client's own firewall) is retransmitted by the server and must be
#    masked again: IPv4, IPv6, IPv4 with SNAT in the gateway; a masked
#    STARTTLS command lost after the gateway, retransmitted by the client;
#    and a reply whose STARTTLS straddles two segments (small MSS);
#  - a client that resends message text the server acknowledged (the ACKs
#    lost after the gateway), the parser back in commands: the text is
#    rewritten as commands would be, nothing counted;
#  - with the end hosts' tx checksum offload off the gateway rewrites fully
#    checksummed segments (CHECKSUM_NONE, not CHECKSUM_PARTIAL): the TCP
#    checksums must still be right, and the mail intact; the reset action's
#    RSTs must still be taken by both ends.

source "$(dirname "$0")/lib.sh"
source "$HERE/postfix.sh"
source "$HERE/fixup_lib.sh"

fixup_begin 27

$PY "$HERE/msgtool.py" gen "$TMP" m3:8000:3:swaks m4:6000:4:8bit m5:30000:5:8bit:long:swaks \
	m6:9000:6:long:swaks m7:40000:7:8bit:long
gw_policy starttls strip

# ---- retransmission of a rewritten segment ------------------------------------------------
log "[${SECONDS}s] retransmission of a rewritten segment"

# drop_first NS IPT PORTDIR STRING: in NS, drop the first TCP segment of
# port 25 (PORTDIR --sport or --dport) holding STRING, accept every later
# one: the copy the gateway rewrote is lost after it, a retransmission
# must come and be rewritten the same way
drop_first() {
	local ns=$1 ipt=$2 dir=$3 str=$4 list=seen$KTAP_TESTNO
	ip netns exec "$ns" $ipt -A INPUT -p tcp "$dir" 25 -m string --string "$str" \
		--algo bm -m recent --name "$list" --rcheck -j ACCEPT
	ip netns exec "$ns" $ipt -A INPUT -p tcp "$dir" 25 -m string --string "$str" \
		--algo bm -m recent --name "$list" --set -j DROP
}

# drop_first_done NS IPT OUT: the two rules' packet counts into OUT, then
# the rules go; sets drops and accepts
drop_first_done() {
	ip netns exec "$1" $2 -L INPUT -v -n -x >"$3"
	ip netns exec "$1" $2 -F INPUT
	drops=$(awk '$3 == "DROP" { print $1 }' "$3")
	accepts=$(awk '$3 == "ACCEPT" { print $1 }' "$3")
}

# retrans_case NAME IPT SERVER MSG CLIENT...: strip test with the first
# copy of the rewritten EHLO reply dropped at the client (after the
# gateway rewrote it): only a masked copy is accepted later
retrans_case() {
	local name=$1 ipt=$2 srv=$3 msg=$4 rc drops accepts nstls nxa
	shift 4
	drop_first "$client" "$ipt" --sport XXXXXXXA
	gw_stats_reset
	capture_start "$client" "$TMP/rt.pcap" tcp src port 25
	"$@"
	rc=$?
	capture_stop "$TMP/rt.pcap" "221 2.0.0 Bye"
	NMAIL=$((NMAIL + 1))
	drop_first_done "$client" "$ipt" "$TMP/rt.ipt"
	check "retransmission ($name): first rewritten EHLO reply dropped once at the client (DROP $drops), a retransmission accepted (ACCEPT $accepts)" \
		eval '[ "$drops" = 1 ] && [ "${accepts:-0}" -ge 1 ]'
	nstls=$(occurrences STARTTLS "$TMP/rt.pcap")
	nxa=$(occurrences XXXXXXXA "$TMP/rt.pcap")
	check "retransmission ($name): STARTTLS never reached the client ($nstls), XXXXXXXA came twice ($nxa, client capture)" \
		eval '[ "$nstls" -eq 0 ] && [ "$nxa" -ge 2 ]'
	if [ "$nstls" -ne 0 ] || [ "$nxa" -lt 2 ]; then
		ip netns exec "$client" tcpdump -r "$TMP/rt.pcap" -n -A 2>&1 | sed 's/^/# /' | head -60
		cat "$TMP/rt.pcap.err" | sed 's/^/# /'
	fi
	gw_stats "$TMP/rt.st"
	check "retransmission ($name): gateway counted it (retransmissions >= 1), mail in plaintext byte-identical" \
		eval '[ $rc -eq 0 ] && counters_are "$TMP/rt.st" retransmissions=+1 starttls_stripped=1 \
			tls_handoff=0 resets=0 && delivered_as "$PF" $NMAIL "$msg"'
}

retrans_case "ipv4, swaks" iptables $S4 "$TMP/m3" \
	swaks_in "$client" $S4 "$TMP/sw3" --tls-optional --no-data-fixup --data @"$TMP/m3.swaks"
retrans_case "ipv6, smtplib" ip6tables $S6 "$TMP/m4" \
	send_in "$client" $S6 "$TMP/sm3" --msg "$TMP/m4"

gw_snat
mark=$(maillog_mark "$PF")
retrans_case "ipv4 with SNAT, swaks" iptables $S4 "$TMP/m5" \
	swaks_in "$client" $S4 "$TMP/sw3n" --tls-optional --no-data-fixup --data @"$TMP/m5.swaks"
check "retransmission (ipv4 with SNAT): the server saw the gateway's address $GS4" \
	maillog_has "$PF" "$mark" "connect from unknown\[$GS4\]"
gw_snat_del

# the other way: the masked STARTTLS command lost after the gateway (dropped
# once at the server), the client retransmits STARTTLS, the gateway masks it
# again
drop_first "$server" iptables --dport XXXXXXXX
gw_stats_reset
capture_start "$server" "$TMP/rc.pcap" tcp dst port 25
raw_in "$client" $S4 "$TMP/rawrc" reply 'send:EHLO client.example.com\r\n' reply \
	'send:STARTTLS\r\n' reply 'send:QUIT\r\n' reply
rc=$?
capture_stop "$TMP/rc.pcap" QUIT
drop_first_done "$server" iptables "$TMP/rc.ipt"
check "retransmission (client side): the masked STARTTLS dropped once at the server (DROP $drops), its retransmission accepted (ACCEPT $accepts)" \
	eval '[ "$drops" = 1 ] && [ "${accepts:-0}" -ge 1 ]'
nstls=$(occurrences STARTTLS "$TMP/rc.pcap")
nx=$(occurrences XXXXXXXX "$TMP/rc.pcap")
check_show "retransmission (client side): STARTTLS never reached the server ($nstls), XXXXXXXX came twice ($nx), postfix answered 500/502" \
	"$TMP/rawrc" eval '[ $rc -eq 0 ] && [ "$nstls" -eq 0 ] && [ "$nx" -ge 2 ] &&
		grep -A1 "^C: STARTTLS" "$TMP/rawrc" | grep -q "^S: 50[02] "'
gw_stats "$TMP/rc.st"
check "retransmission (client side): gateway counted it, keyword and command stripped once each" \
	counters_are "$TMP/rc.st" retransmissions=+1 starttls_stripped=2 resets=0

# A keyword across a segment boundary: the client advertises MSS 95, so
# postfix's 165-octet EHLO reply leaves in 83-octet segments (TCP timestamps
# take 12) and "STARTTLS" straddles them: "...250-STAR" | "TTLS\r\n250-...".
# The gateway masks what it still can ("TTLS" -> "XXXA"); that segment is
# dropped once at the client, and its retransmission must be masked too.
ip -n "$client" route replace default via $GC4 advmss 95
drop_first "$client" iptables --sport XXXA
gw_stats_reset
capture_start "$client" "$TMP/sp.pcap" tcp src port 25
raw_in "$client" $S4 "$TMP/rawsp" reply 'send:EHLO client.example.com\r\n' reply \
	'send:QUIT\r\n' reply
rc=$?
capture_stop "$TMP/sp.pcap" "221 2.0.0 Bye"
drop_first_done "$client" iptables "$TMP/sp.ipt"
ip -n "$client" route replace default via $GC4
ip netns exec "$client" tcpdump -r "$TMP/sp.pcap" -n 2>/dev/null >"$TMP/sp.txt"
check_show "retransmission (keyword across segments, MSS 95): the segment with the masked part dropped once (DROP $drops), a masked retransmission accepted (ACCEPT $accepts)" \
	"$TMP/sp.txt $TMP/sp.ipt" eval '[ "$drops" = 1 ] && [ "${accepts:-0}" -ge 1 ]'
check_show "retransmission (keyword across segments, MSS 95): the client never sees STARTTLS, both pieces masked (250-XXXXXXXA)" \
	"$TMP/rawsp" eval '[ $rc -eq 0 ] && grep -q "^S: 250 CHUNKING" "$TMP/rawsp" &&
		! grep -q "^S: 250-STARTTLS" "$TMP/rawsp" && grep -q "^S: 250-XXXXXXXA$" "$TMP/rawsp"'

# ---- a spurious retransmission of message text the server acknowledged -------------------
log "[${SECONDS}s] spurious retransmission of acknowledged message text"

# The server's ACKs of a message are lost after the gateway: from the 354
# on, the client's firewall drops the server's pure ACKs and the first two
# copies of "250 2.0.0 Ok: queued", so the client resends its message
# after the gateway saw the server acknowledge all of it, and the parser is
# back in commands.  The resent text reads like commands (p0: VRFY, EXPN,
# STARTTLS...): it is rewritten as commands would be (the ACK might be
# forged), but nothing is counted or logged: postfix drops the copy.
printf '%s\r\n' "From: Alice <alice@example.com>" "To: Bob <bob@example.org>" \
	"Subject: commands in a resent message" "Message-ID: <r0.selftest@example.com>" "" \
	"VRFY bob@example.org" "EXPN staff" "STARTTLS" "HELP" "ETRN example.org" >"$TMP/r0"
gw_policy commands mailguard
list=acks$KTAP_TESTNO
ipt_c() { ip netns exec "$client" iptables "$@"; }
ipt_c -A INPUT -p tcp --sport 25 -m string --string "354 " --algo bm -m recent --name "$list" --set
ipt_c -A INPUT -p tcp --sport 25 -m string --string "Ok: queued" --algo bm \
	-m recent --name "q$list" --rcheck --hitcount 2 -j ACCEPT
ipt_c -A INPUT -p tcp --sport 25 -m string --string "Ok: queued" --algo bm \
	-m recent --name "q$list" --set -j DROP
ipt_c -A INPUT -p tcp --sport 25 --tcp-flags ALL ACK -m length --length 52 \
	-m recent --name "$list" --rcheck -j DROP
gw_stats_reset
capture_start "$server" "$TMP/sa.pcap" tcp dst port 25
send_in "$client" $S4 "$TMP/sa" --helo-fallback --msg "$TMP/r0"
rc=$?
capture_stop "$TMP/sa.pcap" QUIT
NMAIL=$((NMAIL + 1))
ipt_c -L INPUT -v -n -x >"$TMP/sa.ipt"
ipt_c -F INPUT
qdrops=$(awk '$3 == "DROP" && /Ok: queued/ { print $1 }' "$TMP/sa.ipt")
adrops=$(awk '$3 == "DROP" && /length 52/ { print $1 }' "$TMP/sa.ipt")
nresent=$(occurrences "XXXX bob@example.org" "$TMP/sa.pcap")
check_show "spurious retransmission: the server's ACKs dropped at the client ($qdrops replies, $adrops pure ACKs), the message delivered byte-identical" \
	"$TMP/sa $TMP/sa.ipt" eval '[ $rc -eq 0 ] && [ "$qdrops" = 2 ] &&
		mail_wait "$PF" $NMAIL && delivered_is "$PF" r0 "$TMP/r0"'
check "spurious retransmission: the resent message text reached postfix with its VRFY rewritten as a command's ($nresent copies)" \
	eval '[ "$nresent" -ge 1 ]'
gw_stats "$TMP/sa.st"
check "spurious retransmission: counted as acknowledged bytes resent; only the masked EHLO counts as a command (no VRFY, EXPN, STARTTLS or HELP from the text)" \
	counters_are "$TMP/sa.st" retransmissions=+1 retransmissions_acked=+1 commands_masked=1 \
		starttls_stripped=0 resets=0

# ---- checksums with tx offload off at both ends -----------------------------------------
log "[${SECONDS}s] checksums with tx offload off at both ends"

for ns in "$client" "$server"; do
	ip netns exec "$ns" ethtool -K veth0 tx off >/dev/null 2>&1
done
gw_policy starttls strip
gw_stats_reset
csum_before() { ip netns exec "$1" awk '/^Tcp: [0-9]/ { print $NF }' /proc/net/snmp; }
cerr_c=$(csum_before "$client")
cerr_s=$(csum_before "$server")
capture_start "$client" "$TMP/cs.pcap" tcp src port 25
swaks_in "$client" $S4 "$TMP/sw8" --tls-optional --no-data-fixup --data @"$TMP/m6.swaks"
rc4=$?
NMAIL=$((NMAIL + 1))
delivered_as "$PF" $NMAIL "$TMP/m6"
ok4=$?
send_in "$client" $S6 "$TMP/sm8" --msg "$TMP/m7"
rc6=$?
NMAIL=$((NMAIL + 1))
delivered_as "$PF" $NMAIL "$TMP/m7"
ok6=$?
raw_in "$client" $S4 "$TMP/raw8" reply 'send:EHLO client.example.com\r\n' reply \
	'send:STARTTLS\r\n' reply 'send:QUIT\r\n' reply
rcr=$?
capture_stop "$TMP/cs.pcap" "221 2.0.0 Bye" 3
check "tx csum off: strip over ipv4 (swaks): XXXXXXXA, no STARTTLS, mail byte-identical" eval '
	[ $rc4 -eq 0 ] && [ $ok4 -eq 0 ] && grep -q "^<-  250-XXXXXXXA$" "$TMP/sw8" &&
	! grep -q "^<-.*STARTTLS" "$TMP/sw8"'
check "tx csum off: strip over ipv6 (smtplib): mail byte-identical" \
	eval '[ $rc6 -eq 0 ] && [ $ok6 -eq 0 ]'
check "tx csum off: STARTTLS sent anyway reaches postfix masked and is answered 500/502" eval '
	[ $rcr -eq 0 ] && grep -A1 "^C: STARTTLS" "$TMP/raw8" | grep -q "^S: 50[02] "'
ip netns exec "$client" tcpdump -r "$TMP/cs.pcap" -n -vv 2>/dev/null >"$TMP/cs.txt"
ncorrect=$(grep -c "cksum 0x[0-9a-f]* (correct)" "$TMP/cs.txt")
nincorrect=$(grep -c "incorrect" "$TMP/cs.txt")
nxa=$(occurrences XXXXXXXA "$TMP/cs.pcap")
nstls=$(occurrences STARTTLS "$TMP/cs.pcap")
check "tx csum off: all $ncorrect server segments at the client have a correct TCP checksum ($nincorrect bad), rewritten ones ($nxa) too, no STARTTLS ($nstls)" eval '
	[ "$ncorrect" -ge 20 ] && [ "$nincorrect" -eq 0 ] && [ "$nxa" -ge 3 ] && [ "$nstls" -eq 0 ]'
[ "$nincorrect" -eq 0 ] || grep -B1 -A1 incorrect "$TMP/cs.txt" | head -20 | sed 's/^/# /'
check "tx csum off: no TCP checksum error counted in the client or the server (InCsumErrors)" eval '
	[ "$(csum_before "$client")" = "$cerr_c" ] && [ "$(csum_before "$server")" = "$cerr_s" ]'
gw_stats "$TMP/st8"
check "tx csum off: counters: 3 keywords and 1 command stripped, no reset" \
	counters_are "$TMP/st8" sessions=3 starttls_stripped=4 ehlo_keywords_masked=3 resets=0

# the reset action on fully checksummed segments: both RSTs must be valid
gw_policy starttls allow
for peer in $C4 $C6; do
	srv=$S4
	[ "$peer" = "$C6" ] && srv=$S6
	gw_stats_reset
	mark=$(maillog_mark "$PF")
	raw_in "$client" $srv "$TMP/inj8" reply 'send:EHLO client.example.com\r\n' reply \
		'send:STARTTLS\r\nMAIL FROM:<a@example.com>\r\n' reply
	rc=$?
	gw_stats "$TMP/inj8.st"
	check_show "tx csum off: STARTTLS + MAIL FROM in one segment resets both ends ($peer): client reset, postfix lost the connection" \
		"$TMP/inj8 $TMP/inj8.st" eval '[ $rc -eq 3 ] && counters_are "$TMP/inj8.st" injection=1 resets=1 &&
			maillog_wait "$PF" "$mark" "lost connection after EHLO from unknown\[$peer\]"'
done

log "[${SECONDS}s] done"
ktap_finished
