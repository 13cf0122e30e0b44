/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-mem.c - socket buffer memory (tcp/tcp_mem.c): no buffers until
 * first use, growth that keeps every byte, SNDBUF/RCVBUF changes that never
 * discard queued bytes and are capped by the tunables, and the budget:
 * stack-wide and per account, send() taking less and windows shrinking
 * under pressure (RFC 9293 §3.8.6: never retracting the right edge), with
 * transfers completing byte-exact once memory is freed.
 */
#include <string.h>

#include "harness.h"

#define MS(x) ((stack_time_us)(x)*1000)
#define S(x)  ((stack_time_us)(x)*1000000)
#define RNXT  (H_REMOTE_ISN + 1)

static uint8_t pattern(uint32_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

static void fill(uint8_t *buf, uint32_t from, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		buf[i] = pattern(from + i);
}

static uint64_t ctr(struct harness *h, enum stack_counter_id id)
{
	return h->s->ctr.v[id];
}

/* Half-open children and fresh connections hold no data buffers; first use allocates. */
static void test_no_buffers_until_used(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct tcp_conn *child = NULL, *c;
	struct tcp_seg got;
	uint8_t buf[100];

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 8, 7, &h->lsock), 0);
	h_send(h, 0,
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.has_mss = true,
		   .opt.mss = H_MSS),
	       NULL);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	assert_int_equal(got.wnd, H_RCVBUF); /* the window is promised, not allocated */
	h->iss = got.seq;
	for (uint32_t i = 0; i < h->s->tcp.nslots; i++)
		if (h->s->tcp.conns[i].in_use && h->s->tcp.conns[i].state == TCP_SYN_RECEIVED)
			child = &h->s->tcp.conns[i];
	assert_non_null(child);
	assert_null(child->snd.buf);
	assert_null(child->rcv.buf);
	/* nothing is charged while it is half-open */
	assert_int_equal(child->mem_rcv, 0);
	assert_int_equal(ctr(h, STACK_CTR_SynackTcpMemBytes), 0);

	h_send(h, 0, SEG(.seq = RNXT, .ack = h->iss + 1), NULL);
	assert_int_equal(stack_tcp_accept(h->s, 0, h->lsock, 9, &h->sock), 0);
	c = h_conn(h, h->sock);
	assert_null(c->snd.buf);
	assert_null(c->rcv.buf);
	/* the completed handshake charged the window, and only that */
	assert_int_equal(c->mem_rcv, H_RCVBUF);
	assert_int_equal(ctr(h, STACK_CTR_SynackTcpMemBytes), H_RCVBUF);

	/* the first send allocates the smallest ring, not SNDBUF */
	assert_int_equal(stack_tcp_send(h->s, MS(1), h->sock, "hello", 5), 5);
	assert_non_null(c->snd.buf);
	assert_int_equal(c->snd.cap, TCP_MEM_RING_MIN);
	assert_null(c->rcv.buf);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .len = 5,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	/* the first segment allocates the receive ring */
	h_send(h, MS(2), SEG(.seq = RNXT, .ack = h->iss + 6, .len = 100), NULL);
	assert_non_null(c->rcv.buf);
	assert_int_equal(c->rcv.cap, TCP_MEM_RING_MIN);
	assert_int_equal(stack_tcp_recv(h->s, MS(3), h->sock, buf, sizeof(buf)), 100);
	/* both rings drained: given back once they stay empty */
	h_poll(h, MS(3) + TCP_MEM_IDLE_US);
	h_drain(h);
	assert_null(c->snd.buf);
	assert_null(c->rcv.buf);
	assert_int_equal(c->mem_snd, 0);
	/* the open window stays promised */
	assert_int_equal(c->mem_rcv, c->rcv_adv - c->rcv_nxt);
	h_free(h);
}

/* Active open: no buffers in SYN-SENT nor after the handshake until data moves. */
static void test_no_buffers_after_connect(void **state)
{
	struct harness *h = h_new(NULL);
	struct tcp_conn *c;

	h_establish_active(h, 0);
	c = h_conn(h, h->sock);
	assert_null(c->snd.buf);
	assert_null(c->rcv.buf);
	assert_int_equal(c->mem_snd, 0);
	h_free(h);
}

/* The send ring grows by doubling while it wraps, and every byte goes out in order. */
static void test_send_ring_grows_across_wrap(void **state)
{
	struct harness *h = h_new(NULL);
	static uint8_t data[65536];
	struct tcp_conn *c;
	struct tcp_seg got;
	uint32_t sent = 0, acked = 0, queued = 0;

	fill(data, 0, sizeof(data));
	h_establish_passive(h, 0);
	c = h_conn(h, h->sock);
	assert_int_equal(stack_tcp_setopt(h->s, MS(1), h->sock, STACK_TCP_NODELAY, 1), 0);
	for (int round = 0; round < 400 && acked < sizeof(data); round++) {
		stack_time_us t = MS(1 + round);
		ssize_t n = stack_tcp_send(h->s, t, h->sock, data + queued,
					   stack_min(sizeof(data) - queued, 3000u));

		assert_true(n >= 0);
		queued += (uint32_t)n;
		assert_true(c->snd.cap <= c->sndbuf_size);
		if (round == 0) /* starts small: SNDBUF is a limit, not an allocation */
			assert_int_equal(c->snd.cap, TCP_MEM_RING_MIN);
		while (h_pop(h, &got)) {
			uint32_t off = got.seq - (h->iss + 1);

			assert_true(off + got.len <= queued);
			assert_memory_equal(h->payload, data + off, got.len);
			if (off + got.len > sent)
				sent = off + got.len;
		}
		/* ACK a little at a time so the ring keeps wrapping */
		if (sent > acked) {
			acked += stack_min(sent - acked, 2000u);
			h_send(h, t, SEG(.seq = RNXT, .ack = h->iss + 1 + acked, .wnd = 8192),
			       NULL);
		}
		h_poll(h, t);
	}
	assert_int_equal(acked, sizeof(data));
	assert_true(c->snd.cap >= 2 * TCP_MEM_RING_MIN); /* it grew */
	h_free(h);
}

