#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check-layers.sh [DIR]: the module's files call only down (docs/design.md).
# Reads the built objects (DIR, default kmod/) with nm: every symbol a file
# uses from another of our files must be defined in a lower layer. The
# parser's files (and its domain set) are one layer (one parser, split for size); files of
# one layer above it do not call each other, except YNL's tables
# (smtp_nl_gen.c) and the handlers they name (smtp_netlink.c): one unit. Prints each call that goes
# sideways or up; exit 1 if there is one.
set -u
dir=${1:-$(dirname "$0")/../kmod}
cd "$dir" || exit 1

# layer of each object, bottom first
declare -A layer=(
	[smtp_parser]=0 [smtp_parser_queue]=0 [smtp_parser_client]=0 [smtp_parser_server]=0 [smtp_parser_tls]=0 [smtp_parser_mime]=0 [smtp_domains]=0
	[smtp_net]=1
	[smtp_fixup]=2 [smtp_netlink]=2 [smtp_nl_gen]=2 [smtp_sync]=2
	[smtp_retrans]=3
	[smtp_main]=4
)

declare -A owner
for f in "${!layer[@]}"; do
	[ -f "$f.o" ] || { echo "check-layers: $dir/$f.o is not built (make module)"; exit 1; }
	while read -r sym; do owner[$sym]=$f; done < <(nm "$f.o" | awk '$2 ~ /^[TDRB]$/ { print $3 }')
done
for o in *.o; do
	f=${o%.o}
	[ -n "${layer[$f]+x}" ] || { echo "check-layers: $f.o has no layer: add it to $0"; exit 1; }
done

declare -A unit=([smtp_nl_gen]=smtp_netlink)
same_unit() { [ "${unit[$1]:-$1}" = "${unit[$2]:-$2}" ]; }

bad=0 calls=0
for f in "${!layer[@]}"; do
	while read -r sym; do
		to=${owner[$sym]:-}
		[ -n "$to" ] && ! same_unit "$to" "$f" || continue
		calls=$((calls + 1))
		if [ "${layer[$to]}" -ge "${layer[$f]}" ] && [ "${layer[$f]}" != 0 ]; then
			echo "$f.c (layer ${layer[$f]}) calls $sym of $to.c (layer ${layer[$to]})"
			bad=1
		fi
	done < <(nm "$f.o" | awk '$1 == "U" { print $2 }')
done
[ $bad = 0 ] && echo "check-layers: ${#layer[@]} files use $calls of each other's symbols, all from a lower layer"
exit $bad
