/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_listen.c - passive open (RFC 9293 §3.10.1 OPEN passive,
 * §3.10.7.2 SYN in LISTEN): a listener spawns one child connection per SYN,
 * held in a SYN queue while it is SYN-RECEIVED, then in the accept queue
 * bounded by the listen backlog until the owner accepts it. The SYN queue is
 * bounded by the syn_backlog tunable and by the listen backlog too, as Linux
 * bounds it: the daemon sizes a client's backlog to the connections its uid
 * has room for, so a listener must not hold more half-open children than
 * that either (past it, SYNs get cookies and the listener keeps nothing). A SYN that finds the accept queue full is dropped
 * and counted (TcpExtListenOverflows / TcpExtListenDrops); the peer retries.
 * A SYN that finds the SYN queue full, or no free slot, is answered with a
 * SYN cookie (tcp_syncookie.c, RFC 4987 §3.6) unless the syncookies tunable
 * is 0, when it is dropped as the accept queue's are. Under pressure,
 * half-open children retry their SYN-ACK fewer times (RFC 4987 §3.4, the
 * "reducing SYN-RECEIVED timer" defence).
 */
#include "tcp_conn.h"

struct tcp_conn *tcp_listen_parent(const struct stack *s, const struct tcp_conn *child)
{
	const struct tcp_conn *l;

	if (child->parent == TCP_SLOT_NONE)
		return NULL;
	l = &s->tcp.conns[child->parent];
	if (!l->in_use || l->gen != child->parent_gen || l->state != TCP_LISTEN)
		return NULL;
	return (struct tcp_conn *)l;
}

struct tcp_conn *tcp_listen_new_child(struct stack *s, struct tcp_conn *l, const struct ip4_rx *ip,
				      const struct tcp_seg *seg)
{
	struct tcp_conn *c = tcp_conn_alloc(s);

	if (!c)
		return NULL;
	tcp_conn_init_defaults(s, c);
	c->sndbuf_size = l->sndbuf_size;
	c->rcvbuf_size = l->rcvbuf_size;
	c->sndbuf_locked = l->sndbuf_locked;
	c->rcvbuf_locked = l->rcvbuf_locked;
	c->nodelay = l->nodelay;
	c->keepalive = l->keepalive;
	c->keep_idle = l->keep_idle;
	c->keep_intvl = l->keep_intvl;
	c->keep_cnt = l->keep_cnt;
	c->user_timeout = l->user_timeout;
	c->user_mss = l->user_mss;
	if (c->user_mss)
		c->rcv_mss = stack_min(c->rcv_mss, c->user_mss);
	/* as in Linux: the listener's choice when it made one (OPTION_CONGESTION),
	 * else tcp.congestion_control as it is now */
	if (l->cc_chosen) {
		c->cc.ops = l->cc.ops;
		c->cc_chosen = true;
	}
	c->tuple.laddr = ip->dst;
	c->tuple.raddr = ip->src;
	c->tuple.lport = seg->dport;
	c->tuple.rport = seg->sport;
	/* a half-open child holds no memory; once its handshake completes, its
	 * listener's account pays its window until it is accepted */
	tcp_mem_conn_attach(s, c, l->mem_acct);
	if (tcp_conn_hash(s, c) < 0) {
		tcp_conn_free(s, c);
		return NULL;
	}
	c->parent = tcp_conn_slot(s, l);
	c->parent_gen = l->gen;
	l->syn_qlen++;
	return c;
}

uint32_t tcp_listen_synq_max(const struct stack *s, const struct tcp_conn *l)
{
	uint64_t max = s->cfg.tun.syn_backlog;

	return (uint32_t)(l->backlog < max ? l->backlog : max);
}

void tcp_listen_input_syn(struct stack *s, stack_time_us now, struct tcp_conn *l,
			  const struct ip4_rx *ip, const struct tcp_seg *seg)
{
	struct tcp_conn *c;

	if (l->aq_len >= l->backlog) {
		STACK_INC(s, TcpExtListenOverflows);
		STACK_INC(s, TcpExtListenDrops);
		return;
	}
	/* a full SYN queue (or syncookies = 2) answers with a cookie and keeps nothing */
	if (tcp_syncookie_wanted(s, l)) {
		tcp_syncookie_send(s, now, l, ip, seg);
		return;
	}
	if (l->syn_qlen >= tcp_listen_synq_max(s, l)) {
		STACK_INC(s, TcpExtListenDrops);
		return;
	}
	c = tcp_listen_new_child(s, l, ip, seg);
	if (!c) {
		/* no slot or no memory: a cookie needs neither until the peer answers */
		if (s->cfg.tun.syncookies)
			tcp_syncookie_send(s, now, l, ip, seg);
		else
			STACK_INC(s, TcpExtListenDrops);
		return;
	}
	tcp_input_passive_open(s, now, c, seg);
}

