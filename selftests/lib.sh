#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Shared setup for the nf_conntrack_smtp selftests, in the style of the
# kernel's net/lib.sh and ktap_helpers.sh (which 6.1 does not have yet):
# namespaces with random suffixes, busywait, KTAP test points, and the
# client - gw - server topology every test uses.
#
# Exit codes: 0 pass, 1 fail, 4 skip (kselftest's).

ksft_pass=0
ksft_fail=1
ksft_skip=4

KTAP_CNT_PASS=0
KTAP_CNT_FAIL=0
KTAP_CNT_SKIP=0
KTAP_TESTNO=0

NS_LIST=()

# Where the module, the tool and the helpers are: the checkout, set by the
# guest runner; default: two levels up from an installed test.
: "${NFSMTP_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}"
NFSMTP_KO=${NFSMTP_KO:-$NFSMTP_TOP/nf_conntrack_smtp.ko}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NFSMTP=${NFSMTP:-$NFSMTP_TOP/build/nfsmtp}

ktap_print_header() { echo "TAP version 13"; }
ktap_set_plan() { echo "1..$1"; }

ktap_test_pass() {
	KTAP_TESTNO=$((KTAP_TESTNO + 1))
	KTAP_CNT_PASS=$((KTAP_CNT_PASS + 1))
	echo "ok $KTAP_TESTNO - $*"
}

ktap_test_fail() {
	KTAP_TESTNO=$((KTAP_TESTNO + 1))
	KTAP_CNT_FAIL=$((KTAP_CNT_FAIL + 1))
	echo "not ok $KTAP_TESTNO - $*"
}

ktap_test_skip() {
	KTAP_TESTNO=$((KTAP_TESTNO + 1))
	KTAP_CNT_SKIP=$((KTAP_CNT_SKIP + 1))
	echo "ok $KTAP_TESTNO - $* # SKIP"
}

# ktap_begin PLAN: the KTAP header and plan; when the nfsmtp tool the test
# drives is not built, the whole test is one skipped point
ktap_begin() {
	ktap_print_header
	if [ ! -x "$NFSMTP" ]; then
		ktap_set_plan 1
		ktap_test_skip "nfsmtp is built ($NFSMTP missing: make userspace)"
		exit "$ksft_skip"
	fi
	ktap_set_plan "$1"
}

# check "description" command...: one test point from a command's status
check() {
	local what=$1
	shift
	if "$@"; then
		ktap_test_pass "$what"
	else
		ktap_test_fail "$what"
	fi
}

# fails CODE TEXT CMD...: CMD exits CODE with one line on stderr containing TEXT
# (its output in $TMP/out and $TMP/err)
fails() {
	local code=$1 text=$2 rc
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" -ne "$code" ] || [ "$(wc -l <"$TMP/err")" -ne 1 ] ||
		! grep -qF -- "$text" "$TMP/err"; then
		log "${*#"$NFSMTP"}: exit $rc (want $code), stderr: $(head -c 600 "$TMP/err")"
		return 1
	fi
}

ktap_finished() {
	echo "# $KTAP_CNT_PASS passed, $KTAP_CNT_FAIL failed, $KTAP_CNT_SKIP skipped ($SECONDS s)"
	if [ "$KTAP_CNT_FAIL" -gt 0 ]; then
		exit $ksft_fail
	fi
	exit $ksft_pass
}

log() { echo "# $*"; }

# ---- deferred cleanup ------------------------------------------------------------
# Each setup step that leaves something behind (a namespace, a process, a
# server, a sysctl, a file in /etc) registers its undo where it is made:
# `defer CMD ARGS...` right after it (or just before, when a half-done step
# needs the undo too). The undos run in reverse order (last set up, first
# undone) when the test exits, from the one EXIT trap below, so a test that
# stops anywhere leaves nothing to the next one. A test case with its own
# setup brackets it with defer_scope_push and defer_scope_pop, which undo
# that case's steps at once. The stack holds each command quoted (printf
# %q), to run later with eval.

DEFER_STACK=()	# the quoted commands, the newest last
DEFER_SCOPES=()	# for each open scope, the stack depth where it starts

# defer CMD ARGS...: push CMD ARGS, to run at scope end or exit. Only the
# test's own shell has the stack: a push from a subshell would be lost.
defer() {
	local cmd
	if [ "$BASHPID" != "$$" ]; then
		echo "# defer from a subshell, lost: $*" >&2
		return 1
	fi
	printf -v cmd '%q ' "$@"
	DEFER_STACK+=("$cmd")
}

