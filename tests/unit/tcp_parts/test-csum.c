/* SPDX-License-Identifier: MIT */
/*
 * test-csum.c - the Internet checksum (csum.c, RFC 1071) against a plain
 * reference that sums big-endian 16-bit words one at a time: every length
 * from 0 to 2,100 bytes at every alignment 0..15, random and all-0xff data
 * (the carry-heavy case), chained partial sums, and RFC 1071's own example.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "csum.h"

/* RFC 1071 §1 as written: 16-bit big-endian words, an odd byte padded with zero. */
static uint32_t ref_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t acc = sum;

	for (size_t i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint8_t rnd8(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint8_t)rng;
}

static uint8_t buf[2100 + 16];

static void check_all_lengths(void)
{
	for (size_t off = 0; off < 16; off++)
		for (size_t len = 0; len <= 2100; len++)
			assert_int_equal(csum_fold(csum_add(0, buf + off, len)),
					 csum_fold(ref_sum(0, buf + off, len)));
}

static void test_random_every_length_alignment(void **state)
{
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = rnd8();
	check_all_lengths();
}

static void test_all_ones(void **state)
{
	memset(buf, 0xff, sizeof(buf));
	check_all_lengths();
	/* 0xffff words sum to 0xffff (one's complement -0): the checksum is 0 */
	assert_int_equal(csum_fold(csum_add(0, buf, 64)), 0);
}

/* Partial sums of even-length pieces chain to the sum of the whole. */
static void test_chained(void **state)
{
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = rnd8();
	for (size_t cut = 0; cut <= 1500; cut += 2) {
		uint32_t s = csum_add(0, buf, cut);

		assert_true(s <= 0x1ffff);
		s = csum_add(s, buf + cut, 1500 - cut);
		assert_int_equal(csum_fold(s), csum_fold(ref_sum(0, buf, 1500)));
	}
	/* and a starting sum near the top is carried around */
	assert_int_equal(csum_fold(csum_add(0x1fffe, buf, 999)),
			 csum_fold(ref_sum(0x1fffe, buf, 999)));
}

/* RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (before the complement). */
static void test_rfc1071_example(void **state)
{
	static const uint8_t ex[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	assert_int_equal(csum_add(0, ex, sizeof(ex)), 0xddf2);
	assert_int_equal(csum_fold(csum_add(0, ex, sizeof(ex))), (uint16_t)~0xddf2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_every_length_alignment),
		cmocka_unit_test(test_all_ones),
		cmocka_unit_test(test_chained),
		cmocka_unit_test(test_rfc1071_example),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
