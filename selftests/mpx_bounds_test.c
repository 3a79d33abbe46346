// SPDX-License-Identifier: GPL-2.0
/*
 * mpx_bounds_test - hardware mode: keys in the BND registers and #BR.
 *
 * Every test needs hardware mode (a CPU with MPX, QEMU -cpu max) and is
 * skipped, saying so, in software mode. How registers are read (XSAVE)
 * and violations provoked and caught (one bndcl/bndcu/bndcn, a SIGSEGV
 * handler that resumes after it) is mpx_bnd.h's business.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libmpx.h"
#include "mpx_sysfs.h"
#include "mpx_bnd.h"
#include "mpx_worker.h"

#define FPU_MEMORY	"/sys/module/mpx/parameters/fpu_memory"

static char *map_pages(int n)
{
	char *p = mmap(NULL, n * getpagesize(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* A key over [p, p + len), enabled: its register number, or -1. */
static int enable_key(char *p, int len, unsigned int *key)
{
	struct mpx_key_info ki;
	int k = mpx(p, len, 0, MPX_OP_CREATE);

	if (k < 0 || mpx(NULL, 0, k, MPX_OP_ENABLE))
		return -1;
	*key = k;
	if (mpx(&ki, sizeof(ki), k, MPX_OP_GET) < 0)
		return -1;
	return ki.bnd;
}

FIXTURE(bnd) {
	char *buf;
	int len;
	unsigned int key;
	int reg;
};

FIXTURE_SETUP(bnd)
{
	self->len = getpagesize();
	self->buf = map_pages(2);
	ASSERT_NE(NULL, self->buf);
	self->reg = -1;
	if (hw_mode())
		self->reg = enable_key(self->buf, self->len, &self->key);
	catch_segv();
}

FIXTURE_TEARDOWN(bnd)
{
	munmap(self->buf, 2 * getpagesize());
}

TEST_F(bnd, enable_loads_register)
{
	struct mpx_key_info ki;
	struct bnd128 b;
	int status;

	REQUIRE_HW();
	ASSERT_EQ(0, self->reg);
	status = mpx(&ki, sizeof(ki), self->key, MPX_OP_GET);
	EXPECT_EQ(MPX_STATUS_ENABLED | MPX_STATUS_HW, status);
	EXPECT_EQ(0, MPX_STATUS_BND(status));
	bnd_get(0, &b);
	EXPECT_EQ((unsigned long)self->buf, b.lower);
	EXPECT_EQ((unsigned long)self->buf + self->len - 1, ~b.upper);
}

TEST_F(bnd, checks_inside_do_not_trap)
{
	unsigned long lo = (unsigned long)self->buf;

	REQUIRE_HW();
	ASSERT_EQ(0, self->reg);
	bndcl(0, lo);
	bndcu(0, lo);
	bndcl(0, lo + self->len - 1);
	bndcu(0, lo + self->len - 1);
	EXPECT_EQ(0, trap_count);
	/* Not an empty register that lets everything pass: one byte more traps. */
	bndcu(0, lo + self->len);
	EXPECT_BNDERR(lo + self->len, lo, lo + self->len - 1);
}

TEST_F(bnd, violation_is_sigsegv_bnderr)
{
	unsigned long lo = (unsigned long)self->buf;
	unsigned long hi = lo + self->len - 1;
	long before = state_value("br_signals");

	REQUIRE_HW();
	bndcu(0, hi + 1);
	EXPECT_BNDERR(hi + 1, lo, hi);
	bndcl(0, lo - 1);
	EXPECT_BNDERR(lo - 1, lo, hi);
	/* sigreturn gave the registers back: the key is still loaded. */
	bndcu(0, hi);
	EXPECT_EQ(0, trap_count);
	EXPECT_EQ(before + 2, state_value("br_signals"));
}

/*
 * The signal of a #BR is sent from process context, interrupts on: from
 * the die notifier (interrupts hard-disabled) it would take siglock, a
 * sleeping lock on PREEMPT_RT. A kprobe event on send_sig_info(), which
 * the module calls (an exported function: never inlined into a module),
 * records each SIGSEGV with the trace core's irqs-off flag ('d' or 'D' in
 * the latency column of the trace).
 */
