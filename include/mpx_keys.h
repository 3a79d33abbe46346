/* SPDX-License-Identifier: GPL-2.0 */
/* mpx_keys.c: the per-address-space key table. */
#ifndef _MPX_KEYS_H
#define _MPX_KEYS_H

#include <linux/types.h>
#include <uapi/linux/mpx.h>

struct mm_struct;

unsigned int mpx_keys_max(void);
int mpx_key_create(unsigned long addr, int len);
int mpx_key_set(unsigned int key, unsigned long addr, int len);
int mpx_key_get(unsigned int key, struct mpx_key_info *info);
int mpx_key_enable_check(unsigned int key, bool need_hw);
int mpx_key_enable(unsigned int key, bool need_hw);
int mpx_key_disable(unsigned int key);
int mpx_key_free(unsigned int key);
int mpx_key_check(unsigned int key, unsigned long addr, int len);

/**
 * struct mpx_protected - where an access meets an enabled key's region
 * @key: a key whose region the access overlaps (the lowest region)
 * @first: the first protected byte of the access
 * @pid: the process that owns the address space
 */
struct mpx_protected {
	u32 key;
	unsigned long first;
	pid_t pid;
};

bool mpx_keys_protected(struct mm_struct *mm, unsigned long addr,
			unsigned long len, struct mpx_protected *out);
bool mpx_mm_has_keys(struct mm_struct *mm);
u32 mpx_key_by_bounds(struct mm_struct *mm, unsigned long lower,
		      unsigned long upper);
unsigned int mpx_keys_nr_enabled(void);
void mpx_keys_stats(unsigned int *nr_keys, unsigned int *nr_mms);
void mpx_keys_exit(void);

#endif /* _MPX_KEYS_H */
