#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# STARTTLS fixup against real software: postfix 3.7 with STARTTLS in the
# server namespace; swaks, openssl s_client, python smtplib and a raw
# socket client in the client namespace; the helper in the gateway.
#
#  - starttls allow (the default): TLS starts, the client sees the real
#    keyword, the helper hands the session off once;
#  - starttls strip: the client sees 250-XXXXXXXA and never STARTTLS, mail
#    goes in plaintext, a STARTTLS sent anyway reaches postfix as X's
#    (500), counters and monitor events say so;
#  - a rewritten EHLO reply lost after the gateway is retransmitted by the
#    server and masked again (IPv4, IPv4 with SNAT, IPv6);
#  - STARTTLS with a command pipelined in the same segment resets both ends
#    (IPv4, IPv6, IPv4 with SNAT);
#  - all of it with the end hosts' tx checksum offload off, so the gateway
#    rewrites fully checksummed segments (CHECKSUM_NONE, not _PARTIAL).

source "$(dirname "$0")/lib.sh"
source "$HERE/postfix.sh"
source "$HERE/fixup_lib.sh"

TMP=$(mktemp -d)
chmod 755 "$TMP"
PF=$TMP/pf
trap fixup_cleanup EXIT

ktap_print_header
if [ ! -x "$NFSMTP" ]; then
	ktap_set_plan 1
	ktap_test_skip "nfsmtp is built ($NFSMTP missing: make userspace)"
	exit $ksft_skip
fi
ktap_set_plan 36

if ! load_module || ! topo_setup || ! gw_nft_helper; then
	ktap_test_fail "module, client-gw-server topology and nft helper come up"
	ktap_finished
fi
if ! postfix_start "$server" "$PF"; then
	ktap_test_fail "postfix starts in the server namespace"
	ktap_finished
fi
ktap_test_pass "topology, helper and postfix with STARTTLS up"
log "[${SECONDS}s] setup done"
NMAIL=0

$PY "$HERE/msgtool.py" gen "$TMP" m1:3000:1:8bit m2:20000:2:8bit:long m3:8000:3 \
	m4:6000:4:8bit m5:30000:5:8bit:long m6:9000:6:long m7:40000:7:8bit:long \
	m8:15000:8:8bit

# ---- 1. starttls allow ----------------------------------------------------------------
log "[${SECONDS}s] starttls allow"

gw_stats_reset
swaks_in "$client" $S4 "$TMP/sw1" --tls --no-data-fixup --data @"$TMP/m1.swaks"
rc=$?
NMAIL=$((NMAIL + 1))
check "starttls allow: swaks --tls exits 0 and reports TLS started (ipv4)" \
	eval '[ $rc -eq 0 ] && grep -q "^=== TLS started with cipher" "$TMP/sw1"'
check "starttls allow: the client sees the real 250-STARTTLS in the EHLO reply (swaks transcript)" \
	eval 'grep -q "^<-  250-STARTTLS$" "$TMP/sw1" && ! grep -q XXXXXXXA "$TMP/sw1"'
check "starttls allow: the message is delivered over TLS, byte-identical" eval '
	delivered_as "$PF" $NMAIL "$TMP/m1" &&
	grep -q "Anonymous TLS connection established from unknown\[$C4\]" "$PF/maillog"'
gw_stats "$TMP/st1"
check "starttls allow: counters: tls_handoff exactly 1, starttls_allowed 1, nothing stripped" \
	counters_are "$TMP/st1" sessions=1 tls_handoff=1 starttls_seen=1 starttls_allowed=1 \
	starttls_stripped=0 ehlo_keywords_masked=0 resets=0

# openssl s_client over IPv6: TLS 1.3 through the gateway, then SMTP inside
printf 'EHLO client.example.com\r\nQUIT\r\n' |
	ip netns exec "$client" timeout 60 openssl s_client -starttls smtp \
	-connect "[$S6]:25" -ign_eof >"$TMP/ossl" 2>&1
check "starttls allow: openssl s_client -starttls smtp negotiates TLS and talks SMTP inside it (ipv6)" eval '
	grep -q "^    Protocol  : TLSv1" "$TMP/ossl" && grep -q "^250 CHUNKING" "$TMP/ossl" &&
	grep -q "^221 2.0.0 Bye" "$TMP/ossl"'
gw_stats "$TMP/st1b"
check "starttls allow: the second session handed off too (tls_handoff 2)" \
	counters_are "$TMP/st1b" sessions=2 tls_handoff=2 starttls_stripped=0

# ---- 2. starttls strip ---------------------------------------------------------------------
log "[${SECONDS}s] starttls strip"