#define SIG_GROUP	"mpx_bounds_test"
#define SIG_PROBE	"p:" SIG_GROUP "/sigsend send_sig_info sig=$arg1:s32"
#define SIG_EVENT	"events/" SIG_GROUP "/sigsend"

/* Append one line to tracefs's kprobe_events (O_TRUNC would clear it). */
static int kprobe_events_add(const char *root, const char *line)
{
	char path[128];
	ssize_t n = strlen(line);
	int fd, ret;

	snprintf(path, sizeof(path), "%s/kprobe_events", root);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = write(fd, line, n) == n ? 0 : -1;
	close(fd);
	return ret;
}

/*
 * Of the trace @text, the SIGSEGVs sent by @pid: how many, and in
 * *@irqs_off how many of them with interrupts off.
 */
static int sigsegv_sends(char *text, pid_t pid, int *irqs_off)
{
	char *line, *save, *br, *dash;
	int n = 0;

	*irqs_off = 0;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || !strstr(line, " sig=11"))
			continue;
		/* "  COMM-PID  [CPU] FLAGS  TIME: sigsend: (...) sig=11" */
		br = strstr(line, " [");
		if (!br)
			continue;
		*br = '\0';
		dash = strrchr(line, '-');
		if (!dash || atoi(dash + 1) != pid)
			continue;
		br = strchr(br + 1, ']');
		if (!br)
			continue;
		n++;
		br += strspn(br + 1, " ") + 1;
		*irqs_off += *br == 'd' || *br == 'D';
	}
	return n;
}

TEST_F(bnd, br_signal_sent_with_interrupts_on)
{
	unsigned long lo = (unsigned long)self->buf;
	unsigned long hi = lo + self->len - 1;
	struct mpx_instance in = { };
	const char *root = mpx_tracefs_root();
	char path[sizeof(in.path) + 16], *text = NULL, *copy;
	int sends, irqs_off, c;
	size_t size = 0;
	FILE *f, *out;

	REQUIRE_HW();
	ASSERT_NE(NULL, root) TH_LOG("tracefs is not mounted");
	snprintf(path, sizeof(path), "%s/kprobe_events", root);
	if (access(path, W_OK))
		SKIP(return, "no kprobe events: %s", strerror(errno));
	kprobe_events_add(root, "-:" SIG_GROUP "/sigsend");	/* a stale one */
	ASSERT_EQ(0, kprobe_events_add(root, SIG_PROBE))
		TH_LOG("kprobe on send_sig_info: %s", strerror(errno));
	ASSERT_EQ(0, mpx_instance_make(&in, root, "mpx_bounds_sig"))
		TH_LOG("instance: %s", strerror(errno));
	ASSERT_EQ(0, mpx_instance_write(&in, "options/irq-info", "1"));
	ASSERT_EQ(0, mpx_instance_write(&in, SIG_EVENT "/enable", "1"));

	bndcu(0, hi + 1);
	EXPECT_BNDERR(hi + 1, lo, hi);

	EXPECT_EQ(0, mpx_instance_write(&in, SIG_EVENT "/enable", "0"));
	snprintf(path, sizeof(path), "%s/trace", in.path);
	f = fopen(path, "r");
	out = open_memstream(&text, &size);
	ASSERT_TRUE(f && out) TH_LOG("%s: %s", path, strerror(errno));
	while ((c = fgetc(f)) != EOF)
		fputc(c, out);
	fclose(f);
	fclose(out);
	mpx_instance_remove(&in);
	kprobe_events_add(root, "-:" SIG_GROUP "/sigsend");

	copy = strdup(text);
	ASSERT_NE(NULL, copy);
	sends = sigsegv_sends(copy, getpid(), &irqs_off);
	EXPECT_LE(1, sends) TH_LOG("no SIGSEGV sent by pid %d in:\n%s",
				   getpid(), text);
	EXPECT_EQ(0, irqs_off)
		TH_LOG("%d of %d SIGSEGVs sent with interrupts off:\n%s",
		       irqs_off, sends, text);
	free(copy);
	free(text);
}

