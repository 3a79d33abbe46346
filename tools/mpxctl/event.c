// SPDX-License-Identifier: GPL-2.0
/*
 * mpxctl: parse and print one line of a tracefs trace or trace_pipe.
 *
 * A line is the standard ftrace header, then the event's TP_printk text
 * (include/mpx_trace.h):
 *
 *   comm-tid [cpu] flags timestamp: mpx_key: pid=104 key=1 created ...
 *
 * The event is found as " <timestamp>: mpx_<name>: "; a task name is at
 * most 15 bytes, too short to fake that. The only free text in the fields
 * is comm=, so the fields before it are taken from the left and those after
 * it from the right, and comm is what is left, spaces included. A comm with
 * a newline splits the line: the caller joins the next line to a
 * MPX_PARSE_PARTIAL one and parses again.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

/*
 * Field types: d signed, u unsigned, x hex (0x...), n nanoseconds (...ns),
 * w a word, a a bare word (no name=), s the free text, r the return value
 * with its errno name when negative.
 */
struct mpx_fspec {
	const char *name;
	char type;
};

struct mpx_evspec {
	const char *name;
	const struct mpx_fspec *fields;
};

static const struct mpx_fspec mpx_enter_fields[] = {
	{ "pid", 'd' }, { "tid", 'd' }, { "comm", 's' }, { "op", 'w' },
	{ "addr", 'x' }, { "len", 'd' }, { "key", 'u' }, { NULL, 0 }
};

static const struct mpx_fspec mpx_exit_fields[] = {
	{ "pid", 'd' }, { "tid", 'd' }, { "comm", 's' }, { "op", 'w' },
	{ "key", 'u' }, { "ret", 'r' }, { "latency", 'n' }, { NULL, 0 }
};

static const struct mpx_fspec mpx_key_fields[] = {
	{ "pid", 'd' }, { "key", 'u' }, { "action", 'a' }, { "addr", 'x' },
	{ "len", 'd' }, { "bnd", 'd' }, { NULL, 0 }
};

static const struct mpx_fspec mpx_violation_fields[] = {
	{ "pid", 'd' }, { "tid", 'd' }, { "comm", 's' }, { "key", 'u' },
	{ "addr", 'x' }, { "lower", 'x' }, { "upper", 'x' },
	{ "source", 'w' }, { NULL, 0 }
};

static const struct mpx_fspec mpx_pkey_fields[] = {
	{ "pid", 'd' }, { "tid", 'd' }, { "comm", 's' }, { "call", 'w' },
	{ "pkey", 'd' }, { "addr", 'x' }, { "len", 'u' }, { "prot", 'x' },
	{ "flags", 'x' }, { "ret", 'd' }, { NULL, 0 }
};

/* comm is the accessor's; access is read or write, denied 1 or 0. */
static const struct mpx_fspec mpx_remote_fields[] = {
	{ "pid", 'd' }, { "tid", 'd' }, { "comm", 's' }, { "target_pid", 'd' },
	{ "key", 'u' }, { "addr", 'x' }, { "len", 'u' }, { "access", 'w' },
	{ "path", 'w' }, { "denied", 'u' }, { NULL, 0 }
};

