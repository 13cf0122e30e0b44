/* SPDX-License-Identifier: MIT */
/*
 * test-frame-pipe-trim.c - giving the heap back (daemon/system/frame_pipe.c): at
 * most one trim a second on the loop's clock, whoever asks (sessions with a
 * long queue leaving, the daemon's freed socket buffers), and a trim asked
 * for too soon is owed, not lost. Virtual time: the caller passes now.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "frame_pipe.h"

static uint64_t trims(void)
{
	struct frame_pipe_stats st;

	frame_pipe_stats_get(&st);
	return st.trims;
}

static void test_one_a_second(void **state)
{
	uint64_t t0 = 5000, base = trims();

	frame_pipe_trim(t0, "first", 1 << 20);
	assert_int_equal(trims(), base + 1);
	/* 200 sessions leave within the same second: no more trims in it */
	for (uint64_t ms = 0; ms < 1000; ms += 5)
		frame_pipe_trim(t0 + ms, "a session left", 1 << 20);
	assert_int_equal(trims(), base + 1);
	frame_pipe_trim_owed(t0 + 999);
	assert_int_equal(trims(), base + 1);
	/* the owed one, once the second is up, and only one */
	frame_pipe_trim_owed(t0 + 1000);
	assert_int_equal(trims(), base + 2);
	frame_pipe_trim_owed(t0 + 5000);
	assert_int_equal(trims(), base + 2);
	/* after a quiet second a trim is immediate again */
	frame_pipe_trim(t0 + 2000, "socket buffers freed", 4 << 20);
	assert_int_equal(trims(), base + 3);
}

static void test_busy_minute(void **state)
{
	uint64_t t0 = 100000, base = trims();

	/* asked every 10 ms for 60 s, the owed ones looked at as often: about 60 */
	for (uint64_t ms = 0; ms < 60000; ms += 10) {
		frame_pipe_trim(t0 + ms, "burst", 1 << 20);
		frame_pipe_trim_owed(t0 + ms + 5);
	}
	assert_in_range(trims() - base, 59, 61);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_a_second),
		cmocka_unit_test(test_busy_minute),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
