// SPDX-License-Identifier: GPL-2.0
/*
 * mpxctl: decode and print one record of an mpx tracepoint.
 *
 * libtraceevent parses each event's format file: its fields, and its print
 * fmt, the TP_printk() of include/mpx_trace.h as the kernel exports it
 * (enum names resolved, thanks to TRACE_DEFINE_ENUM()). The print fmt says
 * what mpxctl shows, in which order and under which name: each conversion
 * of its format string is one field,
 *
 *   "pid=%d tid=%d"       the fields "pid" and "tid", signed decimal
 *   "key=%u"              unsigned
 *   "addr=0x%lx"          hexadecimal in text, "0x" before the value
 *   "latency=%lluns"      "ns" after the value in text
 *   "key=%u %s addr=..."  a value without name= (mpx_key's action): a bare
 *                         word in text, named after the field it reads
 *   "ret=%ld%s%s"         values glued to the one before (mpx_exit's errno
 *                         name): a field of their own, named after the
 *                         field they read; blank ones are left out
 *
 * and the conversion's argument says where its value comes from: a field of
 * the record, __print_symbolic() of one, "cond ? a : b", a literal. Text
 * shows name=value as the kernel would, JSON the same names with numbers as
 * numbers. A print fmt this cannot follow (another conversion,
 * __print_flags(), a cast, ...) shows the record's fields as they are,
 * name=value in the format's order.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <tracefs.h>

#include "event.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Output names that differ from their field's. The errno name that
 * mpx_exit glues to ret reads the field err; mpxctl(8) calls it error, and
 * an errno the kernel has no name for (printed 0x...) gets the C library's.
 */
static const struct {
	const char *field;
	const char *name;
	bool errno_name;
} renames[] = {
	{ "err", "error", true },
};

/* Trace clocks that do not count nanoseconds (ftrace prints them raw). */
static const char *const raw_clocks[] = {
	"counter", "uptime", "x86-tsc", "ppc-tb",
};

/* What a print fmt argument evaluates to. */
struct value {
	bool is_num;
	bool is_str;
	long long n;
	const char *s;
	const char *field;	/* the field it read, or NULL */
};

/* A conversion of the format string. */
struct conv {
	bool alt;		/* '#' */
	int bytes;		/* of the argument: 4 int, 8 long long, ... */
	char c;			/* d, i, u, x or s */
};

static int find_rename(const char *field)
{
	size_t i;

	for (i = 0; field && i < ARRAY_SIZE(renames); i++)
		if (!strcmp(renames[i].field, field))
			return i;
	return -1;
}

/* A copy of @s (@n bytes at most) in ev->strs; NULL when it is full. */
static const char *ev_strndup(struct mpx_event *ev, const char *s, size_t n)
{
	char *p;

	n = strnlen(s, n);
	if (ev->used + n + 1 > sizeof(ev->strs))
		return NULL;
	p = ev->strs + ev->used;
	memcpy(p, s, n);
	p[n] = '\0';
	ev->used += n + 1;
	return p;
}

/* @n as printf reads an argument of @bytes bytes, signed or not. */
static long long cast(long long n, int bytes, bool is_signed)
{
	int shift = 64 - 8 * bytes;
	unsigned long long u = (unsigned long long)n << shift;

	if (bytes >= 8)
		return n;
	return is_signed ? (long long)u >> shift : (long long)(u >> shift);
}

/* The field @name of the record, as a number or a string. */
static int read_field(struct tep_event *event, struct tep_record *rec,
		      const char *name, struct mpx_event *ev, struct value *v)
{
	struct tep_format_field *f = tep_find_any_field(event, name);
	unsigned long long u;
	const char *raw;
	int len;

	/*
	 * Within the record: the value, or for a dynamic field (__data_loc)
	 * the word of its offset and length, which is read first.
	 */
	if (!f || f->offset < 0 || f->size < 0 || rec->size < 0 ||
	    (unsigned int)f->offset + f->size > (unsigned int)rec->size)
		return -1;
	v->field = f->name;
	if (f->flags & TEP_FIELD_IS_STRING) {
		raw = tep_get_field_raw(NULL, event, f->name, rec, &len, 0);
		if (!raw || len < 0 || raw + len > (char *)rec->data + rec->size)
			return -1;
		v->s = ev_strndup(ev, raw, len);
		v->is_str = v->s != NULL;
		return v->is_str ? 0 : -1;
	}
	if (f->flags & TEP_FIELD_IS_ARRAY || f->size < 1 || f->size > 8 ||
	    tep_read_number_field(f, rec->data, &u))
		return -1;
	v->is_num = true;
	v->n = cast(u, f->size, f->flags & TEP_FIELD_IS_SIGNED);
	return 0;
}

