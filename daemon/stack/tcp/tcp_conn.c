/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_conn.c - connection slots and their life cycle: the TCB
 * (RFC 9293 §3.3.1) allocated from a fixed pool, generation-tagged handles,
 * the 4-tuple table, buffer release (tcp_mem.c allocates), state changes (RFC 9293 §3.3.2) with
 * their history ring, trace and counters, and tear-down.
 */
#include <errno.h>
#include <string.h>

#include "tcp_conn.h"

static const char *const state_names[TCP_STATE_COUNT] = {
	[TCP_CLOSED] = "CLOSED",	   [TCP_LISTEN] = "LISTEN",
	[TCP_SYN_SENT] = "SYN-SENT",	   [TCP_SYN_RECEIVED] = "SYN-RECEIVED",
	[TCP_ESTABLISHED] = "ESTABLISHED", [TCP_FIN_WAIT_1] = "FIN-WAIT-1",
	[TCP_FIN_WAIT_2] = "FIN-WAIT-2",   [TCP_CLOSE_WAIT] = "CLOSE-WAIT",
	[TCP_CLOSING] = "CLOSING",	   [TCP_LAST_ACK] = "LAST-ACK",
	[TCP_TIME_WAIT] = "TIME-WAIT",
};

static const char *const cause_names[TCP_CAUSE_COUNT] = {
	[TCP_CAUSE_NONE] = "none",
	[TCP_CAUSE_USER_CONNECT] = "connect",
	[TCP_CAUSE_USER_LISTEN] = "listen",
	[TCP_CAUSE_USER_CLOSE] = "close",
	[TCP_CAUSE_USER_SHUTDOWN] = "shutdown",
	[TCP_CAUSE_USER_ABORT] = "abort",
	[TCP_CAUSE_SEG_SYN] = "rcv SYN",
	[TCP_CAUSE_SEG_SYN_ACK] = "rcv SYN-ACK",
	[TCP_CAUSE_SEG_ACK] = "rcv ACK",
	[TCP_CAUSE_SEG_FIN] = "rcv FIN",
	[TCP_CAUSE_SEG_RST] = "rcv RST",
	[TCP_CAUSE_SEG_BAD_SYNACK] = "rcv unacceptable ACK",
	[TCP_CAUSE_TIMER_RETRANSMIT] = "retransmission timeout",
	[TCP_CAUSE_TIMER_SYN_RETRIES] = "SYN retries exhausted",
	[TCP_CAUSE_TIMER_KEEPALIVE] = "keepalive timeout",
	[TCP_CAUSE_TIMER_FIN_WAIT_2] = "FIN-WAIT-2 timeout",
	[TCP_CAUSE_TIMER_TIME_WAIT] = "2MSL timeout",
	[TCP_CAUSE_ICMP_ERROR] = "ICMP error",
	[TCP_CAUSE_TIME_WAIT_REUSE] = "TIME-WAIT reuse",
	[TCP_CAUSE_TIME_WAIT_OVERFLOW] = "TIME-WAIT table full",
	[TCP_CAUSE_TIMER_ORPHAN_RETRIES] = "orphan retries exhausted",
	[TCP_CAUSE_ORPHAN_LIMIT] = "too many orphans",
};

const char *tcp_state_name(enum tcp_conn_state st)
{
	if ((unsigned)st >= TCP_STATE_COUNT)
		return "?";
	return state_names[st];
}

const char *tcp_cause_name(enum tcp_cause cause)
{
	if ((unsigned)cause >= TCP_CAUSE_COUNT)
		return "?";
	return cause_names[cause];
}

