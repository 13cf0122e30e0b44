/* SPDX-License-Identifier: MIT */
/*
 * tap.c - open, attach to or adopt a TAP device (drivers/net/tun.c).
 *
 * TUNSETIFF both creates a TAP and attaches to an existing persistent one;
 * attaching needs no capability when the TAP's owner (or group) is our
 * euid (egid). With IFF_VNET_HDR every frame carries a 10-byte virtio-net
 * header (vnet.h); the kernel accepts checksum and GSO requests on frames we
 * write as soon as the header is on, while TUNSETOFFLOAD says which we
 * accept on frames it hands us: TUN_F_CSUM (partial checksums) and
 * TUN_F_TSO4 (TCPv4 super-frames up to 64 KiB).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"
#include "vnet.h"

static int tap_set_offload(struct tap *t)
{
	int hdr_len = VNET_HDR_LEN;

	if (ioctl(t->fd, TUNSETVNETHDRSZ, &hdr_len) < 0)
		return -errno;
	if (ioctl(t->fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4) < 0)
		return -errno;
	t->rx_csum = true;
	t->rx_tso = true;
	return 0;
}

/* Name, index and the kernel side's MAC of an attached fd. */
static int tap_describe(struct tap *t)
{
	struct ifreq ifr = { 0 };

	if (ioctl(t->fd, TUNGETIFF, &ifr) < 0)
		return -errno;
	if (!(ifr.ifr_flags & IFF_TAP))
		return -EINVAL;
	memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
	t->name[IFNAMSIZ - 1] = '\0';
	t->vnet_hdr = ifr.ifr_flags & IFF_VNET_HDR;
	t->ifindex = if_nametoindex(t->name);
	if (t->ifindex == 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(t->fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		return -EINVAL;
	memcpy(t->kernel_mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static int tap_attach(struct tap *t, const char *name, bool vnet_hdr)
{
	struct ifreq ifr = { 0 };
	int r;

	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0)
		return log_errno(-errno, "cannot open /dev/net/tun");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0);
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		if (r == -EPERM)
			log_err("TAP %s: not allowed: it does not exist and we lack CAP_NET_ADMIN "
				"to "
				"create it, or it exists and belongs to another user",
				name);
		else if (r == -EINVAL || r == -EBUSY)
			log_errno(r,
				  "TAP %s: cannot attach (a TUN device, a multi-queue TAP, or "
				  "in use?)",
				  name);
		else
			log_errno(r, "TAP %s: TUNSETIFF failed", name);
		tap_close(t);
		return r;
	}
	r = tap_describe(t);
	if (r < 0) {
		log_errno(r, "TAP %s: cannot read its name, index or MAC", name);
		tap_close(t);
		return r;
	}
	return 0;
}

int tap_open(struct tap *t, const char *name, bool offload)
{
	int r;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	r = tap_attach(t, name, offload);
	if (r < 0 || !offload)
		return r;
	r = tap_set_offload(t);
	if (r == 0)
		return 0;
	log_errno_at(LOG_WARNING, r, "TAP %s: offloads refused, falling back to plain frames",
		     name);
	tap_close(t);
	return tap_attach(t, name, false);
}

int tap_adopt(struct tap *t, int fd, bool offload)
{
	int flags, r;

	memset(t, 0, sizeof(*t));
	t->fd = fd;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		r = -errno;
		goto fail;
	}
	r = tap_describe(t);
	if (r < 0)
		goto fail;
	if (t->vnet_hdr != offload)
		log_notice("TAP %s from the fd store has offloads %s; restart with the fd store "
			   "cleared to change that",
			   t->name, t->vnet_hdr ? "on" : "off");
	if (t->vnet_hdr) {
		r = tap_set_offload(t);
		if (r < 0)
			log_errno_at(LOG_WARNING, r, "TAP %s: receive offloads refused", t->name);
	}
	return 0;
fail:
	log_errno(r, "stored TAP fd %d is unusable", fd);
	tap_close(t);
	return r;
}

void tap_close(struct tap *t)
{
	if (t && t->fd >= 0) {
		close(t->fd);
		t->fd = -1;
	}
}
