/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-autotune.c - buffer autotuning (tcp/tcp_autotune.c): the SYN's
 * window scale covers tcp.recv_buffer_max when RCVBUF may grow; RCVBUF grows
 * round by round while the application keeps up with a peer that fills the
 * window, and not while the application does not read; SNDBUF grows while
 * it, not cwnd or the peer's window, holds the sender back; an application's
 * own SO_RCVBUF / SO_SNDBUF stops the growth, and recv_buffer_max /
 * send_buffer_max bound it.
 */
#include <string.h>

#include "harness.h"

#define MS(x)	((stack_time_us)(x)*1000)
#define RNXT	(H_REMOTE_ISN + 1)
#define RTT	MS(1)
#define MSS	1460u
#define PEER_WS 7

static uint64_t ctr(struct harness *h, enum stack_counter_id id)
{
	return h->s->ctr.v[id];
}

static void tweak_autotune(struct stack_config *cfg)
{
	cfg->tun.buffer_autotune = 1;
	cfg->tun.window_scaling = 1;
	cfg->tun.recv_buffer = 256 * 1024;
	cfg->tun.recv_buffer_max = 6 << 20;
	cfg->tun.send_buffer = 64 * 1024;
	cfg->tun.send_buffer_max = 4 << 20;
	cfg->memory = 1ull << 30;
	cfg->memory_per_uid = 1ull << 30;
}

/*
 * Passive open with window scaling both ways; *ws gets the scale we offered.
 * rcvbuf > 0: the listener's SO_RCVBUF, set before the SYN.
 */
static void establish(struct harness *h, uint64_t rcvbuf, uint8_t *ws)
{
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct tcp_seg sa;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 8, 1, &h->lsock), 0);
	if (rcvbuf)
		assert_int_equal(stack_tcp_setopt(h->s, 0, h->lsock, STACK_TCP_RCVBUF, rcvbuf), 0);
	h_send(h, 0,
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.has_mss = true, .opt.mss = MSS,
		   .opt.wscale = PEER_WS),
	       NULL);
	assert_true(h_pop(h, &sa));
	assert_true(sa.opt.wscale >= 0);
	*ws = (uint8_t)sa.opt.wscale;
	h->iss = sa.seq;
	/* the peer's window: 65535 << 7, 8 MiB */
	h_send(h, 0, SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 65535), NULL);
	assert_int_equal(stack_tcp_accept(h->s, 0, h->lsock, 2, &h->sock), 0);
	h_drain(h);
}

/* The right edge our latest segment advertises (0: none sent). */
static uint32_t last_window(struct harness *h, uint8_t ws, tcp_seq *ack)
{
	struct tcp_seg out;
	uint32_t wnd = 0;

	while (h_pop(h, &out)) {
		wnd = (uint32_t)out.wnd << ws;
		*ack = out.ack;
	}
	return wnd;
}

/*
 * One round trip of a bulk peer: it sends the whole window it was last
 * given (full segments), then the application reads everything (when it
 * reads at all). Returns what our ACKs let the peer send next. Our ACKs
 * are taken as they come (the harness holds only 256 frames).
 */
static uint32_t peer_round(struct harness *h, uint8_t ws, tcp_seq *nxt, uint32_t wnd, bool read)
{
	static uint8_t seg[MSS];
	static uint8_t sink[1 << 16];
	tcp_seq ack = *nxt, edge = *nxt;
	uint32_t got;

	for (uint32_t sent = 0; sent + MSS <= wnd; sent += MSS) {
		h_send(h, h->now, SEG(.seq = *nxt, .ack = h->iss + 1, .wnd = 65535, .len = MSS),
		       seg);
		*nxt += MSS;
		got = last_window(h, ws, &ack);
		if (got)
			edge = ack + got;
	}
	if (read)
		while (stack_tcp_recv(h->s, h->now, h->sock, sink, sizeof(sink)) > 0)
			;
	got = last_window(h, ws, &ack);
	if (got)
		edge = ack + got;
	h->now += RTT;
	h_poll(h, h->now);
	got = last_window(h, ws, &ack);
	if (got)
		edge = ack + got;
	return seq_gt(edge, *nxt) ? edge - *nxt : 0;
}

/* The SYN offers the scale recv_buffer_max needs: 6 MiB -> 7 (65535 << 6 is short of it). */
static void test_scale_covers_max(void **state)
{
	struct harness *h = h_new(tweak_autotune);
	uint8_t ws;

	establish(h, 0, &ws);
	assert_int_equal(ws, 7);
	h_free(h);
}

