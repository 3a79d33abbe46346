/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmpx - the mpx() call for user programs
 *
 *	int mpx(void *addr, int len, unsigned int key, int op);
 *
 * Returns what the operation returns (>= 0), or -1 with errno set. The
 * first call opens /dev/mpx (O_CLOEXEC) once for the whole process; the
 * functions are thread-safe. Operations and errors: <linux/mpx.h>.
 */
#ifndef LIBMPX_H
#define LIBMPX_H

#include <linux/mpx.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The device node mpx() opens; MPX_DEVICE in the environment overrides. */
#define LIBMPX_DEVICE	"/dev/mpx"

int mpx(void *addr, int len, unsigned int key, int op);

/* Fill *info from MPX_IOC_INFO; 0, or -1 with errno set. */
int mpx_info(struct mpx_info *info);

/* The descriptor mpx() uses, or -1 with errno set if /dev/mpx can't open. */
int mpx_fd(void);

#ifdef __cplusplus
}
#endif

#endif /* LIBMPX_H */
