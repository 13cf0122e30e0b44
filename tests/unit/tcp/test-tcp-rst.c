/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-rst.c - resets and unacceptable segments: the closed-port reply
 * (RFC 9293 §3.10.7.1), RST in every synchronized state (§3.10.7.4 second
 * step), RFC 5961's exact-sequence rule, challenge ACKs for in-window RSTs,
 * SYNs and bad ACKs with their per-connection rate limit, out-of-window
 * segments, and malformed segments (checksum, header, options).
 */
#include <string.h>

#include "harness.h"

#define MS(x) ((stack_time_us)(x)*1000)
#define S(x)  ((stack_time_us)(x)*1000000)
#define RNXT  (H_REMOTE_ISN + 1)

/* RFC 9293 §3.10.7.1: the reply depends on the ACK bit; SYN and FIN count. */
static void test_closed_port(void **state)
{
	struct harness *h = h_new(NULL);

	/* no ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
	h_send(h, 0, SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN), NULL);
	h_expect(h, OUT(.seq = 0, .ack = H_REMOTE_ISN + 1, .flags = TCP_FLAG_RST | TCP_FLAG_ACK,
			.wnd = 0));
	h_send(h, 0, SEG(.seq = 1000, .flags = TCP_FLAG_FIN, .len = 10), NULL);
	h_expect(h, OUT(.seq = 0, .ack = 1011, .flags = TCP_FLAG_RST | TCP_FLAG_ACK, .wnd = 0));
	h_send(h, 0, SEG(.seq = 0xfffffff0, .flags = TCP_FLAG_SYN | TCP_FLAG_FIN, .len = 20), NULL);
	h_expect(h,
		 OUT(.seq = 0, .ack = 0x00000006, .flags = TCP_FLAG_RST | TCP_FLAG_ACK, .wnd = 0));
	/* ACK: <SEQ=SEG.ACK><CTL=RST> */
	h_send(h, 0, SEG(.seq = 5, .ack = 777, .len = 3), NULL);
	h_expect(h, OUT(.seq = 777, .ack = 0, .flags = TCP_FLAG_RST, .wnd = 0));
	/* never a RST for a RST */
	h_send(h, 0, SEG(.seq = 5, .ack = 777, .flags = TCP_FLAG_RST | TCP_FLAG_ACK), NULL);
	h_send(h, 0, SEG(.seq = 5, .flags = TCP_FLAG_RST), NULL);
	h_expect_nothing(h);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpOutRsts], 4);
	/* LISTEN: an ACK is answered the same way, a RST is ignored */
	{
		struct stack_endpoint local = { 0, H_LOCAL_PORT };

		assert_int_equal(stack_tcp_listen(h->s, 0, &local, 4, 1, &h->lsock), 0);
	}
	h_send(h, 0, SEG(.seq = 5, .ack = 999), NULL);
	h_expect(h, OUT(.seq = 999, .ack = 0, .flags = TCP_FLAG_RST, .wnd = 0));
	h_send(h, 0, SEG(.seq = 5, .flags = TCP_FLAG_RST), NULL);
	h_expect_nothing(h);
	h_free(h);
}

static void test_rst_established(void **state)
{
	struct harness *h = h_new(NULL);
	char buf[4];

	h_establish_passive(h, 0);
	/* out of the window: dropped silently */
	h_send(h, MS(1), SEG(.seq = RNXT + 40000, .flags = TCP_FLAG_RST), NULL);
	h_send(h, MS(1), SEG(.seq = RNXT - 1, .flags = TCP_FLAG_RST), NULL);
	h_expect_nothing(h);
	/* in the window but not exact: challenge ACK (RFC 5961 §3.2) */
	h_send(h, MS(2), SEG(.seq = RNXT + 1, .flags = TCP_FLAG_RST), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF));
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPChallengeACK], 1);
	/* exact: reset */
	h_send(h, MS(3), SEG(.seq = RNXT, .flags = TCP_FLAG_RST), NULL);
	h_expect_nothing(h);
	h_expect_event(h, STACK_EV_RESET, h->sock, -ECONNRESET);
	assert_int_equal(h_state(h, h->sock), TCP_CLOSED);
	assert_int_equal(stack_tcp_recv(h->s, MS(4), h->sock, buf, 4), -ECONNRESET);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpEstabResets], 1);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpCurrEstab], 0);
	assert_int_equal(stack_poll_at(h->s), STACK_TIME_NEVER);
	h_free(h);
}

