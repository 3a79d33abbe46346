#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build what a VM of another architecture runs: the selftest suites, their
# helper mpx_worker and mpxctl, static, with Debian's cross-compiler, in
# build/cross/ARCH from a copy of the tree (the native binaries stay where
# they are). No 32-bit builds: the compat suites are x86's.
#
#   cross.sh ARCH
#
# ARCH: arm64 (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross: make deps).
# Prints the build directory; the suites are DIR/selftests/*_test.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

case ${1:-} in
-h|--help) usage; exit 0 ;;
arm64) triplet=aarch64-linux-gnu ;;
*) usage >&2; exit 2 ;;
esac
dir=$top/build/cross/$1
mkdir -p "$dir"
# The source files (tracked, or new and not ignored), refreshed in place:
# make rebuilds what changed.
(cd "$top" && git ls-files -z --cached --others --exclude-standard \
	VERSION selftests tools include |
	xargs -0 cp --parents -u -t "$dir") ||
	die "cannot copy the tree to $dir"
cross=(CC="$triplet-gcc" AR="$triplet-ar")
make -s -C "$dir/selftests" "${cross[@]}" TESTS32= HELPERS=mpx_worker >&2
make -s -C "$dir/tools/mpxctl" "${cross[@]}" >&2
echo "$dir"
