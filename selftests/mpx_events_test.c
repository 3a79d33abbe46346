// SPDX-License-Identifier: GPL-2.0
/*
 * mpx_events_test - the tracepoints of system "mpx" and mpxctl watch.
 *
 * Every test traces in tracefs instances of its own
 * (instances/mpx_events_test-<pid>-<tag>), removed in FIXTURE_TEARDOWN
 * even when the test fails, so tests never see each other's events and
 * never leave an event enabled (the kprobe pair would stay armed for the
 * tests that follow). Events are written synchronously, so an instance's
 * "trace" file, read after the calls, holds them; only reclaim at exit is
 * waited for. The kprobe pair's arming is read from debugfs mpx/state
 * ("probes armed|disarmed").
 *
 * The mpxctl tests run the program named by MPXCTL (the VM harness puts
 * mpxctl in /bin) and are skipped without it; the two that unload the
 * module need its file in MPX_KO to load it again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "libmpx.h"
#include "mpx_sysfs.h"
#include "mpx_bnd.h"

#define PROBES_PARAM	"/sys/module/mpx/parameters/probes"
#define REMOTE_PARAM	"/sys/module/mpx/parameters/remote"
/* For an event or a process; longer where the rig says the kernel is slow. */
#define WAIT_MS		(5000 * mpx_slow())
#define NR_EVENTS	4

static const char *const all_events[NR_EVENTS + 1] = {
	"mpx_enter", "mpx_exit", "mpx_key", "mpx_violation", NULL
};

/* ---- files ---- */

/* The whole of @path, NUL-terminated, malloc'd; NULL on error. */
static char *read_all(const char *path)
{
	size_t len = 0, size = 65536;
	char *buf = malloc(size), *p;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf)
		goto fail;
	while ((n = read(fd, buf + len, size - len - 1)) > 0) {
		len += n;
		if (size - len > 1)
			continue;
		size *= 2;
		p = realloc(buf, size);
		if (!p)
			goto fail;
		buf = p;
	}
	if (n < 0)
		goto fail;
	buf[len] = '\0';
	close(fd);
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static long long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000LL +
	       (now.tv_nsec - since->tv_nsec) / 1000000;
}

static void sleep_ms(int ms)
{
	usleep(ms * 1000);
}

/* ---- tracefs: instances of our own (mpx_tracefs.h, as mpxctl watch) ---- */

static int inst_make(struct mpx_instance *in, const char *tag)
{
	const char *root = mpx_tracefs_root();
	char name[64];

	if (!root)
		return -1;
	snprintf(name, sizeof(name), "mpx_events_test-%d-%s", getpid(), tag);
	return mpx_instance_make(in, root, name);
}

static int inst_enable(const struct mpx_instance *in, const char *event,
		       bool on)
{
	return mpx_instance_event_write(in, event, "enable", on ? "1" : "0");
}

/* The instance's trace (not consumed); malloc'd. */
static char *inst_trace(const struct mpx_instance *in)
{
	char path[PATH_MAX + 8];

	snprintf(path, sizeof(path), "%s/trace", in->path);
	return read_all(path);
}

/* The trace once it holds @needle, or as it is after WAIT_MS. */
static char *inst_trace_wait(const struct mpx_instance *in, const char *needle)
{
	struct timespec start;
	char *text;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		text = inst_trace(in);
		if (!text || strstr(text, needle) ||
		    elapsed_ms(&start) > WAIT_MS)
			return text;
		free(text);
		sleep_ms(20);
	}
}

static int count_of(const char *text, const char *needle)
{
	int n = 0;

	for (; (text = strstr(text, needle)); text += strlen(needle))
		n++;
	return n;
}

/* ---- the module ---- */

/* 1 if debugfs says "@which armed", 0 if "disarmed", -1 if neither. */
static int armed_state(const char *which)
{
	char *state = read_all(STATE_FILE);
	char armed[64], disarmed[64];
	int ret = -1;

	snprintf(armed, sizeof(armed), "\n%s armed\n", which);
	snprintf(disarmed, sizeof(disarmed), "\n%s disarmed\n", which);
	if (state && strstr(state, armed))
		ret = 1;
	else if (state && strstr(state, disarmed))
		ret = 0;
	free(state);
	return ret;
}

static int probes_armed(void)
{
	return armed_state("probes");
}

