#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test matrix: for every kernel, build mpx.ko in its own directory
# (build/kbuild/VER, kbuild.sh) with W=1 and with sparse, then run the
# selftests in one VM per CPU model. Prints each run's TAP, a table kernel
# x (build, W=1, sparse, tests per CPU), and last one line
#   N passed, N failed, N skipped
# over everything (a failed build, a W=1 warning or a sparse report each
# count as a failure). Exit status 0 only when nothing failed.
#
#   check.sh [--cache DIR] [--jobs N] [--kernel VER]... [--cpu MODEL]...
#
# Default kernels: kernel.sh list, which must name the whole matrix
# (Debian 6.1, 6.12, newest 7.x, and Debian's arm64 6.1, cross-built with
# the suites (cross.sh) and run once, -cpu max, software mode); default
# CPU models: max (MPX) and max,-mpx. --jobs runs up to N VMs at once, in
# one pool for the whole matrix (default 1; each keeps one host CPU busy).
# The suites are selftests/*_test and *_test32; MPX_EXTRA_BIN names what
# else the guest gets (run.sh).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
cache=/var/cache/mpx
jobs=1
kernels=()
cpus=()
# The matrix kernel.sh list must give: Debian 6.1, 6.1 RT, 6.12, 7.x and
# arm64 6.1.
matrix_size=5
while [ $# -gt 0 ]; do
	case $1 in
	--cache) cache=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--kernel) kernels+=("$2"); shift 2 ;;
	--cpu) cpus+=("$2"); shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "check.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ ${#cpus[@]} -gt 0 ] || cpus=(max "max,-mpx")

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

# The default matrix, in full: a failing or short kernel.sh list must not
# shrink it to what happens to work.
if [ ${#kernels[@]} -eq 0 ]; then
	if ! list=$("$here/kernel.sh" --cache "$cache" list); then
		count "kernel.sh list" 0 "failed"
	fi
	mapfile -t kernels < <(grep . <<<"${list:-}")
	if [ ${#kernels[@]} -lt $matrix_size ]; then
		count "matrix" 0 "${#kernels[@]} kernels (${kernels[*]}), expected $matrix_size"
	fi
fi

tests=()
for t in "$top"/selftests/*_test "$top"/selftests/*_test32; do
	[ -x "$t" ] && tests+=("$t")
done

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

# build VER: build mpx.ko for VER in build/kbuild/VER, W=1, then sparse,
# niced: the previous kernel's VMs may be running.
build() {
	local v=$1 log=$top/build/kbuild/$1.build.log arch

	mkdir -p "$top/build/kbuild"
	if ! nice -n 10 "$here/kbuild.sh" --cache "$cache" "$v" W=1 modules >"$log" 2>&1; then
		count "$v build" 0 "failed, see $log"
		grep -E 'error|warning' "$log" | head -n 20 | sed 's/^/#   /'
		return 1
	fi
	count "$v build" 1 ok
	clean_log "$v W=1" "$log" 'warning:'
	arch=$(foreign_arch "$v")
	if [ -n "$arch" ] && ! nice -n 10 "$here/cross.sh" "$arch" >"$log.cross" 2>&1; then
		count "$v selftests ($arch)" 0 "failed, see $log.cross"
		return 1
	fi
	case $v in
	*-debug)
		# The debug kernel's source is the 6.1 one, checked already.
		cell["$v sparse"]="n/a" ;;
	*)	# Sparse on every file (C=2). 7.x runs sid's sparse in the
		# chroot (kernel-sid.sh); its headers package lacks
		# scripts/checker-valid.sh, so C=2 would turn itself off:
		# KBUILD_CHECKSRC=2 on the command line keeps it on.
		log=$top/build/kbuild/$v.sparse.log
		nice -n 10 "$here/kbuild.sh" --cache "$cache" --again "$v" \
			KBUILD_CHECKSRC=2 modules >"$log" 2>&1
		clean_log "$v sparse" "$log" '(warning|error):' ;;
	esac
}

# cpus_of VER: the CPU models VER runs under: both on x86; arm64 has no
# MPX to take away, so one (-cpu max).
cpus_of() {
	if [ -n "$(foreign_arch "$1")" ]; then
		echo max
	else
		printf '%s\n' "${cpus[@]}"
	fi
}

# suites VER CPU: the suites for one VM run, one a line. The debug
# kernel runs each 32-bit suite under one CPU model only, to fit CI's
# time: the key suite where hardware mode adds the bound-register paths
# (-cpu max), the remote suite, whose paths do not depend on the mode,
# under the other; the 32-bit fuzzer not at all (its compat decoding is
# fuzzed on every release kernel; the 64-bit fuzzer runs there). Release
# kernels run every suite under every model.
suites() {
	local t arch

	arch=$(foreign_arch "$1")
	if [ -n "$arch" ]; then
		# Cross-built (cross.sh), no 32-bit suites.
		printf '%s\n' "$top/build/cross/$arch"/selftests/*_test
		return
	fi
	for t in "${tests[@]}"; do
		case $1:$2:${t##*/} in
		*-debug:max:mpx_remote_test32) ;;
		*-debug:*-mpx*:mpx_keys_test32) ;;
		*-debug:*:mpx_fuzz_test32) ;;
		*) echo "$t" ;;
		esac
	done
}

