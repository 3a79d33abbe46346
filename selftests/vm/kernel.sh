#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make any kernel of the test matrix available from Debian packages, in a
# cache outside the repository, without changing what the host's own
# apt-get install picks: packages are fetched with apt-get download and
# unpacked with dpkg-deb, or installed inside a sid chroot under the cache.
#
#   kernel.sh [--cache DIR] list            the matrix, one kernel ABI a line
#   kernel.sh [--cache DIR] list-debug      the debug kernel's version (not
#                                           part of the matrix)
#   kernel.sh [--cache DIR] fetch VER       get headers and image (idempotent)
#   kernel.sh [--cache DIR] kdir VER        print the headers directory
#   kernel.sh [--cache DIR] image VER       print the bootable vmlinuz
#   kernel.sh [--cache DIR] make VER ARG... fetch, then make -C KDIR ARG...
#                                           with the toolchain VER needs
#   kernel.sh [--cache DIR] update          refresh the sid chroot's index
#
# The matrix: the installed Debian 6.1 kernel (kver.sh; headers and image
# come from make deps), the newest 6.12 +deb12 kernel of bookworm-security
# (headers, kbuild and image unpacked into DIR/kernels/VER, built with the
# host's gcc-12), the newest 7.x kernel of sid (headers and its gcc
# installed in the chroot DIR/sid, image in DIR/kernels/VER). For a sid
# kernel, make runs inside the chroot with /proc, /dev, the repository and
# any M=/MO= directory (absolute paths) bind-mounted at their own paths,
# all in a private mount namespace, so nothing stays mounted afterwards even
# when make fails or is killed; kdir prints the host's view of the chroot's
# headers, which only the chroot can build with.
#
# The debug kernel 6.1.N-debug (KASAN, KFENCE, lockdep, kmemleak, UBSAN...,
# the fragment debug.config next to this script) is built from Debian's
# linux-source-6.1 package: its .deb is kept in DIR/debs, its source
# unpacked and built (tinyconfig + debug.config, ccache in DIR/ccache) in
# DIR/kernels/6.1.N-debug, rebuilt only when the key (package version,
# sha256 of debug.config, gcc version) changes. Its release string is the
# name kernel.sh uses. kdir prints its build (O=) directory; make runs
# make -C SRC O=BUILD ARG... there.
#
# DIR defaults to /var/cache/mpx. Progress goes to stderr, results to
# stdout. Needs root.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=/var/cache/mpx
path_std=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { echo "kernel.sh: $*" >&2; }
die() { say "$*"; exit 1; }

usage()
{
	sed -n '3,/^$/{/^#/!q;s/^# \{0,1\}//p}' "$0"
}

