#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hostile input: crafted and random byte streams through the gateway with
# the helper, from a raw client to a raw server peer (hostile_peer.py: the
# server can send replies nobody asked for, no greeting, or garbage). Every
# byte each end receives is compared with what the other sent. Per class of
# parser anomaly the test asserts that the kernel survives (the next normal
# session is followed and passes), that the counters of
# /proc/net/nf_conntrack_smtp show that class and nothing else, and that the
# configured guard action happens (the RST both ends see, the drop):
#   overlong lines (64 KB commands, replies, body lines; cmd-line-max 512
#   reset, body-line-max 998 drop), NUL bytes, bare CR/LF (commands, text,
#   bare-newline reset), smuggling sequences (five non-canonical ends of
#   data, text pipelined behind DATA, smuggling reset), BDAT sizes that do
#   not fit (23 digits, 2^64, 2^64 + 5, 2^32, 2^32 - 1), replies without
#   commands and lines that are no replies, a header field folded over
#   100000 lines, binary garbage each way, random bytes both ways.

source "$(dirname "$0")/lib.sh"
source "$HERE/guards_lib.sh"

# hostile_dump: on a failure, or HOSTILE_VERBOSE=1, the events and the
# kernel's words (deferred right after $TMP: it runs before $TMP goes)
hostile_dump() {
	if [ "$KTAP_CNT_FAIL" -gt 0 ] || [ "${HOSTILE_VERBOSE:-0}" = 1 ]; then
		echo "# ---- nfsmtp monitor -j (last 20 events)"
		tail -n 20 "$TMP/events" 2>/dev/null | cut -c1-200 | sed 's/^/#   /'
		echo "# ---- kernel log (nf_conntrack_smtp, last 20 lines)"
		dmesg | grep nf_conntrack_smtp | tail -n 20 | cut -c1-200 | sed 's/^/#   /'
	fi
}

ktap_begin 36

TMP=$(mktemp -d)
defer rm -rf "$TMP"
defer hostile_dump
kernel_log_start
if ! load_module || ! topo_setup || ! gw_nft_helper; then
	ktap_test_fail "setup: module, client - gw - server topology, helper in the gateway"
	ktap_finished
fi
ktap_test_pass "setup: module, client - gw - server topology, helper in the gateway"
monitor_start "$TMP/events" || log "the event monitor did not subscribe"
# shellcheck disable=SC2034 # used in the eval strings of check
EV=$TMP/events

# hp NAME SCENARIO [ADDR [ARGS...]]: one session of hostile_peer.py
# SCENARIO, server on ADDR (default $S4) in the server namespace, client in
# the client namespace; CRES and SRES are their result words (ok, reset,
# closed, timeout, changed)
CRES='' SRES=''
hp() {
	local name=$1 scen=$2 addr=${3:-$S4} spid
	shift 3 2>/dev/null || shift $#
	ip netns exec "$server" $PY "$HERE/hostile_peer.py" server "$scen" --listen "$addr" "$@" \
		>"$TMP/$name.srv" 2>&1 &
	spid=$!
	busywait 20000 grep -q '^listening' "$TMP/$name.srv" || log "$name: the server does not listen"
	ip netns exec "$client" $PY "$HERE/hostile_peer.py" client "$scen" --server "$addr" "$@" \
		>"$TMP/$name.cli" 2>&1
	wait "$spid"
	CRES=$(sed -n 's/^result=\([a-z]*\).*/\1/p' "$TMP/$name.cli")
	SRES=$(sed -n 's/^result=\([a-z]*\).*/\1/p' "$TMP/$name.srv")
	[ "${HOSTILE_VERBOSE:-0}" = 1 ] && log "$name ($scen): client $(tail -n1 "$TMP/$name.cli"), server $(tail -n1 "$TMP/$name.srv")"
	return 0
}