gw_policy starttls strip
gw_stats_reset
monitor_start "$TMP/mon" || log "monitor did not subscribe"
mark=$(maillog_mark "$PF")
swaks_in "$client" $S4 "$TMP/sw2" --tls-optional --no-data-fixup --data @"$TMP/m2.swaks"
rc=$?
NMAIL=$((NMAIL + 1))
check "starttls strip: the client sees 250-XXXXXXXA and never STARTTLS (swaks transcript)" eval '
	grep -q "^<-  250-XXXXXXXA$" "$TMP/sw2" && ! grep -q "^<-.*STARTTLS" "$TMP/sw2" &&
	grep -q "^\*\*\* Host did not advertise STARTTLS" "$TMP/sw2"'
check "starttls strip: swaks --tls-optional delivers in plaintext, byte-identical" eval '
	[ $rc -eq 0 ] && ! grep -q "TLS started" "$TMP/sw2" && delivered_as "$PF" $NMAIL "$TMP/m2" &&
	! maillog_has "$PF" "$mark" "TLS connection established"'

raw_in "$client" $S4 "$TMP/raw2" reply 'send:EHLO client.example.com\r\n' reply \
	'send:STARTTLS\r\n' reply 'send:QUIT\r\n' reply
rc=$?
check "starttls strip: STARTTLS sent anyway (raw client) is answered 500/502 by postfix, session goes on (ipv4)" eval '
	[ $rc -eq 0 ] && grep -q "^S: 250-XXXXXXXA$" "$TMP/raw2" &&
	grep -A1 "^C: STARTTLS" "$TMP/raw2" | grep -q "^S: 50[02] " && grep -q "^S: 221 " "$TMP/raw2" &&
	maillog_wait "$PF" "$mark" "disconnect from unknown\[$C4\] ehlo=1 quit=1 unknown=0/1 commands=2/3"'
raw_in "$client" $S6 "$TMP/raw2v6" reply 'send:EHLO client.example.com\r\n' reply \
	'send:STARTTLS\r\n' reply 'send:QUIT\r\n' reply
rc=$?
check "starttls strip: the same over ipv6: XXXXXXXA, and postfix answers the masked command 500/502" eval '
	[ $rc -eq 0 ] && grep -q "^S: 250-XXXXXXXA$" "$TMP/raw2v6" && ! grep -q "^S: .*STARTTLS" "$TMP/raw2v6" &&
	grep -A1 "^C: STARTTLS" "$TMP/raw2v6" | grep -q "^S: 50[02] "'

monitor_stop
rc=$?
gw_stats "$TMP/st2"
check "starttls strip: nfsmtp stats -j: starttls_stripped 5 (3 keywords, 2 commands), nothing handed to TLS" \
	counters_are "$TMP/st2" sessions=3 starttls_stripped=5 ehlo_keywords_masked=3 starttls_seen=2 \
	starttls_allowed=0 tls_handoff=0 resets=0
# one event per keyword (dir server) and per command (dir client)
check "starttls strip: nfsmtp monitor -j (SIGINT, exit $rc): rule starttls action mask, 3 keyword and 2 command events" eval '
	[ $rc -eq 0 ] &&
	[ "$(grep -c "\"dir\":\"server\",\"rule\":\"starttls\",\"action\":\"mask\",\"detail\":\"STARTTLS\"" "$TMP/mon")" -eq 3 ] &&
	[ "$(grep -c "\"dir\":\"client\",\"rule\":\"starttls\",\"action\":\"mask\",\"detail\":\"STARTTLS\"" "$TMP/mon")" -eq 2 ] &&
	grep -q "^{\"family\":\"ipv6\",\"src\":\"$C6\",\"sport\":[0-9]*,\"dst\":\"$S6\",\"dport\":25," "$TMP/mon" &&
	[ "$(wc -l <"$TMP/mon")" -eq 5 ]'

# ---- 3. retransmission of a rewritten segment ------------------------------------------------
log "[${SECONDS}s] retransmission of a rewritten segment"

