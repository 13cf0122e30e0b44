/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-timewait.c - the compact TIME-WAIT records (tcp_timewait.c):
 * their size (static and measured from the allocator), the slot freed at
 * once, the bound with the oldest recycled (TcpExtTCPTimeWaitOverflow),
 * expiry with MSL lowered while records exist, RFC 6191 reopening by
 * sequence number and by timestamp (only for a listener), RFC 9293
 * §3.10.7.4 for RST, ACK and FIN in TIME-WAIT (RFC 5961 challenge ACKs
 * spaced as a connection's, RFC 1337), TS.Recent only from an acceptable
 * ACK (RFC 7323 §4.3), and the RFC 6056 port picker skipping tuples in
 * TIME-WAIT.
 */
#include <string.h>

#include "harness.h"
#include "stack_info.h"

#define MS(x) ((stack_time_us)(x)*1000)
#define S(x)  ((stack_time_us)(x)*1000000)
#define RNXT  (H_REMOTE_ISN + 1)

static uint32_t tw_max = 0; /* stack_config.max_time_wait for the next harness */

static void tweak_tw(struct stack_config *cfg)
{
	cfg->max_time_wait = tw_max;
	cfg->tun.msl = S(10);
}

static void drain_events(struct harness *h)
{
	struct stack_event ev;

	while (stack_event_pop(h->s, &ev))
		;
}

/*
 * A passive connection from the peer's port rport, closed first by us, in
 * TIME-WAIT at t (the peer's FIN, with an ACK of ours, arrives at t). Needs
 * the listener h->lsock. Returns our ISN.
 */
static uint32_t tw_make(struct harness *h, stack_time_us t, uint16_t rport)
{
	struct tcp_seg got;
	stack_sock c;
	uint32_t iss;

	h_send(h, t,
	       SEG(.sport = rport, .seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.has_mss = true,
		   .opt.mss = H_MSS),
	       NULL);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	iss = got.seq;
	h_send(h, t, SEG(.sport = rport, .seq = RNXT, .ack = iss + 1), NULL);
	assert_int_equal(stack_tcp_accept(h->s, t, h->lsock, 9, &c), 0);
	assert_int_equal(stack_tcp_close(h->s, t, c), 0);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.flags, TCP_FLAG_FIN | TCP_FLAG_ACK);
	h_send(h, t,
	       SEG(.sport = rport, .seq = RNXT, .ack = iss + 2,
		   .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.flags, TCP_FLAG_ACK);
	assert_int_equal(got.ack, RNXT + 1);
	h_expect_nothing(h);
	drain_events(h);
	return iss;
}

static struct tcp_tw *tw_of(struct harness *h, uint16_t rport)
{
	struct tcp_tuple t = {
		.laddr = H_LOCAL_ADDR, .raddr = H_REMOTE_ADDR, .lport = H_LOCAL_PORT, .rport = rport
	};

	return tcp_tw_lookup(h->s, &t);
}

static struct harness *tw_harness(uint32_t max)
{
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct harness *h;

	tw_max = max;
	h = h_new(tweak_tw);
	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 64, 7, &h->lsock), 0);
	return h;
}

/* <= 256 bytes per entry, table included: by type and by what the allocator gave. */
static void test_record_size(void **state)
{
	struct harness *h = tw_harness(0);
	const unsigned n = 2000;
	size_t before, per;

	assert_true(sizeof(struct tcp_tw) <= 128);
	assert_true(TCP_TW_BYTES_PER_ENTRY <= 256);
	/* the table starts empty: records come as they are needed */
	assert_int_equal(h->s->tcp.tw.nchunks, 0);
	assert_null(h->s->tcp.tw.buckets);
	before = h->mem_live;
	for (unsigned i = 0; i < n; i++)
		tw_make(h, MS(i), (uint16_t)(10000 + i));
	assert_int_equal(h->s->tcp.tw.count, n);
	assert_int_equal(h->s->ctr.v[STACK_CTR_SynackTcpTimeWait], n);
	/* 16 slots served 2,000 connections: each slot went back at once */
	assert_int_equal(h->s->tcp.nused, 1);
	per = (h->mem_live - before) / n;
	print_message("TIME-WAIT: %zu bytes per record (static %zu with its table share), "
		      "%zu measured from the allocator over %u records\n",
		      sizeof(struct tcp_tw), (size_t)TCP_TW_BYTES_PER_ENTRY, per, n);
	assert_true(per <= 256);
	assert_int_equal(h->mem_live - before, h->s->tcp.tw.bytes);
	/* all of them expire at 2 x MSL after they began, none before */
	h_poll(h, S(20) - 1);
	assert_int_equal(h->s->tcp.tw.count, n);
	assert_int_equal(stack_poll_at(h->s), S(20));
	h_poll(h, MS(n - 1) + S(20) - 1);
	assert_int_equal(h->s->tcp.tw.count, 1);
	assert_int_equal(stack_poll_at(h->s), MS(n - 1) + S(20));
	h_poll(h, MS(n - 1) + S(20));
	assert_int_equal(h->s->tcp.tw.count, 0);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTW], n);
	assert_int_equal(h->s->ctr.v[STACK_CTR_SynackTcpTimeWait], 0);
	/* the memory goes back with the last record, but for the chunk directory */
	assert_int_equal(h->mem_live - before, h->s->tcp.tw.nchunks_max * sizeof(void *));
	assert_int_equal(h->s->tcp.tw.bytes, h->mem_live - before);
	assert_int_equal(stack_poll_at(h->s), STACK_TIME_NEVER);
	h_expect_nothing(h);
	h_free(h);
}

