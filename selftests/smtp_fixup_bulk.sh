#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Default policy, bulk: 200 messages of mixed sizes (most small, a few up to
# 5 MB; 8-bit text, lines up to 998 octets, leading dots) from python
# smtplib (several sessions at once, IPv4 and IPv6) and swaks, through the
# gateway with GRO on its veths, into postfix: every one must arrive
# byte-identical (sha256), and the helper, which follows every byte, must
# change nothing.

source "$(dirname "$0")/lib.sh"
source "$HERE/postfix.sh"
source "$HERE/fixup_lib.sh"

# GRO on the gateway's veths; the client's TSO off, so that the large
# packets the helper sees are GRO's, not the sender's
gw_gro_helper() {
	ip netns exec "$client" ethtool -K veth0 tso off >/dev/null &&
		ip netns exec "$gw" ethtool -K cveth gro on >/dev/null &&
		ip netns exec "$gw" ethtool -K sveth gro on >/dev/null &&
		gw_nft_helper
}

fixup_begin 6 gw_gro_helper

# name:size:seed[:8bit][:long]; COUNT[name] times each
declare -A COUNT
SMALL=(b01:1000:1:8bit b02:2000:2:long b03:4000:3 b04:6000:4:8bit:long
       b05:8000:5:8bit b06:12000:6:long b07:16000:7:8bit:long b08:24000:8)
MEDIUM=(b11:100000:11:8bit:long b12:200000:12 b13:300000:13:8bit b14:400000:14:long
	b15:500000:15:8bit:long b16:700000:16)
LARGE=(b21:1000000:21:8bit b22:2000000:22:long b23:2000000:23:8bit:long b24:3000000:24)
SWAKS=(b31:5000000:31:8bit:long:swaks b32:2000000:32:long:swaks b33:4000000:33:8bit:swaks b34:2000000:34:swaks
       b35:1000000:35:8bit:long:swaks b36:500000:36:swaks b37:100000:37:8bit:swaks b38:20000:38:long:swaks
       b39:5000:39:swaks b40:1000:40:8bit:swaks)
for spec in "${SMALL[@]}"; do COUNT[${spec%%:*}]=21; done
for spec in "${MEDIUM[@]}"; do COUNT[${spec%%:*}]=3; done
for spec in "${LARGE[@]}" "${SWAKS[@]}"; do COUNT[${spec%%:*}]=1; done
t0=$SECONDS
$PY "$HERE/msgtool.py" gen "$TMP" "${SMALL[@]}" "${MEDIUM[@]}" "${LARGE[@]}" "${SWAKS[@]}"
total=0 bytes=0 wants=()
for name in "${!COUNT[@]}"; do
	total=$((total + COUNT[$name]))
	bytes=$((bytes + COUNT[$name] * $(wc -c <"$TMP/$name")))
	wants+=("$TMP/$name=${COUNT[$name]}")
done
log "[${SECONDS}s] $total messages, $bytes bytes generated in $((SECONDS - t0)) s"

msgs() {	# msgs SPEC...: --msg arguments
	local spec
	for spec in "$@"; do
		printf -- '--msg\n%s\n' "$TMP/${spec%%:*}"
	done
}

check "GRO is on on the gateway's veths" eval '
	ip netns exec "$gw" ethtool -k cveth | grep -q "^generic-receive-offload: on" &&
	ip netns exec "$gw" ethtool -k sveth | grep -q "^generic-receive-offload: on"'

gw_stats_reset
tx0=$(ip -n "$client" -s link show veth0 | awk '/TX:/ { getline; print $2 }')
t0=$SECONDS
# four smtplib sessions at once, IPv4 and IPv6, while swaks sends one by one
pids=()
mapfile -t a < <(msgs "${SMALL[@]:0:4}")
send_in "$client" $S4 "$TMP/sA" --count 21 "${a[@]}" &
pids+=($!)
mapfile -t a < <(msgs "${SMALL[@]:4:4}")
send_in "$client" $S6 "$TMP/sB" --count 21 "${a[@]}" &
pids+=($!)
mapfile -t a < <(msgs "${MEDIUM[@]}")
send_in "$client" $S4 "$TMP/sC" --count 3 "${a[@]}" &
pids+=($!)
mapfile -t a < <(msgs "${LARGE[@]}")
send_in "$client" $S6 "$TMP/sD" "${a[@]}" &
pids+=($!)
defer bg_kill "${pids[@]}"
swaks_failed=0
for spec in "${SWAKS[@]}"; do
	name=${spec%%:*}
	swaks_in "$client" $S4 "$TMP/sw-$name" --no-data-fixup --data @"$TMP/$name.swaks" ||
		{ swaks_failed=$((swaks_failed + 1)); log "swaks $name: $(tail -3 "$TMP/sw-$name")"; }
done
clients_failed=0
for p in "${pids[@]}"; do
	wait "$p" || clients_failed=$((clients_failed + 1))
done
t_send=$((SECONDS - t0))
for f in sA sB sC sD; do
	grep -v "^sent " "$TMP/$f" | head -3 | sed "s/^/# $f: /"
done
check "$total messages ($((bytes / 1000000)) MB) sent: 4 smtplib sessions and ${#SWAKS[@]} swaks runs exit 0 (in $t_send s)" \
	eval '[ $clients_failed -eq 0 ] && [ $swaks_failed -eq 0 ]'

mail_wait "$PF" "$total" 180000
log "[${SECONDS}s] $(mail_count "$PF") deliveries, $((SECONDS - t0)) s after the first message"
grep -aE "bounce|status=(deferred|bounced)|warning|error|fatal|panic|lost connection|timeout" "$PF/maillog" \
	>"$TMP/maillog.odd"
check_show "every message delivered exactly as often as sent, byte-identical (sha256 of delivered_body vs the sent file)" \
	"$TMP/maillog.odd" $PY "$HERE/msgtool.py" check "$PF" "${wants[@]}"

gw_stats "$TMP/st"
pkts=$(json_num packets_client "$TMP/st")
tx=$(($(ip -n "$client" -s link show veth0 | awk '/TX:/ { getline; print $2 }') - tx0))
log "client sent $tx packets; the helper saw $pkts, $(( $(json_num bytes_client "$TMP/st") / (pkts > 0 ? pkts : 1) )) payload bytes each on average"
check "the helper saw GRO aggregates: $pkts client packets at the gateway for $tx sent" \
	eval '[ "${pkts:-0}" -gt 0 ] && [ $((pkts * 2)) -lt "$tx" ]'
check "default policy: the helper followed every byte and message and changed nothing" \
	counters_are "$TMP/st" sessions=$((4 + ${#SWAKS[@]})) messages="$total" bytes_client=+"$bytes" \
	lost_sync=0 gaps=0 resyncs=0 resets=0 drops=0 commands_masked=0 starttls_stripped=0 \
	ehlo_keywords_masked=0 banners_masked=0 duplicate_headers=0

log "[${SECONDS}s] done"
ktap_finished
