/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-quickack.c - quick ACKs (tcp.quick_acks, tcp_input.c): when a
 * connection's data starts, and again after it received none for longer
 * than its RTO, its data is ACKed at once instead of after delayed_ack, so
 * a peer whose Nagle algorithm (RFC 1122 §4.2.3.4) holds a small segment
 * until the last is ACKed does not wait out the delay; the ACK is due on
 * the DELACK timer at the same time, so an answer the application writes
 * first carries it; none while the connection is interactive (our data
 * answered the peer's, or a client's request the handshake, within
 * delayed_ack) until a delayed ACK has had to go alone; a FIN is not
 * quick-ACKed; and with quick_acks 0, every one delayed as RFC 1122
 * §4.2.3.2 has it.
 */
#include <string.h>

#include "harness.h"

#define MS(x) ((stack_time_us)(x)*1000)
#define S(x)  ((stack_time_us)(x)*1000000)
#define RNXT  (H_REMOTE_ISN + 1)
#define QUICK 4u

static void tweak_quick(struct stack_config *cfg)
{
	cfg->tun.quick_acks = QUICK;
}

static uint64_t ctr(const struct harness *h, unsigned c)
{
	return h->s->ctr.v[c];
}

/* Our SND.NXT. */
static uint32_t snd_nxt(struct harness *h)
{
	return h_conn(h, h->sock)->snd_nxt;
}

/* The peer's len bytes at *seq, at time t (nothing read): the ACK they are owed is due at once. */
static void send_quick(struct harness *h, stack_time_us t, uint32_t *seq, uint32_t len)
{
	h_send(h, t,
	       SEG(.seq = *seq, .ack = snd_nxt(h), .len = len,
		   .flags = TCP_FLAG_ACK | TCP_FLAG_PSH),
	       NULL);
	*seq += len;
	h_expect_nothing(h); /* not from within the input: the application may answer first */
	assert_int_equal(stack_poll_at(h->s), t);
	h_poll(h, t);
	h_expect(h, OUT(.seq = snd_nxt(h), .ack = *seq, .wnd = H_RCVBUF - (*seq - RNXT)));
}

/* ... and the ACK they are owed waits for delayed_ack (40 ms). */
static void send_delayed(struct harness *h, stack_time_us t, uint32_t *seq, uint32_t len)
{
	h_send(h, t,
	       SEG(.seq = *seq, .ack = snd_nxt(h), .len = len,
		   .flags = TCP_FLAG_ACK | TCP_FLAG_PSH),
	       NULL);
	*seq += len;
	h_expect_nothing(h);
	assert_int_equal(stack_poll_at(h->s), t + MS(40));
	h_poll(h, t + MS(40) - 1);
	h_expect_nothing(h);
	h_poll(h, t + MS(40));
	h_expect(h, OUT(.seq = snd_nxt(h), .ack = *seq, .wnd = H_RCVBUF - (*seq - RNXT)));
}

/*
 * Write, write, wait: the peer's first small segment is ACKed at once, so
 * Nagle lets its second go; the answer to both carries that one's ACK. With
 * every ACK delayed (main before tcp.quick_acks) the first waited 40 ms.
 */
static void test_nagle_peer_not_held(void **state)
{
	struct harness *h = h_new(tweak_quick);
	uint32_t seq = RNXT;
	uint8_t buf[256];

	h_establish_passive(h, 0);
	send_quick(h, MS(100), &seq, 100);
	assert_int_equal(ctr(h, STACK_CTR_SynackTcpQuickAcks), 1);
	/* the second half, one round trip later: the answer goes with its ACK */
	h_send(h, MS(101),
	       SEG(.seq = seq, .ack = h->iss + 1, .len = 100, .flags = TCP_FLAG_ACK | TCP_FLAG_PSH),
	       NULL);
	seq += 100;
	assert_int_equal(stack_tcp_recv(h->s, MS(101), h->sock, buf, sizeof(buf)), 200);
	assert_int_equal(stack_tcp_send(h->s, MS(101), h->sock, "answer", 6), 6);
	/* (a 200-byte read does not move the window's edge: RFC 1122 §4.2.3.3) */
	h_expect(h, OUT(.seq = h->iss + 1, .ack = seq, .wnd = H_RCVBUF - 200, .len = 6,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	h_expect_nothing(h);
	assert_int_equal(stack_poll_at(h->s) > MS(101) + MS(40), true); /* no ACK left owed */
	assert_int_equal(ctr(h, STACK_CTR_SynackTcpQuickAcks), 1);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtDelayedACKs), 0);
	h_free(h);
}

