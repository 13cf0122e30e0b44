/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-rtt.c - unit tests of tcp/tcp_rtt.c: the RFC 6298 §2 estimator on
 * a sequence of samples with values worked out by hand, the clock-granularity
 * floor, clamping to the tunables, and §5.5 backoff without overflow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tcp/tcp_rtt.h"

#define MS	 1000ull
#define RTO_MIN	 (200 * MS)
#define RTO_MAX	 (120000 * MS)
#define RTO_INIT (1000 * MS)

static void test_rtt_initial(void **state)
{
	struct tcp_rtt r;

	tcp_rtt_init(&r, RTO_INIT);
	assert_false(r.has_sample);
	assert_int_equal(tcp_rtt_timeout(&r, RTO_MIN, RTO_MAX), RTO_INIT);
	tcp_rtt_backoff(&r);
	assert_int_equal(tcp_rtt_timeout(&r, RTO_MIN, RTO_MAX), 2 * RTO_INIT);
}

static void test_rtt_samples(void **state)
{
	struct tcp_rtt r;

	tcp_rtt_init(&r, RTO_INIT);
	/* first: SRTT = R = 100 ms, RTTVAR = 50 ms, RTO = 100 + 200 = 300 ms */
	tcp_rtt_sample(&r, 100 * MS, RTO_MIN, RTO_MAX);
	assert_int_equal(r.srtt_us, 100000);
	assert_int_equal(r.rttvar_us, 50000);
	assert_int_equal(r.rto_us, 300000);
	/* R = 200: RTTVAR = (3*50 + 100)/4 = 62.5, SRTT = (700 + 200)/8 = 112.5,
	 * RTO = 112500 + 250000 */
	tcp_rtt_sample(&r, 200 * MS, RTO_MIN, RTO_MAX);
	assert_int_equal(r.rttvar_us, 62500);
	assert_int_equal(r.srtt_us, 112500);
	assert_int_equal(r.rto_us, 362500);
	/* R = 50: |112500 - 50000| = 62500; RTTVAR = (187500 + 62500)/4 = 62500;
	 * SRTT = (787500 + 50000)/8 = 104687 (truncated) */
	tcp_rtt_sample(&r, 50 * MS, RTO_MIN, RTO_MAX);
	assert_int_equal(r.rttvar_us, 62500);
	assert_int_equal(r.srtt_us, 104687);
	assert_int_equal(r.rto_us, 104687 + 250000);
	assert_int_equal(tcp_rtt_timeout(&r, RTO_MIN, RTO_MAX), 354687);
}

static void test_rtt_granularity_and_clamp(void **state)
{
	struct tcp_rtt r;

	tcp_rtt_init(&r, RTO_INIT);
	/* tiny RTTs: 4*RTTVAR under G, so G (1 ms) is added, then the minimum applies */
	tcp_rtt_sample(&r, 100, 0, RTO_MAX);
	assert_int_equal(r.rto_us, 100 + 1000);
	for (int i = 0; i < 50; i++)
		tcp_rtt_sample(&r, 100, 0, RTO_MAX);
	assert_int_equal(r.srtt_us, 100);
	assert_int_equal(r.rttvar_us, 0);
	assert_int_equal(r.rto_us, 100 + TCP_RTT_CLOCK_G_US);
	tcp_rtt_sample(&r, 100, RTO_MIN, RTO_MAX);
	assert_int_equal(r.rto_us, RTO_MIN);
	/* a huge sample is capped at the maximum */
	tcp_rtt_sample(&r, 500000 * MS, RTO_MIN, RTO_MAX);
	assert_int_equal(r.rto_us, RTO_MAX);
	/* an absurd one does not overflow */
	tcp_rtt_init(&r, RTO_INIT);
	tcp_rtt_sample(&r, UINT64_MAX, RTO_MIN, UINT64_MAX);
	tcp_rtt_sample(&r, UINT64_MAX, RTO_MIN, UINT64_MAX);
	assert_true(r.rto_us >= r.srtt_us);
}

static void test_rtt_backoff(void **state)
{
	struct tcp_rtt r;

	tcp_rtt_init(&r, RTO_INIT);
	tcp_rtt_sample(&r, 100 * MS, RTO_MIN, RTO_MAX); /* RTO 300 ms */
	for (uint32_t b = 1; b <= 8; b++) {
		tcp_rtt_backoff(&r);
		assert_int_equal(r.backoff, b);
		assert_int_equal(tcp_rtt_timeout(&r, RTO_MIN, RTO_MAX), (300 * MS) << b);
	}
	/* 300 ms << 9 = 153.6 s: capped at 120 s, and stays there to backoff 60 and beyond */
	for (uint32_t b = 9; b <= 100; b++) {
		tcp_rtt_backoff(&r);
		assert_int_equal(tcp_rtt_timeout(&r, RTO_MIN, RTO_MAX), RTO_MAX);
	}
	r.backoff = 60;
	assert_int_equal(tcp_rtt_timeout(&r, RTO_MIN, RTO_MAX), RTO_MAX);
	r.backoff = UINT32_MAX;
	tcp_rtt_backoff(&r);
	assert_int_equal(r.backoff, UINT32_MAX);
	assert_int_equal(tcp_rtt_timeout(&r, RTO_MIN, RTO_MAX), RTO_MAX);
	/* a new sample resets the backoff (RFC 6298 §5.7 via §2.3) */
	tcp_rtt_sample(&r, 100 * MS, RTO_MIN, RTO_MAX);
	assert_int_equal(r.backoff, 0);
	assert_int_equal(tcp_rtt_timeout(&r, RTO_MIN, RTO_MAX), r.rto_us);
	/* the minimum also bounds the timeout when the tunables change later */
	assert_int_equal(tcp_rtt_timeout(&r, 10 * 1000 * MS, RTO_MAX), 10 * 1000 * MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtt_initial),
		cmocka_unit_test(test_rtt_samples),
		cmocka_unit_test(test_rtt_granularity_and_clamp),
		cmocka_unit_test(test_rtt_backoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
