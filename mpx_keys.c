// SPDX-License-Identifier: GPL-2.0
/*
 * mpx: the per-address-space key table.
 *
 * Keys belong to an address space (struct mm_struct), like pkeys: the
 * threads of a process share them and no other process can reach them, even
 * through an inherited /dev/mpx descriptor, because every operation looks up
 * current->mm. The first CREATE of an address space allocates its struct
 * mpx_mm, registered as an mmu_notifier on the mm; the notifier's release
 * callback, which runs when the address space goes away (exit, exec, kill),
 * frees every key. Module unload frees whatever is left.
 *
 * Key numbers start at 1 and are allocated cyclically from an xarray, so a
 * freed number is not handed out again soon; lookups are O(log n) in the
 * xarray and safe under RCU alone.
 *
 * The enabled keys' regions of an address space are also kept in a span
 * set (mpx_spans.c), changed whenever a key is enabled, disabled or moved
 * while enabled: the remote-access hooks (mpx_remote.c) ask
 * mpx_keys_protected() on every access another process makes, and the #BR
 * notifier mpx_key_by_bounds(), so those lookups are binary searches
 * without a lock.
 *
 * Every allocation a process causes is charged to its memory cgroup
 * (GFP_KERNEL_ACCOUNT, XA_FLAGS_ACCOUNT).
 *
 * Locking:
 *  - mpx_mms_lock (spinlock) guards the global hash of mpx_mm. Lookups walk
 *    it under RCU. An mpx_mm leaves the hash exactly once, by whoever wins
 *    mpx_mm_unhash() (the release callback or module unload); the winner
 *    frees the keys and drops the mmu_notifier reference.
 *  - Creating an mpx_mm is serialized by the address space's own mmap_lock
 *    (taken for writing, killably, around mmu_notifier_get_locked()), so
 *    one process stuck on its mmap_lock cannot delay another's CREATE.
 *  - mpx_mm.lock (mutex) serializes every operation on one address space's
 *    keys. Nests outside mmap_lock (region checks take it for reading).
 *  - Key fields are written under mpx_mm.lock and read either under it or
 *    under RCU with READ_ONCE(): GET and CHECK take no lock. SET replaces
 *    the key by an updated copy, so a reader never sees half a region;
 *    keys are freed after an RCU grace period. The span set's writers are
 *    serialized by mpx_mm.lock.
 *  - An mpx_mm cannot go away during an ioctl: the calling task holds a
 *    reference on its mm (mm_users), so release cannot run, and the open
 *    file pins the module.
 *  - Unload waits until every mpx_mm is freed (mpx_mms_live), including
 *    those whose release callback raced with it, before the module's code
 *    goes away.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait_bit.h>
#include <linux/xarray.h>

#include "mpx_bounds.h"
#include "mpx_keys.h"
#include "mpx_spans.h"
#include "mpx_trace.h"

#define MPX_MM_HASH_BITS	6

/*
 * Key numbers are allocated cyclically from 1 to MPX_KEY_ID_MAX, so a number
 * is handed out again only after 16M allocations in the same process, and
 * never while it is in use.
 */
#define MPX_KEY_ID_MAX		0xffffffU

/* Default and ceiling of the max_keys module parameter. */
#define MPX_MAX_KEYS_DEFAULT	1024
#define MPX_MAX_KEYS_LIMIT	65536

static unsigned int mpx_max_keys = MPX_MAX_KEYS_DEFAULT;

static int mpx_max_keys_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	int ret;

	ret = kstrtouint(val, 0, &n);
	if (ret)
		return ret;
	if (n < 1 || n > MPX_MAX_KEYS_LIMIT)
		return -EINVAL;
	return param_set_uint(val, kp);
}

static const struct kernel_param_ops mpx_max_keys_ops = {
	.set = mpx_max_keys_set,
	.get = param_get_uint,
};

module_param_cb(max_keys, &mpx_max_keys_ops, &mpx_max_keys, 0444);
MODULE_PARM_DESC(max_keys,
		 "Keys one process may hold (default 1024, 1..65536)");

