// SPDX-License-Identifier: GPL-2.0
/*
 * mpx_xstate_test - the module's xstate layout arithmetic
 * (include/mpx_xstate.h) against the CPUID leaf 0xD tables of real CPUs.
 *
 * Real MPX CPUs (Skylake and later) run kernels that save a task's state
 * with XSAVES, in the compacted format, and the module edits that image
 * when the task's registers are not live; TCG has no XSAVES, so the
 * compacted branch never runs in the test VMs. This suite needs no
 * module and no MPX: it feeds the module's own function the tables of
 * real CPUs and the XCOMP_BV their kernels write, and checks the offsets
 * of BNDREGS (3) and BNDCSR (4) against values worked out by hand from
 * the Intel SDM's rule (vol. 1, 13.4.3): after the 512-byte legacy area
 * and the 64-byte header, the components present in XCOMP_BV in order,
 * each aligned to 64 bytes if CPUID 0xD.i ECX bit 1 says so.
 *
 * The tables (EAX size, EBX standard offset, ECX bit 1) are copied from
 * public "cpuid -1 --raw" dumps:
 *  - Kaby Lake R, Core i5-8350U (family 6 model 0x8e, CPUID 1 EAX
 *    0x806ea; leaf 7 EBX bit 14, MPX, set), posted to LKML on 2022-08-23
 *    in "Re: WARNING: CPU: 1 PID: 83 at arch/x86/kernel/cpu/sgx/main.c:446".
 *    Sub-leaves 2, 3, 4 are those of every Intel MPX CPU (Skylake,
 *    Kaby/Coffee Lake, Skylake-SP, Cascade Lake, Cooper Lake); the server
 *    parts add AVX-512 (5-7) and PKRU (9) after them, which cannot move
 *    components 3 and 4.
 *  - Sapphire Rapids (no MPX: XCR0 0x602e7, sub-leaves 3 and 4 all zero),
 *    posted to LKML with the AMX/KVM leaf 0xD report of 2022.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <linux/types.h>

#include "kselftest_harness.h"

/* What mpx_xstate.h takes from the kernel's headers. */
typedef __u32 u32;
typedef __u64 u64;
#define BIT_ULL(n)	(1ULL << (n))
static inline unsigned int ALIGN(unsigned int x, unsigned int a)
{
	return (x + a - 1) & ~(a - 1);
}

#include "../include/mpx_xstate.h"

#define BNDREGS		3
#define BNDCSR		4
#define COMPACTED	MPX_XCOMP_BV_COMPACTED
#define X87_SSE		0x3ULL
#define AVX		BIT_ULL(2)
#define MPX		(BIT_ULL(BNDREGS) | BIT_ULL(BNDCSR))
#define AVX512		(BIT_ULL(5) | BIT_ULL(6) | BIT_ULL(7))
#define PKRU		BIT_ULL(9)
#define PASID		BIT_ULL(10)

/* Rows 0 and 1 (the legacy area) are never read. */
static const struct mpx_xstate_comp kaby_lake[MPX_XSTATE_NR_COMP] = {
	[2] = { .size = 0x100, .offset = 0x240 },
	[3] = { .size = 0x40, .offset = 0x3c0 },
	[4] = { .size = 0x40, .offset = 0x400 },
};

static const struct mpx_xstate_comp sapphire_rapids[MPX_XSTATE_NR_COMP] = {
	[2] = { .size = 0x100, .offset = 0x240 },
};

/*
 * Not a real CPU: an AVX row of 72 bytes and a BNDREGS row that wants
 * 64-byte alignment, so that the alignment rule changes the answer.
 */
static const struct mpx_xstate_comp odd_sizes[MPX_XSTATE_NR_COMP] = {
	[2] = { .size = 72, .offset = 0x240 },
	[3] = { .size = 0x40, .offset = 0x3c0, .align64 = true },
	[4] = { .size = 0x40, .offset = 0x400 },
};

