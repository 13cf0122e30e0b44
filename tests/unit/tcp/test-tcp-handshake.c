/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-handshake.c - opening connections, segment by segment
 * (RFC 9293 §3.5, Figures 6-9, §3.10.7.2-3): both three-way handshakes,
 * simultaneous open, the old-duplicate-SYN defences on both sides, refused
 * and timed-out connects, SYN and SYN-ACK retransmission, listen queues.
 */
#include "harness.h"
#include "stack_info.h"

#define MS(x) ((stack_time_us)(x)*1000)
#define S(x)  ((stack_time_us)(x)*1000000)

static void test_passive_open(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct tcp_seg syn_ack;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 4, 1, &h->lsock), 0);
	assert_int_equal(h_state(h, h->lsock), TCP_LISTEN);
	/* 2: <SEQ=ISN><CTL=SYN> */
	h_send(h, MS(1),
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.has_mss = true,
		   .opt.mss = 1000),
	       NULL);
	/* 3: <SEQ=ISS><ACK=ISN+1><CTL=SYN,ACK>, our MSS from the MTU, window unscaled */
	assert_true(h_pop(h, &syn_ack));
	h->iss = syn_ack.seq;
	assert_int_equal(syn_ack.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	assert_int_equal(syn_ack.ack, H_REMOTE_ISN + 1);
	assert_int_equal(syn_ack.wnd, H_RCVBUF);
	assert_true(syn_ack.opt.has_mss);
	assert_int_equal(syn_ack.opt.mss, 1460);
	assert_false(syn_ack.opt.sack_ok);
	assert_false(syn_ack.opt.has_ts);
	assert_int_equal(syn_ack.opt.wscale, -1);
	h_expect_nothing(h);
	h_expect_no_event(h);
	/* 4: <SEQ=ISN+1><ACK=ISS+1><CTL=ACK>: ESTABLISHED, nothing sent */
	h_send(h, MS(2), SEG(.seq = H_REMOTE_ISN + 1, .ack = h->iss + 1), NULL);
	h_expect_nothing(h);
	h_expect_event(h, STACK_EV_ACCEPTABLE, h->lsock, 0);
	h_expect_no_event(h);
	assert_int_equal(stack_tcp_accept(h->s, MS(3), h->lsock, 2, &h->sock), 0);
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	assert_int_equal(h_conn(h, h->sock)->mss, 1000);
	assert_int_equal(stack_tcp_accept(h->s, MS(3), h->lsock, 2, &(stack_sock){ 0 }), -EAGAIN);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpPassiveOpens], 1);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpCurrEstab], 1);
	/* no timers left: an idle established connection does no work */
	assert_int_equal(stack_poll_at(h->s), STACK_TIME_NEVER);
	h_free(h);
}

static void test_active_open(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct stack_endpoint remote = { H_REMOTE_ADDR, H_REMOTE_PORT };
	struct tcp_seg syn;

	assert_int_equal(stack_tcp_connect(h->s, 0, &local, &remote, 5, &h->sock), 0);
	assert_true(h_pop(h, &syn));
	h->iss = syn.seq;
	h_expect_nothing(h);
	assert_int_equal(syn.flags, TCP_FLAG_SYN);
	assert_int_equal(syn.ack, 0);
	assert_int_equal(syn.wnd, H_RCVBUF);
	assert_int_equal(syn.opt.mss, 1460);
	assert_int_equal(h_state(h, h->sock), TCP_SYN_SENT);
	assert_int_equal(stack_poll_at(h->s), S(1)); /* rto.initial */
	h_send(h, MS(10),
	       SEG(.seq = H_REMOTE_ISN, .ack = h->iss + 1, .flags = TCP_FLAG_SYN | TCP_FLAG_ACK,
		   .opt.has_mss = true, .opt.mss = H_MSS),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = H_REMOTE_ISN + 1, .wnd = H_RCVBUF));
	h_expect_nothing(h);
	h_expect_event(h, STACK_EV_ESTABLISHED, h->sock, 0);
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	/* the first RTT sample (Karn: the SYN was not retransmitted) */
	assert_int_equal(h_conn(h, h->sock)->rtt.srtt_us, MS(10));
	assert_int_equal(stack_poll_at(h->s), STACK_TIME_NEVER);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpActiveOpens], 1);
	h_free(h);
}

