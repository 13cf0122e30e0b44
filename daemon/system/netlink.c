/* SPDX-License-Identifier: MIT */
/*
 * netlink.c - rtnetlink requests for the kernel side of the TAP
 * (RTM_NEWLINK with IFF_UP and IFLA_MTU, RTM_NEWADDR with IFA_LOCAL and
 * IFA_ADDRESS), each sent with NLM_F_ACK and answered by one NLMSG_ERROR.
 * Needs CAP_NET_ADMIN in the TAP's network namespace: -EPERM otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink.h"

#define NETLINK_BUF 512

struct netlink_req {
	struct nlmsghdr *nh;
	size_t cap;
};

static void *netlink_put(struct netlink_req *q, size_t len)
{
	size_t at = NLMSG_ALIGN(q->nh->nlmsg_len);
	void *p;

	if (at + NLMSG_ALIGN(len) > q->cap)
		return NULL;
	p = (uint8_t *)q->nh + at;
	memset(p, 0, NLMSG_ALIGN(len));
	q->nh->nlmsg_len = at + len;
	return p;
}

static int netlink_attr(struct netlink_req *q, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a = netlink_put(q, RTA_LENGTH(len));

	if (!a)
		return -ENOBUFS;
	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	return 0;
}

/* Send one request and wait for its acknowledgement. */
static int netlink_transact(struct nlmsghdr *nh)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	uint8_t buf[NETLINK_BUF];
	int fd, r;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	nh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nh->nlmsg_seq = 1;
	if (sendto(fd, nh, nh->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		r = -errno;
		goto out;
	}
	for (int tries = 0; tries < 8; tries++) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *rh = (struct nlmsghdr *)buf;
		int rem = (int)n;

		if (n < 0) {
			r = -errno;
			goto out;
		}
		for (; NLMSG_OK(rh, rem); rh = NLMSG_NEXT(rh, rem)) {
			if (rh->nlmsg_seq != nh->nlmsg_seq || rh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (rh->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
				r = -EPROTO;
				goto out;
			}
			r = ((struct nlmsgerr *)NLMSG_DATA(rh))->error;
			goto out;
		}
	}
	r = -EPROTO;
out:
	close(fd);
	return r;
}

int netlink_link_up(unsigned ifindex, uint32_t mtu)
{
	uint8_t buf[NETLINK_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct netlink_req q = { .nh = (struct nlmsghdr *)buf, .cap = sizeof(buf) };
	struct ifinfomsg *ifi;

	memset(buf, 0, sizeof(struct nlmsghdr));
	q.nh->nlmsg_len = NLMSG_HDRLEN;
	q.nh->nlmsg_type = RTM_NEWLINK;
	ifi = netlink_put(&q, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (netlink_attr(&q, IFLA_MTU, &mtu, sizeof(mtu)) < 0)
		return -ENOBUFS;
	return netlink_transact(q.nh);
}

int netlink_addr_add(unsigned ifindex, uint32_t addr, uint8_t prefix_len)
{
	uint8_t buf[NETLINK_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct netlink_req q = { .nh = (struct nlmsghdr *)buf, .cap = sizeof(buf) };
	uint32_t be = htonl(addr);
	struct ifaddrmsg *ifa;
	int r;

	memset(buf, 0, sizeof(struct nlmsghdr));
	q.nh->nlmsg_len = NLMSG_HDRLEN;
	q.nh->nlmsg_type = RTM_NEWADDR;
	q.nh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifa = netlink_put(&q, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix_len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	if (netlink_attr(&q, IFA_LOCAL, &be, sizeof(be)) < 0 ||
	    netlink_attr(&q, IFA_ADDRESS, &be, sizeof(be)) < 0)
		return -ENOBUFS;
	r = netlink_transact(q.nh);
	return r == -EEXIST ? 0 : r;
}
