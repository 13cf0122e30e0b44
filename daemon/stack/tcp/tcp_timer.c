/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_timer.c - the per-connection timers as deadlines:
 * retransmission with RFC 6298 §5 backoff and the SYN / SYN-ACK / data retry
 * limits (RFC 1122 §4.2.3.5, RFC 9293 §3.8.3), the persist timer for zero
 * windows (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17), delayed ACK
 * (RFC 1122 §4.2.3.2), keepalive (RFC 1122 §4.2.3.6), the FIN-WAIT-2 timeout
 * of orphaned connections, TIME-WAIT's 2 x MSL (RFC 9293 §3.4.2,
 * §3.10.7.4) while an owner still holds the connection (without one, a
 * compact record in tcp_timewait.c keeps the time), and the release of
 * drained buffers (tcp_mem.c).
 *
 * A connection keeps one deadline per timer; the earliest is its node in the
 * stack's heap, so an idle connection costs nothing and tcp_poll_at() is the
 * heap minimum.
 */
#include <errno.h>
#include <stddef.h>

#include "tcp_conn.h"

static void tcp_timer_update(struct stack *s, struct tcp_conn *c)
{
	stack_time_us m = STACK_TIME_NEVER;

	for (int i = 0; i < TCP_TIMER_COUNT; i++)
		if (c->timer[i] < m)
			m = c->timer[i];
	if (m == STACK_TIME_NEVER)
		heap_remove(&s->tcp.timers, &c->hnode);
	else
		heap_set(&s->tcp.timers, &c->hnode, m); /* cannot fail: one node per slot */
}

void tcp_timer_set(struct stack *s, struct tcp_conn *c, enum tcp_timer_id id, stack_time_us at)
{
	c->timer[id] = at;
	tcp_timer_update(s, c);
}

void tcp_timer_clear(struct stack *s, struct tcp_conn *c, enum tcp_timer_id id)
{
	if (c->timer[id] == STACK_TIME_NEVER)
		return;
	tcp_timer_set(s, c, id, STACK_TIME_NEVER);
}

void tcp_timer_clear_all(struct stack *s, struct tcp_conn *c)
{
	for (int i = 0; i < TCP_TIMER_COUNT; i++)
		c->timer[i] = STACK_TIME_NEVER;
	heap_remove(&s->tcp.timers, &c->hnode);
}

/* A deadline, brought forward to when the user timeout runs out (if it is on and running). */
static stack_time_us tcp_timer_user_bound(const struct tcp_conn *c, stack_time_us at)
{
	if (c->user_timeout && c->stall_since && c->stall_since + c->user_timeout < at)
		return c->stall_since + c->user_timeout;
	return at;
}

/* Data stalled for the user timeout: the connection fails (RFC 9293 §3.8.3). */
static bool tcp_timer_user_timed_out(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	if (!c->user_timeout || !c->stall_since || now - c->stall_since < c->user_timeout)
		return false;
	STACK_INC(s, TcpExtTCPAbortOnTimeout);
	tcp_conn_fail(s, now, c, STACK_EV_ERROR, -ETIMEDOUT, TCP_CAUSE_TIMER_RETRANSMIT, NULL);
	return true;
}

void tcp_timer_user_timeout_changed(struct stack *s, struct tcp_conn *c)
{
	static const enum tcp_timer_id kinds[] = { TCP_TIMER_RETRANSMIT, TCP_TIMER_PERSIST };

	/* only ever earlier: a due retransmission is not put off */
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (c->timer[kinds[i]] != STACK_TIME_NEVER)
			tcp_timer_set(s, c, kinds[i], tcp_timer_user_bound(c, c->timer[kinds[i]]));
}

void tcp_timer_arm_rexmit(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	const struct stack_tunables *tun = &s->cfg.tun;

	tcp_timer_set(s, c, TCP_TIMER_RETRANSMIT,
		      tcp_timer_user_bound(
			      c, now + tcp_rtt_timeout(&c->rtt, tun->rto_min, tun->rto_max)));
}

void tcp_timer_arm_persist(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	const struct stack_tunables *tun = &s->cfg.tun;
	uint64_t base = tcp_rtt_timeout(&c->rtt, tun->rto_min, tun->rto_max);
	uint64_t t = base;

	/* exponential backoff, bounded by rto.max (RFC 1122 §4.2.2.17) */
	for (uint32_t i = 0; i < c->persist_backoff && t < tun->rto_max; i++)
		t *= 2;
	if (t > tun->rto_max)
		t = tun->rto_max;
	tcp_timer_set(s, c, TCP_TIMER_PERSIST, tcp_timer_user_bound(c, now + t));
}

