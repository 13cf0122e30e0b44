/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-close.c - every way a connection ends (RFC 9293 §3.6, Figures
 * 12-14, §3.10.4-5, §3.10.7.4 eighth step): active, passive and
 * simultaneous close, FIN and ACK together, half-close both ways, TIME-WAIT
 * lasting exactly 2 x MSL before and after a change of MSL, a retransmitted
 * FIN restarting it, RFC 1337, TIME-WAIT reuse by a newer SYN (RFC 6191,
 * only with a listener), the FIN-WAIT-2 timeout, close with unread data and
 * abort (RFC 2525).
 */
#include <string.h>

#include "harness.h"

#define MS(x) ((stack_time_us)(x)*1000)
#define S(x)  ((stack_time_us)(x)*1000000)
#define RNXT  (H_REMOTE_ISN + 1)

static void test_active_close(void **state)
{
	struct harness *h = h_new(NULL);
	stack_sock sock;

	h_establish_passive(h, 0);
	sock = h->sock;
	assert_int_equal(stack_tcp_close(h->s, S(1), sock), 0);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF,
			.flags = TCP_FLAG_FIN | TCP_FLAG_ACK));
	h_expect_event(h, STACK_EV_CLOSED, sock, 0);
	assert_int_equal(stack_tcp_send(h->s, S(1), sock, "x", 1), -EBADF);
	assert_int_equal(h_state(h, sock), TCP_FIN_WAIT_1);
	assert_int_equal(stack_poll_at(h->s), S(1) + MS(200)); /* the FIN's RTO */
	/* ACK of the FIN: FIN-WAIT-2, the orphan's timeout armed */
	h_send(h, S(2), SEG(.seq = RNXT, .ack = h->iss + 2), NULL);
	h_expect_nothing(h);
	assert_int_equal(h_state(h, sock), TCP_FIN_WAIT_2);
	assert_int_equal(stack_poll_at(h->s), S(2) + S(60));
	/* their FIN: ACK it, TIME-WAIT for exactly 2 x MSL (30 s) */
	h_send(h, S(3), SEG(.seq = RNXT, .ack = h->iss + 2, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	assert_int_equal(h_state(h, sock), TCP_TIME_WAIT);
	/* compact: a record holds the tuple, the slot is free at once */
	assert_null(h_conn(h, sock));
	assert_non_null(h_tw(h));
	assert_int_equal(h->s->tcp.nused, 1); /* the listener */
	assert_int_equal(h->s->tcp.tw.count, 1);
	assert_int_equal(stack_poll_at(h->s), S(3) + S(60));
	h_poll(h, S(63) - 1);
	assert_int_equal(h_state(h, sock), TCP_TIME_WAIT);
	h_poll(h, S(63));
	assert_null(h_tw(h));
	assert_int_equal(h->s->tcp.tw.count, 0);
	assert_int_equal(h->s->tcp.nused, 1); /* the listener */
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTW], 1);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpCurrEstab], 0);
	assert_int_equal(stack_poll_at(h->s), STACK_TIME_NEVER);
	h_expect_nothing(h);
	h_free(h);
}

/* An orphan (closed by its owner, finishing on its own) can still be killed. */
static void test_kill_orphan(void **state)
{
	struct harness *h = h_new(NULL);
	stack_sock sock;

	h_establish_passive(h, 0);
	sock = h->sock;
	/* while the owner holds it, only the owner may abort it */
	assert_int_equal(stack_tcp_kill_orphan(h->s, S(1), sock), -EBUSY);
	assert_int_equal(stack_tcp_close(h->s, S(1), sock), 0);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF,
			.flags = TCP_FLAG_FIN | TCP_FLAG_ACK));
	h_expect_event(h, STACK_EV_CLOSED, sock, 0);
	h_send(h, S(2), SEG(.seq = RNXT, .ack = h->iss + 2), NULL);
	assert_int_equal(h_state(h, sock), TCP_FIN_WAIT_2);
	/* RFC 9293 §3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST> */
	assert_int_equal(stack_tcp_kill_orphan(h->s, S(3), sock), 0);
	h_expect(h, OUT(.seq = h->iss + 2, .ack = 0, .wnd = 0, .flags = TCP_FLAG_RST));
	assert_null(h_conn(h, sock));
	assert_int_equal(h->s->tcp.nused, 1); /* the listener */
	assert_int_equal(stack_tcp_kill_orphan(h->s, S(3), sock), -EBADF);
	assert_int_equal(stack_poll_at(h->s), STACK_TIME_NEVER);
	h_expect_nothing(h);
	h_expect_no_event(h);
	h_free(h);
}

