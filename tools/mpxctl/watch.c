// SPDX-License-Identifier: GPL-2.0
/*
 * mpxctl watch: print the events of the mpx module as they happen.
 *
 * Every watcher makes its own tracefs instance, instances/mpxctl-<pid>, so
 * that watchers (and trace-cmd, perf, ...) never share a ring buffer, an
 * event's enable or its filter. It enables the events asked for there,
 * with a filter for --pid and --key, and reads the instance's trace_pipe.
 * At the end (--count, --timeout, SIGINT, SIGTERM, SIGHUP, a closed stdout)
 * it disables the events and removes the instance. Only SIGKILL leaves the
 * instance behind; rmdir removes it. While an mpx event is enabled the
 * module is pinned: unloading it is refused until the watcher ends. When
 * someone disables the watcher's events by hand (or they vanish, should
 * the module be forced out), the watcher says so and fails instead of
 * waiting for nothing.
 *
 * --pid filters on each event's "pid" field, not on the task that hit the
 * tracepoint: for mpx_key that is the key's owner, so that the "reclaimed"
 * events of a process come with it even when another task frees its keys;
 * mpx_remote matches the accessor (pid) or the process whose region it
 * tried to reach (target_pid).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "mpx_tracefs.h"
#include "mpxctl.h"

#define NR_EVENTS	6
#define ENTER_EXIT	0x3U	/* the events of the kprobe pair */
#define PKEY_EVENT	0x10U
#define REMOTE_EVENT	0x20U
/* Every event but mpx_pkey; mpx_remote where the module has it. */
#define DEFAULT_EVENTS	(0xfU | REMOTE_EVENT)
/* A comm holds at most 15 newlines; each splits an event's line. */
#define MAX_JOINS	15
/*
 * Wake at least this often, to see whether our events are still there and
 * to read even if a kernel's poll() on trace_pipe waited for more data.
 */
#define POLL_MAX_S	1.0

static const char *const event_names[NR_EVENTS] = {
	"mpx_enter", "mpx_exit", "mpx_key", "mpx_violation", "mpx_pkey",
	"mpx_remote",
};

struct watch {
	/* options */
	unsigned int events;	/* bit n: event_names[n] */
	bool asked;		/* events named by --event, not the default */
	long pid;		/* -1: every process */
	long long key;		/* -1: every key */
	bool json;
	unsigned long count;	/* 0: no limit */
	double timeout;		/* 0: none */
	/* state */
	const char *root;	/* the tracefs mount */
	struct mpx_instance inst;	/* ours; empty path until made */
	unsigned int enabled;	/* events enabled in it */
	int fd;			/* its trace_pipe */
	unsigned long seen;	/* events printed */
	bool stop;		/* --count reached, or stdout closed */
	bool failed;		/* an error after the setup */
	size_t len;		/* bytes in buf */
	char buf[65536];	/* what trace_pipe gave, up to a newline */
	size_t plen;		/* bytes in pending */
	int joins;		/* lines joined to pending */
	char pending[4096];	/* an event line cut by a newline in comm */
	char scratch[4096];	/* mpx_event_parse() works in place */
};

static volatile sig_atomic_t watch_signal;

const char watch_usage[] =
"Usage: mpxctl watch [OPTIONS]\n"
"\n"
"Print the events of the mpx module, one line each, until --count events,\n"
"--timeout seconds, or SIGINT (Ctrl-C), SIGTERM or SIGHUP. Needs root.\n"
"\n"
"Options:\n"
"  -e, --event NAME  only the event NAME: enter, exit, key, violation,\n"
"                    remote (another process's access to a protected\n"
"                    region), or pkey (pkey_alloc/free/mprotect of any\n"
"                    process) (repeatable, or comma-separated); default\n"
"                    all but pkey\n"
"  -p, --pid PID     only events of process PID (mpx_key: of its keys;\n"
"                    mpx_remote: as the accessor or the target)\n"
"  -k, --key KEY     only events whose key field is KEY\n"
"  -j, --json        one JSON object per line instead of text\n"
"  -c, --count N     stop after N events\n"
"  -t, --timeout S   stop after S seconds (fractions allowed)\n"
"  -h, --help        print this help\n";

