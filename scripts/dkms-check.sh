#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dkms-check.sh: the two ways a user installs the module, as KTAP test points.
#
#  - dkms: the tree as a fresh clone has it (git ls-files: tracked and new,
#    not ignored; working-tree contents) copied to /usr/src/PACKAGE-VERSION,
#    then dkms add, build -k KVER, install -k KVER; the .ko must be under
#    /lib/modules/KVER/ and depmod must find it; modinfo must show version,
#    description, license, parm and KVER's vermagic; dkms remove --all must
#    leave nothing behind.
#  - make install DESTDIR=tmp from another such copy: the expected files, and
#    make uninstall removing them again.
#
# KVER is the kernel of the newest /usr/src/linux-headers-*-amd64 (Debian's
# linux-headers-amd64), never the running kernel; NFSMTP_DKMS_KVER overrides.
# Root only; installs the dkms package when it is missing. A same-version
# registration left by an earlier run is removed first; any other version of
# the package in dkms stops the check (it is the admin's).
#
# dkms install writes into the host's /lib/modules/KVER, which the VM runner
# shares with its guests as their module tree: with a VM running, the check
# refuses to start (NFSMTP_DKMS_FORCE=1 runs it anyway).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
pkg=nf-conntrack-smtp
mod=nf_conntrack_smtp
out=$top/build/dkms-check
mkdir -p "$out"
t_start=$(date +%s)

bail() { echo "Bail out! $*"; exit 2; }

[ "$(id -u)" = 0 ] || bail "run as root (dkms, apt-get, /lib/modules)"
ver=$(sed -n 's/^MODULE_VERSION("\([^"]*\)");$/\1/p' kmod/smtp_main.c)
[ -n "$ver" ] || bail "no MODULE_VERSION in kmod/smtp_main.c"
if [ -n "${NFSMTP_DKMS_KVER:-}" ]; then
	kver=$NFSMTP_DKMS_KVER
	kdir=/usr/src/linux-headers-$kver
