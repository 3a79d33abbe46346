// SPDX-License-Identifier: GPL-2.0
/*
 * mpx_fuzz_remote - the fuzzer's remote accessors: actors that read and
 * write other processes' memory through process_vm_readv/writev and
 * /proc/PID/mem while the key tables change under them.
 *
 * The oracle needs a region whose protection does not change during the
 * run: the vault. A thread of the multi-process test's supervisor (a
 * process of its own, which makes no other mpx() call) fills VAULT_PAGES pages with
 * PUBLIC bytes, puts SECRET bytes in a region in the middle page and
 * holds an enabled key on it until the end. Under the policy "deny"
 * every access to the vault has exactly one right result (README,
 * "Private regions"): all of it when it meets no protected byte; else
 * the bytes before the first protected one, in remote-iovec order, or,
 * when that is none, -1 with EPERM (process_vm_*) or EIO (/proc/PID/mem).
 * A read must never bring back a SECRET byte nor write past its count; a
 * write stores WRITTEN bytes, and in the end the supervisor checks that
 * the region still holds SECRET bytes only.
 *
 * Reads of the workers' arenas race with their owners' keys and pages:
 * for those only the shape of the result is checked (a count no larger
 * than asked, or a documented errno, and no byte written past the count);
 * what they are for is the hooks' lookups running beside CREATE, SET,
 * DISABLE, FREE and exit on the debug kernel.
 */
#define _GNU_SOURCE
/* /proc/PID/mem offsets are addresses: above 2^31 in 32-bit processes too. */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "libmpx.h"
#include "mpx_fuzz.h"

#define POLICY_FILE	"/sys/module/mpx/parameters/remote"
#define VAULT_PAGES	3
#define PUBLIC		0x11	/* vault bytes outside the region */
#define SECRET		0xa5	/* vault bytes inside the region */
#define WRITTEN		0x77	/* what remote writes store */
#define UNTOUCHED	0xee	/* a read buffer's bytes before the call */
#define MAX_SEGS	3

enum remote_path { RP_PVM, RP_MEM };

struct access {
	enum remote_path path;
	bool write;
	pid_t pid;
	int nseg;
	struct iovec seg[MAX_SEGS];	/* remote ranges */
};

/* ---- the vault: held by a thread of the supervisor */

/*
 * The vault's key is enabled by a thread of its own: in hardware mode
 * that loads a bound register of that thread only, so the workers the
 * supervisor forks start, as the fuzzer's models expect, with empty ones.
 */
static struct {
	pthread_t thread;
	int go[2], done[2];	/* pipes: supervisor -> thread -> supervisor */
	int ret;
	char why[160];
} vault_thread;

/* Fill the vault, CREATE and ENABLE its key; 0, or -1 and why. */
static int vault_fill(struct fuzz_vault *v, char *why, size_t size)
{
	char *base;
	int key;

	base = mmap(NULL, VAULT_PAGES * cfg.page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		snprintf(why, size, "mmap: %s", strerror(errno));
		return -1;
	}
	memset(base, PUBLIC, VAULT_PAGES * cfg.page);
	/* A region inside the middle page: its page holds public bytes too. */
	v->start = (unsigned long)base + cfg.page + cfg.page / 4;
	v->len = cfg.page / 2;
	memset((char *)(unsigned long)v->start, SECRET, v->len);
	key = mpx((void *)(unsigned long)v->start, v->len, 0, MPX_OP_CREATE);
	if (key < 0 || mpx(NULL, 0, key, MPX_OP_ENABLE)) {
		snprintf(why, size, "%s: %s", key < 0 ? "CREATE" : "ENABLE",
			 strerror(errno));
		if (key >= 0)
			mpx(NULL, 0, key, MPX_OP_FREE);
		munmap(base, VAULT_PAGES * cfg.page);
		return -1;
	}
	v->key = key;
	v->base = (unsigned long)base;
	return 0;
}

