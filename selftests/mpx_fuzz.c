// SPDX-License-Identifier: GPL-2.0
/*
 * mpx_fuzz - the engine of mpx_fuzz_test, a model-checking fuzzer for the
 * ioctls of /dev/mpx (the tests: mpx_fuzz_test.c; exec'd process
 * generations run in the helper program mpx_worker).
 *
 * Every fuzzing thread plays an "actor". An actor owns the keys it created
 * and an arena of ARENA_PAGES pages whose mapping and protection only it
 * changes, and it keeps a model of both: key -> region and enabled bit;
 * page -> unmapped, PROT_NONE, read-only or read-write; and, in hardware
 * mode, the four bound registers of the thread playing it. Each step it
 * draws an action from a weighted table (action_weights[]):
 *
 *   model    a well-formed call on its own keys, regions at page edges;
 *   random   boundary values in every field: ops (valid, unknown, negative,
 *            huge), flags, keys (own, freed, 0, >= 2^24, other threads' and
 *            other processes'), addr/len (0, negative, INT_MAX, overflowing,
 *            kernel addresses, at and beyond the end of user space, holes,
 *            PROT_NONE, read-only), argument pointers NULL, misaligned,
 *            straddling into a hole, in pages another thread unmaps;
 *   foreign  read-only calls on other actors' keys (exact ENOENT when the
 *            actor is alone in its process: then it knows every key);
 *   info     MPX_IOC_INFO into good and bad buffers;
 *   unknown  ioctl commands /dev/mpx does not know (ENOTTY);
 *   churn    munmap, mmap(MAP_FIXED) or mprotect one of its pages;
 *   remote   process_vm_readv/writev or /proc/PID/mem on the supervisor's
 *            vault, another worker's arenas, or its own enabled regions
 *            (mpx_fuzz_remote.c).
 *
 * Before each call an oracle written from the ABI (include/uapi/linux/mpx.h
 * and the README) and the model computes the results the call may have,
 * in the documented order: EFAULT (arguments unreadable), EINVAL (malformed;
 * ops[] says which arguments each op takes), ENOENT (key not held), then
 * the op's own result. Where the model determines it, that is exactly one
 * result (for GET one status word and one struct mpx_key_info); it is wider
 * only where another thread can change the answer: other actors' keys,
 * pages another actor is remapping, the last two pages below the end of user
 * space. The result must be in the set; the model then follows it.
 *
 * No false alarms from races: an actor never changes another's keys or
 * pages. Its keys' regions start in its own pages, so two actors' keys
 * never guard the same region (they would share a bound register). Other
 * actors' pages serve only as regions, as GET/INFO buffers in their scratch
 * page (never read back), and as argument pointers into their decoy page,
 * which only ever holds harmless arguments (read-only or invalid ops).
 * Owner actors' arenas lie between unmapped guard pages, so their ENOMEM
 * results are exact; chaos actors' arenas abut, so their regions run into
 * pages another thread is unmapping. The arenas share one block, closed at
 * both ends by a PROT_NONE page so that every guard is a one-page hole
 * between mappings; after laying it out a process maps nothing but
 * MAP_FIXED pages inside it and 8 MiB thread stacks, so the holes stay
 * holes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
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

#include "libmpx.h"
#include "mpx_fuzz.h"
#include "mpx_worker.h"

#define KEY_ID_LIMIT		(1U << 24)	/* README: keys stay below 2^24 */
#define GREY_PAGES		2	/* below the end of user space: either */
#define DATA_PAGES		6	/* arena: regions, arguments, buffers */
#define DECOY_PAGE		6	/* arena: harmless arguments for others */
#define SCRATCH_PAGE		7	/* arena: others' GET/INFO buffers */
#define ARENA_PAGES		8
#define ACTOR_KEYS		12	/* keys an actor holds at most... */
#define EXHAUST_MAX		4096	/* ...unless alone: up to max_keys */
#define FREED_KEYS		16	/* recently freed keys, for ENOENT */
#define HISTORY			8	/* calls shown in a failure report */
#define BLOCK_PAGES		(MAX_ACTORS * (ARENA_PAGES + 1) + 3)
#define PAGE_GUARD		-1	/* block page: a hole, always */
#define PAGE_FENCE		-2	/* block page: PROT_NONE, always */
#define MAX_REPORTS		10	/* failure reports printed per test */
#define FLUSH_CALLS		64	/* calls between updates of ctl->calls */
#define REMOTE_SELF_PAGES	3	/* own regions read remotely: at most */

#define BIT(n)			(1U << (n))
#ifndef fallthrough
#define fallthrough		__attribute__((__fallthrough__))
#endif

struct fuzz_cfg cfg;

/* ---- the ABI as the oracle knows it */

#define A_REGION	BIT(0)	/* addr, len: a region of user space */
#define A_BUF		BIT(1)	/* addr, len: 0, 0 or a result buffer */
#define A_KEY		BIT(2)	/* takes a key; otherwise key must be 0 */
#define A_MUTATES	BIT(3)	/* success changes the key table */

static const struct op_desc {
	const char *name;
	unsigned int args;
} ops[NR_OPS] = {
	[MPX_OP_CREATE] = { "CREATE", A_REGION | A_MUTATES },
	[MPX_OP_SET] = { "SET", A_REGION | A_KEY | A_MUTATES },
	[MPX_OP_GET] = { "GET", A_BUF | A_KEY },
	[MPX_OP_ENABLE] = { "ENABLE", A_KEY | A_MUTATES },
	[MPX_OP_DISABLE] = { "DISABLE", A_KEY | A_MUTATES },
	[MPX_OP_FREE] = { "FREE", A_KEY | A_MUTATES },
	[MPX_OP_CHECK] = { "CHECK", A_REGION | A_KEY },
	[MPX_OP_ENABLE_HW] = { "ENABLE_HW", A_KEY | A_MUTATES },
};

static const struct op_desc *op_desc(__s32 op)
{
	if (op < 0 || op >= (__s32)ARRAY_SIZE(ops) || !ops[op].name)
		return NULL;
	return &ops[op];
}

static const int outcome_errno[NR_OUTCOMES] = {
	[O_EFAULT] = EFAULT, [O_EINVAL] = EINVAL, [O_ENOENT] = ENOENT,
	[O_ENOMEM] = ENOMEM, [O_ENOSPC] = ENOSPC, [O_EBUSY] = EBUSY,
	[O_EOPNOTSUPP] = EOPNOTSUPP, [O_ERANGE] = ERANGE, [O_ENOTTY] = ENOTTY,
};

static const char *const outcome_names[NR_OUTCOMES] = {
	"ok", "EFAULT", "EINVAL", "ENOENT", "ENOMEM", "ENOSPC", "EBUSY",
	"EOPNOTSUPP", "ERANGE", "ENOTTY",
};

#define RET_ANY		INT_MIN		/* success with any value */

struct want {
	unsigned int set;	/* BIT(outcome) of the allowed results */
	int ret;		/* what O_OK returns, or RET_ANY */
};

static void want_add(struct want *w, enum outcome o)
{
	w->set |= BIT(o);
}

static void want_ok(struct want *w, int ret)
{
	if (w->set & BIT(O_OK) && w->ret != ret)
		ret = RET_ANY;
	w->set |= BIT(O_OK);
	w->ret = ret;
}

/* What a call returned, as an outcome; NR_OUTCOMES for a foreign errno. */
static enum outcome outcome_of(int ret, int err)
{
	int o;

	if (ret >= 0)
		return O_OK;
	for (o = O_EFAULT; o < NR_OUTCOMES; o++)
		if (outcome_errno[o] == err)
			return o;
	return NR_OUTCOMES;
}

static bool want_allows(const struct want *w, int ret, int err)
{
	enum outcome o = outcome_of(ret, err);

	if (o == NR_OUTCOMES || ret < -1 || !(w->set & BIT(o)))
		return false;
	return o != O_OK || w->ret == RET_ANY || w->ret == ret;
}

/* Three-valued knowledge: a region is mapped, an argument readable... */
enum know { KN_NO, KN_YES, KN_MAYBE };

/*
 * Is [addr, addr + len) a region? len > 0, no overflow, inside user
 * space. Where user space ends exactly (TASK_SIZE is a page below 2^47 on
 * x86-64) is the kernel's business: the last GREY_PAGES may go either way.
 */
static enum know region_ok(__u64 addr, __s32 len)
{
	__u64 end = addr + (__u64)len;

	if (len <= 0 || end < addr || end > cfg.user_end)
		return KN_NO;
	if (end > cfg.user_end - GREY_PAGES * cfg.page)
		return KN_MAYBE;
	return KN_YES;
}

/* Are the arguments well formed (KN_NO: EINVAL)? */
static enum know args_ok(const struct mpx_args *a)
{
	const struct op_desc *d = op_desc(a->op);

	if (!d || a->flags || (!(d->args & A_KEY) && a->key))
		return KN_NO;
	if (d->args & A_REGION)
		return region_ok(a->addr, a->len);
	if (d->args & A_BUF) {
		if (!a->addr)
			return a->len ? KN_NO : KN_YES;
		if (a->len != sizeof(struct mpx_key_info))
			return KN_NO;
		return region_ok(a->addr, a->len);
	}
	return a->addr || a->len ? KN_NO : KN_YES;
}

/* ---- shared between the processes of a test: the control block */

static const char *const event_names[NR_EVENTS] = {
	"processes", "kill -9", "forks", "execs", "thread exits",
	"page changes", "fpu_memory flips", "max_keys fills",
	"remote accesses", "remote accesses refused or cut",
};

