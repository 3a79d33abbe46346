// SPDX-License-Identifier: GPL-2.0
/*
 * mpx: a set of regions that readers search without a lock.
 *
 * The enabled keys' regions of an address space are kept as an array of
 * spans sorted by start, then end, with the running maximum of their ends
 * (@maxend never decreases along the array). So the first span that meets
 * an access is found by binary search on @maxend, and a region given
 * exactly by binary search on (start, end): O(log n) for the remote-access
 * hooks, which ask on every access another process makes, and for the #BR
 * notifier, which runs with interrupts off.
 *
 * A key enabled or disabled changes the array in place, under a seqcount
 * that readers retry on: no allocation, and no RCU-deferred free, in the
 * common case of a process enabling and disabling keys in turn. Only
 * growing past the array's capacity (doubling), or shrinking below a
 * quarter of it, allocates a new array, which is filled before it is
 * published with RCU; the old one is freed after a grace period. An empty
 * array is kept until mpx_spans_clear().
 *
 * The writers run in process context, serialized by the caller's lock;
 * preemption is off during a change in place (a memmove of the spans after
 * the one changed), so a reader on another CPU spins at most that long,
 * also on PREEMPT_RT. Readers use the raw seqcount API: a remote-access
 * hook may run from int3, which lockdep takes for NMI context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "mpx_spans.h"

/* The capacity of a set's first array, and the smallest it shrinks to. */
#define MPX_SPANS_MIN	4

/**
 * struct mpx_spans - a sorted array of spans
 * @nr: spans in use
 * @cap: spans allocated (fixed)
 * @rcu: for kvfree_rcu()
 * @span: the spans
 */
struct mpx_spans {
	unsigned int nr;
	unsigned int cap;
	struct rcu_head rcu;
	struct mpx_span span[];
};

/**
 * mpx_spans_init() - an empty set
 * @s: the set
 */
void mpx_spans_init(struct mpx_span_set *s)
{
	RCU_INIT_POINTER(s->arr, NULL);
	seqcount_init(&s->seq);
}

/* The array, for a writer (serialized by the caller). */
static struct mpx_spans *mpx_spans_get(struct mpx_span_set *s)
{
	return rcu_dereference_protected(s->arr, true);
}

static struct mpx_spans *mpx_spans_alloc(unsigned int cap)
{
	struct mpx_spans *sp;

	sp = kvmalloc(struct_size(sp, span, cap), GFP_KERNEL_ACCOUNT);
	if (sp) {
		sp->nr = 0;
		sp->cap = cap;
	}
	return sp;
}

/* Install @sp as the array; the old one is freed after a grace period. */
static void mpx_spans_publish(struct mpx_span_set *s, struct mpx_spans *sp)
{
	struct mpx_spans *old = mpx_spans_get(s);

	rcu_assign_pointer(s->arr, sp);
	if (old)
		kvfree_rcu(old, rcu);
}

/* The first of the @nr spans of @sp not below (start, end) in the order. */
static unsigned int mpx_spans_lower(const struct mpx_spans *sp,
				    unsigned int nr, unsigned long start,
				    unsigned long end)
{
	unsigned int lo = 0, hi = nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sp->span[mid].start < start ||
		    (sp->span[mid].start == start && sp->span[mid].end < end))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The index of @key's span (start, end) in @sp, or @sp->nr. */
static unsigned int mpx_spans_find(const struct mpx_spans *sp,
				   unsigned long start, unsigned long end,
				   u32 key)
{
	unsigned int i = mpx_spans_lower(sp, sp->nr, start, end);

	for (; i < sp->nr; i++) {
		if (sp->span[i].start != start || sp->span[i].end != end)
			return sp->nr;
		if (sp->span[i].key == key)
			return i;
	}
	return sp->nr;
}

