/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-reasm.c - unit tests of tcp/tcp_reasm.c: directed cases (overlap
 * on either side, contained, containing, adjacent, off 0, -ENOSPC) and a
 * long seeded random run compared with a brute-force bitmap model, checking
 * the ranges, the bytes, advance()'s result and the RFC 2018 §4 SACK blocks
 * (newest segment's block first, the rest in order of recency) with RCV.NXT
 * crossing 2^32.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp/tcp_reasm.h"

static void expect_ranges(const struct tcp_reasm *ra, const uint32_t *want, uint32_t n)
{
	assert_int_equal(ra->n, n);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(tcp_reasm_cranges(ra)[i].start, want[2 * i]);
		assert_int_equal(tcp_reasm_cranges(ra)[i].end, want[2 * i + 1]);
	}
}

/* The start of the range that took the newest data, or -1 when there is none. */
static int64_t newest_start(const struct tcp_reasm *ra)
{
	struct tcp_sack_block b[1];

	if (tcp_reasm_sack(ra, 0, b, 1) == 0)
		return -1;
	return b[0].left;
}

static void test_reasm_merge(void **state)
{
	struct tcp_reasm ra;

	tcp_reasm_init(&ra);
	assert_true(tcp_reasm_empty(&ra));
	assert_int_equal(newest_start(&ra), -1);
	assert_int_equal(tcp_reasm_add(&ra, 10, 0), 0); /* empty: nothing */
	assert_true(tcp_reasm_empty(&ra));
	assert_int_equal(tcp_reasm_add(&ra, 10, 10), 0);
	assert_int_equal(tcp_reasm_add(&ra, 40, 10), 0);
	expect_ranges(&ra, (const uint32_t[]){ 10, 20, 40, 50 }, 2);
	assert_int_equal(newest_start(&ra), 40);
	assert_int_equal(tcp_reasm_add(&ra, 12, 3), 0); /* contained */
	expect_ranges(&ra, (const uint32_t[]){ 10, 20, 40, 50 }, 2);
	assert_int_equal(newest_start(&ra), 10);
	assert_int_equal(tcp_reasm_add(&ra, 35, 7), 0); /* overlaps the left edge */
	assert_int_equal(tcp_reasm_add(&ra, 48, 5), 0); /* overlaps the right edge */
	expect_ranges(&ra, (const uint32_t[]){ 10, 20, 35, 53 }, 2);
	assert_int_equal(tcp_reasm_add(&ra, 53, 2), 0); /* adjacent after */
	assert_int_equal(tcp_reasm_add(&ra, 8, 2), 0);	/* adjacent before */
	expect_ranges(&ra, (const uint32_t[]){ 8, 20, 35, 55 }, 2);
	assert_int_equal(newest_start(&ra), 8);
	assert_int_equal(tcp_reasm_add(&ra, 60, 5), 0);
	assert_int_equal(tcp_reasm_add(&ra, 5, 70), 0); /* contains all three */
	expect_ranges(&ra, (const uint32_t[]){ 5, 75 }, 1);
	assert_int_equal(tcp_reasm_bytes(&ra), 70);
	assert_int_equal(tcp_reasm_add(&ra, 75, 0), 0);
	assert_int_equal(tcp_reasm_add(&ra, 20, 60), 0); /* overlaps and extends */
	expect_ranges(&ra, (const uint32_t[]){ 5, 80 }, 1);
	assert_int_equal(tcp_reasm_add(&ra, 0xfffffff0u, 0x20), -EINVAL);
}

