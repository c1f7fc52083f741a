#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# CHUNKING (RFC 3030) through the helper, with the header and smuggling
# guards on (dup-headers and smuggling reset) and postfix 3.7 as the server.
# The MTA client is exim 4.96: postfix's own SMTP client never sends BDAT
# (postfix implements CHUNKING in smtpd only), exim's smtp transport does
# whenever the server offers CHUNKING.  Exim is Debian's binary unpacked by
# `make deps` (as a package it would replace postfix).
# - exim sends plain, DKIM-signed and 40 kB messages with BDAT (postfix logs
#   bdat=N), they arrive byte-identical; a second From is reset (exim defers
#   the message) or masked; with ehlo-mask CHUNKING exim falls back to DATA;
#   message-max and header-section-max judge its BDAT messages (a 40 kB
#   message over message-max, a 1.5 kB header section over
#   header-section-max: reset, exim defers); with mime-filetype set (it
#   judges DATA only) its BDAT message is counted as bdat-unjudged and
#   delivered (log) or reset at its BDAT command (reset); its SIZE= (exim
#   adds the line count and 1024) keeps its DATA message within
#   size-excess-max 1, and its BDAT message counts as bdat-unjudged there;
# - a raw client splits the second "From" across two BDAT chunks (in one
#   segment, in two, right before the colon): reset or masked as configured;
#   a message in 30 chunks whose boundaries all fall inside header lines
#   arrives byte-identical; a BDAT message followed by a DATA message keeps
#   both guards on the DATA one; BDAT 0 LAST ends a message; to malformed
#   sizes postfix answers 521 and hangs up (it cannot know where the chunk
#   would end), which the helper lets through untouched.

source "$(dirname "$0")/lib.sh"
source "$HERE/postfix.sh"
source "$HERE/guards_lib.sh"
source "$HERE/exim.sh"

NEXIM=13

guards_begin $((NEXIM + 8))

# sessions_since MARK KIND N: the last N sessions postfix logged since MARK
# used KIND (bdat=N or data=1) and not the other command
sessions_since() {
	local mark=$1 kind=$2 n=$3 other=data
	[ "${kind%%=*}" = data ] && other=bdat
	maillog_wait "$PF" "$mark" "disconnect from" "$n" || return 1
	maillog_since "$PF" "$mark" | grep "disconnect from" | tail -n "$n" >"$TMP/disc"
	if [ "$(grep -c " $kind " "$TMP/disc")" != "$n" ] || grep -q " $other=" "$TMP/disc"; then
		log "postfix logged: $(cat "$TMP/disc")"
		return 1
	fi
}

monitor_start "$EV" || log "the event monitor did not subscribe"
policy dup-headers reset smuggling reset

# ---- exim: a real MTA that sends BDAT ---------------------------------------------------

phase "exim"
if ! exim_setup; then
	for i in $(seq 1 $NEXIM); do
		ktap_test_skip "exim: exim4 is not available (see the log above)"
	done