else
	kdir=$(printf '%s\n' /usr/src/linux-headers-*-amd64 | sort -V | tail -1)
	kver=${kdir#/usr/src/linux-headers-}
fi
[ -d "$kdir" ] || bail "no kernel headers: run 'make deps' (linux-headers-amd64)"
OUT=$out
# shellcheck source=scripts/ktap-steps.sh
. "$top/scripts/ktap-steps.sh"
wait_for_vms

echo "TAP version 13"
echo "1..11"
echo "# $pkg $ver for kernel $kver ($kdir); logs in ${out#"$top"/}/"
# export_tree DEST: the files a clone of this tree holds, as they are now
export_tree() { "$top/scripts/export-tree.sh" "$1"; }

src=/usr/src/$pkg-$ver
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dkms-check.XXXXXX")
owned=0		# 1 once $pkg/$ver in dkms and $src are this check's to remove
dkms_cleanup() {
	if command -v dkms >/dev/null && [ -n "$(dkms status -m "$pkg" -v "$ver" 2>/dev/null)" ]; then
		dkms remove "$pkg/$ver" --all
	fi
	rm -rf "$src"
}
# shellcheck disable=SC2317 # called by trap
on_exit() {
	[ $owned = 0 ] || dkms_cleanup >/dev/null 2>&1
	rm -rf "$tmp"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- dkms --------------------------------------------------------------------
install_dkms() {
	command -v dkms >/dev/null && return 0
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q dkms || { apt-get update -q && apt-get install -y -q dkms; }
}
step "dkms is installed" install_dkms
dkms_ok=$?

other=''
if [ $dkms_ok = 0 ]; then
	other=$(dkms status -m "$pkg" 2>/dev/null | grep -v "^$pkg/${ver}[,:]" || true)
	[ -z "$other" ] || bail "another $pkg version is registered with dkms, not ours to remove: $other"
	owned=1
	if [ -n "$(dkms status -m "$pkg" -v "$ver" 2>/dev/null)" ] || [ -e "$src" ]; then
		echo "# removing $pkg/$ver left by an earlier run"
		dkms_cleanup >"$out/0.log" 2>&1
	fi
fi

# the clone: dkms add copies it to $src, make install builds in it
clone=$tmp/clone
export_clone() {
	export_tree "$clone" && [ -f "$clone/dkms.conf" ] && [ -f "$clone/Kbuild" ] &&
		echo "$(find "$clone" -type f | wc -l) files in $clone"
}
step "the tree exported as a fresh clone has it" export_clone
clone_ok=$?
dkms_add() {	# dkms add DIR, as README says: dkms copies DIR to $src
	dkms add "$clone" && [ -f "$src/dkms.conf" ] && [ -f "$src/kmod/smtp_main.c" ]
}
# dkms argument sets: the kernel by name, its headers by path (a headers
# package without /lib/modules/KVER/build works too)
karg=(-k "$kver" --kernelsourcedir "$kdir")
dkms_build() {	# on failure, the kernel build's own log
	dkms build -m "$pkg" -v "$ver" "${karg[@]}" && return 0
	tail -40 "/var/lib/dkms/$pkg/$ver/build/make.log"
	return 1
}
modpath=''
if [ $dkms_ok = 0 ] && [ $clone_ok = 0 ] &&
	step "dkms add <clone> registers $pkg/$ver and copies it to $src" dkms_add &&
	step "dkms build $pkg/$ver -k $kver (plain Kbuild, no W=1/-Werror)" dkms_build; then
	step "dkms install $pkg/$ver -k $kver" dkms install -m "$pkg" -v "$ver" "${karg[@]}"
	install_rc=$?

	# depmod's answer must be under /lib/modules/KVER and be what dkms built
	modpath=$(modinfo -k "$kver" -n "$mod" 2>/dev/null)
	built=/var/lib/dkms/$pkg/$ver/$kver/$(uname -m)/module/$mod.ko
	echo "# depmod resolves $mod to ${modpath:-nothing}"
	[ $install_rc = 0 ] && [ "${modpath#/lib/modules/"$kver"/}" != "$modpath" ] &&
		[ -f "$modpath" ] && cmp -s "$modpath" "$built"
	point $? "the .ko is under /lib/modules/$kver/, depmod resolves $mod to it, it is dkms's build"

	check_modinfo() {	# KO: the fields users and modprobe read
		local ko=$1 rc=0 f v
		for f in version description license parm vermagic srcversion; do
			v=$(modinfo -F "$f" "$ko" 2>/dev/null | head -1)
			echo "# modinfo $f: ${v:-(none)}"
			[ -n "$v" ] || rc=1
		done
		[ "$(modinfo -F version "$ko")" = "$ver" ] || { echo "# version is not $ver"; rc=1; }
		[ "$(modinfo -F license "$ko")" = GPL ] || { echo "# license is not GPL"; rc=1; }
		modinfo -F parm "$ko" | grep -q '^ports:' || { echo "# no parm ports"; rc=1; }
		case $(modinfo -F vermagic "$ko") in
		"$kver "*) ;;
		*) echo "# vermagic is not $kver"; rc=1 ;;
		esac
		return $rc
	}
	if [ -n "$modpath" ]; then
		check_modinfo "$modpath" >"$out/modinfo.log" 2>&1
		rc=$?
		cat "$out/modinfo.log"
		point $rc "modinfo: version $ver, description, license GPL, parm ports, vermagic $kver"
	else
		point 1 "modinfo: no module to read"
	fi
fi
# short of 7 points when an early step failed: keep the numbering stable
while [ $n -lt 7 ]; do skip "dkms step" "an earlier step failed"; done

removed() {
	local left
	dkms remove "$pkg/$ver" --all || return 1
	left=$(find "/lib/modules/$kver" -name "$mod.ko*" -path "*/updates/dkms/*")
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
	[ -z "$(dkms status -m "$pkg" -v "$ver")" ] || { echo "still in dkms status"; return 1; }
	! modinfo -k "$kver" -n "$mod" 2>/dev/null | grep -q '/updates/dkms/' ||
		{ echo "depmod still lists the dkms module"; return 1; }
	rm -rf "$src"
}
if [ $dkms_ok = 0 ] && [ -n "$(dkms status -m "$pkg" -v "$ver" 2>/dev/null)" ]; then
	step "dkms remove $pkg/$ver --all leaves no module, no registration" removed
else
	skip "dkms remove" "nothing registered"
fi