/* At limits.max_time_wait the record nearest its end goes for the new one. */
static void test_overflow_recycles_oldest(void **state)
{
	struct harness *h = tw_harness(4);

	for (unsigned i = 0; i < 4; i++)
		tw_make(h, S(i), (uint16_t)(10000 + i));
	/* a retransmitted FIN restarts 10000's 2 MSL: 10001 is the oldest now */
	h_send(h, S(5),
	       SEG(.sport = 10000, .seq = RNXT, .ack = 0, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	h_drain(h);
	tw_make(h, S(6), 10004);
	assert_int_equal(h->s->tcp.tw.count, 4);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPTimeWaitOverflow], 1);
	assert_null(tw_of(h, 10001));
	assert_non_null(tw_of(h, 10000));
	assert_non_null(tw_of(h, 10002));
	assert_non_null(tw_of(h, 10004));
	tw_make(h, S(7), 10005);
	assert_null(tw_of(h, 10002));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPTimeWaitOverflow], 2);
	/* the recycled pair is a closed port again: a segment gets a reset */
	h_send(h, S(8), SEG(.sport = 10001, .seq = RNXT + 1, .ack = 5), NULL);
	h_expect(h, OUT(.dport = 10001, .seq = 5, .flags = TCP_FLAG_RST));
	h_free(h);
}

static void tweak_msl(struct stack_config *cfg)
{
	cfg->tun.msl = S(10);
}

/* MSL lowered while records exist: the new, shorter ones do not wait behind the old. */
static void test_msl_lowered(void **state)
{
	struct harness *h = tw_harness(0);

	tw_make(h, S(1), 10000); /* ends at 21 s */
	tw_make(h, S(2), 10001); /* ends at 22 s */
	assert_int_equal(stack_tunable_set(h->s, S(3), STACK_TUN_msl, S(1)), 0);
	tw_make(h, S(3), 10002); /* ends at 5 s */
	assert_int_equal(stack_tunable_set(h->s, S(4), STACK_TUN_msl, S(2)), 0);
	tw_make(h, S(4), 10003); /* ends at 8 s */
	assert_int_equal(stack_poll_at(h->s), S(5));
	h_poll(h, S(5));
	assert_null(tw_of(h, 10002));
	assert_non_null(tw_of(h, 10003));
	assert_int_equal(stack_poll_at(h->s), S(8));
	h_poll(h, S(8));
	assert_null(tw_of(h, 10003));
	assert_non_null(tw_of(h, 10000));
	assert_int_equal(stack_poll_at(h->s), S(21));
	h_poll(h, S(22));
	assert_int_equal(h->s->tcp.tw.count, 0);
	h_free(h);
}