/* An answer written before the timers run carries the quick ACK: one segment, not two. */
static void test_answer_in_the_turn_carries_it(void **state)
{
	struct harness *h = h_new(tweak_quick);

	h_establish_passive(h, 0);
	h_send(h, MS(5),
	       SEG(.seq = RNXT, .ack = h->iss + 1, .len = 10, .flags = TCP_FLAG_ACK | TCP_FLAG_PSH),
	       NULL);
	h_expect_nothing(h);
	assert_int_equal(stack_tcp_send(h->s, MS(5), h->sock, "0123456789", 10), 10);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 10, .wnd = H_RCVBUF - 10, .len = 10,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	h_poll(h, MS(5));
	h_expect_nothing(h);
	assert_int_equal(ctr(h, STACK_CTR_SynackTcpQuickAcks), 0);
	h_free(h);
}

/* QUICK of them, then delayed again; after longer than the RTO without data, QUICK more. */
static void test_run_out_then_refill_after_idle(void **state)
{
	struct harness *h = h_new(tweak_quick);
	uint32_t seq = RNXT;
	stack_time_us t = MS(10);

	h_establish_passive(h, 0);
	for (unsigned i = 0; i < QUICK; i++, t += MS(1))
		send_quick(h, t, &seq, 10);
	send_delayed(h, t, &seq, 10);
	t += MS(40);
	/* a pause shorter than the RTO (at least rto.min, 200 ms) changes nothing */
	t += MS(100);
	send_delayed(h, t, &seq, 10);
	t += MS(40);
	/* longer than any RTO this connection can have (rto.initial 1 s) */
	t += S(2);
	for (unsigned i = 0; i < QUICK; i++, t += MS(1))
		send_quick(h, t, &seq, 10);
	send_delayed(h, t, &seq, 10);
	assert_int_equal(ctr(h, STACK_CTR_SynackTcpQuickAcks), 2 * QUICK);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtDelayedACKs), 3);
	h_free(h);
}

/*
 * Interactive: once our data answered the peer's within delayed_ack, its
 * next data waits for the next answer to carry the ACK; when that does not
 * come and the delayed ACK goes alone, quick ACKs resume.
 */
