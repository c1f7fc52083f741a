#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kernels.sh: fetch and prepare a non-default Debian kernel to build the
# module against and to boot under scripts/vm-run.sh.
#
#   kernels.sh prepare SERIES|latest|host   fetch (once) and prepare; print the env
#   kernels.sh env SERIES|latest|host       print the env of a prepared kernel (no network)
#   kernels.sh list                         prepared kernels
#   kernels.sh update                       refresh the private package lists now
#   kernels.sh ynl                          fetch (once) the kernel's YNL generator; print its tree
#
# SERIES is a Debian kernel series such as 6.12 or 7.3 (the newest build of it
# in trixie, trixie-backports or sid), or an exact release such as
# 6.12.117+deb13-amd64. "latest" is the newest 7.x any of those suites ships
# (recorded in kernels/latest). "host", or a series whose image and headers
# are installed on this machine (Debian bookworm: 6.1), needs no download.
#
# The env is KEY=VALUE lines, for make's include and for the shell alike:
#   KVER     kernel release (uname -r in the guest)
#   PKGVER   Debian package version of that kernel
#   SUITE    where it came from (host, trixie, trixie-backports, sid)
#   KDIR     headers tree: make -C $KDIR M=... modules works as is
#   VMLINUZ  kernel image  (scripts/vm-run.sh: NFSMTP_VMLINUZ)
#   MODDIR   module tree with modules.dep  (scripts/vm-run.sh: NFSMTP_MODDIR)
#
# Everything lives in ${NFSMTP_CACHE:-/var/cache/nf-smtp}/kernels/, never in
# the checkout nor in the system's apt state: a private apt configuration
# (its own sources file, naming trixie, trixie-backports and sid on the
# mirror this host already uses, its own lists and archive cache) lists and
# downloads the packages, which are unpacked with dpkg -x. A prepared
# kernel is kernels/KVER/ with debs/, root/ (the unpacked packages) and env.
#
# What the unpacked Debian trixie/sid kernel packages need on bookworm
# (shared/notes/vm.md):
#  - the arch headers' Makefile includes the -common tree (and 7.x sets
#    KBUILD_OUTPUT) by absolute /usr/src path: pointed at the unpacked trees;
#  - .kernelvariables names x86_64-linux-gnu-gcc-14 (sid: -16): CC = gcc
#    (gcc-12), and the toolchain capabilities gcc-12/binutils 2.40 lack
#    (CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT: -fmin-function-alignment; sid's
#    CONFIG_CC_HAS_COUNTED_BY; CONFIG_CC_HAS_ASM_GOTO_OUTPUT, which Kconfig
#    refuses gcc 12.1-12.3 as miscompiling ...) are dropped from
#    include/config/auto.conf and autoconf.h, as olddefconfig with the host
#    compiler decides them (kernels/KVER/config-dropped lists them);
#  - the shipped host tools (fixdep, modpost, objtool, resolve_btfids, ...)
#    need glibc 2.38: rebuilt from the matching linux-source (olddefconfig +
#    modules_prepare with the host gcc) and copied over the shipped ones;
#  - bookworm's pahole (if any) is too old for the BTF flags of these
#    kernels: CONFIG_DEBUG_INFO_BTF_MODULES is dropped from auto.conf (not
#    from autoconf.h: struct module depends on it in C), and
#    CONFIG_PAHOLE_VERSION set to the host's (7.x warns on every build
#    when they differ);
#  - the modules have no modules.dep: depmod -b.
# Environment: NFSMTP_CACHE; NFSMTP_KERNELS_MAX_AGE (hours before the
# package lists are refreshed, default 24); NFSMTP_DEBIAN_MIRROR (override the
# mirror URI read from /etc/apt/sources.list*); NFSMTP_KERNELS_NO_HOST=1
# (always download, even a series installed on the host).
set -euo pipefail

