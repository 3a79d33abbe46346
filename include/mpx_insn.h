/* SPDX-License-Identifier: GPL-2.0 */
/* mpx_insn.c: decoding the bndcl/bndcu/bndcn that raised a #BR (x86). */
#ifndef _MPX_INSN_H
#define _MPX_INSN_H

#include <uapi/linux/mpx.h>

struct pt_regs;

/**
 * struct mpx_bndck - a decoded bound check
 * @bnd: the bound register checked
 * @addr: the address checked
 */
struct mpx_bndck {
	int bnd;
	unsigned long addr;
};

int mpx_decode_bndck(struct pt_regs *regs, struct mpx_bndck *out);

#endif /* _MPX_INSN_H */
