#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Faults around the helper, with the raw peers of hostile_peer.py checking
# every byte at both ends: delivery unchanged under the default policy, and
# with starttls strip the EHLO reply masked exactly (250-XXXXXXXA, nothing
# else changed), under
# - loss 5%, duplication 2% and reordering 25% (netem) on the gateway's veths;
# - MTU 576 on every link; 1-byte writes from the client, and from the
#   server (the masked keyword cut into single-byte segments); GRO off and on;
# - asymmetric routing: replies, or commands, bypass the gateway on a direct
#   client - server link, from the start or from mid-session;
# - conntrack -F in the gateway mid-session: every session is picked up
#   mid-stream and still arrives unchanged;
# - a full conntrack table: new sessions cannot start, the kernel holds, and
#   once entries are free the helper follows sessions again;
# - 50 sessions in flight while the module is removed, while the policy
#   changes under them, and while the gateway namespace is deleted;
# and the kernel logs no report.

# shellcheck disable=SC2034 # variables read by the eval strings of check
true
source "$(dirname "$0")/lib.sh"
source "$HERE/guards_lib.sh"

FILLER_PIDS=()

ktap_begin 21
TMP=$(mktemp -d)
defer rm -rf "$TMP"
chmod 755 "$TMP"
kernel_log_start
if ! load_module || ! topo_setup || ! gw_nft_helper; then
	ktap_test_fail "setup: module, client - gw - server topology, helper in the gateway"
	ktap_finished
fi
ktap_test_pass "setup: module, client - gw - server topology, helper in the gateway"

# sessions NAME SCENARIO COUNT PARALLEL [ADDR [CLIENT ARGS...]]: COUNT
# sessions of hostile_peer.py SCENARIO, PARALLEL at a time; the server on
# ADDR (default $S4) takes SERVER_ARGS; CSUM and SSUM are the two summary
# lines (ok=N ...); true when every session ran to its end on both sides
SERVER_ARGS=()
CSUM='' SSUM=''
sessions() {
	local name=$1 scen=$2 count=$3 par=$4 addr=${5:-$S4} spid
	shift 4
	shift 2>/dev/null
	ip netns exec "$server" $PY "$HERE/hostile_peer.py" server "$scen" --listen "$addr" \
		--count "$count" --timeout 60 "${SERVER_ARGS[@]}" >"$TMP/$name.srv" 2>&1 &
	spid=$!
	busywait 20000 grep -q '^listening' "$TMP/$name.srv" || log "$name: the server does not listen"
	ip netns exec "$client" $PY "$HERE/hostile_peer.py" client "$scen" --server "$addr" \
		--count "$count" --parallel "$par" --timeout 60 "$@" >"$TMP/$name.cli" 2>&1
	wait "$spid"
	CSUM=$(grep '^summary' "$TMP/$name.cli")
	SSUM=$(grep '^summary' "$TMP/$name.srv")
	[ "${FAULTS_VERBOSE:-0}" = 1 ] && log "$name: client $CSUM; server $SSUM"
	all_ok "$name" "$count"
}

# moved FILE: the counters that moved since counters_save FILE, logged
moved() {
	local k out=''
	for k in sessions messages commands pickups resyncs lost_sync gaps retransmissions \
		starttls_stripped resets drops; do
		out+=" $k+$(delta "$1" $k)"
	done
	log "counters:$out"
}

# all_ok NAME COUNT: both ends report COUNT sessions ok; else what went wrong
all_ok() {
	[[ "$CSUM" == "summary ok=$2 "* ]] && [[ "$SSUM" == "summary ok=$2 "* ]] && return 0
	log "$1: client ${CSUM:-no summary}; server ${SSUM:-no summary}"
	grep -h '^# ' "$TMP/$1.cli" "$TMP/$1.srv" | sort | uniq -c | head -5 | sed 's/^/#  /'
	return 1
}

# both veths of the gateway
gw_veths() {
	local dev
	for dev in cveth sveth; do
		ip netns exec "$gw" "$@" "$dev" || return 1
	done
}

# ---- loss, duplication, reordering ------------------------------------------------

phase "netem"
netem_off() {
	local d
	for d in cveth sveth; do
		ip netns exec "$gw" tc qdisc del dev "$d" root 2>/dev/null
	done
}
NETEM=ok
for d in cveth sveth; do
	ip netns exec "$gw" tc qdisc add dev "$d" root netem loss 5% duplicate 2% delay 10ms reorder 25% 50% ||
		NETEM=fail