static char *map_pages(int n)
{
	char *p = mmap(NULL, n * getpagesize(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Our comm, as the events show it. */
static const char *self_comm(void)
{
	static char name[32];
	char *text;

	if (!name[0]) {
		text = read_all("/proc/self/comm");
		if (text)
			snprintf(name, sizeof(name), "%.*s",
				 (int)strcspn(text, "\n"), text);
		free(text);
	}
	return name;
}

/* ---- the event fixture: one instance ("a"), maybe a second ("b") ---- */

FIXTURE(ev) {
	struct mpx_instance a;
	struct mpx_instance b;
	bool probes_off;	/* restore the module parameter */
	char *text;
};

FIXTURE_SETUP(ev)
{
	ASSERT_NE(NULL, mpx_tracefs_root()) TH_LOG("tracefs is not mounted");
	ASSERT_EQ(0, inst_make(&self->a, "a")) TH_LOG("instance a: %m");
}

FIXTURE_TEARDOWN(ev)
{
	EXPECT_EQ(0, mpx_instance_remove(&self->a));
	EXPECT_EQ(0, mpx_instance_remove(&self->b));
	if (self->probes_off)
		EXPECT_EQ(0, mpx_write_str(PROBES_PARAM, "1"));
	free(self->text);
}

/* Is @field a field in @text, an event's format file? */
static bool format_has(const char *text, const char *field)
{
	const char *p, *semi, *name;
	size_t n = strlen(field);

	for (p = strstr(text, "field:"); p; p = strstr(semi, "field:")) {
		semi = strchr(p, ';');
		if (!semi)
			return false;
		for (name = semi; name > p && name[-1] != ' '; name--)
			;
		if (semi - name >= (long)n && !strncmp(name, field, n) &&
		    (name[n] == ';' || name[n] == '['))
			return true;
	}
	return false;
}

static void check_format(struct __test_metadata *_metadata,
			 const char *dir, const char *event,
			 const char *const *fields)
{
	char path[PATH_MAX], name[16];
	char *text;
	int i;

	snprintf(path, sizeof(path), "%s/events/mpx/%s/format", dir, event);
	text = read_all(path);
	ASSERT_NE(NULL, text) TH_LOG("%s: %m", path);
	for (i = 0; fields[i]; i++) {
		snprintf(name, sizeof(name), "%s", fields[i]);
		EXPECT_TRUE(format_has(text, name))
			TH_LOG("%s has no field %s", path, name);
	}
	free(text);
}

TEST_F(ev, formats_have_documented_fields)
{
	static const char *const fields[NR_EVENTS][7] = {
		{ "pid", "addr", "len", "key", "op" },
		{ "pid", "op", "key", "ret", "latency" },
		{ "pid", "key", "action", "addr", "len", "bnd" },
		{ "pid", "key", "addr", "lower", "upper", "source" },
	};
	const char *const dirs[] = { mpx_tracefs_root(), self->a.path };
	int i, d;

	/* The check can fail: an undocumented name is not found. */
	EXPECT_FALSE(format_has("field:int pid;", "tid"));
	EXPECT_TRUE(format_has("field:char comm[16];", "comm"));
	for (d = 0; d < 2; d++)
		for (i = 0; i < NR_EVENTS; i++)
			check_format(_metadata, dirs[d], all_events[i],
				     fields[i]);
}

TEST_F(ev, probes_disarmed_while_unused)
{
	ASSERT_EQ(0, probes_armed());
	/* Only mpx_enter and mpx_exit need the pair. */
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_key", true));
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_violation", true));
	EXPECT_EQ(0, probes_armed());
}

TEST_F(ev, probes_follow_enter_and_exit)
{
	ASSERT_EQ(0, probes_armed());
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_enter", true));
	EXPECT_EQ(1, probes_armed());
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_exit", true));
	EXPECT_EQ(1, probes_armed());
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_enter", false));
	EXPECT_EQ(1, probes_armed()) TH_LOG("mpx_exit is still enabled");
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_exit", false));
	EXPECT_EQ(0, probes_armed());
	/* mpx_exit alone arms too. */
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_exit", true));
	EXPECT_EQ(1, probes_armed());
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_exit", false));
	EXPECT_EQ(0, probes_armed());
}

TEST_F(ev, probes_across_instances)
{
	ASSERT_EQ(0, inst_make(&self->b, "b"));
	ASSERT_EQ(0, probes_armed());
	/* The same event in two instances. */
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_enter", true));
	ASSERT_EQ(0, inst_enable(&self->b, "mpx_enter", true));
	EXPECT_EQ(1, probes_armed());
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_enter", false));
	EXPECT_EQ(1, probes_armed()) TH_LOG("b still has mpx_enter");
	ASSERT_EQ(0, inst_enable(&self->b, "mpx_enter", false));
	EXPECT_EQ(0, probes_armed());
	/* One event in each. */
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_enter", true));
	ASSERT_EQ(0, inst_enable(&self->b, "mpx_exit", true));
	EXPECT_EQ(1, probes_armed());
	ASSERT_EQ(0, inst_enable(&self->b, "mpx_exit", false));
	EXPECT_EQ(1, probes_armed()) TH_LOG("a still has mpx_enter");
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_enter", false));
	EXPECT_EQ(0, probes_armed());
	/* Removing an instance with an enabled event disarms too. */
	ASSERT_EQ(0, inst_enable(&self->b, "mpx_exit", true));
	EXPECT_EQ(1, probes_armed());
	ASSERT_EQ(0, mpx_instance_remove(&self->b));
	EXPECT_EQ(0, probes_armed());
}

/*
 * Find the mpx_enter and then the mpx_exit line of one call at or after
 * *pos, and move *pos past them. @ret is how mpx_exit shows the result.
 */
static void expect_call(struct __test_metadata *_metadata, const char **pos,
			const char *op, unsigned long addr, int len,
			unsigned int key, const char *ret)
{
	char enter[256], exit_[256];
	unsigned long long latency;
	const char *p;
	char *end;
	int pid = getpid(), tid = syscall(SYS_gettid);

	snprintf(enter, sizeof(enter),
		 "mpx_enter: pid=%d tid=%d comm=%s op=%s addr=0x%lx len=%d key=%u\n",
		 pid, tid, self_comm(), op, addr, len, key);
	snprintf(exit_, sizeof(exit_),
		 "mpx_exit: pid=%d tid=%d comm=%s op=%s key=%u ret=%s latency=",
		 pid, tid, self_comm(), op, key, ret);
	p = strstr(*pos, enter);
	ASSERT_NE(NULL, p) TH_LOG("no '%.*s' in:\n%s", (int)strlen(enter) - 1,
				  enter, *pos);
	p = strstr(p, exit_);
	ASSERT_NE(NULL, p) TH_LOG("no '%s' after the enter line", exit_);
	p += strlen(exit_);
	latency = strtoull(p, &end, 10);
	EXPECT_EQ(0, strncmp(end, "ns\n", 3)) TH_LOG("latency=%.20s", p);
	EXPECT_LT(0, latency);
	*pos = end;
}

TEST_F(ev, enter_exit_of_calls)
{
	int page = getpagesize(), key;
	struct mpx_key_info ki;
	char ret[16], *buf;
	const char *pos;

	buf = map_pages(1);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_enter", true));
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_exit", true));

	key = mpx(buf, page, 0, MPX_OP_CREATE);
	ASSERT_LT(0, key);
	EXPECT_EQ(0, mpx(&ki, sizeof(ki), key, MPX_OP_GET));
	EXPECT_EQ(-1, mpx(buf + page - 8, 16, key, MPX_OP_CHECK));
	EXPECT_EQ(ERANGE, errno);
	EXPECT_EQ(0, mpx(buf + 64, 16, key, MPX_OP_CHECK));
	EXPECT_EQ(0, mpx(NULL, 0, key, MPX_OP_FREE));

	self->text = inst_trace(&self->a);
	ASSERT_NE(NULL, self->text);
	pos = self->text;
	snprintf(ret, sizeof(ret), "%d", key);
	expect_call(_metadata, &pos, "CREATE", (unsigned long)buf, page, 0,
		    ret);
	expect_call(_metadata, &pos, "GET", (unsigned long)&ki, sizeof(ki),
		    key, "0");
	expect_call(_metadata, &pos, "CHECK", (unsigned long)buf + page - 8,
		    16, key, "-34 ERANGE");
	expect_call(_metadata, &pos, "CHECK", (unsigned long)buf + 64, 16,
		    key, "0");
	expect_call(_metadata, &pos, "FREE", 0, 0, key, "0");
	/* One pair per call, nothing else. */
	EXPECT_EQ(5, count_of(self->text, "mpx_enter: "));
	EXPECT_EQ(5, count_of(self->text, "mpx_exit: "));
	munmap(buf, page);
}

TEST_F(ev, enter_exit_of_failing_calls)
{
	const char *pos;

	ASSERT_EQ(0, inst_enable(&self->a, "mpx_enter", true));
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_exit", true));
	EXPECT_EQ(-1, mpx(NULL, 0, 0, 99));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mpx((void *)0x10000, -1, 0, MPX_OP_CREATE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mpx(NULL, 0, 0xfffff0, MPX_OP_ENABLE));
	EXPECT_EQ(ENOENT, errno);

	self->text = inst_trace(&self->a);
	ASSERT_NE(NULL, self->text);
	pos = self->text;
	/* An op without a name shows as a number. */
	expect_call(_metadata, &pos, "0x63", 0, 0, 0, "-22 EINVAL");
	expect_call(_metadata, &pos, "CREATE", 0x10000, -1, 0, "-22 EINVAL");
	expect_call(_metadata, &pos, "ENABLE", 0, 0, 0xfffff0, "-2 ENOENT");
}

static void *thread_get(void *arg)
{
	pid_t *tid = arg;

	*tid = syscall(SYS_gettid);
	mpx(NULL, 0, 0xfffff1, MPX_OP_GET);
	return NULL;
}

TEST_F(ev, enter_exit_of_a_thread)
{
	char enter[256];
	pthread_t th;
	pid_t tid = 0;

	ASSERT_EQ(0, inst_enable(&self->a, "mpx_enter", true));
	ASSERT_EQ(0, pthread_create(&th, NULL, thread_get, &tid));
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_NE(getpid(), tid);
	self->text = inst_trace(&self->a);
	ASSERT_NE(NULL, self->text);
	snprintf(enter, sizeof(enter),
		 "mpx_enter: pid=%d tid=%d comm=%s op=GET addr=0x0 len=0 key=%u\n",
		 getpid(), tid, self_comm(), 0xfffff1);
	EXPECT_NE(NULL, strstr(self->text, enter)) TH_LOG("no %s", enter);
}

/* The mpx_key line of @action for @key; NULL when absent. */
static const char *key_line(const char *text, pid_t pid, int key,
			    const char *action, unsigned long addr, int len,
			    int bnd)
{
	char line[160];

	snprintf(line, sizeof(line),
		 "mpx_key: pid=%d key=%d %s addr=0x%lx len=%d bnd=%d\n",
		 pid, key, action, addr, len, bnd);
	return strstr(text, line);
}

TEST_F(ev, key_lifecycle)
{
	unsigned long a, b;
	int page = getpagesize(), key, bnd = -1, pid = getpid();
	struct mpx_key_info ki;
	const char *t[5];
	char *buf;
	int i;

	buf = map_pages(2);
	ASSERT_NE(NULL, buf);
	a = (unsigned long)buf;
	b = a + page;
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_key", true));
	key = mpx(buf, page, 0, MPX_OP_CREATE);
	ASSERT_LT(0, key);
	ASSERT_EQ(0, mpx((void *)b, page, key, MPX_OP_SET));
	ASSERT_EQ(0, mpx(NULL, 0, key, MPX_OP_ENABLE));
	ASSERT_LE(0, mpx(&ki, sizeof(ki), key, MPX_OP_GET));
	if (hw_mode()) {
		bnd = ki.bnd;
		ASSERT_LE(0, bnd);
	}
	/* Enabling an enabled key, disabling a disabled one: no event. */
	ASSERT_EQ(0, mpx(NULL, 0, key, MPX_OP_ENABLE));
	ASSERT_EQ(0, mpx(NULL, 0, key, MPX_OP_DISABLE));
	ASSERT_EQ(0, mpx(NULL, 0, key, MPX_OP_DISABLE));
	ASSERT_EQ(0, mpx(NULL, 0, key, MPX_OP_FREE));

	self->text = inst_trace(&self->a);
	ASSERT_NE(NULL, self->text);
	t[0] = key_line(self->text, pid, key, "created", a, page, -1);
	t[1] = key_line(self->text, pid, key, "set", b, page, -1);
	t[2] = key_line(self->text, pid, key, "enabled", b, page, bnd);
	t[3] = key_line(self->text, pid, key, "disabled", b, page, -1);
	t[4] = key_line(self->text, pid, key, "freed", b, page, -1);
	for (i = 0; i < 5; i++) {
		ASSERT_NE(NULL, t[i]) TH_LOG("event %d missing in:\n%s", i,
					     self->text);
		if (i)
			EXPECT_LT(t[i - 1], t[i]) TH_LOG("event %d early", i);
	}
	EXPECT_EQ(5, count_of(self->text, "mpx_key: "));
	munmap(buf, 2 * page);
}

TEST_F(ev, key_reclaimed_at_exit)
{
	int page = getpagesize(), keys[2], pipefd[2], status;
	char needle[64], *buf;
	unsigned long a;
	pid_t pid;

	buf = map_pages(2);
	ASSERT_NE(NULL, buf);
	a = (unsigned long)buf;
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_key", true));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Exit holding two keys, one of them enabled. */
		keys[0] = mpx(buf, page, 0, MPX_OP_CREATE);
		keys[1] = mpx(buf + page, page, 0, MPX_OP_CREATE);
		if (keys[1] > 0 && mpx(NULL, 0, keys[1], MPX_OP_ENABLE))
			keys[1] = -1;
		if (write(pipefd[1], keys, sizeof(keys)) != sizeof(keys))
			_exit(2);
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_EQ(sizeof(keys), read(pipefd[0], keys, sizeof(keys)));
	close(pipefd[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	ASSERT_LT(0, keys[0]);
	ASSERT_LT(0, keys[1]);

	/* The keys are reclaimed in order: wait for the second one. */
	snprintf(needle, sizeof(needle), "mpx_key: pid=%d key=%d reclaimed ",
		 pid, keys[1]);
	self->text = inst_trace_wait(&self->a, needle);
	ASSERT_NE(NULL, self->text);
	EXPECT_NE(NULL, key_line(self->text, pid, keys[0], "created", a, page,
				 -1));
	EXPECT_NE(NULL, key_line(self->text, pid, keys[0], "reclaimed", a,
				 page, -1)) TH_LOG("in:\n%s", self->text);
	EXPECT_NE(NULL, key_line(self->text, pid, keys[1], "reclaimed",
				 a + page, page, -1));
	EXPECT_EQ(2, count_of(self->text, " reclaimed "));
	munmap(buf, 2 * page);
}

TEST_F(ev, violation_from_check)
{
	int page = getpagesize(), key;
	unsigned long lo, hi;
	char line[256];
	char *buf;

	buf = map_pages(2);
	ASSERT_NE(NULL, buf);
	lo = (unsigned long)buf;
	hi = lo + page - 1;
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_violation", true));
	key = mpx(buf, page, 0, MPX_OP_CREATE);
	ASSERT_LT(0, key);
	EXPECT_EQ(0, mpx(buf, page, key, MPX_OP_CHECK));
	EXPECT_EQ(-1, mpx(buf + page - 4, 8, key, MPX_OP_CHECK));
	EXPECT_EQ(-1, mpx(buf + page, 1, key, MPX_OP_CHECK));

	self->text = inst_trace(&self->a);
	ASSERT_NE(NULL, self->text);
	EXPECT_EQ(2, count_of(self->text, "mpx_violation: "));
	snprintf(line, sizeof(line),
		 "mpx_violation: pid=%d tid=%d comm=%s key=%d addr=0x%lx lower=0x%lx upper=0x%lx source=CHECK\n",
		 getpid(), getpid(), self_comm(), key, hi - 3, lo, hi);
	EXPECT_NE(NULL, strstr(self->text, line))
		TH_LOG("no %s in:\n%s", line, self->text);
	snprintf(line, sizeof(line),
		 "mpx_violation: pid=%d tid=%d comm=%s key=%d addr=0x%lx lower=0x%lx upper=0x%lx source=CHECK\n",
		 getpid(), getpid(), self_comm(), key, hi + 1, lo, hi);
	EXPECT_NE(NULL, strstr(self->text, line)) TH_LOG("no %s", line);
	munmap(buf, 2 * page);
}

/* ---- the raw ring buffer: every byte of an entry (trace_pipe_raw) ---- */

#define RAW_EVENTS	5	/* the events with holes between their fields */
#define RAW_MAX_ENTRY	256	/* bytes: larger than any mpx entry */
#define RB_TYPE_PADDING	29	/* ring buffer event header type_len values */
#define RB_TYPE_TIME	30	/* 30 and 31: time extend and absolute stamp */

static const char *const raw_events[RAW_EVENTS] = {
	"mpx_enter", "mpx_exit", "mpx_key", "mpx_violation", "mpx_remote",
};

/* An event's id and which of its entry's bytes some field covers. */
struct raw_layout {
	int id;
	bool covered[RAW_MAX_ENTRY];
	int checked;		/* entries seen */
};

/* "offset:N;" and "size:N;" of the format file line at @p. */
static int format_number(const char *p, const char *key, const char *end)
{
	const char *at = strstr(p, key);

	return at && at < end ? atoi(at + strlen(key)) : -1;
}

/* Read an event's id and field layout from the instance's files. */
static int raw_layout_read(const struct mpx_instance *in, const char *event,
			   struct raw_layout *l)
{
	char path[PATH_MAX + 64];
	char *text, *p, *eol, *common;
	int off, size, i, first = RAW_MAX_ENTRY;

	memset(l, 0, sizeof(*l));
	snprintf(path, sizeof(path), "%s/events/mpx/%s/id", in->path, event);
	text = read_all(path);
	if (!text)
		return -1;
	l->id = atoi(text);
	free(text);
	snprintf(path, sizeof(path), "%s/events/mpx/%s/format", in->path,
		 event);
	text = read_all(path);
	if (!text)
		return -1;
	for (p = strstr(text, "field:"); p; p = strstr(eol, "field:")) {
		eol = strchrnul(p, '\n');
		off = format_number(p, "offset:", eol);
		size = format_number(p, "size:", eol);
		common = strstr(p, " common_");
		if (off >= 0 && !(common && common < eol) && off < first)
			first = off;
		for (i = off; off >= 0 && i < off + size && i < RAW_MAX_ENTRY; i++)
			l->covered[i] = true;
	}
	free(text);
	/*
	 * The trace core's header (the common_* fields; PREEMPT_RT adds
	 * fields and a hole to it) is not ours: check from our first field.
	 */
	for (i = 0; i < first && i < RAW_MAX_ENTRY; i++)
		l->covered[i] = true;
	return 0;
}

/*
 * Walk one ring-buffer page (events/header_page: a u64 time stamp, the
 * committed length in the next 8 bytes, whose top bits are flags, then
 * the events) and check every byte of our entries that no field covers.
 * Returns how many such bytes were not zero; prints the first.
 */
static int raw_page_check(struct __test_metadata *_metadata,
			  const unsigned char *page, size_t size,
			  struct raw_layout *layouts)
{
	unsigned long commit = *(const unsigned long long *)(page + 8) &
			       ((1UL << 30) - 1);
	const unsigned char *data = page + 16, *ev;
	size_t off = 0, len, data_off;
	unsigned int hdr, type_len;
	int bad = 0, i, b;

	while (off + 4 <= commit && 16 + commit <= size) {
		memcpy(&hdr, data + off, 4);
		type_len = hdr & 0x1f;
		if (type_len == RB_TYPE_PADDING && !(hdr >> 5))
			break;			/* the rest of the page */
		if (type_len >= RB_TYPE_TIME) {
			off += 8;
			continue;
		}
		if (type_len == RB_TYPE_PADDING || !type_len) {
			memcpy(&hdr, data + off + 4, 4);	/* array[0] */
			len = hdr;
			data_off = 8;
			if (type_len == RB_TYPE_PADDING) {
				off += 4 + len;
				continue;
			}
			len -= 4;
		} else {
			len = type_len * 4;
			data_off = 4;
		}
		ev = data + off + data_off;
		off += data_off + len;
		for (i = 0; i < RAW_EVENTS; i++) {
			if (*(const unsigned short *)ev != layouts[i].id)
				continue;
			layouts[i].checked++;
			for (b = 0; b < (int)len && b < RAW_MAX_ENTRY; b++) {
				if (layouts[i].covered[b] || !ev[b])
					continue;
				if (!bad++)
					TH_LOG("%s: byte %d of %zu, in no field, is %#x",
					       raw_events[i], b, len, ev[b]);
			}
		}
	}
	return bad;
}

/*
 * Drain every CPU's trace_pipe_raw of the instance; the count of nonzero
 * hole bytes in entries of @layouts (NULL: only drain).
 */
static int raw_drain_check(struct __test_metadata *_metadata,
			   const struct mpx_instance *in,
			   struct raw_layout *layouts)
{
	long psize = sysconf(_SC_PAGESIZE), ncpu = sysconf(_SC_NPROCESSORS_CONF);
	unsigned char *page = malloc(psize);
	char path[PATH_MAX + 64];
	int cpu, fd, bad = 0;
	ssize_t n;

	for (cpu = 0; page && cpu < ncpu; cpu++) {
		snprintf(path, sizeof(path), "%s/per_cpu/cpu%d/trace_pipe_raw",
			 in->path, cpu);
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		while ((n = read(fd, page, psize)) > 0)
			if (layouts)
				bad += raw_page_check(_metadata, page, n,
						      layouts);
		close(fd);
	}
	free(page);
	return bad;
}

/* A child reads @len bytes at @addr of its parent, an enabled region. */
static void remote_read_parent(void *addr, size_t len)
{
	char buf[64];
	struct iovec local = { buf, sizeof(buf) < len ? sizeof(buf) : len };
	struct iovec remote = { addr, local.iov_len };
	pid_t parent = getpid(), pid = fork();

	if (!pid)
		_exit(process_vm_readv(parent, &local, 1, &remote, 1, 0) < 0 ?
		      0 : 1);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/*
 * The ring buffer is reused in place: an entry's holes (padding between
 * and after its fields) hold whatever an older entry left there unless
 * the event clears them. Fill a small buffer many times over with entries
 * full of 0xff bytes, then emit each event once more and read every byte.
 */
TEST_F(ev, entry_holes_are_zeroed)
{
	struct raw_layout layouts[RAW_EVENTS];
	int page = getpagesize(), key, i;
	char *buf = map_pages(2);

	ASSERT_NE(NULL, buf);
	for (i = 0; i < RAW_EVENTS; i++) {
		ASSERT_EQ(0, raw_layout_read(&self->a, raw_events[i],
					     &layouts[i]))
			TH_LOG("%s: %m", raw_events[i]);
		ASSERT_EQ(0, inst_enable(&self->a, raw_events[i], true));
	}
	ASSERT_EQ(0, mpx_instance_write(&self->a, "buffer_size_kb", "8"));
	for (i = 0; i < 500; i++)		/* ~65 KB of 0xff-rich entries */
		mpx((void *)~0UL, -1, ~0U, MPX_OP_CHECK);
	raw_drain_check(_metadata, &self->a, NULL);
	for (i = 0; i < 500; i++)		/* the pages again, unread */
		mpx((void *)~0UL, -1, ~0U, MPX_OP_CHECK);

	key = mpx(buf, page, 0, MPX_OP_CREATE);
	ASSERT_LT(0, key);
	ASSERT_EQ(0, mpx(NULL, 0, key, MPX_OP_ENABLE));
	EXPECT_EQ(-1, mpx(buf + page, 1, key, MPX_OP_CHECK));	/* violation */
	remote_read_parent(buf, page);				/* remote */
	EXPECT_EQ(0, mpx(NULL, 0, key, MPX_OP_DISABLE));
	EXPECT_EQ(0, mpx(NULL, 0, key, MPX_OP_FREE));

	EXPECT_EQ(0, raw_drain_check(_metadata, &self->a, layouts));
	for (i = 0; i < RAW_EVENTS; i++) {
		if (i == RAW_EVENTS - 1 && access(REMOTE_PARAM, F_OK))
			continue;
		EXPECT_LT(0, layouts[i].checked)
			TH_LOG("no %s entry in trace_pipe_raw", raw_events[i]);
	}
	munmap(buf, 2 * page);
}

/* A #BR: a bndcu past an enabled key's region (mpx_bnd.h). */
TEST_F(ev, violation_from_br)
{
	int page = getpagesize(), key;
	struct mpx_key_info ki;
	unsigned long lo, hi;
	char line[256];
	char *buf;

	REQUIRE_HW();
	buf = map_pages(1);
	ASSERT_NE(NULL, buf);
	lo = (unsigned long)buf;
	hi = lo + page - 1;
	key = mpx(buf, page, 0, MPX_OP_CREATE);
	ASSERT_LT(0, key);
	ASSERT_EQ(0, mpx(NULL, 0, key, MPX_OP_ENABLE));
	ASSERT_LE(0, mpx(&ki, sizeof(ki), key, MPX_OP_GET));
	ASSERT_LE(0, ki.bnd);
	ASSERT_GT(MPX_NR_BND, ki.bnd);
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_violation", true));
	catch_segv();

	bndcu(ki.bnd, hi);		/* inside: no trap */
	EXPECT_EQ(0, trap_count);
	bndcu(ki.bnd, hi + 1);
	EXPECT_BNDERR(hi + 1, lo, hi);
	EXPECT_EQ(0, mpx(NULL, 0, key, MPX_OP_DISABLE));

	self->text = inst_trace(&self->a);
	ASSERT_NE(NULL, self->text);
	EXPECT_EQ(1, count_of(self->text, "mpx_violation: "));
	snprintf(line, sizeof(line),
		 "mpx_violation: pid=%d tid=%d comm=%s key=%d addr=0x%lx lower=0x%lx upper=0x%lx source=#BR\n",
		 getpid(), getpid(), self_comm(), key, hi + 1, lo, hi);
	EXPECT_NE(NULL, strstr(self->text, line))
		TH_LOG("no %s in:\n%s", line, self->text);
	munmap(buf, page);
}

/* The pkey syscalls of any process show as mpx_pkey, MPX or not. */
TEST_F(ev, pkey_syscalls_seen)
{
	int page = getpagesize();
	char line[256];
	char *buf;
	long pkey;

	ASSERT_EQ(0, armed_state("pkey_probes"));
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_pkey", true));
	EXPECT_EQ(1, armed_state("pkey_probes"));
	EXPECT_EQ(0, probes_armed());
	buf = map_pages(1);
	ASSERT_NE(NULL, buf);
	pkey = syscall(SYS_pkey_alloc, 0, 0);
	if (pkey >= 0) {
		EXPECT_EQ(0, syscall(SYS_pkey_mprotect, buf, page,
				     PROT_READ | PROT_WRITE, pkey));
		EXPECT_EQ(0, syscall(SYS_pkey_free, pkey));
	} else {
		/* No protection keys here: the failing calls show too. */
		EXPECT_EQ(-1, syscall(SYS_pkey_free, 15));
	}
	self->text = inst_trace(&self->a);
	ASSERT_NE(NULL, self->text);
	snprintf(line, sizeof(line),
		 "mpx_pkey: pid=%d tid=%d comm=%s call=pkey_alloc pkey=%ld addr=0x0 len=0 prot=0x0 flags=0x0 ret=%ld\n",
		 getpid(), getpid(), self_comm(), pkey < 0 ? -1 : pkey,
		 pkey < 0 ? -(long)errno : pkey);
	if (pkey >= 0) {
		EXPECT_NE(NULL, strstr(self->text, line))
			TH_LOG("no %s in:\n%s", line, self->text);
		snprintf(line, sizeof(line),
			 "call=pkey_mprotect pkey=%ld addr=0x%lx len=%d prot=0x3 flags=0x0 ret=0\n",
			 pkey, (unsigned long)buf, page);
		EXPECT_NE(NULL, strstr(self->text, line)) TH_LOG("no %s", line);
		snprintf(line, sizeof(line), "call=pkey_free pkey=%ld ", pkey);
		EXPECT_NE(NULL, strstr(self->text, line)) TH_LOG("no %s", line);
	} else {
		EXPECT_NE(NULL, strstr(self->text, "call=pkey_alloc pkey=-1 "));
		EXPECT_NE(NULL, strstr(self->text, "call=pkey_free pkey=15 "));
	}
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_pkey", false));
	EXPECT_EQ(0, armed_state("pkey_probes"));
	munmap(buf, page);
}

TEST_F(ev, probes_param_forbids_arming)
{
	char needle[64];
	int key;
	char *buf;

	buf = map_pages(1);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, probes_armed());
	ASSERT_EQ(0, mpx_write_str(PROBES_PARAM, "0")) TH_LOG("%s: %m",
							      PROBES_PARAM);
	self->probes_off = true;
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_enter", true));
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_exit", true));
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_key", true));
	EXPECT_EQ(0, probes_armed());
	key = mpx(buf, getpagesize(), 0, MPX_OP_CREATE);
	ASSERT_LT(0, key);
	ASSERT_EQ(0, mpx(NULL, 0, key, MPX_OP_FREE));

	self->text = inst_trace(&self->a);
	ASSERT_NE(NULL, self->text);
	EXPECT_EQ(0, count_of(self->text, "mpx_enter: "));
	EXPECT_EQ(0, count_of(self->text, "mpx_exit: "));
	snprintf(needle, sizeof(needle), "mpx_key: pid=%d key=%d created ",
		 getpid(), key);
	EXPECT_NE(NULL, strstr(self->text, needle));
	snprintf(needle, sizeof(needle), "mpx_key: pid=%d key=%d freed ",
		 getpid(), key);
	EXPECT_NE(NULL, strstr(self->text, needle));

	/* Allowed again, the next consumer arms the pair. */
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_enter", false));
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_exit", false));
	ASSERT_EQ(0, mpx_write_str(PROBES_PARAM, "1"));
	self->probes_off = false;
	ASSERT_EQ(0, inst_enable(&self->a, "mpx_enter", true));
	EXPECT_EQ(1, probes_armed());
	mpx(NULL, 0, key, MPX_OP_GET);
	free(self->text);
	self->text = inst_trace(&self->a);
	ASSERT_NE(NULL, self->text);
	EXPECT_EQ(1, count_of(self->text, "mpx_enter: "));
	munmap(buf, getpagesize());
}

/*
 * kretprobe_nmissed: calls the return probe could not follow because
 * MPX_KRETPROBE_MAXACTIVE (mpx_probe.c) of them were already inside
 * mpx_syscall(). NMISS_THREADS callers park inside it at once: each GETs
 * into one page registered with userfaultfd, so each one's copy_to_user()
 * waits in the fault until the page is released, and the ones past the
 * limit must be counted as missed.
 */
#define KRETPROBE_MAXACTIVE	256
#define NMISS_THREADS		(KRETPROBE_MAXACTIVE + 40)
#define NMISS_STACK		(256 * 1024)	/* >= PTHREAD_STACK_MIN on arm64 */

struct parked {
	unsigned int key;
	struct mpx_key_info *out;	/* in the userfaultfd page */
	int ret;
};

static void *park_get(void *arg)
{
	struct parked *p = arg;

	p->ret = mpx(p->out, sizeof(*p->out), p->key, MPX_OP_GET);
	return NULL;
}

TEST_F(ev, kretprobe_nmissed_reported)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	static struct parked p[NMISS_THREADS];
	pthread_t t[NMISS_THREADS];
	long page = getpagesize(), before, missed;
	struct pollfd pfd = { .events = POLLIN };
	struct uffd_msg msg;
	pthread_attr_t attr;
	int i, key, uffd, faults = 0;
	char *buf, *out;

	buf = map_pages(1);
	out = map_pages(1);
	ASSERT_TRUE(buf && out);
	key = mpx(buf, page, 0, MPX_OP_CREATE);
	ASSERT_LT(0, key);
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api)) TH_LOG("UFFDIO_API: %m");
	reg.range.start = (unsigned long)out;
	reg.range.len = page;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg))
		TH_LOG("UFFDIO_REGISTER: %m");

	ASSERT_EQ(0, inst_enable(&self->a, "mpx_exit", true));
	ASSERT_EQ(1, probes_armed());
	/* One call that returns: nothing missed with one caller inside. */
	before = state_value("kretprobe_nmissed");
	ASSERT_LE(0, before);
	ASSERT_EQ(0, mpx(NULL, 0, key, MPX_OP_GET));
	EXPECT_EQ(before, state_value("kretprobe_nmissed"));

	ASSERT_EQ(0, pthread_attr_init(&attr));
	ASSERT_EQ(0, pthread_attr_setstacksize(&attr, NMISS_STACK));
	for (i = 0; i < NMISS_THREADS; i++) {
		p[i].key = key;
		p[i].out = (struct mpx_key_info *)out;
		ASSERT_EQ(0, pthread_create(&t[i], &attr, park_get, &p[i]));
	}
	/* Every caller is parked once the page has one fault for each. */
	pfd.fd = uffd;
	while (faults < NMISS_THREADS && poll(&pfd, 1, WAIT_MS) > 0)
		while (read(uffd, &msg, sizeof(msg)) == sizeof(msg))
			faults += msg.event == UFFD_EVENT_PAGEFAULT;
	missed = state_value("kretprobe_nmissed") - before;
	/* Closing the userfaultfd lets every fault through. */
	close(uffd);
	for (i = 0; i < NMISS_THREADS; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		EXPECT_EQ(0, p[i].ret);
	}
	pthread_attr_destroy(&attr);
	ASSERT_EQ(NMISS_THREADS, faults) TH_LOG("only %d callers parked", faults);
	EXPECT_EQ(NMISS_THREADS - KRETPROBE_MAXACTIVE, missed)
		TH_LOG("%d callers inside at once, at most %d followed: %ld missed",
		       NMISS_THREADS, KRETPROBE_MAXACTIVE, missed);
	EXPECT_EQ(0, mpx(NULL, 0, key, MPX_OP_FREE));
	munmap(buf, page);
	munmap(out, page);
}