/* SetOption RCVBUF in SYN-SENT keeps what send() already took (issue 9). */
static void test_rcvbuf_in_syn_sent_keeps_bytes(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_endpoint remote = { H_REMOTE_ADDR, H_REMOTE_PORT };
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct tcp_seg got;
	uint64_t v;

	assert_int_equal(stack_tcp_connect(h->s, 0, &local, &remote, 5, &h->sock), 0);
	assert_true(h_pop(h, &got));
	h->iss = got.seq;
	assert_int_equal(stack_tcp_send(h->s, MS(1), h->sock, "queued early", 12), 12);
	assert_int_equal(stack_tcp_setopt(h->s, MS(2), h->sock, STACK_TCP_RCVBUF, 65536), 0);
	assert_int_equal(stack_tcp_setopt(h->s, MS(2), h->sock, STACK_TCP_SNDBUF, 8192), 0);
	assert_int_equal(stack_tcp_getopt(h->s, h->sock, STACK_TCP_RCVBUF, &v), 0);
	assert_int_equal(v, 65536);
	h_send(h, MS(10),
	       SEG(.seq = H_REMOTE_ISN, .ack = h->iss + 1, .flags = TCP_FLAG_SYN | TCP_FLAG_ACK,
		   .opt.has_mss = true, .opt.mss = H_MSS),
	       NULL);
	assert_true(h_pop(h, &got));
	if (got.len == 0) /* a bare ACK of the SYN-ACK may come first */
		assert_true(h_pop(h, &got));
	assert_int_equal(got.len, 12);
	assert_int_equal(got.seq, h->iss + 1);
	assert_memory_equal(h->payload, "queued early", 12);
	h_free(h);
}

/* SNDBUF/RCVBUF requests are capped at the tunables, and getopt reports what applies. */
static void test_setopt_clamps(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_endpoint remote = { H_REMOTE_ADDR, H_REMOTE_PORT };
	uint64_t v;

	assert_int_equal(stack_tcp_connect(h->s, 0, NULL, &remote, 5, &h->sock), 0);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_SNDBUF, 64ull << 20), 0);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_RCVBUF, 64ull << 20), 0);
	assert_int_equal(stack_tcp_getopt(h->s, h->sock, STACK_TCP_SNDBUF, &v), 0);
	assert_int_equal(v, 4u << 20);
	assert_int_equal(stack_tcp_getopt(h->s, h->sock, STACK_TCP_RCVBUF, &v), 0);
	assert_int_equal(v, 6u << 20);
	/* the caps are tunables */
	assert_int_equal(stack_tunable_set(h->s, 0, STACK_TUN_send_buffer_max, 1u << 20), 0);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_SNDBUF, 2u << 20), 0);
	assert_int_equal(stack_tcp_getopt(h->s, h->sock, STACK_TCP_SNDBUF, &v), 0);
	assert_int_equal(v, 1u << 20);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_SNDBUF, 100), -EINVAL);
	h_free(h);
}

/* A second passive connection from remote port rport; returns its handle and our ISN. */
static stack_sock h_second(struct harness *h, stack_time_us t, uint16_t rport, uint32_t *ret_iss)
{
	struct tcp_seg got;
	stack_sock sock;

	h_send(h, t,
	       SEG(.sport = rport, .seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.has_mss = true,
		   .opt.mss = H_MSS),
	       NULL);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	*ret_iss = got.seq;
	h_send(h, t, SEG(.sport = rport, .seq = RNXT, .ack = got.seq + 1), NULL);
	assert_int_equal(stack_tcp_accept(h->s, t, h->lsock, 11, &sock), 0);
	return sock;
}

struct h_flow {
	stack_sock sock;
	uint16_t rport;
	uint32_t iss;
	uint32_t total, queued, delivered; /* app bytes: to send, taken by send(), ACKed */
	uint32_t peer_seq;		   /* the peer's next sequence number */
	bool peer_stalls;		   /* the peer takes nothing (zero window, no ACKs) */
};

static void tweak_small_budget(struct stack_config *cfg)
{
	cfg->memory = 128 * 1024;
	cfg->memory_per_uid = 128 * 1024;
}

