/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-orphan.c - the bounds on orphans (tcp_orphan.c): a peer that
 * holds its window at zero and answers every probe after the application
 * wrote a response and closed; the orphan is reset within the time the
 * persist backoff (RFC 1122 §4.2.2.17) gives tcp.orphan_retries probes, its
 * receive buffer freed at close. limits.max_orphans: the oldest orphans are
 * reset first. Orphans are counted per account (the daemon's uid) and the
 * account's oldest can be reset when its uid needs the slot.
 */
#include <string.h>

#include "harness.h"

#define MS(x) ((stack_time_us)(x)*1000)
#define S(x)  ((stack_time_us)(x)*1000000)
#define RNXT  (H_REMOTE_ISN + 1)
#define DAY   S(24 * 3600)

static void drain_events(struct harness *h)
{
	struct stack_event ev;

	while (stack_event_pop(h->s, &ev))
		;
}

/* An accepted connection from the peer's port rport at t; returns its handle, *iss ours. */
static stack_sock open_from(struct harness *h, stack_time_us t, uint16_t rport, uint32_t *iss)
{
	struct tcp_seg got;
	stack_sock c;

	h_send(h, t, SEG(.sport = rport, .seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN), NULL);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	*iss = got.seq;
	h_send(h, t, SEG(.sport = rport, .seq = RNXT, .ack = got.seq + 1), NULL);
	assert_int_equal(stack_tcp_accept(h->s, t, h->lsock, 9, &c), 0);
	drain_events(h);
	return c;
}

/*
 * The application writes a response and closes; the peer keeps its window
 * at zero and answers every probe. Unbounded before (RFC 1122 lets the
 * probes go on while answered): the orphan and its buffers stayed for good.
 */
static void test_zero_window_orphan(void **state)
{
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct harness *h = h_new(NULL);
	const struct stack_tunables *tun = &h->s->cfg.tun;
	stack_time_us t = S(1), at, bound = 0, base, iv;
	uint32_t iss, probes = 0;
	struct tcp_conn *c;
	struct tcp_seg got;
	stack_sock sock;
	bool gone = false;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 8, 7, &h->lsock), 0);
	sock = open_from(h, t, H_REMOTE_PORT, &iss);
	/* the peer's window closes before our response goes */
	h_send(h, t, SEG(.seq = RNXT, .ack = iss + 1, .wnd = 0), NULL);
	assert_int_equal(stack_tcp_send(h->s, t, sock, "HTTP/1.1 200 OK\r\n\r\nhello", 24), 24);
	h_expect_nothing(h);
	c = h_conn(h, sock);
	/* the persist timer runs from here: base x 2^k, at most rto.max */
	base = tcp_rtt_timeout(&c->rtt, tun->rto_min, tun->rto_max);
	assert_int_equal(c->timer[TCP_TIMER_PERSIST], t + base);
	assert_int_equal(stack_tcp_close(h->s, t, sock), 0);
	drain_events(h);
	/* an orphan never reads: its receive buffer is gone at once */
	assert_true(c->orphan);
	assert_null(c->rcv.buf);
	assert_int_equal(c->mem_rcv, 0);
	assert_non_null(c->snd.buf);
	/* the bound: orphan_retries probes, then the next expiry gives up */
	iv = base;
	for (uint64_t k = 0; k <= tun->orphan_retries; k++) {
		bound += iv;
		iv = iv * 2 > tun->rto_max ? tun->rto_max : iv * 2;
	}
	bound += t;
	print_message("zero-window orphan: %llu probes of %llu ms doubling: reset by %.1f s\n",
		      (unsigned long long)tun->orphan_retries, (unsigned long long)(base / 1000),
		      (double)(bound - t) / 1e6);
	/* answer every probe with the window still closed, for up to a simulated day */
	while ((at = stack_poll_at(h->s)) != STACK_TIME_NEVER && at <= t + DAY) {
		h_poll(h, at);
		if (!h_pop(h, &got))
			continue;
		if (got.flags & TCP_FLAG_RST) {
			assert_int_equal(got.seq, iss + 1);
			gone = true;
			break;
		}
		/* <SEQ=SND.UNA-1><ACK=RCV.NXT>: answered with our SND.UNA and a zero window */
		assert_int_equal(got.seq, iss);
		probes++;
		h_send(h, at, SEG(.seq = RNXT, .ack = iss + 1, .wnd = 0), NULL);
		h_expect_nothing(h);
	}
	if (!gone)
		fail_msg("the orphan is still there after %u answered probes, %.0f s simulated",
			 probes, (double)(at == STACK_TIME_NEVER ? DAY : at - t) / 1e6);
	assert_int_equal(probes, tun->orphan_retries);
	assert_true(at <= bound);
	assert_int_equal(at, bound);
	assert_int_equal(h->s->tcp.nused, 1); /* the listener: slot and both buffers freed */
	assert_int_equal(h->s->tcp.norphans, 0);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPAbortOnTimeout], 1);
	h_expect_nothing(h);
	h_expect_no_event(h);
	h_free(h);
}

