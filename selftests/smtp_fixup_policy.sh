#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fixup policy against real software: postfix 3.7 in the server namespace,
# python smtplib and a raw client in the client namespace, the helper in
# the gateway.
#
#  - commands mailguard: VRFY (and EHLO) reach postfix as X's and get
#    500/502, smtplib falls back to HELO and the mail goes through; a verb
#    typed in pieces is masked before it is complete; message text that
#    looks like commands is left alone;
#  - banner mask: the client sees 220 and stars;
#  - rcpt-max 3 with 5 recipients: mask (recipients 4 and 5 refused by
#    postfix, the message delivered to 3), then reset;
#  - bare-newline reset leaves command lines ended by a bare LF alone;
#  - two servers told apart by the ct mark that nft sets before the helper
#    rule: profile 1 strips STARTTLS, profile 2 allows it, both at once.

source "$(dirname "$0")/lib.sh"
source "$HERE/postfix.sh"
source "$HERE/fixup_lib.sh"

# two more server addresses, each marked in the chain that sets the helper
S4B=198.51.100.3
S4C=198.51.100.4
gw_marks_helper() {
	ip -n "$server" addr add $S4B/24 dev veth0 &&
		ip -n "$server" addr add $S4C/24 dev veth0 &&
		gw_nft_helper --extra "ip daddr $S4B tcp dport 25 ct mark set 1" \
			--extra "ip daddr $S4C tcp dport 25 ct mark set 2"
}

fixup_begin 19 gw_marks_helper

