/* SPDX-License-Identifier: MIT */
/*
 * harness.h - drives a real struct stack segment by segment for the TCP
 * engine's unit tests: crafted segments go in as whole Ethernet/IPv4 frames
 * at chosen virtual times, and what the stack emits is popped, parsed and
 * compared field by field (printed tcpdump-style on a mismatch).
 *
 * The peer's ISN sits just below 2^32, so every test crosses the wrap.
 */
#ifndef SYNACK_TEST_TCP_HARNESS_H
#define SYNACK_TEST_TCP_HARNESS_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "stack_internal.h"
#include "tcp/tcp_conn.h"
#include "tcp/tcp_wire.h"

#define H_LOCAL_ADDR  0x0a4d0002u /* 10.77.0.2, the stack */
#define H_REMOTE_ADDR 0x0a4d0001u /* 10.77.0.1, the crafted peer */
#define H_LOCAL_PORT  80
#define H_REMOTE_PORT 40000
#define H_REMOTE_ISN  0xffffd8efu /* -10001: wraps after 10001 bytes */
#define H_WND	      8192	  /* the peer's default window */
#define H_RCVBUF      32768	  /* our receive buffer in tests: the window fits 16 bits */
#define H_MSS	      1460
#define H_TS_AUTO     0xffffffffu /* expect our own timestamp clock at the time of the pop */

/* A segment from the peer: defaults filled in, later designators override. */
#define SEG(...)                                    \
	((struct tcp_seg){ .sport = H_REMOTE_PORT,  \
			   .dport = H_LOCAL_PORT,   \
			   .wnd = H_WND,            \
			   .flags = TCP_FLAG_ACK,   \
			   .opt = { .wscale = -1 }, \
			   __VA_ARGS__ })
/* A segment we expect from the stack. */
#define OUT(...)                                    \
	((struct tcp_seg){ .sport = H_LOCAL_PORT,   \
			   .dport = H_REMOTE_PORT,  \
			   .flags = TCP_FLAG_ACK,   \
			   .opt = { .wscale = -1 }, \
			   __VA_ARGS__ })

struct h_frame {
	uint8_t *data;
	size_t len;
	struct stack_frame_meta meta;
};

struct harness {
	struct stack *s;
	struct stack_config cfg;
	stack_time_us now;
	struct h_frame frames[256];
	unsigned head, tail;
	stack_sock sock;  /* the connection under test */
	stack_sock lsock; /* its listener, when passive */
	uint32_t iss;	  /* our ISN, learned from our SYN */
	uint32_t ts_off;  /* our timestamp offset, learned from our SYN */
	uint16_t lport;	  /* our port (active opens pick one) */
	uint8_t payload[65536];
	size_t trace_count;
	uint32_t traced_states;
	size_t mem_live,
		mem_peak; /* bytes the stack holds through its allocator, now and at most */
	/* frames the stack handed over with their payload in the send ring
	 * (stack_sink.emit_tail), and of those, the ones in two pieces */
	unsigned tail_frames, tail_frames_wrapped;
	unsigned gso_frames; /* frames the link was asked to cut (TSO) */
	/* the direct reader (stack_env.direct) of connections marked with
	 * stack_tcp_set_direct(); NULL takes nothing */
	size_t (*direct)(struct harness *h, stack_sock sock, const uint8_t *data, size_t len);
};

/* While true, the stack's allocator fails (the core must take less, never lose bytes). */
extern bool h_alloc_fail;
/* Set before h_new() (which clears it): the sink has no emit_tail, so the stack
 * copies every payload. */
extern bool h_no_emit_tail;
/* Set before h_new() (which clears it): the stack has no direct reader (stack_env.direct). */
extern bool h_no_direct;

/* Fresh stack with test defaults (no TS/SACK/WS unless opts says so); tweak may edit cfg. */
struct harness *h_new(void (*tweak)(struct stack_config *cfg));
void h_free(struct harness *h);

/* Inject seg (with len payload bytes from data, or a pattern when data is NULL) at time t. */
void h_send(struct harness *h, stack_time_us t, struct tcp_seg seg, const void *data);
/* Inject raw L4 bytes with the given IPv4 source; for malformed-segment tests. */
void h_send_raw(struct harness *h, stack_time_us t, const uint8_t *l4, size_t len, bool good_csum);
/* Run timers at time t. */
void h_poll(struct harness *h, stack_time_us t);
/* Pop the next TCP segment the stack emitted; false when none. payload in h->payload. */
bool h_pop(struct harness *h, struct tcp_seg *ret);
/* Pop and compare with exp exactly (flags, seq, ack, window, length, options). */
#define h_expect(h, ...) h_expect_at(h, __FILE__, __LINE__, __VA_ARGS__)
void h_expect_at(struct harness *h, const char *file, int line, struct tcp_seg exp);
#define h_expect_nothing(h) h_expect_nothing_at(h, __FILE__, __LINE__)
void h_expect_nothing_at(struct harness *h, const char *file, int line);
/* Drop whatever was emitted. */
void h_drain(struct harness *h);

/* Our conn behind h->sock (or any handle). */
struct tcp_conn *h_conn(struct harness *h, stack_sock sock);
/* The state of sock; for h->sock, TIME-WAIT while a record holds the test's tuple. */
enum tcp_conn_state h_state(struct harness *h, stack_sock sock);
/* The TIME-WAIT record of the test's tuple (h->lport, the peer's port), or NULL. */
struct tcp_tw *h_tw(struct harness *h);
/* Pop one event; asserts its type (and sock when non-zero). */
void h_expect_event(struct harness *h, enum stack_event_type type, stack_sock sock, int err);
void h_expect_no_event(struct harness *h);

/*
 * Fixtures. Passive: listen on H_LOCAL_PORT, SYN at t, ACK, accept; leaves
 * ESTABLISHED with nothing pending, our next seq h->iss+1, theirs
 * H_REMOTE_ISN+1. Active: connect to H_REMOTE_ADDR:H_REMOTE_PORT.
 */
void h_establish_passive(struct harness *h, stack_time_us t);
void h_establish_active(struct harness *h, stack_time_us t);

/* tcpdump-style text of a segment. */
void h_format(const struct tcp_seg *seg, char *buf, size_t len);

#endif
