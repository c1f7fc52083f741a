#!/bin/bash
# mkinitramfs.sh KVER OUT.cpio.gz
#
# Builds the small busybox initramfs used by scripts/vm-run.sh: it loads the
# virtio, 9p and overlay modules of kernel KVER, mounts the host root (9p
# mount_tag "hostroot", read-only) with writable overlays/tmpfs on top, and
# switch_roots into a stage-2 script that runs the command vm-run.sh prepared.
#
# Modules come from /lib/modules/KVER, or from $NFSMTP_MODDIR (a directory
# holding modules.dep, e.g. an extracted non-host kernel's
# usr/lib/modules/KVER). The result is cached in
# ${NFSMTP_CACHE:-/var/cache/nf-smtp}/initramfs/ keyed by KVER, this script,
# busybox and modules.dep, and hard-linked (or copied) to OUT.
set -euo pipefail

usage() { echo "usage: $0 KVER OUT.cpio.gz  (env: NFSMTP_MODDIR, NFSMTP_CACHE)" >&2; exit 2; }
[ $# -eq 2 ] || usage
kver=$1 out=$2
moddir=${NFSMTP_MODDIR:-/lib/modules/$kver}
cache=${NFSMTP_CACHE:-/var/cache/nf-smtp}/initramfs
busybox=/bin/busybox
# Only the modules needed to reach the 9p root; everything else the guest
# loads itself with modprobe from the (overlaid) host module tree.
modules="virtio_pci 9pnet_virtio 9p overlay virtio_rng"

[ -f "$moddir/modules.dep" ] || { echo "$0: no $moddir/modules.dep (set NFSMTP_MODDIR, run depmod)" >&2; exit 1; }
[ -x "$busybox" ] || { echo "$0: needs $busybox (apt-get install busybox-static)" >&2; exit 1; }

key=$({ cat "$0"; echo "$kver $(realpath "$moddir")"; stat -Lc '%s %Y' "$moddir/modules.dep" "$busybox"; } |
	sha256sum | cut -c1-16)
cached=$cache/$kver-$key.cpio.gz

if [ -s "$cached" ]; then
	touch "$cached" # in use: keep it from the pruning below
else
	mkdir -p "$cache"
	find "$cache" -maxdepth 1 -name '*.cpio.gz' -mtime +7 -delete # unused for a week
	work=$(mktemp -d "$cache/.build.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	root=$work/root
	mkdir -p "$root"/{bin,dev,proc,sys,newroot,modules}
	cp "$busybox" "$root/bin/busybox"
	for applet in $("$busybox" --list); do
		[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
	done

	# modprobe -d wants BASE/lib/modules/KVER; a symlink lets any MODDIR
	# layout (e.g. an extracted package's usr/lib/modules/KVER) work.
	mkdir -p "$work/base/lib/modules"
	ln -s "$(realpath "$moddir")" "$work/base/lib/modules/$kver"
	: >"$root/modules/order"
	for m in $modules; do
		# -C /dev/null: ignore the host's modprobe.d (blacklists, options).
		deps=$(modprobe -C /dev/null -d "$work/base" -S "$kver" --show-depends "$m") ||
			{ echo "$0: module $m not found for $kver" >&2; exit 1; }
		while read -r verb path _; do
			[ "$verb" = insmod ] || continue # "builtin NAME": nothing to load
			name=$(basename "$path")
			case $name in
			*.ko.xz) name=${name%.xz} dec="xz -dc" ;;
			*.ko.zst) name=${name%.zst} dec="zstd -qdc" ;;
			*.ko.gz) name=${name%.gz} dec="gzip -dc" ;;
			*) dec='cat' ;;
			esac
			[ -e "$root/modules/$name" ] && continue
			# busybox insmod cannot read compressed modules: store them plain.
			$dec "$path" >"$root/modules/$name"
			echo "$name" >>"$root/modules/order"
		done <<<"$deps"
	done

	cat >"$root/init" <<'EOF'
#!/bin/sh
# Stage 1 (PID 1 in the initramfs): reach the host root, build the writable
# layers, then switch_root into stage 2.
PATH=/bin
fail() { echo "nfsmtp-init: $*" >/dev/console; sync; poweroff -f; sleep 60; }
mount -t proc proc /proc && mount -t sysfs sysfs /sys && mount -t devtmpfs devtmpfs /dev || fail "early mounts"
while read -r ko; do insmod "/modules/$ko" || fail "insmod $ko"; done </modules/order

