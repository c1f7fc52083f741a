#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Gateway failover with conntrackd: SMTP sessions stay alive and inspected.
#
#   client --- gw1 (active) --- server (postfix)
#         \--- gw2 (backup) ---/
#   gw1 <-- sync link, conntrackd FTFW --> gw2
#
# Both gateways attach the helper with nft and carry the same policy:
# profile 0 (server 198.51.100.2) starttls strip + commands mailguard,
# profile 1 (server 198.51.100.4, ct mark 1) the defaults.  Raw client
# sessions are opened through gw1 and paused; gw2 commits conntrackd's
# external cache (the entries arrive with helper=smtp and no helper info:
# conntrackd 1.4.7 carries the helper's name only), one session's helper
# state is copied gw1 -> gw2 through ctnetlink (what a helper-info-carrying
# sync would do), the routes of client and server move to gw2, and the
# sessions go on:
#  - A (profile 0): gw2 picks it up mid-stream; the first command after the
#    switch is not touched (not yet resynchronised), the reply to the second
#    one resynchronises gw2, which masks the STARTTLS and VRFY that follow
#    (postfix answers 502);
#  - B (profile 0, state copied): gw2 masks the very first command;
#  - C (profile 0) and D (profile 1): picked up inside DATA; command-like
#    body lines after the switch reach postfix unchanged, the messages are
#    delivered byte-identical (sha256);
#  - no session is reset; gw2's counters show the three pickups.
# Then the helper info of a live session through gw2 and of entries created
# through ctnetlink is fuzzed (ct_helpinfo): garbage is refused, the live
# session's state is untouched and its message delivered byte-identical.

source "$(dirname "$0")/lib.sh"
source "$HERE/postfix.sh"
source "$HERE/fixup_lib.sh"

CTH=${CTH:-$NFSMTP_TOP/build/ct_helpinfo}
WAIT_MAX=$((120 * WAIT_SCALE))	# seconds a paused session waits for its go at most
FUZZ_N=${FAILOVER_FUZZ_N:-5000}
FUZZ_SEED=${FAILOVER_FUZZ_SEED:-$RANDOM}

# second gateway, the default-profile server address, the sync link
GC4B=192.0.2.3 GC6B=2001:db8:1::3
GS4B=198.51.100.3 GS6B=2001:db8:2::3
S4D=198.51.100.4
SYNC1=203.0.113.1 SYNC2=203.0.113.2

# ---- topology -------------------------------------------------------------------

# topo_failover: client and server each with one link to either gateway,
# their addresses on both (no bridge: the debug kernel has none); routes
# through gw1; a veth between gw1 and gw2 for conntrackd
topo_failover() {
	local ns
	setup_ns client gw1 gw2 server || return 1
	veth_pair "$client" l1 "$gw1" lan && veth_pair "$client" l2 "$gw2" lan &&
		veth_pair "$server" l1 "$gw1" wan && veth_pair "$server" l2 "$gw2" wan &&
		veth_pair "$gw1" sync0 "$gw2" sync0 || return 1
	for ns in "$client" "$server"; do
		ip -n "$ns" link set l1 up
		ip -n "$ns" link set l2 up
	done
	for dev in l1 l2; do
		ip -n "$client" addr add $C4/24 dev $dev
		ip -n "$client" addr add $C6/64 dev $dev nodad
		ip -n "$server" addr add $S4/24 dev $dev
		ip -n "$server" addr add $S4D/24 dev $dev
		ip -n "$server" addr add $S6/64 dev $dev nodad
	done
	ip -n "$gw1" addr add $GC4/24 dev lan
	ip -n "$gw1" addr add $GC6/64 dev lan nodad
	ip -n "$gw1" addr add $GS4/24 dev wan
	ip -n "$gw1" addr add $GS6/64 dev wan nodad
	ip -n "$gw1" addr add $SYNC1/24 dev sync0
	ip -n "$gw2" addr add $GC4B/24 dev lan
	ip -n "$gw2" addr add $GC6B/64 dev lan nodad
	ip -n "$gw2" addr add $GS4B/24 dev wan
	ip -n "$gw2" addr add $GS6B/64 dev wan nodad
	ip -n "$gw2" addr add $SYNC2/24 dev sync0
	for ns in "$gw1" "$gw2"; do
		ip -n "$ns" link set lan up
		ip -n "$ns" link set wan up
		ip -n "$ns" link set sync0 up
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.forwarding=1
	done
	routes_via l1 "$GC4" "$GC6" "$GS4" "$GS6" || return 1
	busywait 5000 ip netns exec "$client" ping -c1 -W1 -q $S4 >/dev/null &&
		busywait 5000 ip netns exec "$client" ping -c1 -W1 -q $S4D >/dev/null &&
		busywait 5000 ip netns exec "$client" ping -6 -c1 -W1 -q $S6 >/dev/null &&
		busywait 5000 ip netns exec "$gw1" ping -c1 -W1 -q $SYNC2 >/dev/null
}

