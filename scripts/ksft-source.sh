#!/bin/bash
# ksft-source.sh: print the directory of a small linux-source-6.1 subset (the
# kselftest framework under tools/testing/selftests/ and checkpatch.pl with
# its data files under scripts/), extracted once from Debian's
# /usr/src/linux-source-6.1.tar.xz into ${NFSMTP_CACHE:-/var/cache/nf-smtp}.
# Use: make -f "$(scripts/ksft-source.sh)/tools/testing/selftests/lib.mk" ...
#      "$(scripts/ksft-source.sh)/scripts/checkpatch.pl" --no-tree ...
set -euo pipefail

tarball=/usr/src/linux-source-6.1.tar.xz
cache=${NFSMTP_CACHE:-/var/cache/nf-smtp}
dest=$cache/linux-source-6.1
members=(
	tools/testing/selftests/lib.mk
	tools/testing/selftests/kselftest.h
	tools/testing/selftests/kselftest_harness.h
	'tools/testing/selftests/kselftest/*'
	tools/testing/selftests/run_kselftest.sh
	scripts/checkpatch.pl
	scripts/spelling.txt
	scripts/const_structs.checkpatch
)

[ -r "$tarball" ] || { echo "$0: $tarball is missing: apt-get install linux-source-6.1" >&2; exit 1; }
# Re-extract when Debian ships a new tarball.
stamp="$(stat -c '%s %Y' "$tarball") $(echo "${members[*]}" | md5sum | cut -c1-8)"
if [ "$(cat "$dest/.stamp" 2>/dev/null)" != "$stamp" ]; then
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/.linux-source-6.1.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 130' INT TERM
	# Extract beside the destination and rename it into place, so an
	# interrupted run never leaves a half tree where users look.
	tar -xJf "$tarball" -C "$tmp" --wildcards "${members[@]/#/linux-source-6.1/}"
	echo "$stamp" >"$tmp/linux-source-6.1/.stamp"
	# rename() cannot replace a non-empty directory: move a stale one aside
	# first. A concurrent run may win the race; then its tree is as good.
	[ ! -e "$dest" ] || mv -T "$dest" "$tmp/stale" 2>/dev/null || true
	mv -T "$tmp/linux-source-6.1" "$dest" 2>/dev/null || true
	[ "$(cat "$dest/.stamp" 2>/dev/null)" = "$stamp" ] || { echo "$0: could not set up $dest" >&2; exit 1; }
fi
echo "$dest"
