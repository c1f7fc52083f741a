#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check-debug.sh [TEST...]: make check-debug. The whole selftest suite (or
# the TESTs named, e.g. smtp_hostile.sh) on the debug kernel:
#   1. scripts/debug-kernel.sh builds it once (KASAN, lockdep, kmemleak,
#      DEBUG_ATOMIC_SLEEP, DEBUG_LIST, UBSAN; cached per source version and
#      kernel/debug.config hash in ${NFSMTP_CACHE:-/var/cache/nf-smtp}/debug-kernel);
#   2. builds the module against its tree with W=1 -Werror in
#      build/debug/src (a copy of Kbuild, kmod/ and include/: the checkout's
#      own build for the Debian kernel is left alone);
#   3. installs the selftests into build/debug/top (with a copy of the
#      tools: build/nfsmtp, ct_helpinfo, nl_fuzz), boots the debug kernel
#      with scripts/vm-run.sh and runs them with scripts/guest-selftests.sh,
#      which scans for leaks with kmemleak after the tests and again after
#      rmmod;
#   4. the canary: a copy of the module with a sleeping allocation and a
#      leak put into smtp_help() must make the run fail with both reports.
# Fails when a test fails or when the guest kernel log holds any report
# (vm-run.sh's log check: KASAN, UBSAN, lockdep, "sleeping function called
# from invalid context", kmemleak, BUG, WARNING, ...). Results and timings:
# build/debug/summary.txt; guest log and dmesg: build/debug/.
# Environment: DEBUG_SUITES (the selftests to run when none are named:
# all); KBUILD_W (1), KCFLAGS_EXTRA (-Werror); DEBUG_VM_TIMEOUT
# (10800 s for the whole run: a debug kernel under TCG is 3-5x slower);
# DEBUG_TEST_TIMEOUT (3600 s per test, the selftests' settings say 1200);
# DEBUG_VM_MEM (2048); DEBUG_SCALE_N (1000) and DEBUG_SCALE_RAMP (32):
# smtp_scale.sh's sessions and connects in flight (the helper's instrumented
# packet path under TCG is ~10x slower: with 2000 sessions, 256 connecting
# at once, connects time out at 60 s).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=$top/build/debug
mkdir -p "$out"

now() { date +%s.%N; }
secs() { printf '%.1f' "$(echo "$(now) - $1" | bc)"; }
summary() { echo "$*" | tee -a "$out/summary.txt"; }
: >"$out/summary.txt"

# 1. the kernel
t0=$(now)
env=$("$top/scripts/debug-kernel.sh" build) || { summary "check-debug: FAIL (debug kernel build)"; exit 1; }
t_kernel=$(secs "$t0")
KVER='' KDIR='' VMLINUZ='' MODDIR='' APPEND=''
eval "$env"
summary "debug kernel $KVER: $(basename "$(dirname "$KDIR")") (ready in $t_kernel s)"

# 2. the module, from a copy of its sources
t0=$(now)
rsync -a --delete --exclude='*.o' --exclude='.*.cmd' --include='/Kbuild' \
	--include='/kmod/***' --include='/include/***' --exclude='*' "$top/" "$out/src/"
make -C "$KDIR" M="$out/src" W="${KBUILD_W-1}" KCFLAGS="${KCFLAGS_EXTRA--Werror}" \
	modules >"$out/build.log" 2>&1
rc=$?
warnings=$(grep -cE 'warning:|error:' "$out/build.log")
if [ $rc != 0 ] || [ ! -f "$out/src/nf_conntrack_smtp.ko" ]; then
	summary "check-debug: FAIL (module build, $warnings warnings/errors; $out/build.log)"
	grep -E 'warning:|error:' "$out/build.log" | head -20 | sed 's/^/    /'
	exit 1
fi
summary "module: built against $KDIR in $(secs "$t0") s, $warnings warnings (W=${KBUILD_W-1} ${KCFLAGS_EXTRA--Werror})"

