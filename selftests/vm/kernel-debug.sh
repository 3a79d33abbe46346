# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154 # $cache, $here, $top: the sourcing script's
#
# The debug kernel 6.1.N-debug of make check-debug, for kernel.sh (sourced).
# Built from Debian's linux-source-6.1 (the .deb shared with deps.sh, see
# lib.sh) out of the kernel's own config fragments: make tinyconfig, then
# scripts/kconfig/merge_config.sh with kernel/configs/kvm_guest.config,
# kernel/configs/debug.config and the project's own debug.config (next to
# this file: what those two lack or get wrong for the test VM), then one
# make olddefconfig; the build fails when any option of the fragments did
# not end as requested. Source in CACHE/kernels/VER/src, build (O=) in
# .../build, ccache in CACHE/ccache; rebuilt only when the key (package
# version, the fragments, gcc) changes. The release string, VER, is the
# name kernel.sh and the module's vermagic use.

debug_suffix=-debug
# Bump when the steps below change in a way the key does not see.
debug_recipe=2

is_debug() { [[ $1 == *"$debug_suffix" ]]; }

# The debug kernel's name: the upstream version of apt's linux-source-6.1.
debug_list()
{
	local v

	v=$(source_version '*')
	[[ $v =~ ^6\.1\.[0-9]+- ]] || die "no $source_pkg in the host's apt sources"
	echo "${v%%-*}$debug_suffix"
}

debug_fragments()
{
	printf '%s\n' "$1/kernel/configs/kvm_guest.config" \
		"$1/kernel/configs/debug.config" "$here/debug.config"
}

# The cache key: what the kernel is built from, as text.
debug_key_text()
{
	local src=$1 f

	printf 'recipe=%s\npackage=%s=%s\ngcc=%s\n' "$debug_recipe" \
		"$source_pkg" "$(cat "$src/.mpx-version")" "$(gcc --version | head -n 1)"
	while IFS= read -r f; do
		printf 'fragment=%s %s\n' "$(sha256sum < "$f" | cut -c1-64)" "${f##*/}"
	done < <(debug_fragments "$src")
}

debug_key() { debug_key_text "$1" | sha256sum | cut -c1-64; }

debug_kdir() { echo "$cache/kernels/$1/build"; }
debug_image() { echo "$cache/kernels/$1/build/arch/x86/boot/bzImage"; }

# True when VER is built from the current key (and, when apt knows
# linux-source-6.1 at VER's version, from its newest package).
debug_ready()
{
	local dir=$cache/kernels/$1 version

	[ "$(stamp_get "$1" kind)" = debug ] && [ -r "$(debug_image "$1")" ] &&
		[ -f "$dir/build/Module.symvers" ] && [ -f "$dir/src/.mpx-version" ] ||
		return 1
	version=$(source_version "${1%"$debug_suffix"}")
	[ -z "$version" ] || [ "$version" = "$(cat "$dir/src/.mpx-version")" ] &&
		[ "$(stamp_get "$1" key)" = "$(debug_key "$dir/src")" ]
}

debug_make()
{
	local dir=$cache/kernels/$1

	unlocked make -C "$dir/src" O="$dir/build" "${@:2}"
}

