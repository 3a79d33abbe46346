// SPDX-License-Identifier: GPL-2.0
/*
 * mpx_torture_test - races the module is built to survive.
 *
 * reload_under_load: unload and reload the module MPX_TORTURE_CYCLES times
 *	(default 100; CI runs 1000) while processes hammer /dev/mpx and
 *	another toggles mpx_key (toggling the kprobe pair, whose arming
 *	takes long under TCG, is event_toggle_under_load's job). Unload must be refused while a
 *	descriptor is open or an event is consumed and work when neither
 *	is; nothing may crash or leak.
 * event_toggle_under_load: enable and disable mpx_enter/mpx_exit (arming
 *	and disarming the kprobe pair) while threads call mpx() and mpxctl
 *	watch sessions (when MPXCTL is set) come and go.
 * br_storm: hardware mode; threads take thousands of #BR traps while
 *	other threads create, enable, rebind, disable and free keys of the
 *	same process, so the #BR lookup races every table change.
 * reload_while_holders_exit: processes holding thousands of keys (and
 *	no descriptor) are killed while the module unloads, some with their
 *	address space pinned past their exit by a reader of
 *	/proc/PID/environ, so their release callbacks reclaim keys while
 *	the module's exit does: unload must wait for every mpx_mm to be
 *	freed, or an SRCU callback runs the freed module's code.
 *
 * The VM log scan judges what the kernel thought of it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libmpx.h"
#include "mpx_sysfs.h"
#include "mpx_bnd.h"

#define KEY_ENABLE	"/sys/kernel/tracing/events/mpx/mpx_key/enable"
#define ENTER_ENABLE	"/sys/kernel/tracing/events/mpx/mpx_enter/enable"
#define HAMMERS		3
#define HAMMER_PAUSE_US	6000
#define EVENTS_ON_US	2000
#define EVENTS_OFF_US	10000
#define RETRY_US	1000
/*
 * An unload succeeds only in a gap where no hammer holds the device and
 * no event is enabled, so how many attempts a cycle takes depends on the
 * kernel (about 75 on 6.1, 140 on 7.2 under TCG), and an unload that
 * disarms the remote-access hooks waits for ftrace (0.1-0.2 s under TCG):
 * a cycle took 0.65 s on 6.1 and 0.9 s on 7.2. Bound the loop by time,
 * generously, below the harness's timeout.
 */
#define CYCLE_BUDGET_MS	3000
#define RELOAD_BUDGET_MAX_MS ((TORTURE_TIMEOUT_S - 60) * 1000L)
#define TOGGLES		60
#define TOGGLER_WAIT_MS	5000
#define TORTURE_TIMEOUT_S 900
#define DEFAULT_CYCLES	100
#define BR_THREADS	2
#define BR_TRAPS	2000
/*
 * reload_while_holders_exit: a holder's keys are reclaimed by its release
 * callback or by the unload, whichever unhashes its mpx_mm first; the
 * more keys, the longer a release callback runs alongside the unload.
 * The unload arms nothing here (no key is enabled), so it is quick.
 */
#define HOLDERS		4
#define HOLDER_KEYS	6000
#define FIRST_KEYS_DIV	8
#define HOLDER_PARAMS	"max_keys=8192"
#define MAX_KEYS_FILE	"/sys/module/mpx/parameters/max_keys"
#define HOLDER_READY_MS	20000
#define KILL_STEP_US	40000
#define UNLOAD_WAIT_MS	2000
#define ROUND_BUDGET_MS	4000
#define HOLDERS_BUDGET_MAX_MS 30000

/*
 * Shared with the hammer and toggler processes. The toggler opens the
 * event's enable file only between reloads, when the main process has
 * published a new generation and waits for the toggler to take it: the
 * 6.1 kernel's tracing_open_file_tr() reads a freed trace_event_file when
 * an event file is opened while its module is being unloaded (KASAN
 * use-after-free on the debug kernel), a kernel bug the module cannot
 * prevent. Writes through an open descriptor are safe (-ENODEV).
 */
struct shared {
	atomic_int stop;
	atomic_long calls;
	atomic_long bad;	/* hammer calls with a wrong result */
	atomic_int gen;		/* bumped after every reload */
	atomic_int opened;	/* the generation the toggler has open */
};

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