# routes_via DEV CLIENT_GW4 CLIENT_GW6 SERVER_GW4 SERVER_GW6: the default
# routes of client and server, through their link DEV
routes_via() {
	local dev=$1
	ip -n "$client" route replace default via "$2" dev "$dev" &&
		ip -n "$client" -6 route replace default via "$3" dev "$dev" &&
		ip -n "$server" route replace default via "$4" dev "$dev" &&
		ip -n "$server" -6 route replace default via "$5" dev "$dev"
}

# gws_nft_helper: the helper in both gateways; ct mark 1 (profile 1) for the
# default-profile server address
gws_nft_helper() {
	local ns
	for ns in "$gw1" "$gw2"; do
		nft_helper "$ns" --extra "tcp dport 25 ip daddr $S4D ct mark set 1" || return 1
	done
}

# gws_policy: the same policy in both gateways
gws_policy() {
	local gw ok=0
	for gw in "$gw1" "$gw2"; do
		gw_policy starttls strip commands mailguard || ok=1
		gw_policy profile 1 || ok=1
		gw_nfsmtp policy set profile-mark-mask 0x7 || ok=1
	done
	return $ok
}

# ---- conntrackd -------------------------------------------------------------------

# ctd_conf NAME SELF PEER: conntrackd FTFW over UDP on sync0; the external
# cache (the default) holds the peer's entries until committed
ctd_conf() {
	local name=$1 self=$2 peer=$3
	cat >"$TMP/$name.conf" <<-EOF
	Sync {
		Mode FTFW {
			ResendQueueSize 131072
			PurgeTimeout 60
			ACKWindowSize 300
			DisableExternalCache Off
		}
		UDP {
			IPv4_address $self
			IPv4_Destination_Address $peer
			Port 3780
			Interface sync0
			SndSocketBuffer 1249280
			RcvSocketBuffer 1249280
			Checksum on
		}
	}
	General {
		Systemd off
		HashSize 8192
		HashLimit 65536
		LogFile $TMP/$name.log
		Syslog off
		LockFile $TMP/$name.lock
		UNIX {
			Path $TMP/$name.ctl
		}
		NetlinkBufferSize 2097152
		NetlinkBufferSizeMaxGrowth 8388608
		Filter From Userspace {
			Protocol Accept {
				TCP
			}
			Address Ignore {
				IPv4_address 127.0.0.1
				IPv6_address ::1
				IPv4_address 203.0.113.0/24
			}
		}
	}
	EOF
}

# ctd NAME ARGS...: conntrackd's client mode against instance NAME
ctd() {
	local name=$1 ns
	shift
	[ "$name" = gw1 ] && ns=$gw1 || ns=$gw2
	ip netns exec "$ns" conntrackd -C "$TMP/$name.conf" "$@"
}

# ctd_start NAME NS: conntrackd instance NAME in NS; at the end it is
# asked to stop (ctd_stop) while its namespace and $TMP are still there,
# then killed if it did not
ctd_start() {
	local name=$1 ns=$2
	ip netns exec "$ns" conntrackd -C "$TMP/$name.conf" >"$TMP/$name.out" 2>&1 &
	defer bg_kill $!
	defer ctd_stop "$name"
	busywait 10000 ctd "$name" -s >/dev/null 2>&1
}

# ctd_stop NAME...: stop these conntrackd instances
ctd_stop() {
	local name
	for name in "$@"; do
		ctd "$name" -k >/dev/null 2>&1
	done
}

