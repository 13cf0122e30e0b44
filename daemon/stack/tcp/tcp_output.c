/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_output.c - everything a connection sends.
 *
 * - Segment building with the negotiated options: MSS (RFC 9293 §3.7.1),
 *   window scale and timestamps (RFC 7323 §2.2, §3.2), SACK-permitted and
 *   SACK blocks for our out-of-order data (RFC 2018 §3-4).
 * - The send loop: the peer's window and cwnd (RFC 5681), Nagle
 *   (RFC 1122 §4.2.3.4) unless no-delay, sender silly-window avoidance
 *   (RFC 1122 §4.2.3.4), PSH on the last segment of a burst
 *   (RFC 9293 §3.9.1.2), FIN once the queue has drained (§3.10.4).
 * - ACKs and the advertised window: free receive space with receiver
 *   silly-window avoidance (RFC 1122 §4.2.3.3), never shrinking the right
 *   edge (RFC 9293 §3.8.6.2.2), window updates when the application reads.
 * - Resets: for a segment that reached no connection exactly as
 *   RFC 9293 §3.10.7.1 says, and on abort (§3.10.5).
 * - Offloads: CHECKSUM_PARTIAL and one large TSO frame when the link can;
 *   then, for a sink with emit_tail, the payload stays in the send ring and
 *   leaves from there (stack_frame_tail), not copied into the frame.
 *
 * SND.NXT in the RFC's sense is snd_max here; snd_nxt is the send cursor,
 * which a retransmission timeout moves back to SND.UNA (go-back-N).
 */
#include <string.h>

#include "tcp_conn.h"

#define TCP_TS_OPT_LEN 12 /* timestamps with two NOPs, as every segment carries them */

uint32_t tcp_output_tsval(const struct tcp_conn *c, stack_time_us now)
{
	/* RFC 7323 §5.4: a 1 ms clock with a per-connection random offset */
	return (uint32_t)(now / 1000) + c->ts_offset;
}

uint32_t tcp_output_max_payload(const struct tcp_conn *c)
{
	uint32_t opt = c->ts_ok ? TCP_TS_OPT_LEN : 0;

	return c->mss > opt + 8 ? c->mss - opt : 8;
}

/*
 * No receive buffer any more: TIME-WAIT, gone, or an orphan (nobody reads
 * it; new data gets a RST, tcp_input.c). The edge already advertised stays
 * where it is and no new window is promised, so nothing is charged for it.
 */
static bool tcp_output_rcv_closed(const struct tcp_conn *c)
{
	return c->orphan || c->state == TCP_TIME_WAIT || c->state == TCP_CLOSED ||
	       c->state == TCP_LISTEN;
}

uint32_t tcp_output_rcv_window(const struct stack *s, const struct tcp_conn *c)
{
	uint32_t space = tcp_mem_rcv_space(s, c);
	uint32_t cur = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	uint32_t thresh = stack_min(c->rcvbuf_size / 2, (uint32_t)c->rcv_mss);
	uint32_t max = (uint32_t)65535 << c->rcv_wscale;

	if (tcp_output_rcv_closed(c)) /* TIME-WAIT: no buffer, the edge stays where it was */
		return stack_min(cur, max);
	/* RFC 1122 §4.2.3.3: move the right edge only by a worthwhile amount;
	 * RFC 9293 §3.8.6.2.2: and never move it back (the space always covers
	 * the edge: the budget reserved it when it was advertised, tcp_mem.c). */
	if (space < cur || space - cur < thresh)
		space = stack_min(cur, space);
	return stack_min(space, max);
}

/*
 * The 16-bit window field for a segment, recording the right edge it
 * advertises. Scaling rounds down, except that the edge already advertised
 * is kept by rounding up when the buffer has room for it: the field never
 * promises a byte the receive buffer cannot hold (RFC 7323 §2.4 tolerates
 * the apparent shrink of less than one scale unit this may cause).
 */
