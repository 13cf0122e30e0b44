/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-wire.c - wire behaviour of the receive side that issue 10 found
 * wrong, each case asserting the exact segments we send:
 *  - a FIN beyond a hole draws an immediate duplicate ACK, with our SACK
 *    blocks (RFC 5681 §4.2), and is kept: the segment that fills the hole
 *    takes it, ACKed at once, with or without SACK;
 *  - the SACK blocks we send: the one holding the segment just received
 *    first, then the others in order of recency (RFC 2018 §4);
 *  - acceptability exactly as RFC 9293 §3.10.7.4's table: a segment without
 *    data, or a RST, at SEG.SEQ = RCV.NXT + RCV.WND with RCV.WND > 0 is not
 *    acceptable (the first is ACKed, its ACK field ignored; the RST is
 *    dropped, RFC 5961 §3.2), while an ACK at the edge of a window its
 *    sender has filled (RCV.WND = 0, SEG.SEQ = RCV.NXT) is still taken.
 */
#include <string.h>

#include "harness.h"

#define MS(x) ((stack_time_us)(x)*1000)
#define RNXT  (H_REMOTE_ISN + 1)

static void tweak_sack(struct stack_config *cfg)
{
	cfg->tun.sack = 1;
}

static void tweak_sack_ts(struct stack_config *cfg)
{
	cfg->tun.sack = 1;
	cfg->tun.timestamps = 1;
}

/* Passive open at t = 0 with SACK permitted (and timestamps, TSval 1000, when ts). */
static void establish_sack(struct harness *h, bool ts)
{
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct tcp_seg sa;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 8, 7, &h->lsock), 0);
	h_send(h, 0,
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.sack_ok = true,
		   .opt.has_mss = true, .opt.mss = H_MSS, .opt.has_ts = ts, .opt.tsval = 1000),
	       NULL);
	assert_true(h_pop(h, &sa));
	assert_true(sa.opt.sack_ok);
	assert_int_equal(sa.opt.has_ts, ts);
	h->iss = sa.seq;
	h->ts_off = sa.opt.tsval;
	h_send(h, 0,
	       SEG(.seq = RNXT, .ack = h->iss + 1, .opt.has_ts = ts, .opt.tsval = 1000,
		   .opt.tsecr = sa.opt.tsval),
	       NULL);
	h_expect_event(h, STACK_EV_ACCEPTABLE, h->lsock, 0);
	assert_int_equal(stack_tcp_accept(h->s, 0, h->lsock, 9, &h->sock), 0);
	assert_true(h_conn(h, h->sock)->sack_ok);
	h_expect_nothing(h);
}

/* Our ACK of RCV.NXT = RNXT + ack with the given SACK blocks (pairs relative to RNXT). */
static struct tcp_seg sack_ack(const struct harness *h, uint32_t ack, uint32_t wnd,
			       const uint32_t *blocks, uint8_t n, bool ts)
{
	struct tcp_seg o = OUT(.seq = h->iss + 1, .ack = RNXT + ack, .wnd = (uint16_t)wnd);

	o.opt.nsack = n;
	for (uint8_t i = 0; i < n; i++) {
		o.opt.sack[i].left = RNXT + blocks[2 * i];
		o.opt.sack[i].right = RNXT + blocks[2 * i + 1];
	}
	if (ts) {
		o.opt.has_ts = true;
		o.opt.tsval = H_TS_AUTO;
		o.opt.tsecr = 1000;
	}
	return o;
}

