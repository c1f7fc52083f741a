#!/bin/bash
# vm-run.sh [--kernel KVER] [--mem MB] [--smp N] [--timeout SEC] [--rw DIR]... [--ko FILE.ko]... -- CMD [ARGS...]
#
# Runs CMD as root in a throwaway qemu (TCG) guest that boots a real kernel
# on the host's root filesystem (9p, read-only, with tmpfs-backed overlays on
# /etc /var /tmp /root and /lib/modules/KVER), in the same working directory.
# CMD's stdout+stderr stream to our stdout; its exit status is ours. If the
# guest kernel log shows a bug (BUG:, WARNING:, Oops, ...) we print its tail
# and exit 1 even when CMD succeeded. Timeout: exit 124.
#
#   --rw DIR     make host DIR writable in the guest (tmpfs overlay, discarded)
#   --ko FILE    put FILE in /lib/modules/KVER/extra/ with modules.dep/alias
#                already regenerated on the host, so the guest can modprobe it
#                (or have the kernel request_module() it) at once; a depmod in
#                the guest works too but takes ~25 s under TCG.
#
# Environment:
#   NFSMTP_VMLINUZ     kernel image (default /boot/vmlinuz-KVER)
#   NFSMTP_MODDIR      module tree of that kernel (default /lib/modules/KVER)
#   NFSMTP_VM_LOGDIR   where guest logs go (default /tmp/nfsmtp-vm-logs)
#   NFSMTP_VM_DMESG    exact file for the guest dmesg (default in the logdir)
#   NFSMTP_VM_DMESG_IGNORE  extended regex of kernel log lines not to flag
#   NFSMTP_VM_VERBOSE=1     print boot/command timings to stderr
#   NFSMTP_VM_PVH=0    boot the bzImage, not its cached uncompressed vmlinux
#   NFSMTP_VM_APPEND   extra kernel command line (e.g. pci=noacpi, slub_debug=FZP)
#   NFSMTP_VM_QBOOT=0  boot through SeaBIOS, not qboot (the debug kernel:
#                      pci=noacpi needs the BIOS's PCI IRQ routing table)
#   NFSMTP_CACHE       initramfs cache (default /var/cache/nf-smtp)
# In the guest: NFSMTP_IN_VM=1, HOME=/tmp, stdin /dev/null; NFSMTP_*, CI,
# LANG, LC_ALL and TZ are passed through from the host.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
usage() {
	sed -n '2p' "$0" | sed 's/^# /usage: /' >&2
	exit 2
}

kver='' mem=1024 smp=2 timeout=1500 rwdirs='' kos=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel | --mem | --smp | --timeout | --rw | --ko) [ $# -ge 2 ] || usage ;;&
	--kernel) kver=$2 ;;
	--mem) mem=$2 ;;
	--smp) smp=$2 ;;
	--timeout) timeout=$2 ;;
	--rw) rwdirs="$rwdirs $(realpath -e "$2")" ;;
	--ko) kos+=("$(realpath -e "$2")") ;;
	--) shift && break ;;
	-h | --help) sed -n '2,/^set -e/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' && exit 0 ;;
	*) usage ;;
	esac
	shift 2
done
[ $# -gt 0 ] || usage
case $mem$smp$timeout in *[!0-9]*) usage ;; esac

if [ -z "$kver" ]; then
	kver=$(find /boot -maxdepth 1 -name 'vmlinuz-*-amd64' -printf '%f\n' | sed 's/^vmlinuz-//' | sort -V | tail -n1)
	[ -n "$kver" ] || { echo "vm-run: no /boot/vmlinuz-*-amd64 (apt-get install linux-image-amd64)" >&2; exit 1; }
fi
vmlinux_src=${NFSMTP_VMLINUZ:-/boot/vmlinuz-$kver}
export NFSMTP_MODDIR=${NFSMTP_MODDIR:-/lib/modules/$kver}
[ -r "$vmlinux_src" ] || { echo "vm-run: no kernel image $vmlinux_src (set NFSMTP_VMLINUZ)" >&2; exit 1; }

