// SPDX-License-Identifier: GPL-2.0
/*
 * mpx_keys_test - the key table of /dev/mpx, through libmpx and raw ioctls.
 *
 * Covers, for 64-bit callers and (built with -m32) compat_ioctl callers:
 *  - the ABI layout (static asserts) and what MPX_IOC_INFO reports;
 *  - every operation's success path: CREATE, SET, GET (status word and
 *    struct mpx_key_info), ENABLE, DISABLE (both idempotent), FREE, CHECK;
 *  - every errno of the ABI, each provoked by a real call, and the order in
 *    which they are reported (EFAULT, EINVAL, ENOENT, then the op's own);
 *  - ownership: keys belong to the address space, so threads share them and
 *    neither a forked child nor an exec'd image (the helper mpx_worker,
 *    even through an inherited descriptor) sees or changes them;
 *  - reclaim: the module-wide counts in debugfs mpx/state return to their
 *    starting value after SIGKILL, exit, exec and 100000 create/free cycles;
 *  - a short stress run of random operations from several threads and
 *    processes, where every return must be success or an errno valid there.
 *
 * Nothing assumes the mode: tests read MPX_IOC_INFO and expect the hardware
 * behaviour (bound registers, MPX_STATUS_HW) only when it reports
 * MPX_MODE_HW. Each test runs in its own process (the harness forks), so
 * every test starts with an empty key table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libmpx.h"
#include "mpx_sysfs.h"
#include "mpx_uspace.h"
#include "mpx_worker.h"

/* The ABI is one layout for 32- and 64-bit callers (compat_ioctl). */
#define ABI_OFFSET(type, field, off)					\
	_Static_assert(offsetof(struct type, field) == (off),		\
		       #type "." #field " is not at offset " #off)
_Static_assert(sizeof(struct mpx_args) == 24, "mpx_args is not 24 bytes");
ABI_OFFSET(mpx_args, addr, 0);
ABI_OFFSET(mpx_args, len, 8);
ABI_OFFSET(mpx_args, key, 12);
ABI_OFFSET(mpx_args, op, 16);
ABI_OFFSET(mpx_args, flags, 20);
_Static_assert(sizeof(struct mpx_key_info) == 24,
	       "mpx_key_info is not 24 bytes");
ABI_OFFSET(mpx_key_info, key, 0);
ABI_OFFSET(mpx_key_info, status, 4);
ABI_OFFSET(mpx_key_info, addr, 8);
ABI_OFFSET(mpx_key_info, len, 16);
ABI_OFFSET(mpx_key_info, bnd, 20);
_Static_assert(sizeof(struct mpx_info) == 64, "mpx_info is not 64 bytes");
ABI_OFFSET(mpx_info, version, 0);
ABI_OFFSET(mpx_info, hw, 4);
ABI_OFFSET(mpx_info, mode, 8);
ABI_OFFSET(mpx_info, nr_bnd, 12);
ABI_OFFSET(mpx_info, max_keys, 16);
ABI_OFFSET(mpx_info, reserved, 20);
_Static_assert(_IOC_SIZE(MPX_IOC_CALL) == sizeof(struct mpx_args),
	       "MPX_IOC_CALL encodes the wrong size");
_Static_assert(_IOC_SIZE(MPX_IOC_INFO) == sizeof(struct mpx_info),
	       "MPX_IOC_INFO encodes the wrong size");

#define KEYS_PAGES		4	/* the fixture's read-write area */
#define LEAK_KEYS		10	/* keys a reclaim test's child holds */
#define CYCLES			100000	/* create/free cycles of one test */
#define STRESS_SECONDS		2
#define STRESS_THREADS		4	/* per process */
#define STRESS_PROCS		2	/* forked besides the test process */
#define STRESS_SLOTS		16	/* shared key pool of one process */

static const char *const op_names[] = {
	[MPX_OP_CREATE] = "CREATE",	[MPX_OP_SET] = "SET",
	[MPX_OP_GET] = "GET",		[MPX_OP_ENABLE] = "ENABLE",
	[MPX_OP_DISABLE] = "DISABLE",	[MPX_OP_FREE] = "FREE",
	[MPX_OP_CHECK] = "CHECK",	[MPX_OP_ENABLE_HW] = "ENABLE_HW",
};

static const char *op_name(int op)
{
	if (op < 0 || op >= (int)ARRAY_SIZE(op_names) || !op_names[op])
		return "op?";
	return op_names[op];
}

static __u64 ptr_u64(const void *p)
{
	return (uintptr_t)p;
}

static size_t page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* @n fresh anonymous pages with protection @prot, or NULL. */
static char *map_pages(size_t n, int prot)
{
	void *p = mmap(NULL, n * page_size(), prot,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* A user address with @n pages that are not mapped, or NULL. */
static char *unmapped_pages(size_t n)
{
	char *p = map_pages(n, PROT_NONE);

	if (p && munmap(p, n * page_size()))
		return NULL;
	return p;
}

/* One MPX_IOC_CALL on @fd with exactly these arguments. */
static int raw_call_fd(int fd, __u64 addr, int len, unsigned int key, int op,
		       unsigned int flags)
{
	struct mpx_args args = {
		.addr = addr,
		.len = len,
		.key = key,
		.op = op,
		.flags = flags,
	};

	return ioctl(fd, MPX_IOC_CALL, &args);
}

/* raw_call_fd() on libmpx's descriptor: for what mpx() cannot express. */
static int raw_call(__u64 addr, int len, unsigned int key, int op,
		    unsigned int flags)
{
	return raw_call_fd(mpx_fd(), addr, len, key, op, flags);
}

/* The first address above the user address space (mpx_uspace.h). */
static __u64 beyond_user_space(void)
{
	return mpx_user_space_end(page_size());
}

/* CPUID.7.0:EBX[14] (MPX) and XCR0 enabling BNDREGS and BNDCSR. */
#if !defined(__x86_64__) && !defined(__i386)
static bool cpu_has_mpx(void)
{
	return false;
}
#else
static bool cpu_has_mpx(void)
{
	unsigned int eax, ebx, ecx, edx, xcr0_lo, xcr0_hi;

	__cpuid_count(0, 0, eax, ebx, ecx, edx);
	if (eax < 7)
		return false;
	__cpuid_count(7, 0, eax, ebx, ecx, edx);
	if (!(ebx & (1U << 14)))
		return false;
	__cpuid_count(1, 0, eax, ebx, ecx, edx);
	if (!(ecx & (1U << 27)))	/* OSXSAVE: XGETBV is usable */
		return false;
	asm volatile("xgetbv" : "=a" (xcr0_lo), "=d" (xcr0_hi) : "c" (0));
	(void)xcr0_hi;
	return (xcr0_lo & 0x18) == 0x18;
}
#endif

/* Read the counts into @st, or skip the test when debugfs lacks them. */
#define STATE_OR_SKIP(st) do {						\
	int __ret = read_state(st);					\
									\
	if (__ret && __ret != -EPROTO)					\
		SKIP(return, "%s: %s", STATE_FILE, strerror(-__ret)); \
	ASSERT_EQ(0, __ret) TH_LOG("%s: not \"keys N\\nmms N\"",	\
				   STATE_FILE);			\
} while (0)

/* @call must fail with errno @err. */
#define EXPECT_ERRNO(err, call) do {					\
	int __ret, __err;						\
									\
	errno = 0;							\
	__ret = (call);							\
	__err = errno;							\
	EXPECT_EQ(-1, __ret) TH_LOG("%s succeeded", #call);		\
	EXPECT_EQ(err, __err) TH_LOG("%s: %s, expected %s", #call,	\
				     strerror(__err), strerror(err));	\
} while (0)

/* Log where it happened if a check since @passed was saved failed. */
#define LOG_IF_FAILED(passed, fmt, ...) do {				\
	if ((passed) && !_metadata->passed)				\
		TH_LOG(fmt, ##__VA_ARGS__);				\
} while (0)

/* @call must return 0. */
#define ASSERT_OK(call) do {						\
	int __ret, __err;						\
									\
	errno = 0;							\
	__ret = (call);							\
	__err = errno;							\
	ASSERT_EQ(0, __ret) TH_LOG("%s: %s", #call, strerror(__err));	\
} while (0)

/*
 * One mpx() call and the result it should have: @want >= 0 is the exact
 * return value, -1 a failure with errno @want_err. do_call() fills in @ret
 * and @err; call_unexpected() reports a mismatch on stderr instead of
 * asserting, so forked children and threads can use them too.
 */
struct call {
	void *addr;
	int len;
	unsigned int key;
	int op;
	int want;
	int want_err;
	int ret;
	int err;
};

/* A struct call before do_call(): what to call, what it should return. */
#define CALL(addr, len, key, op, want, want_err)			\
	{ addr, len, key, op, want, want_err, 0, 0 }

static void do_call(struct call *c)
{
	errno = 0;
	c->ret = mpx(c->addr, c->len, c->key, c->op);
	c->err = c->ret < 0 ? errno : 0;
}

static int call_unexpected(const struct call *c)
{
	if (c->ret == c->want && (c->want != -1 || c->err == c->want_err))
		return 0;
	fprintf(stderr, "# %s(%p, %d, key %u): %d (%s), expected %d (%s)\n",
		op_name(c->op), c->addr, c->len, c->key, c->ret,
		c->ret == -1 ? strerror(c->err) : "ok", c->want,
		c->want == -1 ? strerror(c->want_err) : "ok");
	return 1;
}

/* Run @calls in order; the number of unexpected results. */
static int run_calls(struct call *calls, int n)
{
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		do_call(&calls[i]);
		bad += call_unexpected(&calls[i]);
	}
	return bad;
}

struct call_list {
	struct call *calls;
	int n;
};

static void *call_list_thread(void *arg)
{
	struct call_list *list = arg;
	int i;

	for (i = 0; i < list->n; i++)
		do_call(&list->calls[i]);
	return NULL;
}

/* Do @calls in a new thread of this process; 0 once it has finished. */
static int calls_in_thread(struct call *calls, int n)
{
	struct call_list list = { .calls = calls, .n = n };
	pthread_t thread;
	int ret;

	ret = pthread_create(&thread, NULL, call_list_thread, &list);
	return ret ? ret : pthread_join(thread, NULL);
}

/* Check the results of calls_in_thread() from the test's thread. */
static int calls_unexpected(const struct call *calls, int n)
{
	int i, bad = 0;

	for (i = 0; i < n; i++)
		bad += call_unexpected(&calls[i]);
	return bad;
}

/*
 * Every operation on @key, with otherwise valid arguments (@addr, @len a
 * mapped region), must fail with @err; the number that did not.
 */
static int key_ops_fail(unsigned int key, char *addr, int len, int err)
{
	struct mpx_key_info info;
	struct call calls[] = {
		CALL(NULL, 0, key, MPX_OP_GET, -1, err),
		CALL(&info, sizeof(info), key, MPX_OP_GET, -1, err),
		CALL(addr, len, key, MPX_OP_SET, -1, err),
		CALL(NULL, 0, key, MPX_OP_ENABLE, -1, err),
		CALL(NULL, 0, key, MPX_OP_ENABLE_HW, -1, err),
		CALL(NULL, 0, key, MPX_OP_DISABLE, -1, err),
		CALL(addr, len, key, MPX_OP_CHECK, -1, err),
		CALL(NULL, 0, key, MPX_OP_FREE, -1, err),
	};

	return run_calls(calls, ARRAY_SIZE(calls));
}

/* Fork a child that exits with @fn(@arg). */
static pid_t fork_child(int (*fn)(void *arg), void *arg)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

/* The exit status of child @pid, 128 + signal if killed, -1 on error. */
static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

static int run_child(int (*fn)(void *arg), void *arg)
{
	pid_t pid = fork_child(fn, arg);

	return pid < 0 ? -1 : wait_child(pid);
}

static bool hw_mode(const struct mpx_info *info)
{
	return info->mode == MPX_MODE_HW;
}

FIXTURE(keys) {
	struct mpx_info info;
	size_t page;
	char *buf;	/* KEYS_PAGES read-write pages */
	int len;	/* their size */
};

FIXTURE_SETUP(keys)
{
	ASSERT_LE(0, mpx_fd()) TH_LOG("open %s: %s", LIBMPX_DEVICE,
				      strerror(errno));
	ASSERT_EQ(0, mpx_info(&self->info)) TH_LOG("INFO: %s",
						   strerror(errno));
	self->page = page_size();
	self->len = KEYS_PAGES * self->page;
	self->buf = map_pages(KEYS_PAGES, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(self->buf != NULL);
}

FIXTURE_TEARDOWN(keys)
{
	if (self->buf)
		munmap(self->buf, self->len);
}

/* CREATE a key guarding [@addr, @addr + @len), which must succeed. */
static unsigned int create_key(struct __test_metadata *_metadata,
			       void *addr, int len)
{
	int key = mpx(addr, len, 0, MPX_OP_CREATE);

	ASSERT_LE(1, key) TH_LOG("CREATE(%p, %d): %s", addr, len,
				 strerror(errno));
	return key;
}

/* GET @key into *@info, which must succeed; returns the status word. */
static int get_info(struct __test_metadata *_metadata, unsigned int key,
		    struct mpx_key_info *info)
{
	int status;

	memset(info, 0x5a, sizeof(*info));
	status = mpx(info, sizeof(*info), key, MPX_OP_GET);
	ASSERT_LE(0, status) TH_LOG("GET key %u: %s", key, strerror(errno));
	ASSERT_EQ(key, info->key);
	ASSERT_EQ(status, (int)info->status);
	return status;
}

/* @key must guard [@addr, @addr + @len). */
static void assert_region(struct __test_metadata *_metadata,
			  unsigned int key, void *addr, int len)
{
	struct mpx_key_info info;

	get_info(_metadata, key, &info);
	ASSERT_EQ(ptr_u64(addr), info.addr);
	ASSERT_EQ(len, info.len);
}

/* GET must report @key enabled, and loaded in a register in hw mode. */
static void assert_enabled(struct __test_metadata *_metadata,
			   unsigned int key, const struct mpx_info *mi)
{
	struct mpx_key_info info;
	int status = get_info(_metadata, key, &info);

	ASSERT_TRUE(status & MPX_STATUS_ENABLED);
	if (hw_mode(mi)) {
		ASSERT_TRUE(status & MPX_STATUS_HW);
		ASSERT_EQ((int)MPX_STATUS_BND(status), info.bnd);
	} else {
		ASSERT_EQ((int)MPX_STATUS_ENABLED, status);
		ASSERT_EQ(-1, info.bnd);
	}
}

/* GET must report @key disabled and in no bound register. */
static void assert_disabled(struct __test_metadata *_metadata,
			    unsigned int key)
{
	struct mpx_key_info info;

	ASSERT_EQ(0, get_info(_metadata, key, &info));
	ASSERT_EQ(-1, info.bnd);
}

/* ---- MPX_IOC_INFO ---- */

TEST_F(keys, info_reports_abi_version)
{
	EXPECT_EQ(MPX_ABI_VERSION, self->info.version);
}

TEST_F(keys, info_mode_consistent)
{
	const struct mpx_info *mi = &self->info;

	ASSERT_TRUE(mi->mode == MPX_MODE_SW || mi->mode == MPX_MODE_HW)
		TH_LOG("mode %u", mi->mode);
	EXPECT_EQ(hw_mode(mi) ? MPX_NR_BND : 0, mi->nr_bnd);
	if (!mi->hw) {
		EXPECT_EQ(MPX_MODE_SW, mi->mode);
	}
	EXPECT_LE(1, mi->max_keys);
}

TEST_F(keys, info_hw_matches_cpuid)
{
	EXPECT_EQ(cpu_has_mpx(), self->info.hw);
}

TEST_F(keys, info_reserved_zero)
{
	struct mpx_info info;
	size_t i;

	memset(&info, 0xff, sizeof(info));
	ASSERT_OK(mpx_info(&info));
	for (i = 0; i < ARRAY_SIZE(info.reserved); i++) {
		EXPECT_EQ(0, info.reserved[i]) TH_LOG("reserved[%zu]", i);
	}
}

TEST_F(keys, efault_info_null)
{
	EXPECT_ERRNO(EFAULT, ioctl(mpx_fd(), MPX_IOC_INFO, NULL));
}

/* ---- success paths ---- */

TEST_F(keys, create_returns_key)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);

	assert_region(_metadata, key, self->buf, self->len);
}

