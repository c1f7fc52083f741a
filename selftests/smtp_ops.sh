#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Operations: the policy an operator writes in /etc/nfsmtp.conf is in force
# before the first session, however the module loads; policy files apply
# all or nothing; the counters for Prometheus; who may read the counters.
#
#  - nfsmtp -c -f checks a file without the module; -f - reads stdin; the
#    default nfsmtp.conf changes nothing;
#  - the modprobe.d install hook (contrib/modprobe.d/nfsmtp-policy.conf and
#    contrib/nfsmtp-modprobe-hook, paths pointed at this checkout) in the
#    guest's /etc/modprobe.d, the module only findable by modprobe (depmod),
#    /etc/nfsmtp.conf with starttls strip: an nft ruleset naming the helper
#    autoloads the module (request_module nfct-helper-smtp, the kernel's
#    modprobe in the initial namespace), and the very first SMTP session
#    through the gateway (the initial namespace: the hook's) is stripped;
#  - a bad /etc/nfsmtp.conf, or no nfsmtp: the module still loads (and the
#    ruleset), with its defaults, and the kernel log says why;
#  - nfsmtp -f: a bad line or a refusal by the kernel midway changes
#    nothing; policy show > FILE; nfsmtp -f FILE round-trips;
#  - stats -o prometheus: promtool check metrics (and a strict parser), the
#    /proc counters, the netns label;
#  - /proc/net/nf_conntrack_smtp is 0440: as nobody it and nfsmtp stats
#    both fail, as root both work.

source "$(dirname "$0")/lib.sh"
source "$HERE/postfix.sh"
source "$HERE/fixup_lib.sh"

TMP=$(mktemp -d)
defer rm -rf "$TMP"
chmod 755 "$TMP"
PF=$TMP/pf
CONF=/etc/nfsmtp.conf
HOOK=/etc/modprobe.d/nfsmtp-policy.conf
PROMTOOL=${NFSMTP_PROMTOOL:-${NFSMTP_CACHE:-/var/cache/nf-smtp}/prometheus/usr/bin/promtool}
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
# the test loads and unloads the module in many ways; later tests load it
# themselves, with their own parameters (after /etc is as it was)
defer busywait 10000 unload_module

# etc_restore: /etc/nfsmtp.conf and the modprobe.d hook as they were
etc_restore() {
	rm -f "$CONF" "$HOOK"
	[ -e "$TMP/conf.saved" ] && cp -a "$TMP/conf.saved" "$CONF"
	[ -e "$TMP/hook.saved" ] && cp -a "$TMP/hook.saved" "$HOOK"
}
[ -e "$CONF" ] && cp -a "$CONF" "$TMP/conf.saved"
[ -e "$HOOK" ] && cp -a "$HOOK" "$TMP/hook.saved"
defer etc_restore
# the gateway is the initial namespace (gw unset): lib.sh's gw_nfsmtp,
# fixup_lib's gw_stats etc. ask it

ktap_begin 31
kernel_log_start

loaded() { grep -q '^nf_conntrack_smtp ' /proc/modules; }

# kv NS PROFILE KEY VALUE: policy show of PROFILE (in NS, or here) sets KEY
# to VALUE, wherever the key table puts KEY on the profile's lines
kv() {
	local ns=(${1:+ip netns exec "$1"})
	"${ns[@]}" "$NFSMTP" policy show profile "$2" |
		grep -Eq "^policy set profile $2( [^ ]+ [^ ]+)* $3 $4( |\$)"
}

# pol_changes BEFORE AFTER: what differs between two policy show -j, one
# "PROFILE key=value" (or "ns key=value") per line, sorted
pol_changes() {
	$PY "$HERE/nfsmtp_json.py" policy-diff "$1" "$2"
}

# ---- policy files without the module ---------------------------------------------

# The tool must not need the module to check a file, nor load it through
# the nf_smtp family's alias: modprobe answers nothing meanwhile.
busywait 10000 unload_module
defer_scope_push
defer_sysctl kernel.modprobe
echo /bin/false >/proc/sys/kernel/modprobe

