#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Evasion at the packet level: a client that crafts its own packets
# (evasion_peer.py over raw sockets) against postfix behind the gateway,
# trying to make the helper stop looking while the server reads on:
#   icmp        an ICMP error quoting the connection, that a helper reading
#               it as TCP takes for a SYN at a far sequence number
#   stray-syn   a SYN inside the established connection
#   isn-wrap    a client ISN of 2^32 - 1: its first data byte is sequence 0
#   syn-data    VRFY on the SYN (TCP Fast Open)
#   urgent      STARTTLSX with X urgent: postfix reads STARTTLS
#   reorder     TTLS\r\n before STAR
#   retrans     NOOP that dies after the gateway (TTL), then VRFY in its place
#   retrans-path RCPT TO an ordinary address that dies after the gateway, then
#               the same line with a pipe in the address (special-char)
#   retrans-relay RCPT TO a listed domain that dies after the gateway, then
#               the same line to another domain (mail-relay: masked, 500)
#   retrans-relay-split RCPT TO another domain (masked) that dies after the
#               gateway, resent in two pieces cut after the verb (reset)
#   retrans-split STARTTLS that dies after the gateway, resent as STAR and
#               TTLS\r\n
#   retrans-eod in DATA, a line that dies after the gateway, then ".\r\n"
#   retrans-eod-lost  in DATA, the end of data dies after the gateway, then
#               other bytes in its place
#   dead        the connection reset by the helper goes on sending
#   flood       300 non-canonical ends of data in one segment
# Each runs under the default policy (postfix answers as it would without
# the gateway: bytes unchanged) and under an enforcing profile (starttls
# strip, commands mailguard, smuggling reset, urgent mask, out-of-order
# drop, lost-sync reset): there a STARTTLS or VRFY never reaches postfix
# unmasked; the counters name what happened; IPv4 and IPv6. Then an
# ordinary session is followed as before.

source "$(dirname "$0")/lib.sh"
source "$HERE/postfix.sh"
source "$HERE/fixup_lib.sh"

ENFORCE=(starttls strip commands mailguard command-action mask smuggling reset
	 urgent mask out-of-order drop lost-sync reset special-char reset
	 mail-relay example.org)
CASES=(icmp stray-syn isn-wrap syn-data urgent reorder retrans retrans-path retrans-relay
       retrans-relay-split retrans-split retrans-eod retrans-eod-lost dead reopen)

