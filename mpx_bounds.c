// SPDX-License-Identifier: GPL-2.0
/*
 * mpx: CPU feature detection and the calling thread's bound registers.
 *
 * Hardware mode needs MPX in CPUID (leaf 7, EBX bit 14, X86_FEATURE_MPX) and
 * both MPX state components, BNDREGS (3) and BNDCSR (4), enabled in XCR0 by
 * the kernel. The module never changes XCR0, and it changes only the
 * calling task's own components 3 and 4, which the kernel saves and
 * restores with the rest of the task's xstate on every context switch:
 *
 *  - when the task's FPU state is live in the CPU (TIF_NEED_FPU_LOAD
 *    clear), with XSAVE/XRSTOR of components 3 and 4 under fpregs_lock();
 *    a lookup first asks XGETBV(1) whether BNDREGS is in use at all, and
 *    when it is not (a thread that never loaded a bound, the common case
 *    for GET) no register can hold a key: no XSAVE;
 *  - when it is not (the task was scheduled out, or the kernel used the
 *    FPU), by editing the task's saved xstate in memory, in the standard or
 *    the compacted (XSAVES) format, and invalidating the CPU's copy so the
 *    return to user mode restores it. Kernels from 7.x on no longer let a
 *    module call switch_fpu_return(), so this path is the only way there.
 *
 * The registers are the truth: a key is "loaded" in a thread when one of
 * its bound registers holds exactly the key's region and BNDCFGU.EN is set.
 * The kernel resets the xstate for a signal handler (MPX off there) and
 * restores it at sigreturn; fork copies it; exec resets it.
 *
 * This file depends on no other file of the module. Everything here is
 * callable in process context and, for reads, with interrupts off (the
 * #BR notifier of mpx_br.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/jump_label.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <asm/asm.h>
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xcr.h>
#include <asm/processor.h>

#include "mpx_bounds.h"
#include "mpx_compat.h"
#include "mpx_xstate.h"

#define MPX_XFEATURES	(XFEATURE_MASK_BNDREGS | XFEATURE_MASK_BNDCSR)
#define MPX_XSTATE_LEAF			0xd
#define MPX_XSTATE_ALIGN64		BIT(1)	/* CPUID 0xD.i ECX */
#define MPX_XSAVE_HDR_OFFSET		512

#define MPX_BNDCFG_ENABLE		BIT_ULL(0)
#define MPX_BNDCFG_PRESERVE		BIT_ULL(1)

static bool mpx_force_sw;
module_param_named(force_sw, mpx_force_sw, bool, 0444);
MODULE_PARM_DESC(force_sw, "Use software mode even on a CPU with MPX");

/*
 * Testing aid: make every register access take the in-memory path by
 * saving the task's FPU state first (kernel_fpu_begin/end).
 */
static bool mpx_fpu_memory;
module_param_named(fpu_memory, mpx_fpu_memory, bool, 0644);
MODULE_PARM_DESC(fpu_memory,
		 "Test aid: always edit the saved xstate instead of the registers");

static bool mpx_cpu_mpx __ro_after_init;
/* Hardware mode, set once at init: a static key, tested on every GET. */
DEFINE_STATIC_KEY_FALSE(mpx_hw_key);

/* CPUID 0xD rows of the components up to BNDCSR (mpx_xstate.h). */
static struct mpx_xstate_comp mpx_xcomp[MPX_XSTATE_NR_COMP] __ro_after_init;
static unsigned int mpx_xsave_size __ro_after_init;
static_assert(ARRAY_SIZE(mpx_xcomp) > XFEATURE_BNDCSR);

/* One standard-format XSAVE area per CPU, used under fpregs_lock. */
static void __percpu *mpx_xsave_buf;

/*
 * Which path register accesses took (debugfs), counted per CPU: GET and
 * CHECK count on every call, and must not share a cache line between
 * CPUs for it.
 */
