#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Shared bits of the smtp_fixup*.sh tests: setup (each step's undo deferred,
# lib.sh), policy and counters in the gateway through nfsmtp, packet
# captures, the clients (swaks, smtplib, the raw client) and msgtool.py's
# deliveries. The event monitor and postfix's deliveries and log
# (gw_nfsmtp, monitor_*, mail_*, maillog_*, delivered_as) are lib.sh's.
# Source after lib.sh and postfix.sh.

# fixup_begin PLAN [GW_SETUP]: KTAP header and plan; the module, the
# topology, the helper in the gateway (GW_SETUP, default gw_nft_helper) and
# postfix with STARTTLS in the server namespace, as one test point; the test
# ends there when any of it fails.  Sets TMP, PF (postfix's directory) and
# NMAIL (deliveries so far).
fixup_begin() {
	local plan=$1 gw_setup=${2:-gw_nft_helper}

	TMP=$(mktemp -d)
	defer rm -rf "$TMP"
	chmod 755 "$TMP"
	PF=$TMP/pf
	NMAIL=0
	ktap_begin "$plan"
	if ! load_module || ! topo_setup || ! $gw_setup; then
		ktap_test_fail "module, client-gw-server topology and the helper in the gateway come up"
		ktap_finished
	fi
	if ! postfix_start "$server" "$PF"; then
		ktap_test_fail "postfix starts in the server namespace"
		ktap_finished
	fi
	ktap_test_pass "topology, helper in the gateway and postfix with STARTTLS up"
	log "[${SECONDS}s] setup done"
}

# check_show "description" "FILE..." cmd...: check, and on failure the
# files that tell why, as comments
check_show() {
	local what=$1 files=$2 f
	shift 2
	if "$@"; then
		ktap_test_pass "$what"
	else
		ktap_test_fail "$what"
		for f in $files; do
			log "---- $(basename "$f"):"
			head -c 3000 "$f" | head -60 | sed 's/^/#   /'
		done
	fi
}

# ---- policy and counters in the gateway ---------------------------------------

# gw_policy [profile N] KEY VALUE...: profile N (default 0) at the defaults
# of smtp_profile_default() for the keys these tests change, but for the
# ones given
gw_policy() {
	local prof=0 k
	local -A kv=([starttls]=allow [banner]=keep [commands]=all [command-action]=mask
		     [rcpt-max]=0 [rcpt-action]=mask [starttls-injection]=reset
		     [bare-newline]=off)
	local args=()

	if [ "$1" = profile ]; then
		prof=$2
		shift 2
	fi
	while [ $# -ge 2 ]; do
		kv[$1]=$2
		shift 2
	done
	for k in "${!kv[@]}"; do
		args+=("$k" "${kv[$k]}")
	done
	gw_nfsmtp policy set profile "$prof" "${args[@]}"
}

gw_stats_reset() { gw_nfsmtp stats reset; }

# gw_snat / gw_snat_del: masquerade what leaves the gateway to the server
gw_snat() {
	ip netns exec "$gw" nft -f - <<-EOF
	table ip smtp_nat {
		chain post {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "sveth" masquerade
		}
	}
	EOF
}

gw_snat_del() { ip netns exec "$gw" nft delete table ip smtp_nat; }

# gw_stats FILE: the gateway's counters as JSON (nfsmtp stats -j)
gw_stats() { gw_nfsmtp stats -j >"$1"; }

# json_num KEY FILE: a number of a flat JSON object as nfsmtp writes it
json_num() {
	grep -o "\"$1\":[0-9]*" "$2" | head -1 | cut -d: -f2
}

# counters_are FILE KEY=VALUE...: each counter of the stats -j FILE has the
# value (VALUE may be +N for "at least N"); logs what differs
counters_are() {
	local file=$1 kv k v got ok=0
	shift
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		got=$(json_num "$k" "$file")
		if [ -z "$got" ]; then
			log "counter $k missing"
			ok=1
		elif [ "${v:0:1}" = + ]; then
			[ "$got" -ge "${v:1}" ] || { log "counter $k = $got, want >= ${v:1}"; ok=1; }
		elif [ "$got" != "$v" ]; then
			log "counter $k = $got, want $v"
			ok=1
		fi
	done
	return $ok
}

# ---- captures -----------------------------------------------------------------------

# capture_start NS FILE FILTER...: tcpdump on NS's veth0 into FILE, every
# packet written at once, once it listens
capture_start() {
	local ns=$1 file=$2
	shift 2
	ip netns exec "$ns" tcpdump -i veth0 -n -s 0 -U -w "$file" "$@" 2>"$file.err" &
	CAP_PID=$!
	defer bg_kill "$CAP_PID"
	busywait 10000 grep -q "listening on" "$file.err"
}

# capture_settled FILE: FILE kept its size for three looks 0.2 s apart
capture_settled() {
	local size n=0
	size=$(wc -c <"$1")
	while [ $n -lt 3 ]; do
		sleep 0.2
		[ "$(wc -c <"$1")" = "$size" ] || return 1
		n=$((n + 1))
	done
}

# occurs_ge STRING N FILE: STRING is in FILE at least N times
occurs_ge() { [ "$(occurrences "$1" "$3")" -ge "$2" ]; }

# capture_stop FILE [STRING [N]]: once tcpdump has written what it got
# (SIGINT drops what it has not read yet, and it lags behind under
# emulation): the last packets expected hold STRING N times (default 1)
capture_stop() {
	[ $# -ge 2 ] && busywait 10000 occurs_ge "$2" "${3:-1}" "$1"
	busywait 10000 capture_settled "$1"
	kill -INT "$CAP_PID"
	wait "$CAP_PID" 2>/dev/null
}

# occurrences STRING FILE: how often STRING is in FILE (a capture, a log)
occurrences() {
	grep -aoF -- "$1" "$2" | wc -l
}

# ---- clients ---------------------------------------------------------------------------

# swaks_in NS SERVER OUT ARGS...: swaks in NS, transcript in OUT; its status
swaks_in() {
	local ns=$1 srv=$2 out=$3
	shift 3
	ip netns exec "$ns" swaks --server "$srv" --helo client.example.com \
		--from alice@example.com --to bob@example.org --timeout 60 "$@" >"$out" 2>&1
}

# send_in NS SERVER OUT ARGS...: smtp_send.py (smtplib) in NS
send_in() {
	local ns=$1 srv=$2 out=$3
	shift 3
	ip netns exec "$ns" $PY "$HERE/smtp_send.py" --server "$srv" "$@" >"$out" 2>&1
}

# raw_in NS SERVER OUT STEP...: smtp_raw.py raw in NS
raw_in() {
	local ns=$1 srv=$2 out=$3
	shift 3
	ip netns exec "$ns" $PY "$HERE/smtp_raw.py" raw --server "$srv" "$@" >"$out" 2>&1
}

# ---- the server: deliveries and log ---------------------------------------------------

# delivered_is DIR NAME FILE: the delivery of msgtool.py's message NAME (by
# its Message-ID) is FILE as sent
delivered_is() {
	local eml
	eml=$(grep -l "^Message-ID: <$2\." "$1"/mail/*.eml 2>/dev/null | head -1)
	[ -n "$eml" ] || { log "no delivery of $2"; return 1; }
	delivered_body "$eml" | cmp -s - "$3" || { log "delivery of $2 differs"; return 1; }
}
