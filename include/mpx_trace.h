/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the mpx module, system "mpx" in tracefs
 * (/sys/kernel/tracing/events/mpx/).
 *
 * mpx_enter and mpx_exit are emitted by a kprobe and a kretprobe on
 * mpx_syscall() (mpx_probe.c), armed only while one of the two events has
 * a consumer. mpx_key, mpx_violation and mpx_remote are emitted from the
 * key table, the bound checks and the remote-access hooks directly. Every
 * event pins the module while it has a consumer (the reg/unreg callbacks),
 * so unload is refused until tracing lets go. Every value is the kernel's
 * validated copy, never re-read from user memory. "pid" is the process
 * (thread group) id, "tid" the thread.
 *
 * Symbolic fields are printed with __print_symbolic(); every enum value it
 * names is exported with TRACE_DEFINE_ENUM(), so that user-space decoders
 * (libtraceevent: trace-cmd, perf) can print the names too.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM mpx

#ifndef _MPX_TRACE_ENUMS
#define _MPX_TRACE_ENUMS
/* mpx_key: what happened to the key. */
enum mpx_key_action {
	MPX_KEY_CREATED,
	MPX_KEY_SET,
	MPX_KEY_ENABLED,
	MPX_KEY_DISABLED,
	MPX_KEY_FREED,
	MPX_KEY_RECLAIMED,
};

/* mpx_violation: who noticed. */
enum mpx_violation_source {
	MPX_VIOLATION_BR,	/* a #BR trap from bndcl/bndcu/bndcn */
	MPX_VIOLATION_CHECK,	/* MPX_OP_CHECK */
};

/* mpx_pkey: which syscall. */
enum mpx_pkey_call {
	MPX_PKEY_ALLOC,
	MPX_PKEY_FREE,
	MPX_PKEY_MPROTECT,
};

/* mpx_remote: the kernel path another process used. */
enum mpx_remote_path {
	MPX_REMOTE_PROCESS_VM,	/* process_vm_readv/writev */
	MPX_REMOTE_PROC_MEM,	/* /proc/PID/mem */
	MPX_REMOTE_PTRACE,	/* PTRACE_PEEK and POKE */
	MPX_REMOTE_OTHER,	/* other users of access_remote_vm() */
};
#endif /* _MPX_TRACE_ENUMS */

#if !defined(_MPX_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _MPX_TRACE_H

#include <linux/sched.h>
#include <linux/tracepoint.h>
#include <uapi/linux/mpx.h>

#include "mpx_probe.h"

/*
 * Zero an entry from its first field @first to its end (the holes between
 * and after the fields included) before the fields are assigned: the ring
 * buffer is reused in place, and a hole would otherwise show an older
 * entry's bytes to raw readers (trace_pipe_raw, perf).
 */
#define MPX_ENTRY_CLEAR(first)						\
	do {								\
		size_t __off = offsetof(typeof(*__entry), first);	\
									\
		memset((char *)__entry + __off, 0,			\
		       sizeof(*__entry) - __off);			\
	} while (0)

/* The calling task (fields pid, tid, comm), recorded by most events. */
#define MPX_TASK_ASSIGN						\
	do {							\
		__entry->pid = task_tgid_nr(current);		\
		__entry->tid = task_pid_nr(current);		\
		memcpy(__entry->comm, current->comm, TASK_COMM_LEN); \
	} while (0)

TRACE_DEFINE_ENUM(MPX_OP_CREATE);
TRACE_DEFINE_ENUM(MPX_OP_SET);
TRACE_DEFINE_ENUM(MPX_OP_GET);
TRACE_DEFINE_ENUM(MPX_OP_ENABLE);
TRACE_DEFINE_ENUM(MPX_OP_DISABLE);
TRACE_DEFINE_ENUM(MPX_OP_FREE);
TRACE_DEFINE_ENUM(MPX_OP_CHECK);
TRACE_DEFINE_ENUM(MPX_OP_ENABLE_HW);
TRACE_DEFINE_ENUM(MPX_KEY_CREATED);
TRACE_DEFINE_ENUM(MPX_KEY_SET);
TRACE_DEFINE_ENUM(MPX_KEY_ENABLED);
TRACE_DEFINE_ENUM(MPX_KEY_DISABLED);
TRACE_DEFINE_ENUM(MPX_KEY_FREED);
TRACE_DEFINE_ENUM(MPX_KEY_RECLAIMED);
TRACE_DEFINE_ENUM(MPX_VIOLATION_BR);
TRACE_DEFINE_ENUM(MPX_VIOLATION_CHECK);
TRACE_DEFINE_ENUM(MPX_PKEY_ALLOC);
TRACE_DEFINE_ENUM(MPX_PKEY_FREE);
TRACE_DEFINE_ENUM(MPX_PKEY_MPROTECT);
TRACE_DEFINE_ENUM(MPX_REMOTE_PROCESS_VM);
TRACE_DEFINE_ENUM(MPX_REMOTE_PROC_MEM);
TRACE_DEFINE_ENUM(MPX_REMOTE_PTRACE);
TRACE_DEFINE_ENUM(MPX_REMOTE_OTHER);