/* TCP_MAXSEG before connect: the SYN advertises it and no segment goes larger. */
static void test_active_open_maxseg(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct stack_endpoint remote = { H_REMOTE_ADDR, H_REMOTE_PORT };
	struct stack_connect_opts o = { .mss = 1000 }, bad = { .mss = 40 };
	struct stack_tcp_info in;
	struct tcp_seg syn, seg;
	uint64_t v;
	static char data[3000];

	assert_int_equal(stack_tcp_connect_opts(h->s, 0, &local, &remote, 5, &bad, &h->sock),
			 -EINVAL);
	assert_int_equal(stack_tcp_connect_opts(h->s, 0, &local, &remote, 5, &o, &h->sock), 0);
	assert_true(h_pop(h, &syn));
	h->iss = syn.seq;
	assert_int_equal(syn.opt.mss, 1000);
	h_send(h, MS(10),
	       SEG(.seq = H_REMOTE_ISN, .ack = h->iss + 1, .flags = TCP_FLAG_SYN | TCP_FLAG_ACK,
		   .opt.has_mss = true, .opt.mss = H_MSS),
	       NULL);
	h_drain(h);
	assert_int_equal(stack_tcp_info(h->s, h->sock, &in), 0);
	assert_int_equal(in.mss, 1000);
	assert_int_equal(stack_tcp_getopt(h->s, h->sock, STACK_TCP_MAXSEG, &v), 0);
	assert_int_equal(v, 1000);
	/* lowered on the live connection: the next segments are smaller still */
	assert_int_equal(stack_tcp_setopt(h->s, MS(11), h->sock, STACK_TCP_MAXSEG, 600), 0);
	assert_int_equal(stack_tcp_send(h->s, MS(12), h->sock, data, sizeof(data)), sizeof(data));
	while (h_pop(h, &seg))
		assert_true(seg.len <= 600);
	assert_int_equal(stack_tcp_setopt(h->s, MS(13), h->sock, STACK_TCP_MAXSEG, 70000), -EINVAL);
	h_free(h);
}

static void test_active_open_ephemeral_port(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_endpoint remote = { H_REMOTE_ADDR, H_REMOTE_PORT };
	stack_sock a, b;
	struct tcp_seg s1, s2;

	assert_int_equal(stack_tcp_connect(h->s, 0, NULL, &remote, 5, &a), 0);
	assert_int_equal(stack_tcp_connect(h->s, 0, NULL, &remote, 5, &b), 0);
	assert_true(h_pop(h, &s1));
	assert_true(h_pop(h, &s2));
	assert_true(s1.sport >= TCP_PORT_EPHEMERAL_MIN && s1.sport <= TCP_PORT_EPHEMERAL_MAX);
	assert_true(s2.sport >= TCP_PORT_EPHEMERAL_MIN && s2.sport <= TCP_PORT_EPHEMERAL_MAX);
	assert_int_not_equal(s1.sport, s2.sport);
	/* the same explicit tuple twice is refused */
	{
		struct stack_endpoint local = { 0, s1.sport };
		stack_sock c;

		assert_int_equal(stack_tcp_connect(h->s, 0, &local, &remote, 5, &c), -EADDRINUSE);
	}
	h_free(h);
}

/* RFC 9293 Figure 8: both ends send SYN; each answers with SYN,ACK. */
static void test_simultaneous_open(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct stack_endpoint remote = { H_REMOTE_ADDR, H_REMOTE_PORT };
	struct tcp_seg syn;

	assert_int_equal(stack_tcp_connect(h->s, 0, &local, &remote, 5, &h->sock), 0);
	assert_true(h_pop(h, &syn));
	h->iss = syn.seq;
	/* their SYN crosses ours: SYN-RECEIVED, <SEQ=ISS><ACK=ISN+1><CTL=SYN,ACK> */
	h_send(h, MS(5),
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.has_mss = true,
		   .opt.mss = H_MSS),
	       NULL);
	h_expect(h,
		 OUT(.seq = h->iss, .ack = H_REMOTE_ISN + 1, .flags = TCP_FLAG_SYN | TCP_FLAG_ACK,
		     .wnd = H_RCVBUF, .opt.has_mss = true, .opt.mss = 1460));
	h_expect_nothing(h);
	assert_int_equal(h_state(h, h->sock), TCP_SYN_RECEIVED);
	/* their SYN,ACK: ESTABLISHED, nothing more to say */
	h_send(h, MS(6),
	       SEG(.seq = H_REMOTE_ISN, .ack = h->iss + 1, .flags = TCP_FLAG_SYN | TCP_FLAG_ACK,
		   .opt.has_mss = true, .opt.mss = H_MSS),
	       NULL);
	h_expect_nothing(h);
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	h_expect_event(h, STACK_EV_ESTABLISHED, h->sock, 0);
	/* and data flows */
	assert_int_equal(stack_tcp_send(h->s, MS(7), h->sock, "hi", 2), 2);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = H_REMOTE_ISN + 1, .wnd = H_RCVBUF, .len = 2,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	h_free(h);
}