# The URI of the host's Debian archive, from its apt sources.
mirror_uri()
{
	local codename uri=""

	codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
	if [ -r /etc/apt/sources.list.d/debian.sources ]; then
		uri=$(awk -v want="$codename" '
			BEGIN { RS = "" }
			{
				uri = ""; ok = 0
				n = split($0, line, "\n")
				for (i = 1; i <= n; i++) {
					if (line[i] ~ /^#/)
						continue
					if (line[i] ~ /^URIs:/) {
						split(line[i], f, /[ \t]+/)
						uri = f[2]
					}
					if (line[i] ~ /^Suites:/) {
						m = split(line[i], f, /[ \t]+/)
						for (j = 2; j <= m; j++)
							if (f[j] == want)
								ok = 1
					}
				}
				if (ok && uri != "") { print uri; exit }
			}' /etc/apt/sources.list.d/debian.sources)
	fi
	if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
		uri=$(sed -n "s/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) $codename .*/\2/p" \
			/etc/apt/sources.list | head -n 1)
	fi
	[ -n "$uri" ] || die "no Debian archive for $codename in the host's apt sources"
	echo "$uri"
}

# Install host tools (never kernel packages) that are missing.
need_host()
{
	local cmd=$1 pkg=$2

	command -v "$cmd" >/dev/null && return
	say "installing $pkg on the host (for $cmd)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "$pkg" >/dev/null
}

# Run a command with its output in LOG; show the end of LOG if it fails.
logged()
{
	local log=$1

	shift
	mkdir -p "${log%/*}"
	if ! "$@" >"$log" 2>&1; then
		tail -n 25 "$log" >&2
		die "failed: $* (log $log)"
	fi
}

# Refuse to delete a tree that has anything mounted under it.
remove_tree()
{
	local dir=$1

	[ -e "$dir" ] || return 0
	if awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { f = 1 }
	     END { exit !f }' /proc/self/mountinfo; then
		die "$dir has mounts under it; not removing it"
	fi
	rm -rf "$dir"
}

# Serialise changes to the cache: exclusive for fetch, shared for make.
lockfd=""
lock()
{
	if [ -z "$lockfd" ]; then
		mkdir -p "$cache"
		exec 9>"$cache/.kernel.lock"
		lockfd=9
	fi
	flock "$1" 9
}

stamp_get()
{
	sed -n "s/^$2=//p" "$cache/kernels/$1/.stamp" 2>/dev/null
}

# host: installed by make deps; deb: unpacked into the cache; sid: chroot.
kind_of()
{
	local ver=$1 kind

	kind=$(stamp_get "$ver" kind)
	if [ -n "$kind" ]; then
		echo "$kind"
	elif [ -d "/usr/src/linux-headers-$ver" ] || [ "$ver" = "$(default_61)" ]; then
		echo host
	elif apt-cache show -q "linux-headers-$ver" >/dev/null 2>&1; then
		echo deb
	else
		echo sid
	fi
}

sid_apt_cache() { chroot "$root" apt-cache "$@"; }

# The newest linux-headers-PREFIX* matching RE that apt can install,
# asked of APT (apt-cache or sid_apt_cache); prints its ABI version.
newest_candidate()
{
	local apt=$1 prefix=$2 re=$3 name

	for name in $($apt pkgnames "$prefix" | grep -E "$re" | sort -rV); do
		if [[ $($apt policy "$name" 2>/dev/null) == *"Candidate: "[0-9]* ]]; then
			echo "${name#linux-headers-}"
			return
		fi
	done
}

default_61()
{
	local v

	v=$("$here/kver.sh")
	if [ -z "$v" ]; then
		v=$(apt-cache depends linux-headers-amd64 2>/dev/null |
			sed -n 's/.*Depends: linux-headers-\(.*-amd64\)$/\1/p' | head -n 1)
	fi
	echo "$v"
}

# ---------------------------------------------------------------- the chroot

root=""

# Run a command in ROOT in a private mount namespace with /proc, /dev and the
# given directories mounted; all of it vanishes when the command ends.
in_root()
{
	local r=$1
	shift
	unshare --mount --propagation private -- "$here/${0##*/}" __ns "$r" "$@"
}

ns_main()
{
	local r=$1 d cwd=$PWD binds=()

	shift
	while [ "$1" != -- ]; do
		binds+=("$1")
		shift
	done
	shift
	mount -t proc proc "$r/proc"
	mount --rbind /dev "$r/dev"
	for d in "${binds[@]}"; do
		mkdir -p "$r$d"
		mount --bind "$d" "$r$d"
	done
	[ -d "$r$cwd" ] || cwd=/
	# shellcheck disable=SC2016 # expanded by the inner shell
	exec chroot "$r" /usr/bin/env -u LIBRARY_PATH PATH="$path_std" \
		LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
		/bin/sh -c 'cd "$1" && shift && exec "$@"' sh "$cwd" "$@"
}

chroot_ready()
{
	[ -f "$cache/sid.stamp" ] && [ -x "$root/usr/bin/apt-get" ]
}

make_chroot()
{
	local mirror new

	root=$cache/sid
	chroot_ready && return
	lock -x
	chroot_ready && return
	need_host debootstrap debootstrap
	mirror=$(mirror_uri)
	new=$cache/sid.new
	remove_tree "$new"
	remove_tree "$root"
	say "creating the sid chroot $root (debootstrap, about 30 s)"
	logged "$cache/logs/sid-debootstrap.log" \
		unshare --mount --propagation private -- debootstrap \
		--variant=minbase --include=make,ca-certificates sid "$new" "$mirror"
	cat > "$new/etc/apt/apt.conf.d/99mpx" <<-EOF
	// written by kernel.sh: sid's Release may look expired to this clock
	Acquire::Check-Valid-Until "false";
	Acquire::Check-Date "false";
	Acquire::Languages "none";
	Acquire::GzipIndexes "true";
	Dir::Cache::srcpkgcache "";
	APT::Install-Recommends "false";
	APT::Install-Suggests "false";
	EOF
	printf '#!/bin/sh\nexit 101\n' > "$new/usr/sbin/policy-rc.d"
	chmod 755 "$new/usr/sbin/policy-rc.d"
	cp /etc/resolv.conf "$new/etc/resolv.conf"
	rm -f "$new"/var/lib/apt/lists/*_*	# uncompressed, from debootstrap
	logged "$cache/logs/sid-apt.log" in_root "$new" -- apt-get update
	chroot "$new" apt-get clean
	mv "$new" "$root"
	date -u +created=%FT%TZ > "$cache/sid.stamp"
}

# ---------------------------------------------------------------- fetching

fetch_host()
{
	local ver=$1

	if [ ! -f "/usr/src/linux-headers-$ver/Makefile" ] ||
	   [ ! -r "/boot/vmlinuz-$ver" ]; then
		die "$ver: no /usr/src/linux-headers-$ver or /boot/vmlinuz-$ver: run make deps"
	fi
}

# gcc-NN named in a Debian headers tree's .kernelvariables.
tree_gcc()
{
	sed -n 's/^CC = .*\(gcc-[0-9][0-9]*\)$/\1/p' "$1/.kernelvariables"
}

fetch_deb()
{
	local ver=$1 dir=$cache/kernels/$1 hdr=linux-headers-$1
	local version deps common kbuild image tmp sys l t f gcc

	version=$(apt-cache show --no-all-versions "$hdr" | sed -n 's/^Version: //p')
	deps=$(apt-cache show --no-all-versions "$hdr" | sed -n 's/^Depends: //p' |
		sed 's/[,|]/\n/g' | sed 's/^ *//; s/ .*//')
	common=$(grep -E '^linux-headers-.*-common$' <<<"$deps" | head -n 1)
	kbuild=$(grep -E '^linux-kbuild-' <<<"$deps" | head -n 1)
	if [ -z "$version" ] || [ -z "$common" ] || [ -z "$kbuild" ]; then
		die "$ver: cannot work out the packages of $hdr"
	fi
	image=linux-image-$ver
	apt-cache show -q "$image" >/dev/null 2>&1 || image=$image-unsigned
	if grep -qx pahole <<<"$(apt-cache show --no-all-versions "$kbuild" |
			sed -n 's/^Depends: //p' | tr ',' '\n' | sed 's/^ *//; s/ .*//')"; then
		need_host pahole dwarves
	fi

	mkdir -p "$cache/kernels"
	rm -rf "$cache/kernels/.$ver."*	# left by a killed fetch
	tmp=$(mktemp -d "$cache/kernels/.$ver.XXXXXX")
	# shellcheck disable=SC2064 # expand now: $tmp is local
	trap "rm -rf '$tmp'" EXIT
	say "$ver: downloading $hdr $common $kbuild $image ($version)"
	(cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root \
		"$hdr=$version" "$common=$version" "$kbuild=$version" \
		"$image=$version" >&2)
	sys=$tmp/sys
	for f in "$tmp"/linux-headers-*.deb "$tmp"/linux-kbuild-*.deb; do
		dpkg-deb -x "$f" "$sys"
	done
	dpkg-deb --fsys-tarfile "$tmp/${image}_"*.deb | tar -x -C "$sys" ./boot
	rm -f "$tmp"/*.deb

	# The trees name /usr/src/... and /usr/lib/linux-kbuild-... by
	# absolute path: point them at their final place in the cache.
	while IFS= read -r -d '' l; do
		t=$(readlink "$l")
		ln -sfn "$dir$t" "$l"
	done < <(find "$sys" -type l -lname '/*' -print0)
	for f in "$sys"/usr/src/linux-headers-*/Makefile; do
		sed -i "s#\([ =]\)/usr/\(src/linux-headers-\|lib/linux-kbuild-\)#\1$dir/usr/\2#g" "$f"
	done
	if grep -l -e ' /usr/src/linux-' -e ' /usr/lib/linux-kbuild' \
	     "$sys"/usr/src/linux-headers-*/Makefile >&2; then
		die "$ver: absolute paths left in the files above"
	fi
	if [ ! -f "$sys/usr/src/$hdr/Makefile" ] || [ ! -r "$sys/boot/vmlinuz-$ver" ]; then
		die "$ver: the packages lack $hdr/Makefile or vmlinuz-$ver"
	fi
	gcc=$(tree_gcc "$sys/usr/src/$hdr")
	need_host "x86_64-linux-gnu-$gcc" "$gcc"

	printf 'kind=deb\nversion=%s\ndir=%s\npackages=%s\n' "$version" "$dir" \
		"$hdr $common $kbuild $image" > "$sys/.stamp"
	remove_tree "$dir"
	mv "$sys" "$dir"
	rm -rf "$tmp"
	trap - EXIT
}

fetch_sid()
{
	local ver=$1 dir=$cache/kernels/$1 hdr=linux-headers-$1
	local gcc pkg f tmp version log=$cache/logs/sid-apt.log

	make_chroot
	if [ ! -f "$root/usr/src/$hdr/Makefile" ]; then
		if ! sid_apt_cache show -q "$hdr" >/dev/null 2>&1; then
			say "refreshing the sid chroot's package index"
			logged "$log" in_root "$root" -- apt-get update
			sid_apt_cache show -q "$hdr" >/dev/null 2>&1 ||
				die "$ver: no $hdr in bookworm or sid"
		fi
		say "$ver: installing $hdr and its compiler in the sid chroot"
		logged "$log" in_root "$root" -- apt-get install -y "$hdr"
	fi
	gcc=$(tree_gcc "$root/usr/src/$hdr")
	if [ ! -x "$root/usr/bin/x86_64-linux-gnu-$gcc" ]; then
		say "$ver: installing $gcc in the sid chroot"
		logged "$log" in_root "$root" -- apt-get install -y "$gcc"
	fi
	chroot "$root" apt-get clean

	mkdir -p "$dir"
	for f in "$root/usr/lib/modules/$ver/vmlinuz" "$root/boot/vmlinuz-$ver"; do
		if [ -r "$f" ]; then
			mkdir -p "$dir/boot"
			cp "$f" "$dir/boot/vmlinuz-$ver"
			break
		fi
	done
	if [ ! -r "$dir/boot/vmlinuz-$ver" ]; then
		for pkg in "linux-binary-$ver" "linux-binary-unsigned-$ver" \
		    "linux-image-$ver-unsigned" "linux-image-$ver" ""; do
			[ -n "$pkg" ] || die "$ver: no package in sid ships its vmlinuz"
			sid_apt_cache show -q "$pkg" >/dev/null 2>&1 && break
		done
		say "$ver: downloading $pkg for the vmlinuz"
		tmp=$(mktemp -d "$root/tmp/kernel.XXXXXX")
		# shellcheck disable=SC2064 # expand now: $tmp is local
		trap "rm -rf '$tmp'" EXIT
		# shellcheck disable=SC2016 # expanded by the inner shell
		logged "$log" in_root "$root" -- sh -c \
			'cd "$1" && apt-get download -o APT::Sandbox::User=root "$2"' \
			sh "${tmp#"$root"}" "$pkg"
		mkdir -p "$tmp/x"
		dpkg-deb --fsys-tarfile "$tmp/${pkg}_"*.deb |
			tar -x -C "$tmp/x" --wildcards --no-wildcards-match-slash \
				"./usr/lib/modules/$ver/vmlinuz" "./boot/vmlinuz-$ver" \
				2>/dev/null || true
		for f in "$tmp/x/usr/lib/modules/$ver/vmlinuz" "$tmp/x/boot/vmlinuz-$ver"; do
			if [ -r "$f" ]; then
				mkdir -p "$dir/boot"
				cp "$f" "$dir/boot/vmlinuz-$ver"
				break
			fi
		done
		rm -rf "$tmp"
		trap - EXIT
		[ -r "$dir/boot/vmlinuz-$ver" ] || die "$ver: no vmlinuz in $pkg"
	fi
	version=$(chroot "$root" dpkg-query -W -f="\${Version}" "$hdr")
	printf 'kind=sid\nversion=%s\ndir=%s\nroot=%s\n' "$version" "$dir" \
		"$root" > "$dir/.stamp"
}

# True when VER is ready; then print nothing. Cheap: no apt, no chroot.
cached()
{
	local ver=$1 dir=$cache/kernels/$1

	case $(stamp_get "$ver" kind) in
	deb)
		[ "$(stamp_get "$ver" dir)" = "$dir" ] &&
			[ -f "$dir/usr/src/linux-headers-$ver/Makefile" ] &&
			[ -r "$dir/boot/vmlinuz-$ver" ]
		;;
	sid)
		chroot_ready &&
			[ -f "$cache/sid/usr/src/linux-headers-$ver/Makefile" ] &&
			[ -r "$dir/boot/vmlinuz-$ver" ]
		;;
	*)
		false
		;;
	esac
}