TEST_F(keys, create_returns_distinct_keys)
{
	unsigned int a = create_key(_metadata, self->buf, self->len);
	unsigned int b = create_key(_metadata, self->buf, self->len);

	EXPECT_NE(a, b);
}

TEST_F(keys, create_prot_none_region)
{
	char *p = map_pages(2, PROT_NONE);

	ASSERT_TRUE(p != NULL);
	create_key(_metadata, p, 2 * self->page);
}

TEST_F(keys, create_spanning_several_vmas)
{
	ASSERT_OK(mprotect(self->buf + self->page, self->page, PROT_READ));
	create_key(_metadata, self->buf, self->len);
}

TEST_F(keys, get_status_of_new_key_is_zero)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);

	EXPECT_EQ(0, mpx(NULL, 0, key, MPX_OP_GET));
}

TEST_F(keys, get_fills_key_info)
{
	unsigned int key = create_key(_metadata, self->buf + 1, 100);
	struct mpx_key_info info;

	memset(&info, 0x5a, sizeof(info));
	EXPECT_EQ(0, mpx(&info, sizeof(info), key, MPX_OP_GET));
	EXPECT_EQ(key, info.key);
	EXPECT_EQ(0, info.status);
	EXPECT_EQ(ptr_u64(self->buf + 1), info.addr);
	EXPECT_EQ(100, info.len);
	EXPECT_EQ(-1, info.bnd);
}

