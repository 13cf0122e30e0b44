/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-direct.c - direct delivery (stack.h: stack_tcp_set_direct,
 * stack_env.direct): in-order bytes handed to the connection's reader as
 * they arrive, before they would be copied into the receive ring. The same
 * bytes in the same order as stack_tcp_recv() gives; what the reader leaves
 * is kept and what comes after queues behind it; nothing is offered past a
 * hole (RFC 9293 §3.10.7.4: text is delivered in sequence) or while an
 * urgent mark is pending; the window the peer sees stays open (RFC 9293
 * §3.8.6), and the end of stream is still an event and a read.
 */
#include <string.h>

#include "harness.h"

#define MS(x) ((stack_time_us)(x)*1000)
#define RNXT  (H_REMOTE_ISN + 1)

/* What the test's reader saw, and how much of each offer it takes. */
static uint8_t got[1 << 18];
static size_t got_len, offers, take_limit;

static size_t reader(struct harness *h, stack_sock sock, const uint8_t *data, size_t len)
{
	size_t n = len < take_limit ? len : take_limit;

	assert_int_equal(sock, h->sock);
	offers++;
	assert_true(got_len + n <= sizeof(got));
	memcpy(got + got_len, data, n);
	got_len += n;
	return n;
}

/* h's reader from now on, taking up to take bytes of each offer */
static void reader_on(struct harness *h, size_t take)
{
	got_len = offers = 0;
	take_limit = take;
	h->direct = reader;
}

static struct harness *direct_new(size_t take)
{
	struct harness *h = h_new(NULL);

	reader_on(h, take);
	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_set_direct(h->s, h->sock, true), 0);
	return h;
}

/* The peer's bytes from stream offset off (its pattern: harness.c). */
static void assert_stream(const uint8_t *p, size_t len, uint32_t off)
{
	for (size_t i = 0; i < len; i++)
		assert_int_equal(p[i], 'a' + (uint32_t)(RNXT + off + i) % 26);
}

/* Everything taken: no ring, no READABLE, the window as wide as before the bytes came. */
static void test_direct_takes_all(void **state)
{
	struct harness *h = direct_new(SIZE_MAX);
	struct stack_span sp[2];

	h_send(h, MS(1), SEG(.seq = RNXT, .ack = h->iss + 1, .len = 1460), NULL);
	h_send(h, MS(1), SEG(.seq = RNXT + 1460, .ack = h->iss + 1, .len = 1460), NULL);
	assert_int_equal(got_len, 2920);
	assert_int_equal(offers, 2);
	assert_stream(got, got_len, 0);
	/* every second full segment is ACKed at once, the window not shrunk by them */
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 2920, .wnd = H_RCVBUF));
	h_expect_nothing(h);
	h_expect_no_event(h);
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 0);
	assert_int_equal(stack_tcp_recv_peek(h->s, h->sock, sp), -EAGAIN);
	assert_null(h_conn(h, h->sock)->rcv.buf); /* never copied: no ring was made */
	assert_int_equal(h_conn(h, h->sock)->bytes_received, 2920);
	h_free(h);
}

/* What the reader leaves is kept; later bytes queue behind it, never around it. */
static void test_direct_partial_keeps_order(void **state)
{
	struct harness *h = direct_new(100);
	static uint8_t buf[4096];

	h_send(h, MS(1), SEG(.seq = RNXT, .ack = h->iss + 1, .len = 1000), NULL);
	assert_int_equal(got_len, 100);
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 900);
	h_expect_event(h, STACK_EV_READABLE, h->sock, 0);
	/* the ring holds bytes: the next segment is not offered */
	h_send(h, MS(2), SEG(.seq = RNXT + 1000, .ack = h->iss + 1, .len = 500), NULL);
	assert_int_equal(offers, 1);
	assert_int_equal(stack_tcp_recv(h->s, MS(3), h->sock, buf, sizeof(buf)), 1400);
	assert_stream(buf, 1400, 100);
	/* read empty: offered again */
	h_send(h, MS(4), SEG(.seq = RNXT + 1500, .ack = h->iss + 1, .len = 300), NULL);
	assert_int_equal(offers, 2);
	assert_int_equal(got_len, 200);
	assert_stream(got + 100, 100, 1500);
	assert_int_equal(stack_tcp_recv(h->s, MS(5), h->sock, buf, sizeof(buf)), 200);
	assert_stream(buf, 200, 1600);
	h_free(h);
}