/* One step: the apps send what send() takes, the peers check and ACK what arrives. */
static void h_flows_step(struct harness *h, stack_time_us t, struct h_flow *f, int nf,
			 const uint8_t *data)
{
	struct tcp_seg got;
	struct stack_event ev;

	for (int i = 0; i < nf; i++) {
		ssize_t n;

		if (f[i].queued == f[i].total)
			continue;
		n = stack_tcp_send(h->s, t, f[i].sock, data + f[i].queued,
				   f[i].total - f[i].queued);
		assert_true(n >= 0);
		f[i].queued += (uint32_t)n;
	}
	while (h_pop(h, &got)) {
		for (int i = 0; i < nf; i++) {
			uint32_t off = got.seq - (f[i].iss + 1);

			if (got.dport != f[i].rport || f[i].peer_stalls || got.len == 0)
				continue;
			/* in order only: this peer keeps no out-of-order data */
			if (off != f[i].delivered)
				continue;
			assert_memory_equal(h->payload, data + off, got.len);
			f[i].delivered += got.len;
			h_send(h, t,
			       SEG(.sport = f[i].rport, .seq = f[i].peer_seq,
				   .ack = f[i].iss + 1 + f[i].delivered, .wnd = 16384),
			       NULL);
		}
	}
	while (stack_event_pop(h->s, &ev))
		;
	h_poll(h, t);
}

/*
 * The budget runs out: send() takes less, the receive window shrinks (but
 * never retracts), nothing in the window is dropped; once the hog is gone
 * the held-back transfer completes byte-exact.
 */
static void test_budget_exhaustion(void **state)
{
	struct harness *h = h_new(tweak_small_budget);
	static uint8_t data[100000];
	struct h_flow f[3] = { 0 };
	struct tcp_conn *b;
	struct tcp_seg got;
	uint8_t buf[H_RCVBUF];
	uint32_t got_bytes;
	ssize_t n;

	fill(data, 0, sizeof(data));
	h_establish_passive(h, 0);
	/* two hogs whose peers never ACK, and b, which wants to move 100,000 bytes */
	f[0] = (struct h_flow){ .sock = h->sock,
				.rport = H_REMOTE_PORT,
				.iss = h->iss,
				.total = 65536,
				.peer_stalls = true };
	f[1] = (struct h_flow){ .rport = H_REMOTE_PORT + 1, .total = 65536, .peer_stalls = true };
	f[1].sock = h_second(h, MS(1), f[1].rport, &f[1].iss);
	f[2] = (struct h_flow){ .rport = H_REMOTE_PORT + 2, .total = sizeof(data) };
	f[2].sock = h_second(h, MS(1), f[2].rport, &f[2].iss);
	b = h_conn(h, f[2].sock);
	/* three promised windows: 96 KiB of 128 */
	assert_int_equal(ctr(h, STACK_CTR_SynackTcpMemBytes), 3 * H_RCVBUF);

	/* the first hog queues what the budget allows: less than SNDBUF */
	n = stack_tcp_send(h->s, MS(2), f[0].sock, data, 65536);
	assert_int_equal(n, 32768);
	f[0].queued = (uint32_t)n;
	assert_int_equal(ctr(h, STACK_CTR_SynackTcpMemBytes), 128 * 1024);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPMemoryPressures), 1);
	h_drain(h);
	/* the others' sends take nothing now */
	assert_int_equal(stack_tcp_send(h->s, MS(3), f[1].sock, data, 1000), 0);
	assert_int_equal(stack_tcp_send(h->s, MS(3), f[2].sock, data, 1000), 0);

	/* in-window data still lands on b: its window was reserved */
	h_send(h, MS(4), SEG(.sport = f[2].rport, .seq = RNXT, .ack = f[2].iss + 1, .len = 1460),
	       NULL);
	h_send(h, MS(4),
	       SEG(.sport = f[2].rport, .seq = RNXT + 1460, .ack = f[2].iss + 1, .len = 1460),
	       NULL);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.ack, RNXT + 2920);
	assert_int_equal(got.wnd, H_RCVBUF - 2920); /* the edge holds, never retracted */
	assert_int_equal(stack_tcp_recv(h->s, MS(5), f[2].sock, buf, sizeof(buf)), 2920);
	for (uint32_t i = 0; i < 2920; i++)
		assert_int_equal(buf[i], 'a' + (RNXT + i) % 26);
	/* under pressure reading does not reopen the window */
	h_expect_nothing(h);
	assert_int_equal(b->rcv_adv, RNXT + H_RCVBUF);
	/* the peer fills every byte it is offered: all of it is taken */
	got_bytes = 2920;
	for (int i = 0; i < 100 && b->rcv_adv != b->rcv_nxt; i++) {
		uint32_t len = stack_min(1460u, b->rcv_adv - b->rcv_nxt);

		h_send(h, MS(6 + i),
		       SEG(.sport = f[2].rport, .seq = b->rcv_nxt, .ack = f[2].iss + 1, .len = len),
		       NULL);
		got_bytes += len;
		h_poll(h, MS(6 + i) + MS(50));
		h_drain(h);
	}
	assert_int_equal(b->rcv_adv, b->rcv_nxt);
	assert_int_equal(b->rcv_nxt, RNXT + got_bytes);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPRcvQDrop), 0);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPOFODrop), 0);
	/* reading it all reopens the window only a few segments wide */
	assert_int_equal(stack_tcp_recv(h->s, MS(200), f[2].sock, buf, sizeof(buf)),
			 got_bytes - 2920);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.dport, f[2].rport);
	assert_int_equal(got.wnd, TCP_MEM_PRESSURE_WND * 1460);
	assert_true(ctr(h, STACK_CTR_SynackTcpMemBytes) <= 128 * 1024);

	/* the hogs go away: the held-back transfer runs to the end, byte-exact */
	assert_int_equal(stack_tcp_abort(h->s, MS(300), f[0].sock), 0);
	assert_int_equal(stack_tcp_abort(h->s, MS(300), f[1].sock), 0);
	f[0].total = f[0].queued;
	f[1].total = f[1].queued;
	f[2].peer_seq = RNXT + got_bytes;
	/* b, which send() turned away, has heard that memory came back */
	h_poll(h, MS(300));
	{
		struct stack_event ev;
		bool writable = false;

		while (stack_event_pop(h->s, &ev))
			writable |= ev.type == STACK_EV_WRITABLE && ev.sock == f[2].sock;
		assert_true(writable);
	}
	for (int step = 0; step < 2000 && f[2].delivered < f[2].total; step++) {
		h_flows_step(h, MS(400 + step), f, 3, data);
		assert_true(ctr(h, STACK_CTR_SynackTcpMemBytes) <= 128 * 1024);
	}
	assert_int_equal(f[2].delivered, f[2].total);
	h_free(h);
}

