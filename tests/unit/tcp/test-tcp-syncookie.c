/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-syncookie.c - SYN cookies (RFC 4987 §3.6, tcp_syncookie.c): a
 * listener with a full SYN queue answers with a cookie and keeps nothing;
 * the cookie's ACK makes an ESTABLISHED connection with the options the SYN
 * negotiated (MSS from the table; window scale and SACK through the echoed
 * timestamp, off without timestamps); a forged or expired cookie is
 * counted and reset (RFC 9293 §3.10.7.2: an ACK in LISTEN gets
 * <SEQ=SEG.ACK><CTL=RST>); data on the cookie's ACK is delivered.
 */
#include <string.h>

#include "harness.h"

#define MS(x) ((stack_time_us)(x)*1000)
#define S(x)  ((stack_time_us)(x)*1000000)

static void tweak_cookies(struct stack_config *cfg)
{
	cfg->tun.syn_backlog = 1;
	cfg->tun.timestamps = 1;
	cfg->tun.sack = 1;
	cfg->tun.window_scaling = 1;
}

static uint64_t ctr(struct harness *h, enum stack_counter_id id)
{
	return h->s->ctr.v[id];
}

/* Listen with a backlog and fill the one-entry SYN queue with a half-open child. */
static void fill_syn_queue(struct harness *h, uint32_t backlog)
{
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct tcp_seg sa;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, backlog, 1, &h->lsock), 0);
	h_send(h, 0, SEG(.sport = 1001, .seq = 100, .flags = TCP_FLAG_SYN), NULL);
	assert_true(h_pop(h, &sa));
	assert_int_equal(sa.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtSyncookiesSent), 0);
	assert_int_equal(h->s->tcp.nused, 2);
}

/* A SYN with every option from port sport at t; returns the cookie SYN,ACK. */
static struct tcp_seg cookie_syn(struct harness *h, stack_time_us t, uint16_t sport, uint32_t seq,
				 bool ts)
{
	uint64_t sent = ctr(h, STACK_CTR_TcpExtSyncookiesSent);
	struct tcp_seg sa;

	h_send(h, t,
	       SEG(.sport = sport, .seq = seq, .flags = TCP_FLAG_SYN, .wnd = 65535,
		   .opt.has_mss = true, .opt.mss = 1400, .opt.wscale = 7, .opt.sack_ok = true,
		   .opt.has_ts = ts, .opt.tsval = 5000),
	       NULL);
	assert_true(h_pop(h, &sa));
	assert_int_equal(sa.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	assert_int_equal(sa.dport, sport);
	assert_int_equal(sa.ack, seq + 1);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtSyncookiesSent), sent + 1);
	h_expect_nothing(h);
	return sa;
}

/* The peer's ACK of a SYN,ACK, with len bytes of data. */
static void cookie_ack(struct harness *h, stack_time_us t, uint16_t sport, uint32_t seq,
		       const struct tcp_seg *sa, uint32_t len)
{
	h_send(h, t,
	       SEG(.sport = sport, .seq = seq + 1, .ack = sa->seq + 1, .wnd = 1000, .len = len,
		   .flags = TCP_FLAG_ACK | (len ? TCP_FLAG_PSH : 0), .opt.has_ts = sa->opt.has_ts,
		   .opt.tsval = 5001, .opt.tsecr = sa->opt.tsval),
	       NULL);
}

static stack_sock accept_one(struct harness *h, stack_time_us t)
{
	stack_sock sock;

	h_expect_event(h, STACK_EV_ACCEPTABLE, h->lsock, 0);
	assert_int_equal(stack_tcp_accept(h->s, t, h->lsock, 9, &sock), 0);
	return sock;
}

static void test_cookie_sent_when_queue_full(void **state)
{
	struct harness *h = h_new(tweak_cookies);
	struct tcp_seg sa;

	fill_syn_queue(h, 8);
	sa = cookie_syn(h, MS(1), 2000, 7000, true);
	/* stateless: no slot taken; the offer mirrors the SYN's options */
	assert_int_equal(h->s->tcp.nused, 2);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtListenDrops], 0);
	assert_true(sa.opt.has_mss);
	assert_int_equal(sa.opt.mss, 1460);
	assert_int_equal(sa.opt.wscale, 0); /* 32 KiB receive buffer: no shift needed */
	assert_true(sa.opt.sack_ok);
	assert_true(sa.opt.has_ts);
	assert_int_equal(sa.opt.tsecr, 5000);
	assert_int_equal(sa.wnd, H_RCVBUF);
	/* the peer's window shift and SACK ride in the low bits of our TSval */
	assert_int_equal(sa.opt.tsval & 0x3f, 7 | 0x10);
	/* a cookie is not retransmitted: no timer runs for it (the child's SYN,ACK is) */
	h_poll(h, S(10));
	while (h_pop(h, &sa))
		assert_int_equal(sa.dport, 1001);
	h_free(h);
}

