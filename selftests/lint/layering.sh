#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module has no dependency cycle: Kbuild lists its objects bottom layer
# first, and each object may use (undefined mpx_* symbols) only objects
# listed before it. Prints one line per offending pair and the symbols,
# exits 1 if there is any.
#
#   layering.sh BUILD_DIR
#
# BUILD_DIR holds a build of the module (kbuild.sh). The order is Kbuild's,
# as kbuild itself resolved it into BUILD_DIR/mpx.mod (mpx-y with the
# x86-only objects in place); the symbols come from nm.
set -euo pipefail

dir=${1:?build directory}
mapfile -t objs < "$dir/mpx.mod"
[ ${#objs[@]} -gt 0 ] || { echo "layering.sh: no objects in $dir/mpx.mod"; exit 1; }

declare -A at=()	# symbol -> index of the object defining it
for i in "${!objs[@]}"; do
	while read -r s; do
		at[$s]=$i
	done < <(nm --defined-only -g "${objs[$i]}" | awk '$3 ~ /^mpx_/ { print $3 }')
done

bad=0
for i in "${!objs[@]}"; do
	declare -A up=()	# index of a later object -> the symbols used
	while read -r s; do
		j=${at[$s]:-}
		# Not defined in the module: a kernel symbol, modpost's business.
		[ -n "$j" ] && [ "$j" -gt "$i" ] && up[$j]+=" $s"
	done < <(nm -u "${objs[$i]}" | awk '$2 ~ /^mpx_/ { print $2 }')
	for j in "${!up[@]}"; do
		echo "${objs[$i]##*/} uses ${objs[$j]##*/}, listed after it in Kbuild:${up[$j]}"
		bad=1
	done
	unset up
done
exit $bad