static bool tcp_timer_keepalive_state(enum tcp_conn_state st)
{
	return st == TCP_ESTABLISHED || st == TCP_CLOSE_WAIT || st == TCP_FIN_WAIT_2;
}

void tcp_timer_arm_keepalive(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	if (!c->keepalive || !tcp_timer_keepalive_state(c->state)) {
		tcp_timer_clear(s, c, TCP_TIMER_KEEPALIVE);
		return;
	}
	tcp_timer_set(s, c, TCP_TIMER_KEEPALIVE, c->last_rcv + c->keep_idle);
}

void tcp_timer_enter_time_wait(struct stack *s, stack_time_us now, struct tcp_conn *c,
			       enum tcp_cause cause, const struct tcp_seg *seg)
{
	tcp_conn_set_state(s, now, c, TCP_TIME_WAIT, cause, seg);
	/* a TIME-WAIT entry is compact: no buffers, only the sequence state (bytes
	 * its owner has still to read stay until the owner closes it) */
	tcp_conn_sndbuf_free(s, c);
	if (!c->has_handle || c->rcv.len == 0)
		tcp_conn_rcvbuf_free(s, c);
	for (int i = 0; i < TCP_TIMER_COUNT; i++)
		c->timer[i] = STACK_TIME_NEVER;
	c->fin_queued = false;
	/* RFC 9293 §3.4.2: 2 x MSL, MSL read now so a change reaches new entries at once */
	tcp_timer_set(s, c, TCP_TIMER_TIME_WAIT, now + 2 * s->cfg.tun.msl);
	/* nobody holds it: a compact record takes over and the slot is freed */
	if (!c->has_handle)
		tcp_tw_take_over(s, now, c);
}

static void tcp_timer_persist(struct stack *s, stack_time_us now, struct tcp_conn *c);

/*
 * The window the peer offered ends at SND.UNA (zero, or shrunk behind data
 * in flight): a timeout cannot resend anything into it, and counting such
 * timeouts toward `retries` would abort a connection whose peer answers every
 * probe (RFC 1122 §4.2.2.17).
 */
static bool tcp_timer_window_closed(const struct tcp_conn *c)
{
	return tcp_state_synchronized(c->state) && c->snd_una != c->snd_max &&
	       tcp_conn_snd_usable(c, c->snd_una) == 0;
}

/* RFC 6298 §5.4-5.7 and the retry limits of RFC 1122 §4.2.3.5. */
static void tcp_timer_retransmit(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	const struct stack_tunables *tun = &s->cfg.tun;
	uint32_t flight = c->snd_max - c->snd_una;

	if (tcp_timer_window_closed(c)) {
		/* Probe it as the persist timer does (RFC 9293 §3.8.6.1), which never
		 * gives up while the probes are answered; from SND.UNA, the data and
		 * FIN go again once the window opens (tcp_output). */
		c->snd_nxt = c->snd_una;
		tcp_timer_persist(s, now, c);
		return;
	}
	if (tcp_orphan_gives_up(s, now, c))
		return;
	if (tcp_state_synchronized(c->state)) {
		/* the head went one RTO ago and is still unacknowledged */
		if (!c->stall_since) /* (1 at least: 0 means "not stalled") */
			c->stall_since = stack_max(
				1, now - stack_min(now, tcp_rtt_timeout(&c->rtt, tun->rto_min,
									tun->rto_max)));
		if (tcp_timer_user_timed_out(s, now, c))
			return;
	}
	c->nrexmit++;
	switch (c->state) {
	case TCP_SYN_SENT:
		if (c->nrexmit > tun->syn_retries) {
			tcp_conn_fail(s, now, c, STACK_EV_ERROR, -ETIMEDOUT,
				      TCP_CAUSE_TIMER_SYN_RETRIES, NULL);
			return;
		}
		break;
	case TCP_SYN_RECEIVED:
		if (c->nrexmit > tcp_listen_synack_retries(s, c)) {
			tcp_conn_fail(s, now, c, STACK_EV_ERROR, -ETIMEDOUT,
				      TCP_CAUSE_TIMER_SYN_RETRIES, NULL);
			return;
		}
		break;
	default:
		if (c->nrexmit > tun->retries) {
			STACK_INC(s, TcpExtTCPAbortOnTimeout);
			tcp_conn_fail(s, now, c, STACK_EV_ERROR, -ETIMEDOUT,
				      TCP_CAUSE_TIMER_RETRANSMIT, NULL);
			return;
		}
		break;
	}
	STACK_INC(s, TcpExtTCPTimeouts);
	tcp_rtt_backoff(&c->rtt);
	/* Karn: the segment being timed is now ambiguous */
	c->rtt_timing = false;
	if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED) {
		STACK_INC(s, TcpExtTCPSynRetrans);
		STACK_INC(s, TcpRetransSegs);
		c->total_retrans++;
		tcp_output_syn(s, now, c);
		tcp_timer_arm_rexmit(s, now, c);
		return;
	}
	/* with a scoreboard: everything not SACKed is lost (tcp_recovery.c) */
	if (tcp_rec_sack_mode(c))
		tcp_rec_on_rto(s, now, c);
	/* RFC 5681 §3.1: loss window; go back to SND.UNA and resend from there.
	 * In a fast recovery the reduction for this window was made already. */
	if (c->cc.in_recovery)
		tcp_cc_rto_in_recovery(&c->cc);
	else
		c->cc.ops->on_rto(&c->cc, flight);
	tcp_cc_set_recover(&c->cc, c->snd_max, true);
	c->dupacks = 0;
	c->sack_high_valid = false; /* RFC 6675 §5.1: the SACK information is suspect now */
	/* the scoreboard resends the lost ranges and skips the SACKed ones */
	if (!tcp_rec_sack_mode(c))
		c->snd_nxt = c->snd_una;
	tcp_output(s, now, c);
	if (c->timer[TCP_TIMER_RETRANSMIT] == STACK_TIME_NEVER && c->snd_una != c->snd_max)
		tcp_timer_arm_rexmit(s, now, c);
}

