/* SPDX-License-Identifier: MIT */
/*
 * test-link.c - the TAP link's transmit back-pressure (daemon/link/link.c) over a
 * datagram socketpair standing in for the TAP: when writes hit EAGAIN frames
 * are queued in order and the core is told the link is blocked; past the
 * queue's bound frames are dropped with -ENOBUFS; once the peer drains, the
 * loop flushes the queue, unblocks the core and kicks it. The core's two
 * calls the link makes are stubbed here. With an impairment on, a TSO
 * super-frame the core sends and a GSO frame the kernel hands over are cut
 * into wire-sized frames with complete checksums and no offload requests,
 * held for the configured delay by the stage's timer. A frame handed over as
 * headers + payload pieces (link_emit_tail) reaches the TAP as one frame in
 * order, also through the queue after the pieces' memory was reused, and
 * is captured whole only while a capture runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "csum.h"
#include "link.h"
#include "vnet.h"
#include "wire.h"

static int blocked_calls, unblocked_calls, kicks, inputs;
static size_t input_len[64];
static bool input_plain[64];
static uint32_t input_seq[64];
static bool input_csum_ok[64];
/* when set, the stub core answers each input frame at once with reply_frame, as
 * the real core sends an ACK from inside stack_input() */
static struct link *reply_link;
static uint8_t reply_frame[54 + 10];

void stack_link_set_blocked(struct stack *s, bool blocked)
{
	if (blocked)
		blocked_calls++;
	else
		unblocked_calls++;
}

static bool tcp_csum_ok(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + 14;
	size_t l4 = wire_get16(ip + 2) - 20;

	return len == 14 + 20 + l4 && csum_buf(ip, 20) == 0 &&
	       csum_fold(csum_add(
		       csum_pseudo4(wire_get32(ip + 12), wire_get32(ip + 16), 6, (uint16_t)l4),
		       ip + 20, l4)) == 0;
}

void stack_input(struct stack *s, stack_time_us now, const uint8_t *frame, size_t len,
		 const struct stack_frame_meta *meta)
{
	if (inputs < 64) {
		input_len[inputs] = len;
		input_plain[inputs] = !meta->csum_valid && !meta->csum_partial && !meta->gso_type;
		input_seq[inputs] = len >= 54 ? wire_get32(frame + 38) : 0;
		input_csum_ok[inputs] = len >= 54 && tcp_csum_ok(frame, len);
	}
	inputs++;
	if (reply_link)
		link_emit(reply_link, reply_frame, sizeof(reply_frame), NULL);
}

static int batches_open, batches_ended;

void stack_input_batch_begin(struct stack *s)
{
	batches_open++;
}

void stack_input_batch_end(struct stack *s, stack_time_us now)
{
	batches_ended++;
}

static void kick(void *ctx)
{
	kicks++;
}

/* A link on a datagram socketpair standing in for the TAP, started on its own loop. */
struct link_rig {
	uv_loop_t loop;
	struct tap tap;
	struct link l;
	int sv[2];
};

/* sndbuf > 0: the TAP end's SO_SNDBUF (small, so writes meet EAGAIN soon). */
static void rig_start(struct link_rig *r, int sndbuf)
{
	memset(r, 0, sizeof(*r));
	r->tap = (struct tap){ .vnet_hdr = true, .name = "test0" };
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, r->sv), 0);
	if (sndbuf > 0)
		setsockopt(r->sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	r->tap.fd = r->sv[0];
	assert_int_equal(uv_loop_init(&r->loop), 0);
	assert_int_equal(link_init(&r->l, &r->tap), 0);
	r->l.kick = kick;
	assert_int_equal(link_start(&r->l, &r->loop, (struct stack *)&r->l), 0);
}

static void rig_end(struct link_rig *r)
{
	link_stop(&r->l);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	link_free(&r->l);
	assert_int_equal(uv_loop_close(&r->loop), 0);
	close(r->sv[0]);
	close(r->sv[1]);
}

/*
 * One non-blocking turn of the rig's loop, then 0.2 ms of sleep. Not
 * UV_RUN_ONCE: a timer already due when uv_run() starts fires before the
 * poll, and when it did all that was left (the impairment's held frames),
 * that poll has no timer left to bound it and waits for good for a frame
 * nobody sends. That happened in CI whenever the test was held off the CPU
 * past the impairment's delay.
 */