/* Simultaneous open reset in SYN-RECEIVED: an active open, so the owner hears of it. */
static void test_simultaneous_open_reset(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct stack_endpoint remote = { H_REMOTE_ADDR, H_REMOTE_PORT };
	struct tcp_seg syn;

	assert_int_equal(stack_tcp_connect(h->s, 0, &local, &remote, 5, &h->sock), 0);
	assert_true(h_pop(h, &syn));
	h_send(h, MS(5), SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN), NULL);
	h_drain(h);
	assert_int_equal(h_state(h, h->sock), TCP_SYN_RECEIVED);
	/* in the window but not exact: challenge ACK */
	h_send(h, MS(6), SEG(.seq = H_REMOTE_ISN + 5, .flags = TCP_FLAG_RST), NULL);
	h_expect(h, OUT(.seq = syn.seq + 1, .ack = H_REMOTE_ISN + 1, .wnd = H_RCVBUF));
	h_send(h, MS(7), SEG(.seq = H_REMOTE_ISN + 1, .flags = TCP_FLAG_RST), NULL);
	h_expect_nothing(h);
	h_expect_event(h, STACK_EV_ERROR, h->sock, -ECONNREFUSED);
	assert_int_equal(h_state(h, h->sock), TCP_CLOSED);
	h_free(h);
}

/* RFC 9293 Figure 9: an old SYN,ACK reaches SYN-SENT; reset it from its ACK field. */
static void test_old_duplicate_syn_ack(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct stack_endpoint remote = { H_REMOTE_ADDR, H_REMOTE_PORT };
	struct tcp_seg syn;

	assert_int_equal(stack_tcp_connect(h->s, 0, &local, &remote, 5, &h->sock), 0);
	assert_true(h_pop(h, &syn));
	h->iss = syn.seq;
	/* SEG.ACK =< ISS: <SEQ=SEG.ACK><CTL=RST>, still SYN-SENT */
	h_send(h, MS(1),
	       SEG(.seq = 90000, .ack = h->iss - 1000, .flags = TCP_FLAG_SYN | TCP_FLAG_ACK), NULL);
	h_expect(h, OUT(.seq = h->iss - 1000, .ack = 0, .flags = TCP_FLAG_RST, .wnd = 0));
	h_expect_nothing(h);
	assert_int_equal(h_state(h, h->sock), TCP_SYN_SENT);
	/* SEG.ACK > SND.NXT: the same */
	h_send(h, MS(2), SEG(.seq = 90000, .ack = h->iss + 5, .flags = TCP_FLAG_SYN | TCP_FLAG_ACK),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 5, .ack = 0, .flags = TCP_FLAG_RST, .wnd = 0));
	/* an unacceptable ACK with RST: dropped silently */
	h_send(h, MS(3), SEG(.seq = 90000, .ack = h->iss + 5, .flags = TCP_FLAG_RST | TCP_FLAG_ACK),
	       NULL);
	h_expect_nothing(h);
	/* a RST without an ACK: ignored */
	h_send(h, MS(3), SEG(.seq = 90000, .flags = TCP_FLAG_RST), NULL);
	h_expect_nothing(h);
	assert_int_equal(h_state(h, h->sock), TCP_SYN_SENT);
	h_expect_no_event(h);
	/* the real SYN,ACK completes the attempt */
	h_send(h, MS(4),
	       SEG(.seq = H_REMOTE_ISN, .ack = h->iss + 1, .flags = TCP_FLAG_SYN | TCP_FLAG_ACK),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = H_REMOTE_ISN + 1, .wnd = H_RCVBUF));
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	/* the peer sent no MSS option: 536 */
	assert_int_equal(h_conn(h, h->sock)->mss, 536);
	h_free(h);
}

