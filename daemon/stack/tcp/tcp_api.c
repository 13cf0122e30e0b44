/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_api.c - the socket-like calls of stack.h (RFC 9293 §3.10.1-6:
 * OPEN, SEND, RECEIVE, CLOSE, ABORT; RFC 1122 §4.2.2.13 for a close that
 * leaves data unread) and the event list.
 *
 * Events are bits on the connection, coalesced; connections with pending
 * bits are on one FIFO list, so the queue can never hold more than one entry
 * per slot. A released handle keeps its slot until its CLOSED event is popped.
 *
 * After STACK_EV_RESET or STACK_EV_ERROR the connection is CLOSED but the
 * handle stays valid (recv/send return the error, info still works) until
 * the owner calls stack_tcp_close() or stack_tcp_abort(), which release it.
 */
#include <errno.h>

#include "tcp_conn.h"

static void tcp_api_ev_append(struct stack *s, struct tcp_conn *c)
{
	uint32_t slot = tcp_conn_slot(s, c);

	if (c->on_ev_list)
		return;
	c->on_ev_list = true;
	c->ev_next = TCP_SLOT_NONE;
	if (s->tcp.ev_tail == TCP_SLOT_NONE)
		s->tcp.ev_head = slot;
	else
		s->tcp.conns[s->tcp.ev_tail].ev_next = slot;
	s->tcp.ev_tail = slot;
}

void tcp_conn_event(struct stack *s, struct tcp_conn *c, enum stack_event_type type)
{
	if (!c->has_handle)
		return;
	c->ev_bits |= TCP_EV_BIT(type);
	tcp_api_ev_append(s, c);
}

static void tcp_api_ev_pop_head(struct stack *s, struct tcp_conn *c)
{
	s->tcp.ev_head = c->ev_next;
	if (s->tcp.ev_head == TCP_SLOT_NONE)
		s->tcp.ev_tail = TCP_SLOT_NONE;
	c->ev_next = TCP_SLOT_NONE;
	c->on_ev_list = false;
	if (c->free_pending) {
		c->free_pending = false;
		c->next_free = s->tcp.free_head;
		s->tcp.free_head = tcp_conn_slot(s, c);
		s->tcp.nused--;
	}
}

bool stack_event_pop(struct stack *s, struct stack_event *ret_ev)
{
	while (s->tcp.ev_head != TCP_SLOT_NONE) {
		struct tcp_conn *c = &s->tcp.conns[s->tcp.ev_head];
		int type;

		if (!c->ev_bits) {
			tcp_api_ev_pop_head(s, c);
			continue;
		}
		type = __builtin_ctz(c->ev_bits);
		c->ev_bits &= ~(1u << type);
		ret_ev->type = (enum stack_event_type)type;
		ret_ev->sock = c->ev_sock;
		ret_ev->owner = c->ev_owner;
		ret_ev->err = (type == STACK_EV_RESET || type == STACK_EV_ERROR) ? c->ev_err : 0;
		if (!c->ev_bits)
			tcp_api_ev_pop_head(s, c);
		return true;
	}
	return false;
}

void tcp_api_out_blocked(struct stack *s, struct tcp_conn *c)
{
	if (c->on_out_list)
		return;
	c->on_out_list = true;
	c->out_next = s->tcp.out_head;
	s->tcp.out_head = tcp_conn_slot(s, c);
}

void tcp_api_flush_blocked(struct stack *s, stack_time_us now)
{
	while (!s->link_blocked && s->tcp.out_head != TCP_SLOT_NONE) {
		struct tcp_conn *c = &s->tcp.conns[s->tcp.out_head];

		s->tcp.out_head = c->out_next;
		c->out_next = TCP_SLOT_NONE;
		c->on_out_list = false;
		if (c->in_use)
			tcp_output(s, now, c);
	}
}