struct mpx_fpu_stats {
	unsigned long live;	/* XSAVE or XRSTOR of the live registers */
	unsigned long memory;	/* edits of the saved xstate */
	unsigned long init;	/* XGETBV(1) answered: no bound in use */
};

static DEFINE_PER_CPU(struct mpx_fpu_stats, mpx_fpu_stats);
/* XGETBV(1) reports the components in use (CPUID 0xD.1 EAX bit 2). */
static bool mpx_xinuse __ro_after_init;

/* The layout of components 3 (64 bytes) and 4 (16 bytes used). */
#define MPX_BNDREGS_SIZE	sizeof_field(struct mpx_bndstate, bnd)
#define MPX_BNDCSR_SIZE		sizeof_field(struct mpx_bndstate, csr)
static_assert(MPX_BNDREGS_SIZE == 64);
static_assert(MPX_BNDCSR_SIZE == 16);

bool mpx_cpu_has_mpx(void)
{
	return mpx_cpu_mpx;
}

/*
 * XSAVE or XRSTOR of the components in @mask with the area at @buf. A fault
 * (a malformed header) returns -EFAULT through the exception table instead
 * of an oops.
 */
#define MPX_XSTATE_OP(insn, buf, mask) ({				\
	u64 __mask = (mask);						\
	int __err;							\
									\
	asm volatile("1: " insn " (%[area])\n"				\
		     "   xor %[err], %[err]\n"				\
		     "2:\n"						\
		     _ASM_EXTABLE_TYPE(1b, 2b, EX_TYPE_FAULT)		\
		     : [err] "=a" (__err)				\
		     : [area] "D" (buf), "a" ((u32)__mask),		\
		       "d" ((u32)(__mask >> 32))			\
		     : "memory");					\
	__err ? -EFAULT : 0;						\
})

static int mpx_xsave(void *buf, u64 mask)
{
	return MPX_XSTATE_OP("xsave64", buf, mask);
}

static int mpx_xrstor(const void *buf, u64 mask)
{
	return MPX_XSTATE_OP("xrstor64", buf, mask);
}

static struct xstate_header *mpx_xsave_hdr(void *xsave)
{
	return xsave + MPX_XSAVE_HDR_OFFSET;
}

/*
 * Copy components 3 and 4 between @st and a saved xstate image @xsave.
 * A component in its init state (XSTATE_BV bit clear) reads as zeroes.
 */
static int mpx_image_access(void *xsave, struct mpx_bndstate *st, bool write)
{
	struct xstate_header *hdr = mpx_xsave_hdr(xsave);
	unsigned int bnd = mpx_xstate_offset(mpx_xcomp, hdr->xcomp_bv,
					     XFEATURE_BNDREGS);
	unsigned int csr = mpx_xstate_offset(mpx_xcomp, hdr->xcomp_bv,
					     XFEATURE_BNDCSR);

	if (!bnd || !csr)
		return -EOPNOTSUPP;
	if (write) {
		memcpy(xsave + bnd, st->bnd, MPX_BNDREGS_SIZE);
		memcpy(xsave + csr, &st->csr, MPX_BNDCSR_SIZE);
		/*
		 * All zeroes is a component's init state: mark it so, and
		 * the restore leaves it not in use (XGETBV(1)), which lets
		 * mpx_bnd_regs_init() answer later lookups without an XSAVE.
		 */
		hdr->xfeatures &= ~MPX_XFEATURES;
		if (memchr_inv(st->bnd, 0, MPX_BNDREGS_SIZE))
			hdr->xfeatures |= XFEATURE_MASK_BNDREGS;
		if (memchr_inv(&st->csr, 0, MPX_BNDCSR_SIZE))
			hdr->xfeatures |= XFEATURE_MASK_BNDCSR;
		return 0;
	}
	memset(st, 0, sizeof(*st));
	if (hdr->xfeatures & XFEATURE_MASK_BNDREGS)
		memcpy(st->bnd, xsave + bnd, MPX_BNDREGS_SIZE);
	if (hdr->xfeatures & XFEATURE_MASK_BNDCSR)
		memcpy(&st->csr, xsave + csr, MPX_BNDCSR_SIZE);
	return 0;
}