TEST_F(keys, set_rebinds_region)
{
	char *a = self->buf, *b = self->buf + 2 * self->page;
	unsigned int key = create_key(_metadata, a, self->page);

	ASSERT_OK(mpx(b, 2 * self->page, key, MPX_OP_SET));
	assert_region(_metadata, key, b, 2 * self->page);
	EXPECT_EQ(0, mpx(b, 2 * self->page, key, MPX_OP_CHECK));
	EXPECT_ERRNO(ERANGE, mpx(a, 1, key, MPX_OP_CHECK));
}

TEST_F(keys, set_keeps_enabled_state)
{
	char *b = self->buf + 2 * self->page;
	unsigned int key = create_key(_metadata, self->buf, self->page);

	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_ENABLE));
	ASSERT_OK(mpx(b, self->page, key, MPX_OP_SET));
	assert_enabled(_metadata, key, &self->info);
	assert_region(_metadata, key, b, self->page);
}

TEST_F(keys, enable_sets_enabled_status)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);

	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_ENABLE));
	assert_enabled(_metadata, key, &self->info);
}

TEST_F(keys, enable_twice_succeeds)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);
	struct mpx_key_info once, twice;

	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_ENABLE));
	get_info(_metadata, key, &once);
	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_ENABLE));
	get_info(_metadata, key, &twice);
	EXPECT_EQ(0, memcmp(&once, &twice, sizeof(once)));
	assert_enabled(_metadata, key, &self->info);
}

TEST_F(keys, disable_clears_enabled_status)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);

	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_ENABLE));
	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_DISABLE));
	assert_disabled(_metadata, key);
}

TEST_F(keys, disable_twice_succeeds)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);

	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_DISABLE));	/* never enabled */
	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_ENABLE));
	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_DISABLE));
	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_DISABLE));
	assert_disabled(_metadata, key);
}

TEST_F(keys, free_removes_key)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);

	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_FREE));
	EXPECT_ERRNO(ENOENT, mpx(NULL, 0, key, MPX_OP_GET));
}

/* The key of the CHECK tests guards the second page of the area. */
TEST_F(keys, check_inside_region)
{
	char *start = self->buf + self->page;
	int len = self->page;
	unsigned int key = create_key(_metadata, start, len);

	EXPECT_EQ(0, mpx(start, len, key, MPX_OP_CHECK));
	EXPECT_EQ(0, mpx(start, 1, key, MPX_OP_CHECK));
	EXPECT_EQ(0, mpx(start + len - 1, 1, key, MPX_OP_CHECK));
	EXPECT_EQ(0, mpx(start + 100, 200, key, MPX_OP_CHECK));
}

TEST_F(keys, check_byte_before_region_erange)
{
	char *start = self->buf + self->page;
	unsigned int key = create_key(_metadata, start, self->page);

	EXPECT_ERRNO(ERANGE, mpx(start - 1, 1, key, MPX_OP_CHECK));
}

TEST_F(keys, check_byte_past_end_erange)
{
	char *start = self->buf + self->page;
	unsigned int key = create_key(_metadata, start, self->page);

	EXPECT_ERRNO(ERANGE, mpx(start + self->page, 1, key, MPX_OP_CHECK));
}

TEST_F(keys, check_straddling_erange)
{
	char *start = self->buf + self->page;
	int len = self->page;
	unsigned int key = create_key(_metadata, start, len);

	EXPECT_ERRNO(ERANGE, mpx(start - 1, 2, key, MPX_OP_CHECK));
	EXPECT_ERRNO(ERANGE, mpx(start + len - 1, 2, key, MPX_OP_CHECK));
	EXPECT_ERRNO(ERANGE, mpx(start - 1, len + 2, key, MPX_OP_CHECK));
}

TEST_F(keys, check_ignores_enabled_state)
{
	char *start = self->buf + self->page;
	int len = self->page;
	unsigned int key = create_key(_metadata, start, len);
	int pass;

	for (pass = 0; pass < 3; pass++) {	/* created, enabled, disabled */
		EXPECT_EQ(0, mpx(start, len, key, MPX_OP_CHECK))
			TH_LOG("pass %d", pass);
		EXPECT_ERRNO(ERANGE, mpx(start + len, 1, key, MPX_OP_CHECK));
		ASSERT_OK(mpx(NULL, 0, key, pass ? MPX_OP_DISABLE :
						   MPX_OP_ENABLE));
	}
}

/* ---- EINVAL ---- */

TEST_F(keys, einval_unknown_op)
{
	static const int ops[] = { 0, 9, -1, 1000, INT_MIN, INT_MAX };
	unsigned int key = create_key(_metadata, self->buf, self->len);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		int passed = _metadata->passed;

		EXPECT_ERRNO(EINVAL, mpx(self->buf, self->len, key, ops[i]));
		LOG_IF_FAILED(passed, "with op %d", ops[i]);
	}
}

TEST_F(keys, einval_nonzero_flags)
{
	static const unsigned int flags[] = { 1, 2, 0x80000000 };
	unsigned int key = create_key(_metadata, self->buf, self->len);
	__u64 buf = ptr_u64(self->buf);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		int passed = _metadata->passed;

		EXPECT_ERRNO(EINVAL, raw_call(buf, self->len, 0,
					      MPX_OP_CREATE, flags[i]));
		EXPECT_ERRNO(EINVAL, raw_call(0, 0, key, MPX_OP_GET,
					      flags[i]));
		EXPECT_ERRNO(EINVAL, raw_call(0, 0, key, MPX_OP_FREE,
					      flags[i]));
		LOG_IF_FAILED(passed, "with flags %#x", flags[i]);
	}
	assert_region(_metadata, key, self->buf, self->len); /* not freed */
}

