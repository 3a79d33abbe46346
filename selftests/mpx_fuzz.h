/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mpx_fuzz.h - the fuzzing engine of mpx_fuzz_test (mpx_fuzz.c): actors,
 * their models and the oracle, the processes that play them, and the
 * control block those processes share. mpx_fuzz_test.c runs the tests
 * on it; mpx_worker runs the process generations a worker exec's.
 */
#ifndef MPX_FUZZ_H
#define MPX_FUZZ_H

#include <stdbool.h>
#include <sys/types.h>

#include "libmpx.h"

#define MAX_ACTORS		6	/* per process */
#define PUB_KEYS		8	/* keys an actor shows the others */
#define MAX_PROCS		12	/* live worker processes, all told */
#define STALL_SECONDS		60	/* no call completing: the module hangs */
#define NR_OPS			(MPX_OP_ENABLE_HW + 1)	/* ops 0..ENABLE_HW */

/* ---- configuration: from the test, passed on through the control block */

struct fuzz_cfg {
	__u64 seed;
	__u64 calls;		/* the run's total */
	struct mpx_info info;	/* MPX_IOC_INFO at start; zero if no device */
	bool hw;		/* hardware mode */
	unsigned long page;
	__u64 user_end;		/* 2^47, 2^56 (5-level paging) or 2^32 */
	bool have_base;		/* debugfs counts before the first test */
	long base_keys, base_mms;
	char base_err[64];	/* why not */
};

extern struct fuzz_cfg cfg;

/* ---- PRNG: splitmix64, one stream per actor, process and supervisor */

struct rng {
	__u64 state;
};

static inline __u64 rng_next(struct rng *r)
{
	__u64 z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The stream @id of @seed: starts from a mixed state, not a shifted one. */
static inline struct rng rng_derive(__u64 seed, __u64 id)
{
	struct rng r = { seed ^ (id * 0xd1342543de82ef95ULL) };

	r.state = rng_next(&r);
	return r;
}

static inline __u32 rng_below(struct rng *r, __u32 n)
{
	return ((rng_next(r) >> 32) * n) >> 32;
}

static inline bool rng_chance(struct rng *r, unsigned int percent)
{
	return rng_below(r, 100) < percent;
}

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif
/* One element of an array, at random. */
#define RNG_PICK(r, array)	((array)[rng_below(r, ARRAY_SIZE(array))])

/* ---- shared between the processes of a test: the control block */

/* The results a call can have; the oracle's want is a set of them. */
enum outcome {
	O_OK, O_EFAULT, O_EINVAL, O_ENOENT, O_ENOMEM, O_ENOSPC, O_EBUSY,
	O_EOPNOTSUPP, O_ERANGE, O_ENOTTY, NR_OUTCOMES
};

enum fuzz_event {
	EV_PROCS, EV_KILLS, EV_FORKS, EV_EXECS, EV_THREADS, EV_CHURNS,
	EV_FPU_FLIPS, EV_EXHAUSTS, EV_REMOTE, EV_REMOTE_CUT, NR_EVENTS
};

/* A live worker process and the keys its actors show the others. */
struct proc_slot {
	pid_t pid;		/* 0: free, -pid: reserved by pid to fork */
	__u32 keys[MAX_ACTORS][PUB_KEYS];
	__u64 block;		/* its arenas, for remote accessors... */
	__u32 pages;		/* ...and their length in pages */
};

/* A region an enabled key guards all run long (mpx_fuzz_remote.c). */
struct fuzz_vault {
	pid_t pid;		/* the holder; 0: no vault */
	__u32 key;
	__u64 base;		/* its pages */
	__u64 start, len;	/* the key's region */
};

struct fuzz_ctl {
	struct fuzz_cfg cfg;	/* for exec'd workers */
	int test;		/* which test: part of every PRNG stream */
	int stop;
	__u64 calls;		/* made so far (in FLUSH_CALLS steps) */
	__u32 failures;
	__u32 gen;		/* process generations started */
	__u64 events[NR_EVENTS];
	/* Per op ([0]: invalid ops; last: INFO, unknown ioctls, racy args). */
	__u64 results[NR_OPS + 1][NR_OUTCOMES];
	struct proc_slot procs[MAX_PROCS];
	struct fuzz_vault vault;
};

static inline void ctl_count(struct fuzz_ctl *ctl, enum fuzz_event ev,
			     __u64 n)
{
	__atomic_add_fetch(&ctl->events[ev], n, __ATOMIC_RELAXED);
}

/* The control block of test @test, in a memfd (*fdp) exec keeps. */
struct fuzz_ctl *ctl_create(int test, int *fdp);
/* Print the calls' results per op and the events counted. */
void ctl_report(struct fuzz_ctl *ctl);
void slot_take(struct fuzz_ctl *ctl, int slot, pid_t pid);
/* Slots in use; with @alive, only those of running processes. */
int slots_used(struct fuzz_ctl *ctl, bool alive);

/* ---- reports */

/* A TAP comment, out at once: a test's process ends with _exit(). */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A failure that is not one actor's: setup, a worker's death. */
void fail_ctl(struct fuzz_ctl *ctl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- processes */

struct proc;

struct run_opts {
	__u64 chunk_min, chunk_max;	/* calls per actor thread */
	bool fork_exec;			/* the spawner forks and execs */
};

/* A process generation of @owners owner and @chaos chaos actors. */
struct proc *proc_create(struct fuzz_ctl *ctl, int ctl_fd, int slot,
			 int fd, __u32 gen, int owners, int chaos);
/* Give the actors @calls calls in all, in equal shares. */
void proc_share_quota(struct proc *p, __u64 calls);
/* Play every actor until it has made its quota. */
void proc_run(struct proc *p, const struct run_opts *o);
/* The number of keys in all the actors' models. */
long proc_keys(const struct proc *p);
/* Disable and free every key, from this thread (it holds no registers). */
void proc_drop_keys(struct proc *p);

/* Fork a new worker process; its pid, 0 without a free slot, or -1. */
pid_t spawn_worker(struct fuzz_ctl *ctl, int ctl_fd, int fd);
/* Reap our own exited children; a death by any signal but SIGKILL fails. */
void reap(struct fuzz_ctl *ctl, int flags);
/* ---- remote accessors (mpx_fuzz_remote.c) */

/*
 * Open the vault in this process (a thread of it holds the key): 0, or -1
 * and why (the policy is not "deny", or setup failed).
 */
int vault_open(struct fuzz_ctl *ctl, char *why, size_t size);
/* Close it: 0 when its region was never written, else -1 and why. */
int vault_close(struct fuzz_ctl *ctl, char *why, size_t size);
/*
 * One access to another process's memory, from the process in slot
 * @self: the vault's or a worker's. False, with why, on a wrong result.
 */
bool remote_step(struct fuzz_ctl *ctl, int self, struct rng *r, char *why,
		 size_t size);
/* Read our own [addr, addr + len), mapped and readable: never refused. */
bool remote_self_step(struct fuzz_ctl *ctl, struct rng *r, __u64 addr,
		      size_t len, char *why, size_t size);

/* main() of an exec'd worker generation: "fuzz" CTL_FD SLOT FD GEN. */
int fuzz_worker_main(int argc, char **argv);

#endif /* MPX_FUZZ_H */
