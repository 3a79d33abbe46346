/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mpx_bnd.h - user-space side of the bound registers, for the selftests.
 *
 * A violation is provoked with one bndcl/bndcu/bndcn under BNDCHECK(); the
 * SIGSEGV handler installed by catch_segv() records the siginfo and
 * resumes after the instruction by editing the saved RIP, so that
 * sigreturn restores the thread's MPX state (a siglongjmp would leave it
 * in the init state the kernel gives signal handlers).
 *
 * Registers are read with XSAVE rather than bndmov: bnd* instructions are
 * NOPs while MPX is off, and QEMU 7.2 mis-decodes bndmov stores with an
 * 8-bit displacement.
 */
#ifndef MPX_BND_H
#define MPX_BND_H

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "libmpx.h"

#ifndef SEGV_BNDERR
#define SEGV_BNDERR	3
#endif

struct bnd128 {
	unsigned long lower;
	unsigned long upper;	/* one's complement */
};

/*
 * What the SIGSEGV handler saw, per thread; reset by catch_segv() and
 * EXPECT_BNDERR(). The tests are static programs, so BNDCHECK() can reach
 * resume_ip with the local-exec TLS model (%fs:resume_ip@tpoff).
 */
static __thread volatile int trap_count;
static __thread siginfo_t trap_info;
__thread void *resume_ip;

static inline void segv_handler(int sig __attribute__((unused)), siginfo_t *si,
				void *uc_)
{
	ucontext_t *uc = uc_;

	trap_info = *si;
	trap_count++;
#ifdef __x86_64__
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)resume_ip;
#else
	/* No bound checks here: a SIGSEGV is a real fault, let it kill. */
	(void)uc;
	signal(SIGSEGV, SIG_DFL);
#endif
}

static inline void catch_segv(void)
{
	struct sigaction sa = {
		.sa_sigaction = segv_handler,
		.sa_flags = SA_SIGINFO | SA_NODEFER,
	};

	sigaction(SIGSEGV, &sa, NULL);
	trap_count = 0;
}

#ifdef __x86_64__
/*
 * Run one bound-check instruction; a #BR resumes at label 1. Operands:
 * %0 is the checked value or base register, %1 an index register.
 */
#define BNDCHECK(insn, a, b) ({						\
	asm volatile("lea 1f(%%rip), %%r11\n\t"				\
		     "mov %%r11, %%fs:resume_ip@tpoff\n\t"			\
		     insn "\n1:"					\
		     : : "r" (a), "r" (b) : "r11", "memory");	\
})

static inline void bndcu(int n, unsigned long a)
{
	switch (n) {
	case 0:
		BNDCHECK("bndcu %0, %%bnd0", a, 0);
		break;
	case 1:
		BNDCHECK("bndcu %0, %%bnd1", a, 0);
		break;
	case 2:
		BNDCHECK("bndcu %0, %%bnd2", a, 0);
		break;
	case 3:
		BNDCHECK("bndcu %0, %%bnd3", a, 0);
		break;
	}
}

static inline void bndcl(int n, unsigned long a)
{
	switch (n) {
	case 0:
		BNDCHECK("bndcl %0, %%bnd0", a, 0);
		break;
	case 1:
		BNDCHECK("bndcl %0, %%bnd1", a, 0);
		break;
	case 2:
		BNDCHECK("bndcl %0, %%bnd2", a, 0);
		break;
	case 3:
		BNDCHECK("bndcl %0, %%bnd3", a, 0);
		break;
	}
}

/*
 * Read a bound register with XSAVE of components 3 (BNDREGS) and 4: unlike
 * bndmov, that works while MPX is off (bnd* are NOPs then), and a
 * component in its init state reads as zeroes.
 */
#define XSAVE_BNDREGS	(1ULL << 3)
#define XSAVE_MPX	(XSAVE_BNDREGS | (1ULL << 4))
#define XSAVE_HDR	512

static inline void bnd_get(int n, struct bnd128 *b)
{
	static unsigned char area[4096] __attribute__((aligned(64)));
	unsigned int eax, ebx, ecx = 3, edx;
	unsigned long long bv;

	memset(area, 0, sizeof(area));
	asm volatile("cpuid" : "=a" (eax), "=b" (ebx), "+c" (ecx), "=d" (edx)
		     : "a" (0xd));
	asm volatile("xsave64 (%0)" : : "r" (area), "a" ((unsigned int)XSAVE_MPX),
		     "d" (0) : "memory");
	memcpy(&bv, area + XSAVE_HDR, sizeof(bv));
	memset(b, 0, sizeof(*b));
	if (bv & XSAVE_BNDREGS)
		memcpy(b, area + ebx + n * sizeof(*b), sizeof(*b));
}
#else
/*
 * Other architectures have no bound registers: the module runs in
 * software mode, which a CPU without MPX is to these helpers too (bnd*
 * instructions are NOPs, the registers read as their init state, zero).
 */
static inline void bndcu(int n __attribute__((unused)),
			 unsigned long a __attribute__((unused)))
{
}

static inline void bndcl(int n __attribute__((unused)),
			 unsigned long a __attribute__((unused)))
{
}

static inline void bnd_get(int n __attribute__((unused)), struct bnd128 *b)
{
	memset(b, 0, sizeof(*b));
}
#endif

/* (kselftest harness) Exactly one SIGSEGV/SEGV_BNDERR for @addr against [@lower, @upper]. */
#define EXPECT_BNDERR(addr, lower, upper) do {				\
	ASSERT_EQ(1, trap_count);					\
	EXPECT_EQ(SIGSEGV, trap_info.si_signo);				\
	EXPECT_EQ(SEGV_BNDERR, trap_info.si_code);			\
	EXPECT_EQ((unsigned long)(addr), (unsigned long)trap_info.si_addr); \
	EXPECT_EQ((unsigned long)(lower), (unsigned long)trap_info.si_lower); \
	EXPECT_EQ((unsigned long)(upper), (unsigned long)trap_info.si_upper); \
	trap_count = 0;							\
} while (0)

static inline bool hw_mode(void)
{
	struct mpx_info info;

	return !mpx_info(&info) && info.mode == MPX_MODE_HW;
}

/* The VM harness says the guest CPU model has MPX (MPX_EXPECT_HW=1). */
static inline bool expect_hw(void)
{
	const char *e = getenv("MPX_EXPECT_HW");

	return e && !strcmp(e, "1");
}

/*
 * (kselftest harness) A hardware-mode test skips in software mode, except
 * under the VM harness on a CPU model with MPX (MPX_EXPECT_HW=1): there a
 * module that fell back to software mode must fail, not turn the test
 * into a skip.
 */
#define REQUIRE_HW() do {						\
	if (!hw_mode()) {						\
		ASSERT_FALSE(expect_hw())				\
			TH_LOG("MPX_EXPECT_HW=1, but the module is in software mode"); \
		SKIP(return, "software mode: the CPU has no usable MPX"); \
	}								\
} while (0)

#endif /* MPX_BND_H */