# 3. the selftests, installed into a snapshot laid out like the checkout
snap=$out/top
rm -rf "$snap"
mkdir -p "$snap/build"
make -s userspace >/dev/null || { summary "check-debug: FAIL (userspace build)"; exit 1; }
make -s selftests-install KSFT_INSTALL="$snap/build/kselftest" ||
	{ summary "check-debug: FAIL (selftests-install)"; exit 1; }
for tool in nfsmtp ct_helpinfo nl_fuzz; do	# the tools the selftests run
	[ ! -x "$top/build/$tool" ] || cp "$top/build/$tool" "$snap/build/$tool"
done
# the per-test limit of the selftests' settings, for a kernel 3-5x slower
sed -i "s/^timeout=.*/timeout=${DEBUG_TEST_TIMEOUT:-3600}/" "$snap/build/kselftest/nf_conntrack_smtp/settings"
# Without names: the selftests DEBUG_SUITES names (default: every one);
# make check (CI) names the ones that drive the module's code in ways the
# others do not, to stay within CI's time on two cores (see check.sh)
tests=("$@")
if [ $# = 0 ] && [ -n "${DEBUG_SUITES:-}" ]; then
	read -ra tests <<<"$DEBUG_SUITES"
	summary "selftests: ${tests[*]}"
fi
args=()
for t in "${tests[@]}"; do args+=(-t "nf_conntrack_smtp:$t"); done

# debug_vm KO DMESG ARGS...: the selftests ARGS select (all: none) on the
# debug kernel with module KO; the guest's kernel log goes to DMESG
# SeaBIOS, not qboot: with pci=noacpi (ACPI's AML takes 50 s to run on this
# kernel under TCG) PCI interrupts are routed by the BIOS's $PIR table,
# which qboot lacks. The bzImage, not its vmlinux: its PVH entry does not
# come up with KASAN.
debug_vm() {
	local ko=$1 dmesg=$2
	shift 2
	# shellcheck disable=SC2016 # expanded in the guest
	NFSMTP_VM_QBOOT=0 NFSMTP_VM_PVH=0 NFSMTP_KO=$ko NFSMTP_VMLINUZ=$VMLINUZ NFSMTP_MODDIR=$MODDIR \
		NFSMTP_VM_APPEND="$APPEND ${NFSMTP_VM_APPEND:-}" \
		NFSMTP_VM_LOGDIR=$out NFSMTP_VM_DMESG=$dmesg NFSMTP_VM_VERBOSE=1 \
		"$top/scripts/vm-run.sh" --kernel "$KVER" --mem "${DEBUG_VM_MEM:-2048}" \
		--timeout "${DEBUG_VM_TIMEOUT:-10800}" -- /bin/bash -c \
		"export SCALE_N=${DEBUG_SCALE_N:-1000} SCALE_RAMP=${DEBUG_SCALE_RAMP:-32}; "'echo "# guest uname -r: $(uname -r)"; exec "$0" "$@"' \
		"$top/scripts/guest-selftests.sh" "$snap" "$@"
}

verdict=PASS subtests='0 passed, 0 failed'
if [ "${DEBUG_CANARY:-1}" != only ]; then
	t0=$(now)
	debug_vm "$out/src/nf_conntrack_smtp.ko" "$out/dmesg.txt" "${args[@]}" 2>&1 | tee "$out/vm.log"
	rc=${PIPESTATUS[0]}
	t_vm=$(secs "$t0")

	guest=$(sed -n 's/^# guest uname -r: //p' "$out/vm.log" | head -n1)
	subtests=$("$top/scripts/ktap-summary.sh" "$out/vm.log")
	# run_kselftest.sh exits 0 whatever the tests say: the KTAP output decides
	verdict=PASS
	[ "$rc" = 0 ] && [ "$guest" = "$KVER" ] || verdict=FAIL
	grep -qE '^ok [0-9]+ selftests: ' "$out/vm.log" || verdict=FAIL
	grep -qE '^not ok [0-9]+ selftests: ' "$out/vm.log" && verdict=FAIL
	case $subtests in *" 0 failed") ;; *) verdict=FAIL ;; esac
	summary "guest uname -r: ${guest:-?}"
	grep -E '^(not )?ok [0-9]+ selftests: ' "$out/vm.log" | sed 's/^/  /' | tee -a "$out/summary.txt"
	summary "subtests: $subtests; VM exit $rc"
	grep -E '^# kmemleak' "$out/vm.log" | tee -a "$out/summary.txt"
	summary "time: kernel $t_kernel s, boot + selftests $t_vm s"
	[ "$rc" = 0 ] || grep -E '^# vm-run' "$out/vm.log" | head -5 | tee -a "$out/summary.txt"
