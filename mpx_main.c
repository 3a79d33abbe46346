// SPDX-License-Identifier: GPL-2.0
/*
 * mpx: the /dev/mpx misc device and the sys_mpx() stand-in.
 *
 * Linux never had a sys_mpx() syscall, so one MPX_IOC_CALL ioctl on /dev/mpx
 * is one call of mpx(addr, len, key, op). This file copies the ioctl argument
 * from user space exactly once, validates every field of the kernel copy and
 * dispatches it through mpx_syscall(), the function the probes of
 * mpx_probe.c hook. Nothing here re-reads user memory.
 *
 * /dev/mpx is mode 0666: every operation acts on the caller's own address
 * space only, so an unprivileged user can do no more through it than to his
 * own process.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "mpx_bounds.h"
#include "mpx_br.h"
#include "mpx_keys.h"
#include "mpx_probe.h"
#include "mpx_remote.h"

/* MPX_VERSION comes from the VERSION file, through Kbuild. */

/*
 * Fixed minor so that opening /dev/mpx can load the module (devname alias),
 * taken from the "local/experimental use" range of devices.txt. Should it be
 * taken on some system, the device falls back to a dynamic minor.
 */
#define MPX_MINOR	250

static struct dentry *mpx_debugfs;

/* A region argument: len > 0 and [addr, addr + len) inside user space. */
static int mpx_valid_region(unsigned long addr, int len)
{
	unsigned long end;

	if (len <= 0)
		return -EINVAL;
	if (check_add_overflow(addr, (unsigned long)len, &end))
		return -EINVAL;
	if (end > TASK_SIZE)
		return -EINVAL;
	return 0;
}

static long mpx_op_get(unsigned long addr, int len, unsigned int key)
{
	struct mpx_key_info info;
	long ret;

	if (addr) {
		if (len != sizeof(info) || mpx_valid_region(addr, len))
			return -EINVAL;
	} else if (len) {
		return -EINVAL;
	}

	ret = mpx_key_get(key, &info);
	if (ret < 0 || !addr)
		return ret;
	if (copy_to_user((void __user *)addr, &info, sizeof(info)))
		return -EFAULT;
	return ret;
}

/* The remote-access hooks are armed before the key is enabled. */
static long mpx_op_enable(unsigned int key, bool need_hw)
{
	long ret;

	/*
	 * ENOENT and EOPNOTSUPP before arming: they come first (DESIGN's
	 * order), and a call that cannot enable a key arms nothing.
	 */
	ret = mpx_key_enable_check(key, need_hw);
	if (ret)
		return ret;
	ret = mpx_remote_get();
	if (ret)
		return ret;
	ret = mpx_key_enable(key, need_hw);
	mpx_remote_put();
	return ret;
}

/**
 * mpx_syscall() - the sys_mpx() stand-in: one mpx() call
 * @addr: start of the region (or GET's result buffer)
 * @len: its length in bytes
 * @key: the key operated on (0 for CREATE)
 * @op: one of &enum mpx_op
 *
 * The arguments are the kernel's validated copy; arguments @op does not use
 * must be zero. Kept out of line: mpx_probe.c puts a kprobe and a kretprobe
 * on it.
 *
 * Return: the result of mpx() (>= 0) or a negative errno.
 */
static noinline long mpx_syscall(unsigned long addr, int len,
				 unsigned int key, int op)
{
	bool region = op == MPX_OP_CREATE || op == MPX_OP_SET ||
		      op == MPX_OP_CHECK;
	int ret;

	if (region) {
		ret = mpx_valid_region(addr, len);
		if (ret)
			return ret;
	}

	switch (op) {
	case MPX_OP_CREATE:
		if (key)
			return -EINVAL;
		return mpx_key_create(addr, len);
	case MPX_OP_SET:
		return mpx_key_set(key, addr, len);
	case MPX_OP_CHECK:
		return mpx_key_check(key, addr, len);
	case MPX_OP_GET:
		return mpx_op_get(addr, len, key);
	case MPX_OP_ENABLE:
	case MPX_OP_ENABLE_HW:
		if (addr || len)
			return -EINVAL;
		return mpx_op_enable(key, op == MPX_OP_ENABLE_HW);
	case MPX_OP_DISABLE:
	case MPX_OP_FREE:
		if (addr || len)
			return -EINVAL;
		if (op == MPX_OP_DISABLE)
			return mpx_key_disable(key);
		return mpx_key_free(key);
	default:
		return -EINVAL;
	}
}