static void on_signal(int sig)
{
	watch_signal = sig;
}

/* A decimal number in [min, max] filling all of @s. */
static int parse_num(const char *s, long long min, long long max,
		     long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (!*s || *end || errno || *out < min || *out > max)
		return -1;
	return 0;
}

static int add_events(struct watch *w, const char *arg)
{
	char *list = strdup(arg), *save, *name;
	int i, ret = 0;

	if (!list)
		return -1;
	for (name = strtok_r(list, ",", &save); name && !ret;
	     name = strtok_r(NULL, ",", &save)) {
		if (!strncmp(name, "mpx_", 4))
			name += 4;
		for (i = 0; i < NR_EVENTS; i++)
			if (!strcmp(name, event_names[i] + 4))
				break;
		if (i == NR_EVENTS) {
			fprintf(stderr, "mpxctl: unknown event '%s'\n", name);
			ret = -1;
		} else {
			w->events |= 1U << i;
		}
	}
	free(list);
	return ret;
}

static int bad_value(const char *opt, const char *arg)
{
	fprintf(stderr, "mpxctl: invalid %s '%s'\n", opt, arg);
	return 2;
}

static int set_timeout(struct watch *w, const char *arg)
{
	char *end;

	errno = 0;
	w->timeout = strtod(arg, &end);
	if (!*arg || *end || errno || !(w->timeout > 0) ||
	    w->timeout > 1e9)
		return bad_value("--timeout", arg);
	return 0;
}

/* One option of getopt_long(); 2 for a usage error. */
static int watch_option(struct watch *w, int c, const char *arg)
{
	long long n;

	switch (c) {
	case 'e':
		return add_events(w, arg) ? 2 : 0;
	case 'p':
		if (parse_num(arg, 1, INT_MAX, &n))
			return bad_value("--pid", arg);
		w->pid = n;
		return 0;
	case 'k':
		if (parse_num(arg, 0, UINT_MAX, &w->key))
			return bad_value("--key", arg);
		return 0;
	case 'j':
		w->json = true;
		return 0;
	case 'c':
		if (parse_num(arg, 1, LONG_MAX, &n))
			return bad_value("--count", arg);
		w->count = n;
		return 0;
	case 't':
		return set_timeout(w, arg);
	}
	return 2;
}

/* 0 to go on, 1 when --help was printed, 2 for a usage error. */
static int watch_options(struct watch *w, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "event", required_argument, NULL, 'e' },
		{ "pid", required_argument, NULL, 'p' },
		{ "key", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, ret;

	w->pid = -1;
	w->key = -1;
	w->fd = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "e:p:k:jc:t:h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(watch_usage, stdout);
			return 1;
		}
		ret = watch_option(w, c, optarg);
		if (ret)
			goto usage;
	}
	if (optind < argc) {
		fprintf(stderr, "mpxctl: unexpected argument '%s'\n",
			argv[optind]);
		goto usage;
	}
	w->asked = w->events;
	if (!w->asked)
		w->events = DEFAULT_EVENTS;
	if (w->key >= 0 && w->events & PKEY_EVENT) {
		fputs("mpxctl: --key does not apply to pkey events\n", stderr);
		goto usage;
	}
	return 0;
usage:
	fputs("Try 'mpxctl watch --help'.\n", stderr);
	return 2;
}

static int event_write(struct watch *w, int i, const char *file,
		       const char *val)
{
	if (!mpx_instance_event_write(&w->inst, event_names[i], file, val))
		return 0;
	if (errno == ENOENT)
		fprintf(stderr, "mpxctl: this mpx module has no %s event\n",
			event_names[i]);
	else
		fprintf(stderr, "mpxctl: writing '%s' to %s/events/mpx/%s/%s: %m\n",
			val, w->inst.path, event_names[i], file);
	return -1;
}

/*
 * The tracefs mount, and the mpx events in it. Events the user did not
 * ask for by name are left out where the module lacks them.
 */
