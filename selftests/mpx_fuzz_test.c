// SPDX-License-Identifier: GPL-2.0
/*
 * mpx_fuzz_test - a model-checking fuzzer for the ioctls of /dev/mpx.
 *
 * Fuzzing threads ("actors") make random and adversarial calls and check
 * every result against an oracle written from the ABI and a model of
 * their keys, pages and bound registers: the engine, mpx_fuzz.c, says how.
 * Worker processes exec the helper program mpx_worker, which runs the
 * same engine, so the suite keeps the kselftest harness's own main().
 *
 * Tests (in this order; TAP through the kselftest harness):
 *   fuzz_single_process_model  4 owner and 2 chaos actors in one process;
 *	at the end the module-wide key count must be the models' total, and
 *	back at its start once every key is freed.
 *   fuzz_multi_process  LIVE_PROCS worker processes at a time (2 owners and
 *	a chaos actor, or a lone attacker that sees everyone else's keys as
 *	ENOENT), whose actors' threads exit and are replaced every few hundred
 *	calls, that fork, and exec mpx_worker (a new process must see no key),
 *	while the test kills them with SIGKILL and (hardware mode) flips the
 *	fpu_memory test aid; the counts must return when all are gone.
 *   counts_return_to_zero  debugfs mpx/state "keys" and "mms" are back at
 *	their values from before the first test (SKIP if the file is missing).
 *
 * Budget: MPX_FUZZ_CALLS calls in all, half per fuzz test; each prints
 * "# calls: N, calls/s: R" and what the calls returned, per op.
 * The default, CALLS_DEFAULT, takes 15-25 s in the TCG test VM (about
 * 43000 calls/s in hardware mode, 66000 in software mode, on 6.1); give
 * the debug kernel, several times slower, the same count, or more to soak.
 *
 * Replaying: every test prints "# seed: N" first. Run
 *	MPX_FUZZ_SEED=N MPX_FUZZ_CALLS=M ./mpx_fuzz_test
 * The seed fixes every actor's decisions (its PRNG derives from the seed,
 * the test, the process generation and the actor), but not the interleaving
 * of threads or when SIGKILL lands, so a race may need several runs. A
 * failure prints the actor's last calls and its model of the key involved,
 * enough to write a reproducer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libmpx.h"
#include "mpx_fuzz.h"
#include "mpx_sysfs.h"
#include "mpx_uspace.h"

#define SEED_ENV		"MPX_FUZZ_SEED"
#define CALLS_ENV		"MPX_FUZZ_CALLS"
#define CALLS_DEFAULT		1000000	/* 23 s in the VM, hardware mode */
#define FPU_MEMORY_PATH		"/sys/module/mpx/parameters/fpu_memory"
#define LIVE_PROCS		3	/* the multi-process test keeps running */
#define TEST_TIMEOUT		3600	/* the harness's; STALL_SECONDS rules */

/* ---- debugfs counts (mpx_sysfs.h) */

/*
 * Wait up to 5 s for the counts to reach @keys and @mms: an address
 * space's keys go when its last user drops it, which may lag its exit.
 */
static int wait_state(long keys, long mms, struct mpx_state *st)
{
	int i, ret = 0;

	for (i = 0; i < 50; i++) {
		ret = read_state(st);
		if (ret || (st->keys == keys && st->mms == mms))
			break;
		usleep(100000);
	}
	return ret;
}

/* Per test: calls made and seconds taken, for the run's total. */
/* The single-process test's actors. */
#define SINGLE_OWNERS	4
#define SINGLE_CHAOS	2
#define SINGLE_ACTORS	(SINGLE_OWNERS + SINGLE_CHAOS)

struct run_totals {
	__u64 calls;
	double seconds;
};

static struct run_totals *totals;	/* shared with the tests' children */

/* ---- the seed, the budget and what the kernel offers */