# ---- clients ----------------------------------------------------------------------------

# session NAME GO SERVER STEP...: smtp_raw.py raw in the background, transcript
# in $TMP/NAME; its step "pause" waits until the file $TMP/GO exists
session() {
	local name=$1 go=$2 srv=$3 step steps=()
	shift 3
	for step in "$@"; do
		[ "$step" = pause ] && step=sleep:$WAIT_MAX
		steps+=("$step")
	done
	ip netns exec "$client" $PY "$HERE/smtp_raw.py" raw --server "$srv" --go "$TMP/$go" \
		"${steps[@]}" >"$TMP/$name" 2>&1 &
	eval "PID_$name=$!"
}

# session_port NAME: its local port once it printed it
session_port() { sed -n 's/^local port //p' "$TMP/$1"; }

# at NAME REGEX: the session's transcript has a line matching REGEX
at() { grep -qE -- "$2" "$TMP/$1"; }

# replied NAME CMD REGEX: the reply to the command line starting with CMD
# (its first reply line) matches REGEX
replied() {
	grep -A1 -- "^C: $2" "$TMP/$1" | sed -n 2p | grep -qE -- "^S: $3"
}

# finished NAME: the session ran every step (rc 0) and QUIT got 221
finished() {
	local pid
	eval "pid=\$PID_$1"
	wait "$pid"
	echo $? >"$TMP/$1.rc"
}

ok_session() {
	[ "$(cat "$TMP/$1.rc")" = 0 ] && grep -q '^result: ok' "$TMP/$1" &&
		replied "$1" QUIT 221
}

# mkparts NAME EXTRA: msgtool's message NAME with command-like lines added
# to its body; writes NAME (as stored), NAME.h1 and NAME.h2 (its wire form,
# dot-stuffed and ending in CRLF.CRLF, cut in two at a line start, escaped
# for smtp_raw.py's send: step) and NAME.sha256
mkparts() {
	$PY "$HERE/msgtool.py" parts "$TMP/$1" "$2"
}

# ---- start --------------------------------------------------------------------------------

TMP=$(mktemp -d)
defer rm -rf "$TMP"
chmod 755 "$TMP"
PF=$TMP/pf
ktap_print_header
for need in "$NFSMTP" "$CTH"; do
	if [ ! -x "$need" ]; then
		ktap_set_plan 1
		ktap_test_skip "nfsmtp and ct_helpinfo are built ($need missing: make userspace)"
		exit "$ksft_skip"
	fi
done
if ! command -v conntrackd >/dev/null; then
	ktap_set_plan 1
	ktap_test_skip "conntrackd is installed (apt-get install conntrackd)"
	exit "$ksft_skip"
fi
ktap_set_plan 17

if ! load_module || ! modprobe nf_conntrack_netlink || ! topo_failover ||
	! gws_nft_helper || ! gws_policy; then
	ktap_test_fail "module, client-gw1/gw2-server topology, helper and policy in both gateways"
	ktap_finished
fi
ctd_conf gw1 $SYNC1 $SYNC2
ctd_conf gw2 $SYNC2 $SYNC1
if ! ctd_start gw1 "$gw1" || ! ctd_start gw2 "$gw2"; then
	ktap_test_fail "conntrackd FTFW runs in both gateways"
	log "$(cat "$TMP"/gw*.out "$TMP"/gw*.log 2>/dev/null | tail -20)"
	ktap_finished
fi
# postfix waits for the paused sessions as long as they wait for their go
if ! postfix_start "$server" "$PF" "" "smtpd_timeout = $((WAIT_MAX + 60))s"; then
	ktap_test_fail "postfix starts in the server namespace"
	ktap_finished
fi
ktap_test_pass "topology with two gateways, helper and policy in both, conntrackd FTFW on the sync link, postfix up"
log "[${SECONDS}s] setup done"

$PY "$HERE/msgtool.py" gen "$TMP" mA:1500:11 mB:1500:12 mC:3000:13:8bit mD:14000:14:8bit mE:3000:15:8bit
CMDLIKE='VRFY carol@example.org|STARTTLS|EXPN staff|MAIL FROM:<x@example.com>|.a dotted line|HELP'
for m in mA mB mC mD mE; do
	mkparts $m "$CMDLIKE"
