/* SPDX-License-Identifier: MIT */
/*
 * net/icmp.h - ICMP for a host (RFC 792, RFC 1122 §3.2.2). Policy: net/README.md.
 */
#ifndef SYNACK_NET_ICMP_H
#define SYNACK_NET_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../stack.h"

struct ip4_rx;

#define ICMP_HLEN	      8
#define ICMP_ECHO_REPLY	      0
#define ICMP_DEST_UNREACH     3
#define ICMP_SOURCE_QUENCH    4
#define ICMP_REDIRECT	      5
#define ICMP_ECHO_REQUEST     8
#define ICMP_TIME_EXCEEDED    11
#define ICMP_PARAM_PROBLEM    12
#define ICMP_UNREACH_PROTO    2
#define ICMP_UNREACH_PORT     3
#define ICMP_UNREACH_NEEDFRAG 4
#define ICMP_EXC_FRAGTIME     1

/* Error rate limit: a token bucket refilled at this rate, holding at most the burst. */
#define ICMP_RATE_PER_SEC 100
#define ICMP_RATE_BURST	  20
/* Errors quote the offending datagram up to this total size (RFC 1812 §4.3.2.3). */
#define ICMP_ERROR_MAX	  576

void icmp_init(struct stack *s, stack_time_us now);
/* An ICMP message addressed to us (bcast: sent to a broadcast address). */
void icmp_input(struct stack *s, stack_time_us now, const struct ip4_rx *rx, const uint8_t *msg,
		size_t len, bool bcast);
/*
 * Send an ICMP error of type/code quoting the datagram at ip_hdr (len bytes
 * of it available), unless RFC 1122 §3.2.2 forbids it or the rate limit says
 * no. Returns 0 when sent, a negative errno otherwise.
 */
int icmp_send_error(struct stack *s, stack_time_us now, uint8_t type, uint8_t code,
		    const uint8_t *ip_hdr, size_t len);

#endif