check "ops: nfsmtp -c -f accepts the default nfsmtp.conf (every line a comment) without the module, silently" eval '
	"$NFSMTP" -c -f "$NFSMTP_TOP/contrib/nfsmtp.conf" >"$TMP/out" 2>&1 && [ ! -s "$TMP/out" ] &&
	"$NFSMTP" -f "$NFSMTP_TOP/contrib/nfsmtp.conf" >"$TMP/out" 2>&1 && [ ! -s "$TMP/out" ] && ! loaded'

cat >"$TMP/bad.conf" <<'EOF'
# two bad lines
policy set profile 1 starttls strip
policy set starttls maybe
policy set profile 2 rcpt-max 100
policy set profile 9 banner mask
EOF
check_bad() {
	"$NFSMTP" -c -f "$TMP/bad.conf" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	[ $rc -eq 2 ] && [ "$(wc -l <"$TMP/err")" -eq 2 ] && [ ! -s "$TMP/out" ] &&
		grep -qxF "nfsmtp: $TMP/bad.conf:3: bad value \"maybe\" for starttls: use allow or strip" "$TMP/err" &&
		grep -qxF "nfsmtp: $TMP/bad.conf:5: bad profile \"9\": the kernel has profiles 0 to 7" "$TMP/err" &&
		! loaded && return 0
	log "exit $rc: $(cat "$TMP/err")"
	return 1
}
check "ops: nfsmtp -c -f names every bad line as FILE:LINE (lines 3 and 5), exit 2, without the module" check_bad
check "ops: nfsmtp -c -f - reads standard input: a good file exits 0, a bad line is <stdin>:LINE" eval '
	printf "policy set starttls strip\n" | "$NFSMTP" -c -f - &&
	printf "\n\npolicy set banner hide\n" | fails 2 "nfsmtp: <stdin>:3: bad value \"hide\" for banner" \
		"$NFSMTP" -c -f -'
check "ops: -c without -f, and a command after -f, are usage errors (exit 2)" eval '
	fails 2 "-c checks a policy file: use nfsmtp -c -f FILE" "$NFSMTP" -c &&
	fails 2 "-f applies a file: nothing may follow it" "$NFSMTP" -f "$TMP/bad.conf" policy show'
defer_scope_pop

# ---- the modprobe hook: policy before the first session --------------------------------

# modprobe must find the module: vm-run.sh --ko put it in extra/ (make
# vm-check), or smtp_helper_basic.sh did; else put it there now (depmod
# takes ~25 s under TCG)
modprobe_finds_module() {
	local p
	p=$(modinfo -n nf_conntrack_smtp 2>/dev/null)
	if [ -z "$p" ] || ! cmp -s "$p" "$NFSMTP_KO"; then
		log "modprobe finds ${p:-no nf_conntrack_smtp}: installing $NFSMTP_KO in extra/ and running depmod"
		mkdir -p "/lib/modules/$(uname -r)/extra" &&
			cp "$NFSMTP_KO" "/lib/modules/$(uname -r)/extra/" && depmod -a || return 1
		p=$(modinfo -n nf_conntrack_smtp 2>/dev/null)
		cmp -s "$p" "$NFSMTP_KO" || { log "modprobe finds $p, not this build"; return 1; }
	fi
	log "modprobe finds $p"
}

# install_hook NFSMTP: the hook as contrib has it, pointed at NFSMTP and at
# a copy of the hook script here (the host root is read-only)
install_hook() {
	sed "s|^nfsmtp=/usr/sbin/nfsmtp\$|nfsmtp=$1|" "$NFSMTP_TOP/contrib/nfsmtp-modprobe-hook" \
		>"$TMP/modprobe-hook" && chmod 755 "$TMP/modprobe-hook" &&
		grep -qxF "nfsmtp=$1" "$TMP/modprobe-hook" &&
		sed "s|/usr/libexec/nfsmtp/modprobe-hook|$TMP/modprobe-hook|" \
			"$NFSMTP_TOP/contrib/modprobe.d/nfsmtp-policy.conf" >"$HOOK" &&
		modprobe --showconfig | grep -qF "install nf_conntrack_smtp /sbin/modprobe --ignore-install nf_conntrack_smtp \$CMDLINE_OPTS && { $TMP/modprobe-hook || :; }"
}

