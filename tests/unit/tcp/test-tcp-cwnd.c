/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-cwnd.c - the congestion window as the engine moves it, segment by
 * segment: cwnd validation (RFC 7661: no growth while the application or the
 * peer's window limits the sender), the restart window after idle
 * (RFC 5681 §4.1), and a window that cannot wrap (uint32).
 */
#include <string.h>

#include "harness.h"

#define MS(x) ((stack_time_us)(x)*1000)
#define S(x)  ((stack_time_us)(x)*1000000)
#define RNXT  (H_REMOTE_ISN + 1)
#define IW    (10u * 1460)

static uint8_t data[1 << 20];

static void tweak_big_sndbuf(struct stack_config *cfg)
{
	cfg->tun.send_buffer = 1 << 20;
}

/* Pop everything the stack emitted; the right edges of its segments in ends[]. */
static unsigned pop_all(struct harness *h, tcp_seq *ends, unsigned max)
{
	struct tcp_seg got;
	unsigned n = 0;

	while (h_pop(h, &got)) {
		assert_true(n < max);
		ends[n++] = got.seq + got.len;
	}
	return n;
}

/* Keep the send buffer full; refill from data[] as far as it takes. */
static void fill(struct harness *h, stack_time_us t)
{
	while (stack_tcp_send(h->s, t, h->sock, data, sizeof(data)) > 0)
		;
}

/* Rounds of: the sender sends what it may, the peer ACKs every segment one RTT later. */
static void bulk(struct harness *h, stack_time_us *t, unsigned rounds, uint16_t wnd)
{
	tcp_seq ends[512];

	for (unsigned r = 0; r < rounds; r++) {
		unsigned n;

		fill(h, *t);
		n = pop_all(h, ends, 512);
		*t += MS(1);
		for (unsigned i = 0; i < n; i++)
			h_send(h, *t, SEG(.seq = RNXT, .ack = ends[i], .wnd = wnd), NULL);
	}
}

/*
 * RFC 7661 §4.3: the peer's window (64 KiB here) limits what is in flight,
 * so cwnd must not grow far past it. Before: cwnd grew by an SMSS per ACK
 * without bound (50 MB against a 4 MiB window in the field).
 */
static void test_cwnd_bounded_by_peer_window(void **state)
{
	struct harness *h = h_new(tweak_big_sndbuf);
	stack_time_us t = MS(1);

	h_establish_passive(h, 0);
	bulk(h, &t, 400, 65535);
	assert_true(h_conn(h, h->sock)->bytes_acked > 10u << 20);
	/* at most twice what can be in flight (RFC 7661: validated while pipeACK >= cwnd/2) */
	assert_in_range(h_conn(h, h->sock)->cc.cwnd, IW, 2u * 65535 + 2 * 1460);
	h_free(h);
}

/*
 * RFC 7661 §4.3: an application that writes 1000 bytes per RTT never uses
 * more than 1000 bytes of its window, so the window stays at the initial one.
 */
static void test_cwnd_app_limited(void **state)
{
	struct harness *h = h_new(NULL);
	stack_time_us t = MS(1);
	tcp_seq ends[8];

	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_NODELAY, 1), 0);
	for (unsigned r = 0; r < 500; r++) {
		unsigned n;

		assert_int_equal(stack_tcp_send(h->s, t, h->sock, data, 1000), 1000);
		n = pop_all(h, ends, 8);
		assert_int_equal(n, 1);
		t += MS(1);
		h_send(h, t, SEG(.seq = RNXT, .ack = ends[0], .wnd = 65535), NULL);
		t += MS(9);
	}
	/* bounded by max(initial window, 2 x the most ever in flight) */
	assert_in_range(h_conn(h, h->sock)->cc.cwnd, IW, IW);
	h_free(h);
}

/*
 * RFC 5681 §4.1: after an idle period longer than the RTO, the first burst
 * is at most the restart window, min(IW, cwnd). Before: the whole grown
 * window went out in one burst.
 */