/* Components 3 and 4 of the live registers, through the per-CPU buffer. */
static int mpx_live_access(struct mpx_bndstate *st, bool write)
{
	void *buf = this_cpu_ptr(mpx_xsave_buf);
	int ret;

	/*
	 * Only the header must be clean (XCOMP_BV and the reserved bytes
	 * zero, XSTATE_BV what is written below): XSAVE and XRSTOR of
	 * components 3 and 4 touch nothing else but the components, which
	 * a write fills in whole and a read looks at only when saved.
	 */
	memset(mpx_xsave_hdr(buf), 0, sizeof(struct xstate_header));
	if (!write) {
		ret = mpx_xsave(buf, MPX_XFEATURES);
		return ret ?: mpx_image_access(buf, st, false);
	}
	ret = mpx_image_access(buf, st, true);
	return ret ?: mpx_xrstor(buf, MPX_XFEATURES);
}

/*
 * Read or write the calling thread's components 3 and 4, wherever they are
 * now. Callable with interrupts off (the #BR notifier) or in process
 * context.
 */
static int mpx_bnd_access(struct mpx_bndstate *st, bool write)
{
	struct fpu *fpu = mpx_task_fpu(current);
	bool irqs_off = irqs_disabled();
	int ret;

	if (mpx_fpu_memory && !irqs_off) {
		/* Test aid: push the user state out to memory. */
		kernel_fpu_begin();
		kernel_fpu_end();
	}

	/*
	 * With interrupts off (the #BR notifier) neither preemption nor a
	 * softirq can take the FPU state from under us, and the bh disable
	 * of fpregs_lock() must not be undone there: lock only otherwise.
	 */
	if (!irqs_off)
		fpregs_lock();
	if (!test_thread_flag(TIF_NEED_FPU_LOAD)) {
		ret = mpx_live_access(st, write);
		this_cpu_inc(mpx_fpu_stats.live);
	} else {
		ret = mpx_image_access(&fpu->fpstate->regs.xsave, st, write);
		/* Make the return to user mode reload the edited image. */
		if (!ret && write)
			fpu->last_cpu = -1;
		this_cpu_inc(mpx_fpu_stats.memory);
	}
	if (!irqs_off)
		fpregs_unlock();
	return ret;
}

/*
 * Are the calling thread's four bound registers all in their init state
 * (no bound at all)? XGETBV(1) tells, without an XSAVE, while the state is
 * in the CPU; false when it cannot tell (then the caller reads them).
 *
 * Disabling preemption is enough here, unlike for mpx_bnd_access(): only
 * a context switch can put another task's bound registers in the CPU.
 * A softirq that uses the FPU in between (kernel_fpu_begin()) saves the
 * task's state and sets TIF_NEED_FPU_LOAD, but leaves the bound registers
 * as they are, and so XINUSE's BNDREGS bit. fpregs_lock() would also
 * disable and re-enable bottom halves, which GET, which comes here on
 * every call, need not pay for.
 */
static bool mpx_bnd_regs_init(void)
{
	bool init = false;

	if (!mpx_xinuse || mpx_fpu_memory)
		return false;
	preempt_disable();
	if (!test_thread_flag(TIF_NEED_FPU_LOAD))
		init = !(xgetbv(XCR_XFEATURE_IN_USE_MASK) &
			 XFEATURE_MASK_BNDREGS);
	preempt_enable();
	if (init)
		this_cpu_inc(mpx_fpu_stats.init);
	return init;
}

/**
 * mpx_bnd_read() - the calling thread's components 3 and 4
 * @st: filled in
 *
 * Safe with interrupts off.
 *
 * Return: 0, or -EOPNOTSUPP in software mode.
 */
int mpx_bnd_read(struct mpx_bndstate *st)
{
	if (!mpx_hw_mode())
		return -EOPNOTSUPP;
	return mpx_bnd_access(st, false);
}

