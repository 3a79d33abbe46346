#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a throwaway QEMU (TCG) VM with a real Debian bookworm userspace
# (systemd and udev as init; rootfs.sh) on the rig's Debian 6.1 kernel and
# run a payload in it as root: for package install tests.
#
#   debvm.sh [--cache DIR] [--cpu MODEL] [--out DIR] [--timeout S] [--keep]
#            --payload SCRIPT [--file SRC[:DEST]]...
#
# The root disk is rootfs.sh's image (built first if missing or stale),
# under a copy-on-write overlay in DIR that the run throws away (--keep
# keeps it): the cached image never changes. SCRIPT (with a #! line) and
# every --file SRC (a file or a directory, to DEST, a path under /mpx,
# default SRC's name) go on a second disk, an ext4 image mounted at /mpx;
# whatever the payload writes to /mpx/out comes back to DIR/out. After
# multi-user.target, mpx-payload.service runs /mpx/payload in /mpx (see
# debvm-guest.sh), then powers off. The console log (kernel lines with
# their log level, systemd) is DIR/console.log; the payload's output,
# between MPX-VM-BEGIN and MPX-VM-END, is DIR/payload.log (ttyS1) and in
# the console log too. tap-summary.sh judges the run: the payload's
# "ok - " and "not ok - " lines (and "# " lines, shown), its exit status,
# the kernel's taint flags (O and E allowed) and the console log (no
# kernel report); it ends with "N passed, N failed, N skipped".
#
# -cpu MODEL defaults to max; -m 2G, -smp 2, single-threaded TCG as in
# run.sh (MPX_QEMU_ACCEL overrides -accel, MPX_CMDLINE adds to the
# kernel's command line; MPX_GUEST_ENV, "NAME=value ...", is exported to
# the payload); no default devices (-nodefaults), no network. QEMU runs
# under flock /tmp/mpx-vm.lock: one VM at a time on the machine. The
# timeout (default 900 s, counted from when the lock is held) kills QEMU.
# DIR defaults to build/debvm/NAME, NAME the payload's file name without
# .sh. Exit
# status: 0 when everything passed; the payload's exit status when it
# failed; 124 on timeout; 1 for any other failure, 2 for bad usage.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
cache=/var/cache/mpx
cpu=max
out=""
timeout=900
keep=0
payload=""
files=()
vm_lock=/tmp/mpx-vm.lock

bad_usage() { say "$*"; usage >&2; exit 2; }

while [ $# -gt 0 ]; do
	case $1 in
	--cache) cache=${2:?--cache needs a directory}; shift 2 ;;
	--cpu) cpu=${2:?--cpu needs a model}; shift 2 ;;
	--out) out=${2:?--out needs a directory}; shift 2 ;;
	--timeout) timeout=${2:?--timeout needs seconds}; shift 2 ;;
	--keep) keep=1; shift ;;
	--payload) payload=${2:?--payload needs a script}; shift 2 ;;
	--file) files+=("${2:?--file needs SRC[:DEST]}"); shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) bad_usage "unknown argument $1" ;;
	esac
done
[ -n "$payload" ] || bad_usage "no --payload"
if [ ! -f "$payload" ] || [ ! -r "$payload" ]; then
	bad_usage "no payload $payload"
