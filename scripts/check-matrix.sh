#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check-matrix.sh [KERNEL...]: the kernel matrix (make check-matrix). For each
# kernel (default: host 6.12 latest, i.e. Debian bookworm's 6.1 installed
# here, trixie's 6.12 and the newest 7.x of trixie-backports or sid):
#   1. scripts/kernels.sh prepare KERNEL (downloads and tool rebuild once,
#      cached in ${NFSMTP_CACHE:-/var/cache/nf-smtp}/kernels/);
#   2. builds the module against it with W=1 -Werror in build/matrix/KVER/
#      (a copy of Kbuild, kmod/ and include/: the checkout's own build is
#      left alone);
#   3. boots it under qemu with scripts/vm-run.sh and runs the whole
#      selftest suite on that module (NFSMTP_KO). The suite is installed once
#      per matrix run into build/matrix/top.PID/build/kselftest, with a copy
#      of the tools (build/nfsmtp, ct_helpinfo, nl_fuzz) beside it: every kernel runs the same tests, and a
#      concurrent "make vm-check" reinstalling build/kselftest cannot pull
#      them away under a running guest.
# Prints per kernel the guest's uname -r and /proc/version, the Debian package
# version, the build warnings, each selftest's result and the timings (also
# in build/matrix/summary.txt); exits 1 if any kernel fails.
# Environment: KBUILD_W (1), KCFLAGS_EXTRA (-Werror), as the top Makefile;
# MATRIX_PARALLEL=1 boots the kernels at the same time (TCG guests of the
# selftests spend much of their time waiting); MATRIX_VM_TIMEOUT (5400 s:
# the suite's 9 tests at their 600 s limit; vm-run's default 1500 s is too
# short for the whole suite under TCG on a loaded 2-core machine).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=$top/build/matrix
mkdir -p "$out"
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(host 6.12 latest)

now() { date +%s.%N; }
secs() { printf '%.1f' "$(echo "$(now) - $1" | bc)"; }

# The selftests are the same for every kernel: install them once, into a
# tree laid out like the checkout's (guest-selftests.sh TOP runs
# TOP/build/kselftest; the tests find the tool as $NFSMTP_TOP/build/nfsmtp).
snap=$out/top.$$
trap 'rm -rf "$snap" "$out"/.result.$$.*' EXIT
rm -rf "$snap"
mkdir -p "$snap/build"
make -s selftests-install KSFT_INSTALL="$snap/build/kselftest" ||
	{ echo "check-matrix: selftests-install failed"; exit 1; }
for tool in nfsmtp ct_helpinfo nl_fuzz; do	# the tools the selftests run
	[ ! -x "$top/build/$tool" ] || cp "$top/build/$tool" "$snap/build/$tool"
done
tests=$(sed 's/^[^:]*://' "$snap/build/kselftest/kselftest-list.txt" | tr '\n' ' ')

