// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mpx_tracefs - the mpx events in a tracefs instance of one's own
 * (see mpx_tracefs.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpx_tracefs.h"

static const char *const tracefs_roots[] = {
	"/sys/kernel/tracing",
	"/sys/kernel/debug/tracing",
};

const char *mpx_tracefs_root(void)
{
	char path[64];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(tracefs_roots) / sizeof(*tracefs_roots); i++) {
		snprintf(path, sizeof(path), "%s/instances", tracefs_roots[i]);
		if (!stat(path, &st))
			return tracefs_roots[i];
		if (errno != ENOENT)
			return NULL;
	}
	return NULL;
}

int mpx_write_str(const char *path, const char *val)
{
	ssize_t n = strlen(val);
	int fd, err;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	errno = 0;
	if (write(fd, val, n) != n) {
		err = errno ? errno : EIO;
		close(fd);
		errno = err;
		return -1;
	}
	return close(fd);
}

int mpx_instance_make(struct mpx_instance *in, const char *root,
		      const char *name)
{
	char path[sizeof(in->path)];

	if (snprintf(path, sizeof(path), "%s/instances/%s", root, name) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdir(path, 0700))
		return -1;
	memcpy(in->path, path, sizeof(path));
	return 0;
}

int mpx_instance_write(const struct mpx_instance *in, const char *rel,
		       const char *val)
{
	char path[sizeof(in->path) + 64];

	snprintf(path, sizeof(path), "%s/%s", in->path, rel);
	return mpx_write_str(path, val);
}

int mpx_instance_event_write(const struct mpx_instance *in,
			     const char *event, const char *file,
			     const char *val)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "events/mpx/%s/%s", event, file);
	return mpx_instance_write(in, rel, val);
}

int mpx_instance_event_enabled(const struct mpx_instance *in,
			       const char *event)
{
	char path[sizeof(in->path) + 64], val = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/events/mpx/%s/enable", in->path,
		 event);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (read(fd, &val, 1) != 1)
		val = 0;
	close(fd);
	return val == '1';
}

int mpx_instance_remove(struct mpx_instance *in)
{
	if (!in->path[0])
		return 0;
	mpx_instance_write(in, "events/mpx/enable", "0");
	if (rmdir(in->path))
		return -1;
	in->path[0] = '\0';
	return 0;
}
