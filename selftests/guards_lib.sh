#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Shared bits of the guard tests (smtp_guards.sh, smtp_smuggling.sh,
# smtp_bdat.sh, and smtp_faults.sh, smtp_hostile.sh for their setup): the
# topology with postfix as the server in $PF, policy and counters of the
# gateway, its events, and the deliveries by Subject. The event monitor and
# postfix's deliveries and log (gw_nfsmtp, monitor_*, mail_*, maillog_*) are
# lib.sh's: they take "$PF" first. Source after lib.sh and postfix.sh.

PF=''

# guards_dump: on a failure, or GUARDS_VERBOSE=1, what the clients,
# postfix and the helper said (deferred by guards_setup after its last
# step: it runs before postfix stops and $TMP goes)
guards_dump() {
	local p
	if [ -n "${TMP:-}" ] && { [ "$KTAP_CNT_FAIL" -gt 0 ] || [ "${GUARDS_VERBOSE:-0}" = 1 ]; }; then
		for p in "$TMP"/*.out "$TMP"/events "$PF/maillog" "$TMP"/exim/log/mainlog; do
			[ -s "$p" ] || continue
			echo "# ---- ${p#"$TMP"/} (last 40 lines)"
			tail -n 40 "$p" | grep -v '^S: 250-' | cut -c1-220 | sed 's/^/#   /'
		done
		echo "# ---- kernel log"
		dmesg | grep nf_conntrack_smtp | tail -n 20 | sed 's/^/#   /'
	fi
}

# guards_begin PLAN [main.cf lines]: KTAP header and plan, then
# guards_setup; when that fails, one failed point and the test ends. Sets
# M (the messages) and EV (the helper's events).
guards_begin() {
	local plan=$1
	shift
	ktap_print_header
	ktap_set_plan "$plan"
	if ! guards_setup "$@"; then
		ktap_test_fail "setup: module, client - gw - server, postfix, messages"
		ktap_finished
	fi
	M=$TMP/m
	EV=$TMP/events
}

# guards_setup [main.cf lines]: module, client - gw - server with the helper
# on port 25, a postfix server, an RSA key (DKIM and the server's
# certificate) and, unless GUARDS_NO_MSGS=1, the test messages in $TMP/m
# (msgtool.py guards). However far it gets, the dump of the logs is deferred
# after its steps' undos.
guards_setup() {
	local rc
	TMP=$(mktemp -d)
	defer rm -rf "$TMP"
	guards_setup_steps "$@"
	rc=$?
	defer guards_dump
	return $rc
}

guards_setup_steps() {
	chmod 755 "$TMP"
	load_module || { log "module does not load"; return 1; }
	topo_setup || { log "topology does not come up"; return 1; }
	gw_nft_helper || { log "nft helper rule refused"; return 1; }
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out "$TMP/key.pem" 2>/dev/null || { log "openssl genpkey failed"; return 1; }
	DKIM_P=$(openssl pkey -in "$TMP/key.pem" -pubout -outform DER | base64 -w0)
	PF=$TMP/pf
	mkdir -p "$PF/etc" "$TMP/m"
	# the server's certificate from the same key: no second key generation
	cp "$TMP/key.pem" "$PF/etc/key.pem"
	openssl req -x509 -key "$TMP/key.pem" -days 2 -subj "/CN=mx.example.net" \
		-out "$PF/etc/cert.pem" 2>/dev/null || { log "openssl req failed"; return 1; }
	if [ "${GUARDS_NO_MSGS:-0}" != 1 ]; then
		$PY "$HERE/msgtool.py" guards "$TMP/m" "$TMP/key.pem" ||
			{ log "msgtool.py guards failed"; return 1; }
	fi
	postfix_start "$server" "$PF" "" "${1:-}" || { log "postfix does not start"; return 1; }
	log "setup done after ${SECONDS}s"
}

# phase NAME: log the time a phase starts (guest seconds since the start)
phase() { log "${SECONDS}s: $*"; }

# ---- the gateway ------------------------------------------------------------

# policy KEY VALUE...: profile 0 of the gateway
policy() { gw_nfsmtp policy set "$@" >/dev/null; }

# counters_save FILE: the gateway's counters now
counters_save() { ip netns exec "$gw" cat /proc/net/nf_conntrack_smtp >"$1"; }

# delta FILE NAME: how much counter NAME grew since counters_save FILE
delta() {
	local was
	was=$(awk -v k="$2" '$1 == k { print $2 }' "$1")
	echo $(($(stat "$gw" "$2") - ${was:-0}))
}

# deltas_are FILE NAME=N...: each counter grew by exactly N; logs what differs
deltas_are() {
	local file=$1 kv d ok=0
	shift
	for kv in "$@"; do
		d=$(delta "$file" "${kv%%=*}")
		if [ "$d" != "${kv#*=}" ]; then
			log "counter ${kv%%=*} grew by $d, want ${kv#*=}"
			ok=1
		fi
	done
	return $ok
}

# events FILE RULE ACTION [DETAIL]: how many events of the monitor FILE match
events() {
	local pat="\"rule\":\"$2\",\"action\":\"$3\""
	[ -n "${4:-}" ] && pat="$pat,\"detail\":\"$4\""
	grep -cF -- "$pat" "$1"
}

# events_are FILE N RULE ACTION [DETAIL]: exactly N such events (they may
# take a moment to arrive)
events_ge() {
	local file=$1 n=$2
	shift 2
	[ "$(events "$file" "$@")" -ge "$n" ]
}

events_are() {
	local file=$1 n=$2
	shift 2
	busywait 3000 events_ge "$file" "$n" "$@"
	[ "$(events "$file" "$@")" = "$n" ] ||
		{ log "$(events "$file" "$@") events $*, want $n"; return 1; }
}

# ---- what postfix did -------------------------------------------------------

# queue_empty: postfix holds no message (none queued, none in delivery)
queue_empty() {
	[ -z "$(find "$PF/queue/incoming" "$PF/queue/active" "$PF/queue/deferred" \
		"$PF/queue/maildrop" -type f 2>/dev/null)" ]
}

# mail_with TEXT: the delivered files whose header section holds the line TEXT
mail_with() {
	local f=("$PF"/mail/*.eml)
	[ -f "${f[0]}" ] || return 0
	awk -v t="$1" 'FNR == 1 { h = 1 } /^$/ { h = 0 } h && $0 == t { print FILENAME; nextfile }' "${f[@]}"
}

# subjects_read: SUBJ[text] = how many deliveries have the header field
# "Subject: text" (one awk over all of them)
declare -A SUBJ
subjects_read() {
	local n t f=("$PF"/mail/*.eml)
	SUBJ=()
	[ -f "${f[0]}" ] || return 0
	while read -r n t; do
		SUBJ[$t]=$n
	done < <(awk 'FNR == 1 { h = 1 } /^$/ { h = 0 }
		h && /^Subject: / { c[substr($0, 10)]++; nextfile }
		END { for (s in c) print c[s], s }' "${f[@]}")
}

# subj TEXT: deliveries with "Subject: TEXT" as last read by subjects_read
subj() { echo "${SUBJ[$1]:-0}"; }

# results_read OUT: RES[n] = result of session or sequence n of a
# smtp_raw.py run
declare -a RES
results_read() {
	local n r
	RES=()
	while read -r n r; do
		RES[n]=$r
	done < <(sed -n 's/^\(session\|smuggle\) \([0-9]*\) result=\([a-z]*\).*/\2 \3/p' "$1")
}