static int find_tracefs(struct watch *w)
{
	char path[PATH_MAX];
	struct stat st;
	int i;

	w->root = mpx_tracefs_root();
	if (!w->root && errno == ENOENT) {
		fputs("mpxctl: no tracefs: mount -t tracefs nodev /sys/kernel/tracing\n",
		      stderr);
		return -1;
	}
	if (!w->root) {
		fprintf(stderr, "mpxctl: tracefs: %m%s\n",
			errno == EACCES ? " (watching needs root)" : "");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/events/mpx", w->root);
	if (stat(path, &st)) {
		fprintf(stderr, "mpxctl: %s: %m%s\n", path, errno == ENOENT ?
			" (is the mpx module loaded?)" : "");
		return -1;
	}
	for (i = 0; i < NR_EVENTS && !w->asked; i++) {
		snprintf(path, sizeof(path), "%s/events/mpx/%s", w->root,
			 event_names[i]);
		if (w->events & 1U << i && stat(path, &st) && errno == ENOENT)
			w->events &= ~(1U << i);
	}
	return 0;
}

/*
 * A new instance copies the global trace options: set those that change
 * the line format or poll() to what the parser and the loop expect.
 * Options a kernel lacks are skipped.
 */
static void set_options(struct watch *w)
{
	static const char *const opts[][2] = {
		{ "options/context-info", "1" },
		{ "options/latency-format", "0" },
		{ "options/raw", "0" },
		{ "options/hex", "0" },
		{ "options/bin", "0" },
		{ "options/block", "0" },	/* else poll() never waits */
		{ "buffer_percent", "0" },	/* wake poll() on any event */
	};
	size_t i;

	for (i = 0; i < sizeof(opts) / sizeof(*opts); i++)
		mpx_instance_write(&w->inst, opts[i][0], opts[i][1]);
}

static int make_instance(struct watch *w)
{
	char name[32];

	snprintf(name, sizeof(name), "mpxctl-%d", (int)getpid());
	if (mpx_instance_make(&w->inst, w->root, name)) {
		fprintf(stderr, "mpxctl: mkdir %s/instances/%s: %m%s\n",
			w->root, name,
			errno == EEXIST ? " (left by a killed watcher? rmdir it)" :
			errno == EACCES || errno == EPERM ?
			" (watching needs root)" : "");
		return -1;
	}
	set_options(w);
	return 0;
}

/* The tracefs filter of event @i for --pid and --key, or "" for none. */
static void make_filter(const struct watch *w, int i, char *buf,
			size_t size)
{
	int n = 0;

	buf[0] = '\0';
	if (w->pid >= 0 && 1U << i == REMOTE_EVENT)
		n = snprintf(buf, size, "(pid == %ld || target_pid == %ld)",
			     w->pid, w->pid);
	else if (w->pid >= 0)
		n = snprintf(buf, size, "pid == %ld", w->pid);
	if (w->key >= 0)
		snprintf(buf + n, size - n, "%skey == %lld", n ? " && " : "",
			 w->key);
}

static int enable_events(struct watch *w)
{
	char filter[96];
	int i;

	for (i = 0; i < NR_EVENTS; i++) {
		if (!(w->events & 1U << i))
			continue;
		make_filter(w, i, filter, sizeof(filter));
		if (filter[0] && event_write(w, i, "filter", filter))
			return -1;
		if (event_write(w, i, "enable", "1"))
			return -1;
		w->enabled |= 1U << i;
	}
	return 0;
}

/* mpx_enter/mpx_exit are silent while the module parameter forbids them. */
static void check_probes(const struct watch *w)
{
	char val[8];

	if (!(w->events & ENTER_EXIT) || mpx_param("probes", val, sizeof(val)))
		return;
	if (val[0] == 'N' || val[0] == '0')
		fprintf(stderr, "mpxctl: warning: %sprobes is off: no mpx_enter/mpx_exit\n",
			MPX_PARAM_DIR);
}

static int watch_setup(struct watch *w)
{
	char path[PATH_MAX + 16];

	if (find_tracefs(w) || make_instance(w) || enable_events(w))
		return -1;
	snprintf(path, sizeof(path), "%s/trace_pipe", w->inst.path);
	w->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (w->fd < 0) {
		fprintf(stderr, "mpxctl: %s: %m\n", path);
		return -1;
	}
	check_probes(w);
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "mpxctl: watching in %s; Ctrl-C stops\n",
			w->inst.path);
	return 0;
}