TEST_F(keys, einval_len_not_positive)
{
	static const int lens[] = { 0, -1, INT_MIN };
	unsigned int key = create_key(_metadata, self->buf, self->len);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		int passed = _metadata->passed;

		EXPECT_ERRNO(EINVAL, mpx(self->buf, lens[i], 0, MPX_OP_CREATE));
		EXPECT_ERRNO(EINVAL, mpx(self->buf, lens[i], key, MPX_OP_SET));
		EXPECT_ERRNO(EINVAL, mpx(self->buf, lens[i], key,
					 MPX_OP_CHECK));
		LOG_IF_FAILED(passed, "with len %d", lens[i]);
	}
	assert_region(_metadata, key, self->buf, self->len);
}

/* CREATE, SET and CHECK of [addr, addr + len) must all fail with EINVAL. */
static void expect_region_einval(struct __test_metadata *_metadata,
				 unsigned int key, __u64 addr, int len)
{
	int passed = _metadata->passed;

	EXPECT_ERRNO(EINVAL, raw_call(addr, len, 0, MPX_OP_CREATE, 0));
	EXPECT_ERRNO(EINVAL, raw_call(addr, len, key, MPX_OP_SET, 0));
	EXPECT_ERRNO(EINVAL, raw_call(addr, len, key, MPX_OP_CHECK, 0));
	LOG_IF_FAILED(passed, "with addr %#llx, len %d",
		      (unsigned long long)addr, len);
}

TEST_F(keys, einval_addr_len_overflow)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);

	expect_region_einval(_metadata, key, ~0ULL - 10, 100);
	expect_region_einval(_metadata, key, ~0ULL, 1);
	expect_region_einval(_metadata, key, ~0ULL - INT_MAX + 2, INT_MAX);
}

TEST_F(keys, einval_kernel_address)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);

	expect_region_einval(_metadata, key, 0xffff888000000000ULL, 1);
	expect_region_einval(_metadata, key, 0xffff888000000000ULL,
			     self->page);
	expect_region_einval(_metadata, key, 0xffffffffff600000ULL, 1);
}

TEST_F(keys, einval_addr_beyond_user_space)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);
	__u64 end = beyond_user_space();

	expect_region_einval(_metadata, key, end, 1);
	expect_region_einval(_metadata, key, end - 1, 2);  /* straddles */
	expect_region_einval(_metadata, key, end + self->page, self->page);
}

TEST_F(keys, einval_create_nonzero_key)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);

	EXPECT_ERRNO(EINVAL, mpx(self->buf, self->len, 1, MPX_OP_CREATE));
	EXPECT_ERRNO(EINVAL, mpx(self->buf, self->len, key, MPX_OP_CREATE));
	EXPECT_ERRNO(EINVAL, mpx(self->buf, self->len, ~0U, MPX_OP_CREATE));
}

TEST_F(keys, einval_unused_addr_len)
{
	static const int ops[] = { MPX_OP_ENABLE, MPX_OP_ENABLE_HW,
				   MPX_OP_DISABLE, MPX_OP_FREE };
	unsigned int key = create_key(_metadata, self->buf, self->len);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		int passed = _metadata->passed;

		EXPECT_ERRNO(EINVAL, mpx(self->buf, 0, key, ops[i]));
		EXPECT_ERRNO(EINVAL, mpx(NULL, 1, key, ops[i]));
		EXPECT_ERRNO(EINVAL, mpx(NULL, -1, key, ops[i]));
		EXPECT_ERRNO(EINVAL, mpx(self->buf, self->len, key, ops[i]));
		LOG_IF_FAILED(passed, "with op %s", op_name(ops[i]));
	}
	assert_disabled(_metadata, key);	/* neither enabled nor freed */
	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_ENABLE));
	EXPECT_ERRNO(EINVAL, mpx(self->buf, 0, key, MPX_OP_DISABLE));
	assert_enabled(_metadata, key, &self->info);
}

TEST_F(keys, einval_get_buffer_wrong_len)
{
	static const int lens[] = { 0, sizeof(struct mpx_key_info) - 1,
				    sizeof(struct mpx_key_info) + 1, 8, -1,
				    INT_MAX };
	unsigned int key = create_key(_metadata, self->buf, self->len);
	struct mpx_key_info info, pattern;
	size_t i;

	memset(&pattern, 0xa5, sizeof(pattern));
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		int passed = _metadata->passed;

		info = pattern;
		EXPECT_ERRNO(EINVAL, mpx(&info, lens[i], key, MPX_OP_GET));
		EXPECT_EQ(0, memcmp(&info, &pattern, sizeof(info)))
			TH_LOG("the buffer was written");
		LOG_IF_FAILED(passed, "with len %d", lens[i]);
	}
}

TEST_F(keys, einval_get_len_without_buffer)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);

	EXPECT_ERRNO(EINVAL, mpx(NULL, 1, key, MPX_OP_GET));
	EXPECT_ERRNO(EINVAL, mpx(NULL, sizeof(struct mpx_key_info), key,
				 MPX_OP_GET));
	EXPECT_ERRNO(EINVAL, mpx(NULL, -1, key, MPX_OP_GET));
}

TEST_F(keys, einval_get_buffer_outside_user_space)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);
	int len = sizeof(struct mpx_key_info);

	EXPECT_ERRNO(EINVAL, raw_call(0xffff888000000000ULL, len, key,
				      MPX_OP_GET, 0));
	EXPECT_ERRNO(EINVAL, raw_call(~0ULL - 10, len, key, MPX_OP_GET, 0));
	EXPECT_ERRNO(EINVAL, raw_call(beyond_user_space(), len, key,
				      MPX_OP_GET, 0));
}

/* ---- the order of the checks ---- */

TEST_F(keys, order_einval_before_enoent)
{
	struct mpx_key_info info;

	create_key(_metadata, self->buf, self->len);
	EXPECT_ERRNO(EINVAL, mpx(NULL, 1, 0, MPX_OP_FREE));
	EXPECT_ERRNO(EINVAL, mpx(self->buf, 0, 123456, MPX_OP_ENABLE));
	EXPECT_ERRNO(EINVAL, mpx(self->buf, 0, 0, MPX_OP_DISABLE));
	EXPECT_ERRNO(EINVAL, mpx(&info, 1, 0, MPX_OP_GET));
	EXPECT_ERRNO(EINVAL, mpx(self->buf, 0, 0, MPX_OP_SET));
	EXPECT_ERRNO(EINVAL, mpx(self->buf, -1, 123456, MPX_OP_CHECK));
	EXPECT_ERRNO(EINVAL, mpx(self->buf, self->len, 0, 9));
	EXPECT_ERRNO(EINVAL, raw_call(0, 0, 0, MPX_OP_GET, 1));
}

TEST_F(keys, order_einval_before_enomem)
{
	char *hole = unmapped_pages(1);

	ASSERT_TRUE(hole != NULL);
	EXPECT_ERRNO(EINVAL, mpx(hole, self->page, 1, MPX_OP_CREATE));
	EXPECT_ERRNO(EINVAL, raw_call(ptr_u64(hole), self->page, 0,
				      MPX_OP_CREATE, 1));
}

TEST_F(keys, order_enoent_before_op_errors)
{
	char *ro = map_pages(1, PROT_READ);
	char *hole = unmapped_pages(1);
	unsigned int key = 123456;

	ASSERT_TRUE(ro != NULL);
	ASSERT_TRUE(hole != NULL);
	create_key(_metadata, self->buf, self->len);
	EXPECT_ERRNO(ENOENT, mpx(hole, self->page, key, MPX_OP_SET));
	EXPECT_ERRNO(ENOENT, mpx(ro, sizeof(struct mpx_key_info), key,
				 MPX_OP_GET));
	EXPECT_ERRNO(ENOENT, mpx(hole, sizeof(struct mpx_key_info), key,
				 MPX_OP_GET));
	EXPECT_ERRNO(ENOENT, mpx(NULL, 0, key, MPX_OP_ENABLE_HW));
	EXPECT_ERRNO(ENOENT, mpx(hole, 1, key, MPX_OP_CHECK));
}

/* ---- EFAULT, ENOTTY ---- */

TEST_F(keys, efault_args_null)
{
	EXPECT_ERRNO(EFAULT, ioctl(mpx_fd(), MPX_IOC_CALL, NULL));
}

