#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mpx_profile.sh - where the time of an mpx() call goes, call by call.
#
# As root, with mpx.ko loaded and tracefs mounted; busybox sh and awk are
# enough. Cases: INFO, GET, CHECK, CREATE, ENABLE, DISABLE, FREE, GET with
# mpx_enter/mpx_exit recorded (the kprobe/kretprobe pair armed), and
# getppid and the pkey syscalls for reference. For each it
#
#  1. times the calls with no tracer (mpx_profile_drv OP N: ns per call,
#     and the XSAVE/XRSTOR count per call from debugfs mpx/state); for the
#     traced GET with mpx_enter alone, then both events, so that the probe
#     mechanics and the event writes come apart by difference;
#  2. records them with the function_graph tracer (funcgraph-duration,
#     set_graph_function on the syscall's entry point, max_graph_depth
#     DEPTH, DEPTH + 2 for CREATE to FREE) and prints, per path of the
#     call tree, the time per call (the sum over the calls / the number
#     of calls), its share of the call, its self time (less its recorded
#     children), how often it runs per call and how many recorded
#     functions its subtree holds; then INFO, GET, CHECK and ENABLE again
#     at depth 3;
#  3. hooks one function at a time (set_ftrace_filter) and prints its
#     inclusive time per call less the tracer's bias (see focused()).
#
# The tracer costs about a microsecond under TCG for each function it
# records (and a little for each one it passes): that inflates the
# figures of 2, so read its shares against INFO's, weighing a row by its
# "fns" column; 3 has the tracer on one function only. Rows under MIN
# percent of the call are left out. The kprobe handlers run from the
# ftrace callback of mpx_syscall(), the graph shows them under mpx_ioctl;
# the trace event writers are notrace and count as their callers' self
# time. In hardware mode the module is then reloaded with force_sw=1 and
# everything is done again in software mode.
#
# Environment: MPX_PROFILE_N (recorded calls per case, 200), _FN (the
# same, one function hooked at a time, 1000), _TN (timed
# calls, 20000; life cycles an eighth), _DEPTH (max_graph_depth, 6), _MIN
# (percent, 1), _DRV (the driver; default: mpx_profile_drv in PATH or
# next to this script). The module parameter "remote" is set to off during
# the run, as mpx_bench does for all but its pvm figures.
#
# Prints TAP: "1..1" and "ok 1 profile" when it ran, the figures as "# "
# lines; exit status 4 (kselftest's skip) when it cannot run here.

T=/sys/kernel/tracing
STATE=/sys/kernel/debug/mpx/state
REMOTE=/sys/module/mpx/parameters/remote
EV=$T/events/mpx
N=${MPX_PROFILE_N:-200}
FN=${MPX_PROFILE_FN:-1000}
TN=${MPX_PROFILE_TN:-20000}
DEPTH=${MPX_PROFILE_DEPTH:-6}
MIN=${MPX_PROFILE_MIN:-1}
TMP=${TMPDIR:-/tmp}/mpx_profile.$$

echo "TAP version 13"
echo "1..1"

skip()
{
	echo "ok 1 profile # SKIP $*"
	exit 4
}

drv=${MPX_PROFILE_DRV:-}
if [ -z "$drv" ]; then
	drv=$(command -v mpx_profile_drv) ||
		drv=$(dirname "$0")/mpx_profile_drv
fi
[ "$(id -u)" = 0 ] || skip "not root"
[ -x "$drv" ] || skip "no mpx_profile_drv"
[ -e /sys/module/mpx ] || skip "mpx.ko not loaded"
[ -w $T/current_tracer ] || skip "no tracefs at $T"
grep -qw function_graph $T/available_tracers || skip "no function_graph tracer"
mkdir -p "$TMP" || skip "no $TMP"

old_remote=$(cat $REMOTE 2>/dev/null)
# "7 (expanded: 1408)" until the buffer was first used.
old_bufsize=$(sed 's/.*expanded: *\([0-9]*\).*/\1/' $T/buffer_size_kb)

# Leave tracefs and the module as they were.
cleanup_tracing()
{
	echo 0 > $T/tracing_on
	echo nop > $T/current_tracer
	echo > $T/set_graph_function
	echo > $T/set_ftrace_filter
	echo > $T/set_ftrace_pid
	echo 0 > $T/max_graph_depth
	for e in mpx_enter mpx_exit; do
		echo 0 > $EV/$e/enable
	done
	echo > $T/trace
	echo "$old_bufsize" > $T/buffer_size_kb
	echo 1 > $T/tracing_on
	[ -z "$old_remote" ] || echo "$old_remote" > $REMOTE
}

