/* SPDX-License-Identifier: MIT */
/*
 * test-impair.c - the impairment engine (daemon/impair/): a seed repeats a
 * run exactly; loss, duplication, reordering and corruption happen at their
 * rates within statistical bounds; Gilbert-Elliott bursts have the mean
 * length 1/r; a reordered frame is released behind exactly N later frames
 * (or at its time cap); a flipped bit always fails the TCP checksum; the
 * token bucket holds the rate and drops what would wait too long; rules that
 * target one kind of segment touch nothing else; the hold queue keeps its
 * bounds; super-frames are cut into valid wire-sized segments.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csum.h"
#include "impair.h"
#include "impair_queue.h"
#include "impair_seg.h"
#include "wire.h"

#define N_FRAMES 200000

enum { F_SYN = 0x02, F_ACK = 0x10, F_FIN = 0x01, F_RST = 0x04, F_PSH = 0x08 };

/* An Ethernet + IPv4 + TCP frame with valid checksums; returns its length. */
static size_t tcp_frame(uint8_t *f, uint8_t flags, uint32_t seq, size_t payload)
{
	uint8_t *ip = f + 14, *tcp = ip + 20;
	size_t l4 = 20 + payload;

	memset(f, 0, 14 + 20 + l4);
	memset(f, 0x02, 12);
	f[12] = 0x08;
	ip[0] = 0x45;
	wire_put16(ip + 2, (uint16_t)(20 + l4));
	wire_put16(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = 6;
	wire_put32(ip + 12, 0x0a4d0001);
	wire_put32(ip + 16, 0x0a4d0002);
	wire_put16(ip + 10, csum_buf(ip, 20));
	wire_put16(tcp, 40000);
	wire_put16(tcp + 2, 80);
	wire_put32(tcp + 4, seq);
	wire_put32(tcp + 8, 1);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	wire_put16(tcp + 14, 65535);
	for (size_t i = 0; i < payload; i++)
		tcp[20 + i] = (uint8_t)(seq + i);
	wire_put16(tcp + 16,
		   csum_fold(csum_add(csum_pseudo4(0x0a4d0001, 0x0a4d0002, 6, (uint16_t)l4), tcp,
				      l4)));
	return 14 + 20 + l4;
}

static bool tcp_csum_ok(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + 14;
	size_t ihl = (size_t)(ip[0] & 15) * 4, l4 = wire_get16(ip + 2) - ihl;

	return csum_buf(ip, ihl) == 0 &&
	       csum_fold(csum_add(
		       csum_pseudo4(wire_get32(ip + 12), wire_get32(ip + 16), 6, (uint16_t)l4),
		       ip + ihl, l4)) == 0;
}

static struct impair_params base(void)
{
	return (struct impair_params){ .seed = 42, .dirs = IMPAIR_DIRS_BOTH };
}

/* Within 5 standard deviations of a binomial(n, ppm) count. */
static void assert_rate(uint64_t got, uint64_t n, uint32_t ppm)
{
	double p = ppm / 1e6, mean = n * p, sd = sqrt(n * p * (1 - p));

	if (fabs((double)got - mean) > 5 * sd)
		fail_msg("%llu of %llu, expected %.0f +- %.0f", (unsigned long long)got,
			 (unsigned long long)n, mean, 5 * sd);
}

static void test_seed_repeats(void **state)
{
	struct impair_params p = base();
	struct impair a, b, c;
	uint8_t fa[2000], fb[2000], fc[2000];
	unsigned differ = 0;

	p.loss_ppm = 50000;
	p.dup_ppm = 10000;
	p.reorder_ppm = 20000;
	p.reorder_frames = 1;
	p.corrupt_ppm = 5000;
	p.jitter_us = 300;
	p.delay_us = 1000;
	impair_init(&a, &p);
	impair_init(&b, &p);
	p.seed = 43;
	impair_init(&c, &p);
	for (uint32_t i = 0; i < 20000; i++) {
		struct impair_verdict va, vb, vc;
		size_t len = tcp_frame(fa, F_ACK, i * 1000, 1000);

		memcpy(fb, fa, len);
		memcpy(fc, fa, len);
		impair_frame(&a, IMPAIR_OUT, fa, len, i * 10, &va);
		impair_frame(&b, IMPAIR_OUT, fb, len, i * 10, &vb);
		impair_frame(&c, IMPAIR_OUT, fc, len, i * 10, &vc);
		assert_memory_equal(&va, &vb, sizeof(va));
		assert_memory_equal(fa, fb, len);
		differ += memcmp(&va, &vc, sizeof(va)) != 0;
	}
	assert_memory_equal(&a.ctr, &b.ctr, sizeof(a.ctr));
	assert_true(differ > 1000); /* another seed is another run */
}

static void test_rates(void **state)
{
	struct impair_params p = base();
	struct impair im;
	uint8_t f[200];
	size_t len = tcp_frame(f, F_ACK, 1, 0);

	p.loss_ppm = 50000;
	p.dup_ppm = 10000;
	p.reorder_ppm = 20000;
	p.reorder_frames = 1;
	p.corrupt_ppm = 5000;
	impair_init(&im, &p);
	for (uint64_t i = 0; i < N_FRAMES; i++) {
		struct impair_verdict v;
		uint8_t g[200];

		memcpy(g, f, len);
		impair_frame(&im, IMPAIR_IN, g, len, i, &v);
		assert_int_equal(v.copies, (v.flags & IMPAIR_F_DROPPED)	     ? 0
					   : (v.flags & IMPAIR_F_DUPLICATED) ? 2
									     : 1);
	}
	const struct impair_counters *c = &im.ctr[IMPAIR_IN];
	uint64_t kept = N_FRAMES - c->dropped;

	assert_int_equal(c->frames, N_FRAMES);
	assert_int_equal(im.ctr[IMPAIR_OUT].frames, 0);
	assert_rate(c->dropped, N_FRAMES, p.loss_ppm);
	/* the later steps see only the frames that were not lost */
	assert_rate(c->duplicated, kept, p.dup_ppm);
	assert_rate(c->reordered, kept, p.reorder_ppm);
	assert_rate(c->corrupted, kept, p.corrupt_ppm);
}

static void test_direction_and_match(void **state)
{
	struct impair_params p = base();
	struct impair im;
	uint8_t f[2000];
	static const struct {
		uint8_t flags;
		size_t payload;
		uint32_t kind;
	} kinds[] = {
		{ F_SYN, 0, IMPAIR_MATCH_SYN },
		{ F_SYN | F_ACK, 0, IMPAIR_MATCH_SYNACK },
		{ F_ACK, 0, IMPAIR_MATCH_ACK },
		{ F_ACK | F_PSH, 100, IMPAIR_MATCH_DATA },
		{ F_RST, 0, IMPAIR_MATCH_RST },
		{ F_FIN | F_ACK, 0, IMPAIR_MATCH_FIN },
		{ F_FIN | F_ACK, 10, IMPAIR_MATCH_FIN | IMPAIR_MATCH_DATA },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t len = tcp_frame(f, kinds[i].flags, 1, kinds[i].payload);

		assert_int_equal(impair_classify(f, len), kinds[i].kind);
	}
	memset(f, 0, 60);
	f[12] = 0x08;
	f[13] = 0x06; /* ARP */
	assert_int_equal(impair_classify(f, 60), IMPAIR_MATCH_OTHER);

	/* duplicate SYNs only, inbound only, the copy 3 s later */
	p.dirs = IMPAIR_DIR_BIT(IMPAIR_IN);
	p.match = IMPAIR_MATCH_SYN;
	p.dup_ppm = 1000000;
	p.dup_delay_us = 3000000;
	impair_init(&im, &p);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct impair_verdict v;
		size_t len = tcp_frame(f, kinds[i].flags, 1, kinds[i].payload);

		impair_frame(&im, IMPAIR_IN, f, len, 100, &v);
		if (kinds[i].kind == IMPAIR_MATCH_SYN) {
			assert_int_equal(v.copies, 2);
			assert_int_equal(v.copy[0].at_us, 100);
			assert_int_equal(v.copy[1].at_us, 3000100);
		} else {
			assert_int_equal(v.copies, 1);
			assert_int_equal(v.flags, 0);
		}
		len = tcp_frame(f, kinds[i].flags, 1, kinds[i].payload);
		impair_frame(&im, IMPAIR_OUT, f, len, 100, &v);
		assert_int_equal(v.copies, 1); /* not outbound */
		assert_int_equal(v.flags, 0);
	}
	assert_int_equal(im.ctr[IMPAIR_IN].duplicated, 1);

	uint32_t m;
	char buf[64];

	assert_int_equal(impair_match_parse("syn,synack", &m), 0);
	assert_int_equal(m, IMPAIR_MATCH_SYN | IMPAIR_MATCH_SYNACK);
	assert_int_equal(impair_match_parse("syn,", &m), -EINVAL);
	assert_int_equal(impair_match_parse("syn,bogus", &m), -EINVAL);
	assert_int_equal(
		impair_match_format(IMPAIR_MATCH_FIN | IMPAIR_MATCH_DATA, buf, sizeof(buf)), 8);
	assert_string_equal(buf, "fin,data");
}

