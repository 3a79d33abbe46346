# SPDX-License-Identifier: GPL-2.0
#
# mpx - an out-of-tree kernel module (Kbuild lists its objects), its tools
# and selftests.
#
#   make              build mpx.ko for KVER
#   make install      DKMS add/build/install for KVER
#   make uninstall
#   make tools        libmpx, mpxctl, the benchmark
#   make selftests    the kselftest suites
#   make clean
#
# KVER defaults to the running kernel and KDIR, the kernel's build tree,
# to /lib/modules/KVER/build. The QEMU test rig (make deps, check, demo,
# lint, ...) is selftests/rig.mk; on a machine without headers for the
# running kernel, such as the test machines, it points make at its own
# default kernel (Debian 6.1).

VERSION := $(shell cat VERSION)
KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
KMAKE = $(MAKE) -C $(KDIR)
SOURCES := $(filter-out %.mod.c,$(wildcard *.c))

all: module

-include selftests/rig.mk

module:
	+$(KMAKE) M=$(CURDIR) modules

tools:
	$(MAKE) -C tools/mpxctl
	$(MAKE) -C tools/bench

selftests:
	$(MAKE) -C selftests

# DKMS builds from a copy of the sources in /usr/src/mpx-VERSION, with
# dkms.conf made from dkms.conf.in (the version is VERSION's).
dkms.conf: dkms.conf.in VERSION
	sed 's/@VERSION@/$(VERSION)/' $< > $@

install: dkms.conf
	rm -rf /usr/src/mpx-$(VERSION)
	mkdir -p /usr/src/mpx-$(VERSION)
	cp -r Kbuild VERSION dkms.conf $(SOURCES) include /usr/src/mpx-$(VERSION)/
	dkms remove mpx/$(VERSION) --all >/dev/null 2>&1 || true
	dkms install mpx/$(VERSION) -k $(KVER)

uninstall:
	dkms remove mpx/$(VERSION) --all
	rm -rf /usr/src/mpx-$(VERSION)

clean:
	+$(KMAKE) M=$(CURDIR) clean
	$(MAKE) -C selftests clean
	$(MAKE) -C tools/libmpx clean
	$(MAKE) -C tools/mpxctl clean
	$(MAKE) -C tools/bench clean
	rm -f dkms.conf
	rm -rf build

.PHONY: all module tools selftests install uninstall clean
