/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-data.c - data transfer segment by segment: delayed ACK and the
 * every-second-segment rule (RFC 1122 §4.2.3.2), windows and window updates
 * (RFC 9293 §3.8.6, RFC 1122 §4.2.3.3), reassembly with holes, overlaps and
 * duplicates (RFC 9293 §3.10.7.4), sequence wrap, Nagle and PSH
 * (RFC 1122 §4.2.3.4), zero window and persist backoff (RFC 9293 §3.8.6.1),
 * RTO backoff and Karn (RFC 6298), fast retransmit on exactly three
 * duplicate ACKs and NewReno recovery (RFC 5681 §3.2, RFC 6582).
 */
#include <string.h>

#include "harness.h"

#define MS(x) ((stack_time_us)(x)*1000)
#define S(x)  ((stack_time_us)(x)*1000000)
#define RNXT  (H_REMOTE_ISN + 1)

static void test_receive_delayed_ack(void **state)
{
	struct harness *h = h_new(NULL);
	uint8_t buf[200];

	h_establish_passive(h, 0);
	h_send(h, MS(100), SEG(.seq = RNXT, .ack = h->iss + 1, .len = 100), NULL);
	h_expect_nothing(h);
	h_expect_event(h, STACK_EV_READABLE, h->sock, 0);
	assert_int_equal(stack_poll_at(h->s), MS(140)); /* delayed_ack 40 ms */
	h_poll(h, MS(139));
	h_expect_nothing(h);
	h_poll(h, MS(140));
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 100, .wnd = H_RCVBUF - 100));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtDelayedACKs], 1);
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 100);
	assert_int_equal(stack_tcp_recv(h->s, MS(150), h->sock, buf, sizeof(buf)), 100);
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf[i], 'a' + (RNXT + i) % 26);
	/* reading 100 bytes is not worth a window update (RFC 1122 §4.2.3.3) */
	h_expect_nothing(h);
	assert_int_equal(stack_tcp_recv(h->s, MS(150), h->sock, buf, sizeof(buf)), -EAGAIN);
	h_free(h);
}

static void test_receive_ack_every_second_segment(void **state)
{
	struct harness *h = h_new(NULL);

	h_establish_passive(h, 0);
	h_send(h, MS(1), SEG(.seq = RNXT, .ack = h->iss + 1, .len = 1460), NULL);
	h_expect_nothing(h);
	h_send(h, MS(2), SEG(.seq = RNXT + 1460, .ack = h->iss + 1, .len = 1460), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 2920, .wnd = H_RCVBUF - 2920));
	h_expect_nothing(h);
	assert_int_equal(stack_poll_at(h->s), STACK_TIME_NEVER);
	h_free(h);
}

/* Across the wrap: the peer's ISN is 10001 below 2^32. */
static void test_receive_wraparound(void **state)
{
	struct harness *h = h_new(NULL);
	static uint8_t buf[12000];
	uint32_t seq = RNXT;
	size_t got = 0;

	h_establish_passive(h, 0);
	for (int i = 0; i < 8; i++) {
		h_send(h, MS(1 + i), SEG(.seq = seq, .ack = h->iss + 1, .len = 1460), NULL);
		seq += 1460;
		h_expect_nothing(h); /* one segment: the ACK is delayed */
		while (got < sizeof(buf)) {
			ssize_t n = stack_tcp_recv(h->s, MS(1 + i), h->sock, buf + got, 4000);

			if (n <= 0)
				break;
			for (ssize_t k = 0; k < n; k++)
				assert_int_equal(buf[got + k],
						 'a' + (uint32_t)(RNXT + got + k) % 26);
			got += (size_t)n;
		}
		/* reading an MSS opened the window by an MSS: the update ACKs it all */
		h_expect(h, OUT(.seq = h->iss + 1, .ack = seq, .wnd = H_RCVBUF));
		h_expect_nothing(h);
	}
	assert_int_equal(got, 8 * 1460);
	assert_true(seq < 10000); /* wrapped */
	assert_int_equal(h_conn(h, h->sock)->rcv_nxt, seq);
	h_free(h);
}

static void test_reassembly_holes(void **state)
{
	struct harness *h = h_new(NULL);
	uint8_t buf[400];

	h_establish_passive(h, 0);
	/* [200,300) then [100,200): out of order, each ACKed at once with ack = RCV.NXT */
	h_send(h, MS(1), SEG(.seq = RNXT + 200, .ack = h->iss + 1, .len = 100), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF));
	h_send(h, MS(2), SEG(.seq = RNXT + 100, .ack = h->iss + 1, .len = 100), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF));
	h_expect_no_event(h);
	assert_int_equal(stack_tcp_recv(h->s, MS(2), h->sock, buf, sizeof(buf)), -EAGAIN);
	/* the hole [0,100) fills: everything is in order, ACKed at once */
	h_send(h, MS(3), SEG(.seq = RNXT, .ack = h->iss + 1, .len = 100), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 300, .wnd = H_RCVBUF - 300));
	h_expect_event(h, STACK_EV_READABLE, h->sock, 0);
	assert_int_equal(stack_tcp_recv(h->s, MS(4), h->sock, buf, sizeof(buf)), 300);
	for (int i = 0; i < 300; i++)
		assert_int_equal(buf[i], 'a' + (uint32_t)(RNXT + i) % 26);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPOFOQueue], 2);
	h_free(h);
}