/* RFC 9293 §3.10.7.4 in TIME-WAIT: RST, ACK, data and FIN on a record. */
static void test_segments(void **state)
{
	struct harness *h = tw_harness(0);
	uint32_t iss = tw_make(h, S(1), 10000);
	const struct tcp_tw *tw = tw_of(h, 10000);

	assert_non_null(tw);
	/* an RST inside the window but not at RCV.NXT: challenge ACK (RFC 5961 §3.2) */
	h_send(h, S(2), SEG(.sport = 10000, .seq = RNXT + 100, .flags = TCP_FLAG_RST), NULL);
	h_expect(h, OUT(.dport = 10000, .seq = iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPChallengeACK], 1);
	/* RFC 1337: an exact RST is ignored */
	h_send(h, S(2), SEG(.sport = 10000, .seq = RNXT + 1, .flags = TCP_FLAG_RST), NULL);
	h_expect_nothing(h);
	assert_ptr_equal(tw_of(h, 10000), tw);
	/* an ACK of something we never sent: challenge ACK (RFC 5961 §5.2) */
	h_send(h, S(3), SEG(.sport = 10000, .seq = RNXT + 1, .ack = iss + 1000), NULL);
	h_expect(h, OUT(.dport = 10000, .seq = iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	/* a duplicate of their last ACK: nothing */
	h_send(h, S(3), SEG(.sport = 10000, .seq = RNXT + 1, .ack = iss + 2), NULL);
	h_expect_nothing(h);
	/* an old segment (below RCV.NXT, with data): ACK it, drop it */
	h_send(h, S(4), SEG(.sport = 10000, .seq = RNXT - 10, .ack = iss + 2, .len = 5), NULL);
	h_expect(h, OUT(.dport = 10000, .seq = iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	/* a SYN at an old sequence number does not reopen: challenge ACK */
	h_send(h, S(4), SEG(.sport = 10000, .seq = RNXT, .flags = TCP_FLAG_SYN), NULL);
	h_expect(h, OUT(.dport = 10000, .seq = iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	assert_ptr_equal(tw_of(h, 10000), tw);
	/* their FIN again: re-ACKed, and 2 MSL starts over */
	h_send(h, S(5),
	       SEG(.sport = 10000, .seq = RNXT, .ack = iss + 2,
		   .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	h_expect(h, OUT(.dport = 10000, .seq = iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	assert_int_equal(tw->expires, S(25));
	h_poll(h, S(25) - 1);
	assert_ptr_equal(tw_of(h, 10000), tw);
	/* rfc1337 off: the exact RST ends it (TcpExtTWKilled) */
	assert_int_equal(stack_tunable_set(h->s, S(6), STACK_TUN_rfc1337, 0), 0);
	h_send(h, S(25) - 1, SEG(.sport = 10000, .seq = RNXT + 1, .flags = TCP_FLAG_RST), NULL);
	h_expect_nothing(h);
	assert_null(tw_of(h, 10000));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTWKilled], 1);
	h_free(h);
}

static void tweak_ts(struct stack_config *cfg)
{
	cfg->tun.timestamps = 1;
	cfg->tun.msl = S(10);
}

/* RFC 6191: with timestamps, a newer TSval reopens even from a lower sequence number. */
static void test_reopen_by_timestamp(void **state)
{
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct harness *h = h_new(tweak_ts);
	struct tcp_seg got;
	stack_sock c;
	uint32_t iss;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 8, 7, &h->lsock), 0);
	h_send(h, S(1),
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.has_ts = true,
		   .opt.tsval = 1000),
	       NULL);
	assert_true(h_pop(h, &got));
	iss = got.seq;
	assert_true(got.opt.has_ts);
	h_send(h, S(1),
	       SEG(.seq = RNXT, .ack = iss + 1, .opt.has_ts = true, .opt.tsval = 1001,
		   .opt.tsecr = got.opt.tsval),
	       NULL);
	assert_int_equal(stack_tcp_accept(h->s, S(1), h->lsock, 9, &c), 0);
	assert_int_equal(stack_tcp_close(h->s, S(1), c), 0);
	h_drain(h);
	h_send(h, S(1),
	       SEG(.seq = RNXT, .ack = iss + 2, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK,
		   .opt.has_ts = true, .opt.tsval = 1002),
	       NULL);
	assert_true(h_pop(h, &got));
	assert_true(got.opt.has_ts);
	assert_int_equal(got.opt.tsecr, 1002);
	assert_non_null(h_tw(h));
	assert_true(h_tw(h)->ts_ok);
	drain_events(h);
	/* a higher sequence number but an older timestamp: PAWS drops it, ACK */
	h_send(h, S(2),
	       SEG(.seq = RNXT + 5000, .flags = TCP_FLAG_SYN, .opt.has_ts = true, .opt.tsval = 999),
	       NULL);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.flags, TCP_FLAG_ACK);
	assert_int_equal(got.opt.tsecr, 1002);
	assert_non_null(h_tw(h));
	/* a lower sequence number with a newer timestamp: reopened, the listener answers */
	h_send(h, S(3),
	       SEG(.seq = RNXT - 5000, .flags = TCP_FLAG_SYN, .opt.has_ts = true,
		   .opt.tsval = 2000),
	       NULL);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	assert_int_equal(got.ack, RNXT - 5000 + 1);
	assert_null(h_tw(h));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTWRecycled], 1);
	assert_int_equal(h->s->tcp.tw.count, 0);
	h_free(h);
}

/*
 * A passive connection with timestamps (the peer's TSval 1000, 1001, 1002),
 * closed first by us, in TIME-WAIT at t with TS.Recent 1002. Needs the
 * listener h->lsock. Returns our ISN.
 */
static uint32_t tw_make_ts(struct harness *h, stack_time_us t)
{
	struct tcp_seg got;
	stack_sock c;
	uint32_t iss;

	h_send(h, t,
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.has_ts = true,
		   .opt.tsval = 1000),
	       NULL);
	assert_true(h_pop(h, &got));
	iss = got.seq;
	h_send(h, t,
	       SEG(.seq = RNXT, .ack = iss + 1, .opt.has_ts = true, .opt.tsval = 1001,
		   .opt.tsecr = got.opt.tsval),
	       NULL);
	assert_int_equal(stack_tcp_accept(h->s, t, h->lsock, 9, &c), 0);
	assert_int_equal(stack_tcp_close(h->s, t, c), 0);
	h_drain(h);
	h_send(h, t,
	       SEG(.seq = RNXT, .ack = iss + 2, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK,
		   .opt.has_ts = true, .opt.tsval = 1002),
	       NULL);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.opt.tsecr, 1002);
	assert_non_null(h_tw(h));
	assert_int_equal(h_tw(h)->ts_recent, 1002);
	drain_events(h);
	return iss;
}

