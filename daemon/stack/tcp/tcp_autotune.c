/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_autotune.c - send and receive buffer autotuning: RCVBUF and SNDBUF
 * of a connection whose application did not set them grow from
 * tcp.recv_buffer / tcp.send_buffer up to tcp.recv_buffer_max /
 * tcp.send_buffer_max as the bandwidth-delay product demands
 * (tcp.buffer_autotune; the budget of tcp_mem.c still bounds what is used).
 *
 * Receive side, in the manner of Linux's receive buffer moderation (the
 * "dynamic right-sizing" of Fisk and Feng):
 *   - the receiver's RTT is measured without timestamps (ours tick in ms, far
 *     coarser than a LAN's RTT): the time until data arrives from beyond the
 *     right edge advertised when the timing started is at least one RTT (it
 *     needs an ACK sent after that); the estimate keeps the smallest sample;
 *   - once per such RTT, the bytes the application consumed in it are
 *     compared with the most consumed in any earlier RTT; when they grew,
 *     RCVBUF becomes twice them plus 16 segments of slack, so the window
 *     lets the peer send two RTTs' worth while the application keeps up,
 *     and more by twice their relative growth, for a sender still speeding
 *     up (Linux's rule: a sender doubling per RTT, in slow start, gets six
 *     RTTs' worth ahead of it, not two); the growth counts as at most a
 *     doubling, so a peer cannot buy a large window with a first round of
 *     a few bytes. The estimate is the smallest sample, the RTT without
 *     queues, while a sender at tens of Gbit/s through a TAP sees several
 *     times that (its frames wait in the TAP and in our batches): two quiet
 *     RTTs' worth had kept the kernel's sender rwnd-limited 97-99 % of the
 *     time (tests/bench/README.md).
 *     An application that does not read keeps the buffer where it is.
 * The window scale offered in the SYN covers recv_buffer_max when RCVBUF may
 * grow (RFC 7323 §2.3), as the window can never exceed 65535 << scale.
 *
 * Send side: while the connection is limited by its send buffer (the
 * application wanted to queue more, and less is in flight than cwnd and the
 * peer's window allow), SNDBUF grows to twice cwnd, so the application can
 * queue the next window's data while this one is in flight. An orphan has no
 * application and never grows.
 *
 * An explicit SO_RCVBUF / SO_SNDBUF (stack_tcp_setopt) stops the growth on
 * that side, as in Linux. The window is charged as promised (tcp_mem.c), so
 * RCVBUF grows only while the budget, stack-wide and the account's, stays at
 * most half used, and a connection whose receive ring went back for
 * idleness starts its window again from TCP_MEM_WND_INIT (tcp_mem_idle): a
 * peer that pumps connections up and leaves them idle holds at most half
 * the budget, and each connection only what it was already promised.
 * A round measured under memory pressure still raises the bar for later
 * growth (as in Linux): the rate it saw was real.
 */
#include "tcp_conn.h"

/* Slack beyond twice an RTT's worth, in segments (Linux adds 16 * advmss). */
#define TCP_AUTOTUNE_SLACK_SEGS 16u

uint32_t tcp_autotune_rcvbuf_ceiling(const struct stack *s, bool locked, uint32_t rcvbuf)
{
	const struct stack_tunables *tun = &s->cfg.tun;

	if (locked || !tun->buffer_autotune)
		return rcvbuf;
	return (uint32_t)stack_max((uint64_t)rcvbuf, tun->recv_buffer_max);
}

/* What the application has consumed, as a sequence number: RCV.NXT less what is unread. */
static tcp_seq tcp_autotune_copied_seq(const struct tcp_conn *c)
{
	return c->rcv_nxt - c->rcv.len - (c->fin_rcvd ? 1u : 0u);
}

void tcp_autotune_rcv_data(struct tcp_conn *c, stack_time_us now)
{
	struct tcp_autotune *a = &c->tune;

	if (a->rtt_start && seq_ge(c->rcv_nxt, a->rtt_seq)) {
		/* no time at all cannot be a round trip (frames handled as one batch
		 * at one time): no sample */
		if (now > a->rtt_start) {
			uint64_t sample = now - a->rtt_start;

			if (a->rcv_rtt_us == 0 || sample < a->rcv_rtt_us)
				a->rcv_rtt_us = (uint32_t)stack_min(sample, (uint64_t)UINT32_MAX);
		}
		a->rtt_start = 0;
	}
	if (a->rtt_start == 0 && seq_ge(c->rcv_adv, c->rcv_nxt)) {
		/* time until data beyond the edge advertised so far arrives: the
		 * ACK that lets the peer send it has not left yet, so this takes
		 * at least one round trip */
		a->rtt_start = now ? now : 1;
		a->rtt_seq = c->rcv_adv + 1;
	}
	if (a->space_start == 0) {
		a->space_start = now ? now : 1;
		a->copied_seq = tcp_autotune_copied_seq(c);
	}
}

void tcp_autotune_rcv_consumed(struct stack *s, struct tcp_conn *c, stack_time_us now)
{
	struct tcp_autotune *a = &c->tune;
	const struct stack_tunables *tun = &s->cfg.tun;
	tcp_seq copied_seq = tcp_autotune_copied_seq(c);
	uint32_t copied, before;
	uint64_t want, ceiling;

	if (a->rcv_rtt_us == 0 || a->space_start == 0 || now - a->space_start < a->rcv_rtt_us)
		return;
	copied = seq_gt(copied_seq, a->copied_seq) ? copied_seq - a->copied_seq : 0;
	a->copied_seq = copied_seq;
	a->space_start = now;
	if (copied <= a->rcv_space)
		return;
	before = a->rcv_space;
	a->rcv_space = copied;
	if (c->rcvbuf_locked || !tun->buffer_autotune || s->tcp.mem.pressure)
		return;
	ceiling = tcp_autotune_rcvbuf_ceiling(s, false, c->rcvbuf_size);
	ceiling = stack_min(ceiling, (uint64_t)65535 << c->rcv_wscale);
	want = stack_min(2ull * copied + (uint64_t)TCP_AUTOTUNE_SLACK_SEGS * c->rcv_mss, ceiling);
	/* the allowance for a sender still speeding up: twice the window times
	 * the growth, counted as at most a doubling (slow start's), so a first
	 * round of a few bytes buys a peer no more than one that doubled; want
	 * < 2^30 (the largest scaled window) times at most 1: no overflow */
	if (before > 0)
		want += 2 * (want * stack_min(copied - before, before) / before);
	want = stack_min(want, ceiling);
	/* the window is charged as promised (tcp_mem.c): growth stops where the
	 * budget (stack-wide or the account's) would be half used, so connections
	 * a peer pumps up and leaves idle cannot take what the others' default
	 * windows need */
	want = stack_min(want, (uint64_t)c->rcvbuf_size + tcp_mem_autotune_room(s, c));
	if (want > c->rcvbuf_size) {
		c->rcvbuf_size = (uint32_t)want;
		STACK_INC(s, SynackTcpRcvBufGrown);
	}
	/* the window may open as far at once: the peer has shown it uses it
	 * (tcp_mem.c otherwise doubles it only per window's worth received) */
	c->rcv_wnd_cap = (uint32_t)stack_max((uint64_t)c->rcv_wnd_cap, want);
}

void tcp_autotune_snd_acked(struct stack *s, struct tcp_conn *c, uint32_t flight, uint32_t wnd)
{
	const struct stack_tunables *tun = &s->cfg.tun;
	uint64_t want;

	if (c->sndbuf_locked || !tun->buffer_autotune || s->tcp.mem.pressure || c->orphan)
		return;
	/* only when the buffer is what held the sender back: the application
	 * wanted to queue more, and before this ACK there was room for another
	 * segment in cwnd and in the window this ACK brings (less than a segment
	 * left is full: the sender does not cut segments to fit); otherwise more
	 * buffer would only queue */
	if (!c->want_writable || (uint64_t)flight + c->mss > c->cc.cwnd ||
	    (uint64_t)flight + c->mss > wnd || c->sndbuf_size >= tun->send_buffer_max)
		return;
	want = stack_min(2ull * c->cc.cwnd, tun->send_buffer_max);
	if (want > c->sndbuf_size) {
		c->sndbuf_size = (uint32_t)want;
		STACK_INC(s, SynackTcpSndBufGrown);
	}
}