/* Give the owner a handle to c. */
static stack_sock tcp_api_grant(struct stack *s, struct tcp_conn *c, uint64_t owner)
{
	c->has_handle = true;
	c->owner = owner;
	c->ev_owner = owner;
	c->ev_sock = tcp_conn_sock(s, c);
	c->ev_bits = 0;
	return c->ev_sock;
}

/* Release the owner's handle: a CLOSED event replaces whatever was pending. */
static void tcp_api_release(struct stack *s, struct tcp_conn *c)
{
	c->ev_bits = 0;
	tcp_conn_event(s, c, STACK_EV_CLOSED);
	c->has_handle = false;
}

static bool tcp_api_addr_ok(const struct stack *s, uint32_t addr)
{
	return addr == 0 || addr == s->cfg.addr;
}

struct tcp_api_port_ctx {
	struct stack *s;
	struct tcp_tuple t;
};

static bool tcp_api_port_in_use(void *ctx, uint16_t port)
{
	struct tcp_api_port_ctx *p = ctx;
	struct tcp_tuple k = p->t;
	struct tcp_tuple l = { .laddr = 0, .lport = port };
	struct tcp_tw *tw;

	k.lport = port;
	/* a tuple in TIME-WAIT is in use too (RFC 9293 §3.4.2, RFC 6056 §3.1),
	 * unless tcp.tw_reuse lets an active open take it (raddr set) */
	if (tcp_conn_lookup(p->s, &k) || tcp_conn_lookup(p->s, &l))
		return true;
	tw = tcp_tw_lookup(p->s, &k);
	if (tw && !(k.raddr && tcp_tw_reusable(p->s, p->s->tcp.now, tw)))
		return true;
	l.laddr = p->t.laddr;
	return tcp_conn_lookup(p->s, &l) != NULL;
}

int stack_tcp_listen(struct stack *s, stack_time_us now, const struct stack_endpoint *local,
		     uint32_t backlog, uint64_t owner, stack_sock *ret_sock)
{
	struct tcp_tuple k = { 0 };
	struct tcp_conn *c;
	int r;

	if (now > s->tcp.now)
		s->tcp.now = now;
	if (!local)
		return -EINVAL;
	if (!tcp_api_addr_ok(s, local->addr))
		return -EADDRNOTAVAIL;
	k.lport = local->port;
	if (!k.lport) {
		/* port 0: an ephemeral one no listener or connection uses (as bind(2) does) */
		struct tcp_api_port_ctx pc = { .s = s, .t = { .laddr = s->cfg.addr } };

		if (tcp_port_pick(&s->tcp.ports, s->env.secret, pc.t.laddr, 0, 0,
				  tcp_api_port_in_use, &pc, &k.lport) < 0)
			return -EADDRNOTAVAIL;
	}
	k.laddr = 0;
	if (tcp_conn_lookup(s, &k))
		return -EADDRINUSE;
	k.laddr = s->cfg.addr;
	if (tcp_conn_lookup(s, &k))
		return -EADDRINUSE;
	c = tcp_conn_alloc(s);
	if (!c)
		return -ENOBUFS;
	tcp_conn_init_defaults(s, c);
	c->tuple.laddr = local->addr;
	c->tuple.lport = k.lport;
	c->backlog = backlog ? stack_min(backlog, 65535u) : 1;
	r = tcp_conn_hash(s, c);
	if (r < 0) {
		tcp_conn_free(s, c);
		return r == -EEXIST ? -EADDRINUSE : -ENOBUFS;
	}
	tcp_conn_set_state(s, now, c, TCP_LISTEN, TCP_CAUSE_USER_LISTEN, NULL);
	*ret_sock = tcp_api_grant(s, c, owner);
	return 0;
}

int stack_tcp_connect(struct stack *s, stack_time_us now, const struct stack_endpoint *local,
		      const struct stack_endpoint *remote, uint64_t owner, stack_sock *ret_sock)
{
	return stack_tcp_connect_opts(s, now, local, remote, owner, NULL, ret_sock);
}

