// SPDX-License-Identifier: GPL-2.0
/*
 * mpx_memcg_test - the kernel memory of keys is charged to the caller's
 * memory cgroup (cgroup v2), so a memory.max bounds it.
 *
 * The worst case for that memory is the "worst id pattern": ids are
 * allocated cyclically, so a process that keeps one key, then creates and
 * frees keys until the next id starts a new xarray leaf (XA_CHUNK_SIZE 64
 * ids), and repeats, holds one leaf node (576 bytes on 64-bit) per key.
 * Both tests create keys that way in a forked child moved into a child
 * cgroup of their own:
 *
 *  - create_loop_stops_at_memory_max: memory.max is MEMCG_MAX_KB and the
 *    module is reloaded with max_keys=MEMCG_MAX_KEYS, whose worst case is
 *    five times that much; the loop must end by CREATE failing with ENOMEM
 *    or by the cgroup's OOM killer (memory.events oom_kill), never by
 *    reaching max_keys (ENOSPC): that would mean the keys' memory escaped
 *    the limit.
 *  - keys_are_charged: with no limit, memory.current and the slab figure of
 *    memory.stat grow by at least half a leaf node per key while
 *    ACCT_KEYS such keys live, and memory.current drops by as much when
 *    the child exits.
 *
 * Needs root, cgroup v2 with the memory controller (cgroup2 is mounted on
 * /sys/fs/cgroup if nothing is mounted there, and unmounted again) and the
 * module file in MPX_KO (the VM harness sets it) to reload the module;
 * skips otherwise. The module is reloaded with its defaults at the end.
 *
 * The cgroup's OOM killer prints its report (a stack dump, at KERN_WARNING)
 * on the console, where the VM rig takes any "Call Trace" for a bug: while
 * the child of the first test runs, the console shows only KERN_ERR and
 * worse, and the test itself looks in /dev/kmsg for what else the kernel
 * reported meanwhile (warnings, BUGs, the module's errors).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libmpx.h"
#include "mpx_sysfs.h"

#define CG_ROOT		"/sys/fs/cgroup"
#define CGROUP2_MAGIC	0x63677270
#define PRINTK		"/proc/sys/kernel/printk"

/* Ids per xarray leaf (XA_CHUNK_SIZE) and the size of a node on 64-bit. */
#define XA_CHUNK	64
#define XA_NODE_BYTES	576

#define MEMCG_MAX_KB	1024
#define MEMCG_MAX_KEYS	8192
#define ACCT_KEYS	4096

/* What the key-creating child tells its parent, in a shared page. */
struct shared {
	int kept;	/* kept keys, one per leaf */
	int err;	/* errno that ended the loop, 0 if it reached its count */
};

FIXTURE(memcg) {
	char cg[64];		/* the child cgroup */
	bool mounted;		/* cgroup2 mounted by this test */
	bool reloaded;		/* module reloaded with max_keys */
	struct shared *sh;
};

FIXTURE_SETUP(memcg)
{
	snprintf(self->cg, sizeof(self->cg), CG_ROOT "/mpx_memcg_test.%d",
		 getpid());
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	memset(self->sh, 0, sizeof(*self->sh));
}

FIXTURE_TEARDOWN(memcg)
{
	long keys = -1;
	int i;

	/* The child is gone; its keys go with its address space. */
	for (i = 0; self->reloaded && i < 50 * mpx_slow() && keys; i++) {
		keys = state_value("keys");
		if (keys)
			usleep(100000);
	}
	if (self->reloaded)
		EXPECT_EQ(0, keys);
	if (rmdir(self->cg) && errno != ENOENT)
		TH_LOG("rmdir %s: %m", self->cg);
	if (self->mounted && umount(CG_ROOT))
		TH_LOG("umount " CG_ROOT ": %m");
	if (self->reloaded) {
		EXPECT_EQ(0, mpx_module_reload("")) TH_LOG("reload with defaults: %m");
		EXPECT_EQ(0, state_value("keys"));
	}
	munmap(self->sh, sizeof(*self->sh));
}

/* A number from cgroup file @file, or the value of @name in it; -1. */
static long cg_value(const char *cg, const char *file, const char *name)
{
	char path[128], key[64];
	long val, ret = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!name) {
		if (fscanf(f, "%ld", &val) == 1)
			ret = val;
	} else {
		while (fscanf(f, "%63s %ld", key, &val) == 2)
			if (!strcmp(key, name))
				ret = val;
	}
	fclose(f);
	return ret;
}

static int cg_write(const char *cg, const char *file, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	return mpx_write_str(path, val);
}

/* Slab bytes charged to @cg (reclaimable: the xarray's nodes, and not). */
static long cg_slab(const char *cg)
{
	long r = cg_value(cg, "memory.stat", "slab_reclaimable");
	long u = cg_value(cg, "memory.stat", "slab_unreclaimable");

	return r < 0 || u < 0 ? -1 : r + u;
}

/* Why @what failed, with errno's text. */
static const char *failed(const char *what)
{
	static char why[128];

	snprintf(why, sizeof(why), "%s: %m", what);
	return why;
}

