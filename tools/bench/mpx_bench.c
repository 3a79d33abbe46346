// SPDX-License-Identifier: GPL-2.0
/*
 * mpx_bench - what a call of mpx() costs, measured side by side in one run.
 *
 * Each configuration is timed in turns (ROUNDS rounds of CALLS calls, the
 * configurations interleaved) and the median round is kept, so a noisy
 * host moves all of them alike; the ratios to getppid() are the result.
 *
 *   getppid             the floor of a system call
 *   INFO ioctl          a near-null ioctl on /dev/mpx
 *   GET of key 0        the floor of any mpx() call: its arguments copied
 *                       in, validated and dispatched, then ENOENT before
 *                       any lookup (GET idle minus this is what GET's own
 *                       work costs)
 *   GET, idle           mpx(GET): no event consumed, probes disarmed
 *   GET, key events     mpx_key enabled (not emitted by GET): still idle
 *   GET, probes armed   mpx_enter + mpx_exit recorded for every call
 *   CHECK, idle         mpx(CHECK) inside the region
 *   life cycle          CREATE + ENABLE + DISABLE + FREE, per operation
 *   pkey                pkey_alloc + pkey_mprotect + pkey_free, per call
 *   pvm, hooks off      process_vm_readv of 4 KiB of another process, the
 *                       remote-access hooks disarmed (parameter remote=off)
 *   pvm, hooks armed    the same with the hooks armed (remote=deny; a
 *                       helper process holds enabled keys), the target
 *                       holding none
 *   pvm, 1000 keys      the same, outside any region of a target that
 *                       holds 1,000 enabled keys
 *
 *   GET, 65,536 keys    GET of one key by a process holding 65,536 keys
 *                       (the module reloaded with max_keys=65536 when
 *                       the VM harness gives its file in MPX_KO)
 *   GET, 2 processes    two processes, one key each, GET at once; the
 *                       time per call of both together
 *   getppid, 2 proc.    the same with getppid(): 2-process GET scales
 *                       like a plain system call when GET's throughput
 *                       gain over one process matches getppid's
 *
 * Kernel memory per live key: the slab charged to a memory cgroup (cgroup
 * v2 memory.stat, mounted on /sys/fs/cgroup if need be) while a process in
 * it holds MEM_KEYS keys, created back to back (dense) or in the worst id
 * pattern (one kept key per xarray leaf: keys are created and freed until
 * the next id starts a leaf).
 *
 * In hardware mode the time of an XSAVE or XRSTOR under TCG says little
 * about a real CPU, so the bench also counts them per call (debugfs
 * mpx/state fpu_live, read between rounds): GET, CHECK and a life cycle.
 *
 * Prints TAP (one "ok" when it ran) with the figures as comments, so the
 * VM rig can run it like a selftest.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libmpx.h"
#include "mpx_sysfs.h"
#include "mpx_tracefs.h"

#define EVENTS	"/sys/kernel/tracing/events/mpx/"
#define REMOTE	"/sys/module/mpx/parameters/remote"
#define ROUNDS	9
#define CALLS	20000
#define CYCLES	(CALLS / 8)	/* life cycles and pkey rounds are longer */
#define PVM_LEN	4096
#define NR_TARGET_KEYS	1000
#define CG_ROOT		"/sys/fs/cgroup"
#define CG_BENCH	CG_ROOT "/mpx_bench"
#define CGROUP2_MAGIC	0x63677270
#define XA_CHUNK	64	/* ids per xarray leaf */
#define MEM_KEYS	1000	/* within the default max_keys */
#define BIG_KEYS	65536

enum {
	GETPPID, INFO, GET_KEY0, GET_IDLE, GET_KEYEV, GET_ARMED, CHECK_IDLE,
	LIFE, PKEY, PVM_OFF, PVM_ARMED, PVM_KEYS, GET_BIG, GET_2P,
	GETPPID_2P, NR_CONF
};

static const char *const conf_name[NR_CONF] = {
	"getppid", "INFO ioctl", "GET of key 0", "GET, idle",
	"GET, key events", "GET, probes armed", "CHECK, idle",
	"life cycle (per op)",
	"pkey (per call)", "pvm, hooks off", "pvm, hooks armed",
	"pvm, 1000 keys", "GET, 65,536 keys", "GET, 2 processes",
	"getppid, 2 proc.",
};

