#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The root disk of the Debian VM (debvm.sh): a Debian bookworm userspace
# with systemd and udev as init, for package install tests, cached in
# CACHE/rootfs (DIR defaults to /var/cache/mpx; safe to delete).
#
#   rootfs.sh [--cache DIR] build     make it unless it is current
#                                     (idempotent); print the image
#   rootfs.sh [--cache DIR] image     print the image; fail unless current
#
# debootstrap --variant=minbase, then apt-get (no recommends) installs
# systemd-sysv, udev, kmod, dkms, gcc, make, libc6-dev, pkg-config,
# trace-cmd, linux-perf, bpftrace, sudo, procps, and the headers, modules
# and initramfs of the rig's Debian 6.1 kernel (kver.sh), at the version
# the host has, so that kernel.sh's image boots with them. The user
# mpxuser (no sudo rights) is for unprivileged tests: runuser -u mpxuser
# or sudo -u mpxuser. In CACHE/rootfs:
#   rootfs.img   ext4 (sparse file, made with mkfs.ext4 -d: no loop
#                device), root=/dev/vda; about 1 GB free
#   initrd.img   the kernel's initramfs (MODULES=list: virtio, ext4)
#   .stamp       kernel, its package version, the package list and a hash
#                of this script and debvm-guest.sh (comment lines aside):
#                a change rebuilds
#   info         what was built, how long it took, the image's size
# At boot no getty runs (getty.target and the serial gettys are masked);
# mpx-payload.service (after multi-user.target) runs debvm-guest.sh,
# which runs /mpx/payload from the files disk (LABEL=mpx, mounted at /mpx
# when present) with its output on the serial ports, then powers off.
# apt has no sources and no lists in the image: the guest needs no
# network. Packages come from the host's apt sources, downloaded once
# into CACHE/debs/bookworm. Needs root; takes 2 to 3 minutes (with a fast
# mirror or the packages cached). A killed build leaves CACHE/rootfs.new
# behind for the next build to remove.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=/var/cache/mpx
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=kernel-sid.sh
. "$here/kernel-sid.sh"	# in_root

suite=bookworm
debs=""		# the package cache: CACHE/debs/SUITE
packages=(systemd-sysv udev kmod dkms gcc make libc6-dev pkg-config
	trace-cmd linux-perf bpftrace sudo procps initramfs-tools)
# Masked in the image: the serial gettys (the console is the payload's),
# and timers and boot jobs that tests have no use for.
masked=(getty.target getty-static.service serial-getty@ttyS0.service
	serial-getty@ttyS1.service getty@tty1.service systemd-firstboot.service
	apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer
	e2scrub_all.timer e2scrub_reap.service fstrim.timer man-db.timer)
# Free space left in the image for the tests (MB; sparse, costs nothing).
free_mb=1024

dir() { echo "$cache/rootfs"; }

# The kernel, its package's version on the host, the packages, the recipe.
want_stamp()
{
	local kver kpkg

	kver=$("$here/kver.sh")
	[ -n "$kver" ] || die "no Debian 6.1 kernel headers on the host: run make deps"
	kpkg=$(dpkg-query -W -f='${Version}' "linux-image-$kver" 2>/dev/null) || kpkg=""
	printf 'kver=%s\nkernel_package=%s\npackages=%s\nrecipe=%s\n' \
		"$kver" "$kpkg" "${packages[*]}" \
		"$(sed '/^[[:space:]]*#/d' "$here/rootfs.sh" "$here/debvm-guest.sh" |
			sha256sum | cut -c1-16)"
}

ready()
{
	local d

	d=$(dir)
	[ -f "$d/rootfs.img" ] && [ -f "$d/initrd.img" ] &&
		[ "$(cat "$d/.stamp" 2>/dev/null)" = "$1" ]
}

# Inside the chroot, with the package cache mounted at its own path.
chroot_apt()
{
	logged "$cache/logs/rootfs-apt.log" in_root "$1" "$debs" -- apt-get \
		-o APT::Sandbox::User=root -o Dir::Cache::Archives="$debs/" \
		-o Dpkg::Options::=--force-unsafe-io "${@:2}"
}