static void rig_turn(struct link_rig *r)
{
	uv_run(&r->loop, UV_RUN_NOWAIT);
	usleep(200);
}

static void test_backpressure(void **state)
{
	struct link_rig rig;
	int sndbuf = 4096;
	uint8_t frame[1000];
	uint32_t sent = 0, queued = 0, dropped = 0, next = 0;

	rig_start(&rig, sndbuf);

	/* write until the queue is full: EAGAIN -> queued -> -ENOBUFS */
	for (uint32_t i = 0; i < 4 * TXQ_DEFAULT_FRAMES; i++) {
		int r;

		memset(frame, 0, sizeof(frame));
		memcpy(frame, &i, sizeof(i));
		r = link_emit(&rig.l, frame, sizeof(frame), NULL);
		if (r == -ENOBUFS) {
			dropped++;
			continue;
		}
		assert_int_equal(r, 0);
		if (rig.l.blocked)
			queued++;
		else
			sent++;
	}
	assert_true(sent > 0);
	assert_int_equal(queued, TXQ_DEFAULT_FRAMES);
	assert_true(dropped > 0);
	assert_int_equal(blocked_calls, 1);
	assert_int_equal(unblocked_calls, 0);

	/* the peer reads everything; the loop flushes the queue and unblocks */
	for (int round = 0; round < 1000 && rig.l.blocked; round++) {
		uint8_t buf[2048];
		ssize_t n;

		while ((n = recv(rig.sv[1], buf, sizeof(buf), 0)) > 0) {
			uint32_t seq;

			assert_int_equal(n, VNET_HDR_LEN + sizeof(frame));
			memcpy(&seq, buf + VNET_HDR_LEN, sizeof(seq));
			assert_int_equal(seq, next); /* in order, nothing lost before the bound */
			next++;
		}
		uv_run(&rig.loop, UV_RUN_NOWAIT);
	}
	assert_false(rig.l.blocked);
	assert_int_equal(unblocked_calls, 1);
	assert_true(kicks >= 1);
	assert_true(link_idle(&rig.l));
	/* drain the last flushed frames: every frame sent or queued arrived */
	for (;;) {
		uint8_t buf[2048];
		ssize_t n = recv(rig.sv[1], buf, sizeof(buf), 0);
		uint32_t seq;

		if (n <= 0)
			break;
		memcpy(&seq, buf + VNET_HDR_LEN, sizeof(seq));
		assert_int_equal(seq, next);
		next++;
	}
	assert_int_equal(next, sent + queued);

	/* and writes go straight through again */
	assert_int_equal(link_emit(&rig.l, frame, sizeof(frame), NULL), 0);
	assert_false(rig.l.blocked);

	rig_end(&rig);
}

/* Byte j of frame i's payload, and of its headers. */
static uint8_t tail_byte(uint32_t i, uint32_t j)
{
	return (uint8_t)(i * 31 + j * 7 + 1);
}

static uint8_t head_byte(uint32_t i, uint32_t j)
{
	return (uint8_t)(i * 13 + j + 5);
}

static unsigned captured, captured_bad;
static bool capture_on;

#define TAIL_HEAD 54
#define TAIL_A	  700
#define TAIL_B	  300

static void tail_capture(void *ctx, bool out, const uint8_t *frame, size_t len)
{
	uint32_t i;

	captured++;
	memcpy(&i, frame, sizeof(i));
	if (!out || len != TAIL_HEAD + TAIL_A + TAIL_B)
		captured_bad++;
	for (uint32_t j = sizeof(i); out && j < TAIL_HEAD && j < len; j++)
		if (frame[j] != head_byte(i, j))
			captured_bad++;
	for (uint32_t j = 0; out && j < TAIL_A + TAIL_B && TAIL_HEAD + j < len; j++)
		if (frame[TAIL_HEAD + j] != tail_byte(i, j))
			captured_bad++;
}

static bool tail_capture_active(void *ctx)
{
	return capture_on;
}