static void test_reassembly_overlap_duplicate(void **state)
{
	struct harness *h = h_new(NULL);
	uint8_t buf[400];

	h_establish_passive(h, 0);
	h_send(h, MS(1), SEG(.seq = RNXT, .ack = h->iss + 1, .len = 100), NULL);
	h_expect_nothing(h);
	/* overlapping [50,150): only the new 50 bytes are delivered */
	h_send(h, MS(2), SEG(.seq = RNXT + 50, .ack = h->iss + 1, .len = 100), NULL);
	/* an exact duplicate: ACKed at once, nothing delivered */
	h_send(h, MS(3), SEG(.seq = RNXT, .ack = h->iss + 1, .len = 100), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 150, .wnd = H_RCVBUF - 150));
	/* overlapping out-of-order ranges merge */
	h_send(h, MS(4), SEG(.seq = RNXT + 200, .ack = h->iss + 1, .len = 50), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 150, .wnd = H_RCVBUF - 150));
	h_send(h, MS(5), SEG(.seq = RNXT + 220, .ack = h->iss + 1, .len = 60), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 150, .wnd = H_RCVBUF - 150));
	h_send(h, MS(6), SEG(.seq = RNXT + 140, .ack = h->iss + 1, .len = 70), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 280, .wnd = H_RCVBUF - 280));
	assert_int_equal(stack_tcp_recv(h->s, MS(7), h->sock, buf, sizeof(buf)), 280);
	for (int i = 0; i < 280; i++)
		assert_int_equal(buf[i], 'a' + (uint32_t)(RNXT + i) % 26);
	h_free(h);
}

/* The receive buffer fills: the window closes, data past it is dropped, reading reopens it. */
static void test_receive_window_full(void **state)
{
	struct harness *h = h_new(NULL);
	static uint8_t buf[H_RCVBUF];
	uint32_t seq = RNXT;

	h_establish_passive(h, 0);
	for (int i = 0; i < H_RCVBUF / 1024; i++) {
		h_send(h, MS(1), SEG(.seq = seq, .ack = h->iss + 1, .len = 1024), NULL);
		seq += 1024;
	}
	h_drain(h);
	h_poll(h, MS(100));
	h_drain(h);
	assert_int_equal(h_conn(h, h->sock)->rcv_adv, seq);
	/* one byte more: outside the (zero) window; ACK with window 0 */
	h_send(h, MS(101), SEG(.seq = seq, .ack = h->iss + 1, .len = 1), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = seq, .wnd = 0));
	/* reading a little is not worth an update (receiver SWS avoidance) */
	assert_int_equal(stack_tcp_recv(h->s, MS(102), h->sock, buf, 100), 100);
	h_expect_nothing(h);
	/* reading an MSS worth opens it */
	assert_int_equal(stack_tcp_recv(h->s, MS(102), h->sock, buf, 1400), 1400);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = seq, .wnd = 1500));
	h_free(h);
}