int tcp_init(struct stack *s, stack_time_us now)
{
	struct tcp_state *t = &s->tcp;
	uint32_t n = s->cfg.max_conns;

	memset(t, 0, sizeof(*t));
	t->conns = stack_zalloc(s, (size_t)n * sizeof(*t->conns));
	t->table_size = tcp_table_size(n);
	t->table_mem = stack_zalloc(s, (size_t)t->table_size * sizeof(*t->table_mem));
	t->heap_mem = stack_alloc(s, (size_t)n * sizeof(*t->heap_mem));
	if (!t->conns || !t->table_mem || !t->heap_mem) {
		tcp_deinit(s);
		return -ENOMEM;
	}
	/* nothing walks the slots or the table here: their pages are touched
	 * only as connections use them, so start-up costs no RSS per max_conns */
	t->nslots = n;
	t->fresh = 0;
	t->free_head = TCP_SLOT_NONE;
	tcp_table_init_zeroed(&t->table, t->table_mem, t->table_size, s->env.secret);
	heap_init(&t->timers, t->heap_mem, n);
	t->ev_head = t->ev_tail = TCP_SLOT_NONE;
	t->out_head = TCP_SLOT_NONE;
	t->orphan_head = t->orphan_tail = TCP_SLOT_NONE;
	t->next_id = 1;
	t->now = now;
	tcp_mem_init(s);
	tcp_tw_init(s);
	return 0;
}

void tcp_deinit(struct stack *s)
{
	struct tcp_state *t = &s->tcp;

	tcp_tw_deinit(s);
	if (t->conns) {
		for (uint32_t i = 0; i < t->fresh; i++)
			tcp_conn_buffers_free(s, &t->conns[i]);
	}
	stack_free(s, t->conns, (size_t)t->nslots * sizeof(*t->conns));
	stack_free(s, t->table_mem, (size_t)t->table_size * sizeof(*t->table_mem));
	stack_free(s, t->heap_mem, (size_t)t->nslots * sizeof(*t->heap_mem));
	t->conns = NULL;
	t->table_mem = NULL;
	t->heap_mem = NULL;
	t->nslots = 0;
}

uint32_t tcp_conn_slot(const struct stack *s, const struct tcp_conn *c)
{
	return (uint32_t)(c - s->tcp.conns);
}

stack_sock tcp_conn_sock(const struct stack *s, const struct tcp_conn *c)
{
	return ((uint64_t)c->gen << 32) | (tcp_conn_slot(s, c) + 1);
}

struct tcp_conn *tcp_conn_from_sock(const struct stack *s, stack_sock sock, bool need_handle)
{
	uint32_t slot = (uint32_t)sock;
	struct tcp_conn *c;

	if (slot == 0 || slot > s->tcp.nslots)
		return NULL;
	c = &s->tcp.conns[slot - 1];
	if (!c->in_use || c->gen != (uint32_t)(sock >> 32))
		return NULL;
	if (need_handle && !c->has_handle)
		return NULL;
	return c;
}

struct tcp_conn *tcp_conn_alloc(struct stack *s)
{
	struct tcp_state *t = &s->tcp;
	struct tcp_conn *c;
	uint32_t slot = t->free_head, gen;

	if (slot != TCP_SLOT_NONE) {
		c = &t->conns[slot];
		t->free_head = c->next_free;
	} else if (t->fresh < t->nslots) {
		c = &t->conns[t->fresh++]; /* zero-filled: gen 0 */
	} else {
		STACK_INC(s, SynackTcpNoConnSlots);
		return NULL;
	}
	gen = c->gen + 1;
	memset(c, 0, sizeof(*c));
	c->gen = gen ? gen : 1;
	c->in_use = true;
	c->id = t->next_id++;
	c->parent = TCP_SLOT_NONE;
	c->aq_next = c->aq_head = c->aq_tail = TCP_SLOT_NONE;
	c->ev_next = TCP_SLOT_NONE;
	c->out_next = TCP_SLOT_NONE;
	c->next_free = TCP_SLOT_NONE;
	for (int i = 0; i < TCP_TIMER_COUNT; i++)
		c->timer[i] = STACK_TIME_NEVER;
	tcp_mem_conn_attach(s, c, 0);
	t->nused++;
	return c;
}

static void tcp_conn_out_unlink(struct stack *s, struct tcp_conn *c)
{
	uint32_t *p = &s->tcp.out_head, slot = tcp_conn_slot(s, c);

	while (*p != TCP_SLOT_NONE) {
		if (*p == slot) {
			*p = c->out_next;
			break;
		}
		p = &s->tcp.conns[*p].out_next;
	}
	c->on_out_list = false;
	c->out_next = TCP_SLOT_NONE;
}