# results_are NAME CLIENT SERVER: the result words of session NAME; logs both
# ends' last lines when they differ
results_are() {
	[ "$CRES" = "$2" ] && [ "$SRES" = "$3" ] && return 0
	log "$1: client $(tail -n2 "$TMP/$1.cli" | tr '\n' ' ')"
	log "$1: server $(tail -n2 "$TMP/$1.srv" | tr '\n' ' ')"
	log "$1: want client $2, server $3"
	return 1
}

# passes NAME SCENARIO [ADDR [ARGS]]: the session runs to its end on both
# sides with every byte as sent
passes() {
	hp "$@"
	results_are "$1" ok ok
}

# next_session_ok [ADDR]: the kernel survived: a normal session with one
# message is followed by the helper (sessions +1, messages +1, no anomaly
# counted) and passes unchanged
N_NEXT=0
next_session_ok() {
	N_NEXT=$((N_NEXT + 1))
	counters_save "$TMP/next$N_NEXT"
	passes next$N_NEXT normal "${1:-$S4}" &&
		deltas_are "$TMP/next$N_NEXT" sessions=1 messages=1 commands=5 lost_sync=0 \
			limit_hits=0 smuggling=0 bare_newlines=0 resets=0 drops=0
}

# reset_case WHAT NAME SCENARIO RULE DELTA...: hostile_peer's SCENARIO
# (session NAME) under a policy that resets it: both ends see the RST, the
# counters move by DELTAs and one RULE reset event is announced
reset_case() {
	local what=$1 name=$2 scen=$3 rule=$4 deltas
	shift 4
	deltas=("$@")
	counters_save "$TMP/c"
	hp "$name" "$scen"
	check "$what" eval 'results_are "$name" reset reset &&
		deltas_are "$TMP/c" "${deltas[@]}" && events_are "$EV" 1 "$rule" reset'
}

# the defaults of every key these tests change
policy_defaults() {
	policy cmd-line-max 0 cmd-line-action reset body-line-max 0 body-line-action log \
		header-line-max 0 header-line-action reset bare-newline off smuggling log
}

# ---- overlong lines ---------------------------------------------------------

phase "overlong lines"
policy_defaults
counters_save "$TMP/c"
check "overlong: a 64 KB command line passes byte-identical both ways; cmd-line-max 0: no limit hit, no reset; lost sync (exim would run its tail as a command)" \
	eval 'passes long_cmd long_cmd &&
	      deltas_are "$TMP/c" commands=1 limit_hits=0 lost_sync=1 resets=0'
counters_save "$TMP/c"
check "overlong: a 64 KB reply line and a 64 KB body line pass byte-identical; the message is counted, nothing else" \
	eval 'passes long_reply long_reply && passes long_body long_body &&
	      deltas_are "$TMP/c" messages=1 limit_hits=0 lost_sync=0 resets=0'

policy cmd-line-max 512 cmd-line-action reset
reset_case "overlong: cmd-line-max 512 reset, a 600-octet command line: client and server see the RST; limit_hits +1, resets +1, one cmd-line reset event" \
	cmd600 long_cmd_600 cmd-line limit_hits=1 resets=1 lost_sync=0
counters_save "$TMP/c"
hp cmd64k long_cmd
check "overlong: cmd-line-max 512 reset, a 64 KB command line: client and server see the RST; limit_hits +1, resets +1" \
	eval 'results_are cmd64k reset reset && deltas_are "$TMP/c" limit_hits=1 resets=1'
policy cmd-line-max 0
policy body-line-max 998 body-line-action drop
counters_save "$TMP/c"
hp body64k long_body "$S4" --timeout 8
check "overlong: body-line-max 998 drop, a 64 KB body line: the connection goes silent (both ends time out); limit_hits +1, drops +1" \
	eval 'results_are body64k timeout timeout && deltas_are "$TMP/c" limit_hits=1 drops=1 resets=0'