else
	log "$(head -1 "$E/version")"
	counters_save "$TMP/c0"
	mark=$(maillog_mark "$PF")
	exim_send "$M/exim_plain"
	exim_send "$M/dkim1"
	check "exim: a plain and a DKIM-signed message go with BDAT (postfix logs bdat=1 for both sessions) and arrive byte-identical" \
		eval 'sessions_since $mark bdat=1 2 && mail_wait "$PF" 2 &&
		      subject_delivered_as exim_plain "$M/exim_plain" 2 && subject_delivered_as dkim1 "$M/dkim1" 2'
	mark=$(maillog_mark "$PF")
	exim_send "$M/big"
	check "exim: a 40 kB message goes in 2 BDAT chunks (postfix logs bdat=2) and arrives byte-identical" \
		eval 'sessions_since $mark bdat=2 1 && mail_wait "$PF" 3 && subject_delivered_as big "$M/big" 2'
	check "exim: 3 messages, no duplicate header, no reset, no smuggling counted" \
		deltas_are "$TMP/c0" messages=3 duplicate_headers=0 resets=0 smuggling=0

	policy dup-headers mask
	exim_send "$M/exim_dup"
	check "exim, dup-headers mask: a message with a second From arrives with it renamed XXXX, byte for byte (BDAT)" \
		eval 'mail_wait "$PF" 4 && subject_delivered_as exim_dup "$M/exim_dup.masked" 2 &&
		      events_are "$EV" 1 dup-headers mask From'

	policy dup-headers reset ehlo-mask CHUNKING
	counters_save "$TMP/c1"
	mark=$(maillog_mark "$PF")
	exim_send "$M/plain"
	check "exim, ehlo-mask CHUNKING: exim sees 250-XXXXXXXA, falls back to DATA (postfix logs data=1, no bdat), the message arrives byte-identical" \
		eval 'sessions_since $mark data=1 1 && mail_wait "$PF" 5 && subject_delivered_as plain "$M/plain" 2 &&
		      deltas_are "$TMP/c1" ehlo_keywords_masked=1 &&
		      events_are "$EV" 1 ehlo-mask mask CHUNKING'
	policy ehlo-mask none

	counters_save "$TMP/c2"
	mark=$(maillog_mark "$PF")
	n0=$(mail_count "$PF")
	exim_send "$M/exim_dup"
	check "exim, dup-headers reset: the segment with the second From is reset, exim defers the message, postfix delivers nothing" \
		eval 'grep -q "== bob@example.org" "$E/last.log" && ! grep -q "=> bob@example.org" "$E/last.log" &&
		      maillog_wait "$PF" $mark "disconnect from" 1 && queue_empty && [ "$(mail_count "$PF")" = $n0 ] &&
		      deltas_are "$TMP/c2" duplicate_headers=1 resets=1'

	# the size rules judge BDAT messages: their chunks' declared sizes add up
	policy message-max 10000000 header-section-max 10000
	counters_save "$TMP/c2s"
	n0=$(mail_count "$PF")
	exim_send "$M/exim_sized"
	check "asa: exim, message-max and header-section-max set: exim's BDAT message under both is judged (not bdat-unjudged) and arrives byte-identical" \
		eval 'mail_wait "$PF" $((n0 + 1)) && subject_delivered_as exim_sized "$M/exim_sized" 2 &&
		      deltas_are "$TMP/c2s" bdat_unjudged=0 message_too_big=0 header_section_too_big=0 resets=0'
	n0=$((n0 + 1))
	# exim_reset_check NAME COUNTER: exim's message NAME was reset at the
	# size rule COUNTER counts: exim defers it, postfix delivers nothing
	exim_reset_check() {
		grep -q "== bob@example.org" "$E/last.log" && ! grep -q "=> bob@example.org" "$E/last.log" ||
			{ log "exim: $(tail -3 "$E/last.log")"; return 1; }
		maillog_wait "$PF" "$mark" "disconnect from" 1 && queue_empty &&
			[ "$(mail_count "$PF")" = $n0 ] &&
			deltas_are "$TMP/$1" "$2"=1 resets=1 bdat_unjudged=0
	}
	policy message-max 30000 message-action reset
	counters_save "$TMP/c2m"
	mark=$(maillog_mark "$PF")
	exim_send "$M/exim_big_max"
	check "asa: exim, message-max 30000 reset: exim's 40 kB BDAT message is reset at the BDAT command whose size crosses it, exim defers it, postfix delivers nothing" \
		exim_reset_check c2m message_too_big
	policy message-max 0 message-action drop header-section-max 1000 header-section-action reset
	counters_save "$TMP/c2h"
	mark=$(maillog_mark "$PF")
	exim_send "$M/exim_hdr_max"
	check "asa: exim, header-section-max 1000 reset: exim's BDAT message with 1200 octets more of header fields is reset in its chunk, exim defers it, postfix delivers nothing" \
		exim_reset_check c2h header_section_too_big
	policy header-section-max 0 header-section-action drop

	# the MIME rules judge DATA only: a BDAT message under them is said (bdat-unjudged)
	policy mime-filetype exe
	counters_save "$TMP/c2u"
	ev_log=$(events "$EV" bdat-unjudged log BDAT)
	exim_send "$M/exim_unjudged"
	check "exim, mime-filetype set (DATA only), bdat-unjudged log: exim's BDAT message is counted once, logged, and arrives byte-identical" \
		eval 'mail_wait "$PF" $((n0 + 1)) && subject_delivered_as exim_unjudged "$M/exim_unjudged" 2 &&
		      deltas_are "$TMP/c2u" bdat_unjudged=1 resets=0 drops=0 &&
		      events_are "$EV" $((ev_log + 1)) bdat-unjudged log BDAT'
	policy bdat-unjudged reset
	counters_save "$TMP/c2r"
	mark=$(maillog_mark "$PF")
	exim_send "$M/exim_unjudged_reset"
	check "exim, bdat-unjudged reset: exim's BDAT message is reset at its BDAT command, exim defers it, postfix delivers nothing" \
		eval 'grep -q "== bob@example.org" "$E/last.log" && ! grep -q "=> bob@example.org" "$E/last.log" &&
		      maillog_wait "$PF" $mark "disconnect from" 1 && queue_empty &&
		      [ "$(mail_count "$PF")" = $((n0 + 1)) ] && deltas_are "$TMP/c2r" bdat_unjudged=1 resets=1'
	policy mime-filetype none bdat-unjudged log

	# exim declares SIZE= as its message's size, the line count and 1024 more
	policy size-excess-max 1 size-excess-action reset ehlo-mask CHUNKING
	counters_save "$TMP/c2z"
	mark=$(maillog_mark "$PF")
	exim_send "$M/exim_size_data" -v
	declared=$(sed -n 's/.*SMTP[|>]> MAIL FROM:<alice@example.com> SIZE=\([0-9]*\).*/\1/p' "$E/last.out")
	log "exim declared SIZE=${declared:-none} for $(wc -c <"$M/exim_size_data") octets"
	check "asa: exim, size-excess-max 1 reset, CHUNKING masked: exim's 40 kB DATA message is within the SIZE= it declared (postfix logs data=1) and arrives byte-identical" \
		eval '[ -n "$declared" ] && sessions_since $mark data=1 1 && mail_wait "$PF" $((n0 + 2)) &&
		      subject_delivered_as exim_size_data "$M/exim_size_data" 2 &&
		      deltas_are "$TMP/c2z" size_excess=0 size_unjudged=0 resets=0'
	policy ehlo-mask none
	counters_save "$TMP/c2y"
	exim_send "$M/exim_size_bdat"
	check "asa: exim, size-excess-max set (DATA only): exim's BDAT message is counted bdat-unjudged and arrives byte-identical" \
		eval 'mail_wait "$PF" $((n0 + 3)) && subject_delivered_as exim_size_bdat "$M/exim_size_bdat" 2 &&
		      deltas_are "$TMP/c2y" bdat_unjudged=1 size_excess=0 size_unjudged=0 resets=0'
	policy size-excess-max 0 size-excess-action log