/* @size bytes of zeroes shared with the children forked after. */
static void *shared_map(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* One call on @fd; 1 when its result is not @want (and errno @err). */
static int hammer_call(int fd, struct mpx_args *k, int want, int err)
{
	int ret = ioctl(fd, MPX_IOC_CALL, k);

	return ret != want || (ret < 0 && errno != err);
}

/*
 * One round of calls on a fresh descriptor; the module may be gone
 * before the open, never during the round (the descriptor pins it).
 * Returns the calls whose result was wrong.
 */
static int hammer_round(char *buf, int len)
{
	struct mpx_args a = { .addr = (unsigned long)buf, .len = len,
			      .op = MPX_OP_CREATE };
	int fd = open(LIBMPX_DEVICE, O_RDWR | O_CLOEXEC), key, bad = 0;

	if (fd < 0)
		return 0;
	key = ioctl(fd, MPX_IOC_CALL, &a);
	/* Kept keys pile up until exit or unload: ENOSPC is right then. */
	if (key <= 0 && !(key < 0 && errno == ENOSPC))
		bad++;
	if (key > 0) {
		struct mpx_args k = { .key = key };

		k.op = MPX_OP_ENABLE;
		bad += hammer_call(fd, &k, 0, 0);
		k.op = MPX_OP_CHECK;	/* one byte past the region */
		k.addr = a.addr;
		k.len = len + 1;
		bad += hammer_call(fd, &k, -1, ERANGE);
		k.op = MPX_OP_DISABLE;
		k.addr = 0;
		k.len = 0;
		bad += hammer_call(fd, &k, 0, 0);
		/* Every other round leaves the key for exit to reclaim. */
		if (key & 1) {
			k.op = MPX_OP_FREE;
			bad += hammer_call(fd, &k, 0, 0);
		}
	}
	close(fd);
	return bad;
}

static void hammer(struct shared *sh)
{
	char *buf = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	while (!atomic_load(&sh->stop)) {
		atomic_fetch_add(&sh->bad, hammer_round(buf, getpagesize()));
		atomic_fetch_add(&sh->calls, 1);
		/* Leave the module unloadable now and then. */
		usleep(HAMMER_PAUSE_US / 3 + rand() % HAMMER_PAUSE_US);
	}
	_exit(0);
}

static void toggler(struct shared *sh)
{
	int i = 0, fd = -1;

	while (!atomic_load(&sh->stop)) {
		bool on = !(i++ & 1);

		if (atomic_load(&sh->opened) != atomic_load(&sh->gen)) {
			if (fd >= 0)
				close(fd);
			fd = open(KEY_ENABLE, O_WRONLY | O_CLOEXEC);
			atomic_store(&sh->opened, atomic_load(&sh->gen));
		}
		if (fd >= 0)
			pwrite(fd, on ? "1" : "0", 1, 0);
		usleep(on ? EVENTS_ON_US : EVENTS_OFF_US);
	}
	if (fd >= 0)
		pwrite(fd, "0", 1, 0);
	_exit(0);
}

/* Wait until the toggler holds this generation's enable file open. */
static void wait_toggler(struct shared *sh)
{
	int ms;

	for (ms = 0; ms < TOGGLER_WAIT_MS; ms++) {
		if (atomic_load(&sh->opened) == atomic_load(&sh->gen))
			return;
		usleep(1000);
	}
}

/* A short mpxctl watch session in the background, if MPXCTL is set. */
static void spawn_watch(void)
{
	const char *mpxctl = getenv("MPXCTL");

	if (mpxctl && !fork()) {
		execl(mpxctl, "mpxctl", "watch", "--timeout", "1", "--count",
		      "50", NULL);
		_exit(127);
	}
}

static pid_t spawn(void (*fn)(struct shared *), struct shared *sh)
{
	pid_t pid = fork();

	if (!pid)
		fn(sh);
	return pid;
}

/* The harness kills a test after 30 s unless told otherwise. */
FIXTURE(torture) {
	int unused;
};

FIXTURE_SETUP(torture)
{
}

FIXTURE_TEARDOWN(torture)
{
}

TEST_F_TIMEOUT(torture, reload_under_load, TORTURE_TIMEOUT_S)
{
	const char *env = getenv("MPX_TORTURE_CYCLES");
	int cycles = env ? atoi(env) : DEFAULT_CYCLES;
	int i, unloaded = 0, refused = 0, attempts = 0;
	long budget, start, deadline, t_wait = 0, t_refused = 0, t_unload = 0, t_load = 0;
	pid_t pids[HAMMERS + 1];
	struct shared *sh;

	if (!getenv("MPX_KO"))
		SKIP(return, "MPX_KO not set: not run by the VM harness");
	sh = shared_map(sizeof(*sh));
	ASSERT_NE(NULL, sh);
	for (i = 0; i < HAMMERS; i++)
		pids[i] = spawn(hammer, sh);
	pids[HAMMERS] = spawn(toggler, sh);

	budget = (long)cycles * CYCLE_BUDGET_MS * mpx_slow();
	start = now_ms();
	deadline = start + (budget < RELOAD_BUDGET_MAX_MS ?
			    budget : RELOAD_BUDGET_MAX_MS);
	while (unloaded < cycles && now_ms() < deadline) {
		long t0;

		attempts++;
		t0 = now_ms();
		wait_toggler(sh);
		t_wait += now_ms() - t0;
		t0 = now_ms();
		if (syscall(SYS_delete_module, "mpx", O_NONBLOCK)) {
			t_refused += now_ms() - t0;
			/* In use: a descriptor is open or an event consumed. */
			ASSERT_EQ(EWOULDBLOCK, errno)
				TH_LOG("unload: %s", strerror(errno));
			refused++;
			usleep(RETRY_US);
			continue;
		}
		t_unload += now_ms() - t0;
		unloaded++;
		t0 = now_ms();
		ASSERT_EQ(0, mpx_module_load(""))
			TH_LOG("reload %d: %s", unloaded, strerror(errno));
		t_load += now_ms() - t0;
		atomic_fetch_add(&sh->gen, 1);
	}

	atomic_store(&sh->stop, 1);
	for (i = 0; i <= HAMMERS; i++) {
		int status;

		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	}
	TH_LOG("%d unloads, %d refused, %ld hammer rounds in %ld ms", unloaded,
	       refused, atomic_load(&sh->calls), now_ms() - start);
	TH_LOG("ms waiting for the toggler %ld, refused unloads %ld, unloads %ld, loads %ld",
	       t_wait, t_refused, t_unload, t_load);
	EXPECT_EQ(cycles, unloaded);
	EXPECT_LT(0, atomic_load(&sh->calls));
	EXPECT_EQ(0, atomic_load(&sh->bad))
		TH_LOG("%ld hammer calls had a wrong result", atomic_load(&sh->bad));
	/* Every hammer exited: nothing is left. */
	EXPECT_EQ(0, state_value("keys"));
	EXPECT_EQ(0, state_value("mms"));
	munmap(sh, sizeof(*sh));
}

struct caller {
	atomic_int *stop;
	long calls;
	long bad;	/* calls with a wrong result */
};

static void *call_loop(void *arg)
{
	struct caller *c = arg;
	long page = getpagesize();
	char *buf = mmap(NULL, page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int key = mpx(buf, page, 0, MPX_OP_CREATE);

	if (key <= 0)
		c->bad++;
	while (key > 0 && !atomic_load(c->stop)) {
		/* Inside the region: allowed. A created key: status 0. */
		c->bad += mpx(buf, 1, key, MPX_OP_CHECK) != 0;
		c->bad += mpx(NULL, 0, key, MPX_OP_GET) != 0;
		c->calls++;
	}
	if (key > 0 && mpx(NULL, 0, key, MPX_OP_FREE))
		c->bad++;
	munmap(buf, page);
	return NULL;
}

TEST_F_TIMEOUT(torture, event_toggle_under_load, TORTURE_TIMEOUT_S)
{
	struct caller c[2];
	pthread_t t[2];
	atomic_int stop = 0;
	int i, status;
	pid_t pid;

	if (access(ENTER_ENABLE, W_OK))
		SKIP(return, "no %s", ENTER_ENABLE);
	for (i = 0; i < 2; i++) {
		c[i] = (struct caller){ .stop = &stop };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, call_loop, &c[i]));
	}
	/* Each toggle registers or unregisters probes: seconds on debug. */
	for (i = 0; i < TOGGLES / mpx_slow(); i++) {
		ASSERT_EQ(0, mpx_write_str(ENTER_ENABLE, i & 1 ? "0" : "1"));
		if (!(i % 16))
			spawn_watch();
		usleep(1000);
	}
	/* Each watch session ends by --timeout or --count: status 0. */
	while ((pid = wait(&status)) > 0)
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("mpxctl watch %d: status %#x", pid, status);
	ASSERT_EQ(0, mpx_write_str(ENTER_ENABLE, "0"));
	atomic_store(&stop, 1);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	EXPECT_LT(0, c[0].calls + c[1].calls);
	EXPECT_EQ(0, c[0].bad + c[1].bad)
		TH_LOG("calls with a wrong result: %ld", c[0].bad + c[1].bad);
	if (state_value("kretprobe_nmissed") >= 0)
		TH_LOG("kretprobe_nmissed %ld", state_value("kretprobe_nmissed"));
}

