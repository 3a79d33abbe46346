# SPDX-License-Identifier: GPL-2.0
#
# The QEMU test rig's targets, included by the top Makefile. Nothing here
# loads anything into the host's kernel: every test boots a throwaway VM.
#
#   make deps     install build and test dependencies (Debian bookworm, root)
#   make check    the test matrix: for every kernel (Debian 6.1, 6.12 and
#                 the newest 7.x) build with W=1 and sparse, then run every
#                 selftest in QEMU on CPU models "max" (MPX) and "max,-mpx";
#                 prints a table and ends with "N passed, N failed"
#   make check-debug  the same suites on a 6.1 debug kernel (KASAN, KFENCE,
#                 lockdep, kmemleak, UBSAN...), built once into CACHE
#   make check-packages  the Debian packages: built, lintian-clean, then
#                 installed and used in a Debian VM with systemd and udev
#   make fuzz N=  the ioctl fuzzer alone, N calls (FUZZ_KVER, default RIG_KVER)
#   make torture N=  the torture suite alone, N reload cycles
#   make demo     boot the VM, load the module and show it working
#   make bench    what a call costs, idle and traced, as ratios to getppid(),
#                 and a key's kernel memory, under each CPU model of CPUS:
#                 BOOTS boots (default 3) of RUNS runs each (default 3,
#                 each loading the module anew), then each figure's median;
#                 BASE=REV compares REV's module with this tree's, in turn
#                 in the same boots
#   make profile  where the time of each kind of call goes (function_graph
#                 in the VM, tools/bench/mpx_profile.sh), under each CPU model
#   make lint     checkpatch.pl --strict, kernel-doc, shellcheck, sparse and
#                 the module's layering; ends with "N passed, N failed"
#
# Variables: RIG_KVER (the kernel demo, bench, fuzz, torture and lint use:
# KVER when given, else the Debian 6.1 one), KERNELS and CPUS (the matrix
# of `make check`; default every kernel of kernel.sh list, "max max,-mpx"),
# JOBS (VMs run at once by check and check-debug, default 1; each VM keeps
# one host CPU busy), CACHE (downloads, the sid chroot and the debug
# kernel, outside the repository, default /var/cache/mpx; safe to delete).
# The rig builds the module in build/kbuild/VER (selftests/vm/kbuild.sh),
# never in the source tree.

CACHE ?= /var/cache/mpx
export CACHE
KERNELS ?=
CPUS ?= max max,-mpx
BOOTS ?= 3
RUNS ?= 3
JOBS ?= 1
N ?=
KSH := selftests/vm/kernel.sh --cache $(CACHE)
KBUILD := selftests/vm/kbuild.sh --cache $(CACHE)
RUN := selftests/vm/run.sh --cache $(CACHE)

# No headers for the running kernel here (the test machines): build for
# the rig's default kernel; one of the rig's other kernels (6.12, 7.x, the
# debug one) is built against its headers in CACHE.
ifeq ($(origin KVER)$(wildcard $(KDIR)/Makefile),file)
KVER := $(shell selftests/vm/kver.sh)
endif
ifeq ($(origin KDIR)$(wildcard $(KDIR)/Makefile),file)
KMAKE = $(KSH) make $(KVER)
endif
ifeq ($(origin KVER),file)
RIG_KVER := $(shell selftests/vm/kver.sh)
else
RIG_KVER := $(KVER)
endif
FUZZ_KVER ?= $(RIG_KVER)

# What the guest gets besides the suites: mpxctl, and the worker the
# suites exec (it must be beside them or in PATH).
GUEST_BIN := tools/mpxctl/mpxctl \
	$(if $(wildcard selftests/mpx_worker.c),selftests/mpx_worker selftests/mpx_worker32)
export MPX_EXTRA_BIN := $(GUEST_BIN)

deps:
	selftests/vm/deps.sh $(CACHE)

check: tools selftests
	selftests/vm/check.sh --cache $(CACHE) --jobs $(JOBS) \
		$(foreach k,$(KERNELS),--kernel $(k)) $(foreach c,$(CPUS),--cpu $(c))

DEBUG_KVER = $(shell $(KSH) list-debug)
check-debug: tools selftests
	$(KSH) fetch $(DEBUG_KVER)
	selftests/vm/check.sh --cache $(CACHE) --jobs $(JOBS) \
		--kernel $(DEBUG_KVER) $(foreach c,$(CPUS),--cpu $(c))

