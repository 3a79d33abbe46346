#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test matrix: for every kernel, build mpx.ko in its own directory
# (build/kbuild/VER) with W=1 and with sparse, then run the selftests in
# one VM per CPU model. Prints each run's TAP, a table kernel x (build,
# W=1, sparse, tests per CPU), and last one line
#   N passed, N failed, N skipped
# over everything (a failed build, a W=1 warning or a sparse report each
# count as a failure). Exit status 0 only when nothing failed.
#
#   check.sh [--cache DIR] [--kernel VER]... [--cpu MODEL]...
#
# Default kernels: kernel.sh list (Debian 6.1, 6.12, newest 7.x);
# default CPU models: max (MPX) and max,-mpx.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=/var/cache/mpx
kernels=()
cpus=()
while [ $# -gt 0 ]; do
	case $1 in
	--cache) cache=$2; shift 2 ;;
	--kernel) kernels+=("$2"); shift 2 ;;
	--cpu) cpus+=("$2"); shift 2 ;;
	-h|--help) awk 'NR > 3 && /^#/ { sub(/^# ?/, ""); print; next } NR > 3 { exit }' "$0"; exit 0 ;;
	*) echo "check.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
ksh=("$here/kernel.sh" --cache "$cache")
[ ${#kernels[@]} -gt 0 ] || mapfile -t kernels < <("${ksh[@]}" list)
[ ${#cpus[@]} -gt 0 ] || cpus=(max "max,-mpx")
[ ${#kernels[@]} -gt 0 ] || { echo "check.sh: no kernels"; echo "0 passed, 1 failed"; exit 1; }

tests=()
for t in "$top"/selftests/*_test "$top"/selftests/*_test32; do
	[ -x "$t" ] && tests+=("$t")
done

passed=0 failed=0 skipped=0
declare -A cell

# count NAME OK DETAIL: one pass/fail result of the matrix.
count() {
	cell[$1]=FAIL
	if [ "$2" = 1 ]; then
		cell[$1]=$3
		passed=$((passed + 1))
		echo "ok - $1: $3"
	else
		failed=$((failed + 1))
		echo "not ok - $1: $3"
	fi
}

# clean_log NAME LOG PATTERN: pass when no line of LOG matches PATTERN.
clean_log() {
	local n

	n=$(grep -cE "$3" "$2")
	if [ "$n" -eq 0 ]; then
		count "$1" 1 clean
	else
		count "$1" 0 "$n reports, see $2"
		grep -E "$3" "$2" | head -n 10 | sed 's/^/#   /'
	fi
}

# build VER: build mpx.ko for VER in build/kbuild/VER, W=1, then sparse.
build() {
	local v=$1 dir=$top/build/kbuild/$1 log n
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -r "$top"/Kbuild "$top"/VERSION "$top"/*.c "$top"/include "$dir/"
	log=$dir/build.log
	if ! "${ksh[@]}" make "$v" M="$dir" W=1 modules >"$log" 2>&1; then
		count "$v build" 0 "failed, see $log"
		grep -E 'error|warning' "$log" | head -n 20 | sed 's/^/#   /'
		return 1
	fi
	count "$v build" 1 ok
	clean_log "$v W=1" "$log" 'warning:'
	case $v in
	7.*|*-debug)
		# bookworm's sparse 0.6.4 is silently skipped on 7.x kernels;
		# the debug kernel's source is the 6.1 one, checked already.
		cell["$v sparse"]="n/a" ;;
	*)	log=$dir/sparse.log
		"${ksh[@]}" make "$v" M="$dir" C=2 modules >"$log" 2>&1
		clean_log "$v sparse" "$log" '(warning|error):' ;;
	esac
}

for v in "${kernels[@]}"; do
	if ! build "$v"; then
		for cpu in "${cpus[@]}"; do
			count "$v tests $cpu" 0 "not run: build failed"
		done
		continue
	fi
	for cpu in "${cpus[@]}"; do
		out=$("$here/run.sh" --cache "$cache" --kver "$v" --cpu "$cpu" \
			--ko "$top/build/kbuild/$v/mpx.ko" test "${tests[@]}")
		summary=$(tail -n 1 <<<"$out")
		head -n -1 <<<"$out"
		if [[ $summary =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
			passed=$((passed + BASH_REMATCH[1]))
			failed=$((failed + BASH_REMATCH[2]))
			skipped=$((skipped + BASH_REMATCH[3]))
			cell["$v tests $cpu"]=$summary
		else
			count "$v tests $cpu" 0 "the VM run printed no summary"
		fi
	done
done

echo "#"
printf '# %-24s %-8s %-10s %-10s' kernel build W=1 sparse
for cpu in "${cpus[@]}"; do printf ' %-34s' "tests -cpu $cpu"; done
echo
for v in "${kernels[@]}"; do
	printf '# %-24s %-8s %-10s %-10s' "$v" "${cell[$v build]:-}" \
		"${cell[$v W=1]:-}" "${cell[$v sparse]:-}"
	for cpu in "${cpus[@]}"; do printf ' %-34s' "${cell[$v tests $cpu]:-}"; done
	echo
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
