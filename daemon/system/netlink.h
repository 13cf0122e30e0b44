/* SPDX-License-Identifier: MIT */
/*
 * netlink.h - configure the kernel side of the TAP over rtnetlink: link up,
 * MTU, and the kernel's own address. A raw NETLINK_ROUTE socket keeps the
 * unit's RestrictAddressFamilies= at AF_UNIX AF_NETLINK (no AF_INET ioctls).
 */
#ifndef SYNACKD_NETLINK_H
#define SYNACKD_NETLINK_H

#include <stdint.h>

/* Set the MTU and bring the link up (RTM_NEWLINK). */
int netlink_link_up(unsigned ifindex, uint32_t mtu);
/* Give the link addr/prefix_len (host order) (RTM_NEWADDR); an existing one is fine. */
int netlink_addr_add(unsigned ifindex, uint32_t addr, uint8_t prefix_len);

#endif