/*
 * A record judges acceptability by RFC 9293's table too (tcp_seq.h): a
 * segment without data exactly at the right edge of its open window is not
 * acceptable and is ACKed; a RST there is dropped without a word.
 */
static void test_window_edge(void **state)
{
	struct harness *h = tw_harness(0);
	uint32_t iss = tw_make(h, S(1), H_REMOTE_PORT);
	struct tcp_tw *tw = h_tw(h);
	uint32_t wnd;

	assert_non_null(tw);
	wnd = tw->rcv_wnd;
	assert_true(wnd > 0);
	h_send(h, S(2), SEG(.seq = RNXT + 1 + wnd, .ack = iss + 2), NULL);
	h_expect(h, OUT(.seq = iss + 2, .ack = RNXT + 1, .wnd = (uint16_t)wnd));
	h_expect_nothing(h);
	h_send(h, S(3), SEG(.seq = RNXT + 1 + wnd, .flags = TCP_FLAG_RST), NULL);
	h_expect_nothing(h);
	assert_non_null(h_tw(h));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPChallengeACK], 0);
	/* one below the edge is in the window: a pure ACK is taken silently */
	h_send(h, S(4), SEG(.seq = RNXT + wnd, .ack = iss + 2), NULL);
	h_expect_nothing(h);
	h_free(h);
}

/*
 * RFC 7323 §4.3 in a record, as for a connection (tcp_input_ts_recent):
 * TS.Recent moves only for a segment whose ACK is acceptable. A blind RST at
 * RCV.NXT (ignored, RFC 1337), a segment without ACK and one with an ACK
 * out of bounds, each with a TSval far ahead, leave it alone; were it moved,
 * the real peer's next SYN would fail RFC 6191's timestamp test (and draw a
 * challenge ACK instead of a SYN,ACK) for the rest of 2 x MSL.
 */
static void test_ts_recent_needs_ack(void **state)
{
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	const uint32_t far = 1002 + 0x7fff0000u;
	struct harness *h = h_new(tweak_ts);
	struct tcp_seg got;
	uint32_t iss;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 8, 7, &h->lsock), 0);
	iss = tw_make_ts(h, S(1));
	h_send(h, S(2),
	       SEG(.seq = RNXT + 1, .flags = TCP_FLAG_RST, .opt.has_ts = true, .opt.tsval = far),
	       NULL);
	h_expect_nothing(h);
	assert_non_null(h_tw(h));
	assert_int_equal(h_tw(h)->ts_recent, 1002);
	h_send(h, S(3), SEG(.seq = RNXT + 1, .flags = 0, .opt.has_ts = true, .opt.tsval = far),
	       NULL);
	h_expect_nothing(h);
	assert_int_equal(h_tw(h)->ts_recent, 1002);
	/* an ACK of what we never sent: challenge ACK, echoing the TS.Recent it had */
	h_send(h, S(4),
	       SEG(.seq = RNXT + 1, .ack = iss + 1000, .opt.has_ts = true, .opt.tsval = far), NULL);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.flags, TCP_FLAG_ACK);
	assert_int_equal(got.opt.tsecr, 1002);
	assert_int_equal(h_tw(h)->ts_recent, 1002);
	/* an acceptable ACK still moves it */
	h_send(h, S(5), SEG(.seq = RNXT + 1, .ack = iss + 2, .opt.has_ts = true, .opt.tsval = 1500),
	       NULL);
	h_expect_nothing(h);
	assert_int_equal(h_tw(h)->ts_recent, 1500);
	assert_int_equal(h_tw(h)->ts_recent_at, S(5));
	/* the real peer reconnects with a newer TSval: reopened, the listener answers */
	h_send(h, S(6),
	       SEG(.seq = RNXT + 100000, .flags = TCP_FLAG_SYN, .opt.has_ts = true,
		   .opt.tsval = 3000),
	       NULL);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	assert_int_equal(got.ack, RNXT + 100001);
	assert_null(h_tw(h));
	h_free(h);
}

