// SPDX-License-Identifier: GPL-2.0
/*
 * mpx_remote_test - private regions: while a key is enabled, no other
 * address space reads or writes a byte of its region through
 * process_vm_readv/writev, /proc/PID/mem, ptrace PEEK/POKE or the other
 * users of access_remote_vm() (/proc/PID/cmdline and environ).
 *
 * The owner of the region is the test process (or, where uids or exit
 * matter, a child of it); every accessor is a fork()ed child that makes
 * one call and reports what it got in shared memory. Accessors never use
 * the harness's ASSERT/EXPECT: an ASSERT would run the fixture teardown
 * in the child. ptrace accessors PTRACE_SEIZE and PTRACE_INTERRUPT the
 * owner's main thread, which is waiting for them.
 *
 * The target is a private mapping of NR_PAGES pages whose bytes come in
 * ranges that cannot be mistaken for each other: what a key guards holds
 * "secret" bytes (0x80-0xff), everything else "canary" bytes (0x20-0x5f),
 * accessors write "data" bytes (0x60-0x7f) and pre-fill what they read
 * into with FILL. Every access is checked against what the interface
 * says: a process_vm transfer or a /proc/PID/mem access moves exactly the
 * bytes before the first protected one (remote-iovec order) and fails
 * with EPERM (process_vm) or EIO (/proc/PID/mem) when that is none; a
 * ptrace word that meets a region fails whole with EIO. A read must have
 * returned exactly the target's bytes and left the rest of the buffer
 * alone; after a write the whole target mapping must hold exactly what
 * the transferred bytes made of it.
 *
 * Tests:
 *  - path.<variant>.*: process_vm_readv/writev, pread/pwrite of
 *    /proc/PID/mem, PTRACE_PEEK/POKE DATA/TEXT x inside, at the first and
 *    last byte, overlapping either end, spanning a small region, just
 *    outside on the same page, across pages, after DISABLE, after FREE,
 *    enabled again, beside a disabled key, after SET moved the region;
 *  - pv_segments.*: several remote segments stop in remote-iovec order;
 *  - remote.*: the policy (default deny, values, EINVAL, root only; report
 *    allows and emits denied=0, off allows silently, deny after off), who
 *    is exempt (the owner, its threads) and who is not (root, a fork
 *    child, an unprivileged process of the same uid), the mpx_remote event
 *    and the remote_denied count, the hooks' arming, /proc/PID/cmdline and
 *    environ, a race of ENABLE/DISABLE against readers of every path, and
 *    a remote iovec rewritten during process_vm_readv/writev, and 24 keys
 *    enabled, disabled and moved at random against a model of which
 *    bytes they protect.
 *
 * The policy (module parameter "remote") is set to deny by every fixture
 * setup and again by its teardown. Events are read from a tracefs
 * instance of the test's own (instances/mpx_remote_test-<pid>), removed
 * in the teardown. The module must have the feature: a missing parameter
 * or event fails the tests rather than skipping them.
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64	/* /proc/PID/mem offsets above 2 GiB, -m32 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libmpx.h"
#include "mpx_sysfs.h"

#define REMOTE_PARAM	"/sys/module/mpx/parameters/remote"
#define YAMA_SCOPE	"/proc/sys/kernel/yama/ptrace_scope"
#define ACC_COMM	"mpx_accessor"	/* the accessors' comm */
#define NOBODY		65534

#define NR_PAGES	3	/* the target mapping */
#define REG_OFF		512	/* the region, in the middle page */
#define REG_LEN		1024
#define ACC_LEN		64	/* a read or write that is not ptrace's */
#define BUF_MAX		8192
#define MAX_SEG		4
#define MAX_KEYS	4
#define FILL		0x01
#define WORD		((size_t)sizeof(long))	/* a ptrace word */

#define HOOKS_WAIT_MS	10000	/* lazy disarming: about 1-2 s */
#define RACE_MS		3000
#define RACE_TOGGLES	20000
#define RACE_LEN	64
#define TOCTOU_MS	2000
#define TOCTOU_CALLS	50000

/* ---- the accesses ---- */

enum path {
	PV_READ, PV_WRITE, MEM_READ, MEM_WRITE,
	PEEKDATA, POKEDATA, PEEKTEXT, POKETEXT,
	CMDLINE, ENVIRON,
};

static const char *const path_names[] = {
	[PV_READ] = "process_vm_readv",	[PV_WRITE] = "process_vm_writev",
	[MEM_READ] = "pread /proc/PID/mem", [MEM_WRITE] = "pwrite /proc/PID/mem",
	[PEEKDATA] = "PTRACE_PEEKDATA",	[POKEDATA] = "PTRACE_POKEDATA",
	[PEEKTEXT] = "PTRACE_PEEKTEXT",	[POKETEXT] = "PTRACE_POKETEXT",
	[CMDLINE] = "/proc/PID/cmdline", [ENVIRON] = "/proc/PID/environ",
};

static bool is_pv(int path)
{
	return path == PV_READ || path == PV_WRITE;
}

static bool is_ptrace(int path)
{
	return path >= PEEKDATA && path <= POKETEXT;
}

static bool is_write(int path)
{
	return path == PV_WRITE || path == MEM_WRITE || path == POKEDATA ||
	       path == POKETEXT;
}

/* The event's name for the path. */
static const char *event_path(int path)
{
	if (is_pv(path))
		return "process_vm";
	if (path == MEM_READ || path == MEM_WRITE)
		return "proc_mem";
	if (is_ptrace(path))
		return "ptrace";
	return "other";
}

/* The size of one access on @path: a word for ptrace. */
static size_t acc_len(int path)
{
	return is_ptrace(path) ? WORD : ACC_LEN;
}

/* Protected bytes: 0x80-0xff. */
static unsigned char secret_byte(uintptr_t a)
{
	return 0x80 | ((a * 7) & 0x7f);
}

/* Unprotected bytes of the target: 0x20-0x5f. */
static unsigned char canary_byte(uintptr_t a)
{
	return 0x20 | ((a * 5) & 0x3f);
}

/* Byte @i of what an accessor writes: 0x60-0x7f. */
static unsigned char data_byte(size_t i)
{
	return 0x60 | (i & 0x1f);
}

/* One access, made by a fork()ed accessor; in shared memory. */
struct req {
	/* what to do */
	int path;
	pid_t target;
	int nseg;
	struct {
		uintptr_t addr;
		size_t len;
	} seg[MAX_SEG];
	bool thread;		/* from a second thread of the accessor */
	size_t chunk;		/* cmdline, environ: bytes per read(), or 0 */
	uid_t uid;		/* switch to this uid first, if not 0 */
	/* what happened */
	bool done;
	int setup_err;		/* errno of the accessor's own setup */
	long ret;
	int err;
	pid_t pid, tid;		/* the accessor's */
	unsigned char buf[BUF_MAX];
};

static void req_init(struct req *q, int path, pid_t target)
{
	memset(q, 0, sizeof(*q));
	q->path = path;
	q->target = target;
}

static void req_seg(struct req *q, const void *addr, size_t len)
{
	q->seg[q->nseg].addr = (uintptr_t)addr;
	q->seg[q->nseg].len = len;
	q->nseg++;
}

static size_t req_total(const struct req *q)
{
	size_t total = 0;
	int i;

	for (i = 0; i < q->nseg; i++)
		total += q->seg[i].len;
	return total;
}

/* Stop thread @tid with PTRACE_SEIZE + PTRACE_INTERRUPT; 0 or -1. */
static int trace_stop(pid_t tid)
{
	int status;

	if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) ||
	    ptrace(PTRACE_INTERRUPT, tid, NULL, NULL))
		return -1;
	if (waitpid(tid, &status, __WALL) != tid)
		return -1;
	if (!WIFSTOPPED(status)) {
		errno = ECHILD;
		return -1;
	}
	return 0;
}

/* An open file up to EOF, @chunk bytes a read() (0: all at once). */
static long read_fd(int fd, unsigned char *buf, size_t size, size_t chunk)
{
	size_t len = 0;
	ssize_t n = 0;

	while (len < size) {
		n = read(fd, buf + len, chunk && chunk < size - len ?
			 chunk : size - len);
		if (n <= 0)
			break;
		len += n;
	}
	return n < 0 && !len ? -1 : (long)len;
}

static long ptrace_access(struct req *q, unsigned char *buf)
{
	static const enum __ptrace_request reqs[] = {
		[PEEKDATA] = PTRACE_PEEKDATA, [POKEDATA] = PTRACE_POKEDATA,
		[PEEKTEXT] = PTRACE_PEEKTEXT, [POKETEXT] = PTRACE_POKETEXT,
	};
	void *addr = (void *)q->seg[0].addr;
	long word;

	if (trace_stop(q->target)) {
		q->setup_err = errno;
		return -1;
	}
	errno = 0;
	if (is_write(q->path)) {
		memcpy(&word, buf, WORD);
		word = ptrace(reqs[q->path], q->target, addr, word) ? -1 : 0;
	} else {
		word = ptrace(reqs[q->path], q->target, addr, NULL);
		if (!errno)
			memcpy(buf, &word, WORD);
	}
	q->err = errno;
	ptrace(PTRACE_DETACH, q->target, NULL, NULL);
	return q->err ? -1 : (long)WORD;
}