/* TCP_MAXSEG's range, as Linux takes it (88 up to MAX_TCP_WINDOW, 32767). */
static bool tcp_api_mss_ok(uint64_t v)
{
	return v == 0 || (v >= 88 && v <= 32767);
}

int stack_tcp_connect_opts(struct stack *s, stack_time_us now, const struct stack_endpoint *local,
			   const struct stack_endpoint *remote, uint64_t owner,
			   const struct stack_connect_opts *o, stack_sock *ret_sock)
{
	struct tcp_api_port_ctx pc = { .s = s };
	struct tcp_conn *c;
	struct tcp_tw *tw;
	int r;

	if (now > s->tcp.now)
		s->tcp.now = now;
	if (!remote || remote->addr == 0 || remote->port == 0)
		return -EINVAL;
	if (o && !tcp_api_mss_ok(o->mss))
		return -EINVAL;
	if (local && !tcp_api_addr_ok(s, local->addr))
		return -EADDRNOTAVAIL;
	pc.t.laddr = s->cfg.addr;
	pc.t.raddr = remote->addr;
	pc.t.rport = remote->port;
	if (local && local->port) {
		pc.t.lport = local->port;
		tw = tcp_tw_lookup(s, &pc.t);
		if (tcp_conn_lookup(s, &pc.t) || (tw && !tcp_tw_reusable(s, now, tw)))
			return -EADDRINUSE;
	} else {
		r = tcp_port_pick(&s->tcp.ports, s->env.secret, pc.t.laddr, pc.t.raddr, pc.t.rport,
				  tcp_api_port_in_use, &pc, &pc.t.lport);
		if (r < 0)
			return -EADDRNOTAVAIL;
	}
	c = tcp_conn_alloc(s);
	if (!c)
		return -ENOBUFS;
	tcp_conn_init_defaults(s, c);
	if (o && o->mss) {
		c->user_mss = o->mss;
		c->rcv_mss = stack_min(c->rcv_mss, o->mss); /* what the SYN advertises */
	}
	c->tuple = pc.t;
	/* no buffers yet: the first send() or segment allocates them (tcp_mem.c) */
	r = tcp_conn_hash(s, c);
	if (r < 0) {
		tcp_conn_free(s, c);
		return r == -EEXIST ? -EADDRINUSE : -ENOBUFS;
	}
	/* tcp.tw_reuse allowed it (the port checks above); the record ends once the SYN is out */
	tw = tcp_tw_lookup(s, &pc.t);
	tcp_input_offer(s, c);
	/* RFC 9293 §3.10.1: <SEQ=ISS><CTL=SYN>, SND.UNA = ISS, SND.NXT = ISS+1 */
	if (tw) {
		/* ahead of the old incarnation: its sequence space and a window past
		 * it, and our timestamps going on from where its went (as Linux does;
		 * its TS.Recent is not carried over: the peer's SYN-ACK sets ours) */
		c->iss = tw->snd_nxt + 65535 + 2;
		c->ts_offset = tw->ts_offset;
	} else {
		c->iss = tcp_isn(s->env.secret, c->tuple.laddr, c->tuple.lport, c->tuple.raddr,
				 c->tuple.rport, now);
	}
	c->snd_una = c->iss;
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->snd_up = c->iss;
	tcp_cc_init(&c->cc, tcp_output_max_payload(c), (uint32_t)s->cfg.tun.initial_cwnd);
	c->last_rcv = now;
	tcp_conn_set_state(s, now, c, TCP_SYN_SENT, TCP_CAUSE_USER_CONNECT, NULL);
	r = tcp_output_syn(s, now, c);
	if (r == -ENETUNREACH) {
		/* no route at all: fail now rather than after every SYN retry (a
		 * TIME-WAIT record it would have taken stays) */
		tcp_conn_destroy(s, now, c, TCP_CAUSE_USER_CONNECT, NULL);
		return r;
	}
	if (tw)
		tcp_tw_reuse(s, now, tw);
	*ret_sock = tcp_api_grant(s, c, owner);
	c->rtt_timing = true;
	c->rtt_seq = c->iss;
	c->rtt_start = now;
	tcp_timer_arm_rexmit(s, now, c);
	return 0;
}

