#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What the helper does for TLS, against real software (postfix with STARTTLS
# in the server namespace; openssl, swaks, exim and python's ssl as clients):
#  - tls-guard: after STARTTLS both directions must be TLS records. Real TLS
#    never trips the guard (TLS 1.2 and 1.3, a 20 MB message, one byte per
#    segment, exim); one cleartext byte after a close_notify (CVE-2026-45185)
#    and server bytes after the 220 before the client's hello, in the 220's
#    segment or a later one, are caught and reset;
#  - require-tls: MAIL before TLS is masked, reset or logged; inside TLS the
#    helper sees nothing to judge;
#  - downgrade: an upstream box that masks STARTTLS (the module in the
#    server's namespace, starttls strip), a STARTTLS refused by a server that
#    offered it, REQUIRETLS mail in plaintext, and how sessions ended.

source "$(dirname "$0")/lib.sh"
source "$HERE/postfix.sh"
source "$HERE/fixup_lib.sh"
source "$HERE/exim.sh"

fixup_begin 24
kernel_log_start

tlsp() {	# tlsp OUT ARGS...: tls_peer.py in the client namespace
	local out=$1
	shift
	ip netns exec "$client" timeout $((120 * WAIT_SCALE)) $PY "$HERE/tls_peer.py" "$@" >"$out" 2>&1
}
# the gateway back to the defaults of the keys this test sets, then "$@"
reset_all() { gw_policy require-tls off tls-framing reset "$@" >/dev/null && gw_stats_reset; }

# ---- real TLS never trips the guard -----------------------------------------------
log "[${SECONDS}s] real TLS"
# openssl_case VERSION ADDR FAMILY: openssl s_client -starttls smtp with
# TLS VERSION (1.2, 1.3) to ADDR:25 through the gateway; the handshake
# completes, SMTP runs inside, and the guard stays quiet
openssl_case() {
	local ver=$1 out=$TMP/o${1/./}
	reset_all
	printf 'EHLO client.example.com\r\nQUIT\r\n' |
		ip netns exec "$client" timeout $((60 * WAIT_SCALE)) openssl s_client -starttls smtp \
		"-tls${1/./_}" -connect "$2:25" -ign_eof >"$out" 2>&1
	gw_stats "$TMP/s"
	check_show "tls-guard: openssl s_client TLS $1 completes, SMTP inside, no framing alarm ($3)" \
		"$out $TMP/s" eval 'grep -q "Protocol  : TLSv$ver" "$out" && grep -q "^221 " "$out" &&
		counters_are "$TMP/s" tls_handoff=1 tls_framing=0 resets=0'
}
openssl_case 1.2 "$S4" ipv4
openssl_case 1.3 "[$S6]" ipv6

reset_all
MB=20	# a debug kernel: 2 MB, some hundred records
slow_kernel && MB=2
head -c $((MB * 1024 * 1024 * 3 / 4)) /dev/urandom >"$TMP/big.bin"
n=$(mail_count "$PF")
swaks_in "$client" "$S4" "$TMP/sw20" --tls --attach @"$TMP/big.bin" --suppress-data
gw_stats "$TMP/s"
check_show "tls-guard: swaks --tls sends a $MB MB message (records over segments), delivered, no alarm" \
	"$TMP/s" eval 'postfix_wait_mail "$PF" $((n + 1)) 120000 &&
	counters_are "$TMP/s" tls_framing=0 resets=0 bytes_client=+$((MB * 1000000))'

reset_all
n=$(mail_count "$PF")
ip netns exec "$client" sysctl -qw net.ipv4.tcp_autocorking=0
tlsp "$TMP/bw" bytewise --server "$S4"
gw_stats "$TMP/s"
check_show "tls-guard: TLS sent one byte per segment (handshake, commands, message) delivered, no alarm" \
	"$TMP/bw $TMP/s" eval 'grep -qx result=delivered "$TMP/bw" &&
	counters_are "$TMP/s" tls_framing=0 resets=0 packets_client=+2000'

reset_all
n=$(mail_count "$PF")
EXIM_AVOID_TLS='' exim_setup &&
	printf 'Subject: exim over TLS\r\n\r\nhello\r\n' >"$TMP/em" && exim_send "$TMP/em"
gw_stats "$TMP/s"
check_show "tls-guard: exim as client delivers over STARTTLS, no alarm" "$E/last.log $TMP/s" \
	eval 'postfix_wait_mail "$PF" $((n + 1)) &&
	grep -q "X=TLS" "$E/last.log" && counters_are "$TMP/s" tls_handoff=1 tls_framing=0 resets=0'

