/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-zerocopy.c - the rings seen in place (stack.h: stack_tcp_recv_peek,
 * stack_tcp_recv_consume, stack_tcp_send_reserve, stack_tcp_send_commit), as
 * the daemon's data sockets use them: the same bytes, windows (RFC 9293
 * §3.8.6, receiver SWS avoidance of RFC 1122 §4.2.3.3), end of stream and
 * errors as stack_tcp_recv() and stack_tcp_send() give, across the wrap.
 */
#include <string.h>

#include "harness.h"

#define MS(x) ((stack_time_us)(x)*1000)
#define RNXT  (H_REMOTE_ISN + 1)

/* Copy what the spans hold into out; returns their total. */
static size_t spans_copy(const struct stack_span sp[2], uint8_t *out)
{
	memcpy(out, sp[0].base, sp[0].len);
	if (sp[1].len)
		memcpy(out + sp[0].len, sp[1].base, sp[1].len);
	return sp[0].len + sp[1].len;
}

static void test_recv_peek_consume(void **state)
{
	struct harness *h = h_new(NULL);
	static uint8_t buf[H_RCVBUF];
	struct stack_span sp[2];
	uint32_t seq = RNXT;

	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_recv_peek(h->s, h->sock, sp), -EAGAIN);
	h_send(h, MS(1), SEG(.seq = seq, .ack = h->iss + 1, .len = 300), NULL);
	seq += 300;
	assert_int_equal(stack_tcp_recv_peek(h->s, h->sock, sp), 300);
	assert_int_equal(spans_copy(sp, buf), 300);
	for (int i = 0; i < 300; i++)
		assert_int_equal(buf[i], 'a' + (RNXT + i) % 26);
	/* peeking takes nothing */
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 300);
	assert_int_equal(stack_tcp_recv_consume(h->s, MS(2), h->sock, 301), -EINVAL);
	assert_int_equal(stack_tcp_recv_consume(h->s, MS(2), h->sock, 100), 0);
	assert_int_equal(stack_tcp_recv_peek(h->s, h->sock, sp), 200);
	spans_copy(sp, buf);
	assert_int_equal(buf[0], 'a' + (RNXT + 100) % 26);
	assert_int_equal(stack_tcp_recv_consume(h->s, MS(2), h->sock, 200), 0);
	assert_int_equal(stack_tcp_recv_peek(h->s, h->sock, sp), -EAGAIN);
	/* the peer's FIN: 0 once every byte is consumed */
	h_send(h, MS(3), SEG(.seq = seq, .ack = h->iss + 1, .len = 10), NULL);
	h_send(h, MS(3),
	       SEG(.seq = seq + 10, .ack = h->iss + 1, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK), NULL);
	assert_int_equal(stack_tcp_recv_peek(h->s, h->sock, sp), 10);
	assert_int_equal(stack_tcp_recv_consume(h->s, MS(4), h->sock, 10), 0);
	assert_int_equal(stack_tcp_recv_peek(h->s, h->sock, sp), 0);
	assert_int_equal(stack_tcp_recv_peek(h->s, h->lsock, sp), -ENOTCONN);
	h_free(h);
}

/* Consuming opens a full window as reading does: not for a little, for an MSS. */
static void test_recv_consume_opens_window(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_span sp[2];
	uint32_t seq = RNXT;

	h_establish_passive(h, 0);
	for (int i = 0; i < H_RCVBUF / 1024; i++) {
		h_send(h, MS(1), SEG(.seq = seq, .ack = h->iss + 1, .len = 1024), NULL);
		seq += 1024;
	}
	h_drain(h);
	h_poll(h, MS(100));
	h_drain(h);
	assert_int_equal(stack_tcp_recv_peek(h->s, h->sock, sp), H_RCVBUF);
	assert_int_equal(stack_tcp_recv_consume(h->s, MS(102), h->sock, 100), 0);
	h_expect_nothing(h);
	assert_int_equal(stack_tcp_recv_consume(h->s, MS(102), h->sock, 1400), 0);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = seq, .wnd = 1500));
	h_free(h);
}