/* The accessor's side of @q (it must not use the harness's macros). */
static void *do_access(void *arg)
{
	static unsigned char buf[BUF_MAX];
	struct iovec local, remote[MAX_SEG];
	struct req *q = arg;
	size_t total = req_total(q), i;
	char file[64];
	int fd;

	q->pid = getpid();
	q->tid = syscall(SYS_gettid);
	for (i = 0; i < BUF_MAX; i++)
		buf[i] = is_write(q->path) ? data_byte(i) : FILL;
	for (i = 0; i < (size_t)q->nseg; i++) {
		remote[i].iov_base = (void *)q->seg[i].addr;
		remote[i].iov_len = q->seg[i].len;
	}
	local.iov_base = buf;
	local.iov_len = total;
	errno = 0;
	switch (q->path) {
	case PV_READ:
		q->ret = process_vm_readv(q->target, &local, 1, remote,
					  q->nseg, 0);
		q->err = errno;
		break;
	case PV_WRITE:
		q->ret = process_vm_writev(q->target, &local, 1, remote,
					   q->nseg, 0);
		q->err = errno;
		break;
	case MEM_READ:
	case MEM_WRITE:
		snprintf(file, sizeof(file), "/proc/%d/mem", q->target);
		fd = open(file, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			q->setup_err = errno;
			break;
		}
		errno = 0;
		if (q->path == MEM_READ)
			q->ret = pread(fd, buf, total, (off_t)q->seg[0].addr);
		else
			q->ret = pwrite(fd, buf, total, (off_t)q->seg[0].addr);
		q->err = errno;
		close(fd);
		break;
	case CMDLINE:
	case ENVIRON:
		snprintf(file, sizeof(file), "/proc/%d/%s", q->target,
			 q->path == CMDLINE ? "cmdline" : "environ");
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			q->setup_err = errno;
			break;
		}
		errno = 0;
		q->ret = read_fd(fd, buf, BUF_MAX, q->chunk);
		q->err = errno;
		close(fd);
		break;
	default:
		q->ret = ptrace_access(q, buf);
		break;
	}
	memcpy(q->buf, buf, BUF_MAX);
	__atomic_store_n(&q->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Drop every privilege of root for @uid; 0 or -1. */
static int become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		return -1;
	/* Changing uid made us undumpable: no one could reach us. */
	return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

static void accessor_main(struct req *q)
{
	pthread_t th;

	prctl(PR_SET_NAME, ACC_COMM, 0, 0, 0);
	if (q->uid && become(q->uid)) {
		q->setup_err = errno;
		q->done = true;
		return;
	}
	if (!q->thread) {
		do_access(q);
		return;
	}
	q->setup_err = pthread_create(&th, NULL, do_access, q);
	if (q->setup_err)
		q->done = true;
	else
		pthread_join(th, NULL);
}

/* Make the access @q from a fork()ed child; 0, or -1 if the child failed. */
static int run_access(struct req *q)
{
	int status;
	pid_t pid;

	q->done = false;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		accessor_main(q);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && !WEXITSTATUS(status) && q->done ? 0 : -1;
}

/* ---- the target: a mapping, its keys, what it should hold ---- */

struct range {
	uintptr_t addr;
	size_t len;
};

struct tkey {
	unsigned int key;
	unsigned char *p;
	int len;
	bool live;
	bool enabled;
};

struct target {
	size_t page;
	size_t size;
	unsigned char *base;	/* NR_PAGES pages */
	unsigned char *image;	/* what they must hold */
	unsigned char *reg;	/* the region of keys[0] */
	struct tkey keys[MAX_KEYS];
	struct req *q;		/* shared with the accessors */
	struct mpx_instance inst;	/* tracing mpx_remote, when made */
};

static bool in_target(const struct target *t, uintptr_t a)
{
	return a >= (uintptr_t)t->base && a < (uintptr_t)t->base + t->size;
}

/* Put secret bytes at [@p, @p + @len) (what lies inside the mapping). */
static void fill_secret(struct target *t, unsigned char *p, int len)
{
	int i;

	for (i = 0; i < len; i++) {
		if (!in_target(t, (uintptr_t)p + i))
			continue;
		p[i] = secret_byte((uintptr_t)p + i);
		t->image[p + i - t->base] = p[i];
	}
}

/* CREATE a key guarding [@p, @p + @len); its index in t->keys, or -1. */
static int tkey_create(struct target *t, unsigned char *p, int len)
{
	int i, key;

	for (i = 0; i < MAX_KEYS && t->keys[i].live; i++)
		;
	if (i == MAX_KEYS)
		return -1;
	fill_secret(t, p, len);
	key = mpx(p, len, 0, MPX_OP_CREATE);
	if (key <= 0)
		return -1;
	t->keys[i] = (struct tkey){ .key = key, .p = p, .len = len,
				    .live = true };
	return i;
}

/* ENABLE, DISABLE or FREE key @i; what mpx() returns. */
static int tkey_op(struct target *t, int i, int op)
{
	int ret = mpx(NULL, 0, t->keys[i].key, op);

	if (ret)
		return ret;
	if (op == MPX_OP_ENABLE)
		t->keys[i].enabled = true;
	else if (op == MPX_OP_DISABLE)
		t->keys[i].enabled = false;
	else if (op == MPX_OP_FREE)
		t->keys[i].live = false;
	return 0;
}

/* SET key @i to [@p, @p + @len), which gets secret bytes. */
static int tkey_set(struct target *t, int i, unsigned char *p, int len)
{
	int ret;

	fill_secret(t, p, len);
	ret = mpx(p, len, t->keys[i].key, MPX_OP_SET);
	if (!ret) {
		t->keys[i].p = p;
		t->keys[i].len = len;
	}
	return ret;
}

/* The regions enabled keys protect; how many. */
static int target_prot(const struct target *t, struct range *r)
{
	int i, n = 0;

	for (i = 0; i < MAX_KEYS; i++) {
		if (!t->keys[i].live || !t->keys[i].enabled)
			continue;
		r[n].addr = (uintptr_t)t->keys[i].p;
		r[n].len = t->keys[i].len;
		n++;
	}
	return n;
}

/* The bytes of [@addr, @addr + @len) before the first protected one. */
static size_t unprotected_prefix(const struct range *r, int n,
				 uintptr_t addr, size_t len)
{
	size_t prefix = len;
	int i;

	for (i = 0; i < n; i++) {
		if (r[i].addr >= addr + len || r[i].addr + r[i].len <= addr)
			continue;
		if (r[i].addr <= addr)
			return 0;
		if (r[i].addr - addr < prefix)
			prefix = r[i].addr - addr;
	}
	return prefix;
}

/* The bytes @q should transfer before the first protected one. */
static size_t expected_count(const struct req *q, const struct range *r,
			     int n)
{
	size_t count = 0, p;
	int i;

	for (i = 0; i < q->nseg; i++) {
		p = unprotected_prefix(r, n, q->seg[i].addr, q->seg[i].len);
		count += p;
		if (p < q->seg[i].len)
			break;
	}
	if (is_ptrace(q->path) && count < req_total(q))
		return 0;
	return count;
}

static const char *describe(const struct req *q)
{
	static char text[256];
	size_t len;
	int i;

	len = snprintf(text, sizeof(text), "%s of pid %d:", path_names[q->path],
		       q->target);
	for (i = 0; i < q->nseg && len < sizeof(text); i++)
		len += snprintf(text + len, sizeof(text) - len, " [%#lx, +%zu)",
				(unsigned long)q->seg[i].addr, q->seg[i].len);
	return text;
}

/*
 * Check what the accessor got for @q (made on the owner of @t, or on an
 * unprotected copy of its memory if !@protect) against the interface,
 * and update t->image with what a write changed.
 */
static void expect_access(struct __test_metadata *_metadata,
			  struct target *t, const struct req *q, bool protect)
{
	struct range prot[MAX_KEYS];
	int nprot = protect ? target_prot(t, prot) : 0;
	size_t total = req_total(q), n = expected_count(q, prot, nprot);
	size_t idx = 0, j, bad = total;
	unsigned char want[BUF_MAX];
	long ret = n;
	int err = 0, i;

	ASSERT_TRUE(q->done) TH_LOG("%s: the accessor died", describe(q));
	ASSERT_EQ(0, q->setup_err) TH_LOG("%s: accessor setup: %s",
					  describe(q),
					  strerror(q->setup_err));
	ASSERT_GE((size_t)BUF_MAX, total);
	if (!n) {
		ret = -1;
		err = is_pv(q->path) ? EPERM : EIO;
	}
	EXPECT_EQ(ret, q->ret) TH_LOG("%s: errno %s", describe(q),
				      strerror(q->err));
	if (ret < 0)
		EXPECT_EQ(err, q->err) TH_LOG("%s: got %s, not %s",
					      describe(q), strerror(q->err),
					      strerror(err));
	/* What the buffer and the target must hold now. */
	for (i = 0; i < q->nseg; i++) {
		for (j = 0; j < q->seg[i].len; j++, idx++) {
			uintptr_t a = q->seg[i].addr + j;

			ASSERT_TRUE(in_target(t, a));
			if (!is_write(q->path)) {
				want[idx] = idx < n ? t->image[a - (uintptr_t)
							      t->base] : FILL;
				continue;
			}
			want[idx] = data_byte(idx);
			if (idx < n)
				t->image[a - (uintptr_t)t->base] = want[idx];
		}
	}
	if (!is_write(q->path)) {
		for (j = 0; j < total && bad == total; j++)
			if (q->buf[j] != want[j])
				bad = j;
		EXPECT_EQ(total, bad)
			TH_LOG("%s: byte %zu of the buffer is %#x, not %#x%s",
			       describe(q), bad, q->buf[bad], want[bad],
			       q->buf[bad] & 0x80 ? " (a protected byte)" : "");
		return;
	}
	for (j = 0; j < t->size && bad == total; j++)
		if (t->base[j] != t->image[j])
			bad = j;
	EXPECT_EQ(total, bad)
		TH_LOG("%s: target byte %#lx is %#x, not %#x", describe(q),
		       (unsigned long)t->base + bad, t->base[bad],
		       t->image[bad]);
	/* Whatever happened, check the next access against it. */
	memcpy(t->image, t->base, t->size);
}

/* One access of @len bytes at @addr by an accessor, checked. */
static void check_access(struct __test_metadata *_metadata, struct target *t,
			 int path, const void *addr, size_t len)
{
	req_init(t->q, path, getpid());
	req_seg(t->q, addr, len);
	ASSERT_EQ(0, run_access(t->q)) TH_LOG("%s", describe(t->q));
	expect_access(_metadata, t, t->q, true);
}

/* ---- the module's files ---- */

/* The whole of @path, NUL-terminated, malloc'd; NULL on error. */
static char *read_all(const char *path)
{
	size_t size = 65536;
	char *buf = malloc(size);
	long n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	n = read_fd(fd, (unsigned char *)buf, size - 1, 0);
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static int set_policy(const char *policy)
{
	return mpx_write_str(REMOTE_PARAM, policy);
}

/* The policy without its newline, into @buf; 0 or -1. */
static int get_policy(char *buf, size_t size)
{
	char *text = read_all(REMOTE_PARAM);

	if (!text)
		return -1;
	snprintf(buf, size, "%.*s", (int)strcspn(text, "\n"), text);
	free(text);
	return 0;
}

/* The word after "@name " in debugfs mpx/state, into @val; 0 or -1. */
static int state_word(const char *name, char *val, size_t size)
{
	char *text = read_all(STATE_FILE), *line, *save = NULL;
	size_t n = strlen(name);
	int ret = -1;

	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, name, n) || line[n] != ' ')
			continue;
		snprintf(val, size, "%s", line + n + 1);
		ret = 0;
	}
	free(text);
	return ret;
}

static bool state_is(const char *name, const char *val)
{
	char word[64];

	return !state_word(name, word, sizeof(word)) && !strcmp(word, val);
}

static long long elapsed_us(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000000LL +
	       (now.tv_nsec - since->tv_nsec) / 1000;
}