/* ---- mpxctl watch ---- */

struct watcher {
	pid_t pid;		/* 0 once reaped */
	int status;		/* its wait status, once reaped */
	int out;		/* its stdout */
	struct mpx_instance inst;	/* the instance it makes */
};

FIXTURE(watch) {
	const char *mpxctl;
	struct watcher w[2];
	char *out;
	const char *reload;	/* the module file, after an rmmod */
};

FIXTURE_SETUP(watch)
{
	const char *path = getenv("MPXCTL");
	int i;

	self->mpxctl = path && !access(path, X_OK) ? path : NULL;
	for (i = 0; i < 2; i++)
		self->w[i].out = -1;
}

/* Kill what is still running, and remove what it left behind. */
static void watcher_clean(struct watcher *w)
{
	if (w->pid > 0) {
		kill(w->pid, SIGKILL);
		waitpid(w->pid, NULL, 0);
		w->pid = 0;
	}
	if (w->out >= 0)
		close(w->out);
	w->out = -1;
	if (w->inst.path[0] && !access(w->inst.path, F_OK))
		mpx_instance_remove(&w->inst);
}

static int module_load(const char *ko);

FIXTURE_TEARDOWN(watch)
{
	watcher_clean(&self->w[0]);
	watcher_clean(&self->w[1]);
	free(self->out);
	if (self->reload)
		EXPECT_EQ(0, module_load(self->reload))
			TH_LOG("insmod %s: %m", self->reload);
}

