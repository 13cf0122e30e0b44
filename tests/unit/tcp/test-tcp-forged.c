/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-forged.c - segments forged by someone who knows the 4-tuple and
 * the receive window but not an acceptable ACK: RFC 5961 §5.2 drops them with
 * a challenge ACK, and RFC 7323 §4.3 / RFC 9293 §3.10.7.4 keep their TSval out
 * of TS.Recent (only a segment that passed the sequence, RST, SYN and ACK
 * checks may update it), so PAWS goes on accepting the real peer. And
 * out-of-window pure ACKs get their ACK at most once per tcp.invalid_ratelimit
 * (an ACK loop, or a forger, cannot make us answer each one).
 */
#include <string.h>

#include "harness.h"

#define MS(x) ((stack_time_us)(x)*1000)
#define RNXT  (H_REMOTE_ISN + 1)
#define HUGE  (1u << 30) /* how far ahead of the real TSval the forger's runs */

static void tweak_ts(struct stack_config *cfg)
{
	cfg->tun.timestamps = 1;
}

/* Passive open with timestamps; the peer's TSval is 1001 once ESTABLISHED. */
static struct harness *establish_ts(void)
{
	struct harness *h = h_new(tweak_ts);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct tcp_seg sa;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 4, 1, &h->lsock), 0);
	h_send(h, MS(5),
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.has_mss = true,
		   .opt.mss = H_MSS, .opt.has_ts = true, .opt.tsval = 1000),
	       NULL);
	assert_true(h_pop(h, &sa));
	h->iss = sa.seq;
	h->ts_off = sa.opt.tsval - 5;
	h_send(h, MS(10),
	       SEG(.seq = RNXT, .ack = h->iss + 1, .opt.has_ts = true, .opt.tsval = 1001,
		   .opt.tsecr = sa.opt.tsval),
	       NULL);
	assert_int_equal(stack_tcp_accept(h->s, MS(10), h->lsock, 2, &h->sock), 0);
	assert_true(h_conn(h, h->sock)->ts_ok);
	assert_int_equal(h_conn(h, h->sock)->ts_recent, 1001);
	return h;
}

/*
 * An in-window segment at RCV.NXT with data, a TSval 2^30 ahead and an ACK
 * for bytes never sent (or older than SND.UNA - MAX.SND.WND): a challenge ACK
 * that still echoes the real TSval, no byte taken, TS.Recent unchanged; the
 * real peer's next segment is accepted (no PAWS drop) and moves TS.Recent.
 */
static void forged_bad_ack(tcp_seq (*bad_ack)(const struct harness *h))
{
	struct harness *h = establish_ts();
	struct tcp_conn *c = h_conn(h, h->sock);

	h_send(h, MS(20),
	       SEG(.seq = RNXT, .ack = bad_ack(h), .len = 10, .flags = TCP_FLAG_ACK | TCP_FLAG_PSH,
		   .opt.has_ts = true, .opt.tsval = 1001 + HUGE, .opt.tsecr = 7),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .opt.has_ts = true,
			.opt.tsval = H_TS_AUTO, .opt.tsecr = 1001));
	h_expect_nothing(h);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPChallengeACK], 1);
	assert_int_equal(c->ts_recent, 1001);
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 0);
	/* the real peer, with its own clock */
	h_send(h, MS(21),
	       SEG(.seq = RNXT, .ack = h->iss + 1, .len = 100, .flags = TCP_FLAG_ACK | TCP_FLAG_PSH,
		   .opt.has_ts = true, .opt.tsval = 1002),
	       NULL);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtPAWSEstab], 0);
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 100);
	assert_int_equal(c->ts_recent, 1002);
	/* the flow goes on: its ACK echoes the real TSval, the next segment is taken too */
	h_poll(h, MS(21) + h->s->cfg.tun.delayed_ack);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 100, .wnd = H_RCVBUF - 100,
			.opt.has_ts = true, .opt.tsval = H_TS_AUTO, .opt.tsecr = 1002));
	h_send(h, MS(70),
	       SEG(.seq = RNXT + 100, .ack = h->iss + 1, .len = 1000,
		   .flags = TCP_FLAG_ACK | TCP_FLAG_PSH, .opt.has_ts = true, .opt.tsval = 1050),
	       NULL);
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 1100);
	assert_int_equal(c->ts_recent, 1050);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtPAWSEstab], 0);
	h_free(h);
}

static tcp_seq ack_not_sent(const struct harness *h)
{
	return h->iss + 1 + 100000;
}

static tcp_seq ack_too_old(const struct harness *h)
{
	return h->iss + 1 - (1u << 30);
}

static void test_forged_ack_not_sent(void **state)
{
	forged_bad_ack(ack_not_sent);
}

static void test_forged_ack_too_old(void **state)
{
	forged_bad_ack(ack_too_old);
}

/* A segment without the ACK bit is dropped at the fifth step: TS.Recent stays too. */
static void test_forged_no_ack_bit(void **state)
{
	struct harness *h = establish_ts();

	h_send(h, MS(20),
	       SEG(.seq = RNXT, .flags = TCP_FLAG_PSH, .len = 10, .opt.has_ts = true,
		   .opt.tsval = 1001 + HUGE),
	       NULL);
	h_expect_nothing(h);
	assert_int_equal(h_conn(h, h->sock)->ts_recent, 1001);
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 0);
	h_free(h);
}