done

# ---- sessions through gw1 ---------------------------------------------------------------
log "[${SECONDS}s] four sessions through gw1"

for gw in "$gw1" "$gw2"; do gw_stats_reset; done
# profile 0 (mailguard): EHLO is masked (502) and the client falls back to HELO
EHLO='send:EHLO client.example.com\r\n'
HELO='send:HELO client.example.com\r\n'
MAIL='send:MAIL FROM:<alice@example.com>\r\n'
RCPT='send:RCPT TO:<bob@example.org>\r\n'
session A go $S4 reply "$EHLO" reply "$HELO" reply 'send:VRFY alice@example.org\r\n' reply \
	"$MAIL" reply "$RCPT" reply pause \
	'send:VRFY alice@example.org\r\n' reply 'send:NOOP\r\n' reply 'send:STARTTLS\r\n' reply \
	'send:VRFY bob@example.org\r\n' reply 'send:DATA\r\n' reply \
	"send:$(cat "$TMP/mA.h1")$(cat "$TMP/mA.h2")" reply 'send:QUIT\r\n' reply
session B go $S4 reply "$EHLO" reply "$HELO" reply "$MAIL" reply "$RCPT" reply pause \
	'send:VRFY bob@example.org\r\n' reply 'send:STARTTLS\r\n' reply 'send:DATA\r\n' reply \
	"send:$(cat "$TMP/mB.h1")$(cat "$TMP/mB.h2")" reply 'send:QUIT\r\n' reply
session C go $S4 reply "$EHLO" reply "$HELO" reply "$MAIL" reply "$RCPT" reply \
	'send:DATA\r\n' reply "send:$(cat "$TMP/mC.h1")" pause "send:$(cat "$TMP/mC.h2")" reply \
	'send:QUIT\r\n' reply
session D go $S4D reply "$EHLO" reply "$MAIL" reply "$RCPT" reply 'send:DATA\r\n' reply \
	"send:$(cat "$TMP/mD.h1")" pause "send:$(cat "$TMP/mD.h2")" reply \
	'send:QUIT\r\n' reply

paused() {
	at A '^S: 250 2.1.5' && at B '^S: 250 2.1.5' &&
		at C '^S: 354' && [ "$(grep -c '^C: ' "$TMP/C")" -ge 6 ] &&
		at D '^S: 354' && [ "$(grep -c '^C: ' "$TMP/D")" -ge 5 ]
}
busywait 60000 paused
rc=$?
t_paused=$SECONDS
check_show "before the switch: gw1 enforces mailguard (EHLO and VRFY answered 502, HELO 250; profile 1 sees 250-STARTTLS); all four sessions wait inside their transaction" "$TMP/A $TMP/B $TMP/C $TMP/D" eval '
	[ $rc -eq 0 ] && replied A EHLO "50[02] " && replied B EHLO "50[02] " && replied C EHLO "50[02] " &&
	replied A HELO "250 " && replied A VRFY "50[02] " && at D "^S: 250-STARTTLS$"'

# ---- the switch -----------------------------------------------------------------------
log "[${SECONDS}s] switch to gw2"

PA=$(session_port A) PB=$(session_port B) PC=$(session_port C) PD=$(session_port D)
# conntrackd: gw1's entries are in gw2's external cache, helper name and all
in_ext_cache() {
	local p
	ctd gw2 -e >"$TMP/ext" 2>&1
	for p in $PA $PB $PC; do
		grep -q "sport=$p .*helper=smtp" "$TMP/ext" || return 1
	done
	grep -q "sport=$PD .*mark=1.*helper=smtp" "$TMP/ext"
}
check_show "conntrackd carries the sessions to gw2's external cache with helper=smtp and the ct mark" \
	"$TMP/ext" busywait 10000 in_ext_cache

