/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_mem.h - the stack-wide memory budget for TCP socket buffers and
 * its accounting per account (the daemon's uid of the owning client).
 *
 * What is charged: the capacity of each send ring, and for the receive side
 * the larger of its ring's capacity and what it has promised (bytes held plus
 * the window advertised beyond RCV.NXT), so in-window data always has memory
 * waiting for it (RFC 9293 §3.8.6: the right edge is never retracted).
 * Included through tcp.h; the functions are for the TCP engine only.
 */
#ifndef SYNACK_TCP_MEM_H
#define SYNACK_TCP_MEM_H

#include <stdbool.h>
#include <stdint.h>

/* Distinct accounts holding memory at once (the daemon caps its clients far below). */
#define TCP_MEM_ACCOUNTS     256
/* Smallest ring allocated, and the window a connection may still open under pressure
 * (in segments of its MSS). */
#define TCP_MEM_RING_MIN     4096u
#define TCP_MEM_PRESSURE_WND 4u
/* The window a connection starts with; it doubles each time the peer sends
 * a whole window's worth, up to RCVBUF (so idle connections promise little). */
#define TCP_MEM_WND_INIT     (64u * 1024)
/* A drained ring is given back after staying empty this long (at once under pressure). */
#define TCP_MEM_IDLE_US	     1000000u

struct tcp_mem_account {
	uint32_t id;
	uint32_t refs;	  /* connections charged to it */
	uint32_t orphans; /* of them, closed by their owner and still finishing (tcp_orphan.c) */
	uint64_t used;
};

struct tcp_mem {
	uint64_t limit, per_account; /* bytes: stack_config memory, memory_per_uid */
	uint64_t used;
	bool pressure;		       /* above 7/8 of the limit until below 3/4 */
	bool wake_pending;	       /* memory was freed while connections waited for it */
	uint32_t waiters;	       /* connections with mem_wait set */
	uint32_t wait_head, wait_tail; /* their list, oldest first (slots) */
	struct tcp_mem_account acct[TCP_MEM_ACCOUNTS]; /* [0]: the default account, id 0 */
};

#endif