int stack_tcp_accept(struct stack *s, stack_time_us now, stack_sock listener, uint64_t owner,
		     stack_sock *ret_sock)
{
	struct tcp_conn *l = tcp_conn_from_sock(s, listener, true), *c;

	if (!l)
		return -EBADF;
	if (l->state != TCP_LISTEN)
		return -EINVAL;
	c = tcp_listen_accept(s, l);
	if (!c)
		return -EAGAIN;
	*ret_sock = tcp_api_grant(s, c, owner);
	if (c->rcv.len)
		tcp_conn_event(s, c, STACK_EV_READABLE);
	if (c->fin_rcvd)
		tcp_conn_event(s, c, STACK_EV_PEER_CLOSED);
	return 0;
}

ssize_t stack_tcp_send(struct stack *s, stack_time_us now, stack_sock sock, const void *buf,
		       size_t len)
{
	struct tcp_conn *c = tcp_conn_from_sock(s, sock, true);
	uint32_t n;

	if (!c)
		return -EBADF;
	if (now > s->tcp.now)
		s->tcp.now = now;
	switch (c->state) {
	case TCP_SYN_SENT:
	case TCP_SYN_RECEIVED:
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
		break;
	case TCP_CLOSED:
		return c->hard_error ? c->hard_error : -ENOTCONN;
	case TCP_LISTEN:
		return -ENOTCONN;
	default:
		return -EPIPE;
	}
	if (c->fin_queued)
		return -EPIPE;
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	/* RFC 9293 §3.10.2: queued in SYN-SENT too, within SNDBUF and the memory budget */
	n = tcp_mem_snd_space(s, c, (uint32_t)len);
	n = tcp_ringbuf_write(&c->snd, buf, n);
	if (n < len)
		c->want_writable = true;
	if (n && tcp_state_synchronized(c->state))
		tcp_output(s, now, c);
	return n;
}

/* The application took bytes from the receive ring: autotuning sees it, the
 * charge shrinks, and a window update goes out when worth it. */
static void tcp_api_rcv_taken(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	/* an urgent mark read past is done with: a stale one would come round
	 * again once the sequence numbers wrap */
	if (c->rcv_up_valid &&
	    seq_lt(c->rcv_up - 1, c->rcv_nxt - c->rcv.len - (c->fin_rcvd ? 1 : 0)))
		c->rcv_up_valid = false;
	tcp_autotune_rcv_consumed(s, c, now);
	tcp_mem_rcv_drained(s, now, c);
	tcp_output_window_update(s, now, c);
}

/* What a read of an empty receive ring says: 0 at end of stream, the error, or -EAGAIN. */
static ssize_t tcp_api_rcv_empty(const struct tcp_conn *c)
{
	if (c->fin_rcvd)
		return 0;
	if (c->state == TCP_CLOSED)
		return c->hard_error ? c->hard_error : 0;
	return -EAGAIN;
}

ssize_t stack_tcp_recv(struct stack *s, stack_time_us now, stack_sock sock, void *buf, size_t len)
{
	struct tcp_conn *c = tcp_conn_from_sock(s, sock, true);
	uint32_t n = 0;

	if (!c)
		return -EBADF;
	if (now > s->tcp.now)
		s->tcp.now = now;
	if (c->state == TCP_LISTEN)
		return -ENOTCONN;
	if (len)
		n = tcp_ringbuf_read(&c->rcv, buf, (uint32_t)stack_min(len, (size_t)UINT32_MAX));
	if (n) {
		tcp_api_rcv_taken(s, now, c);
		return n;
	}
	return tcp_api_rcv_empty(c);
}

