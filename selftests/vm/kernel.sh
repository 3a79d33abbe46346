#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make any kernel of the test matrix available from Debian packages, in a
# cache outside the repository, without changing what the host's own
# apt-get install picks: packages are fetched with apt-get download and
# unpacked with dpkg-deb, or installed inside a sid chroot under the cache.
#
#   kernel.sh [--cache DIR] list            the matrix, one kernel ABI a line
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
