#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Foundation test: the helper attaches to SMTP through a gateway namespace
# (nft ct helper object and iptables CT target, IPv4 and IPv6), a real
# message passes byte-identical, counters move, the module loads on demand
# through its alias, and rmmod with a live session is clean.

source "$(dirname "$0")/lib.sh"

TMP=$(mktemp -d)
defer rm -rf "$TMP"

ktap_print_header
ktap_set_plan 15

send() {	# send NS SERVER MSG [args]
	local ns=$1 srv=$2 msg=$3
	shift 3
	ip netns exec "$ns" $PY "$HERE/smtp_send.py" --server "$srv" --msg "$msg" "$@" \
		>>"$TMP/send.log" 2>&1
}

# same_file A B: identical bytes (sha256)
same_file() {
	[ -f "$1" ] && [ -f "$2" ] &&
		[ "$(sha256sum <"$1")" = "$(sha256sum <"$2")" ]
}

newest_mail() { ls -t "$1"/*.eml 2>/dev/null | head -1; }

check "module loads and registers the smtp helper" load_module

if ! topo_setup; then
	ktap_test_fail "client-gw-server topology comes up"
	ktap_finished
fi

check "nft ct helper object for tcp dport 25 accepted" gw_nft_helper
sink_start "$server" :: "$TMP/mail" || log "sink did not start: $(cat "$TMP/mail.log")"

$PY "$HERE/msgtool.py" one "$TMP/m1" 200000 1 --8bit
send "$client" $S4 "$TMP/m1"
check "nft: message over ipv4 arrives byte-identical" same_file "$TMP/m1" "$(newest_mail "$TMP/mail")"
check "nft: conntrack shows helper=smtp (ipv4)" ct_has_helper "$gw" ipv4

$PY "$HERE/msgtool.py" one "$TMP/m2" 300000 2 --8bit --long
send "$client" $S6 "$TMP/m2"
check "nft: message over ipv6 arrives byte-identical" same_file "$TMP/m2" "$(newest_mail "$TMP/mail")"
check "nft: conntrack shows helper=smtp (ipv6)" ct_has_helper "$gw" ipv6

sessions=$(stat "$gw" sessions)
commands=$(stat "$gw" commands)
bytes=$(stat "$gw" bytes_client)
gaps=$(stat "$gw" gaps)
# smtplib sends EHLO, MAIL, RCPT, DATA, QUIT per session: every one counted
check "counters moved: 2 sessions, all 10 commands and the bytes counted, no gap (sessions=$sessions commands=$commands bytes_client=$bytes gaps=$gaps)" \
	test "$sessions" = 2 -a "$commands" = 10 -a "${bytes:-0}" -ge 500000 -a "$gaps" = 0

# the iptables way, after the nft table is gone
gw_nft_helper_del
ip netns exec "$gw" conntrack -F 2>/dev/null
check "iptables/ip6tables -j CT --helper smtp accepted" gw_iptables_helper
send "$client" $S4 "$TMP/m1"
send "$client" $S6 "$TMP/m2"
check "iptables: both sessions tracked with helper=smtp" \
	eval 'ct_has_helper "$gw" ipv4 && ct_has_helper "$gw" ipv6'
check "iptables: both messages arrive byte-identical" \
	same_file "$TMP/m2" "$(newest_mail "$TMP/mail")"
gw_iptables_helper_del

# rmmod while a session is open: it must finish cleanly without the helper
ip netns exec "$gw" conntrack -F 2>/dev/null
gw_nft_helper
rm -f "$TMP/ready"
send "$client" $S4 "$TMP/m1" --hold 4 --ready "$TMP/ready" &
sender=$!
busywait 20000 test -f "$TMP/ready"
live=$(ip netns exec "$gw" conntrack -L -p tcp --dport 25 --state ESTABLISHED 2>/dev/null | grep -c helper=smtp)
gw_nft_helper_del
check "rmmod with a live session (live entries with helper: $live)" \
	eval '[ "$live" -ge 1 ] && unload_module'
wait $sender
check "the live session still ends with the message delivered" \
	eval '[ $? -eq 0 ] && same_file "$TMP/m1" "$(newest_mail "$TMP/mail")"'

# on-demand loading: module in the guest's module tree, found through its alias
check "module installed in /lib/modules/$(uname -r)/extra and depmod run" \
	eval 'mkdir -p /lib/modules/$(uname -r)/extra &&
	      cp "$NFSMTP_KO" /lib/modules/$(uname -r)/extra/ && depmod -a'
ip netns exec "$gw" conntrack -F 2>/dev/null
gw_nft_helper 2>>"$TMP/nft.err"
check "nft ct helper object loads nf_conntrack_smtp on demand" \
	grep -q '^nf_conntrack_smtp ' /proc/modules
send "$client" $S4 "$TMP/m1"
check "on-demand module tracks the session (helper=smtp)" ct_has_helper "$gw" ipv4

ktap_finished
