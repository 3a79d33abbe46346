#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Judge one VM run of run.sh and end with one line
#   N passed, N failed, N skipped
#
#   tap-summary.sh --name NAME [--qemu-rc RC] [--suite SUITE]... \
#                  PAYLOAD_LOG CONSOLE_LOG
#
# The payload log holds the kselftest runner's output: per suite a header
# "# selftests: mpx: SUITE", the suite's TAP prefixed with "# ", then the
# runner's verdict "ok N selftests: mpx: SUITE" ("# SKIP" for exit status
# 4, "not ok ... # exit=RC" otherwise); around it the rig's own "ok - ..."
# lines (insmod, rmmod) and "# tainted: N". Each test result counts. Fails:
# a suite that printed no header (every SUITE given must run), died
# without a verdict, reported fewer results than its plan, exited 0 or 4
# without a 1..N plan, or exited otherwise without a failed test; a VM
# that did not reach its end marker or whose QEMU exited non-zero; taint
# flags other than O (out-of-tree module) and E (unsigned module); and any
# kernel report in the console log.
set -euo pipefail

name=vm
qemu_rc=0
suites=""
while [ $# -gt 2 ]; do
	case $1 in
	--name) name=$2; shift 2 ;;
	--qemu-rc) qemu_rc=$2; shift 2 ;;
	--suite) suites="$suites $2"; shift 2 ;;
	*) echo "tap-summary.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
payload=$1
console=$2

# Kernel reports that fail a run. Boot-time CPU mitigation notes such as
# "RETBleed: WARNING: Spectre v2 mitigation ..." are not splats; a real
# WARN() prints "WARNING: CPU: N PID: ...". The checkers of the debug
# kernel (debug.config): KASAN, KFENCE ("BUG: KFENCE: ..."), UBSAN, lockdep
# ("WARNING: possible circular locking dependency detected", "WARNING:
# inconsistent lock state", "WARNING: suspicious RCU usage", "WARNING: lock
# held when returning to user space!", "[ BUG: Invalid wait context ]" of
# PROVE_RAW_LOCK_NESTING, ...), DEBUG_ATOMIC_SLEEP ("BUG: sleeping
# function called from invalid context"), DEBUG_OBJECTS ("ODEBUG: free
# active ... object type: ..."; not its boot line "ODEBUG: N of N active
# objects replaced"), DEBUG_LIST, and kmemleak: the leaks the test
# payload's scan finds ("unreferenced object ...", "kmemleak: N new
# suspected memory leaks") or kmemleak switching itself off; not its boot
# line "kmemleak: Kernel memory leak detector initialized". RCU stalls
# ("rcu_preempt detected stalls", "rcu: INFO: rcu_preempt self-detected
# stall on CPU"). "BUG:" must not match inside "ODEBUG:", nor "lockdep"
# alone ("rcu: RCU lockdep checking is enabled." at boot, lockdep_* frames
# in every stack trace).
splat='WARNING: CPU|WARNING: at|WARNING: possible|WARNING: inconsistent lock state|WARNING: suspicious RCU usage|WARNING: lock held|WARNING: bad unlock balance|WARNING: held lock freed|WARNING: Nested lock|cut here|(^|[^A-Za-z])BUG:|Invalid wait context|Oops|Call Trace|KASAN|UBSAN|KFENCE|ODEBUG: .*object type:|ODEBUG: .*on stack|ODEBUG: Out of memory|unreferenced object|suspected memory leak|kmemleak: .*(disabled|Memory pool empty|Cannot|[Uu]nknown object|Failed)|lockdep is turned off|turning off the locking correctness validator|non-static key|DEBUG_LOCKS_WARN_ON|sleeping function called|list_(add|del) corruption|possible recursive locking|circular locking|general protection|blocked for more than|soft lockup|hard LOCKUP|rcu_.*detected stalls|self-detected stall|Kernel panic|segfault at'
# The module's own errors: pr_err() and worse of "mpx: " (run.sh boots
# with console_msg_format=syslog, so each console line starts with <LEVEL>,
# then the time and, with PRINTK_CALLER (debug kernel), the caller:
# "<3>[   35.16][   T74] mpx: ...").
module_err='^<[0-3]>(\[[^]]*\] ?)*mpx: '
# Taint flags a run may have: O (bit 12, out-of-tree module) and E (bit
# 13, unsigned module).
taint_ok=$(((1 << 12) | (1 << 13)))

