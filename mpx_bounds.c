// SPDX-License-Identifier: GPL-2.0
/*
 * mpx: CPU feature detection and the region checks.
 *
 * Hardware mode needs MPX in CPUID (leaf 7, EBX bit 14, X86_FEATURE_MPX) and
 * both MPX state components, BNDREGS and BNDCSR, enabled in XCR0. The module
 * never changes XCR0: it only reads what the kernel set up at boot. Detection
 * runs once at load; the result does not change while the module is loaded.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <asm/cpufeature.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xcr.h>

#include "mpx_internal.h"

#define MPX_XFEATURES	(XFEATURE_MASK_BNDREGS | XFEATURE_MASK_BNDCSR)

static bool mpx_cpu_mpx __ro_after_init;

void __init mpx_bounds_detect(void)
{
	u64 xcr0 = 0;

	if (boot_cpu_has(X86_FEATURE_OSXSAVE))
		xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	mpx_cpu_mpx = boot_cpu_has(X86_FEATURE_MPX) &&
		      (xcr0 & MPX_XFEATURES) == MPX_XFEATURES;
	pr_debug("cpu mpx %d, xcr0 %#llx\n", mpx_cpu_mpx, xcr0);
}

/* INFO.hw: the CPU has MPX and XCR0 enables its state components. */
bool mpx_cpu_has_mpx(void)
{
	return mpx_cpu_mpx;
}

/* INFO.mode: hardware mode is in use. */
bool mpx_hw_mode(void)
{
	return false;
}

/**
 * mpx_region_inside() - does [addr, addr + len) lie in a key's region?
 * @addr: start of the checked range
 * @len: its length, > 0
 * @lower: start of the key's region
 * @lower_len: length of the key's region, > 0
 *
 * Both ranges were validated not to wrap (see mpx_syscall()).
 */
bool mpx_region_inside(unsigned long addr, int len,
		       unsigned long lower, int lower_len)
{
	return addr >= lower && addr + len <= lower + lower_len;
}