TEST_F(bnd, decodes_operand_forms)
{
#ifdef __x86_64__
	unsigned long lo = (unsigned long)self->buf;
	unsigned long hi = lo + self->len - 1;
	unsigned long past = hi + 1, idx = 3;

	REQUIRE_HW();
	BNDCHECK("bndcu (%0), %%bnd0", past, 0);
	EXPECT_BNDERR(past, lo, hi);
	BNDCHECK("bndcu 0x10(%0), %%bnd0", past, 0);
	EXPECT_BNDERR(past + 0x10, lo, hi);
	BNDCHECK("bndcu 0x12345(%0), %%bnd0", past, 0);
	EXPECT_BNDERR(past + 0x12345, lo, hi);
	BNDCHECK("bndcu -8(%0,%1,8), %%bnd0", past, idx);
	EXPECT_BNDERR(past - 8 + idx * 8, lo, hi);
	BNDCHECK("bndcl -0x1000(%0,%1,4), %%bnd0", lo, idx);
	EXPECT_BNDERR(lo - 0x1000 + idx * 4, lo, hi);
	asm volatile("mov %0, %%r9\n\t"
		     "mov %1, %%r10\n\t"
		     "lea 1f(%%rip), %%r11\n\t"
		     "mov %%r11, %%fs:resume_ip@tpoff\n\t"
		     "bndcu 0x20(%%r9,%%r10,2), %%bnd0\n1:"
		     : : "r" (past), "r" (idx) : "r9", "r10", "r11", "memory");
	EXPECT_BNDERR(past + 0x20 + idx * 2, lo, hi);
	/* bndcn compares with the raw (one's complement) upper bound. */
	asm volatile("mov %0, %%r12\n\t"
		     "lea 1f(%%rip), %%r11\n\t"
		     "mov %%r11, %%fs:resume_ip@tpoff\n\t"
		     "bndcn %%r12, %%bnd0\n1:"
		     : : "r" (~0UL) : "r11", "r12", "memory");
	EXPECT_BNDERR(~0UL, lo, hi);
#else
	SKIP(return, "x86-64 only: bound-check instructions");
#endif
}

TEST_F(bnd, decodes_rip_relative)
{
#ifdef __x86_64__
	unsigned long lo = (unsigned long)self->buf;
	unsigned long hi = lo + self->len - 1;
	unsigned long where;

	REQUIRE_HW();
	/* The program's text lies below the mmap'd region. */
	asm volatile("lea 1f(%%rip), %%r11\n\t"
		     "mov %%r11, %%fs:resume_ip@tpoff\n\t"
		     "lea 2f(%%rip), %0\n\t"
		     "bndcl 2f(%%rip), %%bnd0\n"
		     "1: jmp 3f\n"
		     "2: nop\n"
		     "3:"
		     : "=&r" (where) : : "r11", "memory");
	EXPECT_BNDERR(where, lo, hi);
#else
	SKIP(return, "x86-64 only: bound-check instructions");
#endif
}

TEST(four_registers_then_ebusy)
{
	unsigned int key[MPX_NR_BND + 1];
	int i, reg, seen = 0;
	char *p;

	REQUIRE_HW();
	p = map_pages(MPX_NR_BND + 1);
	ASSERT_NE(NULL, p);
	for (i = 0; i < MPX_NR_BND; i++) {
		reg = enable_key(p + i * getpagesize(), getpagesize(), &key[i]);
		ASSERT_LE(0, reg);
		ASSERT_GT(MPX_NR_BND, reg);
		seen |= 1 << reg;
	}
	EXPECT_EQ((1 << MPX_NR_BND) - 1, seen);
	key[i] = mpx(p + i * getpagesize(), getpagesize(), 0, MPX_OP_CREATE);
	ASSERT_LT(0, key[i]);
	EXPECT_EQ(-1, mpx(NULL, 0, key[i], MPX_OP_ENABLE));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, mpx(NULL, 0, key[i], MPX_OP_ENABLE_HW));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, mpx(NULL, 0, key[i], MPX_OP_GET));
	/* Freeing a register makes room. */
	EXPECT_EQ(0, mpx(NULL, 0, key[0], MPX_OP_DISABLE));
	EXPECT_EQ(0, mpx(NULL, 0, key[i], MPX_OP_ENABLE_HW));
	munmap(p, (MPX_NR_BND + 1) * getpagesize());
}