static int eval(struct tep_event *event, struct tep_record *rec,
		struct tep_print_arg *arg, struct mpx_event *ev,
		struct value *v);

/* __print_symbolic(): the name of the value, or 0x... as the kernel. */
static int eval_symbol(struct tep_event *event, struct tep_record *rec,
		       struct tep_print_arg *arg, struct mpx_event *ev,
		       struct value *v)
{
	struct tep_print_flag_sym *sym;
	unsigned long long val;
	char hex[24], *end;
	struct value key = { 0 };
	int r;

	if (eval(event, rec, arg->symbol.field, ev, &key) || !key.is_num)
		return -1;
	v->field = key.field;
	v->is_str = true;
	for (sym = arg->symbol.symbols; sym; sym = sym->next) {
		errno = 0;
		val = strtoull(sym->value, &end, 0);
		if (!errno && end != sym->value && !*end &&
		    val == (unsigned long long)key.n) {
			v->s = sym->str;
			return 0;
		}
	}
	r = find_rename(key.field);
	if (r >= 0 && renames[r].errno_name && key.n > 0 && key.n < 4096 &&
	    strerrorname_np(key.n)) {
		v->s = strerrorname_np(key.n);
		return 0;
	}
	snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)key.n);
	v->s = ev_strndup(ev, hex, sizeof(hex));
	return v->s ? 0 : -1;
}

/* An operator: "c ? a : b", or one on numbers. */
static int eval_op(struct tep_event *event, struct tep_record *rec,
		   struct tep_print_arg *arg, struct mpx_event *ev,
		   struct value *v)
{
	struct tep_print_arg *alt = arg->op.right;
	const char *op = arg->op.op;
	struct value l = { 0 }, r = { 0 };
	unsigned long long a, b;	/* arithmetic wraps, no overflow */

	if (!strcmp(op, "?")) {
		if (!alt || alt->type != TEP_PRINT_OP || strcmp(alt->op.op, ":") ||
		    eval(event, rec, arg->op.left, ev, &l) || !l.is_num ||
		    eval(event, rec, l.n ? alt->op.left : alt->op.right, ev, v))
			return -1;
		if (!v->field)
			v->field = l.field;
		return 0;
	}
	if (eval(event, rec, arg->op.right, ev, &r) || !r.is_num)
		return -1;
	v->is_num = true;
	v->field = r.field;
	b = r.n;
	if (!arg->op.left) {		/* unary */
		if (!strcmp(op, "!"))
			v->n = !b;
		else if (!strcmp(op, "~"))
			v->n = (long long)~b;
		else if (!strcmp(op, "-"))
			v->n = (long long)-b;
		else
			return -1;
		return 0;
	}
	if (eval(event, rec, arg->op.left, ev, &l) || !l.is_num)
		return -1;
	if (l.field)
		v->field = l.field;
	a = l.n;
	if (!strcmp(op, "=="))
		v->n = a == b;
	else if (!strcmp(op, "!="))
		v->n = a != b;
	else if (!strcmp(op, "<"))	/* signed: the values are cast */
		v->n = l.n < r.n;
	else if (!strcmp(op, ">"))
		v->n = l.n > r.n;
	else if (!strcmp(op, "<="))
		v->n = l.n <= r.n;
	else if (!strcmp(op, ">="))
		v->n = l.n >= r.n;
	else if (!strcmp(op, "&&"))
		v->n = a && b;
	else if (!strcmp(op, "||"))
		v->n = a || b;
	else if (!strcmp(op, "&"))
		v->n = (long long)(a & b);
	else if (!strcmp(op, "|"))
		v->n = (long long)(a | b);
	else if (!strcmp(op, "+"))
		v->n = (long long)(a + b);
	else if (!strcmp(op, "-"))
		v->n = (long long)(a - b);
	else
		return -1;
	return 0;
}

static int eval(struct tep_event *event, struct tep_record *rec,
		struct tep_print_arg *arg, struct mpx_event *ev,
		struct value *v)
{
	char *end;

