// SPDX-License-Identifier: GPL-2.0
/*
 * mpxctl - inspect and exercise the mpx module.
 *
 *   mpxctl info    what MPX_IOC_INFO and the module parameters report
 *   mpxctl demo    a protected-region scenario, step by step (demo.c)
 *   mpxctl watch   the module's events as they happen (watch.c)
 *
 * See mpxctl.8.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "libmpx.h"
#include "mpxctl.h"

static const char usage[] =
"Usage: mpxctl [--help] COMMAND [OPTIONS]\n"
"\n"
"Commands:\n"
"  info    print what the mpx module reports (MPX_IOC_INFO) and its\n"
"          remote-access policy\n"
"  demo    create a key guarding a buffer, enable it, check accesses\n"
"          inside and outside it, let another process try to read it,\n"
"          then disable and free it\n"
"  watch   print the module's events (key operations, key changes,\n"
"          violations, other processes' accesses to protected regions)\n"
"          as they happen; 'mpxctl watch --help' lists its options:\n"
"          --event, --pid, --key, --json, --count, --timeout\n"
"\n"
"The device is /dev/mpx (MPX_DEVICE in the environment overrides).\n"
"watch reads tracefs (/sys/kernel/tracing) and needs root.\n";

int mpx_param(const char *name, char *buf, size_t size)
{
	char path[128];
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), MPX_PARAM_DIR "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	err = errno;
	close(fd);
	if (n < 0) {
		errno = err;
		return -1;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * "deny", or the word in brackets should the module list the choices
 * ("[deny] report off").
 */
const char *mpx_remote_policy(char *buf, size_t size)
{
	char *p;

	if (mpx_param("remote", buf, size) || !buf[0])
		return NULL;
	p = strchr(buf, '[');
	if (!p)
		return buf;
	p++;
	p[strcspn(p, "]")] = '\0';
	return p;
}

static const char *remote_meaning(const char *policy)
{
	if (!policy)
		return "no 'remote' parameter in this mpx module";
	if (!strcmp(policy, "deny"))
		return "other processes' accesses to enabled regions are refused and reported";
	if (!strcmp(policy, "report"))
		return "other processes' accesses to enabled regions are allowed and reported";
	if (!strcmp(policy, "off"))
		return "other processes' accesses are neither checked nor reported";
	return "unknown policy";
}

static int cmd_info(void)
{
	struct mpx_info info;
	const char *policy;
	char buf[64];

	if (mpx_info(&info)) {
		perror("mpxctl: " LIBMPX_DEVICE);
		return 1;
	}
	policy = mpx_remote_policy(buf, sizeof(buf));
	printf("version:  %u\n", info.version);
	printf("hw:       %u (%s)\n", info.hw,
	       info.hw ? "CPU has MPX, XCR0 enables BNDREGS|BNDCSR" :
			 "no usable MPX");
	printf("mode:     %s\n", info.mode == MPX_MODE_HW ? "hardware" :
							 "software");
	printf("nr_bnd:   %u\n", info.nr_bnd);
	printf("max_keys: %u\n", info.max_keys);
	printf("remote:   %s (%s)\n", policy ? policy : "unknown",
	       remote_meaning(policy));
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
