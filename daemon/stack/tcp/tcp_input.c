/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_input.c - segment arrival (RFC 9293 §3.10.7) with RFC 5961's
 * defences (§3 RST, §4 SYN, §5 ACK), PAWS (RFC 7323 §5), the urgent-data
 * policy of RFC 6093, RFC 6298 RTT samples, RFC 5681 / RFC 6582 duplicate
 * ACK handling, and ICMP errors for connections (RFC 1122 §4.2.3.9,
 * RFC 5927).
 *
 * Theory of operation
 *
 * tcp_input() verifies the checksum (unless the link did), parses the header,
 * finds the connection by its 4-tuple (then a listener on the local port)
 * and dispatches on the state exactly as RFC 9293 §3.10.7 is laid out:
 *
 *   TIME-WAIT record           tcp_tw_input()        (tcp_timewait.c)
 *   no connection   §3.10.7.1  tcp_input_closed()    reset reply
 *   LISTEN          §3.10.7.2  tcp_input_listen()    RST ignored, ACK -> RST, SYN -> child
 *   SYN-SENT        §3.10.7.3  tcp_input_syn_sent()  ACK check, RST, SYN
 *   everything else §3.10.7.4  tcp_input_synced(), in the RFC's eight steps:
 *       1 sequence number (PAWS first, then the four-case test)
 *       2 RST     3 security (not implemented)   4 SYN   5 ACK
 *       6 URG     7 segment text                 8 FIN
 *
 * In the seventh step, in-order text goes first to the connection's direct
 * reader when it has one and nothing is kept ahead of it (tcp_input_direct,
 * stack_tcp_set_direct), then into the receive ring.
 *
 * In the fifth step, a SACK connection's ACK also goes through the
 * scoreboard, RACK, PRR and undo of tcp_recovery.c (tcp_rec_ack_begin before
 * SND.UNA moves, tcp_rec_ack_end after); without SACK, NewReno is here.
 *
 * Each step is its own function and returns whether processing goes on.
 * Nothing is sent from inside the steps except immediate replies (RST,
 * challenge ACK, the ACK for an unacceptable segment); data, FIN and the
 * ACK that the segment earned leave through tcp_output() at the end, so one
 * segment in produces at most one ACK out. A connection can be freed by a
 * step (RST, last ACK); the steps then return false and nothing touches it.
 */
#include <errno.h>
#include <string.h>

#include "../wire.h"
#include "tcp_conn.h"
#include "tcp_isn.h"

/* What the steps share about the segment being processed. */
struct tcp_rx {
	const struct ip4_rx *ip;
	struct tcp_seg seg;
	uint32_t seg_len; /* SEG.LEN: payload + SYN + FIN */
	stack_time_us now;
};

uint8_t tcp_input_wscale_for(uint32_t rcvbuf)
{
	uint8_t ws = 0;

	/* RFC 7323 §2.3: the smallest shift that lets the window cover the buffer */
	while (ws < 14 && ((uint64_t)65535 << ws) < rcvbuf)
		ws++;
	return ws;
}

/* What we offer in our SYN (active) or may accept in the peer's (passive). */
void tcp_input_offer(struct stack *s, struct tcp_conn *c)
{
	const struct stack_tunables *tun = &s->cfg.tun;

	c->wscale_ok = tun->window_scaling;
	c->ts_ok = tun->timestamps;
	c->sack_ok = tun->sack;
	c->rcv_wscale = c->wscale_ok ? tcp_input_wscale_for(tcp_autotune_rcvbuf_ceiling(
					       s, c->rcvbuf_locked, c->rcvbuf_size))
				     : 0;
	c->ts_offset = (uint32_t)stack_random(s);
}

void tcp_input_syn_options(struct stack *s, struct tcp_conn *c, const struct tcp_seg *seg)
{
	const struct tcp_opts *o = &seg->opt;
	uint32_t ours = c->user_mss ? stack_min(s->cfg.mtu - 40, c->user_mss) : s->cfg.mtu - 40;
	uint16_t lowered = c->mss;

	/* RFC 9293 §3.7.1: 536 when the peer sent no MSS option; never above our own */
	c->mss = (uint16_t)stack_min(o->has_mss ? o->mss : 536u, ours);
	if (c->mss < 64)
		c->mss = 64; /* a tiny MSS would only multiply our segments */
	/* a path MTU lowered before the handshake (an ICMP for our SYN) still
	 * holds, and its expiry goes back to this negotiated MSS, not to the
	 * one assumed before the peer's option was known */
	if (c->mss_before_pmtu) {
		c->mss_before_pmtu = c->mss;
		c->mss = stack_min(c->mss, lowered);
	}
	/* RFC 7323 §2.2: window scaling only when both sides sent the option */
	c->wscale_ok = c->wscale_ok && o->wscale >= 0;
	c->snd_wscale = c->wscale_ok ? (uint8_t)stack_min(o->wscale, 14) : 0;
	if (!c->wscale_ok)
		c->rcv_wscale = 0;
	/* RFC 7323 §3.2: timestamps only when both sides sent them */
	c->ts_ok = c->ts_ok && o->has_ts;
	if (c->ts_ok)
		c->ts_recent = o->tsval;
	/* RFC 2018 §2 */
	c->sack_ok = c->sack_ok && o->sack_ok;
	tcp_cc_init(&c->cc, tcp_output_max_payload(c), (uint32_t)s->cfg.tun.initial_cwnd);
	/* RFC 6582 §3.2: recover starts at the ISS, below every ACK of data, so
	 * no recovery point is in force until the first loss */
	c->cc.recover = c->iss;
	c->cc.recover_valid = false;
}

/*
 * An RTT measurement for an ACK of new data: TSecr (RFC 7323 §4.1) or the
 * timed segment. True with *ret_rtt_us when there was one (congestion
 * control's HyStart++ uses it too).
 */
static bool tcp_input_rtt_sample(struct stack *s, struct tcp_conn *c, const struct tcp_rx *rx,
				 uint64_t *ret_rtt_us)
{
	const struct stack_tunables *tun = &s->cfg.tun;
	uint64_t rtt_us;

	if (c->ts_ok && rx->seg.opt.has_ts && rx->seg.opt.tsecr) {
		uint32_t ms = tcp_output_tsval(c, rx->now) - rx->seg.opt.tsecr;

		if (ms > 60u * 60 * 1000)
			return false; /* not an echo of ours */
		rtt_us = (uint64_t)ms * 1000;
	} else if (c->rtt_timing && seq_gt(rx->seg.ack, c->rtt_seq)) {
		rtt_us = rx->now - c->rtt_start;
		c->rtt_timing = false;
	} else {
		return false;
	}
	tcp_rtt_sample(&c->rtt, rtt_us, tun->rto_min, tun->rto_max);
	*ret_rtt_us = rtt_us;
	return true;
}

/*
 * RFC 6298 §5.7: when the SYN (or SYN,ACK) had to be retransmitted and no
 * RTT sample came of it, data starts with an RTO of at least 3 seconds.
 */
static void tcp_input_syn_rto_reset(struct tcp_conn *c)
{
	if (c->nrexmit == 0 || c->rtt.has_sample)
		return;
	c->rtt.backoff = 0;
	if (c->rtt.rto_us < 3000000)
		c->rtt.rto_us = 3000000;
}

/* RFC 9293 §3.10.7.1: the connection does not exist. */
static void tcp_input_closed(struct stack *s, struct tcp_rx *rx)
{
	tcp_output_reset_reply(s, rx->now, rx->ip, &rx->seg);
}

/* Set up a new connection's sequence state from a SYN we received. */
static void tcp_input_take_syn(struct tcp_conn *c, const struct tcp_seg *seg)
{
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	c->rcv_up = c->rcv_nxt;
	/* RFC 7323 §2.2: the window field of a SYN is not scaled */
	c->snd_wnd = seg->wnd;
	c->max_snd_wnd = seg->wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
}

static void tcp_input_synced(struct stack *s, struct tcp_conn *c, struct tcp_rx *rx);

/*
 * An ACK to a listener may answer one of our SYN cookies (tcp_syncookie.c):
 * then it makes a child in SYN-RECEIVED that takes this ACK, and any data or
 * FIN on it, through the same steps as every passive child. True when the
 * segment was dealt with (child made, or dropped for lack of room).
 */
