// SPDX-License-Identifier: GPL-2.0
/*
 * mpx: the tracepoints, and the kprobe/kretprobe pair on mpx_syscall().
 *
 * The module's tracepoints are defined here (CREATE_TRACE_POINTS), with the
 * reg/unreg callbacks tracing calls when an event gains its first consumer
 * or loses its last. This file is the module's bottom layer: it calls no
 * other file; mpx_main.c hands it the function to probe at init.
 *
 * mpx_syscall() is the stand-in for sys_mpx(). A kprobe on it emits
 * mpx_enter with the four arguments (the kernel's validated copy, taken
 * from the registers of the call); a kretprobe emits mpx_exit with the
 * return value and the latency, measured with local_clock() (the
 * scheduler's clock: cheap, unlike a clocksource read) from the entry
 * handler through per-instance data.
 *
 * The pair is armed only while mpx_enter or mpx_exit has a consumer: the
 * tracepoints' reg/unreg callbacks (TRACE_EVENT_FN) register it for the
 * first consumer of either event and unregister it after the last, so an
 * idle module pays nothing for its hooks. The unregister calls wait for
 * handlers in flight. Every mpx event pins the module while it has a
 * consumer (mpx_event_reg()), so unload is refused while anyone traces; once
 * unload has begun, the reg callbacks, which tracing may still call until it
 * removes the module's events, fail and arm nothing. The
 * module parameter "probes" forbids arming (mpx_key and mpx_violation still
 * fire). Missed kretprobe instances are counted in debugfs (mpx/state) and
 * reported at unload.
 *
 * mpx_pkey follows the same pattern for the real pkey_alloc, pkey_free and
 * pkey_mprotect syscalls of every process, so that a monitor sees
 * protection-key changes on CPUs without MPX too: a kretprobe on each
 * syscall's x86-64 and ia32 entry points records the arguments from the
 * user registers it is given and emits the event with the result.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/ptrace.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <asm/syscall.h>

#include "mpx_probe.h"

#define CREATE_TRACE_POINTS
#include "mpx_trace.h"

/* Concurrent mpx_syscall() instances the kretprobe can follow. */
#define MPX_KRETPROBE_MAXACTIVE	256

static bool mpx_probes_allowed = true;
module_param_named(probes, mpx_probes_allowed, bool, 0644);
MODULE_PARM_DESC(probes,
		 "Arm the probes behind mpx_enter/mpx_exit and mpx_pkey (default on)");

/* The armed pair, allocated afresh for every arming. */
struct mpx_probes {
	struct kprobe kp;
	struct kretprobe krp;
};

static DEFINE_MUTEX(mpx_probe_mutex);
static mpx_entry_fn mpx_probe_target;	/* mpx_syscall() */
static unsigned int mpx_probe_users;	/* enter/exit events consumed */
static struct mpx_probes *mpx_probes;	/* NULL when disarmed */
static unsigned long mpx_nmissed;	/* of earlier armings */

struct mpx_probe_data {
	u64 start;
	unsigned int key;
	int op;
};

static int mpx_enter_pre(struct kprobe *p, struct pt_regs *regs)
{
	trace_mpx_enter(regs_get_kernel_argument(regs, 0),
			regs_get_kernel_argument(regs, 1),
			regs_get_kernel_argument(regs, 2),
			regs_get_kernel_argument(regs, 3));
	return 0;
}

static int mpx_exit_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct mpx_probe_data *d = (struct mpx_probe_data *)ri->data;

	d->key = regs_get_kernel_argument(regs, 2);
	d->op = regs_get_kernel_argument(regs, 3);
	d->start = local_clock();
	return 0;
}

static int mpx_exit_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct mpx_probe_data *d = (struct mpx_probe_data *)ri->data;
	u64 now = local_clock();

	/* local_clock() is per CPU: after a migration, never below zero. */
	trace_mpx_exit(d->op, d->key, regs_return_value(regs),
		       now > d->start ? now - d->start : 0);
	return 0;
}

static int mpx_probe_arm(void)
{
	struct mpx_probes *p;
	int ret;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->kp.addr = (kprobe_opcode_t *)mpx_probe_target;
	p->kp.pre_handler = mpx_enter_pre;
	p->krp.kp.addr = (kprobe_opcode_t *)mpx_probe_target;
	p->krp.entry_handler = mpx_exit_entry;
	p->krp.handler = mpx_exit_ret;
	p->krp.data_size = sizeof(struct mpx_probe_data);
	p->krp.maxactive = MPX_KRETPROBE_MAXACTIVE;

	ret = register_kprobe(&p->kp);
	if (ret)
		goto free;
	ret = register_kretprobe(&p->krp);
	if (ret)
		goto unregister;
	mpx_probes = p;
	return 0;
unregister:
	unregister_kprobe(&p->kp);
free:
	kfree(p);
	return ret;
}