static void tweak_per_uid(struct stack_config *cfg)
{
	cfg->memory = 1u << 20;
	cfg->memory_per_uid = 40 * 1024;
}

/* One uid at its cap is stopped while another still gets memory. */
static void test_per_uid_cap(void **state)
{
	struct harness *h = h_new(tweak_per_uid);
	static uint8_t data[65536];
	uint64_t used;
	stack_sock b;
	uint32_t biss;

	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_set_account(h->s, h->sock, 1000), 0);
	b = h_second(h, MS(1), H_REMOTE_PORT + 1, &biss);
	assert_int_equal(stack_tcp_set_account(h->s, b, 2000), 0);
	assert_int_equal(stack_tcp_account_used(h->s, 1000, &used), 0);
	assert_int_equal(used, H_RCVBUF); /* the promise moved with it */
	/* uid 1000 fills its share and is stopped there */
	assert_int_equal(stack_tcp_send(h->s, MS(2), h->sock, data, sizeof(data)),
			 40 * 1024 - H_RCVBUF);
	assert_int_equal(stack_tcp_send(h->s, MS(2), h->sock, data, sizeof(data)), 0);
	assert_int_equal(stack_tcp_account_used(h->s, 1000, &used), 0);
	assert_int_equal(used, 40 * 1024);
	/* uid 2000 still gets its own */
	assert_int_equal(stack_tcp_send(h->s, MS(3), b, data, sizeof(data)), 40 * 1024 - H_RCVBUF);
	assert_int_equal(stack_tcp_account_used(h->s, 2000, &used), 0);
	assert_int_equal(used, 40 * 1024);
	/* and a default-account connection (the daemon's) is not held by either */
	assert_true(ctr(h, STACK_CTR_SynackTcpMemBytes) == 80 * 1024);
	/* closing gives it all back, and the account's slot is free again */
	assert_int_equal(stack_tcp_abort(h->s, MS(4), h->sock), 0);
	assert_int_equal(stack_tcp_account_used(h->s, 1000, &used), -ENOENT);
	h_free(h);
}

static void tweak_tiny_budget(struct stack_config *cfg)
{
	cfg->memory = 40 * 1024;
	cfg->memory_per_uid = 40 * 1024;
}

/* WRITABLE events for sock among the pending ones. */
static int writable_events(struct harness *h, stack_sock sock)
{
	struct stack_event ev;
	int n = 0;

	while (stack_event_pop(h->s, &ev))
		n += ev.type == STACK_EV_WRITABLE && ev.sock == sock;
	return n;
}

/*
 * A reload that raises limits.memory is memory come back: a connection that
 * send() turned away hears WRITABLE on the next poll, though nothing it sent
 * is ever ACKed (no freed charge would wake it).
 */
static void test_raised_budget_wakes(void **state)
{
	struct harness *h = h_new(tweak_tiny_budget);
	static uint8_t data[65536];
	ssize_t n;

	h_establish_passive(h, 0);
	n = stack_tcp_send(h->s, MS(1), h->sock, data, sizeof(data));
	assert_true(n > 0 && n < (ssize_t)sizeof(data));
	assert_int_equal(stack_tcp_send(h->s, MS(2), h->sock, data, sizeof(data)), 0);
	h_drain(h);
	assert_int_equal(writable_events(h, h->sock), 0);
	stack_memory_set(h->s, 1u << 20, 1u << 20);
	/* within the first poll after the reload (no time needs to pass) */
	h_poll(h, MS(2));
	assert_int_equal(writable_events(h, h->sock), 1);
	assert_true(stack_tcp_send(h->s, MS(3), h->sock, data, sizeof(data)) > 0);
	h_free(h);
}

static void tweak_wait_budget(struct stack_config *cfg)
{
	cfg->memory = 200 * 1024;
	cfg->memory_per_uid = 200 * 1024;
}