TEST_F(keys, efault_args_unmapped)
{
	char *hole = unmapped_pages(1);

	ASSERT_TRUE(hole != NULL);
	EXPECT_ERRNO(EFAULT, ioctl(mpx_fd(), MPX_IOC_CALL, hole));
}

TEST_F(keys, efault_args_cross_into_unmapped_page)
{
	char *p = map_pages(2, PROT_READ | PROT_WRITE);
	char *args;

	ASSERT_TRUE(p != NULL);
	ASSERT_OK(munmap(p + self->page, self->page));
	args = p + self->page - 8;	/* 8 bytes readable, 16 not */
	memset(args, 0, 8);
	EXPECT_ERRNO(EFAULT, ioctl(mpx_fd(), MPX_IOC_CALL, args));
}

TEST_F(keys, efault_get_buffer_unmapped)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);
	char *hole = unmapped_pages(1);

	ASSERT_TRUE(hole != NULL);
	EXPECT_ERRNO(EFAULT, mpx(hole, sizeof(struct mpx_key_info), key,
				 MPX_OP_GET));
}

TEST_F(keys, efault_get_buffer_read_only)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);
	char *ro = map_pages(1, PROT_READ);
	size_t i;

	ASSERT_TRUE(ro != NULL);
	EXPECT_ERRNO(EFAULT, mpx(ro, sizeof(struct mpx_key_info), key,
				 MPX_OP_GET));
	for (i = 0; i < sizeof(struct mpx_key_info); i++) {
		ASSERT_EQ(0, ro[i]) TH_LOG("byte %zu was written", i);
	}
}

TEST_F(keys, enotty_unknown_ioctl)
{
	static const unsigned long cmds[] = {
		_IO(MPX_IOC_MAGIC, 0),
		_IOW(MPX_IOC_MAGIC, 0x03, struct mpx_args),
		_IOW(MPX_IOC_MAGIC, 0x01, __u32),	/* CALL, wrong size */
		_IOR(MPX_IOC_MAGIC, 0x02, __u64),	/* INFO, wrong size */
		_IOR(MPX_IOC_MAGIC, 0x01, struct mpx_args), /* wrong dir */
		_IOR('x', 0x02, struct mpx_info),
	};
	struct mpx_info info;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		int passed = _metadata->passed;

		EXPECT_ERRNO(ENOTTY, ioctl(mpx_fd(), cmds[i], &info));
		LOG_IF_FAILED(passed, "with cmd %#lx", cmds[i]);
	}
}

/* ---- ENOENT ---- */

TEST_F(keys, enoent_key_zero)
{
	/* Before this process has any key, then with one. */
	EXPECT_EQ(0, key_ops_fail(0, self->buf, self->len, ENOENT));
	create_key(_metadata, self->buf, self->len);
	EXPECT_EQ(0, key_ops_fail(0, self->buf, self->len, ENOENT));
}

TEST_F(keys, enoent_never_allocated_key)
{
	static const unsigned int never[] = { 123456, 0x1000000, ~0U };
	unsigned int key = create_key(_metadata, self->buf, self->len);
	size_t i;

	EXPECT_EQ(0, key_ops_fail(key + 1000, self->buf, self->len, ENOENT));
	for (i = 0; i < ARRAY_SIZE(never); i++) {
		EXPECT_EQ(0, key_ops_fail(never[i], self->buf, self->len,
					  ENOENT));
	}
}

TEST_F(keys, enoent_freed_key)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);

	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_FREE));
	EXPECT_EQ(0, key_ops_fail(key, self->buf, self->len, ENOENT));
}

/* ---- ENOMEM: the region must be mapped (PROT_NONE counts) ---- */

TEST_F(keys, enomem_create_region_with_hole)
{
	char *p = map_pages(3, PROT_READ | PROT_WRITE);

	ASSERT_TRUE(p != NULL);
	ASSERT_OK(munmap(p + self->page, self->page));
	EXPECT_ERRNO(ENOMEM, mpx(p, 3 * self->page, 0, MPX_OP_CREATE));
	EXPECT_ERRNO(ENOMEM, mpx(p + self->page - 1, 2, 0, MPX_OP_CREATE));
	create_key(_metadata, p, self->page);	/* the mapped part is fine */
}

TEST_F(keys, enomem_set_region_with_hole)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);
	char *p = map_pages(3, PROT_READ | PROT_WRITE);

	ASSERT_TRUE(p != NULL);
	ASSERT_OK(munmap(p + self->page, self->page));
	EXPECT_ERRNO(ENOMEM, mpx(p, 3 * self->page, key, MPX_OP_SET));
	assert_region(_metadata, key, self->buf, self->len);
}

TEST_F(keys, enomem_create_unmapped_region)
{
	char *hole = unmapped_pages(2);

	ASSERT_TRUE(hole != NULL);
	EXPECT_ERRNO(ENOMEM, mpx(hole, 2 * self->page, 0, MPX_OP_CREATE));
	EXPECT_ERRNO(ENOMEM, mpx(hole + 10, 1, 0, MPX_OP_CREATE));
}

TEST_F(keys, enomem_create_region_past_mapping_end)
{
	char *p = map_pages(2, PROT_READ | PROT_WRITE);

	ASSERT_TRUE(p != NULL);
	ASSERT_OK(munmap(p + self->page, self->page));
	EXPECT_ERRNO(ENOMEM, mpx(p, self->page + 1, 0, MPX_OP_CREATE));
	create_key(_metadata, p, self->page);
}

/* ---- EBUSY, EOPNOTSUPP ---- */

TEST_F(keys, ebusy_free_enabled_key)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);

	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_ENABLE));
	EXPECT_ERRNO(EBUSY, mpx(NULL, 0, key, MPX_OP_FREE));
	assert_enabled(_metadata, key, &self->info);
	assert_region(_metadata, key, self->buf, self->len);
}

TEST_F(keys, free_after_disable_succeeds)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);

	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_ENABLE));
	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_DISABLE));
	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_FREE));
	EXPECT_ERRNO(ENOENT, mpx(NULL, 0, key, MPX_OP_GET));
}

TEST_F(keys, enable_hw_depends_on_mode)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);

	if (hw_mode(&self->info)) {
		ASSERT_OK(mpx(NULL, 0, key, MPX_OP_ENABLE_HW));
		assert_enabled(_metadata, key, &self->info);
	} else {
		EXPECT_ERRNO(EOPNOTSUPP, mpx(NULL, 0, key, MPX_OP_ENABLE_HW));
		assert_disabled(_metadata, key);  /* not enabled in sw */
	}
}

/* ---- ENOSPC: the per-process limit INFO reports ---- */

/* Create @n keys guarding [@addr, @addr + 1); a malloc'ed array of them. */
static unsigned int *create_keys(struct __test_metadata *_metadata,
				 void *addr, unsigned int n)
{
	unsigned int *keys = calloc(n, sizeof(*keys));
	unsigned int i;
	int key;

	ASSERT_TRUE(keys != NULL);
	for (i = 0; i < n; i++) {
		key = mpx(addr, 1, 0, MPX_OP_CREATE);
		ASSERT_LE(1, key) TH_LOG("key %u of %u: %s", i + 1, n,
					 strerror(errno));
		keys[i] = key;
	}
	return keys;
}

/* FREE the @n keys of @keys; how many frees failed. */
static unsigned int free_keys(unsigned int *keys, unsigned int n)
{
	unsigned int i, failed = 0;

	for (i = 0; i < n; i++)
		failed += !!mpx(NULL, 0, keys[i], MPX_OP_FREE);
	free(keys);
	return failed;
}

TEST_F(keys, enospc_at_max_keys)
{
	unsigned int n = self->info.max_keys;
	unsigned int *keys = create_keys(_metadata, self->buf, n);
	int key;

	EXPECT_ERRNO(ENOSPC, mpx(self->buf, 1, 0, MPX_OP_CREATE));
	ASSERT_OK(mpx(NULL, 0, keys[n / 2], MPX_OP_FREE));
	key = mpx(self->buf, 1, 0, MPX_OP_CREATE);
	ASSERT_LE(1, key) TH_LOG("CREATE after a FREE: %s", strerror(errno));
	keys[n / 2] = key;
	EXPECT_ERRNO(ENOSPC, mpx(self->buf, 1, 0, MPX_OP_CREATE));
	EXPECT_EQ(0, free_keys(keys, n));
}

