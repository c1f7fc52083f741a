#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: everything CI runs, as KTAP test points, ending with one line
# "N passed, N failed".  Static checks and userspace tests run on the host;
# the selftests run in one boot of the Debian kernel under qemu.  With
# CHECK_DEBUG=1 (CI) make check-debug runs alongside and counts too.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
build=$top/build
mkdir -p "$build"
log=$build/check.log
: >"$log"

"$top/scripts/install-deps.sh" || { echo "dependency install failed"; exit 1; }

n=0
point() {	# point STATUS DESCRIPTION: one top-level test point
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2" | tee -a "$log"
	else
		echo "not ok $n - $2" | tee -a "$log"
	fi
}

# run DESCRIPTION CMD...: a step whose output goes to build/<n>.log, shown on failure
run() {
	local what=$1 out
	shift
	out=$build/step-$((n + 1)).log
	"$@" >"$out" 2>&1
	local rc=$?
	point $rc "$what"
	[ $rc = 0 ] || sed 's/^/# /' "$out" | tail -40
	return $rc
}

# failures LOG: a failing VM run's failed points with the lines before
# them, printed right above its top-level point (where CI's excerpt looks)
failures() {
	grep -B8 -E '^(# )+not ok [0-9]+ - ' "$1" | tail -n 48 | sed 's/^/# failed: /'
}

echo "TAP version 13"
run "generated code is nf_smtp.yaml's: YNL's policy and ops tables and the name tables, written again, and git sees no difference" make -s generated-check
run "module builds warning-free with W=1 -Werror" make -s module
run "module files call only down their layers (parser, namespace state, policy/netlink/helper info, packet path)" "$top/scripts/check-layers.sh"
run "module is sparse-clean (make C=2)" make -s sparse
run "kernel sources are checkpatch --strict clean" make -s checkpatch
run "userspace builds with -Wall -Wextra -Werror" make -s userspace

# CHECK_DEBUG=1 (CI): make check-debug alongside, from here on: the same
# selftests on the debug kernel and its canary, in a second VM (the two
# emulated machines share the host's cores, but both wait on timers often).
# When it is done, that lane boots Debian's kernel again for the suites in
# VM_LANE_B, which the first lane leaves out: the two lanes end about
# together, where one VM alone would leave a core idle for a quarter hour.
debug_pid='' lane_b=''
rm -f "$build/vm-check.built" "$build/debug.rc" "$build/vm-b.rc"
if [ "${CHECK_DEBUG:-0}" = 1 ]; then
	echo "# make check-debug runs alongside (build/check-debug.log)"
	# CI's time on two cores (75 minutes, both VMs sharing them) holds
	# these on the debug kernel: the helper's basic path, helper info from
	# netlink (failover's fuzz), the netlink fuzzer, the packet-level
	# evasions (resets, dead entries, urgent-pointer rewrites), TLS framing
	# and require-tls masks, and every fourth variant of the differential
	# corpus (masks and resets by the thousand). `make check-debug` runs all.
	lane_b=${VM_LANE_B-smtp_evasion.sh smtp_tls_guard.sh smtp_ops.sh}
	(
		DEBUG_SUITES=${DEBUG_SUITES-smtp_helper_basic.sh smtp_failover.sh smtp_netlink_fuzz.sh \
smtp_evasion.sh smtp_tls_guard.sh smtp_differential.sh} \
		NFSMTP_DIFF_THIN=${NFSMTP_DIFF_THIN-4} \
			"$top/scripts/check-debug.sh" >"$build/check-debug.log" 2>&1
		echo $? >"$build/debug.rc"
		[ -n "$lane_b" ] || exit 0
		# lane B shares the first lane's build: wait until it is done
		while [ ! -e "$build/vm-check.built" ]; do sleep 5; done
		make -s vm-lane VM_TIMEOUT=2400 VM_TESTS="$(printf ' -t nf_conntrack_smtp:%s' $lane_b)" \
			>"$build/vm-b.log" 2>&1
		echo $? >"$build/vm-b.rc"
	) &
	debug_pid=$!
fi

# parser unit tests: their own KTAP points count
echo "# parser unit tests"
make -s unit 2>&1 | tee "$build/unit.log" | grep -E '^(not )?ok |^# (FAILED|PASSED)|^# [^ ]*:[0-9]+:' | sed 's/^/# /'
if grep -q '^# fuzz' Makefile 2>/dev/null || [ -f userspace/fuzz/fuzz_parser.c ]; then
	run "parser fuzzer: ${FUZZ_SECONDS:-60} s without a finding" \
		make -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
fi

# packaging: dkms add/build/install for the default kernel, make install
# staged; the Debian packages built, installed, booted and purged
run "dkms builds and installs the module for the default kernel; make install stages every file" \
	make -s dkms-check
# the Debian packages: their own KTAP points count
echo "# Debian packages (make deb-check)"
make -s deb-check 2>&1 | tee "$build/deb.log" | sed 's/^/# /'
point "${PIPESTATUS[0]}" "ops: Debian packages: make deb, lintian clean, apt install builds the module through DKMS, the VM loads it under the package's policy hook, dpkg -r/-P leave nothing"

# kernel selftests, one VM boot (lane B's suites left out: they run beside)
echo "# kernel selftests (VM)"
vm_tests=''
if [ -n "$lane_b" ]; then
	make -s selftests-install
	for t in $(sed 's/^nf_conntrack_smtp://' "$build/kselftest/kselftest-list.txt"); do
		[[ " $lane_b " == *" $t "* ]] || vm_tests+=" -t nf_conntrack_smtp:$t"
	done
	echo "# lane B (after the debug kernel, build/vm-b.log):$(printf ' %s' $lane_b)"
fi
make -s vm-check VM_TESTS="$vm_tests" 2>&1 | tee "$build/vm.log" | sed 's/^/# /'
vm_rc=${PIPESTATUS[0]}
touch "$build/vm-check.built"	# lane B goes on even when the build failed
[ "$vm_rc" = 0 ] || failures "$build/vm.log"
point "$vm_rc" "VM run: selftests exit 0 and the guest kernel log is clean"

debug_logs=()
if [ -n "$debug_pid" ]; then
	echo "# debug kernel (make check-debug)"
	wait "$debug_pid"
	debug_rc=$(cat "$build/debug.rc" 2>/dev/null || echo 1)
	sed 's/^/# /' "$build/debug/summary.txt" 2>/dev/null
	[ "$debug_rc" = 0 ] || failures "$build/debug/vm.log"
	point "$debug_rc" "debug kernel: the selftests pass under KASAN, lockdep, kmemleak and UBSAN with a clean log, and the canary's bugs are caught"
	[ "$debug_rc" = 0 ] || tail -n 40 "$build/check-debug.log" | sed 's/^/# /'
	debug_logs=("$build/debug/vm.log")
	if [ -n "$lane_b" ]; then
		echo "# kernel selftests, lane B (VM)"
		sed 's/^/# /' "$build/vm-b.log"
		lane_b_rc=$(cat "$build/vm-b.rc" 2>/dev/null || echo 1)
		[ "$lane_b_rc" = 0 ] || failures "$build/vm-b.log"
		point "$lane_b_rc" \
			"VM run, lane B ($lane_b): selftests exit 0 and the guest kernel log is clean"
		debug_logs+=("$build/vm-b.log")
	fi
fi

echo "# summary"
summary=$("$top/scripts/ktap-summary.sh" "$log" "$build/unit.log" "$build/deb.log" "$build/vm.log" "${debug_logs[@]}")
echo "$summary"
case $summary in
*" 0 failed") exit 0 ;;
*) exit 1 ;;
esac