/* Frame i: headers in head, payload in two pieces of a "ring" reused after the call. */
static int emit_tail_frame(struct link *l, uint32_t i)
{
	static uint8_t ring[TAIL_A + TAIL_B];
	uint8_t head[TAIL_HEAD + TAIL_A + TAIL_B]; /* room for the tail, as the core's */
	struct stack_frame_tail t = { { ring + TAIL_B, ring }, { TAIL_A, TAIL_B } };
	int r;

	memcpy(head, &i, sizeof(i));
	for (uint32_t j = sizeof(i); j < TAIL_HEAD; j++)
		head[j] = head_byte(i, j);
	for (uint32_t j = 0; j < TAIL_A + TAIL_B; j++)
		ring[j < TAIL_A ? TAIL_B + j : j - TAIL_A] = tail_byte(i, j);
	r = link_emit_tail(l, head, TAIL_HEAD, &t, NULL);
	memset(ring, 0xee, sizeof(ring)); /* the ring moves on: a queued frame has its copy */
	memset(head, 0xdd, sizeof(head));
	return r;
}

/* Take what reached the TAP; each frame must be frame next's bytes. */
static uint32_t tail_drain(struct link_rig *rig, uint32_t next)
{
	uint8_t buf[2048];
	ssize_t n;

	while ((n = recv(rig->sv[1], buf, sizeof(buf), 0)) > 0) {
		const uint8_t *f = buf + VNET_HDR_LEN;
		uint32_t i;

		assert_int_equal(n, VNET_HDR_LEN + TAIL_HEAD + TAIL_A + TAIL_B);
		memcpy(&i, f, sizeof(i));
		assert_int_equal(i, next);
		for (uint32_t j = sizeof(i); j < TAIL_HEAD; j++)
			assert_int_equal(f[j], head_byte(i, j));
		for (uint32_t j = 0; j < TAIL_A + TAIL_B; j++)
			assert_int_equal(f[TAIL_HEAD + j], tail_byte(i, j));
		next++;
	}
	return next;
}

static void test_emit_tail(void **state)
{
	struct link_rig rig;
	uint32_t i = 0, sent = 0, next = 0;

	rig_start(&rig, 4096);
	rig.l.capture = tail_capture;
	rig.l.capture_active = tail_capture_active;
	captured = captured_bad = 0;
	/* nobody captures: pieces straight to the TAP, the capture not called */
	capture_on = false;
	assert_int_equal(emit_tail_frame(&rig.l, i++), 0);
	assert_int_equal(captured, 0);
	next = tail_drain(&rig, next);
	assert_int_equal(next, 1);
	/* a capture runs: it sees the frame whole */
	capture_on = true;
	assert_int_equal(emit_tail_frame(&rig.l, i++), 0);
	assert_int_equal(captured, 1);
	assert_int_equal(captured_bad, 0);
	capture_on = false;
	next = tail_drain(&rig, next);
	assert_int_equal(next, 2);
	/* the TAP pushes back: frames queue whole, in order, and arrive intact */
	while (!rig.l.blocked && i < 1000)
		assert_int_equal(emit_tail_frame(&rig.l, i++), 0);
	assert_true(rig.l.blocked);
	for (int k = 0; k < 8; k++)
		assert_int_equal(emit_tail_frame(&rig.l, i++), 0);
	sent = i;
	for (int round = 0; round < 1000 && next < sent; round++) {
		next = tail_drain(&rig, next);
		uv_run(&rig.loop, UV_RUN_NOWAIT);
	}
	next = tail_drain(&rig, next);
	assert_int_equal(next, sent);
	assert_false(rig.l.blocked);
	rig_end(&rig);
}

static void test_no_offload_refuses_requests(void **state)
{
	struct tap tap = { .vnet_hdr = false, .name = "test0" };
	struct stack_frame_meta gso = { .gso_type = STACK_GSO_TCPV4, .gso_size = 1448 };
	struct link l;
	uint8_t frame[64] = { 0 };
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	tap.fd = sv[0];
	assert_int_equal(link_init(&l, &tap), 0);
	assert_int_equal(link_emit(&l, frame, sizeof(frame), &gso), -EOPNOTSUPP);
	/* a plain frame goes out without a header */
	assert_int_equal(link_emit(&l, frame, sizeof(frame), NULL), 0);
	assert_int_equal(recv(sv[1], frame, sizeof(frame), 0), sizeof(frame));
	link_free(&l);
	close(sv[0]);
	close(sv[1]);
}