static int child_create_and_free(void *arg)
{
	int key = mpx(arg, 1, 0, MPX_OP_CREATE);

	if (key < 1) {
		fprintf(stderr, "# child CREATE: %s\n", strerror(errno));
		return 1;
	}
	return mpx(NULL, 0, key, MPX_OP_FREE) ? 2 : 0;
}

TEST_F(keys, enospc_limit_is_per_process)
{
	unsigned int n = self->info.max_keys;
	unsigned int *keys = create_keys(_metadata, self->buf, n);

	EXPECT_ERRNO(ENOSPC, mpx(self->buf, 1, 0, MPX_OP_CREATE));
	EXPECT_EQ(0, run_child(child_create_and_free, self->buf));
	EXPECT_ERRNO(ENOSPC, mpx(self->buf, 1, 0, MPX_OP_CREATE));
	EXPECT_EQ(0, free_keys(keys, n));
}

/* ---- other processes: fork ---- */

struct key_ref {
	unsigned int key;
	char *addr;
	int len;
};

/* In a forked child: the parent's key does not exist here. */
static int child_key_invisible(void *arg)
{
	struct key_ref *ref = arg;

	return key_ops_fail(ref->key, ref->addr, ref->len, ENOENT) ? 1 : 0;
}

TEST_F(keys, fork_child_does_not_inherit_keys)
{
	struct key_ref ref = { .addr = self->buf, .len = self->len };

	ref.key = create_key(_metadata, self->buf, self->len);
	EXPECT_EQ(0, run_child(child_key_invisible, &ref));
}

TEST_F(keys, fork_child_cannot_change_parent_key)
{
	struct key_ref ref = { .addr = self->buf + self->page, .len = 1 };

	/* The child's SET, DISABLE and FREE must leave this key alone. */
	ref.key = create_key(_metadata, self->buf, self->len);
	ASSERT_OK(mpx(NULL, 0, ref.key, MPX_OP_ENABLE));
	EXPECT_EQ(0, run_child(child_key_invisible, &ref));
	assert_enabled(_metadata, ref.key, &self->info);
	assert_region(_metadata, ref.key, self->buf, self->len);
}

/* In a forked child: a key table of its own, starting empty. */
static int child_own_keys(void *arg)
{
	struct key_ref *ref = arg;
	struct mpx_key_info info;
	int key = mpx(ref->addr, ref->len, 0, MPX_OP_CREATE);
	struct call calls[] = {
		CALL(&info, sizeof(info), key, MPX_OP_GET, 0, 0),
		CALL(ref->addr, ref->len, key, MPX_OP_CHECK, 0, 0),
		CALL(NULL, 0, key, MPX_OP_ENABLE, 0, 0),
		CALL(NULL, 0, key, MPX_OP_DISABLE, 0, 0),
		CALL(NULL, 0, key, MPX_OP_FREE, 0, 0),
	};

	if (key < 1) {
		fprintf(stderr, "# child CREATE: %s\n", strerror(errno));
		return 1;
	}
	if (run_calls(calls, ARRAY_SIZE(calls)))
		return 2;
	if (info.addr != ptr_u64(ref->addr) || info.len != ref->len) {
		fprintf(stderr, "# child key %d guards another region\n", key);
		return 3;
	}
	/* Exit holding one, for the parent to outlive. */
	return mpx(ref->addr, ref->len, 0, MPX_OP_CREATE) < 1 ? 4 : 0;
}

TEST_F(keys, fork_child_creates_own_keys)
{
	struct key_ref ref = { .addr = self->buf + 2 * self->page, .len = 1 };
	unsigned int key = create_key(_metadata, self->buf, self->page);

	/* The child's first key likely has the parent's number, too. */
	EXPECT_EQ(0, run_child(child_own_keys, &ref));
	assert_disabled(_metadata, key);
	assert_region(_metadata, key, self->buf, self->page);
}

/*
 * A child holding keys: it creates LEAK_KEYS keys on [@addr, @addr + 1),
 * enables the last one and every other one before it, reports the last
 * key number on @ready, waits until the test closes @go (or dies), checks
 * that the last key is unchanged and exits normally.
 */
struct holder {
	char *addr;
	pid_t pid;
	int ready[2];
	int go[2];
	unsigned int last_key;
};

static int holder_main(void *arg)
{
	struct holder *h = arg;
	struct mpx_key_info info;
	int i, key = 0, status;
	char c;

	close(h->ready[0]);
	close(h->go[1]);
	for (i = LEAK_KEYS - 1; i >= 0; i--) {
		key = mpx(h->addr, 1, 0, MPX_OP_CREATE);
		if (key < 1 || (i % 2 == 0 && mpx(NULL, 0, key, MPX_OP_ENABLE)))
			return 1;
	}
	if (write(h->ready[1], &key, sizeof(key)) != sizeof(key))
		return 2;
	if (read(h->go[0], &c, 1) < 0)
		return 3;
	status = mpx(&info, sizeof(info), key, MPX_OP_GET);
	if (status < 0 || !(status & MPX_STATUS_ENABLED) ||
	    info.addr != ptr_u64(h->addr) || info.len != 1) {
		fprintf(stderr, "# holder: key %d changed: status %d\n", key,
			status);
		return 4;
	}
	return 0;
}

static void start_holder(struct __test_metadata *_metadata,
			 struct holder *h, char *addr)
{
	int key;

	h->addr = addr;
	ASSERT_OK(pipe(h->ready));
	ASSERT_OK(pipe(h->go));
	h->pid = fork_child(holder_main, h);
	ASSERT_LT(0, h->pid);
	close(h->ready[1]);
	close(h->go[0]);
	ASSERT_EQ(sizeof(key), read(h->ready[0], &key, sizeof(key)))
		TH_LOG("the key holder died: status %d", wait_child(h->pid));
	close(h->ready[0]);
	h->last_key = key;
}

TEST_F(keys, other_process_key_enoent)
{
	struct holder h;
	unsigned int own;

	start_holder(_metadata, &h, self->buf);
	own = create_key(_metadata, self->buf, self->len);
	ASSERT_NE(own, h.last_key);
	EXPECT_EQ(0, key_ops_fail(h.last_key, self->buf, self->len, ENOENT));
	close(h.go[1]);
	EXPECT_EQ(0, wait_child(h.pid)) TH_LOG("the holder's keys changed");
}

/* ---- threads share the keys of their process ---- */

TEST_F(keys, thread_key_visible_in_other_thread)
{
	struct call create = CALL(self->buf, self->len, 0, MPX_OP_CREATE, 0, 0);
	unsigned int key;

	ASSERT_OK(calls_in_thread(&create, 1));
	ASSERT_LE(1, create.ret) TH_LOG("CREATE: %s", strerror(create.err));
	key = create.ret;
	assert_region(_metadata, key, self->buf, self->len);
	EXPECT_EQ(0, mpx(self->buf, self->len, key, MPX_OP_CHECK));
	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_FREE));
	EXPECT_ERRNO(ENOENT, mpx(NULL, 0, key, MPX_OP_GET));
}

TEST_F(keys, main_key_usable_in_thread)
{
	unsigned int key = create_key(_metadata, self->buf, self->page);
	char *past = self->buf + self->page;
	struct call calls[] = {
		CALL(NULL, 0, key, MPX_OP_GET, 0, 0),
		CALL(self->buf, self->page, key, MPX_OP_CHECK, 0, 0),
		CALL(past, 1, key, MPX_OP_CHECK, -1, ERANGE),
		CALL(NULL, 0, key, MPX_OP_FREE, 0, 0),
	};

	ASSERT_OK(calls_in_thread(calls, ARRAY_SIZE(calls)));
	EXPECT_EQ(0, calls_unexpected(calls, ARRAY_SIZE(calls)));
	EXPECT_ERRNO(ENOENT, mpx(NULL, 0, key, MPX_OP_GET));
}