printf '# the policy before the first session\npolicy set starttls strip\n' >"$CONF"
check "ops: modprobe finds nf_conntrack_smtp (depmod), sees the install hook in /etc/modprobe.d; /etc/nfsmtp.conf says starttls strip" \
	eval 'busywait 10000 unload_module && modprobe_finds_module && install_hook "$NFSMTP"'

# link_del DEV: a link of the initial namespace, if it is still there
link_del() { ip link del "$1" 2>/dev/null; }

# the gateway is the initial namespace, where the kernel runs modprobe
gw_init_setup() {
	setup_ns client server || return 1
	ip link add cveth type veth peer name veth0 netns "$client" || return 1
	defer link_del cveth
	ip link add sveth type veth peer name veth0 netns "$server" || return 1
	defer link_del sveth
	local mask
	mask=$(printf '%x' $(((1 << ($(nproc) > 32 ? 32 : $(nproc))) - 1)))
	for d in cveth sveth; do
		echo "$mask" >/sys/class/net/$d/queues/rx-0/rps_cpus
	done
	ip netns exec "$client" sh -c "echo $mask >/sys/class/net/veth0/queues/rx-0/rps_cpus"
	ip netns exec "$server" sh -c "echo $mask >/sys/class/net/veth0/queues/rx-0/rps_cpus"
	ip -n "$client" addr add $C4/24 dev veth0
	ip -n "$client" addr add $C6/64 dev veth0 nodad
	ip -n "$server" addr add $S4/24 dev veth0
	ip -n "$server" addr add $S6/64 dev veth0 nodad
	ip addr add $GC4/24 dev cveth
	ip addr add $GC6/64 dev cveth nodad
	ip addr add $GS4/24 dev sveth
	ip addr add $GS6/64 dev sveth nodad
	ip -n "$client" link set veth0 up
	ip -n "$server" link set veth0 up
	ip link set cveth up
	ip link set sveth up
	ip -n "$client" route add default via $GC4
	ip -n "$client" -6 route add default via $GC6
	ip -n "$server" route add default via $GS4
	ip -n "$server" -6 route add default via $GS6
	defer_sysctl net.ipv4.ip_forward net.ipv6.conf.all.forwarding
	sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	busywait 5000 ip netns exec "$client" ping -c1 -W1 -q $S4 >/dev/null
}
# gw_ruleset: the helper in the initial namespace, the gateway here
gw_ruleset() { nft_helper - --table nfsmtp_ops; }
if ! gw_init_setup || ! postfix_start "$server" "$PF"; then
	ktap_test_fail "ops: client - initial namespace (gateway) - server with postfix"
	ktap_finished
fi
ktap_test_pass "ops: client - initial namespace (gateway) - server with postfix (STARTTLS)"
# the checks below load gw_ruleset's table (in the initial namespace) again
# and again; it goes at the end, before the module
nft_ops_del() { nft_helper_del - nfsmtp_ops 2>/dev/null; }
defer nft_ops_del

check "ops: the module is not loaded; an nft ruleset naming the helper loads it (request_module nfct-helper-smtp)" \
	eval '! loaded && gw_ruleset && loaded'
check "ops: the hook applied /etc/nfsmtp.conf on that load: policy show says starttls strip, no session yet" eval '
	kv "" 0 starttls strip &&
	gw_stats "$TMP/st0" && counters_are "$TMP/st0" sessions=0'

swaks_in "$client" $S4 "$TMP/sw1" --tls-optional
rc=$?
check_show "ops: the very first session after the autoload is stripped: the client sees 250-XXXXXXXA, never STARTTLS, the mail arrives" \
	"$TMP/sw1" eval '[ $rc -eq 0 ] && grep -q "^<-  250-XXXXXXXA$" "$TMP/sw1" &&
	! grep -q "^<-.*STARTTLS" "$TMP/sw1" && grep -q "^\*\*\* Host did not advertise STARTTLS" "$TMP/sw1" &&
	mail_wait "$PF" 1'
gw_stats "$TMP/st1"
check "ops: counters after that first session: sessions 1, starttls_stripped 1, tls_handoff 0" \
	counters_are "$TMP/st1" sessions=1 starttls_stripped=+1 tls_handoff=0