#define mpx_show_op(op)						\
	__print_symbolic(op,					\
		{ MPX_OP_CREATE,	"CREATE" },		\
		{ MPX_OP_SET,		"SET" },		\
		{ MPX_OP_GET,		"GET" },		\
		{ MPX_OP_ENABLE,	"ENABLE" },		\
		{ MPX_OP_DISABLE,	"DISABLE" },		\
		{ MPX_OP_FREE,		"FREE" },		\
		{ MPX_OP_CHECK,		"CHECK" },		\
		{ MPX_OP_ENABLE_HW,	"ENABLE_HW" })

/*
 * The errno's name, from a positive copy: user-space decoders
 * (libtraceevent, so trace-cmd and perf) compare a field as unsigned, so
 * that neither "ret < 0 ? ..." nor { -ERANGE, ... } would work there; a
 * test of err itself does. (No { 0, "" } entry: the kernel prints an
 * empty name as the number.)
 */
#define mpx_show_err(err)					\
	__print_symbolic(err,					\
		{ EFAULT,	"EFAULT" },			\
		{ EINVAL,	"EINVAL" },			\
		{ ENOENT,	"ENOENT" },			\
		{ ENOMEM,	"ENOMEM" },			\
		{ ENOSPC,	"ENOSPC" },			\
		{ EBUSY,	"EBUSY" },			\
		{ EOPNOTSUPP,	"EOPNOTSUPP" },			\
		{ ERANGE,	"ERANGE" },			\
		{ EINTR,	"EINTR" })

#define mpx_show_action(action)					\
	__print_symbolic(action,				\
		{ MPX_KEY_CREATED,	"created" },		\
		{ MPX_KEY_SET,		"set" },		\
		{ MPX_KEY_ENABLED,	"enabled" },		\
		{ MPX_KEY_DISABLED,	"disabled" },		\
		{ MPX_KEY_FREED,	"freed" },		\
		{ MPX_KEY_RECLAIMED,	"reclaimed" })

#define mpx_show_pkey_call(call)				\
	__print_symbolic(call,					\
		{ MPX_PKEY_ALLOC,	"pkey_alloc" },		\
		{ MPX_PKEY_FREE,	"pkey_free" },		\
		{ MPX_PKEY_MPROTECT,	"pkey_mprotect" })

#define mpx_show_source(source)					\
	__print_symbolic(source,				\
		{ MPX_VIOLATION_BR,	"#BR" },		\
		{ MPX_VIOLATION_CHECK,	"CHECK" })

/*
 * mpx_enter - a call of mpx() begins
 * @addr: the region's start (or GET's buffer)
 * @len: its length
 * @key: the key
 * @op: the operation (MPX_OP_*)
 */
TRACE_EVENT_FN(mpx_enter,
	TP_PROTO(unsigned long addr, int len, unsigned int key, int op),
	TP_ARGS(addr, len, key, op),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(pid_t, tid)
		__array(char, comm, TASK_COMM_LEN)
		__field(unsigned long, addr)
		__field(int, len)
		__field(unsigned int, key)
		__field(int, op)
	),
	TP_fast_assign(
		MPX_ENTRY_CLEAR(pid);
		MPX_TASK_ASSIGN;
		__entry->addr = addr;
		__entry->len = len;
		__entry->key = key;
		__entry->op = op;
	),
	TP_printk("pid=%d tid=%d comm=%s op=%s addr=0x%lx len=%d key=%u",
		  __entry->pid, __entry->tid, __entry->comm,
		  mpx_show_op(__entry->op), __entry->addr, __entry->len,
		  __entry->key),
	mpx_probe_reg, mpx_probe_unreg
);