#define REQUIRE_MPXCTL() do {						\
	if (!self->mpxctl)						\
		SKIP(return, "MPXCTL is not set or not executable: no mpxctl to test"); \
} while (0)

/*
 * Run $MPXCTL with @args (NULL-terminated), its stdout and stderr to a
 * pipe: a watcher has nothing to say on stderr, so a warning breaks the
 * output a test expects.
 */
static int watcher_start(struct watcher *w, const char *mpxctl,
			 const char *const *args)
{
	const char *argv[16] = { mpxctl };
	int fd[2], i;

	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	if (pipe2(fd, O_CLOEXEC))
		return -1;
	w->pid = fork();
	if (w->pid < 0)
		return -1;
	if (!w->pid) {
		dup2(fd[1], STDOUT_FILENO);
		dup2(fd[1], STDERR_FILENO);
		execv(mpxctl, (char *const *)argv);
		_exit(127);
	}
	close(fd[1]);
	w->out = fd[0];
	snprintf(w->inst.path, sizeof(w->inst.path), "%s/instances/mpxctl-%d",
		 mpx_tracefs_root(), w->pid);
	return 0;
}

/* Reap the watcher within @ms; its wait status, or -1. */
static int watcher_wait(struct watcher *w, int ms)
{
	struct timespec start;
	pid_t r;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (w->pid > 0) {
		r = waitpid(w->pid, &w->status, WNOHANG);
		if (r == w->pid)
			w->pid = 0;
		else if (r < 0 || elapsed_ms(&start) > ms)
			return -1;
		sleep_ms(20);
	}
	return w->status;
}