/* The waiters' list holds exactly the connections marked as waiting. */
static void check_wait_list(struct harness *h)
{
	const struct tcp_mem *m = &h->s->tcp.mem;
	uint32_t n = 0, marked = 0, prev = TCP_SLOT_NONE;

	for (uint32_t i = m->wait_head; i != TCP_SLOT_NONE; i = h->s->tcp.conns[i].mem_wait_next) {
		assert_true(h->s->tcp.conns[i].mem_wait);
		assert_int_equal(h->s->tcp.conns[i].mem_wait_prev, prev);
		prev = i;
		n++;
		assert_true(n <= h->s->tcp.nslots);
	}
	assert_int_equal(m->wait_tail, prev);
	for (uint32_t i = 0; i < h->s->tcp.nslots; i++)
		marked += h->s->tcp.conns[i].in_use && h->s->tcp.conns[i].mem_wait;
	assert_int_equal(n, m->waiters);
	assert_int_equal(marked, m->waiters);
}

/*
 * Connections held back for memory wait on a list: when memory comes back
 * they are woken oldest first (not in the order of their slots), and the
 * wake visits only them.
 */
static void test_waiters_woken_oldest_first(void **state)
{
	struct harness *h = h_new(tweak_wait_budget);
	static uint8_t data[65536];
	stack_sock sock[3], hog;
	uint32_t iss;
	struct stack_event ev;
	int order = 0;

	h_establish_passive(h, 0);
	hog = h->sock;
	for (int i = 0; i < 3; i++)
		sock[i] = h_second(h, MS(1), (uint16_t)(H_REMOTE_PORT + 1 + i), &iss);
	/* four promised windows, then the hog takes most of the rest */
	assert_int_equal(stack_tcp_send(h->s, MS(2), hog, data, sizeof(data)), 65536);
	/* the newest connection waits first, the oldest last */
	for (int i = 2; i >= 0; i--) {
		assert_true(stack_tcp_send(h->s, MS(3), sock[i], data, sizeof(data)) <
			    (ssize_t)sizeof(data));
		check_wait_list(h);
	}
	assert_int_equal(h->s->tcp.mem.waiters, 3);
	h_drain(h);
	while (stack_event_pop(h->s, &ev))
		;
	assert_int_equal(stack_tcp_abort(h->s, MS(4), hog), 0);
	h_poll(h, MS(4));
	while (stack_event_pop(h->s, &ev)) {
		if (ev.type != STACK_EV_WRITABLE)
			continue;
		assert_true(order < 3);
		assert_int_equal(ev.sock, sock[2 - order]);
		order++;
	}
	assert_int_equal(order, 3);
	check_wait_list(h);
	/* and the list unlinks the ones that go away while waiting */
	assert_true(stack_tcp_send(h->s, MS(5), sock[0], data, sizeof(data)) > 0);
	for (int i = 0; i < 3; i++)
		(void)stack_tcp_send(h->s, MS(5), sock[i], data, sizeof(data));
	check_wait_list(h);
	assert_int_equal(stack_tcp_abort(h->s, MS(6), sock[1]), 0);
	check_wait_list(h);
	h_free(h);
}

/*
 * Moving a connection into an account that cannot hold what it has is
 * refused (-ENOBUFS) and the connection stays where it was: the per-uid cap
 * is a cap also at accept. The daemon then aborts it.
 */
static void test_set_account_respects_cap(void **state)
{
	struct harness *h = h_new(tweak_per_uid);
	static uint8_t data[65536];
	uint64_t used, used0;
	stack_sock b;
	uint32_t biss;

	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_set_account(h->s, h->sock, 1000), 0);
	assert_int_equal(stack_tcp_send(h->s, MS(2), h->sock, data, sizeof(data)),
			 40 * 1024 - H_RCVBUF);
	h_drain(h);
	b = h_second(h, MS(3), H_REMOTE_PORT + 1, &biss);
	assert_int_equal(stack_tcp_account_used(h->s, 0, &used0), 0);
	assert_int_equal(used0, H_RCVBUF); /* b's promise */
	assert_int_equal(stack_tcp_set_account(h->s, b, 1000), -ENOBUFS);
	assert_int_equal(stack_tcp_account_used(h->s, 1000, &used), 0);
	assert_int_equal(used, 40 * 1024);
	assert_int_equal(stack_tcp_account_used(h->s, 0, &used), 0);
	assert_int_equal(used, used0);
	/* an account with room takes it */
	assert_int_equal(stack_tcp_set_account(h->s, b, 2000), 0);
	assert_int_equal(stack_tcp_account_used(h->s, 2000, &used), 0);
	assert_int_equal(used, H_RCVBUF);
	/* once uid 1000 has room again, it may take b back */
	assert_int_equal(stack_tcp_abort(h->s, MS(4), h->sock), 0);
	assert_int_equal(stack_tcp_set_account(h->s, b, 1000), 0);
	h_free(h);
}

static void tweak_flood(struct stack_config *cfg)
{
	cfg->tun.syncookies = 0;
	cfg->tun.syn_backlog = 256;
	cfg->tun.recv_buffer = 1 << 20;
	cfg->tun.window_scaling = 1;
	cfg->max_conns = 300;
	cfg->memory = 1u << 20;
}

