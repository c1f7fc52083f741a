# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by dkms-check.sh and deb-check.sh: KTAP test points for host-side
# steps, and the wait for test VMs before writing /lib/modules.
#
#   OUT          directory of the step logs (N.log)
#   POINT_PREFIX put before every description (deb-check: "ops: deb: ")
# point RC DESCRIPTION, skip DESCRIPTION REASON, step DESCRIPTION CMD...;
# $n points so far, $fails of them failed.

n=0
fails=0
point() {	# point RC DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - ${POINT_PREFIX:-}$2"
	else
		echo "not ok $n - ${POINT_PREFIX:-}$2"
		fails=$((fails + 1))
	fi
}
skip() { n=$((n + 1)); echo "ok $n - ${POINT_PREFIX:-}$1 # SKIP $2"; }
# step DESCRIPTION CMD...: a point for one command, its output in
# $OUT/N.log (the tail shown on failure), its duration
step() {
	local what=$1 log t0 rc
	shift
	log=$OUT/$((n + 1)).log
	t0=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	point $rc "$what ($(($(date +%s) - t0)) s)"
	[ $rc = 0 ] || tail -30 "$log" | sed 's/^/# /'
	return $rc
}

# wait_for_vms: a VM of a Debian kernel reads /lib/modules over 9p, and a
# module installed there meanwhile would be loaded by its tests: wait (up to
# 30 min) until none runs (debug-kernel VMs have their drivers built in: no
# conflict); NFSMTP_DKMS_FORCE=1 does not wait. Bails out after 30 min.
wait_for_vms() {
	local waited=0
	while [ "${NFSMTP_DKMS_FORCE:-0}" != 1 ] &&
		pgrep -af 'mount_tag=hostroot' | grep -v debug-kernel | grep -q qemu; do
		if [ $waited -ge 1800 ]; then
			echo "Bail out! a VM of scripts/vm-run.sh is running on /lib/modules: run when it has ended (or NFSMTP_DKMS_FORCE=1)"
			exit 2
		fi
		[ $waited = 0 ] && echo "# waiting for the test VMs reading /lib/modules to end" >&2
		sleep 10
		waited=$((waited + 10))
	done
}
