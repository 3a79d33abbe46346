# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154 # $cache, $here, $top: the sourcing script's
#
# Kernels from bookworm's own packages, for kernel.sh (sourced): the Debian
# 6.1 kernel that make deps installs (headers in /usr/src, image in /boot),
# and any other linux-headers-VER of the host's apt sources (6.12 from
# bookworm-security), fetched with apt-get download and unpacked with
# dpkg-deb into CACHE/kernels/VER without touching what the host's own
# apt-get install picks; built with the host's gcc.

# The Debian 6.1 kernel of the matrix: installed headers, or apt's choice.
deb_default()
{
	local v

	v=$("$here/kver.sh")
	if [ -z "$v" ]; then
		v=$(apt-cache depends linux-headers-amd64 2>/dev/null |
			sed -n 's/.*Depends: linux-headers-\(.*-amd64\)$/\1/p' | head -n 1)
	fi
	echo "$v"
}

deb_installed() { [ -d "/usr/src/linux-headers-$1" ] || [ "$1" = "$(deb_default)" ]; }

# True when VER is a bookworm kernel (installed or downloadable).
deb_is()
{
	deb_installed "$1" || [ "$(stamp_get "$1" kind)" = deb ] ||
		apt-cache show -q "linux-headers-$1" >/dev/null 2>&1
}

deb_kdir()
{
	if deb_installed "$1"; then
		echo "/usr/src/linux-headers-$1"
	else
		echo "$cache/kernels/$1/usr/src/linux-headers-$1"
	fi
}

deb_image()
{
	if deb_installed "$1"; then
		echo "/boot/vmlinuz-$1"
	else
		echo "$cache/kernels/$1/boot/vmlinuz-$1"
	fi
}

# A foreign-architecture kernel's guest files (deb_fetch_guest), or nothing.
deb_guest()
{
	[ -d "$cache/kernels/$1/guest" ] && echo "$cache/kernels/$1/guest"
	return 0
}

# Cheap (no apt): true when VER's headers and image are in place.
deb_ready()
{
	[ -f "$(deb_kdir "$1")/Makefile" ] && [ -r "$(deb_image "$1")" ] &&
		{ deb_installed "$1" ||
		  [ "$(stamp_get "$1" dir)" = "$cache/kernels/$1" ]; }
}

# The cross-compiler prefix a Debian headers tree needs on this amd64
# host: empty for x86, aarch64-linux-gnu- for arm64 (Debian's
# gcc-NN-aarch64-linux-gnu). The tree's .kernelvariables overrides ARCH
# itself and sets CROSS_COMPILE only inside Debian's own package builds.
tree_cross()
{
	case $(sed -n 's/^override ARCH = //p' "$1/.kernelvariables") in
	arm64) echo aarch64-linux-gnu- ;;
	esac
}

deb_make()
{
	local kdir cross

	kdir=$(deb_kdir "$1")
	cross=$(tree_cross "$kdir")
	unlocked make -C "$kdir" ${cross:+CROSS_COMPILE=$cross} "${@:2}"
}

# gcc-NN named in a Debian headers tree's .kernelvariables.
tree_gcc() { sed -n 's/^CC = .*\(gcc-[0-9][0-9]*\)$/\1/p' "$1/.kernelvariables"; }

# The package names in the Depends: field of PACKAGE, one a line.
deb_depends()
{
	apt-cache show --no-all-versions "$1" | sed -n 's/^Depends: //p' |
		sed 's/[,|]/\n/g' | sed 's/^ *//; s/ .*//'
}

# deb_fetch_guest TMP SYS IMAGE ARCH: what a VM of a foreign architecture
# needs besides the kernel: that architecture's busybox-static (SYS/guest/
# busybox), and from the image package the two modules that give the
# payload its own port (virtio_mmio, virtio_console: arm64's virt machine
# has one UART, the kernel console's) in SYS/guest/modules.
deb_fetch_guest()
{
	local tmp=$1 sys=$2 image=$3 arch=$4 m

	(cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root \
		"busybox-static:$arch" >&2)
	mkdir -p "$sys/guest/modules" "$tmp/bb"
	dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/bb"
	mv "$tmp/bb/bin/busybox" "$sys/guest/busybox"
	dpkg-deb --fsys-tarfile "$tmp/${image}_"*.deb |
		tar -x -C "$tmp/bb" --wildcards '*/virtio_mmio.ko' '*/virtio_console.ko'
	for m in virtio_mmio virtio_console; do
		find "$tmp/bb" -name "$m.ko" -exec mv {} "$sys/guest/modules/" \;
		[ -r "$sys/guest/modules/$m.ko" ] || die "$image has no $m.ko"
	done
}

# The modules a VM loads before the suites: fuse.ko (mpx_stall_test's
# FUSE server) where the kernel's config (in its headers tree) builds it
# as a module. vm_modules_wanted KDIR prints their tree paths, none when
# the kernel builds FUSE in (6.12, 7.x).
vm_modules_wanted()
{
	grep -qx 'CONFIG_FUSE_FS=m' "$1/.config" && echo kernel/fs/fuse/fuse.ko
	return 0
}

