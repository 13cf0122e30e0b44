/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-cc.c - the congestion control algorithms on their own, in
 * virtual time: CUBIC's curve (RFC 9438 §4.2: K and W_cubic(t) against the
 * formula computed here in floating point), the Reno-friendly region
 * (§4.3), fast convergence (§4.7), HyStart++ leaving slow start on an RTT
 * increase after exact round counts (RFC 9406 §4.2), slow start's per-ACK
 * limits applied per ACK a stretch ACK stands for, and saturation: no ACK,
 * however large, wraps cwnd.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tcp/tcp_cc.h"

#define SMSS   1000u
#define SEG(n) ((uint32_t)(n)*SMSS)

/* RFC 9438 §4.2 in seconds and segments, the independent reference. */
static double ref_k(double w_max, double cwnd_epoch)
{
	return cbrt((w_max - cwnd_epoch) / 0.4);
}

static double ref_w(double w_max, double k, double t)
{
	return 0.4 * (t - k) * (t - k) * (t - k) + w_max;
}

static void test_cbrt_exact(void **state)
{
	static const uint64_t xs[] = { 0,  1,	7,    8,    9,	       26,	   27,
				       28, 999, 1000, 1001, 123456789, 1ull << 62, UINT64_MAX };

	for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
		uint64_t r = tcp_cc_cubic_cbrt(xs[i]);
		unsigned __int128 lo = (unsigned __int128)r * r * r;
		unsigned __int128 hi = (unsigned __int128)(r + 1) * (r + 1) * (r + 1);

		assert_true(lo <= xs[i] && xs[i] < hi);
	}
	for (uint64_t x = 0; x < 100000; x += 7) {
		uint64_t r = tcp_cc_cubic_cbrt(x);

		assert_true(r * r * r <= x && x < (r + 1) * (r + 1) * (r + 1));
	}
}

/* K and W_cubic(t) at several t, concave and convex, against the formula. */
static void test_cubic_curve(void **state)
{
	uint64_t k = tcp_cc_cubic_k_ms(SEG(100), SEG(70), SMSS);
	double rk = ref_k(100, 70); /* cbrt(75) = 4.217 s */
	static const double ts[] = { 0, 1, 2.5, 4, 4.217, 5, 6, 8, 10 };

	assert_in_range(k, (uint64_t)(rk * 1000) - 1, (uint64_t)(rk * 1000) + 1);
	/* no drop (W_max <= cwnd_epoch): K = 0 */
	assert_int_equal(tcp_cc_cubic_k_ms(SEG(50), SEG(70), SMSS), 0);
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		double want = ref_w(100, rk, ts[i]) * SMSS;
		double got = tcp_cc_cubic_w(SEG(100), k, (uint64_t)(ts[i] * 1000), SMSS);

		print_message("t=%.3f W=%.0f want %.0f\n", ts[i], got, want);
		/* K is whole ms: one ms of slope, and a byte of rounding */
		assert_true(fabs(got - want) <= 0.4 * 3 * pow(fabs(ts[i] - rk) + 0.01, 2) + 2);
	}
	/* far out the curve saturates at the ceiling instead of wrapping */
	assert_int_equal(tcp_cc_cubic_w(TCP_CC_CWND_MAX, 0, 100000000, 65535), TCP_CC_CWND_MAX);
	assert_int_equal(tcp_cc_cubic_w(SEG(10), 100000000, 0, 65535), 0);
}

static void cc_start(struct tcp_cc *cc, const struct tcp_cc_ops *ops)
{
	memset(cc, 0, sizeof(*cc));
	cc->ops = ops;
	tcp_cc_init(cc, SMSS, 10);
}

/* One RTT of ACKs, one per segment of cwnd, all with the window in use. */
static void cc_round(struct tcp_cc *cc, stack_time_us *now, uint64_t rtt_us, tcp_seq *una)
{
	uint32_t n = cc->cwnd / SMSS;

	for (uint32_t i = 0; i < n; i++) {
		struct tcp_cc_ack a = {
			.now = *now + rtt_us * i / n,
			.acked = SMSS,
			.ack = *una + SMSS,
			.snd_nxt = *una + cc->cwnd,
			.has_rtt = true,
			.rtt_us = rtt_us,
			.srtt_us = rtt_us,
			.cwnd_limited = true,
		};

		*una += SMSS;
		cc->ops->on_ack(cc, &a);
	}
	*now += rtt_us;
}