check "ops: stats -o prometheus says so too: nfsmtp_sessions_total{netns=\"init\"} 1, nfsmtp_starttls_stripped_total not 0" eval '
	"$NFSMTP" stats -o prometheus >"$TMP/prom0" &&
	grep -qx "nfsmtp_sessions_total{netns=\"init\"} 1" "$TMP/prom0" &&
	grep -q "^nfsmtp_starttls_stripped_total{netns=\"init\"} [1-9]" "$TMP/prom0"'

# ---- a bad file, no nfsmtp: the module still loads --------------------------------------

reload_by_ruleset() {
	nft_helper_del - nfsmtp_ops 2>/dev/null
	busywait 10000 unload_module && gw_ruleset 2>"$TMP/nft.err" && loaded
}
printf '# one bad line\npolicy set starttls strip banner hide\n' >"$CONF"
kmark="nfsmtp-test: bad conf ($$.$RANDOM)"
echo "$kmark" >/dev/kmsg
check "ops: with a bad /etc/nfsmtp.conf the ruleset still loads the module (nft exit 0), which keeps its defaults" eval '
	reload_by_ruleset && kv "" 0 starttls allow && kv "" 0 banner keep'
dmesg | awk -v m="$kmark" 'index($0, m) { n = NR } n && NR > n' >"$TMP/klog"
check_show "ops: the kernel log names the bad line (nfsmtp: /etc/nfsmtp.conf:2: ...) and says the file was not applied" \
	"$TMP/klog" eval 'grep -qF "nfsmtp: /etc/nfsmtp.conf:2: bad value \"hide\" for banner: use keep or mask" "$TMP/klog" &&
	grep -qF "nfsmtp: /etc/nfsmtp.conf was not applied when nf_conntrack_smtp loaded" "$TMP/klog"'
check "ops: modprobe from a shell with that file: exit 0, module loaded, the error on its stderr" eval '
	nft_helper_del - nfsmtp_ops && busywait 10000 unload_module &&
	modprobe nf_conntrack_smtp 2>"$TMP/mp.err" && loaded &&
	grep -qF "nfsmtp: /etc/nfsmtp.conf:2: bad value" "$TMP/mp.err"'
printf 'policy set starttls strip\n' >"$CONF"
# no_script: the hook line naming a script that is not there
no_script() {
	sed -i "s|$TMP/modprobe-hook|/nonexistent/modprobe-hook|" "$HOOK" &&
		busywait 10000 unload_module && modprobe nf_conntrack_smtp 2>"$TMP/mp.err" && loaded &&
		kv "" 0 starttls allow
}
check "ops: with nfsmtp missing, or the hook's script, modprobe through the hook still loads the module (exit 0), defaults kept" eval '
	install_hook /nonexistent/nfsmtp && busywait 10000 unload_module &&
	modprobe nf_conntrack_smtp && loaded && kv "" 0 starttls allow &&
	no_script'
install_hook "$NFSMTP"

# nfsmtp.service at boot, module not loaded yet: its ExecStart's genetlink
# lookup makes the kernel load the module (the nf_smtp family alias), the
# hook runs nfsmtp -f inside that load, then ExecStart applies the file too
unit_start() {
	local cmd
	cmd=$(sed -n 's/^ExecStart=//p' "$NFSMTP_TOP/contrib/systemd/nfsmtp.service")
	[ "$cmd" = "/usr/sbin/nfsmtp -f /etc/nfsmtp.conf" ] || { log "ExecStart=$cmd"; return 1; }
	busywait 10000 unload_module && ! loaded || return 1
	timeout 120 ${cmd/\/usr\/sbin\/nfsmtp/$NFSMTP} && loaded && kv "" 0 starttls strip
}
check "ops: nfsmtp.service's ExecStart with the module unloaded: nfsmtp's lookup autoloads it (genetlink alias), the hook runs inside, exit 0, policy in force" \
	unit_start

# ---- nfsmtp -f: all or nothing, round trip ----------------------------------------------------

setup_ns pol pol2
in_pol() { ip netns exec "$pol" "$NFSMTP" "$@"; }
cat >"$TMP/good.conf" <<'EOF'
# profiles 0, 2 and the namespace
policy set starttls strip banner mask
policy set profile 2 commands mailguard rcpt-max 100   # strict
policy set profile-mark-mask 0x300 profile-mark-shift 8

