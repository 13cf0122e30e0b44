/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_seq.h - sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4):
 * every comparison of sequence numbers in the core goes through these.
 */
#ifndef SYNACK_TCP_SEQ_H
#define SYNACK_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

typedef uint32_t tcp_seq;

static inline bool seq_lt(tcp_seq a, tcp_seq b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_le(tcp_seq a, tcp_seq b)
{
	return (int32_t)(a - b) <= 0;
}

static inline bool seq_gt(tcp_seq a, tcp_seq b)
{
	return (int32_t)(a - b) > 0;
}

static inline bool seq_ge(tcp_seq a, tcp_seq b)
{
	return (int32_t)(a - b) >= 0;
}

/* lo <= x < hi, modulo 2^32 */
static inline bool seq_in(tcp_seq x, tcp_seq lo, tcp_seq hi)
{
	return seq_le(lo, x) && seq_lt(x, hi);
}

/*
 * RFC 9293 §3.10.7.4's acceptability table, exactly: a segment of len
 * sequence numbers at seq against RCV.NXT and RCV.WND.
 *   len 0, wnd 0:  seq = RCV.NXT
 *   len 0, wnd >0: RCV.NXT =< seq < RCV.NXT + RCV.WND
 *   len >0, wnd 0: never
 *   len >0, wnd >0: its first or its last sequence number in that range
 * A zero-length segment (or RST) exactly at the right edge of an open window
 * is not acceptable; the caller ACKs it (or drops a RST).
 */
static inline bool seq_acceptable(tcp_seq rcv_nxt, uint32_t wnd, tcp_seq seq, uint32_t len)
{
	tcp_seq end = rcv_nxt + wnd;

	if (len == 0)
		return wnd == 0 ? seq == rcv_nxt : seq_in(seq, rcv_nxt, end);
	if (wnd == 0)
		return false;
	return seq_in(seq, rcv_nxt, end) || seq_in(seq + len - 1, rcv_nxt, end);
}

static inline tcp_seq seq_max(tcp_seq a, tcp_seq b)
{
	return seq_gt(a, b) ? a : b;
}

static inline tcp_seq seq_min(tcp_seq a, tcp_seq b)
{
	return seq_lt(a, b) ? a : b;
}

#endif
