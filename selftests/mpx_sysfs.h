/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mpx_sysfs.h - the module's files for the selftests and the bench:
 * debugfs mpx/state (module-wide counters, one "name value" a line, "keys"
 * and "mms" first). Writable files (module parameters, tracefs switches) are
 * written with mpx_write_str() of libmpx's mpx_tracefs.h.
 */
#ifndef MPX_SYSFS_H
#define MPX_SYSFS_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mpx_tracefs.h"

#define STATE_FILE	"/sys/kernel/debug/mpx/state"

/* A number from debugfs mpx/state, -1 if it or the file is absent. */
static inline long state_value(const char *name)
{
	FILE *f = fopen(STATE_FILE, "r");
	char key[64], line[128];
	long val, ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", key, &val) == 2 &&
		    !strcmp(key, name))
			ret = val;
	fclose(f);
	return ret;
}

/* The module-wide counts of debugfs mpx/state. */
struct mpx_state {
	long keys;	/* live keys */
	long mms;	/* address spaces holding keys */
};

/*
 * Both counts in one read of the file: 0, -errno when it cannot be
 * opened, -EPROTO when it does not start "keys N\nmms N".
 */
static inline int read_state(struct mpx_state *st)
{
	FILE *f = fopen(STATE_FILE, "r");
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "keys %ld mms %ld", &st->keys, &st->mms);
	fclose(f);
	return n == 2 ? 0 : -EPROTO;
}

/*
 * How many times slower than a stock kernel under TCG the test kernel is
 * (MPX_SLOW, set by the rig for the debug kernel; default 1): tests that
 * bound their time or their attempts scale by it.
 */
static inline int mpx_slow(void)
{
	const char *s = getenv("MPX_SLOW");
	int n = s ? atoi(s) : 1;

	return n > 0 ? n : 1;
}

/*
 * Iterations of a loop sized for a stock kernel, on the test kernel: @n
 * divided by MPX_LOOP_DIV (set by the rig for the debug kernel, where a
 * call costs about 100 times more; default 1), at least 1. For loops whose
 * count only buys confidence, not coverage: a leak per iteration still
 * shows after a few.
 */
static inline long mpx_loops(long n)
{
	const char *s = getenv("MPX_LOOP_DIV");
	long div = s ? atol(s) : 1;

	if (div < 1)
		div = 1;
	return n / div > 0 ? n / div : 1;
}

/*
 * Load the module file named by MPX_KO (the VM harness sets it) with
 * @params ("" for the defaults): finit_module's result, -1 with errno
 * ENOENT when MPX_KO is not set.
 */
static inline int mpx_module_load(const char *params)
{
	const char *ko = getenv("MPX_KO");
	int fd, ret;

	if (!ko) {
		errno = ENOENT;
		return -1;
	}
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, params, 0);
	close(fd);
	return ret;
}

/*
 * Unload the module (if loaded) and load MPX_KO with @params. A
 * descriptor an exited child held may not be released yet: retry for
 * about 10 s while the module is busy.
 */
static inline int mpx_module_reload(const char *params)
{
	int i;

	for (i = 0; syscall(SYS_delete_module, "mpx", O_NONBLOCK); i++) {
		if (errno == ENOENT)
			break;
		if (errno != EWOULDBLOCK || i == 100)
			return -1;
		usleep(100000);
	}
	return mpx_module_load(params);
}

#endif /* MPX_SYSFS_H */
