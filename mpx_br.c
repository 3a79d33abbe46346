// SPDX-License-Identifier: GPL-2.0
/*
 * mpx: #BR from user mode becomes SIGSEGV/SEGV_BNDERR.
 *
 * A die notifier sees the trap before the kernel's exc_bounds() does. For a
 * bound violation (BNDSTATUS 1) of a 64-bit process that holds keys, raised
 * by bndcl/bndcu/bndcn, it queues SIGSEGV with SEGV_BNDERR, the checked
 * address and the register's bounds, emits mpx_violation naming the key,
 * and lets the kernel go on: its force_sig(SIGSEGV) then finds our signal
 * pending and only makes sure it is delivered. Every other #BR keeps the
 * kernel's default handling.
 *
 * The notifier runs with interrupts off: it reads the registers through
 * mpx_bounds.c's interrupt-safe path, decodes the instruction with
 * mpx_insn.c (copy_from_user_nofault()) and looks the key up under RCU.
 * Registered only in hardware mode.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kdebug.h>
#include <linux/ptrace.h>
#include <linux/sched/signal.h>
#include <asm/traps.h>

#include "mpx_bounds.h"
#include "mpx_br.h"
#include "mpx_insn.h"
#include "mpx_keys.h"
#include "mpx_trace.h"

#define MPX_BNDSTA_CODE			GENMASK_ULL(1, 0)
#define MPX_BNDSTA_BOUND_VIOLATION	1

/* #BR traps turned into SEGV_BNDERR (debugfs). */
static atomic_long_t mpx_br_count = ATOMIC_LONG_INIT(0);
static bool mpx_br_registered;

static int mpx_br_notify(struct notifier_block *nb, unsigned long val,
			 void *data)
{
	struct die_args *args = data;
	struct pt_regs *regs = args->regs;
	struct mpx_bndstate st;
	struct kernel_siginfo info;
	struct mpx_bndck insn;
	unsigned long lower, upper;
	u32 key;

	if (val != DIE_TRAP || args->trapnr != X86_TRAP_BR ||
	    !user_mode(regs) || !user_64bit_mode(regs) || !current->mm)
		return NOTIFY_DONE;
	if (!mpx_mm_has_keys(current->mm))
		return NOTIFY_DONE;	/* never used mpx: default handling */
	if (mpx_bnd_read(&st) ||
	    (st.csr.bndstatus & MPX_BNDSTA_CODE) != MPX_BNDSTA_BOUND_VIOLATION)
		return NOTIFY_DONE;
	if (mpx_decode_bndck(regs, &insn))
		return NOTIFY_DONE;

	lower = st.bnd[insn.bnd].lower;
	upper = ~st.bnd[insn.bnd].upper;
	clear_siginfo(&info);
	info.si_signo = SIGSEGV;
	info.si_code = SEGV_BNDERR;
	info.si_addr = (void __user *)insn.addr;
	info.si_lower = (void __user *)lower;
	info.si_upper = (void __user *)upper;
	key = mpx_key_by_bounds(current->mm, lower, upper);
	atomic_long_inc(&mpx_br_count);
	trace_mpx_violation(key, insn.addr, lower, upper, MPX_VIOLATION_BR);
	send_sig_info(SIGSEGV, &info, current);
	/* exc_bounds() goes on to force_sig(SIGSEGV), which delivers ours. */
	return NOTIFY_DONE;
}

static struct notifier_block mpx_br_nb = {
	.notifier_call = mpx_br_notify,
};

/**
 * mpx_br_init() - take #BR in hardware mode
 *
 * Return: 0 or a negative errno.
 */
int mpx_br_init(void)
{
	int ret;

	if (!mpx_hw_mode())
		return 0;
	ret = register_die_notifier(&mpx_br_nb);
	mpx_br_registered = !ret;
	return ret;
}

void mpx_br_exit(void)
{
	/* unregister_die_notifier() waits for notifiers in flight (RCU). */
	if (mpx_br_registered)
		unregister_die_notifier(&mpx_br_nb);
	mpx_br_registered = false;
}

/**
 * mpx_br_stats() - #BR traps turned into SEGV_BNDERR so far
 *
 * Return: the count.
 */
long mpx_br_stats(void)
{
	return atomic_long_read(&mpx_br_count);
}
