/* SPDX-License-Identifier: GPL-2.0 */
/* mpx_br.c: #BR from user mode becomes SIGSEGV/SEGV_BNDERR (x86). */
#ifndef _MPX_BR_H
#define _MPX_BR_H

#ifdef CONFIG_X86
int mpx_br_init(void);
void mpx_br_exit(void);
long mpx_br_stats(long *dropped);
#else
static inline int mpx_br_init(void) { return 0; }
static inline void mpx_br_exit(void) { }
static inline long mpx_br_stats(long *dropped)
{
	*dropped = 0;
	return 0;
}
#endif

#endif /* _MPX_BR_H */
