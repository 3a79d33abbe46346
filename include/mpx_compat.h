/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels mpx builds on (6.1 to 7.x), in one place,
 * each keyed on what changed, so that the feature code stays free of
 * version checks. Feature tests where the preprocessor can see the
 * feature; a version check where it cannot.
 */
#ifndef _MPX_COMPAT_H
#define _MPX_COMPAT_H

#include <linux/sched.h>
#include <linux/version.h>
#include <asm/processor.h>

/* cpuid_count() moved to its own header (7.x); Kbuild tests for it. */
#ifdef MPX_HAVE_ASM_CPUID_API_H
#include <asm/cpuid/api.h>
#endif

/*
 * struct fpu left struct thread_struct in 6.15: it now follows the
 * task_struct, where x86_task_fpu() finds it. With CONFIG_X86_DEBUG_FPU
 * that helper is an out-of-line function the kernel does not export, so
 * the module computes it the same way. The preprocessor cannot see a
 * struct member, hence the version check.
 */
static inline struct fpu *mpx_task_fpu(struct task_struct *task)
{
#if KERNEL_VERSION(6, 15, 0) <= LINUX_VERSION_CODE
	return (struct fpu *)((void *)task + sizeof(*task));
#else
	return &task->thread.fpu;
#endif
}

#endif /* _MPX_COMPAT_H */
