// SPDX-License-Identifier: GPL-2.0
/*
 * mpx: #BR from user mode becomes SIGSEGV/SEGV_BNDERR.
 *
 * A die notifier sees the trap before the kernel's exc_bounds() does. For a
 * bound violation (BNDSTATUS 1) of a 64-bit process that holds keys, raised
 * by bndcl/bndcu/bndcn, it builds SIGSEGV with SEGV_BNDERR, the checked
 * address and the register's bounds, emits mpx_violation naming the key,
 * and takes the trap from the kernel (NOTIFY_STOP). Every other #BR keeps
 * the kernel's default handling.
 *
 * The notifier runs with interrupts hard-disabled, where sending a signal
 * is not allowed on PREEMPT_RT (siglock sleeps there). So the signal goes
 * out from a task_work instead, which runs in the faulting task, in
 * process context, before it returns to user mode: send_sig_info() with
 * our siginfo, then force_sig(SIGSEGV), as the kernel's own do_trap()
 * would force it, which only makes sure ours is delivered (unblocked, and
 * fatal if no handler catches it). The task_work lives in a small fixed
 * pool (no allocation with interrupts off); with the pool exhausted, the
 * trap gets the kernel's default handling.
 *
 * The notifier reads the registers through mpx_bounds.c's interrupt-safe
 * path, decodes the instruction with mpx_insn.c (copy_from_user_nofault())
 * and looks the key up under RCU. Registered only in hardware mode.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/kdebug.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/task_work.h>
#include <linux/wait_bit.h>
#include <asm/traps.h>

#include "mpx_bounds.h"
#include "mpx_br.h"
#include "mpx_insn.h"
#include "mpx_keys.h"
#include "mpx_trace.h"

#define MPX_BNDSTA_CODE			GENMASK_ULL(1, 0)
#define MPX_BNDSTA_BOUND_VIOLATION	1

/* Signals on their way at once: one per thread between trap and return. */
#define MPX_BR_SLOTS	64

/* A signal on its way from the notifier to the task. */
struct mpx_br_signal {
	struct callback_head work;
	struct kernel_siginfo info;
};

static struct mpx_br_signal mpx_br_slot[MPX_BR_SLOTS];
static DECLARE_BITMAP(mpx_br_busy, MPX_BR_SLOTS);
static atomic_t mpx_br_inflight = ATOMIC_INIT(0);

/* #BR traps turned into SEGV_BNDERR, and those left to the kernel (debugfs). */
static atomic_long_t mpx_br_count = ATOMIC_LONG_INIT(0);
static atomic_long_t mpx_br_dropped = ATOMIC_LONG_INIT(0);
static bool mpx_br_registered;

/* In the faulting task, interrupts on, on its way back to user mode. */
static void mpx_br_deliver(struct callback_head *work)
{
	struct mpx_br_signal *sig = container_of(work, struct mpx_br_signal,
						 work);

	send_sig_info(SIGSEGV, &sig->info, current);
	force_sig(SIGSEGV);
	/* Unload waits for the slots, then for this RCU section to end. */
	rcu_read_lock();
	clear_bit_unlock(sig - mpx_br_slot, mpx_br_busy);
	if (atomic_dec_and_test(&mpx_br_inflight))
		wake_up_var(&mpx_br_inflight);
	rcu_read_unlock();
}

/* Queue @info for the current task; false when no slot is free. */
static bool mpx_br_queue(const struct kernel_siginfo *info)
{
	struct mpx_br_signal *sig;
	unsigned int i;

	for (i = 0; i < MPX_BR_SLOTS; i++)
		if (!test_and_set_bit_lock(i, mpx_br_busy))
			break;
	if (i == MPX_BR_SLOTS)
		return false;
	sig = &mpx_br_slot[i];
	sig->info = *info;
	init_task_work(&sig->work, mpx_br_deliver);
	atomic_inc(&mpx_br_inflight);
	if (task_work_add(current, &sig->work, TWA_RESUME)) {
		/* The task is exiting: nobody to tell. */
		atomic_dec(&mpx_br_inflight);
		clear_bit_unlock(i, mpx_br_busy);
		return false;
	}
	return true;
}

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
	if (!mpx_br_queue(&info)) {
		atomic_long_inc(&mpx_br_dropped);
		return NOTIFY_DONE;
	}
	key = mpx_key_by_bounds(current->mm, lower, upper);
	atomic_long_inc(&mpx_br_count);
	trace_mpx_violation(key, insn.addr, lower, upper, MPX_VIOLATION_BR);
	/* What do_trap() would have recorded for the signal frame. */
	current->thread.error_code = 0;
	current->thread.trap_nr = X86_TRAP_BR;
	return NOTIFY_STOP;
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
	if (!mpx_br_registered)
		return;
	/* unregister_die_notifier() waits for notifiers in flight (RCU). */
	unregister_die_notifier(&mpx_br_nb);
	mpx_br_registered = false;
	/* Signals queued by the notifier run mpx_br_deliver(): wait. */
	wait_var_event(&mpx_br_inflight, !atomic_read(&mpx_br_inflight));
	synchronize_rcu();
}

/**
 * mpx_br_stats() - #BR traps so far
 * @dropped: set to those left to the kernel for want of a free slot
 *
 * Return: the traps turned into SEGV_BNDERR.
 */
long mpx_br_stats(long *dropped)
{
	*dropped = atomic_long_read(&mpx_br_dropped);
	return atomic_long_read(&mpx_br_count);
}