/**
 * struct mpx_key - one key
 * @addr: start of the guarded region
 * @len: its length
 * @enabled: enabled for the whole address space
 * @id: the key number (>= 1)
 * @rcu: for kfree_rcu()
 *
 * Lockless readers (GET, CHECK) read @addr, @len and @enabled, also during
 * the grace period after FREE or SET; @id is read only under mpx_mm.lock
 * while the key is in the table, and @rcu written only once it has left
 * it, so the two share their bytes: 32 bytes a key (kmalloc-32), not 40
 * (kmalloc-64).
 */
struct mpx_key {
	unsigned long addr;
	int len;
	bool enabled;
	union {
		u32 id;
		struct rcu_head rcu;
	};
};

/**
 * struct mpx_mm - the keys of one address space
 * @mn: mmu_notifier on the address space (@mn.mm is the mm)
 * @node: in mpx_mms, keyed by the mm pointer
 * @lock: serializes operations on @keys
 * @keys: key number -> struct mpx_key
 * @next: cursor of the cyclic key allocator
 * @spare: the number the next CREATE takes, reserved in @keys; 0 for none
 * @nr_keys: keys in @keys
 * @nr_enabled: enabled keys in @keys
 * @spans: the enabled keys' regions, for lockless readers
 * @pid: the process that created the first key (for events)
 * @rcu: for kfree_rcu()
 */
struct mpx_mm {
	struct mmu_notifier mn;
	struct hlist_node node;
	struct mutex lock;	/* serializes operations on @keys */
	struct xarray keys;
	u32 next;
	u32 spare;
	unsigned int nr_keys;
	unsigned int nr_enabled;
	struct mpx_span_set spans;
	pid_t pid;
	struct rcu_head rcu;
};

static DEFINE_HASHTABLE(mpx_mms, MPX_MM_HASH_BITS);
static DEFINE_SPINLOCK(mpx_mms_lock);

/* Live keys, enabled keys and address spaces, module-wide (debugfs). */
static atomic_t mpx_nr_keys = ATOMIC_INIT(0);
static atomic_t mpx_nr_enabled = ATOMIC_INIT(0);
static atomic_t mpx_nr_mms = ATOMIC_INIT(0);
/* Allocated mpx_mm not yet freed: unload waits for zero. */
static atomic_t mpx_mms_live = ATOMIC_INIT(0);

/**
 * mpx_keys_max() - the per-process key limit (module parameter max_keys)
 *
 * Return: the limit.
 */
unsigned int mpx_keys_max(void)
{
	return READ_ONCE(mpx_max_keys);
}

/* The mpx_mm of @mm, or NULL; the caller holds rcu_read_lock(). */
static struct mpx_mm *mpx_mm_find_rcu(struct mm_struct *mm)
{
	struct mpx_mm *mmx;

	hash_for_each_possible_rcu(mpx_mms, mmx, node, (unsigned long)mm)
		if (mmx->mn.mm == mm)
			return mmx;
	return NULL;
}

/*
 * The mpx_mm of @mm, or NULL. Without RCU held the result stays valid only
 * while @mm cannot reach release: @mm is the caller's own.
 */
static struct mpx_mm *mpx_mm_lookup(struct mm_struct *mm)
{
	struct mpx_mm *mmx;

	rcu_read_lock();
	mmx = mpx_mm_find_rcu(mm);
	rcu_read_unlock();
	return mmx;
}

static struct mmu_notifier *mpx_mn_alloc(struct mm_struct *mm)
{
	struct mpx_mm *mmx;

