/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mpx_uspace.h - where the calling process's user address space ends, for
 * the tests of regions beyond it (EINVAL) and the fuzzer's model.
 */
#ifndef MPX_USPACE_H
#define MPX_USPACE_H

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <linux/types.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

/*
 * The first address above user space, as a power of two: the largest
 * 2^bits whose second-to-last page can be mapped (or is mapped already).
 * x86-64: 2^47 (TASK_SIZE is a page below it), 2^56 when the kernel runs
 * 5-level paging; arm64: 2^48 with 48-bit virtual addresses (Debian's),
 * 2^39 or 2^42 with smaller ones; 32-bit processes: 2^32. The last page
 * or two below it may go either way (x86's guard page).
 */
static inline __u64 mpx_user_space_end(long page)
{
#if __SIZEOF_POINTER__ == 8
	static const int bits[] = { 56, 52, 48, 47, 42, 39 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bits); i++) {
		uintptr_t at = (1UL << bits[i]) - 2 * page;
		void *p = mmap((void *)at, page, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS |
			       MAP_FIXED_NOREPLACE, -1, 0);

		if (p == MAP_FAILED) {
			if (errno == EEXIST)
				return 1ULL << bits[i];
			continue;
		}
		munmap(p, page);
		if ((uintptr_t)p == at)
			return 1ULL << bits[i];
	}
#else
	(void)page;
#endif
	return 1ULL << 32;
}

#endif /* MPX_USPACE_H */
