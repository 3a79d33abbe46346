// SPDX-License-Identifier: GPL-2.0
/*
 * mpx: an enabled key's region refuses every other address space.
 *
 * Another process reaches a process's memory through the kernel's
 * remote-access paths, which this file hooks while some key is enabled:
 *
 *  - process_vm_readv/writev: process_vm_rw() copies the remote iovec into
 *    the kernel with iovec_from_user(). A kretprobe on iovec_from_user()
 *    edits that kernel copy when it is process_vm_rw()'s remote vector:
 *    the first segment that meets an enabled region is cut to the bytes
 *    before it and every later segment to nothing, so the transfer stops
 *    short of the region. A kretprobe on process_vm_rw() names the target
 *    and the vector, and turns a transfer of nothing into EPERM. It
 *    follows only calls whose target holds an enabled key when the call
 *    begins; the others cost one lookup and pass untouched.
 *  - everything that goes through __access_remote_vm() (/proc/PID/mem,
 *    ptrace PEEK/POKE, /proc/PID/cmdline and environ, ...): a kprobe on
 *    its entry cuts its length argument to the bytes before the region
 *    (for ptrace, whose word is all or nothing, to zero). Its callers
 *    turn the short count into their own errors: EIO for /proc/PID/mem
 *    and ptrace, a truncated read for cmdline and environ. Kretprobes on
 *    mem_rw() and on the ptrace entries (ptrace_access_vm(), and since
 *    7.x inlines it into the PEEK/POKE code, arch_ptrace() and
 *    compat_arch_ptrace()) tell which path it was: the event's path, and
 *    ptrace's all-or-nothing word.
 *
 * The checks read the kernel's own copies of the address and length, so a
 * caller that rewrites its iovec during the call cannot get past them. The
 * owner's address space (mm == current->mm: its threads, /proc/self/mem)
 * is never refused; everyone else is, root included, while the policy
 * (module parameter "remote") is "deny". "report" allows the access and
 * emits mpx_remote; "off" does neither and disarms the hooks.
 *
 * The hooks cost every process something, so they are armed only while
 * some address space has an enabled key: ENABLE arms them before it
 * enables (mpx_remote_get()), and a work item disarms them one to two
 * seconds after the last enabled key is gone, however it went (DISABLE,
 * FREE, exit, unload), and no ENABLE came for a second.
 *
 * Per-call state (the path, process_vm_rw()'s target and remote vector)
 * lives in the kretprobe instances' data, found by task in a small hash.
 *
 * Locking: mpx_remote_mutex serializes arming, disarming and policy
 * changes. mpx_ctx_lock guards the hash; it is an arch_spinlock_t, taken
 * with interrupts off, because its users are the probe handlers, which run
 * from ftrace (normal context) on one kernel and from int3 (an NMI-like
 * context for lockdep) on another. Kprobes do not nest on a CPU (a probe
 * hit inside a handler is counted as missed, not run), and the only other
 * user, disarming, runs once every handler is unregistered, so the lock is
 * never taken twice on one CPU; a lockdep-tracked lock would only report
 * the mix of contexts.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/hashtable.h>
#include <linux/jiffies.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <linux/workqueue.h>

#include "mpx_keys.h"
#include "mpx_remote.h"
#include "mpx_trace.h"

/* How long the hooks stay armed after the last enabled key went away. */
#define MPX_REMOTE_DISARM_DELAY	HZ
/* Concurrent calls each kretprobe can follow. */
#define MPX_REMOTE_MAXACTIVE	1024
#define MPX_CTX_HASH_BITS	6

enum mpx_remote_policy {
	MPX_POLICY_DENY,
	MPX_POLICY_REPORT,
	MPX_POLICY_OFF,
};

static const char * const mpx_policy_names[] = {
	[MPX_POLICY_DENY] = "deny",
	[MPX_POLICY_REPORT] = "report",
	[MPX_POLICY_OFF] = "off",
};

static int mpx_policy = MPX_POLICY_DENY;