static long long elapsed_ms(const struct timespec *since)
{
	return elapsed_us(since) / 1000;
}

/* Wait up to @ms for debugfs to say "remote_hooks @val"; the ms it took. */
static long long wait_hooks(const char *val, int ms)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!state_is("remote_hooks", val)) {
		if (elapsed_ms(&start) > ms)
			return -1;
		usleep(20000);
	}
	return elapsed_ms(&start);
}

/* The policy when the program started, before any test changed it. */
static char initial_policy[32];

static void __attribute__((constructor)) read_initial_policy(void)
{
	if (get_policy(initial_policy, sizeof(initial_policy)))
		snprintf(initial_policy, sizeof(initial_policy), "(%s)",
			 strerror(errno));
}

/* ---- events: a tracefs instance with mpx_remote enabled ---- */

/* Trace mpx_remote in instances/mpx_remote_test-<pid>. */
static int inst_make(struct target *t)
{
	const char *root = mpx_tracefs_root();
	char name[64];

	if (!root)
		return -1;
	snprintf(name, sizeof(name), "mpx_remote_test-%d", getpid());
	if (mpx_instance_make(&t->inst, root, name))
		return -1;
	return mpx_instance_event_write(&t->inst, "mpx_remote", "enable",
					"1");
}

/* The instance's events so far; malloc'd. */
static char *inst_trace(const struct target *t)
{
	char path[PATH_MAX + 8];

	snprintf(path, sizeof(path), "%s/trace", t->inst.path);
	return read_all(path);
}

struct rev {
	int pid, tid, target;
	unsigned int key;
	unsigned long addr, len;
	char comm[32], access[8], path[16];
	int denied;
};

/* The mpx_remote events of @text, at most @max; how many. */
static int parse_events(const char *text, struct rev *ev, int max)
{
	const char *p;
	int n = 0;

	for (p = strstr(text, "mpx_remote: "); p && n < max;
	     p = strstr(p + 1, "mpx_remote: ")) {
		struct rev *e = &ev[n];

		if (sscanf(p,
			   "mpx_remote: pid=%d tid=%d comm=%31s target_pid=%d key=%u addr=0x%lx len=%lu access=%7s path=%15s denied=%d",
			   &e->pid, &e->tid, e->comm, &e->target, &e->key,
			   &e->addr, &e->len, e->access, e->path,
			   &e->denied) != 10)
			e->denied = -1;		/* garbled: matches nothing */
		n++;
	}
	return n;
}

static int count_events(const struct target *t)
{
	struct rev ev[64];
	char *text = inst_trace(t);
	int n;

	if (!text)
		return -1;
	n = parse_events(text, ev, 64);
	free(text);
	return n;
}

/* The line the event for @q should be, with @addr, @len, @denied. */
static void event_line(char *line, size_t size, const struct req *q,
		       unsigned int key, uintptr_t addr, size_t len,
		       int denied)
{
	snprintf(line, size,
		 "mpx_remote: pid=%d tid=%d comm=%s target_pid=%d key=%u addr=0x%lx len=%lu access=%s path=%s denied=%d\n",
		 q->pid, q->tid, ACC_COMM, q->target, key,
		 (unsigned long)addr, (unsigned long)len,
		 is_write(q->path) ? "write" : "read", event_path(q->path),
		 denied);
}

/* ---- fixtures ---- */