/* Orphans retransmitting into silence also stop after orphan_retries, before retries. */
static void test_orphan_retransmissions(void **state)
{
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct harness *h = h_new(NULL);
	const struct stack_tunables *tun = &h->s->cfg.tun;
	stack_time_us at;
	unsigned rexmits = 0;
	struct tcp_seg got;
	stack_sock sock;
	uint32_t iss;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 8, 7, &h->lsock), 0);
	sock = open_from(h, S(1), H_REMOTE_PORT, &iss);
	assert_int_equal(stack_tcp_close(h->s, S(1), sock), 0);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.flags, TCP_FLAG_FIN | TCP_FLAG_ACK);
	while ((at = stack_poll_at(h->s)) != STACK_TIME_NEVER) {
		h_poll(h, at);
		assert_true(h_pop(h, &got));
		if (got.flags & TCP_FLAG_RST)
			break;
		rexmits++;
	}
	assert_int_equal(rexmits, tun->orphan_retries);
	assert_true(tun->orphan_retries < tun->retries);
	drain_events(h); /* the CLOSED event of the close: the slot goes once it is popped */
	assert_int_equal(h->s->tcp.nused, 1);
	h_free(h);
}

static void tweak_max3(struct stack_config *cfg)
{
	cfg->max_orphans = 3;
}