TEST_F(bnd, disable_clears_register)
{
	struct bnd128 b;
	int status;

	REQUIRE_HW();
	ASSERT_EQ(0, mpx(NULL, 0, self->key, MPX_OP_DISABLE));
	status = mpx(NULL, 0, self->key, MPX_OP_GET);
	EXPECT_EQ(0, status);
	bnd_get(0, &b);
	EXPECT_EQ(0, b.lower);
	EXPECT_EQ(0, b.upper);
	bndcu(0, (unsigned long)self->buf + self->len + 100);
	EXPECT_EQ(0, trap_count);
	/* And loads again. */
	ASSERT_EQ(0, mpx(NULL, 0, self->key, MPX_OP_ENABLE));
	bndcu(0, (unsigned long)self->buf + self->len);
	EXPECT_EQ(1, trap_count);
}

TEST_F(bnd, set_moves_register)
{
	unsigned long lo = (unsigned long)self->buf + self->len;
	struct bnd128 b;

	REQUIRE_HW();
	ASSERT_EQ(0, mpx((void *)lo, self->len, self->key, MPX_OP_SET));
	bnd_get(0, &b);
	EXPECT_EQ(lo, b.lower);
	EXPECT_EQ(lo + self->len - 1, ~b.upper);
	bndcu(0, lo + self->len - 1);
	EXPECT_EQ(0, trap_count);
	bndcl(0, lo - 1);
	EXPECT_BNDERR(lo - 1, lo, lo + self->len - 1);
}

/*
 * What carries over to a real CPU, where XSAVE and XRSTOR cost more than
 * under an emulator: GET and CHECK of a key no register of the thread
 * holds execute neither (XGETBV(1) tells that no bound is in use), and
 * ENABLE and DISABLE each read and write the registers once (an XSAVE and
 * an XRSTOR, or the same on the saved xstate when the task's FPU state is
 * not in the CPU at that moment).
 */
#define XSAVE_CALLS	100

TEST(xsave_counts)
{
	long live, memory, d_live, d_memory;
	unsigned int key;
	char *p;
	int i;

	REQUIRE_HW();
	if (state_value("fpu_live") < 0)
		SKIP(return, "no %s", STATE_FILE);
	p = map_pages(1);
	ASSERT_NE(NULL, p);
	key = mpx(p, getpagesize(), 0, MPX_OP_CREATE);
	ASSERT_LT(0, (int)key) TH_LOG("CREATE: %s", strerror(errno));

	live = state_value("fpu_live");
	for (i = 0; i < XSAVE_CALLS; i++) {
		ASSERT_EQ(0, mpx(NULL, 0, key, MPX_OP_GET));
		ASSERT_EQ(0, mpx(p, 1, key, MPX_OP_CHECK));
	}
	d_live = state_value("fpu_live") - live;
	EXPECT_EQ(0, d_live)
		TH_LOG("%d GETs and CHECKs of a key no register holds ran %ld XSAVEs",
		       2 * XSAVE_CALLS, d_live);

	live = state_value("fpu_live");
	memory = state_value("fpu_memory");
	for (i = 0; i < XSAVE_CALLS; i++) {
		ASSERT_EQ(0, mpx(NULL, 0, key, MPX_OP_ENABLE));
		ASSERT_EQ(0, mpx(NULL, 0, key, MPX_OP_DISABLE));
	}
	d_live = state_value("fpu_live") - live;
	d_memory = state_value("fpu_memory") - memory;
	EXPECT_EQ(4 * XSAVE_CALLS, d_live + d_memory)
		TH_LOG("%d ENABLE+DISABLE: %ld XSAVE/XRSTOR, %ld saved-xstate accesses",
		       XSAVE_CALLS, d_live, d_memory);
	EXPECT_EQ(0, mpx(NULL, 0, key, MPX_OP_FREE));
	munmap(p, getpagesize());
}

