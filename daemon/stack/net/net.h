/* SPDX-License-Identifier: MIT */
/*
 * net/net.h - link and network layers of the core: Ethernet II, ARP
 * (RFC 826, RFC 5227 announcements), IPv4 (RFC 791, RFC 1122 §3), fragment
 * reassembly (RFC 791 §3.2, RFC 815) and ICMP (RFC 792, RFC 1122 §3.2.2).
 *
 * struct net_state is embedded in struct stack. The policies (timers, limits,
 * which packets are dropped and which ICMP errors are sent) are documented in
 * net/README.md; the constants live in the module headers (arp.h, ip_reasm.h,
 * icmp.h).
 */
#ifndef SYNACK_NET_H
#define SYNACK_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../stack.h"

struct stack;
struct stack_pkt;
struct arp_entry;
struct ip_reasm_slot;

struct net_state {
	/* ARP cache (arp.c): a fixed table allocated at init */
	struct arp_entry *arp;
	unsigned arp_hint;	 /* index of the entry found last, looked at first */
	unsigned arp_pending;	 /* entries waiting for a reply (ARP_INCOMPLETE) */
	size_t arp_queued_bytes; /* bytes of frames waiting for resolution */
	/* IPv4 fragment reassembly (ip_reasm.c) */
	struct ip_reasm_slot *reasm;
	size_t reasm_bytes; /* bytes held by fragments, bookkeeping included */
	/* IPv4 output (ipv4.c) */
	uint8_t *fragbuf; /* one Ethernet frame of MTU size, for output fragmentation */
	uint16_t ip_id;	  /* next Identification value */
	/* ICMP error rate limit (icmp.c): a token bucket counted in microseconds */
	stack_time_us icmp_credit;
	stack_time_us icmp_last;
};

int net_init(struct stack *s, stack_time_us now);
void net_deinit(struct stack *s);
/* An Ethernet frame from the link. */
void eth_input(struct stack *s, stack_time_us now, const uint8_t *frame, size_t len,
	       const struct stack_frame_meta *meta);
/*
 * Route, resolve and send an IPv4 packet built in p->buf (see stack_internal.h).
 * Returns 0 when the frame was sent or queued for ARP resolution, -ENETUNREACH
 * when there is no route, -EMSGSIZE when it is too big and may not be
 * fragmented, -ENOBUFS when the ARP queue is full, or the sink's error.
 */
int ip4_output(struct stack *s, stack_time_us now, struct stack_pkt *p);
/* Timers of the net layers (ARP expiry/retries, reassembly timeouts). */
void net_poll(struct stack *s, stack_time_us now);
stack_time_us net_poll_at(const struct stack *s);
/* Send an ICMP destination unreachable quoting the datagram ip_hdr (rate-limited). */
void icmp_send_unreach(struct stack *s, stack_time_us now, uint8_t code, const uint8_t *ip_hdr,
		       size_t len);
/*
 * Install a permanent ARP entry (never expires, never overwritten by ARP
 * traffic); frames waiting for addr are sent at once. For tests and the
 * simulator. -EINVAL for a bad address or MAC, -ENOSPC when the table is full.
 */
int net_arp_seed(struct stack *s, stack_time_us now, uint32_t addr, const uint8_t mac[6]);

#endif
