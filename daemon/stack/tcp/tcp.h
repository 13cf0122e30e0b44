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

#include "../heap.h"
#include "../stack.h"
#include "tcp_isn.h"
#include "tcp_mem.h"
#include "tcp_table.h"
#include "tcp_timewait.h"

struct stack;
struct ip4_rx;
struct tcp_conn;

/*
 * The TCP layer's part of struct stack: connection slots (cfg.max_conns,
 * listeners included), the 4-tuple table (listeners are keyed with a zero
 * remote address and port), the TIME-WAIT records outside the slots
 * (cfg.max_time_wait, tcp_timewait.h), the deadline heap with one
 * node per connection, the RFC 6056 port state, the list of connections with
 * pending events and the list waiting for the link to unblock.
 */
struct tcp_state {
	struct tcp_conn *conns; /* nslots, zero-filled; only [0, fresh) ever touched */
	uint32_t nslots;
	uint32_t fresh;	    /* slots below this were handed out at least once */
	uint32_t free_head; /* freed slots, for reuse before a fresh one */
	uint32_t nused;
	struct tcp_table table;
	struct tcp_table_entry *table_mem;
	uint32_t table_size;
	struct heap timers;
	struct heap_node **heap_mem;
	struct tcp_port_alloc ports;
	uint32_t ev_head, ev_tail;
	uint32_t out_head;
	uint64_t next_id;
	struct tcp_tw_table tw;
	uint32_t orphan_head, orphan_tail, norphans; /* tcp_orphan.c */
	stack_time_us now;  /* the latest time the core was given, for observers */
	struct tcp_mem mem; /* the socket buffer budget (tcp_mem.c) */
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
/* The end of an input batch: the output its segments held back (stack_input_batch_end). */
void tcp_input_batch_end(struct stack *s, stack_time_us now);

#endif