/*
 * Both unregister calls wait for handlers in flight; kretprobe instances
 * still on a stack afterwards no longer reference the struct kretprobe.
 */
static void mpx_probe_disarm(void)
{
	if (!mpx_probes)
		return;
	unregister_kretprobe(&mpx_probes->krp);
	unregister_kprobe(&mpx_probes->kp);
	mpx_nmissed += mpx_probes->krp.nmissed;
	kfree(mpx_probes);
	mpx_probes = NULL;
}

/* Room for the longest syscall entry point name probed here. */
#define MPX_SYSCALL_SYM_LEN	48

/* One kretprobe on a pkey syscall entry point. */
struct mpx_pkey_probe {
	struct kretprobe krp;
	int call;
	char symbol[MPX_SYSCALL_SYM_LEN];
};

/*
 * The syscall entry points of this architecture: each takes the user
 * registers as its argument 0 (x86-64: the 64-bit and the ia32 entry).
 */
static const char * const mpx_syscall_prefix[] = {
#if defined(CONFIG_X86_64)
	"__x64_sys_", "__ia32_sys_",
#elif defined(CONFIG_ARM64)
	"__arm64_sys_",
#endif
};

static const char * const mpx_pkey_names[] = {
	[MPX_PKEY_ALLOC] = "pkey_alloc",
	[MPX_PKEY_FREE] = "pkey_free",
	[MPX_PKEY_MPROTECT] = "pkey_mprotect",
};

#define MPX_PKEY_PROBES	\
	(ARRAY_SIZE(mpx_syscall_prefix) * ARRAY_SIZE(mpx_pkey_names))

/* Armed pkey probes, NULL where disarmed (or the symbol is missing). */
static struct mpx_pkey_probe *mpx_pkey_probes[MPX_PKEY_PROBES];
static bool mpx_pkey_armed;

/* The syscall's arguments, as the caller's ABI passed them. */
struct mpx_pkey_args {
	unsigned long arg[6];
};

static int mpx_pkey_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct pt_regs *uregs = (struct pt_regs *)regs_get_kernel_argument(regs, 0);
	struct mpx_pkey_args *a = (struct mpx_pkey_args *)ri->data;

	syscall_get_arguments(current, uregs, a->arg);
	return 0;
}

static int mpx_pkey_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct mpx_pkey_probe *p = container_of(get_kretprobe(ri),
						struct mpx_pkey_probe, krp);
	unsigned long *arg = ((struct mpx_pkey_args *)ri->data)->arg;
	long ret = regs_return_value(regs);

	switch (p->call) {
	case MPX_PKEY_ALLOC:	/* flags, access rights */
		trace_mpx_pkey(p->call, ret < 0 ? -1 : ret, 0, 0, arg[1], arg[0],
			       ret);
		break;
	case MPX_PKEY_FREE:	/* pkey */
		trace_mpx_pkey(p->call, arg[0], 0, 0, 0, 0, ret);
		break;
	case MPX_PKEY_MPROTECT:	/* start, len, prot, pkey */
		trace_mpx_pkey(p->call, arg[3], arg[0], arg[1], arg[2], 0, ret);
		break;
	}
	return 0;
}

/* All at once: one grace period for the lot, not one each. */
static void mpx_pkey_disarm(void)
{
	struct kretprobe *krps[MPX_PKEY_PROBES];
	int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(mpx_pkey_probes); i++)
		if (mpx_pkey_probes[i])
			krps[n++] = &mpx_pkey_probes[i]->krp;
	unregister_kretprobes(krps, n);
	for (i = 0; i < ARRAY_SIZE(mpx_pkey_probes); i++) {
		if (!mpx_pkey_probes[i])
			continue;
		mpx_nmissed += mpx_pkey_probes[i]->krp.nmissed;
		kfree(mpx_pkey_probes[i]);
		mpx_pkey_probes[i] = NULL;
	}
	mpx_pkey_armed = false;
}

/* Arm what can be armed; a kernel without one of the syscalls lacks it. */
static int mpx_pkey_arm(void)
{
	struct mpx_pkey_probe *p;
	int i, ret, armed = 0;

	for (i = 0; i < MPX_PKEY_PROBES; i++) {
		p = kzalloc(sizeof(*p), GFP_KERNEL);
		if (!p) {
			mpx_pkey_disarm();
			return -ENOMEM;
		}
		p->call = i % ARRAY_SIZE(mpx_pkey_names);
		snprintf(p->symbol, sizeof(p->symbol), "%s%s",
			 mpx_syscall_prefix[i / ARRAY_SIZE(mpx_pkey_names)],
			 mpx_pkey_names[p->call]);
		p->krp.kp.symbol_name = p->symbol;
		p->krp.entry_handler = mpx_pkey_entry;
		p->krp.handler = mpx_pkey_ret;
		p->krp.data_size = sizeof(struct mpx_pkey_args);
		p->krp.maxactive = MPX_KRETPROBE_MAXACTIVE;
		ret = register_kretprobe(&p->krp);
		if (ret) {
			pr_warn("no probe on %s: %d\n", p->symbol, ret);
			kfree(p);
			continue;
		}
		mpx_pkey_probes[i] = p;
		armed++;
	}
	mpx_pkey_armed = armed;
	return armed ? 0 : -ENOENT;
}