/*
 * RFC 6191 reopens a pair for a listener; with none, a SYN that would reopen
 * is a SYN in TIME-WAIT like any other (RFC 5961 §4: challenge ACK, spaced
 * by §7's limit) and the record lives its 2 x MSL. Else anyone who knows the
 * tuple ends an active closer's TIME-WAIT with blind SYNs (RFC 1337).
 */
static void test_reopen_needs_listener(void **state)
{
	struct harness *h = h_new(tweak_msl);

	h->lport = H_LOCAL_PORT;
	h_establish_active(h, 0);
	assert_int_equal(stack_tcp_close(h->s, MS(1), h->sock), 0);
	h_drain(h);
	h_send(h, MS(2), SEG(.seq = RNXT, .ack = h->iss + 2, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	assert_non_null(h_tw(h));
	/* three newer SYNs in the window, 1 ms apart: one challenge ACK */
	for (uint32_t i = 0; i < 3; i++)
		h_send(h, MS(10 + i), SEG(.seq = RNXT + 12345 + i, .flags = TCP_FLAG_SYN), NULL);
	h_expect(h, OUT(.seq = h->iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	h_expect_nothing(h);
	assert_non_null(h_tw(h));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTWRecycled], 0);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPSYNChallenge], 3);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPChallengeACK], 1);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPACKSkippedChallenge], 2);
	/* beyond the window: not acceptable, ACKed (first step); the record stays */
	h_send(h, MS(20), SEG(.seq = RNXT + 1000000, .flags = TCP_FLAG_SYN), NULL);
	h_expect(h, OUT(.seq = h->iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	assert_non_null(h_tw(h));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTWRecycled], 0);
	/* it ends 2 x MSL after it began, not before */
	h_poll(h, MS(2) + S(20) - 1);
	assert_non_null(h_tw(h));
	h_poll(h, MS(2) + S(20));
	assert_null(h_tw(h));
	h_free(h);
}

/* The listener decides: closed, the record stays; listening again, the same SYN reopens. */
static void test_reopen_after_listener_closed(void **state)
{
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct harness *h = tw_harness(0);
	uint32_t iss = tw_make(h, S(1), 10000);
	struct tcp_seg got;

	assert_int_equal(stack_tcp_close(h->s, S(2), h->lsock), 0);
	drain_events(h);
	h_send(h, S(3), SEG(.sport = 10000, .seq = RNXT + 500, .flags = TCP_FLAG_SYN), NULL);
	h_expect(h, OUT(.dport = 10000, .seq = iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	assert_non_null(tw_of(h, 10000));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTWRecycled], 0);
	assert_int_equal(stack_tcp_listen(h->s, S(4), &local, 8, 7, &h->lsock), 0);
	h_send(h, S(4), SEG(.sport = 10000, .seq = RNXT + 500, .flags = TCP_FLAG_SYN), NULL);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	assert_int_equal(got.ack, RNXT + 501);
	assert_null(tw_of(h, 10000));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTWRecycled], 1);
	h_free(h);
}

/*
 * RFC 5961 §7 in a record as in a connection: challenge ACKs at least
 * 1/challenge_ack_limit s apart (100 ms by default), never a burst (to the
 * peer a burst of challenge ACKs is duplicate ACKs: a fast retransmit).
 */
static void test_challenge_ack_spacing(void **state)
{
	struct harness *h = tw_harness(0);
	uint32_t iss = tw_make(h, S(1), 10000);

	/* RSTs in the window but not at RCV.NXT, 1 ms apart: one challenge ACK */
	for (uint32_t i = 0; i < 5; i++)
		h_send(h, S(2) + MS(i),
		       SEG(.sport = 10000, .seq = RNXT + 100 + i, .flags = TCP_FLAG_RST), NULL);
	h_expect(h, OUT(.dport = 10000, .seq = iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	h_expect_nothing(h);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPChallengeACK], 1);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPACKSkippedChallenge], 4);
	/* the next one 100 ms after the last that went out, not before */
	h_send(h, S(2) + MS(99), SEG(.sport = 10000, .seq = RNXT + 200, .flags = TCP_FLAG_RST),
	       NULL);
	h_expect_nothing(h);
	h_send(h, S(2) + MS(100), SEG(.sport = 10000, .seq = RNXT + 200, .flags = TCP_FLAG_RST),
	       NULL);
	h_expect(h, OUT(.dport = 10000, .seq = iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPChallengeACK], 2);
	/* SYNs and bad ACKs share the spacing */
	h_send(h, S(2) + MS(150), SEG(.sport = 10000, .seq = RNXT + 1, .flags = TCP_FLAG_SYN),
	       NULL);
	h_send(h, S(2) + MS(160), SEG(.sport = 10000, .seq = RNXT + 1, .ack = iss + 1000), NULL);
	h_expect_nothing(h);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPACKSkippedChallenge], 7);
	assert_non_null(tw_of(h, 10000));
	h_free(h);
}

