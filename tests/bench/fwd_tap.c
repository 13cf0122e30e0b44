/* SPDX-License-Identifier: MIT */
/*
 * fwd_tap.c - attach the forwarder to a TAP in a named network namespace
 * (see fwd_tap.h). setns() there, TUNSETIFF on the persistent TAP the
 * harness made, setns() back: the fd stays bound to the TAP wherever we are.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fwd_tap.h"

static int fwd_tap_setns(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int fwd_tap_attach(const char *name, bool offload)
{
	struct ifreq ifr = { 0 };
	int hdr_len = FWD_VNET_HDR_LEN;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	/* without IFF_VNET_HDR and TUNSETOFFLOAD the kernel hands us wire-sized frames */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
	if (strlen(name) >= IFNAMSIZ) {
		close(fd);
		return -ENAMETOOLONG;
	}
	strcpy(ifr.ifr_name, name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 ||
	    (offload && (ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) < 0 ||
			 ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4) < 0))) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

int fwd_tap_open(const char *spec, bool offload)
{
	const char *slash = strchr(spec, '/');
	char path[PATH_MAX];
	int home, fd, r;

	if (!slash)
		return fwd_tap_attach(spec, offload);
	if (snprintf(path, sizeof(path), "/run/netns/%.*s", (int)(slash - spec), spec) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0)
		return -errno;
	r = fwd_tap_setns(path);
	fd = r < 0 ? r : fwd_tap_attach(slash + 1, offload);
	if (r == 0 && setns(home, CLONE_NEWNET) < 0) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		fd = r;
	}
	close(home);
	return fd;
}