fi

# ---- raw BDAT: chunk boundaries ---------------------------------------------------------

phase "raw BDAT, chunk boundaries"
counters_save "$TMP/c3"
n0=$(mail_count "$PF")
mark=$(maillog_mark "$PF")
ev_reset=$(events "$EV" dup-headers reset From)
ev_mask=$(events "$EV" dup-headers mask From)
client "$TMP/split-reset.out" session \
	bdatpipe:"$M/bdat_dup_pipe:@$M/bdat_dup_pipe.cut" next \
	bdat:"$M/bdat_dup_apart:@$M/bdat_dup_apart.cut" next \
	bdat:"$M/hdrs30:@$M/hdrs30.cuts"
res=($(client_results "$TMP/split-reset.out"))
check "BDAT, dup-headers reset: the second From split across two chunks (BDAT n ...Fr, BDAT m LAST om: ...), in one segment and in two: both reset" \
	eval '[ "${res[0]}" = reset ] && [ "${res[1]}" = reset ] &&
	      events_are "$EV" $((ev_reset + 2)) dup-headers reset From'
check "BDAT, dup-headers reset: 30 chunks, every boundary inside a header line (in From, To, before a colon, CR|LF): postfix logs bdat=30, the message arrives byte-identical" \
	eval '[ "${res[2]}" = ok ] && sessions_since $mark bdat=30 1 && mail_wait "$PF" $((n0 + 1)) &&
	      subject_delivered_as hdrs30 "$M/hdrs30" && deltas_are "$TMP/c3" duplicate_headers=2 resets=2'

policy dup-headers mask
counters_save "$TMP/c4"
client "$TMP/split-mask.out" session \
	bdatpipe:"$M/bdat_dup_pipe:@$M/bdat_dup_pipe.cut" \
	bdat:"$M/bdat_dup_apart:@$M/bdat_dup_apart.cut" \
	bdat:"$M/bdat_dup_colon:@$M/bdat_dup_colon.cut"