struct br_thread {
	char *buf;
	int len;
	int traps, bnderr, bounds_ok;
};

static void *br_loop(void *arg)
{
	struct br_thread *b = arg;
	unsigned long lo = (unsigned long)b->buf, hi = lo + b->len - 1;
	struct mpx_key_info ki;
	int key, i;

	catch_segv();
	key = mpx(b->buf, b->len, 0, MPX_OP_CREATE);
	if (key < 0 || mpx(NULL, 0, key, MPX_OP_ENABLE) ||
	    mpx(&ki, sizeof(ki), key, MPX_OP_GET) < 0 || ki.bnd < 0)
		return NULL;
	for (i = 0; i < BR_TRAPS; i++) {
		bndcu(ki.bnd, hi + 1 + (i & 63));
		if (trap_count) {
			b->traps++;
			b->bnderr += trap_info.si_code == SEGV_BNDERR;
			b->bounds_ok += (unsigned long)trap_info.si_lower == lo &&
					(unsigned long)trap_info.si_upper == hi;
			trap_count = 0;
		}
	}
	mpx(NULL, 0, key, MPX_OP_DISABLE);
	mpx(NULL, 0, key, MPX_OP_FREE);
	return NULL;
}

static void *churn_loop(void *arg)
{
	atomic_int *stop = arg;
	long page = getpagesize();
	char *buf = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int i = 0;

	while (!atomic_load(stop)) {
		int key = mpx(buf, page, 0, MPX_OP_CREATE);

		mpx(NULL, 0, key, MPX_OP_ENABLE);
		mpx(buf + page, page, key, MPX_OP_SET);
		mpx(NULL, 0, key, i++ & 1 ? MPX_OP_DISABLE : MPX_OP_GET);
		mpx(NULL, 0, key, MPX_OP_DISABLE);
		mpx(NULL, 0, key, MPX_OP_FREE);
	}
	return NULL;
}

