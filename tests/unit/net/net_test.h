/* SPDX-License-Identifier: MIT */
/*
 * net_test.h - a fixture for the net layer's unit tests: a real struct stack
 * (10.0.0.2/24 via 10.0.0.1, MTU 1500) whose sink records every frame and
 * whose allocator counts bytes so teardown can assert nothing leaked, plus
 * builders for the frames the tests feed it.
 */
#ifndef SYNACK_NET_TEST_H
#define SYNACK_NET_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack_internal.h"

#define NT_ADDR	      0x0a000002u /* 10.0.0.2, the stack */
#define NT_GW	      0x0a000001u /* 10.0.0.1 */
#define NT_PEER	      0x0a000003u /* 10.0.0.3, on-link */
#define NT_FAR	      0x08080808u /* 8.8.8.8, off-link */
#define NT_MTU	      1500
#define NT_MAX_FRAMES 2048
#define NT_T0	      1000000ull /* the time the stack starts */

extern const uint8_t nt_mac[6];	     /* the stack's MAC */
extern const uint8_t nt_gw_mac[6];   /* the gateway's */
extern const uint8_t nt_peer_mac[6]; /* 10.0.0.3's */
extern const uint8_t nt_bcast_mac[6];

struct nt_frame {
	uint8_t *data;
	size_t len;
	struct stack_frame_meta meta;
};

struct nt {
	struct stack *s;
	struct nt_frame frames[NT_MAX_FRAMES];
	size_t nframes;
	size_t alloc_bytes; /* outstanding */
	size_t alloc_calls;
	size_t alloc_fail_after; /* 0 = never fail */
	int emit_result;
};

/* cmocka setup/teardown: *state is a struct nt with a stack started at NT_T0. */
int nt_setup(void **state);
int nt_teardown(void **state);
/* Same with an MTU of mtu and gateway gw (0 = none). */
int nt_setup_with(void **state, uint32_t mtu, uint32_t gw);

void nt_clear(struct nt *t);
const struct nt_frame *nt_frame(struct nt *t, size_t i);
uint64_t nt_ctr(struct nt *t, enum stack_counter_id id);
#define NT_CTR(t, name) nt_ctr((t), STACK_CTR_##name)

void nt_input(struct nt *t, stack_time_us now, const uint8_t *frame, size_t len);

/* Builders: each writes a frame into buf and returns its length. */
size_t nt_build_arp(uint8_t *buf, const uint8_t *eth_dst, const uint8_t *eth_src, uint16_t op,
		    const uint8_t *sha, uint32_t spa, const uint8_t *tha, uint32_t tpa);
/* An IPv4 frame from eth_src to our MAC: header with checksum, payload copied. */
size_t nt_build_ip(uint8_t *buf, const uint8_t *eth_src, uint32_t src, uint32_t dst, uint8_t proto,
		   uint16_t id, uint16_t frag, const uint8_t *payload, size_t plen);
/* An ICMP echo request with checksum (data: n bytes of pattern i & 0xff). */
size_t nt_build_echo(uint8_t *icmp, uint16_t ident, uint16_t seq, size_t n);
/* Recompute the IPv4 header checksum of an IPv4 frame. */
void nt_fix_ip_csum(uint8_t *frame);

/* Is an emitted frame an ARP request (bcast or unicast) for tpa? */
bool nt_is_arp_request(const struct nt_frame *f, const uint8_t *eth_dst, uint32_t tpa);

/* A minimal TCP segment (20-byte header) for tests that need a TCP payload. */
size_t nt_build_tcp(uint8_t *seg, uint16_t sport, uint16_t dport, uint32_t seq);

/* ip4_output() of an l4_len-byte packet (proto 253, bytes = fill) to dst. */
int nt_output(struct nt *t, stack_time_us now, uint32_t dst, size_t l4_len, uint8_t fill, bool df);
/* A TCP datagram to NT_PEER in buf (its L4 bytes at STACK_L4_OFF), DF, its
 * checksum left to the link (CHECKSUM_PARTIAL), as TCP output sends one. */
struct stack_pkt nt_tcp_pkt(uint8_t *buf, size_t l4_len);
/* An emitted IPv4 frame's fields. */
uint32_t nt_ip_dst(const struct nt_frame *f);
uint16_t nt_ip_id(const struct nt_frame *f);

#endif
