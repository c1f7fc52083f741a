#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Differential test: the helper must read SMTP command lines the way the
# servers behind it do.  A generated corpus (diff_corpus.py, about 600
# variants: delimiter and control bytes before, inside and after verbs,
# case, bare CR and LF, CR CR LF, NUL, overlong lines, pipelining depths
# 1-64, BDAT with and without CHUNKING, DATA accepted and refused, message
# text with non-canonical ends) goes from a raw client (diff_client.py)
# through the gateway to postfix 3.7 and to exim 4.96 as servers:
#   - the learning run, with the transparent policy (the defaults, but
#     starttls-injection log): what each server took each variant for, read
#     from its replies (diff_corpus.py REPLIES), in sessions of up to 25
#     variants;
#   - one enforcing run per profile (NFSMTP_DIFF_ENFORCE, "TAG: policy
#     words" separated by ';'), over the variants that name a verb the
#     profile forbids; of the single-line classes only those a server acted
#     on (the others cannot disagree); in the classes where the helper can
#     lose sync, a session per variant, so that the helper's events on a
#     connection are that variant's.  Default: "mailguard: starttls strip
#     commands mailguard command-action mask; starttls-strip: starttls
#     strip" (the second lets unknown verbs through, as an operator who only
#     strips STARTTLS does).  Add "lost-sync reset" to a profile to test it.
# Oracle: wherever a server acted on a verb the profile forbids in the
# learning run, it must not act on it in the enforcing run (the helper
# masked it: 500), unless the helper reset or dropped the connection; after
# each variant a clean forbidden verb (the probe) must be masked too, or the
# helper stopped enforcing for the rest of the session; a session that
# hangs where the learning run's did not (the helper rewrote bytes the
# server read) disagrees too.
# Points: per profile, server and class "agree: ..." and, where sync can be
# lost, "lost-sync: ..." (no variant on a connection where the helper
# reported lost sync without resetting or dropping it let a forbidden verb
# through); "calibration: ..." checks the reply classes on clean lines; the
# agreement table per server and every disagreement with its bytes escaped
# go to the output as # lines.
#
# Servers, in the server namespace: postfix on 198.51.100.2 / 2001:db8:2::2,
# exim (Debian's binary, unpacked by make deps) as a daemon (-bd) with its
# own configuration on 198.51.100.3 / 2001:db8:2::3.  Both offer CHUNKING
# to every client but 192.0.2.3, the client's second address (postfix:
# smtpd_discard_ehlo_keyword_address_maps, exim: chunking_advertise_hosts),
# from which the BDAT variants go once more ("without CHUNKING").  Limits
# that would make a server hang up on the corpus (error sleeps, error and
# junk-command limits, exim's synchronisation check, unknown-command,
# protocol-error and non-mail limits, postfix's smtpd_forbidden_commands
# regexp for verbs that start with a non-letter) are off, so the replies say
# how the servers tokenise, not how they defend.  IPv6: the variants marked
# so in the corpus, to postfix and exim.
#
# Knobs: NFSMTP_DIFF_ENFORCE (the enforcing profiles), NFSMTP_DIFF_CLASSES
# (comma list: only these classes), NFSMTP_DIFF_WORKERS (parallel sessions,
# default 6), NFSMTP_DIFF_VERBOSE=1 (every disagreement, not the first 40),
# NFSMTP_DIFF_DUMP=1 (the raw records as @@ lines), NFSMTP_DIFF_THIN=N (every
# Nth variant of the single-line classes; 2 by default on a KASAN kernel).

source "$(dirname "$0")/lib.sh"
source "$HERE/postfix.sh"
source "$HERE/fixup_lib.sh"
source "$HERE/exim.sh"

ENFORCE=${NFSMTP_DIFF_ENFORCE:-mailguard: starttls strip commands mailguard command-action mask smuggling reset lost-sync reset; starttls-strip: starttls strip smuggling reset lost-sync reset}
# the transparent policy: the module's defaults but for starttls-injection
# (its default reset would cut the variants that pipeline behind STARTTLS)
LEARN="starttls-injection log"
WORKERS=${NFSMTP_DIFF_WORKERS:-6}
CLASSES=${NFSMTP_DIFF_CLASSES:-}
# the classes where the helper can lose sync: in the enforcing runs a
# session per variant, so that the helper's events on a connection (lost
# sync, resets) are that variant's; the others share sessions
SOLO="overlong lines,pipelining,bdat,data"

# the servers: NAME=ADDR:GROUP[:v6][:from=SRC] (diff_client.py targets);
# both servers offer CHUNKING to every client but 192.0.2.3
NOCHUNK=192.0.2.3
TARGETS=(postfix=198.51.100.2:chunk "postfix-nochunk=198.51.100.2:nochunk:from=$NOCHUNK"
	 exim=198.51.100.3:chunk "exim-nochunk=198.51.100.3:nochunk:from=$NOCHUNK"
	 'postfix6=[2001:db8:2::2]:chunk:v6' 'exim6=[2001:db8:2::3]:chunk:v6')