ssize_t stack_tcp_recv_peek(const struct stack *s, stack_sock sock, struct stack_span span[2])
{
	const struct tcp_conn *c = tcp_conn_from_sock(s, sock, true);
	uint8_t *p[2];
	uint32_t n[2], total;

	if (!c)
		return -EBADF;
	if (c->state == TCP_LISTEN)
		return -ENOTCONN;
	total = tcp_ringbuf_spans(&c->rcv, 0, c->rcv.len, p, n);
	for (int i = 0; i < 2; i++)
		span[i] = (struct stack_span){ p[i], n[i] };
	if (total)
		return total;
	return tcp_api_rcv_empty(c);
}

int stack_tcp_recv_consume(struct stack *s, stack_time_us now, stack_sock sock, size_t n)
{
	struct tcp_conn *c = tcp_conn_from_sock(s, sock, true);

	if (!c)
		return -EBADF;
	if (n > c->rcv.len)
		return -EINVAL;
	if (now > s->tcp.now)
		s->tcp.now = now;
	if (n == 0)
		return 0;
	tcp_ringbuf_consume(&c->rcv, (uint32_t)n);
	tcp_api_rcv_taken(s, now, c);
	return 0;
}

int stack_tcp_set_direct(struct stack *s, stack_sock sock, bool on)
{
	struct tcp_conn *c = tcp_conn_from_sock(s, sock, true);

	if (!c)
		return -EBADF;
	if (c->state == TCP_LISTEN)
		return -ENOTCONN;
	if (on && !s->env.direct)
		return -EOPNOTSUPP;
	c->direct = on;
	return 0;
}

/* In-order bytes env.direct took as they arrived: received and read at once. */
void tcp_api_rcv_direct_taken(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	tcp_autotune_rcv_consumed(s, c, now);
	tcp_mem_rcv_drained(s, now, c);
}

/* What stack_tcp_send() refuses in c's state (0: sending is allowed). */
static int tcp_api_send_state(const struct tcp_conn *c)
{
	switch (c->state) {
	case TCP_SYN_SENT:
	case TCP_SYN_RECEIVED:
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
		return c->fin_queued ? -EPIPE : 0;
	case TCP_CLOSED:
		return c->hard_error ? c->hard_error : -ENOTCONN;
	case TCP_LISTEN:
		return -ENOTCONN;
	default:
		return -EPIPE;
	}
}

ssize_t stack_tcp_send_reserve(struct stack *s, stack_time_us now, stack_sock sock, size_t want,
			       struct stack_span span[2])
{
	struct tcp_conn *c = tcp_conn_from_sock(s, sock, true);
	uint8_t *p[2];
	uint32_t n[2], room;
	int r;

	if (!c)
		return -EBADF;
	if (now > s->tcp.now)
		s->tcp.now = now;
	r = tcp_api_send_state(c);
	if (r < 0)
		return r;
	if (want > UINT32_MAX)
		want = UINT32_MAX;
	/* the same limits as stack_tcp_send(): SNDBUF and the memory budget */
	room = tcp_mem_snd_space(s, c, (uint32_t)want);
	if (room < want)
		c->want_writable = true;
	/* the free part of the ring starts right after the committed bytes */
	room = tcp_ringbuf_spans(&c->snd, c->snd.len, room, p, n);
	for (int i = 0; i < 2; i++)
		span[i] = (struct stack_span){ p[i], n[i] };
	return room;
}

int stack_tcp_send_commit(struct stack *s, stack_time_us now, stack_sock sock, size_t n)
{
	struct tcp_conn *c = tcp_conn_from_sock(s, sock, true);

	if (!c)
		return -EBADF;
	if (n > tcp_ringbuf_free(&c->snd))
		return -EINVAL;
	if (now > s->tcp.now)
		s->tcp.now = now;
	if (n == 0)
		return 0;
	tcp_ringbuf_commit(&c->snd, (uint32_t)n);
	if (tcp_state_synchronized(c->state))
		tcp_output(s, now, c);
	return 0;
}