static uint16_t tcp_output_window_field(struct stack *s, struct tcp_conn *c, uint8_t flags)
{
	uint32_t wnd = tcp_output_rcv_window(s, c);
	uint32_t cur = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	uint32_t free = tcp_output_rcv_closed(c) ? wnd : tcp_mem_rcv_space(s, c);
	uint32_t field;

	if (flags & TCP_FLAG_SYN)
		/* RFC 7323 §2.2: the window in a SYN is never scaled */
		field = stack_min(wnd, 65535u);
	else {
		field = wnd >> c->rcv_wscale;
		if ((field << c->rcv_wscale) < cur && ((field + 1) << c->rcv_wscale) <= free)
			field++;
		field = stack_min(field, 65535u);
	}
	if (flags & TCP_FLAG_ACK) {
		uint32_t shift = (flags & TCP_FLAG_SYN) ? 0 : c->rcv_wscale;
		tcp_seq edge = c->rcv_nxt + (field << shift);

		if (seq_gt(edge, c->rcv_adv) || c->state <= TCP_SYN_RECEIVED)
			c->rcv_adv = edge;
		if (!tcp_output_rcv_closed(c))
			tcp_mem_rcv_promised(s, c);
	}
	return (uint16_t)field;
}

static void tcp_output_trace(struct stack *s, stack_time_us now, stack_sock sock,
			     enum stack_trace_kind kind, uint32_t laddr, uint32_t raddr,
			     const struct tcp_seg *seg)
{
	struct stack_trace t;

	if (!s->env.trace)
		return;
	memset(&t, 0, sizeof(t));
	t.kind = kind;
	t.now = now;
	t.sock = sock;
	t.local.addr = laddr;
	t.local.port = kind == STACK_TRACE_SEG_OUT ? seg->sport : seg->dport;
	t.remote.addr = raddr;
	t.remote.port = kind == STACK_TRACE_SEG_OUT ? seg->dport : seg->sport;
	t.seg.seq = seg->seq;
	t.seg.ack = seg->ack;
	t.seg.wnd = seg->wnd;
	t.seg.len = seg->len;
	t.seg.flags = seg->flags;
	t.seg.mss = seg->opt.has_mss ? seg->opt.mss : 0;
	t.seg.wscale = seg->opt.wscale;
	t.seg.sack_ok = seg->opt.sack_ok;
	t.seg.has_ts = seg->opt.has_ts;
	t.seg.tsval = seg->opt.tsval;
	t.seg.tsecr = seg->opt.tsecr;
	stack_trace(s, &t);
}

void tcp_output_trace_in(struct stack *s, stack_time_us now, stack_sock sock,
			 const struct ip4_rx *ip, const struct tcp_seg *seg)
{
	tcp_output_trace(s, now, sock, STACK_TRACE_SEG_IN, ip->dst, ip->src, seg);
}

/*
 * Finish a segment whose header (and payload, len bytes) sit at txbuf +
 * STACK_L4_OFF: checksum or offload request, counters, trace, ip4_output.
 */
static int tcp_output_send(struct stack *s, stack_time_us now, stack_sock sock, uint32_t src,
			   uint32_t dst, const struct tcp_seg *seg, size_t hlen, uint32_t gso_size,
			   bool dont_fragment, const struct stack_frame_tail *tail)
{
	struct stack_pkt pkt;
	uint8_t *l4 = s->txbuf + STACK_L4_OFF;
	size_t l4_len = hlen + seg->len;
	uint32_t nsegs = 1;

	memset(&pkt, 0, sizeof(pkt));
	pkt.buf = s->txbuf;
	pkt.l4_len = l4_len;
	pkt.src = src;
	pkt.dst = dst;
	pkt.proto = 6;
	pkt.dont_fragment = dont_fragment;
	pkt.tail = tail;
	if (s->cfg.tx_csum_offload) {
		pkt.meta.csum_partial = true;
		pkt.meta.csum_start = STACK_L4_OFF;
		pkt.meta.csum_offset = 16;
		tcp_wire_set_csum_partial(l4, l4_len, src, dst);
	} else {
		tcp_wire_set_csum(l4, l4_len, src, dst);
	}
	if (gso_size && seg->len > gso_size) {
		pkt.meta.gso_type = STACK_GSO_TCPV4;
		pkt.meta.gso_size = (uint16_t)gso_size;
		pkt.meta.hdr_len = (uint16_t)(STACK_L4_OFF + hlen);
		nsegs = (seg->len + gso_size - 1) / gso_size;
	}
	STACK_ADD(s, TcpOutSegs, nsegs);
	if (seg->flags & TCP_FLAG_RST)
		STACK_INC(s, TcpOutRsts);
	tcp_output_trace(s, now, sock, STACK_TRACE_SEG_OUT, src ? src : s->cfg.addr, dst, seg);
	return ip4_output(s, now, &pkt);
}