static bool ctl_stopped(struct fuzz_ctl *ctl)
{
	return __atomic_load_n(&ctl->stop, __ATOMIC_RELAXED);
}

/* A free slot, reserved (-our pid) for a process about to be forked. */
static int slot_reserve(struct fuzz_ctl *ctl)
{
	pid_t free_pid;
	int i;

	for (i = 0; i < MAX_PROCS; i++) {
		free_pid = 0;
		if (__atomic_compare_exchange_n(&ctl->procs[i].pid, &free_pid,
						-getpid(), false,
						__ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return i;
	}
	return -1;
}

/* Both sides of a fork store the child's pid, whoever comes first. */
void slot_take(struct fuzz_ctl *ctl, int slot, pid_t pid)
{
	__atomic_store_n(&ctl->procs[slot].pid, pid, __ATOMIC_SEQ_CST);
}

/* @pid is gone: free its slot, and any it reserved but never filled. */
static void slot_release(struct fuzz_ctl *ctl, pid_t pid)
{
	pid_t slot_pid;
	int i;

	for (i = 0; i < MAX_PROCS; i++) {
		slot_pid = __atomic_load_n(&ctl->procs[i].pid,
					   __ATOMIC_SEQ_CST);
		if (slot_pid != pid && slot_pid != -pid)
			continue;
		memset(ctl->procs[i].keys, 0, sizeof(ctl->procs[i].keys));
		ctl->procs[i].block = 0;
		ctl->procs[i].pages = 0;
		__atomic_store_n(&ctl->procs[i].pid, 0, __ATOMIC_SEQ_CST);
	}
}

int slots_used(struct fuzz_ctl *ctl, bool alive)
{
	int i, n = 0;
	pid_t pid;

	for (i = 0; i < MAX_PROCS; i++) {
		pid = __atomic_load_n(&ctl->procs[i].pid, __ATOMIC_SEQ_CST);
		n += alive ? pid > 0 : !!pid;
	}
	return n;
}

/* The control block, in a memfd that an exec'd worker maps again. */
static struct fuzz_ctl *ctl_map(int fd)
{
	void *p = mmap(NULL, sizeof(struct fuzz_ctl), PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

struct fuzz_ctl *ctl_create(int test, int *fdp)
{
	struct fuzz_ctl *ctl;
	int fd = memfd_create("mpx_fuzz_ctl", 0);	/* inherited by exec */

	if (fd < 0 || ftruncate(fd, sizeof(*ctl)))
		return NULL;
	ctl = ctl_map(fd);
	if (!ctl)
		return NULL;
	ctl->cfg = cfg;
	ctl->test = test;
	*fdp = fd;
	return ctl;
}

/* ---- a process and its actors */

enum page_state { PG_UNMAPPED, PG_NONE, PG_RO, PG_RW, NR_PAGE_STATES };

static const int page_prot[NR_PAGE_STATES] = {
	[PG_NONE] = PROT_NONE,
	[PG_RO] = PROT_READ,
	[PG_RW] = PROT_READ | PROT_WRITE,
};

#define MAPPED		(BIT(PG_NONE) | BIT(PG_RO) | BIT(PG_RW))
#define READABLE	(BIT(PG_RO) | BIT(PG_RW))
#define WRITABLE	BIT(PG_RW)

struct mkey {			/* the model of a key */
	__u32 key;
	__u64 addr;
	__s32 len;
	bool enabled;
};

struct mbnd {			/* the model of a bound register */
	__u64 addr;
	__s32 len;		/* 0: init state, free */
};

/* One call: what the ioctl gets and what the caller knows about it. */
struct call {
	unsigned long cmd;
	void *argp;
	struct mpx_args args;	/* what argp holds, if args_known */
	bool args_known;
	enum know readable;	/* argp's bytes, for the kernel */
	size_t write_len;	/* bytes of args to store at argp first */
	bool read_back;		/* the GET/INFO result is ours to read */
};

struct record {			/* a call done, for failure reports */
	unsigned long cmd;
	void *argp;
	struct mpx_args args;
	bool args_known;
	struct want want;
	int ret, err;
};

struct proc;

struct actor {
	struct proc *p;
	int idx;
	bool chaos;
	bool broken;		/* stopped after a failure */
	struct rng rng;
	char *arena;
	unsigned char pg[ARENA_PAGES];	/* enum page_state */
	struct mpx_args decoy;	/* held by the decoy page while mapped */
	struct mkey *keys;
	int nkeys, cap;
	__u32 freed[FREED_KEYS];
	unsigned int nfreed;
	struct mbnd bnd[MPX_NR_BND];	/* of the thread playing the actor */
	__u32 *pub;		/* ctl->procs[slot].keys[idx] */
	__u64 calls, flushed, chunk_end, quota;
	pthread_t thread;
	struct record hist[HISTORY];
	unsigned int nhist;
};

struct proc {
	struct fuzz_ctl *ctl;
	int ctl_fd, slot, fd;	/* control memfd, its slot, /dev/mpx */
	__u32 gen;
	struct rng rng;
	int nactors;
	bool sole;		/* one actor: it knows every key */
	bool fresh;		/* no CREATE yet: the process has no keys */
	bool enospc;		/* ENOSPC possible in a CREATE */
	char *block;		/* all arenas and their guards */
	int npages;
	signed char page_actor[BLOCK_PAGES];	/* or PAGE_GUARD, _FENCE */
	unsigned char page_index[BLOCK_PAGES];
	unsigned char *seen;	/* key numbers handed out: a bitmap */
	int done[2];		/* pipe: actor threads report their end */
	struct actor actors[MAX_ACTORS];
};

/* ---- failure reports */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr in one write(): safe in threads and forked children. */
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}

void note(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static const char *op_name(__s32 op)
{
	const struct op_desc *d = op_desc(op);

	return d ? d->name : "op?";
}

static void format_want(char *buf, size_t size, const struct want *w)
{
	size_t n = 0;
	int o;

	buf[0] = 0;
	for (o = 0; o < NR_OUTCOMES && n < size; o++) {
		if (!(w->set & BIT(o)))
			continue;
		if (o == O_OK && w->ret != RET_ANY)
			n += snprintf(buf + n, size - n, "%s%d", n ? "|" : "",
				      w->ret);
		else
			n += snprintf(buf + n, size - n, "%s%s", n ? "|" : "",
				      outcome_names[o]);
	}
}

static void say_record(const char *what, const struct record *r)
{
	char want[96], res[32];
	const struct mpx_args *a = &r->args;

	format_want(want, sizeof(want), &r->want);
	if (r->ret >= 0)
		snprintf(res, sizeof(res), "%d", r->ret);
	else
		snprintf(res, sizeof(res), "-1 %s", strerrorname_np(r->err) ?:
			 "errno?");
	if (r->cmd == MPX_IOC_CALL && r->args_known)
		say("#   %s %s(addr %#llx, len %d, key %u, op %d, flags %#x) at %p: %s, want %s",
		    what, op_name(a->op), (unsigned long long)a->addr, a->len,
		    a->key, a->op, a->flags, r->argp, res, want);
	else
		say("#   %s ioctl(%s%#lx, %p)%s: %s, want %s", what,
		    r->cmd == MPX_IOC_CALL ? "CALL " :
		    r->cmd == MPX_IOC_INFO ? "INFO " : "", r->cmd, r->argp,
		    r->cmd == MPX_IOC_CALL ? " (racy arguments)" : "", res,
		    want);
}

static void say_model(const struct actor *a)
{
	int i;

	for (i = 0; i < a->nkeys && i < 16; i++)
		say("#   model: key %u [%#llx, +%d) %s", a->keys[i].key,
		    (unsigned long long)a->keys[i].addr, a->keys[i].len,
		    a->keys[i].enabled ? "enabled" : "disabled");
	for (i = 0; i < MPX_NR_BND && cfg.hw; i++)
		if (a->bnd[i].len)
			say("#   model: bnd%d [%#llx, +%d)", i,
			    (unsigned long long)a->bnd[i].addr, a->bnd[i].len);
	say("#   pages: %d%d%d%d%d%d%d%d (0 unmapped, 1 none, 2 ro, 3 rw) from %p",
	    a->pg[0], a->pg[1], a->pg[2], a->pg[3], a->pg[4], a->pg[5],
	    a->pg[6], a->pg[7], a->arena);
}

static void fail(struct actor *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Count a failure; print the first MAX_REPORTS with the actor's last calls
 * and model. The actor stops: its model may be wrong from here on.
 */
static void fail(struct actor *a, const char *fmt, ...)
{
	struct fuzz_ctl *ctl = a->p->ctl;
	unsigned int i, n;
	char msg[256];
	va_list ap;

	a->broken = true;
	if (__atomic_fetch_add(&ctl->failures, 1, __ATOMIC_SEQ_CST) >=
	    MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say("# FAIL (seed %llu, pid %d, generation %u, %s actor %d, call %llu): %s",
	    (unsigned long long)cfg.seed, getpid(), a->p->gen,
	    a->chaos ? "chaos" : "owner", a->idx,
	    (unsigned long long)a->calls, msg);
	n = a->nhist < HISTORY ? a->nhist : HISTORY;
	for (i = n; i > 0; i--)
		say_record(i == 1 ? "this:" : "before:",
			   &a->hist[(a->nhist - i) % HISTORY]);
	say_model(a);
}

void fail_ctl(struct fuzz_ctl *ctl, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (__atomic_fetch_add(&ctl->failures, 1, __ATOMIC_SEQ_CST) >=
	    MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say("# FAIL (seed %llu, pid %d): %s", (unsigned long long)cfg.seed,
	    getpid(), msg);
}

/* ---- the memory model */

static char *arena_page(const struct actor *a, int i)
{
	return a->arena + i * cfg.page;
}

/* The state of block page @n as @a knows it; NR_PAGE_STATES: unknown. */
static int block_page_state(const struct actor *a, int n)
{
	int owner = a->p->page_actor[n];

	if (owner == PAGE_GUARD)
		return PG_UNMAPPED;
	if (owner == PAGE_FENCE)
		return PG_NONE;
	if (owner != a->idx)
		return NR_PAGE_STATES;	/* another actor's, changing */
	return a->pg[a->p->page_index[n]];
}

/*
 * Is every page of [addr, addr + len) in a state of @ok (a mask of
 * BIT(enum page_state))? Page 0 is never mapped, guards neither; other
 * actors' pages and everything outside the block are unknown.
 */
static enum know pages_are(const struct actor *a, __u64 addr, __u64 len,
			   unsigned int ok)
{
	__u64 base = (uintptr_t)a->p->block;
	__u64 end = base + (__u64)a->p->npages * cfg.page;
	__u64 last = addr + len - 1, from, to, n;
	enum know k = KN_YES;
	int st;

	if (!len || last < addr || addr < cfg.page)
		return KN_NO;
	if (addr < base || last >= end)
		k = KN_MAYBE;
	from = addr > base ? addr : base;
	to = last < end - 1 ? last : end - 1;
	if (from > to)
		return k;	/* all outside */
	for (n = (from - base) / cfg.page; n <= (to - base) / cfg.page; n++) {
		st = block_page_state(a, n);
		if (st == NR_PAGE_STATES)
			k = KN_MAYBE;
		else if (!(ok & BIT(st)))
			return KN_NO;
	}
	return k;
}

static __u64 ptr64(const void *p)
{
	return (uintptr_t)p;
}

/* Change page @i of @a's arena to @st; false if the kernel refused. */
static bool page_set(struct actor *a, int i, enum page_state st,
		     bool remap)
{
	char *addr = arena_page(a, i);
	int ret = 0;

	if (st == PG_UNMAPPED)
		ret = munmap(addr, cfg.page);
	else if (remap || a->pg[i] == PG_UNMAPPED)
		ret = mmap(addr, cfg.page, page_prot[st], MAP_PRIVATE |
			   MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED;
	else
		ret = mprotect(addr, cfg.page, page_prot[st]);
	if (ret)
		return false;
	if (i == DECOY_PAGE && (remap || a->pg[i] == PG_UNMAPPED))
		memset(&a->decoy, 0, sizeof(a->decoy));	/* a new page */
	a->pg[i] = st;
	return true;
}

/* ---- the model of keys and bound registers */

static struct mkey *model_find(struct actor *a, __u32 key)
{
	int i;

	for (i = 0; i < a->nkeys; i++)
		if (a->keys[i].key == key)
			return &a->keys[i];
	return NULL;
}

static bool model_freed(const struct actor *a, __u32 key)
{
	unsigned int i;

	for (i = 0; i < FREED_KEYS && i < a->nfreed; i++)
		if (a->freed[i] == key)
			return true;
	return false;
}

/*
 * The register of this thread holding [addr, addr + len), or -1. As the
 * module (README): registers are compared by region while BNDCFGU.EN is
 * set, which is while any register is in use.
 */
static int bnd_find(const struct actor *a, __u64 addr, __s32 len)
{
	int i;

	if (!cfg.hw)
		return -1;
	for (i = 0; i < MPX_NR_BND; i++)
		if (a->bnd[i].len && a->bnd[i].addr == addr &&
		    a->bnd[i].len == len)
			return i;
	return -1;
}

static int bnd_free_slot(const struct actor *a)
{
	int i;

	for (i = 0; i < MPX_NR_BND; i++)
		if (!a->bnd[i].len)
			return i;
	return -1;
}

/*
 * DISABLE and FREE clear the thread's register holding the region, even
 * when another enabled key of the thread has the same region (README).
 */
static void bnd_unload(struct actor *a, const struct mkey *k)
{
	int i = bnd_find(a, k->addr, k->len);

	if (i >= 0)
		a->bnd[i].len = 0;
}

/* The status word GET must return for @k. */
static int model_status(const struct actor *a, const struct mkey *k)
{
	int bnd = bnd_find(a, k->addr, k->len);
	int status = k->enabled ? MPX_STATUS_ENABLED : 0;

	if (bnd >= 0)
		status |= MPX_STATUS_HW | bnd << MPX_STATUS_BND_SHIFT;
	return status;
}

/* Show @key to the others in a random slot of @a's published keys. */
static void publish(struct actor *a, __u32 key)
{
	__atomic_store_n(&a->pub[rng_below(&a->rng, PUB_KEYS)], key,
			 __ATOMIC_RELAXED);
}

static void unpublish(struct actor *a, __u32 key)
{
	int i;

	for (i = 0; i < PUB_KEYS; i++)
		if (__atomic_load_n(&a->pub[i], __ATOMIC_RELAXED) == key)
			__atomic_store_n(&a->pub[i], 0, __ATOMIC_RELAXED);
}

/* A CREATE returned @key: it must be new to the whole process. */
static void model_add(struct actor *a, __u32 key, __u64 addr, __s32 len)
{
	unsigned char bit = 1 << (key % 8), old;

	if (key < 1 || key >= KEY_ID_LIMIT) {
		fail(a, "CREATE returned key %u, outside [1, 2^24)", key);
		return;
	}
	old = __atomic_fetch_or(&a->p->seen[key / 8], bit, __ATOMIC_RELAXED);
	if (old & bit)
		fail(a, "CREATE returned key %u, which this process was given before",
		     key);
	if (a->nkeys == a->cap) {	/* only if the oracle let it through */
		fail(a, "CREATE succeeded beyond the model's capacity");
		return;
	}
	a->keys[a->nkeys++] = (struct mkey){ key, addr, len, false };
	publish(a, key);
}

static void model_free(struct actor *a, struct mkey *k)
{
	bnd_unload(a, k);
	unpublish(a, k->key);
	a->freed[a->nfreed++ % FREED_KEYS] = k->key;
	*k = a->keys[--a->nkeys];
}

/* ---- the oracle: the results a call may have */

enum key_class { K_OWN, K_ABSENT, K_FOREIGN };

/*
 * Whose is @key? An actor knows its own keys, and that 0, numbers from
 * 2^24 and the numbers it freed are held by nobody (the module allocates
 * cyclically below 2^24, README). An actor alone in its process knows
 * every key of the process; a new process has none.
 */
static enum key_class key_class(struct actor *a, __u32 key)
{
	if (model_find(a, key))
		return K_OWN;
	if (!key || key >= KEY_ID_LIMIT || model_freed(a, key) ||
	    a->p->sole || a->p->fresh)
		return K_ABSENT;
	return K_FOREIGN;
}

static void want_know(struct want *w, enum know k, enum outcome no, int ret)
{
	if (k != KN_NO)
		want_ok(w, ret);
	if (k != KN_YES)
		want_add(w, no);
}

/* GET on a key this actor does not know: any status, or no key. */
static void want_foreign(struct actor *a, const struct mpx_args *args,
			 struct want *w)
{
	want_add(w, O_ENOENT);
	switch (args->op) {
	case MPX_OP_GET:
		want_ok(w, RET_ANY);
		if (args->addr)
			want_know(w, pages_are(a, args->addr, args->len,
					       WRITABLE), O_EFAULT, RET_ANY);
		break;
	case MPX_OP_CHECK:
		want_ok(w, 0);
		want_add(w, O_ERANGE);
		break;
	default:	/* never issued: see call_is_safe() */
		w->set = ~0U;
		w->ret = RET_ANY;
	}
}

static bool region_inside(__u64 addr, __s32 len, const struct mkey *k)
{
	return addr >= k->addr && addr + len <= k->addr + k->len;
}

/*
 * CREATE: ENOMEM for a hole, ENOSPC at max_keys (known exactly when the
 * actor is alone; impossible when the actors' caps stay well below it).
 * Which of the two comes first is not documented.
 */
static void want_create(struct actor *a, const struct mpx_args *args,
			struct want *w)
{
	enum know mapped = pages_are(a, args->addr, args->len, MAPPED);
	bool full = a->p->sole && a->nkeys >= (int)cfg.info.max_keys;

	if (mapped != KN_YES)
		want_add(w, O_ENOMEM);
	if (full || a->p->enospc)
		want_add(w, O_ENOSPC);
	if (mapped != KN_NO && !full)
		want_ok(w, RET_ANY);
}

static void want_own(struct actor *a, const struct mpx_args *args,
		     struct mkey *k, struct want *w)
{
	switch (args->op) {
	case MPX_OP_SET:
		want_know(w, pages_are(a, args->addr, args->len, MAPPED),
			  O_ENOMEM, 0);
		break;
	case MPX_OP_GET:
		if (args->addr)
			want_know(w, pages_are(a, args->addr, args->len,
					       WRITABLE), O_EFAULT,
				  model_status(a, k));
		else
			want_ok(w, model_status(a, k));
		break;
	case MPX_OP_ENABLE_HW:
		if (!cfg.hw) {
			want_add(w, O_EOPNOTSUPP);
			break;
		}
		fallthrough;
	case MPX_OP_ENABLE:
		if (bnd_find(a, k->addr, k->len) < 0 && cfg.hw &&
		    bnd_free_slot(a) < 0)
			want_add(w, O_EBUSY);
		else
			want_ok(w, 0);
		break;
	case MPX_OP_DISABLE:
		want_ok(w, 0);
		break;
	case MPX_OP_FREE:
		if (k->enabled)
			want_add(w, O_EBUSY);
		else
			want_ok(w, 0);
		break;
	case MPX_OP_CHECK:
		if (region_inside(args->addr, args->len, k))
			want_ok(w, 0);
		else
			want_add(w, O_ERANGE);
		break;
	}
}

/* MPX_IOC_CALL with known arguments: EINVAL, ENOENT, the op's own. */
static void want_call(struct actor *a, const struct mpx_args *args,
		      struct want *w)
{
	enum know ok = args_ok(args);

	if (ok != KN_YES)
		want_add(w, O_EINVAL);
	if (ok == KN_NO)
		return;
	if (args->op == MPX_OP_CREATE) {
		want_create(a, args, w);
		return;
	}
	switch (key_class(a, args->key)) {
	case K_OWN:
		want_own(a, args, model_find(a, args->key), w);
		break;
	case K_ABSENT:
		want_add(w, O_ENOENT);
		break;
	case K_FOREIGN:
		want_foreign(a, args, w);
		break;
	}
}

/* The arguments of another actor's decoy page, changing under us. */
static void want_racy(struct want *w)
{
	static const enum outcome racy[] = {
		O_EFAULT, O_EINVAL, O_ENOENT, O_ERANGE,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(racy); i++)
		want_add(w, racy[i]);
	want_ok(w, RET_ANY);
}

static void expect(struct actor *a, const struct call *c, struct want *w)
{
	*w = (struct want){ 0, RET_ANY };
	if (c->cmd == MPX_IOC_INFO) {
		want_know(w, c->readable, O_EFAULT, 0);
		return;
	}
	if (c->cmd != MPX_IOC_CALL) {
		want_add(w, O_ENOTTY);
		return;
	}
	if (!c->args_known) {
		want_racy(w);
		return;
	}
	if (c->readable != KN_YES)
		want_add(w, O_EFAULT);
	if (c->readable != KN_NO)
		want_call(a, &c->args, w);
}

/*
 * May the kernel write a GET result at [addr, addr + len)? Into our data
 * pages and anyone's scratch page, or where it cannot write (page 0, a
 * guard); never into memory whose content someone relies on.
 */
static bool buffer_safe(const struct actor *a, __u64 addr, __u64 len)
{
	__u64 base = ptr64(a->p->block), page, n;

	for (page = addr / cfg.page; page <= (addr + len - 1) / cfg.page;
	     page++) {
		if (!page)
			continue;
		if (page * cfg.page < base)
			return false;
		n = (page * cfg.page - base) / cfg.page;
		if (n >= (__u64)a->p->npages)
			return false;
		if (a->p->page_actor[n] < 0 ||	/* guard, fence */
		    a->p->page_index[n] == SCRATCH_PAGE ||
		    (a->p->page_actor[n] == a->idx &&
		     a->p->page_index[n] < DATA_PAGES))
			continue;
		return false;
	}
	return true;
}

/*
 * May @a issue @c? Not if it may change a key of another actor (a
 * mutating op on a key @a does not hold, unless it must fail), grow
 * @a's keys beyond its cap, or write a GET result where it must not.
 */
static bool call_is_safe(struct actor *a, const struct call *c,
			 const struct want *w)
{
	const struct mpx_args *args = &c->args;
	const struct op_desc *d = op_desc(args->op);

	if (c->cmd != MPX_IOC_CALL || !c->args_known ||
	    c->readable == KN_NO || args_ok(args) == KN_NO)
		return true;	/* ENOTTY, a decoy, EFAULT or EINVAL */
	if (args->op == MPX_OP_GET && args->addr &&
	    !buffer_safe(a, args->addr, args->len))
		return false;
	if (!(w->set & BIT(O_OK)) || !(d->args & A_MUTATES))
		return true;
	if (args->op == MPX_OP_CREATE)
		return a->nkeys < a->cap;
	return key_class(a, args->key) == K_OWN;
}

/* ---- after the call: check what success returned, update the model */

static void check_info(struct actor *a, const struct mpx_info *info)
{
	if (memcmp(info, &cfg.info, sizeof(*info)))
		fail(a, "INFO: version %u hw %u mode %u nr_bnd %u max_keys %u, not as at start",
		     info->version, info->hw, info->mode, info->nr_bnd,
		     info->max_keys);
}

static void check_key_info(struct actor *a, const struct mpx_args *args,
			   int status, const struct mpx_key_info *info)
{
	const unsigned int known = MPX_STATUS_ENABLED | MPX_STATUS_HW |
				   MPX_STATUS_BND_MASK;
	struct mkey *k = model_find(a, args->key);
	int bnd = status & MPX_STATUS_HW ? (int)MPX_STATUS_BND(status) : -1;

	if (status & ~known || (!cfg.hw && status & ~MPX_STATUS_ENABLED) ||
	    (!(status & MPX_STATUS_HW) && status & MPX_STATUS_BND_MASK))
		fail(a, "GET key %u: status %#x has bits it may not have",
		     args->key, status);
	if (!args->addr || !info)
		return;
	if (info->key != args->key || info->status != (__u32)status ||
	    info->bnd != bnd || info->len < 1)
		fail(a, "GET key %u wrote key %u status %#x bnd %d len %d, returned %#x",
		     args->key, info->key, info->status, info->bnd, info->len,
		     status);
	else if (k && (info->addr != k->addr || info->len != k->len))
		fail(a, "GET key %u: region [%#llx, +%d), model [%#llx, +%d)",
		     args->key, (unsigned long long)info->addr, info->len,
		     (unsigned long long)k->addr, k->len);
}

static void check_success(struct actor *a, const struct call *c, int ret)
{
	if (c->cmd == MPX_IOC_INFO) {
		if (c->read_back)
			check_info(a, c->argp);
		return;
	}
	if (c->cmd != MPX_IOC_CALL || !c->args_known)
		return;
	if (c->args.op == MPX_OP_GET)
		check_key_info(a, &c->args, ret,
			       c->read_back ? (void *)(uintptr_t)c->args.addr :
			       NULL);
	else if (c->args.op == MPX_OP_CREATE)
		model_add(a, ret, c->args.addr, c->args.len);
}

/* Follow a successful call on one of @a's keys. */
static void model_apply(struct actor *a, const struct mpx_args *args)
{
	struct mkey *k = model_find(a, args->key);
	int i;

	if (!k)
		return;
	switch (args->op) {
	case MPX_OP_SET:
		i = bnd_find(a, k->addr, k->len);
		if (k->enabled && i >= 0)
			a->bnd[i] = (struct mbnd){ args->addr, args->len };
		k->addr = args->addr;
		k->len = args->len;
		break;
	case MPX_OP_ENABLE:
	case MPX_OP_ENABLE_HW:
		if (cfg.hw && bnd_find(a, k->addr, k->len) < 0) {
			i = bnd_free_slot(a);
			a->bnd[i] = (struct mbnd){ k->addr, k->len };
		}
		k->enabled = true;
		break;
	case MPX_OP_DISABLE:
		bnd_unload(a, k);
		k->enabled = false;
		break;
	case MPX_OP_FREE:
		model_free(a, k);
		break;
	}
}

static void count_call(struct actor *a)
{
	if (++a->calls - a->flushed >= FLUSH_CALLS) {
		__atomic_add_fetch(&a->p->ctl->calls, a->calls - a->flushed,
				   __ATOMIC_RELAXED);
		a->flushed = a->calls;
	}
}

static void count_result(struct fuzz_ctl *ctl, const struct call *c,
			 int ret, int err)
{
	enum outcome o = outcome_of(ret, err);
	int op = ARRAY_SIZE(ops);

	if (c->cmd == MPX_IOC_CALL && c->args_known)
		op = op_desc(c->args.op) ? c->args.op : 0;
	if (o < NR_OUTCOMES)
		__atomic_add_fetch(&ctl->results[op][o], 1, __ATOMIC_RELAXED);
}

static void record(struct actor *a, const struct call *c,
		   const struct want *w, int ret, int err)
{
	a->hist[a->nhist++ % HISTORY] = (struct record){
		c->cmd, c->argp, c->args, c->args_known, *w, ret, err,
	};
}

/* Make @c harmless: CHECK changes nothing, whoever's the key. */
static void make_safe(struct call *c)
{
	c->args.op = MPX_OP_CHECK;
}

static void run_call(struct actor *a, struct call *c)
{
	struct want w;
	int ret, err;

	expect(a, c, &w);
	if (!call_is_safe(a, c, &w)) {
		make_safe(c);
		expect(a, c, &w);
	}
	if (c->write_len)
		memcpy(c->argp, &c->args, c->write_len);
	errno = 0;
	ret = ioctl(a->p->fd, c->cmd, c->argp);
	err = ret < 0 ? errno : 0;
	record(a, c, &w, ret, err);
	count_call(a);
	count_result(a->p->ctl, c, ret, err);
	if (!want_allows(&w, ret, err)) {
		fail(a, "unexpected result");
		return;
	}
	if (ret < 0)
		return;
	check_success(a, c, ret);
	if (c->cmd == MPX_IOC_CALL && c->args_known)
		model_apply(a, &c->args);
}

/* ---- building calls: argument pools */

static __u64 kernel_addr(struct actor *a)
{
	static const __u64 pool[] = {
		0xffff888000000000ULL, 0xffffffff81000000ULL,
		0xffffffffff600000ULL, 0x8000000000000000ULL,
	};

	return RNG_PICK(&a->rng, pool);
}

/* An address somewhere in @a's own page @i. */
static __u64 page_addr(struct actor *a, int i)
{
	const unsigned long off[] = {
		0, 1, 8, cfg.page / 2, cfg.page - 24, cfg.page - 1,
		rng_below(&a->rng, cfg.page),
	};

	return ptr64(arena_page(a, i)) + RNG_PICK(&a->rng, off);
}

static __u64 pick_addr(struct actor *a)
{
	__u64 end = cfg.user_end, page = cfg.page;
	const __u64 pool[] = {
		0, 1, page - 1, page, kernel_addr(a), ~0ULL, ~0ULL - 10,
		end - 1, end, end + page, end - page, end - page - 1,
		end - 2 * page, end - 3 * page, (__u64)INT_MAX,
		rng_next(&a->rng),
		ptr64(a->p->block) + rng_below(&a->rng, BLOCK_PAGES * page),
	};

	if (rng_chance(&a->rng, 50))
		return page_addr(a, rng_below(&a->rng, ARENA_PAGES));
	if (a->nkeys && rng_chance(&a->rng, 30))
		return a->keys[rng_below(&a->rng, a->nkeys)].addr;
	return RNG_PICK(&a->rng, pool);
}

static __s32 pick_len(struct actor *a)
{
	const __s32 pool[] = {
		0, -1, INT_MIN, INT_MAX, INT_MAX - 1, 1, 2, 23, 24, 25,
		cfg.page - 1, cfg.page, cfg.page + 1, 2 * cfg.page,
		ARENA_PAGES * cfg.page, -(__s32)cfg.page,
		(__s32)rng_next(&a->rng), 1 + rng_below(&a->rng, 4 * cfg.page),
	};

	return RNG_PICK(&a->rng, pool);
}

static __u32 pub_key(struct fuzz_ctl *ctl, int slot, int actor, int i)
{
	return __atomic_load_n(&ctl->procs[slot].keys[actor][i],
			       __ATOMIC_RELAXED);
}

/* A key another actor shows: of this process or of any. */
static __u32 foreign_key(struct actor *a)
{
	struct fuzz_ctl *ctl = a->p->ctl;
	int slot = rng_chance(&a->rng, 50) ? a->p->slot :
		   (int)rng_below(&a->rng, MAX_PROCS);

	return pub_key(ctl, slot, rng_below(&a->rng, MAX_ACTORS),
		       rng_below(&a->rng, PUB_KEYS));
}

static __u32 pick_key(struct actor *a)
{
	switch (rng_below(&a->rng, 8)) {
	case 0:
	case 1:
		if (a->nkeys)
			return a->keys[rng_below(&a->rng, a->nkeys)].key;
		fallthrough;
	case 2:
		if (a->nfreed)
			return a->freed[rng_below(&a->rng, FREED_KEYS) %
					(a->nfreed < FREED_KEYS ? a->nfreed :
					 FREED_KEYS)];
		return 0;
	case 3:
		return foreign_key(a);
	case 4: {
		const __u32 huge[] = {
			KEY_ID_LIMIT, KEY_ID_LIMIT + 1, INT_MAX, 0x80000000U,
			~0U, KEY_ID_LIMIT + rng_below(&a->rng, ~KEY_ID_LIMIT),
		};

		return RNG_PICK(&a->rng, huge);
	}
	case 5:
		return 1 + rng_below(&a->rng, 64);
	case 6:
		return 0;
	default:
		return rng_next(&a->rng);
	}
}

static __s32 pick_op(struct actor *a)
{
	const __s32 bad[] = {
		0, ARRAY_SIZE(ops), -1, INT_MIN, INT_MAX, 0x100 | MPX_OP_GET,
		(__s32)rng_next(&a->rng),
	};

	if (rng_chance(&a->rng, 85))
		return 1 + rng_below(&a->rng, ARRAY_SIZE(ops) - 1);
	return RNG_PICK(&a->rng, bad);
}

static __u32 pick_flags(struct actor *a)
{
	const __u32 pool[] = { 1, 2, 0x80000000U, ~0U, rng_next(&a->rng) };

	return rng_chance(&a->rng, 90) ? 0 : RNG_PICK(&a->rng, pool);
}

/* A region starting in @a's own arena (so no other actor's key has it). */
static void own_region(struct actor *a, __u64 *addr, __s32 *len)
{
	int i = rng_chance(&a->rng, 80) ? rng_below(&a->rng, DATA_PAGES) :
		rng_below(&a->rng, ARENA_PAGES);
	__u64 start = page_addr(a, i);
	__u64 to_end = ptr64(a->arena) + ARENA_PAGES * cfg.page - start;
	const __s32 pool[] = {
		1, 24, cfg.page, cfg.page + 1, 2 * cfg.page,
		1 + rng_below(&a->rng, 3 * cfg.page), to_end, to_end + 1,
		cfg.page - (start % cfg.page),
	};

	*addr = start;
	*len = rng_chance(&a->rng, 1) ? INT_MAX : RNG_PICK(&a->rng, pool);
}

/* A region for CHECK: inside @k, at its edges, or anywhere. */
static void check_region(struct actor *a, const struct mkey *k, __u64 *addr,
			 __s32 *len)
{
	__u32 off = rng_below(&a->rng, k->len);

	switch (rng_below(&a->rng, 6)) {
	case 0:		/* inside */
		*addr = k->addr + off;
		*len = 1 + rng_below(&a->rng, k->len - off);
		break;
	case 1:		/* the whole region */
		*addr = k->addr;
		*len = k->len;
		break;
	case 2:		/* the byte before, or from it */
		*addr = k->addr - 1;
		*len = rng_chance(&a->rng, 50) ? 1 : k->len + 1;
		break;
	case 3:		/* the byte after, or up to it */
		*addr = k->addr + k->len - rng_below(&a->rng, 2);
		*len = 2;
		break;
	case 4:		/* one byte longer */
		*addr = k->addr;
		*len = k->len + 1;
		break;
	default:
		own_region(a, addr, len);
	}
}

/* ---- building calls: where the arguments and result buffers go */

/* A GET/INFO result buffer of @size bytes; sets c->read_back. */
static __u64 pick_buffer(struct actor *a, struct call *c, size_t size)
{
	int i = rng_below(&a->rng, DATA_PAGES);
	__u64 addr;

	switch (rng_below(&a->rng, 10)) {
	case 0:		/* another actor's scratch page: never read back */
		addr = ptr64(a->p->actors[rng_below(&a->rng, a->p->nactors)]
			     .arena) + SCRATCH_PAGE * cfg.page;
		return addr + rng_below(&a->rng, cfg.page - size + 1);
	case 1:		/* our scratch page, whatever its state */
		return ptr64(arena_page(a, SCRATCH_PAGE)) +
		       rng_below(&a->rng, cfg.page - size + 1);
	case 2:		/* straddling two data pages */
		i = rng_below(&a->rng, DATA_PAGES - 1);
		addr = ptr64(arena_page(a, i + 1)) - 1 -
		       rng_below(&a->rng, size - 1);
		break;
	case 3: {	/* fails: outside user space, page 0, the fence */
		const __u64 bad[] = {
			kernel_addr(a), cfg.user_end - 8, cfg.page - 8,
			ptr64(a->p->block),
		};

		return RNG_PICK(&a->rng, bad);
	}
	default:	/* a data page, misaligned or not */
		addr = ptr64(arena_page(a, i)) +
		       rng_below(&a->rng, cfg.page - size + 1);
	}
	c->read_back = pages_are(a, addr, size, WRITABLE) == KN_YES;
	return addr;
}

/* An argument pointer the kernel cannot read. */
static void *bad_argp(struct actor *a)
{
	const uintptr_t pool[] = {
		0, 8, (uintptr_t)a->p->block, (uintptr_t)~0UL - 7,
#if __SIZEOF_POINTER__ == 8
		(uintptr_t)cfg.user_end - 8, (uintptr_t)kernel_addr(a),
#endif
	};

	return (void *)RNG_PICK(&a->rng, pool);
}

/* The arguments go on the stack: always readable, written at the call. */
static void args_on_stack(struct call *c, struct mpx_args *stack)
{
	c->argp = stack;
	c->readable = KN_YES;
	c->write_len = sizeof(c->args);
}

/*
 * Where c->args go: mostly the stack; a data page (misaligned, or
 * straddling into the next page, which may be unreadable: then only the
 * part that fits is written); a pointer the kernel cannot read; with
 * @decoys, a decoy page instead, ours (exact) or another actor's (racy),
 * whose arguments replace c->args. Sets argp, readable and write_len.
 */
static void place_args(struct actor *a, struct call *c,
		       struct mpx_args *stack, bool decoys)
{
	const size_t size = sizeof(c->args);
	struct actor *other;
	int i;
	char *p;

	switch (rng_below(&a->rng, 20)) {
	case 0:
	case 1:		/* a data page, anywhere in it */
		i = rng_below(&a->rng, DATA_PAGES);
		p = arena_page(a, i) + rng_below(&a->rng, cfg.page - size + 1);
		break;
	case 2:		/* straddling data pages i and i + 1 */
		i = rng_below(&a->rng, DATA_PAGES - 1);
		p = arena_page(a, i + 1) - 1 - rng_below(&a->rng, size - 1);
		break;
	case 3:
		c->argp = bad_argp(a);
		c->readable = KN_NO;
		c->write_len = 0;
		return;
	case 4:
		if (!decoys)
			goto stack;
		other = &a->p->actors[rng_below(&a->rng, a->p->nactors)];
		c->argp = arena_page(other, DECOY_PAGE) + cfg.page - size;
		c->args_known = other == a;
		c->args = a->decoy;	/* meant only if it is ours */
		c->readable = pages_are(a, ptr64(c->argp), size, READABLE);
		c->write_len = 0;
		return;
	default:
		goto stack;
	}
	i = (ptr64(p) - ptr64(a->arena)) / cfg.page;
	c->argp = p;
	c->readable = pages_are(a, ptr64(p), size, READABLE);
	if (c->readable == KN_NO) {
		c->write_len = a->pg[i] != PG_RW ? 0 :
			       ptr64(arena_page(a, i + 1)) - ptr64(p);
		if (c->write_len > size)
			c->write_len = size;
		return;
	}
	if (pages_are(a, ptr64(p), size, WRITABLE) == KN_YES) {
		c->write_len = size;
		return;
	}
stack:	/* also when the data page is read-only: nowhere to write */
	args_on_stack(c, stack);
}

/* ---- building calls: the actions */

static void call_init(struct call *c, unsigned long cmd)
{
	memset(c, 0, sizeof(*c));
	c->cmd = cmd;
	c->args_known = true;
	c->readable = KN_YES;
}

/* GET needs len 0 without a buffer, sizeof(mpx_key_info) with one. */
static void get_buffer(struct actor *a, struct call *c)
{
	if (rng_chance(&a->rng, 50)) {
		c->args.addr = 0;
		c->args.len = 0;
		return;
	}
	c->args.addr = pick_buffer(a, c, sizeof(struct mpx_key_info));
	c->args.len = sizeof(struct mpx_key_info);
}

/* Well-formed arguments for a CREATE, or an op on one of our keys. */
static void model_args(struct actor *a, struct call *c)
{
	static const __s32 weighted[] = {
		MPX_OP_CREATE, MPX_OP_CREATE, MPX_OP_CREATE, MPX_OP_SET,
		MPX_OP_SET, MPX_OP_GET, MPX_OP_GET, MPX_OP_GET, MPX_OP_ENABLE,
		MPX_OP_ENABLE, MPX_OP_ENABLE_HW, MPX_OP_DISABLE,
		MPX_OP_DISABLE, MPX_OP_FREE, MPX_OP_FREE, MPX_OP_CHECK,
		MPX_OP_CHECK, MPX_OP_CHECK,
	};
	__s32 op = RNG_PICK(&a->rng, weighted);
	struct mkey *k;

	call_init(c, MPX_IOC_CALL);
	if (!a->nkeys || (op == MPX_OP_CREATE && a->nkeys < a->cap)) {
		c->args.op = MPX_OP_CREATE;
		own_region(a, &c->args.addr, &c->args.len);
		return;
	}
	if (op == MPX_OP_CREATE)
		op = MPX_OP_FREE;
	k = &a->keys[rng_below(&a->rng, a->nkeys)];
	c->args.op = op;
	c->args.key = k->key;
	if (op == MPX_OP_SET)
		own_region(a, &c->args.addr, &c->args.len);
	else if (op == MPX_OP_CHECK)
		check_region(a, k, &c->args.addr, &c->args.len);
	else if (op == MPX_OP_GET)
		get_buffer(a, c);
}

static void build_model_call(struct actor *a, struct call *c,
			     struct mpx_args *stack)
{
	model_args(a, c);
	if (rng_chance(&a->rng, 80))
		args_on_stack(c, stack);
	else
		place_args(a, c, stack, false);
}

/* Boundary values everywhere; often trimmed to reach the later checks. */
static void build_random_call(struct actor *a, struct call *c,
			      struct mpx_args *stack)
{
	const struct op_desc *d;

	call_init(c, MPX_IOC_CALL);
	c->args = (struct mpx_args){
		.addr = pick_addr(a), .len = pick_len(a), .key = pick_key(a),
		.op = pick_op(a), .flags = pick_flags(a),
	};
	d = op_desc(c->args.op);
	if (d && rng_chance(&a->rng, 60)) {
		if (!(d->args & A_KEY))
			c->args.key = 0;
		if (d->args & A_BUF) {
			get_buffer(a, c);
		} else if (!(d->args & A_REGION)) {
			c->args.addr = 0;
			c->args.len = 0;
		}
	}
	place_args(a, c, stack, true);
}

/*
 * Another actor's or process's key. Read-only ops, unless this actor is
 * alone in its process: then every key it does not hold is ENOENT.
 */
static void build_foreign_call(struct actor *a, struct call *c,
			       struct mpx_args *stack)
{
	model_args(a, c);
	c->args.key = foreign_key(a);
	if (c->args.op == MPX_OP_CREATE ||
	    (!a->p->sole && c->args.op != MPX_OP_GET)) {
		c->args.op = MPX_OP_CHECK;
		own_region(a, &c->args.addr, &c->args.len);
		if (rng_chance(&a->rng, 30))
			c->args.addr = pick_addr(a);
	}
	place_args(a, c, stack, false);
}

static void build_info_call(struct actor *a, struct call *c,
			    struct mpx_info *stack)
{
	call_init(c, MPX_IOC_INFO);
	c->args_known = false;
	switch (rng_below(&a->rng, 3)) {
	case 0:
		c->argp = stack;
		c->read_back = true;
		break;
	case 1:
		c->argp = (void *)(uintptr_t)pick_buffer(a, c, sizeof(*stack));
		c->readable = pages_are(a, ptr64(c->argp), sizeof(*stack),
					WRITABLE);
		break;
	default:
		c->argp = bad_argp(a);
		c->readable = KN_NO;
	}
}

/*
 * An ioctl command /dev/mpx does not know: ours with another number, size
 * or direction, or other magics. Never the ones the VFS handles itself for
 * any file (FIOCLEX, FIONBIO, FIGETBSZ, FIFREEZE, FICLONE, FS_IOC_*...):
 * types 0x00, 0x15, 'T', 'X', 'f', 0x94.
 */
static unsigned long pick_unknown_cmd(struct actor *a)
{
	static const unsigned int types[] = {
		MPX_IOC_MAGIC, MPX_IOC_MAGIC, 0xbc, 0xbe, 'z', 0xa5, 0xff,
	};
	static const unsigned int dirs[] = {
		_IOC_NONE, _IOC_READ, _IOC_WRITE, _IOC_READ | _IOC_WRITE,
	};
	unsigned long cmd;

	do {
		cmd = _IOC(RNG_PICK(&a->rng, dirs), RNG_PICK(&a->rng, types),
			   rng_below(&a->rng, 8), rng_chance(&a->rng, 50) ?
			   rng_below(&a->rng, 80) :
			   rng_below(&a->rng, _IOC_SIZEMASK + 1));
	} while (cmd == MPX_IOC_CALL || cmd == MPX_IOC_INFO);
	return cmd;
}

static void build_unknown_call(struct actor *a, struct call *c,
			       struct mpx_args *stack)
{
	call_init(c, pick_unknown_cmd(a));
	c->args_known = false;
	c->argp = rng_chance(&a->rng, 50) ? (void *)stack : bad_argp(a);
}

/* Harmless arguments for the decoy page: read-only ops or invalid ones. */
static void decoy_args(struct actor *a, struct mpx_args *d)
{
	__u64 scratch = ptr64(arena_page(a, SCRATCH_PAGE)) +
			rng_below(&a->rng, cfg.page - 24);
	const __u64 addrs[] = { 0, scratch, kernel_addr(a) };
	const __s32 ops_pool[] = {
		MPX_OP_GET, MPX_OP_CHECK, 0, -1, ARRAY_SIZE(ops),
	};

	*d = (struct mpx_args){
		.addr = RNG_PICK(&a->rng, addrs),
		.key = pick_key(a),
		.op = RNG_PICK(&a->rng, ops_pool),
		.flags = pick_flags(a),
	};
	if (d->op == MPX_OP_GET)
		d->len = d->addr ? sizeof(struct mpx_key_info) : 0;
	else
		d->len = 1 + rng_below(&a->rng, cfg.page);
}

/*
 * Change one of our pages: unmap, map afresh or change its protection.
 * The decoy page gets new harmless arguments whenever it is writable.
 */
static void churn(struct actor *a)
{
	int i = rng_chance(&a->rng, a->chaos ? 60 : 20) ?
		DECOY_PAGE + rng_below(&a->rng, 2) :
		rng_below(&a->rng, DATA_PAGES);
	enum page_state st = rng_below(&a->rng, NR_PAGE_STATES);

	if (rng_chance(&a->rng, 50))
		st = PG_RW;	/* mostly mapped: more calls get far */
	if (!page_set(a, i, st, rng_chance(&a->rng, 30))) {
		fail(a, "changing page %d to state %d: %s", i, st,
		     strerror(errno));
		return;
	}
	if (i == DECOY_PAGE && a->pg[i] == PG_RW) {
		decoy_args(a, &a->decoy);
		memcpy(arena_page(a, DECOY_PAGE) + cfg.page - sizeof(a->decoy),
		       &a->decoy, sizeof(a->decoy));
	}
	ctl_count(a->p->ctl, EV_CHURNS, 1);
}

/*
 * Alone in the process: fill the table to max_keys, see ENOSPC, free the
 * new keys again. Every result is exact.
 */
/* One CREATE of a region in our arena, arguments on the stack. */
static void create_one(struct actor *a)
{
	struct mpx_args stack;
	struct call c;

	call_init(&c, MPX_IOC_CALL);
	c.args.op = MPX_OP_CREATE;
	own_region(a, &c.args.addr, &c.args.len);
	args_on_stack(&c, &stack);
	run_call(a, &c);
}

/* Disable or free our newest keys until @a holds @n. */
static void drop_keys(struct actor *a, int n)
{
	struct mpx_args stack;
	struct mkey *k;
	struct call c;

	while (a->nkeys > n && !a->broken) {
		k = &a->keys[a->nkeys - 1];
		call_init(&c, MPX_IOC_CALL);
		c.args.op = k->enabled ? MPX_OP_DISABLE : MPX_OP_FREE;
		c.args.key = k->key;
		args_on_stack(&c, &stack);
		run_call(a, &c);
	}
}

static void exhaust(struct actor *a)
{
	int start = a->nkeys, tries = 2 * a->cap;

	while (a->nkeys < a->cap && tries-- && !a->broken)
		create_one(a);
	if (a->nkeys == a->cap && !a->broken) {
		create_one(a);	/* ENOSPC (or ENOMEM first) */
		ctl_count(a->p->ctl, EV_EXHAUSTS, 1);
	}
	drop_keys(a, start);
}

/*
 * Another process's memory (mpx_fuzz_remote.c), or now and then our own
 * enabled region through the same paths: the owner is never refused.
 */
static void remote(struct actor *a)
{
	struct mkey *k = a->nkeys ? &a->keys[rng_below(&a->rng, a->nkeys)] :
		NULL;
	char why[400];
	bool ok;

	if (k && k->enabled && (__u64)k->len <= REMOTE_SELF_PAGES * cfg.page &&
	    rng_chance(&a->rng, 30) &&
	    pages_are(a, k->addr, k->len, READABLE) == KN_YES)
		ok = remote_self_step(a->p->ctl, &a->rng, k->addr, k->len,
				      why, sizeof(why));
	else
		ok = remote_step(a->p->ctl, a->p->slot, &a->rng, why,
				 sizeof(why));
	if (!ok)
		fail(a, "%s", why);
}

enum action {
	ACT_MODEL, ACT_RANDOM, ACT_FOREIGN, ACT_INFO, ACT_UNKNOWN, ACT_CHURN,
	ACT_REMOTE, ACT_EXHAUST, NR_ACTIONS
};

/* Per mille, for owner and chaos actors. */
static const unsigned short action_weights[2][NR_ACTIONS] = {
	{ [ACT_MODEL] = 590, [ACT_RANDOM] = 250, [ACT_FOREIGN] = 80,
	  [ACT_INFO] = 15, [ACT_UNKNOWN] = 15, [ACT_CHURN] = 39,
	  [ACT_REMOTE] = 10, [ACT_EXHAUST] = 1 },
	{ [ACT_MODEL] = 250, [ACT_RANDOM] = 280, [ACT_FOREIGN] = 150,
	  [ACT_INFO] = 25, [ACT_UNKNOWN] = 25, [ACT_CHURN] = 250,
	  [ACT_REMOTE] = 20 },
};

static enum action pick_action(struct actor *a)
{
	const unsigned short *w = action_weights[a->chaos];
	unsigned int r = rng_below(&a->rng, 1000);
	int i;

	for (i = 0; i < NR_ACTIONS - 1 && r >= w[i]; i++)
		r -= w[i];
	/* A fill takes max_keys calls: about one in 3000 steps. */
	if (i == ACT_EXHAUST && (a->cap <= ACTOR_KEYS ||
				 !rng_chance(&a->rng, 33)))
		i = ACT_MODEL;
	return i;
}

static void actor_step(struct actor *a)
{
	union {
		struct mpx_args args;
		struct mpx_info info;
	} stack;
	struct call c;

	switch (pick_action(a)) {
	case ACT_MODEL:
		build_model_call(a, &c, &stack.args);
		break;
	case ACT_RANDOM:
		build_random_call(a, &c, &stack.args);
		break;
	case ACT_FOREIGN:
		build_foreign_call(a, &c, &stack.args);
		break;
	case ACT_INFO:
		build_info_call(a, &c, &stack.info);
		break;
	case ACT_UNKNOWN:
		build_unknown_call(a, &c, &stack.args);
		break;
	case ACT_CHURN:
		churn(a);
		return;
	case ACT_REMOTE:
		remote(a);
		return;
	default:
		exhaust(a);
		return;
	}
	run_call(a, &c);
}

/* ---- processes: layout, actor threads, generations */

/*
 * Lay out the arenas in one block: a guard page (a hole) before each
 * owner's arena and before the chaos actors' (which abut), one after the
 * last. A PROT_NONE fence at either end keeps the first and last guard
 * apart from the free space around the block, where a thread stack would
 * fill them. Returns the page of each arena in @first.
 */
static void proc_layout(struct proc *p, int *first)
{
	int i, j, n = 0;

	p->page_actor[n++] = PAGE_FENCE;
	for (i = 0; i < p->nactors; i++) {
		if (!i || !p->actors[i].chaos || !p->actors[i - 1].chaos)
			p->page_actor[n++] = PAGE_GUARD;
		first[i] = n;
		for (j = 0; j < ARENA_PAGES; j++, n++) {
			p->page_actor[n] = i;
			p->page_index[n] = j;
		}
	}
	p->page_actor[n++] = PAGE_GUARD;
	p->page_actor[n++] = PAGE_FENCE;
	p->npages = n;
}

static void actor_init(struct proc *p, int idx, bool chaos,
		       struct mkey *keys, int cap)
{
	struct actor *a = &p->actors[idx];
	int i;

	a->p = p;
	a->idx = idx;
	a->chaos = chaos;
	a->rng = rng_derive(p->rng.state, idx + 1);
	a->keys = keys;
	a->cap = cap;
	a->pub = p->ctl->procs[p->slot].keys[idx];
	memset(a->pub, 0, PUB_KEYS * sizeof(*a->pub));
	for (i = 0; i < ARENA_PAGES; i++)
		a->pg[i] = PG_RW;
}

/*
 * Set up a process generation: @owners owner and @chaos chaos actors.
 * Everything is mapped before the guard pages are punched last.
 */
struct proc *proc_create(struct fuzz_ctl *ctl, int ctl_fd, int slot,
			 int fd, __u32 gen, int owners, int chaos)
{
	bool fill = owners + chaos == 1 && cfg.info.max_keys <= EXHAUST_MAX;
	int i, first[MAX_ACTORS], cap = fill ? (int)cfg.info.max_keys :
					    ACTOR_KEYS;
	size_t keys_size = (owners + chaos) * cap * sizeof(struct mkey);
	struct mkey *keys;
	struct proc *p;

	p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	keys = mmap(NULL, keys_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || keys == MAP_FAILED)
		return NULL;
	*p = (struct proc){
		.ctl = ctl, .ctl_fd = ctl_fd, .slot = slot, .fd = fd,
		.gen = gen, .nactors = owners + chaos,
		.sole = owners + chaos == 1,
		.enospc = (owners + chaos) * cap * 2 > (int)cfg.info.max_keys,
	};
	p->rng = rng_derive(cfg.seed, (__u64)ctl->test << 32 | gen);
	if (p->sole)
		p->enospc = false;
	for (i = 0; i < p->nactors; i++)
		actor_init(p, i, i >= owners, keys + i * cap, cap);
	proc_layout(p, first);
	p->seen = mmap(NULL, KEY_ID_LIMIT / 8, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	p->block = mmap(NULL, p->npages * cfg.page, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->seen == MAP_FAILED || p->block == MAP_FAILED ||
	    pipe2(p->done, O_CLOEXEC))
		return NULL;
	for (i = 0; i < p->nactors; i++) {
		struct actor *a = &p->actors[i];

		a->arena = p->block + first[i] * cfg.page;
		decoy_args(a, &a->decoy);
		memcpy(arena_page(a, DECOY_PAGE) + cfg.page - sizeof(a->decoy),
		       &a->decoy, sizeof(a->decoy));
	}
	/* Last: from here on, nothing but MAP_FIXED in the arenas. */
	for (i = 0; i < p->npages; i++)
		if ((p->page_actor[i] == PAGE_GUARD &&
		     munmap(p->block + i * cfg.page, cfg.page)) ||
		    (p->page_actor[i] == PAGE_FENCE &&
		     mprotect(p->block + i * cfg.page, cfg.page, PROT_NONE)))
			return NULL;
	/* For the other processes' remote accessors. */
	ctl->procs[slot].block = ptr64(p->block);
	ctl->procs[slot].pages = p->npages;
	return p;
}

static void *actor_thread(void *arg)
{
	struct actor *a = arg;
	char idx = a->idx;

	/* A new thread has its creator's registers, which are empty. */
	memset(a->bnd, 0, sizeof(a->bnd));
	while (a->calls < a->chunk_end && !a->broken &&
	       !ctl_stopped(a->p->ctl))
		actor_step(a);
	__atomic_add_fetch(&a->p->ctl->calls, a->calls - a->flushed,
			   __ATOMIC_RELAXED);
	a->flushed = a->calls;
	if (write(a->p->done[1], &idx, 1) != 1)
		fail(a, "done pipe: %s", strerror(errno));
	return NULL;
}

/* Play @a in a new thread for @calls more calls. */
static bool actor_start(struct actor *a, __u64 calls)
{
	a->chunk_end = a->quota - a->calls > calls ? a->calls + calls :
		       a->quota;
	if (!pthread_create(&a->thread, NULL, actor_thread, a))
		return true;
	fail(a, "pthread_create failed");
	return false;
}

/* Wait for an actor thread to end; its index, or -1 after @ms. */
static int actor_wait(struct proc *p, int ms)
{
	struct pollfd pfd = { .fd = p->done[0], .events = POLLIN };
	char idx;

	if (poll(&pfd, 1, ms) != 1 || read(p->done[0], &idx, 1) != 1)
		return -1;
	pthread_join(p->actors[(int)idx].thread, NULL);
	return idx;
}

static int worker_main(struct fuzz_ctl *ctl, int ctl_fd, int slot, int fd,
		       __u32 gen);

/* Fork a new worker process: reserve its slot, start it. */
pid_t spawn_worker(struct fuzz_ctl *ctl, int ctl_fd, int fd)
{
	int slot = slot_reserve(ctl);
	__u32 gen;
	pid_t pid;

	if (slot < 0)
		return 0;
	gen = __atomic_fetch_add(&ctl->gen, 1, __ATOMIC_SEQ_CST);
	pid = fork();
	if (pid == 0) {
		slot_take(ctl, slot, getpid());
		_exit(worker_main(ctl, ctl_fd, slot, fd, gen));
	}
	if (pid < 0) {
		slot_take(ctl, slot, 0);
		fail_ctl(ctl, "fork: %s", strerror(errno));
		return -1;
	}
	slot_take(ctl, slot, pid);
	ctl_count(ctl, EV_PROCS, 1);
	return pid;
}

/*
 * Replace this process image by a new worker generation (the helper
 * program mpx_worker), while the other threads are in the middle of their
 * calls (exec kills them).
 */
static void exec_generation(struct proc *p)
{
	char ctl_fd[16], slot[16], fd[16], gen[16];
	__u32 next = __atomic_fetch_add(&p->ctl->gen, 1, __ATOMIC_SEQ_CST);

	snprintf(ctl_fd, sizeof(ctl_fd), "%d", p->ctl_fd);
	snprintf(slot, sizeof(slot), "%d", p->slot);
	snprintf(fd, sizeof(fd), "%d", p->fd);
	snprintf(gen, sizeof(gen), "%u", next);
	ctl_count(p->ctl, EV_EXECS, 1);
	worker_exec(WORKER_FUZZ, ctl_fd, slot, fd, gen, NULL);
	fail_ctl(p->ctl, "exec %s: %s", MPX_WORKER, strerror(errno));
}

void reap(struct fuzz_ctl *ctl, int flags)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, flags)) > 0) {
		slot_release(ctl, pid);
		if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
			fail_ctl(ctl, "worker %d killed by signal %d", pid,
				 WTERMSIG(status));
		else if (WIFEXITED(status) && WEXITSTATUS(status))
			fail_ctl(ctl, "worker %d exited with %d", pid,
				 WEXITSTATUS(status));
	}
}

/*
 * The spawner: keep every actor played by a thread until it has made its
 * quota; between chunks, maybe fork a worker or exec a new generation.
 * The spawner itself never calls mpx(), so its bound registers stay
 * empty, and so do those of the threads and processes it creates.
 */
void proc_run(struct proc *p, const struct run_opts *o)
{
	__u64 last_calls = 0;
	time_t stall = time(NULL);
	int i, running = 0, idx;
	struct actor *a;

	for (i = 0; i < p->nactors; i++)
		running += actor_start(&p->actors[i], o->chunk_min +
				       rng_below(&p->rng, o->chunk_max -
						 o->chunk_min + 1));
	while (running) {
		idx = actor_wait(p, 1000);
		if (o->fork_exec)
			reap(p->ctl, WNOHANG);
		if (idx < 0) {
			if (__atomic_load_n(&p->ctl->calls, __ATOMIC_RELAXED) !=
			    last_calls) {
				last_calls = p->ctl->calls;
				stall = time(NULL);
			} else if (time(NULL) - stall > STALL_SECONDS) {
				fail_ctl(p->ctl, "no call ended in %d s",
					 STALL_SECONDS);
				_exit(1);
			}
			continue;
		}
		running--;
		a = &p->actors[idx];
		if (a->calls >= a->quota || a->broken ||
		    ctl_stopped(p->ctl))
			continue;
		ctl_count(p->ctl, EV_THREADS, 1);
		if (o->fork_exec && rng_chance(&p->rng, 5) &&
		    spawn_worker(p->ctl, p->ctl_fd, p->fd) > 0)
			ctl_count(p->ctl, EV_FORKS, 1);
		if (o->fork_exec && rng_chance(&p->rng, 3))
			exec_generation(p);
		running += actor_start(a, o->chunk_min +
				       rng_below(&p->rng, o->chunk_max -
						 o->chunk_min + 1));
	}
}

/*
 * A new process (forked, or exec'd over an old one with the same /dev/mpx
 * descriptor) holds no key: every key any process shows is ENOENT here.
 * GET changes no register, so the spawner may do it.
 */
static void check_fresh(struct proc *p)
{
	struct actor *a = &p->actors[0];
	struct mpx_args stack;
	struct call c;
	int slot, i, j;

	p->fresh = true;
	for (slot = 0; slot < MAX_PROCS; slot++)
		for (i = 0; i < MAX_ACTORS; i++)
			for (j = 0; j < PUB_KEYS; j++) {
				call_init(&c, MPX_IOC_CALL);
				c.args.op = MPX_OP_GET;
				c.args.key = pub_key(p->ctl, slot, i, j);
				if (!c.args.key || a->broken)
					continue;
				args_on_stack(&c, &stack);
				run_call(a, &c);
			}
	p->fresh = false;
}

long proc_keys(const struct proc *p)
{
	long n = 0;
	int i;

	for (i = 0; i < p->nactors; i++)
		n += p->actors[i].nkeys;
	return n;
}

void proc_share_quota(struct proc *p, __u64 calls)
{
	int i;

	for (i = 0; i < p->nactors; i++)
		p->actors[i].quota = calls / p->nactors;
}

void proc_drop_keys(struct proc *p)
{
	int i;

	for (i = 0; i < p->nactors; i++) {
		memset(p->actors[i].bnd, 0, sizeof(p->actors[i].bnd));
		drop_keys(&p->actors[i], 0);
	}
}

/* What the calls returned, per op: a measure of how deep they got. */
static void report_results(struct fuzz_ctl *ctl)
{
	unsigned int op, o;
	char line[256];
	size_t n;

	for (op = 0; op <= ARRAY_SIZE(ops); op++) {
		n = snprintf(line, sizeof(line), "%-10s",
			     op == ARRAY_SIZE(ops) ? "INFO/other" :
			     op ? ops[op].name : "bad op");
		for (o = 0; o < NR_OUTCOMES && n < sizeof(line) - 32; o++)
			if (ctl->results[op][o])
				n += snprintf(line + n, sizeof(line) - n,
					      " %s %llu", outcome_names[o],
					      (unsigned long long)
					      ctl->results[op][o]);
		note("%s\n", line);
	}
}

void ctl_report(struct fuzz_ctl *ctl)
{
	char line[256];
	size_t n = 0;
	int i;

	for (i = 0; i < NR_EVENTS && n < sizeof(line) - 40; i++)
		if (ctl->events[i])
			n += snprintf(line + n, sizeof(line) - n, "%s%s %llu",
				      n ? ", " : "", event_names[i],
				      (unsigned long long)ctl->events[i]);
	if (n)
		note("%s\n", line);
	report_results(ctl);
}

/*
 * A worker process of the multi-process test: a generation of 2 owners
 * and a chaos actor, or (every fourth) a lone attacker; its quota of
 * calls is random, so generations come and go.
 */
static int worker_main(struct fuzz_ctl *ctl, int ctl_fd, int slot, int fd,
		       __u32 gen)
{
	const struct run_opts opts = {
		.chunk_min = 100, .chunk_max = 1500, .fork_exec = true,
	};
	bool attacker = gen % 4 == 3;
	struct proc *p;
	__u64 quota;

	p = proc_create(ctl, ctl_fd, slot, fd, gen, attacker ? 1 : 2,
			attacker ? 0 : 1);
	if (!p) {
		fail_ctl(ctl, "worker setup: %s", strerror(errno));
		return 1;
	}
	quota = 2000 + rng_below(&p->rng, 15000);
	proc_share_quota(p, quota);
	check_fresh(p);
	proc_run(p, &opts);
	return 0;
}

int fuzz_worker_main(int argc, char **argv)
{
	struct fuzz_ctl *ctl;
	int ctl_fd, slot, fd;

	if (argc != 5)
		return 2;
	ctl_fd = atoi(argv[1]);
	slot = atoi(argv[2]);
	fd = atoi(argv[3]);
	ctl = ctl_map(ctl_fd);
	if (!ctl)
		return 3;
	cfg = ctl->cfg;
	return worker_main(ctl, ctl_fd, slot, fd, strtoul(argv[4], NULL, 0));
}