static __u64 parse_u64(const char *s, const char *what)
{
	char *end;
	__u64 v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "mpx_fuzz_test: bad %s '%s'\n", what, s);
		exit(KSFT_FAIL);
	}
	return v;
}

/*
 * Before main(), once for the whole run: the harness forks every test
 * from this process, so the counts are those from before the first test.
 */
static void __attribute__((constructor)) cfg_init(void)
{
	const char *seed = getenv(SEED_ENV), *calls = getenv(CALLS_ENV);
	struct mpx_state st;
	struct timespec ts;
	int ret;

	clock_gettime(CLOCK_REALTIME, &ts);
	cfg.seed = seed ? parse_u64(seed, SEED_ENV) :
		   rng_derive(ts.tv_sec * 1000000000ULL + ts.tv_nsec,
			      getpid()).state;
	cfg.calls = calls ? parse_u64(calls, CALLS_ENV) : CALLS_DEFAULT;
	cfg.page = sysconf(_SC_PAGESIZE);
	cfg.user_end = mpx_user_space_end(cfg.page);
	if (mpx_info(&cfg.info))
		memset(&cfg.info, 0, sizeof(cfg.info));
	cfg.hw = cfg.info.mode == MPX_MODE_HW;
	ret = read_state(&st);
	cfg.have_base = !ret;
	cfg.base_keys = st.keys;
	cfg.base_mms = st.mms;
	if (ret)
		snprintf(cfg.base_err, sizeof(cfg.base_err), "%s",
			 ret == -EPROTO ? "unexpected format" : strerror(-ret));
	totals = mmap(NULL, sizeof(*totals), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (totals == MAP_FAILED)
		totals = NULL;
}

/* ---- the tests */

/* The fpu_memory test aid: 'Y', 'N', or 0 if it cannot be read. */
static char get_fpu_memory(void)
{
	int fd = open(FPU_MEMORY_PATH, O_RDONLY | O_CLOEXEC);
	char val = 0;

	if (fd >= 0 && read(fd, &val, 1) != 1)
		val = 0;
	if (fd >= 0)
		close(fd);
	return val;
}

static bool set_fpu_memory(char val)
{
	int fd = open(FPU_MEMORY_PATH, O_WRONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, &val, 1) == 1;
	close(fd);
	return ok;
}

FIXTURE(fuzz) {
	int fd;			/* /dev/mpx, not close-on-exec */
	int ctl_fd;
	struct fuzz_ctl *ctl;
	struct timespec start;
	char fpu_memory;	/* the test aid's value at start, 0: none */
};

FIXTURE_SETUP(fuzz)
{
	int fd = mpx_fd();

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", LIBMPX_DEVICE,
				strerror(errno));
	ASSERT_EQ((__u32)MPX_ABI_VERSION, cfg.info.version);
	/* The VM harness mounts debugfs: there the counts must be checked. */
	if (getenv("MPX_EXPECT_HW"))
		ASSERT_TRUE(cfg.have_base)
			TH_LOG("%s: %s", STATE_FILE, cfg.base_err);
	self->fd = dup(fd);	/* for exec'd workers */
	ASSERT_LE(0, self->fd);
	self->fpu_memory = get_fpu_memory();
	self->ctl = ctl_create(0, &self->ctl_fd);
	ASSERT_TRUE(self->ctl != NULL);
	note("seed: %llu\n", (unsigned long long)cfg.seed);
	note("replay: %s=%llu %s=%llu\n", SEED_ENV,
	     (unsigned long long)cfg.seed, CALLS_ENV,
	     (unsigned long long)cfg.calls);
	clock_gettime(CLOCK_MONOTONIC, &self->start);
}