void tcp_conn_free(struct stack *s, struct tcp_conn *c)
{
	struct tcp_state *t = &s->tcp;

	tcp_timer_clear_all(s, c);
	tcp_conn_unhash(s, c);
	tcp_orphan_forget(s, c); /* first: it uncounts the orphan from c's account */
	tcp_mem_conn_detach(s, c);
	if (c->on_out_list)
		tcp_conn_out_unlink(s, c);
	c->has_handle = false;
	c->in_use = false;
	c->gen++;
	if (c->on_ev_list) {
		/* the slot is reused only after its last event is popped */
		c->free_pending = true;
		return;
	}
	c->free_pending = false;
	c->next_free = t->free_head;
	t->free_head = tcp_conn_slot(s, c);
	t->nused--;
}

struct tcp_conn *tcp_conn_lookup(const struct stack *s, const struct tcp_tuple *k)
{
	int64_t slot = tcp_table_find(&s->tcp.table, k);

	if (slot < 0)
		return NULL;
	return &s->tcp.conns[slot];
}

int tcp_conn_hash(struct stack *s, struct tcp_conn *c)
{
	int r = tcp_table_insert(&s->tcp.table, &c->tuple, tcp_conn_slot(s, c));

	if (r == 0)
		c->in_table = true;
	return r;
}

void tcp_conn_unhash(struct stack *s, struct tcp_conn *c)
{
	if (!c->in_table)
		return;
	tcp_table_remove(&s->tcp.table, &c->tuple);
	c->in_table = false;
}

void tcp_conn_sndbuf_free(struct stack *s, struct tcp_conn *c)
{
	tcp_mem_snd_free(s, c);
}

void tcp_conn_rcvbuf_free(struct stack *s, struct tcp_conn *c)
{
	tcp_mem_rcv_free(s, c);
}

void tcp_conn_buffers_free(struct stack *s, struct tcp_conn *c)
{
	tcp_conn_sndbuf_free(s, c);
	tcp_conn_rcvbuf_free(s, c);
}

void tcp_conn_init_defaults(struct stack *s, struct tcp_conn *c)
{
	const struct stack_tunables *tun = &s->cfg.tun;

	c->sndbuf_size = (uint32_t)stack_min(tun->send_buffer, tun->send_buffer_max);
	c->rcvbuf_size = (uint32_t)stack_min(tun->recv_buffer, tun->recv_buffer_max);
	c->rcv_wnd_cap = TCP_MEM_WND_INIT;
	c->keep_idle = tun->keepalive_time;
	c->keep_intvl = tun->keepalive_interval;
	c->keep_cnt = (uint32_t)tun->keepalive_probes;
	c->rcv_mss = (uint16_t)stack_min(s->cfg.mtu - 40, 65535u - 40);
	c->mss = 536; /* RFC 9293 §3.7.1: the default send MSS until the peer says otherwise */
	c->snd_wscale = c->rcv_wscale = 0;
	tcp_rtt_init(&c->rtt, s->cfg.tun.rto_initial);
	c->cc.ops = tcp_cc_ops_of(tun->congestion_control);
	if (!c->cc.ops)
		c->cc.ops = &tcp_cc_cubic;
}

static bool tcp_state_counts_estab(enum tcp_conn_state st)
{
	/* nstat's TcpCurrEstab: ESTABLISHED and CLOSE-WAIT (RFC 4022 tcpCurrEstab) */
	return st == TCP_ESTABLISHED || st == TCP_CLOSE_WAIT;
}

static void tcp_conn_count_transition(struct stack *s, const struct tcp_conn *c,
				      enum tcp_conn_state from, enum tcp_conn_state to)
{
	if (!tcp_state_counts_estab(from) && tcp_state_counts_estab(to))
		STACK_INC(s, TcpCurrEstab);
	if (tcp_state_counts_estab(from) && !tcp_state_counts_estab(to))
		STACK_DEC(s, TcpCurrEstab);
	if (tcp_state_counts_estab(from) && to == TCP_CLOSED)
		STACK_INC(s, TcpEstabResets);
	if ((from == TCP_SYN_SENT || from == TCP_SYN_RECEIVED) &&
	    (to == TCP_CLOSED || to == TCP_LISTEN))
		STACK_INC(s, TcpAttemptFails);
	if (from == TCP_CLOSED && to == TCP_SYN_SENT)
		STACK_INC(s, TcpActiveOpens);
	if (from == TCP_LISTEN && to == TCP_SYN_RECEIVED)
		STACK_INC(s, TcpPassiveOpens);
}