/* Setup common to the fixtures: key 0 guards t->reg, enabled. */
static void target_setup(struct __test_metadata *_metadata, struct target *t)
{
	size_t i;

	ASSERT_EQ(0, access(REMOTE_PARAM, F_OK))
		TH_LOG("%s: %s: the module has no remote-access protection",
		       REMOTE_PARAM, strerror(errno));
	ASSERT_EQ(0, set_policy("deny")) TH_LOG("%s: %s", REMOTE_PARAM,
						strerror(errno));
	ASSERT_LE(0, mpx_fd()) TH_LOG("%s: %s", LIBMPX_DEVICE,
				      strerror(errno));
	t->page = getpagesize();
	t->size = NR_PAGES * t->page;
	t->base = mmap(NULL, t->size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(t->base != MAP_FAILED);
	t->image = malloc(t->size);
	ASSERT_TRUE(t->image != NULL);
	for (i = 0; i < t->size; i++)
		t->base[i] = canary_byte((uintptr_t)t->base + i);
	memcpy(t->image, t->base, t->size);
	t->q = mmap(NULL, sizeof(*t->q), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(t->q != MAP_FAILED);
	t->reg = t->base + t->page + REG_OFF;
	ASSERT_EQ(0, tkey_create(t, t->reg, REG_LEN))
		TH_LOG("CREATE: %s", strerror(errno));
	ASSERT_EQ(0, tkey_op(t, 0, MPX_OP_ENABLE)) TH_LOG("ENABLE: %s",
							  strerror(errno));
}

static void target_teardown(struct __test_metadata *_metadata,
			    struct target *t)
{
	EXPECT_EQ(0, set_policy("deny"));
	EXPECT_EQ(0, mpx_instance_remove(&t->inst));
	if (t->q)
		munmap(t->q, sizeof(*t->q));
	if (t->base)
		munmap(t->base, t->size);
	free(t->image);
}

/*
 * path: every path x every case. Each test makes one access of the
 * path's size (ACC_LEN, or a word for ptrace) at a place relative to the
 * region [R, R + REG_LEN) and checks it with expect_access().
 */
FIXTURE(path) {
	struct target t;
};

FIXTURE_VARIANT(path) {
	int path;
};

FIXTURE_VARIANT_ADD(path, pv_read) { .path = PV_READ };
FIXTURE_VARIANT_ADD(path, pv_write) { .path = PV_WRITE };
FIXTURE_VARIANT_ADD(path, mem_read) { .path = MEM_READ };
FIXTURE_VARIANT_ADD(path, mem_write) { .path = MEM_WRITE };
FIXTURE_VARIANT_ADD(path, peekdata) { .path = PEEKDATA };
FIXTURE_VARIANT_ADD(path, pokedata) { .path = POKEDATA };
FIXTURE_VARIANT_ADD(path, peektext) { .path = PEEKTEXT };
FIXTURE_VARIANT_ADD(path, poketext) { .path = POKETEXT };

FIXTURE_SETUP(path)
{
	target_setup(_metadata, &self->t);
}

FIXTURE_TEARDOWN(path)
{
	target_teardown(_metadata, &self->t);
}

/* One access of the path's size at @addr, checked. */
static void check_at(struct __test_metadata *_metadata, struct target *t,
		     int path, const unsigned char *addr)
{
	check_access(_metadata, t, path, addr, acc_len(path));
}

TEST_F(path, inside)
{
	check_at(_metadata, &self->t, variant->path, self->t.reg + 16);
}

TEST_F(path, at_start)
{
	check_at(_metadata, &self->t, variant->path, self->t.reg);
}

TEST_F(path, at_last_byte)
{
	check_at(_metadata, &self->t, variant->path, self->t.reg + REG_LEN - 1);
}

TEST_F(path, overlapping_start)
{
	size_t len = acc_len(variant->path);

	check_at(_metadata, &self->t, variant->path, self->t.reg - len / 2);
}

TEST_F(path, overlapping_start_by_one_byte)
{
	size_t len = acc_len(variant->path);

	check_at(_metadata, &self->t, variant->path, self->t.reg - len + 1);
}

TEST_F(path, overlapping_end)
{
	size_t len = acc_len(variant->path);

	check_at(_metadata, &self->t, variant->path,
		 self->t.reg + REG_LEN - len / 2);
}

TEST_F(path, same_page_just_before)
{
	size_t len = acc_len(variant->path);

	check_at(_metadata, &self->t, variant->path, self->t.reg - len);
}

TEST_F(path, same_page_just_after)
{
	check_at(_metadata, &self->t, variant->path, self->t.reg + REG_LEN);
}

TEST_F(path, across_pages_up_to_region)
{
	/* From the page before; for all but ptrace a page long. */
	size_t len = is_ptrace(variant->path) ? WORD : self->t.page;

	check_access(_metadata, &self->t, variant->path,
		     self->t.base + self->t.page - 100, len);
}

TEST_F(path, spanning_a_small_region)
{
	unsigned char *small = self->t.reg + REG_LEN + 256;
	size_t len = acc_len(variant->path);
	int k = tkey_create(&self->t, small, 2);

	ASSERT_LE(0, k);
	ASSERT_EQ(0, tkey_op(&self->t, k, MPX_OP_ENABLE));
	check_at(_metadata, &self->t, variant->path, small - len / 2 + 1);
}

TEST_F(path, after_disable)
{
	size_t len = acc_len(variant->path);

	ASSERT_EQ(0, tkey_op(&self->t, 0, MPX_OP_DISABLE));
	check_at(_metadata, &self->t, variant->path, self->t.reg + 16);
	check_at(_metadata, &self->t, variant->path, self->t.reg - len / 2);
}

TEST_F(path, after_free)
{
	size_t len = acc_len(variant->path);

	ASSERT_EQ(0, tkey_op(&self->t, 0, MPX_OP_DISABLE));
	ASSERT_EQ(0, tkey_op(&self->t, 0, MPX_OP_FREE));
	check_at(_metadata, &self->t, variant->path, self->t.reg + 16);
	check_at(_metadata, &self->t, variant->path,
		 self->t.reg + REG_LEN - len / 2);
}

TEST_F(path, enabled_again)
{
	ASSERT_EQ(0, tkey_op(&self->t, 0, MPX_OP_DISABLE));
	check_at(_metadata, &self->t, variant->path, self->t.reg + 16);
	ASSERT_EQ(0, tkey_op(&self->t, 0, MPX_OP_ENABLE));
	check_at(_metadata, &self->t, variant->path, self->t.reg + 16);
}

TEST_F(path, disabled_key_beside_enabled_one)
{
	unsigned char *next = self->t.reg + REG_LEN;
	size_t len = acc_len(variant->path);
	int k = tkey_create(&self->t, next, 128);

	/* Never enabled: its bytes are as readable as any. */
	ASSERT_LE(0, k);
	check_at(_metadata, &self->t, variant->path, next + 8);
	check_at(_metadata, &self->t, variant->path, self->t.reg - len / 2);
}

TEST_F(path, set_moves_the_region)
{
	unsigned char *to = self->t.base + 2 * self->t.page + 256;
	size_t len = acc_len(variant->path);

	ASSERT_EQ(0, tkey_set(&self->t, 0, to, REG_LEN));
	check_at(_metadata, &self->t, variant->path, self->t.reg + 16);
	check_at(_metadata, &self->t, variant->path, to + 16);
	check_at(_metadata, &self->t, variant->path, to - len / 2);
}

/*
 * pv_segments: process_vm_readv/writev with several remote segments
 * stop at the first protected byte in remote-iovec order.
 */
FIXTURE(pv_segments) {
	struct target t;
};

FIXTURE_VARIANT(pv_segments) {
	int path;
};

FIXTURE_VARIANT_ADD(pv_segments, read) { .path = PV_READ };
FIXTURE_VARIANT_ADD(pv_segments, write) { .path = PV_WRITE };

FIXTURE_SETUP(pv_segments)
{
	target_setup(_metadata, &self->t);
}

FIXTURE_TEARDOWN(pv_segments)
{
	target_teardown(_metadata, &self->t);
}

/* One access of the segments @seg[0..@n), checked. */
static void check_segments(struct __test_metadata *_metadata,
			   struct target *t, int path,
			   const struct range *seg, int n)
{
	int i;

	req_init(t->q, path, getpid());
	for (i = 0; i < n; i++)
		req_seg(t->q, (const void *)seg[i].addr, seg[i].len);
	ASSERT_EQ(0, run_access(t->q)) TH_LOG("%s", describe(t->q));
	expect_access(_metadata, t, t->q, true);
}

TEST_F(pv_segments, stops_at_protected_segment)
{
	uintptr_t r = (uintptr_t)self->t.reg;
	const struct range seg[] = {
		{ r - 200, ACC_LEN }, { r + 16, ACC_LEN },
		{ r + REG_LEN + 8, ACC_LEN },
	};

	check_segments(_metadata, &self->t, variant->path, seg,
		       ARRAY_SIZE(seg));
}

TEST_F(pv_segments, stops_inside_overlapping_segment)
{
	uintptr_t r = (uintptr_t)self->t.reg, b = (uintptr_t)self->t.base;
	const struct range seg[] = {
		{ b + 8, ACC_LEN }, { r - 16, ACC_LEN },
		{ r + REG_LEN + 8, ACC_LEN },
	};

	check_segments(_metadata, &self->t, variant->path, seg,
		       ARRAY_SIZE(seg));
}

TEST_F(pv_segments, first_segment_protected)
{
	uintptr_t r = (uintptr_t)self->t.reg;
	const struct range seg[] = {
		{ r + REG_LEN - 8, ACC_LEN }, { r - 200, ACC_LEN },
	};

	check_segments(_metadata, &self->t, variant->path, seg,
		       ARRAY_SIZE(seg));
}

TEST_F(pv_segments, remote_order_not_address_order)
{
	/* The later segment is lower in memory, and protected. */
	uintptr_t r = (uintptr_t)self->t.reg;
	const struct range seg[] = {
		{ r + REG_LEN + 300, ACC_LEN }, { r + 100, ACC_LEN },
		{ r - 200, ACC_LEN },
	};

	check_segments(_metadata, &self->t, variant->path, seg,
		       ARRAY_SIZE(seg));
}

TEST_F(pv_segments, all_segments_outside)
{
	uintptr_t r = (uintptr_t)self->t.reg, b = (uintptr_t)self->t.base;
	const struct range seg[] = {
		{ r - 200, ACC_LEN }, { r + REG_LEN, ACC_LEN },
		{ b, ACC_LEN }, { b + 2 * self->t.page + 100, ACC_LEN },
	};

	check_segments(_metadata, &self->t, variant->path, seg,
		       ARRAY_SIZE(seg));
}

TEST_F(pv_segments, empty_segment_inside_region)
{
	/* An empty segment holds no byte, protected or not. */
	uintptr_t r = (uintptr_t)self->t.reg;
	const struct range seg[] = {
		{ r - 200, ACC_LEN }, { r + 10, 0 }, { r - 8, ACC_LEN },
	};

	check_segments(_metadata, &self->t, variant->path, seg,
		       ARRAY_SIZE(seg));
}

/* remote: everything that is not one path at one place. */
FIXTURE(remote) {
	struct target t;
};

FIXTURE_SETUP(remote)
{
	target_setup(_metadata, &self->t);
}

FIXTURE_TEARDOWN(remote)
{
	target_teardown(_metadata, &self->t);
}

/* ---- the policy ---- */

TEST_F(remote, policy_default_is_deny)
{
	char word[64];

	EXPECT_STREQ("deny", initial_policy);
	ASSERT_EQ(0, state_word("remote", word, sizeof(word)))
		TH_LOG("no 'remote' line in %s", STATE_FILE);
	EXPECT_STREQ("deny", word);
}

TEST_F(remote, policy_values)
{
	static const char *const writes[] = {
		"report", "off", "deny", "off\n", "report\n", "deny\n",
	};
	char want[16], got[16], word[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(writes); i++) {
		snprintf(want, sizeof(want), "%.*s",
			 (int)strcspn(writes[i], "\n"), writes[i]);
		EXPECT_EQ(0, set_policy(writes[i]))
			TH_LOG("write '%s': %s", want, strerror(errno));
		ASSERT_EQ(0, get_policy(got, sizeof(got)));
		EXPECT_STREQ(want, got);
		ASSERT_EQ(0, state_word("remote", word, sizeof(word)));
		EXPECT_STREQ(want, word);
	}
}

TEST_F(remote, policy_invalid_rejected)
{
	static const char *const bad[] = {
		"bogus", "den", "denyx", "deny deny", "1", "reportoff",
	};
	char got[16];
	size_t i;

	ASSERT_EQ(0, set_policy("report"));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		EXPECT_EQ(-1, set_policy(bad[i])) TH_LOG("'%s' accepted",
							 bad[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("'%s': %s", bad[i],
						strerror(errno));
		ASSERT_EQ(0, get_policy(got, sizeof(got)));
		EXPECT_STREQ("report", got);
	}
}

static int try_set_policy_as_nobody(void)
{
	if (become(NOBODY))
		return 100;
	if (!set_policy("off"))
		return 101;
	return errno;
}

TEST_F(remote, policy_writable_by_root_only)
{
	char got[16];
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(try_set_policy_as_nobody());
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(EACCES, WEXITSTATUS(status));
	ASSERT_EQ(0, get_policy(got, sizeof(got)));
	EXPECT_STREQ("deny", got);
}

TEST_F(remote, root_refused_under_deny)
{
	static const int paths[] = { PV_READ, PV_WRITE, MEM_READ, MEM_WRITE,
				     PEEKDATA, POKEDATA };
	size_t i;

	if (geteuid())
		SKIP(return, "needs root, which the test VM gives");
	for (i = 0; i < ARRAY_SIZE(paths); i++)
		check_access(_metadata, &self->t, paths[i], self->t.reg + 16,
			     acc_len(paths[i]));
}

/*
 * Under report and off, inside accesses through every path succeed as if
 * there were no key; report emits one event per access, denied=0.
 */
static void allowed_paths(struct __test_metadata *_metadata,
			  struct target *t, const char *policy, bool events)
{
	static const int paths[] = { PV_READ, PV_WRITE, MEM_READ, MEM_WRITE,
				     PEEKDATA, POKEDATA };
	char line[256], *text;
	long denied;
	size_t i;

	ASSERT_EQ(0, inst_make(t))
		TH_LOG("tracefs instance: %s", strerror(errno));
	ASSERT_EQ(0, set_policy(policy));
	denied = state_value("remote_denied");
	ASSERT_LE(0, denied) TH_LOG("no remote_denied in %s", STATE_FILE);
	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		req_init(t->q, paths[i], getpid());
		req_seg(t->q, t->reg + 16, acc_len(paths[i]));
		ASSERT_EQ(0, run_access(t->q));
		expect_access(_metadata, t, t->q, false);
		if (!events)
			continue;
		text = inst_trace(t);
		ASSERT_TRUE(text != NULL);
		event_line(line, sizeof(line), t->q, t->keys[0].key,
			   (uintptr_t)t->reg + 16, acc_len(paths[i]), 0);
		EXPECT_TRUE(strstr(text, line) != NULL)
			TH_LOG("no %s in:\n%s", line, text);
		free(text);
	}
	EXPECT_EQ(events ? (int)ARRAY_SIZE(paths) : 0, count_events(t));
	EXPECT_EQ(denied, state_value("remote_denied"));
}

TEST_F(remote, report_allows_and_emits)
{
	allowed_paths(_metadata, &self->t, "report", true);
}

TEST_F(remote, off_allows_and_emits_nothing)
{
	allowed_paths(_metadata, &self->t, "off", false);
}

TEST_F(remote, report_emits_nothing_outside)
{
	ASSERT_EQ(0, inst_make(&self->t));
	ASSERT_EQ(0, set_policy("report"));
	check_access(_metadata, &self->t, PV_READ, self->t.reg - ACC_LEN,
		     ACC_LEN);
	check_access(_metadata, &self->t, MEM_READ, self->t.reg + REG_LEN,
		     ACC_LEN);
	EXPECT_EQ(0, count_events(&self->t));
}

TEST_F_TIMEOUT(remote, deny_after_off_with_enabled_key, 60)
{
	/* Enabled while off (the hooks may stay disarmed), then deny. */
	ASSERT_EQ(0, tkey_op(&self->t, 0, MPX_OP_DISABLE));
	ASSERT_EQ(0, set_policy("off"));
	ASSERT_EQ(0, tkey_op(&self->t, 0, MPX_OP_ENABLE));
	req_init(self->t.q, PV_READ, getpid());
	req_seg(self->t.q, self->t.reg + 16, ACC_LEN);
	ASSERT_EQ(0, run_access(self->t.q));
	expect_access(_metadata, &self->t, self->t.q, false);
	ASSERT_EQ(0, set_policy("deny"));
	check_access(_metadata, &self->t, PV_READ, self->t.reg + 16, ACC_LEN);
	check_access(_metadata, &self->t, MEM_READ, self->t.reg + 16, ACC_LEN);
	EXPECT_TRUE(state_is("remote_hooks", "armed"));
}

/* ---- who is exempt ---- */

/*
 * The owner's own accesses to its region, each of which must work; the
 * region is as it was afterwards. 0, or the first step that failed.
 */
static int own_accesses(const struct target *t)
{
	unsigned char *p = t->reg + 16, buf[ACC_LEN], data[ACC_LEN];
	const unsigned char *was = t->image + (p - t->base);
	struct iovec local = { buf, ACC_LEN }, remote = { p, ACC_LEN };
	off_t off = (off_t)(uintptr_t)p;
	int fd, i, ret = 0;

	for (i = 0; i < ACC_LEN; i++)
		data[i] = data_byte(i);
	memset(buf, FILL, ACC_LEN);
	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != ACC_LEN ||
	    memcmp(buf, was, ACC_LEN))
		return 1;
	local.iov_base = data;
	if (process_vm_writev(getpid(), &local, 1, &remote, 1, 0) != ACC_LEN ||
	    memcmp(p, data, ACC_LEN))
		return 2;
	memcpy(p, was, ACC_LEN);
	fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 3;
	memset(buf, FILL, ACC_LEN);
	if (pread(fd, buf, ACC_LEN, off) != ACC_LEN || memcmp(buf, was, ACC_LEN))
		ret = 4;
	else if (pwrite(fd, data, ACC_LEN, off) != ACC_LEN ||
		 memcmp(p, data, ACC_LEN))
		ret = 5;
	close(fd);
	memcpy(p, was, ACC_LEN);
	return ret;
}

static void *own_accesses_thread(void *arg)
{
	return (void *)(intptr_t)own_accesses(arg);
}

TEST_F(remote, owner_not_refused)
{
	long denied = state_value("remote_denied");

	ASSERT_EQ(0, inst_make(&self->t));
	EXPECT_EQ(0, own_accesses(&self->t))
		TH_LOG("step 1 readv, 2 writev, 3 open, 4 pread, 5 pwrite");
	EXPECT_EQ(0, memcmp(self->t.base, self->t.image, self->t.size));
	EXPECT_EQ(0, count_events(&self->t));
	EXPECT_EQ(denied, state_value("remote_denied"));
}

TEST_F(remote, owner_thread_not_refused)
{
	pthread_t th;
	void *ret;

	ASSERT_EQ(0, inst_make(&self->t));
	ASSERT_EQ(0, pthread_create(&th, NULL, own_accesses_thread, &self->t));
	ASSERT_EQ(0, pthread_join(th, &ret));
	EXPECT_EQ(0, (intptr_t)ret)
		TH_LOG("step 1 readv, 2 writev, 3 open, 4 pread, 5 pwrite");
	EXPECT_EQ(0, count_events(&self->t));
}

/*
 * A fork child is another address space: it holds none of our keys, so
 * its copy of the region is anyone's to read, and it is refused ours.
 */
TEST_F(remote, fork_child_is_another_address_space)
{
	struct req *q = self->t.q;
	int ctl[2], status;
	pid_t child;
	char c;

	ASSERT_EQ(0, pipe(ctl));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		close(ctl[1]);
		_exit(read(ctl[0], &c, 1) < 0);
	}
	close(ctl[0]);
	/* Its copy of the region is readable, by us and by others. */
	req_init(q, PV_READ, child);
	req_seg(q, self->t.reg + 16, ACC_LEN);
	do_access(q);
	expect_access(_metadata, &self->t, q, false);
	req_init(q, MEM_READ, child);
	req_seg(q, self->t.reg, ACC_LEN);
	ASSERT_EQ(0, run_access(q));
	expect_access(_metadata, &self->t, q, false);
	close(ctl[1]);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, status);
	/* Every accessor is a fork child: refused on our region. */
	check_access(_metadata, &self->t, PV_READ, self->t.reg, ACC_LEN);
}