	mmx = kzalloc(sizeof(*mmx), GFP_KERNEL_ACCOUNT);
	if (!mmx)
		return ERR_PTR(-ENOMEM);
	mutex_init(&mmx->lock);
	xa_init_flags(&mmx->keys, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	INIT_HLIST_NODE(&mmx->node);
	mpx_spans_init(&mmx->spans);
	atomic_inc(&mpx_mms_live);
	return &mmx->mn;
}

/* From an SRCU callback, after the last mmu_notifier_put(). */
static void mpx_mn_free(struct mmu_notifier *mn)
{
	struct mpx_mm *mmx = container_of(mn, struct mpx_mm, mn);

	xa_destroy(&mmx->keys);
	mutex_destroy(&mmx->lock);
	kfree_rcu(mmx, rcu);
	if (atomic_dec_and_test(&mpx_mms_live))
		wake_up_var(&mpx_mms_live);
}

/* True for the one caller that takes @mmx out of the hash. */
static bool mpx_mm_unhash(struct mpx_mm *mmx)
{
	bool won = false;

	spin_lock(&mpx_mms_lock);
	if (hash_hashed(&mmx->node)) {
		hash_del_rcu(&mmx->node);
		won = true;
	}
	spin_unlock(&mpx_mms_lock);
	return won;
}

/* Free every key of an unhashed mpx_mm and drop its notifier reference. */
static void mpx_mm_reclaim(struct mpx_mm *mmx)
{
	struct mpx_key *k;
	unsigned long id;

	mutex_lock(&mmx->lock);
	xa_for_each(&mmx->keys, id, k) {
		xa_erase(&mmx->keys, id);
		trace_mpx_key(mmx->pid, id, MPX_KEY_RECLAIMED, k->addr,
			      k->len, -1);
		kfree_rcu(k, rcu);
		atomic_dec(&mpx_nr_keys);
	}
	if (mmx->spare) {
		xa_erase(&mmx->keys, mmx->spare);
		mmx->spare = 0;
	}
	WRITE_ONCE(mmx->nr_keys, 0);
	atomic_sub(mmx->nr_enabled, &mpx_nr_enabled);
	mmx->nr_enabled = 0;
	mpx_spans_clear(&mmx->spans);
	mutex_unlock(&mmx->lock);
	atomic_dec(&mpx_nr_mms);
	mmu_notifier_put(&mmx->mn);
}

/* The address space is going away: exit, exec or kill. */
static void mpx_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct mpx_mm *mmx = container_of(mn, struct mpx_mm, mn);

	if (mpx_mm_unhash(mmx))
		mpx_mm_reclaim(mmx);
}

static const struct mmu_notifier_ops mpx_mn_ops = {
	.release = mpx_mn_release,
	.alloc_notifier = mpx_mn_alloc,
	.free_notifier = mpx_mn_free,
};

/* The caller's mpx_mm, or NULL when it never created a key. */
static struct mpx_mm *mpx_mm_current(void)
{
	if (!current->mm)
		return NULL;
	return mpx_mm_lookup(current->mm);
}

static struct mpx_mm *mpx_mm_current_create(void)
{
	struct mm_struct *mm = current->mm;
	struct mmu_notifier *mn;
	struct mpx_mm *mmx;

	if (!mm)
		return ERR_PTR(-EINVAL);
	mmx = mpx_mm_lookup(mm);
	if (mmx)
		return mmx;

	/* The mm's own lock serializes its creators, and only them. */
	if (mmap_write_lock_killable(mm))
		return ERR_PTR(-EINTR);
	mmx = mpx_mm_lookup(mm);
	if (mmx)
		goto out;
	mn = mmu_notifier_get_locked(&mpx_mn_ops, mm);
	if (IS_ERR(mn)) {
		mmx = ERR_CAST(mn);
		goto out;
	}
	mmx = container_of(mn, struct mpx_mm, mn);
	mmx->pid = task_tgid_nr(current);
	atomic_inc(&mpx_nr_mms);
	spin_lock(&mpx_mms_lock);
	hash_add_rcu(mpx_mms, &mmx->node, (unsigned long)mm);
	spin_unlock(&mpx_mms_lock);
out:
	mmap_write_unlock(mm);
	return mmx;
}

/* The key @key of @mmx, under mmx->lock; NULL when not allocated. */
static struct mpx_key *mpx_key_find(struct mpx_mm *mmx, unsigned int key)
{
	lockdep_assert_held(&mmx->lock);
	if (!key || key > MPX_KEY_ID_MAX)
		return NULL;
	return xa_load(&mmx->keys, array_index_nospec(key, MPX_KEY_ID_MAX + 1));
}