/**
 * mpx_event_reg() - tracepoint reg callback: an event got its first consumer
 *
 * Pins the module, so that unload is refused while anyone traces it.
 *
 * Return: 0, or -ENODEV once unload has begun.
 */
int mpx_event_reg(void)
{
	return try_module_get(THIS_MODULE) ? 0 : -ENODEV;
}

/* Tracepoint unreg callback: an event lost its last consumer. */
void mpx_event_unreg(void)
{
	module_put(THIS_MODULE);
}

/* Tracepoint reg callback of mpx_pkey. */
int mpx_pkey_probe_reg(void)
{
	int ret;

	ret = mpx_event_reg();
	if (ret)
		return ret;
	mutex_lock(&mpx_probe_mutex);
	if (READ_ONCE(mpx_probes_allowed))
		ret = mpx_pkey_arm();
	mutex_unlock(&mpx_probe_mutex);
	if (ret)
		mpx_event_unreg();
	return ret;
}

/* Tracepoint unreg callback of mpx_pkey. */
void mpx_pkey_probe_unreg(void)
{
	mutex_lock(&mpx_probe_mutex);
	mpx_pkey_disarm();
	mutex_unlock(&mpx_probe_mutex);
	mpx_event_unreg();
}

/* Tracepoint reg callback of mpx_enter and mpx_exit. */
int mpx_probe_reg(void)
{
	int ret;

	ret = mpx_event_reg();
	if (ret)
		return ret;
	mutex_lock(&mpx_probe_mutex);
	if (!mpx_probe_users++ && READ_ONCE(mpx_probes_allowed) &&
	    mpx_probe_target) {
		ret = mpx_probe_arm();
		if (ret) {
			pr_warn("arming the probes on mpx_syscall failed: %d\n",
				ret);
			mpx_probe_users--;
		}
	}
	mutex_unlock(&mpx_probe_mutex);
	if (ret)
		mpx_event_unreg();
	return ret;
}

/* Tracepoint unreg callback of mpx_enter and mpx_exit. */
void mpx_probe_unreg(void)
{
	mutex_lock(&mpx_probe_mutex);
	if (!WARN_ON_ONCE(!mpx_probe_users) && !--mpx_probe_users)
		mpx_probe_disarm();
	mutex_unlock(&mpx_probe_mutex);
	mpx_event_unreg();
}

/**
 * mpx_probe_stats() - state of the probes for debugfs
 * @armed: set when the pair on mpx_syscall() is armed
 * @pkey_armed: set when probes on the pkey syscalls are armed
 *
 * Return: kretprobe instances missed so far (too many concurrent calls).
 */
unsigned long mpx_probe_stats(bool *armed, bool *pkey_armed)
{
	unsigned long missed;
	int i;

	mutex_lock(&mpx_probe_mutex);
	*armed = mpx_probes;
	*pkey_armed = mpx_pkey_armed;
	missed = mpx_nmissed + (mpx_probes ? mpx_probes->krp.nmissed : 0);
	for (i = 0; i < ARRAY_SIZE(mpx_pkey_probes); i++)
		if (mpx_pkey_probes[i])
			missed += mpx_pkey_probes[i]->krp.nmissed;
	mutex_unlock(&mpx_probe_mutex);
	return missed;
}

/**
 * mpx_probe_init() - name the function the kprobe/kretprobe pair probes
 * @entry: mpx_syscall(), the sys_mpx() stand-in
 *
 * Called before /dev/mpx exists; until then the pair cannot be armed.
 */
void mpx_probe_init(mpx_entry_fn entry)
{
	mutex_lock(&mpx_probe_mutex);
	mpx_probe_target = entry;
	mutex_unlock(&mpx_probe_mutex);
}

void mpx_probe_exit(void)
{
	unsigned long missed;

	mutex_lock(&mpx_probe_mutex);
	mpx_probe_disarm();
	mpx_pkey_disarm();
	missed = mpx_nmissed;
	mutex_unlock(&mpx_probe_mutex);
	if (missed)
		pr_info("kretprobe on mpx_syscall missed %lu calls\n", missed);
}