/* RFC 9293 Figure 9, the listener's side: an old SYN, then the peer's RST. */
static void test_old_duplicate_syn_passive(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct tcp_seg syn_ack;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 4, 1, &h->lsock), 0);
	h_send(h, MS(1), SEG(.seq = 5000, .flags = TCP_FLAG_SYN), NULL);
	assert_true(h_pop(h, &syn_ack));
	assert_int_equal(syn_ack.ack, 5001);
	/* the peer knows nothing of it: <SEQ=5001><CTL=RST> -> back to LISTEN */
	h_send(h, MS(2), SEG(.seq = 5001, .flags = TCP_FLAG_RST), NULL);
	h_expect_nothing(h);
	h_expect_no_event(h);
	assert_int_equal(h->s->tcp.nused, 1); /* only the listener is left */
	assert_int_equal(h_conn(h, h->lsock)->syn_qlen, 0);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpAttemptFails], 1);
	/* the real SYN is served */
	h_send(h, MS(3), SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN), NULL);
	assert_true(h_pop(h, &syn_ack));
	assert_int_equal(syn_ack.ack, H_REMOTE_ISN + 1);
	h_send(h, MS(4), SEG(.seq = H_REMOTE_ISN + 1, .ack = syn_ack.seq + 1), NULL);
	h_expect_event(h, STACK_EV_ACCEPTABLE, h->lsock, 0);
	h_free(h);
}

/* SYN-RECEIVED: an ACK that does not acknowledge our SYN gets <SEQ=SEG.ACK><CTL=RST>. */
static void test_syn_received_bad_ack(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct tcp_seg syn_ack;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 4, 1, &h->lsock), 0);
	h_send(h, MS(1), SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN), NULL);
	assert_true(h_pop(h, &syn_ack));
	h_send(h, MS(2), SEG(.seq = H_REMOTE_ISN + 1, .ack = syn_ack.seq + 7), NULL);
	h_expect(h, OUT(.seq = syn_ack.seq + 7, .flags = TCP_FLAG_RST, .wnd = 0));
	h_expect_no_event(h);
	/* a retransmitted SYN gets the SYN,ACK again */
	h_send(h, MS(3), SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN), NULL);
	h_expect(h, OUT(.seq = syn_ack.seq, .ack = H_REMOTE_ISN + 1,
			.flags = TCP_FLAG_SYN | TCP_FLAG_ACK, .wnd = H_RCVBUF, .opt.has_mss = true,
			.opt.mss = 1460));
	h_free(h);
}

static void test_connect_refused(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct stack_endpoint remote = { H_REMOTE_ADDR, H_REMOTE_PORT };
	struct tcp_seg syn;
	char buf[4];

	assert_int_equal(stack_tcp_connect(h->s, 0, &local, &remote, 5, &h->sock), 0);
	assert_true(h_pop(h, &syn));
	/* <SEQ=0><ACK=ISS+1><CTL=RST,ACK>: refused */
	h_send(h, MS(1), SEG(.seq = 0, .ack = syn.seq + 1, .flags = TCP_FLAG_RST | TCP_FLAG_ACK),
	       NULL);
	h_expect_nothing(h);
	h_expect_event(h, STACK_EV_ERROR, h->sock, -ECONNREFUSED);
	h_expect_no_event(h);
	assert_int_equal(h_state(h, h->sock), TCP_CLOSED);
	assert_int_equal(stack_tcp_recv(h->s, MS(2), h->sock, buf, 4), -ECONNREFUSED);
	assert_int_equal(stack_tcp_send(h->s, MS(2), h->sock, buf, 4), -ECONNREFUSED);
	assert_int_equal(stack_poll_at(h->s), STACK_TIME_NEVER);
	assert_int_equal(stack_tcp_close(h->s, MS(2), h->sock), 0);
	h_expect_event(h, STACK_EV_CLOSED, h->sock, 0);
	assert_int_equal(stack_tcp_close(h->s, MS(2), h->sock), -EBADF);
	assert_int_equal(h->s->tcp.nused, 0);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpAttemptFails], 1);
	h_free(h);
}

static void tweak_syn_retries(struct stack_config *cfg)
{
	cfg->tun.syn_retries = 2;
}

