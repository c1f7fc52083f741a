#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Header guards, with real software on both ends: python's smtplib or a raw
# socket client in the client namespace, the helper in the gateway, postfix
# 3.7 delivering every message it accepts into a file.
# - dup-headers reset lets DKIM-signed mail through untouched: a signature
#   that oversigns From (h=from:from:...) and a message with three
#   DKIM-Signature and ten Received fields arrive byte-identical and still
#   verify, and no duplicate is counted (the old PIX bug);
# - a second From (on one line, folded over two lines, or in another TCP
#   segment than the first) or a second Subject is reset: the client sees
#   the RST and postfix delivers nothing; with dup-headers mask postfix
#   delivers it with the second field renamed to X's, nothing else changed;
# - header-line-max 998 with reset stops a 1200-octet header line (and 999
#   octets) but passes 990 and 998; body-line-max 998 with log reports a
#   1500-octet body line and delivers it;
# counters and `nfsmtp monitor -j` events report each action.

source "$(dirname "$0")/lib.sh"
source "$HERE/postfix.sh"
source "$HERE/guards_lib.sh"

guards_begin 23

# one_from_one_x SUBJECT...: the header section of each delivery has exactly
# one From: field and one XXXX: field
one_from_one_x() {
	local s f
	for s in "$@"; do
		f=$(mail_with "Subject: $s")
		[ -n "$f" ] || { log "no delivery of $s"; return 1; }
		sed '/^$/q' "$f" >"$TMP/hdr"
		if [ "$(grep -ci '^From:' "$TMP/hdr")" != 1 ] ||
			[ "$(grep -c '^XXXX:' "$TMP/hdr")" != 1 ]; then
			log "$s: header section has $(grep -ci '^From:' "$TMP/hdr") From: and $(grep -c '^XXXX:' "$TMP/hdr") XXXX: fields"
			return 1
		fi
	done
}

monitor_start "$EV" || log "the event monitor did not subscribe"
# the client's segments as they reach the gateway
ip netns exec "$gw" tcpdump -i cveth -n -s 0 -U -w "$TMP/client.pcap" \
	"tcp dst port 25 and src host $C4" 2>"$TMP/tcpdump.err" &
CAP_PID=$!
defer bg_kill "$CAP_PID"
busywait 10000 grep -q "listening on" "$TMP/tcpdump.err" || log "tcpdump did not start"

# ---- DKIM: no false positive ---------------------------------------------------

phase "dkim"
policy dup-headers reset
counters_save "$TMP/c0"
ip netns exec "$client" $PY "$HERE/smtp_send.py" --server $S4 \
	--msg "$M/dkim1" --msg "$M/dkim3" >"$TMP/dkim.out" 2>&1
rc=$?
check "dkim: smtplib sends an oversigned message and one with 3 DKIM-Signature + 10 Received fields, postfix accepts both (dup-headers reset)" \
	test $rc -eq 0
mail_wait "$PF" 2
check "dkim: oversigned message (h=from:from:subject:to:date) delivered byte-identical (sha256)" \
	subject_delivered_as dkim1 "$M/dkim1"
check "dkim: message with 3 DKIM-Signature and 10 Received fields delivered byte-identical (sha256)" \
	subject_delivered_as dkim3 "$M/dkim3"
as_sent "$(mail_with 'Subject: dkim1')" >"$TMP/dkim1.got"
as_sent "$(mail_with 'Subject: dkim3')" >"$TMP/dkim3.got"
check "dkim: the 4 signatures of the delivered messages verify" \
	$PY "$HERE/msgtool.py" dkim-verify "$DKIM_P" "$TMP/dkim1.got" "$TMP/dkim3.got:3"
check "dkim: the helper followed 2 messages and counted no duplicate header, no reset, no dup-headers event" \
	eval 'deltas_are "$TMP/c0" messages=2 duplicate_headers=0 resets=0 &&
	      [ "$(events "$EV" dup-headers reset)" = 0 ]'

# ---- dup-headers reset --------------------------------------------------------------

phase "dup-headers reset"
counters_save "$TMP/c1"
mark=$(maillog_mark "$PF")
n0=$(mail_count "$PF")
client "$TMP/reset.out" session data:"$M/dup_from" next data:"$M/dup_from_fold" \
	next segs:"$M/seg1,$M/seg2" next @$S6 data:"$M/dup_subject"
res=($(client_results "$TMP/reset.out"))
check "reset: a second From on one line: the client sees the reset" test "${res[0]}" = reset
check "reset: a second From folded over two lines: the client sees the reset" test "${res[1]}" = reset
check "reset: the two From fields in separate TCP segments (pause, TCP_NODELAY): the client sees the reset" \
	test "${res[2]}" = reset
