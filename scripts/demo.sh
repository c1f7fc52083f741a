#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo (runs in the VM): what the helper is for, in SMTP sessions from a
# client namespace (swaks, a raw socket client) through a gateway namespace
# with the smtp helper to postfix with STARTTLS in a server namespace:
#   1. the default policy: STARTTLS offered and used, the mail arrives;
#   2. starttls strip (what PIX did): 250-XXXXXXXA, a STARTTLS sent anyway
#      gets 500, the mail arrives in plaintext, and the counter, the monitor
#      events and the kernel log lines that say so;
#   3. smuggling reset: an SMTP smuggling attempt is reset, nothing delivered.
# It checks each claim it prints and exits 1 when one does not hold.
#
# make demo must take under a minute with the VM boot, under TCG, where
# starting a dynamically linked program costs 0.1 s, and up to seconds the
# first time: text is filtered with bash builtins, commands enter namespaces
# with busybox's static nsenter, the topology takes five ip -batch calls
# instead of topo_setup's ~40 commands while the modules load, postfix's ~40
# mkdir/chown/chmod run as busybox applets, in the background, its
# certificate has an EC key (RSA: seconds), and the raw SMTP clients are bash
# functions on /dev/tcp (python takes seconds to start).
# NFSMTP_DEMO_TRACE=1 prints the guest uptime of every step on stderr.
set -u
top=${1:?usage: demo.sh TOP}
export NFSMTP_TOP=$top
HERE=$top/selftests
source "$HERE/lib.sh"
source "$HERE/postfix.sh"
NFSMTP=$top/build/nfsmtp
BB=/bin/busybox
TMP=$($BB mktemp -d)
PF=$TMP/pf
MON_PID='' PF_JOB=''

demo_cleanup() {
	local pid
	[ -n "$MON_PID" ] && kill "$MON_PID" 2>/dev/null
	[ -n "$PF_JOB" ] && kill "$PF_JOB" 2>/dev/null
	# In the VM everything goes with it: stop what would write on
	if [ "${NFSMTP_IN_VM:-0}" = 1 ]; then
		read -r pid 2>/dev/null <"$PF/queue/pid/master.pid" && kill "$pid" 2>/dev/null
	else
		postfix_stop "$server" "$PF"
		cleanup_all_ns
		rm -rf "$TMP"
	fi
}
trap demo_cleanup EXIT

trace() {
	local up
	read -r up _ </proc/uptime
	echo "@ $up $*" >&2
}
[ "${NFSMTP_DEMO_TRACE:-0}" = 1 ] && trap 'trace "$BASH_COMMAND"' DEBUG

# ---- text and waiting, with builtins --------------------------------------

say() { printf '\n== %s\n' "$*"; }
text() { printf '   %s\n' "$@"; }

