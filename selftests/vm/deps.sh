#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building, linting and VM-testing mpx needs on Debian
# bookworm, as root, idempotently: a second run installs nothing and takes
# a second.
#
#   deps.sh [CACHE]
#
# Debian packages: the compiler, QEMU, busybox-static, the Debian 6.1 kernel
# headers and image, DKMS, sparse, shellcheck, libtracefs and libtraceevent
# (mpxctl; also for arm64), and for the other kernels of the matrix
# (kernel.sh) debootstrap and pahole, the arm64 cross-compiler and
# qemu-system-aarch64. From Debian's
# linux-source-6.1 package (downloaded once into CACHE/debs, default
# /var/cache/mpx, and shared with the debug kernel) it takes, into CACHE,
# only the kselftest harness headers and runner, checkpatch.pl with its
# data files, kernel-doc and .clang-format.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${1:-/var/cache/mpx}
# shellcheck source=lib.sh
. "$here/lib.sh"

need_pkg gcc make libc6-dev gcc-12-multilib cpio gzip xz-utils kmod \
	qemu-system-x86 busybox-static sparse shellcheck dkms perl \
	debootstrap dwarves linux-headers-amd64 linux-image-amd64 \
	dpkg-dev debhelper dh-dkms fakeroot lintian groff man-db \
	qemu-utils e2fsprogs flex bison bc libelf-dev ccache \
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm \
	pkgconf libtracefs-dev libtraceevent-dev

# gcc-12-multilib, not gcc-multilib: that one conflicts with the arm64
# cross-compiler and only adds the link /usr/include/asm (tools/m32.mk).
# The arm64 row of the matrix: Debian's arm64 kernel packages, downloaded
# (never installed) by kernel.sh, need arm64 in dpkg's architectures.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
	apt-get update -qq
fi
# mpxctl links libtracefs and libtraceevent, static for the VMs (the -dev
# packages carry the archives); the arm64 VM's mpxctl is cross-built
# (cross.sh) against the arm64 ones, which install beside the host's
# (Multi-Arch: same).
need_pkg libtracefs-dev:arm64 libtraceevent-dev:arm64

# Where each file of the source package goes in CACHE.
declare -A files=(
	[tools/testing/selftests/kselftest.h]=kselftest/
	[tools/testing/selftests/kselftest_harness.h]=kselftest/
	[tools/testing/selftests/kselftest/runner.sh]=kselftest/kselftest/
	[tools/testing/selftests/kselftest/prefix.pl]=kselftest/kselftest/
	[scripts/checkpatch.pl]=scripts/
	[scripts/spelling.txt]=scripts/
	[scripts/const_structs.checkpatch]=scripts/
	[scripts/kernel-doc]=scripts/
	[.clang-format]=""
)

have_all=1
for f in "${!files[@]}"; do
	[ -f "$cache/${files[$f]}${f##*/}" ] || have_all=0
done
if [ $have_all = 0 ]; then
	version=$(source_version '*')
	[ -n "$version" ] || { apt-get update -qq; version=$(source_version '*'); }
	[ -n "$version" ] || die "no $source_pkg in the host's apt sources"
	deb=$(source_deb "$version")
	echo "deps: taking the kselftest harness and runner, checkpatch.pl and kernel-doc from $source_pkg $version"
	tmp=$(mktemp -d "$cache/src.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	source_unpack "$deb" "$tmp" "${!files[@]}"
	for f in "${!files[@]}"; do
		mkdir -p "$cache/${files[$f]}"
		cp "$tmp/$f" "$cache/${files[$f]}"
	done
fi
echo "deps: ready (cache $cache)"
