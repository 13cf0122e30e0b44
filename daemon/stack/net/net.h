/* SPDX-License-Identifier: MIT */
/*
 * net/net.h - link and network layers of the core: Ethernet II, ARP
 * (RFC 826, RFC 5227 announcements), IPv4 (RFC 791, RFC 1122 §3), fragment
 * reassembly (RFC 791 §3.2, RFC 815) and ICMP (RFC 792, RFC 1122 §3.2.2).
 *
 * struct net_state is embedded in struct stack.
 */
#ifndef SYNACK_NET_H
#define SYNACK_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../stack.h"

struct stack;
struct stack_pkt;

struct net_state {
	int placeholder; /* replaced by the ARP cache, reassembly slots, ICMP rate limit */
};

int net_init(struct stack *s, stack_time_us now);
void net_deinit(struct stack *s);
/* An Ethernet frame from the link. */
void eth_input(struct stack *s, stack_time_us now, const uint8_t *frame, size_t len,
	       const struct stack_frame_meta *meta);
/* Route, resolve and send an IPv4 packet built in p->buf (see stack_internal.h). */
int ip4_output(struct stack *s, stack_time_us now, struct stack_pkt *p);
/* Timers of the net layers (ARP expiry/retries, reassembly timeouts). */
void net_poll(struct stack *s, stack_time_us now);
stack_time_us net_poll_at(const struct stack *s);
/* Send an ICMP destination unreachable quoting the datagram ip_hdr (rate-limited). */
void icmp_send_unreach(struct stack *s, stack_time_us now, uint8_t code, const uint8_t *ip_hdr,
		       size_t len);

#endif
