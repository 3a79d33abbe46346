#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make lint: the static checks, in seconds. Prints one line per check,
# "ok - NAME" or "not ok - NAME: why" with the findings under it, and last
#   N passed, N failed
#
#   lint.sh [--cache DIR] [--kver VER]
#
#   checkpatch.pl --strict on the module, its trace header, the selftests
#     and tools (exceptions below)
#   kernel-doc -none on every header with kernel-doc comments
#   ShellCheck on every shell script (.shellcheckrc at the top)
#   sparse: the module for VER (default the Debian 6.1 kernel) built with
#     C=2 W=1, in build/lint: no warning
#   layering: in that build, each object uses (mpx_* symbols) only objects
#     Kbuild lists before it (layering.sh)
#   man pages: groff -man -ww renders each without a warning
#   versions: debian/changelog carries VERSION's version
#   the rig's judge: tap-summary.sh fails each fault planted in a clean
#     run (tap-summary-test.sh)
#
# checkpatch.pl and kernel-doc come from linux-source-6.1 into CACHE
# (default /var/cache/mpx), shellcheck and sparse from Debian: make deps.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../vm/lib.sh
. "$top/selftests/vm/lib.sh"
cache=/var/cache/mpx
kver=""
while [ $# -gt 0 ]; do
	case $1 in
	--cache) cache=$2; shift 2 ;;
	--kver) kver=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "lint.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$kver" ] || kver=$("$top/selftests/vm/kver.sh")
cd "$top" || exit 1
passed=0 failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# check NAME CMD...: one check; CMD's output is its findings.
check()
{
	local name=$1 n t

	shift
	t=$SECONDS
	if "$@" >"$out" 2>&1; then
		echo "ok - $name ($((SECONDS - t)) s)"
		passed=$((passed + 1))
	else
		n=$(grep -c . "$out")
		echo "not ok - $name: $n line(s) of findings ($((SECONDS - t)) s)"
		sed -n '1,40s/^/#   /p' "$out"
		failed=$((failed + 1))
	fi
}

# checkpatch.pl --strict on FILEs, on every CPU.
checkpatch()
{
	xargs -r -n 1 -P "$(nproc)" perl "$cache/scripts/checkpatch.pl" \
		--no-tree --strict --quiet --show-types \
		--ignore LINUX_VERSION_CODE "$@" -f
}

# Module sources. Ignored: LINUX_VERSION_CODE (the one version check in
# mpx_compat.h, which says why it cannot be a feature test).
kernel_files()
{
	local f

	for f in *.c include/*.h include/uapi/linux/*.h; do
		[[ $f == *.mod.c ]] || echo "$f"
	done
}
# The trace header also ignores the layout TRACE_EVENT() requires.
trace_files() { kernel_files | xargs grep -l '^#define TRACE_SYSTEM'; }
# User-space code (selftests, tools) is held to the same rules except what
# has no user-space meaning or fights the kselftest harness: BIT() and
# __aligned() do not exist there, volatile sig_atomic_t is right in signal
# handlers, the harness's EXPECT/ASSERT expand to two statements (braces),
# mishandle bare pointers on 32-bit (!= NULL) and take flow control
# (SKIP(return, ...)), and asm strings name instructions like functions.
user_ignore=BIT_MACRO,PREFER_DEFINED_ATTRIBUTE_MACRO,VOLATILE,BRACES,COMPARISON_TO_NULL,MACRO_WITH_FLOW_CONTROL,MACRO_ARG_REUSE,EMBEDDED_FUNCTION_NAME,CAMELCASE
user_files() { printf '%s\n' selftests/*.[ch] tools/*/*.[ch]; }

checkpatch_kernel() { kernel_files | grep -vxF -f <(trace_files) | checkpatch; }
checkpatch_trace() { trace_files | checkpatch --ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT; }
checkpatch_user() { user_files | checkpatch --ignore "$user_ignore"; }

kernel_doc()
{
	local f rc=0

	while IFS= read -r f; do
		perl "$cache/scripts/kernel-doc" -none -Werror "$f" || rc=1
	done < <(grep -l '^/\*\*$' include/*.h include/uapi/linux/*.h)
	return $rc
}

# Every shell script: *.sh and whatever starts with a shell's #!.
shell_scripts()
{
	local f re='^#!(/usr)?/bin/(env )?(ba|da)?sh'

	find . \( -path ./.git -o -path ./build \) -prune -o -type f -print |
		while IFS= read -r f; do
			if [[ $f == *.sh ]] ||
			   [[ $(head -c 64 "$f" | tr -d '\0') =~ $re ]]; then
				echo "$f"
			fi
		done
}

shellcheck_all() { shell_scripts | xargs -r shellcheck; }

# Kbuild passes C=2 to sparse for every file, W=1 to gcc; any warning fails.
sparse()
{
	"$top/selftests/vm/kbuild.sh" --cache "$cache" --dir build/lint \
		"$kver" C=2 W=1 modules >build/lint.log 2>&1 ||
		{ tail -n 20 build/lint.log; return 1; }
	! grep -E '(warning|error):' build/lint.log
}

# Every man page renders without a warning, at two widths.
man_pages()
{
	local f w rc=0

	for f in $(git ls-files '*.[1-9]'); do
		for w in 65 80; do
			MANWIDTH=$w groff -man -ww -z -rLL=${w}n "$f" 2>&1 |
				sed "s|^|$f: |" | grep . && rc=1
		done
	done
	return $rc
}

# The version is VERSION's; debian/changelog must name the same one.
versions()
{
	local v d

	v=$(cat VERSION)
	d=$(dpkg-parsechangelog -l debian/changelog -S Version)
	[ "$d" = "$v" ] || echo "debian/changelog has $d, VERSION has $v"
	[ "$d" = "$v" ]
}

mkdir -p build
check "checkpatch --strict (module)" checkpatch_kernel
check "checkpatch --strict (trace header)" checkpatch_trace
check "checkpatch --strict (selftests, tools)" checkpatch_user
check "kernel-doc -none (headers)" kernel_doc
check "shellcheck (every shell script)" shellcheck_all
check "sparse C=2 W=1 ($kver)" sparse
check "man pages (groff -ww)" man_pages
check "one version (VERSION, debian/changelog)" versions
check "tap-summary.sh fails each planted fault" "$here/tap-summary-test.sh"
if [ -f build/lint/mpx.ko ]; then
	check "layering (Kbuild's object order)" "$here/layering.sh" build/lint
else
	echo "not ok - layering (Kbuild's object order): no build to read"
	failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