static bool tcp_input_listen_cookie(struct stack *s, struct tcp_conn *l, struct tcp_rx *rx)
{
	struct tcp_conn *c;
	int r = tcp_syncookie_ack(s, rx->now, l, rx->ip, &rx->seg, &c);

	if (r == -ENOBUFS)
		return true;
	if (r < 0)
		return false;
	c->segs_in++;
	tcp_input_synced(s, c, rx);
	/* the ACK of the cookie always completes the handshake; never leave a
	 * half-open child without the timer that would end it */
	if (c->in_use && c->state == TCP_SYN_RECEIVED)
		tcp_conn_destroy(s, rx->now, c, TCP_CAUSE_SEG_ACK, &rx->seg);
	return true;
}

/* RFC 9293 §3.10.7.2: LISTEN. */
static void tcp_input_listen(struct stack *s, struct tcp_conn *l, struct tcp_rx *rx)
{
	const struct tcp_seg *seg = &rx->seg;

	/* first: an incoming RST is ignored */
	if (seg->flags & TCP_FLAG_RST)
		return;
	/* second: any ACK is bad while listening: <SEQ=SEG.ACK><CTL=RST>, unless it
	 * answers a SYN cookie (RFC 4987 §3.6) */
	if (seg->flags & TCP_FLAG_ACK) {
		if (!tcp_input_listen_cookie(s, l, rx))
			tcp_output_reset_reply(s, rx->now, rx->ip, seg);
		return;
	}
	/* third: a SYN (security/compartment checks are not implemented) */
	if (seg->flags & TCP_FLAG_SYN)
		tcp_listen_input_syn(s, rx->now, l, rx->ip, seg);
	/* fourth: anything else is dropped */
}

void tcp_input_passive_init(struct stack *s, stack_time_us now, struct tcp_conn *c,
			    const struct tcp_seg *syn, tcp_seq iss, const struct tcp_seg *why)
{
	tcp_input_offer(s, c);
	c->iss = iss;
	c->snd_una = c->iss;
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->snd_up = c->iss;
	tcp_input_take_syn(c, syn);
	tcp_input_syn_options(s, c, syn);
	c->ts_recent_at = now;
	c->last_rcv = now;
	c->passive = true;
	/* the child starts as its listener's copy, in LISTEN (RFC 9293 §3.10.7.2):
	 * its history and the event stream begin with LISTEN -> SYN-RECEIVED, not
	 * with a CLOSED -> LISTEN that no one asked for */
	c->state = TCP_LISTEN;
	tcp_conn_set_state(s, now, c, TCP_SYN_RECEIVED,
			   why->flags & TCP_FLAG_SYN ? TCP_CAUSE_SEG_SYN : TCP_CAUSE_SEG_ACK, why);
}

void tcp_input_passive_open(struct stack *s, stack_time_us now, struct tcp_conn *c,
			    const struct tcp_seg *seg)
{
	tcp_input_passive_init(s, now, c, seg,
			       tcp_isn(s->env.secret, c->tuple.laddr, c->tuple.lport,
				       c->tuple.raddr, c->tuple.rport, now),
			       seg);
	/* <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> */
	tcp_output_syn(s, now, c);
	c->rtt_timing = !c->ts_ok;
	c->rtt_seq = c->iss;
	c->rtt_start = now;
	tcp_timer_arm_rexmit(s, now, c);
}

/* The handshake completed; a FIN the owner asked for meanwhile may go now. */
static void tcp_input_enter_established(struct stack *s, stack_time_us now, struct tcp_conn *c,
					enum tcp_cause cause, const struct tcp_seg *seg)
{
	c->nrexmit = 0;
	tcp_conn_set_state(s, now, c, TCP_ESTABLISHED, cause, seg);
	if (!c->passive)
		tcp_conn_event(s, c, STACK_EV_ESTABLISHED);
	if (c->fin_queued)
		tcp_conn_set_state(s, now, c, TCP_FIN_WAIT_1, TCP_CAUSE_USER_CLOSE, NULL);
}