static void test_cookie_ack_establishes_with_options(void **state)
{
	struct harness *h = h_new(tweak_cookies);
	struct tcp_seg sa;
	struct tcp_conn *c;
	stack_sock sock;

	fill_syn_queue(h, 8);
	sa = cookie_syn(h, MS(1), 2000, 7000, true);
	cookie_ack(h, MS(2), 2000, 7000, &sa, 0);
	h_expect_nothing(h);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtSyncookiesRecv), 1);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtSyncookiesFailed), 0);
	sock = accept_one(h, MS(2));
	c = h_conn(h, sock);
	assert_int_equal(c->state, TCP_ESTABLISHED);
	assert_int_equal(c->iss, sa.seq);
	assert_int_equal(c->snd_una, sa.seq + 1);
	assert_int_equal(c->rcv_nxt, 7001);
	/* 1400 rounds down to the table's 1300 */
	assert_int_equal(c->mss, 1300);
	assert_true(c->ts_ok);
	assert_true(c->sack_ok);
	assert_true(c->wscale_ok);
	assert_int_equal(c->snd_wscale, 7);
	assert_int_equal(c->rcv_wscale, 0);
	assert_int_equal(c->snd_wnd, 1000u << 7);
	assert_int_equal(c->ts_recent, 5001);
	/* the connection's clock continues the one the cookie's TSval came from */
	assert_true(tcp_output_tsval(c, MS(2)) - sa.opt.tsval < 64 + 2);
	/* and it works: data out carries the negotiated options */
	assert_int_equal(stack_tcp_send(h->s, MS(3), sock, "hello", 5), 5);
	h_expect(h, OUT(.dport = 2000, .seq = sa.seq + 1, .ack = 7001, .len = 5, .wnd = H_RCVBUF,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH, .opt.has_ts = true,
			.opt.tsval = tcp_output_tsval(c, MS(3)), .opt.tsecr = 5001));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpPassiveOpens], 2);
	h_free(h);
}

static void test_cookie_without_timestamps(void **state)
{
	struct harness *h = h_new(tweak_cookies);
	struct tcp_seg sa;
	struct tcp_conn *c;

	fill_syn_queue(h, 8);
	sa = cookie_syn(h, MS(1), 2000, 7000, false);
	/* nothing could carry window scale or SACK back: not offered */
	assert_false(sa.opt.has_ts);
	assert_int_equal(sa.opt.wscale, -1);
	assert_false(sa.opt.sack_ok);
	cookie_ack(h, MS(2), 2000, 7000, &sa, 0);
	c = h_conn(h, accept_one(h, MS(2)));
	assert_int_equal(c->state, TCP_ESTABLISHED);
	assert_int_equal(c->mss, 1300);
	assert_false(c->ts_ok);
	assert_false(c->sack_ok);
	assert_false(c->wscale_ok);
	assert_int_equal(c->snd_wscale, 0);
	assert_int_equal(c->snd_wnd, 1000);
	h_free(h);
}

static void test_cookie_forged_rejected(void **state)
{
	struct harness *h = h_new(tweak_cookies);
	struct tcp_seg sa;

	fill_syn_queue(h, 8);
	sa = cookie_syn(h, MS(1), 2000, 7000, true);
	/* a guessed cookie (the authenticator bits off by one) */
	sa.seq ^= 4;
	cookie_ack(h, MS(2), 2000, 7000, &sa, 0);
	h_expect(h, OUT(.dport = 2000, .seq = sa.seq + 1, .flags = TCP_FLAG_RST, .wnd = 0));
	assert_int_equal(ctr(h, STACK_CTR_TcpExtSyncookiesFailed), 1);
	/* the right cookie from the wrong ISN (another tuple's cookie replayed) */
	sa.seq ^= 4;
	cookie_ack(h, MS(2), 2000, 7100, &sa, 0);
	h_expect(h, OUT(.dport = 2000, .seq = sa.seq + 1, .flags = TCP_FLAG_RST, .wnd = 0));
	assert_int_equal(ctr(h, STACK_CTR_TcpExtSyncookiesFailed), 2);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtSyncookiesRecv), 0);
	assert_int_equal(h->s->tcp.nused, 2);
	h_expect_no_event(h);
	h_free(h);
}

