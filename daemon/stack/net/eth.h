/* SPDX-License-Identifier: MIT */
/*
 * net/eth.h - Ethernet II framing shared by the net modules (IEEE 802.3
 * Ethernet II / RFC 894 encapsulation of IPv4).
 */
#ifndef SYNACK_NET_ETH_H
#define SYNACK_NET_ETH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../wire.h"

#define ETH_ALEN      6
#define ETH_HLEN      14
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP  0x0806

static const uint8_t eth_broadcast_addr[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static inline bool eth_addr_is_broadcast(const uint8_t *a)
{
	return memcmp(a, eth_broadcast_addr, ETH_ALEN) == 0;
}

/* The group bit: multicast and broadcast addresses. */
static inline bool eth_addr_is_group(const uint8_t *a)
{
	return (a[0] & 1) != 0;
}

static inline bool eth_addr_is_zero(const uint8_t *a)
{
	static const uint8_t zero[ETH_ALEN];

	return memcmp(a, zero, ETH_ALEN) == 0;
}

/* Write an Ethernet II header at frame. */
static inline void eth_fill(uint8_t *frame, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(frame, dst, ETH_ALEN);
	memcpy(frame + ETH_ALEN, src, ETH_ALEN);
	wire_put16(frame + 2 * ETH_ALEN, type);
}

#endif