static void tweak_chack(struct stack_config *cfg)
{
	cfg->tun.challenge_ack_limit = 2;
	cfg->tun.msl = S(10);
}

/*
 * The record takes over the connection's time of its last challenge ACK: one
 * sent just before the record began still counts (2 a second here: 500 ms).
 */
static void test_challenge_ack_handover(void **state)
{
	struct harness *h = h_new(tweak_chack);
	const struct tcp_conn *c;
	stack_sock sock;
	uint32_t iss;

	h_establish_passive(h, 0);
	sock = h->sock;
	iss = h->iss;
	assert_int_equal(stack_tcp_close(h->s, S(1), sock), 0);
	h_drain(h);
	h_send(h, S(1), SEG(.seq = RNXT, .ack = iss + 2), NULL);
	assert_int_equal(h_state(h, sock), TCP_FIN_WAIT_2);
	/* FIN-WAIT-2: a blind RST draws the connection's challenge ACK */
	h_send(h, S(2), SEG(.seq = RNXT + 100, .flags = TCP_FLAG_RST), NULL);
	h_expect(h, OUT(.seq = iss + 2, .ack = RNXT, .wnd = H_RCVBUF));
	c = h_conn(h, sock);
	assert_non_null(c);
	assert_int_equal(c->chack_window, S(2));
	/* their FIN 1 ms later: the record takes over */
	h_send(h, S(2) + MS(1),
	       SEG(.seq = RNXT, .ack = iss + 2, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK), NULL);
	h_expect(h, OUT(.seq = iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	assert_non_null(h_tw(h));
	/* 2 ms after the connection's challenge ACK: none from the record */
	h_send(h, S(2) + MS(2), SEG(.seq = RNXT + 100, .flags = TCP_FLAG_RST), NULL);
	h_expect_nothing(h);
	h_send(h, S(2) + MS(499), SEG(.seq = RNXT + 100, .flags = TCP_FLAG_RST), NULL);
	h_expect_nothing(h);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPACKSkippedChallenge], 2);
	h_send(h, S(2) + MS(500), SEG(.seq = RNXT + 100, .flags = TCP_FLAG_RST), NULL);
	h_expect(h, OUT(.seq = iss + 2, .ack = RNXT + 1, .wnd = H_RCVBUF - 1));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPChallengeACK], 2);
	h_free(h);
}

static int tw_sock_cb(void *ctx, stack_sock sock, const struct stack_tcp_info *info)
{
	if (info->state == TCP_TIME_WAIT)
		*(stack_sock *)ctx = sock;
	return 0;
}

/* A record's handle goes stale with it, even when the next record reuses its place. */
static void test_stale_record_handle(void **state)
{
	struct harness *h = tw_harness(0);
	struct stack_tcp_info in;
	stack_sock first = 0, second = 0;

	tw_make(h, S(1), 10000);
	assert_int_equal(stack_tcp_foreach(h->s, tw_sock_cb, &first), 0);
	assert_int_equal(stack_tcp_info(h->s, first, &in), 0);
	assert_int_equal(in.remote.port, 10000);
	/* socket calls do not take it: only observers and kill do */
	assert_int_equal(stack_tcp_send(h->s, S(1), first, "x", 1), -EBADF);
	assert_int_equal(stack_tcp_close(h->s, S(1), first), -EBADF);
	assert_int_equal(stack_tcp_kill_orphan(h->s, S(2), first), 0);
	assert_int_equal(h->s->tcp.tw.nchunks, 0); /* the last record took its chunk along */
	tw_make(h, S(3), 10001);
	assert_int_equal(stack_tcp_foreach(h->s, tw_sock_cb, &second), 0);
	assert_int_equal((uint32_t)second, (uint32_t)first); /* the same place ... */
	assert_int_not_equal(second, first);		     /* ... another generation */
	assert_int_equal(stack_tcp_info(h->s, first, &in), -EBADF);
	assert_int_equal(stack_tcp_kill_orphan(h->s, S(3), first), -EBADF);
	assert_int_equal(stack_tcp_info(h->s, second, &in), 0);
	assert_int_equal(in.remote.port, 10001);
	h_free(h);
}

