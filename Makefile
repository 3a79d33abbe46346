# SPDX-License-Identifier: GPL-2.0
#
# mpx - an out-of-tree kernel module (Kbuild lists its objects), its tools
# and selftests.
#
#   make              build mpx.ko for KVER
#   make install      DKMS add/build/install for KVER, and the udev rule
#   make uninstall
#   make deb          the Debian packages (debian/), checked by lintian
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
# dkms.conf made from dkms.conf.in (the version is VERSION's). The udev
# rule gives /dev/mpx its mode before the module is loaded (see the rule).
SRCDIR := $(DESTDIR)/usr/src/mpx-$(VERSION)
UDEVDIR ?= /etc/udev/rules.d

dkms.conf: dkms.conf.in VERSION
	sed 's/@VERSION@/$(VERSION)/' $< > $@

# The DKMS source tree (the Debian package's too, with DESTDIR).
install-src: dkms.conf
	rm -rf $(SRCDIR)
	mkdir -p $(SRCDIR)
	cp -r Kbuild VERSION dkms.conf $(SOURCES) include $(SRCDIR)/

install: install-src
	install -D -m 644 udev/60-mpx.rules $(UDEVDIR)/60-mpx.rules
	dkms remove mpx/$(VERSION) --all >/dev/null 2>&1 || true
	dkms install mpx/$(VERSION) -k $(KVER)

uninstall:
	dkms remove mpx/$(VERSION) --all
	rm -rf $(SRCDIR) $(UDEVDIR)/60-mpx.rules

# The Debian packages (debian/), built from a copy of the tree in
# build/deb, where the .deb files land; lintian judges them (deb-build
# only builds them: make check-packages runs lintian itself).
DEB_DIR := build/deb
deb: deb-build
	lintian --fail-on error,warning --info $(DEB_DIR)/*.changes

deb-build:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/mpx-$(VERSION)
	git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t $(DEB_DIR)/mpx-$(VERSION)
	cd $(DEB_DIR)/mpx-$(VERSION) && dpkg-buildpackage -us -uc -b

clean:
	+$(KMAKE) M=$(CURDIR) clean
	$(MAKE) -C selftests clean
	$(MAKE) -C tools/libmpx clean
	$(MAKE) -C tools/mpxctl clean
	$(MAKE) -C tools/bench clean
	rm -f dkms.conf
	rm -rf build

.PHONY: all module tools selftests install-src install uninstall deb deb-build clean
