/* SPDX-License-Identifier: GPL-2.0 */
/* mpx_remote.c: enabled regions refuse other address spaces. */
#ifndef _MPX_REMOTE_H
#define _MPX_REMOTE_H

#include <linux/seq_file.h>

int mpx_remote_get(void);
void mpx_remote_put(void);
void mpx_remote_show(struct seq_file *m);
void mpx_remote_exit(void);

#endif /* _MPX_REMOTE_H */