policy_defaults
check "overlong: the kernel survives: the next session is followed and passes" next_session_ok

# ---- NUL ----------------------------------------------------------------------

phase "NUL"
counters_save "$TMP/c"
check "nul: NUL in the greeting, commands, replies, a header name and the text pass byte-identical; still followed (messages +1, commands +7), no lost sync" \
	eval 'passes nul nul && deltas_are "$TMP/c" messages=1 commands=7 lost_sync=0 resets=0'
check "nul: the kernel survives: the next session is followed and passes" next_session_ok

# ---- bare CR and LF ------------------------------------------------------------

phase "bare CR/LF"
counters_save "$TMP/c"
check "bare newlines: bare LF and CR in command lines and a bare-LF reply pass and are not message text (bare_newlines 0)" \
	eval 'passes bare_cmd bare_cmd && deltas_are "$TMP/c" commands=4 bare_newlines=0 lost_sync=0'
counters_save "$TMP/c"
check "bare newlines: a bare CR and a bare LF in message text: bare_newlines +2, delivered byte-identical (bare-newline off)" \
	eval 'passes bare_data bare_data && deltas_are "$TMP/c" bare_newlines=2 messages=1 resets=0'
policy bare-newline reset
reset_case "bare newlines: bare-newline reset: the same message is reset at its bare CR (client and server see the RST, resets +1, one bare-newline reset event)" \
	bare_reset bare_data bare-newline bare_newlines=1 resets=1 messages=0
policy_defaults
check "bare newlines: the kernel survives: the next session is followed and passes" next_session_ok

# ---- smuggling -----------------------------------------------------------------

phase "smuggling"
counters_save "$TMP/c"
check "smuggling: \\n.\\n \\r\\n.\\r \\r.\\r\\n \\n.\\r\\n \\r\\n.\\n in one message (default log): smuggling +5, bare_newlines +3, one message, delivered byte-identical, one event (per rule per packet)" \
	eval 'passes smuggle smuggle &&
	      deltas_are "$TMP/c" smuggling=5 bare_newlines=3 messages=1 resets=0 &&
	      events_are "$EV" 1 smuggling log'
counters_save "$TMP/c"
check "smuggling: MAIL, RCPT, DATA and the message text pipelined before the 354: smuggling +1 (text behind DATA), lost_sync +1, passes byte-identical" \
	eval 'passes data_pipelined data_pipelined &&
	      deltas_are "$TMP/c" smuggling=1 lost_sync=1 resets=0'
policy smuggling reset
reset_case "smuggling: smuggling reset: the first \\n.\\n resets the session (client and server see the RST); smuggling +1, resets +1, no message" \
	smuggle_reset smuggle smuggling smuggling=1 resets=1 messages=0
policy_defaults
check "smuggling: the kernel survives: the next session is followed and passes" next_session_ok

# ---- BDAT sizes ------------------------------------------------------------------

phase "BDAT sizes"
# bdat_case SCENARIO TEXT [ADDR]: the size does not fit: lost sync, followed
# again from the next reply on both sides
bdat_case() {
	# shellcheck disable=SC2034 # used in the eval string
	BC_SCEN=$1 BC_ADDR=${3:-$S4}
	counters_save "$TMP/c"
	check "bdat: $2 is too big: the parser stops claiming (lost_sync +1) and follows both directions again at the next reply (resyncs +2); passes byte-identical" \
		eval 'passes $BC_SCEN $BC_SCEN $BC_ADDR &&
		      deltas_are "$TMP/c" lost_sync=1 resyncs=2 resets=0 messages=0'
}
bdat_case bdat_20digits "BDAT 99999999999999999999999 (23 digits)"
bdat_case bdat_2p64 "BDAT 18446744073709551616 (2^64, 0 in 64 bits)"
bdat_case bdat_2p64_5 "BDAT 18446744073709551621 (2^64 + 5, 5 in 64 bits), over IPv6" "$S6"
bdat_case bdat_2p32 "BDAT 4294967296 (2^32, 0 in 32 bits)"
bdat_case bdat_2p32_1 "BDAT 4294967295 (2^32 - 1)"
check "bdat: the kernel survives: the next session is followed and passes" next_session_ok

