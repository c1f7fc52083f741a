#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Control plane test: the nfsmtp tool against the module's nf_smtp generic
# netlink family. Every policy key round-trips on every profile; the kernel's
# refusals reach the user as its extack text; CAP_NET_ADMIN guards every
# operation; policy and counters stay in their network namespace; stats,
# monitor and conns work on a live gateway (conns lists the SMTP sessions and
# nothing else); and each subcommand runs clean under valgrind.

source "$(dirname "$0")/lib.sh"

NFSMTP=${NFSMTP:-$NFSMTP_TOP/build/nfsmtp}
TMP=$(mktemp -d)
defer rm -rf "$TMP"
chmod 755 "$TMP"
mkdir -m 1777 "$TMP/w"	# for what runs as nobody

ktap_begin 43

# "${NOBODY[@]}" CMD...: CMD as an unprivileged user, without capabilities
# (an array, not a function: in the background, $! is then CMD's own pid)
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
nobody() {
	"${NOBODY[@]}" "$@"
}

# stop PID SIG: send SIG, wait up to 60 s for PID to end, then SIGKILL it;
# the exit status is PID's (137 when killed)
stop() {
	local pid=$1 sig=$2 n=0
	kill -"$sig" "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ $n -lt 600 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid"
}

# json_ok FILE: FILE holds valid JSON
json_ok() {
	$PY -m json.tool "$1" >/dev/null
}

# vg NAME CODE CMD...: CMD under valgrind exits CODE (not 99) with no
# memory error and no leak; NAME names the log
VG=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,possible)
vg() {
	local name=$1 code=$2 rc
	shift 2
	"${VG[@]}" --log-file="$TMP/vg-$name.log" "$@" >"$TMP/vg-$name.out" 2>"$TMP/vg-$name.err"
	rc=$?
	if [ "$rc" -ne "$code" ] || ! grep -q 'ERROR SUMMARY: 0 errors' "$TMP/vg-$name.log"; then
		log "valgrind $name: exit $rc (want $code)"
		grep -E 'ERROR SUMMARY|definitely|possibly|Invalid|uninitialised' \
			"$TMP/vg-$name.log" | head -20 | sed 's/^/# /'
		return 1
	fi
}

# nl_sock_of PID [NS]: groups of PID's generic netlink socket (portid = PID
# for a process's first one) in this netns or NS
nl_sock_of() {
	local ns=(${2:+ip netns exec "$2"})
	"${ns[@]}" awk -v pid="$1" '$2 == 16 && $3 == pid { print $4; found = 1 } END { exit !found }' \
		/proc/net/netlink
}

# subscribed PID GROUP [NS]: PID's generic netlink socket is in multicast GROUP
# (/proc shows the first 32 groups; past those, the socket's presence)
subscribed() {
	local groups
	groups=$(nl_sock_of "$1" "${3:-}") || return 1
	[ "$2" -ge 32 ] && return 0
	[ $((0x$groups & (1 << ($2 - 1)))) -ne 0 ]
}