# take_modules ROOT DEST KDIR: those modules, found anywhere below ROOT (a
# lib/modules/VER tree or an unpacked image package), into DEST,
# decompressed: busybox's insmod may not read a .ko.xz or .ko.zst.
take_modules()
{
	local root=$1 dest=$2 m f

	for m in $(vm_modules_wanted "$3"); do
		mkdir -p "$dest"
		f=$(find "$root" \( -path "*/$m" -o -path "*/$m.[gxz]*" \) \
			-print -quit)
		[ -n "$f" ] || die "no $m in $root"
		case $f in
		*.xz) xz -dc "$f" ;;
		*.zst) zstd -dcq "$f" ;;
		*.gz) gzip -dc "$f" ;;
		*) cat "$f" ;;
		esac > "$dest/.${m##*/}" || die "cannot decompress $f"
		mv "$dest/.${m##*/}" "$dest/${m##*/}"
	done
}

# have_modules DIR KDIR: DIR holds every module of vm_modules_wanted.
have_modules()
{
	local m

	for m in $(vm_modules_wanted "$2"); do
		[ -r "$1/${m##*/}" ] || return 1
	done
}

# deb_modules VER: the directory holding the modules of vm_modules_wanted,
# CACHE/kernels/VER/modules, or nothing when there are none. The installed
# kernel's come from /lib/modules; deb_fetch keeps a fetched kernel's, and
# a cache fetched before it did so gets them here, from the image package
# downloaded again (once).
deb_modules()
{
	local ver=$1 dir=$cache/kernels/$1/modules kdir

	# Not yet for arm64: mpx_stall_test has not run there, and skips.
	[ -z "$(foreign_arch "$ver")" ] || return 0
	kdir=$(deb_kdir "$ver")
	[ -n "$(vm_modules_wanted "$kdir")" ] || return 0
	if ! have_modules "$dir" "$kdir"; then
		cache_lock kernel -x
		have_modules "$dir" "$kdir" || deb_fetch_modules "$ver" "$dir" "$kdir"
	fi
	echo "$dir"
}

deb_fetch_modules()
{
	local ver=$1 dir=$2 kdir=$3 tmp image version

	if deb_installed "$ver"; then
		take_modules "/lib/modules/$ver" "$dir" "$kdir"
		return
	fi
	image=$(stamp_get "$ver" packages)
	image=${image##* }
	version=$(stamp_get "$ver" version)
	if [ -z "$image" ] || [ -z "$version" ]; then
		die "$ver: no image package in its .stamp: run kernel.sh fetch $ver"
	fi
	tmp=$(mktemp -d "$cache/kernels/.$ver.XXXXXX")
	# shellcheck disable=SC2064 # expand now: $tmp is local
	trap "rm -rf '$tmp'" EXIT
	say "$ver: downloading $image ($version) for its modules"
	(cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root \
		"$image=$version" >&2)
	deb_untar_modules "$tmp/${image}_"*.deb "$tmp/x" "$kdir"
	take_modules "$tmp/x" "$dir" "$kdir"
	rm -rf "$tmp"
	trap - EXIT
}

# deb_untar_modules DEB DIR KDIR [MEMBER...]: the MEMBERs and the modules
# of vm_modules_wanted (any compression) out of image package DEB into DIR.
deb_untar_modules()
{
	local deb=$1 dir=$2 kdir=$3 m pats=()

	shift 3
	for m in $(vm_modules_wanted "$kdir"); do
		pats+=("*/modules/*/$m*")
	done
	mkdir -p "$dir"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -x -C "$dir" --wildcards "$@" "${pats[@]}"
}

deb_fetch()
{
	local ver=$1 dir=$cache/kernels/$1 hdr=linux-headers-$1
	local version deps common kbuild image tmp sys l t f

	deb_installed "$ver" &&
		die "$ver: no /usr/src/linux-headers-$ver or /boot/vmlinuz-$ver: run make deps"
	version=$(apt-cache show --no-all-versions "$hdr" | sed -n 's/^Version: //p')
	deps=$(deb_depends "$hdr")
	common=$(grep -E '^linux-headers-.*-common(-rt)?$' <<<"$deps" | head -n 1)
	kbuild=$(grep -E '^linux-kbuild-' <<<"$deps" | head -n 1)
	if [ -z "$version" ] || [ -z "$common" ] || [ -z "$kbuild" ]; then
		die "$ver: cannot work out the packages of $hdr"
	fi
	image=linux-image-$ver
	has_candidate apt-cache "$image" || image=$image-unsigned
	if deb_depends "$kbuild" | grep -qx pahole; then
		need_pkg dwarves
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
	deb_untar_modules "$tmp/${image}_"*.deb "$tmp/img" "$sys/usr/src/$hdr" ./boot
	mv "$tmp/img/boot" "$sys/boot"
	take_modules "$tmp/img" "$sys/modules" "$sys/usr/src/$hdr"
	if [ -n "$(tree_cross "$sys/usr/src/$hdr")" ]; then
		deb_fetch_guest "$tmp" "$sys" "$image" "$(foreign_arch "$ver")"
	fi
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
	t=$(tree_cross "$sys/usr/src/$hdr")
	need_pkg "$(tree_gcc "$sys/usr/src/$hdr")${t:+-${t%-}}"

	printf 'kind=deb\nversion=%s\ndir=%s\npackages=%s\n' "$version" "$dir" \
		"$hdr $common $kbuild $image" > "$sys/.stamp"
	remove_tree "$dir"
	mv "$sys" "$dir"
	rm -rf "$tmp"
	trap - EXIT
}
