/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-seq.c - unit tests of tcp/tcp_seq.h: sequence comparisons modulo
 * 2^32 (RFC 9293 §3.4), especially across the wrap from 2^32-1 to 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tcp/tcp_seq.h"

static void test_seq_plain(void **state)
{
	assert_true(seq_lt(1, 2));
	assert_false(seq_lt(2, 2));
	assert_true(seq_le(2, 2));
	assert_true(seq_gt(3, 2));
	assert_true(seq_ge(3, 3));
	assert_false(seq_gt(3, 3));
	assert_int_equal(seq_max(5, 9), 9);
	assert_int_equal(seq_min(5, 9), 5);
}

static void test_seq_wrap(void **state)
{
	const tcp_seq hi = 0xfffffff0u, lo = 0x10;

	assert_true(seq_lt(hi, lo));
	assert_true(seq_gt(lo, hi));
	assert_true(seq_le(0xffffffffu, 0));
	assert_true(seq_lt(0xffffffffu, 0));
	assert_true(seq_gt(0, 0xffffffffu));
	assert_int_equal(seq_max(hi, lo), lo);
	assert_int_equal(seq_min(hi, lo), hi);
	assert_true(seq_in(0, hi, lo));
	assert_true(seq_in(hi, hi, lo));
	assert_false(seq_in(lo, hi, lo));
	assert_true(seq_in(0xffffffffu, hi, lo));
	assert_false(seq_in(hi - 1, hi, lo));
	assert_false(seq_in(0x20, hi, lo));
	/* an empty window holds nothing */
	assert_false(seq_in(5, 5, 5));
}

/* Just under and at half the space: the comparison is decided by the sign of the difference. */
static void test_seq_half(void **state)
{
	assert_true(seq_lt(0, 0x7fffffffu));
	assert_true(seq_gt(0, 0x80000001u));
	/* exactly 2^31 apart: a - b is INT32_MIN either way, so both look "less" */
	assert_true(seq_lt(0, 0x80000000u));
	assert_true(seq_lt(0x80000000u, 0));
	for (uint32_t i = 0, base = 0xffff0000u; i < 64; i++, base += 0x1111u) {
		assert_true(seq_lt(base, base + 1));
		assert_true(seq_lt(base, base + 0x7fffffffu));
		assert_true(seq_gt(base, base - 1));
		assert_true(seq_in(base + 100, base, base + 65536));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_plain),
		cmocka_unit_test(test_seq_wrap),
		cmocka_unit_test(test_seq_half),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
