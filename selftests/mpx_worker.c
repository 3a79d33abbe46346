// SPDX-License-Identifier: GPL-2.0
/*
 * mpx_worker - the program the selftests exec when they need a new image
 * (see mpx_worker.h). Not a suite: no TAP, only an exit status.
 *
 *   mpx_worker keys-exec KEY FD KEYS     for mpx_keys_test (and its -m32
 *                                        build, through mpx_worker32)
 *   mpx_worker bounds-exec               for mpx_bounds_test (x86-64)
 *   mpx_worker fuzz CTL_FD SLOT FD GEN   a process generation of
 *                                        mpx_fuzz_test (mpx_fuzz.c)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "libmpx.h"
#include "mpx_fuzz.h"
#include "mpx_sysfs.h"
#include "mpx_worker.h"
#ifdef __x86_64__
#include "mpx_bnd.h"
#endif

/*
 * A new image has a new address space, so no keys: neither mpx() nor the
 * old image's descriptor sees KEY, and the module-wide count dropped back
 * to KEYS (unless -1).
 */
static int keys_exec(int argc, char **argv)
{
	struct mpx_args get = { .op = MPX_OP_GET };
	struct mpx_state st;
	long keys;
	int fd;

	if (argc != 4)
		return EXEC_BAD_ARGS;
	get.key = strtoul(argv[1], NULL, 0);
	fd = atoi(argv[2]);
	keys = atol(argv[3]);
	if (mpx(NULL, 0, get.key, MPX_OP_GET) != -1 || errno != ENOENT)
		return EXEC_KEY_VISIBLE;
	if (ioctl(fd, MPX_IOC_CALL, &get) != -1 || errno != ENOENT)
		return EXEC_FD_KEY_VISIBLE;
	if (keys < 0)
		return EXEC_OK;
	if (read_state(&st))
		return EXEC_STATE_UNREADABLE;
	return st.keys == keys ? EXEC_OK : EXEC_KEYS_LEAKED;
}

/* exec starts with MPX off: bound register 0 empty, no #BR; 0 if so. */
static int bounds_exec(void)
{
#ifdef __x86_64__
	struct bnd128 b;

	catch_segv();
	bnd_get(0, &b);
	bndcu(0, ~0UL);
	return b.lower || b.upper || trap_count ? 1 : 0;
#else
	return 2;
#endif
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], WORKER_KEYS_EXEC))
		return keys_exec(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], WORKER_BOUNDS_EXEC))
		return bounds_exec();
	if (argc > 1 && !strcmp(argv[1], WORKER_FUZZ))
		return fuzz_worker_main(argc - 1, argv + 1);
	fprintf(stderr, "usage: %s " WORKER_KEYS_EXEC "|" WORKER_BOUNDS_EXEC "|"
		WORKER_FUZZ " ARGS...\n(a helper of the mpx selftests)\n",
		argv[0]);
	return 2;
}