/*
 * mpx_exit - a call of mpx() returns
 * @op: the operation
 * @key: the key argument
 * @ret: the return value (>= 0, or -errno)
 * @latency: nanoseconds from entry to return
 *
 * The entry also holds err, -@ret for an error and 0 otherwise, which
 * names the errno (mpx_show_err()).
 */
TRACE_EVENT_FN(mpx_exit,
	TP_PROTO(int op, unsigned int key, long ret, u64 latency),
	TP_ARGS(op, key, ret, latency),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(pid_t, tid)
		__array(char, comm, TASK_COMM_LEN)
		__field(int, op)
		__field(unsigned int, key)
		__field(long, ret)
		__field(long, err)
		__field(u64, latency)
	),
	TP_fast_assign(
		MPX_ENTRY_CLEAR(pid);
		MPX_TASK_ASSIGN;
		__entry->op = op;
		__entry->key = key;
		__entry->ret = ret;
		__entry->err = ret < 0 ? -ret : 0;
		__entry->latency = latency;
	),
	TP_printk("pid=%d tid=%d comm=%s op=%s key=%u ret=%ld%s%s latency=%lluns",
		  __entry->pid, __entry->tid, __entry->comm,
		  mpx_show_op(__entry->op), __entry->key, __entry->ret,
		  __entry->err ? " " : "",
		  __entry->err ? mpx_show_err(__entry->err) : "",
		  __entry->latency),
	mpx_probe_reg, mpx_probe_unreg
);

/*
 * mpx_key - a key's life: created, set, enabled, disabled, freed, or
 *	reclaimed when its address space went away (or the module unloaded)
 * @pid: the process owning the key
 * @key: the key
 * @action: MPX_KEY_*
 * @addr: the key's region after the action
 * @len: its length
 * @bnd: the calling thread's bound register holding it, or -1
 */
TRACE_EVENT_FN(mpx_key,
	TP_PROTO(pid_t pid, unsigned int key, int action, unsigned long addr,
		 int len, int bnd),
	TP_ARGS(pid, key, action, addr, len, bnd),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(unsigned int, key)
		__field(int, action)
		__field(unsigned long, addr)
		__field(int, len)
		__field(int, bnd)
	),
	TP_fast_assign(
		MPX_ENTRY_CLEAR(pid);
		__entry->pid = pid;
		__entry->key = key;
		__entry->action = action;
		__entry->addr = addr;
		__entry->len = len;
		__entry->bnd = bnd;
	),
	TP_printk("pid=%d key=%u %s addr=0x%lx len=%d bnd=%d",
		  __entry->pid, __entry->key, mpx_show_action(__entry->action),
		  __entry->addr, __entry->len, __entry->bnd),
	mpx_event_reg, mpx_event_unreg
);

/*
 * mpx_violation - an access left a key's region
 * @key: the key whose bounds were left (0 if no key of the process has
 *	the faulting register's bounds)
 * @addr: the checked address (start of the checked range for CHECK)
 * @lower: the region's first byte
 * @upper: the region's last byte
 * @source: MPX_VIOLATION_BR (a bndcl/bndcu/bndcn trap) or
 *	MPX_VIOLATION_CHECK (MPX_OP_CHECK)
 */
TRACE_EVENT_FN(mpx_violation,
	TP_PROTO(unsigned int key, unsigned long addr, unsigned long lower,
		 unsigned long upper, int source),
	TP_ARGS(key, addr, lower, upper, source),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(pid_t, tid)
		__array(char, comm, TASK_COMM_LEN)
		__field(unsigned int, key)
		__field(unsigned long, addr)
		__field(unsigned long, lower)
		__field(unsigned long, upper)
		__field(int, source)
	),
	TP_fast_assign(
		MPX_ENTRY_CLEAR(pid);
		MPX_TASK_ASSIGN;
		__entry->key = key;
		__entry->addr = addr;
		__entry->lower = lower;
		__entry->upper = upper;
		__entry->source = source;
	),
	TP_printk("pid=%d tid=%d comm=%s key=%u addr=0x%lx lower=0x%lx upper=0x%lx source=%s",
		  __entry->pid, __entry->tid, __entry->comm, __entry->key,
		  __entry->addr, __entry->lower, __entry->upper,
		  mpx_show_source(__entry->source)),
	mpx_event_reg, mpx_event_unreg
);

