/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-table.c - unit tests of tcp/tcp_table.c: sizing, insert, find,
 * remove, duplicates, the live-entry limit, tombstone reuse and in-place
 * rehash, and a seeded random run against a brute-force reference.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tcp/tcp_table.h"

static const uint8_t key[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static struct tcp_tuple tup(uint32_t i)
{
	struct tcp_tuple t = { .laddr = 0x0a000002,
			       .raddr = 0x0a000001 + (i >> 16),
			       .lport = 80,
			       .rport = (uint16_t)i };

	return t;
}

/* A pointer to tuple number i, valid for the enclosing full expression's block. */
#define TUP(i) (&(struct tcp_tuple[1]){ tup(i) }[0])

static void test_table_size(void **state)
{
	assert_int_equal(tcp_table_size(0), 16);
	assert_int_equal(tcp_table_size(8), 16);
	assert_int_equal(tcp_table_size(9), 32);
	assert_int_equal(tcp_table_size(1000), 2048);
	assert_int_equal(tcp_table_size(1024), 2048);
	assert_int_equal(tcp_table_size(1025), 4096);
	assert_int_equal(tcp_table_size(UINT32_MAX), 1u << 31);
}

static void test_table_basic(void **state)
{
	struct tcp_table_entry e[16];
	struct tcp_table t;
	struct tcp_tuple a = tup(1), b = tup(2);

	tcp_table_init(&t, e, 16, key);
	assert_int_equal(tcp_table_find(&t, &a), -ENOENT);
	assert_int_equal(tcp_table_insert(&t, &a, 7), 0);
	assert_int_equal(tcp_table_insert(&t, &a, 8), -EEXIST);
	assert_int_equal(tcp_table_insert(&t, &b, TCP_TABLE_TOMB), -EINVAL);
	assert_int_equal(tcp_table_insert(&t, &b, 0), 0);
	assert_int_equal(tcp_table_find(&t, &a), 7);
	assert_int_equal(tcp_table_find(&t, &b), 0);
	/* tuples differing in one field are different */
	b.lport++;
	assert_int_equal(tcp_table_find(&t, &b), -ENOENT);
	b.lport--;
	assert_int_equal(tcp_table_remove(&t, &a), 0);
	assert_int_equal(tcp_table_remove(&t, &a), -ENOENT);
	assert_int_equal(tcp_table_find(&t, &a), -ENOENT);
	assert_int_equal(tcp_table_find(&t, &b), 0);
	assert_int_equal(t.used, 1);
	/* full at half the size */
	for (uint32_t i = 10; i < 17; i++)
		assert_int_equal(tcp_table_insert(&t, TUP(i), i), 0);
	assert_int_equal(tcp_table_insert(&t, TUP(99), 99), -ENOSPC);
	assert_int_equal(tcp_table_insert(&t, &b, 5), -EEXIST);
	for (uint32_t i = 10; i < 17; i++)
		assert_int_equal(tcp_table_find(&t, TUP(i)), i);
}

/* A table that is not a power of two uses the largest power of two inside it. */
static void test_table_odd_size(void **state)
{
	struct tcp_table_entry e[20];
	struct tcp_table t;

	tcp_table_init(&t, e, 20, key);
	assert_int_equal(t.mask, 15);
	tcp_table_init(&t, NULL, 0, key);
	assert_int_equal(tcp_table_insert(&t, TUP(1), 1), -ENOSPC);
	assert_int_equal(tcp_table_find(&t, TUP(1)), -ENOENT);
}

/* Churn: tombstones never pile up past the bound, and every live tuple stays findable. */
static void test_table_churn(void **state)
{
	enum { SIZE = 64 };
	struct tcp_table_entry e[SIZE];
	struct tcp_table t;

	tcp_table_init(&t, e, SIZE, key);
	for (uint32_t i = 0; i < 32; i++)
		assert_int_equal(tcp_table_insert(&t, TUP(i), i), 0);
	for (uint32_t round = 0; round < 2000; round++) {
		uint32_t old = round, neu = round + 32;

		assert_int_equal(tcp_table_remove(&t, TUP(old)), 0);
		assert_int_equal(tcp_table_insert(&t, TUP(neu), neu), 0);
		assert_true(t.used + t.tombs <= SIZE / 4 * 3);
		assert_int_equal(t.used, 32);
		for (uint32_t k = round + 1; k <= neu; k++)
			assert_int_equal(tcp_table_find(&t, TUP(k)), k);
	}
}

static uint32_t rng(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

static void check_counts(const struct tcp_table *t, uint32_t live)
{
	uint32_t used = 0, tombs = 0, empty = 0;

	for (uint32_t i = 0; i <= t->mask; i++) {
		if (t->e[i].ref == TCP_TABLE_EMPTY)
			empty++;
		else if (t->e[i].ref == TCP_TABLE_TOMB)
			tombs++;
		else
			used++;
	}
	assert_int_equal(used, live);
	assert_int_equal(t->used, used);
	assert_int_equal(t->tombs, tombs);
	assert_true(empty >= (t->mask + 1) / 4);
}

static void test_table_random(void **state)
{
	enum { SIZE = 128, KEYS = 150 };
	struct tcp_table_entry e[SIZE];
	int64_t ref[KEYS];
	struct tcp_table t;
	uint32_t live = 0;
	uint64_t s = 99;

	tcp_table_init(&t, e, SIZE, key);
	for (uint32_t k = 0; k < KEYS; k++)
		ref[k] = -ENOENT;
	for (int step = 0; step < 200000; step++) {
		uint32_t k = rng(&s) % KEYS, op = rng(&s) % 3;
		struct tcp_tuple tp = tup(k * 7919u);

		if (op == 0) {
			uint32_t slot = rng(&s) % 100000;
			int r = tcp_table_insert(&t, &tp, slot);

			if (ref[k] >= 0) {
				assert_int_equal(r, -EEXIST);
			} else if (live == SIZE / 2) {
				assert_int_equal(r, -ENOSPC);
			} else {
				assert_int_equal(r, 0);
				ref[k] = slot;
				live++;
			}
		} else if (op == 1) {
			int r = tcp_table_remove(&t, &tp);

			assert_int_equal(r, ref[k] >= 0 ? 0 : -ENOENT);
			if (ref[k] >= 0) {
				ref[k] = -ENOENT;
				live--;
			}
		} else {
			assert_int_equal(tcp_table_find(&t, &tp), ref[k]);
		}
		if (step % 101 == 0) {
			check_counts(&t, live);
			for (uint32_t j = 0; j < KEYS; j++) {
				struct tcp_tuple q = tup(j * 7919u);

				assert_int_equal(tcp_table_find(&t, &q), ref[j]);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_size),     cmocka_unit_test(test_table_basic),
		cmocka_unit_test(test_table_odd_size), cmocka_unit_test(test_table_churn),
		cmocka_unit_test(test_table_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