fixup_begin $((1 + 2 * 2 * ${#CASES[@]} + 2 + 2))

# the client's kernel knows nothing of the raw connections: no RSTs from it
ip netns exec "$client" nft -f - <<-'EOF'
table inet rawtcp {
	chain out {
		type filter hook output priority 0; policy accept;
		tcp sport 40000-40999 tcp flags rst drop
	}
}
EOF
# a copy sent with TTL 33 reaches the server namespace with 32: it dies there
ip netns exec "$server" nft -f - <<-'EOF'
table inet doomed {
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		ip ttl 32 tcp dport 25 drop
		ip6 hoplimit 32 tcp dport 25 drop
	}
}
EOF
monitor_start "$TMP/events" || log "the event monitor did not subscribe"

SPORT=40000
# peer CASE FAMILY: run a case from the client; its output in $TMP/out
peer() {
	local src dst
	if [ "$2" = ipv6 ]; then src=$C6 dst=$S6; else src=$C4 dst=$S4; fi
	SPORT=$((SPORT + 2))
	ip netns exec "$client" timeout 60 $PY "$HERE/evasion_peer.py" "$1" \
		--src "$src" --server "$dst" --sport "$SPORT" >"$TMP/out" 2>&1
}

probe_is() { grep -qx "probe=$1" "$TMP/out"; }

# expect CASE default|enforce: the probe's answer (under the enforcing
# profile a regex) and the counters that must name the trick (stats -j
# after the case). Without the gateway's rules, postfix answers the probe.
expect() {
	awk -F' *[|] *' -v c="$1" -v col="$2" \
		'$1 == c { print col == "default" ? $2 : $3 }' <<-EOF
	icmp             | 220 related_ignored=+1           | 50[0-2] related_ignored=+1 starttls_stripped=+1
	stray-syn        | 220 stray_syn=+1                 | 50[0-2] stray_syn=+1 starttls_stripped=+1
	isn-wrap         | 220 gaps=0                       | 50[0-2] starttls_stripped=+1 gaps=0
	syn-data         | 252 syn_data=+1                  | 50[0-2] syn_data=+1 commands_masked=+1
	urgent           | 220 urgent=+1                    | 50[0-2] urgent=+1
	reorder          | 220 gaps=+1                      | 50[0-2] out_of_order_dropped=+1 starttls_stripped=+1
	retrans          | 252 retransmissions=+1           | 50[0-2] retransmissions=+1 commands_masked=+1
	retrans-path     | 250 retransmissions=+1 special_characters=0 | reset retransmissions=+1 special_characters=+1 resets=+1
	retrans-relay    | 250 retransmissions=+1 relay_denied=0 | 50[0-2] retransmissions=+1 relay_denied=+1 resets=0
	retrans-relay-split | 250 retransmissions=+2 relay_denied=0 | reset relay_denied=+1 resets=+1
	retrans-split    | 220 retransmissions=+2           | 50[0-2] retransmissions=+2 starttls_stripped=+1
	retrans-eod      | 250 retransmissions=+1           | reset retransmission_mismatch=+1 resets=+1
	retrans-eod-lost | 250 retransmission_mismatch=+1   | reset retransmission_mismatch=+1 resets=+1
	dead             | 252 resets=0                     | reset resets=+1 dead_packets=+1
	reopen           | 220 starttls_allowed=+1          | 50[0-2] starttls_stripped=+1$REOPENED
	EOF
}

# after_reset_absent: nothing the client sent after the reset reached the server
after_reset_absent() {
	capture_settled "$TMP/srv.pcap"
	[ "$(occurrences ZZAFTERZZ "$TMP/srv.pcap")" = 0 ]
}

# lastack_lost PORT: the server's pure ACKs to PORT never leave its
# namespace, its last ACK included: the gateway's entry stays in LAST_ACK
# while the server's socket is in TIME_WAIT and takes a new SYN
lastack_lost() {
	ip netns exec "$server" nft -f - <<-EOF
	table inet lastack {
		chain out {
			type filter hook output priority 0; policy accept;
			tcp sport 25 tcp dport $1 tcp flags == ack drop
		}
	}
	EOF
}

run_case() {	# run_case CASE FAMILY MODE
	local c=$1 fam=$2 mode=$3 want counters ok=0 mails_before ctpid
	gw_stats_reset
	if [ "$mode" = default ]; then
		gw_nfsmtp policy set starttls allow commands all smuggling log urgent log \
			out-of-order pass lost-sync log command-action mask special-char off \
			mail-relay none >/dev/null
		read -r want counters <<<"$(expect "$c" default)"
	else
		gw_nfsmtp policy set "${ENFORCE[@]}" >/dev/null
		[ "$c" = dead ] && gw_nfsmtp policy set command-action reset >/dev/null
		read -r want counters <<<"$(expect "$c" enforce)"
	fi
	[ "$c" = dead ] && capture_start "$server" "$TMP/srv.pcap" tcp port 25
	mails_before=$(mail_count "$PF")
	if [ "$c" = reopen ]; then
		lastack_lost $((SPORT + 2))
		# the gateway's view, printed when the premise fails
		ip netns exec "$gw" conntrack -E -o timestamp -f "$fam" -p tcp \
			--orig-port-src $((SPORT + 2)) >"$TMP/ct.events" 2>&1 &
		ctpid=$!
		sleep 0.3
	fi
	peer "$c" "$fam"
	if [ "$c" = reopen ]; then
		ip netns exec "$server" nft delete table inet lastack
		sleep 0.5
		kill "$ctpid" 2>/dev/null
		wait "$ctpid" 2>/dev/null
	fi
	grep -qE "^probe=($want)\$" "$TMP/out" || { log "$c ($fam, $mode): want probe=$want"; ok=1; }
	gw_stats "$TMP/stats"
	# shellcheck disable=SC2086 # a list of KEY=VALUE
	counters_are "$TMP/stats" $counters || ok=1
	if [ "$c" = dead ]; then
		if [ "$mode" = enforce ]; then
			after_reset_absent || { log "bytes sent after the reset reached the server"; ok=1; }
		fi
		capture_stop "$TMP/srv.pcap"
	fi
	if [ "${c#retrans-eod}" != "$c" ] && [ "$mode" = enforce ]; then
		sleep 1
		[ "$(mail_count "$PF")" = "$mails_before" ] ||
			{ log "the message was delivered"; ok=1; }
	fi
	if [ $ok != 0 ]; then
		sed 's/^/#   /' "$TMP/out"
		[ "$c" = reopen ] && sed 's/^/#   conntrack: /' "$TMP/ct.events"
	fi
	return $ok
}

# reopen's premise is timing: the gateway's entry must still be in LAST_ACK
# when the new SYN comes, or conntrack makes a fresh entry (reopened 0).
# Under the default policy the case asserts that the probe was judged
# (starttls_allowed), whichever entry carried it; the enforcing run asserts
# the LAST_ACK path (reopened) on the Debian kernel and runs up to twice more
# on a new port when it fails (CI saw it fail twice running, the probe masked
# each time). On the debug kernel the premise fails about half the time (its
# timing): there the probe's answer and count are asserted.
# The module before smtp_reopened() fails the enforcing run (probe=220).
run_case_again() {	# run_case_again CASE FAMILY MODE
	local try
	run_case "$@" && return 0
	[ "$1" = reopen ] || return 1
	for try in 2 3; do
		log "$1 ($2, $3): try $try, on a new port"
		run_case "$@" && return 0
	done
	return 1
}

REOPENED=" reopened=+1"
slow_kernel && REOPENED=

what() {	# the KTAP description of a case
	case $1 in
	icmp) echo "an ICMP error quoting the connection is not read as TCP" ;;
	stray-syn) echo "a SYN inside the connection does not move the stream" ;;
	isn-wrap) echo "an ISN of 2^32-1 (data from sequence 0) is followed from the start" ;;
	syn-data) echo "data on a SYN (TCP Fast Open) is judged" ;;
	urgent) echo "urgent data (STARTTLSX, X urgent)" ;;
	reorder) echo "TTLS before STAR (out of order)" ;;
	retrans) echo "a retransmission with other bytes (NOOP died, VRFY resent)" ;;
	retrans-path) echo "a retransmission with another address (bob.x died, bob|x resent)" ;;
	retrans-relay) echo "a retransmission with another recipient domain (example.org died, relayed.xyz resent)" ;;
	retrans-relay-split) echo "an RCPT to another domain resent in two pieces, the verb in the first" ;;
	retrans-split) echo "a masked STARTTLS resent in two pieces that hold no verb alone" ;;
	retrans-eod) echo "a retransmission that ends DATA where the first copy did not" ;;
	retrans-eod-lost) echo "a retransmission that does not end DATA where the first copy did" ;;
	dead) echo "a reset connection stays dead when the client ignores the RST" ;;
	reopen) echo "a new connection on the ports of one left in LAST_ACK is followed from its SYN" ;;
	esac
}