fetch()
{
	local ver=$1

	[[ $ver =~ ^[0-9][A-Za-z0-9.+~_-]*$ ]] || die "bad kernel version '$ver'"
	if is_debug "$ver"; then
		debug_ready "$ver" && return
		lock_debug -x
		debug_ready "$ver" && return
		fetch_debug "$ver"
		return
	fi
	[ -d "/usr/src/linux-headers-$ver" ] && { fetch_host "$ver"; return; }
	cached "$ver" && return
	lock -x
	cached "$ver" && return
	case $(kind_of "$ver") in
	host) fetch_host "$ver" ;;
	deb) fetch_deb "$ver" ;;
	sid) fetch_sid "$ver" ;;
	esac
	say "$ver: ready"
}

kdir()
{
	local ver=$1

	if is_debug "$ver"; then
		debug_ready "$ver" || die "$ver: not built or stale: run kernel.sh fetch $ver"
		echo "$cache/kernels/$ver/build"
		return
	fi
	if [ -d "/usr/src/linux-headers-$ver" ]; then
		echo "/usr/src/linux-headers-$ver"
		return
	fi
	cached "$ver" || die "$ver: not in $cache: run kernel.sh fetch $ver"
	case $(stamp_get "$ver" kind) in
	deb) echo "$cache/kernels/$ver/usr/src/linux-headers-$ver" ;;
	sid) echo "$cache/sid/usr/src/linux-headers-$ver" ;;
	esac
}