/* Disable what was enabled and remove the instance; 0 or -1. */
static int watch_teardown(struct watch *w)
{
	int i, ret = 0;

	if (w->plen)
		fprintf(stderr, "mpxctl: unparsed trace line: %s\n",
			w->pending);
	for (i = 0; i < NR_EVENTS; i++)
		if (w->enabled & 1U << i && event_write(w, i, "enable", "0"))
			ret = -1;
	if (w->fd >= 0)
		close(w->fd);
	if (mpx_instance_remove(&w->inst)) {
		fprintf(stderr, "mpxctl: rmdir %s: %m\n", w->inst.path);
		ret = -1;
	}
	return ret;
}

/* Is @pid the event's pid, or for mpx_remote its target_pid? */
static bool pid_matches(const struct mpx_event *ev, long pid)
{
	const struct mpx_field *f = mpx_event_field(ev, "pid");
	const struct mpx_field *t = mpx_event_field(ev, "target_pid");

	return (f && f->i == pid) || (t && t->i == pid);
}

static void watch_emit(struct watch *w, const struct mpx_event *ev)
{
	const struct mpx_field *f;

	/* The kernel filtered already; this guards the output anyway. */
	if (w->pid >= 0 && !pid_matches(ev, w->pid))
		return;
	f = mpx_event_field(ev, "key");
	if (w->key >= 0 && (!f || f->u != (unsigned long long)w->key))
		return;
	if (mpx_event_print(stdout, ev, w->json)) {
		if (errno != EPIPE) {
			perror("mpxctl: stdout");
			w->failed = true;
		}
		w->stop = true;		/* nobody reads any more */
		return;
	}
	if (w->count && ++w->seen >= w->count)
		w->stop = true;
}

/* Parse @text (not changed) and print it when it is a whole event. */
static enum mpx_parse watch_try(struct watch *w, const char *text)
{
	struct mpx_event ev;
	enum mpx_parse r;

	snprintf(w->scratch, sizeof(w->scratch), "%s", text);
	r = mpx_event_parse(w->scratch, &ev);
	if (r == MPX_PARSE_OK)
		watch_emit(w, &ev);
	return r;
}

static void drop_pending(struct watch *w)
{
	if (w->plen)
		fprintf(stderr, "mpxctl: unparsed trace line: %s\n",
			w->pending);
	w->plen = 0;
	w->joins = 0;
}

/*
 * @line follows an event line that did not parse: join them when @line is
 * the rest of a comm with a newline. True when @line was used.
 */
static bool watch_join(struct watch *w, const char *line)
{
	size_t n = strlen(line);
	struct mpx_event ev;
	enum mpx_parse r;

	snprintf(w->scratch, sizeof(w->scratch), "%s", line);
	if (mpx_event_parse(w->scratch, &ev) != MPX_PARSE_NONE ||
	    w->joins >= MAX_JOINS || w->plen + n + 2 > sizeof(w->pending)) {
		drop_pending(w);
		return false;
	}
	w->pending[w->plen++] = '\n';
	memcpy(w->pending + w->plen, line, n + 1);
	w->plen += n;
	w->joins++;
	r = watch_try(w, w->pending);
	if (r != MPX_PARSE_PARTIAL) {
		w->plen = 0;
		w->joins = 0;
	}
	return true;
}

static void watch_line(struct watch *w, const char *line)
{
	unsigned long lost;
	int cpu;

	if (sscanf(line, "CPU:%d [LOST %lu EVENTS]", &cpu, &lost) == 2) {
		drop_pending(w);
		fprintf(stderr, "mpxctl: cpu %d lost %lu events (buffer overrun)\n",
			cpu, lost);
		return;
	}
	if (w->plen && watch_join(w, line))
		return;
	if (watch_try(w, line) == MPX_PARSE_PARTIAL &&
	    strlen(line) < sizeof(w->pending)) {
		strcpy(w->pending, line);
		w->plen = strlen(line);
	}
}

