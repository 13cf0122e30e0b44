/* SPDX-License-Identifier: MIT */
/*
 * netns.c - enter a network namespace by path (see netns.h). Needs
 * CAP_SYS_ADMIN over the namespace's user namespace; `ip netns exec NAME
 * synackd` is the alternative that needs nothing from synackd.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "log.h"
#include "netns.h"

int netns_enter(const char *path)
{
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_errno(-errno, "network namespace %s", path);
	if (setns(fd, CLONE_NEWNET) < 0)
		r = log_errno(-errno, "cannot enter network namespace %s", path);
	close(fd);
	if (r == 0)
		log_info("running in network namespace %s", path);
	return r;
}