	if (!arg)
		return -1;
	switch (arg->type) {
	case TEP_PRINT_ATOM:		/* a number or a string literal */
		v->is_str = true;
		v->s = arg->atom.atom;
		errno = 0;
		v->n = strtoll(v->s, &end, 0);
		v->is_num = !errno && end != v->s && !*end;
		return 0;
	case TEP_PRINT_FIELD:
		return read_field(event, rec, arg->field.name, ev, v);
	case TEP_PRINT_SYMBOL:
		return eval_symbol(event, rec, arg, ev, v);
	case TEP_PRINT_OP:
		return eval_op(event, rec, arg, ev, v);
	default:
		return -1;
	}
}

/* Parse the conversion at @p (a '%'); what follows it, or NULL. */
static const char *parse_conv(const char *p, struct conv *cv, int long_size)
{
	int h = 0, l = 0;

	memset(cv, 0, sizeof(*cv));
	cv->bytes = 4;
	for (p++; *p && strchr("#-+ 0", *p); p++)
		if (*p == '#')
			cv->alt = true;
	while (isdigit((unsigned char)*p))	/* the width: not kept */
		p++;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	/* h: short, hh: char, l: long (the kernel's), ll, L, q, j: 8 bytes */
	for (; *p && strchr("hlLqjzt", *p); p++) {
		if (*p == 'h')
			h++;
		else if (*p == 'l')
			l++;
		else if (*p == 'z' || *p == 't')
			cv->bytes = long_size;
		else
			cv->bytes = 8;
	}
	if (h)
		cv->bytes = h == 1 ? 2 : 1;
	else if (l)
		cv->bytes = l == 1 ? long_size : 8;
	if (!*p || !strchr("diuxs", *p))
		return NULL;
	cv->c = *p;
	return p + 1;
}

/* @n bytes of @s after the value of @f in text; nothing without @f. */
static int set_unit(struct mpx_event *ev, struct mpx_field *f, const char *s,
		    size_t n)
{
	if (!f)
		return n ? -1 : 0;
	f->unit = ev_strndup(ev, s, n);
	return f->unit ? 0 : -1;
}

static bool blank(const char *s)
{
	while (*s == ' ')
		s++;
	return !*s;
}

/*
 * The value @v of conversion @cv, after the literal text @lit, as a field
 * of @ev. @lit ends the field before (*prev) at its first space and names
 * this one ("name=" and what follows, e.g. "0x") after its last.
 */
static int add_field(struct mpx_event *ev, const char *lit,
		     struct mpx_field **prev, const struct conv *cv,
		     const struct value *v)
{
	const char *sp = strchr(lit, ' '), *token = lit, *label = NULL, *eq;
	const char *prefix = "";
	struct mpx_field *f;
	bool glued = false;
	int r;

	if (sp) {
		token = strrchr(lit, ' ') + 1;
		if (set_unit(ev, *prev, lit, sp - lit) ||
		    strspn(sp, " ") != (size_t)(token - sp))
			return -1;
	} else if (*prev) {
		if (*lit)
			return -1;	/* "%d,%d": where does one end? */
		glued = true;
	}
	if (*token) {
		eq = strchr(token, '=');
		if (!eq || eq == token)
			return -1;
		label = ev_strndup(ev, token, eq - token);
		prefix = ev_strndup(ev, eq + 1, strlen(eq + 1));
		if (!label || !prefix)
			return -1;
	}
	if (cv->c == 's' ? !v->is_str : !v->is_num)
		return -1;
	if (cv->c == 's' && !label && blank(v->s))
		return 0;		/* a separator, or nothing to say */
	if (ev->nr == MPX_EVENT_FIELDS)
		return -1;
	f = &ev->f[ev->nr];
	memset(f, 0, sizeof(*f));
	r = find_rename(v->field);
	f->name = label ? label : r >= 0 ? renames[r].name : v->field;
	if (!f->name)
		return -1;
	f->bare = !label && !glued;
	f->prefix = prefix;
	f->unit = "";
	switch (cv->c) {
	case 's':
		f->kind = MPX_F_STR;
		f->s = v->s;
		break;
	case 'd':
	case 'i':
		f->kind = MPX_F_INT;
		f->i = cast(v->n, cv->bytes, true);
		break;
	default:
		f->kind = cv->c == 'x' ? MPX_F_HEX : MPX_F_UINT;
		f->u = cast(v->n, cv->bytes, false);
		if (cv->alt)
			f->prefix = "0x";
	}
	ev->nr++;
	*prev = f;
	return 0;
}

/* The fields as the event's print fmt shows them; -1 if it cannot. */
static int decode_printk(struct tep_event *event, struct tep_record *rec,
			 struct mpx_event *ev)
{
	struct tep_print_arg *arg = event->print_fmt.args;
	const char *p = event->print_fmt.format, *next, *sp;
	int long_size = tep_get_long_size(event->tep);
	struct mpx_field *prev = NULL;
	struct value v;
	struct conv cv;
	char lit[128];
	size_t n = 0;