/*
 * A child that owns a key on its copy of the region (enabled) and waits
 * for a byte or EOF on *ctl to exit; uid @uid if not 0. Its pid, or -1.
 */
static pid_t owner_child(struct target *t, uid_t uid, int *ctl)
{
	int up[2], down[2], key, err = 0;
	char c = 0;
	pid_t pid;

	if (pipe(up) || pipe(down))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		close(up[0]);
		close(down[1]);
		if (uid && become(uid))
			err = errno;
		/* Yama ptrace_scope 1: let a non-descendant reach us. */
		prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
		key = err ? -1 : mpx(t->reg, REG_LEN, 0, MPX_OP_CREATE);
		if (!err && (key <= 0 || mpx(NULL, 0, key, MPX_OP_ENABLE)))
			err = errno;
		c = err;
		if (write(up[1], &c, 1) != 1)
			_exit(1);
		_exit(read(down[0], &c, 1) < 0);
	}
	close(up[1]);
	close(down[0]);
	if (read(up[0], &c, 1) != 1 || c) {
		errno = c ? c : EPROTO;
		close(up[0]);
		close(down[1]);
		waitpid(pid, NULL, 0);
		return -1;
	}
	close(up[0]);
	*ctl = down[1];
	return pid;
}

/* An owner and an accessor of the same unprivileged uid. */
TEST_F(remote, same_uid_unprivileged_refused)
{
	static const int paths[] = { PV_READ, MEM_READ, PEEKDATA };
	struct req *q = self->t.q;
	char *scope = read_all(YAMA_SCOPE);
	size_t i;
	pid_t owner;
	int ctl;

	if (scope && atoi(scope) >= 2) {
		free(scope);
		SKIP(return, "Yama ptrace_scope >= 2: only root reaches others");
	}
	free(scope);
	owner = owner_child(&self->t, NOBODY, &ctl);
	ASSERT_LT(0, owner) TH_LOG("owner: %s", strerror(errno));
	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		/* Outside first: the uids let us in at all. */
		req_init(q, paths[i], owner);
		q->uid = NOBODY;
		req_seg(q, self->t.reg - acc_len(paths[i]), acc_len(paths[i]));
		ASSERT_EQ(0, run_access(q));
		expect_access(_metadata, &self->t, q, false);
		req_init(q, paths[i], owner);
		q->uid = NOBODY;
		req_seg(q, self->t.reg + 8, acc_len(paths[i]));
		ASSERT_EQ(0, run_access(q));
		EXPECT_EQ(-1, q->ret) TH_LOG("%s", describe(q));
		EXPECT_EQ(is_pv(paths[i]) ? EPERM : EIO, q->err)
			TH_LOG("%s: %s", describe(q), strerror(q->err));
		EXPECT_FALSE(q->ret > 0 && (q->buf[0] & 0x80));
	}
	close(ctl);
	ASSERT_EQ(owner, waitpid(owner, NULL, 0));
}

/* ---- events and counters ---- */

TEST_F(remote, event_format_has_documented_fields)
{
	static const char *const fields[] = {
		" pid;", " tid;", " comm[", " target_pid;", " key;", " addr;",
		" len;", " write;", " path;", " denied;",
	};
	char *text = read_all("/sys/kernel/tracing/events/mpx/mpx_remote/format");
	char missing[128] = "";
	size_t i;

	ASSERT_TRUE(text != NULL) TH_LOG("no mpx_remote event: %s",
					 strerror(errno));
	for (i = 0; i < ARRAY_SIZE(fields); i++)
		if (!strstr(text, fields[i]))
			strcat(missing, fields[i]);
	EXPECT_STREQ("", missing) TH_LOG("%s", text);
	free(text);
}

TEST_F(remote, event_fields_of_refusals)
{
	static const int paths[] = { PV_READ, PV_WRITE, MEM_READ, MEM_WRITE,
				     PEEKDATA, POKEDATA, PEEKTEXT, POKETEXT };
	char lines[ARRAY_SIZE(paths)][256], *text;
	long denied = state_value("remote_denied");
	size_t i;

	ASSERT_LE(0, denied) TH_LOG("no remote_denied in %s", STATE_FILE);
	ASSERT_EQ(0, inst_make(&self->t)) TH_LOG("tracefs instance: %s",
						 strerror(errno));
	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		unsigned char *at = self->t.reg + 16 + 8 * i;

		check_access(_metadata, &self->t, paths[i], at,
			     acc_len(paths[i]));
		event_line(lines[i], sizeof(lines[i]), self->t.q,
			   self->t.keys[0].key, (uintptr_t)at,
			   acc_len(paths[i]), 1);
	}
	text = inst_trace(&self->t);
	ASSERT_TRUE(text != NULL);
	for (i = 0; i < ARRAY_SIZE(paths); i++)
		EXPECT_TRUE(strstr(text, lines[i]) != NULL)
			TH_LOG("no %s in:\n%s", lines[i], text);
	EXPECT_EQ((int)ARRAY_SIZE(paths), count_events(&self->t))
		TH_LOG("one event per refused access:\n%s", text);
	EXPECT_EQ(denied + (long)ARRAY_SIZE(paths),
		  state_value("remote_denied"));
	free(text);
}

TEST_F(remote, event_names_the_accessing_thread)
{
	struct req *q = self->t.q;
	char line[256], *text;

	ASSERT_EQ(0, inst_make(&self->t));
	req_init(q, PV_READ, getpid());
	q->thread = true;
	req_seg(q, self->t.reg + 16, ACC_LEN);
	ASSERT_EQ(0, run_access(q));
	expect_access(_metadata, &self->t, q, true);
	EXPECT_NE(q->pid, q->tid);
	event_line(line, sizeof(line), q, self->t.keys[0].key,
		   (uintptr_t)self->t.reg + 16, ACC_LEN, 1);
	text = inst_trace(&self->t);
	ASSERT_TRUE(text != NULL);
	EXPECT_TRUE(strstr(text, line) != NULL)
		TH_LOG("no %s in:\n%s", line, text);
	free(text);
}

TEST_F(remote, event_names_the_overlapping_segment)
{
	struct req *q = self->t.q;
	char line[256], *text;

	ASSERT_EQ(0, inst_make(&self->t));
	req_init(q, PV_WRITE, getpid());
	req_seg(q, self->t.reg - 200, ACC_LEN);
	req_seg(q, self->t.reg - 16, 48);
	req_seg(q, self->t.reg + 300, ACC_LEN);
	ASSERT_EQ(0, run_access(q));
	expect_access(_metadata, &self->t, q, true);
	event_line(line, sizeof(line), q, self->t.keys[0].key,
		   (uintptr_t)self->t.reg - 16, 48, 1);
	text = inst_trace(&self->t);
	ASSERT_TRUE(text != NULL);
	EXPECT_TRUE(strstr(text, line) != NULL)
		TH_LOG("no %s in:\n%s", line, text);
	EXPECT_EQ(1, count_events(&self->t)) TH_LOG("%s", text);
	free(text);
}

/* Partial /proc/PID/mem reads: every event is a chunk meeting the region. */
TEST_F(remote, event_of_partial_proc_mem_read)
{
	uintptr_t from = (uintptr_t)self->t.reg - 32;
	uintptr_t reg = (uintptr_t)self->t.reg;
	struct rev ev[8];
	char *text;
	int n, i;

	ASSERT_EQ(0, inst_make(&self->t));
	check_access(_metadata, &self->t, MEM_READ, self->t.reg - 32,
		     ACC_LEN);
	text = inst_trace(&self->t);
	ASSERT_TRUE(text != NULL);
	n = parse_events(text, ev, 8);
	EXPECT_LE(1, n);
	EXPECT_GE(2, n) TH_LOG("%s", text);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(1, ev[i].denied) TH_LOG("%s", text);
		EXPECT_STREQ("proc_mem", ev[i].path);
		EXPECT_STREQ("read", ev[i].access);
		EXPECT_EQ(getpid(), ev[i].target);
		EXPECT_EQ(self->t.keys[0].key, ev[i].key);
		EXPECT_LE(from, ev[i].addr);
		EXPECT_GE(from + ACC_LEN, ev[i].addr + ev[i].len);
		EXPECT_LT(reg, ev[i].addr + ev[i].len) TH_LOG("%s", text);
	}
	/* The first is the chunk the kernel tried to copy. */
	if (n) {
		EXPECT_EQ(from, ev[0].addr);
		EXPECT_EQ((unsigned long)ACC_LEN, ev[0].len);
	}
	free(text);
}