TEST_F_TIMEOUT(torture, br_storm, TORTURE_TIMEOUT_S)
{
	struct br_thread b[BR_THREADS];
	long page = getpagesize(), before;
	pthread_t t[BR_THREADS], churn;
	atomic_int stop = 0;
	char *buf;
	int i;

	REQUIRE_HW();
	before = state_value("br_signals");
	buf = mmap(NULL, BR_THREADS * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, pthread_create(&churn, NULL, churn_loop, &stop));
	for (i = 0; i < BR_THREADS; i++) {
		b[i] = (struct br_thread){ .buf = buf + i * page, .len = page };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, br_loop, &b[i]));
	}
	for (i = 0; i < BR_THREADS; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	atomic_store(&stop, 1);
	ASSERT_EQ(0, pthread_join(churn, NULL));
	for (i = 0; i < BR_THREADS; i++) {
		EXPECT_EQ(BR_TRAPS, b[i].traps);
		EXPECT_EQ(BR_TRAPS, b[i].bnderr);
		EXPECT_EQ(BR_TRAPS, b[i].bounds_ok);
	}
	if (before >= 0)
		EXPECT_EQ(before + BR_THREADS * BR_TRAPS,
			  state_value("br_signals"));
	munmap(buf, BR_THREADS * page);
}

