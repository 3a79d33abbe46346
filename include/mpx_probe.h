/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mpx_probe.c: the tracepoints, the kprobe/kretprobe pair on the sys_mpx()
 * stand-in and the pkey syscall probes. The bottom layer: it calls no other
 * file of the module; the stand-in it probes is handed to it at init.
 */
#ifndef _MPX_PROBE_H
#define _MPX_PROBE_H

#include <linux/types.h>

/* The signature of mpx_syscall(), the function the pair probes. */
typedef long (*mpx_entry_fn)(unsigned long addr, int len, unsigned int key,
			     int op);

void mpx_probe_init(mpx_entry_fn entry);
void mpx_probe_exit(void);
unsigned long mpx_probe_stats(bool *armed, bool *pkey_armed);

/* Tracepoint reg/unreg callbacks (see mpx_trace.h). */
int mpx_event_reg(void);
void mpx_event_unreg(void);
int mpx_probe_reg(void);
void mpx_probe_unreg(void);
int mpx_pkey_probe_reg(void);
void mpx_pkey_probe_unreg(void);

#endif /* _MPX_PROBE_H */