static void test_reasm_advance(void **state)
{
	struct tcp_reasm ra;

	tcp_reasm_init(&ra);
	tcp_reasm_add(&ra, 10, 10);
	tcp_reasm_add(&ra, 30, 10);
	/* in-order data short of the first range: ranges shift */
	assert_int_equal(tcp_reasm_advance(&ra, 5), 0);
	expect_ranges(&ra, (const uint32_t[]){ 5, 15, 25, 35 }, 2);
	/* exactly filling the hole: 10 more bytes become contiguous */
	assert_int_equal(tcp_reasm_advance(&ra, 5), 10);
	expect_ranges(&ra, (const uint32_t[]){ 20, 30 }, 1);
	assert_int_equal(newest_start(&ra), 20);
	assert_int_equal(tcp_reasm_advance(&ra, 10), 0);
	expect_ranges(&ra, (const uint32_t[]){ 10, 20 }, 1);
	/* in-order data overlapping part of a range */
	assert_int_equal(tcp_reasm_advance(&ra, 15), 5);
	assert_true(tcp_reasm_empty(&ra));
	assert_int_equal(newest_start(&ra), -1);
	assert_int_equal(tcp_reasm_advance(&ra, 5), 0);
	/* past several ranges at once */
	tcp_reasm_add(&ra, 1, 1);
	tcp_reasm_add(&ra, 3, 1);
	tcp_reasm_add(&ra, 5, 3);
	tcp_reasm_add(&ra, 20, 3);
	assert_int_equal(tcp_reasm_advance(&ra, 6), 2);
	expect_ranges(&ra, (const uint32_t[]){ 14, 17 }, 1);
	/* off 0: the caller adds what it is about to advance over */
	assert_int_equal(tcp_reasm_add(&ra, 0, 14), 0);
	expect_ranges(&ra, (const uint32_t[]){ 0, 17 }, 1);
	assert_int_equal(tcp_reasm_advance(&ra, 14), 3);
	assert_int_equal(tcp_reasm_advance(&ra, 3), 0);
	assert_true(tcp_reasm_empty(&ra));
}

/* Full at the inline capacity, moved out to the most ranges, full again, and back. */
static void test_reasm_full(void **state)
{
	static struct tcp_reasm_range ext[TCP_REASM_MAX_RANGES];
	const uint32_t far = 10 * TCP_REASM_MAX_RANGES + 100;
	struct tcp_reasm ra;

	tcp_reasm_init(&ra);
	for (uint32_t i = 0; i < TCP_REASM_INLINE; i++)
		assert_int_equal(tcp_reasm_add(&ra, 10 + 10 * i, 5), 0);
	assert_int_equal(tcp_reasm_add(&ra, far, 5), -ENOSPC);
	assert_null(tcp_reasm_move(&ra, ext,
				   TCP_REASM_MAX_RANGES)); /* the inline one: nothing to free */
	assert_int_equal(tcp_reasm_cap(&ra), TCP_REASM_MAX_RANGES);
	for (uint32_t i = TCP_REASM_INLINE; i < TCP_REASM_MAX_RANGES; i++)
		assert_int_equal(tcp_reasm_add(&ra, 10 + 10 * i, 5), 0);
	assert_int_equal(tcp_reasm_add(&ra, far, 5), -ENOSPC);
	assert_int_equal(tcp_reasm_add(&ra, 1, 5), -ENOSPC);
	assert_int_equal(tcp_reasm_add(&ra, 16, 2), -ENOSPC);
	/* but anything touching a range is fine */
	assert_int_equal(tcp_reasm_add(&ra, 15, 2), 0);
	assert_int_equal(tcp_reasm_add(&ra, 5, 5), 0);
	assert_int_equal(tcp_reasm_add(&ra, 10 * TCP_REASM_MAX_RANGES + 5, 50), 0);
	assert_int_equal(ra.n, TCP_REASM_MAX_RANGES);
	assert_int_equal(tcp_reasm_end(&ra), 10 * TCP_REASM_MAX_RANGES + 55);
	assert_int_equal(tcp_reasm_add(&ra, 17, 3), 0); /* joins two: frees a slot */
	assert_int_equal(ra.n, TCP_REASM_MAX_RANGES - 1);
	assert_int_equal(tcp_reasm_add(&ra, far, 5), 0);
	/* RCV.NXT passes all but the last 3 ranges (the one it lands on is 5 bytes
	 * in order now): they go back inline, unchanged */
	assert_int_equal(tcp_reasm_advance(&ra, 10 * (TCP_REASM_MAX_RANGES - 2)), 5);
	assert_int_equal(ra.n, 3);
	assert_ptr_equal(tcp_reasm_move(&ra, NULL, 0), ext);
	assert_int_equal(tcp_reasm_cap(&ra), TCP_REASM_INLINE);
	expect_ranges(&ra, (const uint32_t[]){ 10, 15, 20, 75, 120, 125 }, 3);
}