/* RFC 9293 §3.10.7.3: SYN-SENT. Returns true when data/FIN processing goes on. */
static bool tcp_input_syn_sent(struct stack *s, struct tcp_conn *c, struct tcp_rx *rx)
{
	const struct tcp_seg *seg = &rx->seg;
	bool ack_ok = false;

	/* first: the ACK bit */
	if (seg->flags & TCP_FLAG_ACK) {
		/* SEG.ACK =< ISS or SEG.ACK > SND.NXT: an old duplicate's answer. Reset
		 * it from its own ACK field (unless it is a reset) and keep trying. */
		if (seq_le(seg->ack, c->iss) || seq_gt(seg->ack, c->snd_max)) {
			if (!(seg->flags & TCP_FLAG_RST))
				tcp_output_reset_reply(s, rx->now, rx->ip, seg);
			return false;
		}
		ack_ok = seq_lt(c->snd_una, seg->ack) && seq_le(seg->ack, c->snd_max);
	}
	/* second: RST. Only with an acceptable ACK (RFC 5961 §3.2 for SYN-SENT):
	 * the connection is refused. A RST without one is dropped. */
	if (seg->flags & TCP_FLAG_RST) {
		if (ack_ok)
			tcp_conn_fail(s, rx->now, c, STACK_EV_ERROR, -ECONNREFUSED,
				      TCP_CAUSE_SEG_RST, seg);
		return false;
	}
	/* third: security/compartment (not implemented) */
	/* fourth: SYN */
	if (!(seg->flags & TCP_FLAG_SYN))
		return false; /* fifth: neither SYN nor RST: drop */
	tcp_input_take_syn(c, seg);
	tcp_input_syn_options(s, c, seg);
	c->ts_recent_at = rx->now;
	c->last_rcv = rx->now;
	if (ack_ok) {
		c->snd_una = seg->ack;
		c->snd_wl2 = seg->ack;
		tcp_input_rtt_sample(s, c, rx, &(uint64_t){ 0 });
		tcp_input_syn_rto_reset(c);
	}
	if (seq_gt(c->snd_una, c->iss)) {
		/* our SYN is ACKed: ESTABLISHED, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
		tcp_timer_clear(s, c, TCP_TIMER_RETRANSMIT);
		tcp_input_enter_established(s, rx->now, c, TCP_CAUSE_SEG_SYN_ACK, seg);
		tcp_timer_arm_keepalive(s, rx->now, c);
		c->ack_now = true;
		return true;
	}
	/* simultaneous open: SYN-RECEIVED, <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> */
	tcp_conn_set_state(s, rx->now, c, TCP_SYN_RECEIVED, TCP_CAUSE_SEG_SYN, seg);
	tcp_output_syn(s, rx->now, c);
	tcp_timer_arm_rexmit(s, rx->now, c);
	return false;
}

/*
 * RFC 5961 §7: challenge ACKs, at most challenge_ack_limit a second per
 * connection, spread out: one at most every 1/limit seconds. To the peer a
 * challenge ACK is a duplicate ACK; let three go out in a burst, drawn by
 * three forged segments a millisecond apart, and the peer fast-retransmits
 * and halves its window for nothing. Spaced, real ACKs of new data come in
 * between and reset its count (Linux spaces them too, per socket).
 * TIME-WAIT records (tcp_timewait.c) space theirs with the same rule.
 */
bool tcp_input_challenge_ack_due(struct stack *s, stack_time_us now, stack_time_us last, bool sent)
{
	stack_time_us gap = 1000000 / s->cfg.tun.challenge_ack_limit;

	if (sent && now >= last && now - last < gap) {
		STACK_INC(s, TcpExtTCPACKSkippedChallenge);
		return false;
	}
	STACK_INC(s, TcpExtTCPChallengeACK);
	return true;
}

static void tcp_input_challenge_ack(struct stack *s, struct tcp_conn *c, stack_time_us now)
{
	/* chack_window: when the last one went out; chack_count: 0 before the first */
	if (!tcp_input_challenge_ack_due(s, now, c->chack_window, c->chack_count != 0))
		return;
	c->chack_window = now;
	c->chack_count = 1;
	tcp_output_ack(s, now, c);
}

static uint32_t tcp_input_rcv_wnd(const struct tcp_conn *c)
{
	return seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
}

/*
 * RFC 9293 §3.10.7.4 first: the four-case acceptability test, as the RFC
 * writes it (seq_acceptable()). A segment without data at exactly our right
 * edge, RCV.NXT + RCV.WND, with the window open, is not acceptable: it gets
 * an ACK and its ACK field is not looked at. Linux accepts it; we follow the
 * RFC (issue 10). When does it happen? A peer that filled our window sends
 * its ACKs with SEQ = SND.NXT = our edge; they are acceptable once its data
 * has arrived (RCV.NXT is then the edge and the window zero, or the edge has
 * moved on). Only while some of that data is missing (lost or reordered)
 * do they fall at the edge of an open window: we answer with a duplicate
 * ACK, which tells the peer of the hole, and its ACKs of our data count
 * again once the hole is repaired (README.md, "Acceptability").
 */
static bool tcp_input_seq_acceptable(const struct tcp_conn *c, const struct tcp_rx *rx)
{
	return seq_acceptable(c->rcv_nxt, tcp_input_rcv_wnd(c), rx->seg.seq, rx->seg_len);
}

/* RFC 7323 §5.3: PAWS. True when the segment is an old duplicate. */
static bool tcp_input_paws_reject(struct stack *s, struct tcp_conn *c, const struct tcp_rx *rx)
{
	const struct tcp_seg *seg = &rx->seg;

	if (!c->ts_ok || !seg->opt.has_ts || (seg->flags & TCP_FLAG_RST))
		return false;
	if (!seq_lt(seg->opt.tsval, c->ts_recent))
		return false;
	/* §5.5: a TS.Recent idle for more than 24 days is no longer a reference */
	if (rx->now - c->ts_recent_at > 24ull * 24 * 3600 * 1000000)
		return false;
	STACK_INC(s, TcpExtPAWSEstab);
	return true;
}

/*
 * A retransmitted FIN in TIME-WAIT (its FIN is just below RCV.NXT): re-ACK
 * and restart the 2 MSL timer (RFC 9293 §3.10.7.4, eighth step).
 */
static bool tcp_input_time_wait_fin(struct stack *s, struct tcp_conn *c, const struct tcp_rx *rx)
{
	const struct tcp_seg *seg = &rx->seg;

	if (c->state != TCP_TIME_WAIT || !(seg->flags & TCP_FLAG_FIN) ||
	    (seg->flags & TCP_FLAG_RST))
		return false;
	if (seg->seq + rx->seg_len != c->rcv_nxt)
		return false;
	tcp_output_ack(s, rx->now, c);
	tcp_timer_set(s, c, TCP_TIMER_TIME_WAIT, rx->now + 2 * s->cfg.tun.msl);
	return true;
}

/*
 * An unacceptable segment gets an ACK (RFC 9293 §3.10.7.4). But two ends
 * that disagree about each other's window (state lost on one side, a
 * middlebox rewriting sequence numbers) would then answer each other's pure
 * ACKs without end, an ACK loop; so, as Linux does (its
 * tcp_invalid_ratelimit), ACKs to out-of-window segments that carry no data
 * (pure ACKs, and SYNs) go out at most once per tcp.invalid_ratelimit per
 * connection (TcpExtTCPACKSkippedSeq). A segment with data or a FIN always
 * gets its ACK: an old retransmission is how the peer learns it arrived.
 */
static bool tcp_input_oow_ack_limited(struct stack *s, struct tcp_conn *c, const struct tcp_rx *rx)
{
	uint64_t gap = s->cfg.tun.invalid_ratelimit;

	if (rx->seg_len && !(rx->seg.flags & TCP_FLAG_SYN))
		return false;
	if (gap && c->oow_acked && rx->now - c->oow_ack_at < gap) {
		STACK_INC(s, TcpExtTCPACKSkippedSeq);
		return true;
	}
	c->oow_ack_at = rx->now;
	c->oow_acked = true;
	return false;
}

static bool tcp_input_step_seq(struct stack *s, struct tcp_conn *c, struct tcp_rx *rx)
{
	const struct tcp_seg *seg = &rx->seg;
	bool ok, paws;

	if (tcp_input_time_wait_fin(s, c, rx))
		return false;
	/* a retransmitted SYN in SYN-RECEIVED: answer it with our SYN,ACK again */
	if (c->state == TCP_SYN_RECEIVED &&
	    (seg->flags & (TCP_FLAG_SYN | TCP_FLAG_ACK | TCP_FLAG_RST)) == TCP_FLAG_SYN &&
	    seg->seq == c->irs) {
		tcp_output_syn(s, rx->now, c);
		return false;
	}
	/* simultaneous open (RFC 9293 Figure 8, line 6): the peer's SYN,ACK repeats its
	 * SYN; what is new in it is the ACK of ours, so take it as that ACK */
	if (c->state == TCP_SYN_RECEIVED && !c->passive &&
	    (seg->flags & (TCP_FLAG_SYN | TCP_FLAG_ACK | TCP_FLAG_RST)) ==
		    (TCP_FLAG_SYN | TCP_FLAG_ACK) &&
	    seg->seq == c->irs && seg->len == 0) {
		rx->seg.flags &= (uint8_t)~TCP_FLAG_SYN;
		rx->seg.seq++;
		rx->seg_len--;
	}
	paws = tcp_input_paws_reject(s, c, rx);
	ok = !paws && tcp_input_seq_acceptable(c, rx);
	/* RCV.WND zero: valid ACKs and RSTs are still processed (the text is not) */
	if (!ok && !paws && tcp_input_rcv_wnd(c) == 0 && seg->seq == c->rcv_nxt) {
		if (seg->len || (seg->flags & (TCP_FLAG_FIN | TCP_FLAG_SYN))) {
			STACK_INC(s, TcpExtTCPZeroWindowDrop);
			c->ack_now = true; /* tell the peer the window is still closed */
		}
		rx->seg.len = 0;
		rx->seg.flags &= (uint8_t) ~(TCP_FLAG_FIN | TCP_FLAG_SYN);
		rx->seg_len = 0;
		ok = true;
	}
	if (ok)
		return true;
	/* not acceptable: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, unless it is a RST */
	if (!(seg->flags & TCP_FLAG_RST) && !tcp_input_oow_ack_limited(s, c, rx))
		tcp_output_ack(s, rx->now, c);
	return false;
}

/* RFC 9293 §3.10.7.4 second, with RFC 5961 §3.2. */
static bool tcp_input_step_rst(struct stack *s, struct tcp_conn *c, struct tcp_rx *rx)
{
	const struct tcp_seg *seg = &rx->seg;

	if (!(seg->flags & TCP_FLAG_RST))
		return true;
	if (seg->seq != c->rcv_nxt) {
		/* in the window but not exact: maybe blind, ask with a challenge ACK */
		tcp_input_challenge_ack(s, c, rx->now);
		return false;
	}
	switch (c->state) {
	case TCP_SYN_RECEIVED:
		if (c->passive) {
			/* from a passive open: back to LISTEN, i.e. the half-open child goes
			 * and the listener stays */
			tcp_conn_set_state(s, rx->now, c, TCP_LISTEN, TCP_CAUSE_SEG_RST, seg);
			tcp_conn_destroy(s, rx->now, c, TCP_CAUSE_SEG_RST, seg);
		} else {
			tcp_conn_fail(s, rx->now, c, STACK_EV_ERROR, -ECONNREFUSED,
				      TCP_CAUSE_SEG_RST, seg);
		}
		return false;
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
	case TCP_CLOSE_WAIT:
		/* "any outstanding RECEIVEs and SEND should receive reset responses" */
		tcp_conn_fail(s, rx->now, c, STACK_EV_RESET, -ECONNRESET, TCP_CAUSE_SEG_RST, seg);
		return false;
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		/* both FINs are out: "enter the CLOSED state, delete the TCB, and
		 * return", no error for the owner, whose bytes stay readable */
		tcp_conn_destroy(s, rx->now, c, TCP_CAUSE_SEG_RST, seg);
		return false;
	case TCP_TIME_WAIT:
		/* RFC 1337: a RST must not cut TIME-WAIT short (tunable) */
		if (!s->cfg.tun.rfc1337) {
			STACK_INC(s, TcpExtTWKilled);
			tcp_conn_destroy(s, rx->now, c, TCP_CAUSE_SEG_RST, seg);
		}
		return false;
	case TCP_CLOSED:
	case TCP_LISTEN:
	case TCP_SYN_SENT:
	case TCP_STATE_COUNT:
		break;
	}
	return false;
}

/* RFC 9293 §3.10.7.4 fourth, with RFC 5961 §4: a SYN on a synchronized connection. */
static bool tcp_input_step_syn(struct stack *s, struct tcp_conn *c, struct tcp_rx *rx)
{
	if (!(rx->seg.flags & TCP_FLAG_SYN))
		return true;
	if (c->state == TCP_SYN_RECEIVED && c->passive) {
		/* RFC 9293: from a passive open, return to LISTEN */
		tcp_conn_set_state(s, rx->now, c, TCP_LISTEN, TCP_CAUSE_SEG_SYN, &rx->seg);
		tcp_conn_destroy(s, rx->now, c, TCP_CAUSE_SEG_SYN, &rx->seg);
		return false;
	}
	STACK_INC(s, TcpExtTCPSYNChallenge);
	tcp_input_challenge_ack(s, c, rx->now);
	return false;
}

/*
 * RFC 6675 §2 "DupAck" on a SACK connection: the ACK does not move SND.UNA
 * but SACKs octets above everything SACKed before. Unlike RFC 5681's
 * definition it may carry data or a new window, which is what a receiver
 * that grows its window (Linux) or sends data of its own does. Used only by
 * a SACK connection without a scoreboard (its allocation failed), which
 * keeps just the highest SACKed sequence number and recovers as NewReno;
 * with one, tcp_recovery.c sees every ACK instead (tcp_input_step_ack).
 */
static bool tcp_input_sack_dupack(struct tcp_conn *c, const struct tcp_rx *rx)
{
	const struct tcp_seg *seg = &rx->seg;
	bool news = false;

	if (!c->sack_ok || seg->ack != c->snd_una || c->snd_una == c->snd_max)
		return false;
	for (uint8_t i = 0; i < seg->opt.nsack && i < TCP_SACK_MAX_BLOCKS; i++) {
		tcp_seq right = seg->opt.sack[i].right;

		if (!seq_gt(right, c->snd_una) || seq_gt(right, c->snd_max) ||
		    !seq_lt(seg->opt.sack[i].left, right))
			continue; /* not about data in flight (or a D-SACK below SND.UNA) */
		if (c->sack_high_valid && !seq_gt(right, c->sack_high))
			continue;
		c->sack_high = right;
		c->sack_high_valid = true;
		news = true;
	}
	return news;
}

/* RFC 5681 §2: a duplicate ACK, exactly (or RFC 6675's on a SACK connection). */
static bool tcp_input_is_dupack(struct tcp_conn *c, const struct tcp_rx *rx, uint32_t wnd)
{
	const struct tcp_seg *seg = &rx->seg;

	if (tcp_input_sack_dupack(c, rx))
		return true;
	return seg->ack == c->snd_una && seg->len == 0 &&
	       !(seg->flags & (TCP_FLAG_SYN | TCP_FLAG_FIN)) && wnd == c->snd_wnd &&
	       c->snd_una != c->snd_max && c->snd_wnd != 0 && !(c->sack_ok && seg->opt.nsack);
}

/* Retransmit the segment at SND.UNA (fast retransmit, NewReno partial ACK). */
static void tcp_input_retransmit_head(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	/* only what was sent before: the queue may hold bytes never sent */
	uint32_t sent = c->snd_max - c->snd_una - (c->fin_sent ? 1 : 0);
	uint32_t len;
	uint8_t flags = TCP_FLAG_ACK;

	if (c->snd_una == c->snd_max)
		return;
	len = stack_min(stack_min(c->snd.len, sent), tcp_output_seg_payload(c));
	if (len == sent && c->fin_sent)
		flags |= TCP_FLAG_FIN;
	tcp_output_segment(s, now, c, c->snd_una, len, flags);
	STACK_INC(s, TcpRetransSegs);
	c->total_retrans++;
	c->bytes_retrans += len;
	c->rtt_timing = false;
}

/*
 * RFC 6582 §3.2 step 1: duplicate ACKs that do not get past recover belong to
 * a loss already dealt with, and start no fast retransmit. One case is let
 * through: duplicates exactly at a recover point that a fast recovery set and
 * its full ACK reached. Below recover that recovery resent only the hole each
 * partial ACK showed, so three duplicates there almost always come from
 * segments sent past recover, and the one at recover is lost; refusing them
 * leaves it to a timeout. (Three of those resent holes whose originals were
 * only late, or copies the network made, would draw a needless one, as
 * reordering can anywhere.) After a timeout the go-back-N copies of bytes
 * below recover make such duplicates, so there the rule stands.
 */
static bool tcp_input_dupack_recovered(const struct tcp_conn *c, tcp_seq ack)
{
	if (!c->cc.recover_valid || seq_gt(ack, c->cc.recover))
		return false;
	return seq_lt(ack, c->cc.recover) || c->cc.recover_by_rto;
}

static void tcp_input_dupack(struct stack *s, struct tcp_conn *c, struct tcp_rx *rx)
{
	c->dupacks++;
	if (c->cc.in_recovery) {
		c->cc.ops->on_dupack(&c->cc);
		return;
	}
	/* RFC 5681 §3.2 / RFC 6582 §3.2 step 1-2: exactly the third duplicate, and
	 * only when this loss is not one already being recovered */
	if (c->dupacks != 3 || tcp_input_dupack_recovered(c, rx->seg.ack))
		return;
	STACK_INC(s, TcpExtTCPFastRetrans);
	STACK_INC(s, TcpExtTCPRenoRecovery);
	tcp_cc_set_recover(&c->cc, c->snd_max, false);
	c->cc.ops->enter_recovery(&c->cc, c->snd_max - c->snd_una);
	tcp_input_retransmit_head(s, rx->now, c);
	tcp_timer_arm_rexmit(s, rx->now, c);
}

/* New data ACKed on a connection without scoreboard: NewReno (RFC 6582 §3.2). */
static void tcp_input_newreno_ack(struct stack *s, struct tcp_conn *c, struct tcp_rx *rx,
				  struct tcp_cc_ack *cca)
{
	if (!c->cc.in_recovery) {
		tcp_cc_ack(&c->cc, cca, c->max_snd_wnd);
	} else if (seq_ge(rx->seg.ack, c->cc.recover)) {
		c->cc.ops->on_exit_recovery(&c->cc, c->snd_max - c->snd_una);
	} else {
		/* step 3: partial ACK, resend the next hole */
		c->cc.ops->on_partial_ack(&c->cc, cca->acked);
		tcp_input_retransmit_head(s, rx->now, c);
	}
}

/*
 * SND.UNA moved forward by acked sequence numbers: free the send buffer.
 * *cca is what congestion control is told of this ACK (tcp_cc_ack): here
 * for NewReno, by tcp_rec_ack_end with a scoreboard.
 */
static void tcp_input_ack_new(struct stack *s, struct tcp_conn *c, struct tcp_rx *rx,
			      struct tcp_cc_ack *cca)
{
	tcp_seq ack = rx->seg.ack;
	uint32_t acked = ack - c->snd_una;
	uint32_t data = acked;
	uint32_t flight_before = c->snd_max - c->snd_una;

	*cca = (struct tcp_cc_ack){ .now = rx->now,
				    .acked = acked,
				    .ack = ack,
				    .after_rto = c->cc.recover_valid && c->cc.recover_by_rto };

	if (c->fin_sent && ack == c->snd_max && data > c->snd.len)
		data = c->snd.len; /* our FIN is ACKed too */
	data = stack_min(data, c->snd.len);
	tcp_ringbuf_consume(&c->snd, data);
	tcp_mem_snd_drained(s, rx->now, c);
	c->bytes_acked += acked;
	cca->has_rtt = tcp_input_rtt_sample(s, c, rx, &cca->rtt_us);
	c->snd_una = ack;
	if (seq_lt(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	c->nrexmit = 0;
	c->persist_backoff = 0;
	c->stall_since = 0;  /* progress: the user timeout starts over */
	c->orphan_tries = 0; /* progress; answers without any do not reset it (tcp_orphan.c) */
	c->dupacks = 0;
	if (c->sack_high_valid && seq_ge(c->snd_una, c->sack_high))
		c->sack_high_valid = false;
	/* congestion control (with a scoreboard: tcp_rec_ack_end, given *cca) */
	cca->snd_nxt = c->snd_nxt;
	cca->srtt_us = c->rtt.has_sample ? c->rtt.srtt_us : 0;
	if (!tcp_rec_sack_mode(c))
		tcp_input_newreno_ack(s, c, rx, cca);
	/*
	 * Once SND.UNA is past recover, the point has done its job. Dropping it
	 * keeps the sequence comparison above meaningful: a recover point left
	 * 2^31 bytes behind (the ISS of a long loss-free transfer) would read as
	 * ahead of every ACK and refuse fast retransmit until a timeout.
	 */
	if (c->cc.recover_valid && !c->cc.in_recovery && seq_gt(c->snd_una, c->cc.recover))
		c->cc.recover_valid = false;
	/* RFC 6298 §5.2-5.3 */
	if (c->snd_una == c->snd_max)
		tcp_timer_clear(s, c, TCP_TIMER_RETRANSMIT);
	else
		tcp_timer_arm_rexmit(s, rx->now, c);
	tcp_autotune_snd_acked(s, c, flight_before, (uint32_t)rx->seg.wnd << c->snd_wscale);
	if (c->want_writable && tcp_mem_snd_writable(s, c) && !c->fin_queued) {
		c->want_writable = false;
		tcp_conn_event(s, c, STACK_EV_WRITABLE);
	}
}

/* Our FIN has been sent and everything up to and including it is ACKed. */
static bool tcp_input_fin_acked(const struct tcp_conn *c)
{
	return c->fin_sent && c->snd_una == c->snd_max;
}

/*
 * RFC 7323 §4.3 (2), RFC 9293 §3.10.7.4: remember the newest timestamp, from
 * a segment that has passed the sequence, RST, SYN and ACK checks and does
 * not start beyond what we have ACKed. Called only once the ACK field is
 * found acceptable: a segment forged with an in-window SEQ, a TSval far ahead
 * and an ACK it could not know would otherwise set TS.Recent, and PAWS would
 * then drop every segment of the real peer.
 */
static void tcp_input_ts_recent(struct tcp_conn *c, const struct tcp_rx *rx)
{
	const struct tcp_seg *seg = &rx->seg;

	if (c->ts_ok && seg->opt.has_ts && seq_le(seg->seq, c->rcv_nxt) &&
	    seq_ge(seg->opt.tsval, c->ts_recent)) {
		c->ts_recent = seg->opt.tsval;
		c->ts_recent_at = rx->now;
	}
}

/* RFC 9293 §3.10.7.4 fifth: the ACK field. */
static bool tcp_input_step_ack(struct stack *s, struct tcp_conn *c, struct tcp_rx *rx)
{
	const struct tcp_seg *seg = &rx->seg;
	uint32_t wnd;

	if (!(seg->flags & TCP_FLAG_ACK))
		return false; /* "if the ACK bit is off, drop the segment and return" */
	wnd = (uint32_t)seg->wnd << c->snd_wscale;
	if (c->state == TCP_SYN_RECEIVED) {
		/* SND.UNA < SEG.ACK =< SND.NXT: ESTABLISHED; else <SEQ=SEG.ACK><CTL=RST> */
		if (!(seq_lt(c->snd_una, seg->ack) && seq_le(seg->ack, c->snd_max))) {
			tcp_output_reset_reply(s, rx->now, rx->ip, seg);
			return false;
		}
		/* our SYN,ACK's window was not charged (tcp_mem.c): back it now, or
		 * drop the ACK without a reset; our SYN,ACK retransmission makes
		 * the peer send it again */
		if (c->passive && tcp_mem_rcv_reserve(s, c) < 0) {
			STACK_INC(s, TcpExtListenDrops);
			return false;
		}
		if (c->passive && !tcp_listen_child_established(s, c)) {
			/* accept queue full: ignore the ACK, the peer will retry */
			return false;
		}
		tcp_input_ts_recent(c, rx);
		c->snd_una = seg->ack;
		c->snd_wnd = wnd;
		c->max_snd_wnd = stack_max(c->max_snd_wnd, wnd);
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = seg->ack;
		tcp_input_rtt_sample(s, c, rx, &(uint64_t){ 0 });
		tcp_input_syn_rto_reset(c);
		tcp_timer_clear(s, c, TCP_TIMER_RETRANSMIT);
		tcp_input_enter_established(s, rx->now, c, TCP_CAUSE_SEG_ACK, seg);
		tcp_timer_arm_keepalive(s, rx->now, c);
		return true;
	}
	/* RFC 5961 §5.2: (SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT, else ACK and drop */
	if (seq_gt(seg->ack, c->snd_max) || seq_lt(seg->ack, c->snd_una - c->max_snd_wnd)) {
		tcp_input_challenge_ack(s, c, rx->now);
		return false;
	}
	tcp_input_ts_recent(c, rx);
	c->persist_probes = 0;
	if (tcp_rec_sack_mode(c)) {
		/* the scoreboard, RACK, PRR and undo see the ACK around SND.UNA's move */
		struct tcp_rec_ack ra;

		tcp_rec_ack_begin(s, c, rx->now, seg, &ra);
		ra.cca = (struct tcp_cc_ack){ .now = rx->now };
		if (seq_gt(seg->ack, c->snd_una))
			tcp_input_ack_new(s, c, rx, &ra.cca);
		tcp_rec_ack_end(s, c, rx->now, seg, &ra);
	} else if (seq_gt(seg->ack, c->snd_una)) {
		struct tcp_cc_ack cca;

		tcp_input_ack_new(s, c, rx, &cca);
	} else if (tcp_input_is_dupack(c, rx, wnd)) {
		tcp_input_dupack(s, c, rx);
	} else if (seg->ack == c->snd_una && seg->len == 0 && !(seg->flags & TCP_FLAG_FIN) &&
		   !c->sack_ok) {
		/* RFC 5681 §2: an ACK that is not a true duplicate breaks the run */
		if (wnd != c->snd_wnd || c->snd_una == c->snd_max)
			c->dupacks = 0;
	}
	/* the window, "if SND.UNA =< SEG.ACK =< SND.NXT" (an older ACK's window is
	 * older too), when SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =<
	 * SEG.ACK); the edge it gives is SND.WL2 + SND.WND (tcp_conn_snd_wnd_end) */
	if (seq_ge(seg->ack, c->snd_una) &&
	    (seq_lt(c->snd_wl1, seg->seq) ||
	     (c->snd_wl1 == seg->seq && seq_le(c->snd_wl2, seg->ack)))) {
		c->snd_wnd = wnd;
		c->max_snd_wnd = stack_max(c->max_snd_wnd, wnd);
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = seg->ack;
		if (wnd && c->timer[TCP_TIMER_PERSIST] != STACK_TIME_NEVER &&
		    c->snd_una == c->snd_max) {
			tcp_timer_clear(s, c, TCP_TIMER_PERSIST);
			c->persist_backoff = 0;
			c->stall_since = 0; /* the window opened: the user timeout starts over */
		}
	}
	switch (c->state) {
	case TCP_FIN_WAIT_1:
		if (tcp_input_fin_acked(c)) {
			tcp_conn_set_state(s, rx->now, c, TCP_FIN_WAIT_2, TCP_CAUSE_SEG_ACK, seg);
			if (c->orphan)
				tcp_timer_set(s, c, TCP_TIMER_FIN_WAIT_2,
					      rx->now + s->cfg.tun.fin_wait2_timeout);
		}
		return true;
	case TCP_CLOSING:
		if (tcp_input_fin_acked(c))
			tcp_timer_enter_time_wait(s, rx->now, c, TCP_CAUSE_SEG_ACK, seg);
		return false;
	case TCP_LAST_ACK:
		if (tcp_input_fin_acked(c)) {
			tcp_conn_destroy(s, rx->now, c, TCP_CAUSE_SEG_ACK, seg);
			return false;
		}
		return false;
	case TCP_TIME_WAIT:
		/* only a retransmitted FIN can arrive; the eighth step re-ACKs it */
		return true;
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT_2:
	case TCP_CLOSE_WAIT:
		return true;
	case TCP_CLOSED:
	case TCP_LISTEN:
	case TCP_SYN_SENT:
	case TCP_SYN_RECEIVED:
	case TCP_STATE_COUNT:
		break;
	}
	return true;
}

/*
 * RFC 9293 §3.10.7.4 sixth: URG. The urgent bytes stay in the stream (RFC
 * 6093 §6: no separate channel); the mark is kept so the application can be
 * told (MUST-30/31, stack_tcp_urgent_offset). The pointer is read as RFC 6093
 * §4 says every stack does: it points to the byte after the urgent data, so
 * the last urgent byte is SEG.SEQ + SEG.UP - 1. Only states that still take
 * data look at it, and a mark never moves back.
 */
static bool tcp_input_step_urg(struct stack *s, struct tcp_conn *c, struct tcp_rx *rx)
{
	const struct tcp_seg *seg = &rx->seg;
	tcp_seq up;

	(void)s;
	if (!(seg->flags & TCP_FLAG_URG) || seg->urp == 0 ||
	    !(c->state == TCP_ESTABLISHED || c->state == TCP_FIN_WAIT_1 ||
	      c->state == TCP_FIN_WAIT_2))
		return true;
	up = seg->seq + seg->urp;
	if (!c->rcv_up_valid || seq_gt(up, c->rcv_up)) {
		c->rcv_up = up;
		c->rcv_up_valid = true;
	}
	return true;
}

/*
 * Quick ACKs (tcp.quick_acks, in the manner of Linux's quickack mode): a
 * connection's data is ACKed without delay this many times when it starts,
 * and again once the connection has received nothing for longer than its
 * RTO, as it was. A peer that holds its next small segment until the last
 * is ACKed (Nagle, RFC 1122 §4.2.3.4: write, write, then wait for the
 * answer) would otherwise wait out our delayed_ack at every such start.
 * Not while the connection is interactive: our application answered the
 * peer's last data, or the handshake as a client's first request does,
 * within delayed_ack (tcp_output_segment), so the next answer will carry
 * the ACK; it stops being so when a delayed ACK had to go alone
 * (tcp_timer_delack), and after the idle time.
 */
static void tcp_input_quick_refill(const struct stack *s, struct tcp_conn *c, stack_time_us now)
{
	const struct stack_tunables *tun = &s->cfg.tun;

	if (c->last_data_rcv && now >= c->last_data_rcv &&
	    now - c->last_data_rcv <= tcp_rtt_timeout(&c->rtt, tun->rto_min, tun->rto_max))
		return;
	c->quick_acks = (uint8_t)stack_min(tun->quick_acks, 255u);
	/*
	 * After the idle time, not interactive either (Linux keeps its pingpong
	 * mode across idle): a peer that writes twice and waits after a pause
	 * is not held, for the price of one ACK more where the answer comes from
	 * a program (libsynack, synack-run), which answers in a later turn. At
	 * the first data, a client's request may have made it interactive.
	 */
	if (c->last_data_rcv)
		c->interactive = false;
}

/* Data came (in order, out of order, or filling a hole): what quick ACKs
 * and the interactive test go by. */
static void tcp_input_data_came(const struct stack *s, struct tcp_conn *c, stack_time_us now)
{
	tcp_input_quick_refill(s, c, now);
	c->last_data_rcv = c->answer_from = now ? now : 1;
}

/*
 * When the data just received is ACKed (RFC 1122 §4.2.3.2, RFC 5681 §4.2):
 * len bytes (0: a FIN) owe an ACK at once after two full-size segments, or
 * with delaying off; a quick one (tcp_input_quick_refill) is due at once
 * too, but from the DELACK timer at the same time, so that what our
 * application writes in reply within this turn of the loop still carries
 * it; else at most delayed_ack later.
 */
static void tcp_input_schedule_ack(struct stack *s, struct tcp_conn *c, stack_time_us now,
				   uint32_t len)
{
	uint32_t full = c->rcv_mss - (c->ts_ok ? 12 : 0);
	stack_time_us due = now + s->cfg.tun.delayed_ack;

	if (len)
		tcp_input_data_came(s, c, now);

	/* "full-size" is what this peer sends when it has plenty: the largest
	 * segment seen so far, at most our MSS less the options, at least 536 */
	c->rcv_seg_max = stack_max(c->rcv_seg_max, stack_min(len, full));
	full = stack_min(full, stack_max(c->rcv_seg_max, 536u));
	c->rcv_unacked += len;
	/* at least every second full-size segment, and at once when delaying is off */
	if (c->rcv_unacked >= 2u * full || s->cfg.tun.delayed_ack == 0) {
		c->ack_now = true;
		return;
	}
	if (len && c->quick_acks && !c->interactive && !c->quick_due) {
		c->quick_acks--;
		c->quick_due = true;
		due = now;
	}
	if (c->timer[TCP_TIMER_DELACK] > due)
		tcp_timer_set(s, c, TCP_TIMER_DELACK, due);
}

/* In-order bytes at RCV.NXT: deliver them and whatever they join up with;
 * took: the segment's bytes before them its direct reader took (ACKed with them). */
static void tcp_input_in_order(struct stack *s, struct tcp_conn *c, struct tcp_rx *rx,
			       const uint8_t *data, uint32_t len, uint32_t took)
{
	bool had_holes = !tcp_reasm_empty(&c->reasm);
	uint32_t n = tcp_ringbuf_write_at(&c->rcv, 0, data, len);

	while (n) {
		tcp_ringbuf_commit(&c->rcv, n);
		c->rcv_nxt += n;
		c->bytes_received += n;
		n = tcp_reasm_advance(&c->reasm, n);
	}
	if (had_holes)
		tcp_mem_reasm_shrink(s, c); /* back into the connection once few holes are left */
	tcp_autotune_rcv_data(c, rx->now);
	tcp_conn_event(s, c, STACK_EV_READABLE);
	if (had_holes) {
		tcp_input_data_came(s, c, rx->now);
		c->ack_now = true; /* RFC 5681 §4.2: a segment that fills a hole is ACKed at once */
	} else
		tcp_input_schedule_ack(s, c, rx->now, took + len);
}

/*
 * May in-order bytes go to c's direct reader (stack_tcp_set_direct) before
 * they would be kept? Only while nothing is kept ahead of them (the ring
 * empty, no out-of-order bytes: the order holds) and no urgent mark is
 * pending (it counts in the ring).
 */
static bool tcp_input_direct_ok(const struct stack *s, const struct tcp_conn *c)
{
	return c->direct && s->env.direct && c->rcv.len == 0 && tcp_reasm_empty(&c->reasm) &&
	       !c->rcv_up_valid;
}

/*
 * Offer len in-order bytes (all within the connection's limit) to the direct
 * reader: what it takes is received and read at once. Returns how many.
 */
static uint32_t tcp_input_direct(struct stack *s, struct tcp_conn *c, struct tcp_rx *rx,
				 const uint8_t *data, uint32_t len)
{
	size_t n = s->env.direct(s->env.direct_ctx, tcp_conn_sock(s, c), c->owner, data, len);
	uint32_t took = n < len ? (uint32_t)n : len;

	if (took == 0)
		return 0;
	c->rcv_nxt += took;
	c->bytes_received += took;
	tcp_autotune_rcv_data(c, rx->now);
	tcp_api_rcv_direct_taken(s, rx->now, c);
	/* a peer left with less than a segment of window cannot send what would
	 * draw the ACK: as a read reopens the window (tcp_output_window_update),
	 * the ACK goes now, not at the delayed-ACK timer */
	if (!seq_gt(c->rcv_adv, c->rcv_nxt) || c->rcv_adv - c->rcv_nxt < c->rcv_mss)
		c->ack_now = true;
	return took;
}

/* RFC 9293 §3.10.7.4 seventh: segment text. */
static bool tcp_input_step_text(struct stack *s, struct tcp_conn *c, struct tcp_rx *rx)
{
	const struct tcp_seg *seg = &rx->seg;
	const uint8_t *data = seg->payload;
	tcp_seq dseq = seg->seq + ((seg->flags & TCP_FLAG_SYN) ? 1 : 0);
	uint32_t len = seg->len, off, room, took = 0;
	int r;

	if (len == 0)
		return true;
	switch (c->state) {
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
		break;
	default:
		return true; /* after the peer's FIN, text cannot occur: ignore it */
	}
	if (c->orphan && seq_gt(dseq + len, c->rcv_nxt)) {
		/* RFC 9293 §3.10.4 / RFC 2525 §2.17: new data nobody will read */
		STACK_INC(s, TcpExtTCPAbortOnData);
		tcp_output_rst(s, rx->now, c);
		tcp_conn_destroy(s, rx->now, c, TCP_CAUSE_SEG_ACK, seg);
		return false;
	}
	/* trim what we already have (duplicate or overlapping data is never delivered twice) */
	if (seq_lt(dseq, c->rcv_nxt)) {
		uint32_t skip = c->rcv_nxt - dseq;

		if (skip >= len) {
			c->ack_now = true;
			return true;
		}
		data += skip;
		len -= skip;
		dseq = c->rcv_nxt;
	}
	off = dseq - c->rcv_nxt;
	if (off == 0 && tcp_input_direct_ok(s, c)) {
		uint32_t fit = tcp_mem_rcv_room(s, c, len); /* what may be taken at all */

		took = fit ? tcp_input_direct(s, c, rx, data, fit) : 0;
		if (took && took == fit) {
			tcp_input_schedule_ack(s, c, rx->now, took);
			return true;
		}
		if (took) {
			/* the rest of what fits is kept */
			data += took;
			len = fit - took;
		}
	}
	/* in-window bytes always fit (the budget backs the window); beyond it, what memory allows */
	room = tcp_mem_rcv_take(s, c, off, len);
	if (room == 0) {
		STACK_INC(s, TcpExtTCPRcvQDrop);
		c->ack_now = true;
		return true;
	}
	len = room;
	if (off == 0) {
		tcp_input_in_order(s, c, rx, data, len, took);
		return true;
	}
	/* out of order: keep it at its offset, ACK at once (RFC 5681 §4.2, SACK RFC 2018);
	 * more holes than the connection keeps: a larger array, if the budget allows */
	tcp_input_data_came(s, c, rx->now);
	c->ack_now = true;
	r = tcp_reasm_add(&c->reasm, off, len);
	if (r == -ENOSPC && tcp_mem_reasm_grow(s, c) == 0)
		r = tcp_reasm_add(&c->reasm, off, len);
	if (r < 0) {
		STACK_INC(s, TcpExtTCPOFODrop);
		return true;
	}
	tcp_ringbuf_write_at(&c->rcv, off, data, len);
	STACK_INC(s, TcpExtTCPOFOQueue);
	return true;
}

/*
 * RFC 9293 §3.10.7.4 eighth: FIN. A FIN beyond a hole is kept, as the bytes
 * before it are (§3.10.7.4 first: segments beyond RCV.NXT are held for
 * later processing), and taken when the segment that fills the hole has
 * brought RCV.NXT exactly to it: the peer need not retransmit it. Linux
 * keeps it so; dropping it had cost a sender without SACK a retransmission
 * timeout (sim adversary, wrap31-nosack, once the window let its tail go
 * out of order). The lowest such FIN is kept, and forgotten once RCV.NXT
 * passes it (bytes past a FIN, which a forged FIN in the window would also
 * leave): a stale one could otherwise match RCV.NXT after the sequence
 * space wraps.
 */
static void tcp_input_step_fin(struct stack *s, struct tcp_conn *c, struct tcp_rx *rx)
{
	const struct tcp_seg *seg = &rx->seg;
	tcp_seq fin_seq = seg->seq + ((seg->flags & TCP_FLAG_SYN) ? 1 : 0) + seg->len;
	bool delay;

	if (c->fin_ooo_held && seq_gt(c->rcv_nxt, c->fin_ooo_seq))
		c->fin_ooo_held = false; /* the stream went past it: not the peer's last byte */
	if (!(seg->flags & TCP_FLAG_FIN)) {
		if (!c->fin_ooo_held || c->fin_rcvd || c->rcv_nxt != c->fin_ooo_seq)
			return;
		fin_seq = c->fin_ooo_seq; /* the hole before a kept FIN is filled */
	} else if (c->state == TCP_TIME_WAIT) {
		/* "Remain in TIME-WAIT; restart the 2 MSL time-wait timeout" */
		c->ack_now = true;
		tcp_timer_set(s, c, TCP_TIMER_TIME_WAIT, rx->now + 2 * s->cfg.tun.msl);
		return;
	}
	if (!c->fin_rcvd && seq_gt(fin_seq, c->rcv_nxt)) {
		/* a FIN beyond a hole is kept (the lowest one seen); like any
		 * out-of-order segment it is answered at once with a duplicate
		 * ACK (RFC 5681 §4.2), with our SACK blocks, so the peer learns of
		 * the hole (a FIN alone would otherwise draw no answer at all) */
		c->ack_now = true;
		c->fin_ooo = true;
		if (!c->fin_ooo_held || seq_lt(fin_seq, c->fin_ooo_seq)) {
			c->fin_ooo_held = true;
			c->fin_ooo_seq = fin_seq;
		}
		return;
	}
	if (c->fin_rcvd || fin_seq != c->rcv_nxt)
		return;
	c->fin_ooo_held = false;
	c->rcv_nxt++;
	c->fin_rcvd = true;
	tcp_conn_event(s, c, STACK_EV_PEER_CLOSED);
	/*
	 * In SYN-RECEIVED or ESTABLISHED the application mostly answers the FIN
	 * with its own close, within the turn: our FIN then carries the ACK, one
	 * segment less (Linux's receiver, in pingpong mode by then, waits the
	 * same way), so the ACK is delayed as for data (RFC 1122 §4.2.3.2). At
	 * once after our close (our FIN sent, or queued behind a closed window:
	 * nothing of ours will come soon to carry it), and for a FIN first
	 * seen beyond a hole, which the peer has been waiting on since.
	 */
	delay = (c->state == TCP_SYN_RECEIVED || c->state == TCP_ESTABLISHED) && !c->fin_ooo;
	if (!delay)
		c->ack_now = true;
	switch (c->state) {
	case TCP_SYN_RECEIVED:
	case TCP_ESTABLISHED:
		tcp_conn_set_state(s, rx->now, c, TCP_CLOSE_WAIT, TCP_CAUSE_SEG_FIN, seg);
		if (delay)
			tcp_input_schedule_ack(s, c, rx->now, 0);
		break;
	case TCP_FIN_WAIT_1:
		if (tcp_input_fin_acked(c))
			tcp_timer_enter_time_wait(s, rx->now, c, TCP_CAUSE_SEG_FIN, seg);
		else
			tcp_conn_set_state(s, rx->now, c, TCP_CLOSING, TCP_CAUSE_SEG_FIN, seg);
		break;
	case TCP_FIN_WAIT_2:
		tcp_timer_enter_time_wait(s, rx->now, c, TCP_CAUSE_SEG_FIN, seg);
		break;
	default:
		break;
	}
}

/*
 * May a batch's data still wait for the batch's end to be answered? Not once
 * the ACK it is owed would move the window's right edge by a quarter of the
 * window our last ACK opened: a sender that the window limits would
 * otherwise wait for the whole batch (up to LINK_RX_BUDGET TSO frames, 4 MB)
 * before it may send again. The edge moves as a reader takes bytes, or
 * while the buffer has room beyond the window (autotuning opens it as data
 * comes); bytes kept in a full buffer move nothing, so a reader that is
 * behind gets no ACK in the batch. Only an ACK that is owed (every second
 * full segment) goes, and only the ACK: data of ours waits for the batch's
 * end, as before, so what we send is still cut once per batch.
 */
static bool tcp_input_batch_ack_due(const struct stack *s, const struct tcp_conn *c)
{
	uint32_t left = tcp_input_rcv_wnd(c);
	uint32_t wnd = tcp_output_rcv_window(s, c);
	uint64_t opened = (uint64_t)c->rcv_unacked + left;

	return wnd > left && 4 * (uint64_t)(wnd - left) >= opened;
}

/* RFC 9293 §3.10.7.4: every state past SYN-SENT. */
static void tcp_input_synced(struct stack *s, struct tcp_conn *c, struct tcp_rx *rx)
{
	bool keep_probing = c->keep_probes != 0;

	if (!tcp_input_step_seq(s, c, rx))
		return;
	c->last_rcv = rx->now;
	c->keep_probes = 0;
	if (!tcp_input_step_rst(s, c, rx))
		return;
	/* third: security and compartment are not implemented (RFC 9293 §3.10.7.4) */
	if (!tcp_input_step_syn(s, c, rx))
		return;
	if (!tcp_input_step_ack(s, c, rx)) {
		if (c->in_use && c->state != TCP_CLOSED)
			tcp_output(s, rx->now, c);
		return;
	}
	if (keep_probing)
		tcp_timer_arm_keepalive(s, rx->now, c);
	if (!tcp_input_step_urg(s, c, rx) || !tcp_input_step_text(s, c, rx))
		return;
	tcp_input_step_fin(s, c, rx);
	if (!c->in_use) /* gone when a TIME-WAIT record took over (tcp_timewait.c) */
		return;
	/* data in a batch: answered once at its end (stack_input_batch_end), with
	 * all the batch brought, but the ACK it is owed goes now once it would
	 * open a quarter of the window again (what we send waits for the end);
	 * pure ACKs clock our sending and act at once */
	if (s->in_batch && c->sack_ok && c->state == TCP_ESTABLISHED && rx->seg.len) {
		if (c->ack_now && tcp_input_batch_ack_due(s, c))
			tcp_output_ack(s, rx->now, c);
		tcp_api_out_blocked(s, c);
	} else {
		tcp_output(s, rx->now, c);
	}
}

void tcp_input_batch_end(struct stack *s, stack_time_us now)
{
	tcp_api_flush_blocked(s, now);
}

static struct tcp_conn *tcp_input_find_listener(const struct stack *s, const struct tcp_tuple *t)
{
	struct tcp_tuple k = { .laddr = t->laddr, .lport = t->lport };
	struct tcp_conn *l = tcp_conn_lookup(s, &k);

	if (l)
		return l;
	k.laddr = 0;
	return tcp_conn_lookup(s, &k);
}

bool tcp_input_listening(const struct stack *s, const struct tcp_tuple *t)
{
	const struct tcp_conn *l = tcp_input_find_listener(s, t);

	return l && l->state == TCP_LISTEN;
}

/*
 * RFC 9293 §3.10.7.4 fourth and RFC 6191: a SYN for a pair in TIME-WAIT may
 * reopen it when its sequence number (or timestamp) is newer than anything
 * the old incarnation sent, and a listener is there to take it. Returns
 * true when the entry was recycled.
 */
static bool tcp_input_time_wait_reuse(struct stack *s, struct tcp_conn *c, struct tcp_rx *rx)
{
	const struct tcp_seg *seg = &rx->seg;
	bool newer;

	if (c->state != TCP_TIME_WAIT ||
	    (seg->flags & (TCP_FLAG_SYN | TCP_FLAG_ACK | TCP_FLAG_RST)) != TCP_FLAG_SYN)
		return false;
	if (c->ts_ok && seg->opt.has_ts)
		newer = seq_gt(seg->opt.tsval, c->ts_recent);
	else
		newer = seq_gt(seg->seq, c->rcv_nxt);
	/* reopening is for a listener to take the SYN; with none, it is a SYN in
	 * TIME-WAIT (RFC 5961 §4), or blind SYNs would end TIME-WAIT (RFC 1337) */
	if (!newer || !tcp_input_listening(s, &c->tuple))
		return false;
	STACK_INC(s, TcpExtTWRecycled);
	tcp_conn_destroy(s, rx->now, c, TCP_CAUSE_TIME_WAIT_REUSE, seg);
	return true;
}

void tcp_input(struct stack *s, stack_time_us now, const struct ip4_rx *ip, const uint8_t *buf,
	       size_t len)
{
	struct tcp_tuple t;
	struct tcp_conn *c;
	struct tcp_rx rx;

	if (now > s->tcp.now)
		s->tcp.now = now;
	STACK_INC(s, TcpInSegs);
	if (!ip->csum_valid && !ip->csum_partial && !tcp_wire_csum_ok(buf, len, ip->src, ip->dst)) {
		STACK_INC(s, TcpInCsumErrors);
		STACK_INC(s, TcpInErrs);
		return;
	}
	memset(&rx, 0, sizeof(rx));
	if (tcp_wire_parse(buf, len, &rx.seg) < 0) {
		STACK_INC(s, TcpInErrs);
		return;
	}
	rx.ip = ip;
	rx.now = now;
	rx.seg_len = tcp_seg_len(&rx.seg);
	t.laddr = ip->dst;
	t.raddr = ip->src;
	t.lport = rx.seg.dport;
	t.rport = rx.seg.sport;
	c = tcp_conn_lookup(s, &t);
	if (c && tcp_input_time_wait_reuse(s, c, &rx))
		c = NULL;
	/* no connection: a TIME-WAIT record answers, unless the SYN reopened the pair */
	if (!c && tcp_tw_input(s, now, &t, ip, &rx.seg))
		return;
	if (!c)
		c = tcp_input_find_listener(s, &t);
	tcp_output_trace_in(s, now, c ? tcp_conn_sock(s, c) : STACK_SOCK_NONE, ip, &rx.seg);
	if (!c) {
		tcp_input_closed(s, &rx);
		return;
	}
	c->segs_in++;
	switch (c->state) {
	case TCP_LISTEN:
		tcp_input_listen(s, c, &rx);
		return;
	case TCP_SYN_SENT:
		if (tcp_input_syn_sent(s, c, &rx)) {
			/* RFC 9293 §3.10.7.3: text or FIN riding on the SYN,ACK, from the sixth step */
			if (tcp_input_step_text(s, c, &rx))
				tcp_input_step_fin(s, c, &rx);
			if (c->in_use && c->state != TCP_CLOSED)
				tcp_output(s, now, c);
		}
		return;
	case TCP_CLOSED:
		/* a connection reset or timed out, waiting for its owner to close it */
		tcp_input_closed(s, &rx);
		return;
	default:
		tcp_input_synced(s, c, &rx);
		return;
	}
}

static int tcp_input_icmp_errno(uint8_t code, bool *ret_hard)
{
	*ret_hard = true;
	switch (code) {
	case 0:	 /* net unreachable */
	case 6:	 /* destination network unknown */
	case 9:	 /* network administratively prohibited */
	case 11: /* network unreachable for TOS */
		return -ENETUNREACH;
	case 2: /* protocol unreachable */
	case 3: /* port unreachable */
		return -ECONNREFUSED;
	case 1:	 /* host unreachable */
	case 7:	 /* destination host unknown */
	case 10: /* host administratively prohibited */
	case 12: /* host unreachable for TOS */
	case 13: /* communication administratively prohibited */
		return -EHOSTUNREACH;
	default:
		*ret_hard = false;
		return -EHOSTUNREACH;
	}
}

/*
 * ICMP fragmentation needed (RFC 1191 §6): lower the segment size to fit the
 * next-hop MTU, but never below tcp.pmtu.min (552 by default, Linux's
 * min_pmtu): a forged or broken "MTU 68" would otherwise cut every segment
 * to a few bytes for good. A path that claims less than the floor gets the
 * floor with DF off, so a router that really needs less may fragment. A
 * next-hop MTU of 0 (pre-RFC 1191 routers) or below 68 (RFC 791's minimum)
 * says nothing usable and is ignored. tcp_output() raises the estimate again
 * after tcp.pmtu.expires (RFC 1191 §6.3).
 */
static void tcp_input_pmtu_lower(struct stack *s, stack_time_us now, struct tcp_conn *c,
				 uint16_t next_mtu)
{
	uint32_t mtu = next_mtu, floor = (uint32_t)s->cfg.tun.pmtu_min;
	bool below = mtu < floor;

	if (mtu < 68)
		return;
	if (below)
		mtu = floor;
	if (mtu - 40 >= c->mss && !below)
		return;
	if (!c->mss_before_pmtu)
		c->mss_before_pmtu = c->mss;
	if (mtu - 40 < c->mss)
		c->mss = (uint16_t)(mtu - 40);
	c->pmtu_no_df = c->pmtu_no_df || below;
	c->pmtu_lowered_at = now;
}

void tcp_icmp_error(struct stack *s, stack_time_us now, uint8_t type, uint8_t code,
		    uint16_t next_mtu, const uint8_t *quoted, size_t len)
{
	struct tcp_tuple t;
	struct tcp_conn *c;
	size_t ihl;
	tcp_seq seq;
	bool hard = false;
	int err;

	if (len < 20 || (quoted[0] >> 4) != 4)
		return;
	ihl = (size_t)(quoted[0] & 0x0f) * 4;
	if (ihl < 20 || len < ihl + 8 || quoted[9] != 6)
		return;
	t.laddr = wire_get32(quoted + 12);
	t.raddr = wire_get32(quoted + 16);
	t.lport = wire_get16(quoted + ihl);
	t.rport = wire_get16(quoted + ihl + 2);
	seq = wire_get32(quoted + ihl + 4);
	c = tcp_conn_lookup(s, &t);
	if (!c || c->state == TCP_LISTEN || c->state == TCP_CLOSED)
		return;
	/* RFC 5927 §4.1: the quoted sequence number must be one we sent and not yet had ACKed */
	if (!(seq_ge(seq, c->snd_una) && seq_lt(seq, c->snd_max)) &&
	    !(c->snd_una == c->snd_max && seq == c->snd_una)) {
		STACK_INC(s, TcpExtOutOfWindowIcmps);
		return;
	}
	if (type == 3 && code == 4) {
		tcp_input_pmtu_lower(s, now, c, next_mtu);
		return;
	}
	if (type == 3)
		err = tcp_input_icmp_errno(code, &hard);
	else if (type == 11 || type == 12)
		err = -EHOSTUNREACH; /* time exceeded, parameter problem: soft */
	else
		return; /* source quench and the rest: ignored (RFC 6633) */
	/* RFC 1122 §4.2.3.9 / RFC 5927: hard errors abort only an opening connection */
	if (hard && c->state == TCP_SYN_SENT) {
		STACK_INC(s, SynackTcpIcmpHardErrors);
		tcp_conn_fail(s, now, c, STACK_EV_ERROR, err, TCP_CAUSE_ICMP_ERROR, NULL);
		return;
	}
	STACK_INC(s, SynackTcpIcmpSoftErrors);
	c->soft_error = err;
}
