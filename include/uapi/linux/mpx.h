/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mpx - manage memory protection keys (the ABI of /dev/mpx)
 *
 * Linux never had a sys_mpx() system call, so the misc device /dev/mpx
 * stands in for it: one MPX_IOC_CALL ioctl is one call of
 *
 *	int mpx(void *addr, int len, unsigned int key, int op);
 *
 * A key guards the region [addr, addr + len) of the caller's address space.
 * Keys belong to the address space (like pkeys): the threads of a process
 * share them, no other process can see or change them, and they are all
 * freed when the address space goes away.
 *
 * On a CPU with Intel MPX an enabled key is also loaded into one of the bound
 * registers BND0-BND3 of the calling thread, so that bndcl/bndcu checks in
 * the program trap when they leave the region (hardware mode). Elsewhere the
 * same operations work without the register load (software mode).
 *
 * This header compiles as C and C++ with only <linux/types.h> and
 * <linux/ioctl.h>. Every structure has a fixed size, no implicit padding and
 * the same layout for 32- and 64-bit callers.
 */
#ifndef _UAPI_LINUX_MPX_H
#define _UAPI_LINUX_MPX_H

#include <linux/types.h>
#include <linux/ioctl.h>

/** MPX_ABI_VERSION - reported in &struct mpx_info.version */
#define MPX_ABI_VERSION		1

/**
 * enum mpx_op - the operations of mpx(), passed in &struct mpx_args.op
 *
 * Arguments an operation does not use must be zero (EINVAL otherwise).
 *
 * @MPX_OP_CREATE: allocate a key guarding [addr, addr + len); key must be 0.
 *	Returns the new key (>= 1). ENOMEM if any page of the region is not
 *	mapped, ENOSPC when the process already holds max_keys keys.
 * @MPX_OP_SET: rebind @key to [addr, addr + len) (same checks as CREATE).
 *	If the key is enabled, the calling thread's bound register follows.
 * @MPX_OP_GET: return the status word of @key (MPX_STATUS_*). If addr is not
 *	zero, also write a &struct mpx_key_info there; len must then be its
 *	size (and 0 when addr is 0). EFAULT if the buffer is not writable.
 * @MPX_OP_ENABLE: enable @key; in hardware mode also load it into a free
 *	bound register of the calling thread (EBUSY when none is free).
 *	Enabling an enabled key succeeds and changes nothing.
 * @MPX_OP_DISABLE: disable @key and clear the calling thread's bound
 *	register holding it. Disabling a disabled key succeeds.
 * @MPX_OP_FREE: free @key. EBUSY while the key is enabled.
 * @MPX_OP_CHECK: 0 if [addr, addr + len) lies inside @key's region,
 *	otherwise ERANGE and an mpx_violation event. Works in both modes.
 * @MPX_OP_ENABLE_HW: as MPX_OP_ENABLE, but a hardware-only request: fails
 *	with EOPNOTSUPP in software mode instead of enabling the key without a
 *	bound register.
 */
enum mpx_op {
	MPX_OP_CREATE = 1,
	MPX_OP_SET = 2,
	MPX_OP_GET = 3,
	MPX_OP_ENABLE = 4,
	MPX_OP_DISABLE = 5,
	MPX_OP_FREE = 6,
	MPX_OP_CHECK = 7,
	MPX_OP_ENABLE_HW = 8,
};

/**
 * struct mpx_args - the arguments of one mpx() call (MPX_IOC_CALL)
 * @addr: start of the user region (or GET's result buffer)
 * @len: length of the region in bytes (or GET's buffer size)
 * @key: the key operated on; 0 for CREATE
 * @op: one of &enum mpx_op
 * @flags: must be 0; no flag is defined yet
 */
struct mpx_args {
	__u64 addr;
	__s32 len;
	__u32 key;
	__s32 op;
	__u32 flags;
};

/* Status word bits, returned by MPX_OP_GET and in &struct mpx_key_info. */
/** MPX_STATUS_ENABLED - the key is enabled (for the whole process) */
#define MPX_STATUS_ENABLED	(1U << 0)
/** MPX_STATUS_HW - loaded in a bound register of the calling thread */
#define MPX_STATUS_HW		(1U << 1)
/** MPX_STATUS_BND_SHIFT - bits 8-9: the register number when MPX_STATUS_HW */
#define MPX_STATUS_BND_SHIFT	8
#define MPX_STATUS_BND_MASK	(3U << MPX_STATUS_BND_SHIFT)
#define MPX_STATUS_BND(status)	\
	(((status) & MPX_STATUS_BND_MASK) >> MPX_STATUS_BND_SHIFT)

/**
 * struct mpx_key_info - what MPX_OP_GET writes when addr is not zero
 * @key: the key
 * @status: its status word (MPX_STATUS_*)
 * @addr: start of the region it guards
 * @len: length of that region
 * @bnd: bound register (0-3) holding it in the calling thread, or -1
 */
struct mpx_key_info {
	__u32 key;
	__u32 status;
	__u64 addr;
	__s32 len;
	__s32 bnd;
};

/** MPX_MODE_SW - software mode: key table and CHECK, no register load */
#define MPX_MODE_SW		0
/** MPX_MODE_HW - hardware mode: enabled keys live in BND0-BND3 */
#define MPX_MODE_HW		1

/** MPX_NR_BND - bound registers of an MPX CPU */
#define MPX_NR_BND		4

/**
 * struct mpx_info - what MPX_IOC_INFO reports
 * @version: MPX_ABI_VERSION
 * @hw: 1 when the CPU has MPX (CPUID.7.0:EBX[14]) and XCR0 enables both
 *	BNDREGS and BNDCSR, else 0
 * @mode: MPX_MODE_HW or MPX_MODE_SW, the mode in use
 * @nr_bnd: bound registers usable: MPX_NR_BND in hardware mode, else 0
 * @max_keys: the per-process key limit (module parameter max_keys)
 * @reserved: reads as zero
 */
struct mpx_info {
	__u32 version;
	__u32 hw;
	__u32 mode;
	__u32 nr_bnd;
	__u32 max_keys;
	__u32 reserved[11];
};

#define MPX_IOC_MAGIC	0xBD	/* unused in ioctl-number.rst */

/**
 * MPX_IOC_CALL - one mpx() call; the ioctl returns mpx()'s return value
 *
 * Errors, checked in this order: EFAULT (arguments unreadable), EINVAL
 * (unknown op, non-zero flags, an unused argument not zero, len <= 0 where a
 * region is needed, addr + len overflowing or leaving the user address
 * space), ENOENT (key not allocated by this process), then the operation's
 * own errors (see &enum mpx_op).
 */
#define MPX_IOC_CALL	_IOW(MPX_IOC_MAGIC, 0x01, struct mpx_args)

/** MPX_IOC_INFO - fill a &struct mpx_info (EFAULT if not writable) */
#define MPX_IOC_INFO	_IOR(MPX_IOC_MAGIC, 0x02, struct mpx_info)

#endif /* _UAPI_LINUX_MPX_H */
