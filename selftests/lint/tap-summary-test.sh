#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tap-summary.sh judges every VM run, so each of its checks must be able
# to fail. Feed it a clean run, then the same run with one fault planted
# at a time, and expect the verdict and the "not ok" line each fault must
# give. TAP, one line a case; ends with "N passed, N failed".
#
#   tap-summary-test.sh
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
judge=$here/../vm/tap-summary.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

# A clean run of two suites, as run.sh's payload and console write them.
good_payload()
{
	cat <<-'EOF'
	MPX-VM-BEGIN
	ok - insmod mpx.ko
	# selftests: mpx: mpx_a_test
	# TAP version 13
	# 1..2
	# ok 1 a.one
	# ok 2 a.two # SKIP no MPX
	ok 1 selftests: mpx: mpx_a_test
	# selftests: mpx: mpx_b_test
	# TAP version 13
	# 1..1
	# ok 1 b.one
	ok 2 selftests: mpx: mpx_b_test
	ok - rmmod mpx
	# tainted: 12288
	MPX-VM-END
	EOF
}

good_console()
{
	cat <<-'EOF'
	<6>[    0.000000] Linux version 6.1.0-57-amd64
	<5>[    3.100000] mpx: loaded, software mode
	<6>[    9.000000] mpx: unloaded
	EOF
}

# judge PAYLOAD CONSOLE [ARGS...]: tap-summary.sh's output; status in $rc.
judge()
{
	local payload=$1 console=$2

	shift 2
	printf '%s\n' "$payload" >"$tmp/payload"
	printf '%s\n' "$console" >"$tmp/console"
	out=$("$judge" --name t --suite mpx_a_test --suite mpx_b_test "$@" \
		"$tmp/payload" "$tmp/console" 2>&1)
	rc=$?
}

report()
{
	if [ "$1" = ok ]; then
		echo "ok - $2"
		passed=$((passed + 1))
	else
		echo "not ok - $2"
		printf '%s\n' "$out" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}

# expect_fail WHAT PATTERN PAYLOAD CONSOLE [ARGS...]: the run must fail,
# count a failure, and print a line matching PATTERN (an ERE; "t:" starts
# the judge's own verdicts, "not ok - t ...").
expect_fail()
{
	local what=$1 pattern=$2

	shift 2
	judge "$@"
	if [ "$rc" -ne 0 ] && grep -qE "$pattern" <<<"$out" &&
	   [[ $(tail -n 1 <<<"$out") =~ ^[0-9]+\ passed,\ [1-9][0-9]*\ failed ]]; then
		report ok "fails: $what"
	else
		report bad "fails: $what (rc $rc)"
	fi
}

payload=$(good_payload)
console=$(good_console)
# The clean run with one sed(1) SCRIPT applied: a planted fault.
plant() { sed -e "$1" <<<"$payload"; }
plant_console() { sed -e "$1" <<<"$console"; }

judge "$payload" "$console"
if [ "$rc" -eq 0 ] && [ "$(tail -n 1 <<<"$out")" = "6 passed, 0 failed, 1 skipped" ]; then
	report ok "a clean run passes: 6 passed, 0 failed, 1 skipped"
else
	report bad "a clean run passes"
fi

expect_fail "a suite exits 0 without a plan" "^not ok - t mpx_b_test: exited 0 without a 1..N plan" \
	"$(plant '/# 1\.\.1/d')" "$console"
expect_fail "a suite exits 4 (skip) without a plan" "^not ok - t mpx_b_test: exited 4 without a 1..N plan" \
	"$(plant '/# 1\.\.1/d; s/^ok 2 selftests: mpx: mpx_b_test$/& # SKIP/')" "$console"
expect_fail "a suite reports fewer results than its plan" "^not ok - t mpx_a_test: 1 of 2 tests did not report" \
	"$(plant '/# ok 2 a.two/d')" "$console"
expect_fail "a suite dies without the runner's verdict" "^not ok - t mpx_b_test: died without a verdict" \
	"$(plant '/^ok 2 selftests/d')" "$console"
expect_fail "a suite exits non-zero without a failed test" "^not ok 2 selftests: mpx: mpx_b_test # exit=2" \
	"$(plant 's/^ok 2 selftests: mpx: mpx_b_test$/not ok 2 selftests: mpx: mpx_b_test # exit=2/')" "$console"
expect_fail "a suite never starts" "^not ok - t mpx_b_test: never started" \
	"$(plant '/mpx_b_test/,/^ok 2 selftests/d')" "$console"
expect_fail "a failed test" "^# not ok 1 b.one" \
	"$(plant 's/^# ok 1 b.one/# not ok 1 b.one/')" "$console"
expect_fail "the VM does not reach its end marker" "^not ok - t: VM did not finish" \
	"$(plant '/MPX-VM-END/d')" "$console"
expect_fail "QEMU exits non-zero after the end marker" "^not ok - t: qemu exited 1 after the end marker" \
	"$payload" "$console" --qemu-rc 1
expect_fail "the final rmmod fails" "^not ok - rmmod mpx" \
	"$(plant 's/^ok - rmmod mpx/not ok - rmmod mpx/')" "$console"
expect_fail "no taint flags printed" "^not ok - t: the payload printed no taint flags" \
	"$(plant '/# tainted:/d')" "$console"
expect_fail "taint W (a WARN) besides O and E" "^not ok - t: kernel tainted 12800, bits 9 " \
	"$(plant 's/# tainted: 12288/# tainted: 12800/')" "$console"
expect_fail "a WARN() in the console" "^not ok - t: 1 kernel report line" \
	"$payload" "$console"$'\n<4>[   5.0] WARNING: CPU: 1 PID: 77 at mpx_keys.c:120 mpx_key_free+0x1/0x2 [mpx]'
expect_fail "an RCU self-detected stall" "^not ok - t: 1 kernel report line" \
	"$payload" "$console"$'\n<3>[   6.0] rcu: INFO: rcu_preempt self-detected stall on CPU'
expect_fail "the module's own error line" "^not ok - t: 1 kernel report line" \
	"$payload" "$console"$'\n<3>[   7.0][   T74] mpx: cannot hook iovec_from_user (-2): remote access not guarded'
expect_fail "a KASAN report" "^not ok - t: 1 kernel report line" \
	"$payload" "$console"$'\n<3>[   8.0] BUG: KASAN: use-after-free in mpx_mm_free+0x10/0x20 [mpx]'
expect_fail "a console without log levels" "^not ok - t: no log levels" \
	"$payload" "$(plant_console 's/^<[0-7]>//')"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
