/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mpxctl: one record of an mpx tracepoint, decoded with libtraceevent into
 * a struct mpx_event and printed as text or JSON (event.c). The fields, their
 * names and how each is printed come from the event's format file in
 * tracefs, at run time. watch.c reads the records from the per-CPU
 * trace_pipe_raw files of its instance, demo.c with
 * tracefs_iterate_raw_events().
 */
#ifndef MPXCTL_EVENT_H
#define MPXCTL_EVENT_H

#include <stdbool.h>
#include <stdio.h>

#include <event-parse.h>

struct tracefs_instance;

#define MPX_EVENT_FIELDS	16

enum mpx_field_kind {
	MPX_F_INT,	/* signed decimal */
	MPX_F_UINT,	/* unsigned decimal */
	MPX_F_HEX,	/* unsigned, hexadecimal in text */
	MPX_F_STR,	/* string: comm, op, source, error, access, path */
};

struct mpx_field {
	const char *name;
	enum mpx_field_kind kind;
	bool bare;		/* text: the value alone, without name= */
	const char *prefix;	/* text: before the value ("0x"), or "" */
	const char *unit;	/* text: after the value ("ns"), or "" */
	long long i;		/* MPX_F_INT */
	unsigned long long u;	/* MPX_F_UINT, MPX_F_HEX */
	const char *s;		/* MPX_F_STR */
};

/* One event; its strings point into the tep handle, the record or strs. */
struct mpx_event {
	const char *name;	/* "mpx_enter", "mpx_exit", ... */
	char time[32];		/* seconds, as ftrace prints them */
	int cpu;
	const char *task;	/* the task that hit the tracepoint */
	long task_pid;		/* its pid (a thread id) */
	int nr;
	struct mpx_field f[MPX_EVENT_FIELDS];
	size_t used;		/* bytes of strs in use */
	char strs[512];
};

/* The mpx events of a tracefs mount, and what decoding them needs. */
struct mpx_decoder {
	struct tep_handle *tep;
	bool time_in_ns;	/* the trace clock counts nanoseconds */
	/*
	 * Task names are read from saved_cmdlines once while this is set;
	 * clear it to read them again (watch does for each batch of events).
	 */
	bool cmdlines_fresh;
};

/*
 * Read the formats of the mpx events from the tracefs mount @root, and
 * the page header and trace clock of @instance's ring buffer (NULL: the
 * top one); 0, or -1 with errno set.
 */
int mpx_decoder_init(struct mpx_decoder *d, const char *root,
		     struct tracefs_instance *instance);
void mpx_decoder_free(struct mpx_decoder *d);

/* Decode @rec; 0, or -1 when it is no event of the mpx system. */
int mpx_event_decode(struct mpx_decoder *d, struct tep_record *rec,
		     struct mpx_event *ev);
const struct mpx_field *mpx_event_field(const struct mpx_event *ev,
					const char *name);
int mpx_event_print(FILE *out, const struct mpx_event *ev, bool json);

#endif /* MPXCTL_EVENT_H */