rc=$?
check "BDAT, dup-headers mask: the split second From keeps its head, its name's tail after the chunk boundary becomes X's (FrXX:; before the colon: From + X, a body line to postfix), the rest byte for byte" \
	eval '[ $rc = 0 ] && mail_wait "$PF" $((n0 + 4)) &&
	      subject_delivered_as bdat_dup_pipe "$M/bdat_dup_pipe.masked" &&
	      subject_delivered_as bdat_dup_apart "$M/bdat_dup_apart.masked" &&
	      subject_delivered_as bdat_dup_colon "$M/bdat_dup_colon.masked" &&
	      deltas_are "$TMP/c4" duplicate_headers=3 resets=0 &&
	      events_are "$EV" $((ev_mask + 3)) dup-headers mask From'
policy dup-headers reset

# ---- BDAT, then DATA in a session; BDAT 0 LAST; malformed sizes -----------------------------

phase "BDAT then DATA, BDAT 0 LAST, malformed sizes"
counters_save "$TMP/c5"
mark=$(maillog_mark "$PF")
n0=$(mail_count "$PF")
client "$TMP/mixed.out" session \
	bdat:"$M/bdat_plain:100" data:"$M/data_dup" next \
	bdat:"$M/bdat_plain2:100" data:"$M/data_smuggle" next \
	bdat0:"$M/bdat_zero:100,200" next \
	"cmd:MAIL FROM:<alice@example.com>" "cmd:RCPT TO:<bob@example.org>" "cmd:BDAT -1 LAST" eof next \
	"cmd:MAIL FROM:<alice@example.com>" "cmd:RCPT TO:<bob@example.org>" cmd:BDAT eof next \
	"cmd:MAIL FROM:<alice@example.com>" "cmd:RCPT TO:<bob@example.org>" "cmd:BDAT 12x LAST" eof next \
	"cmd:MAIL FROM:<alice@example.com>" "cmd:RCPT TO:<bob@example.org>" \
	"cmd:BDAT 99999999999999999999 LAST" eof next \
	bdat:"$M/bdat_after_bad:150"
res=($(client_results "$TMP/mixed.out"))
check "BDAT message, then a DATA message with a second From in the same session: the BDAT one arrives byte-identical, the DATA one is reset" \
	eval '[ "${res[0]}" = reset ] &&
	      grep -q "^session 1 result=reset codes=220,250,250,250,250,250,250,250,354\$" "$TMP/mixed.out" &&
	      mail_wait "$PF" $((n0 + 1)) && subject_delivered_as bdat_plain "$M/bdat_plain"'
check "BDAT message, then a DATA message with \\n.\\n and a forged transaction: reset, no forged message" \
	eval '[ "${res[1]}" = reset ] && busywait 10000 queue_empty &&
	      [ -z "$(mail_with "Subject: forged data_smuggle")" ]'
check "BDAT 100, BDAT 100, BDAT n, BDAT 0 LAST: the message arrives byte-identical" \
	eval '[ "${res[2]}" = ok ] &&
	      grep -q "^session 3 result=ok codes=220,250,250,250,250,250,250,250,221\$" "$TMP/mixed.out" &&
	      mail_wait "$PF" $((n0 + 3)) && subject_delivered_as bdat_zero "$M/bdat_zero"'
check "malformed sizes (BDAT -1 LAST, BDAT, BDAT 12x LAST, 20 digits): postfix answers 521 to each and hangs up, the gateway resets none; the next session delivers byte-identical" \
	eval '[ "${res[*]:3:4}" = "closed closed closed closed" ] &&
	      [ "$(grep -c "^session [4-7] result=closed codes=220,250,250,250,521\$" "$TMP/mixed.out")" = 4 ] &&
	      [ "${res[7]}" = ok ] && mail_wait "$PF" $((n0 + 4)) && subject_delivered_as bdat_after_bad "$M/bdat_after_bad"'
check "BDAT and DATA sessions: duplicate_headers +1, smuggling +1, resets +2; the 20-digit size is logged as lost sync" \
	eval 'deltas_are "$TMP/c5" duplicate_headers=1 smuggling=1 resets=2 lost_sync=1 &&
	      events_are "$EV" 1 lost-sync log'

ktap_finished