/* A SYN at RCV.NXT on an ESTABLISHED connection (RFC 5961 §4): challenge ACK, TS.Recent stays. */
static void test_forged_syn_in_window(void **state)
{
	struct harness *h = establish_ts();

	h_send(h, MS(20),
	       SEG(.seq = RNXT, .flags = TCP_FLAG_SYN, .opt.has_ts = true,
		   .opt.tsval = 1001 + HUGE),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .opt.has_ts = true,
			.opt.tsval = H_TS_AUTO, .opt.tsecr = 1001));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPSYNChallenge], 1);
	assert_int_equal(h_conn(h, h->sock)->ts_recent, 1001);
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	h_free(h);
}

/* A RST in the window but not at RCV.NXT draws a challenge ACK and leaves TS.Recent. */
static void test_forged_rst_in_window(void **state)
{
	struct harness *h = establish_ts();

	h_send(h, MS(20),
	       SEG(.seq = RNXT + 5, .flags = TCP_FLAG_RST, .opt.has_ts = true,
		   .opt.tsval = 1001 + HUGE),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .opt.has_ts = true,
			.opt.tsval = H_TS_AUTO, .opt.tsecr = 1001));
	assert_int_equal(h_conn(h, h->sock)->ts_recent, 1001);
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	h_free(h);
}

/*
 * Three forged segments a millisecond apart while our data is in flight:
 * one challenge ACK, not three (three duplicate ACKs would make the peer
 * fast-retransmit and halve its window); the next 1/limit s (100 ms) later.
 */
static void test_challenge_acks_spaced(void **state)
{
	struct harness *h = establish_ts();
	uint8_t data[100] = { 0 };

	assert_int_equal(stack_tcp_send(h->s, MS(15), h->sock, data, sizeof(data)), 100);
	h_drain(h);
	for (int i = 0; i < 3; i++) {
		h_send(h, MS(20 + i),
		       SEG(.seq = RNXT, .ack = ack_not_sent(h), .len = 10, .opt.has_ts = true,
			   .opt.tsval = 1001 + HUGE),
		       NULL);
		if (i == 0)
			h_expect(h, OUT(.seq = h->iss + 101, .ack = RNXT, .wnd = H_RCVBUF,
					.opt.has_ts = true, .opt.tsval = H_TS_AUTO,
					.opt.tsecr = 1001));
		h_expect_nothing(h);
	}
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPChallengeACK], 1);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPACKSkippedChallenge], 2);
	h_send(h, MS(119),
	       SEG(.seq = RNXT, .ack = ack_not_sent(h), .opt.has_ts = true, .opt.tsval = 1001),
	       NULL);
	h_expect_nothing(h);
	h_send(h, MS(120),
	       SEG(.seq = RNXT, .ack = ack_not_sent(h), .opt.has_ts = true, .opt.tsval = 1001),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 101, .ack = RNXT, .wnd = H_RCVBUF, .opt.has_ts = true,
			.opt.tsval = H_TS_AUTO, .opt.tsecr = 1001));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPChallengeACK], 2);
	h_free(h);
}

/*
 * Five pure ACKs far outside the window within 100 ms draw one ACK, not five
 * (TcpExtTCPACKSkippedSeq 4); a retransmission of old data always gets its
 * ACK; once tcp.invalid_ratelimit (500 ms) has passed, the next pure ACK
 * draws one again.
 */
static void test_oow_ack_rate_limited(void **state)
{
	struct harness *h = h_new(NULL);
	struct tcp_seg got;
	uint32_t acks = 0;

	h_establish_passive(h, MS(10));
	for (int i = 0; i < 5; i++)
		h_send(h, MS(20 + 20 * i), SEG(.seq = RNXT + (1u << 30), .ack = h->iss + 1), NULL);
	while (h_pop(h, &got)) {
		assert_int_equal(got.flags, TCP_FLAG_ACK);
		assert_int_equal(got.ack, RNXT);
		acks++;
	}
	assert_int_equal(acks, 1);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPACKSkippedSeq], 4);
	/* old data (a retransmission below RCV.NXT) is answered whatever the limit */
	h_send(h, MS(130), SEG(.seq = RNXT - 100, .ack = h->iss + 1, .len = 100), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF));
	h_send(h, MS(140), SEG(.seq = RNXT + (1u << 30), .ack = h->iss + 1), NULL);
	h_expect_nothing(h);
	h_send(h, MS(521), SEG(.seq = RNXT + (1u << 30), .ack = h->iss + 1), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPACKSkippedSeq], 5);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oow_ack_rate_limited),
		cmocka_unit_test(test_forged_ack_not_sent),
		cmocka_unit_test(test_forged_ack_too_old),
		cmocka_unit_test(test_forged_no_ack_bit),
		cmocka_unit_test(test_forged_syn_in_window),
		cmocka_unit_test(test_forged_rst_in_window),
		cmocka_unit_test(test_challenge_acks_spaced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