static void test_cookie_expires(void **state)
{
	struct harness *h = h_new(tweak_cookies);
	struct tcp_seg a, b;

	fill_syn_queue(h, 8);
	a = cookie_syn(h, S(1), 2000, 7000, true);
	b = cookie_syn(h, S(2), 2001, 8000, true);
	/* 99 s later cookie a is still good (the counter moved on once) */
	cookie_ack(h, S(100), 2000, 7000, &a, 0);
	h_expect_nothing(h);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtSyncookiesRecv), 1);
	accept_one(h, S(100));
	/* the flood goes on; after two counter steps b has expired */
	cookie_syn(h, S(125), 2002, 9000, true);
	cookie_ack(h, S(130), 2001, 8000, &b, 0);
	h_expect(h, OUT(.dport = 2001, .seq = b.seq + 1, .flags = TCP_FLAG_RST, .wnd = 0));
	assert_int_equal(ctr(h, STACK_CTR_TcpExtSyncookiesFailed), 1);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtSyncookiesRecv), 1);
	h_free(h);
}

static void test_cookie_ack_with_data(void **state)
{
	struct harness *h = h_new(tweak_cookies);
	struct tcp_seg sa, got;
	stack_sock sock;
	char buf[200];

	fill_syn_queue(h, 8);
	sa = cookie_syn(h, MS(1), 2000, 7000, true);
	cookie_ack(h, MS(2), 2000, 7000, &sa, 100);
	sock = accept_one(h, MS(2));
	assert_int_equal(h_state(h, sock), TCP_ESTABLISHED);
	assert_int_equal(stack_tcp_recv(h->s, MS(3), sock, buf, sizeof(buf)), 100);
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf[i], 'a' + (7001 + i) % 26);
	/* the data is ACKed (delayed ACK at most) */
	h_poll(h, MS(100));
	assert_true(h_pop(h, &got));
	assert_int_equal(got.flags, TCP_FLAG_ACK);
	assert_int_equal(got.ack, 7101);
	h_free(h);
}

static void test_cookie_accept_queue_full(void **state)
{
	struct harness *h = h_new(tweak_cookies);
	struct tcp_seg sa, first;

	fill_syn_queue(h, 1);
	first = cookie_syn(h, MS(1), 2000, 7000, true);
	sa = cookie_syn(h, MS(1), 2001, 8000, true);
	cookie_ack(h, MS(2), 2000, 7000, &first, 0);
	h_expect_event(h, STACK_EV_ACCEPTABLE, h->lsock, 0);
	/* the accept queue (backlog 1) is full: dropped without a reset, the peer retries */
	cookie_ack(h, MS(3), 2001, 8000, &sa, 0);
	h_expect_nothing(h);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtListenOverflows), 1);
	assert_int_equal(h->s->tcp.nused, 3);
	assert_int_equal(stack_tcp_accept(h->s, MS(4), h->lsock, 9, &h->sock), 0);
	cookie_ack(h, MS(5), 2001, 8000, &sa, 0);
	accept_one(h, MS(5));
	assert_int_equal(ctr(h, STACK_CTR_TcpExtSyncookiesRecv), 2);
	h_free(h);
}

static void tweak_always(struct stack_config *cfg)
{
	tweak_cookies(cfg);
	cfg->tun.syn_backlog = 256;
	cfg->tun.syncookies = 2;
}

static void test_cookies_always(void **state)
{
	struct harness *h = h_new(tweak_always);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct tcp_seg sa;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 8, 1, &h->lsock), 0);
	sa = cookie_syn(h, MS(1), 2000, 7000, true);
	assert_int_equal(h->s->tcp.nused, 1);
	cookie_ack(h, MS(2), 2000, 7000, &sa, 0);
	assert_int_equal(h_state(h, accept_one(h, MS(2))), TCP_ESTABLISHED);
	h_free(h);
}

static void tweak_no_slots(struct stack_config *cfg)
{
	tweak_cookies(cfg);
	cfg->max_conns = 2;
	cfg->tun.syn_backlog = 256;
}

static void test_cookie_when_no_slot(void **state)
{
	struct harness *h = h_new(tweak_no_slots);
	struct tcp_seg sa;

	/* the listener and one half-open child take both slots */
	fill_syn_queue(h, 8);
	sa = cookie_syn(h, MS(1), 2000, 7000, true);
	assert_int_equal(ctr(h, STACK_CTR_SynackTcpNoConnSlots), 1);
	/* the cookie's ACK finds no slot either: dropped, not reset */
	cookie_ack(h, MS(2), 2000, 7000, &sa, 0);
	h_expect_nothing(h);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtListenDrops), 1);
	h_free(h);
}

static void tweak_tight_budget(struct stack_config *cfg)
{
	tweak_cookies(cfg);
	cfg->memory = 16 * 1024; /* less than the 32 KiB window a cookie SYN,ACK offers */
}