fi

# 4. the canary: the detectors must catch real bugs. The same module with
#    two bugs put into smtp_help() right after it takes ct->lock: a
#    GFP_KERNEL allocation (may sleep, in softirq under a spinlock) and a
#    GFP_ATOMIC allocation never freed (a leak per packet). One session
#    through it (smtp_helper_basic.sh) must fail the run with a "sleeping
#    function called from invalid context" report and kmemleak's leaks.
#    Skipped when tests are named, or with DEBUG_CANARY=0; DEBUG_CANARY=only
#    runs the canary alone.
if [ $# = 0 ] && [ "${DEBUG_CANARY:-1}" != 0 ]; then
	t0=$(now)
	canary=$out/canary
	rsync -a --delete "$out/src/" "$canary/"
	if [ "$(grep -cxF "$(printf '\tspin_lock_bh(&ct->lock);')" "$canary/kmod/smtp_main.c")" != 1 ]; then
		summary "canary: FAIL (no single 'spin_lock_bh(&ct->lock);' in smtp_main.c to put the bugs after)"
		canary_ok=0
		verdict=FAIL
	else
		sed -i '/^\tspin_lock_bh(&ct->lock);$/a\
	kfree(kmalloc(64, GFP_KERNEL));\
	(void)kmalloc(64, GFP_ATOMIC);' "$canary/kmod/smtp_main.c"
		make -C "$KDIR" M="$canary" modules >"$canary/build.log" 2>&1
		debug_vm "$canary/nf_conntrack_smtp.ko" "$canary/dmesg.txt" \
			-t nf_conntrack_smtp:smtp_helper_basic.sh >"$canary/vm.log" 2>&1
		crc=$?
		sleeping=$(grep -c 'BUG: sleeping function called from invalid context' "$canary/dmesg.txt")
		in_help=$(grep -A30 'BUG: sleeping function called' "$canary/dmesg.txt" | grep -c 'smtp_help')
		leaks=$(sed -n 's/^# kmemleak scan after the selftests: \([0-9]*\).*/\1/p' "$canary/vm.log")
		leak_help=$(grep -c '^#  *\[<[0-9a-f]*>\] smtp_help\|^#  *smtp_help' "$canary/vm.log")
		line="canary: GFP_KERNEL alloc under ct->lock: $sleeping 'sleeping function' reports ($in_help naming smtp_help);"
		line+=" leaked kmalloc: ${leaks:-no} suspected leaks ($leak_help traces through smtp_help); VM exit $crc"
		if [ "$crc" != 0 ] && [ "$sleeping" -gt 0 ] && [ "$in_help" -gt 0 ] && [ "${leaks:-0}" -gt 0 ] &&
			[ "$leak_help" -gt 0 ]; then
			summary "$line: caught ($(secs "$t0") s)"
			canary_ok=1
		else
			summary "$line: NOT caught (logs in $canary)"
			canary_ok=0
			verdict=FAIL
		fi
	fi
fi
summary "check-debug: $verdict"
# the plain last line every test run ends with: the subtests, the canary
# counted as one point
passed=${subtests%% passed*}
failed=${subtests#*passed, }
failed=${failed%% failed*}
case ${canary_ok:-} in
1) passed=$((${passed:-0} + 1)) ;;
0) failed=$((${failed:-0} + 1)) ;;
esac
echo "${passed:-0} passed, ${failed:-0} failed"
[ $verdict = PASS ]