/* RFC 6298 §5.5 backoff on the SYN, then -ETIMEDOUT after syn_retries. */
static void test_syn_retries(void **state)
{
	struct harness *h = h_new(tweak_syn_retries);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct stack_endpoint remote = { H_REMOTE_ADDR, H_REMOTE_PORT };
	struct tcp_seg syn;

	assert_int_equal(stack_tcp_connect(h->s, 0, &local, &remote, 5, &h->sock), 0);
	assert_true(h_pop(h, &syn));
	h->iss = syn.seq;
	h_poll(h, S(1) - 1);
	h_expect_nothing(h);
	h_poll(h, S(1));
	h_expect(h, OUT(.seq = h->iss, .flags = TCP_FLAG_SYN, .wnd = H_RCVBUF, .opt.has_mss = true,
			.opt.mss = 1460));
	assert_int_equal(stack_poll_at(h->s), S(3));
	h_poll(h, S(3));
	h_expect(h, OUT(.seq = h->iss, .flags = TCP_FLAG_SYN, .wnd = H_RCVBUF, .opt.has_mss = true,
			.opt.mss = 1460));
	assert_int_equal(stack_poll_at(h->s), S(7));
	h_poll(h, S(7));
	h_expect_nothing(h);
	h_expect_event(h, STACK_EV_ERROR, h->sock, -ETIMEDOUT);
	assert_int_equal(stack_poll_at(h->s), STACK_TIME_NEVER);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPSynRetrans], 2);
	h_free(h);
}

static void tweak_synack_retries(struct stack_config *cfg)
{
	cfg->tun.synack_retries = 1;
}

static void test_synack_retries(void **state)
{
	struct harness *h = h_new(tweak_synack_retries);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct tcp_seg syn_ack;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 4, 1, &h->lsock), 0);
	h_send(h, 0, SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN), NULL);
	assert_true(h_pop(h, &syn_ack));
	h_poll(h, S(1));
	h_expect(h, OUT(.seq = syn_ack.seq, .ack = H_REMOTE_ISN + 1,
			.flags = TCP_FLAG_SYN | TCP_FLAG_ACK, .wnd = H_RCVBUF, .opt.has_mss = true,
			.opt.mss = 1460));
	h_poll(h, S(3));
	h_expect_nothing(h);
	h_expect_no_event(h);
	assert_int_equal(h->s->tcp.nused, 1);
	assert_int_equal(h_conn(h, h->lsock)->syn_qlen, 0);
	/* Karn: a handshake completed after a retransmission gives no RTT sample */
	h_free(h);
}

/* Port 0: an ephemeral port of its own, told by stack_tcp_info (as bind(2) with port 0). */
static void test_listen_port_zero(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_endpoint any = { 0, 0 };
	struct stack_tcp_info a, b;
	stack_sock l1, l2;

	assert_int_equal(stack_tcp_listen(h->s, 0, &any, 4, 1, &l1), 0);
	assert_int_equal(stack_tcp_listen(h->s, 0, &any, 4, 1, &l2), 0);
	assert_int_equal(stack_tcp_info(h->s, l1, &a), 0);
	assert_int_equal(stack_tcp_info(h->s, l2, &b), 0);
	assert_true(a.local.port >= 1024 && b.local.port >= 1024);
	assert_int_not_equal(a.local.port, b.local.port);
	h_free(h);
}

static void tweak_syn_backlog(struct stack_config *cfg)
{
	cfg->tun.syn_backlog = 1;
	cfg->tun.syncookies = 0; /* the queues' own limits; cookies: test-tcp-syncookie.c */
}

