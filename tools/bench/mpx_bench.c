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
 *   GET, idle           mpx(GET): no event consumed, probes disarmed
 *   GET, key events     mpx_key enabled (not emitted by GET): still idle
 *   GET, probes armed   mpx_enter + mpx_exit recorded for every call
 *   CHECK, idle         mpx(CHECK) inside the region
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
#include <time.h>
#include <unistd.h>

#include "libmpx.h"
#include "mpx_tracefs.h"

#define EVENTS	"/sys/kernel/tracing/events/mpx/"
#define ROUNDS	9
#define CALLS	20000

enum { GETPPID, INFO, GET_IDLE, GET_KEYEV, GET_ARMED, CHECK_IDLE, NR_CONF };

static const char *const conf_name[NR_CONF] = {
	"getppid", "INFO ioctl", "GET, idle", "GET, key events",
	"GET, probes armed", "CHECK, idle",
};

static char *buf;
static int key;

/* Put the module's events in the state configuration @c needs. */
static int configure(int c)
{
	const char *key_ev = c == GET_KEYEV ? "1" : "0";
	const char *probe_ev = c == GET_ARMED ? "1" : "0";

	if (mpx_write_str(EVENTS "mpx_key/enable", key_ev) ||
	    mpx_write_str(EVENTS "mpx_enter/enable", probe_ev) ||
	    mpx_write_str(EVENTS "mpx_exit/enable", probe_ev))
		return -1;
	return 0;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Nanoseconds per call of one round of configuration @c. */
static double round_ns(int c)
{
	struct mpx_info info;
	double t0 = now_ns();
	int i;

	for (i = 0; i < CALLS; i++) {
		switch (c) {
		case GETPPID:
			getppid();
			break;
		case INFO:
			ioctl(mpx_fd(), MPX_IOC_INFO, &info);
			break;
		case CHECK_IDLE:
			mpx(buf, 16, key, MPX_OP_CHECK);
			break;
		default:
			mpx(NULL, 0, key, MPX_OP_GET);
			break;
		}
	}
	return (now_ns() - t0) / CALLS;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	double t[NR_CONF][ROUNDS], med[NR_CONF];
	int r, c;

	printf("TAP version 13\n1..1\n");
	buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	key = mpx(buf, 4096, 0, MPX_OP_CREATE);
	if (buf == MAP_FAILED || key < 0 || configure(GET_IDLE)) {
		printf("not ok 1 bench: no module, no key or no tracefs\n");
		return 1;
	}
	for (r = 0; r < ROUNDS; r++) {
		for (c = 0; c < NR_CONF; c++) {
			if (configure(c)) {
				printf("not ok 1 bench: tracefs\n");
				return 1;
			}
			t[c][r] = round_ns(c);
		}
	}
	configure(GET_IDLE);
	mpx_write_str("/sys/kernel/tracing/trace", "");
	printf("# %-20s %10s %10s  (median of %d rounds of %d calls)\n",
	       "configuration", "ns/call", "x getppid", ROUNDS, CALLS);
	for (c = 0; c < NR_CONF; c++) {
		qsort(t[c], ROUNDS, sizeof(double), cmp_double);
		med[c] = t[c][ROUNDS / 2];
		printf("# %-20s %10.0f %10.2f\n", conf_name[c], med[c],
		       med[c] / med[GETPPID]);
	}
	printf("# idle hooks: GET with key events on / GET idle = %.2f\n",
	       med[GET_KEYEV] / med[GET_IDLE]);
	printf("# armed probes: GET armed / GET idle = %.2f\n",
	       med[GET_ARMED] / med[GET_IDLE]);
	printf("ok 1 bench\n");
	return 0;
}