/*
 * cgroup v2 with the memory controller and a child cgroup @cg: NULL, or
 * why not.
 */
static const char *prepare(const char *cg, bool *mounted)
{
	char ctl[256] = "";
	struct statfs sfs;
	FILE *f;

	if (geteuid())
		return "needs root";
	if (!getenv("MPX_KO"))
		return "MPX_KO not set: the module cannot be reloaded";
	if (statfs(CG_ROOT, &sfs))
		return failed(CG_ROOT);
	if (sfs.f_type != CGROUP2_MAGIC) {
		if (mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL))
			return failed("cannot mount cgroup2 on " CG_ROOT);
		*mounted = true;
	}
	f = fopen(CG_ROOT "/cgroup.controllers", "r");
	if (f) {
		if (!fgets(ctl, sizeof(ctl), f))
			ctl[0] = 0;
		fclose(f);
	}
	if (!strstr(ctl, "memory"))
		return "no memory controller in cgroup v2";
	if (cg_write(CG_ROOT, "cgroup.subtree_control", "+memory"))
		return failed("cannot enable the memory controller");
	if (mkdir(cg, 0755))
		return failed("cannot make a child cgroup");
	if (cg_value(cg, "memory.current", NULL) < 0)
		return "no memory.current in the child cgroup";
	return NULL;
}

/* Reload the module with max_keys=MEMCG_MAX_KEYS. */
static int reload_max_keys(void)
{
	char params[32];

	snprintf(params, sizeof(params), "max_keys=%d", MEMCG_MAX_KEYS);
	return mpx_module_reload(params);
}

/*
 * Keys on @buf in the worst id pattern, up to @n, counted in sh->kept: each
 * kept key is followed by keys created and freed until the next id starts
 * a new leaf. 0, or the errno of the call that failed.
 */
static int worst_keys(char *buf, int n, struct shared *sh)
{
	int id, t;

	while (sh->kept < n) {
		id = mpx(buf, 16, 0, MPX_OP_CREATE);
		if (id < 0)
			return errno;
		sh->kept++;
		while ((id + 1) % XA_CHUNK) {
			t = mpx(buf, 16, 0, MPX_OP_CREATE);
			if (t < 0)
				return errno;
			if (mpx(NULL, 0, t, MPX_OP_FREE))
				return errno;
			id = t;
		}
	}
	return 0;
}

/*
 * Fork a child, move it into @cg, and let it make @n keys in the worst
 * pattern (result in @sh); it then writes a byte to *@rd's pipe and waits
 * for EOF on its stdin pipe (*@wr) before it exits. The child's pid.
 */
static pid_t spawn(const char *cg, int n, struct shared *sh, int *rd, int *wr)
{
	int up[2], down[2];
	char pid[16], c = 0;
	pid_t child;
	void *buf;

	buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || pipe(up) || pipe(down))
		return -1;
	child = fork();
	if (!child) {
		close(up[0]);
		close(down[1]);
		if (read(down[0], &c, 1) != 1)
			_exit(1);
		sh->err = worst_keys(buf, n, sh);
		if (write(up[1], &c, 1) != 1)
			_exit(1);
		while (read(down[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	*rd = up[0];
	*wr = down[1];
	if (child < 0)
		return -1;
	snprintf(pid, sizeof(pid), "%d", child);
	if (cg_write(cg, "cgroup.procs", pid) || write(*wr, &c, 1) != 1) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		return -1;
	}
	return child;
}

/* Kernel messages that are a bug report, not the OOM killer's own. */
static bool splat(const char *msg, int level)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "Oops", "KASAN", "UBSAN", "KFENCE",
		"general protection", "sleeping function",
		"circular locking", "recursive locking", "corruption",
	};
	unsigned int i;

	/*
	 * A report's stack frames and registers are indented; its first line
	 * is not (lockdep's too start "WARNING:" or "BUG:"), and the OOM
	 * report's frames name functions like lockdep_hardirqs_on().
	 */
	if (msg[0] == ' ')
		return false;
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (strstr(msg, bad[i]))
			return true;
	return level <= 3 && !strncmp(msg, "mpx: ", 5);
}

/* The records of @fd (/dev/kmsg) that splat() takes for a bug report. */
static int kmsg_splats(struct __test_metadata *_metadata, int fd)
{
	char rec[1024], *msg;
	int n = 0, level;
	ssize_t len;

	while ((len = read(fd, rec, sizeof(rec) - 1)) > 0 || errno == EPIPE) {
		if (len <= 0)
			continue;
		rec[len] = 0;
		msg = strchr(rec, ';');
		level = atoi(rec) & 7;
		if (msg && splat(msg + 1, level)) {
			TH_LOG("kernel: %.*s", (int)strcspn(msg + 1, "\n"),
			       msg + 1);
			n++;
		}
	}
	return n;
}

