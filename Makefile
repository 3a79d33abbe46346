# SPDX-License-Identifier: GPL-2.0
#
# mpx - out-of-tree kernel module, its tools and its VM test rig.
#
#   make deps     install build and test dependencies (Debian bookworm, root)
#   make          build mpx.ko for KVER (default: the Debian 6.1 kernel)
#   make check    the test matrix: for every kernel (Debian 6.1, 6.12 and
#                 the newest 7.x) build with W=1 and sparse, then run every
#                 selftest in QEMU on CPU models "max" (MPX) and "max,-mpx";
#                 prints a table and ends with "N passed, N failed"
#   make check-debug  the same suites on a 6.1 debug kernel (KASAN, KFENCE,
#                 lockdep, kmemleak, UBSAN...), built once into CACHE
#   make fuzz N=  the ioctl fuzzer alone, N calls (FUZZ_KVER, default KVER)
#   make torture N=  the torture suite alone, N reload cycles
#   make demo     boot the VM, load the module and show it working
#   make bench    what a call costs, idle and traced, as ratios to getppid()
#   make lint     checkpatch.pl --strict and sparse
#   make install  DKMS add/build/install for the installed kernel headers
#   make clean
#
# Variables: KVER (the kernel `make`, demo and install use; default the
# Debian 6.1 one), KDIR (build against these headers instead), KERNELS and
# CPUS (the matrix of `make check`; default all kernels of kernel.sh list,
# "max max,-mpx"), CACHE (downloads and the sid chroot, outside the
# repository, default /var/cache/mpx; safe to delete).

CACHE ?= /var/cache/mpx
KVER ?= $(shell selftests/vm/kver.sh)
KERNELS ?=
CPUS ?= max max,-mpx
KSH := selftests/vm/kernel.sh --cache $(CACHE)
ifdef KDIR
KMAKE := $(MAKE) -C $(KDIR)
else
KMAKE := $(KSH) make $(KVER)
endif
VERSION := $(shell cat VERSION)
SOURCES := $(filter-out %.mod.c,$(wildcard *.c include/*.h include/uapi/linux/*.h \
	selftests/*.c selftests/*.h tools/*/*.c tools/*/*.h))

all: module

module:
	+$(KMAKE) M=$(CURDIR) modules

tools:
	$(MAKE) -C tools/mpxctl
	$(MAKE) -C tools/bench

selftests:
	$(MAKE) -C selftests CACHE=$(CACHE)

deps:
	selftests/vm/deps.sh $(CACHE)

check: tools selftests
	MPX_EXTRA_BIN=tools/mpxctl/mpxctl selftests/vm/check.sh --cache $(CACHE) \
		$(foreach k,$(KERNELS),--kernel $(k)) $(foreach c,$(CPUS),--cpu $(c))

DEBUG_KVER = $(shell $(KSH) list-debug)
check-debug: tools selftests
	$(KSH) fetch $(DEBUG_KVER)
	MPX_EXTRA_BIN=tools/mpxctl/mpxctl selftests/vm/check.sh --cache $(CACHE) \
		--kernel $(DEBUG_KVER) $(foreach c,$(CPUS),--cpu $(c))

# One suite on one kernel (build/kbuild/VER/mpx.ko, built here).
N ?=
FUZZ_KVER ?= $(KVER)
define run_suite
	rm -rf build/kbuild/$(1) && mkdir -p build/kbuild/$(1)
	cp -r Kbuild VERSION *.c include build/kbuild/$(1)/
	$(KSH) make $(1) M=$(CURDIR)/build/kbuild/$(1) modules >/dev/null
	MPX_EXTRA_BIN=tools/mpxctl/mpxctl MPX_GUEST_ENV="$(3)" \
		selftests/vm/run.sh --cache $(CACHE) --kver $(1) \
		--cpu $(firstword $(CPUS)) --ko build/kbuild/$(1)/mpx.ko \
		--out build/vm/$(2)-$(1) test selftests/$(2)
endef
fuzz: tools selftests
	$(call run_suite,$(FUZZ_KVER),mpx_fuzz_test,$(if $(N),MPX_FUZZ_CALLS=$(N)))
torture: tools selftests
	$(call run_suite,$(KVER),mpx_torture_test,$(if $(N),MPX_TORTURE_CYCLES=$(N)))

demo: module tools
	selftests/vm/run.sh --cache $(CACHE) --kver $(KVER) \
		--cpu $(firstword $(CPUS)) demo \
		tools/mpxctl/mpxctl

# checkpatch --strict on everything. Ignored: LINUX_VERSION_CODE (the one
# version check in mpx_compat.h, which says why it cannot be a feature
# test), and in the trace header the layout TRACE_EVENT() requires.
CHECKPATCH := perl $(CACHE)/scripts/checkpatch.pl --no-tree --strict --quiet \
	--show-types --ignore LINUX_VERSION_CODE
# User-space code (selftests, tools) is held to the same rules except what
# has no user-space meaning or fights the kselftest harness: BIT() and
# __aligned() do not exist there, volatile sig_atomic_t is right in signal
# handlers, the harness's EXPECT/ASSERT expand to two statements (braces),
# mishandle bare pointers on 32-bit (!= NULL) and take flow control
# (SKIP(return, ...)), and asm strings name instructions like functions.
USER_IGNORE := BIT_MACRO,PREFER_DEFINED_ATTRIBUTE_MACRO,VOLATILE,BRACES,COMPARISON_TO_NULL,MACRO_WITH_FLOW_CONTROL,MACRO_ARG_REUSE,EMBEDDED_FUNCTION_NAME,CAMELCASE
KERNEL_SOURCES := $(filter-out selftests/% tools/% include/mpx_trace.h,$(SOURCES))
bench: module tools
	selftests/vm/run.sh --cache $(CACHE) --kver $(KVER) \
		--cpu $(firstword $(CPUS)) test tools/bench/mpx_bench

lint:
	$(CHECKPATCH) -f $(KERNEL_SOURCES)
	$(CHECKPATCH) --ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT \
		-f include/mpx_trace.h
	$(CHECKPATCH) --ignore $(USER_IGNORE) \
		-f $(filter selftests/% tools/%,$(SOURCES))
	+$(KMAKE) M=$(CURDIR) C=2 W=1 modules

install:
	rm -rf /usr/src/mpx-$(VERSION)
	mkdir -p /usr/src/mpx-$(VERSION)
	cp -r Kbuild VERSION dkms.conf *.c include /usr/src/mpx-$(VERSION)/
	dkms remove mpx/$(VERSION) --all >/dev/null 2>&1 || true
	dkms install mpx/$(VERSION) -k $(KVER)

uninstall:
	dkms remove mpx/$(VERSION) --all
	rm -rf /usr/src/mpx-$(VERSION)

clean:
	+$(KMAKE) M=$(CURDIR) clean
	$(MAKE) -C selftests clean
	$(MAKE) -C tools/mpxctl clean
	$(MAKE) -C tools/bench clean
	rm -rf build

.PHONY: all module tools bench selftests check-debug fuzz torture deps check demo lint install uninstall clean