/* Handle the whole lines in buf; keep a partial last one. */
static void watch_lines(struct watch *w)
{
	char *p = w->buf, *nl, *end = w->buf + w->len;

	while (!w->stop && (nl = memchr(p, '\n', end - p))) {
		*nl = '\0';
		watch_line(w, p);
		p = nl + 1;
	}
	w->len = end - p;
	memmove(w->buf, p, w->len);
	if (w->len == sizeof(w->buf) - 1) {	/* no newline in sight */
		w->buf[w->len] = '\0';
		watch_line(w, w->buf);
		w->len = 0;
	}
}

/* Read trace_pipe until it is empty; 0 or -1. */
static int watch_read(struct watch *w)
{
	ssize_t n;

	while (!w->stop) {
		n = read(w->fd, w->buf + w->len, sizeof(w->buf) - 1 - w->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			fprintf(stderr, "mpxctl: reading %s/trace_pipe: %m\n",
				w->inst.path);
			return -1;
		}
		if (!n)
			return 0;
		w->len += n;
		watch_lines(w);
	}
	return 0;
}

/*
 * Are our events still enabled? They pin the module, so it stays; but
 * someone may disable them by hand, and a forced unload (rmmod -f)
 * would remove them from tracefs.
 */
static bool events_lost(struct watch *w)
{
	int i, on;

	for (i = 0; i < NR_EVENTS; i++) {
		if (!(w->enabled & 1U << i))
			continue;
		on = mpx_instance_event_enabled(&w->inst, event_names[i]);
		if (on == 1)
			continue;
		if (on < 0) {
			fprintf(stderr, "mpxctl: %s is gone (mpx module forced out?)\n",
				event_names[i]);
			w->enabled = 0;	/* nothing left to disable */
		} else {
			fprintf(stderr, "mpxctl: %s is disabled (by someone else)\n",
				event_names[i]);
		}
		return true;
	}
	return false;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Until --count, --timeout or a signal; 0 or -1. */
static int watch_run(struct watch *w, const sigset_t *unblocked)
{
	struct pollfd pfd = { .fd = w->fd, .events = POLLIN };
	double end = w->timeout ? now() + w->timeout : 0, wait;
	struct timespec ts;

	while (!watch_signal && !w->stop) {
		wait = POLL_MAX_S;
		if (end && end - now() < wait)
			wait = end - now();
		if (wait <= 0)
			break;
		ts.tv_sec = (time_t)wait;
		ts.tv_nsec = (long)((wait - ts.tv_sec) * 1e9);
		if (ppoll(&pfd, 1, &ts, unblocked) < 0 && errno != EINTR) {
			perror("mpxctl: poll");
			return -1;
		}
		if (watch_read(w) || events_lost(w))
			return -1;
	}
	return 0;
}

/*
 * SIGINT, SIGTERM and SIGHUP end the watch. They stay blocked but while
 * ppoll() waits, so none can slip in between a check and the wait.
 */
static void watch_signals(sigset_t *unblocked)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;
	size_t i;

	sigemptyset(&block);
	for (i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
		sigaddset(&block, sigs[i]);
	sigprocmask(SIG_BLOCK, &block, unblocked);
	for (i = 0; i < sizeof(sigs) / sizeof(*sigs); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigdelset(unblocked, sigs[i]);
	}
	signal(SIGPIPE, SIG_IGN);
}

/**
 * cmd_watch() - mpxctl watch
 * @argc: arguments, "watch" first
 * @argv: their values
 *
 * Return: the exit status: 0, 1 on an error, 2 on a usage error.
 */
int cmd_watch(int argc, char **argv)
{
	static struct watch w;
	sigset_t unblocked;
	int ret;

	ret = watch_options(&w, argc, argv);
	if (ret)
		return ret == 1 ? 0 : ret;
	watch_signals(&unblocked);
	ret = watch_setup(&w);
	if (!ret)
		ret = watch_run(&w, &unblocked);
	if (watch_teardown(&w))
		ret = -1;
	return ret || w.failed ? 1 : 0;
}
