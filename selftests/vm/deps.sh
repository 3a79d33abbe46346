#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building and VM-testing mpx needs on Debian bookworm, as
# root, idempotently: a second run installs nothing and takes a second.
#
#   deps.sh [CACHE]
#
# Debian packages: the compiler, QEMU, busybox-static, the Debian 6.1 kernel
# headers and image, DKMS, sparse, and for the other kernels of the matrix
# (kernel.sh) debootstrap and pahole. From Debian's linux-source-6.1 package
# it extracts, into CACHE (default /var/cache/mpx), only the kselftest
# harness headers and checkpatch.pl with its data files; the kernel source
# itself is never kept.
set -euo pipefail

cache=${1:-/var/cache/mpx}
pkgs=(gcc make libc6-dev gcc-multilib cpio gzip xz-utils kmod
      qemu-system-x86 busybox-static sparse dkms perl debootstrap dwarves
      linux-headers-amd64 linux-image-amd64)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q 'install ok installed' || missing+=("$p")
done
updated=0
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	apt-get update -qq
	updated=1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
fi

ksft=$cache/kselftest
want=(tools/testing/selftests/kselftest.h
      tools/testing/selftests/kselftest_harness.h
      scripts/checkpatch.pl scripts/spelling.txt
      scripts/const_structs.checkpatch .clang-format)
if [ ! -f "$ksft/kselftest_harness.h" ] || [ ! -f "$cache/scripts/checkpatch.pl" ]; then
	echo "deps: extracting the kselftest harness and checkpatch.pl from linux-source-6.1"
	mkdir -p "$cache" "$ksft"
	tmp=$(mktemp -d "$cache/src.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	[ $updated = 1 ] || apt-get update -qq
	(cd "$tmp" && apt-get download -qq linux-source-6.1 2>/dev/null)
	dpkg-deb --fsys-tarfile "$tmp"/linux-source-6.1_*.deb |
		tar -xO --wildcards './usr/src/linux-source-6.1.tar.*' |
		tar -xJ -C "$tmp" "${want[@]/#/linux-source-6.1/}"
	cp "$tmp"/linux-source-6.1/tools/testing/selftests/kselftest*.h "$ksft/"
	mkdir -p "$cache/scripts"
	cp "$tmp"/linux-source-6.1/scripts/{checkpatch.pl,spelling.txt,const_structs.checkpatch} \
		"$cache/scripts/"
	cp "$tmp"/linux-source-6.1/.clang-format "$cache/"
fi
echo "deps: ready (cache $cache)"
