#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build mpx.ko for one kernel of the rig in a directory of its own,
# build/kbuild/VER, from a fresh copy of the module's sources (Kbuild,
# VERSION, *.c, include/), so that kernels never share objects and the
# source tree stays clean. The module is build/kbuild/VER/mpx.ko.
#
#   kbuild.sh [--cache DIR] [--dir DIR] [--again] VER [MAKE-ARG...]
#
# MAKE-ARGs default to "modules" (e.g. W=1 modules, C=2 modules). --dir
# builds in DIR instead of build/kbuild/VER. --again builds in the
# existing copy (a second pass, say with sparse) instead of copying the
# sources again. make's output goes to stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
cache=/var/cache/mpx
again=0
dir=""
while [ $# -gt 0 ]; do
	case $1 in
	--cache) cache=$2; shift 2 ;;
	--dir) dir=$(realpath -m -- "$2"); shift 2 ;;
	--again) again=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) break ;;
	esac
done
ver=${1:?kernel version}
shift
[ $# -gt 0 ] || set -- modules
dir=${dir:-$top/build/kbuild/$ver}
if [ $again = 0 ] || [ ! -d "$dir" ]; then
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -r "$top"/Kbuild "$top"/VERSION "$top"/include "$dir/"
	for f in "$top"/*.c; do
		[[ $f == *.mod.c ]] || cp "$f" "$dir/"
	done
fi
exec "$here/kernel.sh" --cache "$cache" make "$ver" M="$dir" "$@"