# vm VER CPU: one VM run, its output in build/vm/VER-CPU.out.
vm() {
	local run=() arch extra=$MPX_EXTRA_BIN

	mapfile -t run < <(suites "$@")
	arch=$(foreign_arch "$1")
	if [ -n "$arch" ]; then
		extra="$top/build/cross/$arch/tools/mpxctl/mpxctl"
		extra+=" $top/build/cross/$arch/selftests/mpx_worker"
	fi
	MPX_EXTRA_BIN=$extra "$here/run.sh" --cache "$cache" --kver "$1" \
		--cpu "$2" --ko "$top/build/kbuild/$1/mpx.ko" test "${run[@]}" \
		> "$(vm_out "$@")" 2>&1
}
vm_out() { echo "$top/build/vm/$1-${2//[^A-Za-z0-9]/_}.out"; }

# tally VER CPU: print a VM run's output and add up its summary.
tally() {
	local out summary

	out=$(cat "$(vm_out "$@")")
	summary=$(tail -n 1 <<<"$out")
	head -n -1 <<<"$out"
	if [[ $summary =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
		skipped=$((skipped + BASH_REMATCH[3]))
		cell["$1 tests $2"]=$summary
		skips "$1" "$2" "${BASH_REMATCH[3]}" "$out"
	else
		count "$1 tests $2" 0 "the VM run printed no summary"
	fi
}

# skips VER CPU N OUT: note a run's skips, N in all and how many of them
# are hardware-mode tests in software mode, for judge_skips.
declare -A nskip nswskip
skips() {
	nskip["$1 $2"]=$3
	nswskip["$1 $2"]=$(grep -E '^# ok [0-9]+ .*# SKIP' <<<"$4" |
		grep -c '# SKIP software mode: ')
}

# judge_skips VER: each CPU model's expected skips. Where the guest CPU
# has MPX, no test may skip for software mode (a module that fell back to
# it must not pass as skipped hardware tests; MPX_EXPECT_HW also makes
# them fail); without MPX, as many tests skip as with it, plus those of
# hardware mode.
judge_skips() {
	local v=$1 cpu hw="" sw=""

	for cpu in "${cpus[@]}"; do
		[ -n "${nskip[$v $cpu]:-}" ] || continue
		if [[ $cpu == *-mpx* ]]; then sw=$cpu; else hw=$cpu; fi
	done
	if [ -n "$hw" ]; then
		if [ "${nswskip[$v $hw]}" -eq 0 ]; then
			count "$v skips $hw" 1 "none for software mode"
		else
			count "$v skips $hw" 0 "${nswskip[$v $hw]} skipped for software mode though the CPU has MPX"
		fi
	fi
	[ -n "$hw" ] && [ -n "$sw" ] || return 0
	local other=$((${nskip[$v $sw]} - ${nswskip[$v $sw]}))

	if [ "$other" -eq "${nskip[$v $hw]}" ]; then
		count "$v skips $sw" 1 "${nskip[$v $hw]} as under $hw, and ${nswskip[$v $sw]} of hardware mode"
	else
		count "$v skips $sw" 0 "${nskip[$v $sw]} skipped, ${nswskip[$v $sw]} for software mode; under $hw ${nskip[$v $hw]}"
	fi
}

# One pool of $jobs VM slots for the whole matrix: a kernel builds while
# the previous kernel's VMs run, and a kernel with one VM (arm64) leaves
# its second slot to the next. Output is printed in matrix order at the end.
mkdir -p "$top/build/vm"
runs=()
running=0
# The foreign kernels first: their one VM is the longest (8 minutes for
# arm64), and started first it overlaps the others' instead of running
# alone at the end.
mapfile -t kernels < <(
	for v in "${kernels[@]}"; do [ -z "$(foreign_arch "$v")" ] || echo "$v"; done
	for v in "${kernels[@]}"; do [ -n "$(foreign_arch "$v")" ] || echo "$v"; done)
for v in "${kernels[@]}"; do
	mapfile -t vcpus < <(cpus_of "$v")
	if ! build "$v"; then
		for cpu in "${vcpus[@]}"; do
			count "$v tests $cpu" 0 "not run: build failed"
		done
		continue
	fi
	for cpu in "${vcpus[@]}"; do
		if [ "$running" -ge "$jobs" ]; then
			wait -n
			running=$((running - 1))
		fi
		vm "$v" "$cpu" &
		running=$((running + 1))
		runs+=("$v" "$cpu")
	done
done
wait
for ((i = 0; i < ${#runs[@]}; i += 2)); do
	tally "${runs[i]}" "${runs[i + 1]}"
done
for v in "${kernels[@]}"; do
	[ -n "$(foreign_arch "$v")" ] || judge_skips "$v"
done

echo "#"
printf '# %-24s %-8s %-10s %-10s' kernel build W=1 sparse
for cpu in "${cpus[@]}"; do printf ' %-34s' "tests -cpu $cpu"; done
echo
for v in "${kernels[@]}"; do
	printf '# %-24s %-8s %-10s %-10s' "$v" "${cell[$v build]:-}" \
		"${cell[$v W=1]:-}" "${cell[$v sparse]:-}"
	for cpu in "${cpus[@]}"; do printf ' %-34s' "${cell[$v tests $cpu]:-n/a}"; done
	echo
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