static const struct mpx_evspec mpx_events[] = {
	{ "mpx_enter", mpx_enter_fields },
	{ "mpx_exit", mpx_exit_fields },
	{ "mpx_key", mpx_key_fields },
	{ "mpx_violation", mpx_violation_fields },
	{ "mpx_pkey", mpx_pkey_fields },
	{ "mpx_remote", mpx_remote_fields },
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* The unparsed text [l, r); *r is always '\0'. */
struct cursor {
	char *l;
	char *r;
};

static char *take_left(struct cursor *c)
{
	char *t = c->l, *sp;

	if (c->l >= c->r)
		return NULL;
	sp = strchr(c->l, ' ');
	if (sp) {
		*sp = '\0';
		c->l = sp + 1;
	} else {
		c->l = c->r;
	}
	return t;
}

static char *take_right(struct cursor *c)
{
	char *sp;

	if (c->l >= c->r)
		return NULL;
	sp = memrchr(c->l, ' ', c->r - c->l);
	if (!sp) {
		c->r = c->l;
		return c->l;
	}
	*sp = '\0';
	c->r = sp;
	return sp + 1;
}

static bool all_digits(const char *s, const char *end)
{
	if (s == end)
		return false;
	for (; s < end; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Parse the value @v of a field of type @type into @f. */
static int parse_value(const char *v, char type, struct mpx_field *f)
{
	const char *p = v;
	char *end;

	switch (type) {
	case 'd':
		if (*p == '-')
			p++;
		if (!all_digits(p, p + strlen(p)))
			return -1;
		f->kind = MPX_F_INT;
		f->i = strtoll(v, NULL, 10);
		return 0;
	case 'u':
	case 'n':
		end = strchr(v, '\0');
		if (type == 'n') {
			if (end - v < 3 || strcmp(end - 2, "ns"))
				return -1;
			end -= 2;
		}
		if (!all_digits(v, end))
			return -1;
		f->kind = type == 'n' ? MPX_F_NSEC : MPX_F_UINT;
		f->u = strtoull(v, NULL, 10);
		return 0;
	case 'x':
		if (strncmp(v, "0x", 2) || !v[2])
			return -1;
		errno = 0;
		f->u = strtoull(v + 2, &end, 16);
		if (*end || errno)
			return -1;
		f->kind = MPX_F_HEX;
		return 0;
	case 'w':
	case 's':
		if (type == 'w' && !*v)
			return -1;
		f->kind = MPX_F_STR;
		f->s = v;
		return 0;
	}
	return -1;
}

/* Parse the token @t ("name=value", or a bare word) as the field @fs. */
static int parse_field(char *t, const struct mpx_fspec *fs,
		       struct mpx_field *f)
{
	size_t n = strlen(fs->name);

	if (!t)
		return -1;
	f->name = fs->name;
	if (fs->type == 'a') {
		if (!*t || strchr(t, '='))
			return -1;
		f->kind = MPX_F_WORD;
		f->s = t;
		return 0;
	}
	if (strncmp(t, fs->name, n) || t[n] != '=')
		return -1;
	return parse_value(t + n + 1, fs->type, f);
}

/*
 * "ret=N" or "ret=-N ENAME", from the right: into @f the fields "error"
 * (only for a negative return), then "ret".
 */
static int parse_ret(struct cursor *c, struct mpx_field *f, int *nr)
{
	static const struct mpx_fspec ret = { "ret", 'd' };
	char *t = take_right(c), *err = NULL;

	if (t && !strchr(t, '=')) {
		err = t;
		t = take_right(c);
	}
	if (parse_field(t, &ret, &f[1]))
		return -1;
	if (!err) {
		f[0] = f[1];
		*nr += 1;
		return 0;
	}
	/* An errno the kernel has no name for shows as hex. */
	if (!strncmp(err, "0x", 2) && f[1].i < 0 && strerrorname_np(-f[1].i))
		err = (char *)strerrorname_np(-f[1].i);
	f[0].name = "error";
	f[0].kind = MPX_F_STR;
	f[0].s = err;
	*nr += 2;
	return 0;
}

/* The fields after the free text, taken from the right, into @tail. */
static int parse_tail(struct cursor *c, const struct mpx_fspec *first,
		      const struct mpx_fspec *last, struct mpx_field *tail,
		      int *nt)
{
	const struct mpx_fspec *fs;

	for (fs = last; fs > first; fs--) {
		if (fs->type == 'r') {
			if (parse_ret(c, &tail[*nt], nt))
				return -1;
		} else if (parse_field(take_right(c), fs, &tail[(*nt)++])) {
			return -1;
		}
	}
	return 0;
}

static int parse_body(char *body, const struct mpx_fspec *fs,
		      struct mpx_event *ev)
{
	struct cursor c = { body, body + strlen(body) };
	struct mpx_field tail[MPX_EVENT_FIELDS];
	const struct mpx_fspec *last;
	int nt = 0;

	for (; fs->name && fs->type != 's'; fs++)
		if (parse_field(take_left(&c), fs, &ev->f[ev->nr++]))
			return -1;
	if (!fs->name)
		return c.l < c.r ? -1 : 0;
	for (last = fs; last[1].name; last++)
		;
	if (parse_tail(&c, fs, last, tail, &nt))
		return -1;
	/* What is left is "comm=...", spaces and all. */
	if (c.l >= c.r || parse_field(c.l, fs, &ev->f[ev->nr++]))
		return -1;
	while (nt)
		ev->f[ev->nr++] = tail[--nt];
	return 0;
}

/*
 * The ftrace header before the timestamp: "comm-pid [cpu] flags", maybe
 * with a "(tgid)" column. Best effort: cpu and task stay unknown when it
 * has another form.
 */
static void parse_header(char *line, char *end, struct mpx_event *ev)
{
	char *open = NULL, *p, *dash;

	for (p = line; p < end; p++)
		if (*p == '[')
			open = p;
	if (!open)
		return;
	p = strchr(open, ']');
	if (!p || p > end || !all_digits(open + 1, p))
		return;
	ev->cpu = atoi(open + 1);
	for (end = open; end > line && end[-1] == ' '; end--)
		;
	if (end > line && end[-1] == ')') {
		p = memrchr(line, '(', end - line);
		if (!p)
			return;
		for (end = p; end > line && end[-1] == ' '; end--)
			;
	}
	dash = memrchr(line, '-', end - line);
	if (!dash || !all_digits(dash + 1, end))
		return;
	*end = '\0';
	ev->task_pid = atol(dash + 1);
	*dash = '\0';
	for (p = line; *p == ' '; p++)
		;
	ev->task = p;
}

/* Is [s, end) a timestamp (digits, maybe a fraction) starting a token? */
static bool is_timestamp(const char *line, const char *s, const char *end)
{
	const char *dot = memchr(s, '.', end - s);

	if (s > line && s[-1] != ' ')
		return false;
	if (!dot)
		return all_digits(s, end);
	return all_digits(s, dot) && all_digits(dot + 1, end);
}

/* Find "<timestamp>: mpx_<name>: " and return its event, or NULL. */
static const struct mpx_evspec *find_event(char *line, struct mpx_event *ev,
					   char **body)
{
	char *p, *ts;
	size_t i, n;

	for (p = strstr(line, ": mpx_"); p; p = strstr(p + 2, ": mpx_")) {
		for (ts = p; ts > line && (isdigit((unsigned char)ts[-1]) ||
					   ts[-1] == '.'); ts--)
			;
		if (!is_timestamp(line, ts, p))
			continue;
		for (i = 0; i < ARRAY_SIZE(mpx_events); i++) {
			n = strlen(mpx_events[i].name);
			if (strncmp(p + 2, mpx_events[i].name, n) ||
			    strncmp(p + 2 + n, ": ", 2))
				continue;
			*p = '\0';
			ev->name = mpx_events[i].name;
			ev->time = ts;
			*body = p + 2 + n + 2;
			parse_header(line, ts, ev);
			return &mpx_events[i];
		}
	}
	return NULL;
}

/**
 * mpx_event_parse() - parse one trace_pipe line (without its newline)
 * @line: the line; changed in place, @ev points into it
 * @ev: the result
 *
 * Return: MPX_PARSE_OK, MPX_PARSE_NONE for a line that is no mpx event,
 * MPX_PARSE_PARTIAL for an mpx event whose fields do not parse.
 */
enum mpx_parse mpx_event_parse(char *line, struct mpx_event *ev)
{
	const struct mpx_evspec *spec;
	char *body;

	memset(ev, 0, sizeof(*ev));
	ev->cpu = -1;
	ev->task_pid = -1;
	spec = find_event(line, ev, &body);
	if (!spec)
		return MPX_PARSE_NONE;
	if (parse_body(body, spec->fields, ev))
		return MPX_PARSE_PARTIAL;
	return MPX_PARSE_OK;
}

/* The field @name of @ev, or NULL. */
const struct mpx_field *mpx_event_field(const struct mpx_event *ev,
					const char *name)
{
	int i;

	for (i = 0; i < ev->nr; i++)
		if (!strcmp(ev->f[i].name, name))
			return &ev->f[i];
	return NULL;
}

/*
 * A JSON string: control characters and bytes >= 0x7f as \u00XX, so that
 * every line is valid (ASCII) JSON whatever a task's name holds.
 */
static void print_json_string(FILE *out, const char *s)
{
	unsigned char c;

	fputc('"', out);
	for (; (c = *s); s++) {
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* A readable string: quoted, C escapes, when it is not a plain word. */
static void print_text_string(FILE *out, const char *s)
{
	const char *p;
	unsigned char c;

	for (p = s; *p; p++)
		if (!isgraph((unsigned char)*p) || *p == '"' || *p == '\\')
			break;
	if (*s && !*p) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; (c = *s); s++) {
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (!isprint(c))
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void print_json(FILE *out, const struct mpx_event *ev)
{
	const struct mpx_field *f;
	int i;

	fprintf(out, "{\"event\":\"%s\",\"time\":%s", ev->name, ev->time);
	if (ev->cpu >= 0)
		fprintf(out, ",\"cpu\":%d", ev->cpu);
	if (ev->task) {
		fputs(",\"task_comm\":", out);
		print_json_string(out, ev->task);
		fprintf(out, ",\"task_pid\":%ld", ev->task_pid);
	}
	for (i = 0; i < ev->nr; i++) {
		f = &ev->f[i];
		fprintf(out, ",\"%s\":", f->name);
		if (f->kind == MPX_F_INT)
			fprintf(out, "%lld", f->i);
		else if (f->kind == MPX_F_STR || f->kind == MPX_F_WORD)
			print_json_string(out, f->s);
		else
			fprintf(out, "%llu", f->u);
	}
	fputs("}\n", out);
}

static void print_text(FILE *out, const struct mpx_event *ev)
{
	const struct mpx_field *f;
	int i;

	fprintf(out, "%14s %-13s", ev->time, ev->name);
	for (i = 0; i < ev->nr; i++) {
		f = &ev->f[i];
		if (f->kind == MPX_F_WORD) {
			fprintf(out, " %s", f->s);
			continue;
		}
		fprintf(out, " %s=", f->name);
		switch (f->kind) {
		case MPX_F_INT:
			fprintf(out, "%lld", f->i);
			break;
		case MPX_F_UINT:
			fprintf(out, "%llu", f->u);
			break;
		case MPX_F_HEX:
			fprintf(out, "0x%llx", f->u);
			break;
		case MPX_F_NSEC:
			fprintf(out, "%lluns", f->u);
			break;
		default:
			print_text_string(out, f->s);
		}
	}
	fputc('\n', out);
}

/**
 * mpx_event_print() - print one event as a line of text or of JSON
 * @out: where
 * @ev: the event
 * @json: a JSON object instead of text
 *
 * Return: 0, or -1 with errno set when @out failed.
 */
int mpx_event_print(FILE *out, const struct mpx_event *ev, bool json)
{
	if (json)
		print_json(out, ev);
	else
		print_text(out, ev);
	return fflush(out) || ferror(out) ? -1 : 0;
}
