#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run by mpx-payload.service in the Debian VM (rootfs.sh installs it as
# /usr/local/sbin/mpx-payload-run; debvm.sh boots the VM): run
# /mpx/payload, which debvm.sh put on the files disk, as root in /mpx
# with stdin from /dev/null and the variables of /mpx/env (NAME=value
# lines, debvm.sh's MPX_GUEST_ENV) exported, then power the VM off. The
# payload's output (stdout and stderr) goes to the second serial port
# (ttyS1), which only it uses, so that the host reads its TAP without
# kernel or systemd lines in between, and to the console (ttyS0) for
# context. Around it:
#   MPX-VM-BEGIN <kernel> booted <s>     uptime when the payload starts
#   ...                                  the payload's output
#   ok - payload exited 0                (not ok - payload exited N)
#   # tainted: N                         the kernel's taint flags
#   # payload: <s> s                     how long the payload ran
#   MPX-VM-EXIT N                        its exit status, for debvm.sh
#   MPX-VM-END
# tap-summary.sh reads the same markers as with run.sh's VM.

uptime_s() { cut -d' ' -f1 /proc/uptime; }

# The payload's channels: ttyS1 (and ttyS0), or ttyS0 alone without it.
out=/dev/ttyS1
[ -w "$out" ] || out=/dev/null

run()
{
	local rc start

	start=$(uptime_s)
	echo "MPX-VM-BEGIN $(uname -r) booted ${start} s"
	if [ -f /mpx/payload ]; then
		chmod +x /mpx/payload 2>/dev/null
		(
			set -a
			# shellcheck disable=SC1091 # written by debvm.sh
			[ ! -r /mpx/env ] || . /mpx/env
			set +a
			cd /mpx && exec env HOME=/root LC_ALL=C.UTF-8 /mpx/payload
		) </dev/null 2>&1
		rc=$?
	else
		echo "# no /mpx/payload: the files disk (LABEL=mpx) is not mounted"
		findmnt /mpx 2>&1 | sed 's/^/# /'
		rc=127
	fi
	if [ $rc -eq 0 ]; then
		echo "ok - payload exited 0"
	else
		echo "not ok - payload exited $rc"
	fi
	echo "# tainted: $(cat /proc/sys/kernel/tainted)"
	echo "# payload: $(awk -v a="$start" -v b="$(uptime_s)" \
		'BEGIN { printf "%.1f", b - a }') s"
	echo "MPX-VM-EXIT $rc"
	echo "MPX-VM-END"
}

run | tee /dev/ttyS0 >"$out"
sync
# systemd stops everything and powers off; without it, at once.
systemctl poweroff || poweroff --force --force