static u64 mpx_upper(unsigned long addr, int len)
{
	return ~(u64)(addr + len - 1);
}

static int mpx_bnd_match(const struct mpx_bndstate *st, unsigned long addr,
			 int len)
{
	int i;

	if (!(st->csr.bndcfgu & MPX_BNDCFG_ENABLE))
		return -1;
	for (i = 0; i < MPX_NR_BND; i++)
		if (st->bnd[i].lower == addr &&
		    st->bnd[i].upper == mpx_upper(addr, len))
			return i;
	return -1;
}

/*
 * Read the calling thread's state into @st and find the register holding
 * [addr, addr + len): its number, -ENOENT when none does, or the error of
 * reading.
 */
static int mpx_bnd_lookup(struct mpx_bndstate *st, unsigned long addr,
			  int len)
{
	int ret = mpx_bnd_access(st, false);

	if (ret)
		return ret;
	ret = mpx_bnd_match(st, addr, len);
	return ret < 0 ? -ENOENT : ret;
}

/**
 * mpx_bnd_find() - the calling thread's register holding a region
 * @addr: start of the region
 * @len: its length
 *
 * Return: the register number, -1 when none holds it (or in software mode).
 */
int mpx_bnd_find(unsigned long addr, int len)
{
	struct mpx_bndstate st;

	if (!mpx_hw_mode() || mpx_bnd_regs_init() || mpx_bnd_access(&st, false))
		return -1;
	return mpx_bnd_match(&st, addr, len);
}

/**
 * mpx_bnd_load() - load a region into a free bound register
 * @addr: start of the region
 * @len: its length
 *
 * A register is free when it is in its init state (both bounds 0: the
 * whole address space). Sets BNDCFGU.EN and BNDPRESERVE.
 *
 * Return: the register number, -EBUSY when none is free.
 */
int mpx_bnd_load(unsigned long addr, int len)
{
	struct mpx_bndstate st;
	int i, ret;

	i = mpx_bnd_lookup(&st, addr, len);
	if (i != -ENOENT)
		return i;	/* already loaded, or an error */
	for (i = 0; i < MPX_NR_BND; i++)
		if (!st.bnd[i].lower && !st.bnd[i].upper)
			break;
	if (i == MPX_NR_BND)
		return -EBUSY;
	st.bnd[i].lower = addr;
	st.bnd[i].upper = mpx_upper(addr, len);
	/* Keep what is not ours: a bound-directory base the thread set. */
	st.csr.bndcfgu |= MPX_BNDCFG_ENABLE | MPX_BNDCFG_PRESERVE;
	ret = mpx_bnd_access(&st, true);
	return ret ?: i;
}

/**
 * mpx_bnd_move() - rebind the register holding a region, if any
 * @addr: start of the old region
 * @len: its length
 * @new_addr: start of the new region
 * @new_len: its length
 *
 * Return: 0, also when no register of the calling thread holds the region.
 */
int mpx_bnd_move(unsigned long addr, int len, unsigned long new_addr,
		 int new_len)
{
	struct mpx_bndstate st;
	int i;

	if (mpx_bnd_regs_init())
		return 0;	/* no register holds anything */
	i = mpx_bnd_lookup(&st, addr, len);
	if (i < 0)
		return i == -ENOENT ? 0 : i;
	st.bnd[i].lower = new_addr;
	st.bnd[i].upper = mpx_upper(new_addr, new_len);
	return mpx_bnd_access(&st, true);
}

/**
 * mpx_bnd_unload() - clear the register holding a region, if any
 * @addr: start of the region
 * @len: its length
 *
 * Clears BNDCFGU.EN and BNDPRESERVE (MPX off for the thread) when no register
 * is left in use; a bound-directory base stays.
 *
 * Return: 0, also when no register of the calling thread holds the region.
 */
