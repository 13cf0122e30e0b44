/* SPDX-License-Identifier: MIT */
/*
 * test-ctl-history.c - the trace history (daemon/control/ctl_history.c) against
 * tuples a peer chose: ~4,000 SYNs whose 4-tuples all land in one bucket of
 * the unkeyed hash the history used before issue 9. Every lookup must stay
 * within a few ring comparisons (counted, not timed), and the history's
 * memory within its bounds whatever the tuples.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_history.h"
#include "siphash.h"

#define OURS	   0x0a4d0002u /* 10.77.0.2 */
#define CHOSEN	   4000u
#define MAX_CONNS  4096u /* limits.max_conns' default */
#define LIVE_SLACK 256u	 /* as ctl_server.c */

static const uint8_t test_key[16] = { 0x5a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

/* The history's bucket function before issue 9, as anyone could compute it. */
static uint32_t unkeyed_bucket(const struct stack_endpoint *l, const struct stack_endpoint *r)
{
	uint64_t x = ((uint64_t)l->addr << 32 | r->addr) ^
		     ((uint64_t)l->port << 48 | (uint64_t)r->port << 16);

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (uint32_t)(x % 4096);
}

/* n remote endpoints that all share one unkeyed bucket with a SYN to OURS:80. */
static struct stack_endpoint *chosen_tuples(uint32_t n)
{
	struct stack_endpoint l = { .addr = OURS, .port = 80 };
	struct stack_endpoint *v = calloc(n, sizeof(*v));
	uint32_t want = 0, found = 0;

	assert_non_null(v);
	for (uint64_t i = 0; found < n; i++) {
		struct stack_endpoint r = { .addr = 0xc6120000u + (uint32_t)(i >> 16),
					    .port = (uint16_t)i };
		uint32_t b = unkeyed_bucket(&l, &r);

		if (found == 0)
			want = b;
		if (b == want)
			v[found++] = r;
	}
	return v;
}

/* A SYN from r reaching the listener on port 80 (sock 1), as the core traces it. */
static struct ctl_hist_conn *syn(struct ctl_history *h, const struct stack_endpoint *r,
				 stack_time_us now)
{
	struct stack_trace t = { .kind = STACK_TRACE_SEG_IN, .now = now, .sock = 1 };
	struct ctl_hist_entry e = { .at = now, .kind = CTL_HIST_SEG_IN, .flags = 0x02 };

	t.local.addr = OURS;
	t.local.port = 80;
	t.remote = *r;
	t.seg.flags = 0x02;
	return ctl_history_record(h, &t, &e, 0);
}

static void test_chosen_tuples_bounded(void **state)
{
	struct stack_endpoint l = { .addr = OURS, .port = 80 };
	struct stack_endpoint *r = chosen_tuples(CHOSEN);
	struct ctl_history h;
	uint64_t most = 0, before;

	assert_int_equal(ctl_history_init(&h, test_key, 256, 64, 300000000, MAX_CONNS + LIVE_SLACK),
			 0);
	for (uint32_t i = 0; i < CHOSEN; i++)
		assert_non_null(syn(&h, &r[i], i));
	assert_int_equal(h.live.n, CHOSEN);
	/* each of those peers' next segment: how many rings does finding it compare? */
	before = h.probes;
	for (uint32_t i = 0; i < CHOSEN; i++) {
		uint64_t at = h.probes;

		assert_non_null(ctl_history_lookup(&h, &l, &r[i]));
		if (h.probes - at > most)
			most = h.probes - at;
	}
	print_message("%u chosen tuples: %.2f rings compared per lookup, %llu at most\n", CHOSEN,
		      (double)(h.probes - before) / CHOSEN, (unsigned long long)most);
	assert_true(most <= CTL_HISTORY_CHAIN_MAX);
	assert_true(h.probes - before <= 2ull * CHOSEN);
	ctl_history_free(&h);
	free(r);
}

/* The bucket the keyed hash gives, for a test that knows the key (say it leaked). */
static uint32_t keyed_bucket(const struct stack_endpoint *l, const struct stack_endpoint *r,
			     uint32_t nbuckets)
{
	uint8_t b[12];

	memcpy(b, &l->addr, 4);
	memcpy(b + 4, &r->addr, 4);
	memcpy(b + 8, &l->port, 2);
	memcpy(b + 10, &r->port, 2);
	return (uint32_t)siphash24(test_key, b, sizeof(b)) & (nbuckets - 1);
}

/* Even tuples aimed at one chain of the keyed hash find it capped. */
static void test_chain_cap(void **state)
{
	struct stack_endpoint l = { .addr = OURS, .port = 80 }, r[40];
	struct ctl_history h;
	uint32_t found = 0, want = 0;
	uint64_t at;

	assert_int_equal(ctl_history_init(&h, test_key, 256, 64, 300000000, 64), 0);
	for (uint32_t i = 0; found < 40; i++) {
		struct stack_endpoint x = { .addr = 0xc6120000u, .port = (uint16_t)i };
		uint32_t b = keyed_bucket(&l, &x, h.nbuckets);

		if (found == 0)
			want = b;
		if (b == want)
			r[found++] = x;
	}
	for (uint32_t i = 0; i < 40; i++)
		assert_non_null(syn(&h, &r[i], i));
	assert_int_equal(h.live.n, CTL_HISTORY_CHAIN_MAX);
	assert_int_equal(h.evicted, 40 - CTL_HISTORY_CHAIN_MAX);
	at = h.probes;
	assert_null(ctl_history_lookup(&h, &l, &r[0])); /* the oldest went */
	assert_true(h.probes - at <= CTL_HISTORY_CHAIN_MAX);
	assert_non_null(ctl_history_lookup(&h, &l, &r[39]));
	ctl_history_free(&h);
}

/* More SYN tuples than rings allowed: the oldest go, counted; memory stays bounded. */
static void test_memory_bounded(void **state)
{
	struct stack_endpoint *r = chosen_tuples(2 * CHOSEN);
	const uint32_t max_live = 1000;
	struct ctl_history h;

	assert_int_equal(ctl_history_init(&h, test_key, 256, 64, 300000000, max_live), 0);
	for (uint32_t i = 0; i < 2 * CHOSEN; i++)
		syn(&h, &r[i], i);
	assert_true(h.live.n <= max_live);
	assert_true(h.evicted >= 2 * CHOSEN - max_live);
	assert_true(h.allocated <= CTL_HISTORY_MAX_ENTRIES);
	assert_true(h.allocated <= (uint64_t)h.live.n * 16 /* first ring size */);
	/* the newest tuple is still tracked, the oldest was let go */
	assert_non_null(
		ctl_history_lookup(&h, &(struct stack_endpoint){ OURS, 80 }, &r[2 * CHOSEN - 1]));
	assert_null(ctl_history_lookup(&h, &(struct stack_endpoint){ OURS, 80 }, &r[0]));
	ctl_history_free(&h);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chosen_tuples_bounded),
		cmocka_unit_test(test_chain_cap),
		cmocka_unit_test(test_memory_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
