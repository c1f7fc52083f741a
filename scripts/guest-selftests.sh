#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test VM: all installed kselftests of nf_conntrack_smtp
# (build/kselftest, laid out as the kernel's `make install` does), then a
# kmemleak scan when the kernel has one.  Usage: guest-selftests.sh TOP
set -u
top=${1:?usage: guest-selftests.sh TOP}
export NFSMTP_TOP=$top
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

kml=/sys/kernel/debug/kmemleak
# Debug kernels: no automatic kmemleak scans (each walks all guest memory,
# minutes of emulated CPU during the tests); the scans below are manual.
[ -w $kml ] 2>/dev/null && echo scan=off >$kml

cd "$top/build/kselftest" || exit 1
# The kernel's runner exits 0 whatever its tests did: a suite's own
# "not ok N selftests: ..." line is its verdict, and fails the run.
out=$(mktemp)
./run_kselftest.sh "${@:2}" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
failed=$(grep -c '^not ok [0-9]* selftests: ' "$out")
rm -f "$out"
if [ "$failed" != 0 ]; then
	echo "# $failed selftest suites failed"
	rc=1
fi

# Debug kernels: kmemleak scans after the tests and again after rmmod. It
# reports only objects older than 5 s (wait that long first), and a scan
# skips any object whose contents changed since the previous scan (a new
# object always has), so a leak shows from the second scan on: two scans
# each time. A report lands in the kernel log ("N new suspected memory
# leaks"), which the VM runner's log check fails on; the details follow.
kmemleak_scan() { # WHEN
	local n
	sleep 6
	echo scan >$kml
	echo scan >$kml
	n=$(grep -c '^unreferenced object' $kml)
	echo "# kmemleak scan $1: $n suspected leaks"
	[ "$n" = 0 ] || sed 's/^/# /' $kml
}
# rmmod_bounded: rmmod that cannot hang the run: after 300 s (a leaked skb
# holding a conntrack entry blocks netns teardown, and rmmod behind it) the
# blocked tasks go to the kernel log (sysrq w) and the run fails
rmmod_bounded() {
	local pid n=0
	rmmod nf_conntrack_smtp &
	pid=$!
	while kill -0 $pid 2>/dev/null && [ $n -lt 300 ]; do
		sleep 1
		n=$((n + 1))
	done
	if kill -0 $pid 2>/dev/null; then
		echo "# rmmod nf_conntrack_smtp still blocked after 300 s; blocked tasks:"
		echo w >/proc/sysrq-trigger
		dmesg | tail -n 60 | sed 's/^/# /'
		return 1
	fi
	wait $pid || { echo "# rmmod nf_conntrack_smtp failed"; return 1; }
}
if [ -w $kml ] 2>/dev/null; then
	kmemleak_scan "after the selftests"
	if grep -q '^nf_conntrack_smtp ' /proc/modules; then
		rmmod_bounded || rc=1
	fi
	kmemleak_scan "after rmmod nf_conntrack_smtp"
fi
exit $rc