/* Standard format (XSAVE, XSAVEOPT; a kernel booted with noxsaves). */
TEST(standard_format_uses_cpuid_offsets)
{
	u64 bv = 0;	/* XCOMP_BV is 0 in a standard-format image */

	EXPECT_EQ(960, mpx_xstate_offset(kaby_lake, bv, BNDREGS));
	EXPECT_EQ(1024, mpx_xstate_offset(kaby_lake, bv, BNDCSR));
}

/* Linux 6.1 on Kaby Lake R: XCOMP_BV = bit 63 | XCR0 (0x1f). */
TEST(kaby_lake_compacted)
{
	u64 bv = COMPACTED | X87_SSE | AVX | MPX;

	/* 576 + 256 (AVX) */
	EXPECT_EQ(832, mpx_xstate_offset(kaby_lake, bv, BNDREGS));
	/* 832 + 64 (BNDREGS) */
	EXPECT_EQ(896, mpx_xstate_offset(kaby_lake, bv, BNDCSR));
}

/* Cascade Lake: XCR0 0x2ff; AVX-512 and PKRU come after MPX. */
TEST(cascade_lake_compacted)
{
	u64 bv = COMPACTED | X87_SSE | AVX | MPX | AVX512 | PKRU;

	EXPECT_EQ(832, mpx_xstate_offset(kaby_lake, bv, BNDREGS));
	EXPECT_EQ(896, mpx_xstate_offset(kaby_lake, bv, BNDCSR));
}

/* A kernel that keeps AVX out of its xfeatures: MPX moves down to 576. */
TEST(compacted_without_avx)
{
	u64 bv = COMPACTED | X87_SSE | MPX;

	EXPECT_EQ(576, mpx_xstate_offset(kaby_lake, bv, BNDREGS));
	EXPECT_EQ(640, mpx_xstate_offset(kaby_lake, bv, BNDCSR));
}

/* A compacted image without component 4 has no room for it. */
TEST(compacted_image_without_the_component)
{
	u64 bv = COMPACTED | X87_SSE | AVX | BIT_ULL(BNDREGS);

	EXPECT_EQ(832, mpx_xstate_offset(kaby_lake, bv, BNDREGS));
	EXPECT_EQ(0, mpx_xstate_offset(kaby_lake, bv, BNDCSR));
}

/* Sapphire Rapids (Linux 6.1: XCR0's user bits and PASID): no MPX. */
TEST(sapphire_rapids_has_no_mpx)
{
	u64 bv = COMPACTED | X87_SSE | AVX | AVX512 | PKRU | PASID;

	EXPECT_EQ(0, mpx_xstate_offset(sapphire_rapids, bv, BNDREGS));
	EXPECT_EQ(0, mpx_xstate_offset(sapphire_rapids, bv, BNDCSR));
}

TEST(alignment_applies_in_compacted_format_only)
{
	u64 bv = COMPACTED | X87_SSE | AVX | MPX;

	/* 576 + 72 = 648, aligned up to 704; BNDCSR right after it. */
	EXPECT_EQ(704, mpx_xstate_offset(odd_sizes, bv, BNDREGS));
	EXPECT_EQ(768, mpx_xstate_offset(odd_sizes, bv, BNDCSR));
	EXPECT_EQ(960, mpx_xstate_offset(odd_sizes, 0, BNDREGS));
}

TEST(components_outside_the_table_are_refused)
{
	u64 bv = COMPACTED | X87_SSE | AVX | MPX;

	EXPECT_EQ(0, mpx_xstate_offset(kaby_lake, bv, 0));
	EXPECT_EQ(0, mpx_xstate_offset(kaby_lake, bv, 1));
	EXPECT_EQ(0, mpx_xstate_offset(kaby_lake, bv, MPX_XSTATE_NR_COMP));
	EXPECT_EQ(0, mpx_xstate_offset(kaby_lake, 0, -1));
}

TEST_HARNESS_MAIN