static void test_send_nagle_and_psh(void **state)
{
	struct harness *h = h_new(NULL);
	static uint8_t data[3000];

	h_establish_passive(h, 0);
	memset(data, 'x', sizeof(data));
	assert_int_equal(stack_tcp_send(h->s, MS(1), h->sock, data, 3000), 3000);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_expect(h, OUT(.seq = h->iss + 1461, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	/* Nagle holds the 80-byte tail while data is unacknowledged */
	h_expect_nothing(h);
	h_send(h, MS(10), SEG(.seq = RNXT, .ack = h->iss + 2921), NULL);
	h_expect(h, OUT(.seq = h->iss + 2921, .ack = RNXT, .wnd = H_RCVBUF, .len = 80,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	h_expect_nothing(h);
	/* with no-delay a small segment goes at once */
	assert_int_equal(stack_tcp_setopt(h->s, MS(11), h->sock, STACK_TCP_NODELAY, 1), 0);
	assert_int_equal(stack_tcp_send(h->s, MS(11), h->sock, data, 10), 10);
	h_expect(h, OUT(.seq = h->iss + 3001, .ack = RNXT, .wnd = H_RCVBUF, .len = 10,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	h_free(h);
}

static void test_send_buffer_full_writable(void **state)
{
	struct harness *h = h_new(NULL);
	static uint8_t data[70000];

	h_establish_passive(h, 0);
	/* send buffer 65536: the rest is refused, WRITABLE follows once ACKs free space */
	assert_int_equal(stack_tcp_send(h->s, MS(1), h->sock, data, sizeof(data)), 65536);
	assert_int_equal(stack_tcp_send(h->s, MS(1), h->sock, data, 10), 0);
	h_drain(h);
	h_expect_no_event(h);
	h_send(h, MS(10), SEG(.seq = RNXT, .ack = h->iss + 1 + 1460), NULL);
	h_expect_event(h, STACK_EV_WRITABLE, h->sock, 0);
	h_free(h);
}

/* TCP_CORK: a partial segment waits while corked, even on an idle connection. */
static void test_cork(void **state)
{
	struct harness *h = h_new(NULL);
	static char data[100];

	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_setopt(h->s, MS(1), h->sock, STACK_TCP_CORK, 1), 0);
	assert_int_equal(stack_tcp_send(h->s, MS(2), h->sock, data, sizeof(data)), sizeof(data));
	h_expect_nothing(h);
	/* taken off: what waited goes at once */
	assert_int_equal(stack_tcp_setopt(h->s, MS(3), h->sock, STACK_TCP_CORK, 0), 0);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .len = 100,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	h_expect_nothing(h);
	h_free(h);
}

/* RFC 9293 §3.8.5, RFC 6093: an urgent mark is kept (not a separate channel) until read past. */
static void test_urgent_mark(void **state)
{
	struct harness *h = h_new(NULL);
	uint32_t off = 99;
	char buf[8];

	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_urgent_offset(h->s, h->sock, &off), 0);
	/* "abcdef" with SEG.UP = 4: the last urgent byte is 'd' (the pointer is one past it) */
	h_send(h, MS(1),
	       SEG(.seq = RNXT, .ack = h->iss + 1, .len = 6, .urp = 4,
		   .flags = TCP_FLAG_ACK | TCP_FLAG_PSH | TCP_FLAG_URG),
	       "abcdef");
	assert_int_equal(stack_tcp_urgent_offset(h->s, h->sock, &off), 1);
	assert_int_equal(off, 3);
	/* the bytes stay in the stream; the offset follows the reads */
	assert_int_equal(stack_tcp_recv(h->s, MS(2), h->sock, buf, 2), 2);
	assert_int_equal(stack_tcp_urgent_offset(h->s, h->sock, &off), 1);
	assert_int_equal(off, 1);
	assert_int_equal(stack_tcp_recv(h->s, MS(3), h->sock, buf, 2), 2);
	assert_memory_equal(buf, "cd", 2);
	assert_int_equal(stack_tcp_urgent_offset(h->s, h->sock, &off), 0);
	/* read past, the mark is done with: 2 GiB on it must not come round again */
	assert_false(h_conn(h, h->sock)->rcv_up_valid);
	/* a later mark takes over: 'g' (the pointer is one past it) */
	h_send(h, MS(4),
	       SEG(.seq = RNXT + 6, .ack = h->iss + 1, .len = 2, .urp = 1,
		   .flags = TCP_FLAG_ACK | TCP_FLAG_URG),
	       "gh");
	assert_int_equal(stack_tcp_urgent_offset(h->s, h->sock, &off), 1);
	assert_int_equal(off, 2); /* 'g', at RNXT + 6: ef are still unread before it */
	h_free(h);
}

/*
 * The peer's window bounds what we send; zero window -> persist probes with
 * backoff, <SEQ=SND.UNA-1> without data (tcp_timer_persist says why).
 */
static void test_zero_window_persist(void **state)
{
	struct harness *h = h_new(NULL);
	uint8_t data[100];

	h_establish_passive(h, 0);
	memset(data, 'y', sizeof(data));
	h_send(h, MS(1), SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 0), NULL);
	assert_int_equal(stack_tcp_send(h->s, MS(2), h->sock, data, 100), 100);
	h_expect_nothing(h);
	/* rto is 200 ms (rto.min; the handshake's RTT sample was 0) */
	assert_int_equal(stack_poll_at(h->s), MS(202));
	h_poll(h, MS(202));
	h_expect(h, OUT(.seq = h->iss, .ack = RNXT, .wnd = H_RCVBUF));
	/* answered with a zero window: the next probe backs off (400 ms) */
	h_send(h, MS(210), SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 0), NULL);
	h_expect_nothing(h);
	assert_int_equal(stack_poll_at(h->s), MS(602));
	h_poll(h, MS(602));
	h_expect(h, OUT(.seq = h->iss, .ack = RNXT, .wnd = H_RCVBUF));
	assert_int_equal(stack_poll_at(h->s), MS(1402));
	/* it never gives up while probes are answered */
	for (int i = 0; i < 30; i++) {
		stack_time_us at = stack_poll_at(h->s);

		h_send(h, at - 1, SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 0), NULL);
		h_poll(h, at);
		h_expect(h, OUT(.seq = h->iss, .ack = RNXT, .wnd = H_RCVBUF));
		assert_true(stack_poll_at(h->s) - at <= S(120)); /* bounded by rto.max */
	}
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	/* the window opens: everything goes */
	h_send(h, h->now + 1, SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 1000), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .len = 100,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	h_expect_nothing(h);
	assert_true(h->s->ctr.v[STACK_CTR_TcpExtTCPWinProbe] >= 32);
	h_free(h);
}

static void tweak_retries2(struct stack_config *cfg)
{
	cfg->tun.retries = 2;
}

/* Zero-window probes nobody answers: the connection gives up after `retries`. */
static void test_persist_unanswered(void **state)
{
	struct harness *h = h_new(tweak_retries2);

	h_establish_passive(h, 0);
	h_send(h, MS(1), SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 0), NULL);
	assert_int_equal(stack_tcp_send(h->s, MS(2), h->sock, "abc", 3), 3);
	for (int i = 0; i < 3; i++) {
		h_poll(h, stack_poll_at(h->s));
		h_expect(h, OUT(.seq = h->iss, .ack = RNXT, .wnd = H_RCVBUF));
	}
	h_poll(h, stack_poll_at(h->s));
	h_expect_nothing(h);
	h_expect_event(h, STACK_EV_ERROR, h->sock, -ETIMEDOUT);
	h_free(h);
}

/* The window closes behind data in flight: the RTO turns into window probes. */
static void test_window_closes_in_flight(void **state)
{
	struct harness *h = h_new(NULL);
	uint8_t data[100] = { 0 };

	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_send(h->s, S(1), h->sock, data, 100), 100);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .len = 100,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	/* the peer shrinks its window to zero without taking the data */
	h_send(h, S(1) + MS(10), SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 0), NULL);
	h_expect_nothing(h);
	h_poll(h, S(1) + MS(200));
	h_expect(h, OUT(.seq = h->iss, .ack = RNXT, .wnd = H_RCVBUF));
	assert_int_equal(stack_poll_at(h->s), S(1) + MS(600));
	for (int i = 0; i < 20; i++) {
		stack_time_us at = stack_poll_at(h->s);

		h_send(h, at - 1, SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 0), NULL);
		h_poll(h, at);
		h_expect(h, OUT(.seq = h->iss, .ack = RNXT, .wnd = H_RCVBUF));
	}
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	/* it opens: the data goes again, whole */
	h_send(h, h->now + 1, SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 1000), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .len = 100,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	h_free(h);
}