/* The region holds SECRET bytes only, the rest PUBLIC or WRITTEN ones. */
static int vault_check(struct fuzz_vault *v, char *why, size_t size)
{
	const unsigned char *p = (void *)(unsigned long)v->base;
	unsigned long i, start = v->start - v->base;
	int ret = 0;

	for (i = 0; i < VAULT_PAGES * cfg.page && !ret; i++) {
		bool inside = i >= start && i < start + v->len;

		if (inside ? p[i] != SECRET :
			     p[i] != PUBLIC && p[i] != WRITTEN) {
			snprintf(why, size, "vault byte %lu (region %lu+%llu) is %#x",
				 i, start, (unsigned long long)v->len, p[i]);
			ret = -1;
		}
	}
	if (mpx(NULL, 0, v->key, MPX_OP_DISABLE) ||
	    mpx(NULL, 0, v->key, MPX_OP_FREE)) {
		if (!ret)
			snprintf(why, size, "freeing the vault key: %s",
				 strerror(errno));
		ret = -1;
	}
	munmap((void *)(unsigned long)v->base, VAULT_PAGES * cfg.page);
	return ret;
}

static void *vault_main(void *arg)
{
	struct fuzz_vault *v = arg;
	char c = 0;

	vault_thread.ret = vault_fill(v, vault_thread.why,
				      sizeof(vault_thread.why));
	if (write(vault_thread.done[1], &c, 1) != 1 || vault_thread.ret)
		return NULL;
	if (read(vault_thread.go[0], &c, 1) != 1)
		c = 0;
	vault_thread.ret = vault_check(v, vault_thread.why,
				       sizeof(vault_thread.why));
	return NULL;
}

int vault_open(struct fuzz_ctl *ctl, char *why, size_t size)
{
	char policy[16] = "", c;
	FILE *f;

	f = fopen(POLICY_FILE, "r");
	if (!f || !fgets(policy, sizeof(policy), f))
		snprintf(policy, sizeof(policy), "unreadable");
	if (f)
		fclose(f);
	policy[strcspn(policy, "\n")] = 0;
	if (strcmp(policy, "deny")) {
		snprintf(why, size, "remote policy %s, not deny", policy);
		return -1;
	}
	if (pipe2(vault_thread.go, O_CLOEXEC) ||
	    pipe2(vault_thread.done, O_CLOEXEC) ||
	    pthread_create(&vault_thread.thread, NULL, vault_main,
			   &ctl->vault)) {
		snprintf(why, size, "vault thread: %s", strerror(errno));
		return -1;
	}
	if (read(vault_thread.done[0], &c, 1) != 1 || vault_thread.ret) {
		pthread_join(vault_thread.thread, NULL);
		snprintf(why, size, "%s", vault_thread.why);
		return -1;
	}
	__atomic_store_n(&ctl->vault.pid, getpid(), __ATOMIC_RELEASE);
	return 0;
}

int vault_close(struct fuzz_ctl *ctl, char *why, size_t size)
{
	char c = 1;

	if (!ctl->vault.pid)
		return 0;
	__atomic_store_n(&ctl->vault.pid, 0, __ATOMIC_RELEASE);
	if (write(vault_thread.go[1], &c, 1) != 1)
		return -1;
	pthread_join(vault_thread.thread, NULL);
	snprintf(why, size, "%s", vault_thread.why);
	return vault_thread.ret;
}

/* ---- accesses */

/* Do @acc with the local buffer @buf; the result as the syscall gives it. */
static ssize_t remote_do(const struct access *acc, char *buf)
{
	struct iovec local = { buf, 0 };
	char file[32];
	ssize_t ret;
	int i, fd;

	for (i = 0; i < acc->nseg; i++)
		local.iov_len += acc->seg[i].iov_len;
	if (acc->path == RP_PVM)
		return acc->write ?
		       process_vm_writev(acc->pid, &local, 1, acc->seg,
					 acc->nseg, 0) :
		       process_vm_readv(acc->pid, &local, 1, acc->seg,
					acc->nseg, 0);
	snprintf(file, sizeof(file), "/proc/%d/mem", acc->pid);
	fd = open(file, acc->write ? O_WRONLY : O_RDONLY);
	if (fd < 0)
		return -1;
	ret = acc->write ?
	      pwrite(fd, buf, local.iov_len,
		     (off_t)(unsigned long)acc->seg[0].iov_base) :
	      pread(fd, buf, local.iov_len,
		    (off_t)(unsigned long)acc->seg[0].iov_base);
	i = errno;
	close(fd);
	errno = i;
	return ret;
}

/*
 * What an access to the vault must give: the bytes before the first
 * protected one (every byte when none is), or -1 when that is none.
 */