# Bump when the preparation steps change: prepared trees are then redone
# from their kept .debs (PREP_VERSION), or only the idempotent edits of the
# headers tree are applied again (FIX_VERSION).
PREP_VERSION=2
FIX_VERSION=4

cache=${NFSMTP_CACHE:-/var/cache/nf-smtp}/kernels
apt_dir=$cache/apt
max_age=${NFSMTP_KERNELS_MAX_AGE:-24}

usage() {
	sed -n '/^#   kernels.sh/s/^#   /usage: /p' "$0" >&2
	exit 2
}
log() { echo "kernels: $*" >&2; }
die() { echo "kernels: $*" >&2; exit 1; }

# ---- private apt configuration ------------------------------------------------

# The Debian mirror the host's own sources use (one-line or deb822 format).
host_mirror() {
	local f uri
	if [ -n "${NFSMTP_DEBIAN_MIRROR:-}" ]; then
		echo "${NFSMTP_DEBIAN_MIRROR%/}"
		return
	fi
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		case $f in
		*.sources)
			uri=$(awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }' "$f") ;;
		*)
			uri=$(sed -n -E 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+).*/\2/p' "$f") ;;
		esac
		# the main archive, not -security, -ports or another vendor's
		uri=$(grep -E '^(https?|file)://[^ ]*/debian/?$' <<<"$uri" | head -n1 || true)
		if [ -n "$uri" ]; then
			echo "${uri%/}"
			return
		fi
	done
	return 1
}

apt_opts=()
apt_setup() {
	local mirror keyring=/usr/share/keyrings/debian-archive-keyring.gpg signed=''
	mirror=$(host_mirror) || die "no Debian mirror in /etc/apt/sources.list* (set NFSMTP_DEBIAN_MIRROR)"
	[ -r "$keyring" ] && signed="signed-by=$keyring"
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
	local want='' suite
	for suite in trixie trixie-backports sid; do
		want+="deb ${signed:+[$signed] }$mirror $suite main"$'\n'
	done
	[ "$(cat "$apt_dir/sources.list" 2>/dev/null)"$'\n' = "$want" ] || printf '%s' "$want" >"$apt_dir/sources.list"
	# Nothing of the system's apt state is read or written: sources, lists,
	# archive cache and dpkg status are all private (status: none).
	apt_opts=(-q -o Dir::Etc::sourcelist="$apt_dir/sources.list" -o Dir::Etc::sourceparts=-
		-o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache"
		-o Dir::State::status=/dev/null -o Acquire::Languages=none
		-o APT::Sandbox::User=root)
}

apt_update() { # [force]
	local stamp=$apt_dir/lists/.updated
	if [ "${1:-}" != force ] && [ -e "$stamp" ] &&
		[ -z "$(find "$stamp" -mmin +$((max_age * 60)))" ]; then
		return 0
	fi
	log "apt-get update (private lists in $apt_dir)"
	if apt-get "${apt_opts[@]}" update >"$apt_dir/update.log" 2>&1; then
		touch "$stamp"
	else
		tail -n 5 "$apt_dir/update.log" >&2
		return 1
	fi
}

apt_q() { apt-cache "${apt_opts[@]}" "$@" 2>/dev/null; }

# Versions of PKG available, newest first.
pkg_versions() { apt_q madison "$1" | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | sort -urV; }
pkg_exists() { [ -n "$(apt_q madison "$1")" ]; }
pkg_suite() { # PKG VERSION: the suite (trixie, trixie-backports, sid) it is from
	apt_q madison "$1" | awk -F'|' -v v="$2" '{ gsub(/ /, "", $2) } $2 == v { split($3, a, " "); sub(/\/.*/, "", a[2]); print a[2]; exit }'
}

# ---- resolving a request to a kernel release ------------------------------------------