/* The module's max_keys, or -1. */
static int max_keys(void)
{
	FILE *f = fopen(MAX_KEYS_FILE, "r");
	int n = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/*
 * Unload the module, retrying while it is in use for up to @ms (a
 * descriptor closed by a process that is still exiting): 0 or -1.
 */
static int unload(long ms)
{
	long end = now_ms() + ms;

	while (syscall(SYS_delete_module, "mpx", O_NONBLOCK)) {
		if (errno != EWOULDBLOCK || now_ms() > end)
			return -1;
		usleep(RETRY_US);
	}
	return 0;
}

/* Shared with the holders and pinners of one round. */
struct holders {
	atomic_int ready;		/* holders done creating keys */
	atomic_int pinning;		/* pinners that opened environ */
	atomic_int go;			/* the unload is about to start */
	atomic_int made[HOLDERS];	/* keys each holder created */
	pid_t pid[HOLDERS];
};

/*
 * Create @nkeys keys on a descriptor of its own, close it (the keys stay
 * with the address space and the module may go) and wait for SIGKILL.
 */
static void holder(struct holders *hs, int i, int nkeys)
{
	long page = getpagesize();
	char *buf = mmap(NULL, page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct mpx_args a = { .addr = (unsigned long)buf, .len = page,
			      .op = MPX_OP_CREATE };
	int fd = open(LIBMPX_DEVICE, O_RDWR | O_CLOEXEC), n = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (fd >= 0 && n < nkeys && ioctl(fd, MPX_IOC_CALL, &a) > 0)
		n++;
	if (fd >= 0)
		close(fd);
	atomic_store(&hs->made[i], n);
	atomic_fetch_add(&hs->ready, 1);
	for (;;)
		pause();
}

/*
 * Read @pid's /proc/PID/environ until its address space is gone: each
 * read holds the address space, so the holder's exit may leave the last
 * mmput(), and its release callback, to this process a moment later.
 */
static void pinner(struct holders *hs, pid_t pid)
{
	char path[32], buf[256];
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	atomic_fetch_add(&hs->pinning, 1);
	if (fd < 0)
		_exit(1);
	while (pread(fd, buf, sizeof(buf), 0) > 0)
		continue;
	_exit(0);
}

/*
 * SIGKILL the holders of round @round once the unload starts, one every
 * 1-4 KILL_STEP_US (scaled; more every round, then again), in an order
 * that changes every round. The first, with few keys, dies before the
 * module's exit reaches the keys and is soon done; the others die while
 * the exit reclaims some holder's thousands of keys, so their release
 * callbacks win their mpx_mm before the exit finds the hash empty and
 * queue its mmu_notifier_put() after that: only the exit's wait for every
 * mpx_mm to be freed keeps the module until those puts' SRCU callbacks
 * (mpx_mn_free()) have run.
 */
static void killer(struct holders *hs, int round)
{
	long step = KILL_STEP_US * mpx_slow() * (1 + round % 4);
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (!atomic_load(&hs->go))
		continue;
	for (i = 0; i < HOLDERS; i++) {
		if (i)
			usleep(step);
		kill(hs->pid[(round + i) % HOLDERS], SIGKILL);
	}
	_exit(0);
}

/* Wait up to @ms for @count to reach @want: 0, or -1 on time out. */
static int wait_count(atomic_int *count, int want, long ms)
{
	long end = now_ms() + ms;

	while (atomic_load(count) < want) {
		if (now_ms() > end)
			return -1;
		usleep(1000);
	}
	return 0;
}

TEST_F_TIMEOUT(torture, reload_while_holders_exit, TORTURE_TIMEOUT_S)
{
	const char *env = getenv("MPX_TORTURE_CYCLES");
	int cycles = env ? atoi(env) : DEFAULT_CYCLES;
	long budget, start, deadline, t0, t_create = 0, t_unload = 0, total;
	pid_t holders[HOLDERS], pinners[HOLDERS], kpid;
	int i, nkeys, npin, rounds = 0, pinned = 0, status, want[HOLDERS];
	struct holders *hs;

	if (!getenv("MPX_KO"))
		SKIP(return, "MPX_KO not set: not run by the VM harness");
	hs = shared_map(sizeof(*hs));
	ASSERT_NE(NULL, hs);
	/* Room for thousands of keys a process. */
	ASSERT_EQ(0, unload(UNLOAD_WAIT_MS * mpx_slow()))
		TH_LOG("unload: %s", strerror(errno));
	ASSERT_EQ(0, mpx_module_load(HOLDER_PARAMS))
		TH_LOG("load %s: %s", HOLDER_PARAMS, strerror(errno));
	nkeys = max_keys();
	if (nkeys > HOLDER_KEYS)
		nkeys = HOLDER_KEYS;
	ASSERT_LT(0, nkeys);

	budget = (long)cycles * ROUND_BUDGET_MS * mpx_slow();
	if (budget > HOLDERS_BUDGET_MAX_MS * mpx_slow())
		budget = HOLDERS_BUDGET_MAX_MS * mpx_slow();
	start = now_ms();
	deadline = start + budget;
	while (rounds < cycles && now_ms() < deadline) {
		memset(hs, 0, sizeof(*hs));
		total = 0;
		t0 = now_ms();
		/* The holder killed first (see killer()) has few keys. */
		for (i = 0; i < HOLDERS; i++) {
			want[i] = i == rounds % HOLDERS ?
				  nkeys / FIRST_KEYS_DIV : nkeys;
			total += want[i];
			holders[i] = fork();
			if (!holders[i])
				holder(hs, i, want[i]);
			ASSERT_LT(0, holders[i]);
			hs->pid[i] = holders[i];
		}
		ASSERT_EQ(0, wait_count(&hs->ready, HOLDERS,
					HOLDER_READY_MS * mpx_slow()))
			TH_LOG("round %d: %d of %d holders ready", rounds,
			       atomic_load(&hs->ready), HOLDERS);
		t_create += now_ms() - t0;
		for (i = 0; i < HOLDERS; i++)
			ASSERT_EQ(want[i], atomic_load(&hs->made[i]))
				TH_LOG("round %d: holder %d created %d keys",
				       rounds, i, atomic_load(&hs->made[i]));
		EXPECT_EQ(total, state_value("keys"));
		EXPECT_EQ(HOLDERS, state_value("mms"));

		/* Every other holder, alternating by round, is pinned. */
		npin = 0;
		for (i = 0; i < HOLDERS; i++) {
			pinners[i] = 0;
			if ((i + rounds) & 1)
				continue;
			pinners[i] = fork();
			if (!pinners[i])
				pinner(hs, holders[i]);
			ASSERT_LT(0, pinners[i]);
			npin++;
		}
		ASSERT_EQ(0, wait_count(&hs->pinning, npin, 1000L * mpx_slow()));
		pinned += npin;

		/* Kill during the unload: releases race the module's exit. */
		kpid = fork();
		if (!kpid)
			killer(hs, rounds);
		ASSERT_LT(0, kpid);
		atomic_store(&hs->go, 1);
		t0 = now_ms();
		ASSERT_EQ(0, unload(UNLOAD_WAIT_MS * mpx_slow()))
			TH_LOG("round %d: unload: %s", rounds, strerror(errno));
		t_unload += now_ms() - t0;
		ASSERT_EQ(0, mpx_module_load(HOLDER_PARAMS))
			TH_LOG("round %d: reload: %s", rounds, strerror(errno));
		rounds++;
		ASSERT_EQ(kpid, waitpid(kpid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
		for (i = 0; i < HOLDERS; i++) {
			ASSERT_EQ(holders[i], waitpid(holders[i], &status, 0));
			EXPECT_TRUE(WIFSIGNALED(status) &&
				    WTERMSIG(status) == SIGKILL)
				TH_LOG("holder %d: status %#x", i, status);
			if (!pinners[i])
				continue;
			ASSERT_EQ(pinners[i], waitpid(pinners[i], &status, 0));
			EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
				TH_LOG("pinner %d: status %#x", i, status);
		}
	}
	/* The default parameters again, for the tests after this one. */
	ASSERT_EQ(0, unload(UNLOAD_WAIT_MS * mpx_slow()))
		TH_LOG("unload: %s", strerror(errno));
	ASSERT_EQ(0, mpx_module_load(""))
		TH_LOG("reload: %s", strerror(errno));
	TH_LOG("%d rounds of %d holders with %d keys (%d pinned) in %ld ms",
	       rounds, HOLDERS, nkeys, pinned, now_ms() - start);
	TH_LOG("ms creating keys %ld, unloading %ld", t_create, t_unload);
	EXPECT_LT(0, rounds);
	EXPECT_EQ(0, state_value("keys"));
	EXPECT_EQ(0, state_value("mms"));
	munmap(hs, sizeof(*hs));
}

TEST_HARNESS_MAIN
