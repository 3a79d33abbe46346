#!/bin/busybox sh
# shellcheck shell=dash disable=SC1091
# SPDX-License-Identifier: GPL-2.0
#
# /init of the mpx test VM. Kernel messages go to the console (ttyS0); the
# payload's output goes to the second serial port (ttyS1) so that the host
# can read TAP without kernel lines interleaved. The payload is /payload.sh,
# written by run.sh; the module is /lib/mpx/mpx.ko.

/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t tmpfs tmpfs /tmp
# devtmpfs has no /dev/stdout; the kselftest runner writes to it.
ln -s /proc/self/fd /dev/fd
ln -s fd/1 /dev/stdout
ln -s fd/2 /dev/stderr

exec 3>/dev/ttyS1
echo "MPX-VM-BEGIN $(uname -r) $(grep -c -w mpx /proc/cpuinfo) mpx cpus" >&3
. /payload.sh >&3 2>&1
echo "MPX-VM-END" >&3
sync
poweroff -f