# Boot the plain vmlinux through its PVH entry point when it has one: under
# TCG, decompressing the xz bzImage costs about 2.5 s of every boot.
pvh_vmlinux() { # IMAGE: print a cached uncompressed copy, or fail
	local img=$1 dir out tmp m off
	command -v readelf >/dev/null || return 1
	readelf -h "$img" >/dev/null 2>&1 && return 1 # already an ELF: boot as is
	dir=${NFSMTP_CACHE:-/var/cache/nf-smtp}/vmlinux
	out=$dir/$(basename "$img")-$(stat -Lc '%s-%Y' "$img")
	[ -s "$out" ] && touch "$out" && echo "$out" && return
	mkdir -p "$dir"
	find "$dir" -maxdepth 1 -type f -mtime +7 -delete # unused for a week
	tmp=$(mktemp "$out.XXXXXX")
	for m in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08'; do
		off=$({ LC_ALL=C grep -obUaP "${m#*:}" "$img" || true; } | awk -F: 'NR == 1 { print $1 }')
		[ -n "$off" ] || continue
		# Trailing bzImage data makes the decompressor complain: judge the result.
		tail -c +$((off + 1)) "$img" | "${m%%:*}" -dcq >"$tmp" 2>/dev/null || true
		if readelf -n "$tmp" 2>/dev/null | grep -qE 'note type: \(0x00000012\)|PHYS32_ENTRY'; then
			chmod 644 "$tmp" && mv "$tmp" "$out" && echo "$out" && return
		fi
	done
	rm -f "$tmp"
	return 1
}
if [ "${NFSMTP_VM_PVH:-1}" = 1 ] && pvh=$(pvh_vmlinux "$vmlinux_src"); then
	vmlinuz=$pvh
else
	vmlinuz=$vmlinux_src
fi

logdir=${NFSMTP_VM_LOGDIR:-/tmp/nfsmtp-vm-logs}
mkdir -p "$logdir"
find "$logdir" -maxdepth 1 -name '*.txt' -mtime +1 -delete 2>/dev/null || true
stamp=$(date +%Y%m%d-%H%M%S)-$$
dmesg_file=${NFSMTP_VM_DMESG:-$logdir/dmesg-$stamp.txt}
console_file=$logdir/console-$stamp.txt

# The run dir is read by the guest over 9p (same path), so it can be anywhere.
run=$(mktemp -d "${TMPDIR:-/tmp}/nfsmtp-vm.XXXXXX")
job=''
# shellcheck disable=SC2317 # called by trap
cleanup() {
	if [ -n "$job" ] && kill -0 "$job" 2>/dev/null && [ -s "$run/qemu.pid" ]; then
		kill "$(cat "$run/qemu.pid")" 2>/dev/null || true
		wait "$job" 2>/dev/null || true
	fi
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$here/mkinitramfs.sh" "$kver" "$run/initrd.cpio.gz"

# --ko: depmod on the host (under a second natively) into a layer the guest
# stacks over the module tree. It runs on a shadow tree whose entries link to
# the real one; the links are dropped afterwards so only extra/ and the new
# index files remain in the layer.
extramods=''
if [ ${#kos[@]} -gt 0 ]; then
	extramods=$run/depmod/lib/modules/$kver
	mkdir -p "$extramods/extra"
	for f in "$NFSMTP_MODDIR"/*; do
		case ${f##*/} in
		modules.order | modules.builtin | modules.builtin.modinfo) cp "$f" "$extramods/" ;;
		modules.* | extra | build | source) ;;
		*) ln -s "$(realpath "$f")" "$extramods/" ;;
		esac
	done
	cp "${kos[@]}" "$extramods/extra/"
	depmod -b "$run/depmod" "$kver"
	find "$extramods" -maxdepth 1 -type l -delete
fi

token=$(od -An -N8 -tx8 /dev/urandom | tr -d ' \n')
sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; } # quote for the guest's busybox sh
{
	echo "TOKEN=$token"
	echo "MODDIR=$(sq "$(realpath "$NFSMTP_MODDIR")")"
	echo "RWDIRS=$(sq "$rwdirs")"
	echo "EXTRAMODS=$(sq "$extramods")"
} >"$run/vm.conf"
{
	printf 'cd -- %q || exit 125\n' "$PWD"
	echo 'export NFSMTP_IN_VM=1 HOME=/tmp PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
	for v in $(compgen -e | grep -E '^(NFSMTP_[A-Za-z0-9_]*|CI|LANG|LC_ALL|TZ)$' || true); do
		printf 'export %s=%q\n' "$v" "${!v}"
	done
	printf 'exec'
	printf ' %q' "$@"
	echo
} >"$run/cmd.sh"

# ttyS0 carries the kernel console (to a file), ttyS1 only the command's
# output and our markers (to the parser), so the two never mix.
# shellcheck disable=SC2054 # commas belong to qemu options
qemu=(qemu-system-x86_64 -accel tcg -m "$mem" -smp "$smp" -nographic -no-reboot
	-nodefaults -no-user-config -monitor none -nic none
	-kernel "$vmlinuz" -initrd "$run/initrd.cpio.gz"
	-append "console=ttyS0 panic=-1 quiet loglevel=3 nfsmtp.run=$run ${NFSMTP_VM_APPEND:-}"
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
	-device virtio-rng-pci
	-chardev "file,id=con,path=$console_file" -serial chardev:con
	-chardev file,id=out,path=/dev/stdout -serial chardev:out
	-pidfile "$run/qemu.pid")
