#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo (runs in the VM): a real SMTP session from a client namespace
# through a gateway namespace with the smtp helper to a server namespace,
# then what the gateway's conntrack and the helper's counters show.
set -u
top=${1:?usage: demo.sh TOP}
export NFSMTP_TOP=$top
HERE=$top/selftests
source "$HERE/lib.sh"
TMP=$(mktemp -d)
trap 'cleanup_all_ns; rm -rf "$TMP"' EXIT

say() { printf '\n== %s\n' "$*"; }

say "Loading nf_conntrack_smtp and building client - gw - server namespaces"
load_module || exit 1
topo_setup || { echo "topology failed"; exit 1; }
gw_nft_helper || exit 1
echo "gw nft ruleset:"
ip netns exec "$gw" nft list table inet smtp_raw | sed 's/^/  /'
sink_start "$server" :: "$TMP/mail" || exit 1

say "swaks in the client namespace sends a mail to $S4 through the gateway"
ip netns exec "$client" swaks --server $S4 --from alice@example.com --to bob@example.org \
	--helo client.example.com --header "Subject: nf_conntrack_smtp demo" \
	--body "Hello through the gateway." 2>&1 | sed 's/^/  /'

say "The gateway's conntrack entry for the session"
ip netns exec "$gw" conntrack -L -p tcp --dport 25 2>/dev/null | sed 's/^/  /'

say "The helper's counters in the gateway namespace (/proc/net/nf_conntrack_smtp)"
if [ -x "$top/build/nfsmtp" ]; then
	ip netns exec "$gw" "$top/build/nfsmtp" stats | sed 's/^/  /'
else
	ip netns exec "$gw" awk '$2 != 0' /proc/net/nf_conntrack_smtp | sed 's/^/  /'
fi

msgs=$(ls "$TMP/mail"/*.eml 2>/dev/null | wc -l)
sessions=$(stat "$gw" sessions)
commands=$(stat "$gw" commands)
replies=$(stat "$gw" replies)
say "What this shows"
echo "  The gateway attached the conntrack helper 'smtp' to the session (helper=smtp above) and"
echo "  followed both directions: $sessions session(s), $commands commands, $replies replies; the server stored $msgs message(s)."
echo "  With the default, transparent policy the helper rewrote nothing: every byte arrived as sent."
[ "$msgs" -ge 1 ] && [ "${sessions:-0}" -ge 1 ]