TEST_F_TIMEOUT(memcg, create_loop_stops_at_memory_max, 900)
{
	char max[32], printk[32] = "";
	const char *why;
	long oom_kills;
	int status = 0, rd, wr, kmsg, pf;
	pid_t child;

	why = prepare(self->cg, &self->mounted);
	if (why)
		SKIP(return, "%s", why);
	self->reloaded = true;
	ASSERT_EQ(0, reload_max_keys()) TH_LOG("reload with max_keys: %m");
	snprintf(max, sizeof(max), "%d", MEMCG_MAX_KB * 1024);
	ASSERT_EQ(0, cg_write(self->cg, "memory.max", max));
	cg_write(self->cg, "memory.swap.max", "0");

	/* The OOM report stays off the console, but not out of the test. */
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, kmsg);
	lseek(kmsg, 0, SEEK_END);
	pf = open(PRINTK, O_RDONLY);
	if (pf >= 0 && read(pf, printk, sizeof(printk) - 1) > 0)
		mpx_write_str(PRINTK, "4");
	if (pf >= 0)
		close(pf);

	child = spawn(self->cg, INT_MAX, self->sh, &rd, &wr);
	if (child > 0) {
		close(wr);
		waitpid(child, &status, 0);
	}
	close(rd);
	if (printk[0])
		mpx_write_str(PRINTK, printk);
	ASSERT_LT(0, child) TH_LOG("no child in %s: %m", self->cg);
	EXPECT_EQ(0, kmsg_splats(_metadata, kmsg));
	close(kmsg);

	oom_kills = cg_value(self->cg, "memory.events", "oom_kill");
	TH_LOG("%d keys, one a leaf, memory.max %d KiB: %s, %ld OOM kill(s), max/keys %d B",
	       self->sh->kept, MEMCG_MAX_KB,
	       WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) :
	       strerror(self->sh->err), oom_kills,
	       MEMCG_MAX_KB * 1024 / (self->sh->kept ? self->sh->kept : 1));
	EXPECT_NE(ENOSPC, self->sh->err)
		TH_LOG("CREATE hit max_keys: %d keys, %ld KiB of leaves, memory.max %d KiB: %s",
		       self->sh->kept, (long)self->sh->kept * XA_NODE_BYTES / 1024,
		       MEMCG_MAX_KB, "the keys are not charged to the memcg");
	EXPECT_LT(0, self->sh->kept);
	if (WIFSIGNALED(status)) {
		EXPECT_EQ(SIGKILL, WTERMSIG(status));
		EXPECT_LT(0, oom_kills)
			TH_LOG("killed, but not by the cgroup's OOM killer");
	} else {
		EXPECT_EQ(ENOMEM, self->sh->err);
	}
}

TEST_F_TIMEOUT(memcg, keys_are_charged, 900)
{
	long cur0, cur1, cur2 = 0, slab0, slab1 = 0;
	long want = ACCT_KEYS / 2 * XA_NODE_BYTES;
	const char *why;
	int i, rd, wr, status = 0;
	pid_t child;
	char c;

	why = prepare(self->cg, &self->mounted);
	if (why)
		SKIP(return, "%s", why);
	self->reloaded = true;
	ASSERT_EQ(0, reload_max_keys()) TH_LOG("reload with max_keys: %m");
	cur0 = cg_value(self->cg, "memory.current", NULL);
	slab0 = cg_slab(self->cg);
	child = spawn(self->cg, ACCT_KEYS, self->sh, &rd, &wr);
	ASSERT_LT(0, child) TH_LOG("no child in %s: %m", self->cg);
	ASSERT_EQ(1, read(rd, &c, 1));
	ASSERT_EQ(0, self->sh->err) TH_LOG("CREATE: %s", strerror(self->sh->err));
	cur1 = cg_value(self->cg, "memory.current", NULL);
	/* memory.stat may be flushed up to 2 s late. */
	for (i = 0; i < 30; i++) {
		slab1 = cg_slab(self->cg);
		if (slab1 - slab0 >= want)
			break;
		usleep(100000);
	}
	close(wr);
	waitpid(child, &status, 0);
	close(rd);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	/* Keys, leaves and the key table go after RCU grace periods. */
	for (i = 0; i < 50 * mpx_slow(); i++) {
		cur2 = cg_value(self->cg, "memory.current", NULL);
		if (cur1 - cur2 >= want)
			break;
		usleep(100000);
	}
	TH_LOG("%d keys, one a leaf: memory.current %ld > %ld > %ld, slab %ld > %ld: %ld B a key",
	       ACCT_KEYS, cur0, cur1, cur2, slab0, slab1,
	       (slab1 - slab0) / ACCT_KEYS);
	EXPECT_LE(want, cur1 - cur0)
		TH_LOG("memory.current grew by %ld B for %d keys, < %d a key: %s",
		       cur1 - cur0, ACCT_KEYS, XA_NODE_BYTES / 2, "keys not charged");
	EXPECT_LE(want, slab1 - slab0)
		TH_LOG("charged slab grew by %ld B for %d keys, < %d a key: %s",
		       slab1 - slab0, ACCT_KEYS, XA_NODE_BYTES / 2,
		       "keys not charged");
	EXPECT_LE(want, cur1 - cur2)
		TH_LOG("memory.current dropped by %ld bytes only when the keys' owner exited",
		       cur1 - cur2);
}

TEST_HARNESS_MAIN