/*
 * Spoofed SYNs (whose SYN,ACKs go nowhere) cost the budget nothing: a
 * half-open child's window is charged only by the ACK that completes its
 * handshake. Were it charged at the SYN,ACK, 250 of them would promise
 * 250 * 64 KiB, sixteen times this 1 MiB budget, and push every connection
 * into pressure.
 */
static void test_half_open_charges_nothing(void **state)
{
	struct harness *h = h_new(tweak_flood);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct tcp_seg got;
	uint32_t half_open = 0, min_wnd = UINT32_MAX;

	/* a backlog of 256: the SYN queue is bounded by it as well as syn_backlog */
	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 256, 7, &h->lsock), 0);
	for (uint32_t i = 0; i < 250; i++) {
		h_send(h, MS(1),
		       SEG(.sport = (uint16_t)(30000 + i), .seq = 5000, .flags = TCP_FLAG_SYN,
			   .opt.wscale = 7),
		       NULL);
		assert_true(h_pop(h, &got));
		assert_int_equal(got.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
		min_wnd = stack_min(min_wnd, (uint32_t)got.wnd);
	}
	for (uint32_t i = 0; i < h->s->tcp.nslots; i++)
		half_open +=
			h->s->tcp.conns[i].in_use && h->s->tcp.conns[i].state == TCP_SYN_RECEIVED;
	assert_int_equal(half_open, 250);
	print_message("250 half-open children: %llu bytes charged\n",
		      (unsigned long long)h->s->tcp.mem.used);
	assert_int_equal(h->s->tcp.mem.used, 0);
	assert_true(min_wnd > 0); /* and the last SYN,ACK still offers a window */
	assert_false(h->s->tcp.mem.pressure);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPMemoryPressures), 0);
	/* and the SYN,ACK retransmissions charge nothing either */
	h_poll(h, S(2));
	h_drain(h);
	assert_int_equal(h->s->tcp.mem.used, 0);
	h_free(h);
}

/*
 * The ACK that completes a handshake must find budget for the window the
 * SYN,ACK offered, or data riding on it would have no memory: without room
 * it is dropped (no RST, the child stays half-open); the SYN,ACK's
 * retransmission brings the peer's ACK again, and with memory back it
 * completes, data and all.
 */
static void test_handshake_ack_without_memory(void **state)
{
	struct harness *h = h_new(tweak_tiny_budget);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	static uint8_t data[65536];
	uint64_t drops;
	struct tcp_seg got;
	stack_sock a, sock;
	uint32_t aiss;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 8, 7, &h->lsock), 0);
	a = h_second(h, 0, H_REMOTE_PORT + 1, &aiss);
	/* a SYN,ACK offers the window the budget has room for now */
	h_send(h, MS(1),
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.has_mss = true,
		   .opt.mss = H_MSS),
	       NULL);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	assert_true(got.wnd >= 100);
	h->iss = got.seq;
	/* then a fills the budget before the ACK comes */
	assert_true(stack_tcp_send(h->s, MS(2), a, data, sizeof(data)) > 0);
	h_drain(h);
	drops = ctr(h, STACK_CTR_TcpExtListenDrops);
	h_send(h, MS(3), SEG(.seq = RNXT, .ack = h->iss + 1, .len = 100), NULL);
	h_expect_nothing(h); /* dropped, not reset */
	assert_int_equal(ctr(h, STACK_CTR_TcpExtListenDrops), drops + 1);
	assert_int_equal(stack_tcp_accept(h->s, MS(3), h->lsock, 9, &sock), -EAGAIN);
	assert_true(h->s->tcp.mem.used <= h->s->tcp.mem.limit);
	/* memory comes back; the SYN,ACK is retransmitted and the ACK comes again */
	assert_int_equal(stack_tcp_abort(h->s, MS(4), a), 0);
	h_drain(h);
	h_poll(h, S(2));
	assert_true(h_pop(h, &got));
	assert_int_equal(got.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	h_send(h, S(2), SEG(.seq = RNXT, .ack = h->iss + 1, .len = 100), NULL);
	assert_int_equal(stack_tcp_accept(h->s, S(2), h->lsock, 9, &sock), 0);
	assert_int_equal(h_state(h, sock), TCP_ESTABLISHED);
	assert_int_equal(stack_tcp_recv(h->s, S(2), sock, data, sizeof(data)), 100);
	h_free(h);
}

static void tweak_big_window(struct stack_config *cfg)
{
	cfg->tun.window_scaling = 1;
	cfg->tun.recv_buffer = 1 << 20;
}