static void tcp_output_fill_opts(const struct tcp_conn *c, stack_time_us now, uint8_t flags,
				 struct tcp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->wscale = -1;
	if (flags & TCP_FLAG_SYN) {
		o->has_mss = true;
		o->mss = c->rcv_mss;
		if (c->wscale_ok)
			o->wscale = (int8_t)c->rcv_wscale;
		o->sack_ok = c->sack_ok;
	}
	if (c->ts_ok) {
		o->has_ts = true;
		o->tsval = tcp_output_tsval(c, now);
		/* RFC 7323 §3.2: TSecr is zero unless ACK is set */
		o->tsecr = (flags & TCP_FLAG_ACK) ? c->ts_recent : 0;
	}
	/* RFC 2018 §4: describe what we hold out of order, newest block first */
	if (c->sack_ok && !(flags & TCP_FLAG_SYN) && (flags & TCP_FLAG_ACK) &&
	    !tcp_reasm_empty(&c->reasm))
		o->nsack = (uint8_t)tcp_reasm_sack(&c->reasm, c->rcv_nxt, o->sack,
						   c->ts_ok ? 3 : TCP_SACK_MAX_BLOCKS);
}

/*
 * RFC 9293 §3.7.1 and RFC 6691 §2: the peer's MSS bounds the payload and the
 * TCP options of a segment together, so every option byte we add (timestamps,
 * and SACK blocks while we hold out-of-order data) is a payload byte less.
 */
static uint32_t tcp_output_payload_room(const struct tcp_conn *c, const struct tcp_opts *o)
{
	uint32_t opt = (uint32_t)tcp_wire_opts_len(o);

	return c->mss > opt + 8 ? c->mss - opt : 8;
}

uint32_t tcp_output_seg_payload(const struct tcp_conn *c)
{
	struct tcp_opts o;

	/* the options a data segment sent now carries; TSval does not change their size */
	tcp_output_fill_opts(c, 0, TCP_FLAG_ACK, &o);
	return tcp_output_payload_room(c, &o);
}

/* The link cuts a large frame into segments only when it offered TSO (with checksums). */
static bool tcp_output_can_tso(const struct stack *s)
{
	return s->cfg.tx_tso && s->cfg.tx_csum_offload;
}

/* Anything carrying ACK acknowledges everything received: no ACK is owed any more. */
static void tcp_output_acked_all(struct stack *s, struct tcp_conn *c)
{
	c->ack_now = false;
	c->quick_due = false;
	c->rcv_unacked = 0;
	tcp_timer_clear(s, c, TCP_TIMER_DELACK);
}

/*
 * The payload where it lies in the send ring, for a link that writes frames
 * from pieces (stack_frame_tail): no copy into the frame. False, for a copy
 * as before, should the ring not hold all len bytes from off (then the spans
 * cover them: the ring's bytes lie within its capacity).
 */
static bool tcp_output_payload_tail(const struct tcp_conn *c, uint32_t off, uint32_t len,
				    struct stack_frame_tail *t)
{
	uint8_t *p[2];
	uint32_t n[2];