# configure ROOT: the VM's own files, in the tree before mkfs.
configure()
{
	local r=$1

	echo mpx-vm > "$r/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\tmpx-vm\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
		> "$r/etc/hosts"
	cat > "$r/etc/fstab" <<-EOF
	# written by rootfs.sh; /mpx: debvm.sh's files disk
	/dev/vda	/	ext4	rw,errors=remount-ro	0	0
	LABEL=mpx	/mpx	ext4	rw,nofail,x-systemd.device-timeout=60s	0	0
	EOF
	mkdir -p "$r/mpx"
	install -m 755 "$here/debvm-guest.sh" "$r/usr/local/sbin/mpx-payload-run"
	cat > "$r/etc/systemd/system/mpx-payload.service" <<-EOF
	# written by rootfs.sh
	[Unit]
	Description=mpx test payload (/mpx/payload), then power off
	After=multi-user.target mpx.mount

	[Service]
	Type=oneshot
	ExecStart=/usr/local/sbin/mpx-payload-run
	StandardInput=null
	StandardOutput=journal+console
	TimeoutStartSec=infinity

	[Install]
	WantedBy=multi-user.target
	EOF
	# A stop job that hangs must not keep the VM up until the host's
	# timeout: systemd forces the power-off after two minutes.
	mkdir -p "$r/etc/systemd/system/poweroff.target.d" "$r/etc/systemd/system.conf.d"
	printf '[Unit]\nJobTimeoutSec=120\nJobTimeoutAction=poweroff-force\n' \
		> "$r/etc/systemd/system/poweroff.target.d/mpx.conf"
	printf '[Manager]\nDefaultTimeoutStopSec=30s\n' \
		> "$r/etc/systemd/system.conf.d/mpx.conf"
	ln -sfn /lib/systemd/system/multi-user.target "$r/etc/systemd/system/default.target"
	# No first-boot questions: a machine id of its own.
	grep -qx '[0-9a-f]\{32\}' "$r/etc/machine-id" 2>/dev/null ||
		rm -f "$r/etc/machine-id"
	# shellcheck disable=SC2016 # expanded by the inner shell
	logged "$cache/logs/rootfs-configure.log" in_root "$r" -- sh -ec '
		systemctl enable mpx-payload.service
		systemctl mask "$@"
		useradd --create-home --shell /bin/bash mpxuser
		[ -s /etc/machine-id ] || systemd-machine-id-setup
	' sh "${masked[@]}"
}

