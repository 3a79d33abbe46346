// SPDX-License-Identifier: GPL-2.0
/*
 * mpxctl watch: print the events of the mpx module as they happen.
 *
 * Every watcher makes its own tracefs instance, instances/mpxctl-<pid>
 * (libtracefs), so that watchers (and trace-cmd, perf, ...) never share a
 * ring buffer, an event's enable or its filter. It enables the events asked
 * for there, with a filter for --pid and --key, and reads the instance's
 * per-CPU trace_pipe_raw files: the binary records, in timestamp order
 * across the CPUs as far as it can tell (it reads a page of a CPU at a
 * time), decoded by libtraceevent
 * from the events' format files (event.c). At the end (--count, --timeout,
 * SIGINT, SIGTERM, SIGHUP, a closed stdout) it disables the events and
 * removes the instance. Only SIGKILL leaves the instance behind; rmdir
 * removes it. While an mpx event is enabled the module is pinned:
 * unloading it is refused until the watcher ends. When someone disables
 * the watcher's events by hand (or they vanish, should the module be
 * forced out), the watcher says so and fails instead of waiting for
 * nothing.
 *
 * --pid filters on each event's "pid" field, not on the task that hit the
 * tracepoint: for mpx_key that is the key's owner, so that the "reclaimed"
 * events of a process come with it even when another task frees its keys;
 * mpx_remote matches the accessor (pid) or the process whose region it
 * tried to reach (target_pid).
 */
#define _GNU_SOURCE
#include <dirent.h>
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

#include <kbuffer.h>
#include <tracefs.h>

#include "event.h"
#include "mpx_tracefs.h"
#include "mpxctl.h"

#define NR_EVENTS	6
#define ENTER_EXIT	0x3U	/* the events of the kprobe pair */
#define PKEY_EVENT	0x10U
#define REMOTE_EVENT	0x20U
/* Every event but mpx_pkey; mpx_remote where the module has it. */
#define DEFAULT_EVENTS	(0xfU | REMOTE_EVENT)
/*
 * Wake at least this often, to see whether our events are still there and
 * to read even if a kernel's poll() on trace_pipe_raw waited for more data.
 */
#define POLL_MAX_S	1.0
/*
 * Pages a CPU's trace_pipe_raw gives in one round at most: then the watch
 * looks at its end conditions (and its events) again, even when the
 * records come in as fast as it reads them.
 */
#define ROUND_PAGES	16

/*
 * The commit word of a ring buffer page (a long after the 8-byte time
 * stamp, then the data): the bytes of data, and the flags the kernel adds
 * when events were lost before the page, with their count after the data
 * where it fitted (kernel/trace/ring_buffer.c). The mask is kbuffer's.
 */
#define RB_MISSED_EVENTS	(1ULL << 31)
#define RB_MISSED_STORED	(1ULL << 30)
#define RB_COMMIT_MASK		((1ULL << 27) - 1)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const event_names[NR_EVENTS] = {
	"mpx_enter", "mpx_exit", "mpx_key", "mpx_violation", "mpx_pkey",
	"mpx_remote",
};

/* The fields --pid matches: the process, or the target of mpx_remote. */
static const char *const pid_fields[] = { "pid", "target_pid" };