done
counters_save "$TMP/c"
sessions netem mail_big 10 5
rc=$?
moved "$TMP/c"
check "netem loss 5% duplicate 2% reorder 25% on both gateway veths: 10 sessions with a 100 KB message arrive byte-identical (default policy); the helper saw retransmissions, reset nothing" \
	eval '[ $NETEM = ok ] && [ $rc = 0 ] && deltas_are "$TMP/c" sessions=10 resets=0 drops=0 &&
	      [ "$(delta "$TMP/c" retransmissions)" -gt 0 ]'
policy starttls strip
counters_save "$TMP/c"
sessions netem_strip strip_big 10 5
rc=$?
moved "$TMP/c"
check "netem, starttls strip: 10 sessions: every client sees exactly 250-XXXXXXXA (masked in every copy and retransmission), the 100 KB messages unchanged" \
	eval '[ $rc = 0 ] && [ "$(delta "$TMP/c" starttls_stripped)" -ge 10 ] && deltas_are "$TMP/c" resets=0 drops=0'
policy starttls allow
netem_off

# ---- MTU 576 ------------------------------------------------------------------------------

phase "MTU 576"
mtu() {
	ip -n "$client" link set veth0 mtu "$1" && ip -n "$server" link set veth0 mtu "$1" &&
		ip -n "$gw" link set cveth mtu "$1" && ip -n "$gw" link set sveth mtu "$1"
}
mtu 576
counters_save "$TMP/c"
sessions mtu mail_big 5 5
rc=$?
moved "$TMP/c"
check "MTU 576 on every link: 5 sessions with a 100 KB message arrive byte-identical" \
	eval '[ $rc = 0 ] && deltas_are "$TMP/c" sessions=5 lost_sync=0 resets=0 drops=0'
policy starttls strip
check "MTU 576, starttls strip: 5 sessions see exactly 250-XXXXXXXA, messages unchanged" \
	eval 'sessions mtu_strip strip_big 5 5'
policy starttls allow
mtu 1500

# ---- 1-byte writes --------------------------------------------------------------------------

phase "1-byte writes"
counters_save "$TMP/c"
check "1-byte writes from the client (a segment per byte, commands and text): 3 sessions byte-identical, every command counted" \
	eval 'sessions bytes normal 3 3 "$S4" --chunk 1 &&
	      deltas_are "$TMP/c" commands=15 messages=3 lost_sync=0 resets=0'
policy starttls strip
SERVER_ARGS=(--chunk 1)
counters_save "$TMP/c"
check "1-byte writes from the server, starttls strip: no client sees STARTTLS: the keyword's bytes in the segment that completes it are masked (250-STARTXXXA ... 250-XXXXXXXA), or the CR after it (250-STARTTLSX), nothing else changed (3 sessions)" \
	eval 'sessions bytes_strip strip_small_bytes 3 3 && [ "$(delta "$TMP/c" starttls_stripped)" -ge 3 ]'
SERVER_ARGS=()
policy starttls allow

# ---- GRO -----------------------------------------------------------------------------------

phase "GRO"
for g in off on; do
	ip netns exec "$gw" ethtool -K cveth gro "$g" >/dev/null 2>&1
	ip netns exec "$gw" ethtool -K sveth gro "$g" >/dev/null 2>&1
	ip netns exec "$client" ethtool -K veth0 gro "$g" >/dev/null 2>&1
	ip netns exec "$server" ethtool -K veth0 gro "$g" >/dev/null 2>&1
	policy starttls strip
	check "GRO $g on every veth: 3 sessions with a 100 KB message unchanged, 3 with STARTTLS masked exactly" \
		eval 'policy starttls allow && sessions gro_$g mail_big 3 3 &&
		      policy starttls strip && sessions gro_${g}_strip strip_big 3 3'
	policy starttls allow
done

# ---- mid-stream pickup -------------------------------------------------------------------------