#define SACK_ACK(h, ack, wnd, ts, ...)                           \
	sack_ack(h, ack, wnd, (const uint32_t[]){ __VA_ARGS__ }, \
		 (uint8_t)(sizeof((const uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t) / 2), ts)

/* The peer's data segment at RNXT + off. */
static void data_at(struct harness *h, stack_time_us t, uint32_t off, uint32_t len, bool ts)
{
	h_send(h, t,
	       SEG(.seq = RNXT + off, .ack = h->iss + 1, .len = len, .opt.has_ts = ts,
		   .opt.tsval = 1000),
	       NULL);
}

/* The peer's last len bytes with its FIN, at RNXT + off. */
static void data_fin_at(struct harness *h, stack_time_us t, uint32_t off, uint32_t len)
{
	h_send(h, t,
	       SEG(.seq = RNXT + off, .ack = h->iss + 1, .len = len,
		   .flags = TCP_FLAG_ACK | TCP_FLAG_PSH | TCP_FLAG_FIN),
	       NULL);
}

/* A FIN alone at off past RCV.NXT's start. */
static void fin_at(struct harness *h, stack_time_us t, uint32_t off)
{
	h_send(h, t,
	       SEG(.seq = RNXT + off, .ack = h->iss + 1, .flags = TCP_FLAG_ACK | TCP_FLAG_FIN),
	       NULL);
}

/*
 * RFC 5681 §4.2: "an immediate duplicate ACK SHOULD be sent when an
 * out-of-order segment arrives". A FIN alone beyond a hole is one: we answer
 * at once with ACK = RCV.NXT and the SACK block of what we hold. The FIN is
 * kept, and the segment that fills the hole takes it: ACKed at once (the
 * peer has waited for that ACK since it sent the FIN; a FIN first seen in
 * order waits for our FIN or tcp.delayed_ack, test-tcp-close.c), without
 * the peer retransmitting it.
 */
static void test_ooo_fin_sack(void **state)
{
	struct harness *h = h_new(tweak_sack);

	establish_sack(h, false);
	data_at(h, MS(1), 100, 100, false); /* bytes 0..99 lost */
	h_expect(h, SACK_ACK(h, 0, H_RCVBUF, false, 100, 200));
	fin_at(h, MS(2), 200);
	h_expect(h, SACK_ACK(h, 0, H_RCVBUF, false, 100, 200));
	h_expect_nothing(h);
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 0);
	/* the hole fills: the bytes and the kept FIN, ACKed at once */
	data_at(h, MS(3), 0, 100, false);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 201, .wnd = H_RCVBUF - 201));
	h_expect_event(h, STACK_EV_READABLE, h->sock, 0);
	h_expect_event(h, STACK_EV_PEER_CLOSED, h->sock, 0);
	h_expect_no_event(h);
	assert_int_equal(h_state(h, h->sock), TCP_CLOSE_WAIT);
	/* a retransmission of it, should one cross our ACK, is a duplicate */
	fin_at(h, MS(4), 200);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 201, .wnd = H_RCVBUF - 201));
	h_expect_nothing(h);
	assert_int_equal(h_state(h, h->sock), TCP_CLOSE_WAIT);
	h_free(h);
}

/*
 * Without SACK too: the peer's last bytes with its FIN, beyond a hole, wait;
 * the retransmission that fills the hole brings RCV.NXT to the FIN, which is
 * taken then, ACKed at once. A sender without SACK would otherwise learn of
 * the dropped FIN only from its retransmission timer.
 */
static void test_ooo_fin_with_data_nosack(void **state)
{
	struct harness *h = h_new(NULL);

	h_establish_passive(h, 0);
	data_fin_at(h, MS(1), 100, 50);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF));
	h_expect_nothing(h);
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	data_at(h, MS(2), 0, 100, false);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 151, .wnd = H_RCVBUF - 151));
	h_expect_event(h, STACK_EV_READABLE, h->sock, 0);
	h_expect_event(h, STACK_EV_PEER_CLOSED, h->sock, 0);
	h_expect_no_event(h);
	h_expect_nothing(h);
	assert_int_equal(h_state(h, h->sock), TCP_CLOSE_WAIT);
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 150);
	h_free(h);
}

/* Without SACK, and with no bytes held: a plain duplicate ACK, at once. */
static void test_ooo_fin_nosack(void **state)
{
	struct harness *h = h_new(NULL);

	h_establish_passive(h, 0);
	fin_at(h, MS(1), 300);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF));
	h_expect_nothing(h);
	assert_int_equal(stack_poll_at(h->s), STACK_TIME_NEVER); /* no delayed ACK left over */
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	h_free(h);
}

/*
 * A kept FIN that the stream goes past (bytes beyond it: a FIN forged into
 * the window, or a peer that lies) is forgotten, so the peer's real FIN,
 * beyond a later hole, is kept and taken in its turn; a stale one could
 * otherwise match RCV.NXT once the sequence space wraps.
 */
