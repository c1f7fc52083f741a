#!/bin/bash
# install-deps.sh: install (as root, on Debian 12) every package the build,
# the VM runner and the tests need. Idempotent: when all are installed it only
# prints one line and never touches apt.
set -euo pipefail

pkgs=(
	# module build, checks, kselftest/checkpatch sources
	build-essential linux-image-amd64 linux-headers-amd64 linux-source-6.1
	sparse bc flex bison libelf-dev libssl-dev kmod rsync
	# make dkms-check: the dkms install path
	dkms
	# make deb / deb-check: Debian packages with debhelper and dh_dkms, lintian
	debhelper dh-dkms lintian
	# parser fuzzing and memory checks
	clang libclang-rt-14-dev valgrind
	# scripts/vm-run.sh + mkinitramfs.sh (zstd: compressed modules of newer kernels)
	qemu-system-x86 busybox-static cpio xz-utils zstd python3
	# networking tools used in the guest
	iproute2 iputils-ping nftables iptables conntrack conntrackd ethtool procps util-linux tcpdump
	# userspace tools
	libmnl-dev libnetfilter-conntrack-dev pkg-config
	# nfsmtp: check_spec.py reads the YNL spec; the kernel's YNL generator validates it (jsonschema)
	python3-yaml
	python3-jsonschema
	# mail software driven by the tests
	postfix swaks openssl libnet-ssleay-perl libio-socket-ssl-perl python3-dkim
	# exim4-daemon-light's libraries (its binary is unpacked below)
	libdb5.3 libgnutls-dane0 libgnutls30 libidn12 libidn2-0 libnsl2 libpcre2-8-0
)

# One dpkg-query for all: unknown packages just do not show up as installed.
installed=$(dpkg-query -W -f='${db:Status-Status} ${Package}\n' "${pkgs[@]}" 2>/dev/null |
	awk '$1 == "installed" { print $2 }' || true)
missing=()
for p in "${pkgs[@]}"; do
	grep -qxF "$p" <<<"$installed" || missing+=("$p")
done
# unpack PKG NAME FILE: Debian package PKG downloaded and unpacked (not
# installed) into $NFSMTP_CACHE/NAME, unless FILE (a path inside) is there
unpack() {
	local pkg=$1 dir=${NFSMTP_CACHE:-/var/cache/nf-smtp}/$2 tmp rc
	[ -x "$dir/$3" ] && return 0
	[ "$(id -u)" = 0 ] || { echo "install-deps: run as root to unpack $pkg" >&2; return 1; }
	tmp=$(mktemp -d)
	chmod 755 "$tmp" && { chown _apt "$tmp" 2>/dev/null || true; }	# apt downloads as _apt
	(cd "$tmp" && apt-get download -q "$pkg") &&
		mkdir -p "$dir" && dpkg -x "$tmp/$pkg"_*.deb "$dir"
	rc=$?
	rm -rf "$tmp"
	[ $rc = 0 ] && echo "install-deps: $pkg unpacked in $dir"
	return $rc
}
# exim4's binary, unpacked and not installed (as a package it would replace
# postfix): the MTA client of selftests/smtp_bdat.sh, since postfix's SMTP
# client never sends BDAT and exim's does.  Its libraries are in pkgs.
# promtool from Debian's prometheus, unpacked too (the server is not wanted
# here): `promtool check metrics` checks nfsmtp stats -o prometheus.
unpack_tools() {
	unpack exim4-daemon-light exim4 usr/sbin/exim4 &&
		unpack prometheus prometheus usr/bin/promtool
}

if [ ${#missing[@]} -eq 0 ]; then
	unpack_tools || { apt-get update -q && unpack_tools; }
	echo "install-deps: all ${#pkgs[@]} packages installed"
	exit 0
fi

[ "$(id -u)" = 0 ] || { echo "install-deps: run as root to install: ${missing[*]}" >&2; exit 1; }
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# postfix must neither ask questions nor start on this host: it only ever runs
# inside test VMs, from a throwaway config.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
policy=/usr/sbin/policy-rc.d
backup=''
if [ -e "$policy" ]; then
	backup=$(mktemp "$policy.install-deps.XXXXXX")
	cp -p "$policy" "$backup"
fi
restore_policy() {
	if [ -n "$backup" ]; then mv -f "$backup" "$policy"; else rm -f "$policy"; fi
}
trap restore_policy EXIT
printf '#!/bin/sh\n# temporary, from install-deps.sh: start no services\nexit 101\n' >"$policy"
chmod 755 "$policy"

apt-get update -q
apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
unpack_tools