/* The records of one CPU: its trace_pipe_raw, a page of it, the next one. */
struct cpu_reader {
	int cpu;
	struct tracefs_cpu *tcpu;
	struct kbuffer *kbuf;
	void *page;
	bool empty;		/* trace_pipe_raw had nothing this round */
	int pages;		/* read this round */
	bool has;		/* rec is read and not yet handled */
	struct tep_record rec;
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
	double end;		/* now() when --timeout is up; 0: none */
	/* state */
	const char *root;	/* the tracefs mount */
	struct tracefs_instance *inst;	/* ours, once made */
	char path[PATH_MAX];	/* its directory */
	struct mpx_decoder dec;	/* the formats of the mpx events */
	int lsize;		/* the kernel's long: 4 or 8 bytes */
	bool big_endian;	/* the kernel's byte order */
	unsigned int enabled;	/* events enabled in it */
	int nslots;		/* cpus[] and pfds[] as allocated */
	int ncpus;		/* in use */
	struct cpu_reader *cpus;
	struct pollfd *pfds;	/* their trace_pipe_raw, for ppoll() */
	unsigned long seen;	/* events printed */
	bool stop;		/* --count reached, or stdout closed */
	bool failed;		/* an error after the setup */
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

/*
 * The tracefs mount, which libtracefs is to use too, and the mpx events
 * in it.
 */
static int find_tracefs(struct watch *w)
{
	char path[PATH_MAX];
	struct stat st;

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
	errno = 0;
	if (tracefs_set_tracing_dir((char *)w->root)) {
		fprintf(stderr, "mpxctl: libtracefs does not take %s%s%s\n",
			w->root, errno ? ": " : "", errno ? strerror(errno) : "");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/events/mpx", w->root);
	if (stat(path, &st)) {
		fprintf(stderr, "mpxctl: %s: %m%s\n", path, errno == ENOENT ?
			" (is the mpx module loaded?)" : "");
		return -1;
	}
	return 0;
}

/*
 * Our instance. A new one copies the global trace options: poll() must
 * wait for data (block off) and wake on any event (buffer_percent 0).
 * Options a kernel lacks are skipped.
 */
static int make_instance(struct watch *w)
{
	char name[32];

	snprintf(name, sizeof(name), "mpxctl-%d", (int)getpid());
	snprintf(w->path, sizeof(w->path), "%s/instances/%s", w->root, name);
	errno = EEXIST;
	if (!tracefs_instance_exists(name))
		w->inst = tracefs_instance_create(name);
	if (w->inst && !tracefs_instance_is_new(w->inst)) {
		tracefs_instance_free(w->inst);	/* someone else's */
		w->inst = NULL;
		errno = EEXIST;
	}
	if (!w->inst) {
		fprintf(stderr, "mpxctl: mkdir %s: %m%s\n", w->path,
			errno == EEXIST ? " (left by a killed watcher? rmdir it)" :
			errno == EACCES || errno == EPERM ?
			" (watching needs root)" : "");
		return -1;
	}
	if (tracefs_option_is_supported(w->inst, TRACEFS_OPTION_BLOCK) &&
	    tracefs_option_disable(w->inst, TRACEFS_OPTION_BLOCK))
		fprintf(stderr, "mpxctl: warning: writing 0 to %s/options/block: %m\n",
			w->path);
	if (tracefs_file_exists(w->inst, "buffer_percent") &&
	    tracefs_instance_file_write(w->inst, "buffer_percent", "0") != 1)
		fprintf(stderr, "mpxctl: warning: %s/buffer_percent: %m (events may be late)\n",
			w->path);
	return 0;
}

/*
 * The formats of the mpx events. Events the user did not ask for by
 * name are left out where the module lacks them.
 */
static int load_formats(struct watch *w)
{
	int i;

	if (mpx_decoder_init(&w->dec, w->root, w->inst)) {
		fprintf(stderr, "mpxctl: reading the formats of %s/events/mpx: %m\n",
			w->root);
		return -1;
	}
	for (i = 0; i < NR_EVENTS && !w->asked; i++)
		if (!tep_find_event_by_name(w->dec.tep, "mpx", event_names[i]))
			w->events &= ~(1U << i);
	return 0;
}

/*
 * The filter of @event for --pid (any of its pid_fields) and --key into
 * *@filter, NULL for none.
 */
static int make_filter(const struct watch *w, struct tep_event *event,
		       char **filter)
{
	bool first = true;
	char val[24];
	size_t i, n = 0;
	int r = 0;

	*filter = NULL;
	for (i = 0; w->pid >= 0 && i < ARRAY_SIZE(pid_fields); i++)
		n += !!tep_find_field(event, pid_fields[i]);
	if (w->pid >= 0 && !n) {
		fprintf(stderr, "mpxctl: %s has no pid field\n", event->name);
		return -1;
	}
	snprintf(val, sizeof(val), "%ld", w->pid);
	if (n > 1)
		r |= tracefs_filter_string_append(event, filter,
				TRACEFS_FILTER_OPEN_PAREN, NULL, 0, NULL);
	for (i = 0; n && i < ARRAY_SIZE(pid_fields); i++) {
		if (!tep_find_field(event, pid_fields[i]))
			continue;
		if (!first)
			r |= tracefs_filter_string_append(event, filter,
					TRACEFS_FILTER_OR, NULL, 0, NULL);
		r |= tracefs_filter_string_append(event, filter,
				TRACEFS_FILTER_COMPARE, pid_fields[i],
				TRACEFS_COMPARE_EQ, val);
		first = false;
	}
	if (n > 1)
		r |= tracefs_filter_string_append(event, filter,
				TRACEFS_FILTER_CLOSE_PAREN, NULL, 0, NULL);
	if (w->key >= 0) {
		snprintf(val, sizeof(val), "%lld", w->key);
		if (*filter)
			r |= tracefs_filter_string_append(event, filter,
					TRACEFS_FILTER_AND, NULL, 0, NULL);
		r |= tracefs_filter_string_append(event, filter,
				TRACEFS_FILTER_COMPARE, "key",
				TRACEFS_COMPARE_EQ, val);
	}
	if (!r)
		return 0;
	fprintf(stderr, "mpxctl: no --pid/--key filter for %s\n", event->name);
	free(*filter);
	*filter = NULL;
	return -1;
}

static int enable_event(struct watch *w, int i)
{
	struct tep_event *event;
	char *filter;
	int ret = 0;

	event = tep_find_event_by_name(w->dec.tep, "mpx", event_names[i]);
	if (!event) {
		fprintf(stderr, "mpxctl: this mpx module has no %s event\n",
			event_names[i]);
		return -1;
	}
	if (make_filter(w, event, &filter))
		return -1;
	if (filter && tracefs_event_filter_apply(w->inst, event, filter) < 0) {
		fprintf(stderr, "mpxctl: writing '%s' to %s/events/mpx/%s/filter: %m\n",
			filter, w->path, event_names[i]);
		ret = -1;
	}
	free(filter);
	if (ret)
		return -1;
	if (tracefs_event_enable(w->inst, "mpx", event_names[i])) {
		fprintf(stderr, "mpxctl: enabling %s in %s: %m\n",
			event_names[i], w->path);
		return -1;
	}
	w->enabled |= 1U << i;
	return 0;
}

static int enable_events(struct watch *w)
{
	int i;

	for (i = 0; i < NR_EVENTS; i++)
		if (w->events & 1U << i && enable_event(w, i))
			return -1;
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/*
 * The CPUs that our instance has a per_cpu/cpuN directory for (the
 * possible ones, not just those configured or online now), in order, into
 * *@cpus; how many, or -1.
 */
static int list_cpus(const struct watch *w, int **cpus)
{
	char dir[PATH_MAX + 16], *end;
	int n = 0, max = 0, *more;
	struct dirent *de;
	long cpu;
	DIR *d;

	*cpus = NULL;
	snprintf(dir, sizeof(dir), "%s/per_cpu", w->path);
	d = opendir(dir);
	if (!d)
		goto fail;
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		if (strncmp(de->d_name, "cpu", 3))
			continue;
		cpu = strtol(de->d_name + 3, &end, 10);
		if (end == de->d_name + 3 || *end || cpu < 0 || cpu > INT_MAX)
			continue;
		if (n == max) {
			max = max ? 2 * max : 64;
			more = realloc(*cpus, max * sizeof(**cpus));
			if (!more)
				break;
			*cpus = more;
		}
		(*cpus)[n++] = cpu;
	}
	if (errno)
		goto fail;
	closedir(d);
	if (!n) {
		fprintf(stderr, "mpxctl: %s: no cpuN directory\n", dir);
		return -1;
	}
	qsort(*cpus, n, sizeof(**cpus), cmp_int);
	return n;
fail:
	fprintf(stderr, "mpxctl: %s: %m\n", dir);
	if (d)
		closedir(d);
	free(*cpus);
	*cpus = NULL;
	return -1;
}

/* A reader for each CPU that has a trace_pipe_raw in our instance. */
static int open_readers(struct watch *w)
{
	int i, fd, n, *cpus, size = tep_get_sub_buffer_size(w->dec.tep);
	enum kbuffer_long_size lsize;
	enum kbuffer_endian endian;
	struct cpu_reader *c;
	char rel[64];

	w->lsize = tep_get_header_page_size(w->dec.tep) == 8 ? 8 : 4;
	w->big_endian = tep_is_file_bigendian(w->dec.tep);
	lsize = w->lsize == 8 ? KBUFFER_LSIZE_8 : KBUFFER_LSIZE_4;
	endian = w->big_endian ? KBUFFER_ENDIAN_BIG : KBUFFER_ENDIAN_LITTLE;
	if (size <= w->lsize + 8) {
		fprintf(stderr, "mpxctl: %s/events/header_page: no page size\n",
			w->path);
		return -1;
	}
	n = list_cpus(w, &cpus);
	if (n < 0)
		return -1;
	w->cpus = calloc(n, sizeof(*w->cpus));
	w->pfds = calloc(n, sizeof(*w->pfds));
	if (!w->cpus || !w->pfds) {
		perror("mpxctl: readers");
		free(cpus);
		return -1;
	}
	w->nslots = n;
	for (i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "per_cpu/cpu%d/trace_pipe_raw",
			 cpus[i]);
		fd = tracefs_instance_file_open(w->inst, rel,
						O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue;	/* no buffer for this CPU */
		c = &w->cpus[w->ncpus];
		c->cpu = cpus[i];
		if (fd >= 0) {
			c->tcpu = tracefs_cpu_alloc_fd(fd, size, true);
			if (!c->tcpu)
				close(fd);
		}
		if (c->tcpu) {
			c->kbuf = kbuffer_alloc(lsize, endian);
			c->page = malloc(size);
		}
		if (!c->tcpu || !c->kbuf || !c->page) {
			fprintf(stderr, "mpxctl: %s/%s: %m\n", w->path, rel);
			free(cpus);
			return -1;
		}
		w->pfds[w->ncpus].fd = fd;
		w->pfds[w->ncpus].events = POLLIN;
		w->ncpus++;
	}
	free(cpus);
	if (!w->ncpus) {
		fprintf(stderr, "mpxctl: %s/per_cpu: no trace_pipe_raw\n",
			w->path);
		return -1;
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
	/* Errors are ours to report, once. */
	tracefs_set_loglevel(TEP_LOG_NONE);
	tep_set_loglevel(TEP_LOG_NONE);
	if (find_tracefs(w) || make_instance(w) || load_formats(w) ||
	    enable_events(w) || open_readers(w))
		return -1;
	check_probes(w);
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "mpxctl: watching in %s; Ctrl-C stops\n",
			w->path);
	return 0;
}

/* Disable what was enabled and remove the instance; 0 or -1. */
static int watch_teardown(struct watch *w)
{
	struct cpu_reader *c;
	int i, ret = 0;

	for (i = 0; i < NR_EVENTS; i++) {
		if (w->enabled & 1U << i &&
		    tracefs_event_disable(w->inst, "mpx", event_names[i])) {
			fprintf(stderr, "mpxctl: disabling %s in %s: %m\n",
				event_names[i], w->path);
			ret = -1;
		}
	}
	for (c = w->cpus; c && c < w->cpus + w->nslots; c++) {
		tracefs_cpu_close(c->tcpu);
		kbuffer_free(c->kbuf);
		free(c->page);
	}
	free(w->cpus);
	free(w->pfds);
	mpx_decoder_free(&w->dec);
	if (w->inst && tracefs_instance_destroy(w->inst)) {
		fprintf(stderr, "mpxctl: rmdir %s: %m\n", w->path);
		ret = -1;
	}
	tracefs_instance_free(w->inst);
	return ret;
}

/* Is @pid the event's pid, or for mpx_remote its target_pid? */
static bool pid_matches(const struct mpx_event *ev, long pid)
{
	const struct mpx_field *f;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pid_fields); i++) {
		f = mpx_event_field(ev, pid_fields[i]);
		if (f && f->kind == MPX_F_INT && f->i == pid)
			return true;
	}
	return false;
}

