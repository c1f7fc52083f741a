#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM (make bench): forwarded SMTP throughput through the
# gateway namespace with four gateway set-ups, figures only, no assertion.
#
#   none        no rule in the gateway: conntrack never hooks its namespace
#   conntrack   a stateful forward rule: conntrack, no helper (the reference)
#   helper      the smtp helper with the default policy
#   strict      the helper with starttls strip, commands mailguard,
#               dup-headers reset, smuggling reset, bare-newline log
#
# Workloads, both with postfix's smtp-source (client) and smtp-sink (server):
#   bulk        one session, BULK_MSGS messages of 10 MB each (MB/s)
#   sessions    SESS_COUNT sessions of one 1 kB message, 8 at a time (sessions/s)
# Every figure is the median of REPS repetitions, the set-ups interleaved in
# each repetition so that drift of the shared host hits all of them alike;
# spread = (max - min) / median.  softirq: the guest's softirq CPU time per
# MB forwarded (from /proc/stat; the VM's own clock, so only a relative
# figure under TCG).  Usage: bench-datapath.sh TOP
set -u
top=${1:?usage: bench-datapath.sh TOP}
export NFSMTP_TOP=$top
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
REPS=${REPS:-5}
BULK_MSGS=${BULK_MSGS:-5}
BULK_SIZE=10000000
SESS_COUNT=${SESS_COUNT:-1000}

source "$top/selftests/lib.sh"
NFSMTP=$top/build/nfsmtp
trap cleanup_all_ns EXIT

load_module || { echo "bench: cannot load the module"; exit 1; }
topo_setup || { echo "bench: topology failed"; exit 1; }
ip netns exec "$server" smtp-sink -u postfix -h sink.example $S4:25 256 &
busywait 10000 port_listening "$server" 25 || { echo "bench: smtp-sink did not start"; exit 1; }

gw_setup() {
	ip netns exec "$gw" nft flush ruleset
	case $1 in
	none) ;;
	conntrack)
		ip netns exec "$gw" nft add table inet bench
		ip netns exec "$gw" nft add chain inet bench through \
			'{ type filter hook forward priority 0; policy accept; }'
		ip netns exec "$gw" nft add rule inet bench through ct state established,related accept
		;;
	helper | strict)
		gw_setup conntrack && gw_nft_helper
		;;
	esac
	if [ "$1" = strict ]; then
		ip netns exec "$gw" "$NFSMTP" policy set starttls strip commands mailguard \
			dup-headers reset smuggling reset bare-newline log
	else
		ip netns exec "$gw" "$NFSMTP" policy set starttls allow commands all \
			dup-headers off smuggling log bare-newline off
	fi
	# no entry of a previous set-up may carry over
	ip netns exec "$gw" conntrack -F 2>/dev/null
	return 0
}

softirq_ticks() { awk '$1 == "cpu" { print $8 }' /proc/stat; }
now_ns() { date +%s%N; }

# run_one WORKLOAD: prints "VALUE SOFTIRQ_MS_PER_MB"
run_one() {
	local t0 t1 s0 s1 mb rc
	s0=$(softirq_ticks)
	t0=$(now_ns)
	if [ "$1" = bulk ]; then
		ip netns exec "$client" smtp-source -d -m "$BULK_MSGS" -l $BULK_SIZE \
			-f a@client.example -t b@sink.example $S4:25
		rc=$?
		mb=$((BULK_MSGS * BULK_SIZE / 1000000))
	else
		ip netns exec "$client" smtp-source -s 8 -m "$SESS_COUNT" -l 1000 \
			-f a@client.example -t b@sink.example $S4:25
		rc=$?
		mb=1
	fi
	t1=$(now_ns)
	s1=$(softirq_ticks)
	[ $rc = 0 ] || { echo "fail"; return 1; }
	if [ "$1" = bulk ]; then
		awk -v mb=$mb -v ns=$((t1 - t0)) -v st=$((s1 - s0)) \
			'BEGIN { printf "%.1f %.2f\n", mb / (ns / 1e9), st * 10 / mb }'
	else
		awk -v n="$SESS_COUNT" -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f -\n", n / (ns / 1e9) }'
	fi
}

# stats FILE: "median min max" of the first column
stats() {
	sort -g "$1" | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%s %s %s\n", m, v[1], v[NR] }'
}

SETUPS="none conntrack helper strict"
dir=$(mktemp -d)
for wl in bulk sessions; do
	for rep in $(seq "$REPS"); do
		for s in $SETUPS; do
			gw_setup $s
			run_one $wl >>"$dir/$wl.$s" || { echo "bench: $wl/$s failed"; exit 1; }
		done
	done
done

echo "# datapath: client - gw - server namespaces, veth, qemu TCG, $(uname -r), $REPS repetitions"
for wl in bulk sessions; do
	unit="MB/s"
	[ $wl = sessions ] && unit="sessions/s"
	read -r ref _ _ < <(stats "$dir/$wl.conntrack")
	printf "%-9s %-10s %12s %8s %10s %14s\n" workload setup "median $unit" spread "vs ct" "softirq ms/MB"
	for s in $SETUPS; do
		read -r med lo hi < <(stats "$dir/$wl.$s")
		soft=$(awk '{ print $2 }' "$dir/$wl.$s" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
		awk -v wl=$wl -v s=$s -v m="$med" -v lo="$lo" -v hi="$hi" -v r="$ref" -v so="$soft" \
			'BEGIN { printf "%-9s %-10s %12.1f %7.0f%% %9.2fx %14s\n", wl, s, m, (hi - lo) / m * 100, m / r, so }'
	done
done
echo "# counters of the gateway after the runs:"
ip netns exec "$gw" cat /proc/net/nf_conntrack_smtp | sed 's/^/#   /'
rm -rf "$dir"