	if (!p)
		return -1;
	while (*p) {
		if (*p != '%' || p[1] == '%') {
			if (n + 1 >= sizeof(lit))
				return -1;
			lit[n++] = *p;
			p += *p == '%' ? 2 : 1;
			continue;
		}
		lit[n] = '\0';
		next = parse_conv(p, &cv, long_size);
		memset(&v, 0, sizeof(v));
		if (!next || eval(event, rec, arg, ev, &v) ||
		    add_field(ev, lit, &prev, &cv, &v))
			return -1;
		arg = arg->next;
		n = 0;
		p = next;
	}
	lit[n] = '\0';
	sp = strchr(lit, ' ');
	if (sp && !blank(sp))
		return -1;
	return set_unit(ev, prev, lit, sp ? (size_t)(sp - lit) : n);
}

/* The record's fields as they are: name=value, in the format's order. */
static void decode_fields(struct tep_event *event, struct tep_record *rec,
			  struct mpx_event *ev)
{
	struct tep_format_field *f;
	struct mpx_field *out;
	struct value v;

	for (f = event->format.fields; f && ev->nr < MPX_EVENT_FIELDS;
	     f = f->next) {
		memset(&v, 0, sizeof(v));
		if (read_field(event, rec, f->name, ev, &v))
			continue;
		out = &ev->f[ev->nr++];
		memset(out, 0, sizeof(*out));
		out->name = f->name;
		out->prefix = "";
		out->unit = "";
		if (v.is_str) {
			out->kind = MPX_F_STR;
			out->s = v.s;
		} else if (f->flags & TEP_FIELD_IS_SIGNED) {
			out->kind = MPX_F_INT;
			out->i = v.n;
		} else {
			out->kind = MPX_F_UINT;
			out->u = v.n;
		}
	}
}

/*
 * Read saved_cmdlines into the tep handle: "PID COMM" lines, where a line
 * that does not start so continues the comm before (a comm may hold a
 * newline). Not tracefs_load_cmdlines(): libtraceevent's parser stops at
 * such a comm, dropping the rest, and keeps the first comm it saw for a
 * pid, where the kernel has the latest.
 */
static void load_cmdlines(struct mpx_decoder *d)
{
	char *buf, *line, *next, *comm = NULL, *end;
	int len, pid = 0;
	long n;

	buf = tracefs_instance_file_read(NULL, "saved_cmdlines", &len);
	for (line = buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		n = strtol(line, &end, 10);
		if (comm && (end == line || *end != ' ' || n <= 0 || n > INT_MAX)) {
			line[-1] = '\n';	/* the comm goes on */
			continue;
		}
		if (comm)
			tep_override_comm(d->tep, comm, pid);
		comm = NULL;
		if (end != line && *end == ' ' && n > 0 && n <= INT_MAX) {
			pid = n;
			comm = end + 1;
		}
	}
	if (comm)
		tep_override_comm(d->tep, comm, pid);
	free(buf);
}

/* The name of task @pid, from saved_cmdlines. */
static const char *task_comm(struct mpx_decoder *d, int pid)
{
	if (pid && !d->cmdlines_fresh) {
		load_cmdlines(d);
		d->cmdlines_fresh = true;
	}
	return tep_data_comm_from_pid(d->tep, pid);
}

/**
 * mpx_event_decode() - decode one record
 * @d: the decoder
 * @rec: the record (ts, cpu and data set)
 * @ev: the result
 *
 * Return: 0, or -1 when @rec is no event of the mpx system.
 */
int mpx_event_decode(struct mpx_decoder *d, struct tep_record *rec,
		     struct mpx_event *ev)
{
	struct tep_event *event = tep_find_event(d->tep,
						 tep_data_type(d->tep, rec));
	const struct mpx_field *tid, *comm;
	unsigned long long us;

