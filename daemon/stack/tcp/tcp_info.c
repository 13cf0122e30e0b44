/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_info.c - the control plane's read-only view of connections
 * (stack_info.h): the RFC 9293 §3.3.1 variables, RFC 6298 estimator, RFC 5681
 * congestion state, timers with their remaining time, and the state history.
 * TIME-WAIT records (tcp_timewait.c) are listed after the slots.
 */
#include <errno.h>
#include <string.h>

#include "../stack_info.h"
#include "tcp_conn.h"

const char *stack_tcp_state_name(uint8_t state)
{
	return tcp_state_name((enum tcp_conn_state)state);
}

static const enum tcp_timer_id info_timer_map[STACK_TCP_TIMER_COUNT] = {
	[STACK_TCP_TIMER_RETRANS] = TCP_TIMER_RETRANSMIT,
	[STACK_TCP_TIMER_PERSIST] = TCP_TIMER_PERSIST,
	[STACK_TCP_TIMER_DELACK] = TCP_TIMER_DELACK,
	[STACK_TCP_TIMER_KEEPALIVE] = TCP_TIMER_KEEPALIVE,
	[STACK_TCP_TIMER_FINWAIT2] = TCP_TIMER_FIN_WAIT_2,
	[STACK_TCP_TIMER_TIMEWAIT] = TCP_TIMER_TIME_WAIT,
};

/* ss's timer column: the one timer that matters most, by its name. */
static void tcp_info_main_timer(struct stack_tcp_info *in)
{
	static const struct {
		enum stack_tcp_timer t;
		const char *name;
	} order[] = {
		{ STACK_TCP_TIMER_RETRANS, "on" },
		{ STACK_TCP_TIMER_PERSIST, "persist" },
		{ STACK_TCP_TIMER_TIMEWAIT, "timewait" },
		{ STACK_TCP_TIMER_FINWAIT2, "timewait" },
		{ STACK_TCP_TIMER_KEEPALIVE, "keepalive" },
		{ STACK_TCP_TIMER_DELACK, "delack" },
	};

	in->timer_name = "off";
	in->timer_remaining_us = 0;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (in->timers[order[i].t].armed) {
			in->timer_name = order[i].name;
			in->timer_remaining_us = in->timers[order[i].t].remaining_us;
			return;
		}
	}
}

static void tcp_info_fill(const struct stack *s, const struct tcp_conn *c,
			  struct stack_tcp_info *in)
{
	const struct stack_tunables *tun = &s->cfg.tun;
	stack_time_us now = s->tcp.now;