TEST_F(remote, no_event_outside)
{
	static const int paths[] = { PV_READ, PV_WRITE, MEM_READ, MEM_WRITE,
				     PEEKDATA, POKEDATA };
	long denied = state_value("remote_denied");
	size_t i;

	ASSERT_EQ(0, inst_make(&self->t));
	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		check_access(_metadata, &self->t, paths[i],
			     self->t.reg - acc_len(paths[i]),
			     acc_len(paths[i]));
		check_access(_metadata, &self->t, paths[i],
			     self->t.reg + REG_LEN, acc_len(paths[i]));
	}
	EXPECT_EQ(0, count_events(&self->t));
	EXPECT_EQ(denied, state_value("remote_denied"));
}

/* ---- the hooks ---- */

TEST_F_TIMEOUT(remote, hooks_armed_while_a_key_is_enabled, 90)
{
	struct mpx_info info;
	long long ms;
	pid_t owner;
	int ctl, k;

	EXPECT_TRUE(state_is("remote_hooks", "armed"))
		TH_LOG("not armed after ENABLE");
	ASSERT_EQ(0, tkey_op(&self->t, 0, MPX_OP_DISABLE));
	ms = wait_hooks("disarmed", HOOKS_WAIT_MS);
	EXPECT_LE(0, ms) TH_LOG("still armed %d ms after DISABLE",
				HOOKS_WAIT_MS);
	TH_LOG("disarmed %lld ms after DISABLE", ms);

	/* Armed before ENABLE returns. */
	ASSERT_EQ(0, tkey_op(&self->t, 0, MPX_OP_ENABLE));
	EXPECT_TRUE(state_is("remote_hooks", "armed"));
	check_access(_metadata, &self->t, PV_READ, self->t.reg, ACC_LEN);
	/* A second enabled key keeps them armed after the first goes. */
	k = tkey_create(&self->t, self->t.reg + REG_LEN + 64, 64);
	ASSERT_LE(0, k);
	ASSERT_EQ(0, tkey_op(&self->t, k, MPX_OP_ENABLE));
	ASSERT_EQ(0, tkey_op(&self->t, 0, MPX_OP_DISABLE));
	ASSERT_EQ(0, tkey_op(&self->t, 0, MPX_OP_FREE));
	usleep(2500000);
	EXPECT_TRUE(state_is("remote_hooks", "armed"));
	check_access(_metadata, &self->t, MEM_READ, self->t.reg + REG_LEN + 64,
		     ACC_LEN);
	ASSERT_EQ(0, tkey_op(&self->t, k, MPX_OP_DISABLE));
	ASSERT_EQ(0, tkey_op(&self->t, k, MPX_OP_FREE));
	EXPECT_LE(0, wait_hooks("disarmed", HOOKS_WAIT_MS))
		TH_LOG("still armed %d ms after FREE", HOOKS_WAIT_MS);

	/* Another process's enabled key, gone with it at exit. */
	owner = owner_child(&self->t, 0, &ctl);
	ASSERT_LT(0, owner) TH_LOG("owner: %s", strerror(errno));
	EXPECT_TRUE(state_is("remote_hooks", "armed"));
	close(ctl);
	ASSERT_EQ(owner, waitpid(owner, NULL, 0));
	EXPECT_LE(0, wait_hooks("disarmed", HOOKS_WAIT_MS))
		TH_LOG("still armed %d ms after the owner's exit",
		       HOOKS_WAIT_MS);

	/* An ENABLE that cannot enable a key arms nothing. */
	k = mpx(self->t.reg, 64, 0, MPX_OP_CREATE);
	ASSERT_LT(0, k);
	ASSERT_EQ(0, mpx(NULL, 0, k, MPX_OP_FREE));
	EXPECT_EQ(-1, mpx(NULL, 0, k, MPX_OP_ENABLE));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, mpx_info(&info));
	if (info.mode == MPX_MODE_SW) {
		k = mpx(self->t.reg, 64, 0, MPX_OP_CREATE);
		ASSERT_LT(0, k);
		EXPECT_EQ(-1, mpx(NULL, 0, k, MPX_OP_ENABLE_HW));
		EXPECT_EQ(EOPNOTSUPP, errno);
		EXPECT_EQ(0, mpx(NULL, 0, k, MPX_OP_FREE));
	}
	EXPECT_TRUE(state_is("remote_hooks", "disarmed"))
		TH_LOG("a failed ENABLE armed the hooks");
}

/* ---- /proc/PID/cmdline and environ (access_remote_vm) ---- */

/* The argument and environment areas of our mm, from /proc/self/stat. */
struct mm_areas {
	unsigned long arg_start, arg_end, env_start, env_end;
};

static int mm_areas(struct mm_areas *m)
{
	char *text = read_all("/proc/self/stat"), *p;
	int field, ret = -1;

	p = text ? strrchr(text, ')') : NULL;
	/* Fields 48-51, counted from the state (field 3) after the comm. */
	for (field = 2; p && field < 48; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p && sscanf(p, "%lu %lu %lu %lu", &m->arg_start, &m->arg_end,
			&m->env_start, &m->env_end) == 4)
		ret = 0;
	free(text);
	return ret;
}

/*
 * Another process reads /proc/PID/cmdline or environ (@path), the
 * contents of [@area, @area_end) of our memory, @chunk bytes a read() (0:
 * all at once): up to the first protected byte when @refused, all of it
 * otherwise. environ_read() drops what one read() had copied when a later
 * chunk of it fails (ret = retval), so a read() of more than a byte that
 * reaches a region returns 0 (EOF) on the kernels here; only 1-byte reads
 * return exactly the bytes before it. A region is never read past.
 */
static void check_proc_file(struct __test_metadata *_metadata,
			    struct target *t, int path, unsigned long area,
			    unsigned long area_end, bool refused, size_t chunk)
{
	size_t len = area_end - area, want = len, n, j;
	struct range prot[MAX_KEYS];
	int nprot = target_prot(t, prot);
	struct req *q = t->q;

	if (refused) {
		want = unprotected_prefix(prot, nprot, area, len);
		ASSERT_GT(len, want);
	}
	n = want < BUF_MAX ? want : BUF_MAX;
	req_init(q, path, getpid());
	q->chunk = chunk;
	ASSERT_EQ(0, run_access(q));
	ASSERT_TRUE(q->done);
	ASSERT_EQ(0, q->setup_err) TH_LOG("%s", strerror(q->setup_err));
	if (path == ENVIRON && refused && !chunk && !q->ret)
		TH_LOG("environ: a read() that reached the region returned 0");
	else
		EXPECT_EQ((long)n, q->ret) TH_LOG("%s, %zu bytes a read(): %s",
						  path_names[path], chunk,
						  strerror(q->err));
	/* What was copied is the area's; nothing from the region on. */
	for (j = 0; j < n; j++)
		if (q->buf[j] != ((char *)area)[j] &&
		    (q->ret || q->buf[j] != FILL))
			break;
	EXPECT_EQ(n, j) TH_LOG("byte %zu differs", j);
	if (n < BUF_MAX)
		EXPECT_EQ(FILL, q->buf[n]) TH_LOG("%s read past the region",
						  path_names[path]);
}

/* Key 1 on [@p, @p + @len) of our own argument/environment area. */
static int area_key(struct target *t, unsigned long p, int len)
{
	int k = tkey_create(t, (unsigned char *)p, len);

	if (k < 0 || tkey_op(t, k, MPX_OP_ENABLE))
		return -1;
	return k;
}

/* At least one event for @key, and all of them path "other". */
static void expect_other_events(struct __test_metadata *_metadata,
				const struct target *t, unsigned int key)
{
	char *text = inst_trace(t);
	struct rev ev[8];
	int n, i;

	ASSERT_TRUE(text != NULL);
	n = parse_events(text, ev, 8);
	EXPECT_LE(1, n);
	for (i = 0; i < n; i++) {
		EXPECT_STREQ("other", ev[i].path) TH_LOG("%s", text);
		EXPECT_EQ(key, ev[i].key);
		EXPECT_EQ(getpid(), ev[i].target);
		EXPECT_STREQ("read", ev[i].access);
		EXPECT_EQ(1, ev[i].denied);
	}
	free(text);
}

TEST_F(remote, cmdline_stops_before_region)
{
	struct mm_areas m;
	char *mine;
	int k;

	ASSERT_EQ(0, mm_areas(&m));
	ASSERT_LT(m.arg_start + 6, m.arg_end) TH_LOG("argv[0] too short");
	ASSERT_EQ(0, inst_make(&self->t));
	k = area_key(&self->t, m.arg_start + 3, 2);
	ASSERT_LE(0, k) TH_LOG("key on the arguments: %s", strerror(errno));
	check_proc_file(_metadata, &self->t, CMDLINE, m.arg_start, m.arg_end,
			true, 0);
	check_proc_file(_metadata, &self->t, CMDLINE, m.arg_start, m.arg_end,
			true, 1);
	expect_other_events(_metadata, &self->t, self->t.keys[k].key);
	/* Our own read is not refused. */
	mine = read_all("/proc/self/cmdline");
	ASSERT_TRUE(mine != NULL);
	EXPECT_EQ(0, memcmp(mine, (void *)m.arg_start,
			    m.arg_end - m.arg_start));
	free(mine);
	ASSERT_EQ(0, tkey_op(&self->t, k, MPX_OP_DISABLE));
	check_proc_file(_metadata, &self->t, CMDLINE, m.arg_start, m.arg_end,
			false, 0);
	ASSERT_EQ(0, tkey_op(&self->t, k, MPX_OP_ENABLE));
	check_proc_file(_metadata, &self->t, CMDLINE, m.arg_start, m.arg_end,
			true, 0);
	ASSERT_EQ(0, tkey_op(&self->t, k, MPX_OP_DISABLE));
	ASSERT_EQ(0, tkey_op(&self->t, k, MPX_OP_FREE));
	check_proc_file(_metadata, &self->t, CMDLINE, m.arg_start, m.arg_end,
			false, 0);
}

