// SPDX-License-Identifier: GPL-2.0
/*
 * mpx_module_test - loading and unloading the module.
 *
 * Needs the module file in MPX_KO (the VM harness sets it) and leaves the
 * module loaded when it ends, as it found it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libmpx.h"
#include "mpx_bnd.h"
#include "mpx_sysfs.h"

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
	/* The harness gives a test 30 s: fewer cycles on a slow kernel. */
	for (i = 0; i < LOAD_CYCLES / mpx_slow(); i++) {
		ASSERT_EQ(0, unload()) TH_LOG("unload %d: %m", i);
		ASSERT_EQ(0, load()) TH_LOG("load %d: %m", i);
		fd = open(LIBMPX_DEVICE, O_RDWR);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ioctl(fd, MPX_IOC_INFO, &info));
		ASSERT_EQ(MPX_ABI_VERSION, info.version);
		close(fd);
	}
}

/*
 * Unload leaves a thread's loaded registers alone: bounds checks go on,
 * and a violation now gets the kernel's default #BR handling.
 */
TEST(unload_with_live_registers)
{
	long page = getpagesize();
	int key, fd;
	char *p;

	if (!getenv("MPX_KO"))
		SKIP(return, "MPX_KO not set: not run by the VM harness");
	REQUIRE_HW();
	p = mmap(NULL, page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	fd = mpx_fd();
	key = mpx(p, page, 0, MPX_OP_CREATE);
	ASSERT_LT(0, key);
	ASSERT_EQ(0, mpx(NULL, 0, key, MPX_OP_ENABLE));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, unload());

	catch_segv();
	bndcu(0, (unsigned long)p + page - 1);
	EXPECT_EQ(0, trap_count);
	bndcu(0, (unsigned long)p + page);
	EXPECT_EQ(1, trap_count);
	EXPECT_EQ(SI_KERNEL, trap_info.si_code);
	ASSERT_EQ(0, load());
}

TEST_HARNESS_MAIN