fi
[[ $timeout =~ ^[1-9][0-9]*$ ]] || bad_usage "bad --timeout $timeout"
[ "${cache:0:1}" = / ] || cache=$PWD/$cache
cache=${cache%/}
name=${payload##*/}
name=${name%.sh}
out=$(realpath -m -- "${out:-$top/build/debvm/$name}")
need_pkg qemu-system-x86 qemu-utils e2fsprogs

image=$("$here/rootfs.sh" --cache "$cache" build)
rootfs=${image%/*}
# The rootfs stays as it is while the VM uses it (rootfs.sh takes -x).
cache_lock rootfs -s
kver=$(sed -n 's/^kver=//p' "$rootfs/.stamp")
kernel=$("$here/kernel.sh" --cache "$cache" image "$kver") ||
	die "no kernel image for $kver: run make deps"

# The files disk: the payload, the --files, an empty out/.
remove_tree "$out"
stage=$out/files
mkdir -p "$stage/out"
install -m 755 "$payload" "$stage/payload"
for v in ${MPX_GUEST_ENV:-}; do
	[[ $v =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "bad MPX_GUEST_ENV word '$v' (NAME=value)"
	printf '%s=%q\n' "${v%%=*}" "${v#*=}"
done > "$stage/env"
for f in "${files[@]}"; do
	src=${f%%:*}
	dest=${f#"$src"}
	dest=${dest#:}
	dest=${dest:-${src##*/}}
	dest=${dest#/}
	[ -e "$src" ] || die "no --file $src"
	if [ -z "$dest" ] || [ "$dest" = payload ] || [[ /$dest/ == */../* ]]; then
		die "bad --file destination '$dest' (a path under /mpx)"
	fi
	mkdir -p "$(dirname "$stage/$dest")"
	cp -a "$src" "$stage/$dest"
done
mb=$(du -sm "$stage" | cut -f1)
logged "$out/mkfs.log" mkfs.ext4 -F -L mpx -d "$stage" "$out/files.img" \
	"$((mb + mb / 4 + 256))M"
overlay=$out/root.qcow2
logged "$out/qemu-img.log" qemu-img create -f qcow2 -b "$image" -F raw "$overlay"

console=$out/console.log
log=$out/payload.log
echo "# debvm: kernel $kver, cpu $cpu, payload $payload, logs in $out"
start=$EPOCHSECONDS
set +e
# shellcheck disable=SC2016 # expanded by the inner shell
flock "$vm_lock" bash -c 'echo "$EPOCHSECONDS" > "$0"; exec "$@"' "$out/.locked" \
	timeout --foreground -k 10 "$timeout" qemu-system-x86_64 \
	-machine q35 -accel "${MPX_QEMU_ACCEL:-tcg,thread=single}" -cpu "$cpu" \
	-smp 2 -m 2G -nodefaults -display none -no-reboot \
	-serial "file:$console" -serial "file:$log" \
	-kernel "$kernel" -initrd "$rootfs/initrd.img" \
	-drive "file=$overlay,format=qcow2,if=virtio,cache=unsafe" \
	-drive "file=$out/files.img,format=raw,if=virtio" \
	-append "root=/dev/vda rw console=ttyS0 console_msg_format=syslog loglevel=7 panic=-1 oops=panic softlockup_panic=1 sysctl.kernel.panic_on_rcu_stall=1 sysctl.kernel.hung_task_panic=1 ${MPX_CMDLINE:-}" \
	</dev/null >"$out/qemu.log" 2>&1
qemu_rc=$?
set -e
end=$EPOCHSECONDS
locked=$(cat "$out/.locked" 2>/dev/null) || locked=$start
rm -f "$out/.locked"
touch "$console" "$log"
sed -i 's/\r$//' "$log" "$console"

if [ $qemu_rc -eq 124 ] || [ $qemu_rc -eq 137 ]; then
	say "timeout: QEMU killed after $timeout s; the console's last lines:"
	tail -n 15 "$console" >&2
elif [ $qemu_rc -ne 0 ]; then
	say "QEMU exited $qemu_rc:"
	tail -n 5 "$out/qemu.log" >&2
fi
# What the payload left in /mpx/out (debugfs reads the image: no mount).
if [ $qemu_rc -eq 0 ]; then
	debugfs -R "rdump /out \"$out\"" "$out/files.img" >"$out/debugfs.log" 2>&1 ||
		say "could not copy /mpx/out back (see $out/debugfs.log)"
fi
[ $keep = 1 ] || rm -f "$overlay" "$out/files.img"

payload_rc=$(sed -n 's/^MPX-VM-EXIT \([0-9]*\)$/\1/p' "$log" | tail -n 1)
booted=$(sed -n 's/^MPX-VM-BEGIN .* booted \([0-9.]*\) s$/\1/p' "$log")
echo "# debvm: VM lock waited $((locked - start)) s, VM ran $((end - locked)) s," \
	"payload started ${booted:-never} s after boot"
set +e
"$here/tap-summary.sh" --name "debvm/$name" --qemu-rc "$qemu_rc" "$log" "$console"
rc=$?
set -e
if [ $qemu_rc -eq 124 ] || [ $qemu_rc -eq 137 ]; then
	exit 124
elif [ -n "$payload_rc" ] && [ "$payload_rc" -ne 0 ]; then
	exit "$payload_rc"
elif [ $rc -ne 0 ]; then
	exit 1
fi