cleanup()
{
	cleanup_tracing
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The traceable functions, once (a long file).
cat $T/available_filter_functions > "$TMP/funcs"
nmod=$(grep -c '\[mpx\]' "$TMP/funcs")
echo "# kernel $(uname -r), $nmod traceable functions in mpx.ko"

# The names of $@ that can be traced (module functions without "[mpx]").
traceable()
{
	for f; do
		grep -qE "^$f( \[mpx\])?\$" "$TMP/funcs" && printf '%s ' "$f"
	done
}

# A system call's entry point: __x64_sys_NAME, __arm64_sys_NAME, ...
sysfn()
{
	for p in __x64_sys_ __arm64_sys_ sys_; do
		if grep -qx "$p$1" "$TMP/funcs"; then
			echo "$p$1"
			return
		fi
	done
	echo "sys_$1"
}

IOCTL=$(sysfn ioctl)
PKEY="$(sysfn pkey_alloc) $(sysfn pkey_mprotect) $(sysfn pkey_free)"
PROBED=$(traceable mpx_enter_pre mpx_exit_entry mpx_exit_ret \
	trace_event_raw_event_mpx_enter trace_event_raw_event_mpx_exit \
	pre_handler_kretprobe kretprobe_rethook_handler kprobe_ftrace_handler)

events()	# enter exit: 0 or 1 each
{
	echo "$1" > $EV/mpx_enter/enable
	echo "$2" > $EV/mpx_exit/enable
}

fpu_live()
{
	awk '$1 == "fpu_live" { print $2 }' $STATE 2>/dev/null
}

# Untraced timing: the driver's line, and XSAVE+XRSTOR per call in hw mode.
timed()	# label op n calls-per-unit
{
	x0=$(fpu_live)
	line=$("$drv" "$2" "$3")
	rc=$?
	x1=$(fpu_live)
	xs=""
	if [ -n "$x0" ] && [ -n "$x1" ]; then
		xs=$(awk -v d=$((x1 - x0)) -v n="$3" -v u="$4" \
			'BEGIN { printf ", %.2f XSAVE/XRSTOR per call", d / n / u }')
	fi
	echo "# time $1: ${line#\# drv: }$xs"
	[ $rc -eq 0 ] || echo "# time $1: driver exit $rc"
}

# The untraced figures.
timings()
{
	[ -z "$old_remote" ] || echo off > $REMOTE
	echo nop > $T/current_tracer
	events 0 0
	echo 1 > $T/tracing_on
	echo "# -- untraced (tracer nop): ns per call"
	LN=$((TN / 8))
	timed getppid getppid "$TN" 1
	timed INFO info "$TN" 1
	timed GET get "$TN" 1
	timed CHECK check "$TN" 1
	# The driver runs these twice: once with a clock read around each call.
	timed "life cycle" life "$LN" 8
	timed pkey pkey "$LN" 6
	events 1 0
	timed "GET, mpx_enter on" get "$TN" 1
	events 1 1
	timed "GET, both on" get "$TN" 1
	events 0 0
}

# Sum a function_graph trace by call-tree path; one "# " row per path.
profile()	# label calls roots...
{
	label=$1
	calls=$2
	shift 2
	awk -v calls="$calls" -v min="$MIN" -v roots=" $* " -v label="$label" '
	BEGIN { top = -1 }
	function parent(p,   i) {
		i = length(p)
		while (i > 0 && substr(p, i, 1) != ">")
			i--
		return i ? substr(p, 1, i - 1) : ""
	}
	function add(p, dur, fns, d,   q) {
		if (!(p in sum)) {
			ord[p] = ++nord
			path[nord] = p
			dep[p] = d
		}
		sum[p] += dur
		cnt[p]++
		nf[p] += fns
		q = parent(p)
		if (q != "")
			kids[q] += dur
	}
	/^#/ { next }
	{
		i = index($0, "|")
		if (!i)
			next
		left = substr($0, 1, i - 1)
		rest = substr($0, i + 1)
		dur = 0
		if (match(left, /[0-9]+(\.[0-9]+)? us/))
			dur = substr(left, RSTART, RLENGTH - 3) + 0
		match(rest, /^ */)
		d = (RLENGTH - 2) / 2
		rest = substr(rest, RLENGTH + 1)
		gsub(/ \[mpx\]/, "", rest)
		if (rest ~ /^\/\*/) {
			nev++
			next
		}
		if (rest ~ /^}/) {
			if (top >= 0 && d == rd[top]) {
				add(stk[top], dur, nfunc - start[top], top)
				top--
			} else {
				top = -1
			}
			next
		}
		name = rest
		sub(/\(\).*/, "", name)
		# A root starts a call; a function deeper than one level
		# below its recorded parent ran where the tracer saw none
		# of the levels between: marked "~".
		if (top >= 0 && d <= rd[top])
			top = -1
		if (top < 0 && !index(roots, " " name " "))
			next
		if (top >= 0 && d > rd[top] + 1)
			name = "~" name
		lvl = top + 1
		p = lvl ? stk[top] ">" name : name
		nfunc++
		if (rest ~ /\) [{]$/) {
			stk[lvl] = p
			rd[lvl] = d
			start[lvl] = nfunc - 1
			top = lvl
		} else {
			add(p, dur, 1, lvl)
		}
	}
	END {
		for (k = 1; k <= nord; k++)
			if (dep[path[k]] == 0)
				total += sum[path[k]]
		printf "0\t# %s: %d calls, %.2f us per call under the tracer, %.1f functions recorded per call, %.2f events per call\n", \
			label, calls, total / calls, nfunc / calls, nev / calls
		print "1\t#  us/call  share   self  calls   fns  function"
		for (k = 1; k <= nord; k++) {
			p = path[k]
			if (total <= 0 || 100 * sum[p] / total < min)
				continue
			key = ""
			for (q = p; q != ""; q = parent(q))
				key = sprintf("%05d.", ord[q]) key
			name = p
			sub(/.*>/, "", name)
			ind = sprintf("%" (2 * dep[p] + 1) "s", "")
			printf "2.%s\t#  %7.2f %5.1f%% %6.2f %6.2f %5.1f %s%s\n", \
				key, sum[p] / calls, 100 * sum[p] / total, \
				(sum[p] - kids[p]) / calls, cnt[p] / calls, \
				nf[p] / cnt[p], ind, name
		}
	}' | sort | cut -f2-
}