static void test_cwnd_restart_after_idle(void **state)
{
	struct harness *h = h_new(tweak_big_sndbuf);
	stack_time_us t = MS(1);
	tcp_seq ends[512];
	uint32_t una;
	unsigned n;

	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_NODELAY, 1), 0);
	/* grow cwnd past the initial window with a transfer that drains */
	assert_int_equal(stack_tcp_send(h->s, t, h->sock, data, 300000), 300000);
	for (int r = 0; r < 100; r++) {
		n = pop_all(h, ends, 512);
		if (!n)
			break;
		t += MS(1);
		for (unsigned i = 0; i < n; i++)
			h_send(h, t, SEG(.seq = RNXT, .ack = ends[i], .wnd = 65535), NULL);
	}
	una = h_conn(h, h->sock)->snd_una;
	assert_int_equal(una, h->iss + 1 + 300000);
	assert_true(h_conn(h, h->sock)->cc.cwnd >= 3 * IW);
	/* five seconds of silence, far beyond the RTO */
	t += S(5);
	h_poll(h, t);
	h_drain(h);
	assert_int_equal(stack_tcp_send(h->s, t, h->sock, data, 60000), 60000);
	n = pop_all(h, ends, 512);
	assert_int_equal(ends[n - 1] - una, IW);
	h_free(h);
}

/* cwnd is a uint32 of bytes: growth at its top must saturate, never wrap to a tiny window. */
static void test_cwnd_cannot_wrap(void **state)
{
	struct harness *h = h_new(NULL);
	struct tcp_conn *c;
	tcp_seq ends[64];
	unsigned n;

	h_establish_passive(h, 0);
	c = h_conn(h, h->sock);
	c->cc.cwnd = UINT32_MAX - 100;
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_NODELAY, 1), 0);
	assert_int_equal(stack_tcp_send(h->s, MS(1), h->sock, data, 1460), 1460);
	n = pop_all(h, ends, 64);
	assert_int_equal(n, 1);
	h_send(h, MS(2), SEG(.seq = RNXT, .ack = ends[0], .wnd = 65535), NULL);
	assert_true(c->cc.cwnd >= 2 * 1460);
	assert_true(c->cc.cwnd <= 1u << 30);
	h_free(h);
}

static void tweak_ts_4mib(struct stack_config *cfg)
{
	cfg->tun.timestamps = 1;
	cfg->tun.window_scaling = 1;
	cfg->tun.send_buffer = 4 << 20;
}

/* Passive open with timestamps and the peer's window scale 7 (so 32768 means 4 MiB). */
static void establish_ts(struct harness *h)
{
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct tcp_seg sa;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 4, 1, &h->lsock), 0);
	h_send(h, MS(1),
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.has_mss = true,
		   .opt.mss = H_MSS, .opt.has_ts = true, .opt.tsval = 1, .opt.wscale = 7),
	       NULL);
	assert_true(h_pop(h, &sa));
	h->iss = sa.seq;
	h_send(h, MS(2),
	       SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 32768, .opt.has_ts = true, .opt.tsval = 2,
		   .opt.tsecr = sa.opt.tsval),
	       NULL);
	assert_int_equal(stack_tcp_accept(h->s, MS(2), h->lsock, 2, &h->sock), 0);
	assert_true(h_conn(h, h->sock)->ts_ok);
	assert_int_equal(h_conn(h, h->sock)->snd_wscale, 7);
}

struct sent {
	tcp_seq end;
	uint32_t tsval;
};

/*
 * Rounds of a bulk transfer against a 4 MiB window, the peer ACKing every
 * segment (TSecr = its TSval) one RTT after the round was sent: rtt_ms[r]
 * for round r. Returns the round in which slow start ended (ssthresh
 * became finite), or 0.
 */
static unsigned ts_rounds(struct harness *h, const unsigned *rtt_ms, unsigned rounds,
			  uint32_t *cwnd_at)
{
	static struct sent cur[4096], next[4096];
	stack_time_us t = MS(10);
	unsigned n = 0, m;
	struct tcp_seg got;

	fill(h, t);
	while (h_pop(h, &got)) {
		assert_true(n < 4096);
		cur[n++] = (struct sent){ got.seq + got.len, got.opt.tsval };
	}
	for (unsigned r = 1; r <= rounds; r++) {
		t += MS(rtt_ms[r]);
		m = 0;
		for (unsigned i = 0; i < n; i++) {
			h_send(h, t,
			       SEG(.seq = RNXT, .ack = cur[i].end, .wnd = 32768, .opt.has_ts = true,
				   .opt.tsval = 3, .opt.tsecr = cur[i].tsval),
			       NULL);
			fill(h, t);
			while (h_pop(h, &got)) {
				assert_true(m < 4096);
				next[m++] = (struct sent){ got.seq + got.len, got.opt.tsval };
			}
		}
		memcpy(cur, next, m * sizeof(cur[0]));
		n = m;
		cwnd_at[r] = h_conn(h, h->sock)->cc.cwnd;
		if (h_conn(h, h->sock)->cc.ssthresh != UINT32_MAX)
			return r;
	}
	return 0;
}