/* Every page of [addr, addr + len) is mapped in the caller. */
static int mpx_region_mapped(unsigned long addr, int len)
{
	struct mm_struct *mm = current->mm;
	unsigned long end = addr + len;
	struct vm_area_struct *vma;
	int ret = 0;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	while (addr < end) {
		vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr) {
			ret = -ENOMEM;
			break;
		}
		addr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return ret;
}

static void mpx_key_event(struct mpx_key *k, int action, int bnd)
{
	trace_mpx_key(task_tgid_nr(current), k->id, action, k->addr, k->len,
		      bnd);
}

/*
 * Reserve the number the next CREATE of @mmx takes (under mmx->lock).
 *
 * Numbers are cyclic, so each CREATE takes a number no key has; the leaf
 * of the xarray holding it would be allocated by that CREATE and freed by
 * the FREE of its only key (a process that creates and frees one key at a
 * time), an allocation and an RCU-deferred free each time. The reserved
 * number keeps the leaf it is in: one leaf every 64 numbers instead.
 */
static int mpx_key_reserve(struct mpx_mm *mmx)
{
	int ret;

	lockdep_assert_held(&mmx->lock);
	if (mmx->spare)
		return 0;
	ret = xa_alloc_cyclic(&mmx->keys, &mmx->spare, NULL,
			      XA_LIMIT(1, MPX_KEY_ID_MAX), &mmx->next,
			      GFP_KERNEL_ACCOUNT);
	if (ret < 0) {
		mmx->spare = 0;
		return ret == -EBUSY ? -ENOSPC : ret;
	}
	return 0;
}

int mpx_key_create(unsigned long addr, int len)
{
	struct mpx_key *k;
	struct mpx_mm *mmx;
	int ret;

	ret = mpx_region_mapped(addr, len);
	if (ret)
		return ret;
	mmx = mpx_mm_current_create();
	if (IS_ERR(mmx))
		return PTR_ERR(mmx);

	if (mutex_lock_killable(&mmx->lock))
		return -EINTR;
	if (mmx->nr_keys >= mpx_keys_max()) {
		ret = -ENOSPC;
		goto out;
	}
	k = kzalloc(sizeof(*k), GFP_KERNEL_ACCOUNT);
	if (!k) {
		ret = -ENOMEM;
		goto out;
	}
	ret = mpx_key_reserve(mmx);
	if (ret) {
		kfree(k);
		goto out;
	}
	k->addr = addr;
	k->len = len;
	k->id = mmx->spare;
	mmx->spare = 0;
	/* Publish the key with its id set; the slot exists: no allocation. */
	xa_store(&mmx->keys, k->id, k, GFP_KERNEL_ACCOUNT);
	WRITE_ONCE(mmx->nr_keys, mmx->nr_keys + 1);
	atomic_inc(&mpx_nr_keys);
	mpx_key_event(k, MPX_KEY_CREATED, -1);
	ret = k->id;
	/* Failing here costs nothing: the next CREATE tries again. */
	mpx_key_reserve(mmx);
out:
	mutex_unlock(&mmx->lock);
	return ret;
}

/*
 * Run @fn on key @key of the caller's address space under its lock.
 * ENOENT when the caller has no such key.
 */
static int mpx_key_locked(unsigned int key,
			  int (*fn)(struct mpx_mm *mmx, struct mpx_key *k,
				    void *arg),
			  void *arg)
{
	struct mpx_mm *mmx = mpx_mm_current();
	struct mpx_key *k;
	int ret;

	if (!mmx)
		return -ENOENT;
	if (mutex_lock_killable(&mmx->lock))
		return -EINTR;
	k = mpx_key_find(mmx, key);
	ret = k ? fn(mmx, k, arg) : -ENOENT;
	mutex_unlock(&mmx->lock);
	return ret;
}

struct mpx_region {
	unsigned long addr;
	int len;
};

/*
 * Clear the calling thread's register holding @k's region. Registers are
 * per thread and matched by region, so a register shared by two keys with
 * the same region is cleared for both; ENABLE of the other loads it again.
 */
