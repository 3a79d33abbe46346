/* SPDX-License-Identifier: GPL-2.0 */
/* mpx_spans.c: a set of regions, searched without a lock. */
#ifndef _MPX_SPANS_H
#define _MPX_SPANS_H

#include <linux/rcupdate.h>
#include <linux/seqlock.h>
#include <linux/types.h>

struct mpx_spans;

/**
 * struct mpx_span - one region of a set
 * @start: its first byte
 * @end: one past its last byte
 * @maxend: the largest @end of this span and all before it in the set
 * @key: the key whose region it is
 */
struct mpx_span {
	unsigned long start;
	unsigned long end;
	unsigned long maxend;
	u32 key;
};

/**
 * struct mpx_span_set - regions (possibly overlapping) and their keys
 * @arr: the sorted array of spans (RCU), NULL before the first insert
 * @seq: bumped around every change made in place in @arr
 *
 * The caller serializes the writers (mpx_spans_insert(), _remove(),
 * _move(), _clear()), with a lock of its own. Readers (mpx_spans_exact(),
 * _first()) take no lock, only rcu_read_lock(), and may run in any
 * context: with interrupts off, or in a probe handler.
 */
struct mpx_span_set {
	struct mpx_spans __rcu *arr;
	seqcount_t seq;
};

void mpx_spans_init(struct mpx_span_set *s);
int mpx_spans_insert(struct mpx_span_set *s, unsigned long start,
		     unsigned long end, u32 key);
void mpx_spans_remove(struct mpx_span_set *s, unsigned long start,
		      unsigned long end, u32 key);
void mpx_spans_move(struct mpx_span_set *s, u32 key, unsigned long start,
		    unsigned long end, unsigned long new_start,
		    unsigned long new_end);
void mpx_spans_clear(struct mpx_span_set *s);
u32 mpx_spans_exact(struct mpx_span_set *s, unsigned long start,
		    unsigned long end);
bool mpx_spans_first(struct mpx_span_set *s, unsigned long addr,
		     unsigned long end, struct mpx_span *hit);

#endif /* _MPX_SPANS_H */