# ---- breaking the framing ------------------------------------------------------------
log "[${SECONDS}s] framing broken"
for fam in ipv4 ipv6; do
	srv=$S4
	[ $fam = ipv6 ] && srv=$S6
	reset_all
	tlsp "$TMP/uw" unwrap --server "$srv"
	gw_stats "$TMP/s"
	check_show "tls-guard: one cleartext byte after close_notify is reset (CVE-2026-45185) ($fam)" \
		"$TMP/uw $TMP/s" counters_are "$TMP/s" tls_framing=1 resets=1
done

reset_all tls-framing off
tlsp "$TMP/uw" unwrap --server "$S4"
gw_stats "$TMP/s"
check_show "tls-guard: tls-framing off: the same byte passes, nothing counted" "$TMP/uw $TMP/s" \
	counters_are "$TMP/s" tls_framing=0 resets=0

# a raw server writes after its 220: in the same segment, or in one of its own
postfix_stop "$server" "$PF"
busywait 10000 eval '! port_listening "$server" 25'
# a server that offers STARTTLS and refuses it (what a box masking the command causes)
refused() {
	ip netns exec "$server" $PY "$HERE/tls_peer.py" refuse-server --listen "$S4" &
	defer bg_kill $!
	busywait 10000 port_listening "$server" 25
	reset_all
	! swaks_in "$client" "$S4" "$TMP/dg2" --tls && gw_stats "$TMP/s" &&
		counters_are "$TMP/s" starttls_refused=1 tls_handoff=0
}
check_show "downgrade: STARTTLS refused (454) by a server that offered it is counted (starttls_refused)" \
	"$TMP/dg2 $TMP/s" refused
busywait 10000 eval '! port_listening "$server" 25'
inject() {	# inject FAMILY [--later]: the client's view of the bytes after the 220
	local addr=$S4
	[ "$1" = ipv6 ] && addr=$S6
	# the previous case's server must be gone, or this one cannot listen
	busywait 10000 eval '! port_listening "$server" 25'
	ip netns exec "$server" $PY "$HERE/tls_peer.py" inject-server --listen "$addr" $2 &
	defer bg_kill $!
	busywait 10000 port_listening "$server" 25
	reset_all
	tlsp "$TMP/inj" starttls-client --server "$addr"
	gw_stats "$TMP/s"
	! grep -q 'after=bytes' "$TMP/inj" && counters_are "$TMP/s" injection=1 resets=1
}
check_show "tls-guard: server bytes after the 220 in the same segment are caught and reset (ipv4)" \
	"$TMP/inj $TMP/s" inject ipv4
check_show "tls-guard: server bytes after the 220 in a later segment are caught and reset (ipv4)" \
	"$TMP/inj $TMP/s" inject ipv4 --later
check_show "tls-guard: server bytes after the 220 in a later segment are caught and reset (ipv6)" \
	"$TMP/inj $TMP/s" inject ipv6 --later
swaks_inject() {
	ip netns exec "$server" $PY "$HERE/tls_peer.py" inject-server --listen "$S4" --later &
	defer bg_kill $!
	busywait 10000 port_listening "$server" 25
	reset_all
	! swaks_in "$client" "$S4" "$TMP/swi" --tls && ! grep -q "^<-  250 AUTH LOGIN" "$TMP/swi" &&
		gw_stats "$TMP/s" && counters_are "$TMP/s" injection=1 resets=1
}
check_show "tls-guard: swaks never takes the injected 250 for its reply (later segment)" \
	"$TMP/swi $TMP/s" swaks_inject
postfix_start "$server" "$PF" || log "postfix did not start again"

# ---- require-tls -----------------------------------------------------------------------
log "[${SECONDS}s] require-tls"
reset_all require-tls mask
swaks_in "$client" "$S4" "$TMP/rq1"
gw_stats "$TMP/s"
check_show "require-tls: mask: MAIL before TLS reaches postfix as X's (500), counted" "$TMP/rq1 $TMP/s" \
	eval 'grep -q "^ -> XXXX FROM:<alice@example.com>" "$TMP/rq1" || grep -q "^<\*\* 50[0-2]" "$TMP/rq1";
	counters_are "$TMP/s" require_tls=+1 commands=+1'
n=$(mail_count "$PF")
reset_all require-tls mask
swaks_in "$client" "$S4" "$TMP/rq2" --tls
gw_stats "$TMP/s"
check_show "require-tls: mask: the same mail inside TLS is delivered, nothing counted" "$TMP/rq2 $TMP/s" \
	eval 'postfix_wait_mail "$PF" $((n + 1)) && counters_are "$TMP/s" require_tls=0 tls_handoff=1'