# defer_run_to DEPTH: pop and run the commands above DEPTH, newest first; a
# command that fails does not stop the others
defer_run_to() {
	local depth=$1 cmd
	while [ "${#DEFER_STACK[@]}" -gt "$depth" ]; do
		cmd=${DEFER_STACK[-1]}
		unset 'DEFER_STACK[-1]'
		eval "$cmd"
	done
}

# defer_scope_push: open a scope; what is deferred from now on runs at
# the matching defer_scope_pop
defer_scope_push() { DEFER_SCOPES+=("${#DEFER_STACK[@]}"); }

# defer_scope_pop: run the innermost scope's commands now and close it
defer_scope_pop() {
	[ "${#DEFER_SCOPES[@]}" -gt 0 ] || { log "defer_scope_pop without a scope"; return 1; }
	defer_run_to "${DEFER_SCOPES[-1]}"
	unset 'DEFER_SCOPES[-1]'
}

# defer_run_all: the EXIT trap; everything still deferred, newest first.
# The test's exit status is kept (ktap_finished's).
defer_run_all() {
	local rc=$?
	defer_run_to 0
	DEFER_SCOPES=()
	return "$rc"
}
trap defer_run_all EXIT

# bg_kill PID...: end background helpers that may be gone already
bg_kill() { kill "$@" 2>/dev/null; }

# ns_del NS: the namespace and whatever still runs in it
ns_del() {
	ip netns pids "$1" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$1" 2>/dev/null
}

# defer_sysctl KEY...: restore each sysctl's value of now at the end (the
# caller changes it next)
defer_sysctl() {
	local key val
	for key in "$@"; do
		val=$(sysctl -n "$key") || return 1
		defer sysctl -qw "$key=$val" || return 1
	done
}

# ---- namespaces ----------------------------------------------------------------

# setup_ns VAR...: create namespaces named VAR-XXXXXX, loopback up; each
# is deleted at the end
setup_ns() {
	local var name
	for var in "$@"; do
		name="$var-$(mktemp -u XXXXXX)"
		ip netns add "$name" || return 1
		defer ns_del "$name"
		ip -n "$name" link set lo up
		ip netns exec "$name" sysctl -qw net.ipv6.conf.all.accept_dad=0
		ip netns exec "$name" sysctl -qw net.ipv6.conf.default.accept_dad=0
		NS_LIST+=("$name")
		eval "$var=$name"
	done
}

# cleanup_all_ns: delete every namespace now, for a test that builds its
# topology again (the deferred deletions then find them gone)
cleanup_all_ns() {
	local ns
	for ns in "${NS_LIST[@]}"; do
		ns_del "$ns"
	done
	NS_LIST=()
}

# busywait TIMEOUT_MS cmd...: retry until cmd succeeds, for up to TIMEOUT_MS
# times WAIT_SCALE
busywait() {
	local timeout=$(($1 * WAIT_SCALE)) start now
	shift
	start=$(date +%s%3N)
	while true; do
		"$@" && return 0
		now=$(date +%s%3N)
		[ $((now - start)) -gt "$timeout" ] && return 1
		sleep 0.1
	done
}

# Addresses: documentation ranges only (RFC 5737, RFC 3849).
C4=192.0.2.2   GC4=192.0.2.1
S4=198.51.100.2 GS4=198.51.100.1
C6=2001:db8:1::2 GC6=2001:db8:1::1
S6=2001:db8:2::2 GS6=2001:db8:2::1

# veth_pair NS1 DEV1 NS2 DEV2: a veth between two namespaces, each end
# with receive packet steering over the CPUs (the first 32). A veth queues
# a received packet on the sending CPU's backlog, so on an SMP guest a flow
# sent from two CPUs (process and softirq) could overtake itself at the
# gateway; RPS hashes each flow to one CPU and keeps its order, as a NIC's
# RSS does. Reordering is tested on purpose (netem, smtp_faults.sh).
veth_pair() {
	local ncpu mask
	ncpu=$(nproc)
	[ "$ncpu" -le 32 ] || ncpu=32
	mask=$(printf '%x' $(((1 << ncpu) - 1)))
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" &&
		ip netns exec "$1" sh -c "echo $mask >/sys/class/net/$2/queues/rx-0/rps_cpus" &&
		ip netns exec "$3" sh -c "echo $mask >/sys/class/net/$4/queues/rx-0/rps_cpus"
}