policy set profile 2 ehlo-mask CHUNKING,unknown
EOF
want_changes='0 banner="mask"
0 starttls="strip"
2 commands="mailguard"
2 ehlo_mask=["CHUNKING", "unknown"]
2 rcpt_max=100
ns profile_mark_mask=768
ns profile_mark_shift=8'
check "ops: nfsmtp -f applies each line's keys to its profile and the namespace-wide ones, nothing else" eval '
	in_pol policy show -j >"$TMP/p0.json" && in_pol -f "$TMP/good.conf" &&
	in_pol policy show -j >"$TMP/p1.json" && in_pol policy show >"$TMP/p1" &&
	got=$(pol_changes "$TMP/p0.json" "$TMP/p1.json") &&
	{ [ "$got" = "$want_changes" ] || { log "changed: $(echo $got)"; false; }; }'

cat >"$TMP/bad7.conf" <<'EOF'
policy set starttls allow
policy set profile 1 banner mask
policy set profile-mark-mask 0xf

# line 7 is bad
policy set profile 3 smuggling reset
policy set profile 3 header-line-max lots
EOF
check "ops: nfsmtp -f with one bad line (7) changes nothing: exit 2, nfsmtp: FILE:7: ..." eval '
	fails 2 "nfsmtp: $TMP/bad7.conf:7: bad value \"lots\" for header-line-max" in_pol -f "$TMP/bad7.conf" &&
	in_pol policy show >"$TMP/p2" && cmp -s "$TMP/p1" "$TMP/p2"'

# the kernel refuses the fourth request: the three before are undone
cat >"$TMP/midway.conf" <<'EOF'
policy set profile 0 starttls allow smuggling reset
policy set profile 1 commands esmtp
policy set profile-mark-mask 0xff
policy set profile 2 rcpt-max 7
policy set profile 5 banner mask
policy set profile 5 smuggling mask
EOF
check "ops: nfsmtp -f refused by the kernel midway (profile 5: smuggling mask): exit 1, names line 6, every change undone" eval '
	fails 1 "nfsmtp: $TMP/midway.conf:6: kernel: action mask does not apply to this rule: nothing to rewrite (smuggling); nothing was changed" \
		in_pol -f "$TMP/midway.conf" &&
	in_pol policy show >"$TMP/p3" && cmp -s "$TMP/p1" "$TMP/p3"'
cat >"$TMP/range.conf" <<'EOF'
policy set profile 0 cmd-line-max 9000
EOF
check "ops: nfsmtp -f refused at the first request (cmd-line-max 9000): exit 1, its range, line 1, nothing changed" eval '
	fails 1 "nfsmtp: $TMP/range.conf:1: kernel: integer out of range (cmd-line-max: 0 to 8000); nothing was changed" \
		in_pol -f "$TMP/range.conf" && in_pol policy show | cmp -s "$TMP/p1" -'

# a policy touching every key of every profile, saved and restored elsewhere
vary() {	# vary NS: a different value of most keys in each profile
	local n acts=(log mask drop reset) lim=(log drop reset)
	for n in 0 1 2 3 4 5 6 7; do
		ip netns exec "$1" "$NFSMTP" policy set profile $n \
			starttls "$([ $((n % 2)) = 1 ] && echo strip || echo allow)" \
			banner "$([ $((n % 3)) = 1 ] && echo mask || echo keep)" \
			ehlo-mask "$([ $n = 0 ] && echo none || echo "AUTH,SIZE,unknown")" \
			cmd-line-max $((500 + n)) rcpt-max $((n * 10)) header-line-max $((998 + n)) \
			body-line-max $((7000 + n)) command-action "${acts[n % 4]}" \
			cmd-line-action "${lim[n % 3]}" rcpt-action "${acts[(n + 1) % 4]}" \
			header-line-action "${lim[(n + 1) % 3]}" dup-headers "$([ $n -ge 4 ] && echo log || echo off)" || return 1
	done
	ip netns exec "$1" "$NFSMTP" policy set profile-mark-mask 0x7000 profile-mark-shift 12
}
check "ops: policy show > FILE; nfsmtp -f FILE in a new namespace gives the same policy (text and -j)" eval '
	vary "$pol" && in_pol policy show >"$TMP/saved.conf" &&
	in_pol policy show -j >"$TMP/saved.json" &&
	ip netns exec "$pol2" "$NFSMTP" -f "$TMP/saved.conf" &&
	ip netns exec "$pol2" "$NFSMTP" policy show | cmp -s "$TMP/saved.conf" - &&
	ip netns exec "$pol2" "$NFSMTP" policy show -j | cmp -s "$TMP/saved.json" -'