/* A loss at cwnd = 100 segments, recovery, then the window follows W_cubic(t + RTT). */
static void test_cubic_follows_curve(void **state)
{
	struct tcp_cc cc;
	stack_time_us now = 1000000, t0;
	tcp_seq una = 0;
	double rk = ref_k(100, 70);

	cc_start(&cc, &tcp_cc_cubic);
	cc.cwnd = SEG(100);
	cc.ssthresh = SEG(50); /* congestion avoidance, no loss yet */
	cc.ops->enter_recovery(&cc, SEG(100));
	assert_int_equal(cc.ssthresh, SEG(70)); /* beta_cubic = 0.7 */
	assert_int_equal(cc.u.cubic.w_max, SEG(100));
	cc.ops->on_exit_recovery(&cc, SEG(70));
	assert_int_equal(cc.cwnd, SEG(70));
	t0 = now;
	/* RTT 100 ms: Reno-friendly growth (9/17 segment per RTT) stays below the curve */
	while (now - t0 < 10000000) {
		double t = (double)(now - t0) / 1e6;
		double want = ref_w(100, rk, t + 0.1);

		cc_round(&cc, &now, 100000, &una);
		if (want < 70)
			want = 70;
		/* within two segments of W_cubic(t + RTT) (the target moves during the round) */
		assert_true(fabs((double)cc.cwnd / SMSS - want) < 2.0 + 0.06 * want);
	}
	/* at 10 s: 0.4 (10 - 4.217)^3 + 100 = 177 segments; the 1.5x-per-RTT bound holds */
	assert_in_range(cc.cwnd, SEG(170), SEG(185));
}

/*
 * RFC 9438 §4.3 at a 1 ms RTT: W_cubic barely moves in 100 ms while W_est
 * grows by 9/17 segment per RTT up to cwnd_prior and one per RTT after; cwnd
 * is W_est. The reference runs the RFC's per-ACK rule in floating point.
 */
static void test_cubic_reno_friendly(void **state)
{
	struct tcp_cc cc;
	stack_time_us now = 1000000, t0;
	tcp_seq una = 0;
	double w_est = 14, cwnd = 14, rk = ref_k(20, 14);

	cc_start(&cc, &tcp_cc_cubic);
	cc.cwnd = SEG(20);
	cc.ssthresh = SEG(10);
	cc.ops->enter_recovery(&cc, SEG(20));
	cc.ops->on_exit_recovery(&cc, SEG(20));
	assert_int_equal(cc.cwnd, SEG(14));
	t0 = now;
	while (now - t0 < 100000) {
		uint32_t n = cc.cwnd / SMSS;

		/* the reference's round: the same number of ACKs */
		for (uint32_t i = 0; i < n; i++) {
			double t = (double)(now - t0) / 1e6;

			w_est += (w_est >= 20 ? 1.0 : 9.0 / 17) / cwnd;
			if (ref_w(20, rk, t) < w_est && w_est > cwnd)
				cwnd = w_est;
		}
		cc_round(&cc, &now, 1000, &una);
	}
	print_message("cwnd %u bytes, reference %.0f\n", cc.cwnd, cwnd * SMSS);
	assert_true(cwnd > 100); /* well into the region: ~ 14 + 6 + 88 */
	assert_true(fabs((double)cc.cwnd - cwnd * SMSS) < 0.02 * cwnd * SMSS);
}

/* §4.7: a loss before W_max was regained lowers W_max to cwnd (1 + beta) / 2. */
static void test_cubic_fast_convergence(void **state)
{
	struct tcp_cc cc;

	cc_start(&cc, &tcp_cc_cubic);
	cc.cwnd = SEG(100);
	cc.ssthresh = SEG(50);
	cc.ops->enter_recovery(&cc, SEG(100));
	cc.ops->on_exit_recovery(&cc, SEG(70));
	assert_int_equal(cc.u.cubic.w_max, SEG(100));
	/* the second loss, at 70 < W_max = 100 */
	cc.ops->enter_recovery(&cc, SEG(70));
	assert_int_equal(cc.u.cubic.w_max, SEG(70) * 17 / 20); /* 59.5 segments */
	assert_int_equal(cc.ssthresh, SEG(49));
	assert_int_equal(cc.u.cubic.cwnd_prior, SEG(70));
	/* a loss above W_max takes cwnd as it is */
	cc.ops->on_exit_recovery(&cc, SEG(49));
	cc.cwnd = SEG(90);
	cc.ops->on_rto(&cc, SEG(90));
	assert_int_equal(cc.u.cubic.w_max, SEG(90));
	assert_int_equal(cc.cwnd, SMSS); /* §4.8: the loss window */
	assert_int_equal(cc.ssthresh, SEG(63));
}