/* RFC 6298 §5: backoff doubles; Karn: no sample from a retransmitted segment. */
static void test_rto_backoff_karn(void **state)
{
	struct harness *h = h_new(NULL);
	struct tcp_conn *c;
	uint8_t data[100] = { 0 };

	h_establish_passive(h, 0);
	c = h_conn(h, h->sock);
	assert_int_equal(stack_tcp_send(h->s, S(1), h->sock, data, 100), 100);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .len = 100,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	assert_int_equal(stack_poll_at(h->s), S(1) + MS(200));
	h_poll(h, S(1) + MS(200));
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .len = 100,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	assert_int_equal(stack_poll_at(h->s), S(1) + MS(600));
	h_poll(h, S(1) + MS(600));
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .len = 100,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	assert_int_equal(stack_poll_at(h->s), S(1) + MS(1400));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpRetransSegs], 2);
	/* the ACK arrives: ambiguous, so no RTT sample and the backoff stays */
	h_send(h, S(1) + MS(700), SEG(.seq = RNXT, .ack = h->iss + 101), NULL);
	assert_int_equal(c->rtt.srtt_us, 0);
	assert_int_equal(c->rtt.backoff, 2);
	/* the drained send ring is given back once it has stayed empty (tcp_mem.c) */
	assert_int_equal(stack_poll_at(h->s), S(1) + MS(700) + TCP_MEM_IDLE_US);
	h_poll(h, S(1) + MS(700) + TCP_MEM_IDLE_US);
	h_expect_nothing(h);
	assert_null(h_conn(h, h->sock)->snd.buf);
	assert_int_equal(stack_poll_at(h->s), STACK_TIME_NEVER);
	/* new data is timed; its ACK is a valid sample and ends the backoff */
	assert_int_equal(stack_tcp_send(h->s, S(2), h->sock, data, 100), 100);
	h_drain(h);
	h_send(h, S(2) + MS(50), SEG(.seq = RNXT, .ack = h->iss + 201), NULL);
	assert_int_equal(c->rtt.srtt_us, MS(50) / 8); /* 7/8 * 0 + 1/8 * 50 ms */
	assert_int_equal(c->rtt.backoff, 0);
	h_free(h);
}

static void tweak_retries(struct stack_config *cfg)
{
	cfg->tun.retries = 2;
}

static void test_retries_exhausted(void **state)
{
	struct harness *h = h_new(tweak_retries);
	uint8_t data[10] = { 0 };

	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_send(h->s, 0, h->sock, data, 10), 10);
	h_drain(h);
	h_poll(h, MS(200));
	h_poll(h, MS(600));
	h_drain(h);
	h_poll(h, MS(1400));
	h_expect_nothing(h);
	h_expect_event(h, STACK_EV_ERROR, h->sock, -ETIMEDOUT);
	assert_int_equal(h_state(h, h->sock), TCP_CLOSED);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpCurrEstab], 0);
	h_free(h);
}

/* RFC 5681 §2-3.2: exactly the third true duplicate ACK retransmits; RFC 6582 recovery. */
static void test_fast_retransmit_newreno(void **state)
{
	struct harness *h = h_new(NULL);
	static uint8_t data[7300];
	uint32_t una = 0;

	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_NODELAY, 1), 0);
	assert_int_equal(stack_tcp_send(h->s, MS(1), h->sock, data, sizeof(data)), 7300);
	for (int i = 0; i < 5; i++)
		h_expect(h, OUT(.seq = h->iss + 1 + 1460 * i, .ack = RNXT, .wnd = H_RCVBUF,
				.len = 1460, .flags = TCP_FLAG_ACK | (i == 4 ? TCP_FLAG_PSH : 0)));
	una = h->iss + 1 + 1460;
	/* segment 2 is lost: ACK of 1, then duplicates */
	h_send(h, MS(10), SEG(.seq = RNXT, .ack = una), NULL);
	h_send(h, MS(11), SEG(.seq = RNXT, .ack = una), NULL);
	/* a window change: not a duplicate (RFC 5681 §2 (e)), the count starts over */
	h_send(h, MS(12), SEG(.seq = RNXT, .ack = una, .wnd = H_WND + 1), NULL);
	h_send(h, MS(13), SEG(.seq = RNXT, .ack = una, .wnd = H_WND + 1), NULL);
	h_send(h, MS(14), SEG(.seq = RNXT, .ack = una, .wnd = H_WND + 1), NULL);
	h_expect_nothing(h);
	/* the third true duplicate */
	h_send(h, MS(15), SEG(.seq = RNXT, .ack = una, .wnd = H_WND + 1), NULL);
	h_expect(h, OUT(.seq = una, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_expect_nothing(h);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPFastRetrans], 1);
	assert_true(h_conn(h, h->sock)->cc.in_recovery);
	/* a fourth does not retransmit again */
	h_send(h, MS(16), SEG(.seq = RNXT, .ack = una, .wnd = H_WND + 1), NULL);
	h_expect_nothing(h);
	/* partial ACK (segment 4 was lost too): resend the next hole at once */
	h_send(h, MS(20), SEG(.seq = RNXT, .ack = una + 2920, .wnd = H_WND + 1), NULL);
	h_expect(h, OUT(.seq = una + 2920, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	assert_true(h_conn(h, h->sock)->cc.in_recovery);
	/* the full ACK ends recovery */
	h_send(h, MS(30), SEG(.seq = RNXT, .ack = h->iss + 1 + 7300, .wnd = H_WND + 1), NULL);
	h_expect_nothing(h);
	assert_false(h_conn(h, h->sock)->cc.in_recovery);
	/* the drained send ring is given back once it has stayed empty (tcp_mem.c) */
	assert_int_equal(stack_poll_at(h->s), MS(30) + TCP_MEM_IDLE_US);
	h_poll(h, MS(30) + TCP_MEM_IDLE_US);
	h_expect_nothing(h);
	assert_null(h_conn(h, h->sock)->snd.buf);
	assert_int_equal(stack_poll_at(h->s), STACK_TIME_NEVER);
	h_free(h);
}

/* What the stack sends (tests below): the sequence number of each data segment, in order. */
static int pop_data_seqs(struct harness *h, uint32_t *seqs, int max)
{
	struct tcp_seg seg;
	int n = 0;

	while (h_pop(h, &seg))
		if (seg.len && n < max)
			seqs[n++] = seg.seq;
	return n;
}

/* An established connection that has sent 5 full segments (7300 bytes, no delay). */
static struct harness *five_segments_out(void)
{
	struct harness *h = h_new(NULL);
	static uint8_t data[7300];
	uint32_t seqs[32];

	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_NODELAY, 1), 0);
	assert_int_equal(stack_tcp_send(h->s, MS(1), h->sock, data, sizeof(data)), 7300);
	assert_int_equal(pop_data_seqs(h, seqs, 32), 5);
	return h;
}

