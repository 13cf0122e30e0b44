/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-longrun.c - a connection that has carried more than 2^31 (or
 * 2^32) bytes since its ISS still recovers a loss by fast retransmit
 * (RFC 5681 §3.2, RFC 6582 §3.2). NewReno's recover point starts at the ISS;
 * compared with SEG.ACK in 32-bit sequence arithmetic it must not read as
 * "ahead" once SND.UNA is 2^31 past it, or every loss costs a timeout.
 *
 * Carrying gigabytes segment by segment would take too long: the connection
 * is given the history instead, by moving its ISS (and recover, which a
 * loss-free connection keeps at the ISS) back by that many bytes. Nothing
 * else in a loss-free connection depends on how much it has carried.
 */
#include <string.h>

#include "harness.h"

#define MS(x) ((stack_time_us)(x)*1000)
#define RNXT  (H_REMOTE_ISN + 1)

static void give_history(struct harness *h, uint64_t bytes)
{
	struct tcp_conn *c = h_conn(h, h->sock);

	assert_int_equal(c->cc.recover, c->iss);
	assert_int_equal(c->snd_una, c->iss + 1);
	c->iss -= (uint32_t)bytes;
	c->cc.recover -= (uint32_t)bytes;
}

/* Five full segments out after history; the second is lost; the third duplicate ACK. */
static void fast_retransmit_after(uint64_t history)
{
	struct harness *h = h_new(NULL);
	static uint8_t data[7300];
	uint32_t una;

	h_establish_passive(h, 0);
	give_history(h, history);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_NODELAY, 1), 0);
	assert_int_equal(stack_tcp_send(h->s, MS(1), h->sock, data, sizeof(data)), 7300);
	for (int i = 0; i < 5; i++)
		h_expect(h, OUT(.seq = h->iss + 1 + 1460 * i, .ack = RNXT, .wnd = H_RCVBUF,
				.len = 1460, .flags = TCP_FLAG_ACK | (i == 4 ? TCP_FLAG_PSH : 0)));
	una = h->iss + 1 + 1460;
	h_send(h, MS(10), SEG(.seq = RNXT, .ack = una), NULL);
	for (int i = 0; i < 3; i++)
		h_send(h, MS(11 + i), SEG(.seq = RNXT, .ack = una), NULL);
	/* the third duplicate: fast retransmit now, not a timeout 200 ms later */
	h_expect(h, OUT(.seq = una, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_expect_nothing(h);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPFastRetrans], 1);
	assert_true(h_conn(h, h->sock)->cc.in_recovery);
	h_send(h, MS(30), SEG(.seq = RNXT, .ack = h->iss + 1 + 7300), NULL);
	assert_false(h_conn(h, h->sock)->cc.in_recovery);
	/* all acknowledged: no retransmission timer left (the idle ring release may be) */
	assert_int_equal(h_conn(h, h->sock)->timer[TCP_TIMER_RETRANSMIT], STACK_TIME_NEVER);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPTimeouts], 0);
	h_free(h);
}

/* SND.UNA - ISS just past 2^31: recover = ISS reads as 2^31 ahead of SEG.ACK. */
static void test_past_2_31(void **state)
{
	fast_retransmit_after((1ull << 31) + 10000);
}

/* Just below 2^32: still more than 2^31 away, on the other side. */
static void test_below_2_32(void **state)
{
	fast_retransmit_after((1ull << 32) - 10000);
}

/* Past 2^32 the 32-bit distance is small again (this one held before the fix too). */
static void test_past_2_32(void **state)
{
	fast_retransmit_after((1ull << 32) + 10000);
}

/*
 * After a timeout, recover is SND.MAX (RFC 6582 §3.2 step 4): duplicate ACKs
 * for data sent before it do not start a fast retransmit, however far the
 * connection is from its ISS; an ACK beyond it ends that.
 */
static void test_recover_after_timeout(void **state)
{
	struct harness *h = h_new(NULL);
	static uint8_t data[7300];
	struct tcp_conn *c;

	h_establish_passive(h, 0);
	give_history(h, (1ull << 31) + 10000);
	c = h_conn(h, h->sock);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_NODELAY, 1), 0);
	assert_int_equal(stack_tcp_send(h->s, MS(1), h->sock, data, sizeof(data)), 7300);
	h_drain(h);
	h_poll(h, MS(201));
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_expect_nothing(h);
	assert_int_equal(c->cc.recover, h->iss + 1 + 7300);
	for (int i = 0; i < 3; i++)
		h_send(h, MS(210 + i), SEG(.seq = RNXT, .ack = h->iss + 1), NULL);
	h_expect_nothing(h);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPFastRetrans], 0);
	assert_false(c->cc.in_recovery);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_past_2_31),
		cmocka_unit_test(test_below_2_32),
		cmocka_unit_test(test_past_2_32),
		cmocka_unit_test(test_recover_after_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