	if (off >= c->snd.len || len > c->snd.len - off)
		return false;
	tcp_ringbuf_spans(&c->snd, off, len, p, n);
	for (int i = 0; i < 2; i++) {
		t->base[i] = p[i];
		t->len[i] = n[i];
	}
	return true;
}

int tcp_output_segment(struct stack *s, stack_time_us now, struct tcp_conn *c, tcp_seq seq,
		       uint32_t len, uint8_t flags)
{
	uint8_t *l4 = s->txbuf + STACK_L4_OFF;
	struct stack_frame_tail tail, *tailp = NULL;
	struct tcp_seg seg;
	size_t hlen;
	uint32_t gso = 0;

	memset(&seg, 0, sizeof(seg));
	seg.sport = c->tuple.lport;
	seg.dport = c->tuple.rport;
	seg.seq = seq;
	seg.flags = flags;
	if (flags & TCP_FLAG_ACK)
		seg.ack = c->rcv_nxt;
	tcp_output_fill_opts(c, now, flags, &seg.opt);
	seg.wnd = (flags & TCP_FLAG_RST) ? 0 : tcp_output_window_field(s, c, flags);
	seg.len = len;
	hlen = tcp_wire_write(l4, &seg);
	if (len) {
		uint32_t off = seq - c->snd_una, maxpl = tcp_output_payload_room(c, &seg.opt);

		if (stack_can_emit_tail(s) && tcp_output_payload_tail(c, off, len, &tail))
			tailp = &tail;
		else
			tcp_ringbuf_peek(&c->snd, off, l4 + hlen, len);
		/* Callers size len with tcp_output_seg_payload(), the same options
		 * included; more than one segment's room is a TSO frame, which only a
		 * link that offered TSO is asked to cut (in segments of maxpl, each
		 * repeating these options). */
		if (len > maxpl && tcp_output_can_tso(s))
			gso = maxpl;
	}
	c->segs_out++;
	c->bytes_out += len;
	/* an answer within delayed_ack of the peer's data (or of the handshake's
	 * end, as a client's request is): later ACKs may wait for the next one
	 * (tcp_input_quick_refill) */
	if (len && c->answer_from && now >= c->answer_from &&
	    now - c->answer_from < s->cfg.tun.delayed_ack)
		c->interactive = true;
	if (flags & TCP_FLAG_ACK)
		tcp_output_acked_all(s, c);
	/* DF for path MTU discovery, unless the path is below tcp.pmtu.min (tcp_input.c) */
	return tcp_output_send(s, now, tcp_conn_sock(s, c), c->tuple.laddr, c->tuple.raddr, &seg,
			       hlen, gso, !c->pmtu_no_df, tailp);
}

/*
 * The SEQ of a segment without data: SND.NXT (snd_max), unless that lies
 * beyond the right edge of the peer's window, then the edge. We never send
 * past the edge (zero-window probes carry no new data, tcp_timer_persist), so
 * SND.NXT is beyond it only when the peer shrank its window behind data in
 * flight (RFC 9293 §3.8.6.2.2 discourages, does not forbid it); a receiver
 * whose window is zero accepts a segment only at SEG.SEQ = RCV.NXT
 * (§3.10.7.4, first step), which is that edge, and would discard every ACK
 * (keepalive answers too) carrying SND.NXT.
 *
 * An edge less than one unit of the peer's scale back is no such shrink but
 * the rounding of a scaled window (RFC 7323 §2.4): the peer may hold every
 * byte up to SND.NXT, and at the rounded edge the SEQ would lie behind its
 * RCV.NXT, unacceptable too. SND.NXT it is then (as Linux decides).
 */
static tcp_seq tcp_output_ack_seq(const struct tcp_conn *c)
{
	tcp_seq end = tcp_conn_snd_wnd_end(c);

	if (!tcp_state_synchronized(c->state) || seq_le(c->snd_max, end))
		return c->snd_max;
	if (c->wscale_ok && c->snd_max - end < (1u << c->snd_wscale))
		return c->snd_max;
	return end;
}