reset_all require-tls reset
swaks_in "$client" "$S6" "$TMP/rq3"
gw_stats "$TMP/s"
check_show "require-tls: reset: MAIL before TLS resets the connection (ipv6)" "$TMP/rq3 $TMP/s" \
	counters_are "$TMP/s" require_tls=1 resets=1
n=$(mail_count "$PF")
reset_all require-tls log
swaks_in "$client" "$S4" "$TMP/rq4"
gw_stats "$TMP/s"
check_show "require-tls: log: the plaintext mail is delivered and counted (MAIL, RCPT, DATA)" "$TMP/s" \
	eval 'postfix_wait_mail "$PF" $((n + 1)) && counters_are "$TMP/s" require_tls=3 resets=0'

# ---- downgrade ----------------------------------------------------------------------------
log "[${SECONDS}s] downgrade"
# the upstream box: the module in the server's own namespace, stripping
nft_helper "$server" --table up
ip netns exec "$server" "$NFSMTP" policy set starttls strip >/dev/null
reset_all
monitor_start "$TMP/mon" || log "monitor did not subscribe"
swaks_in "$client" "$S4" "$TMP/dg1"
gw_stats "$TMP/s"
check_show "downgrade: an upstream box that strips STARTTLS is seen: upstream_mask_seen, event names it" \
	"$TMP/dg1 $TMP/s $TMP/mon" eval 'grep -q "XXXXXXXA" "$TMP/dg1" &&
	counters_are "$TMP/s" upstream_mask_seen=1 ehlo_keywords_masked=0 &&
	busywait 5000 grep -q "\"rule\":\"downgrade\".*XXXXXXXA" "$TMP/mon"'
check_show "downgrade: the kernel log line says what clients see" "" \
	eval 'dmesg | grep -q "downgrade log: XXXXXXXA: an upstream box masks STARTTLS: clients will see 250-XXXXXXXA"'
# how sessions ended: TLS, plaintext with STARTTLS offered, plaintext without
ip netns exec "$server" "$NFSMTP" policy set starttls allow >/dev/null
reset_all
swaks_in "$client" "$S4" "$TMP/e1" --tls
swaks_in "$client" "$S4" "$TMP/e2"
ip netns exec "$server" "$NFSMTP" policy set starttls strip >/dev/null
swaks_in "$client" "$S4" "$TMP/e3"
gw_stats "$TMP/s"
check_show "downgrade: sessions ended in TLS, in plaintext with STARTTLS offered, in plaintext without: 1, 1, 1" \
	"$TMP/s" counters_are "$TMP/s" ended_tls=1 ended_plaintext_offered=1 ended_plaintext=1
# per connection: a live TLS session, as nfsmtp conns shows it
ip netns exec "$server" "$NFSMTP" policy set starttls allow >/dev/null
# the session stays until it was seen (a debug kernel under load can take
# longer than any fixed pause for STARTTLS and the handshake)
{
	printf 'EHLO client.example.com\r\n'
	for _ in $(seq $((300 * WAIT_SCALE))); do [ -e "$TMP/live_seen" ] && break; sleep 0.2; done
	printf 'QUIT\r\n'
} |
	ip netns exec "$client" timeout $((60 * WAIT_SCALE)) openssl s_client -starttls smtp -connect "$S4:25" \
	-ign_eof >"$TMP/live" 2>&1 &
defer bg_kill $!
conns_tls() { gw_nfsmtp conns >"$TMP/conns" && grep -q "ESTABLISHED.*helper smtp session tls$" "$TMP/conns"; }
check_show "downgrade: nfsmtp conns shows a live session that went TLS as session tls" "$TMP/conns" \
	busywait 20000 conns_tls
touch "$TMP/live_seen"
nft_helper_del "$server" up
# REQUIRETLS in plaintext, and under a profile that strips STARTTLS
reset_all starttls strip
raw_in "$client" "$S4" "$TMP/rt" reply 'send:EHLO c.example\r\n' reply \
	'send:MAIL FROM:<alice@example.com> REQUIRETLS\r\n' reply 'send:QUIT\r\n' reply
gw_stats "$TMP/s"
check_show "downgrade: MAIL FROM ... REQUIRETLS in plaintext is counted; with starttls strip the log says it will bounce" \
	"$TMP/rt $TMP/s" eval 'counters_are "$TMP/s" requiretls_plaintext=1 &&
	dmesg | grep -q "downgrade log: REQUIRETLS: requires TLS and this profile strips STARTTLS: it will bounce"'

check "tls-guard: the kernel log has no report" kernel_log_clean
ktap_finished