static void test_gilbert_elliott_bursts(void **state)
{
	struct impair_params p = base();
	struct impair im;
	uint8_t f[200];
	size_t len = tcp_frame(f, F_ACK, 1, 0);
	uint64_t bursts = 0, lost = 0, run = 0;

	/* p 1 %, r 25 %: bursts of 1/r = 4 frames on average, 1/26 of frames lost */
	p.ge_p_ppm = 10000;
	p.ge_r_ppm = 250000;
	p.ge_bad_loss_ppm = 1000000;
	impair_init(&im, &p);
	for (uint64_t i = 0; i < N_FRAMES; i++) {
		struct impair_verdict v;

		impair_frame(&im, IMPAIR_OUT, f, len, i, &v);
		if (v.copies == 0) {
			lost++;
			run++;
		} else if (run) {
			bursts++;
			run = 0;
		}
	}
	double mean = (double)lost / (double)bursts, frac = (double)lost / N_FRAMES;

	print_message("GE: %llu lost in %llu bursts, mean burst %.2f, loss %.2f%%\n",
		      (unsigned long long)lost, (unsigned long long)bursts, mean, frac * 100);
	/* ~1,900 bursts of geometric length (sd ~3.5): the mean is within 0.4 of 4 */
	assert_true(mean > 3.6 && mean < 4.4);
	assert_true(frac > 0.0385 * 0.85 && frac < 0.0385 * 1.15);
	assert_int_equal(im.ctr[IMPAIR_OUT].dropped, lost);
}

