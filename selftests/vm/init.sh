#!/bin/busybox sh
# shellcheck shell=dash disable=SC1091
# SPDX-License-Identifier: GPL-2.0
#
# /init of the mpx test VM. Kernel messages go to the console (ttyS0,
# ttyAMA0 on arm64); the payload's output goes to a port of its own (the
# second serial port ttyS1; on arm64 the virtio console hvc0) so that the
# host can read TAP without kernel lines interleaved. The payload is /payload.sh,
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

# arm64's virt machine has one UART: the payload gets a virtio console.
port=/dev/ttyS1
if [ -d /lib/mpx/virtio ]; then
	insmod /lib/mpx/virtio/virtio_mmio.ko
	insmod /lib/mpx/virtio/virtio_console.ko
	port=/dev/hvc0
	# The hvc driver creates /dev/hvc0 before virtio_console has added
	# the port (open fails with ENODEV until then), and a failed
	# redirection of exec would end init: wait until it opens.
	i=0
	while ! (: >$port) 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
fi
exec 3>$port
echo "MPX-VM-BEGIN $(uname -r) $(grep -c -w mpx /proc/cpuinfo) mpx cpus" >&3
. /payload.sh >&3 2>&1
echo "MPX-VM-END" >&3
sync
poweroff -f