BANNER="mx.example.net ESMTP Postfix (Debian/GNU)"
STARS=$(printf '%*s' ${#BANNER} '' | tr ' ' '*')
connect_line="connect: b'$STARS'"	# smtplib's debug line for the greeting
$PY "$HERE/msgtool.py" gen "$TMP" p1:5000:11:8bit p2:12000:12:long p3:7000:13:8bit \
	p4:3000:14 p5:25000:15:8bit:long:swaks p6:9000:16:8bit
# message text that reads like commands mailguard forbids
printf '%s\r\n' "From: Alice <alice@example.com>" "To: Bob <bob@example.org>" \
	"Subject: commands in the text" "Message-ID: <p0.selftest@example.com>" "" \
	"VRFY bob@example.org" "EXPN staff" "STARTTLS" "ETRN example.org" "EHLO body.example" \
	"HELP" ".VRFY dot-stuffed" "AUTH PLAIN AGJvYgBzZWNyZXQ=" >"$TMP/p0"

# ---- commands mailguard, banner mask --------------------------------------------------
log "[${SECONDS}s] mailguard and banner"

gw_policy commands mailguard banner mask
gw_stats_reset
mark=$(maillog_mark "$PF")
raw_in "$client" $S4 "$TMP/raw1" reply 'send:VRFY bob@example.org\r\n' reply \
	'send:VR' sleep:0.5 'send:FY bob@example.org\r\n' reply 'send:NOOP\r\n' reply \
	'send:QUIT\r\n' reply
rc=$?
check_show "banner mask: the client sees 220 and ${#BANNER} stars, not postfix's banner (raw client)" "$TMP/raw1" eval '
	[ $rc -eq 0 ] && grep -qxF "S: 220 $STARS" "$TMP/raw1" && ! grep -q "S: 220 .*Postfix" "$TMP/raw1"'
check_show "commands mailguard: VRFY reaches postfix as XXXX and is answered 500/502, NOOP still 250" "$TMP/raw1" eval '
	[ "$(grep -A1 "^C: VRFY" "$TMP/raw1" | grep -c "^S: 50[02] ")" -eq 1 ] &&
	grep -A1 "^C: NOOP" "$TMP/raw1" | grep -q "^S: 250 "'
check "commands mailguard: VRFY typed in two segments (VR, FY...) is masked too: 500/502" \
	eval 'grep -A1 "^C: FY bob" "$TMP/raw1" | grep -q "^S: 50[02] "'
check "commands mailguard: postfix counted 2 unknown commands, no VRFY" \
	maillog_wait "$PF" "$mark" "disconnect from unknown\[$C4\] noop=1 quit=1 unknown=0/2 commands=2/4"

send_in "$client" $S4 "$TMP/sm1" --helo-fallback --vrfy bob@example.org --debug \
	--msg "$TMP/p1" --msg "$TMP/p0"
rc=$?
NMAIL=$((NMAIL + 2))
check_show "commands mailguard: smtplib's EHLO is masked, it falls back to HELO; its VRFY gets 500/502" "$TMP/sm1" eval '
	[ $rc -eq 0 ] && grep -q "^greeted with HELO$" "$TMP/sm1" && grep -q "^vrfy 50[02] " "$TMP/sm1" &&
	grep -qxF "$connect_line" "$TMP/sm1"'
check_show "commands mailguard: both messages delivered byte-identical, the one with command-like text lines too" "$TMP/sm1" \
	eval 'mail_wait "$PF" $NMAIL && delivered_is "$PF" p1 "$TMP/p1" && delivered_is "$PF" p0 "$TMP/p0"'
gw_stats "$TMP/st1"
check "commands mailguard, banner mask: counters commands_masked 4, banners_masked 2, 2 messages" \
	counters_are "$TMP/st1" commands_masked=4 banners_masked=2 messages=2 resets=0

# ---- rcpt-max ---------------------------------------------------------------------------
log "[${SECONDS}s] rcpt-max"

RCPTS=()
for i in 1 2 3 4 5; do
	RCPTS+=(--rcpt "r$i@example.org")
done
gw_policy rcpt-max 3 rcpt-action mask
gw_stats_reset
mark=$(maillog_mark "$PF")
send_in "$client" $S4 "$TMP/sm2" "${RCPTS[@]}" --refused-ok --msg "$TMP/p2"
rc=$?
NMAIL=$((NMAIL + 1))
check_show "rcpt-max 3, mask: recipients 4 and 5 refused by postfix with 500/502, 1 to 3 accepted" "$TMP/sm2" eval '
	[ $rc -eq 0 ] && [ "$(grep -c "^refused " "$TMP/sm2")" -eq 2 ] &&
	grep -q "^refused r4@example.org 50[02] " "$TMP/sm2" && grep -q "^refused r5@example.org 50[02] " "$TMP/sm2"'
check "rcpt-max 3, mask: the message is delivered to r1, r2, r3 only, byte-identical" eval '
	mail_wait "$PF" $NMAIL && delivered_is "$PF" p2 "$TMP/p2" &&
	[ "$(maillog_since "$PF" "$mark" | grep -c "to=<r[123]@example.org>.*status=sent")" -eq 3 ] &&
	! maillog_has "$PF" "$mark" "to=<r[45]@example.org>"'
gw_stats "$TMP/st2"
check "rcpt-max 3, mask: counters limit_hits 2, no reset" \
	counters_are "$TMP/st2" limit_hits=2 resets=0 messages=1

gw_policy rcpt-max 3 rcpt-action reset
gw_stats_reset
mark=$(maillog_mark "$PF")
nmail=$(mail_count "$PF")
send_in "$client" $S4 "$TMP/sm3" "${RCPTS[@]}" --msg "$TMP/p3"
rc=$?
check_show "rcpt-max 3, reset: the fourth RCPT resets the client's connection" "$TMP/sm3" eval '
	[ $rc -eq 3 ] && grep -q "^error: SMTPServerDisconnected: .*Connection reset by peer" "$TMP/sm3"'
check "rcpt-max 3, reset: postfix lost the connection after RCPT, nothing delivered" eval '
	maillog_wait "$PF" "$mark" "lost connection after RCPT from unknown\[$C4\]" &&
	! maillog_has "$PF" "$mark" "status=sent" && [ "$(mail_count "$PF")" -eq "$nmail" ]'
gw_stats "$TMP/st3"
check "rcpt-max 3, reset: counters limit_hits 1, resets 1" \
	counters_are "$TMP/st3" limit_hits=1 resets=1 messages=0

# ---- bare-newline is about message data ----------------------------------------------
log "[${SECONDS}s] bare-newline"

gw_policy bare-newline reset
gw_stats_reset
raw_in "$client" $S4 "$TMP/raw5" reply 'send:NOOP\n' reply 'send:QUIT\r\n' reply
rc=$?
gw_stats "$TMP/st5"
check_show "bare-newline reset guards message data only: a command ended by a bare LF (NOOP\\n, as typed in telnet) is answered, not reset" \
	"$TMP/raw5 $TMP/st5" eval '[ $rc -eq 0 ] && grep -A1 "^C: NOOP" "$TMP/raw5" | grep -q "^S: 250 " &&
		counters_are "$TMP/st5" bare_newlines=0 resets=0'

# ---- profiles by ct mark ---------------------------------------------------------------
log "[${SECONDS}s] profiles"

gw_policy
gw_nfsmtp policy set profile-mark-mask 0x7
gw_policy profile 1 starttls strip
gw_policy profile 2 starttls allow
gw_stats_reset
# server C (mark 2, allow): TLS, then the session stays open
rm -f "$TMP/ready" "$TMP/release"
send_in "$client" $S4C "$TMP/smC" --starttls --msg "$TMP/p4" --hold 60 --ready "$TMP/ready" \
	--release "$TMP/release" &
pidC=$!
defer bg_kill "$pidC"
busywait 30000 test -f "$TMP/ready"
gw_nfsmtp conns >"$TMP/conns1"
# meanwhile server B (mark 1, strip)
swaks_in "$client" $S4B "$TMP/swB" --tls-optional --no-data-fixup --data @"$TMP/p5.swaks"
rcB=$?
kill -0 "$pidC" 2>/dev/null
aliveC=$?
touch "$TMP/release"
wait "$pidC"
rcC=$?
NMAIL=$((NMAIL + 2))
sed 's/^/# conns: /' "$TMP/conns1"
check_show "profiles: server B (ct mark 1, profile 1 strip): the client sees 250-XXXXXXXA, mail in plaintext byte-identical" "$TMP/swB" eval '
	[ $rcB -eq 0 ] && grep -q "^<-  250-XXXXXXXA$" "$TMP/swB" && ! grep -q "^<-.*STARTTLS" "$TMP/swB" &&
	! grep -q "TLS started" "$TMP/swB" && mail_wait "$PF" $NMAIL && delivered_is "$PF" p5 "$TMP/p5"'
check_show "profiles: server C (ct mark 2, profile 2 allow): smtplib STARTTLS works, mail byte-identical" "$TMP/smC" eval '
	[ $rcC -eq 0 ] && delivered_is "$PF" p4 "$TMP/p4" &&
	grep -q "Anonymous TLS connection established from unknown\[$C4\]" "$PF/maillog"'
check_show "profiles: at the same time: C's session (mark 0x2) was open before B's began and after it ended" "$TMP/conns1" eval '
	[ $aliveC -eq 0 ] &&
	grep -q "ESTABLISHED .* $C4:[0-9]* > $S4C:25 mark 0x2 helper smtp" "$TMP/conns1"'
gw_stats "$TMP/st4"
check "profiles: counters: one session stripped (keyword), one handed to TLS" \
	counters_are "$TMP/st4" sessions=2 starttls_stripped=1 ehlo_keywords_masked=1 tls_handoff=1 \
	starttls_allowed=1 resets=0

log "[${SECONDS}s] done"
ktap_finished
