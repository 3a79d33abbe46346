// SPDX-License-Identifier: GPL-2.0
/*
 * mpxctl demo: a protected-region scenario, step by step.
 *
 * First this process creates a key over a page, enables it, CHECKs
 * accesses inside and across the region's end, then disables and frees
 * it. Then, when the module has the "remote" parameter, another process
 * (a fork child: another address space) reads the page with
 * process_vm_readv while a key guarding it is enabled, which the default
 * policy "deny" refuses; reads the next, unguarded page, which works; and
 * reads the page again after DISABLE. The mpx_remote events of those
 * reads are shown when tracefs can be used (as root).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tracefs.h>

#include "event.h"
#include "libmpx.h"
#include "mpx_tracefs.h"
#include "mpxctl.h"

#define SECRET		"mpx demo: secret"	/* the guarded page */
#define PUBLIC		"mpx demo: public"	/* the page after it */
#define PEEK		16			/* bytes a remote read asks for */

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

/* This process guards its page: CREATE, ENABLE, GET, CHECK, FREE. */
static int local_part(char *buf, long page)
{
	struct mpx_key_info ki;
	int key;

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
	return 0;
}

struct peek {
	ssize_t n;
	int err;
	char data[PEEK];
};

/*
 * A fork child reads PEEK bytes at @addr of this process with
 * process_vm_readv and prints what it got.
 */
static void remote_read(const char *what, void *addr)
{
	struct peek r = { .n = -1, .err = EIO };
	char label[64];
	int fd[2];
	pid_t pid;

	if (pipe(fd)) {
		perror("mpxctl: pipe");
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("mpxctl: fork");
		close(fd[0]);
		close(fd[1]);
		return;
	}
	if (!pid) {
		struct iovec local = { r.data, PEEK }, remote = { addr, PEEK };

		r.n = process_vm_readv(getppid(), &local, 1, &remote, 1, 0);
		r.err = errno;
		_exit(write(fd[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(fd[1]);
	if (read(fd[0], &r, sizeof(r)) != sizeof(r))
		r.n = -1;
	close(fd[0]);
	waitpid(pid, NULL, 0);
	snprintf(label, sizeof(label), "child %d reads %s", (int)pid, what);
	if (r.n < 0)
		printf("  %-34s -> -1 (%s)\n", label, strerror(r.err));
	else
		printf("  %-34s -> %zd \"%.*s\"\n", label, r.n, (int)r.n,
		       r.data);
}

/* The mpx_remote events of the remote part, in a tracefs instance. */
struct trace {
	struct tracefs_instance *inst;	/* NULL: not tracing */
	struct mpx_decoder dec;
};

/* Disable the events and remove the instance. */
static void trace_stop(struct trace *t)
{
	if (!t->inst)
		return;
	tracefs_event_disable(t->inst, "mpx", NULL);
	tracefs_instance_destroy(t->inst);
	tracefs_instance_free(t->inst);
	t->inst = NULL;
	mpx_decoder_free(&t->dec);
}

/* Trace mpx_remote in an instance of our own; why not, or NULL. */
static const char *trace_start(struct trace *t)
{
	const char *root = mpx_tracefs_root(), *why;
	char name[32];

	tracefs_set_loglevel(TEP_LOG_NONE);
	tep_set_loglevel(TEP_LOG_NONE);
	if (!root || tracefs_set_tracing_dir((char *)root))
		return strerror(errno);
	snprintf(name, sizeof(name), "mpxctl-demo-%d", (int)getpid());
	if (tracefs_instance_exists(name))
		return strerror(EEXIST);
	t->inst = tracefs_instance_create(name);
	if (!t->inst)
		return strerror(errno);
	if (!tracefs_instance_is_new(t->inst)) {
		tracefs_instance_free(t->inst);	/* someone else's */
		t->inst = NULL;
		return strerror(EEXIST);
	}
	if (mpx_decoder_init(&t->dec, root, t->inst)) {
		why = strerror(errno);
		tracefs_instance_destroy(t->inst);
		tracefs_instance_free(t->inst);
		t->inst = NULL;
		return why;
	}
	why = !tep_find_event_by_name(t->dec.tep, "mpx", "mpx_remote") ?
	      "no mpx_remote event" :
	      tracefs_event_enable(t->inst, "mpx", "mpx_remote") ?
	      strerror(errno) : NULL;
	if (why)
		trace_stop(t);
	return why;
}

static int show_record(struct tep_event *event, struct tep_record *rec,
		       int cpu, void *arg)
{
	struct trace *t = arg;
	struct mpx_event ev;

	(void)event;
	(void)cpu;
	if (!mpx_event_decode(&t->dec, rec, &ev)) {
		fputs("  event:", stdout);
		mpx_event_print(stdout, &ev, false);
	}
	return 0;
}

/* Print the mpx events the instance holds, and remove it. */
static void trace_show(struct trace *t)
{
	errno = 0;
	if (tracefs_iterate_raw_events(t->dec.tep, t->inst, NULL, 0,
				       show_record, t) < 0)
		printf("  (mpx_remote events not shown: reading the trace failed%s%s)\n",
		       errno ? ": " : "", errno ? strerror(errno) : "");
	trace_stop(t);
}

/* Another process tries to read this process's guarded page. */
static int remote_part(char *buf, long page)
{
	struct trace t = { NULL };
	const char *policy, *why;
	char pol[64];
	int key;

	policy = mpx_remote_policy(pol, sizeof(pol));
	if (!policy) {
		puts("mpx demo: remote access: skipped (no 'remote' parameter in this mpx module)");
		return 0;
	}
	printf("mpx demo: another process reads the guarded page (remote policy %s)\n",
	       policy);
	memcpy(buf, SECRET, PEEK);
	memcpy(buf + page, PUBLIC, PEEK);
	why = trace_start(&t);
	key = step("CREATE buf, one page", buf, page, 0, MPX_OP_CREATE);
	if (key < 0 || step("ENABLE key", NULL, 0, key, MPX_OP_ENABLE) < 0) {
		trace_stop(&t);
		return 1;
	}
	remote_read("the page", buf);
	remote_read("the next page", buf + page);
	step("DISABLE key", NULL, 0, key, MPX_OP_DISABLE);
	remote_read("the page", buf);
	step("FREE key", NULL, 0, key, MPX_OP_FREE);
	if (why)
		printf("  (mpx_remote events not shown: %s)\n", why);
	else
		trace_show(&t);
	return 0;
}

int cmd_demo(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *buf;
	int ret;

	buf = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mpxctl: mmap");
		return 1;
	}
	ret = local_part(buf, page);
	if (!ret)
		ret = remote_part(buf, page);
	munmap(buf, 2 * page);
	return ret;
}