# (in decimal: genl prints it in hex, and newer kernels have ids above 9)
events_group_id() {
	local id
	id=$(genl ctrl get name nf_smtp 2>/dev/null |
		sed -n 's/.*ID-0x\([0-9a-f]*\)[[:space:]]*name: events.*/\1/p' | head -1)
	[ -n "$id" ] && echo $((16#$id))
}

# ---- the tool alone ----------------------------------------------------------

KEYS="starttls banner ehlo-mask commands cmd-line-max rcpt-max header-line-max body-line-max
	command-action cmd-line-action rcpt-action header-line-action body-line-action
	dup-headers smuggling bare-newline starttls-injection profile-mark-mask profile-mark-shift"

help_ok() {
	local k
	"$NFSMTP" --version | grep -q "^nfsmtp " || return 1
	"$NFSMTP" --help | grep -q "policy set" || return 1
	for sub in "policy show" stats monitor conns; do
		$NFSMTP $sub --help | grep -q "^Usage: nfsmtp $sub" || { log "no help for $sub"; return 1; }
	done
	"$NFSMTP" policy set --help >"$TMP/help" || return 1
	for k in $KEYS; do
		grep -q "^  $k " "$TMP/help" || { log "policy set --help lacks $k"; return 1; }
	done
}
check "--version and --help exit 0; each command has help; policy set --help lists every key" help_ok

check "usage errors exit 2 with one line: unknown command, unknown key (lists the keys), bad value (lists the values)" eval '
	fails 2 "unknown command \"frob\"" "$NFSMTP" frob &&
	fails 2 "unknown key \"tls\": the keys are profile, starttls, banner, ehlo-mask" \
		"$NFSMTP" policy set tls strip &&
	fails 2 "bad value \"maybe\" for starttls: use allow or strip" \
		"$NFSMTP" policy set starttls maybe &&
	fails 2 "bad value \"block\" for smuggling: use off, log, mask, drop or reset" \
		"$NFSMTP" policy set smuggling block &&
	fails 2 "unknown EHLO keyword \"BDAT\" in ehlo-mask: use none, all, or a comma-separated list of" \
		"$NFSMTP" policy set ehlo-mask STARTTLS,BDAT &&
	fails 2 "bad value \"70000\" for cmd-line-max: use a number from 0 to 65535" \
		"$NFSMTP" policy set cmd-line-max 70000'

# ---- without the module --------------------------------------------------------

# The family lookup would load the module through its alias once it is
# installed (smtp_helper_basic.sh does): keep modprobe out of it meanwhile.
if busywait 10000 unload_module; then
	defer_scope_push
	defer_sysctl kernel.modprobe
	echo /bin/false >/proc/sys/kernel/modprobe
	missing="nfsmtp: the nf_smtp netlink family is not there: load the module (modprobe nf_conntrack_smtp)"
	check "without the module: exit 1 and one line saying to load it" \
		fails 1 "$missing" "$NFSMTP" policy show
	check "valgrind: the family-missing path is clean" \
		eval 'vg nofamily 1 "$NFSMTP" stats && grep -qxF "$missing" "$TMP/vg-nofamily.err"'
	defer_scope_pop
else
	ktap_test_skip "without the module: exit 1 and one line saying to load it (module busy)"
	ktap_test_skip "valgrind: the family-missing path is clean (module busy)"
fi

check "module loads" load_module
if ! grep -q '^nf_conntrack_smtp ' /proc/modules; then
	log "no module: nothing more to test"
	ktap_finished
fi

# ---- policy --------------------------------------------------------------------

# policy_json CMD [ARGS]: nfsmtp_json.py's policy checks (defaults, round trip, ...)
policy_json() { $PY "$HERE/nfsmtp_json.py" policy "$NFSMTP" "$@"; }

check "policy show -j: 8 profiles, all at smtp_profile_default(), mark mask/shift 0" policy_json defaults
check "policy set then show -j round-trips every key on every profile 0-7 (and profile N alone)" \
	policy_json roundtrip
check "partial update: setting one key of profile 3 changes nothing else" policy_json partial
# the text output is policy set lines: their arguments make another profile equal
check "policy show text: profile 4's policy set lines, retargeted at profile 6, make it equal" eval '
	args=$("$NFSMTP" policy show profile 4 | sed -n "s/^policy set profile 4 //p" | tr "\n" " ") &&
	"$NFSMTP" policy set profile 6 $args && policy_json same 4 6'

# ---- the kernel's refusals -----------------------------------------------------------

check "kernel refuses mask for smuggling: its extack text, exit 1" \
	fails 1 "nfsmtp: kernel: action mask does not apply to this rule: nothing to rewrite (smuggling)" \
	"$NFSMTP" policy set smuggling mask
check "kernel refuses off for command-action: its extack text, exit 1" \
	fails 1 "nfsmtp: kernel: action off does not apply to this rule: set its limit or command set instead (command-action)" \
	"$NFSMTP" policy set command-action off
check "kernel refuses out-of-range values with its range: line limits > 8000, shift > 31, profile > 7" eval '
	fails 1 "nfsmtp: kernel: integer out of range (cmd-line-max: 0 to 8000)" \
		"$NFSMTP" policy set cmd-line-max 8001 &&
	fails 1 "nfsmtp: kernel: integer out of range (header-line-max: 0 to 8000)" \
		"$NFSMTP" policy set profile 2 header-line-max 0xffff &&
	fails 1 "nfsmtp: kernel: integer out of range (body-line-max: 0 to 8000)" \
		"$NFSMTP" policy set body-line-max 9000 &&
	fails 1 "nfsmtp: kernel: integer out of range (profile-mark-shift: 0 to 31)" \
		"$NFSMTP" policy set profile-mark-shift 32 &&
	fails 1 "nfsmtp: kernel: integer out of range (profile: 0 to 7)" \
		"$NFSMTP" policy set profile 8 banner mask &&
	fails 1 "nfsmtp: kernel: integer out of range (profile: 0 to 7)" \
		"$NFSMTP" policy show profile 9'
check "a refused request changes nothing: starttls stays when smuggling mask is refused" eval '
	"$NFSMTP" policy set profile 1 starttls allow &&
	fails 1 "action mask does not apply" "$NFSMTP" policy set profile 1 starttls strip smuggling mask &&
	[ "$(policy_json get 1 starttls)" = "\"allow\"" ]'

# ---- privileges ----------------------------------------------------------------

eperm="needs CAP_NET_ADMIN in this network namespace"
check "unprivileged user: policy set refused (permission denied ... CAP_NET_ADMIN), policy unchanged" eval '
	"$NFSMTP" policy set profile 2 banner keep &&
	fails 1 "nfsmtp: permission denied: changing policy $eperm" \
		nobody "$NFSMTP" policy set profile 2 banner mask &&
	[ "$(policy_json get 2 banner)" = "\"keep\"" ]'
check "unprivileged user: stats reset refused (permission denied ... CAP_NET_ADMIN)" \
	fails 1 "nfsmtp: permission denied: resetting counters $eperm" nobody "$NFSMTP" stats reset
check "unprivileged user: reading policy and counters refused too (every op is admin-only)" eval '
	fails 1 "nfsmtp: permission denied: reading policy $eperm" nobody "$NFSMTP" policy show &&
	fails 1 "nfsmtp: permission denied: reading counters $eperm" nobody "$NFSMTP" stats'
if nobody unshare -Urn true 2>/dev/null; then
	userns_set() {
		# shellcheck disable=SC2016 # $1 is the inner shell's
		nobody unshare -Urn sh -c '"$1" policy set profile 2 banner mask &&
			"$1" policy show profile 2 | grep -q "banner mask"' sh "$NFSMTP" &&
			[ "$(policy_json get 2 banner)" = '"keep"' ]
	}
	check "unprivileged user owning a user+net namespace sets policy there; ours stays unchanged" \
		userns_set
else
	ktap_test_skip "unprivileged user owning a user+net namespace sets policy there (no unprivileged user namespaces)"
fi

# Subscribing to "events": the family's ops all need CAP_NET_ADMIN, the
# multicast group should too (GENL_MCAST_CAP_NET_ADMIN).
"${NOBODY[@]}" "$NFSMTP" monitor >"$TMP/mon-nobody.out" 2>"$TMP/mon-nobody.err" &
mon=$!
defer bg_kill "$mon"
grp=$(events_group_id)
if busywait 5000 subscribed "$mon" "${grp:-1}"; then
	stop "$mon" INT
	ktap_test_skip "unprivileged user cannot subscribe to events: the kernel lets it (the events group has no GENL_MCAST_CAP_NET_ADMIN)"
else
	stop "$mon" INT
	check "unprivileged user cannot subscribe to events" \
		grep -qF "permission denied: monitoring events $eperm" "$TMP/mon-nobody.err"
fi

# ---- namespaces ----------------------------------------------------------------

setup_ns nsa nsb
check "policy set in one netns changes neither another netns nor the initial one" eval '
	"$NFSMTP" policy set profile 5 starttls-injection log &&
	ip netns exec "$nsa" "$NFSMTP" policy set profile 5 starttls-injection off cmd-line-max 77 \
		profile-mark-mask 0xf &&
	ip netns exec "$nsa" "$NFSMTP" policy show profile 5 | grep -q "cmd-line-max 77" &&
	ip netns exec "$nsb" "$NFSMTP" policy show profile 5 >"$TMP/nsb" &&
	grep -q "starttls-injection reset" "$TMP/nsb" && grep -q "cmd-line-max 0 " "$TMP/nsb" &&
	grep -q "^policy set profile-mark-mask 0x0 " "$TMP/nsb" &&
	[ "$(policy_json get 5 starttls_injection)" = "\"log\"" ] &&
	"$NFSMTP" policy show | grep -q "^policy set profile-mark-mask 0xff00 "'

# ---- stats ----------------------------------------------------------------------

# same_as_proc NS: stats -j of NS has exactly the counters of its /proc file
same_as_proc() {
	ip netns exec "$1" "$NFSMTP" stats -j >"$TMP/stats.json" &&
		ip netns exec "$1" cat /proc/net/nf_conntrack_smtp >"$TMP/stats.proc" &&
		$PY "$HERE/nfsmtp_json.py" stats "$TMP/stats.json" "$TMP/stats.proc"
}

check "stats -j is valid JSON (python3 -m json.tool)" \
	eval '"$NFSMTP" stats -j >"$TMP/s.json" && json_ok "$TMP/s.json"'
check "stats -j: every counter of /proc/net/nf_conntrack_smtp, as a number, same value" \
	same_as_proc "$nsa"

# ---- monitor --------------------------------------------------------------------

grp=$(events_group_id)
log "events multicast group id: ${grp:-unknown}"
"$NFSMTP" monitor >"$TMP/mon.out" 2>"$TMP/mon.err" &
mon=$!
defer bg_kill "$mon"
check "monitor subscribes to the events multicast group" busywait 10000 subscribed "$mon" "${grp:-1}"
stop "$mon" INT
rc=$?
check "monitor exits 0 on SIGINT, nothing on stderr (exit $rc)" \
	eval '[ $rc -eq 0 ] && [ ! -s "$TMP/mon.err" ]'
"$NFSMTP" monitor -j >"$TMP/mon.out" 2>"$TMP/mon.err" &
mon=$!
defer bg_kill "$mon"
busywait 10000 subscribed "$mon" "${grp:-1}"
stop "$mon" TERM
rc=$?
check "monitor -j exits 0 on SIGTERM (exit $rc)" eval '[ $rc -eq 0 ] && [ ! -s "$TMP/mon.err" ]'

# ---- a live gateway: conns and counters ---------------------------------------------

if ! topo_setup; then
	ktap_test_fail "client-gw-server topology comes up"
	ktap_finished
fi
ktap_test_pass "client-gw-server topology comes up"
# the helpers of the live gateway's tests end before the valgrind runs
defer_scope_push
# the helper on port 25; IPv4 SMTP is source-NATed to the gateway, IPv6
# SMTP gets ct mark 0x2a
gw_nat_mark() {
	ip netns exec "$gw" nft -f - <<-NFT
	table ip smtp_nat {
		chain post {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "sveth" tcp dport 25 snat to $GS4
		}
	}
	table ip6 smtp_mark {
		chain mark_fwd {
			type filter hook forward priority 0; policy accept;
			tcp dport 25 ct mark set 0x2a
		}
	}
	NFT
}
check "gateway: nft helper, SNAT for IPv4 SMTP, ct mark for IPv6 SMTP" \
	eval 'gw_nft_helper && gw_nat_mark'
sink_start "$server" :: "$TMP/mail" || log "sink did not start: $(cat "$TMP/mail.log")"
$PY "$HERE/msgtool.py" one "$TMP/m1" 5000 1

# two held SMTP sessions and one plain TCP connection through the gateway
hold() {	# hold SERVER READYFILE
	ip netns exec "$client" $PY "$HERE/smtp_send.py" --server "$1" --msg "$TMP/m1" \
		--hold 120 --ready "$2" >>"$TMP/send.log" 2>&1 &
	defer bg_kill $!
}
hold $S4 "$TMP/ready4"
hold $S6 "$TMP/ready6"
ip netns exec "$server" $PY "$HERE/tcp_hold.py" listen 0.0.0.0 8080 &
defer bg_kill $!
busywait 10000 port_listening "$server" 8080
ip netns exec "$client" $PY "$HERE/tcp_hold.py" connect $S4 8080 --ready "$TMP/ready_tcp" --hold 120 &
defer bg_kill $!
busywait 30000 eval 'test -f "$TMP/ready4" -a -f "$TMP/ready6" -a -f "$TMP/ready_tcp"' ||
	log "sessions not ready: $(cat "$TMP/send.log")"

ip netns exec "$gw" conntrack -L >"$TMP/ct.txt" 2>/dev/null
check "conntrack in the gateway tracks the plain TCP connection (port 8080) too" \
	grep -q 'dport=8080.*ESTABLISHED\|ESTABLISHED.*dport=8080' "$TMP/ct.txt"
ip netns exec "$gw" "$NFSMTP" conns >"$TMP/conns.txt" 2>"$TMP/conns.err"
sed 's/^/# conns: /' "$TMP/conns.txt"
check "conns lists the live IPv4 and IPv6 SMTP sessions, ESTABLISHED, helper smtp" eval '
	grep -q "^ipv4 tcp ESTABLISHED timeout [0-9]* $C4:[0-9]* > $S4:25 reply $S4:25 > $GS4:[0-9]* mark 0x0 helper smtp session plaintext$" "$TMP/conns.txt" &&
	grep -q "^ipv6 tcp ESTABLISHED timeout [0-9]* \[$C6\]:[0-9]* > \[$S6\]:25 mark 0x2a helper smtp session plaintext$" "$TMP/conns.txt"'
check "conns lists nothing else: not the plain TCP connection (2 lines, no 8080)" eval '
	[ "$(wc -l <"$TMP/conns.txt")" -eq 2 ] && ! grep -q 8080 "$TMP/conns.txt" &&
	[ ! -s "$TMP/conns.err" ]'
ip netns exec "$gw" "$NFSMTP" conns -j >"$TMP/conns.json"
check "conns -j: valid JSON, the two sessions with their tuples, NAT reply only for IPv4, marks" \
	$PY "$HERE/nfsmtp_json.py" conns "$TMP/conns.json" "$C4" "$S4" "$GS4" "$C6" "$S6"
check "valgrind: conns -j with live sessions is clean" \
	eval 'ip netns exec "$gw" "${VG[@]}" --log-file="$TMP/vg-conns.log" "$NFSMTP" conns -j \
		>"$TMP/vg-conns.out" 2>&1 && grep -q "ERROR SUMMARY: 0 errors" "$TMP/vg-conns.log" &&
		json_ok "$TMP/vg-conns.out"'

# events: monitors in the gateway see a command outside the allow-list
ip netns exec "$gw" "$NFSMTP" monitor >"$TMP/ev.txt" 2>"$TMP/ev.err" &
mon_text=$!
ip netns exec "$gw" "$NFSMTP" monitor -j >"$TMP/ev.json" 2>>"$TMP/ev.err" &
mon_json=$!
defer bg_kill "$mon_text" "$mon_json"
busywait 10000 subscribed "$mon_text" "${grp:-1}" "$gw"
busywait 10000 subscribed "$mon_json" "${grp:-1}" "$gw"
ip netns exec "$gw" "$NFSMTP" policy set commands mailguard command-action log
# smtplib says EHLO, which mailguard does not allow: logged, not masked
ip netns exec "$client" $PY "$HERE/smtp_send.py" --server $S4 --msg "$TMP/m1" >>"$TMP/send.log" 2>&1
busywait 10000 eval 'test -s "$TMP/ev.txt" -a -s "$TMP/ev.json"'
stop "$mon_text" INT
stop "$mon_json" INT
ip netns exec "$gw" "$NFSMTP" policy set commands all command-action mask
sed 's/^/# event: /' "$TMP/ev.txt"
check "monitor in the gateway prints the event of a command outside the allow-list" \
	grep -q "^ipv4 $C4:[0-9]* > $S4:25 dir client rule command action log detail \"EHLO\"$" \
	"$TMP/ev.txt"
check "monitor -j: one JSON object per line, with the session's tuple, rule, action and detail" \
	$PY "$HERE/nfsmtp_json.py" events "$TMP/ev.json" "$C4" "$S4"

sessions=$(stat "$gw" sessions)
check "stats in the gateway: the sessions counted (sessions=$sessions), same as /proc" eval '
	[ "${sessions:-0}" -ge 3 ] && same_as_proc "$gw"'
reset_scoped() {
	ip netns exec "$client" "$NFSMTP" stats reset || return 1
	[ "$(stat "$gw" sessions)" = "$sessions" ] || { log "client reset changed gw"; return 1; }
	ip netns exec "$gw" "$NFSMTP" stats reset || return 1
	ip netns exec "$gw" "$NFSMTP" stats -j | $PY "$HERE/nfsmtp_json.py" stats-zero
}
check "stats reset in another netns leaves the gateway's counters; in the gateway zeroes them" \
	reset_scoped

defer_scope_pop

# ---- every subcommand under valgrind ----------------------------------------------------

# The runs are slow under TCG: they go in parallel, each then checked.
declare -A VG_PID VG_WANT VG_RC
vg_start() {	# vg_start NAME CODE [PREFIX...] -- CMD...: start CMD under valgrind
	local name=$1 code=$2 pre=()
	shift 2
	while [ "$1" != -- ]; do
		pre+=("$1")
		shift
	done
	shift
	"${pre[@]}" "${VG[@]}" --log-file="$TMP/w/vg-$name.log" "$@" \
		>"$TMP/w/vg-$name.out" 2>"$TMP/w/vg-$name.err" &
	VG_PID[$name]=$!
	VG_WANT[$name]=$code
}
vg_done() {	# vg_done NAME: it exited as wanted, valgrind found no error or leak
	local name=$1 rc=${VG_RC[$1]:-}
	if [ -z "$rc" ]; then
		wait "${VG_PID[$name]}"
		rc=$?
	fi
	if [ "$rc" -ne "${VG_WANT[$name]}" ] ||
		! grep -q 'ERROR SUMMARY: 0 errors' "$TMP/w/vg-$name.log"; then
		log "valgrind $name: exit $rc (want ${VG_WANT[$name]}): $(head -c 300 "$TMP/w/vg-$name.err")"
		grep -E 'ERROR SUMMARY|definitely|possibly|Invalid|uninitialised' \
			"$TMP/w/vg-$name.log" | head -20 | sed 's/^/# /'
		return 1
	fi
}

vg_start show-dump 0 -- "$NFSMTP" policy show -j
vg_start show-one 0 -- "$NFSMTP" policy show profile 2
vg_start set 0 -- "$NFSMTP" policy set profile 7 starttls strip banner mask \
	ehlo-mask STARTTLS,unknown commands esmtp cmd-line-max 1000 rcpt-max 50 \
	header-line-max 1000 body-line-max 2000 command-action drop cmd-line-action log \
	rcpt-action reset header-line-action drop body-line-action reset dup-headers mask \
	smuggling log bare-newline drop starttls-injection off profile-mark-mask 0x7 \
	profile-mark-shift 0
vg_start set-refused 1 -- "$NFSMTP" policy set smuggling mask
vg_start stats 0 -- "$NFSMTP" stats -j
vg_start reset 0 -- "$NFSMTP" stats reset
vg_start eperm 1 "${NOBODY[@]}" -- "$NFSMTP" policy set banner mask
vg_start monitor 0 -- "$NFSMTP" monitor -j
busywait 120000 subscribed "${VG_PID[monitor]}" "${grp:-1}" || log "valgrind monitor did not subscribe"
stop "${VG_PID[monitor]}" INT
VG_RC[monitor]=$?

check "valgrind: policy show -j (dump) is clean" vg_done show-dump
check "valgrind: policy show profile 2 (doit) is clean" vg_done show-one
check "valgrind: policy set of every key is clean" vg_done set
check "valgrind: policy set refused by the kernel (extack path) is clean" vg_done set-refused
check "valgrind: stats -j is clean" vg_done stats
check "valgrind: stats reset is clean" vg_done reset
check "valgrind: permission denied path is clean" vg_done eperm
check "valgrind: monitor until SIGINT is clean" vg_done monitor

ktap_finished
