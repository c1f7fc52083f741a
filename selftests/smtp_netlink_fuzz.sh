#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Netlink security of the nf_smtp family: userspace/tests/nl_fuzz.c sends
# random requests (commands, genl header fields, netlink flags, attribute
# types, sizes, values, nesting, broken lengths, trailing bytes) and checks
# every answer against a model of Linux 6.1's strict generic netlink
# validation and the module's own checks:
# - as root in a netns: every malformed request gets its error, with extack
#   when the kernel names the attribute or header field, every valid one
#   succeeds, and after every policy set, accepted or refused, the profile
#   read back equals the model (a refused request changes nothing);
# - as an unprivileged user (nobody, no capabilities) in the init netns and
#   in a netns owned by the init user namespace: EPERM for every known
#   command, nothing changes (policy digests before and after);
# - as root of a user namespace owning a new netns (unshare -Urn as nobody):
#   treated as root there, and only there;
# - a socket opened in the init netns, then used after unshare -Urn (as
#   nobody and as root): EPERM, the kernel checks the caller's credentials
#   in the socket's netns, not those in the caller's new namespaces;
# and the kernel logs no report.

source "$(dirname "$0")/lib.sh"

NL_FUZZ=${NL_FUZZ:-$NFSMTP_TOP/build/nl_fuzz}
N=${NL_FUZZ_N:-3000}
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
TMP=$(mktemp -d)
defer rm -rf "$TMP"
chmod 755 "$TMP"

ktap_print_header
if [ ! -x "$NL_FUZZ" ]; then
	ktap_set_plan 1
	ktap_test_skip "nl_fuzz is built ($NL_FUZZ missing: make userspace)"
	exit "$ksft_skip"
fi
ktap_set_plan 12
kernel_log_start

if ! load_module || ! setup_ns fz; then
	ktap_test_fail "setup: module loaded, netns fz"
	ktap_finished
fi
ktap_test_pass "setup: module loaded, netns fz"

# field FILE WHAT KEY: KEY=VALUE of the "summary WHAT" line of an nl_fuzz run
field() {
	sed -n "s/^summary $2 .*\<$3=\([0-9]*\).*/\1/p" "$1" | tail -n1
}

# show FILE: an nl_fuzz run's summary and first problems, as comments
show() {
	grep -E '^(summary|own-netns-set|# )' "$1" | head -n 40 | cut -c1-240 | sed 's/^/# /'
}

# run_fuzz OUT CMD...: an nl_fuzz run, its output in OUT; its status
run_fuzz() {
	local out=$1
	shift
	"$@" >"$out" 2>&1
	local rc=$?
	show "$out"
	return $rc
}

digest() { "$@" "$NL_FUZZ" digest 2>&1; }
init0=$(digest env)

# ---- root ----------------------------------------------------------------------

run_fuzz "$TMP/root" ip netns exec "$fz" "$NL_FUZZ" fuzz -n "$N" -s 1 -e priv
rc=$?
R=$TMP/root
check "root (netns fz): $N random requests answered as the model says: each malformed one refused with its errno, each valid one done (none unanswered)" \
	eval '[ $rc = 0 ] && [ "$(field $R priv mismatches)" = 0 ] && [ "$(field $R priv noanswer)" = 0 ] &&
	      [ "$(field $R priv invalid)" -gt $((N / 4)) ] && [ "$(field $R priv valid)" -gt $((N / 10)) ]'
check "root: every header or attribute error carries extack (a message or the attribute's offset)" \
	eval '[ "$(field $R priv need_extack)" -gt 0 ] && [ "$(field $R priv missing_extack)" = 0 ]'
check "root: after every policy set, accepted or refused, the profile read back equals the model (a refused request changes nothing)" \
	eval '[ "$(field $R priv changes)" -gt 0 ] && [ "$(field $R priv state_checks)" -gt 0 ] &&
	      [ "$(field $R priv state_mismatches)" = 0 ]'