PF='' XPID=''

TMP=$(mktemp -d)
[ "${NFSMTP_DIFF_KEEP:-0}" != 1 ] && defer rm -rf "$TMP"
chmod 755 "$TMP"
CORPUS=$TMP/corpus.json
# a reply the server sends within 10 s on Debian's kernel may take longer on
# a KASAN kernel (a 12 KB line through the instrumented helper)
REPLY_TIMEOUT=10
slow_kernel && REPLY_TIMEOUT=30
# a debug kernel (KASAN) runs several times slower: every second variant of
# the single-line classes there, unless NFSMTP_DIFF_THIN says otherwise
if [ -z "${NFSMTP_DIFF_THIN:-}" ] && grep -qw kasan_report /proc/kallsyms 2>/dev/null; then
	export NFSMTP_DIFF_THIN=2
fi
# the plan, and per profile: tag, probe verb, forbidden verbs, policy words
$PY "$HERE/diff_corpus.py" gen "$CORPUS" "$ENFORCE" "$CLASSES" "${TARGETS[@]}" >"$TMP/gen" || exit 1
PLAN=$(awk '$1 == "PLAN" { print $2 }' "$TMP/gen")
T_GEN=$SECONDS
ktap_begin "${PLAN:-1}"
kernel_log_start

# port_listening_on NS ADDR PORT
port_listening_on() {
	ip netns exec "$1" ss -Hltn "src $2 and sport = :$3" | grep -q LISTEN
}

# exim_start: the daemon with its own configuration (exim.sh's server);
# CHUNKING for every client but $NOCHUNK
exim_start() {
	local E=$TMP/exim
	exim_dirs "$E" || return 1
	cp "$PF/etc/cert.pem" "$PF/etc/key.pem" "$E/"
	chown Debian-exim "$E/key.pem"
	exim_conf server "$E" --listen "198.51.100.3 ; 2001:db8:2::3" --port 25 \
		--nochunk "$NOCHUNK" || return 1
	# -oX: no pid file unless -oP names one
	ip netns exec "$server" "$EXIM" -C "$E/exim.conf" -bd -oX 25 -oP "$E/exim.pid" >"$E/start.log" 2>&1 ||
		{ log "exim -bd: $(head -3 "$E/start.log")"; return 1; }
	busywait 20000 test -s "$E/exim.pid" &&
		busywait 20000 port_listening_on "$server" 198.51.100.3 25
}

# the setup, as one point
setup() {
	local xjob
	log "[${SECONDS}s] corpus of $(awk '$1 == "VARIANTS" { print $2 }' "$TMP/gen") variants written (${T_GEN}s)${NFSMTP_DIFF_THIN:+, 1 in $NFSMTP_DIFF_THIN of the single-line variants}"
	load_module && topo_setup && gw_nft_helper || return 1
	log "[${SECONDS}s] topology up"
	ip -n "$server" addr add 198.51.100.3/24 dev veth0
	ip -n "$server" addr add 2001:db8:2::3/64 dev veth0 nodad
	ip -n "$client" addr add $NOCHUNK/24 dev veth0
	PF=$TMP/pf
	# an EC key: an RSA key takes seconds of emulated CPU
	mkdir -p "$PF/etc"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=mx.example.net" -keyout "$PF/etc/key.pem" -out "$PF/etc/cert.pem" 2>/dev/null ||
		return 1
	log "[${SECONDS}s] key made"
	printf '%s/32 chunking\n' "$NOCHUNK" >"$PF/etc/nochunk.cidr"
	# exim starts meanwhile
	exim_start &
	xjob=$!
	postfix_start "$server" "$PF" "" "inet_interfaces = 198.51.100.2, [2001:db8:2::2]
smtpd_discard_ehlo_keyword_address_maps = cidr:$PF/etc/nochunk.cidr
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000000
smtpd_hard_error_limit = 1000000
smtpd_junk_command_limit = 1000000
smtpd_forbid_unauth_pipelining = no
smtpd_peername_lookup = no
smtpd_timeout = 120s
smtpd_client_connection_count_limit = 0
smtpd_forbidden_commands = CONNECT GET POST
default_transport = discard
relay_transport = discard
local_transport = discard" || { log "postfix does not start"; return 1; }
	busywait 20000 port_listening_on "$server" 198.51.100.2 25 || { log "postfix does not listen"; return 1; }
	log "[${SECONDS}s] postfix up"
	wait $xjob || { log "exim does not start"; return 1; }
	XPID=$(cat "$TMP/exim/exim.pid")
	defer bg_kill "$XPID"
	log "[${SECONDS}s] exim up: $("$EXIM" -C "$TMP/exim/exim.conf" -bV 2>/dev/null | head -1)"
	# every server's processes started before the runs
	ip netns exec "$client" $PY "$HERE/diff_client.py" --warmup 3 "${TARGETS[@]}" |
		sed 's/^/# /'
	log "[${SECONDS}s] warm"
}