void tcp_conn_trace_state(struct stack *s, stack_time_us now, stack_sock sock,
			  const struct tcp_tuple *t, enum tcp_conn_state from,
			  enum tcp_conn_state to, enum tcp_cause cause)
{
	struct stack_trace tr;

	if (!s->env.trace)
		return;
	memset(&tr, 0, sizeof(tr));
	tr.kind = STACK_TRACE_STATE;
	tr.now = now;
	tr.sock = sock;
	tr.local.addr = t->laddr;
	tr.local.port = t->lport;
	tr.remote.addr = t->raddr;
	tr.remote.port = t->rport;
	tr.state.from = (uint8_t)from;
	tr.state.to = (uint8_t)to;
	tr.state.cause = (uint8_t)cause;
	stack_trace(s, &tr);
}

void tcp_conn_set_state(struct stack *s, stack_time_us now, struct tcp_conn *c,
			enum tcp_conn_state to, enum tcp_cause cause, const struct tcp_seg *seg)
{
	struct tcp_history_entry *h = &c->hist[c->hist_n % TCP_HISTORY_LEN];
	enum tcp_conn_state from = c->state;

	if (from == to)
		return;
	tcp_conn_count_transition(s, c, from, to);
	c->state = to;
	if (to == TCP_ESTABLISHED)
		c->answer_from = now ? now : 1; /* data of ours right after it answers it */
	c->hist_n++;
	memset(h, 0, sizeof(*h));
	h->at = now;
	h->from = (uint8_t)from;
	h->to = (uint8_t)to;
	h->cause = (uint8_t)cause;
	if (seg) {
		h->seg_flags = seg->flags;
		h->seg_seq = seg->seq;
		h->seg_ack = seg->ack;
	}
	tcp_conn_trace_state(s, now, tcp_conn_sock(s, c), &c->tuple, from, to, cause);
}

void tcp_conn_destroy(struct stack *s, stack_time_us now, struct tcp_conn *c, enum tcp_cause cause,
		      const struct tcp_seg *seg)
{
	if (c->parent != TCP_SLOT_NONE)
		tcp_listen_child_gone(s, c);
	tcp_conn_set_state(s, now, c, TCP_CLOSED, cause, seg);
	tcp_timer_clear_all(s, c);
	tcp_conn_unhash(s, c);
	tcp_conn_sndbuf_free(s, c);
	/* a graceful end keeps the bytes the owner has still to read */
	if (!c->has_handle || c->hard_error || c->rcv.len == 0)
		tcp_conn_rcvbuf_free(s, c);
	if (c->on_out_list)
		tcp_conn_out_unlink(s, c);
	if (!c->has_handle)
		tcp_conn_free(s, c);
}

void tcp_conn_fail(struct stack *s, stack_time_us now, struct tcp_conn *c, enum stack_event_type ev,
		   int err, enum tcp_cause cause, const struct tcp_seg *seg)
{
	c->hard_error = err;
	if (c->has_handle) {
		/* pending data/writable events mean nothing once the connection is gone */
		c->ev_bits &= ~(TCP_EV_BIT(STACK_EV_READABLE) | TCP_EV_BIT(STACK_EV_WRITABLE));
		c->ev_err = err;
		tcp_conn_event(s, c, ev);
	}
	tcp_conn_destroy(s, now, c, cause, seg);
}

uint32_t tcp_conn_unsent(const struct tcp_conn *c)
{
	uint32_t inflight = c->snd_nxt - c->snd_una;

	/* the SYN occupies no buffer byte */
	if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED)
		return c->snd.len;
	if (c->fin_sent && c->snd_nxt == c->snd_max)
		inflight--;
	return inflight >= c->snd.len ? 0 : c->snd.len - inflight;
}