/* Push every frame through engine and queue as synackd does; record the order delivered. */
struct pipe {
	struct impair im;
	struct impair_queue q;
	uint32_t out[64];
	unsigned n_out;
};

static void pipe_deliver(struct pipe *x, const uint8_t *f, uint64_t now)
{
	x->out[x->n_out++] = wire_get32(f + 14 + 20 + 4);
	impair_queue_passed(&x->q, IMPAIR_OUT, now);
}

static void pipe_send(struct pipe *x, uint8_t flags, uint32_t seq, size_t payload, uint64_t now)
{
	uint8_t f[2000];
	size_t len = tcp_frame(f, flags, seq, payload);
	struct impair_verdict v;
	struct impair_qframe *q;
	bool now_too = false;

	impair_frame(&x->im, IMPAIR_OUT, f, len, now, &v);
	for (unsigned i = 0; i < v.copies; i++) {
		if (v.copy[i].at_us <= now && !v.copy[i].after_frames)
			now_too = true;
		else
			assert_int_equal(impair_queue_push(&x->q, IMPAIR_OUT, f, len, &v.copy[i]),
					 0);
	}
	if (now_too)
		pipe_deliver(x, f, now);
	while ((q = impair_queue_pop_due(&x->q, now))) {
		pipe_deliver(x, q->data, now);
		impair_queue_release(&x->q, q);
	}
}

