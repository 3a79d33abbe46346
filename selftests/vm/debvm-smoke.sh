#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian VM's smoke test, a payload for debvm.sh (it runs in the
# guest, as root):
#
#   selftests/vm/debvm.sh --payload selftests/vm/debvm-smoke.sh
#
# Checks, one "ok - " or "not ok - " line each, what package install
# tests rely on: systemd is PID 1 and booted without failed units, udev
# runs and has made the /dev/disk links, the headers and modules of the
# booted kernel are installed, dkms runs, gcc builds a program, trace-cmd
# (list -t: it reads tracefs), perf and bpftrace run, and the unprivileged
# user mpxuser exists (runuser, sudo -u). With MPX_SMOKE_DKMS=1
# (MPX_GUEST_ENV="MPX_SMOKE_DKMS=1" debvm.sh ...) also what a DKMS
# package's postinst does: build, install and load a module of its own
# (about 3 minutes more under TCG). tap-summary.sh (debvm.sh) counts the
# lines; the last line here is a comment with the payload's own count.
set -u

passed=0
failed=0

# check DESCRIPTION CMD...: one result; the output of a failed CMD as
# comments (with show=1, the first line of a passed one's too).
show=0
check()
{
	local desc=$1 outp

	shift
	if outp=$("$@" 2>&1); then
		echo "ok - $desc"
		[ $show = 0 ] || echo "#   ${outp%%$'\n'*}"
		passed=$((passed + 1))
	else
		echo "not ok - $desc"
		tail -n 20 <<<"$outp" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}

kver=$(uname -r)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pid1_is_systemd() { [ "$(cat /proc/1/comm)" = systemd ] && ps -o args= -p 1; }
check "PID 1 is systemd" pid1_is_systemd

no_failed_units()
{
	systemctl --failed --no-legend --plain | grep . && return 1
	return 0
}
check "no failed systemd units" no_failed_units

udevd_runs()
{
	systemctl is-active systemd-udevd && pgrep -x systemd-udevd
}
check "systemd-udevd is running" udevd_runs
check "udev made /dev/disk/by-label/mpx" test -b /dev/disk/by-label/mpx

check "headers of the booted kernel: /lib/modules/$kver/build" \
	test -f "/lib/modules/$kver/build/Makefile"

modules_match() { [ "$(modinfo -F vermagic ext4 | cut -d' ' -f1)" = "$kver" ]; }
check "modules of the booted kernel are installed" modules_match

check "dkms status runs" dkms status

hello_c()
{
	printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' \
		> "$work/hello.c" &&
	gcc -Wall -Werror -o "$work/hello" "$work/hello.c" &&
	[ "$("$work/hello")" = hello ]
}
check "gcc builds and runs hello world" hello_c

# A module of its own through DKMS: what a package's postinst does.
dkms_module()
{
	local src=/usr/src/mpxsmoke-1.0 rc=0

	mkdir -p "$src"
	cat > "$src/mpxsmoke.c" <<-'EOF'
	#include <linux/module.h>
	static int __init mpxsmoke_init(void) { pr_info("mpxsmoke: loaded\n"); return 0; }
	static void __exit mpxsmoke_exit(void) { }
	module_init(mpxsmoke_init);
	module_exit(mpxsmoke_exit);
	MODULE_LICENSE("GPL");
	EOF
	echo 'obj-m := mpxsmoke.o' > "$src/Makefile"
	printf '%s\n' 'PACKAGE_NAME=mpxsmoke' 'PACKAGE_VERSION=1.0' \
		'BUILT_MODULE_NAME[0]=mpxsmoke' 'DEST_MODULE_LOCATION[0]=/updates/dkms' \
		'AUTOINSTALL=yes' > "$src/dkms.conf"
	dkms install mpxsmoke/1.0 &&
		modprobe mpxsmoke &&
		dmesg | grep -q 'mpxsmoke: loaded' &&
		modprobe -r mpxsmoke || rc=1
	dkms remove mpxsmoke/1.0 --all || rc=1
	rm -rf "$src"
	return $rc
}
if [ "${MPX_SMOKE_DKMS:-0}" = 1 ]; then
	start=$SECONDS
	check "dkms builds, installs and loads a module" dkms_module
	echo "# dkms: $((SECONDS - start)) s"
fi

# trace-cmd has no --version: its usage (exit status 255) names it.
trace_cmd_runs()
{
	trace-cmd 2>&1 | grep -m 1 'trace-cmd version'
	trace-cmd list -t | grep -qw nop
}
show=1
check "trace-cmd runs (list -t)" trace_cmd_runs
check "perf runs" perf --version
check "bpftrace runs" bpftrace --version
show=0

runuser_id() { [ "$(runuser -u mpxuser -- id -un)" = mpxuser ] && runuser -u mpxuser -- id; }
check "runuser -u mpxuser -- id" runuser_id
sudo_id() { [ "$(sudo -u mpxuser id -u)" != 0 ]; }
check "sudo -u mpxuser id" sudo_id

echo "# debvm-smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
