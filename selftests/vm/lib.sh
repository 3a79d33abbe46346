# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154 # $cache, $here, $top: the sourcing script's
#
# Helpers shared by the rig's scripts; sourced, never run. The caller sets
# $cache (the cache directory, absolute) before using them.
#
#   say, die         messages on stderr, prefixed with the script's name
#   usage            print the calling script's header comment
#   cache_lock       one flock per cached thing, held until exit
#   need_pkg         install missing host packages (never kernels)
#   logged           run a command with its output in a log
#   remove_tree      rm -rf, refused when something is mounted below
#   stamp_get        a field of a cached kernel's .stamp
#   foreign_arch     a kernel's Debian architecture, if not the host's
#   copy_vmlinuz     copy a kernel image out of an unpacked package
#   mirror_uri       the host's Debian archive, from its apt sources
#   source_deb       Debian's linux-source-6.1 .deb, downloaded once

say() { echo "${0##*/}: $*" >&2; }
die() { say "$*"; exit 1; }

# The comment block at the top of the calling script, after the SPDX line.
usage() { sed -n '3,/^$/{/^#/!q;s/^# \{0,1\}//p}' "$0"; }

# cache_lock NAME -x|-s: exclusive to change what NAME guards, shared to
# use it. Each NAME has its own descriptor, so that a cold debug kernel
# build (minutes) never holds up the other kernels. rootfs guards the
# Debian VM's root image (rootfs.sh), shared while a VM boots from it.
cache_lock()
{
	local fd

	case $1 in
	rootfs) fd=6 ;;
	source) fd=7 ;;
	debug) fd=8 ;;
	kernel) fd=9 ;;
	*) die "cache_lock: unknown lock $1" ;;
	esac
	if [ ! -e "/proc/$BASHPID/fd/$fd" ]; then
		mkdir -p "$cache"
		eval "exec $fd>\"\$cache/.$1.lock\""
	fi
	flock "$2" "$fd"
}

# Run a command without the lock descriptors, so that nothing it leaves
# behind (a daemon started by apt, say) keeps a lock after this script.
unlocked() { "$@" 6>&- 7>&- 8>&- 9>&-; }

need_pkg()
{
	local p missing=()

	for p; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	say "installing ${missing[*]} on the host"
	# A fresh machine's package index may be missing or stale.
	apt_install "${missing[@]}" ||
		{ apt-get update -qq && apt_install "${missing[@]}"; } ||
		die "cannot install ${missing[*]}"
}

apt_install()
{
	DEBIAN_FRONTEND=noninteractive unlocked apt-get install -y -qq \
		--no-install-recommends "$@" >/dev/null
}

# has_candidate APT PKG: APT (apt-cache or sid_apt_cache) can install PKG.
# "apt-cache show" is not enough: it succeeds for a name that only other
# packages mention.
has_candidate()
{
	[[ $($1 policy "$2" 2>/dev/null) == *"Candidate: "[0-9]* ]]
}

# logged LOG CMD...: the output in LOG; the end of LOG shown on failure.
logged()
{
	local log=$1

	shift
	mkdir -p "${log%/*}"
	if ! unlocked "$@" >"$log" 2>&1; then
		tail -n 25 "$log" >&2
		die "failed: $* (log $log)"
	fi
}

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

stamp_get() { sed -n "s/^$2=//p" "$cache/kernels/$1/.stamp" 2>/dev/null; }

# foreign_arch VER: the Debian architecture of a kernel ABI name that is
# not the host's (6.1.0-57-arm64: arm64); nothing for amd64 kernels.
foreign_arch() { case $1 in *-arm64) echo arm64 ;; esac; }

# copy_vmlinuz VER DEST ROOT...: copy VER's image, from the first ROOT that
# has one (Debian puts it in /boot or, since 6.x in sid, in /usr/lib/modules),
# to DEST/boot/vmlinuz-VER.
copy_vmlinuz()
{
	local ver=$1 dest=$2 r f

	shift 2
	for r; do
		for f in "$r/usr/lib/modules/$ver/vmlinuz" "$r/boot/vmlinuz-$ver"; do
			[ -r "$f" ] || continue
			mkdir -p "$dest/boot"
			cp "$f" "$dest/boot/vmlinuz-$ver"
			return 0
		done
	done
	return 1
}

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

source_pkg=linux-source-6.1

# source_version GLOB: the newest Debian version of linux-source-6.1 that
# apt can download whose upstream version (6.1.N) matches GLOB.
source_version()
{
	local v

	for v in $(apt-cache show "$source_pkg" 2>/dev/null |
			sed -n 's/^Version: //p' | sort -rV); do
		# shellcheck disable=SC2053 # a glob on purpose
		if [[ ${v%%-*} == $1 ]]; then
			echo "$v"
			return
		fi
	done
}

# source_deb VERSION: the path of linux-source-6.1 VERSION's .deb in
# CACHE/debs, downloaded the first time (one copy; older ones go). deps.sh
# takes a few files out of it, the debug kernel its whole tree.
source_deb()
{
	local version=$1 debs=$cache/debs f tmp

	f=$debs/${source_pkg}_${version}_all.deb
	cache_lock source -x
	if [ ! -f "$f" ]; then
		mkdir -p "$debs"
		tmp=$(mktemp -d "$debs/.dl.XXXXXX")
		say "downloading $source_pkg $version (140 MB)"
		if ! (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root \
				"$source_pkg=$version" >&2); then
			rm -rf "$tmp"
			die "cannot download $source_pkg=$version"
		fi
		rm -f "$debs/${source_pkg}_"*.deb
		mv "$tmp/${f##*/}" "$f"
		rmdir "$tmp"
	fi
	cache_lock source -s
	echo "$f"
}

# source_unpack DEB DIR [MEMBER...]: the source tree (or only MEMBERs,
# paths inside it) of a linux-source .deb, into DIR.
source_unpack()
{
	local deb=$1 dir=$2

	shift 2
	mkdir -p "$dir"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO --wildcards "./usr/src/$source_pkg.tar.*" |
		tar -xJ -C "$dir" --strip-components=1 "${@/#/$source_pkg/}"
}