static void test_interactive_then_not(void **state)
{
	struct harness *h = h_new(tweak_quick);
	uint32_t seq = RNXT, snd;

	h_establish_passive(h, 0);
	snd = h->iss + 1;
	send_quick(h, MS(10), &seq, 10);
	/* answered 5 ms later (within 40 ms): interactive from here */
	assert_int_equal(stack_tcp_send(h->s, MS(15), h->sock, "ok", 2), 2);
	h_expect(h, OUT(.seq = snd, .ack = seq, .wnd = H_RCVBUF - 10, .len = 2,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	snd += 2;
	h_send(h, MS(16), SEG(.seq = seq, .ack = snd), NULL); /* its ACK */
	h_expect_nothing(h);
	/* the next request: delayed, the answer would carry it; none comes */
	h_send(h, MS(20),
	       SEG(.seq = seq, .ack = snd, .len = 10, .flags = TCP_FLAG_ACK | TCP_FLAG_PSH), NULL);
	seq += 10;
	assert_int_equal(stack_poll_at(h->s), MS(60));
	h_poll(h, MS(60));
	h_expect(h, OUT(.seq = snd, .ack = seq, .wnd = H_RCVBUF - 20));
	assert_int_equal(ctr(h, STACK_CTR_TcpExtDelayedACKs), 1);
	/* that delayed ACK went alone: not interactive, quick again */
	send_quick(h, MS(70), &seq, 10);
	assert_int_equal(ctr(h, STACK_CTR_SynackTcpQuickAcks), 2);
	h_free(h);
}

/*
 * A client's request sent as the handshake ends answers it: the reply's ACK
 * waits for what comes next (a close's FIN, the next request), as a
 * connection that answered data does, and is not sent on its own at once.
 */
static void test_client_request_is_an_answer(void **state)
{
	struct harness *h = h_new(tweak_quick);
	uint32_t seq = RNXT;
	uint8_t buf[16];

	h_establish_active(h, MS(10));
	assert_int_equal(stack_tcp_send(h->s, MS(10), h->sock, "GET", 3), 3);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .len = 3,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	h_send(h, MS(11),
	       SEG(.seq = seq, .ack = snd_nxt(h), .len = 5, .flags = TCP_FLAG_ACK | TCP_FLAG_PSH),
	       NULL);
	h_expect_nothing(h);
	assert_int_equal(stack_poll_at(h->s), MS(51));
	assert_int_equal(stack_tcp_recv(h->s, MS(12), h->sock, buf, sizeof(buf)), 5);
	assert_int_equal(stack_tcp_close(h->s, MS(12), h->sock), 0);
	h_expect(h, OUT(.seq = h->iss + 4, .ack = RNXT + 5, .wnd = H_RCVBUF - 5,
			.flags = TCP_FLAG_ACK | TCP_FLAG_FIN));
	assert_int_equal(ctr(h, STACK_CTR_SynackTcpQuickAcks), 0);
	h_free(h);
}

/* The peer's FIN is not quick-ACKed: our FIN, when the application closes, carries it. */
static void test_fin_not_quick(void **state)
{
	struct harness *h = h_new(tweak_quick);
	uint32_t seq = RNXT;

	h_establish_passive(h, 0);
	send_quick(h, MS(10), &seq, 10); /* quick ACKs are on: QUICK - 1 left */
	h_send(h, MS(20), SEG(.seq = seq, .ack = snd_nxt(h), .flags = TCP_FLAG_ACK | TCP_FLAG_FIN),
	       NULL);
	h_expect_nothing(h);
	assert_int_equal(stack_poll_at(h->s), MS(60));
	h_poll(h, MS(60));
	h_expect(h,
		 OUT(.seq = snd_nxt(h), .ack = seq + 1, .wnd = H_RCVBUF - 11)); /* the FIN's too */
	assert_int_equal(ctr(h, STACK_CTR_SynackTcpQuickAcks), 1);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtDelayedACKs), 1);
	h_free(h);
}

/* quick_acks 0: every ACK for data delayed, as before quick ACKs. */
static void test_off(void **state)
{
	struct harness *h = h_new(NULL); /* the harness's default: 0 */
	uint32_t seq = RNXT;

	h_establish_passive(h, 0);
	send_delayed(h, MS(10), &seq, 100);
	assert_int_equal(ctr(h, STACK_CTR_SynackTcpQuickAcks), 0);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtDelayedACKs), 1);
	h_free(h);
}

/* The daemon's default is on: 16. */
static void test_default(void **state)
{
	struct stack_tunables t;

	stack_tunables_defaults(&t);
	assert_int_equal(t.quick_acks, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nagle_peer_not_held),
		cmocka_unit_test(test_answer_in_the_turn_carries_it),
		cmocka_unit_test(test_run_out_then_refill_after_idle),
		cmocka_unit_test(test_interactive_then_not),
		cmocka_unit_test(test_client_request_is_an_answer),
		cmocka_unit_test(test_fin_not_quick),
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