static ssize_t vault_expect(const struct fuzz_vault *v,
			    const struct access *acc)
{
	unsigned long start, end, rs = v->start, re = v->start + v->len;
	ssize_t total = 0;
	int i;

	for (i = 0; i < acc->nseg; i++) {
		start = (unsigned long)acc->seg[i].iov_base;
		end = start + acc->seg[i].iov_len;
		if (acc->seg[i].iov_len && start < re && end > rs)
			return start < rs ? total + (ssize_t)(rs - start) :
			       total ? total : -1;
		total += acc->seg[i].iov_len;
	}
	return total;
}

/* An offset into the vault near the region's edges, or anywhere. */
static unsigned long vault_offset(const struct fuzz_vault *v, struct rng *r)
{
	unsigned long rs = v->start - v->base, re = rs + v->len;
	const unsigned long pool[] = {
		0, rs - 1, rs, rs + 1, re - 1, re, re + 1, cfg.page,
		2 * cfg.page - 1, rs - 1 - rng_below(r, rs),
		rs + rng_below(r, v->len), re + rng_below(r, cfg.page),
		rng_below(r, VAULT_PAGES * cfg.page),
	};

	return RNG_PICK(r, pool);
}

/* Segments in the vault: each ends inside it. */
static void vault_segments(const struct fuzz_vault *v, struct rng *r,
			   struct access *acc)
{
	unsigned long off, room, len;
	int i;

	acc->nseg = acc->path == RP_MEM ? 1 : 1 + rng_below(r, MAX_SEGS);
	for (i = 0; i < acc->nseg; i++) {
		off = vault_offset(v, r);
		room = VAULT_PAGES * cfg.page - off;
		switch (rng_below(r, 4)) {
		case 0:
			len = 1 + rng_below(r, 8);
			break;
		case 1:
			len = v->len + 2;
			break;
		case 2:
			len = rng_chance(r, 10) ? 0 : room;
			break;
		default:
			len = 1 + rng_below(r, room);
		}
		acc->seg[i].iov_base = (void *)(unsigned long)(v->base + off);
		acc->seg[i].iov_len = len < room ? len : room;
	}
}

/* The bytes a read brought back: none secret, none past the count. */
static bool read_clean(const char *buf, size_t len, ssize_t ret, bool vault,
		       char *why, size_t size)
{
	size_t i, got = ret > 0 ? ret : 0;

	for (i = 0; i < len; i++) {
		unsigned char c = buf[i];

		if (i >= got ? c != UNTOUCHED :
			       vault && (c == SECRET ||
					 (c != PUBLIC && c != WRITTEN))) {
			snprintf(why, size, "byte %zu of %zu (count %zd) is %#x%s",
				 i, len, ret, c,
				 c == SECRET ? ": a secret byte leaked" : "");
			return false;
		}
	}
	return true;
}

static const char *access_name(const struct access *acc)
{
	if (acc->path == RP_PVM)
		return acc->write ? "process_vm_writev" : "process_vm_readv";
	return acc->write ? "pwrite /proc/PID/mem" : "pread /proc/PID/mem";
}

static void describe(const struct access *acc, ssize_t ret, int err,
		     const char *what, char *why, size_t size)
{
	int n, i;

	n = snprintf(why, size, "%s of pid %d:", access_name(acc), acc->pid);
	for (i = 0; i < acc->nseg && n < (int)size; i++)
		n += snprintf(why + n, size - n, " %#lx+%zu",
			      (unsigned long)acc->seg[i].iov_base,
			      acc->seg[i].iov_len);
	if (n < (int)size)
		snprintf(why + n, size - n, " -> %zd (%s): %s", ret,
			 ret < 0 ? strerror(err) : "ok", what);
}

/* One access to the vault; false with @why when its result is wrong. */
static bool vault_access(struct fuzz_ctl *ctl, struct rng *r,
			 struct access *acc, char *buf, char *why, size_t size)
{
	const struct fuzz_vault *v = &ctl->vault;
	ssize_t want, ret;
	size_t len = 0;
	char what[160];
	int i, err;