static void test_passive_close(void **state)
{
	struct harness *h = h_new(NULL);
	char buf[8];

	h_establish_active(h, 0);
	h_send(h, S(1), SEG(.seq = RNXT, .ack = h->iss + 1, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	/* a FIN the owner does not answer with its close is ACKed after
	 * tcp.delayed_ack (40 ms), as data is */
	h_expect_nothing(h);
	assert_int_equal(h_state(h, h->sock), TCP_CLOSE_WAIT);
	h_expect_event(h, STACK_EV_PEER_CLOSED, h->sock, 0);
	assert_int_equal(stack_poll_at(h->s), S(1) + MS(40));
	h_poll(h, S(1) + MS(40) - 1);
	h_expect_nothing(h);
	h_poll(h, S(1) + MS(40));
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	assert_int_equal(stack_tcp_recv(h->s, S(1) + MS(40), h->sock, buf, 8), 0); /* EOF */
	/* half-closed by the peer: we may still send */
	assert_int_equal(stack_tcp_send(h->s, S(1) + MS(40), h->sock, "abc", 3), 3);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 1, .wnd = H_RCVBUF - 1, .len = 3,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	h_send(h, S(2), SEG(.seq = RNXT + 1, .ack = h->iss + 4), NULL);
	assert_int_equal(stack_tcp_close(h->s, S(3), h->sock), 0);
	h_expect(h, OUT(.seq = h->iss + 4, .ack = RNXT + 1, .wnd = H_RCVBUF - 1,
			.flags = TCP_FLAG_FIN | TCP_FLAG_ACK));
	assert_int_equal(h_state(h, h->sock), TCP_LAST_ACK);
	h_expect_event(h, STACK_EV_CLOSED, h->sock, 0);
	h_send(h, S(4), SEG(.seq = RNXT + 1, .ack = h->iss + 5), NULL);
	h_expect_nothing(h);
	assert_null(h_conn(h, h->sock));
	assert_int_equal(h->s->tcp.nused, 0);
	assert_int_equal(stack_poll_at(h->s), STACK_TIME_NEVER);
	h_free(h);
}

/*
 * The usual passive close: the owner answers the peer's FIN with its own
 * close before the delayed ACK is due, and one segment, FIN,ACK, answers
 * both (a separate ACK first would cost a segment each way's processing).
 */
static void test_passive_close_one_segment(void **state)
{
	struct harness *h = h_new(NULL);

	h_establish_active(h, 0);
	h_send(h, S(1), SEG(.seq = RNXT, .ack = h->iss + 1, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	h_expect_nothing(h);
	h_expect_event(h, STACK_EV_PEER_CLOSED, h->sock, 0);
	assert_int_equal(stack_tcp_close(h->s, S(1) + 10, h->sock), 0);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 1, .wnd = H_RCVBUF - 1,
			.flags = TCP_FLAG_FIN | TCP_FLAG_ACK));
	h_expect_nothing(h);
	assert_int_equal(h_state(h, h->sock), TCP_LAST_ACK);
	/* nothing else is owed: the delayed ACK went with the FIN */
	assert_int_equal(stack_poll_at(h->s), S(1) + 10 + MS(200)); /* the FIN's RTO */
	h_poll(h, S(1) + MS(40));
	h_expect_nothing(h);
	h_send(h, S(1) + MS(41), SEG(.seq = RNXT + 1, .ack = h->iss + 2), NULL);
	h_expect_nothing(h);
	assert_null(h_conn(h, h->sock));
	h_free(h);
}

/* With tcp.delayed_ack 0, every ACK goes at once, a FIN's too. */
static void tweak_no_delack(struct stack_config *cfg)
{
	cfg->tun.delayed_ack = 0;
}

static void test_passive_close_no_delack(void **state)
{
	struct harness *h = h_new(tweak_no_delack);

	h_establish_active(h, 0);
	h_send(h, S(1), SEG(.seq = RNXT, .ack = h->iss + 1, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	assert_int_equal(h_state(h, h->sock), TCP_CLOSE_WAIT);
	h_free(h);
}

/* RFC 9293 Figure 13: both FINs cross; CLOSING, then TIME-WAIT. */
static void test_simultaneous_close(void **state)
{
	struct harness *h = h_new(NULL);

	h_establish_active(h, 0);
	assert_int_equal(stack_tcp_shutdown(h->s, S(1), h->sock), 0);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF,
			.flags = TCP_FLAG_FIN | TCP_FLAG_ACK));
	assert_int_equal(h_state(h, h->sock), TCP_FIN_WAIT_1);
	h_send(h, S(1), SEG(.seq = RNXT, .ack = h->iss + 1, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	assert_int_equal(h_state(h, h->sock), TCP_CLOSING);
	h_send(h, S(2), SEG(.seq = RNXT + 1, .ack = h->iss + 2), NULL);
	h_expect_nothing(h);
	assert_int_equal(h_state(h, h->sock), TCP_TIME_WAIT);
	assert_int_equal(stack_poll_at(h->s), S(2) + S(60));
	/* the owner still holds the handle; closing it now just releases it (the
	 * PEER_CLOSED it had not popped is superseded by CLOSED) */
	assert_int_equal(stack_tcp_close(h->s, S(3), h->sock), 0);
	h_expect_event(h, STACK_EV_CLOSED, h->sock, 0);
	h_expect_nothing(h);
	h_poll(h, S(62));
	assert_int_equal(h->s->tcp.nused, 0);
	h_free(h);
}

/* FIN-WAIT-1: their FIN acknowledging ours goes straight to TIME-WAIT. */
static void test_fin_ack_together(void **state)
{
	struct harness *h = h_new(NULL);

	h_establish_active(h, 0);
	assert_int_equal(stack_tcp_shutdown(h->s, S(1), h->sock), 0);
	h_drain(h);
	h_send(h, S(1), SEG(.seq = RNXT, .ack = h->iss + 2, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	assert_int_equal(h_state(h, h->sock), TCP_TIME_WAIT);
	h_free(h);
}

/* Our side half-closed: the peer's data still arrives and is ACKed. */
static void test_half_close_local(void **state)
{
	struct harness *h = h_new(NULL);
	char buf[200];

	h_establish_active(h, 0);
	assert_int_equal(stack_tcp_shutdown(h->s, S(1), h->sock), 0);
	h_drain(h);
	assert_int_equal(stack_tcp_send(h->s, S(1), h->sock, "x", 1), -EPIPE);
	h_send(h, S(2), SEG(.seq = RNXT, .ack = h->iss + 2), NULL);
	assert_int_equal(h_state(h, h->sock), TCP_FIN_WAIT_2);
	/* the owner holds the handle: no FIN-WAIT-2 timeout */
	assert_int_equal(stack_poll_at(h->s), STACK_TIME_NEVER);
	h_send(h, S(3), SEG(.seq = RNXT, .ack = h->iss + 2, .len = 100), NULL);
	h_expect_nothing(h);
	h_poll(h, S(3) + MS(40));
	h_expect(h, OUT(.seq = h->iss + 2, .ack = RNXT + 100, .wnd = H_RCVBUF - 100));
	h_send(h, S(4),
	       SEG(.seq = RNXT + 100, .ack = h->iss + 2, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 2, .ack = RNXT + 101, .wnd = H_RCVBUF - 101));
	assert_int_equal(h_state(h, h->sock), TCP_TIME_WAIT);
	/* unread data survives TIME-WAIT's compaction while the owner holds the handle */
	assert_int_equal(stack_tcp_recv(h->s, S(5), h->sock, buf, sizeof(buf)), 100);
	assert_int_equal(stack_tcp_recv(h->s, S(5), h->sock, buf, sizeof(buf)), 0);
	h_free(h);
}

static void tweak_msl(struct stack_config *cfg)
{
	cfg->tun.msl = S(10);
}

/* TIME-WAIT is 2 x MSL with MSL read when TIME-WAIT starts. */
static void test_time_wait_msl_change(void **state)
{
	struct harness *h = h_new(tweak_msl);
	stack_sock first;

	h_establish_active(h, 0);
	first = h->sock;
	assert_int_equal(stack_tcp_close(h->s, S(1), first), 0);
	h_send(h, S(1), SEG(.seq = RNXT, .ack = h->iss + 2, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	h_drain(h);
	assert_int_equal(h_state(h, first), TCP_TIME_WAIT);
	assert_int_equal(h_tw(h)->expires, S(21));
	/* set msl 1s: the entry that exists keeps its deadline ... */
	assert_int_equal(stack_tunable_set(h->s, S(2), STACK_TUN_msl, S(1)), 0);
	assert_int_equal(h_tw(h)->expires, S(21));
	/* ... a retransmitted FIN is re-ACKed and restarts it with the new MSL */
	h_send(h, S(3), SEG(.seq = RNXT, .ack = h->iss + 2, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	assert_int_equal(h_tw(h)->expires, S(5));
	h_poll(h, S(5) - 1);
	assert_int_equal(h_state(h, first), TCP_TIME_WAIT);
	h_poll(h, S(5));
	assert_null(h_tw(h));
	h_expect_event(h, STACK_EV_CLOSED, first, 0);
	/* a new TIME-WAIT entry lasts 2 x 1 s */
	h_establish_passive(h, S(10));
	assert_int_equal(stack_tcp_close(h->s, S(11), h->sock), 0);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF,
			.flags = TCP_FLAG_FIN | TCP_FLAG_ACK));
	h_send(h, S(11), SEG(.seq = RNXT, .ack = h->iss + 2, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	assert_int_equal(h_state(h, h->sock), TCP_TIME_WAIT);
	assert_int_equal(stack_poll_at(h->s), S(13));
	h_free(h);
}

static void test_time_wait_rst_rfc1337(void **state)
{
	struct harness *h = h_new(NULL);
	stack_sock sock;

	h_establish_passive(h, 0);
	sock = h->sock;
	assert_int_equal(stack_tcp_close(h->s, S(1), sock), 0);
	h_send(h, S(1), SEG(.seq = RNXT, .ack = h->iss + 2, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	h_drain(h);
	/* rfc1337 on (default): an exact RST is ignored */
	h_send(h, S(2), SEG(.seq = RNXT + 1, .flags = TCP_FLAG_RST), NULL);
	h_expect_nothing(h);
	assert_int_equal(h_state(h, sock), TCP_TIME_WAIT);
	/* rfc1337 off: it ends TIME-WAIT */
	assert_int_equal(stack_tunable_set(h->s, S(2), STACK_TUN_rfc1337, 0), 0);
	h_send(h, S(3), SEG(.seq = RNXT + 1, .flags = TCP_FLAG_RST), NULL);
	h_expect_nothing(h);
	assert_null(h_tw(h));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTWKilled], 1);
	h_free(h);
}

/* RFC 6191 / RFC 9293 §3.10.7.4: a SYN with a newer sequence number reopens the pair. */
static void test_time_wait_reuse(void **state)
{
	struct harness *h = h_new(NULL);
	stack_sock sock;
	struct tcp_seg sa;

	h_establish_passive(h, 0);
	sock = h->sock;
	assert_int_equal(stack_tcp_close(h->s, S(1), sock), 0);
	h_send(h, S(1), SEG(.seq = RNXT, .ack = h->iss + 2, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	h_drain(h);
	/* an old SYN (not above RCV.NXT) is answered with an ACK, the entry stays */
	h_send(h, S(2), SEG(.seq = RNXT - 5, .flags = TCP_FLAG_SYN), NULL);
	h_expect(h, OUT(.seq = h->iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	assert_int_equal(h_state(h, sock), TCP_TIME_WAIT);
	/* a newer one recycles it and the listener answers */
	h_send(h, S(3), SEG(.seq = RNXT + 100000, .flags = TCP_FLAG_SYN), NULL);
	assert_true(h_pop(h, &sa));
	assert_int_equal(sa.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	assert_int_equal(sa.ack, RNXT + 100001);
	assert_null(h_tw(h));
	assert_int_equal(h_conn(h, sock), NULL);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTWRecycled], 1);
	h_free(h);
}

/*
 * The same for a TIME-WAIT connection its owner still holds (shut down, not
 * closed): with no listener a newer SYN is a SYN in TIME-WAIT (RFC 5961 §4,
 * challenge ACK) and the connection stays; listening again, it reopens.
 */
static void test_time_wait_reuse_needs_listener(void **state)
{
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct harness *h = h_new(NULL);
	stack_sock sock;
	struct tcp_seg sa;

	h_establish_passive(h, 0);
	sock = h->sock;
	assert_int_equal(stack_tcp_shutdown(h->s, S(1), sock), 0);
	h_drain(h);
	h_send(h, S(1), SEG(.seq = RNXT, .ack = h->iss + 2, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	assert_int_equal(h_state(h, sock), TCP_TIME_WAIT);
	assert_int_equal(stack_tcp_close(h->s, S(1), h->lsock), 0);
	while (stack_event_pop(h->s, &(struct stack_event){ 0 }))
		;
	h_send(h, S(2), SEG(.seq = RNXT + 1000, .flags = TCP_FLAG_SYN), NULL);
	h_expect(h, OUT(.seq = h->iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	h_expect_nothing(h);
	h_expect_no_event(h);
	assert_int_equal(h_state(h, sock), TCP_TIME_WAIT);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTWRecycled], 0);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPSYNChallenge], 1);
	/* spaced like every challenge ACK: 1 ms later, nothing */
	h_send(h, S(2) + MS(1), SEG(.seq = RNXT + 1001, .flags = TCP_FLAG_SYN), NULL);
	h_expect_nothing(h);
	assert_int_equal(h_state(h, sock), TCP_TIME_WAIT);
	assert_int_equal(stack_tcp_listen(h->s, S(3), &local, 8, 7, &h->lsock), 0);
	h_send(h, S(3), SEG(.seq = RNXT + 1000, .flags = TCP_FLAG_SYN), NULL);
	assert_true(h_pop(h, &sa));
	assert_int_equal(sa.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	assert_int_equal(sa.ack, RNXT + 1001);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTWRecycled], 1);
	assert_int_not_equal(h_state(h, sock), TCP_TIME_WAIT);
	h_free(h);
}

static void tweak_fw2(struct stack_config *cfg)
{
	cfg->tun.fin_wait2_timeout = S(5);
}

static void test_fin_wait_2_timeout(void **state)
{
	struct harness *h = h_new(tweak_fw2);
	stack_sock sock;

	h_establish_passive(h, 0);
	sock = h->sock;
	assert_int_equal(stack_tcp_close(h->s, S(1), sock), 0);
	h_drain(h);
	h_send(h, S(2), SEG(.seq = RNXT, .ack = h->iss + 2), NULL);
	assert_int_equal(h_state(h, sock), TCP_FIN_WAIT_2);
	assert_int_equal(stack_poll_at(h->s), S(7));
	h_poll(h, S(7) - 1);
	assert_int_equal(h_state(h, sock), TCP_FIN_WAIT_2);
	h_poll(h, S(7));
	h_expect_nothing(h);
	assert_null(h_conn(h, sock));
	h_free(h);
}

/* RFC 2525 §2.17: closing with unread data resets instead of losing it quietly. */
static void test_close_with_unread_data(void **state)
{
	struct harness *h = h_new(NULL);

	h_establish_passive(h, 0);
	h_send(h, S(1), SEG(.seq = RNXT, .ack = h->iss + 1, .len = 10), NULL);
	assert_int_equal(stack_tcp_close(h->s, S(2), h->sock), 0);
	h_expect(h, OUT(.seq = h->iss + 1, .flags = TCP_FLAG_RST, .wnd = 0));
	h_expect_nothing(h);
	h_expect_event(h, STACK_EV_CLOSED, h->sock, 0); /* the READABLE it replaced is gone */
	h_free(h);
}

static void test_abort(void **state)
{
	struct harness *h = h_new(NULL);

	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_abort(h->s, S(1), h->sock), 0);
	h_expect(h, OUT(.seq = h->iss + 1, .flags = TCP_FLAG_RST, .wnd = 0));
	h_expect_event(h, STACK_EV_CLOSED, h->sock, 0);
	h_expect_no_event(h);
	assert_int_equal(h->s->tcp.nused, 1);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpCurrEstab], 0);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpEstabResets], 1);
	/* segments for it now meet a closed port */
	h_send(h, S(2), SEG(.seq = RNXT, .ack = h->iss + 1, .len = 5), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .flags = TCP_FLAG_RST, .wnd = 0));
	h_free(h);
}

/* Data queued before close goes first, the FIN rides on the last segment. */
static void test_close_flushes_data(void **state)
{
	struct harness *h = h_new(NULL);

	h_establish_passive(h, 0);
	h_send(h, MS(1), SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 0), NULL);
	assert_int_equal(stack_tcp_send(h->s, MS(2), h->sock, "hello", 5), 5);
	assert_int_equal(stack_tcp_close(h->s, MS(3), h->sock), 0);
	h_expect_nothing(h);
	h_send(h, MS(4), SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 1000), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .len = 5,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH | TCP_FLAG_FIN));
	h_send(h, MS(5), SEG(.seq = RNXT, .ack = h->iss + 7), NULL);
	assert_int_equal(h_state(h, h->sock), TCP_FIN_WAIT_2);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_active_close),
		cmocka_unit_test(test_kill_orphan),
		cmocka_unit_test(test_passive_close),
		cmocka_unit_test(test_simultaneous_close),
		cmocka_unit_test(test_passive_close_one_segment),
		cmocka_unit_test(test_passive_close_no_delack),
		cmocka_unit_test(test_fin_ack_together),
		cmocka_unit_test(test_half_close_local),
		cmocka_unit_test(test_time_wait_msl_change),
		cmocka_unit_test(test_time_wait_rst_rfc1337),
		cmocka_unit_test(test_time_wait_reuse),
		cmocka_unit_test(test_time_wait_reuse_needs_listener),
		cmocka_unit_test(test_fin_wait_2_timeout),
		cmocka_unit_test(test_close_with_unread_data),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_close_flushes_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