/* A reader that takes nothing: as without one. */
static void test_direct_takes_nothing(void **state)
{
	struct harness *h = direct_new(0);
	static uint8_t buf[4096];

	h_send(h, MS(1), SEG(.seq = RNXT, .ack = h->iss + 1, .len = 700), NULL);
	assert_int_equal(offers, 1);
	h_expect_event(h, STACK_EV_READABLE, h->sock, 0);
	assert_int_equal(stack_tcp_recv(h->s, MS(2), h->sock, buf, sizeof(buf)), 700);
	assert_stream(buf, 700, 0);
	h_free(h);
}

/* Bytes beyond a hole wait in the ring, and so does the segment that fills it. */
static void test_direct_not_past_hole(void **state)
{
	struct harness *h = direct_new(SIZE_MAX);
	static uint8_t buf[4096];

	h_send(h, MS(1), SEG(.seq = RNXT + 500, .ack = h->iss + 1, .len = 500), NULL);
	assert_int_equal(offers, 0);
	h_send(h, MS(2), SEG(.seq = RNXT, .ack = h->iss + 1, .len = 500), NULL);
	assert_int_equal(offers, 0);
	assert_int_equal(stack_tcp_recv(h->s, MS(3), h->sock, buf, sizeof(buf)), 1000);
	assert_stream(buf, 1000, 0);
	/* in order again, nothing held: offered */
	h_send(h, MS(4), SEG(.seq = RNXT + 1000, .ack = h->iss + 1, .len = 10), NULL);
	assert_int_equal(got_len, 10);
	assert_stream(got, 10, 1000);
	h_free(h);
}

/* An urgent mark counts in the ring (stack_tcp_urgent_offset): such bytes are kept. */
static void test_direct_not_with_urgent(void **state)
{
	struct harness *h = direct_new(SIZE_MAX);
	static uint8_t buf[64];
	uint32_t mark;

	h_send(h, MS(1),
	       SEG(.seq = RNXT, .ack = h->iss + 1, .len = 6, .urp = 4,
		   .flags = TCP_FLAG_ACK | TCP_FLAG_PSH | TCP_FLAG_URG),
	       NULL);
	assert_int_equal(offers, 0);
	assert_int_equal(stack_tcp_urgent_offset(h->s, h->sock, &mark), 1);
	assert_int_equal(mark, 3);
	assert_int_equal(stack_tcp_recv(h->s, MS(2), h->sock, buf, sizeof(buf)), 6);
	h_free(h);
}

/* The end of stream is still the event and the read it always was. */
static void test_direct_end_of_stream(void **state)
{
	struct harness *h = direct_new(SIZE_MAX);
	static uint8_t buf[64];

	h_send(h, MS(1),
	       SEG(.seq = RNXT, .ack = h->iss + 1, .len = 20,
		   .flags = TCP_FLAG_ACK | TCP_FLAG_PSH | TCP_FLAG_FIN),
	       NULL);
	assert_int_equal(got_len, 20);
	assert_stream(got, 20, 0);
	h_expect_event(h, STACK_EV_PEER_CLOSED, h->sock, 0);
	h_expect_no_event(h);
	assert_int_equal(stack_tcp_recv(h->s, MS(2), h->sock, buf, sizeof(buf)), 0);
	assert_int_equal(h_state(h, h->sock), TCP_CLOSE_WAIT);
	h_free(h);
}

/* Part of a segment that carries the FIN: the rest is read, then the end. */
static void test_direct_partial_with_fin(void **state)
{
	struct harness *h = direct_new(5);
	static uint8_t buf[64];

	h_send(h, MS(1),
	       SEG(.seq = RNXT, .ack = h->iss + 1, .len = 20,
		   .flags = TCP_FLAG_ACK | TCP_FLAG_PSH | TCP_FLAG_FIN),
	       NULL);
	assert_int_equal(got_len, 5);
	assert_stream(got, 5, 0);
	h_expect_event(h, STACK_EV_READABLE, h->sock, 0);
	h_expect_event(h, STACK_EV_PEER_CLOSED, h->sock, 0);
	assert_int_equal(stack_tcp_recv(h->s, MS(2), h->sock, buf, sizeof(buf)), 15);
	assert_stream(buf, 15, 5);
	assert_int_equal(stack_tcp_recv(h->s, MS(2), h->sock, buf, sizeof(buf)), 0);
	assert_int_equal(h_conn(h, h->sock)->rcv_nxt, RNXT + 21);
	h_free(h);
}