/* The window starts at 64 KiB (an idle connection promises little) and grows with use. */
static void test_window_grows_with_use(void **state)
{
	struct harness *h = h_new(tweak_big_window);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	uint32_t seq = RNXT, first_wnd = 0, last_wnd = 0;
	static uint8_t buf[1 << 20];
	struct tcp_conn *c;
	struct tcp_seg got;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 8, 7, &h->lsock), 0);
	h_send(h, 0,
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.has_mss = true,
		   .opt.mss = H_MSS, .opt.wscale = 7),
	       NULL);
	assert_true(h_pop(h, &got));
	h->iss = got.seq;
	h_send(h, 0, SEG(.seq = RNXT, .ack = h->iss + 1), NULL);
	assert_int_equal(stack_tcp_accept(h->s, 0, h->lsock, 9, &h->sock), 0);
	c = h_conn(h, h->sock);
	assert_int_equal(c->rcv_adv - c->rcv_nxt, 65535); /* the SYN-ACK's, unscaled */
	/* the peer sends 1 MiB as fast as the window allows; the app reads at once */
	for (int i = 0; i < 2000 && seq - RNXT < (1u << 20); i++) {
		uint32_t room = c->rcv_adv - seq;

		for (uint32_t k = 0; k < 8 && room >= H_MSS; k++, room -= H_MSS, seq += H_MSS)
			h_send(h, MS(i), SEG(.seq = seq, .ack = h->iss + 1, .len = H_MSS), NULL);
		assert_true(stack_tcp_recv(h->s, MS(i), h->sock, buf, sizeof(buf)) > 0);
		h_poll(h, MS(i) + MS(50));
		while (h_pop(h, &got)) {
			last_wnd = (uint32_t)got.wnd << c->rcv_wscale;
			if (!first_wnd)
				first_wnd = last_wnd;
		}
	}
	assert_true(first_wnd <= TCP_MEM_WND_INIT);
	assert_true(last_wnd >= 512 * 1024);
	assert_true(c->rcv_wnd_cap <= c->rcvbuf_size);
	h_free(h);
}

/* The allocator fails: send() takes what fits, segments beyond the ring are cut, no byte lost. */
static void test_failed_allocation_loses_nothing(void **state)
{
	struct harness *h = h_new(NULL);
	static uint8_t data[20000], in[20000];
	struct tcp_conn *c;
	struct tcp_seg got;
	uint32_t queued, sent = 0, rcvd = 0;
	ssize_t n;

	fill(data, 0, sizeof(data));
	h_establish_passive(h, 0);
	c = h_conn(h, h->sock);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_NODELAY, 1), 0);
	assert_int_equal(stack_tcp_send(h->s, MS(1), h->sock, data, 3000), 3000);
	h_alloc_fail = true;
	/* the 4 KiB ring cannot grow: the rest of it is taken, and a WRITABLE wait begins */
	n = stack_tcp_send(h->s, MS(2), h->sock, data + 3000, 10000);
	assert_int_equal(n, TCP_MEM_RING_MIN - 3000);
	queued = 3000 + (uint32_t)n;
	/* the peer's data: what fits in a ring that cannot be allocated is nothing, and
	 * nothing is acknowledged that was not kept */
	h_send(h, MS(3), SEG(.seq = RNXT, .ack = h->iss + 1, .len = 1000), NULL);
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 0);
	h_alloc_fail = false;
	while (h_pop(h, &got)) {
		assert_true(seq_le(got.ack, RNXT));
		if (got.len) {
			assert_memory_equal(h->payload, data + (got.seq - h->iss - 1), got.len);
			sent = stack_max(sent, got.seq - h->iss - 1 + got.len);
		}
	}
	/* memory is back: the peer resends, everything arrives and everything goes out */
	for (int i = 0; i < 100 && (sent < sizeof(data) || rcvd < 1000); i++) {
		stack_time_us t = MS(10 + 10 * i);

		if (queued < sizeof(data)) {
			n = stack_tcp_send(h->s, t, h->sock, data + queued, sizeof(data) - queued);
			assert_true(n >= 0);
			queued += (uint32_t)n;
		}
		if (rcvd < 1000)
			h_send(h, t, SEG(.seq = RNXT, .ack = h->iss + 1 + sent, .len = 1000), NULL);
		else
			h_send(h, t, SEG(.seq = RNXT + 1000, .ack = h->iss + 1 + sent), NULL);
		n = stack_tcp_recv(h->s, t, h->sock, in + rcvd, sizeof(in) - rcvd);
		if (n > 0)
			rcvd += (uint32_t)n;
		while (h_pop(h, &got)) {
			if (!got.len)
				continue;
			assert_memory_equal(h->payload, data + (got.seq - h->iss - 1), got.len);
			sent = stack_max(sent, got.seq - h->iss - 1 + got.len);
		}
		h_poll(h, t);
	}
	assert_int_equal(sent, sizeof(data));
	assert_int_equal(rcvd, 1000);
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(in[i], 'a' + (RNXT + i) % 26);
	assert_true(c->snd.cap > TCP_MEM_RING_MIN);
	h_free(h);
}

static void tweak_sack_mem(struct stack_config *cfg)
{
	cfg->tun.sack = 1;
}

/*
 * The SACK scoreboard (tcp_sack.c, 1 KiB) is memory like a ring: a SACK
 * connection that only receives never gets one, one that sends gets it with
 * its first data, and it goes back with the send ring once everything is
 * ACKed and the connection stays idle. Before, every SACK connection got one
 * at its first output and kept it until the end.
 */