/* RFC 6056 / RFC 9293 §3.4.2: the port picker never hands out a tuple in TIME-WAIT. */
static void test_port_pick_skips_time_wait(void **state)
{
	struct harness *h = h_new(tweak_msl);
	struct stack_endpoint remote = { H_REMOTE_ADDR, H_REMOTE_PORT };
	struct stack_endpoint local = { 0, 0 };
	struct tcp_port_alloc saved = h->s->tcp.ports;
	struct stack_tcp_info in;
	struct tcp_seg got;
	stack_sock c;
	uint16_t first;

	assert_int_equal(stack_tcp_connect(h->s, S(1), &local, &remote, 5, &c), 0);
	assert_true(h_pop(h, &got));
	first = got.sport;
	h->lport = first;
	h->iss = got.seq;
	h_send(h, S(1),
	       SEG(.dport = first, .seq = H_REMOTE_ISN, .ack = h->iss + 1,
		   .flags = TCP_FLAG_SYN | TCP_FLAG_ACK),
	       NULL);
	h_drain(h);
	assert_int_equal(stack_tcp_close(h->s, S(1), c), 0);
	h_drain(h);
	h_send(h, S(1),
	       SEG(.dport = first, .seq = RNXT, .ack = h->iss + 2,
		   .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	h_drain(h);
	assert_non_null(h_tw(h));
	/* the picker starts where it did for the first connection: it must move on */
	h->s->tcp.ports = saved;
	assert_int_equal(stack_tcp_connect(h->s, S(2), &local, &remote, 5, &c), 0);
	assert_int_equal(stack_tcp_info(h->s, c, &in), 0);
	assert_int_not_equal(in.local.port, first);
	/* and an explicit bind to the tuple in TIME-WAIT is refused */
	local.port = first;
	assert_int_equal(stack_tcp_connect(h->s, S(2), &local, &remote, 5, &c), -EADDRINUSE);
	h_free(h);
}

/*
 * An active connection with timestamps (ours and the peer's), closed first
 * by us at t: its tuple is in TIME-WAIT with TS.Recent 5002. Returns the
 * local port; *ret_snd_nxt is SND.NXT past our FIN, *ret_tsval our last TSval.
 */
static uint16_t tw_make_active_ts(struct harness *h, stack_time_us t, uint32_t *ret_snd_nxt,
				  uint32_t *ret_tsval)
{
	struct stack_endpoint remote = { H_REMOTE_ADDR, H_REMOTE_PORT };
	struct stack_endpoint local = { 0, 0 };
	struct tcp_seg got;
	stack_sock c;

	assert_int_equal(stack_tcp_connect(h->s, t, &local, &remote, 5, &c), 0);
	assert_true(h_pop(h, &got));
	assert_true(got.opt.has_ts);
	h->lport = got.sport;
	h->iss = got.seq;
	h_send(h, t,
	       SEG(.dport = h->lport, .seq = H_REMOTE_ISN, .ack = h->iss + 1,
		   .flags = TCP_FLAG_SYN | TCP_FLAG_ACK, .opt.has_ts = true, .opt.tsval = 5000,
		   .opt.tsecr = got.opt.tsval),
	       NULL);
	h_drain(h);
	assert_int_equal(stack_tcp_close(h->s, t, c), 0);
	assert_true(h_pop(h, &got)); /* our FIN */
	h_drain(h);
	h_send(h, t,
	       SEG(.dport = h->lport, .seq = RNXT, .ack = h->iss + 2,
		   .flags = TCP_FLAG_FIN | TCP_FLAG_ACK, .opt.has_ts = true, .opt.tsval = 5002,
		   .opt.tsecr = got.opt.tsval),
	       NULL);
	assert_true(h_pop(h, &got)); /* the ACK of their FIN */
	*ret_tsval = got.opt.tsval;
	h_drain(h);
	assert_non_null(h_tw(h));
	assert_int_equal(h_tw(h)->ts_recent, 5002);
	*ret_snd_nxt = h->iss + 2;
	drain_events(h);
	return h->lport;
}

static void tweak_tw_reuse(struct stack_config *cfg)
{
	cfg->tun.timestamps = 1;
	cfg->tun.tw_reuse = 1;
	cfg->tun.msl = S(30);
}

/*
 * tcp.tw_reuse (as Linux tcp_tw_reuse): an active open takes a tuple in
 * TIME-WAIT only with timestamps and once the peer's last one is a second
 * old; the new SYN starts past the old sequence space and our timestamps
 * go on increasing. Off (the default), the tuple stays taken.
 */
static void test_active_reuse(void **state)
{
	struct harness *h = h_new(tweak_tw_reuse);
	struct stack_endpoint remote = { H_REMOTE_ADDR, H_REMOTE_PORT };
	struct stack_endpoint local = { 0, 0 };
	struct stack_tcp_info in;
	struct tcp_seg got;
	uint32_t snd_nxt, tsval;
	stack_sock c;

	local.port = tw_make_active_ts(h, S(1), &snd_nxt, &tsval);
	/* the peer's last timestamp is younger than a second: still taken */
	assert_int_equal(stack_tcp_connect(h->s, S(1) + 999999, &local, &remote, 5, &c),
			 -EADDRINUSE);
	/* the option off: taken for the whole 2 MSL */
	h->s->cfg.tun.tw_reuse = 0;
	assert_int_equal(stack_tcp_connect(h->s, S(2), &local, &remote, 5, &c), -EADDRINUSE);
	h->s->cfg.tun.tw_reuse = 1;
	assert_int_equal(stack_tcp_connect(h->s, S(2), &local, &remote, 5, &c), 0);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.flags, TCP_FLAG_SYN);
	assert_int_equal(got.sport, local.port);
	assert_int_equal(got.seq, snd_nxt + 65535 + 2);
	assert_true(got.opt.has_ts);
	assert_true(seq_gt(got.opt.tsval, tsval));
	assert_null(h_tw(h));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTWRecycled], 1);
	assert_int_equal(stack_tcp_info(h->s, c, &in), 0);
	assert_string_equal(in.state_name, "SYN-SENT");
	h_free(h);
}