/*
 * RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17: probe a closed window. Any
 * acceptable ACK resets persist_probes (tcp_input_step_ack), so only
 * `retries` probes in a row that nobody answers end the connection.
 *
 * The probe is <SEQ=SND.UNA-1><ACK=RCV.NXT>, no data: an old sequence
 * number, which the peer answers with an ACK carrying its current window
 * (RFC 9293 §3.10.7.4, first step), so a lost window update is recovered as
 * surely as with a byte of data. A byte of new data would move SND.NXT past
 * the peer's zero window: a receiver whose window is zero accepts a segment
 * only at SEG.SEQ = RCV.NXT, so every later ACK of ours (SEQ = SND.NXT),
 * keepalive answers included, would be discarded; and when the peer does take
 * the byte but its ACK is lost, any SEQ we chose below SND.NXT would lie below
 * its RCV.NXT. A probe that sends nothing new leaves SND.NXT where the peer's
 * window allows it.
 */
static void tcp_timer_persist(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	uint32_t usable = tcp_conn_snd_usable(c, c->snd_nxt);

	/* data waiting to be sent, or data or FIN in flight behind a closed window */
	if (tcp_conn_unsent(c) == 0 && c->snd_una == c->snd_max)
		return;
	/* the user timeout runs while the window stays shut, answered or not */
	if (!c->stall_since)
		c->stall_since = stack_max(1, now);
	if (tcp_timer_user_timed_out(s, now, c))
		return;
	if (c->persist_probes > s->cfg.tun.retries) {
		/* nobody answers the probes any more */
		tcp_conn_fail(s, now, c, STACK_EV_ERROR, -ETIMEDOUT, TCP_CAUSE_TIMER_RETRANSMIT,
			      NULL);
		return;
	}
	/* an orphan's probes count whether answered or not (tcp_orphan.c) */
	if (tcp_orphan_gives_up(s, now, c))
		return;
	if (usable > 0 && c->snd_una == c->snd_max) {
		/* the window opened a little: SWS avoidance yields to the timer */
		uint32_t len =
			stack_min(stack_min(usable, tcp_conn_unsent(c)), tcp_output_seg_payload(c));

		tcp_output_segment(s, now, c, c->snd_nxt, len, TCP_FLAG_ACK | TCP_FLAG_PSH);
		c->snd_nxt += len;
		if (seq_gt(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
		tcp_timer_arm_rexmit(s, now, c);
		return;
	}
	STACK_INC(s, TcpExtTCPWinProbe);
	tcp_output_segment(s, now, c, c->snd_una - 1, 0, TCP_FLAG_ACK);
	c->persist_probes++;
	c->persist_backoff++;
	tcp_timer_arm_persist(s, now, c);
}

/* RFC 1122 §4.2.3.6: probe an idle connection with <SEQ=SND.UNA-1>, no data. */
static void tcp_timer_keepalive(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	if (!c->keepalive || !tcp_timer_keepalive_state(c->state))
		return;
	if (c->keep_probes == 0 && now < c->last_rcv + c->keep_idle) {
		tcp_timer_set(s, c, TCP_TIMER_KEEPALIVE, c->last_rcv + c->keep_idle);
		return;
	}
	if (c->snd_una != c->snd_max) {
		/* data in flight: the retransmission timer watches the peer */
		tcp_timer_set(s, c, TCP_TIMER_KEEPALIVE, now + c->keep_idle);
		return;
	}
	/* with a user timeout, it decides how long an unanswering peer lasts (as Linux) */
	if (c->user_timeout ? c->keep_probes > 0 && now - c->last_rcv >= c->user_timeout
			    : c->keep_probes >= c->keep_cnt) {
		tcp_conn_fail(s, now, c, STACK_EV_ERROR, -ETIMEDOUT, TCP_CAUSE_TIMER_KEEPALIVE,
			      NULL);
		return;
	}
	STACK_INC(s, TcpExtTCPKeepAlive);
	tcp_output_segment(s, now, c, c->snd_una - 1, 0, TCP_FLAG_ACK);
	c->keep_probes++;
	tcp_timer_set(s, c, TCP_TIMER_KEEPALIVE, now + c->keep_intvl);
}

static void tcp_timer_delack(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	if (!tcp_state_synchronized(c->state) && c->state != TCP_SYN_RECEIVED)
		return;
	if (c->quick_due) {
		STACK_INC(s, SynackTcpQuickAcks);
	} else {
		/* no answer of ours carried it: not interactive (tcp_input_quick_refill) */
		STACK_INC(s, TcpExtDelayedACKs);
		c->interactive = false;
	}
	c->ack_now = true;
	tcp_output(s, now, c);
}

/* Run every timer of c that is due at now; c may be freed on return. */
void tcp_timer_run(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	for (int i = 0; i < TCP_TIMER_COUNT; i++) {
		enum tcp_timer_id id = (enum tcp_timer_id)i;

		if (!c->in_use || c->timer[id] > now)
			continue;
		c->timer[id] = STACK_TIME_NEVER;
		switch (id) {
		case TCP_TIMER_TIME_WAIT:
			STACK_INC(s, TcpExtTW);
			tcp_conn_destroy(s, now, c, TCP_CAUSE_TIMER_TIME_WAIT, NULL);
			return;
		case TCP_TIMER_FIN_WAIT_2:
			if (c->state == TCP_FIN_WAIT_2) {
				tcp_conn_destroy(s, now, c, TCP_CAUSE_TIMER_FIN_WAIT_2, NULL);
				return;
			}
			break;
		case TCP_TIMER_RETRANSMIT:
			if (c->snd_una != c->snd_max || c->state == TCP_SYN_SENT ||
			    c->state == TCP_SYN_RECEIVED)
				tcp_timer_retransmit(s, now, c);
			break;
		case TCP_TIMER_PERSIST:
			tcp_timer_persist(s, now, c);
			break;
		case TCP_TIMER_DELACK:
			tcp_timer_delack(s, now, c);
			break;
		case TCP_TIMER_KEEPALIVE:
			tcp_timer_keepalive(s, now, c);
			break;
		case TCP_TIMER_MEM_IDLE:
			tcp_mem_idle(s, now, c);
			break;
		case TCP_TIMER_RACK:
			tcp_rec_timer_rack(s, now, c);
			break;
		case TCP_TIMER_TLP:
			tcp_rec_timer_tlp(s, now, c);
			break;
		case TCP_TIMER_COUNT:
			break;
		}
	}
	if (c->in_use)
		tcp_timer_update(s, c);
}

void tcp_poll(struct stack *s, stack_time_us now)
{
	struct heap_node *n;

	if (now > s->tcp.now)
		s->tcp.now = now;
	/* each connection runs at most once per poll, so this is bounded */
	for (uint32_t budget = s->tcp.nslots; budget && (n = heap_min(&s->tcp.timers)); budget--) {
		struct tcp_conn *c;

		if (n->at > now)
			break;
		c = (struct tcp_conn *)((char *)n - offsetof(struct tcp_conn, hnode));
		heap_remove(&s->tcp.timers, n);
		tcp_timer_run(s, now, c);
	}
	tcp_tw_poll(s, now);
	tcp_api_flush_blocked(s, now);
	tcp_mem_poll(s, now);
}

stack_time_us tcp_poll_at(const struct stack *s)
{
	const struct heap_node *n = heap_min(&s->tcp.timers);

	if (s->tcp.out_head != TCP_SLOT_NONE && !s->link_blocked)
		return s->tcp.now; /* output waits only for the next poll */
	if (tcp_mem_wake_pending(s))
		return s->tcp.now; /* memory was freed: held-back connections hear of it */
	return stack_min(n ? n->at : STACK_TIME_NEVER, tcp_tw_poll_at(s));
}
