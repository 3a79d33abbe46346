// SPDX-License-Identifier: GPL-2.0
/*
 * mpx: decode the bndcl/bndcu/bndcn instruction that raised a #BR.
 *
 * The kernel's instruction decoder is not exported to modules, and this
 * needs only a small part of it: the three bound-check instructions of a
 * 64-bit process,
 *
 *	F3 0F 1A /r	bndcl bnd, r/m64
 *	F2 0F 1A /r	bndcu bnd, r/m64
 *	F2 0F 1B /r	bndcn bnd, r/m64
 *
 * with optional legacy prefixes and REX, and the address they check: the
 * register operand's value, or the memory operand's effective address
 * (ModRM/SIB/displacement, RIP-relative, 0x67 for 32-bit addressing),
 * which the instruction computes without accessing memory.
 *
 * Runs in the #BR die notifier with interrupts off: the instruction bytes
 * are fetched with copy_from_user_nofault() and anything unexpected makes
 * it give up, leaving the trap to the kernel's default handling.
 */
#include <linux/kernel.h>
#include <linux/ptrace.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>
#include <asm/insn.h>

#include "mpx_insn.h"

#define OPC_ESCAPE	0x0f
#define OPC_BNDCL_CU	0x1a
#define OPC_BNDCN	0x1b
#define PFX_REPNE	0xf2	/* bndcu, bndcn */
#define PFX_REP		0xf3	/* bndcl */
#define PFX_ADDR32	0x67
#define REX_MASK	0xf0
#define REX_BASE	0x40
#define REX_R		0x4
#define REX_X		0x2
#define REX_B		0x1
#define MODRM_MOD(m)	((m) >> 6)
#define MODRM_REG(m)	(((m) >> 3) & 7)
#define MODRM_RM(m)	((m) & 7)
#define MOD_NO_DISP	0
#define MOD_DISP8	1
#define MOD_DISP32	2
#define MOD_REG		3
#define RM_SIB		4
#define RM_RIP		5	/* with MOD_NO_DISP */
#define SIB_NO_INDEX	4
#define SIB_NO_BASE	5	/* with MOD_NO_DISP */
#define SIB_SCALE(s)	((s) >> 6)

/* pt_regs offsets by register number (rax, rcx, ..., r15). */
static const unsigned short mpx_reg_off[] = {
	offsetof(struct pt_regs, ax), offsetof(struct pt_regs, cx),
	offsetof(struct pt_regs, dx), offsetof(struct pt_regs, bx),
	offsetof(struct pt_regs, sp), offsetof(struct pt_regs, bp),
	offsetof(struct pt_regs, si), offsetof(struct pt_regs, di),
	offsetof(struct pt_regs, r8), offsetof(struct pt_regs, r9),
	offsetof(struct pt_regs, r10), offsetof(struct pt_regs, r11),
	offsetof(struct pt_regs, r12), offsetof(struct pt_regs, r13),
	offsetof(struct pt_regs, r14), offsetof(struct pt_regs, r15),
};

static unsigned long mpx_reg(struct pt_regs *regs, unsigned int nr)
{
	return regs_get_register(regs, mpx_reg_off[nr & 15]);
}

/* The instruction bytes, and how many of them were consumed. */
struct mpx_cursor {
	u8 buf[MAX_INSN_SIZE];
	int len;
	int pos;
};

/* Fetch up to MAX_INSN_SIZE bytes at @ip, fewer at the end of a mapping. */
static int mpx_fetch(struct mpx_cursor *c, unsigned long ip)
{
	const void __user *uip = (const void __user *)ip;
	size_t n = PAGE_SIZE - offset_in_page(ip);

	c->pos = 0;
	c->len = MAX_INSN_SIZE;
	if (!copy_from_user_nofault(c->buf, uip, MAX_INSN_SIZE))
		return 0;
	if (n >= MAX_INSN_SIZE || copy_from_user_nofault(c->buf, uip, n))
		return -EFAULT;
	c->len = n;
	return 0;
}

static int mpx_next(struct mpx_cursor *c)
{
	return c->pos < c->len ? c->buf[c->pos++] : -1;
}

