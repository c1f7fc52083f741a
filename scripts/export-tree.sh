#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# export-tree.sh DEST: the files a clone of this tree holds, as they are now
# (git ls-files: tracked and new, not ignored; working-tree contents), copied
# to DEST; from an unpacked release (no git), everything but build output.
# Used by dkms-check.sh (dkms add of a fresh clone) and mkdeb.sh.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:?usage: export-tree.sh DEST}
mkdir -p "$dest"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$top" ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			if [ -e "$top/$f" ] || [ -L "$top/$f" ]; then printf '%s\0' "$f"; fi
		done | tar -C "$top" --null -T - -cf - | tar -C "$dest" -xf -
else
	tar -C "$top" --exclude=./build --exclude='*.o' --exclude='*.ko' \
		--exclude='*.mod' --exclude='*.mod.c' --exclude='.*.cmd' \
		--exclude=Module.symvers --exclude=modules.order -cf - . |
		tar -C "$dest" -xf -
fi
