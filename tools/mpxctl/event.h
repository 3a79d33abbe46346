/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mpxctl: one line of an mpx tracepoint, as tracefs prints it, parsed
 * into a struct mpx_event and printed as text or JSON (event.c). watch.c
 * reads the lines from trace_pipe, demo.c from an instance's trace.
 */
#ifndef MPXCTL_EVENT_H
#define MPXCTL_EVENT_H

#include <stdbool.h>
#include <stdio.h>

#define MPX_EVENT_FIELDS	12

enum mpx_field_kind {
	MPX_F_INT,	/* signed decimal */
	MPX_F_UINT,	/* unsigned decimal */
	MPX_F_HEX,	/* unsigned, printed 0x... by the kernel */
	MPX_F_NSEC,	/* unsigned, nanoseconds ("...ns") */
	MPX_F_STR,	/* string: comm, op, source, error, access, path */
	MPX_F_WORD,	/* bare word without name= (mpx_key's action) */
};

struct mpx_field {
	const char *name;
	enum mpx_field_kind kind;
	long long i;		/* MPX_F_INT */
	unsigned long long u;	/* MPX_F_UINT, MPX_F_HEX, MPX_F_NSEC */
	const char *s;		/* MPX_F_STR, MPX_F_WORD */
};

/* One event; the strings point into the parsed line. */
struct mpx_event {
	const char *name;	/* "mpx_enter", "mpx_exit", ... */
	const char *time;	/* seconds, as ftrace printed them */
	int cpu;		/* -1 when the header had none */
	const char *task;	/* the header's comm, or NULL */
	long task_pid;		/* the header's pid (a thread id), or -1 */
	int nr;
	struct mpx_field f[MPX_EVENT_FIELDS];
};

enum mpx_parse {
	MPX_PARSE_OK,		/* an mpx event */
	MPX_PARSE_NONE,		/* not an mpx event line */
	MPX_PARSE_PARTIAL,	/* an mpx event whose fields do not parse */
};

enum mpx_parse mpx_event_parse(char *line, struct mpx_event *ev);
const struct mpx_field *mpx_event_field(const struct mpx_event *ev,
					const char *name);
int mpx_event_print(FILE *out, const struct mpx_event *ev, bool json);

#endif /* MPXCTL_EVENT_H */
