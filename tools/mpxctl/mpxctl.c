// SPDX-License-Identifier: GPL-2.0
/*
 * mpxctl - inspect and exercise the mpx module.
 *
 *   mpxctl info    what MPX_IOC_INFO reports
 *   mpxctl demo    a protected-region scenario, step by step
 *   mpxctl watch   the module's events as they happen (watch.c)
 *
 * See mpxctl.8.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libmpx.h"
#include "watch.h"

static const char usage[] =
"Usage: mpxctl [--help] COMMAND [OPTIONS]\n"
"\n"
"Commands:\n"
"  info    print what the mpx module reports (MPX_IOC_INFO)\n"
"  demo    create a key guarding a buffer, enable it, check accesses\n"
"          inside and outside it, then disable and free it\n"
"  watch   print the module's events (key operations, key changes,\n"
"          violations) as they happen; 'mpxctl watch --help' lists its\n"
"          options: --event, --pid, --key, --json, --count, --timeout\n"
"\n"
"The device is /dev/mpx (MPX_DEVICE in the environment overrides).\n"
"watch reads tracefs (/sys/kernel/tracing) and needs root.\n";

static int cmd_info(void)
{
	struct mpx_info info;

	if (mpx_info(&info)) {
		perror("mpxctl: " LIBMPX_DEVICE);
		return 1;
	}
	printf("version:  %u\n", info.version);
	printf("hw:       %u (%s)\n", info.hw,
	       info.hw ? "CPU has MPX, XCR0 enables BNDREGS|BNDCSR" :
			 "no usable MPX");
	printf("mode:     %s\n", info.mode == MPX_MODE_HW ? "hardware" :
							 "software");
	printf("nr_bnd:   %u\n", info.nr_bnd);
	printf("max_keys: %u\n", info.max_keys);
	return 0;
}

/* One step of the demo: print the call and what it returned. */
static int step(const char *what, void *addr, int len, unsigned int key,
		int op)
{
	int ret = mpx(addr, len, key, op);

	if (ret < 0)
		printf("  %-34s -> -1 (%s)\n", what, strerror(errno));
	else
		printf("  %-34s -> %d\n", what, ret);
	return ret;
}

static int cmd_demo(void)
{
	long page = sysconf(_SC_PAGESIZE);
	struct mpx_key_info ki;
	char *buf;
	int key;

	buf = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mpxctl: mmap");
		return 1;
	}
	printf("mpx demo: pid %d guards %ld bytes at %p\n", getpid(), page,
	       (void *)buf);
	key = step("CREATE buf, one page", buf, page, 0, MPX_OP_CREATE);
	if (key < 0)
		return 1;
	step("ENABLE key", NULL, 0, key, MPX_OP_ENABLE);
	if (step("GET key (with mpx_key_info)", &ki, sizeof(ki), key,
		 MPX_OP_GET) >= 0)
		printf("  %-34s    key %u status %#x addr %#llx len %d bnd %d\n",
		       "", ki.key, ki.status, (unsigned long long)ki.addr,
		       ki.len, ki.bnd);
	step("CHECK 16 bytes inside", buf + 64, 16, key, MPX_OP_CHECK);
	step("CHECK 16 bytes across the end", buf + page - 8, 16, key,
	     MPX_OP_CHECK);
	step("CHECK the next page", buf + page, 1, key, MPX_OP_CHECK);
	step("FREE while enabled", NULL, 0, key, MPX_OP_FREE);
	step("DISABLE key", NULL, 0, key, MPX_OP_DISABLE);
	step("FREE key", NULL, 0, key, MPX_OP_FREE);
	step("GET freed key", NULL, 0, key, MPX_OP_GET);
	munmap(buf, 2 * page);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "info"))
		return cmd_info();
	if (!strcmp(argv[1], "demo"))
		return cmd_demo();
	if (!strcmp(argv[1], "watch"))
		return cmd_watch(argc - 1, argv + 1);
	fprintf(stderr, "mpxctl: unknown command '%s'\n\n%s", argv[1], usage);
	return 2;
}