int mpx_bnd_unload(unsigned long addr, int len)
{
	struct mpx_bndstate st;
	int i;

	if (mpx_bnd_regs_init())
		return 0;	/* no register holds anything */
	i = mpx_bnd_lookup(&st, addr, len);
	if (i < 0)
		return i == -ENOENT ? 0 : i;
	st.bnd[i].lower = 0;
	st.bnd[i].upper = 0;
	for (i = 0; i < MPX_NR_BND; i++)
		if (st.bnd[i].lower || st.bnd[i].upper)
			break;
	if (i == MPX_NR_BND)
		st.csr.bndcfgu &= ~(MPX_BNDCFG_ENABLE | MPX_BNDCFG_PRESERVE);
	return mpx_bnd_access(&st, true);
}

/**
 * mpx_bounds_stats() - counters for debugfs
 * @live: register accesses that found the state in the CPU: one XSAVE
 *	(read) or XRSTOR (write) each
 * @memory: register accesses that edited the saved xstate
 * @init: lookups that XGETBV(1) answered (no bound register in use):
 *	no XSAVE
 */
void mpx_bounds_stats(long *live, long *memory, long *init)
{
	const struct mpx_fpu_stats *st;
	int cpu;

	*live = *memory = *init = 0;
	for_each_possible_cpu(cpu) {
		st = per_cpu_ptr(&mpx_fpu_stats, cpu);
		*live += READ_ONCE(st->live);
		*memory += READ_ONCE(st->memory);
		*init += READ_ONCE(st->init);
	}
}

static void __init mpx_xstate_layout(void)
{
	u32 eax, ebx, ecx, edx;
	int i;

	for (i = MPX_XSTATE_FIRST_EXT; i < MPX_XSTATE_NR_COMP; i++) {
		cpuid_count(MPX_XSTATE_LEAF, i, &eax, &ebx, &ecx, &edx);
		mpx_xcomp[i].size = eax;
		mpx_xcomp[i].offset = ebx;
		mpx_xcomp[i].align64 = ecx & MPX_XSTATE_ALIGN64;
	}
	for (i = XFEATURE_BNDREGS; i <= XFEATURE_BNDCSR; i++)
		mpx_xsave_size = max(mpx_xsave_size,
				     mpx_xcomp[i].offset + mpx_xcomp[i].size);
}

int __init mpx_bounds_init(void)
{
	u64 xcr0 = 0;

	if (boot_cpu_has(X86_FEATURE_OSXSAVE))
		xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	mpx_cpu_mpx = boot_cpu_has(X86_FEATURE_MPX) &&
		      (xcr0 & MPX_XFEATURES) == MPX_XFEATURES;
	if (!mpx_cpu_mpx || mpx_force_sw)
		return 0;

	mpx_xstate_layout();
	if (mpx_xcomp[XFEATURE_BNDREGS].size < MPX_BNDREGS_SIZE ||
	    mpx_xcomp[XFEATURE_BNDCSR].size < MPX_BNDCSR_SIZE ||
	    mpx_xcomp[XFEATURE_BNDREGS].offset < MPX_XSTATE_EXT_OFFSET ||
	    mpx_xcomp[XFEATURE_BNDCSR].offset < MPX_XSTATE_EXT_OFFSET) {
		pr_warn("unexpected MPX xstate layout, software mode\n");
		return 0;
	}
	mpx_xsave_buf = __alloc_percpu(mpx_xsave_size, MPX_XSTATE_ALIGN);
	if (!mpx_xsave_buf)
		return -ENOMEM;
	mpx_xinuse = boot_cpu_has(X86_FEATURE_XGETBV1);
	static_branch_enable(&mpx_hw_key);
	return 0;
}

/*
 * Threads that still have keys in their bound registers keep them: after
 * unload a violation gets the kernel's default #BR handling (SIGSEGV,
 * SI_KERNEL), and the registers go with the thread's exit or exec.
 */
void mpx_bounds_exit(void)
{
	if (mpx_hw_mode())
		free_percpu(mpx_xsave_buf);
}