void tcp_output_ack(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	tcp_output_segment(s, now, c, tcp_output_ack_seq(c), 0, TCP_FLAG_ACK);
}

int tcp_output_syn(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	uint8_t flags = TCP_FLAG_SYN;

	/* RFC 9293 §3.10.7.2: a passive (or simultaneous) open answers with SYN,ACK */
	if (c->state == TCP_SYN_RECEIVED)
		flags |= TCP_FLAG_ACK;
	return tcp_output_segment(s, now, c, c->iss, 0, flags);
}

void tcp_output_rst(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	/* RFC 9293 §3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST>, kept inside the peer's
	 * window as an ACK's is, so that a peer with a closed window takes it */
	tcp_output_segment(s, now, c, tcp_output_ack_seq(c), 0, TCP_FLAG_RST);
}

void tcp_output_reset_reply(struct stack *s, stack_time_us now, const struct ip4_rx *ip,
			    const struct tcp_seg *in)
{
	uint8_t *l4 = s->txbuf + STACK_L4_OFF;
	struct tcp_seg seg;
	size_t hlen;

	/* RFC 9293 §3.10.7.1: never answer a reset with a reset */
	if (in->flags & TCP_FLAG_RST)
		return;
	memset(&seg, 0, sizeof(seg));
	seg.sport = in->dport;
	seg.dport = in->sport;
	seg.opt.wscale = -1;
	if (in->flags & TCP_FLAG_ACK) {
		/* <SEQ=SEG.ACK><CTL=RST> */
		seg.seq = in->ack;
		seg.flags = TCP_FLAG_RST;
	} else {
		/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, SYN and FIN counted */
		seg.seq = 0;
		seg.ack = in->seq + tcp_seg_len(in);
		seg.flags = TCP_FLAG_RST | TCP_FLAG_ACK;
	}
	hlen = tcp_wire_write(l4, &seg);
	tcp_output_send(s, now, STACK_SOCK_NONE, ip->dst, ip->src, &seg, hlen, 0, true, NULL);
}

int tcp_output_bare(struct stack *s, stack_time_us now, stack_sock sock, uint32_t src, uint32_t dst,
		    const struct tcp_seg *seg)
{
	size_t hlen = tcp_wire_write(s->txbuf + STACK_L4_OFF, seg);

	return tcp_output_send(s, now, sock, src, dst, seg, hlen, 0, true, NULL);
}

int tcp_output_stateless(struct stack *s, stack_time_us now, const struct tcp_conn *c,
			 uint32_t laddr, uint32_t raddr, const struct tcp_seg *seg)
{
	return tcp_output_bare(s, now, tcp_conn_sock(s, c), laddr, raddr, seg);
}

/* The most payload one call may put in a frame: one segment, or a TSO frame. */
uint32_t tcp_output_burst_max(const struct stack *s, uint32_t maxpl)
{
	uint32_t n;

	if (!tcp_output_can_tso(s))
		return maxpl;
	n = (STACK_IP4_MAX - STACK_IP4_HLEN - TCP_HDR_MAX) / maxpl;
	return n ? n * maxpl : maxpl;
}

static bool tcp_output_can_send_data(enum tcp_conn_state st)
{
	switch (st) {
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
	case TCP_FIN_WAIT_1:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		return true;
	case TCP_CLOSED:
	case TCP_LISTEN:
	case TCP_SYN_SENT:
	case TCP_SYN_RECEIVED:
	case TCP_FIN_WAIT_2:
	case TCP_TIME_WAIT:
	case TCP_STATE_COUNT:
		break;
	}
	return false;
}

/* Our FIN is queued, every byte before it was sent, and the FIN itself is not in flight. */
static bool tcp_output_fin_due(const struct tcp_conn *c)
{
	if (!c->fin_queued || tcp_conn_unsent(c))
		return false;
	return !(c->fin_sent && c->snd_nxt == c->snd_max);
}

