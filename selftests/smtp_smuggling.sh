#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SMTP smuggling (SEC Consult, December 2023) against a real postfix 3.7:
# a raw client sends a DATA message whose text holds a non-canonical end of
# data followed by a whole forged transaction (MAIL FROM <forged@...>,
# RCPT, DATA, text, CRLF.CRLF).  postfix runs with
# smtpd_forbid_bare_newline = no (the 3.7 default; its exclusions list covers
# the test networks anyway), so it is open to the LF forms.
# - With smuggling off, what postfix makes of each sequence is recorded
#   ("# note:" lines, not asserted);
# - with smuggling reset, no sequence ever yields the forged message: the
#   client sees the reset and postfix queues nothing, with the whole attack
#   in one segment, with the forged transaction in a later segment, and with
#   the text pipelined behind DATA before the 354;
# - the canonical CRLF.CRLF followed by a second transaction pipelined as
#   RFC 2920 allows (MAIL, RCPT, DATA, then wait for the 354) passes.

source "$(dirname "$0")/lib.sh"
source "$HERE/postfix.sh"
source "$HERE/guards_lib.sh"

SEQS=('\n.\n' '\n.\r\n' '\r.\r\n' '\r.\r' '\r.\n' '\n.\r' '\r\n.\r\r\n'
	'\r\r\n.\r\r\n' '\r\n\x00.\r\n' '\r\n.\x00\r\n' '\r\n.\r')