/* Wait until the watcher enabled @events (NULL-terminated). */
static int watcher_ready(struct watcher *w, const char *const *events)
{
	struct timespec start;
	bool ready = false;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!ready) {
		if (waitpid(w->pid, &w->status, WNOHANG) == w->pid) {
			w->pid = 0;
			return -1;	/* it ended early */
		}
		if (elapsed_ms(&start) > 2 * WAIT_MS)
			return -1;
		ready = true;
		for (i = 0; events[i] && ready; i++)
			ready = mpx_instance_event_enabled(&w->inst,
							   events[i]) == 1;
		if (!ready)
			sleep_ms(20);
	}
	return 0;
}

/* What the watcher printed until it closed stdout, or after @ms. */
static char *watcher_output(struct watcher *w, int ms)
{
	size_t len = 0, size = 65536;
	struct pollfd pfd = { .fd = w->out, .events = POLLIN };
	struct timespec start;
	char *buf = calloc(1, size);
	ssize_t n;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (buf && len < size - 1 && elapsed_ms(&start) < ms) {
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = read(w->out, buf + len, size - 1 - len);
		if (n <= 0)
			break;
		len += n;
	}
	return buf;
}

static bool instance_gone(const struct watcher *w)
{
	return access(w->inst.path, F_OK) && errno == ENOENT;
}

