# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154 # $cache, $here, $top: the sourcing script's
#
# The 7.x kernels of sid, for kernel.sh (sourced): a debootstrap'd sid
# chroot in CACHE/sid holds each kernel's headers and the gcc it needs
# (sid's compiler, which the host does not have); the image is copied to
# CACHE/kernels/VER. make runs inside the chroot with /proc, /dev, the
# repository and any M=/MO= directory (absolute paths) bind-mounted at
# their own paths, all in a private mount namespace, so nothing stays
# mounted afterwards even when make fails or is killed. sid_kdir prints
# the host's view of the chroot's headers, which only the chroot can
# build with.

sid_root() { echo "$cache/sid"; }
sid_apt_cache() { chroot "$(sid_root)" apt-cache "$@"; }

# in_root ROOT [DIR...] -- CMD...: run CMD in ROOT in a private mount
# namespace with /proc, /dev and the DIRs mounted; all of it vanishes when
# CMD ends (kernel.sh __ns runs sid_ns_main inside the namespace).
in_root()
{
	local r=$1

	shift
	unshare --mount --propagation private -- "$here/kernel.sh" __ns "$r" "$@"
}

sid_ns_main()
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
	exec chroot "$r" /usr/bin/env -u LIBRARY_PATH \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
		/bin/sh -c 'cd "$1" && shift && exec "$@"' sh "$cwd" "$@"
}

sid_apt() { logged "$cache/logs/sid-apt.log" in_root "$(sid_root)" -- apt-get "$@"; }

sid_chroot_ready() { [ -f "$cache/sid.stamp" ] && [ -x "$(sid_root)/usr/bin/apt-get" ]; }

sid_chroot()
{
	local new=$cache/sid.new

	sid_chroot_ready && return
	cache_lock kernel -x
	sid_chroot_ready && return
	need_pkg debootstrap
	remove_tree "$new"
	remove_tree "$(sid_root)"
	say "creating the sid chroot $(sid_root) (debootstrap, about 30 s)"
	logged "$cache/logs/sid-debootstrap.log" \
		unshare --mount --propagation private -- debootstrap \
		--variant=minbase --include=make,ca-certificates sid "$new" "$(mirror_uri)"
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
	mv "$new" "$(sid_root)"
	date -u +created=%FT%TZ > "$cache/sid.stamp"
}

sid_update()
{
	cache_lock kernel -x
	sid_chroot
	say "refreshing the sid chroot's package index"
	sid_apt update
}

sid_kdir() { echo "$(sid_root)/usr/src/linux-headers-$1"; }
sid_image() { echo "$cache/kernels/$1/boot/vmlinuz-$1"; }

sid_ready()
{
	sid_chroot_ready && [ -f "$(sid_kdir "$1")/Makefile" ] &&
		[ -r "$(sid_image "$1")" ] && [ -x "$(sid_root)/usr/bin/sparse" ]
}

sid_fetch()
{
	local ver=$1 dir=$cache/kernels/$1 hdr=linux-headers-$1 root gcc pkg tmp

	sid_chroot
	root=$(sid_root)
	if [ ! -f "$root/usr/src/$hdr/Makefile" ]; then
		if ! sid_apt_cache show -q "$hdr" >/dev/null 2>&1; then
			say "refreshing the sid chroot's package index"
			sid_apt update
			sid_apt_cache show -q "$hdr" >/dev/null 2>&1 ||
				die "$ver: no $hdr in bookworm or sid"
		fi
		say "$ver: installing $hdr and its compiler in the sid chroot"
		sid_apt install -y "$hdr"
	fi
	gcc=$(tree_gcc "$root/usr/src/$hdr")
	if [ ! -x "$root/usr/bin/x86_64-linux-gnu-$gcc" ]; then
		say "$ver: installing $gcc in the sid chroot"
		sid_apt install -y "$gcc"
	fi
	# bookworm's sparse 0.6.4 silently skips 7.x sources; sid's checks them.
	if [ ! -x "$root/usr/bin/sparse" ]; then
		say "$ver: installing sparse in the sid chroot"
		sid_apt install -y sparse
	fi
	chroot "$root" apt-get clean

	if ! copy_vmlinuz "$ver" "$dir" "$root"; then
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
		logged "$cache/logs/sid-apt.log" in_root "$root" -- sh -c \
			'cd "$1" && apt-get download -o APT::Sandbox::User=root "$2"' \
			sh "${tmp#"$root"}" "$pkg"
		mkdir -p "$tmp/x"
		dpkg-deb --fsys-tarfile "$tmp/${pkg}_"*.deb |
			tar -x -C "$tmp/x" --wildcards --no-wildcards-match-slash \
				"./usr/lib/modules/$ver/vmlinuz" "./boot/vmlinuz-$ver" \
				2>/dev/null || true
		copy_vmlinuz "$ver" "$dir" "$tmp/x" || die "$ver: no vmlinuz in $pkg"
		rm -rf "$tmp"
		trap - EXIT
	fi
	printf 'kind=sid\nversion=%s\ndir=%s\nroot=%s\n' \
		"$(chroot "$root" dpkg-query -W -f="\${Version}" "$hdr")" \
		"$dir" "$root" > "$dir/.stamp"
}

# sid_make VER ARG...: make -C the chroot's headers, in the chroot, with
# the repository and the M=/MO= directories mounted at the paths make is
# given (an inner one is not mounted twice). Never hides the chroot's own
# system directories or the cache behind a host directory.
sid_make()
{
	local ver=$1 a d binds=("$top") dirs=()

	shift
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
	unlocked in_root "$(sid_root)" "${dirs[@]}" -- \
		make -C "/usr/src/linux-headers-$ver" "$@"
}