/* An application's SO_RCVBUF fixes the buffer: the scale covers just it (256 KiB -> 3). */
static void test_locked_rcvbuf_scale_and_no_growth(void **state)
{
	struct harness *h = h_new(tweak_autotune);
	tcp_seq nxt = RNXT;
	uint32_t wnd = 64 * 1024;
	uint8_t ws;

	establish(h, 256 * 1024, &ws);
	assert_int_equal(ws, 3);
	h->now = MS(10);
	for (int r = 0; r < 20; r++)
		wnd = stack_max(peer_round(h, ws, &nxt, wnd, true), MSS);
	assert_int_equal(h_conn(h, h->sock)->rcvbuf_size, 256 * 1024);
	assert_int_equal(ctr(h, STACK_CTR_SynackTcpRcvBufGrown), 0);
	h_free(h);
}

/*
 * A peer that fills the window every round trip while the application reads
 * everything: RCVBUF (and the window) leave the 256 KiB default behind within
 * 6 round trips and reach recv_buffer_max within 20, never beyond it.
 */
static void test_rcvbuf_grows_while_app_keeps_up(void **state)
{
	struct harness *h = h_new(tweak_autotune);
	struct tcp_conn *c;
	tcp_seq nxt = RNXT;
	uint32_t wnd = 64 * 1024, most = 0;
	int past_default = -1, at_max = -1;
	uint8_t ws;

	establish(h, 0, &ws);
	c = h_conn(h, h->sock);
	h->now = MS(10);
	for (int r = 0; r < 20; r++) {
		wnd = peer_round(h, ws, &nxt, wnd, true);
		most = stack_max(most, wnd);
		assert_true(c->rcvbuf_size <= 6u << 20);
		if (past_default < 0 && c->rcvbuf_size > 256 * 1024)
			past_default = r;
		if (at_max < 0 && c->rcvbuf_size == 6u << 20)
			at_max = r;
	}
	assert_true(past_default >= 0 && past_default < 6);
	assert_true(at_max >= 0);
	assert_true(most > 4u << 20); /* the window follows */
	assert_true(ctr(h, STACK_CTR_SynackTcpRcvBufGrown) > 0);
	h_free(h);
}

/* An application that does not read keeps RCVBUF where it is: the data waits in 256 KiB. */
static void test_rcvbuf_stays_without_reader(void **state)
{
	struct harness *h = h_new(tweak_autotune);
	tcp_seq nxt = RNXT;
	uint32_t wnd = 64 * 1024;
	uint8_t ws;

	establish(h, 0, &ws);
	h->now = MS(10);
	for (int r = 0; r < 16; r++)
		wnd = peer_round(h, ws, &nxt, wnd, false);
	assert_int_equal(h_conn(h, h->sock)->rcvbuf_size, 256 * 1024);
	assert_true(nxt - RNXT <= 256 * 1024);
	assert_int_equal(ctr(h, STACK_CTR_SynackTcpRcvBufGrown), 0);
	h_free(h);
}

/* Queue as much as SNDBUF takes; returns the bytes taken. */
static uint32_t fill_send(struct harness *h)
{
	static uint8_t data[1 << 16];
	uint32_t total = 0;
	ssize_t n;

	while ((n = stack_tcp_send(h->s, h->now, h->sock, data, sizeof(data))) > 0)
		total += (uint32_t)n;
	return total;
}

/* ACK everything in flight, with window field wnd (scaled by PEER_WS), one RTT later. */
static void ack_all(struct harness *h, uint16_t wnd)
{
	struct tcp_conn *c = h_conn(h, h->sock);

	h_drain(h);
	h->now += RTT;
	h_send(h, h->now, SEG(.seq = RNXT, .ack = c->snd_max, .wnd = wnd), NULL);
	h_poll(h, h->now);
}

/* A connection, established, its application about to send at 10 ms. */
static struct harness *sender(void (*tweak)(struct stack_config *cfg), struct tcp_conn **ret_c)
{
	struct harness *h = h_new(tweak);
	uint8_t ws;

	establish(h, 0, &ws);
	*ret_c = h_conn(h, h->sock);
	h->now = MS(10);
	return h;
}

/* rounds round trips of an application that queues all it can and a peer that ACKs it all. */
static void send_rounds(struct harness *h, int rounds, uint16_t wnd)
{
	for (int r = 0; r < rounds; r++) {
		fill_send(h);
		ack_all(h, wnd);
	}
}

static void tweak_small_sndbuf_max(struct stack_config *cfg)
{
	tweak_autotune(cfg);
	cfg->tun.send_buffer_max = 256 * 1024;
}

/*
 * An application that always has more to send, a peer that ACKs all of it
 * each round trip: cwnd outgrows the 64 KiB buffer, which then follows at
 * twice cwnd, up to send_buffer_max and no further.
 */