# ---- unprivileged --------------------------------------------------------------------

fz0=$(digest ip netns exec "$fz")

# eperm_ok FILE: every known command got EPERM (the model's check), none succeeded
eperm_ok() {
	[ "$(field "$1" unpriv mismatches)" = 0 ] && [ "$(field "$1" unpriv noanswer)" = 0 ] &&
		[ "$(field "$1" unpriv ok)" = 0 ] && [ "$(field "$1" unpriv eperm)" -gt 0 ]
}
run_fuzz "$TMP/nobody_init" "${NOBODY[@]}" "$NL_FUZZ" fuzz -n $((N / 2)) -s 2 -e eperm
rc=$?
check "nobody (init netns): EPERM for every request with a known command, none succeeds (malformed headers EINVAL, unknown commands EOPNOTSUPP)" \
	eval '[ $rc = 0 ] && eperm_ok "$TMP/nobody_init"'
run_fuzz "$TMP/nobody_fz" ip netns exec "$fz" "${NOBODY[@]}" "$NL_FUZZ" fuzz -n $((N / 2)) -s 3 -e eperm
rc=$?
check "nobody (netns fz, owned by the init user namespace): EPERM for every request with a known command, none succeeds" \
	eval '[ $rc = 0 ] && eperm_ok "$TMP/nobody_fz"'
fz1=$(digest ip netns exec "$fz")
check "nobody: the policies of the init netns and of netns fz are unchanged (digest of the 8 profiles)" \
	eval '[ "$(digest env)" = "$init0" ] && [ "$fz1" = "$fz0" ] || { log "init $init0 -> $(digest env), fz $fz0 -> $fz1"; false; }'

# ---- user namespaces -------------------------------------------------------------------

if "${NOBODY[@]}" unshare -Urn true 2>/dev/null; then
	fz2=$(digest ip netns exec "$fz")
	run_fuzz "$TMP/userns" "${NOBODY[@]}" unshare -Urn "$NL_FUZZ" fuzz -n $((N / 2)) -s 4 -e priv
	rc=$?
	U=$TMP/userns
	check "user-ns root (unshare -Urn as nobody) in its own netns: answered as root, policy follows the model" \
		eval '[ $rc = 0 ] && [ "$(field $U priv mismatches)" = 0 ] &&
		      [ "$(field $U priv changes)" -gt 0 ] && [ "$(field $U priv state_mismatches)" = 0 ]'
	check "user-ns root: the policies of the init netns and of netns fz are unchanged" \
		eval '[ "$(digest env)" = "$init0" ] && [ "$(digest ip netns exec "$fz")" = "$fz2" ]'
	run_fuzz "$TMP/deputy" "${NOBODY[@]}" "$NL_FUZZ" deputy -n $((N / 4)) -s 5
	rc=$?
	check "a socket nobody opened in the init netns, used as user-ns root after unshare -Urn: EPERM for every known command; a socket of the new netns sets policy there" \
		eval '[ $rc = 0 ] && eperm_ok "$TMP/deputy" &&
		      grep -q "^own-netns-set ok" "$TMP/deputy"'
	run_fuzz "$TMP/deputy_root" "$NL_FUZZ" deputy -n $((N / 4)) -s 6
	rc=$?
	check "the same socket opened by root: after unshare -Urn its requests get EPERM too (capabilities in a child user namespace do not count in the init netns)" \
		eval '[ $rc = 0 ] && eperm_ok "$TMP/deputy_root" && [ "$(digest env)" = "$init0" ]'
else
	for t in "user-ns root in its own netns" "user-ns root: other policies unchanged" \
		"socket opened before unshare (nobody)" "socket opened before unshare (root)"; do
		ktap_test_skip "$t (no unprivileged user namespaces)"
	done
fi

# ---- the kernel log ------------------------------------------------------------------------

check "kernel log: no BUG, WARNING, KASAN, UBSAN, lockdep, refcount or leak report during the fuzzing" \
	kernel_log_clean

ktap_finished