# ---- make install DESTDIR ------------------------------------------------------
stage=$tmp/root
prefix=/usr/local
staged=(
	"lib/modules/$kver/extra/$mod.ko"
	"${prefix#/}/sbin/nfsmtp"
	"${prefix#/}/share/man/man8/nfsmtp.8"
	"${prefix#/}/share/bash-completion/completions/nfsmtp"
	"${prefix#/}/share/doc/$pkg/modprobe.d/$mod.conf"
	"${prefix#/}/share/doc/$pkg/modprobe.d/nfsmtp-policy.conf"
	"${prefix#/}/share/doc/$pkg/nfsmtp.conf"
	"${prefix#/}/share/doc/$pkg/systemd/nfsmtp.service"
	"${prefix#/}/libexec/nfsmtp/modprobe-hook"
)
host_had=0
[ -e "/lib/modules/$kver/extra/$mod.ko" ] && host_had=1
stage_install() {
	make -C "$clone" install DESTDIR="$stage" PREFIX="$prefix" KDIR="$kdir" || return 1
	local f rc=0
	for f in "${staged[@]}"; do
		[ -f "$stage/$f" ] || { echo "missing: \$DESTDIR/$f"; rc=1; }
	done
	[ -x "$stage/${prefix#/}/sbin/nfsmtp" ] || { echo "nfsmtp is not executable"; rc=1; }
	[ "$(modinfo -F version "$stage/lib/modules/$kver/extra/$mod.ko")" = "$ver" ] ||
		{ echo "staged module has no version $ver"; rc=1; }
	grep -q '^#options nf_conntrack_smtp ports=' "$stage/${prefix#/}/share/doc/$pkg/modprobe.d/$mod.conf" ||
		{ echo "modprobe.d example has no commented options line"; rc=1; }
	# the hook, its script and the unit name the installed paths
	grep -q "{ $prefix/libexec/nfsmtp/modprobe-hook || :; }\$" \
		"$stage/${prefix#/}/share/doc/$pkg/modprobe.d/nfsmtp-policy.conf" ||
		{ echo "nfsmtp-policy.conf does not run $prefix/libexec/nfsmtp/modprobe-hook"; rc=1; }
	grep -qx "nfsmtp=$prefix/sbin/nfsmtp" "$stage/${prefix#/}/libexec/nfsmtp/modprobe-hook" ||
		{ echo "modprobe-hook does not run $prefix/sbin/nfsmtp"; rc=1; }
	[ -x "$stage/${prefix#/}/libexec/nfsmtp/modprobe-hook" ] || { echo "modprobe-hook is not executable"; rc=1; }
	grep -q "^ExecStart=$prefix/sbin/nfsmtp -f /etc/nfsmtp.conf\$" \
		"$stage/${prefix#/}/share/doc/$pkg/systemd/nfsmtp.service" ||
		{ echo "nfsmtp.service does not run $prefix/sbin/nfsmtp"; rc=1; }
	if [ $host_had = 0 ] && [ -e "/lib/modules/$kver/extra/$mod.ko" ]; then
		echo "make install DESTDIR wrote /lib/modules/$kver/extra/$mod.ko"
		rc=1
	fi
	find "$stage" -type f | sed "s|^$stage/|installed: |" | sort
	return $rc
}
if [ $clone_ok = 0 ]; then
	step "make install DESTDIR: module in extra/, nfsmtp, man page, completion, modprobe hook, examples (options, nfsmtp.conf, unit)" \
		stage_install
	stage_rc=$?
else
	skip "make install DESTDIR" "no clone"
	stage_rc=1
fi

stage_uninstall() {
	make -C "$clone" uninstall DESTDIR="$stage" PREFIX="$prefix" KDIR="$kdir" || return 1
	local left
	left=$(find "$stage" -type f)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}
if [ $stage_rc = 0 ]; then
	step "make uninstall DESTDIR removes every installed file" stage_uninstall
else
	skip "make uninstall DESTDIR" "make install failed"
fi

# the man page renders without warnings (when man is there) and names the
# module's version, its one other copy
man_check() {
	local w rc=0
	grep -q "^\.TH NFSMTP 8 .*\"nf_conntrack_smtp $ver\"" userspace/nfsmtp/nfsmtp.8 ||
		{ echo "nfsmtp.8: .TH does not name nf_conntrack_smtp $ver"; rc=1; }
	command -v man >/dev/null || { echo "no man: not rendered"; return $rc; }
	w=$(MANWIDTH=80 man --warnings -l userspace/nfsmtp/nfsmtp.8 2>&1 >/dev/null)
	[ -z "$w" ] || { echo "$w"; rc=1; }
	return $rc
}
step "nfsmtp.8 renders without groff warnings, its .TH names version $ver" man_check

echo "# $((n - fails)) passed, $fails failed; dkms-check took $(($(date +%s) - t_start)) s"
[ $fails = 0 ]