TEST_F(remote, cmdline_region_at_start)
{
	struct mm_areas m;

	ASSERT_EQ(0, mm_areas(&m));
	ASSERT_LE(0, area_key(&self->t, m.arg_start, 2));
	check_proc_file(_metadata, &self->t, CMDLINE, m.arg_start, m.arg_end,
			true, 0);
}

TEST_F(remote, cmdline_region_just_after)
{
	struct mm_areas m;

	ASSERT_EQ(0, mm_areas(&m));
	ASSERT_LE(0, area_key(&self->t, m.arg_end, 1));
	check_proc_file(_metadata, &self->t, CMDLINE, m.arg_start, m.arg_end,
			false, 0);
}

TEST_F(remote, environ_stops_before_region)
{
	struct mm_areas m;
	int k;

	ASSERT_EQ(0, mm_areas(&m));
	if (m.env_end - m.env_start < 8)
		SKIP(return, "an environment of %lu bytes is too short",
		     m.env_end - m.env_start);
	k = area_key(&self->t, m.env_start + 5, 2);
	ASSERT_LE(0, k);
	ASSERT_EQ(0, inst_make(&self->t));
	check_proc_file(_metadata, &self->t, ENVIRON, m.env_start, m.env_end,
			true, 1);
	check_proc_file(_metadata, &self->t, ENVIRON, m.env_start, m.env_end,
			true, 0);
	expect_other_events(_metadata, &self->t, self->t.keys[k].key);
	ASSERT_EQ(0, tkey_op(&self->t, k, MPX_OP_DISABLE));
	check_proc_file(_metadata, &self->t, ENVIRON, m.env_start, m.env_end,
			false, 0);
	ASSERT_EQ(0, tkey_op(&self->t, k, MPX_OP_FREE));
	check_proc_file(_metadata, &self->t, ENVIRON, m.env_start, m.env_end,
			false, 1);
}

TEST_F(remote, environ_region_at_start)
{
	struct mm_areas m;

	ASSERT_EQ(0, mm_areas(&m));
	if (m.env_end - m.env_start < 8)
		SKIP(return, "an environment of %lu bytes is too short",
		     m.env_end - m.env_start);
	ASSERT_LE(0, area_key(&self->t, m.env_start, 1));
	check_proc_file(_metadata, &self->t, ENVIRON, m.env_start, m.env_end,
			true, 0);
	check_proc_file(_metadata, &self->t, ENVIRON, m.env_start, m.env_end,
			true, 1);
}

/* ---- races ---- */

enum { PH_TRANSITION, PH_ENABLED, PH_DISABLED };

#define RACE_ACCESSORS	3

struct race_acc {
	long calls, enabled, disabled;	/* calls in a stable phase */
	long leaks, spurious;		/* wrong results in one */
	long bad_ret;
	int bad_err, bad_phase;
	int setup_err;
};

struct race {
	unsigned long state;	/* generation << 2 | phase */
	int stop;
	struct race_acc acc[RACE_ACCESSORS];
};

static const int race_paths[RACE_ACCESSORS] = { PV_READ, MEM_READ,
						PEEKDATA };

/* Read the region in a loop until told to stop; classify every read. */
static void race_accessor(struct race *r, int i, pid_t owner,
			  const unsigned char *reg)
{
	struct race_acc *a = &r->acc[i];
	unsigned char buf[RACE_LEN];
	struct iovec local = { buf, RACE_LEN };
	struct iovec remote = { (void *)reg, RACE_LEN };
	int path = race_paths[i], fd = -1, err, j, secret;
	size_t len = acc_len(path);
	unsigned long s0, s1;
	char file[64];
	long ret, word;

	prctl(PR_SET_NAME, ACC_COMM, 0, 0, 0);
	/* Stopping the main thread before it started the toggler: deadlock. */
	while (!(__atomic_load_n(&r->state, __ATOMIC_SEQ_CST) >> 2))
		usleep(1000);
	snprintf(file, sizeof(file), "/proc/%d/mem", owner);
	if (path == MEM_READ)
		fd = open(file, O_RDONLY | O_CLOEXEC);
	if ((path == MEM_READ && fd < 0) ||
	    (path == PEEKDATA && trace_stop(owner))) {
		a->setup_err = errno;
		return;
	}
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		memset(buf, FILL, RACE_LEN);
		s0 = __atomic_load_n(&r->state, __ATOMIC_SEQ_CST);
		errno = 0;
		if (path == PV_READ) {
			ret = process_vm_readv(owner, &local, 1, &remote, 1, 0);
		} else if (path == MEM_READ) {
			ret = pread(fd, buf, RACE_LEN, (off_t)(uintptr_t)reg);
		} else {
			word = ptrace(PTRACE_PEEKDATA, owner, (void *)reg, NULL);
			ret = errno ? -1 : (long)WORD;
			if (ret > 0)
				memcpy(buf, &word, WORD);
		}
		err = errno;
		s1 = __atomic_load_n(&r->state, __ATOMIC_SEQ_CST);
		a->calls++;
		for (j = 0, secret = 0; j < RACE_LEN; j++)
			secret += !!(buf[j] & 0x80);
		if (s0 != s1 || (s0 & 3) == PH_TRANSITION)
			continue;
		if ((s0 & 3) == PH_ENABLED) {
			a->enabled++;
			if (ret == -1 && err == (path == PV_READ ? EPERM : EIO) &&
			    !secret)
				continue;
			a->leaks++;
		} else {
			a->disabled++;
			if (ret == (long)len && !memcmp(buf, reg, len))
				continue;
			a->spurious++;
		}
		a->bad_ret = ret;
		a->bad_err = err;
		a->bad_phase = s0 & 3;
	}
	if (path == PEEKDATA)
		ptrace(PTRACE_DETACH, owner, NULL, NULL);
	if (fd >= 0)
		close(fd);
}

struct toggler {
	struct race *r;
	unsigned int key;
	long toggles;
	int err;
};

static void spin_us(long us)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (elapsed_us(&start) < us)
		;
}

/*
 * ENABLE and DISABLE the key; state says ENABLED only between ENABLE's
 * return and the DISABLE call, DISABLED only between DISABLE's return and
 * the next ENABLE call.
 */
static void *race_toggler(void *arg)
{
	struct toggler *tg = arg;
	struct race *r = tg->r;
	unsigned long gen = 0;
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (tg->toggles < RACE_TOGGLES && elapsed_ms(&start) < RACE_MS) {
		__atomic_store_n(&r->state, ++gen << 2 | PH_TRANSITION,
				 __ATOMIC_SEQ_CST);
		if (mpx(NULL, 0, tg->key, MPX_OP_ENABLE)) {
			tg->err = errno;
			break;
		}
		__atomic_store_n(&r->state, ++gen << 2 | PH_ENABLED,
				 __ATOMIC_SEQ_CST);
		spin_us(50 + (tg->toggles % 8) * 50);
		__atomic_store_n(&r->state, ++gen << 2 | PH_TRANSITION,
				 __ATOMIC_SEQ_CST);
		if (mpx(NULL, 0, tg->key, MPX_OP_DISABLE)) {
			tg->err = errno;
			break;
		}
		__atomic_store_n(&r->state, ++gen << 2 | PH_DISABLED,
				 __ATOMIC_SEQ_CST);
		spin_us(50 + (tg->toggles % 5) * 50);
		tg->toggles++;
	}
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

TEST_F_TIMEOUT(remote, race_enable_disable_under_reads, 180)
{
	struct toggler tg = { .key = self->t.keys[0].key };
	pid_t pids[RACE_ACCESSORS];
	struct race *r;
	pthread_t th;
	int i, status;

	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(r != MAP_FAILED);
	ASSERT_EQ(0, tkey_op(&self->t, 0, MPX_OP_DISABLE));
	r->state = PH_DISABLED;
	tg.r = r;
	for (i = 0; i < RACE_ACCESSORS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i]) {
			race_accessor(r, i, getppid(), self->t.reg);
			_exit(0);
		}
	}
	ASSERT_EQ(0, pthread_create(&th, NULL, race_toggler, &tg));
	ASSERT_EQ(0, pthread_join(th, NULL));
	for (i = 0; i < RACE_ACCESSORS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_EQ(0, status);
	}
	EXPECT_EQ(0, tg.err) TH_LOG("ENABLE/DISABLE: %s", strerror(tg.err));
	TH_LOG("%ld toggles", tg.toggles);
	for (i = 0; i < RACE_ACCESSORS; i++) {
		struct race_acc *a = &r->acc[i];

		TH_LOG("%s: %ld calls, %ld while enabled, %ld while disabled",
		       path_names[race_paths[i]], a->calls, a->enabled,
		       a->disabled);
		EXPECT_EQ(0, a->setup_err) TH_LOG("%s", strerror(a->setup_err));
		EXPECT_EQ(0, a->leaks)
			TH_LOG("%s: read while enabled returned %ld (%s)",
			       path_names[race_paths[i]], a->bad_ret,
			       strerror(a->bad_err));
		EXPECT_EQ(0, a->spurious)
			TH_LOG("%s: read while disabled returned %ld (%s)",
			       path_names[race_paths[i]], a->bad_ret,
			       strerror(a->bad_err));
		/* The race must have been run at all. */
		EXPECT_LT(0, a->enabled);
		EXPECT_LT(0, a->disabled);
	}
	EXPECT_EQ(0, memcmp(self->t.base, self->t.image, self->t.size));
	munmap(r, sizeof(*r));
}

struct toctou {
	long calls, full, part, refused, bad;
	long bad_ret;
	int bad_err;
	int setup_err;
};

struct flipper {
	struct iovec *iov;
	const uintptr_t *bases;
	const size_t *lens;
	int n;
	int stop;
};

/* Rewrite the remote iovec, base and length, as fast as it can. */
static void *flip(void *arg)
{
	struct flipper *f = arg;
	unsigned int i = 0;

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&f->iov->iov_base,
				 (void *)f->bases[i % f->n], __ATOMIC_RELAXED);
		__atomic_store_n(&f->iov->iov_len, f->lens[i % f->n],
				 __ATOMIC_RELAXED);
		i++;
	}
	return NULL;
}

