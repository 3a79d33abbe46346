/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared by the files of the mpx module. Each .c file owns one
 * concern:
 *
 *   mpx_main.c    module init/exit, /dev/mpx, ioctl decoding, mpx_syscall()
 *   mpx_keys.c    the per-address-space key table and its reclaim
 *   mpx_bounds.c  CPU detection, bound registers, #BR, region checks
 *   mpx_insn.c    decoding the bndcl/bndcu/bndcn that raised a #BR
 *   mpx_probe.c   the kprobe/kretprobe pair and the tracepoints
 */
#ifndef _MPX_INTERNAL_H
#define _MPX_INTERNAL_H

#include <linux/types.h>
#include <uapi/linux/mpx.h>

struct mm_struct;
struct pt_regs;

/* Default and ceiling of the max_keys module parameter. */
#define MPX_MAX_KEYS_DEFAULT	1024
#define MPX_MAX_KEYS_LIMIT	65536

/* mpx_key event actions. */
enum mpx_key_action {
	MPX_KEY_CREATED,
	MPX_KEY_SET,
	MPX_KEY_ENABLED,
	MPX_KEY_DISABLED,
	MPX_KEY_FREED,
	MPX_KEY_RECLAIMED,
};

/* mpx_violation event sources. */
enum mpx_violation_source {
	MPX_VIOLATION_BR,	/* a #BR trap from bndcl/bndcu/bndcn */
	MPX_VIOLATION_CHECK,	/* MPX_OP_CHECK */
};

/* mpx_pkey event calls. */
enum mpx_pkey_call {
	MPX_PKEY_ALLOC,
	MPX_PKEY_FREE,
	MPX_PKEY_MPROTECT,
};

/* mpx_main.c */
extern unsigned int mpx_max_keys;
long mpx_syscall(unsigned long addr, int len, unsigned int key, int op);

/* mpx_keys.c */
void mpx_keys_exit(void);
void mpx_keys_stats(unsigned int *nr_keys, unsigned int *nr_mms);
bool mpx_mm_has_keys(struct mm_struct *mm);
u32 mpx_key_by_bounds(struct mm_struct *mm, unsigned long lower,
		      unsigned long upper);
int mpx_key_create(unsigned long addr, int len);
int mpx_key_set(unsigned int key, unsigned long addr, int len);
int mpx_key_get(unsigned int key, struct mpx_key_info *info);
int mpx_key_enable(unsigned int key, bool need_hw);
int mpx_key_disable(unsigned int key);
int mpx_key_free(unsigned int key);
int mpx_key_check(unsigned int key, unsigned long addr, int len);

/* mpx_bounds.c */
int mpx_bounds_init(void);
void mpx_bounds_exit(void);
void mpx_bounds_stats(long *live, long *memory, long *br);
bool mpx_cpu_has_mpx(void);
bool mpx_hw_mode(void);
int mpx_bnd_find(unsigned long addr, int len);
int mpx_bnd_load(unsigned long addr, int len);
int mpx_bnd_move(unsigned long addr, int len, unsigned long new_addr,
		 int new_len);
int mpx_bnd_unload(unsigned long addr, int len);
bool mpx_region_inside(unsigned long addr, int len,
		       unsigned long lower, int lower_len);

/* mpx_insn.c */
struct mpx_bndck {
	int bnd;		/* the bound register checked */
	unsigned long addr;	/* the address checked */
};

int mpx_decode_bndck(struct pt_regs *regs, struct mpx_bndck *out);

/* mpx_probe.c */
int mpx_probe_reg(void);
void mpx_probe_unreg(void);
int mpx_event_reg(void);
void mpx_event_unreg(void);
int mpx_pkey_probe_reg(void);
void mpx_pkey_probe_unreg(void);
unsigned long mpx_probe_stats(bool *armed, bool *pkey_armed);
void mpx_probe_exit(void);

#endif /* _MPX_INTERNAL_H */