/**
 * struct mpx_remote_ctx - one hooked call in progress (kretprobe data)
 * @node: in mpx_ctx, keyed by @task
 * @task: the calling task
 * @rvec: process_vm_rw(): the caller's remote iovec
 * @pid: process_vm_rw(): the target, in the caller's pid namespace
 * @nr_segs: iovec_from_user(): segments in the vector
 * @path: enum mpx_remote_path
 * @write: process_vm_rw(): process_vm_writev
 * @denied: process_vm_rw(): a segment was refused
 * @outer: iovec_from_user(): the process_vm_rw() context it serves
 */
struct mpx_remote_ctx {
	struct hlist_node node;
	struct task_struct *task;
	const void __user *rvec;
	pid_t pid;
	unsigned long nr_segs;
	u8 path;
	bool write;
	bool denied;
	struct mpx_remote_ctx *outer;
};

static arch_spinlock_t mpx_ctx_lock = __ARCH_SPIN_LOCK_UNLOCKED;
static DEFINE_HASHTABLE(mpx_ctx, MPX_CTX_HASH_BITS);

static DEFINE_MUTEX(mpx_remote_mutex);
static struct mpx_remote_hooks *mpx_hooks;	/* NULL when disarmed */
static bool mpx_remote_dying;			/* unload has begun */
static atomic_t mpx_remote_pending = ATOMIC_INIT(0);
static atomic_t mpx_pvm_followed = ATOMIC_INIT(0);	/* process_vm_rw() calls */
static unsigned long mpx_remote_last_use;	/* jiffies of the last ENABLE */
static atomic_long_t mpx_remote_denied = ATOMIC_LONG_INIT(0);
static atomic_long_t mpx_remote_reported = ATOMIC_LONG_INIT(0);
static unsigned long mpx_remote_nmissed;	/* of earlier armings */

static void mpx_ctx_add(struct mpx_remote_ctx *ctx, u8 path)
{
	unsigned long flags;

	memset(ctx, 0, sizeof(*ctx));
	ctx->task = current;
	ctx->path = path;
	local_irq_save(flags);
	arch_spin_lock(&mpx_ctx_lock);
	hash_add(mpx_ctx, &ctx->node, (unsigned long)current);
	arch_spin_unlock(&mpx_ctx_lock);
	local_irq_restore(flags);
}

static void mpx_ctx_del(struct mpx_remote_ctx *ctx)
{
	unsigned long flags;

	local_irq_save(flags);
	arch_spin_lock(&mpx_ctx_lock);
	hash_del(&ctx->node);
	arch_spin_unlock(&mpx_ctx_lock);
	local_irq_restore(flags);
}

/* The innermost hooked call of the current task, or NULL. */
static struct mpx_remote_ctx *mpx_ctx_current(void)
{
	struct mpx_remote_ctx *ctx, *found = NULL;
	unsigned long flags;

	local_irq_save(flags);
	arch_spin_lock(&mpx_ctx_lock);
	hash_for_each_possible(mpx_ctx, ctx, node, (unsigned long)current) {
		if (ctx->task == current) {
			found = ctx;	/* hash_add() puts the newest first */
			break;
		}
	}
	arch_spin_unlock(&mpx_ctx_lock);
	local_irq_restore(flags);
	return found;
}

/* Argument 3 (the length) of a probed function, at its entry. */
static void mpx_set_arg3(struct pt_regs *regs, unsigned long val)
{
#if defined(CONFIG_X86_64)
	regs->cx = val;
#elif defined(CONFIG_ARM64)
	regs->regs[3] = val;
#else
#error "mpx_remote: no argument registers known for this architecture"
#endif
}

/*
 * Decide about one access of @len bytes at @addr of @mm. Return the bytes
 * that may be transferred from @addr on: @len when it meets no enabled
 * region or the policy lets it pass.
 */