image()
{
	local ver=$1

	if is_debug "$ver"; then
		debug_ready "$ver" || die "$ver: not built or stale: run kernel.sh fetch $ver"
		echo "$cache/kernels/$ver/build/arch/x86/boot/bzImage"
		return
	fi
	if [ -r "/boot/vmlinuz-$ver" ]; then
		echo "/boot/vmlinuz-$ver"
		return
	fi
	cached "$ver" || die "$ver: not in $cache: run kernel.sh fetch $ver"
	echo "$cache/kernels/$ver/boot/vmlinuz-$ver"
}

run_make()
{
	local ver=$1 a d binds=() dirs=() rc=0
	shift

	fetch "$ver"
	if is_debug "$ver"; then
		lock_debug -s
		make -C "$cache/kernels/$ver/src" O="$cache/kernels/$ver/build" \
			"$@" 8>&- 9>&-
		return
	fi
	if [ "$(stamp_get "$ver" kind)" != sid ] ||
	   [ -d "/usr/src/linux-headers-$ver" ]; then
		make -C "$(kdir "$ver")" "$@" 9>&-
		return
	fi
	# The repository and the M=/MO= directories, at the paths make is
	# given; an inner one is not mounted twice. Never hide the chroot's
	# own system directories or the cache behind a host directory.
	binds=("$top")
	for a in "$@"; do
		case $a in
		M=/*|MO=/*) binds+=("$(realpath -s -- "${a#*=}")") ;;
		esac
	done
	while IFS= read -r d; do
		[ -d "$d" ] || continue
		for a in "${binds[@]}"; do
			[[ $d == "$a"/* ]] && continue 2
		done
		for a in / /bin /dev /etc /lib /lib64 /proc /sbin /usr/bin \
		    /usr/lib /usr/libexec /usr/sbin /usr/src /var/lib "$cache"; do
			if [ "$d" = / ] || [ "$d" = "$a" ] || [[ $a == "$d"/* ]] ||
			   [[ $d == "$cache"/* ]]; then
				die "will not mount $d over the chroot's own files"
			fi
		done
		dirs+=("$d")
	done < <(printf '%s\n' "${binds[@]}" | sort -u)
	lock -s
	in_root "$root" "${dirs[@]}" -- make -C "/usr/src/linux-headers-$ver" "$@" 9>&- ||
		rc=$?
	return "$rc"
}

list()
{
	local v

	v=$(default_61)
	[ -n "$v" ] || die "no Debian 6.1 kernel headers: run make deps"
	echo "$v"
	v=$(newest_candidate apt-cache linux-headers-6.12. \
		'^linux-headers-6\.12\.[0-9]+\+deb12-amd64$')
	[ -n "$v" ] || die "no 6.12 +deb12 kernel in the host's apt sources"
	echo "$v"
	make_chroot
	v=$(newest_candidate sid_apt_cache linux-headers-7. \
		'^linux-headers-7\.[^-]+(-[0-9]+)?-amd64$')
	[ -n "$v" ] || die "no 7.x kernel in sid"
	echo "$v"
}

update()
{
	lock -x
	make_chroot
	say "refreshing the sid chroot's package index"
	logged "$cache/logs/sid-apt.log" in_root "$root" -- apt-get update
}

# ---------------------------------------------------------------- debug kernel

debug_pkg=linux-source-6.1
debug_suffix=-debug
# Bump when the build steps below change in a way the key does not see.
debug_recipe=1

is_debug() { [[ $1 == *"$debug_suffix" ]]; }

# Its own lock, so that a cold build (minutes) never holds up the other
# kernels: exclusive to build, shared to build modules against it.
dlockfd=""
lock_debug()
{
	if [ -z "$dlockfd" ]; then
		mkdir -p "$cache"
		exec 8>"$cache/.debug.lock"
		dlockfd=8
	fi
	flock "$1" 8
}

# The newest version of linux-source-6.1 that apt can download whose
# upstream version is VER's (6.1.N-debug) or, without VER, the candidate.
debug_pkg_version()
{
	local ver=${1:-} v

	if [ -z "$ver" ]; then
		apt-cache show --no-all-versions "$debug_pkg" 2>/dev/null |
			sed -n 's/^Version: //p' | head -n 1
		return
	fi
	for v in $(apt-cache show "$debug_pkg" 2>/dev/null |
			sed -n 's/^Version: //p' | sort -rV); do
		if [ "${v%%-*}$debug_suffix" = "$ver" ]; then
			echo "$v"
			return
		fi
	done
}

list_debug()
{
	local v

	v=$(debug_pkg_version)
	[[ $v =~ ^6\.1\.[0-9]+- ]] || die "no $debug_pkg in the host's apt sources"
	echo "${v%%-*}$debug_suffix"
}

# The cache key: what the kernel is built from, as text and as a hash.
debug_key_text()
{
	printf 'recipe=%s\npackage=%s=%s\nconfig=%s\ngcc=%s\n' "$debug_recipe" \
		"$debug_pkg" "$1" "$(sha256sum < "$here/debug.config" | cut -c1-64)" \
		"$(gcc --version | head -n 1)"
}

# True when VER is built with the current key.
debug_ready()
{
	local ver=$1 dir=$cache/kernels/$1 version

	[ "$(stamp_get "$ver" kind)" = debug ] || return 1
	[ -r "$dir/build/arch/x86/boot/bzImage" ] &&
		[ -f "$dir/build/Module.symvers" ] &&
		[ -f "$dir/src/Makefile" ] || return 1
	version=$(debug_pkg_version "$ver")
	[ -n "$version" ] || version=$(stamp_get "$ver" version)
	[ "$(stamp_get "$ver" key)" = "$(debug_key_text "$version" | sha256sum | cut -c1-64)" ]
}

# Install a host package (never a kernel) when it is missing.
need_pkg()
{
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null |
		grep -q 'install ok installed' && return
	say "installing $1 on the host"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "$1" >/dev/null
}

# The linux-source .deb of VERSION in DIR/debs (one copy: older ones go).
debug_deb()
{
	local version=$1 debs=$cache/debs f tmp

	f=$debs/${debug_pkg}_${version}_all.deb
	[ -f "$f" ] && { echo "$f"; return; }
	mkdir -p "$debs"
	tmp=$(mktemp -d "$debs/.dl.XXXXXX")
	say "downloading $debug_pkg $version"
	(cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root \
		"$debug_pkg=$version" >&2) || { rm -rf "$tmp"; die "cannot download $debug_pkg=$version"; }
	rm -f "$debs/${debug_pkg}_"*.deb
	mv "$tmp/${debug_pkg}_${version}_all.deb" "$f"
	rmdir "$tmp"
	echo "$f"
}

# Apply debug.config (and the release suffix) to BUILD/.config until
# olddefconfig stops changing it, then check every line of the fragment.
debug_config()
{
	local src=$1 build=$2 log=$3 pass line sym bad=0

	for pass in 1 2 3 4; do
		echo "# debug.config, pass $pass" >> "$log"
		cp "$build/.config" "$build/.config.prev"
		{ cat "$build/.config.prev" "$here/debug.config"
		  echo "CONFIG_LOCALVERSION=\"$debug_suffix\""; } > "$build/.config"
		make -C "$src" O="$build" olddefconfig >>"$log" 2>&1 ||
			die "olddefconfig failed (log $log)"
		cmp -s "$build/.config.prev" "$build/.config" && break
	done
	rm -f "$build/.config.prev"
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF -- "$line" "$build/.config" ||
				{ say "debug.config: $line did not stick ($(grep "^${line%%=*}=" "$build/.config" || echo unset))"; bad=1; } ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }; sym=${sym%% *}
			if grep -q "^$sym=" "$build/.config"; then
				say "debug.config: $sym stayed set"; bad=1
			fi ;;
		esac
	done < "$here/debug.config"
	[ $bad = 0 ] || die "debug.config does not apply to $debug_pkg (see above)"
}

fetch_debug()
{
	local ver=$1 dir=$cache/kernels/$1 version deb key log start secs rel d

	version=$(debug_pkg_version "$ver")
	[ -n "$version" ] || die "$ver: no $debug_pkg ${ver%"$debug_suffix"} in the apt sources (kernel.sh list-debug)"
	for d in gcc make flex bison bc libelf-dev xz-utils ccache; do
		need_pkg "$d"
	done
	key=$(debug_key_text "$version" | sha256sum | cut -c1-64)
	log=$cache/logs/$ver-build.log
	mkdir -p "$dir" "$cache/logs"
	sed -i '/^key=/d' "$dir/.stamp" 2>/dev/null || true	# not ready while building

	if [ "$(cat "$dir/src/.mpx-version" 2>/dev/null)" != "$version" ]; then
		deb=$(debug_deb "$version")
		say "$ver: unpacking $debug_pkg $version"
		rm -rf "$dir/src" "$dir/.src.new" "$dir/build"
		mkdir -p "$dir/.src.new"
		dpkg-deb --fsys-tarfile "$deb" |
			tar -xO --wildcards "./usr/src/$debug_pkg.tar.*" |
			tar -xJ -C "$dir/.src.new" --strip-components=1
		echo "$version" > "$dir/.src.new/.mpx-version"
		mv "$dir/.src.new" "$dir/src"
	fi
	rel=$(make -s -C "$dir/src" kernelversion)$debug_suffix
	[ "$rel" = "$ver" ] || die "$ver: $debug_pkg $version is $rel"

	say "$ver: building (tinyconfig + debug.config; log $log)"
	rm -rf "$dir/build"
	mkdir -p "$dir/build"
	: > "$log"
	debug_key_text "$version" >> "$log"
	start=$(date +%s)
	(
		export PATH=/usr/lib/ccache:$PATH CCACHE_DIR=$cache/ccache \
			CCACHE_BASEDIR=$dir CCACHE_MAXSIZE=2G \
			KBUILD_BUILD_USER=mpx KBUILD_BUILD_HOST=debug
		make -C "$dir/src" O="$dir/build" tinyconfig >>"$log" 2>&1 ||
			die "tinyconfig failed (log $log)"
		debug_config "$dir/src" "$dir/build" "$log"
		logged "$log.make" make -C "$dir/src" O="$dir/build" -j"$(nproc)" \
			bzImage modules modules_prepare
		cat "$log.make" >> "$log"
		rm -f "$log.make"
	) 8>&- 9>&-
	secs=$(( $(date +%s) - start ))
	rel=$(cat "$dir/build/include/config/kernel.release")
	[ "$rel" = "$ver" ] || die "$ver: the build's release is $rel"
	printf 'kind=debug\nversion=%s\nkey=%s\ndir=%s\nsrc=%s\nbuild=%s\nbuilt=%s\nseconds=%s\n' \
		"$version" "$key" "$dir" "$dir/src" "$dir/build" \
		"$(date -u +%FT%TZ)" "$secs" > "$dir/.stamp"
	say "$ver: built in ${secs}s"
	# Only one debug kernel is kept.
	for d in "$cache"/kernels/*"$debug_suffix"; do
		[ "$d" = "$dir" ] || [ ! -d "$d" ] || remove_tree "$d"
	done
}

# ---------------------------------------------------------------- main

if [ "${1:-}" = __ns ]; then
	shift
	ns_main "$@"
fi
while [ $# -gt 0 ]; do
	case $1 in
	--cache) cache=${2:?--cache needs a directory}; shift 2 ;;
	--cache=*) cache=${1#*=}; shift ;;
	-h|--help) usage; exit 0 ;;
	*) break ;;
	esac
done
[ "${cache:0:1}" = / ] || cache=$PWD/$cache
cache=${cache%/}
root=$cache/sid
cmd=${1:-}
[ -n "$cmd" ] || { usage >&2; exit 2; }
shift
case $cmd in
list|update)
	[ $# -eq 0 ] || die "$cmd takes no arguments"
	"$cmd"
	;;
list-debug)
	[ $# -eq 0 ] || die "$cmd takes no arguments"
	list_debug
	;;
fetch|kdir|image)
	[ $# -eq 1 ] || die "$cmd takes one kernel version"
	"$cmd" "$1"
	;;
make)
	[ $# -ge 1 ] || die "make needs a kernel version"
	run_make "$@"
	;;
*)
	usage >&2
	exit 2
	;;
esac
