#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# debug-kernel.sh: build (once) and describe the debug kernel the selftests
# run on under `make check-debug`: Debian's linux-source-6.1, `make
# allnoconfig` plus kernel/debug.config merged by merge_config.sh (KASAN,
# lockdep, kmemleak, DEBUG_ATOMIC_SLEEP, DEBUG_LIST, UBSAN, everything the
# tests use built in).
#
#   debug-kernel.sh [build]    build unless cached; print the env
#   debug-kernel.sh env        print the env of the cached build (fails if none)
#   debug-kernel.sh config     only write and check the .config (no compile)
#   debug-kernel.sh key        print the cache key
#
# The env is KEY=VALUE lines, for make's include and the shell alike:
#   KVER     kernel release (6.1.N-nfsmtp-debug)
#   KDIR     build tree (O=): make -C $KDIR M=... modules builds against it
#   VMLINUZ  bzImage         (scripts/vm-run.sh: NFSMTP_VMLINUZ)
#   MODDIR   module tree: modules.builtin/modules.dep only, no .ko
#                            (scripts/vm-run.sh: NFSMTP_MODDIR)
#   APPEND   kernel command line it needs (scripts/vm-run.sh: NFSMTP_VM_APPEND)
#
# Cache: ${NFSMTP_CACHE:-/var/cache/nf-smtp}/debug-kernel/
#   src-SRCVER/linux-source-6.1   the unpacked tarball (pristine: builds use O=)
#   SRCVER-HASH/                  one build: bzImage, build/ (KDIR), mod/, env
# SRCVER is the linux-source-6.1 package version, HASH the first 12 hex
# digits of sha256(fragment + RECIPE). A build is redone only when the key
# changes; builds of other keys unused for 30 days are removed.
# Environment: NFSMTP_CACHE; NFSMTP_DEBUG_JOBS (make -j, default nproc);
# NFSMTP_DEBUG_NICE (default 10).
set -euo pipefail

# Bump when the build steps below change what ends up in a build.
RECIPE=1

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fragment=$top/kernel/debug.config
tarball=/usr/src/linux-source-6.1.tar.xz
cache=${NFSMTP_CACHE:-/var/cache/nf-smtp}/debug-kernel
jobs=${NFSMTP_DEBUG_JOBS:-$(nproc)}
nice=${NFSMTP_DEBUG_NICE:-10}

log() { echo "debug-kernel: $*" >&2; }
die() { echo "debug-kernel: $*" >&2; exit 1; }
usage() { sed -n '/^#   debug-kernel.sh/s/^#   /usage: /p' "$0" >&2; exit 2; }

[ -r "$fragment" ] || die "no $fragment"
[ -r "$tarball" ] || die "$tarball is missing: apt-get install linux-source-6.1"

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || true)
[ -n "$srcver" ] || srcver=tar-$(stat -c '%s-%Y' "$tarball")
hash=$({ cat "$fragment"; echo "recipe $RECIPE"; } | sha256sum | cut -c1-12)
key=$srcver-$hash
dir=$cache/$key
src=$cache/src-$srcver/linux-source-6.1

print_env() {
	cat "$dir/env"
}

# Unpack the tarball once per source version (beside, then renamed in place).
unpack() {
	[ -e "$src/.unpacked" ] && return
	local tmp
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/.src.XXXXXX")
	log "unpacking $tarball ($srcver)"
	nice -n "$nice" tar -xJf "$tarball" -C "$tmp"
	touch "$tmp/linux-source-6.1/.unpacked"
	mkdir -p "$(dirname "$src")"
	rm -rf "$src"
	mv -T "$tmp/linux-source-6.1" "$src"
	rm -rf "$tmp"
}

# allnoconfig with the fragment: merge_config.sh -n runs `make allnoconfig`
# with the fragment as KCONFIG_ALLCONFIG (not over a plain allnoconfig
# .config: that one is 32-bit, and values derived from it, such as
# FRAME_WARN, would stick); every value the fragment asks for must be in
# the result.
configure() { # BUILDDIR
	local b=$1 missing
	mkdir -p "$b"
	(cd "$src" && scripts/kconfig/merge_config.sh -n -O "$b" "$fragment") >"$b/merge_config.log" 2>&1 ||
		{ tail -n 20 "$b/merge_config.log" >&2; die "merge_config.sh failed"; }
	missing=$(awk '
		NR == FNR {
			if ($0 ~ /^CONFIG_[A-Za-z0-9_]+=/) want[substr($0, 1, index($0, "=") - 1)] = $0
			else if (match($0, /^# CONFIG_[A-Za-z0-9_]+ is not set/)) { split($0, w, " "); want[w[2]] = w[2] "=n" }
			next
		}
		/^CONFIG_[A-Za-z0-9_]+=/ { have[substr($0, 1, index($0, "=") - 1)] = $0 }
		END {
			for (k in want) {
				got = (k in have) ? have[k] : k "=n"
				if (got != want[k]) print "  " want[k] " (got " got ")"
			}
		}' "$fragment" "$b/.config")
	[ -z "$missing" ] || { printf '%s\n' "$missing" >&2; die "values of $fragment missing from the .config (a dependency not set?)"; }
}

build() {
	local b=$dir/build t0 kver
	t0=$(date +%s)
	unpack
	rm -rf "$dir"
	mkdir -p "$dir"
	log "building $key in $dir (make -j$jobs, nice $nice; a few minutes)"
	configure "$b"
	# all: bzImage, vmlinux and Module.symvers (external modules need it)
	if ! nice -n "$nice" make -C "$src" O="$b" -j"$jobs" all >"$dir/build.log" 2>&1; then
		grep -E 'error|Error' "$dir/build.log" | head -n 20 >&2
		die "kernel build failed: $dir/build.log"
	fi
	kver=$(cat "$b/include/config/kernel.release")
	# No module is built, but modules_install writes modules.builtin* and runs
	# depmod: modprobe in the guest then knows the built-in ones.
	make -s -C "$src" O="$b" INSTALL_MOD_PATH="$dir/mod" modules_install >>"$dir/build.log" 2>&1 ||
		die "modules_install failed: $dir/build.log"
	rm -f "$dir/mod/lib/modules/$kver/build" "$dir/mod/lib/modules/$kver/source"
	cp "$b/arch/x86/boot/bzImage" "$dir/bzImage"
	cat >"$dir/env" <<-EOF
	KVER=$kver
	KDIR=$b
	VMLINUZ=$dir/bzImage
	MODDIR=$dir/mod/lib/modules/$kver
	APPEND=pci=noacpi
	EOF
	echo "$(($(date +%s) - t0))" >"$dir/build-seconds"
	log "built $kver in $(cat "$dir/build-seconds") s"
}

cmd=${1:-build}
case $cmd in
key) echo "$key" ;;
env)
	[ -s "$dir/env" ] || die "not built: $key (run $0 build)"
	print_env
	;;
config)
	unpack
	configure "$cache/config-$key"
	echo "$cache/config-$key/.config"
	;;
build)
	if [ ! -s "$dir/env" ]; then
		mkdir -p "$cache"
		exec 9>"$cache/.lock"
		flock -w 3600 9 || die "another debug-kernel.sh holds $cache/.lock"
		[ -s "$dir/env" ] || build
		# other keys unused for 30 days
		find "$cache" -mindepth 1 -maxdepth 1 -type d -name '*-*' ! -name "$key" ! -name 'src-*' \
			-mtime +30 -exec rm -rf {} + 2>/dev/null || true
	fi
	touch "$dir"
	print_env
	;;
*) usage ;;
esac