size_t stack_tcp_readable(const struct stack *s, stack_sock sock)
{
	const struct tcp_conn *c = tcp_conn_from_sock(s, sock, true);

	return c ? c->rcv.len : 0;
}

/* RFC 9293 §3.10.4 CLOSE: queue the FIN and move to the closing states. */
static void tcp_api_queue_fin(struct stack *s, stack_time_us now, struct tcp_conn *c,
			      enum tcp_cause cause)
{
	c->fin_queued = true;
	switch (c->state) {
	case TCP_SYN_RECEIVED:
	case TCP_ESTABLISHED:
		/* SYN-RECEIVED: the FIN waits for ESTABLISHED (tcp_output sends only then) */
		if (c->state == TCP_ESTABLISHED)
			tcp_conn_set_state(s, now, c, TCP_FIN_WAIT_1, cause, NULL);
		break;
	case TCP_CLOSE_WAIT:
		tcp_conn_set_state(s, now, c, TCP_LAST_ACK, cause, NULL);
		break;
	default:
		break;
	}
	tcp_output(s, now, c);
}

int stack_tcp_shutdown(struct stack *s, stack_time_us now, stack_sock sock)
{
	struct tcp_conn *c = tcp_conn_from_sock(s, sock, true);

	if (!c)
		return -EBADF;
	if (now > s->tcp.now)
		s->tcp.now = now;
	switch (c->state) {
	case TCP_SYN_SENT:
	case TCP_SYN_RECEIVED:
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
		if (!c->fin_queued)
			tcp_api_queue_fin(s, now, c, TCP_CAUSE_USER_SHUTDOWN);
		return 0;
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
	case TCP_TIME_WAIT:
		return 0;
	case TCP_CLOSED:
	case TCP_LISTEN:
	case TCP_STATE_COUNT:
		break;
	}
	return -ENOTCONN;
}

int stack_tcp_close(struct stack *s, stack_time_us now, stack_sock sock)
{
	struct tcp_conn *c = tcp_conn_from_sock(s, sock, true);

	if (!c)
		return -EBADF;
	if (now > s->tcp.now)
		s->tcp.now = now;
	tcp_api_release(s, c);
	switch (c->state) {
	case TCP_LISTEN:
		tcp_listen_close(s, now, c);
		return 0;
	case TCP_CLOSED:
		tcp_conn_free(s, c);
		return 0;
	case TCP_SYN_SENT:
		/* RFC 9293 §3.10.4: delete the TCB */
		tcp_conn_destroy(s, now, c, TCP_CAUSE_USER_CLOSE, NULL);
		return 0;
	default:
		break;
	}
	tcp_orphan_adopt(s, now, c);
	if (c->rcv.len && c->state != TCP_TIME_WAIT) {
		/* RFC 2525 §2.17: data the owner never read means the close lost it; reset */
		STACK_INC(s, TcpExtTCPAbortOnClose);
		tcp_output_rst(s, now, c);
		tcp_conn_destroy(s, now, c, TCP_CAUSE_USER_CLOSE, NULL);
		return 0;
	}
	if (c->state == TCP_TIME_WAIT) {
		tcp_tw_take_over(s, now, c); /* the rest of 2 x MSL in a compact record */
		return 0;
	}
	/* an orphan never reads: its receive buffer goes now (new data gets a RST) */
	tcp_conn_rcvbuf_free(s, c);
	if (!c->fin_queued)
		tcp_api_queue_fin(s, now, c, TCP_CAUSE_USER_CLOSE);
	if (c->in_use && c->state == TCP_FIN_WAIT_2)
		tcp_timer_set(s, c, TCP_TIMER_FIN_WAIT_2, now + s->cfg.tun.fin_wait2_timeout);
	tcp_orphan_bound(s, now);
	return 0;
}

