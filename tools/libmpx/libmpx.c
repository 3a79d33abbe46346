// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmpx - the mpx() call, one MPX_IOC_CALL ioctl on /dev/mpx.
 */
#define _GNU_SOURCE		/* secure_getenv */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "libmpx.h"

static pthread_once_t mpx_once = PTHREAD_ONCE_INIT;
static int mpx_dev_fd = -1;
static int mpx_dev_errno;

static void mpx_open(void)
{
	/* Not from the environment of a set-user-ID program. */
	const char *path = secure_getenv("MPX_DEVICE");

	mpx_dev_fd = open(path ? path : LIBMPX_DEVICE, O_RDWR | O_CLOEXEC);
	if (mpx_dev_fd < 0)
		mpx_dev_errno = errno;
}

int mpx_fd(void)
{
	pthread_once(&mpx_once, mpx_open);
	if (mpx_dev_fd < 0)
		errno = mpx_dev_errno;
	return mpx_dev_fd;
}

int mpx(void *addr, int len, unsigned int key, int op)
{
	struct mpx_args args = {
		.addr = (uintptr_t)addr,
		.len = len,
		.key = key,
		.op = op,
	};
	int fd = mpx_fd();

	if (fd < 0)
		return -1;
	return ioctl(fd, MPX_IOC_CALL, &args);
}

int mpx_info(struct mpx_info *info)
{
	int fd = mpx_fd();

	if (fd < 0)
		return -1;
	return ioctl(fd, MPX_IOC_INFO, info);
}