TEST_F(keys, thread_enable_is_process_wide)
{
	unsigned int key = create_key(_metadata, self->buf, self->len);
	struct call enable = CALL(NULL, 0, key, MPX_OP_ENABLE, 0, 0);
	struct mpx_key_info info;

	ASSERT_OK(calls_in_thread(&enable, 1));
	ASSERT_EQ(0, calls_unexpected(&enable, 1));
	ASSERT_TRUE(get_info(_metadata, key, &info) & MPX_STATUS_ENABLED);
	if (!hw_mode(&self->info)) {
		EXPECT_EQ(-1, info.bnd);
	}
	EXPECT_ERRNO(EBUSY, mpx(NULL, 0, key, MPX_OP_FREE));
	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_DISABLE));
	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_FREE));
}

/* ---- exec: a new image has a new address space, so no keys ---- */

/* What mpx_worker keys-exec found (enum exec_status, mpx_worker.h). */
static const char *const exec_status_names[] = {
	[EXEC_OK] = "ok",
	[EXEC_KEY_VISIBLE] = "the old key is not ENOENT",
	[EXEC_FD_KEY_VISIBLE] = "the old key is not ENOENT on the old fd",
	[EXEC_STATE_UNREADABLE] = "cannot read " STATE_FILE,
	[EXEC_KEYS_LEAKED] = "the key count did not drop at exec",
	[EXEC_BAD_ARGS] = "bad arguments",
	[EXEC_SETUP_FAILED] = "setup before exec failed",
	[EXEC_FAILED] = "exec " MPX_WORKER " failed (not beside the test, nor in PATH?)",
};

static const char *exec_status_name(int status)
{
	if (status < 0 || status >= (int)ARRAY_SIZE(exec_status_names))
		return "killed or unknown";
	return exec_status_names[status];
}

struct exec_arg {
	char *addr;
	int len;
	long keys;	/* module-wide keys before, or -1 to not count */
};

/* In a forked child: hold an enabled key, then exec mpx_worker keys-exec. */
static int exec_with_key(void *arg)
{
	struct exec_arg *a = arg;
	char key_s[16], fd_s[16], keys_s[24];
	struct mpx_state st;
	int key, fd;

	key = mpx(a->addr, a->len, 0, MPX_OP_CREATE);
	if (key < 1 || mpx(NULL, 0, key, MPX_OP_ENABLE))
		return EXEC_SETUP_FAILED;
	if (a->keys >= 0 && (read_state(&st) || st.keys != a->keys + 1))
		return EXEC_SETUP_FAILED;
	fd = dup(mpx_fd());
	if (fd < 0)
		return EXEC_SETUP_FAILED;
	snprintf(key_s, sizeof(key_s), "%d", key);
	snprintf(fd_s, sizeof(fd_s), "%d", fd);
	snprintf(keys_s, sizeof(keys_s), "%ld", a->keys);
	worker_exec(WORKER_KEYS_EXEC, key_s, fd_s, keys_s, NULL);
	return EXEC_FAILED;
}

TEST_F(keys, exec_drops_keys)
{
	struct exec_arg arg = { self->buf, self->len, -1 };
	int status = run_child(exec_with_key, &arg);

	EXPECT_EQ(EXEC_OK, status) TH_LOG("%s", exec_status_name(status));
}

/* ---- reclaim: debugfs mpx/state counts must return ---- */

TEST_F(keys, leak_exec_reclaims_keys)
{
	struct exec_arg arg = { self->buf, self->len, 0 };
	struct mpx_state before, after;
	int status;

	STATE_OR_SKIP(&before);
	arg.keys = before.keys;
	status = run_child(exec_with_key, &arg);
	EXPECT_EQ(EXEC_OK, status) TH_LOG("%s", exec_status_name(status));
	ASSERT_OK(read_state(&after));
	EXPECT_EQ(before.keys, after.keys);
}

/* Start a key holder and check that the counts include its keys. */
static void start_counted_holder(struct __test_metadata *_metadata,
				 struct holder *h, char *addr,
				 const struct mpx_state *before)
{
	struct mpx_state held;

	start_holder(_metadata, h, addr);
	ASSERT_OK(read_state(&held));
	EXPECT_EQ(before->keys + LEAK_KEYS, held.keys);
	EXPECT_EQ(before->mms + 1, held.mms);
}

/* After the holder is gone, the counts must be back at @before. */
static void expect_counts(struct __test_metadata *_metadata,
			  const struct mpx_state *before)
{
	struct mpx_state after;

	ASSERT_OK(read_state(&after));
	EXPECT_EQ(before->keys, after.keys);
	EXPECT_EQ(before->mms, after.mms);
}