/* Add a span at its place in the order; @sp has room. Returns its index. */
static unsigned int mpx_spans_put(struct mpx_spans *sp, unsigned long start,
				  unsigned long end, u32 key)
{
	unsigned int i = mpx_spans_lower(sp, sp->nr, start, end);

	memmove(&sp->span[i + 1], &sp->span[i],
		(sp->nr - i) * sizeof(sp->span[0]));
	sp->span[i].start = start;
	sp->span[i].end = end;
	sp->span[i].key = key;
	WRITE_ONCE(sp->nr, sp->nr + 1);
	return i;
}

static void mpx_spans_del(struct mpx_spans *sp, unsigned int i)
{
	memmove(&sp->span[i], &sp->span[i + 1],
		(sp->nr - i - 1) * sizeof(sp->span[0]));
	WRITE_ONCE(sp->nr, sp->nr - 1);
}

/* Recompute the running maximum of the ends from span @from on. */
static void mpx_spans_fix(struct mpx_spans *sp, unsigned int from)
{
	unsigned long maxend = from ? sp->span[from - 1].maxend : 0;
	unsigned int i;

	for (i = from; i < sp->nr; i++) {
		maxend = max(maxend, sp->span[i].end);
		sp->span[i].maxend = maxend;
	}
}

/* A copy of @sp in a new array of @cap spans (>= @sp->nr), or NULL. */
static struct mpx_spans *mpx_spans_copy(const struct mpx_spans *sp,
					unsigned int cap)
{
	struct mpx_spans *nsp = mpx_spans_alloc(cap);

	if (nsp && sp) {
		memcpy(nsp->span, sp->span, sp->nr * sizeof(sp->span[0]));
		nsp->nr = sp->nr;
	}
	return nsp;
}

static void mpx_spans_write_begin(struct mpx_span_set *s)
{
	preempt_disable();
	write_seqcount_begin(&s->seq);
}

static void mpx_spans_write_end(struct mpx_span_set *s)
{
	write_seqcount_end(&s->seq);
	preempt_enable();
}

/**
 * mpx_spans_insert() - add @key's region [start, end)
 * @s: the set
 * @start: the region's first byte
 * @end: one past its last byte (> @start)
 * @key: the key
 *
 * Return: 0, or -ENOMEM (the set is unchanged).
 */
int mpx_spans_insert(struct mpx_span_set *s, unsigned long start,
		     unsigned long end, u32 key)
{
	struct mpx_spans *sp = mpx_spans_get(s), *nsp;

	if (sp && sp->nr < sp->cap) {
		mpx_spans_write_begin(s);
		mpx_spans_fix(sp, mpx_spans_put(sp, start, end, key));
		mpx_spans_write_end(s);
		return 0;
	}
	/* Full: a new array twice the size, filled before readers see it. */
	nsp = mpx_spans_copy(sp, sp ? 2 * sp->cap : MPX_SPANS_MIN);
	if (!nsp)
		return -ENOMEM;
	mpx_spans_fix(nsp, mpx_spans_put(nsp, start, end, key));
	mpx_spans_publish(s, nsp);
	return 0;
}

/**
 * mpx_spans_remove() - take @key's region [start, end) out
 * @s: the set
 * @start: the region's first byte
 * @end: one past its last byte
 * @key: the key
 *
 * Never fails: when no memory is left to shrink the array, it is changed
 * in place.
 */
void mpx_spans_remove(struct mpx_span_set *s, unsigned long start,
		      unsigned long end, u32 key)
{
	struct mpx_spans *sp = mpx_spans_get(s), *nsp;
	unsigned int i;

	if (WARN_ON_ONCE(!sp))
		return;
	i = mpx_spans_find(sp, start, end, key);
	if (WARN_ON_ONCE(i == sp->nr))
		return;
	if (sp->cap > MPX_SPANS_MIN && sp->nr - 1 <= sp->cap / 4) {
		nsp = mpx_spans_copy(sp, sp->cap / 2);
		if (nsp) {
			mpx_spans_del(nsp, i);
			mpx_spans_fix(nsp, i);
			mpx_spans_publish(s, nsp);
			return;
		}
	}
	mpx_spans_write_begin(s);
	mpx_spans_del(sp, i);
	mpx_spans_fix(sp, i);
	mpx_spans_write_end(s);
}