/* Bytes that wrap the ring's end come as two spans, in order. */
static void test_recv_peek_wraps(void **state)
{
	struct harness *h = h_new(NULL);
	static uint8_t buf[H_RCVBUF];
	struct stack_span sp[2];
	uint32_t seq = RNXT, cap;
	ssize_t n;

	h_establish_passive(h, 0);
	for (int i = 0; i < 20; i++) {
		h_send(h, MS(1), SEG(.seq = seq, .ack = h->iss + 1, .len = 1000), NULL);
		seq += 1000;
	}
	cap = h_conn(h, h->sock)->rcv.cap;
	/* consume all but one byte so the ring keeps its storage, then fill past the end */
	assert_int_equal(stack_tcp_recv_consume(h->s, MS(2), h->sock, 19999), 0);
	h_drain(h);
	for (uint32_t sent = 0; sent + 1000 <= cap - 1; sent += 1000) {
		h_send(h, MS(3), SEG(.seq = seq, .ack = h->iss + 1, .len = 1000), NULL);
		seq += 1000;
	}
	n = stack_tcp_recv_peek(h->s, h->sock, sp);
	assert_true(n > 20000);
	assert_true(sp[1].len > 0); /* it did wrap */
	assert_int_equal(spans_copy(sp, buf), n);
	for (ssize_t i = 0; i < n; i++)
		assert_int_equal(buf[i], 'a' + (RNXT + 19999 + i) % 26);
	h_free(h);
}

static void test_send_reserve_commit(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_span sp[2];
	ssize_t n;

	h_establish_passive(h, 0);
	/* send buffer 65536: the room offered is bounded as stack_tcp_send()'s */
	n = stack_tcp_send_reserve(h->s, MS(1), h->sock, 70000, sp);
	assert_int_equal(n, 65536);
	assert_int_equal(sp[0].len + sp[1].len, 65536);
	memset(sp[0].base, 'x', sp[0].len);
	assert_int_equal(stack_tcp_send_commit(h->s, MS(1), h->sock, 65537), -EINVAL);
	assert_int_equal(stack_tcp_send_commit(h->s, MS(1), h->sock, 3000), 0);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_expect(h, OUT(.seq = h->iss + 1461, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_expect_nothing(h); /* Nagle holds the tail, as for stack_tcp_send() */
	assert_int_equal(stack_tcp_send_reserve(h->s, MS(2), h->sock, 70000, sp), 65536 - 3000);
	assert_int_equal(stack_tcp_send_commit(h->s, MS(2), h->sock, 65536 - 3000), 0);
	/* full: 0, and WRITABLE once an ACK frees room */
	assert_int_equal(stack_tcp_send_reserve(h->s, MS(2), h->sock, 10, sp), 0);
	h_drain(h);
	h_send(h, MS(10), SEG(.seq = RNXT, .ack = h->iss + 1 + 1460), NULL);
	h_expect_event(h, STACK_EV_WRITABLE, h->sock, 0);
	/* the freed room is right behind the committed bytes, across the wrap */
	n = stack_tcp_send_reserve(h->s, MS(11), h->sock, 5000, sp);
	assert_int_equal(n, 1460);
	assert_ptr_equal(sp[0].base, h_conn(h, h->sock)->snd.buf);
	assert_int_equal(stack_tcp_send_reserve(h->s, MS(11), h->lsock, 10, sp), -ENOTCONN);
	assert_int_equal(stack_tcp_shutdown(h->s, MS(12), h->sock), 0);
	assert_int_equal(stack_tcp_send_reserve(h->s, MS(12), h->sock, 10, sp), -EPIPE);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recv_peek_consume),
		cmocka_unit_test(test_recv_consume_opens_window),
		cmocka_unit_test(test_recv_peek_wraps),
		cmocka_unit_test(test_send_reserve_commit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
