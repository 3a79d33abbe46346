// SPDX-License-Identifier: GPL-2.0
/*
 * mpx_profile_drv - the calls mpx_profile.sh profiles, N of one kind.
 *
 *	mpx_profile_drv [-t] OP N
 *
 * OP is one of:
 *   getppid   N getppid() calls (the floor of a system call)
 *   info      N MPX_IOC_INFO ioctls (a near-null ioctl on /dev/mpx)
 *   get       N mpx(GET) of an idle key
 *   check     N mpx(CHECK) inside that key's region
 *   life      N life cycles: CREATE + ENABLE + DISABLE + FREE of a key
 *   create, enable, disable, free
 *             N life cycles too, of which only that operation is recorded
 *   pkey      N rounds of pkey_alloc + pkey_mprotect + pkey_free
 *
 * as mpx_bench makes them: the idle key guards a page of its own, made
 * before the first call. With -t the tracers follow this process only
 * (set_ftrace_pid) and the ring buffer records only during the calls of
 * OP (tracing_on is written 1 before and 0 after them); without it
 * nothing is written to tracefs.
 *
 * Prints the time per call measured around each call, as "# " lines.
 * Exit status 0, 1 when a call failed, 4 when the op cannot run here.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "libmpx.h"

#define TRACING	"/sys/kernel/tracing/"

enum {
	GETPPID, INFO, GET, CHECK, LIFE, CREATE, ENABLE, DISABLE, FREE, PKEY,
	NR_OPS
};

static const char *const op_name[NR_OPS] = {
	"getppid", "info", "get", "check", "life", "create", "enable",
	"disable", "free", "pkey",
};

static int trace_fd = -1;
static long errors;
static double clock_cost;	/* ns of one clock_gettime() pair */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Start (1) or stop (0) recording, with -t. */
static void record(int on)
{
	if (trace_fd >= 0 && write(trace_fd, on ? "1" : "0", 1) != 1)
		errors++;
}

static void check_ret(long ret)
{
	if (ret < 0)
		errors++;
}

/*
 * One life cycle; @t[0..3] gain the time of CREATE, ENABLE, DISABLE and
 * FREE. Only the operations @rec says are recorded.
 */
static void life_cycle(char *buf, double *t, const int *rec)
{
	static const int ops[4] = {
		MPX_OP_CREATE, MPX_OP_ENABLE, MPX_OP_DISABLE, MPX_OP_FREE
	};
	int i, key = 0;
	double t0;
	long ret;

	for (i = 0; i < 4; i++) {
		record(rec[i]);
		t0 = now_ns();
		if (!i)
			ret = mpx(buf, 16, 0, MPX_OP_CREATE);
		else
			ret = mpx(NULL, 0, key, ops[i]);
		t[i] += now_ns() - t0;
		record(0);
		check_ret(ret);
		if (!i)
			key = ret;
	}
}

/*
 * ns per call of @n rounds of @round (@calls calls each) with no clock
 * read between the calls: the clock is a system call where the
 * clocksource is not the TSC (the HPET under TCG).
 */
static double plain_ns(void (*round)(char *buf), char *buf, long n,
		       int calls)
{
	double t0 = now_ns();
	long i;

	for (i = 0; i < n; i++)
		round(buf);
	return (now_ns() - t0) / n / calls;
}

static void plain_life(char *buf)
{
	int key = mpx(buf, 16, 0, MPX_OP_CREATE);

	check_ret(key);
	check_ret(mpx(NULL, 0, key, MPX_OP_ENABLE));
	check_ret(mpx(NULL, 0, key, MPX_OP_DISABLE));
	check_ret(mpx(NULL, 0, key, MPX_OP_FREE));
}

static void plain_pkey(char *buf)
{
	long k = syscall(SYS_pkey_alloc, 0, 0);

	check_ret(syscall(SYS_pkey_mprotect, buf, 4096, PROT_READ | PROT_WRITE,
			  k));
	check_ret(syscall(SYS_pkey_free, k));
}

