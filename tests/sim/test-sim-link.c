/* SPDX-License-Identifier: MIT */
/*
 * test-sim-link.c - cmocka tests of the simulator's impaired link itself:
 * a seed replays the same fates, loss/duplication/corruption/reordering
 * happen at roughly the configured rates over many frames, corruption flips
 * exactly one byte past the Ethernet header of IPv4 frames only, an unimpaired link is FIFO with the configured delay
 * (jitter included), and the transmit queue is bounded by the serialisation
 * rate; Gilbert-Elliott loss comes in bursts of the configured mean length
 * at the configured long-run rate, and leaves the other fates alone; a frame
 * sent with offload metadata keeps it and is never corrupted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim_link.h"

#define FRAME_LEN 100

/* An IPv4 frame (the link corrupts only those) carrying its number at offset 20. */
static void make_frame(uint8_t *buf, uint32_t n)
{
	memset(buf, 0x5a, FRAME_LEN);
	buf[12] = 0x08;
	buf[13] = 0x00;
	memcpy(buf + 20, &n, sizeof(n));
}

static uint32_t frame_number(const struct sim_frame *f)
{
	uint32_t n;

	memcpy(&n, f->data + 20, sizeof(n));
	return n;
}

/* Send count frames 10 us apart, then collect every delivery. */
static size_t run_link(struct sim_link *l, uint32_t count, struct sim_frame *out, size_t max)
{
	uint8_t buf[FRAME_LEN];
	size_t n = 0;
	struct sim_frame f;

	for (uint32_t i = 0; i < count; i++) {
		make_frame(buf, i);
		sim_link_send(l, (stack_time_us)i * 10, buf, sizeof(buf));
	}
	while (sim_link_pop(l, STACK_TIME_NEVER - 1, &f)) {
		if (n < max)
			out[n++] = f;
		else
			free(f.data);
	}
	return n;
}

static void free_frames(struct sim_frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i].data);
}

static struct sim_link_params impaired(void)
{
	return (struct sim_link_params){
		.loss_ppm = 50000,
		.dup_ppm = 20000,
		.reorder_ppm = 30000,
		.corrupt_ppm = 10000,
		.delay_us = 5000,
		.jitter_us = 500,
		.reorder_us = 8000,
		.queue_limit = 65536,
	};
}

static void test_same_seed_same_sequence(void **state)
{
	struct sim_link_params p = impaired();
	enum { N = 5000, MAX = 2 * N };
	struct sim_frame *a = calloc(MAX, sizeof(*a)), *b = calloc(MAX, sizeof(*b));
	struct sim_link la, lb, lc;
	size_t na, nb, nc;

	assert_int_equal(sim_link_init(&la, &p, 42, 7), 0);
	assert_int_equal(sim_link_init(&lb, &p, 42, 7), 0);
	assert_int_equal(sim_link_init(&lc, &p, 43, 7), 0);
	na = run_link(&la, N, a, MAX);
	nb = run_link(&lb, N, b, MAX);
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(a[i].at, b[i].at);
		assert_int_equal(a[i].len, b[i].len);
		assert_memory_equal(a[i].data, b[i].data, a[i].len);
	}
	free_frames(b, nb);
	/* another seed gives another sequence */
	nc = run_link(&lc, N, b, MAX);
	bool differ = nc != na;
	for (size_t i = 0; !differ && i < na; i++)
		differ = a[i].at != b[i].at || memcmp(a[i].data, b[i].data, a[i].len) != 0;
	assert_true(differ);
	free_frames(a, na);
	free_frames(b, nc);
	sim_link_free(&la);
	sim_link_free(&lb);
	sim_link_free(&lc);
	free(a);
	free(b);
}

/* Check one delivered frame: intact, or exactly one byte flipped. */
static void check_delivered(struct sim_frame *f, uint64_t *intact, uint64_t *flipped)
{
	uint8_t want[FRAME_LEN];
	unsigned diff = 0;

	assert_int_equal(f->len, FRAME_LEN);
	/* a flip in the frame number itself makes the frame look like another, intact one */
	make_frame(want, frame_number(f));
	for (size_t i = 0; i < FRAME_LEN; i++)
		diff += f->data[i] != want[i];
	if (diff > 1)
		fail_msg("frame with %u bytes changed", diff);
	*(diff ? flipped : intact) += 1;
	free(f->data);
}