/* A TCP/IPv4 frame of 40 + payload bytes after Ethernet, its checksum partial (as offloaded). */
static size_t tso_frame(uint8_t *f, uint32_t seq, size_t payload)
{
	uint8_t *ip = f + 14, *tcp = ip + 20;

	memset(f, 0, 54 + payload);
	f[12] = 0x08;
	ip[0] = 0x45;
	wire_put16(ip + 2, (uint16_t)(40 + payload));
	ip[8] = 64;
	ip[9] = 6;
	wire_put32(ip + 12, 0x0a4d0002);
	wire_put32(ip + 16, 0x0a4d0001);
	wire_put16(ip + 10, csum_buf(ip, 20));
	wire_put32(tcp + 4, seq);
	tcp[12] = 5 << 4;
	tcp[13] = 0x18;
	for (size_t i = 0; i < payload; i++)
		tcp[20 + i] = (uint8_t)i;
	wire_put16(tcp + 16, (uint16_t)~csum_fold(csum_pseudo4(0x0a4d0002, 0x0a4d0001, 6,
							       (uint16_t)(20 + payload))));
	return 54 + payload;
}

static void test_impair_cuts_super_frames(void **state)
{
	struct link_rig rig;
	static uint8_t frame[54 + 14480], buf[VNET_HDR_LEN + 54 + 14480];
	struct stack_frame_meta tso = { .csum_partial = true,
					.csum_start = 34,
					.csum_offset = 16,
					.gso_type = STACK_GSO_TCPV4,
					.gso_size = 1448,
					.hdr_len = 54 };
	struct config_impair imp = { .delay_us = 2000, .seed = 1, .direction = CONFIG_IMPAIR_BOTH };
	const uint8_t zero[VNET_HDR_LEN] = { 0 };
	size_t len = tso_frame(frame, 1000, 14480);
	unsigned got = 0;

	rig_start(&rig, 0);
	link_impair_apply(&rig.l.imp, &imp);
	assert_true(link_impair_on(&rig.l.imp, IMPAIR_OUT) &&
		    link_impair_on(&rig.l.imp, IMPAIR_IN));

	/* out: ten wire frames, held 2 ms, then plain (no offload asked), checksums complete */
	assert_int_equal(link_emit(&rig.l, frame, len, &tso), 0);
	assert_int_equal(recv(rig.sv[1], buf, sizeof(buf), 0), -1);
	/* past the delay before the loop turns: the frames are due as it starts */
	usleep(3000);
	for (int round = 0; round < 10000 && got < 10; round++) {
		ssize_t n;

		rig_turn(&rig);
		while ((n = recv(rig.sv[1], buf, sizeof(buf), 0)) > 0) {
			assert_int_equal(n, VNET_HDR_LEN + 54 + 1448);
			assert_memory_equal(buf, zero, VNET_HDR_LEN);
			assert_true(tcp_csum_ok(buf + VNET_HDR_LEN, (size_t)n - VNET_HDR_LEN));
			assert_int_equal(wire_get32(buf + VNET_HDR_LEN + 38), 1000 + got * 1448);
			got++;
		}
	}
	assert_int_equal(got, 10);
	assert_int_equal(rig.l.imp.engine.ctr[IMPAIR_OUT].delayed, 10);

	/* in: a GSO frame as the kernel writes it (partial checksum) reaches the core cut */
	vnet_hdr_build(&tso, buf);
	len = tso_frame(buf + VNET_HDR_LEN, 5000, 3000);
	inputs = 0;
	assert_int_equal(send(rig.sv[1], buf, VNET_HDR_LEN + len, 0),
			 (ssize_t)(VNET_HDR_LEN + len));
	rig_turn(&rig); /* read, cut and held */
	usleep(3000);	/* past the delay: due as the next turn starts */
	for (int round = 0; round < 10000 && inputs < 3; round++)
		rig_turn(&rig);
	assert_int_equal(inputs, 3); /* 1448 + 1448 + 104 */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(input_len[i], 54 + (i < 2 ? 1448 : 104));
		assert_true(input_plain[i]); /* the core checks the checksum itself */
		assert_true(input_csum_ok[i]);
		assert_int_equal(input_seq[i], 5000 + i * 1448);
	}
	assert_int_equal(rig.l.imp.engine.ctr[IMPAIR_IN].delayed, 3);

	rig_end(&rig);
}