run=
for arg in $(cat /proc/cmdline); do
	case $arg in nfsmtp.run=*) run=${arg#nfsmtp.run=} ;; esac
done
[ -n "$run" ] || fail "no nfsmtp.run= on the kernel command line"

# cache=loose: the host root does not change under a test run, and it is much
# faster than cache=none for the many small reads of exec/python/depmod.
mount -t 9p -o ro,trans=virtio,version=9p2000.L,cache=loose,msize=262144 hostroot /newroot ||
	fail "mount 9p hostroot"
N=/newroot
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs $N/run || fail "tmpfs /run"
mkdir -p $N/run/nfsmtp/ovl $N/run/lock $N/run/netns
chmod 1777 $N/run/lock
cp /bin/busybox /stage2 $N/run/nfsmtp/ && cp "$N$run/vm.conf" "$N$run/cmd.sh" $N/run/nfsmtp/ || fail "copy run files"
. $N/run/nfsmtp/vm.conf

# Overlays keep the read-only host files visible while letting postfix,
# conntrackd, ip/nft and tests write (queue dirs, /etc/postfix, pid files).
# Their upper layers share one tmpfs; changes vanish with the VM.
mount -t tmpfs -o mode=0700 tmpfs $N/run/nfsmtp/ovl || fail "tmpfs ovl"
i=0
overlay() { # overlay LOWER MOUNTPOINT
	i=$((i + 1))
	u=$N/run/nfsmtp/ovl/$i
	mkdir -p $u/upper $u/work
	mount -t overlay -o "lowerdir=$1,upperdir=$u/upper,workdir=$u/work,index=off,xino=off" overlay "$2" ||
		fail "overlay $2"
}
for d in /etc /var /tmp /root; do overlay $N$d $N$d; done
chmod 1777 $N/tmp
kver=$(uname -r)
# The module tree must be writable for extra/ + depmod. A non-host kernel's
# tree ($MODDIR, anywhere on the host) has no mount point under /lib/modules:
# overlay /lib/modules first so that one can be created.
if [ ! -d $N/lib/modules/$kver ]; then
	overlay $N/lib/modules $N/lib/modules
	mkdir -p $N/lib/modules/$kver
fi
lower=$N$MODDIR
[ -z "$EXTRAMODS" ] || lower=$N$EXTRAMODS:$lower # vm-run.sh --ko
overlay "$lower" $N/lib/modules/$kver
for d in $RWDIRS; do overlay $N$d $N$d; done

mount --move /dev $N/dev && mount --move /sys $N/sys && mount --move /proc $N/proc || fail "move mounts"
exec switch_root $N /run/nfsmtp/busybox sh /run/nfsmtp/stage2
EOF

	cat >"$root/stage2" <<'EOF'
# Stage 2 (PID 1 on the host root): run the command, report its status and
# the kernel log on ttyS1, power off.
BB=/run/nfsmtp/busybox
. /run/nfsmtp/vm.conf
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
$BB mkdir -p /dev/pts /dev/shm /dev/mqueue
$BB mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts
$BB mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
$BB mount -t mqueue mqueue /dev/mqueue
$BB mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# devtmpfs lacks these; bash process substitution needs /dev/fd.
$BB ln -sf /proc/self/fd /dev/fd
$BB ln -sf /proc/self/fd/0 /dev/stdin
$BB ln -sf /proc/self/fd/1 /dev/stdout
$BB ln -sf /proc/self/fd/2 /dev/stderr
$BB hostname nfsmtp-vm
echo "127.0.1.1 nfsmtp-vm" >>/etc/hosts
$BB ip link set lo up
# Warnings and worse now reach the console log (kept by the host): useful
# when a test hangs and no dmesg comes back.
$BB dmesg -n 5

out=/dev/ttyS1
$BB stty -F $out raw -echo
exec 3>$out
read -r up _ </proc/uptime
echo "@@NFSMTP-$TOKEN-START $up@@" >&3
# Foreground, not "&": a background job would start with SIGINT ignored,
# which the test could not undo. While waiting, ash reaps every child, so
# orphaned daemons do not linger as zombies.
/bin/bash /run/nfsmtp/cmd.sh </dev/null >&3 2>&3
rc=$?

# Stop whatever the command left running, so nothing else writes to ttyS1.
alive() {
	for d in /proc/[0-9]*; do
		[ "${d#/proc/}" != 1 ] && [ -e "$d/exe" ] && return 0
	done
	return 1
}
if alive; then
	$BB kill -TERM -1
	n=0
	while alive && [ $n -lt 20 ]; do $BB sleep 0.1; n=$((n + 1)); done
	$BB kill -KILL -1
fi

# Debug kernels: let kmemleak look now (it only reports objects older than
# 5 s); its "suspected memory leaks" line lands in dmesg, details follow it.
kml=/sys/kernel/debug/kmemleak
[ -w $kml ] && echo scan >$kml
echo "@@NFSMTP-$TOKEN-DMESG@@" >&3
$BB dmesg >&3
[ -r $kml ] && $BB cat $kml >&3
echo "@@NFSMTP-$TOKEN-EXIT $rc@@" >&3
# The last close of the tty waits until the UART has sent everything.
exec 3>&-
$BB poweroff -f
EOF
	chmod +x "$root/init"
	(cd "$root" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc -R 0:0 --quiet | gzip -1) >"$work/initrd.cpio.gz"
	mv -f "$work/initrd.cpio.gz" "$cached"
fi

[ "$(realpath -m "$out")" = "$(realpath "$cached")" ] && exit 0
ln -f "$cached" "$out" 2>/dev/null || cp -f "$cached" "$out"