/* Reach a state, then reset it exactly; returns the handle. */
static void rst_in_state(enum tcp_conn_state want, bool orphan, bool expect_event)
{
	struct harness *h = h_new(NULL);
	uint32_t rseq = RNXT;

	h_establish_passive(h, 0);
	switch (want) {
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
	case TCP_CLOSING:
		if (orphan)
			stack_tcp_close(h->s, MS(1), h->sock);
		else
			stack_tcp_shutdown(h->s, MS(1), h->sock);
		if (want == TCP_FIN_WAIT_2)
			h_send(h, MS(2), SEG(.seq = RNXT, .ack = h->iss + 2), NULL);
		if (want == TCP_CLOSING) {
			h_send(h, MS(2),
			       SEG(.seq = RNXT, .ack = h->iss + 1,
				   .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
			       NULL);
			rseq++;
		}
		break;
	case TCP_CLOSE_WAIT:
	case TCP_LAST_ACK:
		h_send(h, MS(1),
		       SEG(.seq = RNXT, .ack = h->iss + 1, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
		       NULL);
		rseq++;
		if (want == TCP_LAST_ACK)
			stack_tcp_shutdown(h->s, MS(2), h->sock);
		break;
	default:
		break;
	}
	assert_int_equal(h_state(h, h->sock), want);
	h_drain(h);
	while (stack_event_pop(h->s, &(struct stack_event){ 0 }))
		;
	h_send(h, MS(3), SEG(.seq = rseq, .flags = TCP_FLAG_RST), NULL);
	h_expect_nothing(h);
	if (expect_event)
		h_expect_event(h, STACK_EV_RESET, h->sock, -ECONNRESET);
	h_expect_no_event(h);
	assert_int_equal(h_state(h, h->sock), TCP_CLOSED);
	assert_int_equal(stack_poll_at(h->s), STACK_TIME_NEVER);
	h_free(h);
}

static void test_rst_every_state(void **state)
{
	rst_in_state(TCP_FIN_WAIT_1, false, true);
	rst_in_state(TCP_FIN_WAIT_1, true, false);
	rst_in_state(TCP_FIN_WAIT_2, false, true);
	rst_in_state(TCP_FIN_WAIT_2, true, false);
	rst_in_state(TCP_CLOSE_WAIT, false, true);
	/* after both FINs a reset just ends it (RFC 9293 §3.10.7.4 second step) */
	rst_in_state(TCP_CLOSING, false, false);
	rst_in_state(TCP_CLOSING, true, false);
	rst_in_state(TCP_LAST_ACK, false, false);
}

static void tweak_chack(struct stack_config *cfg)
{
	cfg->tun.challenge_ack_limit = 2;
}

/*
 * RFC 5961 §4: a SYN on a synchronized connection draws a rate-limited
 * challenge ACK; §7's limit (2 a second here) spaces them 500 ms apart.
 */
static void test_syn_challenge_rate_limit(void **state)
{
	struct harness *h = h_new(tweak_chack);

	h_establish_passive(h, 0);
	for (int i = 0; i < 3; i++)
		h_send(h, MS(100 + i), SEG(.seq = 12345, .flags = TCP_FLAG_SYN), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF));
	h_expect_nothing(h);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPChallengeACK], 1);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPACKSkippedChallenge], 2);
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	h_send(h, MS(599), SEG(.seq = RNXT, .flags = TCP_FLAG_SYN), NULL);
	h_expect_nothing(h);
	/* 500 ms after the last one, the next */
	h_send(h, MS(600), SEG(.seq = RNXT, .flags = TCP_FLAG_SYN), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPChallengeACK], 2);
	h_free(h);
}

static void test_out_of_window_segments(void **state)
{
	struct harness *h = h_new(NULL);

	h_establish_passive(h, 0);
	/* beyond the window: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, nothing delivered */
	h_send(h, MS(1), SEG(.seq = RNXT + H_RCVBUF, .ack = h->iss + 1, .len = 10), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF));
	/* entirely old */
	h_send(h, MS(2), SEG(.seq = RNXT - 100, .ack = h->iss + 1, .len = 50), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF));
	/* no ACK bit: dropped after the checks */
	h_send(h, MS(3), SEG(.seq = RNXT, .flags = 0, .len = 10), NULL);
	h_expect_nothing(h);
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 0);
	/* RFC 5961 §5: an ACK for data never sent: challenge ACK, text dropped */
	h_send(h, MS(4), SEG(.seq = RNXT, .ack = h->iss + 1000, .len = 10), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF));
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 0);
	/* an ACK far below SND.UNA - MAX.SND.WND: the same (challenge ACKs are
	 * at least 1/challenge_ack_limit = 100 ms apart) */
	h_send(h, MS(104), SEG(.seq = RNXT, .ack = h->iss - 100000, .len = 10), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF));
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 0);
	/* an old but acceptable ACK with data: the data is taken */
	h_send(h, MS(105), SEG(.seq = RNXT, .ack = h->iss - 10, .len = 10), NULL);
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 10);
	h_free(h);
}

static void test_bad_segments(void **state)
{
	struct harness *h = h_new(NULL);
	uint8_t l4[64];
	struct tcp_seg seg = SEG(.seq = RNXT, .ack = 1);
	size_t n;

	h_establish_passive(h, 0);
	seg.ack = h->iss + 1;
	seg.len = 4;
	n = tcp_wire_write(l4, &seg);
	memcpy(l4 + n, "data", 4);
	/* a wrong checksum */
	h_send_raw(h, MS(1), l4, n + 4, false);
	h_expect_nothing(h);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpInCsumErrors], 1);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpInErrs], 1);
	/* a header shorter than 20 bytes */
	h_send_raw(h, MS(2), l4, 12, true);
	/* a data offset past the segment */
	l4[12] = 0xf0;
	h_send_raw(h, MS(3), l4, n + 4, true);
	/* an option whose length runs past the header */
	l4[12] = 0x60;
	l4[20] = 2;
	l4[21] = 9;
	h_send_raw(h, MS(4), l4, 24, true);
	h_expect_nothing(h);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpInErrs], 4);
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 0);
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_closed_port),
		cmocka_unit_test(test_rst_established),
		cmocka_unit_test(test_rst_every_state),
		cmocka_unit_test(test_syn_challenge_rate_limit),
		cmocka_unit_test(test_out_of_window_segments),
		cmocka_unit_test(test_bad_segments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