# lines FILE REGEX [PREFIX [FROM]]: FILE's lines from line FROM (0-based)
# on that match the extended REGEX, each after PREFIX
lines() {
	local -a l
	local i
	[ -r "$1" ] || return 1
	mapfile -t l <"$1"
	for ((i = ${4:-0}; i < ${#l[@]}; i++)); do
		[[ ${l[i]} =~ $2 ]] && printf '%s%s\n' "${3:-}" "${l[i]}"
	done
	return 0
}
# has FILE REGEX [FROM]: a line matches; count FILE REGEX [FROM]: how many
count() { lines "$1" "$2" "" "${3:-0}" | { mapfile -t m && echo ${#m[@]}; }; }
has() { [ "$(count "$@")" -gt 0 ]; }
nlines() { local -a l; mapfile -t l <"$1" && echo ${#l[@]}; }

exec {NAPFD}<> <(:)
nap() { read -r -t "$1" -u "$NAPFD" _; } # sleep without an exec
# wait_for MS cmd...: retry cmd every 0.1 s for MS milliseconds
wait_for() {
	local t0=${EPOCHREALTIME/./} ms=$1 n=0
	shift
	while ! "$@"; do
		n=$((n + 1))
		if [ $(((${EPOCHREALTIME/./} - t0) / 1000)) -ge "$ms" ]; then
			echo "   (gave up after $(((${EPOCHREALTIME/./} - t0) / 1000)) ms, $n tries: $*)"
			return 1
		fi
		nap 0.1
	done
	return 0 # not the loop's status: that of the last nap
}

FAILED=0
# claim "what" cmd...: the demo's own check of what it printed
claim() {
	local what=$1
	shift
	"$@" && return 0
	echo "   DEMO CHECK FAILED: $what"
	FAILED=1
	return 1
}
die() {
	local f
	echo "demo: $*"
	for f in "$TMP"/*.out "$TMP"/monitor.* "$PF/maillog"; do
		[ -s "$f" ] || continue
		echo "---- ${f#"$TMP"/} (last 30 lines)"
		$BB tail -n 30 "$f" | $BB cut -c1-200
	done
	exit 1
}

# ---- setup ----------------------------------------------------------------------

# ns NS CMD...: CMD in NS's network namespace (what ip netns exec does, but
# static: about half the cost)
ns() {
	local ns=$1
	shift
	$BB nsenter --net="/run/netns/$ns" -- "$@"
}

# demo_netns: the three namespaces and the two veth pairs; demo_topo: lib.sh's
# client - gw - server topology, IPv4 only, with the same names, addresses
# and flow steering (see veth_pair)
demo_netns() {
	local sfx
	sfx=$($BB mktemp -u XXXXXX)
	client=client-$sfx gw=gw-$sfx server=server-$sfx
	NS_LIST+=("$client" "$gw" "$server")
	ip -b - <<-EOF
	netns add $client
	netns add $gw
	netns add $server
	link add nfsmtp-c type veth peer name nfsmtp-gc
	link add nfsmtp-s type veth peer name nfsmtp-gs
	EOF
}
demo_topo() {
	local n mask d
	n=$($BB nproc)
	[ "$n" -le 32 ] || n=32
	mask=$(printf '%x' $(((1 << n) - 1)))
	# RPS stays set across the move into a namespace
	for d in nfsmtp-c nfsmtp-gc nfsmtp-s nfsmtp-gs; do
		echo "$mask" >"/sys/class/net/$d/queues/rx-0/rps_cpus" || return 1
	done
	ip -b - <<-EOF || return 1
	link set nfsmtp-c netns $client name veth0
	link set nfsmtp-gc netns $gw name cveth
	link set nfsmtp-s netns $server name veth0
	link set nfsmtp-gs netns $gw name sveth
	EOF
	ip -n "$client" -b - <<-EOF || return 1
	link set lo up
	addr add $C4/24 dev veth0
	link set veth0 up
	route add default via $GC4
	EOF
	ip -n "$server" -b - <<-EOF || return 1
	link set lo up
	addr add $S4/24 dev veth0
	link set veth0 up
	route add default via $GS4
	EOF
	ip -n "$gw" -b - <<-EOF || return 1
	link set lo up
	addr add $GC4/24 dev cveth
	addr add $GS4/24 dev sveth
	link set cveth up
	link set sveth up
	EOF
	ns "$gw" $BB sysctl -qw net.ipv4.ip_forward=1
}

# lib.sh's ns_run enters namespaces with ns(), so that its nft_helper
# writes README's helper rule
ns_enter() { ns "$@"; }

# demo_postfix: postfix.sh's postfix_start with its mkdir, chown, chmod,
# dirname and cat as busybox applets, and a certificate with an EC key made
# first (postfix_start makes an RSA one only when there is none)
demo_postfix() {
	local bin=$TMP/bin a
	$BB mkdir -p "$bin" "$PF/etc" || return 1
	for a in mkdir chown chmod dirname cat; do
		$BB ln -s $BB "$bin/$a" || return 1
	done
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=mx.example.net" -keyout "$PF/etc/key.pem" -out "$PF/etc/cert.pem" \
		2>/dev/null || return 1
	PATH=$bin:$PATH postfix_start "$server" "$PF" "" "smtpd_peername_lookup = no"
}

gw_nfsmtp() { ns "$gw" "$NFSMTP" "$@"; }

# monitor_ready: nfsmtp monitor's generic netlink socket joined a group
# (/proc/PID/net is the view of PID's network namespace)
monitor_ready() {
	local proto pid groups rest
	while read -r _ proto pid groups rest; do
		[ "$proto" = 16 ] && [ "$pid" = "$MON_PID" ] && [ "$groups" != 00000000 ] && return 0
	done <"/proc/$MON_PID/net/netlink"
	return 1
}

# counters: C[name] = the gateway's counter now (nfsmtp stats)
declare -A C
counters() {
	local k v
	C=()
	while read -r k v; do
		C[$k]=$v
	done < <(gw_nfsmtp stats)
	[ -n "${C[sessions]:-}" ]
}
# cnt NAME...: "name value" of the last counters call
cnt() {
	local k out=''
	for k in "$@"; do
		out+="$k ${C[$k]:-?}   "
	done
	echo "${out%   }"
}

# what postfix did: its log, and one file per delivered message, named by
# the queue id
maillog_mark() { nlines "$PF/maillog"; }
# pflog REGEX [FROM]: the log lines without date, host and process
pflog() {
	local l
	lines "$PF/maillog" "$1" "" "${2:-0}" | while IFS= read -r l; do
		echo "${l#*\]: }"
	done
}
delivered() { [ -s "$PF/mail/$1.eml" ] && has "$PF/maillog" ": $1: removed$"; }
mail_total() {
	local f=("$PF"/mail/*.eml)
	[ -e "${f[0]}" ] && echo ${#f[@]} || echo 0
}
queue_empty() {
	local f
	for f in "$PF"/queue/{incoming,active,deferred,maildrop}/*; do
		[ -e "$f" ] && return 1
	done
	return 0
}

# klog [RULE ACTION]: the helper's kernel log lines about a connection (for
# RULE ACTION), without their timestamps
klog() {
	$BB dmesg | $BB sed -En "s/^\[[ 0-9.]*\] (nf_conntrack_smtp: .* -> .*: ${1:-}${2:+ $2: })/\1/p"
}

swaks_run() { # OUT ARGS...
	local out=$1
	shift
	ns "$client" swaks --server "$S4" --helo client.example.com \
		--from alice@example.com --to bob@example.org --timeout 30 "$@" >"$out" 2>&1
}
# raw_smtp ERRFILE SERVER STEP...: a raw SMTP client on bash's /dev/tcp (no
# exec but bash's; run through raw_run): reads the greeting, then per step
#   cmd:TEXT   sends TEXT and CRLF, reads the reply
#   data:TEXT  sends TEXT (printf %b escapes) in one write, reads the reply
# printing "C: ..." and "S: ..." lines, then "result: ok|reset|closed|timeout"
raw_smtp() {
	local errf=$1 srv=$2 s l rc st
	shift 2
	exec {s}<>"/dev/tcp/$srv/25" || { echo "result: no connection"; return 1; }
	raw_reply() {
		while :; do
			IFS= read -r -t 30 -u "$s" l 2>"$errf"
			rc=$?
			[ $rc -gt 128 ] && { echo "result: timeout"; return 1; }
			if [ $rc != 0 ]; then
				# bash says why: "read error: ...: Connection reset by peer"
				[[ $(<"$errf") == *"reset by peer"* ]] && echo "result: reset" || echo "result: closed"
				return 1
			fi
			l=${l%$'\r'}
			echo "S: $l"
			[ "${l:3:1}" = - ] || return 0
		done
	}
	raw_reply || return 0
	for st; do
		case $st in
		cmd:*)
			echo "C: ${st#cmd:}"
			printf '%s\r\n' "${st#cmd:}" 1>&"$s" 2>"$errf" ;;
		data:*)
			echo "C: ${st#data:}"
			# one write(): bash's own printf writes line by line
			/bin/busybox printf '%b' "${st#data:}" 1>&"$s" 2>"$errf" ;;
		esac
		raw_reply || return 0
	done
	echo "result: ok"
}
export -f raw_smtp
raw_run() { # OUT STEP...: raw_smtp in the client namespace
	local out=$1
	shift
	ns "$client" bash -c 'raw_smtp "$@"' raw_smtp "$out.err" "$S4" "$@" >"$out" 2>&1
}

echo "nf_conntrack_smtp demo: a client (192.0.2.2) sends mail through a Linux gateway to postfix"
echo "(198.51.100.2), which offers STARTTLS. The gateway hands port 25 to the SMTP helper with"
echo "  nft: tcp dport 25 ct helper set \"smtp\"    (README: Attaching the helper on a gateway)"
echo "Setting up the client, gateway and server namespaces, postfix and the helper ..."

demo_netns || die "the namespaces did not come up"
demo_postfix >"$TMP/postfix.out" 2>&1 &
PF_JOB=$!
# the modules (what lib.sh's load_module loads) while the topology is made
{
	modprobe -a nf_conntrack nf_reject_ipv4 nf_reject_ipv6 nft_ct || exit 1
	has /proc/modules '^nf_conntrack_smtp ' || insmod "$NFSMTP_KO" || exit 2
} &
MOD_JOB=$!
demo_topo || die "the topology did not come up"
wait $MOD_JOB
case $? in
1) die "modprobe nf_conntrack nf_reject_ipv4 nf_reject_ipv6 nft_ct failed" ;;
2) die "insmod $NFSMTP_KO failed" ;;
esac
nft_helper "$gw" || die "the gateway's nft rule was refused"
# not through ns(): $! must be nfsmtp's pid
$BB nsenter --net="/run/netns/$gw" -- "$NFSMTP" monitor >"$TMP/monitor.txt" 2>"$TMP/monitor.err" &
MON_PID=$!
wait "$PF_JOB" || die "postfix did not start"
PF_JOB=''
wait_for 10000 monitor_ready || die "nfsmtp monitor did not subscribe to the helper's events"

# ---- 1. default policy --------------------------------------------------------------

say "1. Default policy: the helper follows the session and changes nothing"
text "postfix offers STARTTLS, the client uses it, the mail goes encrypted."
swaks_run "$TMP/a.out" --tls --header "Subject: demo 1, default policy" --body "sent over TLS"
rc=$?
text "swaks --tls (a client that requires TLS; \"~\" marks what it sent and read inside TLS):"
lines "$TMP/a.out" '^(<-  250-STARTTLS| -> STARTTLS|<-  220 2\.0\.0 |=== TLS started with|<~  250 .*queued as)' "     "
qa=$(lines "$TMP/a.out" '^<~  250 .*queued as ')
qa=${qa##* }
pflog 'TLS connection established from' | while IFS= read -r l; do echo "   postfix: ${l% key-exchange*}"; done
counters
claim "swaks --tls exits 0 after TLS started on the real 250-STARTTLS" eval \
	'[ $rc = 0 ] && has "$TMP/a.out" "^=== TLS started with cipher" && has "$TMP/a.out" "^<-  250-STARTTLS$" &&
	 [ -n "$qa" ]'
claim "postfix delivered the message ($qa)" wait_for 20000 delivered "$qa"
klog >"$TMP/klog1"
claim "the helper followed the session, handed it to TLS, changed and reported nothing" eval \
	'[ "${C[sessions]}" = 1 ] && [ "${C[tls_handoff]}" = 1 ] && [ "${C[starttls_stripped]}" = 0 ] &&
	 [ "${C[tls_framing]}" = 0 ] &&
	 [ "${C[ehlo_keywords_masked]}" = 0 ] && [ "${C[commands_masked]}" = 0 ] &&
	 [ "${C[banners_masked]}" = 0 ] && [ "${C[resets]}" = 0 ] && [ "${C[drops]}" = 0 ] &&
	 [ ! -s "$TMP/monitor.txt" ] && [ ! -s "$TMP/klog1" ]'
N1=$(mail_total)
text "Delivered over TLS: mail/$qa.eml.  nfsmtp stats: $(cnt sessions tls_handoff tls_framing starttls_stripped)" \
	"(after STARTTLS the helper only checks that both sides send TLS records). nfsmtp monitor, kernel log: nothing."

# ---- 2. starttls strip ----------------------------------------------------------------

say "2. nfsmtp policy set starttls strip   (what PIX \"fixup protocol smtp\" did, without a word)"
text "The helper masks STARTTLS in the server's EHLO reply, and a STARTTLS command sent anyway."
gw_nfsmtp policy set starttls strip >/dev/null || die "nfsmtp policy set starttls strip failed"
mark=$(maillog_mark)
# both at once: swaks falls back to plaintext, the raw client insists
swaks_run "$TMP/b.out" --tls-optional --header "Subject: demo 2, starttls strip" --body "sent in plaintext" &
sw=$!
raw_run "$TMP/b2.out" "cmd:EHLO client.example.com" cmd:STARTTLS cmd:QUIT
wait $sw
rc=$?
text "swaks --tls-optional (uses TLS when offered, else plaintext, as MTAs do):"
lines "$TMP/b.out" '^(<-  250-XXXXXXXA|\*\*\* Host did not advertise|<-  250 .*queued as)' "     "
qb=$(lines "$TMP/b.out" '^<-  250 .*queued as ')
qb=${qb##* }
text "A client that sends STARTTLS anyway (raw socket):"
lines "$TMP/b2.out" '^(S: 250-XXXXXXXA|C: STARTTLS)' "     "
starttls_reply=$(lines "$TMP/b2.out" '^(C: STARTTLS|S: )' | { while IFS= read -r l; do
	[ "${prev:-}" = 1 ] && { echo "$l"; break; }
	[ "$l" = "C: STARTTLS" ] && prev=1
done; })
echo "     $starttls_reply"
wait_for 10000 has "$PF/maillog" 'unknown=0/1' "$mark"
pflog 'unknown=0/1' "$mark" | while IFS= read -r l; do echo "   postfix: $l   (X's, not STARTTLS)"; done
counters
claim "swaks --tls-optional saw 250-XXXXXXXA, no STARTTLS, and postfix queued its message" eval \
	'[ $rc = 0 ] && has "$TMP/b.out" "^<-  250-XXXXXXXA$" && ! has "$TMP/b.out" "^<-.*STARTTLS" &&
	 ! has "$TMP/b.out" "TLS started" && [ -n "$qb" ]'
claim "postfix answered the masked STARTTLS with 500/502" eval \
	'has "$TMP/b2.out" "^result: ok$" && [[ $starttls_reply =~ ^S:\ 50[02]\  ]]'
claim "postfix delivered the plaintext message ($qb)" wait_for 20000 delivered "$qb"
N2=$(($(mail_total) - N1))
claim "no TLS session in this step" eval '! has "$PF/maillog" "TLS connection established" "$mark"'
text "Delivered in plaintext: mail/$qb.eml. The client that insisted on STARTTLS got ${starttls_reply:3:3}: no TLS."
text "What tells the operator why (PIX said nothing):"
wait_for 5000 eval '[ "$(count "$TMP/monitor.txt" " rule starttls action mask")" -ge 3 ]'
klog starttls mask >"$TMP/klog2"
echo "     nfsmtp stats    $(cnt starttls_stripped ehlo_keywords_masked)"
lines "$TMP/monitor.txt" ' rule starttls ' "     nfsmtp monitor  "
lines "$TMP/klog2" . "     kernel log      "
claim "counters: starttls_stripped 3 (2 EHLO replies, 1 command), still 1 TLS session in all" eval \
	'[ "${C[starttls_stripped]}" = 3 ] && [ "${C[ehlo_keywords_masked]}" = 2 ] && [ "${C[tls_handoff]}" = 1 ]'
STRIP_EV=$(count "$TMP/monitor.txt" ' rule starttls action mask detail "STARTTLS"$')
STRIP_KLOG=$(nlines "$TMP/klog2")
claim "nfsmtp monitor: 3 starttls mask events" eval '[ "$STRIP_EV" = 3 ]'
claim "kernel log: the 250-XXXXXXXA line" has "$TMP/klog2" 'clients will see 250-XXXXXXXA'

# ---- 3. smuggling reset -----------------------------------------------------------------

say "3. nfsmtp policy set starttls allow smuggling reset   (an attack, caught by a guard)"
text "SMTP smuggling: the client ends its message with \"\\n.\\n\", an end of data some servers" \
	"accept, and hides a second, forged message behind it (From: CEO <ceo@example.com>)."
gw_nfsmtp policy set starttls allow smuggling reset >/dev/null || die "nfsmtp policy set smuggling reset failed"
mark=$(maillog_mark)
n0=$(mail_total)
# the message of selftests/smtp_smuggling.sh, its forged transaction behind
# a bare-LF end of data, and the real end of data
REAL='From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: demo 3, real\r\n\r\n'
REAL+='the real message\r\nsmuggled end follows'
FORGED='MAIL FROM:<forged@evil.example>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n'
FORGED+='From: CEO <ceo@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: demo 3, forged\r\n\r\n'
FORGED+='Pay the invoice.\r\n.\r\n'
raw_run "$TMP/c.out" "cmd:EHLO client.example.com" "cmd:MAIL FROM:<alice@example.com>" \
	"cmd:RCPT TO:<bob@example.org>" cmd:DATA "data:$REAL\\n.\\n$FORGED" cmd:QUIT
text "The attacker (raw socket), the message in one write after the 354:"
lines "$TMP/c.out" '^(C: DATA|S: 354 )' "     "
echo "     C: ...smuggled end follows\n.\n${FORGED%%To: Bob*}..."
res=$(lines "$TMP/c.out" '^result: ')
res=${res#result: }
if [ "$res" = reset ]; then
	echo "     result: connection reset   (the gateway resets both ends)"
else
	echo "     result: ${res:-?}"
fi
claim "postfix saw the connection end" wait_for 15000 has "$PF/maillog" "disconnect from" "$mark"
pflog 'lost connection|disconnect from' "$mark" | while IFS= read -r l; do echo "   postfix: $l"; done
wait_for 5000 queue_empty
counters
N3=$(($(mail_total) - n0))
claim "the gateway reset the attacker's connection" eval '[ "$res" = reset ]'
claim "postfix queued and delivered nothing from that session" eval \
	'[ $N3 = 0 ] && queue_empty && ! has "$PF/maillog" "queued as|message-id=" "$mark"'
if [ "$N3" = 0 ]; then
	text "postfix delivered 0 messages from that session: neither the real one nor the forged one."
else
	text "postfix delivered $N3 messages from that session."
fi
wait_for 5000 has "$TMP/monitor.txt" ' rule smuggling '
klog smuggling reset >"$TMP/klog3"
echo "     nfsmtp stats    $(cnt smuggling resets)"
lines "$TMP/monitor.txt" ' rule smuggling ' "     nfsmtp monitor  "
lines "$TMP/klog3" . "     kernel log      "
claim "counters: smuggling 1, resets 1" eval '[ "${C[smuggling]}" = 1 ] && [ "${C[resets]}" = 1 ]'
claim "nfsmtp monitor: 1 smuggling reset event" eval \
	'[ "$(count "$TMP/monitor.txt" " rule smuggling action reset")" = 1 ]'
claim "kernel log: the smuggling reset line" has "$TMP/klog3" 'smuggling reset'

# ---- summary --------------------------------------------------------------------------

say "What this shows"
text "1. By default the helper only follows SMTP: STARTTLS reached the client, TLS started" \
	"   (tls_handoff ${C[tls_handoff]}) and postfix delivered $N1 message. No byte changed, no event, no log line." \
	"2. With starttls strip the gateway does what PIX did: STARTTLS masked ${C[starttls_stripped]} times, in" \
	"   ${C[ehlo_keywords_masked]} EHLO replies and $((C[starttls_stripped] - C[ehlo_keywords_masked])) client command. The client that falls back delivered $N2 message" \
	"   in plaintext; the one that insisted got an error and no TLS. Unlike PIX, the gateway says so:" \
	"   $STRIP_EV monitor events and $STRIP_KLOG kernel log lines name each connection and what its peers see." \
	"3. The smuggling guard reset the attacker's connection (smuggling ${C[smuggling]}, resets ${C[resets]}):" \
	"   postfix delivered $N3 messages from it." \
	"postfix's mail directory holds $(mail_total) messages, from ${C[sessions]} sessions through the gateway."
[ $FAILED = 0 ] || die "some of the claims above did not hold"