/*
 * SYN-ACK retransmissions for a half-open child. Under pressure (the
 * listener's SYN queue at least half full) an entry whose SYN-ACK went
 * unanswered twice most likely belongs to a spoofed source: it gives up at
 * its next timeout (after 1 + 2 + 4 s with the default RTO) instead of
 * holding its place for the full synack_retries (63 s), so the queue turns
 * over and real peers find room even with syncookies off.
 */
uint32_t tcp_listen_synack_retries(const struct stack *s, const struct tcp_conn *c)
{
	const struct tcp_conn *l = tcp_listen_parent(s, c);
	uint32_t max = (uint32_t)s->cfg.tun.synack_retries;

	if (l && l->syn_qlen * 2 >= tcp_listen_synq_max(s, l) && max > 2)
		max = 2;
	return max;
}

bool tcp_listen_child_established(struct stack *s, struct tcp_conn *c)
{
	struct tcp_conn *l = tcp_listen_parent(s, c);
	uint32_t slot = tcp_conn_slot(s, c);

	if (!l)
		return true;
	if (c->in_accept_queue)
		return true;
	if (l->aq_len >= l->backlog) {
		STACK_INC(s, TcpExtListenOverflows);
		return false;
	}
	l->syn_qlen--;
	c->in_accept_queue = true;
	c->aq_next = TCP_SLOT_NONE;
	if (l->aq_tail == TCP_SLOT_NONE)
		l->aq_head = slot;
	else
		s->tcp.conns[l->aq_tail].aq_next = slot;
	l->aq_tail = slot;
	l->aq_len++;
	tcp_conn_event(s, l, STACK_EV_ACCEPTABLE);
	return true;
}

static void tcp_listen_unqueue(struct stack *s, struct tcp_conn *l, struct tcp_conn *c)
{
	uint32_t slot = tcp_conn_slot(s, c), prev = TCP_SLOT_NONE;

	for (uint32_t i = l->aq_head; i != TCP_SLOT_NONE; i = s->tcp.conns[i].aq_next) {
		if (i != slot) {
			prev = i;
			continue;
		}
		if (prev == TCP_SLOT_NONE)
			l->aq_head = c->aq_next;
		else
			s->tcp.conns[prev].aq_next = c->aq_next;
		if (l->aq_tail == slot)
			l->aq_tail = prev;
		l->aq_len--;
		break;
	}
	c->aq_next = TCP_SLOT_NONE;
	c->in_accept_queue = false;
}

void tcp_listen_child_gone(struct stack *s, struct tcp_conn *c)
{
	struct tcp_conn *l = tcp_listen_parent(s, c);

	if (l) {
		if (c->in_accept_queue)
			tcp_listen_unqueue(s, l, c);
		else if (l->syn_qlen)
			l->syn_qlen--;
	}
	c->parent = TCP_SLOT_NONE;
}

struct tcp_conn *tcp_listen_accept(struct stack *s, struct tcp_conn *l)
{
	struct tcp_conn *c;

	if (l->aq_head == TCP_SLOT_NONE)
		return NULL;
	c = &s->tcp.conns[l->aq_head];
	tcp_listen_unqueue(s, l, c);
	c->parent = TCP_SLOT_NONE;
	return c;
}

/* Closing a listener resets the children nobody accepted (RFC 9293 §3.10.4 in LISTEN). */
void tcp_listen_close(struct stack *s, stack_time_us now, struct tcp_conn *l)
{
	uint32_t slot = tcp_conn_slot(s, l);

	for (uint32_t i = 0; i < s->tcp.fresh && (l->aq_len || l->syn_qlen); i++) {
		struct tcp_conn *c = &s->tcp.conns[i];

		if (!c->in_use || c->parent != slot || c->parent_gen != l->gen)
			continue;
		tcp_output_rst(s, now, c);
		tcp_conn_destroy(s, now, c, TCP_CAUSE_USER_CLOSE, NULL);
	}
	tcp_conn_destroy(s, now, l, TCP_CAUSE_USER_CLOSE, NULL);
}