static int mpx_disp(struct mpx_cursor *c, int bytes, long *disp)
{
	u32 v = 0;
	int k, b;

	for (k = 0; k < bytes; k++) {
		b = mpx_next(c);
		if (b < 0)
			return -EINVAL;
		v |= (u32)b << (8 * k);
	}
	*disp = bytes == 1 ? (long)(s8)v : (long)(s32)v;
	return 0;
}

static bool mpx_ignored_prefix(int b)
{
	switch (b) {
	case 0x66:			/* operand size */
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
		return true;		/* segment overrides */
	default:
		return false;
	}
}

/* Prefixes, REX and the opcode; the ModRM byte, or -EINVAL. */
static int mpx_decode_opcode(struct mpx_cursor *c, int *rex, bool *addr32)
{
	int b, op, rep = 0;

	for (;;) {
		b = mpx_next(c);
		if (b == PFX_REP || b == PFX_REPNE)
			rep = b;
		else if (b == PFX_ADDR32)
			*addr32 = true;
		else if (!mpx_ignored_prefix(b))
			break;
	}
	if (b >= 0 && (b & REX_MASK) == REX_BASE) {
		*rex = b;
		b = mpx_next(c);
	}
	if (b != OPC_ESCAPE)
		return -EINVAL;
	op = mpx_next(c);
	if (!(op == OPC_BNDCL_CU && (rep == PFX_REP || rep == PFX_REPNE)) &&
	    !(op == OPC_BNDCN && rep == PFX_REPNE))
		return -EINVAL;
	b = mpx_next(c);
	return b < 0 ? -EINVAL : b;
}

/* The effective address of a memory operand (mod != 3). */
static int mpx_decode_ea(struct mpx_cursor *c, struct pt_regs *regs,
			 int modrm, int rex, unsigned long *ea)
{
	int mod = MODRM_MOD(modrm), rm = MODRM_RM(modrm);
	long disp = 0;
	int sib;

	*ea = 0;
	if (rm == RM_SIB) {
		unsigned int index, base;

		sib = mpx_next(c);
		if (sib < 0)
			return -EINVAL;
		index = MODRM_REG(sib) | (rex & REX_X ? 8 : 0);
		base = MODRM_RM(sib) | (rex & REX_B ? 8 : 0);
		if (index != SIB_NO_INDEX)
			*ea += mpx_reg(regs, index) << SIB_SCALE(sib);
		if (mod == MOD_NO_DISP && MODRM_RM(sib) == SIB_NO_BASE) {
			if (mpx_disp(c, 4, &disp))
				return -EINVAL;
		} else {
			*ea += mpx_reg(regs, base);
		}
	} else if (mod == MOD_NO_DISP && rm == RM_RIP) {
		if (mpx_disp(c, 4, &disp))
			return -EINVAL;
		/* bndc* has no immediate: the instruction ends here. */
		*ea = regs->ip + c->pos;
	} else {
		*ea = mpx_reg(regs, rm | (rex & REX_B ? 8 : 0));
	}
	if (mod == MOD_DISP8 && mpx_disp(c, 1, &disp))
		return -EINVAL;
	if (mod == MOD_DISP32 && mpx_disp(c, 4, &disp))
		return -EINVAL;
	*ea += disp;
	return 0;
}

/**
 * mpx_decode_bndck() - the bound register and address a #BR checked
 * @regs: user registers at the trap; regs->ip points at the instruction
 * @out: set to the register number and the checked address
 *
 * Return: 0, or -EINVAL when the instruction is not bndcl/bndcu/bndcn (or
 * cannot be read).
 */
int mpx_decode_bndck(struct pt_regs *regs, struct mpx_bndck *out)
{
	struct mpx_cursor c;
	bool addr32 = false;
	unsigned long ea;
	int modrm, rex = 0;

	if (mpx_fetch(&c, regs->ip))
		return -EINVAL;
	modrm = mpx_decode_opcode(&c, &rex, &addr32);
	if (modrm < 0 || rex & REX_R || MODRM_REG(modrm) >= MPX_NR_BND)
		return -EINVAL;
	out->bnd = MODRM_REG(modrm);

	if (MODRM_MOD(modrm) == MOD_REG) {
		out->addr = mpx_reg(regs, MODRM_RM(modrm) | (rex & REX_B ? 8 : 0));
		return 0;
	}
	if (mpx_decode_ea(&c, regs, modrm, rex, &ea))
		return -EINVAL;
	out->addr = addr32 ? (u32)ea : ea;
	return 0;
}