static void pipe_tick(struct pipe *x, uint64_t now)
{
	struct impair_qframe *q;

	while ((q = impair_queue_pop_due(&x->q, now))) {
		pipe_deliver(x, q->data, now);
		impair_queue_release(&x->q, q);
	}
}

static void test_reorder_distance(void **state)
{
	struct impair_params p = base();
	struct pipe x = { 0 };

	/* data frames are held behind 3 later frames (the ACKs here), at most 50 ms */
	p.match = IMPAIR_MATCH_DATA;
	p.reorder_ppm = 1000000;
	p.reorder_frames = 3;
	p.reorder_us = 50000;
	impair_init(&x.im, &p);
	assert_int_equal(impair_queue_init(&x.q, 16, 1 << 20), 0);
	pipe_send(&x, F_ACK, 100, 10, 0); /* data: held */
	for (uint32_t i = 1; i <= 5; i++)
		pipe_send(&x, F_ACK, 100 + i, 0, i); /* pure ACKs pass */
	assert_int_equal(x.n_out, 6);
	uint32_t want[] = { 101, 102, 103, 100, 104, 105 };
	assert_memory_equal(x.out, want, sizeof(want));
	assert_int_equal(x.im.ctr[IMPAIR_OUT].reordered, 1);

	/* with nothing behind it, a held frame leaves at its time cap */
	pipe_send(&x, F_ACK, 200, 10, 1000);
	assert_int_equal(x.n_out, 6);
	assert_int_equal(impair_queue_next_at(&x.q), 1000 + 50000);
	pipe_tick(&x, 50999);
	assert_int_equal(x.n_out, 6);
	pipe_tick(&x, 51000);
	assert_int_equal(x.n_out, 7);
	assert_int_equal(x.out[6], 200);
	impair_queue_free(&x.q);
}

static void test_delay_jitter(void **state)
{
	struct impair_params p = base();
	struct impair im;
	uint8_t f[200];
	size_t len = tcp_frame(f, F_ACK, 1, 0);
	uint64_t lo = UINT64_MAX, hi = 0;
	double sum = 0;

	p.delay_us = 20000;
	p.jitter_us = 5000;
	impair_init(&im, &p);
	for (int i = 0; i < 10000; i++) {
		struct impair_verdict v;

		impair_frame(&im, IMPAIR_IN, f, len, 1000000, &v);
		uint64_t d = v.copy[0].at_us - 1000000;

		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
		sum += (double)d;
	}
	assert_true(lo >= 15000 && lo < 15100);
	assert_true(hi <= 25000 && hi > 24900);
	assert_true(fabs(sum / 10000 - 20000) < 100);
	assert_int_equal(im.ctr[IMPAIR_IN].delayed, 10000);
}

