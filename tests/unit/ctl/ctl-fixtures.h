/* SPDX-License-Identifier: MIT */
/*
 * ctl-fixtures.h - fixed data for the synackctl tests: a full connection's
 * trace (active open, data, synack closes first) whose local sequence
 * numbers wrap past 2^32, a passive one closed by the peer, and a small
 * connection table.
 */
#ifndef SYNACK_TEST_CTL_FIXTURES_H
#define SYNACK_TEST_CTL_FIXTURES_H

#include <stdio.h>
#include <string.h>

#include "model.h"

#define FIX_ISS 4294967000u /* ours: wraps to 105 during the data */
#define FIX_IRS 1000u

static inline struct ctl_trace_entry fix_seg(uint64_t t, enum ctl_direction dir, uint8_t flags,
					     uint32_t seq, uint32_t ack, uint32_t wnd, uint32_t len)
{
	struct ctl_trace_entry e = { .time_us = t, .kind = CTL_TRACE_SEGMENT };

	e.seg.dir = dir;
	e.seg.flags = flags;
	e.seg.seq = seq;
	e.seg.ack = ack;
	e.seg.wnd = wnd;
	e.seg.len = len;
	return e;
}

static inline struct ctl_trace_entry fix_state(uint64_t t, enum ctl_state from, enum ctl_state to,
					       const char *cause)
{
	struct ctl_trace_entry e = { .time_us = t, .kind = CTL_TRACE_STATE };

	e.state.from = from;
	e.state.to = to;
	snprintf(e.state.cause, sizeof(e.state.cause), "%s", cause);
	return e;
}

#define IN  CTL_DIR_IN
#define OUT CTL_DIR_OUT
#define F_S CTL_TCP_SYN
#define F_A CTL_TCP_ACK
#define F_F CTL_TCP_FIN
#define F_P CTL_TCP_PSH

/* synack connects, sends 400 bytes, gets 1000, closes first; TIME-WAIT ends 60 s later. */
static inline size_t fix_active_trace(struct ctl_trace_entry *v)
{
	const uint32_t s = FIX_ISS, r = FIX_IRS;
	size_t n = 0;

	v[n++] = fix_state(1000000, CTL_STATE_CLOSED, CTL_STATE_SYN_SENT, "connect");
	v[n++] = fix_seg(1000000, OUT, F_S, s, 0, 64240, 0);
	v[n++] = fix_seg(1000412, IN, F_S | F_A, r, s + 1, 65160, 0);
	v[n++] = fix_state(1000412, CTL_STATE_SYN_SENT, CTL_STATE_ESTABLISHED, "rcv SYN,ACK");
	v[n++] = fix_seg(1000412, OUT, F_A, s + 1, r + 1, 502, 0);
	v[n++] = fix_seg(1002000, OUT, F_P | F_A, s + 1, r + 1, 502, 400);
	v[n++] = fix_seg(1002300, IN, F_A, r + 1, s + 401, 508, 0);
	v[n++] = fix_seg(1002400, IN, F_P | F_A, r + 1, s + 401, 508, 1000);
	v[n++] = fix_seg(1002401, OUT, F_A, s + 401, r + 1001, 501, 0);
	v[n++] = fix_state(1003000, CTL_STATE_ESTABLISHED, CTL_STATE_FIN_WAIT_1, "close");
	v[n++] = fix_seg(1003000, OUT, F_F | F_A, s + 401, r + 1001, 501, 0);
	v[n++] = fix_seg(1003300, IN, F_A, r + 1001, s + 402, 508, 0);
	v[n++] = fix_state(1003300, CTL_STATE_FIN_WAIT_1, CTL_STATE_FIN_WAIT_2, "rcv ACK of FIN");
	v[n++] = fix_seg(1003500, IN, F_F | F_A, r + 1001, s + 402, 508, 0);
	v[n++] = fix_state(1003500, CTL_STATE_FIN_WAIT_2, CTL_STATE_TIME_WAIT, "rcv FIN");
	v[n++] = fix_seg(1003500, OUT, F_A, s + 402, r + 1002, 501, 0);
	v[n++] = fix_state(61003500, CTL_STATE_TIME_WAIT, CTL_STATE_CLOSED, "2MSL timeout");
	return n;
}

