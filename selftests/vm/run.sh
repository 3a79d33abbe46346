#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a throwaway QEMU (TCG) VM on a kernel of the rig, load mpx.ko and
# run a payload: the selftests (test) or mpxctl (demo). Nothing runs on the
# host kernel.
#
#   run.sh [--kver VER] [--cpu MODEL] [--ko FILE] [--cache DIR] [--out DIR]
#          [--timeout S] test|demo FILE...
#
# The kernel image comes from kernel.sh (VER defaults to the Debian 6.1
# kernel); the module (default ./mpx.ko) must have been built for VER.
# An arm64 VER (6.1.0-N-arm64) boots qemu-system-aarch64 -M virt with
# kernel.sh's arm64 busybox, the payload on a virtio console; its FILEs
# must be arm64 programs (cross.sh).
# test: the FILEs are the suites, run in order by the kernel's own
# kselftest runner (runner.sh from linux-source-6.1, in CACHE/kselftest)
# as the collection "mpx"; around them the payload prints "ok - insmod",
# "ok - rmmod" and the kernel's taint flags. demo: the FILEs go to /bin.
# Before the suites the payload loads the kernel's modules they need
# (kernel.sh modules: fuse.ko where FUSE is not built in).
# The programs in MPX_EXTRA_BIN (space-separated) go to /bin in both modes
# (the suites' worker, mpxctl, announced to the tests as MPXCTL);
# MPX_GUEST_ENV ("NAME=value ...") is exported to the tests.
#
# MPX_CMDLINE adds to the kernel's command line; MPX_QEMU_ACCEL overrides
# QEMU's -accel. The default is single-threaded TCG (both vCPUs on one
# host thread): QEMU 7.2's multi-threaded TCG mishandles code the guest
# patches while the other vCPU runs it (text_poke of a tracepoint's static
# key or a kprobe's call site under load wedged the guest or made it call
# address 0; the same runs are clean single-threaded). The console log (with each line's log level,
# console_msg_format=syslog) and the payload's output are kept in DIR
# (default build/vm/VER-CPU). In test mode tap-summary.sh judges the run.
# Exit status: 0 when everything passed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
kver=""
cpu=max
out=""
ko=$top/mpx.ko
cache=/var/cache/mpx
timeout=""
while [ $# -gt 0 ]; do
	case $1 in
	--kver) kver=$2; shift 2 ;;
	--cpu) cpu=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--ko) ko=$2; shift 2 ;;
	--cache) cache=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) break ;;
	esac
done
mode=${1:?mode: test or demo}
shift
[ -n "$kver" ] || kver=$("$here/kver.sh")
# The debug kernel (kernel.sh list-debug) runs several times slower, needs
# more memory for KASAN, and reports every KASAN finding, not only the first.
mem=1G
extra_cmdline=""
case $kver in
*-debug)
	mem=2G
	extra_cmdline="kasan_multi_shot no_hash_pointers"
	# Each call costs about 100 times more here than on the release
	# kernel (KASAN, lockdep, kmemleak under TCG): 10^6 fuzz calls took
	# 25-50 minutes. The release kernels of the matrix make the 10^6;
	# here 10^5 still reach every op's every error path thousands of
	# times, and loops that only buy confidence run a 16th of their
	# count (mpx_loops()). Unloading takes 8.6 s here (0.35 s on the
	# release kernel): 5 reload cycles, each given 8 times its time.
	MPX_GUEST_ENV="MPX_SLOW=8 MPX_LOOP_DIV=16 MPX_FUZZ_CALLS=100000 MPX_TORTURE_CYCLES=5 ${MPX_GUEST_ENV:-}"
	timeout=${timeout:-3600} ;;
*-arm64)
	# arm64 under TCG: mpxctl watch starts and stops about twice as
	# slowly as on x86, and a call costs about 20 times more (a kprobe
	# there is a BRK exception and a single step, not an ftrace call):
	# 10^5 fuzz calls.
	MPX_GUEST_ENV="MPX_SLOW=2 MPX_FUZZ_CALLS=100000 ${MPX_GUEST_ENV:-}" ;;
esac
timeout=${timeout:-900}
out=${out:-$top/build/vm/$kver-${cpu//[^A-Za-z0-9]/_}}
kernel=$("$here/kernel.sh" --cache "$cache" image "$kver") ||
	{ echo "run.sh: no kernel image for $kver" >&2; exit 2; }
# A kernel of another architecture (Debian's arm64 flavour) comes with its
# guest's busybox and the virtio modules that give the payload its port.
guest=$("$here/kernel.sh" --cache "$cache" guest "$kver")
# The kernel's own modules the suites need (fuse.ko where FUSE is not
# built in), loaded before them.
modules=$("$here/kernel.sh" --cache "$cache" modules "$kver")
case $(foreign_arch "$kver") in
arm64) arch=aarch64 ;;
*) arch=x86_64 ;;
esac
[ -r "$ko" ] || { echo "run.sh: no $ko: build it first (make)" >&2; exit 2; }
vermagic=$(modinfo -F vermagic "$ko")
[ "${vermagic%% *}" = "$kver" ] ||
	{ echo "run.sh: $ko is built for ${vermagic%% *}, not $kver" >&2; exit 2; }
runner=$cache/kselftest/kselftest/runner.sh
[ "$mode" = demo ] || [ -r "$runner" ] ||
	{ echo "run.sh: no $runner: run make deps" >&2; exit 2; }