/* Whatever happened, leave fpu_memory as it was for the next suites. */
FIXTURE_TEARDOWN(fuzz)
{
	if (self->fpu_memory && get_fpu_memory() != self->fpu_memory)
		set_fpu_memory(self->fpu_memory);
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - start->tv_sec +
	       (now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Print the test's calls, rate and events; add them to the run's total. */
static void report_run(struct fuzz_ctl *ctl, const struct timespec *start)
{
	double s = seconds_since(start);

	note("calls: %llu, calls/s: %.0f\n", (unsigned long long)ctl->calls,
	     ctl->calls / s);
	ctl_report(ctl);
	if (totals) {
		__atomic_add_fetch(&totals->calls, ctl->calls,
				   __ATOMIC_RELAXED);
		totals->seconds += s;
	}
}

/*
 * One process: 4 owner actors and 2 chaos actors, each playing its whole
 * quota in one thread. In the end the module must count exactly the keys
 * the models hold, and none after they are freed.
 */
TEST_F_TIMEOUT(fuzz, fuzz_single_process_model, TEST_TIMEOUT)
{
	const struct run_opts opts = { .chunk_min = ~0ULL, .chunk_max = ~0ULL };
	struct mpx_state now;
	struct proc *p;

	self->ctl->test = 1;
	p = proc_create(self->ctl, self->ctl_fd, 0, self->fd, 0, SINGLE_OWNERS,
			SINGLE_CHAOS);
	ASSERT_TRUE(p != NULL) TH_LOG("setup: %s", strerror(errno));
	slot_take(self->ctl, 0, getpid());
	proc_share_quota(p, cfg.calls / 2);
	proc_run(p, &opts);
	report_run(self->ctl, &self->start);
	ASSERT_EQ(0U, self->ctl->failures)
		TH_LOG("seed %llu", (unsigned long long)cfg.seed);
	/* Every actor made its whole share (a last fill may go past it). */
	EXPECT_LE(cfg.calls / 2 / SINGLE_ACTORS * SINGLE_ACTORS,
		  self->ctl->calls);

	if (cfg.have_base && !read_state(&now)) {
		EXPECT_EQ(cfg.base_keys + proc_keys(p), now.keys)
			TH_LOG("the module counts %ld keys, the models %ld",
			       now.keys - cfg.base_keys, proc_keys(p));
	}
	/* Disable and free everything, from this thread (no registers). */
	proc_drop_keys(p);
	ASSERT_EQ(0U, self->ctl->failures);
	if (!cfg.have_base) {
		note("key counts not checked: %s: %s\n", STATE_FILE,
		     cfg.base_err);
		return;
	}
	ASSERT_EQ(0, read_state(&now));
	EXPECT_EQ(cfg.base_keys, now.keys);
}

/* SIGKILL a random live worker. */
static void kill_one(struct fuzz_ctl *ctl, struct rng *r)
{
	int i, slot = rng_below(r, MAX_PROCS);
	pid_t pid;

	for (i = 0; i < MAX_PROCS; i++) {
		pid = __atomic_load_n(&ctl->procs[(slot + i) % MAX_PROCS].pid,
				      __ATOMIC_SEQ_CST);
		if (pid > 0 && !kill(pid, SIGKILL)) {
			ctl_count(ctl, EV_KILLS, 1);
			return;
		}
	}
}

/* The calls made when the next event of a kind is due: every 2k-25k. */
static __u64 next_event(struct fuzz_ctl *ctl, struct rng *r)
{
	return __atomic_load_n(&ctl->calls, __ATOMIC_RELAXED) + 2000 +
	       rng_below(r, 23000);
}

/*
 * Until the budget is spent: keep LIVE_PROCS workers running, kill one
 * and flip fpu_memory (hardware mode) every few thousand calls, however
 * fast they come. Then stop everyone and reap them all (the test is their
 * subreaper, so orphans come here too).
 */
static void supervise(struct __test_metadata *_metadata, struct fuzz_ctl *ctl,
		      int ctl_fd, int fd, bool flip_fpu)
{
	__u64 target = cfg.calls - cfg.calls / 2, last = 0, calls;
	struct rng r = rng_derive(cfg.seed, (__u64)ctl->test << 32 | ~0U);
	__u64 next_kill = next_event(ctl, &r), next_flip = next_event(ctl, &r);
	time_t stall = time(NULL);
	int i;

	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	while ((calls = __atomic_load_n(&ctl->calls, __ATOMIC_RELAXED)) <
	       target) {
		usleep(2000 + rng_below(&r, 20000));
		reap(ctl, WNOHANG);
		while (slots_used(ctl, false) < LIVE_PROCS)
			if (spawn_worker(ctl, ctl_fd, fd) <= 0)
				break;
		if (calls >= next_kill) {
			kill_one(ctl, &r);
			next_kill = next_event(ctl, &r);
		}
		if (flip_fpu && calls >= next_flip) {
			flip_fpu = set_fpu_memory(get_fpu_memory() == 'Y' ?
						  'N' : 'Y');
			ctl_count(ctl, EV_FPU_FLIPS, flip_fpu);
			next_flip = next_event(ctl, &r);
		}
		if (calls != last) {
			last = calls;
			stall = time(NULL);
		} else if (time(NULL) - stall > STALL_SECONDS) {
			fail_ctl(ctl, "no progress in %d s", STALL_SECONDS);
			break;
		}
	}
	__atomic_store_n(&ctl->stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < 10 * STALL_SECONDS && slots_used(ctl, true); i++) {
		reap(ctl, WNOHANG);
		usleep(100000);
	}
	for (i = 0; i < MAX_PROCS; i++)
		if (ctl->procs[i].pid > 0) {
			fail_ctl(ctl, "worker %d does not stop",
				 ctl->procs[i].pid);
			kill(ctl->procs[i].pid, SIGKILL);
		}
	reap(ctl, 0);
}

TEST_F_TIMEOUT(fuzz, fuzz_multi_process, TEST_TIMEOUT)
{
	struct mpx_state before, after;
	bool have_state, vault;
	char why[200];

	self->ctl->test = 2;
	/* A region no other process may read or write, all run long. */
	vault = !vault_open(self->ctl, why, sizeof(why));
	if (!vault)
		note("no vault for the remote accessors: %s\n", why);
	have_state = !read_state(&before);
	supervise(_metadata, self->ctl, self->ctl_fd, self->fd,
		  cfg.hw && self->fpu_memory);
	if (vault)
		EXPECT_EQ(0, vault_close(self->ctl, why, sizeof(why)))
			TH_LOG("vault: %s", why);
	report_run(self->ctl, &self->start);
	ASSERT_EQ(0U, self->ctl->failures)
		TH_LOG("seed %llu", (unsigned long long)cfg.seed);
	/* The workers made at least the rest of the budget. */
	EXPECT_LE(cfg.calls - cfg.calls / 2, self->ctl->calls);
	if (!have_state) {
		note("key counts not checked: %s missing\n", STATE_FILE);
		return;
	}
	/* The vault's key is gone; its address space is this one, still. */
	before.keys -= vault;
	ASSERT_EQ(0, wait_state(before.keys, before.mms, &after));
	EXPECT_EQ(before.keys, after.keys);
	EXPECT_EQ(before.mms, after.mms);
}

TEST_F_TIMEOUT(fuzz, counts_return_to_zero, TEST_TIMEOUT)
{
	struct mpx_state now;

	if (totals && totals->seconds > 0)
		note("total: calls: %llu, calls/s: %.0f\n",
		     (unsigned long long)totals->calls,
		     totals->calls / totals->seconds);
	if (!cfg.have_base)
		SKIP(return, "%s: %s: key counts not checked", STATE_FILE,
		     cfg.base_err);
	ASSERT_EQ(0, wait_state(cfg.base_keys, cfg.base_mms, &now));
	EXPECT_EQ(cfg.base_keys, now.keys);
	EXPECT_EQ(cfg.base_mms, now.mms);
}

TEST_HARNESS_MAIN
