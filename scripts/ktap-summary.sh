#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ktap-summary.sh LOG...: count KTAP test points in logs and print
# "N passed, N failed". Nested points (a test script's own, printed by the
# kselftest runner behind "# ") are counted; a top-level "not ok" whose
# script reported no failing point of its own counts as one failure.
awk '
/^(# )*ok [0-9]+ / && !/# SKIP/ {
	if ($0 ~ /^ok [0-9]+ selftests: /) next
	pass++
	next
}
/^(# )*not ok [0-9]+ / {
	if ($0 ~ /^not ok [0-9]+ selftests: /) {
		if (!inner_fail) fail++
		inner_fail = 0
		next
	}
	fail++
	inner_fail++
	next
}
/^# selftests: / { inner_fail = 0 }
END { printf "%d passed, %d failed\n", pass, fail }
' "$@"