rm -rf "$out"
root=$out/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/mpx/modules,ksft/kselftest,ksft/mpx}
[ -z "$modules" ] || cp "$modules"/*.ko "$root/lib/mpx/modules/"
if [ -n "$guest" ]; then
	cp "$guest/busybox" "$root/bin/busybox"
	mkdir -p "$root/lib/mpx/virtio"
	cp "$guest"/modules/*.ko "$root/lib/mpx/virtio/"
else
	cp /bin/busybox "$root/bin/busybox"
fi
cp "$here/init.sh" "$root/init"
cp "$ko" "$root/lib/mpx/mpx.ko"
mknod "$root/dev/console" c 5 1
for f in ${MPX_EXTRA_BIN:-}; do cp "$f" "$root/bin/"; done

# The payload, sourced by init.sh with its output on ttyS1.
test_payload()
{
	local hw=1 f suites=()

	case $arch:$cpu in *:*-mpx*|aarch64:*) hw=0 ;; esac
	cp "$runner" "$root/ksft/kselftest/"
	for f; do
		cp "$f" "$root/ksft/mpx/"
		suites+=("./${f##*/}")
	done
	cat <<EOP
export MPX_KO=/lib/mpx/mpx.ko MPX_EXPECT_HW=$hw ${MPX_GUEST_ENV:-}
for m in /lib/mpx/modules/*.ko; do
	[ -e "\$m" ] || continue
	insmod "\$m" || echo "# insmod \${m##*/} failed: the suites needing it skip"
done
[ -x /bin/mpxctl ] && export MPXCTL=/bin/mpxctl
if insmod \$MPX_KO; then echo "ok - insmod mpx.ko"; else echo "not ok - insmod mpx.ko"; fi
# The kernel's runner: one "# selftests: mpx: NAME" header per suite, its
# TAP prefixed with "# ", then "ok N selftests: mpx: NAME" or "not ok ...".
# No per-suite timeout: busybox's timeout has no --foreground, so the
# runner finds no /usr/bin/timeout; QEMU's timeout bounds the run.
# run_many's loop, with each suite's time after its verdict.
export BASE_DIR=/ksft
cd /ksft/mpx && . /ksft/kselftest/runner.sh && {
	echo "TAP version 13"
	echo "1..${#suites[@]}"
	DIR=mpx test_num=0
	for TEST in ${suites[*]}; do
		test_num=\$((test_num + 1))
		t0=\$(cut -d' ' -f1 /proc/uptime)
		run_one "\$DIR" "\$TEST" "\$test_num"
		echo "# time: \${TEST#./} \$(awk -v t0=\$t0 '{ printf "%.0f", \$1 - t0 }' /proc/uptime) s"
	done
}
cd /
# kmemleak (debug kernel): scan twice, a while apart, before unload, and
# put what it found into the console log for tap-summary.sh.
if [ -e /sys/kernel/debug/kmemleak ]; then
	echo scan > /sys/kernel/debug/kmemleak
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak > /dev/console
	echo "# kmemleak: \$(grep -c 'unreferenced object' /sys/kernel/debug/kmemleak) suspected leak(s)"
fi
if rmmod mpx; then echo "ok - rmmod mpx"; else echo "not ok - rmmod mpx"; fi
echo "# tainted: \$(cat /proc/sys/kernel/tainted)"
EOP
}

demo_payload()
{
	[ $# -eq 0 ] || cp "$@" "$root/bin/"
	cat <<EOP
echo '# modprobe mpx (insmod in this VM)'; insmod /lib/mpx/mpx.ko
echo '# ls -l /dev/mpx'; ls -l /dev/mpx
echo '# mpxctl info'; mpxctl info
echo '# mpxctl demo'; mpxctl demo
echo '# rmmod mpx'; rmmod mpx
EOP
}

"${mode}_payload" "$@" > "$root/payload.sh"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initrd.gz"

console=$out/console.log
payload=$out/payload.log
echo "# vm: kernel $kver, cpu $cpu, logs in $out"
set +e
# The payload's port: the second UART on x86 (ttyS1); arm64's virt
# machine has one UART, so a virtio console there (hvc0).
case $arch in
x86_64)	machine=(-machine q35 -serial "file:$console" -serial "file:$payload")
	tty=ttyS0 ;;
aarch64) machine=(-machine virt -serial "file:$console"
		-device virtio-serial-device -chardev "file,id=payload,path=$payload"
		-device "virtconsole,chardev=payload")
	tty=ttyAMA0 ;;
esac
timeout --foreground "$timeout" "qemu-system-$arch" "${machine[@]}" \
	-accel "${MPX_QEMU_ACCEL:-tcg,thread=single}" -cpu "$cpu" -smp 2 -m "$mem" \
	-display none -monitor none -no-reboot \
	-kernel "$kernel" -initrd "$out/initrd.gz" \
	-append "console=$tty console_msg_format=syslog loglevel=7 panic=-1 oops=panic softlockup_panic=1 sysctl.kernel.panic_on_rcu_stall=1 sysctl.kernel.hung_task_panic=1 rdinit=/init $extra_cmdline ${MPX_CMDLINE:-}" \
	</dev/null >"$out/qemu.log" 2>&1
qemu_rc=$?
set -e
sed -i 's/\r$//' "$payload" "$console"

if [ "$mode" = demo ]; then
	grep -v '^MPX-VM-' "$payload"
	[ $qemu_rc -eq 0 ] && grep -q '^MPX-VM-END' "$payload"
	exit
fi
suites=()
for f; do suites+=(--suite "${f##*/}"); done
exec "$here/tap-summary.sh" --name "$kver/$cpu" --qemu-rc "$qemu_rc" \
	"${suites[@]}" "$payload" "$console"
