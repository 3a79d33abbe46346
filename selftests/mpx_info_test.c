// SPDX-License-Identifier: GPL-2.0
/*
 * mpx_info_test - the device node and MPX_IOC_INFO.
 *
 * The VM harness sets MPX_EXPECT_HW to 1 when the guest CPU model has MPX
 * (-cpu max) and to 0 when it has not (-cpu max,-mpx); the test compares
 * INFO.hw with that and with /proc/cpuinfo.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libmpx.h"

#define MISC_MAJOR	10

/* 1 if /proc/cpuinfo lists the "mpx" flag, 0 if not, -1 if unreadable. */
static int cpuinfo_has_mpx(void)
{
	char line[4096];
	int found = 0;
	FILE *f;

	f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "flags", 5) && strstr(line, " mpx")) {
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

TEST(device_node)
{
	struct stat st;

	ASSERT_EQ(0, stat(LIBMPX_DEVICE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(MISC_MAJOR, major(st.st_rdev));
	EXPECT_EQ(0666, st.st_mode & 07777);
}

TEST(info_values)
{
	const char *expect = getenv("MPX_EXPECT_HW");
	struct mpx_info info;
	int cpu;

	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(0, mpx_info(&info));
	EXPECT_EQ(MPX_ABI_VERSION, info.version);
	EXPECT_GE(info.max_keys, 1);
	cpu = cpuinfo_has_mpx();
	ASSERT_GE(cpu, 0);
	EXPECT_EQ((unsigned int)cpu, info.hw);
	if (!expect)
		SKIP(return, "MPX_EXPECT_HW not set: not run by the VM harness");
	EXPECT_EQ((unsigned int)atoi(expect), info.hw);
	/* The harness loads the module without force_sw: MPX means hw mode. */
	if (info.hw)
		EXPECT_EQ(MPX_MODE_HW, info.mode)
			TH_LOG("the CPU has MPX, but the module is in software mode");
	if (info.mode == MPX_MODE_HW) {
		EXPECT_EQ(1, info.hw);
		EXPECT_EQ(MPX_NR_BND, info.nr_bnd);
	} else {
		EXPECT_EQ(MPX_MODE_SW, info.mode);
		EXPECT_EQ(0, info.nr_bnd);
	}
}

TEST(info_reserved_zero)
{
	struct mpx_info info;
	size_t i;

	memset(&info, 0xff, sizeof(info));
	ASSERT_EQ(0, mpx_info(&info));
	for (i = 0; i < ARRAY_SIZE(info.reserved); i++)
		EXPECT_EQ(0, info.reserved[i]);
}

TEST(info_bad_pointer)
{
	void *ro;
	int fd = mpx_fd();

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, MPX_IOC_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
	ro = mmap(NULL, getpagesize(), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-1, ioctl(fd, MPX_IOC_INFO, ro));
	EXPECT_EQ(EFAULT, errno);
	munmap(ro, getpagesize());
}

TEST(unknown_ioctl)
{
	struct mpx_info info;
	int fd = mpx_fd();

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, _IOR(MPX_IOC_MAGIC, 0x7f, struct mpx_info),
			    &info));
	EXPECT_EQ(ENOTTY, errno);
	/* Right number, wrong size or direction: a different command. */
	EXPECT_EQ(-1, ioctl(fd, _IOW(MPX_IOC_MAGIC, 0x02, struct mpx_info),
			    &info));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(fd, _IO(MPX_IOC_MAGIC, 0x01)));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_HARNESS_MAIN