/*
 * Nagle (RFC 1122 §4.2.3.4), TCP_CORK and sender SWS avoidance: may a
 * segment of len bytes, less than a full one, go now?
 */
static bool tcp_output_small_ok(const struct tcp_conn *c, uint32_t len, uint32_t unsent)
{
	bool idle = c->snd_una == c->snd_max;
	bool push = (!c->cork && (c->nodelay || idle)) || c->fin_queued;

	if (seq_lt(c->snd_nxt, c->snd_max))
		return true; /* a retransmission goes as it is */
	if (!push)
		return false;
	return len == unsent || len >= c->max_snd_wnd / 2;
}

static void tcp_output_sent(struct stack *s, stack_time_us now, struct tcp_conn *c, uint32_t len,
			    bool fin)
{
	tcp_seq start = c->snd_nxt, end = c->snd_nxt + len + (fin ? 1 : 0);
	bool retrans = seq_lt(c->snd_nxt, c->snd_max);

	if (retrans) {
		uint32_t re = stack_min(len, (uint32_t)(c->snd_max - c->snd_nxt));

		c->bytes_retrans += re;
		c->total_retrans++;
		STACK_INC(s, TcpRetransSegs);
	} else if (len) {
		uint32_t maxpl = tcp_output_max_payload(c);

		/* counted in segments, as a TSO frame becomes on the wire */
		STACK_ADD(s, TcpExtTCPOrigDataSent, (len + maxpl - 1) / maxpl);
	}
	/* Karn (RFC 6298 §3): time only a segment sent for the first time */
	if (!c->rtt_timing && !c->ts_ok && seq_ge(c->snd_nxt, c->snd_max) && (len || fin)) {
		c->rtt_timing = true;
		c->rtt_seq = c->snd_nxt;
		c->rtt_start = now;
	}
	if (fin)
		c->fin_sent = true;
	c->snd_nxt = end;
	if (seq_gt(end, c->snd_max))
		c->snd_max = end;
	tcp_cc_on_send(&c->cc, now, c->snd_max - c->snd_una);
	if (c->timer[TCP_TIMER_RETRANSMIT] == STACK_TIME_NEVER)
		tcp_timer_arm_rexmit(s, now, c);
	tcp_timer_clear(s, c, TCP_TIMER_PERSIST);
	/* the scoreboard's send times, PRR's count, the loss probe (tcp_recovery.c) */
	tcp_rec_sent(s, c, now, start, end, retrans);
}

/* Send data and FIN as far as window, cwnd, Nagle and SWS allow; true when anything went. */
static bool tcp_output_data(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	/* SACK blocks count against the MSS: a full segment is smaller while we send them */
	uint32_t maxpl = tcp_output_seg_payload(c), burst = tcp_output_burst_max(s, maxpl);
	bool sent = false;

	/* RFC 5681 §4.1: after an idle period, start again from the restart window */
	if (c->snd_una == c->snd_max && tcp_conn_unsent(c))
		tcp_cc_idle_check(&c->cc, now,
				  tcp_rtt_timeout(&c->rtt, s->cfg.tun.rto_min, s->cfg.tun.rto_max));

	for (int guard = 0; guard < 4096; guard++) {
		uint32_t unsent = tcp_conn_unsent(c);
		tcp_seq wnd_end = tcp_conn_snd_wnd_end(c);
		uint32_t usable = tcp_conn_snd_usable(c, c->snd_nxt);
		/* pipe on SACK connections (RFC 6675 §4), which is also limited
		 * transmit (RFC 3042): each SACKed segment lets a new one go */
		uint32_t flight = tcp_rec_flight(c);
		uint32_t cwnd_left = c->cc.cwnd > flight ? c->cc.cwnd - flight : 0;
		uint32_t len = stack_min(stack_min(unsent, usable), stack_min(cwnd_left, burst));
		bool fin = false;
		uint8_t flags = TCP_FLAG_ACK;

		if (len == 0) {
			/* a bare FIN takes one sequence number of window; with nothing in
			 * flight it goes anyway and its retransmission timer probes, unless
			 * the persist timer already probes the closed window for it */
			if (tcp_output_fin_due(c) &&
			    ((usable && cwnd_left) ||
			     (!flight && c->timer[TCP_TIMER_PERSIST] == STACK_TIME_NEVER))) {
				tcp_output_segment(s, now, c, c->snd_nxt, 0,
						   TCP_FLAG_ACK | TCP_FLAG_FIN);
				tcp_output_sent(s, now, c, 0, true);
				sent = true;
			}
			break;
		}
		if (len < maxpl && !tcp_output_small_ok(c, len, unsent))
			break;
		/* a TSO frame cut by cwnd or the window ends on a segment boundary
		 * (cwnd is in bytes): its tail would be a runt segment on the wire,
		 * which sender SWS avoidance (RFC 9293 §3.8.6.2.1) keeps back */
		if (len > maxpl && len < unsent)
			len -= len % maxpl;
		if (len == unsent) {
			flags |= TCP_FLAG_PSH;
			if (c->fin_queued && seq_lt(c->snd_nxt + len, wnd_end)) {
				fin = true;
				flags |= TCP_FLAG_FIN;
			}
		}
		tcp_output_segment(s, now, c, c->snd_nxt, len, flags);
		tcp_output_sent(s, now, c, len, fin);
		sent = true;
	}
	return sent;
}