TEST_F(keys, leak_sigkill_child_keys_reclaimed)
{
	struct mpx_state before;
	struct holder h;

	STATE_OR_SKIP(&before);
	start_counted_holder(_metadata, &h, self->buf, &before);
	ASSERT_OK(kill(h.pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, wait_child(h.pid));
	expect_counts(_metadata, &before);
}

TEST_F(keys, leak_exit_child_keys_reclaimed)
{
	struct mpx_state before;
	struct holder h;

	STATE_OR_SKIP(&before);
	start_counted_holder(_metadata, &h, self->buf, &before);
	close(h.go[1]);
	ASSERT_EQ(0, wait_child(h.pid));
	expect_counts(_metadata, &before);
}

/*
 * 200k calls, a few seconds on a release kernel; fewer on the debug
 * kernel (mpx_loops()), where 200k took 7 minutes.
 */
TEST_F_TIMEOUT(keys, leak_create_free_cycles, 600)
{
	const int cycles = mpx_loops(CYCLES);
	struct mpx_state before, now;
	int i, key = 0, ret = 0;

	STATE_OR_SKIP(&before);
	key = create_key(_metadata, self->buf, self->len);
	ASSERT_OK(read_state(&now));
	ASSERT_EQ(before.keys + 1, now.keys);	/* the count does count */
	ASSERT_OK(mpx(NULL, 0, key, MPX_OP_FREE));
	for (i = 0; i < cycles; i++) {
		key = mpx(self->buf, self->len, 0, MPX_OP_CREATE);
		if (key < 1)
			break;
		ret = mpx(NULL, 0, key, MPX_OP_FREE);
		if (ret)
			break;
	}
	ASSERT_EQ(cycles, i) TH_LOG("cycle %d: CREATE %d, FREE %d: %s", i,
				    key, ret, strerror(errno));
	ASSERT_OK(read_state(&now));
	EXPECT_EQ(before.keys, now.keys);
}

/* ---- stress: random operations from threads and processes ---- */

enum stress_op {
	STRESS_CREATE, STRESS_SET, STRESS_GET, STRESS_ENABLE,
	STRESS_DISABLE, STRESS_FREE, STRESS_CHECK, STRESS_NR_OPS,
};

static const int stress_ops[STRESS_NR_OPS] = {
	MPX_OP_CREATE, MPX_OP_SET, MPX_OP_GET, MPX_OP_ENABLE,
	MPX_OP_DISABLE, MPX_OP_FREE, MPX_OP_CHECK,
};

#define ERRNO_BIT(err)	(1ULL << (err))

/*
 * One process's run: its threads share @slots, a pool of key numbers (0 =
 * empty) that any of them may use or free at any time, so ENOENT (a key
 * freed meanwhile), EBUSY (FREE of a key another thread enabled; ENABLE
 * with no free bound register in hardware mode), ENOSPC and ERANGE (CHECK)
 * are valid results; nothing else is. Every key guards part of @area.
 */
struct stress {
	char *area;
	int area_len;
	bool hw;
	unsigned int slots[STRESS_SLOTS];
	unsigned long ok[STRESS_NR_OPS];	/* successes per op */
	int failures;
	struct timespec deadline;
};

struct stress_thread {
	struct stress *s;
	unsigned int seed;
	pthread_t thread;
};

static unsigned int xorshift32(unsigned int *state)
{
	unsigned int x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

static void stress_fail(struct stress *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void stress_fail(struct stress *s, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&s->failures, 1, __ATOMIC_RELAXED) >= 10)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "# stress pid %d: ", getpid());
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* @ret/@err of @op must be success or one of the errnos in @allowed. */
static bool stress_verify(struct stress *s, enum stress_op op,
			  unsigned int key, int ret, int err,
			  unsigned long long allowed)
{
	if (ret >= 0) {
		__atomic_add_fetch(&s->ok[op], 1, __ATOMIC_RELAXED);
		return true;
	}
	if (ret == -1 && err > 0 && err < 64 && (allowed & ERRNO_BIT(err)))
		return false;
	stress_fail(s, "%s key %u: %d (%s)", op_name(stress_ops[op]), key,
		    ret, strerror(err));
	return false;
}

/* What GET wrote must describe @key and a region inside the area. */
static void stress_check_info(struct stress *s, unsigned int key, int status,
			      const struct mpx_key_info *info)
{
	__u64 area = ptr_u64(s->area);
	unsigned int known = MPX_STATUS_ENABLED | MPX_STATUS_HW |
			     MPX_STATUS_BND_MASK;

	if (info->key != key || (int)info->status != status ||
	    (status & ~known) || info->len < 1 || info->addr < area ||
	    info->addr + info->len > area + s->area_len)
		stress_fail(s, "GET key %u: key %u, status %#x/%#x, %#llx+%d",
			    key, info->key, status, info->status,
			    (unsigned long long)info->addr, info->len);
}

/* Put a new key in @slot, or free it again if the slot is taken. */
static void stress_publish(struct stress *s, unsigned int *slot,
			   unsigned int key)
{
	unsigned int empty = 0;
	int ret;

	if (__atomic_compare_exchange_n(slot, &empty, key, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	ret = mpx(NULL, 0, key, MPX_OP_FREE);
	if (ret)	/* nobody else knows this key: FREE must work */
		stress_fail(s, "FREE of unpublished key %u: %s", key,
			    strerror(errno));
}

static void stress_step(struct stress *s, unsigned int *seed)
{
	unsigned int r = xorshift32(seed);
	unsigned int *slot = &s->slots[r % STRESS_SLOTS];
	unsigned int key = __atomic_load_n(slot, __ATOMIC_RELAXED);
	enum stress_op op = key ? (r >> 8) % STRESS_NR_OPS : STRESS_CREATE;
	unsigned long long allowed = ERRNO_BIT(ENOENT);
	int off = xorshift32(seed) % s->area_len;
	int len = 1 + xorshift32(seed) % (s->area_len - off);
	char *addr = s->area + off;
	struct mpx_key_info info;
	int ret;

	switch (op) {
	case STRESS_CREATE:
		ret = mpx(addr, len, 0, MPX_OP_CREATE);
		if (stress_verify(s, op, 0, ret, errno, ERRNO_BIT(ENOSPC))) {
			if (ret < 1)
				stress_fail(s, "CREATE returned key %d", ret);
			else
				stress_publish(s, slot, ret);
		}
		return;
	case STRESS_GET:
		ret = mpx(&info, sizeof(info), key, MPX_OP_GET);
		if (stress_verify(s, op, key, ret, errno, allowed))
			stress_check_info(s, key, ret, &info);
		return;
	case STRESS_SET:
	case STRESS_CHECK:
		if (op == STRESS_CHECK)
			allowed |= ERRNO_BIT(ERANGE);
		ret = mpx(addr, len, key, stress_ops[op]);
		break;
	case STRESS_ENABLE:
	case STRESS_DISABLE:
		if (op == STRESS_ENABLE && s->hw)
			allowed |= ERRNO_BIT(EBUSY);
		ret = mpx(NULL, 0, key, stress_ops[op]);
		break;
	case STRESS_FREE:
		ret = mpx(NULL, 0, key, MPX_OP_FREE);
		if (stress_verify(s, op, key, ret, errno,
				  allowed | ERRNO_BIT(EBUSY)))
			__atomic_compare_exchange_n(slot, &key, 0, false,
						    __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED);
		return;
	default:
		stress_fail(s, "bad op %d", op);
		return;
	}
	if (stress_verify(s, op, key, ret, errno, allowed) && ret)
		stress_fail(s, "%s key %u returned %d", op_name(stress_ops[op]),
			    key, ret);
}

static bool stress_time_up(const struct stress *s)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > s->deadline.tv_sec ||
	       (now.tv_sec == s->deadline.tv_sec &&
		now.tv_nsec >= s->deadline.tv_nsec);
}

static void *stress_worker(void *arg)
{
	struct stress_thread *t = arg;
	unsigned int i;

	for (i = 0; (i % 32) || !stress_time_up(t->s); i++)
		stress_step(t->s, &t->seed);
	return NULL;
}

/*
 * Run STRESS_THREADS workers for STRESS_SECONDS, then disable and free
 * what is left in the pool. Returns the number of failures.
 */
static int stress_run(struct stress *s)
{
	struct stress_thread threads[STRESS_THREADS];
	unsigned int i;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &s->deadline);
	/* Every op must succeed at least once, also on a slow kernel. */
	s->deadline.tv_sec += STRESS_SECONDS * mpx_slow();
	for (i = 0; i < STRESS_THREADS; i++) {
		threads[i].s = s;
		threads[i].seed = ((unsigned int)getpid() << 8 ^
				   (i + 1) * 0x9e3779b9U) | 1;
		if (pthread_create(&threads[i].thread, NULL, stress_worker,
				   &threads[i]))
			break;
	}
	if (i < STRESS_THREADS)
		stress_fail(s, "pthread_create failed");
	while (i--)
		pthread_join(threads[i].thread, NULL);
	/*
	 * A slot may hold a number that is no longer allocated only if the
	 * module hands out a freed number again at once (the ABI allows
	 * it), so ENOENT is tolerated; the count check catches leaks.
	 */
	for (i = 0; i < STRESS_SLOTS; i++) {
		if (!s->slots[i])
			continue;
		ret = mpx(NULL, 0, s->slots[i], MPX_OP_DISABLE);
		if (!ret)
			ret = mpx(NULL, 0, s->slots[i], MPX_OP_FREE);
		if (ret && errno != ENOENT)
			stress_fail(s, "cleanup of key %u: %s", s->slots[i],
				    strerror(errno));
	}
	return s->failures;
}

static int stress_child(void *arg)
{
	return stress_run(arg) ? 1 : 0;
}

TEST_F(keys, stress_threads_and_processes)
{
	struct stress s = {
		.area = self->buf,
		.area_len = self->len,
		.hw = hw_mode(&self->info),
	};
	int i, failures, status[STRESS_PROCS];
	pid_t pids[STRESS_PROCS];
	struct mpx_state before, after;
	bool have_state;

	have_state = !read_state(&before);
	for (i = 0; i < STRESS_PROCS; i++) {
		pids[i] = fork_child(stress_child, &s);
		ASSERT_LT(0, pids[i]);
	}
	failures = stress_run(&s);
	for (i = 0; i < STRESS_PROCS; i++)
		status[i] = wait_child(pids[i]);
	/* Asserts only from here on: a SKIP must not hide a failure. */
	ASSERT_EQ(0, failures);
	for (i = 0; i < STRESS_PROCS; i++) {
		ASSERT_EQ(0, status[i]) TH_LOG("stress child %d", i);
	}
	for (i = 0; i < STRESS_NR_OPS; i++) {
		ASSERT_LT(0, s.ok[i]) TH_LOG("no %s ever succeeded",
					     op_name(stress_ops[i]));
	}
	if (!have_state)
		SKIP(return, "%s missing: key count not checked",
		     STATE_FILE);
	/* Only keys: this process keeps its (now empty) table. */
	ASSERT_OK(read_state(&after));
	EXPECT_EQ(before.keys, after.keys);
}

TEST_HARNESS_MAIN
