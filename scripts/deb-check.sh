#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# deb-check.sh: the Debian packages as a user installs them, as KTAP test
# points:
#
#  - make deb builds nf-conntrack-smtp-dkms and nfsmtp into build/deb/;
#  - lintian (as nobody; --pedantic --info) reports no tag: the one left is
#    overridden with its reason in debian/nfsmtp.lintian-overrides;
#  - apt-get install ./build/deb/*.deb: the DKMS postinst builds the module
#    for KVER (the newest Debian headers' kernel, linux-headers-amd64's) into
#    /lib/modules/KVER/updates/dkms; every file of nfsmtp is in place, the
#    unit passes systemd-analyze verify, the conffile passes nfsmtp -c;
#  - the VM boots KVER: modprobe finds the DKMS build in updates/dkms, loads
#    it, and the package's modprobe hook applies a /etc/nfsmtp.conf, which the
#    package's nfsmtp shows;
#  - dpkg -r removes the module (dkms status empty), the tool, the hook and
#    the unit, keeping the conffile; dpkg -P removes that too: nothing left.
#
# Root only (apt, dkms, /lib/modules), on Debian 12 as CI's machine is. The
# packages are never left installed: a run purges what it installed, and
# first what an interrupted run left; another version of nf-conntrack-smtp
# in dkms stops it (the admin's). Like dkms-check, it writes the host's
# /lib/modules/KVER, which test VMs read: it waits (up to 30 min) until no
# VM of a Debian kernel runs (NFSMTP_DKMS_FORCE=1: do not wait).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
pkg=nf-conntrack-smtp
mod=nf_conntrack_smtp
debs=(nf-conntrack-smtp-dkms nfsmtp)
out=$top/build/deb-check
rm -rf "$out"
mkdir -p "$out"
t_start=$(date +%s)

bail() { echo "Bail out! $*"; exit 2; }

