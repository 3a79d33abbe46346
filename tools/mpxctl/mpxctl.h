/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mpxctl: its commands, one file each (mpxctl.c: info; demo.c; watch.c),
 * and what they share.
 */
#ifndef MPXCTL_H
#define MPXCTL_H

#include <stddef.h>

/* The module's parameters: probes, remote, ... */
#define MPX_PARAM_DIR	"/sys/module/mpx/parameters/"

/*
 * The value of the module parameter @name, without its newline, into
 * @buf; 0, or -1 with errno set (ENOENT: no such parameter, or the
 * module is not loaded).
 */
int mpx_param(const char *name, char *buf, size_t size);

/* The remote-access policy (deny, report, off), or NULL if unknown. */
const char *mpx_remote_policy(char *buf, size_t size);

int cmd_demo(void);
int cmd_watch(int argc, char **argv);
extern const char watch_usage[];

#endif /* MPXCTL_H */
