/* SPDX-License-Identifier: MIT */
/*
 * net/arp.h - the ARP cache and resolver (RFC 826, RFC 1122 §2.3.2,
 * RFC 5227 §2.3 announcements). Policy and timers: net/README.md.
 */
#ifndef SYNACK_NET_ARP_H
#define SYNACK_NET_ARP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../stack.h"

#define ARP_CACHE_SIZE	    64		 /* entries, allocated once at init */
#define ARP_PENDING_MAX	    16		 /* addresses being resolved at once */
#define ARP_QUEUE_PER_ADDR  4		 /* frames waiting per unresolved address */
#define ARP_QUEUE_BYTES_MAX (256u << 10) /* frames waiting, all addresses together */
#define ARP_REACHABLE_US    30000000ull	 /* an answer is trusted this long */
#define ARP_REFRESH_US	    5000000ull	 /* in use this close to expiry: unicast poll */
#define ARP_RETRY_US	    1000000ull	 /* between requests for an unresolved address */
#define ARP_TRIES	    3		 /* requests before resolution fails */
#define ARP_PKT_LEN	    28		 /* Ethernet/IPv4 ARP packet */

enum arp_state {
	ARP_FREE = 0,
	ARP_INCOMPLETE, /* request sent, frames may be waiting */
	ARP_REACHABLE,	/* resolved until expires */
	ARP_PERMANENT,	/* seeded: never expires, never overwritten */
};

struct arp_qframe;

struct arp_entry {
	uint32_t addr;
	uint8_t mac[6];
	uint8_t state; /* enum arp_state */
	uint8_t tries; /* requests sent (INCOMPLETE) */
	uint8_t nqueued;
	stack_time_us expires; /* REACHABLE: no longer usable from then on */
	stack_time_us
		next_tx;    /* INCOMPLETE: next request or failure; REACHABLE: next poll allowed */
	stack_time_us used; /* last use for output, for LRU eviction */
	struct arp_qframe *qhead, *qtail;
};

int arp_init(struct stack *s, stack_time_us now);
void arp_deinit(struct stack *s);
/* An ARP packet (the Ethernet payload). */
void arp_input(struct stack *s, stack_time_us now, const uint8_t *pkt, size_t len);
/*
 * Send an Ethernet frame whose source MAC and type are filled to the IPv4
 * next hop: the destination MAC is written and the frame emitted when the
 * next hop is resolved, otherwise a copy waits for resolution. 0 when sent or
 * queued, -ENOBUFS when the queue is full, -EHOSTUNREACH when no resolution
 * can be started, or the sink's error. meta may be NULL (a plain frame).
 * tail, when not NULL, holds the frame's last bytes (stack_emit_tail); a frame
 * that waits is made whole first.
 */
int arp_output(struct stack *s, stack_time_us now, uint32_t nexthop, uint8_t *frame, size_t len,
	       const struct stack_frame_meta *meta, const struct stack_frame_tail *tail);
/* IPv4 traffic from addr with source MAC mac: evidence that a cached entry is still right. */
void arp_confirm(struct stack *s, stack_time_us now, uint32_t addr, const uint8_t *mac);
void arp_poll(struct stack *s, stack_time_us now);
stack_time_us arp_poll_at(const struct stack *s);

#endif