static void test_reasm_sack(void **state)
{
	struct tcp_reasm ra;
	struct tcp_sack_block b[4];
	const uint32_t nxt = 0xfffffff0u;

	tcp_reasm_init(&ra);
	assert_int_equal(tcp_reasm_sack(&ra, nxt, b, 4), 0);
	tcp_reasm_add(&ra, 10, 10);
	tcp_reasm_add(&ra, 30, 10);
	tcp_reasm_add(&ra, 50, 10);
	tcp_reasm_add(&ra, 70, 10);
	tcp_reasm_add(&ra, 90, 10);
	tcp_reasm_add(&ra, 52, 3); /* newest data lands in the third range */
	assert_int_equal(tcp_reasm_sack(&ra, nxt, b, 4), 4);
	assert_int_equal(b[0].left, nxt + 50);
	assert_int_equal(b[0].right, nxt + 60);
	assert_int_equal(b[0].left, 0x22);
	/* then by recency, not by sequence: 90, 70, 30 (10, the oldest, does not fit) */
	assert_int_equal(b[1].left, nxt + 90);
	assert_int_equal(b[1].right, nxt + 100);
	assert_int_equal(b[2].left, nxt + 70);
	assert_int_equal(b[3].left, nxt + 30);
	/* data joining two ranges makes one block, the newest; the others keep their order */
	tcp_reasm_add(&ra, 20, 10);
	assert_int_equal(tcp_reasm_sack(&ra, nxt, b, 4), 4);
	assert_int_equal(b[0].left, 0xfffffffau);
	assert_int_equal(b[0].right, nxt + 40);
	assert_int_equal(b[1].left, nxt + 50);
	assert_int_equal(b[2].left, nxt + 90);
	assert_int_equal(b[3].left, nxt + 70);
	/* RCV.NXT moving on keeps the order */
	tcp_reasm_advance(&ra, 5);
	assert_int_equal(tcp_reasm_sack(&ra, nxt + 5, b, 4), 4);
	assert_int_equal(b[0].left, nxt + 10);
	assert_int_equal(b[1].left, nxt + 50);
	assert_int_equal(b[2].left, nxt + 90);
	assert_int_equal(b[3].left, nxt + 70);
	assert_int_equal(tcp_reasm_sack(&ra, nxt + 5, b, 1), 1);
	assert_int_equal(b[0].left, nxt + 10);
	assert_int_equal(tcp_reasm_sack(&ra, nxt + 5, b, 0), 0);
}

/* ---- random run against a bitmap ---- */

#define W 640

struct model {
	bool held[W];
	uint32_t when[W]; /* the step that last added this byte */
};

static uint32_t model_runs(const struct model *m, uint32_t *starts, uint32_t *ends)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < W; i++) {
		if (m->held[i] && (i == 0 || !m->held[i - 1]))
			starts[n] = i;
		if (m->held[i] && (i + 1 == W || !m->held[i + 1]))
			ends[n++] = i + 1;
	}
	return n;
}

static void model_shift(struct model *m, uint32_t n)
{
	memmove(m->held, m->held + n, (W - n) * sizeof(bool));
	memset(m->held + W - n, 0, n * sizeof(bool));
	memmove(m->when, m->when + n, (W - n) * sizeof(uint32_t));
}