# SERIES (6.12, 7.3): print "KVER PKGVER" of its newest amd64 build.
resolve_series() {
	local s=$1 ver up pkg
	for ver in $(pkg_versions "linux-source-$s"); do
		up=${ver%%-*}
		for pkg in $(apt_q pkgnames "linux-headers-$up+deb" | grep -E "^linux-headers-$up\+deb[0-9]+-amd64\$" | sort -rV); do
			if pkg_versions "$pkg" | grep -qxF "$ver"; then
				echo "${pkg#linux-headers-} $ver"
				return 0
			fi
		done
	done
	return 1
}

# The newest 7.x series that has a complete amd64 build.
resolve_latest() {
	local s
	for s in $(apt_q pkgnames linux-source-7. | grep -E '^linux-source-7\.[0-9]+$' |
		sed 's/^linux-source-//' | sort -rV); do
		resolve_series "$s" && return 0
	done
	return 1
}

# ---- the host's own kernel ------------------------------------------------------------------

# host [SERIES]: the installed kernel (of SERIES) that has image, modules and headers.
host_env() {
	local s=${1:-} kdir kver pkgver
	for kdir in $(find /usr/src -maxdepth 1 -name 'linux-headers-*-amd64' | sort -rV); do
		kver=$(sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' "$kdir/include/generated/utsrelease.h" 2>/dev/null)
		[ -n "$kver" ] || continue
		case $s in '' | "$kver") ;; *) [[ $kver == "$s".* ]] || continue ;; esac
		{ [ -r "/boot/vmlinuz-$kver" ] && [ -f "/lib/modules/$kver/modules.dep" ]; } || continue
		pkgver=$(dpkg-query -W -f='${Version}' "linux-image-$kver" 2>/dev/null ||
			dpkg-query -W -f='${Version}' "linux-image-$kver-unsigned" 2>/dev/null || echo unknown)
		printf 'KVER=%s\nPKGVER=%s\nSUITE=host\nKDIR=%s\nVMLINUZ=%s\nMODDIR=%s\n' \
			"$kver" "$pkgver" "$kdir" "/boot/vmlinuz-$kver" "/lib/modules/$kver"
		return 0
	done
	return 1
}

# ---- preparing a downloaded kernel -------------------------------------------------------------

# ELF files that need a newer glibc than the host has.
needs_newer_glibc() { # FILE
	local have need
	have=$(ldd --version | sed -n '1s/.* \([0-9.]*\)$/\1/p')
	need=$(objdump -T "$1" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n1)
	[ -n "$need" ] && [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | tail -n1)" != "$have" ]
}

# Unpack linux-source-SERIES from its kept .deb into DIR/src; print the tree.
unpack_source() { # DIR SERIES
	local dir=$1 s=$2 deb
	deb=$(compgen -G "$dir/debs/linux-source-${s}_*.deb" | head -n1) || die "no linux-source-$s .deb in $dir/debs"
	rm -rf "$dir/src"
	mkdir -p "$dir/src"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/linux-source-$s.tar.xz" | xz -T0 -dc |
		tar -x -C "$dir/src" || die "could not unpack linux-source-$s"
	echo "$dir/src/linux-source-$s"
}

# The kernel's .config as olddefconfig redoes it with the host's compiler:
# its compiler capabilities (CONFIG_CC_HAS_*, ...) are the host compiler's.
hostcc_config() { # DIR SRC KVER
	local dir=$1 src=$2 kver=$3
	cp "$dir/root/usr/src/linux-headers-$kver/.config" "$src/.config"
	make -C "$src" CC=gcc olddefconfig >"$dir/olddefconfig.log" 2>&1 ||
		{ tail -n 20 "$dir/olddefconfig.log" >&2; die "olddefconfig failed (log: $dir/olddefconfig.log)"; }
	cp "$src/.config" "$dir/hostcc.config"
}

