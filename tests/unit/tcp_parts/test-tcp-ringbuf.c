/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-ringbuf.c - unit tests of tcp/tcp_ringbuf.c: writes, reads and
 * peeks across the wrap point, out-of-order writes past the committed end,
 * and a long random run against a flat reference buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp/tcp_ringbuf.h"

static void test_ringbuf_basic(void **state)
{
	uint8_t store[8], out[8];
	struct tcp_ringbuf rb;

	tcp_ringbuf_init(&rb, store, sizeof(store));
	assert_int_equal(tcp_ringbuf_free(&rb), 8);
	assert_int_equal(tcp_ringbuf_write(&rb, "abcdef", 6), 6);
	assert_int_equal(tcp_ringbuf_read(&rb, out, 4), 4);
	assert_memory_equal(out, "abcd", 4);
	/* head = 4, len = 2: the next write wraps */
	assert_int_equal(tcp_ringbuf_write(&rb, "ghijklmn", 8), 6);
	assert_int_equal(rb.len, 8);
	assert_int_equal(tcp_ringbuf_free(&rb), 0);
	assert_int_equal(tcp_ringbuf_write(&rb, "x", 1), 0);
	assert_int_equal(tcp_ringbuf_peek(&rb, 0, out, 8), 8);
	assert_memory_equal(out, "efghijkl", 8);
	assert_int_equal(tcp_ringbuf_peek(&rb, 3, out, 3), 3);
	assert_memory_equal(out, "hij", 3);
	assert_int_equal(tcp_ringbuf_peek(&rb, 6, out, 8), 2);
	assert_memory_equal(out, "kl", 2);
	assert_int_equal(tcp_ringbuf_peek(&rb, 8, out, 8), 0);
	tcp_ringbuf_consume(&rb, 5);
	assert_int_equal(tcp_ringbuf_read(&rb, out, 8), 3);
	assert_memory_equal(out, "jkl", 3);
	assert_int_equal(rb.len, 0);
}

static void test_ringbuf_write_at(void **state)
{
	uint8_t store[10], out[10];
	struct tcp_ringbuf rb;

	tcp_ringbuf_init(&rb, store, sizeof(store));
	tcp_ringbuf_write(&rb, "0123456", 7);
	tcp_ringbuf_consume(&rb, 5); /* head 5, len 2: "56" */
	/* a hole of 2, then "CDEF" wraps at the end of storage */
	assert_int_equal(tcp_ringbuf_write_at(&rb, 2, "CDEF", 4), 4);
	assert_int_equal(rb.len, 2);
	assert_int_equal(tcp_ringbuf_peek(&rb, 0, out, 10), 2);
	/* cut at free space: free is 8, offset 6 leaves 2 */
	assert_int_equal(tcp_ringbuf_write_at(&rb, 6, "GHIJ", 4), 2);
	assert_int_equal(tcp_ringbuf_write_at(&rb, 8, "Z", 1), 0);
	assert_int_equal(tcp_ringbuf_write_at(&rb, 0, "AB", 2), 2);
	tcp_ringbuf_commit(&rb, 8);
	assert_int_equal(rb.len, 10);
	assert_int_equal(tcp_ringbuf_read(&rb, out, 10), 10);
	assert_memory_equal(out, "56ABCDEFGH", 10);
}

/* Out-of-order bytes held past the end survive the reader emptying the ring. */
static void test_ringbuf_write_at_survives_drain(void **state)
{
	uint8_t store[16], out[16];
	struct tcp_ringbuf rb;

	tcp_ringbuf_init(&rb, store, sizeof(store));
	tcp_ringbuf_write(&rb, "abcd", 4);
	/* "gh" arrives out of order, two bytes past the in-order end */
	assert_int_equal(tcp_ringbuf_write_at(&rb, 2, "gh", 2), 2);
	/* the application reads everything in order: the ring is empty */
	assert_int_equal(tcp_ringbuf_read(&rb, out, 16), 4);
	assert_int_equal(rb.len, 0);
	/* the hole is filled and all four bytes are committed */
	assert_int_equal(tcp_ringbuf_write_at(&rb, 0, "ef", 2), 2);
	tcp_ringbuf_commit(&rb, 4);
	assert_int_equal(tcp_ringbuf_read(&rb, out, 16), 4);
	assert_memory_equal(out, "efgh", 4);
}

static void test_ringbuf_empty_storage(void **state)
{
	struct tcp_ringbuf rb;
	uint8_t out[1];

	tcp_ringbuf_init(&rb, NULL, 0);
	assert_int_equal(tcp_ringbuf_write(&rb, "a", 1), 0);
	assert_int_equal(tcp_ringbuf_read(&rb, out, 1), 0);
	assert_int_equal(tcp_ringbuf_free(&rb), 0);
}