/*
 * RFC 6582 §3.2 step 1 refuses a fast retransmit while the cumulative ACK
 * does not cover more than recover, so that a timeout's go-back-N copies of
 * bytes below it do not start another. A full ACK that lands exactly on
 * recover after a fast recovery is a different case: nothing below recover
 * was sent more than once per partial ACK, so three duplicates at recover
 * come from segments beyond it, and the one at recover is lost. It is
 * repaired by a fast retransmit, not a timeout 200 ms later (sim-adversary
 * wrap32-nosack seed 19 lost it that way).
 */
static void test_fast_retransmit_at_recover(void **state)
{
	struct harness *h = five_segments_out();
	static uint8_t data[7300];
	const uint16_t wnd = 60000;
	uint32_t una, recover, seqs[32];
	int n;

	una = h->iss + 1 + 1460;
	recover = h->iss + 1 + 7300;
	/* segment 2 is lost: three duplicates retransmit it, recover = SND.MAX */
	h_send(h, MS(10), SEG(.seq = RNXT, .ack = una, .wnd = wnd), NULL);
	for (int i = 0; i < 3; i++)
		h_send(h, MS(11 + i), SEG(.seq = RNXT, .ack = una, .wnd = wnd), NULL);
	n = pop_data_seqs(h, seqs, 32);
	assert_int_equal(n, 1);
	assert_int_equal(seqs[0], una);
	assert_int_equal(h_conn(h, h->sock)->cc.recover, recover);
	/* more to send; further duplicates inflate the window and let it out */
	assert_int_equal(stack_tcp_send(h->s, MS(14), h->sock, data, sizeof(data)), 7300);
	for (int i = 0; i < 8; i++)
		h_send(h, MS(15 + i), SEG(.seq = RNXT, .ack = una, .wnd = wnd), NULL);
	n = pop_data_seqs(h, seqs, 32);
	assert_int_equal(n, 5);
	for (int i = 0; i < n; i++)
		assert_int_equal(seqs[i], recover + 1460 * (uint32_t)i);
	/* the full ACK lands exactly on recover: the recovery ends */
	h_send(h, MS(30), SEG(.seq = RNXT, .ack = recover, .wnd = wnd), NULL);
	assert_false(h_conn(h, h->sock)->cc.in_recovery);
	assert_int_equal(pop_data_seqs(h, seqs, 32), 0);
	/* the first segment past recover was lost: three duplicates at recover
	 * resend it at once */
	for (int i = 0; i < 3; i++)
		h_send(h, MS(31 + i), SEG(.seq = RNXT, .ack = recover, .wnd = wnd), NULL);
	n = pop_data_seqs(h, seqs, 32);
	assert_int_equal(n, 1);
	assert_int_equal(seqs[0], recover);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPFastRetrans], 2);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPTimeouts], 0);
	h_free(h);
}

/*
 * The other side of the rule above: after a timeout, duplicates exactly at
 * recover may be the receiver's answers to go-back-N copies of bytes it has,
 * so they start no fast retransmit (RFC 6582 §3.2 step 1).
 */
static void test_no_fast_retransmit_at_recover_after_rto(void **state)
{
	struct harness *h = five_segments_out();
	static uint8_t data[2920];
	const uint16_t wnd = 60000;
	uint32_t recover, seqs[32];
	stack_time_us t;

	recover = h->iss + 1 + 7300;
	/* every ACK is lost: the timeout resends from SND.UNA, recover = SND.MAX */
	t = stack_poll_at(h->s);
	h_poll(h, t);
	assert_int_equal(pop_data_seqs(h, seqs, 32), 1);
	assert_int_equal(seqs[0], h->iss + 1);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPTimeouts], 1);
	assert_true(h_conn(h, h->sock)->cc.recover_by_rto);
	assert_int_equal(h_conn(h, h->sock)->cc.recover, recover);
	/* the receiver had it all along; new data goes out past recover */
	h_send(h, t + MS(10), SEG(.seq = RNXT, .ack = recover, .wnd = wnd), NULL);
	assert_int_equal(stack_tcp_send(h->s, t + MS(11), h->sock, data, 2920), 2920);
	assert_true(pop_data_seqs(h, seqs, 32) >= 1);
	assert_int_equal(seqs[0], recover);
	/* three duplicates at recover: no fast retransmit */
	for (int i = 0; i < 3; i++)
		h_send(h, t + MS(20 + i), SEG(.seq = RNXT, .ack = recover, .wnd = wnd), NULL);
	assert_int_equal(pop_data_seqs(h, seqs, 32), 0);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPFastRetrans], 0);
	h_free(h);
}

static void tweak_sack(struct stack_config *cfg)
{
	cfg->tun.sack = 1;
}

/*
 * On a SACK connection an ACK that SACKs new data counts as a duplicate even
 * when the window grew (RFC 6675 §2), as Linux's do while it autotunes.
 */
static void tweak_sack_newreno(struct stack_config *cfg)
{
	cfg->tun.sack = 1;
	/* what is sent after the fast retransmit is NewReno's (CUBIC's larger
	 * ssthresh leaves PRR room for RFC 6675's rescue retransmission too) */
	cfg->tun.congestion_control = STACK_CC_NEWRENO;
}

