#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-packages: the Debian packages, built and used as a user would.
#
#   check.sh [--cache DIR] [--cpu MODEL]
#
# On the host: make deb-build (dpkg-buildpackage -us -uc -b in build/deb) and
# lintian --fail-on error,warning on the result. Then in a Debian
# bookworm VM booted with systemd and udev (selftests/vm/debvm.sh, on the
# rig's Debian 6.1 kernel): install-test.sh installs the packages with apt
# (DKMS builds the module in the VM), and uses them: the static /dev/mpx
# node, an unprivileged first open, modinfo, a pkg-config build, the
# selftests (all but the torture suite, which loads its own module file)
# and mpxctl demo against the installed module, trace-cmd, perf and
# bpftrace, apt remove. Prints "ok - "/"not ok - " lines and last
#   N passed, N failed, N skipped
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../vm/lib.sh
. "$top/selftests/vm/lib.sh"
cache=/var/cache/mpx
cpu=max
while [ $# -gt 0 ]; do
	case $1 in
	--cache) cache=$2; shift 2 ;;
	--cpu) cpu=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "check.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
cd "$top" || exit 1
passed=0 failed=0 skipped=0
stage=build/pkg

host_check()
{
	local name=$1 log=$2

	shift 2
	if "$@" >"$log" 2>&1; then
		echo "ok - $name"
		passed=$((passed + 1))
	else
		echo "not ok - $name (log $log)"
		tail -n 20 "$log" | sed 's/^/#   /'
		failed=$((failed + 1))
		return 1
	fi
}

lintian_clean()
{
	lintian --fail-on error,warning -I --pedantic build/deb/*.changes
}

mkdir -p "$stage"
if host_check "make deb-build" "$stage/deb.log" make --no-print-directory deb-build; then
	host_check "lintian: no error, no warning (pedantic shown)" \
		"$stage/lintian.log" lintian_clean
	sed -n '/^[EWIPN]: /s/^/# /p' "$stage/lintian.log"
	rm -rf "$stage/files"
	mkdir -p "$stage/files/suites"
	cp build/deb/*.deb "$stage/files/"
	rm -f "$stage/files/"*-dbgsym_*.deb
	for t in selftests/*_test selftests/mpx_worker; do
		case $t in *torture_test) continue ;; esac
		cp "$t" "$stage/files/suites/"
	done
	args=()
	for f in "$stage/files/"*; do
		args+=(--file "$f")
	done
	log=$(mktemp)
	MPX_GUEST_ENV="MPX_FUZZ_CALLS=20000 ${MPX_GUEST_ENV:-}" \
		selftests/vm/debvm.sh --cache "$cache" --cpu "$cpu" \
		--out "build/debvm/install-$cpu" \
		--payload selftests/pkg/install-test.sh "${args[@]}" | tee "$log"
	sum=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	rm -f "$log"
	if [[ $sum =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)? ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
		skipped=$((skipped + ${BASH_REMATCH[4]:-0}))
	else
		echo "not ok - install test in the Debian VM: no summary"
		failed=$((failed + 1))
	fi
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