/*
 * mpx_pkey - a process called pkey_alloc, pkey_free or pkey_mprotect
 *	(kretprobes on the syscalls, armed while this event has a consumer),
 *	so that the monitor sees protection keys on CPUs without MPX too
 * @call: MPX_PKEY_ALLOC, MPX_PKEY_FREE or MPX_PKEY_MPROTECT
 * @pkey: the key (pkey_free, pkey_mprotect; the result of pkey_alloc)
 * @addr: pkey_mprotect's start
 * @len: pkey_mprotect's length
 * @prot: pkey_mprotect's protection, pkey_alloc's access rights
 * @flags: pkey_alloc's flags
 * @ret: the syscall's return value
 */
TRACE_EVENT_FN(mpx_pkey,
	TP_PROTO(int call, int pkey, unsigned long addr, unsigned long len,
		 unsigned long prot, unsigned long flags, long ret),
	TP_ARGS(call, pkey, addr, len, prot, flags, ret),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(pid_t, tid)
		__array(char, comm, TASK_COMM_LEN)
		__field(int, call)
		__field(int, pkey)
		__field(unsigned long, addr)
		__field(unsigned long, len)
		__field(unsigned long, prot)
		__field(unsigned long, flags)
		__field(long, ret)
	),
	TP_fast_assign(
		MPX_ENTRY_CLEAR(pid);
		MPX_TASK_ASSIGN;
		__entry->call = call;
		__entry->pkey = pkey;
		__entry->addr = addr;
		__entry->len = len;
		__entry->prot = prot;
		__entry->flags = flags;
		__entry->ret = ret;
	),
	TP_printk("pid=%d tid=%d comm=%s call=%s pkey=%d addr=0x%lx len=%lu prot=0x%lx flags=0x%lx ret=%ld",
		  __entry->pid, __entry->tid, __entry->comm,
		  mpx_show_pkey_call(__entry->call), __entry->pkey,
		  __entry->addr, __entry->len, __entry->prot, __entry->flags,
		  __entry->ret),
	mpx_pkey_probe_reg, mpx_pkey_probe_unreg
);

#define mpx_show_path(path)					\
	__print_symbolic(path,					\
		{ MPX_REMOTE_PROCESS_VM,	"process_vm" },	\
		{ MPX_REMOTE_PROC_MEM,		"proc_mem" },	\
		{ MPX_REMOTE_PTRACE,		"ptrace" },	\
		{ MPX_REMOTE_OTHER,		"other" })

/*
 * mpx_remote - another address space tried to read or write an enabled
 *	key's region through the kernel's remote-access paths
 * @pid: the accessing process
 * @tid: the accessing thread
 * @comm: the accessing thread's name
 * @target: the process that owns the region (target_pid)
 * @key: the key whose region the access overlaps (the lowest one)
 * @addr: start of the attempted access (the kernel's copy)
 * @len: its length: a process_vm_readv/writev segment, the chunk the
 *	kernel copies for /proc/PID/mem (at most a page), a ptrace word
 * @write: 1 for a write, 0 for a read (printed as access=read|write)
 * @path: MPX_REMOTE_PROCESS_VM, _PROC_MEM, _PTRACE or _OTHER
 * @denied: 1 when refused (policy "deny"), 0 when only reported
 */
TRACE_EVENT_FN(mpx_remote,
	TP_PROTO(pid_t target, unsigned int key, unsigned long addr,
		 unsigned long len, bool write, int path, bool denied),
	TP_ARGS(target, key, addr, len, write, path, denied),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(pid_t, tid)
		__array(char, comm, TASK_COMM_LEN)
		__field(pid_t, target_pid)
		__field(unsigned int, key)
		__field(unsigned long, addr)
		__field(unsigned long, len)
		__field(u8, write)
		__field(u8, path)
		__field(u8, denied)
	),
	TP_fast_assign(
		MPX_ENTRY_CLEAR(pid);
		MPX_TASK_ASSIGN;
		__entry->target_pid = target;
		__entry->key = key;
		__entry->addr = addr;
		__entry->len = len;
		__entry->write = write;
		__entry->path = path;
		__entry->denied = denied;
	),
	TP_printk("pid=%d tid=%d comm=%s target_pid=%d key=%u addr=0x%lx len=%lu access=%s path=%s denied=%u",
		  __entry->pid, __entry->tid, __entry->comm,
		  __entry->target_pid, __entry->key, __entry->addr,
		  __entry->len, __entry->write ? "write" : "read",
		  mpx_show_path(__entry->path), __entry->denied),
	mpx_event_reg, mpx_event_unreg
);

#endif /* _MPX_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE mpx_trace
#include <trace/define_trace.h>