static void test_corruption_fails_checksum(void **state)
{
	struct impair_params p = base();
	struct impair im;
	uint8_t f[2000], orig[2000];

	p.corrupt_ppm = 1000000;
	impair_init(&im, &p);
	for (uint32_t i = 0; i < 5000; i++) {
		struct impair_verdict v;
		size_t len = tcp_frame(f, F_ACK, i, i % 1400);

		memcpy(orig, f, len);
		assert_true(tcp_csum_ok(f, len));
		impair_frame(&im, IMPAIR_OUT, f, len, i, &v);
		assert_true(v.flags & IMPAIR_F_CORRUPTED);
		/* one bit, never in the Ethernet or IP header */
		assert_true(v.flipped_bit >= (14 + 20) * 8 && v.flipped_bit < len * 8);
		assert_memory_equal(f, orig, 14 + 20);
		orig[v.flipped_bit / 8] ^= (uint8_t)(0x80 >> (v.flipped_bit % 8));
		assert_memory_equal(f, orig, len);
		assert_false(tcp_csum_ok(f, len));
	}
	/* a frame that is not IPv4 is left alone */
	memset(f, 0x5a, 60);
	f[12] = 0x08;
	f[13] = 0x06;
	memcpy(orig, f, 60);
	struct impair_verdict v;
	impair_frame(&im, IMPAIR_OUT, f, 60, 1, &v);
	assert_false(v.flags & IMPAIR_F_CORRUPTED);
	assert_memory_equal(f, orig, 60);
}

static void test_rate_limit(void **state)
{
	struct impair_params p = base();
	struct impair im;
	uint8_t f[2000];
	size_t len = tcp_frame(f, F_ACK, 1, 1000 - 54); /* 1000-byte frames */
	uint64_t delivered = 0, dropped = 0, last_at = 0;

	/* 8 Mbit/s = one byte per µs, a 16 KiB bucket, waits of at most 100 ms */
	p.rate_bps = 8000000;
	impair_init(&im, &p);
	/* 1,000 frames at once: a bucketful now, then one every 1,000 µs for 100 ms */
	for (int i = 0; i < 1000; i++) {
		struct impair_verdict v;

		impair_frame(&im, IMPAIR_OUT, f, len, 0, &v);
		if (v.copies == 0) {
			assert_true(v.flags & IMPAIR_F_RATE_LIMITED);
			dropped++;
			continue;
		}
		if (delivered < 16)
			assert_int_equal(v.copy[0].at_us, 0);
		else
			assert_int_equal(v.copy[0].at_us,
					 last_at + 1000 - (delivered == 16 ? 384 : 0));
		last_at = v.copy[0].at_us;
		delivered++;
	}
	/* 16,384 bytes of burst, then 100 ms at 1 byte/µs */
	assert_int_equal(delivered, 16 + 100);
	assert_int_equal(dropped, 1000 - 116);
	assert_int_equal(im.ctr[IMPAIR_OUT].rate_limited, dropped);

	/* offered at twice the rate for 2 s: what passes is the rate plus one bucket */
	impair_init(&im, &p);
	delivered = 0;
	for (uint64_t t = 0; t < 2000000; t += 500) {
		struct impair_verdict v;

		if (impair_frame(&im, IMPAIR_OUT, f, len, t, &v) && v.copy[0].at_us < 2000000)
			delivered += len;
	}
	assert_true(delivered >= 2000000 && delivered <= 2000000 + 16384 + 1000);
}

static void test_queue_bounds(void **state)
{
	struct impair_queue q;
	uint8_t f[1000] = { 0 };
	struct impair_copy c = { .at_us = 10 };
	struct impair_qframe *x;

	assert_int_equal(impair_queue_init(&q, 4, 2500), 0);
	for (int i = 0; i < 2; i++) {
		c.at_us = 30 - (uint64_t)i * 10;
		assert_int_equal(impair_queue_push(&q, IMPAIR_IN, f, 1000, &c), 0);
	}
	assert_int_equal(impair_queue_push(&q, IMPAIR_IN, f, 1000, &c), -ENOBUFS); /* bytes */
	assert_int_equal(impair_queue_push(&q, IMPAIR_IN, f, 100, &c), 0);
	assert_int_equal(impair_queue_push(&q, IMPAIR_IN, f, 100, &c), 0);
	assert_int_equal(impair_queue_push(&q, IMPAIR_IN, f, 10, &c), -ENOBUFS); /* frames */
	assert_int_equal(q.overflow, 2);
	assert_int_equal(impair_queue_next_at(&q), 20);
	assert_null(impair_queue_pop_due(&q, 19));
	x = impair_queue_pop_due(&q, 20);
	assert_int_equal(x->len, 1000); /* first pushed among those due at 20 */
	impair_queue_release(&q, x);
	x = impair_queue_pop_due(&q, 20);
	assert_int_equal(x->len, 100);
	impair_queue_release(&q, x);
	assert_int_equal(impair_queue_frames(&q), 2);
	assert_int_equal(impair_queue_flush(&q), 2);
	assert_int_equal(impair_queue_next_at(&q), IMPAIR_TIME_NEVER);
	impair_queue_free(&q);
}

