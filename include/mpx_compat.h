/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels mpx builds on, in one place, each keyed
 * on what changed, so that the feature code stays free of version checks.
 */
#ifndef _MPX_COMPAT_H
#define _MPX_COMPAT_H

#include <linux/version.h>
#include <asm/processor.h>

/*
 * struct fpu left struct thread_struct (6.15): it now follows the
 * task_struct, and x86_task_fpu() finds it. With CONFIG_X86_DEBUG_FPU that
 * helper is out of line and not exported, so compute it as it does.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 15, 0)
#define mpx_task_fpu(task) \
	((struct fpu *)((void *)(task) + sizeof(*(task))))
#else
#define mpx_task_fpu(task) (&(task)->thread.fpu)
#endif

#endif /* _MPX_COMPAT_H */