/* The in-memory path: the task's FPU state saved before every access. */
TEST(saved_xstate_path)
{
	long before = state_value("fpu_memory");
	unsigned int key;
	struct bnd128 b;
	char *p;
	int reg;

	REQUIRE_HW();
	if (before < 0)
		SKIP(return, "no %s", STATE_FILE);
	ASSERT_EQ(0, mpx_write_str(FPU_MEMORY, "1"));
	p = map_pages(1);
	ASSERT_NE(NULL, p);
	catch_segv();
	reg = enable_key(p, getpagesize(), &key);
	EXPECT_EQ(0, mpx_write_str(FPU_MEMORY, "0"));
	ASSERT_EQ(0, reg);
	EXPECT_LT(before + 2, state_value("fpu_memory"));
	bnd_get(0, &b);
	EXPECT_EQ((unsigned long)p, b.lower);
	EXPECT_EQ((unsigned long)p + getpagesize() - 1, ~b.upper);
	bndcu(0, (unsigned long)p + getpagesize());
	EXPECT_BNDERR((unsigned long)p + getpagesize(),
		      (unsigned long)p, (unsigned long)p + getpagesize() - 1);
	ASSERT_EQ(0, mpx_write_str(FPU_MEMORY, "1"));
	EXPECT_EQ(0, mpx(NULL, 0, key, MPX_OP_DISABLE));
	EXPECT_EQ(0, mpx_write_str(FPU_MEMORY, "0"));
	bnd_get(0, &b);
	EXPECT_EQ(0, b.lower);
	EXPECT_EQ(0, b.upper);
}

static volatile int handler_status = -1;
static unsigned int handler_key;

static void usr1_handler(int sig __attribute__((unused)))
{
	handler_status = mpx(NULL, 0, handler_key, MPX_OP_GET);
}

TEST_F(bnd, signal_handler_runs_with_mpx_off)
{
	REQUIRE_HW();
	handler_key = self->key;
	signal(SIGUSR1, usr1_handler);
	raise(SIGUSR1);
	EXPECT_EQ(MPX_STATUS_ENABLED, handler_status);
	/* sigreturn restored the register. */
	EXPECT_EQ(MPX_STATUS_ENABLED | MPX_STATUS_HW,
		  mpx(NULL, 0, self->key, MPX_OP_GET));
}

struct thread_view {
	unsigned int key;
	pthread_barrier_t *enabled;	/* NULL: look at once */
	int status;
	struct bnd128 bnd0;
};

static void *thread_look(void *arg)
{
	struct thread_view *v = arg;

	if (v->enabled)
		pthread_barrier_wait(v->enabled);
	v->status = mpx(NULL, 0, v->key, MPX_OP_GET);
	bnd_get(0, &v->bnd0);
	return NULL;
}

/*
 * Disable @key, start @fn(@arg) in a new thread, enable @key again, then
 * let the thread past @bar (it waits there first) and join it: the thread
 * is older than the key's ENABLE.
 */
static void run_older_thread(struct __test_metadata *_metadata,
			     unsigned int key, pthread_barrier_t *bar,
			     void *(*fn)(void *), void *arg)
{
	pthread_t t;

	ASSERT_EQ(0, mpx(NULL, 0, key, MPX_OP_DISABLE));
	pthread_barrier_init(bar, NULL, 2);
	ASSERT_EQ(0, pthread_create(&t, NULL, fn, arg));
	ASSERT_EQ(0, mpx(NULL, 0, key, MPX_OP_ENABLE));
	pthread_barrier_wait(bar);
	ASSERT_EQ(0, pthread_join(t, NULL));
}

/* A thread that exists when the key is enabled does not get it loaded. */
TEST_F(bnd, older_thread_sees_enabled_not_loaded)
{
	pthread_barrier_t bar;
	struct thread_view v = { .key = self->key, .enabled = &bar };

	REQUIRE_HW();
	run_older_thread(_metadata, self->key, &bar, thread_look, &v);
	EXPECT_EQ(MPX_STATUS_ENABLED, v.status);
	EXPECT_EQ(0, v.bnd0.lower);
	EXPECT_EQ(0, v.bnd0.upper);
}

