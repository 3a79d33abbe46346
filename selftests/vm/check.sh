#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the selftests in one VM per CPU model and add up the results.
#
#   check.sh [--kver VER] --cpu MODEL [--cpu MODEL...]
#
# Prints each run's TAP summary, then one line "N passed, N failed,
# N skipped" over all runs. Exit status 0 only when nothing failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kver=$("$here/kver.sh")
cpus=()
while [ $# -gt 0 ]; do
	case $1 in
	--kver) kver=$2; shift 2 ;;
	--cpu) cpus+=("$2"); shift 2 ;;
	*) echo "check.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ ${#cpus[@]} -gt 0 ] || cpus=(max max,-mpx)

tests=()
for t in "$top"/selftests/*_test "$top"/selftests/*_test32; do
	[ -x "$t" ] && tests+=("$t")
done

passed=0 failed=0 skipped=0
for cpu in "${cpus[@]}"; do
	out=$("$here/run.sh" --kver "$kver" --cpu "$cpu" test "${tests[@]}")
	summary=$(tail -n 1 <<<"$out")
	head -n -1 <<<"$out"
	if [[ $summary =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
		skipped=$((skipped + BASH_REMATCH[3]))
	else
		echo "not ok - $kver/$cpu: the VM run printed no summary" >&2
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
