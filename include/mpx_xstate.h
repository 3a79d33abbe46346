/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where an xstate component sits in a saved XSAVE image, from the CPU's
 * CPUID leaf 0xD table: pure arithmetic, no CPU access. mpx_bounds.c fills
 * the table once at load; the user-space unit test
 * selftests/mpx_xstate_test.c includes this file and runs it against the
 * tables of real MPX CPUs, because TCG never produces the compacted format
 * (XSAVES) that those CPUs' kernels use.
 *
 * Only the components up to BNDCSR matter: in the compacted format a
 * component's offset depends on the components before it, and MPX's are
 * numbers 3 and 4.
 */
#ifndef _MPX_XSTATE_H
#define _MPX_XSTATE_H

#ifdef __KERNEL__
#include <linux/align.h>
#include <linux/bits.h>
#include <linux/types.h>
#endif

#define MPX_XSTATE_NR_COMP	5	/* x87, SSE, AVX, BNDREGS, BNDCSR */
#define MPX_XSTATE_FIRST_EXT	2	/* the first component after the legacy area */
#define MPX_XSTATE_EXT_OFFSET	576	/* legacy area (512) + XSAVE header (64) */
#define MPX_XSTATE_ALIGN	64
#define MPX_XCOMP_BV_COMPACTED	BIT_ULL(63)

/**
 * struct mpx_xstate_comp - one component's row of CPUID leaf 0xD
 * @size: EAX of sub-leaf i: the component's size in bytes
 * @offset: EBX: its offset in the standard (non-compacted) format
 * @align64: ECX bit 1: in the compacted format it starts 64-byte aligned
 */
struct mpx_xstate_comp {
	u32 size;
	u32 offset;
	bool align64;
};

/**
 * mpx_xstate_offset() - offset of a component in a saved XSAVE image
 * @tab: CPUID leaf 0xD rows of components 0 to MPX_XSTATE_NR_COMP - 1
 * @xcomp_bv: the image's XCOMP_BV (XSAVE header, bytes 8-15)
 * @nr: the component, from MPX_XSTATE_FIRST_EXT to MPX_XSTATE_NR_COMP - 1
 *
 * The standard format puts every component at its CPUID offset. The
 * compacted format (XCOMP_BV bit 63) packs the components present in
 * XCOMP_BV in order after the legacy area and the header, each aligned to
 * 64 bytes when its row says so (Intel SDM vol. 1, 13.4.3).
 *
 * Return: the offset, or 0 when the image does not hold the component.
 */
static inline unsigned int mpx_xstate_offset(const struct mpx_xstate_comp *tab,
					     u64 xcomp_bv, int nr)
{
	unsigned int off = MPX_XSTATE_EXT_OFFSET;
	int i;

	if (nr < MPX_XSTATE_FIRST_EXT || nr >= MPX_XSTATE_NR_COMP)
		return 0;
	if (!(xcomp_bv & MPX_XCOMP_BV_COMPACTED))
		return tab[nr].offset;
	if (!(xcomp_bv & BIT_ULL(nr)))
		return 0;
	for (i = MPX_XSTATE_FIRST_EXT; i < nr; i++) {
		if (!(xcomp_bv & BIT_ULL(i)))
			continue;
		if (tab[i].align64)
			off = ALIGN(off, MPX_XSTATE_ALIGN);
		off += tab[i].size;
	}
	if (tab[nr].align64)
		off = ALIGN(off, MPX_XSTATE_ALIGN);
	return off;
}

#endif /* _MPX_XSTATE_H */