static void test_scoreboard_only_while_sending(void **state)
{
	struct harness *h = h_new(tweak_sack_mem);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	static uint8_t data[2920], buf[2920];
	struct tcp_seg sa;
	struct tcp_conn *c;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 8, 7, &h->lsock), 0);
	h_send(h, 0,
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.sack_ok = true,
		   .opt.has_mss = true, .opt.mss = H_MSS),
	       NULL);
	assert_true(h_pop(h, &sa));
	h->iss = sa.seq;
	h_send(h, 0, SEG(.seq = H_REMOTE_ISN + 1, .ack = h->iss + 1), NULL);
	assert_int_equal(stack_tcp_accept(h->s, 0, h->lsock, 9, &h->sock), 0);
	c = h_conn(h, h->sock);
	assert_true(c->sack_ok);
	/* receiving: data in, ACKs out, read */
	h_send(h, MS(1), SEG(.seq = H_REMOTE_ISN + 1, .ack = h->iss + 1, .len = 1000), data);
	assert_int_equal(stack_tcp_recv(h->s, MS(2), h->sock, buf, sizeof(buf)), 1000);
	h_poll(h, MS(100));
	h_drain(h);
	assert_null(c->rec.sb);
	assert_int_equal(c->mem_sb, 0);
	/* sending: a scoreboard while data is in flight, charged */
	assert_int_equal(stack_tcp_send(h->s, MS(110), h->sock, data, sizeof(data)), sizeof(data));
	h_drain(h);
	assert_non_null(c->rec.sb);
	assert_int_equal(c->mem_sb, sizeof(*c->rec.sb));
	/* all ACKed, then idle: it goes with the send ring */
	h_send(h, MS(120), SEG(.seq = H_REMOTE_ISN + 1001, .ack = h->iss + 1 + sizeof(data)), NULL);
	h_poll(h, MS(120) + TCP_MEM_IDLE_US);
	h_drain(h);
	assert_null(c->snd.buf);
	assert_null(c->rec.sb);
	assert_int_equal(c->mem_sb, 0);
	h_free(h);
}

/*
 * Holes beyond what the connection keeps inline: the out-of-order ranges move
 * to a larger array, charged to the budget, at most TCP_REASM_MAX_RANGES of
 * them (the rest are dropped and counted); as the holes fill, they come back
 * into the connection and the charge goes.
 */
static void test_ooo_ranges_move_out_and_back(void **state)
{
	struct harness *h = h_new(NULL);
	struct tcp_conn *c;
	uint64_t used0;

	h_establish_passive(h, 0);
	c = h_conn(h, h->sock);
	used0 = h->s->tcp.mem.used;
	for (uint32_t i = 0; i < 300; i++) {
		h_send(h, MS(1), SEG(.seq = RNXT + 1 + 2 * i, .ack = h->iss + 1, .len = 1), NULL);
		h_drain(h);
	}
	assert_int_equal(c->reasm.n, TCP_REASM_MAX_RANGES);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPOFODrop), 300 - TCP_REASM_MAX_RANGES);
	assert_int_equal(c->mem_reasm, TCP_REASM_MAX_RANGES * sizeof(struct tcp_reasm_range));
	assert_true(h->s->tcp.mem.used >= used0 + c->mem_reasm);
	/* the first 250 holes fill: 6 ranges are left, back inline, nothing charged */
	for (uint32_t i = 0; i < 250; i++) {
		h_send(h, MS(2), SEG(.seq = RNXT + 2 * i, .ack = h->iss + 1, .len = 1), NULL);
		h_drain(h);
	}
	assert_int_equal(c->rcv_nxt, RNXT + 500);
	assert_int_equal(c->reasm.n, 6);
	assert_null(c->reasm.ext);
	assert_int_equal(c->mem_reasm, 0);
	h_free(h);
}

/* No memory for a larger array: the segment is dropped and counted, nothing charged. */
static void test_ooo_ranges_need_memory(void **state)
{
	struct harness *h = h_new(NULL);
	struct tcp_conn *c;

	h_establish_passive(h, 0);
	c = h_conn(h, h->sock);
	h->s->tcp.mem.limit = h->s->tcp.mem.used; /* the budget is full to the byte */
	for (uint32_t i = 0; i < TCP_REASM_INLINE + 1; i++) {
		h_send(h, MS(1), SEG(.seq = RNXT + 1 + 2 * i, .ack = h->iss + 1, .len = 1), NULL);
		h_drain(h);
	}
	assert_int_equal(c->reasm.n, TCP_REASM_INLINE);
	assert_null(c->reasm.ext);
	assert_int_equal(c->mem_reasm, 0);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPOFODrop), 1);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ooo_ranges_move_out_and_back),
		cmocka_unit_test(test_ooo_ranges_need_memory),
		cmocka_unit_test(test_no_buffers_until_used),
		cmocka_unit_test(test_no_buffers_after_connect),
		cmocka_unit_test(test_send_ring_grows_across_wrap),
		cmocka_unit_test(test_rcvbuf_in_syn_sent_keeps_bytes),
		cmocka_unit_test(test_setopt_clamps),
		cmocka_unit_test(test_budget_exhaustion),
		cmocka_unit_test(test_per_uid_cap),
		cmocka_unit_test(test_raised_budget_wakes),
		cmocka_unit_test(test_waiters_woken_oldest_first),
		cmocka_unit_test(test_set_account_respects_cap),
		cmocka_unit_test(test_half_open_charges_nothing),
		cmocka_unit_test(test_handshake_ack_without_memory),
		cmocka_unit_test(test_window_grows_with_use),
		cmocka_unit_test(test_failed_allocation_loses_nothing),
		cmocka_unit_test(test_scoreboard_only_while_sending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