static void test_fast_retransmit_sack_window_growing(void **state)
{
	struct harness *h = h_new(tweak_sack_newreno);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	static uint8_t data[7300];
	struct tcp_seg sa;
	uint32_t una;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 8, 7, &h->lsock), 0);
	h_send(h, 0,
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.sack_ok = true,
		   .opt.has_mss = true, .opt.mss = 1460),
	       NULL);
	assert_true(h_pop(h, &sa));
	assert_true(sa.opt.sack_ok);
	h->iss = sa.seq;
	h_send(h, 0, SEG(.seq = RNXT, .ack = h->iss + 1), NULL);
	assert_int_equal(stack_tcp_accept(h->s, 0, h->lsock, 9, &h->sock), 0);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_NODELAY, 1), 0);
	assert_int_equal(stack_tcp_send(h->s, MS(1), h->sock, data, 7300), 7300);
	h_drain(h);
	una = h->iss + 1;
	/* segment 1 lost; each ACK SACKs one more segment and shows a bigger window */
	for (int i = 1; i <= 3; i++) {
		struct tcp_seg ack = SEG(.seq = RNXT, .ack = una, .wnd = H_WND + 10 * i);

		ack.opt.nsack = 1;
		ack.opt.sack[0].left = una + 1460;
		ack.opt.sack[0].right = una + 1460 * (i + 1);
		h_send(h, MS(10 + i), ack, NULL);
		if (i < 3)
			h_expect_nothing(h);
	}
	h_expect(h, OUT(.seq = una, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_expect_nothing(h);
	/* a repeat of old SACK information is not a new duplicate */
	{
		struct tcp_seg ack = SEG(.seq = RNXT, .ack = una, .wnd = H_WND + 40);

		ack.opt.nsack = 1;
		ack.opt.sack[0].left = una + 1460;
		ack.opt.sack[0].right = una + 1460 * 2;
		h_send(h, MS(20), ack, NULL);
		h_expect_nothing(h);
		assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPSackRecovery], 1);
	}
	h_free(h);
}

/*
 * FINDINGS #2. RFC 9293 §3.7.1, RFC 6691 §2: the MSS bounds payload and
 * options together, so while SACK blocks ride on our data segments each
 * carries 12 bytes less; and a link without TSO is never asked to cut a frame.
 */
static void test_sack_blocks_take_payload_room(void **state)
{
	struct harness *h = h_new(tweak_sack);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	static uint8_t data[3000];
	struct tcp_seg sa;
	struct h_frame *f;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 8, 7, &h->lsock), 0);
	h_send(h, 0,
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.sack_ok = true,
		   .opt.has_mss = true, .opt.mss = 1460),
	       NULL);
	assert_true(h_pop(h, &sa));
	h->iss = sa.seq;
	h_send(h, 0, SEG(.seq = RNXT, .ack = h->iss + 1), NULL);
	assert_int_equal(stack_tcp_accept(h->s, 0, h->lsock, 9, &h->sock), 0);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_NODELAY, 1), 0);
	/* out-of-order data: from now on our segments carry a SACK block */
	h_send(h, MS(1), SEG(.seq = RNXT + 100, .ack = h->iss + 1, .len = 50), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .opt.nsack = 1,
			.opt.sack[0] = { RNXT + 100, RNXT + 150 }));
	assert_int_equal(stack_tcp_send(h->s, MS(2), h->sock, data, sizeof(data)), 3000);
	/* 1460 - (NOP NOP SACK 2 + 8) = 1448 bytes each, no GSO request */
	f = &h->frames[h->head % 256];
	assert_int_equal(f->meta.gso_type, 0);
	assert_int_equal(f->len, 14 + 20 + 20 + 12 + 1448);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .len = 1448,
			.opt.nsack = 1, .opt.sack[0] = { RNXT + 100, RNXT + 150 }));
	f = &h->frames[h->head % 256];
	assert_int_equal(f->meta.gso_type, 0);
	h_expect(h, OUT(.seq = h->iss + 1449, .ack = RNXT, .wnd = H_RCVBUF, .len = 1448,
			.opt.nsack = 1, .opt.sack[0] = { RNXT + 100, RNXT + 150 }));
	h_expect(h, OUT(.seq = h->iss + 2897, .ack = RNXT, .wnd = H_RCVBUF, .len = 104,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH, .opt.nsack = 1,
			.opt.sack[0] = { RNXT + 100, RNXT + 150 }));
	h_expect_nothing(h);
	/* the hole fills: full 1460-byte segments again */
	h_send(h, MS(3), SEG(.seq = RNXT, .ack = h->iss + 1, .len = 100), NULL);
	h_expect(h, OUT(.seq = h->iss + 3001, .ack = RNXT + 150, .wnd = H_RCVBUF - 150));
	assert_int_equal(stack_tcp_send(h->s, MS(4), h->sock, data, 1460), 1460);
	h_expect(h, OUT(.seq = h->iss + 3001, .ack = RNXT + 150, .wnd = H_RCVBUF - 150, .len = 1460,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	h_free(h);
}

/*
 * FINDINGS #7. RFC 9293 §3.8.6: the window a segment offers starts at its
 * SEG.ACK. A retransmission from the peer with an older SEG.SEQ advances
 * SND.UNA but fails the SND.WL1 test, so SND.WND stays relative to SND.WL2:
 * the right edge is SND.WL2 + SND.WND, not SND.UNA + SND.WND.
 */
static void test_window_edge_from_wl2(void **state)
{
	struct harness *h = h_new(NULL);
	static uint8_t data[4380];

	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_NODELAY, 1), 0);
	/* the peer's first 1000 bytes are lost; its next ACK offers 2920: edge iss+1+2920 */
	h_send(h, MS(1), SEG(.seq = RNXT + 1000, .ack = h->iss + 1, .wnd = 2920), NULL);
	h_expect_nothing(h);
	assert_int_equal(stack_tcp_send(h->s, MS(2), h->sock, data, 2920), 2920);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_expect(h, OUT(.seq = h->iss + 1461, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	/* its retransmission (older SEQ) ACKs 1460 and offers 1460: the same edge */
	h_send(h, MS(10), SEG(.seq = RNXT, .ack = h->iss + 1461, .wnd = 1460, .len = 1000), NULL);
	h_drain(h);
	assert_int_equal(h_conn(h, h->sock)->snd_wnd, 2920); /* not updated (SND.WL1) */
	/* SND.UNA + SND.WND would allow 1460 more; the peer's edge allows none */
	assert_int_equal(stack_tcp_send(h->s, MS(11), h->sock, data, 1460), 1460);
	h_expect_nothing(h);
	/* its next ACK opens the window: the data goes */
	h_send(h, MS(20), SEG(.seq = RNXT + 1000, .ack = h->iss + 2921, .wnd = 2920), NULL);
	h_expect(h, OUT(.seq = h->iss + 2921, .ack = RNXT + 1000, .wnd = H_RCVBUF - 1000,
			.len = 1460, .flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	h_expect_nothing(h);
	h_free(h);
}

/*
 * FINDINGS #8. A zero-window probe must not move SND.NXT past the peer's
 * closed window: a receiver with RCV.WND = 0 accepts a segment only at
 * SEG.SEQ = RCV.NXT (RFC 9293 §3.10.7.4), so after a probe byte every ACK of
 * ours (its keepalive answers too) and a reset were discarded.
 */
static void test_window_probe_keeps_seq(void **state)
{
	struct harness *h = h_new(NULL);

	h_establish_passive(h, 0);
	h_send(h, MS(1), SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 0), NULL);
	assert_int_equal(stack_tcp_send(h->s, MS(2), h->sock, "abc", 3), 3);
	h_poll(h, MS(202));
	h_expect(h, OUT(.seq = h->iss, .ack = RNXT, .wnd = H_RCVBUF));
	h_send(h, MS(210), SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 0), NULL);
	h_expect_nothing(h);
	/* the peer's keepalive probe <SEQ=RCV.NXT-1>: our answer is at its RCV.NXT */
	h_send(h, MS(300), SEG(.seq = RNXT - 1, .ack = h->iss + 1, .wnd = 0), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF));
	assert_int_equal(stack_tcp_abort(h->s, MS(400), h->sock), 0);
	h_expect(h, OUT(.seq = h->iss + 1, .flags = TCP_FLAG_RST));
	h_free(h);
}