static unsigned long mpx_remote_decide(struct mm_struct *mm,
				       unsigned long addr, unsigned long len,
				       bool write, u8 path)
{
	struct mpx_protected hit;
	int policy = READ_ONCE(mpx_policy);
	bool deny = policy == MPX_POLICY_DENY;

	if (policy == MPX_POLICY_OFF || !len || mm == current->mm ||
	    !mpx_keys_protected(mm, addr, len, &hit))
		return len;
	trace_mpx_remote(hit.pid, hit.key, addr, len, write, path, deny);
	if (!deny) {
		atomic_long_inc(&mpx_remote_reported);
		return len;
	}
	atomic_long_inc(&mpx_remote_denied);
	return hit.first - addr;
}

/*
 * __access_remote_vm(mm, addr, buf, len, gup_flags): cut len to the bytes
 * before the first protected one. A ptrace word is all or nothing.
 */
static int mpx_access_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct mm_struct *mm = (void *)regs_get_kernel_argument(regs, 0);
	unsigned long addr = regs_get_kernel_argument(regs, 1);
	int len = regs_get_kernel_argument(regs, 3);
	unsigned int gup_flags = regs_get_kernel_argument(regs, 4);
	struct mpx_remote_ctx *ctx;
	unsigned long allowed;
	u8 path;

	if (len <= 0)
		return 0;
	ctx = mpx_ctx_current();
	path = ctx ? ctx->path : MPX_REMOTE_OTHER;
	allowed = mpx_remote_decide(mm, addr, len, gup_flags & FOLL_WRITE,
				    path);
	if (allowed < len)
		mpx_set_arg3(regs, path == MPX_REMOTE_PTRACE ? 0 : allowed);
	return 0;
}

/* mem_rw() and ptrace_access_vm(): name the path for the event. */
static int mpx_proc_mem_entry(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	mpx_ctx_add((void *)ri->data, MPX_REMOTE_PROC_MEM);
	return 0;
}

static int mpx_ptrace_entry(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	mpx_ctx_add((void *)ri->data, MPX_REMOTE_PTRACE);
	return 0;
}

static int mpx_path_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	mpx_ctx_del((void *)ri->data);
	return 0;
}

/* The target's address space; compared, never dereferenced. */
static struct mm_struct *mpx_pvm_target(pid_t pid)
{
	struct task_struct *task;
	struct mm_struct *mm = NULL;

	rcu_read_lock();
	task = pid_task(find_vpid(pid), PIDTYPE_PID);
	if (task)
		mm = READ_ONCE(task->mm);
	rcu_read_unlock();
	return mm;
}

/*
 * process_vm_rw(pid, lvec, liovcnt, rvec, riovcnt, flags, vm_write): note
 * the target and the remote vector for iovec_from_user().
 */
static int mpx_pvm_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct mpx_remote_ctx *ctx = (void *)ri->data;
	pid_t pid = regs_get_kernel_argument(regs, 0);
	struct mpx_protected hit;
	struct mm_struct *mm;

	/*
	 * A target without an enabled key now has nothing to protect from
	 * this call: it began before any ENABLE of the target returned.
	 */
	mm = mpx_pvm_target(pid);
	if (!mm || !mpx_keys_protected(mm, 0, ULONG_MAX, &hit))
		return 1;	/* not followed: no return handler */
	mpx_ctx_add(ctx, MPX_REMOTE_PROCESS_VM);
	ctx->pid = pid;
	ctx->rvec = (const void __user *)regs_get_kernel_argument(regs, 3);
	ctx->write = regs_get_kernel_argument(regs, 6);
	atomic_inc(&mpx_pvm_followed);
	return 0;
}

/* A transfer that stopped before its first byte is refused: EPERM. */
static int mpx_pvm_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct mpx_remote_ctx *ctx = (void *)ri->data;

	atomic_dec(&mpx_pvm_followed);
	mpx_ctx_del(ctx);
	if (ctx->denied && !regs_return_value(regs))
		regs_set_return_value(regs, -EPERM);
	return 0;
}