/**
 * mpx_spans_move() - replace @key's region by another, atomically
 * @s: the set
 * @key: the key
 * @start: the old region's first byte
 * @end: one past its last byte
 * @new_start: the new region's first byte
 * @new_end: one past its last byte
 *
 * Readers see the old region or the new one, never neither. Never fails:
 * the number of spans stays.
 */
void mpx_spans_move(struct mpx_span_set *s, u32 key, unsigned long start,
		    unsigned long end, unsigned long new_start,
		    unsigned long new_end)
{
	struct mpx_spans *sp = mpx_spans_get(s);
	unsigned int i, j;

	if (WARN_ON_ONCE(!sp))
		return;
	i = mpx_spans_find(sp, start, end, key);
	if (WARN_ON_ONCE(i == sp->nr))
		return;
	mpx_spans_write_begin(s);
	mpx_spans_del(sp, i);
	j = mpx_spans_put(sp, new_start, new_end, key);
	mpx_spans_fix(sp, min(i, j));
	mpx_spans_write_end(s);
}

/**
 * mpx_spans_clear() - empty the set and free its array (after RCU)
 * @s: the set
 */
void mpx_spans_clear(struct mpx_span_set *s)
{
	mpx_spans_publish(s, NULL);
}

/**
 * mpx_spans_exact() - the key whose region is exactly [start, end)
 * @s: the set
 * @start: the region's first byte
 * @end: one past its last byte
 *
 * Any context; the caller holds rcu_read_lock().
 *
 * Return: the key (one of them, when several have that region), or 0.
 */
u32 mpx_spans_exact(struct mpx_span_set *s, unsigned long start,
		    unsigned long end)
{
	const struct mpx_spans *sp;
	unsigned int seq, nr, i;
	u32 key;

	do {
		seq = raw_read_seqcount_begin(&s->seq);
		key = 0;
		sp = rcu_dereference(s->arr);
		if (!sp)
			continue;
		/* A torn read is retried; it must only stay in bounds. */
		nr = min(READ_ONCE(sp->nr), sp->cap);
		i = mpx_spans_lower(sp, nr, start, end);
		if (i < nr && sp->span[i].start == start &&
		    sp->span[i].end == end)
			key = sp->span[i].key;
	} while (read_seqcount_retry(&s->seq, seq));
	return key;
}

/**
 * mpx_spans_first() - the first region that [addr, end) meets
 * @s: the set
 * @addr: the access's first byte
 * @end: one past its last byte (> @addr)
 * @hit: set to that region's span, when there is one
 *
 * Any context; the caller holds rcu_read_lock().
 *
 * Return: true when [addr, end) overlaps a region of the set.
 */
bool mpx_spans_first(struct mpx_span_set *s, unsigned long addr,
		     unsigned long end, struct mpx_span *hit)
{
	const struct mpx_spans *sp;
	unsigned int seq, nr, lo, hi, mid;
	bool found;

	do {
		seq = raw_read_seqcount_begin(&s->seq);
		found = false;
		sp = rcu_dereference(s->arr);
		if (!sp)
			continue;
		nr = min(READ_ONCE(sp->nr), sp->cap);
		/*
		 * The first span whose running maximum end passes addr ends
		 * after addr itself, and every span before it ends at or
		 * before addr; the spans after it start no lower. So it is
		 * the one the access meets first, if it meets any.
		 */
		lo = 0;
		hi = nr;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (sp->span[mid].maxend <= addr)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < nr && sp->span[lo].start < end) {
			*hit = sp->span[lo];
			found = true;
		}
	} while (read_seqcount_retry(&s->seq, seq));
	return found;
}
