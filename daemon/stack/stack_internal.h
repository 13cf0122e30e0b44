/* SPDX-License-Identifier: MIT */
/*
 * stack_internal.h - the layout of struct stack and the calls the core's
 * modules make to each other. Included by daemon/stack/ sources and by unit
 * tests of the core; never by the daemon shell.
 *
 * Layering inside the core:
 *   stack_input -> eth_input -> arp_input | ip4_input -> icmp_input | tcp_input
 *   tcp/icmp output -> ip4_output (route, ARP resolve or queue) -> eth -> sink
 */
#ifndef SYNACK_STACK_INTERNAL_H
#define SYNACK_STACK_INTERNAL_H

#include "stack.h"
#include "net/net.h"
#include "tcp/tcp.h"

/* Room in front of an L4 header for Ethernet (14) and an IPv4 header without options (20). */
#define STACK_ETH_HLEN	 14
#define STACK_IP4_HLEN	 20
#define STACK_L4_OFF	 (STACK_ETH_HLEN + STACK_IP4_HLEN)
/* Largest IPv4 datagram, and so the largest L4 payload we ever build. */
#define STACK_IP4_MAX	 65535u
#define STACK_TXBUF_SIZE (STACK_ETH_HLEN + STACK_IP4_MAX)

/*
 * An outgoing IPv4 packet being built in place: the L4 header and payload are
 * written at buf + STACK_L4_OFF, and ip4_output() fills the IPv4 and Ethernet
 * headers in front of them. ip4_output() copies the frame if it must wait for
 * ARP, so buf can be reused once it returns.
 */
struct stack_pkt {
	uint8_t *buf;
	size_t l4_len;
	uint32_t src, dst; /* host order; src 0 = our address */
	uint8_t proto;
	uint8_t tos;
	bool dont_fragment;
	struct stack_frame_meta meta; /* csum/gso requests, offsets relative to buf */
	/* the last bytes of the L4 payload (counted in l4_len) left in the send
	 * ring instead of buf, which has room for them (stack_emit_tail) */
	const struct stack_frame_tail *tail;
};

/* What IPv4 input tells an upper protocol about the datagram it delivers. */
struct ip4_rx {
	uint32_t src, dst; /* host order */
	uint8_t tos, ttl;
	bool csum_valid; /* the link already verified the L4 checksum */
	bool csum_partial;
	const uint8_t *ip_hdr; /* the IPv4 header, for ICMP errors quoting it */
	size_t ip_hlen;
};

struct stack {
	struct stack_config cfg;
	struct stack_env env;
	struct stack_counters ctr;
	bool link_blocked;
	bool in_batch;	/* between stack_input_batch_begin() and _end() */
	uint64_t rng;	/* splitmix64 state from env.seed */
	uint8_t *txbuf; /* STACK_TXBUF_SIZE bytes, scratch for building one frame */
	struct net_state net;
	struct tcp_state tcp;
};

#define STACK_INC(s, name)    ((s)->ctr.v[STACK_CTR_##name]++)
#define STACK_ADD(s, name, n) ((s)->ctr.v[STACK_CTR_##name] += (n))
#define STACK_DEC(s, name)    ((s)->ctr.v[STACK_CTR_##name]--)

void *stack_alloc(struct stack *s, size_t size);
void *stack_zalloc(struct stack *s, size_t size);
void stack_free(struct stack *s, void *ptr, size_t size);
/* Next value of the core's PRNG (splitmix64); deterministic for a seed. */
uint64_t stack_random(struct stack *s);
/* Hand a frame to the sink, counting it; returns the sink's result. */
int stack_emit(struct stack *s, const uint8_t *frame, size_t len,
	       const struct stack_frame_meta *meta);
/* The same for a frame of len bytes whose last ones are tail's (NULL: none):
 * through the sink's emit_tail, or copied into frame, which has room, for emit. */
int stack_emit_tail(struct stack *s, uint8_t *frame, size_t len,
		    const struct stack_frame_tail *tail, const struct stack_frame_meta *meta);
/* Can TCP output leave payloads in the send ring (stack_frame_tail)? */
bool stack_can_emit_tail(const struct stack *s);
/* Call the trace hook if there is one. */
void stack_trace(struct stack *s, const struct stack_trace *t);

/* Is addr on our subnet? */
bool stack_on_link(const struct stack *s, uint32_t addr);

/* Memory helpers: the core may not call libc beyond mem* (see tests/lint). */
#define stack_min(a, b) ((a) < (b) ? (a) : (b))
#define stack_max(a, b) ((a) > (b) ? (a) : (b))

#endif