# debug_config SRC BUILD: tinyconfig + the fragments + olddefconfig into
# BUILD/.config; fails unless every option of the fragments ended as asked.
debug_config()
{
	local src=$1 build=$2 frags

	mapfile -t frags < <(debug_fragments "$src")
	make -C "$src" O="$build" tinyconfig &&
		(cd "$build" && "$src/scripts/kconfig/merge_config.sh" -m \
			-O "$build" "$build/.config" "${frags[@]}") &&
		make -C "$src" O="$build" olddefconfig || return
	# What the fragments ask for, later ones overriding earlier ones, is
	# merge_config.sh's merge of them alone. It checks the result only
	# when it runs make itself (not with -m), so compare here the same
	# way, except that a symbol asked to be unset may also be absent.
	: > "$build/.config.none"
	(cd "$build" && KCONFIG_CONFIG=$build/.config.asked \
		"$src/scripts/kconfig/merge_config.sh" -m .config.none "${frags[@]}") ||
		return
	awk '
		FNR == NR {
			if (match($0, /^CONFIG_[A-Za-z0-9_]+=/))
				got[substr($0, 1, RLENGTH - 1)] = $0
			next
		}
		{ ok = 1 }
		/^CONFIG_[A-Za-z0-9_]+=/ { s = $0; sub(/=.*/, "", s); ok = got[s] == $0 }
		/^# CONFIG_[A-Za-z0-9_]+ is not set$/ { s = $2; ok = !(s in got) }
		!ok {
			printf "Value requested for %s not in final .config: %s, got %s\n",
				s, $0, got[s] == "" ? "unset" : got[s]
			bad = 1
		}
		END { exit bad }' "$build/.config" "$build/.config.asked"
}

# debug_build SRC BUILD: configure and build, with ccache.
debug_build()
{
	export PATH=/usr/lib/ccache:$PATH CCACHE_DIR=$cache/ccache \
		CCACHE_BASEDIR=${1%/*} CCACHE_MAXSIZE=2G \
		KBUILD_BUILD_USER=mpx KBUILD_BUILD_HOST=debug
	debug_config "$1" "$2" &&
		make -C "$1" O="$2" -j"$(nproc)" bzImage modules modules_prepare
}

debug_fetch()
{
	local ver=$1 dir=$cache/kernels/$1 version deb log start secs rel d

	version=$(source_version "${ver%"$debug_suffix"}")
	[ -n "$version" ] || die "$ver: no $source_pkg ${ver%"$debug_suffix"} in the apt sources (kernel.sh list-debug)"
	need_pkg gcc make flex bison bc libelf-dev xz-utils ccache
	log=$cache/logs/$ver-build.log
	mkdir -p "$dir" "$cache/logs"
	sed -i '/^key=/d' "$dir/.stamp" 2>/dev/null || true	# not ready while building

	if [ "$(cat "$dir/src/.mpx-version" 2>/dev/null)" != "$version" ]; then
		deb=$(source_deb "$version")
		say "$ver: unpacking $source_pkg $version"
		rm -rf "$dir/src" "$dir/.src.new" "$dir/build"
		source_unpack "$deb" "$dir/.src.new"
		echo "$version" > "$dir/.src.new/.mpx-version"
		mv "$dir/.src.new" "$dir/src"
	fi
	rel=$(make -s -C "$dir/src" kernelversion)$debug_suffix
	[ "$rel" = "$ver" ] || die "$ver: $source_pkg $version is $rel"

	say "$ver: building (tinyconfig + config fragments; log $log)"
	rm -rf "$dir/build"
	mkdir -p "$dir/build"
	debug_key_text "$dir/src" > "$log"
	start=$SECONDS
	if ! (debug_build "$dir/src" "$dir/build") >> "$log" 2>&1 7>&- 8>&- 9>&-; then
		tail -n 25 "$log" >&2
		die "$ver: the build failed (log $log)"
	fi
	secs=$((SECONDS - start))
	rel=$(cat "$dir/build/include/config/kernel.release")
	[ "$rel" = "$ver" ] || die "$ver: the build's release is $rel"
	printf 'kind=debug\nversion=%s\nkey=%s\ndir=%s\nsrc=%s\nbuild=%s\nbuilt=%s\nseconds=%s\n' \
		"$version" "$(debug_key "$dir/src")" "$dir" "$dir/src" "$dir/build" \
		"$(date -u +%FT%TZ)" "$secs" > "$dir/.stamp"
	say "$ver: built in ${secs}s"
	# Only one debug kernel is kept.
	for d in "$cache"/kernels/*"$debug_suffix"; do
		[ "$d" = "$dir" ] || [ ! -d "$d" ] || remove_tree "$d"
	done
}