# qboot (from qemu-system-data) starts the kernel ~0.4 s sooner than SeaBIOS.
[ -e /usr/share/qemu/qboot.rom ] && [ "${NFSMTP_VM_QBOOT:-1}" = 1 ] && qemu+=(-bios qboot.rom)

# Splits the ttyS1 stream: command output to stdout (as it arrives, line by
# line), the dmesg block to its file, timings and exit status to status.
# shellcheck disable=SC2016
parser='
import os, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)  # qemu going away ends us
tok, dmesg_path, status_path, t0 = sys.argv[1:]
t0 = float(t0)
mark = b"@@NFSMTP-" + tok.encode() + b"-"
out, dm, st = sys.stdout.buffer, open(dmesg_path, "wb"), {}
in_dmesg, buf = False, b""
def put(data):
    global out
    try:
        (dm if in_dmesg else out).write(data)
    except BrokenPipeError:  # reader gone: keep draining for dmesg and status
        out = open(os.devnull, "wb")
while True:
    data = os.read(0, 65536)
    if not data:
        break
    lines = (buf + data).split(b"\n")
    buf = lines.pop()
    for line in lines:
        i = line.find(mark)
        if i < 0:
            put(line + b"\n")
            continue
        put(line[:i])  # output that did not end in a newline
        word, _, arg = line[i + len(mark):].rstrip(b"@").partition(b" ")
        now = time.time() - t0
        if word == b"START":
            st["boot_host"], st["boot_guest"], t_start = "%.2f" % now, arg.decode(), now
        elif word == b"DMESG":
            st["cmd_time"] = "%.2f" % (now - t_start)
            in_dmesg = True
        elif word == b"EXIT":
            st["exit"] = int(arg)
    try:
        out.flush()
    except BrokenPipeError:
        out = open(os.devnull, "wb")
put(buf)
with open(status_path, "w") as f:
    f.writelines("%s=%s\n" % kv for kv in st.items())
'

t0=$(date +%s.%N)
set +e
(
	timeout -k 5 "$timeout" "${qemu[@]}" </dev/null |
		/usr/bin/python3 -c "$parser" "$token" "$dmesg_file" "$run/status" "$t0"
	echo "${PIPESTATUS[0]}" >"$run/qemu.rc"
) &
job=$!
wait "$job"
set -e
job=''
t_total=$(echo "$(date +%s.%N) - $t0" | bc)
qemu_rc=$(cat "$run/qemu.rc" 2>/dev/null || echo 255)
exit_rc='' boot_host='?' boot_guest='?' cmd_time='?'
while IFS='=' read -r k v; do
	case $k in exit) exit_rc=$v ;; boot_host) boot_host=$v ;; boot_guest) boot_guest=$v ;; cmd_time) cmd_time=$v ;; esac
done <"$run/status" 2>/dev/null || true

[ "${NFSMTP_VM_VERBOSE:-0}" = 1 ] &&
	printf '# vm-run: %s: boot to command %s s (guest uptime %s s), command %s s, total %.2f s\n' \
		"$kver" "$boot_host" "$boot_guest" "$cmd_time" "$t_total" >&2

console_tail() {
	echo "# --- last 60 lines of the guest console ($console_file) ---"
	# Drop the firmware's terminal escapes and CRs.
	tail -n 60 "$console_file" | sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' -e 's/\r//g' -e 's/^/# /'
}
if [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
	echo "# vm-run: timeout after $timeout s, qemu killed"
	console_tail
	exit 124
fi
if [ -z "$exit_rc" ]; then
	echo "# vm-run: the guest did not report an exit status (qemu exit $qemu_rc)"
	console_tail
	exit 1
fi

echo "# vm-run: guest kernel log: $dmesg_file" >&2
bad='BUG:|WARNING:|Oops|KASAN|UBSAN|refcount_t|hung.task|leak|sleeping function called from invalid context'
bad+='|possible circular locking|lockdep|kernel BUG|general protection fault|Kernel panic|soft lockup'
bad+='|blocked for more than|Call Trace'
# Boot banners of debug kernels that would match the list above.
ok='kmemleak: Kernel memory leak detector initialized|kmemleak: Automatic memory scanning thread started'
ok+='|rcu:[[:space:]]+RCU lockdep checking is enabled'
[ -z "${NFSMTP_VM_DMESG_IGNORE:-}" ] || ok+="|$NFSMTP_VM_DMESG_IGNORE"
hits=$(grep -E "$bad" "$dmesg_file" | grep -Ev "$ok" || true)
if [ -n "$hits" ]; then
	echo "# vm-run: the guest kernel log reports problems:"
	head -n 20 <<<"$hits" | sed 's/^/# /'
	echo "# --- last 60 lines of the guest kernel log ($dmesg_file) ---"
	tail -n 60 "$dmesg_file" | sed 's/^/# /'
	exit 1
fi
exit "$exit_rc"