/* RFC 9293 §3.10.5 ABORT of a connection whose handle, if any, is already released. */
static void tcp_api_abort_conn(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	if (now > s->tcp.now)
		s->tcp.now = now;
	switch (c->state) {
	case TCP_LISTEN:
		tcp_listen_close(s, now, c);
		return;
	case TCP_CLOSED:
		tcp_conn_free(s, c);
		return;
	case TCP_SYN_SENT:
	case TCP_TIME_WAIT:
		break;
	default:
		/* <SEQ=SND.NXT><CTL=RST> */
		STACK_INC(s, TcpExtTCPAbortOnLinger);
		tcp_output_rst(s, now, c);
		break;
	}
	tcp_conn_destroy(s, now, c, TCP_CAUSE_USER_ABORT, NULL);
}

int stack_tcp_abort(struct stack *s, stack_time_us now, stack_sock sock)
{
	struct tcp_conn *c = tcp_conn_from_sock(s, sock, true);

	if (!c)
		return -EBADF;
	tcp_api_release(s, c);
	tcp_api_abort_conn(s, now, c);
	return 0;
}

int stack_tcp_kill_orphan(struct stack *s, stack_time_us now, stack_sock sock)
{
	struct tcp_conn *c = tcp_conn_from_sock(s, sock, false);

	if (now > s->tcp.now)
		s->tcp.now = now;
	if (tcp_tw_is_sock(sock))
		return tcp_tw_kill(s, now, sock);
	if (!c)
		return -EBADF;
	if (c->has_handle)
		return -EBUSY; /* its owner must hear of it: use stack_tcp_abort() */
	tcp_api_abort_conn(s, now, c);
	return 0;
}

/*
 * SNDBUF/RCVBUF: only the limit changes, capped at the tunable maximum (as
 * Linux caps at wmem_max/rmem_max), in any state. The rings keep every byte
 * they hold; a limit below what is queued only stops send() until the queue
 * drains, and the receive window already advertised is never taken back.
 * The window scale was fixed by the SYN: RCVBUF chosen later than that can
 * only use what it allows (65535 << scale).
 */
static int tcp_api_resize(struct stack *s, struct tcp_conn *c, bool snd, uint64_t size)
{
	const struct stack_tunables *tun = &s->cfg.tun;

	if (size < 4096)
		return -EINVAL;
	if (snd) {
		c->sndbuf_size = (uint32_t)stack_min(size, tun->send_buffer_max);
		c->sndbuf_locked = true; /* the application's choice: no autotuning */
	} else {
		c->rcvbuf_size = (uint32_t)stack_min(size, tun->recv_buffer_max);
		c->rcvbuf_locked = true;
	}
	return 0;
}

int stack_tcp_setopt(struct stack *s, stack_time_us now, stack_sock sock, enum stack_tcp_opt opt,
		     uint64_t value)
{
	struct tcp_conn *c = tcp_conn_from_sock(s, sock, true);

	if (!c)
		return -EBADF;
	switch (opt) {
	case STACK_TCP_NODELAY:
		c->nodelay = value != 0;
		if (c->nodelay && tcp_state_synchronized(c->state))
			tcp_output(s, now, c);
		return 0;
	case STACK_TCP_KEEPALIVE:
		c->keepalive = value != 0;
		c->keep_probes = 0;
		tcp_timer_arm_keepalive(s, now, c);
		return 0;
	case STACK_TCP_KEEPIDLE_US:
		if (value < 1000 || value > SEC_US(32767))
			return -EINVAL;
		c->keep_idle = value;
		if (c->keep_probes == 0)
			tcp_timer_arm_keepalive(s, now, c);
		return 0;
	case STACK_TCP_KEEPINTVL_US:
		if (value < 1000 || value > SEC_US(32767))
			return -EINVAL;
		c->keep_intvl = value;
		return 0;
	case STACK_TCP_KEEPCNT:
		if (value < 1 || value > 127)
			return -EINVAL;
		c->keep_cnt = (uint32_t)value;
		return 0;
	case STACK_TCP_SNDBUF:
		return tcp_api_resize(s, c, true, value);
	case STACK_TCP_RCVBUF:
		return tcp_api_resize(s, c, false, value);
	case STACK_TCP_CORK:
		c->cork = value != 0;
		if (!c->cork && tcp_state_synchronized(c->state))
			tcp_output(s, now, c); /* what waited goes now */
		return 0;
	case STACK_TCP_MAXSEG:
		if (!tcp_api_mss_ok(value))
			return -EINVAL;
		c->user_mss = (uint16_t)value;
		if (c->state == TCP_LISTEN)
			return 0; /* its connections advertise it */
		if (value && c->mss > value)
			c->mss = (uint16_t)value; /* sends smaller from now on */
		return 0;
	case STACK_TCP_USER_TIMEOUT_US:
		if (value > SEC_US(INT32_MAX / 1000))
			return -EINVAL;
		c->user_timeout = value;
		tcp_timer_user_timeout_changed(s, c); /* a shorter bound applies at once */
		return 0;
	case STACK_TCP_CONGESTION:
		if (!tcp_cc_ops_of(value))
			return -EINVAL;
		tcp_cc_select(&c->cc, tcp_cc_ops_of(value));
		c->cc_chosen = true;
		return 0;
	case STACK_TCP_RCVBUF_LOCKED:
		return -EINVAL; /* read only */
	}
	return -ENOPROTOOPT;
}