# One recorded case: label op roots...; the driver records only its calls.
graphed()
{
	label=$1
	op=$2
	shift 2
	echo "$*" > $T/set_graph_function
	echo > $T/trace
	out=$("$drv" -t "$op" "$N")
	rc=$?
	echo 0 > $T/tracing_on
	echo > $T/set_ftrace_pid
	echo "# $label: under the tracer ${out#\# drv: }"
	[ $rc -eq 0 ] || echo "# $label: driver exit $rc"
	cat $T/trace > "$TMP/trace"
	profile "$label" "$N" "$@" < "$TMP/trace"
}

# The recorded figures.
graphs()
{
	echo 0 > $T/tracing_on
	echo 16384 > $T/buffer_size_kb
	echo function_graph > $T/current_tracer
	for o in duration tail; do
		echo 1 > "$T/options/funcgraph-$o"
	done
	for o in cpu proc overhead irqs abstime; do
		[ -e "$T/options/funcgraph-$o" ] &&
			echo 0 > "$T/options/funcgraph-$o"
	done
	echo "$DEPTH" > $T/max_graph_depth
	echo "# -- function_graph, max_graph_depth $DEPTH, $N calls per case, rows >= $MIN%"
	echo "# columns: us per call; share of the call; self us (less recorded children); runs per call; functions recorded per run"
	graphed INFO info "$IOCTL"
	graphed GET get "$IOCTL"
	graphed CHECK check "$IOCTL"
	echo "$((DEPTH + 2))" > $T/max_graph_depth
	echo "# (CREATE to FREE at max_graph_depth $((DEPTH + 2)))"
	graphed CREATE create "$IOCTL"
	graphed ENABLE enable "$IOCTL"
	graphed DISABLE disable "$IOCTL"
	graphed FREE free "$IOCTL"
	echo "$DEPTH" > $T/max_graph_depth
	events 1 1
	# shellcheck disable=SC2086 # lists of function names
	graphed "traced GET" get "$IOCTL" $PROBED
	events 0 0
	# shellcheck disable=SC2086
	graphed pkey pkey $PKEY
	# Fewer recorded functions, less tracer in the figures.
	echo 3 > $T/max_graph_depth
	echo "# -- the same at max_graph_depth 3"
	for c in INFO:info GET:get CHECK:check ENABLE:enable; do
		graphed "${c%:*} (depth 3)" "${c#*:}" "$IOCTL"
	done
	echo "$DEPTH" > $T/max_graph_depth
}

# One function hooked at a time (set_ftrace_filter), so that nothing
# else of the call pays for the tracer: its inclusive time per call of
# OP, less the bias (the time the tracer adds to one recorded run of a
# function, taken as the recorded time of CALIB, a function of the same
# call that does next to nothing: the tracer's cost under TCG depends on
# what ran before, so it is measured in each case).