/* A listener's child: the kernel connects, then closes first. */
static inline size_t fix_passive_trace(struct ctl_trace_entry *v)
{
	const uint32_t s = 7000, r = 3000000000u;
	size_t n = 0;

	v[n++] = fix_seg(5000, IN, F_S, r, 0, 64240, 0);
	v[n++] = fix_state(5000, CTL_STATE_LISTEN, CTL_STATE_SYN_RECEIVED, "rcv SYN");
	v[n++] = fix_seg(5000, OUT, F_S | F_A, s, r + 1, 65535, 0);
	v[n++] = fix_seg(5100, IN, F_A, r + 1, s + 1, 502, 0);
	v[n++] = fix_state(5100, CTL_STATE_SYN_RECEIVED, CTL_STATE_ESTABLISHED, "rcv ACK");
	v[n++] = fix_seg(9000, IN, F_F | F_A, r + 1, s + 1, 502, 0);
	v[n++] = fix_state(9000, CTL_STATE_ESTABLISHED, CTL_STATE_CLOSE_WAIT, "rcv FIN");
	v[n++] = fix_seg(9000, OUT, F_A, s + 1, r + 2, 65535, 0);
	v[n++] = fix_state(12000, CTL_STATE_CLOSE_WAIT, CTL_STATE_LAST_ACK, "close");
	v[n++] = fix_seg(12000, OUT, F_F | F_A, s + 1, r + 2, 65535, 0);
	v[n++] = fix_seg(12200, IN, F_A, r + 2, s + 2, 502, 0);
	v[n++] = fix_state(12200, CTL_STATE_LAST_ACK, CTL_STATE_CLOSED, "rcv ACK of FIN");
	return n;
}

#undef IN
#undef OUT
#undef F_S
#undef F_A
#undef F_F
#undef F_P

#define FIX_IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* A listener, an established transfer, a connection in TIME-WAIT. */
static inline size_t fix_conns(struct ctl_conn *v)
{
	memset(v, 0, 3 * sizeof(*v));
	v[0].id = 1;
	v[0].state = CTL_STATE_LISTEN;
	v[0].local = (struct ctl_endpoint){ 0, 80 };
	v[0].send_q = 128; /* ss: a listener's Send-Q is its backlog */

	v[1].id = 12;
	v[1].state = CTL_STATE_ESTABLISHED;
	v[1].local = (struct ctl_endpoint){ FIX_IP(10, 77, 0, 2), 80 };
	v[1].remote = (struct ctl_endpoint){ FIX_IP(10, 77, 0, 1), 43512 };
	v[1].recv_q = 0;
	v[1].send_q = 14480;
	v[1].timer = (struct ctl_timer){ CTL_TIMER_ON, 204, 0 };
	v[1].info = (struct ctl_conn_info){ .rtt_us = 312,
					    .rttvar_us = 156,
					    .rto_us = 204000,
					    .cwnd = 10,
					    .ssthresh = 0x7fffffff,
					    .mss = 1448,
					    .snd_wscale = 7,
					    .rcv_wscale = 7,
					    .wscale_ok = true,
					    .ts_ok = true,
					    .sack_ok = true,
					    .bytes_acked = 52133,
					    .bytes_received = 731,
					    .retrans = 0,
					    .congestion = "cubic" };
	v[1].owner = (struct ctl_owner){ true, 4242, 1000, "nginx" };

	v[2].id = 9;
	v[2].state = CTL_STATE_TIME_WAIT;
	v[2].local = (struct ctl_endpoint){ FIX_IP(10, 77, 0, 2), 40000 };
	v[2].remote = (struct ctl_endpoint){ FIX_IP(10, 77, 0, 1), 8080 };
	v[2].timer = (struct ctl_timer){ CTL_TIMER_TIMEWAIT, 59000, 0 };
	return 3;
}

#endif