static int mpx_key_unload(struct mpx_key *k)
{
	if (!mpx_hw_mode())
		return 0;
	return mpx_bnd_unload(k->addr, k->len);
}

/*
 * SET replaces the key by a copy with the new region (copy on write), so
 * that lockless readers (GET, CHECK, under RCU) see the old region or the
 * new one, never half of each.
 */
static int mpx_do_set(struct mpx_mm *mmx, struct mpx_key *k, void *arg)
{
	struct mpx_region *r = arg;
	struct mpx_key *nk;
	int ret;

	ret = mpx_region_mapped(r->addr, r->len);
	if (ret)
		return ret;
	nk = kmemdup(k, sizeof(*k), GFP_KERNEL_ACCOUNT);
	if (!nk)
		return -ENOMEM;
	nk->addr = r->addr;
	nk->len = r->len;
	if (k->enabled && mpx_hw_mode()) {
		ret = mpx_bnd_move(k->addr, k->len, r->addr, r->len);
		if (ret)
			goto free;
	}
	/* Replacing a present entry allocates nothing. */
	xa_store(&mmx->keys, k->id, nk, GFP_KERNEL_ACCOUNT);
	/* The remote protection moves with the key. */
	if (k->enabled)
		mpx_spans_move(&mmx->spans, k->id, k->addr, k->addr + k->len,
			       nk->addr, nk->addr + nk->len);
	kfree_rcu(k, rcu);
	/* Reading the registers costs an XSAVE: only for a consumer. */
	if (trace_mpx_key_enabled())
		mpx_key_event(nk, MPX_KEY_SET, mpx_bnd_find(nk->addr, nk->len));
	return 0;
free:
	kfree(nk);
	return ret;
}

int mpx_key_set(unsigned int key, unsigned long addr, int len)
{
	struct mpx_region r = { .addr = addr, .len = len };

	return mpx_key_locked(key, mpx_do_set, &r);
}

/*
 * A consistent copy of key @key of the caller, without the lock: GET and
 * CHECK only read, so they take no lock but RCU (SET copies on write,
 * ENABLE and DISABLE flip one flag). One RCU section covers the address
 * space's lookup and the key's (xas_load(), not xa_load(), which would
 * take its own). Inlined: GET and CHECK are the hot calls, and a call
 * less is measurable there.
 */
static __always_inline int mpx_key_snapshot(unsigned int key,
					    struct mpx_key *snap)
{
	struct mm_struct *mm = current->mm;
	struct mpx_key *k = NULL;
	struct mpx_mm *mmx;

	if (!mm || !key || key > MPX_KEY_ID_MAX)
		return -ENOENT;
	rcu_read_lock();
	mmx = mpx_mm_find_rcu(mm);
	if (mmx) {
		XA_STATE(xas, &mmx->keys,
			 array_index_nospec(key, MPX_KEY_ID_MAX + 1));

		do {
			k = xas_load(&xas);
			/* A number reserved for CREATE: no key (yet). */
			if (xa_is_zero(k))
				k = NULL;
		} while (xas_retry(&xas, k));
	}
	if (k) {
		snap->id = key;
		snap->addr = READ_ONCE(k->addr);
		snap->len = READ_ONCE(k->len);
		snap->enabled = READ_ONCE(k->enabled);
	}
	rcu_read_unlock();
	return k ? 0 : -ENOENT;
}

int mpx_key_get(unsigned int key, struct mpx_key_info *info)
{
	struct mpx_key k;
	int bnd, ret;

	ret = mpx_key_snapshot(key, &k);
	if (ret)
		return ret;
	bnd = mpx_hw_mode() ? mpx_bnd_find(k.addr, k.len) : -1;
	info->key = k.id;
	info->status = k.enabled ? MPX_STATUS_ENABLED : 0;
	if (bnd >= 0)
		info->status |= MPX_STATUS_HW | bnd << MPX_STATUS_BND_SHIFT;
	info->addr = k.addr;
	info->len = k.len;
	info->bnd = bnd;
	return info->status;
}