	vault_segments(v, r, acc);
	for (i = 0; i < acc->nseg; i++)
		len += acc->seg[i].iov_len;
	memset(buf, acc->write ? WRITTEN : UNTOUCHED, len);
	want = vault_expect(v, acc);
	ctl_count(ctl, EV_REMOTE, 1);
	errno = 0;
	ret = remote_do(acc, buf);
	err = errno;
	if (!__atomic_load_n(&v->pid, __ATOMIC_ACQUIRE))
		return true;	/* the run ended under us */
	if (ret != want ||
	    (ret < 0 && err != (acc->path == RP_PVM ? EPERM : EIO))) {
		snprintf(what, sizeof(what), "want %zd%s", want,
			 want < 0 ? (acc->path == RP_PVM ? " (EPERM)" :
				     " (EIO)") : "");
		describe(acc, ret, err, what, why, size);
		return false;
	}
	if (ret != (ssize_t)len)
		ctl_count(ctl, EV_REMOTE_CUT, 1);
	if (!acc->write && !read_clean(buf, len, ret, true, what,
				       sizeof(what))) {
		describe(acc, ret, err, what, why, size);
		return false;
	}
	return true;
}

/*
 * One read of a live worker's arenas, which its actors are changing: a
 * count up to the length asked, or a documented errno.
 */
static bool worker_access(struct fuzz_ctl *ctl, struct rng *r, int self,
			  struct access *acc, char *buf, char *why,
			  size_t size)
{
	int slot = rng_below(r, MAX_PROCS);
	__u64 block;
	__u32 pages;
	size_t len;
	ssize_t ret;
	char what[160];
	int err;

	acc->pid = __atomic_load_n(&ctl->procs[slot].pid, __ATOMIC_ACQUIRE);
	block = __atomic_load_n(&ctl->procs[slot].block, __ATOMIC_RELAXED);
	pages = __atomic_load_n(&ctl->procs[slot].pages, __ATOMIC_RELAXED);
	if (slot == self || acc->pid <= 0 || !block || !pages)
		return true;
	acc->write = false;
	acc->nseg = 1;
	acc->seg[0].iov_base = (void *)(unsigned long)
			       (block + rng_below(r, pages * cfg.page));
	len = 1 + rng_below(r, 2 * cfg.page);
	acc->seg[0].iov_len = len;
	memset(buf, UNTOUCHED, len);
	ctl_count(ctl, EV_REMOTE, 1);
	errno = 0;
	ret = remote_do(acc, buf);
	err = errno;
	if (ret > (ssize_t)len ||
	    (ret < 0 && err != EPERM && err != EIO && err != EFAULT &&
	     err != ESRCH && err != ENOMEM && err != ENOENT)) {
		describe(acc, ret, err, "a count or EPERM, EIO, EFAULT, ESRCH",
			 why, size);
		return false;
	}
	if (!read_clean(buf, len, ret, false, what, sizeof(what))) {
		describe(acc, ret, err, what, why, size);
		return false;
	}
	return true;
}

bool remote_step(struct fuzz_ctl *ctl, int self, struct rng *r, char *why,
		 size_t size)
{
	struct access acc = {
		.path = rng_chance(r, 60) ? RP_PVM : RP_MEM,
		.write = rng_chance(r, 25),
	};
	char *buf = malloc(MAX_SEGS * VAULT_PAGES * cfg.page);
	bool ok;

	if (!buf) {
		snprintf(why, size, "malloc: %s", strerror(errno));
		return false;
	}
	acc.pid = __atomic_load_n(&ctl->vault.pid, __ATOMIC_ACQUIRE);
	if (acc.pid && rng_chance(r, 75))
		ok = vault_access(ctl, r, &acc, buf, why, size);
	else
		ok = worker_access(ctl, r, self, &acc, buf, why, size);
	free(buf);
	return ok;
}

bool remote_self_step(struct fuzz_ctl *ctl, struct rng *r, __u64 addr,
		      size_t len, char *why, size_t size)
{
	struct access acc = {
		.path = rng_chance(r, 50) ? RP_PVM : RP_MEM,
		.pid = getpid(),
		.nseg = 1,
		.seg = { { (void *)(unsigned long)addr, len } },
	};
	char *buf = malloc(len);
	ssize_t ret;
	int err;

	if (!buf) {
		snprintf(why, size, "malloc: %s", strerror(errno));
		return false;
	}
	ctl_count(ctl, EV_REMOTE, 1);
	errno = 0;
	ret = remote_do(&acc, buf);
	err = errno;
	free(buf);
	if (ret == (ssize_t)len)
		return true;
	describe(&acc, ret, err, "the owner's own enabled region: never refused",
		 why, size);
	return false;
}