/*
 * FINDINGS #6. Only our FIN waits behind a zero window: the retransmission
 * timeout turns into window probes, which never count toward `retries` while
 * they are answered (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17); the FIN goes
 * again when the window opens.
 */
static void test_fin_behind_zero_window(void **state)
{
	struct harness *h = h_new(tweak_retries2);

	h_establish_passive(h, 0);
	h_send(h, MS(1), SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 0), NULL);
	assert_int_equal(stack_tcp_shutdown(h->s, MS(2), h->sock), 0);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF,
			.flags = TCP_FLAG_ACK | TCP_FLAG_FIN));
	for (int i = 0; i < 10; i++) {
		stack_time_us at = stack_poll_at(h->s);

		h_poll(h, at);
		h_expect(h, OUT(.seq = h->iss, .ack = RNXT, .wnd = H_RCVBUF));
		h_send(h, at + 1, SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 0), NULL);
		h_expect_nothing(h);
	}
	assert_int_equal(h_state(h, h->sock), TCP_FIN_WAIT_1);
	h_expect_no_event(h);
	/* the window opens: the FIN again, then its ACK */
	h_send(h, h->now + 1, SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 1000), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF,
			.flags = TCP_FLAG_ACK | TCP_FLAG_FIN));
	h_send(h, h->now + 1, SEG(.seq = RNXT, .ack = h->iss + 2, .wnd = 1000), NULL);
	assert_int_equal(h_state(h, h->sock), TCP_FIN_WAIT_2);
	h_free(h);
}

static void test_peer_window_limits_send(void **state)
{
	struct harness *h = h_new(NULL);
	static uint8_t data[3000];

	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_NODELAY, 1), 0);
	h_send(h, MS(1), SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 1000), NULL);
	assert_int_equal(stack_tcp_send(h->s, MS(2), h->sock, data, 3000), 3000);
	/* 1000 bytes is less than an MSS and less than half the largest window the
	 * peer offered (8192): sender SWS avoidance waits (RFC 1122 §4.2.3.4) ... */
	h_expect_nothing(h);
	/* ... until the override timer (the persist timer, one RTO) */
	assert_int_equal(stack_poll_at(h->s), MS(202));
	h_poll(h, MS(202));
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .len = 1000,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	h_expect_nothing(h);
	h_send(h, MS(210), SEG(.seq = RNXT, .ack = h->iss + 1001, .wnd = 3000), NULL);
	h_expect(h, OUT(.seq = h->iss + 1001, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_expect(h, OUT(.seq = h->iss + 2461, .ack = RNXT, .wnd = H_RCVBUF, .len = 540,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	h_free(h);
}

/* RFC 6093: urgent data is delivered inline, the urgent pointer ignored. */
static void test_urgent_inline(void **state)
{
	struct harness *h = h_new(NULL);
	char buf[16];

	h_establish_passive(h, 0);
	h_send(h, MS(1),
	       SEG(.seq = RNXT, .ack = h->iss + 1, .flags = TCP_FLAG_ACK | TCP_FLAG_URG, .urp = 3,
		   .len = 5),
	       "ab!cd");
	assert_int_equal(stack_tcp_recv(h->s, MS(2), h->sock, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "ab!cd", 5);
	h_free(h);
}

static void tweak_offload(struct stack_config *cfg)
{
	cfg->tx_csum_offload = true;
	cfg->tx_tso = true;
	cfg->tun.initial_cwnd = 10;
}

/* With TSO, one frame carries many segments: gso_size = MSS payload. */
static void test_tso_frame(void **state)
{
	struct harness *h = h_new(tweak_offload);
	static uint8_t data[6000];
	struct h_frame *f;

	h_establish_passive(h, 0);
	h_send(h, MS(1), SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 60000), NULL);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_NODELAY, 1), 0);
	assert_int_equal(stack_tcp_send(h->s, MS(2), h->sock, data, sizeof(data)), 6000);
	assert_int_equal(h->tail - h->head, 1);
	f = &h->frames[h->head % 256];
	assert_true(f->meta.csum_partial);
	assert_int_equal(f->meta.csum_start, STACK_L4_OFF);
	assert_int_equal(f->meta.csum_offset, 16);
	assert_int_equal(f->meta.gso_type, STACK_GSO_TCPV4);
	assert_int_equal(f->meta.gso_size, 1460);
	assert_int_equal(f->meta.hdr_len, STACK_L4_OFF + 20);
	/* the payload left in the send ring, for the link to write from there */
	assert_int_equal(h->tail_frames, 1);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .len = 6000,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	/* a received segment larger than the MSS (GRO) is taken whole */
	h_send(h, MS(3), SEG(.seq = RNXT, .ack = h->iss + 6001, .len = 5000), NULL);
	h_expect(h, OUT(.seq = h->iss + 6001, .ack = RNXT + 5000, .wnd = H_RCVBUF - 5000));
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 5000);
	h_free(h);
}

