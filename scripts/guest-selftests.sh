#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test VM: all installed kselftests of nf_conntrack_smtp
# (build/kselftest, laid out as the kernel's `make install` does), then a
# kmemleak scan when the kernel has one.  Usage: guest-selftests.sh TOP
set -u
top=${1:?usage: guest-selftests.sh TOP}
export NFSMTP_TOP=$top
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

cd "$top/build/kselftest" || exit 1
./run_kselftest.sh "${@:2}"
rc=$?

if [ -w /sys/kernel/debug/kmemleak ] 2>/dev/null; then
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
fi
exit $rc