/*
 * iovec_from_user(uvec, nr_segs, fast_segs, fast_iov, compat): follow only
 * the call that copies process_vm_rw()'s remote vector.
 */
static int mpx_iov_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct mpx_remote_ctx *ctx = (void *)ri->data, *outer;
	const void __user *uvec = (void __user *)regs_get_kernel_argument(regs, 0);

	if (!atomic_read(&mpx_pvm_followed))
		return 1;	/* no process_vm_rw() followed anywhere */
	outer = mpx_ctx_current();
	if (!outer || outer->path != MPX_REMOTE_PROCESS_VM ||
	    outer->rvec != uvec)
		return 1;	/* not ours: no return handler */
	ctx->outer = outer;
	ctx->nr_segs = regs_get_kernel_argument(regs, 1);
	return 0;
}

/* Cut the kernel's copy of the remote vector at the first protected byte. */
static int mpx_iov_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct mpx_remote_ctx *ctx = (void *)ri->data;
	struct mpx_remote_ctx *outer = ctx->outer;
	struct iovec *iov = (struct iovec *)regs_return_value(regs);
	struct mm_struct *mm;
	unsigned long i, len, allowed;

	if (IS_ERR_OR_NULL(iov))
		return 0;
	mm = mpx_pvm_target(outer->pid);
	if (!mm)
		return 0;	/* process_vm_rw() will fail with ESRCH */
	for (i = 0; i < ctx->nr_segs; i++) {
		len = iov[i].iov_len;
		allowed = mpx_remote_decide(mm, (unsigned long)iov[i].iov_base,
					    len, outer->write,
					    MPX_REMOTE_PROCESS_VM);
		if (allowed == len)
			continue;
		iov[i].iov_len = allowed;
		while (++i < ctx->nr_segs)
			iov[i].iov_len = 0;
		outer->denied = true;
	}
	return 0;
}

enum mpx_hook {
	MPX_HOOK_PVM,		/* process_vm_rw: target and vector */
	MPX_HOOK_IOV,		/* iovec_from_user: the check */
	MPX_HOOK_MEM_RW,	/* mem_rw: the path's name only */
	MPX_HOOK_PTRACE,	/* ptrace_access_vm: the path's name only */
	MPX_HOOK_ARCH_PTRACE,	/* arch_ptrace: where the above is inlined */
	MPX_HOOK_COMPAT_PTRACE,	/* compat_arch_ptrace: the same, 32-bit */
	MPX_NR_HOOKS,
};

/*
 * A missing required hook means a path left open: arming fails. The
 * others only name the path of an event.
 */
static const struct {
	const char *symbol;
	kretprobe_handler_t entry;
	kretprobe_handler_t ret;
	bool required;
} mpx_hook_def[MPX_NR_HOOKS] = {
	[MPX_HOOK_PVM] = { "process_vm_rw", mpx_pvm_entry, mpx_pvm_ret, true },
	[MPX_HOOK_IOV] = { "iovec_from_user", mpx_iov_entry, mpx_iov_ret, true },
	[MPX_HOOK_MEM_RW] = { "mem_rw", mpx_proc_mem_entry, mpx_path_ret },
	[MPX_HOOK_PTRACE] = { "ptrace_access_vm", mpx_ptrace_entry,
			      mpx_path_ret },
	[MPX_HOOK_ARCH_PTRACE] = { "arch_ptrace", mpx_ptrace_entry,
				   mpx_path_ret },
	[MPX_HOOK_COMPAT_PTRACE] = { "compat_arch_ptrace", mpx_ptrace_entry,
				     mpx_path_ret },
};

/* The armed hooks, allocated afresh for every arming. */
struct mpx_remote_hooks {
	struct kprobe access;			/* __access_remote_vm */
	struct kretprobe krp[MPX_NR_HOOKS];
	bool registered[MPX_NR_HOOKS];
};

static void mpx_remote_nmissed_add(struct mpx_remote_hooks *h)
{
	int i;

	for (i = 0; i < MPX_NR_HOOKS; i++)
		if (h->registered[i])
			mpx_remote_nmissed += h->krp[i].nmissed;
}