static void test_rates(void **state)
{
	struct sim_link_params p = impaired();
	enum { N = 200000 };
	struct sim_link l;
	uint8_t buf[FRAME_LEN];
	struct sim_frame f;
	uint64_t flipped = 0, intact = 0;

	assert_int_equal(sim_link_init(&l, &p, 1234, 1), 0);
	for (uint32_t i = 0; i < N; i++) {
		make_frame(buf, i);
		assert_int_equal(sim_link_send(&l, (stack_time_us)i * 10, buf, sizeof(buf)), 0);
		while (sim_link_pop(&l, (stack_time_us)i * 10, &f))
			check_delivered(&f, &intact, &flipped);
	}
	while (sim_link_pop(&l, STACK_TIME_NEVER - 1, &f))
		check_delivered(&f, &intact, &flipped);
	/* within 10% of the configured rate over 200k frames */
	assert_in_range(l.stats.lost, N * 45 / 1000, N * 55 / 1000);
	assert_in_range(l.stats.duplicated, N * 18 / 1000, N * 22 / 1000);
	assert_in_range(l.stats.reordered, N * 27 / 1000, N * 33 / 1000);
	assert_in_range(l.stats.corrupted, N * 9 / 1000, N * 11 / 1000);
	assert_int_equal(l.stats.delivered, N - l.stats.lost + l.stats.duplicated);
	assert_int_equal(intact + flipped, l.stats.delivered);
	assert_true(flipped <= l.stats.corrupted);
	assert_true(flipped >= l.stats.corrupted * 9 / 10);
	sim_link_free(&l);
}

/*
 * Gilbert-Elliott: enter the bad state with 1 % a frame, leave it with 20 %,
 * lose every frame in it. Long-run loss 0.01 / 0.21 = 4.76 %, bursts of
 * 1 / 0.2 = 5 frames on average; both within 10 % over 200k frames.
 */
static void test_gilbert_elliott(void **state)
{
	struct sim_link_params p = { .delay_us = 1000,
				     .queue_limit = 65536,
				     .ge_enter_ppm = 10000,
				     .ge_leave_ppm = 200000,
				     .ge_loss_ppm = 1000000 };
	enum { N = 200000 };
	struct sim_link l;
	uint8_t buf[FRAME_LEN];
	struct sim_frame f;
	double mean;

	assert_int_equal(sim_link_init(&l, &p, 4321, 1), 0);
	for (uint32_t i = 0; i < N; i++) {
		make_frame(buf, i);
		assert_int_equal(sim_link_send(&l, (stack_time_us)i * 10, buf, sizeof(buf)), 0);
		while (sim_link_pop(&l, (stack_time_us)i * 10, &f))
			free(f.data);
	}
	assert_in_range(l.stats.lost, N * 4286 / 100000, N * 5238 / 100000);
	assert_int_equal(l.stats.ge_lost, l.stats.lost);
	mean = (double)l.stats.lost / (double)l.stats.loss_runs;
	assert_true(mean > 4.5 && mean < 5.5);
	sim_link_free(&l);

	/* bad state losing half its frames, plus 0.1 % independent loss */
	p.ge_loss_ppm = 500000;
	p.loss_ppm = 1000;
	assert_int_equal(sim_link_init(&l, &p, 4321, 1), 0);
	for (uint32_t i = 0; i < N; i++) {
		make_frame(buf, i);
		sim_link_send(&l, (stack_time_us)i * 10, buf, sizeof(buf));
		while (sim_link_pop(&l, (stack_time_us)i * 10, &f))
			free(f.data);
	}
	assert_in_range(l.stats.ge_lost, N * 2143 / 100000, N * 2619 / 100000);
	assert_in_range(l.stats.lost - l.stats.ge_lost, N * 9 / 10000, N * 11 / 10000);
	sim_link_free(&l);
}