static void test_listen_queues(void **state)
{
	struct harness *h = h_new(tweak_syn_backlog);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct tcp_seg sa;
	stack_sock other;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 1, 1, &h->lsock), 0);
	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 1, 1, &other), -EADDRINUSE);
	/* first SYN: served; the second overflows the SYN queue and is dropped */
	h_send(h, 0, SEG(.sport = 1001, .seq = 100, .flags = TCP_FLAG_SYN), NULL);
	assert_true(h_pop(h, &sa));
	h_send(h, 0, SEG(.sport = 1002, .seq = 200, .flags = TCP_FLAG_SYN), NULL);
	h_expect_nothing(h);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtListenDrops], 1);
	/* the first completes and fills the accept queue (backlog 1) */
	h_send(h, 0, SEG(.sport = 1001, .seq = 101, .ack = sa.seq + 1), NULL);
	h_expect_event(h, STACK_EV_ACCEPTABLE, h->lsock, 0);
	h_send(h, 0, SEG(.sport = 1003, .seq = 300, .flags = TCP_FLAG_SYN), NULL);
	h_expect_nothing(h);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtListenOverflows], 1);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtListenDrops], 2);
	/* after accept there is room again */
	assert_int_equal(stack_tcp_accept(h->s, 0, h->lsock, 3, &h->sock), 0);
	h_send(h, 0, SEG(.sport = 1003, .seq = 300, .flags = TCP_FLAG_SYN), NULL);
	assert_true(h_pop(h, &sa));
	assert_int_equal(sa.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	/* closing the listener resets the half-open child */
	assert_int_equal(stack_tcp_close(h->s, 0, h->lsock), 0);
	h_expect(h,
		 OUT(.dport = 1003, .seq = sa.seq + 1, .flags = TCP_FLAG_RST, .ack = 0, .wnd = 0));
	h_expect_event(h, STACK_EV_CLOSED, h->lsock, 0);
	/* the accepted connection lives on */
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	h_free(h);
}

static void test_connect_no_route(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_endpoint remote = { 0x08080808, 53 };
	stack_sock sock;

	/* off-link and no gateway configured */
	assert_int_equal(stack_tcp_connect(h->s, 0, NULL, &remote, 5, &sock), -ENETUNREACH);
	assert_int_equal(h->s->tcp.nused, 0);
	h_expect_no_event(h);
	assert_int_equal(stack_poll_at(h->s), STACK_TIME_NEVER);
	h_free(h);
}

static void test_icmp_hard_error_syn_sent(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct stack_endpoint remote = { H_REMOTE_ADDR, H_REMOTE_PORT };
	struct tcp_seg syn;
	uint8_t q[28] = { 0x45, 0, 0, 44, 0, 0, 0x40, 0, 64, 6 };

	assert_int_equal(stack_tcp_connect(h->s, 0, &local, &remote, 5, &h->sock), 0);
	assert_true(h_pop(h, &syn));
	q[12] = 10, q[13] = 77, q[14] = 0, q[15] = 2;
	q[16] = 10, q[17] = 77, q[18] = 0, q[19] = 1;
	q[20] = 0, q[21] = H_LOCAL_PORT, q[22] = H_REMOTE_PORT >> 8, q[23] = H_REMOTE_PORT & 0xff;
	/* a quoted sequence number we never sent: ignored (RFC 5927) */
	q[24] = (uint8_t)((syn.seq + 100) >> 24), q[25] = (uint8_t)((syn.seq + 100) >> 16);
	q[26] = (uint8_t)((syn.seq + 100) >> 8), q[27] = (uint8_t)(syn.seq + 100);
	tcp_icmp_error(h->s, MS(1), 3, 1, 0, q, sizeof(q));
	h_expect_no_event(h);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtOutOfWindowIcmps], 1);
	q[24] = (uint8_t)(syn.seq >> 24), q[25] = (uint8_t)(syn.seq >> 16);
	q[26] = (uint8_t)(syn.seq >> 8), q[27] = (uint8_t)syn.seq;
	tcp_icmp_error(h->s, MS(1), 3, 1, 0, q, sizeof(q));
	h_expect_event(h, STACK_EV_ERROR, h->sock, -EHOSTUNREACH);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passive_open),
		cmocka_unit_test(test_active_open),
		cmocka_unit_test(test_active_open_ephemeral_port),
		cmocka_unit_test(test_simultaneous_open),
		cmocka_unit_test(test_simultaneous_open_reset),
		cmocka_unit_test(test_old_duplicate_syn_ack),
		cmocka_unit_test(test_old_duplicate_syn_passive),
		cmocka_unit_test(test_syn_received_bad_ack),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_syn_retries),
		cmocka_unit_test(test_synack_retries),
		cmocka_unit_test(test_listen_queues),
		cmocka_unit_test(test_listen_port_zero),
		cmocka_unit_test(test_active_open_maxseg),
		cmocka_unit_test(test_connect_no_route),
		cmocka_unit_test(test_icmp_hard_error_syn_sent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