# a debug kernel runs every case over IPv4, two over IPv6 (the Debian kernel: all)
V6=" ${CASES[*]} "
slow_kernel && V6=" icmp reorder "
for fam in ipv4 ipv6; do
	for c in "${CASES[@]}"; do
		for mode in default enforce; do
			if [ $mode = default ]; then
				w="default policy, postfix answers as without the gateway, counted"
			else
				w="enforcing profile, the probe never reaches postfix unmasked"
			fi
			if [ $fam = ipv6 ] && [ "${V6#* $c }" = "$V6" ]; then
				ktap_test_skip "evasion: $c: $(what "$c"): $w ($fam): on the Debian kernel"
				continue
			fi
			check "evasion: $c: $(what "$c"): $w ($fam)" run_case_again "$c" "$fam" $mode
		done
	done
done

# events: one segment, 300 non-canonical ends of data, default smuggling log
flood_bounded() {
	local n before after ok=0
	gw_nfsmtp policy set starttls allow commands all smuggling log urgent log \
		out-of-order pass lost-sync log >/dev/null
	gw_stats_reset
	before=$(wc -l <"$TMP/events")
	peer flood "$1"
	sleep 1
	after=$(wc -l <"$TMP/events")
	n=$((after - before))
	gw_stats "$TMP/stats"
	[ "$n" -ge 1 ] && [ "$n" -le 9 ] || { log "$n events for one flood (want 1 to 9)"; ok=1; }
	counters_are "$TMP/stats" smuggling=+300 events_suppressed=+290 || ok=1
	return $ok
}
check "evasion: flood: 300 smuggling sequences in one segment make at most 9 events, the rest counted (ipv4)" \
	flood_bounded ipv4
check "evasion: flood: 300 smuggling sequences in one segment make at most 9 events, the rest counted (ipv6)" \
	flood_bounded ipv6

# after all that: an ordinary session is followed, stripped, delivered
next_session() {
	local n
	gw_nfsmtp policy set "${ENFORCE[@]}" >/dev/null
	gw_nfsmtp policy set commands esmtp >/dev/null
	n=$(mail_count "$PF")
	swaks_in "$client" "$1" "$TMP/swaks" &&
		grep -q 'XXXXXXXA' "$TMP/swaks" &&
		postfix_wait_mail "$PF" $((n + 1))
}
check "evasion: the next ordinary session is followed: STARTTLS stripped, mail delivered (ipv4)" \
	next_session "$S4"
check "evasion: the next ordinary session is followed: STARTTLS stripped, mail delivered (ipv6)" \
	next_session "$S6"

ktap_finished
