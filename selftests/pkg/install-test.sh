#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The package install test, run as root inside a Debian bookworm VM booted
# with systemd and udev (selftests/vm/debvm.sh), from the directory that
# holds the packages (*.deb, from make deb) and the selftests (suites/).
# Prints one "ok - NAME" or "not ok - NAME" line a check (findings under
# it as "# " lines), which the rig's tap-summary.sh counts.
#
#   install-test.sh [DIR]
#
# What a user does, in order: apt install the four packages (DKMS builds
# the module for the running kernel), find /dev/mpx before anything loads
# the module, open it as an unprivileged user (which loads it), modinfo,
# build a program with pkg-config, run the selftests and mpxctl demo
# against the installed module, read its events with Debian's trace-cmd,
# perf and bpftrace, and apt remove mpx-dkms again.
# shellcheck disable=SC2317 # the checks run through check()
set -uo pipefail

dir=${1:-$(dirname "$0")}
cd "$dir" || exit 1
user=mpxuser
prog_dir=/tmp/mpx-prog
prog=$prog_dir/prog
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# check NAME CMD...: one TAP line; CMD's output goes under it on failure.
check()
{
	local name=$1

	shift
	if "$@" >"$log" 2>&1; then
		echo "ok - $name"
	else
		echo "not ok - $name"
		sed -n '1,40s/^/#   /p' "$log"
		status=1
	fi
}

skip() { echo "ok - $1 # SKIP $2"; }

loaded() { grep -q '^mpx ' /proc/modules; }
unloaded() { ! loaded; }

# The module must not be loaded by installing it: only by its first use.
install_pkgs()
{
	DEBIAN_FRONTEND=noninteractive apt-get install -y \
		./mpx-dkms_*.deb ./libmpx1_*.deb ./libmpx-dev_*.deb \
		./mpx-tools_*.deb
}

dkms_installed()
{
	dkms status | tee /dev/stderr | grep -q "^mpx/.*$(uname -r).*installed"
}

# At boot, kmod-static-nodes lists the static nodes of modules.devname
# for systemd-tmpfiles-setup-dev to create, and udevd gives them the
# modes of static_node rules when it starts. The package was installed
# after boot: do the same.
static_nodes()
{
	grep -w mpx "/lib/modules/$(uname -r)/modules.devname" &&
		systemctl restart kmod-static-nodes &&
		cat /run/tmpfiles.d/static-nodes.conf &&
		systemd-tmpfiles --prefix=/dev --create --boot &&
		systemctl restart systemd-udevd &&
		udevadm settle
}

node_ready()
{
	local st

	st=$(stat -c '%F %a %U' /dev/mpx) || return 1
	echo "/dev/mpx: $st"
	[ "$st" = "character special file 666 root" ]
}

# The unprivileged first open, through libmpx (mpxctl info).
user_first_open()
{
	runuser -u "$user" -- mpxctl info && loaded
}

modinfo_version()
{
	local v

	v=$(modinfo -F version mpx) || return 1
	echo "modinfo: $v, package: $(dpkg-query -W -f '${Version}' mpx-dkms)"
	[ "$v" = "$(dpkg-query -W -f '${Version}' mpx-dkms)" ]
}

# A user program built with pkg-config against the installed library.
user_program()
{
	local tmp=$prog_dir

	mkdir -p "$tmp" && chown "$user" "$tmp" || return 1
	cat >"$tmp/prog.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <libmpx.h>

int main(void)
{
	long len = sysconf(_SC_PAGESIZE);
	char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int key = mpx(buf, len, 0, MPX_OP_CREATE);

	if (key < 1 || mpx(NULL, 0, key, MPX_OP_ENABLE) ||
	    mpx(buf, 16, key, MPX_OP_CHECK) ||
	    mpx(buf + len - 8, 16, key, MPX_OP_CHECK) != -1 ||
	    errno != ERANGE || mpx(NULL, 0, key, MPX_OP_DISABLE) ||
	    mpx(NULL, 0, key, MPX_OP_FREE)) {
		perror("mpx");
		return 1;
	}
	printf("key %d: created, enabled, checked, freed\n", key);
	return 0;
}
EOF
	chown "$user" "$tmp/prog.c"
	runuser -u "$user" -- sh -c \
		"cd $tmp && cc -Wall -o prog prog.c \$(pkg-config --cflags --libs mpx) && ./prog && ldd ./prog" |
		tee "$tmp/out"
	grep -q 'libmpx.so.1 =>' "$tmp/out" && grep -q 'checked, freed' "$tmp/out"
}