/*
 * RFC 9406 §4.2 in rounds: the RTT is 10 ms for three rounds, then 20 ms.
 * The fourth round's eighth sample starts CSS (20 >= 10 + max(4 ms, 10/8));
 * CSS grows a quarter as fast and ends slow start when its fifth round ends
 * (ssthresh = cwnd at the first ACK of round nine).
 */
static void test_hystart_exits_on_rtt_increase(void **state)
{
	struct tcp_cc cc;
	stack_time_us now = 0;
	tcp_seq una = 0, round_end = 0;
	unsigned round = 0, in_round = 0, css_round = 0, css_ack = 0;

	cc_start(&cc, &tcp_cc_cubic);
	assert_int_equal(cc.ssthresh, UINT32_MAX);
	for (int i = 0; i < 100000 && cc.ssthresh == UINT32_MAX; i++) {
		tcp_seq nxt = una + cc.cwnd;
		uint32_t before = cc.cwnd;
		bool css_before = cc.u.cubic.hs.in_css;
		struct tcp_cc_ack a = { .now = now,
					.acked = SMSS,
					.ack = una + SMSS,
					.snd_nxt = nxt,
					.has_rtt = true,
					.cwnd_limited = true };

		if (round == 0 || seq_ge(a.ack, round_end)) {
			round++;
			in_round = 0;
			round_end = nxt;
		}
		in_round++;
		a.rtt_us = round <= 3 ? 10000 : 20000;
		a.srtt_us = a.rtt_us;
		una += SMSS;
		now += 100;
		cc.ops->on_ack(&cc, &a);
		if (cc.ssthresh != UINT32_MAX)
			break;
		if (cc.u.cubic.hs.in_css && !css_round) {
			css_round = round;
			css_ack = in_round;
		}
		/* slow start adds an SMSS per ACK, CSS a quarter of one */
		assert_int_equal(cc.cwnd - before, css_before ? SMSS / 4 : SMSS);
	}
	assert_int_equal(css_round, 4);
	assert_int_equal(css_ack, 8);
	assert_int_equal(round, 9);
	assert_int_equal(in_round, 1);
	assert_int_equal(cc.ssthresh, cc.cwnd);
	/* from here congestion avoidance */
	assert_true(cc.cwnd >= cc.ssthresh);
}

/* RFC 9406 §4.2: an RTT back below CSS's baseline resumes slow start. */
static void test_hystart_css_spike_resumes(void **state)
{
	struct tcp_cc cc;
	stack_time_us now = 0;
	tcp_seq una = 0, round_end = 0;
	unsigned round = 0;
	bool saw_css = false;

	cc_start(&cc, &tcp_cc_cubic);
	for (int i = 0; i < 2000 && round <= 6; i++) {
		tcp_seq nxt = una + cc.cwnd;
		struct tcp_cc_ack a = { .now = now,
					.acked = SMSS,
					.ack = una + SMSS,
					.snd_nxt = nxt,
					.has_rtt = true,
					.cwnd_limited = true };

		if (round == 0 || seq_ge(a.ack, round_end)) {
			round++;
			round_end = nxt;
		}
		a.rtt_us = round == 4 ? 20000 : 10000;
		una += SMSS;
		cc.ops->on_ack(&cc, &a);
		if (round == 4 && cc.u.cubic.hs.in_css)
			saw_css = true;
	}
	assert_true(saw_css);
	assert_false(cc.u.cubic.hs.in_css);
	assert_int_equal(cc.ssthresh, UINT32_MAX);
}