/*
 * A slotted channel moves while the link is idle: frames 10 ms apart with a
 * 100 us slot see a channel 100 steps on, about its stationary state, so
 * 4.76 % of them are lost but in runs of about 1 / (1 - 0.0476) = 1.05, not
 * of 5 as when every frame is one step (above); back-to-back frames still
 * get bursts.
 */
static void test_gilbert_elliott_slotted(void **state)
{
	struct sim_link_params p = { .delay_us = 1000,
				     .queue_limit = 65536,
				     .ge_enter_ppm = 10000,
				     .ge_leave_ppm = 200000,
				     .ge_loss_ppm = 1000000,
				     .ge_slot_us = 100 };
	enum { N = 40000 };
	struct sim_link l;
	uint8_t buf[FRAME_LEN];
	struct sim_frame f;
	double mean;

	assert_int_equal(sim_link_init(&l, &p, 99, 1), 0);
	for (uint32_t i = 0; i < N; i++) {
		make_frame(buf, i);
		sim_link_send(&l, (stack_time_us)i * 10000, buf, sizeof(buf));
		while (sim_link_pop(&l, (stack_time_us)i * 10000, &f))
			free(f.data);
	}
	assert_in_range(l.stats.lost, N * 405 / 10000, N * 548 / 10000);
	mean = (double)l.stats.lost / (double)l.stats.loss_runs;
	assert_true(mean < 1.2);
	sim_link_free(&l);

	/* the same channel, frames back to back (0 us apart: one slot each) */
	assert_int_equal(sim_link_init(&l, &p, 99, 1), 0);
	for (uint32_t i = 0; i < N; i++) {
		make_frame(buf, i);
		sim_link_send(&l, 0, buf, sizeof(buf));
	}
	while (sim_link_pop(&l, STACK_TIME_NEVER - 1, &f))
		free(f.data);
	mean = (double)l.stats.lost / (double)l.stats.loss_runs;
	assert_true(mean > 4.0 && mean < 6.0);
	sim_link_free(&l);
}

static void test_fifo_and_delay(void **state)
{
	struct sim_link_params p = { .delay_us = 3000, .jitter_us = 2000, .queue_limit = 1000 };
	struct sim_frame out[500];
	struct sim_link l;
	size_t n;

	assert_int_equal(sim_link_init(&l, &p, 9, 1), 0);
	n = run_link(&l, 500, out, 500);
	assert_int_equal(n, 500);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(frame_number(&out[i]), i);
		assert_true(out[i].at >= i * 10 + 3000);
		if (i)
			assert_true(out[i].at >= out[i - 1].at);
	}
	free_frames(out, n);
	sim_link_free(&l);

	p.jitter_us = 0;
	assert_int_equal(sim_link_init(&l, &p, 9, 1), 0);
	n = run_link(&l, 100, out, 500);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(out[i].at, i * 10 + 3000);
	free_frames(out, n);
	sim_link_free(&l);
}

static void test_reorder_overtakes(void **state)
{
	struct sim_link_params p = {
		.delay_us = 1000, .reorder_ppm = 100000, .reorder_us = 5000, .queue_limit = 1000
	};
	struct sim_frame out[1000];
	struct sim_link l;
	size_t n, inversions = 0;

	assert_int_equal(sim_link_init(&l, &p, 77, 1), 0);
	n = run_link(&l, 1000, out, 1000);
	assert_int_equal(n, 1000);
	for (size_t i = 1; i < n; i++)
		inversions += frame_number(&out[i]) < frame_number(&out[i - 1]);
	assert_true(inversions > 0);
	assert_true(l.stats.reordered > 0);
	free_frames(out, n);
	sim_link_free(&l);
}

