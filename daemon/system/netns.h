/* SPDX-License-Identifier: MIT */
/*
 * netns.h - run synackd inside another network namespace (the sidecar
 * case): enter it before the TAP, netlink or any other socket is opened.
 */
#ifndef SYNACKD_NETNS_H
#define SYNACKD_NETNS_H

/* setns() into the network namespace at path (e.g. /run/netns/NAME). */
int netns_enter(const char *path);

#endif