/* ---- a flat JSON object: {"name":value,...}, values not nested ---- */

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p != '\\')
			continue;
		p++;
		if (*p == 'u') {
			if (strspn(p + 1, "0123456789abcdefABCDEF") < 4)
				return NULL;
			p += 4;
		} else if (!strchr("\"\\/bfnrt", *p) || !*p) {
			return NULL;
		}
	}
	return p + 1;
}

static const char *json_number(const char *p)
{
	const char *d;

	if (*p == '-')
		p++;
	d = p;
	p += strspn(p, "0123456789");
	if (p == d || (*d == '0' && p - d > 1))
		return NULL;
	if (*p == '.') {
		d = ++p;
		p += strspn(p, "0123456789");
		if (p == d)
			return NULL;
	}
	return p;
}

static const char *json_value(const char *p)
{
	if (*p == '"')
		return json_string(p);
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	return json_number(p);
}

static bool json_flat_object(const char *line)
{
	const char *p = json_ws(line);

	if (*p++ != '{')
		return false;
	p = json_ws(p);
	if (*p == '}')
		return !*json_ws(p + 1);
	for (;;) {
		p = json_string(json_ws(p));
		if (!p)
			return false;
		p = json_ws(p);
		if (*p++ != ':')
			return false;
		p = json_value(json_ws(p));
		if (!p)
			return false;
		p = json_ws(p);
		if (*p == '}')
			return !*json_ws(p + 1);
		if (*p++ != ',')
			return false;
	}
}

/* "name":"val" in a JSON line */
static bool json_str_is(const char *line, const char *name, const char *val)
{
	char frag[128];

	snprintf(frag, sizeof(frag), "\"%s\":\"%s\"", name, val);
	return strstr(line, frag);
}

/* "name":number in a JSON line, the number into @val */
static bool json_num(const char *line, const char *name, long long *val)
{
	char frag[64], *end;
	const char *p;

	snprintf(frag, sizeof(frag), "\"%s\":", name);
	p = strstr(line, frag);
	if (!p)
		return false;
	p += strlen(frag);
	if (*p != '-' && (*p < '0' || *p > '9'))
		return false;
	*val = strtoll(p, &end, 10);
	return *end == ',' || *end == '}';
}

static bool json_num_is(const char *line, const char *name, long long val)
{
	long long v;

	return json_num(line, name, &v) && v == val;
}

/* Split @text into lines (in place); how many, at most @max. */
static int split_lines(char *text, char **lines, int max)
{
	char *save, *line;
	int n = 0;

	for (line = strtok_r(text, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save))
		lines[n++] = line;
	return n;
}

/* The first line with "event":@event and "@name":@val; NULL if none. */
static const char *json_find(char **lines, int n, const char *event,
			     const char *name, const char *val)
{
	char ev[64];
	int i;

	snprintf(ev, sizeof(ev), "mpx_%s", event);
	for (i = 0; i < n; i++)
		if (json_str_is(lines[i], "event", ev) &&
		    json_str_is(lines[i], name, val))
			return lines[i];
	return NULL;
}

/* Lines with "event":"mpx_@event". */
static int json_count(char **lines, int n, const char *event)
{
	char ev[64];
	int i, c = 0;

	snprintf(ev, sizeof(ev), "mpx_%s", event);
	for (i = 0; i < n; i++)
		c += json_str_is(lines[i], "event", ev);
	return c;
}

TEST(json_checker_rejects)
{
	/* The checker of the mpxctl tests can fail. */
	EXPECT_TRUE(json_flat_object("{\"a\":1,\"b\":\"x\\u000ay\",\"c\":-2.5}"));
	EXPECT_FALSE(json_flat_object("{\"a\":1,}"));
	EXPECT_FALSE(json_flat_object("{\"a\":{\"b\":1}}"));
	EXPECT_FALSE(json_flat_object("{\"a\":0x10}"));
	EXPECT_FALSE(json_flat_object("{\"a\":\"x\ny\"}"));
	EXPECT_FALSE(json_flat_object("{\"a\":1} x"));
	EXPECT_FALSE(json_flat_object("a=1"));
}

TEST_F(watch, json_events_of_a_process)
{
	int page = getpagesize(), key, status, n, i;
	char pid[16], *lines[64];
	const char *l;
	long long v;
	char *buf;
	pid_t child;
	const char *const args[] = { "watch", "--json", "--pid", pid, "--count",
			       "15", "--timeout", "20", NULL };

	REQUIRE_MPXCTL();
	snprintf(pid, sizeof(pid), "%d", getpid());
	buf = map_pages(1);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, watcher_start(&self->w[0], self->mpxctl, args));
	ASSERT_EQ(0, watcher_ready(&self->w[0], all_events));
	EXPECT_EQ(1, probes_armed());

	/* Another process: filtered out. */
	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		_exit(mpx(buf, page, 0, MPX_OP_CREATE) > 0 ? 0 : 1);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_EQ(0, status);

	/* 5 calls: 10 enter/exit, 4 mpx_key, 1 mpx_violation. */
	key = mpx(buf, page, 0, MPX_OP_CREATE);
	ASSERT_LT(0, key);
	ASSERT_EQ(0, mpx(NULL, 0, key, MPX_OP_ENABLE));
	ASSERT_EQ(-1, mpx(buf + page, 1, key, MPX_OP_CHECK));
	ASSERT_EQ(0, mpx(NULL, 0, key, MPX_OP_DISABLE));
	ASSERT_EQ(0, mpx(NULL, 0, key, MPX_OP_FREE));

	self->out = watcher_output(&self->w[0], 3 * WAIT_MS);
	ASSERT_NE(NULL, self->out);
	EXPECT_EQ(0, watcher_wait(&self->w[0], WAIT_MS));
	EXPECT_TRUE(instance_gone(&self->w[0])) TH_LOG("%s left behind",
						       self->w[0].inst.path);
	n = split_lines(self->out, lines, 64);
	for (i = 0; n != 15 && i < n; i++)
		TH_LOG("line %d: %s", i, lines[i]);
	ASSERT_EQ(15, n);
	for (i = 0; i < n; i++) {
		EXPECT_TRUE(json_flat_object(lines[i])) TH_LOG("%s", lines[i]);
		EXPECT_TRUE(json_num_is(lines[i], "pid", getpid()))
			TH_LOG("%s", lines[i]);
	}
	l = json_find(lines, n, "key", "action", "created");
	ASSERT_NE(NULL, l);
	EXPECT_TRUE(json_num_is(l, "key", key));
	EXPECT_TRUE(json_num_is(l, "addr", (long)buf));
	EXPECT_TRUE(json_num_is(l, "len", page));
	EXPECT_TRUE(json_num_is(l, "bnd", -1));
	EXPECT_NE(NULL, json_find(lines, n, "key", "action", "enabled"));
	EXPECT_NE(NULL, json_find(lines, n, "key", "action", "disabled"));
	EXPECT_NE(NULL, json_find(lines, n, "key", "action", "freed"));
	l = json_find(lines, n, "exit", "op", "CREATE");
	ASSERT_NE(NULL, l);
	EXPECT_TRUE(json_num_is(l, "ret", key));
	EXPECT_TRUE(json_num(l, "latency", &v) && v > 0) TH_LOG("%s", l);
	EXPECT_TRUE(json_str_is(l, "comm", self_comm()));
	l = json_find(lines, n, "exit", "op", "CHECK");
	ASSERT_NE(NULL, l);
	EXPECT_TRUE(json_num_is(l, "ret", -ERANGE));
	EXPECT_TRUE(json_str_is(l, "error", "ERANGE"));
	l = json_find(lines, n, "enter", "op", "CHECK");
	ASSERT_NE(NULL, l);
	EXPECT_TRUE(json_num_is(l, "addr", (long)buf + page));
	EXPECT_TRUE(json_num_is(l, "len", 1));
	l = json_find(lines, n, "violation", "source", "CHECK");
	ASSERT_NE(NULL, l);
	EXPECT_TRUE(json_num_is(l, "key", key));
	EXPECT_TRUE(json_num_is(l, "addr", (long)buf + page));
	EXPECT_TRUE(json_num_is(l, "lower", (long)buf));
	EXPECT_TRUE(json_num_is(l, "upper", (long)buf + page - 1));
	EXPECT_EQ(5, json_count(lines, n, "enter"));
	EXPECT_EQ(5, json_count(lines, n, "exit"));
	EXPECT_EQ(4, json_count(lines, n, "key"));
	EXPECT_EQ(1, json_count(lines, n, "violation"));
	munmap(buf, page);
}