/* Fewer than N_RTT_SAMPLE samples per round: no decision, plain slow start. */
static void test_hystart_needs_samples(void **state)
{
	struct tcp_cc cc;
	tcp_seq una = 0, round_end = 0;
	unsigned round = 0, in_round = 0;

	cc_start(&cc, &tcp_cc_cubic);
	for (int i = 0; i < 300; i++) {
		struct tcp_cc_ack a = { .acked = SMSS,
					.ack = una + SMSS,
					.snd_nxt = una + cc.cwnd,
					.cwnd_limited = true };

		if (round == 0 || seq_ge(a.ack, round_end)) {
			round++;
			in_round = 0;
			round_end = a.snd_nxt;
		}
		/* seven samples a round, each round's RTT 10 ms above the last */
		a.has_rtt = ++in_round <= 7;
		a.rtt_us = 10000u * round;
		una += SMSS;
		cc.ops->on_ack(&cc, &a);
		assert_false(cc.u.cubic.hs.in_css);
	}
	assert_int_equal(cc.cwnd, SEG(310));
	assert_int_equal(cc.ssthresh, UINT32_MAX);
}

/* ACKs of any size, at any cwnd, for both algorithms: no wrap, no ceiling broken. */
static void test_cc_saturates(void **state)
{
	static const uint32_t ackeds[] = { 1, SMSS, 65535, 1u << 30, UINT32_MAX };
	const struct tcp_cc_ops *algos[] = { &tcp_cc_cubic, &tcp_cc_newreno };

	for (size_t a = 0; a < 2; a++) {
		for (size_t i = 0; i < sizeof(ackeds) / sizeof(ackeds[0]); i++) {
			for (int ss = 0; ss < 2; ss++) {
				struct tcp_cc cc;
				stack_time_us now = 1;
				tcp_seq una = 0;

				cc_start(&cc, algos[a]);
				cc.cwnd = TCP_CC_CWND_MAX - 10;
				if (!ss) {
					cc.ssthresh = SEG(10);
					cc.u.cubic.w_max = UINT32_MAX; /* garbage must not matter */
				}
				for (int n = 0; n < 50; n++) {
					uint32_t before = cc.cwnd;
					struct tcp_cc_ack x = { .now = now,
								.acked = ackeds[i],
								.ack = una + ackeds[i],
								.snd_nxt = una + ackeds[i],
								.srtt_us = 1000 };

					now += 1000000;
					tcp_cc_on_send(&cc, now, UINT32_MAX);
					tcp_cc_ack(&cc, &x, UINT32_MAX);
					una += ackeds[i];
					assert_true(cc.cwnd >= before);
					assert_true(cc.cwnd <= TCP_CC_CWND_MAX);
				}
				cc.ops->enter_recovery(&cc, UINT32_MAX);
				assert_true(cc.ssthresh <= TCP_CC_CWND_MAX);
				assert_true(cc.cwnd <= TCP_CC_CWND_MAX && cc.cwnd >= SEG(2));
				for (int n = 0; n < 10; n++)
					cc.ops->on_dupack(&cc);
				assert_true(cc.cwnd <= TCP_CC_CWND_MAX);
				cc.ops->on_partial_ack(&cc, UINT32_MAX);
				assert_true(cc.cwnd >= SMSS);
				cc.ops->on_exit_recovery(&cc, UINT32_MAX);
				assert_true(cc.cwnd <= TCP_CC_CWND_MAX && cc.cwnd >= SMSS);
				cc.ops->on_rto(&cc, UINT32_MAX);
				assert_int_equal(cc.cwnd, SMSS);
			}
		}
	}
}

/* Slow start's growth from one ACK of acked bytes at cwnd 100 segments;
 * ssthresh finite (CUBIC after a loss, NewReno) or not (HyStart++). */
static uint32_t ss_growth(const struct tcp_cc_ops *ops, uint32_t ssthresh, uint32_t acked,
			  bool after_rto)
{
	struct tcp_cc cc;
	struct tcp_cc_ack a = { .acked = acked,
				.ack = acked,
				.snd_nxt = 4 * acked,
				.cwnd_limited = true,
				.after_rto = after_rto };
	uint32_t before;

	cc_start(&cc, ops);
	cc.cwnd = SEG(100);
	cc.ssthresh = ssthresh;
	before = cc.cwnd;
	cc.ops->on_ack(&cc, &a);
	return cc.cwnd - before;
}

/*
 * RFC 5681's SMSS per ACK in slow start (NewReno; CUBIC after a loss) holds
 * per ACK a receiver ACKing every second segment would have sent
 * (tcp_cc.h): an ACK for up to two segments grows as before, one for 44
 * (the kernel's ACK of a 64 KiB TSO frame) as the 22 ACKs it stands for,
 * up to ssthresh; after a retransmission timeout an ACK counts as one.
 * HyStart++ grows by every byte ACKed. Before: a 44-segment ACK grew cwnd
 * by 1 segment (8 under HyStart++), so that slow start against a receiver
 * ACKing each TSO frame grew a few segments a round trip.
 */