/*
 * The markers that were registered, in one call: one grace period for
 * all of them, not one each. Returns when no handler is in flight.
 */
static void mpx_remote_unregister_markers(struct mpx_remote_hooks *h)
{
	struct kretprobe *krps[MPX_NR_HOOKS];
	int i, n = 0;

	for (i = MPX_NR_HOOKS - 1; i >= 0; i--)
		if (h->registered[i])
			krps[n++] = &h->krp[i];
	unregister_kretprobes(krps, n);
}

/*
 * Unregister everything, the check first, then forget the contexts of
 * calls still running: their kretprobes are gone, so nothing will look
 * them up or delete them.
 */
static void mpx_remote_disarm(void)
{
	struct mpx_remote_hooks *h = mpx_hooks;

	lockdep_assert_held(&mpx_remote_mutex);
	if (!h)
		return;
	unregister_kprobe(&h->access);
	mpx_remote_unregister_markers(h);
	mpx_remote_nmissed_add(h);
	local_irq_disable();
	arch_spin_lock(&mpx_ctx_lock);
	hash_init(mpx_ctx);
	arch_spin_unlock(&mpx_ctx_lock);
	local_irq_enable();
	atomic_set(&mpx_pvm_followed, 0);
	WRITE_ONCE(mpx_hooks, NULL);
	kfree(h);
}

static void mpx_remote_disarm_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(mpx_remote_work, mpx_remote_disarm_fn);

/* Markers first, the checks last: a check always finds its marker. */
static int mpx_remote_arm(void)
{
	struct mpx_remote_hooks *h;
	int i, ret;

	lockdep_assert_held(&mpx_remote_mutex);
	if (mpx_hooks)
		return 0;
	if (mpx_remote_dying)
		return -ENODEV;
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	mpx_hooks = h;
	for (i = MPX_NR_HOOKS - 1; i >= 0; i--) {
		h->krp[i].kp.symbol_name = mpx_hook_def[i].symbol;
		h->krp[i].entry_handler = mpx_hook_def[i].entry;
		h->krp[i].handler = mpx_hook_def[i].ret;
		h->krp[i].data_size = sizeof(struct mpx_remote_ctx);
		h->krp[i].maxactive = MPX_REMOTE_MAXACTIVE;
		ret = register_kretprobe(&h->krp[i]);
		if (!ret) {
			h->registered[i] = true;
		} else if (mpx_hook_def[i].required) {
			pr_err("cannot hook %s (%d): remote access not guarded\n",
			       mpx_hook_def[i].symbol, ret);
			goto fail;
		}
	}
	h->access.symbol_name = "__access_remote_vm";
	h->access.pre_handler = mpx_access_pre;
	ret = register_kprobe(&h->access);
	if (ret) {
		pr_err("cannot hook __access_remote_vm (%d): remote access not guarded\n",
		       ret);
		goto fail;
	}
	schedule_delayed_work(&mpx_remote_work, MPX_REMOTE_DISARM_DELAY);
	return 0;
fail:
	mpx_remote_unregister_markers(h);
	mpx_hooks = NULL;
	kfree(h);
	return ret;
}

/*
 * While armed: disarm once nothing is enabled or about to be, and no
 * ENABLE came for a whole delay (a process that enables and disables keys
 * in a loop would otherwise pay for arming again and again).
 */
static void mpx_remote_disarm_fn(struct work_struct *work)
{
	mutex_lock(&mpx_remote_mutex);
	if (mpx_keys_nr_enabled() || atomic_read(&mpx_remote_pending) ||
	    time_before(jiffies, READ_ONCE(mpx_remote_last_use) +
				 MPX_REMOTE_DISARM_DELAY))
		schedule_delayed_work(&mpx_remote_work,
				      MPX_REMOTE_DISARM_DELAY);
	else
		mpx_remote_disarm();
	mutex_unlock(&mpx_remote_mutex);
}