# rig_run VER GUEST-ENV RUN-ARGS: build mpx.ko for VER, boot VER with it.
define rig_run
	$(KBUILD) $(1) modules >/dev/null
	MPX_GUEST_ENV="$(2)" $(RUN) --kver $(1) --cpu $(firstword $(CPUS)) \
		--ko build/kbuild/$(1)/mpx.ko $(3)
endef

# The Debian packages: make deb, lintian, then installed and used in a
# Debian VM booted with systemd (selftests/pkg/check.sh).
check-packages: tools selftests
	selftests/pkg/check.sh --cache $(CACHE) --cpu $(firstword $(CPUS))

fuzz: tools selftests
	$(call rig_run,$(FUZZ_KVER),$(if $(N),MPX_FUZZ_CALLS=$(N)),\
		--out build/vm/fuzz-$(FUZZ_KVER) test selftests/mpx_fuzz_test)

torture: tools selftests
	$(call rig_run,$(RIG_KVER),$(if $(N),MPX_TORTURE_CYCLES=$(N)),\
		--out build/vm/torture-$(RIG_KVER) test selftests/mpx_torture_test)

demo: tools
	$(call rig_run,$(RIG_KVER),,demo)

# Both CPU models, BOOTS VMs each: hardware mode, then software mode. A VM
# runs the bench RUNS times; each run reloads the module (max_keys), so the
# medians are over RUNS x BOOTS placements of the kernel and the module.
# BASE=REV: REV's module (built by REV's own rig in build/bench/base) and
# this tree's take turns in the same boots (tools/bench/mpx_bench_ab.sh),
# and each gets its medians: a change judged against its base without the
# boot-to-boot noise.
BENCH_BASE := build/bench/base
bench: tools
	$(KBUILD) $(RIG_KVER) modules >/dev/null
	mkdir -p build/bench
ifneq ($(BASE),)
	rm -rf $(BENCH_BASE) && mkdir -p $(BENCH_BASE)
	git archive $(BASE) | tar -x -C $(BENCH_BASE)
	$(BENCH_BASE)/selftests/vm/kbuild.sh --cache $(CACHE) $(RIG_KVER) \
		modules >/dev/null
	cp $(BENCH_BASE)/build/kbuild/$(RIG_KVER)/mpx.ko build/bench/mpx_base.ko
	cp build/kbuild/$(RIG_KVER)/mpx.ko build/bench/mpx_this.ko
endif
	set -e; for cpu in $(CPUS); do \
		rm -f build/bench/$$cpu-*.log; \
		for boot in $$(seq $(BOOTS)); do \
			log=build/bench/$$cpu-$$boot.log; \
			MPX_GUEST_ENV=MPX_BENCH_RUNS=$(RUNS) \
			MPX_EXTRA_BIN="$(GUEST_BIN) $(BENCH_BIN)" \
			$(RUN) --kver $(RIG_KVER) --cpu $$cpu \
				--ko build/kbuild/$(RIG_KVER)/mpx.ko \
				test $(BENCH_SUITES) >$$log 2>&1 || \
				{ cat $$log; exit 1; }; \
			cat $$log; \
		done; \
		for v in $(if $(BASE),base this,""); do \
			tools/bench/mpx_bench_median.sh $${v:+--variant $$v} \
				build/bench/$$cpu-*.log; \
		done; \
	done

BENCH_SUITES = $(if $(BASE),tools/bench/mpx_bench_ab.sh,\
	$(foreach r,$(shell seq $(RUNS)),tools/bench/mpx_bench))
BENCH_BIN = $(if $(BASE),tools/bench/mpx_bench build/bench/mpx_base.ko \
	build/bench/mpx_this.ko)

profile: tools
	$(KBUILD) $(RIG_KVER) modules >/dev/null
	set -e; for cpu in $(CPUS); do \
		MPX_EXTRA_BIN=tools/bench/mpx_profile_drv $(RUN) \
			--kver $(RIG_KVER) --cpu $$cpu \
			--ko build/kbuild/$(RIG_KVER)/mpx.ko \
			test tools/bench/mpx_profile.sh; \
	done

lint:
	selftests/lint/lint.sh --cache $(CACHE) --kver $(RIG_KVER)

.PHONY: deps check check-debug check-packages fuzz torture demo bench profile lint