static void watch_record(struct watch *w, struct tep_record *rec)
{
	const struct mpx_field *f;
	struct mpx_event ev;

	if (mpx_event_decode(&w->dec, rec, &ev))
		return;
	/* The kernel filtered already; this guards the output anyway. */
	if (w->pid >= 0 && !pid_matches(&ev, w->pid))
		return;
	f = mpx_event_field(&ev, "key");
	if (w->key >= 0 && (!f || f->u != (unsigned long long)w->key))
		return;
	if (mpx_event_print(stdout, &ev, w->json)) {
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

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Is a signal that ends the watch waiting (they are blocked here)? */
static bool stop_pending(void)
{
	sigset_t set;

	return !sigpending(&set) && (sigismember(&set, SIGINT) == 1 ||
				     sigismember(&set, SIGTERM) == 1 ||
				     sigismember(&set, SIGHUP) == 1);
}

/*
 * Is the watch over: --count reached, stdout closed, a signal caught (in
 * ppoll(), where they are unblocked) or waiting, or --timeout up?
 */
static bool must_stop(const struct watch *w)
{
	return w->stop || watch_signal || stop_pending() ||
	       (w->end && now() >= w->end);
}

/* The word of @size bytes at @p, in the kernel's byte order. */
static unsigned long long page_word(const struct watch *w,
				    const unsigned char *p, int size)
{
	unsigned long long v = 0;
	int i;

	for (i = 0; i < size; i++)
		v |= (unsigned long long)p[w->big_endian ? size - 1 - i : i] <<
		     (8 * i);
	return v;
}

/*
 * Check the page of @n bytes that @c read, load it and tell the events
 * lost before it; 0, or -1 when it is not a whole page. The commit word
 * is read here: kbuffer_missed_events() tells only while the first record
 * is the current one, and kbuffer_load_subbuffer() has moved past a time
 * stamp or padding that starts the page.
 */
static int load_page(struct watch *w, struct cpu_reader *c, int n)
{
	const unsigned char *p = c->page;
	unsigned long long commit = 0, size = 0, room;
	int head = 8 + w->lsize;

	if (n < head)
		goto bad;
	room = n - head;
	commit = page_word(w, p + 8, w->lsize);
	size = commit & RB_COMMIT_MASK;
	if (size > room ||
	    (commit & RB_MISSED_STORED && size + w->lsize > room) ||
	    kbuffer_load_subbuffer(c->kbuf, c->page) ||
	    (unsigned int)kbuffer_subbuffer_size(c->kbuf) > room)
		goto bad;
	if (commit & RB_MISSED_STORED && commit & RB_MISSED_EVENTS)
		fprintf(stderr, "mpxctl: cpu %d lost %llu events (buffer overrun)\n",
			c->cpu, page_word(w, p + head + size, w->lsize));
	else if (commit & RB_MISSED_EVENTS)
		fprintf(stderr, "mpxctl: cpu %d lost events (buffer overrun)\n",
			c->cpu);
	return 0;
bad:
	fprintf(stderr, "mpxctl: cpu %d: no whole page in trace_pipe_raw (%d bytes, %llu data)\n",
		c->cpu, n, size);
	return -1;
}

/*
 * The next record of @c into c->rec, reading a page of its trace_pipe_raw
 * when the last one is used up: 1, 0 when there is none for now (or the
 * watch is over), 2 when @c read ROUND_PAGES pages this round already,
 * -1 on an error.
 */
static int cpu_next(struct watch *w, struct cpu_reader *c)
{
	unsigned long long ts;
	void *data;
	int n;

	while (!c->has) {
		data = kbuffer_read_event(c->kbuf, &ts);
		if (data) {
			memset(&c->rec, 0, sizeof(c->rec));
			c->rec.ts = ts;
			c->rec.cpu = c->cpu;
			c->rec.data = data;
			c->rec.size = kbuffer_event_size(c->kbuf);
			c->rec.record_size = kbuffer_curr_size(c->kbuf);
			kbuffer_next_event(c->kbuf, NULL);
			c->has = true;
			break;
		}
		if (c->empty || must_stop(w))
			return 0;
		if (c->pages >= ROUND_PAGES)
			return 2;
		c->pages++;
		n = tracefs_cpu_read(c->tcpu, c->page, true);
		if (n < 0) {
			fprintf(stderr, "mpxctl: reading %s/per_cpu/cpu%d/trace_pipe_raw: %m\n",
				w->path, c->cpu);
			return -1;
		}
		if (!n) {
			c->empty = true;
			return 0;
		}
		if (load_page(w, c, n))
			return -1;
	}
	return 1;
}

/*
 * Print what the CPUs have, oldest record first, until they are empty, the
 * watch is over, or a CPU read ROUND_PAGES pages: 0, 1 when the round ended
 * with more to read (the records the CPUs hold wait for the next one, to
 * keep the order), or -1.
 */
static int watch_read(struct watch *w)
{
	struct cpu_reader *c, *first;
	int i, r;

	for (i = 0; i < w->ncpus; i++) {
		w->cpus[i].empty = false;
		w->cpus[i].pages = 0;
	}
	w->dec.cmdlines_fresh = false;	/* as the kernel's, when needed */
	while (!must_stop(w)) {
		first = NULL;
		for (i = 0; i < w->ncpus; i++) {
			c = &w->cpus[i];
			r = cpu_next(w, c);
			if (r < 0 || r == 2)
				return r < 0 ? -1 : 1;
			if (r && (!first || c->rec.ts < first->rec.ts))
				first = c;
		}
		if (!first)
			break;
		watch_record(w, &first->rec);
		first->has = false;
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
	char *val;
	bool on;
	int i;

	for (i = 0; i < NR_EVENTS; i++) {
		if (!(w->enabled & 1U << i))
			continue;
		val = tracefs_event_file_read(w->inst, "mpx", event_names[i],
					      "enable", NULL);
		on = val && val[0] == '1';
		free(val);
		if (on)
			continue;
		if (!val) {
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

/*
 * Until --count, --timeout or a signal; 0 or -1. After a round that left
 * records to read, ppoll() does not wait: it only takes the signals.
 */
static int watch_run(struct watch *w, const sigset_t *unblocked)
{
	struct timespec ts;
	double wait;
	int more = 0;

	w->end = w->timeout ? now() + w->timeout : 0;
	while (!must_stop(w)) {
		wait = more ? 0 : POLL_MAX_S;
		if (w->end && w->end - now() < wait)
			wait = w->end - now();
		if (wait < 0)
			wait = 0;
		ts.tv_sec = (time_t)wait;
		ts.tv_nsec = (long)((wait - ts.tv_sec) * 1e9);
		if (ppoll(w->pfds, w->ncpus, &ts, unblocked) < 0 &&
		    errno != EINTR) {
			perror("mpxctl: poll");
			return -1;
		}
		more = watch_read(w);
		if (more < 0 || events_lost(w))
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