static void test_slow_start_stretch_acks(void **state)
{
	for (int i = 0; i < 2; i++) {
		const struct tcp_cc_ops *ops = i ? &tcp_cc_cubic : &tcp_cc_newreno;
		uint32_t ss = SEG(1000);

		assert_int_equal(ss_growth(ops, ss, SMSS / 2, false), SMSS / 2);
		assert_int_equal(ss_growth(ops, ss, SEG(1), false), SEG(1));
		assert_int_equal(ss_growth(ops, ss, SEG(2), false), SEG(1));
		assert_int_equal(ss_growth(ops, ss, SEG(2) + 1, false), SEG(1) + 1);
		assert_int_equal(ss_growth(ops, ss, SEG(3), false), SEG(2));
		assert_int_equal(ss_growth(ops, ss, SEG(44), false), SEG(22));
		assert_int_equal(ss_growth(ops, ss, SEG(45), false), SEG(23));
		assert_int_equal(ss_growth(ops, ss, UINT32_MAX, false), SEG(900));
		/* up to ssthresh, never less than one ACK's SMSS */
		assert_int_equal(ss_growth(ops, SEG(110), SEG(44), false), SEG(10));
		assert_int_equal(ss_growth(ops, SEG(100) + 1, SEG(44), false), SEG(1));
		/* after a timeout: one ACK, whatever it covers (RFC 3465 §2.3) */
		assert_int_equal(ss_growth(ops, ss, SEG(44), true), SEG(1));
	}
	/* HyStart++: every byte ACKed, L = infinity (tcp_cc_hystart.c) */
	assert_int_equal(ss_growth(&tcp_cc_cubic, UINT32_MAX, SEG(2), false), SEG(2));
	assert_int_equal(ss_growth(&tcp_cc_cubic, UINT32_MAX, SEG(44), false), SEG(44));
	assert_int_equal(ss_growth(&tcp_cc_cubic, UINT32_MAX, UINT32_MAX / 2, false),
			 TCP_CC_CWND_MAX - SEG(100));
}

/* Validation: a window not used to half does not grow, for either algorithm. */
static void test_cc_validation_no_growth(void **state)
{
	const struct tcp_cc_ops *algos[] = { &tcp_cc_cubic, &tcp_cc_newreno };

	for (size_t a = 0; a < 2; a++) {
		struct tcp_cc cc;
		tcp_seq una = 0;

		cc_start(&cc, algos[a]);
		for (int n = 0; n < 1000; n++) {
			struct tcp_cc_ack x = { .now = (stack_time_us)n * 10000,
						.acked = 2000,
						.ack = una + 2000,
						.snd_nxt = una + 2000 };

			tcp_cc_on_send(&cc, x.now, 2000); /* 2000 bytes in flight at most */
			tcp_cc_ack(&cc, &x, 1u << 20);
			una += 2000;
		}
		assert_int_equal(cc.cwnd, SEG(10));
		/* at 8000 bytes in flight, growth stops at twice that: 16000 */
		for (int n = 0; n < 1000; n++) {
			struct tcp_cc_ack x = { .now = (stack_time_us)n * 10000,
						.acked = 8000,
						.ack = una + 8000,
						.snd_nxt = una + 8000 };

			tcp_cc_on_send(&cc, x.now, 8000);
			tcp_cc_ack(&cc, &x, 1u << 20);
			una += 8000;
		}
		assert_int_equal(cc.cwnd, 16000);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cbrt_exact),
		cmocka_unit_test(test_cubic_curve),
		cmocka_unit_test(test_cubic_follows_curve),
		cmocka_unit_test(test_cubic_reno_friendly),
		cmocka_unit_test(test_cubic_fast_convergence),
		cmocka_unit_test(test_hystart_exits_on_rtt_increase),
		cmocka_unit_test(test_hystart_css_spike_resumes),
		cmocka_unit_test(test_hystart_needs_samples),
		cmocka_unit_test(test_cc_saturates),
		cmocka_unit_test(test_slow_start_stretch_acks),
		cmocka_unit_test(test_cc_validation_no_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