# Rebuild the kbuild host programs from linux-source and put them in place.
rebuild_tools() { # DIR KVER SERIES
	local dir=$1 kver=$2 s=$3 root=$1/root src kb f rel cand t0
	local hdr=$root/usr/src/linux-headers-$kver
	kb=$(cd "$hdr" && realpath scripts/..)
	t0=$(date +%s)
	log "unpacking linux-source-$s"
	src=$(unpack_source "$dir" "$s")
	log "unpacked in $(($(date +%s) - t0)) s"
	hostcc_config "$dir" "$src" "$kver"
	log "building host tools from linux-source-$s (olddefconfig + modules_prepare)"
	# Without pahole olddefconfig turns BTF off, so resolve_btfids is asked for
	# by name; it is not needed while module BTF is off, so it may fail.
	{
		make -C "$src" CC=gcc -j"$(nproc)" modules_prepare &&
			{ make -C "$src" CC=gcc -j"$(nproc)" tools/bpf/resolve_btfids ||
				echo "kernels: resolve_btfids did not build (unused: module BTF is off)"; }
	} >"$dir/tools-build.log" 2>&1 || { tail -n 30 "$dir/tools-build.log" >&2; die "host tools build failed (log: $dir/tools-build.log)"; }
	# Every ELF program of linux-kbuild: replace it with its rebuilt twin.
	# Debian's modpost/objtool are dispatchers to *.real-<arch> programs: the
	# dispatcher and the x86-64 real one both become the native program.
	: >"$dir/tools-replaced"
	while IFS= read -r f; do
		rel=${f#"$kb"/}
		case $rel in
		*.real-lsb-64 | *.real-x86) cand=$src/${rel%.real-*} ;;
		*.real-*) continue ;;
		*) cand=$src/$rel ;;
		esac
		if [ -f "$cand" ] && readelf -h "$cand" >/dev/null 2>&1; then
			cp -f "$cand" "$f"
			echo "$rel" >>"$dir/tools-replaced"
		elif needs_newer_glibc "$f"; then
			echo "$rel: not rebuilt, needs a newer glibc (not used to build modules)" >>"$dir/tools-replaced"
		fi
	done < <(find "$kb" -type f -perm -u+x -exec sh -c 'readelf -h "$1" >/dev/null 2>&1 && echo "$1"' _ {} \;)
	rm -rf "$dir/src"
	log "host tools rebuilt in $(($(date +%s) - t0)) s"
}

# FILE of the headers package, as packaged.
pristine() { # DIR KVER FILE
	local deb
	deb=$(compgen -G "$1/debs/linux-headers-${2}_*.deb" | head -n1) || die "no linux-headers-$2 .deb"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/linux-headers-$2/$3"
}

