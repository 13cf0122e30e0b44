/* SPDX-License-Identifier: MIT */
/*
 * net/ipv4.h - IPv4 input and output inside the net layer (RFC 791,
 * RFC 1122 §3.2.1, §3.3). Policy: net/README.md.
 */
#ifndef SYNACK_NET_IPV4_H
#define SYNACK_NET_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../stack.h"

struct ip4_rx;

#define IP4_PROTO_ICMP 1
#define IP4_PROTO_TCP  6
#define IP4_PROTO_UDP  17

#define IP4_FLAG_DF	0x4000
#define IP4_FLAG_MF	0x2000
#define IP4_OFF_MASK	0x1fff
#define IP4_TTL_DEFAULT 64
#define IP4_HLEN_MAX	60

#define IP4_BROADCAST 0xffffffffu

/* What Ethernet input tells IPv4 about the frame a datagram came in. */
struct eth_rx {
	const uint8_t *src_mac;
	bool link_bcast; /* sent to ff:ff:ff:ff:ff:ff */
	const struct stack_frame_meta *meta;
};

int ip4_init(struct stack *s, stack_time_us now);
void ip4_deinit(struct stack *s);
/* An IPv4 datagram (the Ethernet payload, padding included). */
void ip4_input(struct stack *s, stack_time_us now, const uint8_t *pkt, size_t len,
	       const struct eth_rx *erx);
/* Hand a whole datagram addressed to us (reassembled or not) to its protocol. */
void ip4_deliver(struct stack *s, stack_time_us now, const struct ip4_rx *rx, const uint8_t *data,
		 size_t len, bool bcast);

/* A broadcast destination: limited broadcast or our subnet's directed broadcast. */
bool ip4_addr_is_bcast(const struct stack *s, uint32_t addr);
/* A possible unicast host: not 0/8, 127/8, multicast, class E or a broadcast. */
bool ip4_addr_is_unicast(const struct stack *s, uint32_t addr);

#endif