	if (!event || strcmp(event->system, "mpx"))
		return -1;
	ev->name = event->name;
	ev->cpu = rec->cpu;
	ev->task_pid = tep_data_pid(d->tep, rec);
	/* As ftrace: microseconds, rounded. */
	us = (rec->ts + 500) / 1000;
	if (d->time_in_ns)
		snprintf(ev->time, sizeof(ev->time), "%llu.%06llu",
			 us / 1000000, us % 1000000);
	else
		snprintf(ev->time, sizeof(ev->time), "%llu", rec->ts);
	ev->nr = 0;
	ev->used = 0;
	if (event->flags & TEP_EVENT_FL_FAILED ||
	    decode_printk(event, rec, ev)) {
		ev->nr = 0;
		ev->used = 0;
		decode_fields(event, rec, ev);
	}
	/*
	 * The task's name as ftrace's header has it (saved_cmdlines), unless
	 * the event recorded it itself: more exact, and whole even when it
	 * holds a newline.
	 */
	tid = mpx_event_field(ev, "tid");
	comm = mpx_event_field(ev, "comm");
	if (tid && comm && tid->kind == MPX_F_INT && tid->i == ev->task_pid &&
	    comm->kind == MPX_F_STR)
		ev->task = comm->s;
	else
		ev->task = task_comm(d, ev->task_pid);
	return 0;
}

static bool raw_clock(const char *clock)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(raw_clocks); i++)
		if (!strcmp(clock, raw_clocks[i]))
			return true;
	return false;
}

/**
 * mpx_decoder_init() - read what decoding the mpx events needs
 * @d: the decoder
 * @root: the tracefs mount; libtracefs must use it (tracefs_set_tracing_dir())
 * @instance: whose records these are, for their page header and trace
 *	clock (NULL: the top instance)
 *
 * The page header and the formats of the events of system mpx. Not
 * tracefs_local_events_system(): that parses /proc/kallsyms as well, which
 * takes seconds in the test VMs.
 *
 * Return: 0, or -1 with errno set.
 */
int mpx_decoder_init(struct mpx_decoder *d, const char *root,
		     struct tracefs_instance *instance)
{
	char **events = NULL, *buf, *clock;
	int len, i, err = EINVAL;

	memset(d, 0, sizeof(*d));
	errno = 0;
	d->tep = tep_alloc();
	if (!d->tep)
		return -1;
	/*
	 * The instance's: its sub-buffer size (buffer_subbuf_size_kb, 6.8)
	 * may not be the top one's.
	 */
	buf = tracefs_instance_file_read(instance, "events/header_page", &len);
	if (!buf && instance)
		buf = tracefs_instance_file_read(NULL, "events/header_page",
						 &len);
	if (!buf || tep_parse_header_page(d->tep, buf, len, sizeof(long)))
		goto fail;
	tep_set_long_size(d->tep, tep_get_header_page_size(d->tep));
	events = tracefs_system_events(root, "mpx");
	if (!events)
		goto fail;
	for (i = 0; events[i]; i++) {
		free(buf);
		buf = tracefs_event_file_read(NULL, "mpx", events[i], "format",
					      &len);
		if (!buf)
			goto fail;
		/* A print fmt it cannot parse leaves the event FL_FAILED. */
		tep_parse_event(d->tep, buf, len, "mpx");
		if (!tep_find_event_by_name(d->tep, "mpx", events[i]))
			goto fail;
	}
	clock = tracefs_get_clock(instance);
	d->time_in_ns = !clock || !raw_clock(clock);
	free(clock);
	free(buf);
	tracefs_list_free(events);
	return 0;
fail:
	if (errno)
		err = errno;
	free(buf);
	tracefs_list_free(events);
	tep_free(d->tep);
	d->tep = NULL;
	errno = err;
	return -1;
}

void mpx_decoder_free(struct mpx_decoder *d)
{
	tep_free(d->tep);
	d->tep = NULL;
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

	fprintf(out, "{\"event\":\"%s\",\"time\":%s,\"cpu\":%d", ev->name,
		ev->time, ev->cpu);
	fputs(",\"task_comm\":", out);
	print_json_string(out, ev->task);
	fprintf(out, ",\"task_pid\":%ld", ev->task_pid);
	for (i = 0; i < ev->nr; i++) {
		f = &ev->f[i];
		fprintf(out, ",\"%s\":", f->name);
		if (f->kind == MPX_F_INT)
			fprintf(out, "%lld", f->i);
		else if (f->kind == MPX_F_STR)
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
		fputc(' ', out);
		if (!f->bare)
			fprintf(out, "%s=", f->name);
		fputs(f->prefix, out);
		switch (f->kind) {
		case MPX_F_INT:
			fprintf(out, "%lld", f->i);
			break;
		case MPX_F_UINT:
			fprintf(out, "%llu", f->u);
			break;
		case MPX_F_HEX:
			fprintf(out, "%llx", f->u);
			break;
		default:
			print_text_string(out, f->s);
		}
		fputs(f->unit, out);
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