log "gw2's external cache: $(grep "sport=$PB " "$TMP/ext" | head -1 | tr -s ' ')"
t0=$SECONDS
ctd gw2 -c >"$TMP/commit" 2>&1
committed() {
	ip netns exec "$gw2" conntrack -L -p tcp --dport 25 -o extended >"$TMP/gw2.ct" 2>/dev/null
	for p in $PA $PB $PC $PD; do
		grep -q "sport=$p .*helper=smtp" "$TMP/gw2.ct" || return 1
	done
}
busywait 10000 committed
rc=$?
log "[${SECONDS}s] committed in $((SECONDS - t0)) s; gw2's kernel: $(grep "sport=$PB " "$TMP/gw2.ct" | head -1 | tr -s ' ')"
ip netns exec "$gw1" "$CTH" get $C4 "$PB" $S4 25 >"$TMP/B.gw1" 2>&1
ip netns exec "$gw2" "$CTH" get $C4 "$PB" $S4 25 >"$TMP/B.gw2pre" 2>&1
ip netns exec "$gw2" "$CTH" get $C4 "$PA" $S4 25 >"$TMP/A.gw2pre" 2>&1
log "B in gw1: $(sed -n 's/^state //p' "$TMP/B.gw1"); in gw2 after the commit: $(sed -n 's/^state //p' "$TMP/B.gw2pre")"
check "conntrackd -c on gw2: the entries are in gw2's kernel with helper=smtp but no helper state (conntrackd 1.4.7 carries the name only)" eval '
	[ $rc -eq 0 ] && grep -q "^state started=1 profile=0 tls=0 dropped=0 synced=1" "$TMP/B.gw1" &&
	grep -q "^state started=0 " "$TMP/B.gw2pre" && grep -q "^state started=0 " "$TMP/A.gw2pre"'

# B: the helper state from gw1 into gw2's entry, as a sync of helper info would
ip netns exec "$gw2" "$CTH" set $C4 "$PB" $S4 25 "$(sed -n 's/^info //p' "$TMP/B.gw1")"
rc=$?
ip netns exec "$gw2" "$CTH" get $C4 "$PB" $S4 25 >"$TMP/B.gw2" 2>&1
routes_via l2 "$GC4B" "$GC6B" "$GS4B" "$GS6B"
rc2=$?
touch "$TMP/go"	# the sessions go on
log "[${SECONDS}s] switched $((SECONDS - t_paused)) s after the last session paused"
check "session B's helper state, copied gw1 -> gw2 through ctnetlink (from_nlattr), reads back identical from gw2" eval '
	[ $rc -eq 0 ] && [ $rc2 -eq 0 ] && [ -s "$TMP/B.gw2" ] && cmp -s "$TMP/B.gw1" "$TMP/B.gw2"'

for s in A B C D; do finished $s; done
log "[${SECONDS}s] sessions done"

check_show "A (picked up by gw2): the first command after the switch is not rewritten: VRFY reaches postfix as sent (252)" \
	"$TMP/A" eval 'grep -A1 "^C: VRFY alice" "$TMP/A" | tail -2 | grep -q "^S: 252 "'
check "A: resynchronised by the reply to its second command (NOOP), gw2 masks the STARTTLS and VRFY that follow (502)" eval '
	replied A STARTTLS "50[02] " && replied A "VRFY bob" "50[02] "'
check "B (state copied): gw2 masks the first command after the switch: VRFY and STARTTLS answered 502" eval '
	replied B "VRFY bob" "50[02] " && replied B STARTTLS "50[02] "'
check "all four sessions complete without reset: every step ran, QUIT answered 221, postfix lost no connection" eval '
	ok_session A && ok_session B && ok_session C && ok_session D &&
	! grep -q "lost connection" "$PF/maillog"'