/* A thread created later starts with a copy of its creator's registers. */
TEST_F(bnd, newer_thread_inherits_registers)
{
	struct thread_view v = { .key = self->key };
	pthread_t t;

	REQUIRE_HW();
	ASSERT_EQ(0, pthread_create(&t, NULL, thread_look, &v));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(MPX_STATUS_ENABLED | MPX_STATUS_HW, v.status);
	EXPECT_EQ((unsigned long)self->buf, v.bnd0.lower);
}

struct shared_region {
	pthread_barrier_t *enabled;
	char *buf;
	int len;
	unsigned int other;	/* the main thread's key, same region */
	int status_after;	/* GET of @other after our FREE */
	int enabled_after;	/* ENABLEs that then succeed, of 4 */
};

static void *free_own_copy(void *arg)
{
	struct shared_region *r = arg;
	char *p = map_pages(1);
	int k, i;

	pthread_barrier_wait(r->enabled);
	k = mpx(r->buf, r->len, 0, MPX_OP_CREATE);
	if (k < 0 || mpx(NULL, 0, k, MPX_OP_ENABLE) ||
	    mpx(NULL, 0, k, MPX_OP_DISABLE) || mpx(NULL, 0, k, MPX_OP_FREE))
		return NULL;
	r->status_after = mpx(NULL, 0, r->other, MPX_OP_GET);
	for (i = 0; i < MPX_NR_BND; i++) {
		k = mpx(p + 8 * i, 8, 0, MPX_OP_CREATE);
		r->enabled_after += !mpx(NULL, 0, k, MPX_OP_ENABLE);
	}
	return NULL;
}

/*
 * Regression (found while modelling the fuzzer): a thread's DISABLE and
 * FREE of its own key left its register loaded when another thread had an
 * enabled key with the same region, so it ran out of registers.
 */
TEST_F(bnd, thread_free_releases_its_register)
{
	pthread_barrier_t bar;
	struct shared_region r = { .enabled = &bar, .buf = self->buf,
				   .len = self->len, .other = self->key,
				   .status_after = -1 };

	REQUIRE_HW();
	run_older_thread(_metadata, self->key, &bar, free_own_copy, &r);
	EXPECT_EQ(MPX_STATUS_ENABLED, r.status_after);
	EXPECT_EQ(MPX_NR_BND, r.enabled_after);
}

/* Run @fn(@arg) in a fork child, which exits with what it returns: that. */
static int in_child(struct __test_metadata *_metadata, int (*fn)(void *),
		    void *arg)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(fn(arg));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	return WEXITSTATUS(status);
}

struct parent_key {
	unsigned int key;
	unsigned long past;	/* the first byte after its region */
};

/* In a fork child: not the parent's key, and the kernel's #BR; 0 if so. */
static int child_default_br(void *arg)
{
	const struct parent_key *k = arg;

	if (mpx(NULL, 0, k->key, MPX_OP_GET) != -1 || errno != ENOENT)
		return 10;
	bndcu(0, k->past);
	if (trap_count != 1)
		return 11;
	return trap_info.si_code == SI_KERNEL ? 0 : 12;
}

/*
 * A fork child inherits the registers (the kernel copies the xstate) but
 * no keys, so its #BR gets the kernel's default handling (SI_KERNEL).
 */
TEST_F(bnd, fork_child_gets_default_br)
{
	struct parent_key k = {
		self->key, (unsigned long)self->buf + self->len
	};

	REQUIRE_HW();
	EXPECT_EQ(0, in_child(_metadata, child_default_br, &k));
}

/* In a fork child: exec mpx_worker bounds-exec, which checks; 20 if not. */
static int child_exec_worker(void *arg __attribute__((unused)))
{
	worker_exec(WORKER_BOUNDS_EXEC, NULL);
	return 20;
}

/* exec starts with MPX off: bound register 0 empty, no #BR. */
TEST_F(bnd, exec_resets_registers)
{
	int status;

	REQUIRE_HW();
	status = in_child(_metadata, child_exec_worker, NULL);
	EXPECT_EQ(0, status) TH_LOG("status %d (20: %s did not run)", status,
				    MPX_WORKER);
}

TEST_HARNESS_MAIN