/* limits.max_orphans: N + k orphans, the k oldest are reset, oldest first. */
static void test_max_orphans(void **state)
{
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct harness *h = h_new(tweak_max3);
	uint32_t iss[5];
	stack_sock c[5];
	struct tcp_seg got;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 8, 7, &h->lsock), 0);
	for (int i = 0; i < 5; i++)
		c[i] = open_from(h, S(1), (uint16_t)(20000 + i), &iss[i]);
	/* closed in order: each sends its FIN and stays in FIN-WAIT-1 (no ACK comes) */
	for (int i = 0; i < 5; i++) {
		assert_int_equal(stack_tcp_close(h->s, S(2 + i), c[i]), 0);
		assert_true(h_pop(h, &got));
		assert_int_equal(got.flags, TCP_FLAG_FIN | TCP_FLAG_ACK);
		assert_int_equal(got.dport, 20000 + i);
		if (i < 3) {
			h_expect_nothing(h);
			continue;
		}
		/* over the bound: the oldest orphan is reset, <SEQ=SND.NXT><CTL=RST> */
		assert_true(h_pop(h, &got));
		assert_int_equal(got.flags, TCP_FLAG_RST);
		assert_int_equal(got.dport, 20000 + i - 3);
		assert_int_equal(got.seq, iss[i - 3] + 2);
		h_expect_nothing(h);
	}
	assert_int_equal(h->s->tcp.norphans, 3);
	assert_int_equal(h->s->ctr.v[STACK_CTR_SynackTcpOrphans], 3);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPAbortOnMemory], 2);
	assert_null(h_conn(h, c[0]));
	assert_null(h_conn(h, c[1]));
	for (int i = 2; i < 5; i++)
		assert_int_equal(h_conn(h, c[i])->state, TCP_FIN_WAIT_1);
	/* an orphan that ends on its own leaves the count */
	h_send(h, S(8), SEG(.sport = 20002, .seq = RNXT, .ack = iss[2] + 2), NULL);
	assert_int_equal(h_conn(h, c[2])->state, TCP_FIN_WAIT_2);
	h_send(h, S(8),
	       SEG(.sport = 20002, .seq = RNXT, .ack = iss[2] + 2,
		   .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	h_drain(h);
	assert_int_equal(h->s->tcp.norphans, 2);
	assert_int_equal(h->s->ctr.v[STACK_CTR_SynackTcpOrphans], 2);
	h_free(h);
}

/*
 * Orphans per account: connections of accounts 1000 and 2000 closed in turn;
 * each account counts its own, and reaping 1000's resets its oldest only,
 * <SEQ=SND.NXT><CTL=RST>, leaving 2000's alone. An orphan that ends by itself
 * leaves its account's count too.
 */
static void test_account_orphans(void **state)
{
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct harness *h = h_new(NULL);
	uint32_t iss[4], acct[4] = { 2000, 1000, 1000, 2000 };
	stack_sock c[4];
	struct tcp_seg got;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 8, 7, &h->lsock), 0);
	for (int i = 0; i < 4; i++) {
		c[i] = open_from(h, S(1), (uint16_t)(21000 + i), &iss[i]);
		assert_int_equal(stack_tcp_set_account(h->s, c[i], acct[i]), 0);
	}
	assert_int_equal(stack_tcp_account_orphans(h->s, 1000), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(stack_tcp_close(h->s, S(2 + i), c[i]), 0);
		h_drain(h);
	}
	assert_int_equal(stack_tcp_account_orphans(h->s, 1000), 2);
	assert_int_equal(stack_tcp_account_orphans(h->s, 2000), 2);
	assert_int_equal(stack_tcp_account_orphans(h->s, 3000), 0);
	assert_int_equal(stack_tcp_account_reap(h->s, S(7), 3000), -ENOENT);

	/* 1000's oldest is c[1], though 2000's c[0] was closed before it */
	assert_int_equal(stack_tcp_account_reap(h->s, S(7), 1000), 0);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.flags, TCP_FLAG_RST);
	assert_int_equal(got.dport, 21001);
	assert_int_equal(got.seq, iss[1] + 2);
	h_expect_nothing(h);
	assert_null(h_conn(h, c[1]));
	assert_int_equal(stack_tcp_account_orphans(h->s, 1000), 1);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPAbortOnMemory], 1);

	/* 2000's c[3] ends on its own (FIN ACKed, peer's FIN): its count drops */
	h_send(h, S(8), SEG(.sport = 21003, .seq = RNXT, .ack = iss[3] + 2), NULL);
	h_send(h, S(8),
	       SEG(.sport = 21003, .seq = RNXT, .ack = iss[3] + 2,
		   .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	h_drain(h);
	assert_int_equal(stack_tcp_account_orphans(h->s, 2000), 1);
	assert_int_equal(stack_tcp_account_reap(h->s, S(9), 1000), 0);
	assert_int_equal(stack_tcp_account_reap(h->s, S(9), 1000), -ENOENT);
	assert_int_equal(stack_tcp_account_orphans(h->s, 1000), 0);
	assert_int_equal(h->s->tcp.norphans, 1);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zero_window_orphan),
		cmocka_unit_test(test_orphan_retransmissions),
		cmocka_unit_test(test_max_orphans),
		cmocka_unit_test(test_account_orphans),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