/* Byte i of the stream the next test sends. */
static uint8_t ring_pattern(uint32_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

/*
 * Move total bytes, written in pieces of chunk, ACKing everything each round;
 * every payload must be the stream's bytes at its sequence number. Returns
 * the bytes seen in frames.
 */
static uint32_t send_pattern_checked(struct harness *h, uint32_t total, uint32_t chunk)
{
	static uint8_t buf[65536];
	uint32_t written = 0, seen = 0, una = h->iss + 1;
	stack_time_us t = MS(2);
	struct tcp_seg seg;

	for (int round = 0; seen < total; round++) {
		if (round > 10000)
			fail_msg("stuck at %u of %u bytes", seen, total);
		while (written < total) {
			uint32_t n = total - written < chunk ? total - written : chunk;
			ssize_t r;

			for (uint32_t i = 0; i < n; i++)
				buf[i] = ring_pattern(written + i);
			r = stack_tcp_send(h->s, t, h->sock, buf, n);
			assert_true(r >= 0);
			written += (uint32_t)r;
			if ((uint32_t)r < n)
				break; /* the ring is full until an ACK */
		}
		while (h_pop(h, &seg)) {
			uint32_t off = seg.seq - (h->iss + 1);

			/* no hole: what we ACK next was all seen */
			if (seg.len && off > seen)
				fail_msg("bytes %u..%u never sent", seen, off);
			for (uint32_t i = 0; i < seg.len; i++)
				if (seg.payload[i] != ring_pattern(off + i))
					fail_msg("byte %u of the stream: %u, not %u", off + i,
						 seg.payload[i], ring_pattern(off + i));
			if (seg.len && off + seg.len > seen)
				seen = off + seg.len;
		}
		t += MS(1);
		if (una != h->iss + 1 + seen) {
			una = h->iss + 1 + seen;
			h_send(h, t, SEG(.seq = RNXT, .ack = una, .wnd = 60000), NULL);
		} else {
			h_poll(h, t); /* nothing to ACK: let timers send */
		}
	}
	return seen;
}

/*
 * With the link writing frames from pieces, each payload goes out from the
 * send ring where it lies, in two pieces across the ring's end: the bytes on
 * the wire are the stream's either way, and the same as with a link that
 * takes whole frames only (the stack then copies them in).
 */
static void test_tso_frame_from_ring(void **state)
{
	struct harness *h;

	for (int whole = 0; whole < 2; whole++) {
		h_no_emit_tail = whole;
		h = h_new(tweak_offload);
		h_establish_passive(h, 0);
		h_send(h, MS(1), SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 60000), NULL);
		assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_NODELAY, 1), 0);
		/* 5 x the 64 KiB ring, in odd pieces: frames start all over it */
		assert_int_equal(send_pattern_checked(h, 5 * 65536 + 333, 10007), 5 * 65536 + 333);
		assert_true(h->gso_frames >= 5); /* TSO frames, not just segments */
		if (whole) {
			assert_int_equal(h->tail_frames, 0);
		} else {
			assert_true(h->tail_frames > 5);
			assert_true(h->tail_frames_wrapped >= 1);
		}
		h_free(h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_receive_delayed_ack),
		cmocka_unit_test(test_receive_ack_every_second_segment),
		cmocka_unit_test(test_receive_wraparound),
		cmocka_unit_test(test_reassembly_holes),
		cmocka_unit_test(test_reassembly_overlap_duplicate),
		cmocka_unit_test(test_receive_window_full),
		cmocka_unit_test(test_send_nagle_and_psh),
		cmocka_unit_test(test_send_buffer_full_writable),
		cmocka_unit_test(test_zero_window_persist),
		cmocka_unit_test(test_urgent_mark),
		cmocka_unit_test(test_cork),
		cmocka_unit_test(test_persist_unanswered),
		cmocka_unit_test(test_window_closes_in_flight),
		cmocka_unit_test(test_rto_backoff_karn),
		cmocka_unit_test(test_retries_exhausted),
		cmocka_unit_test(test_fast_retransmit_newreno),
		cmocka_unit_test(test_fast_retransmit_sack_window_growing),
		cmocka_unit_test(test_peer_window_limits_send),
		cmocka_unit_test(test_sack_blocks_take_payload_room),
		cmocka_unit_test(test_window_edge_from_wl2),
		cmocka_unit_test(test_window_probe_keeps_seq),
		cmocka_unit_test(test_fin_behind_zero_window),
		cmocka_unit_test(test_urgent_inline),
		cmocka_unit_test(test_tso_frame),
		cmocka_unit_test(test_tso_frame_from_ring),
		cmocka_unit_test(test_fast_retransmit_at_recover),
		cmocka_unit_test(test_no_fast_retransmit_at_recover_after_rto),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