check "ops: policy show prints only policy set lines and blank lines (8 profiles)" eval '
	! grep -qv "^policy set \|^$" "$TMP/saved.conf" &&
	[ "$(grep -o "^policy set profile [0-7] " "$TMP/saved.conf" | sort -u | wc -l)" -eq 8 ]'
check "ops: nfsmtp -f - reads the policy from standard input" eval '
	printf "policy set profile 4 banner mask # from stdin\n" | in_pol -f - &&
	kv "$pol" 4 banner mask'
check "ops: the default nfsmtp.conf applied with the module there changes nothing" eval '
	in_pol policy show >"$TMP/p4" && in_pol -f "$NFSMTP_TOP/contrib/nfsmtp.conf" &&
	in_pol policy show | cmp -s "$TMP/p4" -'

# ---- stats -o prometheus ---------------------------------------------------------------------------

prom_ok() {	# prom_ok NS LABEL: output checked by promtool when there, always by the strict parser
	local ns=(${1:+ip netns exec "$1"})
	"${ns[@]}" "$NFSMTP" stats -o prometheus >"$TMP/prom" &&
		"${ns[@]}" cat /proc/net/nf_conntrack_smtp >"$TMP/prom.proc" || return 1
	$PY "$HERE/prom_check.py" "$TMP/prom" --proc "$TMP/prom.proc" --netns "$2"
}
if [ -x "$PROMTOOL" ]; then
	check "ops: stats -o prometheus passes promtool check metrics (no lint finding)" eval '
		"$NFSMTP" stats -o prometheus >"$TMP/prom1" &&
		"$PROMTOOL" check metrics <"$TMP/prom1" >"$TMP/promtool.out" 2>&1 &&
		[ ! -s "$TMP/promtool.out" ] || { log "$(cat "$TMP/promtool.out")"; false; }'
else
	ktap_test_skip "ops: stats -o prometheus passes promtool check metrics (no $PROMTOOL: scripts/install-deps.sh)"
fi
check "ops: stats -o prometheus: a counter family per /proc counter (HELP, TYPE counter, nfsmtp_NAME_total), same values, netns=\"init\"" \
	prom_ok "" init
check "ops: stats -o prometheus in a namespace of ip netns: netns=\"$client\", its own counters" \
	prom_ok "$client" "$client"

# ---- who reads the counters --------------------------------------------------------------------------

check "ops: /proc/net/nf_conntrack_smtp is mode 0440, owned by root" \
	eval '[ "$(command stat -L -c "%a %U %G" /proc/net/nf_conntrack_smtp)" = "440 root root" ]'
nobody_read() {
	"${NOBODY[@]}" cat /proc/net/nf_conntrack_smtp >"$TMP/out" 2>"$TMP/err" && return 1
	grep -q "Permission denied" "$TMP/err" || { log "cat: $(cat "$TMP/err")"; return 1; }
	fails 1 "nfsmtp: permission denied: reading counters needs CAP_NET_ADMIN in this network namespace" \
		"${NOBODY[@]}" "$NFSMTP" stats &&
		fails 1 "nfsmtp: permission denied: reading counters needs CAP_NET_ADMIN" \
			"${NOBODY[@]}" "$NFSMTP" stats -o prometheus
}
check "ops: as nobody, /proc/net/nf_conntrack_smtp (Permission denied) and nfsmtp stats (CAP_NET_ADMIN, exit 1) both fail" \
	nobody_read
check "ops: as root, both read the counters, the same ones" eval '
	cat /proc/net/nf_conntrack_smtp >"$TMP/proc" && "$NFSMTP" stats >"$TMP/stats" &&
	[ "$(awk "{ print \$1, \$2 }" "$TMP/stats")" = "$(cat "$TMP/proc")" ]'

check "ops: no kernel warning during the test" kernel_log_clean
ktap_finished