# Turn the unpacked packages into a tree the host can build modules with.
# Idempotent: run again when FIX_VERSION changes.
fix_headers() { # DIR KVER SERIES
	local dir=$1 root=$1/root kver=$2 s=$3 hdr common auto autoh pv sym drop=()
	hdr=$root/usr/src/linux-headers-$kver
	common=$root/usr/src/linux-headers-${kver%-amd64}-common
	[ -d "$common" ] || die "no $common"
	# include /usr/src/...-common/Makefile, KBUILD_OUTPUT=/usr/src/... (7.x)
	sed -i -E "s#(^|[ =])[^ =]*/usr/src/linux-headers-#\1$root/usr/src/linux-headers-#g" "$hdr/Makefile"
	# gcc-14/16 is not on bookworm: the host gcc (>= 8.1 is enough for these kernels)
	sed -i -E 's/^CC = .*/CC = gcc/' "$hdr/.kernelvariables"
	grep -q '^CC = gcc$' "$hdr/.kernelvariables" || echo 'CC = gcc' >>"$hdr/.kernelvariables"
	# Toolchain capabilities the kernel's compiler, assembler or linker had
	# and the host's lack (gcc-12: -fmin-function-alignment, counted_by,
	# -finline-stringops, ...): unset, as Kconfig sets them for the host.
	if [ ! -s "$dir/hostcc.config" ]; then
		log "redoing the kernel config with the host compiler (linux-source-$s)"
		hostcc_config "$dir" "$(unpack_source "$dir" "$s")" "$kver"
		rm -rf "$dir/src"
	fi
	while read -r sym; do
		grep -q "^CONFIG_$sym=" "$dir/hostcc.config" || drop+=("$sym")
	done < <(sed -n -E 's/^CONFIG_((CC|AS|LD|TOOLCHAIN)_[A-Z0-9_]+)=.*/\1/p' "$hdr/.config")
	printf '%s\n' "${drop[@]}" "DEBUG_INFO_BTF_MODULES (auto.conf only)" >"$dir/config-dropped"
	# Each run starts from the packaged files (kept as *.debian).
	auto=$hdr/include/config/auto.conf
	autoh=$hdr/include/generated/autoconf.h
	[ -f "$auto.debian" ] || pristine "$dir" "$kver" include/config/auto.conf >"$auto.debian"
	[ -f "$autoh.debian" ] || pristine "$dir" "$kver" include/generated/autoconf.h >"$autoh.debian"
	# No module BTF (bookworm's pahole, if any, is too old for these kernels):
	# for make only. In C it stays: struct module has BTF fields under it,
	# and a module whose struct module differs cannot be loaded.
	sed -E "/^CONFIG_($(IFS='|'; echo "${drop[*]}")|DEBUG_INFO_BTF_MODULES)=/d" "$auto.debian" >"$auto"
	sed -E "/^#define CONFIG_($(IFS='|'; echo "${drop[*]}")) /d" "$autoh.debian" >"$autoh"
	pv=$("$hdr/scripts/pahole-version.sh" pahole 2>/dev/null | head -n1 || true)
	sed -i -E "s/^CONFIG_PAHOLE_VERSION=.*/CONFIG_PAHOLE_VERSION=${pv:-0}/" "$auto"
}

write_env() { # DIR KVER PKGVER SUITE IMAGE
	{
		echo "KVER=$2"
		echo "PKGVER=$3"
		echo "SUITE=$4"
		echo "KDIR=$1/root/usr/src/linux-headers-$2"
		echo "VMLINUZ=$5"
		echo "MODDIR=$1/root/usr/lib/modules/$2"
		echo "PREP_VERSION=$PREP_VERSION"
		echo "FIX_VERSION=$FIX_VERSION"
	} >"$1/env.tmp"
	mv "$1/env.tmp" "$1/env"
}