# as_sent FILE [N]: a delivery as its client sent it: without the first N
# (default 1) Received fields, the ones the servers on the way prepended,
# and with CRLF line ends again
as_sent() {
	awk -v n="${2:-1}" '
		skip && /^[ \t]/ { next }
		{ skip = 0 }
		n > 0 && /^Received:/ { n--; skip = 1; next }
		{ n = 0; print }' "$1" | sed 's/$/\r/'
}

# subject_delivered_as SUBJECT SENT [N]: exactly one delivery has
# "Subject: SUBJECT" and it is SENT byte for byte (sha256), N Received
# fields aside
subject_delivered_as() {
	local f n
	f=$(mail_with "Subject: $1")
	n=$(echo "$f" | grep -c .)
	[ "$n" = 1 ] || { log "$n deliveries with Subject: $1"; return 1; }
	if [ "$(as_sent "$f" "${3:-1}" | sha256sum)" != "$(sha256sum <"$2")" ]; then
		log "delivery $(basename "$f") differs from $(basename "$2"):"
		as_sent "$f" "${3:-1}" | diff -a - "$2" | head -10 | sed 's/^/#   /'
		return 1
	fi
}

# client OUT ARGS...: smtp_raw.py (session or smuggle) in the client
# namespace, its output in OUT; its status
client() {
	local out=$1
	shift
	ip netns exec "$client" $PY "$HERE/smtp_raw.py" --server $S4 "$@" >"$out" 2>&1
}

# client_results OUT: the result= words of a smtp_raw.py run, in order
client_results() { sed -n 's/^\(session\|smuggle\) [0-9]* result=\([a-z]*\).*/\2/p' "$1" | xargs; }