TEST_F(watch, text_with_event_and_key_filters)
{
	int page = getpagesize(), k1, k2, n;
	char key[16], *lines[16], want[128], *p;
	const char *const args[] = { "watch", "--event", "key", "--key", key,
			       "--count", "2", "--timeout", "20", NULL };
	static const char *const key_only[] = { "mpx_key", NULL };
	char *buf;

	REQUIRE_MPXCTL();
	buf = map_pages(2);
	ASSERT_NE(NULL, buf);
	k1 = mpx(buf, page, 0, MPX_OP_CREATE);
	k2 = mpx(buf + page, page, 0, MPX_OP_CREATE);
	ASSERT_LT(0, k1);
	ASSERT_LT(0, k2);
	snprintf(key, sizeof(key), "%d", k2);
	ASSERT_EQ(0, watcher_start(&self->w[0], self->mpxctl, args));
	ASSERT_EQ(0, watcher_ready(&self->w[0], key_only));

	/* k1 first: it must not show, nor any enter/exit. */
	ASSERT_EQ(0, mpx(NULL, 0, k1, MPX_OP_ENABLE));
	ASSERT_EQ(0, mpx(NULL, 0, k1, MPX_OP_DISABLE));
	ASSERT_EQ(0, mpx(NULL, 0, k2, MPX_OP_ENABLE));
	ASSERT_EQ(0, mpx(NULL, 0, k2, MPX_OP_DISABLE));

	self->out = watcher_output(&self->w[0], 3 * WAIT_MS);
	ASSERT_NE(NULL, self->out);
	EXPECT_EQ(0, watcher_wait(&self->w[0], WAIT_MS));
	EXPECT_TRUE(instance_gone(&self->w[0]));
	n = split_lines(self->out, lines, 16);
	ASSERT_EQ(2, n);
	EXPECT_NE(NULL, strstr(lines[0], " mpx_key ")) TH_LOG("%s", lines[0]);
	snprintf(want, sizeof(want),
		 " pid=%d key=%d enabled addr=0x%lx len=%d bnd=",
		 getpid(), k2, (unsigned long)buf + page, page);
	EXPECT_NE(NULL, strstr(lines[0], want)) TH_LOG("%s", lines[0]);
	EXPECT_NE(NULL, strstr(lines[1], " mpx_key ")) TH_LOG("%s", lines[1]);
	snprintf(want, sizeof(want),
		 " pid=%d key=%d disabled addr=0x%lx len=%d bnd=-1",
		 getpid(), k2, (unsigned long)buf + page, page);
	p = strstr(lines[1], want);
	EXPECT_TRUE(p && !p[strlen(want)]) TH_LOG("%s", lines[1]);
	munmap(buf, 2 * page);
}

TEST_F(watch, timeout_without_events)
{
	static const char *const args[] = { "watch", "--timeout", "1", NULL };
	struct timespec start;
	long long ms;

	REQUIRE_MPXCTL();
	clock_gettime(CLOCK_MONOTONIC, &start);
	ASSERT_EQ(0, watcher_start(&self->w[0], self->mpxctl, args));
	self->out = watcher_output(&self->w[0], 3 * WAIT_MS);
	ASSERT_NE(NULL, self->out);
	EXPECT_EQ(0, watcher_wait(&self->w[0], WAIT_MS));
	ms = elapsed_ms(&start);
	EXPECT_LE(900, ms);
	EXPECT_GT(4000 * mpx_slow(), ms);
	EXPECT_STREQ("", self->out);
	EXPECT_TRUE(instance_gone(&self->w[0]));
	EXPECT_EQ(0, probes_armed());
}

TEST_F(watch, signals_end_it_cleanly)
{
	static const char *const args[] = { "watch", "--timeout", "20", NULL };
	static const int sigs[] = { SIGINT, SIGTERM };
	struct timespec start;
	int i;

	REQUIRE_MPXCTL();
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, watcher_start(&self->w[i], self->mpxctl, args));
		ASSERT_EQ(0, watcher_ready(&self->w[i], all_events));
		EXPECT_EQ(1, probes_armed());
		clock_gettime(CLOCK_MONOTONIC, &start);
		ASSERT_EQ(0, kill(self->w[i].pid, sigs[i]));
		EXPECT_EQ(0, watcher_wait(&self->w[i], WAIT_MS))
			TH_LOG("signal %d: status %#x", sigs[i],
			       self->w[i].status);
		TH_LOG("signal %d: exited after %lld ms", sigs[i],
		       elapsed_ms(&start));
		EXPECT_GT(3000 * mpx_slow(), elapsed_ms(&start));
		EXPECT_TRUE(instance_gone(&self->w[i]));
		EXPECT_EQ(0, probes_armed());
	}
}

/*
 * Another process reads an enabled key's region: mpx_remote, shown by a
 * watcher of the target's pid (--pid matches target_pid as well).
 */
TEST_F(watch, remote_event_of_a_target)
{
	int page = getpagesize(), key, status, n;
	char pid[16], *lines[8], *policy;
	const char *const args[] = { "watch", "--json", "--event", "remote",
			       "--pid", pid, "--count", "1", "--timeout", "20",
			       NULL };
	static const char *const remote_only[] = { "mpx_remote", NULL };
	const char *l;
	pid_t child;
	char *buf;

	REQUIRE_MPXCTL();
	policy = read_all(REMOTE_PARAM);
	if (!policy || strncmp(policy, "deny\n", 5)) {
		free(policy);
		SKIP(return, "%s is not \"deny\": no refusal to watch",
		     REMOTE_PARAM);
	}
	free(policy);
	snprintf(pid, sizeof(pid), "%d", getpid());
	buf = map_pages(1);
	ASSERT_NE(NULL, buf);
	key = mpx(buf, page, 0, MPX_OP_CREATE);
	ASSERT_LT(0, key);
	ASSERT_EQ(0, mpx(NULL, 0, key, MPX_OP_ENABLE));
	ASSERT_EQ(0, watcher_start(&self->w[0], self->mpxctl, args));
	ASSERT_EQ(0, watcher_ready(&self->w[0], remote_only));

	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		char data[16];
		struct iovec local = { data, sizeof(data) };
		struct iovec remote = { buf, sizeof(data) };

		_exit(process_vm_readv(getppid(), &local, 1, &remote, 1, 0) ==
		      -1 && errno == EPERM ? 0 : 1);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, status) TH_LOG("the child's read was not refused");

	self->out = watcher_output(&self->w[0], 3 * WAIT_MS);
	ASSERT_NE(NULL, self->out);
	EXPECT_EQ(0, watcher_wait(&self->w[0], WAIT_MS));
	EXPECT_TRUE(instance_gone(&self->w[0]));
	n = split_lines(self->out, lines, 8);
	ASSERT_EQ(1, n) TH_LOG("%s", self->out);
	l = lines[0];
	EXPECT_TRUE(json_flat_object(l)) TH_LOG("%s", l);
	EXPECT_TRUE(json_str_is(l, "event", "mpx_remote")) TH_LOG("%s", l);
	EXPECT_TRUE(json_num_is(l, "pid", child)) TH_LOG("%s", l);
	EXPECT_TRUE(json_num_is(l, "target_pid", getpid()));
	EXPECT_TRUE(json_num_is(l, "key", key));
	EXPECT_TRUE(json_num_is(l, "addr", (long)buf));
	EXPECT_TRUE(json_num_is(l, "len", 16));
	EXPECT_TRUE(json_str_is(l, "access", "read"));
	EXPECT_TRUE(json_str_is(l, "path", "process_vm"));
	EXPECT_TRUE(json_num_is(l, "denied", 1));
	EXPECT_EQ(0, mpx(NULL, 0, key, MPX_OP_DISABLE));
	EXPECT_EQ(0, mpx(NULL, 0, key, MPX_OP_FREE));
	munmap(buf, page);
}