/**
 * mpx_remote_get() - arm the hooks for an ENABLE about to happen
 *
 * Called before a key is enabled, so that the region is guarded before
 * ENABLE returns; pair with mpx_remote_put() once the key is enabled (or
 * the ENABLE failed). The hooks stay armed while the key is enabled.
 *
 * Return: 0, -EINTR when killed while waiting, or the error of arming.
 */
int mpx_remote_get(void)
{
	int ret = 0;

	if (mutex_lock_killable(&mpx_remote_mutex))
		return -EINTR;
	atomic_inc(&mpx_remote_pending);
	if (READ_ONCE(mpx_policy) != MPX_POLICY_OFF)
		ret = mpx_remote_arm();
	if (ret)
		atomic_dec(&mpx_remote_pending);
	mutex_unlock(&mpx_remote_mutex);
	return ret;
}

/* The ENABLE of mpx_remote_get() is over. */
void mpx_remote_put(void)
{
	WRITE_ONCE(mpx_remote_last_use, jiffies);
	atomic_dec(&mpx_remote_pending);
}

static int mpx_policy_set(const char *val, const struct kernel_param *kp)
{
	int policy, ret = 0;

	policy = sysfs_match_string(mpx_policy_names, val);
	if (policy < 0)
		return policy;
	mutex_lock(&mpx_remote_mutex);
	/*
	 * A policy that cannot be enforced is refused, the old one stays.
	 * An ENABLE that passed mpx_remote_get() under "off" has armed
	 * nothing and may not have counted its key yet: it is pending.
	 */
	if (policy != MPX_POLICY_OFF &&
	    (mpx_keys_nr_enabled() || atomic_read(&mpx_remote_pending)))
		ret = mpx_remote_arm();
	if (!ret) {
		WRITE_ONCE(mpx_policy, policy);
		if (policy == MPX_POLICY_OFF)
			mpx_remote_disarm();
	}
	mutex_unlock(&mpx_remote_mutex);
	return ret;
}

static int mpx_policy_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", mpx_policy_names[READ_ONCE(mpx_policy)]);
}

static const struct kernel_param_ops mpx_policy_ops = {
	.set = mpx_policy_set,
	.get = mpx_policy_get,
};

module_param_cb(remote, &mpx_policy_ops, NULL, 0644);
MODULE_PARM_DESC(remote,
		 "Other processes' access to enabled regions: deny (default), report, off");

/**
 * mpx_remote_show() - state for debugfs
 * @m: the seq_file
 */
void mpx_remote_show(struct seq_file *m)
{
	unsigned long missed;

	mutex_lock(&mpx_remote_mutex);
	missed = mpx_remote_nmissed;
	if (mpx_hooks) {
		int i;

		for (i = 0; i < MPX_NR_HOOKS; i++)
			if (mpx_hooks->registered[i])
				missed += mpx_hooks->krp[i].nmissed;
	}
	seq_printf(m, "remote %s\nremote_hooks %s\n",
		   mpx_policy_names[READ_ONCE(mpx_policy)],
		   mpx_hooks ? "armed" : "disarmed");
	mutex_unlock(&mpx_remote_mutex);
	seq_printf(m, "remote_denied %ld\nremote_reported %ld\nremote_nmissed %lu\n",
		   atomic_long_read(&mpx_remote_denied),
		   atomic_long_read(&mpx_remote_reported), missed);
}

/* Module unload: no call is in flight; keys may still be enabled. */
void mpx_remote_exit(void)
{
	mutex_lock(&mpx_remote_mutex);
	mpx_remote_dying = true;
	mutex_unlock(&mpx_remote_mutex);
	cancel_delayed_work_sync(&mpx_remote_work);
	mutex_lock(&mpx_remote_mutex);
	mpx_remote_disarm();
	mutex_unlock(&mpx_remote_mutex);
	if (mpx_remote_nmissed)
		pr_info("remote-access kretprobes missed %lu calls\n",
			mpx_remote_nmissed);
}