/* Bytes that ride on the SYN,ACK of an active open marked before it. */
static void test_direct_on_syn_ack(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct stack_endpoint remote = { H_REMOTE_ADDR, H_REMOTE_PORT };
	struct tcp_seg syn;

	reader_on(h, SIZE_MAX);
	assert_int_equal(stack_tcp_connect(h->s, 0, &local, &remote, 5, &h->sock), 0);
	assert_int_equal(stack_tcp_set_direct(h->s, h->sock, true), 0);
	assert_true(h_pop(h, &syn));
	h->iss = syn.seq;
	h_send(h, MS(1),
	       SEG(.seq = H_REMOTE_ISN, .ack = h->iss + 1, .flags = TCP_FLAG_SYN | TCP_FLAG_ACK,
		   .opt.has_mss = true, .opt.mss = H_MSS, .len = 100),
	       NULL);
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	assert_int_equal(got_len, 100);
	assert_stream(got, 100, (uint32_t)-1); /* the harness numbers them from the SYN's */
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 0);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 100, .wnd = H_RCVBUF));
	h_free(h);
}

/* The smallest receive buffer, segments of up to 8960 bytes: a window smaller than two */
static void small_rcvbuf(struct stack_config *cfg)
{
	cfg->tun.recv_buffer = 4096;
	cfg->mtu = 9000;
}

/*
 * A window smaller than two segments: the peer that sent one segment has
 * less than a segment left and waits, so the ACK that reopens the window
 * goes at once, as after a read, not at the delayed-ACK timer.
 */
static void test_direct_small_window_acks_at_once(void **state)
{
	struct harness *h = h_new(small_rcvbuf);

	reader_on(h, SIZE_MAX);
	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_set_direct(h->s, h->sock, true), 0);
	h_send(h, MS(1), SEG(.seq = RNXT, .ack = h->iss + 1, .len = 3000), NULL);
	assert_int_equal(got_len, 3000);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 3000, .wnd = 4096));
	h_free(h);
}

/* No more than the limit is taken from a segment that runs past it, directly or kept. */
static void test_direct_within_limit(void **state)
{
	struct harness *h = h_new(small_rcvbuf);

	reader_on(h, 1000);
	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_set_direct(h->s, h->sock, true), 0);
	h_send(h, MS(1), SEG(.seq = RNXT, .ack = h->iss + 1, .len = 6000), NULL);
	assert_int_equal(got_len, 1000);
	assert_stream(got, 1000, 0);
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 3096);
	assert_int_equal(h_conn(h, h->sock)->rcv_nxt, RNXT + 4096);
	h_free(h);
}

/* Turned off, the bytes are kept again; the calls say what they cannot do. */
static void test_direct_set(void **state)
{
	struct harness *h = direct_new(SIZE_MAX);

	assert_int_equal(stack_tcp_set_direct(h->s, h->lsock, true), -ENOTCONN);
	assert_int_equal(stack_tcp_set_direct(h->s, h->sock + 1000, true), -EBADF);
	assert_int_equal(stack_tcp_set_direct(h->s, h->sock, false), 0);
	h_send(h, MS(1), SEG(.seq = RNXT, .ack = h->iss + 1, .len = 30), NULL);
	assert_int_equal(offers, 0);
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 30);
	h_free(h);
	/* a stack without a direct reader */
	h_no_direct = true;
	h = h_new(NULL);
	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_set_direct(h->s, h->sock, true), -EOPNOTSUPP);
	assert_int_equal(stack_tcp_set_direct(h->s, h->sock, false), 0);
	h_free(h);
}

/* A whole buffer's worth and more goes through, the ring never made, the window
 * never closing: as many bytes as the window allows, again and again. */
static void test_direct_window_stays_open(void **state)
{
	struct harness *h = direct_new(SIZE_MAX);
	uint32_t seq = RNXT;
	struct tcp_seg out;

	unsigned acks = 0;

	for (int i = 0; i < 4 * H_RCVBUF / 1460; i++) {
		h_send(h, MS(1 + i), SEG(.seq = seq, .ack = h->iss + 1, .len = 1460), NULL);
		seq += 1460;
		while (h_pop(h, &out)) {
			assert_int_equal(out.wnd, H_RCVBUF);
			acks++;
		}
	}
	/* one ACK every second segment */
	assert_int_equal(acks, 4 * H_RCVBUF / 1460 / 2);
	assert_int_equal(got_len, seq - RNXT);
	assert_stream(got, got_len, 0);
	assert_null(h_conn(h, h->sock)->rcv.buf);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direct_takes_all),
		cmocka_unit_test(test_direct_partial_keeps_order),
		cmocka_unit_test(test_direct_takes_nothing),
		cmocka_unit_test(test_direct_not_past_hole),
		cmocka_unit_test(test_direct_not_with_urgent),
		cmocka_unit_test(test_direct_end_of_stream),
		cmocka_unit_test(test_direct_partial_with_fin),
		cmocka_unit_test(test_direct_on_syn_ack),
		cmocka_unit_test(test_direct_small_window_acks_at_once),
		cmocka_unit_test(test_direct_within_limit),
		cmocka_unit_test(test_direct_set),
		cmocka_unit_test(test_direct_window_stays_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
