#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mpx_bench_median.sh [--variant NAME] LOG... - the median of each
# mpx_bench figure over the runs in the VM logs given (one boot each, one
# or more runs per boot, same kernel and CPU model). Under QEMU TCG where
# the kernel and the module sit (KASLR; each run loads the module anew)
# moves figures by up to 0.2, and the INFO ioctl's time by up to 2x,
# through TCG's translation caches: one run is not enough to judge a
# change by.
#
# --variant NAME takes only the runs of one module of an A/B log
# (mpx_bench_ab.sh: NAME is base or this).
#
# Prints, as "# " lines: the kernel and mode, then for each configuration
# its median "x getppid", then each figure's median with the values of
# the runs in brackets.

variant=
if [ "${1:-}" = --variant ]; then
	variant=${2:?--variant NAME}
	shift 2
fi
if [ $# -eq 0 ]; then
	echo "usage: $0 [--variant NAME] LOG..." >&2
	exit 2
fi

awk -v boots=$# -v variant="$variant" '
function median(list,    n, v, i, j, t) {
	n = split(list, v, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function add(name, value) {
	if (!(name in vals))
		order[++nr] = name
	vals[name] = vals[name] " " value
}
# The VM rig nests the bench TAP one level: "# # "; an A/B log has
# "# # NAME # " instead.
variant != "" && !sub("^# # " variant " # ", "") { next }
variant == "" { sub(/^# # /, "") }
/^kernel .* mode, median of/ {
	sub(/, median of.*/, ""); head = $0; runs++; next
}
# A configuration row: name, ns per call, ratio to getppid.
/^[A-Za-z].*  +[0-9]+  +[0-9.]+$/ {
	ratio = $NF; $NF = ""; $(NF - 1) = ""
	sub(/ +$/, "")
	add($0 " (x getppid)", ratio)
	next
}
/ = [0-9.]+$/ {
	value = $NF; sub(/ = [0-9.]+$/, "")
	add($0, value)
	next
}
/^kernel memory per live key.*: [0-9]+ B$/ {
	value = $(NF - 1); sub(/: [0-9]+ B$/, "")
	add($0 " (B)", value)
}
END {
	printf "# bench medians over %d runs in %d boots: %s%s\n", runs, boots,
	       head, variant == "" ? "" : ", module: " variant
	for (i = 1; i <= nr; i++)
		printf "# %-56s %7.2f  [%s ]\n", order[i], median(vals[order[i]]),
		       vals[order[i]]
}' "$@"