# Sum the recorded runs of $1 in the trace: "sum count".
recorded()	# function op
{
	echo "$1" > $T/set_ftrace_filter
	echo "$1" > $T/set_graph_function
	echo > $T/trace
	"$drv" -t "$2" "$FN" > /dev/null
	echo 0 > $T/tracing_on
	echo > $T/set_ftrace_pid
	awk -v f="$1" '
	/^#/ { next }
	{
		i = index($0, "|")
		if (!i || !match(substr($0, 1, i - 1), /[0-9]+(\.[0-9]+)? us/))
			next
		d = substr($0, RSTART, RLENGTH - 3) + 0
		rest = substr($0, i + 1)
		gsub(/ \[mpx\]/, "", rest)
		sub(/^ */, "", rest)
		if (rest == f "();" || rest == "} /* " f " */") {
			sum += d
			cnt++
		}
	}
	END { print sum + 0, cnt + 0 }' $T/trace
}

focused()	# label op calib functions...
{
	label=$1
	op=$2
	calib=$3
	shift 3
	# shellcheck disable=SC2046 # two numbers
	set -- $(recorded "$calib" "$op") "$@"
	bias=$(awk -v s="$1" -v c="$2" 'BEGIN { printf "%.2f", c ? s / c : 0 }')
	shift 2
	echo "# $label: bias $bias us per run ($calib); us per call: recorded, less the bias; runs per call"
	for f; do
		if ! grep -qE "^$f( \[mpx\])?\$" "$TMP/funcs"; then
			echo "#   $f: not traceable"
			continue
		fi
		recorded "$f" "$op" | awk -v f="$f" -v n="$FN" -v b="$bias" '{
			printf "#   %-32s %7.2f %7.2f %5.2f\n", f, $1 / n,
				($1 - $2 * b) / n, $2 / n }'
	done
}

# The recorded functions one at a time.
focus()
{
	echo 0 > $T/tracing_on
	echo function_graph > $T/current_tracer
	echo 1 > $T/max_graph_depth
	echo "# -- one function hooked at a time, $FN calls"
	focused INFO info mpx_keys_max "$IOCTL" security_file_ioctl mpx_ioctl
	focused GET get __rcu_read_lock "$IOCTL" security_file_ioctl \
		mpx_ioctl mpx_syscall mpx_key_get mpx_key_snapshot xas_load \
		mpx_bnd_find mpx_bnd_regs_init
	focused CHECK check mpx_valid_region "$IOCTL" mpx_ioctl mpx_syscall \
		mpx_key_check mpx_key_snapshot
	focused CREATE create mpx_valid_region "$IOCTL" mpx_ioctl \
		mpx_key_create mpx_region_mapped find_vma mpx_key_reserve \
		__xa_alloc_cyclic xa_store \
		mutex_lock_killable kmalloc_trace kmem_cache_alloc_lru \
		mpx_key_event.isra.0 mutex_unlock
	focused ENABLE enable mpx_hw_mode "$IOCTL" mpx_ioctl \
		mpx_key_enable_check mpx_remote_get mpx_key_enable \
		mpx_key_locked mpx_do_enable mpx_bnd_load mpx_bnd_access \
		mpx_spans_insert mpx_remote_put \
		mutex_lock_killable mutex_unlock
	focused DISABLE disable mpx_hw_mode "$IOCTL" mpx_ioctl \
		mpx_key_disable mpx_key_locked mpx_do_disable mpx_bnd_unload \
		mpx_bnd_regs_init mpx_bnd_access mpx_spans_remove
	focused FREE free mpx_hw_mode "$IOCTL" mpx_ioctl mpx_key_free \
		mpx_key_locked mpx_do_free mpx_bnd_unload mpx_bnd_regs_init \
		__local_bh_enable_ip xa_erase kvfree_call_rcu call_rcu
	events 1 1
	focused "traced GET" get __rcu_read_lock "$IOCTL" mpx_ioctl \
		mpx_syscall kprobe_ftrace_handler aggr_pre_handler \
		pre_handler_kretprobe mpx_enter_pre mpx_exit_entry \
		kretprobe_rethook_handler mpx_exit_ret
	events 0 0
	echo > $T/set_ftrace_filter
	echo > $T/set_graph_function
	echo "$DEPTH" > $T/max_graph_depth
}

mode()
{
	awk '$1 == "mode" { print $2 }' $STATE 2>/dev/null
}

echo "# -- $(mode) mode"
timings
graphs
focus
cleanup_tracing
# Software mode on the same CPU, where the module can be reloaded.
if [ "$(mode)" = hw ] && [ "${MPX_PROFILE_SW:-1}" != 0 ] &&
   [ -r "${MPX_KO:-}" ] && rmmod mpx && insmod "$MPX_KO" force_sw=1; then
	echo "# -- $(mode) mode (mpx.ko reloaded with force_sw=1)"
	timings
	graphs
	focus
	cleanup_tracing
	rmmod mpx && insmod "$MPX_KO" ||
		echo "# reloading mpx.ko without force_sw failed"
fi
echo "ok 1 profile"