TEST_F(watch, two_watchers_at_once)
{
	int page = getpagesize(), key, i, n;
	char pid[16], *lines[8];
	const char *const args[] = { "watch", "--json", "--event", "key", "--pid",
			       pid, "--count", "2", "--timeout", "20", NULL };
	static const char *const key_only[] = { "mpx_key", NULL };
	char *out[2] = { NULL, NULL };
	char *buf;

	REQUIRE_MPXCTL();
	snprintf(pid, sizeof(pid), "%d", getpid());
	buf = map_pages(1);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, watcher_start(&self->w[i], self->mpxctl, args));
		ASSERT_EQ(0, watcher_ready(&self->w[i], key_only));
	}
	ASSERT_STRNE(self->w[0].inst.path, self->w[1].inst.path);
	key = mpx(buf, page, 0, MPX_OP_CREATE);
	ASSERT_LT(0, key);
	ASSERT_EQ(0, mpx(NULL, 0, key, MPX_OP_FREE));
	for (i = 0; i < 2; i++) {
		out[i] = watcher_output(&self->w[i], 3 * WAIT_MS);
		ASSERT_NE(NULL, out[i]);
		EXPECT_EQ(0, watcher_wait(&self->w[i], WAIT_MS));
		EXPECT_TRUE(instance_gone(&self->w[i]));
		n = split_lines(out[i], lines, 8);
		EXPECT_EQ(2, n);
		EXPECT_NE(NULL, json_find(lines, n, "key", "action",
					  "created"));
		EXPECT_NE(NULL, json_find(lines, n, "key", "action", "freed"));
		free(out[i]);
	}
	munmap(buf, page);
}

/* A comm with a newline splits the event's line; mpxctl joins it. */
TEST_F(watch, comm_with_newline)
{
	char pid[16], *lines[8], go = 0;
	const char *const args[] = { "watch", "--json", "--event", "enter,exit",
			       "--pid", pid, "--count", "2", "--timeout", "20",
			       NULL };
	static const char *const enter_exit[] = { "mpx_enter", "mpx_exit", NULL };
	int fd[2], n, i;
	pid_t child;

	REQUIRE_MPXCTL();
	ASSERT_EQ(0, pipe(fd));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		close(fd[1]);
		prctl(PR_SET_NAME, "ev\nil \"x\"");
		if (read(fd[0], &go, 1) != 1)
			_exit(1);
		mpx(NULL, 0, 0xfffff2, MPX_OP_GET);
		_exit(0);
	}
	close(fd[0]);
	snprintf(pid, sizeof(pid), "%d", child);
	ASSERT_EQ(0, watcher_start(&self->w[0], self->mpxctl, args));
	ASSERT_EQ(0, watcher_ready(&self->w[0], enter_exit));
	ASSERT_EQ(1, write(fd[1], &go, 1));
	close(fd[1]);
	ASSERT_EQ(child, waitpid(child, NULL, 0));

	self->out = watcher_output(&self->w[0], 3 * WAIT_MS);
	ASSERT_NE(NULL, self->out);
	EXPECT_EQ(0, watcher_wait(&self->w[0], WAIT_MS));
	n = split_lines(self->out, lines, 8);
	ASSERT_EQ(2, n);
	for (i = 0; i < n; i++) {
		EXPECT_TRUE(json_flat_object(lines[i])) TH_LOG("%s", lines[i]);
		EXPECT_TRUE(json_str_is(lines[i], "comm",
					"ev\\u000ail \\\"x\\\""))
			TH_LOG("%s", lines[i]);
		EXPECT_TRUE(json_num_is(lines[i], "key", 0xfffff2));
	}
}

TEST_F(watch, help_and_usage_errors)
{
	static const char *const help[] = { "--help", NULL };
	static const char *const watch_help[] = { "watch", "--help", NULL };
	static const char *const bad[][4] = {
		{ "watch", "--event", "bogus", NULL },
		{ "watch", "--count", "0", NULL },
		{ "watch", "--timeout", "x", NULL },
		{ "watch", "--pid", "-3", NULL },
		{ "watch", "extra", NULL },
	};
	size_t i;

	REQUIRE_MPXCTL();
	ASSERT_EQ(0, watcher_start(&self->w[0], self->mpxctl, help));
	self->out = watcher_output(&self->w[0], WAIT_MS);
	EXPECT_EQ(0, watcher_wait(&self->w[0], WAIT_MS));
	EXPECT_NE(NULL, strstr(self->out, "watch"));
	watcher_clean(&self->w[0]);
	free(self->out);
	self->out = NULL;

	ASSERT_EQ(0, watcher_start(&self->w[0], self->mpxctl, watch_help));
	self->out = watcher_output(&self->w[0], WAIT_MS);
	EXPECT_EQ(0, watcher_wait(&self->w[0], WAIT_MS));
	EXPECT_NE(NULL, strstr(self->out, "--timeout"));
	watcher_clean(&self->w[0]);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(0, watcher_start(&self->w[0], self->mpxctl, bad[i]));
		free(watcher_output(&self->w[0], WAIT_MS));
		EXPECT_EQ(2 << 8, watcher_wait(&self->w[0], WAIT_MS))
			TH_LOG("%s %s: status %#x", bad[i][1], bad[i][2],
			       self->w[0].status);
		EXPECT_TRUE(instance_gone(&self->w[0]));
		watcher_clean(&self->w[0]);
	}
}

static int module_load(const char *ko)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return ret;
}

/* Needs the module file in MPX_KO to load it again; never opens /dev/mpx. */
TEST_F(watch, error_without_module)
{
	static const char *const args[] = { "watch", "--timeout", "5", NULL };
	const char *ko = getenv("MPX_KO");
	int status;

	REQUIRE_MPXCTL();
	if (!ko)
		SKIP(return, "MPX_KO not set: the module cannot be reloaded");
	ASSERT_EQ(0, syscall(SYS_delete_module, "mpx", O_NONBLOCK))
		TH_LOG("rmmod mpx: %m");
	self->reload = ko;
	ASSERT_EQ(0, watcher_start(&self->w[0], self->mpxctl, args));
	self->out = watcher_output(&self->w[0], 3 * WAIT_MS);
	status = watcher_wait(&self->w[0], WAIT_MS);
	ASSERT_EQ(0, module_load(ko)) TH_LOG("insmod %s: %m", ko);
	self->reload = NULL;
	EXPECT_EQ(1 << 8, status) TH_LOG("status %#x", status);
	EXPECT_NE(NULL, strstr(self->out, "is the mpx module loaded?"))
		TH_LOG("%s", self->out);
	EXPECT_TRUE(instance_gone(&self->w[0]));
}

TEST_F(watch, events_disabled_under_it)
{
	static const char *const args[] = { "watch", "--event", "key",
					    "--timeout", "20", NULL };
	static const char *const key_only[] = { "mpx_key", NULL };

	REQUIRE_MPXCTL();
	ASSERT_EQ(0, watcher_start(&self->w[0], self->mpxctl, args));
	ASSERT_EQ(0, watcher_ready(&self->w[0], key_only));
	ASSERT_EQ(0, mpx_instance_event_write(&self->w[0].inst, "mpx_key",
					      "enable", "0"));
	self->out = watcher_output(&self->w[0], 3 * WAIT_MS);
	EXPECT_EQ(1 << 8, watcher_wait(&self->w[0], WAIT_MS))
		TH_LOG("status %#x", self->w[0].status);
	EXPECT_NE(NULL, strstr(self->out, "mpx_key is disabled"))
		TH_LOG("%s", self->out);
	EXPECT_TRUE(instance_gone(&self->w[0]));
}

/* Events with a consumer pin the module: unload is refused meanwhile. */
TEST_F(watch, module_pinned_while_watched)
{
	static const char *const args[] = { "watch", "--timeout", "20", NULL };
	const char *ko = getenv("MPX_KO");

	REQUIRE_MPXCTL();
	if (!ko)
		SKIP(return, "MPX_KO not set: the module cannot be reloaded");
	ASSERT_EQ(0, watcher_start(&self->w[0], self->mpxctl, args));
	ASSERT_EQ(0, watcher_ready(&self->w[0], all_events));
	if (!syscall(SYS_delete_module, "mpx", O_NONBLOCK)) {
		self->reload = ko;
		ASSERT_EQ(0, module_load(ko)) TH_LOG("insmod %s: %m", ko);
		self->reload = NULL;
		ASSERT_TRUE(false) TH_LOG("rmmod succeeded under a watcher");
	}
	EXPECT_EQ(EWOULDBLOCK, errno);
	ASSERT_EQ(0, kill(self->w[0].pid, SIGINT));
	EXPECT_EQ(0, watcher_wait(&self->w[0], WAIT_MS));
	EXPECT_TRUE(instance_gone(&self->w[0]));
}

TEST_HARNESS_MAIN
