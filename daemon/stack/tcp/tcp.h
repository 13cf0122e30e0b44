/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp.h - the TCP layer's entry points from the rest of the core
 * (RFC 9293). The socket-like API is declared in stack.h.
 *
 * struct tcp_state is embedded in struct stack.
 */
#ifndef SYNACK_TCP_H
#define SYNACK_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../stack.h"

struct stack;
struct ip4_rx;

struct tcp_state {
	int placeholder; /* replaced by the connection table, timer heap, event list */
};

int tcp_init(struct stack *s, stack_time_us now);
void tcp_deinit(struct stack *s);
/* A TCP segment addressed to us (IPv4 header already validated). */
void tcp_input(struct stack *s, stack_time_us now, const struct ip4_rx *ip, const uint8_t *seg,
	       size_t len);
/* An ICMP error quoting one of our segments: quoted is the IPv4 header + at least 8 bytes. */
void tcp_icmp_error(struct stack *s, stack_time_us now, uint8_t type, uint8_t code,
		    uint16_t next_mtu, const uint8_t *quoted, size_t len);
void tcp_poll(struct stack *s, stack_time_us now);
stack_time_us tcp_poll_at(const struct stack *s);

#endif