# topo_setup: client - gw - server, v4 and v6, forwarding in gw, no helper yet
topo_setup() {
	setup_ns client gw server || return 1
	veth_pair "$client" veth0 "$gw" cveth && veth_pair "$server" veth0 "$gw" sveth || return 1
	ip -n "$client" addr add $C4/24 dev veth0
	ip -n "$client" addr add $C6/64 dev veth0 nodad
	ip -n "$server" addr add $S4/24 dev veth0
	ip -n "$server" addr add $S6/64 dev veth0 nodad
	ip -n "$gw" addr add $GC4/24 dev cveth
	ip -n "$gw" addr add $GC6/64 dev cveth nodad
	ip -n "$gw" addr add $GS4/24 dev sveth
	ip -n "$gw" addr add $GS6/64 dev sveth nodad
	local ns
	for ns in "$client" "$server"; do
		ip -n "$ns" link set veth0 up
	done
	ip -n "$gw" link set cveth up
	ip -n "$gw" link set sveth up
	ip -n "$client" route add default via $GC4
	ip -n "$client" -6 route add default via $GC6
	ip -n "$server" route add default via $GS4
	ip -n "$server" -6 route add default via $GS6
	ip netns exec "$gw" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$gw" sysctl -qw net.ipv6.conf.all.forwarding=1
	busywait 5000 ip netns exec "$client" ping -c1 -W1 -q $S4 >/dev/null &&
		busywait 5000 ip netns exec "$client" ping -6 -c1 -W1 -q $S6 >/dev/null
}