static void test_ooo_fin_passed_is_dropped(void **state)
{
	struct harness *h = h_new(NULL);

	h_establish_passive(h, 0);
	fin_at(h, MS(1), 100);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF));
	/* 150 bytes in order go past it: no FIN is taken */
	data_at(h, MS(2), 0, 150, false);
	h_expect_event(h, STACK_EV_READABLE, h->sock, 0);
	h_poll(h, MS(100));
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 150, .wnd = H_RCVBUF - 150));
	h_expect_no_event(h);
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	/* the real end: 50 bytes and a FIN beyond a hole of 50, then the hole */
	data_fin_at(h, MS(200), 200, 50);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 150, .wnd = H_RCVBUF - 150));
	data_at(h, MS(201), 150, 50, false);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 251, .wnd = H_RCVBUF - 251));
	h_expect_event(h, STACK_EV_READABLE, h->sock, 0);
	h_expect_event(h, STACK_EV_PEER_CLOSED, h->sock, 0);
	h_expect_no_event(h);
	assert_int_equal(h_state(h, h->sock), TCP_CLOSE_WAIT);
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 250);
	h_free(h);
}

/*
 * RFC 2018 §4: the first block holds the segment that drew the ACK; the
 * others repeat the most recently reported blocks, so each follows in order
 * of recency, not of sequence. Without timestamps four blocks fit.
 */
static void test_sack_blocks_by_recency(void **state)
{
	struct harness *h = h_new(tweak_sack);
	const uint32_t w = H_RCVBUF;

	establish_sack(h, false);
	data_at(h, MS(1), 1000, 100, false);
	h_expect(h, SACK_ACK(h, 0, w, false, 1000, 1100));
	data_at(h, MS(2), 3000, 100, false);
	h_expect(h, SACK_ACK(h, 0, w, false, 3000, 3100, 1000, 1100));
	data_at(h, MS(3), 5000, 100, false);
	h_expect(h, SACK_ACK(h, 0, w, false, 5000, 5100, 3000, 3100, 1000, 1100));
	/* lower in sequence, newest in time: first; 5000 was reported more recently than 3000 */
	data_at(h, MS(4), 2000, 100, false);
	h_expect(h, SACK_ACK(h, 0, w, false, 2000, 2100, 5000, 5100, 3000, 3100, 1000, 1100));
	/* data extending the 3000 block makes it the newest */
	data_at(h, MS(5), 3100, 100, false);
	h_expect(h, SACK_ACK(h, 0, w, false, 3000, 3200, 2000, 2100, 5000, 5100, 1000, 1100));
	/* a fifth block: the least recent one (1000) no longer fits */
	data_at(h, MS(6), 7000, 100, false);
	h_expect(h, SACK_ACK(h, 0, w, false, 7000, 7100, 3000, 3200, 2000, 2100, 5000, 5100));
	/* a duplicate of held data is the segment that drew the ACK: its block first */
	data_at(h, MS(7), 1000, 50, false);
	h_expect(h, SACK_ACK(h, 0, w, false, 1000, 1100, 7000, 7100, 3000, 3200, 2000, 2100));
	/* joining two blocks makes one, the newest */
	data_at(h, MS(8), 1100, 900, false);
	h_expect(h, SACK_ACK(h, 0, w, false, 1000, 2100, 7000, 7100, 3000, 3200, 5000, 5100));
	/* the hole at RCV.NXT fills: RCV.NXT moves, the rest keep their order */
	data_at(h, MS(9), 0, 1000, false);
	h_expect(h, SACK_ACK(h, 2100, w - 2100, false, 7000, 7100, 3000, 3200, 5000, 5100));
	h_expect_nothing(h);
	h_free(h);
}

/* With timestamps three blocks fit; the order is the same rule. */
static void test_sack_blocks_by_recency_ts(void **state)
{
	struct harness *h = h_new(tweak_sack_ts);
	const uint32_t w = H_RCVBUF;

	establish_sack(h, true);
	data_at(h, MS(1), 4000, 100, true);
	h_expect(h, SACK_ACK(h, 0, w, true, 4000, 4100));
	data_at(h, MS(2), 2000, 100, true);
	h_expect(h, SACK_ACK(h, 0, w, true, 2000, 2100, 4000, 4100));
	data_at(h, MS(3), 6000, 100, true);
	h_expect(h, SACK_ACK(h, 0, w, true, 6000, 6100, 2000, 2100, 4000, 4100));
	data_at(h, MS(4), 1000, 100, true);
	h_expect(h, SACK_ACK(h, 0, w, true, 1000, 1100, 6000, 6100, 2000, 2100));
	data_at(h, MS(5), 4100, 100, true);
	h_expect(h, SACK_ACK(h, 0, w, true, 4000, 4200, 1000, 1100, 6000, 6100));
	h_expect_nothing(h);
	h_free(h);
}

