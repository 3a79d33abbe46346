#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The default test kernel: the newest Debian 6.1 headers installed.
ls -d /usr/src/linux-headers-*-amd64 2>/dev/null |
	sed 's|.*/linux-headers-||' | sort -V | tail -n 1