static void test_queue_bound(void **state)
{
	/* 8 Mbit/s: a 100-byte frame takes 100 us to serialise */
	struct sim_link_params p = { .delay_us = 1000, .rate_bps = 8000000, .queue_limit = 10 };
	uint8_t buf[FRAME_LEN] = { 0 };
	struct sim_link l;
	struct sim_frame f;
	int taken = 0, refused = 0;

	assert_int_equal(sim_link_init(&l, &p, 5, 1), 0);
	for (int i = 0; i < 50; i++) {
		int r = sim_link_send(&l, 0, buf, sizeof(buf));

		if (r == 0)
			taken++;
		else
			refused++;
	}
	assert_int_equal(taken, 10);
	assert_int_equal(refused, 40);
	assert_int_equal(sim_link_backlog(&l, 0), 10);
	assert_int_equal(sim_link_next_departure(&l), 100);
	assert_int_equal(sim_link_backlog(&l, 450), 6);
	assert_int_equal(sim_link_send(&l, 450, buf, sizeof(buf)), 0);
	assert_int_equal(sim_link_backlog(&l, 2000), 0);
	/* back-to-back serialisation, then the delay */
	assert_true(sim_link_pop(&l, 2000, &f));
	assert_int_equal(f.at, 100 + 1000);
	free(f.data);
	assert_int_equal(sim_link_in_flight(&l), 10);
	sim_link_free(&l);
}

static void test_corrupts_only_ip_payload(void **state)
{
	struct sim_link_params p = { .delay_us = 100, .corrupt_ppm = 1000000, .queue_limit = 100 };
	uint8_t arp[60], ip[FRAME_LEN];
	struct sim_link l;
	struct sim_frame f;

	memset(arp, 0x11, sizeof(arp));
	arp[12] = 0x08;
	arp[13] = 0x06;
	make_frame(ip, 7);
	assert_int_equal(sim_link_init(&l, &p, 3, 1), 0);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(sim_link_send(&l, 0, arp, sizeof(arp)), 0);
		assert_int_equal(sim_link_send(&l, 0, ip, sizeof(ip)), 0);
	}
	assert_int_equal(l.stats.corrupted, 50);
	while (sim_link_pop(&l, 1000, &f)) {
		if (f.len == sizeof(arp))
			assert_memory_equal(f.data, arp, sizeof(arp));
		else
			assert_memory_equal(f.data, ip, 14);
		free(f.data);
	}
	sim_link_free(&l);
}

/*
 * A frame sent with offload metadata arrives with it, whole and never
 * corrupted (its receiver does not check the checksum); a plain frame on the
 * same link still is.
 */
static void test_meta_frames(void **state)
{
	struct sim_link_params p = { .delay_us = 100, .corrupt_ppm = 1000000, .queue_limit = 100 };
	struct stack_frame_meta m = { .csum_partial = true,
				      .csum_start = 34,
				      .csum_offset = 16,
				      .gso_type = STACK_GSO_TCPV4,
				      .gso_size = 1448 };
	uint8_t ip[FRAME_LEN];
	struct sim_link l;
	struct sim_frame f;
	int metas = 0, plain = 0;

	(void)state;
	make_frame(ip, 9);
	assert_int_equal(sim_link_init(&l, &p, 5, 1), 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(sim_link_send_meta(&l, 0, ip, sizeof(ip), &m), 0);
		assert_int_equal(sim_link_send(&l, 0, ip, sizeof(ip)), 0);
	}
	assert_int_equal(l.stats.corrupted, 20);
	while (sim_link_pop(&l, 1000, &f)) {
		if (f.has_meta) {
			metas++;
			assert_memory_equal(f.data, ip, sizeof(ip));
			assert_true(f.meta.csum_partial);
			assert_int_equal(f.meta.csum_start, m.csum_start);
			assert_int_equal(f.meta.csum_offset, m.csum_offset);
			assert_int_equal(f.meta.gso_type, m.gso_type);
			assert_int_equal(f.meta.gso_size, m.gso_size);
		} else {
			int diff = 0;

			plain++;
			for (size_t i = 0; i < f.len; i++)
				diff += f.data[i] != ip[i];
			assert_int_equal(diff, 1);
			assert_memory_equal(f.data, ip, 14);
		}
		free(f.data);
	}
	assert_int_equal(metas, 20);
	assert_int_equal(plain, 20);
	sim_link_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_same_sequence),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_gilbert_elliott),
		cmocka_unit_test(test_gilbert_elliott_slotted),
		cmocka_unit_test(test_fifo_and_delay),
		cmocka_unit_test(test_reorder_overtakes),
		cmocka_unit_test(test_queue_bound),
		cmocka_unit_test(test_corrupts_only_ip_payload),
		cmocka_unit_test(test_meta_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