# run_kernel N KERNEL: prepare, build, boot and test; the summary lines go to
# $out/.result.PID.N, and its exit status says whether the kernel passed.
run_kernel() {
	local k=$2 res=$out/.result.$$.$1 env dir t0 t_prep t_build t_vm rc warnings guest verdict
	local KVER='' PKGVER='' SUITE='' KDIR='' VMLINUZ='' MODDIR=''
	: >"$res"
	t0=$(now)
	if ! env=$("$top/scripts/kernels.sh" prepare "$k"); then
		echo "kernel $k: FAIL (could not prepare it)" >>"$res"
		return 1
	fi
	t_prep=$(secs "$t0")
	eval "$env"
	dir=$out/$KVER
	mkdir -p "$dir"

	# build: a copy of the module sources, so objects of different kernels
	# never mix (nor with the checkout's default build)
	echo "# $KVER: building the module in $dir/src"
	t0=$(now)
	rsync -a --delete --exclude='*.o' --exclude='.*.cmd' --include='/Kbuild' \
		--include='/kmod/***' --include='/include/***' --exclude='*' "$top/" "$dir/src/"
	make -C "$KDIR" M="$dir/src" W="${KBUILD_W:-1}" KCFLAGS="${KCFLAGS_EXTRA:--Werror}" \
		modules >"$dir/build.log" 2>&1
	rc=$?
	t_build=$(secs "$t0")
	warnings=$(grep -cE 'warning:|error:' "$dir/build.log")
	if [ $rc != 0 ] || [ ! -f "$dir/src/nf_conntrack_smtp.ko" ]; then
		{
			echo "kernel $KVER ($PKGVER, $SUITE): FAIL (module build, $warnings warnings/errors; $dir/build.log)"
			grep -E 'warning:|error:' "$dir/build.log" | head -20 | sed 's/^/    /'
		} >>"$res"
		return 1
	fi

	# boot and run every selftest on this module
	echo "# $KVER: booting under qemu, selftests running (log: $dir/vm.log)"
	t0=$(now)
	# shellcheck disable=SC2016 # expanded in the guest
	NFSMTP_KO=$dir/src/nf_conntrack_smtp.ko NFSMTP_VMLINUZ=$VMLINUZ NFSMTP_MODDIR=$MODDIR \
		NFSMTP_VM_LOGDIR=$dir NFSMTP_VM_DMESG=$dir/dmesg.txt NFSMTP_VM_VERBOSE=1 \
		"$top/scripts/vm-run.sh" --kernel "$KVER" --timeout "${MATRIX_VM_TIMEOUT:-5400}" -- /bin/bash -c \
		'echo "# guest uname -r: $(uname -r)"; echo "# guest /proc/version: $(cat /proc/version)"; exec "$0" "$@"' \
		"$top/scripts/guest-selftests.sh" "$snap" >"$dir/vm.log" 2>&1
	rc=$?
	t_vm=$(secs "$t0")

	guest=$(sed -n 's/^# guest uname -r: //p' "$dir/vm.log" | head -n1)
	verdict=PASS
	[ $rc = 0 ] && [ "$guest" = "$KVER" ] || verdict=FAIL
	{
		echo "kernel $KVER: $verdict"
		echo "  guest uname -r: ${guest:-?}; Debian package $PKGVER ($SUITE)"
		echo "  $(sed -n 's/^# guest \/proc\/version: //p' "$dir/vm.log" | head -n1)"
		echo "  module build: $warnings warnings (W=${KBUILD_W:-1} ${KCFLAGS_EXTRA:--Werror}, $dir/build.log)"
		grep -E '^(not )?ok [0-9]+ selftests: ' "$dir/vm.log" | sed 's/^/  /'
		echo "  subtests: $("$top/scripts/ktap-summary.sh" "$dir/vm.log"); VM exit $rc"
		echo "  time: prepare $t_prep s, build $t_build s, boot + selftests $t_vm s"
		[ $rc = 0 ] || grep -E '^# vm-run' "$dir/vm.log" | head -5 | sed 's/^/  /'
	} >>"$res"
	[ $verdict = PASS ]
}

failed=0
t_all=$(now)
pids=()
for i in "${!kernels[@]}"; do
	if [ "${MATRIX_PARALLEL:-0}" = 1 ]; then
		run_kernel "$i" "${kernels[$i]}" &
		pids+=($!)
	else
		run_kernel "$i" "${kernels[$i]}" || failed=1
	fi
done
for p in "${pids[@]}"; do
	wait "$p" || failed=1
done

{
	echo "selftests: $tests"
	for i in "${!kernels[@]}"; do
		cat "$out/.result.$$.$i"
	done
	echo "check-matrix: ${#kernels[@]} kernels in $(secs "$t_all") s: $([ $failed = 0 ] && echo all passed || echo FAILED)"
} | tee "$out/summary.txt"
exit $failed
