/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mpx_worker.h - the helper program the suites exec (mpx_worker.c).
 *
 * Tests that need a new program image (exec drops the keys and the MPX
 * register state) run mpx_worker, a program of its own built next to the
 * suites, as the kernel's selftests do with their helpers; so every suite
 * keeps the kselftest harness's own main(). Its first argument names the
 * job. A 32-bit suite runs mpx_worker32, so that the exec'd image makes
 * its calls through compat_ioctl too.
 *
 * The worker is looked for next to the running test, then in PATH (the
 * test VM puts it in /bin, beside mpxctl).
 */
#ifndef MPX_WORKER_H
#define MPX_WORKER_H

#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#if __SIZEOF_POINTER__ == 8
#define MPX_WORKER		"mpx_worker"
#else
#define MPX_WORKER		"mpx_worker32"
#endif

/* Jobs, and the arguments that follow. */
#define WORKER_KEYS_EXEC	"keys-exec"	/* KEY FD KEYS: see below */
#define WORKER_BOUNDS_EXEC	"bounds-exec"	/* registers start empty */
#define WORKER_FUZZ		"fuzz"		/* CTL_FD SLOT FD GEN */
#define WORKER_MAX_ARGS		8

/*
 * keys-exec, for mpx_keys_test: KEY is a key the old image held, FD its
 * /dev/mpx descriptor (inherited: not close-on-exec), KEYS the module-wide
 * key count to expect, or -1. The exit status says what it found.
 */
enum exec_status {
	EXEC_OK,
	EXEC_KEY_VISIBLE,	/* GET of the old key did not fail ENOENT */
	EXEC_FD_KEY_VISIBLE,	/* the same through the inherited fd */
	EXEC_STATE_UNREADABLE,
	EXEC_KEYS_LEAKED,	/* the module-wide count did not drop */
	EXEC_BAD_ARGS,
	EXEC_SETUP_FAILED,	/* before exec: CREATE, ENABLE, count, dup */
	EXEC_FAILED,
};

/*
 * Replace this image by the worker doing @job with the arguments that
 * follow, up to a NULL (as execl()). Returns only when no worker could be
 * run: -1 with errno set.
 */
static inline int worker_exec(const char *job, ...)
{
	char *argv[WORKER_MAX_ARGS + 3] = { NULL, (char *)job };
	char path[PATH_MAX];
	va_list ap;
	ssize_t n;
	char *dir;
	int i;

	va_start(ap, job);
	for (i = 2; i < WORKER_MAX_ARGS + 2; i++) {
		argv[i] = va_arg(ap, char *);
		if (!argv[i])
			break;
	}
	va_end(ap);

	n = readlink("/proc/self/exe", path, sizeof(path) - sizeof(MPX_WORKER));
	if (n > 0) {
		path[n] = '\0';
		dir = strrchr(path, '/');
		if (dir) {
			strcpy(dir + 1, MPX_WORKER);
			argv[0] = path;
			execv(path, argv);
		}
	}
	argv[0] = MPX_WORKER;
	execvp(MPX_WORKER, argv);
	return -1;
}

#endif /* MPX_WORKER_H */
