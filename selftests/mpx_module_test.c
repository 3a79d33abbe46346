// SPDX-License-Identifier: GPL-2.0
/*
 * mpx_module_test - loading and unloading the module.
 *
 * Needs the module file in MPX_KO (the VM harness sets it) and leaves the
 * module loaded when it ends, as it found it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libmpx.h"

#define LOAD_CYCLES	100

static int load(void)
{
	const char *ko = getenv("MPX_KO");
	int fd, ret;

	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return ret;
}

static int unload(void)
{
	return syscall(SYS_delete_module, "mpx", O_NONBLOCK);
}

TEST(unload_refused_while_open)
{
	int fd;

	if (!getenv("MPX_KO"))
		SKIP(return, "MPX_KO not set: not run by the VM harness");
	fd = open(LIBMPX_DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, unload());
	EXPECT_EQ(EWOULDBLOCK, errno);
	close(fd);
	ASSERT_EQ(0, unload());
	EXPECT_EQ(-1, access(LIBMPX_DEVICE, F_OK));
	ASSERT_EQ(0, load());
	EXPECT_EQ(0, access(LIBMPX_DEVICE, F_OK));
}

TEST(load_unload_cycles)
{
	struct mpx_info info;
	int i, fd;

	if (!getenv("MPX_KO"))
		SKIP(return, "MPX_KO not set: not run by the VM harness");
	for (i = 0; i < LOAD_CYCLES; i++) {
		ASSERT_EQ(0, unload()) TH_LOG("unload %d: %m", i);
		ASSERT_EQ(0, load()) TH_LOG("load %d: %m", i);
		fd = open(LIBMPX_DEVICE, O_RDWR);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ioctl(fd, MPX_IOC_INFO, &info));
		ASSERT_EQ(MPX_ABI_VERSION, info.version);
		close(fd);
	}
}

TEST_HARNESS_MAIN