static uint32_t rng(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

/* A run's recency: the last step that added any of its bytes (merging makes it the newest). */
static uint32_t model_recency(const struct model *m, uint32_t start, uint32_t end)
{
	uint32_t r = 0;

	for (uint32_t i = start; i < end; i++)
		r = m->when[i] > r ? m->when[i] : r;
	return r;
}

/* The ranges, the bytes, and the SACK blocks exactly: every run, newest first. */
static void check_against(const struct tcp_reasm *ra, const struct model *m, uint32_t nxt)
{
	uint32_t starts[W], ends[W], n = model_runs(m, starts, ends), bytes = 0;
	struct tcp_sack_block b[TCP_REASM_MAX_RANGES];
	bool used[TCP_REASM_MAX_RANGES] = { false };
	uint32_t k;

	assert_int_equal(ra->n, n);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(tcp_reasm_cranges(ra)[i].start, starts[i]);
		assert_int_equal(tcp_reasm_cranges(ra)[i].end, ends[i]);
		bytes += ends[i] - starts[i];
	}
	assert_int_equal(tcp_reasm_bytes(ra), bytes);
	k = tcp_reasm_sack(ra, nxt, b, TCP_REASM_MAX_RANGES);
	assert_int_equal(k, n);
	for (uint32_t i = 0; i < k; i++) {
		int64_t best = -1;

		for (uint32_t j = 0; j < n; j++)
			if (!used[j] &&
			    (best < 0 || model_recency(m, starts[j], ends[j]) >
						 model_recency(m, starts[best], ends[best])))
				best = j;
		used[best] = true;
		assert_int_equal(b[i].left, nxt + starts[best]);
		assert_int_equal(b[i].right, nxt + ends[best]);
	}
}

static void test_reasm_random(void **state)
{
	static struct tcp_reasm_range ext[32];

	for (uint64_t seed = 1; seed <= 40; seed++) {
		struct tcp_reasm ra;
		struct model m;
		uint64_t s = seed;
		uint32_t nxt = 0xffffffffu - (uint32_t)seed * 2000u, nospc = 0;

		tcp_reasm_init(&ra);
		memset(&m, 0, sizeof(m));
		for (int step = 0; step < 5000; step++) {
			uint32_t op = rng(&s) % 10;

			if (op < 8) {
				uint32_t len = rng(&s) % (seed % 3 ? 6 : 40);
				uint32_t off = rng(&s) % (W - len);
				struct model after = m;
				uint32_t st[W], en[W];
				int r;

				for (uint32_t i = off; i < off + len; i++) {
					after.held[i] = true;
					after.when[i] = (uint32_t)step + 1;
				}
				r = tcp_reasm_add(&ra, off, len);
				if (model_runs(&after, st, en) > tcp_reasm_cap(&ra)) {
					assert_int_equal(r, -ENOSPC);
					nospc++;
				} else {
					assert_int_equal(r, 0);
					m = after;
				}
			} else if (op == 8 && step % 4 == 0) {
				/* out to a larger array, or back inline when few are left, as tcp_mem.c does */
				if (!ra.ext)
					tcp_reasm_move(&ra, ext, 32);
				else if (ra.n <= TCP_REASM_INLINE)
					assert_ptr_equal(tcp_reasm_move(&ra, NULL, 0), ext);
			} else {
				uint32_t n = rng(&s) % 30, extra;
				uint32_t st[W], en[W];
				uint32_t runs;

				model_shift(&m, n);
				nxt += n;
				runs = model_runs(&m, st, en);
				extra = tcp_reasm_advance(&ra, n);
				assert_int_equal(extra, runs && st[0] == 0 ? en[0] : 0);
				if (extra) {
					/* the contiguous range left the table; the caller advances again */
					memset(m.held, 0, extra * sizeof(bool));
					check_against(&ra, &m, nxt);
					assert_int_equal(tcp_reasm_advance(&ra, extra), 0);
					model_shift(&m, extra);
					nxt += extra;
				}
			}
			check_against(&ra, &m, nxt);
		}
		assert_true(nospc > 0 || seed % 3 == 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reasm_merge),  cmocka_unit_test(test_reasm_advance),
		cmocka_unit_test(test_reasm_full),   cmocka_unit_test(test_reasm_sack),
		cmocka_unit_test(test_reasm_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
