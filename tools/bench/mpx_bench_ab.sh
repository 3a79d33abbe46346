#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mpx_bench_ab.sh - mpx_bench with two builds of the module in turn, in
# one boot: the VM rig's suite behind "make bench BASE=REV".
#
# Runs mpx_bench MPX_BENCH_RUNS times (default 3) with each of
# /bin/mpx_base.ko and /bin/mpx_this.ko, alternating; mpx_bench loads the
# module it is given in MPX_KO. A run's figure lines, "# ...", become
# "# base # ..." or "# this # ..." for mpx_bench_median.sh --variant.
# Under TCG where the kernel and the module sit moves a figure by up to
# 0.2 from boot to boot, so two builds are compared in the same boots,
# never in boots of their own.

runs=${MPX_BENCH_RUNS:-3}
bench=$(command -v mpx_bench) || bench=$(dirname "$0")/mpx_bench

echo "TAP version 13"
echo "1..1"
for f in "$bench" /bin/mpx_base.ko /bin/mpx_this.ko; do
	if [ ! -r "$f" ]; then
		echo "not ok 1 bench A/B: no $f"
		exit 1
	fi
done
i=0
while [ "$i" -lt "$runs" ]; do
	for v in base this; do
		out=$(MPX_KO=/bin/mpx_$v.ko "$bench") || {
			echo "$out"
			echo "not ok 1 bench A/B: mpx_bench failed with mpx_$v.ko"
			exit 1
		}
		echo "$out" | sed -n "s/^# /# $v # /p"
	done
	i=$((i + 1))
done
echo "ok 1 bench A/B: $runs runs of each module"