NMAIL=4
mail_wait "$PF" $NMAIL
sha_ok() {
	local eml got
	eml=$(grep -l "^Message-ID: <$1\." "$PF"/mail/*.eml 2>/dev/null | head -1)
	[ -n "$eml" ] || { log "no delivery of $1"; return 1; }
	got=$(delivered_body "$eml" | sha256sum | cut -d' ' -f1)
	log "$1: sent sha256 $(cut -c1-16 "$TMP/$1.sha256")..., delivered ${got:0:16}..."
	[ "$got" = "$(cat "$TMP/$1.sha256")" ]
}
check "C (profile 0, picked up inside DATA): command-like body lines after the switch reach postfix unchanged, sha256 identical" \
	eval 'sha_ok mC && sha_ok mA && sha_ok mB'
check "D (default profile, picked up inside DATA): delivered byte-identical across the switch (sha256)" sha_ok mD

gw=$gw2 gw_stats "$TMP/gw2.st"
gw=$gw1 gw_stats "$TMP/gw1.st"
check_show "gw2's counters: 3 pickups (A, C, D; B resumed from its copied state), 2 commands and 2 STARTTLS masked, no reset" \
	"$TMP/gw2.st $TMP/A $TMP/B" counters_are "$TMP/gw2.st" pickups=3 sessions=3 commands_masked=2 starttls_stripped=2 \
	resets=0 drops=0 lost_sync=0 resyncs=+3
check_show "gw1's counters: 4 sessions from their handshake, no pickup, no reset" \
	"$TMP/gw1.st" counters_are "$TMP/gw1.st" sessions=4 pickups=0 resets=0 drops=0 commands_masked=4

# ---- helper info fuzzing ----------------------------------------------------------------
log "[${SECONDS}s] helper info fuzzing"

ctd_stop gw1 gw2	# the fuzz entries need not travel
session E go.e $S4 reply "$EHLO" reply "$HELO" reply "$MAIL" reply "$RCPT" reply \
	'send:DATA\r\n' reply "send:$(cat "$TMP/mE.h1")" pause "send:$(cat "$TMP/mE.h2")" reply \
	'send:STARTTLS\r\n' reply 'send:QUIT\r\n' reply
e_paused() { at E '^S: 354' && [ "$(grep -c '^C: ' "$TMP/E")" -ge 6 ]; }
busywait 60000 e_paused
PE=$(session_port E)
ip netns exec "$gw2" "$CTH" get $C4 "$PE" $S4 25 >"$TMP/E.pre" 2>&1
refused0=$(stat "$gw2" sync_refused)
dmesg_mark "failover: fuzz start"
log "ct_helpinfo fuzz $FUZZ_N $FUZZ_SEED (FAILOVER_FUZZ_N, FAILOVER_FUZZ_SEED)"
t0=$SECONDS
ip netns exec "$gw2" "$CTH" fuzz "$FUZZ_N" "$FUZZ_SEED" $C4 "$PE" $S4 25 >"$TMP/fuzz" 2>&1
rc=$?
t1=$SECONDS
e_lines=$(grep -c '^C: ' "$TMP/E")	# 6: E did not go on while the fuzz ran
ip netns exec "$gw2" "$CTH" get $C4 "$PE" $S4 25 >"$TMP/E.post" 2>&1
log "$(head -c 600 "$TMP/fuzz")"
log "fuzzing took $((t1 - t0)) s"
check "fuzz: $FUZZ_N garbled helper infos (live session E and new entries): every one refused or taken exactly as predicted" \
	eval '[ $rc -eq 0 ] && grep -q "mismatches: 0$" "$TMP/fuzz" && [ "$e_lines" -eq 6 ]'
check "fuzz: the live session's exported state is the same before and after" eval '
	grep -q "^state started=1 profile=0 tls=0 dropped=0" "$TMP/E.pre" && cmp -s "$TMP/E.pre" "$TMP/E.post"'
refused=$(dmesg | grep -c "helper info refused")
# ct_helpinfo's summary: "... (N refused, state unchanged) ... M refused: not started) ..."
predicted=$(sed -n 's/.*(\([0-9]*\) refused, state unchanged).*, \([0-9]*\) refused: not started).*/\1 + \2/p' "$TMP/fuzz")
counted=$(( $(stat "$gw2" sync_refused) - refused0 ))
check "fuzz: gw2's sync_refused counter grew by exactly the refusals ct_helpinfo predicted ($counted, want $((${predicted:-0}))), and the module logged them (rate-limited: $refused lines)" \
	eval '[ -n "$predicted" ] && [ "$counted" -eq $((predicted)) ] && [ "$counted" -gt 0 ] && [ "$refused" -gt 0 ]'
touch "$TMP/go.e"
finished E
check "fuzz: session E then completes through gw2: message byte-identical, STARTTLS still masked (502), QUIT 221" eval '
	ok_session E && replied E STARTTLS "50[02] " && mail_wait "$PF" 5 && sha_ok mE'

log "[${SECONDS}s] done"
ktap_finished