# The project's own suites against the installed module (no MPX_KO: the
# tests that load and unload a module file say SKIP). Their whole output
# goes back to the host (OUT/out/selftests.log); the failures show here.
selftests()
{
	local t rc=0 all=out/selftests.log

	mkdir -p out && : >"$all"
	for t in suites/*_test; do
		[ -x "$t" ] || continue
		echo "# $t" >>"$all"
		if MPXCTL=/usr/sbin/mpxctl PATH=$PWD/suites:$PATH "$t" >>"$all" 2>&1; then
			echo "ok - $t"
		else
			echo "not ok - $t"
			rc=1
		fi
	done
	grep -E '^not ok|Expected|FAIL' "$all"
	return "$rc"
}

demo() { mpxctl demo; }

# The events, read by Debian's own clients: names, not numbers.
# names_in FILE: a client's output of the user program's events shows
# op=CREATE, created, source=CHECK and ERANGE, and no raw op or source.
names_in()
{
	grep -E 'mpx_key|mpx_violation|mpx_exit.*CHECK' "$1"
	grep -q 'mpx_enter.*op=CREATE' "$1" &&
		grep -q 'mpx_key.*created' "$1" &&
		grep -q 'mpx_violation.*source=CHECK' "$1" &&
		grep -q 'mpx_exit.*op=CHECK.*ret=-34 ERANGE' "$1" &&
		! grep -E 'op=0x|source=0x' "$1"
}

trace_cmd_names()
{
	trace-cmd record -q -o /tmp/mpx.dat -e mpx "$prog" >/dev/null &&
		trace-cmd report -i /tmp/mpx.dat >/tmp/report.txt || return 1
	# Back to the host (debvm.sh's OUT/out), to read with other clients.
	mkdir -p out && cp /tmp/mpx.dat out/
	names_in /tmp/report.txt
}

perf_names()
{
	perf record -q -o /tmp/perf.data -e 'mpx:*' "$prog" >/dev/null &&
		perf script -i /tmp/perf.data >/tmp/script.txt 2>/dev/null ||
		return 1
	names_in /tmp/script.txt
}

# perf trace prints tracepoint arguments with its syscall beautifiers by
# default; --libtraceevent_print makes it use the event's print format, as
# perf script does.
perf_trace_names()
{
	perf trace --no-syscalls --libtraceevent_print -e 'mpx:*' \
		-o /tmp/ptrace.txt -- "$prog" >/dev/null || return 1
	names_in /tmp/ptrace.txt
}

# bpftrace reads the raw fields: count the calls by op number.
bpftrace_counts()
{
	local out

	out=$(bpftrace -q -e 'tracepoint:mpx:mpx_enter /pid == cpid/ { @ops[args->op] = count(); }' \
		-c "$prog") || return 1
	echo "$out"
	# CREATE, ENABLE, CHECK twice, DISABLE, FREE: five ops, CHECK twice.
	[ "$(grep -c '^@ops\[' <<<"$out")" -eq 5 ] &&
		grep -q ': 2$' <<<"$out"
}

# Removing the package removes the module's files; it unloads nothing
# (mpx stays loaded until rmmod, as any module whose file goes away).
remove_pkg()
{
	local before after

	before=$(cut -d' ' -f1 /proc/modules | sort)
	DEBIAN_FRONTEND=noninteractive apt-get remove -y mpx-dkms || return 1
	after=$(cut -d' ' -f1 /proc/modules | sort)
	[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after"); return 1; }
}

nothing_left()
{
	local left

	left=$(dkms status)
	[ -z "$left" ] || { echo "dkms status: $left"; return 1; }
	left=$(ls -d /usr/src/mpx-* /lib/modules/*/updates/dkms/mpx.ko* \
		/var/lib/dkms/mpx /lib/udev/rules.d/60-mpx.rules 2>/dev/null)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}

status=0
check "mpx not loaded before the install" unloaded
check "apt install ./mpx-dkms ./libmpx1 ./libmpx-dev ./mpx-tools" install_pkgs
check "dkms status: mpx installed for $(uname -r)" dkms_installed
check "installing loaded nothing" unloaded
check "static node /dev/mpx from modules.devname" static_nodes
check "/dev/mpx is crw-rw-rw- root before the module is loaded" node_ready
check "still not loaded" unloaded
check "$user's first open of /dev/mpx loads the module" user_first_open
check "modinfo mpx: the package's version" modinfo_version
check "cc prog.c \$(pkg-config --cflags --libs mpx), run as $user" user_program
if [ -d suites ]; then
	check "selftests against the installed module" selftests
else
	skip "selftests against the installed module" "no suites/ given"
fi
check "mpxctl demo" demo
if [ -x "$prog" ]; then
	check "trace-cmd report: op=CREATE, created, source=CHECK, ERANGE" trace_cmd_names
	check "perf script: op=CREATE, created, source=CHECK, ERANGE" perf_names
	check "perf trace --libtraceevent_print: op=CREATE, created, source=CHECK, ERANGE" perf_trace_names
	check "bpftrace: calls counted by op" bpftrace_counts
else
	for c in trace-cmd perf bpftrace; do
		skip "$c" "the user program did not build"
	done
fi
check "apt remove mpx-dkms: every loaded module stays loaded" remove_pkg
check "rmmod mpx" rmmod mpx
check "nothing left: dkms status empty, no mpx files" nothing_left
exit $status