/* --dup 100% with no delay: both copies go out at once, the original and the copy */
static void test_impair_duplicates_now(void **state)
{
	static uint8_t frame[54 + 100], buf[2048];
	struct config_impair imp = { .duplicate_ppm = 1000000,
				     .seed = 1,
				     .direction = CONFIG_IMPAIR_OUT };
	struct tap tap = { .vnet_hdr = true, .name = "test0" };
	struct link l;
	size_t len = tso_frame(frame, 7, 100);
	int sv[2], got = 0;

	wire_put16(frame + 34 + 16, 0);
	wire_put16(frame + 34 + 16, csum_fold(csum_add(csum_pseudo4(0x0a4d0002, 0x0a4d0001, 6, 120),
						       frame + 34, 120)));
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	tap.fd = sv[0];
	assert_int_equal(link_init(&l, &tap), 0);
	link_impair_apply(&l.imp, &imp);
	assert_int_equal(link_emit(&l, frame, len, NULL), 0);
	while (recv(sv[1], buf, sizeof(buf), 0) == (ssize_t)(VNET_HDR_LEN + len)) {
		assert_memory_equal(buf + VNET_HDR_LEN, frame, len);
		got++;
	}
	assert_int_equal(got, 2);
	assert_int_equal(l.imp.engine.ctr[IMPAIR_OUT].duplicated, 1);
	link_free(&l);
	close(sv[0]);
	close(sv[1]);
}

/*
 * Both directions on, every frame duplicated at once. The core answers the
 * first copy of an input frame from inside stack_input() (an ACK), and that
 * answer is cut through the stage too: the second copy the core gets must
 * still be the frame that came in. Before: both directions shared one scratch
 * buffer, the answer overwrote it, and the core got its own frame back as the
 * "duplicate".
 */
static void test_impair_dup_in_while_answering(void **state)
{
	struct link_rig rig;
	static uint8_t buf[VNET_HDR_LEN + 54 + 100];
	const struct stack_frame_meta partial = { .csum_partial = true,
						  .csum_start = 34,
						  .csum_offset = 16 };
	struct config_impair imp = { .duplicate_ppm = 1000000,
				     .seed = 1,
				     .direction = CONFIG_IMPAIR_BOTH };
	size_t len;

	rig_start(&rig, 0);
	link_impair_apply(&rig.l.imp, &imp);
	tso_frame(reply_frame, 9999, 10);
	reply_link = &rig.l;

	vnet_hdr_build(&partial, buf);
	len = tso_frame(buf + VNET_HDR_LEN, 5000, 100);
	inputs = 0;
	assert_int_equal(send(rig.sv[1], buf, VNET_HDR_LEN + len, 0),
			 (ssize_t)(VNET_HDR_LEN + len));
	for (int round = 0; round < 200 && inputs < 2; round++)
		uv_run(&rig.loop, UV_RUN_NOWAIT);
	reply_link = NULL;
	assert_int_equal(inputs, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(input_len[i], len);
		assert_int_equal(input_seq[i], 5000);
		assert_true(input_csum_ok[i]);
	}
	assert_int_equal(rig.l.imp.engine.ctr[IMPAIR_IN].duplicated, 1);
	assert_int_equal(rig.l.imp.engine.ctr[IMPAIR_OUT].duplicated, 2);

	rig_end(&rig);
}

/* Frames read in one wake-up reach the core as one batch: begin, the frames, end. */
static void test_reads_form_one_batch(void **state)
{
	struct link_rig rig;
	uint8_t buf[VNET_HDR_LEN + 2048];
	size_t len;

	rig_start(&rig, 0);
	memset(buf, 0, VNET_HDR_LEN);
	len = tso_frame(buf + VNET_HDR_LEN, 7000, 100);
	for (int i = 0; i < 3; i++)
		assert_int_equal(send(rig.sv[1], buf, VNET_HDR_LEN + len, 0),
				 (ssize_t)(VNET_HDR_LEN + len));
	inputs = batches_open = batches_ended = 0;
	for (int round = 0; round < 200 && inputs < 3; round++)
		uv_run(&rig.loop, UV_RUN_NOWAIT);
	assert_int_equal(inputs, 3);
	assert_int_equal(batches_ended, batches_open); /* every batch is closed */
	assert_int_equal(batches_ended, 1);	       /* all three read on one wake-up */
	rig_end(&rig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backpressure),
		cmocka_unit_test(test_emit_tail),
		cmocka_unit_test(test_reads_form_one_batch),
		cmocka_unit_test(test_no_offload_refuses_requests),
		cmocka_unit_test(test_impair_cuts_super_frames),
		cmocka_unit_test(test_impair_duplicates_now),
		cmocka_unit_test(test_impair_dup_in_while_answering),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