static char *buf, *pvm_buf, *pvm_local;
static int key;
static pid_t target_plain, target_keys;
static int have_pkey, have_remote, have_big;

/*
 * A process of its own that makes rounds of calls on command: it holds
 * nr_keys keys and GETs the first; see worker_round().
 */
struct worker {
	pid_t pid;
	int cmd;	/* write: 'g' a round of GETs, 'p' of getppid() */
	int res;	/* read: the round's ns per call, a double */
};

static struct worker big, pair[2];

/* Hardware mode: keys are loaded into the four bound registers. */
static int hw_mode(void)
{
	struct mpx_info info;

	return !ioctl(mpx_fd(), MPX_IOC_INFO, &info) &&
	       info.mode == MPX_MODE_HW;
}

/* Put the module in the state configuration @c needs. */
static int configure(int c)
{
	const char *key_ev = c == GET_KEYEV ? "1" : "0";
	const char *probe_ev = c == GET_ARMED ? "1" : "0";

	if (mpx_write_str(EVENTS "mpx_key/enable", key_ev) ||
	    mpx_write_str(EVENTS "mpx_enter/enable", probe_ev) ||
	    mpx_write_str(EVENTS "mpx_exit/enable", probe_ev))
		return -1;
	if (have_remote &&
	    mpx_write_str(REMOTE, c == PVM_ARMED || c == PVM_KEYS ? "deny" : "off"))
		return -1;
	return 0;
}

/*
 * A process to read from: a copy of pvm_buf, and with @nr_keys enabled
 * keys on a buffer of its own (regions of 16 bytes; in hardware mode four
 * distinct ones, since a thread has four bound registers). It waits for
 * the end of the run; its pid, or -1.
 */
