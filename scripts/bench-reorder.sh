#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench-reorder.sh TOP (runs in the VM, from make bench): what out-of-order
# drop costs when the network reorders. netem on the client's link delays
# every segment by 10 ms and sends 25% of them at once instead (so they
# overtake); the client sends ROUNDS x 1 MB messages through the gateway to
# postfix, with out-of-order pass and with out-of-order drop, interleaved.
# Prints the median delivery time per message and the counters. A figure,
# not a test.
set -u
top=${1:?usage: bench-reorder.sh TOP}
export NFSMTP_TOP=$top
HERE=$top/selftests
source "$HERE/lib.sh"
source "$HERE/postfix.sh"
source "$HERE/fixup_lib.sh"
ROUNDS=${REORDER_ROUNDS:-5}
TMP=$(mktemp -d)
chmod 755 "$TMP"
PF=$TMP/pf
trap 'postfix_stop "$server" "$PF"; cleanup_all_ns; rm -rf "$TMP"' EXIT

load_module && topo_setup && gw_nft_helper || { echo "setup failed"; exit 1; }
postfix_start "$server" "$PF" || { echo "postfix failed"; exit 1; }
ip netns exec "$client" tc qdisc add dev veth0 root netem delay 10ms reorder 25% 50%
head -c 760000 /dev/urandom | base64 -w 76 >"$TMP/body"

send_one() {	# seconds to deliver one 1 MB message
	local t0 t1
	t0=$(date +%s.%N)
	swaks_in "$client" "$S4" "$TMP/sw" --body @"$TMP/body" >/dev/null || return 1
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}

declare -A times
for r in $(seq "$ROUNDS"); do
	for mode in pass drop; do
		gw_nfsmtp policy set out-of-order $mode >/dev/null
		t=$(send_one) || { echo "round $r $mode: swaks failed"; continue; }
		times[$mode]+="$t "
	done
done
gw_stats "$TMP/s"
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "netem delay 10ms reorder 25% 50% on the client's link, 1 MB messages, $ROUNDS rounds:"
for mode in pass drop; do
	printf '  out-of-order %-4s  median %6.2f s per message  (%s)\n' "$mode" \
		"$(echo "${times[$mode]}" | median)" "${times[$mode]}"
done
echo "  counters: gaps $(json_num gaps "$TMP/s"), out_of_order_dropped $(json_num out_of_order_dropped "$TMP/s"), retransmissions $(json_num retransmissions "$TMP/s")"