# inflight NAME COUNT: COUNT paused sessions in the background, once every
# one of them is past EHLO (ESTABLISHED in the gateway, with the helper);
# go NAME: let them go on, wait for them; the summaries in CSUM/SSUM
# (each client says "waiting" at the pause; TIMEOUT, default 300 s, is the
# peers' read timeout)
inflight() {
	local name=$1 count=$2 t=${TIMEOUT:-300}
	rm -f "$TMP/go"
	# the last phase's entries go first: conntrack lets a new session on
	# the ports of one left in LAST_ACK take over its entry, and after
	# rmmod such an entry has no helper (CI saw one session of 50 unseen)
	ip netns exec "$gw" conntrack -F 2>/dev/null
	ip netns exec "$server" $PY "$HERE/hostile_peer.py" server paused --listen "$S4" \
		--count "$count" --timeout "$t" >"$TMP/$name.srv" 2>&1 &
	SPID=$!
	busywait 20000 grep -q '^listening' "$TMP/$name.srv"
	ip netns exec "$client" $PY "$HERE/hostile_peer.py" client paused --server "$S4" \
		--count "$count" --parallel "$count" --timeout "$t" --wait "$TMP/go" >"$TMP/$name.cli" 2>&1 &
	CPID=$!
	busywait 300000 waiting_is "$TMP/$name.cli" "$count" || log "$name: $(grep -c '^waiting' "$TMP/$name.cli") of $count sessions paused"
	sleep 1	# the last ACKs of the EHLO exchange
}
waiting_is() { [ "$(grep -c '^waiting' "$1")" -ge "$2" ]; }
go() {
	touch "$TMP/go"
	wait "$CPID"
	[ "${KILL_SERVER:-0}" = 1 ] && kill "$SPID" 2>/dev/null
	wait "$SPID"
	CSUM=$(grep '^summary' "$TMP/$1.cli")
	SSUM=$(grep '^summary' "$TMP/$1.srv")
}

# ---- asymmetric routing -----------------------------------------------------------------------

# A direct link between client and server beside the gateway: one direction
# of each session takes it, so the gateway's conntrack sees half a session
# (its packets are invalid to TCP window tracking and never reach the
# helper, or reach it with replies missing). Nothing may be changed or cut.
phase "asymmetric routing"
asym_link() {
	local ns
	veth_pair "$client" dveth "$server" dveth || return 1
	ip -n "$client" addr add 10.99.0.1/24 dev dveth && ip -n "$server" addr add 10.99.0.2/24 dev dveth || return 1
	for ns in "$client" "$server"; do
		ip -n "$ns" link set dveth up
		ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.dveth.rp_filter=0 \
			net.ipv4.conf.veth0.rp_filter=0 || return 1
	done
	busywait 5000 ip netns exec "$client" ping -c1 -W1 -q 10.99.0.2 >/dev/null
}
asym_link || log "asymmetric: the direct client - server link does not come up"
ip -n "$server" route add $C4/32 via 10.99.0.1 dev dveth
counters_save "$TMP/c"
sessions asym_replies mail_big 5 5
rc=$?
moved "$TMP/c"
check "asymmetric routing, replies bypass the gateway (only commands and text pass it): 5 sessions with a 100 KB message arrive byte-identical, the helper resets and drops nothing" \
	eval '[ $rc = 0 ] && deltas_are "$TMP/c" resets=0 drops=0'
ip -n "$server" route del $C4/32
ip -n "$client" route add $S4/32 via 10.99.0.2 dev dveth
policy starttls strip
counters_save "$TMP/c"
sessions asym_commands mail_big 5 5
rc=$?
moved "$TMP/c"
check "asymmetric routing, commands bypass the gateway (only replies pass it), starttls strip: 5 sessions byte-identical, the helper resets and drops nothing" \
	eval '[ $rc = 0 ] && deltas_are "$TMP/c" resets=0 drops=0'
policy starttls allow
ip -n "$client" route del $S4/32
ip netns exec "$gw" conntrack -F 2>/dev/null
inflight asym_switch 10
counters_save "$TMP/c"
ip -n "$server" route add $C4/32 via 10.99.0.1 dev dveth
go asym_switch
moved "$TMP/c"
check "asymmetric routing from mid-session: 10 sessions past EHLO through the gateway, then their replies take the direct link: messages arrive byte-identical, nothing reset or dropped" \
	eval 'all_ok asym_switch 10 && deltas_are "$TMP/c" resets=0 drops=0'
ip -n "$server" route del $C4/32
ip netns exec "$gw" conntrack -F 2>/dev/null

phase "pickup"
ip netns exec "$gw" conntrack -F 2>/dev/null
inflight pickup 5
counters_save "$TMP/c"
ip netns exec "$gw" conntrack -F 2>/dev/null
go pickup
moved "$TMP/c"
check "conntrack -F in the gateway mid-session: 5 sessions picked up mid-stream (pickups +5) and their messages still arrive byte-identical" \
	eval 'all_ok pickup 5 && deltas_are "$TMP/c" pickups=5 resets=0 drops=0'