/**
 * mpx_key_enable_check() - the errors ENABLE would fail with up front
 * @key: the key to be enabled
 * @need_hw: ENABLE_HW
 *
 * Lockless, so only a hint: mpx_key_enable() checks again under the lock.
 * Lets the caller do nothing costly (arming the remote-access hooks, say)
 * for a call that cannot enable anything.
 *
 * Return: 0, -ENOENT (no such key in the caller's address space), or
 * -EOPNOTSUPP (@need_hw in software mode).
 */
int mpx_key_enable_check(unsigned int key, bool need_hw)
{
	struct mpx_key k;
	int ret;

	ret = mpx_key_snapshot(key, &k);
	if (ret)
		return ret;
	return need_hw && !mpx_hw_mode() ? -EOPNOTSUPP : 0;
}

static int mpx_do_enable(struct mpx_mm *mmx, struct mpx_key *k, void *arg)
{
	bool need_hw = *(bool *)arg;
	bool was_enabled = k->enabled;
	int bnd = -1;

	if (need_hw && !mpx_hw_mode())
		return -EOPNOTSUPP;
	if (mpx_hw_mode()) {
		bnd = mpx_bnd_load(k->addr, k->len);
		if (bnd < 0)
			return bnd;
	}
	if (was_enabled)
		return 0;
	if (mpx_spans_insert(&mmx->spans, k->addr, k->addr + k->len, k->id)) {
		mpx_key_unload(k);
		return -ENOMEM;
	}
	WRITE_ONCE(k->enabled, true);
	mmx->nr_enabled++;
	atomic_inc(&mpx_nr_enabled);
	mpx_key_event(k, MPX_KEY_ENABLED, bnd);
	return 0;
}

int mpx_key_enable(unsigned int key, bool need_hw)
{
	return mpx_key_locked(key, mpx_do_enable, &need_hw);
}

static int mpx_do_disable(struct mpx_mm *mmx, struct mpx_key *k, void *arg)
{
	int ret;

	ret = mpx_key_unload(k);
	if (ret)
		return ret;
	if (k->enabled) {
		WRITE_ONCE(k->enabled, false);
		mmx->nr_enabled--;
		mpx_spans_remove(&mmx->spans, k->addr, k->addr + k->len, k->id);
		atomic_dec(&mpx_nr_enabled);
		mpx_key_event(k, MPX_KEY_DISABLED, -1);
	}
	return 0;
}

int mpx_key_disable(unsigned int key)
{
	return mpx_key_locked(key, mpx_do_disable, NULL);
}

static int mpx_do_free(struct mpx_mm *mmx, struct mpx_key *k, void *arg)
{
	int ret;

	if (k->enabled)
		return -EBUSY;
	/* Another thread disabled it: drop this thread's copy too. */
	ret = mpx_key_unload(k);
	if (ret)
		return ret;
	xa_erase(&mmx->keys, k->id);
	mpx_key_event(k, MPX_KEY_FREED, -1);
	kfree_rcu(k, rcu);
	WRITE_ONCE(mmx->nr_keys, mmx->nr_keys - 1);
	atomic_dec(&mpx_nr_keys);
	return 0;
}

int mpx_key_free(unsigned int key)
{
	return mpx_key_locked(key, mpx_do_free, NULL);
}

int mpx_key_check(unsigned int key, unsigned long addr, int len)
{
	struct mpx_key k;
	int ret;

	ret = mpx_key_snapshot(key, &k);
	if (ret)
		return ret;
	/* Both ranges were validated not to wrap (see mpx_syscall()). */
	if (addr >= k.addr && addr + len <= k.addr + k.len)
		return 0;
	trace_mpx_violation(key, addr, k.addr, k.addr + k.len - 1,
			    MPX_VIOLATION_CHECK);
	return -ERANGE;
}

/**
 * mpx_mm_has_keys() - does @mm hold a key now?
 * @mm: an address space
 *
 * Safe with interrupts off (RCU only).
 *
 * Return: true when @mm holds at least one key.
 */
bool mpx_mm_has_keys(struct mm_struct *mm)
{
	struct mpx_mm *mmx;
	bool ret;

	rcu_read_lock();
	mmx = mpx_mm_find_rcu(mm);
	ret = mmx && READ_ONCE(mmx->nr_keys);
	rcu_read_unlock();
	return ret;
}