/*
 * RFC 9293 §3.10.7.4: with RCV.WND > 0 a zero-length segment is acceptable
 * for RCV.NXT =< SEG.SEQ < RCV.NXT + RCV.WND. One at the edge itself (here
 * a peer that has sent a whole window, lost) is not: we ACK it and do not
 * look at its ACK field. The peer's next ACK says the same and is taken.
 */
static void test_ack_at_open_window_edge(void **state)
{
	struct harness *h = h_new(NULL);

	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_send(h->s, MS(1), h->sock, "abc", 3), 3);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .len = 3,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	h_send(h, MS(10), SEG(.seq = RNXT + H_RCVBUF, .ack = h->iss + 4), NULL);
	h_expect(h, OUT(.seq = h->iss + 4, .ack = RNXT, .wnd = H_RCVBUF));
	h_expect_nothing(h);
	assert_int_equal(h_conn(h, h->sock)->snd_una, h->iss + 1);
	/* one below the edge is in the window: taken, not answered */
	h_send(h, MS(11), SEG(.seq = RNXT + H_RCVBUF - 1, .ack = h->iss + 4), NULL);
	h_expect_nothing(h);
	assert_int_equal(h_conn(h, h->sock)->snd_una, h->iss + 4);
	h_free(h);
}

/*
 * The case the old allowance was for: a peer fills our window and ACKs with
 * SEQ = its SND.NXT. Once its data is in, that is RCV.NXT with RCV.WND = 0,
 * acceptable by the table's first row: the ACK is taken, nothing is sent.
 */
static void test_ack_at_filled_window_edge(void **state)
{
	struct harness *h = h_new(NULL);
	uint32_t off = 0;

	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_send(h->s, MS(1), h->sock, "abc", 3), 3);
	h_drain(h);
	while (off < H_RCVBUF) {
		uint32_t len = H_RCVBUF - off < H_MSS ? H_RCVBUF - off : H_MSS;

		h_send(h, MS(2), SEG(.seq = RNXT + off, .ack = h->iss + 1, .len = len), NULL);
		off += len;
	}
	h_poll(h, MS(100));
	h_drain(h);
	assert_int_equal(h_conn(h, h->sock)->rcv_nxt, RNXT + H_RCVBUF);
	h_send(h, MS(110), SEG(.seq = RNXT + H_RCVBUF, .ack = h->iss + 4), NULL);
	h_expect_nothing(h);
	assert_int_equal(h_conn(h, h->sock)->snd_una, h->iss + 4);
	h_free(h);
}

/*
 * A RST at the right edge of an open window is outside it: dropped without
 * a word (RFC 9293 §3.10.7.4, RFC 5961 §3.2). One inside the window but not
 * at RCV.NXT still draws a challenge ACK, and one at RCV.NXT resets.
 */
static void test_rst_at_window_edge(void **state)
{
	struct harness *h = h_new(NULL);

	h_establish_passive(h, 0);
	h_send(h, MS(1), SEG(.seq = RNXT + H_RCVBUF, .flags = TCP_FLAG_RST), NULL);
	h_expect_nothing(h);
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPChallengeACK], 0);
	h_send(h, MS(2), SEG(.seq = RNXT + H_RCVBUF - 1, .flags = TCP_FLAG_RST), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPChallengeACK], 1);
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	h_send(h, MS(3), SEG(.seq = RNXT, .flags = TCP_FLAG_RST), NULL);
	h_expect_nothing(h);
	h_expect_event(h, STACK_EV_RESET, h->sock, -ECONNRESET);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ooo_fin_sack),
		cmocka_unit_test(test_ooo_fin_nosack),
		cmocka_unit_test(test_ooo_fin_with_data_nosack),
		cmocka_unit_test(test_ooo_fin_passed_is_dropped),
		cmocka_unit_test(test_sack_blocks_by_recency),
		cmocka_unit_test(test_sack_blocks_by_recency_ts),
		cmocka_unit_test(test_ack_at_open_window_edge),
		cmocka_unit_test(test_ack_at_filled_window_edge),
		cmocka_unit_test(test_rst_at_window_edge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