/* process_vm_readv (@write: writev) racing flip(); results into *@o. */
static void toctou_accessor(struct toctou *o, pid_t owner,
			    const unsigned char *reg, bool write)
{
	/* Outside, overlapping the start, inside, outside up to the start. */
	const uintptr_t bases[] = { (uintptr_t)reg - 300,
				    (uintptr_t)reg - ACC_LEN / 2,
				    (uintptr_t)reg, (uintptr_t)reg - 16 };
	const size_t lens[] = { ACC_LEN, ACC_LEN, ACC_LEN, 16 };
	unsigned char buf[ACC_LEN];
	struct iovec local = { buf, ACC_LEN }, remote = { NULL, ACC_LEN };
	struct flipper f = { &remote, bases, lens, 4, 0 };
	struct timespec start;
	pthread_t th;
	long ret;
	int j, bad, err;

	prctl(PR_SET_NAME, ACC_COMM, 0, 0, 0);
	remote.iov_base = (void *)bases[0];
	o->setup_err = pthread_create(&th, NULL, flip, &f);
	if (o->setup_err)
		return;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (o->calls < TOCTOU_CALLS && elapsed_ms(&start) < TOCTOU_MS) {
		for (j = 0; j < ACC_LEN; j++)
			buf[j] = write ? data_byte(j) : FILL;
		if (write)
			ret = process_vm_writev(owner, &local, 1, &remote, 1,
						0);
		else
			ret = process_vm_readv(owner, &local, 1, &remote, 1,
					       0);
		err = errno;
		o->calls++;
		/* Never a protected byte; what was not read stays FILL. */
		for (j = 0, bad = 0; !write && j < ACC_LEN; j++) {
			if (j < ret)
				bad += buf[j] < 0x20 || buf[j] >= 0x60;
			else
				bad += buf[j] != FILL;
		}
		if (ret == -1 && err == EPERM) {
			o->refused++;
		} else if (ret == ACC_LEN || ret == 16) {
			o->full++;
		} else if (ret > 0 && ret < ACC_LEN) {
			o->part++;
		} else {
			bad++;
		}
		if (bad) {
			o->bad++;
			o->bad_ret = ret;
			o->bad_err = err;
		}
	}
	__atomic_store_n(&f.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
}

static void toctou_run(struct __test_metadata *_metadata, struct target *t,
		       bool write)
{
	struct toctou *o;
	int status, i;
	pid_t pid;

	o = mmap(NULL, sizeof(*o), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(o != MAP_FAILED);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		toctou_accessor(o, getppid(), t->reg, write);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(0, o->setup_err);
	TH_LOG("%s: %ld calls: %ld whole, %ld short, %ld refused",
	       write ? "writev" : "readv", o->calls, o->full, o->part,
	       o->refused);
	EXPECT_EQ(0, o->bad) TH_LOG("last bad call returned %ld (%s)",
				    o->bad_ret, strerror(o->bad_err));
	EXPECT_LT(0, o->calls);
	/* The iovec did change under the calls. */
	EXPECT_LT(0, o->refused);
	EXPECT_LT(0, o->full + o->part);
	/* The region is as it was; only bytes outside it may have changed. */
	for (i = 0; i < REG_LEN; i++)
		if (t->reg[i] != secret_byte((uintptr_t)t->reg + i))
			break;
	EXPECT_EQ(REG_LEN, i) TH_LOG("region byte %d was written", i);
	munmap(o, sizeof(*o));
}

TEST_F_TIMEOUT(remote, toctou_remote_iovec_read, 120)
{
	toctou_run(_metadata, &self->t, false);
}

TEST_F_TIMEOUT(remote, toctou_remote_iovec_write, 120)
{
	toctou_run(_metadata, &self->t, true);
}

/* ---- many regions: the span set against a model ---- */

#define MODEL_KEYS	24
#define MODEL_PAGES	16
#define MODEL_STEPS	300
#define MODEL_PROBES	6	/* random reads after each step */
#define MODEL_READ	96	/* bytes of a multi-byte probe */

struct model_key {
	unsigned int key;
	size_t off;
	int len;
	bool enabled;
};

struct model {
	unsigned char *base;
	size_t size;
	struct model_key k[MODEL_KEYS];
	int to_acc[2], from_acc[2];
	pid_t acc;
};

/* The accessor: reads (addr, len) requests, answers process_vm_readv's. */
static void model_accessor(struct model *m, pid_t owner)
{
	unsigned char buf[MODEL_READ];
	struct iovec local, remote;
	uintptr_t req[2];
	long ans[2];

	while (read(m->to_acc[0], req, sizeof(req)) == sizeof(req)) {
		local.iov_base = buf;
		local.iov_len = req[1];
		remote.iov_base = (void *)req[0];
		remote.iov_len = req[1];
		ans[0] = process_vm_readv(owner, &local, 1, &remote, 1, 0);
		ans[1] = ans[0] < 0 ? errno : 0;
		if (write(m->from_acc[1], ans, sizeof(ans)) != sizeof(ans))
			break;
	}
}

/* What the model says a read of [off, off + len) of the arena returns. */
static long model_expect(const struct model *m, size_t off, size_t len)
{
	size_t first = len, s, e;
	int i;

	for (i = 0; i < MODEL_KEYS; i++) {
		if (!m->k[i].enabled)
			continue;
		s = m->k[i].off;
		e = s + m->k[i].len;
		if (s < off + len && e > off)
			first = s > off ? (s - off < first ? s - off : first) : 0;
	}
	return first ? (long)first : -EPERM;
}

static void *model_enable_thread(void *arg)
{
	struct model_key *k = arg;

	/*
	 * A thread of its own: in hardware mode ENABLE loads a register of
	 * the calling thread, and the thread's exit frees it, while the key
	 * stays enabled for the address space.
	 */
	return (void *)(long)(mpx(NULL, 0, k->key, MPX_OP_ENABLE) ? errno : 0);
}

static void model_region(struct model_key *k, size_t size, unsigned int *seed)
{
	k->len = 1 + rand_r(seed) % 2048;
	k->off = rand_r(seed) % (size - k->len);
}

/* Reads around key @k and at random places; the mismatches with the model. */
static int model_probe(struct __test_metadata *_metadata, struct model *m,
		       const struct model_key *k, int step,
		       unsigned int *seed)
{
	int n, enabled = 0, mismatches = 0;
	size_t off, len;
	uintptr_t req[2];
	long ans[2], want;

	for (n = 0; n < MODEL_KEYS; n++)
		enabled += m->k[n].enabled;
	/* Both edges of the changed region, then random places. */
	for (n = 0; n < MODEL_PROBES + 4; n++) {
		if (n < 4) {
			off = k->off + (n & 1 ? k->len : 0);
			off = n < 2 ? off : off - 1;
			len = 1;
		} else {
			len = n & 1 ? 1 : MODEL_READ;
			off = rand_r(seed) % (m->size - len);
		}
		if (off > m->size - len)
			continue;
		req[0] = (uintptr_t)m->base + off;
		req[1] = len;
		if (write(m->to_acc[1], req, sizeof(req)) != sizeof(req) ||
		    read(m->from_acc[0], ans, sizeof(ans)) != sizeof(ans)) {
			TH_LOG("the accessor is gone");
			return mismatches + 1;
		}
		want = model_expect(m, off, len);
		if ((ans[0] < 0 ? -ans[1] : ans[0]) == want)
			continue;
		if (mismatches++ < 3)
			TH_LOG("step %d (%d enabled): %zu bytes at +%zu: %ld (%s), model: %ld",
			       step, enabled, len, off, ans[0],
			       ans[0] < 0 ? strerror(ans[1]) : "ok", want);
	}
	return mismatches;
}

/* 0, or -errno of ENABLE (or of starting its thread). */
static int model_enable(struct model_key *k)
{
	pthread_t th;
	void *err;

	if (pthread_create(&th, NULL, model_enable_thread, k) ||
	    pthread_join(th, &err))
		return -EAGAIN;
	if (!err)
		k->enabled = true;
	return -(long)err;
}

/* 0, or -errno of DISABLE. */
static int model_disable(struct model_key *k)
{
	if (mpx(NULL, 0, k->key, MPX_OP_DISABLE))
		return -errno;
	k->enabled = false;
	return 0;
}

/*
 * Every key enabled in turn (the span set grows from 4 to 32 spans, with
 * the fixture's key), then enabled, disabled and moved at random, then
 * disabled in turn (it shrinks back): after each step, reads by another
 * process must return exactly what a model of the regions says.
 */
TEST_F_TIMEOUT(remote, many_regions_match_a_model, 180)
{
	unsigned int seed = 1;
	struct model m = { 0 };
	int step = 0, i, mismatches = 0;
	struct model_key *k;

	m.size = MODEL_PAGES * self->t.page;
	m.base = mmap(NULL, m.size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_TRUE(m.base != MAP_FAILED);
	for (i = 0; i < MODEL_KEYS; i++) {
		model_region(&m.k[i], m.size, &seed);
		m.k[i].key = mpx(m.base + m.k[i].off, m.k[i].len, 0,
				 MPX_OP_CREATE);
		ASSERT_LT(0, (int)m.k[i].key)
			TH_LOG("CREATE: %s", strerror(errno));
	}
	ASSERT_EQ(0, pipe(m.to_acc));
	ASSERT_EQ(0, pipe(m.from_acc));
	m.acc = fork();
	ASSERT_LE(0, m.acc);
	if (!m.acc) {
		/* Not a writer of the requests: EOF ends the loop. */
		close(m.to_acc[1]);
		close(m.from_acc[0]);
		model_accessor(&m, getppid());
		_exit(0);
	}
	for (i = 0; i < MODEL_KEYS; i++, step++) {
		ASSERT_EQ(0, model_enable(&m.k[i]));
		mismatches += model_probe(_metadata, &m, &m.k[i], step, &seed);
	}
	for (; step < MODEL_KEYS + MODEL_STEPS; step++) {
		k = &m.k[rand_r(&seed) % MODEL_KEYS];
		if (!k->enabled) {
			ASSERT_EQ(0, model_enable(k));
		} else if (rand_r(&seed) % 2) {
			model_region(k, m.size, &seed);
			ASSERT_EQ(0, mpx(m.base + k->off, k->len, k->key,
					 MPX_OP_SET))
				TH_LOG("SET: %s", strerror(errno));
		} else {
			ASSERT_EQ(0, model_disable(k));
		}
		mismatches += model_probe(_metadata, &m, k, step, &seed);
	}
	for (i = 0; i < MODEL_KEYS; i++, step++) {
		if (!m.k[i].enabled)
			continue;
		ASSERT_EQ(0, model_disable(&m.k[i]));
		mismatches += model_probe(_metadata, &m, &m.k[i], step, &seed);
	}
	close(m.to_acc[1]);
	close(m.from_acc[0]);
	ASSERT_EQ(m.acc, waitpid(m.acc, &i, 0));
	EXPECT_EQ(0, i);
	EXPECT_EQ(0, mismatches);
	for (i = 0; i < MODEL_KEYS; i++)
		EXPECT_EQ(0, mpx(NULL, 0, m.k[i].key, MPX_OP_FREE));
	munmap(m.base, m.size);
}

TEST_HARNESS_MAIN