/* RFC 9293 §3.8.6.1: data waits behind a closed window with nothing in flight. */
static void tcp_output_check_persist(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	if (tcp_conn_unsent(c) == 0 || c->snd_una != c->snd_max) {
		return;
	}
	if (tcp_conn_snd_usable(c, c->snd_nxt) >=
	    stack_min(tcp_conn_unsent(c), tcp_output_seg_payload(c)))
		return;
	if (c->timer[TCP_TIMER_PERSIST] == STACK_TIME_NEVER &&
	    c->timer[TCP_TIMER_RETRANSMIT] == STACK_TIME_NEVER)
		tcp_timer_arm_persist(s, now, c);
}

/* RFC 1191 §6.3: a lowered path MTU estimate is tried at full size again after a while. */
static void tcp_output_pmtu_expire(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	if (!c->mss_before_pmtu || now - c->pmtu_lowered_at < s->cfg.tun.pmtu_expires)
		return;
	/* mss_before_pmtu is the negotiated MSS (tcp_input_syn_options), so the
	 * raised estimate never exceeds what the peer allowed */
	c->mss = c->mss_before_pmtu;
	if (c->user_mss && c->mss > c->user_mss)
		c->mss = c->user_mss; /* TCP_MAXSEG set meanwhile */
	c->mss_before_pmtu = 0;
	c->pmtu_no_df = false;
}

void tcp_output(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	tcp_output_pmtu_expire(s, now, c);
	if (tcp_output_can_send_data(c->state)) {
		if (s->link_blocked) {
			if (tcp_conn_unsent(c) || tcp_output_fin_due(c))
				tcp_api_out_blocked(s, c);
		} else {
			tcp_rec_prepare(s, c);
			/* retransmissions first (RFC 6675 §4 NextSeg rule 1), then new data */
			tcp_rec_output(s, now, c);
			tcp_output_data(s, now, c);
			tcp_output_check_persist(s, now, c);
		}
	}
	if (c->ack_now)
		tcp_output_ack(s, now, c);
}

void tcp_output_window_update(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	uint32_t cur = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	uint32_t wnd;

	if (!tcp_state_synchronized(c->state) || c->fin_rcvd)
		return;
	wnd = tcp_output_rcv_window(s, c);
	/* RFC 1122 §4.2.3.3: worth telling once the edge moves by min(buf/2, MSS) */
	if (wnd > cur && wnd - cur >= stack_min(c->rcvbuf_size / 2, (uint32_t)c->rcv_mss))
		tcp_output_ack(s, now, c);
}
