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
#  - STARTTLS with a command pipelined in the same segment resets both ends
#    (IPv4, IPv6, IPv4 with SNAT).
# Retransmissions and checksum modes: smtp_fixup_retrans.sh.

source "$(dirname "$0")/lib.sh"
source "$HERE/postfix.sh"
source "$HERE/fixup_lib.sh"

fixup_begin 22

$PY "$HERE/msgtool.py" gen "$TMP" m1:3000:1:8bit:swaks m2:20000:2:8bit:long:swaks

# ---- starttls allow ----------------------------------------------------------------
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

# ---- starttls strip ---------------------------------------------------------------------
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
# A STARTTLS segment the client resends after the server's 500 passed the
# gateway (its RTO beat the reply on a loaded machine) is masked again and
# counted again: each retransmission the helper saw may add one command.
retrans=$(json_num retransmissions "$TMP/st2")
check "starttls strip: nfsmtp stats -j: starttls_stripped 5 (3 keywords, 2 commands; one more per retransmission: ${retrans:-?}), nothing handed to TLS" eval '
	counters_are "$TMP/st2" sessions=3 starttls_stripped=+5 ehlo_keywords_masked=3 starttls_seen=2 \
		starttls_allowed=0 tls_handoff=0 resets=0 &&
	[ "$(json_num starttls_stripped "$TMP/st2")" -le $((5 + ${retrans:-0})) ]'
# one event per keyword (dir server) and per command (dir client)
cmd_events=$(grep -c "\"dir\":\"client\",\"rule\":\"starttls\",\"action\":\"mask\",\"detail\":\"STARTTLS\"" "$TMP/mon")
check "starttls strip: nfsmtp monitor -j (SIGINT, exit $rc): rule starttls action mask, 3 keyword and 2 command events (one more per retransmission)" eval '
	[ $rc -eq 0 ] &&
	[ "$(grep -c "\"dir\":\"server\",\"rule\":\"starttls\",\"action\":\"mask\",\"detail\":\"STARTTLS\"" "$TMP/mon")" -eq 3 ] &&
	[ "$cmd_events" -ge 2 ] && [ "$cmd_events" -le $((2 + ${retrans:-0})) ] &&
	grep -q "^{\"family\":\"ipv6\",\"src\":\"$C6\",\"sport\":[0-9]*,\"dst\":\"$S6\",\"dport\":25," "$TMP/mon" &&
	[ "$(wc -l <"$TMP/mon")" -eq $((3 + cmd_events)) ]'

# ---- STARTTLS injection guard ---------------------------------------------------------
log "[${SECONDS}s] STARTTLS injection guard"

gw_policy starttls allow

# inject_case NAME SERVER PEER: STARTTLS and MAIL FROM in one send()
inject_case() {
	local name=$1 srv=$2 peer=$3 rc port
	gw_stats_reset
	mark=$(maillog_mark "$PF")
	capture_start "$server" "$TMP/inj.pcap" tcp port 25
	raw_in "$client" "$srv" "$TMP/inj" reply 'send:EHLO client.example.com\r\n' reply \
		'send:STARTTLS\r\nMAIL FROM:<a@example.com>\r\n' reply
	rc=$?
	maillog_wait "$PF" "$mark" "disconnect from unknown\[$peer\]"
	capture_stop "$TMP/inj.pcap"
	check "starttls injection ($name): STARTTLS + MAIL FROM in one segment: the client's connection is reset" \
		eval '[ $rc -eq 3 ] && grep -q "^result: reset" "$TMP/inj"'
	ip netns exec "$server" tcpdump -r "$TMP/inj.pcap" -n 2>/dev/null >"$TMP/inj.txt"
	check "starttls injection ($name): the server gets a RST, postfix lost the connection after EHLO, never saw STARTTLS" \
		eval 'grep -q "> .*\.25: Flags \[R" "$TMP/inj.txt" &&
		      maillog_has "$PF" "$mark" "lost connection after EHLO from unknown\[$peer\]" &&
		      maillog_has "$PF" "$mark" "disconnect from unknown\[$peer\] ehlo=1 commands=1\$"'
	gw_stats "$TMP/inj.st"
	port=$(sed -n 's/^local port //p' "$TMP/inj")
	local src=$C4
	[ "$2" = "$S6" ] && src=$C6
	# the entry stays, dead: a client that ignores its RST starts nothing new
	gw_nfsmtp conns >"$TMP/inj.conns"
	ip netns exec "$gw" "$NFSMTP_TOP/build/ct_helpinfo" get "$src" "$port" "$2" 25 >"$TMP/inj.hi" 2>&1
	check_show "starttls injection ($name): counters injection 1, resets 1; the entry stays, dead" \
		"$TMP/inj.conns $TMP/inj.hi $TMP/inj.st" eval '
		counters_are "$TMP/inj.st" injection=1 resets=1 starttls_seen=1 tls_handoff=0 &&
		[ -n "$port" ] && grep -q ":$port > .* session dead" "$TMP/inj.conns" &&
		grep -q "dropped=1" "$TMP/inj.hi"'
}

gw_snat
inject_case "ipv4 with SNAT" $S4 $GS4
gw_snat_del
inject_case ipv4 $S4 $C4
inject_case ipv6 $S6 $C6

log "[${SECONDS}s] done"
ktap_finished
