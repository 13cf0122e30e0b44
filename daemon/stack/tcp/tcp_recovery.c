/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_recovery.c - sender-side loss recovery on SACK connections:
 *
 * - the scoreboard (tcp_sack.c) fed from every ACK's SACK blocks, D-SACKs
 *   told apart (RFC 2883 §4), blocks that cannot be valid discarded;
 * - loss detection: RACK (RFC 8985 §6: a segment sent before one that was
 *   delivered, and older than RACK.rtt + RACK.reo_wnd, is lost; a timer for
 *   the rest) and RFC 6675's IsLost (more than (DupThresh - 1) x SMSS bytes
 *   SACKed above it) while no reordering has been seen;
 * - fast recovery (RFC 6675 §5): entered when anything is deemed lost; the
 *   congestion controller sets ssthresh, PRR (RFC 6937 §3, with slow start
 *   reduction bound) sets cwnd = pipe + sndcnt on every ACK; NextSeg
 *   (RFC 6675 §4) picks lost ranges first (a contiguous run goes out as one
 *   TSO-sized frame), then new data, then rule 3, then one rescue (rule 4);
 *   it ends with cwnd = ssthresh (RFC 6937 §3), as does a probe's reduction;
 * - limited transmit (RFC 3042): the send loop compares cwnd with pipe, so
 *   each SACKed segment lets a new one out before recovery starts;
 * - Tail Loss Probe (RFC 8985 §7): 2 x SRTT after the last send or ACK
 *   (+ 200 ms for a single segment in flight, 10 ms at least), the last
 *   segment again (never new data: see tcp_rec_timer_tlp), so that a lost
 *   tail draws SACKs instead of waiting for the retransmission timeout; also during a fast recovery
 *   (2 x SRTT after its last send or delivery), where RFC 8985 arms none:
 *   when the ACKs of the recovery's last segments are lost (a path that
 *   drops ACKs too) and nothing new is left to send, no ACK would come back
 *   before the timeout, which on a short path costs hundreds of round trips;
 *   the probe draws one (the recovery's reduction stands, none is added);
 * - after a timeout (RFC 6675 §5.1): every unSACKed byte is lost and is
 *   retransmitted under the loss window, SACKed bytes are not resent; a
 *   SACKed range at SND.UNA means the receiver reneged (RFC 2018 §8): its
 *   SACK information is dropped;
 * - undo (RFC 3708 §3.2, as Linux does it): when D-SACKs report every
 *   retransmission of an episode as a duplicate, the reduction was for
 *   nothing: cwnd and ssthresh go back to what they were; likewise after a
 *   timeout whose first ACK echoes an older timestamp than its first
 *   retransmission (RFC 3522 Eifel detection).
 */
#include <errno.h>

#include "tcp_conn.h"

#define TCP_REC_WCDELACK_US  200000 /* RFC 8985 §7.2 WCDelAckT */
#define TCP_REC_PTO_MIN_US   10000
#define TCP_REC_REO_MULT_MAX 16

bool tcp_rec_sack_mode(const struct tcp_conn *c)
{
	return c->sack_ok && c->rec.sb;
}

static uint32_t tcp_rec_now32(uint64_t now)
{
	return (uint32_t)now;
}

static void tcp_rec_reset_state(struct tcp_rec *r)
{
	struct tcp_sb *sb = r->sb;

	*r = (struct tcp_rec){ .sb = sb, .min_rtt = UINT32_MAX, .reo_wnd_mult = 1 };
}

void tcp_rec_prepare(struct stack *s, struct tcp_conn *c)
{
	struct tcp_sb *sb;

	/* only with nothing in flight: NewReno's state would not carry over;
	 * and only when there is data to send: a connection that only receives
	 * never needs one (tcp_mem_idle frees it again once all is ACKed) */
	if (!c->sack_ok || c->rec.sb || c->snd_una != c->snd_max || c->cc.in_recovery ||
	    !tcp_conn_unsent(c))
		return;
	/* without budget room (or memory) the connection recovers as NewReno */
	if (tcp_mem_sb_charge(s, c, sizeof(*sb)) < 0)
		return;
	sb = stack_alloc(s, sizeof(*sb));
	if (!sb) {
		tcp_mem_sb_charge(s, c, 0);
		return;
	}
	tcp_sb_reset(sb);
	c->rec.sb = sb;
	tcp_rec_reset_state(&c->rec);
}

void tcp_rec_free(struct stack *s, struct tcp_conn *c)
{
	if (!c->rec.sb)
		return;
	stack_free(s, c->rec.sb, sizeof(*c->rec.sb));
	c->rec.sb = NULL;
	tcp_mem_sb_charge(s, c, 0);
}

static uint32_t tcp_rec_smss(const struct tcp_conn *c)
{
	return c->cc.smss ? c->cc.smss : tcp_output_max_payload(c);
}

/* The scoreboard covers SND.UNA..SND.MAX (what went out without tcp_rec_sent: as of now). */
static void tcp_rec_sync(struct stack *s, struct tcp_conn *c, uint64_t now)
{
	struct tcp_sb *sb = c->rec.sb;

	tcp_sb_sync(sb, c->snd_una, c->snd_max, tcp_rec_now32(now));
	if (sb->overflows) {
		STACK_ADD(s, SynackTcpSackScoreboardFull, sb->overflows);
		sb->overflows = 0;
	}
}

uint32_t tcp_rec_flight(const struct tcp_conn *c)
{
	uint32_t flight = c->snd_nxt - c->snd_una, lt;
	const struct tcp_sb *sb = c->rec.sb;

	if (tcp_rec_sack_mode(c)) {
		tcp_seq end = sb->n ? sb->e[sb->n - 1].end : c->snd_una;

		/* bytes sent since the last sync are in flight too */
		return tcp_sb_pipe(sb) + (seq_lt(end, c->snd_max) ? c->snd_max - end : 0);
	}
	if (c->cc.in_recovery || c->dupacks == 0 || c->dupacks >= 3 ||
	    seq_lt(c->snd_nxt, c->snd_max))
		return flight;
	/* RFC 3042 §2: one new segment on each of the first two duplicate ACKs */
	lt = c->dupacks * tcp_rec_smss(c);
	return flight > lt ? flight - lt : 0;
}

/* Keep the retransmission count that undo compares D-SACKs with. */
static void tcp_rec_count_retrans(struct stack *s, struct tcp_conn *c, uint32_t len)
{
	uint32_t maxpl = tcp_output_max_payload(c);
	uint32_t segs = len ? (len + maxpl - 1) / maxpl : 1;

	STACK_ADD(s, TcpRetransSegs, segs);
	c->total_retrans += segs;
	c->bytes_retrans += len;
	if (c->rec.state == TCP_REC_RECOVERY)
		STACK_ADD(s, TcpExtTCPFastRetrans, segs);
	else if (c->rec.state == TCP_REC_LOSS)
		STACK_ADD(s, TcpExtTCPSlowStartRetrans, segs);
	if (c->rec.undo_valid)
		c->rec.undo_retrans += (int32_t)segs;
}

static void tcp_rec_arm_tlp(struct stack *s, uint64_t now, struct tcp_conn *c);

void tcp_rec_sent(struct stack *s, struct tcp_conn *c, uint64_t now, tcp_seq start, tcp_seq end,
		  bool retrans)
{
	struct tcp_rec *r = &c->rec;

	if (!tcp_rec_sack_mode(c) || start == end)
		return;
	tcp_rec_sync(s, c, now);
	tcp_sb_sent(r->sb, start, end, tcp_rec_now32(now), retrans);
	if (r->state == TCP_REC_RECOVERY)
		r->prr_out += end - start;
	if (!retrans || r->state == TCP_REC_RECOVERY)
		tcp_rec_arm_tlp(s, now, c);
}

/* Send [seq, seq + len) of sequence space again, the FIN with it when it is in there;
 * false when those bytes are not in the send buffer (nothing sent). */
static bool tcp_rec_xmit(struct stack *s, uint64_t now, struct tcp_conn *c, tcp_seq seq,
			 uint32_t len)
{
	tcp_seq end = seq + len;
	bool fin = c->fin_sent && end == c->snd_max;
	uint32_t data = len - (fin ? 1 : 0), off = seq - c->snd_una;
	uint8_t flags = TCP_FLAG_ACK | (fin ? TCP_FLAG_FIN : 0);

	/* only bytes still in the send buffer can go (the FIN lies beyond them) */
	if (len == 0 || off > c->snd.len || data > c->snd.len - off)
		return false;
	if (end == c->snd_max)
		flags |= TCP_FLAG_PSH;
	tcp_output_segment(s, now, c, seq, data, flags);
	tcp_rec_count_retrans(s, c, data);
	/* Karn (RFC 6298 §3): a timed segment sent again gives no sample */
	if (c->rtt_timing && seq_le(seq, c->rtt_seq) && seq_lt(c->rtt_seq, end))
		c->rtt_timing = false;
	tcp_rec_sent(s, c, now, seq, end, true);
	/* RFC 6298 §5.3-like: the head retransmitted restarts the timer */
	if (seq == c->snd_una)
		tcp_timer_arm_rexmit(s, now, c);
	return true;
}

/* RFC 8985 §6.2 step 4: the reordering window. */
static uint32_t tcp_rec_reo_wnd(const struct stack *s, const struct tcp_conn *c)
{
	const struct tcp_rec *r = &c->rec;
	uint64_t w;

	if (!r->reord_seen) {
		if (r->state != TCP_REC_OPEN)
			return 0;
		if (tcp_sb_sacked(r->sb) >= s->cfg.tun.reordering * tcp_rec_smss(c))
			return 0;
	}
	if (r->min_rtt == UINT32_MAX)
		return 0;
	w = (uint64_t)r->min_rtt / 4 * r->reo_wnd_mult;
	/* at most SRTT; an SRTT below every RACK sample (a handshake answered at
	 * once) is no measure of this path */
	if (c->rtt.has_sample && w > stack_max(c->rtt.srtt_us, (uint64_t)r->min_rtt))
		w = stack_max(c->rtt.srtt_us, (uint64_t)r->min_rtt);
	return (uint32_t)w;
}

/*
 * RFC 8985 §6.2 step 5: every segment not delivered that was sent before the
 * most recently sent one that was, and longer ago than RACK.rtt + reo_wnd,
 * is lost; the rest are looked at again when the RACK timer expires.
 * Returns true when something new was marked lost.
 */
static bool tcp_rec_rack_detect(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	struct tcp_rec *r = &c->rec;
	struct tcp_sb *sb = r->sb;
	uint32_t now32 = tcp_rec_now32(now), reo, timeout = 0;
	bool marked = false;

	if (!s->cfg.tun.rack || !r->rack_valid) {
		tcp_timer_clear(s, c, TCP_TIMER_RACK);
		return false;
	}
	reo = tcp_rec_reo_wnd(s, c);
	for (uint32_t i = 0; i < sb->n; i++) {
		struct tcp_sb_ent *e = &sb->e[i];
		int64_t remaining;

		if (e->flags & TCP_SB_SACKED)
			continue;
		if ((e->flags & (TCP_SB_LOST | TCP_SB_RETRANS)) == TCP_SB_LOST)
			continue; /* waiting for its retransmission */
		if (!(tcp_sb_time_after(r->rack_xmit, e->xmit) ||
		      (r->rack_xmit == e->xmit && seq_gt(r->rack_end, e->end))))
			continue;
		remaining = (int64_t)r->rack_rtt + reo - (int64_t)(uint32_t)(now32 - e->xmit);
		if (remaining > 0) {
			if (remaining > timeout)
				timeout = (uint32_t)remaining;
			continue;
		}
		if (e->flags & TCP_SB_RETRANS)
			STACK_INC(s, TcpExtTCPLostRetransmit);
		e->flags = (uint8_t)((e->flags | TCP_SB_LOST) & ~TCP_SB_RETRANS);
		marked = true;
	}
	tcp_sb_compact(sb);
	if (timeout)
		tcp_timer_set(s, c, TCP_TIMER_RACK, now + timeout);
	else
		tcp_timer_clear(s, c, TCP_TIMER_RACK);
	return marked;
}

/*
 * RFC 6675 §4 IsLost(): more than (DupThresh - 1) x SMSS bytes SACKed above.
 * Only while no reordering has been seen (with it, RACK's time window decides,
 * as RFC 8985 §6.2 allows); never for a range already retransmitted.
 */
static bool tcp_rec_dupthresh_detect(struct stack *s, struct tcp_conn *c)
{
	struct tcp_sb *sb = c->rec.sb;
	uint64_t thresh = (s->cfg.tun.reordering - 1) * (uint64_t)tcp_rec_smss(c);
	uint64_t above = 0;
	bool marked = false;

	if (c->rec.reord_seen && s->cfg.tun.rack)
		return false;
	for (uint32_t i = sb->n; i-- > 0;) {
		struct tcp_sb_ent *e = &sb->e[i];

		if (e->flags & TCP_SB_SACKED) {
			above += e->end - e->start;
		} else if (e->flags == 0 && above > thresh) {
			e->flags = TCP_SB_LOST;
			marked = true;
		}
	}
	tcp_sb_compact(sb);
	return marked;
}

static bool tcp_rec_any_lost(const struct tcp_sb *sb)
{
	for (uint32_t i = 0; i < sb->n; i++)
		if ((sb->e[i].flags & (TCP_SB_SACKED | TCP_SB_LOST)) == TCP_SB_LOST)
			return true;
	return false;
}

static void tcp_rec_save_undo(struct tcp_conn *c)
{
	struct tcp_rec *r = &c->rec;

	r->undo_valid = true;
	r->undo_marker = c->snd_una;
	r->undo_retrans = 0;
	r->undo_cwnd = c->cc.cwnd;
	r->undo_ssthresh = c->cc.ssthresh;
}

/* RFC 6675 §5 step 4 with RFC 6937 §3's initialisation. */
static void tcp_rec_enter(struct stack *s, uint64_t now, struct tcp_conn *c, uint32_t prior_pipe)
{
	struct tcp_rec *r = &c->rec;

	/* RFC 6675 §5: not again before SND.UNA reaches the last recovery point */
	if (c->cc.recover_valid && seq_lt(c->snd_una, c->cc.recover))
		return;
	STACK_INC(s, TcpExtTCPSackRecovery);
	tcp_rec_save_undo(c);
	tcp_cc_set_recover(&c->cc, c->snd_max, false);
	c->cc.ops->enter_recovery(&c->cc, c->snd_max - c->snd_una);
	r->state = TCP_REC_RECOVERY;
	r->prr_delivered = 0;
	r->prr_out = 0;
	r->recover_fs = prior_pipe ? prior_pipe : 1;
	r->rescue_done = false;
	/* the recovery's own reduction replaces a probe's */
	r->tlp_out = false;
	tcp_timer_clear(s, c, TCP_TIMER_TLP);
	(void)now;
}

/* RFC 6937 §3: how much may go on this ACK; cwnd becomes pipe + sndcnt. */
static void tcp_rec_prr(struct tcp_conn *c, uint32_t delivered)
{
	struct tcp_rec *r = &c->rec;
	uint32_t pipe = tcp_sb_pipe(r->sb), ssthresh = c->cc.ssthresh, smss = tcp_rec_smss(c);
	int64_t sndcnt;

	r->prr_delivered += delivered;
	if (pipe > ssthresh) {
		/* proportional rate reduction */
		uint64_t share =
			((uint64_t)r->prr_delivered * ssthresh + r->recover_fs - 1) / r->recover_fs;

		sndcnt = (int64_t)share - r->prr_out;
	} else {
		/* slow start reduction bound */
		int64_t limit = (int64_t)r->prr_delivered - r->prr_out;

		if (limit < (int64_t)delivered)
			limit = delivered;
		limit += smss;
		sndcnt = (int64_t)ssthresh - pipe;
		if (sndcnt > limit)
			sndcnt = limit;
	}
	/* the first retransmission of a recovery always goes */
	if (r->prr_out == 0 && sndcnt < smss)
		sndcnt = smss;
	if (sndcnt < 0)
		sndcnt = 0;
	c->cc.cwnd = pipe + (uint32_t)sndcnt;
}

static void tcp_rec_exit(struct tcp_conn *c)
{
	struct tcp_rec *r = &c->rec;

	if (r->state == TCP_REC_RECOVERY)
		tcp_cc_end_reduction(&c->cc);
	r->state = TCP_REC_OPEN;
	/* RFC 8985 §6.2 step 4: a widened reordering window persists 16 recoveries */
	if (r->reo_wnd_persist && --r->reo_wnd_persist == 0)
		r->reo_wnd_mult = 1;
}

/* Every retransmission of the episode was a duplicate: take the reduction back. */
static void tcp_rec_undo(struct stack *s, struct tcp_conn *c, enum stack_counter_id why)
{
	struct tcp_rec *r = &c->rec;

	if (c->cc.cwnd < r->undo_cwnd)
		c->cc.cwnd = r->undo_cwnd;
	if (c->cc.ssthresh < r->undo_ssthresh)
		c->cc.ssthresh = r->undo_ssthresh;
	c->cc.in_recovery = false;
	c->cc.recover_valid = false;
	r->state = TCP_REC_OPEN;
	r->undo_valid = false;
	for (uint32_t i = 0; i < r->sb->n; i++)
		r->sb->e[i].flags &= (uint8_t)~TCP_SB_LOST;
	tcp_sb_compact(r->sb);
	tcp_timer_clear(s, c, TCP_TIMER_RACK);
	s->ctr.v[why]++;
}

/*
 * RFC 3522 (Eifel detection) for a timeout: the first ACK of new data after
 * it echoes a TSval older than the first retransmission, so it answers the
 * original transmission and the timeout was spurious (a delay, not a loss).
 */
static bool tcp_rec_rto_spurious(const struct tcp_conn *c, const struct tcp_seg *seg,
				 uint32_t acked)
{
	const struct tcp_rec *r = &c->rec;

	return r->state == TCP_REC_LOSS && r->loss_from_open && r->undo_valid && acked &&
	       c->ts_ok && seg->opt.has_ts && seg->opt.tsecr &&
	       seq_lt(seg->opt.tsecr, r->loss_tsval);
}

struct tcp_rec_seen {
	struct tcp_conn *c;
	uint64_t now;
	const struct tcp_seg *seg;
};

/* RFC 8985 §6.2 steps 1-3 for one newly delivered range (ACKed or SACKed). */
static void tcp_rec_rack_seen(void *ctx, const struct tcp_sb_ent *e)
{
	struct tcp_rec_seen *sn = ctx;
	struct tcp_conn *c = sn->c;
	struct tcp_rec *r = &c->rec;
	uint32_t rtt = tcp_rec_now32(sn->now) - e->xmit;

	if (!(e->flags & TCP_SB_EVER_RETRANS)) {
		/* step 3: delivered below the highest delivered, never resent: reordering */
		if (r->fack_valid && seq_lt(e->end, r->fack))
			r->reord_seen = true;
	}
	if (!r->fack_valid || seq_gt(e->end, r->fack)) {
		r->fack = e->end;
		r->fack_valid = true;
	}
	if (e->flags & TCP_SB_EVER_RETRANS) {
		/* step 2: an ACK faster than any round trip, or whose TSecr predates the
		 * retransmission, is for the original transmission */
		if (r->min_rtt != UINT32_MAX && rtt < r->min_rtt)
			return;
		if (c->ts_ok && sn->seg->opt.has_ts && sn->seg->opt.tsecr &&
		    seq_lt(sn->seg->opt.tsecr, tcp_output_tsval(c, sn->now - rtt)))
			return;
	}
	r->rack_rtt = rtt;
	if (rtt < r->min_rtt)
		r->min_rtt = rtt;
	if (!r->rack_valid || tcp_sb_time_after(e->xmit, r->rack_xmit) ||
	    (e->xmit == r->rack_xmit && seq_gt(e->end, r->rack_end))) {
		r->rack_xmit = e->xmit;
		r->rack_end = e->end;
		r->rack_valid = true;
	}
}

/*
 * Whether a D-SACK for [left, right) can be for a retransmission: bytes the
 * scoreboard still holds must have been resent (a copy the network made of
 * an original says nothing about the retransmissions, RFC 3708 §3.2); bytes
 * below SND.UNA are no longer there to look at and count, as in Linux.
 */
static bool tcp_rec_dsack_resent(const struct tcp_conn *c, tcp_seq left, tcp_seq right)
{
	const struct tcp_sb *sb = c->rec.sb;

	if (seq_lt(left, c->snd_una))
		return true;
	for (uint32_t i = 0; i < sb->n; i++)
		if (seq_lt(sb->e[i].start, right) && seq_gt(sb->e[i].end, left) &&
		    (sb->e[i].flags & TCP_SB_EVER_RETRANS))
			return true;
	return false;
}

/* RFC 2883: a D-SACK for [left, right). True when it reports the episode's last
 * retransmission not yet reported: every one of them was a duplicate. */
static bool tcp_rec_dsack(struct stack *s, struct tcp_conn *c, tcp_seq left, tcp_seq right)
{
	struct tcp_rec *r = &c->rec;
	uint32_t maxpl = tcp_output_max_payload(c);
	int32_t segs = (int32_t)(((right - left) + maxpl - 1) / maxpl);
	bool all = false;

	STACK_INC(s, TcpExtTCPDSACKRecv);
	if (r->undo_valid && seq_ge(left, r->undo_marker) && r->undo_retrans > 0 &&
	    tcp_rec_dsack_resent(c, left, right)) {
		r->undo_retrans -= segs;
		if (r->undo_retrans <= 0) {
			r->undo_retrans = 0;
			all = true;
		}
	}
	if (r->tlp_out && r->tlp_retrans && seq_lt(left, r->tlp_end) && seq_gt(right, r->tlp_start))
		r->tlp_dsacked = true;
	/* RFC 8985 §6.2 step 4: reordering or spurious retransmissions: widen reo_wnd,
	 * once per round trip */
	if (!r->dsack_round_valid || seq_ge(c->snd_una, r->dsack_round)) {
		if (r->reo_wnd_mult < TCP_REC_REO_MULT_MAX)
			r->reo_wnd_mult++;
		r->dsack_round = c->snd_max;
		r->dsack_round_valid = true;
		r->reo_wnd_persist = 16;
	}
	return all;
}

void tcp_rec_ack_begin(struct stack *s, struct tcp_conn *c, uint64_t now, const struct tcp_seg *seg,
		       struct tcp_rec_ack *ra)
{
	struct tcp_rec *r = &c->rec;
	struct tcp_sb *sb = r->sb;
	struct tcp_rec_seen sn = { .c = c, .now = now, .seg = seg };
	tcp_seq ack = seg->ack;

	tcp_rec_sync(s, c, now);
	ra->prior_una = c->snd_una;
	ra->prior_sacked = tcp_sb_sacked(sb);
	ra->prior_pipe = tcp_sb_pipe(sb);
	ra->dsack = false;
	ra->undo = false;
	/* the cumulative ACK delivers every range below it not SACKed already */
	if (seq_gt(ack, c->snd_una)) {
		for (uint32_t i = 0; i < sb->n && seq_lt(sb->e[i].start, ack); i++) {
			struct tcp_sb_ent part = sb->e[i];

			if (part.flags & TCP_SB_SACKED)
				continue;
			if (seq_gt(part.end, ack))
				part.end = ack;
			tcp_rec_rack_seen(&sn, &part);
		}
	}
	for (uint8_t i = 0; i < seg->opt.nsack && i < TCP_SACK_MAX_BLOCKS; i++) {
		tcp_seq left = seg->opt.sack[i].left, right = seg->opt.sack[i].right;

		/* nothing we sent, or older than a window below SND.UNA */
		if (!seq_lt(left, right) || seq_gt(right, c->snd_max) ||
		    seq_lt(left, c->snd_una - c->max_snd_wnd)) {
			STACK_INC(s, TcpExtTCPSACKDiscard);
			continue;
		}
		/* RFC 2883 §4: the first block below the ACK, or inside the second */
		if (i == 0 && (seq_le(right, ack) ||
			       (seg->opt.nsack > 1 && seq_ge(left, seg->opt.sack[1].left) &&
				seq_le(right, seg->opt.sack[1].right)))) {
			ra->dsack = true;
			ra->undo = tcp_rec_dsack(s, c, left, right) || ra->undo;
			continue;
		}
		if (seq_le(right, ack))
			continue;
		if (seq_lt(left, ack))
			left = ack;
		if (tcp_sb_sack(sb, left, right, tcp_rec_rack_seen, &sn) < 0)
			STACK_INC(s, SynackTcpSackScoreboardFull);
	}
	if (sb->overflows) {
		STACK_ADD(s, SynackTcpSackScoreboardFull, sb->overflows);
		sb->overflows = 0;
	}
}

/* RFC 8985 §7.4: what the ACK says about an outstanding probe. */
static void tcp_rec_tlp_ack(struct stack *s, struct tcp_conn *c, const struct tcp_rec_ack *ra)
{
	struct tcp_rec *r = &c->rec;
	uint32_t flight;

	if (!r->tlp_out || seq_lt(c->snd_una, r->tlp_end))
		return;
	r->tlp_out = false;
	/* a probe of a recovery: that recovery made the reduction */
	if (!r->tlp_retrans || r->tlp_dsacked || r->tlp_in_recovery)
		return;
	/* the probe repaired a loss: the reduction a fast recovery would have made */
	STACK_INC(s, TcpExtTCPLossProbeRecovery);
	tcp_rec_save_undo(c);
	r->undo_retrans = 1;
	/* The loss was of the window in use when the tail went, not of the
	 * one segment left in flight at the probe's ACK: reduce from the most
	 * in flight over the last rounds, else every repaired tail would leave
	 * ssthresh at its two-segment floor. */
	flight = c->snd_max - ra->prior_una;
	if (flight < tcp_cc_flight_used(&c->cc))
		flight = tcp_cc_flight_used(&c->cc);
	c->cc.ops->enter_recovery(&c->cc, flight);
	tcp_cc_end_reduction(&c->cc);
}

void tcp_rec_ack_end(struct stack *s, struct tcp_conn *c, uint64_t now, const struct tcp_seg *seg,
		     const struct tcp_rec_ack *ra)
{
	struct tcp_rec *r = &c->rec;
	uint32_t acked = c->snd_una - ra->prior_una, sacked;
	int64_t delivered;
	bool lost;

	tcp_rec_sync(s, c, now);
	sacked = tcp_sb_sacked(r->sb);
	delivered = (int64_t)acked + sacked - ra->prior_sacked;
	if (delivered < 0)
		delivered = 0;
	/* during the episode, or after it when its duplicates came back late */
	if (ra->undo && r->undo_valid && (r->state != TCP_REC_OPEN || r->undo_cwnd > c->cc.cwnd))
		tcp_rec_undo(s, c, STACK_CTR_TcpExtTCPDSACKUndo);
	else if (tcp_rec_rto_spurious(c, seg, acked))
		tcp_rec_undo(s, c, STACK_CTR_TcpExtTCPLossUndo);
	tcp_rec_tlp_ack(s, c, ra);
	/* recover no longer valid: the input path retired it, SND.UNA went past it
	 * (after a timeout cc.in_recovery is off, so that happens before this) */
	if (r->state != TCP_REC_OPEN && (!c->cc.recover_valid || seq_ge(c->snd_una, c->cc.recover)))
		tcp_rec_exit(c);
	if (r->state != TCP_REC_RECOVERY && acked) {
		struct tcp_cc_ack cca = ra->cca;

		tcp_cc_ack(&c->cc, &cca, c->max_snd_wnd);
	}
	lost = tcp_rec_rack_detect(s, now, c);
	lost = tcp_rec_dupthresh_detect(s, c) || lost;
	if (r->state == TCP_REC_OPEN && (lost || tcp_rec_any_lost(r->sb)))
		tcp_rec_enter(s, now, c, ra->prior_pipe);
	if (r->state == TCP_REC_RECOVERY)
		tcp_rec_prr(c, (uint32_t)delivered);
	/* in a recovery, SACKs show progress as much as the cumulative ACK does */
	if (acked || (r->state == TCP_REC_RECOVERY && delivered > 0))
		tcp_rec_arm_tlp(s, now, c);
	if (c->snd_una == c->snd_max) {
		tcp_timer_clear(s, c, TCP_TIMER_RACK);
		tcp_timer_clear(s, c, TCP_TIMER_TLP);
	}
}

/* Find NextSeg's rule 1: the first run of ranges lost and not yet retransmitted. */
static bool tcp_rec_next_lost(const struct tcp_sb *sb, tcp_seq *ret_seq, uint32_t *ret_len)
{
	for (uint32_t i = 0; i < sb->n; i++) {
		uint32_t j = i;

		if ((sb->e[i].flags & (TCP_SB_SACKED | TCP_SB_LOST | TCP_SB_RETRANS)) !=
		    TCP_SB_LOST)
			continue;
		while (j + 1 < sb->n && (sb->e[j + 1].flags & (TCP_SB_SACKED | TCP_SB_LOST |
							       TCP_SB_RETRANS)) == TCP_SB_LOST)
			j++;
		*ret_seq = sb->e[i].start;
		*ret_len = sb->e[j].end - sb->e[i].start;
		return true;
	}
	return false;
}

/* Rule 3: the first range neither SACKed, lost nor resent, below the highest SACK. */
static bool tcp_rec_next_unsacked(const struct tcp_sb *sb, tcp_seq *ret_seq, uint32_t *ret_len)
{
	tcp_seq high;

	if (!tcp_sb_high_sacked(sb, &high))
		return false;
	for (uint32_t i = 0; i < sb->n && seq_lt(sb->e[i].start, high); i++) {
		if (sb->e[i].flags)
			continue;
		*ret_seq = sb->e[i].start;
		*ret_len = (seq_lt(sb->e[i].end, high) ? sb->e[i].end : high) - sb->e[i].start;
		return true;
	}
	return false;
}

/* Rule 4: once per recovery, the last segment's worth below SND.MAX, unless SACKed or resent. */
static bool tcp_rec_rescue(struct tcp_conn *c, uint32_t maxpl, tcp_seq *ret_seq, uint32_t *ret_len)
{
	const struct tcp_sb *sb = c->rec.sb;
	const struct tcp_sb_ent *last;

	if (c->rec.rescue_done || !sb->n)
		return false;
	last = &sb->e[sb->n - 1];
	if (last->flags & (TCP_SB_SACKED | TCP_SB_RETRANS))
		return false;
	*ret_len = stack_min(last->end - last->start, maxpl + (c->fin_sent ? 1u : 0u));
	*ret_seq = last->end - *ret_len;
	c->rec.rescue_done = true;
	return true;
}

static bool tcp_rec_new_data_ready(const struct tcp_conn *c)
{
	return tcp_conn_unsent(c) && tcp_conn_snd_usable(c, c->snd_max) > 0;
}

void tcp_rec_output(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	uint32_t maxpl, burst;

	if (!tcp_rec_sack_mode(c) || c->snd_una == c->snd_max)
		return;
	tcp_rec_sync(s, c, now);
	maxpl = tcp_output_seg_payload(c);
	burst = tcp_output_burst_max(s, maxpl);
	for (int guard = 0; guard < TCP_SB_MAX * 2; guard++) {
		struct tcp_rec *r = &c->rec;
		uint32_t pipe = tcp_sb_pipe(r->sb), cwnd = c->cc.cwnd;
		uint32_t room = cwnd > pipe ? cwnd - pipe : 0, len;
		tcp_seq seq;

		if (!tcp_rec_next_lost(r->sb, &seq, &len)) {
			if (r->state != TCP_REC_RECOVERY || tcp_rec_new_data_ready(c))
				return; /* rule 2: new data, from tcp_output_data() */
			if (tcp_rec_next_unsacked(r->sb, &seq, &len))
				len = stack_min(len, maxpl);
			else if (!tcp_rec_rescue(c, maxpl, &seq, &len))
				return;
		}
		/* a whole segment's room (or the whole range when it is shorter) */
		if (room < stack_min(len, maxpl))
			return;
		if (len > room || len > burst) {
			len = stack_min(room, burst);
			if (len > maxpl)
				len -= len % maxpl;
		}
		if (!tcp_rec_xmit(s, now, c, seq, len))
			return;
	}
}

void tcp_rec_on_rto(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	struct tcp_rec *r = &c->rec;
	struct tcp_sb *sb = r->sb;

	tcp_rec_sync(s, c, now);
	/* RFC 2018 §8: SACKed data at SND.UNA was thrown away by the receiver */
	if (sb->n && (sb->e[0].flags & TCP_SB_SACKED)) {
		STACK_INC(s, TcpExtTCPSACKReneging);
		for (uint32_t i = 0; i < sb->n; i++)
			sb->e[i].flags &= (uint8_t)~TCP_SB_SACKED;
	}
	/* the window to go back to, and the first retransmission's TSval (Eifel) */
	r->loss_from_open = r->state == TCP_REC_OPEN;
	if (r->state == TCP_REC_OPEN)
		tcp_rec_save_undo(c);
	if (r->state != TCP_REC_LOSS)
		r->loss_tsval = tcp_output_tsval(c, now);
	/* RFC 6675 §5.1: everything not SACKed is lost, retransmissions included */
	for (uint32_t i = 0; i < sb->n; i++)
		if (!(sb->e[i].flags & TCP_SB_SACKED))
			sb->e[i].flags =
				(uint8_t)((sb->e[i].flags | TCP_SB_LOST) & ~TCP_SB_RETRANS);
	tcp_sb_compact(sb);
	r->state = TCP_REC_LOSS;
	r->tlp_out = false;
	tcp_timer_clear(s, c, TCP_TIMER_RACK);
	tcp_timer_clear(s, c, TCP_TIMER_TLP);
}

void tcp_rec_timer_rack(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	uint32_t pipe;

	if (!tcp_rec_sack_mode(c) || c->snd_una == c->snd_max)
		return;
	tcp_rec_sync(s, c, now);
	pipe = tcp_sb_pipe(c->rec.sb);
	if (!tcp_rec_rack_detect(s, now, c))
		return;
	if (c->rec.state == TCP_REC_OPEN)
		tcp_rec_enter(s, now, c, pipe);
	if (c->rec.state == TCP_REC_RECOVERY)
		tcp_rec_prr(c, 0);
	tcp_output(s, now, c);
}

/* RFC 8985 §7.2: when to probe. */
static void tcp_rec_arm_tlp(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	struct tcp_rec *r = &c->rec;
	uint64_t pto;

	if (!s->cfg.tun.tlp || r->state == TCP_REC_LOSS || r->tlp_out || c->snd_una == c->snd_max ||
	    !c->rtt.has_sample) {
		tcp_timer_clear(s, c, TCP_TIMER_TLP);
		return;
	}
	pto = 2 * c->rtt.srtt_us;
	if (c->snd_max - c->snd_una <= tcp_output_max_payload(c) + 1)
		pto += TCP_REC_WCDELACK_US; /* a lone segment's ACK may be delayed */
	if (pto < TCP_REC_PTO_MIN_US)
		pto = TCP_REC_PTO_MIN_US;
	if (now + pto >= c->timer[TCP_TIMER_RETRANSMIT]) {
		tcp_timer_clear(s, c, TCP_TIMER_TLP); /* the timeout comes first anyway */
		return;
	}
	tcp_timer_set(s, c, TCP_TIMER_TLP, now + pto);
}

/*
 * RFC 8985 §7.3: send one probe, the last segment sent again, even with new
 * data ready (where the RFC would send new data): a receiver must answer a
 * segment it has, or one above a hole, at once (RFC 9293 §3.10.7.4, RFC 5681
 * §4.2), while it may delay the ACK of a new in-order segment, which is what
 * a new one is when only ACKs were lost (Linux: 40 ms, four probe waits on a
 * short path). A tail really lost is found as well: the probe's SACK shows it.
 */
void tcp_rec_timer_tlp(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	struct tcp_rec *r = &c->rec;
	const struct tcp_sb *sb = r->sb;
	uint32_t i, len;
	tcp_seq seq;

	if (!tcp_rec_sack_mode(c) || r->state == TCP_REC_LOSS || r->tlp_out ||
	    c->snd_una == c->snd_max || s->link_blocked)
		return;
	tcp_rec_sync(s, c, now);
	/* the highest range not SACKed, its last segment's worth */
	for (i = sb->n; i > 0 && (sb->e[i - 1].flags & TCP_SB_SACKED); i--)
		;
	if (i == 0)
		return;
	len = stack_min(sb->e[i - 1].end - sb->e[i - 1].start,
			tcp_output_seg_payload(c) + (c->fin_sent ? 1u : 0u));
	seq = sb->e[i - 1].end - len;
	r->tlp_out = true;
	r->tlp_dsacked = false;
	r->tlp_retrans = true;
	r->tlp_in_recovery = r->state == TCP_REC_RECOVERY;
	r->tlp_start = seq;
	if (!tcp_rec_xmit(s, now, c, seq, len)) {
		r->tlp_out = false;
		return;
	}
	STACK_INC(s, TcpExtTCPLossProbes);
	r->tlp_end = c->snd_max;
	tcp_timer_arm_rexmit(s, now, c);
}