check "reset: a second Subject (as SUBJECT:), over IPv6: the client sees the reset" \
	test "${res[3]}" = reset
check "reset: postfix lost the 4 sessions in DATA, has nothing queued and delivered nothing" \
	eval 'maillog_wait "$PF" $mark "lost connection after DATA" 4 && queue_empty &&
	      [ "$(mail_count "$PF")" = "$n0" ]'
check "reset: duplicate_headers +4, resets +4; monitor -j: 3 dup-headers reset events for From, 1 for Subject" \
	eval 'deltas_are "$TMP/c1" duplicate_headers=4 resets=4 &&
	      events_are "$EV" 3 dup-headers reset From &&
	      events_are "$EV" 1 dup-headers reset Subject'

# ---- dup-headers mask ---------------------------------------------------------------

phase "dup-headers mask"
policy dup-headers mask
counters_save "$TMP/c2"
n0=$(mail_count "$PF")
client "$TMP/mask.out" session data:"$M/dup_from" data:"$M/dup_from_fold" \
	segs:"$M/seg1,$M/seg2" data:"$M/big_dup"
rc=$?
check "mask: postfix accepts the 4 messages with a second From (one line, folded, other segment, 40 kB)" \
	eval '[ $rc = 0 ] && grep -qx "codes: 220 250\( 250 250 354 250\)\{4\} 221" "$TMP/mask.out"'
mail_wait "$PF" $((n0 + 4))
check "mask: each delivery has exactly one From: and one XXXX: field in its header section" \
	one_from_one_x dup_from dup_from_fold dup_from_segments
check "mask: each delivery is the sent message with the second 'From' renamed 'XXXX', byte for byte" \
	eval 'subject_delivered_as dup_from "$M/dup_from.masked" &&
	      subject_delivered_as dup_from_fold "$M/dup_from_fold.masked" &&
	      subject_delivered_as dup_from_segments "$M/seg.masked"'
check "mask: a 40 kB message, sent in large segments, arrives with the second From renamed, byte for byte" \
	subject_delivered_as big_dup "$M/big_dup.masked"
check "mask: duplicate_headers +4, resets +0; monitor -j: 4 dup-headers mask events for From" \
	eval 'deltas_are "$TMP/c2" duplicate_headers=4 resets=0 &&
	      events_are "$EV" 4 dup-headers mask From'
sleep 0.2
kill -INT "$CAP_PID"
wait "$CAP_PID" 2>/dev/null
ip netns exec "$gw" tcpdump -r "$TMP/client.pcap" -n 2>/dev/null >"$TMP/client.txt"
check "segments: the capture shows the first part alone, a 33-octet segment, in the reset and in the mask session" \
	test "$(grep -cE 'length 33(:|$)' "$TMP/client.txt")" = 2

# ---- line limits ----------------------------------------------------------------------

phase "line limits"
policy dup-headers reset header-line-max 998 header-line-action reset \
	body-line-max 998 body-line-action log
counters_save "$TMP/c3"
mark=$(maillog_mark "$PF")
n0=$(mail_count "$PF")
client "$TMP/limits.out" session data:"$M/hdr1200" next data:"$M/hdr999" \
	next data:"$M/hdr990" data:"$M/hdr998" data:"$M/body1500"
res=($(client_results "$TMP/limits.out"))
check "header-line-max 998 reset: a 1200-octet header line: the client sees the reset" \
	test "${res[0]}" = reset
check "header-line-max 998 reset: a 999-octet header line (CRLF counted): the client sees the reset" \
	test "${res[1]}" = reset
check "header-line-max 998: header lines of 990 and 998 octets pass byte-identical" \
	eval '[ "${res[2]}" = ok ] && mail_wait "$PF" $((n0 + 3)) &&
	      subject_delivered_as hdr990 "$M/hdr990" && subject_delivered_as hdr998 "$M/hdr998"'
check "body-line-max 998 log: a 1500-octet body line is delivered byte-identical" \
	subject_delivered_as body1500 "$M/body1500"
check "limits: postfix lost the 2 reset sessions in DATA and delivered nothing of them" \
	eval 'maillog_wait "$PF" $mark "lost connection after DATA" 2 && queue_empty &&
	      [ "$(mail_count "$PF")" = $((n0 + 3)) ]'
check "limits: limit_hits +3, resets +2; monitor -j: 2 header-line reset events, 1 body-line log event" \
	eval 'deltas_are "$TMP/c3" limit_hits=3 resets=2 &&
	      events_are "$EV" 2 header-line reset &&
	      events_are "$EV" 1 body-line log'

ktap_finished
