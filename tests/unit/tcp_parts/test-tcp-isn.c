/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-isn.c - unit tests of tcp/tcp_isn.c: RFC 6528 ISNs (a 4 µs clock
 * plus a keyed per-tuple offset) and RFC 6056 double-hash port selection
 * (deterministic for a key, skips ports in use, visits every port, fails
 * with -EADDRNOTAVAIL when all are taken).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp/tcp_isn.h"

static const uint8_t k1[16] = { 0xde, 0xad, 0xbe, 0xef };
static const uint8_t k2[16] = { 0xca, 0xfe };

#define L 0x0a000002u
#define R 0x0a000001u

static void test_isn_clock(void **state)
{
	uint32_t base = tcp_isn(k1, L, 40000, R, 80, 0);

	/* M ticks once per 4 µs */
	assert_int_equal(tcp_isn(k1, L, 40000, R, 80, 3), base);
	assert_int_equal(tcp_isn(k1, L, 40000, R, 80, 4), base + 1);
	assert_int_equal(tcp_isn(k1, L, 40000, R, 80, 4000000), base + 1000000);
	/* monotonic (mod 2^32) over time */
	for (uint64_t t = 0, prev = base; t < 100000000; t += 1234567) {
		uint32_t isn = tcp_isn(k1, L, 40000, R, 80, t);

		assert_true((int32_t)(isn - (uint32_t)prev) >= 0);
		assert_int_equal(isn - base, (uint32_t)(t / 4));
		prev = isn;
	}
	/* the 32-bit clock wraps after 2^34 µs and the ISN with it */
	assert_int_equal(tcp_isn(k1, L, 40000, R, 80, 1ull << 34), base);
}

static void test_isn_tuple(void **state)
{
	uint32_t a = tcp_isn(k1, L, 40000, R, 80, 1000);

	assert_true(a != tcp_isn(k1, L, 40001, R, 80, 1000));
	assert_true(a != tcp_isn(k1, L, 40000, R, 81, 1000));
	assert_true(a != tcp_isn(k1, L + 1, 40000, R, 80, 1000));
	assert_true(a != tcp_isn(k1, L, 40000, R + 1, 80, 1000));
	assert_true(a != tcp_isn(k2, L, 40000, R, 80, 1000));
	/* swapping the two ends is a different tuple */
	assert_true(a != tcp_isn(k1, R, 80, L, 40000, 1000));
	assert_int_equal(a, tcp_isn(k1, L, 40000, R, 80, 1000));
}

struct used {
	bool port[65536];
	uint32_t calls;
};

static bool in_use(void *ctx, uint16_t port)
{
	struct used *u = ctx;

	u->calls++;
	assert_true(port >= TCP_PORT_EPHEMERAL_MIN && port <= TCP_PORT_EPHEMERAL_MAX);
	return u->port[port];
}

static struct used used;

static void test_port_deterministic(void **state)
{
	struct tcp_port_alloc a, b;
	uint16_t pa, pb;

	memset(&used, 0, sizeof(used));
	tcp_port_alloc_init(&a, k1);
	tcp_port_alloc_init(&b, k1);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(tcp_port_pick(&a, k1, L, R, 80, in_use, &used, &pa), 0);
		assert_int_equal(tcp_port_pick(&b, k1, L, R, 80, in_use, &used, &pb), 0);
		assert_int_equal(pa, pb);
	}
	/* successive picks for one destination move on (next_ephemeral grows by one) */
	tcp_port_alloc_init(&a, k1);
	assert_int_equal(tcp_port_pick(&a, k1, L, R, 80, NULL, NULL, &pa), 0);
	assert_int_equal(tcp_port_pick(&a, k1, L, R, 80, NULL, NULL, &pb), 0);
	assert_int_equal(pb, pa == TCP_PORT_EPHEMERAL_MAX ? TCP_PORT_EPHEMERAL_MIN : pa + 1);
	/* a zeroed table works too */
	memset(&a, 0, sizeof(a));
	assert_int_equal(tcp_port_pick(&a, k1, L, R, 80, NULL, NULL, &pa), 0);
	/* other keys or destinations start elsewhere (with overwhelming probability) */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(tcp_port_pick(&a, k1, L, R, 443, NULL, NULL, &pa), 0);
	assert_int_equal(tcp_port_pick(&b, k2, L, R, 443, NULL, NULL, &pb), 0);
	assert_true(pa != pb);
}

static void test_port_skips_and_exhausts(void **state)
{
	struct tcp_port_alloc a, b;
	uint16_t p, first;
	uint32_t n = TCP_PORT_EPHEMERAL_MAX - TCP_PORT_EPHEMERAL_MIN + 1;

	memset(&used, 0, sizeof(used));
	tcp_port_alloc_init(&a, k1);
	b = a;
	assert_int_equal(tcp_port_pick(&b, k1, L, R, 80, in_use, &used, &first), 0);
	/* the first choice and the next 9 taken: the 11th candidate is chosen */
	for (uint32_t i = 0; i < 10; i++)
		used.port[TCP_PORT_EPHEMERAL_MIN + (first - TCP_PORT_EPHEMERAL_MIN + i) % n] = true;
	b = a;
	used.calls = 0;
	assert_int_equal(tcp_port_pick(&b, k1, L, R, 80, in_use, &used, &p), 0);
	assert_int_equal(p, TCP_PORT_EPHEMERAL_MIN + (first - TCP_PORT_EPHEMERAL_MIN + 10) % n);
	assert_int_equal(used.calls, 11);
	/* fill every port by picking: each pick returns a port not yet used */
	memset(&used, 0, sizeof(used));
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(tcp_port_pick(&a, k1, L, R, (uint16_t)(i % 7), in_use, &used, &p),
				 0);
		assert_false(used.port[p]);
		used.port[p] = true;
	}
	used.calls = 0;
	assert_int_equal(tcp_port_pick(&a, k1, L, R, 80, in_use, &used, &p), -EADDRNOTAVAIL);
	assert_int_equal(used.calls, n);
	/* one port freed anywhere is found */
	used.port[TCP_PORT_EPHEMERAL_MAX] = false;
	assert_int_equal(tcp_port_pick(&a, k1, L, R, 80, in_use, &used, &p), 0);
	assert_int_equal(p, TCP_PORT_EPHEMERAL_MAX);
	/* also when the table's 16-bit counter wraps during the search */
	for (uint32_t i = 0; i < TCP_PORT_TABLE_SIZE; i++)
		a.table[i] = 65535 - 5;
	used.port[TCP_PORT_EPHEMERAL_MAX] = true;
	used.port[TCP_PORT_EPHEMERAL_MIN + 17] = false;
	assert_int_equal(tcp_port_pick(&a, k1, L, R, 80, in_use, &used, &p), 0);
	assert_int_equal(p, TCP_PORT_EPHEMERAL_MIN + 17);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_isn_clock),
		cmocka_unit_test(test_isn_tuple),
		cmocka_unit_test(test_port_deterministic),
		cmocka_unit_test(test_port_skips_and_exhausts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