prepare_kernel() { # KVER PKGVER SERIES SUITE
	local kver=$1 pkgver=$2 s=$3 suite=$4 dir=$cache/$1 root debs pkgs p t0
	root=$dir/root
	debs=$dir/debs
	if [ -f "$dir/env" ] && grep -qx "PREP_VERSION=$PREP_VERSION" "$dir/env"; then
		if ! grep -qx "FIX_VERSION=$FIX_VERSION" "$dir/env"; then
			fix_headers "$dir" "$kver" "$s"
			write_env "$dir" "$kver" "$pkgver" "$suite" "$(sed -n 's/^VMLINUZ=//p' "$dir/env")"
		fi
		return 0
	fi
	t0=$(date +%s)
	mkdir -p "$dir"
	# 7.2+: linux-image-* is a metapackage; the image is in linux-binary-*,
	# the modules in linux-modules-*. Before: all in linux-image-*.
	if pkg_exists "linux-modules-$kver"; then
		pkgs=("linux-modules-$kver")
		if pkg_exists "linux-binary-unsigned-$kver"; then
			pkgs+=("linux-binary-unsigned-$kver")
		else
			pkgs+=("linux-binary-$kver")
		fi
	elif pkg_exists "linux-image-$kver-unsigned"; then
		pkgs=("linux-image-$kver-unsigned")
	else
		pkgs=("linux-image-$kver")
	fi
	pkgs+=("linux-headers-$kver" "linux-headers-${kver%-amd64}-common"
		"linux-kbuild-${kver%-amd64}" "linux-source-$s")
	# linux-base-KVER (7.x) holds modules.order/builtin, which modprobe needs
	# to know built-in modules.
	! pkg_exists "linux-base-$kver" || pkgs+=("linux-base-$kver")
	local missing=()
	for p in "${pkgs[@]}"; do
		compgen -G "$debs/${p}_*.deb" >/dev/null || missing+=("$p=$pkgver")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "downloading ${missing[*]} ($suite)"
		rm -rf "$debs.tmp"
		mkdir -p "$debs.tmp" "$debs"
		(cd "$debs.tmp" && apt-get "${apt_opts[@]}" download "${missing[@]}") >"$dir/download.log" 2>&1 ||
			{ tail -n 5 "$dir/download.log" >&2; die "download failed"; }
		mv "$debs.tmp"/*.deb "$debs/"
		rmdir "$debs.tmp"
	fi
	log "unpacking into $root"
	rm -rf "$root" "$dir/env"
	mkdir -p "$root"
	for p in "${pkgs[@]}"; do
		[ "$p" != "linux-source-$s" ] || continue # unpacked when needed, from debs/
		dpkg -x "$(compgen -G "$debs/${p}_*.deb" | head -n1)" "$root"
	done
	rebuild_tools "$dir" "$kver" "$s"
	fix_headers "$dir" "$kver" "$s"
	depmod -b "$root/usr" "$kver"
	local img=$root/boot/vmlinuz-$kver
	[ -r "$img" ] || img=$root/usr/lib/modules/$kver/vmlinuz.unsigned
	[ -r "$img" ] || img=$root/usr/lib/modules/$kver/vmlinuz
	[ -r "$img" ] || die "no kernel image in ${pkgs[0]}"
	write_env "$dir" "$kver" "$pkgver" "$suite" "$img"
	log "prepared $kver ($pkgver) in $(($(date +%s) - t0)) s"
}

# ---- commands -------------------------------------------------------------------------------

print_env() { grep -E '^(KVER|PKGVER|SUITE|KDIR|VMLINUZ|MODDIR)=' "$1"; }

# The request's kernel, from the alias recorded by the last prepare.
cached_env() { # REQUEST [current: only if prepared by this version of the steps]
	local r=$1 kver
	case $r in
	host) host_env && return ;;
	latest) kver=$(sed -n 's/^KVER=//p' "$cache/latest" 2>/dev/null) ;;
	*-amd64) kver=$r ;;
	*) kver=$(cat "$cache/series-$r" 2>/dev/null || true) ;;
	esac
	[ -n "$kver" ] && [ -f "$cache/$kver/env" ] || return 1
	[ "${2:-}" != current ] || { grep -qx "PREP_VERSION=$PREP_VERSION" "$cache/$kver/env" &&
		grep -qx "FIX_VERSION=$FIX_VERSION" "$cache/$kver/env"; } || return 1
	print_env "$cache/$kver/env"
}

cmd_prepare() { # REQUEST
	local r=$1 kver pkgver s suite line
	if [ "$r" = host ] || { [ "${NFSMTP_KERNELS_NO_HOST:-0}" != 1 ] && [ "$r" != latest ] && host_env "$r" >/dev/null; }; then
		if [ "$r" = host ]; then host_env; else host_env "$r"; fi
		return
	fi
	mkdir -p "$cache"
	exec 9>"$cache/.lock"
	flock -w 1800 9 || die "another kernels.sh holds $cache/.lock"
	apt_setup
	if ! apt_update; then
		log "package lists could not be refreshed: using the kernel prepared last for '$r'"
		cached_env "$r" || die "no prepared kernel for '$r'"
		return
	fi
	# Resolved since the lists were last refreshed: no apt look-ups needed.
	local alias=$cache/series-$r
	[ "$r" != latest ] || alias=$cache/latest
	if [ "$alias" -nt "$apt_dir/lists/.updated" ] && cached_env "$r" current >/dev/null; then
		cached_env "$r"
		return
	fi
	case $r in
	latest) line=$(resolve_latest) || die "no 7.x kernel found in trixie, trixie-backports or sid" ;;
	*-amd64)
		s=$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$r")
		line=$(resolve_series "$s" | awk -v k="$r" '$1 == k')
		[ -n "$line" ] || die "$r is not the newest build of linux-source-$s in the lists"
		;;
	[0-9]*.[0-9]*) line=$(resolve_series "$r") || die "no amd64 kernel of series $r in trixie, trixie-backports or sid" ;;
	*) usage ;;
	esac
	read -r kver pkgver <<<"$line"
	s=$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$kver")
	suite=$(pkg_suite "linux-source-$s" "$pkgver")
	prepare_kernel "$kver" "$pkgver" "$s" "${suite:-unknown}"
	echo "$kver" >"$cache/series-$s"
	if [ "$r" = latest ]; then
		printf 'KVER=%s\nPKGVER=%s\nSUITE=%s\nPICKED=%s\n' "$kver" "$pkgver" "$suite" "$(date -u +%FT%TZ)" \
			>"$cache/latest"
	fi
	print_env "$cache/$kver/env"
}

[ $# -ge 1 ] || usage
# The kernel's netlink code generator (tools/net/ynl/ynl-gen-c.py) and the
# spec schemas it validates against (Documentation/netlink/*.yaml), from
# linux-source-$YNL_SERIES: Debian's 6.1 sources predate YNL. Kept in
# $cache/ynl-SERIES; the tree is laid out as the generator expects (it
# finds the kernel root by its MAINTAINERS file).
YNL_SERIES=6.12
cmd_ynl() {
	local dir=$cache/ynl-$YNL_SERIES ver deb tree
	tree=$dir/src/linux-source-$YNL_SERIES
	if [ ! -f "$tree/tools/net/ynl/ynl-gen-c.py" ]; then
		apt_setup
		apt_update
		ver=$(pkg_versions "linux-source-$YNL_SERIES" | head -n1)
		[ -n "$ver" ] || die "no linux-source-$YNL_SERIES in trixie, trixie-backports or sid"
		mkdir -p "$dir/debs" "$dir/src"
		deb=$(compgen -G "$dir/debs/linux-source-${YNL_SERIES}_*.deb" | head -n1) || {
			log "downloading linux-source-$YNL_SERIES $ver (the YNL generator)"
			(cd "$dir/debs" && apt-get "${apt_opts[@]}" download "linux-source-$YNL_SERIES=$ver") \
				>"$dir/download.log" 2>&1 || die "download failed: $dir/download.log"
			deb=$(compgen -G "$dir/debs/linux-source-${YNL_SERIES}_*.deb" | head -n1)
		}
		rm -rf "$dir/src" && mkdir -p "$dir/src"
		dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/linux-source-$YNL_SERIES.tar.xz" |
			xz -T0 -dc | tar -x -C "$dir/src" --wildcards "linux-source-$YNL_SERIES/tools/net/ynl/*" \
			"linux-source-$YNL_SERIES/Documentation/netlink/*" "linux-source-$YNL_SERIES/MAINTAINERS" ||
			die "could not unpack the YNL generator from $deb"
		rm -f "$deb"	# 150 MB for 1 MB of it
	fi
	echo "$tree"
}

case $1 in
ynl) [ $# = 1 ] || usage; cmd_ynl ;;
prepare) [ $# = 2 ] || usage; cmd_prepare "$2" ;;
env) [ $# = 2 ] || usage; cached_env "$2" || die "'$2' is not prepared: kernels.sh prepare $2" ;;
list)
	for f in "$cache"/*/env; do [ -f "$f" ] && print_env "$f" | tr '\n' ' ' && echo; done
	[ ! -f "$cache/latest" ] || echo "latest: $(tr '\n' ' ' <"$cache/latest")"
	;;
update) apt_setup; apt_update force ;;
*) usage ;;
esac