static pid_t spawn_target(int nr_keys)
{
	int ready[2], i, k;
	char *keybuf, c = 0;
	pid_t pid;

	if (pipe(ready))
		return -1;
	pid = fork();
	if (pid) {
		close(ready[1]);
		if (pid < 0 || read(ready[0], &c, 1) != 1 || c != 1)
			pid = -1;
		close(ready[0]);
		return pid;
	}
	keybuf = mmap(NULL, 16 * nr_keys + 1, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (i = 0; i < nr_keys && keybuf != MAP_FAILED; i++) {
		int slot = hw_mode() ? i % 4 : i;

		k = mpx(keybuf + 16 * slot, 16, 0, MPX_OP_CREATE);
		if (k < 0 || mpx(NULL, 0, k, MPX_OP_ENABLE) < 0)
			break;
	}
	c = i == nr_keys;
	if (write(ready[1], &c, 1) != 1)
		_exit(1);
	pause();
	_exit(0);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void worker_loop(int cmd, int res, int nr_keys)
{
	int i, n, k = -1;
	double t0, ns;
	char c;

	for (i = 0; i < nr_keys; i++) {
		n = mpx(buf, 16, 0, MPX_OP_CREATE);
		if (n < 0)
			_exit(1);
		if (k < 0)
			k = n;
	}
	while (read(cmd, &c, 1) == 1) {
		t0 = now_ns();
		for (i = 0; i < CALLS; i++)
			c == 'g' ? mpx(NULL, 0, k, MPX_OP_GET) : getppid();
		ns = (now_ns() - t0) / CALLS;
		if (write(res, &ns, sizeof(ns)) != sizeof(ns))
			_exit(1);
	}
	_exit(0);
}

/* Start a worker holding @nr_keys keys; 0 once its keys are made, or -1. */
static int worker_start(struct worker *w, int nr_keys)
{
	int cmd[2], res[2];
	double ns;

	if (pipe(cmd) || pipe(res))
		return -1;
	w->pid = fork();
	if (!w->pid) {
		close(cmd[1]);
		close(res[0]);
		worker_loop(cmd[0], res[1], nr_keys);
	}
	close(cmd[0]);
	close(res[1]);
	w->cmd = cmd[1];
	w->res = res[0];
	/* A first round: its keys are made and it runs. */
	if (w->pid < 0 || write(w->cmd, "g", 1) != 1 ||
	    read(w->res, &ns, sizeof(ns)) != sizeof(ns))
		return -1;
	return 0;
}

static void worker_stop(struct worker *w)
{
	if (w->pid <= 0)
		return;
	close(w->cmd);
	close(w->res);
	waitpid(w->pid, NULL, 0);
	w->pid = 0;
}

/*
 * Rounds of @cmd in @n workers at once: the ns per call of all of them
 * together (wall time / all calls); the worker's own figure for n = 1.
 */
static double worker_round(struct worker *w, int n, char cmd)
{
	double t0 = now_ns(), ns = 0;
	int i;

	for (i = 0; i < n; i++)
		if (write(w[i].cmd, &cmd, 1) != 1)
			return 0;
	for (i = 0; i < n; i++)
		if (read(w[i].res, &ns, sizeof(ns)) != sizeof(ns))
			return 0;
	return n == 1 ? ns : (now_ns() - t0) / CALLS / n;
}

/*
 * Under the VM harness (MPX_KO), reload the module with max_keys=BIG_KEYS
 * so that one process may hold them; before anything opens /dev/mpx. The
 * module stays so: the bench's descriptor pins it until exit.
 */
static int big_keys_allowed(void)
{
	char params[32];

	snprintf(params, sizeof(params), "max_keys=%d", BIG_KEYS);
	return getenv("MPX_KO") && !mpx_module_reload(params);
}

static void pvm_read(pid_t pid)
{
	struct iovec l = { pvm_local, PVM_LEN }, r = { pvm_buf, PVM_LEN };

	process_vm_readv(pid, &l, 1, &r, 1, 0);
}

/* One life cycle of a key: four mpx() calls. */
static void life_cycle(void)
{
	int k = mpx(buf, 16, 0, MPX_OP_CREATE);

	mpx(NULL, 0, k, MPX_OP_ENABLE);
	mpx(NULL, 0, k, MPX_OP_DISABLE);
	mpx(NULL, 0, k, MPX_OP_FREE);
}

/* One pkey round: three system calls. */
static void pkey_round(void)
{
	long k = syscall(SYS_pkey_alloc, 0, 0);

	syscall(SYS_pkey_mprotect, buf, 4096, PROT_READ | PROT_WRITE, k);
	syscall(SYS_pkey_free, k);
}

/* Nanoseconds per call of one round of configuration @c. */
static double round_ns(int c)
{
	struct mpx_info info;
	double t0 = now_ns();
	int i;

	if (c == LIFE || c == PKEY) {
		for (i = 0; i < CYCLES; i++)
			c == LIFE ? life_cycle() : pkey_round();
		return (now_ns() - t0) / CYCLES / (c == LIFE ? 4 : 3);
	}
	if (c == GET_BIG)
		return worker_round(&big, 1, 'g');
	if (c == GET_2P || c == GETPPID_2P)
		return worker_round(pair, 2, c == GET_2P ? 'g' : 'p');
	for (i = 0; i < CALLS; i++) {
		switch (c) {
		case PVM_OFF:
		case PVM_ARMED:
			pvm_read(target_plain);
			break;
		case PVM_KEYS:
			pvm_read(target_keys);
			break;
		case GETPPID:
			getppid();
			break;
		case INFO:
			ioctl(mpx_fd(), MPX_IOC_INFO, &info);
			break;
		case CHECK_IDLE:
			mpx(buf, 16, key, MPX_OP_CHECK);
			break;
		case GET_KEY0:
			mpx(NULL, 0, 0, MPX_OP_GET);
			break;
		default:
			mpx(NULL, 0, key, MPX_OP_GET);
			break;
		}
	}
	return (now_ns() - t0) / CALLS;
}

/* Calls one round of configuration @c makes. */
static long round_calls(int c)
{
	return c == LIFE ? CYCLES * 4L : c == PKEY ? CYCLES * 3L : CALLS;
}

/* Slab bytes charged to the bench's cgroup, -1 if unreadable. */
static long cg_slab(void)
{
	FILE *f = fopen(CG_BENCH "/memory.stat", "r");
	long val, sum = 0;
	int n = 0;
	char name[64];

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &val) == 2)
		if (!strcmp(name, "slab_reclaimable") ||
		    !strcmp(name, "slab_unreclaimable")) {
			sum += val;
			n++;
		}
	fclose(f);
	return n == 2 ? sum : -1;
}

/* MEM_KEYS keys on buf, dense or one kept key per leaf: 0 or -1. */
static int make_keys(int worst)
{
	int i, id, t;

	for (i = 0; i < MEM_KEYS; i++) {
		id = mpx(buf, 16, 0, MPX_OP_CREATE);
		if (id < 0)
			return -1;
		while (worst && (id + 1) % XA_CHUNK) {
			t = mpx(buf, 16, 0, MPX_OP_CREATE);
			if (t < 0 || mpx(NULL, 0, t, MPX_OP_FREE))
				return -1;
			id = t;
		}
	}
	return 0;
}

