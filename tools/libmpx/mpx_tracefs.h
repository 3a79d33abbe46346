/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mpx_tracefs - the mpx events in a tracefs instance of one's own.
 *
 * A monitor (mpxctl watch) and the event selftests each trace in an
 * instance, instances/NAME, so that they never share a ring buffer, an
 * event's enable or its filter with anyone. Not part of the mpx() API of
 * libmpx.h; it lives in libmpx.a so that the tools and the tests link one
 * copy. Every function returns 0 (or what it says) on success, -1 with
 * errno set on failure.
 */
#ifndef MPX_TRACEFS_H
#define MPX_TRACEFS_H

#include <limits.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An instance; an empty path while it is not made. */
struct mpx_instance {
	char path[PATH_MAX];
};

/*
 * The tracefs mount: /sys/kernel/tracing, else the old place under
 * debugfs. NULL with errno ENOENT when neither is mounted, or with the
 * errno that kept it from being looked at (EACCES: not root).
 */
const char *mpx_tracefs_root(void);

/* Write @val to @path in one write(); errno is the write's on failure. */
int mpx_write_str(const char *path, const char *val);

/* Make the instance @root/instances/@name (mode 0700). */
int mpx_instance_make(struct mpx_instance *in, const char *root,
		      const char *name);

/* Write @val to the instance's file @rel (e.g. "options/raw"). */
int mpx_instance_write(const struct mpx_instance *in, const char *rel,
		       const char *val);

/* Write @val to events/mpx/@event/@file of the instance. */
int mpx_instance_event_write(const struct mpx_instance *in,
			     const char *event, const char *file,
			     const char *val);

/*
 * Is events/mpx/@event enabled in the instance? 1 or 0; -1 with errno
 * ENOENT when there is no such event (no mpx module loaded).
 */
int mpx_instance_event_enabled(const struct mpx_instance *in,
			       const char *event);

/*
 * Disable every mpx event of the instance (nothing to do when they are
 * gone) and remove it; 0 also when it was never made.
 */
int mpx_instance_remove(struct mpx_instance *in);

#ifdef __cplusplus
}
#endif

#endif /* MPX_TRACEFS_H */