# Drop what the image does not need: apt's sources (the host's mirror),
# lists and caches, the build's resolv.conf and policy-rc.d, old logs.
clean()
{
	local r=$1 d

	chroot "$r" apt-get clean
	rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin \
		"$r"/etc/apt/sources.list "$r"/etc/apt/sources.list.d/* \
		"$r"/var/cache/debconf/*-old "$r"/var/lib/dpkg/*-old \
		"$r"/usr/sbin/policy-rc.d "$r"/etc/resolv.conf "$r"/root/.bash_history
	find "$r/var/log" -type f -exec truncate -s 0 {} +
	mkdir -p "$r/var/lib/apt/lists/partial"
	# The empty mount point of the package cache (chroot_apt).
	d=$debs
	while [ "$d" != "" ] && rmdir "$r$d" 2>/dev/null; do
		d=${d%/*}
	done
}

build()
{
	local want=$1 d kver kpkg kimg new r pin="" p size_mb start=$SECONDS

	d=$(dir)
	kver=$(sed -n 's/^kver=//p' <<<"$want")
	kpkg=$(sed -n 's/^kernel_package=//p' <<<"$want")
	kimg=$("$here/kernel.sh" --cache "$cache" image "$kver") ||
		die "no kernel image for $kver: run make deps"
	need_pkg debootstrap e2fsprogs
	debs=$cache/debs/$suite
	mkdir -p "$debs/partial" "$cache/logs"
	new=$d.new
	remove_tree "$new"
	mkdir -p "$new"
	r=$new/root
	[ -z "$kpkg" ] || pin="=$kpkg"

	say "building the Debian $suite VM image for $kver in $d (a few minutes)"
	logged "$cache/logs/rootfs-debootstrap.log" \
		unshare --mount --propagation private -- debootstrap \
		--variant=minbase --cache-dir="$debs" "$suite" "$r" "$(mirror_uri)"
	# The host's apt sources (its mirror and bookworm-security, where the
	# kernel may come from) for the build; clean() removes them.
	rm -f "$r/etc/apt/sources.list"
	if [ -r /etc/apt/sources.list.d/debian.sources ]; then
		cp /etc/apt/sources.list.d/debian.sources "$r/etc/apt/sources.list.d/"
	else
		cp /etc/apt/sources.list "$r/etc/apt/sources.list"
	fi
	cp /etc/resolv.conf "$r/etc/resolv.conf"
	cat > "$r/etc/apt/apt.conf.d/99mpx" <<-EOF
	// written by rootfs.sh
	Acquire::Languages "none";
	APT::Install-Recommends "false";
	APT::Install-Suggests "false";
	EOF
	printf '#!/bin/sh\nexit 101\n' > "$r/usr/sbin/policy-rc.d"
	chmod 755 "$r/usr/sbin/policy-rc.d"
	# The initramfs: only what mounts the root disk.
	# (modules.d, not initramfs-tools' conffile /etc/initramfs-tools/modules).
	mkdir -p "$r/etc/initramfs-tools/conf.d" "$r/usr/share/initramfs-tools/modules.d"
	printf 'MODULES=list\nCOMPRESS=gzip\n' > "$r/etc/initramfs-tools/conf.d/mpx.conf"
	printf '%s\n' virtio_pci virtio_blk crc32c_generic ext4 \
		> "$r/usr/share/initramfs-tools/modules.d/mpx"
	rm -f "$r"/var/lib/apt/lists/*_*	# uncompressed, from debootstrap
	chroot_apt "$r" update
	chroot_apt "$r" install -y "${packages[@]}" \
		"linux-image-$kver$pin" "linux-headers-$kver$pin"
	chroot_apt "$r" autoclean

	[ -f "$r/boot/initrd.img-$kver" ] || die "no initramfs for $kver in the image"
	cmp -s "$r/boot/vmlinuz-$kver" "$kimg" ||
		die "the image's linux-image-$kver differs from $kimg" \
			"(the host's package: ${kpkg:-not installed}): upgrade the host's kernel"
	for p in "${packages[@]}"; do
		chroot "$r" dpkg-query -W "$p" >/dev/null 2>&1 || die "$p not installed in the image"
	done
	configure "$r"
	clean "$r"
	cp "$r/boot/initrd.img-$kver" "$new/initrd.img"

	size_mb=$(du -sm "$r" | cut -f1)
	size_mb=$((size_mb + size_mb / 4 + free_mb))
	logged "$cache/logs/rootfs-mkfs.log" mkfs.ext4 -F -L mpx-root \
		-d "$r" "$new/rootfs.img" "${size_mb}M"
	{
		echo "built=$(date -u +%FT%TZ) in $((SECONDS - start)) s"
		echo "image=$size_mb MB apparent, $(du -sm "$new/rootfs.img" | cut -f1) MB on disk"
		# shellcheck disable=SC2016 # dpkg-query's format
		chroot "$r" dpkg-query -W -f='${Package}=${Version}\n' \
			"linux-image-$kver" "linux-headers-$kver" systemd udev dkms gcc-12 \
			trace-cmd linux-perf bpftrace
	} > "$new/info"
	remove_tree "$r"
	echo "$want" > "$new/.stamp"
	remove_tree "$d.old"
	[ ! -d "$d" ] || mv "$d" "$d.old"
	mv "$new" "$d"
	remove_tree "$d.old"
	say "ready: $(head -n 2 "$d/info" | tr '\n' ' ')"
}

while [ $# -gt 0 ]; do
	case $1 in
	--cache) cache=${2:?--cache needs a directory}; shift 2 ;;
	--cache=*) cache=${1#*=}; shift ;;
	-h|--help) usage; exit 0 ;;
	*) break ;;
	esac
done
[ "${cache:0:1}" = / ] || cache=$PWD/$cache
cache=${cache%/}
cmd=${1:-}
[ $# -eq 1 ] || { usage >&2; exit 2; }
want=$(want_stamp)
case $cmd in
build)
	if ! ready "$want"; then
		cache_lock rootfs -x
		ready "$want" || build "$want"
	fi
	;;
image)
	ready "$want" || die "no current image in $(dir): run rootfs.sh build" ;;
*) usage >&2; exit 2 ;;
esac
echo "$(dir)/rootfs.img"