/*
 * A cookie SYN,ACK offers a window with nothing kept behind it; the ACK that
 * completes the handshake must find budget for that window, or data the peer
 * may already send into it would have no memory. Without room the ACK is
 * dropped, not reset (the peer retransmits while the cookie is good), and
 * the budget never goes over its limit.
 */
static void test_cookie_ack_without_memory(void **state)
{
	struct harness *h = h_new(tweak_tight_budget);
	struct tcp_seg sa;
	uint64_t drops;

	fill_syn_queue(h, 8);
	sa = cookie_syn(h, MS(1), 2000, 7000, true);
	drops = ctr(h, STACK_CTR_TcpExtListenDrops);
	cookie_ack(h, MS(2), 2000, 7000, &sa, 100);
	h_expect_nothing(h);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtListenDrops), drops + 1);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtSyncookiesRecv), 0);
	assert_int_equal(h->s->tcp.nused, 2);
	assert_true(h->s->tcp.mem.used <= h->s->tcp.mem.limit);
	/* with memory, the peer's retransmitted ACK (data and all) gets its connection */
	stack_memory_set(h->s, 1 << 20, 1 << 20);
	cookie_ack(h, MS(300), 2000, 7000, &sa, 100);
	assert_int_equal(h_state(h, accept_one(h, MS(300))), TCP_ESTABLISHED);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtSyncookiesRecv), 1);
	h_free(h);
}

/* The child of the cookie sa, completed at t: its window shift against the SYN,ACK's. */
static struct tcp_conn *cookie_child(struct harness *h, stack_time_us t, const struct tcp_seg *sa,
				     stack_sock *ret_sock)
{
	struct tcp_conn *c;

	cookie_ack(h, t, 2000, 7000, sa, 0);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtSyncookiesRecv), 1);
	*ret_sock = accept_one(h, t);
	c = h_conn(h, *ret_sock);
	assert_true(c->wscale_ok);
	assert_int_equal(c->snd_wscale, 7);
	return c;
}

/*
 * The window shift a cookie child uses for its own windows is the one its
 * SYN,ACK announced (RFC 7323 §2.2: fixed by the SYN exchange), whatever
 * the listener's RCVBUF or the window_scaling tunable became before the ACK
 * came back: the peer would otherwise misread every window we send.
 */
static void test_cookie_keeps_announced_shift(void **state)
{
	struct harness *h = h_new(tweak_cookies);
	struct tcp_seg sa;
	struct tcp_conn *c;
	stack_sock sock;

	/* announced 0 (32 KiB), then the listener's buffer grows to 1 MiB */
	fill_syn_queue(h, 8);
	sa = cookie_syn(h, MS(1), 2000, 7000, true);
	assert_int_equal(sa.opt.wscale, 0);
	assert_int_equal(stack_tcp_setopt(h->s, MS(1), h->lsock, STACK_TCP_RCVBUF, 1u << 20), 0);
	c = cookie_child(h, MS(2), &sa, &sock);
	assert_int_equal(c->rcv_wscale, 0);
	h_free(h);

	/* announced 5 (1 MiB), then the buffer shrinks and scaling is turned off */
	h = h_new(tweak_cookies);
	fill_syn_queue(h, 8);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->lsock, STACK_TCP_RCVBUF, 1u << 20), 0);
	sa = cookie_syn(h, MS(1), 2000, 7000, true);
	assert_int_equal(sa.opt.wscale, 5);
	assert_int_equal(stack_tcp_setopt(h->s, MS(1), h->lsock, STACK_TCP_RCVBUF, H_RCVBUF), 0);
	assert_int_equal(stack_tunable_set(h->s, MS(1), STACK_TUN_window_scaling, 0), 0);
	c = cookie_child(h, MS(2), &sa, &sock);
	assert_int_equal(c->rcv_wscale, 5);
	/* the window it sends is scaled by that shift */
	assert_int_equal(stack_tcp_send(h->s, MS(3), sock, "hi", 2), 2);
	{
		struct tcp_seg got;

		assert_true(h_pop(h, &got));
		assert_int_equal((uint32_t)got.wnd << 5, c->rcv_adv - c->rcv_nxt);
	}
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie_sent_when_queue_full),
		cmocka_unit_test(test_cookie_ack_establishes_with_options),
		cmocka_unit_test(test_cookie_without_timestamps),
		cmocka_unit_test(test_cookie_forged_rejected),
		cmocka_unit_test(test_cookie_expires),
		cmocka_unit_test(test_cookie_ack_with_data),
		cmocka_unit_test(test_cookie_accept_queue_full),
		cmocka_unit_test(test_cookies_always),
		cmocka_unit_test(test_cookie_when_no_slot),
		cmocka_unit_test(test_cookie_ack_without_memory),
		cmocka_unit_test(test_cookie_keeps_announced_shift),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