/**
 * mpx_key_by_bounds() - the enabled key of @mm guarding exactly [lower, upper]
 * @mm: an address space
 * @lower: first byte of the region
 * @upper: last byte of the region
 *
 * Safe with interrupts off (RCU only); O(log n) in the enabled keys.
 *
 * Return: the key (one of them, when several have that region), or 0 when
 * no enabled key has that region.
 */
u32 mpx_key_by_bounds(struct mm_struct *mm, unsigned long lower,
		      unsigned long upper)
{
	struct mpx_mm *mmx;
	u32 key = 0;

	if (upper == ULONG_MAX)		/* no region ends past the top */
		return 0;
	rcu_read_lock();
	mmx = mpx_mm_find_rcu(mm);
	if (mmx)
		key = mpx_spans_exact(&mmx->spans, lower, upper + 1);
	rcu_read_unlock();
	return key;
}

/**
 * mpx_keys_protected() - does an access meet an enabled key's region?
 * @mm: the address space accessed
 * @addr: start of the access
 * @len: its length, > 0
 * @out: where it meets the first region, when it does
 *
 * Safe in any context (RCU only); O(log n) in the enabled keys of @mm.
 *
 * Return: true when [addr, addr + len) overlaps an enabled key's region.
 */
bool mpx_keys_protected(struct mm_struct *mm, unsigned long addr,
			unsigned long len, struct mpx_protected *out)
{
	unsigned long end = addr + len;
	struct mpx_span hit;
	struct mpx_mm *mmx;
	bool ret = false;

	if (end < addr)		/* a wrapped access ends at the top */
		end = ULONG_MAX;
	rcu_read_lock();
	mmx = mpx_mm_find_rcu(mm);
	if (mmx && mpx_spans_first(&mmx->spans, addr, end, &hit)) {
		out->key = hit.key;
		out->first = max(hit.start, addr);
		out->pid = mmx->pid;
		ret = true;
	}
	rcu_read_unlock();
	return ret;
}

/**
 * mpx_keys_nr_enabled() - enabled keys, module-wide
 *
 * Return: the count.
 */
unsigned int mpx_keys_nr_enabled(void)
{
	return atomic_read(&mpx_nr_enabled);
}

/**
 * mpx_keys_stats() - live keys and address spaces, module-wide
 * @nr_keys: set to the number of keys
 * @nr_mms: set to the number of address spaces holding keys
 */
void mpx_keys_stats(unsigned int *nr_keys, unsigned int *nr_mms)
{
	*nr_keys = atomic_read(&mpx_nr_keys);
	*nr_mms = atomic_read(&mpx_nr_mms);
}

/* Take any mpx_mm out of the hash; NULL when it is empty. */
static struct mpx_mm *mpx_mm_unhash_any(void)
{
	struct mpx_mm *mmx;
	int bkt;

	spin_lock(&mpx_mms_lock);
	hash_for_each(mpx_mms, bkt, mmx, node) {
		hash_del_rcu(&mmx->node);
		spin_unlock(&mpx_mms_lock);
		return mmx;
	}
	spin_unlock(&mpx_mms_lock);
	return NULL;
}

/*
 * Module unload: no file is open, so no call is in flight; processes that
 * still hold keys lose them.
 */
void mpx_keys_exit(void)
{
	struct mpx_mm *mmx;

	while ((mmx = mpx_mm_unhash_any()))
		mpx_mm_reclaim(mmx);
	/*
	 * A release callback may have won an mpx_mm just before us and
	 * queued its mmu_notifier_put() after we looked: wait until every
	 * mpx_mm has reached mpx_mn_free(), then for those callbacks to
	 * return (mmu_notifier_synchronize() is an srcu_barrier()).
	 */
	wait_var_event(&mpx_mms_live, !atomic_read(&mpx_mms_live));
	mmu_notifier_synchronize();
	/* None of our code may run once we return: no mpx_mm is left. */
	WARN_ON_ONCE(atomic_read(&mpx_mms_live));
}