static void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int run_pkey(char *buf, long n)
{
	double t[3] = { 0 }, t0, plain = 0;
	long i, k;

	k = syscall(SYS_pkey_alloc, 0, 0);
	if (k < 0) {
		printf("# drv: pkey: no protection keys here\n");
		return 4;
	}
	syscall(SYS_pkey_free, k);
	if (trace_fd < 0)
		plain = plain_ns(plain_pkey, buf, n, 3);
	record(1);
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		k = syscall(SYS_pkey_alloc, 0, 0);
		t[0] += now_ns() - t0;
		t0 = now_ns();
		check_ret(syscall(SYS_pkey_mprotect, buf, 4096,
				  PROT_READ | PROT_WRITE, k));
		t[1] += now_ns() - t0;
		t0 = now_ns();
		check_ret(syscall(SYS_pkey_free, k));
		t[2] += now_ns() - t0;
	}
	record(0);
	printf("# drv: pkey %ld rounds: alloc %.0f, mprotect %.0f, free %.0f ns;",
	       n, t[0] / n - clock_cost, t[1] / n - clock_cost,
	       t[2] / n - clock_cost);
	printf(" %.0f ns per call", (t[0] + t[1] + t[2]) / n / 3 - clock_cost);
	printf(" (%.0f in a loop without clock reads)\n", plain);
	return 0;
}

/* N calls of a simple op, timed as a whole. */
static void run_simple(int op, char *buf, int key, long n)
{
	struct mpx_info info;
	double t0;
	long i;

	record(1);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		switch (op) {
		case GETPPID:
			getppid();
			break;
		case INFO:
			check_ret(ioctl(mpx_fd(), MPX_IOC_INFO, &info));
			break;
		case GET:
			check_ret(mpx(NULL, 0, key, MPX_OP_GET));
			break;
		default:
			check_ret(mpx(buf, 16, key, MPX_OP_CHECK));
			break;
		}
	}
	t0 = now_ns() - t0;
	record(0);
	printf("# drv: %s %ld calls: %.0f ns per call\n", op_name[op], n,
	       t0 / n);
}

static void run_life(int op, char *buf, long n)
{
	int rec[4] = { 0 };
	double t[4] = { 0 }, plain = 0;
	long i;

	if (trace_fd < 0)
		plain = plain_ns(plain_life, buf, n, 4);
	for (i = 0; i < 4; i++)
		rec[i] = op == LIFE || op == CREATE + i;
	for (i = 0; i < n; i++)
		life_cycle(buf, t, rec);
	for (i = 0; i < 4; i++)
		t[i] = t[i] / n - clock_cost;
	printf("# drv: %s %ld cycles: create %.0f, enable %.0f, disable %.0f,",
	       op_name[op], n, t[0], t[1], t[2]);
	printf(" free %.0f ns; %.0f ns per op", t[3],
	       (t[0] + t[1] + t[2] + t[3]) / 4);
	printf(" (%.0f in a loop without clock reads)\n", plain);
}

int main(int argc, char **argv)
{
	int op, key, i, trace = 0;
	double t0;
	char *buf;
	long n;

	if (argc > 1 && !strcmp(argv[1], "-t")) {
		trace = 1;
		argc--;
		argv++;
	}
	for (op = 0; argc == 3 && op < NR_OPS; op++)
		if (!strcmp(argv[1], op_name[op]))
			break;
	n = argc == 3 ? atol(argv[2]) : 0;
	if (argc != 3 || op == NR_OPS || n <= 0) {
		fprintf(stderr, "usage: mpx_profile_drv [-t] OP N\n");
		return 2;
	}
	pin_cpu0();
	buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	key = buf == MAP_FAILED ? -1 : mpx(buf, 4096, 0, MPX_OP_CREATE);
	if (key < 0) {
		printf("# drv: no /dev/mpx or no key\n");
		return 4;
	}
	if (trace) {
		FILE *f = fopen(TRACING "set_ftrace_pid", "w");

		trace_fd = open(TRACING "tracing_on", O_WRONLY | O_CLOEXEC);
		if (trace_fd < 0 || !f || fprintf(f, "%d\n", getpid()) < 0 ||
		    fclose(f)) {
			printf("# drv: cannot write to %s\n", TRACING);
			return 4;
		}
	}
	t0 = now_ns();
	for (i = 0; i < 1000; i++)
		now_ns();
	clock_cost = (now_ns() - t0) / 1000;

	if (op == PKEY) {
		i = run_pkey(buf, n);
		if (i)
			return i;
	} else if (op >= LIFE) {
		run_life(op, buf, n);
	} else {
		run_simple(op, buf, key, n);
	}
	if (errors)
		printf("# drv: %ld calls failed\n", errors);
	return errors ? 1 : 0;
}