[ "$(id -u)" = 0 ] || bail "run as root (apt-get, dkms, /lib/modules)"
ver=$(sed -n 's/^MODULE_VERSION("\([^"]*\)");$/\1/p' kmod/smtp_main.c)
[ -n "$ver" ] || bail "no MODULE_VERSION in kmod/smtp_main.c"
kdir=$(printf '%s\n' /usr/src/linux-headers-*-amd64 | sort -V | tail -1)
kver=${kdir#/usr/src/linux-headers-}
{ [ -d "$kdir" ] && [ -r "/boot/vmlinuz-$kver" ]; } ||
	bail "no Debian kernel with headers: run 'make deps' (linux-image-amd64, linux-headers-amd64)"
ko=/lib/modules/$kver/updates/dkms/$mod.ko

OUT=$out
POINT_PREFIX="ops: deb: "
# shellcheck source=scripts/ktap-steps.sh
. "$top/scripts/ktap-steps.sh"
wait_for_vms

echo "TAP version 13"
echo "1..9"
echo "# $pkg $ver, kernel $kver; logs in ${out#"$top"/}/"
export DEBIAN_FRONTEND=noninteractive
installed() { dpkg-query -W -f='${db:Status-Status}\n' "$1" 2>/dev/null | grep -qv '^not-installed$'; }
# shellcheck disable=SC2317 # called by trap
on_exit() {
	local p
	for p in "${debs[@]}"; do
		if installed "$p"; then
			echo "# purging $p"
			dpkg --purge "$p" >/dev/null 2>&1
		fi
	done
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# what an interrupted run left; a dkms registration of this version without
# its package (dkms-check's, interrupted)
for p in "${debs[@]}"; do
	installed "$p" && { echo "# removing $p left by an earlier run"; dpkg --purge "$p" >"$out/0.log" 2>&1; }
done
if command -v dkms >/dev/null; then
	other=$(dkms status -m "$pkg" 2>/dev/null | grep -v "^$pkg/${ver}[,:]" || true)
	[ -z "$other" ] || bail "another $pkg version is registered with dkms, not ours to remove: $other"
	if [ -n "$(dkms status -m "$pkg" -v "$ver" 2>/dev/null)" ]; then
		echo "# removing the dkms registration $pkg/$ver left by an earlier run"
		dkms remove "$pkg/$ver" --all >>"$out/0.log" 2>&1
		rm -rf "/usr/src/$pkg-$ver"
	fi
fi

# ---- build, lint --------------------------------------------------------------------

step "make deb builds nf-conntrack-smtp-dkms and nfsmtp into build/deb/" \
	eval "make -s deb && test -f build/deb/nf-conntrack-smtp-dkms_${ver}_all.deb && test -f build/deb/nfsmtp_${ver}_$(dpkg --print-architecture).deb"
build_rc=$?

# as nobody: lintian warns about running as root
lint() {
	local o
	o=$(setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/tmp TMPDIR=/tmp \
		lintian --pedantic --info --display-experimental build/deb/*.deb 2>&1) || { echo "$o"; return 1; }
	echo "$o"
	[ -z "$o" ]
}
if [ $build_rc = 0 ]; then
	step "lintian --pedantic --info: no tag (the one left overridden with its reason)" lint
else
	skip "lintian" "no packages"
fi

# ---- install ------------------------------------------------------------------------

install_debs() {
	# postinst: dkms add, build and install for the installed kernels with headers
	apt-get install -y -q --no-install-recommends ./build/deb/*.deb || return 1
	dkms status -m "$pkg" -v "$ver"
	# a machine whose running kernel is another one builds for it and the
	# newest: KVER is one of them, else the kernel postinst hook's way
	if ! dkms status -m "$pkg" -v "$ver" -k "$kver" | grep -q ': installed'; then
		echo "postinst did not install for $kver: dkms autoinstall -k $kver"
		dkms autoinstall -k "$kver" || return 1
	fi
	dkms status -m "$pkg" -v "$ver" -k "$kver" | grep -q ': installed'
}
if [ $build_rc = 0 ]; then
	step "apt-get install ./build/deb/*.deb: DKMS builds and installs $pkg/$ver for $kver" install_debs
	inst_rc=$?
else
	skip "apt-get install" "no packages"
	inst_rc=1
fi

module_in_place() {
	local p
	p=$(modinfo -k "$kver" -n "$mod") || return 1
	echo "modprobe resolves $mod to $p"
	[ "$p" = "$ko" ] && [ "$(modinfo -F version "$ko")" = "$ver" ] &&
		case $(modinfo -F vermagic "$ko") in "$kver "*) ;; *) false ;; esac
}
files_in_place() {
	local f rc=0
	for f in /usr/sbin/nfsmtp /etc/nfsmtp.conf /lib/modprobe.d/nfsmtp-policy.conf \
		/usr/libexec/nfsmtp/modprobe-hook /lib/systemd/system/nfsmtp.service \
		/usr/share/man/man8/nfsmtp.8.gz /usr/share/bash-completion/completions/nfsmtp \
		"/usr/src/$pkg-$ver/dkms.conf"; do
		[ -e "$f" ] || { echo "missing: $f"; rc=1; }
	done
	grep -qx /etc/nfsmtp.conf /var/lib/dpkg/info/nfsmtp.conffiles || { echo "/etc/nfsmtp.conf is no conffile"; rc=1; }
	/usr/sbin/nfsmtp -c -f /etc/nfsmtp.conf || rc=1
	# enabled by the operator, after editing the file (README)
	[ ! -e /etc/systemd/system/sysinit.target.wants/nfsmtp.service ] || { echo "nfsmtp.service enabled"; rc=1; }
	if command -v systemd-analyze >/dev/null; then
		systemd-analyze verify --man=no /lib/systemd/system/nfsmtp.service || rc=1
	fi
	modprobe --showconfig | grep -q '^install nf_conntrack_smtp .*/usr/libexec/nfsmtp/modprobe-hook' ||
		{ echo "modprobe does not see the hook"; rc=1; }
	return $rc
}
if [ $inst_rc = 0 ]; then
	step "the module is $ko, version $ver, vermagic $kver; depmod resolves $mod to it" module_in_place
	step "nfsmtp's files in place: tool, conffile (nfsmtp -c passes), hook seen by modprobe, unit (systemd-analyze verify, not enabled), man page, completion" \
		files_in_place
else
	skip "the module in updates/dkms" "not installed"
	skip "nfsmtp's files" "not installed"
fi

# ---- the DKMS-built module in the VM ----------------------------------------------------

cat >"$out/guest.sh" <<'EOF'
#!/bin/bash
# deb-check.sh's guest: the installed packages on the booted kernel
ko=/lib/modules/$(uname -r)/updates/dkms/nf_conntrack_smtp.ko
rc=0
p=$(modinfo -n nf_conntrack_smtp)
echo "# modprobe resolves nf_conntrack_smtp to $p"
[ "$p" = "$ko" ] || rc=1
printf '# from deb-check\npolicy set starttls strip banner mask\n' >/etc/nfsmtp.conf
modprobe nf_conntrack_smtp || rc=1
if [ "$(cat /sys/module/nf_conntrack_smtp/srcversion 2>/dev/null)" = "$(modinfo -F srcversion "$ko")" ]; then
	echo "RESULT loaded 0"
else
	echo "# loaded: $(grep nf_conntrack_smtp /proc/modules)"
	echo "RESULT loaded 1"
fi
/usr/sbin/nfsmtp policy show profile 0 | sed 's/^/# /'
/usr/sbin/nfsmtp policy show profile 0 >/tmp/show
grep -Eq '^policy set profile 0( [^ ]+ [^ ]+)* starttls strip( |$)' /tmp/show &&
	grep -Eq '^policy set profile 0( [^ ]+ [^ ]+)* banner mask( |$)' /tmp/show
echo "RESULT policy $?"
/usr/sbin/nfsmtp stats -o prometheus | grep -qx 'nfsmtp_sessions_total{netns="init"} 0'
echo "RESULT prometheus $?"
exit $rc
EOF
chmod 755 "$out/guest.sh"
result() { grep -qx "RESULT $1 0" "$out/vm.log"; }
if [ $inst_rc = 0 ]; then
	t0=$(date +%s)
	"$top/scripts/vm-run.sh" --kernel "$kver" --timeout 600 -- "$out/guest.sh" >"$out/vm.log" 2>&1
	vm_rc=$?
	grep '^#' "$out/vm.log"
	point "$( [ $vm_rc = 0 ] && result loaded; echo $?)" \
		"the VM boots $kver; modprobe loads the DKMS-built module from updates/dkms ($(($(date +%s) - t0)) s)"
	point "$(result policy && result prometheus; echo $?)" \
		"there the package's modprobe hook applied /etc/nfsmtp.conf (nfsmtp policy show: starttls strip banner mask; stats -o prometheus)"
	[ $vm_rc = 0 ] || tail -30 "$out/vm.log" | sed 's/^/# /'
else
	skip "the VM loads the DKMS-built module" "not installed"
	skip "the package's modprobe hook in the VM" "not installed"
fi

# ---- remove, purge ------------------------------------------------------------------------

removed() {
	local rc=0 f
	dpkg --remove "${debs[@]}" || return 1
	[ -z "$(dkms status -m "$pkg" 2>/dev/null)" ] || { echo "dkms status: $(dkms status -m "$pkg")"; rc=1; }
	[ -z "$(find "/lib/modules/$kver" -name "$mod.ko*")" ] || { echo "left: $(find "/lib/modules/$kver" -name "$mod.ko*")"; rc=1; }
	! modinfo -k "$kver" -n "$mod" >/dev/null 2>&1 || { echo "depmod still resolves $mod"; rc=1; }
	for f in /usr/sbin/nfsmtp /lib/modprobe.d/nfsmtp-policy.conf /usr/libexec/nfsmtp \
		/lib/systemd/system/nfsmtp.service "/usr/src/$pkg-$ver" "/var/lib/dkms/$pkg"; do
		[ ! -e "$f" ] || { echo "left: $f"; rc=1; }
	done
	[ -e /etc/nfsmtp.conf ] || { echo "the conffile went with dpkg -r"; rc=1; }
	return $rc
}
purged() {
	local rc=0 p
	dpkg --purge "${debs[@]}" || return 1
	for p in "${debs[@]}"; do
		! installed "$p" || { echo "$p: $(dpkg-query -W -f='${db:Status-Status}' "$p")"; rc=1; }
	done
	[ ! -e /etc/nfsmtp.conf ] || { echo "left: /etc/nfsmtp.conf"; rc=1; }
	return $rc
}
if [ $inst_rc = 0 ] || installed nfsmtp || installed nf-conntrack-smtp-dkms; then
	step "dpkg -r: no module (dkms status empty, nothing under /lib/modules/$kver), no nfsmtp, hook, unit or sources; the conffile stays" removed
	step "dpkg -P: /etc/nfsmtp.conf gone, neither package known to dpkg" purged
else
	skip "dpkg -r" "nothing installed"
	skip "dpkg -P" "nothing installed"
fi

echo "# $((n - fails)) passed, $fails failed; deb-check took $(($(date +%s) - t_start)) s"
[ $fails = 0 ]
