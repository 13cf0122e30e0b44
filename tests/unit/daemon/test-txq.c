/* SPDX-License-Identifier: MIT */
/*
 * test-txq.c - the link's bounded transmit queue (daemon/link/txq.c): order,
 * header + frame concatenation, the frame and byte bounds, wrap-around.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "txq.h"

static void test_fifo(void **state)
{
	struct txq q;
	const uint8_t hdr[2] = { 1, 2 };
	const struct txq_frame *f;

	assert_int_equal(txq_init(&q, 4, 1024), 0);
	assert_true(txq_empty(&q));
	assert_null(txq_peek(&q));
	assert_int_equal(txq_push(&q, hdr, 2, (const uint8_t *)"abc", 3), 0);
	assert_int_equal(txq_push(&q, NULL, 0, (const uint8_t *)"de", 2), 0);
	assert_false(txq_empty(&q));
	f = txq_peek(&q);
	assert_int_equal(f->len, 5);
	assert_memory_equal(f->data,
			    "\x01\x02"
			    "abc",
			    5);
	txq_pop(&q);
	f = txq_peek(&q);
	assert_int_equal(f->len, 2);
	assert_memory_equal(f->data, "de", 2);
	txq_pop(&q);
	assert_true(txq_empty(&q));
	assert_int_equal(q.bytes, 0);
	txq_pop(&q); /* popping an empty queue is harmless */
	txq_free(&q);
}

static void test_frame_bound(void **state)
{
	struct txq q;
	uint8_t b = 0;

	assert_int_equal(txq_init(&q, 3, 1 << 20), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(txq_push(&q, NULL, 0, &b, 1), 0);
	assert_int_equal(txq_push(&q, NULL, 0, &b, 1), -ENOBUFS);
	txq_pop(&q);
	assert_int_equal(txq_push(&q, NULL, 0, &b, 1), 0);
	txq_free(&q); /* frees what is still queued */
}

static void test_byte_bound(void **state)
{
	struct txq q;
	static uint8_t big[600];

	assert_int_equal(txq_init(&q, 100, 1000), 0);
	assert_int_equal(txq_push(&q, NULL, 0, big, 600), 0);
	assert_int_equal(txq_push(&q, big, 10, big, 400), -ENOBUFS);
	assert_int_equal(txq_push(&q, NULL, 0, big, 400), 0);
	assert_int_equal(q.bytes, 1000);
	assert_int_equal(txq_push(&q, NULL, 0, big, 1), -ENOBUFS);
	txq_pop(&q);
	assert_int_equal(q.bytes, 400);
	txq_free(&q);
}

static void test_wrap(void **state)
{
	struct txq q;

	assert_int_equal(txq_init(&q, 3, 1 << 20), 0);
	for (uint8_t i = 0; i < 20; i++) {
		uint8_t a = i, b = (uint8_t)(i + 100);

		assert_int_equal(txq_push(&q, NULL, 0, &a, 1), 0);
		assert_int_equal(txq_push(&q, NULL, 0, &b, 1), 0);
		assert_int_equal(txq_peek(&q)->data[0], a);
		txq_pop(&q);
		assert_int_equal(txq_peek(&q)->data[0], b);
		txq_pop(&q);
	}
	assert_true(txq_empty(&q));
	txq_free(&q);
}

static void test_init_free(void **state)
{
	struct txq q;

	assert_int_equal(txq_init(&q, 0, 100), -EINVAL);
	txq_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo),	   cmocka_unit_test(test_frame_bound),
		cmocka_unit_test(test_byte_bound), cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_init_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