/*
 * RFC 7661 against a 4 MiB window (scale 7), timestamps on, the RTT steady at
 * 10 ms: HyStart++ sees no increase and slow start goes on, but cwnd stops at
 * twice the flight the window allows. Before: 20 MB after 12 rounds (51 MB
 * was seen in the field).
 */
static void test_cwnd_bounded_by_4mib_window(void **state)
{
	static const unsigned steady[13] = { 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10 };
	struct harness *h = h_new(tweak_ts_4mib);
	uint32_t cwnd_at[16];

	establish_ts(h);
	assert_int_equal(ts_rounds(h, steady, 12, cwnd_at), 0);
	assert_int_equal(h_conn(h, h->sock)->cc.ssthresh, UINT32_MAX);
	print_message("steady RTT, 12 rounds: cwnd %u\n", h_conn(h, h->sock)->cc.cwnd);
	assert_in_range(h_conn(h, h->sock)->cc.cwnd, 4u << 20, 8u << 20);
	h_free(h);
}

/*
 * HyStart++ through the engine (RFC 9406), the RTT samples from the peer's
 * TSecr: the RTT goes from 10 to 40 ms in round 4, CSS starts there, and
 * congestion avoidance CSS_ROUNDS (5) rounds later, in round 9, at a window a
 * quarter of where slow start goes with the RTT steady.
 */
static void test_hystart_through_engine(void **state)
{
	static const unsigned steady[13] = { 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10 };
	static const unsigned jump[12] = { 10, 10, 10, 10, 40, 40, 40, 40, 40, 40, 40, 40 };
	struct harness *h = h_new(tweak_ts_4mib);
	uint32_t steady_cwnd, ssthresh, cwnd_at[16];
	unsigned end;

	establish_ts(h);
	assert_int_equal(ts_rounds(h, steady, 9, cwnd_at), 0);
	steady_cwnd = cwnd_at[9];
	h_free(h);

	h = h_new(tweak_ts_4mib);
	establish_ts(h);
	end = ts_rounds(h, jump, 11, cwnd_at);
	ssthresh = h_conn(h, h->sock)->cc.ssthresh;
	print_message("slow start ended in round %u: ssthresh %u, cwnd %u (steady RTT: %u)\n", end,
		      ssthresh, h_conn(h, h->sock)->cc.cwnd, steady_cwnd);
	assert_int_equal(end, 9);
	assert_true(h_conn(h, h->sock)->cc.cwnd >= ssthresh);
	assert_true(ssthresh < steady_cwnd / 4);
	h_free(h);
}

/*
 * The congestion control chosen on a listener (OPTION_CONGESTION) is what
 * its connections run, as nodelay, keepalive and the buffers are: a server
 * that asks for newreno must not get the default. Before: the listener
 * reported newreno, its children ran cubic.
 */
static void test_listener_congestion_inherited(void **state)
{
	struct harness *h = h_new(NULL);
	uint64_t v = 99;

	assert_int_equal(h->s->cfg.tun.congestion_control, STACK_CC_CUBIC);
	{
		struct stack_endpoint local = { 0, H_LOCAL_PORT };
		struct tcp_seg got;

		assert_int_equal(stack_tcp_listen(h->s, 0, &local, 8, 7, &h->lsock), 0);
		assert_int_equal(
			stack_tcp_setopt(h->s, 0, h->lsock, STACK_TCP_CONGESTION, STACK_CC_NEWRENO),
			0);
		h_send(h, 0,
		       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.has_mss = true,
			   .opt.mss = H_MSS),
		       NULL);
		assert_true(h_pop(h, &got));
		h->iss = got.seq;
		h_send(h, 0, SEG(.seq = H_REMOTE_ISN + 1, .ack = h->iss + 1), NULL);
		assert_int_equal(stack_tcp_accept(h->s, 0, h->lsock, 9, &h->sock), 0);
	}
	assert_int_equal(stack_tcp_getopt(h->s, h->sock, STACK_TCP_CONGESTION, &v), 0);
	assert_int_equal(v, STACK_CC_NEWRENO);
	assert_ptr_equal(h_conn(h, h->sock)->cc.ops, &tcp_cc_newreno);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cwnd_bounded_by_peer_window),
		cmocka_unit_test(test_cwnd_app_limited),
		cmocka_unit_test(test_cwnd_restart_after_idle),
		cmocka_unit_test(test_cwnd_cannot_wrap),
		cmocka_unit_test(test_cwnd_bounded_by_4mib_window),
		cmocka_unit_test(test_hystart_through_engine),
		cmocka_unit_test(test_listener_congestion_inherited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