# take_opts WHO "NAME..." [--NAME VALUE]...: option pairs into the caller's
# locals of those names (dashes read as underscores); a NAME listed as
# NAME+ may come again, its values gather a line each. An unknown option or
# a missing value is WHO's error. (The _to_ names keep clear of the caller's.)
take_opts() {
	local _to_who=$1 _to_spec=" $2 " _to_var
	shift 2
	while [ $# -gt 0 ]; do
		_to_var=${1#--}
		[ $# -ge 2 ] || { log "$_to_who: $1 wants a value"; return 1; }
		case $_to_spec in
		*" $_to_var "*) printf -v "${_to_var//-/_}" '%s' "$2" ;;
		*" $_to_var+ "*)
			_to_var=${_to_var//-/_}
			printf -v "$_to_var" '%s%s\n' "${!_to_var}" "$2" ;;
		*) log "$_to_who: unknown option $1"; return 1 ;;
		esac
		shift 2
	done
}

# ns_enter NS CMD...: how ns_run enters a namespace (demo.sh enters with
# busybox's static nsenter instead: faster to start under TCG)
ns_enter() { ip netns exec "$@"; }

# ns_run NS CMD...: CMD in namespace NS, or in the initial namespace when NS
# is "" or "-" (smtp_ops.sh's gateway is the initial namespace)
ns_run() {
	local ns=$1
	shift
	if [ -z "$ns" ] || [ "$ns" = - ]; then
		"$@"
	else
		ns_enter "$ns" "$@"
	fi
}

# nft_helper NS [--table NAME] [--family inet|ip|ip6] [--port P] [--extra RULE]...:
# the one nft ruleset of the selftests that attaches the helper: table
# FAMILY NAME (inet smtp_raw) with the ct helper object "smtp" and a
# prerouting chain (filter, priority 0) that sets it for tcp dport P (25).
# Each RULE goes into that chain, in order, before the helper rule: the ct
# marks that choose a policy profile are set before the helper attaches.
nft_helper() {
	local ns=$1 table=smtp_raw family=inet port=25 extra=''
	shift
	take_opts nft_helper "table family port extra+" "$@" || return 1
	ns_run "$ns" nft -f - <<-EOF
	table $family $table {
		ct helper smtp {
			type "smtp" protocol tcp;
		}
		chain pre {
			type filter hook prerouting priority 0; policy accept;
			${extra}tcp dport $port ct helper set "smtp"
		}
	}
	EOF
}

# nft_helper_del NS [TABLE [FAMILY]]: drop what nft_helper NS made
nft_helper_del() {
	ns_run "$1" nft delete table "${3:-inet}" "${2:-smtp_raw}"
}

# gw_nft_helper [nft_helper options]: the helper in the gateway, most
# suites' way
gw_nft_helper() { nft_helper "$gw" "$@"; }

gw_nft_helper_del() { nft_helper_del "$gw" "$@"; }

# gw_iptables_helper: the same with iptables/ip6tables CT targets
gw_iptables_helper() {
	ip netns exec "$gw" iptables -t raw -A PREROUTING -p tcp --dport 25 -j CT --helper smtp &&
		ip netns exec "$gw" ip6tables -t raw -A PREROUTING -p tcp --dport 25 -j CT --helper smtp
}

gw_iptables_helper_del() {
	ip netns exec "$gw" iptables -t raw -F PREROUTING
	ip netns exec "$gw" ip6tables -t raw -F PREROUTING
}

# load_module: conntrack core, then ours from the checkout
load_module() {
	modprobe nf_conntrack || return 1
	# our RSTs go out through these (module dependencies insmod does not load)
	modprobe nf_reject_ipv4 && modprobe nf_reject_ipv6 || return 1
	modprobe nft_ct 2>/dev/null
	if ! grep -q '^nf_conntrack_smtp ' /proc/modules; then
		insmod "$NFSMTP_KO" "$@" || return 1
	fi
}

unload_module() {
	if grep -q '^nf_conntrack_smtp ' /proc/modules; then
		rmmod nf_conntrack_smtp
	fi
}

# sink_start NS ADDR DIR [args]: the python SMTP sink, storing messages in DIR
sink_start() {
	local ns=$1 addr=$2 dir=$3
	shift 3
	mkdir -p "$dir"
	ip netns exec "$ns" $PY "$HERE/smtp_sink.py" --listen "$addr" --port 25 \
		--maildir "$dir" "$@" >"$dir.log" 2>&1 &
	busywait 10000 port_listening "$ns" 25
}

port_listening() {
	ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q LISTEN
}

# stat NS NAME: one helper counter of a namespace
stat() {
	ip netns exec "$1" awk -v k="$2" '$1 == k { print $2 }' /proc/net/nf_conntrack_smtp
}

# ct_has_helper NS: conntrack shows an SMTP entry with helper=smtp
ct_has_helper() {
	local ns=$1 family=$2
	ip netns exec "$ns" conntrack -L -f "$family" -p tcp --dport 25 2>/dev/null |
		grep -q 'helper=smtp'
}

# slow_kernel: a debug kernel (KASAN), several times slower under TCG: the
# long tests run a subset there, the Debian kernel runs them whole
slow_kernel() { grep -qw kasan_report /proc/kallsyms 2>/dev/null; }

# WAIT_SCALE: how many times longer than on Debian's kernel a wait for
# something that will happen may take. In CI the debug kernel's VM shares
# two cores with the Debian kernel's: 10 s waits for a commit or a listening
# server ran out there. Waits return as soon as their condition holds; only
# a test that fails pays for the scale. The Python clients read it too.
WAIT_SCALE=${NFSMTP_WAIT_SCALE:-$(slow_kernel && echo 5 || echo 1)}
export NFSMTP_WAIT_SCALE=$WAIT_SCALE

# Guest kernel log check points: the VM runner checks the whole log at the
# end; these let a test attribute a warning to itself.
dmesg_mark() { echo "nfsmtp-test: $*" > /dev/kmsg; }

# kernel_log_start, then kernel_log_clean: nothing the VM runner's log check
# would flag was logged in between (the runner checks the whole log at the
# end; this attributes a report to the test). The start is a mark in the
# log, not a line count: a debug kernel's ring buffer wraps. If the mark is
# gone, the whole buffer is checked.
KLOG_MARK=''
kernel_log_start() {
	KLOG_MARK="nfsmtp-test: $(basename "$0") starts ($$.$RANDOM)"
	echo "$KLOG_MARK" >/dev/kmsg
}
kernel_log_clean() {
	local bad='BUG:|WARNING:|Oops|KASAN|UBSAN|refcount_t|leak|sleeping function|lockdep|circular locking|Call Trace'
	local hits
	hits=$(dmesg | awk -v m="$KLOG_MARK" 'index($0, m) { n = NR; delete l } { l[NR] = $0 }
		END { for (i = n + 1; i <= NR; i++) print l[i] }' | grep -E "$bad")
	[ -z "$hits" ] && return 0
	head -n 10 <<<"$hits" | sed 's/^/#   /'
	return 1
}

# ---- the gateway's nfsmtp and its event monitor -----------------------------

# gw_nfsmtp ARGS...: nfsmtp in the gateway namespace, $gw; where gw is
# not set (smtp_ops.sh: the host is the gateway), in this one
gw_nfsmtp() {
	if [ -n "${gw:-}" ]; then
		ip netns exec "$gw" "$NFSMTP" "$@"
	else
		"$NFSMTP" "$@"
	fi
}

# monitor_subscribed PID GROUP: PID's generic netlink socket in the gateway
# joined GROUP (/proc shows the first 32 groups; past those, the socket's
# presence)
monitor_subscribed() {
	local pid=$1 grp=$2 groups
	groups=$(ip netns exec "$gw" awk -v pid="$pid" '$2 == 16 && $3 == pid { print $4 }' \
		/proc/net/netlink | head -1)
	[ -n "$groups" ] || return 1
	[ "${grp:-0}" -ge 32 ] && return 0
	[ $((0x$groups & (1 << (${grp:-1} - 1)))) -ne 0 ]
}

# monitor_start FILE: nfsmtp monitor -j in the gateway (MON_PID, killed at
# the end), once it is subscribed to the events group
monitor_start() {
	local grp
	grp=$(ip netns exec "$gw" genl ctrl get name nf_smtp 2>/dev/null |
		sed -n 's/.*ID-0x\([0-9a-f]*\)[[:space:]]*name: events.*/\1/p' | head -1)
	ip netns exec "$gw" "$NFSMTP" monitor -j >"$1" 2>"$1.err" &
	MON_PID=$!
	defer bg_kill "$MON_PID"
	busywait 10000 monitor_subscribed "$MON_PID" "$((16#${grp:-1}))"
}

# monitor_stop: SIGINT; the monitor's exit status
monitor_stop() {
	kill -INT "$MON_PID"
	wait "$MON_PID"
}

# ---- a postfix server's deliveries and log (postfix.sh's DIR) ----------------
# Each takes the postfix directory DIR first: DIR/mail/*.eml are the
# deliveries, DIR/maillog the log.

# mail_count DIR: messages delivered so far (complete or being written)
mail_count() { ls "$1/mail" | grep -c '\.eml$'; }

# mail_done DIR N: N messages in all delivered completely: the pipe
# transport's dd creates the file before it writes it; postfix logs
# "removed" after
mail_done() {
	[ "$(mail_count "$1")" -ge "$2" ] &&
		[ "$(grep -c ': removed$' "$1/maillog")" -ge "$2" ]
}

# mail_wait DIR N [TIMEOUT_MS]: until mail_done DIR N (default 30 s)
mail_wait() { busywait "${3:-30000}" mail_done "$1" "$2"; }

# mail_newest DIR: the last delivery
mail_newest() { ls -t "$1"/mail/*.eml 2>/dev/null | head -1; }

# delivered_as DIR N FILE: delivery number N arrived, and the newest one is
# FILE as sent (delivered_body, postfix.sh)
delivered_as() {
	mail_wait "$1" "$2" || { log "no delivery number $2"; return 1; }
	delivered_body "$(mail_newest "$1")" | cmp -s - "$3" ||
		{ log "delivered message differs from $(basename "$3")"; return 1; }
}

# maillog_mark DIR: the log's length now, for maillog_since
maillog_mark() { wc -l <"$1/maillog"; }

# maillog_since DIR MARK: the log lines written since MARK
maillog_since() { tail -n +$(($2 + 1)) "$1/maillog"; }

# maillog_count DIR MARK REGEX: how many lines since MARK match
maillog_count() { maillog_since "$1" "$2" | grep -cE -- "$3"; }

# maillog_has DIR MARK REGEX [N]: N lines (default 1) or more since MARK
# match
maillog_has() { [ "$(maillog_count "$1" "$2" "$3")" -ge "${4:-1}" ]; }

# maillog_wait DIR MARK REGEX [N [TIMEOUT_MS]]: until maillog_has DIR MARK
# REGEX N (default 15 s)
maillog_wait() { busywait "${5:-15000}" maillog_has "$1" "$2" "$3" "${4:-1}"; }