static long mpx_ioctl_call(void __user *uarg)
{
	struct mpx_args args;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags)
		return -EINVAL;
	return mpx_syscall(args.addr, args.len, args.key, args.op);
}

static long mpx_ioctl_info(void __user *uarg)
{
	struct mpx_info info = {
		.version = MPX_ABI_VERSION,
		.hw = mpx_cpu_has_mpx(),
		.mode = mpx_hw_mode() ? MPX_MODE_HW : MPX_MODE_SW,
		.nr_bnd = mpx_hw_mode() ? MPX_NR_BND : 0,
		.max_keys = mpx_keys_max(),
	};

	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long mpx_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case MPX_IOC_CALL:
		return mpx_ioctl_call(uarg);
	case MPX_IOC_INFO:
		return mpx_ioctl_info(uarg);
	default:
		return -ENOTTY;
	}
}

#ifdef CONFIG_COMPAT
/* The ABI structs have one layout for 32- and 64-bit callers. */
static long mpx_compat_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	return mpx_ioctl(file, cmd, (unsigned long)compat_ptr(arg));
}
#endif

static const struct file_operations mpx_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = mpx_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl = mpx_compat_ioctl,
#endif
	.llseek = noop_llseek,
};

static struct miscdevice mpx_misc = {
	.minor = MPX_MINOR,
	.name = KBUILD_MODNAME,
	.fops = &mpx_fops,
	.mode = 0666,
};

static int mpx_misc_register(void)
{
	int ret;

	ret = misc_register(&mpx_misc);
	if (ret != -EBUSY)
		return ret;
	pr_warn("minor %d in use, taking a dynamic minor\n", MPX_MINOR);
	mpx_misc.minor = MISC_DYNAMIC_MINOR;
	return misc_register(&mpx_misc);
}

/* debugfs mpx/state: module-wide counts, so tests can prove nothing leaks. */
static int mpx_state_show(struct seq_file *m, void *v)
{
	unsigned int nr_keys, nr_mms;
	long live, memory, init, br, br_dropped;
	bool armed, pkey_armed;
	unsigned long missed;

	mpx_keys_stats(&nr_keys, &nr_mms);
	mpx_bounds_stats(&live, &memory, &init);
	br = mpx_br_stats(&br_dropped);
	missed = mpx_probe_stats(&armed, &pkey_armed);
	seq_printf(m, "keys %u\nmms %u\nenabled %u\n", nr_keys, nr_mms,
		   mpx_keys_nr_enabled());
	seq_printf(m, "mode %s\n", mpx_hw_mode() ? "hw" : "sw");
	seq_printf(m, "fpu_live %ld\nfpu_memory %ld\nfpu_init %ld\n",
		   live, memory, init);
	seq_printf(m, "br_signals %ld\nbr_dropped %ld\n", br, br_dropped);
	seq_printf(m, "probes %s\npkey_probes %s\nkretprobe_nmissed %lu\n",
		   armed ? "armed" : "disarmed",
		   pkey_armed ? "armed" : "disarmed", missed);
	mpx_remote_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mpx_state);

static int __init mpx_init(void)
{
	int ret;

	ret = mpx_bounds_init();
	if (ret)
		return ret;
	ret = mpx_br_init();
	if (ret)
		goto bounds;
	mpx_probe_init(mpx_syscall);
	ret = mpx_misc_register();
	if (ret)
		goto br;
	mpx_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("state", 0444, mpx_debugfs, NULL, &mpx_state_fops);

	pr_info("version %s loaded, %s mode, max_keys %u\n", MPX_VERSION,
		mpx_hw_mode() ? "hardware" : "software", mpx_keys_max());
	return 0;
br:
	mpx_probe_exit();
	mpx_br_exit();
bounds:
	mpx_bounds_exit();
	return ret;
}

static void __exit mpx_exit(void)
{
	debugfs_remove(mpx_debugfs);
	misc_deregister(&mpx_misc);
	mpx_probe_exit();
	mpx_remote_exit();
	mpx_br_exit();
	mpx_keys_exit();
	mpx_bounds_exit();
	pr_info("unloaded\n");
}

module_init(mpx_init);
module_exit(mpx_exit);

MODULE_DESCRIPTION("mpx: manage memory protection keys (Intel MPX bound registers or software)");
MODULE_AUTHOR("The mpx developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(MPX_VERSION);
MODULE_ALIAS_MISCDEV(MPX_MINOR);
MODULE_ALIAS("devname:" KBUILD_MODNAME);
