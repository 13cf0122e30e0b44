/* SPDX-License-Identifier: MIT */
/*
 * test-link.c - the TAP link's transmit back-pressure (daemon/link.c) over a
 * datagram socketpair standing in for the TAP: when writes hit EAGAIN frames
 * are queued in order and the core is told the link is blocked; past the
 * queue's bound frames are dropped with -ENOBUFS; once the peer drains, the
 * loop flushes the queue, unblocks the core and kicks it. The core's two
 * calls the link makes are stubbed here.
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

#include "link.h"
#include "vnet.h"

static int blocked_calls, unblocked_calls, kicks, inputs;

void stack_link_set_blocked(struct stack *s, bool blocked)
{
	if (blocked)
		blocked_calls++;
	else
		unblocked_calls++;
}

void stack_input(struct stack *s, stack_time_us now, const uint8_t *frame, size_t len,
		 const struct stack_frame_meta *meta)
{
	inputs++;
}

static void kick(void *ctx)
{
	kicks++;
}

static void test_backpressure(void **state)
{
	uv_loop_t loop;
	struct tap tap = { .vnet_hdr = true, .name = "test0" };
	struct link l;
	int sv[2], sndbuf = 4096;
	uint8_t frame[1000];
	uint32_t sent = 0, queued = 0, dropped = 0, next = 0;

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	tap.fd = sv[0];
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(link_init(&l, &tap), 0);
	l.kick = kick;
	assert_int_equal(link_start(&l, &loop, (struct stack *)&l), 0);

	/* write until the queue is full: EAGAIN -> queued -> -ENOBUFS */
	for (uint32_t i = 0; i < 4 * TXQ_DEFAULT_FRAMES; i++) {
		int r;

		memset(frame, 0, sizeof(frame));
		memcpy(frame, &i, sizeof(i));
		r = link_emit(&l, frame, sizeof(frame), NULL);
		if (r == -ENOBUFS) {
			dropped++;
			continue;
		}
		assert_int_equal(r, 0);
		if (l.blocked)
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
	for (int round = 0; round < 1000 && l.blocked; round++) {
		uint8_t buf[2048];
		ssize_t n;

		while ((n = recv(sv[1], buf, sizeof(buf), 0)) > 0) {
			uint32_t seq;

			assert_int_equal(n, VNET_HDR_LEN + sizeof(frame));
			memcpy(&seq, buf + VNET_HDR_LEN, sizeof(seq));
			assert_int_equal(seq, next); /* in order, nothing lost before the bound */
			next++;
		}
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	assert_false(l.blocked);
	assert_int_equal(unblocked_calls, 1);
	assert_true(kicks >= 1);
	assert_true(link_idle(&l));
	/* drain the last flushed frames: every frame sent or queued arrived */
	for (;;) {
		uint8_t buf[2048];
		ssize_t n = recv(sv[1], buf, sizeof(buf), 0);
		uint32_t seq;

		if (n <= 0)
			break;
		memcpy(&seq, buf + VNET_HDR_LEN, sizeof(seq));
		assert_int_equal(seq, next);
		next++;
	}
	assert_int_equal(next, sent + queued);

	/* and writes go straight through again */
	assert_int_equal(link_emit(&l, frame, sizeof(frame), NULL), 0);
	assert_false(l.blocked);

	link_stop(&l);
	uv_run(&loop, UV_RUN_DEFAULT);
	link_free(&l);
	assert_int_equal(uv_loop_close(&loop), 0);
	close(sv[0]);
	close(sv[1]);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backpressure),
		cmocka_unit_test(test_no_offload_refuses_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
