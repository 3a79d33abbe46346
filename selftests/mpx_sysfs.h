/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mpx_sysfs.h - the module's files for the selftests: debugfs mpx/state
 * (module-wide counters, one "name value" a line) and writable files
 * (module parameters, tracefs switches).
 */
#ifndef MPX_SYSFS_H
#define MPX_SYSFS_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define STATE_FILE	"/sys/kernel/debug/mpx/state"

/* A number from debugfs mpx/state, -1 if it or the file is absent. */
static inline long state_value(const char *name)
{
	FILE *f = fopen(STATE_FILE, "r");
	char key[64], line[128];
	long val, ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", key, &val) == 2 &&
		    !strcmp(key, name))
			ret = val;
	fclose(f);
	return ret;
}

/* Write @val to @path in one write(); 0, or -1 with errno set. */
static inline int write_str(const char *path, const char *val)
{
	ssize_t n = strlen(val);
	int fd, ret;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = write(fd, val, n) == n ? 0 : -1;
	close(fd);
	return ret;
}

#endif /* MPX_SYSFS_H */