int stack_tcp_urgent_offset(const struct stack *s, stack_sock sock, uint32_t *ret_off)
{
	const struct tcp_conn *c = tcp_conn_from_sock(s, sock, true);
	tcp_seq first, urg;

	if (!c)
		return -EBADF;
	if (!c->rcv_up_valid)
		return 0;
	/* the first unread byte: RCV.NXT less what the ring holds (and the FIN) */
	first = c->rcv_nxt - c->rcv.len - (c->fin_rcvd ? 1 : 0);
	urg = c->rcv_up - 1;
	if (seq_lt(urg, first))
		return 0; /* read already */
	*ret_off = urg - first;
	return 1;
}

int stack_tcp_take_soft_error(struct stack *s, stack_sock sock, int *ret_err)
{
	struct tcp_conn *c = tcp_conn_from_sock(s, sock, true);

	if (!c)
		return -EBADF;
	*ret_err = c->soft_error;
	c->soft_error = 0;
	return 0;
}

int stack_tcp_getopt(const struct stack *s, stack_sock sock, enum stack_tcp_opt opt,
		     uint64_t *ret_value)
{
	const struct tcp_conn *c = tcp_conn_from_sock(s, sock, true);

	if (!c)
		return -EBADF;
	switch (opt) {
	case STACK_TCP_NODELAY:
		*ret_value = c->nodelay;
		return 0;
	case STACK_TCP_KEEPALIVE:
		*ret_value = c->keepalive;
		return 0;
	case STACK_TCP_KEEPIDLE_US:
		*ret_value = c->keep_idle;
		return 0;
	case STACK_TCP_KEEPINTVL_US:
		*ret_value = c->keep_intvl;
		return 0;
	case STACK_TCP_KEEPCNT:
		*ret_value = c->keep_cnt;
		return 0;
	case STACK_TCP_SNDBUF:
		*ret_value = c->sndbuf_size;
		return 0;
	case STACK_TCP_RCVBUF:
		*ret_value = c->rcvbuf_size;
		return 0;
	case STACK_TCP_CONGESTION:
		*ret_value = tcp_cc_algo_of(c->cc.ops);
		return 0;
	case STACK_TCP_USER_TIMEOUT_US:
		*ret_value = c->user_timeout;
		return 0;
	case STACK_TCP_MAXSEG:
		*ret_value = c->user_mss;
		return 0;
	case STACK_TCP_CORK:
		*ret_value = c->cork;
		return 0;
	case STACK_TCP_RCVBUF_LOCKED:
		*ret_value = c->rcvbuf_locked;
		return 0;
	}
	return -ENOPROTOOPT;
}