NSEQ=${#SEQS[@]}
CANON='\r\n.\r\n'

GUARDS_NO_MSGS=1
guards_begin $((NSEQ + 6)) "smtpd_forbid_bare_newline = no"

# smuggle OUT ARGS...: smtp_raw.py smuggle in the client namespace
smuggle() {
	local out=$1
	shift
	client "$out" smuggle "$@"
}

# codes OUT N: the reply codes of sequence N
codes() { sed -n "s/^smuggle $2 result=[a-z]* codes=//p" "$1"; }

# queued OUT: how many messages postfix said it queued
queued() { grep -c '^S: 250 .*queued as' "$1"; }

monitor_start "$EV" || log "the event monitor did not subscribe"
log "postfix $(postconf -d -h mail_version 2>/dev/null): built-in" \
	"$(postconf -d smtpd_forbid_bare_newline 2>&1), in force here:" \
	"smtpd_forbid_bare_newline = $(postconf -c "$PF/etc" -h smtpd_forbid_bare_newline 2>&1)," \
	"smtpd_forbid_unauth_pipelining = $(postconf -c "$PF/etc" -h smtpd_forbid_unauth_pipelining 2>&1)"

# ---- guard off: what postfix does ---------------------------------------------------

phase "guard off"
policy smuggling off
smuggle "$TMP/off.out" --tag off "${SEQS[@]}" "$CANON"
mail_wait "$PF" "$(queued "$TMP/off.out")"
subjects_read
for n in $(seq 1 "$NSEQ"); do
	f=$(subj "first off-$n")
	g=$(subj "forged off-$n")
	what="one message, the sequence and the forged transaction inside its text"
	if [ "$g" -gt 0 ]; then
		what="$f + $g messages: the first and the FORGED one (smuggling works)"
	elif [ "$f" = 0 ]; then
		what="nothing"
	fi
	echo "# note: guard off, ${SEQS[$((n - 1))]}: postfix replied $(codes "$TMP/off.out" "$n"): delivered $what"
	m=$(mail_with "Subject: first off-$n")
	[ -n "$m" ] && sed -n '/^smuggled end follows/,+1l' "$m" | sed 's/^/# note:     stored: /'
done
check "harness, guard off: after a canonical CRLF.CRLF postfix delivers the pipelined forged transaction: the test sees one" \
	eval '[ "$(subj "first off-$((NSEQ + 1))")" = 1 ] && [ "$(subj "forged off-$((NSEQ + 1))")" = 1 ]'

# ---- guard on: one segment ------------------------------------------------------------

phase "guard on"
policy smuggling reset
counters_save "$TMP/c1"
mark=$(maillog_mark "$PF")
n0=$(mail_count "$PF")
smuggle "$TMP/on.out" --tag on "${SEQS[@]}"
maillog_wait "$PF" "$mark" "disconnect from" "$NSEQ"
# nothing queued, nothing in delivery: no forged message can come later
busywait 15000 queue_empty && empty=1 || empty=0
results_read "$TMP/on.out"
subjects_read
q=$(queued "$TMP/on.out")
n1=$(mail_count "$PF")
for n in $(seq 1 "$NSEQ"); do
	check "smuggling reset, ${SEQS[$((n - 1))]} in one segment: the client sees the reset, postfix queues and delivers no forged message" \
		eval '[ "${RES[$n]}" = reset ] && [ $q = 0 ] && [ $empty = 1 ] &&
		      [ "$(subj "forged on-$n")" = 0 ] && [ $n1 = $n0 ]'
done
check "smuggling reset: smuggling +$NSEQ, resets +$NSEQ; monitor -j: $NSEQ smuggling reset events" \
	eval 'deltas_are "$TMP/c1" smuggling=$NSEQ resets=$NSEQ &&
	      events_are "$EV" $NSEQ smuggling reset'

# the legitimate form: end of data, then MAIL, RCPT and DATA in one group,
# the second text only after the 354
phase "control"
counters_save "$TMP/c4"
T1='From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: control first\r\n\r\ntext\r\n.\r\n'
T1="${T1}MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n"
T2='From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: control second\r\n\r\ntext\r\n.\r\n'
client "$TMP/control.out" session \
	"cmd:MAIL FROM:<alice@example.com>" "cmd:RCPT TO:<bob@example.org>" cmd:DATA \
	"send:$T1" reply reply reply reply "send:$T2" reply
rc=$?
check "control, guard on: CRLF.CRLF, then MAIL, RCPT, DATA pipelined and the text after the 354: not reset, both delivered, no smuggling counted" \
	eval '[ $rc = 0 ] && grep -qx "codes: 220 250 250 250 354 250 250 250 354 250 221" "$TMP/control.out" &&
	      mail_wait "$PF" $((n0 + 2)) && subjects_read && [ "$(subj "control first")" = 1 ] &&
	      [ "$(subj "control second")" = 1 ] && deltas_are "$TMP/c4" smuggling=0 resets=0'

# ---- guard on: the forged transaction in the next segment -------------------------------

# A sequence ending in a bare CR is judged at the byte after it: cut there,
# its segment passes, and the forged transaction behind must be stopped.
CRSEQS=('\r.\r' '\n.\r' '\r\n.\r')
phase "split"
counters_save "$TMP/c2"
mark=$(maillog_mark "$PF")
smuggle "$TMP/split.out" --split --tag split "${CRSEQS[@]}"
maillog_wait "$PF" "$mark" "disconnect from" 3
busywait 15000 queue_empty
results_read "$TMP/split.out"
subjects_read
bad=''
for n in 1 2 3; do
	[ "${RES[$n]}" = reset ] && [ "$(subj "forged split-$n")" = 0 ] ||
		bad="$bad ${CRSEQS[$((n - 1))]}"
done
check "smuggling reset, \\r.\\r, \\n.\\r and \\r\\n.\\r ending a segment (judged at the next byte), the forged transaction in the next: reset, nothing queued, no forged message${bad:+ (failed:$bad)}" \
	eval '[ -z "$bad" ] && [ "$(queued "$TMP/split.out")" = 0 ] && queue_empty &&
	      deltas_are "$TMP/c2" smuggling=3 resets=3'

# ---- guard on: the text pipelined behind DATA, before the 354 ---------------------------

phase "text before the 354"
counters_save "$TMP/c3"
mark=$(maillog_mark "$PF")
smuggle "$TMP/pipe.out" --pipe-data --tag pipe '\n.\n' '\r.\r\n'
maillog_wait "$PF" "$mark" "disconnect from" 2
busywait 15000 queue_empty
results_read "$TMP/pipe.out"
subjects_read
check "smuggling reset, DATA and its text in one segment, before the 354 (\\n.\\n, \\r.\\r\\n): the client sees the reset, no forged message" \
	eval '[ "${RES[1]}" = reset ] && [ "${RES[2]}" = reset ] && queue_empty &&
	      [ "$(subj "forged pipe-1")" = 0 ] && [ "$(subj "forged pipe-2")" = 0 ]'
check "smuggling reset, text before the 354: smuggling +2, resets +2; monitor -j: 2 smuggling reset events with detail data-pipelined" \
	eval 'deltas_are "$TMP/c3" resets=2 smuggling=2 && events_are "$EV" $((NSEQ + 5)) smuggling reset &&
	      events_are "$EV" 2 smuggling reset data-pipelined'

ktap_finished
