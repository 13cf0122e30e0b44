/* SPDX-License-Identifier: MIT */
/*
 * test-heap.c - unit tests of heap.c: ordered extraction, moves up and down,
 * removal from any position, -ENOSPC, and a seeded random run against a
 * brute-force minimum with the heap invariant and positions checked.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "heap.h"

static void check_heap(const struct heap *h)
{
	for (uint32_t i = 0; i < h->n; i++) {
		assert_int_equal(h->v[i]->pos, i + 1);
		if (i)
			assert_true(h->v[(i - 1) / 2]->at <= h->v[i]->at);
	}
}

static void test_heap_basic(void **state)
{
	struct heap_node *store[4], n[5] = { { 0 } };
	struct heap h;

	heap_init(&h, store, 4);
	assert_null(heap_min(&h));
	assert_int_equal(heap_set(&h, &n[0], 50), 0);
	assert_int_equal(heap_set(&h, &n[1], 30), 0);
	assert_int_equal(heap_set(&h, &n[2], 40), 0);
	assert_int_equal(heap_set(&h, &n[3], 10), 0);
	assert_int_equal(heap_set(&h, &n[4], 5), -ENOSPC);
	assert_false(heap_node_queued(&n[4]));
	assert_ptr_equal(heap_min(&h), &n[3]);
	check_heap(&h);
	assert_int_equal(heap_set(&h, &n[3], 100), 0); /* move down */
	assert_ptr_equal(heap_min(&h), &n[1]);
	assert_int_equal(heap_set(&h, &n[0], 1), 0); /* move up */
	assert_ptr_equal(heap_min(&h), &n[0]);
	check_heap(&h);
	heap_remove(&h, &n[2]);
	assert_false(heap_node_queued(&n[2]));
	heap_remove(&h, &n[2]); /* not in: no-op */
	assert_int_equal(h.n, 3);
	check_heap(&h);
	heap_remove(&h, &n[0]);
	assert_ptr_equal(heap_min(&h), &n[1]);
	heap_remove(&h, &n[1]);
	heap_remove(&h, &n[3]);
	assert_null(heap_min(&h));
	assert_int_equal(heap_set(&h, &n[4], 5), 0);
	assert_ptr_equal(heap_min(&h), &n[4]);
}

static uint32_t rng(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

static void test_heap_random(void **state)
{
	enum { N = 200, CAP = 150 };
	struct heap_node *store[CAP], nodes[N] = { { 0 } };
	bool in[N] = { false };
	uint32_t count = 0;
	uint64_t s = 7;
	struct heap h;

	heap_init(&h, store, CAP);
	for (int step = 0; step < 100000; step++) {
		uint32_t i = rng(&s) % N, op = rng(&s) % 4;
		uint64_t at = rng(&s) % 1000;

		if (op < 2) {
			int r = heap_set(&h, &nodes[i], at);

			if (!in[i] && count == CAP) {
				assert_int_equal(r, -ENOSPC);
			} else {
				assert_int_equal(r, 0);
				assert_int_equal(nodes[i].at, at);
				count += !in[i];
				in[i] = true;
			}
		} else if (op == 2) {
			heap_remove(&h, &nodes[i]);
			count -= in[i];
			in[i] = false;
		} else if (heap_min(&h)) {
			/* pop the minimum, as the stack's poll does */
			struct heap_node *m = heap_min(&h);

			heap_remove(&h, m);
			count--;
			in[m - nodes] = false;
		}
		assert_int_equal(h.n, count);
		{
			uint64_t best = UINT64_MAX;

			for (uint32_t k = 0; k < N; k++) {
				assert_int_equal(heap_node_queued(&nodes[k]), in[k]);
				if (in[k] && nodes[k].at < best)
					best = nodes[k].at;
			}
			if (count)
				assert_int_equal(heap_min(&h)->at, best);
			else
				assert_null(heap_min(&h));
		}
		if (step % 97 == 0)
			check_heap(&h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heap_basic),
		cmocka_unit_test(test_heap_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