	memset(in, 0, sizeof(*in));
	in->id = c->id;
	in->owner = c->owner;
	in->state = (uint8_t)c->state;
	in->state_name = tcp_state_name(c->state);
	in->listener = c->state == TCP_LISTEN;
	in->orphan = c->orphan;
	in->local.addr = c->tuple.laddr;
	in->local.port = c->tuple.lport;
	in->remote.addr = c->tuple.raddr;
	in->remote.port = c->tuple.rport;
	in->iss = c->iss;
	in->irs = c->irs;
	in->snd_una = c->snd_una;
	in->snd_nxt = c->snd_max;
	in->snd_cursor = c->snd_nxt;
	in->snd_wl1 = c->snd_wl1;
	in->snd_wl2 = c->snd_wl2;
	in->snd_up = c->snd_up;
	in->rcv_nxt = c->rcv_nxt;
	in->rcv_up = c->rcv_up;
	in->rcv_adv = c->rcv_adv;
	in->snd_wnd = c->snd_wnd;
	in->max_snd_wnd = c->max_snd_wnd;
	in->rcv_wnd = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	in->snd_wscale = c->snd_wscale;
	in->rcv_wscale = c->rcv_wscale;
	in->wscale_ok = c->wscale_ok;
	in->ts_ok = c->ts_ok;
	in->sack_ok = c->sack_ok;
	in->mss = c->mss;
	in->rcv_mss = c->rcv_mss;
	in->srtt_us = c->rtt.srtt_us;
	in->rttvar_us = c->rtt.rttvar_us;
	in->rto_us = tcp_rtt_timeout(&c->rtt, tun->rto_min, tun->rto_max);
	in->cwnd = c->cc.cwnd;
	in->ssthresh = c->cc.ssthresh;
	in->in_recovery = c->cc.in_recovery;
	in->cc_name = c->cc.ops ? c->cc.ops->name : "";
	in->snd_mss = c->cc.smss ? c->cc.smss : tcp_output_max_payload(c);
	in->retransmits = c->nrexmit;
	in->backoff = c->rtt.backoff;
	in->total_retrans = c->total_retrans;
	in->probes = c->keep_probes ? c->keep_probes : c->persist_probes;
	in->segs_in = c->segs_in;
	in->segs_out = c->segs_out;
	in->bytes_sent = c->bytes_out;
	in->bytes_retrans = c->bytes_retrans;
	in->bytes_acked = c->bytes_acked;
	in->bytes_received = c->bytes_received;
	in->send_queue = c->snd.len;
	in->recv_queue = c->rcv.len;
	in->sndbuf = c->sndbuf_size;
	in->rcvbuf = c->rcvbuf_size;
	in->rcv_rtt_us = c->tune.rcv_rtt_us;
	in->rcv_space = c->tune.rcv_space;
	in->backlog = c->backlog;
	in->accept_queue = c->aq_len;
	in->syn_queue = c->syn_qlen;
	for (int i = 0; i < STACK_TCP_TIMER_COUNT; i++) {
		stack_time_us at = c->timer[info_timer_map[i]];

		if (at == STACK_TIME_NEVER)
			continue;
		in->timers[i].armed = true;
		in->timers[i].at = at;
		in->timers[i].remaining_us = at > now ? at - now : 0;
	}
	tcp_info_main_timer(in);
	in->soft_error = c->soft_error;
	in->error = c->hard_error;
	in->nodelay = c->nodelay;
	in->keepalive = c->keepalive;
}

int stack_tcp_info(const struct stack *s, stack_sock sock, struct stack_tcp_info *ret)
{
	const struct tcp_conn *c = tcp_conn_from_sock(s, sock, false);
	const struct tcp_tw *tw = tcp_tw_from_sock(s, sock);

	if (tw) {
		tcp_tw_info(s, tw, ret);
		return 0;
	}
	if (!c)
		return -EBADF;
	tcp_info_fill(s, c, ret);
	return 0;
}

int stack_tcp_foreach(const struct stack *s,
		      int (*cb)(void *ctx, stack_sock sock, const struct stack_tcp_info *info),
		      void *ctx)
{
	struct stack_tcp_info in;

	for (uint32_t i = 0; i < s->tcp.fresh; i++) {
		const struct tcp_conn *c = &s->tcp.conns[i];
		int r;

		if (!c->in_use)
			continue;
		tcp_info_fill(s, c, &in);
		r = cb(ctx, tcp_conn_sock(s, c), &in);
		if (r)
			return r;
	}
	return tcp_tw_foreach(s, cb, ctx);
}

int stack_tcp_history(const struct stack *s, stack_sock sock, struct stack_tcp_history_entry *ret,
		      size_t max)
{
	const struct tcp_conn *c = tcp_conn_from_sock(s, sock, false);
	const struct tcp_tw *tw = tcp_tw_from_sock(s, sock);
	uint32_t n, first;
	size_t k = 0;

	if (tw) /* a record keeps only its latest state change */
		return tcp_tw_history(s, tw, ret, max);
	if (!c)
		return -EBADF;
	n = stack_min(c->hist_n, (uint32_t)TCP_HISTORY_LEN);
	first = c->hist_n - n;
	for (uint32_t i = 0; i < n && k < max; i++, k++) {
		const struct tcp_history_entry *h = &c->hist[(first + i) % TCP_HISTORY_LEN];

		ret[k].at = h->at;
		ret[k].from = h->from;
		ret[k].to = h->to;
		ret[k].from_name = tcp_state_name((enum tcp_conn_state)h->from);
		ret[k].to_name = tcp_state_name((enum tcp_conn_state)h->to);
		ret[k].cause = tcp_cause_name((enum tcp_cause)h->cause);
		ret[k].seg_flags = h->seg_flags;
		ret[k].seg_seq = h->seg_seq;
		ret[k].seg_ack = h->seg_ack;
	}
	return (int)k;
}
