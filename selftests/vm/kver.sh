#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The default test kernel: the newest Debian 6.1 headers installed (the
# generic flavour, not -rt-amd64).
for d in /usr/src/linux-headers-*[0-9]-amd64; do
	[ -d "$d" ] && echo "${d#/usr/src/linux-headers-}"
done | sort -V | tail -n 1