static void test_sndbuf_grows_when_it_limits(void **state)
{
	struct tcp_conn *c;
	struct harness *h = sender(tweak_small_sndbuf_max, &c);

	for (int r = 0; r < 20; r++) {
		uint32_t cwnd = c->cc.cwnd;

		send_rounds(h, 1, 65535);
		assert_true(c->sndbuf_size <= 256 * 1024);
		/* never short of twice the cwnd the ACK found, unless at the maximum */
		if (c->sndbuf_size < 256 * 1024)
			assert_true(c->sndbuf_size >= 2 * cwnd);
	}
	assert_int_equal(c->sndbuf_size, 256 * 1024);
	assert_true(ctr(h, STACK_CTR_SynackTcpSndBufGrown) > 0);
	h_free(h);
}

static void tweak_sndbuf_16k(struct stack_config *cfg)
{
	tweak_autotune(cfg);
	cfg->tun.send_buffer = 16 * 1024;
}

/*
 * The peer's window, not the buffer, holds the sender back: SNDBUF stays.
 * (16 KiB of buffer against a 12,800-byte window and a cwnd of 10 segments:
 * twice cwnd would be more than the buffer, so only the window check stops it.)
 */
static void test_sndbuf_stays_when_peer_window_limits(void **state)
{
	struct tcp_conn *c;
	struct harness *h = sender(tweak_sndbuf_16k, &c);

	send_rounds(h, 20, 100); /* 12800 bytes: less than the 16 KiB buffer */
	assert_int_equal(c->sndbuf_size, 16 * 1024);
	assert_int_equal(ctr(h, STACK_CTR_SynackTcpSndBufGrown), 0);
	h_free(h);
}

/* An ACK of everything that closes the window: nothing can be sent, SNDBUF stays. */
static void test_sndbuf_stays_on_zero_window(void **state)
{
	struct tcp_conn *c;
	struct harness *h = sender(tweak_autotune, &c);

	send_rounds(h, 1, 0);
	assert_int_equal(c->sndbuf_size, 64 * 1024);
	assert_int_equal(ctr(h, STACK_CTR_SynackTcpSndBufGrown), 0);
	h_free(h);
}

/* Closed with its buffer full (still "wanting" to write): an orphan never grows. */
static void test_orphan_sndbuf_stays(void **state)
{
	struct tcp_conn *c;
	struct harness *h = sender(tweak_autotune, &c);

	fill_send(h);
	assert_int_equal(stack_tcp_close(h->s, h->now, h->sock), 0);
	assert_true(c->orphan);
	for (int r = 0; r < 10; r++)
		ack_all(h, 65535); /* no send: the orphan has no application */
	assert_int_equal(c->sndbuf_size, 64 * 1024);
	assert_int_equal(ctr(h, STACK_CTR_SynackTcpSndBufGrown), 0);
	h_free(h);
}

static void tweak_small_budget(struct stack_config *cfg)
{
	tweak_autotune(cfg);
	cfg->memory = 2 << 20;
	cfg->memory_per_uid = 2 << 20;
}

/*
 * The window is charged as promised: with a 2 MiB budget, RCVBUF grows no
 * further than where half the budget would be used (about 1 MiB), however
 * much the peer and the application could move.
 */
static void test_rcvbuf_growth_stops_at_half_the_budget(void **state)
{
	struct harness *h = h_new(tweak_small_budget);
	struct tcp_conn *c;
	tcp_seq nxt = RNXT;
	uint32_t wnd = 64 * 1024;
	uint8_t ws;

	establish(h, 0, &ws);
	c = h_conn(h, h->sock);
	h->now = MS(10);
	for (int r = 0; r < 20; r++)
		wnd = peer_round(h, ws, &nxt, wnd, true);
	assert_true(c->rcvbuf_size > 256 * 1024); /* it grew */
	assert_true(c->rcvbuf_size <= (1u << 20) + 256 * 1024);
	h_free(h);
}

/* An application's SO_SNDBUF: no growth however much it sends. */
static void test_locked_sndbuf(void **state)
{
	struct tcp_conn *c;
	struct harness *h = sender(tweak_autotune, &c);

	assert_int_equal(stack_tcp_setopt(h->s, h->now, h->sock, STACK_TCP_SNDBUF, 64 * 1024), 0);
	send_rounds(h, 20, 65535);
	assert_int_equal(c->sndbuf_size, 64 * 1024);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scale_covers_max),
		cmocka_unit_test(test_locked_rcvbuf_scale_and_no_growth),
		cmocka_unit_test(test_rcvbuf_grows_while_app_keeps_up),
		cmocka_unit_test(test_rcvbuf_stays_without_reader),
		cmocka_unit_test(test_sndbuf_grows_when_it_limits),
		cmocka_unit_test(test_sndbuf_stays_when_peer_window_limits),
		cmocka_unit_test(test_sndbuf_stays_on_zero_window),
		cmocka_unit_test(test_orphan_sndbuf_stays),
		cmocka_unit_test(test_rcvbuf_growth_stops_at_half_the_budget),
		cmocka_unit_test(test_locked_sndbuf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