/*
 * Slab bytes per key charged to CG_BENCH while a child moved into it holds
 * MEM_KEYS keys (make_keys(@worst)); -1 on failure.
 */
static long key_bytes(int worst)
{
	int go[2], done[2];
	long before = -1, after = -1;
	char pid[16], c = 0;
	pid_t child;

	if (pipe(go) || pipe(done))
		return -1;
	child = fork();
	if (!child) {
		close(go[1]);
		close(done[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		c = !make_keys(worst);
		if (write(done[1], &c, 1) != 1)
			_exit(1);
		while (read(go[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(go[0]);
	close(done[1]);
	snprintf(pid, sizeof(pid), "%d", child);
	if (child > 0 && !mpx_write_str(CG_BENCH "/cgroup.procs", pid)) {
		before = cg_slab();
		if (write(go[1], &c, 1) == 1 && read(done[0], &c, 1) == 1 &&
		    c && before >= 0) {
			usleep(100000);
			after = cg_slab();
		}
	}
	close(go[1]);
	close(done[0]);
	if (child > 0)
		waitpid(child, NULL, 0);
	return after < 0 ? -1 : (after - before) / MEM_KEYS;
}

/* Kernel memory per live key, dense and worst (memory cgroup v2). */
static void key_memory(void)
{
	int mounted = 0, made = 0;
	long dense = -1, worst = -1;
	struct statfs sfs;

	if (!statfs(CG_ROOT, &sfs) && sfs.f_type != CGROUP2_MAGIC &&
	    !mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL))
		mounted = 1;
	if (!mpx_write_str(CG_ROOT "/cgroup.subtree_control", "+memory") &&
	    !mkdir(CG_BENCH, 0755)) {
		made = 1;
		dense = key_bytes(0);
		worst = key_bytes(1);
	}
	if (made)
		rmdir(CG_BENCH);
	if (mounted)
		umount(CG_ROOT);
	if (dense < 0 || worst < 0) {
		printf("# kernel memory per live key: n/a (no memory cgroup v2)\n");
		return;
	}
	printf("# kernel memory per live key (%d keys), dense: %ld B\n",
	       MEM_KEYS, dense);
	printf("# kernel memory per live key (%d keys), a leaf each: %ld B\n",
	       MEM_KEYS, worst);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* A configuration this system cannot run is left out, and said so. */
static int skipped(int c)
{
	if (c == PKEY && !have_pkey)
		return 1;
	if ((c == PVM_OFF || c == PVM_ARMED || c == PVM_KEYS) && !have_remote)
		return 1;
	if (c == GET_BIG && !have_big)
		return 1;
	return 0;
}

static void ratio(const char *what, const double *med, int a, int b)
{
	if (skipped(a) || skipped(b))
		printf("# %s: n/a\n", what);
	else
		printf("# %s = %.2f\n", what, med[a] / med[b]);
}

int main(void)
{
	double t[NR_CONF][ROUNDS], med[NR_CONF];
	long xs[NR_CONF] = { 0 }, calls[NR_CONF] = { 0 }, pk, before, after;
	struct utsname uts;
	int r, c;

	printf("TAP version 13\n1..1\n");
	have_big = big_keys_allowed();
	buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pvm_buf = mmap(NULL, 2 * PVM_LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	key = mpx(buf, 4096, 0, MPX_OP_CREATE);
	if (buf == MAP_FAILED || pvm_buf == MAP_FAILED || key < 0 ||
	    configure(GET_IDLE)) {
		printf("not ok 1 bench: no module, no key or no tracefs\n");
		return 1;
	}
	memset(pvm_buf, 'x', 2 * PVM_LEN);
	pvm_local = pvm_buf + PVM_LEN;
	pk = syscall(SYS_pkey_alloc, 0, 0);
	have_pkey = pk >= 0;
	if (have_pkey)
		syscall(SYS_pkey_free, pk);
	have_remote = access(REMOTE, W_OK) == 0;
	if (have_remote) {
		target_plain = spawn_target(0);
		target_keys = spawn_target(NR_TARGET_KEYS);
		if (target_plain < 0 || target_keys < 0) {
			printf("not ok 1 bench: no target processes\n");
			return 1;
		}
	}
	if ((have_big && worker_start(&big, BIG_KEYS)) ||
	    worker_start(&pair[0], 1) || worker_start(&pair[1], 1)) {
		printf("not ok 1 bench: no worker processes\n");
		return 1;
	}
	if (uname(&uts))
		strcpy(uts.release, "?");
	printf("# kernel %s, %s mode, median of %d rounds\n", uts.release,
	       hw_mode() ? "hardware" : "software", ROUNDS);
	for (r = 0; r < ROUNDS; r++) {
		for (c = 0; c < NR_CONF; c++) {
			if (skipped(c)) {
				t[c][r] = 0;
				continue;
			}
			if (configure(c)) {
				printf("not ok 1 bench: tracefs\n");
				return 1;
			}
			before = state_value("fpu_live");
			t[c][r] = round_ns(c);
			after = state_value("fpu_live");
			if (before >= 0 && after >= before) {
				xs[c] += after - before;
				calls[c] += round_calls(c);
			}
		}
	}
	configure(GET_IDLE);
	if (have_remote) {
		mpx_write_str(REMOTE, "deny");
		kill(target_plain, SIGKILL);
		kill(target_keys, SIGKILL);
		waitpid(target_plain, NULL, 0);
		waitpid(target_keys, NULL, 0);
	}
	/* A worker holds the pipes of those started before it: reverse order. */
	worker_stop(&pair[1]);
	worker_stop(&pair[0]);
	worker_stop(&big);
	mpx_write_str("/sys/kernel/tracing/trace", "");
	printf("# %-20s %10s %10s  (median of %d rounds of %d calls)\n",
	       "configuration", "ns/call", "x getppid", ROUNDS, CALLS);
	for (c = 0; c < NR_CONF; c++) {
		qsort(t[c], ROUNDS, sizeof(double), cmp_double);
		med[c] = t[c][ROUNDS / 2];
		if (skipped(c))
			printf("# %-20s %10s %10s\n", conf_name[c], "n/a", "n/a");
		else
			printf("# %-20s %10.0f %10.2f\n", conf_name[c], med[c],
			       med[c] / med[GETPPID]);
	}
	ratio("idle hooks: GET with key events on / GET idle", med,
	      GET_KEYEV, GET_IDLE);
	ratio("armed probes: GET armed / GET idle", med, GET_ARMED, GET_IDLE);
	printf("# traced: (GET armed - GET idle) / getppid = %.2f\n",
	       (med[GET_ARMED] - med[GET_IDLE]) / med[GETPPID]);
	ratio("GET idle / INFO ioctl", med, GET_IDLE, INFO);
	ratio("GET of key 0 / INFO ioctl", med, GET_KEY0, INFO);
	ratio("GET idle / GET of key 0", med, GET_IDLE, GET_KEY0);
	ratio("CHECK idle / INFO ioctl", med, CHECK_IDLE, INFO);
	ratio("life cycle per op / pkey per call", med, LIFE, PKEY);
	ratio("GET with 65,536 keys / with 1 key", med, GET_BIG, GET_IDLE);
	printf("# 2-process gain (time of 1 call / of 2 at once): GET %.2f, getppid %.2f\n",
	       med[GET_IDLE] / med[GET_2P], med[GETPPID] / med[GETPPID_2P]);
	printf("# 2-process gain, GET's / getppid's = %.2f\n",
	       med[GET_IDLE] / med[GET_2P] / (med[GETPPID] / med[GETPPID_2P]));
	ratio("remote hooks: pvm armed / pvm off", med, PVM_ARMED, PVM_OFF);
	ratio("remote hooks: pvm 1000 keys / pvm off", med, PVM_KEYS, PVM_OFF);
	if (calls[GET_IDLE] && calls[CHECK_IDLE] && calls[LIFE])
		printf("# XSAVE+XRSTOR per call: GET %.2f, CHECK %.2f, life cycle op %.2f\n",
		       (double)xs[GET_IDLE] / calls[GET_IDLE],
		       (double)xs[CHECK_IDLE] / calls[CHECK_IDLE],
		       (double)xs[LIFE] / calls[LIFE]);
	else
		printf("# XSAVE+XRSTOR per call: n/a (%s unreadable)\n",
		       STATE_FILE);
	key_memory();
	printf("ok 1 bench\n");
	return 0;
}
