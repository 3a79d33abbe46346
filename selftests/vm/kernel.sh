#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make any kernel of the test matrix, or the debug kernel, available in a
# cache outside the repository, without changing what the host's own
# apt-get install picks.
#
#   kernel.sh [--cache DIR] list            the matrix, one kernel ABI a line
#   kernel.sh [--cache DIR] list-debug      the debug kernel's version (not
#                                           part of the matrix)
#   kernel.sh [--cache DIR] fetch VER       get headers and image (idempotent)
#   kernel.sh [--cache DIR] kdir VER        print the headers (build) directory
#   kernel.sh [--cache DIR] image VER       print the bootable kernel image
#   kernel.sh [--cache DIR] guest VER       print the directory of a foreign
#                                           architecture's guest busybox
#                                           and modules (none for x86)
#   kernel.sh [--cache DIR] modules VER     print the directory of the
#                                           modules a VM loads before the
#                                           suites (fuse.ko where FUSE is
#                                           a module), nothing when none
#   kernel.sh [--cache DIR] make VER ARG... fetch, then make -C KDIR ARG...
#                                           with the toolchain VER needs
#   kernel.sh [--cache DIR] update          refresh the sid chroot's index
#
# The matrix: the installed Debian 6.1 kernel, its PREEMPT_RT flavour
# (6.1.0-N-rt-amd64), the newest 6.12 +deb12
# kernel of bookworm-security (kernel-deb.sh), the newest 7.x kernel of
# sid (kernel-sid.sh), and Debian's arm64 6.1 kernel of the same ABI
# (kernel-deb.sh: cross-compiled with gcc-12-aarch64-linux-gnu, booted
# with qemu-system-aarch64). The debug kernel 6.1.N-debug is built from Debian's
# linux-source-6.1 (kernel-debug.sh). DIR defaults to /var/cache/mpx.
# Progress goes to stderr, results to stdout. Needs root.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=/var/cache/mpx
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=kernel-deb.sh
. "$here/kernel-deb.sh"
# shellcheck source=kernel-sid.sh
. "$here/kernel-sid.sh"
# shellcheck source=kernel-debug.sh
. "$here/kernel-debug.sh"

# Which of the three scripts above handles VER: debug, deb or sid.
kind_of()
{
	if is_debug "$1"; then
		echo debug
	elif deb_is "$1"; then
		echo deb
	else
		echo sid
	fi
}

# The lock guarding a kind's files.
lock_of() { if [ "$1" = debug ]; then echo debug; else echo kernel; fi; }

fetch()
{
	local ver=$1 kind

	[[ $ver =~ ^[0-9][A-Za-z0-9.+~_-]*$ ]] || die "bad kernel version '$ver'"
	kind=$(kind_of "$ver")
	"${kind}_ready" "$ver" && return
	cache_lock "$(lock_of "$kind")" -x
	"${kind}_ready" "$ver" && return
	"${kind}_fetch" "$ver"
	say "$ver: ready"
}

# kdir, image: print a fetched kernel's directory or image.
show()
{
	local what=$1 ver=$2 kind

	kind=$(kind_of "$ver")
	"${kind}_ready" "$ver" || die "$ver: not in $cache or stale: run kernel.sh fetch $ver"
	"${kind}_$what" "$ver"
}

run_make()
{
	local ver=$1 kind

	fetch "$ver"
	kind=$(kind_of "$ver")
	cache_lock "$(lock_of "$kind")" -s
	"${kind}_make" "$@"
}

# The newest linux-headers-PREFIX* matching RE that apt can install with
# an image beside it, asked of APT (apt-cache or sid_apt_cache); prints its
# ABI version. The signed image of a security update can lag its headers
# and -unsigned image by days: either image will do.
newest_candidate()
{
	local apt=$1 prefix=$2 re=$3 name ver

	for name in $($apt pkgnames "$prefix" | grep -E "$re" | sort -rV); do
		ver=${name#linux-headers-}
		if has_candidate "$apt" "$name" &&
		   { has_candidate "$apt" "linux-image-$ver" ||
		     has_candidate "$apt" "linux-image-$ver-unsigned"; }; then
			echo "$ver"
			return
		fi
	done
}

list()
{
	local v

	v=$(deb_default)
	[ -n "$v" ] || die "no Debian 6.1 kernel headers: run make deps"
	echo "$v"
	# PREEMPT_RT: the same 6.1 release as Debian's -rt-amd64 flavour.
	echo "${v%-amd64}-rt-amd64"
	v=$(newest_candidate apt-cache linux-headers-6.12. \
		'^linux-headers-6\.12\.[0-9]+\+deb12-amd64$')
	[ -n "$v" ] || die "no 6.12 +deb12 kernel in the host's apt sources"
	echo "$v"
	sid_chroot
	v=$(newest_candidate sid_apt_cache linux-headers-7. \
		'^linux-headers-7\.[^-]+(-[0-9]+)?-amd64$')
	[ -n "$v" ] || die "no 7.x kernel in sid"
	echo "$v"
	# Software mode on every machine: the arm64 build of the 6.1 kernel.
	v=$(deb_default)
	echo "${v%-amd64}-arm64"
}

if [ "${1:-}" = __ns ]; then
	shift
	sid_ns_main "$@"
fi
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
[ -n "$cmd" ] || { usage >&2; exit 2; }
shift
case $cmd:$# in
list:0) list ;;
list-debug:0) debug_list ;;
update:0) sid_update ;;
fetch:1) fetch "$1" ;;
kdir:1|image:1) show "$cmd" "$1" ;;
guest:1) [ "$(kind_of "$1")" != deb ] || show guest "$1" ;;
# The debug kernel has no FUSE (debug.config), the 7.x kernels of sid
# build it in.
modules:1) [ "$(kind_of "$1")" != deb ] || show modules "$1" ;;
make:[1-9]*) run_make "$@" ;;
*) usage >&2; exit 2 ;;
esac
