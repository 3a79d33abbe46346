/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared by the files of the mpx module. Each .c file owns one
 * concern:
 *
 *   mpx_main.c    module init/exit, /dev/mpx, ioctl decoding, mpx_syscall()
 *   mpx_keys.c    the per-address-space key table and its reclaim
 *   mpx_bounds.c  CPU feature detection and the region checks
 */
#ifndef _MPX_INTERNAL_H
#define _MPX_INTERNAL_H

#include <linux/types.h>
#include <uapi/linux/mpx.h>

/* Default and ceiling of the max_keys module parameter. */
#define MPX_MAX_KEYS_DEFAULT	1024
#define MPX_MAX_KEYS_LIMIT	65536

/* mpx_main.c */
extern unsigned int mpx_max_keys;
long mpx_syscall(unsigned long addr, int len, unsigned int key, int op);

/* mpx_keys.c */
void mpx_keys_exit(void);
void mpx_keys_stats(unsigned int *nr_keys, unsigned int *nr_mms);
int mpx_key_create(unsigned long addr, int len);
int mpx_key_set(unsigned int key, unsigned long addr, int len);
int mpx_key_get(unsigned int key, struct mpx_key_info *info);
int mpx_key_enable(unsigned int key, bool need_hw);
int mpx_key_disable(unsigned int key);
int mpx_key_free(unsigned int key);
int mpx_key_check(unsigned int key, unsigned long addr, int len);

/* mpx_bounds.c */
void mpx_bounds_detect(void);
bool mpx_cpu_has_mpx(void);
bool mpx_hw_mode(void);
bool mpx_region_inside(unsigned long addr, int len,
		       unsigned long lower, int lower_len);

#endif /* _MPX_INTERNAL_H */