# ---- replies without commands ----------------------------------------------------

phase "replies without commands"
counters_save "$TMP/c"
check "replies: 3 replies nobody asked for (two in a row after the EHLO reply, one multi-line; a 421 between commands) pass byte-identical; the first is lost sync (which command would the next answer?), the 421 is not (lost_sync +1, replies +7)" \
	eval 'passes unsolicited unsolicited && deltas_are "$TMP/c" lost_sync=1 replies=7 commands=3 resets=0'
counters_save "$TMP/c"
check "replies: a server line that is no reply: lost_sync +1, both directions followed again (resyncs +2), passes byte-identical" \
	eval 'passes not_replies not_replies && deltas_are "$TMP/c" lost_sync=1 resyncs=2 resets=0'
check "replies: the kernel survives: the next session is followed and passes" next_session_ok

# ---- 100k-line folded header ---------------------------------------------------------

phase "folded header"
policy header-line-max 998 header-line-action reset
counters_save "$TMP/c"
check "folded header: a field folded over 100000 lines (1.2 MB) passes byte-identical with header-line-max 998 reset (a limit per line); one message, no limit hit" \
	eval 'passes folded folded_header "$S4" --timeout 120 &&
	      deltas_are "$TMP/c" messages=1 limit_hits=0 lost_sync=0 resets=0'
policy_defaults
check "folded header: the kernel survives: the next session is followed and passes" next_session_ok

# ---- binary garbage -------------------------------------------------------------------

phase "binary garbage"
counters_save "$TMP/c"
check "garbage: 16 KB of binary from the client in command mode pass byte-identical; no lost sync, no limit hit (cmd-line-max 0), no reset" \
	eval 'passes garbage_client garbage_client && deltas_are "$TMP/c" lost_sync=0 limit_hits=0 resets=0 drops=0'
counters_save "$TMP/c"
check "garbage: 16 KB of binary from the server as a reply pass byte-identical; lost_sync +1, no reset" \
	eval 'passes garbage_server garbage_server && deltas_are "$TMP/c" lost_sync=1 resets=0 drops=0'
check "garbage: the kernel survives: the next session is followed and passes" next_session_ok

# ---- random bytes both ways -------------------------------------------------------------

phase "random"
# random_sessions ADDR FIRST LAST: seeds FIRST..LAST; all pass
random_sessions() {
	local s bad=0
	for s in $(seq "$2" "$3"); do
		passes random$s random "$1" --seed "$s" || bad=$((bad + 1))
	done
	[ $bad = 0 ] || { log "$bad random sessions failed"; return 1; }
}
counters_save "$TMP/c"
check "random: 10 sessions of random bytes both ways (40 chunks up to 3000 octets, server first, IPv4) pass byte-identical; each loses sync, none is reset" \
	eval 'random_sessions $S4 1 10 && deltas_are "$TMP/c" sessions=10 lost_sync=10 resets=0 drops=0'
counters_save "$TMP/c"
check "random: 5 more over IPv6 (seeds 11-15) pass byte-identical; each loses sync, none is reset" \
	eval 'random_sessions $S6 11 15 && deltas_are "$TMP/c" sessions=5 lost_sync=5 resets=0 drops=0'
check "random: the kernel survives: the next session over IPv4 is followed and passes" next_session_ok
check "random: the kernel survives: the next session over IPv6 is followed and passes" next_session_ok "$S6"

# ---- the kernel log ---------------------------------------------------------------------

check "kernel log: no BUG, WARNING, KASAN, UBSAN, lockdep, refcount or leak report since the test started" \
	kernel_log_clean

ktap_finished