static uint32_t rng(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

/* Random operations against a linear model of the ring's contents. */
static void test_ringbuf_random(void **state)
{
	enum { CAP = 61 };
	uint8_t store[CAP], model[CAP * 2], tmp[CAP * 2], src[CAP * 2];
	uint32_t mlen = 0, next = 0;
	uint64_t seed = 12345;
	struct tcp_ringbuf rb;

	tcp_ringbuf_init(&rb, store, CAP);
	for (int step = 0; step < 200000; step++) {
		uint32_t op = rng(&seed) % 5, n = rng(&seed) % (CAP + 5), off = rng(&seed) % CAP;
		uint32_t got, want;

		for (uint32_t i = 0; i < n; i++)
			src[i] = (uint8_t)(next + i);
		switch (op) {
		case 0: /* append */
			want = n < CAP - mlen ? n : CAP - mlen;
			got = tcp_ringbuf_write(&rb, src, n);
			assert_int_equal(got, want);
			memcpy(model + mlen, src, got);
			mlen += got;
			next += got;
			break;
		case 1: /* out-of-order write then commit up to and including it */
			want = off >= CAP - mlen ? 0
						 : (n < CAP - mlen - off ? n : CAP - mlen - off);
			got = tcp_ringbuf_write_at(&rb, off, src, n);
			assert_int_equal(got, want);
			if (got) {
				/* fill the hole too, as the receive path would */
				for (uint32_t i = 0; i < off; i++)
					tmp[i] = (uint8_t)~i;
				assert_int_equal(tcp_ringbuf_write_at(&rb, 0, tmp, off), off);
				tcp_ringbuf_commit(&rb, off + got);
				memcpy(model + mlen, tmp, off);
				memcpy(model + mlen + off, src, got);
				mlen += off + got;
				next += got;
			}
			break;
		case 2: /* peek */
			want = off >= mlen ? 0 : (n < mlen - off ? n : mlen - off);
			got = tcp_ringbuf_peek(&rb, off, tmp, n);
			assert_int_equal(got, want);
			assert_memory_equal(tmp, model + off, got);
			break;
		case 3: /* consume */
			n = n < mlen ? n : mlen;
			tcp_ringbuf_consume(&rb, n);
			memmove(model, model + n, mlen - n);
			mlen -= n;
			break;
		default: /* read */
			want = n < mlen ? n : mlen;
			got = tcp_ringbuf_read(&rb, tmp, n);
			assert_int_equal(got, want);
			assert_memory_equal(tmp, model, got);
			memmove(model, model + got, mlen - got);
			mlen -= got;
			break;
		}
		assert_int_equal(rb.len, mlen);
		assert_true(rb.head < CAP);
	}
}

/* Growth moves a wrapped ring onto bigger storage: committed and out-of-order bytes survive. */
static void test_ringbuf_move_across_wrap(void **state)
{
	uint8_t small[8], big[16], out[16];
	struct tcp_ringbuf rb;

	tcp_ringbuf_init(&rb, small, sizeof(small));
	tcp_ringbuf_write(&rb, "abcdef", 6);
	tcp_ringbuf_consume(&rb, 5);				    /* head 5, len 1: "f" */
	assert_int_equal(tcp_ringbuf_write(&rb, "ghij", 4), 4);	    /* wraps: "fghij" */
	assert_int_equal(tcp_ringbuf_write_at(&rb, 1, "XY", 2), 2); /* out of order past a hole */
	tcp_ringbuf_move(&rb, big, sizeof(big), rb.len + 3);
	assert_int_equal(rb.cap, 16);
	assert_int_equal(rb.head, 0);
	assert_int_equal(rb.len, 5);
	assert_int_equal(tcp_ringbuf_peek(&rb, 0, out, 16), 5);
	assert_memory_equal(out, "fghij", 5);
	/* the hole is filled, the out-of-order bytes join up where they were */
	assert_int_equal(tcp_ringbuf_write_at(&rb, 0, "W", 1), 1);
	tcp_ringbuf_commit(&rb, 3);
	assert_int_equal(tcp_ringbuf_peek(&rb, 0, out, 16), 8);
	assert_memory_equal(out, "fghijWXY", 8);
	/* the bigger ring takes the rest and wraps again */
	tcp_ringbuf_consume(&rb, 6);
	assert_int_equal(tcp_ringbuf_write(&rb, "0123456789abcd", 14), 14);
	assert_int_equal(tcp_ringbuf_read(&rb, out, 16), 16);
	assert_memory_equal(out, "XY0123456789abcd", 16);
	/* moving to no storage empties it */
	tcp_ringbuf_move(&rb, NULL, 0, 0);
	assert_int_equal(rb.cap, 0);
	assert_int_equal(tcp_ringbuf_free(&rb), 0);
	assert_int_equal(tcp_ringbuf_write(&rb, "z", 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ringbuf_basic),
		cmocka_unit_test(test_ringbuf_move_across_wrap),
		cmocka_unit_test(test_ringbuf_write_at),
		cmocka_unit_test(test_ringbuf_write_at_survives_drain),
		cmocka_unit_test(test_ringbuf_empty_storage),
		cmocka_unit_test(test_ringbuf_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