struct seg_out {
	uint8_t frames[64][1600];
	size_t len[64];
	unsigned n;
};

static int seg_emit(void *ctx, uint8_t *frame, size_t len)
{
	struct seg_out *o = ctx;

	memcpy(o->frames[o->n], frame, len);
	o->len[o->n++] = len;
	return 0;
}

static void test_segmentation(void **state)
{
	static uint8_t big[14 + 20 + 20 + 40000], scratch[IMPAIR_SEG_SCRATCH];
	static struct seg_out o;
	size_t len = tcp_frame(big, F_ACK | F_PSH | F_FIN | 0x80, 1000, 40000);
	struct impair_seg_in in = {
		.csum_partial = true, .csum_start = 34, .csum_offset = 16, .gso_size = 1448
	};

	/* as the core hands a TSO frame over: only the pseudo-header sum in the field */
	wire_put16(big + 34 + 16, (uint16_t)~csum_fold(csum_pseudo4(0x0a4d0001, 0x0a4d0002, 6,
								    (uint16_t)(20 + 40000))));
	o.n = 0;
	assert_int_equal(impair_seg_split(big, len, &in, scratch, seg_emit, &o), 28);
	for (unsigned i = 0; i < o.n; i++) {
		const uint8_t *f = o.frames[i], *tcp = f + 34;
		size_t pay = i < 27 ? 1448 : 40000 - 27 * 1448;

		assert_int_equal(o.len[i], 54 + pay);
		assert_true(tcp_csum_ok(f, o.len[i]));
		assert_int_equal(wire_get32(tcp + 4), 1000 + i * 1448);
		assert_int_equal(wire_get16(f + 14 + 4), 0x1234 + i);
		assert_int_equal(!!(tcp[13] & F_FIN), i == 27);
		assert_int_equal(!!(tcp[13] & F_PSH), i == 27);
		assert_int_equal(!!(tcp[13] & 0x80), i == 0); /* CWR */
		assert_memory_equal(tcp + 20, big + 54 + i * 1448, pay);
	}
	/* a plain frame with a partial checksum comes out once, completed */
	len = tcp_frame(big, F_ACK, 5, 100);
	wire_put16(big + 34 + 16,
		   (uint16_t)~csum_fold(csum_pseudo4(0x0a4d0001, 0x0a4d0002, 6, 120)));
	assert_false(tcp_csum_ok(big, len));
	in.gso_size = 0;
	o.n = 0;
	assert_int_equal(impair_seg_split(big, len, &in, scratch, seg_emit, &o), 1);
	assert_true(tcp_csum_ok(o.frames[0], o.len[0]));
	/* a super-frame that is not TCP/IPv4 is refused */
	big[14 + 9] = 17;
	in.gso_size = 1448;
	assert_int_equal(impair_seg_split(big, len, &in, scratch, seg_emit, &o), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_repeats),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_direction_and_match),
		cmocka_unit_test(test_gilbert_elliott_bursts),
		cmocka_unit_test(test_reorder_distance),
		cmocka_unit_test(test_delay_jitter),
		cmocka_unit_test(test_corruption_fails_checksum),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_queue_bounds),
		cmocka_unit_test(test_segmentation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