# ---- a full conntrack table ---------------------------------------------------------------------

phase "table full"
CT_MAX0=$(sysctl -n net.netfilter.nf_conntrack_max)
defer_sysctl net.netfilter.nf_conntrack_max
ip netns exec "$server" $PY "$HERE/tcp_hold.py" listen "$S4" 2626 &
FILLER_PIDS+=($!)
defer bg_kill $!
busywait 10000 port_listening "$server" 2626
ip netns exec "$gw" conntrack -F 2>/dev/null
sysctl -qw net.netfilter.nf_conntrack_max=4
ip netns exec "$client" $PY "$HERE/tcp_hold.py" connect "$S4" 2626 --count 4 --timeout 10 \
	>"$TMP/filler.out" 2>&1 &
FILLER_PIDS+=($!)
defer bg_kill $!
busywait 20000 grep -q held "$TMP/filler.out"
counters_save "$TMP/c"
SERVER_ARGS=(--timeout 5)
sessions full normal 1 1 "$S4" --timeout 8 >/dev/null
SERVER_ARGS=()
full_res=$CSUM
check "nf_conntrack_max 4, the gateway's table full of 4 idle connections: a new SMTP session cannot start (its SYN is dropped, the client times out); no session for the helper" \
	eval '[[ "$full_res" == *timeout=1* ]] && deltas_are "$TMP/c" sessions=0'
kill "${FILLER_PIDS[1]}" 2>/dev/null
ip netns exec "$gw" conntrack -F 2>/dev/null
sysctl -qw net.netfilter.nf_conntrack_max="$CT_MAX0"
counters_save "$TMP/c"
check "table full: once entries are free the helper follows sessions again (3 sessions, messages +3)" \
	eval 'sessions after_full normal 3 3 && deltas_are "$TMP/c" sessions=3 messages=3 lost_sync=0'

# ---- 50 sessions in flight ------------------------------------------------------------------------

phase "rmmod in flight"
inflight rmmod 50
live=$(ip netns exec "$gw" conntrack -L -p tcp --dport 25 --state ESTABLISHED 2>/dev/null | grep -c helper=smtp)
gw_nft_helper_del
check "rmmod with 50 sessions in flight (live entries with the helper: $live) succeeds" \
	eval '[ "$live" -ge 50 ] && unload_module'
go rmmod
check "rmmod in flight: the 50 sessions end without the helper, their messages byte-identical" \
	all_ok rmmod 50
load_module && gw_nft_helper

phase "policy changes in flight"
inflight policy 50
counters_save "$TMP/c"
pol_ok=0
for i in 1 2 3 4 5; do
	policy starttls strip banner mask commands mailguard dup-headers mask || pol_ok=1
	policy starttls allow banner keep commands all dup-headers off || pol_ok=1
done
go policy
moved "$TMP/c"
check "10 policy changes with 50 sessions in flight: all accepted, the 50 sessions end with their messages byte-identical" \
	eval '[ $pol_ok = 0 ] && all_ok policy 50 && deltas_are "$TMP/c" messages=50 resets=0 drops=0'

phase "gateway netns deleted in flight"
TIMEOUT=30 inflight netns 50
ip netns del "$gw"
for i in "${!NS_LIST[@]}"; do
	[ "${NS_LIST[$i]}" = "$gw" ] && unset 'NS_LIST[i]'
done
KILL_SERVER=1 go netns
check "the gateway namespace deleted with 50 sessions in flight: the kernel holds, the module stays loaded, the peers see their sessions fail ($(echo "$CSUM" | cut -c9-))" \
	grep -q "^nf_conntrack_smtp " /proc/modules
cleanup_all_ns
counters_ok() {
	counters_save "$TMP/c" && sessions after_netns normal 2 2 &&
		deltas_are "$TMP/c" sessions=2 messages=2 lost_sync=0
}
check "after the netns deletion: a new client - gw - server topology comes up and 2 sessions are followed and pass" \
	eval 'topo_setup && gw_nft_helper && counters_ok'

# ---- the kernel log ------------------------------------------------------------------------------

check "kernel log: no BUG, WARNING, KASAN, UBSAN, lockdep, refcount or leak report during the faults" \
	kernel_log_clean

ktap_finished