# retrans_case NAME IPT SERVER MSG CLIENT...: strip test with the first
# copy of the rewritten EHLO reply dropped at the client (after the
# gateway rewrote it): only a masked copy is accepted later
retrans_case() {
	local name=$1 ipt=$2 srv=$3 msg=$4 list=seen$KTAP_TESTNO rc drops accepts nstls nxa
	shift 4
	ip netns exec "$client" $ipt -A INPUT -p tcp --sport 25 -m string --string XXXXXXXA \
		--algo bm -m recent --name $list --rcheck -j ACCEPT
	ip netns exec "$client" $ipt -A INPUT -p tcp --sport 25 -m string --string XXXXXXXA \
		--algo bm -m recent --name $list --set -j DROP
	gw_stats_reset
	capture_start "$client" "$TMP/rt.pcap" tcp src port 25
	"$@"
	rc=$?
	capture_stop
	NMAIL=$((NMAIL + 1))
	ip netns exec "$client" $ipt -L INPUT -v -n -x >"$TMP/rt.ipt"
	ip netns exec "$client" $ipt -F INPUT
	drops=$(awk '$3 == "DROP" { print $1 }' "$TMP/rt.ipt")
	accepts=$(awk '$3 == "ACCEPT" { print $1 }' "$TMP/rt.ipt")
	check "retransmission ($name): first rewritten EHLO reply dropped once at the client (DROP $drops), a retransmission accepted (ACCEPT $accepts)" \
		eval '[ "$drops" = 1 ] && [ "${accepts:-0}" -ge 1 ]'
	nstls=$(occurrences STARTTLS "$TMP/rt.pcap")
	nxa=$(occurrences XXXXXXXA "$TMP/rt.pcap")
	check "retransmission ($name): STARTTLS never reached the client ($nstls), XXXXXXXA came twice ($nxa, client capture)" \
		eval '[ "$nstls" -eq 0 ] && [ "$nxa" -ge 2 ]'
	if [ "$nstls" -ne 0 ] || [ "$nxa" -lt 2 ]; then
		ip netns exec "$client" tcpdump -r "$TMP/rt.pcap" -n -A 2>&1 | sed 's/^/# /' | head -150
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

ip netns exec "$gw" nft -f - <<-EOF
table ip smtp_nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "sveth" masquerade
	}
}
EOF
mark=$(maillog_mark "$PF")
retrans_case "ipv4 with SNAT, swaks" iptables $S4 "$TMP/m5" \
	swaks_in "$client" $S4 "$TMP/sw3n" --tls-optional --no-data-fixup --data @"$TMP/m5.swaks"
check "retransmission (ipv4 with SNAT): the server saw the gateway's address $GS4" \
	maillog_has "$PF" "$mark" "connect from unknown\[$GS4\]"

# ---- 4. STARTTLS injection guard ---------------------------------------------------------
log "[${SECONDS}s] STARTTLS injection guard"

gw_policy starttls allow

# inject_case NAME SERVER PEER: STARTTLS and MAIL FROM in one send()
inject_case() {
	local name=$1 srv=$2 peer=$3 rc port
	gw_stats_reset
	mark=$(maillog_mark "$PF")
	capture_start "$server" "$TMP/inj.pcap" tcp port 25
	log "[${SECONDS}s] capture up"
	raw_in "$client" "$srv" "$TMP/inj" reply 'send:EHLO client.example.com\r\n' reply \
		'send:STARTTLS\r\nMAIL FROM:<a@example.com>\r\n' reply
	rc=$?
	log "[${SECONDS}s] raw done"
	maillog_wait "$PF" "$mark" "disconnect from unknown\[$peer\]"
	log "[${SECONDS}s] postfix logged"
	capture_stop
	log "[${SECONDS}s] capture down"
	check "starttls injection ($name): STARTTLS + MAIL FROM in one segment: the client's connection is reset" \
		eval '[ $rc -eq 3 ] && grep -q "^result: reset" "$TMP/inj"'
	ip netns exec "$server" tcpdump -r "$TMP/inj.pcap" -n 2>/dev/null >"$TMP/inj.txt"
	check "starttls injection ($name): the server gets a RST, postfix lost the connection after EHLO, never saw STARTTLS" \
		eval 'grep -q "> .*\.25: Flags \[R" "$TMP/inj.txt" &&
		      maillog_has "$PF" "$mark" "lost connection after EHLO from unknown\[$peer\]" &&
		      maillog_has "$PF" "$mark" "disconnect from unknown\[$peer\] ehlo=1 commands=1\$"'
	gw_stats "$TMP/inj.st"
	port=$(sed -n 's/^local port //p' "$TMP/inj")
	check "starttls injection ($name): counters injection 1, resets 1; the conntrack entry is gone" eval '
		counters_are "$TMP/inj.st" injection=1 resets=1 starttls_seen=1 tls_handoff=0 &&
		[ -n "$port" ] && ! gw_nfsmtp conns | grep -q ":$port > "'
}

inject_case "ipv4 with SNAT" $S4 $GS4
ip netns exec "$gw" nft delete table ip smtp_nat
inject_case ipv4 $S4 $C4
inject_case ipv6 $S6 $C6

# ---- 8. checksums with tx offload off at both ends -----------------------------------------
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
capture_stop
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

log "[${SECONDS}s] done"
ktap_finished
