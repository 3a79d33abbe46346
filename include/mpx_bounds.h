/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mpx_bounds.c: CPU detection and the calling thread's bound registers
 * (x86 only). Other architectures always run in software mode; the stubs
 * below keep the callers free of architecture checks.
 */
#ifndef _MPX_BOUNDS_H
#define _MPX_BOUNDS_H

#include <linux/jump_label.h>
#include <linux/types.h>
#include <uapi/linux/mpx.h>

/* Components 3 (BNDREGS) and 4 (BNDCSR) of the calling thread. */
struct mpx_bndstate {
	struct {
		u64 lower;
		u64 upper;	/* one's complement, as the hardware keeps it */
	} bnd[MPX_NR_BND];
	struct {
		u64 bndcfgu;
		u64 bndstatus;
	} csr;
};

#ifdef CONFIG_X86
int mpx_bounds_init(void);
void mpx_bounds_exit(void);
void mpx_bounds_stats(long *live, long *memory, long *init);
bool mpx_cpu_has_mpx(void);

DECLARE_STATIC_KEY_FALSE(mpx_hw_key);

/* Hardware mode: keys go into bound registers (fixed at module init). */
static inline bool mpx_hw_mode(void)
{
	return static_branch_unlikely(&mpx_hw_key);
}

int mpx_bnd_read(struct mpx_bndstate *st);
int mpx_bnd_find(unsigned long addr, int len);
int mpx_bnd_load(unsigned long addr, int len);
int mpx_bnd_move(unsigned long addr, int len, unsigned long new_addr,
		 int new_len);
int mpx_bnd_unload(unsigned long addr, int len);
#else
static inline int mpx_bounds_init(void) { return 0; }
static inline void mpx_bounds_exit(void) { }
static inline void mpx_bounds_stats(long *live, long *memory, long *init)
{
	*live = 0;
	*memory = 0;
	*init = 0;
}

static inline bool mpx_cpu_has_mpx(void) { return false; }
static inline bool mpx_hw_mode(void) { return false; }
static inline int mpx_bnd_find(unsigned long addr, int len) { return -1; }
static inline int mpx_bnd_load(unsigned long addr, int len)
{
	return -EOPNOTSUPP;
}

static inline int mpx_bnd_move(unsigned long addr, int len,
			       unsigned long new_addr, int new_len)
{
	return 0;
}

static inline int mpx_bnd_unload(unsigned long addr, int len) { return 0; }
#endif

#endif /* _MPX_BOUNDS_H */