awk -v name="$name" -v qemu_rc="$qemu_rc" -v console="$console" \
    -v splat="$splat" -v module_err="$module_err" -v taint_ok="$taint_ok" \
    -v expected="$suites" '
function fail(msg, n) {
	printf "not ok - %s%s\n", name, msg
	failed += n
}
function finish_suite() {
	if (suite == "")
		return
	if (!exited)
		fail(" " suite ": died without a verdict from the runner", 1)
	else if (plan < 0 && (status == 0 || status == 4))
		fail(" " suite ": exited " status " without a 1..N plan", 1)
	else if (plan >= 0 && results < plan)
		fail(" " suite ": " plan - results " of " plan " tests did not report", plan - results)
	else if (status != 0 && status != 4 && !suite_failed)
		fail(" " suite ": exit status " status, 1)
	suite = ""
}
# The i-th bit of n, for the taint mask (awk has no bitwise operators).
function bit(n, i) { return int(n / 2 ^ i) % 2 }
{ sub(/\r$/, "") }
/^MPX-VM-BEGIN/ { began = 1; next }
/^MPX-VM-END/ { finish_suite(); ended = 1; next }
/^# selftests: / {
	finish_suite()
	suite = $NF; started[suite] = 1
	plan = -1; results = 0; exited = 0; suite_failed = 0
	print; next
}
/^(not )?ok [0-9]+ selftests: / {
	exited = 1
	status = 0
	if ($0 ~ /# SKIP/) status = 4
	else if (match($0, /# exit=[0-9]+/)) status = substr($0, RSTART + 7, RLENGTH - 7) + 0
	else if ($0 ~ /# TIMEOUT/) status = 124
	else if ($0 ~ /^not ok/) status = 1
	print; finish_suite(); next
}
suite != "" && /^# 1\.\.[0-9]+/ { plan = substr($2, 4) + 0 }
suite != "" && /^# ok / {
	results++
	if ($0 ~ /# [Ss][Kk][Ii][Pp]/) skipped++; else passed++
	print; next
}
suite != "" && /^# not ok / { results++; failed++; suite_failed = 1; print; next }
/^ok - .*# SKIP/ { skipped++; print; next }
/^ok - / { passed++; print; next }
/^not ok - / { failed++; print; next }
/^# tainted: / { taint = $3 + 0; tainted_seen = 1 }
/^#/ { print; next }
END {
	finish_suite()
	n = split(expected, want, " ")
	for (i = 1; i <= n; i++)
		if (!(want[i] in started))
			fail(" " want[i] ": never started (no header from the runner)", 1)
	if (!began || !ended)
		fail(": VM did not finish (qemu exit " qemu_rc "; timeout, panic or hang)", 1)
	else if (qemu_rc != 0)
		fail(": qemu exited " qemu_rc " after the end marker", 1)
	if (ended && !tainted_seen)
		fail(": the payload printed no taint flags", 1)
	else if (tainted_seen) {
		bad = ""
		for (i = 0; i < 32; i++)
			if (bit(taint, i) && !bit(taint_ok, i))
				bad = bad " " i
		if (bad != "")
			fail(": kernel tainted " taint ", bits" bad " (only O and E allowed)", 1)
		else {
			printf "ok - %s: taint %d (O, E at most)\n", name, taint
			passed++
		}
	}
	hits = 0
	levels = 0
	while ((getline line < console) > 0) {
		if (line ~ /^<[0-7]>/)
			levels++
		if ((line ~ splat || line ~ module_err) && line !~ /[Cc]ommand line:/) {
			if (!hits)
				printf "# %s: kernel reports in %s:\n", name, console
			if (hits < 40)
				print "#   " line
			hits++
		}
	}
	if (hits)
		fail(": " hits " kernel report line(s) in the console log", 1)
	else if (!levels)
		fail(": no log levels in the console log (console_msg_format=syslog ignored?)", 1)
	else {
		printf "ok - %s: console log clean\n", name
		passed++
	}
	printf "# %s: %d passed, %d failed, %d skipped\n", name, passed, failed, skipped
	printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped
	exit failed ? 1 : 0
}' "$payload"
