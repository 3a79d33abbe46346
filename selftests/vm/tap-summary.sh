#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Summarise one VM run: count the TAP results of every suite in the payload
# log, fail suites that died or reported fewer results than planned, fail
# the run on any kernel report in the console log, and end with one line
#   N passed, N failed, N skipped
#
#   tap-summary.sh --name NAME [--qemu-rc RC] PAYLOAD_LOG CONSOLE_LOG
set -euo pipefail

name=vm
qemu_rc=0
while [ $# -gt 2 ]; do
	case $1 in
	--name) name=$2; shift 2 ;;
	--qemu-rc) qemu_rc=$2; shift 2 ;;
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
# held when returning to user space!", ...), DEBUG_ATOMIC_SLEEP ("BUG:
# sleeping function called from invalid context"), DEBUG_OBJECTS ("ODEBUG:
# free active ... object type: ..."; not its boot line "ODEBUG: N of N
# active objects replaced"), DEBUG_LIST, and kmemleak: the leaks the test
# payload's scan finds ("unreferenced object ...", "kmemleak: N new
# suspected memory leaks") or kmemleak switching itself off; not its boot
# line "kmemleak: Kernel memory leak detector initialized". "BUG:" must not
# match inside "ODEBUG:", nor "lockdep" alone ("rcu: RCU lockdep checking
# is enabled." at boot, lockdep_* frames in every stack trace).
splat='WARNING: CPU|WARNING: at|WARNING: possible|WARNING: inconsistent lock state|WARNING: suspicious RCU usage|WARNING: lock held|WARNING: bad unlock balance|WARNING: held lock freed|WARNING: Nested lock|cut here|(^|[^A-Za-z])BUG:|Oops|Call Trace|KASAN|UBSAN|KFENCE|ODEBUG: .*object type:|ODEBUG: .*on stack|ODEBUG: Out of memory|unreferenced object|suspected memory leak|kmemleak: .*(disabled|Memory pool empty|Cannot|[Uu]nknown object|Failed)|lockdep is turned off|turning off the locking correctness validator|non-static key|DEBUG_LOCKS_WARN_ON|sleeping function called|list_(add|del) corruption|possible recursive locking|circular locking|general protection|blocked for more than|soft lockup|hard LOCKUP|rcu_.*detected stalls|Kernel panic|segfault at'

awk -v name="$name" -v qemu_rc="$qemu_rc" -v console="$console" -v splat="$splat" '
function finish_suite() {
	if (suite == "")
		return
	if (!exited) {
		printf "not ok - %s %s: died without an exit status\n", name, suite
		failed++
	} else if (plan >= 0 && results < plan) {
		printf "not ok - %s %s: %d of %d tests did not report\n", name, suite, plan - results, plan
		failed += plan - results
	} else if (status != 0 && status != 4 && !suite_failed) {
		printf "not ok - %s %s: exit status %d\n", name, suite, status
		failed++
	}
	suite = ""
}
{ sub(/\r$/, "") }
/^# suite: / { finish_suite(); suite = $3; plan = -1; results = 0; exited = 0; suite_failed = 0; print; next }
/^# exit: / { exited = 1; status = $3 + 0; finish_suite(); next }
/^MPX-VM-END/ { ended = 1; next }
/^MPX-VM-BEGIN/ { began = 1; next }
/^1\.\.[0-9]+/ { if (suite != "") plan = substr($1, 4) + 0 }
/^ok / { results++; if ($0 ~ /# [Ss][Kk][Ii][Pp]/) skipped++; else passed++; print; next }
/^not ok / { results++; failed++; suite_failed = 1; print; next }
/^#/ { print; next }
END {
	finish_suite()
	if (!began || !ended) {
		printf "not ok - %s: VM did not finish (qemu exit %d; timeout, panic or hang)\n", name, qemu_rc
		failed++
	}
	hits = 0
	while ((getline line < console) > 0) {
		if (line ~ splat && line !~ /[Cc]ommand line:/) {
			if (!hits)
				printf "# %s: kernel reports in %s:\n", name, console
			if (hits < 40)
				print "#   " line
			hits++
		}
	}
	if (hits) {
		printf "not ok - %s: %d kernel report line(s) in the console log\n", name, hits
		failed++
	} else {
		printf "ok - %s: console log clean\n", name
		passed++
	}
	printf "# %s: %d passed, %d failed, %d skipped\n", name, passed, failed, skipped
	printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped
	exit failed ? 1 : 0
}' "$payload"