/* The port picker takes a reusable tuple too, rather than run out of ports. */
static void test_active_reuse_port_pick(void **state)
{
	struct harness *h = h_new(tweak_tw_reuse);
	struct stack_endpoint remote = { H_REMOTE_ADDR, H_REMOTE_PORT };
	struct stack_endpoint local = { 0, 0 };
	struct tcp_port_alloc saved = h->s->tcp.ports;
	struct tcp_seg got;
	uint32_t snd_nxt, tsval;
	uint16_t first;
	stack_sock c;

	first = tw_make_active_ts(h, S(1), &snd_nxt, &tsval);
	/* the picker starts where it did for the first connection */
	h->s->tcp.ports = saved;
	assert_int_equal(stack_tcp_connect(h->s, S(3), &local, &remote, 5, &c), 0);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.sport, first);
	assert_int_equal(got.seq, snd_nxt + 65535 + 2);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTWRecycled], 1);
	h_free(h);
}

/* Without timestamps on the old connection PAWS cannot help: no reuse. */
static void test_active_reuse_needs_timestamps(void **state)
{
	struct harness *h = h_new(tweak_tw_reuse);
	struct stack_endpoint remote = { H_REMOTE_ADDR, H_REMOTE_PORT };
	struct stack_endpoint local = { 0, 0 };
	uint32_t snd_nxt, tsval;
	stack_sock c;

	local.port = tw_make_active_ts(h, S(1), &snd_nxt, &tsval);
	h_tw(h)->ts_ok = false; /* as if the peer had not agreed to them */
	assert_int_equal(stack_tcp_connect(h->s, S(5), &local, &remote, 5, &c), -EADDRINUSE);
	h_tw(h)->ts_ok = true;
	h->s->cfg.tun.timestamps = 0; /* nor when the new one would go without */
	assert_int_equal(stack_tcp_connect(h->s, S(5), &local, &remote, 5, &c), -EADDRINUSE);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTWRecycled], 0);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_size),
		cmocka_unit_test(test_overflow_recycles_oldest),
		cmocka_unit_test(test_msl_lowered),
		cmocka_unit_test(test_segments),
		cmocka_unit_test(test_reopen_by_timestamp),
		cmocka_unit_test(test_ts_recent_needs_ack),
		cmocka_unit_test(test_window_edge),
		cmocka_unit_test(test_reopen_needs_listener),
		cmocka_unit_test(test_reopen_after_listener_closed),
		cmocka_unit_test(test_challenge_ack_spacing),
		cmocka_unit_test(test_challenge_ack_handover),
		cmocka_unit_test(test_stale_record_handle),
		cmocka_unit_test(test_port_pick_skips_time_wait),
		cmocka_unit_test(test_active_reuse),
		cmocka_unit_test(test_active_reuse_port_pick),
		cmocka_unit_test(test_active_reuse_needs_timestamps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