if ! setup; then
	ktap_test_fail "setup: module, client - gw - server, helper, postfix and exim in the server namespace"
	ktap_finished
fi
ktap_test_pass "setup: module, client - gw - server, helper, postfix and exim in the server namespace"
log "[${SECONDS}s] setup done"

# run NAME POLICY PROBE [FORBIDDEN [SELECTION [SOLO]]]: the corpus (the
# variants that name one of the FORBIDDEN verbs; those in SELECTION)
# against every server under POLICY, the event monitor on; the classes in
# SOLO get a session per variant
run() {
	local name=$1 policy=$2 probe=$3 forb=${4:-} sel=${5:-} solo=${6:-}
	# every key back at the module's defaults first, then the run's keys
	# shellcheck disable=SC2086 # policy words
	gw_nfsmtp policy set profile 0 $PRISTINE >/dev/null &&
		gw_nfsmtp policy set profile 0 $policy >/dev/null ||
		{ log "policy set $policy refused"; return 1; }
	gw_nfsmtp stats reset >/dev/null
	monitor_start "$TMP/events.$name" || log "the event monitor did not subscribe"
	ip netns exec "$client" $PY "$HERE/diff_client.py" --corpus "$CORPUS" --run "$name" \
		--out "$TMP/$name.json" --probe "$probe" --workers "$WORKERS" --classes "$CLASSES" \
		--timeout "$REPLY_TIMEOUT" \
		--forbidden "$forb" ${sel:+--select "$sel"} --solo "$solo" "${TARGETS[@]}" |
		sed 's/^/# /'
	# the last events reach the monitor
	sleep 0.5
	monitor_stop
	ip netns exec "$gw" cat /proc/net/nf_conntrack_smtp >"$TMP/stats.$name"
	log "[${SECONDS}s] $name run done; helper counters: $(awk '$1 ~ /^(sessions|commands|commands_masked|starttls_stripped|lost_sync|resyncs|resets|drops|smuggling|injection|limit_hits)$/ && $2 != 0 { printf "%s %s ", $1, $2 }' "$TMP/stats.$name")"
}

# the module's defaults, as "policy set" arguments
PRISTINE=$(gw_nfsmtp policy show profile 0 | sed -n 's/^policy set profile 0 //p' | tr '\n' ' ')
log "defaults: $PRISTINE"
# the transparent policy first: what the servers do
run learn "$LEARN" VRFY
# each enforcing profile starts from the module's defaults
while read -r -u 3 word tag probe forb words; do
	[ "$word" = PROFILE ] || continue
	log "profile $tag: $words; forbidden: $forb; probe: $probe"
	$PY "$HERE/diff_corpus.py" select --corpus "$CORPUS" --learn "$TMP/learn.json" \
		--profile "$words" --targets "${TARGETS[*]}" --classes "$CLASSES" \
		--out "$TMP/select-$tag" | sed 's/^/# /'
	run "enforce-$tag" "$words" "$probe" "$forb" "$TMP/select-$tag" "$SOLO"
	$PY "$HERE/diff_corpus.py" compare --corpus "$CORPUS" --learn "$TMP/learn.json" \
		--enforce "$TMP/enforce-$tag.json" --events-enforce "$TMP/events.enforce-$tag" \
		--profile "$words" --tag "$tag" --targets "${TARGETS[*]}" --classes "$CLASSES" \
		${NFSMTP_DIFF_VERBOSE:+--verbose} >"$TMP/report-$tag"
	grep '^#' "$TMP/report-$tag"
	while read -r w res what; do
		[ "$w" = POINT ] || continue
		if [ "$res" = ok ]; then
			ktap_test_pass "$what"
		else
			ktap_test_fail "$what"
		fi
	done <"$TMP/report-$tag"
done 3<"$TMP/gen"

# NFSMTP_DIFF_DUMP=1: the raw records, for a look from the host
if [ "${NFSMTP_DIFF_DUMP:-0}" = 1 ]; then
	for f in "$TMP"/learn.json "$TMP"/enforce-*.json "$TMP"/events.*; do
		sed "s/^/@@${f##*/} /" "$f"
	done
	sed 's/^/@@exim.mainlog /' "$TMP/exim/log/mainlog"
	sed 's/^/@@postfix.maillog /' "$PF/maillog"
fi

check "kernel log: no BUG, WARNING, KASAN, UBSAN, lockdep, refcount or leak report since the test started" \
	kernel_log_clean
log "[${SECONDS}s] done"
ktap_finished
